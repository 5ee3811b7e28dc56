//! The `storydesk` command line.

//!
//! Arguments are parsed here; every command is a function of the library (`storydesk::cli`,
//! `storydesk::serve`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use storydesk::cli::{self, check, ExportFormat, ExportStyle};
use storydesk::config::Config;
use storydesk::env::Env;

/// jemalloc rather than the system allocator: with glibc's malloc the resident memory of a
/// long-running `serve` grows with the database, with jemalloc it levels off (BENCHMARKS.md,
/// "Soak").
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read by jemalloc at start (its `malloc_conf` symbol, `_rjem_`-prefixed
/// by tikv-jemalloc-sys): a background thread purges freed pages within 0.3 s instead of
/// leaving them to the next allocation, so memory freed after a burst goes back to the
/// system; one arena instead of four per core, and thread caches only for objects up to
/// 4 KiB, so memory freed by one thread is reused by the next instead of sitting in another
/// arena or cache (with two cores there is little contention to spread). Together they took
/// the peak of the endpoint benchmark from about 205 to 165 MiB (BENCHMARKS.md, "Memory
/// and durable writes"). `_RJEM_MALLOC_CONF` in the environment still overrides it.
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[export_name = "_rjem_malloc_conf"]
static MALLOC_CONF: JemallocConf = JemallocConf(
    c"background_thread:true,dirty_decay_ms:300,muzzy_decay_ms:0,narenas:1,tcache_max:4096"
        .as_ptr(),
);

/// A C string pointer jemalloc reads once (a `const char *`).
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[repr(transparent)]
struct JemallocConf(*const std::ffi::c_char);

// SAFETY: it points at a static, NUL-terminated byte string that nothing writes.
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
unsafe impl Sync for JemallocConf {}

/// A newsroom desk in team chat: from pasted source material to a reviewed, referenced,
/// published article.
#[derive(Parser)]
#[command(name = "storydesk", version, about)]
struct Cli {
    /// Where the embedded database lives.
    #[arg(long, global = true, env = "STORYDESK_DATA_DIR")]
    data: Option<PathBuf>,
    /// A config file overriding the built-in defaults (config/default.toml).
    #[arg(long, global = true, env = "STORYDESK_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The console: a simulated channel on the embedded store, the same desk as the bots.
    Local(cli::LocalArgs),
    /// The bot: HTTP endpoints, plus the Discord gateway and/or Slack Socket Mode when their
    /// tokens are set.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "STORYDESK_BIND", default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
    },
    /// Print drafting proposals for a section (or all) from source files, outside chat.
    /// Uses `[assist]` like `/story draft`: the built-in extractive drafter unless a model
    /// is configured. Exit 0 when every section got a proposal, 1 when one did not, 2 on bad
    /// usage or a refused model.
    Draft {
        /// A source file (UTF-8 text); give several with --source A --source B.
        #[arg(long = "source", value_name = "FILE", required = true)]
        sources: Vec<PathBuf>,
        /// The section to draft (a template name or alias), or `all`.
        #[arg(long, default_value = "all")]
        section: String,
        /// What the drafts should focus on.
        #[arg(long)]
        guidance: Option<String>,
        /// The story's working title, given to a model as context.
        #[arg(long)]
        title: Option<String>,
    },
    /// Run the pre-publish checks on an article file in Markdown, against its sources.
    ///
    /// Exit status: 0 when no finding is at level error, 1 when one is, 2 on bad usage (an
    /// unreadable file, a bad config or rule file).
    Check {
        /// The article, in Markdown: `# Title`, the text, `## References` (see the README).
        article: PathBuf,
        /// A source to check the article against: for verbatim passages and for figures,
        /// dates and quotations no source contains. May be given several times.
        #[arg(long = "source", value_name = "FILE")]
        sources: Vec<PathBuf>,
        /// Output format: lines for people, or JSON for other programs.
        #[arg(long, value_enum, default_value = "text")]
        format: check::Format,
    },
    /// Application commands: print or register the `/story` command.
    Commands {
        #[command(subcommand)]
        what: CommandsCommand,
    },
    /// Write a consistent snapshot of the whole store to FILE, whether the bot runs or not.
    Backup {
        /// Where to write it.
        file: PathBuf,
    },
    /// Restore a backup into an empty data directory.
    Restore {
        /// The backup file.
        file: PathBuf,
    },
    /// Run the PostgreSQL migrations (STORYDESK_DATABASE_URL or [store] url); serve does too.
    Migrate,
    /// Move the records between the embedded store and PostgreSQL.
    Store {
        #[command(subcommand)]
        what: StoreCommand,
    },
    /// Check the config, the data directory, the platforms' settings and whether they
    /// accept their tokens, and say what to fix. Exit 0 when all is well, 1 otherwise.
    Doctor,
    /// Export one story.
    Export {
        /// The story's number (`3` or `#3`).
        story: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "md")]
        format: ExportFormat,
        /// Citation style of the references (default: the config's `[citations] style`).
        #[arg(long, value_enum)]
        style: Option<ExportStyle>,
    },
}

