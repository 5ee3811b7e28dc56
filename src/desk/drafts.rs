//! Drafting help: `/story draft`, `draft accept`, `draft discard`, and the desk's side of a
//! draft being written.
//!
//! The rules: a draft is a proposal, stored beside the section (one per section, numbered),
//! never among its revisions. Only a person turns it into a revision, by accepting it (or
//! editing it and saving), and the revision is theirs, marked assisted in the history and the
//! audit log. A draft is checked with the pre-publish checks before anyone sees it. Sources
//! go to a model only as `[assist]` allows: a model that is not on this machine is refused
//! unless `allow_remote` is set, before anything is sent.
//!
//! The desk does not write drafts itself (a model is slow and far away, and the desk is
//! synchronous). `/story draft` records that a draft was asked for and returns a
//! [`DraftJob`] in [`Reply::drafts`]; the adapter runs it ([`crate::drafting`]), showing
//! progress with [`Desk::draft_progress`], and hands the outcome back to
//! [`Desk::finish_draft`], which stores it and says what came of it.

use super::tx_story;
use std::sync::Arc;

use super::{
    messages, rules, user, Action, Body, Ctx, Desk, DeskError, Destination, DraftRef, Post, Reply,
    ThreadKind,
};
use crate::assist::{
    self, Brief, Draft, Failure, Origin, SectionOutline, SourceBudget, SourceText,
};
use crate::checks::{self, CheckedSection, Checker, Document, Finding};
use crate::model::{AuditEvent, Person, Place, Story, StoryId, Suggestion, SuggestionState};
use crate::template::{Generated, Template};
use crate::text::normalise::{normalise, strip_controls};

/// A draft to write: what the adapter runs after sending the reply's posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftJob {
    /// The draft, as recorded by `/story draft`.
    pub draft: DraftRef,
    /// What to draft it from. Holds the sources: never log it (its `Debug` shows sizes).
    pub brief: Arc<Brief>,
    /// Who asked for it.
    pub requested_by: Person,
    /// Where they asked, for the adapter's bookkeeping.
    pub place: Place,
    /// The drafter the configuration chose when it was asked for.
    pub origin: Origin,
}

/// The `all` value of the `section` option.
const ALL: &str = "all";

/// The sections a draft command is about: one (named, or the thread's), or every written
/// section for `all`.
fn sections_named(ctx: &Ctx<'_>) -> Result<Vec<String>, DeskError> {
    if ctx
        .opt("section")
        .is_some_and(|s| s.trim().eq_ignore_ascii_case(ALL))
    {
        return Ok(draftable(
            &ctx.desk.story_template(&ctx.load(ctx.story_id()?)?),
        ));
    }
    let section = ctx.section()?;
    Ok(vec![section])
}

/// The sections of a story's template that people write (not generated ones), in order.
fn draftable(template: &Template) -> Vec<String> {
    template
        .sections
        .iter()
        .filter(|s| s.generated.is_none())
        .map(|s| s.name.clone())
        .collect()
}

