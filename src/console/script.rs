//! The console's script format, read line by line: from a `--script` file or typed at the
//! prompt.
//!
//! ```text
//! # Comments and blank lines are skipped.
//! :as alice                          act as alice
//! :in #newsroom                      stand in #newsroom
//! /story new title:"Meta scrambles over DeepSeek"
//! :in #newsroom › sources            stand in the story's source thread
//! A plain line is a chat message where you stand; in the source thread it is a source.
//! /story write body <<EOF            a heredoc: the lines up to `EOF` are the long text
//! # inside a heredoc, every line is text, this one too
//! EOF
//! ```
//!
//! Pure: the parser turns lines into [`ScriptItem`]s and knows nothing of the desk; the
//! console runs the items. Line numbers are 1-based, for error messages.

use std::fmt;

use crate::text::normalise::strip_controls;

/// Where `:clock` moves the console's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMove {
    /// Forward by this many milliseconds (`+2h`).
    By(i64),
    /// To this time (an RFC 3339 time).
    To(crate::model::Timestamp),
}

/// One thing a script does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptItem {
    /// A `/story …` command by the current user where they stand.
    Command {
        /// The line it is on (where its heredoc started, when it has one).
        line: usize,
        /// The command, trimmed, without its `<<WORD` marker; still starting with `/story`.
        text: String,
        /// The heredoc's lines joined with `\n` (no trailing newline): the long text of
        /// `source add` or `write`. `None` when the line had no `<<WORD`.
        body: Option<String>,
    },
    /// `:as NAME`: later lines act as this user.
    As {
        /// The line it is on.
        line: usize,
        /// The user's name, without a leading `@`.
        user: String,
    },
    /// `:in #channel`, or `:in #channel › thread`: later lines happen there.
    In {
        /// The line it is on.
        line: usize,
        /// The channel's name, without its `#`.
        channel: String,
        /// The thread in that channel: a section's name (its review thread) or `sources`
        /// (the source thread). `None` for the channel itself.
        thread: Option<String>,
    },
    /// `:clock +2h`, `:clock +1d`, `:clock 2026-12-06T17:00Z`: moves the console's clock;
    /// the jobs that fall due on the way run, in order, before the next line.
    Clock {
        /// The line it is on.
        line: usize,
        /// Where the clock goes.
        to: ClockMove,
    },
    /// Any other line: a chat message from the current user where they stand. A message
    /// ending in `<<WORD` continues with the heredoc's lines, so a long paste can be posted.
    Say {
        /// The line it is on (where its heredoc started, when it has one).
        line: usize,
        /// The message, trimmed; with a heredoc, its lines follow after a `\n`.
        text: String,
    },
}

/// A line the parser cannot read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    /// The 1-based line the problem is on (for an unclosed heredoc, the line it started on).
    pub line: usize,
    /// What is wrong and what was expected instead.
    pub message: String,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ScriptError {}

/// Reads a script one line at a time, so the interactive console can show a continuation
/// prompt while a heredoc is open and report errors as they are typed.
#[derive(Debug, Default)]
pub struct ScriptParser {
    /// How many lines have been fed, so every item and error carries its line number.
    line: usize,
    /// The heredoc being read, if a line opened one and its terminator has not come yet.
    heredoc: Option<Heredoc>,
}

/// A heredoc that has been opened and not yet closed.
#[derive(Debug)]
struct Heredoc {
    /// The terminator: a line exactly equal to it ends the heredoc.
    word: String,
    /// The line that opened it, reported for the item and for an unclosed heredoc.
    start: usize,
    /// The opening line without its marker, trimmed.
    head: String,
    /// Whether the opening line was a command (else a chat message).
    command: bool,
    /// The text lines so far, exactly as given.
    lines: Vec<String>,
}

