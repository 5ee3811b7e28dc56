//! From the desk's neutral replies to Discord messages, buttons and forms.
//!
//! Every message storydesk sends carries an empty `allowed_mentions`, so text written by
//! users (a source with `@everyone`, a role mention in a section) is shown but never pings
//! anyone. Long text is cut at paragraph, then sentence boundaries into messages of at most
//! [`MAX_MESSAGE_CHARS`] characters. The desk's time markers (`<time:…>`) become Discord
//! timestamps (`<t:…:f>`), which every reader sees in their own zone ([`shown`]).

use serenity::all::{
    ButtonStyle, CreateActionRow, CreateAllowedMentions, CreateButton, CreateInputText,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    CreateMessage, CreateModal, EditInteractionResponse, EditMessage, InputTextStyle,
};

use crate::desk::{Action, Article, Body, DraftRef};
use crate::model::StoryId;
use crate::text::chunk::chunk_trimmed;

use super::messages;
use super::routing::{button_id, Form, LABEL_FIELD, NOTE_FIELD, TEXT_FIELD};

/// Discord's limit on a message's content, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// Discord's limit on one text input's value, in characters.
pub const MAX_FIELD_CHARS: usize = 4000;
/// Discord's limit on the inputs of one form.
pub const MAX_FORM_FIELDS: usize = 5;

/// Mentions nobody: not `@everyone`, no role, no user, not the author of a replied message.
pub fn no_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new().replied_user(false)
}

/// `text` with the desk's time markers as Discord timestamps
/// ([`crate::text::when::discord_date`]). Text already shown is left as it is.
pub fn shown(text: &str) -> String {
    let text = super::commands::discord_command_names(text);
    crate::text::when::render_markers(&text, crate::text::when::discord_date)
}

/// `text` shown ([`shown`]) with the desk's mention markers as Discord mentions, and the
/// mentions Discord may notify: exactly those users and roles, never `@everyone` nor anyone
/// written in text people typed.
pub fn mentioned(text: &str) -> (String, CreateAllowedMentions) {
    let mut users = Vec::new();
    let mut roles = Vec::new();
    let content = crate::roles::render_mentions(&shown(text), |entry| {
        match entry {
            crate::roles::Entry::DiscordUser(id) => {
                if let Ok(id) = id.parse::<u64>() {
                    users.push(serenity::all::UserId::new(id.max(1)));
                }
            }
            crate::roles::Entry::DiscordRole(id) => {
                if let Ok(id) = id.parse::<u64>() {
                    roles.push(serenity::all::RoleId::new(id.max(1)));
                }
            }
            _ => {}
        }
        entry.discord_mention()
    });
    let allowed = no_mentions().users(users).roles(roles);
    (content, allowed)
}

/// The messages a body becomes, each within Discord's limit. An article is its headline and
/// sections, then its references, each part cut separately so references come last and
/// start a message of their own.
pub fn texts(body: &Body) -> Vec<String> {
    match body {
        Body::Article(article) => article_texts(article),
        other => split(&other.text()),
    }
}

/// Text cut into messages (at least one, so an empty text still answers).
pub fn split(text: &str) -> Vec<String> {
    let pieces = chunk_trimmed(&shown(text), MAX_MESSAGE_CHARS);
    if pieces.is_empty() {
        vec![messages::done()]
    } else {
        pieces
    }
}

/// The messages of a published article.
pub fn article_texts(article: &Article) -> Vec<String> {
    let mut main = format!("# {}\n", article.headline);
    for part in &article.parts {
        main.push('\n');
        main.push_str(&part.text);
        main.push('\n');
    }
    // A corrected article ends with its Correction lines, in its last message.
    let corrections = article.corrections.join("\n");
    if article.references.is_empty() && !corrections.is_empty() {
        main.push('\n');
        main.push_str(&corrections);
    }
    let mut out = chunk_trimmed(&shown(&main), MAX_MESSAGE_CHARS);
    if !article.references.is_empty() {
        let mut refs = format!("## {}\n", article.references_heading);
        for r in &article.references {
            refs.push_str(&format!("\n- {r}"));
        }
        if !corrections.is_empty() {
            refs.push_str("\n\n");
            refs.push_str(&corrections);
        }
        out.extend(chunk_trimmed(&shown(&refs), MAX_MESSAGE_CHARS));
    }
    out
}

