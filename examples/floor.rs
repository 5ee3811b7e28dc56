//! The floors the endpoint benchmark (`examples/endpoints.rs`, `scripts/bench.sh endpoints`)
//! measures `storydesk serve` against: the same HTTP stack (axum on tokio's default
//! runtime), the same signature checks, and nothing of the desk.
//!
//! - `POST /slack/commands` and `POST /slack/interactivity`: Slack's HMAC check over
//!   timestamp and body ([`storydesk::slack::verify::verify`]); a read (`text=status`) gets a
//!   fixed answer, anything else is a write: one sled insert and one `flush()` before the
//!   answer (on tokio's blocking pool, as sled's flush blocks).
//! - `POST /discord/interactions`: Discord's Ed25519 check
//!   ([`storydesk::discord::verify::SignatureCheck`]); a `status` subcommand gets a fixed
//!   answer, anything else is a write as above.
//! - `GET /healthz`: 200.
//!
//! Run: `cargo run --release --example floor -- ADDR DATA_DIR`, with `SLACK_SIGNING_SECRET`
//! and `DISCORD_PUBLIC_KEY` (hex) set.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use storydesk::discord::verify::SignatureCheck;
use storydesk::slack::verify::{unix_now, verify, SigningSecret};

/// What every handler shares.
#[derive(Clone)]
struct Floor {
    /// Slack's signing secret.
    slack: SigningSecret,
    /// Discord's public key.
    discord: SignatureCheck,
    /// The store of the write floor: one tree, one insert per write.
    db: sled::Db,
    /// Keys of the inserts.
    next: Arc<AtomicU64>,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// One insert and one flush, on the blocking pool; the answer waits for both.
async fn write(floor: &Floor, body: Bytes) -> Response {
    let db = floor.db.clone();
    let key = floor.next.fetch_add(1, Ordering::Relaxed).to_be_bytes();
    let done = tokio::task::spawn_blocking(move || {
        db.insert(key, body.as_ref())?;
        db.flush()
    })
    .await;
    match done {
        Ok(Ok(_)) => StatusCode::OK.into_response(),
        _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn slack_endpoint(State(floor): State<Floor>, headers: HeaderMap, body: Bytes) -> Response {
    let checked = verify(
        &floor.slack,
        header(&headers, "x-slack-request-timestamp"),
        header(&headers, "x-slack-signature"),
        &body,
        unix_now(),
    );
    if checked.is_err() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if body.windows(11).any(|w| w == b"text=status") {
        return axum::Json(serde_json::json!({
            "response_type": "ephemeral",
            "text": "Harbour budget vote delayed after leak: 1 section, 0 revisions",
        }))
        .into_response();
    }
    write(&floor, body).await
}

async fn discord_endpoint(State(floor): State<Floor>, headers: HeaderMap, body: Bytes) -> Response {
    let checked = floor.discord.check(
        header(&headers, "x-signature-ed25519"),
        header(&headers, "x-signature-timestamp"),
        &body,
        unix_now(),
    );
    if checked.is_err() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if body.windows(17).any(|w| w == b"\"name\":\"status\"") {
        return axum::Json(serde_json::json!({
            "type": 4,
            "data": { "content": "Harbour budget passes: 1 section, 0 revisions", "flags": 64 },
        }))
        .into_response();
    }
    write(&floor, body).await
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(addr), Some(data)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: floor ADDR DATA_DIR");
    };
    let slack = SigningSecret::new(std::env::var("SLACK_SIGNING_SECRET")?);
    let discord = SignatureCheck::from_hex(&std::env::var("DISCORD_PUBLIC_KEY")?)
        .map_err(|_| anyhow::anyhow!("DISCORD_PUBLIC_KEY is not a public key"))?;
    let db = sled::Config::new()
        .path(data)
        .cache_capacity(4 << 20)
        .open()?;
    let floor = Floor {
        slack,
        discord,
        db,
        next: Arc::new(AtomicU64::new(0)),
    };
    let app = axum::Router::new()
        .route("/slack/commands", post(slack_endpoint))
        .route("/slack/interactivity", post(slack_endpoint))
        .route("/discord/interactions", post(discord_endpoint))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(floor);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
