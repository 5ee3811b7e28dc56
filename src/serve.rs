//! `storydesk serve`: the bot. The HTTP endpoints (Slack's, Discord's interactions endpoint
//! and the operator's), plus the Discord gateway and Slack Socket Mode when their tokens are
//! set, all on one desk.
//!
//! [`run`] takes an already-bound listener and a shutdown future, so the command line binds
//! `STORYDESK_BIND` and stops on SIGTERM or Ctrl-C ([`shutdown_signal`]), and tests bind
//! port 0 and stop it with a future of their own.
//!
//! Several `serve` processes (replicas) may share one PostgreSQL database. The HTTP
//! endpoints answer in every replica; the work that must happen once (Socket Mode, the
//! gateway unless `[discord] shards` splits it, the purge of expired event claims) runs in
//! the replica that holds it ([`singleton`]), and moves to a survivor when that one dies.
//! So does each platform's [`scheduler`] (`scheduler-slack`, `scheduler-discord`), which
//! fires the desk's timed jobs (reminders, deadlines, scheduled publications) by the clock
//! [`run_with_clock`] is given.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::ShardRange;
use crate::desk::clock::{Clock, SystemClock};
use crate::desk::Desk;
use crate::env::Env;
use crate::model::Platform;
use crate::notices;

pub mod scheduler;
pub mod singleton;

/// The singleton work of `serve` (see [`singleton`]): Slack's Socket Mode connection.
pub const SLACK_SOCKET_MODE_JOB: &str = "slack-socket-mode";
/// The Discord gateway, when this process runs every shard.
pub const DISCORD_GATEWAY_JOB: &str = "discord-gateway";
/// The periodic purge of expired event claims.
pub const PURGE_JOB: &str = "purge";
/// Beside other replicas: continuing articles whose posting stopped (its replica died).
pub const RESUME_JOB: &str = "resume-publications";
/// How often the holder of [`RESUME_JOB`] looks for stopped publications.
const RESUME_EVERY: std::time::Duration = std::time::Duration::from_secs(30);
/// How long a publication must have made no progress before another replica continues it:
/// far longer than a part takes to post, rate limits included.
const RESUME_QUIET: std::time::Duration = std::time::Duration::from_secs(120);

/// The log target of `serve`'s own notices (listening, shutting down), shown by default.
pub const LOG_TARGET: &str = "storydesk::serve";

/// The Slack settings from the environment. Secrets are read here and never printed.
fn slack_config(env: &Env) -> crate::slack::SlackConfig {
    use crate::slack::{api::Token, verify::SigningSecret, SlackConfig};
    SlackConfig {
        signing_secret: env.slack_signing_secret.clone().map(SigningSecret::new),
        bot_token: env.slack_bot_token.clone().map(Token::new),
        app_token: env.slack_app_token.clone().map(Token::new),
        api_url: env.slack_api_url.clone(),
    }
}

/// The Discord side of `serve`: the adapter, with the interactions endpoint added to `app`
/// when `DISCORD_PUBLIC_KEY` is set and the gateway started when `DISCORD_TOKEN` is.
async fn discord(
    desk: &Desk,
    env: &Env,
    app: axum::Router,
    stop: &tokio::sync::watch::Receiver<bool>,
    readiness: &crate::health::Readiness,
    shards: Option<ShardRange>,
) -> anyhow::Result<DiscordSide> {
    if env.discord_token.is_none() && env.discord_public_key.is_none() {
        return Ok(DiscordSide {
            app,
            adapter: None,
            gateway: None,
            endpoint: false,
        });
    }
    let token = env.discord_token.clone().unwrap_or_default();
    let api_url = env.discord_api_url.as_deref();
    let mut application_id = env.discord_application_id();
    if application_id.is_none() && !token.is_empty() {
        let http = crate::discord::build_http(&token, None, api_url, None);
        let info = http.get_current_application_info().await.map_err(|e| {
            anyhow::anyhow!(
                "reading the Discord application with DISCORD_TOKEN failed ({}); check the token",
                crate::discord::error_text(&e)
            )
        })?;
        application_id = Some(info.id.get());
    }
    let application_id = application_id.context(
        "DISCORD_APPLICATION_ID is not set (Developer Portal → General Information → Application ID)",
    )?;
    if token.is_empty() {
        tracing::warn!(target: LOG_TARGET, "{}", notices::discord_without_token());
    }
    let http = Arc::new(crate::discord::build_http(
        &token,
        Some(application_id),
        api_url,
        None,
    ));
    let adapter = crate::discord::Discord::new(desk.clone(), http);
    let mut app = app;
    if let Some(key) = &env.discord_public_key {
        let check = crate::discord::verify::SignatureCheck::from_hex(key)?;
        app = app.merge(crate::discord::http::routes(adapter.clone(), check));
        tracing::info!(target: LOG_TARGET, "{}", notices::discord_endpoint_on());
    }
    let mut gateway = None;
    if !token.is_empty() {
        let ready = readiness.register("discord_gateway");
        let connect = Gateway {
            adapter: adapter.clone(),
            token: token.clone(),
            application_id,
            api_url: env.discord_api_url.clone(),
            ready: ready.clone(),
            shards,
        };
        gateway = Some(match shards {
            // Each process runs its own range: not singleton work.
            Some(range) => {
                tracing::info!(target: LOG_TARGET, "{}", notices::discord_shards(&range.to_string()));
                let mut stop = stop.clone();
                tokio::spawn(connect.run(async move {
                    let _ = stop.wait_for(|s| *s).await;
                }))
            }
            None => tokio::spawn(singleton::run(
                desk.store().clone(),
                singleton::Job {
                    name: DISCORD_GATEWAY_JOB,
                    every: singleton::RETRY_EVERY,
                    holding: readiness.register_singleton(DISCORD_GATEWAY_JOB),
                    connection: Some(ready),
                },
                stop.clone(),
                move |stop| connect.clone().run(stop.wait()),
            )),
        });
        tracing::info!(target: LOG_TARGET, "{}", notices::discord_gateway_connecting());
    }
    Ok(DiscordSide {
        app,
        adapter: Some(adapter),
        endpoint: env.discord_public_key.is_some(),
        gateway,
    })
}

