//! The Discord REST calls storydesk makes, each counted by route and status
//! ([`crate::telemetry::PLATFORM_API_CALLS`]).
//!
//! [`Rest`] wraps serenity's [`Http`] with the same method names and arguments, so the
//! adapter reads as it would with serenity alone. serenity's own ratelimiter waits out 429
//! answers inside the client and reports each wait through the callback [`build_http`] sets
//! ([`crate::telemetry::PLATFORM_RATE_LIMITED`]); through a REST proxy (ratelimiter off), a
//! 429 comes back as a call with status 429 and is counted as such.
//!
//! [`build_http`]: super::build_http

use std::future::Future;
use std::sync::Arc;

use serenity::all::{
    ChannelId, CreateAttachment, GuildChannel, GuildId, InteractionId, Message, MessageId,
    PrivateChannel, UserId,
};
use serenity::http::Http;

/// Route templates, the `method` label of the metrics.
mod route {
    pub const SEND_MESSAGE: &str = "POST /channels/{channel}/messages";
    pub const EDIT_MESSAGE: &str = "PATCH /channels/{channel}/messages/{message}";
    pub const DELETE_MESSAGE: &str = "DELETE /channels/{channel}/messages/{message}";
    pub const CREATE_THREAD: &str = "POST /channels/{channel}/messages/{message}/threads";
    pub const GUILD_CHANNELS: &str = "GET /guilds/{guild}/channels";
    pub const EDIT_ORIGINAL: &str = "PATCH /webhooks/{application}/{token}/messages/@original";
    pub const FOLLOWUP: &str = "POST /webhooks/{application}/{token}";
    pub const INTERACTION_CALLBACK: &str = "POST /interactions/{interaction}/{token}/callback";
    pub const CREATE_DM: &str = "POST /users/@me/channels";
}

/// serenity's REST client, counted.
#[derive(Clone)]
pub(crate) struct Rest {
    /// The client.
    http: Arc<Http>,
}

/// Runs one call and counts it with the status it got.
async fn counted<T>(
    route: &'static str,
    call: impl Future<Output = serenity::Result<T>>,
) -> serenity::Result<T> {
    let result = call.await;
    match &result {
        Ok(_) => crate::telemetry::api_call_ok("discord", route),
        Err(serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r))) => {
            crate::telemetry::api_call("discord", route, Some(r.status_code.as_u16()))
        }
        Err(_) => crate::telemetry::api_call("discord", route, None),
    }
    result
}

impl Rest {
    /// Counts the calls made through `http`.
    pub fn new(http: Arc<Http>) -> Self {
        Rest { http }
    }

    /// The client itself.
    pub fn http(&self) -> &Arc<Http> {
        &self.http
    }

    pub async fn send_message(
        &self,
        channel: ChannelId,
        files: Vec<CreateAttachment>,
        map: &impl serde::Serialize,
    ) -> serenity::Result<Message> {
        counted(
            route::SEND_MESSAGE,
            self.http.send_message(channel, files, map),
        )
        .await
    }

    pub async fn edit_message(
        &self,
        channel: ChannelId,
        message: MessageId,
        map: &impl serde::Serialize,
        files: Vec<CreateAttachment>,
    ) -> serenity::Result<Message> {
        counted(
            route::EDIT_MESSAGE,
            self.http.edit_message(channel, message, map, files),
        )
        .await
    }

    pub async fn delete_message(
        &self,
        channel: ChannelId,
        message: MessageId,
        reason: Option<&str>,
    ) -> serenity::Result<()> {
        counted(
            route::DELETE_MESSAGE,
            self.http.delete_message(channel, message, reason),
        )
        .await
    }

    pub async fn create_thread_from_message(
        &self,
        channel: ChannelId,
        message: MessageId,
        map: &impl serde::Serialize,
        reason: Option<&str>,
    ) -> serenity::Result<GuildChannel> {
        counted(
            route::CREATE_THREAD,
            self.http
                .create_thread_from_message(channel, message, map, reason),
        )
        .await
    }

    /// The direct-message channel with `user` (`POST /users/@me/channels`), created or found.
    pub async fn create_dm_channel(&self, user: UserId) -> serenity::Result<PrivateChannel> {
        counted(
            route::CREATE_DM,
            self.http.create_private_channel(
                &serde_json::json!({ "recipient_id": user.get().to_string() }),
            ),
        )
        .await
    }

    pub async fn get_channels(&self, guild: GuildId) -> serenity::Result<Vec<GuildChannel>> {
        counted(route::GUILD_CHANNELS, self.http.get_channels(guild)).await
    }

    pub async fn edit_original_interaction_response(
        &self,
        token: &str,
        map: &impl serde::Serialize,
        files: Vec<CreateAttachment>,
    ) -> serenity::Result<Message> {
        counted(
            route::EDIT_ORIGINAL,
            self.http
                .edit_original_interaction_response(token, map, files),
        )
        .await
    }

    pub async fn create_followup_message(
        &self,
        token: &str,
        map: &impl serde::Serialize,
        files: Vec<CreateAttachment>,
    ) -> serenity::Result<Message> {
        counted(
            route::FOLLOWUP,
            self.http.create_followup_message(token, map, files),
        )
        .await
    }

    pub async fn create_interaction_response(
        &self,
        id: InteractionId,
        token: &str,
        map: &impl serde::Serialize,
        files: Vec<CreateAttachment>,
    ) -> serenity::Result<()> {
        counted(
            route::INTERACTION_CALLBACK,
            self.http.create_interaction_response(id, token, map, files),
        )
        .await
    }
}

/// A rate-limited path as a route template: ids become `{id}` and the tokens of webhook and
/// interaction paths `{token}`, so the label never carries a token and stays bounded.
pub fn route_template(method: &str, path: &str) -> String {
    let path = path
        .split_once("/api/v10")
        .map_or(path, |(_, rest)| rest)
        .split('?')
        .next()
        .unwrap_or_default();
    let mut out: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        let after_token_owner = out.len() >= 2
            && matches!(out[out.len() - 2], "webhooks" | "interactions")
            && out[out.len() - 1] == "{id}";
        let templated = if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            "{id}"
        } else if after_token_owner {
            "{token}"
        } else {
            segment
        };
        out.push(templated);
    }
    format!("{} {}", method.to_ascii_uppercase(), out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limited_paths_lose_their_ids_and_tokens() {
        assert_eq!(
            route_template("post", "/channels/123456/messages"),
            "POST /channels/{id}/messages"
        );
        assert_eq!(
            route_template(
                "PATCH",
                "https://discord.com/api/v10/webhooks/900000000000000002/aW50ZXJhY3Rpb24:secret/messages/@original"
            ),
            "PATCH /webhooks/{id}/{token}/messages/@original"
        );
        assert_eq!(
            route_template(
                "POST",
                "/interactions/700/tok.en/callback?with_response=false"
            ),
            "POST /interactions/{id}/{token}/callback"
        );
    }
}