#[derive(Subcommand)]
enum StoreCommand {
    /// Copy every record into an empty store of the other engine, checked by count and
    /// digest: `--to URL` from the data directory to PostgreSQL, `--from URL` back.
    Copy {
        /// The PostgreSQL database to copy the data directory's records into.
        #[arg(long, value_name = "URL", conflicts_with = "from")]
        to: Option<String>,
        /// The PostgreSQL database to copy into the (empty) data directory.
        #[arg(long, value_name = "URL")]
        from: Option<String>,
    },
}

#[derive(Subcommand)]
enum CommandsCommand {
    /// Print the Discord application-command JSON built from `commands/`.
    Discord,
    /// Print the Slack app manifest (YAML) to paste into Slack's app settings.
    SlackManifest {
        /// Where storydesk is reachable from Slack (`https://HOST`); the endpoints are
        /// added to it. Not needed with --socket-mode.
        #[arg(long)]
        url: Option<String>,
        /// Receive Slack's requests over Socket Mode instead of HTTP.
        #[arg(long)]
        socket_mode: bool,
    },
    /// Register the commands with Discord (needs DISCORD_TOKEN and DISCORD_APPLICATION_ID).
    Register {
        /// Register in this server only (changes show at once; for development). Without
        /// it, the commands are registered globally (for release).
        #[arg(long, value_name = "ID")]
        guild: Option<u64>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli::init_logging();
    if let Command::Check {
        article,
        sources,
        format,
    } = &cli.command
    {
        return match check::run(cli.config.as_deref(), article, sources, *format) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("storydesk check: {}", cli::error_chain(&e));
                ExitCode::from(cli::EXIT_USAGE)
            }
        };
    }
    cli::finish(run(cli), json)
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let env = Env::from_process();
    if let Command::Doctor = cli.command {
        // Before loading the config: a config that does not load is one of its findings.
        return cli::doctor(cli.config.as_deref(), cli.data.as_deref(), &env);
    }
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(url) = &env.database_url {
        config.store.url = Some(url.clone());
    }
    let key = env.source_key()?;
    let data_dir = cli.data.unwrap_or_else(|| config.store.data_dir.clone());
    let data = data_dir.as_path();
    match cli.command {
        Command::Local(args) => cli::local(config, data, key, args),
        Command::Serve { bind } => cli::serve(config, data, key, &env, bind),
        Command::Draft {
            sources,
            section,
            guidance,
            title,
        } => cli::draft::run(&config, &sources, &section, guidance, title),
        Command::Commands { what } => match what {
            CommandsCommand::Discord => cli::discord_commands(&config),
            CommandsCommand::SlackManifest { url, socket_mode } => {
                cli::slack_manifest(url, socket_mode)
            }
            CommandsCommand::Register { guild } => cli::register(&config, &env, guild),
        },
        Command::Backup { file } => cli::backup(config, data, key, &file),
        Command::Migrate => cli::migrate(&config),
        Command::Store {
            what: StoreCommand::Copy { to, from },
        } => cli::copy(config, data, key, to, from),
        Command::Restore { file } => cli::restore(config, data, key, &file),
        Command::Export {
            story,
            format,
            style,
        } => cli::export(config, data, key, &story, format, style),
        Command::Check { .. } | Command::Doctor => unreachable!("handled before"),
    }
}
