//! Reviews: approve a section's latest revision, or ask for changes with a note.
//!
//! The rules: the author of a revision cannot approve it; a new revision makes earlier
//! approvals stop counting; a change request stays open until the reviewer who made it
//! approves a later revision, or withdraws it by approving the revision it was made on
//! (written to the audit log); a section is approved with the quorum of approvals of its
//! latest revision and no open change request.

use super::{messages, user, Body, Ctx, DeskError, Destination, Reply, ThreadKind};
use super::{save, section_of, section_of_mut, tx_story};
use crate::model::{Approval, AuditEvent, ChangeRequest};
use crate::text::normalise::normalise;

/// The revision a review names (a button carries it) must still be the latest.
fn check_revision(ctx: &Ctx<'_>, section: &str, latest: u32) -> Result<(), DeskError> {
    if let Some(n) = ctx.opt("revision").and_then(|v| v.parse::<u32>().ok()) {
        if n != latest {
            return user(messages::stale_review(section, n, latest));
        }
    }
    Ok(())
}

/// `/story approve [section:…]`.
pub fn approve(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let section = ctx.section()?;
    let id = ctx.story_id()?;
    if let Some(reply) = super::corrections::approve(ctx, id, &section)? {
        return Ok(reply);
    }
    let me = &ctx.req.actor;
    let quorum = ctx.desk.config.review.quorum;
    let (story, revision, withdrawn) = ctx.transact(|tx| {
        let mut story = tx_story(tx, id)?;
        super::rules::refuse_if_published(&story)?;
        let s = section_of(&story, &section)?;
        let latest = s.revisions;
        if latest == 0 {
            return user(messages::nothing_to_review(&section));
        }
        check_revision(ctx, &section, latest)?;
        let author = tx
            .revision(id, &section, latest)?
            .ok_or(DeskError::Internal("latest revision missing".into()))?
            .author;
        if author.id == me.id {
            return user(messages::own_revision(&section, latest));
        }
        if s.current_approvals().any(|a| a.by.id == me.id) {
            return user(messages::already_approved(&section, latest));
        }
        let s = section_of_mut(&mut story, &section)?;
        let required = ctx
            .desk
            .config
            .review
            .required_for(&section)
            .is_some_and(|list| list.admits(&ctx.req.identity()));
        s.approvals.push(Approval {
            by: me.clone(),
            revision: latest,
            at: ctx.req.at,
            required,
        });
        // Approving closes the reviewer's own open request: resolved when it was made on an
        // earlier revision, withdrawn when it was made on this one.
        let mut withdrawn = false;
        for c in s
            .change_requests
            .iter_mut()
            .filter(|c| c.open && c.by.id == me.id)
        {
            c.open = false;
            withdrawn |= c.revision == latest;
        }
        if withdrawn {
            ctx.log(
                tx,
                &mut story,
                AuditEvent::ChangeRequestWithdrawn {
                    section: section.clone(),
                    revision: latest,
                },
            )?;
        }
        ctx.log(
            tx,
            &mut story,
            AuditEvent::Approved {
                section: section.clone(),
                revision: latest,
            },
        )?;
        save(tx, &mut story)?;
        Ok((story, latest, withdrawn))
    })?;
    let s = section_of(&story, &section)?;
    let mut reply = Reply::about(id);
    reply.push(
        Destination::Thread {
            story: id,
            thread: ThreadKind::Section(section.clone()),
        },
        Body::Text(messages::approved(
            &story, s, revision, me, quorum, withdrawn,
        )),
    );
    reply.push(
        Destination::Board { story: id },
        Body::Board(super::render_board(&story, quorum)),
    );
    Ok(reply)
}

/// `/story changes [section:…] note:…`: ask for changes on the latest revision.
pub fn changes(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let section = ctx.section()?;
    let note = normalise(ctx.opt("note").unwrap_or_default())
        .trim()
        .to_string();
    if note.is_empty() {
        return user(messages::note_missing(&section));
    }
    let id = ctx.story_id()?;
    if let Some(reply) = super::corrections::changes(ctx, id, &section, &note)? {
        return Ok(reply);
    }
    let me = &ctx.req.actor;
    let quorum = ctx.desk.config.review.quorum;
    let (story, revision, author) = ctx.transact(|tx| {
        let mut story = tx_story(tx, id)?;
        super::rules::refuse_if_published(&story)?;
        let s = section_of_mut(&mut story, &section)?;
        let latest = s.revisions;
        if latest == 0 {
            return user(messages::nothing_to_review(&section));
        }
        check_revision(ctx, &section, latest)?;
        // A reviewer who asks for changes withdraws their approval of this revision.
        s.approvals
            .retain(|a| !(a.revision == latest && a.by.id == me.id));
        for c in s
            .change_requests
            .iter_mut()
            .filter(|c| c.open && c.by.id == me.id)
        {
            c.open = false;
        }
        s.change_requests.push(ChangeRequest {
            by: me.clone(),
            note: note.clone(),
            revision: latest,
            at: ctx.req.at,
            open: true,
        });
        ctx.log(
            tx,
            &mut story,
            AuditEvent::ChangesRequested {
                section: section.clone(),
                revision: latest,
            },
        )?;
        let author = tx.revision(id, &section, latest)?.map(|r| r.author);
        save(tx, &mut story)?;
        Ok((story, latest, author))
    })?;
    let mut reply = Reply::about(id);
    let mut text = messages::changes_requested(&story, &section, revision, me, &note);
    // The author hears it where the section is worked on.
    if let Some(author) = author.filter(|a| a.id != me.id) {
        text = format!("{}: {text}", crate::roles::mention(&author.id));
    }
    reply.push(
        Destination::Thread {
            story: id,
            thread: ThreadKind::Section(section.clone()),
        },
        Body::Text(text),
    );
    reply.push(
        Destination::Board { story: id },
        Body::Board(super::render_board(&story, quorum)),
    );
    Ok(reply)
}
