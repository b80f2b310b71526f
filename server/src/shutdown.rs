//! Serving with a clean stop: on SIGTERM / ctrl-c the listener closes, in-flight requests
//! finish, and the process exits — after a grace period at the latest.

use std::time::Duration;

use axum::Router;
use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;

use crate::startup::StartupError;

/// Resolves on ctrl-c, or SIGTERM on Unix (what orchestrators send).
pub async fn signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("ctrl-c received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

pub(crate) async fn serve_gracefully(
    listener: TcpListener,
    router: Router,
    stop: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> Result<(), StartupError> {
    let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
    let stop = async move {
        stop.await;
        stopping_tx.send_replace(true);
    };
    // Nagle's algorithm would hold a streamed page's later small chunks until the browser
    // acknowledges the first, which it delays up to 40 ms: the dashboard bench's p95.
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY not set on a connection");
        }
    });
    // The peer's address reaches handlers (login lock-outs count per client address).
    let serve = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(stop);
    let deadline = async move {
        // Only starts counting once the stop signal has arrived.
        let _ = stopping_rx.wait_for(|stopping| *stopping).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = serve => {
            result.map_err(StartupError::Serve)?;
            tracing::info!("stopped cleanly");
        }
        () = deadline => {
            tracing::warn!(grace_secs = grace.as_secs(), "requests still running after the grace period; exiting");
        }
    }
    Ok(())
}
