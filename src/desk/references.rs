//! References: structured, rendered in the story's citation style. Adding or removing one
//! is a new revision of the references section, reviewed like any other.

use super::{messages, rules, user, Body, Ctx, DeskError, Destination, Reply, ThreadKind};
use super::{save, tx_story};
use crate::model::{AuditEvent, CitationStyle, Reference, ReferenceKind};
use crate::template::Generated;
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

/// The reference fields a command gives (`ref add`, `ref edit`): each one normalised and
/// checked, `None` where not given.
struct Fields {
    author: Option<String>,
    date: Option<crate::model::PartialDate>,
    title: Option<String>,
    translated: Option<String>,
    outlet: Option<String>,
    url: Option<String>,
    kind: Option<ReferenceKind>,
    offline: Option<bool>,
}

fn fields(ctx: &Ctx<'_>) -> Result<Fields, DeskError> {
    let date = match field(ctx, "date") {
        None => None,
        Some(d) => match cite::parse_date(&d) {
            Ok(date) => Some(date),
            Err(e) => return user(messages::bad_date(&d, e.reason())),
        },
    };
    let kind = match field(ctx, "kind").as_deref() {
        None => None,
        Some("news") => Some(ReferenceKind::News),
        Some("web") => Some(ReferenceKind::Web),
        Some("forum") => Some(ReferenceKind::Forum),
        // The catalogue lets only these kinds through.
        Some(other) => {
            return Err(DeskError::Internal(format!(
                "kind `{other}` passed the catalogue"
            )))
        }
    };
    let url = field(ctx, "url");
    if let Some(u) = &url {
        if !(u.starts_with("https://") || u.starts_with("http://"))
            || u.contains(char::is_whitespace)
        {
            return user(messages::bad_url(u));
        }
    }
    Ok(Fields {
        author: field(ctx, "author"),
        date,
        title: field(ctx, "title"),
        translated: field(ctx, "translated"),
        outlet: field(ctx, "outlet"),
        url,
        kind,
        offline: ctx.opt("offline").map(|v| v == "true"),
    })
}

/// What to tell the person who added or edited `reference`.
fn warnings(reference: &Reference) -> Vec<String> {
    let mut warnings = Vec::new();
    if reference.url.is_none() && !reference.offline {
        warnings.push(messages::reference_without_url());
    }
    if reference.translated.is_none() && cite::is_non_latin(&reference.title) {
        warnings.push(messages::reference_needs_translation());
    }
    warnings
}

/// `/story ref add author:… date:… title:… outlet:… url:… translated:… kind:… offline:…`
pub fn add(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let f = fields(ctx)?;
    let Some(title) = f.title else {
        return user(messages::reference_title_missing());
    };
    let reference = Reference {
        number: 0,
        author: f.author,
        date: f.date,
        title,
        translated: f.translated,
        outlet: f.outlet,
        url: f.url,
        kind: f.kind.unwrap_or(ReferenceKind::News),
        offline: f.offline.unwrap_or(false),
    };
    let max = ctx.desk.config.limits.references_per_story as usize;
    let warnings = warnings(&reference);
    change_references(
        ctx,
        |refs| {
            if refs.len() >= max {
                return user(messages::too_many_references(max));
            }
            // A new number, past every number the story's references have.
            let number = refs.iter().map(|r| r.number).max().unwrap_or(0) + 1;
            refs.push(Reference {
                number,
                ..reference.clone()
            });
            Ok(AuditEvent::ReferenceAdded {
                number,
                title: reference.title.clone(),
            })
        },
        warnings,
    )
}

/// `/story ref edit number:N` with any of `ref add`'s options: the fields given replace the
/// reference's own; its number stays.
pub fn edit(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let number = number(ctx);
    let f = fields(ctx)?;
    let current = ctx.load(ctx.story_id()?)?;
    let Some(old) = current.references.iter().find(|r| r.number == number) else {
        return user(messages::no_such_reference(
            number,
            &numbers(&current.references),
        ));
    };
    let edited = Reference {
        number,
        author: f.author.or_else(|| old.author.clone()),
        date: f.date.or(old.date),
        title: f.title.unwrap_or_else(|| old.title.clone()),
        translated: f.translated.or_else(|| old.translated.clone()),
        outlet: f.outlet.or_else(|| old.outlet.clone()),
        url: f.url.or_else(|| old.url.clone()),
        kind: f.kind.unwrap_or(old.kind),
        offline: f.offline.unwrap_or(old.offline),
    };
    if &edited == old {
        return user(messages::reference_unchanged(number));
    }
    let warnings = warnings(&edited);
    change_references(
        ctx,
        |refs| {
            let Some(slot) = refs.iter_mut().find(|r| r.number == number) else {
                return user(messages::no_such_reference(number, &numbers(refs)));
            };
            *slot = edited.clone();
            Ok(AuditEvent::ReferenceEdited {
                number,
                title: edited.title.clone(),
            })
        },
        warnings,
    )
}

/// The `number` option: a reference's number (`2` or `#2`); 0 when missing or not one.
fn number(ctx: &Ctx<'_>) -> u32 {
    ctx.opt("number")
        .and_then(|n| n.trim().trim_start_matches('#').parse().ok())
        .unwrap_or(0)
}

/// The numbers the story's references have, in order.
fn numbers(refs: &[Reference]) -> Vec<u32> {
    refs.iter().map(|r| r.number).collect()
}

/// `/story ref list`: the references with their numbers.
pub fn list(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let story = ctx.load(ctx.story_id()?)?;
    let mut reply = Reply::one(
        Destination::Requester,
        Body::Text(messages::reference_list(&story)),
    );
    reply.story = Some(story.id);
    Ok(reply)
}

/// `/story ref remove number:N`: the reference with that number; the others keep theirs.
pub fn remove(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let number = number(ctx);
    change_references(
        ctx,
        |refs| {
            let Some(at) = refs.iter().position(|r| r.number == number) else {
                return user(messages::no_such_reference(number, &numbers(refs)));
            };
            let gone = refs.remove(at);
            Ok(AuditEvent::ReferenceRemoved {
                number,
                title: gone.title.clone(),
            })
        },
        Vec::new(),
    )
}

/// Change the story's references and record the re-rendered section as a new revision.
fn change_references(
    ctx: &Ctx<'_>,
    change: impl Fn(&mut Vec<Reference>) -> Result<AuditEvent, DeskError>,
    warnings: Vec<String>,
) -> Result<Reply, DeskError> {
    let id = ctx.story_id()?;
    let section = references_section(ctx)?;
    let quorum = ctx.desk.config.review.quorum;
    let (story, revision, parent, dismissed) = ctx.transact(|tx| {
        let mut story = tx_story(tx, id)?;
        super::rules::refuse_if_published(&story)?;
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
        super::rules::require_reviewers(ctx.desk, s);
        tx.put_revision(&revision)?;
        ctx.log(
            tx,
            &mut story,
            AuditEvent::Wrote {
                section: section.clone(),
                revision: number,
            },
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
        rules::revision_post(&story, &revision, parent.as_ref(), dismissed, quorum),
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
