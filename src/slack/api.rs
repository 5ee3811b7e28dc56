//! The Web API client: a thin layer over reqwest for the few methods storydesk calls.
//!
//! Every call goes to `{base}/{method}` (`STORYDESK_SLACK_API_URL`, default
//! `https://slack.com/api`), so tests point it at a fake Slack on loopback. A 429 answer is
//! retried after its `Retry-After` (the caller waits; a channel's send queue behind it waits
//! too, so order is kept and nothing is sent twice).
//!
//! Each method says how it may be retried ([`Retry`]). A call that only reads or sets
//! something to a given state (`chat.update`, `users.info`, `conversations.history`) is
//! [`Retry::Safe`]: it is tried again after a 5xx answer or a timeout too. A call that
//! creates something (`chat.postMessage`, `chat.postEphemeral`, `views.open`, a
//! `response_url` post) is [`Retry::OnlyIfNotSent`]: it is tried again only when Slack surely
//! did not act on it (a 429, or a connection that was never made). After a timeout or a 5xx
//! the message may exist, so such a call ends in [`ApiError::Unconfirmed`] and the caller
//! decides (publishing looks the message up by its metadata before posting it again).
//!
//! Slack's own errors come back as
//! [`ApiError::Slack`] with Slack's error code, which `messages::api_error` turns into a
//! sentence a user can act on. Tokens never appear in errors or logs: they travel only in the
//! `Authorization` header, and reqwest's errors are stripped of their URL.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

/// A Slack token (`xoxb-…` bot token, `xapp-…` app-level token). Its `Debug` hides it.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Wraps a token from the environment.
    pub fn new(token: impl Into<String>) -> Self {
        Token(token.into())
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.0)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

/// A user as `users.info` describes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    /// The name they go by.
    pub name: String,
    /// Their profile's time zone, an IANA name (`tz`: `Europe/Berlin`), when Slack gives one.
    pub zone: Option<String>,
}

/// Why a call to Slack failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// Slack answered `{"ok": false, "error": …}`.
    #[error("Slack refused {method}: {error}")]
    Slack {
        /// The Web API method.
        method: String,
        /// Slack's error code (`channel_not_found`, `not_in_channel`, `invalid_auth`, …).
        error: String,
    },
    /// Slack kept answering 429 after every retry.
    #[error("Slack kept rate-limiting {method}")]
    RateLimited {
        /// The Web API method.
        method: String,
    },
    /// An HTTP status that is neither success nor a rate limit.
    #[error("Slack answered {method} with HTTP {status}")]
    Http {
        /// The Web API method.
        method: String,
        /// The status code.
        status: u16,
    },
    /// Slack could not be reached, or its answer could not be read.
    #[error("could not talk to Slack for {method}: {reason}")]
    Transport {
        /// The Web API method.
        method: String,
        /// What went wrong (never a URL or token).
        reason: String,
    },
    /// A download was larger than allowed.
    #[error("the file is larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The call needs a token that is not configured.
    #[error("{0} is not set")]
    MissingToken(&'static str),
    /// A call that creates something was sent, but its outcome is unknown (a timeout, a
    /// 5xx answer, an answer cut off): Slack may have carried it out. It is not retried.
    #[error("Slack did not confirm {method}: {reason}")]
    Unconfirmed {
        /// The Web API method.
        method: String,
        /// What went wrong (never a URL or token).
        reason: String,
    },
}

/// How a Web API method may be retried when its outcome is not a clear answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Reads, and calls that set something to a given state (`chat.update`): doing them
    /// twice is the same as once, so they are retried after 429, 5xx, timeouts and failed
    /// connections.
    Safe,
    /// Calls that create something (`chat.postMessage`): retried only when the request
    /// surely did not arrive (429 with `Retry-After`, a connection never made). After a
    /// timeout or a 5xx the call ends in [`ApiError::Unconfirmed`].
    OnlyIfNotSent,
}