impl ScriptParser {
    /// A parser at the start of a script.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the next line (with or without its line ending). Returns the item it completes,
    /// or `None` for a comment, a blank line, or a line inside (or opening) a heredoc. After an
    /// error the parser is ready for the next line, so an interactive session goes on.
    pub fn feed(&mut self, line: &str) -> Result<Option<ScriptItem>, ScriptError> {
        self.line += 1;
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        // Control characters never get further than here: not into a command, a name, a
        // heredoc or an error message (the desk removes them from requests too).
        let line = strip_controls(line);
        let line: &str = &line;

        if let Some(heredoc) = &mut self.heredoc {
            if line != heredoc.word {
                heredoc.lines.push(line.to_string());
                return Ok(None);
            }
            let heredoc = self.heredoc.take().expect("a heredoc is open");
            let body = heredoc.lines.join("\n");
            return Ok(Some(if heredoc.command {
                ScriptItem::Command {
                    line: heredoc.start,
                    text: heredoc.head,
                    body: Some(body),
                }
            } else {
                let text = if heredoc.head.is_empty() {
                    body
                } else {
                    format!("{}\n{body}", heredoc.head)
                };
                ScriptItem::Say {
                    line: heredoc.start,
                    text,
                }
            }));
        }

        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return Ok(None);
        }
        if let Some(directive) = directive_name(trimmed) {
            return self.directive(directive, trimmed[1 + directive.len()..].trim());
        }

        let command = self.is_command(trimmed)?;
        let (head, word) = self.heredoc_marker(trimmed)?;
        if let Some(word) = word {
            self.heredoc = Some(Heredoc {
                word: word.to_string(),
                start: self.line,
                head: head.to_string(),
                command,
                lines: Vec::new(),
            });
            return Ok(None);
        }
        let text = head.to_string();
        Ok(Some(if command {
            ScriptItem::Command {
                line: self.line,
                text,
                body: None,
            }
        } else {
            ScriptItem::Say {
                line: self.line,
                text,
            }
        }))
    }

    /// The terminator of the heredoc being read, so the console can prompt `EOF> `; `None`
    /// when no heredoc is open.
    pub fn in_heredoc(&self) -> Option<&str> {
        self.heredoc.as_ref().map(|heredoc| heredoc.word.as_str())
    }

    /// The heredoc being typed, if one is open: its opening line and how many lines of
    /// text it has so far.
    pub fn pending(&self) -> Option<(&str, usize)> {
        self.heredoc
            .as_ref()
            .map(|heredoc| (heredoc.head.as_str(), heredoc.lines.len()))
    }

    /// Drops the heredoc being typed, if any, and its text; the next line is read as a new
    /// line of the script (line numbers go on).
    pub fn cancel(&mut self) {
        self.heredoc = None;
    }

    /// Ends the script: an error if a heredoc is still open.
    pub fn finish(self) -> Result<(), ScriptError> {
        match self.heredoc {
            Some(heredoc) => Err(ScriptError {
                line: heredoc.start,
                message: format!(
                    "the heredoc started on line {} (<<{}) is never closed: end it with a line that is exactly {}",
                    heredoc.start, heredoc.word, heredoc.word
                ),
            }),
            None => Ok(()),
        }
    }

    fn error(&self, message: String) -> ScriptError {
        ScriptError {
            line: self.line,
            message,
        }
    }

    /// `:as …` and `:in …`; `name` is the directive's word, `rest` what follows, trimmed.
    fn directive(&self, name: &str, rest: &str) -> Result<Option<ScriptItem>, ScriptError> {
        let line = self.line;
        match name.to_ascii_lowercase().as_str() {
            "as" => {
                let user = rest.strip_prefix('@').unwrap_or(rest).trim();
                if user.is_empty() {
                    return Err(self.error(
                        ":as needs a user name, like :as alice".to_string(),
                    ));
                }
                Ok(Some(ScriptItem::As {
                    line,
                    user: user.to_string(),
                }))
            }
            "in" => {
                let (channel, thread) = match rest.split_once(['›', '>']) {
                    Some((channel, thread)) => (channel.trim(), Some(thread.trim())),
                    None => (rest, None),
                };
                let channel = channel.strip_prefix('#').unwrap_or(channel);
                if channel.is_empty() || channel.contains(char::is_whitespace) {
                    return Err(self.error(format!(
                        ":in needs one channel name, then optionally › and a thread: :in #newsroom, :in #newsroom › body or :in #newsroom › sources (got {rest:?})"
                    )));
                }
                if thread.is_some_and(str::is_empty) {
                    return Err(self.error(format!(
                        ":in #{channel} › needs a thread after the ›: a section such as body, or sources"
                    )));
                }
                Ok(Some(ScriptItem::In {
                    line,
                    channel: channel.to_string(),
                    thread: thread.map(str::to_string),
                }))
            }
            "clock" => {
                let to = match rest.strip_prefix('+') {
                    Some(span) => crate::text::when::parse_span(span).map(ClockMove::By),
                    None => rest
                        .parse::<jiff::Timestamp>()
                        .ok()
                        .map(|t| ClockMove::To(crate::model::Timestamp(t.as_millisecond()))),
                };
                match to {
                    Some(to) => Ok(Some(ScriptItem::Clock { line, to })),
                    None => Err(self.error(format!(
                        ":clock needs +SPAN or a time: :clock +2h, :clock +1d, :clock +30m or :clock 2026-12-06T17:00Z (got {rest:?})"
                    ))),
                }
            }
            _ => Err(self.error(format!(
                "unknown directive :{name}; the directives are :as NAME (act as a user), :in #channel or :in #channel › thread (go somewhere) and :clock +2h or :clock 2026-12-06T17:00Z (move the clock)"
            ))),
        }
    }

    /// Whether a (trimmed, non-empty) line is a `/story` command. A line that starts with
    /// `/` and another word is an error rather than a chat message, since it was surely
    /// meant as a command.
    fn is_command(&self, line: &str) -> Result<bool, ScriptError> {
        let first = line.split_whitespace().next().unwrap_or_default();
        let Some(word) = first.strip_prefix('/') else {
            return Ok(false);
        };
        if word.eq_ignore_ascii_case("story") {
            return Ok(true);
        }
        if !word.is_empty()
            && word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(self.error(format!(
                "unknown command /{word}; the console knows /story (try /story help)"
            )));
        }
        Ok(false)
    }

    /// Splits a trailing `<<WORD` marker off a (trimmed) line: the rest, trimmed, and the
    /// word. Only a last whitespace-separated token counts, so `<<` elsewhere is text; a last
    /// token that starts with `<<` but is not a valid word is an error.
    fn heredoc_marker<'l>(&self, line: &'l str) -> Result<(&'l str, Option<&'l str>), ScriptError> {
        let start = line
            .rfind(char::is_whitespace)
            .map(|index| index + line[index..].chars().next().map_or(1, char::len_utf8))
            .unwrap_or(0);
        let Some(word) = line[start..].strip_prefix("<<") else {
            return Ok((line, None));
        };
        if word.is_empty() {
            return Ok((line, None));
        }
        if !word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(self.error(format!(
                "a heredoc is opened with <<WORD at the end of the line, WORD made of letters, digits and _ (like <<EOF); got <<{word}"
            )));
        }
        Ok((line[..start].trim_end(), Some(word)))
    }
}

