//! Every sentence the Slack adapter itself says: modal titles and labels, button texts, the
//! board's hint, and Slack's refusals turned into something a person can act on. The desk's
//! own sentences live in `crate::desk::messages`; these are the ones only Slack needs.
//!
//! They are Markdown like the desk's, converted to mrkdwn on the way out.

use super::api::ApiError;
use crate::model::Story;

/// The hint under a story's board: its thread is the story's source thread.
pub fn board_hint() -> String {
    "Reply in this thread with text, or attach a text file, to add it to the story's sources."
        .to_string()
}

/// The parent message of a section's review thread.
pub fn section_thread_parent(story: &Story, section: &str) -> String {
    format!(
        "**{section}**: review thread of story {} “{}”. Each revision is posted here for review.",
        story.id,
        story.headline()
    )
}

/// The notification text of a continued message.
pub fn continued(first: &str) -> String {
    format!("{first} (continued)")
}

/// The notification text of a published article.
pub fn article_fallback(headline: &str) -> String {
    headline.to_string()
}

/// The Approve button.
pub fn approve_button() -> &'static str {
    "Approve"
}

/// The Request changes button.
pub fn request_changes_button() -> &'static str {
    "Request changes"
}

/// An assisted draft's Accept button.
pub fn accept_draft_button() -> &'static str {
    "Accept"
}

/// An assisted draft's Edit button.
pub fn edit_draft_button() -> &'static str {
    "Edit"
}

/// An assisted draft's Discard button.
pub fn discard_draft_button() -> &'static str {
    "Discard"
}

/// The button under a conflict notice that opens the form to resolve it.
pub fn resolve_conflict_button() -> &'static str {
    "Resolve"
}

/// Edit on a draft that was accepted, discarded or replaced since.
pub fn draft_gone(section: &str, number: u32) -> String {
    format!("Draft {number} of {section} can no longer be edited: it was accepted, discarded or replaced. Look at the latest message in the {section} thread.")
}

/// Edit on a draft longer than a modal holds.
pub fn draft_too_long_for_form(section: &str, chars: usize, max: usize) -> String {
    format!(
        "The draft of {section} is {chars} characters, more than a Slack form holds ({max}). Accept it and shorten it with `/story write section:{section}`, or discard it."
    )
}

/// The title of the source modal (at most 24 characters).
pub fn source_modal_title() -> &'static str {
    "Add a source"
}

/// The title of the write modal (at most 24 characters; long section names are cut).
pub fn write_modal_title(section: &str) -> String {
    let title = format!("Write {section}");
    truncate_chars(&title, 24)
}

/// The title of the change-request modal (at most 24 characters).
pub fn changes_modal_title() -> &'static str {
    "Request changes"
}

/// The modal's submit button for a source.
pub fn source_submit() -> &'static str {
    "Add source"
}

/// The modal's submit button for a section.
pub fn write_submit() -> &'static str {
    "Save revision"
}

/// The modal's submit button for a change request.
pub fn changes_submit() -> &'static str {
    "Send"
}

/// The modal's close button.
pub fn cancel() -> &'static str {
    "Cancel"
}

/// The label field of the source modal.
pub fn source_label_label() -> &'static str {
    "Label (optional)"
}

/// A text box of a long text that spans several boxes.
pub fn part_label(label: &str, part: usize, parts: usize) -> String {
    if parts == 1 {
        label.to_string()
    } else if part == 1 {
        format!("{label} (part 1 of {parts})")
    } else {
        format!("Continued (part {part} of {parts})")
    }
}

/// The hint under a modal's first box when the text spans several.
pub fn parts_hint(parts: usize, max_chars: usize) -> String {
    format!(
        "Slack boxes hold 3,000 characters each, so this text spans {parts} boxes (up to {max_chars} characters in all). Fill them in order."
    )
}

/// The hint of the source modal.
pub fn source_hint() -> String {
    "Longer material: attach a text file in the story's board thread instead.".to_string()
}

/// The label of the change-request note.
pub fn note_label(section: &str, revision: u32) -> String {
    truncate_chars(
        &format!("What should change in {section} revision {revision}?"),
        2000,
    )
}

/// A file in the source thread that is not text.
pub fn not_a_text_file(name: &str) -> String {
    format!(
        "“{name}” is not a text file, so it was not added as a source. Attach it as .txt or .md, or paste its text with `/story source add`."
    )
}

/// A file in the source thread that is too big.
pub fn file_too_large(name: &str, limit: u64) -> String {
    format!(
        "“{name}” is larger than the {} a source may be, so it was not added. Split it, or ask the operator to raise `[limits] source_bytes`.",
        crate::desk::messages::size(limit)
    )
}

