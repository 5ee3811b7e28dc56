//! Configuration: `config/default.toml` (embedded) overlaid with the operator's file. The
//! tables of the checks (`[checks]`) and of drafting help (`[assist]`) are defined by those
//! modules; the story templates are [`crate::template`]'s (re-exported here).
//!
//! The operator's file is merged key by key over the defaults, then the whole is checked
//! against these structs, which refuse unknown keys: a typo such as `quorm` is an error that
//! names the key and its table instead of a setting that silently does nothing.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::assist::AssistConfig;
use crate::checks::ChecksConfig;
use crate::model::CitationStyle;
use crate::roles::{Identity, RoleList};

/// The defaults, with a comment on every key.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

pub use crate::template::{Generated, SectionSpec, Template, TemplateError, BUILTIN_TEMPLATES};

/// Why a configuration could not be used. The message names the file and key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or has unknown keys or wrong types.
    #[error("config {origin}: {reason}")]
    Invalid {
        /// The file (or "built-in defaults").
        origin: String,
        /// What is wrong, with the key.
        reason: String,
    },
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The embedded database.
    pub store: StoreConfig,
    /// `storydesk serve` itself.
    pub server: ServerConfig,
    /// Which template stories use.
    pub story: StoryConfig,
    /// Who may do what.
    pub roles: RolesConfig,
    /// The review rules.
    pub review: ReviewConfig,
    /// Where articles are published.
    pub publish: PublishConfig,
    /// How references are formatted.
    pub citations: CitationsConfig,
    /// Size limits that protect the desk from oversized input.
    pub limits: LimitsConfig,
    /// Idempotency of platform events.
    pub events: EventsConfig,
    /// Drafting help: which drafter `/story draft` uses, and how far sources may travel.
    pub assist: AssistConfig,
    /// The pre-publish checks: extra rule files, rules switched off, levels changed.
    pub checks: ChecksConfig,
    /// The Discord gateway.
    #[serde(default)]
    pub discord: DiscordConfig,
    /// Deadlines and reminders.
    pub time: TimeConfig,
}

/// `[time]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeConfig {
    /// The zone times are read in for someone who has not chosen one (`/story tz`) and
    /// whose platform reports none: an IANA name.
    pub zone: String,
    /// How long before a due time the person writing the section is reminded (`2h`,
    /// `30m`, `1d`).
    pub remind_before: String,
}

impl TimeConfig {
    /// The default zone.
    pub fn zone(&self) -> crate::text::when::Zone {
        crate::text::when::Zone::named(&self.zone).unwrap_or_else(crate::text::when::Zone::utc)
    }

    /// How long before a due time reminders go, in milliseconds.
    pub fn remind_before_ms(&self) -> i64 {
        crate::text::when::parse_span(&self.remind_before).unwrap_or(2 * 3_600_000)
    }
}

/// `[discord]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscordConfig {
    /// The gateway shards this process runs (`STORYDESK_DISCORD_SHARDS` wins). Unset: one
    /// shard (0 of 1), held by one replica at a time.
    #[serde(default, deserialize_with = "shards_key")]
    pub shards: Option<ShardRange>,
}

/// A range of Discord gateway shards, `FIRST-LAST/TOTAL`: shards FIRST to LAST (both
/// included) of TOTAL. A guild's events go to shard `(guild_id >> 22) % TOTAL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardRange {
    /// The first shard run here.
    pub first: u32,
    /// The last shard run here (included).
    pub last: u32,
    /// How many shards the bot has in all, over every process.
    pub total: u32,
}

