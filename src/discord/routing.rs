//! From a Discord interaction to what storydesk does with it: a [`Route`].
//!
//! This is translation only: slash-command options become a desk [`Request`] with typed
//! options, buttons and forms carry their meaning in their `custom_id`, and the interaction
//! id becomes the request's idempotency key. No workflow rule is decided here.

use serenity::all::{
    ActionRowComponent, Attachment, ChannelType, CommandDataOption, CommandDataOptionValue,
    CommandInteraction, ComponentInteraction, GuildId, Interaction, Member, ModalInteraction,
    PartialChannel, RoleId, User,
};

use crate::desk::{Action, Desk, DraftRef, EventKey, EventKind, Input, Request};
use crate::model::{ChannelKey, Person, Place, Platform, StoryId, Timestamp};
use crate::roles::Memberships;

use super::commands::FILE_OPTION;

/// The prefix of every `custom_id` storydesk makes, so it never mistakes another app's.
const PREFIX: &str = "sd";

/// The custom id of the field holding a source's label in the source form.
pub const LABEL_FIELD: &str = "label";
/// The custom id of the field holding a change request's note.
pub const NOTE_FIELD: &str = "note";
/// The custom id prefix of long-text fields: `text1` … `text5`.
pub const TEXT_FIELD: &str = "text";

/// What a form is for, as its `custom_id` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    /// A new source (`source add`); the label is a field of the form.
    Source,
    /// A new revision of a section of a story.
    Write {
        /// The story.
        story: StoryId,
        /// The section.
        section: String,
        /// The revision the form showed, which the text is written over (`None` in forms
        /// opened before the id carried it).
        base: Option<u32>,
    },
    /// A change request's note, for the revision the button was under.
    Note(Action),
    /// An assisted draft, edited before it is saved.
    EditDraft(DraftRef),
}

impl Form {
    /// The form's `custom_id` (at most 100 characters: section names are short).
    pub fn custom_id(&self) -> String {
        match self {
            Form::Source => format!("{PREFIX}:source"),
            Form::Write {
                story,
                section,
                base: None,
            } => format!("{PREFIX}:write:{}:{section}", story.0),
            Form::Write {
                story,
                section,
                base: Some(base),
            } => format!("{PREFIX}:write:{}@{base}:{section}", story.0),
            Form::Note(action) => format!("{PREFIX}:note:{}", action_fields(action)),
            Form::EditDraft(draft) => format!("{PREFIX}:draft:{}", draft_fields(draft)),
        }
    }

    /// The form a `custom_id` names, if it is one of ours.
    pub fn parse(custom_id: &str) -> Option<Form> {
        let rest = custom_id.strip_prefix(PREFIX)?.strip_prefix(':')?;
        let (kind, rest) = rest.split_once(':').unwrap_or((rest, ""));
        match kind {
            "source" if rest.is_empty() => Some(Form::Source),
            "write" => {
                let (story, section) = rest.split_once(':')?;
                let (story, base) = match story.split_once('@') {
                    Some((story, base)) => (story, Some(base.parse().ok()?)),
                    None => (story, None),
                };
                let story = StoryId(story.parse().ok()?);
                (!section.is_empty()).then(|| Form::Write {
                    story,
                    section: section.to_string(),
                    base,
                })
            }
            "note" => parse_action_fields(rest, false).map(Form::Note),
            "draft" => parse_draft_fields(rest).map(Form::EditDraft),
            _ => None,
        }
    }
}

/// `{story}:{revision}:{section}`: the section last, so it may contain anything.
fn action_fields(action: &Action) -> String {
    match action {
        Action::Approve {
            story,
            section,
            revision,
        }
        | Action::RequestChanges {
            story,
            section,
            revision,
        } => format!("{}:{revision}:{section}", story.0),
        Action::AcceptDraft { draft }
        | Action::EditDraft { draft }
        | Action::DiscardDraft { draft } => draft_fields(draft),
        Action::ResolveConflict { story, section } => format!("{}:0:{section}", story.0),
    }
}

