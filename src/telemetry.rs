//! Metrics: what `GET /metrics` shows, in Prometheus' text format.
//!
//! Every metric storydesk records is named and described here, and recorded through the
//! small functions below, so the names in the README, the recording sites and the
//! exposition cannot drift apart. Recording goes through the `metrics` facade: until
//! [`install`] sets the Prometheus recorder (which `storydesk serve` does once at start-up),
//! every function here is a no-op, so the console, the CLI and tests that do not look at
//! metrics pay nothing. `GET /metrics` renders the recorder's handle; there is no second
//! HTTP listener.
//!
//! Label values are bounded: platforms, the ways in, request kinds, catalogue subcommand
//! names, Web API method names and route templates (never ids), HTTP status codes.

use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests from a platform: `platform` (`slack`, `discord`), `via` (`http`,
/// `socket_mode`, `gateway`), `kind` (`command`, `interaction`, `event`, `component`,
/// `modal`, `ping`, …) and `status` (the HTTP status, or `ok` / `failed` for a socket).
pub const INBOUND_REQUESTS: &str = "storydesk_inbound_requests_total";
/// Time the desk took for one command, in seconds, by `subcommand`.
pub const DESK_COMMAND_SECONDS: &str = "storydesk_desk_command_seconds";
/// Desk commands by `subcommand` and `outcome` (`done`, `refused`, `failed`, `duplicate`).
pub const DESK_COMMANDS: &str = "storydesk_desk_commands_total";
/// Articles the desk published, by `platform`.
pub const ARTICLES_PUBLISHED: &str = "storydesk_articles_published_total";
/// Publications undone because the platform refused the article, by `platform`.
pub const PUBLICATIONS_UNDONE: &str = "storydesk_publications_undone_total";
/// Calls to a platform's API, by `platform`, `method` (Slack's method name, Discord's
/// route template) and `status` (the HTTP status; `2xx` for a Discord success, whose exact
/// code serenity does not pass on; `error` when no answer came).
pub const PLATFORM_API_CALLS: &str = "storydesk_platform_api_calls_total";
/// Waits imposed by a platform's rate limit, by `platform` and `method`: each 429 answer
/// waited out, and on Discord also serenity's own waits ahead of a 429.
pub const PLATFORM_RATE_LIMITED: &str = "storydesk_platform_rate_limited_total";
/// Reconnections of a platform connection after it was up, by `connection`
/// (`discord_gateway`, `slack_socket_mode`).
pub const RECONNECTS: &str = "storydesk_reconnects_total";
/// Panics in work storydesk runs for a request, by `work` (`desk`, `slack`, `discord`,
/// `drafting`).
pub const PANICS: &str = "storydesk_panics_total";
/// 1 when a part of storydesk is ready, 0 when not, by `component` (as `/readyz` shows).
pub const COMPONENT_READY: &str = "storydesk_component_ready";
/// Gauge: 1 while this replica holds a piece of work that one replica at a time runs, 0
/// while it does not, by `job` (`purge`, `slack-socket-mode`, `discord-gateway`).
pub const SINGLETON_HELD: &str = "storydesk_singleton_held";
/// Counter: transactions the store committed.
pub const STORE_TRANSACTIONS: &str = "storydesk_store_transactions_total";
/// Counter: flushes the store ran (one per group-commit round).
pub const STORE_FLUSHES: &str = "storydesk_store_flushes_total";
/// Counter: durable writes answered once on disk; divided by the flushes, how many writes
/// one flush carries.
pub const STORE_DURABLE_WRITES: &str = "storydesk_store_durable_writes_total";

/// Gauge: connections the PostgreSQL pool holds open (PostgreSQL engine only).
pub const STORE_POOL_CONNECTIONS: &str = "storydesk_store_pool_connections";
/// Gauge: of those, connections idle in the pool.
pub const STORE_POOL_IDLE: &str = "storydesk_store_pool_idle";
/// Gauge: deliveries admitted and not finished (a reply's posts, board and thread updates,
/// waiting in or running on the per-channel send queues), by `platform`. Bounded by
/// `deliver::Bounds`; a request that finds it full waits, and is refused with a sentence
/// when it stays full past its patience.
pub const DELIVERY_BACKLOG: &str = "storydesk_delivery_backlog";
/// Counter: requests refused because the delivery backlog stayed full, by `platform`.
pub const DELIVERY_REFUSED: &str = "storydesk_delivery_refused_total";

/// Histogram bounds for desk commands, in seconds: from a read served from the cache to a
/// write waiting for a busy disk.
const DESK_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// How often histogram samples are folded into their buckets when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Why the recorder could not be installed.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up metrics: {0}")]
pub struct InstallError(String);

/// A builder with storydesk's histogram buckets, for [`install`] and for tests that record
/// into a local recorder.
pub fn builder() -> PrometheusBuilder {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(DESK_COMMAND_SECONDS.into()), DESK_BUCKETS)
        .expect("the bucket list is not empty")
}

