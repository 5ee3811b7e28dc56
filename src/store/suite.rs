//! The store's behaviour, run against every engine: each case gets fresh stores from an
//! opener and must pass on sled and on PostgreSQL alike. sled runs each case as a test of
//! its own; PostgreSQL runs them all on one throwaway server (`crate::testing`), each on a
//! database of its own.

use std::sync::Arc;

use super::tests::{alice, revision, source};
use super::*;
use crate::model::{AuditEvent, CitationStyle, Platform, Section};
use crate::testing::TestPostgres;

/// Opens a fresh, empty store with the given options (the engine is the opener's).
type Opener<'a> = dyn FnMut(StoreOptions) -> Store + 'a;

/// A case: what must hold on every engine.
type Case = fn(&mut Opener<'_>);

/// Every case, by name.
const CASES: &[(&str, Case)] = &[
    ("records_round_trip", records_round_trip),
    (
        "scans_are_ordered_and_bounded",
        scans_are_ordered_and_bounded,
    ),
    (
        "an_aborted_transaction_writes_nothing",
        an_aborted_transaction_writes_nothing,
    ),
    (
        "events_are_claimed_once_and_expire",
        events_are_claimed_once_and_expire,
    ),
    (
        "concurrent_updates_lose_nothing",
        concurrent_updates_lose_nothing,
    ),
    (
        "sealed_sources_need_their_key",
        sealed_sources_need_their_key,
    ),
    (
        "a_backup_restores_into_either_engine",
        a_backup_restores_into_either_engine,
    ),
    (
        "store_calls_inside_a_transaction_are_refused",
        store_calls_inside_a_transaction_are_refused,
    ),
    (
        "deleting_missing_records_is_no_change",
        deleting_missing_records_is_no_change,
    ),
    (
        "jobs_fire_once_and_move_with_their_key",
        jobs_fire_once_and_move_with_their_key,
    ),
    (
        "a_channels_stories_have_a_key_each_and_older_lists_still_count",
        a_channels_stories_have_a_key_each_and_older_lists_still_count,
    ),
];

fn channel(n: u32) -> ChannelKey {
    ChannelKey {
        platform: Platform::Slack,
        team: "T1".into(),
        channel: format!("C{n}"),
    }
}

/// Creates a story as `/story new` does; its number.
fn create(store: &Store, home: &ChannelKey, title: &str) -> StoryId {
    store
        .transact(|tx| -> Result<StoryId, TxError> {
            let id = tx.next_story_id()?;
            let story = Story {
                id,
                title: title.into(),
                home: home.clone(),
                created_by: alice(),
                created_at: Timestamp(1_700_000_000_000),
                template: "news".into(),
                sections: vec![Section::new("title"), Section::new("body")],
                sources: Vec::new(),
                references: Vec::new(),
                style: CitationStyle::Apa,
                published: None,
                audit_len: 1,
                version: 1,
                timing: Default::default(),
            };
            tx.append_audit(
                id,
                &AuditEntry {
                    seq: 0,
                    at: Timestamp(1),
                    actor: alice(),
                    event: AuditEvent::Recorded {
                        text: "started the story".into(),
                    },
                },
            )?;
            tx.start_in_channel(home, id, &alice())?;
            tx.put_story(&story)?;
            Ok(id)
        })
        .expect("the story is created")
}

fn records_round_trip(open: &mut Opener<'_>) {
    let store = open(StoreOptions::default());
    let home = channel(1);
    let id = create(&store, &home, "Meta scrambles");
    assert_eq!(id, StoryId(1));
    assert_eq!(create(&store, &home, "Second"), StoryId(2));
    let story = store.story(id).unwrap().expect("stored");
    assert_eq!(story.title, "Meta scrambles");
    assert_eq!(store.story_ids().unwrap(), vec![StoryId(1), StoryId(2)]);
    assert_eq!(
        store.channel(&home).unwrap().stories,
        vec![StoryId(1), StoryId(2)]
    );
    assert_eq!(store.channel(&home).unwrap().active, Some(StoryId(2)));
    assert_eq!(store.audit(id).unwrap().len(), 1);
    store
        .transact(|tx| -> Result<(), TxError> {
            tx.put_revision(&revision(id, "body", 1, "first"))?;
            tx.put_revision(&revision(id, "body", 2, "second"))?;
            tx.put_source(&source(id, 1, "the leaked memo"))?;
            tx.put_anchor("slack/board/x", "1700.1")?;
            tx.put_seen(id, "body", "U1", 2)?;
            Ok(())
        })
        .unwrap();
    let texts: Vec<String> = store
        .revisions(id, "body")
        .unwrap()
        .into_iter()
        .map(|r| r.text)
        .collect();
    assert_eq!(texts, ["first", "second"]);
    assert_eq!(
        store.revision(id, "body", 2).unwrap().unwrap().text,
        "second"
    );
    assert_eq!(
        store.source(id, 1).unwrap().unwrap().text,
        "the leaked memo"
    );
    assert_eq!(
        store.anchor("slack/board/x").unwrap().as_deref(),
        Some("1700.1")
    );
    assert_eq!(store.seen(id, "body", "U1").unwrap(), Some(2));
    assert_eq!(store.seen(id, "body", "U2").unwrap(), None);
    assert!(store.story(StoryId(9)).unwrap().is_none());
}

fn scans_are_ordered_and_bounded(open: &mut Opener<'_>) {
    let store = open(StoreOptions::default());
    let a = create(&store, &channel(1), "a");
    let b = create(&store, &channel(1), "b");
    // Revisions 1..=12 of one section must come back in number order (keys sort by number,
    // not by text), and neither the other section nor the other story may leak in.
    store
        .transact(|tx| -> Result<(), TxError> {
            for n in (1..=12).rev() {
                tx.put_revision(&revision(a, "body", n, &format!("a{n}")))?;
            }
            tx.put_revision(&revision(a, "bodyx", 1, "other section"))?;
            tx.put_revision(&revision(b, "body", 1, "other story"))?;
            Ok(())
        })
        .unwrap();
    let numbers: Vec<u32> = store
        .revisions(a, "body")
        .unwrap()
        .into_iter()
        .map(|r| r.number)
        .collect();
    assert_eq!(numbers, (1..=12).collect::<Vec<_>>());
    assert_eq!(store.revisions(b, "body").unwrap().len(), 1);
}

fn an_aborted_transaction_writes_nothing(open: &mut Opener<'_>) {
    let store = open(StoreOptions::default());
    let result = store.transact(|tx| -> Result<(), StoreError> {
        tx.put_anchor("a", "1")?;
        assert_eq!(
            tx.anchor("a")?.as_deref(),
            Some("1"),
            "reads see own writes"
        );
        Err(StoreError::InTransaction)
    });
    assert!(matches!(result, Err(TransactError::Aborted(_))));
    assert_eq!(store.anchor("a").unwrap(), None);
}

fn events_are_claimed_once_and_expire(open: &mut Opener<'_>) {
    let store = open(StoreOptions::default());
    let claim = |key: &str, at: i64| {
        store
            .transact(|tx| -> Result<bool, TxError> { tx.claim_event(key, Timestamp(at), 1_000) })
            .unwrap()
    };
    assert!(claim("slack:T1:command:1", 0));
    assert!(
        !claim("slack:T1:command:1", 500),
        "a redelivery is a duplicate"
    );
    assert!(store
        .event_seen("slack:T1:command:1", Timestamp(500))
        .unwrap());
    assert!(claim("slack:T1:command:2", 0));
    assert_eq!(store.purge_expired_events(Timestamp(999)).unwrap(), 0);
    assert_eq!(store.purge_expired_events(Timestamp(1_000)).unwrap(), 2);
    assert!(!store
        .event_seen("slack:T1:command:1", Timestamp(1_000))
        .unwrap());
    assert!(
        claim("slack:T1:command:1", 2_000),
        "an expired claim is taken again"
    );
}

fn concurrent_updates_lose_nothing(open: &mut Opener<'_>) {
    let store = open(StoreOptions::default());
    const THREADS: usize = 8;
    const EACH: usize = 15;
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            let store = store.clone();
            scope.spawn(move || {
                for _ in 0..EACH {
                    store
                        .transact(|tx| -> Result<(), TxError> {
                            let n = tx
                                .anchor("counter")?
                                .and_then(|v| v.parse::<usize>().ok())
                                .unwrap_or(0);
                            tx.put_anchor("counter", &(n + 1).to_string())
                        })
                        .unwrap();
                }
            });
        }
    });
    assert_eq!(
        store.anchor("counter").unwrap(),
        Some((THREADS * EACH).to_string())
    );
}

