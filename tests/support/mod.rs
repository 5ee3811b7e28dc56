//! What the Discord tests share: the fake Discord, interaction payloads built from the
//! fixtures, and a newsroom harness that sends interactions over the gateway or the
//! interactions endpoint.

#![allow(dead_code)]

pub mod fake_discord;
pub mod finish;
pub mod rng;

use std::sync::Arc;

use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};
use storydesk::config::Config;
use storydesk::discord::Discord;

use fake_discord::{FakeDiscord, APP, GUILD, NEWSROOM};

/// People in the newsroom: (id, name).
pub const ALICE: (u64, &str) = (800_000_000_000_000_001, "alice");
/// A reporter.
pub const BOB: (u64, &str) = (800_000_000_000_000_002, "bob");
/// A reviewer.
pub const CAROL: (u64, &str) = (800_000_000_000_000_003, "carol");
/// The editor.
pub const ERIN: (u64, &str) = (800_000_000_000_000_004, "erin");

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/discord/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn person(user: (u64, &str)) -> Value {
    json!({
        "id": user.0.to_string(), "username": user.1, "global_name": user.1,
        "discriminator": "0", "avatar": null, "public_flags": 0
    })
}

/// The channel object an interaction carries: a text channel, or a thread of `parent`.
fn channel(id: u64, parent: Option<u64>) -> Value {
    json!({
        "id": id.to_string(), "type": if parent.is_some() { 11 } else { 0 },
        "guild_id": GUILD.to_string(), "name": "newsroom", "flags": 0, "nsfw": false,
        "parent_id": parent.map(|p| p.to_string()), "permissions": "281474976710655",
        "position": 0, "rate_limit_per_user": 0, "topic": null, "last_message_id": null
    })
}

/// Where an interaction is made.
#[derive(Clone, Copy, Debug)]
pub enum Where {
    /// The newsroom channel.
    Newsroom,
    /// A thread of the newsroom.
    Thread(u64),
}

impl Where {
    fn ids(self) -> (u64, Option<u64>) {
        match self {
            Where::Newsroom => (NEWSROOM, None),
            Where::Thread(t) => (t, Some(NEWSROOM)),
        }
    }
}

fn common(mut payload: Value, id: u64, user: (u64, &str), at: Where) -> Value {
    let (channel_id, parent) = at.ids();
    payload["id"] = json!(id.to_string());
    payload["token"] = json!(format!("token-{id}"));
    payload["application_id"] = json!(APP.to_string());
    payload["guild_id"] = json!(GUILD.to_string());
    payload["channel_id"] = json!(channel_id.to_string());
    payload["channel"] = channel(channel_id, parent);
    payload["member"]["user"] = person(user);
    payload["member"]["nick"] = Value::Null;
    payload
}

/// A `/story` slash command, as registered (`ref add` is `/story-ref add`): `sub` is the
/// catalogue's `new` or `source add`; `options` are the typed
/// options; `attachment` a file (id, name, url, size) given as the `file` option.
pub fn command(
    id: u64,
    user: (u64, &str),
    at: Where,
    sub: &str,
    options: &[(&str, Value)],
    attachment: Option<(u64, &str, &str, usize)>,
) -> Value {
    let mut payload = common(fixture("application_command_subcommand"), id, user, at);
    let mut opts: Vec<Value> = options
        .iter()
        .map(|(name, value)| {
            let kind = match value {
                Value::Bool(_) => 5,
                Value::Number(_) => 4,
                _ => 3,
            };
            json!({"type": kind, "name": name, "value": value})
        })
        .collect();
    let mut resolved = json!({});
    if let Some((aid, name, url, size)) = attachment {
        opts.push(json!({"type": 11, "name": "file", "value": aid.to_string()}));
        resolved = json!({"attachments": {aid.to_string(): {
            "id": aid.to_string(), "filename": name, "size": size, "url": url,
            "proxy_url": url, "content_type": "text/plain; charset=utf-8"
        }}});
    }
    // The root command Discord registers it under (`/story-ref add`, `/story-time due`).
    let (root, sub) = match storydesk::discord::commands::ROOTS
        .iter()
        .find(|r| r.words.contains(&sub.split(' ').next().unwrap_or(sub)))
    {
        Some(r) => (r.name, sub.strip_prefix(r.prefix).unwrap()),
        None => ("story", sub),
    };
    let inner = match sub.split_once(' ') {
        None => json!([{"type": 1, "name": sub, "options": opts}]),
        Some((group, name)) => json!([{"type": 2, "name": group, "options": [
            {"type": 1, "name": name, "options": opts}
        ]}]),
    };
    payload["data"] = json!({
        "id": "771825006014889984", "name": root, "type": 1,
        "options": inner, "resolved": resolved
    });
    payload
}