/// `/story draft section:NAME|all [guidance:"…"]`: ask for drafts.
pub fn draft(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let desk = ctx.desk;
    let sections = sections_named(ctx)?;
    for section in &sections {
        if ctx.spec(&ctx.load(ctx.story_id()?)?, section)?.generated == Some(Generated::References)
        {
            return user(messages::references_are_generated());
        }
    }
    let choice = match assist::policy::choose(&desk.config.assist) {
        Ok(choice) => choice,
        Err(Failure::Remote { host }) => return user(messages::draft_refused_remote(&host)),
        Err(other) => return user(messages::drafting_unavailable(&other)),
    };
    let origin = choice.origin();
    let source_limit = choice.source_limit(&desk.config.assist);
    let drafter = messages::drafter_name(&origin);
    let guidance = ctx
        .opt("guidance")
        .map(|g| normalise(g).trim().to_string())
        .filter(|g| !g.is_empty());
    let id = ctx.story_id()?;
    let story = ctx.load(id)?;
    rules::refuse_if_published(&story)?;
    if story.sources.is_empty() {
        return user(messages::no_sources_to_draft());
    }
    let (sources, omitted_sources) = load_sources(desk, &story, source_limit)?;
    let texts = section_texts(desk, &story)?;

    let (story, numbered) = ctx.transact(|tx| {
        let mut story = tx_story(tx, id)?;
        rules::refuse_if_published(&story)?;
        let mut numbered = Vec::new();
        for section in &sections {
            let previous = tx.suggestion(id, section)?;
            let number = previous.as_ref().map_or(1, |p| p.number + 1);
            tx.put_suggestion(&Suggestion {
                story: id,
                section: section.clone(),
                number,
                requested_by: ctx.req.actor.clone(),
                requested_at: ctx.req.at,
                guidance: guidance.clone(),
                drafter: drafter.clone(),
                state: SuggestionState::Drafting,
                text: String::new(),
                alternatives: Vec::new(),
                notes: Vec::new(),
                base: Some(story.section(section).map_or(0, |s| s.revisions)),
            })?;
            ctx.log(
                tx,
                &mut story,
                AuditEvent::DraftRequested {
                    section: section.to_string(),
                    draft: number,
                    drafter: drafter.clone(),
                },
            )?;
            numbered.push((section.clone(), number, previous));
        }
        tx.put_story(&story)?;
        Ok((story, numbered))
    })?;

    let outline = outline(&desk.story_template(&story));
    let mut reply = Reply::about(id);
    reply.push(
        Destination::Requester,
        Body::Text(messages::drafts_started(&sections, &drafter)),
    );
    for (section, number, previous) in numbered {
        let draft = DraftRef {
            story: id,
            section: section.clone(),
            number,
        };
        let thread = Destination::Thread {
            story: id,
            thread: ThreadKind::Section(section.clone()),
        };
        // The draft this one replaces loses its buttons.
        if let Some(old) =
            previous.filter(|p| p.state.is_pending() || p.state == SuggestionState::Drafting)
        {
            reply.push(
                thread.clone(),
                Body::Suggestion {
                    draft: DraftRef {
                        number: old.number,
                        ..draft.clone()
                    },
                    text: messages::draft_replaced(&old, number),
                    actions: Vec::new(),
                    writing: false,
                },
            );
        }
        reply.push(
            thread,
            Body::Suggestion {
                draft: draft.clone(),
                text: messages::draft_writing(&section, number, &ctx.req.actor, &drafter, None),
                actions: Vec::new(),
                writing: true,
            },
        );
        let others = texts
            .iter()
            .filter(|(name, _)| name != &section)
            .cloned()
            .collect();
        let redrafting = sections
            .iter()
            .filter(|s| **s != section)
            .cloned()
            .collect();
        reply.drafts.push(DraftJob {
            draft,
            brief: Arc::new(Brief {
                title: Some(story.headline().to_string()),
                section,
                outline: outline.clone(),
                guidance: guidance.clone(),
                others,
                redrafting,
                sources: sources.clone(),
                omitted_sources,
            }),
            requested_by: ctx.req.actor.clone(),
            place: ctx.req.place.clone(),
            origin: origin.clone(),
        });
    }
    Ok(reply)
}

/// The sections' current texts, in template order (the references as formatted).
fn section_texts(desk: &Desk, story: &Story) -> Result<Vec<(String, String)>, DeskError> {
    let mut texts = Vec::new();
    for spec in &desk.story_template(story).sections {
        if spec.generated == Some(Generated::References) {
            if !story.references.is_empty() {
                let list = crate::text::cite::format_list(&story.references, story.style);
                texts.push((spec.name.clone(), list.join("\n")));
            }
            continue;
        }
        let n = story.section(&spec.name).map_or(0, |s| s.revisions);
        if n > 0 {
            if let Some(rev) = desk.store.revision(story.id, &spec.name, n)? {
                texts.push((spec.name.clone(), rev.text));
            }
        }
    }
    Ok(texts)
}

/// The story's sources, up to `limit` bytes in all (see [`SourceBudget`]).
fn load_sources(
    desk: &Desk,
    story: &Story,
    limit: u64,
) -> Result<(Vec<SourceText>, u32), DeskError> {
    let mut budget = SourceBudget::new(limit);
    for summary in &story.sources {
        if !budget.has_room() {
            budget.leave_out();
            continue;
        }
        if let Some(source) = desk.store.source(story.id, summary.number)? {
            budget.take(source.number, &source.label, &source.text);
        }
    }
    Ok(budget.finish())
}

/// `/story draft accept section:NAME|all [draft:N]`: the draft becomes a revision by the
/// person accepting it.
pub fn accept(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let all = ctx
        .opt("section")
        .is_some_and(|s| s.trim().eq_ignore_ascii_case(ALL));
    let sections = sections_named(ctx)?;
    let number = ctx.opt("draft").and_then(|n| n.parse::<u32>().ok());
    let id = ctx.story_id()?;
    let story = ctx.load(id)?;
    let mut items = Vec::new();
    for section in &sections {
        let found = ctx.desk.store.suggestion(id, section)?;
        if all && !found.as_ref().is_some_and(|s| s.state.is_pending()) {
            continue;
        }
        // A claimed section is written by whoever holds it, from a draft too; the draft
        // stays pending for them.
        if let Some(holder) = rules::held_by_other(&story, section, &ctx.req.actor)? {
            return user(messages::section_held(section, &holder));
        }
        let draft = rules::pending(found, section, number)?;
        let text = rules::prepare_text(ctx, section, &draft.text).map_err(|e| match e {
            DeskError::User(_) => DeskError::User(messages::draft_does_not_fit(
                &draft,
                ctx.load(id)
                    .and_then(|story| ctx.spec(&story, section))
                    .map_or(0, |s| s.max_chars),
            )),
            other => other,
        })?;
        items.push(super::conflicts::Submission {
            section: section.clone(),
            text,
            draft: Some(draft.number),
            base: draft.base,
        });
    }
    if items.is_empty() {
        return user(messages::no_draft_anywhere());
    }
    rules::save_revisions(ctx, id, items)
}

