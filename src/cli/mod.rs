//! The commands of the `storydesk` command line, behind the argument parsing in
//! `src/main.rs`: each takes the parsed arguments and returns the exit status.
//!
//! - [`check`]: `storydesk check`, with its report (text and JSON).
//! - [`draft`]: `storydesk draft`, drafting proposals from source files.
//! - here: `local`, `serve`, `doctor`, `commands`, `backup`, `restore`, `export`, and what
//!   every command shares (standard output that may close early, errors as one line, the
//!   log's setup).

pub mod check;
pub mod draft;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;
use crate::env::Env;
use crate::notices;
use crate::serve::LOG_TARGET;
use crate::store::SourceKey;

/// The exit status for bad usage, as clap uses for its own usage errors.
pub const EXIT_USAGE: u8 = 2;

/// `storydesk export`'s formats.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    /// The article as Markdown.
    Md,
    /// The article as a standalone HTML page (markup in the text is escaped).
    Html,
    /// The story's state, revisions, references, audit log and article (never source texts).
    Json,
}

/// `storydesk export`'s citation styles.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ExportStyle {
    /// APA 7.
    Apa,
    /// MLA 9.
    Mla,
    /// Chicago (notes and bibliography).
    Chicago,
}

/// The exit status for what a command returned; an error is said on stderr in one line
/// (a JSON object with `STORYDESK_LOG_FORMAT=json`).
pub fn finish(result: anyhow::Result<ExitCode>, json: bool) -> ExitCode {
    match result {
        Ok(code) => code,
        // The reader of standard output went away (`| head`): nothing is wrong.
        Err(e) if closed_stdout(&e) => ExitCode::SUCCESS,
        Err(e) if locked_dir(&e).is_some() && !json => {
            if let Some(dir) = locked_dir(&e) {
                eprintln!("{}", notices::store_locked(dir));
            }
            ExitCode::FAILURE
        }
        Err(e) => {
            let error = error_chain(&e);
            if json {
                // One JSON object per line on stderr, this one included.
                tracing::error!(target: LOG_TARGET, error, "storydesk stopped");
            } else {
                eprintln!("{}", notices::failed(&error));
            }
            ExitCode::FAILURE
        }
    }
}

