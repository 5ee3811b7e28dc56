//! Exactly once: which Web API calls are retried, an article that Slack fails to confirm
//! partway, and clicks and submissions that Slack delivers more than once.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use storydesk::model::StoryId;
use storydesk::slack::api::{ApiError, Token, WebApi};
use storydesk::slack::blocks::{APPROVE_ACTION, CHANGES_ACTION};

use super::fake::{Call, FakeSlack, Fault, BOT_TOKEN};
use super::world::{Via, World, ALICE, BOB, ERIN, NEWS, PUBLISH};
use super::{numbered_body, plain, ready_to_publish, INTRO, MEMO};

fn client(fake: &FakeSlack) -> WebApi {
    WebApi::new(&fake.api_url(), Some(Token::new(BOT_TOKEN)), None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_answered_500_is_not_sent_again_while_an_update_is_retried() {
    let fake = FakeSlack::start().await;
    let api = client(&fake);
    // The post is made, then Slack answers 500: it may exist, so it is not sent again.
    fake.fault("chat.postMessage", None, 0, 1, Fault::FailAfter(500));
    let err = api
        .post_message(PUBLISH, "Part 1", &[], None)
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Unconfirmed { .. }), "{err:?}");
    assert_eq!(fake.attempts_of("chat.postMessage"), 1);
    assert_eq!(fake.posts_in(PUBLISH).len(), 1);

    // An update sets a message to a state: doing it again is harmless, so it is retried.
    fake.fault("chat.update", None, 0, 2, Fault::FailBefore(503));
    api.update_message(PUBLISH, "1700000000.000200", "Part 1, edited", &[])
        .await
        .unwrap();
    assert_eq!(fake.attempts_of("chat.update"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_that_times_out_is_not_sent_again_while_a_read_is_retried() {
    let fake = FakeSlack::start().await;
    fake.add_user("U0BOB", "bob");
    let api = client(&fake).with_timeout(Duration::from_millis(300));
    fake.fault(
        "chat.postMessage",
        None,
        0,
        1,
        Fault::Slow(Duration::from_secs(2)),
    );
    let err = api
        .post_message(PUBLISH, "Part 1", &[], None)
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Unconfirmed { .. }), "{err:?}");
    assert_eq!(fake.attempts_of("chat.postMessage"), 1);

    fake.fault(
        "users.info",
        None,
        0,
        1,
        Fault::Slow(Duration::from_secs(2)),
    );
    assert_eq!(api.user_name("U0BOB").await.unwrap(), "bob");
    assert_eq!(fake.attempts_of("users.info"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_that_surely_did_not_arrive_is_sent_again() {
    // A 429: Slack did not act on it.
    let fake = FakeSlack::start().await;
    let api = client(&fake);
    fake.rate_limit("chat.postMessage", None, 0, 1);
    api.post_message(PUBLISH, "Part 1", &[], None)
        .await
        .unwrap();
    assert_eq!(fake.attempts_of("chat.postMessage"), 2);
    assert_eq!(fake.posts_in(PUBLISH).len(), 1);
}

/// Wakes the test when the Web API client says it got no answer and will try again.
struct RetryWatch(Arc<tokio::sync::Notify>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for RetryWatch {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Said(bool);
        impl tracing::field::Visit for Said {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" && format!("{value:?}").contains("trying again") {
                    self.0 = true;
                }
            }
        }
        let mut said = Said(false);
        event.record(&mut said);
        if said.0 {
            self.0.notify_one();
        }
    }
}

// One thread: the client's events reach this test's own subscriber.
#[tokio::test]
async fn a_post_whose_connection_was_refused_goes_out_once_slack_comes_up() {
    use tracing_subscriber::layer::SubscriberExt;
    let retrying = Arc::new(tokio::sync::Notify::new());
    let _watch = tracing::subscriber::set_default(
        tracing_subscriber::registry().with(RetryWatch(retrying.clone())),
    );
    // Nothing listens there yet: the connection is refused, so nothing was sent.
    let addr = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    };
    let api = WebApi::new(
        &format!("http://{addr}/api"),
        Some(Token::new(BOT_TOKEN)),
        None,
    );
    // Slack comes up once the client has been refused and waits to try again.
    let late = async {
        retrying.notified().await;
        FakeSlack::start_at(addr).await
    };
    let (posted, late) = tokio::join!(api.post_message(PUBLISH, "Part 1", &[], None), late);
    posted.unwrap();
    assert_eq!(late.posts_in(PUBLISH).len(), 1);
}

/// The article's messages in the publish channel: each one's part number (from its
/// metadata) and text.
fn parts(w: &World) -> Vec<(u64, String)> {
    w.fake
        .posts_in(PUBLISH)
        .iter()
        .map(|c: &Call| {
            let meta = &c.body["metadata"];
            assert_eq!(meta["event_type"], "storydesk_chunk");
            assert_eq!(meta["event_payload"]["story"], 1);
            (
                meta["event_payload"]["chunk"].as_u64().unwrap(),
                plain(&c.text()),
            )
        })
        .collect()
}

/// Every paragraph of the numbered body, once and in order.
fn paragraph_numbers(text: &str) -> Vec<usize> {
    text.match_indices("Paragraph ")
        .filter_map(|(i, _)| text[i + 10..].split('.').next()?.parse().ok())
        .collect()
}

/// All the text of an ephemeral ack.
fn ack_text(ack: &Value) -> String {
    Call {
        method: "ack".into(),
        body: ack.clone(),
        ts: None,
        rate_limited: false,
        status: 200,
    }
    .text()
}

fn published(w: &World) -> storydesk::model::Publication {
    w.slack
        .desk()
        .store()
        .story(StoryId(1))
        .unwrap()
        .unwrap()
        .published
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_slack_did_not_confirm_is_found_and_not_posted_again() {
    let w = World::start(Via::Http).await;
    ready_to_publish(&w, &numbered_body(120)).await;
    // The second message is posted, but Slack answers 500.
    w.fake.fault(
        "chat.postMessage",
        Some(PUBLISH),
        1,
        1,
        Fault::FailAfter(500),
    );
    assert_eq!(w.command(ERIN, "publish").await, Value::Null);
    let told = w
        .fake
        .wait_call("response_url", "only partly published")
        .await;
    insta::assert_snapshot!(plain(&told.text()), @"Story #1 “Harbour budget vote delayed after leak” is only partly published in <#C0PUBLISHED>: message 1 of 3 is up. Slack did not confirm a message to <#C0PUBLISHED>: it may or may not have been posted, so I did not send it again. Run `/story publish` to continue: nothing already up is posted again.");
    let p = published(&w);
    let posting = p.posting.clone().expect("still being posted");
    assert_eq!(posting.posted.len(), 1);
    assert_eq!(posting.parts, Some(3));
    assert!(!w
        .fake
        .posts_in(NEWS)
        .iter()
        .any(|c| c.text().contains("erin published story #1")));

    // The editor publishes again: the second message is found, only the third is posted.
    let mark = w.fake.mark();
    let ack = w.command(ERIN, "publish").await;
    insta::assert_snapshot!(plain(&ack_text(&ack)), @"Continuing to publish story #1 “Harbour budget vote delayed after leak” to <#C0PUBLISHED>: message 1 of 3 is up. The rest follows.");
    w.fake
        .wait_post(NEWS, None, "erin published story #1")
        .await;
    let history: Vec<Call> = w
        .fake
        .since(mark)
        .into_iter()
        .filter(|c| c.method == "conversations.history")
        .collect();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].body["include_all_metadata"], "true");
    assert_eq!(history[0].body["channel"], PUBLISH);
    let oldest: i64 = history[0].body["oldest"].as_str().unwrap().parse().unwrap();
    assert!(
        oldest <= p.at.0 / 1000 && oldest >= p.at.0 / 1000 - 600,
        "{oldest}"
    );

    let parts = parts(&w);
    let numbers: Vec<u64> = parts.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, vec![0, 1, 2], "each part once, in order");
    let text: String = parts
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(paragraph_numbers(&text), (1..=120).collect::<Vec<_>>());
    let p = published(&w);
    assert!(p.is_complete());

    // Once complete, publishing again posts nothing.
    let again = w.command(ERIN, "publish").await;
    assert!(
        again["text"]
            .as_str()
            .unwrap()
            .contains("already published"),
        "{again}"
    );
    assert_eq!(w.fake.posts_in(PUBLISH).len(), 3);
}

