//! Slack over Socket Mode: the bot opens a websocket to Slack (`apps.connections.open` with
//! the app-level token gives its URL) and receives the same payloads as over HTTP, wrapped
//! in envelopes. Every envelope is acknowledged with its `envelope_id` (for slash commands
//! and modal submissions the ack carries the answer, as the HTTP response would). The
//! client reconnects when Slack sends `disconnect` (it does so before rotating a
//! connection) and when the socket drops; Slack redelivers envelopes that were not
//! acknowledged, and the desk's idempotency keys make a redelivery change nothing.

use std::future::Future;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::inbound::SlashCommand;
use super::{Ack, Inbound, Slack};

/// The longest wait between two failed attempts to connect.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// How a connection ended.
#[derive(Debug, PartialEq, Eq)]
enum Ended {
    /// Slack asked for a new connection, or the socket dropped after working.
    Reconnect,
    /// The connection never got Slack's `hello`.
    Failed,
}

/// Runs the Socket Mode client until `shutdown` completes.
pub async fn run(slack: Slack, shutdown: impl Future<Output = ()>) {
    tokio::select! {
        _ = connect_forever(slack) => {},
        _ = shutdown => {},
    }
}

async fn connect_forever(slack: Slack) {
    let mut failures: u32 = 0;
    loop {
        let ended = match slack.api().open_connection().await {
            Ok(url) => match tokio_tungstenite::connect_async(url.as_str()).await {
                Ok((socket, _)) => session(&slack, socket).await,
                Err(e) => {
                    // The error's text may hold the connection URL, which carries a ticket.
                    tracing::warn!(
                        error = socket_error(&e),
                        "could not open the Socket Mode websocket"
                    );
                    Ended::Failed
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "apps.connections.open failed");
                Ended::Failed
            }
        };
        match ended {
            Ended::Reconnect => {
                failures = 0;
                tracing::info!("reconnecting to Slack's Socket Mode");
            }
            Ended::Failed => {
                failures = failures.saturating_add(1);
                let wait = Duration::from_millis(500u64 << failures.min(6)).min(MAX_BACKOFF);
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// One connection: read envelopes, handle each on its own task, send acks through one
/// writer.
async fn session<S>(slack: &Slack, socket: tokio_tungstenite::WebSocketStream<S>) -> Ended
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sink, mut stream) = socket.split();
    let (acks, mut outgoing) = mpsc::unbounded_channel::<Message>();
    let writer = tokio::spawn(async move {
        while let Some(message) = outgoing.recv().await {
            if sink.send(message).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let mut greeted = false;
    while let Some(frame) = stream.next().await {
        let text = match frame {
            Ok(Message::Text(text)) => text,
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        };
        let Ok(envelope) = serde_json::from_str::<Value>(&text) else {
            tracing::warn!("unreadable Socket Mode message");
            continue;
        };
        let kind = envelope
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match kind {
            "hello" => greeted = true,
            "disconnect" => {
                let reason = envelope
                    .get("reason")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                tracing::info!(reason, "Slack asked to reconnect");
                greeted = true;
                break;
            }
            _ => {
                let Some(id) = envelope
                    .get("envelope_id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                else {
                    continue;
                };
                let payload = envelope.get("payload").cloned().unwrap_or(Value::Null);
                let inbound = match kind {
                    "slash_commands" => serde_json::from_value::<SlashCommand>(payload)
                        .ok()
                        .map(Inbound::Command),
                    "interactive" => Some(Inbound::Interaction(payload)),
                    "events_api" => Some(Inbound::Event(payload)),
                    _ => None,
                };
                let slack = slack.clone();
                let acks = acks.clone();
                tokio::spawn(async move {
                    let ack = match inbound {
                        Some(inbound) => slack.handle(inbound).await,
                        None => Ack::Empty,
                    };
                    let body = match ack {
                        Ack::Empty => json!({ "envelope_id": id }),
                        Ack::Json(payload) => json!({ "envelope_id": id, "payload": payload }),
                    };
                    let _ = acks.send(Message::Text(body.to_string()));
                });
            }
        }
    }
    drop(acks);
    writer.abort();
    if greeted {
        Ended::Reconnect
    } else {
        Ended::Failed
    }
}

/// A websocket error in words that never include the connection's URL.
fn socket_error(e: &tokio_tungstenite::tungstenite::Error) -> String {
    use tokio_tungstenite::tungstenite::Error;
    match e {
        Error::Io(io) => format!("I/O: {}", io.kind()),
        Error::Tls(_) => "TLS failure".into(),
        Error::Http(response) => format!("HTTP {}", response.status()),
        Error::Url(_) => "bad URL".into(),
        Error::ConnectionClosed | Error::AlreadyClosed => "connection closed".into(),
        Error::Protocol(p) => format!("protocol: {p}"),
        _ => "websocket failure".into(),
    }
}
