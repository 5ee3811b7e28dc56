//! Sections: claim and assign them, write revisions, read them back, compare them.

use super::conflicts::{self, Outcome, Submission};
use super::{messages, review, user, Action, Body, Ctx, DeskError, Destination, Reply, ThreadKind};
use super::{save, section_of, section_of_mut, tx_story};
use crate::config::Generated;
use crate::model::{
    AuditEvent, KeptConflict, Person, Revision, Story, StoryId, Suggestion, SuggestionState,
};
use crate::text::diff::word_diff;
use crate::text::normalise::normalise;

/// The section whose text is the story's headline.
pub(crate) const TITLE: &str = "title";

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
        None => reply.push(
            Destination::Channel,
            Body::Text(messages::owner_set(&story, section, &owner, actor)),
        ),
    }
    reply.push(
        Destination::Board { story: id },
        Body::Board(super::render_board(&story, ctx.desk.config.review.quorum)),
    );
    Ok(reply)
}

pub(crate) fn refuse_if_published(story: &Story) -> Result<(), DeskError> {
    match &story.published {
        Some(p) => user(messages::already_published_no_edits(story, p)),
        None => Ok(()),
    }
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
        if let Err(DeskError::User(refusal)) = super::drafts::pending(found, &section, Some(n)) {
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
    // section moved on meanwhile, and planning starts again.
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
                            Some(n) => Some(super::drafts::take_pending(tx, id, section, n)?),
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
            Err(_) if stale.get() && attempts < 16 => attempts += 1,
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
            reply.push(thread.clone(), super::drafts::closed_post(draft));
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
            review::revision_post(&story, &revision, plan.latest.as_ref(), dismissed, quorum),
        );
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
