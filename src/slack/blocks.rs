//! Block Kit: the desk's messages, the board, review posts with their buttons, published
//! articles and the modals, as Slack messages and views within Slack's limits.
//!
//! Limits kept here: a section block holds at most [`SECTION_CHARS`] characters, a header
//! [`HEADER_CHARS`]; a message at most [`MESSAGE_BLOCKS`] blocks and about [`MESSAGE_CHARS`]
//! characters of block text (Slack refuses near 13,000 with `msg_blocks_too_long`). Longer
//! text is cut at paragraph or sentence boundaries ([`crate::text::chunk`]) and continued in
//! further messages. All text passes through [`to_mrkdwn`] (or [`escape`] for plain text), so
//! `&`, `<` and `>` from anyone are escaped and nothing pings.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::messages;
use super::mrkdwn::{escape, to_mrkdwn};
use crate::desk::{Action, Article, DraftRef};
use crate::model::StoryId;
use crate::text::chunk::chunk;

/// Characters in one section block's text.
pub const SECTION_CHARS: usize = 3000;
/// Characters in a header block.
pub const HEADER_CHARS: usize = 150;
/// Blocks in one message.
pub const MESSAGE_BLOCKS: usize = 50;
/// Characters of block text in one message.
pub const MESSAGE_CHARS: usize = 12_000;
/// Characters in one plain-text input.
pub const INPUT_CHARS: usize = 3000;
/// Inputs in one modal at most (Slack allows 100 blocks; the rest is headroom).
pub const MAX_INPUTS: usize = 40;
/// Characters of the notification text of a message.
const FALLBACK_CHARS: usize = 300;

/// The `action_id` of the Approve button.
pub const APPROVE_ACTION: &str = "storydesk_approve";
/// The `action_id` of the Request changes button.
pub const CHANGES_ACTION: &str = "storydesk_request_changes";
/// The `action_id` of an assisted draft's Accept button.
pub const DRAFT_ACCEPT_ACTION: &str = "storydesk_draft_accept";
/// The `action_id` of an assisted draft's Edit button.
pub const DRAFT_EDIT_ACTION: &str = "storydesk_draft_edit";
/// The `action_id` of an assisted draft's Discard button.
pub const DRAFT_DISCARD_ACTION: &str = "storydesk_draft_discard";
/// The `action_id` of the button that opens the form to resolve a kept conflicting text.
pub const RESOLVE_ACTION: &str = "storydesk_resolve";

/// One message to post: the notification text and the blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct SlackMessage {
    /// The notification (and accessibility) text.
    pub text: String,
    /// The Block Kit blocks.
    pub blocks: Vec<Value>,
}

impl SlackMessage {
    /// The message as the body of an ephemeral answer (an ack or a `response_url` post).
    pub fn ephemeral_json(&self) -> Value {
        json!({
            "response_type": "ephemeral",
            "replace_original": false,
            "text": self.text,
            "blocks": self.blocks,
        })
    }
}

/// Markdown cut into pieces whose mrkdwn fits in `max` characters, each piece already
/// converted. Cuts prefer paragraph, then line, then sentence boundaries; a piece that grows
/// past `max` when escaped is cut again, smaller.
pub fn mrkdwn_pieces(markdown: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    pieces_within(markdown, max, max.max(8), &mut out);
    out
}

/// Cuts `markdown` into pieces of `size` characters and converts them; a converted piece
/// longer than `limit` is cut again with a proportionally smaller size.
fn pieces_within(markdown: &str, size: usize, limit: usize, out: &mut Vec<String>) {
    for piece in chunk(markdown, size) {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        let converted = to_mrkdwn(piece);
        let len = converted.chars().count();
        if len <= limit || size <= 1 {
            out.push(converted);
        } else {
            // Escaping made it longer: cut the raw piece in proportion, and again if needed.
            let smaller = (size * limit / len).clamp(1, size - 1);
            pieces_within(piece, smaller, limit, out);
        }
    }
}

/// A section block of mrkdwn (already converted).
fn section(mrkdwn: String) -> Value {
    json!({ "type": "section", "text": { "type": "mrkdwn", "text": mrkdwn } })
}

