//! Concurrent edits: no write silently overwrites another.
//!
//! Every write of a section knows the revision it was written over (its **base**): the form
//! carries it (`base` in its options), a draft remembers the revision it was asked over, and a
//! typed `write` takes `base:N` or, by default, the latest revision the desk showed that person
//! (`show`, the form's prefill, their own write; the latest when they never looked).
//!
//! When the base is the latest revision, the text is saved as it is. Otherwise the submission is
//! merged three ways with what others saved since ([`crate::text::merge`]): a clean merge is
//! saved as the new revision (and says so in the thread); an overlap saves nothing as current
//! and keeps the submitted text, one per person and section, until that person writes the
//! section again. `write resume:true` gives the kept text back, merged with the latest revision
//! and the overlapping passages between markers; a text that still holds markers is refused
//! and kept the same way. Nothing typed is lost.

use super::{messages, Ctx, Desk, DeskError};
use crate::model::{AuditEvent, KeptConflict, Person, Revision, Story, StoryId};
use crate::store::Tx;
use crate::text::merge::{has_conflict_markers, merge, Passage};

/// One section's text to save, with what it was written over.
#[derive(Debug, Clone)]
pub(crate) struct Submission {
    /// The section's canonical name.
    pub section: String,
    /// The prepared (normalised, size-checked) text.
    pub text: String,
    /// The pending assisted draft it comes from, if any.
    pub draft: Option<u32>,
    /// The revision it was written over, when the form, the command or the draft says;
    /// `None`: the latest revision this person saw.
    pub base: Option<u32>,
}

/// What saving one submission comes to, decided before the transaction against
/// [`Planned::latest`]; the transaction checks that the section has not moved on.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    /// The section's latest revision when planned (`None`: no text yet).
    pub latest: Option<Revision>,
    /// What to do.
    pub outcome: Outcome,
}

impl Planned {
    /// The latest revision's number when planned (0: none).
    pub fn latest_number(&self) -> u32 {
        self.latest.as_ref().map_or(0, |r| r.number)
    }
}

/// Save, or keep aside.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Save this text as the next revision.
    Save {
        /// The text: as submitted, or merged with the revisions saved since its base.
        text: String,
        /// When merged: the base, and the revisions merged with.
        merged: Option<MergedWith>,
    },
    /// Save nothing; keep the submission for its writer.
    Keep {
        /// The record to keep.
        kept: KeptConflict,
        /// The passages both sides changed (empty when the text was refused for markers).
        passages: Vec<Passage>,
        /// True when the text itself still holds conflict markers.
        markers: bool,
        /// Why a clean merge was not saved: it would be over the section's size limits.
        over_limit: Option<String>,
    },
}

/// A submission merged with what others saved since it was written.
#[derive(Debug, Clone)]
pub(crate) struct MergedWith {
    /// The revision it was written over.
    pub base: u32,
    /// The revisions saved since, merged in (number and author), oldest first.
    pub revisions: Vec<(u32, Person)>,
}

/// Decides what saving each submission comes to. Refuses a base newer than the latest
/// revision and a text that would change nothing.
pub(crate) fn plan(
    ctx: &Ctx<'_>,
    id: StoryId,
    items: &[Submission],
) -> Result<Vec<Planned>, DeskError> {
    let story = ctx.load(id)?;
    let store = &ctx.desk.store;
    let me = &ctx.req.actor;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let section = &item.section;
        let n = story.section(section).map_or(0, |s| s.revisions);
        let latest = match n {
            0 => None,
            n => store.revision(id, section, n)?,
        };
        let base = match item.base {
            Some(b) if b > n => return super::user(messages::no_such_base(section, b, n)),
            Some(b) => b,
            None => store.seen(id, section, &me.id)?.unwrap_or(n).min(n),
        };
        let keep = |text: &str, base: u32| KeptConflict {
            story: id,
            section: section.clone(),
            author: me.clone(),
            at: ctx.req.at,
            base,
            latest: n,
            text: text.to_string(),
        };
        if has_conflict_markers(&item.text) {
            // Kept over the latest revision, so that resuming gives it back as it is.
            out.push(Planned {
                latest,
                outcome: Outcome::Keep {
                    kept: keep(&item.text, n),
                    passages: Vec::new(),
                    markers: true,
                    over_limit: None,
                },
            });
            continue;
        }
        let outcome = match (&latest, base == n) {
            (Some(latest), false) => {
                let base_text = match base {
                    0 => String::new(),
                    b => revision(ctx.desk, id, section, b)?.text,
                };
                let merged = merge(&base_text, &latest.text, &item.text);
                let too_big = |text: &str| -> Result<Option<String>, DeskError> {
                    let spec = ctx.spec(&story, section)?;
                    let bytes = text.len() as u64;
                    let limit = ctx.desk.config.limits.section_bytes;
                    let chars = text.chars().count();
                    Ok(if bytes > limit {
                        Some(messages::merged_too_large(section, latest, bytes, limit))
                    } else if chars > spec.max_chars as usize {
                        Some(messages::merged_too_long(
                            section,
                            latest,
                            chars,
                            spec.max_chars,
                        ))
                    } else {
                        None
                    })
                };
                // A merge over the section's limits is kept like an overlap: the writer
                // shortens it; nothing longer than a plain write allows is saved.
                let over_limit = match merged.text() {
                    Some(text) => too_big(&text)?,
                    None => None,
                };
                match merged.text() {
                    Some(_) if over_limit.is_some() => Outcome::Keep {
                        kept: keep(&item.text, base),
                        passages: Vec::new(),
                        markers: false,
                        over_limit,
                    },
                    Some(text) => {
                        let revisions = store
                            .revisions(id, section)?
                            .into_iter()
                            .filter(|r| r.number > base && r.number <= n)
                            .map(|r| (r.number, r.author))
                            .collect();
                        Outcome::Save {
                            text,
                            merged: Some(MergedWith { base, revisions }),
                        }
                    }
                    None => Outcome::Keep {
                        kept: keep(&item.text, base),
                        passages: merged.passages().cloned().collect(),
                        markers: false,
                        over_limit: None,
                    },
                }
            }
            _ => Outcome::Save {
                text: item.text.clone(),
                merged: None,
            },
        };
        if let (Outcome::Save { text, .. }, Some(latest)) = (&outcome, &latest) {
            if &latest.text == text {
                return super::user(messages::no_change(section, latest.number));
            }
        }
        out.push(Planned { latest, outcome });
    }
    Ok(out)
}

