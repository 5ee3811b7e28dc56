//! A newsroom on the fake Slack: storydesk served through the real router (every request
//! really signed) or connected over Socket Mode, and people who type commands, click
//! buttons, submit modals and post in threads.

use serde_json::{json, Value};
use storydesk::config::Config;
use storydesk::slack::api::Token;
use storydesk::slack::verify::{sign, unix_now, SigningSecret};
use storydesk::slack::{Slack, SlackConfig};

use super::fake::{Call, FakeSlack, APP_TOKEN, BOT_TOKEN};

pub const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
pub const TEAM: &str = "T0NEWSROOM";
pub const NEWS: &str = "C0NEWSROOM1";
pub const PUBLISH: &str = "C0PUBLISHED";

/// A person in the workspace.
#[derive(Clone, Copy)]
pub struct Who {
    pub id: &'static str,
    pub name: &'static str,
}

pub const ALICE: Who = Who {
    id: "U0ALICE",
    name: "alice",
};
pub const BOB: Who = Who {
    id: "U0BOB",
    name: "bob",
};
pub const ERIN: Who = Who {
    id: "U0ERIN",
    name: "erin",
};

/// How Slack reaches storydesk.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Via {
    Http,
    Socket,
}

/// The world: the fake Slack, storydesk, and the way between them.
pub struct World {
    pub fake: FakeSlack,
    pub via: Via,
    pub base: String,
    pub http: reqwest::Client,
    pub slack: Slack,
    _data: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    triggers: std::sync::atomic::AtomicU64,
}

impl World {
    pub async fn start(via: Via) -> World {
        Self::with_config(via, "").await
    }

    pub async fn with_config(via: Via, extra: &str) -> World {
        Self::build(via, &format!("\"{}\"", ERIN.id), extra).await
    }

    /// A world whose `[roles] editors` are `editors` (TOML array items, comma-separated).
    pub async fn with_editors(via: Via, editors: &str) -> World {
        Self::build(via, editors, "").await
    }

