//! Running the console: a script file, or interactive lines with editing and history.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::desk::Desk;

use super::script::{ScriptItem, ScriptParser};
use super::session::Session;

/// Run a script file; every item's replies go to `out`. A script error stops at its line.
pub fn run_script<W: Write>(desk: Desk, path: &Path, user: &str, out: W) -> anyhow::Result<W> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read script {}", path.display()))?;
    let items = super::script::parse_script(&text)
        .map_err(|e| anyhow::anyhow!("{}:{}: {}", path.display(), e.line, e.message))?;
    let mut session = Session::new(desk, user, true, out);
    for item in items {
        session.run(item)?;
    }
    Ok(session.into_output())
}

/// Run interactively with line editing. Command lines (not the text of heredocs, which may
/// be source material) are kept in `history` between sessions.
pub fn run_interactive(desk: Desk, user: &str, history: &Path) -> anyhow::Result<()> {
    use rustyline::error::ReadlineError;

    // `--as` is typed too: no control character from it reaches the prompt.
    let user = crate::text::normalise::strip_controls(user);
    let user: &str = &user;
    let mut editor = rustyline::DefaultEditor::new()?;
    let _ = editor.load_history(history);
    let stdout = std::io::stdout();
    let mut session = Session::new(desk, user, false, stdout.lock());
    let mut parser = ScriptParser::new();
    println!(
        "{}",
        crate::notices::console_welcome(user, super::session::DEFAULT_CHANNEL)
    );
    loop {
        let prompt = match parser.in_heredoc() {
            Some(word) => format!("… (end with {word}) "),
            None => session.prompt(),
        };
        let line = match editor.readline(&prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                parser = ScriptParser::new();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        };
        let in_heredoc = parser.in_heredoc().is_some();
        match parser.feed(&line) {
            Ok(item) => {
                if !in_heredoc && !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                if let Some(item) = item {
                    if let ScriptItem::Command { .. } | ScriptItem::Say { .. } = item {
                        // replies are printed by the session
                    }
                    session.run(item)?;
                }
            }
            Err(e) => {
                eprintln!("{e}");
                parser = ScriptParser::new();
            }
        }
    }
    let _ = editor.save_history(history);
    Ok(())
}
