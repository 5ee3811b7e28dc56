//! What metrics cost: recording one request's worth of metrics (the inbound counter, the
//! desk's histogram and outcome counter, one platform call), and rendering `/metrics` with
//! every series a busy bot has (all subcommands, both platforms, several methods).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use storydesk::telemetry::{self, Outcome};

fn bench(c: &mut Criterion) {
    let handle = telemetry::builder()
        .install_recorder()
        .expect("the only recorder of this process");
    telemetry::describe();
    // A bot's worth of series: every subcommand with each outcome, both platforms' ways in,
    // the Web API methods and Discord routes storydesk calls, with a few statuses.
    for sub in storydesk::catalogue::catalogue().names() {
        for outcome in [
            Outcome::Done,
            Outcome::Refused,
            Outcome::Failed,
            Outcome::Duplicate,
        ] {
            telemetry::desk_command(sub, outcome, Duration::from_micros(700));
        }
    }
    for (platform, via, kind) in [
        ("slack", "http", "command"),
        ("slack", "http", "interaction"),
        ("slack", "http", "event"),
        ("slack", "socket_mode", "command"),
        ("discord", "http", "command"),
        ("discord", "gateway", "component"),
    ] {
        for status in ["200", "401", "ok"] {
            telemetry::inbound(platform, via, kind, status);
        }
    }
    for method in [
        "chat.postMessage",
        "chat.update",
        "chat.postEphemeral",
        "views.open",
    ] {
        for status in [200, 429, 500] {
            telemetry::api_call("slack", method, Some(status));
        }
    }

    c.bench_function(
        "record one request (inbound, desk histogram and outcome, API call)",
        |b| {
            b.iter(|| {
                telemetry::inbound("slack", "http", "command", "200");
                telemetry::desk_command("write", Outcome::Done, Duration::from_micros(700));
                telemetry::api_call("slack", "chat.postMessage", Some(200));
            })
        },
    );
    let rendered = telemetry::render(&handle);
    println!(
        "/metrics: {} lines, {} bytes",
        rendered.lines().count(),
        rendered.len()
    );
    c.bench_function("render /metrics", |b| b.iter(|| telemetry::render(&handle)));
}

criterion_group!(benches, bench);
criterion_main!(benches);