/// Section blocks for Markdown text.
pub fn section_blocks(markdown: &str) -> Vec<Value> {
    mrkdwn_pieces(markdown, SECTION_CHARS)
        .into_iter()
        .map(section)
        .collect()
}

/// The characters of text in a block (what Slack counts toward a message's limit).
pub fn block_chars(block: &Value) -> usize {
    match block {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| match (k.as_str(), v) {
                ("text", Value::String(s)) => s.chars().count(),
                _ => block_chars(v),
            })
            .sum(),
        Value::Array(items) => items.iter().map(block_chars).sum(),
        _ => 0,
    }
}

/// Packs blocks, in order, into messages of at most [`MESSAGE_BLOCKS`] blocks and
/// [`MESSAGE_CHARS`] characters. `fallback` is the first message's notification text; the
/// others say they continue it.
pub fn pack(blocks: Vec<Value>, fallback: &str) -> Vec<SlackMessage> {
    let first = fallback_text(fallback);
    let mut messages: Vec<SlackMessage> = Vec::new();
    let mut current: Vec<Value> = Vec::new();
    let mut chars = 0;
    for block in blocks {
        let n = block_chars(&block);
        if !current.is_empty() && (current.len() == MESSAGE_BLOCKS || chars + n > MESSAGE_CHARS) {
            messages.push(SlackMessage {
                text: String::new(),
                blocks: std::mem::take(&mut current),
            });
            chars = 0;
        }
        chars += n;
        current.push(block);
    }
    if !current.is_empty() {
        messages.push(SlackMessage {
            text: String::new(),
            blocks: current,
        });
    }
    for (i, m) in messages.iter_mut().enumerate() {
        m.text = if i == 0 {
            first.clone()
        } else {
            fallback_text(&messages::continued(fallback))
        };
    }
    messages
}

/// A notification text: the first line, plain, escaped, short; times in UTC, mentions as
/// `@` and the id.
fn fallback_text(markdown: &str) -> String {
    let markdown = crate::text::when::render_markers(markdown, crate::text::when::utc);
    let markdown = crate::roles::render_mentions(&markdown, crate::roles::Entry::console_mention);
    let line = markdown
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .replace("**", "")
        .replace("~~", "");
    escape(&messages::truncate_chars(line.trim(), FALLBACK_CHARS))
}

/// A desk message (text or problem) as Slack messages.
pub fn text_messages(markdown: &str) -> Vec<SlackMessage> {
    pack(section_blocks(markdown), markdown)
}

/// The board: its lines, and the hint that its thread takes sources.
pub fn board_message(markdown: &str) -> SlackMessage {
    let mut blocks = section_blocks(markdown);
    blocks.push(json!({
        "type": "context",
        "elements": [{ "type": "mrkdwn", "text": to_mrkdwn(&messages::board_hint()) }],
    }));
    // A board is a handful of lines; should a title make it longer, the first message holds
    // the part that fits.
    pack(blocks, markdown).swap_remove(0)
}

/// What a button carries in its `value`: the desk's [`Action`], compactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ButtonValue {
    /// The story.
    pub s: u64,
    /// The section.
    pub n: String,
    /// The revision shown, or the draft's number.
    pub r: u32,
}

impl ButtonValue {
    /// The action a click on the button `action_id` stands for.
    pub fn action(&self, action_id: &str) -> Option<Action> {
        let (story, section, revision) = (StoryId(self.s), self.n.clone(), self.r);
        let draft = || DraftRef {
            story,
            section: section.clone(),
            number: revision,
        };
        match action_id {
            APPROVE_ACTION => Some(Action::Approve {
                story,
                section: section.clone(),
                revision,
            }),
            CHANGES_ACTION => Some(Action::RequestChanges {
                story,
                section: section.clone(),
                revision,
            }),
            DRAFT_ACCEPT_ACTION => Some(Action::AcceptDraft { draft: draft() }),
            DRAFT_EDIT_ACTION => Some(Action::EditDraft { draft: draft() }),
            DRAFT_DISCARD_ACTION => Some(Action::DiscardDraft { draft: draft() }),
            RESOLVE_ACTION => Some(Action::ResolveConflict {
                story,
                section: section.clone(),
            }),
            _ => None,
        }
    }
}

