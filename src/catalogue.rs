//! The catalogue of the `/story` command: every subcommand and option, read from
//! `commands/story.toml`.
//!
//! The file is embedded at build time and parsed once, on first use, by [`catalogue`]. Discord
//! registration, the Slack manifest, help text and the text parser ([`crate::command::parse`])
//! all read this one description, so a command cannot exist on one platform and not another.
//!
//! Loading also checks the rules the platforms impose (Discord's name and length limits,
//! required options before optional ones) and the catalogue's own consistency (unique names,
//! choices for choice options, valid defaults). A broken catalogue is a programming error: it
//! panics at first use with the reason, and the unit tests below load it, so it never ships.

use std::fmt;
use std::sync::OnceLock;

use serde::Deserialize;

/// The catalogue's source, embedded so the binary needs no files at run time.
const SOURCE: &str = include_str!("../commands/story.toml");

/// Discord's limit on command, option and choice descriptions, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 100;

/// Discord's limit on a modal text field's label, in characters.
pub const MAX_LONG_TEXT_LABEL_CHARS: usize = 45;

/// Discord's limit on subcommands (and subcommand groups) under one command, and on options
/// under one subcommand.
pub const MAX_ENTRIES: usize = 25;

/// The one command, `/story`, with all its subcommands.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// The command as typed after the slash (`story`); the parser strips `/story` with it.
    pub name: String,
    /// What the command is for, shown by Discord and Slack next to the command.
    pub description: String,
    /// Every subcommand, in the order help lists them.
    #[serde(rename = "subcommand", default)]
    pub subcommands: Vec<Subcommand>,
}

/// One subcommand of `/story`, such as `new` or `source add`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subcommand {
    /// The subcommand as typed: one word (`new`) or two (`source add`, which Discord shows as
    /// a subcommand group `source` with a subcommand `add`).
    pub name: String,
    /// The heading help lists it under, so related subcommands are shown together.
    pub group: String,
    /// One line saying what it does; at most 100 characters, Discord's limit.
    pub description: String,
    /// An example line, starting with `/story`, shown by help.
    pub usage: String,
    /// The options it takes, in the order Discord shows them (required ones first).
    #[serde(rename = "option", default)]
    pub options: Vec<OptionSpec>,
    /// Text too long for an option (a source, a section), which comes from a modal, a
    /// heredoc or a file; `None` when the subcommand takes none.
    #[serde(default)]
    pub long_text: Option<LongText>,
    /// Whether only editors (config `[roles] editors`) may use it, so help can say so.
    #[serde(default)]
    pub editors_only: bool,
}

/// One option of a subcommand, typed `name:value`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionSpec {
    /// The option's name, a valid Discord option name (lowercase, `[a-z0-9_-]`, 1–32 chars).
    pub name: String,
    /// What the value is: decides how the parser checks it and which input Discord shows.
    pub kind: OptionKind,
    /// Whether the subcommand refuses to run without it.
    pub required: bool,
    /// One line saying what it is for; at most 100 characters, Discord's limit.
    pub description: String,
    /// The allowed values of a [`OptionKind::Choice`] option, in the spelling stored and
    /// shown; empty for every other kind.
    #[serde(default)]
    pub choices: Vec<String>,
    /// The longest value accepted, in characters, so a title cannot swallow a whole source;
    /// `None` for no limit beyond the platform's.
    #[serde(default)]
    pub max_length: Option<u32>,
    /// The value used when the option is left out; only for optional options.
    #[serde(default)]
    pub default: Option<String>,
    /// Whether text typed without an option name goes to this option, overriding the usual
    /// rule (see [`Subcommand::bare_option`]).
    #[serde(default)]
    pub bare: bool,
    /// More about the option than one line can say (which value to choose, and why),
    /// shown under it by `/story help command:…`; Discord never shows it, so it has no
    /// length limit.
    #[serde(default)]
    pub help: Option<String>,
}

/// What an option's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptionKind {
    /// Any text.
    String,
    /// A whole number (`u32`); `#3` is accepted for `3`.
    Integer,
    /// `true` or `false` (`yes` and `no` accepted).
    Boolean,
    /// A section name from the story's template, or an alias; resolved by the desk.
    Section,
    /// A person; leading `@` signs are dropped.
    User,
    /// A channel; leading `#` signs are dropped.
    Channel,
    /// One of the option's `choices`, matched in any case.
    Choice,
    /// A date in the shape `YYYY-MM-DD`, `YYYY-MM` or `YYYY`; the calendar is checked later.
    Date,
    /// A web address starting with `http://` or `https://`.
    Url,
    /// A story: its number (`3`, `#3`) or its title; resolved by the desk.
    Story,
}

/// Long text a subcommand takes from a modal, a heredoc or a file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongText {
    /// The modal field's label (at most 45 characters, Discord's limit), also used by help.
    pub label: String,
    /// Whether the subcommand refuses to run without the text.
    pub required: bool,
    /// The longest text accepted, in characters; `None` when only the platform's own limits
    /// (and the config's `[limits]`) apply.
    #[serde(default)]
    pub max_chars: Option<u32>,
}

/// Why a catalogue could not be loaded: a mistake in `commands/story.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueError {
    /// What is wrong and where, for the developer who edits the file.
    pub message: String,
}

impl fmt::Display for CatalogueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CatalogueError {}

