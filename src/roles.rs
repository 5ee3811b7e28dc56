//! Who holds a role: the entries of a role list (`[roles] editors`, and any later list of
//! people such as a section's required reviewers), parsed once from the config, and the one
//! rule that matches them against the person asking.
//!
//! On Slack and Discord a person is their platform user id, and what they belong to is what
//! the platform says (a Discord member's roles, a Slack user group's members). A display name
//! or server nickname is for showing only: anyone can set one, so it never grants anything.
//! Only in the console, where a person is the name given with `:as`, does a name match.
//!
//! Architecture invariant: this module is platform-neutral (no serenity, Slack or HTTP
//! types); adapters fill in [`Memberships`] and the desk asks [`RoleList::admits`].

use std::fmt;

use serde::Deserialize;

use crate::model::{Person, Platform};

/// One entry of a role list, as the operator wrote it, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum Entry {
    /// A Slack user id (`U…` or `W…`).
    SlackUser(String),
    /// A Discord user id (a snowflake: 17 to 20 digits).
    DiscordUser(String),
    /// `role:ID`: every member holding this Discord role.
    DiscordRole(String),
    /// `group:ID`: every member of this Slack user group (`S…`).
    SlackGroup(String),
    /// Anything else: a person's name, which only the console matches.
    Name(String),
}

/// Why a config entry is not a role entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// An empty string.
    #[error("an entry is empty")]
    Empty,
    /// `role:` not followed by a Discord role id.
    #[error("`{0}` is not a Discord role: write role:ID with the role's id, 17 to 20 digits (Server Settings → Roles → Copy Role ID)")]
    BadRole(String),
    /// `group:` not followed by a Slack user group id.
    #[error("`{0}` is not a Slack user group: write group:ID with the group's id, which starts with S (the group's page → Copy group ID)")]
    BadGroup(String),
    /// `something:` that is neither `role:` nor `group:`.
    #[error("`{0}` has an unknown kind: an entry is a user id, role:ID (Discord), group:ID (Slack) or, in the console, a name")]
    UnknownKind(String),
}

/// Whether `text` can be a Slack user id: `U` or `W`, then uppercase letters and digits.
pub fn is_slack_user_id(text: &str) -> bool {
    text.len() >= 3
        && text.starts_with(['U', 'W'])
        && text
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Whether `text` can be a Slack user group id: `S`, then uppercase letters and digits.
pub fn is_slack_group_id(text: &str) -> bool {
    text.len() >= 3
        && text.starts_with('S')
        && text
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Whether `text` can be a Discord id (user or role): a snowflake of 17 to 20 digits.
pub fn is_discord_id(text: &str) -> bool {
    (17..=20).contains(&text.len()) && text.chars().all(|c| c.is_ascii_digit())
}

impl Entry {
    /// The entry `text` stands for. `role:` and `group:` must carry a well-formed id; any
    /// other text that is not an id is a name.
    pub fn parse(text: &str) -> Result<Entry, EntryError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(EntryError::Empty);
        }
        if let Some(id) = text.strip_prefix("role:") {
            return if is_discord_id(id) {
                Ok(Entry::DiscordRole(id.to_string()))
            } else {
                Err(EntryError::BadRole(text.to_string()))
            };
        }
        if let Some(id) = text.strip_prefix("group:") {
            return if is_slack_group_id(id) {
                Ok(Entry::SlackGroup(id.to_string()))
            } else {
                Err(EntryError::BadGroup(text.to_string()))
            };
        }
        if let Some((kind, _)) = text.split_once(':') {
            if !kind.is_empty() && kind.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(EntryError::UnknownKind(text.to_string()));
            }
        }
        Ok(if is_slack_user_id(text) {
            Entry::SlackUser(text.to_string())
        } else if is_discord_id(text) {
            Entry::DiscordUser(text.to_string())
        } else {
            Entry::Name(text.to_string())
        })
    }

    /// Whether this entry can match anyone on `platform`.
    pub fn usable_on(&self, platform: Platform) -> bool {
        match platform {
            Platform::Console => matches!(
                self,
                Entry::SlackUser(_) | Entry::DiscordUser(_) | Entry::Name(_)
            ),
            Platform::Slack => matches!(self, Entry::SlackUser(_) | Entry::SlackGroup(_)),
            Platform::Discord => matches!(self, Entry::DiscordUser(_) | Entry::DiscordRole(_)),
        }
    }

    /// Whether `who` is covered by this entry. The one matching rule.
    pub fn admits(&self, who: &Identity<'_>) -> bool {
        let id = who.person.id.as_str();
        match (who.platform, self) {
            // In the console a person is the name given with `:as`; it is their id too.
            (
                Platform::Console,
                Entry::Name(text) | Entry::SlackUser(text) | Entry::DiscordUser(text),
            ) => text.eq_ignore_ascii_case(id),
            (Platform::Slack, Entry::SlackUser(user)) => user == id,
            (Platform::Slack, Entry::SlackGroup(group)) => {
                who.memberships.slack_groups.iter().any(|g| g == group)
            }
            (Platform::Discord, Entry::DiscordUser(user)) => user == id,
            (Platform::Discord, Entry::DiscordRole(role)) => {
                who.memberships.discord_roles.iter().any(|r| r == role)
            }
            _ => false,
        }
    }
}

