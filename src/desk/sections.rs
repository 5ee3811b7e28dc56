//! Sections: claim and assign them, write revisions, read them back, compare them.

use super::conflicts::{self, Submission};
use super::rules::{self, held_by_other, prepare_text, refuse_if_published, save_revisions};
use super::{messages, user, Body, Ctx, DeskError, Destination, Reply, ThreadKind};
use super::{save, section_of, section_of_mut, tx_story};
use crate::model::{AuditEvent, KeptConflict, Person, Revision, StoryId};
use crate::template::Generated;
use crate::text::diff::word_diff;

/// `/story claim section:… [take:true]`: take a section on; with `take:true`, over from
/// whoever holds it, who is told in the section's thread.
pub fn claim(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let section = ctx.section()?;
    let me = ctx.req.actor.clone();
    let take = ctx.opt("take").is_some_and(|v| v == "true");
    set_owner(
        ctx,
        &section,
        me,
        if take { Mode::Take } else { Mode::Claim },
    )
}

/// How a section changes hands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `claim`: a free section, or one the claimant already holds.
    Claim,
    /// `claim take:true`: from whoever holds it.
    Take,
    /// `assign`: by its holder or an editor.
    Assign,
}

/// `/story assign section:… user:…`: give a section to someone. Reassigning a section
/// someone else owns takes its owner or an editor.
pub fn assign(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let section = ctx.section()?;
    let name = ctx
        .opt("user")
        .unwrap_or_default()
        .trim()
        .trim_start_matches('@');
    if name.is_empty() {
        // The catalogue refuses an empty user; a bare `@` is not a person either.
        return Err(DeskError::Internal(
            "an empty user passed the catalogue".into(),
        ));
    }
    set_owner(ctx, &section, ctx.desk.person(name), Mode::Assign)
}

fn set_owner(ctx: &Ctx<'_>, section: &str, owner: Person, mode: Mode) -> Result<Reply, DeskError> {
    let id = ctx.story_id()?;
    let actor = &ctx.req.actor;
    let editor = ctx.is_editor();
    let assigning = mode == Mode::Assign;
    let (story, taken_from) = ctx.transact(|tx| {
        let mut story = tx_story(tx, id)?;
        refuse_if_published(&story)?;
        let s = section_of_mut(&mut story, section)?;
        let mut taken_from = None;
        if let Some(current) = &s.owner {
            if current.id == owner.id {
                return user(messages::already_owner(section, &owner, actor));
            }
            let may = current.id == actor.id || (assigning && editor);
            if mode == Mode::Take && current.id != actor.id {
                taken_from = Some(current.clone());
            } else if !may {
                return user(messages::owned_by_other(section, current, assigning));
            }
        }
        s.owner = Some(owner.clone());
        s.claimed = true;
        let action = match &taken_from {
            Some(from) => AuditEvent::TookOver {
                section: section.to_string(),
                from: from.clone(),
            },
            None if owner.id == actor.id => AuditEvent::Claimed {
                section: section.to_string(),
            },
            None => AuditEvent::Assigned {
                section: section.to_string(),
                to: owner.clone(),
            },
        };
        ctx.log(tx, &mut story, action)?;
        save(tx, &mut story)?;
        Ok((story, taken_from))
    })?;
    let mut reply = Reply::about(id);
    match &taken_from {
        Some(from) => {
            reply.push(
                Destination::Channel,
                Body::Text(messages::took_over(&story, section, from, actor)),
            );
            // The holder hears it where the section is worked on.
            reply.push(
                Destination::Thread {
                    story: id,
                    thread: ThreadKind::Section(section.to_string()),
                },
                Body::Text(messages::taken_from_you(&story, section, from, actor)),
            );
        }
        None => {
            reply.push(
                Destination::Channel,
                Body::Text(messages::owner_set(&story, section, &owner, actor)),
            );
            // Given by someone else: they hear it directly.
            if owner.id != actor.id {
                reply.push(
                    Destination::Direct {
                        person: owner.clone(),
                    },
                    Body::Text(messages::assigned_to_you(&story, section, actor)),
                );
            }
        }
    }
    reply.push(
        Destination::Board { story: id },
        Body::Board(super::render_board(&story, ctx.desk.config.review.quorum)),
    );
    Ok(reply)
}

