//! A fake Slack on 127.0.0.1: the Web API (every call recorded; `ts` handed out like
//! Slack's; 429 answers on demand, from the recorded real answer; 5xx answers and slow
//! answers on demand, before or after the call took effect; `conversations.history` over the
//! messages posted, with their metadata as Slack keeps it), private file downloads,
//! `response_url`s, and a Socket Mode websocket server that sends envelopes, collects acks,
//! and can drop the connection or ask the client to reconnect.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};
use tokio_tungstenite::tungstenite::Message;

/// The time zone every person's Slack profile gives (`users.info` `tz`).
pub const USER_ZONE: &str = "Europe/Berlin";

pub const BOT_TOKEN: &str = "xoxb-fake-bot-token";
pub const APP_TOKEN: &str = "xapp-fake-app-token";

/// The real 429 answer recorded from Slack's SDK tests.
const RATELIMITED: &str = include_str!("../fixtures/slack/ratelimited_429.python-slack-sdk.http");

/// One recorded Web API call.
#[derive(Debug, Clone)]
pub struct Call {
    /// The method (`chat.postMessage`), `response_url` or `download`.
    pub method: String,
    /// Its arguments (JSON body, or the form as a JSON object).
    pub body: Value,
    /// The `ts` the fake gave a posted message.
    pub ts: Option<String>,
    /// True when the fake answered 429 instead (or refused it, or failed before acting).
    pub rate_limited: bool,
    /// The HTTP status answered (a 500 may follow a call that took effect).
    pub status: u16,
}

impl Call {
    /// The call's channel.
    pub fn channel(&self) -> &str {
        self.body["channel"].as_str().unwrap_or_default()
    }

    /// The thread it was posted in.
    pub fn thread(&self) -> Option<&str> {
        self.body["thread_ts"].as_str()
    }

    /// All block text of a message, joined by newlines.
    pub fn text(&self) -> String {
        let mut out = Vec::new();
        collect_text(&self.body["blocks"], &mut out);
        if out.is_empty() {
            if let Some(t) = self.body["text"].as_str() {
                out.push(t.to_string());
            }
        }
        out.join("\n")
    }

    /// The `value` of the button with `action_id`, if the message has one.
    pub fn button(&self, action_id: &str) -> Option<String> {
        self.body["blocks"]
            .as_array()?
            .iter()
            .filter(|b| b["type"] == "actions")
            .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
            .find(|e| e["action_id"] == action_id)
            .and_then(|e| e["value"].as_str().map(str::to_string))
    }
}

fn collect_text(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("text", Value::String(s)) => out.push(s.clone()),
                    _ => collect_text(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_text(i, out)),
        _ => {}
    }
}

/// A shared file the fake serves.
#[derive(Clone)]
struct FakeFile {
    info: Value,
    bytes: Vec<u8>,
}

#[derive(Default)]
struct State0 {
    calls: Vec<Call>,
    /// Whether the test has looked at each call (through an accessor), by index.
    read: Vec<bool>,
    next_ts: u64,
    files: HashMap<String, FakeFile>,
    users: HashMap<String, String>,
    /// User group id → its members' user ids, for `usergroups.users.list`.
    groups: HashMap<String, Vec<String>>,
    /// `(method, channel)` → how many of the next matching calls get a 429.
    rate_limits: Vec<(String, Option<String>, usize, usize)>,
    /// `(method, channel, error, count)`: the next `count` matching calls get `error`.
    refusals: Vec<(String, String, String, usize)>,
    /// The bot token the fake accepts (BOT_TOKEN unless set otherwise).
    bot_token: String,
    /// Methods whose calls are never answered.
    stalled: Vec<String>,
    /// Faults for the next matching calls: `(method, channel, skip, count, fault)`.
    faults: Vec<(String, Option<String>, usize, usize, Fault)>,
}

/// A fault the fake can put on a call.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// Acts on the call (a message is posted), then answers this 5xx status.
    FailAfter(u16),
    /// Answers this 5xx status without acting on the call.
    FailBefore(u16),
    /// Acts on the call, then answers only after this long.
    Slow(Duration),
    /// Refuses the call with Slack's error code, without acting on it.
    Refuse(&'static str),
}