impl ApiError {
    /// Slack's error code, when Slack gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Slack { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// How many times a call is tried when Slack answers 429 (or 5xx, for a safe call).
const MAX_ATTEMPTS: u32 = 6;
/// The longest wait a `Retry-After` may impose on one attempt.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// How long one HTTP exchange with Slack may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The Web API client. Cheap to clone.
#[derive(Clone, Debug)]
pub struct WebApi {
    /// The HTTP client, with its connection pool.
    http: reqwest::Client,
    /// `https://slack.com/api` or a fake's address, without a trailing slash.
    base: String,
    /// The bot token (`SLACK_BOT_TOKEN`), for every method but `apps.connections.open`.
    bot: Option<Token>,
    /// The app-level token (`SLACK_APP_TOKEN`), for Socket Mode.
    app: Option<Token>,
    /// How many times a call is tried when Slack answers 429 or 5xx or cannot be reached.
    attempts: u32,
}

/// What `files.info` tells about a shared file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FileInfo {
    /// Slack's file id.
    pub id: String,
    /// The file name.
    #[serde(default)]
    pub name: String,
    /// Size in bytes.
    #[serde(default)]
    pub size: u64,
    /// The MIME type Slack detected.
    #[serde(default)]
    pub mimetype: String,
    /// Slack's file type (`text`, `markdown`, `csv`, `pdf`, …).
    #[serde(default)]
    pub filetype: String,
    /// Where to download it (with the bot token).
    #[serde(default)]
    pub url_private_download: Option<String>,
    /// Another download address Slack gives.
    #[serde(default)]
    pub url_private: Option<String>,
}

/// What `auth.test` tells about the bot token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AuthInfo {
    /// The workspace's name.
    #[serde(default)]
    pub team: String,
    /// The workspace's id.
    #[serde(default)]
    pub team_id: String,
    /// The bot user's name.
    #[serde(default)]
    pub user: String,
    /// The bot user's id.
    #[serde(default)]
    pub user_id: String,
}

impl WebApi {
    /// A client for `base` with the given tokens.
    pub fn new(base: &str, bot: Option<Token>, app: Option<Token>) -> Self {
        WebApi {
            http: http_client(REQUEST_TIMEOUT),
            base: base.trim_end_matches('/').to_string(),
            bot,
            app,
            attempts: MAX_ATTEMPTS,
        }
    }

