//! Correcting a published article in place, the same on every platform.
//!
//! The desk keeps the platform ids of the article's messages once all are up
//! ([`Desk::published_messages`]). [`correct_article`] edits them in order with the
//! corrected article's parts ([`Outlet::edit`]). When the corrected article takes more parts
//! than were posted, or an edit fails (the message is gone, the platform refuses, or the
//! edit is not confirmed), that part and the ones after it are posted as new messages after
//! the article: a reader may see a part twice, but never misses the correction. When it
//! takes fewer parts, the messages left over are deleted (best effort). The messages that
//! now show the article are recorded with the desk ([`Desk::correction_delivered`]), so
//! the next correction edits them.

use super::publish::blocking;
use super::{Outbox, Outlet, SendError};
use crate::desk::{messages, Body, Desk, Destination, Outcome, Post, Reply};
use crate::model::StoryId;

/// How correcting an article went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrected {
    /// How many of the published messages were edited in place (the first ones).
    pub edited: usize,
    /// How many parts were posted as new messages after the article.
    pub followed: usize,
    /// What the editor is told when the correction could not wholly reach the article;
    /// empty when it did.
    pub reply: Reply,
}

/// Correct `story`'s published article in `channel` through `outlet` with the corrected
/// article's `parts` (as the platform renders them): see the module's documentation.
pub async fn correct_article<O: Outlet>(
    desk: &Desk,
    outlet: &O,
    story: StoryId,
    channel: &str,
    parts: &[O::Message],
) -> Corrected {
    let up = match blocking(desk, move |d| d.published_messages(story)).await {
        Some(Ok(up)) => up,
        _ => {
            tracing::error!(
                story = story.0,
                "could not read which messages show the article"
            );
            Vec::new()
        }
    };
    let mut now: Vec<String> = Vec::new();
    let mut edited = 0;
    let mut followed = 0;
    let mut following = false;
    let mut problem = None;
    for (index, part) in parts.iter().enumerate() {
        if !following {
            if let Some(id) = up.get(index) {
                match outlet.edit(channel, id, part).await {
                    Ok(()) => {
                        now.push(id.clone());
                        edited += 1;
                        continue;
                    }
                    Err(e) => {
                        let e = SendError::of::<O>(&e, channel);
                        tracing::warn!(
                            story = story.0,
                            part = index,
                            failure = ?e.failure,
                            "a published part could not be edited; the rest follows the article"
                        );
                        following = true;
                    }
                }
            }
        }
        match outlet.post(channel, part, None).await {
            Ok(id) => {
                now.push(id);
                followed += 1;
            }
            Err(e) => {
                let e = SendError::of::<O>(&e, channel);
                tracing::warn!(
                    story = story.0,
                    part = index,
                    "a correction part could not be posted"
                );
                problem = Some(e.reason);
                break;
            }
        }
    }
    if !following && problem.is_none() {
        // The corrected article is shorter: what is left of the old one goes.
        for id in up.iter().skip(parts.len()) {
            if let Err(e) = outlet.delete(channel, id).await {
                let e = SendError::of::<O>(&e, channel);
                tracing::warn!(story = story.0, reason = %e.reason, "a left-over part could not be deleted");
            }
        }
    }
    let recorded = blocking(desk, move |d| d.correction_delivered(story, now)).await;
    if !matches!(recorded, Some(Ok(()))) {
        tracing::error!(
            story = story.0,
            "could not record the corrected article's messages"
        );
    }
    let mut reply = Reply::default();
    if let Some(reason) = problem {
        reply.posts.push(Post {
            to: Destination::Requester,
            body: Body::Problem(messages::correction_not_delivered(&reason)),
        });
        reply.outcome = Outcome::Failed;
        reply.story = Some(story);
    }
    Corrected {
        edited,
        followed,
        reply,
    }
}

/// [`correct_article`] on `channel`'s send queue in `queues`, after everything queued
/// there before it, so nothing comes between the parts it posts. A job lost on the queue
/// (it panicked) is reported as a correction that did not reach the article: `lost`.
pub async fn correct_article_in_turn<O>(
    queues: &Outbox,
    desk: &Desk,
    outlet: O,
    story: StoryId,
    channel: String,
    parts: Vec<O::Message>,
    lost: String,
) -> Corrected
where
    O: Outlet + Send + 'static,
    O::Message: Send + 'static,
{
    let job = {
        let (desk, channel) = (desk.clone(), channel.clone());
        queues.run(&channel.clone(), async move {
            correct_article(&desk, &outlet, story, &channel, &parts).await
        })
    };
    match job.await {
        Ok(corrected) => corrected,
        Err(_) => {
            tracing::error!(story = story.0, "the job correcting an article was lost");
            let mut reply = Reply::default();
            reply.posts.push(Post {
                to: Destination::Requester,
                body: Body::Problem(messages::correction_not_delivered(&lost)),
            });
            reply.outcome = Outcome::Failed;
            reply.story = Some(story);
            Corrected {
                edited: 0,
                followed: 0,
                reply,
            }
        }
    }
}
