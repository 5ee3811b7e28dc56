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
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;

use super::inbound::{decode_payload, DecodeError};
use super::{Ack, Inbound, Slack};
use crate::health::Signal;

/// The longest wait between two failed attempts to connect.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// How a connection ended.
#[derive(Debug, PartialEq, Eq)]
enum Ended {
    /// Slack asked for a new connection, or the socket dropped after working.
    Reconnect,
    /// The connection never got Slack's `hello`.
    Failed,
    /// storydesk is shutting down: the envelopes received were answered and the socket
    /// closed.
    Stopped,
}

/// Runs the Socket Mode client until `shutdown` completes, reporting the connection's
/// state to `ready`.
///
/// When `shutdown` completes, no further envelope is read; the envelopes already received
/// are handled and acknowledged, then the websocket is closed with a close frame. An
/// envelope Slack sent that was not read is redelivered by Slack to the next connection.
/// The caller bounds how long this may take.
pub async fn run(slack: Slack, ready: Signal, shutdown: impl Future<Output = ()>) {
    let (stop, stopping) = watch::channel(false);
    let client = connect_forever(slack, ready.clone(), stopping);
    tokio::pin!(client);
    tokio::select! {
        _ = &mut client => return,
        _ = shutdown => {},
    }
    let _ = stop.send(true);
    client.await;
    ready.not_ready("stopped");
}

async fn connect_forever(slack: Slack, ready: Signal, mut stopping: watch::Receiver<bool>) {
    let mut failures: u32 = 0;
    loop {
        if *stopping.borrow_and_update() {
            return;
        }
        let ended = match slack.api().open_connection().await {
            Ok(url) => match tokio_tungstenite::connect_async(url.as_str()).await {
                Ok((socket, _)) => session(&slack, socket, &ready, stopping.clone()).await,
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
            Ended::Stopped => return,
            Ended::Reconnect => {
                failures = 0;
                ready.not_ready("disconnected: reconnecting");
                crate::telemetry::reconnect("slack_socket_mode");
                tracing::info!("reconnecting to Slack's Socket Mode");
            }
            Ended::Failed => {
                failures = failures.saturating_add(1);
                ready.not_ready("cannot connect: retrying");
                let wait = Duration::from_millis(500u64 << failures.min(6)).min(MAX_BACKOFF);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {},
                    _ = stopped(&mut stopping) => return,
                }
            }
        }
    }
}

/// One connection: read envelopes, handle each on its own task, send acks through one
/// writer.
async fn session<S>(
    slack: &Slack,
    socket: tokio_tungstenite::WebSocketStream<S>,
    ready: &Signal,
    mut stopping: watch::Receiver<bool>,
) -> Ended
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sink, mut stream) = socket.split();
    let (acks, mut outgoing) = mpsc::unbounded_channel::<Message>();
    let mut writer = tokio::spawn(async move {
        while let Some(message) = outgoing.recv().await {
            if sink.send(message).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let mut greeted = false;
    loop {
        let frame = tokio::select! {
            frame = stream.next() => frame,
            _ = stopped(&mut stopping) => {
                // Answer what was received, then close: the writer ends once every
                // envelope's task has sent its ack and let go of its sender.
                drop(acks);
                let _ = (&mut writer).await;
                return Ended::Stopped;
            }
        };
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
            Some(Ok(_)) => continue,
        };
        let message = match decode_message(&text) {
            Ok(m) => m,
            Err(why) => {
                tracing::warn!(reason = %why, "unreadable Socket Mode message");
                continue;
            }
        };
        match message {
            SocketMessage::Hello => {
                greeted = true;
                ready.ready("connected");
            }
            SocketMessage::Disconnect { reason } => {
                tracing::info!(reason, "Slack asked to reconnect");
                greeted = true;
                break;
            }
            SocketMessage::Other => {}
            SocketMessage::Envelope { id, inbound } => {
                let label = match &inbound {
                    Ok(Inbound::Command(_)) => "command",
                    Ok(Inbound::Interaction(_)) => "interaction",
                    Ok(Inbound::Event(_)) => "event",
                    Err(_) => "other",
                };
                let slack = slack.clone();
                let acks = acks.clone();
                tokio::spawn(async move {
                    let ack = match inbound {
                        Ok(inbound) => slack.handle(inbound).await,
                        Err(why) => {
                            tracing::info!(reason = %why, "acknowledged an envelope storydesk does not take");
                            Ack::Empty
                        }
                    };
                    let body = match ack {
                        Ack::Empty => json!({ "envelope_id": id }),
                        Ack::Json(payload) => json!({ "envelope_id": id, "payload": payload }),
                    };
                    let sent = acks.send(Message::Text(body.to_string())).is_ok();
                    let status = if sent { "ok" } else { "failed" };
                    crate::telemetry::inbound("slack", "socket_mode", label, status);
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

/// One message from Slack over the websocket.
#[derive(Debug)]
pub enum SocketMessage {
    /// `hello`: the connection is ready.
    Hello,
    /// `disconnect`: Slack asks for a new connection.
    Disconnect {
        /// Why (`refresh_requested`, `link_disabled`, …).
        reason: String,
    },
    /// An envelope to acknowledge, with its payload decoded, or why it could not be (it is
    /// acknowledged all the same, or Slack would send it again).
    Envelope {
        /// The `envelope_id` the ack must carry.
        id: String,
        /// The payload.
        inbound: Result<Inbound, DecodeError>,
    },
    /// Anything else without an envelope id: nothing to do.
    Other,
}

/// Decodes one text frame from Slack's websocket. Never panics, whatever the text.
pub fn decode_message(text: &str) -> Result<SocketMessage, DecodeError> {
    let mut message: Value = serde_json::from_str(text).map_err(|_| DecodeError::Json)?;
    let Some(object) = message.as_object_mut() else {
        return Err(DecodeError::Shape("Socket Mode message"));
    };
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    match kind.as_str() {
        "hello" => return Ok(SocketMessage::Hello),
        "disconnect" => {
            let reason = object
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            return Ok(SocketMessage::Disconnect { reason });
        }
        _ => {}
    }
    let Some(id) = object
        .get("envelope_id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_string)
    else {
        return Ok(SocketMessage::Other);
    };
    let payload = object.remove("payload").unwrap_or(Value::Null);
    Ok(SocketMessage::Envelope {
        id,
        inbound: decode_payload(&kind, payload),
    })
}

/// Completes once `stopping` turns true.
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    let _ = stopping.wait_for(|s| *s).await;
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
