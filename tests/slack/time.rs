//! Time on Slack: direct messages (sent once; a refusal kept by the desk for the person),
//! time markers shown as Slack dates, the profile's zone learnt with the name, and the
//! scheduler's deliveries.

use std::sync::Arc;

use storydesk::desk::clock::{Clock, ManualClock};
use storydesk::desk::{Body, Destination, Due, Post, Reply};
use storydesk::model::{ChannelKey, Person, Platform, Timestamp};
use storydesk::text::when::marker;

use super::fake::USER_ZONE;
use super::world::{Via, World, ALICE, BOB, ERIN, NEWS, TEAM};

/// 2026-12-06 17:00 UTC.
const AT: Timestamp = Timestamp(1_796_576_400_000);

/// The story channel's key, as the adapter builds it.
fn news() -> ChannelKey {
    ChannelKey {
        platform: Platform::Slack,
        team: TEAM.to_string(),
        channel: NEWS.to_string(),
    }
}

/// What a reminder job sends: a direct message to bob with a due time in it.
fn reminder() -> Due {
    Due {
        channel: news(),
        reply: Reply {
            posts: vec![Post {
                to: Destination::Direct {
                    person: Person {
                        id: BOB.id.to_string(),
                        name: BOB.name.to_string(),
                    },
                },
                body: Body::Text(format!("Your body section is due {}.", marker(AT))),
            }],
            ..Reply::default()
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_message_reaches_the_person_once_with_a_slack_date() {
    let w = World::start(Via::Http).await;
    w.slack.deliver_due(reminder()).await;
    w.slack.idle().await;
    let dm = w
        .fake
        .wait_call("chat.postMessage", "Your body section is due")
        .await;
    assert_eq!(dm.channel(), BOB.id);
    let text = dm.body.to_string();
    assert!(
        text.contains("<!date^1796576400^{date_short_pretty} {time}|2026-12-06 17:00 UTC>"),
        "{text}"
    );
    assert!(!text.contains("<time:"), "{text}");
    assert_eq!(w.fake.posts_in(BOB.id).len(), 1);
    assert!(w.fake.posts_in(NEWS).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_direct_message_is_kept_for_the_person_and_not_sent_again() {
    let w = World::start(Via::Http).await;
    w.fake
        .refuse("chat.postMessage", BOB.id, "messages_tab_disabled", 5);
    w.slack.deliver_due(reminder()).await;
    w.slack.idle().await;
    assert_eq!(w.fake.attempts_of("chat.postMessage"), 1);
    // Nothing said in the channel: the desk shows it to bob next time he acts.
    assert!(w.fake.posts_in(NEWS).is_empty());
    let bob = w
        .slack
        .desk()
        .store()
        .person(Platform::Slack, BOB.id)
        .unwrap();
    assert!(!bob.held.is_empty(), "{bob:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_sends_nothing_when_nothing_is_scheduled() {
    let w = World::start(Via::Http).await;
    let clock = ManualClock::at(Timestamp(AT.0 - 3_600_000));
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let slack = w.slack.clone();
    let desk = w.slack.desk().clone();
    let scheduler = tokio::spawn(storydesk::serve::scheduler::run(
        desk,
        Platform::Slack,
        shared,
        move |due| {
            let slack = slack.clone();
            async move { slack.deliver_due(due).await }
        },
    ));
    // Nothing is due before the time comes, whatever the wall clock says.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(w.fake.calls_of("chat.postMessage").is_empty());
    clock.set(AT);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    scheduler.abort();
    // What jobs fire is the desk's (`Desk::run_due`); here none was scheduled.
    assert!(w.fake.posts_in(BOB.id).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_profile_zone_is_learnt_with_the_name() {
    let w = World::start(Via::Http).await;
    w.command(ALICE, "new title:\"Harbour budget\"").await;
    let board = w.board().await;
    let ts = board.ts.clone().unwrap();
    w.event(
        w.message_event("Ev0TZ", BOB, &ts, "The harbour memo, as sent.", &[]),
        0,
    )
    .await;
    w.fake.wait_post(NEWS, Some(&ts), "added by bob").await;
    w.slack.idle().await;
    assert_eq!(w.fake.calls_of("users.info").len(), 1);
    let bob = w
        .slack
        .desk()
        .store()
        .person(Platform::Slack, BOB.id)
        .unwrap();
    assert_eq!(bob.platform_zone.as_deref(), Some(USER_ZONE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_typed_in_a_slash_command_is_read_in_the_profiles_zone() {
    let w = World::start(Via::Http).await;
    w.command(ALICE, "new title:\"Harbour budget\"").await;
    w.board().await;
    assert!(w.fake.calls_of("users.info").is_empty());
    // Alice only ever typed slash commands: her zone is asked of Slack before her time is
    // read. 18:00 in Europe/Berlin on 24 December is 17:00 UTC.
    w.command(ALICE, "due section:title at:\"2026-12-24 18:00\"")
        .await;
    let board = w.fake.wait_call("chat.update", "<!date^1798131600^").await;
    assert!(
        board.body.to_string().contains("2026-12-24 17:00 UTC"),
        "{}",
        board.body
    );
    assert_eq!(w.fake.calls_of("users.info").len(), 1);
    // Known now: not asked again.
    w.command(ALICE, "due section:title at:\"2026-12-24 19:00\"")
        .await;
    w.fake.wait_call("chat.update", "<!date^1798135200^").await;
    assert_eq!(w.fake.calls_of("users.info").len(), 1);
}

/// Starts the Slack scheduler on `w`'s desk, by `clock`, delivering through the adapter.
pub fn scheduler(w: &World, clock: &ManualClock) -> tokio::task::JoinHandle<()> {
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let slack = w.slack.clone();
    tokio::spawn(storydesk::serve::scheduler::run(
        w.slack.desk().clone(),
        Platform::Slack,
        shared,
        move |due| {
            let slack = slack.clone();
            async move { slack.deliver_due(due).await }
        },
    ))
}

/// A story whose body bob claimed, due in three hours (set by erin, the editor): the
/// board shows the time as a Slack date.
async fn body_due_in_three_hours(w: &World) {
    w.command(ALICE, "new title:\"Harbour budget\"").await;
    w.board().await;
    w.command(BOB, "claim section:body").await;
    w.command(ERIN, "due section:body at:+3h").await;
    let board = w.fake.wait_call("chat.update", "<!date^").await;
    assert!(!board.body.to_string().contains("<time:"), "{}", board.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_shows_the_due_time_and_the_writer_is_reminded_once() {
    let w = World::start(Via::Http).await;
    body_due_in_three_hours(&w).await;
    let clock = ManualClock::at(Timestamp::now());
    let running = scheduler(&w, &clock);
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert!(
        w.fake.posts_in(BOB.id).is_empty(),
        "not yet: reminders come 2 h before"
    );
    clock.advance(3_600_000 + 60_000);
    let dm = w.fake.wait_post(BOB.id, None, "Reminder").await;
    assert!(dm.body.to_string().contains("<!date^"), "{}", dm.body);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    running.abort();
    assert_eq!(w.fake.posts_in(BOB.id).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_slack_refuses_is_kept_for_the_writer() {
    let w = World::start(Via::Http).await;
    body_due_in_three_hours(&w).await;
    w.fake
        .refuse("chat.postMessage", BOB.id, "cannot_dm_bot", 5);
    let clock = ManualClock::at(Timestamp::now());
    let running = scheduler(&w, &clock);
    clock.advance(3_600_000 + 60_000);
    let desk = w.slack.desk().clone();
    let mut held = Vec::new();
    for _ in 0..200 {
        held = desk.store().person(Platform::Slack, BOB.id).unwrap().held;
        if !held.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    running.abort();
    assert!(held.iter().any(|h| h.contains("Reminder")), "{held:?}");
    // Every chat.postMessage so far: the channel's, and one try to bob.
    let tried = w.fake.attempts_of("chat.postMessage") - w.fake.posts_in(NEWS).len();
    assert_eq!(tried, 1, "a refused direct message is not sent again");
}
