//! The command-text parser: `/story new title:"Meta scrambles over DeepSeek"` → an
//! [`Invocation`] of `new` with `title` set, checked against the catalogue.
//!
//! Pure: text in, value out. Slack slash commands, Discord messages and the console all come
//! through here, so the syntax is the same everywhere. Errors are [`ParseError`] values; the
//! words shown to users are written in the messages module, not here.

use std::collections::BTreeMap;

use crate::catalogue::{Catalogue, Subcommand};

/// A command as typed, resolved against the catalogue: which subcommand, with which options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The subcommand's catalogue name (`source add`), whatever case it was typed in.
    pub subcommand: String,
    /// Option name → checked, normalised value (see [`crate::catalogue::OptionSpec::accept`]),
    /// including catalogue defaults for options left out. Sorted, so tests and logs are
    /// stable.
    pub options: BTreeMap<String, String>,
}

impl Invocation {
    /// The value of an option, if it was given or has a default.
    pub fn get(&self, option: &str) -> Option<&str> {
        self.options.get(option).map(String::as_str)
    }
}

/// Why a command's text could not be parsed. A value, not a message: the messages module
/// turns it into the reply ("unknown subcommand `aprove`; did you mean `approve`?").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Nothing after `/story`; the reply is the help overview.
    Empty,
    /// The first word (or two) names no subcommand.
    UnknownSubcommand {
        /// The words as typed, to quote back.
        given: String,
        /// The closest subcommand's name, when one is close enough to be a likely typo.
        suggestion: Option<String>,
    },
    /// `name:value` where `name` is close to, but not, one of the subcommand's options.
    UnknownOption {
        /// The subcommand's catalogue name, so the reply can list its options.
        subcommand: String,
        /// The option name as typed.
        given: String,
        /// The option it is closest to.
        suggestion: Option<String>,
    },
    /// A required option was not given (the first one missing, in catalogue order).
    MissingOption {
        /// The subcommand's catalogue name, so the reply can show its usage.
        subcommand: String,
        /// The missing option's name.
        option: String,
    },
    /// The same option was given twice.
    DuplicateOption {
        /// The option's name.
        option: String,
    },
    /// An option's value does not fit its kind.
    BadValue {
        /// The option's name.
        option: String,
        /// The value as typed (without its quotes).
        value: String,
        /// What was expected, in words: "a whole number", "true or false", "one of apa, mla,
        /// chicago", "a date YYYY-MM-DD, YYYY-MM or YYYY".
        expected: String,
    },
    /// `name: value`: a space after the colon leaves the option without its value.
    SpaceAfterColon {
        /// The option's name.
        option: String,
    },
    /// `name :value`: a space before the colon makes the name and the value plain text.
    SpaceBeforeColon {
        /// The option's name.
        option: String,
    },
    /// A quote was opened and never closed.
    UnterminatedQuote,
    /// Text without an option name, where the subcommand has no option to take it (or that
    /// option was also given by name).
    UnexpectedText {
        /// The subcommand's catalogue name.
        subcommand: String,
        /// The text, as collected.
        text: String,
    },
}

