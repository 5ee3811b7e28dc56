//! The Slack app manifest that `storydesk commands slack-manifest` prints: the `/story`
//! command (description and usage hint from the catalogue), the bot scopes the features
//! need and no more, the message events of the source threads, interactivity for buttons
//! and modals, and Socket Mode when asked. Users paste it into "Create an app → From a
//! manifest" in Slack.
//!
//! Bot scopes, each for one feature:
//! - `commands`: the `/story` slash command.
//! - `chat:write`: the board, review threads, answers and published articles.
//! - `im:write`: direct messages to one person (reminders, a deadline passed): the app's
//!   conversation with them (`chat.postMessage` to their user id).
//! - `channels:history`, `groups:history`: receive messages posted in a story's source
//!   thread in public and private channels (the `message.channels` and `message.groups`
//!   events need them), and read the publishing channel's recent history to find an
//!   article's message Slack did not confirm (`conversations.history`).
//! - `files:read`: read text files shared in a source thread (`files.info` and download).
//! - `users:read`: the names of people who add sources by posting in a thread (events carry
//!   only user ids; `users.info`, asked once per person), and the time zone their Slack
//!   profile gives, for their times until they choose one with `/story tz`.
//! - `usergroups:read`: who is in a user group named as a role (`group:S…` in `[roles]
//!   editors`; `usergroups.users.list`).

use crate::catalogue::Catalogue;

/// An ordered YAML value: the manifest keeps Slack's documented key order.
#[derive(Debug, Clone, PartialEq)]
pub enum Yaml {
    /// A string, always written double-quoted.
    Str(String),
    /// A boolean.
    Bool(bool),
    /// A sequence.
    List(Vec<Yaml>),
    /// A mapping, in order.
    Map(Vec<(String, Yaml)>),
}

fn s(text: &str) -> Yaml {
    Yaml::Str(text.to_string())
}

