//! Load benchmark of storydesk's Slack endpoints on loopback.
//!
//! Starts a fake Slack Web API in this process, runs the real `storydesk serve` binary
//! against it (HTTP endpoints on, signing secret set), creates a story with a signed
//! `/story new`, then drives it with signed requests over keep-alive connections:
//!
//! - `status`: the slash command `/story status` (a read: the board, answered in the ack);
//! - `write`: the submission of the `/story write body` modal, which saves a new revision
//!   (a flushed write; the review post and the board update go to the fake Slack after the
//!   ack);
//! - `write (opens modal)`: the slash command `/story write body`, which opens the modal
//!   with `views.open` on the fake Slack.
//!
//! Every request is signed on its own (Slack's HMAC over timestamp and body) and carries a
//! fresh `trigger_id`, as Slack's do, so none is mistaken for a redelivery.
//!
//! Run: `cargo build --release && cargo run --release --example slack_load -- [SECONDS]`
//! (the binary is taken from `target/release/storydesk`, or `STORYDESK_BIN`).

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::post;
use serde_json::json;
use storydesk::slack::verify::{sign, unix_now, SigningSecret};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const SECRET: &str = "benchmark-signing-secret";
const TEAM: &str = "T0BENCH";
const CHANNEL: &str = "C0BENCHMARK";

#[derive(Clone, Copy, Debug)]
enum Kind {
    Status,
    WriteSubmit,
    WriteOpen,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Status => "`/story status` (read)",
            Kind::WriteSubmit => "`/story write` modal submission (flushed write)",
            Kind::WriteOpen => "`/story write` command (opens the modal)",
        }
    }
}

/// A signed request: path and body.
fn request(kind: Kind, n: u64, user: &str) -> (&'static str, String) {
    let trigger = format!("{n}.{}.bench", std::process::id());
    match kind {
        Kind::Status | Kind::WriteOpen => {
            let text = if matches!(kind, Kind::Status) {
                "status"
            } else {
                "write body"
            };
            let body = serde_urlencoded::to_string([
                ("team_id", TEAM),
                ("channel_id", CHANNEL),
                ("user_id", user),
                ("user_name", user),
                ("command", "/story"),
                ("text", text),
                ("response_url", "http://127.0.0.1:9/unused"),
                ("trigger_id", trigger.as_str()),
            ])
            .unwrap();
            ("/slack/commands", body)
        }
        Kind::WriteSubmit => {
            let text = format!(
                "Revision {n} of the body. {}",
                "The harbour committee heard evidence from the dredging contractor, and asked why the estimate doubled. ".repeat(6)
            );
            let meta = json!({ "k": "write", "c": CHANNEL, "s": 1, "sub": "write", "o": [["section", "body"]], "n": 1, "sep": [] });
            let payload = json!({
                "type": "view_submission",
                "team": { "id": TEAM },
                "user": { "id": user, "username": user, "team_id": TEAM },
                "trigger_id": trigger,
                "view": {
                    "id": "V0BENCH",
                    "callback_id": "storydesk_write",
                    "private_metadata": meta.to_string(),
                    "state": { "values": { "text_0": { "value": { "type": "plain_text_input", "value": text } } } },
                    "hash": "1.x",
                },
            });
            let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
            ("/slack/interactivity", body)
        }
    }
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    reader: BufReader<tokio::io::ReadHalf<TcpStream>>,
    writer: tokio::io::WriteHalf<TcpStream>,
}

impl Conn {
    async fn open(addr: &str) -> Conn {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (r, w) = tokio::io::split(stream);
        Conn {
            reader: BufReader::new(r),
            writer: w,
        }
    }