/// The word of a directive line (`:as alice` → `as`): a `:` followed by letters, then
/// whitespace or the end. `:)` and `:-D` are not directives, just chat.
fn directive_name(line: &str) -> Option<&str> {
    let rest = line.strip_prefix(':')?;
    let end = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let after = &rest[end..];
    (end > 0 && (after.is_empty() || after.starts_with(char::is_whitespace))).then(|| &rest[..end])
}

/// Parses a whole script (`\n` or `\r\n` line endings).
pub fn parse_script(src: &str) -> Result<Vec<ScriptItem>, ScriptError> {
    let mut parser = ScriptParser::new();
    let mut items = Vec::new();
    for line in src.lines() {
        if let Some(item) = parser.feed(line)? {
            items.push(item);
        }
    }
    parser.finish()?;
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(line: usize, text: &str, body: Option<&str>) -> ScriptItem {
        ScriptItem::Command {
            line,
            text: text.to_string(),
            body: body.map(str::to_string),
        }
    }

    fn say(line: usize, text: &str) -> ScriptItem {
        ScriptItem::Say {
            line,
            text: text.to_string(),
        }
    }

    fn as_user(line: usize, user: &str) -> ScriptItem {
        ScriptItem::As {
            line,
            user: user.to_string(),
        }
    }

    fn in_channel(line: usize, channel: &str, thread: Option<&str>) -> ScriptItem {
        ScriptItem::In {
            line,
            channel: channel.to_string(),
            thread: thread.map(str::to_string),
        }
    }

    fn error(src: &str) -> ScriptError {
        parse_script(src).expect_err("the script should be refused")
    }

    #[test]
    fn a_newsroom_script() {
        let src = "\
# A story from the tip to the board.
:as alice
:in #newsroom

/story new title:\"Meta scrambles over DeepSeek\"
:in #newsroom › sources
A forum post says Meta set up four war rooms.
:in #newsroom
/story source add label:\"forum post\" <<EOF
Meta engineers are moving frantically.
EOF
:as @bob
/story claim body
";
        assert_eq!(
            parse_script(src).unwrap(),
            vec![
                as_user(2, "alice"),
                in_channel(3, "newsroom", None),
                command(5, "/story new title:\"Meta scrambles over DeepSeek\"", None),
                in_channel(6, "newsroom", Some("sources")),
                say(7, "A forum post says Meta set up four war rooms."),
                in_channel(8, "newsroom", None),
                command(
                    9,
                    "/story source add label:\"forum post\"",
                    Some("Meta engineers are moving frantically.")
                ),
                as_user(12, "bob"),
                command(13, "/story claim body", None),
            ]
        );
    }

    #[test]
    fn a_heredoc_body_is_kept_exactly() {
        let src = "\
/story write body <<EOF
# not a comment

/story not a command
  indented, with trailing spaces  
:as nobody
EOF
/story status
";
        assert_eq!(
            parse_script(src).unwrap(),
            vec![
                command(
                    1,
                    "/story write body",
                    Some("# not a comment\n\n/story not a command\n  indented, with trailing spaces  \n:as nobody")
                ),
                command(8, "/story status", None),
            ]
        );
    }

    #[test]
    fn the_terminator_must_be_exact() {
        let src = "/story write body <<END\n END\nEND \nend\nENDING\nEND\n";
        assert_eq!(
            parse_script(src).unwrap(),
            vec![command(
                1,
                "/story write body",
                Some(" END\nEND \nend\nENDING")
            )]
        );
    }

    #[test]
    fn an_empty_heredoc_is_empty_text() {
        assert_eq!(
            parse_script("/story write body <<EOF\nEOF\n").unwrap(),
            vec![command(1, "/story write body", Some(""))]
        );
        assert_eq!(
            parse_script("/story write body <<EOF\n\nEOF\n").unwrap(),
            vec![command(1, "/story write body", Some(""))]
        );
        assert_eq!(
            parse_script("/story write body <<EOF\n\n\nEOF\n").unwrap(),
            vec![command(1, "/story write body", Some("\n"))]
        );
    }

    #[test]
    fn windows_line_endings() {
        let src =
            ":as alice\r\n/story write body <<EOF\r\nline one\r\n\r\nline two\r\nEOF\r\n# done\r\n";
        assert_eq!(
            parse_script(src).unwrap(),
            vec![
                as_user(1, "alice"),
                command(2, "/story write body", Some("line one\n\nline two")),
            ]
        );
    }

    #[test]
    fn an_unterminated_heredoc() {
        let err = error("/story status\n/story write body <<EOF\ntext\nmore\n");
        assert_eq!(err.line, 2);
        assert_eq!(
            err.to_string(),
            "line 2: the heredoc started on line 2 (<<EOF) is never closed: end it with a line that is exactly EOF"
        );
    }

    #[test]
    fn only_a_trailing_marker_opens_a_heredoc() {
        assert_eq!(
            parse_script("/story new title:\"a <<EOF b\"\n").unwrap(),
            vec![command(1, "/story new title:\"a <<EOF b\"", None)]
        );
        assert_eq!(
            parse_script("/story new title:\"x<<EOF\"\n").unwrap(),
            vec![command(1, "/story new title:\"x<<EOF\"", None)]
        );
        assert_eq!(
            parse_script("/story new a << b <<\n").unwrap(),
            vec![command(1, "/story new a << b <<", None)]
        );
        assert_eq!(
            parse_script("/story new body<<EOF\n").unwrap(),
            vec![command(1, "/story new body<<EOF", None)]
        );
        assert_eq!(
            parse_script("/story write body <<EOF   \nx\nEOF\n").unwrap(),
            vec![command(1, "/story write body", Some("x"))]
        );
    }

    #[test]
    fn a_bad_heredoc_word_is_an_error() {
        let err = error("/story write body <<'EOF'\n");
        assert_eq!(err.line, 1);
        assert_eq!(
            err.message,
            "a heredoc is opened with <<WORD at the end of the line, WORD made of letters, digits and _ (like <<EOF); got <<'EOF'"
        );
        assert!(error("/story write body <<-EOF\n")
            .message
            .contains("got <<-EOF"));
    }

    #[test]
    fn a_chat_message_may_have_a_heredoc() {
        let src = "Here is the memo: <<MEMO\nTo all staff:\n\nWar rooms.\nMEMO\n<<X\nonly\nX\n";
        assert_eq!(
            parse_script(src).unwrap(),
            vec![
                say(1, "Here is the memo:\nTo all staff:\n\nWar rooms."),
                say(6, "only"),
            ]
        );
    }

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        assert_eq!(parse_script("# one\n\n   \n  # two\n\t\n").unwrap(), vec![]);
    }

    #[test]
    fn plain_lines_are_chat() {
        assert_eq!(
            parse_script("  hello there  \n:) nice\n/r/rust says so\n").unwrap(),
            vec![
                say(1, "hello there"),
                say(2, ":) nice"),
                say(3, "/r/rust says so"),
            ]
        );
    }

    #[test]
    fn the_command_word_is_case_insensitive_and_may_stand_alone() {
        assert_eq!(
            parse_script("/Story help\n/story\n").unwrap(),
            vec![command(1, "/Story help", None), command(2, "/story", None)]
        );
    }

    #[test]
    fn other_slash_commands_are_errors() {
        let err = error("/storx new\n");
        assert_eq!(
            err,
            ScriptError {
                line: 1,
                message: "unknown command /storx; the console knows /story (try /story help)"
                    .to_string()
            }
        );
        assert_eq!(error("# c\n/giphy cat\n").line, 2);
    }

    #[test]
    fn as_switches_the_user() {
        assert_eq!(
            parse_script(":as alice\n:as   @bob  \n:AS Carol Smith\n").unwrap(),
            vec![
                as_user(1, "alice"),
                as_user(2, "bob"),
                as_user(3, "Carol Smith"),
            ]
        );
        let err = error(":as\n");
        assert_eq!(err.message, ":as needs a user name, like :as alice");
        assert_eq!(error(":as @\n").line, 1);
    }

    #[test]
    fn in_switches_the_place() {
        let src = ":in #newsroom\n:in newsroom › body\n:in #newsroom>intro\n:in #newsroom >  sources \n:in #newsroom › the body\n";
        assert_eq!(
            parse_script(src).unwrap(),
            vec![
                in_channel(1, "newsroom", None),
                in_channel(2, "newsroom", Some("body")),
                in_channel(3, "newsroom", Some("intro")),
                in_channel(4, "newsroom", Some("sources")),
                in_channel(5, "newsroom", Some("the body")),
            ]
        );
    }

    #[test]
    fn in_needs_a_channel() {
        for bad in [
            ":in",
            ":in #",
            ":in # › body",
            ":in news room",
            ":in › body",
        ] {
            let err = error(&format!("{bad}\n"));
            assert!(
                err.message.starts_with(":in needs one channel name"),
                "{bad}: {err}"
            );
        }
        assert_eq!(
            error(":in #newsroom ›\n").message,
            ":in #newsroom › needs a thread after the ›: a section such as body, or sources"
        );
    }

    #[test]
    fn unknown_directives_list_the_known_ones() {
        let err = error("/story status\n:go #newsroom\n");
        assert_eq!(
            err.to_string(),
            "line 2: unknown directive :go; the directives are :as NAME (act as a user), :in #channel or :in #channel › thread (go somewhere) and :clock +2h or :clock 2026-12-06T17:00Z (move the clock)"
        );
    }

    #[test]
    fn feeding_line_by_line() {
        let mut parser = ScriptParser::new();
        assert_eq!(parser.in_heredoc(), None);
        assert_eq!(parser.feed(":as alice\n"), Ok(Some(as_user(1, "alice"))));
        assert_eq!(parser.feed("/story write body <<EOF"), Ok(None));
        assert_eq!(parser.in_heredoc(), Some("EOF"));
        assert_eq!(parser.feed("text"), Ok(None));
        assert_eq!(parser.in_heredoc(), Some("EOF"));
        assert_eq!(
            parser.feed("EOF\r\n"),
            Ok(Some(command(2, "/story write body", Some("text"))))
        );
        assert_eq!(parser.in_heredoc(), None);
        assert_eq!(parser.finish(), Ok(()));
    }

    #[test]
    fn the_parser_goes_on_after_an_error() {
        let mut parser = ScriptParser::new();
        assert_eq!(parser.feed(":nope").unwrap_err().line, 1);
        assert_eq!(
            parser.feed("/story status"),
            Ok(Some(command(2, "/story status", None)))
        );
    }

    #[test]
    fn finish_reports_an_open_heredoc() {
        let mut parser = ScriptParser::new();
        parser.feed("").unwrap();
        parser.feed("notes <<END").unwrap();
        let err = parser.finish().unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("(<<END)"));
        assert!(err.message.contains("exactly END"));
    }
}
