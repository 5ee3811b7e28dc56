//! Where storydesk's own messages are: the platform ids of a story's board, its threads,
//! its assisted drafts' messages, kept in the store so a restart loses none of them.
//!
//! An [`Anchor`] names one such message or thread by what it is for; [`Anchor::key`] is the
//! one place that turns it into the store key. The bytes are those the adapters wrote
//! before anchors were typed, so a store written then reads the same.

use crate::desk::{Desk, DraftRef, ThreadKind};
use crate::model::{ChannelKey, Platform, StoryId};
use crate::store::{Store, StoreError, TransactError, TxError};

/// One message or thread storydesk keeps track of.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Anchor {
    /// A story's board message (Slack: its `ts`, which the source thread hangs from;
    /// Discord: `channel:message`).
    Board {
        /// The story's channel.
        channel: ChannelKey,
        /// The story.
        story: StoryId,
    },
    /// A story's thread (Slack: the `ts` of the message a section's thread hangs from; the
    /// source thread is the board's; Discord: the thread's id).
    Thread {
        /// The story's channel.
        channel: ChannelKey,
        /// The story.
        story: StoryId,
        /// Which thread.
        thread: ThreadKind,
    },
    /// An assisted draft's message, edited in place (Slack: the first message's `ts`;
    /// Discord: `channel:first:last`).
    Draft {
        /// The story's channel.
        channel: ChannelKey,
        /// The draft.
        draft: DraftRef,
    },
    /// The channel a thread storydesk created belongs to (Discord, whose interactions from
    /// a thread may not say).
    ThreadParent {
        /// The platform.
        platform: Platform,
        /// The thread's id.
        thread: String,
    },
    /// The notice that messages cannot be read without the Message Content intent was
    /// posted in this thread (Discord).
    IntentNotice {
        /// The thread's id.
        thread: String,
    },
}

impl Anchor {
    /// The store key of this anchor.
    pub fn key(&self) -> String {
        match self {
            Anchor::Board { channel, story } => match channel.platform {
                Platform::Discord => format!("discord:board:{}", story.0),
                p => format!(
                    "{}/board/{}/{}/{}",
                    p.as_str(),
                    channel.team,
                    channel.channel,
                    story.0
                ),
            },
            Anchor::Thread {
                channel,
                story,
                thread,
            } => match (channel.platform, thread) {
                (Platform::Discord, kind) => {
                    format!("discord:thread:{}:{}", story.0, kind.name())
                }
                // On Slack the source thread hangs from the board.
                (p, ThreadKind::Sources) if p != Platform::Discord => Anchor::Board {
                    channel: channel.clone(),
                    story: *story,
                }
                .key(),
                (p, kind) => format!(
                    "{}/thread/{}/{}/{}/{}",
                    p.as_str(),
                    channel.team,
                    channel.channel,
                    story.0,
                    kind.name()
                ),
            },
            Anchor::Draft { channel, draft } => match channel.platform {
                Platform::Discord => format!(
                    "discord:draft:{}:{}:{}",
                    draft.story.0, draft.number, draft.section
                ),
                p => format!(
                    "{}/draft/{}/{}/{}/{}/{}",
                    p.as_str(),
                    channel.team,
                    channel.channel,
                    draft.story.0,
                    draft.number,
                    draft.section
                ),
            },
            Anchor::ThreadParent { platform, thread } => {
                format!("{}:parent:{thread}", platform.as_str())
            }
            Anchor::IntentNotice { thread } => format!("discord:intent-notice:{thread}"),
        }
    }
}

/// The anchors of one store. Cheap to clone; every method reads or writes the store at
/// once, so async callers run them on a blocking thread.
#[derive(Clone)]
pub struct Anchors {
    /// The store the anchors are kept in, with the stories.
    store: Store,
}

impl Anchors {
    /// The anchors kept in the desk's store.
    pub fn of(desk: &Desk) -> Self {
        Anchors {
            store: desk.store().clone(),
        }
    }

    /// What `anchor` holds, if it was recorded (an empty value is a forgotten anchor).
    pub fn get(&self, anchor: &Anchor) -> Result<Option<String>, StoreError> {
        Ok(self
            .store
            .anchor_as_recorded(&anchor.key())?
            .filter(|v| !v.is_empty()))
    }