/// The fake Web API.
#[derive(Clone)]
pub struct FakeSlack {
    /// Where it listens.
    pub addr: SocketAddr,
    state: Arc<Mutex<State0>>,
    changed: Arc<Notify>,
    /// The Socket Mode server.
    pub socket: SocketServer,
}

type Shared = (Arc<Mutex<State0>>, Arc<Notify>, SocketAddr, u16);

impl FakeSlack {
    /// Starts the fake on loopback.
    pub async fn start() -> FakeSlack {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener).await
    }

    /// Starts the fake on `addr` (a loopback address found free a moment ago).
    pub async fn start_at(addr: SocketAddr) -> FakeSlack {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        Self::serve(listener).await
    }

    async fn serve(listener: tokio::net::TcpListener) -> FakeSlack {
        let socket = SocketServer::start().await;
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State0 {
            // Slack's `ts` is the time of posting (seconds, then a sequence): handed out
            // from the current time in microseconds, always increasing.
            next_ts: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_micros() as u64)
                .unwrap_or(1_700_000_000_000_100),
            bot_token: BOT_TOKEN.to_string(),
            ..Default::default()
        }));
        let changed = Arc::new(Notify::new());
        let shared: Shared = (state.clone(), changed.clone(), addr, socket.port);
        let app = Router::new()
            .route("/api/{method}", post(api))
            .route("/files/{id}", get(download))
            .route("/response/{id}", post(response_url))
            .with_state(shared);
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeSlack {
            addr,
            state,
            changed,
            socket,
        }
    }

    /// The Web API base URL to give storydesk.
    pub fn api_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// A `response_url` on the fake.
    pub fn response_url(&self, id: &str) -> String {
        format!("http://{}/response/{id}", self.addr)
    }

    /// Makes the next `count` calls of `method` (to `channel`, if given), after `skip`
    /// successful ones, answer 429 with `Retry-After: 1`.
    pub fn rate_limit(&self, method: &str, channel: Option<&str>, skip: usize, count: usize) {
        self.state.lock().unwrap().rate_limits.push((
            method.to_string(),
            channel.map(str::to_string),
            skip,
            count,
        ));
    }

    /// Makes the next `count` calls of `method` to `channel` (`*`: any, or none) fail with
    /// Slack's `error`.
    pub fn refuse(&self, method: &str, channel: &str, error: &str, count: usize) {
        self.state.lock().unwrap().refusals.push((
            method.to_string(),
            channel.to_string(),
            error.to_string(),
            count,
        ));
    }

    /// Accepts `token` as the bot token instead of BOT_TOKEN.
    pub fn set_bot_token(&self, token: &str) {
        self.state.lock().unwrap().bot_token = token.to_string();
    }

    /// Puts `fault` on the next `count` calls of `method` (to `channel`, if given), after
    /// `skip` that go through unharmed.
    pub fn fault(
        &self,
        method: &str,
        channel: Option<&str>,
        skip: usize,
        count: usize,
        fault: Fault,
    ) {
        self.state.lock().unwrap().faults.push((
            method.to_string(),
            channel.map(str::to_string),
            skip,
            count,
            fault,
        ));
    }

    /// Calls of `method` that reached the fake, whatever it answered.
    pub fn attempts_of(&self, method: &str) -> usize {
        self.snapshot()
            .iter()
            .filter(|c| c.method == method)
            .count()
    }

    /// Never answers calls of `method` (they are recorded, then left hanging).
    pub fn stall(&self, method: &str) {
        self.state.lock().unwrap().stalled.push(method.to_string());
    }

    /// Shares a file the bot can read.
    pub fn add_file(&self, id: &str, name: &str, mimetype: &str, filetype: &str, bytes: &[u8]) {
        let info = json!({
            "id": id,
            "name": name,
            "size": bytes.len(),
            "mimetype": mimetype,
            "filetype": filetype,
            "url_private_download": format!("http://{}/files/{id}", self.addr),
        });
        self.state.lock().unwrap().files.insert(
            id.to_string(),
            FakeFile {
                info,
                bytes: bytes.to_vec(),
            },
        );
    }

    /// A person in the workspace, for `users.info` (whose profile's zone is [`USER_ZONE`]).
    pub fn add_user(&self, id: &str, name: &str) {
        self.state
            .lock()
            .unwrap()
            .users
            .insert(id.to_string(), name.to_string());
    }

    /// A user group and its members, for `usergroups.users.list` (replacing any earlier
    /// member list, as when an admin edits the group).
    pub fn set_group(&self, id: &str, members: &[&str]) {
        self.state.lock().unwrap().groups.insert(
            id.to_string(),
            members.iter().map(|m| m.to_string()).collect(),
        );
    }

    /// Every call so far (all of them count as read).
    pub fn calls(&self) -> Vec<Call> {
        self.calls_where(|_| true)
    }

    /// Every call so far, without counting them as read (for waiting).
    fn snapshot(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
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

    /// Successful calls of one method.
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.calls_where(|c| c.method == method && !c.rate_limited)
    }

    /// Messages posted (successfully) to `channel`, in order.
    pub fn posts_in(&self, channel: &str) -> Vec<Call> {
        self.calls_where(|c| {
            c.method == "chat.postMessage" && !c.rate_limited && c.channel() == channel
        })
    }

    /// Answers the bot gave the person who asked (ephemeral messages, `response_url`
    /// posts) that the test never looked at: one nobody read may be a refusal nobody
    /// noticed.
    pub fn unread(&self) -> Vec<String> {
        let s = self.state.lock().unwrap();
        s.calls
            .iter()
            .zip(&s.read)
            .filter(|(c, read)| {
                !**read
                    && !c.rate_limited
                    && (c.method == "chat.postEphemeral" || c.method == "response_url")
                    && !c.text().trim().is_empty()
            })
            .map(|(c, _)| {
                format!(
                    "{}: {}",
                    c.method,
                    c.text().chars().take(120).collect::<String>()
                )
            })
            .collect()
    }

    /// Waits until `check` finds what it looks for in the calls, and returns it. Fails the
    /// test after 20 seconds with `what` (a liveness bound, not a speed assertion).
    pub async fn wait<T>(&self, what: &str, check: impl Fn(&[Call]) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let notified = self.changed.notified();
            if let Some(found) = check(&self.snapshot()) {
                return found;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let calls: Vec<String> = self
                    .snapshot()
                    .iter()
                    .map(|c| {
                        format!(
                            "{} {} {:?}",
                            c.method,
                            c.channel(),
                            c.text().chars().take(80).collect::<String>()
                        )
                    })
                    .collect();
                panic!("waited in vain for {what}; calls:\n{}", calls.join("\n"));
            }
        }
    }

    /// Waits for the call `find` picks (by its index), which counts as read.
    async fn wait_found(&self, what: &str, find: impl Fn(&[Call]) -> Option<usize>) -> Call {
        let index = self.wait(what, |calls| find(calls)).await;
        let mut s = self.state.lock().unwrap();
        s.read[index] = true;
        s.calls[index].clone()
    }

    /// Waits for a posted message in `channel` (and `thread`) whose text contains `needle`.
    pub async fn wait_post(&self, channel: &str, thread: Option<&str>, needle: &str) -> Call {
        self.wait_found(
            &format!("a post in {channel} {thread:?} with {needle:?}"),
            |calls| {
                calls.iter().position(|c| {
                    c.method == "chat.postMessage"
                        && !c.rate_limited
                        && c.channel() == channel
                        && (thread.is_none() || c.thread() == thread)
                        && c.text().contains(needle)
                })
            },
        )
        .await
    }

    /// Waits for a call of `method` whose body contains `needle` anywhere (the latest).
    pub async fn wait_call(&self, method: &str, needle: &str) -> Call {
        self.wait_call_after(0, method, needle).await
    }

    /// [`FakeSlack::wait_call`] among the calls after `mark`.
    pub async fn wait_call_after(&self, mark: usize, method: &str, needle: &str) -> Call {
        self.wait_found(&format!("{method} with {needle:?}"), |calls| {
            calls
                .iter()
                .skip(mark)
                .rposition(|c| {
                    c.method == method && !c.rate_limited && c.body.to_string().contains(needle)
                })
                .map(|i| mark + i)
        })
        .await
    }

    /// How many calls there are now (to look only at later ones).
    pub fn mark(&self) -> usize {
        self.state.lock().unwrap().calls.len()
    }

    /// Calls after `mark` (which count as read).
    pub fn since(&self, mark: usize) -> Vec<Call> {
        let mut s = self.state.lock().unwrap();
        let s = &mut *s;
        for read in s.read.iter_mut().skip(mark) {
            *read = true;
        }
        s.calls.iter().skip(mark).cloned().collect()
    }
}

