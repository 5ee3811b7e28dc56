//! The identity of one inbound platform event, by which the desk does each effect once.
//!
//! Every way in gives its events an id that a redelivery repeats: Slack's `trigger_id` for a
//! command, a click or a submitted form, the Events API's `event_id`; Discord's interaction
//! and message ids. An adapter names the event with an [`EventKey`] in the
//! [`Request`](super::Request) and decides nothing with it: the desk claims a write's key in
//! the store, in the same transaction as the write, and a read's key in its in-memory
//! window ([`super::recent`]), so a redelivery of either does nothing twice and a read never
//! writes to the disk.

use std::fmt;

use crate::model::Platform;

/// What kind of event a platform sent: with the platform and team, it says where an id is
/// unique.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A slash command (Slack's `trigger_id`), or a console line.
    Command,
    /// A submitted form (Slack's modal `view_submission`).
    View,
    /// A button clicked (Slack's `trigger_id` of that click, or its `action_ts`).
    Click,
    /// An Events API event (Slack's `event_id`, the same on every retry).
    Event,
    /// A Discord interaction: a command, a click or a submitted form (its interaction id).
    Interaction,
    /// A chat message posted where storydesk listens (a Discord message id).
    Message,
}

impl EventKind {
    /// The kind's name in a stored claim.
    pub fn as_str(&self) -> &'static str {
        match self {
            EventKind::Command => "command",
            EventKind::View => "view",
            EventKind::Click => "click",
            EventKind::Event => "event",
            EventKind::Interaction => "interaction",
            EventKind::Message => "message",
        }
    }
}

/// One inbound event: the platform, the team (Slack workspace, Discord guild), the kind of
/// event and the platform's id for it. Two events with the same key are one event
/// delivered twice.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventKey {
    /// The platform the event came from.
    pub platform: Platform,
    /// The Slack workspace or Discord guild (`local` in the console).
    pub team: String,
    /// What kind of event.
    pub kind: EventKind,
    /// The platform's id of the event; for one effect among several of an event (each file
    /// shared with a message), the event's id and the part's ([`EventKey::part`]).
    pub id: String,
}

impl EventKey {
    /// The key of an event.
    pub fn new(
        platform: Platform,
        team: impl Into<String>,
        kind: EventKind,
        id: impl Into<String>,
    ) -> Self {
        EventKey {
            platform,
            team: team.into(),
            kind,
            id: id.into(),
        }
    }

    /// The key of one of several effects of this event (a file shared with a message:
    /// `part("file", id)`), each claimed on its own.
    pub fn part(&self, what: &str, id: &str) -> EventKey {
        EventKey {
            id: format!("{}:{what}:{id}", self.id),
            ..self.clone()
        }
    }

    /// The bytes a claim is kept under: `{platform}:{team}:{kind}:{id}`.
    pub fn claim(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}:{}",
            self.platform.as_str(),
            self.team,
            self.kind.as_str(),
            self.id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_names_platform_team_kind_and_id() {
        let key = EventKey::new(Platform::Slack, "T1", EventKind::Event, "Ev1");
        assert_eq!(key.claim(), "slack:T1:event:Ev1");
        assert_eq!(key.part("file", "F1").claim(), "slack:T1:event:Ev1:file:F1");
        let discord = EventKey::new(Platform::Discord, "42", EventKind::Interaction, "7");
        assert_eq!(discord.claim(), "discord:42:interaction:7");
        // The same id in another workspace is another event.
        assert_ne!(
            key,
            EventKey::new(Platform::Slack, "T2", EventKind::Event, "Ev1")
        );
    }
}
