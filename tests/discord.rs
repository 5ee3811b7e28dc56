//! storydesk on Discord, against a fake Discord on loopback that the real serenity client
//! talks to: the whole workflow over the gateway and over the interactions endpoint,
//! signatures, redelivery, rate limits, long articles and mentions.

mod support;

use serde_json::{json, Value};
use storydesk::model::StoryId;
use support::fake_discord::{self, FakeDiscord, APP, NEWSROOM, PUBLISHED};
use support::{button, command, message_create, modal, Newsroom, Where, ALICE, BOB, CAROL, ERIN};

const TITLE: &str = "Harbour budget passes after a long night of debate";

const MINUTES: &str = "Minutes of the council meeting of 27 November.\n\nThe harbour budget was adopted by 21 votes to 14 after eleven hours of debate. The finance committee had asked for a cut of 4 million euros, which was rejected.";

const INTRO: &str = "The city council adopted the harbour budget early on Friday by 21 votes to 14, after eleven hours of debate, according to the minutes of the meeting.";

const CONCLUSION: &str =
    "The budget now goes to the regional authority, which has two months to approve it.";

fn body_text(extra: &str) -> String {
    format!(
        "The vote came after a night of amendments. The finance committee had asked for a cut of 4 million euros, which the council rejected.\n\n\
         Supporters said the harbour needs the money to stay open to larger ships. Opponents said the city cannot afford it while schools wait for repairs.\n\n\
         The minutes record that the mayor spoke last, shortly before five in the morning, and asked the council to think of the jobs at the port.{extra}"
    )
}

/// The id of a story's thread, as the adapter recorded it.
fn thread(n: &Newsroom, story: u64, kind: &str) -> u64 {
    n.discord
        .desk()
        .store()
        .anchor(&format!("discord:thread:{story}:{kind}"))
        .unwrap()
        .unwrap_or_else(|| panic!("no {kind} thread"))
        .parse()
        .unwrap()
}

/// The board's message id.
fn board(n: &Newsroom, story: u64) -> u64 {
    let anchor = n
        .discord
        .desk()
        .store()
        .anchor(&format!("discord:board:{story}"))
        .unwrap()
        .expect("a board");
    anchor.split_once(':').unwrap().1.parse().unwrap()
}

