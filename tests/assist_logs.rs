//! Source texts, prompts, answers and keys never reach the logs: a whole draft, with a model
//! and with the extractive drafter, under a subscriber that records everything at TRACE.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::fake_model::{Answer, FakeModel};
use common::Newsroom;
use storydesk::assist::{Assistant, AssistantOptions};

/// Where the log lines go.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const SECRET_SOURCE: &str = "The informant, Jane Quill of Dept. 7, said the budget is 41 million dollars. She asked not to be named in any report.";
const SECRET_ANSWER: &str = "An informant put the budget at 41 million dollars, the memo shows.";
const SECRET_KEY: &str = "sk-test-never-log-me-2718";
const SECRET_GUIDANCE: &str = "mention the informant quietly";

#[test]
fn nothing_secret_reaches_the_logs_while_drafting() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    // The dependencies' `log` records too, as `storydesk serve` forwards them.
    storydesk::logs::bridge();

    let fake = FakeModel::start();
    fake.answer(Answer::Stream(vec![
        "Sure, here is the body:\n\n".into(),
        SECRET_ANSWER.into(),
    ]));
    fake.answer(Answer::Status(
        400,
        None,
        "your prompt mentioned Jane Quill",
    ));
    let variable = format!("STORYDESK_LOG_TEST_KEY_{}", std::process::id());
    std::env::set_var(&variable, SECRET_KEY);
    let mut n = Newsroom::with_config(&format!(
        "[assist]\nbase_url = \"{}\"\nmodel = \"fake-model\"\napi_key_env = \"{variable}\"\n",
        fake.base_url()
    ));
    n.say("alice", r#"/story new title:"A budget""#);
    n.say_with("alice", r#"/story source add label:"tip""#, SECRET_SOURCE);
    let assistant = Assistant::with_options(
        &n.desk.config().assist,
        AssistantOptions {
            progress_every: Some(Duration::ZERO),
            ..Default::default()
        },
    )
    .unwrap();
    for _ in 0..2 {
        n.say(
            "alice",
            &format!("/story draft body guidance:\"{SECRET_GUIDANCE}\""),
        );
        n.write_drafts(&assistant);
    }
    // And the extractive drafter.
    let extractive = Assistant::from_config(&storydesk::config::Config::defaults().assist).unwrap();
    n.say("alice", "/story draft intro");
    let (shown, _) = n.write_drafts(&extractive);
    assert!(
        shown.contains("Jane Quill"),
        "the draft itself may quote the source: {shown}"
    );
    std::env::remove_var(&variable);

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("model answered"),
        "the logs were captured: {logs}"
    );
    assert!(logs.contains("draft stored"), "{logs}");
    for secret in [
        "Jane Quill",
        "41 million",
        "informant",
        SECRET_KEY,
        "Sure, here is",
    ] {
        assert!(!logs.contains(secret), "{secret:?} in the logs:\n{logs}");
    }
}