/// The `/story` catalogue, parsed from the embedded `commands/story.toml` on first use.
///
/// # Panics
///
/// At first use, if the embedded catalogue is broken; the message says what is wrong. The
/// unit tests load it, so a broken catalogue fails `cargo test` first.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| match Catalogue::from_toml(SOURCE) {
        Ok(catalogue) => catalogue,
        Err(err) => panic!("commands/story.toml is broken: {err}"),
    })
}

impl Catalogue {
    /// Parses and checks a catalogue. [`catalogue`] uses it on the embedded file; tests use it
    /// on broken examples.
    pub fn from_toml(source: &str) -> Result<Catalogue, CatalogueError> {
        let catalogue: Catalogue = toml::from_str(source).map_err(|err| CatalogueError {
            message: err.to_string(),
        })?;
        catalogue.validate()?;
        Ok(catalogue)
    }

    /// The subcommand with this exact (lowercase, single-spaced) name.
    pub fn subcommand(&self, name: &str) -> Option<&Subcommand> {
        self.subcommands.iter().find(|sub| sub.name == name)
    }

    /// Every subcommand's name, in catalogue order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.subcommands.iter().map(|sub| sub.name.as_str())
    }

    /// The overview `/story help` shows: every subcommand with its example and description,
    /// under its group's heading.
    pub fn help_text(&self) -> String {
        let mut groups: Vec<&str> = Vec::new();
        for sub in &self.subcommands {
            if !groups.contains(&sub.group.as_str()) {
                groups.push(&sub.group);
            }
        }
        let mut out = format!("/{}: {}\n", self.name, self.description);
        for group in groups {
            out.push('\n');
            out.push_str(group);
            out.push('\n');
            for sub in self.subcommands.iter().filter(|sub| sub.group == group) {
                out.push_str(&format!("  {}\n      {}\n", sub.usage, sub.description));
            }
        }
        out.push_str(&format!(
            "\nFor one command in detail: /{0} help write, or /{0} help ref add.",
            self.name
        ));
        out
    }

    /// The help for one subcommand: what it does, its synopsis and example, every option
    /// with whether it is required, what it takes and its default, and its long text.
    /// `None` when there is no such subcommand.
    pub fn subcommand_help(&self, name: &str) -> Option<String> {
        let sub = self.subcommand(name)?;
        let mut out = format!("/{} {}: {}\n", self.name, sub.name, sub.description);
        out.push_str(&format!("Usage: {}\n", self.synopsis(sub)));
        out.push_str(&format!("Example: {}\n", sub.usage));
        if !sub.options.is_empty() {
            out.push_str("Options:\n");
            for option in &sub.options {
                let need = if option.required {
                    "required"
                } else {
                    "optional"
                };
                let mut takes = option.expected();
                if let Some(default) = &option.default {
                    takes.push_str(&format!("; default {default}"));
                }
                out.push_str(&format!(
                    "  {} ({need}, {takes}): {}\n",
                    option.name, option.description
                ));
                if let Some(help) = &option.help {
                    out.push_str(&format!("      {}\n", help.trim()));
                }
            }
        }
        if let Some(bare) = sub.bare_option() {
            out.push_str(&format!(
                "Text without an option name is taken as {}.\n",
                bare.name
            ));
        }
        if let Some(long) = &sub.long_text {
            let need = if long.required {
                "required"
            } else {
                "optional"
            };
            out.push_str(&format!(
                "Then: {} ({need}), typed into the box that opens, or given as a heredoc in the console.\n",
                long.label
            ));
        }
        if sub.editors_only {
            out.push_str("Only editors can use it.\n");
        }
        Some(out.trim_end().to_string())
    }

    /// `/story ref add author:… date:… [url:…]`: the subcommand's shape, from its options.
    fn synopsis(&self, sub: &Subcommand) -> String {
        let mut out = format!("/{} {}", self.name, sub.name);
        for option in &sub.options {
            if option.required {
                out.push_str(&format!(" {}:…", option.name));
            } else {
                out.push_str(&format!(" [{}:…]", option.name));
            }
        }
        out
    }

    /// Checks everything serde cannot: platform limits and internal consistency.
    fn validate(&self) -> Result<(), CatalogueError> {
        let fail = |message: String| Err(CatalogueError { message });
        if !is_discord_name(&self.name) {
            return fail(format!(
                "command name {:?} is not a valid Discord name (lowercase a-z, 0-9, - or _, 1 to 32 characters)",
                self.name
            ));
        }
        check_description("the command", &self.description)?;
        if self.subcommands.is_empty() {
            return fail("the catalogue has no [[subcommand]]".to_string());
        }
        let mut top_level: Vec<&str> = Vec::new();
        for (index, sub) in self.subcommands.iter().enumerate() {
            let words: Vec<&str> = sub.name.split(' ').collect();
            if words.len() > 2 || !words.iter().all(|word| is_discord_name(word)) {
                return fail(format!(
                    "subcommand name {:?} must be one or two words of lowercase a-z, 0-9, - or _ (1 to 32 characters each), separated by one space",
                    sub.name
                ));
            }
            if self.subcommands[..index].iter().any(|s| s.name == sub.name) {
                return fail(format!("subcommand {:?} is listed twice", sub.name));
            }
            if !top_level.contains(&words[0]) {
                top_level.push(words[0]);
            }
            sub.validate(&self.name)?;
        }
        if top_level.len() > MAX_ENTRIES {
            return fail(format!(
                "{} top-level subcommands and groups; Discord allows at most {MAX_ENTRIES}",
                top_level.len()
            ));
        }
        Ok(())
    }
}

