//! The log: JSON lines when asked for, and never a token, a signing secret, the source
//! key or a source's text, even at trace level, through Slack over HTTP, the Discord
//! interactions endpoint (with the gateway connected) and the console.

use serde_json::{json, Value};

use crate::bot::{run, script, strs, Bot, Place, SlackClient};
use crate::fake_slack::FakeSlack;
use crate::support::fake_discord::{FakeDiscord, APP};
use crate::support::{command, hex, modal, now_secs, signing_key, Where, ALICE, BOB, ERIN};
use crate::NEWSROOM;

const SLACK_BOT_TOKEN: &str = "xoxb-4242-LEAKCHECK-slack-bot-token";
const SIGNING_SECRET: &str = "LEAKCHECK-signing-secret-5c1e9a";
const DISCORD_TOKEN: &str = "ODk5LEAKCHECK.discord.bot-token";
const SOURCE_KEY: &str = "1eac0c4ec0ffee1eac0c4ec0ffee1eac0c4ec0ffee1eac0c4ec0ffee1eac0c4e";
/// A source whose words must never reach a log.
const SOURCE: &str = "The harbour master's private ledger LEAKCHECK-SOURCE-TEXT lists the dredging payments made in cash.";
/// A part of it that is only in the source.
const SOURCE_WORDS: &str = "LEAKCHECK-SOURCE-TEXT";

const TEAM: &str = "T0LOGS";
const CHANNEL: &str = "C0LOGS";

const INTRO: &str = "The city council has postponed its vote on the harbour budget to March, according to an internal memo seen by this newsroom.";
const CONCLUSION: &str =
    "The council is expected to publish a revised estimate before the March session.";

fn body_text() -> String {
    "The harbour committee heard evidence from the dredging contractor and asked why the estimate doubled. ".repeat(6)
}

/// What must never appear in any log.
fn secrets() -> [&'static str; 5] {
    [
        SLACK_BOT_TOKEN,
        SIGNING_SECRET,
        DISCORD_TOKEN,
        SOURCE_KEY,
        SOURCE_WORDS,
    ]
}

