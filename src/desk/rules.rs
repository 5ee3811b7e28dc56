//! The rules every command that changes a section goes through, in one place: a published
//! story takes no edits, a claimed section is written by whoever holds it, a section's text
//! stays within its limits, a draft is acted on only while it is pending; and saving
//! revisions (merged or kept, drafts closed, each revision posted for review).

use super::conflicts::{self, Outcome, Submission};
use super::{
    messages, save, section_of, section_of_mut, tx_story, user, Action, Body, Ctx, DeskError,
    Destination, DraftRef, Reply, ThreadKind,
};
use crate::model::{AuditEvent, Person, Revision, Story, StoryId, Suggestion, SuggestionState};
use crate::store::Tx;
use crate::text::diff::word_diff;
use crate::text::normalise::normalise;

/// The section whose text is the story's headline.
pub(crate) const TITLE: &str = "title";

/// A published story takes no edits: the refusal that says so.
pub(crate) fn refuse_if_published(story: &Story) -> Result<(), DeskError> {
    match &story.published {
        Some(p) => user(messages::already_published_no_edits(story, p)),
        None => Ok(()),
    }
}

/// Whoever holds a claim on `section` (claimed, or was assigned it) when that is someone
/// other than `me`.
pub(crate) fn held_by_other(
    story: &Story,
    section: &str,
    me: &Person,
) -> Result<Option<Person>, DeskError> {
    let s = section_of(story, section)?;
    Ok(s.owner.clone().filter(|o| s.claimed && o.id != me.id))
}

/// Normalises a section's text and checks it against the size limits: the text to save, or
/// the reason it cannot be saved.
pub(crate) fn prepare_text(ctx: &Ctx<'_>, section: &str, raw: &str) -> Result<String, DeskError> {
    let spec = ctx.spec(&ctx.load(ctx.story_id()?)?, section)?;
    let limit = ctx.desk.config.limits.section_bytes;
    if raw.len() as u64 > limit.saturating_mul(2) {
        return user(messages::section_too_large(
            section,
            raw.len() as u64,
            limit,
        ));
    }
    let text = normalise(raw).trim().to_string();
    if text.is_empty() {
        return user(messages::section_text_missing(section));
    }
    if text.len() as u64 > limit {
        return user(messages::section_too_large(
            section,
            text.len() as u64,
            limit,
        ));
    }
    let chars = text.chars().count();
    if chars > spec.max_chars as usize {
        return user(messages::section_too_long(section, chars, spec.max_chars));
    }
    // A title is one line: the form's input has one, and the headline shows one.
    if section == TITLE && text.contains('\n') {
        let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
        let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
        return user(messages::title_one_line(lines, &joined));
    }
    Ok(text)
}

/// The section's draft if it can be acted on (with that number, when one is given); the
/// reason it cannot otherwise.
pub(crate) fn pending(
    suggestion: Option<Suggestion>,
    section: &str,
    number: Option<u32>,
) -> Result<Suggestion, DeskError> {
    let Some(s) = suggestion else {
        return user(messages::no_draft(section, None));
    };
    if let Some(n) = number {
        // Drafts of a section are numbered 1, 2, …: a number past the latest never existed.
        if n > s.number {
            return user(messages::unknown_draft(section, n, s.number));
        }
        if n != s.number {
            return user(messages::stale_draft(section, n, s.number));
        }
    }
    if !s.state.is_pending() {
        return user(messages::no_draft(section, Some(&s)));
    }
    Ok(s)
}

/// Inside a transaction: the pending draft `number` of a section, or why it is not.
pub(crate) fn take_pending(
    tx: &mut Tx<'_>,
    story: StoryId,
    section: &str,
    number: u32,
) -> Result<Suggestion, DeskError> {
    pending(tx.suggestion(story, section)?, section, Some(number))
}