/// Install the Prometheus recorder for this process and describe every metric. Call once,
/// from within a tokio runtime (it starts the periodic upkeep). Returns the handle that
/// `GET /metrics` renders.
pub fn install() -> Result<PrometheusHandle, InstallError> {
    let handle = builder()
        .install_recorder()
        .map_err(|e| InstallError(e.to_string()))?;
    describe();
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP_EVERY);
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

/// The exposition for `GET /metrics`: storydesk's series, then the process's own
/// ([`ProcessStats`]) when the system tells them.
pub fn render(handle: &PrometheusHandle) -> String {
    handle.run_upkeep();
    let mut text = handle.render();
    match ProcessStats::read() {
        Ok(stats) => text.push_str(&stats.exposition()),
        Err(e) => tracing::debug!(error = %e, "process metrics unavailable"),
    }
    text
}

/// The ways in `storydesk serve` opened: their series are declared at start.
#[derive(Debug, Clone, Copy, Default)]
pub struct WaysIn {
    /// Slack's HTTP endpoints (`SLACK_SIGNING_SECRET`).
    pub slack_http: bool,
    /// Slack Socket Mode (`SLACK_APP_TOKEN`).
    pub slack_socket_mode: bool,
    /// Discord's interactions endpoint (`DISCORD_PUBLIC_KEY`).
    pub discord_http: bool,
    /// Discord's gateway (`DISCORD_TOKEN`).
    pub discord_gateway: bool,
}

/// The request kinds of each way in, with the status an answered request gets.
const KINDS: [(&str, &str, &[&str], &str); 4] = [
    ("slack", "http", &["command", "interaction", "event"], "200"),
    (
        "slack",
        "socket_mode",
        &["command", "interaction", "event"],
        "ok",
    ),
    (
        "discord",
        "http",
        &["ping", "command", "component", "modal"],
        "200",
    ),
    (
        "discord",
        "gateway",
        &["command", "component", "modal", "message"],
        "ok",
    ),
];

