//! What the stand-in providers share: each keeps what it saw behind a lock and serves its
//! routes on a port of its own.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// What a stand-in saw, shared with its handlers.
pub type Shared<S> = Arc<Mutex<S>>;

/// Serves `routes` on a free local port, their handlers sharing `seen`.
pub async fn serve<S: Send + 'static>(
    seen: S,
    routes: axum::Router<Shared<S>>,
) -> (Shared<S>, SocketAddr) {
    let seen = Arc::new(Mutex::new(seen));
    let app = routes.with_state(Arc::clone(&seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (seen, address)
}
