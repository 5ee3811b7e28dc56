//! Newsroom time at the desk itself: what a person who could not be reached by direct
//! message is shown, and what a published story says about deadlines.

mod common;

use common::Newsroom;
use insta::assert_snapshot;
use storydesk::model::{Person, Platform};

#[test]
fn a_notice_that_could_not_be_sent_is_shown_the_next_time_and_only_once() {
    let mut n = Newsroom::new();
    n.say("alice", r#"/story new title:"Council budget leak""#);
    n.desk
        .undeliverable(
            Platform::Console,
            &Person::named("bob"),
            "⏰ Reminder: the body section of #1 “Council budget leak” is due soon.",
        )
        .unwrap();
    // Someone else acting does not see it.
    assert!(!n
        .say("alice", "/story list")
        .contains("While you were away"));
    assert_snapshot!(n.say("bob", "/story mine"), @r"
    [only bob] While you were away (direct messages to you could not be delivered):

    ⏰ Reminder: the body section of #1 “Council budget leak” is due soon.
    [only bob] You are not writing any section: claim one with `/story claim section:body`.

    **Waiting for a review**
    • ◔ **title** of #1 “Council budget leak” (#newsroom) — in review
    ");
    assert!(!n.say("bob", "/story mine").contains("While you were away"));
    assert!(n
        .desk
        .store()
        .person(Platform::Console, "bob")
        .unwrap()
        .held
        .is_empty());
}

/// Two replicas on one PostgreSQL database running their schedulers at the same moment:
/// every reminder and overdue notice goes out once, whichever replica takes it.
#[test]
fn replicas_on_one_database_fire_each_job_once() {
    use storydesk::config::Config;
    use storydesk::desk::{Desk, Destination, Input, Request};
    use storydesk::model::{ChannelKey, Place, Timestamp};
    use storydesk::store::{Store, StoreOptions};
    use storydesk::template::Template;

    let server = match storydesk::testing::TestPostgres::start() {
        Ok(Some(server)) => server,
        Ok(None) => return,
        Err(why) => panic!("{why}"),
    };
    let url = server.database().unwrap();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let replicas: Vec<Desk> = dirs
        .iter()
        .map(|dir| {
            let config =
                Config::from_overlay(Some("[roles]\neditors = [\"erin\"]\n"), "test").unwrap();
            let template = Template::load(&config.story.template).unwrap();
            let options = StoreOptions {
                database_url: Some(url.clone()),
                ..StoreOptions::default()
            };
            Desk::new(Store::open(dir.path(), options).unwrap(), config, template)
        })
        .collect();
    const START: i64 = 1_796_630_400_000; // 2026-12-07 08:00 UTC
    const HOUR: i64 = 3_600_000;
    let say = |desk: &Desk, who: &str, text: &str| {
        desk.handle(Request {
            actor: Person::named(who),
            memberships: Default::default(),
            place: Place {
                channel: ChannelKey {
                    platform: Platform::Console,
                    team: "local".into(),
                    channel: "newsroom".into(),
                },
                thread: None,
            },
            at: Timestamp(START),
            input: Input::Text {
                text: text.into(),
                body: None,
            },
            event: None,
            story: None,
        })
    };
    const STORIES: usize = 10;
    for k in 0..STORIES {
        let desk = &replicas[k % 2];
        say(desk, "alice", &format!("/story new title:\"Story {k}\""));
        say(desk, "alice", "/story claim section:body");
        let set = say(desk, "alice", "/story due section:body at:+3h");
        assert!(!set.is_refused(), "{set:?}");
    }
    // Four hours later both replicas' schedulers wake at once.
    let at = Timestamp(START + 4 * HOUR);
    let fired: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = replicas
            .iter()
            .map(|desk| scope.spawn(move || desk.run_due(Platform::Console, at).unwrap()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let posts = |wanted: fn(&Destination) -> bool| {
        fired
            .iter()
            .flat_map(|due| &due.reply.posts)
            .filter(|p| wanted(&p.to))
            .count()
    };
    // Each story: a reminder and an overdue message to alice, one notice to the editors.
    assert_eq!(
        posts(|d| matches!(d, Destination::Direct { .. })),
        2 * STORIES
    );
    assert_eq!(posts(|d| matches!(d, Destination::Channel)), STORIES);
    for desk in &replicas {
        assert_eq!(desk.next_due(Platform::Console).unwrap(), None);
        assert!(desk.run_due(Platform::Console, at).unwrap().is_empty());
    }
}