/// Declare, at zero, every series whose labels are known before anything happens: requests
/// on each way in that is open (answered ones), every desk subcommand with each outcome and
/// its time histogram (plus `unparsed`, a line the parser refused), articles published and
/// publications undone on each platform served, and reconnections of each connection. A
/// dashboard then shows the bot, and `rate()` has a starting point, before the first
/// request. Series labelled by what only a call can tell (a Web API method and the status
/// it got) appear when it happens.
pub fn declare(ways: WaysIn, subcommands: &[&str]) {
    let open = [
        ways.slack_http,
        ways.slack_socket_mode,
        ways.discord_http,
        ways.discord_gateway,
    ];
    for ((platform, via, kinds, status), open) in KINDS.iter().zip(open) {
        if !open {
            continue;
        }
        for kind in kinds.iter() {
            metrics::counter!(
                INBOUND_REQUESTS,
                "platform" => *platform,
                "via" => *via,
                "kind" => *kind,
                "status" => *status,
            )
            .absolute(0);
        }
    }
    for subcommand in subcommands {
        let _ = metrics::histogram!(DESK_COMMAND_SECONDS, "subcommand" => subcommand.to_string());
        for outcome in [
            Outcome::Done,
            Outcome::Refused,
            Outcome::Failed,
            Outcome::Duplicate,
        ] {
            metrics::counter!(
                DESK_COMMANDS,
                "subcommand" => subcommand.to_string(),
                "outcome" => outcome.as_str(),
            )
            .absolute(0);
        }
    }
    let _ = metrics::histogram!(DESK_COMMAND_SECONDS, "subcommand" => "unparsed");
    metrics::counter!(DESK_COMMANDS, "subcommand" => "unparsed", "outcome" => Outcome::Refused.as_str())
        .absolute(0);
    for (platform, served) in [
        ("slack", ways.slack_http || ways.slack_socket_mode),
        ("discord", ways.discord_http || ways.discord_gateway),
    ] {
        if served {
            metrics::counter!(ARTICLES_PUBLISHED, "platform" => platform).absolute(0);
            metrics::gauge!(DELIVERY_BACKLOG, "platform" => platform).set(0.0);
            metrics::counter!(DELIVERY_REFUSED, "platform" => platform).absolute(0);
            metrics::counter!(PUBLICATIONS_UNDONE, "platform" => platform).absolute(0);
        }
    }
    for (connection, open) in [
        ("discord_gateway", ways.discord_gateway),
        ("slack_socket_mode", ways.slack_socket_mode),
    ] {
        if open {
            metrics::counter!(RECONNECTS, "connection" => connection).absolute(0);
        }
    }
}

/// The process's own metrics under Prometheus' conventional names, read from `/proc` (Linux).
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessStats {
    /// `process_resident_memory_bytes`: resident set size.
    pub resident_memory_bytes: u64,
    /// `process_cpu_seconds_total`: user and system CPU time.
    pub cpu_seconds: f64,
    /// `process_open_fds`: open file descriptors.
    pub open_fds: u64,
    /// `process_start_time_seconds`: when the process started, in seconds since the Unix
    /// epoch.
    pub start_time_seconds: f64,
}

impl ProcessStats {
    /// This process's figures now.
    pub fn read() -> std::io::Result<ProcessStats> {
        let stat = std::fs::read_to_string("/proc/self/stat")?;
        let boot = std::fs::read_to_string("/proc/stat")?;
        let boot_time = boot
            .lines()
            .find_map(|l| l.strip_prefix("btime ")?.trim().parse::<u64>().ok())
            .ok_or_else(|| invalid("/proc/stat has no btime"))?;
        let status = std::fs::read_to_string("/proc/self/status")?;
        let resident_kib = status
            .lines()
            .find_map(|l| {
                l.strip_prefix("VmRSS:")?
                    .trim()
                    .strip_suffix(" kB")?
                    .parse::<u64>()
                    .ok()
            })
            .ok_or_else(|| invalid("/proc/self/status has no VmRSS"))?;
        let open_fds = std::fs::read_dir("/proc/self/fd")?.count() as u64;
        parse_stat(&stat, boot_time, open_fds, resident_kib * 1024)
            .ok_or_else(|| invalid("/proc/self/stat has an unexpected shape"))
    }

    /// The exposition lines, in Prometheus' text format.
    pub fn exposition(&self) -> String {
        let mut out = String::new();
        for (name, kind, help, value) in [
            (
                "process_cpu_seconds_total",
                "counter",
                "Total user and system CPU time spent in seconds.",
                self.cpu_seconds,
            ),
            (
                "process_open_fds",
                "gauge",
                "Number of open file descriptors.",
                self.open_fds as f64,
            ),
            (
                "process_resident_memory_bytes",
                "gauge",
                "Resident memory size in bytes.",
                self.resident_memory_bytes as f64,
            ),
            (
                "process_start_time_seconds",
                "gauge",
                "Start time of the process since unix epoch in seconds.",
                self.start_time_seconds,
            ),
        ] {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n\n"
            ));
        }
        out
    }
}