/// The custom id of button `index` (0 approve, 1 request changes) on the latest review post
/// in a thread.
fn latest_button(n: &Newsroom, thread: u64, index: usize) -> String {
    let post = n
        .fake
        .posted_in(thread)
        .into_iter()
        .rev()
        .find(|c| {
            c.body["components"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        })
        .expect("a post with buttons");
    post.body["components"][0]["components"][index]["custom_id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Every call that creates or edits a message carries empty allowed mentions.
fn assert_no_pings(fake: &FakeDiscord) {
    let expected = json!({"parse": [], "users": [], "roles": [], "replied_user": false});
    let mut checked = 0;
    for call in fake.calls() {
        let data = if call.path.ends_with("/callback") {
            match call.body["type"].as_u64() {
                Some(4) | Some(7) => &call.body["data"],
                _ => continue,
            }
        } else if (call.method == "POST" && call.path.ends_with("/messages"))
            || (call.method == "POST" && call.path.starts_with("/webhooks/"))
            || (call.method == "PATCH" && call.path.contains("/messages/"))
        {
            &call.body
        } else {
            continue;
        };
        assert_eq!(
            data["allowed_mentions"], expected,
            "{} {} lets mentions through",
            call.method, call.path
        );
        checked += 1;
    }
    assert!(checked > 0);
}

fn content(answer: &Value) -> &str {
    answer["data"]["content"].as_str().unwrap_or_default()
}

fn ephemeral(answer: &Value) -> bool {
    answer["data"]["flags"].as_u64().unwrap_or(0) & 64 != 0
}

async fn approve(n: &Newsroom, who: (u64, &str), section: &str) {
    let t = thread(n, 1, section);
    let custom = latest_button(n, t, 0);
    let answer = n
        .send(button(n.id(), who, Where::Thread(t), 1, &custom))
        .await;
    assert_eq!(answer["type"], 6, "{section}: {answer}");
}

/// The whole story, from `/story new` to the published article.
async fn whole_workflow(n: &Newsroom) {
    let fake = &n.fake;

    // alice starts the story: the answer announces it in the channel, the board is posted,
    // and the title's first revision goes into the title's thread.
    let answer = n
        .send(command(
            n.id(),
            ALICE,
            Where::Newsroom,
            "new",
            &[("title", json!(TITLE))],
            None,
        ))
        .await;
    assert_eq!(answer["type"], 4);
    assert!(content(&answer).contains("started story #1"), "{answer}");
    assert!(!ephemeral(&answer));
    let board_id = board(n, 1);
    assert!(fake.content(board_id).unwrap().starts_with("**Story #1"));
    let title_thread = thread(n, 1, "title");
    assert!(fake.posted_in(title_thread)[0].body["content"]
        .as_str()
        .unwrap()
        .contains(TITLE));

    // A source through the form.
    let answer = n
        .send(command(
            n.id(),
            ALICE,
            Where::Newsroom,
            "source add",
            &[("label", json!("council minutes"))],
            None,
        ))
        .await;
    assert_eq!(answer["type"], 9);
    assert_eq!(answer["data"]["custom_id"], "sd:source");
    assert_eq!(
        answer["data"]["components"][0]["components"][0]["value"],
        "council minutes"
    );
    n.send(modal(
        n.id(),
        ALICE,
        Where::Newsroom,
        "sd:source",
        &[
            ("label", "council minutes"),
            ("text1", MINUTES),
            ("text2", ""),
        ],
    ))
    .await;
    let sources = thread(n, 1, "sources");
    assert!(fake.posted_in(sources).iter().any(|c| c.body["content"]
        .as_str()
        .unwrap()
        .starts_with("Source 1 “council minutes” added by alice")));

    // alice writes the introduction in the form.
    let answer = n
        .send(command(
            n.id(),
            ALICE,
            Where::Newsroom,
            "write",
            &[("section", json!("introduction"))],
            None,
        ))
        .await;
    assert_eq!(answer["type"], 9, "{answer}");
    assert_eq!(answer["data"]["custom_id"], "sd:write:1:introduction");
    n.send(modal(
        n.id(),
        ALICE,
        Where::Newsroom,
        "sd:write:1:introduction",
        &[("text1", INTRO)],
    ))
    .await;

    // bob writes the body as a file.
    let body = body_text("");
    let url = fake.serve_file("body.md", body.as_bytes());
    let answer = n
        .send(command(
            n.id(),
            BOB,
            Where::Newsroom,
            "write",
            &[("section", json!("body"))],
            Some((600_000_000_000_000_001, "body.md", &url, body.len())),
        ))
        .await;
    assert_eq!(answer["type"], 5, "a download is deferred: {answer}");
    let body_thread = thread(n, 1, "body");
    assert!(fake.posted_in(body_thread)[0].body["content"]
        .as_str()
        .unwrap()
        .contains("supporters said the harbour".trim_start_matches('s')));

    // The conclusion, from inside its own thread's channel (the newsroom).
    n.send(command(
        n.id(),
        BOB,
        Where::Newsroom,
        "write",
        &[("section", json!("conclusion"))],
        None,
    ))
    .await;
    n.send(modal(
        n.id(),
        BOB,
        Where::Newsroom,
        "sd:write:1:conclusion",
        &[("text1", CONCLUSION)],
    ))
    .await;

    n.send(command(
        n.id(),
        ALICE,
        Where::Newsroom,
        "ref add",
        &[
            ("title", json!("Minutes of the council meeting")),
            ("author", json!("City Council")),
            ("date", json!("2026-11-27")),
            ("outlet", json!("City of Example")),
            ("url", json!("https://example.org/council/minutes")),
        ],
        None,
    ))
    .await;

    // carol reviews: approves four sections, asks for changes on the body.
    for section in ["title", "introduction", "conclusion", "references"] {
        approve(n, CAROL, section).await;
    }
    let custom = latest_button(n, body_thread, 1);
    let answer = n
        .send(button(
            n.id(),
            CAROL,
            Where::Thread(body_thread),
            1,
            &custom,
        ))
        .await;
    assert_eq!(answer["type"], 9);
    let note_form = answer["data"]["custom_id"].as_str().unwrap().to_string();
    assert_eq!(note_form, "sd:note:1:1:body");
    n.send(modal(
        n.id(),
        CAROL,
        Where::Thread(body_thread),
        &note_form,
        &[("note", "Say who the opponents are.")],
    ))
    .await;
    assert!(fake
        .content(board_id)
        .unwrap()
        .contains("changes requested"));

    // bob opens the form from the body's thread: it holds the current text.
    let answer = n
        .send(command(
            n.id(),
            BOB,
            Where::Thread(body_thread),
            "write",
            &[("section", json!("body"))],
            None,
        ))
        .await;
    assert_eq!(answer["type"], 9, "{answer}");
    assert_eq!(answer["data"]["custom_id"], "sd:write:1:body");
    assert_eq!(
        answer["data"]["components"][0]["components"][0]["value"],
        body.as_str()
    );
    let revised = body_text(" Opponents were the Green and Liberal groups.");
    n.send(modal(
        n.id(),
        BOB,
        Where::Thread(body_thread),
        "sd:write:1:body",
        &[("text1", &revised), ("text2", "")],
    ))
    .await;
    approve(n, CAROL, "body").await;
    assert!(fake
        .content(board_id)
        .unwrap()
        .contains("5/5 sections approved"));

    // erin publishes.
    let before = fake.posted_in(PUBLISHED).len();
    assert_eq!(before, 0);
    let answer = n
        .send(command(n.id(), ERIN, Where::Newsroom, "publish", &[], None))
        .await;
    assert_eq!(answer["type"], 5, "{answer}");
    let article: Vec<String> = fake
        .posted_in(PUBLISHED)
        .iter()
        .map(|c| c.body["content"].as_str().unwrap().to_string())
        .collect();
    assert!(article[0].starts_with(&format!("# {TITLE}")), "{article:?}");
    let whole = article.join("\n\n");
    for part in [INTRO, revised.as_str(), CONCLUSION] {
        for paragraph in part.split("\n\n") {
            assert!(whole.contains(paragraph), "missing: {paragraph}");
        }
    }
    assert!(article.last().unwrap().starts_with("## References"));
    assert!(article
        .last()
        .unwrap()
        .contains("Minutes of the council meeting"));
    let edits = fake.calls_to("PATCH", |p| p.ends_with("/messages/@original"));
    assert!(edits
        .iter()
        .any(|c| c.body["content"].as_str().unwrap_or_default()
            == format!(
                "The article is in <#{PUBLISHED}> ({} messages).",
                article.len()
            )
            || c.body["content"].as_str().unwrap_or_default()
                == format!("The article is in <#{PUBLISHED}> (1 message).")));
    let announcements = fake.calls_to("POST", |p| p.starts_with("/webhooks/"));
    assert!(announcements.iter().any(|c| c.body["content"]
        .as_str()
        .unwrap()
        .starts_with("erin published story #1")));
    assert!(fake
        .content(board_id)
        .unwrap()
        .contains("**Published** by erin"));
    let story = n.discord.desk().store().story(StoryId(1)).unwrap().unwrap();
    assert!(story.published.is_some());

    // One board, edited in place; nothing ever pings.
    let boards: Vec<_> = fake
        .posted_in(NEWSROOM)
        .into_iter()
        .filter(|c| {
            c.body["content"]
                .as_str()
                .unwrap()
                .starts_with("**Story #1")
        })
        .collect();
    assert_eq!(boards.len(), 1);
    assert_no_pings(fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_workflow_over_the_gateway() {
    let n = Newsroom::start(true).await;
    let identify = n.fake.identify().unwrap();
    assert_eq!(identify["token"], "Bot fake-token");
    // GUILDS | GUILD_MESSAGES; message content is not granted here.
    assert_eq!(identify["intents"].as_u64().unwrap(), 1 | (1 << 9));
    whole_workflow(&n).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_workflow_over_the_interactions_endpoint() {
    let n = Newsroom::start(false).await;
    whole_workflow(&n).await;
    // Over HTTP the first answers are HTTP responses: no callback went over REST.
    assert!(n
        .fake
        .calls_to("POST", |p| p.ends_with("/callback"))
        .is_empty());
}
