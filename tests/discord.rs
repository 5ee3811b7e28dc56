//! storydesk on Discord, against a fake Discord on loopback that the real serenity client
//! talks to: the whole workflow over the gateway and over the interactions endpoint,
//! signatures, redelivery, rate limits, long articles and mentions.

mod support;

use serde_json::{json, Value};
use storydesk::model::StoryId;
use support::fake_discord::{self, FakeDiscord, APP, NEWSROOM, PUBLISHED};
use support::{
    button, command, message_create, modal, moved, Newsroom, Where, ALICE, BOB, CAROL, ERIN,
};

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
        .anchor_as_recorded(&format!("discord:thread:{story}:{kind}"))
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
        .anchor_as_recorded(&format!("discord:board:{story}"))
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

/// Every call that creates or edits a message lets no mention through but the ones the desk
/// made itself: a revision's author told at the start of a change request (`<@ID>: …`).
fn assert_no_pings(fake: &FakeDiscord) {
    let mut checked = 0;
    for call in fake.calls() {
        let data = if call.path.ends_with("/callback") {
            match call.body["type"].as_u64() {
                Some(4) | Some(7) => &call.body["data"],
                _ => continue,
            }
        } else if (call.method == "POST"
            && (call.path.ends_with("/messages") || call.path.starts_with("/webhooks/")))
            || (call.method == "PATCH" && call.path.contains("/messages/"))
        {
            &call.body
        } else {
            continue;
        };
        let content = data["content"].as_str().unwrap_or_default();
        let users: Vec<String> = data["allowed_mentions"]["users"]
            .as_array()
            .map(|u| {
                u.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let expected_users: Vec<String> = content
            .strip_prefix("<@")
            .and_then(|rest| rest.split_once(">: "))
            .filter(|(_, rest)| rest.contains("asked for changes"))
            .map(|(id, _)| vec![id.to_string()])
            .unwrap_or_default();
        let expected = json!({
            "parse": [],
            "users": expected_users,
            "roles": [],
            "replied_user": false
        });
        assert_eq!(
            data["allowed_mentions"], expected,
            "{} {} lets mentions through: {content}",
            call.method, call.path
        );
        assert!(users.len() <= 1);
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
    assert_eq!(answer["data"]["custom_id"], "sd:write:1@0:introduction");
    n.send(modal(
        n.id(),
        ALICE,
        Where::Newsroom,
        "sd:write:1@0:introduction",
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
    assert_eq!(answer["data"]["custom_id"], "sd:write:1@1:body");
    assert_eq!(
        answer["data"]["components"][0]["components"][0]["value"],
        body.as_str()
    );
    let revised = body_text(" Opponents were the Green and Liberal groups.");
    n.send(modal(
        n.id(),
        BOB,
        Where::Thread(body_thread),
        "sd:write:1@1:body",
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

/// `[discord] shards = "1-1/3"`: the gateway identifies as shard 1 of 3 (serenity's range
/// end is read as included, so exactly that one shard starts).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_range_identifies_as_its_shard_of_the_total() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let desk = storydesk::open_desk(support::config(), dir.path()).unwrap();
    let http =
        |token: &str| storydesk::discord::build_http(token, Some(APP), Some(&fake.api_url()), None);
    let discord = storydesk::discord::Discord::new(desk, std::sync::Arc::new(http("fake-token")));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let gateway = tokio::spawn(storydesk::discord::gateway::run(
        discord,
        http("fake-token"),
        storydesk::health::Signal::detached("discord_gateway"),
        Some(storydesk::config::ShardRange {
            first: 1,
            last: 1,
            total: 3,
        }),
        async {
            let _ = stopped.await;
        },
    ));
    fake.wait_for("the gateway's IDENTIFY", |_| fake.identify().is_some())
        .await;
    assert_eq!(fake.identify().unwrap()["shard"], json!([1, 3]));
    assert_eq!(fake.gateway_counts().0, 1, "one shard, one connection");
    stop.send(()).unwrap();
    gateway.await.unwrap().unwrap();
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

/// A story with every section written and approved, ready for erin to publish. The body
/// is `body`, sent as a file.
async fn ready_to_publish(n: &Newsroom, body: &str) {
    n.send(command(
        n.id(),
        ALICE,
        Where::Newsroom,
        "new",
        &[("title", json!(TITLE))],
        None,
    ))
    .await;
    for (section, text) in [("introduction", INTRO), ("conclusion", CONCLUSION)] {
        n.send(modal(
            n.id(),
            ALICE,
            Where::Newsroom,
            &format!("sd:write:1:{section}"),
            &[("text1", text)],
        ))
        .await;
    }
    if body.chars().count() <= 20_000 {
        // In the form, over as many fields as it takes.
        let parts = storydesk::text::chunk::chunk(body, 4000);
        let names: Vec<String> = (1..=parts.len()).map(|i| format!("text{i}")).collect();
        let fields: Vec<(&str, &str)> = names
            .iter()
            .map(String::as_str)
            .zip(parts.iter().copied())
            .collect();
        n.send(modal(
            n.id(),
            BOB,
            Where::Newsroom,
            "sd:write:1:body",
            &fields,
        ))
        .await;
    } else {
        let url = n.fake.serve_file("body.txt", body.as_bytes());
        n.send(command(
            n.id(),
            BOB,
            Where::Newsroom,
            "write",
            &[("section", json!("body"))],
            Some((600_000_000_000_000_002, "body.txt", &url, body.len())),
        ))
        .await;
    }
    n.send(command(
        n.id(),
        ALICE,
        Where::Newsroom,
        "ref add",
        &[
            ("title", json!("Minutes of the council meeting")),
            ("url", json!("https://example.org/council/minutes")),
        ],
        None,
    ))
    .await;
    for section in ["title", "introduction", "body", "conclusion", "references"] {
        approve(n, CAROL, section).await;
    }
}

/// The publisher's answers, in order: they say where the article is and in how many
/// messages (not replaced afterwards by a bare "Done."), and the channel is told who
/// published the story.
async fn publisher_told(n: &Newsroom, publisher: &str, parts: usize) -> Vec<String> {
    let said = format!("The article is in <#{PUBLISHED}> ({parts} messages).");
    n.fake
        .wait_for(&said, |calls| {
            calls.iter().any(|c| {
                c.path.starts_with("/webhooks/") && c.body["content"].as_str() == Some(&said)
            })
        })
        .await;
    let answers: Vec<fake_discord::Call> = n
        .fake
        .calls_to("POST", |p| p.starts_with("/webhooks/"))
        .into_iter()
        .chain(n.fake.calls_to("PATCH", |p| p.starts_with("/webhooks/")))
        .filter(|c| c.body["content"].is_string())
        .collect();
    let texts: Vec<String> = answers
        .iter()
        .map(|c| c.body["content"].as_str().unwrap_or_default().to_string())
        .collect();
    // The filled first answer is the last edit of it: it must not be a bare "Done." over
    // what was said.
    let last_edit = answers
        .iter()
        .rev()
        .find(|c| c.method == "PATCH" && c.path.ends_with("/@original"))
        .and_then(|c| c.body["content"].as_str());
    assert_ne!(last_edit, Some("Done."), "{texts:?}");
    let announced = format!("{publisher} published story #1 “{TITLE}” to #published.");
    assert!(texts.contains(&announced), "{announced}: {texts:?}");
    assert!(texts.contains(&said), "{said}: {texts:?}");
    texts
}

/// Waits until the adapter has handled `count` gateway messages (a 20 s bound against
/// hanging, not a speed assertion).
async fn handled(n: &Newsroom, count: u64) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while n.discord.messages_handled() < count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {count} gateway messages were handled",
            n.discord.messages_handled()
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

fn publish(n: &Newsroom) -> Value {
    command(n.id(), ERIN, Where::Newsroom, "publish", &[], None)
}

fn signed(body: &str, key: &ed25519_dalek::SigningKey, ts: &str) -> String {
    use ed25519_dalek::Signer;
    support::hex(
        &key.sign(&[ts.as_bytes(), body.as_bytes()].concat())
            .to_bytes(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn badly_signed_requests_are_refused_and_change_nothing() {
    let n = Newsroom::start(false).await;
    let support::Delivery::Endpoint { addr, client } = &n.delivery else {
        unreachable!()
    };
    let body = command(
        9,
        ALICE,
        Where::Newsroom,
        "new",
        &[("title", json!(TITLE))],
        None,
    )
    .to_string();
    let now = support::now_secs().to_string();
    let good = signed(&body, &support::signing_key(), &now);
    let other_key = ed25519_dalek::SigningKey::from_bytes(&[43u8; 32]);
    let stale = (support::now_secs() - 3600).to_string();
    let mut forged = good.clone().into_bytes();
    forged[10] = if forged[10] == b'0' { b'1' } else { b'0' };
    let forged = String::from_utf8(forged).unwrap();
    let cases: Vec<(&str, Option<String>, Option<String>)> = vec![
        ("forged signature", Some(forged), Some(now.clone())),
        (
            "signed with another key",
            Some(signed(&body, &other_key, &now)),
            Some(now.clone()),
        ),
        (
            "stale timestamp",
            Some(signed(&body, &support::signing_key(), &stale)),
            Some(stale.clone()),
        ),
        (
            "garbled timestamp",
            Some(signed(&body, &support::signing_key(), "soon")),
            Some("soon".into()),
        ),
        (
            "signature of another timestamp",
            Some(good.clone()),
            Some((support::now_secs() - 1).to_string()),
        ),
        ("no signature", None, Some(now.clone())),
        ("no timestamp", Some(good.clone()), None),
        ("not hex", Some("xyz".into()), Some(now.clone())),
    ];
    for (what, sig, ts) in cases {
        let mut request = client
            .post(format!("http://{addr}/discord/interactions"))
            .header("content-type", "application/json")
            .body(body.clone());
        if let Some(sig) = sig {
            request = request.header("x-signature-ed25519", sig);
        }
        if let Some(ts) = ts {
            request = request.header("x-signature-timestamp", ts);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{what}");
    }
    n.discord.idle().await;
    assert!(n.discord.desk().store().story_ids().unwrap().is_empty());
    assert!(n.fake.calls().is_empty(), "{:?}", n.fake.calls());

    // A PING, properly signed, is answered PONG.
    let ping = json!({"type": 1, "id": "1", "application_id": APP.to_string(), "token": "t", "version": 1}).to_string();
    let response = client
        .post(format!("http://{addr}/discord/interactions"))
        .header(
            "x-signature-ed25519",
            signed(&ping, &support::signing_key(), &now),
        )
        .header("x-signature-timestamp", &now)
        .body(ping)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), json!({"type": 1}));
}

async fn redelivery(gateway: bool) {
    let n = Newsroom::start(gateway).await;
    let new = command(
        n.id(),
        ALICE,
        Where::Newsroom,
        "new",
        &[("title", json!(TITLE))],
        None,
    );
    let first = n.send(new.clone()).await;
    assert!(content(&first).contains("started story #1"));
    let calls = n.fake.calls().len();
    let again = n.send(new).await;
    assert!(!content(&again).contains("started"), "{again}");
    assert_eq!(
        n.discord.desk().store().story_ids().unwrap(),
        vec![StoryId(1)]
    );
    // Nothing posted, edited or created the second time (over the gateway, only the
    // answer itself, which Discord refuses for an interaction already answered).
    let after: Vec<_> = n.fake.calls()[calls..]
        .iter()
        .filter(|c| !c.path.ends_with("/callback"))
        .map(|c| format!("{} {}", c.method, c.path))
        .collect();
    assert!(after.is_empty(), "{after:?}");

    // A button clicked twice (a retried delivery) approves once.
    let t = thread(&n, 1, "title");
    let custom = latest_button(&n, t, 0);
    let click = button(n.id(), CAROL, Where::Thread(t), 1, &custom);
    n.send(click.clone()).await;
    n.send(click).await;
    let story = n.discord.desk().store().story(StoryId(1)).unwrap().unwrap();
    assert_eq!(story.section("title").unwrap().approvals.len(), 1);
    let approvals = n
        .fake
        .posted_in(t)
        .iter()
        .filter(|c| {
            c.body["content"]
                .as_str()
                .unwrap()
                .contains("carol approved")
        })
        .count();
    assert_eq!(approvals, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_interaction_has_one_effect_over_the_endpoint() {
    redelivery(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_interaction_has_one_effect_over_the_gateway() {
    redelivery(true).await;
}

/// Paragraphs with numbered sentences, to find every one in the published messages.
fn long_body(chars: usize) -> String {
    let mut body = String::new();
    let mut n = 0;
    while body.chars().count() < chars {
        for _ in 0..6 {
            n += 1;
            body.push_str(&format!(
                "Sentence {n:05} of the report says the harbour needs dredging before spring. "
            ));
        }
        body.push_str("\n\n");
    }
    body.trim_end().to_string()
}

fn sentence_numbers(text: &str) -> Vec<u32> {
    text.match_indices("Sentence ")
        .filter_map(|(i, _)| text.get(i + 9..i + 14)?.parse().ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forty_thousand_character_article_arrives_whole_within_limits() {
    let n = Newsroom::start(false).await;
    let body = long_body(40_000);
    assert!(body.chars().count() >= 40_000);
    ready_to_publish(&n, &body).await;
    let answer = n.send(publish(&n)).await;
    assert_eq!(answer["type"], 5);
    let messages: Vec<String> = n
        .fake
        .posted_in(PUBLISHED)
        .iter()
        .map(|c| c.body["content"].as_str().unwrap().to_string())
        .collect();
    assert!(messages.len() >= 21, "{}", messages.len());
    for m in &messages {
        let chars = m.chars().count();
        assert!((1..=2000).contains(&chars), "{chars}");
    }
    let expected = sentence_numbers(&body);
    assert_eq!(sentence_numbers(&messages.concat()), expected);
    // Cut between sentences, never inside one.
    for m in &messages[1..messages.len() - 1] {
        assert!(m.ends_with('.'), "{}", &m[m.len() - 30..]);
    }
    assert!(messages.last().unwrap().starts_with("## References"));
    assert_no_pings(&n.fake);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_during_publishing_is_waited_out_by_serenitys_ratelimiter() {
    let cert = fake_discord::discord_com_cert();
    let fake = FakeDiscord::start_tls(&cert).await;
    // No proxy: serenity's ratelimiter is on and talks to https://discord.com, which
    // resolves to the fake.
    let http = storydesk::discord::build_http(
        "fake-token",
        Some(APP),
        None,
        Some(fake_discord::client_for(&fake, &cert)),
    );
    assert!(http.ratelimiter.is_some());
    let n = Newsroom::with_http(fake, http, false).await;
    ready_to_publish(&n, &long_body(9_000)).await;
    let path = format!("/channels/{PUBLISHED}/messages");
    n.fake.script(
        "POST",
        &path,
        2,
        429,
        0,
        &[
            ("retry-after", "0.5"),
            ("x-ratelimit-limit", "5"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset-after", "0.5"),
            ("x-ratelimit-bucket", "fake-bucket"),
            ("x-ratelimit-scope", "user"),
        ],
    );
    let answer = n.send(publish(&n)).await;
    assert_eq!(answer["type"], 5);
    publisher_told(&n, "erin", 7).await;
    let tries = n.fake.calls_to("POST", |p| p == path);
    assert!(
        tries.iter().any(|c| c.status == 429),
        "the fake never limited"
    );
    let messages: Vec<String> = n
        .fake
        .posted_in(PUBLISHED)
        .iter()
        .map(|c| c.body["content"].as_str().unwrap().to_string())
        .collect();
    assert!(messages.len() >= 6, "{}", messages.len());
    // Whole, in order, once.
    let numbers = sentence_numbers(&messages.concat());
    assert_eq!(numbers, sentence_numbers(&long_body(9_000)));
    let mut unique = messages.clone();
    unique.dedup();
    assert_eq!(unique.len(), messages.len());
    assert!(messages[0].starts_with(&format!("# {TITLE}")));
    assert!(messages.last().unwrap().starts_with("## References"));
    let story = n.discord.desk().store().story(StoryId(1)).unwrap().unwrap();
    assert!(story.published.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_in_a_source_are_published_without_pinging_anyone() {
    let fake = FakeDiscord::start().await;
    fake.grant_message_content(true);
    let http = storydesk::discord::build_http("fake-token", Some(APP), Some(&fake.api_url()), None);
    let n = Newsroom::with_http(fake, http, true).await;
    let identify = n.fake.identify().unwrap();
    assert_ne!(
        identify["intents"].as_u64().unwrap() & (1 << 15),
        0,
        "message content asked for: {identify} {:?}",
        n.fake.calls()
    );
    let quote = "@everyone the harbour closes on Monday, tell <@&777000000000000001> and @here";
    n.send(command(
        n.id(),
        ALICE,
        Where::Newsroom,
        "new",
        &[("title", json!(TITLE))],
        None,
    ))
    .await;
    // The source thread exists once a source is added; then a message posted there is one.
    n.send(modal(
        n.id(),
        ALICE,
        Where::Newsroom,
        "sd:source",
        &[("text1", MINUTES)],
    ))
    .await;
    let sources = thread(&n, 1, "sources");
    n.fake.dispatch(
        "MESSAGE_CREATE",
        message_create(650_000_000_000_000_001, BOB, sources, quote),
    );
    n.fake
        .wait_for("the second source", |calls| {
            calls.iter().any(|c| {
                c.body["content"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("Source 2 “message from bob”"))
            })
        })
        .await;
    n.discord.idle().await;
    let source = n
        .discord
        .desk()
        .store()
        .source(StoryId(1), 2)
        .unwrap()
        .unwrap();
    assert_eq!(source.text, quote);

    let body = body_text(&format!(" A message to staff read: “{quote}”"));
    ready_to_publish_existing(&n, &body).await;
    n.send(publish(&n)).await;
    let published = n.fake.posted_in(PUBLISHED);
    assert!(published.iter().any(|c| c.body["content"]
        .as_str()
        .unwrap()
        .contains("@everyone the harbour closes on Monday, tell <@&777000000000000001>")));
    assert_no_pings(&n.fake);
}

/// Like [`ready_to_publish`], for a story that already exists.
async fn ready_to_publish_existing(n: &Newsroom, body: &str) {
    for (section, text) in [
        ("introduction", INTRO),
        ("conclusion", CONCLUSION),
        ("body", body),
    ] {
        n.send(modal(
            n.id(),
            ALICE,
            Where::Newsroom,
            &format!("sd:write:1:{section}"),
            &[("text1", text)],
        ))
        .await;
    }
    n.send(command(
        n.id(),
        ALICE,
        Where::Newsroom,
        "ref add",
        &[
            ("title", json!("Minutes of the council meeting")),
            ("url", json!("https://example.org/council/minutes")),
        ],
        None,
    ))
    .await;
    for section in ["title", "introduction", "body", "conclusion", "references"] {
        approve(n, CAROL, section).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_message_content_the_source_thread_says_so_once() {
    let n = Newsroom::start(true).await;
    n.send(command(
        n.id(),
        ALICE,
        Where::Newsroom,
        "new",
        &[("title", json!(TITLE))],
        None,
    ))
    .await;
    n.send(modal(
        n.id(),
        ALICE,
        Where::Newsroom,
        "sd:source",
        &[("text1", MINUTES)],
    ))
    .await;
    let sources = thread(&n, 1, "sources");
    for id in [650_000_000_000_000_010u64, 650_000_000_000_000_011] {
        // Without the intent Discord delivers the message with empty content.
        n.fake
            .dispatch("MESSAGE_CREATE", message_create(id, BOB, sources, ""));
    }
    n.fake
        .wait_for("the intent notice", |calls| {
            calls.iter().any(|c| {
                c.body["content"]
                    .as_str()
                    .is_some_and(|t| t.contains("Message Content intent is off"))
            })
        })
        .await;
    // Once all three messages are handled, count.
    n.fake.dispatch(
        "MESSAGE_CREATE",
        message_create(650_000_000_000_000_012, BOB, sources, ""),
    );
    handled(&n, 3).await;
    n.discord.idle().await;
    let notices = n
        .fake
        .posted_in(sources)
        .iter()
        .filter(|c| {
            c.body["content"]
                .as_str()
                .unwrap()
                .contains("Message Content intent is off")
        })
        .count();
    assert_eq!(notices, 1);
    let story = n.discord.desk().store().story(StoryId(1)).unwrap().unwrap();
    assert_eq!(story.sources.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_permission_in_the_publishing_channel_is_explained_and_undone() {
    let n = Newsroom::start(false).await;
    ready_to_publish(&n, &body_text("")).await;
    n.fake.forbid(PUBLISHED);
    n.send(publish(&n)).await;
    let edits = n
        .fake
        .calls_to("PATCH", |p| p.ends_with("/messages/@original"));
    let said = edits.last().unwrap().body["content"]
        .as_str()
        .unwrap()
        .to_string();
    insta::assert_snapshot!(said, @"Story #1 “Harbour budget passes after a long night of debate” was not published: storydesk may not post in <#900000000000000300>. Give storydesk's role the View Channel and Send Messages permissions there (Edit Channel → Permissions). Then publish again; the story is unpublished until then.");
    let story = n.discord.desk().store().story(StoryId(1)).unwrap().unwrap();
    assert!(story.published.is_none());
    assert!(n.fake.posted_in(PUBLISHED).is_empty());
    assert!(!n
        .fake
        .calls_to("POST", |p| p.starts_with("/webhooks/"))
        .iter()
        .any(|c| c.body["content"]
            .as_str()
            .unwrap_or_default()
            .contains("published story")));

    // Once the permission is given, publishing works.
    n.fake.allow(PUBLISHED);
    n.send(publish(&n)).await;
    publisher_told(&n, "erin", 2).await;
    assert!(!n.fake.posted_in(PUBLISHED).is_empty());
    let story = n.discord.desk().store().story(StoryId(1)).unwrap().unwrap();
    assert!(story.published.is_some());
}

/// One policy for a publication that fails partway (ARCHITECTURE.md, Delivery): a message
/// Discord refuses takes the ones already up down and undoes the publication; one it does not
/// confirm keeps them, each recorded, and publishing again continues after the last one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publication_failing_partway_is_taken_down_if_refused_and_continued_if_unconfirmed() {
    let n = Newsroom::start(false).await;
    let body = long_body(5_000);
    ready_to_publish(&n, &body).await;
    let path = format!("/channels/{PUBLISHED}/messages");
    // The second message is refused.
    n.fake.script("POST", &path, 1, 403, 50013, &[]);
    n.send(publish(&n)).await;
    assert_eq!(n.fake.posted_in(PUBLISHED).len(), 1);
    let deleted = n
        .fake
        .calls_to("DELETE", |p| p.starts_with(&format!("{path}/")));
    assert_eq!(deleted.len(), 1, "the message up is taken down");
    let story = n.discord.desk().store().story(StoryId(1)).unwrap().unwrap();
    assert!(story.published.is_none());

    // The second message is not confirmed (a 500): the first stays up and is recorded.
    n.fake.script("POST", &path, 1, 500, 0, &[]);
    n.send(publish(&n)).await;
    let story = n.discord.desk().store().story(StoryId(1)).unwrap().unwrap();
    let posting = story
        .published
        .unwrap()
        .posting
        .expect("still being posted");
    assert_eq!(posting.posted.len(), 1);
    let said = n
        .fake
        .calls_to("PATCH", |p| p.ends_with("/messages/@original"))
        .last()
        .unwrap()
        .body["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(said.contains("only partly published"), "{said}");
    assert_eq!(
        n.fake
            .calls_to("DELETE", |p| p.starts_with(&format!("{path}/")))
            .len(),
        1,
        "nothing more is deleted"
    );

    // Publishing again continues after it: every sentence once, in order.
    n.send(publish(&n)).await;
    let told = publisher_told(&n, "erin", 4).await;
    assert!(
        told.iter()
            .any(|t| t.starts_with("Continuing to publish story #1")
                && t.ends_with("message 1 of 4 is up. The rest follows.")),
        "{told:?}"
    );
    let messages: Vec<String> = n.fake.posted_in(PUBLISHED)[1..]
        .iter()
        .map(|c| c.body["content"].as_str().unwrap().to_string())
        .collect();
    assert!(messages.len() >= 3, "{}", messages.len());
    assert_eq!(
        sentence_numbers(&messages.concat()),
        sentence_numbers(&body)
    );
    let story = n.discord.desk().store().story(StoryId(1)).unwrap().unwrap();
    assert!(story.published.unwrap().is_complete());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archived_thread_and_an_unknown_section_are_explained() {
    let n = Newsroom::start(false).await;
    n.send(command(
        n.id(),
        ALICE,
        Where::Newsroom,
        "new",
        &[("title", json!(TITLE))],
        None,
    ))
    .await;
    let title = thread(&n, 1, "title");
    n.fake.archive(title);
    n.send(modal(
        n.id(),
        ALICE,
        Where::Newsroom,
        "sd:write:1:title",
        &[("text1", "Harbour budget adopted after eleven hours")],
    ))
    .await;
    let followups = n.fake.calls_to("POST", |p| p.starts_with("/webhooks/"));
    let said = followups.last().unwrap();
    assert_eq!(said.body["flags"], 64);
    insta::assert_snapshot!(said.body["content"].as_str().unwrap(), @"The title thread is archived and locked, so storydesk could not post there. The change itself is saved. Ask a moderator to unlock the thread (thread menu → Unlock Thread); new posts will go there again.");

    let answer = n
        .send(command(
            n.id(),
            ALICE,
            Where::Newsroom,
            "claim",
            &[("section", json!("bdy"))],
            None,
        ))
        .await;
    assert!(ephemeral(&answer));
    insta::assert_snapshot!(content(&answer), @"There is no section `bdy`. Did you mean `body`? Sections: title, introduction, body, conclusion, references.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_section_longer_than_a_form_comes_as_a_file() {
    let n = Newsroom::start(false).await;
    let body = long_body(25_000);
    ready_to_publish(&n, &body).await;
    let answer = n
        .send(command(
            n.id(),
            BOB,
            Where::Newsroom,
            "write",
            &[("section", json!("body"))],
            None,
        ))
        .await;
    assert_eq!(answer["type"], 5);
    let edit = n
        .fake
        .calls_to("PATCH", |p| p.ends_with("/messages/@original"))
        .pop()
        .unwrap();
    assert!(edit.body["content"]
        .as_str()
        .unwrap()
        .starts_with("The body section is"));
    assert_eq!(edit.body["__files"][0].as_str().unwrap(), body);
}

#[test]
fn commands_discord_prints_the_registration() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_storydesk"))
        .args(["commands", "discord"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let roots: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    // The time features and the references have roots of their own (Discord's limits).
    assert_eq!(roots, ["story", "story-time", "story-ref"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_register_puts_them_in_a_guild_or_globally() {
    let fake = FakeDiscord::start().await;
    for guild in [Some("900000000000000100"), None] {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_storydesk"));
        cmd.args(["commands", "register"])
            .env("DISCORD_TOKEN", "fake-token")
            .env("DISCORD_APPLICATION_ID", APP.to_string())
            .env("STORYDESK_DISCORD_API_URL", fake.api_url());
        if let Some(g) = guild {
            cmd.args(["--guild", g]);
        }
        let out = cmd.output().await.unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let puts: Vec<String> = fake
        .calls_to("PUT", |_| true)
        .into_iter()
        .map(|c| c.path)
        .collect();
    assert_eq!(
        puts,
        vec![
            format!("/applications/{APP}/guilds/900000000000000100/commands"),
            format!("/applications/{APP}/commands"),
        ]
    );
    let registered = &fake.calls_to("PUT", |_| true)[0].body;
    assert_eq!(registered[0]["name"], "story");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_that_are_not_text_or_too_large_are_refused_clearly() {
    let n = Newsroom::start(false).await;
    n.send(command(
        n.id(),
        ALICE,
        Where::Newsroom,
        "new",
        &[("title", json!(TITLE))],
        None,
    ))
    .await;
    let png = [
        0x89u8, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0xff, 0xfe,
    ];
    let url = n.fake.serve_file("scan.png", &png);
    let answer = n
        .send(command(
            n.id(),
            ALICE,
            Where::Newsroom,
            "source add",
            &[("label", json!("scan"))],
            Some((600_000_000_000_000_010, "scan.png", &url, png.len())),
        ))
        .await;
    assert_eq!(answer["type"], 5);
    assert!(ephemeral(&answer));
    let said = n
        .fake
        .calls_to("PATCH", |p| p.ends_with("/messages/@original"))
        .pop()
        .unwrap();
    insta::assert_snapshot!(said.body["content"].as_str().unwrap(), @"`scan.png` is not plain UTF-8 text, so nothing was saved. Save it as UTF-8 text (a .txt or .md file) and attach it again, or paste the text into the form.");

    // Discord says how large a file is; one over the limit is not even downloaded.
    let url = n.fake.serve_file("leak.txt", b"small");
    n.send(command(
        n.id(),
        ALICE,
        Where::Newsroom,
        "source add",
        &[],
        Some((600_000_000_000_000_011, "leak.txt", &url, 3 << 20)),
    ))
    .await;
    let said = n
        .fake
        .calls_to("PATCH", |p| p.ends_with("/messages/@original"))
        .pop()
        .unwrap();
    insta::assert_snapshot!(said.body["content"].as_str().unwrap(), @"`leak.txt` is 3.0 MiB; files up to 1.0 MiB are accepted. Nothing was saved. Split it and attach the parts one by one.");
    let story = n.discord.desk().store().story(StoryId(1)).unwrap().unwrap();
    assert!(story.sources.is_empty());
}

/// The messages of an assisted draft, as the adapter recorded them: (thread, first, last).
fn draft_messages(n: &Newsroom, section: &str, number: u32) -> (u64, u64, u64) {
    let anchor = n
        .discord
        .desk()
        .store()
        .anchor_as_recorded(&format!("discord:draft:1:{number}:{section}"))
        .unwrap()
        .expect("the draft's messages");
    let ids: Vec<u64> = anchor.split(':').map(|p| p.parse().unwrap()).collect();
    (ids[0], ids[1], ids[2])
}

/// The buttons the latest edit or post of message `id` carried.
fn buttons_of(n: &Newsroom, thread: u64, id: u64) -> Vec<String> {
    let edit = format!("/channels/{thread}/messages/{id}");
    let last = n
        .fake
        .calls()
        .into_iter()
        .rfind(|c| c.status == 200 && c.method == "PATCH" && c.path == edit)
        .expect("the message was edited");
    last.body["components"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .flat_map(|r| r["components"].as_array().unwrap().iter())
                .map(|b| b["custom_id"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_is_proposed_in_its_thread_edited_in_place_and_saved_by_a_person() {
    let n = Newsroom::start(false).await;
    n.send(command(
        n.id(),
        ALICE,
        Where::Newsroom,
        "new",
        &[("title", json!(TITLE))],
        None,
    ))
    .await;
    n.send(modal(
        n.id(),
        ALICE,
        Where::Newsroom,
        "sd:source",
        &[("label", "council minutes"), ("text1", MINUTES)],
    ))
    .await;
    n.send(modal(
        n.id(),
        ALICE,
        Where::Newsroom,
        "sd:source",
        &[
            ("label", "notes from the gallery"),
            ("text1", &body_text("")),
        ],
    ))
    .await;

    // `/story draft new section:intro`: Discord's name for `/story draft`.
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
    assert!(ephemeral(&answer));
    assert!(
        content(&answer).starts_with("Drafting introduction with the extractive drafter."),
        "{answer}"
    );
    let (thread_id, first, last) = draft_messages(&n, "introduction", 1);
    assert_eq!(thread_id, thread(&n, 1, "introduction"));
    assert_eq!(first, last, "a short draft is one message");
    // Posted while being written, then edited in place with the draft and its buttons.
    assert!(n.fake.posted_in(thread_id)[0].body["content"]
        .as_str()
        .unwrap()
        .contains("is being written by the extractive drafter"));
    let shown = n.fake.content(first).unwrap();
    assert!(
        shown.starts_with("**Draft 1 of introduction** by the extractive drafter, for alice"),
        "{shown}"
    );
    assert!(shown.contains(
        "The harbour budget was adopted by 21 votes to 14 after eleven hours of debate."
    ));
    assert!(shown.contains("Extractive draft: every sentence is copied word for word from source"));
    assert_eq!(
        buttons_of(&n, thread_id, first),
        [
            "sd:draft-accept:1:1:introduction",
            "sd:draft-edit:1:1:introduction",
            "sd:draft-discard:1:1:introduction"
        ]
    );
    assert!(n
        .discord
        .desk()
        .store()
        .revisions(StoryId(1), "introduction")
        .unwrap()
        .is_empty());

    // Edit opens the write form with the draft in it; saving makes bob's assisted revision.
    let answer = n
        .send(button(
            n.id(),
            BOB,
            Where::Thread(thread_id),
            first,
            "sd:draft-edit:1:1:introduction",
        ))
        .await;
    assert_eq!(answer["type"], 9, "{answer}");
    assert_eq!(answer["data"]["custom_id"], "sd:draft:1:1:introduction");
    let prefilled = answer["data"]["components"][0]["components"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        Some(prefilled.clone()),
        n.discord
            .desk()
            .draft_text(StoryId(1), "introduction", 1)
            .unwrap()
    );
    n.send(modal(
        n.id(),
        BOB,
        Where::Thread(thread_id),
        "sd:draft:1:1:introduction",
        &[("text1", &format!("According to the minutes, {prefilled}"))],
    ))
    .await;
    let revision = n
        .discord
        .desk()
        .store()
        .revision(StoryId(1), "introduction", 1)
        .unwrap()
        .unwrap();
    assert_eq!(revision.author.name, "bob");
    assert!(revision.assisted);
    assert_eq!(
        n.fake.content(first).unwrap(),
        "**Draft 1 of introduction**: edited and saved by bob as introduction revision 1."
    );
    assert!(
        buttons_of(&n, thread_id, first).is_empty(),
        "the buttons are gone"
    );

    // The body: carol accepts it with the button, and it is hers.
    n.send(command(
        n.id(),
        ALICE,
        Where::Newsroom,
        "draft new",
        &[("section", json!("body"))],
        None,
    ))
    .await;
    let (body_thread, first, _) = draft_messages(&n, "body", 1);
    let answer = n
        .send(button(
            n.id(),
            CAROL,
            Where::Thread(body_thread),
            first,
            "sd:draft-accept:1:1:body",
        ))
        .await;
    // The body from two short sources is short: the desk says so, to carol alone.
    assert!(ephemeral(&answer), "{answer}");
    assert!(
        content(&answer).starts_with("Saved. Note: body is"),
        "{answer}"
    );
    let revision = n
        .discord
        .desk()
        .store()
        .revision(StoryId(1), "body", 1)
        .unwrap()
        .unwrap();
    assert_eq!(revision.author.name, "carol");
    assert!(revision.assisted);
    assert_eq!(
        n.fake.content(first).unwrap(),
        "**Draft 1 of body**: accepted by carol as body revision 1."
    );
    // A second click is refused, privately.
    let answer = n
        .send(button(
            n.id(),
            BOB,
            Where::Thread(body_thread),
            first,
            "sd:draft-accept:1:1:body",
        ))
        .await;
    assert!(ephemeral(&answer));
    assert_eq!(
        content(&answer),
        "Draft 1 of body was already accepted by carol as revision 1."
    );
    // Edit on a closed draft says so.
    let answer = n
        .send(button(
            n.id(),
            BOB,
            Where::Thread(body_thread),
            first,
            "sd:draft-edit:1:1:body",
        ))
        .await;
    assert!(
        content(&answer).starts_with("Draft 1 of body can no longer be edited"),
        "{answer}"
    );
    assert_no_pings(&n.fake);
}

/// Everything stored about story 1 that a request could change.
fn story_state(n: &Newsroom) -> String {
    let store = n.discord.desk().store();
    format!(
        "{:?}\n{:?}",
        store.story(StoryId(1)).unwrap(),
        store.audit(StoryId(1)).unwrap()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_server_or_channel_can_neither_read_nor_change_a_story() {
    const OTHER_GUILD: u64 = 900_000_000_000_000_777;
    const OTHER_CHANNEL: u64 = 900_000_000_000_000_888;
    let n = Newsroom::start(false).await;
    n.send(command(
        n.id(),
        ALICE,
        Where::Newsroom,
        "new",
        &[("title", json!(TITLE))],
        None,
    ))
    .await;
    n.send(modal(
        n.id(),
        ALICE,
        Where::Newsroom,
        "sd:source",
        &[("label", "minutes"), ("text1", MINUTES), ("text2", "")],
    ))
    .await;
    n.send(modal(
        n.id(),
        ALICE,
        Where::Newsroom,
        "sd:write:1:introduction",
        &[("text1", INTRO)],
    ))
    .await;
    let intro = thread(&n, 1, "introduction");
    let approve_id = latest_button(&n, intro, 0);
    assert_eq!(approve_id, "sd:approve:1:1:introduction");
    let before = story_state(&n);

    let refused = |text: &str| {
        text.contains("no story in this channel")
            || text.contains("not one of this channel's stories")
    };
    for (guild, channel) in [
        (OTHER_GUILD, NEWSROOM),
        (fake_discord::GUILD, OTHER_CHANNEL),
    ] {
        let place = format!("guild {guild}, channel {channel}");
        for (sub, options) in [
            ("source show", vec![("number", json!(1))]),
            ("show", vec![("section", json!("introduction"))]),
            ("use", vec![("story", json!("1"))]),
            ("write", vec![("section", json!("introduction"))]),
        ] {
            let answer = n
                .send(moved(
                    command(n.id(), BOB, Where::Newsroom, sub, &options, None),
                    guild,
                    channel,
                ))
                .await;
            assert!(refused(content(&answer)), "{sub} from {place}: {answer}");
            assert!(ephemeral(&answer));
            assert!(!content(&answer).contains("postponed"), "{answer}");
        }
        // A submitted write form for story 1, and its Approve button, from there; and a
        // command from inside story 1's thread as seen from the other server.
        let forms = [
            moved(
                modal(
                    n.id(),
                    BOB,
                    Where::Newsroom,
                    "sd:write:1:introduction",
                    &[(
                        "text1",
                        "A rewrite from elsewhere that must not be saved anywhere at all.",
                    )],
                ),
                guild,
                channel,
            ),
            moved(
                button(n.id(), BOB, Where::Newsroom, 1, &approve_id),
                guild,
                channel,
            ),
        ];
        for payload in forms {
            let id = payload["id"].as_str().unwrap().to_string();
            let answer = n.send(payload).await;
            let followups: Vec<String> = n
                .fake
                .calls()
                .iter()
                .filter(|c| c.path.contains(&format!("/token-{id}")))
                .filter_map(|c| c.body["content"].as_str().map(str::to_string))
                .collect();
            assert!(
                refused(content(&answer)) || followups.iter().any(|t| refused(t)),
                "from {place}: {answer} {followups:?}"
            );
        }
        if guild == OTHER_GUILD {
            let answer = n
                .send(moved(
                    command(
                        n.id(),
                        BOB,
                        Where::Thread(intro),
                        "approve",
                        &[("section", json!("introduction"))],
                        None,
                    ),
                    guild,
                    channel,
                ))
                .await;
            assert!(refused(content(&answer)), "{answer}");
        }
    }
    assert_eq!(story_state(&n), before, "story 1 changed");
    // At home, the same button approves.
    let answer = n
        .send(button(n.id(), BOB, Where::Thread(intro), 1, &approve_id))
        .await;
    assert_eq!(answer["type"], 6, "{answer}");
    assert_ne!(story_state(&n), before);
}

/// Someone whose server nickname is an editor's name.
const MALLORY: (u64, &str) = (800_000_000_000_000_666, "Erin");
/// The newsroom's "Editors" role.
const EDITORS_ROLE: &str = "900000000000000777";

/// `payload` sent by a member whose server nickname is `nick` and who holds `roles`.
fn as_member(mut payload: Value, nick: &str, roles: &[&str]) -> Value {
    payload["member"]["nick"] = json!(nick);
    payload["member"]["roles"] = json!(roles);
    payload
}

/// A nickname is for showing: a member named "erin" on the server is refused everything
/// only editors may do, and nothing changes; a member holding the editors' role publishes.
async fn editors_by_id_and_role(gateway: bool) {
    let config = storydesk::config::Config::from_overlay(
        Some(&format!(
            "[roles]\neditors = [\"{}\", \"erin\", \"role:{EDITORS_ROLE}\"]\n[publish]\nchannel = \"published\"\n",
            ERIN.0
        )),
        "test",
    )
    .unwrap();
    let n = Newsroom::start_with(config, gateway).await;
    ready_to_publish(&n, &body_text("")).await;
    n.send(modal(
        n.id(),
        ALICE,
        Where::Newsroom,
        "sd:source",
        &[("label", "council minutes"), ("text1", MINUTES)],
    ))
    .await;
    let state = |n: &Newsroom| {
        let store = n.discord.desk().store();
        format!(
            "{:?}\n{:?}",
            store.story(StoryId(1)).unwrap(),
            store.audit(StoryId(1)).unwrap()
        )
    };
    let before = state(&n);

    let nick = |options: &[(&str, Value)], sub: &str| {
        as_member(
            command(n.id(), MALLORY, Where::Newsroom, sub, options, None),
            "erin",
            &[],
        )
    };
    for (payload, refusal) in [
        (nick(&[], "publish"), "Only editors can publish"),
        (
            nick(
                &[("override", json!("the desk is empty tonight"))],
                "publish",
            ),
            "Only editors can publish",
        ),
        (nick(&[], "purge-sources"), "Only editors can purge sources"),
        // A role other than the editors' grants nothing.
        (
            as_member(
                command(n.id(), BOB, Where::Newsroom, "publish", &[], None),
                "bob",
                &["900000000000000778"],
            ),
            "Only editors can publish",
        ),
    ] {
        let answer = n.send(payload).await;
        assert!(ephemeral(&answer), "{answer}");
        assert!(content(&answer).starts_with(refusal), "{answer}");
    }
    assert_eq!(state(&n), before, "a refused command changed the story");
    assert!(n.fake.posted_in(PUBLISHED).is_empty());

    // Bob holding the editors' role publishes, and may purge the sources after.
    let holder = |sub: &str| {
        as_member(
            command(n.id(), BOB, Where::Newsroom, sub, &[], None),
            "bob",
            &[EDITORS_ROLE],
        )
    };
    let answer = n.send(holder("publish")).await;
    assert_eq!(answer["type"], 5, "{answer}");
    publisher_told(&n, "bob", 2).await;
    assert!(!n.fake.posted_in(PUBLISHED).is_empty());
    let published = state(&n);
    let answer = n.send(nick(&[], "purge-sources")).await;
    assert!(
        content(&answer).starts_with("Only editors can purge sources"),
        "{answer}"
    );
    assert_eq!(state(&n), published);
    n.send(holder("purge-sources")).await;
    let story = n.discord.desk().store().story(StoryId(1)).unwrap().unwrap();
    assert!(
        story.sources.is_empty(),
        "the role holder purged the sources"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editors_by_id_and_role_over_the_interactions_endpoint() {
    editors_by_id_and_role(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editors_by_id_and_role_over_the_gateway() {
    editors_by_id_and_role(true).await;
}

/// Two replicas on one PostgreSQL database, each behind its own interactions endpoint: the
/// same interaction delivered to both at once (a redelivery that reached another replica)
/// takes effect once, whichever answers first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_one_database_take_a_redelivered_interaction_once() {
    let server = match storydesk::testing::TestPostgres::start() {
        Ok(Some(server)) => server,
        Ok(None) => return,
        Err(why) => panic!("{why}"),
    };
    let mut config = support::config();
    config.store.url = Some(server.database().unwrap());
    let a = Newsroom::start_with(config.clone(), false).await;
    let b = Newsroom::start_with(config, false).await;
    const STORIES: usize = 12;
    for k in 0..STORIES {
        let payload = command(
            a.id(),
            ALICE,
            Where::Newsroom,
            "new",
            &[("title", json!(format!("Replica story {k}")))],
            None,
        );
        let (first, second) = tokio::join!(a.send(payload.clone()), b.send(payload));
        let started = [&first, &second]
            .iter()
            .filter(|answer| content(answer).contains("started story"))
            .count();
        assert_eq!(
            started, 1,
            "one effect, one announcement: {first} / {second}"
        );
    }
    let store = a.discord.desk().store();
    let ids = store.story_ids().unwrap();
    assert_eq!(ids.len(), STORIES, "a redelivery made a second story");
    // Both replicas read the same stories.
    assert_eq!(b.discord.desk().store().story_ids().unwrap(), ids);
}