/// `/story draft discard section:NAME|all [draft:N]`: throw a draft away.
pub fn discard(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let all = ctx
        .opt("section")
        .is_some_and(|s| s.trim().eq_ignore_ascii_case(ALL));
    let sections = sections_named(ctx)?;
    let number = ctx.opt("draft").and_then(|n| n.parse::<u32>().ok());
    let id = ctx.story_id()?;
    let me = &ctx.req.actor;
    let discarded = ctx.transact(|tx| {
        let mut story = tx_story(tx, id)?;
        let mut discarded = Vec::new();
        for section in &sections {
            let found = tx.suggestion(id, section)?;
            if all && !found.as_ref().is_some_and(|s| s.state.is_pending()) {
                continue;
            }
            let mut draft = rules::pending(found, section, number)?;
            draft.state = SuggestionState::Discarded { by: me.clone() };
            tx.put_suggestion(&draft)?;
            ctx.log(
                tx,
                &mut story,
                AuditEvent::DraftDiscarded {
                    section: section.to_string(),
                    draft: draft.number,
                },
            )?;
            discarded.push(draft);
        }
        if discarded.is_empty() {
            return user(messages::no_draft_anywhere());
        }
        tx.put_story(&story)?;
        Ok(discarded)
    })?;
    let mut reply = Reply::about(id);
    for draft in &discarded {
        reply.push(
            Destination::Thread {
                story: id,
                thread: ThreadKind::Section(draft.section.clone()),
            },
            rules::closed_post(draft),
        );
    }
    Ok(reply)
}

/// The buttons of a pending draft.
fn actions(draft: &DraftRef) -> Vec<Action> {
    vec![
        Action::AcceptDraft {
            draft: draft.clone(),
        },
        Action::EditDraft {
            draft: draft.clone(),
        },
        Action::DiscardDraft {
            draft: draft.clone(),
        },
    ]
}

/// The pre-publish checks on a proposed text, as if it were the section's text, against
/// the sources it was drafted from (so source protection and traceability run too): what a
/// draft is shown with.
pub fn proposal_findings(
    checker: &Checker,
    template: &Template,
    section: &str,
    text: &str,
    sources: &[SourceText],
) -> Vec<Finding> {
    let Some(spec) = template.section(section) else {
        return Vec::new();
    };
    let sources: Vec<checks::SourceText<'_>> = sources
        .iter()
        .map(|s| checks::SourceText {
            number: s.number,
            label: &s.label,
            text: &s.text,
        })
        .collect();
    let references_section = template
        .sections
        .iter()
        .find(|s| s.generated == Some(Generated::References))
        .map(|s| s.name.as_str())
        .unwrap_or("references");
    let doc = Document {
        sections: vec![CheckedSection {
            name: &spec.name,
            text: Some(text),
            required: spec.required,
            min_chars: spec.min_chars,
            max_chars: spec.max_chars,
            file_lines: &[],
        }],
        references: Vec::new(),
        references_section,
        headings: Vec::new(),
        sources: &sources,
    };
    checker.run(&doc)
}

/// The template's written sections as drafters see them: every section people write
/// (generated ones, such as the references, left out).
pub fn outline(template: &Template) -> Vec<SectionOutline> {
    template
        .sections
        .iter()
        .filter(|s| s.generated.is_none())
        .map(|s| SectionOutline {
            name: s.name.clone(),
            guidance: s.guidance.clone(),
            min_chars: s.min_chars,
            max_chars: s.max_chars,
        })
        .collect()
}

impl Desk {
    /// The text of a section's pending draft `number`, to prefill the write box when someone
    /// clicks Edit. `None` when that draft is not pending (accepted, discarded, replaced).
    pub fn draft_text(
        &self,
        story: StoryId,
        section: &str,
        number: u32,
    ) -> Result<Option<String>, crate::store::StoreError> {
        Ok(self
            .store
            .suggestion(story, section)?
            .filter(|s| s.number == number && s.state.is_pending())
            .map(|s| s.text))
    }

