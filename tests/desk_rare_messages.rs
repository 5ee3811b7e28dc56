//! Sentences for situations a scenario cannot bring about on demand: a failure inside
//! storydesk (its reference is random), a story changed in the instant between the checks
//! and the publication, a section saved by others at the same moment sixteen times over, an
//! HTTP client that cannot be built, a store that fails while an article is being posted.
//! Their wording is pinned here; the code paths that use them are tested where they can be
//! (`tests/crash.rs`, `tests/properties.rs`).

use insta::assert_snapshot;
use storydesk::assist::Failure;
use storydesk::desk::messages;

#[test]
fn failures_that_are_ours_say_so_and_that_nothing_changed() {
    assert_snapshot!(messages::internal_error("5f3a9c01"), @"Sorry, something went wrong on our side and nothing was changed. If it happens again, give an operator this reference: `5f3a9c01`.");
    // The platform confirmed a part of an article and the store could not record it.
    assert_snapshot!(messages::posting_not_recorded(), @"I could not record which messages are up.");
    assert_snapshot!(
        messages::drafting_unavailable(&Failure::Unreachable {
            host: "127.0.0.1:11434".into(),
            reason: "the TLS backend could not start".into(),
        }),
        @"Drafting is not available: the model server at 127.0.0.1:11434 could not be reached (the TLS backend could not start); is it running? For Ollama: `ollama serve`. Nothing was sent."
    );
}

#[test]
fn races_lost_say_nothing_was_done_and_what_to_do() {
    assert_snapshot!(messages::changed_while_publishing(), @"The story changed while it was being published; nothing was posted. Check it and publish again.");
    assert_snapshot!(messages::saved_meanwhile(), @"Others saved this section at the same moment several times; nothing was saved. Send it again.");
    // The delivery backlog stayed full (a platform slow or limiting us for long):
    // `deliver::queue` refuses before the desk changes anything.
    assert_snapshot!(messages::busy_delivering(), @"storydesk is still posting earlier changes and cannot take this one yet; nothing was changed. Try again in a minute.");
}
