//! `storydesk doctor` against fake platforms on 127.0.0.1: a good setup, refused tokens,
//! platforms that cannot be reached, a store held by a running bot.

use crate::bot::{run, script, strs, Bot, Place, Ran};
use crate::fake_slack::FakeSlack;
use crate::support::fake_discord::{FakeDiscord, APP};
use crate::{CHAT_NEWSROOM, NEWSROOM, OTHER_KEY, SOURCE_KEY};

const SLACK_TOKEN: &str = "xoxb-doctor-good-token";
const DISCORD_TOKEN: &str = "doctor.discord.good-token";

/// A story with a sealed source, so the key can be checked.
const STORY: &str = ":as alice\n/story new title:\"Harbour budget vote delayed\"\n/story source add label:memo <<END\nThe vote is postponed.\nEND\n";

/// A loopback port nobody listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn assert_no_secrets(ran: &Ran) {
    for secret in [
        SLACK_TOKEN,
        DISCORD_TOKEN,
        SOURCE_KEY,
        OTHER_KEY,
        "xoxb-wrong",
        "wrong.discord",
    ] {
        assert!(
            !ran.stdout.contains(secret) && !ran.stderr.contains(secret),
            "{secret} shown:\n{}",
            ran.stdout
        );
    }
}

/// The report with the parts that change from run to run replaced.
fn stable(text: &str, place: &Place) -> String {
    let dir = place.dir.path().display().to_string();
    let mut out = text.replace(&dir, "[TMP]");
    while let Some(at) = out.find("127.0.0.1:") {
        let end = out[at + 10..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(out.len(), |i| at + 10 + i);
        out.replace_range(at..end, "LOOPBACK");
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_setup_is_all_good_whether_the_bot_runs_or_not() {
    let slack = FakeSlack::start().await;
    slack.set_bot_token(SLACK_TOKEN);
    let discord = FakeDiscord::start().await;
    discord.require_token(DISCORD_TOKEN);
    let place = Place::new(CHAT_NEWSROOM);
    let story = script(place.dir.path(), "story.story", STORY);
    let ran = run(
        &[("STORYDESK_SOURCE_KEY", SOURCE_KEY)],
        &[
            strs(&place.args("data")),
            vec!["local", "--script", story.to_str().unwrap()],
        ]
        .concat(),
    );
    assert!(ran.status.success(), "{}", ran.stderr);

    let slack_api = slack.api_url();
    let discord_api = discord.api_url();
    let app = APP.to_string();
    let env = [
        ("SLACK_BOT_TOKEN", SLACK_TOKEN),
        ("SLACK_SIGNING_SECRET", "doctor-signing-secret"),
        ("STORYDESK_SLACK_API_URL", slack_api.as_str()),
        ("DISCORD_TOKEN", DISCORD_TOKEN),
        ("DISCORD_APPLICATION_ID", app.as_str()),
        ("STORYDESK_DISCORD_API_URL", discord_api.as_str()),
        ("STORYDESK_SOURCE_KEY", SOURCE_KEY),
    ];
    let doctor = run(&env, &[strs(&place.args("data")), vec!["doctor"]].concat());
    assert!(doctor.status.success(), "{}", doctor.stdout);
    assert_no_secrets(&doctor);
    insta::assert_snapshot!("doctor_all_good", stable(&doctor.stdout, &place));

    // With the bot running, the store is in use: that is fine too.
    let bot = Bot::start(&strs(&place.args("data")), &env).await;
    let doctor = run(&env, &[strs(&place.args("data")), vec!["doctor"]].concat());
    assert!(doctor.status.success(), "{}", doctor.stdout);
    assert!(
        doctor.stdout.contains("in use by a running storydesk"),
        "{}",
        doctor.stdout
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_tokens_a_wrong_key_and_a_wrong_application_are_named_with_their_fix() {
    let slack = FakeSlack::start().await;
    slack.set_bot_token(SLACK_TOKEN);
    let discord = FakeDiscord::start().await;
    discord.require_token(DISCORD_TOKEN);
    // The newsroom lists erin by name too (for the console): on Slack and Discord the name
    // matches nobody, and the report says so.
    let place = Place::new(NEWSROOM);
    let story = script(place.dir.path(), "story.story", STORY);
    let ran = run(
        &[("STORYDESK_SOURCE_KEY", SOURCE_KEY)],
        &[
            strs(&place.args("data")),
            vec!["local", "--script", story.to_str().unwrap()],
        ]
        .concat(),
    );
    assert!(ran.status.success(), "{}", ran.stderr);

    let slack_api = slack.api_url();
    let discord_api = discord.api_url();
    let bad = [
        ("SLACK_BOT_TOKEN", "xoxb-wrong"),
        ("SLACK_SIGNING_SECRET", "doctor-signing-secret"),
        ("STORYDESK_SLACK_API_URL", slack_api.as_str()),
        ("DISCORD_TOKEN", "wrong.discord"),
        ("DISCORD_APPLICATION_ID", "123"),
        ("STORYDESK_DISCORD_API_URL", discord_api.as_str()),
        ("STORYDESK_SOURCE_KEY", OTHER_KEY),
    ];
    let doctor = run(&bad, &[strs(&place.args("data")), vec!["doctor"]].concat());
    assert_eq!(doctor.status.code(), Some(1), "{}", doctor.stdout);
    assert_no_secrets(&doctor);
    insta::assert_snapshot!("doctor_refusals", stable(&doctor.stdout, &place));

    // The right tokens, but the id of another application.
    let mismatched = [
        ("DISCORD_TOKEN", DISCORD_TOKEN),
        ("DISCORD_APPLICATION_ID", "123"),
        ("STORYDESK_DISCORD_API_URL", discord_api.as_str()),
    ];
    let doctor = run(
        &mismatched,
        &[strs(&place.args("data")), vec!["doctor"]].concat(),
    );
    assert_eq!(doctor.status.code(), Some(1), "{}", doctor.stdout);
    assert!(
        doctor.stdout.contains(&format!(
            "DISCORD_APPLICATION_ID is 123, but DISCORD_TOKEN belongs to application {APP}"
        )),
        "{}",
        doctor.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platforms_that_cannot_be_reached_and_a_broken_config_are_reported() {
    let place = Place::new(CHAT_NEWSROOM);
    let slack_api = format!("http://127.0.0.1:{}/api", closed_port());
    let discord_api = format!("http://127.0.0.1:{}", closed_port());
    let env = [
        ("SLACK_BOT_TOKEN", SLACK_TOKEN),
        ("SLACK_APP_TOKEN", "xapp-doctor"),
        ("STORYDESK_SLACK_API_URL", slack_api.as_str()),
        ("DISCORD_TOKEN", DISCORD_TOKEN),
        ("STORYDESK_DISCORD_API_URL", discord_api.as_str()),
    ];
    let doctor = run(&env, &[strs(&place.args("data")), vec!["doctor"]].concat());
    assert_eq!(doctor.status.code(), Some(1), "{}", doctor.stdout);
    assert_no_secrets(&doctor);
    insta::assert_snapshot!("doctor_unreachable", stable(&doctor.stdout, &place));

    std::fs::write(place.path("config.toml"), "[review]\nquorm = 2\n").unwrap();
    let doctor = run(&[], &[strs(&place.args("data")), vec!["doctor"]].concat());
    assert_eq!(doctor.status.code(), Some(1), "{}", doctor.stdout);
    assert!(
        doctor.stdout.contains("unknown key `review.quorm`"),
        "{}",
        doctor.stdout
    );
}
