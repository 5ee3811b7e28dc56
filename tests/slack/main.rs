//! storydesk on Slack, against a fake Slack on 127.0.0.1: really signed requests through
//! the real router, and the real Socket Mode client on a websocket.

mod conflicts;
mod fake;
#[path = "../support/finish.rs"]
mod finish;
mod once;
mod time;
mod world;

use serde_json::{json, Value};
use storydesk::slack::blocks::{
    block_chars, APPROVE_ACTION, CHANGES_ACTION, HEADER_CHARS, MESSAGE_BLOCKS, MESSAGE_CHARS,
    SECTION_CHARS,
};
use world::{Via, World, ALICE, BOB, ERIN, NEWS, PUBLISH};

const MEMO: &str = "From: Harbour finance office\nThe vote on the harbour budget is postponed to March because the dredging estimate doubled.\nDo not share outside the council.";

const INTRO: &str = "The city council has postponed its vote on the harbour budget to March, according to an internal memo seen by this newsroom, after the estimate for dredging the harbour doubled.";

const INTRO_2: &str = "The city council has postponed its vote on the harbour budget to March, according to an internal memo from the harbour finance office seen by this newsroom, after the estimate for dredging doubled.";

const CONCLUSION: &str =
    "The council is expected to publish a revised estimate before the March session.";

const REFERENCE: &str = "ref add title:\"Harbour budget minutes\" outlet:\"City Council\" date:2025-01-28 url:<https://example.org/minutes?year=2025&amp;part=2|example.org/minutes>";