fn record(shared: &Shared, call: Call) {
    {
        let mut s = shared.0.lock().unwrap();
        s.calls.push(call);
        s.read.push(false);
    }
    shared.1.notify_waiters();
}

fn form_or_json(headers: &HeaderMap, body: &Bytes) -> Value {
    let form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if form {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
        Value::Object(
            pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        )
    } else {
        serde_json::from_slice(body).unwrap_or(Value::Null)
    }
}

fn ratelimited() -> Response {
    let (head, body) = RATELIMITED.split_once("\n\n").unwrap();
    let mut response = (StatusCode::TOO_MANY_REQUESTS, body.trim().to_string()).into_response();
    for line in head.lines().skip(1) {
        let (k, v) = line.split_once(':').unwrap();
        let k = k.trim().to_ascii_lowercase();
        if k == "retry-after" || k == "content-type" {
            response.headers_mut().insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.trim().parse().unwrap(),
            );
        }
    }
    response
}

async fn api(
    State(shared): State<Shared>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let args = form_or_json(&headers, &body);
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let (bot_token, stalled) = {
        let state = shared.0.lock().unwrap();
        (state.bot_token.clone(), state.stalled.contains(&method))
    };
    let wanted = if method == "apps.connections.open" {
        APP_TOKEN
    } else {
        bot_token.as_str()
    };
    if auth != format!("Bearer {wanted}") {
        record(
            &shared,
            Call {
                method,
                body: args,
                ts: None,
                rate_limited: false,
                status: 200,
            },
        );
        return axum::Json(json!({ "ok": false, "error": "invalid_auth" })).into_response();
    }
    if stalled {
        record(
            &shared,
            Call {
                method: method.clone(),
                body: args.clone(),
                ts: None,
                rate_limited: false,
                status: 200,
            },
        );
        std::future::pending::<()>().await;
    }
    let channel = args["channel"].as_str().map(str::to_string);
    let limited = {
        let mut state = shared.0.lock().unwrap();
        let mut hit = false;
        for rule in state.rate_limits.iter_mut() {
            if rule.0 == method && (rule.1.is_none() || rule.1 == channel) {
                if rule.2 > 0 {
                    rule.2 -= 1;
                } else if rule.3 > 0 {
                    rule.3 -= 1;
                    hit = true;
                }
                break;
            }
        }
        hit
    };
    let refused = {
        let mut state = shared.0.lock().unwrap();
        let mut found = None;
        for rule in state.refusals.iter_mut() {
            let channel_matches = rule.1 == "*" || Some(&rule.1) == channel.as_ref();
            if rule.0 == method && channel_matches && rule.3 > 0 {
                rule.3 -= 1;
                found = Some(rule.2.clone());
                break;
            }
        }
        found
    };
    if let Some(error) = refused {
        record(
            &shared,
            Call {
                method,
                body: args,
                ts: None,
                rate_limited: true,
                status: 200,
            },
        );
        return axum::Json(json!({ "ok": false, "error": error })).into_response();
    }
    if limited {
        record(
            &shared,
            Call {
                method,
                body: args,
                ts: None,
                rate_limited: true,
                status: 429,
            },
        );
        return ratelimited();
    }
    let fault = {
        let mut state = shared.0.lock().unwrap();
        let mut hit = None;
        for rule in state.faults.iter_mut() {
            if rule.0 == method && (rule.1.is_none() || rule.1 == channel) && rule.3 > 0 {
                if rule.2 > 0 {
                    rule.2 -= 1;
                } else {
                    rule.3 -= 1;
                    hit = Some(rule.4);
                }
                break;
            }
        }
        hit
    };
    if let Some(Fault::FailBefore(status)) = fault {
        record(
            &shared,
            Call {
                method,
                body: args,
                ts: None,
                rate_limited: true,
                status,
            },
        );
        return (
            StatusCode::from_u16(status).unwrap(),
            "upstream connect error",
        )
            .into_response();
    }
    if let Some(Fault::Refuse(error)) = fault {
        record(
            &shared,
            Call {
                method,
                body: args,
                ts: None,
                rate_limited: true,
                status: 200,
            },
        );
        return axum::Json(json!({ "ok": false, "error": error })).into_response();
    }
    let (answer, ts) = match method.as_str() {
        "conversations.history" => (history(&shared, &args), None),
        "chat.postMessage" => {
            let ts = {
                let mut state = shared.0.lock().unwrap();
                state.next_ts += 100;
                let n = state.next_ts;
                format!("{}.{:06}", n / 1_000_000, n % 1_000_000)
            };
            (
                json!({ "ok": true, "channel": channel, "ts": ts, "message": { "text": args["text"] } }),
                Some(ts),
            )
        }
        "chat.update" => (
            json!({ "ok": true, "channel": channel, "ts": args["ts"] }),
            None,
        ),
        "chat.delete" => (
            json!({ "ok": true, "channel": channel, "ts": args["ts"] }),
            None,
        ),
        "chat.postEphemeral" => (
            json!({ "ok": true, "message_ts": "1700000000.000001" }),
            None,
        ),
        "views.open" => (json!({ "ok": true, "view": { "id": "V0FAKE" } }), None),
        "auth.test" => (
            json!({
                "ok": true, "url": "https://newsroom.slack.com/", "team": "Newsroom",
                "user": "storydesk", "team_id": "T0NEWSROOM", "user_id": "U0BOT",
                "bot_id": "B0BOT", "is_enterprise_install": false
            }),
            None,
        ),
        "files.info" => {
            let file = shared
                .0
                .lock()
                .unwrap()
                .files
                .get(args["file"].as_str().unwrap_or_default())
                .cloned();
            match file {
                Some(f) => (json!({ "ok": true, "file": f.info }), None),
                None => (json!({ "ok": false, "error": "file_not_found" }), None),
            }
        }
        "users.info" => {
            let id = args["user"].as_str().unwrap_or_default().to_string();
            let name = shared.0.lock().unwrap().users.get(&id).cloned();
            match name {
                Some(name) => (
                    json!({ "ok": true, "user": { "id": id, "name": name, "real_name": name.to_uppercase(), "tz": USER_ZONE, "profile": { "display_name": name } } }),
                    None,
                ),
                None => (json!({ "ok": false, "error": "user_not_found" }), None),
            }
        }
        "usergroups.users.list" => {
            // Slack answers a group's member ids; an unknown group is `no_such_subteam`.
            let id = args["usergroup"].as_str().unwrap_or_default().to_string();
            let members = shared.0.lock().unwrap().groups.get(&id).cloned();
            match members {
                Some(users) => (json!({ "ok": true, "users": users }), None),
                None => (json!({ "ok": false, "error": "no_such_subteam" }), None),
            }
        }
        "apps.connections.open" => (
            json!({ "ok": true, "url": format!("ws://127.0.0.1:{}/link?ticket=1", shared.3) }),
            None,
        ),
        _ => (json!({ "ok": false, "error": "unknown_method" }), None),
    };
    record(
        &shared,
        Call {
            method,
            body: args,
            ts: ts.clone(),
            rate_limited: false,
            status: match fault {
                Some(Fault::FailAfter(status)) => status,
                _ => 200,
            },
        },
    );
    match fault {
        Some(Fault::FailAfter(status)) => (
            StatusCode::from_u16(status).unwrap(),
            axum::Json(json!({ "ok": false, "error": "internal_error" })),
        )
            .into_response(),
        Some(Fault::Slow(wait)) => {
            tokio::time::sleep(wait).await;
            axum::Json(answer).into_response()
        }
        _ => axum::Json(answer).into_response(),
    }
}

