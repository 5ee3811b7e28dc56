//! Crash safety: storydesk loses no write it acknowledged when it is killed.
//!
//! The test runs the real `storydesk serve` binary with its Slack HTTP endpoints on, against
//! the fake Slack Web API (`slack/fake.rs`) on loopback. Several lanes, each a newsroom
//! channel with a writer and a reviewer, send really-signed requests at the same time: new
//! stories, revisions through the `/story write` modal, approvals and references. At random
//! moments the process is killed with SIGKILL and started again on the same data directory.
//! After the last kill the test opens the store itself and checks that every write storydesk
//! acknowledged as done is there, and that the store is whole (every story's revisions,
//! audit log and channel lists agree).
//!
//! # What counts as acknowledged
//!
//! A Slack request is answered 200 in every case the desk handled it; what that answer
//! promises depends on the request (`src/slack/mod.rs`):
//!
//! - A slash command runs on the desk before the ack, for at most
//!   [`storydesk::slack::ACK_BUDGET`]. When the desk is slower, Slack gets an empty ack at
//!   the budget and the work goes on after it. `/story new`, `/story approve` and a
//!   `/story ref add` without warnings have no answer for the requester, so their success
//!   is an empty 200; a refusal comes back as an ephemeral message (a JSON body).
//! - A modal submission (`/story write`'s text) also runs on the desk before the ack, within
//!   the same budget: an empty 200 when the revision is saved, `response_action: errors`
//!   when the desk refused it.
//! - Button clicks and Events API messages are acknowledged first and handled after, so
//!   their 200 promises nothing; this test does not count them.
//!
//! So a write counts as acknowledged when its answer is 200 with an empty body and came
//! back sooner than the ack budget (measured by the client, from before the request was sent
//! to after the answer arrived: the server's own wait was shorter still). The desk commits
//! a change and waits for the flush that covers it before it returns (`Ctx::transact`,
//! `store/commit.rs`), so such a write is on disk when the answer leaves.
//!
//! # Replaying a failure
//!
//! The kill moments and each lane's choice of requests come from one seed, printed at the
//! start (`STORYDESK_CRASH_SEED=N` sets it; `STORYDESK_CRASH_KILLS=N` the number of kills,
//! 24 by default). Thread scheduling is not replayed, so a rerun with the same seed makes
//! the same choices at about the same moments, not the same interleaving.

#[path = "slack/fake.rs"]
mod fake;
#[allow(dead_code)]
#[path = "support/rng.rs"]
mod rng;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use storydesk::model::{ChannelKey, Platform, StoryId};
use storydesk::slack::verify::{sign, unix_now, SigningSecret};
use storydesk::store::{Store, StoreOptions};
use tokio::sync::watch;

use fake::FakeSlack;
use rng::Rng;

const SECRET: &str = "crash-test-signing-secret";
const TEAM: &str = "T0CRASH";
/// Lanes writing at the same time (the machine has two cores; more lanes mostly queue).
const LANES: usize = 4;
/// Kill points in one run unless `STORYDESK_CRASH_KILLS` says otherwise.
const DEFAULT_KILLS: usize = 24;
/// How long the server runs between its start and its kill, at least and at most.
const RUN_MS: (u64, u64) = (80, 700);

/// A write storydesk acknowledged as done, and what must be in the store for it.
#[derive(Debug, Clone)]
enum Acked {
    /// `/story new`: a story with this title in this channel.
    Story { channel: String, title: String },
    /// A `/story write` modal submission: a revision of `section` of `story` with this text.
    Revision {
        story: u64,
        section: String,
        text: String,
        author: String,
    },
    /// `/story approve section:… revision:N`: the approval in the story's audit log.
    Approval {
        story: u64,
        section: String,
        revision: u32,
        by: String,
    },
    /// `/story ref add`: a reference with this title in one of the channel's stories.
    Reference { channel: String, title: String },
}

/// What came back for one request.
enum Answer {
    /// 200 with an empty body, sooner than the ack budget: the desk did it before answering.
    Done,
    /// 200 with a body: an ephemeral answer (a refusal, a read, a warning) or modal errors.
    Said(Value),
    /// 200 with an empty body at or after the ack budget: the work may still be going on.
    Late,
    /// Another status: never expected from a correctly signed request.
    Status,
    /// No answer: the connection failed (the server was killed, or is not up yet).
    Lost,
}