fn invalid(why: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, why.to_string())
}

/// Clock ticks per second in `/proc`'s times: the kernel reports them in USER_HZ, which is
/// 100 on the architectures storydesk runs on (Prometheus' own process collector assumes the
/// same).
const USER_HZ: f64 = 100.0;

/// The figures in a `/proc/PID/stat` line, with the boot time (`btime` of `/proc/stat`),
/// the descriptors counted and the resident size read elsewhere. The command name (field 2,
/// in parentheses) may hold spaces and parentheses itself, so fields are counted after its
/// last `)`.
fn parse_stat(
    stat: &str,
    boot_time: u64,
    open_fds: u64,
    resident_memory_bytes: u64,
) -> Option<ProcessStats> {
    let (_, rest) = stat.rsplit_once(')')?;
    // `rest` starts at field 3 (state): field N is at index N - 3.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    let (utime, stime, start) = (field(14)?, field(15)?, field(22)?);
    Some(ProcessStats {
        resident_memory_bytes,
        cpu_seconds: (utime + stime) as f64 / USER_HZ,
        open_fds,
        start_time_seconds: boot_time as f64 + start as f64 / USER_HZ,
    })
}

/// The `# HELP` lines.
pub fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        INBOUND_REQUESTS,
        "Requests received from Slack and Discord, by platform, way in, kind and status."
    );
    describe_histogram!(
        DESK_COMMAND_SECONDS,
        Unit::Seconds,
        "Time the desk took to handle one command, by subcommand."
    );
    describe_counter!(
        DESK_COMMANDS,
        "Desk commands handled, by subcommand and outcome."
    );
    describe_gauge!(
        STORE_POOL_CONNECTIONS,
        "Connections the PostgreSQL pool holds open (PostgreSQL engine only)."
    );
    describe_gauge!(
        STORE_POOL_IDLE,
        "Connections idle in the PostgreSQL pool (PostgreSQL engine only)."
    );
    describe_counter!(
        PANICS,
        "Panics in work run for a request (logged and survived), by work."
    );
    describe_counter!(
        ARTICLES_PUBLISHED,
        "Articles published by the desk, by platform."
    );
    describe_counter!(
        PUBLICATIONS_UNDONE,
        "Publications undone because the platform refused the article."
    );
    describe_counter!(
        PLATFORM_API_CALLS,
        "Calls to the Slack Web API and Discord REST API, by platform, method and HTTP status."
    );
    describe_counter!(
        PLATFORM_RATE_LIMITED,
        "Waits imposed by a platform's rate limit, by platform and method."
    );
    describe_counter!(
        RECONNECTS,
        "Reconnections of the Discord gateway and Slack Socket Mode after they were up."
    );
    describe_gauge!(
        DELIVERY_BACKLOG,
        "Deliveries admitted and not finished (posts waiting in or running on the send queues), by platform."
    );
    describe_counter!(
        DELIVERY_REFUSED,
        "Requests refused because the delivery backlog stayed full, by platform."
    );
    describe_counter!(STORE_TRANSACTIONS, "Transactions the store committed.");
    describe_counter!(
        STORE_FLUSHES,
        "Flushes the store ran: one per group-commit round, shared by the writes waiting."
    );
    describe_counter!(
        STORE_DURABLE_WRITES,
        "Writes answered once on disk; divided by the flushes, how many writes one flush carries."
    );
    describe_gauge!(
        SINGLETON_HELD,
        "1 while this replica holds work that one replica at a time runs (Socket Mode, the gateway, the purge), else 0, by job."
    );
    describe_gauge!(
        COMPONENT_READY,
        "1 when a part of storydesk is ready (as /readyz reports it), else 0."
    );
}