/// A message the bot could not deliver.
pub fn delivery_failed(why: &str) -> String {
    format!("I could not post in Slack. {why}")
}

/// Slack's refusal as a sentence a user can act on.
pub fn api_error(error: &ApiError, channel: Option<&str>) -> String {
    let place = match channel {
        Some(c) => format!("#{c}"),
        None => "that channel".to_string(),
    };
    match error {
        ApiError::Slack { error, .. } => match error.as_str() {
            "channel_not_found" => format!(
                "Slack cannot find {place}. Name the channel with its link (type # and pick it) or its id, and try again."
            ),
            "not_in_channel" => format!(
                "I am not a member of {place}. Invite me with `/invite @storydesk` in that channel and try again."
            ),
            "is_archived" => format!("{place} is archived. Unarchive it or choose another channel."),
            "restricted_action" | "cant_post" | "ekm_access_denied" => format!(
                "This workspace does not let me post in {place}. Ask a Slack admin, or choose another channel."
            ),
            "invalid_auth" | "not_authed" | "token_revoked" | "token_expired" | "account_inactive" => {
                "Slack refused my credentials. The operator must check SLACK_BOT_TOKEN (and reinstall the app if it was removed).".to_string()
            }
            "missing_scope" | "not_allowed_token_type" => {
                "My Slack app lacks a permission it needs. The operator must reinstall it from the manifest `storydesk commands slack-manifest` prints.".to_string()
            }
            "expired_trigger_id" | "trigger_expired" | "invalid_trigger_id" | "exchanged_trigger_id" => {
                "The form could not open in time. Run the command again.".to_string()
            }
            "msg_too_long" | "msg_blocks_too_long" | "too_many_blocks" | "invalid_blocks" => {
                "Slack refused the message as too long or malformed. Please tell the operator.".to_string()
            }
            "ratelimited" => "Slack is limiting how fast I may post. Try again in a minute.".to_string(),
            "file_not_found" | "file_deleted" => {
                "That file is gone from Slack, so it could not be added.".to_string()
            }
            other => format!(
                "Slack refused the request (`{other}`). Try again; if it keeps happening, tell the operator."
            ),
        },
        ApiError::RateLimited { .. } => {
            "Slack is limiting how fast I may post. Try again in a minute.".to_string()
        }
        ApiError::TooLarge { limit } => format!(
            "The file is larger than the {} I accept.",
            crate::desk::messages::size(*limit)
        ),
        ApiError::Http { .. } | ApiError::Transport { .. } => {
            "Slack could not be reached. Try again in a moment.".to_string()
        }
        ApiError::MissingToken(var) => {
            format!("I am not set up to call Slack: the operator must set {var}.")
        }
        ApiError::Unconfirmed { .. } => format!(
            "Slack did not confirm a message to {place}: it may or may not have been posted, so I did not send it again."
        ),
    }
}

/// Cuts `s` to at most `max` characters, ending in `…` when cut.
pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
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

    fn slack(error: &str) -> ApiError {
        ApiError::Slack {
            method: "chat.postMessage".into(),
            error: error.into(),
        }
    }

    #[test]
    fn slack_errors_read_as_advice() {
        let all = [
            "channel_not_found",
            "not_in_channel",
            "invalid_auth",
            "missing_scope",
            "expired_trigger_id",
            "ratelimited",
            "something_new",
        ]
        .map(|e| format!("{e}: {}", api_error(&slack(e), Some("C0PUBLISHED1"))))
        .join("\n");
        insta::assert_snapshot!(all, @r"
        channel_not_found: Slack cannot find #C0PUBLISHED1. Name the channel with its link (type # and pick it) or its id, and try again.
        not_in_channel: I am not a member of #C0PUBLISHED1. Invite me with `/invite @storydesk` in that channel and try again.
        invalid_auth: Slack refused my credentials. The operator must check SLACK_BOT_TOKEN (and reinstall the app if it was removed).
        missing_scope: My Slack app lacks a permission it needs. The operator must reinstall it from the manifest `storydesk commands slack-manifest` prints.
        expired_trigger_id: The form could not open in time. Run the command again.
        ratelimited: Slack is limiting how fast I may post. Try again in a minute.
        something_new: Slack refused the request (`something_new`). Try again; if it keeps happening, tell the operator.
        ");
    }

    #[test]
    fn titles_fit_slack() {
        assert!(
            write_modal_title("introduction-and-more-words")
                .chars()
                .count()
                <= 24
        );
        assert_eq!(write_modal_title("body"), "Write body");
    }
}