/// Parses the text of a `/story` command against the catalogue.
///
/// The rules:
///
/// - A leading `/story` or `story` (any case) is optional; surrounding whitespace is ignored.
/// - The subcommand is the longest catalogue name matching the first one or two words, in any
///   case (`Source Add` is `source add`). Otherwise [`ParseError::UnknownSubcommand`], with a
///   suggestion when a name is a likely typo (`aprove` → `approve`, `sorce add` →
///   `source add`), when the first word names a group (`source` → `source list`, the member
///   that runs with nothing more), or when it is the unique start of a name (`pub` →
///   `publish`).
/// - Options are `name:value` or `name:"quoted value"`, with no space after the colon (nor
///   before it: [`ParseError::SpaceAfterColon`], [`ParseError::SpaceBeforeColon`]). The
///   value runs to the next whitespace, so `url:https://a.b/c?d=e` keeps every colon. Quotes
///   may be straight (`"…"`) or curly (`“…”`, as Slack and autocorrect produce); inside them
///   `\"` (or `\“`, `\”`) is a literal quote. Option names match in any case.
/// - Other text is bare: the words are joined with single spaces (a quoted piece keeps its
///   own spacing) and become the value of [`Subcommand::bare_option`]:
///   `/story new Meta scrambles over DeepSeek` sets `title`. If that option was also given by
///   name, or the subcommand has no options, it is [`ParseError::UnexpectedText`].
/// - `prefix:…` where `prefix` is not one of the subcommand's options is an unknown option
///   only when `prefix` is a likely typo of one: within edit distance 1 of an option name of
///   up to five letters, or 2 of a longer one (`titel:` → `title`). Otherwise it is ordinary
///   bare text, so `Breaking: Meta falls` or `https://…` in a title stays text.
/// - Each value is checked and normalised by its option's kind
///   ([`crate::catalogue::OptionSpec::accept`]); defaults fill options left out; the first
///   required option still missing is [`ParseError::MissingOption`].
///
/// Errors are reported in that order: subcommand, quotes, then options from left to right,
/// then bare text, then missing options.
pub fn parse(catalogue: &Catalogue, text: &str) -> Result<Invocation, ParseError> {
    let rest = strip_command_name(text.trim(), &catalogue.name);
    let (sub, rest) = find_subcommand(catalogue, rest)?;
    let tokens = tokenise(rest)?;

    let mut options = BTreeMap::new();
    let mut bare: Vec<String> = Vec::new();
    // A space on either side of an option's colon is a slip, not text: `title :"x"` must
    // not become a story titled `title :"x"`.
    for pair in tokens.windows(2) {
        match pair {
            [Token::Named { name, value, raw }, _] if value.is_empty() && raw.ends_with(':') => {
                if let Some(spec) = sub.option(&name.to_ascii_lowercase()) {
                    return Err(ParseError::SpaceAfterColon {
                        option: spec.name.clone(),
                    });
                }
            }
            [Token::Bare(word), Token::Bare(next)] if next.starts_with(':') => {
                if let Some(spec) = sub.option(&word.to_ascii_lowercase()) {
                    return Err(ParseError::SpaceBeforeColon {
                        option: spec.name.clone(),
                    });
                }
            }
            _ => {}
        }
    }
    for token in tokens {
        match token {
            Token::Named { name, value, raw } => {
                let lower = name.to_ascii_lowercase();
                if let Some(spec) = sub.option(&lower) {
                    if options.contains_key(&spec.name) {
                        return Err(ParseError::DuplicateOption {
                            option: spec.name.clone(),
                        });
                    }
                    let normal = spec
                        .accept(&value)
                        .map_err(|expected| ParseError::BadValue {
                            option: spec.name.clone(),
                            value,
                            expected,
                        })?;
                    options.insert(spec.name.clone(), normal);
                } else if let Some((_, option)) =
                    closest(&lower, sub.options.iter().map(|o| o.name.as_str()))
                {
                    return Err(ParseError::UnknownOption {
                        subcommand: sub.name.clone(),
                        given: name.to_string(),
                        suggestion: Some(option.to_string()),
                    });
                } else {
                    bare.push(raw.to_string());
                }
            }
            Token::Bare(text) => bare.push(text),
        }
    }

    if !bare.is_empty() {
        let text = bare.join(" ");
        match sub.bare_option() {
            Some(spec) if !options.contains_key(&spec.name) => {
                let normal = spec
                    .accept(&text)
                    .map_err(|expected| ParseError::BadValue {
                        option: spec.name.clone(),
                        value: text.clone(),
                        expected,
                    })?;
                options.insert(spec.name.clone(), normal);
            }
            _ => {
                return Err(ParseError::UnexpectedText {
                    subcommand: sub.name.clone(),
                    text,
                })
            }
        }
    }

    for spec in &sub.options {
        if let Some(default) = &spec.default {
            options
                .entry(spec.name.clone())
                .or_insert_with(|| default.clone());
        }
    }
    if let Some(missing) = sub
        .options
        .iter()
        .find(|spec| spec.required && !options.contains_key(&spec.name))
    {
        return Err(ParseError::MissingOption {
            subcommand: sub.name.clone(),
            option: missing.name.clone(),
        });
    }

    Ok(Invocation {
        subcommand: sub.name.clone(),
        options,
    })
}

/// An invocation from options a platform already separated (Discord's typed slash-command
/// options, a button's stored values): the same checks as [`parse`] — known subcommand,
/// known options, values of the right kind, defaults, required options present.
pub fn from_options(
    catalogue: &Catalogue,
    subcommand: &str,
    given: &[(String, String)],
) -> Result<Invocation, ParseError> {
    let name = subcommand.trim().to_lowercase();
    let Some(sub) = catalogue.subcommand(&name) else {
        let mut words = name.split_whitespace();
        return Err(match words.next() {
            None => ParseError::Empty,
            Some(first) => unknown_subcommand(catalogue, first, words.next()),
        });
    };
    let mut options = BTreeMap::new();
    for (key, value) in given {
        let lower = key.to_ascii_lowercase();
        let Some(spec) = sub.option(&lower) else {
            return Err(ParseError::UnknownOption {
                subcommand: sub.name.clone(),
                given: key.clone(),
                suggestion: closest(&lower, sub.options.iter().map(|o| o.name.as_str()))
                    .map(|(_, o)| o.to_string()),
            });
        };
        if options.contains_key(&spec.name) {
            return Err(ParseError::DuplicateOption {
                option: spec.name.clone(),
            });
        }
        let normal = spec
            .accept(value)
            .map_err(|expected| ParseError::BadValue {
                option: spec.name.clone(),
                value: value.clone(),
                expected,
            })?;
        options.insert(spec.name.clone(), normal);
    }
    for spec in &sub.options {
        if let Some(default) = &spec.default {
            options
                .entry(spec.name.clone())
                .or_insert_with(|| default.clone());
        }
    }
    if let Some(missing) = sub
        .options
        .iter()
        .find(|spec| spec.required && !options.contains_key(&spec.name))
    {
        return Err(ParseError::MissingOption {
            subcommand: sub.name.clone(),
            option: missing.name.clone(),
        });
    }
    Ok(Invocation {
        subcommand: sub.name.clone(),
        options,
    })
}

