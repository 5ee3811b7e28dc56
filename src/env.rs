//! The environment storydesk reads: the platforms' tokens, secrets and addresses, and the
//! source key. Read once (`Env::from_process`) and passed to `serve` and `doctor`, so both
//! see the same settings and tests can give their own.

use crate::config::ShardRange;
use crate::model::Platform;
use crate::store::{BadKey, SourceKey};

/// The environment `serve` reads, and `doctor` checks: the platforms' secrets and
/// addresses, and the source key. Empty values count as unset. Its `Debug` shows nothing.
#[derive(Default, Clone)]
pub struct Env {
    /// `SLACK_SIGNING_SECRET`.
    pub slack_signing_secret: Option<String>,
    /// `SLACK_BOT_TOKEN`.
    pub slack_bot_token: Option<String>,
    /// `SLACK_APP_TOKEN`.
    pub slack_app_token: Option<String>,
    /// `STORYDESK_SLACK_API_URL`, else Slack's own.
    pub slack_api_url: String,
    /// `DISCORD_TOKEN`.
    pub discord_token: Option<String>,
    /// `DISCORD_PUBLIC_KEY`.
    pub discord_public_key: Option<String>,
    /// `DISCORD_APPLICATION_ID`, as written.
    pub discord_application_id: Option<String>,
    /// `STORYDESK_DISCORD_API_URL`.
    pub discord_api_url: Option<String>,
    /// `STORYDESK_SOURCE_KEY`.
    pub source_key: Option<String>,
    /// `STORYDESK_DATABASE_URL`: PostgreSQL instead of the embedded store (may carry a
    /// password).
    pub database_url: Option<String>,
    /// `STORYDESK_DISCORD_SHARDS`: the gateway shards this process runs, as written
    /// (`FIRST-LAST/TOTAL`; wins over `[discord] shards`).
    pub discord_shards: Option<String>,
}

impl Env {
    /// The chat platforms this environment configures in any way (a token, a signing
    /// secret or a public key), for which `[roles]` entries must be ids.
    pub fn chat_platforms(&self) -> Vec<Platform> {
        let mut platforms = Vec::new();
        if self.slack_bot_token.is_some()
            || self.slack_signing_secret.is_some()
            || self.slack_app_token.is_some()
        {
            platforms.push(Platform::Slack);
        }
        if self.discord_token.is_some() || self.discord_public_key.is_some() {
            platforms.push(Platform::Discord);
        }
        platforms
    }
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Env(…)")
    }
}

impl Env {
    /// Read from this process's environment (empty values count as unset).
    pub fn from_process() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Env {
            slack_signing_secret: var("SLACK_SIGNING_SECRET"),
            slack_bot_token: var("SLACK_BOT_TOKEN"),
            slack_app_token: var("SLACK_APP_TOKEN"),
            slack_api_url: var("STORYDESK_SLACK_API_URL")
                .unwrap_or_else(|| crate::slack::DEFAULT_API_URL.to_string()),
            discord_token: var("DISCORD_TOKEN"),
            discord_public_key: var("DISCORD_PUBLIC_KEY"),
            discord_application_id: var("DISCORD_APPLICATION_ID"),
            discord_api_url: var("STORYDESK_DISCORD_API_URL"),
            source_key: var("STORYDESK_SOURCE_KEY"),
            database_url: var("STORYDESK_DATABASE_URL"),
            discord_shards: var("STORYDESK_DISCORD_SHARDS"),
        }
    }
}

impl Env {
    /// `DISCORD_APPLICATION_ID` as a number, when it is one.
    pub fn discord_application_id(&self) -> Option<u64> {
        self.discord_application_id
            .as_deref()
            .and_then(|id| id.trim().parse().ok())
    }

    /// The gateway shards this process runs: `STORYDESK_DISCORD_SHARDS` when set, else
    /// `[discord] shards` (`configured`); `None`: every shard, in one replica. An error,
    /// naming the variable, when the variable is not a range.
    pub fn discord_shards(
        &self,
        configured: Option<ShardRange>,
    ) -> Result<Option<ShardRange>, String> {
        match &self.discord_shards {
            Some(text) => ShardRange::parse(text)
                .map(Some)
                .map_err(|why| format!("STORYDESK_DISCORD_SHARDS: {why}")),
            None => Ok(configured),
        }
    }

    /// The source key, when `STORYDESK_SOURCE_KEY` is set; an error when it is not a key.
    pub fn source_key(&self) -> Result<Option<SourceKey>, BadKey> {
        self.source_key.as_deref().map(SourceKey::parse).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shards_variable_wins_over_the_config_and_is_checked() {
        let configured = Some(ShardRange {
            first: 0,
            last: 1,
            total: 4,
        });
        let mut env = Env::default();
        assert_eq!(env.discord_shards(None), Ok(None));
        assert_eq!(env.discord_shards(configured), Ok(configured));
        env.discord_shards = Some("2-3/4".into());
        assert_eq!(
            env.discord_shards(configured),
            Ok(Some(ShardRange {
                first: 2,
                last: 3,
                total: 4
            }))
        );
        env.discord_shards = Some("4/4".into());
        let err = env.discord_shards(configured).unwrap_err();
        assert!(err.starts_with("STORYDESK_DISCORD_SHARDS: "), "{err}");
        assert!(err.contains("below TOTAL"), "{err}");
    }
}
