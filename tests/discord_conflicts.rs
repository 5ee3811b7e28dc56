//! Two people on one section at once on Discord: each write form's custom id carries the
//! revision it showed (`sd:write:{story}@{base}:{section}`), and a form submitted over an
//! older revision is merged with what was saved since, or kept for its writer with a
//! Resolve button that opens the form again with the overlaps between markers.

mod support;

use serde_json::{json, Value};
use storydesk::model::StoryId;
use support::{button, command, modal, Newsroom, Where, ALICE, BOB};

const LEAD: &str = "The city council adopted the harbour budget on Friday by 21 votes to 14.";
const COST: &str = "The finance committee had asked for a cut of 4 million euros.";
const COMMENT: &str = "The mayor's office did not answer a request for comment.";

fn body(lead: &str, cost: &str, comment: &str) -> String {
    format!("{lead}\n\n{cost}\n\n{comment}")
}

/// The id of a story's thread, as the adapter recorded it.
fn thread(n: &Newsroom, kind: &str) -> u64 {
    n.discord
        .desk()
        .store()
        .anchor_as_recorded(&format!("discord:thread:1:{kind}"))
        .unwrap()
        .unwrap_or_else(|| panic!("no {kind} thread"))
        .parse()
        .unwrap()
}

fn revisions(n: &Newsroom) -> u32 {
    let story = n.discord.desk().store().story(StoryId(1)).unwrap().unwrap();
    story.section("body").map_or(0, |s| s.revisions)
}

fn current(n: &Newsroom) -> String {
    n.discord
        .desk()
        .store()
        .revision(StoryId(1), "body", revisions(n))
        .unwrap()
        .unwrap()
        .text
}

/// `/story write section:body` by `who`: the form's custom id and its prefilled text.
async fn open_form(n: &Newsroom, who: (u64, &str)) -> (String, String) {
    let answer = n
        .send(command(
            n.id(),
            who,
            Where::Newsroom,
            "write",
            &[("section", json!("body"))],
            None,
        ))
        .await;
    assert_eq!(answer["type"], 9, "{answer}");
    form_of(&answer)
}

fn form_of(answer: &Value) -> (String, String) {
    let id = answer["data"]["custom_id"].as_str().unwrap().to_string();
    let prefill: String = answer["data"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|row| row["components"][0]["value"].as_str())
        .collect();
    (id, prefill)
}

async fn submit(n: &Newsroom, who: (u64, &str), form: &str, text: &str) -> Value {
    n.send(modal(
        n.id(),
        who,
        Where::Newsroom,
        form,
        &[("text1", text), ("text2", "")],
    ))
    .await
}

/// A story whose body bob wrote (revision 1), and the write forms bob and alice then opened.
async fn both_forms_open(n: &Newsroom) -> (String, String) {
    let answer = n
        .send(command(
            n.id(),
            ALICE,
            Where::Newsroom,
            "new",
            &[("title", json!("Harbour budget passes after a long night"))],
            None,
        ))
        .await;
    assert_eq!(answer["type"], 4, "{answer}");
    let (first, _) = open_form(n, BOB).await;
    assert_eq!(first, "sd:write:1@0:body", "no text yet: over nothing");
    submit(n, BOB, &first, &body(LEAD, COST, COMMENT)).await;
    assert_eq!(revisions(n), 1);
    let (bobs, _) = open_form(n, BOB).await;
    let (alices, prefill) = open_form(n, ALICE).await;
    assert_eq!(bobs, "sd:write:1@1:body");
    assert_eq!(alices, "sd:write:1@1:body");
    assert_eq!(prefill, body(LEAD, COST, COMMENT));
    (bobs, alices)
}

