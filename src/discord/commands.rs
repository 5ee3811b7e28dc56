//! The Discord application-command registration JSON, built from the command catalogue
//! (`commands/story.toml`) and the story template.
//!
//! Mostly one command, `/story`: the entries Discord could not fit beside the others (a root
//! command holds 25 entries and 8,000 characters, [`MAX_ENTRIES`], [`MAX_ROOT_CHARS`]) are
//! registered under the extra roots of [`ROOTS`] (`/story-time due`, `/story-ref add`), and
//! [`catalogue_name`] maps them back. A one-word catalogue entry (`new`) is a subcommand; a two-word entry
//! (`source add`) is subcommand `add` of the subcommand group `source`. A one-word entry that
//! also names a group (`draft`, beside `draft accept`) is the group's member [`IN_GROUP`]
//! (`/story draft new`), since Discord has no subcommand and group of the same name. Options keep their
//! catalogue order and types; section options offer the template's sections as choices. A
//! subcommand that takes long text (`source add`, `write`) also gets an optional attachment
//! option, [`FILE_OPTION`], for text too long for a form.

use serde_json::{json, Value};

use crate::catalogue::{Catalogue, OptionKind, OptionSpec, Subcommand};
use crate::template::Template;

/// The Discord name of a one-word catalogue entry that also starts two-word entries
/// (`draft` beside `draft accept`): Discord cannot have a subcommand and a group of the same
/// name, so it becomes a member of the group, `/story draft new`.
pub const IN_GROUP: &str = "new";

/// Discord's limit on entries at one level: subcommands and groups of a root command,
/// subcommands of a group, options of a subcommand.
pub const MAX_ENTRIES: usize = 25;

/// Discord's limit on one root command's characters: the name, description and choice
/// values of the command and of every group, subcommand, option and choice together.
pub const MAX_ROOT_CHARS: usize = 8000;

/// A root command besides the catalogue's own (`/story`), for entries that do not fit in it.
pub struct Root {
    /// Its Discord name: `story-time`.
    pub name: &'static str,
    /// Its description.
    pub description: &'static str,
    /// The catalogue entries it holds, by first word: `due`, or `ref` for every `ref …`.
    pub words: &'static [&'static str],
    /// What the catalogue name of one of its subcommands starts with: `ref ` for
    /// `/story-ref add`, nothing for `/story-time due`.
    pub prefix: &'static str,
}

/// The extra root commands: the time features and the references, which together pass
/// 1,700 characters and would take `/story` past [`MAX_ROOT_CHARS`].
pub const ROOTS: &[Root] = &[
    Root {
        name: "story-time",
        description: "Deadlines, your time zone, your work and embargoes.",
        words: &["due", "tz", "mine", "embargo"],
        prefix: "",
    },
    Root {
        name: "story-ref",
        description: "The story's references: add, list, edit, remove.",
        words: &["ref"],
        prefix: "ref ",
    },
];

