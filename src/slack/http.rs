//! Slack over HTTP: `POST /slack/commands`, `/slack/interactivity` and `/slack/events`.
//!
//! Each handler reads the raw body (refusing more than [`MAX_BODY_BYTES`] with 413), checks
//! its signature over those bytes (401 when it is missing, stale or wrong, before anything
//! is parsed or stored), and only then decodes it ([`decode_http`]; 400 for a body that is
//! not a payload of the endpoint) and hands it to [`Slack::handle`]. Slack gets the [`Ack`]
//! as the response.

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

use super::inbound::{decode_http, Endpoint};
use super::verify::{unix_now, verify};
use super::{Ack, Slack};

/// The largest request body accepted. A modal submission of the longest section (20 boxes
/// of 3,000 characters, sent back twice: as values and as the view's initial values,
/// form-encoded) stays well below it.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// The Slack endpoints, to merge into the server's router.
pub fn routes(slack: Slack) -> Router {
    Router::new()
        .route("/slack/commands", post(commands))
        .route("/slack/interactivity", post(interactivity))
        .route("/slack/events", post(events))
        .layer(DefaultBodyLimit::disable())
        .with_state(slack)
}

/// The body, read and verified; otherwise the response that refuses it.
async fn read_verified(slack: &Slack, headers: &HeaderMap, body: Body) -> Result<Bytes, Response> {
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(StatusCode::PAYLOAD_TOO_LARGE.into_response());
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE.into_response())?;
    let Some(secret) = slack.signing_secret() else {
        return Err(StatusCode::UNAUTHORIZED.into_response());
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Err(why) = verify(
        secret,
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
        &bytes,
        unix_now(),
    ) {
        tracing::info!(reason = %why, "refused an unverified Slack request");
        return Err(StatusCode::UNAUTHORIZED.into_response());
    }
    Ok(bytes)
}

fn respond(ack: Ack) -> Response {
    match ack {
        Ack::Empty => StatusCode::OK.into_response(),
        Ack::Json(value) => Json(value).into_response(),
    }
}

/// Count a request by kind and the status it got.
fn counted(kind: &'static str, response: Response) -> Response {
    crate::telemetry::inbound("slack", "http", kind, response.status().as_str());
    response
}

/// Verifies, decodes and handles one request; a body that is not a payload of the
/// endpoint is answered 400.
async fn endpoint(slack: Slack, endpoint: Endpoint, headers: HeaderMap, body: Body) -> Response {
    let bytes = match read_verified(&slack, &headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    if endpoint == Endpoint::Events {
        if let Some(n) = headers
            .get("x-slack-retry-num")
            .and_then(|v| v.to_str().ok())
        {
            tracing::info!(retry = n, "Slack retried an event");
        }
    }
    match decode_http(endpoint, &bytes) {
        Ok(inbound) => respond(slack.handle(inbound).await),
        Err(why) => {
            tracing::info!(reason = %why, "refused a Slack request that is not a payload");
            StatusCode::BAD_REQUEST.into_response()
        }
    }
}

async fn commands(State(slack): State<Slack>, headers: HeaderMap, body: Body) -> Response {
    counted(
        "command",
        endpoint(slack, Endpoint::Commands, headers, body).await,
    )
}

async fn interactivity(State(slack): State<Slack>, headers: HeaderMap, body: Body) -> Response {
    counted(
        "interaction",
        endpoint(slack, Endpoint::Interactivity, headers, body).await,
    )
}

async fn events(State(slack): State<Slack>, headers: HeaderMap, body: Body) -> Response {
    counted(
        "event",
        endpoint(slack, Endpoint::Events, headers, body).await,
    )
}
