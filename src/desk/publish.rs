//! Checks, preview and the publish gate.
//!
//! `/story publish` refuses, and says exactly why, while: the person is not an editor; a
//! section that is required or has text is not approved; a check at level error fails
//! (unless an editor overrides with a reason, which the audit log keeps). Publishing is
//! recorded in the same transaction that checks the story is not yet published, so a
//! double click never posts twice.

use super::{board, messages, user, Body, Ctx, Desk, DeskError, Destination, Reply};
use super::{save, tx_story};
use crate::checks::{CheckedSection, Document, Finding, Level, ReferenceEntry, SourceText};
use crate::config::Generated;
use crate::model::{CitationStyle, Publication, Story};

/// Run the checks on a story as it stands: its sections' latest revisions, its references
/// and its sources (read here, outside any transaction).
pub fn story_findings(desk: &Desk, story: &Story) -> Result<Vec<Finding>, DeskError> {
    let mut texts = Vec::new();
    for spec in &desk.template().sections {
        let n = story.section(&spec.name).map(|s| s.revisions).unwrap_or(0);
        let text = match n {
            0 => None,
            n => desk
                .store()
                .revision(story.id, &spec.name, n)?
                .map(|r| r.text),
        };
        texts.push(text);
    }
    let mut sources = Vec::with_capacity(story.sources.len());
    for s in &story.sources {
        if let Some(source) = desk.store().source(story.id, s.number)? {
            sources.push(source);
        }
    }
    let source_texts: Vec<SourceText> = sources
        .iter()
        .map(|s| SourceText {
            number: s.number,
            label: &s.label,
            text: &s.text,
        })
        .collect();
    let references_section = desk
        .template()
        .sections
        .iter()
        .find(|s| s.generated == Some(Generated::References))
        .map(|s| s.name.as_str())
        .unwrap_or("references");
    let doc = Document {
        sections: desk
            .template()
            .sections
            .iter()
            .zip(&texts)
            .map(|(spec, text)| CheckedSection {
                name: &spec.name,
                text: text.as_deref(),
                required: spec.required,
                min_chars: spec.min_chars,
                max_chars: spec.max_chars,
                file_lines: &[],
            })
            .collect(),
        references: ReferenceEntry::from_references(&story.references, story.style),
        references_section,
        headings: Vec::new(),
        sources: &source_texts,
    };
    Ok(desk.checker().run(&doc))
}

/// The findings of one section, for its review thread after a new revision. A failure to
/// read the story's texts is logged and leaves the thread without them: the revision itself
/// is already saved.
pub(crate) fn section_findings_post(
    desk: &Desk,
    story: &Story,
    section: &str,
    revision: u32,
) -> Option<Body> {
    match story_findings(desk, story) {
        Ok(all) => {
            let mine: Vec<Finding> = all.into_iter().filter(|f| f.section == section).collect();
            (!mine.is_empty())
                .then(|| Body::Text(messages::section_findings(section, revision, &mine)))
        }
        Err(e) => {
            tracing::warn!(error = %e, section, "could not run the checks for a review post");
            None
        }
    }
}

/// `/story check`: the findings, grouped by section.
pub fn check(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let story = ctx.load(ctx.story_id()?)?;
    let findings = story_findings(ctx.desk, &story)?;
    let mut reply = Reply::one(
        Destination::Requester,
        Body::Text(messages::check_report(&story, &findings)),
    );
    reply.story = Some(story.id);
    Ok(reply)
}

/// `/story preview`: the article as it would be published now.
pub fn preview(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let story = ctx.load(ctx.story_id()?)?;
    let article = super::assemble(ctx.desk, &story, story.style, true)?;
    let mut reply = Reply::one(
        Destination::Requester,
        Body::Text(messages::preview(&story, &article)),
    );
    reply.story = Some(story.id);
    Ok(reply)
}

/// A publishing channel's name as given in the option or in `[publish] channel`: without
/// the `#` people write before it (`#published` and `published` are one channel).
fn channel_name(given: &str) -> Option<String> {
    let name = given.trim().trim_start_matches('#').trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// `/story publish [channel:…] [style:…] [override:"reason"]` (editors only: the catalogue
/// says so and [`super::Desk::handle`] enforces it before any handler runs).
pub fn publish(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let desk = ctx.desk;
    let quorum = desk.config.review.quorum;
    let id = ctx.story_id()?;
    let story = ctx.load(id)?;
    if let Some(p) = &story.published {
        return user(messages::already_published(&story, p));
    }
    let unfinished = board::unfinished(&story, quorum, |name| {
        desk.template().section(name).is_some_and(|s| s.required)
    });
    if !unfinished.is_empty() {
        return user(messages::publish_refused_sections(&story, &unfinished));
    }
    let findings = story_findings(desk, &story)?;
    let errors: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.level == Level::Error)
        .collect();
    let override_reason = ctx
        .opt("override")
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if !errors.is_empty() && override_reason.is_none() {
        return user(messages::publish_refused_checks(&errors));
    }
    let style = match ctx.opt("style") {
        Some(s) => {
            CitationStyle::parse(s).ok_or_else(|| DeskError::User(messages::bad_style(s)))?
        }
        None => story.style,
    };
    let channel = ctx
        .opt("channel")
        .and_then(channel_name)
        .or_else(|| channel_name(&desk.config.publish.channel))
        .unwrap_or_else(|| desk.config.publish.channel.clone());
    let article = super::assemble(desk, &story, style, false)?;
    let version = story.version;
    let story = ctx.transact(|tx| {
        let mut story = tx_story(tx, id)?;
        if let Some(p) = &story.published {
            return user(messages::already_published(&story, p));
        }
        if story.version != version {
            // Someone changed the story between the checks and now: check again.
            return user(messages::changed_while_publishing());
        }
        story.published = Some(Publication {
            by: ctx.req.actor.clone(),
            at: ctx.req.at,
            channel: channel.clone(),
            style,
            override_reason: override_reason.clone(),
        });
        story.style = style;
        ctx.log(
            tx,
            &mut story,
            messages::audit_published(&channel, override_reason.as_deref(), &errors),
        )?;
        save(tx, &mut story)?;
        Ok(story)
    })?;
    crate::telemetry::published(ctx.channel().platform.as_str());
    let mut reply = Reply::about(id);
    reply.push(
        Destination::Publish {
            channel: channel.clone(),
        },
        Body::Article(article),
    );
    reply.push(
        Destination::Channel,
        Body::Text(messages::published(&story, &channel, &ctx.req.actor)),
    );
    reply.push(
        Destination::Board { story: id },
        Body::Board(super::render_board(&story, quorum)),
    );
    Ok(reply)
}
