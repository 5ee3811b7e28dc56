//! Time on Discord against the fake Discord: direct messages (the DM channel, then the
//! message, once; a refusal kept by the desk for the person), time markers shown as Discord
//! timestamps, and the scheduler's deliveries by a manual clock.

mod support;

use std::sync::Arc;
use std::time::Duration;

use storydesk::desk::clock::{Clock, ManualClock};
use storydesk::desk::{Body, Destination, Due, Post, Reply};
use storydesk::model::{ChannelKey, Person, Platform, Timestamp};
use storydesk::text::when::marker;
use support::fake_discord::{dm_channel, GUILD, NEWSROOM};
use support::{Newsroom, BOB};

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