/// `conversations.history` as Slack answers it: the channel's top-level messages, newest
/// first, from `oldest` on (inclusive when asked), `limit` to a page with a cursor to the
/// next; each message's metadata only with `include_all_metadata`.
fn history(shared: &Shared, args: &Value) -> Value {
    let arg = |k: &str| args[k].as_str().unwrap_or_default().to_string();
    let channel = arg("channel");
    let oldest: f64 = arg("oldest").parse().unwrap_or(0.0);
    let inclusive = arg("inclusive") == "true";
    let metadata = arg("include_all_metadata") == "true";
    let limit: usize = arg("limit").parse().unwrap_or(100).clamp(1, 999);
    let offset: usize = arg("cursor")
        .strip_prefix("next_offset:")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let state = shared.0.lock().unwrap();
    let mut messages: Vec<Value> = state
        .calls
        .iter()
        .filter(|c| c.method == "chat.postMessage" && c.channel() == channel)
        .filter(|c| c.thread().is_none())
        .filter_map(|c| {
            let ts = c.ts.clone()?;
            let t: f64 = ts.parse().ok()?;
            if t < oldest || (!inclusive && t == oldest) {
                return None;
            }
            let mut m = json!({
                "type": "message",
                "subtype": "bot_message",
                "bot_id": "B0BOT",
                "text": c.body["text"],
                "ts": ts,
            });
            if metadata && c.body.get("metadata").is_some() {
                m["metadata"] = c.body["metadata"].clone();
            }
            Some(m)
        })
        .collect();
    messages.reverse();
    let page: Vec<Value> = messages.iter().skip(offset).take(limit).cloned().collect();
    let more = offset + page.len() < messages.len();
    json!({
        "ok": true,
        "messages": page,
        "has_more": more,
        "pin_count": 0,
        "response_metadata": {
            "next_cursor": if more { format!("next_offset:{}", offset + limit) } else { String::new() }
        },
    })
}

