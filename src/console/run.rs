//! Running the console: a script file, or interactive lines with editing and history.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::desk::Desk;

use super::script::ScriptParser;
use super::session::Session;

/// Run a script file; every item's replies go to `out`. A script error stops at its line.
pub fn run_script<W: Write>(desk: Desk, path: &Path, user: &str, out: W) -> anyhow::Result<W> {
    run_script_at(desk, path, user, None, out)
}

/// [`run_script`] with the console's clock starting at `clock` (`--clock`), standing still
/// but for `:clock`; the real time when `None`.
pub fn run_script_at<W: Write>(
    desk: Desk,
    path: &Path,
    user: &str,
    clock: Option<crate::model::Timestamp>,
    out: W,
) -> anyhow::Result<W> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read script {}", path.display()))?;
    let items = super::script::parse_script(&text)
        .map_err(|e| anyhow::anyhow!("{}:{}: {}", path.display(), e.line, e.message))?;
    let mut session = Session::new(desk, user, true, out).with_clock(clock);
    let total = items.len();
    for (n, item) in items.into_iter().enumerate() {
        // A count only: a script's lines may hold source text.
        tracing::trace!(item = n + 1, of = total, "console: running a script item");
        session.run(item)?;
    }
    Ok(session.into_output())
}

/// What reading a typed line gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// A line, without its line ending.
    Line(String),
    /// Ctrl-C.
    Interrupted,
    /// Ctrl-D, or the end of the input.
    Eof,
}

/// Where typed lines come from: the terminal (rustyline), or a list in tests.
pub trait LineSource {
    /// Shows `prompt` and reads one line.
    fn read(&mut self, prompt: &str) -> anyhow::Result<Typed>;
    /// Keeps a command line in the history (never the text of a heredoc).
    fn remember(&mut self, _line: &str) {}
}

/// The terminal, with line editing and history.
struct Editor(rustyline::DefaultEditor);

impl LineSource for Editor {
    fn read(&mut self, prompt: &str) -> anyhow::Result<Typed> {
        use rustyline::error::ReadlineError;
        match self.0.readline(prompt) {
            Ok(line) => Ok(Typed::Line(line)),
            Err(ReadlineError::Interrupted) => Ok(Typed::Interrupted),
            Err(ReadlineError::Eof) => Ok(Typed::Eof),
            Err(e) => Err(e.into()),
        }
    }

    fn remember(&mut self, line: &str) {
        let _ = self.0.add_history_entry(line);
    }
}

/// Run interactively with line editing. Command lines (not the text of heredocs, which may
/// be source material) are kept in `history` between sessions.
pub fn run_interactive(
    desk: Desk,
    user: &str,
    history: &Path,
    clock: Option<crate::model::Timestamp>,
) -> anyhow::Result<()> {
    // `--as` is typed too: no control character from it reaches the prompt.
    let user = crate::text::normalise::strip_controls(user);
    let mut editor = rustyline::DefaultEditor::new()?;
    let _ = editor.load_history(history);
    let mut editor = Editor(editor);
    let stdout = std::io::stdout();
    let mut session = Session::new(desk, &user, false, stdout.lock()).with_clock(clock);
    session.note(&crate::notices::console_welcome(
        &user,
        super::session::DEFAULT_CHANNEL,
    ))?;
    converse(&mut session, &mut editor, &mut std::io::stderr())?;
    let _ = editor.0.save_history(history);
    Ok(())
}