/// Saves new revisions of one or more sections in one transaction, and replies with each
/// revision's review post, the closed drafts they came from, notes on short sections and
/// the board. A submission written over an older revision is merged with the revisions
/// saved since; one that overlaps them is kept for its writer instead ([`conflicts`]).
pub(crate) fn save_revisions(
    ctx: &Ctx<'_>,
    id: StoryId,
    items: Vec<Submission>,
) -> Result<Reply, DeskError> {
    // Planned against the latest revisions; the transaction refuses to apply a plan whose
    // section moved on meanwhile, and planning starts again. Writers of this story in this
    // process wait their turn, so only another replica can move a section under a plan.
    let _turn = ctx.desk.writers.queue(id);
    let mut attempts = 0;
    let (story, plans, saved) = loop {
        let plans = conflicts::plan(ctx, id, &items)?;
        let stale = std::cell::Cell::new(false);
        let result = ctx.transact(|tx| {
            stale.set(false);
            let mut story = tx_story(tx, id)?;
            refuse_if_published(&story)?;
            let mut saved = Vec::new();
            for (item, plan) in items.iter().zip(&plans) {
                let section = &item.section;
                // Claimed by someone else since `write` or `draft accept` looked.
                if let Some(holder) = held_by_other(&story, section, &ctx.req.actor)? {
                    return user(messages::section_held(section, &holder));
                }
                let now = story.section(section).map_or(0, |s| s.revisions);
                if now != plan.latest_number() {
                    stale.set(true);
                    return Err(DeskError::Internal(format!("{section} moved on")));
                }
                match &plan.outcome {
                    Outcome::Save { text, .. } => {
                        let draft = match item.draft {
                            Some(n) => Some(take_pending(tx, id, section, n)?),
                            None => None,
                        };
                        let (revision, dismissed, closed) =
                            add_revision(ctx, tx, &mut story, section, text, draft)?;
                        conflicts::saved(ctx, tx, &mut story, section, revision.number)?;
                        saved.push(Some((revision, dismissed, closed)));
                    }
                    Outcome::Keep { kept, .. } => {
                        conflicts::keep(ctx, tx, &mut story, kept)?;
                        saved.push(None);
                    }
                }
            }
            save(tx, &mut story)?;
            Ok((story, saved))
        });
        match result {
            Ok((story, saved)) => break (story, plans, saved),
            Err(_) if stale.get() && attempts < 16 => {
                attempts += 1;
                // Plans read what the store has applied; the revision that moved the
                // section may still be on its way there. Wait for it, then plan again.
                ctx.desk.store().flush()?;
            }
            Err(_) if stale.get() => return user(messages::saved_meanwhile()),
            Err(e) => return Err(e),
        }
    };
    let quorum = ctx.desk.config.review.quorum;
    let mut reply = Reply::about(id);
    for ((item, plan), saved) in items.iter().zip(plans).zip(saved) {
        let section = item.section.clone();
        let thread = Destination::Thread {
            story: id,
            thread: ThreadKind::Section(section.clone()),
        };
        let Some((revision, dismissed, closed)) = saved else {
            if let Outcome::Keep {
                passages,
                markers,
                over_limit,
                ..
            } = &plan.outcome
            {
                let text = match (over_limit, &plan.latest, markers) {
                    (Some(why), _, _) => why.clone(),
                    (None, Some(latest), false) => {
                        messages::conflict_kept(&section, latest, passages)
                    }
                    _ => messages::conflict_markers_refused(&section),
                };
                reply.push(
                    Destination::Requester,
                    Body::Review {
                        text,
                        actions: vec![Action::ResolveConflict {
                            story: id,
                            section: section.clone(),
                        }],
                    },
                );
            }
            continue;
        };
        if let Some(draft) = &closed {
            reply.push(thread.clone(), closed_post(draft));
        }
        if let Outcome::Save {
            merged: Some(merged),
            ..
        } = &plan.outcome
        {
            reply.push(
                thread.clone(),
                Body::Text(messages::merged_note(
                    &section,
                    &revision.author,
                    merged.base,
                    &merged.revisions,
                )),
            );
        }
        // The transaction checked that the latest revision is still the one planned against,
        // so it is this revision's parent.
        reply.push(
            thread.clone(),
            revision_post(&story, &revision, plan.latest.as_ref(), dismissed, quorum),
        );
        if let Some(s) = story.section(&section).filter(|s| !s.needs.is_empty()) {
            reply.push(
                thread.clone(),
                Body::Text(messages::required_review_wanted(&section, &s.needs)),
            );
        }
        if let Some(post) =
            super::publish::section_findings_post(ctx.desk, &story, &section, revision.number)
        {
            reply.push(thread, post);
        }
        let spec = ctx.spec(&story, &section)?;
        let chars = revision.text.chars().count();
        if chars < spec.min_chars as usize {
            reply.push(
                Destination::Requester,
                Body::Text(messages::section_short(&section, chars, spec.min_chars)),
            );
        }
    }
    reply.push(
        Destination::Board { story: id },
        Body::Board(super::render_board(&story, quorum)),
    );
    Ok(reply)
}