/// `{story}:{number}:{section}` of an assisted draft.
fn draft_fields(draft: &DraftRef) -> String {
    format!("{}:{}:{}", draft.story.0, draft.number, draft.section)
}

/// `(story, number, section)` from `{story}:{number}:{section}`.
fn split_fields(rest: &str) -> Option<(StoryId, u32, String)> {
    let mut parts = rest.splitn(3, ':');
    let story = StoryId(parts.next()?.parse().ok()?);
    let number: u32 = parts.next()?.parse().ok()?;
    let section = parts.next().filter(|s| !s.is_empty())?.to_string();
    Some((story, number, section))
}

fn parse_draft_fields(rest: &str) -> Option<DraftRef> {
    let (story, number, section) = split_fields(rest)?;
    Some(DraftRef {
        story,
        section,
        number,
    })
}

fn parse_action_fields(rest: &str, approve: bool) -> Option<Action> {
    let (story, revision, section) = split_fields(rest)?;
    Some(if approve {
        Action::Approve {
            story,
            section,
            revision,
        }
    } else {
        Action::RequestChanges {
            story,
            section,
            revision,
        }
    })
}

/// A button's `custom_id` for a desk action.
pub fn button_id(action: &Action) -> String {
    let kind = match action {
        Action::Approve { .. } => "approve",
        Action::RequestChanges { .. } => "changes",
        Action::AcceptDraft { .. } => "draft-accept",
        Action::EditDraft { .. } => "draft-edit",
        Action::DiscardDraft { .. } => "draft-discard",
        Action::ResolveConflict { .. } => "resolve",
    };
    format!("{PREFIX}:{kind}:{}", action_fields(action))
}

/// The desk action a button's `custom_id` stands for.
pub fn parse_button(custom_id: &str) -> Option<Action> {
    let rest = custom_id.strip_prefix(PREFIX)?.strip_prefix(':')?;
    let (kind, rest) = rest.split_once(':')?;
    match kind {
        "approve" => parse_action_fields(rest, true),
        "changes" => parse_action_fields(rest, false),
        "draft-accept" => parse_draft_fields(rest).map(|draft| Action::AcceptDraft { draft }),
        "draft-edit" => parse_draft_fields(rest).map(|draft| Action::EditDraft { draft }),
        "draft-discard" => parse_draft_fields(rest).map(|draft| Action::DiscardDraft { draft }),
        "resolve" => {
            split_fields(rest).map(|(story, _, section)| Action::ResolveConflict { story, section })
        }
        _ => None,
    }
}

/// Who and where, from any interaction.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The person.
    pub actor: Person,
    /// The member's roles in the server, as the interaction gives them.
    pub memberships: Memberships,
    /// The channel (the parent, for a thread) and thread.
    pub place: Place,
    /// The interaction: the request's event, claimed once by the desk.
    pub event: EventKey,
}

/// What to do with one interaction.
#[derive(Debug)]
pub enum Route {
    /// Discord checks the endpoint: answer PONG.
    Pong,
    /// Run a request on the desk, after downloading its file if it has one.
    Desk {
        /// The request (its long text still missing when `file` is set).
        request: Request,
        /// A text file whose content is the request's long text.
        file: Option<Attachment>,
    },
    /// Open the form for a new source, with the label typed so far.
    SourceForm {
        /// The `label` option, if given.
        label: Option<String>,
    },
    /// Open the form for writing the section a `write` request names, prefilled.
    WriteForm {
        /// The `write` request (its section option set).
        request: Request,
    },
    /// Open the form for a change request's note.
    NoteForm(Action),
    /// Open the write form prefilled with an assisted draft.
    DraftForm(DraftRef),
    /// Tell the person something and do nothing else.
    Notice(String),
}

/// The route for an interaction. `desk` resolves threads storydesk created to their parent
/// channel when Discord does not say which channel a thread belongs to.
pub fn route(desk: &Desk, interaction: Interaction, now: Timestamp) -> Route {
    match interaction {
        Interaction::Ping(_) => Route::Pong,
        Interaction::Command(c) => command(desk, c, now),
        Interaction::Component(c) => component(desk, c, now),
        Interaction::Modal(m) => modal(desk, m, now),
        Interaction::Autocomplete(_) => Route::Notice(super::messages::unknown_control()),
        _ => Route::Notice(super::messages::unknown_control()),
    }
}