/// A click on a button with `custom_id` under a message in `at`.
pub fn button(id: u64, user: (u64, &str), at: Where, message: u64, custom_id: &str) -> Value {
    let mut payload = common(fixture("message_component_button"), id, user, at);
    let (channel_id, _) = at.ids();
    payload["message"]["id"] = json!(message.to_string());
    payload["message"]["channel_id"] = json!(channel_id.to_string());
    payload["data"] = json!({"custom_id": custom_id, "component_type": 2});
    payload
}

/// A form submitted with `custom_id` and its fields.
pub fn modal(
    id: u64,
    user: (u64, &str),
    at: Where,
    custom_id: &str,
    fields: &[(&str, &str)],
) -> Value {
    let mut payload = common(fixture("modal_submit"), id, user, at);
    payload["data"] = json!({
        "custom_id": custom_id,
        "components": fields.iter().map(|(fid, value)| json!({
            "type": 1, "components": [{"type": 4, "custom_id": fid, "value": value}]
        })).collect::<Vec<_>>()
    });
    payload
}

/// The same interaction made in `guild`, and (unless it came from a thread, which keeps its
/// parent) in `channel`.
pub fn moved(mut payload: Value, guild: u64, channel: u64) -> Value {
    payload["guild_id"] = json!(guild.to_string());
    payload["channel"]["guild_id"] = json!(guild.to_string());
    if payload["channel"]["parent_id"].is_null() {
        payload["channel_id"] = json!(channel.to_string());
        payload["channel"]["id"] = json!(channel.to_string());
        if payload["message"].is_object() {
            payload["message"]["channel_id"] = json!(channel.to_string());
        }
    }
    payload
}

/// A message posted by `user` in channel `at` (a gateway MESSAGE_CREATE).
pub fn message_create(id: u64, user: (u64, &str), channel: u64, content: &str) -> Value {
    let mut m = fake_discord::message_json(id, channel, content);
    m["author"] = person(user);
    m["guild_id"] = json!(GUILD.to_string());
    m["member"] = json!({"roles": [], "joined_at": "2026-01-01T00:00:00.000000+00:00",
                         "deaf": false, "mute": false, "flags": 0, "nick": null});
    m
}

/// The hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The application's signing key in the tests (Discord holds the real one).
pub fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[42u8; 32])
}

/// Unix seconds now.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// How interactions reach storydesk.
pub enum Delivery {
    /// Over the gateway: the fake dispatches INTERACTION_CREATE to serenity's client.
    Gateway,
    /// Over `POST /discord/interactions`, signed.
    Endpoint {
        /// The server's address.
        addr: std::net::SocketAddr,
        /// An HTTP client.
        client: reqwest::Client,
    },
}

/// A newsroom on a fresh data directory, with storydesk connected to a fake Discord.
pub struct Newsroom {
    /// The fake.
    pub fake: FakeDiscord,
    /// The adapter.
    pub discord: Arc<Discord>,
    /// How interactions are sent.
    pub delivery: Delivery,
    /// Keeps the data directory.
    pub dir: tempfile::TempDir,
    next_id: std::sync::atomic::AtomicU64,
}

/// The configuration the tests use: erin is the editor; articles go to #published.
pub fn config() -> Config {
    Config::from_overlay(
        Some(&format!(
            "[roles]\neditors = [\"{}\"]\n[publish]\nchannel = \"published\"\n",
            ERIN.0
        )),
        "test",
    )
    .unwrap()
}

/// A scenario ends well only if nothing storydesk ran panicked and every answer the bot
/// gave a person was looked at by the test (`finish`).
impl Drop for Newsroom {
    fn drop(&mut self) {
        finish::finish(
            self.discord.idle(),
            || self.discord.desk().panics(),
            || self.fake.unread(),
        );
    }
}

impl Newsroom {
    /// A newsroom whose REST goes to `fake` through the proxy setting, or through `http`.
    pub async fn with_http(
        fake: FakeDiscord,
        http: serenity::http::Http,
        gateway: bool,
    ) -> Newsroom {
        Self::with_http_config(fake, http, gateway, config()).await
    }

    /// A newsroom with its own `config`, its REST going to the fake through the proxy
    /// setting.
    pub async fn start_with(config: Config, gateway: bool) -> Newsroom {
        let fake = FakeDiscord::start().await;
        let http =
            storydesk::discord::build_http("fake-token", Some(APP), Some(&fake.api_url()), None);
        Self::with_http_config(fake, http, gateway, config).await
    }

