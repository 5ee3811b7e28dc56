//! What Slack sends: slash commands, interactivity payloads (button clicks, modal
//! submissions) and Events API envelopes, with only the fields storydesk reads. The same
//! types serve HTTP (form bodies, JSON) and Socket Mode (envelope payloads).
//!
//! [`decode_http`] and [`decode_payload`] turn what arrived into an [`Inbound`], or a
//! [`DecodeError`] for anything that is not a payload Slack sends: they never panic, whatever
//! the bytes (property tests and fuzz targets hold them to it). Fields storydesk needs to
//! know who asked where (the workspace, channel and user of a command, the type and user of
//! an interaction, the id of an event) must be present; the rest may be missing.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Inbound;

/// The Slack endpoint a request body came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /slack/commands`: a form.
    Commands,
    /// `POST /slack/interactivity`: a form whose `payload` field holds JSON.
    Interactivity,
    /// `POST /slack/events`: JSON.
    Events,
}

/// Why a body is not a payload storydesk takes. The words never quote the body (it may hold
/// a source's text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The body is not `application/x-www-form-urlencoded` text with the fields expected.
    #[error("the body is not a form of the expected fields")]
    Form,
    /// An interactivity form without its `payload` field.
    #[error("the form has no payload field")]
    NoPayload,
    /// The body (or the `payload` field) is not JSON.
    #[error("the payload is not JSON")]
    Json,
    /// The JSON does not have the shape of the payload (an array, a number where an object
    /// goes, …).
    #[error("the payload does not have the shape of a Slack {0}")]
    Shape(&'static str),
    /// A field storydesk needs is missing or empty.
    #[error("the payload has no {0}")]
    Missing(&'static str),
    /// A Socket Mode envelope of a type storydesk does not handle.
    #[error("an envelope of an unknown type")]
    UnknownType,
}

/// Decodes the raw body of a request to one of the Slack endpoints.
pub fn decode_http(endpoint: Endpoint, body: &[u8]) -> Result<Inbound, DecodeError> {
    match endpoint {
        Endpoint::Commands => {
            let command: SlashCommand =
                serde_urlencoded::from_bytes(body).map_err(|_| DecodeError::Form)?;
            command.checked().map(Inbound::Command)
        }
        Endpoint::Interactivity => {
            /// An interactivity request: a form with one field, `payload`, holding JSON.
            #[derive(Deserialize)]
            struct Form {
                /// The JSON.
                payload: Option<String>,
            }
            let form: Form = serde_urlencoded::from_bytes(body).map_err(|_| DecodeError::Form)?;
            let payload = form.payload.ok_or(DecodeError::NoPayload)?;
            let value: Value = serde_json::from_str(&payload).map_err(|_| DecodeError::Json)?;
            Interaction::decode(value).map(|i| Inbound::Interaction(Box::new(i)))
        }
        Endpoint::Events => {
            let value: Value = serde_json::from_slice(body).map_err(|_| DecodeError::Json)?;
            EventEnvelope::decode(value).map(|e| Inbound::Event(Box::new(e)))
        }
    }
}

/// Decodes the payload of a Socket Mode envelope of type `kind` (`slash_commands`,
/// `interactive`, `events_api`).
pub fn decode_payload(kind: &str, payload: Value) -> Result<Inbound, DecodeError> {
    match kind {
        "slash_commands" => {
            let command: SlashCommand =
                serde_json::from_value(payload).map_err(|_| DecodeError::Shape("slash command"))?;
            command.checked().map(Inbound::Command)
        }
        "interactive" => Interaction::decode(payload).map(|i| Inbound::Interaction(Box::new(i))),
        "events_api" => EventEnvelope::decode(payload).map(|e| Inbound::Event(Box::new(e))),
        _ => Err(DecodeError::UnknownType),
    }
}

/// `Err(Missing(name))` when `value` is empty.
fn required(value: &str, name: &'static str) -> Result<(), DecodeError> {
    if value.trim().is_empty() {
        Err(DecodeError::Missing(name))
    } else {
        Ok(())
    }
}

/// A slash command (`/story …`), as a form over HTTP or a `slash_commands` envelope's payload.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SlashCommand {
    /// The workspace.
    #[serde(default)]
    pub team_id: String,
    /// Where it was typed.
    #[serde(default)]
    pub channel_id: String,
    /// Who typed it.
    #[serde(default)]
    pub user_id: String,
    /// Their user name (deprecated by Slack, still sent; used for display only).
    #[serde(default)]
    pub user_name: String,
    /// The command as typed (`/story`).
    #[serde(default)]
    pub command: String,
    /// Everything after the command, escaped by Slack.
    #[serde(default)]
    pub text: String,
    /// Where to send up to five more answers within 30 minutes.
    #[serde(default)]
    pub response_url: String,
    /// Opens one modal within 3 seconds; unique per command, so it is the idempotency key.
    #[serde(default)]
    pub trigger_id: String,
}

impl SlashCommand {
    /// The command, if it says which workspace, channel and user it comes from.
    fn checked(self) -> Result<SlashCommand, DecodeError> {
        required(&self.command, "command")?;
        required(&self.team_id, "team_id")?;
        required(&self.channel_id, "channel_id")?;
        required(&self.user_id, "user_id")?;
        Ok(self)
    }
}

