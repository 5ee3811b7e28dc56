//! Delivery over a fake platform: an article's parts go up in order and are recorded one by
//! one; a refused part takes the article down and undoes the publication; a part the
//! platform did not confirm is kept, looked up and not posted twice; anchors keep the bytes
//! stores already hold.

mod common;

use std::collections::HashMap;
use std::sync::Mutex;

use common::{Newsroom, BODY, CONCLUSION, INTRO};
use storydesk::deliver::{
    correct_article, open_thread, post_article, show_anchored, Anchor, Anchors, Failure, Outlet,
    PartTag, Posted, SendError, Shown, Starts,
};
use storydesk::desk::{Destination, Input, Outcome, Reply, Request, ThreadKind};
use storydesk::model::{ChannelKey, Platform, StoryId, Timestamp};

/// A platform on which messages are posted and deleted, recording every call in order.
#[derive(Default)]
struct FakePlatform {
    /// Every call: `post #published 0 → m1`, `delete #published m1`.
    calls: Mutex<Vec<String>>,
    /// The messages up: id → the part's index it was tagged with.
    up: Mutex<HashMap<String, usize>>,
    /// How many posts were asked for so far.
    posts: Mutex<usize>,
    /// The post (counted from 0 over the fake's life) to fail, and how. A post that is
    /// not confirmed is up all the same, as after a timeout.
    fail: Mutex<Option<(usize, Failure)>>,
    /// Whether the platform can look messages up by their tags (Slack can).
    lookup: bool,
    /// A message whose edit the platform refuses (as Slack does for a message too old or
    /// not the app's).
    refuse_edit: Mutex<Option<String>>,
}

impl FakePlatform {
    fn failing(post: usize, failure: Failure, lookup: bool) -> Self {
        FakePlatform {
            fail: Mutex::new(Some((post, failure))),
            lookup,
            ..Default::default()
        }
    }

    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    /// The indexes of the parts up, sorted.
    fn parts_up(&self) -> Vec<usize> {
        let mut up: Vec<usize> = self.up.lock().unwrap().values().copied().collect();
        up.sort();
        up
    }
}

impl Outlet for FakePlatform {
    type Message = String;
    type Error = SendError;

    fn failure(error: &SendError) -> Failure {
        error.failure
    }

    fn reason(error: &SendError, _channel: &str) -> String {
        error.reason.clone()
    }

    async fn post(
        &self,
        channel: &str,
        _text: &String,
        tag: Option<&PartTag>,
    ) -> Result<String, SendError> {
        let n = {
            let mut posts = self.posts.lock().unwrap();
            *posts += 1;
            *posts - 1
        };
        let index = tag.map(|t| t.index).unwrap_or(usize::MAX);
        // An untagged message (a board) shows as `-`.
        let shown = tag.map_or("-".to_string(), |t| t.index.to_string());
        let id = format!("m{n}");
        let fail = *self.fail.lock().unwrap();
        match fail {
            Some((at, Failure::Refused)) if at == n => {
                self.calls
                    .lock()
                    .unwrap()
                    .push(format!("post {channel} {shown} refused"));
                Err(SendError::refused("You may not post there."))
            }
            Some((at, Failure::NotConfirmed)) if at == n => {
                self.up.lock().unwrap().insert(id.clone(), index);
                self.calls
                    .lock()
                    .unwrap()
                    .push(format!("post {channel} {shown} not confirmed"));
                Err(SendError::not_confirmed("No answer came."))
            }
            _ => {
                self.up.lock().unwrap().insert(id.clone(), index);
                self.calls
                    .lock()
                    .unwrap()
                    .push(format!("post {channel} {shown} → {id}"));
                Ok(id)
            }
        }
    }

    async fn edit(&self, channel: &str, id: &str, _text: &String) -> Result<(), SendError> {
        if self.refuse_edit.lock().unwrap().as_deref() == Some(id) {
            self.calls
                .lock()
                .unwrap()
                .push(format!("edit {channel} {id} refused"));
            return Err(SendError::refused("You may not edit that message."));
        }
        let there = self.up.lock().unwrap().contains_key(id);
        self.calls
            .lock()
            .unwrap()
            .push(format!("edit {channel} {id}"));
        if there {
            Ok(())
        } else {
            Err(SendError {
                failure: Failure::Gone,
                reason: "Unknown message.".into(),
            })
        }
    }