fn button(action: &Action) -> Value {
    let (id, label, style, story, section, number) = match action {
        Action::Approve {
            story,
            section,
            revision,
        } => (
            APPROVE_ACTION,
            messages::approve_button(),
            Some("primary"),
            story,
            section,
            revision,
        ),
        Action::RequestChanges {
            story,
            section,
            revision,
        } => (
            CHANGES_ACTION,
            messages::request_changes_button(),
            None,
            story,
            section,
            revision,
        ),
        Action::AcceptDraft { draft } => (
            DRAFT_ACCEPT_ACTION,
            messages::accept_draft_button(),
            Some("primary"),
            &draft.story,
            &draft.section,
            &draft.number,
        ),
        Action::EditDraft { draft } => (
            DRAFT_EDIT_ACTION,
            messages::edit_draft_button(),
            None,
            &draft.story,
            &draft.section,
            &draft.number,
        ),
        Action::DiscardDraft { draft } => (
            DRAFT_DISCARD_ACTION,
            messages::discard_draft_button(),
            Some("danger"),
            &draft.story,
            &draft.section,
            &draft.number,
        ),
        Action::ResolveConflict { story, section } => (
            RESOLVE_ACTION,
            messages::resolve_conflict_button(),
            Some("primary"),
            story,
            section,
            &0,
        ),
    };
    let value = ButtonValue {
        s: story.0,
        n: section.clone(),
        r: *number,
    };
    let mut b = json!({
        "type": "button",
        "action_id": id,
        "text": { "type": "plain_text", "text": label },
        "value": serde_json::to_string(&value).expect("plain data"),
    });
    if let Some(style) = style {
        b["style"] = json!(style);
    }
    b
}

/// An assisted draft's messages: its buttons go under the first message, the one that is
/// edited in place (as the draft is written, and when it is accepted or discarded), so
/// they can be taken away; a long draft continues in the messages after it.
pub fn draft_messages(markdown: &str, actions: &[Action]) -> Vec<SlackMessage> {
    let mut messages = pack(section_blocks(markdown), markdown);
    if actions.is_empty() {
        return messages;
    }
    let buttons = json!({
        "type": "actions",
        "elements": actions.iter().map(button).collect::<Vec<_>>(),
    });
    match messages.first_mut() {
        Some(first) if first.blocks.len() < MESSAGE_BLOCKS => first.blocks.push(buttons),
        _ => messages.insert(
            0,
            SlackMessage {
                text: fallback_text(markdown),
                blocks: vec![buttons],
            },
        ),
    }
    messages
}

/// A review post (a new revision with its diff) and its buttons, which go under the last
/// message.
pub fn review_messages(markdown: &str, actions: &[Action]) -> Vec<SlackMessage> {
    let mut messages = pack(section_blocks(markdown), markdown);
    if actions.is_empty() {
        return messages;
    }
    let buttons = json!({
        "type": "actions",
        "elements": actions.iter().map(button).collect::<Vec<_>>(),
    });
    match messages.last_mut() {
        Some(last) if last.blocks.len() < MESSAGE_BLOCKS => last.blocks.push(buttons),
        _ => messages.push(SlackMessage {
            text: fallback_text(&messages::continued(markdown)),
            blocks: vec![buttons],
        }),
    }
    messages
}

/// A published article: a header block with the headline, the sections, the references
/// last; as many messages as Slack's limits need.
pub fn article_messages(article: &Article) -> Vec<SlackMessage> {
    let mut blocks = vec![json!({
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": header_text(&article.headline),
        },
    })];
    for part in &article.parts {
        blocks.extend(section_blocks(&part.text));
    }
    if !article.references.is_empty() {
        let mut refs = format!("**{}**\n", article.references_heading);
        for r in &article.references {
            refs.push_str(&format!("- {r}\n"));
        }
        blocks.push(json!({ "type": "divider" }));
        blocks.extend(section_blocks(&refs));
    }
    if !article.corrections.is_empty() {
        blocks.push(json!({ "type": "divider" }));
        blocks.extend(section_blocks(&article.corrections.join("\n")));
    }
    pack(blocks, &messages::article_fallback(&article.headline))
}

