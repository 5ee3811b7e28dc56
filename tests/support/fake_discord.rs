//! A fake Discord on 127.0.0.1: the REST API (recording every call, answering like Discord,
//! with scripted refusals and 429s), a gateway websocket (HELLO, IDENTIFY, READY, heartbeat
//! acks, dispatches), and a CDN for attachments. Optionally over TLS, for serenity's own
//! ratelimiter, which only talks to https://discord.com.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// The bot's user id.
pub const BOT: u64 = 900_000_000_000_000_001;
/// The application id.
pub const APP: u64 = 900_000_000_000_000_002;
/// The guild.
pub const GUILD: u64 = 900_000_000_000_000_100;
/// The newsroom channel.
pub const NEWSROOM: u64 = 900_000_000_000_000_200;
/// The publishing channel, found by its name `published`.
pub const PUBLISHED: u64 = 900_000_000_000_000_300;

/// One REST call as the fake received it.
#[derive(Debug, Clone)]
pub struct Call {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path after `/api/v10`.
    pub path: String,
    /// The JSON body (for multipart, the `payload_json` part), or null.
    pub body: Value,
    /// The status the fake answered.
    pub status: u16,
}

/// A scripted answer for the next call matching a method and path.
#[derive(Debug, Clone)]
struct Scripted {
    method: String,
    path: String,
    /// Skip this many matching calls first.
    after: usize,
    status: u16,
    code: i64,
    headers: Vec<(String, String)>,
}

#[derive(Default)]
struct State_ {
    calls: Vec<Call>,
    /// Whether the test has looked at each call (through any accessor), by index.
    read: Vec<bool>,
    next_id: u64,
    scripted: VecDeque<Scripted>,
    forbidden_channels: Vec<u64>,
    archived_threads: Vec<u64>,
    files: HashMap<String, Vec<u8>>,
    /// Message id → content, for the board's edits.
    contents: HashMap<u64, String>,
    message_content_granted: bool,
    identify: Option<Value>,
    /// When set, REST calls must carry `Authorization: Bot {token}`, else 401.
    required_token: Option<String>,
    /// Gateway connections accepted so far.
    connections: usize,
    /// RESUMEs received so far.
    resumes: usize,
}

/// The fake.
#[derive(Clone)]
pub struct FakeDiscord {
    state: Arc<Mutex<State_>>,
    /// Where REST (and the CDN) listens: `http://` or, with TLS, `https://` on this address.
    pub rest: SocketAddr,
    /// Where the gateway listens (`ws://`).
    pub gateway: SocketAddr,
    dispatch: mpsc::UnboundedSender<(String, Value)>,
    tls: bool,
}

impl FakeDiscord {
    /// A fake serving plain HTTP (for `STORYDESK_DISCORD_API_URL`-style proxy use).
    pub async fn start() -> FakeDiscord {
        Self::start_with(None).await
    }

    /// A fake serving TLS with `cert` (for `https://discord.com` resolved to it).
    pub async fn start_tls(cert: &rcgen::CertifiedKey<rcgen::KeyPair>) -> FakeDiscord {
        Self::start_with(Some(cert)).await
    }

    async fn start_with(cert: Option<&rcgen::CertifiedKey<rcgen::KeyPair>>) -> FakeDiscord {
        let state = Arc::new(Mutex::new(State_ {
            next_id: 1_000_000_000_000_000_000,
            ..Default::default()
        }));
        let rest_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        let fake = FakeDiscord {
            state: state.clone(),
            rest: rest_listener.local_addr().unwrap(),
            gateway: gateway_listener.local_addr().unwrap(),
            dispatch: tx,
            tls: cert.is_some(),
        };
        let app = Router::new().fallback(rest).with_state(fake.clone());
        match cert {
            None => {
                tokio::spawn(async move {
                    axum::serve(rest_listener, app).await.unwrap();
                });
            }
            Some(cert) => {
                let listener = TlsListener::new(rest_listener, cert);
                tokio::spawn(async move {
                    axum::serve(listener, app).await.unwrap();
                });
            }
        }
        tokio::spawn(gateway(gateway_listener, fake.clone(), rx));
        fake
    }

    /// Asks the connected client to reconnect (op 7), as Discord does before it moves a
    /// session; the client then resumes it.
    pub fn request_reconnect(&self) {
        let _ = self.dispatch.send(("__op7".into(), Value::Null));
    }

    /// Gateway connections and RESUMEs so far.
    pub fn gateway_counts(&self) -> (usize, usize) {
        let s = self.state.lock().unwrap();
        (s.connections, s.resumes)
    }

