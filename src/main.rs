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
enum ExportFormat {
    Md,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
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
        Command::Draft {
            sources,
            section,
            guidance,
            title,
        } => draft(&config, &sources, &section, guidance, title),
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
            eprintln!("{}", messages::draft_failure(&other));
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
            eprintln!("{}", messages::draft_failure(&failure));
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
                storydesk::desk::proposal_findings(&template, name, &d.text),
            ),
            Err(_) => (Vec::new(), Vec::new()),
        };
        all_drafted &= outcome.is_ok();
        println!(
            "{}",
            messages::cli_proposal(name, &drafter, &outcome, &notes, &findings)
        );
    }
    Ok(if all_drafted {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn serve(desk: storydesk::desk::Desk, bind: std::net::SocketAddr) -> anyhow::Result<()> {
    let app = storydesk::server::base_routes();
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind} (STORYDESK_BIND)"))?;
    tracing::info!(%bind, "listening");
    let purge = tokio::spawn(purge_expired_events(desk.clone()));
    eprintln!("storydesk serving on http://{bind}");
    storydesk::server::run(listener, app, shutdown_signal()).await?;
    purge.abort();
    desk.store().flush()?;
    Ok(())
}

/// Forget processed event ids whose retry window has passed, every ten minutes.
async fn purge_expired_events(desk: storydesk::desk::Desk) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
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
    tracing::info!("shutting down");
}
