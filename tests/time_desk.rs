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