    /// The post showing a draft while it is written, with the text so far: adapters edit
    /// the draft's message with it. Stores nothing.
    pub fn draft_progress(&self, job: &DraftJob, written: &str) -> Post {
        Post {
            to: Destination::Thread {
                story: job.draft.story,
                thread: ThreadKind::Section(job.draft.section.clone()),
            },
            body: Body::Suggestion {
                draft: job.draft.clone(),
                text: messages::draft_writing(
                    &job.draft.section,
                    job.draft.number,
                    &job.requested_by,
                    &messages::drafter_name(&job.origin),
                    Some(&strip_controls(written)),
                ),
                actions: Vec::new(),
                writing: true,
            },
        }
    }

    /// Stores how a draft came out and returns the post that shows it: the draft with its
    /// checks and Accept / Edit / Discard, or what went wrong. Nothing becomes a revision
    /// here. A draft that was replaced meanwhile is not stored.
    pub fn finish_draft(&self, job: &DraftJob, outcome: Result<Draft, Failure>) -> Reply {
        let span = tracing::info_span!(
            "draft",
            story = job.draft.story.0,
            section = %job.draft.section,
            number = job.draft.number,
        );
        let _enter = span.enter();
        let state_and_text = match &outcome {
            Ok(draft) => {
                let text = normalise(&draft.text).trim().to_string();
                if text.is_empty() {
                    (
                        SuggestionState::Failed {
                            reason: messages::draft_failure(&Failure::Empty),
                        },
                        String::new(),
                    )
                } else {
                    let state = match &draft.incomplete {
                        Some(why) => SuggestionState::Partial {
                            reason: messages::draft_failure(why),
                        },
                        None => SuggestionState::Ready,
                    };
                    (state, text)
                }
            }
            Err(failure) => (
                SuggestionState::Failed {
                    reason: messages::draft_failure(failure),
                },
                String::new(),
            ),
        };
        let notes = match &outcome {
            Ok(draft) => messages::draft_notes(draft, &job.origin, &job.brief),
            Err(_) => Vec::new(),
        };
        let alternatives = outcome
            .as_ref()
            .map(|d| d.alternatives.clone())
            .unwrap_or_default();
        let stored = self
            .store
            .transact(|tx| -> Result<Option<Suggestion>, DeskError> {
                let Some(mut s) = tx.suggestion(job.draft.story, &job.draft.section)? else {
                    return Ok(None);
                };
                if s.number != job.draft.number || s.state != SuggestionState::Drafting {
                    return Ok(None);
                }
                s.state = state_and_text.0.clone();
                s.text = state_and_text.1.clone();
                s.alternatives = alternatives.clone();
                s.notes = notes.clone();
                tx.put_suggestion(&s)?;
                Ok(Some(s))
            });
        let to = Destination::Thread {
            story: job.draft.story,
            thread: ThreadKind::Section(job.draft.section.clone()),
        };
        let body = match stored {
            Ok(Some(s)) => {
                match &outcome {
                    Ok(d) => tracing::info!(
                        outcome = if d.incomplete.is_some() {
                            "partial"
                        } else {
                            "ready"
                        },
                        bytes = s.text.len(),
                        "draft stored"
                    ),
                    Err(f) => tracing::info!(outcome = "failed", failure = %f, "draft stored"),
                }
                let findings = if s.text.is_empty() {
                    Vec::new()
                } else {
                    let template = match self.store.story(job.draft.story) {
                        Ok(Some(story)) => self.story_template(&story),
                        _ => (*self.template).clone(),
                    };
                    proposal_findings(
                        &self.checker,
                        &template,
                        &s.section,
                        &s.text,
                        &job.brief.sources,
                    )
                };
                Body::Suggestion {
                    draft: job.draft.clone(),
                    text: messages::draft_shown(&s, &findings),
                    actions: if s.state.is_pending() {
                        actions(&job.draft)
                    } else {
                        Vec::new()
                    },
                    writing: false,
                }
            }
            Ok(None) => {
                tracing::info!("draft replaced before it was finished; not stored");
                Body::Suggestion {
                    draft: job.draft.clone(),
                    text: messages::draft_superseded(&job.draft.section, job.draft.number),
                    actions: Vec::new(),
                    writing: false,
                }
            }
            Err(e) => {
                let e: DeskError = e.into();
                let reference = format!("{:08x}", super::rand_reference());
                tracing::error!(%reference, error = %e, "could not store a draft");
                Body::Suggestion {
                    draft: job.draft.clone(),
                    text: messages::internal_error(&reference),
                    actions: Vec::new(),
                    writing: false,
                }
            }
        };
        Reply {
            posts: vec![Post { to, body }],
            story: Some(job.draft.story),
            ..Default::default()
        }
    }
}