/// The buttons of a review message.
pub fn buttons(actions: &[Action]) -> Vec<CreateActionRow> {
    if actions.is_empty() {
        return Vec::new();
    }
    let buttons = actions
        .iter()
        .map(|a| match a {
            Action::Approve { .. } => CreateButton::new(button_id(a))
                .label(messages::approve_button())
                .style(ButtonStyle::Success),
            Action::RequestChanges { .. } => CreateButton::new(button_id(a))
                .label(messages::request_changes_button())
                .style(ButtonStyle::Secondary),
            Action::AcceptDraft { .. } => CreateButton::new(button_id(a))
                .label(messages::accept_draft_button())
                .style(ButtonStyle::Success),
            Action::EditDraft { .. } => CreateButton::new(button_id(a))
                .label(messages::edit_draft_button())
                .style(ButtonStyle::Primary),
            Action::DiscardDraft { .. } => CreateButton::new(button_id(a))
                .label(messages::discard_draft_button())
                .style(ButtonStyle::Danger),
            Action::ResolveConflict { .. } => CreateButton::new(button_id(a))
                .label(messages::resolve_conflict_button())
                .style(ButtonStyle::Primary),
        })
        .collect();
    vec![CreateActionRow::Buttons(buttons)]
}

/// A message in a channel or thread.
pub fn channel_message(text: &str, components: Vec<CreateActionRow>) -> CreateMessage {
    let (content, allowed) = mentioned(text);
    CreateMessage::new()
        .content(content)
        .allowed_mentions(allowed)
        .components(components)
}

/// An edit of a channel message (the board).
pub fn edit_message(text: &str) -> EditMessage {
    let (content, _) = mentioned(text);
    EditMessage::new()
        .content(messages::fit(&content, MAX_MESSAGE_CHARS))
        .allowed_mentions(no_mentions())
}

/// An edit that only takes a message's buttons away.
pub fn remove_buttons() -> EditMessage {
    EditMessage::new()
        .allowed_mentions(no_mentions())
        .components(Vec::new())
}

/// An edit of a message that also sets its buttons (none removes them): an assisted draft's
/// message as it is written, shown, accepted or discarded.
pub fn edit_with_buttons(text: &str, components: Vec<CreateActionRow>) -> EditMessage {
    edit_message(text).components(components)
}

/// The immediate answer to an interaction, carrying a message.
pub fn respond(text: &str, ephemeral: bool) -> CreateInteractionResponse {
    respond_with(text, ephemeral, Vec::new())
}

/// An immediate answer with buttons under it (a kept conflict's Resolve).
pub fn respond_with(
    text: &str,
    ephemeral: bool,
    components: Vec<CreateActionRow>,
) -> CreateInteractionResponse {
    let (content, allowed) = mentioned(text);
    let mut message = CreateInteractionResponseMessage::new()
        .content(content)
        .ephemeral(ephemeral)
        .allowed_mentions(allowed);
    if !components.is_empty() {
        message = message.components(components);
    }
    CreateInteractionResponse::Message(message)
}

/// "storydesk is thinking": the message follows within the token's 15 minutes.
pub fn defer(ephemeral: bool) -> CreateInteractionResponse {
    CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new().ephemeral(ephemeral))
}

/// A followup message of an interaction.
pub fn followup(text: &str, ephemeral: bool) -> CreateInteractionResponseFollowup {
    followup_with(text, ephemeral, Vec::new())
}

/// A followup message with buttons under it.
pub fn followup_with(
    text: &str,
    ephemeral: bool,
    components: Vec<CreateActionRow>,
) -> CreateInteractionResponseFollowup {
    let (content, allowed) = mentioned(text);
    let followup = CreateInteractionResponseFollowup::new()
        .content(content)
        .ephemeral(ephemeral)
        .allowed_mentions(allowed);
    if components.is_empty() {
        followup
    } else {
        followup.components(components)
    }
}