    /// Answers 401 to REST calls that do not carry this bot token.
    pub fn require_token(&self, token: &str) {
        self.state.lock().unwrap().required_token = Some(token.to_string());
    }

    /// The base URL of REST: what `STORYDESK_DISCORD_API_URL` would be.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.rest)
    }

    /// Every call so far (all of them count as read).
    pub fn calls(&self) -> Vec<Call> {
        self.calls_where(|_| true)
    }

    /// The calls `pred` picks, which count as read from now on.
    fn calls_where(&self, pred: impl Fn(&Call) -> bool) -> Vec<Call> {
        let mut s = self.state.lock().unwrap();
        let s = &mut *s;
        let mut out = Vec::new();
        for (call, read) in s.calls.iter().zip(s.read.iter_mut()) {
            if pred(call) {
                *read = true;
                out.push(call.clone());
            }
        }
        out
    }

    /// Calls with this method whose path matches `pred`.
    pub fn calls_to(&self, method: &str, pred: impl Fn(&str) -> bool) -> Vec<Call> {
        self.calls_where(|c| c.method == method && pred(&c.path))
    }

    /// Messages posted (and accepted) in a channel, in order.
    pub fn posted_in(&self, channel: u64) -> Vec<Call> {
        let path = format!("/channels/{channel}/messages");
        self.calls_where(|c| c.method == "POST" && c.path == path && c.status == 200)
    }

    /// Answers the bot gave that the test never looked at: followups and edited first
    /// answers (with text) that no accessor returned.
    pub fn unread(&self) -> Vec<String> {
        let s = self.state.lock().unwrap();
        s.calls
            .iter()
            .zip(&s.read)
            .filter(|(c, read)| !**read && says_something(c))
            .map(|(c, _)| {
                let text = c.body["content"].as_str().unwrap_or_default();
                format!(
                    "{} {}: {}",
                    c.method,
                    c.path,
                    text.chars().take(120).collect::<String>()
                )
            })
            .collect()
    }

    /// Wait (up to 20 s, a guard against hanging) until `pred` holds for the calls. Waiting
    /// reads nothing: look at what matters with the other accessors.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&[Call]) -> bool) -> Vec<Call> {
        for _ in 0..400 {
            let calls = self.state.lock().unwrap().calls.clone();
            if pred(&calls) {
                return calls;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the fake Discord never saw {what}; calls:\n{}",
            self.state
                .lock()
                .unwrap()
                .calls
                .clone()
                .iter()
                .map(|c| format!("{} {} {} {}", c.status, c.method, c.path, c.body))
                .collect::<Vec<_>>()
                .join("\n")
        )
    }

    /// Serve a file from the fake CDN; returns its URL.
    pub fn serve_file(&self, name: &str, bytes: &[u8]) -> String {
        self.state
            .lock()
            .unwrap()
            .files
            .insert(name.to_string(), bytes.to_vec());
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}/attachments/{name}", self.rest)
    }

    /// Answer the next call to `method path` (after skipping `after` of them) with `status`,
    /// Discord error `code` and extra headers.
    pub fn script(
        &self,
        method: &str,
        path: &str,
        after: usize,
        status: u16,
        code: i64,
        headers: &[(&str, &str)],
    ) {
        self.state.lock().unwrap().scripted.push_back(Scripted {
            method: method.into(),
            path: path.into(),
            after,
            status,
            code,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        });
    }

    /// Refuse every message in `channel` with 403 Missing Permissions.
    pub fn forbid(&self, channel: u64) {
        self.state.lock().unwrap().forbidden_channels.push(channel);
    }

    /// Stop refusing messages in `channel`.
    pub fn allow(&self, channel: u64) {
        self.state
            .lock()
            .unwrap()
            .forbidden_channels
            .retain(|c| *c != channel);
    }

    /// Refuse messages in a thread as archived and locked.
    pub fn archive(&self, thread: u64) {
        self.state.lock().unwrap().archived_threads.push(thread);
    }

    /// Whether the application has the Message Content intent.
    pub fn grant_message_content(&self, granted: bool) {
        self.state.lock().unwrap().message_content_granted = granted;
    }

    /// The IDENTIFY the gateway received.
    pub fn identify(&self) -> Option<Value> {
        self.state.lock().unwrap().identify.clone()
    }

    /// The current content of a message (after edits).
    pub fn content(&self, message: u64) -> Option<String> {
        self.state.lock().unwrap().contents.get(&message).cloned()
    }

    /// Dispatch a gateway event to the connected client.
    pub fn dispatch(&self, event: &str, data: Value) {
        self.dispatch.send((event.to_string(), data)).unwrap();
    }

    fn next_id(&self) -> u64 {
        let mut s = self.state.lock().unwrap();
        s.next_id += 1;
        s.next_id
    }
}