/// A headline as header text: escaped, at most [`HEADER_CHARS`] characters.
fn header_text(headline: &str) -> String {
    let mut max = HEADER_CHARS;
    loop {
        let text = escape(&messages::truncate_chars(headline.trim(), max));
        if text.chars().count() <= HEADER_CHARS || max <= 1 {
            return text;
        }
        max -= 1;
    }
}

// ---------------------------------------------------------------------------------------
// Modals

/// The boxes a long text needs: `max_chars` in boxes of [`INPUT_CHARS`], at most
/// [`MAX_INPUTS`], and at least enough for `current`.
pub fn box_count(max_chars: usize, current_chars: usize) -> usize {
    let need = |n: usize| n.div_ceil(INPUT_CHARS).max(1);
    need(max_chars).max(need(current_chars)).min(MAX_INPUTS)
}

/// Splits a text into box contents of at most [`INPUT_CHARS`] characters, at paragraph or
/// sentence boundaries, and the separators between them (the whitespace the cut fell on),
/// so that the boxes joined with their separators give the text back exactly.
pub fn split_for_boxes(text: &str) -> (Vec<String>, Vec<String>) {
    let mut boxes: Vec<String> = Vec::new();
    let mut seps: Vec<String> = Vec::new();
    let mut pending_sep = String::new();
    for piece in chunk(text, INPUT_CHARS) {
        let body = piece.trim_end();
        let trailing = &piece[body.len()..];
        let lead_len = body.len() - body.trim_start().len();
        let (lead, body) = body.split_at(lead_len);
        pending_sep.push_str(lead);
        if body.is_empty() {
            pending_sep.push_str(trailing);
            continue;
        }
        if !boxes.is_empty() {
            seps.push(std::mem::take(&mut pending_sep));
        } else {
            pending_sep.clear();
        }
        boxes.push(body.to_string());
        pending_sep.push_str(trailing);
    }
    (boxes, seps)
}

/// Joins box contents back: with the separators the text was split at, and with a blank
/// line between boxes the writer filled beyond them. Empty boxes are skipped.
pub fn join_boxes(values: &[String], seps: &[String]) -> String {
    let mut out = String::new();
    let mut last_filled: Option<usize> = None;
    for (i, value) in values.iter().enumerate() {
        if value.trim().is_empty() {
            continue;
        }
        if let Some(prev) = last_filled {
            let original = (prev + 1 == i).then(|| seps.get(prev)).flatten();
            match original {
                Some(sep) => out.push_str(sep),
                None => out.push_str("\n\n"),
            }
        }
        out.push_str(value);
        last_filled = Some(i);
    }
    out
}

/// The block id of box `i` of a long text.
pub fn box_block_id(i: usize) -> String {
    format!("text_{i}")
}

/// The block id of the source label input.
pub const LABEL_BLOCK: &str = "label";
/// The block id of the change-request note.
pub const NOTE_BLOCK: &str = "note";
/// The `action_id` of every input (block ids tell them apart).
pub const INPUT_ACTION: &str = "value";

fn plain(text: &str) -> Value {
    json!({ "type": "plain_text", "text": text })
}

/// An input block with a plain-text input.
fn input(
    block_id: &str,
    label: &str,
    initial: Option<&str>,
    max_length: usize,
    multiline: bool,
    optional: bool,
) -> Value {
    let mut element = json!({
        "type": "plain_text_input",
        "action_id": INPUT_ACTION,
        "multiline": multiline,
        "max_length": max_length.clamp(1, INPUT_CHARS),
    });
    if let Some(text) = initial.filter(|t| !t.is_empty()) {
        element["initial_value"] = json!(text);
    }
    json!({
        "type": "input",
        "block_id": block_id,
        "label": plain(&messages::truncate_chars(label, 2000)),
        "optional": optional,
        "element": element,
    })
}

/// A modal view with a callback id, metadata, title and submit text.
fn modal(callback: &str, metadata: &str, title: &str, submit: &str, blocks: Vec<Value>) -> Value {
    json!({
        "type": "modal",
        "callback_id": callback,
        "private_metadata": metadata,
        "title": plain(&messages::truncate_chars(title, 24)),
        "submit": plain(&messages::truncate_chars(submit, 24)),
        "close": plain(messages::cancel()),
        "blocks": blocks,
    })
}