impl ShardRange {
    /// Reads `FIRST-LAST/TOTAL` (`0-3/8`); a single shard may be written `N/TOTAL`. Needs
    /// FIRST ≤ LAST < TOTAL. The error says what is wrong, without the key (the caller
    /// names it).
    pub fn parse(text: &str) -> Result<ShardRange, String> {
        const FORM: &str = "expected FIRST-LAST/TOTAL, such as \"0-3/8\" (shards 0 to 3 of 8)";
        let number = |part: &str, what: &str| -> Result<u32, String> {
            let part = part.trim();
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("{what} `{part}` is not a whole number; {FORM}"));
            }
            part.parse::<u32>()
                .map_err(|_| format!("{what} `{part}` is too large; {FORM}"))
        };
        let text = text.trim();
        let (range, total) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` has no `/TOTAL`; {FORM}"))?;
        let (first, last) = match range.split_once('-') {
            Some((first, last)) => (number(first, "FIRST")?, number(last, "LAST")?),
            None => {
                let only = number(range, "FIRST")?;
                (only, only)
            }
        };
        let total = number(total, "TOTAL")?;
        if total == 0 {
            return Err(format!("TOTAL must be at least 1 in `{text}`"));
        }
        if first > last {
            return Err(format!(
                "FIRST ({first}) is after LAST ({last}) in `{text}`; {FORM}"
            ));
        }
        if last >= total {
            return Err(format!(
                "LAST ({last}) must be below TOTAL ({total}) in `{text}`: shards are numbered from 0 to TOTAL - 1"
            ));
        }
        Ok(ShardRange { first, last, total })
    }

    /// How many shards this process runs.
    pub fn count(&self) -> u32 {
        self.last - self.first + 1
    }
}

impl std::fmt::Display for ShardRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}/{}", self.first, self.last, self.total)
    }
}

/// `[discord] shards`: a [`ShardRange`], with the key named when it is not one.
fn shards_key<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<ShardRange>, D::Error> {
    let text = Option::<String>::deserialize(de)?;
    text.map(|text| {
        ShardRange::parse(&text)
            .map_err(|why| serde::de::Error::custom(format!("[discord] shards: {why}")))
    })
    .transpose()
}

/// `[store]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// Where the database lives, unless `--data` or `STORYDESK_DATA_DIR` say otherwise.
    pub data_dir: PathBuf,
    /// sled's page cache in MiB; sled's own default (1 GiB) is too much for a small bot.
    pub cache_mb: u64,
    /// fsync after each flush, to survive power loss and not only a crash.
    pub fsync: bool,
    /// A PostgreSQL database instead of the embedded store (`STORYDESK_DATABASE_URL` wins).
    #[serde(default)]
    pub url: Option<String>,
    /// At most this many connections to PostgreSQL per process.
    pub pool_size: u32,
}

/// `[server]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// The longest a shutdown may take, in seconds, so a supervisor's grace period is kept.
    pub shutdown_secs: u64,
}

/// `[story]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoryConfig {
    /// A built-in template name or a path to a template file.
    pub template: String,
}

/// `[roles]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolesConfig {
    /// Who may publish, override a check and purge sources: Slack user ids, Discord user
    /// ids, `role:ID` (Discord), `group:ID` (Slack) and, in the console only, names. Parsed
    /// by kind when the config is loaded (`crate::roles`). Empty: nobody.
    pub editors: RoleList,
}

/// `[review]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewConfig {
    /// Approvals needed per section (the author's own never counts).
    pub quorum: u32,
    /// `[review.required]`: sections that also need an approval from one of these (a Slack
    /// user group `group:S…`, a Discord role `role:…`, a user id; a name in the console),
    /// by the template's section name.
    #[serde(default)]
    pub required: std::collections::BTreeMap<String, RoleList>,
}

impl ReviewConfig {
    /// Who must approve `section`, if anyone in particular.
    pub fn required_for(&self, section: &str) -> Option<&RoleList> {
        self.required.get(section).filter(|l| !l.is_empty())
    }
}

/// `[publish]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishConfig {
    /// The default publishing channel.
    pub channel: String,
}

/// `[citations]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CitationsConfig {
    /// The style new stories start with.
    pub style: CitationStyle,
}

/// `[limits]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest source, in bytes after normalisation.
    pub source_bytes: u64,
    /// Largest section revision, in bytes.
    pub section_bytes: u64,
    /// Most sources per story.
    pub sources_per_story: u32,
    /// Most references per story.
    pub references_per_story: u32,
}

/// `[events]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsConfig {
    /// How long a processed event id is remembered, in seconds.
    pub remember_secs: u64,
}

impl EventsConfig {
    /// How often `serve` removes the event ids whose window has passed: a quarter of the
    /// window, between 10 seconds and 10 minutes, so no id outlives its window by much more
    /// than a quarter of it.
    pub fn purge_every(&self) -> std::time::Duration {
        std::time::Duration::from_secs((self.remember_secs / 4).clamp(10, 600))
    }
}

impl Config {
    /// The built-in defaults alone.
    pub fn defaults() -> Self {
        Self::from_overlay(None, "built-in defaults").expect("config/default.toml is valid")
    }