/// `/story write section:…` with the text: a new revision, posted for review in the
/// section's thread with its diff; earlier approvals no longer count. With `draft:N` (the
/// Edit button of an assisted draft fills it in), the revision records that it comes from
/// that draft, which is then closed.
pub fn write(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let section = ctx.section()?;
    let id = ctx.story_id()?;
    let spec = ctx.spec(&ctx.load(id)?, &section)?;
    if spec.generated == Some(Generated::References) {
        return user(messages::references_are_generated());
    }
    let id = ctx.story_id()?;
    let resume = ctx.opt("resume").is_some_and(|v| v == "true");
    let Some(raw) = ctx.body else {
        if resume {
            return resume_kept(ctx, id, &section);
        }
        return user(messages::section_text_missing(&section));
    };
    let text = prepare_text(ctx, &section, raw)?;
    let from_draft = ctx.opt("draft").and_then(|n| n.parse::<u32>().ok());
    // The base: as typed or carried by the form; else the draft's; else what was seen.
    let mut base = ctx.opt("base").and_then(|n| n.parse::<u32>().ok());
    if let (None, Some(n)) = (base, from_draft) {
        base = ctx
            .desk
            .store
            .suggestion(id, &section)?
            .filter(|d| d.number == n)
            .and_then(|d| d.base);
    }
    if let Some(holder) = held_by_other(&ctx.load(id)?, &section, &ctx.req.actor)? {
        let audit = AuditEvent::WriteRefused {
            section: section.clone(),
            holder: holder.clone(),
        };
        keep_refused(ctx, id, &section, &text, base, audit)?;
        return user(messages::section_held(&section, &holder));
    }
    // A write from a draft that is not pending (never was, or was replaced or closed) is
    // refused, and its text, perhaps edited from the draft, kept.
    if let Some(n) = from_draft {
        let found = ctx.desk.store.suggestion(id, &section)?;
        if let Err(DeskError::User(refusal)) = rules::pending(found, &section, Some(n)) {
            let audit = AuditEvent::WriteRefusedDraft {
                section: section.clone(),
                draft: n,
            };
            keep_refused(ctx, id, &section, &text, base, audit)?;
            return user(messages::refused_text_kept(&refusal, &section));
        }
    }
    let item = Submission {
        section,
        text,
        draft: from_draft,
        base,
    };
    save_revisions(ctx, id, vec![item])
}

/// Keeps the text of a refused write for its writer, as a conflicting one is kept, so that
/// `write resume:true` gives it back: nothing typed is lost. (A claimed section is written
/// by whoever holds it; a write from a draft needs that draft pending.) Only a refused
/// write calls this: a request makes one change, and a write that goes ahead makes it in
/// `save_revisions`, whose transaction checks the holder again.
fn keep_refused(
    ctx: &Ctx<'_>,
    id: StoryId,
    section: &str,
    text: &str,
    base: Option<u32>,
    audit: AuditEvent,
) -> Result<(), DeskError> {
    let me = &ctx.req.actor;
    ctx.transact(|tx| {
        let mut story = tx_story(tx, id)?;
        refuse_if_published(&story)?;
        let latest = section_of(&story, section)?.revisions;
        let base = match base {
            Some(b) => b.min(latest),
            None => tx.seen(id, section, &me.id)?.unwrap_or(latest),
        };
        tx.put_conflict(&KeptConflict {
            story: id,
            section: section.to_string(),
            author: me.clone(),
            at: ctx.req.at,
            base,
            latest,
            text: text.to_string(),
        })?;
        ctx.log(tx, &mut story, audit.clone())?;
        save(tx, &mut story)?;
        Ok(())
    })
}

/// `/story write section:… resume:true` without text: the person's kept conflicting text of
/// the section, merged with the latest revision, to resolve and paste back.
fn resume_kept(ctx: &Ctx<'_>, id: StoryId, section: &str) -> Result<Reply, DeskError> {
    let story = ctx.load(id)?;
    let latest = story.section(section).map_or(0, |s| s.revisions);
    let me = &ctx.req.actor;
    let Some((text, base)) = conflicts::resume_text(ctx.desk, id, section, latest, &me.id)? else {
        return user(messages::nothing_to_resume(section));
    };
    ctx.transact(|tx| {
        tx.put_seen(id, section, &me.id, base)?;
        Ok(())
    })?;
    let mut reply = Reply::one(
        Destination::Requester,
        Body::Text(messages::resume_text(section, base, &text)),
    );
    reply.story = Some(id);
    Ok(reply)
}