    async fn start_thread(
        &self,
        channel: &str,
        _starter: &String,
        name: &str,
    ) -> Result<String, SendError> {
        let id = format!("t{}", self.calls.lock().unwrap().len());
        self.calls
            .lock()
            .unwrap()
            .push(format!("start thread {channel} {name} → {id}"));
        Ok(id)
    }

    async fn delete(&self, channel: &str, id: &str) -> Result<(), SendError> {
        self.up.lock().unwrap().remove(id);
        self.calls
            .lock()
            .unwrap()
            .push(format!("delete {channel} {id}"));
        Ok(())
    }

    async fn find_parts(
        &self,
        channel: &str,
        _story: StoryId,
        _publication: Timestamp,
    ) -> Result<HashMap<usize, String>, SendError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("look up {channel}"));
        if !self.lookup {
            return Ok(HashMap::new());
        }
        Ok(self
            .up
            .lock()
            .unwrap()
            .iter()
            .map(|(id, index)| (*index, id.clone()))
            .collect())
    }
}

/// A story with every section approved.
fn ready() -> Newsroom {
    let mut n = Newsroom::new();
    n.say(
        "alice",
        r#"/story new title:"Meta scrambles over DeepSeek""#,
    );
    n.say_with("alice", "/story write intro", INTRO);
    n.say_with("bob", "/story write body", BODY);
    n.say_with("bob", "/story write conclusion", CONCLUSION);
    n.say(
        "bob",
        r#"/story ref add title:"Meta sets up war rooms to study DeepSeek" author:"Carey, B." date:2025-01-27 outlet:"The Information" url:https://www.theinformation.com/articles/meta-war-rooms"#,
    );
    for section in ["title", "intro", "body", "conclusion", "references"] {
        n.say("carol", &format!("/story approve {section}"));
    }
    n
}

/// `who` runs `/story publish`, straight on the desk: the article is left to delivery.
fn publish(n: &Newsroom, who: &str) -> Reply {
    n.desk.handle(Request {
        actor: storydesk::model::Person::named(who),
        memberships: Default::default(),
        place: n.place(),
        at: Timestamp::now(),
        input: Input::Text {
            text: "/story publish".into(),
            body: None,
        },
        event: None,
        story: None,
    })
}

fn parts() -> Vec<String> {
    (0..3).map(|i| format!("part {i}")).collect()
}

fn publication(n: &Newsroom) -> Option<storydesk::model::Publication> {
    n.desk.story(StoryId(1)).unwrap().unwrap().published
}

