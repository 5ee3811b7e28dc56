//! Corrections after publishing: `/story correct section:… note:"…"` with the new text.
//!
//! A published story is locked ([`super::rules::refuse_if_published`]); this is the one path
//! that changes it. An editor's corrected text is normalised and bounded like a write and
//! checked with the article as it would read corrected (a check error the published article
//! did not have refuses it). It becomes a new revision of the section, recorded as a
//! [`Correction`] of the publication, and goes to the section's thread for review. One
//! approval by anyone but its author (the review buttons, or `/story approve`, which come
//! here first) applies it: the article is assembled again, showing the corrected section
//! and a Correction line per correction, and the reply hands it to delivery as
//! [`Destination::Correct`], which edits the published messages in place. A change request
//! closes it unapplied; a new `/story correct` proposes another.

use super::publish::findings_with;
use super::rules::{prepare_text, TITLE};
use super::{messages, save, section_of_mut, tx_story, user, Action, Body, Ctx, Desk, DeskError};
use super::{Destination, Reply, ThreadKind};
use crate::checks::{Finding, Level};
use crate::model::{
    Approval, AuditEvent, ChangeRequest, Correction, CorrectionState, Publication, Revision, Story,
    StoryId,
};
use crate::template::Generated;
use crate::text::diff::word_diff;

/// Words of unchanged context kept around each change in a correction's review post.
const DIFF_CONTEXT_WORDS: usize = 8;

/// The publication of a story that can take a correction now, or why it cannot.
fn correctable(story: &Story) -> Result<&Publication, DeskError> {
    match &story.published {
        None => user(messages::correction_not_published(story)),
        Some(p) if !p.is_complete() => user(messages::correction_while_posting(story, p)),
        Some(p) => Ok(p),
    }
}

/// Two findings say the same thing about the same place's rule.
fn same(a: &Finding, b: &Finding) -> bool {
    a.rule == b.rule && a.section == b.section && a.message == b.message
}

/// `/story correct section:… note:"…"` with the corrected text (editors only: the
/// catalogue says so and the desk enforces it before any handler runs).
pub fn correct(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let section = ctx.section()?;
    let id = ctx.story_id()?;
    let story = ctx.load(id)?;
    let p = correctable(&story)?;
    if ctx.spec(&story, &section)?.generated == Some(Generated::References) {
        return user(messages::correction_of_generated(&section));
    }
    if let Some(c) = p.pending_correction(&section) {
        return user(messages::correction_pending(&section, c));
    }
    let Some(raw) = ctx.body else {
        return user(messages::section_text_missing(&section));
    };
    let text = prepare_text(ctx, &section, raw)?;
    let note = ctx.opt("note").unwrap_or_default().trim().to_string();
    // The article as it would read corrected: an error the published one did not have
    // (an editor may have overridden some at publication) refuses the correction.
    let before = findings_with(ctx.desk, &story, None)?;
    let after = findings_with(ctx.desk, &story, Some((&section, &text)))?;
    let errors: Vec<&Finding> = after
        .iter()
        .filter(|f| f.level == Level::Error && !before.iter().any(|b| same(b, f)))
        .collect();
    if !errors.is_empty() {
        return user(messages::correction_refused_checks(&errors));
    }
    let (story, revision, shown) = ctx.transact(|tx| {
        let mut story = tx_story(tx, id)?;
        let p = correctable(&story)?;
        if let Some(c) = p.pending_correction(&section) {
            return user(messages::correction_pending(&section, c));
        }
        let latest = story.section(&section).map_or(0, |s| s.revisions);
        let shown = p.shown_revision(&section, latest);
        let number = latest + 1;
        let revision = Revision {
            story: id,
            section: section.clone(),
            number,
            parent: (shown > 0).then_some(shown),
            author: ctx.req.actor.clone(),
            at: ctx.req.at,
            text: text.clone(),
            assisted: false,
        };
        section_of_mut(&mut story, &section)?.revisions = number;
        tx.put_revision(&revision)?;
        if let Some(p) = story.published.as_mut() {
            p.corrections.push(Correction {
                section: section.clone(),
                revision: number,
                note: note.clone(),
                by: ctx.req.actor.clone(),
                at: ctx.req.at,
                state: CorrectionState::Pending,
            });
        }
        ctx.log(
            tx,
            &mut story,
            AuditEvent::CorrectionProposed {
                section: section.clone(),
                revision: number,
                note: note.clone(),
            },
        )?;
        save(tx, &mut story)?;
        Ok((story, revision, shown))
    })?;
    let parent = match shown {
        0 => None,
        n => ctx.desk.store().revision(id, &section, n)?,
    };
    let diff = parent.map(|p| word_diff(&p.text, &revision.text));
    let mut reply = Reply::about(id);
    reply.push(
        Destination::Requester,
        Body::Text(messages::correction_sent(&story, &section, revision.number)),
    );
    reply.push(
        Destination::Thread {
            story: id,
            thread: ThreadKind::Section(section.clone()),
        },
        Body::Review {
            text: messages::correction_posted(
                &story,
                &revision,
                &note,
                diff.as_ref(),
                DIFF_CONTEXT_WORDS,
            ),
            actions: vec![
                Action::Approve {
                    story: id,
                    section: section.clone(),
                    revision: revision.number,
                },
                Action::RequestChanges {
                    story: id,
                    section: section.clone(),
                    revision: revision.number,
                },
            ],
        },
    );
    reply.push(
        Destination::Board { story: id },
        Body::Board(super::render_board(&story, ctx.desk.config.review.quorum)),
    );
    Ok(reply)
}

