//! Two people on one section at once, through the real write form: each form carries the
//! revision it showed (its `private_metadata`), and a form submitted over an older revision
//! is merged with what was saved since, or kept for its writer with a Resolve button.

use serde_json::Value;
use storydesk::model::StoryId;
use storydesk::slack::blocks::{box_block_id, split_for_boxes, RESOLVE_ACTION};

use crate::fake::Call;
use crate::world::{Via, Who, World, ALICE, BOB, NEWS};

const LEAD: &str = "The city council has postponed its vote on the harbour budget to March.";
const COST: &str = "The estimate for dredging the harbour doubled to 4 million euros.";
const COMMENT: &str = "The mayor's office did not answer a request for comment.";

fn body(lead: &str, cost: &str, comment: &str) -> String {
    format!("{lead}\n\n{cost}\n\n{comment}")
}

/// `/story write body` by `who`: the form Slack was asked to open for them.
async fn open_write_form(w: &World, who: Who) -> Call {
    let mark = w.fake.mark();
    assert_eq!(w.command(who, "write body").await, Value::Null);
    w.fake
        .wait("the write form", |calls| {
            calls[mark..]
                .iter()
                .find(|c| c.method == "views.open")
                .cloned()
        })
        .await
}

/// The text boxes of a form filled with `text`.
fn boxes(text: &str) -> Vec<(String, String)> {
    split_for_boxes(text)
        .0
        .into_iter()
        .enumerate()
        .map(|(i, v)| (box_block_id(i), v))
        .collect()
}

async fn submit_text(w: &World, who: Who, form: &Call, text: &str) {
    let values = boxes(text);
    let values: Vec<(&str, &str)> = values
        .iter()
        .map(|(b, v)| (b.as_str(), v.as_str()))
        .collect();
    assert_eq!(w.submit(who, form, &values).await, Value::Null);
}

fn metadata(form: &Call) -> Value {
    serde_json::from_str(form.body["view"]["private_metadata"].as_str().unwrap()).unwrap()
}

fn revisions(w: &World) -> u32 {
    let story = w.slack.desk().store().story(StoryId(1)).unwrap().unwrap();
    story.section("body").map_or(0, |s| s.revisions)
}

fn current(w: &World) -> String {
    let n = revisions(w);
    w.slack
        .desk()
        .store()
        .revision(StoryId(1), "body", n)
        .unwrap()
        .unwrap()
        .text
}

/// The note that a body was saved shorter than the template's 500 characters, posted
/// after `mark`.
async fn short_body_noted(w: &World, mark: usize) {
    w.fake
        .wait_call_after(
            mark,
            "chat.postEphemeral",
            "the template asks for at least 500",
        )
        .await;
}

/// A story whose body bob wrote (revision 1), and the write forms bob and alice then opened.
async fn both_forms_open(w: &World) -> (Call, Call) {
    w.command(ALICE, "new Harbour budget vote delayed").await;
    w.board().await;
    let mark = w.fake.mark();
    assert_eq!(
        w.write(BOB, "body", &body(LEAD, COST, COMMENT)).await,
        Value::Null
    );
    short_body_noted(w, mark).await;
    w.review_post("body", 1).await;
    let bobs = open_write_form(w, BOB).await;
    let alices = open_write_form(w, ALICE).await;
    for form in [&bobs, &alices] {
        let meta = metadata(form);
        assert!(
            meta["o"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o == &serde_json::json!(["base", "1"])),
            "the form carries the revision it shows: {meta}"
        );
    }
    (bobs, alices)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_on_one_revision_in_different_paragraphs_merge() {
    let w = World::start(Via::Http).await;
    let (bobs, alices) = both_forms_open(&w).await;
    let bob_lead = "The city council has postponed its vote on the harbour budget to March 12.";
    let mark = w.fake.mark();
    submit_text(&w, BOB, &bobs, &body(bob_lead, COST, COMMENT)).await;
    w.review_post("body", 2).await;
    short_body_noted(&w, mark).await;

    // alice's form still shows revision 1: her change of the last paragraph merges.
    let alice_comment = "The mayor's office declined to comment.";
    let mark = w.fake.mark();
    submit_text(&w, ALICE, &alices, &body(LEAD, COST, alice_comment)).await;
    let review = w.review_post("body", 3).await;
    short_body_noted(&w, mark).await;
    let note = w
        .fake
        .wait_post(NEWS, review.thread(), "merged with bob's revision 2")
        .await;
    assert!(
        note.text()
            .contains("alice wrote over body revision 1; merged with bob's revision 2."),
        "{}",
        note.text()
    );
    assert_eq!(revisions(&w), 3);
    // bob's date is still in the current text, with alice's change.
    assert_eq!(current(&w), body(bob_lead, COST, alice_comment));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_on_one_revision_changing_the_same_words_conflict_and_resolve_opens_the_form() {
    let w = World::start(Via::Http).await;
    let (bobs, alices) = both_forms_open(&w).await;
    let bob_cost = "The estimate for dredging the harbour doubled to 5 million euros.";
    submit_text(&w, BOB, &bobs, &body(LEAD, bob_cost, COMMENT)).await;
    w.review_post("body", 2).await;

    let mark = w.fake.mark();
    let alice_cost = "The estimate for dredging the harbour doubled to 4.5 million euros.";
    let alices_text = body(LEAD, alice_cost, COMMENT);
    submit_text(&w, ALICE, &alices, &alices_text).await;
    // alice alone is told, with both versions, and gets a Resolve button.
    let told = w
        .fake
        .wait_call_after(mark, "chat.postEphemeral", "Not saved: your text")
        .await;
    assert_eq!(told.body["user"], ALICE.id);
    let text = told.text();
    assert!(
        text.contains("bob's revision 2 changed the same passage"),
        "{text}"
    );
    assert!(text.contains("> 4.5"), "alice's version: {text}");
    assert!(text.contains("> 5"), "bob's version: {text}");
    assert!(told.button(RESOLVE_ACTION).is_some(), "{}", told.body);
    // Nothing of alice's is current, and nothing was posted for review.
    assert_eq!(revisions(&w), 2);
    assert_eq!(current(&w), body(LEAD, bob_cost, COMMENT));
    assert!(!w
        .fake
        .since(mark)
        .iter()
        .any(|c| c.method == "chat.postMessage" && c.text().contains("revision 3")));

    // Resolve opens the form, prefilled with her text and bob's between markers.
    let mark = w.fake.mark();
    assert_eq!(
        w.click_ephemeral(ALICE, &told, RESOLVE_ACTION).await,
        Value::Null
    );
    let form = w
        .fake
        .wait("the resolve form", |calls| {
            calls[mark..]
                .iter()
                .find(|c| c.method == "views.open")
                .cloned()
        })
        .await;
    let prefill: String = form.body["view"]["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["element"]["initial_value"].as_str())
        .collect();
    assert!(prefill.contains("<<<<<<< yours\n"), "{prefill}");
    assert!(prefill.contains(">>>>>>> revision 2 by bob"), "{prefill}");
    assert!(
        prefill.contains("4.5") && prefill.contains("5 million"),
        "{prefill}"
    );
    // The form is based on revision 2: a resolved text saved from it is revision 3.
    assert!(metadata(&form)["o"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o == &serde_json::json!(["base", "2"])));
    let mark = w.fake.mark();
    submit_text(&w, ALICE, &form, &body(LEAD, alice_cost, COMMENT)).await;
    w.review_post("body", 3).await;
    short_body_noted(&w, mark).await;
    assert_eq!(current(&w), alices_text);
}
