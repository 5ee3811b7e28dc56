//! `serve` with Slack configured (against the fake Slack on loopback) and a manual clock:
//! the Slack scheduler is singleton work shown in `/readyz`, and runs by the clock it is
//! given. (One `serve` per test binary: a process has one metrics recorder.)

#[path = "slack/fake.rs"]
mod fake;

use std::sync::Arc;
use std::time::Duration;

use storydesk::config::Config;
use storydesk::desk::clock::{Clock, ManualClock};
use storydesk::env::Env;
use storydesk::model::Timestamp;

/// Long enough for a loaded machine.
const WITHIN: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_a_scheduler_per_platform_as_singleton_work() {
    let slack = fake::FakeSlack::start().await;
    let dir = tempfile::tempdir().unwrap();
    let desk = storydesk::open_desk(Config::defaults(), dir.path()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let env = Env {
        slack_signing_secret: Some("8f742231b10e8888abcd99yyyzzz85a5".into()),
        slack_bot_token: Some(fake::BOT_TOKEN.into()),
        slack_api_url: slack.api_url(),
        ..Env::default()
    };
    let clock = ManualClock::at(Timestamp(1_796_576_400_000));
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let served = storydesk::serve::run_with_clock(
        desk,
        &env,
        listener,
        async {
            let _ = stopped.await;
        },
        std::future::pending(),
        shared,
    );
    let client = async {
        let mut last = String::new();
        for _ in 0..100 {
            let response = reqwest::get(format!("http://{addr}/readyz")).await.unwrap();
            last = response.text().await.unwrap();
            let report: serde_json::Value = serde_json::from_str(&last).unwrap();
            if report["parts"]["singleton:scheduler-slack"]["detail"] == "held" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let report: serde_json::Value = serde_json::from_str(&last).unwrap();
        assert_eq!(
            report["parts"]["singleton:scheduler-slack"]["detail"], "held",
            "{last}"
        );
        // Discord is not configured: no scheduler for it.
        assert!(
            report["parts"]["singleton:scheduler-discord"].is_null(),
            "{last}"
        );
        // Time moves by the clock given, and nothing scheduled means nothing sent.
        clock.advance(24 * 3_600_000);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(slack.calls_of("chat.postMessage").is_empty());
        stop.send(()).unwrap();
    };
    let (result, ()) = tokio::time::timeout(WITHIN, async { tokio::join!(served, client) })
        .await
        .expect("serve stopped once told");
    result.unwrap();
}
