//! Stories in a channel: start one, list them, pick the active one, see its board, get help.

use super::{messages, rules, user, Body, Ctx, DeskError, Destination, Reply, ThreadKind};
use crate::model::{AuditEvent, Revision, Section, Story, StoryId};
use crate::text::normalise::normalise;

/// `/story new title:…`: a story in this channel, made active, with its working title as
/// the first revision of the title section.
pub fn new(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let title = normalise(ctx.opt("title").unwrap_or_default())
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if title.is_empty() {
        return user(messages::title_empty());
    }
    let desk = ctx.desk;
    let req = ctx.req;
    let (story, first) = ctx.transact(|tx| {
        let id = tx.next_story_id()?;
        let mut story = Story {
            id,
            title: title.clone(),
            home: req.place.channel.clone(),
            created_by: req.actor.clone(),
            created_at: req.at,
            template: desk.template.name.clone(),
            sections: desk
                .template
                .sections
                .iter()
                .map(|s| Section::new(&s.name))
                .collect(),
            sources: Vec::new(),
            references: Vec::new(),
            style: desk.config.citations.style,
            published: None,
            audit_len: 0,
            version: 1,
            timing: Default::default(),
        };
        let first = Revision {
            story: id,
            section: "title".into(),
            number: 1,
            parent: None,
            author: req.actor.clone(),
            at: req.at,
            text: title.clone(),
            assisted: false,
        };
        if let Some(s) = story.section_mut("title") {
            s.revisions = 1;
            s.owner = Some(req.actor.clone());
            super::rules::require_reviewers(ctx.desk, s);
        }
        tx.put_revision(&first)?;
        ctx.log(
            tx,
            &mut story,
            AuditEvent::Started {
                title: title.clone(),
            },
        )?;
        ctx.log(
            tx,
            &mut story,
            AuditEvent::Wrote {
                section: "title".to_string(),
                revision: 1,
            },
        )?;
        tx.start_in_channel(ctx.channel(), id, &req.actor)?;
        tx.put_story(&story)?;
        Ok((story, first))
    })?;
    let quorum = desk.config.review.quorum;
    let mut reply = Reply {
        story: Some(story.id),
        ..Default::default()
    };
    reply.push(
        Destination::Channel,
        Body::Text(messages::story_started(&story, &ctx.req.actor)),
    );
    reply.push(
        Destination::Board { story: story.id },
        Body::Board(super::render_board(&story, quorum)),
    );
    reply.push(
        Destination::Thread {
            story: story.id,
            thread: ThreadKind::Section("title".into()),
        },
        rules::revision_post(&story, &first, None, 0, quorum),
    );
    Ok(reply)
}

/// `/story list`: this channel's stories.
pub fn list(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let channel = ctx.desk.store.channel(ctx.channel())?;
    let mut stories = Vec::new();
    for id in &channel.stories {
        stories.push(ctx.load(*id)?);
    }
    Ok(Reply::one(
        Destination::Requester,
        Body::Text(messages::story_list(
            &stories,
            channel.active_for(&ctx.req.actor),
            ctx.desk.config.review.quorum,
        )),
    ))
}

/// `/story use story:…`: make another of this channel's stories the one the person's
/// commands act on (everyone else's stay as they are).
pub fn use_story(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let wanted = ctx.opt("story").unwrap_or_default().trim();
    let channel = ctx.desk.store.channel(ctx.channel())?;
    let mut stories = Vec::new();
    for id in &channel.stories {
        stories.push(ctx.load(*id)?);
    }
    let Some(id) = find_story(&stories, wanted)? else {
        return user(messages::no_such_story(wanted, &stories));
    };
    ctx.transact(|tx| {
        tx.choose_in_channel(ctx.channel(), &ctx.req.actor, id)?;
        Ok(())
    })?;
    let story = ctx.load(id)?;
    let mut reply = Reply::one(
        Destination::Requester,
        Body::Text(messages::story_in_use(&story)),
    );
    reply.story = Some(id);
    Ok(reply)
}

/// A story by number (`3`, `#3`) or by title (exact, or a unique start), among `stories`.
pub(crate) fn find_story(stories: &[Story], wanted: &str) -> Result<Option<StoryId>, DeskError> {
    if let Ok(n) = wanted.trim_start_matches('#').parse::<u64>() {
        return Ok(stories.iter().find(|s| s.id.0 == n).map(|s| s.id));
    }
    let lower = wanted.to_lowercase();
    if let Some(s) = stories
        .iter()
        .find(|s| s.headline().to_lowercase() == lower)
    {
        return Ok(Some(s.id));
    }
    let starts: Vec<&Story> = stories
        .iter()
        .filter(|s| s.headline().to_lowercase().starts_with(&lower))
        .collect();
    match starts.as_slice() {
        [one] => Ok(Some(one.id)),
        [] => Ok(None),
        many => user(messages::ambiguous_story(wanted, many)),
    }
}

/// `/story status`: the board, to the person who asked.
pub fn status(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let story = ctx.load(ctx.story_id()?)?;
    let mut reply = Reply::one(
        Destination::Requester,
        Body::Board(super::render_board(&story, ctx.desk.config.review.quorum)),
    );
    reply.story = Some(story.id);
    Ok(reply)
}

/// `/story help [command]`.
pub fn help(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let catalogue = ctx.desk.catalogue;
    let text = match ctx.opt("command") {
        None => messages::help_overview(catalogue, ctx.desk.template()),
        Some(name) => {
            let name = name
                .trim()
                .trim_start_matches("/story")
                .trim()
                .to_lowercase();
            match catalogue.subcommand_help(&name) {
                Some(text) => text,
                None => {
                    return user(messages::parse_error(
                        &crate::command::parse::ParseError::UnknownSubcommand {
                            suggestion: crate::suggest::closest(&name, catalogue.names())
                                .map(str::to_string),
                            given: name,
                        },
                        catalogue,
                    ))
                }
            }
        }
    };
    Ok(Reply::one(Destination::Requester, Body::Text(text)))
}