    /// Sends a signed POST and returns the status code.
    async fn post(&mut self, path: &str, body: &str, secret: &SigningSecret) -> u16 {
        let ts = unix_now();
        let signature = sign(secret, ts, body.as_bytes());
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: bench\r\ncontent-type: application/x-www-form-urlencoded\r\nx-slack-request-timestamp: {ts}\r\nx-slack-signature: {signature}\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        self.writer.write_all(head.as_bytes()).await.unwrap();
        self.writer.write_all(body.as_bytes()).await.unwrap();
        let mut line = String::new();
        self.reader.read_line(&mut line).await.unwrap();
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut length = 0usize;
        loop {
            line.clear();
            self.reader.read_line(&mut line).await.unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut sink = vec![0; length];
        self.reader.read_exact(&mut sink).await.unwrap();
        status
    }
}

struct Outcome {
    requests: usize,
    errors: usize,
    seconds: f64,
    p50: Duration,
    p99: Duration,
}

async fn phase(
    addr: &str,
    kind: Kind,
    connections: usize,
    seconds: u64,
    counter: Arc<AtomicU64>,
) -> Outcome {
    let secret = SigningSecret::new(SECRET);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..connections {
        let addr = addr.to_string();
        let secret = secret.clone();
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&addr).await;
            let mut latencies = Vec::new();
            let mut errors = 0;
            // Reviewers differ from writers so nothing is refused as one's own.
            let user = format!("U0WRITER{c}");
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let (path, body) = request(kind, n, &user);
                let t = Instant::now();
                let status = conn.post(path, &body, &secret).await;
                latencies.push(t.elapsed());
                if status != 200 {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        all.extend(l);
        errors += e;
    }
    let seconds = start.elapsed().as_secs_f64();
    all.sort();
    let pick = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    Outcome {
        requests: all.len(),
        errors,
        seconds,
        p50: pick(0.50),
        p99: pick(0.99),
    }
}

fn peak_rss_kib(pid: u32) -> u64 {
    let mut s = String::new();
    std::fs::File::open(format!("/proc/{pid}/status"))
        .and_then(|mut f| f.read_to_string(&mut s))
        .ok();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The fake Slack: every Web API method answers ok, with a fresh ts.
async fn fake_slack() -> (String, Arc<AtomicU64>) {
    let calls = Arc::new(AtomicU64::new(0));
    let c = calls.clone();
    let app = axum::Router::new().route(
        "/api/{method}",
        post(move || {
            let n = c.fetch_add(1, Ordering::Relaxed);
            async move {
                axum::Json(
                    json!({ "ok": true, "ts": format!("1700000000.{n:06}"), "channel": CHANNEL }),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, calls)
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let binary =
        std::env::var("STORYDESK_BIN").unwrap_or_else(|_| "target/release/storydesk".into());
    let (api_url, calls) = fake_slack().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let data = tempfile::tempdir().unwrap();
    let mut server = std::process::Command::new(&binary)
        .arg("serve")
        .env("STORYDESK_BIND", &addr)
        .env("STORYDESK_DATA_DIR", data.path())
        .env("SLACK_SIGNING_SECRET", SECRET)
        .env("SLACK_BOT_TOKEN", "xoxb-benchmark")
        .env("STORYDESK_SLACK_API_URL", &api_url)
        .env("RUST_LOG", "error")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run {binary}: {e}; build it with cargo build --release")
        });
    let pid = server.id();
    for _ in 0..200 {
        if TcpStream::connect(&addr).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let secret = SigningSecret::new(SECRET);
    let mut conn = Conn::open(&addr).await;
    let body = serde_urlencoded::to_string([
        ("team_id", TEAM),
        ("channel_id", CHANNEL),
        ("user_id", "U0EDITOR"),
        ("user_name", "editor"),
        ("command", "/story"),
        ("text", "new Harbour budget vote delayed after leak"),
        ("trigger_id", "0.setup"),
    ])
    .unwrap();
    assert_eq!(conn.post("/slack/commands", &body, &secret).await, 200);

    let counter = Arc::new(AtomicU64::new(1));
    println!("| request | connections | requests/s | p50 | p99 | errors | peak RSS so far |");
    println!("|---|---|---|---|---|---|---|");
    for kind in [Kind::Status, Kind::WriteSubmit, Kind::WriteOpen] {
        for connections in [1, 10, 50] {
            let o = phase(&addr, kind, connections, seconds, counter.clone()).await;
            println!(
                "| {} | {connections} | {:.0} | {:.2} ms | {:.2} ms | {} | {:.0} MiB |",
                kind.label(),
                o.requests as f64 / o.seconds,
                o.p50.as_secs_f64() * 1000.0,
                o.p99.as_secs_f64() * 1000.0,
                o.errors,
                peak_rss_kib(pid) as f64 / 1024.0
            );
        }
    }
    println!(
        "\nfake Slack Web API calls: {}; server peak RSS {:.0} MiB",
        calls.load(Ordering::Relaxed),
        peak_rss_kib(pid) as f64 / 1024.0
    );
    let _ = server.kill();
    let _ = server.wait();
}
