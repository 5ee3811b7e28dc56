//! Posting an article: in order, each part recorded as it is confirmed, and one policy
//! for a publication that fails partway, the same on every platform.
//!
//! The policy ([`post_article`]):
//!
//! - **The platform refused a part** ([`Failure::Refused`]: no permission, no such channel,
//!   a message it will not take). Nothing more can go up until a person acts, so the parts
//!   already up (in this attempt or an earlier one) are deleted and the publication is
//!   undone ([`Desk::publication_failed`]): readers never find half an article standing,
//!   and the editor is told what to fix and that publishing again starts over.
//! - **A part was not confirmed** ([`Failure::NotConfirmed`]: a timeout, a 5xx, the
//!   platform out of reach, or the store unable to record a part). Whether it is up is
//!   unknown, so it cannot be deleted, and the cause is usually passing: the publication
//!   stays as far as it got ([`Desk::publication_interrupted`]) and `/story publish` (or a
//!   restart, on Slack) continues after the last confirmed part, first looking up the one
//!   that may be up where the platform can ([`Outlet::find_parts`]).
//!
//! Either way the audit log records it against the editor who published (the
//! publication's own record), since an attempt may have no requester at all (`serve`
//! resuming a publication when it starts).

use std::collections::HashMap;

use super::{Failure, Outbox, Outlet, PartTag, SendError};
use crate::desk::{messages, Desk, Reply};
use crate::model::{StoryId, Timestamp};

/// How posting an article ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// Every part is up: `parts` messages.
    Complete {
        /// How many messages the article took.
        parts: usize,
    },
    /// There was nothing to post: the article was all up already, or the publication was
    /// undone meanwhile.
    Nothing,
    /// Posting stopped. The reply tells the editor what is up and what to do (with the
    /// board, when the publication was undone); whatever was to follow the article (its
    /// announcement) does not hold and is not sent.
    Stopped(Reply),
}

/// Post the parts of `story`'s article that are not up yet to `channel`, in order, through
/// `outlet`, recording each with the desk as soon as the platform confirms it; on failure,
/// apply the policy of this module. The caller runs it on the channel's send queue where
/// the platform has one, so an article arrives in order and whole.
pub async fn post_article<O: Outlet>(
    desk: &Desk,
    outlet: &O,
    story: StoryId,
    channel: &str,
    parts: &[O::Message],
) -> Posted {
    let count = u32::try_from(parts.len()).unwrap_or(u32::MAX);
    let started = blocking(desk, move |d| d.start_posting(story, count)).await;
    let (publication, posting) = match started {
        Some(Ok(Some(under_way))) => under_way,
        // Complete already, or undone: nothing to post.
        Some(Ok(None)) => return Posted::Nothing,
        _ => return stop(desk, outlet, story, channel, &[], not_recorded()).await,
    };
    let mut up = posting.posted.clone();
    let first = up.len();
    let mut found = HashMap::new();
    if posting.attempts > 1 && first < parts.len() {
        match outlet.find_parts(channel, story, publication).await {
            Ok(parts) => found = parts,
            Err(e) => {
                // What is up cannot be told: keep everything and let a later attempt look.
                let e = SendError::not_confirmed(O::reason(&e, channel));
                return stop(desk, outlet, story, channel, &up, e).await;
            }
        }
    }
    for (index, message) in parts.iter().enumerate().skip(first) {
        let id = match found.remove(&index) {
            Some(id) => {
                tracing::info!(story = story.0, part = index, "a part was already up");
                id
            }
            None => {
                let tag = PartTag {
                    story,
                    publication,
                    index,
                };
                match outlet.post(channel, message, Some(&tag)).await {
                    Ok(id) => id,
                    Err(e) => {
                        let e = SendError::of::<O>(&e, channel);
                        return stop(desk, outlet, story, channel, &up, e).await;
                    }
                }
            }
        };
        let part = u32::try_from(index).unwrap_or(u32::MAX);
        let recorded = {
            let id = id.clone();
            blocking(desk, move |d| d.part_posted(story, publication, part, &id)).await
        };
        up.push(id);
        if !matches!(recorded, Some(Ok(_))) {
            tracing::error!(
                story = story.0,
                part = index,
                "could not record a posted part"
            );
            return stop(desk, outlet, story, channel, &up, not_recorded()).await;
        }
    }
    Posted::Complete { parts: parts.len() }
}