impl Subcommand {
    /// The option with this exact (lowercase) name.
    pub fn option(&self, name: &str) -> Option<&OptionSpec> {
        self.options.iter().find(|option| option.name == name)
    }

    /// The option that text typed without an option name fills (`/story new Meta falls` is
    /// `title:"Meta falls"`): the one marked `bare` in the catalogue, else the first required
    /// option, else the first option. `None` when the subcommand takes no options.
    pub fn bare_option(&self) -> Option<&OptionSpec> {
        self.options
            .iter()
            .find(|option| option.bare)
            .or_else(|| self.options.iter().find(|option| option.required))
            .or_else(|| self.options.first())
    }

    /// Whether it runs as typed with nothing more: no required option and no required long
    /// text. Used to suggest `source list` for a bare `source`.
    pub fn runs_bare(&self) -> bool {
        !self.options.iter().any(|option| option.required)
            && !self.long_text.as_ref().is_some_and(|long| long.required)
    }

    /// Checks one subcommand; `command` is the top-level name its usage must start with.
    fn validate(&self, command: &str) -> Result<(), CatalogueError> {
        let at = format!("subcommand {:?}", self.name);
        let fail = |message: String| Err(CatalogueError { message });
        if self.group.trim().is_empty() {
            return fail(format!("{at}: group is empty"));
        }
        check_description(&at, &self.description)?;
        let prefix = format!("/{command} {}", self.name);
        let rest = self.usage.strip_prefix(&prefix);
        if !rest.is_some_and(|rest| rest.is_empty() || rest.starts_with(' ')) {
            return fail(format!(
                "{at}: usage {:?} must start with {prefix:?}",
                self.usage
            ));
        }
        if self.options.len() > MAX_ENTRIES {
            return fail(format!(
                "{at}: {} options; Discord allows at most {MAX_ENTRIES}",
                self.options.len()
            ));
        }
        if let Some(long) = &self.long_text {
            let chars = long.label.chars().count();
            if chars == 0 || chars > MAX_LONG_TEXT_LABEL_CHARS {
                return fail(format!(
                    "{at}: long_text label {:?} must be 1 to {MAX_LONG_TEXT_LABEL_CHARS} characters",
                    long.label
                ));
            }
            if long.max_chars == Some(0) {
                return fail(format!("{at}: long_text max_chars must be at least 1"));
            }
        }
        let mut seen_optional = false;
        for (index, option) in self.options.iter().enumerate() {
            let at = format!("{at}, option {:?}", option.name);
            if !is_discord_name(&option.name) {
                return fail(format!(
                    "{at}: not a valid Discord option name (lowercase a-z, 0-9, - or _, 1 to 32 characters)"
                ));
            }
            if self.options[..index].iter().any(|o| o.name == option.name) {
                return fail(format!("{at}: listed twice"));
            }
            if option.required && seen_optional {
                return fail(format!(
                    "{at}: a required option must come before every optional one (Discord's rule)"
                ));
            }
            seen_optional |= !option.required;
            option.validate(&at)?;
        }
        if self.options.iter().filter(|option| option.bare).count() > 1 {
            return fail(format!("{at}: more than one option is marked bare"));
        }
        Ok(())
    }
}

impl OptionSpec {
    /// What a value of this option looks like, in the words help and error messages use:
    /// "text", "a whole number", "one of news, web, forum".
    pub fn expected(&self) -> String {
        match self.kind {
            OptionKind::String => "text".to_string(),
            OptionKind::Integer => "a whole number".to_string(),
            OptionKind::Boolean => "true or false".to_string(),
            OptionKind::Section => "a section name".to_string(),
            OptionKind::User => "a user".to_string(),
            OptionKind::Channel => "a channel".to_string(),
            OptionKind::Choice => format!("one of {}", self.choices.join(", ")),
            OptionKind::Date => "a date YYYY-MM-DD, YYYY-MM or YYYY".to_string(),
            OptionKind::Url => "a web address starting with http:// or https://".to_string(),
            OptionKind::Story => "a story number like 3 or #3, or a story title".to_string(),
        }
    }

