//! `storydesk check`: the pre-publish checks on an article file, and the report they
//! print. The report's two formats are a contract other programs read: the text lines
//! (`FILE:LINE:COLUMN: LEVEL [RULE] SECTION: MESSAGE`, a `source:` line under a verbatim
//! finding, a summary line) and the JSON object (`article`, `errors`, `warnings`,
//! `suggestions`, `findings`, in this order). `tests/cli_check.rs` holds them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use super::out;
use crate::checks::{Counts, Finding};
use crate::config::Config;
use crate::notices;

/// The report's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Lines for people.
    Text,
    /// One JSON object for other programs.
    Json,
}

/// `storydesk check ARTICLE.md [--source FILE]... [--format text|json]`: exit 0 when no
/// finding is at level error, 1 when one is; an error (exit 2) for bad usage.
pub fn run(
    config: Option<&Path>,
    article: &Path,
    sources: &[PathBuf],
    format: Format,
) -> anyhow::Result<ExitCode> {
    use crate::checks::{markdown, Checker, SourceText};
    let config = Config::load(config)?;
    let template = crate::template::Template::load(&config.story.template)?;
    let checker = Checker::load(&config.checks, &template)?;
    let read = |path: &Path, what: &str| -> anyhow::Result<String> {
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
    let printed = report(&article.display().to_string(), &findings, format)?;
    let counts = Counts::of(&findings);
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

/// The report on `findings` in `article` (the file as the operator named it).
pub fn report(article: &str, findings: &[Finding], format: Format) -> anyhow::Result<String> {
    let counts = Counts::of(findings);
    let shown = article.to_string();
    let mut printed = String::new();
    match format {
        Format::Json => {
            /// The JSON report, fields in this order.
            #[derive(serde::Serialize)]
            struct Report<'a> {
                article: &'a str,
                errors: usize,
                warnings: usize,
                suggestions: usize,
                findings: &'a [Finding],
            }
            let report = Report {
                article: &shown,
                errors: counts.errors,
                warnings: counts.warnings,
                suggestions: counts.suggestions,
                findings,
            };
            printed.push_str(&serde_json::to_string_pretty(&report)?);
            printed.push('\n');
        }
        Format::Text => {
            use std::fmt::Write as _;
            for f in findings {
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
    Ok(printed)
}
