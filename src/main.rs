//! The `storydesk` command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use storydesk::config::Config;
use storydesk::notices;

/// jemalloc rather than the system allocator: with glibc's malloc the resident memory of a
/// long-running `serve` grows with the database, with jemalloc it levels off (BENCHMARKS.md,
/// "Soak").
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
    Local {
        /// Run the commands of a script file instead of reading the terminal.
        #[arg(long)]
        script: Option<PathBuf>,
        /// Who you are at the start (`:as NAME` switches).
        #[arg(long = "as", value_name = "USER")]
        as_user: Option<String>,
    },
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
        format: CheckFormat,
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

#[derive(Clone, Copy, ValueEnum)]
enum CheckFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    /// The article as Markdown.
    Md,
    /// The article as a standalone HTML page (markup in the text is escaped).
    Html,
    /// The story's state, revisions, references, audit log and article (never source texts).
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportStyle {
    /// APA 7.
    Apa,
    /// MLA 9.
    Mla,
    /// Chicago (notes and bibliography).
    Chicago,
}

/// `storydesk check`'s exit status for bad usage, as clap uses for its own usage errors.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = init_logging();
    if let Command::Check {
        article,
        sources,
        format,
    } = &cli.command
    {
        return match check(cli.config.as_deref(), article, sources, *format) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("storydesk check: {}", error_chain(&e));
                ExitCode::from(EXIT_USAGE)
            }
        };
    }
    match run(cli) {
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
                tracing::error!(target: SERVE, error, "storydesk stopped");
            } else {
                eprintln!("{}", notices::failed(&error));
            }
            ExitCode::FAILURE
        }
    }
}

