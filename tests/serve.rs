//! `serve` as a library function: on a listener the test binds (port 0), stopped by a
//! future the test completes. No platform is configured, so the operator's endpoints are
//! what it serves.

use std::time::Duration;

use storydesk::config::Config;
use storydesk::env::Env;

/// Long enough for a loaded machine; a server that ignores its shutdown future fails here
/// instead of hanging the test run.
const WITHIN: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_on_a_bound_listener_and_stops_when_told() {
    let dir = tempfile::tempdir().unwrap();
    let desk = storydesk::open_desk(Config::defaults(), dir.path()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let env = Env::default();
    let served = storydesk::serve::run(
        desk,
        &env,
        listener,
        async {
            let _ = stopped.await;
        },
        std::future::pending(),
    );
    let client = async {
        let get = |path: &str| {
            let url = format!("http://{addr}{path}");
            async move {
                let response = reqwest::get(url).await.unwrap();
                (response.status().as_u16(), response.text().await.unwrap())
            }
        };
        assert_eq!(get("/healthz").await, (200, "ok\n".to_string()));
        let (status, body) = get("/readyz").await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = get("/metrics").await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("storydesk_"), "{body}");
        stop.send(()).unwrap();
    };
    let (result, ()) = tokio::time::timeout(WITHIN, async { tokio::join!(served, client) })
        .await
        .expect("serve stopped once its shutdown future completed");
    result.unwrap();

    // Stopped: the port is closed, and the store was let go of (it opens again).
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    let reopened = storydesk::open_desk(Config::defaults(), dir.path());
    assert!(reopened.is_ok(), "{:?}", reopened.err());
}

/// A shard range that cannot be is refused at start-up, naming the variable (before the
/// metrics recorder, of which a process has one, is installed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_discord_shard_range_stops_serve_at_start_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let desk = storydesk::open_desk(Config::defaults(), dir.path()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let env = Env {
        discord_shards: Some("2-4/4".into()),
        ..Env::default()
    };
    let served = tokio::time::timeout(
        WITHIN,
        storydesk::serve::run(
            desk,
            &env,
            listener,
            std::future::pending(),
            std::future::pending(),
        ),
    )
    .await
    .expect("serve refuses at once");
    let err = format!("{:#}", served.unwrap_err());
    assert!(err.contains("STORYDESK_DISCORD_SHARDS"), "{err}");
    assert!(err.contains("LAST (4) must be below TOTAL (4)"), "{err}");
}