/// A Slack user as interactivity payloads describe them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct User {
    /// The user id (`U…`, `W…`).
    #[serde(default)]
    pub id: String,
    /// Their user name.
    #[serde(default)]
    pub username: Option<String>,
    /// Another form of their name.
    #[serde(default)]
    pub name: Option<String>,
    /// Their workspace.
    #[serde(default)]
    pub team_id: Option<String>,
}

/// An object with an id (team, channel).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Id {
    /// The id.
    #[serde(default)]
    pub id: String,
}

/// Where a clicked button sits.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Container {
    /// The channel of the message.
    #[serde(default)]
    pub channel_id: Option<String>,
    /// The message's `ts`.
    #[serde(default)]
    pub message_ts: Option<String>,
    /// The thread the message is in.
    #[serde(default)]
    pub thread_ts: Option<String>,
}

/// The message a clicked button sits on.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MessageRef {
    /// Its `ts`.
    #[serde(default)]
    pub ts: String,
    /// Its thread's parent `ts`, for a message in a thread.
    #[serde(default)]
    pub thread_ts: Option<String>,
}

/// One clicked element.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActionPayload {
    /// Which button (`storydesk_approve`, …).
    #[serde(default)]
    pub action_id: String,
    /// What the button carries.
    #[serde(default)]
    pub value: Option<String>,
    /// When it was clicked (Slack's timestamp of this click).
    #[serde(default)]
    pub action_ts: Option<String>,
}

/// One input's value in a submitted modal.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InputValue {
    /// The text typed (absent when left empty).
    #[serde(default)]
    pub value: Option<String>,
}

/// A submitted modal's state.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ViewState {
    /// block id → action id → value.
    #[serde(default)]
    pub values: HashMap<String, HashMap<String, InputValue>>,
}

/// A modal as submitted.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct View {
    /// Slack's view id.
    #[serde(default)]
    pub id: String,
    /// Which of our modals.
    #[serde(default)]
    pub callback_id: String,
    /// What we put in when opening it ([`FormMeta`] as JSON).
    #[serde(default)]
    pub private_metadata: String,
    /// The inputs' values.
    #[serde(default)]
    pub state: ViewState,
    /// The view's version.
    #[serde(default)]
    pub hash: Option<String>,
}

impl View {
    /// The text of the input in block `block_id`, if any was typed.
    pub fn value(&self, block_id: &str) -> Option<&str> {
        self.state
            .values
            .get(block_id)?
            .values()
            .find_map(|v| v.value.as_deref())
    }
}

/// An interactivity payload (`block_actions`, `view_submission`, …).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Interaction {
    /// The payload's type.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Who acted.
    #[serde(default)]
    pub user: User,
    /// The workspace.
    #[serde(default)]
    pub team: Option<Id>,
    /// Opens a modal within 3 seconds; fresh for every interaction.
    #[serde(default)]
    pub trigger_id: String,
    /// Where to answer a button click.
    #[serde(default)]
    pub response_url: Option<String>,
    /// The channel of a clicked message.
    #[serde(default)]
    pub channel: Option<Id>,
    /// Where a clicked button sits.
    #[serde(default)]
    pub container: Option<Container>,
    /// The message a clicked button sits on.
    #[serde(default)]
    pub message: Option<MessageRef>,
    /// What was clicked.
    #[serde(default)]
    pub actions: Vec<ActionPayload>,
    /// The submitted modal.
    #[serde(default)]
    pub view: Option<View>,
}

impl Interaction {
    /// An interactivity payload from its JSON: an object with its type, the user who acted
    /// and the workspace; a click with what was clicked, a submission with its view.
    pub fn decode(value: Value) -> Result<Interaction, DecodeError> {
        let interaction: Interaction =
            serde_json::from_value(value).map_err(|_| DecodeError::Shape("interaction"))?;
        required(&interaction.kind, "type")?;
        required(&interaction.user.id, "user")?;
        required(&interaction.team_id(), "team")?;
        match interaction.kind.as_str() {
            "block_actions" if interaction.actions.is_empty() => {
                Err(DecodeError::Missing("actions"))
            }
            "view_submission" if interaction.view.is_none() => Err(DecodeError::Missing("view")),
            _ => Ok(interaction),
        }
    }

    /// The workspace id.
    pub fn team_id(&self) -> String {
        self.team
            .as_ref()
            .map(|t| t.id.clone())
            .filter(|t| !t.is_empty())
            .or_else(|| self.user.team_id.clone())
            .unwrap_or_default()
    }

    /// The actor's display name.
    pub fn user_name(&self) -> Option<String> {
        self.user
            .username
            .clone()
            .or_else(|| self.user.name.clone())
            .filter(|n| !n.is_empty())
    }
}

/// A file shared in a message.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FileRef {
    /// The file id, for `files.info`.
    #[serde(default)]
    pub id: String,
}