/// `/story rest` or `story rest` → `rest`; anything else is returned unchanged.
fn strip_command_name<'t>(text: &'t str, name: &str) -> &'t str {
    let without_slash = text.strip_prefix('/').unwrap_or(text);
    if let Some(head) = without_slash.get(..name.len()) {
        let rest = &without_slash[name.len()..];
        if head.eq_ignore_ascii_case(name)
            && (rest.is_empty() || rest.starts_with(char::is_whitespace))
        {
            return rest;
        }
    }
    text
}

/// The next whitespace-separated word and the text after it.
fn next_word(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start();
    if text.is_empty() {
        return None;
    }
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    Some((&text[..end], &text[end..]))
}

/// The subcommand named by the first one or two words, and the text after them.
fn find_subcommand<'c, 't>(
    catalogue: &'c Catalogue,
    text: &'t str,
) -> Result<(&'c Subcommand, &'t str), ParseError> {
    let Some((first, after_first)) = next_word(text) else {
        return Err(ParseError::Empty);
    };
    let second = next_word(after_first);
    let first_lower = first.to_lowercase();
    if let Some((second, after_second)) = second {
        let two = format!("{first_lower} {}", second.to_lowercase());
        if let Some(sub) = catalogue.subcommand(&two) {
            return Ok((sub, after_second));
        }
    }
    if let Some(sub) = catalogue.subcommand(&first_lower) {
        return Ok((sub, after_first));
    }
    Err(unknown_subcommand(
        catalogue,
        first,
        second.map(|(word, _)| word),
    ))
}

/// The error for words that name no subcommand, with the best suggestion there is.
fn unknown_subcommand(catalogue: &Catalogue, first: &str, second: Option<&str>) -> ParseError {
    let first_lower = first.to_lowercase();
    let both = second.map(|second| format!("{first} {second}"));
    let error = |given: &str, suggestion: Option<&str>| ParseError::UnknownSubcommand {
        given: given.to_string(),
        suggestion: suggestion.map(str::to_string),
    };

    // A typo in a whole name: `aprove`, `sorce add`.
    let mut best: Option<(usize, &str, bool)> = None;
    for sub in &catalogue.subcommands {
        let candidate = if sub.name.contains(' ') {
            both.as_ref().and_then(|both| {
                closest(&both.to_lowercase(), [sub.name.as_str()])
                    .map(|(distance, _)| (distance, sub.name.as_str(), true))
            })
        } else {
            closest(&first_lower, [sub.name.as_str()])
                .map(|(distance, _)| (distance, sub.name.as_str(), false))
        };
        if let Some(candidate) = candidate {
            if best.is_none_or(|(distance, _, _)| candidate.0 < distance) {
                best = Some(candidate);
            }
        }
    }
    if let Some((_, name, used_both)) = best {
        let given = match (&both, used_both) {
            (Some(both), true) => both.as_str(),
            _ => first,
        };
        return error(given, Some(name));
    }

    // A group's word, exact or nearly: `source`, `refs`.
    let groups = group_words(catalogue);
    if let Some((distance, group)) = closest(&first_lower, groups.iter().copied()) {
        let given = match &both {
            Some(both) if distance == 0 => both.as_str(),
            _ => first,
        };
        return error(given, group_default(catalogue, group));
    }

    // The unique start of a name: `pub`, `prev`.
    if first_lower.chars().count() >= 3 {
        let mut starts = catalogue
            .subcommands
            .iter()
            .filter(|sub| !sub.name.contains(' '))
            .map(|sub| sub.name.as_str())
            .chain(groups.iter().copied())
            .filter(|name| name.starts_with(&first_lower));
        if let (Some(name), None) = (starts.next(), starts.next()) {
            let suggestion = if groups.contains(&name) {
                group_default(catalogue, name)
            } else {
                Some(name)
            };
            return error(first, suggestion);
        }
    }
    error(first, None)
}