fn jobs_fire_once_and_move_with_their_key(open: &mut Opener<'_>) {
    let store = open(StoreOptions::default());
    let schedule = |queue: &str, key: &str, at: i64| {
        store
            .transact(|tx| -> Result<(), TxError> { tx.schedule(queue, key, Timestamp(at), "p") })
            .unwrap()
    };
    schedule("slack", "remind/1/body", 3_000);
    schedule("slack", "overdue/1/body", 5_000);
    schedule("discord", "remind/2/body", 1_000);
    // Moved: the old time no longer fires it.
    schedule("slack", "remind/1/body", 4_000);
    assert_eq!(
        store.due_jobs("slack", Timestamp(3_500), 10).unwrap(),
        vec![]
    );
    assert_eq!(store.next_job_at("slack").unwrap(), Some(Timestamp(4_000)));
    assert_eq!(
        store.next_job_at("discord").unwrap(),
        Some(Timestamp(1_000))
    );
    assert_eq!(
        store.due_jobs("slack", Timestamp(5_000), 10).unwrap(),
        vec![
            (Timestamp(4_000), "remind/1/body".to_string()),
            (Timestamp(5_000), "overdue/1/body".to_string())
        ]
    );
    // Not due yet: not taken.
    let early = store
        .transact(|tx| -> Result<Option<Job>, TxError> {
            tx.take_job("slack", "overdue/1/body", Timestamp(4_999))
        })
        .unwrap();
    assert_eq!(early, None);
    // Eight takers at once: one gets it.
    let taken = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            let store = store.clone();
            let taken = &taken;
            scope.spawn(move || {
                let got = store
                    .transact(|tx| -> Result<Option<Job>, TxError> {
                        tx.take_job("slack", "remind/1/body", Timestamp(4_000))
                    })
                    .unwrap();
                if let Some(job) = got {
                    assert_eq!(job.at, Timestamp(4_000));
                    assert_eq!(job.payload, "p");
                    taken.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    assert_eq!(taken.into_inner(), 1);
    assert_eq!(store.job("slack", "remind/1/body").unwrap(), None);
    // A job taken in a transaction that aborts is still there.
    let aborted = store.transact(|tx| -> Result<(), StoreError> {
        tx.take_job("slack", "overdue/1/body", Timestamp(5_000))?;
        Err(StoreError::InTransaction)
    });
    assert!(matches!(aborted, Err(TransactError::Aborted(_))));
    assert_eq!(
        store.due_jobs("slack", Timestamp(5_000), 10).unwrap(),
        vec![(Timestamp(5_000), "overdue/1/body".to_string())]
    );
    let unscheduled = store
        .transact(|tx| -> Result<bool, TxError> { tx.unschedule("slack", "overdue/1/body") })
        .unwrap();
    assert!(unscheduled);
    assert_eq!(store.next_job_at("slack").unwrap(), None);
    assert_eq!(
        store.jobs_with_prefix("discord", "remind/").unwrap().len(),
        1
    );
}

fn sealed_sources_need_their_key(open: &mut Opener<'_>) {
    let key = SourceKey::from_bytes([7; 32]);
    let store = open(StoreOptions {
        source_key: Some(key),
        ..StoreOptions::default()
    });
    let id = create(&store, &channel(1), "sealed");
    store
        .transact(|tx| -> Result<(), TxError> { tx.put_source(&source(id, 1, "whistleblower")) })
        .unwrap();
    assert_eq!(store.source(id, 1).unwrap().unwrap().text, "whistleblower");
    assert!(store.has_sealed_sources().unwrap());
    assert_eq!(store.source_key_matches(&key).unwrap(), Some(true));
    assert_eq!(
        store
            .source_key_matches(&SourceKey::from_bytes([8; 32]))
            .unwrap(),
        Some(false)
    );
    // No record holds the text in clear.
    let mut out = Vec::new();
    store.backup(&mut out).unwrap();
    assert!(!String::from_utf8_lossy(&out).contains("whistleblower"));
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode("whistleblower");
    assert!(!String::from_utf8_lossy(&out).contains(&b64[..12]));
}

fn a_backup_restores_into_either_engine(open: &mut Opener<'_>) {
    let from = open(StoreOptions::default());
    let id = create(&from, &channel(3), "to copy");
    from.transact(|tx| -> Result<(), TxError> {
        tx.put_revision(&revision(id, "body", 1, "text"))?;
        tx.claim_event("discord:G:interaction:1", Timestamp(0), 1_000_000)?;
        Ok(())
    })
    .unwrap();
    let mut bytes = Vec::new();
    let written = from.backup(&mut bytes).unwrap();
    let to = open(StoreOptions::default());
    let restored = to
        .restore(|| Ok(std::io::Cursor::new(bytes.clone())))
        .unwrap();
    assert_eq!(restored.records, written.records);
    assert_eq!(to.story(id).unwrap().unwrap().title, "to copy");
    assert_eq!(to.revisions(id, "body").unwrap().len(), 1);
    assert!(to
        .event_seen("discord:G:interaction:1", Timestamp(5))
        .unwrap());
    // Restoring again is refused: the store is not empty.
    assert!(to
        .restore(|| Ok(std::io::Cursor::new(bytes.clone())))
        .is_err());
}

fn store_calls_inside_a_transaction_are_refused(open: &mut Opener<'_>) {
    let store = open(StoreOptions::default());
    let inner = store.clone();
    let result = store.transact(|_tx| -> Result<(), StoreError> {
        inner.story(StoryId(1))?;
        Ok(())
    });
    assert!(matches!(
        result,
        Err(TransactError::Aborted(StoreError::Reentrant { .. }))
    ));
}

fn deleting_missing_records_is_no_change(open: &mut Opener<'_>) {
    let store = open(StoreOptions::default());
    let id = create(&store, &channel(1), "x");
    let deleted = store
        .transact(|tx| -> Result<(bool, bool), TxError> {
            Ok((
                tx.delete_source(id, 4)?,
                tx.delete_conflict(id, "body", "U1")?,
            ))
        })
        .unwrap();
    assert_eq!(deleted, (false, false));
}

fn a_channels_stories_have_a_key_each_and_older_lists_still_count(open: &mut Opener<'_>) {
    let store = open(StoreOptions::default());
    let (c1, c10) = (channel(1), channel(10));
    let (u2, u3, bob) = (
        Person::named("U2"),
        Person::named("U3"),
        Person::named("bob"),
    );
    // A channel record as stores of layout 1 wrote it: its stories listed in it. U3's
    // chosen story is not one of the channel's.
    store
        .transact(|tx| {
            tx.step(|t| {
                t.write(
                    &keys::channel(&c1)?,
                    br#"{"v":1,"stories":[3,7],"active":7,"people":{"U2":3,"U3":99}}"#.to_vec(),
                )
            })
        })
        .unwrap();
    assert_eq!(
        store.channel(&c1).unwrap().stories,
        [StoryId(3), StoryId(7)]
    );
    assert_eq!(store.active_story(&c1, &alice()).unwrap(), Some(StoryId(7)));
    assert_eq!(store.active_story(&c1, &u2).unwrap(), Some(StoryId(3)));
    assert_eq!(store.active_story(&c1, &u3).unwrap(), Some(StoryId(7)));
    assert!(store.in_channel(&c1, StoryId(3)).unwrap());
    assert!(!store.in_channel(&c1, StoryId(8)).unwrap());

    // A new story: a key of its own; the listed ones move to keys of their own, once.
    store
        .transact(|tx| tx.start_in_channel(&c1, StoryId(9), &alice()))
        .unwrap();
    let now = store.channel(&c1).unwrap();
    assert_eq!(now.stories, [StoryId(3), StoryId(7), StoryId(9)]);
    assert_eq!(now.active, Some(StoryId(9)));
    assert_eq!(now.people.get("U2"), Some(&StoryId(3)));
    assert!(read_channel(&store.base(), &c1).unwrap().stories.is_empty());
    for story in [3, 7, 9] {
        let key = keys::channel_story(&c1, StoryId(story)).unwrap();
        assert!(store.raw_get(Tree::Stories, &key).unwrap().is_some());
    }
    assert_eq!(store.active_story(&c1, &alice()).unwrap(), Some(StoryId(9)));
    assert_eq!(store.active_story(&c1, &u2).unwrap(), Some(StoryId(3)));

    // Channel C10 is not C1 (its keys share C1's first bytes).
    store
        .transact(|tx| tx.start_in_channel(&c10, StoryId(10), &bob))
        .unwrap();
    assert_eq!(store.channel(&c10).unwrap().stories, [StoryId(10)]);
    assert_eq!(store.channel(&c1).unwrap().stories.len(), 3);
    assert!(!store.in_channel(&c1, StoryId(10)).unwrap());
    assert!(!store.in_channel(&c10, StoryId(9)).unwrap());
    assert_eq!(store.active_story(&c1, &bob).unwrap(), Some(StoryId(9)));

    // Choosing another of the channel's stories changes that person's only.
    store
        .transact(|tx| tx.choose_in_channel(&c1, &alice(), StoryId(3)))
        .unwrap();
    assert_eq!(store.active_story(&c1, &alice()).unwrap(), Some(StoryId(3)));
    assert_eq!(store.active_story(&c1, &bob).unwrap(), Some(StoryId(9)));
}

#[test]
fn every_case_on_sled() {
    for (name, case) in CASES {
        let mut dirs = Vec::new();
        let mut open = |options: StoreOptions| {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(dir.path(), options).unwrap();
            dirs.push(dir);
            store
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case(&mut open)));
        assert!(outcome.is_ok(), "case {name} failed on sled");
    }
}

#[test]
fn every_case_on_postgres() {
    let server = match TestPostgres::start() {
        Ok(Some(server)) => Arc::new(server),
        Ok(None) => return,
        Err(why) => panic!("{why}"),
    };
    for (name, case) in CASES {
        let dir = tempfile::tempdir().unwrap();
        let mut open = |options: StoreOptions| {
            let url = server.database().unwrap();
            Store::open(
                dir.path(),
                StoreOptions {
                    database_url: Some(url),
                    pool_size: 4,
                    ..options
                },
            )
            .unwrap()
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case(&mut open)));
        assert!(
            outcome.is_ok(),
            "case {name} failed on PostgreSQL\n{}",
            server.log()
        );
    }
}

/// Work that must run once is held by one process at a time, and moves when its holder
/// lets go (or dies: the lock goes with its connection).
#[test]
fn one_replica_holds_a_singleton_at_a_time() {
    let server = match TestPostgres::start() {
        Ok(Some(server)) => server,
        Ok(None) => return,
        Err(why) => panic!("{why}"),
    };
    let url = server.database().unwrap();
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let open = |dir: &std::path::Path| {
        Store::open(
            dir,
            StoreOptions {
                database_url: Some(url.clone()),
                pool_size: 2,
                ..StoreOptions::default()
            },
        )
        .unwrap()
    };
    let (a, b) = (open(a_dir.path()), open(b_dir.path()));
    let held = a
        .singleton("purge")
        .unwrap()
        .expect("the first replica takes it");
    assert!(held.still_held());
    assert!(b.singleton("purge").unwrap().is_none(), "held by the other");
    assert!(
        b.singleton("gateway").unwrap().is_some(),
        "another job is free"
    );
    drop(held);
    // Released when the lock's connection closes, a moment later.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let taken = loop {
        if let Some(hold) = b.singleton("purge").unwrap() {
            break hold;
        }
        assert!(std::time::Instant::now() < deadline, "never released");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(taken.still_held());
    // The embedded store grants it at once: its data directory is one process's.
    let (_dir, sled) = {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        (dir, store)
    };
    assert!(sled.singleton("purge").unwrap().is_some());
}

/// A database URL that does not parse is refused without repeating it (it may hold a
/// password).
#[test]
fn a_bad_database_url_is_refused_without_quoting_it() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open(
        dir.path(),
        StoreOptions {
            database_url: Some("postgres://u:s3cretpass@host:notaport/db".into()),
            ..StoreOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(!err.contains("s3cretpass"), "{err}");
    assert!(
        err.contains("postgres://USER:PASSWORD@HOST:PORT/DATABASE"),
        "{err}"
    );
}
