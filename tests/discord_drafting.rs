//! Drafting help on Discord with a model: the real serenity client against the fake Discord,
//! the real Chat Completions client against the fake model, both on loopback.

mod common;
mod support;

use std::time::Duration;

use common::fake_model::{Answer, FakeModel};
use serde_json::json;
use storydesk::assist::{Assistant, AssistantOptions};
use storydesk::model::StoryId;
use support::{button, command, modal, Newsroom, Where, ALICE, BOB};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_draft_is_edited_in_place_and_a_failure_says_so() {
    // The fake model runs its own runtime: start it off this one.
    let model = std::thread::spawn(FakeModel::start).join().unwrap();
    model.answer(Answer::Stream(vec![
        "Sure, here is the introduction:\n\n".into(),
        "The council adopted the harbour budget ".into(),
        "by 21 votes to 14, ".into(),
        "according to the minutes.".into(),
    ]));
    model.answer(Answer::Status(503, None, "overloaded"));
    let overlay = format!(
        "[assist]\nbase_url = \"{}\"\nmodel = \"fake-model\"\n",
        model.base_url()
    );
    let config = storydesk::config::Config::from_overlay(Some(&overlay), "test").unwrap();
    let assistant = Assistant::with_options(
        &config.assist,
        AssistantOptions {
            progress_every: Some(Duration::ZERO),
            ..Default::default()
        },
    );
    let n = Newsroom::start_drafting(&overlay, assistant).await;
    n.send(command(
        n.id(),
        ALICE,
        Where::Newsroom,
        "new",
        &[("title", json!("Harbour budget passes"))],
        None,
    ))
    .await;
    n.send(modal(
        n.id(),
        ALICE,
        Where::Newsroom,
        "sd:source",
        &[
            ("label", "minutes"),
            ("text1", "The harbour budget was adopted by 21 votes to 14."),
        ],
    ))
    .await;
    let answer = n
        .send(command(
            n.id(),
            ALICE,
            Where::Newsroom,
            "draft new",
            &[("section", json!("intro"))],
            None,
        ))
        .await;
    assert!(answer["data"]["content"]
        .as_str()
        .unwrap()
        .starts_with("Drafting introduction with model `fake-model` at 127.0.0.1:"));

    let anchor = n
        .discord
        .desk()
        .store()
        .anchor_as_recorded("discord:draft:1:1:introduction")
        .unwrap()
        .unwrap();
    let ids: Vec<u64> = anchor.split(':').map(|p| p.parse().unwrap()).collect();
    let (thread, message) = (ids[0], ids[1]);
    let edits: Vec<String> = n
        .fake
        .calls_to("PATCH", |p| {
            p == format!("/channels/{thread}/messages/{message}")
        })
        .iter()
        .map(|c| c.body["content"].as_str().unwrap_or_default().to_string())
        .collect();
    // At least one edit while it was written, then the draft itself, in the same message.
    assert!(edits.len() >= 2, "{edits:#?}");
    assert!(
        edits[..edits.len() - 1]
            .iter()
            .all(|e| e.contains("is being written by model `fake-model`")
                && !e.contains("Sure, here is")),
        "{edits:#?}"
    );
    let last = edits.last().unwrap();
    assert!(last.contains("\n\nThe council adopted the harbour budget by 21 votes to 14, according to the minutes.\n"), "{last}");
    assert!(last.contains("Removed from the model's answer: “Sure, here is the introduction:”"));
    assert_eq!(
        n.fake.posted_in(thread).len(),
        1,
        "one message, edited in place"
    );
    let request = &model.requests()[0];
    assert!(request
        .message("user")
        .contains("The harbour budget was adopted by 21 votes to 14."));

    // A second draft fails: it says why, keeps no text, and the first draft's message says it
    // was replaced.
    n.send(command(
        n.id(),
        BOB,
        Where::Newsroom,
        "draft new",
        &[("section", json!("intro"))],
        None,
    ))
    .await;
    assert_eq!(
        n.fake.content(message).unwrap(),
        "**Draft 1 of introduction**: replaced by draft 2."
    );
    let anchor = n
        .discord
        .desk()
        .store()
        .anchor_as_recorded("discord:draft:1:2:introduction")
        .unwrap()
        .unwrap();
    let second: u64 = anchor.split(':').nth(1).unwrap().parse().unwrap();
    assert_eq!(
        n.fake.content(second).unwrap(),
        "**Draft 2 of introduction** could not be written: the model server failed (HTTP 503); try again, and if it keeps failing, look at the server's logs. Nothing was saved; the introduction section is unchanged."
    );
    // A button of the replaced draft is refused.
    let answer = n
        .send(button(
            n.id(),
            BOB,
            Where::Thread(thread),
            message,
            "sd:draft-accept:1:1:introduction",
        ))
        .await;
    assert_eq!(
        answer["data"]["content"],
        "That is draft 1 of introduction, and draft 2 has replaced it. Look at draft 2 in the introduction thread."
    );
    assert!(n
        .discord
        .desk()
        .store()
        .revisions(StoryId(1), "introduction")
        .unwrap()
        .is_empty());
    drop(n);
    std::thread::spawn(move || drop(model)).join().unwrap();
}