/// A story published while Slack fails the third message of its article before acting on
/// it: two are up, and the publisher was told so (the call that told them).
async fn two_of_three_parts_up(w: &World) -> Call {
    ready_to_publish(w, &numbered_body(120)).await;
    w.fake.fault(
        "chat.postMessage",
        Some(PUBLISH),
        2,
        1,
        Fault::FailBefore(502),
    );
    assert_eq!(w.command(ERIN, "publish").await, Value::Null);
    w.fake
        .wait_call("response_url", "only partly published")
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_while_posting_continues_after_the_last_confirmed_part() {
    let w = World::start(Via::Http).await;
    let told = two_of_three_parts_up(&w).await;
    assert!(
        plain(&told.text()).contains("messages 1–2 of 3 are up"),
        "{}",
        told.body
    );
    assert_eq!(w.fake.posts_in(PUBLISH).len(), 2);

    // `serve` starting again finds the publication under way and finishes it.
    w.slack.resume_publications(None).await;
    let note = w
        .fake
        .wait_call("chat.postEphemeral", "Continuing to publish story #1")
        .await;
    assert_eq!(note.body["user"], ERIN.id);
    w.fake
        .wait_post(NEWS, None, "erin published story #1")
        .await;
    w.slack.idle().await;
    let numbers: Vec<u64> = parts(&w).iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, vec![0, 1, 2]);
    assert!(published(&w).is_complete());
    // The third part may have been up: Slack was asked once, and it was not.
    assert_eq!(w.fake.calls_of("conversations.history").len(), 1);
    assert_eq!(w.fake.posts_in(PUBLISH).len(), 3);
}

