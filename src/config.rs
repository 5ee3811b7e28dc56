//! Configuration: `config/default.toml` (embedded) overlaid with the operator's file, and the
//! story templates in `config/templates/`.
//!
//! The operator's file is merged key by key over the defaults, then the whole is checked
//! against these structs, which refuse unknown keys: a typo such as `quorm` is an error that
//! names the key and its table instead of a setting that silently does nothing.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::checks::Level;
use crate::model::CitationStyle;
use crate::roles::{Identity, RoleList};

/// The defaults, with a comment on every key.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// Templates that ship with storydesk, by name.
pub const BUILTIN_TEMPLATES: &[(&str, &str)] =
    &[("news", include_str!("../config/templates/news.toml"))];

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
    /// A template could not be found or is malformed.
    #[error("template {name}: {reason}")]
    Template {
        /// The template's name or path.
        name: String,
        /// What is wrong.
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
    /// The key source texts are sealed with. Never read from a file: it comes from the
    /// environment (`STORYDESK_SOURCE_KEY`), see [`Config::with_source_key_from_env`].
    #[serde(skip)]
    pub source_key: Option<crate::store::SourceKey>,
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

/// `[assist]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssistConfig {
    /// The model server's URL up to `/v1`; empty for the built-in extractive drafter.
    pub base_url: String,
    /// The model's name on that server.
    pub model: String,
    /// The name of the environment variable holding the API key, so the key itself never sits
    /// in a config file; empty when the server needs no key.
    pub api_key_env: String,
    /// How long to wait for the first byte of an answer and between two streamed pieces.
    pub timeout_secs: u64,
    /// The answer's length limit, in tokens, passed to the model.
    pub max_tokens: u32,
    /// Whether sources may be sent to a model that is not on this machine.
    pub allow_remote: bool,
    /// Most source text in one prompt, in bytes, so a small context window is not overrun.
    pub prompt_source_bytes: u64,
    /// Most source text the extractive drafter reads, in bytes, so a draft stays quick.
    pub extractive_source_bytes: u64,
}

impl AssistConfig {
    /// True when a model is configured (otherwise the extractive drafter is used).
    pub fn uses_model(&self) -> bool {
        !self.base_url.trim().is_empty()
    }

    fn validate(&self) -> Result<(), String> {
        if self.uses_model() {
            let url = url::Url::parse(self.base_url.trim()).map_err(|e| {
                format!("[assist] base_url is not a URL ({e}); for Ollama it is \"http://127.0.0.1:11434/v1\"")
            })?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(
                    "[assist] base_url must be an http:// or https:// URL with a host".into(),
                );
            }
            if self.model.trim().is_empty() {
                return Err("[assist] model must name the model when base_url is set".into());
            }
        }
        let name = self.api_key_env.trim();
        if !name.is_empty()
            && !name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            // Never quote the value: it may be a key pasted by mistake.
            return Err("[assist] api_key_env must be the NAME of an environment variable (capital letters, digits and _), such as OPENAI_API_KEY; put the key itself in that variable, never in the config".into());
        }
        if self.timeout_secs == 0 || self.max_tokens == 0 {
            return Err("[assist] timeout_secs and max_tokens must be greater than 0".into());
        }
        if self.prompt_source_bytes == 0 || self.extractive_source_bytes == 0 {
            return Err("[assist] source byte limits must be greater than 0".into());
        }
        Ok(())
    }
}

/// `[checks]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecksConfig {
    /// Directories of the newsroom's own rule files (`*.toml`), read after the built-in
    /// rules: a rule with a built-in rule's id replaces it, a new id adds a rule. Relative
    /// paths are taken from the directory of the config file that names them.
    pub dirs: Vec<PathBuf>,
    /// Rule ids switched off.
    pub disable: Vec<String>,
    /// Levels changed by rule id (`{ unsourced = "error" }`), applied last.
    pub levels: std::collections::BTreeMap<String, Level>,
    /// Shortest run of words shared verbatim with a source that the source-protection
    /// check reports.
    pub verbatim_words: u32,
    /// The level of the source-protection check's findings.
    pub verbatim_level: Level,
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
        Ok(())
    }

    /// Take the source key from `STORYDESK_SOURCE_KEY` when it is set.
    pub fn with_source_key_from_env(mut self) -> Result<Self, crate::store::BadKey> {
        if let Some(text) = std::env::var("STORYDESK_SOURCE_KEY")
            .ok()
            .filter(|t| !t.trim().is_empty())
        {
            self.source_key = Some(crate::store::SourceKey::parse(&text)?);
        }
        Ok(self)
    }

    /// True when `who` is one of `[roles] editors`: by platform id, Discord role or Slack
    /// user group; by name in the console only.
    pub fn is_editor(&self, who: &Identity<'_>) -> bool {
        self.roles.editors.admits(who)
    }
}