/// The first words of two-word subcommands (`source`, `ref`), in catalogue order.
fn group_words(catalogue: &Catalogue) -> Vec<&str> {
    let mut groups: Vec<&str> = Vec::new();
    for sub in &catalogue.subcommands {
        if let Some((group, _)) = sub.name.split_once(' ') {
            if !groups.contains(&group) {
                groups.push(group);
            }
        }
    }
    groups
}

/// The member of a group to suggest for its bare word: the first that runs with nothing
/// more (`source list`), else the first.
fn group_default<'c>(catalogue: &'c Catalogue, group: &str) -> Option<&'c str> {
    let prefix = format!("{group} ");
    let mut members = catalogue
        .subcommands
        .iter()
        .filter(|sub| sub.name.starts_with(&prefix));
    let first = members.clone().next();
    members
        .find(|sub| sub.runs_bare())
        .or(first)
        .map(|sub| sub.name.as_str())
}

/// The candidate closest to `given` by Damerau–Levenshtein distance, if it is close enough to
/// be a likely typo: at most 1 edit for a candidate of up to five characters, 2 for a longer
/// one. Ties go to the earlier candidate.
fn closest<'n>(
    given: &str,
    candidates: impl IntoIterator<Item = &'n str>,
) -> Option<(usize, &'n str)> {
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let limit = if candidate.chars().count() <= 5 { 1 } else { 2 };
        let distance = strsim::damerau_levenshtein(given, candidate);
        if distance <= limit && best.is_none_or(|(best, _)| distance < best) {
            best = Some((distance, candidate));
        }
    }
    best
}

/// One piece of the text after the subcommand.
#[derive(Debug, PartialEq, Eq)]
enum Token<'t> {
    /// `name:value` or `name:"value"`; whether `name` is an option is decided later, so the
    /// raw text is kept for when it turns out to be bare text.
    Named {
        /// The name as typed, before the colon.
        name: &'t str,
        /// The value, without its quotes.
        value: String,
        /// The whole token as typed, quotes included.
        raw: &'t str,
    },
    /// A word, or a quoted piece without its quotes.
    Bare(String),
}

/// Splits the text after the subcommand into tokens.
fn tokenise(mut rest: &str) -> Result<Vec<Token<'_>>, ParseError> {
    let mut tokens = Vec::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return Ok(tokens);
        }
        if let Some(open) = opening_quote(rest) {
            let (text, after) = read_quoted(&rest[open.len_utf8()..], open)?;
            tokens.push(Token::Bare(text));
            rest = after;
            continue;
        }
        let name_len = option_name_len(rest);
        if name_len > 0 && rest[name_len..].starts_with(':') {
            let name = &rest[..name_len];
            let value_text = &rest[name_len + 1..];
            let (value, after) = match opening_quote(value_text) {
                Some(open) => read_quoted(&value_text[open.len_utf8()..], open)?,
                None => {
                    let end = value_text
                        .find(char::is_whitespace)
                        .unwrap_or(value_text.len());
                    (value_text[..end].to_string(), &value_text[end..])
                }
            };
            let raw = &rest[..rest.len() - after.len()];
            tokens.push(Token::Named { name, value, raw });
            rest = after;
            continue;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        tokens.push(Token::Bare(rest[..end].to_string()));
        rest = &rest[end..];
    }
}

/// The length of an identifier at the start of `text` (an ASCII letter, then letters, digits,
/// `-` or `_`), or 0 when there is none.
fn option_name_len(text: &str) -> usize {
    if !text.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return 0;
    }
    text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(text.len())
}

/// Straight and curly double quotes.
const QUOTES: [char; 3] = ['"', '\u{201C}', '\u{201D}'];

/// The quote character `text` starts with, if any.
fn opening_quote(text: &str) -> Option<char> {
    text.chars().next().filter(|c| QUOTES.contains(c))
}

/// Whether `c` closes a quote opened with `open`: a straight quote closes a straight one, a
/// curly quote (either way round) a curly one.
fn closes(open: char, c: char) -> bool {
    if open == '"' {
        c == '"'
    } else {
        c == '\u{201C}' || c == '\u{201D}'
    }
}