/// Write `text` to standard output. When the reader stops early (`storydesk export … |
/// head`), the write fails with `BrokenPipe` (Rust ignores SIGPIPE); the command passes the
/// error up and [`finish`] ends quietly on it, where `print!` would panic.
pub fn out(text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

/// `e` and its causes, `: `-separated, leaving out a cause whose text is already said (an
/// error that prints its source, as `cannot read x: No such file` does, would otherwise
/// say it twice).
pub fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// The data directory, when `e` is a store that another storydesk holds.
fn locked_dir(e: &anyhow::Error) -> Option<&Path> {
    e.chain()
        .find_map(|c| match c.downcast_ref::<crate::store::StoreError>() {
            Some(crate::store::StoreError::Open {
                dir,
                reason: crate::store::OpenFailure::Locked,
            }) => Some(dir.as_path()),
            _ => None,
        })
}

/// True when `e` comes from writing to a standard output nobody reads any more.
fn closed_stdout(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// True when opening failed because another process holds the store.
fn is_locked(e: &anyhow::Error) -> bool {
    locked_dir(e).is_some()
}

/// Logs go to stderr, as text or (with `STORYDESK_LOG_FORMAT=json`) one JSON object per
/// line; `RUST_LOG` filters them (default: warnings, and `serve`'s notices). True for JSON.
pub fn init_logging() -> bool {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("warn,{LOG_TARGET}=info")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // Installed by hand rather than with `.init()`, whose `log` bridge would also forward
    // sled's trace records (`crate::logs` says why they must not be).
    let json = std::env::var("STORYDESK_LOG_FORMAT").as_deref() == Ok("json");
    let installed = if json {
        tracing::subscriber::set_global_default(builder.json().finish())
    } else {
        tracing::subscriber::set_global_default(builder.finish())
    };
    if installed.is_ok() {
        crate::logs::bridge();
    }
    json
}

/// `storydesk doctor`. Reads the config itself: a config that does not load is one of its
/// findings.
pub fn doctor(
    config: Option<&Path>,
    data_dir: Option<&Path>,
    env: &Env,
) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    let report = runtime.block_on(crate::doctor::examine(config, data_dir, env));
    out(&report.render())?;
    Ok(if report.problems() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `storydesk local`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct LocalArgs {
    /// Run the commands of a script file instead of reading the terminal.
    #[arg(long)]
    pub script: Option<PathBuf>,
    /// Who you are at the start (`:as NAME` switches).
    #[arg(long = "as", value_name = "USER")]
    pub as_user: Option<String>,
    /// Start the console's clock here (`2026-12-06T09:00Z`); it moves only by `:clock`.
    #[arg(long, value_name = "RFC3339")]
    pub clock: Option<String>,
}

/// `storydesk local`: the console, on a script or at the terminal.
pub fn local(
    config: Config,
    data_dir: &Path,
    source_key: Option<SourceKey>,
    args: LocalArgs,
) -> anyhow::Result<ExitCode> {
    let LocalArgs {
        script,
        as_user,
        clock,
    } = args;
    let clock = match clock.as_deref() {
        Some(text) => Some(crate::console::session::ConsoleClock::parse_start(text)?),
        None => None,
    };
    let user = as_user
        .or_else(|| {
            std::env::var("USER")
                .ok()
                .filter(|u| !u.is_empty() && u != "root")
        })
        .unwrap_or_else(|| "you".to_string());
    if config.roles.editors.is_empty() {
        eprintln!("{}", notices::no_editors_in_console());
    }
    let desk = crate::open_desk_with_key(config, data_dir, source_key)?;
    // While the console holds the store, `backup` and `export` go through it.
    let _admin = match crate::admin::listen(desk.clone()) {
        Ok(admin) => Some(admin),
        Err(e) => {
            eprintln!("{}", notices::admin_socket_unavailable(&e.to_string()));
            None
        }
    };
    match script {
        Some(path) => {
            let stdout = std::io::stdout();
            let _ = crate::console::run::run_script_at(desk, &path, &user, clock, stdout.lock())?;
        }
        None => {
            let history = data_dir.join("console-history.txt");
            crate::console::run::run_interactive(desk, &user, &history, clock)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// At most this many threads run `serve`'s blocking work (a change applied and waited for
/// until it is on disk, a record of where a post went). tokio's default is 512: under a
/// burst of writes every request waiting for its flush held a thread of its own, well over
/// a hundred, each with its stack and its allocator cache resident. More writers than this
/// wait their turn in tokio's queue; a flush carries the changes of all that run, and the
/// delivery backlog's bound (`deliver::Bounds`) keeps the queue itself short.
const BLOCKING_THREADS: usize = 48;

/// `storydesk serve`: binds `bind` and runs the bot until SIGTERM or Ctrl-C (a second one
/// cuts the wait for work under way short).
pub fn serve(
    config: Config,
    data_dir: &Path,
    source_key: Option<SourceKey>,
    env: &Env,
    bind: std::net::SocketAddr,
) -> anyhow::Result<ExitCode> {
    let desk = crate::open_desk_with_key(config, data_dir, source_key)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build()?;
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .with_context(|| format!("cannot listen on {bind} (STORYDESK_BIND)"))?;
        let stop = crate::serve::shutdown_signal();
        let again = crate::serve::shutdown_signal();
        crate::serve::run(desk, env, listener, stop, again).await
    });
    // Whatever is still running was abandoned by `serve`: do not wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    served?;
    Ok(ExitCode::SUCCESS)
}

/// `storydesk commands discord`: the application-command JSON.
pub fn discord_commands(config: &Config) -> anyhow::Result<ExitCode> {
    let json = registration(config)?;
    out(&format!("{}\n", serde_json::to_string_pretty(&json)?))?;
    Ok(ExitCode::SUCCESS)
}

/// The registration JSON of the `/story` command, for the configured template.
fn registration(config: &Config) -> anyhow::Result<serde_json::Value> {
    let template = crate::template::Template::load(&config.story.template)?;
    Ok(crate::discord::commands::registration(
        crate::catalogue::catalogue(),
        &template,
    ))
}

/// `storydesk commands slack-manifest`: the Slack app manifest.
pub fn slack_manifest(url: Option<String>, socket_mode: bool) -> anyhow::Result<ExitCode> {
    if url.is_none() && !socket_mode {
        eprintln!("{}", notices::manifest_needs_url());
        return Ok(ExitCode::from(2));
    }
    if let Some(u) = &url {
        if !(u.starts_with("https://") || u.starts_with("http://")) {
            eprintln!("{}", notices::manifest_url_scheme());
            return Ok(ExitCode::from(2));
        }
    }
    let manifest = crate::slack::manifest::manifest(
        crate::catalogue::catalogue(),
        url.as_deref(),
        socket_mode,
    );
    out(&crate::slack::manifest::to_yaml(&manifest))?;
    Ok(ExitCode::SUCCESS)
}

/// `storydesk commands register`: registers the commands with Discord, in one server or
/// globally.
pub fn register(config: &Config, env: &Env, guild: Option<u64>) -> anyhow::Result<ExitCode> {
    let json = registration(config)?;
    let token = env
        .discord_token
        .clone()
        .context("DISCORD_TOKEN is not set: registering needs the bot token")?;
    let app = env.discord_application_id().context(
        "DISCORD_APPLICATION_ID is not set: registering needs the application id (Developer Portal → General Information)",
    )?;
    let http = crate::discord::build_http(&token, Some(app), env.discord_api_url.as_deref(), None);
    let runtime = tokio::runtime::Runtime::new()?;
    let registered = runtime.block_on(async {
        match guild {
            Some(g) => {
                http.create_guild_commands(serenity::all::GuildId::new(g.max(1)), &json)
                    .await
            }
            None => http.create_global_commands(&json).await,
        }
    });
    let commands = registered.map_err(|e| {
        anyhow::anyhow!(
            "Discord refused the commands: {}",
            crate::discord::error_text(&e)
        )
    })?;
    match guild {
        Some(g) => eprintln!("{}", notices::registered_in_guild(commands.len(), g)),
        None => eprintln!("{}", notices::registered_globally(commands.len())),
    }
    Ok(ExitCode::SUCCESS)
}

/// `storydesk backup`: from the store directly when no storydesk runs on it, else through
/// the running one's admin socket. The file appears only once it is complete and checked.
pub fn backup(
    config: Config,
    data_dir: &Path,
    source_key: Option<SourceKey>,
    file: &Path,
) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let partial = file.with_extension("partial");
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&partial)
            .with_context(|| format!("cannot write the backup {}", file.display()))?,
    );
    match crate::open_desk_with_key(config, data_dir, source_key) {
        Ok(desk) => {
            desk.store().backup(&mut out)?;
        }
        Err(e) if is_locked(&e) => {
            crate::admin::backup_from_running(data_dir, &mut out)?;
        }
        Err(e) => return Err(e),
    }
    out.flush()?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    let summary =
        crate::store::verify_backup(std::io::BufReader::new(std::fs::File::open(&partial)?))
            .with_context(|| {
                format!(
                    "the backup {} came out incomplete, so it was not written",
                    file.display()
                )
            })?;
    std::fs::rename(&partial, file)
        .with_context(|| format!("cannot write the backup {}", file.display()))?;
    eprintln!(
        "{}",
        notices::backed_up(summary.records, summary.bytes, file)
    );
    Ok(ExitCode::SUCCESS)
}

/// `storydesk restore`: a backup into an empty data directory.
pub fn restore(
    config: Config,
    data_dir: &Path,
    source_key: Option<SourceKey>,
    file: &Path,
) -> anyhow::Result<ExitCode> {
    let desk = crate::open_desk_with_key(config, data_dir, source_key)?;
    let summary = desk
        .store()
        .restore(|| std::fs::File::open(file).map(std::io::BufReader::new))
        .with_context(|| format!("restoring {}", file.display()))?;
    eprintln!(
        "{}",
        notices::restored(summary.records, summary.bytes, data_dir)
    );
    Ok(ExitCode::SUCCESS)
}

/// `storydesk migrate`: runs the PostgreSQL migrations alone.
pub fn migrate(config: &Config) -> anyhow::Result<ExitCode> {
    let url = config.store.url.as_deref().context(
        "no PostgreSQL database is configured: set STORYDESK_DATABASE_URL or [store] url",
    )?;
    let ran = crate::store::Store::migrate(url)
        .with_context(|| format!("migrating {}", crate::store::describe_database(url)))?;
    eprintln!(
        "{}",
        notices::migrated(ran, &crate::store::describe_database(url))
    );
    Ok(ExitCode::SUCCESS)
}

/// `storydesk store copy`: every record from one engine into an empty store of the other,
/// through a backup file beside the data (so the copy is checked by its count and digest
/// like a restore, and a failed copy writes nothing).
pub fn copy(
    config: Config,
    data_dir: &Path,
    source_key: Option<SourceKey>,
    to: Option<String>,
    from: Option<String>,
) -> anyhow::Result<ExitCode> {
    let mut embedded = config.clone();
    embedded.store.url = None;
    let mut remote = config;
    let (from, to, url) = match (to, from) {
        (Some(url), _) => {
            remote.store.url = Some(url.clone());
            (embedded, remote, url)
        }
        (None, Some(url)) => {
            remote.store.url = Some(url.clone());
            (remote, embedded, url)
        }
        (None, None) => anyhow::bail!("say --to URL (into PostgreSQL) or --from URL (back)"),
    };
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot use the data directory {}", data_dir.display()))?;
    let file = data_dir.join(".copy.partial");
    let copied = (|| -> anyhow::Result<crate::store::BackupSummary> {
        {
            let source = crate::open_desk_with_key(from, data_dir, source_key)?;
            let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
            source.store().backup(&mut out)?;
            use std::io::Write;
            out.flush()?;
        }
        let target = crate::open_desk_with_key(to, data_dir, source_key)?;
        Ok(target
            .store()
            .restore(|| std::fs::File::open(&file).map(std::io::BufReader::new))?)
    })();
    let _ = std::fs::remove_file(&file);
    let summary = copied.with_context(|| {
        format!(
            "copying between {} and {}",
            data_dir.display(),
            crate::store::describe_database(&url)
        )
    })?;
    eprintln!("{}", notices::copied(summary.records, summary.bytes));
    Ok(ExitCode::SUCCESS)
}

/// `storydesk export`: one story, from the store or through the storydesk (`serve` or
/// `local`) that holds it.
pub fn export(
    config: Config,
    data_dir: &Path,
    source_key: Option<SourceKey>,
    story: &str,
    format: ExportFormat,
    style: Option<ExportStyle>,
) -> anyhow::Result<ExitCode> {
    let style = match style {
        Some(ExportStyle::Apa) => crate::model::CitationStyle::Apa,
        Some(ExportStyle::Mla) => crate::model::CitationStyle::Mla,
        Some(ExportStyle::Chicago) => crate::model::CitationStyle::Chicago,
        None => config.citations.style,
    };
    let id: u64 = story
        .trim_start_matches('#')
        .parse()
        .with_context(|| format!("`{story}` is not a story number"))?;
    let id = crate::model::StoryId(id);
    let format = match format {
        ExportFormat::Md => crate::export::Format::Markdown,
        ExportFormat::Html => crate::export::Format::Html,
        ExportFormat::Json => crate::export::Format::Json,
    };
    let text = match crate::open_desk_with_key(config, data_dir, source_key) {
        Ok(desk) => crate::export::export_story(&desk, id, format, style)?,
        Err(e) if is_locked(&e) => crate::admin::export_from_running(data_dir, id, format, style)?,
        Err(e) => return Err(e),
    };
    out(&text)?;
    Ok(ExitCode::SUCCESS)
}
