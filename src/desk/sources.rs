//! Source material: pasted leaks and tips, normalised and kept with who added them and when.
//!
//! A source's text is never echoed into a channel, a board or a log: only its label, size
//! and word count. Reading it back (`source show`) is answered to the reader alone, from the
//! story's own channel, and written to the audit log.

use super::{messages, user, Body, Ctx, DeskError, Destination, Reply, ThreadKind};
use super::{save, tx_story};
use crate::checks;
use crate::model::{AuditEvent, Source, SourceSummary};
use crate::text::normalise::{normalise, normalise_and_count, word_count};

/// `/story source add [label:…]` with the text from a modal, a heredoc, a file or a message
/// in the source thread.
pub fn add(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let limits = &ctx.desk.config.limits;
    let Some(raw) = ctx.body else {
        return user(messages::source_text_missing());
    };
    let limit = limits.source_bytes;
    // Normalisation only removes characters, or composes them into fewer bytes; a paste
    // over the limit before it is refused without spending time on it.
    if raw.len() as u64 > limit.saturating_mul(2) {
        return user(messages::source_too_large(raw.len() as u64, limit));
    }
    let (text, removed) = normalise_and_count(raw);
    if text.len() as u64 > limit {
        return user(messages::source_too_large(text.len() as u64, limit));
    }
    if text.trim().is_empty() {
        return user(messages::source_text_missing());
    }
    let words = word_count(&text) as u64;
    // What the checks need of the source, read once now rather than at every revision.
    let digest = checks::digest(&text);
    let bytes = text.len() as u64;
    let id = ctx.story_id()?;
    let label = ctx
        .opt("label")
        .map(|l| normalise(l).trim().to_string())
        .filter(|l| !l.is_empty());
    let max_sources = limits.sources_per_story as usize;
    let (story, number) = ctx.transact(|tx| {
        let mut story = tx_story(tx, id)?;
        if story.sources.len() >= max_sources {
            return user(messages::too_many_sources(max_sources));
        }
        let number = story.sources.iter().map(|s| s.number).max().unwrap_or(0) + 1;
        let label = label.clone().unwrap_or_else(|| format!("source {number}"));
        tx.put_source(&Source {
            story: id,
            number,
            label: label.clone(),
            added_by: ctx.req.actor.clone(),
            at: ctx.req.at,
            text: text.clone(),
        })?;
        tx.put_source_digest(id, number, &digest)?;
        story.sources.push(SourceSummary {
            number,
            label: label.clone(),
            added_by: ctx.req.actor.clone(),
            at: ctx.req.at,
            bytes,
            words,
        });
        ctx.log(
            tx,
            &mut story,
            AuditEvent::SourceAdded {
                source: number,
                label: label.clone(),
                bytes,
            },
        )?;
        save(tx, &mut story)?;
        Ok((story, number))
    })?;
    let summary = story
        .sources
        .iter()
        .find(|s| s.number == number)
        .ok_or_else(|| DeskError::Internal(format!("source {number} missing after adding it")))?;
    // The story's source index takes the source now; if this fails (or the process stops
    // first), the next run of the checks catches up from the digest.
    let indexed =
        super::publish::indexed_source(ctx.desk, super::publish::stamp(summary), Some(&digest));
    let tag = ctx.desk.checker().index_spec().tag();
    if let Err(e) = ctx.desk.store.source_index_add(id, tag, vec![indexed]) {
        tracing::warn!(error = %e, story = id.0, source = number, "could not index a source");
    }
    let mut reply = Reply::about(id);
    reply.push(
        Destination::Thread {
            story: id,
            thread: ThreadKind::Sources,
        },
        Body::Text(messages::source_added(summary, removed)),
    );
    reply.push(
        Destination::Board { story: id },
        Body::Board(super::render_board(&story, ctx.desk.config.review.quorum)),
    );
    Ok(reply)
}

/// `/story source list`: labels, sizes, who and when; never the text.
pub fn list(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let story = ctx.load(ctx.story_id()?)?;
    let mut reply = Reply::one(
        Destination::Requester,
        Body::Text(messages::source_list(&story)),
    );
    reply.story = Some(story.id);
    Ok(reply)
}

/// `/story source show number:N`: the text, to the reader alone; the viewing is audited.
pub fn show(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let id = ctx.story_id()?;
    let number: u32 = ctx
        .opt("number")
        .and_then(|n| n.trim_start_matches('#').parse().ok())
        .unwrap_or(0);
    let Some(source) = ctx.desk.store.source(id, number)? else {
        let story = ctx.load(id)?;
        return user(messages::no_such_source(number, &story));
    };
    ctx.transact(|tx| {
        let mut story = tx_story(tx, id)?;
        ctx.log(tx, &mut story, AuditEvent::SourceViewed { source: number })?;
        tx.put_story(&story)?;
        Ok(())
    })?;
    let mut reply = Reply::one(
        Destination::Requester,
        Body::Text(messages::source_text(&source)),
    );
    reply.story = Some(id);
    Ok(reply)
}

/// `/story purge-sources` (editors, after publishing): delete every source's text for good.
/// The audit log keeps that it happened, with the count and size, never the text.
pub fn purge(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let id = ctx.story_id()?;
    let (story, purged) = ctx.transact(|tx| {
        let mut story = tx_story(tx, id)?;
        if story.published.is_none() {
            return user(messages::purge_before_publish(&story));
        }
        if story.sources.is_empty() {
            return user(messages::nothing_to_purge(&story));
        }
        let purged = std::mem::take(&mut story.sources);
        for s in &purged {
            tx.delete_source(id, s.number)?;
            tx.delete_source_digest(id, s.number)?;
        }
        // Drafts are made of the sources' sentences: they go with them.
        for section in &story.sections {
            tx.delete_suggestion(id, &section.name)?;
        }
        let bytes = purged.iter().map(|s| s.bytes).sum();
        ctx.log(
            tx,
            &mut story,
            AuditEvent::SourcesPurged {
                count: purged.len() as u64,
                bytes,
            },
        )?;
        save(tx, &mut story)?;
        Ok((story, purged))
    })?;
    // The index holds terms of the purged sources: it goes with them (if this fails, the
    // next run of the checks finds it stale and rebuilds it).
    if let Err(e) = ctx.desk.store.source_index_clear(id) {
        tracing::warn!(error = %e, story = id.0, "could not remove a source index");
    }
    let mut reply = Reply::about(id);
    reply.push(
        Destination::Channel,
        Body::Text(messages::sources_purged(&story, &ctx.req.actor, &purged)),
    );
    reply.push(
        Destination::Board { story: id },
        Body::Board(super::render_board(&story, ctx.desk.config.review.quorum)),
    );
    Ok(reply)
}