/// Tables whose keys are the operator's to choose (rule ids), replaced whole by an overlay
/// instead of merged key by key.
const FREE_TABLES: &[&str] = &["checks.levels"];

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
            (None, _) => {
                let known: Vec<&str> = base.keys().map(String::as_str).collect();
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

/// The sections of a story, from a template file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// The template's name.
    pub name: String,
    /// One line on what it is for.
    pub description: String,
    /// Sections in publishing order.
    #[serde(rename = "section")]
    pub sections: Vec<SectionSpec>,
}

/// One section of a template.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionSpec {
    /// Canonical name.
    pub name: String,
    /// Other names people may type.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Publishing needs it approved.
    pub required: bool,
    /// Shortest acceptable text in characters.
    #[serde(default)]
    pub min_chars: u32,
    /// Longest acceptable text in characters.
    pub max_chars: u32,
    /// What the section should do.
    #[serde(default)]
    pub guidance: String,
    /// How the text is produced when people do not write it.
    #[serde(default)]
    pub generated: Option<Generated>,
}

/// Sections whose text storydesk renders itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Generated {
    /// Rendered from the story's structured references.
    References,
}

impl Template {
    /// A built-in template by name, or a template file by path.
    pub fn load(name_or_path: &str) -> Result<Self, ConfigError> {
        let err = |reason: String| ConfigError::Template {
            name: name_or_path.to_string(),
            reason,
        };
        let text = match BUILTIN_TEMPLATES.iter().find(|(n, _)| *n == name_or_path) {
            Some((_, text)) => text.to_string(),
            None => std::fs::read_to_string(name_or_path).map_err(|e| {
                let builtin: Vec<&str> = BUILTIN_TEMPLATES.iter().map(|(n, _)| *n).collect();
                err(format!(
                    "not a built-in template ({}) and not a readable file: {e}",
                    builtin.join(", ")
                ))
            })?,
        };
        let template: Template = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
        template.validate().map_err(err)?;
        Ok(template)
    }

    fn validate(&self) -> Result<(), String> {
        if self.sections.is_empty() {
            return Err("a template needs at least one section".into());
        }
        let mut seen = std::collections::HashSet::new();
        for s in &self.sections {
            for n in std::iter::once(&s.name).chain(&s.aliases) {
                if !seen.insert(n.to_ascii_lowercase()) {
                    return Err(format!("the name `{n}` is used twice"));
                }
                if n.is_empty() || n.contains(char::is_whitespace) {
                    return Err(format!("section name `{n}` must be one word"));
                }
            }
            if s.min_chars > s.max_chars {
                return Err(format!("section {}: min_chars > max_chars", s.name));
            }
        }
        if !self.sections.iter().any(|s| s.name == "title") {
            return Err("a template needs a `title` section (the headline)".into());
        }
        Ok(())
    }

    /// The section a typed name means: its canonical name or an alias, any case.
    pub fn resolve(&self, typed: &str) -> Option<&SectionSpec> {
        let typed = typed.trim().trim_start_matches('#');
        self.sections.iter().find(|s| {
            s.name.eq_ignore_ascii_case(typed)
                || s.aliases.iter().any(|a| a.eq_ignore_ascii_case(typed))
        })
    }

    /// The section spec by canonical name.
    pub fn section(&self, name: &str) -> Option<&SectionSpec> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The canonical name closest to a mistyped one, for "did you mean".
    pub fn suggest(&self, typed: &str) -> Option<String> {
        let names = self.sections.iter().flat_map(|s| {
            std::iter::once(&s.name)
                .chain(&s.aliases)
                .map(move |n| (n, &s.name))
        });
        let mut best: Option<(usize, &String)> = None;
        for (n, canonical) in names {
            let d = strsim::damerau_levenshtein(&n.to_lowercase(), &typed.to_lowercase());
            if d <= 2.max(typed.len() / 3) && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, canonical));
            }
        }
        best.map(|(_, c)| c.clone())
    }
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
    fn news_template_resolves_aliases() {
        let t = Template::load("news").unwrap();
        assert_eq!(t.resolve("intro").unwrap().name, "introduction");
        assert_eq!(t.resolve("LEDE").unwrap().name, "introduction");
        assert_eq!(t.resolve("body").unwrap().name, "body");
        assert!(t.resolve("bdy").is_none());
        assert_eq!(t.suggest("bdy").as_deref(), Some("body"));
        assert_eq!(t.suggest("conclusoin").as_deref(), Some("conclusion"));
        assert_eq!(t.suggest("xylophone"), None);
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