/// How to connect the Discord gateway, once per run (a replica that loses the gateway and
/// takes it again connects anew).
#[derive(Clone)]
struct Gateway {
    /// The adapter events go to.
    adapter: Arc<crate::discord::Discord>,
    /// `DISCORD_TOKEN`.
    token: String,
    /// The application.
    application_id: u64,
    /// `STORYDESK_DISCORD_API_URL`.
    api_url: Option<String>,
    /// The connection's readiness.
    ready: crate::health::Signal,
    /// The shards this process runs; `None`: all of them.
    shards: Option<ShardRange>,
}

impl Gateway {
    /// Connects and runs until `shutdown` completes.
    async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let http = crate::discord::build_http(
            &self.token,
            Some(self.application_id),
            self.api_url.as_deref(),
            None,
        );
        if let Err(e) =
            crate::discord::gateway::run(self.adapter, http, self.ready, self.shards, shutdown)
                .await
        {
            tracing::error!(target: LOG_TARGET, error = %format!("{e:#}"), "Discord gateway stopped");
        }
    }
}

/// What `serve` gets from setting up Discord.
struct DiscordSide {
    /// The router, with `POST /discord/interactions` when it is configured.
    app: axum::Router,
    /// The adapter, when Discord is configured.
    adapter: Option<Arc<crate::discord::Discord>>,
    /// The gateway's task, when it runs.
    gateway: Option<tokio::task::JoinHandle<()>>,
    /// True when `POST /discord/interactions` is served.
    endpoint: bool,
}

/// The bot, on `listener`, with the platforms `env` configures. Runs until `shutdown`
/// completes, then stops within `[server] shutdown_secs`: no new request is taken, the
/// requests and posts under way finish, the gateway and Socket Mode connections are closed,
/// and the store is flushed. Work still running when that bound is up, or when `cut_short`
/// completes meanwhile (a second signal), is abandoned.
pub async fn run(
    desk: Desk,
    env: &Env,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    cut_short: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    run_with_clock(desk, env, listener, shutdown, cut_short, clock).await
}