/// A mention in a message the desk writes: `<mention:ENTRY>`, where ENTRY is a role-list
/// entry as the config writes it (a user id, `role:…`, `group:…`) or a person's platform
/// id. Each platform renders it ([`Entry::slack_mention`], [`Entry::discord_mention`],
/// [`Entry::console_mention`]) with [`render_mentions`]; text people typed can never make
/// one, since the desk writes them only around ids it knows.
pub fn mention(entry: &str) -> String {
    format!("<mention:{entry}>")
}

/// `text` with every [`mention`] replaced by `render(entry)`; a marker whose entry does
/// not parse is left as it is.
pub fn render_mentions(text: &str, mut render: impl FnMut(&Entry) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("<mention:") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "<mention:".len()..];
        let parsed = after
            .find('>')
            .filter(|&end| end <= 80)
            .and_then(|end| Entry::parse(&after[..end]).ok().map(|e| (end, e)));
        match parsed {
            Some((end, entry)) => {
                out.push_str(&render(&entry));
                rest = &after[end + 1..];
            }
            None => {
                out.push_str("<mention:");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

impl Entry {
    /// Slack's mention: `<@U…>` for a user, `<!subteam^S…>` for a user group.
    pub fn slack_mention(&self) -> String {
        match self {
            Entry::SlackUser(id) => format!("<@{id}>"),
            Entry::SlackGroup(id) => format!("<!subteam^{id}>"),
            other => other.console_mention(),
        }
    }

    /// Discord's mention: `<@…>` for a user, `<@&…>` for a role.
    pub fn discord_mention(&self) -> String {
        match self {
            Entry::DiscordUser(id) => format!("<@{id}>"),
            Entry::DiscordRole(id) => format!("<@&{id}>"),
            other => other.console_mention(),
        }
    }

    /// The console's: `@` and the entry as written.
    pub fn console_mention(&self) -> String {
        format!("@{self}")
    }
}

impl TryFrom<String> for Entry {
    type Error = EntryError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Entry::parse(&text)
    }
}

impl fmt::Display for Entry {
    /// The entry as the operator writes it in the config.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entry::SlackUser(t) | Entry::DiscordUser(t) | Entry::Name(t) => f.write_str(t),
            Entry::DiscordRole(id) => write!(f, "role:{id}"),
            Entry::SlackGroup(id) => write!(f, "group:{id}"),
        }
    }
}

/// What the platform says the person asking belongs to, as far as the adapter knows. Empty
/// in the console and wherever the platform says nothing (a Discord DM has no member).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memberships {
    /// The Discord role ids the member holds in the server the request came from.
    pub discord_roles: Vec<String>,
    /// The Slack user groups the user belongs to, among those the config names (only those
    /// are looked up).
    pub slack_groups: Vec<String>,
}

