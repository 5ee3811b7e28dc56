use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::*;
use crate::health::Readiness;
use crate::store::StoreOptions;
use crate::testing::TestPostgres;

/// How long a test waits for something that must happen (a take-over within 10 s is the
/// promise; the rest is immediate).
const WITHIN: Duration = Duration::from_secs(10);

/// What a replica's work reports.
#[derive(Debug, PartialEq, Eq)]
enum Event {
    /// A run started, in this replica.
    Started(&'static str),
    /// That run was told to stop and ended.
    Stopped(&'static str),
}

/// One replica's runner of the job `work`, on `store`.
struct Replica {
    /// The runner's task.
    runner: tokio::task::JoinHandle<()>,
    /// `serve`'s stop, as the runner sees it.
    stop: watch::Sender<bool>,
    /// The replica's readiness registry.
    readiness: Readiness,
}

impl Replica {
    /// Starts the runner of `work` for the replica `who`, trying every `every`; its runs
    /// report to `events`.
    fn start(
        who: &'static str,
        store: &Store,
        every: Duration,
        events: &mpsc::UnboundedSender<Event>,
    ) -> Replica {
        let readiness = Readiness::new();
        let (stop, stopping) = watch::channel(false);
        let events = events.clone();
        let job = Job {
            name: "work",
            every,
            holding: readiness.register_singleton("work"),
            connection: Some(readiness.register("work_connection")),
        };
        let runner = tokio::spawn(run(store.clone(), job, stopping, move |stop: Stop| {
            let events = events.clone();
            async move {
                let _ = events.send(Event::Started(who));
                stop.wait().await;
                let _ = events.send(Event::Stopped(who));
            }
        }));
        Replica {
            runner,
            stop,
            readiness,
        }
    }

    /// What `/readyz` says of the job, and of its connection.
    fn says(&self) -> (String, String) {
        let parts = self.readiness.parts();
        (
            parts["singleton:work"].detail.clone(),
            parts["work_connection"].detail.clone(),
        )
    }

    /// Waits until `/readyz` says `detail` of the job; panics after [`WITHIN`].
    async fn wait_until_it_says(&self, detail: &str) {
        let deadline = tokio::time::Instant::now() + WITHIN;
        loop {
            let parts = self.readiness.parts();
            if parts["singleton:work"].detail == detail {
                assert!(parts["singleton:work"].ready, "{parts:?}");
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never said {detail:?}: {parts:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// The next event, within [`WITHIN`].
async fn next(events: &mut mpsc::UnboundedReceiver<Event>) -> Event {
    tokio::time::timeout(WITHIN, events.recv())
        .await
        .expect("an event in time")
        .expect("the channel is open")
}

fn open(dir: &std::path::Path, url: Option<String>) -> Store {
    Store::open(
        dir,
        StoreOptions {
            database_url: url,
            pool_size: 2,
            ..StoreOptions::default()
        },
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_embedded_store_the_work_runs_at_once_until_serve_stops() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), None);
    let (send, mut events) = mpsc::unbounded_channel();
    // An hour between attempts: the work starts on the first, or not within the test.
    let replica = Replica::start("only", &store, Duration::from_secs(3600), &send);
    assert_eq!(next(&mut events).await, Event::Started("only"));
    replica.wait_until_it_says("held").await;
    assert_eq!(
        replica.says().1,
        "connecting",
        "the work now owns its connection"
    );

    replica.stop.send(true).unwrap();
    tokio::time::timeout(WITHIN, replica.runner)
        .await
        .expect("the runner ends once serve stops")
        .unwrap();
    assert_eq!(next(&mut events).await, Event::Stopped("only"));
    assert_eq!(
        replica.readiness.parts()["singleton:work"].detail,
        "stopped"
    );
    assert!(events.try_recv().is_err(), "started once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_that_ends_by_itself_is_let_go_and_not_started_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), None);
    let (send, mut events) = mpsc::unbounded_channel();
    let readiness = Readiness::new();
    let (_stop, stopping) = watch::channel(false);
    let job = Job {
        name: "work",
        every: Duration::from_millis(10),
        holding: readiness.register_singleton("work"),
        connection: None,
    };
    let runner = tokio::spawn(run(store.clone(), job, stopping, move |_stop: Stop| {
        let send = send.clone();
        async move {
            let _ = send.send(Event::Started("only"));
        }
    }));
    tokio::time::timeout(WITHIN, runner)
        .await
        .expect("the runner returns")
        .unwrap();
    assert_eq!(next(&mut events).await, Event::Started("only"));
    assert!(events.recv().await.is_none(), "never started again");
    assert_eq!(
        readiness.parts()["singleton:work"].detail,
        "ended by itself: let go"
    );
    // Let go: it can be taken again (here, by anyone in this process).
    assert!(store.singleton("work").unwrap().is_some());
}

/// Two replicas on one database: A runs the work, B waits; A dies and B takes the work over;
/// A comes back and waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_runs_the_work_and_a_survivor_takes_it_over() {
    let server = match TestPostgres::start() {
        Ok(Some(server)) => server,
        Ok(None) => return,
        Err(why) => panic!("{why}"),
    };
    let url = server.database().unwrap();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let every = Duration::from_millis(100);
    let (send, mut events) = mpsc::unbounded_channel();

    let a_store = open(dirs[0].path(), Some(url.clone()));
    let a = Replica::start("a", &a_store, every, &send);
    assert_eq!(next(&mut events).await, Event::Started("a"));
    a.wait_until_it_says("held").await;
    let b_store = open(dirs[1].path(), Some(url.clone()));
    let b = Replica::start("b", &b_store, every, &send);
    b.wait_until_it_says("held by another replica").await;
    assert_eq!(
        b.says().1,
        "held by another replica",
        "B's connection is another replica's to keep"
    );
    assert!(
        b.readiness.parts().values().all(|p| p.ready),
        "nothing makes B unready"
    );
    assert!(events.try_recv().is_err(), "B does not run it");

    // A dies: its runner is gone (its work stops with it), and so is its store.
    a.runner.abort();
    let _ = a.runner.await;
    drop(a_store);
    let mut seen = vec![next(&mut events).await, next(&mut events).await];
    seen.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(seen, [Event::Started("b"), Event::Stopped("a")]);
    b.wait_until_it_says("held").await;

    // A comes back, and waits for B.
    let a_store = open(dirs[0].path(), Some(url.clone()));
    let a = Replica::start("a", &a_store, every, &send);
    a.wait_until_it_says("held by another replica").await;
    assert!(events.try_recv().is_err(), "A does not run it");

    b.stop.send(true).unwrap();
    tokio::time::timeout(WITHIN, b.runner)
        .await
        .expect("B stops")
        .unwrap();
    let mut seen = vec![next(&mut events).await, next(&mut events).await];
    seen.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(seen, [Event::Started("a"), Event::Stopped("b")]);
    a.stop.send(true).unwrap();
    let _ = a.runner.await;
}

/// A holder whose lock connection dies (the database restarted it, the network dropped it)
/// stops the work, and the work goes on in one replica: this one again, or the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_that_loses_its_hold_stops_the_work() {
    let server = match TestPostgres::start() {
        Ok(Some(server)) => server,
        Ok(None) => return,
        Err(why) => panic!("{why}"),
    };
    let url = server.database().unwrap();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let every = Duration::from_millis(100);
    let (send, mut events) = mpsc::unbounded_channel();
    let a_store = open(dirs[0].path(), Some(url.clone()));
    let a = Replica::start("a", &a_store, every, &send);
    assert_eq!(next(&mut events).await, Event::Started("a"));
    let b_store = open(dirs[1].path(), Some(url.clone()));
    let b = Replica::start("b", &b_store, every, &send);
    b.wait_until_it_says("held by another replica").await;

    let killed = {
        use sqlx::Connection;
        let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
        let killed: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted",
        )
        .fetch_all(&mut admin)
        .await
        .unwrap();
        let _ = admin.close().await;
        killed
    };
    assert_eq!(killed, [true], "one advisory lock, A's");
    let mut seen = vec![next(&mut events).await, next(&mut events).await];
    seen.sort_by_key(|e| format!("{e:?}"));
    assert!(
        seen == [Event::Started("a"), Event::Stopped("a")]
            || seen == [Event::Started("b"), Event::Stopped("a")],
        "{seen:?}"
    );
    let (holder, other) = if seen[0] == Event::Started("a") {
        (&a, &b)
    } else {
        (&b, &a)
    };
    holder.wait_until_it_says("held").await;
    other.wait_until_it_says("held by another replica").await;
    assert!(events.try_recv().is_err(), "one run at a time");
    for replica in [a, b] {
        replica.stop.send(true).unwrap();
        let _ = replica.runner.await;
    }
}
