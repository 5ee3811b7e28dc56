//! The HTTP side of `storydesk serve`: one axum router that the platform adapters add their
//! endpoints to, plus the operator's endpoints.
//!
//! - `GET /healthz`: the process is alive (answers `ok` without looking at anything else).
//! - `GET /readyz`: the store answers a read within [`STORE_CHECK_WITHIN`], and every
//!   connection `serve` started (Discord gateway, Slack Socket Mode) is up; otherwise 503.
//!   Both answers are a JSON object naming each part and its state. Work that one replica
//!   at a time runs has a part `singleton:JOB` saying `held` or `held by another replica`;
//!   those parts are always ready, and so is a connection whose work another replica holds.
//! - `GET /metrics`: every metric of [`crate::telemetry`], in Prometheus' text format.
//!
//! [`run`] takes an already-bound listener and a shutdown future, so tests bind port 0 and
//! stop the server cleanly.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;

use crate::health::{PartState, Readiness};
use crate::store::Store;

/// How long `/readyz` waits for the store to answer before calling it not ready.
pub const STORE_CHECK_WITHIN: Duration = Duration::from_secs(2);

/// `GET /healthz` (the process is alive).
pub fn base_routes() -> Router {
    Router::new().route("/healthz", get(healthz))
}

/// What the operator's endpoints look at.
#[derive(Clone)]
pub struct Operator {
    /// The store `/readyz` checks.
    pub store: Store,
    /// The connections `/readyz` reports.
    pub readiness: Readiness,
    /// The recorder `/metrics` renders; `None` when metrics are not installed (the
    /// endpoint then says so with 503).
    pub metrics: Option<PrometheusHandle>,
}

/// `GET /healthz`, `GET /readyz` and `GET /metrics`.
pub fn operator_routes(operator: Operator) -> Router {
    Router::new()
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(operator)
        .merge(base_routes())
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// The body of `/readyz`.
#[derive(serde::Serialize)]
struct ReadyReport {
    /// True when every part is ready.
    ready: bool,
    /// Each part by name: the store, and each connection.
    parts: BTreeMap<String, PartState>,
}

async fn readyz(State(operator): State<Operator>) -> Response {
    let mut parts = operator.readiness.parts();
    parts.insert("store".into(), store_state(&operator.store).await);
    let ready = parts.values().all(|p| p.ready);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(ReadyReport { ready, parts })).into_response()
}

/// Whether the store answers a read in time.
async fn store_state(store: &Store) -> PartState {
    let store_name = (store.engine(), store.database());
    let store = store.clone();
    let check = tokio::task::spawn_blocking(move || store.ping());
    let (ready, detail) = match tokio::time::timeout(STORE_CHECK_WITHIN, check).await {
        Ok(Ok(Ok(()))) => (true, store_detail(&store_name)),
        Ok(Ok(Err(e))) => (false, e.to_string()),
        Ok(Err(_)) => (false, "the check failed".to_string()),
        Err(_) => (
            false,
            format!("did not answer within {} s", STORE_CHECK_WITHIN.as_secs()),
        ),
    };
    PartState { ready, detail }
}

/// What `/readyz` says of a store that answers: its engine.
fn store_detail((engine, database): &(&str, Option<String>)) -> String {
    match database {
        Some(db) => format!("open ({engine}: {db})"),
        None => "open".to_string(),
    }
}

async fn metrics(State(operator): State<Operator>) -> Response {
    if let Some((open, idle)) = operator.store.pool_state() {
        metrics::gauge!(crate::telemetry::STORE_POOL_CONNECTIONS).set(f64::from(open));
        metrics::gauge!(crate::telemetry::STORE_POOL_IDLE).set(idle as f64);
    }
    match &operator.metrics {
        Some(handle) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            crate::telemetry::render(handle),
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics are not recorded in this process\n",
        )
            .into_response(),
    }
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

    async fn get(app: Router, path: &str) -> (u16, String) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(run(listener, app, async {
            let _ = stopped.await;
        }));
        let response = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
        (status, body)
    }

    #[tokio::test]
    async fn readyz_names_what_is_not_ready_until_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Default::default()).unwrap();
        let readiness = Readiness::new();
        let gateway = readiness.register("discord_gateway");
        let socket_mode = readiness.register_singleton("slack-socket-mode");
        socket_mode.not_held("held by another replica");
        readiness.register_singleton("purge").held();
        let app = operator_routes(Operator {
            store,
            readiness,
            metrics: None,
        });

        let (status, body) = get(app.clone(), "/readyz").await;
        assert_eq!(status, 503, "{body}");
        let report: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(report["ready"], false);
        assert_eq!(report["parts"]["discord_gateway"]["ready"], false);
        assert_eq!(report["parts"]["discord_gateway"]["detail"], "connecting");
        assert_eq!(report["parts"]["store"]["ready"], true);

        gateway.ready("connected");
        let (status, body) = get(app.clone(), "/readyz").await;
        assert_eq!(status, 200, "{body}");
        let report: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(report["ready"], true);
        // Singleton work says who holds it; held elsewhere is no reason to be unready.
        let socket_mode = &report["parts"]["singleton:slack-socket-mode"];
        assert_eq!(socket_mode["detail"], "held by another replica", "{body}");
        assert_eq!(socket_mode["ready"], true, "{body}");
        assert_eq!(
            report["parts"]["singleton:purge"]["detail"], "held",
            "{body}"
        );

        let (status, body) = get(app, "/metrics").await;
        assert_eq!(status, 503, "{body}");
    }
}