/// The id of the fake's direct-message channel with `user`.
pub fn dm_channel(user: u64) -> u64 {
    user + 100_000
}

/// A message as Discord returns it.
pub fn message_json(id: u64, channel: u64, content: &str) -> Value {
    json!({
        "id": id.to_string(),
        "channel_id": channel.to_string(),
        "author": {"id": BOT.to_string(), "username": "storydesk", "discriminator": "0000",
                   "avatar": null, "bot": true, "global_name": null},
        "content": content,
        "timestamp": "2026-11-29T09:00:00.000000+00:00",
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": false,
        "type": 0,
        "flags": 0,
        "components": []
    })
}

fn channel_json(id: u64, name: &str, kind: u8, parent: Option<u64>) -> Value {
    json!({
        "id": id.to_string(),
        "type": kind,
        "guild_id": GUILD.to_string(),
        "name": name,
        "parent_id": parent.map(|p| p.to_string()),
        "thread_metadata": if kind == 11 {
            json!({"archived": false, "auto_archive_duration": 10080, "archive_timestamp": "2026-11-29T09:00:00.000000+00:00", "locked": false})
        } else { Value::Null },
    })
}

fn error(status: u16, code: i64, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({"code": code, "message": message})),
    )
        .into_response()
}

/// The JSON of a request body: plain JSON, or the `payload_json` part of a multipart body.
fn body_json(headers: &HeaderMap, body: &[u8]) -> Value {
    let ctype = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Some(boundary) = ctype.split("boundary=").nth(1) {
        let text = String::from_utf8_lossy(body);
        let delimiter = format!("--{boundary}");
        let mut out = json!({});
        let mut files = Vec::new();
        for part in text.split(&delimiter) {
            let Some((head, content)) = part.split_once("\r\n\r\n") else {
                continue;
            };
            let content = content.trim_end_matches("\r\n");
            if head.contains("name=\"payload_json\"") {
                out = serde_json::from_str(content).unwrap_or(Value::Null);
            } else if head.contains("filename=") {
                files.push(Value::String(content.to_string()));
            }
        }
        if let Value::Object(map) = &mut out {
            map.insert("__files".into(), Value::Array(files));
        }
        return out;
    }
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

async fn rest(
    State(fake): State<FakeDiscord>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let raw_path = uri.path().to_string();
    if let Some(name) = raw_path.strip_prefix("/attachments/") {
        let file = fake.state.lock().unwrap().files.get(name).cloned();
        return match file {
            Some(bytes) => bytes.into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        };
    }
    let path = raw_path
        .strip_prefix("/api/v10")
        .unwrap_or(&raw_path)
        .to_string();
    let json = body_json(&headers, &body);
    let required = fake.state.lock().unwrap().required_token.clone();
    let authorised = required.is_none_or(|token| {
        headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == format!("Bot {token}"))
    });
    let (response, status) = if authorised {
        answer(&fake, method.as_str(), &path, &json)
    } else {
        (error(401, 0, "401: Unauthorized"), 401)
    };
    let mut s = fake.state.lock().unwrap();
    s.calls.push(Call {
        method: method.to_string(),
        path,
        body: json,
        status,
    });
    s.read.push(false);
    response
}

/// A call by which the bot answers the person who asked (a followup or the edited first
/// answer of an interaction) with text. Boards and thread posts are effects a scenario
/// may leave aside; an answer may be a refusal, and one nobody read hides it.
fn says_something(c: &Call) -> bool {
    let answer = c.path.starts_with("/webhooks/");
    let text = c.body["content"]
        .as_str()
        .is_some_and(|t| !t.trim().is_empty());
    (200..300).contains(&c.status) && (c.method == "POST" || c.method == "PATCH") && answer && text
}

