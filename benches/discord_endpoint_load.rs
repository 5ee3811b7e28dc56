//! Load on `POST /discord/interactions` over loopback: signed PINGs and signed `/story
//! status` interactions (each with its own id, so each is a real desk request with its
//! idempotency record) at 1, 10 and 50 connections, against `storydesk serve` running as
//! its own process. Prints requests/s, p50, p99 and the server's peak RSS.
//!
//! Run: `cargo bench --bench discord_endpoint_load` (set `LOAD_SECS` to change the 5 s per
//! run; `STORYDESK_BIN=PATH` to load another build of the server). Every request goes to
//! 127.0.0.1; the server's REST calls go to a closed local port.

use std::time::{Duration, Instant};

use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn interaction(id: u64, sub: &str, options: Value) -> String {
    let mut v: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/discord/application_command_subcommand.json"
        ))
        .unwrap(),
    )
    .unwrap();
    v["id"] = json!(id.to_string());
    v["token"] = json!(format!("token-{id}"));
    v["data"]["name"] = json!("story");
    v["data"]["options"] = json!([{"type": 1, "name": sub, "options": options}]);
    v.to_string()
}

struct Signed {
    body: String,
    ts: String,
    sig: String,
}

fn sign(key: &SigningKey, body: String) -> Signed {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let sig = hex(&key
        .sign(&[ts.as_bytes(), body.as_bytes()].concat())
        .to_bytes());
    Signed { body, ts, sig }
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

async fn post(client: &reqwest::Client, url: &str, s: &Signed) -> bool {
    client
        .post(url)
        .header("content-type", "application/json")
        .header("x-signature-ed25519", &s.sig)
        .header("x-signature-timestamp", &s.ts)
        .body(s.body.clone())
        .send()
        .await
        .map(|r| r.status().is_success())
        .unwrap_or(false)
}

/// One run: `connections` clients, each its own keep-alive connection, for `secs`.
async fn run(
    url: &str,
    connections: usize,
    secs: u64,
    requests: std::sync::Arc<Vec<Signed>>,
    reuse: bool,
) -> (f64, Duration, Duration, usize) {
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (url, requests, next) = (url.to_string(), requests.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .http1_only()
                .build()
                .unwrap();
            let mut latencies = Vec::new();
            let mut failures = 0;
            while Instant::now() < deadline {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let s = if reuse {
                    &requests[0]
                } else if i < requests.len() {
                    &requests[i]
                } else {
                    break;
                };
                let t = Instant::now();
                if post(&client, &url, s).await {
                    latencies.push(t.elapsed());
                } else {
                    failures += 1;
                }
            }
            (latencies, failures)
        }));
    }
    let mut all = Vec::new();
    let mut failures = 0;
    for t in tasks {
        let (l, f) = t.await.unwrap();
        all.extend(l);
        failures += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    (all.len() as f64 / elapsed, pct(0.50), pct(0.99), failures)
}

fn main() {
    let secs: u64 = std::env::var("LOAD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let key = SigningKey::from_bytes(&[42u8; 32]);
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // `STORYDESK_BIN` runs another build of the server (a before/after comparison in one
    // sitting); by default the one this bench was built with.
    let bin = std::env::var("STORYDESK_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_storydesk").to_string());
    let mut server = std::process::Command::new(bin)
        .args(["--data", dir.path().to_str().unwrap(), "serve"])
        .env("STORYDESK_BIND", format!("127.0.0.1:{port}"))
        .env("DISCORD_PUBLIC_KEY", hex(key.verifying_key().as_bytes()))
        .env("DISCORD_APPLICATION_ID", "775799577604522054")
        .env(
            "STORYDESK_DISCORD_API_URL",
            format!("http://127.0.0.1:{closed}"),
        )
        .env_remove("DISCORD_TOKEN")
        .env("RUST_LOG", "error")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/discord/interactions");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if client
                .get(format!("http://127.0.0.1:{port}/healthz"))
                .send()
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // A story for /story status to show.
        let new = sign(
            &key,
            interaction(1, "new", json!([{"type": 3, "name": "title", "value": "Harbour budget passes"}])),
        );
        assert!(post(&client, &url, &new).await, "the server did not answer");
        let ping = std::sync::Arc::new(vec![sign(
            &key,
            json!({"type": 1, "id": "1", "application_id": "775799577604522054", "token": "t", "version": 1}).to_string(),
        )]);
        println!("| requests | connections | requests/s | p50 | p99 | failures |");
        println!("|---|---|---|---|---|---|");
        for connections in [1, 10, 50] {
            let (rps, p50, p99, failed) = run(&url, connections, secs, ping.clone(), true).await;
            println!("| signed PING | {connections} | {rps:.0} | {:.2} ms | {:.2} ms | {failed} |", p50.as_secs_f64() * 1e3, p99.as_secs_f64() * 1e3);
        }
        for connections in [1, 10, 50] {
            let count = 200_000usize.min(40_000 * secs as usize);
            let base = 10_000_000 * connections as u64;
            let requests: Vec<Signed> = (0..count as u64)
                .map(|i| sign(&key, interaction(base + i, "status", json!([]))))
                .collect();
            let (rps, p50, p99, failed) =
                run(&url, connections, secs, std::sync::Arc::new(requests), false).await;
            println!("| signed /story status | {connections} | {rps:.0} | {:.2} ms | {:.2} ms | {failed} |", p50.as_secs_f64() * 1e3, p99.as_secs_f64() * 1e3);
        }
    });
    println!(
        "\nserver peak RSS: {} MiB",
        peak_rss_kib(server.id()) / 1024
    );
    let _ = server.kill();
    let _ = server.wait();
}