/// Counters for the summary and for the checks that the run did what it claims.
#[derive(Default)]
struct Tally {
    sent: AtomicUsize,
    done: AtomicUsize,
    said: AtomicUsize,
    late: AtomicUsize,
    lost: AtomicUsize,
    unexpected: Mutex<Vec<String>>,
}

/// The running server and where it writes its log.
struct Server {
    child: Child,
    base: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `storydesk serve` on `data` and waits until it answers `/healthz`. Fails the test
/// when the process exits first (the store would not open, say), with its log.
async fn start_server(data: &Path, api_url: &str, log: &Path, database: Option<&str>) -> Server {
    let mut last_exit = String::new();
    // A port picked free may be taken by the time the server binds it: try a few.
    for _ in 0..5 {
        let port = free_port();
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_storydesk"));
        match database {
            Some(url) => command.env("STORYDESK_DATABASE_URL", url),
            None => command.env_remove("STORYDESK_DATABASE_URL"),
        };
        let mut child = command
            .arg("serve")
            .env("STORYDESK_BIND", format!("127.0.0.1:{port}"))
            .env("STORYDESK_DATA_DIR", data)
            .env("SLACK_SIGNING_SECRET", SECRET)
            .env("SLACK_BOT_TOKEN", fake::BOT_TOKEN)
            .env("STORYDESK_SLACK_API_URL", api_url)
            .env("RUST_LOG", "warn")
            .env_remove("SLACK_APP_TOKEN")
            .env_remove("DISCORD_TOKEN")
            .env_remove("DISCORD_PUBLIC_KEY")
            .env_remove("STORYDESK_CONFIG")
            .env_remove("STORYDESK_SOURCE_KEY")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("run the storydesk binary");
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        // A liveness bound, not a speed assertion: a debug build on a busy machine opens
        // its store in well under a second.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                last_exit = format!("exited with {status}");
                break;
            }
            if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
                if r.status() == 200 {
                    return Server { child, base };
                }
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "storydesk did not come up within 60 s; its log:\n{}",
                    read_log(log)
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    panic!(
        "storydesk would not start ({last_exit}); its log:\n{}",
        read_log(log)
    );
}

fn read_log(log: &Path) -> String {
    let mut s = String::new();
    if let Ok(mut f) = std::fs::File::open(log) {
        let _ = f.read_to_string(&mut s);
    }
    s
}

/// One lane's people and channel, and the client that speaks for them.
struct Lane {
    n: usize,
    channel: String,
    writer: String,
    reviewer: String,
    http: reqwest::Client,
    secret: SigningSecret,
    fake: FakeSlack,
    tally: Arc<Tally>,
    acked: Arc<Mutex<Vec<Acked>>>,
}

impl Lane {
    /// Sends a signed form to `path` and sorts the answer.
    async fn post(&self, base: &str, path: &str, body: String) -> Answer {
        self.tally.sent.fetch_add(1, Ordering::Relaxed);
        let ts = unix_now();
        let signature = sign(&self.secret, ts, body.as_bytes());
        let started = Instant::now();
        let sent = self
            .http
            .post(format!("{base}{path}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", ts.to_string())
            .header("x-slack-signature", signature)
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(_) => {
                self.tally.lost.fetch_add(1, Ordering::Relaxed);
                return Answer::Lost;
            }
        };
        let status = response.status().as_u16();
        let bytes = match response.bytes().await {
            Ok(b) => b,
            Err(_) => {
                self.tally.lost.fetch_add(1, Ordering::Relaxed);
                return Answer::Lost;
            }
        };
        let elapsed = started.elapsed();
        if status != 200 {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            self.tally
                .unexpected
                .lock()
                .unwrap()
                .push(format!("{path}: {status} {text}"));
            return Answer::Status;
        }
        if bytes.is_empty() {
            if elapsed < storydesk::slack::ACK_BUDGET {
                self.tally.done.fetch_add(1, Ordering::Relaxed);
                Answer::Done
            } else {
                self.tally.late.fetch_add(1, Ordering::Relaxed);
                Answer::Late
            }
        } else {
            self.tally.said.fetch_add(1, Ordering::Relaxed);
            Answer::Said(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
        }
    }

    /// A `/story …` slash command typed by `user`.
    async fn command(&self, base: &str, user: &str, trigger: &str, text: &str) -> Answer {
        let body = serde_urlencoded::to_string([
            ("team_id", TEAM),
            ("team_domain", "crash"),
            ("channel_id", self.channel.as_str()),
            ("channel_name", "newsroom"),
            ("user_id", user),
            ("user_name", &user.to_lowercase()),
            ("command", "/story"),
            ("text", text),
            ("response_url", &self.fake.response_url(trigger)),
            ("trigger_id", trigger),
        ])
        .unwrap();
        self.post(base, "/slack/commands", body).await
    }

    fn record(&self, write: Acked) {
        self.acked.lock().unwrap().push(write);
    }

    /// `/story new`.
    async fn new_story(&self, base: &str, trigger: &str, k: u64) -> Answer {
        let title = format!("Lane {} story {k}", self.n);
        let answer = self
            .command(
                base,
                &self.writer,
                trigger,
                &format!("new title:\"{title}\""),
            )
            .await;
        if matches!(answer, Answer::Done) {
            self.record(Acked::Story {
                channel: self.channel.clone(),
                title,
            });
        }
        answer
    }

    /// `/story write section:body`, then the modal it opens, submitted with a new text.
    async fn write(&self, base: &str, trigger: &str, k: u64) -> Answer {
        let answer = self
            .command(base, &self.writer, trigger, "write section:body")
            .await;
        if !matches!(answer, Answer::Done) {
            return answer;
        }
        // The modal was opened with `views.open` before the ack.
        let Some(opened) = self
            .fake
            .calls_of("views.open")
            .into_iter()
            .find(|c| c.body["trigger_id"] == trigger)
        else {
            self.tally
                .unexpected
                .lock()
                .unwrap()
                .push(format!("no modal opened for trigger {trigger}"));
            return answer;
        };
        let view = &opened.body["view"];
        let metadata = view["private_metadata"].as_str().unwrap_or_default();
        let meta: Value = serde_json::from_str(metadata).unwrap_or(Value::Null);
        let story = meta["s"].as_u64().unwrap_or_default();
        let text = format!(
            "Lane {} revision {k}: the harbour committee heard the dredging contractor explain why the estimate doubled, and asked for the survey that came before it.",
            self.n
        );
        // Slack sends every input's state back: the first box holds the text, the others
        // were emptied.
        let mut values = serde_json::Map::new();
        let mut first = true;
        for block in view["blocks"].as_array().cloned().unwrap_or_default() {
            let (Some(id), Some(action)) = (
                block["block_id"].as_str(),
                block["element"]["action_id"].as_str(),
            ) else {
                continue;
            };
            if block["type"] != "input" {
                continue;
            }
            let value = if first && id.starts_with("text_") {
                first = false;
                json!(text)
            } else {
                Value::Null
            };
            values.insert(
                id.to_string(),
                json!({ action: { "type": "plain_text_input", "value": value } }),
            );
        }
        let payload = json!({
            "type": "view_submission",
            "team": { "id": TEAM, "domain": "crash" },
            "user": { "id": self.writer, "username": self.writer.to_lowercase(), "team_id": TEAM },
            "api_app_id": "A0CRASH",
            "trigger_id": format!("{trigger}.submit"),
            "view": {
                "id": format!("V{}{k}", self.n),
                "team_id": TEAM,
                "type": "modal",
                "callback_id": view["callback_id"],
                "private_metadata": metadata,
                "state": { "values": values },
                "hash": format!("{k}.crash"),
            },
        });
        let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
        let answer = self.post(base, "/slack/interactivity", body).await;
        if matches!(answer, Answer::Done) {
            self.record(Acked::Revision {
                story,
                section: "body".into(),
                text,
                author: self.writer.clone(),
            });
        }
        answer
    }

    /// The reviewer reads the body's history, then approves its latest revision by number.
    async fn approve(&self, base: &str, trigger: &str) -> Answer {
        let read = self
            .command(
                base,
                &self.reviewer,
                &format!("{trigger}.read"),
                "history section:body",
            )
            .await;
        let Answer::Said(said) = read else {
            return read;
        };
        // The blocks hold the whole answer (the `text` beside them is a short fallback).
        let mut parts = Vec::new();
        all_text(&said["blocks"], &mut parts);
        let text = parts.join("\n");
        let story = regex::Regex::new(r"in story #(\d+)")
            .unwrap()
            .captures(&text)
            .and_then(|c| c[1].parse::<u64>().ok());
        let latest = regex::Regex::new(r"revision (\d+) by")
            .unwrap()
            .captures_iter(&text)
            .filter_map(|c| c[1].parse::<u32>().ok())
            .max();
        let (Some(story), Some(revision)) = (story, latest) else {
            // No text to review yet.
            return Answer::Said(said);
        };
        let answer = self
            .command(
                base,
                &self.reviewer,
                trigger,
                &format!("approve section:body revision:{revision}"),
            )
            .await;
        if matches!(answer, Answer::Done) {
            self.record(Acked::Approval {
                story,
                section: "body".into(),
                revision,
                by: self.reviewer.clone(),
            });
        }
        answer
    }

    /// `/story ref add` with every field, so the desk has no warning to answer with.
    async fn reference(&self, base: &str, trigger: &str, k: u64) -> Answer {
        let title = format!("Lane {} reference {k}", self.n);
        let text = format!(
            "ref add title:\"{title}\" author:\"Ana Ruiz\" date:2024-05-{:02} outlet:\"Harbour Gazette\" url:https://example.org/lane{}/ref{k} kind:news",
            k % 28 + 1,
            self.n
        );
        let answer = self.command(base, &self.writer, trigger, &text).await;
        if matches!(answer, Answer::Done) {
            self.record(Acked::Reference {
                channel: self.channel.clone(),
                title,
            });
        }
        answer
    }

    /// Sends requests until `stop`, each to the server that is up; a request the kill cut
    /// off is not retried (its fate is unknown, and it was never acknowledged).
    async fn run(
        self,
        seed: u64,
        mut servers: watch::Receiver<Option<(u64, String)>>,
        stop: Arc<AtomicBool>,
    ) {
        let mut rng = Rng::new(seed ^ (self.n as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407));
        let mut has_story = false;
        let mut k: u64 = 0;
        // The run of the server whose connection failed: wait for the next one.
        let mut dead: Option<u64> = None;
        loop {
            let (run, base) = loop {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let current = servers.borrow_and_update().clone();
                match current {
                    Some((run, base)) if Some(run) != dead => break (run, base),
                    _ => {
                        let _ = servers.changed().await;
                    }
                }
            };
            k += 1;
            let trigger = format!("{}.{k}.{seed}", self.n);
            let roll = rng.range(0, 100);
            let answer = if !has_story || roll < 10 {
                let a = self.new_story(&base, &trigger, k).await;
                has_story |= matches!(a, Answer::Done);
                a
            } else if roll < 50 {
                self.write(&base, &trigger, k).await
            } else if roll < 75 {
                self.approve(&base, &trigger).await
            } else {
                self.reference(&base, &trigger, k).await
            };
            if matches!(answer, Answer::Lost) {
                dead = Some(run);
            }
        }
    }
}

impl Lane {
    /// Sends requests until `stop`, spreading them over the replicas that are up (the
    /// `k`-th request to replica `k mod n`), the way a round-robin load balancer would.
    /// Every `/story new` goes to two replicas at the same moment (the same request, signed
    /// anew), as a retry that raced its original: it must take effect once.
    async fn run_replicas(
        self,
        seed: u64,
        replicas: watch::Receiver<Vec<String>>,
        stop: Arc<AtomicBool>,
        retries: Arc<AtomicUsize>,
    ) {
        let mut rng = Rng::new(seed ^ (self.n as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut has_story = false;
        let mut k: u64 = 0;
        while !stop.load(Ordering::SeqCst) {
            let up = replicas.borrow().clone();
            if up.is_empty() {
                return;
            }
            k += 1;
            let base = &up[(k as usize + self.n) % up.len()];
            let trigger = format!("r{}.{k}.{seed}", self.n);
            let roll = rng.range(0, 100);
            if !has_story || roll < 20 {
                // The same `/story new` reaches two replicas at once, as a retry that
                // raced the original: one story, never two.
                let other = &up[(k as usize + self.n + 1) % up.len()];
                let title = format!("Lane {} story {k}", self.n);
                let text = format!("new title:\"{title}\"");
                let (first, second) = tokio::join!(
                    self.command(base, &self.writer, &trigger, &text),
                    self.command(other, &self.writer, &trigger, &text),
                );
                retries.fetch_add(1, Ordering::Relaxed);
                if matches!(first, Answer::Done) || matches!(second, Answer::Done) {
                    has_story = true;
                    self.record(Acked::Story {
                        channel: self.channel.clone(),
                        title,
                    });
                }
            } else if roll < 55 {
                self.write(base, &trigger, k).await;
            } else if roll < 80 {
                self.approve(base, &trigger).await;
            } else {
                self.reference(base, &trigger, k).await;
            }
        }
    }
}

/// The lanes of a run, each with its channel (`PREFIX0`, `PREFIX1`, …), writer and
/// reviewer, the reviewer and writer known to the fake.
fn new_lanes(
    fake: &FakeSlack,
    prefix: &str,
    tally: &Arc<Tally>,
    acked: &Arc<Mutex<Vec<Acked>>>,
) -> Vec<Lane> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    (0..LANES)
        .map(|n| {
            let writer = format!("U0WRITER{n}");
            let reviewer = format!("U0REVIEWER{n}");
            fake.add_user(&writer, &writer.to_lowercase());
            fake.add_user(&reviewer, &reviewer.to_lowercase());
            Lane {
                n,
                channel: format!("{prefix}{n}"),
                writer,
                reviewer,
                http: http.clone(),
                secret: SigningSecret::new(SECRET),
                fake: fake.clone(),
                tally: tally.clone(),
                acked: acked.clone(),
            }
        })
        .collect()
}

/// Every `text` string in a Block Kit value.
fn all_text(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("text", Value::String(s)) => out.push(s.clone()),
                    _ => all_text(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| all_text(i, out)),
        _ => {}
    }
}

/// Everything wrong with the store: missing acknowledged writes, and parts that disagree.
fn verify(store: &Store, acked: &[Acked]) -> Vec<String> {
    let mut problems = Vec::new();
    let ids = store.story_ids().expect("list the stories");
    let mut stories = BTreeMap::new();
    for id in &ids {
        let story = store
            .story(*id)
            .expect("read a story")
            .unwrap_or_else(|| panic!("story {id} is listed but missing"));
        stories.insert(id.0, story);
    }
    // The store is whole: revisions numbered 1..=n as the story says, the audit log as long
    // as the story counts, approvals of revisions that exist, channels listing their stories.
    let mut channels: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    for (id, story) in &stories {
        for section in &story.sections {
            let revisions = store
                .revisions(StoryId(*id), &section.name)
                .expect("read revisions");
            let numbers: Vec<u32> = revisions.iter().map(|r| r.number).collect();
            let want: Vec<u32> = (1..=section.revisions).collect();
            if numbers != want {
                problems.push(format!(
                    "story {id} {}: the story counts {} revisions, the store has {numbers:?}",
                    section.name, section.revisions
                ));
            }
            for a in &section.approvals {
                if a.revision == 0 || a.revision > section.revisions {
                    problems.push(format!(
                        "story {id} {}: an approval of revision {} that does not exist",
                        section.name, a.revision
                    ));
                }
            }
        }
        let audit = store.audit(StoryId(*id)).expect("read the audit log");
        let seqs: Vec<u64> = audit.iter().map(|e| e.seq).collect();
        let want: Vec<u64> = (0..story.audit_len).collect();
        if seqs != want {
            problems.push(format!(
                "story {id}: the story counts {} audit entries, the store has {seqs:?}",
                story.audit_len
            ));
        }
        channels
            .entry(story.home.channel.clone())
            .or_default()
            .insert(*id);
    }
    for (channel, homed) in &channels {
        let key = ChannelKey {
            platform: Platform::Slack,
            team: TEAM.into(),
            channel: channel.clone(),
        };
        let listed: BTreeSet<u64> = store
            .channel(&key)
            .expect("read a channel")
            .stories
            .iter()
            .map(|s| s.0)
            .collect();
        if &listed != homed {
            problems.push(format!(
                "channel {channel} lists stories {listed:?}; stories at home there: {homed:?}"
            ));
        }
    }

    // Every acknowledged write is there.
    let in_channel = |channel: &str| {
        stories
            .values()
            .filter(move |s| s.home.channel == channel)
            .collect::<Vec<_>>()
    };
    for write in acked {
        let found = match write {
            Acked::Story { channel, title } => {
                in_channel(channel).iter().any(|s| &s.title == title)
            }
            Acked::Revision {
                story,
                section,
                text,
                author,
            } => store
                .revisions(StoryId(*story), section)
                .expect("read revisions")
                .iter()
                .any(|r| &r.text == text && &r.author.id == author),
            Acked::Approval {
                story,
                section,
                revision,
                by,
            } => {
                let approved = storydesk::model::AuditEvent::Approved {
                    section: section.clone(),
                    revision: *revision,
                };
                store
                    .audit(StoryId(*story))
                    .expect("read the audit log")
                    .iter()
                    .any(|e| e.event == approved && &e.actor.id == by)
            }
            Acked::Reference { channel, title } => in_channel(channel)
                .iter()
                .any(|s| s.references.iter().any(|r| &r.title == title)),
        };
        if !found {
            problems.push(format!("acknowledged but lost: {write:?}"));
        }
    }
    problems
}

fn seed_from_env() -> u64 {
    match std::env::var("STORYDESK_CRASH_SEED") {
        Ok(s) => s.trim().parse().expect("STORYDESK_CRASH_SEED is a number"),
        Err(_) => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64;
            nanos ^ (std::process::id() as u64).rotate_left(32)
        }
    }
}

#[test]
fn no_acknowledged_write_is_lost_when_the_server_is_killed() {
    let seed = seed_from_env();
    let kills: usize = std::env::var("STORYDESK_CRASH_KILLS")
        .ok()
        .map(|s| s.trim().parse().expect("STORYDESK_CRASH_KILLS is a number"))
        .unwrap_or(DEFAULT_KILLS);
    println!("crash test: seed {seed}, {kills} kills (replay with STORYDESK_CRASH_SEED={seed})");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(crash_run(seed, kills, None));
}

/// The same on PostgreSQL: the replica is killed, the database is not; every write it
/// acknowledged must be in the database.
#[test]
fn no_acknowledged_write_is_lost_on_postgres() {
    let Some(server) = postgres() else { return };
    let seed = seed_from_env();
    let kills: usize = std::env::var("STORYDESK_CRASH_KILLS")
        .ok()
        .map(|s| s.trim().parse().expect("STORYDESK_CRASH_KILLS is a number"))
        .unwrap_or(8);
    println!("crash test on PostgreSQL: seed {seed}, {kills} kills (replay with STORYDESK_CRASH_SEED={seed})");
    let url = server.database().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(crash_run(seed, kills, Some(url)));
}

/// A throwaway PostgreSQL, or `None` (said loudly) when the machine has none and none is
/// required.
fn postgres() -> Option<storydesk::testing::TestPostgres> {
    match storydesk::testing::TestPostgres::start() {
        Ok(server) => server,
        Err(why) => panic!("{why}"),
    }
}

/// Opens the store a run wrote to: the data directory, or the database.
fn open_store(data: &Path, database: Option<&str>) -> Store {
    Store::open(
        data,
        StoreOptions {
            database_url: database.map(str::to_string),
            ..StoreOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("the store does not open after the run: {e}"))
}

async fn crash_run(seed: u64, kills: usize, database: Option<String>) {
    let fake = FakeSlack::start().await;
    let data = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let log: PathBuf = logs.path().join("storydesk.log");
    let tally = Arc::new(Tally::default());
    let acked = Arc::new(Mutex::new(Vec::new()));
    let (servers, watch_servers) = watch::channel(None::<(u64, String)>);
    let stop = Arc::new(AtomicBool::new(false));
    let mut lanes = Vec::new();
    for lane in new_lanes(&fake, "C0LANE", &tally, &acked) {
        lanes.push(tokio::spawn(lane.run(
            seed,
            watch_servers.clone(),
            stop.clone(),
        )));
    }

    let mut rng = Rng::new(seed);
    let started = Instant::now();
    for run in 0..kills as u64 {
        let mut server =
            start_server(data.path(), &fake.api_url(), &log, database.as_deref()).await;
        servers.send_replace(Some((run, server.base.clone())));
        tokio::time::sleep(Duration::from_millis(rng.range(RUN_MS.0, RUN_MS.1))).await;
        // SIGKILL: no shutdown, no final flush.
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        servers.send_replace(None);
    }
    stop.store(true, Ordering::SeqCst);
    servers.send_replace(None);
    for lane in lanes {
        lane.await.unwrap();
    }

    let acked = acked.lock().unwrap().clone();
    let count = |f: fn(&Acked) -> bool| acked.iter().filter(|a| f(a)).count();
    let stories = count(|a| matches!(a, Acked::Story { .. }));
    let revisions = count(|a| matches!(a, Acked::Revision { .. }));
    let approvals = count(|a| matches!(a, Acked::Approval { .. }));
    let references = count(|a| matches!(a, Acked::Reference { .. }));
    println!(
        "{kills} kills in {:.1} s: {} requests sent, {} done before the ack, {} answered with a message, {} acknowledged late, {} cut off by a kill; acknowledged writes: {stories} stories, {revisions} revisions, {approvals} approvals, {references} references",
        started.elapsed().as_secs_f64(),
        tally.sent.load(Ordering::Relaxed),
        tally.done.load(Ordering::Relaxed),
        tally.said.load(Ordering::Relaxed),
        tally.late.load(Ordering::Relaxed),
        tally.lost.load(Ordering::Relaxed),
    );
    let unexpected = tally.unexpected.lock().unwrap().clone();
    assert!(
        unexpected.is_empty(),
        "seed {seed}: unexpected answers:\n{}\nserver log:\n{}",
        unexpected.join("\n"),
        read_log(&log)
    );
    // The run did what it claims: every kind of write was acknowledged, and kills cut
    // requests off.
    assert!(
        stories > 0 && revisions > 0 && approvals > 0 && references > 0,
        "seed {seed}: some kind of write was never acknowledged ({stories} stories, {revisions} revisions, {approvals} approvals, {references} references)"
    );

    // The store opens cleanly after the last kill and holds every acknowledged write.
    let store = open_store(data.path(), database.as_deref());
    let problems = verify(&store, &acked);
    let ids = store.story_ids().unwrap();
    drop(store);
    assert!(
        problems.is_empty(),
        "seed {seed}: {} problems after {kills} kills:\n{}",
        problems.len(),
        problems.join("\n")
    );

    // The command line reads the same store: the last story exports as JSON.
    let last = ids.last().expect("stories were created");
    let mut export = Command::new(env!("CARGO_BIN_EXE_storydesk"));
    match &database {
        Some(url) => export.env("STORYDESK_DATABASE_URL", url),
        None => export.env_remove("STORYDESK_DATABASE_URL"),
    };
    let export = export
        .args(["export", &last.0.to_string(), "--format", "json"])
        .env("STORYDESK_DATA_DIR", data.path())
        .env_remove("STORYDESK_CONFIG")
        .env_remove("STORYDESK_SOURCE_KEY")
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "seed {seed}: export failed: {}",
        String::from_utf8_lossy(&export.stderr)
    );
    let exported: Value = serde_json::from_slice(&export.stdout).expect("export is JSON");
    assert!(exported.is_object(), "{exported}");
}

/// Three `storydesk serve` replicas on one PostgreSQL database behind a round-robin client:
/// requests alternate between them, each acknowledged `/story new` is retried on another
/// replica (one story each, never two), and one replica is killed with SIGKILL while the
/// lanes write. Every write any replica acknowledged is in the database, whole.
#[test]
fn replicas_on_one_database_take_each_write_once() {
    let Some(server) = postgres() else { return };
    let seed = seed_from_env();
    println!("replica test: seed {seed} (replay with STORYDESK_CRASH_SEED={seed})");
    let url = server.database().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(replica_run(seed, url));
}

async fn replica_run(seed: u64, url: String) {
    let fake = FakeSlack::start().await;
    let logs = tempfile::tempdir().unwrap();
    let log: PathBuf = logs.path().join("storydesk.log");
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut servers = Vec::new();
    for dir in &dirs {
        servers.push(start_server(dir.path(), &fake.api_url(), &log, Some(&url)).await);
    }
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let (replicas, watch_replicas) = watch::channel(bases.clone());
    let tally = Arc::new(Tally::default());
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let retries = Arc::new(AtomicUsize::new(0));
    let mut lanes = Vec::new();
    for lane in new_lanes(&fake, "C0REPLICA", &tally, &acked) {
        lanes.push(tokio::spawn(lane.run_replicas(
            seed,
            watch_replicas.clone(),
            stop.clone(),
            retries.clone(),
        )));
    }
    // The lanes write on all three for a while; then the replica that holds the purge dies
    // mid-write, the balancer stops sending to it, and the lanes go on with the other two,
    // one of which takes the purge over.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let http = reqwest::Client::new();
    let holders = holding(&http, &bases, "purge").await;
    assert_eq!(holders.len(), 1, "one replica holds the purge: {holders:?}");
    let mut dead = servers.remove(holders[0]);
    let survivors: Vec<String> = bases
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != holders[0])
        .map(|(_, b)| b.clone())
        .collect();
    dead.child.kill().unwrap();
    dead.child.wait().unwrap();
    let killed = Instant::now();
    replicas.send_replace(survivors.clone());
    let taken_over = loop {
        if holding(&http, &survivors, "purge").await.len() == 1 {
            break killed.elapsed();
        }
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "seed {seed}: no survivor took the purge over within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    println!(
        "the purge moved to a survivor {:.1} s after the kill",
        taken_over.as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::SeqCst);
    for lane in lanes {
        lane.await.unwrap();
    }
    for mut s in servers {
        let _ = s.child.kill();
        let _ = s.child.wait();
    }