    /// Record `value` for `anchor` ([`Anchors::put_all`]).
    pub fn put(&self, anchor: &Anchor, value: &str) -> Result<(), StoreError> {
        self.put_all(&[(anchor.key(), value.to_string())])
    }

    /// Record where a message is together with the records that go with it (the thread it
    /// starts, bound to its story: [`Desk::thread_binding`]), as raw keys and values, in one
    /// transaction ([`Store::record`]: its flush is asked for, not waited for; a crash
    /// before it costs the message posted again, as a crash between the post and the
    /// record always could).
    pub fn put_all(&self, records: &[(String, String)]) -> Result<(), StoreError> {
        self.store
            .record(|tx| {
                for (key, value) in records {
                    tx.put_anchor(key, value)?;
                }
                Ok::<_, TxError>(())
            })
            .map_err(flatten)
    }

    /// Forget `anchor` (its message or thread is gone), so the next use makes a new one.
    pub fn forget(&self, anchor: &Anchor) -> Result<(), StoreError> {
        self.put(anchor, "")
    }
}

fn flatten(e: TransactError<TxError>) -> StoreError {
    match e {
        TransactError::Aborted(e) => StoreError::from(e),
        TransactError::Store(e) => e,
    }
}

/// How [`show_anchored`] showed a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// Edited in place: it is still where it was, with this id.
    Edited(String),
    /// Posted, the first time or because the old one was gone, and recorded: its id.
    Posted(String),
}

/// Why [`show_anchored`] could not show a message.
#[derive(Debug)]
pub enum ShowError<E> {
    /// The platform failed the call.
    Platform(E),
    /// The store could not say where the message is (the reason, for the log); nothing was
    /// posted, so a second one does not appear beside it.
    Store(String),
}

/// The thread a newly posted message starts (on Slack a board is its story's source
/// thread), bound to the story in the transaction that records where the message is.
#[derive(Debug, Clone)]
pub struct Starts {
    /// The story's channel.
    pub home: ChannelKey,
    /// The story.
    pub story: StoryId,
    /// Which of its threads.
    pub kind: ThreadKind,
}

/// Show `message` as the one message `anchor` names in `channel` (a story's board): edited
/// in place while it is there; posted and recorded the first time, or again when someone
/// deleted it. A message posted anew that `starts` a thread has the thread bound in the
/// same transaction. The caller keeps two calls for one anchor apart (the channel's send
/// queue, a lock per story), and renders `message` from the state as it is when it runs, so
/// messages delivered out of order never leave an old one showing.
pub async fn show_anchored<O: super::Outlet>(
    anchors: &Anchors,
    outlet: &O,
    anchor: &Anchor,
    channel: &str,
    message: &O::Message,
    starts: Option<Starts>,
) -> Result<Shown, ShowError<O::Error>> {
    let known = recorded_at(anchors, anchor).await?;
    show_anchored_at(anchors, outlet, anchor, channel, message, starts, known).await
}

/// [`show_anchored`] for a caller that has just read where the message is (`known`, from
/// [`Anchors::get`], under the same guard that keeps two calls for the anchor apart), so
/// the store is not asked twice.
pub async fn show_anchored_at<O: super::Outlet>(
    anchors: &Anchors,
    outlet: &O,
    anchor: &Anchor,
    channel: &str,
    message: &O::Message,
    starts: Option<Starts>,
    known: Option<String>,
) -> Result<Shown, ShowError<O::Error>> {
    if let Some(id) = known {
        match outlet.edit(channel, &id, message).await {
            Ok(()) => return Ok(Shown::Edited(id)),
            Err(e) if O::failure(&e) == super::Failure::Gone => {}
            Err(e) => return Err(ShowError::Platform(e)),
        }
    }
    let id = outlet
        .post(channel, message, None)
        .await
        .map_err(ShowError::Platform)?;
    let recorded = {
        let mut records = vec![(anchor.key(), id.clone())];
        if let Some(s) = starts {
            records.push(Desk::thread_binding(&s.home, &id, s.story, &s.kind));
        }
        let anchors = anchors.clone();
        tokio::task::spawn_blocking(move || anchors.put_all(&records)).await
    };
    if !matches!(recorded, Ok(Ok(()))) {
        // The message is up; the next change posts another, which is recorded then.
        tracing::error!(anchor = %anchor.key(), "could not record where a message is");
    }
    Ok(Shown::Posted(id))
}