/// The boxes of a long text: as many as `max_chars` needs, the current text spread over
/// them. Returns the blocks and the separators to join them with.
fn text_boxes(label: &str, current: &str, max_chars: usize) -> (Vec<Value>, Vec<String>) {
    let (values, seps) = split_for_boxes(current);
    let total = box_count(max_chars, current.chars().count()).max(values.len());
    let mut blocks = Vec::new();
    let mut left = max_chars.max(1);
    for i in 0..total {
        let cap = left.clamp(1, INPUT_CHARS);
        left = left.saturating_sub(INPUT_CHARS);
        let value = values.get(i).map(String::as_str);
        let multiline = max_chars > HEADER_CHARS || total > 1;
        blocks.push(input(
            &box_block_id(i),
            &messages::part_label(label, i + 1, total),
            value,
            cap.max(value.map(|v| v.chars().count()).unwrap_or(0)),
            multiline,
            i > 0,
        ));
    }
    if total > 1 {
        blocks.insert(
            1,
            json!({
                "type": "context",
                "elements": [{ "type": "mrkdwn", "text": to_mrkdwn(&messages::parts_hint(total, max_chars)) }],
            }),
        );
    }
    (blocks, seps)
}

/// The modal of `/story write`: the section's current text in as many boxes as the
/// template's maximum needs. The separators go into `metadata` via the callback.
pub fn write_modal(
    section: &str,
    label: &str,
    current: &str,
    max_chars: usize,
    metadata: impl FnOnce(Vec<String>) -> String,
) -> Value {
    let (blocks, seps) = text_boxes(label, current, max_chars);
    modal(
        "storydesk_write",
        &metadata(seps),
        &messages::write_modal_title(section),
        messages::write_submit(),
        blocks,
    )
}

/// The modal of `/story source add`: a label and the text in a few boxes.
pub fn source_modal(
    label: &str,
    max_chars: usize,
    given_label: Option<&str>,
    metadata: &str,
) -> Value {
    let (mut blocks, _) = text_boxes(label, "", max_chars);
    blocks.insert(
        0,
        input(
            LABEL_BLOCK,
            messages::source_label_label(),
            given_label,
            100,
            false,
            true,
        ),
    );
    blocks.push(json!({
        "type": "context",
        "elements": [{ "type": "mrkdwn", "text": to_mrkdwn(&messages::source_hint()) }],
    }));
    modal(
        "storydesk_source",
        metadata,
        messages::source_modal_title(),
        messages::source_submit(),
        blocks,
    )
}