/// The edit that fills a deferred answer.
pub fn edit_original(text: &str) -> EditInteractionResponse {
    edit_original_with(text, Vec::new())
}

/// The edit that fills a deferred answer, with buttons under it.
pub fn edit_original_with(text: &str, components: Vec<CreateActionRow>) -> EditInteractionResponse {
    let (content, allowed) = mentioned(text);
    let edit = EditInteractionResponse::new()
        .content(content)
        .allowed_mentions(allowed);
    if components.is_empty() {
        edit
    } else {
        edit.components(components)
    }
}

/// The form for a new source: a label and up to four parts of text.
pub fn source_form(label: Option<&str>) -> CreateInteractionResponse {
    let mut rows = vec![CreateActionRow::InputText(
        CreateInputText::new(
            InputTextStyle::Short,
            messages::fit(&messages::source_label_field(), 45),
            LABEL_FIELD,
        )
        .required(false)
        .max_length(100)
        .value(label.unwrap_or_default()),
    )];
    let parts = MAX_FORM_FIELDS - 1;
    let label = crate::catalogue::catalogue()
        .subcommand("source add")
        .and_then(|s| s.long_text.as_ref())
        .map(|l| l.label.clone())
        .unwrap_or_default();
    for part in 1..=parts {
        rows.push(text_input(&label, part, parts, None));
    }
    CreateInteractionResponse::Modal(
        CreateModal::new(Form::Source.custom_id(), messages::source_form_title()).components(rows),
    )
}

/// One long-text input of a form: the first required, the others optional.
fn text_input(label: &str, part: usize, parts: usize, value: Option<&str>) -> CreateActionRow {
    let mut input = CreateInputText::new(
        InputTextStyle::Paragraph,
        messages::text_field(label, part, parts),
        format!("{TEXT_FIELD}{part}"),
    )
    .required(part == 1)
    .max_length(MAX_FIELD_CHARS as u16);
    if let Some(v) = value {
        input = input.value(v);
    }
    CreateActionRow::InputText(input)
}

/// The most text a form holds.
pub const MAX_FORM_CHARS: usize = MAX_FIELD_CHARS * MAX_FORM_FIELDS;

/// The form for writing a section, prefilled with its current text over as many inputs as
/// it needs (one more, empty, to grow into, up to five). `None` when the text is longer
/// than a form holds.
/// The form for writing a section, prefilled with `current`: the text of revision `base`
/// (or a kept text merged with it), which the saved text will be written over.
pub fn write_form(
    story: StoryId,
    section: &str,
    base: u32,
    current: Option<&str>,
) -> Option<CreateInteractionResponse> {
    let current = current.unwrap_or_default();
    let pieces = crate::text::chunk::chunk(current, MAX_FIELD_CHARS);
    if pieces.len() > MAX_FORM_FIELDS {
        return None;
    }
    let parts = (pieces.len() + 1).clamp(1, MAX_FORM_FIELDS);
    let label = crate::catalogue::catalogue()
        .subcommand("write")
        .and_then(|s| s.long_text.as_ref())
        .map(|l| l.label.clone())
        .unwrap_or_default();
    let rows = (1..=parts)
        .map(|part| text_input(&label, part, parts, pieces.get(part - 1).copied()))
        .collect();
    let form = Form::Write {
        story,
        section: section.to_string(),
        base: Some(base),
    };
    Some(CreateInteractionResponse::Modal(
        CreateModal::new(form.custom_id(), messages::write_form_title(section, story))
            .components(rows),
    ))
}