fn answer(fake: &FakeDiscord, method: &str, path: &str, body: &Value) -> (Response, u16) {
    // Scripted answers first.
    {
        let mut s = fake.state.lock().unwrap();
        let hit = s
            .scripted
            .iter()
            .position(|x| x.method == method && x.path == path);
        if let Some(i) = hit {
            if s.scripted[i].after > 0 {
                s.scripted[i].after -= 1;
            } else {
                let x = s.scripted.remove(i).unwrap();
                let mut response = error(x.status, x.code, "scripted");
                for (k, v) in &x.headers {
                    response.headers_mut().insert(
                        axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                        v.parse().unwrap(),
                    );
                }
                return (response, x.status);
            }
        }
    }
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let ok = |v: Value| (axum::Json(v).into_response(), 200);
    match (method, parts.as_slice()) {
        ("GET", ["gateway"]) => ok(json!({"url": format!("ws://{}", fake.gateway)})),
        ("GET", ["gateway", "bot"]) => ok(json!({
            "url": format!("ws://{}", fake.gateway), "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        })),
        ("GET", ["applications", "@me"]) | ("GET", ["oauth2", "applications", "@me"]) => {
            let flags = if fake.state.lock().unwrap().message_content_granted {
                1 << 18
            } else {
                0
            };
            ok(json!({
                "id": APP.to_string(), "name": "storydesk", "description": "", "icon": null,
                "bot_public": false, "bot_require_code_grant": false, "verify_key": "00",
                "flags": flags
            }))
        }
        ("GET", ["users", "@me"]) => ok(json!({
            "id": BOT.to_string(), "username": "storydesk", "global_name": null,
            "discriminator": "0", "avatar": null, "bot": true, "verified": true,
            "mfa_enabled": false, "flags": 0, "public_flags": 0
        })),
        ("POST", ["interactions", _, _, "callback"]) => {
            (StatusCode::NO_CONTENT.into_response(), 204)
        }
        ("PATCH", ["webhooks", _, _, "messages", "@original"]) => {
            let id = fake.next_id();
            ok(message_json(
                id,
                NEWSROOM,
                body["content"].as_str().unwrap_or_default(),
            ))
        }
        ("DELETE", ["webhooks", _, _, "messages", "@original"]) => {
            (StatusCode::NO_CONTENT.into_response(), 204)
        }
        ("POST", ["webhooks", _, _]) => {
            let id = fake.next_id();
            ok(message_json(
                id,
                NEWSROOM,
                body["content"].as_str().unwrap_or_default(),
            ))
        }
        ("POST", ["channels", channel, "messages"]) => {
            let channel: u64 = channel.parse().unwrap_or(0);
            {
                let s = fake.state.lock().unwrap();
                if s.forbidden_channels.contains(&channel) {
                    return (error(403, 50013, "Missing Permissions"), 403);
                }
                if s.archived_threads.contains(&channel) {
                    return (error(400, 50083, "Thread is archived"), 400);
                }
            }
            let content = body["content"].as_str().unwrap_or_default();
            if content.chars().count() > 2000 {
                return (error(400, 50035, "Invalid Form Body"), 400);
            }
            let id = fake.next_id();
            fake.state
                .lock()
                .unwrap()
                .contents
                .insert(id, content.to_string());
            ok(message_json(id, channel, content))
        }
        ("PATCH", ["channels", channel, "messages", message]) => {
            let (channel, message): (u64, u64) =
                (channel.parse().unwrap_or(0), message.parse().unwrap_or(0));
            // An edit without `content` keeps the message's text (only its buttons change).
            let content = body["content"].as_str();
            let current = {
                let mut s = fake.state.lock().unwrap();
                match (s.contents.get(&message).cloned(), content) {
                    (None, _) => None,
                    (Some(_), Some(new)) => {
                        s.contents.insert(message, new.to_string());
                        Some(new.to_string())
                    }
                    (Some(old), None) => Some(old),
                }
            };
            let Some(content) = current else {
                return (error(404, 10008, "Unknown Message"), 404);
            };
            ok(message_json(message, channel, &content))
        }
        ("DELETE", ["channels", _, "messages", message]) => {
            let message: u64 = message.parse().unwrap_or(0);
            fake.state.lock().unwrap().contents.remove(&message);
            (StatusCode::NO_CONTENT.into_response(), 204)
        }
        ("POST", ["channels", channel, "messages", _, "threads"]) => {
            let channel: u64 = channel.parse().unwrap_or(0);
            let id = fake.next_id();
            let name = body["name"].as_str().unwrap_or("thread");
            (
                (
                    StatusCode::CREATED,
                    axum::Json(channel_json(id, name, 11, Some(channel))),
                )
                    .into_response(),
                201,
            )
        }
        ("POST", ["users", "@me", "channels"]) => {
            // The DM channel with the recipient: always the same one for a person.
            let user: u64 = body["recipient_id"]
                .as_str()
                .and_then(|id| id.parse().ok())
                .unwrap_or(0);
            ok(json!({
                "id": dm_channel(user).to_string(), "type": 1, "last_message_id": null,
                "flags": 0,
                "recipients": [{
                    "id": user.to_string(), "username": "person", "global_name": null,
                    "discriminator": "0", "avatar": null, "public_flags": 0
                }]
            }))
        }
        ("GET", ["guilds", _, "channels"]) => ok(json!([
            channel_json(NEWSROOM, "newsroom", 0, None),
            channel_json(PUBLISHED, "published", 0, None),
        ])),
        ("PUT", ["applications", _, "commands"])
        | ("PUT", ["applications", _, "guilds", _, "commands"]) => {
            let commands: Vec<Value> = body
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|mut c| {
                    c["id"] = json!("900000000000000900");
                    c["application_id"] = json!(APP.to_string());
                    c["version"] = json!("1");
                    c["default_member_permissions"] = Value::Null;
                    c
                })
                .collect();
            ok(Value::Array(commands))
        }
        _ => (error(404, 0, "404: Not Found"), 404),
    }
}

/// The gateway: one connection at a time.
async fn gateway(
    listener: TcpListener,
    fake: FakeDiscord,
    mut events: mpsc::UnboundedReceiver<(String, Value)>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
            continue;
        };
        fake.state.lock().unwrap().connections += 1;
        let hello = json!({"op": 10, "d": {"heartbeat_interval": 41250}});
        if ws.send(WsMessage::Text(hello.to_string())).await.is_err() {
            continue;
        }
        let mut seq = 1u64;
        let mut ready = false;
        loop {
            tokio::select! {
                frame = ws.next() => {
                    let Some(Ok(frame)) = frame else { break };
                    let WsMessage::Text(text) = frame else { continue };
                    let Ok(payload) = serde_json::from_str::<Value>(&text) else { continue };
                    match payload["op"].as_u64() {
                        Some(2) => {
                            fake.state.lock().unwrap().identify = Some(payload["d"].clone());
                            let flags = if fake.state.lock().unwrap().message_content_granted { 1 << 18 } else { 0 };
                            let ready_event = json!({"op": 0, "s": seq, "t": "READY", "d": {
                                "v": 10,
                                "user": {"id": BOT.to_string(), "username": "storydesk", "discriminator": "0000",
                                         "avatar": null, "bot": true, "verified": true, "mfa_enabled": false,
                                         "flags": 0, "global_name": null},
                                "guilds": [{"id": GUILD.to_string(), "unavailable": true}],
                                "session_id": "fake-session",
                                "resume_gateway_url": format!("ws://{}", fake.gateway),
                                "shard": [0, 1],
                                "application": {"id": APP.to_string(), "flags": flags}
                            }});
                            seq += 1;
                            if ws.send(WsMessage::Text(ready_event.to_string())).await.is_err() { break; }
                            ready = true;
                        }
                        Some(1) => {
                            let ack = ws.send(WsMessage::Text(json!({"op": 11}).to_string())).await;
                            if ack.is_err() { break; }
                        }
                        Some(6) => {
                            fake.state.lock().unwrap().resumes += 1;
                            let resumed = json!({"op": 0, "s": seq, "t": "RESUMED", "d": {}});
                            seq += 1;
                            if ws.send(WsMessage::Text(resumed.to_string())).await.is_err() { break; }
                            ready = true;
                        }
                        _ => {}
                    }
                }
                event = events.recv(), if ready => {
                    let Some((name, data)) = event else { return };
                    if name == "__op7" {
                        // Ask for a reconnect, then close this connection as Discord does,
                        // so the client's new one is accepted.
                        let _ = ws.send(WsMessage::Text(json!({"op": 7, "d": null}).to_string())).await;
                        let _ = ws.close(None).await;
                        break;
                    }
                    let frame = json!({"op": 0, "s": seq, "t": name, "d": data});
                    seq += 1;
                    if ws.send(WsMessage::Text(frame.to_string())).await.is_err() { break; }
                }
            }
        }
    }
}

/// A TCP listener that speaks TLS with one certificate.
struct TlsListener {
    tcp: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl TlsListener {
    fn new(tcp: TcpListener, cert: &rcgen::CertifiedKey<rcgen::KeyPair>) -> Self {
        use tokio_rustls::rustls;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.cert.der().clone()], key)
            .unwrap();
        TlsListener {
            tcp,
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// A certificate for discord.com, and a reqwest client that resolves discord.com to `addr`
/// and trusts that certificate.
pub fn discord_com_cert() -> rcgen::CertifiedKey<rcgen::KeyPair> {
    rcgen::generate_simple_self_signed(vec!["discord.com".to_string()]).unwrap()
}

/// A reqwest client that sends https://discord.com to the fake and trusts its certificate.
pub fn client_for(
    fake: &FakeDiscord,
    cert: &rcgen::CertifiedKey<rcgen::KeyPair>,
) -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_der(cert.cert.der()).unwrap())
        .resolve("discord.com", fake.rest)
        .build()
        .unwrap()
}
