//! `/readyz` and `/metrics` of a running bot connected to a fake Slack (HTTP and Socket
//! Mode) and a fake Discord (gateway): readiness follows the connections, and the metrics
//! count requests, desk commands, platform calls with their 429s, and reconnects. On
//! SIGTERM the sockets are closed with a close frame.

use serde_json::{json, Value};

use crate::bot::{strs, Bot, Place, SlackClient, PATIENCE};
use crate::fake_slack::{FakeSlack, APP_TOKEN, BOT_TOKEN};
use crate::support::fake_discord::{FakeDiscord, APP};
use crate::NEWSROOM;

const SECRET: &str = "metrics-signing-secret";

/// The value of the sample `name{labels}` in an exposition, if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Scrapes until `series` reaches at least `at_least`, and returns the exposition.
async fn wait_metric(bot: &Bot, series: &str, at_least: f64) -> String {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (status, text) = bot.get("/metrics").await;
        assert_eq!(status, 200);
        if sample(&text, series).is_some_and(|v| v >= at_least) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{series} never reached {at_least}:\n{text}\n{}",
            bot.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Polls `/readyz` until `part` has the readiness wanted; returns the report.
async fn wait_part(bot: &Bot, part: &str, ready: bool) -> Value {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (status, body) = bot.get("/readyz").await;
        let report: Value = serde_json::from_str(&body).unwrap();
        if report["parts"][part]["ready"] == ready {
            assert_eq!(status, if report["ready"] == true { 200 } else { 503 });
            return report;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{part} never became ready={ready}: {body}\n{}",
            bot.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_and_metrics_follow_the_connections_and_the_work() {
    let slack = FakeSlack::start().await;
    // The first message storydesk posts gets a 429, which it waits out.
    slack.rate_limit("chat.postMessage", None, 0, 1);
    let discord = FakeDiscord::start().await;
    let place = Place::new(NEWSROOM);
    let slack_api = slack.api_url();
    let discord_api = discord.api_url();
    let app = APP.to_string();
    let env = [
        ("SLACK_SIGNING_SECRET", SECRET),
        ("SLACK_BOT_TOKEN", BOT_TOKEN),
        ("SLACK_APP_TOKEN", APP_TOKEN),
        ("STORYDESK_SLACK_API_URL", slack_api.as_str()),
        ("DISCORD_TOKEN", "metrics.discord.token"),
        ("DISCORD_APPLICATION_ID", app.as_str()),
        ("STORYDESK_DISCORD_API_URL", discord_api.as_str()),
    ];
    let bot = Bot::start(&strs(&place.args("data")), &env).await;
    assert_eq!(bot.get("/healthz").await, (200, "ok\n".to_string()));
    let body = bot.wait_for_status("/readyz", 200).await;
    let report: Value = serde_json::from_str(&body).unwrap();
    for part in ["store", "slack_socket_mode", "discord_gateway"] {
        assert_eq!(report["parts"][part]["ready"], true, "{body}");
    }
    // One process on the embedded store holds all of its singleton work.
    for job in ["slack-socket-mode", "discord-gateway", "purge"] {
        let part = &report["parts"][format!("singleton:{job}")];
        assert_eq!(part["detail"], "held", "{body}");
        assert_eq!(part["ready"], true, "{body}");
    }

    // Work: two commands over HTTP, one refused for its signature, one over Socket Mode.
    let client = SlackClient {
        http: reqwest::Client::new(),
        base: bot.url(""),
        secret: SECRET.into(),
        team: "T0METRICS".into(),
        channel: "C0METRICS".into(),
        response_url: slack.response_url("metrics"),
    };
    let (status, _) = client
        .command("U0ALICE", "trigger-1", "new Harbour budget vote delayed")
        .await
        .unwrap();
    assert_eq!(status, 200);
    let (status, _) = client
        .command("U0BOB", "trigger-2", "status")
        .await
        .unwrap();
    assert_eq!(status, 200);
    let forged = SlackClient {
        secret: "not-the-secret".into(),
        ..client
    };
    let (status, _) = forged.command("U0EVE", "trigger-3", "list").await.unwrap();
    assert_eq!(status, 401);
    let ack = slack
        .socket
        .envelope(
            "slash_commands",
            json!({
                "team_id": "T0METRICS", "channel_id": "C0METRICS", "user_id": "U0ALICE",
                "user_name": "alice", "command": "/story", "text": "list",
                "trigger_id": "trigger-4", "response_url": slack.response_url("socket"),
            }),
            None,
        )
        .await;
    assert!(ack["payload"].to_string().contains("Harbour"), "{ack}");
    slack
        .wait_post("C0METRICS", None, "Harbour budget vote delayed")
        .await;

    let text = wait_metric(
        &bot,
        "storydesk_platform_api_calls_total{platform=\"slack\",method=\"chat.postMessage\",status=\"200\"}",
        1.0,
    )
    .await;
    for (series, value) in [
        ("storydesk_inbound_requests_total{platform=\"slack\",via=\"http\",kind=\"command\",status=\"200\"}", 2.0),
        ("storydesk_inbound_requests_total{platform=\"slack\",via=\"http\",kind=\"command\",status=\"401\"}", 1.0),
        ("storydesk_inbound_requests_total{platform=\"slack\",via=\"socket_mode\",kind=\"command\",status=\"ok\"}", 1.0),
        ("storydesk_desk_command_seconds_count{subcommand=\"new\"}", 1.0),
        ("storydesk_desk_commands_total{subcommand=\"new\",outcome=\"done\"}", 1.0),
        ("storydesk_desk_commands_total{subcommand=\"list\",outcome=\"done\"}", 1.0),
        ("storydesk_platform_api_calls_total{platform=\"slack\",method=\"chat.postMessage\",status=\"429\"}", 1.0),
        ("storydesk_platform_rate_limited_total{platform=\"slack\",method=\"chat.postMessage\"}", 1.0),
        ("storydesk_component_ready{component=\"slack_socket_mode\"}", 1.0),
        ("storydesk_component_ready{component=\"discord_gateway\"}", 1.0),
        ("storydesk_singleton_held{job=\"slack-socket-mode\"}", 1.0),
        ("storydesk_singleton_held{job=\"discord-gateway\"}", 1.0),
        ("storydesk_singleton_held{job=\"purge\"}", 1.0),
    ] {
        assert_eq!(sample(&text, series), Some(value), "{series}\n{text}");
    }
    assert!(text.contains("# TYPE storydesk_desk_command_seconds histogram"));
    assert!(
        text.contains("storydesk_desk_command_seconds_bucket{subcommand=\"new\",le=\"+Inf\"} 1")
    );

    // Socket Mode drops and cannot come back at once: not ready, then ready again.
    slack.refuse("apps.connections.open", "*", "internal_error", 2);
    slack.socket.drop_connection();
    let report = wait_part(&bot, "slack_socket_mode", false).await;
    assert_eq!(report["ready"], false);
    wait_part(&bot, "slack_socket_mode", true).await;
    wait_metric(
        &bot,
        "storydesk_reconnects_total{connection=\"slack_socket_mode\"}",
        1.0,
    )
    .await;

    // Discord asks the gateway to reconnect: it resumes and counts the reconnect.
    discord.request_reconnect();
    wait_metric(
        &bot,
        "storydesk_reconnects_total{connection=\"discord_gateway\"}",
        1.0,
    )
    .await;
    wait_part(&bot, "discord_gateway", true).await;
    assert_eq!(discord.gateway_counts().1, 1, "one RESUME");

    // SIGTERM closes the Socket Mode websocket with a close frame.
    let closes = slack.socket.closes();
    bot.stop().await;
    assert_eq!(slack.socket.closes(), closes + 1);
}

/// A figure from `/proc/PID/status` (`VmRSS:  1234 kB`), in bytes.
fn status_kib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim()
                .strip_suffix(" kB")?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no {field} in {status}"));
    kib * 1024.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_bot_shows_every_series_at_zero_and_its_process() {
    let slack = FakeSlack::start().await;
    let place = Place::new(NEWSROOM);
    let slack_api = slack.api_url();
    let env = [
        ("SLACK_SIGNING_SECRET", SECRET),
        ("SLACK_BOT_TOKEN", BOT_TOKEN),
        ("STORYDESK_SLACK_API_URL", slack_api.as_str()),
    ];
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let bot = Bot::start(&strs(&place.args("data")), &env).await;

    // Nothing has been asked of it yet.
    let (status, text) = bot.get("/metrics").await;
    assert_eq!(status, 200);
    for series in [
        "storydesk_inbound_requests_total{platform=\"slack\",via=\"http\",kind=\"command\",status=\"200\"}",
        "storydesk_inbound_requests_total{platform=\"slack\",via=\"http\",kind=\"interaction\",status=\"200\"}",
        "storydesk_desk_commands_total{subcommand=\"new\",outcome=\"done\"}",
        "storydesk_desk_commands_total{subcommand=\"source add\",outcome=\"refused\"}",
        "storydesk_desk_commands_total{subcommand=\"publish\",outcome=\"failed\"}",
        "storydesk_desk_command_seconds_count{subcommand=\"publish\"}",
        "storydesk_articles_published_total{platform=\"slack\"}",
        "storydesk_publications_undone_total{platform=\"slack\"}",
    ] {
        assert_eq!(sample(&text, series), Some(0.0), "{series}\n{text}");
    }
    // Only the ways in that are open: no Discord, no Socket Mode here.
    assert!(!text.contains("platform=\"discord\""), "{text}");
    assert!(!text.contains("socket_mode"), "{text}");

    // The process, as the system sees it.
    for (name, kind) in [
        ("process_resident_memory_bytes", "gauge"),
        ("process_cpu_seconds_total", "counter"),
        ("process_open_fds", "gauge"),
        ("process_start_time_seconds", "gauge"),
    ] {
        assert!(
            text.contains(&format!("# TYPE {name} {kind}\n")),
            "{name}\n{text}"
        );
    }
    let value = |name: &str| sample(&text, name).unwrap_or_else(|| panic!("{name}\n{text}"));
    let rss = status_kib(bot.pid(), "VmRSS:");
    let shown = value("process_resident_memory_bytes");
    assert!(
        shown > rss / 2.0 && shown < rss * 2.0,
        "resident {shown} bytes, the system says {rss}"
    );
    let fds = std::fs::read_dir(format!("/proc/{}/fd", bot.pid()))
        .unwrap()
        .count() as f64;
    let shown = value("process_open_fds");
    assert!(
        (shown - fds).abs() <= 8.0,
        "{shown} open descriptors, the system says {fds}"
    );
    let started = value("process_start_time_seconds");
    assert!(
        started >= before - 1.0 && started <= before + PATIENCE.as_secs_f64(),
        "started at {started}, spawned at {before}"
    );
    let cpu = value("process_cpu_seconds_total");
    assert!(cpu > 0.0 && cpu < PATIENCE.as_secs_f64() * 2.0, "{cpu}");
    bot.stop().await;
}