/// How the desk ended a command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Outcome {
    /// Done as asked.
    #[default]
    Done,
    /// Refused with a sentence the person can act on.
    Refused,
    /// Failed on our side (an internal error).
    Failed,
    /// A redelivered event: nothing done.
    Duplicate,
}

impl Outcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
            Outcome::Duplicate => "duplicate",
        }
    }
}

/// One request from a platform.
pub fn inbound(platform: &'static str, via: &'static str, kind: &'static str, status: &str) {
    metrics::counter!(
        INBOUND_REQUESTS,
        "platform" => platform,
        "via" => via,
        "kind" => kind,
        "status" => status.to_string(),
    )
    .increment(1);
}

/// One desk command, its outcome and how long it took.
pub fn desk_command(subcommand: &str, outcome: Outcome, took: Duration) {
    metrics::histogram!(DESK_COMMAND_SECONDS, "subcommand" => subcommand.to_string())
        .record(took.as_secs_f64());
    metrics::counter!(
        DESK_COMMANDS,
        "subcommand" => subcommand.to_string(),
        "outcome" => outcome.as_str(),
    )
    .increment(1);
}

/// An article published.
pub fn published(platform: &'static str) {
    metrics::counter!(ARTICLES_PUBLISHED, "platform" => platform).increment(1);
}

/// A publication undone.
pub fn publication_undone(platform: &'static str) {
    metrics::counter!(PUBLICATIONS_UNDONE, "platform" => platform).increment(1);
}

/// One call to a platform's API and the status it got (`None`: no answer).
pub fn api_call(platform: &'static str, method: &str, status: Option<u16>) {
    let status = status.map_or_else(|| "error".to_string(), |s| s.to_string());
    metrics::counter!(
        PLATFORM_API_CALLS,
        "platform" => platform,
        "method" => method.to_string(),
        "status" => status,
    )
    .increment(1);
}

/// One successful call whose exact status the client does not pass on (serenity's
/// methods return the decoded answer only): counted with status `2xx`.
pub fn api_call_ok(platform: &'static str, method: &str) {
    metrics::counter!(
        PLATFORM_API_CALLS,
        "platform" => platform,
        "method" => method.to_string(),
        "status" => "2xx",
    )
    .increment(1);
}

/// A wait imposed by a platform's rate limit.
pub fn rate_limited(platform: &'static str, method: &str) {
    metrics::counter!(
        PLATFORM_RATE_LIMITED,
        "platform" => platform,
        "method" => method.to_string(),
    )
    .increment(1);
}

/// A connection that was up is being made again.
pub fn reconnect(connection: &'static str) {
    metrics::counter!(RECONNECTS, "connection" => connection).increment(1);
}

/// Work run for a request panicked.
pub fn panicked(work: &'static str) {
    metrics::counter!(PANICS, "work" => work).increment(1);
}

/// The delivery backlog of `platform` is now `deliveries`.
pub fn delivery_backlog(platform: &'static str, deliveries: usize) {
    metrics::gauge!(DELIVERY_BACKLOG, "platform" => platform).set(deliveries as f64);
}

/// A request of `platform` was refused because the delivery backlog stayed full.
pub fn delivery_refused(platform: &'static str) {
    metrics::counter!(DELIVERY_REFUSED, "platform" => platform).increment(1);
}

/// A component's readiness changed.
pub fn component_ready(component: &str, ready: bool) {
    metrics::gauge!(COMPONENT_READY, "component" => component.to_string()).set(if ready {
        1.0
    } else {
        0.0
    });
}