fn told(reply: &Reply) -> String {
    reply
        .posts
        .iter()
        .filter(|p| p.to == Destination::Requester)
        .map(|p| p.body.text())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn an_articles_parts_go_up_in_order_and_complete_the_publication() {
    let n = ready();
    let reply = publish(&n, "erin");
    assert!(reply
        .posts
        .iter()
        .any(|p| matches!(p.to, Destination::Publish { .. })));
    assert!(!publication(&n).unwrap().is_complete());
    let fake = FakePlatform::default();
    let posted = post_article(&n.desk, &fake, StoryId(1), "#published", &parts()).await;
    assert_eq!(posted, Posted::Complete { parts: 3 });
    assert_eq!(
        fake.calls(),
        [
            "post #published 0 → m0",
            "post #published 1 → m1",
            "post #published 2 → m2",
        ]
    );
    assert!(publication(&n).unwrap().is_complete());
    // Delivered again (a redelivered reply), nothing more goes up.
    let again = post_article(&n.desk, &fake, StoryId(1), "#published", &parts()).await;
    assert_eq!(again, Posted::Nothing);
    assert_eq!(fake.calls().len(), 3);
}

#[tokio::test]
async fn a_refused_part_takes_the_article_down_and_undoes_the_publication() {
    let n = ready();
    publish(&n, "erin");
    let fake = FakePlatform::failing(2, Failure::Refused, true);
    let posted = post_article(&n.desk, &fake, StoryId(1), "#published", &parts()).await;
    let Posted::Stopped(reply) = posted else {
        panic!("posting went on: {posted:?}");
    };
    // The parts up are deleted, the last first; nothing of the article stays.
    assert_eq!(
        fake.calls(),
        [
            "post #published 0 → m0",
            "post #published 1 → m1",
            "post #published 2 refused",
            "delete #published m1",
            "delete #published m0",
        ]
    );
    assert!(fake.parts_up().is_empty());
    assert!(publication(&n).is_none(), "the publication is undone");
    assert_eq!(reply.outcome, Outcome::Failed);
    assert!(
        told(&reply).contains("was not published: You may not post there."),
        "{}",
        told(&reply)
    );
    assert!(reply
        .posts
        .iter()
        .any(|p| matches!(p.to, Destination::Board { .. })));
    // The undo is on record against the editor who published.
    let audit = n.desk.store().audit(StoryId(1)).unwrap();
    assert_eq!(audit.last().unwrap().actor.id, "erin");
    // Publishing again starts over.
    publish(&n, "erin");
    let fake = FakePlatform::default();
    let posted = post_article(&n.desk, &fake, StoryId(1), "#published", &parts()).await;
    assert_eq!(posted, Posted::Complete { parts: 3 });
}

#[tokio::test]
async fn a_part_not_confirmed_is_kept_looked_up_and_never_posted_twice() {
    let n = ready();
    publish(&n, "erin");
    // The second part goes up, but the platform does not say so.
    let fake = FakePlatform::failing(1, Failure::NotConfirmed, true);
    let posted = post_article(&n.desk, &fake, StoryId(1), "#published", &parts()).await;
    let Posted::Stopped(reply) = posted else {
        panic!("posting went on: {posted:?}");
    };
    assert!(
        told(&reply).contains("only partly published") && told(&reply).contains("No answer came."),
        "{}",
        told(&reply)
    );
    // Nothing is deleted: whether the second part is up is not known.
    assert!(!fake.calls().iter().any(|c| c.starts_with("delete")));
    let p = publication(&n).expect("kept");
    assert_eq!(p.posting.as_ref().unwrap().posted, ["m0"]);
    // The interruption is on record against the editor who published, whoever continues.
    let audit = n.desk.store().audit(StoryId(1)).unwrap();
    assert_eq!(audit.last().unwrap().actor.id, "erin");

    // The editor publishes again: the unconfirmed part is found, only the third is posted.
    let reply = publish(&n, "erin");
    assert!(
        told(&reply).contains("Continuing to publish"),
        "{}",
        told(&reply)
    );
    let posted = post_article(&n.desk, &fake, StoryId(1), "#published", &parts()).await;
    assert_eq!(posted, Posted::Complete { parts: 3 });
    let calls = fake.calls();
    assert_eq!(calls[2..], ["look up #published", "post #published 2 → m2"]);
    assert_eq!(fake.parts_up(), [0, 1, 2], "each part once");
    assert!(publication(&n).unwrap().is_complete());
}

#[tokio::test]
async fn a_platform_that_cannot_look_up_continues_after_the_last_confirmed_part() {
    let n = ready();
    publish(&n, "erin");
    let fake = FakePlatform::failing(2, Failure::NotConfirmed, false);
    let posted = post_article(&n.desk, &fake, StoryId(1), "#published", &parts()).await;
    assert!(matches!(posted, Posted::Stopped(_)));
    assert_eq!(
        publication(&n).unwrap().posting.unwrap().posted,
        ["m0", "m1"]
    );
    publish(&n, "erin");
    let posted = post_article(&n.desk, &fake, StoryId(1), "#published", &parts()).await;
    assert_eq!(posted, Posted::Complete { parts: 3 });
    assert_eq!(
        fake.calls()[3..],
        ["look up #published", "post #published 2 → m3"]
    );
}

#[test]
fn typed_anchors_read_and_write_the_keys_older_stores_hold() {
    let n = Newsroom::new();
    let anchors = Anchors::of(&n.desk);
    let slack = ChannelKey {
        platform: Platform::Slack,
        team: "T1".into(),
        channel: "C1".into(),
    };
    let board = Anchor::Board {
        channel: slack.clone(),
        story: StoryId(4),
    };
    anchors.put(&board, "1700000000.000100").unwrap();
    // The bytes an older build wrote and reads (committed reads find an anchor once its
    // asked-for flush is done).
    n.desk.store().flush().unwrap();
    assert_eq!(
        n.desk
            .store()
            .anchor("slack/board/T1/C1/4")
            .unwrap()
            .as_deref(),
        Some("1700000000.000100")
    );
    // The source thread hangs from the board on Slack: one anchor.
    let sources = Anchor::Thread {
        channel: slack,
        story: StoryId(4),
        thread: ThreadKind::Sources,
    };
    assert_eq!(
        anchors.get(&sources).unwrap().as_deref(),
        Some("1700000000.000100")
    );
    // A Discord thread recorded by an older build is found, and forgetting it works.
    let thread = Anchor::Thread {
        channel: ChannelKey {
            platform: Platform::Discord,
            team: "1".into(),
            channel: "2".into(),
        },
        story: StoryId(4),
        thread: ThreadKind::Section("body".into()),
    };
    anchors.put(&thread, "777").unwrap();
    n.desk.store().flush().unwrap();
    assert_eq!(
        n.desk
            .store()
            .anchor("discord:thread:4:body")
            .unwrap()
            .as_deref(),
        Some("777")
    );
    anchors.forget(&thread).unwrap();
    assert_eq!(anchors.get(&thread).unwrap(), None);
}

#[tokio::test]
async fn an_anchored_message_is_edited_in_place_and_posted_again_once_gone() {
    let n = Newsroom::new();
    let anchors = Anchors::of(&n.desk);
    let board = Anchor::Board {
        channel: ChannelKey {
            platform: Platform::Slack,
            team: "T1".into(),
            channel: "C1".into(),
        },
        story: StoryId(1),
    };
    let fake = FakePlatform::default();
    let text = "the board".to_string();
    let show = || show_anchored(&anchors, &fake, &board, "C1", &text, None);
    assert_eq!(show().await.unwrap(), Shown::Posted("m0".into()));
    assert_eq!(anchors.get(&board).unwrap().as_deref(), Some("m0"));
    assert_eq!(show().await.unwrap(), Shown::Edited("m0".into()));
    // Someone deletes the board: the next change posts it again, and records where.
    fake.up.lock().unwrap().clear();
    assert_eq!(show().await.unwrap(), Shown::Posted("m1".into()));
    assert_eq!(anchors.get(&board).unwrap().as_deref(), Some("m1"));
    assert_eq!(
        fake.calls(),
        [
            "post C1 - → m0",
            "edit C1 m0",
            "edit C1 m0",
            "post C1 - → m1",
        ]
    );
}

#[tokio::test]
async fn a_storys_thread_is_started_once_bound_to_it_and_recorded() {
    let n = ready();
    let home = n.place().channel;
    let body = ThreadKind::Section("body".into());
    let fake = FakePlatform::default();
    let starter = "Review of body".to_string();
    let open = || open_thread(&n.desk, &fake, &home, StoryId(1), &body, &starter, "body");
    let before = n.desk.store().stats();
    let id = open().await.unwrap();
    // The binding and the anchor are one transaction, whose flush is asked for and not
    // waited for (the send queue goes on to its next post).
    let after = n.desk.store().stats();
    assert_eq!(after.transactions, before.transactions + 1);
    assert_eq!(after.durable_writes, before.durable_writes);
    assert_eq!(
        fake.calls(),
        [format!("start thread {} body → t0", home.channel)]
    );
    // A request from inside the thread knows its story and section.
    assert_eq!(
        n.desk.thread_target(&home, &id),
        Some((StoryId(1), body.clone()))
    );
    // Again: the recorded thread, and no call.
    assert_eq!(open().await.unwrap(), id);
    assert_eq!(fake.calls().len(), 1);
    let anchor = Anchor::Thread {
        channel: home.clone(),
        story: StoryId(1),
        thread: body,
    };
    assert_eq!(Anchors::of(&n.desk).get(&anchor).unwrap(), Some(id));
}

#[tokio::test]
async fn a_new_board_that_starts_a_thread_is_recorded_and_bound_in_one_transaction() {
    let n = ready();
    let home = n.place().channel;
    let anchors = Anchors::of(&n.desk);
    let board = Anchor::Board {
        channel: home.clone(),
        story: StoryId(1),
    };
    let fake = FakePlatform::default();
    let text = "the board".to_string();
    let starts = Starts {
        home: home.clone(),
        story: StoryId(1),
        kind: ThreadKind::Sources,
    };
    let before = n.desk.store().stats();
    let shown = show_anchored(&anchors, &fake, &board, &home.channel, &text, Some(starts)).await;
    assert_eq!(shown.unwrap(), Shown::Posted("m0".into()));
    let after = n.desk.store().stats();
    assert_eq!(after.transactions, before.transactions + 1);
    assert_eq!(after.durable_writes, before.durable_writes);
    assert_eq!(anchors.get(&board).unwrap().as_deref(), Some("m0"));
    // A reply in the board's thread knows its story: the thread is its source thread.
    assert_eq!(
        n.desk.thread_target(&home, "m0"),
        Some((StoryId(1), ThreadKind::Sources))
    );
}

/// A published article of three parts, posted as m0, m1, m2 on `fake`.
async fn published_on(fake: &FakePlatform) -> Newsroom {
    let n = ready();
    publish(&n, "erin");
    let posted = post_article(&n.desk, fake, StoryId(1), "#published", &parts()).await;
    assert_eq!(posted, Posted::Complete { parts: 3 });
    assert_eq!(publication(&n).unwrap().messages, ["m0", "m1", "m2"]);
    n
}

/// The corrected article's parts, `count` of them.
fn corrected(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("corrected part {i}")).collect()
}

