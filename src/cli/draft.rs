//! `storydesk draft`: drafting proposals for a section (or all) from source files, outside
//! chat. The brief is built as `/story draft` builds it (the template's outline and
//! guidance, the sources within the drafter's budget), and each proposal is shown with the
//! findings of the pre-publish checks, as in chat.

use std::path::PathBuf;
use std::process::ExitCode;

use super::out;
use crate::config::Config;

/// `storydesk draft`: proposals on standard output, progress and refusals on standard error.
/// Exit 0 when every section got a proposal, 1 when one did not, 2 on bad usage or a
/// refused model.
pub fn run(
    config: &Config,
    paths: &[PathBuf],
    section: &str,
    guidance: Option<String>,
    title: Option<String>,
) -> anyhow::Result<ExitCode> {
    use crate::assist::{policy, Assistant, Brief, Failure, SourceBudget};
    use crate::desk::messages;

    let template = crate::template::Template::load(&config.story.template)?;
    let checker = crate::checks::Checker::load(&config.checks, &template)?;
    let outline = crate::desk::outline(&template);
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
            &crate::text::normalise::normalise(&text),
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
        let requester = crate::model::Person::named("you");
        let mut progress = |text: &str| {
            let line = messages::draft_writing(name, 1, &requester, &drafter, Some(text));
            eprintln!("{}", line.lines().next().unwrap_or_default());
        };
        let outcome = runtime.block_on(assistant.draft(brief.clone(), &mut progress));
        let (notes, findings) = match &outcome {
            Ok(d) => (
                messages::draft_notes(d, &origin, &brief),
                crate::desk::proposal_findings(&checker, &template, name, &d.text, &brief.sources),
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