    let acked = acked.lock().unwrap().clone();
    let stories = acked
        .iter()
        .filter(|a| matches!(a, Acked::Story { .. }))
        .count();
    let revisions = acked
        .iter()
        .filter(|a| matches!(a, Acked::Revision { .. }))
        .count();
    println!(
        "{} requests sent, {} done, {} answered with a message, {} cut off; {} retries on another replica; acknowledged: {stories} stories, {revisions} revisions",
        tally.sent.load(Ordering::Relaxed),
        tally.done.load(Ordering::Relaxed),
        tally.said.load(Ordering::Relaxed),
        tally.lost.load(Ordering::Relaxed),
        retries.load(Ordering::Relaxed),
    );
    let unexpected = tally.unexpected.lock().unwrap().clone();
    assert!(
        unexpected.is_empty(),
        "seed {seed}: unexpected answers:\n{}\nlog:\n{}",
        unexpected.join("\n"),
        read_log(&log)
    );
    assert!(
        stories > 0 && revisions > 0,
        "seed {seed}: too little was acknowledged"
    );
    assert!(retries.load(Ordering::Relaxed) > 0);
    let store = open_store(dirs[0].path(), Some(&url));
    let mut problems = verify(&store, &acked);
    // A retry on another replica made no second story: every title is there once.
    let mut titles: BTreeMap<String, usize> = BTreeMap::new();
    for id in store.story_ids().unwrap() {
        let story = store.story(id).unwrap().unwrap();
        *titles.entry(story.title).or_default() += 1;
    }
    for (title, n) in titles {
        if n > 1 {
            problems.push(format!(
                "{n} stories titled {title:?}: a retry took effect twice"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "seed {seed}: {} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Which of `bases` say in `/readyz` that they hold the singleton work `job`.
async fn holding(http: &reqwest::Client, bases: &[String], job: &str) -> Vec<usize> {
    let mut held = Vec::new();
    for (i, base) in bases.iter().enumerate() {
        let Ok(r) = http.get(format!("{base}/readyz")).send().await else {
            continue;
        };
        let Ok(body) = r.json::<Value>().await else {
            continue;
        };
        if body["parts"][format!("singleton:{job}")]["detail"] == "held" {
            held.push(i);
        }
    }
    held
}
