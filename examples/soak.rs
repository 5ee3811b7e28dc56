//! Soak: the real `storydesk serve` under a steady mixed load for a long time, sampling its
//! memory and open file descriptors, to see that both level off.
//!
//! The server runs with Slack over HTTP (against a fake Slack Web API in this process) and
//! Discord (the interactions endpoint, and the gateway and REST of the fake Discord of
//! `tests/support`), all on loopback. Requests go out at a fixed rate, each really signed:
//!
//! - 80% reads: Slack `/story status` and `/story show section:…` in one of the desks'
//!   channels, Discord `/story status`;
//! - 20% writes: new revisions through the Slack and Discord write forms, Slack approvals
//!   and references;
//! - every 30 s, a whole edition in a channel of its own: `/story new`, three sections
//!   written, a reference, five approvals by a reviewer and `/story publish` by an editor,
//!   which posts the article to the publishing channel of the fake Slack;
//! - every 60 s (`--rotate-every`), each of the eight Slack desks moves on to a new story, as
//!   a newsroom's desks do, so no story collects thousands of references and approvals; the
//!   old stories stay in the store.
//!
//! `--cache-mb N` and `--remember-secs N` set the server's `[store] cache_mb` and `[events]
//! remember_secs`.
//!
//! Every 10 s it samples the server's resident memory (`VmRSS`) and open descriptors
//! (`/proc/PID/fd`), with the requests and latencies of that interval, and at the end prints
//! the table and a verdict on whether memory and descriptors levelled off.
//!
//! Run: `scripts/soak.sh [SECONDS]` (builds the release binary and this example), or
//! `cargo run --release --example soak -- --seconds 600 --rate 100`. The server binary is
//! `target/release/storydesk`, or `STORYDESK_BIN`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::Path as UrlPath;
use axum::routing::post;
use ed25519_dalek::Signer;
use serde_json::{json, Value};
use storydesk::slack::verify::{sign, unix_now, SigningSecret};
use tokio::sync::Semaphore;

use support::fake_discord::{FakeDiscord, APP};
use support::rng::Rng;
use support::{command, hex, modal, signing_key, Where, ALICE, BOB};

const SECRET: &str = "soak-signing-secret";
const TEAM: &str = "T0SOAK";
const WRITER: &str = "U0WRITER";
const REVIEWER: &str = "U0REVIEWER";
const EDITOR: &str = "U0EDITOR";
const PUBLISHED: &str = "C0PUBLISHED";
/// Slack channels with a story each, which the steady load reads and writes.
const DESKS: usize = 8;
const SECTIONS: [&str; 3] = ["introduction", "body", "conclusion"];

/// Command-line settings.
struct Settings {
    seconds: u64,
    rate: u64,
    sample: u64,
    publish_every: u64,
    /// `[store] cache_mb` for the server; none: the default.
    cache_mb: Option<u64>,
    /// Every so many seconds each desk moves on to a new story (0: never).
    rotate_every: u64,
    /// `[events] remember_secs` for the server; none: the default.
    remember_secs: Option<u64>,
}

impl Settings {
    fn from_args() -> Settings {
        let mut s = Settings {
            seconds: 600,
            rate: 100,
            sample: 10,
            publish_every: 30,
            cache_mb: None,
            rotate_every: 60,
            remember_secs: None,
        };
        let args: Vec<String> = std::env::args().skip(1).collect();
        let mut i = 0;
        while i < args.len() {
            let value = args
                .get(i + 1)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{} needs a number", args[i]));
            match args[i].as_str() {
                "--seconds" => s.seconds = value,
                "--rate" => s.rate = value,
                "--sample" => s.sample = value,
                "--publish-every" => s.publish_every = value,
                "--cache-mb" => s.cache_mb = Some(value),
                "--rotate-every" => s.rotate_every = value,
                "--remember-secs" => s.remember_secs = Some(value),
                other => panic!(
                    "unknown option {other}; options: --seconds --rate --sample --publish-every --cache-mb --rotate-every --remember-secs"
                ),
            }
            i += 2;
        }
        s
    }
}