/// Posting stopped on `error` with the parts `up` confirmed: roll back or keep, by the
/// kind of failure, and return what the editor is told.
async fn stop<O: Outlet>(
    desk: &Desk,
    outlet: &O,
    story: StoryId,
    channel: &str,
    up: &[String],
    error: SendError,
) -> Posted {
    // A refusal, or a channel gone: nothing more can go up until a person acts.
    let undo = error.failure != Failure::NotConfirmed;
    tracing::warn!(
        story = story.0,
        up = up.len(),
        undo,
        reason = %error.reason,
        "posting the article stopped"
    );
    if undo {
        for id in up.iter().rev() {
            if let Err(e) = outlet.delete(channel, id).await {
                let e = SendError::of::<O>(&e, channel);
                tracing::warn!(story = story.0, reason = %e.reason, "a posted part could not be deleted");
            }
        }
    }
    let reason = error.reason;
    let reply = blocking(desk, move |d| {
        if undo {
            d.publication_failed(story, Timestamp::now(), &reason)
        } else {
            d.publication_interrupted(story, Timestamp::now(), &reason)
        }
    })
    .await
    .unwrap_or_default();
    Posted::Stopped(reply)
}

/// [`post_article`] on `channel`'s send queue in `queues`, after everything queued there
/// before it, so nothing else in the channel comes between the article's parts. A job
/// lost on the queue (it panicked) leaves what is up unknown: the publication is kept, as
/// for a part not confirmed, and the editor is told `lost`.
pub async fn post_article_in_turn<O>(
    queues: &Outbox,
    desk: &Desk,
    outlet: O,
    story: StoryId,
    channel: String,
    parts: Vec<O::Message>,
    lost: String,
) -> Posted
where
    O: Outlet + Send + 'static,
    O::Message: Send + 'static,
{
    let job = {
        let (desk, channel) = (desk.clone(), channel.clone());
        queues.run(&channel.clone(), async move {
            post_article(&desk, &outlet, story, &channel, &parts).await
        })
    };
    match job.await {
        Ok(posted) => posted,
        Err(_) => {
            tracing::error!(story = story.0, "the job posting an article was lost");
            let reply = blocking(desk, move |d| {
                d.publication_interrupted(story, Timestamp::now(), &lost)
            })
            .await
            .unwrap_or_default();
            Posted::Stopped(reply)
        }
    }
}

/// Nothing of `story`'s article could be posted (the publishing channel does not exist,
/// say): the publication is undone, as for a refused first part, and the editor is told
/// `reason`.
pub async fn not_posted(desk: &Desk, story: StoryId, reason: String) -> Reply {
    blocking(desk, move |d| {
        d.publication_failed(story, Timestamp::now(), &reason)
    })
    .await
    .unwrap_or_default()
}

/// The store could not record how far posting got: what is up is known only to the
/// platform, so the publication is kept for a later attempt to look.
fn not_recorded() -> SendError {
    SendError::not_confirmed(messages::posting_not_recorded())
}

/// Run `f` on the desk on a blocking thread (the desk is synchronous and reads the disk).
/// `None` when it panicked.
pub(super) async fn blocking<T: Send + 'static>(
    desk: &Desk,
    f: impl FnOnce(&Desk) -> T + Send + 'static,
) -> Option<T> {
    let desk_for_report = desk.clone();
    let desk = desk.clone();
    match tokio::task::spawn_blocking(move || f(&desk)).await {
        Ok(out) => Some(out),
        Err(e) => {
            crate::supervise::report(&desk_for_report, "desk", &e);
            None
        }
    }
}
