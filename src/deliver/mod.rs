//! Delivery: what happens to a desk [`Reply`](crate::desk::Reply) on its way to a platform,
//! decided once for every platform.
//!
//! The desk says what to post and where ([`Destination`](crate::desk::Destination)); the
//! adapters say how a message looks on their platform. Between the two, this module owns:
//!
//! - [`anchors`]: where storydesk's own messages are (a story's board, its threads, its
//!   drafts' messages), as typed [`Anchor`]s with one key builder, and the one rule for a
//!   message kept in place such as a board ([`show_anchored`]: edited while it is there,
//!   posted again and recorded once it is gone) and for a story's thread
//!   ([`open_thread`]: started once, bound to the story, recorded);
//! - [`publish`]: posting an article part by part, in order, each part recorded with the
//!   desk as the platform confirms it, and the one policy for a publication that fails
//!   partway (see [`publish::post_article`]);
//! - [`correct`]: a corrected article edited in place over its published messages, the
//!   rest posted after them ([`correct_article`]);
//! - [`queue`]: one ordered send queue per channel, on which an article is posted
//!   ([`post_article_in_turn`]) so nothing else in its channel comes between its parts;
//! - [`Outlet`]: the few calls a platform must offer for that (post, edit, delete, start a
//!   thread, and look up the parts of an article posted before), which Slack, Discord and the console
//!   implement.
//!
//! Architecture invariant: the adapters (`slack`, `discord`, `console`) never reach the
//! store; what they keep (anchors) goes through [`Anchors`], what they read and change
//! goes through the desk.

pub mod anchors;
pub mod correct;
pub mod publish;
pub mod queue;

use std::collections::HashMap;
use std::future::Future;

use crate::model::{StoryId, Timestamp};

pub use anchors::{
    open_thread, show_anchored, show_anchored_at, Anchor, Anchors, ShowError, Shown, Starts,
};
pub use correct::{correct_article, correct_article_in_turn, Corrected};
pub use publish::{post_article, post_article_in_turn, Posted};
pub use queue::{Bounds, Busy, Outbox, Ticket};

/// How a platform call failed, as far as delivery must know to decide what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The platform answered no (no permission, no such channel, a message it will not
    /// take): nothing was done, and trying again will not help until a person acts.
    Refused,
    /// The call may or may not have been carried out (a timeout, a 5xx answer, a
    /// connection lost), or the platform could not be reached: what is up is unknown or
    /// the cause is passing.
    NotConfirmed,
    /// The message the call was about is not there any more (someone deleted it).
    Gone,
}

/// A failed platform call: its kind, and the adapter's sentence for the person (what went
/// wrong and what to do), never quoting a token or a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// Whether the call surely did nothing.
    pub failure: Failure,
    /// The sentence to show.
    pub reason: String,
}

impl SendError {
    /// A refusal, with the sentence to show.
    pub fn refused(reason: impl Into<String>) -> Self {
        SendError {
            failure: Failure::Refused,
            reason: reason.into(),
        }
    }

    /// A call whose outcome is unknown, with the sentence to show.
    pub fn not_confirmed(reason: impl Into<String>) -> Self {
        SendError {
            failure: Failure::NotConfirmed,
            reason: reason.into(),
        }
    }

    /// A platform's error as delivery sees it, for a call about `channel`.
    pub fn of<O: Outlet + ?Sized>(error: &O::Error, channel: &str) -> Self {
        SendError {
            failure: O::failure(error),
            reason: O::reason(error, channel),
        }
    }
}

/// What a message that is part of an article says about itself, so a later attempt can
/// recognise it on a platform that can look messages up (Slack's message metadata).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartTag {
    /// The story.
    pub story: StoryId,
    /// The publication: when it began.
    pub publication: Timestamp,
    /// The part's index, from 0.
    pub index: usize,
}

/// The calls delivery makes on a platform. Each adapter implements it over its own client;
/// tests implement it with a recording fake. Errors stay the platform's own (the adapter
/// still needs them whole: which permission, which code); delivery asks only their kind and
/// the sentence to show.
pub trait Outlet: Sync {
    /// One message as the platform sends it (Slack text and blocks, Discord content).
    type Message: Sync;
    /// The platform client's error.
    type Error: Send;

    /// What kind of failure `error` is.
    fn failure(error: &Self::Error) -> Failure;

    /// The sentence for the person about `error` in `channel`: what went wrong and what to
    /// do.
    fn reason(error: &Self::Error, channel: &str) -> String;

    /// Post `message` in `channel` (a platform channel id), tagged as a part of an
    /// article when `tag` is given. Returns the platform's id of the message, as an anchor
    /// records it.
    fn post(
        &self,
        channel: &str,
        message: &Self::Message,
        tag: Option<&PartTag>,
    ) -> impl Future<Output = Result<String, Self::Error>> + Send;

    /// Replace message `id` (as [`Outlet::post`] returned it) in `channel` with `message`.
    /// A message that is not there any more fails with [`Failure::Gone`].
    fn edit(
        &self,
        channel: &str,
        id: &str,
        message: &Self::Message,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Start a thread in `channel` from a new message `starter` (named `name` where
    /// threads have names). Returns the thread's id (Slack: the starter's `ts`; Discord:
    /// the thread channel's id).
    fn start_thread(
        &self,
        channel: &str,
        starter: &Self::Message,
        name: &str,
    ) -> impl Future<Output = Result<String, Self::Error>> + Send;

    /// Delete message `id` (as [`Outlet::post`] returned it) from `channel`.
    fn delete(
        &self,
        channel: &str,
        id: &str,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// The parts of `story`'s article of `publication` already in `channel`, by index,
    /// found by their tags: only a platform that can look messages up finds any. Asked
    /// only when an earlier attempt may have left a part up unconfirmed.
    fn find_parts(
        &self,
        channel: &str,
        story: StoryId,
        publication: Timestamp,
    ) -> impl Future<Output = Result<HashMap<usize, String>, Self::Error>> + Send {
        let _ = (channel, story, publication);
        async { Ok(HashMap::new()) }
    }
}
