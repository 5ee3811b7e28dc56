//! The Discord application-command registration JSON, built from the command catalogue
//! (`commands/story.toml`) and the story template.
//!
//! One command, `/story`. A one-word catalogue entry (`new`) is a subcommand; a two-word entry
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

/// The JSON array to register (`PUT /applications/{id}/commands` or the guild variant).
pub fn registration(catalogue: &Catalogue, template: &Template) -> Value {
    let group_words: Vec<&str> = catalogue
        .subcommands
        .iter()
        .filter_map(|s| s.name.split_once(' ').map(|(g, _)| g))
        .collect();
    let mut options: Vec<Value> = Vec::new();
    let mut groups_seen: Vec<&str> = Vec::new();
    for sub in &catalogue.subcommands {
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
        let members: Vec<(&Subcommand, &str)> = catalogue
            .subcommands
            .iter()
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
    json!([{
        "name": catalogue.name,
        "type": 1,
        "description": catalogue.description,
        "contexts": [0],
        "options": options,
    }])
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

    #[test]
    fn one_story_command_with_every_catalogue_entry() {
        let json = json();
        let commands = json.as_array().unwrap();
        assert_eq!(commands.len(), 1);
        let story = &commands[0];
        assert_eq!(story["name"], "story");
        for sub in &catalogue().subcommands {
            let (group, name) = match sub.name.split_once(' ') {
                Some((group, name)) => (Some(group), name),
                // `draft` beside `draft accept`: Discord's `/story draft new`.
                None if catalogue()
                    .subcommands
                    .iter()
                    .any(|s| s.name.starts_with(&format!("{} ", sub.name))) =>
                {
                    (Some(sub.name.as_str()), IN_GROUP)
                }
                None => (None, sub.name.as_str()),
            };
            let entry = match group {
                None => find(&story["options"], name),
                Some(group) => {
                    let g = find(&story["options"], group);
                    assert_eq!(g["type"], kind::SUB_COMMAND_GROUP);
                    assert_eq!(catalogue_name(group, name), sub.name);
                    find(&g["options"], name)
                }
            };
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
        walk(&json()[0]);
    }

    #[test]
    fn registration_snapshot() {
        insta::assert_snapshot!(serde_json::to_string_pretty(&json()).unwrap());
    }
}