    /// Checks a typed value against the option's kind and length and returns it normalised:
    /// trimmed, `#3` → `3`, `Yes` → `true`, `APA` → `apa`, `@bob` → `bob`, `#published` →
    /// `published`. On failure returns what was expected (see [`OptionSpec::expected`]).
    /// Dates are checked by shape only; the calendar is checked where dates are used.
    pub fn accept(&self, value: &str) -> Result<String, String> {
        let value = value.trim();
        let normalised = match self.kind {
            OptionKind::String | OptionKind::Section | OptionKind::Story => Some(value.to_string()),
            OptionKind::Integer => {
                let digits = value.strip_prefix('#').unwrap_or(value);
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    digits.parse::<u32>().ok().map(|n| n.to_string())
                } else {
                    None
                }
            }
            OptionKind::Boolean => match value.to_lowercase().as_str() {
                "true" | "yes" => Some("true".to_string()),
                "false" | "no" => Some("false".to_string()),
                _ => None,
            },
            // Every leading sign goes, and any space between them, so that a checked value
            // checked again (a stored option) stays the same.
            OptionKind::User => Some(
                value
                    .trim_start_matches(|c: char| c == '@' || c.is_whitespace())
                    .to_string(),
            ),
            OptionKind::Channel => Some(
                value
                    .trim_start_matches(|c: char| c == '#' || c.is_whitespace())
                    .to_string(),
            ),
            OptionKind::Choice => {
                let lower = value.to_lowercase();
                self.choices
                    .iter()
                    .find(|choice| choice.to_lowercase() == lower)
                    .cloned()
            }
            OptionKind::Date => is_date_shape(value).then(|| value.to_string()),
            OptionKind::Url => {
                let lower = value.to_ascii_lowercase();
                let scheme = ["http://", "https://"]
                    .into_iter()
                    .find(|scheme| lower.starts_with(scheme));
                match scheme {
                    Some(scheme) if value.len() > scheme.len() => Some(value.to_string()),
                    _ => None,
                }
            }
        };
        match (normalised, self.max_length) {
            (Some(value), _) if value.is_empty() => Err(self.expected()),
            (Some(value), Some(max)) if value.chars().count() > max as usize => {
                Err(format!("{}, at most {max} characters", self.expected()))
            }
            (Some(value), _) => Ok(value),
            (None, _) => Err(self.expected()),
        }
    }

    /// Checks one option; `at` names it in the error message.
    fn validate(&self, at: &str) -> Result<(), CatalogueError> {
        let fail = |message: String| Err(CatalogueError { message });
        check_description(at, &self.description)?;
        match (self.kind == OptionKind::Choice, self.choices.is_empty()) {
            (true, true) => return fail(format!("{at}: a choice option needs choices")),
            (false, false) => return fail(format!("{at}: only a choice option has choices")),
            _ => {}
        }
        if self.choices.len() > MAX_ENTRIES {
            return fail(format!(
                "{at}: {} choices; Discord allows at most {MAX_ENTRIES}",
                self.choices.len()
            ));
        }
        for (index, choice) in self.choices.iter().enumerate() {
            let chars = choice.chars().count();
            if choice.trim() != choice || chars == 0 || chars > MAX_DESCRIPTION_CHARS {
                return fail(format!(
                    "{at}: choice {choice:?} must be 1 to {MAX_DESCRIPTION_CHARS} characters without surrounding spaces"
                ));
            }
            if self.choices[..index]
                .iter()
                .any(|other| other.to_lowercase() == choice.to_lowercase())
            {
                return fail(format!("{at}: choice {choice:?} is listed twice"));
            }
        }
        if self.max_length == Some(0) {
            return fail(format!("{at}: max_length must be at least 1"));
        }
        if let Some(default) = &self.default {
            if self.required {
                return fail(format!("{at}: a required option cannot have a default"));
            }
            match self.accept(default) {
                Ok(normal) if &normal == default => {}
                _ => {
                    return fail(format!(
                        "{at}: default {default:?} is not {}, as written",
                        self.expected()
                    ))
                }
            }
        }
        Ok(())
    }
}

/// Discord's rule for command and option names, narrowed to ASCII: 1–32 characters of
/// lowercase `a-z`, `0-9`, `-` and `_`.
fn is_discord_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, all digits: the shape only.
fn is_date_shape(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let lengths: &[usize] = match parts.len() {
        1 => &[4],
        2 => &[4, 2],
        3 => &[4, 2, 2],
        _ => return false,
    };
    parts
        .iter()
        .zip(lengths)
        .all(|(part, len)| part.len() == *len && part.bytes().all(|b| b.is_ascii_digit()))
}

