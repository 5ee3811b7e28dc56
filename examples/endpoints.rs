//! The endpoint benchmark: `storydesk serve` side by side with its floors, in one run.
//!
//! Starts each server in turn as its own process on a fresh data directory, on loopback:
//! first the floor (`examples/floor.rs`: the same HTTP stack and signature checks, a fixed
//! answer for a read, one sled insert and `flush()` for a write), then every storydesk
//! binary given. Each gets the same rows, each row at 1, 10 and 50 keep-alive connections
//! for the same number of seconds:
//!
//! - Slack read: `/story status` slash command (the board, answered in the ack);
//! - Slack write, one channel: `/story new` in one channel (answered once it is on disk);
//! - Slack write, 64 channels: the same, each request in one of 64 channels;
//! - Discord read: a `/story status` interaction over `POST /discord/interactions`;
//! - Discord write: a `/story new` interaction.
//!
//! Every request is signed on its own (Slack's HMAC, Discord's Ed25519) and carries its
//! own `trigger_id` or interaction id, so none is a redelivery. The load runs on one thread
//! of this process (like `wrk -t1`); the servers share the machine's cores with it. After
//! each row, a server is given the time to finish what the row left behind (storydesk's
//! posts to the fake Slack go out after each answer), so every row starts on a quiet server.
//!
//! It prints, per row, each server's requests/s, p50 and p99, and each storydesk's ratio to
//! the floor; then, per row, the processor time each server spent per answered request
//! over the row and the work it left behind (`/proc/PID/stat`), next to the time this
//! process (the load generator and the fake Slack Web API) spent on the same cores, which
//! tells what a request costs apart from how the machine was shared; then each server's
//! peak resident memory (`VmHWM`), its resident memory at the
//! end of the load, and (with `SETTLE_SECS`) that many seconds later; and storydesk's
//! commit figures (flushes and transactions per flush) from `GET /metrics`.
//!
//! Run: `scripts/bench.sh endpoints`, or
//! `cargo build --release --bin storydesk --example floor --example endpoints &&
//! target/release/examples/endpoints [SECONDS] [LABEL=BINARY ...]` (default: 10 seconds,
//! `storydesk=target/release/storydesk`; the floor is `target/release/examples/floor`, or
//! `FLOOR_BIN`).

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::post;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};
use storydesk::slack::verify::{sign, unix_now, SigningSecret};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const SECRET: &str = "benchmark-signing-secret";
const TEAM: &str = "T0BENCH";
const CHANNEL: &str = "C0BENCHMARK";
const APPLICATION: &str = "775799577604522054";
const CONNECTIONS: [usize; 3] = [1, 10, 50];

/// The rows of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Row {
    SlackRead,
    SlackWriteOne,
    SlackWrite64,
    DiscordRead,
    DiscordWrite,
}

const ROWS: [Row; 5] = [
    Row::SlackRead,
    Row::SlackWriteOne,
    Row::SlackWrite64,
    Row::DiscordRead,
    Row::DiscordWrite,
];

impl Row {
    /// The row's name for `ENDPOINT_ROWS`.
    fn name(self) -> &'static str {
        match self {
            Row::SlackRead => "slack-read",
            Row::SlackWriteOne => "slack-write-one",
            Row::SlackWrite64 => "slack-write-64",
            Row::DiscordRead => "discord-read",
            Row::DiscordWrite => "discord-write",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Row::SlackRead => "Slack `/story status` (read)",
            Row::SlackWriteOne => "Slack `/story new` (durable write), one channel",
            Row::SlackWrite64 => "Slack `/story new`, 64 channels",
            Row::DiscordRead => "Discord `/story status` (read)",
            Row::DiscordWrite => "Discord `/story new` (durable write)",
        }
    }
}

/// What signs the requests.
struct Requests {
    slack: SigningSecret,
    discord: SigningKey,
    /// The fixture interaction, as a template.
    interaction: Value,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A signed request: path, content type, extra headers, body.
struct Request {
    path: &'static str,
    json: bool,
    headers: String,
    body: String,
}

impl Requests {
    fn slack_command(&self, channel: &str, user: &str, text: &str, trigger: &str) -> Request {
        let body = serde_urlencoded::to_string([
            ("team_id", TEAM),
            ("channel_id", channel),
            ("user_id", user),
            ("user_name", user),
            ("command", "/story"),
            ("text", text),
            ("response_url", "http://127.0.0.1:9/unused"),
            ("trigger_id", trigger),
        ])
        .unwrap_or_default();
        let ts = unix_now();
        let signature = sign(&self.slack, ts, body.as_bytes());
        Request {
            path: "/slack/commands",
            json: false,
            headers: format!(
                "x-slack-request-timestamp: {ts}\r\nx-slack-signature: {signature}\r\n"
            ),
            body,
        }
    }