    /// Defaults overlaid with the TOML text of an operator's file.
    pub fn from_overlay(overlay: Option<&str>, origin: &str) -> Result<Self, ConfigError> {
        let mut base: toml::Table =
            toml::from_str(DEFAULT_TOML).map_err(|e| ConfigError::Invalid {
                origin: "built-in defaults".into(),
                reason: e.to_string(),
            })?;
        if let Some(text) = overlay {
            let over: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Invalid {
                origin: origin.to_string(),
                reason: e.to_string(),
            })?;
            merge(&mut base, over, "").map_err(|reason| ConfigError::Invalid {
                origin: origin.to_string(),
                reason,
            })?;
        }
        let config: Config =
            Config::deserialize(toml::Value::Table(base)).map_err(|e| ConfigError::Invalid {
                origin: origin.to_string(),
                reason: plain_types(e.to_string().trim()),
            })?;
        config.validate().map_err(|reason| ConfigError::Invalid {
            origin: origin.to_string(),
            reason,
        })?;
        Ok(config)
    }

    /// Defaults overlaid with the file at `path`, if any. Relative `[checks] dirs` are
    /// taken from the file's directory.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        match path {
            None => Ok(Self::defaults()),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                let mut config = Self::from_overlay(Some(&text), &path.display().to_string())?;
                let base = path.parent().unwrap_or(Path::new(""));
                for dir in &mut config.checks.dirs {
                    if dir.is_relative() {
                        *dir = base.join(&*dir);
                    }
                }
                Ok(config)
            }
        }
    }

    fn validate(&self) -> Result<(), String> {
        if self.review.quorum == 0 {
            return Err("[review] quorum must be at least 1".into());
        }
        if self.limits.source_bytes == 0 || self.limits.section_bytes == 0 {
            return Err("[limits] sizes must be greater than 0".into());
        }
        if self.publish.channel.trim().is_empty() {
            return Err("[publish] channel must not be empty".into());
        }
        if self.server.shutdown_secs == 0 {
            return Err("[server] shutdown_secs must be at least 1".into());
        }
        self.assist.validate()?;
        if self.checks.verbatim_words < 2 {
            return Err("[checks] verbatim_words must be at least 2".into());
        }
        if crate::text::when::Zone::named(&self.time.zone).is_none() {
            return Err(format!(
                "[time] zone {:?} is not a time zone name such as \"Europe/Berlin\" or \"UTC\"",
                self.time.zone
            ));
        }
        if crate::text::when::parse_span(&self.time.remind_before).is_none() {
            return Err(format!(
                "[time] remind_before {:?} is not a span such as \"2h\", \"30m\" or \"1d\"",
                self.time.remind_before
            ));
        }
        Ok(())
    }

    /// Every Slack user group the config's role lists name (`[roles] editors`,
    /// `[review.required]`): the ones a request's memberships are looked up in.
    pub fn slack_groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = self
            .roles
            .editors
            .slack_groups()
            .map(str::to_string)
            .collect();
        for list in self.review.required.values() {
            groups.extend(list.slack_groups().map(str::to_string));
        }
        groups.sort();
        groups.dedup();
        groups
    }

    /// True when `who` is one of `[roles] editors`: by platform id, Discord role or Slack
    /// user group; by name in the console only.
    pub fn is_editor(&self, who: &Identity<'_>) -> bool {
        self.roles.editors.admits(who)
    }
}

/// Tables whose keys are the operator's to choose (rule ids), replaced whole by an overlay
/// instead of merged key by key.
const FREE_TABLES: &[&str] = &["checks.levels", "review.required"];

/// Keys without a default: `config/default.toml` documents them in a comment, and an
/// overlay may set them.
const OPTIONAL_KEYS: &[&str] = &["store.url", "discord.shards"];

/// Merge `over` into `base`: tables recursively, other values replaced. A key the defaults
/// do not have is reported with its full path (`review.quorm`).
/// A deserialiser's message in an operator's words: "expected u32" is "expected a whole
/// number", "expected a sequence" is "expected a list such as [\"erin\"]".
fn plain_types(reason: &str) -> String {
    const WORDS: &[(&str, &str)] = &[
        ("expected u8", "expected a whole number"),
        ("expected u16", "expected a whole number"),
        ("expected u32", "expected a whole number"),
        ("expected u64", "expected a whole number"),
        ("expected usize", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected f32", "expected a number"),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected true or false"),
        ("expected a sequence", "expected a list such as [\"erin\"]"),
        ("expected a string", "expected text in quotes"),
        ("expected a map", "expected a table"),
        ("integer", "whole number"),
    ];
    let mut out = reason.to_string();
    for (from, to) in WORDS {
        // Whole words only: `expected u32` but not `expected u320`.
        let mut at = 0;
        while let Some(i) = out[at..].find(from) {
            let start = at + i;
            let end = start + from.len();
            let whole = !out[end..].starts_with(|c: char| c.is_alphanumeric());
            if whole {
                out.replace_range(start..end, to);
                at = start + to.len();
            } else {
                at = end;
            }
        }
    }
    out
}