/// Who and where, or `None` outside a server.
fn origin(
    desk: &Desk,
    id: u64,
    guild: Option<GuildId>,
    channel_id: u64,
    channel: Option<&PartialChannel>,
    member: Option<&Member>,
    user: &User,
) -> Option<Origin> {
    let guild = guild?;
    let place = place(desk, guild.get(), channel_id, channel);
    Some(Origin {
        actor: person(member.and_then(|m| m.nick.clone()), user),
        memberships: memberships(member.map(|m| m.roles.as_slice())),
        place,
        event: EventKey::new(
            Platform::Discord,
            guild.get().to_string(),
            EventKind::Interaction,
            id.to_string(),
        ),
    })
}

/// What a member holds, for role matching: their role ids in the server. A user outside a
/// server (a DM) has no member and so no roles.
pub fn memberships(roles: Option<&[RoleId]>) -> Memberships {
    Memberships {
        discord_roles: roles
            .unwrap_or_default()
            .iter()
            .map(|r| r.get().to_string())
            .collect(),
        slack_groups: Vec::new(),
    }
}

/// The person as the desk knows them: the user id, and the name the server shows (for
/// showing only: a nickname grants nothing).
pub fn person(nick: Option<String>, user: &User) -> Person {
    let name = nick
        .or_else(|| user.global_name.clone())
        .unwrap_or_else(|| user.name.clone());
    Person {
        id: user.id.get().to_string(),
        name,
    }
}

/// The place of a request from `channel_id` in `guild`: a thread is placed in its parent.
pub fn place(desk: &Desk, guild: u64, channel_id: u64, channel: Option<&PartialChannel>) -> Place {
    let is_thread = channel.is_some_and(|c| {
        matches!(
            c.kind,
            ChannelType::PublicThread | ChannelType::PrivateThread | ChannelType::NewsThread
        )
    });
    let parent = channel
        .filter(|_| is_thread)
        .and_then(|c| c.parent_id)
        .map(|p| p.get().to_string())
        .or_else(|| super::thread_parent(desk, channel_id));
    let key = |channel: String| ChannelKey {
        platform: Platform::Discord,
        team: guild.to_string(),
        channel,
    };
    match parent {
        Some(parent) => Place {
            channel: key(parent),
            thread: Some(channel_id.to_string()),
        },
        None => Place {
            channel: key(channel_id.to_string()),
            thread: None,
        },
    }
}

fn request(origin: Origin, input: Input, story: Option<StoryId>, now: Timestamp) -> Request {
    Request {
        actor: origin.actor,
        memberships: origin.memberships,
        place: origin.place,
        at: now,
        input,
        event: Some(origin.event),
        story,
    }
}

fn command(desk: &Desk, c: CommandInteraction, now: Timestamp) -> Route {
    let Some(origin) = origin(
        desk,
        c.id.get(),
        c.guild_id,
        c.channel_id.get(),
        c.channel.as_ref(),
        c.member.as_deref(),
        &c.user,
    ) else {
        return Route::Notice(super::messages::only_in_servers());
    };
    let (subcommand, given) = flatten(&c.data.options);
    // `/story-time due` is `due`, `/story-ref add` is `ref add` (`commands::ROOTS`).
    let subcommand = super::commands::catalogue_name_in(&c.data.name, &subcommand);
    let mut options = Vec::new();
    let mut file = None;
    for (name, value) in given {
        match value {
            CommandDataOptionValue::Attachment(id) if name == FILE_OPTION => {
                file = c.data.resolved.attachments.get(id).cloned();
            }
            other => {
                if let Some(text) = option_text(other, &c) {
                    options.push((name.to_string(), text));
                }
            }
        }
    }
    let label = || {
        options
            .iter()
            .find(|(n, _)| n == "label")
            .map(|(_, v)| v.clone())
    };
    if file.is_none() {
        match subcommand.as_str() {
            "source add" => return Route::SourceForm { label: label() },
            "write" => {
                let input = Input::Options {
                    subcommand,
                    options,
                    body: None,
                };
                return Route::WriteForm {
                    request: request(origin, input, None, now),
                };
            }
            _ => {}
        }
    }
    let input = Input::Options {
        subcommand,
        options,
        body: None,
    };
    Route::Desk {
        request: request(origin, input, None, now),
        file,
    }
}