/// A new revision of `section` needs an approval from one of its required reviewers
/// (`[review.required]` now), on top of the quorum.
pub(crate) fn require_reviewers(desk: &super::Desk, section: &mut crate::model::Section) {
    section.needs = desk
        .config
        .review
        .required_for(&section.name)
        .map(|list| list.entries().iter().map(ToString::to_string).collect())
        .unwrap_or_default();
}

/// Adds the next revision of `section` to `story` inside a transaction, with its audit
/// entry; `draft` is the pending assisted draft it comes from, closed here as accepted by
/// the person saving. Returns the revision, how many approvals of the previous revision
/// stopped counting, and the closed draft. The caller saves the story.
pub(crate) fn add_revision(
    ctx: &Ctx<'_>,
    tx: &mut crate::store::Tx<'_>,
    story: &mut Story,
    section: &str,
    text: &str,
    draft: Option<Suggestion>,
) -> Result<(Revision, usize, Option<Suggestion>), DeskError> {
    let id = story.id;
    let s = section_of_mut(story, section)?;
    let dismissed = s.current_approvals().count();
    let number = s.revisions + 1;
    let revision = Revision {
        story: id,
        section: section.to_string(),
        number,
        parent: (number > 1).then_some(number - 1),
        author: ctx.req.actor.clone(),
        at: ctx.req.at,
        text: text.to_string(),
        assisted: draft.is_some(),
    };
    s.revisions = number;
    if s.owner.is_none() {
        s.owner = Some(ctx.req.actor.clone());
    }
    require_reviewers(ctx.desk, s);
    tx.put_revision(&revision)?;
    if section == TITLE {
        // One title: the story's headline follows its title section.
        story.title = text.to_string();
    }
    let (action, closed) = match draft {
        None => (
            AuditEvent::Wrote {
                section: section.to_string(),
                revision: number,
            },
            None,
        ),
        Some(mut draft) => {
            let edited = draft.text != text;
            draft.state = SuggestionState::Accepted {
                by: ctx.req.actor.clone(),
                revision: number,
                edited,
            };
            tx.put_suggestion(&draft)?;
            (
                AuditEvent::DraftAccepted {
                    section: section.to_string(),
                    draft: draft.number,
                    revision: number,
                    edited,
                },
                Some(draft),
            )
        }
    };
    ctx.log(tx, story, action)?;
    Ok((revision, dismissed, closed))
}

/// Words of unchanged context kept around each change in a review post.
const DIFF_CONTEXT_WORDS: usize = 8;

/// The post announcing a new revision in its section's thread: who, size, the diff against
/// the parent (or the whole text for a first revision), and the review buttons.
pub(crate) fn revision_post(
    story: &Story,
    revision: &Revision,
    parent: Option<&Revision>,
    dismissed: usize,
    quorum: u32,
) -> Body {
    let diff = parent.map(|p| word_diff(&p.text, &revision.text));
    let text = messages::revision_posted(
        story,
        revision,
        diff.as_ref(),
        DIFF_CONTEXT_WORDS,
        dismissed,
        quorum,
    );
    Body::Review {
        text,
        actions: vec![
            Action::Approve {
                story: story.id,
                section: revision.section.clone(),
                revision: revision.number,
            },
            Action::RequestChanges {
                story: story.id,
                section: revision.section.clone(),
                revision: revision.number,
            },
        ],
    }
}

/// The message of a draft that was accepted or discarded: its buttons go.
pub(crate) fn closed_post(draft: &Suggestion) -> Body {
    Body::Suggestion {
        draft: DraftRef {
            story: draft.story,
            section: draft.section.clone(),
            number: draft.number,
        },
        text: messages::draft_closed(draft),
        actions: Vec::new(),
        writing: false,
    }
}