    async fn build(via: Via, editors: &str, extra: &str) -> World {
        let fake = FakeSlack::start().await;
        for who in [ALICE, BOB, ERIN] {
            fake.add_user(who.id, who.name);
        }
        let config = Config::from_overlay(
            Some(&format!(
                "[roles]\neditors = [{editors}]\n[publish]\nchannel = \"{PUBLISH}\"\n{extra}"
            )),
            "test",
        )
        .unwrap();
        let data = tempfile::tempdir().unwrap();
        let desk = storydesk::open_desk(config, data.path()).unwrap();
        let slack_config = SlackConfig {
            signing_secret: Some(SigningSecret::new(SECRET)),
            bot_token: Some(Token::new(BOT_TOKEN)),
            app_token: (via == Via::Socket).then(|| Token::new(APP_TOKEN)),
            api_url: fake.api_url(),
        };
        let slack = Slack::new(desk, &slack_config);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        match via {
            Via::Http => {
                let app = storydesk::server::base_routes()
                    .merge(storydesk::slack::http::routes(slack.clone()));
                tokio::spawn(storydesk::server::run(listener, app, async {
                    let _ = stopped.await;
                }));
            }
            Via::Socket => {
                drop(listener);
                tokio::spawn(storydesk::slack::socket::run(
                    slack.clone(),
                    storydesk::health::Signal::detached("slack_socket_mode"),
                    async {
                        let _ = stopped.await;
                    },
                ));
                fake.socket.wait_connections(1).await;
            }
        }
        World {
            fake,
            via,
            base,
            http: reqwest::Client::new(),
            slack,
            _data: data,
            stop: Some(stop),
            triggers: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub fn trigger(&self) -> String {
        let n = self
            .triggers
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        format!("1000{n}.2000.trigger{n}")
    }

    /// POSTs a signed body to one of storydesk's endpoints; status and body.
    pub async fn signed(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> (u16, String) {
        let ts = unix_now();
        let signature = sign(&SigningSecret::new(SECRET), ts, &body);
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .header("x-slack-request-timestamp", ts.to_string())
            .header("x-slack-signature", signature)
            .body(body);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// `/story {text}` typed by `who` in the newsroom; the ack's JSON (Null when empty).
    pub async fn command(&self, who: Who, text: &str) -> Value {
        self.command_in(who, NEWS, text).await
    }

    pub async fn command_in(&self, who: Who, channel: &str, text: &str) -> Value {
        self.command_from(who, TEAM, channel, text).await
    }

    /// `/story {text}` typed by `who` in `channel` of workspace `team`.
    pub async fn command_from(&self, who: Who, team: &str, channel: &str, text: &str) -> Value {
        let trigger = self.trigger();
        let fields = vec![
            ("token", "legacy-token".to_string()),
            ("team_id", team.to_string()),
            ("team_domain", "newsroom".to_string()),
            ("channel_id", channel.to_string()),
            ("channel_name", "newsroom".to_string()),
            ("user_id", who.id.to_string()),
            ("user_name", who.name.to_string()),
            ("command", "/story".to_string()),
            ("text", text.to_string()),
            ("api_app_id", "A0FAKE".to_string()),
            ("response_url", self.fake.response_url(&trigger)),
            ("trigger_id", trigger),
        ];
        match self.via {
            Via::Http => {
                let body = serde_urlencoded::to_string(&fields).unwrap();
                let (status, text) = self
                    .signed(
                        "/slack/commands",
                        "application/x-www-form-urlencoded",
                        body.into_bytes(),
                        &[],
                    )
                    .await;
                assert_eq!(status, 200, "{text}");
                parse_ack(&text)
            }
            Via::Socket => {
                let payload: serde_json::Map<String, Value> = fields
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), json!(v)))
                    .collect();
                let ack = self
                    .fake
                    .socket
                    .envelope("slash_commands", Value::Object(payload), None)
                    .await;
                ack.get("payload").cloned().unwrap_or(Value::Null)
            }
        }
    }

    /// An interactivity payload; the ack's JSON.
    pub async fn interact(&self, payload: Value) -> Value {
        match self.via {
            Via::Http => {
                let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
                let (status, text) = self
                    .signed(
                        "/slack/interactivity",
                        "application/x-www-form-urlencoded",
                        body.into_bytes(),
                        &[],
                    )
                    .await;
                assert_eq!(status, 200, "{text}");
                parse_ack(&text)
            }
            Via::Socket => {
                let ack = self
                    .fake
                    .socket
                    .envelope("interactive", payload, None)
                    .await;
                ack.get("payload").cloned().unwrap_or(Value::Null)
            }
        }
    }

    /// An Events API envelope, delivered once (or as a retry of `retry` attempts).
    pub async fn event(&self, envelope: Value, retry: u32) {
        match self.via {
            Via::Http => {
                let n = retry.to_string();
                let headers: Vec<(&str, &str)> = if retry > 0 {
                    vec![
                        ("x-slack-retry-num", n.as_str()),
                        ("x-slack-retry-reason", "http_timeout"),
                    ]
                } else {
                    vec![]
                };
                let (status, text) = self
                    .signed(
                        "/slack/events",
                        "application/json",
                        envelope.to_string().into_bytes(),
                        &headers,
                    )
                    .await;
                assert_eq!(status, 200, "{text}");
            }
            Via::Socket => {
                let id = format!(
                    "redeliver-{}",
                    envelope["event_id"].as_str().unwrap_or_default()
                );
                let retry = (retry > 0).then_some((retry, "timeout", id.as_str()));
                self.fake
                    .socket
                    .envelope("events_api", envelope, retry)
                    .await;
            }
        }
    }

    /// Clicks a button of a posted message.
    pub async fn click(&self, who: Who, message: &Call, action_id: &str) -> Value {
        self.click_from(who, TEAM, message.channel(), message, action_id)
            .await
    }

    /// Clicks a button whose value is the one on `message`, as if the message were in
    /// `channel` of workspace `team` (a copy of the button elsewhere, or a forged click).
    pub async fn click_from(
        &self,
        who: Who,
        team: &str,
        channel: &str,
        message: &Call,
        action_id: &str,
    ) -> Value {
        let value = message
            .button(action_id)
            .expect("the message has the button");
        let trigger = self.trigger();
        // Slack stamps every click with its own time.
        let action_ts = format!("1700000001.{:06}", self.mark_clicks());
        let payload = json!({
            "type": "block_actions",
            "user": { "id": who.id, "username": who.name, "name": who.name, "team_id": team },
            "api_app_id": "A0FAKE",
            "token": "legacy-token",
            "container": {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": channel,
                "is_ephemeral": false,
                "thread_ts": message.thread(),
            },
            "trigger_id": trigger,
            "team": { "id": team, "domain": "newsroom" },
            "channel": { "id": channel, "name": "newsroom" },
            "message": { "type": "message", "ts": message.ts, "thread_ts": message.thread(), "text": message.body["text"] },
            "response_url": self.fake.response_url("click"),
            "actions": [{
                "action_id": action_id,
                "block_id": "b",
                "text": { "type": "plain_text", "text": "button" },
                "value": value,
                "type": "button",
                "action_ts": action_ts,
            }],
        });
        self.interact(payload).await
    }

    /// Clicks a button of a message only `who` sees (`chat.postEphemeral`): Slack sends no
    /// `message`, only its container, marked ephemeral.
    pub async fn click_ephemeral(&self, who: Who, message: &Call, action_id: &str) -> Value {
        let value = message
            .button(action_id)
            .expect("the message has the button");
        let channel = message.channel();
        let payload = json!({
            "type": "block_actions",
            "user": { "id": who.id, "username": who.name, "name": who.name, "team_id": TEAM },
            "api_app_id": "A0FAKE",
            "token": "legacy-token",
            "container": {
                "type": "message",
                "message_ts": format!("1700000600.{:06}", self.mark_clicks()),
                "channel_id": channel,
                "is_ephemeral": true,
            },
            "trigger_id": self.trigger(),
            "team": { "id": TEAM, "domain": "newsroom" },
            "channel": { "id": channel, "name": "newsroom" },
            "response_url": self.fake.response_url("click"),
            "actions": [{
                "action_id": action_id,
                "block_id": "b",
                "text": { "type": "plain_text", "text": "button" },
                "value": value,
                "type": "button",
                "action_ts": format!("1700000601.{:06}", self.mark_clicks()),
            }],
        });
        self.interact(payload).await
    }

    /// How many triggers were handed out so far (a click's number).
    fn mark_clicks(&self) -> usize {
        self.triggers.load(std::sync::atomic::Ordering::SeqCst) as usize
    }

    /// Submits a modal the bot opened, with `values` by block id.
    pub async fn submit(&self, who: Who, opened: &Call, values: &[(&str, &str)]) -> Value {
        let payload = self.submission(who, opened, values);
        self.interact(payload).await
    }

    /// The payload of submitting a modal the bot opened, with `values` by block id (with a
    /// fresh trigger; delivering it twice is Slack delivering one submission twice).
    pub fn submission(&self, who: Who, opened: &Call, values: &[(&str, &str)]) -> Value {
        let view = &opened.body["view"];
        let mut state = serde_json::Map::new();
        for block in view["blocks"].as_array().unwrap() {
            if block["type"] != "input" {
                continue;
            }
            let id = block["block_id"].as_str().unwrap();
            // What the person typed, or else what the box was prefilled with.
            let value = values
                .iter()
                .find(|(b, _)| *b == id)
                .map(|(_, v)| json!(v))
                .unwrap_or_else(|| block["element"]["initial_value"].clone());
            state.insert(
                id.to_string(),
                json!({ "value": { "type": "plain_text_input", "value": value } }),
            );
        }
        json!({
            "type": "view_submission",
            "team": { "id": TEAM, "domain": "newsroom" },
            "user": { "id": who.id, "username": who.name, "name": who.name, "team_id": TEAM },
            "api_app_id": "A0FAKE",
            "token": "legacy-token",
            "trigger_id": self.trigger(),
            "view": {
                "id": "V0FAKE",
                "team_id": TEAM,
                "type": "modal",
                "blocks": view["blocks"],
                "private_metadata": view["private_metadata"],
                "callback_id": view["callback_id"],
                "state": { "values": state },
                "hash": "1700000000.abcdef",
                "title": view["title"],
                "root_view_id": "V0FAKE",
                "app_id": "A0FAKE",
                "bot_id": "B0FAKE",
            },
            "response_urls": [],
        })
    }

    /// A message posted in a thread, as the Events API delivers it.
    pub fn message_event(
        &self,
        event_id: &str,
        who: Who,
        thread: &str,
        text: &str,
        files: &[&str],
    ) -> Value {
        self.message_event_in(event_id, who, TEAM, NEWS, thread, text, files)
    }

    /// A message posted in a thread of `channel` in workspace `team`.
    #[allow(clippy::too_many_arguments)]
    pub fn message_event_in(
        &self,
        event_id: &str,
        who: Who,
        team: &str,
        channel: &str,
        thread: &str,
        text: &str,
        files: &[&str],
    ) -> Value {
        let mut event = json!({
            "type": "message",
            "channel": channel,
            "user": who.id,
            "text": text,
            "ts": format!("1700000500.{:06}", event_id.len() * 7 + files.len()),
            "thread_ts": thread,
            "event_ts": "1700000500.000100",
            "channel_type": "channel",
            "team": team,
        });
        if !files.is_empty() {
            event["subtype"] = json!("file_share");
            event["files"] = Value::Array(files.iter().map(|f| json!({ "id": f })).collect());
        }
        json!({
            "token": "legacy-token",
            "team_id": team,
            "api_app_id": "A0FAKE",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": 1700000500,
            "authorizations": [{ "team_id": team, "user_id": "U0BOT", "is_bot": true, "is_enterprise_install": false }],
        })
    }

    /// Opens the write modal for `section` and saves `text` in it.
    pub async fn write(&self, who: Who, section: &str, text: &str) -> Value {
        let mark = self.fake.mark();
        let ack = self.command(who, &format!("write {section}")).await;
        assert_eq!(ack, Value::Null, "the write modal should open");
        let opened = self
            .fake
            .wait("views.open", |calls| {
                calls[mark..]
                    .iter()
                    .find(|c| c.method == "views.open")
                    .cloned()
            })
            .await;
        let boxes = storydesk::slack::blocks::split_for_boxes(text).0;
        let ids: Vec<String> = (0..boxes.len())
            .map(storydesk::slack::blocks::box_block_id)
            .collect();
        let values: Vec<(&str, &str)> = ids
            .iter()
            .map(String::as_str)
            .zip(boxes.iter().map(String::as_str))
            .collect();
        self.submit(who, &opened, &values).await
    }

    /// The review post of `revision` of a section (the message carrying its buttons).
    pub async fn review_post(&self, section: &str, revision: u32) -> Call {
        let parent = self
            .fake
            .wait_post(NEWS, None, &format!("*{section}*: review thread"))
            .await;
        let wanted = format!("\"n\":\"{section}\",\"r\":{revision}}}");
        self.fake
            .wait(
                &format!("the review post of {section} revision {revision}"),
                |calls| {
                    calls
                        .iter()
                        .rev()
                        .find(|c| {
                            c.method == "chat.postMessage"
                                && !c.rate_limited
                                && c.thread() == parent.ts.as_deref()
                                && c.button(storydesk::slack::blocks::APPROVE_ACTION)
                                    .is_some_and(|v| v.contains(&wanted))
                        })
                        .cloned()
                },
            )
            .await
    }

    /// Bob approves a revision with its button and the approval is posted.
    pub async fn approve(&self, who: Who, section: &str, revision: u32) {
        let post = self.review_post(section, revision).await;
        assert_eq!(
            self.click(who, &post, storydesk::slack::blocks::APPROVE_ACTION)
                .await,
            Value::Null
        );
        self.fake
            .wait_post(
                NEWS,
                post.thread(),
                &format!("{} approved {section} revision {revision}", who.name),
            )
            .await;
    }

    /// The story's board message as first posted.
    /// Once storydesk has also bound its thread, as it does right after posting it (a
    /// person replies only after seeing the board).
    pub async fn board(&self) -> Call {
        let board = self
            .fake
            .wait_post(NEWS, None, "Reply in this thread")
            .await;
        let channel = storydesk::model::ChannelKey {
            platform: storydesk::model::Platform::Slack,
            team: TEAM.into(),
            channel: NEWS.into(),
        };
        let ts = board.ts.clone().unwrap();
        for _ in 0..2000 {
            if self.slack.desk().thread_target(&channel, &ts).is_some() {
                return board;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the board's thread was never bound");
    }
}

/// A scenario ends well only if nothing storydesk ran panicked and every answer the bot
/// gave a person was looked at by the test (`finish`).
impl Drop for World {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        super::finish::finish(
            self.slack.idle(),
            || self.slack.desk().panics(),
            || self.fake.unread(),
        );
    }
}

fn parse_ack(text: &str) -> Value {
    if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(text).unwrap()
    }
}
