//! The gateway: serenity's client, connected with `DISCORD_TOKEN`.
//!
//! The event handler holds no logic: an interaction goes to [`Discord::interaction`] and its
//! answer back over REST; a message goes to [`Discord::message`]. The Message Content intent
//! is asked for only when the application has it (asking for a privileged intent that is not
//! granted closes the connection), which the application's flags say.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context as _;
use serenity::all::{
    ApplicationFlags, ConnectionStage, Context, EventHandler, GatewayIntents, Interaction, Message,
    Ready, ResumedEvent, ShardStageUpdateEvent,
};
use serenity::http::{Http, RatelimitInfo};

use super::Discord;
use crate::config::ShardRange;
use crate::health::Signal;

/// Forwards serenity's events to the adapter, and the connection's state to readiness and
/// metrics.
struct Handler {
    /// The adapter.
    discord: Arc<Discord>,
    /// The gateway's readiness: up once READY (or RESUMED) has arrived.
    ready: Signal,
    /// Whether the shard was connected before, so a later arrival is a reconnection.
    connected_before: AtomicBool,
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn interaction_create(&self, _ctx: Context, interaction: Interaction) {
        let _busy = self.discord.busy();
        let id = interaction.id();
        let token = interaction.token().to_string();
        let kind = super::interaction_kind(&interaction);
        let handled = self.discord.interaction(interaction).await;
        let answered = self.discord.answer_over_rest(id, &token, handled).await;
        let status = if answered { "ok" } else { "failed" };
        crate::telemetry::inbound("discord", "gateway", kind, status);
    }

    async fn message(&self, _ctx: Context, message: Message) {
        crate::telemetry::inbound("discord", "gateway", "message", "ok");
        self.discord.message(message).await;
    }

    async fn ready(&self, _ctx: Context, ready: Ready) {
        let granted = message_content_granted(ready.application.flags);
        self.discord.set_message_content(granted);
        self.ready.ready("connected");
        tracing::info!(
            user = %ready.user.name,
            guilds = ready.guilds.len(),
            message_content = granted,
            "connected to the Discord gateway"
        );
    }

    async fn resume(&self, _ctx: Context, _event: ResumedEvent) {
        self.ready.ready("connected");
    }

    async fn shard_stage_update(&self, _ctx: Context, update: ShardStageUpdateEvent) {
        if update.new != ConnectionStage::Connected {
            self.ready.not_ready(&stage_detail(update.new));
            return;
        }
        self.ready.ready("connected");
        // Connected again after having been connected: a reconnection (a resumed session
        // or a new one). serenity resumes after Discord's op 7 without reporting the stages
        // in between, so arriving is what can be counted.
        if self.connected_before.swap(true, Ordering::SeqCst) {
            crate::telemetry::reconnect("discord_gateway");
            tracing::info!(from = ?update.old, "the Discord gateway connection is back");
        }
    }

    async fn ratelimit(&self, info: RatelimitInfo) {
        super::count_rate_limit(info);
    }
}

/// Why the gateway is not ready, in `/readyz`'s words.
fn stage_detail(stage: ConnectionStage) -> String {
    match stage {
        ConnectionStage::Disconnected => "disconnected".into(),
        ConnectionStage::Resuming => "disconnected: resuming".into(),
        ConnectionStage::Connected => "connected".into(),
        other => format!("connecting ({})", format!("{other:?}").to_lowercase()),
    }
}

/// Whether the application may receive message content.
pub fn message_content_granted(flags: ApplicationFlags) -> bool {
    flags.intersects(
        ApplicationFlags::GATEWAY_MESSAGE_CONTENT
            | ApplicationFlags::GATEWAY_MESSAGE_CONTENT_LIMITED,
    )
}

/// The intents storydesk needs: guilds, guild messages (source threads), and message
/// content when granted.
pub fn intents(message_content: bool) -> GatewayIntents {
    let mut intents = GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGES;
    if message_content {
        intents |= GatewayIntents::MESSAGE_CONTENT;
    }
    intents
}

/// serenity's arguments for running `range`: `start_shard_range(first..last, total)`, whose
/// range end serenity reads as included (its own example, `4..7` of 10, runs shards 4
/// through 7).
pub fn serenity_shard_range(range: ShardRange) -> (std::ops::Range<u32>, u32) {
    (range.first..range.last, range.total)
}

/// Connect to the gateway with `http` (a REST client for the gateway's own use, built like
/// the adapter's) and run until `shutdown` completes, reporting the connection's state to
/// `ready`. `shards`: the range of shards this process runs; `None`: shard 0 of 1, as
/// before shards could be set. On shutdown the shards' websockets are closed with a close
/// frame.
pub async fn run(
    discord: Arc<Discord>,
    http: Http,
    ready: Signal,
    shards: Option<ShardRange>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let granted = match http.get_current_application_info().await {
        Ok(app) => app.flags.is_some_and(message_content_granted),
        Err(e) => {
            tracing::warn!(error = %super::PostError::from(e), "could not read the application's flags; not asking for message content");
            false
        }
    };
    discord.set_message_content(granted);
    let mut client = serenity::all::ClientBuilder::new_with_http(http, intents(granted))
        .event_handler(Handler {
            discord,
            ready: ready.clone(),
            connected_before: AtomicBool::new(false),
        })
        .await
        .context("starting the Discord gateway client (is DISCORD_TOKEN right?)")?;
    let manager = client.shard_manager.clone();
    tokio::spawn(async move {
        shutdown.await;
        manager.shutdown_all().await;
    });
    let ended = match shards {
        Some(range) => {
            let (range, total) = serenity_shard_range(range);
            client.start_shard_range(range, total).await
        }
        None => client.start().await,
    }
    .context("the Discord gateway connection failed");
    ready.not_ready("stopped");
    ended
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_flags_decide_the_message_content_intent() {
        let app: serenity::all::CurrentApplicationInfo =
            serde_json::from_value(serde_json::json!({
                "id": "900000000000000002", "name": "storydesk", "description": "", "icon": null,
                "bot_public": false, "bot_require_code_grant": false, "verify_key": "00",
                "flags": 262144
            }))
            .unwrap();
        assert!(app.flags.is_some_and(message_content_granted));
        assert!(!message_content_granted(ApplicationFlags::empty()));
        assert!(intents(true).contains(GatewayIntents::MESSAGE_CONTENT));
        assert!(!intents(false).contains(GatewayIntents::MESSAGE_CONTENT));
    }

    #[test]
    fn a_shard_range_is_given_to_serenity_with_its_last_shard_included() {
        let range = |first, last, total| ShardRange { first, last, total };
        // serenity starts `end - start + 1` shards from `start`.
        assert_eq!(serenity_shard_range(range(4, 7, 10)), (4..7, 10));
        assert_eq!(serenity_shard_range(range(1, 1, 3)), (1..1, 3));
    }
}