fn assert_clean(what: &str, log: &str) {
    for secret in secrets() {
        if let Some(at) = log.find(secret) {
            let start = log[..at].rfind('\n').map_or(0, |i| i + 1);
            let end = log[at..].find('\n').map_or(log.len(), |i| at + i);
            panic!(
                "{what}: {secret:?} is in the log:\n{}",
                &log[start..end.min(start + 2000)]
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_secret_key_or_source_reaches_the_log_at_trace_level() {
    let slack_fake = FakeSlack::start().await;
    slack_fake.set_bot_token(SLACK_BOT_TOKEN);
    let discord_fake = FakeDiscord::start().await;
    discord_fake.require_token(DISCORD_TOKEN);
    let place = Place::new(&format!(
        "[roles]\neditors = [\"U0ERIN\", \"{}\", \"erin\"]\n[publish]\nchannel = \"C0PUBLISHED\"\n",
        ERIN.0
    ));
    let slack_api = slack_fake.api_url();
    let discord_api = discord_fake.api_url();
    let public_key = hex(signing_key().verifying_key().as_bytes());
    let app = APP.to_string();
    let env = [
        ("RUST_LOG", "trace"),
        ("SLACK_SIGNING_SECRET", SIGNING_SECRET),
        ("SLACK_BOT_TOKEN", SLACK_BOT_TOKEN),
        ("STORYDESK_SLACK_API_URL", slack_api.as_str()),
        ("DISCORD_TOKEN", DISCORD_TOKEN),
        ("DISCORD_PUBLIC_KEY", public_key.as_str()),
        ("DISCORD_APPLICATION_ID", app.as_str()),
        ("STORYDESK_DISCORD_API_URL", discord_api.as_str()),
        ("STORYDESK_SOURCE_KEY", SOURCE_KEY),
    ];
    let bot = Bot::start(&strs(&place.args("data")), &env).await;
    discord_fake
        .wait_for("the gateway's IDENTIFY", |_| {
            discord_fake.identify().is_some()
        })
        .await;

    // Slack over HTTP: the whole workflow, with the source pasted into its form and read
    // back.
    let slack = SlackClient {
        http: reqwest::Client::new(),
        base: bot.url(""),
        secret: SIGNING_SECRET.into(),
        team: TEAM.into(),
        channel: CHANNEL.into(),
        response_url: slack_fake.response_url("logs"),
    };
    let mut n = 0;
    let mut trigger = || {
        n += 1;
        format!("trigger-{n}")
    };
    let ok = |answer: Option<(u16, String)>| {
        let (status, body) = answer.expect("the bot answers");
        assert_eq!(status, 200, "{body}");
        body
    };
    ok(slack
        .command("U0ALICE", &trigger(), "new Harbour budget vote delayed")
        .await);
    let ack = ok(slack
        .submit(
            "U0ALICE",
            &trigger(),
            "source add",
            &[("label", "ledger")],
            SOURCE,
        )
        .await);
    assert!(ack.trim().is_empty(), "{ack}");
    let shown = ok(slack.command("U0ALICE", &trigger(), "source show 1").await);
    assert!(
        shown.contains(SOURCE_WORDS),
        "the source reads back: {shown}"
    );
    for (section, text) in [
        ("introduction", INTRO.to_string()),
        ("body", body_text()),
        ("conclusion", CONCLUSION.to_string()),
    ] {
        let ack = ok(slack
            .submit(
                "U0ALICE",
                &trigger(),
                "write",
                &[("section", section)],
                &text,
            )
            .await);
        assert!(ack.trim().is_empty(), "{section}: {ack}");
    }
    ok(slack
        .command(
            "U0ALICE",
            &trigger(),
            "ref add title:\"Harbour budget minutes\" outlet:\"City Council\" date:2025-01-28 url:https://example.org/minutes",
        )
        .await);
    for section in ["title", "introduction", "body", "conclusion", "references"] {
        let answer = ok(slack
            .command("U0BOB", &trigger(), &format!("approve {section}"))
            .await);
        assert!(!answer.contains("cannot"), "{section}: {answer}");
    }
    ok(slack.command("U0ERIN", &trigger(), "publish").await);
    slack_fake.wait_post("C0PUBLISHED", None, "Harbour").await;

    // Discord's interactions endpoint: a story and the same source through the form.
    let endpoint = bot.url("/discord/interactions");
    let http = reqwest::Client::new();
    let send = |payload: Value| {
        let http = http.clone();
        let endpoint = endpoint.clone();
        async move {
            let body = payload.to_string();
            let ts = now_secs().to_string();
            use ed25519_dalek::Signer;
            let sig = hex(&signing_key()
                .sign(&[ts.as_bytes(), body.as_bytes()].concat())
                .to_bytes());
            let response = http
                .post(endpoint)
                .header("content-type", "application/json")
                .header("x-signature-ed25519", sig)
                .header("x-signature-timestamp", ts)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    let answer = send(command(
        700_000_000_000_000_001,
        ALICE,
        Where::Newsroom,
        "new",
        &[("title", json!("Harbour budget vote delayed"))],
        None,
    ))
    .await;
    assert!(answer.to_string().contains("started story"), "{answer}");
    send(modal(
        700_000_000_000_000_002,
        ALICE,
        Where::Newsroom,
        "sd:source",
        &[("label", "ledger"), ("text1", SOURCE), ("text2", "")],
    ))
    .await;
    send(command(
        700_000_000_000_000_003,
        BOB,
        Where::Newsroom,
        "source show",
        &[("number", json!(1))],
        None,
    ))
    .await;
    discord_fake
        .wait_for("the source's note in its thread", |calls| {
            calls.iter().any(|c| {
                c.body["content"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("Source 1"))
            })
        })
        .await;
    let log = bot.stop().await;

    // The log is there and detailed (so the check below means something) …
    assert!(log.contains("TRACE"), "{log}");
    assert!(log.lines().count() > 200, "{log}");
    // … and clean.
    assert_clean("serve", &log);
    // The editor listed by name matches nobody on Slack or Discord: said once, at start,
    // naming the entry.
    let named = log
        .lines()
        .filter(|l| l.contains("\"erin\" is not an id on Slack or Discord"))
        .count();
    assert_eq!(named, 1, "{log}");

    // The console, at trace level too.
    let story = script(
        place.dir.path(),
        "source.story",
        &format!(
            ":as alice\n/story new title:\"Harbour budget vote delayed\"\n/story source add label:ledger <<END\n{SOURCE}\nEND\n/story source show 1\n"
        ),
    );
    let console = run(
        &[("RUST_LOG", "trace"), ("STORYDESK_SOURCE_KEY", SOURCE_KEY)],
        &[
            strs(&place.args("console")),
            vec!["local", "--script", story.to_str().unwrap()],
        ]
        .concat(),
    );
    assert!(console.status.success(), "{}", console.stderr);
    assert!(console.stdout.contains(SOURCE_WORDS), "{}", console.stdout);
    assert!(console.stderr.contains("TRACE"), "{}", console.stderr);
    assert_clean("local", &console.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_per_line() {
    let fake = FakeSlack::start().await;
    let place = Place::new(NEWSROOM);
    let api = fake.api_url();
    let env = [
        ("STORYDESK_LOG_FORMAT", "json"),
        ("RUST_LOG", "debug"),
        ("SLACK_SIGNING_SECRET", "json-logs-secret"),
        ("SLACK_BOT_TOKEN", crate::fake_slack::BOT_TOKEN),
        ("STORYDESK_SLACK_API_URL", api.as_str()),
    ];
    let bot = Bot::start(&strs(&place.args("data")), &env).await;
    let slack = SlackClient {
        http: reqwest::Client::new(),
        base: bot.url(""),
        secret: "json-logs-secret".into(),
        team: TEAM.into(),
        channel: CHANNEL.into(),
        response_url: fake.response_url("json"),
    };
    let (status, _) = slack
        .command("U0ALICE", "trigger-1", "new Harbour budget vote delayed")
        .await
        .unwrap();
    assert_eq!(status, 200);
    slack
        .command("U0ALICE", "trigger-2", "status")
        .await
        .unwrap();
    fake.wait_post(CHANNEL, None, "Harbour budget vote delayed")
        .await;
    let log = bot.stop().await;
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines.len() > 10, "{log}");
    for line in &lines {
        let value: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(value.is_object(), "{line}");
        assert!(value["level"].is_string(), "{line}");
        assert!(value["timestamp"].is_string(), "{line}");
    }
    let messages: Vec<String> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["fields"]["message"].as_str().map(str::to_string))
        .collect();
    assert!(messages.iter().any(|m| m.contains("serving on")));
    assert!(messages.iter().any(|m| m.contains("stopped")));

    // A failure at start is a JSON line too.
    let failed = run(
        &[
            ("STORYDESK_LOG_FORMAT", "json"),
            ("STORYDESK_SOURCE_KEY", "not-a-key"),
        ],
        &[strs(&place.args("data")), vec!["serve"]].concat(),
    );
    assert!(!failed.status.success());
    let line = failed.stderr.trim();
    assert_eq!(line.lines().count(), 1, "{line}");
    let value: Value = serde_json::from_str(line).unwrap();
    assert_eq!(value["level"], "ERROR");
    assert!(value["fields"]["error"]
        .as_str()
        .unwrap()
        .contains("STORYDESK_SOURCE_KEY"));
}
