//! References: structured, rendered in the story's citation style. Adding or removing one
//! is a new revision of the references section, reviewed like any other.

use super::{messages, review, user, Body, Ctx, DeskError, Destination, Reply, ThreadKind};
use super::{save, tx_story};
use crate::config::Generated;
use crate::model::{CitationStyle, Reference, ReferenceKind};
use crate::text::cite;
use crate::text::normalise::normalise;

/// The references section's text: the formatted list in `style`.
pub(crate) fn render_section(refs: &[Reference], style: CitationStyle) -> String {
    cite::format_list(refs, style)
        .into_iter()
        .map(|entry| format!("- {entry}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The name of the story's generated references section.
fn references_section(ctx: &Ctx<'_>) -> Result<String, DeskError> {
    ctx.desk
        .story_template(&ctx.load(ctx.story_id()?)?)
        .sections
        .iter()
        .find(|s| s.generated == Some(Generated::References))
        .map(|s| s.name.clone())
        .ok_or_else(|| DeskError::User(messages::template_has_no_references()))
}

fn field(ctx: &Ctx<'_>, name: &str) -> Option<String> {
    ctx.opt(name)
        .map(|v| normalise(v).trim().to_string())
        .filter(|v| !v.is_empty())
}

/// `/story ref add author:… date:… title:… outlet:… url:… translated:… kind:… offline:…`
pub fn add(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let Some(title) = field(ctx, "title") else {
        return user(messages::reference_title_missing());
    };
    let date = match field(ctx, "date") {
        None => None,
        Some(d) => match cite::parse_date(&d) {
            Ok(date) => Some(date),
            Err(e) => return user(messages::bad_date(&d, e.reason())),
        },
    };
    let kind = match field(ctx, "kind").as_deref() {
        None | Some("news") => ReferenceKind::News,
        Some("web") => ReferenceKind::Web,
        Some("forum") => ReferenceKind::Forum,
        Some(other) => return user(messages::bad_kind(other)),
    };
    let url = field(ctx, "url");
    if let Some(u) = &url {
        if !(u.starts_with("https://") || u.starts_with("http://"))
            || u.contains(char::is_whitespace)
        {
            return user(messages::bad_url(u));
        }
    }
    let offline = ctx.opt("offline") == Some("true");
    let reference = Reference {
        author: field(ctx, "author"),
        date,
        title,
        translated: field(ctx, "translated"),
        outlet: field(ctx, "outlet"),
        url,
        kind,
        offline,
    };
    let max = ctx.desk.config.limits.references_per_story as usize;
    let mut warnings = Vec::new();
    if reference.url.is_none() && !reference.offline {
        warnings.push(messages::reference_without_url());
    }
    if reference.translated.is_none() && cite::is_non_latin(&reference.title) {
        warnings.push(messages::reference_needs_translation());
    }
    change_references(
        ctx,
        |refs| {
            if refs.len() >= max {
                return user(messages::too_many_references(max));
            }
            refs.push(reference.clone());
            Ok(messages::audit_reference_added(
                refs.len(),
                &reference.title,
            ))
        },
        warnings,
    )
}

/// `/story ref list`: the references, numbered in the order they were added.
pub fn list(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let story = ctx.load(ctx.story_id()?)?;
    let mut reply = Reply::one(
        Destination::Requester,
        Body::Text(messages::reference_list(&story)),
    );
    reply.story = Some(story.id);
    Ok(reply)
}

/// `/story ref remove number:N`.
pub fn remove(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let number: usize = ctx
        .opt("number")
        .and_then(|n| n.trim_start_matches('#').parse().ok())
        .unwrap_or(0);
    change_references(
        ctx,
        |refs| {
            if number == 0 || number > refs.len() {
                return user(messages::no_such_reference(number, refs.len()));
            }
            let gone = refs.remove(number - 1);
            Ok(messages::audit_reference_removed(number, &gone.title))
        },
        Vec::new(),
    )
}

/// Change the story's references and record the re-rendered section as a new revision.
fn change_references(
    ctx: &Ctx<'_>,
    change: impl Fn(&mut Vec<Reference>) -> Result<String, DeskError>,
    warnings: Vec<String>,
) -> Result<Reply, DeskError> {
    let id = ctx.story_id()?;
    let section = references_section(ctx)?;
    let quorum = ctx.desk.config.review.quorum;
    let (story, revision, parent, dismissed) = ctx.transact(|tx| {
        let mut story = tx_story(tx, id)?;
        super::sections::refuse_if_published(&story)?;
        let action = change(&mut story.references)?;
        ctx.log(tx, &mut story, action)?;
        let text = render_section(&story.references, story.style);
        let s = super::section_of_mut(&mut story, &section)?;
        let dismissed = s.current_approvals().count();
        let number = s.revisions + 1;
        let parent = match s.revisions {
            0 => None,
            n => tx.revision(id, &section, n)?,
        };
        let revision = crate::model::Revision {
            story: id,
            section: section.clone(),
            number,
            parent: (number > 1).then_some(number - 1),
            author: ctx.req.actor.clone(),
            at: ctx.req.at,
            text,
            assisted: false,
        };
        s.revisions = number;
        if s.owner.is_none() {
            s.owner = Some(ctx.req.actor.clone());
        }
        tx.put_revision(&revision)?;
        ctx.log(
            tx,
            &mut story,
            messages::audit_wrote(&section, number, false),
        )?;
        save(tx, &mut story)?;
        Ok((story, revision, parent, dismissed))
    })?;
    let mut reply = Reply::about(id);
    for w in warnings {
        reply.push(Destination::Requester, Body::Text(w));
    }
    let findings =
        super::publish::section_findings_post(ctx.desk, &story, &section, revision.number);
    reply.push(
        Destination::Thread {
            story: id,
            thread: ThreadKind::Section(section.clone()),
        },
        review::revision_post(&story, &revision, parent.as_ref(), dismissed, quorum),
    );
    if let Some(post) = findings {
        reply.push(
            Destination::Thread {
                story: id,
                thread: ThreadKind::Section(section),
            },
            post,
        );
    }
    reply.push(
        Destination::Board { story: id },
        Body::Board(super::render_board(&story, quorum)),
    );
    Ok(reply)
}