/// Reads lines from `source` and runs them in `session` until the input ends. Ctrl-C drops
/// the line being typed, or the heredoc being typed, saying so; Ctrl-D inside a heredoc
/// asks before its text is dropped. Lines the parser refuses are explained on `errors`.
pub fn converse<W: Write>(
    session: &mut Session<W>,
    source: &mut dyn LineSource,
    errors: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut parser = ScriptParser::new();
    loop {
        let prompt = match parser.in_heredoc() {
            Some(word) => format!("… (end with {word}) "),
            None => session.prompt(),
        };
        let line = match source.read(&prompt)? {
            Typed::Line(line) => line,
            Typed::Interrupted => {
                if let Some((head, typed)) = parser.pending() {
                    let note = crate::notices::heredoc_cancelled(head, typed);
                    parser.cancel();
                    session.note(&note)?;
                }
                continue;
            }
            Typed::Eof => match parser.pending() {
                None => return Ok(()),
                Some((head, typed)) => {
                    session.note(&crate::notices::heredoc_leave_question(head, typed))?;
                    let answer = source.read(&crate::notices::heredoc_leave_prompt())?;
                    // A second Ctrl-D (or input that has ended) is an answer too: leave.
                    let leave = match &answer {
                        Typed::Line(a) => {
                            matches!(a.trim().to_ascii_lowercase().as_str(), "y" | "yes")
                        }
                        Typed::Eof => true,
                        Typed::Interrupted => false,
                    };
                    if leave {
                        session.note(&crate::notices::heredoc_dropped(typed))?;
                        return Ok(());
                    }
                    let word = parser.in_heredoc().unwrap_or_default().to_string();
                    session.note(&crate::notices::heredoc_resumed(&word))?;
                    continue;
                }
            },
        };
        let in_heredoc = parser.in_heredoc().is_some();
        match parser.feed(&line) {
            Ok(item) => {
                if !in_heredoc && !line.trim().is_empty() {
                    source.remember(&line);
                }
                if let Some(item) = item {
                    session.run(item)?;
                }
            }
            Err(e) => {
                writeln!(errors, "{e}")?;
                parser = ScriptParser::new();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;
    use crate::config::Config;

    /// Lines as a person types them, and the prompts they were asked with.
    struct Typist {
        /// What comes next.
        lines: VecDeque<Typed>,
        /// Every prompt shown.
        prompts: Vec<String>,
    }

    impl LineSource for Typist {
        fn read(&mut self, prompt: &str) -> anyhow::Result<Typed> {
            self.prompts.push(prompt.to_string());
            Ok(self.lines.pop_front().unwrap_or(Typed::Eof))
        }
    }

    fn line(text: &str) -> Typed {
        Typed::Line(text.to_string())
    }

    /// Runs the typed lines in a console on a fresh data directory; the transcript.
    fn typed(lines: Vec<Typed>) -> String {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let desk = crate::open_desk(Config::defaults(), dir.path()).expect("a desk");
        let mut session = Session::new(desk, "alice", false, Vec::new());
        let mut typist = Typist {
            lines: lines.into(),
            prompts: Vec::new(),
        };
        let mut errors = Vec::new();
        converse(&mut session, &mut typist, &mut errors).expect("the console runs");
        assert!(errors.is_empty(), "{}", String::from_utf8_lossy(&errors));
        String::from_utf8(session.into_output()).expect("UTF-8")
    }

    #[test]
    fn ctrl_c_in_a_heredoc_says_what_it_dropped() {
        let out = typed(vec![
            line("/story new title:\"Harbour budget vote delayed\""),
            line("/story source add label:minutes <<EOF"),
            line("The council met on Tuesday."),
            line("The vote was delayed."),
            Typed::Interrupted,
            line("/story source list"),
        ]);
        let cancelled = out
            .lines()
            .find(|l| l.starts_with("Cancelled"))
            .unwrap_or_else(|| panic!("no cancellation notice in:\n{out}"));
        insta::assert_snapshot!(cancelled, @"Cancelled `/story source add label:minutes` and its 2 lines of text: nothing was sent.");
        // The line after Ctrl-C is a command again, and no source was added.
        assert!(!out.contains("council"), "{out}");
        assert!(out.contains("no sources"), "{out}");
    }

    #[test]
    fn ctrl_d_in_a_heredoc_asks_before_dropping_the_text() {
        // Answering no goes back to the text, which is then sent whole.
        let out = typed(vec![
            line("/story new title:\"Harbour budget vote delayed\""),
            line("/story source add label:minutes <<EOF"),
            line("The council met on Tuesday."),
            Typed::Eof,
            line("no"),
            line("The vote was delayed."),
            line("EOF"),
            line("/story source list"),
        ]);
        let asked: Vec<&str> = out
            .lines()
            .filter(|l| l.starts_with("You are typing") || l.starts_with("Going on"))
            .collect();
        insta::assert_snapshot!(asked.join("\n"), @r"
        You are typing the text of `/story source add label:minutes` (1 line so far); leaving now drops it. Leave anyway? Type yes to leave, anything else to go on with the text.
        Going on with the text; end it with a line `EOF`.
        ");
        // Both lines of the text, the one before Ctrl-D too (5 + 4 words).
        assert!(
            out.contains("Source 1 “minutes” added by alice: 9 words"),
            "{out}"
        );

        // Answering yes leaves, and says the text was not sent.
        let out = typed(vec![
            line("/story source add label:minutes <<EOF"),
            line("The council met on Tuesday."),
            Typed::Eof,
            line("yes"),
            line("/story new title:\"Never typed\""),
        ]);
        insta::assert_snapshot!(out.lines().last().unwrap_or_default(), @"Left without sending the 1 line typed.");
        assert!(!out.contains("Never typed"), "{out}");
    }
}