/// The form for editing an assisted draft before saving it, prefilled with the draft's text
/// like the write form. `None` when the draft is longer than a form holds.
pub fn draft_form(draft: &DraftRef, text: &str) -> Option<CreateInteractionResponse> {
    let pieces = crate::text::chunk::chunk(text, MAX_FIELD_CHARS);
    if pieces.len() > MAX_FORM_FIELDS {
        return None;
    }
    let parts = (pieces.len() + 1).clamp(1, MAX_FORM_FIELDS);
    let label = crate::catalogue::catalogue()
        .subcommand("write")
        .and_then(|s| s.long_text.as_ref())
        .map(|l| l.label.clone())
        .unwrap_or_default();
    let rows = (1..=parts)
        .map(|part| text_input(&label, part, parts, pieces.get(part - 1).copied()))
        .collect();
    Some(CreateInteractionResponse::Modal(
        CreateModal::new(
            Form::EditDraft(draft.clone()).custom_id(),
            messages::draft_form_title(&draft.section, draft.number),
        )
        .components(rows),
    ))
}

/// The form for a change request's note.
pub fn note_form(action: &Action) -> CreateInteractionResponse {
    let (section, revision) = match action {
        Action::Approve {
            section, revision, ..
        }
        | Action::RequestChanges {
            section, revision, ..
        } => (section.as_str(), *revision),
        Action::AcceptDraft { draft }
        | Action::EditDraft { draft }
        | Action::DiscardDraft { draft } => (draft.section.as_str(), draft.number),
        Action::ResolveConflict { section, .. } => (section.as_str(), 0),
    };
    let input = CreateInputText::new(
        InputTextStyle::Paragraph,
        messages::note_field(),
        NOTE_FIELD,
    )
    .required(true)
    .max_length(1000);
    CreateInteractionResponse::Modal(
        CreateModal::new(
            Form::Note(action.clone()).custom_id(),
            messages::note_form_title(section, revision),
        )
        .components(vec![CreateActionRow::InputText(input)]),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn time_markers_become_discord_timestamps() {
        let at = crate::model::Timestamp(1_796_576_400_000);
        let text = format!("The body is due {}.", crate::text::when::marker(at));
        let out = split(&text);
        assert_eq!(
            out,
            vec!["The body is due <t:1796576400:f> (<t:1796576400:R>).".to_string()]
        );
        assert_eq!(shown(&out[0]), out[0]);
    }

    use super::*;
    use crate::desk::ArticlePart;

    #[test]
    fn article_references_come_last_in_their_own_messages() {
        let article = Article {
            story: StoryId(1),
            headline: "Harbour budget passes".into(),
            parts: vec![ArticlePart {
                section: "body".into(),
                text: "The council voted. ".repeat(300),
            }],
            references_heading: "References".into(),
            corrections: Vec::new(),
            references: vec!["Carey, B. (2025). Title. Outlet.".into()],
        };
        let texts = article_texts(&article);
        assert!(texts.len() >= 4);
        assert!(texts.iter().all(|t| t.chars().count() <= MAX_MESSAGE_CHARS));
        assert!(texts[0].starts_with("# Harbour budget passes"));
        assert!(texts.last().unwrap().starts_with("## References"));
    }

    #[test]
    fn allowed_mentions_are_empty() {
        let json = serde_json::to_value(channel_message("@everyone <@&123>", vec![])).unwrap();
        assert_eq!(
            json["allowed_mentions"],
            serde_json::json!({"parse": [], "users": [], "roles": [], "replied_user": false})
        );
    }

    #[test]
    fn write_forms_span_up_to_five_inputs() {
        let json = |text: &str| {
            serde_json::to_value(write_form(StoryId(1), "body", 1, Some(text)).unwrap()).unwrap()
        };
        let short = json("A short body.");
        assert_eq!(short["type"], 9);
        let rows = short["data"]["components"].as_array().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["components"][0]["value"], "A short body.");
        let long = "A sentence of the body. ".repeat(700);
        let rows = json(&long)["data"]["components"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(rows.len(), 5);
        let joined: String = rows
            .iter()
            .filter_map(|r| r["components"][0]["value"].as_str())
            .collect();
        assert_eq!(joined, long);
        assert!(write_form(StoryId(1), "body", 1, Some(&"x ".repeat(10_001))).is_none());
    }
}