/// The subcommand's catalogue name (`source add`) and its options.
fn flatten(options: &[CommandDataOption]) -> (String, Vec<(&str, &CommandDataOptionValue)>) {
    for o in options {
        match &o.value {
            CommandDataOptionValue::SubCommand(inner) => {
                return (
                    o.name.clone(),
                    inner.iter().map(|i| (i.name.as_str(), &i.value)).collect(),
                )
            }
            CommandDataOptionValue::SubCommandGroup(inner) => {
                let (name, options) = flatten(inner);
                return (super::commands::catalogue_name(&o.name, &name), options);
            }
            _ => {}
        }
    }
    (String::new(), Vec::new())
}

/// An option's value as the desk's text: a user as `<@id|name>`, a channel by id.
fn option_text(value: &CommandDataOptionValue, c: &CommandInteraction) -> Option<String> {
    Some(match value {
        CommandDataOptionValue::String(s) => s.clone(),
        CommandDataOptionValue::Integer(i) => i.to_string(),
        CommandDataOptionValue::Number(n) => n.to_string(),
        CommandDataOptionValue::Boolean(b) => b.to_string(),
        CommandDataOptionValue::User(id) => {
            let resolved = c.data.resolved.users.get(id);
            let nick = c.data.resolved.members.get(id).and_then(|m| m.nick.clone());
            match nick
                .or_else(|| resolved.and_then(|u| u.global_name.clone()))
                .or_else(|| resolved.map(|u| u.name.clone()))
            {
                Some(name) => format!("<@{}|{name}>", id.get()),
                None => format!("<@{}>", id.get()),
            }
        }
        CommandDataOptionValue::Channel(id) => id.get().to_string(),
        CommandDataOptionValue::Role(id) => id.get().to_string(),
        _ => return None,
    })
}

fn component(desk: &Desk, c: ComponentInteraction, now: Timestamp) -> Route {
    let Some(origin) = origin(
        desk,
        c.id.get(),
        c.guild_id,
        c.channel_id.get(),
        c.channel.as_ref(),
        c.member.as_ref(),
        &c.user,
    ) else {
        return Route::Notice(super::messages::only_in_servers());
    };
    match parse_button(&c.data.custom_id) {
        Some(action @ Action::RequestChanges { .. }) => Route::NoteForm(action),
        Some(Action::EditDraft { draft }) => Route::DraftForm(draft),
        // The write form, prefilled with the clicker's kept text merged with the latest.
        Some(action @ Action::ResolveConflict { .. }) => {
            let (input, story) = action.to_input(None);
            Route::WriteForm {
                request: request(origin, input, Some(story), now),
            }
        }
        Some(action) => {
            let (input, story) = action.to_input(None);
            Route::Desk {
                request: request(origin, input, Some(story), now),
                file: None,
            }
        }
        None => Route::Notice(super::messages::unknown_control()),
    }
}

/// The text fields of a submitted form, by custom id, in order.
fn fields(m: &ModalInteraction) -> Vec<(String, String)> {
    m.data
        .components
        .iter()
        .flat_map(|row| row.components.iter())
        .filter_map(|c| match c {
            ActionRowComponent::InputText(t) => {
                Some((t.custom_id.clone(), t.value.clone().unwrap_or_default()))
            }
            _ => None,
        })
        .collect()
}

/// The long text of a form: its `text1` … `text5` fields joined.
pub fn long_text(fields: &[(String, String)]) -> String {
    let mut parts: Vec<(u32, &str)> = fields
        .iter()
        .filter_map(|(id, v)| {
            id.strip_prefix(TEXT_FIELD)
                .and_then(|n| n.parse().ok())
                .map(|n| (n, v.as_str()))
        })
        .collect();
    parts.sort_by_key(|(n, _)| *n);
    parts.into_iter().map(|(_, v)| v).collect()
}

