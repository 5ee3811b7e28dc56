//! The board: one message per story, one line per section, edited in place after every
//! change.

use crate::model::{SectionState, Story};

use super::messages;

/// The board's Markdown for `story` under the review `quorum`.
pub fn render_board(story: &Story, quorum: u32) -> String {
    let mut out = messages::board_heading(story);
    for section in &story.sections {
        let state = section.state(quorum);
        let approvals = section.current_approvals().count() as u32;
        let open = section.open_change_requests().count();
        out.push('\n');
        out.push_str(&messages::board_line(
            &section.name,
            state,
            section.owner.as_ref(),
            section.revisions,
            approvals,
            quorum,
            open,
        ));
        out.push_str(&messages::board_due(story, &section.name, state));
        if section.revisions > 0 && section.awaits_required() {
            out.push_str(&messages::board_needs(&section.needs));
        }
        if !section.conflicts.is_empty() {
            out.push_str(&messages::board_conflicts(&section.conflicts));
        }
    }
    out.push('\n');
    out.push_str(&messages::board_footer(story, quorum));
    if story.published.is_none() {
        if let Some(timing) = messages::board_timing(story) {
            out.push('\n');
            out.push_str(&timing);
        }
    }
    out
}

/// The sections that keep the story from being published, with their state.
pub(crate) fn unfinished(
    story: &Story,
    quorum: u32,
    required: impl Fn(&str) -> bool,
) -> Vec<(String, SectionState)> {
    story
        .sections
        .iter()
        .filter(|s| required(&s.name) || s.revisions > 0)
        .map(|s| (s.name.clone(), s.state(quorum)))
        .filter(|(_, state)| *state != SectionState::Approved)
        .collect()
}