async fn forms_in_different_paragraphs_merge(gateway: bool) {
    let n = Newsroom::start(gateway).await;
    let (bobs, alices) = both_forms_open(&n).await;
    let bob_lead = "The city council adopted the harbour budget early on Friday by 21 votes to 14.";
    submit(&n, BOB, &bobs, &body(bob_lead, COST, COMMENT)).await;
    assert_eq!(revisions(&n), 2);

    // alice's form still says revision 1: her change of the last paragraph merges.
    let alice_comment = "The mayor's office declined to comment.";
    submit(&n, ALICE, &alices, &body(LEAD, COST, alice_comment)).await;
    assert_eq!(revisions(&n), 3);
    assert_eq!(current(&n), body(bob_lead, COST, alice_comment));
    let posts: Vec<String> = n
        .fake
        .posted_in(thread(&n, "body"))
        .iter()
        .filter_map(|c| c.body["content"].as_str().map(str::to_string))
        .collect();
    assert!(
        posts
            .iter()
            .any(|p| p
                .starts_with("alice wrote over body revision 1; merged with bob's revision 2.")),
        "{posts:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_in_different_paragraphs_merge_over_the_gateway() {
    forms_in_different_paragraphs_merge(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_in_different_paragraphs_merge_over_the_interactions_endpoint() {
    forms_in_different_paragraphs_merge(false).await;
}

async fn forms_changing_the_same_words_conflict(gateway: bool) {
    let n = Newsroom::start(gateway).await;
    let (bobs, alices) = both_forms_open(&n).await;
    let bob_cost = "The finance committee had asked for a cut of 5 million euros.";
    submit(&n, BOB, &bobs, &body(LEAD, bob_cost, COMMENT)).await;
    assert_eq!(revisions(&n), 2);
    let posted_before = n.fake.posted_in(thread(&n, "body")).len();

    let alice_cost = "The finance committee had asked for a cut of 4.5 million euros.";
    let alices_text = body(LEAD, alice_cost, COMMENT);
    let answer = submit(&n, ALICE, &alices, &alices_text).await;
    // alice alone is told, with both versions, and a Resolve button under it.
    assert_eq!(answer["type"], 4, "{answer}");
    assert_eq!(answer["data"]["flags"], 64, "only alice sees it: {answer}");
    let told = answer["data"]["content"].as_str().unwrap();
    assert!(
        told.starts_with("Not saved: your text of **body** was written over an older revision, and bob's revision 2 changed the same passage."),
        "{told}"
    );
    assert!(told.contains("Yours:\n> 4.5\nRevision 2:\n> 5\n"), "{told}");
    let resolve = &answer["data"]["components"][0]["components"][0];
    assert_eq!(resolve["label"], "Resolve", "{answer}");
    let resolve = resolve["custom_id"].as_str().unwrap().to_string();
    assert_eq!(resolve, "sd:resolve:1:0:body");
    // Nothing of alice's is current, and nothing more is posted in the thread.
    assert_eq!(revisions(&n), 2);
    assert_eq!(current(&n), body(LEAD, bob_cost, COMMENT));
    assert_eq!(n.fake.posted_in(thread(&n, "body")).len(), posted_before);

    // Resolve opens the form over revision 2, her text and bob's between markers.
    let answer = n
        .send(button(n.id(), ALICE, Where::Newsroom, 1, &resolve))
        .await;
    assert_eq!(answer["type"], 9, "{answer}");
    let (form, prefill) = form_of(&answer);
    assert_eq!(form, "sd:write:1@2:body");
    assert_eq!(
        prefill,
        body(
            LEAD,
            &format!("<<<<<<< yours\n{alice_cost}\n=======\n{bob_cost}\n>>>>>>> revision 2 by bob"),
            COMMENT
        ),
    );
    // Saved from it, her resolved text is revision 3.
    submit(&n, ALICE, &form, &alices_text).await;
    assert_eq!(revisions(&n), 3);
    assert_eq!(current(&n), alices_text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_changing_the_same_words_conflict_over_the_gateway() {
    forms_changing_the_same_words_conflict(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_changing_the_same_words_conflict_over_the_interactions_endpoint() {
    forms_changing_the_same_words_conflict(false).await;
}