    async fn with_http_config(
        fake: FakeDiscord,
        http: serenity::http::Http,
        gateway: bool,
        config: Config,
    ) -> Newsroom {
        let dir = tempfile::tempdir().unwrap();
        let desk = storydesk::open_desk(config, dir.path()).unwrap();
        let discord = Discord::new(desk, Arc::new(http));
        let delivery = if gateway {
            let gateway_http = storydesk::discord::build_http(
                "fake-token",
                Some(APP),
                Some(&fake.api_url()),
                None,
            );
            let d = discord.clone();
            tokio::spawn(async move {
                storydesk::discord::gateway::run(
                    d,
                    gateway_http,
                    storydesk::health::Signal::detached("discord_gateway"),
                    None,
                    std::future::pending(),
                )
                .await
                .unwrap();
            });
            fake.wait_for("the gateway's IDENTIFY", |_| fake.identify().is_some())
                .await;
            Delivery::Gateway
        } else {
            let key = hex(signing_key().verifying_key().as_bytes());
            let check = storydesk::discord::verify::SignatureCheck::from_hex(&key).unwrap();
            let app = storydesk::server::base_routes()
                .merge(storydesk::discord::http::routes(discord.clone(), check));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(storydesk::server::run(
                listener,
                app,
                std::future::pending(),
            ));
            Delivery::Endpoint {
                addr,
                client: reqwest::Client::new(),
            }
        };
        Newsroom {
            fake,
            discord,
            delivery,
            dir,
            next_id: std::sync::atomic::AtomicU64::new(700_000_000_000_000_000),
        }
    }

    /// A newsroom over the endpoint whose config adds `overlay` (an `[assist]` table) and
    /// whose drafts are written by `assistant`.
    pub async fn start_drafting(
        overlay: &str,
        assistant: Result<storydesk::assist::Assistant, storydesk::assist::Failure>,
    ) -> Newsroom {
        let fake = FakeDiscord::start().await;
        let http =
            storydesk::discord::build_http("fake-token", Some(APP), Some(&fake.api_url()), None);
        let dir = tempfile::tempdir().unwrap();
        let config = Config::from_overlay(
            Some(&format!(
                "[roles]\neditors = [\"{}\"]\n[publish]\nchannel = \"published\"\n{overlay}",
                ERIN.0
            )),
            "test",
        )
        .unwrap();
        let desk = storydesk::open_desk(config, dir.path()).unwrap();
        let discord = Discord::with_assistant(desk, Arc::new(http), assistant);
        let key = hex(signing_key().verifying_key().as_bytes());
        let check = storydesk::discord::verify::SignatureCheck::from_hex(&key).unwrap();
        let app = storydesk::server::base_routes()
            .merge(storydesk::discord::http::routes(discord.clone(), check));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(storydesk::server::run(
            listener,
            app,
            std::future::pending(),
        ));
        Newsroom {
            fake,
            discord,
            delivery: Delivery::Endpoint {
                addr,
                client: reqwest::Client::new(),
            },
            dir,
            next_id: std::sync::atomic::AtomicU64::new(700_000_000_000_000_000),
        }
    }

    /// A newsroom on a plain-HTTP fake, over the gateway or the endpoint.
    pub async fn start(gateway: bool) -> Newsroom {
        let fake = FakeDiscord::start().await;
        let http =
            storydesk::discord::build_http("fake-token", Some(APP), Some(&fake.api_url()), None);
        Self::with_http(fake, http, gateway).await
    }

    /// A fresh interaction id.
    pub fn id(&self) -> u64 {
        self.next_id
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    }

    /// Send an interaction; returns storydesk's first answer, after all the work it started
    /// is done.
    pub async fn send(&self, payload: Value) -> Value {
        let answer = self.send_raw(payload).await;
        self.discord.idle().await;
        answer
    }

    /// Send an interaction; returns the first answer without waiting for the rest.
    pub async fn send_raw(&self, payload: Value) -> Value {
        let id = payload["id"].as_str().unwrap().to_string();
        match &self.delivery {
            Delivery::Gateway => {
                let before = self.fake.calls().len();
                self.fake.dispatch("INTERACTION_CREATE", payload);
                let path = format!("/interactions/{id}/token-{id}/callback");
                let calls = self
                    .fake
                    .wait_for(&format!("the answer to {id}"), |calls| {
                        calls[before..].iter().any(|c| c.path == path)
                    })
                    .await;
                calls[before..]
                    .iter()
                    .find(|c| c.path == path)
                    .unwrap()
                    .body
                    .clone()
            }
            Delivery::Endpoint { addr, client } => {
                let body = payload.to_string();
                let ts = now_secs().to_string();
                let sig = hex(&signing_key()
                    .sign(&[ts.as_bytes(), body.as_bytes()].concat())
                    .to_bytes());
                let response = client
                    .post(format!("http://{addr}/discord/interactions"))
                    .header("content-type", "application/json")
                    .header("x-signature-ed25519", sig)
                    .header("x-signature-timestamp", ts)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
                response.json().await.unwrap()
            }
        }
    }
}