async fn download(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let bot_token = shared.0.lock().unwrap().bot_token.clone();
    if auth != format!("Bearer {bot_token}") {
        return StatusCode::FORBIDDEN.into_response();
    }
    let file = shared.0.lock().unwrap().files.get(&id).cloned();
    record(
        &shared,
        Call {
            method: "download".into(),
            body: json!({ "file": id }),
            ts: None,
            rate_limited: false,
            status: 200,
        },
    );
    match file {
        Some(f) => f.bytes.into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn response_url(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mut args: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    args["response_url_id"] = json!(id);
    record(
        &shared,
        Call {
            method: "response_url".into(),
            body: args,
            ts: None,
            rate_limited: false,
            status: 200,
        },
    );
    "ok".into_response()
}

// ---------------------------------------------------------------------------------------
// Socket Mode

enum ToClient {
    Text(String),
    Drop,
}

#[derive(Default)]
struct SocketState {
    current: Option<mpsc::UnboundedSender<ToClient>>,
    acks: Vec<Value>,
    connections: usize,
    /// Close frames received from the client.
    closes: usize,
    next_envelope: u64,
}

/// The fake Socket Mode server.
#[derive(Clone)]
pub struct SocketServer {
    /// Its port.
    pub port: u16,
    state: Arc<Mutex<SocketState>>,
    changed: Arc<Notify>,
}

impl SocketServer {
    async fn start() -> SocketServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = SocketServer {
            port,
            state: Arc::default(),
            changed: Arc::default(),
        };
        let s = server.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let s = s.clone();
                tokio::spawn(async move { s.connection(tcp).await });
            }
        });
        server
    }

    async fn connection(&self, tcp: tokio::net::TcpStream) {
        let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else {
            return;
        };
        let (mut sink, mut stream) = ws.split();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let hello = json!({
            "type": "hello",
            "num_connections": 1,
            "connection_info": { "app_id": "A0FAKE" },
            "debug_info": { "host": "fake", "approximate_connection_time": 18060 },
        });
        if sink.send(Message::Text(hello.to_string())).await.is_err() {
            return;
        }
        {
            let mut state = self.state.lock().unwrap();
            state.current = Some(tx);
            state.connections += 1;
        }
        self.changed.notify_waiters();
        loop {
            tokio::select! {
                frame = stream.next() => match frame {
                    Some(Ok(Message::Text(text))) => {
                        if let Ok(ack) = serde_json::from_str::<Value>(&text) {
                            self.state.lock().unwrap().acks.push(ack);
                            self.changed.notify_waiters();
                        }
                    }
                    Some(Ok(Message::Close(_))) => {
                        self.state.lock().unwrap().closes += 1;
                        self.changed.notify_waiters();
                    }
                    Some(Ok(_)) => {}
                    _ => return,
                },
                cmd = rx.recv() => match cmd {
                    Some(ToClient::Text(text)) => {
                        if sink.send(Message::Text(text)).await.is_err() {
                            return;
                        }
                    }
                    // Dropping the stream closes the TCP connection without a close frame.
                    Some(ToClient::Drop) | None => return,
                },
            }
        }
    }

    async fn wait<T>(&self, what: &str, check: impl Fn(&SocketState) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let notified = self.changed.notified();
            if let Some(found) = check(&self.state.lock().unwrap()) {
                return found;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("waited in vain for {what}");
            }
        }
    }

    /// How many times the client closed its connection with a close frame.
    pub fn closes(&self) -> usize {
        self.state.lock().unwrap().closes
    }

    /// Waits until the client has opened `n` connections in all.
    pub async fn wait_connections(&self, n: usize) {
        self.wait(&format!("{n} Socket Mode connections"), |s| {
            (s.connections >= n && s.current.is_some()).then_some(())
        })
        .await
    }

    /// Sends an envelope with a fresh id (or `id`) and waits for its ack.
    pub async fn envelope(
        &self,
        kind: &str,
        payload: Value,
        retry: Option<(u32, &str, &str)>,
    ) -> Value {
        self.wait_connections(1).await;
        let id = match retry {
            Some((_, _, id)) => id.to_string(),
            None => {
                let mut state = self.state.lock().unwrap();
                state.next_envelope += 1;
                format!("env-{:04}", state.next_envelope)
            }
        };
        let mut envelope = json!({
            "envelope_id": id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        });
        if let Some((attempt, reason, _)) = retry {
            envelope["retry_attempt"] = json!(attempt);
            envelope["retry_reason"] = json!(reason);
        }
        let already = self
            .state
            .lock()
            .unwrap()
            .acks
            .iter()
            .filter(|a| a["envelope_id"] == id)
            .count();
        self.send(ToClient::Text(envelope.to_string()));
        self.wait(&format!("the ack of {id}"), |s| {
            let acks: Vec<&Value> = s.acks.iter().filter(|a| a["envelope_id"] == id).collect();
            (acks.len() > already).then(|| acks.last().map(|a| (*a).clone()).unwrap())
        })
        .await
    }

    fn send(&self, message: ToClient) {
        let state = self.state.lock().unwrap();
        state
            .current
            .as_ref()
            .expect("a client is connected")
            .send(message)
            .ok();
    }

    /// Closes the current connection abruptly (no close frame). The connection is taken out
    /// of `current` before the message goes, so a client quick to reconnect is never mistaken
    /// for the old connection.
    pub fn drop_connection(&self) {
        self.take_current_and_send(ToClient::Drop);
    }

    /// Asks the client to reconnect, as Slack does before rotating a connection.
    pub fn request_reconnect(&self) {
        self.take_current_and_send(ToClient::Text(
            json!({ "type": "disconnect", "reason": "refresh_requested", "debug_info": { "host": "fake" } })
                .to_string(),
        ));
    }

    fn take_current_and_send(&self, message: ToClient) {
        let current = self.state.lock().unwrap().current.take();
        current.expect("a client is connected").send(message).ok();
    }
}