/// The correction of `section` waiting for review, if the request's story has one, after
/// checking that the review names its revision (a button carries it).
fn pending_for(ctx: &Ctx<'_>, id: StoryId, section: &str) -> Result<Option<Correction>, DeskError> {
    let story = ctx.load(id)?;
    let Some(c) = story
        .published
        .as_ref()
        .and_then(|p| p.pending_correction(section))
        .cloned()
    else {
        return Ok(None);
    };
    if let Some(n) = ctx.opt("revision").and_then(|v| v.parse::<u32>().ok()) {
        if n != c.revision {
            return user(messages::stale_review(section, n, c.revision));
        }
    }
    Ok(Some(c))
}

/// `/story approve` (or the Approve button) of a section whose correction waits for review:
/// one approval by anyone but its author applies it. `None` when the section has no such
/// correction: the approval is an ordinary one.
pub(crate) fn approve(
    ctx: &Ctx<'_>,
    id: StoryId,
    section: &str,
) -> Result<Option<Reply>, DeskError> {
    let Some(c) = pending_for(ctx, id, section)? else {
        return Ok(None);
    };
    let me = &ctx.req.actor;
    if c.by.id == me.id {
        return user(messages::own_correction(section, c.revision));
    }
    let applied = ctx.transact(|tx| {
        let mut story = tx_story(tx, id)?;
        let Some(p) = story.published.as_mut() else {
            return Ok(None);
        };
        let Some(pending) = p
            .corrections
            .iter_mut()
            .find(|x| x.section == section && x.revision == c.revision)
            .filter(|x| x.state == CorrectionState::Pending)
        else {
            // Applied or turned down meanwhile: an ordinary approval, which says why not.
            return Ok(None);
        };
        pending.state = CorrectionState::Applied(ctx.req.at);
        let s = section_of_mut(&mut story, section)?;
        // One approval applies a correction; whether it came from one of the section's
        // required reviewers is kept, as for any approval.
        let required = ctx
            .desk
            .config
            .review
            .required_for(section)
            .is_some_and(|list| list.admits(&ctx.req.identity()));
        s.approvals.push(Approval {
            by: me.clone(),
            revision: c.revision,
            at: ctx.req.at,
            required,
        });
        // The corrected text is what the article shows now: earlier requests are settled.
        for request in s.change_requests.iter_mut().filter(|r| r.open) {
            request.open = false;
        }
        if section == TITLE {
            let revision = tx.revision(id, section, c.revision)?.ok_or_else(|| {
                DeskError::Internal(format!("{section} revision {} missing", c.revision))
            })?;
            story.title = revision.text;
        }
        for event in [
            AuditEvent::Approved {
                section: section.to_string(),
                revision: c.revision,
            },
            AuditEvent::CorrectionApplied {
                section: section.to_string(),
                revision: c.revision,
            },
        ] {
            ctx.log(tx, &mut story, event)?;
        }
        save(tx, &mut story)?;
        Ok(Some(story))
    })?;
    let Some(story) = applied else {
        return Ok(None);
    };
    let Some(p) = story.published.clone() else {
        return Err(DeskError::Internal(format!(
            "story {id} lost its publication"
        )));
    };
    let article = super::assemble(ctx.desk, &story, p.style, false)?;
    let mut reply = Reply::about(id);
    reply.push(
        Destination::Thread {
            story: id,
            thread: ThreadKind::Section(section.to_string()),
        },
        Body::Text(messages::correction_approved(
            &story, section, c.revision, me,
        )),
    );
    reply.push(
        Destination::Correct {
            channel: p.channel.clone(),
        },
        Body::Article(article),
    );
    reply.push(
        Destination::Channel,
        Body::Text(messages::correction_announced(&story, &p.channel, &c)),
    );
    reply.push(
        Destination::Board { story: id },
        Body::Board(super::render_board(&story, ctx.desk.config.review.quorum)),
    );
    Ok(Some(reply))
}

