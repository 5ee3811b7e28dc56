//! Time on Discord against the fake Discord: direct messages (the DM channel, then the
//! message, once; a refusal kept by the desk for the person), time markers shown as Discord
//! timestamps, and the scheduler's deliveries by a manual clock.

mod support;

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use storydesk::desk::clock::{Clock, ManualClock};
use storydesk::desk::{Body, Destination, Due, Post, Reply};
use storydesk::model::{ChannelKey, Person, Platform, Timestamp};
use storydesk::text::when::marker;
use support::fake_discord::{dm_channel, GUILD, NEWSROOM};
use support::{command, Newsroom, Where, ALICE, BOB, ERIN};

/// 2026-12-06 17:00 UTC.
const AT: Timestamp = Timestamp(1_796_576_400_000);

/// What a reminder job sends: a direct message to bob with a due time in it.
fn reminder() -> Due {
    Due {
        channel: ChannelKey {
            platform: Platform::Discord,
            team: GUILD.to_string(),
            channel: NEWSROOM.to_string(),
        },
        reply: Reply {
            posts: vec![Post {
                to: Destination::Direct {
                    person: Person {
                        id: BOB.0.to_string(),
                        name: BOB.1.to_string(),
                    },
                },
                body: Body::Text(format!("Your body section is due {}.", marker(AT))),
            }],
            ..Reply::default()
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_message_opens_the_dm_channel_and_posts_once_with_a_timestamp() {
    let n = Newsroom::start(false).await;
    n.discord.deliver_due(reminder()).await;
    n.discord.idle().await;
    let opened = n.fake.calls_to("POST", |p| p == "/users/@me/channels");
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].body["recipient_id"], BOB.0.to_string());
    let posted = n.fake.posted_in(dm_channel(BOB.0));
    assert_eq!(posted.len(), 1);
    assert_eq!(
        posted[0].body["content"],
        "Your body section is due <t:1796576400:f> (<t:1796576400:R>)."
    );
    assert!(n.fake.posted_in(NEWSROOM).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_direct_message_is_kept_for_the_person_and_not_sent_again() {
    let n = Newsroom::start(false).await;
    let path = format!("/channels/{}/messages", dm_channel(BOB.0));
    n.fake.script("POST", &path, 0, 403, 50007, &[]);
    n.discord.deliver_due(reminder()).await;
    n.discord.idle().await;
    assert_eq!(n.fake.calls_to("POST", |p| p == path).len(), 1);
    assert!(n.fake.posted_in(NEWSROOM).is_empty());
    let bob = n
        .discord
        .desk()
        .store()
        .person(Platform::Discord, &BOB.0.to_string())
        .unwrap();
    assert!(!bob.held.is_empty(), "{bob:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_runs_by_its_clock_and_fires_nothing_unscheduled() {
    let n = Newsroom::start(false).await;
    let clock = ManualClock::at(Timestamp(AT.0 - 3_600_000));
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let discord = n.discord.clone();
    let scheduler = tokio::spawn(storydesk::serve::scheduler::run(
        n.discord.desk().clone(),
        Platform::Discord,
        shared,
        move |due| {
            let discord = discord.clone();
            async move { discord.deliver_due(due).await }
        },
    ));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    clock.advance(2 * 3_600_000);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    scheduler.abort();
    assert!(n
        .fake
        .calls_to("POST", |p| p == "/users/@me/channels")
        .is_empty());
}

/// Starts the Discord scheduler on `n`'s desk, by `clock`, delivering through the adapter.
fn scheduler(n: &Newsroom, clock: &ManualClock) -> tokio::task::JoinHandle<()> {
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let discord = n.discord.clone();
    tokio::spawn(storydesk::serve::scheduler::run(
        n.discord.desk().clone(),
        Platform::Discord,
        shared,
        move |due| {
            let discord = discord.clone();
            async move { discord.deliver_due(due).await }
        },
    ))
}

/// A story whose body bob claimed, due in three hours (`/story-time due`, by erin, the
/// editor): the board shows the time as a Discord timestamp.
async fn body_due_in_three_hours(n: &Newsroom) {
    n.send(command(
        n.id(),
        ALICE,
        Where::Newsroom,
        "new",
        &[("title", json!("Harbour budget"))],
        None,
    ))
    .await;
    n.send(command(
        n.id(),
        BOB,
        Where::Newsroom,
        "claim",
        &[("section", json!("body"))],
        None,
    ))
    .await;
    n.send(command(
        n.id(),
        ERIN,
        Where::Newsroom,
        "due",
        &[("section", json!("body")), ("at", json!("+3h"))],
        None,
    ))
    .await;
    let said: Vec<String> = n
        .fake
        .calls_to("POST", |p| p.starts_with("/webhooks/"))
        .into_iter()
        .chain(n.fake.calls_to("PATCH", |p| p.starts_with("/webhooks/")))
        .filter_map(|c| c.body["content"].as_str().map(str::to_string))
        .collect();
    let edits = n.fake.calls_to("PATCH", |p| {
        p.starts_with(&format!("/channels/{NEWSROOM}/messages/"))
    });
    let board = edits
        .iter()
        .filter_map(|c| c.body["content"].as_str())
        .next_back()
        .unwrap_or_default()
        .to_string();
    assert!(board.contains(" · due <t:"), "{board}\n{said:?}");
    assert!(!board.contains("<time:"), "{board}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_shows_the_due_time_and_the_writer_is_reminded_once() {
    let n = Newsroom::start(false).await;
    body_due_in_three_hours(&n).await;
    let clock = ManualClock::at(Timestamp::now());
    let running = scheduler(&n, &clock);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(n.fake.posted_in(dm_channel(BOB.0)).is_empty(), "not yet");
    clock.advance(3_600_000 + 60_000);
    n.fake
        .wait_for("the reminder", |calls| {
            calls
                .iter()
                .any(|c| c.path == format!("/channels/{}/messages", dm_channel(BOB.0)))
        })
        .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    running.abort();
    let posted = n.fake.posted_in(dm_channel(BOB.0));
    assert_eq!(posted.len(), 1);
    let text = posted[0].body["content"].as_str().unwrap_or_default();
    assert!(text.contains("Reminder") && text.contains("<t:"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_discord_refuses_is_kept_for_the_writer() {
    let n = Newsroom::start(false).await;
    body_due_in_three_hours(&n).await;
    let path = format!("/channels/{}/messages", dm_channel(BOB.0));
    n.fake.script("POST", &path, 0, 403, 50007, &[]);
    let clock = ManualClock::at(Timestamp::now());
    let running = scheduler(&n, &clock);
    clock.advance(3_600_000 + 60_000);
    let desk = n.discord.desk().clone();
    let mut held = Vec::new();
    for _ in 0..200 {
        held = desk
            .store()
            .person(Platform::Discord, &BOB.0.to_string())
            .unwrap()
            .held;
        if !held.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    running.abort();
    assert!(held.iter().any(|h| h.contains("Reminder")), "{held:?}");
    assert_eq!(n.fake.calls_to("POST", |p| p == path).len(), 1);
}
