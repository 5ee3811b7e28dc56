//! The `storydesk` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use storydesk::config::Config;

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
    /// Export one story.
    Export {
        /// The story's number (`3` or `#3`).
        story: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "md")]
        format: ExportFormat,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum CheckFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Md,
    Json,
}

/// `storydesk check`'s exit status for bad usage, as clap uses for its own usage errors.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    if let Command::Check {
        article,
        sources,
        format,
    } = &cli.command
    {
        return match check(cli.config.as_deref(), article, sources, *format) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("storydesk check: {e:#}");
                ExitCode::from(EXIT_USAGE)
            }
        };
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("storydesk: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("STORYDESK_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = Config::load(cli.config.as_deref())?;
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
                eprintln!("note: no editors are configured ([roles] editors), so publishing will be refused; try --config examples/newsroom.toml");
            }
            let desk = storydesk::open_desk(config, &data_dir)?;
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
            let desk = storydesk::open_desk(config, &data_dir)?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(serve(desk, bind))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { .. } => unreachable!("handled in main"),
        Command::Export { story, format } => {
            let desk = storydesk::open_desk(config, &data_dir)?;
            let id: u64 = story
                .trim_start_matches('#')
                .parse()
                .with_context(|| format!("`{story}` is not a story number"))?;
            let story = desk
                .store()
                .story(storydesk::model::StoryId(id))?
                .with_context(|| format!("there is no story #{id} in {}", data_dir.display()))?;
            let article = storydesk::desk::assemble(&desk, &story, story.style, false)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            match format {
                ExportFormat::Md => print!("{}", article.markdown()),
                ExportFormat::Json => println!("{}", serde_json::to_string_pretty(&article)?),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
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
    let mut out = String::new();
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
            out.push_str(&serde_json::to_string_pretty(&report)?);
            out.push('\n');
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
                    out,
                    "{place}: {} [{}] {}: {}",
                    f.level.as_str(),
                    f.rule,
                    f.section,
                    f.message
                )?;
                if let Some(s) = &f.source {
                    writeln!(out, "  source: {}:{}:{}", s.label, s.line, s.column)?;
                }
            }
            if findings.is_empty() {
                writeln!(out, "{shown}: all checks pass")?;
            } else {
                writeln!(
                    out,
                    "{shown}: {} errors, {} warnings, {} suggestions",
                    counts.errors, counts.warnings, counts.suggestions
                )?;
            }
        }
    }
    // A reader that stops early (`| head`) is not an error.
    use std::io::Write as _;
    match std::io::stdout().lock().write_all(out.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    Ok(if counts.errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn serve(desk: storydesk::desk::Desk, bind: std::net::SocketAddr) -> anyhow::Result<()> {
    let app = storydesk::server::base_routes();
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind} (STORYDESK_BIND)"))?;
    tracing::info!(%bind, "listening");
    eprintln!("storydesk serving on http://{bind}");
    storydesk::server::run(listener, app, shutdown_signal()).await?;
    desk.store().flush()?;
    Ok(())
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
    tracing::info!("shutting down");
}
