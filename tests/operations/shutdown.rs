//! Stopping `serve` with SIGTERM: requests under way finish, every write that was answered
//! is on disk when the data directory is opened again, and work that cannot finish is
//! abandoned once `[server] shutdown_secs` is up, with a clean exit all the same.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use crate::bot::{run, strs, Bot, Place, SlackClient, PATIENCE};
use crate::fake_slack::{FakeSlack, BOT_TOKEN};
use crate::{NEWSROOM, SOURCE_KEY};

const SECRET: &str = "shutdown-test-signing-secret";
const TEAM: &str = "T0SHUTDOWN";
const CHANNEL: &str = "C0SHUTDOWN";

/// Writers sending at once.
const WRITERS: u32 = 8;
/// Answered writes to wait for before the signal.
const BEFORE_SIGNAL: usize = 40;
/// The most writes the burst sends (it stops sooner, when the bot stops answering).
const MOST: u32 = 5000;

/// The body text of write `n`: its marker, then enough words for the body's minimum.
fn body(n: u32) -> String {
    format!(
        "Body revision marker {n}. {}",
        "The harbour committee heard evidence from the dredging contractor and asked why the estimate doubled. ".repeat(6)
    )
}

fn marker(n: u32) -> String {
    format!("Body revision marker {n}.")
}

async fn start(fake: &FakeSlack, place: &Place, name: &str) -> (Bot, SlackClient) {
    let api = fake.api_url();
    let env = [
        ("SLACK_SIGNING_SECRET", SECRET),
        ("SLACK_BOT_TOKEN", BOT_TOKEN),
        ("STORYDESK_SLACK_API_URL", api.as_str()),
        ("STORYDESK_SOURCE_KEY", SOURCE_KEY),
    ];
    let bot = Bot::start(&strs(&place.args(name)), &env).await;
    let slack = SlackClient {
        http: reqwest::Client::new(),
        base: bot.url(""),
        secret: SECRET.into(),
        team: TEAM.into(),
        channel: CHANNEL.into(),
        response_url: fake.response_url("ops"),
    };
    (bot, slack)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_burst_of_writes_keeps_every_answered_write() {
    let fake = FakeSlack::start().await;
    let place = Place::new(&format!("{NEWSROOM}[server]\nshutdown_secs = 30\n"));
    let (mut bot, slack) = start(&fake, &place, "data").await;
    let (status, _) = slack
        .command("U0ALICE", "trigger-new", "new Harbour budget vote delayed")
        .await
        .unwrap();
    assert_eq!(status, 200);

    let slack = Arc::new(slack);
    let next = Arc::new(AtomicU32::new(0));
    let answered = Arc::new(Mutex::new(Vec::new()));
    let mut writers = Vec::new();
    for _ in 0..WRITERS {
        let (slack, next, answered) = (slack.clone(), next.clone(), answered.clone());
        writers.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= MOST {
                    return;
                }
                let trigger = format!("trigger-write-{n}");
                let options = [("section", "body")];
                match slack
                    .submit("U0ALICE", &trigger, "write", &options, &body(n))
                    .await
                {
                    // An empty 200 closes the modal: the revision is saved.
                    Some((200, ack)) if ack.trim().is_empty() => answered.lock().unwrap().push(n),
                    Some((status, ack)) => panic!("write {n} answered {status}: {ack}"),
                    // The bot has stopped taking requests.
                    None => return,
                }
            }
        }));
    }
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while answered.lock().unwrap().len() < BEFORE_SIGNAL {
        assert!(tokio::time::Instant::now() < deadline, "{}", bot.log());
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    bot.terminate();
    for writer in writers {
        writer.await.unwrap();
    }
    let status = bot.wait().await;
    assert!(status.success(), "exit {status}:\n{}", bot.log());
    assert!(bot.log().contains("shutting down"), "{}", bot.log());

    // Every write that was answered is there when the data directory is opened again.
    let answered = answered.lock().unwrap().clone();
    assert!(answered.len() >= BEFORE_SIGNAL);
    let export = run(
        &[("STORYDESK_SOURCE_KEY", SOURCE_KEY)],
        &[
            strs(&place.args("data")),
            vec!["export", "1", "--format", "json"],
        ]
        .concat(),
    );
    assert!(export.status.success(), "{}", export.stderr);
    let missing: Vec<u32> = answered
        .iter()
        .copied()
        .filter(|n| !export.stdout.contains(&marker(*n)))
        .collect();
    assert!(
        missing.is_empty(),
        "answered but lost: {missing:?} of {}",
        answered.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_stuck_past_the_shutdown_bound_is_abandoned_with_a_clean_exit() {
    let fake = FakeSlack::start().await;
    // Slack never answers a post: the board of a new story can never be delivered.
    fake.stall("chat.postMessage");
    let place = Place::new(&format!("{NEWSROOM}[server]\nshutdown_secs = 1\n"));
    let (mut bot, slack) = start(&fake, &place, "data").await;
    let (status, _) = slack
        .command("U0ALICE", "trigger-new", "new Harbour budget vote delayed")
        .await
        .unwrap();
    assert_eq!(status, 200);
    fake.wait("the board's post", |calls| {
        calls
            .iter()
            .any(|c| c.method == "chat.postMessage")
            .then_some(())
    })
    .await;

    bot.terminate();
    let status = bot.wait().await;
    assert!(status.success(), "exit {status}:\n{}", bot.log());
    assert!(
        bot.log().contains("abandoning what is still running"),
        "{}",
        bot.log()
    );
    // The story itself was answered, so it is on disk.
    let export = run(
        &[("STORYDESK_SOURCE_KEY", SOURCE_KEY)],
        &[
            strs(&place.args("data")),
            vec!["export", "1", "--format", "json"],
        ]
        .concat(),
    );
    assert!(export.status.success(), "{}", export.stderr);
    assert!(export.stdout.contains("Harbour budget vote delayed"));
}
