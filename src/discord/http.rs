//! `POST /discord/interactions`: Discord's interactions delivered over HTTP.
//!
//! The signature is checked over the raw body before anything is parsed; a request that
//! fails is answered 401 and never reaches the desk. A PING is answered PONG. Everything
//! else goes to [`Discord::interaction`], like the gateway's interactions; its first answer
//! is the HTTP response, and the work after it runs once the response is on its way.
//!
//! [`decode`] turns a verified body into a [`Payload`], or a [`DecodeError`] for anything that
//! is not an interaction: it never panics, whatever the bytes (property tests and fuzz targets
//! hold it to it).

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

/// A verified body of `POST /discord/interactions`.
#[derive(Debug)]
pub enum Payload {
    /// Discord checks the endpoint: answer PONG.
    Ping,
    /// An interaction for the adapter.
    Interaction(Box<Interaction>),
}

/// Why a body is not an interaction. The words never quote the body (it may hold a
/// source's text): a JSON error says only its category and position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not a JSON object with a numeric `type`.
    #[error("not an interaction")]
    NotInteraction,
    /// An image hash (an avatar, an icon, a banner) that is not ASCII: Discord's are hex,
    /// and serenity 0.12.5 panics on some that are not, so the body is refused before
    /// serenity reads it.
    #[error("interaction not understood (an image hash that is not ASCII)")]
    ImageHash,
    /// An interaction whose fields do not have the shape Discord documents: what kind of
    /// error and where, never the value (it could be pasted text).
    #[error("interaction not understood ({0})")]
    NotUnderstood(String),
}

/// Decodes a (verified) request body: a PING, or an interaction serenity understands.
pub fn decode(body: &[u8]) -> Result<Payload, DecodeError> {
    match serde_json::from_slice::<Kind>(body) {
        Ok(Kind { kind: 1 }) => return Ok(Payload::Ping),
        Ok(_) => {}
        Err(_) => return Err(DecodeError::NotInteraction),
    }
    let value: serde_json::Value = serde_json::from_slice(body).map_err(not_understood)?;
    if has_unreadable_image_hash(&value) {
        return Err(DecodeError::ImageHash);
    }
    serde_json::from_value::<Interaction>(value)
        .map(|i| Payload::Interaction(Box::new(i)))
        .map_err(not_understood)
}

/// serde's own message may quote a value from the body: keep only where and what.
fn not_understood(e: serde_json::Error) -> DecodeError {
    DecodeError::NotUnderstood(crate::redact::json_error(&e))
}

/// The fields serenity reads as an `ImageHash`.
const IMAGE_HASH_FIELDS: [&str; 10] = [
    "asset",
    "avatar",
    "badge",
    "banner",
    "cover_image",
    "discovery_splash",
    "icon",
    "icon_hash",
    "image",
    "splash",
];

/// True when an image hash field anywhere in `value` holds a string that is not ASCII.
/// serenity 0.12.5's `ImageHash::from_str` cuts the string two bytes at a time and panics
/// when a cut falls inside a character.
fn has_unreadable_image_hash(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Object(map) => map.iter().any(|(key, v)| match v {
            Value::String(s) => IMAGE_HASH_FIELDS.contains(&key.as_str()) && !s.is_ascii(),
            other => has_unreadable_image_hash(other),
        }),
        Value::Array(items) => items.iter().any(has_unreadable_image_hash),
        _ => false,
    }
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
    let interaction = match decode(&body) {
        Ok(Payload::Ping) => {
            return ("ping", Json(serde_json::json!({"type": 1})).into_response());
        }
        Ok(Payload::Interaction(i)) => *i,
        Err(why @ DecodeError::NotInteraction) => {
            tracing::info!(%why, "refused a body that is not an interaction");
            let refused = (StatusCode::BAD_REQUEST, "not an interaction\n").into_response();
            return ("unreadable", refused);
        }
        Err(why) => {
            tracing::warn!(%why, "interaction not understood");
            let refused = (StatusCode::BAD_REQUEST, "interaction not understood\n").into_response();
            return ("unreadable", refused);
        }
    };
    let kind = super::interaction_kind(&interaction);
    let handled = endpoint.discord.interaction(interaction).await;
    if let Some(then) = handled.then {
        crate::supervise::spawn(endpoint.discord.desk(), "discord", then);
    }
    (kind, Json(handled.response).into_response())
}
