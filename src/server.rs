//! The HTTP side of `storydesk serve`: one axum router that the platform adapters add their
//! endpoints to, plus the operator's endpoints.
//!
//! [`run`] takes an already-bound listener and a shutdown future, so tests bind port 0 and
//! stop the server cleanly.

use std::future::Future;

use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

/// The operator's endpoints: `GET /healthz` (the process is alive).
pub fn base_routes() -> Router {
    Router::new().route("/healthz", get(healthz))
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// Serve `app` on `listener` until `shutdown` completes, then finish the requests in flight.
pub async fn run(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn healthz_answers() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(run(listener, base_routes(), async {
            let _ = stopped.await;
        }));
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.ends_with("ok\n"), "{response}");
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
    }
}