/// A description must be 1 to 100 characters (Discord's limit); `at` names its owner.
fn check_description(at: &str, description: &str) -> Result<(), CatalogueError> {
    let chars = description.chars().count();
    if chars == 0 || chars > MAX_DESCRIPTION_CHARS {
        return Err(CatalogueError {
            message: format!(
                "{at}: description must be 1 to {MAX_DESCRIPTION_CHARS} characters (Discord's limit), it has {chars}: {description:?}"
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small valid catalogue to break in one place per test.
    const MINIMAL: &str = r#"
name = "story"
description = "Stories."

[[subcommand]]
name = "new"
group = "Stories"
description = "Start a story."
usage = "/story new title:x"

[[subcommand.option]]
name = "title"
kind = "string"
required = true
description = "The title."
"#;

    fn load_error(source: &str) -> String {
        Catalogue::from_toml(source)
            .expect_err("the catalogue should be refused")
            .message
    }

    #[test]
    fn the_embedded_catalogue_loads() {
        let catalogue = catalogue();
        assert_eq!(catalogue.name, "story");
        let names: Vec<&str> = catalogue.names().collect();
        // The contract's subcommands (design.md) are all there; more may be added.
        for name in [
            "new",
            "list",
            "use",
            "status",
            "source add",
            "source list",
            "source show",
            "claim",
            "assign",
            "write",
            "show",
            "history",
            "diff",
            "draft",
            "draft accept",
            "draft discard",
            "approve",
            "changes",
            "ref add",
            "ref list",
            "ref remove",
            "check",
            "preview",
            "publish",
            "correct",
            "help",
        ] {
            assert!(names.contains(&name), "{name} is missing from {names:?}");
        }
    }

    #[test]
    fn the_embedded_catalogue_has_the_contracts_options() {
        let catalogue = catalogue();
        let options = |name: &str| -> Vec<(String, bool)> {
            catalogue
                .subcommand(name)
                .unwrap_or_else(|| panic!("no subcommand {name}"))
                .options
                .iter()
                // Every command that acts on a story takes `story:N` (checked below).
                .filter(|o| o.name != "story" || name == "use")
                .map(|o| (o.name.clone(), o.required))
                .collect()
        };
        let own = |list: &[(&str, bool)]| -> Vec<(String, bool)> {
            list.iter().map(|(n, r)| (n.to_string(), *r)).collect()
        };
        for sub in &catalogue.subcommands {
            let acts_on_a_story =
                !["new", "list", "use", "help", "tz", "mine"].contains(&sub.name.as_str());
            assert_eq!(
                sub.options.iter().any(|o| o.name == "story" && !o.required),
                acts_on_a_story,
                "{}",
                sub.name
            );
        }
        assert_eq!(options("new"), own(&[("title", true)]));
        assert_eq!(options("source add"), own(&[("label", false)]));
        assert_eq!(options("source show"), own(&[("number", true)]));
        assert_eq!(options("claim"), own(&[("section", true), ("take", false)]));
        assert_eq!(options("assign"), own(&[("section", true), ("user", true)]));
        // Time and notifications (design.md).
        assert_eq!(
            options("due"),
            own(&[("section", false), ("at", false), ("clear", false)])
        );
        assert_eq!(options("tz"), own(&[("zone", false), ("quiet", false)]));
        assert_eq!(options("mine"), own(&[]));
        assert_eq!(
            options("embargo"),
            own(&[("until", false), ("clear", false)])
        );
        assert_eq!(
            options("write"),
            own(&[
                ("section", true),
                ("draft", false),
                ("base", false),
                ("resume", false)
            ])
        );
        assert_eq!(
            options("draft"),
            own(&[("section", false), ("guidance", false)])
        );
        for name in ["draft accept", "draft discard"] {
            assert_eq!(options(name), own(&[("section", false), ("draft", false)]));
        }
        assert_eq!(options("show"), own(&[("section", false)]));
        assert_eq!(options("history"), own(&[("section", false)]));
        assert_eq!(
            options("diff"),
            own(&[("section", true), ("from", false), ("to", false)])
        );
        assert_eq!(
            options("approve"),
            own(&[("section", false), ("revision", false)])
        );
        assert_eq!(
            options("changes"),
            own(&[("note", true), ("section", false), ("revision", false)])
        );
        assert_eq!(
            options("ref add"),
            own(&[
                ("title", true),
                ("author", false),
                ("date", false),
                ("translated", false),
                ("outlet", false),
                ("url", false),
                ("kind", false),
                ("offline", false),
            ])
        );
        assert_eq!(options("ref remove"), own(&[("number", true)]));
        assert_eq!(
            options("ref edit"),
            own(&[
                ("number", true),
                ("title", false),
                ("author", false),
                ("date", false),
                ("translated", false),
                ("outlet", false),
                ("url", false),
                ("kind", false),
                ("offline", false),
            ])
        );
        assert_eq!(options("use"), own(&[("story", true)]));
        assert_eq!(
            options("publish"),
            own(&[
                ("channel", false),
                ("style", false),
                ("override", false),
                ("at", false),
                ("cancel", false)
            ])
        );
        assert_eq!(
            options("correct"),
            own(&[("section", true), ("note", true)])
        );
        assert_eq!(options("help"), own(&[("command", false)]));
        for none in [
            "status",
            "check",
            "preview",
            "list",
            "ref list",
            "source list",
        ] {
            assert_eq!(options(none), own(&[]), "{none}");
        }
    }

    #[test]
    fn the_embedded_catalogue_describes_kinds_choices_and_long_text() {
        let catalogue = catalogue();
        let ref_add = catalogue.subcommand("ref add").unwrap();
        let kind = ref_add.option("kind").unwrap();
        assert_eq!(kind.kind, OptionKind::Choice);
        assert_eq!(kind.choices, ["news", "web", "forum"]);
        assert_eq!(kind.default.as_deref(), Some("news"));
        assert_eq!(ref_add.option("date").unwrap().kind, OptionKind::Date);
        assert_eq!(ref_add.option("url").unwrap().kind, OptionKind::Url);
        assert_eq!(ref_add.option("offline").unwrap().kind, OptionKind::Boolean);
        let publish = catalogue.subcommand("publish").unwrap();
        assert!(publish.editors_only);
        assert_eq!(
            publish.option("style").unwrap().choices,
            ["apa", "mla", "chicago"]
        );
        assert_eq!(publish.option("channel").unwrap().kind, OptionKind::Channel);
        assert!(catalogue
            .subcommands
            .iter()
            .filter(|sub| sub.editors_only)
            .all(|sub| ["publish", "purge-sources", "embargo", "correct"]
                .contains(&sub.name.as_str())));
        assert!(catalogue.subcommand("correct").unwrap().editors_only);
        assert_eq!(
            catalogue.subcommand("write").unwrap().long_text,
            Some(LongText {
                label: "Section text".to_string(),
                required: true,
                max_chars: None
            })
        );
        assert!(catalogue
            .subcommand("source add")
            .unwrap()
            .long_text
            .is_some());
        assert_eq!(
            catalogue
                .subcommands
                .iter()
                .filter(|sub| sub.long_text.is_some())
                .count(),
            3
        );
        assert_eq!(
            catalogue.subcommand("correct").unwrap().long_text,
            Some(LongText {
                label: "Corrected text".to_string(),
                required: true,
                max_chars: None
            })
        );
        assert_eq!(
            catalogue
                .subcommand("use")
                .unwrap()
                .option("story")
                .unwrap()
                .kind,
            OptionKind::Story
        );
        assert_eq!(
            catalogue
                .subcommand("assign")
                .unwrap()
                .option("user")
                .unwrap()
                .kind,
            OptionKind::User
        );
    }

    #[test]
    fn bare_option_is_the_marked_then_first_required_then_first() {
        let catalogue = catalogue();
        let bare = |name: &str| {
            catalogue
                .subcommand(name)
                .unwrap()
                .bare_option()
                .map(|option| option.name.as_str())
        };
        assert_eq!(bare("new"), Some("title"));
        assert_eq!(bare("changes"), Some("section"));
        assert_eq!(bare("ref add"), Some("title"));
        assert_eq!(bare("publish"), Some("channel"));
        assert_eq!(bare("show"), Some("section"));
        assert_eq!(bare("help"), Some("command"));
        assert_eq!(bare("status"), Some("story"));
    }

    #[test]
    fn runs_bare_means_nothing_required() {
        let catalogue = catalogue();
        assert!(catalogue.subcommand("source list").unwrap().runs_bare());
        assert!(!catalogue.subcommand("source add").unwrap().runs_bare());
        assert!(!catalogue.subcommand("source show").unwrap().runs_bare());
    }

    #[test]
    fn a_minimal_catalogue_loads() {
        let catalogue = Catalogue::from_toml(MINIMAL).unwrap();
        assert_eq!(catalogue.subcommands.len(), 1);
        assert!(catalogue.subcommand("new").unwrap().long_text.is_none());
        assert!(catalogue.subcommand("old").is_none());
    }

    #[test]
    fn later_subcommands_fit_the_format() {
        let source = format!(
            "{MINIMAL}{}",
            r#"
[[subcommand]]
name = "draft"
group = "Drafting"
description = "Propose a draft of a section from the sources."
usage = "/story draft section:body"

[[subcommand.option]]
name = "section"
kind = "section"
required = true
description = "The section, or all."

[[subcommand.option]]
name = "guidance"
kind = "string"
required = false
description = "What to focus on."

[[subcommand]]
name = "draft accept"
group = "Drafting"
description = "Accept the proposed draft as a new revision."
usage = "/story draft accept"

[[subcommand]]
name = "purge-sources"
group = "Stories"
description = "Delete the story's sources."
usage = "/story purge-sources"
editors_only = true
"#
        );
        let catalogue = Catalogue::from_toml(&source).unwrap();
        assert!(catalogue.subcommand("draft").is_some());
        assert!(catalogue.subcommand("draft accept").is_some());
        assert!(catalogue.subcommand("purge-sources").unwrap().editors_only);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let source = MINIMAL.replace("group = \"Stories\"", "group = \"Stories\"\ncolour = 1");
        assert!(
            load_error(&source).contains("colour"),
            "{}",
            load_error(&source)
        );
        let source = MINIMAL.replace("required = true", "required = true\nhint = \"x\"");
        assert!(load_error(&source).contains("hint"));
    }

    #[test]
    fn an_unknown_kind_is_refused() {
        let source = MINIMAL.replace("kind = \"string\"", "kind = \"colour\"");
        assert!(load_error(&source).contains("colour"));
    }

    #[test]
    fn duplicate_subcommands_are_refused() {
        let source = format!(
            "{MINIMAL}{}",
            r#"
[[subcommand]]
name = "new"
group = "Stories"
description = "Again."
usage = "/story new"
"#
        );
        assert_eq!(load_error(&source), "subcommand \"new\" is listed twice");
    }

    #[test]
    fn duplicate_options_are_refused() {
        let source = format!(
            "{MINIMAL}{}",
            r#"
[[subcommand.option]]
name = "title"
kind = "string"
required = false
description = "Again."
"#
        );
        assert_eq!(
            load_error(&source),
            "subcommand \"new\", option \"title\": listed twice"
        );
    }

    #[test]
    fn long_descriptions_are_refused() {
        let long = "x".repeat(101);
        let source = MINIMAL.replace("Start a story.", &long);
        assert!(load_error(&source).starts_with(
            "subcommand \"new\": description must be 1 to 100 characters (Discord's limit), it has 101"
        ));
        let source = MINIMAL.replace("The title.", &long);
        assert!(
            load_error(&source).starts_with("subcommand \"new\", option \"title\": description")
        );
        let exactly = "é".repeat(100);
        assert!(Catalogue::from_toml(&MINIMAL.replace("Start a story.", &exactly)).is_ok());
    }

    #[test]
    fn invalid_names_are_refused() {
        for bad in ["Title", "ti tle", "", "títle", &"x".repeat(33)] {
            let source = MINIMAL.replace("name = \"title\"", &format!("name = {bad:?}"));
            assert!(
                load_error(&source).contains("not a valid Discord option name"),
                "{bad:?}"
            );
        }
        let source = MINIMAL
            .replace("name = \"new\"", "name = \"source  add\"")
            .replace("/story new", "/story source  add");
        assert!(load_error(&source).contains("one or two words"));
        let source = MINIMAL
            .replace("name = \"new\"", "name = \"a b c\"")
            .replace("/story new", "/story a b c");
        assert!(load_error(&source).contains("one or two words"));
    }

    #[test]
    fn choice_options_need_choices_and_only_they_have_them() {
        let source = MINIMAL.replace("kind = \"string\"", "kind = \"choice\"");
        assert_eq!(
            load_error(&source),
            "subcommand \"new\", option \"title\": a choice option needs choices"
        );
        let source = MINIMAL.replace("kind = \"string\"", "kind = \"string\"\nchoices = [\"a\"]");
        assert_eq!(
            load_error(&source),
            "subcommand \"new\", option \"title\": only a choice option has choices"
        );
        let source = MINIMAL.replace(
            "kind = \"string\"",
            "kind = \"choice\"\nchoices = [\"a\", \"A\"]",
        );
        assert!(load_error(&source).contains("listed twice"));
    }

    #[test]
    fn defaults_must_be_valid_and_only_on_optional_options() {
        let source = MINIMAL.replace("required = true", "required = true\ndefault = \"x\"");
        assert!(load_error(&source).contains("a required option cannot have a default"));
        let source = MINIMAL.replace(
            "kind = \"string\"\nrequired = true",
            "kind = \"choice\"\nchoices = [\"news\", \"web\"]\nrequired = false\ndefault = \"blog\"",
        );
        assert_eq!(
            load_error(&source),
            "subcommand \"new\", option \"title\": default \"blog\" is not one of news, web, as written"
        );
        let source = MINIMAL.replace(
            "kind = \"string\"\nrequired = true",
            "kind = \"integer\"\nrequired = false\ndefault = \"#3\"",
        );
        assert!(load_error(&source).contains("default \"#3\""));
    }

    #[test]
    fn required_options_come_first() {
        let source = MINIMAL.replace(
            "[[subcommand.option]]",
            "[[subcommand.option]]\nname = \"label\"\nkind = \"string\"\nrequired = false\ndescription = \"L.\"\n\n[[subcommand.option]]",
        );
        assert_eq!(
            load_error(&source),
            "subcommand \"new\", option \"title\": a required option must come before every optional one (Discord's rule)"
        );
    }

    #[test]
    fn usage_must_start_with_the_subcommand() {
        let source = MINIMAL.replace("/story new title:x", "/story news title:x");
        assert_eq!(
            load_error(&source),
            "subcommand \"new\": usage \"/story news title:x\" must start with \"/story new\""
        );
    }

    #[test]
    fn long_text_labels_fit_a_modal() {
        let source = MINIMAL.replace(
            "usage = \"/story new title:x\"",
            &format!(
                "usage = \"/story new title:x\"\nlong_text = {{ label = \"{}\", required = true }}",
                "x".repeat(46)
            ),
        );
        assert!(load_error(&source).contains("long_text label"));
    }

    #[test]
    fn at_most_one_bare_option() {
        let source = format!(
            "{}{}",
            MINIMAL.replace("description = \"The title.\"", "description = \"T.\"\nbare = true"),
            "\n[[subcommand.option]]\nname = \"label\"\nkind = \"string\"\nrequired = false\ndescription = \"L.\"\nbare = true\n"
        );
        assert_eq!(
            load_error(&source),
            "subcommand \"new\": more than one option is marked bare"
        );
    }

    #[test]
    fn accept_normalises_values_by_kind() {
        let option = |kind: OptionKind, choices: &[&str]| OptionSpec {
            name: "x".to_string(),
            kind,
            required: false,
            description: "X.".to_string(),
            choices: choices.iter().map(|c| c.to_string()).collect(),
            max_length: None,
            default: None,
            bare: false,
            help: None,
        };
        let integer = option(OptionKind::Integer, &[]);
        assert_eq!(integer.accept("3"), Ok("3".to_string()));
        assert_eq!(integer.accept("#3"), Ok("3".to_string()));
        assert_eq!(integer.accept("007"), Ok("7".to_string()));
        for bad in ["-1", "+3", "3.5", "three", "", "99999999999", "#"] {
            assert_eq!(
                integer.accept(bad),
                Err("a whole number".to_string()),
                "{bad}"
            );
        }
        let boolean = option(OptionKind::Boolean, &[]);
        for (given, normal) in [
            ("true", "true"),
            ("YES", "true"),
            ("False", "false"),
            ("no", "false"),
        ] {
            assert_eq!(boolean.accept(given), Ok(normal.to_string()));
        }
        assert_eq!(boolean.accept("maybe"), Err("true or false".to_string()));
        let choice = option(OptionKind::Choice, &["apa", "mla", "chicago"]);
        assert_eq!(choice.accept("MLA"), Ok("mla".to_string()));
        assert_eq!(
            choice.accept("harvard"),
            Err("one of apa, mla, chicago".to_string())
        );
        let date = option(OptionKind::Date, &[]);
        for good in ["2025", "2025-01", "2025-01-27"] {
            assert_eq!(date.accept(good), Ok(good.to_string()));
        }
        for bad in [
            "25",
            "2025-1",
            "2025-01-2",
            "2025/01/27",
            "27 Jan 2025",
            "2025-01-27-01",
        ] {
            assert_eq!(
                date.accept(bad),
                Err("a date YYYY-MM-DD, YYYY-MM or YYYY".to_string()),
                "{bad}"
            );
        }
        let url = option(OptionKind::Url, &[]);
        assert_eq!(
            url.accept("HTTPS://a.b/c?d=e"),
            Ok("HTTPS://a.b/c?d=e".to_string())
        );
        for bad in ["www.a.b", "https://", "ftp://a.b"] {
            assert!(url.accept(bad).is_err(), "{bad}");
        }
        assert_eq!(
            option(OptionKind::User, &[]).accept("@bob"),
            Ok("bob".to_string())
        );
        assert_eq!(
            option(OptionKind::User, &[]).accept("@"),
            Err("a user".to_string())
        );
        assert_eq!(
            option(OptionKind::Channel, &[]).accept("#published"),
            Ok("published".to_string())
        );
        assert_eq!(
            option(OptionKind::Story, &[]).accept("#3"),
            Ok("#3".to_string())
        );
        assert_eq!(
            option(OptionKind::String, &[]).accept("  x  "),
            Ok("x".to_string())
        );
        assert_eq!(
            option(OptionKind::String, &[]).accept("   "),
            Err("text".to_string())
        );
        let short = OptionSpec {
            max_length: Some(3),
            ..option(OptionKind::String, &[])
        };
        assert_eq!(short.accept("abc"), Ok("abc".to_string()));
        assert_eq!(
            short.accept("abcd"),
            Err("text, at most 3 characters".to_string())
        );
    }

    #[test]
    fn help_text_lists_every_subcommand_under_its_group() {
        let help = catalogue().help_text();
        for sub in &catalogue().subcommands {
            assert!(help.contains(&sub.usage), "{}", sub.name);
            assert!(help.contains(&sub.description), "{}", sub.name);
        }
        let start = help.find("\nStories\n").unwrap();
        let sources = help.find("\nSources\n").unwrap();
        let publishing = help.find("\nPublishing\n").unwrap();
        assert!(start < sources && sources < publishing);
        assert_eq!(help.matches("\nSources\n").count(), 1);
        assert!(help.starts_with("/story: Write a referenced news story together"));
        let expected_part = "\nSources\n  /story source add label:\"forum post\"\n      Add source material: paste the text into the box that opens.\n  /story source list\n      List the story's sources with who added them and when.\n";
        assert!(help.contains(expected_part), "{help}");
        assert!(help.ends_with(
            "\n\nFor one command in detail: /story help write, or /story help ref add."
        ));
    }

    #[test]
    fn help_for_one_subcommand() {
        assert_eq!(
            catalogue().subcommand_help("publish").unwrap(),
            "/story publish: Publish the story once every section is approved and the checks pass.\n\
             Usage: /story publish [channel:…] [style:…] [override:…] [at:…] [cancel:…] [story:…]\n\
             Example: /story publish channel:#published style:apa\n\
             Options:\n\
             \x20 channel (optional, a channel): Where to publish (default: the configured publishing channel).\n\
             \x20 style (optional, one of apa, mla, chicago): How references are cited (default: the configured style, APA 7).\n\
             \x20 override (optional, text): Publish despite failing checks; give the reason, which is recorded. Editors only.\n\
             \x20 at (optional, text): Publish later: tomorrow 9:30, fri 18:00, +2h or an RFC 3339 time, in your zone.\n\
             \x20 cancel (optional, true or false): Cancel the scheduled publication.\n\
             \x20 story (optional, a story number like 3 or #3, or a story title): Another story than your active one: its number (3 or #3) or title.\n\
             Text without an option name is taken as channel.\n\
             Only editors can use it."
        );
        assert_eq!(
            catalogue().subcommand_help("write").unwrap(),
            "/story write: Write a section; every save is a new revision, sent for review.\n\
             Usage: /story write section:… [draft:…] [base:…] [resume:…] [story:…]\n\
             Example: /story write section:body\n\
             Options:\n\
             \x20 section (required, a section name): The section to write, such as body or intro.\n\
             \x20 draft (optional, a whole number): The assisted draft this text was edited from. The Edit button fills it in.\n\
             \x20 base (optional, a whole number): The revision your text was written over; default: the latest one shown to you.\n\
             \x20 resume (optional, true or false): Get back your text kept after a conflict, merged with the latest revision.\n\
             \x20 story (optional, a story number like 3 or #3, or a story title): Another story than your active one: its number (3 or #3) or title.\n\
             Text without an option name is taken as section.\n\
             Then: Section text (required), typed into the box that opens, or given as a heredoc in the console."
        );
        assert_eq!(
            catalogue().subcommand_help("list").unwrap(),
            "/story list: List the stories on the desk with their state.\n\
             Usage: /story list\n\
             Example: /story list"
        );
        let ref_add = catalogue().subcommand_help("ref add").unwrap();
        assert!(ref_add.contains(
            "  kind (optional, one of news, web, forum; default news): What it is: a news article, another web page, or a forum post.\n      news: a newspaper, magazine or agency that also prints or broadcasts (The Information, Reuters). web: any site that publishes only online, online-only news sites included (Machine Heart)"
        ), "{ref_add}");
        assert!(
            ref_add.contains("Usage: /story ref add title:… [author:…] [date:…] [translated:…]")
        );
        assert_eq!(catalogue().subcommand_help("nope"), None);
    }

    #[test]
    fn every_subcommand_has_help() {
        for name in catalogue().names() {
            assert!(catalogue().subcommand_help(name).is_some(), "{name}");
        }
    }
}
