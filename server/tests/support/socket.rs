//! A WebSocket client for `GET /ws`, as a diner's app or the cashier page uses it.

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for a frame that must come.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Opens `url` (`ws://host:port/ws?…`) with a bearer token.
pub async fn connect(url: &str, token: &str) -> Socket {
    let mut request = url.into_client_request().expect("request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("socket opens");
    socket
}

/// Opens `ws://{base}/ws` with a bearer token and waits for its READY.
pub async fn open_ready(base: &str, token: &str) -> Socket {
    let mut socket = connect(&format!("ws://{base}/ws"), token).await;
    ready(&mut socket).await;
    socket
}

/// The next text frame as JSON (pings are answered by the client library).
pub async fn next_frame(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("a frame in time")
            .expect("socket open")
            .expect("frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).expect("json frame");
        }
    }
}

/// The next frame that is an event (skipping READY / RESET).
pub async fn next_event(socket: &mut Socket) -> Value {
    loop {
        let frame = next_frame(socket).await;
        if !is_control(&frame) {
            return frame;
        }
    }
}

pub fn is_control(frame: &Value) -> bool {
    matches!(
        frame.get("type").and_then(Value::as_str),
        Some("READY" | "RESET")
    )
}

/// Waits for READY and returns its number.
pub async fn ready(socket: &mut Socket) -> u64 {
    let frame = next_frame(socket).await;
    assert_eq!(frame.get("type"), Some(&json!("READY")), "{frame}");
    frame.get("seq").and_then(Value::as_u64).expect("seq")
}
