//! A fake OpenAI-compatible Chat Completions server on 127.0.0.1, for the model drafter's
//! tests. It records every request (path, `Authorization` header, JSON body) and answers
//! with whatever the test queued: a whole JSON answer, a streamed (SSE) answer, optionally
//! released piece by piece by the test, a stream that breaks off or stalls, an error status
//! with `Retry-After`, or a wait longer than the client's timeout.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// One answer the server gives, in the order queued.
pub enum Answer {
    /// `application/json`, the whole answer at once.
    Whole(String),
    /// `text/event-stream`: these pieces, then `finish_reason: stop` and `[DONE]`.
    Stream(Vec<String>),
    /// A stream whose pieces after the first wait for the test's release (see
    /// [`FakeModel::release`]), then `stop` and `[DONE]`.
    Gated(Vec<String>),
    /// These pieces, then the connection closes without a finish or `[DONE]`.
    Cut(Vec<String>),
    /// These pieces, then silence for a long time (a stalled model).
    Stall(Vec<String>),
    /// These pieces, then `finish_reason: length` and `[DONE]`.
    Length(Vec<String>),
    /// An error status with an optional `Retry-After` and an OpenAI-style error body.
    Status(u16, Option<&'static str>, &'static str),
    /// No answer for a long time.
    Hang,
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The path requested.
    pub path: String,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The JSON body.
    pub body: Value,
}

impl Recorded {
    /// The content of the message with this role.
    pub fn message(&self, role: &str) -> String {
        self.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["role"] == role)
            .and_then(|m| m["content"].as_str())
            .unwrap_or_default()
            .to_string()
    }
}

/// The server's shared state.
#[derive(Default)]
struct Shared {
    /// Requests so far.
    requests: Vec<Recorded>,
    /// Answers still to give.
    answers: VecDeque<Answer>,
}

/// The server, running until dropped.
pub struct FakeModel {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state.
    shared: Arc<Mutex<Shared>>,
    /// Releases the next piece of a gated stream.
    release: mpsc::UnboundedSender<()>,
    /// The runtime it runs on (dropping it stops the server).
    runtime: Option<tokio::runtime::Runtime>,
}

/// How long the server waits for a release before sending a gated piece anyway, so a test
/// that forgets to release fails on its assertions instead of hanging.
const GATE_PATIENCE: Duration = Duration::from_secs(10);

/// How long `Hang` and `Stall` stay silent: far beyond any test's client timeout.
const SILENCE: Duration = Duration::from_secs(30);

impl FakeModel {
    /// Starts a server on 127.0.0.1 with a port of its own.
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let (release, gate) = mpsc::unbounded_channel();
        let gate = Arc::new(tokio::sync::Mutex::new(gate));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/v1/chat/completions", post(answer))
            .with_state((shared.clone(), gate));
        runtime.spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeModel {
            addr,
            shared,
            release,
            runtime: Some(runtime),
        }
    }

    /// The base URL to configure: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Queues an answer.
    pub fn answer(&self, answer: Answer) {
        self.shared.lock().unwrap().answers.push_back(answer);
    }

    /// Lets the next piece of a gated stream go.
    pub fn release(&self) {
        let _ = self.release.send(());
    }

    /// The requests so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().unwrap().requests.clone()
    }
}

impl Drop for FakeModel {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

type AppState = (
    Arc<Mutex<Shared>>,
    Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<()>>>,
);

/// One streamed piece as the API sends it.
fn chunk(content: Option<&str>, finish: Option<&str>) -> Bytes {
    let delta = match content {
        Some(c) => json!({"role": "assistant", "content": c}),
        None => json!({}),
    };
    let piece = json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 1_769_504_400,
        "model": "fake",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    });
    Bytes::from(format!("data: {piece}\n\n"))
}

/// A streamed response fed by a channel.
fn stream_response(mut rx: mpsc::UnboundedReceiver<Bytes>) -> Response {
    let stream = futures_util::stream::poll_fn(move |cx| {
        rx.poll_recv(cx).map(|b| b.map(Ok::<Bytes, Infallible>))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(Body::from_stream(stream))
        .unwrap()
}

async fn answer(
    State((shared, gate)): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    body: Bytes,
) -> Response {
    let answer = {
        let mut s = shared.lock().unwrap();
        s.requests.push(Recorded {
            path: uri.path().to_string(),
            authorization: headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        });
        s.answers.pop_front()
    };
    let Some(answer) = answer else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "no answer queued").into_response();
    };
    let (tx, rx) = mpsc::unbounded_channel::<Bytes>();
    match answer {
        Answer::Whole(text) => {
            let body = json!({
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "model": "fake",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            });
            return (StatusCode::OK, axum::Json(body)).into_response();
        }
        Answer::Status(status, retry_after, message) => {
            let mut response = (
                StatusCode::from_u16(status).unwrap(),
                axum::Json(json!({"error": {"message": message, "type": "fake"}})),
            )
                .into_response();
            if let Some(r) = retry_after {
                response
                    .headers_mut()
                    .insert("retry-after", r.parse().unwrap());
            }
            return response;
        }
        Answer::Hang => {
            tokio::time::sleep(SILENCE).await;
            return (StatusCode::OK, "too late").into_response();
        }
        Answer::Stream(pieces) => {
            tokio::spawn(async move {
                for p in &pieces {
                    let _ = tx.send(chunk(Some(p), None));
                }
                let _ = tx.send(chunk(None, Some("stop")));
                let _ = tx.send(Bytes::from("data: [DONE]\n\n"));
            });
        }
        Answer::Length(pieces) => {
            tokio::spawn(async move {
                for p in &pieces {
                    let _ = tx.send(chunk(Some(p), None));
                }
                let _ = tx.send(chunk(None, Some("length")));
                let _ = tx.send(Bytes::from("data: [DONE]\n\n"));
            });
        }
        Answer::Gated(pieces) => {
            tokio::spawn(async move {
                let mut gate = gate.lock().await;
                for (i, p) in pieces.iter().enumerate() {
                    if i > 0 {
                        let _ = tokio::time::timeout(GATE_PATIENCE, gate.recv()).await;
                    }
                    let _ = tx.send(chunk(Some(p), None));
                }
                let _ = tx.send(chunk(None, Some("stop")));
                let _ = tx.send(Bytes::from("data: [DONE]\n\n"));
            });
        }
        Answer::Cut(pieces) => {
            // Every piece is sent, then the body ends: the sender is dropped.
            for p in &pieces {
                let _ = tx.send(chunk(Some(p), None));
            }
        }
        Answer::Stall(pieces) => {
            tokio::spawn(async move {
                for p in &pieces {
                    let _ = tx.send(chunk(Some(p), None));
                }
                tokio::time::sleep(SILENCE).await;
                drop(tx);
            });
        }
    }
    stream_response(rx)
}