/// Write `text` to standard output. When the reader stops early (`storydesk export … |
/// head`), the write fails with `BrokenPipe` (Rust ignores SIGPIPE); the command passes the
/// error up and [`main`] ends quietly on it, where `print!` would panic.
fn out(text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

/// `e` and its causes, `: `-separated, leaving out a cause whose text is already said (an
/// error that prints its source, as `cannot read x: No such file` does, would otherwise
/// say it twice).
fn error_chain(e: &anyhow::Error) -> String {
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
fn locked_dir(e: &anyhow::Error) -> Option<&std::path::Path> {
    e.chain()
        .find_map(|c| match c.downcast_ref::<storydesk::store::StoreError>() {
            Some(storydesk::store::StoreError::Open {
                dir,
                reason: storydesk::store::OpenFailure::Locked,
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

/// The log target of `serve`'s own notices (listening, shutting down), shown by default.
const SERVE: &str = "storydesk::serve";

/// Logs go to stderr, as text or (with `STORYDESK_LOG_FORMAT=json`) one JSON object per
/// line; `RUST_LOG` filters them (default: warnings, and `serve`'s notices). True for JSON.
fn init_logging() -> bool {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("warn,{SERVE}=info")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("STORYDESK_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
        true
    } else {
        builder.init();
        false
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Doctor = cli.command {
        // Before loading the config: a config that does not load is one of its findings.
        let env = storydesk::doctor::Env::from_process();
        let runtime = tokio::runtime::Runtime::new()?;
        let report = runtime.block_on(storydesk::doctor::examine(
            cli.config.as_deref(),
            cli.data.as_deref(),
            &env,
        ));
        out(&report.render())?;
        return Ok(if report.problems() == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let config = Config::load(cli.config.as_deref())?.with_source_key_from_env()?;
    let data_dir = cli
        .data
        .clone()
        .unwrap_or_else(|| config.store.data_dir.clone());
    match cli.command {
        Command::Local { script, as_user } => {
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
            let desk = storydesk::open_desk(config, &data_dir)?;
            // While the console holds the store, `backup` and `export` go through it.
            let _admin = match storydesk::admin::listen(desk.clone()) {
                Ok(admin) => Some(admin),
                Err(e) => {
                    eprintln!("{}", notices::admin_socket_unavailable(&e.to_string()));
                    None
                }
            };
            match script {
                Some(path) => {
                    let stdout = std::io::stdout();
                    let _ = storydesk::console::run::run_script(desk, &path, &user, stdout.lock())?;
                }
                None => {
                    let history = data_dir.join("console-history.txt");
                    storydesk::console::run::run_interactive(desk, &user, &history)?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { bind } => {
            let bound = std::time::Duration::from_secs(config.server.shutdown_secs);
            let desk = storydesk::open_desk(config, &data_dir)?;
            let runtime = tokio::runtime::Runtime::new()?;
            let served = runtime.block_on(serve(desk, bind, bound));
            // Whatever is still running was abandoned by `serve`: do not wait for it.
            runtime.shutdown_timeout(std::time::Duration::from_millis(200));
            served?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Draft {
            sources,
            section,
            guidance,
            title,
        } => draft(&config, &sources, &section, guidance, title),
        Command::Check { .. } => unreachable!("handled in main"),
        Command::Commands { what } => {
            let template = storydesk::config::Template::load(&config.story.template)?;
            let json = storydesk::discord::commands::registration(
                storydesk::catalogue::catalogue(),
                &template,
            );
            match what {
                CommandsCommand::Discord => {
                    out(&format!("{}\n", serde_json::to_string_pretty(&json)?))?;
                }
                CommandsCommand::SlackManifest { url, socket_mode } => {
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
                    let manifest = storydesk::slack::manifest::manifest(
                        storydesk::catalogue::catalogue(),
                        url.as_deref(),
                        socket_mode,
                    );
                    out(&storydesk::slack::manifest::to_yaml(&manifest))?;
                }
                CommandsCommand::Register { guild } => {
                    let env = DiscordEnv::read();
                    let token = env
                        .token
                        .context("DISCORD_TOKEN is not set: registering needs the bot token")?;
                    let app = env.application_id.context(
                        "DISCORD_APPLICATION_ID is not set: registering needs the application id (Developer Portal → General Information)",
                    )?;
                    let http = storydesk::discord::build_http(
                        &token,
                        Some(app),
                        env.api_url.as_deref(),
                        None,
                    );
                    let runtime = tokio::runtime::Runtime::new()?;
                    let registered = runtime.block_on(async {
                        match guild {
                            Some(g) => {
                                http.create_guild_commands(
                                    serenity::all::GuildId::new(g.max(1)),
                                    &json,
                                )
                                .await
                            }
                            None => http.create_global_commands(&json).await,
                        }
                    });
                    let commands = registered.map_err(|e| {
                        anyhow::anyhow!(
                            "Discord refused the commands: {}",
                            storydesk::discord::error_text(&e)
                        )
                    })?;
                    match guild {
                        Some(g) => eprintln!("{}", notices::registered_in_guild(commands.len(), g)),
                        None => eprintln!("{}", notices::registered_globally(commands.len())),
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { file } => {
            backup(config, &data_dir, &file)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { file } => {
            let desk = storydesk::open_desk(config, &data_dir)?;
            let summary = desk
                .store()
                .restore(|| std::fs::File::open(&file).map(std::io::BufReader::new))
                .with_context(|| format!("restoring {}", file.display()))?;
            eprintln!(
                "{}",
                notices::restored(summary.records, summary.bytes, &data_dir)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor => unreachable!("handled before the config is loaded"),
        Command::Export {
            story,
            format,
            style,
        } => {
            let style = match style {
                Some(ExportStyle::Apa) => storydesk::model::CitationStyle::Apa,
                Some(ExportStyle::Mla) => storydesk::model::CitationStyle::Mla,
                Some(ExportStyle::Chicago) => storydesk::model::CitationStyle::Chicago,
                None => config.citations.style,
            };
            let id: u64 = story
                .trim_start_matches('#')
                .parse()
                .with_context(|| format!("`{story}` is not a story number"))?;
            let id = storydesk::model::StoryId(id);
            let format = match format {
                ExportFormat::Md => storydesk::export::Format::Markdown,
                ExportFormat::Html => storydesk::export::Format::Html,
                ExportFormat::Json => storydesk::export::Format::Json,
            };
            // From the store, or through the storydesk (`serve` or `local`) that holds it.
            let text = match storydesk::open_desk(config, &data_dir) {
                Ok(desk) => storydesk::export::export_story(&desk, id, format, style)?,
                Err(e) if is_locked(&e) => {
                    storydesk::admin::export_from_running(&data_dir, id, format, style)?
                }
                Err(e) => return Err(e),
            };
            out(&text)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `storydesk draft`: proposals on standard output, progress and refusals on standard error.
fn draft(
    config: &Config,
    paths: &[PathBuf],
    section: &str,
    guidance: Option<String>,
    title: Option<String>,
) -> anyhow::Result<ExitCode> {
    use storydesk::assist::{policy, Assistant, Brief, Failure, SourceBudget};
    use storydesk::desk::messages;

    let template = storydesk::config::Template::load(&config.story.template)?;
    let checker = storydesk::checks::Checker::load(&config.checks, &template)?;
    let outline = storydesk::desk::outline(&template);
    let sections: Vec<String> = if section.trim().eq_ignore_ascii_case("all") {
        outline.iter().map(|s| s.name.clone()).collect()
    } else {
        match template.resolve(section).filter(|s| s.generated.is_none()) {
            Some(s) => vec![s.name.clone()],
            None => {
                let valid: Vec<&str> = outline.iter().map(|s| s.name.as_str()).collect();
                eprintln!("{}", messages::cli_unknown_section(section, &valid));
                return Ok(ExitCode::from(2));
            }
        }
    };
    let choice = match policy::choose(&config.assist) {
        Ok(c) => c,
        Err(Failure::Remote { host }) => {
            eprintln!("{}", messages::draft_refused_remote(&host));
            return Ok(ExitCode::from(2));
        }
        Err(other) => {
            eprintln!("{}", messages::drafting_unavailable(&other));
            return Ok(ExitCode::from(2));
        }
    };
    let origin = choice.origin();
    let mut budget = SourceBudget::new(choice.source_limit(&config.assist));
    for (i, path) in paths.iter().enumerate() {
        let shown = path.display().to_string();
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{}", messages::cli_bad_source(&shown, &e.to_string()));
                return Ok(ExitCode::from(2));
            }
        };
        let Ok(text) = String::from_utf8(bytes) else {
            eprintln!(
                "{}",
                messages::cli_bad_source(&shown, "it is not UTF-8 text")
            );
            return Ok(ExitCode::from(2));
        };
        let label = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or(shown);
        budget.take(
            i as u32 + 1,
            &label,
            &storydesk::text::normalise::normalise(&text),
        );
    }
    let (sources, omitted_sources) = budget.finish();
    let assistant = match Assistant::from_config(&config.assist) {
        Ok(a) => a,
        Err(failure) => {
            eprintln!("{}", messages::drafting_unavailable(&failure));
            return Ok(ExitCode::from(2));
        }
    };
    let drafter = messages::drafter_name(&origin);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut all_drafted = true;
    for name in &sections {
        let brief = std::sync::Arc::new(Brief {
            title: title.clone(),
            section: name.clone(),
            outline: outline.clone(),
            guidance: guidance.clone(),
            others: Vec::new(),
            redrafting: sections.iter().filter(|s| *s != name).cloned().collect(),
            sources: sources.clone(),
            omitted_sources,
        });
        let requester = storydesk::model::Person::named("you");
        let mut progress = |text: &str| {
            let line = messages::draft_writing(name, 1, &requester, &drafter, Some(text));
            eprintln!("{}", line.lines().next().unwrap_or_default());
        };
        let outcome = runtime.block_on(assistant.draft(brief.clone(), &mut progress));
        let (notes, findings) = match &outcome {
            Ok(d) => (
                messages::draft_notes(d, &origin, &brief),
                storydesk::desk::proposal_findings(
                    &checker,
                    &template,
                    name,
                    &d.text,
                    &brief.sources,
                ),
            ),
            Err(_) => (Vec::new(), Vec::new()),
        };
        all_drafted &= outcome.is_ok();
        out(&format!(
            "{}\n",
            messages::cli_proposal(name, &drafter, &outcome, &notes, &findings)
        ))?;
    }
    Ok(if all_drafted {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `storydesk check ARTICLE.md [--source FILE]... [--format text|json]`.
fn check(
    config: Option<&std::path::Path>,
    article: &std::path::Path,
    sources: &[PathBuf],
    format: CheckFormat,
) -> anyhow::Result<ExitCode> {
    use storydesk::checks::{markdown, Checker, Counts, SourceText};
    let config = Config::load(config)?;
    let template = storydesk::config::Template::load(&config.story.template)?;
    let checker = Checker::load(&config.checks, &template)?;
    let read = |path: &std::path::Path, what: &str| -> anyhow::Result<String> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read the {what} {}", path.display()))?;
        String::from_utf8(bytes)
            .map_err(|_| anyhow::anyhow!("the {what} {} is not UTF-8 text", path.display()))
    };
    let text = read(article, "article")?;
    let mut source_texts = Vec::new();
    for path in sources {
        source_texts.push((path.display().to_string(), read(path, "source")?));
    }
    let sources: Vec<SourceText> = source_texts
        .iter()
        .enumerate()
        .map(|(i, (label, text))| SourceText {
            number: i as u32 + 1,
            label,
            text,
        })
        .collect();
    let file = markdown::parse(&text, &template);
    let findings = checker.run(&file.document(&template, &sources));
    let counts = Counts::of(&findings);
    let shown = article.display().to_string();
    let mut printed = String::new();
    match format {
        CheckFormat::Json => {
            /// The JSON report, fields in this order.
            #[derive(serde::Serialize)]
            struct Report<'a> {
                article: &'a str,
                errors: usize,
                warnings: usize,
                suggestions: usize,
                findings: &'a [storydesk::checks::Finding],
            }
            let report = Report {
                article: &shown,
                errors: counts.errors,
                warnings: counts.warnings,
                suggestions: counts.suggestions,
                findings: &findings,
            };
            printed.push_str(&serde_json::to_string_pretty(&report)?);
            printed.push('\n');
        }
        CheckFormat::Text => {
            use std::fmt::Write as _;
            for f in &findings {
                let place = if f.line > 0 {
                    format!("{shown}:{}:{}", f.line, f.column)
                } else {
                    shown.clone()
                };
                writeln!(
                    printed,
                    "{place}: {} [{}] {}: {}",
                    f.level.as_str(),
                    f.rule,
                    f.section,
                    f.message
                )?;
                if let Some(s) = &f.source {
                    writeln!(printed, "  source: {}:{}:{}", s.label, s.line, s.column)?;
                }
            }
            writeln!(
                printed,
                "{}",
                notices::check_summary(&shown, counts.errors, counts.warnings, counts.suggestions)
            )?;
        }
    }
    // A reader that stops early (`| head`) is not an error: the exit status still tells.
    match out(&printed) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    Ok(if counts.errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The Discord settings from the environment.
struct DiscordEnv {
    /// `DISCORD_TOKEN`: the bot token (gateway and REST).
    token: Option<String>,
    /// `DISCORD_PUBLIC_KEY`: turns on `POST /discord/interactions`.
    public_key: Option<String>,
    /// `DISCORD_APPLICATION_ID`.
    application_id: Option<u64>,
    /// `STORYDESK_DISCORD_API_URL`: a REST proxy instead of Discord.
    api_url: Option<String>,
}

impl DiscordEnv {
    fn read() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        DiscordEnv {
            token: var("DISCORD_TOKEN"),
            public_key: var("DISCORD_PUBLIC_KEY"),
            application_id: var("DISCORD_APPLICATION_ID").and_then(|v| v.trim().parse().ok()),
            api_url: var("STORYDESK_DISCORD_API_URL"),
        }
    }
}

/// The Discord side of `serve`: the adapter, with the interactions endpoint added to `app`
/// when `DISCORD_PUBLIC_KEY` is set and the gateway started when `DISCORD_TOKEN` is.
async fn discord(
    desk: &storydesk::desk::Desk,
    app: axum::Router,
    stop: &tokio::sync::watch::Receiver<bool>,
    readiness: &storydesk::health::Readiness,
) -> anyhow::Result<DiscordSide> {
    let env = DiscordEnv::read();
    if env.token.is_none() && env.public_key.is_none() {
        return Ok(DiscordSide {
            app,
            adapter: None,
            gateway: None,
            endpoint: false,
        });
    }
    let token = env.token.clone().unwrap_or_default();
    let mut application_id = env.application_id;
    if application_id.is_none() && !token.is_empty() {
        let http = storydesk::discord::build_http(&token, None, env.api_url.as_deref(), None);
        let info = http.get_current_application_info().await.map_err(|e| {
            anyhow::anyhow!(
                "reading the Discord application with DISCORD_TOKEN failed ({}); check the token",
                storydesk::discord::error_text(&e)
            )
        })?;
        application_id = Some(info.id.get());
    }
    let application_id = application_id.context(
        "DISCORD_APPLICATION_ID is not set (Developer Portal → General Information → Application ID)",
    )?;
    if token.is_empty() {
        tracing::warn!(target: SERVE, "{}", notices::discord_without_token());
    }
    let http = Arc::new(storydesk::discord::build_http(
        &token,
        Some(application_id),
        env.api_url.as_deref(),
        None,
    ));
    let adapter = storydesk::discord::Discord::new(desk.clone(), http);
    let mut app = app;
    if let Some(key) = &env.public_key {
        let check = storydesk::discord::verify::SignatureCheck::from_hex(key)?;
        app = app.merge(storydesk::discord::http::routes(adapter.clone(), check));
        tracing::info!(target: SERVE, "{}", notices::discord_endpoint_on());
    }
    let mut gateway = None;
    if !token.is_empty() {
        let gateway_http = storydesk::discord::build_http(
            &token,
            Some(application_id),
            env.api_url.as_deref(),
            None,
        );
        let mut stop = stop.clone();
        let adapter = adapter.clone();
        let ready = readiness.register("discord_gateway");
        gateway = Some(tokio::spawn(async move {
            let shutdown = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            if let Err(e) =
                storydesk::discord::gateway::run(adapter, gateway_http, ready, shutdown).await
            {
                tracing::error!(target: SERVE, error = %format!("{e:#}"), "Discord gateway stopped");
            }
        }));
        tracing::info!(target: SERVE, "{}", notices::discord_gateway_connecting());
    }
    Ok(DiscordSide {
        app,
        adapter: Some(adapter),
        endpoint: env.public_key.is_some(),
        gateway,
    })
}

/// What `serve` gets from setting up Discord.
struct DiscordSide {
    /// The router, with `POST /discord/interactions` when it is configured.
    app: axum::Router,
    /// The adapter, when Discord is configured.
    adapter: Option<Arc<storydesk::discord::Discord>>,
    /// The gateway's task, when it runs.
    gateway: Option<tokio::task::JoinHandle<()>>,
    /// True when `POST /discord/interactions` is served.
    endpoint: bool,
}

/// Write a backup: from the store directly when no storydesk runs on it, else through the
/// running one's admin socket. The file appears only once it is complete and checked.
fn backup(
    config: Config,
    data_dir: &std::path::Path,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    use std::io::Write;
    let partial = file.with_extension("partial");
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&partial)
            .with_context(|| format!("cannot write the backup {}", file.display()))?,
    );
    match storydesk::open_desk(config, data_dir) {
        Ok(desk) => {
            desk.store().backup(&mut out)?;
        }
        Err(e) if is_locked(&e) => {
            storydesk::admin::backup_from_running(data_dir, &mut out)?;
        }
        Err(e) => return Err(e),
    }
    out.flush()?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    let summary =
        storydesk::store::verify_backup(std::io::BufReader::new(std::fs::File::open(&partial)?))
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
    Ok(())
}

/// True when opening failed because another process holds the store.
fn is_locked(e: &anyhow::Error) -> bool {
    locked_dir(e).is_some()
}

/// The Slack settings from the environment. Secrets are read here and never printed.
fn slack_config() -> storydesk::slack::SlackConfig {
    use storydesk::slack::{api::Token, verify::SigningSecret, SlackConfig, DEFAULT_API_URL};
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    SlackConfig {
        signing_secret: var("SLACK_SIGNING_SECRET").map(SigningSecret::new),
        bot_token: var("SLACK_BOT_TOKEN").map(Token::new),
        app_token: var("SLACK_APP_TOKEN").map(Token::new),
        api_url: var("STORYDESK_SLACK_API_URL").unwrap_or_else(|| DEFAULT_API_URL.to_string()),
    }
}

/// The bot. Runs until SIGTERM or Ctrl-C, then stops within `bound`: no new request is
/// taken, the requests and posts under way finish, the gateway and Socket Mode connections
/// are closed, and the store is flushed. Work still running when `bound` is up (or at a
/// second signal) is abandoned.
async fn serve(
    desk: storydesk::desk::Desk,
    bind: std::net::SocketAddr,
    bound: std::time::Duration,
) -> anyhow::Result<()> {
    if !desk.store().seals_sources() {
        tracing::warn!(target: SERVE, "{}", notices::source_key_unset());
    }
    let metrics = storydesk::telemetry::install()?;
    let readiness = storydesk::health::Readiness::new();
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let DiscordSide {
        app,
        adapter: discord,
        gateway,
        endpoint: discord_endpoint,
    } = discord(&desk, axum::Router::new(), &stop, &readiness).await?;
    let mut app = app;
    let slack_config = slack_config();
    slack_config.check().map_err(anyhow::Error::msg)?;
    let mut socket_task = None;
    let mut slack = None;
    if slack_config.enabled() {
        let adapter = storydesk::slack::Slack::new(desk.clone(), &slack_config);
        if slack_config.signing_secret.is_some() {
            app = app.merge(storydesk::slack::http::routes(adapter.clone()));
            tracing::info!(target: SERVE, "{}", notices::slack_http_on());
        }
        if slack_config.app_token.is_some() {
            let mut stopped = stop.clone();
            socket_task = Some(tokio::spawn(storydesk::slack::socket::run(
                adapter.clone(),
                readiness.register("slack_socket_mode"),
                async move {
                    let _ = stopped.wait_for(|s| *s).await;
                },
            )));
            tracing::info!(target: SERVE, "{}", notices::slack_socket_mode_on());
        }
        // Articles a stop interrupted while they were being posted go on where they were.
        adapter.resume_publications().await;
        slack = Some(adapter);
    }
    // A `[roles]` entry that cannot be an id where the bot serves (a name, say) matches
    // nobody: said once here, and by `storydesk doctor`.
    let mut platforms = Vec::new();
    if slack.is_some() {
        platforms.push(storydesk::model::Platform::Slack);
    }
    if discord.is_some() {
        platforms.push(storydesk::model::Platform::Discord);
    }
    for sentence in storydesk::doctor::role_entries_matching_nobody(desk.config(), &platforms) {
        tracing::warn!(target: SERVE, "{sentence}");
    }
    // Every series a dashboard plots starts at zero, before the first request.
    let subcommands: Vec<&str> = storydesk::catalogue::catalogue()
        .subcommands
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    storydesk::telemetry::declare(
        storydesk::telemetry::WaysIn {
            slack_http: slack.is_some() && slack_config.signing_secret.is_some(),
            slack_socket_mode: slack.is_some() && slack_config.app_token.is_some(),
            discord_http: discord_endpoint,
            discord_gateway: gateway.is_some(),
        },
        &subcommands,
    );
    let app = app.merge(storydesk::server::operator_routes(
        storydesk::server::Operator {
            store: desk.store().clone(),
            readiness,
            metrics: Some(metrics),
        },
    ));
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind} (STORYDESK_BIND)"))?;
    let bound_to = listener.local_addr().unwrap_or(bind);
    let admin = storydesk::admin::listen(desk.clone())
        .context("cannot open the admin socket in the data directory")?;
    let purge = tokio::spawn(purge_expired_events(desk.clone()));
    tracing::info!(target: SERVE, "{}", notices::serving_on(bound_to));
    let mut stopping = stop.clone();
    let mut server = tokio::spawn(storydesk::server::run(listener, app, async move {
        let _ = stopping.wait_for(|s| *s).await;
    }));

    tokio::select! {
        _ = shutdown_signal() => {},
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
    tracing::info!(target: SERVE, "{}", notices::shutting_down(bound.as_secs()));
    let _ = stop_tx.send(true);
    purge.abort();
    let drained = async {
        // No new request: the listener is closed; requests under way finish.
        let _ = (&mut server).await;
        // No new envelope or event: the sockets close once what they received is answered.
        if let Some(task) = socket_task {
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
        _ = drained => tracing::info!(target: SERVE, "{}", notices::shutdown_drained()),
        _ = tokio::time::sleep_until(deadline) => {
            tracing::warn!(target: SERVE, "{}", notices::shutdown_bound_reached(bound.as_secs()))
        }
        _ = shutdown_signal() => tracing::warn!(target: SERVE, "{}", notices::shutdown_cut_short()),
    }
    let store = desk.store().clone();
    tokio::task::spawn_blocking(move || store.flush())
        .await
        .context("flushing the store")??;
    drop(admin);
    tracing::info!(target: SERVE, "{}", notices::stopped());
    Ok(())
}

/// Forget processed event ids whose retry window has passed (every quarter of the window, at
/// most every ten minutes).
async fn purge_expired_events(desk: storydesk::desk::Desk) {
    let mut every = tokio::time::interval(desk.config().events.purge_every());
    loop {
        every.tick().await;
        let store = desk.store().clone();
        let now = storydesk::model::Timestamp::now();
        match tokio::task::spawn_blocking(move || store.purge_expired_events(now)).await {
            Ok(Ok(n)) if n > 0 => tracing::debug!(purged = n, "expired event ids removed"),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "could not purge expired event ids"),
            Err(e) => tracing::warn!(error = %e, "event purge task failed"),
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
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