/// A message event (`message.channels`, `message.groups`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MessageEvent {
    /// `message` for the events handled.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Absent for a plain message; `file_share` for one with files; others are edits,
    /// deletions, joins, bot messages…
    #[serde(default)]
    pub subtype: Option<String>,
    /// The channel.
    #[serde(default)]
    pub channel: Option<String>,
    /// The author.
    #[serde(default)]
    pub user: Option<String>,
    /// The text, escaped by Slack.
    #[serde(default)]
    pub text: Option<String>,
    /// The message's `ts`.
    #[serde(default)]
    pub ts: Option<String>,
    /// The thread's parent `ts` for a reply in a thread.
    #[serde(default)]
    pub thread_ts: Option<String>,
    /// Present on messages from bots, storydesk's own included.
    #[serde(default)]
    pub bot_id: Option<String>,
    /// Files shared with the message.
    #[serde(default)]
    pub files: Vec<FileRef>,
}

/// An Events API envelope (`url_verification` or `event_callback`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EventEnvelope {
    /// The envelope's type.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The `url_verification` challenge to echo.
    #[serde(default)]
    pub challenge: Option<String>,
    /// The workspace.
    #[serde(default)]
    pub team_id: String,
    /// Unique per event and kept across retries: the idempotency key.
    #[serde(default)]
    pub event_id: String,
    /// The event.
    #[serde(default)]
    pub event: Option<MessageEvent>,
}

impl EventEnvelope {
    /// An Events API envelope from its JSON: a `url_verification` with its challenge, or an
    /// envelope with its type (an `event_callback` also with its workspace and event id,
    /// which is the idempotency key).
    pub fn decode(value: Value) -> Result<EventEnvelope, DecodeError> {
        let envelope: EventEnvelope =
            serde_json::from_value(value).map_err(|_| DecodeError::Shape("event envelope"))?;
        required(&envelope.kind, "type")?;
        match envelope.kind.as_str() {
            "url_verification" if envelope.challenge.is_none() => {
                Err(DecodeError::Missing("challenge"))
            }
            "event_callback" => {
                required(&envelope.team_id, "team_id")?;
                required(&envelope.event_id, "event_id")?;
                Ok(envelope)
            }
            _ => Ok(envelope),
        }
    }
}

/// Which of storydesk's modals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FormKind {
    /// `/story source add`.
    Source,
    /// `/story write`.
    Write,
    /// A Request changes button's note.
    Changes,
}

/// What a modal carries in its `private_metadata` (at most 3000 characters), so its
/// submission can become a request without any state kept in memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormMeta {
    /// Which modal.
    pub k: FormKind,
    /// The channel the command came from.
    pub c: String,
    /// The story.
    pub s: u64,
    /// The subcommand.
    #[serde(default)]
    pub sub: String,
    /// The command's options.
    #[serde(default)]
    pub o: Vec<(String, String)>,
    /// The thread the request belongs to.
    #[serde(default)]
    pub t: Option<String>,
    /// Separators between the prefilled boxes.
    #[serde(default)]
    pub sep: Vec<String>,
    /// The number of text boxes.
    #[serde(default)]
    pub n: usize,
    /// For a change request: the section.
    #[serde(default)]
    pub sec: Option<String>,
    /// For a change request: the revision.
    #[serde(default)]
    pub r: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const VIEW_SUBMISSION: &str =
        include_str!("../../tests/fixtures/slack/view_submission.bolt-python.json");
    const BLOCK_ACTIONS: &str =
        include_str!("../../tests/fixtures/slack/block_actions.bolt-python.with-message.json");
    const SLASH: &str =
        include_str!("../../tests/fixtures/slack/slash_command.bolt-python.form.txt");
    const APP_MENTION: &str =
        include_str!("../../tests/fixtures/slack/event_callback.app_mention.bolt-python.json");

    #[test]
    fn real_payloads_parse() {
        let v: Interaction = serde_json::from_str(VIEW_SUBMISSION).unwrap();
        assert_eq!(v.kind, "view_submission");
        assert_eq!(v.team_id(), "T111");
        assert_eq!(v.trigger_id, "111.222.valid");
        assert_eq!(v.view.as_ref().unwrap().value("hspI"), Some("test"));
        assert_eq!(v.user_name().as_deref(), Some("primary-owner"));

        let b: Interaction = serde_json::from_str(BLOCK_ACTIONS).unwrap();
        assert_eq!(b.kind, "block_actions");
        assert_eq!(b.actions[0].action_id, "button");
        assert_eq!(b.message.as_ref().unwrap().ts, "1678252213.679169");
        assert_eq!(b.channel.as_ref().unwrap().id, "C111");

        let s: SlashCommand = serde_urlencoded::from_str(SLASH.trim()).unwrap();
        assert_eq!(s.command, "/hello-world");
        assert_eq!(s.text, "Hi");
        assert_eq!(s.trigger_id, "111.111.xxx");
        assert_eq!(s.user_name, "primary-owner");

        let e: EventEnvelope = serde_json::from_str(APP_MENTION).unwrap();
        assert_eq!(e.kind, "event_callback");
        assert_eq!(e.event_id, "Ev04SPP46R6J");
        assert_eq!(e.event.unwrap().kind, "app_mention");
    }
}