    /// The same client, with `timeout` for each HTTP exchange instead of 30 s.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.http = http_client(timeout);
        self
    }

    /// The same client, trying each call once (for checks that report at once, such as
    /// `storydesk doctor`).
    pub fn single_attempt(mut self) -> Self {
        self.attempts = 1;
        self
    }

    /// Calls a Web API method with a JSON body and the bot token, retried as `retry` allows;
    /// returns Slack's answer.
    pub async fn call(&self, method: &str, retry: Retry, body: &Value) -> Result<Value, ApiError> {
        let token = self
            .bot
            .as_ref()
            .ok_or(ApiError::MissingToken("SLACK_BOT_TOKEN"))?;
        let url = format!("{}/{method}", self.base);
        self.send(method, retry, || {
            self.http
                .post(&url)
                .header(reqwest::header::AUTHORIZATION, token.bearer())
                .json(body)
        })
        .await
    }

    /// Calls a method that takes form-encoded arguments (the read methods, such as
    /// `files.info`), with the given token. These only read, so they are [`Retry::Safe`].
    async fn call_form(
        &self,
        method: &str,
        token: &Token,
        params: &[(&str, &str)],
    ) -> Result<Value, ApiError> {
        let url = format!("{}/{method}", self.base);
        self.send(method, Retry::Safe, || {
            self.http
                .post(&url)
                .header(reqwest::header::AUTHORIZATION, token.bearer())
                .form(params)
        })
        .await
    }

    /// Sends a request built by `build`, retried as `retry` allows, and reads Slack's JSON
    /// answer.
    async fn send(
        &self,
        method: &str,
        retry: Retry,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Value, ApiError> {
        let body = self.send_raw(method, retry, build).await?;
        let value: Value = serde_json::from_str(&body).map_err(|e| {
            let reason = format!("the answer is not JSON: {}", crate::redact::json_error(&e));
            match retry {
                Retry::Safe => ApiError::Transport {
                    method: method.to_string(),
                    reason,
                },
                Retry::OnlyIfNotSent => ApiError::Unconfirmed {
                    method: method.to_string(),
                    reason,
                },
            }
        })?;
        if value.get("ok").and_then(Value::as_bool) == Some(true) {
            return Ok(value);
        }
        let error = value
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("unknown_error")
            .to_string();
        Err(ApiError::Slack {
            method: method.to_string(),
            error,
        })
    }

    /// Sends a request built by `build` and returns the body of the first success. A 429 is
    /// retried after its `Retry-After`, a connection that could not be made after a short
    /// wait; a 5xx answer or a timeout only when `retry` is [`Retry::Safe`], since otherwise
    /// Slack may have acted on the request (then the call ends in [`ApiError::Unconfirmed`]).
    async fn send_raw(
        &self,
        method: &str,
        retry: Retry,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<String, ApiError> {
        let safe = retry == Retry::Safe;
        let failed = |e: &reqwest::Error| {
            let reason = crate::redact::http_error(e);
            if safe || e.is_connect() {
                ApiError::Transport {
                    method: method.to_string(),
                    reason,
                }
            } else {
                // Sent, or perhaps sent: whatever happened after the connection was made
                // may have reached Slack.
                ApiError::Unconfirmed {
                    method: method.to_string(),
                    reason,
                }
            }
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let response = match build().send().await {
                Ok(r) => r,
                Err(e) => {
                    crate::telemetry::api_call("slack", method, None);
                    // A connection never made carried nothing; a timeout may have.
                    let again = e.is_connect() || (safe && e.is_timeout());
                    if attempt < self.attempts && again {
                        tracing::debug!(method, attempt, "no answer from Slack; trying again");
                        tokio::time::sleep(backoff(attempt)).await;
                        continue;
                    }
                    return Err(failed(&e));
                }
            };
            let status = response.status();
            crate::telemetry::api_call("slack", method, Some(status.as_u16()));
            if status.as_u16() == 429 {
                // Slack did not act on a rate-limited request: retrying is safe for any call.
                crate::telemetry::rate_limited("slack", method);
                if attempt >= self.attempts {
                    return Err(ApiError::RateLimited {
                        method: method.to_string(),
                    });
                }
                let wait = retry_after(&response);
                tracing::info!(
                    method,
                    wait_ms = wait.as_millis() as u64,
                    "rate limited by Slack; waiting"
                );
                tokio::time::sleep(wait).await;
                continue;
            }
            if status.is_server_error() {
                if safe && attempt < self.attempts {
                    tokio::time::sleep(backoff(attempt)).await;
                    continue;
                }
                if !safe {
                    return Err(ApiError::Unconfirmed {
                        method: method.to_string(),
                        reason: format!("HTTP {}", status.as_u16()),
                    });
                }
            }
            if !status.is_success() {
                return Err(ApiError::Http {
                    method: method.to_string(),
                    status: status.as_u16(),
                });
            }
            return response.text().await.map_err(|e| failed(&e));
        }
    }

    /// `chat.postMessage`; returns the message's `ts`. Never posted twice by a retry: after
    /// a timeout or a 5xx it ends in [`ApiError::Unconfirmed`].
    pub async fn post_message(
        &self,
        channel: &str,
        text: &str,
        blocks: &[Value],
        thread_ts: Option<&str>,
    ) -> Result<String, ApiError> {
        self.post_message_with(channel, text, blocks, thread_ts, None)
            .await
    }

    /// `chat.postMessage` carrying message `metadata` (`event_type` and `event_payload`),
    /// by which the message can be found again ([`WebApi::find_messages`]).
    pub async fn post_message_with(
        &self,
        channel: &str,
        text: &str,
        blocks: &[Value],
        thread_ts: Option<&str>,
        metadata: Option<&MessageMetadata>,
    ) -> Result<String, ApiError> {
        self.post_message_in(channel, text, blocks, thread_ts, metadata)
            .await
            .map(|(_, ts)| ts)
    }

    /// [`WebApi::post_message_with`], answering also the id of the channel Slack posted in
    /// (when it says), since a channel given by name must be named by id to delete from it.
    pub async fn post_message_in(
        &self,
        channel: &str,
        text: &str,
        blocks: &[Value],
        thread_ts: Option<&str>,
        metadata: Option<&MessageMetadata>,
    ) -> Result<(Option<String>, String), ApiError> {
        let mut body = message_body(channel, text, blocks);
        if let Some(ts) = thread_ts {
            body["thread_ts"] = json!(ts);
        }
        if let Some(m) = metadata {
            body["metadata"] = json!({ "event_type": m.event_type, "event_payload": m.payload });
        }
        let answer = self
            .call("chat.postMessage", Retry::OnlyIfNotSent, &body)
            .await?;
        let posted_in = answer
            .get("channel")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        match answer.get("ts").and_then(Value::as_str) {
            Some(ts) if !ts.is_empty() => Ok((posted_in, ts.to_string())),
            // Posted, but which message it is cannot be told.
            _ => Err(ApiError::Unconfirmed {
                method: "chat.postMessage".into(),
                reason: "the answer has no ts".into(),
            }),
        }
    }

    /// The top-level messages of `channel` posted since `oldest` (Unix seconds) whose
    /// metadata is of `event_type`: each message's `ts` and metadata payload, newest first
    /// (`conversations.history` with `include_all_metadata`, every page up to
    /// `max_messages` messages). Slack allows apps outside its Marketplace about one such
    /// call a minute, so it is for checking what a publication left behind, not for
    /// routine reads.
    pub async fn find_messages(
        &self,
        channel: &str,
        oldest: i64,
        event_type: &str,
        max_messages: usize,
    ) -> Result<Vec<(String, Value)>, ApiError> {
        let token = self
            .bot
            .as_ref()
            .ok_or(ApiError::MissingToken("SLACK_BOT_TOKEN"))?;
        let method = "conversations.history";
        let oldest = oldest.max(0).to_string();
        let mut found = Vec::new();
        let mut cursor = String::new();
        let mut seen = 0;
        loop {
            let mut params = vec![
                ("channel", channel),
                ("oldest", oldest.as_str()),
                ("inclusive", "true"),
                ("include_all_metadata", "true"),
                ("limit", "200"),
            ];
            if !cursor.is_empty() {
                params.push(("cursor", cursor.as_str()));
            }
            let answer = self.call_form(method, token, &params).await?;
            let messages = answer
                .get("messages")
                .and_then(Value::as_array)
                .ok_or_else(|| ApiError::Transport {
                    method: method.into(),
                    reason: "the answer has no messages".into(),
                })?;
            seen += messages.len();
            for m in messages {
                let metadata = &m["metadata"];
                if metadata["event_type"].as_str() != Some(event_type) {
                    continue;
                }
                if let Some(ts) = m["ts"].as_str() {
                    found.push((ts.to_string(), metadata["event_payload"].clone()));
                }
            }
            cursor = answer["response_metadata"]["next_cursor"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let more = answer["has_more"].as_bool().unwrap_or(false) && !cursor.is_empty();
            if !more || seen >= max_messages {
                return Ok(found);
            }
        }
    }

    /// `chat.update` of the message `ts`.
    pub async fn update_message(
        &self,
        channel: &str,
        ts: &str,
        text: &str,
        blocks: &[Value],
    ) -> Result<(), ApiError> {
        let mut body = message_body(channel, text, blocks);
        body["ts"] = json!(ts);
        self.call("chat.update", Retry::Safe, &body)
            .await
            .map(|_| ())
    }

    /// `chat.delete` of the message `ts`, one storydesk posted. Deleting is idempotent (a
    /// second attempt finds nothing to delete), so it is [`Retry::Safe`].
    pub async fn delete_message(&self, channel: &str, ts: &str) -> Result<(), ApiError> {
        let body = json!({ "channel": channel, "ts": ts });
        self.call("chat.delete", Retry::Safe, &body)
            .await
            .map(|_| ())
    }

    /// `chat.postEphemeral`: a message only `user` sees.
    pub async fn post_ephemeral(
        &self,
        channel: &str,
        user: &str,
        text: &str,
        blocks: &[Value],
        thread_ts: Option<&str>,
    ) -> Result<(), ApiError> {
        let mut body = message_body(channel, text, blocks);
        body["user"] = json!(user);
        if let Some(ts) = thread_ts {
            body["thread_ts"] = json!(ts);
        }
        self.call("chat.postEphemeral", Retry::OnlyIfNotSent, &body)
            .await
            .map(|_| ())
    }

    /// `views.open` with a fresh `trigger_id`.
    pub async fn open_view(&self, trigger_id: &str, view: &Value) -> Result<(), ApiError> {
        self.call(
            "views.open",
            Retry::OnlyIfNotSent,
            &json!({ "trigger_id": trigger_id, "view": view }),
        )
        .await
        .map(|_| ())
    }

    /// `files.info` for a shared file.
    pub async fn file_info(&self, file: &str) -> Result<FileInfo, ApiError> {
        let token = self
            .bot
            .as_ref()
            .ok_or(ApiError::MissingToken("SLACK_BOT_TOKEN"))?;
        let answer = self
            .call_form("files.info", token, &[("file", file)])
            .await?;
        serde_json::from_value(answer.get("file").cloned().unwrap_or(Value::Null)).map_err(|e| {
            ApiError::Transport {
                method: "files.info".into(),
                reason: format!("unexpected answer: {}", crate::redact::json_error(&e)),
            }
        })
    }

    /// The name a user goes by (`users.info`): their display name, else their real name,
    /// else their user name.
    pub async fn user_name(&self, user: &str) -> Result<String, ApiError> {
        Ok(self.user_info(user).await?.name)
    }

    /// What `users.info` says of a user: the name they go by (display name, else real name,
    /// else user name) and the time zone of their profile.
    pub async fn user_info(&self, user: &str) -> Result<UserInfo, ApiError> {
        let token = self
            .bot
            .as_ref()
            .ok_or(ApiError::MissingToken("SLACK_BOT_TOKEN"))?;
        let answer = self
            .call_form("users.info", token, &[("user", user)])
            .await?;
        let u = &answer["user"];
        let name = [
            &u["profile"]["display_name"],
            &u["profile"]["real_name"],
            &u["real_name"],
            &u["name"],
        ]
        .into_iter()
        .filter_map(Value::as_str)
        .find(|n| !n.trim().is_empty())
        .map(str::to_string);
        let zone = u["tz"]
            .as_str()
            .filter(|z| !z.trim().is_empty())
            .map(str::to_string);
        match name {
            Some(name) => Ok(UserInfo { name, zone }),
            None => Err(ApiError::Transport {
                method: "users.info".into(),
                reason: "the answer has no name".into(),
            }),
        }
    }

    /// The user ids in a user group (`usergroups.users.list`, scope `usergroups:read`).
    pub async fn usergroup_members(&self, group: &str) -> Result<Vec<String>, ApiError> {
        let token = self
            .bot
            .as_ref()
            .ok_or(ApiError::MissingToken("SLACK_BOT_TOKEN"))?;
        let answer = self
            .call_form("usergroups.users.list", token, &[("usergroup", group)])
            .await?;
        serde_json::from_value(answer.get("users").cloned().unwrap_or(Value::Null)).map_err(|e| {
            ApiError::Transport {
                method: "usergroups.users.list".into(),
                reason: format!("unexpected answer: {}", crate::redact::json_error(&e)),
            }
        })
    }

    /// Downloads a private file with the bot token, refusing more than `limit` bytes.
    pub async fn download(&self, url: &str, limit: u64) -> Result<Vec<u8>, ApiError> {
        let token = self
            .bot
            .as_ref()
            .ok_or(ApiError::MissingToken("SLACK_BOT_TOKEN"))?;
        let method = "file download";
        let transport = |e: reqwest::Error| ApiError::Transport {
            method: method.to_string(),
            reason: crate::redact::http_error(&e),
        };
        let sent = self
            .http
            .get(url)
            .header(reqwest::header::AUTHORIZATION, token.bearer())
            .send()
            .await;
        crate::telemetry::api_call(
            "slack",
            method,
            sent.as_ref().ok().map(|r| r.status().as_u16()),
        );
        let mut response = sent.map_err(transport)?;
        if !response.status().is_success() {
            return Err(ApiError::Http {
                method: method.into(),
                status: response.status().as_u16(),
            });
        }
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(ApiError::TooLarge { limit });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if bytes.len() as u64 + chunk.len() as u64 > limit {
                return Err(ApiError::TooLarge { limit });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    /// Posts a message to an interaction's `response_url` (no token: the URL is the key).
    pub async fn respond(&self, response_url: &str, body: &Value) -> Result<(), ApiError> {
        // A response_url answers plain `ok` (or a JSON error), never needing a token. Each
        // post to it is a message: not repeated unless it surely did not arrive.
        self.send_raw("response_url", Retry::OnlyIfNotSent, || {
            self.http.post(response_url).json(body)
        })
        .await
        .map(|_| ())
    }

    /// `auth.test` with the bot token: whether Slack accepts it, and for which workspace and
    /// bot user.
    pub async fn auth_test(&self) -> Result<AuthInfo, ApiError> {
        let token = self
            .bot
            .as_ref()
            .ok_or(ApiError::MissingToken("SLACK_BOT_TOKEN"))?;
        let answer = self.call_form("auth.test", token, &[]).await?;
        serde_json::from_value(answer).map_err(|e| ApiError::Transport {
            method: "auth.test".into(),
            reason: format!("unexpected answer: {}", crate::redact::json_error(&e)),
        })
    }

    /// `apps.connections.open` with the app-level token: a fresh Socket Mode URL.
    pub async fn open_connection(&self) -> Result<String, ApiError> {
        let token = self
            .app
            .as_ref()
            .ok_or(ApiError::MissingToken("SLACK_APP_TOKEN"))?;
        let answer = self.call_form("apps.connections.open", token, &[]).await?;
        answer
            .get("url")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| ApiError::Transport {
                method: "apps.connections.open".into(),
                reason: "no url in the answer".into(),
            })
    }
}

/// Message metadata: an event type of storydesk's and a payload of plain values, carried by
/// a posted message so that it can be recognised later.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageMetadata {
    /// The event type (`storydesk_chunk`).
    pub event_type: String,
    /// The payload: a JSON object of strings, numbers and booleans.
    pub payload: Value,
}

/// The HTTP client, with `timeout` per exchange.
fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(concat!("storydesk/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client builds with static settings")
}

/// A message body: `text` is the notification fallback; `parse: none` and no `link_names`
/// keep Slack from turning text like `@here` into mentions.
fn message_body(channel: &str, text: &str, blocks: &[Value]) -> Value {
    let mut body = json!({
        "channel": channel,
        "text": text,
        "parse": "none",
        "unfurl_links": false,
        "unfurl_media": false,
    });
    if !blocks.is_empty() {
        body["blocks"] = Value::Array(blocks.to_vec());
    }
    body
}

/// The wait a 429 asks for: `Retry-After` seconds (1 when absent), at most two minutes.
fn retry_after(response: &reqwest::Response) -> Duration {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(1))
        .min(MAX_RETRY_AFTER)
}

/// 0.5 s, 1 s, 2 s, … for connection failures and 5xx answers.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250 << attempt.min(6))
}