/// `text` with the catalogue's command lines as Discord registers them: `/story ref add` is
/// `/story-ref add`, `/story due` is `/story-time due` ([`ROOTS`]), so what the desk tells a
/// person to type is a command Discord has. A word only counts whole (`/story tzx` stays).
pub fn discord_command_names(text: &str) -> String {
    if !text.contains("/story ") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(i) = rest.find("/story ") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "/story ".len()..];
        let word_end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(after.len());
        let word = &after[..word_end];
        match ROOTS.iter().find(|r| r.words.contains(&word)) {
            Some(root) if root.prefix.is_empty() => {
                out.push_str(&format!("/{} ", root.name));
                rest = after;
            }
            Some(root) => {
                // `/story ref add` → `/story-ref add`: the group word goes.
                out.push_str(&format!("/{}", root.name));
                rest = &after[word_end..];
            }
            None => {
                out.push_str("/story ");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The catalogue name of Discord's `/root sub` (`sub` may be `group sub`, already mapped by
/// [`catalogue_name`]): `/story-ref add` is `ref add`, `/story-time due` is `due`, anything
/// under `/story` is `sub`.
pub fn catalogue_name_in(root: &str, sub: &str) -> String {
    match ROOTS.iter().find(|r| r.name == root) {
        Some(r) => format!("{}{sub}", r.prefix),
        None => sub.to_string(),
    }
}

/// The root command a catalogue entry is registered under, if not the catalogue's own.
fn root_of(entry: &str) -> Option<&'static Root> {
    let word = entry.split(' ').next().unwrap_or(entry);
    ROOTS.iter().find(|r| r.words.contains(&word))
}

/// The catalogue's name for Discord's `group sub`: `draft new` is `draft` (see [`IN_GROUP`]).
pub fn catalogue_name(group: &str, sub: &str) -> String {
    let joined = format!("{group} {sub}");
    let catalogue = crate::catalogue::catalogue();
    if sub == IN_GROUP
        && catalogue.subcommand(&joined).is_none()
        && catalogue.subcommand(group).is_some()
    {
        return group.to_string();
    }
    joined
}

/// The name of the attachment option added to subcommands that take long text.
pub const FILE_OPTION: &str = "file";

/// Discord's option types.
mod kind {
    pub const SUB_COMMAND: u8 = 1;
    pub const SUB_COMMAND_GROUP: u8 = 2;
    pub const STRING: u8 = 3;
    pub const INTEGER: u8 = 4;
    pub const BOOLEAN: u8 = 5;
    pub const USER: u8 = 6;
    pub const CHANNEL: u8 = 7;
    pub const ATTACHMENT: u8 = 11;
}

/// Discord's limit on choices per option.
const MAX_CHOICES: usize = 25;

/// Discord's limit on a string option's `max_length`.
const MAX_STRING_LENGTH: u32 = 6000;

/// Channel types a channel option accepts: text (0) and announcement (5) channels.
const PUBLISHABLE_CHANNEL_TYPES: [u8; 2] = [0, 5];

/// The JSON array to register (`PUT /applications/{id}/commands` or the guild variant):
/// `/story`, then each of [`ROOTS`] that holds an entry.
pub fn registration(catalogue: &Catalogue, template: &Template) -> Value {
    let own: Vec<&Subcommand> = catalogue
        .subcommands
        .iter()
        .filter(|s| root_of(&s.name).is_none())
        .collect();
    let mut roots = vec![root(
        catalogue.name.as_str(),
        catalogue.description.as_str(),
        &own,
        template,
    )];
    for r in ROOTS {
        let members: Vec<(&Subcommand, &str)> = catalogue
            .subcommands
            .iter()
            .filter(|s| root_of(&s.name).is_some_and(|o| o.name == r.name))
            .filter_map(|s| s.name.strip_prefix(r.prefix).map(|n| (s, n)))
            .collect();
        if members.is_empty() {
            continue;
        }
        roots.push(json!({
            "name": r.name,
            "type": 1,
            "description": r.description,
            "contexts": [0],
            "options": members
                .iter()
                .map(|(s, n)| subcommand(s, n, template))
                .collect::<Vec<_>>(),
        }));
    }
    Value::Array(roots)
}

/// One root command named `name` holding `subcommands` (catalogue entries, one word or
/// `group sub`).
fn root(name: &str, description: &str, subcommands: &[&Subcommand], template: &Template) -> Value {
    let group_words: Vec<&str> = subcommands
        .iter()
        .filter_map(|s| s.name.split_once(' ').map(|(g, _)| g))
        .collect();
    let mut options: Vec<Value> = Vec::new();
    let mut groups_seen: Vec<&str> = Vec::new();
    for sub in subcommands {
        let group = match sub.name.split_once(' ') {
            Some((group, _)) => group,
            None if group_words.contains(&sub.name.as_str()) => sub.name.as_str(),
            None => {
                options.push(subcommand(sub, sub.name.as_str(), template));
                continue;
            }
        };
        if groups_seen.contains(&group) {
            continue;
        }
        groups_seen.push(group);
        // The group's members with their Discord names: a one-word entry of the group's
        // own name first, as `IN_GROUP`.
        let members: Vec<(&Subcommand, &str)> = subcommands
            .iter()
            .copied()
            .filter_map(|s| match s.name.split_once(' ') {
                Some((g, n)) if g == group => Some((s, n)),
                None if s.name == group => Some((s, IN_GROUP)),
                _ => None,
            })
            .collect();
        let names: Vec<&str> = members.iter().map(|(_, n)| *n).collect();
        let description = truncate(
            &format!("{}: {}.", sub.group, names.join(", ")),
            crate::catalogue::MAX_DESCRIPTION_CHARS,
        );
        options.push(json!({
            "type": kind::SUB_COMMAND_GROUP,
            "name": group,
            "description": description,
            "options": members
                .iter()
                .map(|(s, n)| subcommand(s, n, template))
                .collect::<Vec<_>>(),
        }));
    }
    json!({
        "name": name,
        "type": 1,
        "description": description,
        "contexts": [0],
        "options": options,
    })
}

/// The characters Discord counts against [`MAX_ROOT_CHARS`] in `command` (a root command of
/// the registration): its name, description and value, and those of every option, group,
/// subcommand and choice under it.
pub fn registered_chars(command: &Value) -> usize {
    let own: usize = ["name", "description", "value"]
        .iter()
        .filter_map(|k| command.get(*k))
        .map(|v| match v {
            Value::String(s) => s.chars().count(),
            Value::Null => 0,
            other => other.to_string().chars().count(),
        })
        .sum();
    let under: usize = ["options", "choices"]
        .iter()
        .filter_map(|k| command.get(*k).and_then(Value::as_array))
        .flatten()
        .map(registered_chars)
        .sum();
    own + under
}

/// One subcommand with its options, named `name` (its last word).
fn subcommand(sub: &Subcommand, name: &str, template: &Template) -> Value {
    let mut options: Vec<Value> = sub.options.iter().map(|o| option(o, template)).collect();
    if let Some(long) = &sub.long_text {
        options.push(json!({
            "type": kind::ATTACHMENT,
            "name": FILE_OPTION,
            "description": truncate(
                &format!("A UTF-8 text file with the {} instead of the form.", long.label.to_lowercase()),
                crate::catalogue::MAX_DESCRIPTION_CHARS,
            ),
            "required": false,
        }));
    }
    json!({
        "type": kind::SUB_COMMAND,
        "name": name,
        "description": sub.description,
        "options": options,
    })
}

/// One option.
fn option(o: &OptionSpec, template: &Template) -> Value {
    let mut v = json!({
        "name": o.name,
        "description": o.description,
        "required": o.required,
    });
    let map = v.as_object_mut().expect("an object");
    let choices = |values: &mut dyn Iterator<Item = (String, String)>| -> Value {
        Value::Array(
            values
                .take(MAX_CHOICES)
                .map(|(name, value)| json!({"name": name, "value": value}))
                .collect(),
        )
    };
    let kind = match o.kind {
        OptionKind::String | OptionKind::Date | OptionKind::Url | OptionKind::Story => kind::STRING,
        OptionKind::Integer => {
            map.insert("min_value".into(), json!(1));
            kind::INTEGER
        }
        OptionKind::Boolean => kind::BOOLEAN,
        OptionKind::User => kind::USER,
        OptionKind::Channel => {
            map.insert("channel_types".into(), json!(PUBLISHABLE_CHANNEL_TYPES));
            kind::CHANNEL
        }
        OptionKind::Choice => {
            map.insert(
                "choices".into(),
                choices(&mut o.choices.iter().map(|c| (c.clone(), c.clone()))),
            );
            kind::STRING
        }
        OptionKind::Section => {
            map.insert(
                "choices".into(),
                choices(&mut template.sections.iter().map(|s| {
                    let name = if s.aliases.is_empty() {
                        s.name.clone()
                    } else {
                        format!("{} ({})", s.name, s.aliases.join(", "))
                    };
                    (truncate(&name, 100), s.name.clone())
                })),
            );
            kind::STRING
        }
    };
    map.insert("type".into(), json!(kind));
    if kind == kind::STRING && !map.contains_key("choices") {
        let max = match o.kind {
            OptionKind::Date => Some(10),
            _ => o.max_length,
        };
        if let Some(max) = max {
            map.insert("max_length".into(), json!(max.min(MAX_STRING_LENGTH)));
        }
    }
    v
}

/// At most `max` characters, with an ellipsis when cut.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::catalogue;

    fn json() -> Value {
        registration(catalogue(), &Template::load("news").unwrap())
    }

    fn find<'a>(options: &'a Value, name: &str) -> &'a Value {
        options
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == name)
            .unwrap_or_else(|| panic!("no option {name}"))
    }

    /// The registered subcommand of a catalogue entry, checking that it maps back.
    fn registered<'a>(json: &'a Value, sub: &Subcommand) -> &'a Value {
        let entry = |root: &'a Value, path: &str| -> &'a Value {
            match path.split_once(' ') {
                None => find(&root["options"], path),
                Some((group, name)) => {
                    let g = find(&root["options"], group);
                    assert_eq!(g["type"], kind::SUB_COMMAND_GROUP);
                    find(&g["options"], name)
                }
            }
        };
        let roots = json.as_array().unwrap();
        if let Some(r) = root_of(&sub.name) {
            let root = roots.iter().find(|c| c["name"] == r.name).unwrap();
            let name = sub.name.strip_prefix(r.prefix).unwrap();
            assert_eq!(catalogue_name_in(r.name, name), sub.name);
            return entry(root, name);
        }
        let story = &roots[0];
        assert_eq!(story["name"], "story");
        let path = match sub.name.split_once(' ') {
            Some((group, name)) => {
                assert_eq!(catalogue_name(group, name), sub.name);
                sub.name.clone()
            }
            // `draft` beside `draft accept`: Discord's `/story draft new`.
            None if catalogue()
                .subcommands
                .iter()
                .any(|s| s.name.starts_with(&format!("{} ", sub.name))) =>
            {
                assert_eq!(catalogue_name(&sub.name, IN_GROUP), sub.name);
                format!("{} {IN_GROUP}", sub.name)
            }
            None => sub.name.clone(),
        };
        assert_eq!(catalogue_name_in("story", &sub.name), sub.name);
        entry(story, &path)
    }

    #[test]
    fn desk_text_names_the_commands_discord_has() {
        assert_eq!(
            discord_command_names(
                "Add one with `/story ref add title:…`, list with `/story ref list`; \
                 `/story due at:+2h`, `/story tz`, `/story tzx`, `/story write body`."
            ),
            "Add one with `/story-ref add title:…`, list with `/story-ref list`; \
             `/story-time due at:+2h`, `/story-time tz`, `/story tzx`, `/story write body`."
        );
        assert_eq!(discord_command_names("/story ref"), "/story-ref");
        assert_eq!(discord_command_names("no commands"), "no commands");
    }

    #[test]
    fn every_catalogue_entry_is_registered_once_and_maps_back() {
        let json = json();
        let commands = json.as_array().unwrap();
        assert_eq!(commands[0]["name"], "story");
        assert_eq!(commands.len(), 1 + ROOTS.len());
        for sub in &catalogue().subcommands {
            let entry = registered(&json, sub);
            assert_eq!(entry["type"], kind::SUB_COMMAND, "{}", sub.name);
            for o in &sub.options {
                find(&entry["options"], &o.name);
            }
            assert_eq!(
                entry["options"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|o| o["name"] == FILE_OPTION),
                sub.long_text.is_some(),
                "{}",
                sub.name
            );
            assert!(sub.option(FILE_OPTION).is_none());
        }
        // As many subcommands registered as catalogue entries: none twice.
        fn count(v: &Value) -> usize {
            v["options"].as_array().map_or(0, |o| {
                o.iter()
                    .map(|o| match o["type"].as_u64() {
                        Some(1) => 1,
                        Some(2) => count(o),
                        _ => 0,
                    })
                    .sum()
            })
        }
        let registered: usize = commands.iter().map(count).sum();
        assert_eq!(registered, catalogue().subcommands.len());
    }

    #[test]
    fn every_root_fits_discords_size_limits() {
        fn entries(v: &Value, path: &str) {
            for key in ["options", "choices"] {
                if let Some(list) = v.get(key).and_then(Value::as_array) {
                    assert!(
                        list.len() <= MAX_ENTRIES,
                        "{path} has {} {key}, Discord takes {MAX_ENTRIES}",
                        list.len()
                    );
                    for o in list {
                        entries(o, &format!("{path} {}", o["name"].as_str().unwrap_or("?")));
                    }
                }
            }
        }
        for command in json().as_array().unwrap() {
            let name = command["name"].as_str().unwrap();
            entries(command, name);
            let chars = registered_chars(command);
            assert!(
                chars <= MAX_ROOT_CHARS,
                "/{name} counts {chars} characters, Discord takes {MAX_ROOT_CHARS}"
            );
        }
    }

    #[test]
    fn registered_chars_counts_names_descriptions_and_values() {
        let command = json!({
            "name": "ab", "description": "cde", "type": 1,
            "options": [{"name": "f", "description": "gh", "type": 3,
                         "choices": [{"name": "i", "value": "jk"}, {"name": "l", "value": 12}]}]
        });
        assert_eq!(registered_chars(&command), 2 + 3 + 1 + 2 + 1 + 2 + 1 + 2);
    }

    #[test]
    fn section_options_offer_the_template_sections() {
        let json = json();
        let write = find(&json[0]["options"], "write");
        let section = find(&write["options"], "section");
        assert_eq!(section["type"], kind::STRING);
        let values: Vec<&str> = section["choices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["value"].as_str().unwrap())
            .collect();
        assert_eq!(
            values,
            ["title", "introduction", "body", "conclusion", "references"]
        );
    }

    #[test]
    fn limits_hold_everywhere() {
        fn walk(v: &Value) {
            if let Some(d) = v.get("description").and_then(Value::as_str) {
                assert!((1..=100).contains(&d.chars().count()), "{d}");
            }
            if let Some(n) = v.get("name").and_then(Value::as_str) {
                assert!((1..=32).contains(&n.chars().count()), "{n}");
            }
            if let Some(options) = v.get("options").and_then(Value::as_array) {
                assert!(options.len() <= 25);
                let mut optional = false;
                for o in options {
                    let required = o.get("required").and_then(Value::as_bool).unwrap_or(false);
                    assert!(!(required && optional), "required after optional in {v}");
                    optional |= !required && o["type"].as_u64() > Some(2);
                    walk(o);
                }
            }
            if let Some(choices) = v.get("choices").and_then(Value::as_array) {
                assert!(choices.len() <= 25);
            }
        }
        for command in json().as_array().unwrap() {
            walk(command);
        }
    }

    #[test]
    fn registration_snapshot() {
        insta::assert_snapshot!(serde_json::to_string_pretty(&json()).unwrap());
    }
}
