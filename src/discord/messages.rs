//! Every sentence the Discord adapter says itself, in one place. The desk's own sentences
//! live in `desk::messages`; these are about Discord: forms, threads, files, permissions.

use crate::desk::ThreadKind;
use crate::model::StoryId;

/// At most `max` characters, with an ellipsis when cut (Discord's name and title limits).
pub fn fit(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The message a story's thread is started from, in the story's channel.
pub fn thread_starter(story: StoryId, title: &str, kind: &ThreadKind) -> String {
    match kind {
        ThreadKind::Sources => format!(
            "**Sources** of story {story} “{title}”: paste source material in this thread, or attach text files. Each message becomes a source."
        ),
        ThreadKind::Section(section) => format!(
            "**{section}** of story {story} “{title}”: every revision is posted in this thread for review."
        ),
    }
}

/// A story thread's name (at most 100 characters).
pub fn thread_name(story: StoryId, title: &str, kind: &ThreadKind) -> String {
    fit(&format!("{story} {} · {title}", kind.name()), 100)
}

/// The title of the form for a new source (at most 45 characters).
pub fn source_form_title() -> String {
    "Add a source".to_string()
}

/// The label field of the source form.
pub fn source_label_field() -> String {
    "Label (a short name, such as \"leaked memo\")".to_string()
}

/// The title of the form for writing a section.
pub fn write_form_title(section: &str, story: StoryId) -> String {
    fit(&format!("Write {section} · story {story}"), 45)
}

/// The label of the `part`-th of `parts` text fields of a form (at most 45 characters).
pub fn text_field(label: &str, part: usize, parts: usize) -> String {
    if parts == 1 {
        fit(label, 45)
    } else {
        fit(&format!("{label} ({part} of {parts})"), 45)
    }
}

/// The title of the form for a change request.
pub fn note_form_title(section: &str, revision: u32) -> String {
    fit(&format!("Changes to {section} revision {revision}"), 45)
}

/// The note field of the change-request form.
pub fn note_field() -> String {
    "What needs to change, and why".to_string()
}

/// The label of the button that approves a revision.
pub fn approve_button() -> String {
    "Approve".to_string()
}

/// The label of the button that accepts an assisted draft.
pub fn accept_draft_button() -> String {
    "Accept".to_string()
}

/// The label of the button that opens an assisted draft in the write form.
pub fn edit_draft_button() -> String {
    "Edit".to_string()
}

/// The label of the button that discards an assisted draft.
pub fn discard_draft_button() -> String {
    "Discard".to_string()
}

/// The button under a conflict notice that opens the form to resolve it.
pub fn resolve_conflict_button() -> &'static str {
    "Resolve"
}

/// The title of the form for editing an assisted draft (at most 45 characters).
pub fn draft_form_title(section: &str, number: u32) -> String {
    fit(&format!("Edit draft {number} of {section}"), 45)
}

/// Edit on a draft that was accepted, discarded or replaced since.
pub fn draft_gone(section: &str, number: u32) -> String {
    format!("Draft {number} of {section} can no longer be edited: it was accepted, discarded or replaced. Look at the latest message in the {section} thread.")
}

/// Edit on a draft longer than a form holds.
pub fn draft_too_long_for_form(section: &str, chars: usize, max: usize) -> String {
    format!(
        "Draft of {section} is {chars} characters, more than a Discord form holds ({max}). Accept it and shorten it with `/story write section:{section}` and a file, or discard it."
    )
}

/// The label of the button that asks for changes.
pub fn request_changes_button() -> String {
    "Request changes".to_string()
}

/// A section too long for a form: its text is attached instead.
pub fn section_too_long_for_form(section: &str, chars: usize, max: usize) -> String {
    format!(
        "The {section} section is {chars} characters long, more than a form holds ({max}). Its current text is attached: edit the file and send it back with `/story write section:{section} file:`."
    )
}

/// An attachment over the size limit.
pub fn file_too_large(name: &str, bytes: u64, limit: u64) -> String {
    format!(
        "`{name}` is {}; files up to {} are accepted. Nothing was saved. Split it and attach the parts one by one.",
        crate::desk::messages::size(bytes),
        crate::desk::messages::size(limit)
    )
}

/// An attachment that is not UTF-8 text.
pub fn file_not_text(name: &str) -> String {
    format!(
        "`{name}` is not plain UTF-8 text, so nothing was saved. Save it as UTF-8 text (a .txt or .md file) and attach it again, or paste the text into the form."
    )
}

/// An attachment that could not be fetched from Discord.
pub fn file_unavailable(name: &str) -> String {
    format!(
        "`{name}` could not be downloaded from Discord, so nothing was saved. Attach it again in a moment."
    )
}

/// Said once in a source thread when messages arrive without their text.
pub fn message_content_intent_off() -> String {
    "Messages posted here are not added as sources: storydesk cannot read them because its Message Content intent is off. An operator can turn it on (Developer Portal → your application → Bot → Privileged Gateway Intents → Message Content Intent) and restart storydesk. Until then, add sources with `/story source add`.".to_string()
}

/// `/story` used outside a server.
pub fn only_in_servers() -> String {
    "`/story` works in a server's text channels, not in direct messages.".to_string()
}

/// A button or form storydesk does not recognise (from an older version, or altered).
pub fn unknown_control() -> String {
    "storydesk does not recognise this button or form any more. Use `/story status` to see where the story stands.".to_string()
}

/// The acknowledgement when a command's results were all posted elsewhere.
pub fn done() -> String {
    "Done.".to_string()
}

/// The publishing channel, named by name, does not exist in the server.
pub fn publish_channel_missing(name: &str) -> String {
    format!(
        "There is no text channel named #{name} in this server. Create it, publish with `/story publish channel:#…`, or set `[publish] channel` in the config to a channel id."
    )
}

/// storydesk may not post in the publishing channel.
pub fn cannot_post_in(channel: u64) -> String {
    format!(
        "storydesk may not post in <#{channel}>. Give storydesk's role the View Channel and Send Messages permissions there (Edit Channel → Permissions)."
    )
}

/// Publishing failed for another reason.
pub fn publish_failed(channel: u64) -> String {
    format!(
        "Discord did not accept the article in <#{channel}> and storydesk removed the part already posted. Try again in a minute."
    )
}

/// A message of the article that Discord did not confirm either way.
pub fn publish_not_confirmed(channel: u64) -> String {
    format!(
        "Discord did not confirm a message to <#{channel}>: it may or may not have been posted."
    )
}

/// The article was posted.
pub fn published_here(channel: u64, messages: usize) -> String {
    format!(
        "The article is in <#{channel}> ({messages} {}).",
        if messages == 1 { "message" } else { "messages" }
    )
}

/// A story thread that cannot take messages (archived and locked, or deleted).
pub fn thread_unavailable(kind: &ThreadKind) -> String {
    format!(
        "The {} thread is archived and locked, so storydesk could not post there. The change itself is saved. Ask a moderator to unlock the thread (thread menu → Unlock Thread); new posts will go there again.",
        kind.name()
    )
}

/// storydesk may not create a thread or post in the story's channel.
pub fn cannot_post_in_story_channel(channel: u64) -> String {
    format!(
        "The change is saved, but storydesk may not post or create threads in <#{channel}>. Give storydesk's role View Channel, Send Messages, Create Public Threads and Send Messages in Threads there."
    )
}
