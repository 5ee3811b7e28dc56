//! `POST /discord/interactions`: Discord's interactions delivered over HTTP.
//!
//! The signature is checked over the raw body before anything is parsed; a request that
//! fails is answered 401 and never reaches the desk. A PING is answered PONG. Everything
//! else goes to [`Discord::interaction`], like the gateway's interactions; its first answer
//! is the HTTP response, and the work after it runs once the response is on its way.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serenity::all::Interaction;

use super::verify::SignatureCheck;
use super::Discord;

/// The endpoint's state.
#[derive(Clone)]
struct Endpoint {
    /// The adapter.
    discord: Arc<Discord>,
    /// The application's public key.
    check: SignatureCheck,
}

/// The router with `POST /discord/interactions`, to merge into the server's.
pub fn routes(discord: Arc<Discord>, check: SignatureCheck) -> Router {
    Router::new()
        .route("/discord/interactions", post(interactions))
        .with_state(Endpoint { discord, check })
}

/// Only the type of an interaction, to answer a PING without parsing the rest.
#[derive(serde::Deserialize)]
struct Kind {
    /// 1 for PING.
    #[serde(rename = "type")]
    kind: u8,
}

async fn interactions(
    State(endpoint): State<Endpoint>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (kind, response) = interaction(endpoint, headers, body).await;
    crate::telemetry::inbound("discord", "http", kind, response.status().as_str());
    response
}

/// The answer to one request, and the kind of interaction it was (`unverified` when the
/// signature failed, `unreadable` when the body is no interaction).
async fn interaction(
    endpoint: Endpoint,
    headers: HeaderMap,
    body: Bytes,
) -> (&'static str, Response) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if let Err(why) = endpoint.check.check(
        header("x-signature-ed25519"),
        header("x-signature-timestamp"),
        &body,
        now,
    ) {
        tracing::info!(%why, "interaction refused");
        let refused = (StatusCode::UNAUTHORIZED, "invalid request signature\n").into_response();
        return ("unverified", refused);
    }
    match serde_json::from_slice::<Kind>(&body) {
        Ok(Kind { kind: 1 }) => {
            return ("ping", Json(serde_json::json!({"type": 1})).into_response());
        }
        Ok(_) => {}
        Err(_) => {
            let refused = (StatusCode::BAD_REQUEST, "not an interaction\n").into_response();
            return ("unreadable", refused);
        }
    }
    let interaction: Interaction = match serde_json::from_slice(&body) {
        Ok(i) => i,
        Err(e) => {
            // serde's message may quote a value (a pasted source): keep only where it failed.
            tracing::warn!(error = %crate::redact::json_error(&e), "interaction not understood");
            let refused = (StatusCode::BAD_REQUEST, "interaction not understood\n").into_response();
            return ("unreadable", refused);
        }
    };
    let kind = super::interaction_kind(&interaction);
    let handled = endpoint.discord.interaction(interaction).await;
    if let Some(then) = handled.then {
        tokio::spawn(then);
    }
    (kind, Json(handled.response).into_response())
}