/// `/story changes` (or the Request changes button) on a section whose correction waits
/// for review: the correction is turned down with the note, and the article stays as it
/// is. `None` when the section has no such correction.
pub(crate) fn changes(
    ctx: &Ctx<'_>,
    id: StoryId,
    section: &str,
    note: &str,
) -> Result<Option<Reply>, DeskError> {
    let Some(c) = pending_for(ctx, id, section)? else {
        return Ok(None);
    };
    let me = &ctx.req.actor;
    let turned_down = ctx.transact(|tx| {
        let mut story = tx_story(tx, id)?;
        let Some(p) = story.published.as_mut() else {
            return Ok(None);
        };
        let Some(pending) = p
            .corrections
            .iter_mut()
            .find(|x| x.section == section && x.revision == c.revision)
            .filter(|x| x.state == CorrectionState::Pending)
        else {
            return Ok(None);
        };
        pending.state = CorrectionState::ChangesRequested;
        let s = section_of_mut(&mut story, section)?;
        s.change_requests.push(ChangeRequest {
            by: me.clone(),
            note: note.to_string(),
            revision: c.revision,
            at: ctx.req.at,
            open: true,
        });
        ctx.log(
            tx,
            &mut story,
            AuditEvent::ChangesRequested {
                section: section.to_string(),
                revision: c.revision,
            },
        )?;
        save(tx, &mut story)?;
        Ok(Some(story))
    })?;
    let Some(story) = turned_down else {
        return Ok(None);
    };
    let mut reply = Reply::about(id);
    reply.push(
        Destination::Thread {
            story: id,
            thread: ThreadKind::Section(section.to_string()),
        },
        Body::Text(messages::correction_changes_requested(
            &story, section, c.revision, me, note,
        )),
    );
    reply.push(
        Destination::Board { story: id },
        Body::Board(super::render_board(&story, ctx.desk.config.review.quorum)),
    );
    Ok(Some(reply))
}

impl Desk {
    /// The platform ids of the messages that show `story`'s published article, in order
    /// (empty when none are known: the article is then corrected by posting it again).
    pub fn published_messages(&self, story: StoryId) -> Result<Vec<String>, DeskError> {
        Ok(self
            .store()
            .story(story)?
            .and_then(|s| s.published)
            .map(|p| p.messages)
            .unwrap_or_default())
    }

    /// Delivery corrected `story`'s article: `messages` now show it, in order (the ones
    /// edited in place, then any posted after them).
    pub fn correction_delivered(
        &self,
        story: StoryId,
        messages: Vec<String>,
    ) -> Result<(), DeskError> {
        Ok(self.store().transact(|tx| {
            let Some(mut s) = tx.story(story)? else {
                return Ok(());
            };
            match s.published.as_mut() {
                Some(p) if p.messages != messages => p.messages = messages.clone(),
                _ => return Ok(()),
            }
            save(tx, &mut s)?;
            Ok::<_, DeskError>(())
        })?)
    }
}