/// A person as role matching sees them: the platform that vouches for them, their id there,
/// and what they belong to.
#[derive(Debug, Clone, Copy)]
pub struct Identity<'a> {
    /// The platform the request came from: it decides which entries can match.
    pub platform: Platform,
    /// The person (their id; the name matters only in the console, where it is the id).
    pub person: &'a Person,
    /// Their roles or groups on the platform.
    pub memberships: &'a Memberships,
}

/// A role list from the config: who holds the role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct RoleList(Vec<Entry>);

impl RoleList {
    /// A list of parsed entries.
    pub fn new(entries: Vec<Entry>) -> Self {
        RoleList(entries)
    }

    /// The entries, in the config's order.
    pub fn entries(&self) -> &[Entry] {
        &self.0
    }

    /// True when nobody is listed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `who` holds the role.
    pub fn admits(&self, who: &Identity<'_>) -> bool {
        self.0.iter().any(|e| e.admits(who))
    }

    /// The Slack user groups the list names: the ones an adapter must look up.
    pub fn slack_groups(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|e| match e {
            Entry::SlackGroup(g) => Some(g.as_str()),
            _ => None,
        })
    }

    /// The entries that match nobody on any of `platforms` (a name while only Slack and
    /// Discord serve, a Discord id while only Slack does). Empty when `platforms` is.
    pub fn unusable_on(&self, platforms: &[Platform]) -> Vec<&Entry> {
        if platforms.is_empty() {
            return Vec::new();
        }
        self.0
            .iter()
            .filter(|e| !platforms.iter().any(|p| e.usable_on(*p)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "900000000000000001";
    const USER: &str = "800000000000000004";

    fn list(entries: &[&str]) -> RoleList {
        RoleList::new(entries.iter().map(|e| Entry::parse(e).unwrap()).collect())
    }

    fn admits(list: &RoleList, platform: Platform, id: &str, name: &str, m: &Memberships) -> bool {
        let person = Person {
            id: id.into(),
            name: name.into(),
        };
        list.admits(&Identity {
            platform,
            person: &person,
            memberships: m,
        })
    }

    #[test]
    fn entries_are_parsed_by_kind() {
        assert_eq!(
            Entry::parse("U024BE7LH"),
            Ok(Entry::SlackUser("U024BE7LH".into()))
        );
        assert_eq!(
            Entry::parse("W0ABC12"),
            Ok(Entry::SlackUser("W0ABC12".into()))
        );
        assert_eq!(Entry::parse(USER), Ok(Entry::DiscordUser(USER.into())));
        assert_eq!(
            Entry::parse(&format!("role:{ROLE}")),
            Ok(Entry::DiscordRole(ROLE.into()))
        );
        assert_eq!(
            Entry::parse("group:S0EDITORS"),
            Ok(Entry::SlackGroup("S0EDITORS".into()))
        );
        assert_eq!(Entry::parse("erin"), Ok(Entry::Name("erin".into())));
        // Too short for a snowflake, lowercase for a Slack id: names.
        assert_eq!(Entry::parse("12345"), Ok(Entry::Name("12345".into())));
        assert_eq!(
            Entry::parse("u024be7lh"),
            Ok(Entry::Name("u024be7lh".into()))
        );
        assert_eq!(Entry::parse(" erin "), Ok(Entry::Name("erin".into())));
    }

    #[test]
    fn malformed_role_and_group_entries_are_refused() {
        assert_eq!(
            Entry::parse("role:editors"),
            Err(EntryError::BadRole("role:editors".into()))
        );
        assert_eq!(
            Entry::parse("role:"),
            Err(EntryError::BadRole("role:".into()))
        );
        assert_eq!(
            Entry::parse("group:editors"),
            Err(EntryError::BadGroup("group:editors".into()))
        );
        assert_eq!(
            Entry::parse("group:U0ERIN"),
            Err(EntryError::BadGroup("group:U0ERIN".into()))
        );
        assert_eq!(
            Entry::parse("roles:123"),
            Err(EntryError::UnknownKind("roles:123".into()))
        );
        assert_eq!(Entry::parse("  "), Err(EntryError::Empty));
    }

    #[test]
    fn entries_print_as_written() {
        for text in [
            "U024BE7LH",
            USER,
            "role:900000000000000001",
            "group:S0ED",
            "erin",
        ] {
            assert_eq!(Entry::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn on_slack_and_discord_a_name_grants_nothing() {
        let roles = list(&["erin", "Erin"]);
        let none = Memberships::default();
        assert!(!admits(&roles, Platform::Slack, "U0MALLORY", "erin", &none));
        assert!(!admits(&roles, Platform::Discord, USER, "Erin", &none));
        // The id may even be the name: still no.
        assert!(!admits(&roles, Platform::Slack, "erin", "erin", &none));
        assert!(!admits(&roles, Platform::Discord, "erin", "erin", &none));
    }

    #[test]
    fn user_ids_match_on_their_own_platform_only() {
        let roles = list(&["U0ERIN", USER]);
        let none = Memberships::default();
        assert!(admits(&roles, Platform::Slack, "U0ERIN", "someone", &none));
        assert!(!admits(
            &roles,
            Platform::Slack,
            "U0MALLORY",
            "U0ERIN",
            &none
        ));
        assert!(admits(&roles, Platform::Discord, USER, "someone", &none));
        assert!(!admits(
            &roles,
            Platform::Discord,
            "800000000000000009",
            USER,
            &none
        ));
        assert!(!admits(&roles, Platform::Discord, "U0ERIN", "x", &none));
        assert!(!admits(&roles, Platform::Slack, USER, "x", &none));
    }

    #[test]
    fn roles_and_groups_match_by_membership_on_their_platform() {
        let roles = list(&[&format!("role:{ROLE}"), "group:S0EDITORS"]);
        let discord = Memberships {
            discord_roles: vec![ROLE.into()],
            ..Default::default()
        };
        let slack = Memberships {
            slack_groups: vec!["S0EDITORS".into()],
            ..Default::default()
        };
        let none = Memberships::default();
        assert!(admits(&roles, Platform::Discord, USER, "x", &discord));
        assert!(!admits(&roles, Platform::Discord, USER, "x", &none));
        assert!(!admits(&roles, Platform::Discord, USER, "x", &slack));
        assert!(admits(&roles, Platform::Slack, "U0ERIN", "x", &slack));
        assert!(!admits(&roles, Platform::Slack, "U0ERIN", "x", &none));
        assert!(!admits(&roles, Platform::Slack, "U0ERIN", "x", &discord));
        // The console has no memberships, and a role's id is not a name.
        assert!(!admits(&roles, Platform::Console, ROLE, ROLE, &discord));
        assert!(!admits(
            &roles,
            Platform::Console,
            "S0EDITORS",
            "S0EDITORS",
            &slack
        ));
    }

    #[test]
    fn the_console_matches_names_without_regard_to_case() {
        let roles = list(&["Erin", "U0ERIN"]);
        let none = Memberships::default();
        assert!(admits(&roles, Platform::Console, "erin", "erin", &none));
        assert!(admits(&roles, Platform::Console, "u0erin", "u0erin", &none));
        assert!(!admits(&roles, Platform::Console, "alice", "alice", &none));
    }

    #[test]
    fn entries_no_enabled_platform_can_match_are_found() {
        let roles = list(&[
            "erin",
            "U0ERIN",
            USER,
            "role:900000000000000001",
            "group:S0ED",
        ]);
        let names = |v: Vec<&Entry>| v.iter().map(|e| e.to_string()).collect::<Vec<_>>();
        assert_eq!(
            names(roles.unusable_on(&[Platform::Slack])),
            ["erin", USER, "role:900000000000000001"]
        );
        assert_eq!(
            names(roles.unusable_on(&[Platform::Discord])),
            ["erin", "U0ERIN", "group:S0ED"]
        );
        assert_eq!(
            names(roles.unusable_on(&[Platform::Slack, Platform::Discord])),
            ["erin"]
        );
        assert!(roles.unusable_on(&[]).is_empty());
    }
}