/// The section a `write` request names and its latest text (see `Desk::section_text`), or
/// with `resume:true` the person's kept conflicting text merged with it. Records that the
/// person was shown the latest revision.
pub(crate) fn current_text(ctx: &Ctx<'_>) -> Result<super::SectionText, DeskError> {
    let section = ctx.section()?;
    let id = ctx.story_id()?;
    let story = ctx.load(id)?;
    if ctx.spec(&story, &section)?.generated == Some(Generated::References) {
        return user(messages::references_are_generated());
    }
    refuse_if_published(&story)?;
    let revision = story.section(&section).map(|s| s.revisions).unwrap_or(0);
    let me = &ctx.req.actor.id;
    let text = if ctx.opt("resume").is_some_and(|v| v == "true") {
        match conflicts::resume_text(ctx.desk, id, &section, revision, me)? {
            Some((text, _)) => Some(text),
            None => return user(messages::nothing_to_resume(&section)),
        }
    } else {
        match revision {
            0 => None,
            n => ctx.desk.store.revision(id, &section, n)?.map(|r| r.text),
        }
    };
    // The form shows this revision: it is what the person's next write is based on.
    conflicts::mark_seen(ctx.desk, id, &section, me, revision);
    Ok(super::SectionText {
        story: id,
        section,
        revision,
        text,
    })
}

/// `/story show [section:…]`: a section's current text (or, without a section, the whole
/// story as it stands), to the person who asked.
pub fn show(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let id = ctx.story_id()?;
    let story = ctx.load(id)?;
    let text = match ctx.section_name(false)? {
        Some(section) => {
            let s = section_of(&story, &section)?;
            conflicts::mark_seen(ctx.desk, id, &section, &ctx.req.actor.id, s.revisions);
            let text = match s.revisions {
                0 => messages::section_empty(&section),
                n => {
                    let rev = ctx
                        .desk
                        .store
                        .revision(id, &section, n)?
                        .ok_or_else(|| DeskError::Internal("revision missing".into()))?;
                    messages::section_text(&story, &rev, ctx.desk.config.review.quorum)
                }
            };
            let kept = ctx.desk.store.conflicts(id, &section)?;
            if kept.is_empty() {
                text
            } else {
                format!("{text}{}", messages::kept_conflicts(&section, &kept))
            }
        }
        None => {
            let article = super::assemble(ctx.desk, &story, story.style, false)?;
            messages::whole_story(&story, &article)
        }
    };
    let mut reply = Reply::one(Destination::Requester, Body::Text(text));
    reply.story = Some(id);
    Ok(reply)
}

/// `/story history [section:…]`: a section's revisions, or the story's audit log.
pub fn history(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let id = ctx.story_id()?;
    let story = ctx.load(id)?;
    let text = match ctx.section_name(false)? {
        Some(section) => {
            let revisions = ctx.desk.store.revisions(id, &section)?;
            messages::section_history(&story, &section, &revisions)
        }
        None => messages::audit_log(&story, &ctx.desk.store.audit(id)?),
    };
    let mut reply = Reply::one(Destination::Requester, Body::Text(text));
    reply.story = Some(id);
    Ok(reply)
}

/// `/story diff section:… [from:N] [to:M]`: a word diff between two revisions (by default
/// the last two).
pub fn diff(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let id = ctx.story_id()?;
    let section = ctx.section()?;
    let story = ctx.load(id)?;
    let latest = story.section(&section).map(|s| s.revisions).unwrap_or(0);
    let number = |name: &str| -> Option<u32> { ctx.opt(name).and_then(|v| v.parse().ok()) };
    let to = number("to").unwrap_or(latest);
    let from = number("from").unwrap_or(to.saturating_sub(1));
    if latest < 2 && number("from").is_none() {
        return user(messages::nothing_to_diff(&section, latest));
    }
    for n in [from, to] {
        if n == 0 || n > latest {
            return user(messages::no_such_revision(&section, n, latest));
        }
    }
    let get = |n: u32| -> Result<Revision, DeskError> {
        ctx.desk
            .store
            .revision(id, &section, n)?
            .ok_or_else(|| DeskError::Internal(format!("revision {n} missing")))
    };
    let (a, b) = (get(from)?, get(to)?);
    let diff = word_diff(&a.text, &b.text);
    let mut reply = Reply::one(
        Destination::Requester,
        Body::Text(messages::diff(&section, &a, &b, &diff)),
    );
    reply.story = Some(id);
    Ok(reply)
}