#[tokio::test]
async fn a_correction_edits_the_published_parts_in_place() {
    let fake = FakePlatform::default();
    let n = published_on(&fake).await;
    let done = correct_article(&n.desk, &fake, StoryId(1), "#published", &corrected(3)).await;
    assert_eq!((done.edited, done.followed), (3, 0));
    assert!(done.reply.posts.is_empty());
    assert_eq!(
        fake.calls()[3..],
        [
            "edit #published m0",
            "edit #published m1",
            "edit #published m2"
        ]
    );
    assert_eq!(publication(&n).unwrap().messages, ["m0", "m1", "m2"]);
}

#[tokio::test]
async fn a_longer_correction_posts_its_extra_part_after_the_article_and_a_shorter_one_removes_the_rest(
) {
    let fake = FakePlatform::default();
    let n = published_on(&fake).await;
    let done = correct_article(&n.desk, &fake, StoryId(1), "#published", &corrected(4)).await;
    assert_eq!((done.edited, done.followed), (3, 1));
    assert_eq!(
        fake.calls()[3..],
        [
            "edit #published m0",
            "edit #published m1",
            "edit #published m2",
            "post #published - → m3",
        ]
    );
    // Recorded: the next correction edits all four.
    assert_eq!(publication(&n).unwrap().messages, ["m0", "m1", "m2", "m3"]);
    let done = correct_article(&n.desk, &fake, StoryId(1), "#published", &corrected(2)).await;
    assert_eq!((done.edited, done.followed), (2, 0));
    assert_eq!(
        fake.calls()[7..],
        [
            "edit #published m0",
            "edit #published m1",
            "delete #published m2",
            "delete #published m3",
        ]
    );
    assert_eq!(publication(&n).unwrap().messages, ["m0", "m1"]);
}