/// [`run`], with the schedulers reading the time from `clock` (tests move a
/// [`crate::desk::clock::ManualClock`]).
pub async fn run_with_clock(
    desk: Desk,
    env: &Env,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    cut_short: impl Future<Output = ()>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<()> {
    let bound = Duration::from_secs(desk.config().server.shutdown_secs);
    // Checked before anything starts, even without a token: a wrong value is a mistake.
    let shards = env
        .discord_shards(desk.config().discord.shards)
        .map_err(anyhow::Error::msg)?;
    if !desk.store().seals_sources() {
        tracing::warn!(target: LOG_TARGET, "{}", notices::source_key_unset());
    }
    let metrics = crate::telemetry::install()?;
    let readiness = crate::health::Readiness::new();
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let DiscordSide {
        app,
        adapter: discord,
        gateway,
        endpoint: discord_endpoint,
    } = discord(&desk, env, axum::Router::new(), &stop, &readiness, shards).await?;
    let mut app = app;
    let slack_config = slack_config(env);
    slack_config.check().map_err(anyhow::Error::msg)?;
    let mut socket_task = None;
    let mut resume_task = None;
    let mut schedulers = Vec::new();
    let mut slack = None;
    if slack_config.enabled() {
        let adapter = crate::slack::Slack::new(desk.clone(), &slack_config);
        if slack_config.signing_secret.is_some() {
            app = app.merge(crate::slack::http::routes(adapter.clone()));
            tracing::info!(target: LOG_TARGET, "{}", notices::slack_http_on());
        }
        if slack_config.app_token.is_some() {
            let ready = readiness.register("slack_socket_mode");
            let socket = adapter.clone();
            socket_task = Some(tokio::spawn(singleton::run(
                desk.store().clone(),
                singleton::Job {
                    name: SLACK_SOCKET_MODE_JOB,
                    every: singleton::RETRY_EVERY,
                    holding: readiness.register_singleton(SLACK_SOCKET_MODE_JOB),
                    connection: Some(ready.clone()),
                },
                stop.clone(),
                move |stop| crate::slack::socket::run(socket.clone(), ready.clone(), stop.wait()),
            )));
            tracing::info!(target: LOG_TARGET, "{}", notices::slack_socket_mode_on());
        }
        // Articles a stop interrupted while they were being posted go on where they were.
        // Alone on the store, every one; beside other replicas, those nobody is posting
        // (no progress for a while), here and then periodically by one replica.
        if desk.store().reads_are_local() {
            adapter.resume_publications(None).await;
        } else {
            let adapter = adapter.clone();
            resume_task = Some(tokio::spawn(singleton::run(
                desk.store().clone(),
                singleton::Job {
                    name: RESUME_JOB,
                    every: singleton::RETRY_EVERY,
                    holding: readiness.register_singleton(RESUME_JOB),
                    connection: None,
                },
                stop.clone(),
                move |stop| {
                    let adapter = adapter.clone();
                    async move {
                        let rounds = async {
                            let mut every = tokio::time::interval(RESUME_EVERY);
                            loop {
                                every.tick().await;
                                adapter.resume_publications(Some(RESUME_QUIET)).await;
                            }
                        };
                        tokio::select! {
                            _ = rounds => {},
                            _ = stop.wait() => {},
                        }
                    }
                },
            )));
        }
        let deliver = adapter.clone();
        schedulers.push(scheduler(
            &desk,
            Platform::Slack,
            &clock,
            &readiness,
            &stop,
            move |due| {
                let adapter = deliver.clone();
                async move { adapter.deliver_due(due).await }
            },
        ));
        slack = Some(adapter);
    }
    if let Some(adapter) = &discord {
        let deliver = adapter.clone();
        schedulers.push(scheduler(
            &desk,
            Platform::Discord,
            &clock,
            &readiness,
            &stop,
            move |due| {
                let adapter = deliver.clone();
                async move { adapter.deliver_due(due).await }
            },
        ));
    }
    // A `[roles]` entry that cannot be an id where the bot serves (a name, say) matches
    // nobody: said once here, and by `storydesk doctor`.
    let mut platforms = Vec::new();
    if slack.is_some() {
        platforms.push(crate::model::Platform::Slack);
    }
    if discord.is_some() {
        platforms.push(crate::model::Platform::Discord);
    }
    for sentence in crate::doctor::role_entries_matching_nobody(desk.config(), &platforms) {
        tracing::warn!(target: LOG_TARGET, "{sentence}");
    }
    // Every series a dashboard plots starts at zero, before the first request.
    let subcommands: Vec<&str> = crate::catalogue::catalogue()
        .subcommands
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    crate::telemetry::declare(
        crate::telemetry::WaysIn {
            slack_http: slack.is_some() && slack_config.signing_secret.is_some(),
            slack_socket_mode: slack.is_some() && slack_config.app_token.is_some(),
            discord_http: discord_endpoint,
            discord_gateway: gateway.is_some(),
        },
        &subcommands,
    );
    let app = app.merge(crate::server::operator_routes(crate::server::Operator {
        store: desk.store().clone(),
        readiness: readiness.clone(),
        metrics: Some(metrics),
    }));
    let bound_to = listener
        .local_addr()
        .context("reading the listening address")?;
    let admin = crate::admin::listen(desk.clone())
        .context("cannot open the admin socket in the data directory")?;
    let purge = {
        let desk = desk.clone();
        tokio::spawn(singleton::run(
            desk.store().clone(),
            singleton::Job {
                name: PURGE_JOB,
                every: singleton::RETRY_EVERY,
                holding: readiness.register_singleton(PURGE_JOB),
                connection: None,
            },
            stop.clone(),
            move |stop| {
                let desk = desk.clone();
                async move {
                    tokio::select! {
                        _ = purge_expired_events(desk) => {},
                        _ = stop.wait() => {},
                    }
                }
            },
        ))
    };
    tracing::info!(target: LOG_TARGET, "{}", notices::serving_on(bound_to));
    let mut stopping = stop.clone();
    let mut server = tokio::spawn(crate::server::run(listener, app, async move {
        let _ = stopping.wait_for(|s| *s).await;
    }));

    tokio::select! {
        _ = shutdown => {},
        served = &mut server => {
            // The server stopped by itself: report why, after stopping the rest.
            let _ = stop_tx.send(true);
            purge.abort();
            desk.store().flush()?;
            return match served {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(anyhow::Error::new(e).context("the HTTP server failed")),
                Err(e) => Err(anyhow::anyhow!("the HTTP server task failed: {e}")),
            };
        }
    }
    let deadline = tokio::time::Instant::now() + bound;
    tracing::info!(target: LOG_TARGET, "{}", notices::shutting_down(bound.as_secs()));
    let _ = stop_tx.send(true);
    let drained = async {
        // The purge stops at once (a round under way is left to finish on its own).
        let _ = purge.await;
        // No new request: the listener is closed; requests under way finish.
        let _ = (&mut server).await;
        // No new envelope or event: the sockets close once what they received is answered.
        if let Some(task) = socket_task {
            let _ = task.await;
        }
        if let Some(task) = resume_task {
            let _ = task.await;
        }
        for task in schedulers {
            let _ = task.await;
        }
        if let Some(task) = gateway {
            let _ = task.await;
        }
        // Posts, edits and followups started by answered requests.
        if let Some(slack) = &slack {
            slack.idle().await;
        }
        if let Some(discord) = &discord {
            discord.idle().await;
        }
    };
    tokio::select! {
        _ = drained => tracing::info!(target: LOG_TARGET, "{}", notices::shutdown_drained()),
        _ = tokio::time::sleep_until(deadline) => {
            tracing::warn!(target: LOG_TARGET, "{}", notices::shutdown_bound_reached(bound.as_secs()))
        }
        _ = cut_short => tracing::warn!(target: LOG_TARGET, "{}", notices::shutdown_cut_short()),
    }
    let store = desk.store().clone();
    tokio::task::spawn_blocking(move || store.flush())
        .await
        .context("flushing the store")??;
    // The admin socket's thread holds the desk: it ends before `run` returns (after a backup
    // it is writing, within the bound), so the store is let go of with the last `Desk`.
    let _ =
        tokio::time::timeout_at(deadline, tokio::task::spawn_blocking(move || admin.close())).await;
    tracing::info!(target: LOG_TARGET, "{}", notices::stopped());
    Ok(())
}

/// `platform`'s [`scheduler`] as singleton work (`scheduler-slack`, shown in `/readyz`):
/// fires the desk's due jobs by `clock` and gives what they send to `deliver`.
fn scheduler<D, F>(
    desk: &Desk,
    platform: Platform,
    clock: &Arc<dyn Clock>,
    readiness: &crate::health::Readiness,
    stop: &tokio::sync::watch::Receiver<bool>,
    deliver: D,
) -> tokio::task::JoinHandle<()>
where
    D: Fn(crate::desk::Due) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let name = scheduler::job_name(platform);
    let desk = desk.clone();
    let clock = clock.clone();
    tokio::spawn(singleton::run(
        desk.store().clone(),
        singleton::Job {
            name,
            every: singleton::RETRY_EVERY,
            holding: readiness.register_singleton(name),
            connection: None,
        },
        stop.clone(),
        move |stop| {
            let desk = desk.clone();
            let clock = clock.clone();
            let deliver = deliver.clone();
            async move {
                tokio::select! {
                    _ = scheduler::run(desk, platform, clock, deliver) => {},
                    _ = stop.wait() => {},
                }
            }
        },
    ))
}

/// Forget processed event ids whose retry window has passed (every quarter of the window, at
/// most every ten minutes).
async fn purge_expired_events(desk: Desk) {
    let mut every = tokio::time::interval(desk.config().events.purge_every());
    loop {
        every.tick().await;
        let store = desk.store().clone();
        let now = crate::model::Timestamp::now();
        match tokio::task::spawn_blocking(move || store.purge_expired_events(now)).await {
            Ok(Ok(n)) if n > 0 => tracing::debug!(purged = n, "expired event ids removed"),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "could not purge expired event ids"),
            Err(e) => tracing::warn!(error = %e, "event purge task failed"),
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