/// Keeps a conflicting submission inside the transaction, marks the section as having it, and
/// logs it.
pub(crate) fn keep(
    ctx: &Ctx<'_>,
    tx: &mut Tx<'_>,
    story: &mut Story,
    kept: &KeptConflict,
) -> Result<(), DeskError> {
    tx.put_conflict(kept)?;
    let s = story
        .section_mut(&kept.section)
        .ok_or_else(|| DeskError::Internal(format!("section {} missing", kept.section)))?;
    if !s.conflicts.iter().any(|p| p.id == kept.author.id) {
        s.conflicts.push(kept.author.clone());
    }
    ctx.log(
        tx,
        story,
        AuditEvent::ConflictKept {
            section: kept.section.clone(),
            base: kept.base,
            latest: kept.latest,
        },
    )
}

/// After the person saved `revision` of `section`: their kept conflicting text, if any, is
/// resolved, and they have seen the revision they wrote.
pub(crate) fn saved(
    ctx: &Ctx<'_>,
    tx: &mut Tx<'_>,
    story: &mut Story,
    section: &str,
    revision: u32,
) -> Result<(), DeskError> {
    let me = &ctx.req.actor;
    tx.delete_conflict(story.id, section, &me.id)?;
    if let Some(s) = story.section_mut(section) {
        s.conflicts.retain(|p| p.id != me.id);
    }
    tx.put_seen(story.id, section, &me.id, revision)?;
    Ok(())
}

/// The text to give back to the person who kept a conflicting submission of `section`: their
/// text merged with the latest revision, each overlap between markers, and the latest
/// revision's number (the base of whatever they save from it). `None` when they keep nothing.
pub(crate) fn resume_text(
    desk: &Desk,
    id: StoryId,
    section: &str,
    latest: u32,
    person: &str,
) -> Result<Option<(String, u32)>, DeskError> {
    let Some(kept) = desk.store.conflict(id, section, person)? else {
        return Ok(None);
    };
    if latest == 0 || kept.base >= latest {
        return Ok(Some((kept.text, latest)));
    }
    let base_text = match kept.base {
        0 => String::new(),
        b => revision(desk, id, section, b)?.text,
    };
    let newest = revision(desk, id, section, latest)?;
    let merged = merge(&base_text, &newest.text, &kept.text);
    let text = match merged.text() {
        Some(text) => text,
        None => merged.with_markers(&messages::conflict_label(&newest)),
    };
    Ok(Some((text, latest)))
}

/// Records that `person` was shown revision `revision` of `section`: the default base of
/// their next write. Showing must not fail because of it, so a failure is only logged.
pub(crate) fn mark_seen(desk: &Desk, id: StoryId, section: &str, person: &str, revision: u32) {
    let result = desk.store.transact(|tx| -> Result<(), DeskError> {
        if tx.seen(id, section, person)? != Some(revision) {
            tx.put_seen(id, section, person, revision)?;
        }
        Ok(())
    });
    if let Err(e) = result {
        tracing::warn!(error = %DeskError::from(e), "could not record the revision shown");
    }
}

fn revision(desk: &Desk, id: StoryId, section: &str, n: u32) -> Result<Revision, DeskError> {
    desk.store
        .revision(id, section, n)?
        .ok_or_else(|| DeskError::Internal(format!("revision {n} of {section} missing")))
}