#[tokio::test]
async fn a_refused_or_gone_edit_posts_the_rest_as_a_follow_up() {
    let fake = FakePlatform::default();
    let n = published_on(&fake).await;
    *fake.refuse_edit.lock().unwrap() = Some("m1".into());
    let done = correct_article(&n.desk, &fake, StoryId(1), "#published", &corrected(3)).await;
    assert_eq!((done.edited, done.followed), (1, 2));
    assert_eq!(
        fake.calls()[3..],
        [
            "edit #published m0",
            "edit #published m1 refused",
            "post #published - → m3",
            "post #published - → m4",
        ]
    );
    assert_eq!(publication(&n).unwrap().messages, ["m0", "m3", "m4"]);
    // Someone deleted the first message: the whole corrected article follows.
    *fake.refuse_edit.lock().unwrap() = None;
    fake.delete("#published", "m0").await.unwrap();
    let before = fake.calls().len();
    let done = correct_article(&n.desk, &fake, StoryId(1), "#published", &corrected(3)).await;
    assert_eq!((done.edited, done.followed), (0, 3));
    assert_eq!(
        fake.calls()[before..],
        [
            "edit #published m0",
            "post #published - → m5",
            "post #published - → m6",
            "post #published - → m7",
        ]
    );
    assert_eq!(publication(&n).unwrap().messages, ["m5", "m6", "m7"]);
}

#[tokio::test]
async fn a_follow_up_the_platform_refuses_is_reported_to_the_editor() {
    let fake = FakePlatform::failing(3, Failure::Refused, false);
    let n = published_on(&fake).await;
    let done = correct_article(&n.desk, &fake, StoryId(1), "#published", &corrected(4)).await;
    assert_eq!((done.edited, done.followed), (3, 0));
    assert_eq!(done.reply.outcome, Outcome::Failed);
    insta::assert_snapshot!(told(&done.reply), @"The correction is saved, but the published article could not be fully corrected: You may not post there.");
}