/// Where `anchor`'s message or thread is, as recorded (read on a blocking thread).
async fn recorded_at<E>(
    anchors: &Anchors,
    anchor: &Anchor,
) -> Result<Option<String>, ShowError<E>> {
    let (anchors, anchor) = (anchors.clone(), anchor.clone());
    match tokio::task::spawn_blocking(move || anchors.get(&anchor)).await {
        Ok(Ok(known)) => Ok(known),
        Ok(Err(e)) => Err(ShowError::Store(e.to_string())),
        Err(e) => Err(ShowError::Store(e.to_string())),
    }
}

/// The thread of `story` of this kind in its channel `home`: the one recorded, or else a
/// new one started from `starter` (named `name` where threads have names), bound to the
/// story in the desk (so a request from inside it knows what it is about) and recorded, in
/// one transaction. Returns the thread's id. The caller keeps two calls for one story apart (a
/// lock per story, the channel's send queue), so a story never gets two such threads.
#[allow(clippy::too_many_arguments)]
pub async fn open_thread<O: super::Outlet>(
    desk: &Desk,
    outlet: &O,
    home: &ChannelKey,
    story: StoryId,
    thread: &ThreadKind,
    starter: &O::Message,
    name: &str,
) -> Result<String, ShowError<O::Error>> {
    let anchor = Anchor::Thread {
        channel: home.clone(),
        story,
        thread: thread.clone(),
    };
    let anchors = Anchors::of(desk);
    let known = recorded_at(&anchors, &anchor).await?;
    if let Some(id) = known {
        return Ok(id);
    }
    let id = outlet
        .start_thread(&home.channel, starter, name)
        .await
        .map_err(ShowError::Platform)?;
    let recorded = {
        // The binding and the anchor in one transaction: one wait for the disk.
        let records = [
            Desk::thread_binding(home, &id, story, thread),
            (anchor.key(), id.clone()),
        ];
        tokio::task::spawn_blocking(move || anchors.put_all(&records)).await
    };
    if !matches!(recorded, Ok(Ok(()))) {
        // The thread is there; the next post starts another, which is recorded then.
        tracing::error!(story = story.0, "could not record a story's thread");
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(platform: Platform) -> ChannelKey {
        ChannelKey {
            platform,
            team: "T1".into(),
            channel: "C1".into(),
        }
    }

    #[test]
    fn anchor_keys_are_the_bytes_stores_already_hold() {
        let slack = channel(Platform::Slack);
        let discord = channel(Platform::Discord);
        let story = StoryId(7);
        let draft = DraftRef {
            story,
            section: "body".into(),
            number: 3,
        };
        let body = ThreadKind::Section("body".into());
        let cases = [
            (
                Anchor::Board {
                    channel: slack.clone(),
                    story,
                },
                "slack/board/T1/C1/7",
            ),
            (
                Anchor::Thread {
                    channel: slack.clone(),
                    story,
                    thread: body.clone(),
                },
                "slack/thread/T1/C1/7/body",
            ),
            (
                Anchor::Thread {
                    channel: slack.clone(),
                    story,
                    thread: ThreadKind::Sources,
                },
                "slack/board/T1/C1/7",
            ),
            (
                Anchor::Draft {
                    channel: slack,
                    draft: draft.clone(),
                },
                "slack/draft/T1/C1/7/3/body",
            ),
            (
                Anchor::Board {
                    channel: discord.clone(),
                    story,
                },
                "discord:board:7",
            ),
            (
                Anchor::Thread {
                    channel: discord.clone(),
                    story,
                    thread: ThreadKind::Sources,
                },
                "discord:thread:7:sources",
            ),
            (
                Anchor::Thread {
                    channel: discord.clone(),
                    story,
                    thread: body,
                },
                "discord:thread:7:body",
            ),
            (
                Anchor::Draft {
                    channel: discord,
                    draft,
                },
                "discord:draft:7:3:body",
            ),
            (
                Anchor::ThreadParent {
                    platform: Platform::Discord,
                    thread: "99".into(),
                },
                "discord:parent:99",
            ),
            (
                Anchor::IntentNotice {
                    thread: "99".into(),
                },
                "discord:intent-notice:99",
            ),
        ];
        for (anchor, key) in cases {
            assert_eq!(anchor.key(), key, "{anchor:?}");
        }
    }
}