fn map(entries: Vec<(&str, Yaml)>) -> Yaml {
    Yaml::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// The bot scopes the features need.
pub const BOT_SCOPES: &[&str] = &[
    "commands",
    "chat:write",
    "im:write",
    "channels:history",
    "groups:history",
    "files:read",
    "users:read",
    "usergroups:read",
];

/// The bot events storydesk subscribes to.
pub const BOT_EVENTS: &[&str] = &["message.channels", "message.groups"];

/// The manifest for an app served at `base_url` (`https://HOST`, without a path), or over
/// Socket Mode, where Slack needs no request URLs.
pub fn manifest(catalogue: &Catalogue, base_url: Option<&str>, socket_mode: bool) -> Yaml {
    let base = base_url.map(|u| u.trim_end_matches('/').to_string());
    let url = |path: &str| base.as_ref().map(|b| format!("{b}{path}"));
    let mut command = vec![
        ("command", s(&format!("/{}", catalogue.name))),
        ("description", s(&catalogue.description)),
        ("usage_hint", s(&usage_hint(catalogue))),
        ("should_escape", Yaml::Bool(true)),
    ];
    let mut events = vec![(
        "bot_events",
        Yaml::List(BOT_EVENTS.iter().map(|e| s(e)).collect()),
    )];
    let mut interactivity = vec![("is_enabled", Yaml::Bool(true))];
    if !socket_mode {
        if let Some(u) = url("/slack/commands") {
            command.insert(2, ("url", Yaml::Str(u)));
        }
        if let Some(u) = url("/slack/events") {
            events.insert(0, ("request_url", Yaml::Str(u)));
        }
        if let Some(u) = url("/slack/interactivity") {
            interactivity.push(("request_url", Yaml::Str(u)));
        }
    }
    map(vec![
        (
            "display_information",
            map(vec![
                ("name", s("storydesk")),
                (
                    "description",
                    s(&crate::slack::messages::truncate_chars(
                        &catalogue.description,
                        140,
                    )),
                ),
                ("background_color", s("#1d3557")),
            ]),
        ),
        (
            "features",
            map(vec![
                (
                    "bot_user",
                    map(vec![
                        ("display_name", s("storydesk")),
                        ("always_online", Yaml::Bool(true)),
                    ]),
                ),
                ("slash_commands", Yaml::List(vec![map(command)])),
            ]),
        ),
        (
            "oauth_config",
            map(vec![(
                "scopes",
                map(vec![(
                    "bot",
                    Yaml::List(BOT_SCOPES.iter().map(|e| s(e)).collect()),
                )]),
            )]),
        ),
        (
            "settings",
            map(vec![
                ("event_subscriptions", map(events)),
                ("interactivity", map(interactivity)),
                ("org_deploy_enabled", Yaml::Bool(false)),
                ("socket_mode_enabled", Yaml::Bool(socket_mode)),
                ("token_rotation_enabled", Yaml::Bool(false)),
            ]),
        ),
    ])
}

/// The usage hint Slack shows while typing `/story`: the subcommands (at most 1000
/// characters, Slack's limit).
pub fn usage_hint(catalogue: &Catalogue) -> String {
    let mut hint = String::new();
    for name in catalogue.names() {
        let next = if hint.is_empty() {
            name.to_string()
        } else {
            format!(" | {name}")
        };
        if hint.chars().count() + next.chars().count() > 1000 {
            break;
        }
        hint.push_str(&next);
    }
    hint
}

/// The manifest as YAML text.
pub fn to_yaml(value: &Yaml) -> String {
    let mut out = String::from("# The storydesk Slack app. In Slack's app settings: Create New App, From a manifest, paste this.\n");
    write_map_entries(value, 0, &mut out);
    out
}

fn scalar(value: &Yaml) -> Option<String> {
    match value {
        // JSON string syntax is valid YAML double-quoted syntax.
        Yaml::Str(s) => Some(serde_json::to_string(s).expect("strings serialise")),
        Yaml::Bool(b) => Some(b.to_string()),
        Yaml::List(items) if items.is_empty() => Some("[]".into()),
        Yaml::Map(entries) if entries.is_empty() => Some("{}".into()),
        _ => None,
    }
}

fn write_map_entries(value: &Yaml, indent: usize, out: &mut String) {
    let Yaml::Map(entries) = value else { return };
    let pad = " ".repeat(indent);
    for (key, v) in entries {
        match scalar(v) {
            Some(text) => out.push_str(&format!("{pad}{key}: {text}\n")),
            None => {
                out.push_str(&format!("{pad}{key}:\n"));
                write_value(v, indent + 2, out);
            }
        }
    }
}

fn write_value(value: &Yaml, indent: usize, out: &mut String) {
    match value {
        Yaml::Map(_) => write_map_entries(value, indent, out),
        Yaml::List(items) => {
            let pad = " ".repeat(indent);
            for item in items {
                match scalar(item) {
                    Some(text) => out.push_str(&format!("{pad}- {text}\n")),
                    None => {
                        // A mapping in a list: its entries indented past the dash.
                        let mut inner = String::new();
                        write_value(item, indent + 2, &mut inner);
                        let replaced = inner.replacen(&format!("{pad}  "), &format!("{pad}- "), 1);
                        out.push_str(&replaced);
                    }
                }
            }
        }
        other => {
            if let Some(text) = scalar(other) {
                out.push_str(&format!("{}{text}\n", " ".repeat(indent)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::catalogue;

    fn parse(yaml: &str) -> serde_yaml::Value {
        serde_yaml::from_str(yaml).expect("valid YAML")
    }

    #[test]
    fn http_manifest_has_urls_scopes_events_and_the_command() {
        let yaml = to_yaml(&manifest(
            catalogue(),
            Some("https://desk.example.org/"),
            false,
        ));
        let m = parse(&yaml);
        let cmd = &m["features"]["slash_commands"][0];
        assert_eq!(cmd["command"], "/story");
        assert_eq!(cmd["url"], "https://desk.example.org/slack/commands");
        assert_eq!(cmd["should_escape"], true);
        let hint = cmd["usage_hint"].as_str().unwrap();
        assert!(hint.starts_with("new | list"), "{hint}");
        assert!(hint.contains("source add") && hint.contains("publish"));
        assert!(cmd["description"].as_str().unwrap().chars().count() <= 2000);
        assert_eq!(
            m["settings"]["event_subscriptions"]["request_url"],
            "https://desk.example.org/slack/events"
        );
        assert_eq!(
            m["settings"]["interactivity"]["request_url"],
            "https://desk.example.org/slack/interactivity"
        );
        assert_eq!(m["settings"]["interactivity"]["is_enabled"], true);
        assert_eq!(m["settings"]["socket_mode_enabled"], false);
        let scopes: Vec<&str> = m["oauth_config"]["scopes"]["bot"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(scopes, BOT_SCOPES);
        let events: Vec<&str> = m["settings"]["event_subscriptions"]["bot_events"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(events, BOT_EVENTS);
        assert!(
            m["display_information"]["description"]
                .as_str()
                .unwrap()
                .chars()
                .count()
                <= 140
        );
    }

    #[test]
    fn socket_mode_manifest_needs_no_urls() {
        let yaml = to_yaml(&manifest(catalogue(), None, true));
        let m = parse(&yaml);
        assert_eq!(m["settings"]["socket_mode_enabled"], true);
        assert!(m["features"]["slash_commands"][0].get("url").is_none());
        assert!(m["settings"]["event_subscriptions"]
            .get("request_url")
            .is_none());
        assert!(m["settings"]["interactivity"].get("request_url").is_none());
        assert!(!yaml.contains("https://"), "{yaml}");
    }
}