    fn discord(&self, id: u64, sub: &str, options: Value) -> Request {
        let mut v = self.interaction.clone();
        v["id"] = json!(id.to_string());
        v["token"] = json!(format!("token-{id}"));
        v["application_id"] = json!(APPLICATION);
        v["data"]["name"] = json!("story");
        v["data"]["options"] = json!([{"type": 1, "name": sub, "options": options}]);
        let body = v.to_string();
        let ts = unix_now().to_string();
        let sig = hex(&self
            .discord
            .sign(&[ts.as_bytes(), body.as_bytes()].concat())
            .to_bytes());
        Request {
            path: "/discord/interactions",
            json: true,
            headers: format!("x-signature-ed25519: {sig}\r\nx-signature-timestamp: {ts}\r\n"),
            body,
        }
    }

    fn request(&self, row: Row, n: u64, user: &str) -> Request {
        let trigger = format!("{n}.{}.bench", std::process::id());
        match row {
            Row::SlackRead => self.slack_command(CHANNEL, user, "status", &trigger),
            Row::SlackWriteOne => self.slack_command(
                CHANNEL,
                user,
                &format!("new Harbour budget, take {n}"),
                &trigger,
            ),
            Row::SlackWrite64 => self.slack_command(
                &format!("C0BENCH{:02}", n % 64),
                user,
                &format!("new Harbour budget, take {n}"),
                &trigger,
            ),
            Row::DiscordRead => self.discord(1_000_000 + n, "status", json!([])),
            Row::DiscordWrite => self.discord(
                1_000_000 + n,
                "new",
                json!([{"type": 3, "name": "title", "value": format!("Harbour budget, take {n}")}]),
            ),
        }
    }
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    reader: BufReader<tokio::io::ReadHalf<TcpStream>>,
    writer: tokio::io::WriteHalf<TcpStream>,
}

impl Conn {
    async fn open(addr: &str) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (r, w) = tokio::io::split(stream);
        Ok(Conn {
            reader: BufReader::new(r),
            writer: w,
        })
    }

