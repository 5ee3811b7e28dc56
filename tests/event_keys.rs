//! The desk does each inbound event once, by its typed key: a Slack event retried, a form
//! submitted twice, a Discord interaction delivered again have one effect; the same id from
//! another workspace is another event; a read is answered once but never claimed on disk.

mod common;

use common::Newsroom;
use storydesk::desk::{EventKey, EventKind, Input, Outcome, Reply, Request};
use storydesk::model::{ChannelKey, Person, Place, Platform, StoryId, Timestamp};

/// A desk with one story started in `#newsroom` of workspace T1 on `platform`.
fn newsroom(platform: Platform) -> (Newsroom, Place) {
    let n = Newsroom::new();
    let place = Place {
        channel: ChannelKey {
            platform,
            team: "T1".into(),
            channel: "C1".into(),
        },
        thread: None,
    };
    let reply = send(&n, &place, "/story new A story", None, None);
    assert_eq!(reply.outcome, Outcome::Done);
    (n, place)
}

fn send(
    n: &Newsroom,
    place: &Place,
    text: &str,
    body: Option<&str>,
    event: Option<EventKey>,
) -> Reply {
    n.desk.handle(Request {
        actor: Person {
            id: "U1".into(),
            name: "alice".into(),
        },
        memberships: Default::default(),
        place: place.clone(),
        at: Timestamp::now(),
        input: Input::Text {
            text: text.into(),
            body: body.map(str::to_string),
        },
        event,
        story: None,
    })
}

fn sources(n: &Newsroom) -> usize {
    n.desk.story(StoryId(1)).unwrap().unwrap().sources.len()
}

#[test]
fn a_retried_slack_event_adds_one_source() {
    let (n, place) = newsroom(Platform::Slack);
    let event = EventKey::new(Platform::Slack, "T1", EventKind::Event, "Ev0123");
    let file = event.part("file", "F1");
    let first = send(
        &n,
        &place,
        "/story source add label:memo",
        Some("The memo says four war rooms were set up."),
        Some(file.clone()),
    );
    assert_eq!(first.outcome, Outcome::Done);
    for _ in 0..3 {
        let again = send(
            &n,
            &place,
            "/story source add label:memo",
            Some("The memo says four war rooms were set up."),
            Some(file.clone()),
        );
        assert!(again.is_duplicate() && again.posts.is_empty());
    }
    assert_eq!(sources(&n), 1);
    // The claim is durable: it holds after a restart of the desk.
    assert!(n.desk.claimed_durably(&file, Timestamp::now()).unwrap());
    let n = n.restarted("[roles]\neditors = [\"erin\"]\n");
    let after = send(
        &n,
        &place,
        "/story source add label:memo",
        Some("The memo says four war rooms were set up."),
        Some(file),
    );
    assert!(after.is_duplicate());
    assert_eq!(sources(&n), 1);
}

#[test]
fn a_redelivered_discord_interaction_has_one_effect_and_another_guilds_id_is_another() {
    let (n, place) = newsroom(Platform::Discord);
    let key = |team: &str| EventKey::new(Platform::Discord, team, EventKind::Interaction, "42");
    let add = |event: EventKey| {
        send(
            &n,
            &place,
            "/story source add label:tip",
            Some("A tip about the harbour budget."),
            Some(event),
        )
    };
    assert_eq!(add(key("T1")).outcome, Outcome::Done);
    assert!(add(key("T1")).is_duplicate());
    assert_eq!(sources(&n), 1);
    // The same interaction id under another guild, or as another kind of event, is not a
    // redelivery of this one.
    assert_eq!(add(key("T2")).outcome, Outcome::Done);
    let click = EventKey::new(Platform::Discord, "T1", EventKind::Click, "42");
    assert_eq!(add(click).outcome, Outcome::Done);
    assert_eq!(sources(&n), 3);
}

#[test]
fn a_repeated_read_is_answered_once_and_never_claimed_on_disk() {
    let (n, place) = newsroom(Platform::Slack);
    let key = EventKey::new(Platform::Slack, "T1", EventKind::Command, "trigger-1");
    let first = send(&n, &place, "/story status", None, Some(key.clone()));
    assert_eq!(first.outcome, Outcome::Done);
    assert!(!first.posts.is_empty());
    let again = send(&n, &place, "/story status", None, Some(key.clone()));
    assert!(again.is_duplicate() && again.posts.is_empty());
    assert!(!n.desk.claimed_durably(&key, Timestamp::now()).unwrap());
}

#[test]
fn a_refusal_says_so_in_the_reply_not_only_in_its_words() {
    let (n, place) = newsroom(Platform::Slack);
    let refused = send(&n, &place, "/story publish", None, None);
    assert_eq!(refused.outcome, Outcome::Refused);
    assert!(refused.is_refused());
    let parse_error = send(&n, &place, "/story frobnicate", None, None);
    assert_eq!(parse_error.outcome, Outcome::Refused);
}