fn modal(desk: &Desk, m: ModalInteraction, now: Timestamp) -> Route {
    let Some(origin) = origin(
        desk,
        m.id.get(),
        m.guild_id,
        m.channel_id.get(),
        m.channel.as_ref(),
        m.member.as_ref(),
        &m.user,
    ) else {
        return Route::Notice(super::messages::only_in_servers());
    };
    let fields = fields(&m);
    let field = |name: &str| {
        fields
            .iter()
            .find(|(id, _)| id == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let (input, story) = match Form::parse(&m.data.custom_id) {
        Some(Form::Source) => {
            let mut options = Vec::new();
            if let Some(label) = field(LABEL_FIELD) {
                options.push(("label".to_string(), label));
            }
            (
                Input::Options {
                    subcommand: "source add".into(),
                    options,
                    body: Some(long_text(&fields)),
                },
                None,
            )
        }
        Some(Form::Write {
            story,
            section,
            base,
        }) => {
            let mut options = vec![("section".into(), section)];
            if let Some(base) = base {
                options.push(("base".into(), base.to_string()));
            }
            (
                Input::Options {
                    subcommand: "write".into(),
                    options,
                    body: Some(long_text(&fields)),
                },
                Some(story),
            )
        }
        Some(Form::Note(action)) => {
            let (input, story) = action.to_input(field(NOTE_FIELD));
            (input, Some(story))
        }
        Some(Form::EditDraft(draft)) => {
            let (input, story) = Action::EditDraft { draft }.to_input(Some(long_text(&fields)));
            (input, Some(story))
        }
        None => return Route::Notice(super::messages::unknown_control()),
    };
    Route::Desk {
        request: request(origin, input, story, now),
        file: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_ids_round_trip() {
        let approve = Action::Approve {
            story: StoryId(12),
            section: "body".into(),
            revision: 3,
        };
        let changes = Action::RequestChanges {
            story: StoryId(12),
            section: "sources-cited".into(),
            revision: 1,
        };
        assert_eq!(button_id(&approve), "sd:approve:12:3:body");
        assert_eq!(parse_button(&button_id(&approve)), Some(approve.clone()));
        assert_eq!(parse_button(&button_id(&changes)), Some(changes.clone()));
        let draft = DraftRef {
            story: StoryId(12),
            section: "body".into(),
            number: 3,
        };
        for action in [
            Action::AcceptDraft {
                draft: draft.clone(),
            },
            Action::EditDraft {
                draft: draft.clone(),
            },
            Action::DiscardDraft {
                draft: draft.clone(),
            },
            Action::ResolveConflict {
                story: StoryId(12),
                section: "body".into(),
            },
        ] {
            assert_eq!(parse_button(&button_id(&action)), Some(action));
        }
        assert_eq!(
            button_id(&Action::AcceptDraft {
                draft: draft.clone()
            }),
            "sd:draft-accept:12:3:body"
        );
        for form in [
            Form::Source,
            Form::Write {
                story: StoryId(4),
                section: "introduction".into(),
                base: None,
            },
            Form::Write {
                story: StoryId(4),
                section: "introduction".into(),
                base: Some(7),
            },
            Form::Note(changes),
            Form::EditDraft(draft),
        ] {
            assert!(form.custom_id().len() <= 100);
            assert_eq!(Form::parse(&form.custom_id()), Some(form));
        }
        for bad in [
            "",
            "sd",
            "sd:approve",
            "sd:approve:x:1:body",
            "sd:approve:1:1:",
            "other:approve:1:1:body",
            "sd:write:1",
            "sd:source:extra",
        ] {
            assert_eq!(parse_button(bad), None, "{bad}");
            assert_eq!(Form::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn long_text_joins_fields_in_order() {
        let fields = vec![
            ("label".to_string(), "memo".to_string()),
            ("text2".to_string(), "world".to_string()),
            ("text1".to_string(), "hello ".to_string()),
        ];
        assert_eq!(long_text(&fields), "hello world");
    }
}