    /// Sends a POST and returns the status code (0 when the connection failed).
    async fn post(&mut self, r: &Request) -> std::io::Result<u16> {
        let kind = if r.json {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        };
        let head = format!(
            "POST {} HTTP/1.1\r\nhost: bench\r\ncontent-type: {kind}\r\n{}content-length: {}\r\n\r\n",
            r.path,
            r.headers,
            r.body.len()
        );
        self.writer.write_all(head.as_bytes()).await?;
        self.writer.write_all(r.body.as_bytes()).await?;
        let mut line = String::new();
        self.reader.read_line(&mut line).await?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut length = 0usize;
        loop {
            line.clear();
            if self.reader.read_line(&mut line).await? == 0 {
                return Ok(0);
            }
            if line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut sink = vec![0; length];
        self.reader.read_exact(&mut sink).await?;
        Ok(status)
    }
}

/// One row at one number of connections.
#[derive(Clone, Copy, Default)]
struct Outcome {
    rate: f64,
    p50: Duration,
    p99: Duration,
    errors: usize,
    /// Requests answered with 200.
    answered: usize,
    /// The server's processor time per answered request, in µs, over the row and the work
    /// it left behind (filled in by `run_server`).
    server_us: f64,
    /// This process's processor time per answered request, in µs: the load generator and
    /// the fake Slack Web API, which share the machine with the server.
    bench_us: f64,
}

async fn phase(
    addr: &str,
    signer: Arc<Requests>,
    row: Row,
    connections: usize,
    seconds: u64,
    counter: Arc<AtomicU64>,
) -> Outcome {
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (addr, signer, counter) = (addr.to_string(), signer.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            let Ok(mut conn) = Conn::open(&addr).await else {
                return (latencies, 1);
            };
            let user = format!("U0WRITER{c}");
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let request = signer.request(row, n, &user);
                let t = Instant::now();
                match conn.post(&request).await {
                    Ok(200) => latencies.push(t.elapsed()),
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        match Conn::open(&addr).await {
                            Ok(fresh) => conn = fresh,
                            Err(_) => break,
                        }
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((l, e)) = t.await {
            all.extend(l);
            errors += e;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    all.sort();
    let pick = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Outcome {
        rate: all.len() as f64 / seconds,
        p50: pick(0.50),
        p99: pick(0.99),
        errors,
        answered: all.len(),
        server_us: 0.0,
        bench_us: 0.0,
    }
}

/// A field of `/proc/PID/status`, in KiB.
fn proc_kib(pid: u32, field: &str) -> u64 {
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

/// The fake Slack: every Web API method answers ok, with a fresh ts.
async fn fake_slack() -> String {
    let calls = Arc::new(AtomicU64::new(0));
    let app = axum::Router::new().route(
        "/api/{method}",
        post(move || {
            let n = calls.fetch_add(1, Ordering::Relaxed);
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
    url
}

/// The rows to run: all, or those named in `ENDPOINT_ROWS` (comma-separated names).
fn selected_rows() -> Vec<Row> {
    match std::env::var("ENDPOINT_ROWS") {
        Ok(names) => ROWS
            .into_iter()
            .filter(|r| names.split(',').any(|n| n.trim() == r.name()))
            .collect(),
        Err(_) => ROWS.to_vec(),
    }
}

/// The numbers of connections: 1, 10 and 50, or those in `ENDPOINT_CONNS`.
fn selected_connections() -> Vec<usize> {
    match std::env::var("ENDPOINT_CONNS") {
        Ok(list) => list
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect(),
        Err(_) => CONNECTIONS.to_vec(),
    }
}

/// One server's results.
struct Run {
    label: String,
    outcomes: Vec<(Row, usize, Outcome)>,
    peak_kib: u64,
    end_kib: u64,
    settled_kib: Option<u64>,
    commit: Option<String>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// Clock ticks a second in `/proc/PID/stat` (Linux's `USER_HZ`, 100 on every architecture
/// it reports to user space with).
const TICKS_PER_SECOND: f64 = 100.0;

/// The processor time a process has used so far, in clock ticks (`/proc/PID/stat`).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

/// Waits until a server has finished the work a row left behind (storydesk's posts to the
/// fake Slack and their records go out after each answer): until it uses less than a
/// twentieth of a core over half a second, at most two minutes. Each row then starts on
/// a quiet server.
async fn drain(pid: u32, label: &str) {
    let started = Instant::now();
    let mut last = cpu_ticks(pid);
    while started.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = cpu_ticks(pid);
        match (last, now) {
            (Some(a), Some(b)) if b.saturating_sub(a) <= 2 => break,
            (_, None) => break,
            _ => {}
        }
        last = now;
    }
    let waited = started.elapsed().as_secs_f64();
    if waited > 1.5 {
        eprintln!("{label}: {waited:.1} s for the work left behind by the row");
    }
}

/// storydesk's durable writes answered, flushes and transactions so far, from `GET /metrics`
/// (a transaction whose flush is asked for and not waited for, like the record of where a
/// post went, is not a durable write answered).
async fn counters(addr: &str) -> Option<(f64, f64, f64)> {
    let text = commit_figures(addr).await?;
    let value = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().last()?.parse::<f64>().ok())
    };
    Some((
        value("storydesk_store_durable_writes_total")?,
        value("storydesk_store_flushes_total")?,
        value("storydesk_store_transactions_total")?,
    ))
}

/// storydesk's own commit figures, from `GET /metrics`.
async fn commit_figures(addr: &str) -> Option<String> {
    let mut conn = Conn::open(addr).await.ok()?;
    let head = "GET /metrics HTTP/1.1\r\nhost: bench\r\n\r\n";
    conn.writer.write_all(head.as_bytes()).await.ok()?;
    let mut line = String::new();
    let mut length = 0usize;
    loop {
        line.clear();
        if conn.reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    conn.reader.read_exact(&mut body).await.ok()?;
    let text = String::from_utf8_lossy(&body);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("storydesk_store_"))
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

async fn run_server(
    label: &str,
    binary: &str,
    floor: bool,
    api_url: &str,
    signer: Arc<Requests>,
    seconds: u64,
    settle: u64,
) -> Run {
    let port = free_port();
    let closed = free_port();
    let addr = format!("127.0.0.1:{port}");
    let data = tempfile::tempdir().unwrap();
    let mut command = std::process::Command::new(binary);
    if floor {
        command.arg(&addr).arg(data.path());
    } else {
        command
            .arg("serve")
            .env("STORYDESK_BIND", &addr)
            .env("STORYDESK_DATA_DIR", data.path());
    }
    let mut server = command
        .env("SLACK_SIGNING_SECRET", SECRET)
        .env("SLACK_BOT_TOKEN", "xoxb-benchmark")
        .env("STORYDESK_SLACK_API_URL", api_url)
        .env(
            "DISCORD_PUBLIC_KEY",
            hex(signer.discord.verifying_key().as_bytes()),
        )
        .env("DISCORD_APPLICATION_ID", APPLICATION)
        .env(
            "STORYDESK_DISCORD_API_URL",
            format!("http://127.0.0.1:{closed}"),
        )
        .env_remove("DISCORD_TOKEN")
        .env_remove("SLACK_APP_TOKEN")
        .env("RUST_LOG", "error")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {binary}: {e}"));
    let pid = server.id();
    eprintln!("{label}: process {pid}");
    for _ in 0..400 {
        if TcpStream::connect(&addr).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // The stories the reads show.
    let mut conn = Conn::open(&addr).await.unwrap();
    let new = signer.slack_command(
        CHANNEL,
        "U0EDITOR",
        "new Harbour budget vote delayed",
        "0.setup",
    );
    assert_eq!(conn.post(&new).await.unwrap(), 200, "{label}: Slack setup");
    let new = signer.discord(
        1,
        "new",
        json!([{"type": 3, "name": "title", "value": "Harbour budget passes"}]),
    );
    assert_eq!(
        conn.post(&new).await.unwrap(),
        200,
        "{label}: Discord setup"
    );
    drop(conn);

    let counter = Arc::new(AtomicU64::new(1));
    let mut outcomes = Vec::new();
    for row in selected_rows() {
        for connections in selected_connections() {
            let before = counters(&addr).await;
            let cpu_before = (cpu_ticks(pid), cpu_ticks(std::process::id()));
            let mut o = phase(
                &addr,
                signer.clone(),
                row,
                connections,
                seconds,
                counter.clone(),
            )
            .await;
            if let (Some(a), Some(b)) = (before, counters(&addr).await) {
                let (writes, flushes, transactions) = (b.0 - a.0, b.1 - a.1, b.2 - a.2);
                if flushes > 0.0 {
                    eprintln!(
                        "{label}: {writes:.0} durable writes, {transactions:.0} transactions, \
                         {flushes:.0} flushes: {:.1} writes and {:.1} transactions per flush",
                        writes / flushes,
                        transactions / flushes
                    );
                }
            }
            eprintln!(
                "{label}: {} at {connections}: {:.0}/s, p99 {:.2} ms, {} errors",
                row.label(),
                o.rate,
                o.p99.as_secs_f64() * 1e3,
                o.errors
            );
            drain(pid, label).await;
            // Processor time over the row and what it left behind, per answered request.
            let per_request = |a: Option<u64>, b: Option<u64>| match (a, b) {
                (Some(a), Some(b)) if o.answered > 0 => {
                    b.saturating_sub(a) as f64 / TICKS_PER_SECOND * 1e6 / o.answered as f64
                }
                _ => 0.0,
            };
            o.server_us = per_request(cpu_before.0, cpu_ticks(pid));
            o.bench_us = per_request(cpu_before.1, cpu_ticks(std::process::id()));
            eprintln!(
                "{label}: processor time per request: server {:.0} µs, load and fake Web API {:.0} µs",
                o.server_us, o.bench_us
            );
            outcomes.push((row, connections, o));
        }
    }
    let peak_kib = proc_kib(pid, "VmHWM:");
    let end_kib = proc_kib(pid, "VmRSS:");
    let commit = if floor {
        None
    } else {
        commit_figures(&addr).await
    };
    eprintln!(
        "{label}: peak RSS {:.0} MiB, at the end {:.0} MiB",
        peak_kib as f64 / 1024.0,
        end_kib as f64 / 1024.0
    );
    if let Some(figures) = &commit {
        eprintln!("{label}: {}", figures.replace('\n', "; "));
    }
    let settled_kib = if settle > 0 {
        tokio::time::sleep(Duration::from_secs(settle)).await;
        Some(proc_kib(pid, "VmRSS:"))
    } else {
        None
    };
    let _ = server.kill();
    let _ = server.wait();
    Run {
        label: label.to_string(),
        outcomes,
        peak_kib,
        end_kib,
        settled_kib,
        commit,
    }
}

fn cell(o: &Outcome) -> String {
    let errors = if o.errors > 0 {
        format!(", {} errors", o.errors)
    } else {
        String::new()
    };
    format!(
        "{:.0}/s (p50 {:.2}, p99 {:.2} ms{errors})",
        o.rate,
        o.p50.as_secs_f64() * 1e3,
        o.p99.as_secs_f64() * 1e3
    )
}

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let mut servers: Vec<(String, String)> = args
        .filter_map(|a| {
            a.split_once('=')
                .map(|(l, b)| (l.to_string(), b.to_string()))
        })
        .collect();
    if servers.is_empty() {
        servers.push(("storydesk".into(), "target/release/storydesk".into()));
    }
    let floor_bin =
        std::env::var("FLOOR_BIN").unwrap_or_else(|_| "target/release/examples/floor".into());
    let settle: u64 = std::env::var("SETTLE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/discord/application_command_subcommand.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let signer = Arc::new(Requests {
        slack: SigningSecret::new(SECRET),
        discord: SigningKey::from_bytes(&[42u8; 32]),
        interaction: fixture,
    });
    // One thread for the load, like `wrk -t1`.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let runs = rt.block_on(async {
        let api_url = fake_slack().await;
        let mut runs = Vec::new();
        // `SKIP_FLOOR`: storydesk alone, with only the figures printed as each row ends
        // (for profiling one server).
        if std::env::var_os("SKIP_FLOOR").is_none() {
            runs.push(
                run_server(
                    "floor",
                    &floor_bin,
                    true,
                    &api_url,
                    signer.clone(),
                    seconds,
                    0,
                )
                .await,
            );
        }
        for (label, binary) in &servers {
            runs.push(
                run_server(
                    label,
                    binary,
                    false,
                    &api_url,
                    signer.clone(),
                    seconds,
                    settle,
                )
                .await,
            );
        }
        runs
    });

    if runs.first().is_none_or(|r| r.label != "floor") {
        return;
    }
    println!(
        "\n{seconds} s per row, one load thread, {} cores\n",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    let mut head = "| row | conns | floor |".to_string();
    let mut rule = "|---|---|---|".to_string();
    for run in &runs[1..] {
        head.push_str(&format!(" {} | ratio |", run.label));
        rule.push_str("---|---|");
    }
    println!("{head}\n{rule}");
    for (i, (row, connections, floor)) in runs[0].outcomes.iter().enumerate() {
        let mut line = format!("| {} | {connections} | {} |", row.label(), cell(floor));
        for run in &runs[1..] {
            let o = &run.outcomes[i].2;
            line.push_str(&format!(
                " {} | {:.0}% |",
                cell(o),
                100.0 * o.rate / floor.rate.max(1e-9)
            ));
        }
        println!("{line}");
    }
    // Processor time per request: what a request costs the server (with its posts to the
    // Web API and their records, done after the answer), next to the floor's, whatever the
    // load generator and the fake Web API took of the same cores.
    let mut head = "\n| row | conns | floor µs/req |".to_string();
    let mut rule = "|---|---|---|".to_string();
    for run in &runs[1..] {
        head.push_str(&format!(
            " {} µs/req | × floor | load + fake µs/req |",
            run.label
        ));
        rule.push_str("---|---|---|");
    }
    println!("{head}\n{rule}");
    for (i, (row, connections, floor)) in runs[0].outcomes.iter().enumerate() {
        let mut line = format!(
            "| {} | {connections} | {:.0} |",
            row.label(),
            floor.server_us
        );
        for run in &runs[1..] {
            let o = &run.outcomes[i].2;
            line.push_str(&format!(
                " {:.0} | {:.1} | {:.0} |",
                o.server_us,
                o.server_us / floor.server_us.max(1e-9),
                o.bench_us
            ));
        }
        println!("{line}");
    }
    println!("\n| server | peak RSS | RSS at the end of the load | RSS {settle} s later |");
    println!("|---|---|---|---|");
    for run in &runs {
        println!(
            "| {} | {:.0} MiB | {:.0} MiB | {} |",
            run.label,
            run.peak_kib as f64 / 1024.0,
            run.end_kib as f64 / 1024.0,
            run.settled_kib
                .map(|k| format!("{:.0} MiB", k as f64 / 1024.0))
                .unwrap_or_else(|| "-".into())
        );
    }
    for run in &runs[1..] {
        if let Some(commit) = &run.commit {
            println!("\n{}: store metrics at the end\n{commit}", run.label);
        }
    }
}