/// Reads a quoted piece (`text` starts just after the opening quote): its unescaped content
/// and the text after the closing quote.
fn read_quoted(text: &str, open: char) -> Result<(String, &str), ParseError> {
    let mut out = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        if c == '\\' {
            if let Some(&(_, next)) = chars.peek() {
                if QUOTES.contains(&next) {
                    out.push(next);
                    chars.next();
                    continue;
                }
            }
            out.push(c);
        } else if closes(open, c) {
            return Ok((out, &text[index + c.len_utf8()..]));
        } else {
            out.push(c);
        }
    }
    Err(ParseError::UnterminatedQuote)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::catalogue;

    fn ok(text: &str) -> Invocation {
        parse(catalogue(), text).unwrap_or_else(|err| panic!("{text:?} failed: {err:?}"))
    }

    fn err(text: &str) -> ParseError {
        match parse(catalogue(), text) {
            Ok(invocation) => panic!("{text:?} parsed as {invocation:?}"),
            Err(err) => err,
        }
    }

    fn invocation(subcommand: &str, options: &[(&str, &str)]) -> Invocation {
        Invocation {
            subcommand: subcommand.to_string(),
            options: options
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
        }
    }

    fn unknown_subcommand(given: &str, suggestion: Option<&str>) -> ParseError {
        ParseError::UnknownSubcommand {
            given: given.to_string(),
            suggestion: suggestion.map(str::to_string),
        }
    }

    fn bad_value(option: &str, value: &str, expected: &str) -> ParseError {
        ParseError::BadValue {
            option: option.to_string(),
            value: value.to_string(),
            expected: expected.to_string(),
        }
    }

    fn unexpected(subcommand: &str, text: &str) -> ParseError {
        ParseError::UnexpectedText {
            subcommand: subcommand.to_string(),
            text: text.to_string(),
        }
    }

    #[test]
    fn named_option() {
        assert_eq!(
            ok(r#"/story new title:"Meta scrambles over DeepSeek""#),
            invocation("new", &[("title", "Meta scrambles over DeepSeek")])
        );
    }

    #[test]
    fn the_command_name_is_optional() {
        let expected = invocation("status", &[]);
        for text in [
            "/story status",
            "story status",
            "status",
            "  /story   status  ",
            "/STORY Status",
            "\t/story\tstatus\n",
        ] {
            assert_eq!(ok(text), expected, "{text:?}");
        }
    }

    #[test]
    fn nothing_after_the_command_is_empty() {
        for text in ["", "   ", "/story", "story", " /story  ", "/Story"] {
            assert_eq!(err(text), ParseError::Empty, "{text:?}");
        }
    }

    #[test]
    fn a_word_that_only_starts_with_the_command_name_is_not_it() {
        assert_eq!(err("/storybook"), unknown_subcommand("/storybook", None));
        assert_eq!(err("/new title:x"), unknown_subcommand("/new", Some("new")));
    }

    #[test]
    fn subcommands_match_in_any_case_and_prefer_two_words() {
        assert_eq!(ok("/story Source Add"), invocation("source add", &[]));
        assert_eq!(ok("/story SOURCE list"), invocation("source list", &[]));
        assert_eq!(
            ok("/story ref   remove 2"),
            invocation("ref remove", &[("number", "2")])
        );
        assert_eq!(
            ok("/story help source add"),
            invocation("help", &[("command", "source add")])
        );
    }

    #[test]
    fn unknown_subcommands_suggest_a_likely_one() {
        assert_eq!(
            err("/story aprove body"),
            unknown_subcommand("aprove", Some("approve"))
        );
        assert_eq!(
            err("/story pubish"),
            unknown_subcommand("pubish", Some("publish"))
        );
        assert_eq!(
            err("/story sorce add label:x"),
            unknown_subcommand("sorce add", Some("source add"))
        );
        assert_eq!(
            err("/story source ad"),
            unknown_subcommand("source ad", Some("source add"))
        );
        assert_eq!(err("/story Lst"), unknown_subcommand("Lst", Some("list")));
        assert_eq!(
            err("/story nwe Meta"),
            unknown_subcommand("nwe", Some("new"))
        );
        assert_eq!(
            err("/story refs add"),
            unknown_subcommand("refs add", Some("ref add"))
        );
    }

    #[test]
    fn a_group_word_alone_suggests_the_member_that_runs_as_typed() {
        assert_eq!(
            err("/story source"),
            unknown_subcommand("source", Some("source list"))
        );
        assert_eq!(
            err("/story ref"),
            unknown_subcommand("ref", Some("ref list"))
        );
        assert_eq!(
            err("/story refs"),
            unknown_subcommand("refs", Some("ref list"))
        );
        assert_eq!(
            err("/story source nonsense"),
            unknown_subcommand("source nonsense", Some("source list"))
        );
    }

    #[test]
    fn the_start_of_a_name_suggests_it() {
        assert_eq!(
            err("/story pub"),
            unknown_subcommand("pub", Some("publish"))
        );
        assert_eq!(
            err("/story prev"),
            unknown_subcommand("prev", Some("preview"))
        );
        assert_eq!(
            err("/story sou"),
            unknown_subcommand("sou", Some("source list"))
        );
        // Two letters are too few to guess from.
        assert_eq!(err("/story st"), unknown_subcommand("st", None));
        assert_eq!(err("/story che"), unknown_subcommand("che", Some("check")));
    }

    #[test]
    fn garbage_gets_no_suggestion() {
        assert_eq!(err("/story xyz"), unknown_subcommand("xyz", None));
        assert_eq!(err("/story hello world"), unknown_subcommand("hello", None));
        assert_eq!(err("/story 42"), unknown_subcommand("42", None));
        assert_eq!(
            err("/story banana split"),
            unknown_subcommand("banana", None)
        );
    }

    #[test]
    fn bare_text_fills_the_bare_option() {
        assert_eq!(
            ok("/story new Meta scrambles over DeepSeek"),
            invocation("new", &[("title", "Meta scrambles over DeepSeek")])
        );
        assert_eq!(
            ok("/story write body"),
            invocation("write", &[("section", "body")])
        );
        assert_eq!(ok("/story use #3"), invocation("use", &[("story", "#3")]));
        assert_eq!(
            ok("/story use Meta scrambles"),
            invocation("use", &[("story", "Meta scrambles")])
        );
        assert_eq!(
            ok("/story publish #published"),
            invocation("publish", &[("channel", "published")])
        );
        assert_eq!(
            ok("/story source show #2"),
            invocation("source show", &[("number", "2")])
        );
    }

    #[test]
    fn bare_words_are_joined_with_single_spaces_but_quotes_keep_theirs() {
        assert_eq!(
            ok("/story new  Meta \t scrambles   over"),
            invocation("new", &[("title", "Meta scrambles over")])
        );
        assert_eq!(
            ok(r#"/story new "Meta   scrambles" over"#),
            invocation("new", &[("title", "Meta   scrambles over")])
        );
        assert_eq!(
            ok(r#"/story new title:"Meta   scrambles""#),
            invocation("new", &[("title", "Meta   scrambles")])
        );
    }

    #[test]
    fn bare_text_and_named_options_mix() {
        assert_eq!(
            ok(r#"/story changes body note:"fix the figure""#),
            invocation(
                "changes",
                &[("section", "body"), ("note", "fix the figure")]
            )
        );
        assert_eq!(
            ok(r#"/story changes note:"fix the figure" body"#),
            invocation(
                "changes",
                &[("section", "body"), ("note", "fix the figure")]
            )
        );
        assert_eq!(
            ok(r#"/story changes note:"fix the figure""#),
            invocation("changes", &[("note", "fix the figure")])
        );
        assert_eq!(
            ok("/story diff body from:2 to:3"),
            invocation("diff", &[("section", "body"), ("from", "2"), ("to", "3")])
        );
    }

    #[test]
    fn text_that_looks_like_an_option_stays_text() {
        assert_eq!(
            ok("/story new Breaking: Meta falls"),
            invocation("new", &[("title", "Breaking: Meta falls")])
        );
        assert_eq!(
            ok("/story new Meta: the fall"),
            invocation("new", &[("title", "Meta: the fall")])
        );
        assert_eq!(
            ok("/story new See https://example.com/a?b=c at 10:30"),
            invocation(
                "new",
                &[("title", "See https://example.com/a?b=c at 10:30")]
            )
        );
        assert_eq!(
            ok(r#"/story new Update:"quoted" stays"#),
            invocation("new", &[("title", r#"Update:"quoted" stays"#)])
        );
        assert_eq!(
            ok("/story use story:3"),
            invocation("use", &[("story", "3")])
        );
    }

    #[test]
    fn quoted_values_keep_colons() {
        assert_eq!(
            ok(r#"/story new title:"Meta: the fall""#),
            invocation("new", &[("title", "Meta: the fall")])
        );
        assert_eq!(
            ok(r#"/story new "Meta: the fall""#),
            invocation("new", &[("title", "Meta: the fall")])
        );
    }

    #[test]
    fn an_unquoted_value_runs_to_the_next_space_and_keeps_colons() {
        assert_eq!(
            ok("/story ref add author:Reuters date:2025-01-27 title:Meta url:https://a.b/c?d=e"),
            invocation(
                "ref add",
                &[
                    ("author", "Reuters"),
                    ("date", "2025-01-27"),
                    ("title", "Meta"),
                    ("url", "https://a.b/c?d=e"),
                    ("kind", "news"),
                ]
            )
        );
    }

    #[test]
    fn curly_quotes_work_like_straight_ones() {
        assert_eq!(
            ok("/story new title:“Meta scrambles”"),
            invocation("new", &[("title", "Meta scrambles")])
        );
        assert_eq!(
            ok("/story new title:”Meta scrambles”"),
            invocation("new", &[("title", "Meta scrambles")])
        );
        assert_eq!(
            ok("/story changes body note:“say \"no\" here”"),
            invocation(
                "changes",
                &[("section", "body"), ("note", "say \"no\" here")]
            )
        );
        assert_eq!(
            ok("/story new “Meta: the fall”"),
            invocation("new", &[("title", "Meta: the fall")])
        );
    }

    #[test]
    fn a_backslash_escapes_a_quote() {
        assert_eq!(
            ok(r#"/story new title:"say \"hi\" now""#),
            invocation("new", &[("title", r#"say "hi" now"#)])
        );
        assert_eq!(
            ok(r#"/story new title:"C:\temp\ path""#),
            invocation("new", &[("title", r#"C:\temp\ path"#)])
        );
    }

    #[test]
    fn unterminated_quotes() {
        assert_eq!(
            err(r#"/story new title:"Meta scrambles"#),
            ParseError::UnterminatedQuote
        );
        assert_eq!(
            err(r#"/story new "Meta scrambles"#),
            ParseError::UnterminatedQuote
        );
        assert_eq!(err("/story new title:“Meta"), ParseError::UnterminatedQuote);
        assert_eq!(
            err(r#"/story new title:"Meta\""#),
            ParseError::UnterminatedQuote
        );
        // A straight quote does not close a curly one.
        assert_eq!(
            err("/story new title:“Meta\""),
            ParseError::UnterminatedQuote
        );
    }

    #[test]
    fn option_names_match_in_any_case() {
        assert_eq!(
            ok("/story new TITLE:Meta"),
            invocation("new", &[("title", "Meta")])
        );
    }

    #[test]
    fn duplicate_options() {
        assert_eq!(
            err("/story new title:a Title:b"),
            ParseError::DuplicateOption {
                option: "title".to_string()
            }
        );
    }

    #[test]
    fn bare_text_when_the_bare_option_was_named() {
        assert_eq!(
            err("/story new title:Meta scrambles"),
            unexpected("new", "scrambles")
        );
        assert_eq!(
            err("/story changes section:body please fix"),
            unexpected("changes", "please fix")
        );
    }

    #[test]
    fn bare_text_where_no_option_takes_it() {
        assert_eq!(
            err("/story list now please"),
            unexpected("list", "now please")
        );
        assert_eq!(err("/story list user:bob"), unexpected("list", "user:bob"));
    }

    #[test]
    fn likely_typos_of_option_names_are_unknown_options() {
        assert_eq!(
            err("/story new titel:Meta"),
            ParseError::UnknownOption {
                subcommand: "new".to_string(),
                given: "titel".to_string(),
                suggestion: Some("title".to_string()),
            }
        );
        assert_eq!(
            err("/story ref add Autor:Reuters"),
            ParseError::UnknownOption {
                subcommand: "ref add".to_string(),
                given: "Autor".to_string(),
                suggestion: Some("author".to_string()),
            }
        );
        assert_eq!(
            err("/story diff body form:1"),
            ParseError::UnknownOption {
                subcommand: "diff".to_string(),
                given: "form".to_string(),
                suggestion: Some("from".to_string()),
            }
        );
        assert_eq!(
            err("/story changes body notes:x"),
            ParseError::UnknownOption {
                subcommand: "changes".to_string(),
                given: "notes".to_string(),
                suggestion: Some("note".to_string()),
            }
        );
    }

    #[test]
    fn missing_required_options() {
        assert_eq!(
            err("/story new"),
            ParseError::MissingOption {
                subcommand: "new".to_string(),
                option: "title".to_string()
            }
        );
        assert_eq!(
            err("/story assign body"),
            ParseError::MissingOption {
                subcommand: "assign".to_string(),
                option: "user".to_string()
            }
        );
        assert_eq!(
            err("/story changes body"),
            ParseError::MissingOption {
                subcommand: "changes".to_string(),
                option: "note".to_string()
            }
        );
        assert_eq!(
            err("/story ref add author:Reuters date:2025"),
            ParseError::MissingOption {
                subcommand: "ref add".to_string(),
                option: "title".to_string()
            }
        );
    }

    #[test]
    fn optional_options_may_be_left_out() {
        assert_eq!(ok("/story show"), invocation("show", &[]));
        assert_eq!(ok("/story approve"), invocation("approve", &[]));
        assert_eq!(ok("/story publish"), invocation("publish", &[]));
        assert_eq!(ok("/story help"), invocation("help", &[]));
    }

    #[test]
    fn values_are_checked_by_kind() {
        assert_eq!(
            err("/story source show number:two"),
            bad_value("number", "two", "a whole number")
        );
        assert_eq!(
            err("/story source show second one"),
            bad_value("number", "second one", "a whole number")
        );
        assert_eq!(
            err("/story diff body from:-1"),
            bad_value("from", "-1", "a whole number")
        );
        assert_eq!(
            err("/story ref add x date:27.01.2025 title:y"),
            bad_value("date", "27.01.2025", "a date YYYY-MM-DD, YYYY-MM or YYYY")
        );
        assert_eq!(
            err("/story ref add x date:2025 title:y url:www.example.com"),
            bad_value(
                "url",
                "www.example.com",
                "a web address starting with http:// or https://"
            )
        );
        assert_eq!(
            err("/story ref add x date:2025 title:y offline:maybe"),
            bad_value("offline", "maybe", "true or false")
        );
        assert_eq!(
            err("/story ref add x date:2025 title:y kind:blog"),
            bad_value("kind", "blog", "one of news, web, forum")
        );
        assert_eq!(
            err("/story publish style:harvard"),
            bad_value("style", "harvard", "one of apa, mla, chicago")
        );
    }

    #[test]
    fn values_are_normalised_by_kind() {
        assert_eq!(
            ok("/story ref add t author:Li date:2025-01 kind:FORUM offline:Yes"),
            invocation(
                "ref add",
                &[
                    ("author", "Li"),
                    ("date", "2025-01"),
                    ("title", "t"),
                    ("kind", "forum"),
                    ("offline", "true"),
                ]
            )
        );
        assert_eq!(
            ok("/story publish channel:#published style:APA override:\"checked by phone\""),
            invocation(
                "publish",
                &[
                    ("channel", "published"),
                    ("style", "apa"),
                    ("override", "checked by phone")
                ]
            )
        );
        assert_eq!(
            ok("/story assign section:intro user:@bob"),
            invocation("assign", &[("section", "intro"), ("user", "bob")])
        );
        assert_eq!(
            ok("/story ref remove number:#4"),
            invocation("ref remove", &[("number", "4")])
        );
    }

    #[test]
    fn defaults_fill_options_left_out() {
        let invocation = ok("/story ref add t author:a date:2025");
        assert_eq!(invocation.get("kind"), Some("news"));
        assert_eq!(invocation.get("url"), None);
    }

    #[test]
    fn a_space_beside_the_colon_is_named() {
        let after = ParseError::SpaceAfterColon {
            option: "title".into(),
        };
        let before = ParseError::SpaceBeforeColon {
            option: "title".into(),
        };
        assert_eq!(err("/story new title: Meta falls"), after);
        assert_eq!(err(r#"/story new Title: "Meta falls""#), after);
        assert_eq!(err(r#"/story new title :"Meta falls""#), before);
        assert_eq!(err("/story new title : Meta falls"), before);
        // Not an option's name: text with a colon in it.
        assert_eq!(
            ok("/story new Meta: the war rooms"),
            invocation("new", &[("title", "Meta: the war rooms")])
        );
    }

    #[test]
    fn an_empty_value_is_a_bad_value() {
        assert_eq!(err("/story new title:"), bad_value("title", "", "text"));
        assert_eq!(
            err(r#"/story new title:"""#),
            bad_value("title", "", "text")
        );
        assert_eq!(err(r#"/story new """#), bad_value("title", "", "text"));
    }

    #[test]
    fn values_longer_than_the_limit_are_bad() {
        let long = "x".repeat(201);
        assert_eq!(
            err(&format!("/story new {long}")),
            bad_value("title", &long, "text, at most 200 characters")
        );
    }

    #[test]
    fn every_usage_example_parses() {
        for sub in &catalogue().subcommands {
            let invocation = ok(&sub.usage);
            assert_eq!(invocation.subcommand, sub.name);
        }
    }

    #[test]
    fn parses_a_non_ascii_example() {
        assert_eq!(
            ok(r#"/story ref add author:"Li Wei" date:2025-01-28 title:"深度求索震动硅谷" translated:"DeepSeek shakes Silicon Valley""#).get("title"),
            Some("深度求索震动硅谷")
        );
    }

    #[test]
    fn tokens() {
        assert_eq!(
            tokenise(r#" a b:c d:"e f" "g h" 9:30 -x:y"#).unwrap(),
            vec![
                Token::Bare("a".to_string()),
                Token::Named {
                    name: "b",
                    value: "c".to_string(),
                    raw: "b:c"
                },
                Token::Named {
                    name: "d",
                    value: "e f".to_string(),
                    raw: r#"d:"e f""#
                },
                Token::Bare("g h".to_string()),
                Token::Bare("9:30".to_string()),
                Token::Bare("-x:y".to_string()),
            ]
        );
    }
}