/// A body of `paragraphs` numbered paragraphs, so order and completeness can be checked.
fn numbered_body(paragraphs: usize) -> String {
    (1..=paragraphs)
        .map(|i| {
            format!(
                "Paragraph {i}. The harbour committee heard evidence from the dredging contractor. Its members asked why the estimate doubled since the autumn. The finance office said the survey found more silt than expected."
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// A story written, referenced and approved through Slack, ready for `/story publish`.
async fn ready_to_publish(w: &World, body: &str) {
    assert_eq!(
        w.command(ALICE, "new Harbour budget vote delayed after leak")
            .await,
        Value::Null
    );
    w.board().await;
    assert_eq!(w.write(ALICE, "intro", INTRO).await, Value::Null);
    let mark = w.fake.mark();
    assert_eq!(w.write(ALICE, "body", body).await, Value::Null);
    let chars = body.chars().count();
    if chars < 500 {
        // Saved, with the template's lower bound pointed out to alice alone.
        w.fake
            .wait_call_after(
                mark,
                "chat.postEphemeral",
                &format!(
                    "Saved. Note: body is {chars} characters; the template asks for at least 500."
                ),
            )
            .await;
    }
    assert_eq!(w.write(ALICE, "conclusion", CONCLUSION).await, Value::Null);
    w.command(ALICE, REFERENCE).await;
    for section in ["title", "introduction", "body", "conclusion", "references"] {
        w.approve(BOB, section, 1).await;
    }
}

/// Publishes and returns the messages posted to the publish channel, once the "published"
/// note is in the newsroom.
async fn publish(w: &World) -> Vec<fake::Call> {
    assert_eq!(w.command(ERIN, "publish").await, Value::Null);
    w.fake
        .wait_post(NEWS, None, "erin published story #1")
        .await;
    w.fake.posts_in(PUBLISH)
}

fn plain(text: &str) -> String {
    storydesk::slack::mrkdwn::unescape(text)
}

async fn whole_workflow(via: Via) {
    let w = World::start(via).await;

    // A story starts: its board, and the title's first revision in its review thread.
    assert_eq!(
        w.command(ALICE, "new Harbour budget vote delayed after leak")
            .await,
        Value::Null
    );
    let board = w.board().await;
    assert!(
        board
            .text()
            .contains("*Story #1: Harbour budget vote delayed after leak*"),
        "{}",
        board.text()
    );
    let board_ts = board.ts.clone().unwrap();
    w.fake.wait_post(NEWS, None, "alice started story #1").await;
    w.review_post("title", 1).await;

    // A source pasted in the modal, the label given in the command prefilled.
    assert_eq!(
        w.command(ALICE, "source add label:\"council memo\"").await,
        Value::Null
    );
    let opened = w.fake.wait_call("views.open", "storydesk_source").await;
    assert_eq!(
        opened.body["view"]["blocks"][0]["element"]["initial_value"],
        "council memo"
    );
    assert_eq!(
        w.submit(ALICE, &opened, &[("text_0", MEMO)]).await,
        Value::Null
    );
    w.fake
        .wait_post(
            NEWS,
            Some(&board_ts),
            "Source 1 “council memo” added by alice",
        )
        .await;

    // A reply in the board's thread is a source; so is a text file shared there.
    w.event(
        w.message_event(
            "Ev0TIP",
            BOB,
            &board_ts,
            "A reader says the vote moved to March &amp; the mayor knew",
            &[],
        ),
        0,
    )
    .await;
    w.fake
        .wait_post(
            NEWS,
            Some(&board_ts),
            "Source 2 “message from bob” added by bob",
        )
        .await;
    w.fake.add_file("F0MINUTES", "minutes.txt", "text/plain", "text", b"Minutes of the harbour committee, 28 January.\nThe committee noted the dredging estimate.");
    w.event(
        w.message_event("Ev0FILE", ALICE, &board_ts, "the minutes", &["F0MINUTES"]),
        0,
    )
    .await;
    w.fake
        .wait_post(
            NEWS,
            Some(&board_ts),
            "Source 3 “minutes.txt” added by alice",
        )
        .await;
    assert_eq!(w.fake.calls_of("files.info").len(), 1);
    assert_eq!(w.fake.calls_of("download").len(), 1);
    w.fake
        .add_file("F0SCAN", "scan.pdf", "application/pdf", "pdf", b"%PDF-1.4");
    w.event(
        w.message_event("Ev0PDF", ALICE, &board_ts, "", &["F0SCAN"]),
        0,
    )
    .await;
    w.fake
        .wait_call("chat.postEphemeral", "is not a text file")
        .await;
    assert_eq!(
        w.fake.calls_of("download").len(),
        1,
        "a non-text file is never downloaded"
    );
    // Chatter outside the story's threads is left alone.
    let mark = w.fake.mark();
    w.event(
        w.message_event("Ev0CHAT", BOB, "1699999999.000100", "lunch?", &[]),
        0,
    )
    .await;

    // Sections are written in modals; a refusal comes back into the modal.
    let too_long = "The council delayed the vote. ".repeat(50);
    let refused = w.write(ALICE, "intro", &too_long).await;
    assert_eq!(refused["response_action"], "errors");
    assert!(
        refused["errors"]["text_0"]
            .as_str()
            .unwrap()
            .contains("1200"),
        "{refused}"
    );
    assert!(w
        .fake
        .since(mark)
        .iter()
        .all(|c| c.method != "chat.postMessage"));
    assert_eq!(w.write(ALICE, "intro", INTRO).await, Value::Null);
    let body = numbered_body(30);
    assert_eq!(w.write(ALICE, "body", &body).await, Value::Null);
    assert_eq!(w.write(ALICE, "conclusion", CONCLUSION).await, Value::Null);
    // The body spans boxes of 3000 characters; reopening the modal prefills them all.
    let mark = w.fake.mark();
    assert_eq!(w.command(ALICE, "write body").await, Value::Null);
    let reopened = w
        .fake
        .wait("the body modal", |calls| {
            calls[mark..]
                .iter()
                .find(|c| c.method == "views.open")
                .cloned()
        })
        .await;
    let inputs: Vec<&Value> = reopened.body["view"]["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "input")
        .collect();
    assert_eq!(inputs.len(), 20);
    let prefilled: Vec<String> = inputs
        .iter()
        .filter_map(|b| b["element"]["initial_value"].as_str().map(str::to_string))
        .collect();
    assert!(prefilled.len() >= 2);
    assert!(prefilled.iter().all(|p| p.chars().count() <= 3000));
    assert_eq!(prefilled.join("\n\n"), body);

    // Reviews: changes requested through the button's modal, a new revision, approvals.
    let intro_1 = w.review_post("introduction", 1).await;
    assert_eq!(w.click(BOB, &intro_1, CHANGES_ACTION).await, Value::Null);
    let note_modal = w.fake.wait_call("views.open", "storydesk_changes").await;
    assert_eq!(
        w.submit(
            BOB,
            &note_modal,
            &[("note", "Name the office the memo came from.")]
        )
        .await,
        Value::Null
    );
    w.fake
        .wait_post(
            NEWS,
            intro_1.thread(),
            "bob asked for changes on introduction revision 1",
        )
        .await;
    assert_eq!(w.write(ALICE, "intro", INTRO_2).await, Value::Null);
    w.approve(BOB, "introduction", 2).await;
    w.approve(BOB, "title", 1).await;
    w.approve(BOB, "conclusion", 1).await;
    // A double click approves once, and the second click is told so.
    let body_post = w.review_post("body", 1).await;
    w.click(BOB, &body_post, APPROVE_ACTION).await;
    w.click(BOB, &body_post, APPROVE_ACTION).await;
    w.fake
        .wait_post(NEWS, body_post.thread(), "bob approved body revision 1")
        .await;
    w.fake
        .wait_call("response_url", "You have already approved body revision 1.")
        .await;

    // References come from the command; the link Slack wrapped is read back as a URL.
    w.command(ALICE, REFERENCE).await;
    w.approve(BOB, "references", 1).await;

    // Only an editor publishes.
    let refused = w.command(ALICE, "publish").await;
    assert_eq!(refused["response_type"], "ephemeral");
    assert!(w.fake.posts_in(PUBLISH).is_empty());
    let article = publish(&w).await;
    assert!(!article.is_empty());
    assert_eq!(article[0].body["blocks"][0]["type"], "header");
    assert_eq!(
        article[0].body["blocks"][0]["text"]["text"],
        "Harbour budget vote delayed after leak"
    );
    let text: String = article
        .iter()
        .map(|c| plain(&c.text()))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains(INTRO_2));
    assert!(text.contains("Paragraph 30."));
    assert!(text.contains(CONCLUSION));
    let refs_at = text.find("*References*").expect("references heading");
    assert!(
        text[refs_at..].contains("https://example.org/minutes?year=2025&part=2"),
        "{}",
        &text[refs_at..]
    );
    assert!(text.find(CONCLUSION).unwrap() < refs_at);
    // The board shows the story as published, edited in place.
    let update = w.fake.wait_call("chat.update", "Published").await;
    assert_eq!(update.body["ts"].as_str(), Some(board_ts.as_str()));
    assert_eq!(
        w.fake
            .posts_in(NEWS)
            .iter()
            .filter(|c| c.text().contains("Reply in this thread"))
            .count(),
        1,
        "one board"
    );
    let approvals = w
        .fake
        .posts_in(NEWS)
        .iter()
        .filter(|c| c.text().contains("bob approved body revision 1"))
        .count();
    assert_eq!(approvals, 1, "the double click approved once");
    let story = w
        .slack
        .desk()
        .store()
        .story(storydesk::model::StoryId(1))
        .unwrap()
        .unwrap();
    assert_eq!(story.section("body").unwrap().approvals.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_workflow_over_http() {
    whole_workflow(Via::Http).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_workflow_over_socket_mode() {
    whole_workflow(Via::Socket).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unverified_or_oversized_requests_are_refused_and_store_nothing() {
    use storydesk::slack::verify::{sign, unix_now, SigningSecret};
    let w = World::start(Via::Http).await;
    let body = serde_urlencoded::to_string([
        ("team_id", world::TEAM),
        ("channel_id", NEWS),
        ("user_id", ALICE.id),
        ("user_name", ALICE.name),
        ("command", "/story"),
        ("text", "new Forged story"),
        ("trigger_id", "1.2.forged"),
    ])
    .unwrap();
    let now = unix_now();
    let good = sign(&SigningSecret::new(world::SECRET), now, body.as_bytes());
    let post = |ts: Option<String>, sig: Option<String>, body: Vec<u8>| {
        let mut r = w
            .http
            .post(format!("{}/slack/commands", w.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(ts) = ts {
            r = r.header("x-slack-request-timestamp", ts);
        }
        if let Some(sig) = sig {
            r = r.header("x-slack-signature", sig);
        }
        async move { r.send().await.unwrap().status().as_u16() }
    };
    let forged = sign(&SigningSecret::new("not-the-secret"), now, body.as_bytes());
    assert_eq!(
        post(
            Some(now.to_string()),
            Some(forged),
            body.clone().into_bytes()
        )
        .await,
        401
    );
    let mut tampered = body.clone().into_bytes();
    tampered.extend_from_slice(b"x");
    assert_eq!(
        post(Some(now.to_string()), Some(good.clone()), tampered).await,
        401
    );
    let stale = now - 301;
    let stale_sig = sign(&SigningSecret::new(world::SECRET), stale, body.as_bytes());
    assert_eq!(
        post(
            Some(stale.to_string()),
            Some(stale_sig),
            body.clone().into_bytes()
        )
        .await,
        401
    );
    assert_eq!(
        post(None, Some(good.clone()), body.clone().into_bytes()).await,
        401
    );
    assert_eq!(
        post(Some(now.to_string()), None, body.clone().into_bytes()).await,
        401
    );
    assert_eq!(post(None, None, body.clone().into_bytes()).await, 401);
    // A body declared larger than the limit is refused from its headers alone. The request
    // goes out without its body: a client still writing 2 MiB when the 413 and the close
    // arrive may see a broken pipe instead of the answer, which is the client's race, not
    // the server's.
    let huge = storydesk::slack::http::MAX_BODY_BYTES + 1;
    let huge_sig = sign(&SigningSecret::new(world::SECRET), now, &vec![b'a'; huge]);
    assert_eq!(
        head_only_post(&w.base, "/slack/commands", huge, now, &huge_sig).await,
        413
    );
    for path in ["/slack/events", "/slack/interactivity"] {
        let status = w
            .http
            .post(format!("{}{path}", w.base))
            .body("{}")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(status, 401, "{path}");
    }
    assert!(w.slack.desk().store().story_ids().unwrap().is_empty());
    assert!(
        w.fake.calls().is_empty(),
        "nothing reached Slack: {:?}",
        w.fake.calls()
    );
    // The same request, signed properly, goes through.
    assert_eq!(
        post(Some(now.to_string()), Some(good), body.into_bytes()).await,
        200
    );
    assert_eq!(w.slack.desk().store().story_ids().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_verification_is_answered() {
    let w = World::start(Via::Http).await;
    let fixture = include_str!("../fixtures/slack/url_verification.bolt-python.json");
    let (status, body) = w
        .signed(
            "/slack/events",
            "application/json",
            fixture.as_bytes().to_vec(),
            &[],
        )
        .await;
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        answer,
        json!({ "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" })
    );
}

async fn a_redelivered_event_has_one_effect(via: Via) {
    let w = World::start(via).await;
    w.command(ALICE, "new Harbour budget vote delayed after leak")
        .await;
    let board = w.board().await;
    let thread = board.ts.clone().unwrap();
    let event = w.message_event("Ev0ONCE", BOB, &thread, "The mayor knew in December.", &[]);
    w.event(event.clone(), 0).await;
    w.event(event.clone(), 1).await;
    w.event(event, 2).await;
    w.fake
        .wait_post(NEWS, Some(&thread), "Source 1 “message from bob”")
        .await;
    // A later event proves the earlier ones were all processed.
    w.event(
        w.message_event("Ev0LATER", BOB, &thread, "And the port authority too.", &[]),
        0,
    )
    .await;
    w.fake
        .wait_post(NEWS, Some(&thread), "Source 2 “message from bob”")
        .await;
    let story = w
        .slack
        .desk()
        .store()
        .story(storydesk::model::StoryId(1))
        .unwrap()
        .unwrap();
    assert_eq!(story.sources.len(), 2);
    let added = w
        .fake
        .posts_in(NEWS)
        .iter()
        .filter(|c| c.text().contains("added by bob"))
        .count();
    assert_eq!(added, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_events_api_retry_has_one_effect() {
    a_redelivered_event_has_one_effect(Via::Http).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_mode_redelivery_has_one_effect() {
    a_redelivered_event_has_one_effect(Via::Socket).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_publish_arrives_whole_in_order_once() {
    let w = World::start(Via::Http).await;
    let body = numbered_body(120);
    ready_to_publish(&w, &body).await;
    // The second and third posts to the publish channel get 429 with Retry-After: 1.
    w.fake.rate_limit("chat.postMessage", Some(PUBLISH), 1, 2);
    let article = publish(&w).await;
    let limited = w.fake.calls().iter().filter(|c| c.rate_limited).count();
    assert_eq!(limited, 2, "Slack answered 429 twice");
    assert!(article.len() >= 3, "{} messages", article.len());
    // Once: every part is posted exactly once, in order.
    let text: String = article
        .iter()
        .map(|c| plain(&c.text()))
        .collect::<Vec<_>>()
        .join("\n");
    let numbers: Vec<usize> = text
        .match_indices("Paragraph ")
        .filter_map(|(i, _)| text[i + 10..].split('.').next()?.parse().ok())
        .collect();
    assert_eq!(numbers, (1..=120).collect::<Vec<_>>());
    assert!(text.starts_with("Harbour budget vote delayed after leak"));
    assert!(text.rfind("*References*").unwrap() > text.rfind("Paragraph 120.").unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_socket_mode_connection_is_reopened() {
    let w = World::start(Via::Socket).await;
    assert_eq!(
        w.command(ALICE, "new Harbour budget vote delayed after leak")
            .await,
        Value::Null
    );
    w.board().await;
    w.fake.socket.drop_connection();
    w.fake.socket.wait_connections(2).await;
    let status = w.command(ALICE, "status").await;
    assert!(
        status["text"].as_str().unwrap().contains("Story #1"),
        "{status}"
    );
    w.fake.socket.request_reconnect();
    w.fake.socket.wait_connections(3).await;
    let status = w.command(BOB, "status").await;
    assert!(
        status["text"].as_str().unwrap().contains("Story #1"),
        "{status}"
    );
    assert_eq!(w.fake.calls_of("apps.connections.open").len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forty_thousand_character_article_keeps_to_slacks_limits() {
    let w = World::start(Via::Http).await;
    let mut body = String::new();
    let mut i = 0;
    while body.chars().count() < 40_000 {
        i += 1;
        if !body.is_empty() {
            body.push_str("\n\n");
        }
        body.push_str(&format!("Paragraph {i}. The harbour committee heard evidence & questions <about> the silt; the estimate “doubled”. "));
        body.push_str(&"The finance office explained its survey in detail. ".repeat(i % 5 + 1));
    }
    assert!(body.chars().count() >= 40_000);
    ready_to_publish(&w, &body).await;
    let article = publish(&w).await;
    assert!(article.len() >= 4, "{} messages", article.len());
    for message in &article {
        let blocks = message.body["blocks"].as_array().unwrap();
        assert!(blocks.len() <= MESSAGE_BLOCKS);
        let chars: usize = blocks.iter().map(block_chars).sum();
        assert!(chars <= MESSAGE_CHARS, "{chars} characters");
        assert!(message.body["text"].as_str().unwrap().chars().count() <= 4000);
        for block in blocks {
            let text = block["text"]["text"]
                .as_str()
                .unwrap_or_default()
                .chars()
                .count();
            match block["type"].as_str().unwrap() {
                "header" => assert!(text <= HEADER_CHARS),
                "section" => assert!(text <= SECTION_CHARS),
                _ => {}
            }
        }
    }
    // Nothing lost: the body's words, in order.
    let sections: Vec<String> = article
        .iter()
        .flat_map(|c| c.body["blocks"].as_array().unwrap().clone())
        .filter(|b| b["type"] == "section")
        .map(|b| plain(b["text"]["text"].as_str().unwrap()))
        .collect();
    let published: Vec<&str> = sections.iter().flat_map(|s| s.split_whitespace()).collect();
    let expected: Vec<&str> = [INTRO, body.as_str(), CONCLUSION]
        .iter()
        .flat_map(|s| s.split_whitespace())
        .collect();
    assert_eq!(&published[..expected.len()], &expected[..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_with_channel_and_here_is_published_escaped() {
    let w = World::start(Via::Http).await;
    assert_eq!(
        w.command(ALICE, "new Harbour budget vote delayed after leak")
            .await,
        Value::Null
    );
    let board = w.board().await;
    let thread = board.ts.clone().unwrap();
    // Slack escapes `<` in what people type, so a literal <!channel> arrives as &lt;!channel&gt;.
    w.event(
        w.message_event(
            "Ev0PING",
            BOB,
            &thread,
            "Memo to staff: &lt;!channel&gt; meeting now, @here too",
            &[],
        ),
        0,
    )
    .await;
    w.fake.wait_post(NEWS, Some(&thread), "Source 1").await;
    let source = w
        .slack
        .desk()
        .store()
        .source(storydesk::model::StoryId(1), 1)
        .unwrap()
        .unwrap();
    assert_eq!(
        source.text,
        "Memo to staff: <!channel> meeting now, @here too"
    );
    let body = format!("{}\n\nThe memo said: “{}”", numbered_body(4), source.text);
    assert_eq!(w.write(ALICE, "intro", INTRO).await, Value::Null);
    assert_eq!(w.write(ALICE, "body", &body).await, Value::Null);
    assert_eq!(w.write(ALICE, "conclusion", CONCLUSION).await, Value::Null);
    w.command(ALICE, REFERENCE).await;
    for section in ["title", "introduction", "body", "conclusion", "references"] {
        w.approve(BOB, section, 1).await;
    }
    let article = publish(&w).await;
    let raw: String = article.iter().map(|c| c.body.to_string()).collect();
    assert!(
        raw.contains("&lt;!channel&gt; meeting now, @here too"),
        "{raw}"
    );
    assert!(!raw.contains("<!channel>"));
    assert!(!raw.contains("<!here>"));
    for call in w.fake.calls_of("chat.postMessage") {
        assert_eq!(call.body["parse"], "none");
        assert!(call.body.get("link_names").is_none());
        // No message storydesk posts carries a raw mention of anyone.
        assert!(!call.body.to_string().contains("<!"), "{}", call.body);
        assert!(!call.body.to_string().contains("<@"), "{}", call.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_article_slack_refuses_is_unpublished_and_can_be_published_again() {
    let w = World::start(Via::Http).await;
    ready_to_publish(&w, &numbered_body(4)).await;
    w.fake
        .refuse("chat.postMessage", PUBLISH, "not_in_channel", 1);
    assert_eq!(w.command(ERIN, "publish").await, Value::Null);
    let told = w.fake.wait_call("response_url", "/invite @storydesk").await;
    assert_eq!(told.body["response_type"], "ephemeral");
    let story = w
        .slack
        .desk()
        .store()
        .story(storydesk::model::StoryId(1))
        .unwrap()
        .unwrap();
    assert!(story.published.is_none(), "the publication was undone");
    assert!(w.fake.posts_in(PUBLISH).is_empty());
    // Once the bot is invited, publishing works.
    let article = publish(&w).await;
    assert!(!article.is_empty());
    assert!(w
        .slack
        .desk()
        .store()
        .story(storydesk::model::StoryId(1))
        .unwrap()
        .unwrap()
        .published
        .is_some());
}

/// The latest version of an assisted draft's message: its last `chat.update`, or the post.
fn draft_message(w: &World, posted: &fake::Call) -> fake::Call {
    let ts = posted.ts.clone();
    let latest = w.fake.calls().into_iter().rev().find(|c| {
        c.method == "chat.update" && !c.rate_limited && c.body["ts"].as_str() == ts.as_deref()
    });
    match latest {
        Some(mut update) => {
            // Buttons are clicked on the message as it is now, which has the post's ts.
            update.ts = ts;
            update.body["thread_ts"] = posted.body["thread_ts"].clone();
            update
        }
        None => posted.clone(),
    }
}

async fn drafting(via: Via) {
    use storydesk::slack::blocks::{DRAFT_ACCEPT_ACTION, DRAFT_DISCARD_ACTION, DRAFT_EDIT_ACTION};
    let w = World::start(via).await;
    w.command(ALICE, "new Harbour budget vote delayed after leak")
        .await;
    w.board().await;
    let mark = w.fake.mark();
    w.command(ALICE, "source add label:\"council memo\"").await;
    let opened = w
        .fake
        .wait("views.open", |calls| {
            calls[mark..]
                .iter()
                .find(|c| c.method == "views.open")
                .cloned()
        })
        .await;
    let memo = format!("{MEMO}\n\n{}", numbered_body(3));
    w.submit(ALICE, &opened, &[("text_0", &memo)]).await;
    w.fake
        .wait_post(NEWS, None, "Source 1 “council memo” added by alice")
        .await;

    // `/story draft intro`: the ack says where it goes; the draft appears in the intro's
    // thread and is updated in place with the proposal and its buttons.
    let ack = w.command(BOB, "draft intro").await;
    assert!(
        ack["text"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Drafting introduction with the extractive drafter."),
        "{ack}"
    );
    let posted = w
        .fake
        .wait_post(NEWS, None, "*Draft 1 of introduction* is being written")
        .await;
    w.fake
        .wait_call("chat.update", "Extractive draft: every sentence is copied")
        .await;
    let shown = draft_message(&w, &posted);
    assert!(
        shown
            .text()
            .contains("*Draft 1 of introduction* by the extractive drafter, for bob"),
        "{}",
        shown.text()
    );
    for id in [DRAFT_ACCEPT_ACTION, DRAFT_EDIT_ACTION, DRAFT_DISCARD_ACTION] {
        assert!(shown.button(id).is_some(), "{id}");
    }
    let desk = w.slack.desk();
    assert!(desk
        .store()
        .revisions(storydesk::model::StoryId(1), "introduction")
        .unwrap()
        .is_empty());

    // Edit: the write modal, prefilled with the draft; saving makes alice's assisted revision.
    let mark = w.fake.mark();
    assert_eq!(w.click(ALICE, &shown, DRAFT_EDIT_ACTION).await, Value::Null);
    let opened = w
        .fake
        .wait("the draft's modal", |calls| {
            calls[mark..]
                .iter()
                .find(|c| c.method == "views.open")
                .cloned()
        })
        .await;
    let draft = desk
        .draft_text(storydesk::model::StoryId(1), "introduction", 1)
        .unwrap()
        .unwrap();
    assert_eq!(
        opened.body["view"]["blocks"][0]["element"]["initial_value"].as_str(),
        Some(draft.as_str())
    );
    let edited = format!("{draft} The council has not said when it will vote.");
    assert_eq!(
        w.submit(ALICE, &opened, &[("text_0", &edited)]).await,
        Value::Null
    );
    w.fake
        .wait_call(
            "chat.update",
            "edited and saved by alice as introduction revision 1",
        )
        .await;
    let revision = desk
        .store()
        .revision(storydesk::model::StoryId(1), "introduction", 1)
        .unwrap()
        .unwrap();
    assert_eq!(revision.author.name, "alice");
    assert!(revision.assisted);
    assert!(
        draft_message(&w, &posted)
            .button(DRAFT_ACCEPT_ACTION)
            .is_none(),
        "the buttons are gone"
    );

    // Accept with the button: the revision is bob's.
    w.command(ALICE, "draft conclusion").await;
    let posted = w
        .fake
        .wait_post(NEWS, None, "*Draft 1 of conclusion* is being written")
        .await;
    w.fake
        .wait_call(
            "chat.update",
            "*Draft 1 of conclusion* by the extractive drafter",
        )
        .await;
    let shown = draft_message(&w, &posted);
    assert_eq!(w.click(BOB, &shown, DRAFT_ACCEPT_ACTION).await, Value::Null);
    w.fake
        .wait_call("chat.update", "accepted by bob as conclusion revision 1")
        .await;
    let revision = desk
        .store()
        .revision(storydesk::model::StoryId(1), "conclusion", 1)
        .unwrap()
        .unwrap();
    assert_eq!(revision.author.name, "bob");
    assert!(revision.assisted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drafting_over_http() {
    drafting(Via::Http).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drafting_over_socket_mode() {
    drafting(Via::Socket).await;
}

/// Everything stored about story 1 that a request could change.
fn story_state(w: &World) -> String {
    let store = w.slack.desk().store();
    let id = storydesk::model::StoryId(1);
    format!(
        "{:?}\n{:?}",
        store.story(id).unwrap(),
        store.audit(id).unwrap()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_workspace_or_channel_can_neither_read_nor_change_a_story() {
    let w = World::start(Via::Http).await;
    w.command(ALICE, "new Harbour budget vote delayed after leak")
        .await;
    let board = w.board().await;
    let board_ts = board.ts.clone().unwrap();
    w.event(w.message_event("Ev0SOURCE", ALICE, &board_ts, MEMO, &[]), 0)
        .await;
    w.fake.wait_post(NEWS, Some(&board_ts), "Source 1").await;
    assert_eq!(w.write(ALICE, "intro", INTRO).await, Value::Null);
    let review = w.review_post("introduction", 1).await;
    w.slack.idle().await;
    let before = story_state(&w);

    for (team, channel) in [("T0ELSEWHERE", NEWS), (world::TEAM, "C0ELSEWHERE")] {
        // Reading: the source, the section, the story by its number.
        for command in ["source show 1", "show intro", "status", "use 1"] {
            let ack = w.command_from(BOB, team, channel, command).await;
            let text = ack["text"].as_str().unwrap_or_default().to_string();
            assert!(
                text.contains("no story in this channel")
                    || text.contains("not one of this channel's stories"),
                "{command} from {team}/{channel}: {ack}"
            );
            assert!(
                !text.contains("Harbour") && !text.contains("dredging"),
                "{text}"
            );
        }
        // The Approve button of story 1's review post, clicked from there.
        let mark = w.fake.mark();
        assert_eq!(
            w.click_from(BOB, team, channel, &review, APPROVE_ACTION)
                .await,
            Value::Null
        );
        w.fake
            .wait_call_after(mark, "response_url", "not one of this channel's stories")
            .await;
        // A reply in a thread with the board's ts, posted in that other place.
        let event = w.message_event_in(
            &format!("Ev0{team}{channel}"),
            BOB,
            team,
            channel,
            &board_ts,
            "A second source that must not land in story 1.",
            &[],
        );
        w.event(event, 0).await;
        w.slack.idle().await;
    }
    assert_eq!(story_state(&w), before, "story 1 changed");
    // Nothing was posted about story 1 anywhere but its own channel.
    for call in w.fake.calls_of("chat.postMessage") {
        assert_eq!(call.channel(), NEWS, "{call:?}");
    }
    // At home the same button approves.
    w.approve(BOB, "introduction", 1).await;
}

/// Sends a POST's headers declaring `length` bytes of body, and none of the body; the status
/// of the answer.
async fn head_only_post(base: &str, path: &str, length: usize, ts: i64, sig: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {length}\r\nx-slack-request-timestamp: {ts}\r\nx-slack-signature: {sig}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buf));
        let n = read
            .await
            .expect("no answer within 10 s: the server waits for the body")
            .unwrap();
        assert!(n > 0, "connection closed without an answer");
        answer.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&answer);
    line.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// Someone who set their Slack display name to an editor's name.
const MALLORY: world::Who = world::Who {
    id: "U0MALLORY",
    name: "erin",
};

/// The text of an ephemeral ack.
fn ack_text(ack: &Value) -> String {
    ack["text"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editors_are_user_ids_and_user_groups_never_display_names() {
    // "erin" is listed too, as an operator who thought names work would: on Slack it
    // grants nothing. Alice is an editor through the user group.
    let w = World::with_editors(
        Via::Http,
        &format!("\"{}\", \"erin\", \"group:S0EDITORS\"", ERIN.id),
    )
    .await;
    w.fake.add_user(MALLORY.id, MALLORY.name);
    w.fake.set_group("S0EDITORS", &[ALICE.id]);
    ready_to_publish(&w, &numbered_body(2)).await;
    let board = w.board().await;
    let board_ts = board.ts.clone().unwrap();
    w.event(w.message_event("Ev0SOURCE", ALICE, &board_ts, MEMO, &[]), 0)
        .await;
    w.fake.wait_post(NEWS, Some(&board_ts), "Source 1").await;
    w.slack.idle().await;
    let before = story_state(&w);

    // A display name equal to an editor's name, and a member outside the group: refused.
    for (who, command, refusal) in [
        (MALLORY, "publish", "Only editors can publish"),
        (
            MALLORY,
            "publish override:\"the desk is empty tonight\"",
            "Only editors can publish",
        ),
        (MALLORY, "purge-sources", "Only editors can purge sources"),
        (BOB, "publish", "Only editors can publish"),
    ] {
        let ack = w.command(who, command).await;
        assert_eq!(ack["response_type"], "ephemeral", "{command}: {ack}");
        assert!(ack_text(&ack).contains(refusal), "{command}: {ack}");
    }
    w.slack.idle().await;
    assert_eq!(
        story_state(&w),
        before,
        "a refused command changed the story"
    );
    assert!(w.fake.posts_in(PUBLISH).is_empty());

    // The group's members were asked of Slack, as Slack's API takes it.
    let lookups = w.fake.calls_of("usergroups.users.list");
    assert!(!lookups.is_empty());
    assert!(lookups.iter().all(|c| c.body["usergroup"] == "S0EDITORS"));

    // A member of the editors' group publishes.
    assert_eq!(w.command(ALICE, "publish").await, Value::Null);
    w.fake
        .wait_post(NEWS, None, "alice published story #1")
        .await;
    assert!(!w.fake.posts_in(PUBLISH).is_empty());

    // After publishing, the name still cannot purge the sources; the group member can.
    w.slack.idle().await;
    let published = story_state(&w);
    let ack = w.command(MALLORY, "purge-sources").await;
    assert!(
        ack_text(&ack).contains("Only editors can purge sources"),
        "{ack}"
    );
    w.slack.idle().await;
    assert_eq!(story_state(&w), published);
    let ack = w.command(ALICE, "purge-sources").await;
    assert!(!ack_text(&ack).contains("Only editors"), "{ack}");
    w.slack.idle().await;
    assert_ne!(story_state(&w), published, "the sources were purged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_group_lookup_slack_refuses_grants_nothing() {
    // The group is not known to Slack (`no_such_subteam`): nobody is an editor through it.
    let w = World::with_editors(Via::Http, "\"group:S0GONE\"").await;
    ready_to_publish(&w, &numbered_body(2)).await;
    let ack = w.command(ALICE, "publish").await;
    assert!(ack_text(&ack).contains("Only editors can publish"), "{ack}");
    assert!(!w.fake.calls_of("usergroups.users.list").is_empty());
    assert!(w.fake.posts_in(PUBLISH).is_empty());
}

/// `/story publish at:…`: when the scheduler's clock reaches it, the article goes out as
/// `/story publish` posts it (the channel's send queue, in order, each part once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_publication_goes_out_whole_in_order_once() {
    use storydesk::desk::clock::ManualClock;
    use storydesk::model::Timestamp;

    let w = World::start(Via::Http).await;
    ready_to_publish(&w, &numbered_body(120)).await;
    w.command(ERIN, "publish at:+1h").await;
    let clock = ManualClock::at(Timestamp::now());
    let running = time::scheduler(&w, &clock);
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert!(w.fake.posts_in(PUBLISH).is_empty(), "not before its time");
    // The second part gets 429 once: the send queue waits and goes on.
    w.fake.rate_limit("chat.postMessage", Some(PUBLISH), 1, 1);
    clock.advance(3_600_000 + 60_000);
    w.fake.wait_post(PUBLISH, None, "References").await;
    w.slack.idle().await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    running.abort();
    let limited = w.fake.calls().iter().filter(|c| c.rate_limited).count();
    assert_eq!(limited, 1, "Slack answered 429 once");
    let article = w.fake.posts_in(PUBLISH);
    let text: String = article
        .iter()
        .map(|c| plain(&c.text()))
        .collect::<Vec<_>>()
        .join("\n");
    let numbers: Vec<usize> = text
        .match_indices("Paragraph ")
        .filter_map(|(i, _)| text[i + 10..].split('.').next()?.parse().ok())
        .collect();
    assert_eq!(numbers, (1..=120).collect::<Vec<_>>());
    assert!(text.starts_with("Harbour budget vote delayed after leak"));
    let story = w
        .slack
        .desk()
        .store()
        .story(storydesk::model::StoryId(1))
        .unwrap()
        .unwrap();
    assert!(story.published.is_some());
}