/// The modal a Request changes button opens, for the note.
pub fn changes_modal(section: &str, revision: u32, max_chars: usize, metadata: &str) -> Value {
    modal(
        "storydesk_changes",
        metadata,
        messages::changes_modal_title(),
        messages::changes_submit(),
        vec![input(
            NOTE_BLOCK,
            &messages::note_label(section, revision),
            None,
            max_chars,
            true,
            false,
        )],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::ArticlePart;

    fn within_limits(messages: &[SlackMessage]) {
        for m in messages {
            assert!(m.blocks.len() <= MESSAGE_BLOCKS);
            let chars: usize = m.blocks.iter().map(block_chars).sum();
            assert!(chars <= MESSAGE_CHARS, "{chars}");
            for b in &m.blocks {
                if b["type"] == "section" {
                    assert!(b["text"]["text"].as_str().unwrap().chars().count() <= SECTION_CHARS);
                }
                if b["type"] == "header" {
                    assert!(b["text"]["text"].as_str().unwrap().chars().count() <= HEADER_CHARS);
                }
            }
        }
    }

    #[test]
    fn escaping_that_lengthens_text_is_cut_again() {
        let text = "<&>".repeat(2000);
        let pieces = mrkdwn_pieces(&text, SECTION_CHARS);
        assert!(pieces.iter().all(|p| p.chars().count() <= SECTION_CHARS));
        let back: String = pieces
            .iter()
            .map(|p| super::super::mrkdwn::unescape(p))
            .collect();
        assert_eq!(back, text);
    }

    #[test]
    fn article_keeps_to_limits_and_order() {
        let para = "The council met at noon. It voted on the harbour budget. ".repeat(20);
        let body = (0..40)
            .map(|i| format!("{i} {para}"))
            .collect::<Vec<_>>()
            .join("\n\n");
        let article = Article {
            story: StoryId(1),
            headline: "H".repeat(300),
            parts: vec![
                ArticlePart {
                    section: "introduction".into(),
                    text: "Intro & <more>.".into(),
                },
                ArticlePart {
                    section: "body".into(),
                    text: body,
                },
            ],
            references_heading: "References".into(),
            references: vec!["Li, W. (2025). Title.".into()],
            corrections: Vec::new(),
        };
        let messages = article_messages(&article);
        assert!(messages.len() > 1);
        within_limits(&messages);
        assert_eq!(messages[0].blocks[0]["type"], "header");
        let last = messages.last().unwrap();
        let refs = last.blocks.last().unwrap()["text"]["text"]
            .as_str()
            .unwrap();
        assert!(refs.starts_with("*References*"), "{refs}");
        let all: Vec<String> = messages
            .iter()
            .flat_map(|m| m.blocks.iter())
            .filter(|b| b["type"] == "section")
            .map(|b| b["text"]["text"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(all[0], "Intro &amp; &lt;more&gt;.");
        let numbers: Vec<usize> = all
            .iter()
            .flat_map(|s| s.split("\n\n"))
            .filter_map(|p| p.split(' ').next()?.parse().ok())
            .collect();
        assert_eq!(numbers, (0..40).collect::<Vec<_>>());
    }

    #[test]
    fn board_and_review_post_as_slack_shows_them() {
        let board = board_message("**Story #1: Harbour & port**\n◔ **title** — in review · alice");
        let review = review_messages(
            "**body** revision 2 by alice · 9 words (+1 −1)\n\nThe vote ~~moved~~ **slipped** to <March>.",
            &[
                Action::Approve {
                    story: StoryId(1),
                    section: "body".into(),
                    revision: 2,
                },
                Action::RequestChanges {
                    story: StoryId(1),
                    section: "body".into(),
                    revision: 2,
                },
            ],
        );
        let shown = serde_json::to_string_pretty(&json!({
            "board": { "text": board.text, "blocks": board.blocks },
            "review": review.iter().map(|m| json!({ "text": m.text, "blocks": m.blocks })).collect::<Vec<_>>(),
        }))
        .unwrap();
        insta::assert_snapshot!(shown);
    }

    #[test]
    fn boxes_round_trip() {
        let para = "Sentence one is here. Sentence two follows it. ".repeat(30);
        let text = format!("{para}\n\n{para}\n{}\n\nend", "x".repeat(3500));
        let (boxes, seps) = split_for_boxes(text.trim());
        assert!(boxes.len() >= 3);
        assert!(boxes.iter().all(|b| b.chars().count() <= INPUT_CHARS));
        assert_eq!(seps.len(), boxes.len() - 1);
        assert_eq!(join_boxes(&boxes, &seps), text.trim());
        // A box filled after the original text is joined with a blank line.
        let mut more = boxes.clone();
        more.push(String::new());
        more.push("new part".into());
        assert_eq!(
            join_boxes(&more, &seps),
            format!("{}\n\nnew part", text.trim())
        );
        assert_eq!(box_count(60_000, 0), 20);
        assert_eq!(box_count(120, 0), 1);
        assert_eq!(box_count(1200, 7000), 3);
    }

    #[test]
    fn write_modal_spans_boxes_up_to_the_maximum() {
        let view = write_modal("body", "Section text", "Short text.", 60_000, |seps| {
            serde_json::to_string(&seps).unwrap()
        });
        let inputs: Vec<&Value> = view["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["type"] == "input")
            .collect();
        assert_eq!(inputs.len(), 20);
        assert_eq!(inputs[0]["element"]["initial_value"], "Short text.");
        assert_eq!(inputs[0]["optional"], false);
        assert_eq!(inputs[1]["optional"], true);
        let total: u64 = inputs
            .iter()
            .map(|b| b["element"]["max_length"].as_u64().unwrap())
            .sum();
        assert_eq!(total, 60_000);
        let title = write_modal("title", "Section text", "", 120, |_| String::new());
        assert_eq!(title["blocks"][0]["element"]["multiline"], false);
        assert_eq!(title["blocks"][0]["element"]["max_length"], 120);
    }
}