/// What one interval of the run saw.
#[derive(Default)]
struct Window {
    reads: u64,
    writes: u64,
    errors: u64,
    latencies: Vec<Duration>,
}

/// The fake Slack Web API: every method answers ok with a fresh `ts`; messages posted to
/// the publishing channel are counted.
#[derive(Clone, Default)]
struct FakeSlack {
    calls: Arc<AtomicU64>,
    published: Arc<AtomicU64>,
}

impl FakeSlack {
    async fn start(&self) -> String {
        let this = self.clone();
        let app = axum::Router::new().route(
            "/api/{method}",
            post(move |UrlPath(method): UrlPath<String>, body: Bytes| {
                let this = this.clone();
                async move {
                    let n = this.calls.fetch_add(1, Ordering::Relaxed);
                    let channel = serde_json::from_slice::<Value>(&body)
                        .ok()
                        .and_then(|v| v["channel"].as_str().map(str::to_string))
                        .unwrap_or_default();
                    if method == "chat.postMessage" && channel == PUBLISHED {
                        this.published.fetch_add(1, Ordering::Relaxed);
                    }
                    axum::Json(json!({
                        "ok": true,
                        "ts": format!("1700000000.{n:06}"),
                        "channel": channel,
                        "user": { "id": "U0X", "name": "someone", "real_name": "Someone" },
                    }))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    }
}

/// Sends signed requests to the server.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    base: String,
    secret: SigningSecret,
    serial: Arc<AtomicU64>,
}

impl Client {
    fn next(&self) -> u64 {
        self.serial.fetch_add(1, Ordering::Relaxed)
    }

    /// A signed Slack form; the status and body.
    async fn slack(&self, path: &str, body: String) -> Result<(u16, String), String> {
        let ts = unix_now();
        let signature = sign(&self.secret, ts, body.as_bytes());
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", ts.to_string())
            .header("x-slack-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = r.status().as_u16();
        let text = r.text().await.map_err(|e| e.to_string())?;
        Ok((status, text))
    }

    /// `/story …` typed by `user` in Slack channel `channel`.
    async fn command(
        &self,
        channel: &str,
        user: &str,
        text: &str,
    ) -> Result<(u16, String), String> {
        let trigger = format!("{}.soak", self.next());
        let body = serde_urlencoded::to_string([
            ("team_id", TEAM),
            ("channel_id", channel),
            ("user_id", user),
            ("user_name", &user.to_lowercase()),
            ("command", "/story"),
            ("text", text),
            ("response_url", "http://127.0.0.1:9/unused"),
            ("trigger_id", &trigger),
        ])
        .unwrap();
        self.slack("/slack/commands", body).await
    }

    /// The submission of the `/story write` modal for `section` of `story`.
    async fn write(
        &self,
        channel: &str,
        story: u64,
        section: &str,
        text: &str,
    ) -> Result<(u16, String), String> {
        let n = self.next();
        let meta = json!({ "k": "write", "c": channel, "s": story, "sub": "write",
                           "o": [["section", section]], "n": 1, "sep": [] });
        let payload = json!({
            "type": "view_submission",
            "team": { "id": TEAM, "domain": "soak" },
            "user": { "id": WRITER, "username": "u0writer", "team_id": TEAM },
            "trigger_id": format!("{n}.soak.submit"),
            "view": {
                "id": format!("V{n}"), "team_id": TEAM, "type": "modal",
                "callback_id": "storydesk_write", "private_metadata": meta.to_string(),
                "hash": format!("{n}.soak"),
                "state": { "values": { "text_0": { "value": { "type": "plain_text_input", "value": text } } } },
            },
        });
        let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
        self.slack("/slack/interactivity", body).await
    }

    /// A signed Discord interaction; the status and body.
    async fn discord(&self, interaction: Value) -> Result<(u16, String), String> {
        let body = interaction.to_string();
        let ts = support::now_secs().to_string();
        let sig = hex(&signing_key()
            .sign(&[ts.as_bytes(), body.as_bytes()].concat())
            .to_bytes());
        let r = self
            .http
            .post(format!("{}/discord/interactions", self.base))
            .header("content-type", "application/json")
            .header("x-signature-ed25519", sig)
            .header("x-signature-timestamp", ts)
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = r.status().as_u16();
        let text = r.text().await.map_err(|e| e.to_string())?;
        Ok((status, text))
    }

    /// The number of the story a `/story status` answer shows.
    async fn story_in(&self, channel: &str) -> u64 {
        let (_, text) = self
            .command(channel, WRITER, "status")
            .await
            .expect("status");
        story_number(&text).unwrap_or_else(|| panic!("no story number in {text}"))
    }
}

fn story_number(text: &str) -> Option<u64> {
    let re = regex::Regex::new(r"Story #(\d+)").unwrap();
    re.captures(text).and_then(|c| c[1].parse().ok())
}

fn paragraph(n: u64) -> String {
    format!(
        "Revision {n}: members of the harbour committee asked the dredging contractor why the work on the eastern quay had fallen behind, and the contractor said the survey of the seabed had found more rock than expected."
    )
}

/// One request of the steady load; `Ok(true)` for a write.
async fn one(
    client: &Client,
    desks: &Desks,
    discord_stories: &[u64],
    roll: u64,
    pick: usize,
) -> Result<(bool, u16), String> {
    let (channel, story) = {
        let desks = desks.read().unwrap();
        desks[pick % desks.len()].clone()
    };
    let (channel, story) = (&channel, &story);
    let section = SECTIONS[pick % SECTIONS.len()];
    let n = client.next();
    let (write, answer) = match roll {
        // Reads: 80%.
        0..=34 => (false, client.command(channel, REVIEWER, "status").await),
        35..=59 => (
            false,
            client
                .command(channel, REVIEWER, &format!("show section:{section}"))
                .await,
        ),
        60..=79 => (
            false,
            client
                .discord(command(
                    n,
                    BOB,
                    Where::Newsroom,
                    "status",
                    &[],
                    None,
                ))
                .await,
        ),
        // Writes: 20%.
        80..=89 => (
            true,
            client.write(channel, *story, section, &paragraph(n)).await,
        ),
        90..=94 => {
            let story = discord_stories[pick % discord_stories.len()];
            let custom_id = format!("sd:write:{story}:{section}");
            (
                true,
                client
                    .discord(modal(
                        n,
                        ALICE,
                        Where::Newsroom,
                        &custom_id,
                        &[("text1", &paragraph(n))],
                    ))
                    .await,
            )
        }
        95..=97 => (
            true,
            client
                .command(channel, REVIEWER, &format!("approve section:{section}"))
                .await,
        ),
        _ => (
            true,
            client
                .command(
                    channel,
                    WRITER,
                    &format!("ref add author:\"Ruiz, A.\" date:2024-05-01 title:\"Harbour works, part {n}\" outlet:\"Harbour Gazette\" url:https://example.org/soak/{n} kind:news"),
                )
                .await,
        ),
    };
    answer.map(|(status, _)| (write, status))
}

/// The desks the steady load works on: a Slack channel and its current story each.
type Desks = Arc<std::sync::RwLock<Vec<(String, u64)>>>;

/// Starts a story in `channel` (it becomes the channel's active story) with every section
/// written once; its number.
async fn open_story(client: &Client, channel: &str, title: &str) -> u64 {
    let (status, _) = client
        .command(channel, WRITER, &format!("new title:\"{title}\""))
        .await
        .unwrap();
    assert_eq!(status, 200);
    let story = client.story_in(channel).await;
    for section in SECTIONS {
        client
            .write(channel, story, section, &paragraph(0))
            .await
            .unwrap();
    }
    story
}

/// A whole edition in its own channel, published by the editor. True when the article
/// reached the publishing channel.
async fn edition(client: &Client, slack: &FakeSlack, n: u64) -> Result<bool, String> {
    let channel = format!("C0EDITION{n}");
    let ok = |r: (u16, String)| {
        if r.0 == 200 {
            Ok(r.1)
        } else {
            Err(format!("status {}", r.0))
        }
    };
    ok(client
        .command(&channel, WRITER, &format!("new title:\"Soak edition {n}\""))
        .await?)?;
    let story = client.story_in(&channel).await;
    for section in SECTIONS {
        ok(client
            .write(&channel, story, section, &paragraph(n))
            .await?)?;
    }
    ok(client
        .command(&channel, WRITER, "ref add author:\"Ruiz, A.\" date:2024-05-01 title:\"Harbour works\" outlet:\"Harbour Gazette\" url:https://example.org/soak kind:news")
        .await?)?;
    for section in ["title", "introduction", "body", "conclusion", "references"] {
        ok(client
            .command(&channel, REVIEWER, &format!("approve section:{section}"))
            .await?)?;
    }
    let before = slack.published.load(Ordering::Relaxed);
    let answer = ok(client.command(&channel, EDITOR, "publish").await?)?;
    // The article goes out after the ack, through the channel's send queue.
    for _ in 0..100 {
        if slack.published.load(Ordering::Relaxed) > before {
            return Ok(true);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("no article posted; the answer was {answer}"))
}

fn proc_status_kib(pid: u32, field: &str) -> u64 {
    let mut s = String::new();
    std::fs::File::open(format!("/proc/{pid}/status"))
        .and_then(|mut f| f.read_to_string(&mut s))
        .ok();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

fn dir_bytes(path: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(path) {
        for e in entries.flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => total += dir_bytes(&e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

/// One row of the sample table.
struct Sample {
    at: u64,
    rss_kib: u64,
    fds: usize,
    reads: u64,
    writes: u64,
    errors: u64,
    p50: Duration,
    p99: Duration,
    editions: u64,
    store_bytes: u64,
}

#[tokio::main]
async fn main() {
    let settings = Settings::from_args();
    let binary =
        std::env::var("STORYDESK_BIN").unwrap_or_else(|_| "target/release/storydesk".into());
    let seed: u64 = std::env::var("STORYDESK_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);

    let slack = FakeSlack::default();
    let slack_url = slack.start().await;
    let discord = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("soak.toml");
    std::fs::write(
        &config,
        format!(
            "[roles]\neditors = [\"{EDITOR}\", \"{}\"]\n\n[publish]\nchannel = \"{PUBLISHED}\"\n{}",
            EDITOR.to_lowercase(),
            settings
                .cache_mb
                .map(|mb| format!("\n[store]\ncache_mb = {mb}\n"))
                .unwrap_or_default()
                + &settings
                    .remember_secs
                    .map(|secs| format!("\n[events]\nremember_secs = {secs}\n"))
                    .unwrap_or_default()
        ),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::fs::File::create(dir.path().join("storydesk.log")).unwrap();
    let mut server = std::process::Command::new(&binary)
        .arg("serve")
        .env("STORYDESK_BIND", format!("127.0.0.1:{port}"))
        .env("STORYDESK_DATA_DIR", &data)
        .env("STORYDESK_CONFIG", &config)
        .env("SLACK_SIGNING_SECRET", SECRET)
        .env("SLACK_BOT_TOKEN", "xoxb-soak")
        .env("STORYDESK_SLACK_API_URL", &slack_url)
        .env("DISCORD_TOKEN", "fake-token")
        .env(
            "DISCORD_PUBLIC_KEY",
            hex(signing_key().verifying_key().as_bytes()),
        )
        .env("DISCORD_APPLICATION_ID", APP.to_string())
        .env("STORYDESK_DISCORD_API_URL", discord.api_url())
        .env("RUST_LOG", "warn")
        .env_remove("SLACK_APP_TOKEN")
        .env_remove("STORYDESK_SOURCE_KEY")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run {binary}: {e}; build it with cargo build --release")
        });
    let pid = server.id();
    let client = Client {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        base: format!("http://127.0.0.1:{port}"),
        secret: SigningSecret::new(SECRET),
        serial: Arc::new(AtomicU64::new(1)),
    };
    let mut up = false;
    for _ in 0..400 {
        if let Ok(r) = client
            .http
            .get(format!("{}/healthz", client.base))
            .send()
            .await
        {
            if r.status() == 200 {
                up = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(up, "storydesk did not come up; see its log");

    // The desks the steady load works on: Slack channels with a story each, and two
    // Discord stories in the fake's newsroom.
    let mut desks = Vec::new();
    for d in 0..DESKS {
        let channel = format!("C0DESK{d}");
        let story = open_story(&client, &channel, &format!("Soak desk {d}")).await;
        desks.push((channel, story));
    }
    let mut discord_stories = Vec::new();
    for d in 0..2 {
        let n = client.next();
        let (status, _) = client
            .discord(command(
                n,
                ALICE,
                Where::Newsroom,
                "new",
                &[("title", json!(format!("Soak Discord desk {d}")))],
                None,
            ))
            .await
            .unwrap();
        assert_eq!(status, 200);
        let (_, text) = client
            .discord(command(
                client.next(),
                ALICE,
                Where::Newsroom,
                "status",
                &[],
                None,
            ))
            .await
            .unwrap();
        discord_stories
            .push(story_number(&text).unwrap_or_else(|| panic!("no story number in {text}")));
    }
    let desks: Desks = Arc::new(std::sync::RwLock::new(desks));
    let discord_stories = Arc::new(discord_stories);
    eprintln!(
        "soak: {} s at {} requests/s, an edition every {} s, sampling every {} s; server pid {pid}; seed {seed}",
        settings.seconds, settings.rate, settings.publish_every, settings.sample
    );

    let window = Arc::new(Mutex::new(Window::default()));
    let editions = Arc::new(AtomicU64::new(0));
    let edition_failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let in_flight = Arc::new(Semaphore::new(256));
    let start = Instant::now();
    let end = start + Duration::from_secs(settings.seconds);

    // Editions, every `publish_every` seconds.
    let publisher = {
        let client = client.clone();
        let slack = slack.clone();
        let editions = editions.clone();
        let failures = edition_failures.clone();
        let every = settings.publish_every;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(every));
            let mut n = 0;
            loop {
                tick.tick().await;
                if Instant::now() >= end {
                    break;
                }
                n += 1;
                match edition(&client, &slack, n).await {
                    Ok(_) => {
                        editions.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => failures.lock().unwrap().push(format!("edition {n}: {e}")),
                }
            }
        })
    };

    // Rotation: every `rotate_every` seconds each desk moves on to a new story, as a
    // newsroom's desks do; the old stories stay in the store, untouched.
    let rotator = {
        let client = client.clone();
        let desks = desks.clone();
        let every = settings.rotate_every;
        tokio::spawn(async move {
            if every == 0 {
                return;
            }
            let mut tick = tokio::time::interval(Duration::from_secs(every));
            tick.tick().await;
            let mut round = 0;
            loop {
                tick.tick().await;
                if Instant::now() >= end {
                    break;
                }
                round += 1;
                for d in 0..DESKS {
                    let channel = format!("C0DESK{d}");
                    let story =
                        open_story(&client, &channel, &format!("Soak desk {d}, story {round}"))
                            .await;
                    desks.write().unwrap()[d] = (channel, story);
                }
            }
        })
    };

    // Samples.
    let sampler = {
        let window = window.clone();
        let editions = editions.clone();
        let data = data.clone();
        let every = settings.sample;
        tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut tick = tokio::time::interval(Duration::from_secs(every));
            let (mut reads, mut writes, mut errors) = (0, 0, 0);
            loop {
                tick.tick().await;
                let mut w = std::mem::take(&mut *window.lock().unwrap());
                w.latencies.sort();
                let pick = |q: f64| {
                    w.latencies
                        .get(
                            ((w.latencies.len() as f64 * q) as usize)
                                .min(w.latencies.len().saturating_sub(1)),
                        )
                        .copied()
                        .unwrap_or_default()
                };
                reads += w.reads;
                writes += w.writes;
                errors += w.errors;
                samples.push(Sample {
                    at: start.elapsed().as_secs_f64().round() as u64,
                    rss_kib: proc_status_kib(pid, "VmRSS:"),
                    fds: open_fds(pid),
                    reads,
                    writes,
                    errors,
                    p50: pick(0.50),
                    p99: pick(0.99),
                    editions: editions.load(Ordering::Relaxed),
                    store_bytes: dir_bytes(&data),
                });
                if Instant::now() >= end {
                    break;
                }
            }
            samples
        })
    };

    // The steady load: one request every 1/rate s, each on its own task.
    let mut rng = Rng::new(seed);
    let mut tick =
        tokio::time::interval(Duration::from_nanos(1_000_000_000 / settings.rate.max(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut dropped = 0u64;
    while Instant::now() < end {
        tick.tick().await;
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            // The server is behind by 256 requests: do not pile more on.
            dropped += 1;
            continue;
        };
        let roll = rng.below(100);
        let pick = rng.below(1 << 16) as usize;
        let client = client.clone();
        let desks = desks.clone();
        let discord_stories = discord_stories.clone();
        let window = window.clone();
        tokio::spawn(async move {
            let t = Instant::now();
            let result = one(&client, &desks, &discord_stories, roll, pick).await;
            let elapsed = t.elapsed();
            let mut w = window.lock().unwrap();
            match result {
                Ok((write, 200)) => {
                    if write {
                        w.writes += 1;
                    } else {
                        w.reads += 1;
                    }
                    w.latencies.push(elapsed);
                }
                _ => w.errors += 1,
            }
            drop(permit);
        });
    }
    let _ = in_flight.acquire_many(256).await;
    publisher.await.unwrap();
    rotator.await.unwrap();
    let samples = sampler.await.unwrap();
    let peak = proc_status_kib(pid, "VmHWM:");
    let _ = server.kill();
    let _ = server.wait();

    println!("| t (s) | RSS (MiB) | open fds | reads | writes | errors | p50 (ms) | p99 (ms) | editions published | store on disk (MiB) |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for s in &samples {
        println!(
            "| {} | {:.1} | {} | {} | {} | {} | {:.2} | {:.2} | {} | {:.1} |",
            s.at,
            s.rss_kib as f64 / 1024.0,
            s.fds,
            s.reads,
            s.writes,
            s.errors,
            s.p50.as_secs_f64() * 1000.0,
            s.p99.as_secs_f64() * 1000.0,
            s.editions,
            s.store_bytes as f64 / (1024.0 * 1024.0),
        );
    }
    let failures = edition_failures.lock().unwrap().clone();
    for f in &failures {
        println!("failed: {f}");
    }
    let last = samples.last().expect("at least one sample");
    println!(
        "\n{} requests ({} reads, {} writes, {} errors, {dropped} not sent because 256 were in flight), {} editions published, {} failed; peak RSS {:.1} MiB; fake Slack calls {}, fake Discord calls {}",
        last.reads + last.writes + last.errors,
        last.reads,
        last.writes,
        last.errors,
        last.editions,
        failures.len(),
        peak as f64 / 1024.0,
        slack.calls.load(Ordering::Relaxed),
        discord.calls().len(),
    );
    // Levelling off: over the second half of the run, memory grows by less than a tenth and
    // descriptors come back to a steady count.
    let half = &samples[samples.len() / 2..];
    let rss_mid = half.first().map(|s| s.rss_kib).unwrap_or(0) as f64;
    let rss_max = half.iter().map(|s| s.rss_kib).max().unwrap_or(0) as f64;
    let rss_growth = if rss_mid > 0.0 {
        rss_max / rss_mid - 1.0
    } else {
        0.0
    };
    let fd_min = half.iter().map(|s| s.fds).min().unwrap_or(0);
    let fd_max = half.iter().map(|s| s.fds).max().unwrap_or(0);
    let level = rss_growth < 0.10 && fd_max.saturating_sub(fd_min) <= 8;
    println!(
        "second half: RSS {:+.1}% from its middle sample to its highest, open descriptors {fd_min}–{fd_max}: {}",
        rss_growth * 100.0,
        if level { "levelled off" } else { "NOT levelled off" }
    );
    let passed = level && last.errors == 0 && failures.is_empty();
    // The data directory goes before the exit (which runs no destructors).
    drop(dir);
    if !passed {
        std::process::exit(1);
    }
}