fn merge(base: &mut toml::Table, over: toml::Table, path: &str) -> Result<(), String> {
    for (key, value) in over {
        let full = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        match (base.get_mut(&key), value) {
            (Some(slot @ toml::Value::Table(_)), value @ toml::Value::Table(_))
                if FREE_TABLES.contains(&full.as_str()) =>
            {
                *slot = value
            }
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o, &full)?,
            (Some(slot), value) => *slot = value,
            (None, value) if OPTIONAL_KEYS.contains(&full.as_str()) => {
                base.insert(key, value);
            }
            (None, _) => {
                let optional = OPTIONAL_KEYS.iter().filter_map(|k| {
                    let (table, name) = k.rsplit_once('.')?;
                    (table == path && !base.contains_key(name)).then_some(name)
                });
                let mut known: Vec<&str> = base.keys().map(String::as_str).collect();
                known.extend(optional);
                let hint = crate::suggest::closest(&key, known.iter().copied())
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                let place = if path.is_empty() {
                    "at the top level".to_string()
                } else {
                    format!("in [{path}]")
                };
                return Err(format!(
                    "unknown key `{full}` {place}{hint}; known keys: {}",
                    known.join(", ")
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load() {
        let c = Config::defaults();
        assert_eq!(c.review.quorum, 1);
        assert_eq!(c.store.cache_mb, 4);
        assert_eq!(c.limits.source_bytes, 1 << 20);
        assert_eq!(c.citations.style, CitationStyle::Apa);
        assert!(c.roles.editors.is_empty());
    }

    #[test]
    fn expired_event_ids_are_purged_every_quarter_window_within_bounds() {
        let every = |secs| {
            EventsConfig {
                remember_secs: secs,
            }
            .purge_every()
            .as_secs()
        };
        assert_eq!(every(3600), 600);
        assert_eq!(every(7200), 600);
        assert_eq!(every(120), 30);
        assert_eq!(every(20), 10);
        assert_eq!(every(0), 10);
    }

    #[test]
    fn shard_ranges_are_read_and_checked() {
        let range = |first, last, total| ShardRange { first, last, total };
        assert_eq!(ShardRange::parse("0-3/8"), Ok(range(0, 3, 8)));
        assert_eq!(ShardRange::parse(" 4 - 7 / 8 "), Ok(range(4, 7, 8)));
        assert_eq!(ShardRange::parse("5/8"), Ok(range(5, 5, 8)));
        assert_eq!(ShardRange::parse("0-0/1"), Ok(range(0, 0, 1)));
        assert_eq!(range(4, 7, 8).count(), 4);
        assert_eq!(range(4, 7, 8).to_string(), "4-7/8");
        for (text, says) in [
            ("0-3", "no `/TOTAL`"),
            ("3-1/8", "FIRST (3) is after LAST (1)"),
            ("0-8/8", "LAST (8) must be below TOTAL (8)"),
            ("0-0/0", "TOTAL must be at least 1"),
            ("a-1/2", "FIRST `a` is not a whole number"),
            ("0-/2", "LAST `` is not a whole number"),
            ("-1-2/4", "FIRST `` is not a whole number"),
            ("0-1/99999999999", "TOTAL `99999999999` is too large"),
            ("", "no `/TOTAL`"),
        ] {
            let err = ShardRange::parse(text).unwrap_err();
            assert!(err.contains(says), "{text:?}: {err}");
        }
    }

    #[test]
    fn discord_shards_come_from_the_config_and_a_bad_value_names_the_key() {
        assert_eq!(Config::defaults().discord.shards, None);
        let c = Config::from_overlay(Some("[discord]\nshards = \"2-3/4\"\n"), "x.toml").unwrap();
        assert_eq!(
            c.discord.shards,
            Some(ShardRange {
                first: 2,
                last: 3,
                total: 4
            })
        );
        let err = Config::from_overlay(Some("[discord]\nshards = \"3-4/4\"\n"), "x.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("x.toml"), "{err}");
        assert!(err.contains("[discord] shards"), "{err}");
        assert!(err.contains("below TOTAL"), "{err}");
        let err = Config::from_overlay(Some("[discord]\nshard = \"0-1/2\"\n"), "x.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean `shards`"), "{err}");
    }

    #[test]
    fn keys_documented_without_a_default_may_be_set() {
        let c = Config::from_overlay(
            Some("[store]\nurl = \"postgres://db.internal/storydesk\"\n"),
            "x.toml",
        )
        .unwrap();
        assert_eq!(
            c.store.url.as_deref(),
            Some("postgres://db.internal/storydesk")
        );
        assert_eq!(Config::defaults().store.url, None);
    }

    #[test]
    fn overlay_overrides_only_what_it_names() {
        let c = Config::from_overlay(
            Some("[review]\nquorum = 2\n[roles]\neditors = [\"erin\"]\n"),
            "test.toml",
        )
        .unwrap();
        assert_eq!(c.review.quorum, 2);
        assert_eq!(
            c.roles.editors.entries(),
            [crate::roles::Entry::Name("erin".into())]
        );
        assert_eq!(c.publish.channel, "published");
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Config::from_overlay(Some("[review]\nquorm = 2\n"), "newsroom.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("newsroom.toml"), "{err}");
        assert!(err.contains("unknown key `review.quorm`"), "{err}");
        assert!(err.contains("did you mean `quorum`"), "{err}");
        let err = Config::from_overlay(Some("[reveiw]\nquorum = 2\n"), "x.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`reveiw`") && err.contains("`review`"),
            "{err}"
        );
    }

    #[test]
    fn wrong_type_is_refused() {
        let err = Config::from_overlay(Some("[review]\nquorum = \"two\"\n"), "x.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("quorum") || err.contains("integer"), "{err}");
        let err = Config::from_overlay(Some("[citations]\nstyle = \"harvard\"\n"), "x.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("harvard"), "{err}");
    }

    #[test]
    fn assist_defaults_to_the_extractive_drafter() {
        let c = Config::defaults();
        assert!(!c.assist.uses_model());
        assert!(!c.assist.allow_remote);
        assert_eq!(c.assist.api_key_env, "");
        let c = Config::from_overlay(
            Some("[assist]\nbase_url = \"http://127.0.0.1:11434/v1\"\nmodel = \"llama3.1\"\n"),
            "x",
        )
        .unwrap();
        assert!(c.assist.uses_model());
    }

    #[test]
    fn assist_config_mistakes_are_named_without_quoting_a_key() {
        let err = Config::from_overlay(
            Some("[assist]\napi_key_env = \"sk-proj-SECRETVALUE\"\n"),
            "x",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("api_key_env must be the NAME"), "{err}");
        assert!(!err.contains("SECRETVALUE"), "{err}");
        let err = Config::from_overlay(
            Some("[assist]\nbase_url = \"http://127.0.0.1:11434/v1\"\n"),
            "x",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("model must name the model"), "{err}");
        let err = Config::from_overlay(
            Some("[assist]\nbase_url = \"ftp://x/\"\nmodel = \"m\"\n"),
            "x",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("http:// or https://"), "{err}");
        let err = Config::from_overlay(Some("[assist]\nallow_remote = 1\n"), "x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("allow_remote"), "{err}");
    }

    #[test]
    fn editors_match_ids_everywhere_and_names_in_the_console_only() {
        use crate::model::{Person, Platform};
        use crate::roles::Memberships;
        let c = Config::from_overlay(
            Some("[roles]\neditors = [\"U123ABC\", \"Erin\", \"role:900000000000000001\"]\n"),
            "x",
        )
        .unwrap();
        let none = Memberships::default();
        let holder = Memberships {
            discord_roles: vec!["900000000000000001".into()],
            ..Default::default()
        };
        let who = |platform, id: &str, name: &str, memberships| {
            c.is_editor(&Identity {
                platform,
                person: &Person {
                    id: id.into(),
                    name: name.into(),
                },
                memberships,
            })
        };
        assert!(who(Platform::Slack, "U123ABC", "someone", &none));
        assert!(!who(Platform::Slack, "U999", "erin", &none));
        assert!(!who(Platform::Discord, "800000000000000009", "Erin", &none));
        assert!(who(Platform::Discord, "800000000000000009", "x", &holder));
        assert!(who(Platform::Console, "erin", "erin", &none));
        assert!(!who(Platform::Console, "alice", "alice", &none));
    }

    #[test]
    fn a_malformed_role_or_group_entry_is_a_config_error() {
        for (entry, says) in [
            ("role:editors", "not a Discord role"),
            ("group:editors", "not a Slack user group"),
            ("team:x", "unknown kind"),
        ] {
            let err = Config::from_overlay(
                Some(&format!("[roles]\neditors = [\"erin\", \"{entry}\"]\n")),
                "newsroom.toml",
            )
            .unwrap_err()
            .to_string();
            assert!(err.contains("newsroom.toml"), "{err}");
            assert!(err.contains(entry) && err.contains(says), "{err}");
        }
    }
}
