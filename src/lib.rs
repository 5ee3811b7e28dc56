//! storydesk: a newsroom desk in team chat. A team pastes source material, writes each
//! section of an article through slash commands, reviews every revision in the section's
//! own thread, and publishes the approved article with formatted references.
//!
//! # Layout
//!
//! - [`model`]: the newsroom's nouns (story, section, revision, review, source, reference).
//! - [`catalogue`]: the one catalogue of `/story` commands and options, from `commands/`.
//! - [`command`]: the pure parser from command text to an invocation.
//! - [`config`]: `config/default.toml` overlaid with the operator's file.
//! - [`template`]: story templates: the sections, their aliases, limits and guidance.
//! - [`desk`]: the workflow. Takes a platform-neutral request, returns a platform-neutral
//!   reply. Every rule lives here.
//! - [`export`]: one story as Markdown, safe HTML or JSON.
//! - [`store`]: the sled store: versioned records, key layout, transactions, group commit.
//! - [`text`]: pure text work: normalisation, word diffs, citations, chunking.
//! - [`checks`]: pre-publish checks over an article: a rule engine whose rules are data
//!   (`config/checks/*.toml`), source protection and traceability.
//! - [`assist`]: drafting help: the extractive drafter and the Chat Completions client
//!   behind one trait, the prompt, the tidying of a model's answer.
//! - [`drafting`]: runs the desk's drafting jobs in an adapter's async context.
//! - [`deliver`]: between a reply and a platform: anchors (where storydesk's messages are),
//!   posting an article in order with one rollback policy, over a small per-platform trait.
//! - [`console`]: `storydesk local`, the desk in a terminal.
//! - [`discord`]: the Discord adapter: gateway, interactions endpoint, commands, rendering.
//! - [`admin`]: the running bot's owner-only socket for backups.
//! - [`server`]: the HTTP server of `storydesk serve`, which platform adapters add routes to,
//!   with the operator's `/healthz`, `/readyz` and `/metrics`.
//! - [`health`]: the readiness registry the connections report to.
//! - [`telemetry`]: every metric's name and how it is recorded.
//! - [`inflight`]: work still running after an answer, which a shutdown waits for.
//! - [`doctor`]: `storydesk doctor`, the operator's check of config, data and tokens.
//! - [`env`](mod@env): the environment `serve` and `doctor` read (tokens, secrets, the
//!   source key).
//! - [`serve`]: `storydesk serve` as a function: the bot on a bound listener until a
//!   shutdown future completes.
//! - [`cli`]: the commands behind the argument parsing of `src/main.rs`, with the
//!   `check` report and `storydesk draft`.
//! - [`slack`]: the Slack adapter: HTTP endpoints, Socket Mode, the Web API client, Block Kit.
//! - [`suggest`]: "did you mean".
//! - [`notices`]: every sentence the command line, `serve` and `doctor` show the operator.
//! - [`redact`]: errors made safe to log.
//! - [`roles`]: who holds a role (`[roles] editors`): entries by kind, matched by platform id,
//!   Discord role or Slack user group, and by name in the console only.
//!
//! Architecture invariant: `desk`, `text`, `checks`, `command`, `model` and the pure parts of
//! `assist` (extractive, policy, prompt, tidy, sse) import no serenity, Slack, axum, reqwest
//! or sled types (`tests/architecture.rs` checks it).
//!
//! Architecture invariant: the modules form layers, each using only its own and the ones
//! after it: the adapters and the command line (`slack`, `discord`, `console`, `server`,
//! `serve`, `cli`, `env`, `admin`, `doctor`), then `drafting` and `export`, then `desk`,
//! then `config`, `catalogue`, `command` and `roles`, then `checks` and `assist`, then
//! `text`, `store`, `model`, `template` and the small shared modules. No two files use each
//! other, directly or round a cycle (`tests/architecture.rs`).

#[cfg(unix)]
pub mod admin;
pub mod assist;
pub mod catalogue;
pub mod checks;
pub mod cli;
pub mod command;
pub mod config;
pub mod console;
pub mod deliver;
pub mod desk;
pub mod discord;
pub mod doctor;
pub mod drafting;
pub mod env;
pub mod export;
pub mod health;
pub mod inflight;
pub mod logs;
pub mod model;
pub mod notices;
pub mod redact;
pub mod roles;
pub mod serve;
pub mod server;
pub mod slack;
pub mod store;
pub mod suggest;
pub mod supervise;
pub mod telemetry;
pub mod template;
#[doc(hidden)]
pub mod testing;
pub mod text;

/// Open the store and build the desk from a configuration and a data directory, with
/// source texts in clear.
pub fn open_desk(config: config::Config, data_dir: &std::path::Path) -> anyhow::Result<desk::Desk> {
    open_desk_with_key(config, data_dir, None)
}

/// Open the store and build the desk, with source texts sealed under `source_key` when
/// there is one (`STORYDESK_SOURCE_KEY`, read by [`env::Env`]).
pub fn open_desk_with_key(
    config: config::Config,
    data_dir: &std::path::Path,
    source_key: Option<store::SourceKey>,
) -> anyhow::Result<desk::Desk> {
    use anyhow::Context;
    let template = template::Template::load(&config.story.template)?;
    let store = store::Store::open(
        data_dir,
        store::StoreOptions {
            database_url: config.store.url.clone(),
            pool_size: config.store.pool_size,
            source_key,
            cache_capacity_bytes: config.store.cache_mb * 1024 * 1024,
            fsync: config.store.fsync,
        },
    )
    .with_context(|| match &config.store.url {
        Some(url) => format!("opening the database {}", store::describe_database(url)),
        None => format!("opening the data directory {}", data_dir.display()),
    })?;
    Ok(desk::Desk::try_new(store, config, template)?)
}