/// Whether this replica holds the singleton work `job`.
pub fn singleton_held(job: &str, held: bool) {
    metrics::gauge!(SINGLETON_HELD, "job" => job.to_string()).set(if held { 1.0 } else { 0.0 });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proc_stat_line_gives_the_process_figures() {
        // A command name with a space and a parenthesis, as `/proc` shows it unescaped.
        let line = "4242 (story desk) x) S 1 4242 4242 0 -1 4194560 1500 0 0 0 250 75 0 0 20 0 9 0 123456 812345678 2048 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0";
        let stats = parse_stat(line, 1_700_000_000, 12, 8_388_608).expect("a stat line");
        assert_eq!(
            stats,
            ProcessStats {
                resident_memory_bytes: 8_388_608,
                cpu_seconds: 3.25,
                open_fds: 12,
                start_time_seconds: 1_700_000_000.0 + 1234.56,
            }
        );
        assert_eq!(parse_stat("4242 (cut", 0, 0, 0), None);
    }

    #[test]
    fn declared_series_render_at_zero_before_anything_happens() {
        let recorder = builder().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            describe();
            declare(
                WaysIn {
                    slack_http: true,
                    ..WaysIn::default()
                },
                &["new", "source add"],
            );
        });
        let text = render(&handle);
        for line in [
            "storydesk_inbound_requests_total{platform=\"slack\",via=\"http\",kind=\"command\",status=\"200\"} 0",
            "storydesk_desk_commands_total{subcommand=\"source add\",outcome=\"failed\"} 0",
            "storydesk_desk_commands_total{subcommand=\"unparsed\",outcome=\"refused\"} 0",
            "storydesk_desk_command_seconds_count{subcommand=\"new\"} 0",
            "storydesk_desk_command_seconds_bucket{subcommand=\"new\",le=\"+Inf\"} 0",
            "storydesk_articles_published_total{platform=\"slack\"} 0",
            "storydesk_publications_undone_total{platform=\"slack\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in:\n{text}");
        }
        // Ways in that are not open declare nothing.
        assert!(!text.contains("discord"), "{text}");
        assert!(!text.contains("socket_mode"), "{text}");
    }

    #[test]
    fn recorded_metrics_render_in_prometheus_text_format() {
        let recorder = builder().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            describe();
            inbound("slack", "http", "command", "200");
            inbound("slack", "http", "command", "200");
            inbound("discord", "gateway", "component", "ok");
            desk_command("write", Outcome::Done, Duration::from_micros(700));
            desk_command("publish", Outcome::Refused, Duration::from_millis(3));
            published("slack");
            api_call("slack", "chat.postMessage", Some(429));
            api_call("discord", "POST /channels/{channel}/messages", None);
            rate_limited("slack", "chat.postMessage");
            reconnect("slack_socket_mode");
            component_ready("discord_gateway", false);
            singleton_held("purge", true);
            singleton_held("discord-gateway", false);
        });
        let text = render(&handle);
        for line in [
            "# TYPE storydesk_inbound_requests_total counter",
            "storydesk_inbound_requests_total{platform=\"slack\",via=\"http\",kind=\"command\",status=\"200\"} 2",
            "storydesk_inbound_requests_total{platform=\"discord\",via=\"gateway\",kind=\"component\",status=\"ok\"} 1",
            "# TYPE storydesk_desk_command_seconds histogram",
            "storydesk_desk_command_seconds_bucket{subcommand=\"write\",le=\"0.001\"} 1",
            "storydesk_desk_command_seconds_count{subcommand=\"publish\"} 1",
            "storydesk_desk_commands_total{subcommand=\"publish\",outcome=\"refused\"} 1",
            "storydesk_articles_published_total{platform=\"slack\"} 1",
            "storydesk_platform_api_calls_total{platform=\"slack\",method=\"chat.postMessage\",status=\"429\"} 1",
            "storydesk_platform_api_calls_total{platform=\"discord\",method=\"POST /channels/{channel}/messages\",status=\"error\"} 1",
            "storydesk_platform_rate_limited_total{platform=\"slack\",method=\"chat.postMessage\"} 1",
            "storydesk_reconnects_total{connection=\"slack_socket_mode\"} 1",
            "storydesk_component_ready{component=\"discord_gateway\"} 0",
            "# TYPE storydesk_singleton_held gauge",
            "storydesk_singleton_held{job=\"purge\"} 1",
            "storydesk_singleton_held{job=\"discord-gateway\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in:\n{text}");
        }
    }
}