/// Beside other replicas, a publication that made progress recently is left to the
/// replica posting it; one that stopped making progress is continued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publication_progressing_elsewhere_is_left_alone_until_it_stops() {
    let w = World::start(Via::Http).await;
    two_of_three_parts_up(&w).await;
    assert_eq!(w.fake.posts_in(PUBLISH).len(), 2);

    // Its last part was confirmed a moment ago: another replica may be posting it.
    w.slack
        .resume_publications(Some(std::time::Duration::from_secs(120)))
        .await;
    w.slack.idle().await;
    assert_eq!(w.fake.posts_in(PUBLISH).len(), 2);
    assert!(!published(&w).is_complete());

    // No progress for longer than that (here: any time at all): it is continued.
    w.slack
        .resume_publications(Some(std::time::Duration::ZERO))
        .await;
    w.fake
        .wait_call("chat.postEphemeral", "Continuing to publish story #1")
        .await;
    w.fake
        .wait_post(NEWS, None, "erin published story #1")
        .await;
    w.slack.idle().await;
    assert!(published(&w).is_complete());
    assert_eq!(w.fake.posts_in(PUBLISH).len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_request_changes_and_approve_again_all_take_effect() {
    let w = World::start(Via::Http).await;
    w.command(ALICE, "new Harbour budget vote delayed after leak")
        .await;
    w.board().await;
    assert_eq!(w.write(ALICE, "intro", INTRO).await, Value::Null);
    let post = w.review_post("introduction", 1).await;
    let thread = post.thread();

    w.click(BOB, &post, APPROVE_ACTION).await;
    w.fake
        .wait_post(NEWS, thread, "bob approved introduction revision 1")
        .await;
    w.click(BOB, &post, CHANGES_ACTION).await;
    let modal = w.fake.wait_call("views.open", "storydesk_changes").await;
    w.submit(BOB, &modal, &[("note", "Name the office.")]).await;
    w.fake
        .wait_post(
            NEWS,
            thread,
            "bob asked for changes on introduction revision 1",
        )
        .await;
    // The same button on the same post, by the same person, a third click.
    w.click(BOB, &post, APPROVE_ACTION).await;
    w.fake
        .wait("the second approval", |calls| {
            (calls
                .iter()
                .filter(|c| {
                    c.method == "chat.postMessage"
                        && c.thread() == thread
                        // The second one withdraws bob's own change request.
                        && c.text().contains("approved introduction revision 1")
                })
                .count()
                == 2)
                .then_some(())
        })
        .await;
    let story = w.slack.desk().store().story(StoryId(1)).unwrap().unwrap();
    let intro = story.section("introduction").unwrap();
    assert_eq!(intro.current_approvals().count(), 1);
    assert!(intro.change_requests.iter().all(|c| !c.open));
}

/// Opens the source modal with `/story source add` and returns the `views.open` call.
async fn source_modal(w: &World) -> Call {
    let mark = w.fake.mark();
    assert_eq!(w.command(ALICE, "source add").await, Value::Null);
    w.fake
        .wait("views.open", |calls| {
            calls[mark..]
                .iter()
                .find(|c| c.method == "views.open")
                .cloned()
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_form_delivered_twice_adds_one_source() {
    for via in [Via::Http, Via::Socket] {
        let w = World::start(via).await;
        w.command(ALICE, "new Harbour budget vote delayed after leak")
            .await;
        w.board().await;
        let text_box = storydesk::slack::blocks::box_block_id(0);
        let opened = source_modal(&w).await;
        let submission = w.submission(ALICE, &opened, &[(text_box.as_str(), MEMO)]);
        // Slack delivers the one submission twice (a retry after a slow ack).
        assert_eq!(w.interact(submission.clone()).await, Value::Null);
        assert_eq!(w.interact(submission).await, Value::Null);
        // A second, different source proves both deliveries were handled before it.
        let opened = source_modal(&w).await;
        let other = "The port authority knew in December.";
        assert_eq!(
            w.submit(ALICE, &opened, &[(text_box.as_str(), other)])
                .await,
            Value::Null
        );
        let board = w.board().await;
        w.fake
            .wait_post(NEWS, board.ts.as_deref(), "Source 2")
            .await;
        let story = w.slack.desk().store().story(StoryId(1)).unwrap().unwrap();
        assert_eq!(story.sources.len(), 2, "{via:?}");
    }
}

/// One policy for a publication that fails partway (ARCHITECTURE.md, Delivery): a message
/// Slack refuses after others are up takes them down and undoes the publication, so
/// readers never find half an article standing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_after_parts_are_up_takes_them_down_and_unpublishes() {
    let w = World::start(Via::Http).await;
    ready_to_publish(&w, &numbered_body(120)).await;
    w.fake.fault(
        "chat.postMessage",
        Some(PUBLISH),
        1,
        1,
        Fault::Refuse("msg_too_long"),
    );
    assert_eq!(w.command(ERIN, "publish").await, Value::Null);
    let told = w.fake.wait_call("response_url", "was not published").await;
    insta::assert_snapshot!(plain(&told.text()), @"Story #1 “Harbour budget vote delayed after leak” was not published: Slack refused the message as too long or malformed. Please tell the operator. Then publish again; the story is unpublished until then.");
    let up: Vec<Call> = w
        .fake
        .calls_of("chat.postMessage")
        .into_iter()
        .filter(|c| c.channel() == PUBLISH && c.ts.is_some())
        .collect();
    assert_eq!(up.len(), 1);
    let deleted = w.fake.calls_of("chat.delete");
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].body["ts"].as_str(), up[0].ts.as_deref());
    assert_eq!(deleted[0].body["channel"], PUBLISH);
    let story = w.slack.desk().store().story(StoryId(1)).unwrap().unwrap();
    assert!(story.published.is_none(), "the publication was undone");
    assert!(!w
        .fake
        .posts_in(NEWS)
        .iter()
        .any(|c| c.text().contains("erin published story #1")));
}
