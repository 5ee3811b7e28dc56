//! Durable transactions per second through `Store::transact`, from 1, 10 and 50 threads.
//!
//! Each transaction is shaped like `/story new` with its event claim: it claims an event
//! id, takes the next story number, writes the story, its first audit entry, its key among
//! its channel's stories and the channel's record (64 channels, or one with
//! `STORE_WRITES_CHANNELS=1`). Every transaction returns only once its change is flushed, as
//! in `serve`. Prints, per thread count: transactions per second, the p50/p99 latency, and
//! how many transactions one flush carried.
//!
//! `cargo run --release --example store_writes [SECONDS_PER_ROW] [sled|postgres] [REPLICAS] [new|revise]`
//!
//! `revise` writes revisions instead, each thread to a story of its own (a claim, the
//! revision, the story and an audit entry), so writers do not share a record.
//!
//! `postgres` starts a throwaway PostgreSQL with its durable defaults (`fsync`,
//! `synchronous_commit` on; `storydesk::testing`) and opens REPLICAS stores on one
//! database, each with its own pool, as that many `serve` processes would; the threads are
//! spread over them. It also prints the round trips one write costs.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use storydesk::model::{
    AuditEntry, AuditEvent, ChannelKey, CitationStyle, Person, Platform, Section, Story, StoryId,
    Timestamp,
};
use storydesk::store::{Store, StoreOptions, TxError};

fn channel(n: u64) -> ChannelKey {
    let channels: u64 = std::env::var("STORE_WRITES_CHANNELS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&c| c > 0)
        .unwrap_or(64);
    ChannelKey {
        platform: Platform::Slack,
        team: "T1".into(),
        channel: format!("C{}", n % channels),
    }
}

/// One `/story new`-shaped transaction.
fn create(store: &Store, thread: usize, n: u64) -> Result<StoryId, String> {
    let home = channel(n);
    let person = Person::named(&format!("writer{thread}"));
    store
        .transact(|tx| -> Result<StoryId, TxError> {
            let event = format!("slack:T1:command:{thread}-{n}");
            tx.claim_event(&event, Timestamp(1_700_000_000_000), 300_000)?;
            let id = tx.next_story_id()?;
            let mut story = Story {
                id,
                title: format!("Story {thread}-{n}"),
                home: home.clone(),
                created_by: person.clone(),
                created_at: Timestamp(1_700_000_000_000),
                template: "news".into(),
                sections: ["title", "introduction", "body", "conclusion", "references"]
                    .iter()
                    .map(|s| Section::new(s))
                    .collect(),
                sources: Vec::new(),
                references: Vec::new(),
                style: CitationStyle::Apa,
                published: None,
                audit_len: 0,
                version: 1,
                timing: Default::default(),
            };
            tx.append_audit(
                id,
                &AuditEntry {
                    seq: 0,
                    at: Timestamp(1_700_000_000_000),
                    actor: person.clone(),
                    event: AuditEvent::Recorded {
                        text: "started the story".into(),
                    },
                },
            )?;
            story.audit_len = 1;
            tx.start_in_channel(&home, id, &person)?;
            tx.put_story(&story)?;
            Ok(id)
        })
        .map_err(|e| e.to_string())
}

/// One revision-shaped transaction on `story`.
fn revise(store: &Store, thread: usize, story: StoryId, n: u64) -> Result<(), String> {
    let person = Person::named(&format!("writer{thread}"));
    store
        .transact(|tx| -> Result<(), TxError> {
            let event = format!("slack:T1:view:{thread}-{n}");
            tx.claim_event(&event, Timestamp(1_700_000_000_000), 300_000)?;
            let Some(mut s) = tx.story(story)? else {
                return Ok(());
            };
            let section = s.sections.iter_mut().find(|x| x.name == "body");
            let number = match section {
                Some(section) => {
                    section.revisions += 1;
                    section.revisions
                }
                None => return Ok(()),
            };
            tx.put_revision(&storydesk::model::Revision {
                story,
                section: "body".into(),
                number,
                parent: number.checked_sub(1).filter(|&p| p > 0),
                author: person.clone(),
                at: Timestamp(1_700_000_000_000),
                text: format!("Revision {number} of the body, by writer {thread}."),
                assisted: false,
            })?;
            tx.append_audit(
                story,
                &AuditEntry {
                    seq: s.audit_len,
                    at: Timestamp(1_700_000_000_000),
                    actor: person.clone(),
                    event: AuditEvent::Recorded {
                        text: "wrote the body".into(),
                    },
                },
            )?;
            s.audit_len += 1;
            s.version += 1;
            tx.put_story(&s)
        })
        .map_err(|e| e.to_string())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let secs: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    let engine = args.get(2).map_or("sled", String::as_str);
    let replicas: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1).max(1);
    let revising = args.get(4).map(String::as_str) == Some("revise");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server;
    let stores: Vec<Store> = match engine {
        "postgres" => {
            server = storydesk::testing::TestPostgres::start_durable()
                .expect("PostgreSQL starts")
                .expect("PostgreSQL binaries are installed");
            let url = server.database().expect("a database");
            (0..replicas)
                .map(|_| {
                    Store::open(
                        dir.path(),
                        StoreOptions {
                            database_url: Some(url.clone()),
                            pool_size: 50,
                            ..StoreOptions::default()
                        },
                    )
                    .expect("the store opens")
                })
                .collect()
        }
        _ => vec![Store::open(dir.path(), StoreOptions::default()).expect("the store opens")],
    };
    println!(
        "{engine}, {} replica(s), {}",
        stores.len(),
        if revising { "revisions" } else { "new stories" }
    );
    // One story per writer thread, for `revise`.
    let own: Vec<StoryId> = if revising {
        (0..50)
            .map(|t| create(&stores[0], t, 0).expect("a story to revise"))
            .collect()
    } else {
        Vec::new()
    };
    let total = |stores: &[Store]| {
        stores.iter().fold((0, 0), |(f, r), s| {
            let st = s.stats();
            (f + st.flushes, r + st.round_trips)
        })
    };
    for threads in [1usize, 10, 50] {
        let before = total(&stores);
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let latencies = Arc::new(Mutex::new(Vec::new()));
        let started = Instant::now();
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let store = stores[t % stores.len()].clone();
                let mine = own.get(t).copied();
                let (stop, done, latencies) = (stop.clone(), done.clone(), latencies.clone());
                std::thread::spawn(move || {
                    let mut lat = Vec::new();
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        let at = Instant::now();
                        let k = n + (threads as u64) * 1_000_000;
                        let done = match mine {
                            Some(story) => revise(&store, t, story, k),
                            None => create(&store, t, k).map(|_| ()),
                        };
                        if let Err(e) = done {
                            eprintln!("a transaction failed: {e}");
                            break;
                        }
                        lat.push(at.elapsed());
                        n += 1;
                    }
                    done.fetch_add(n, Ordering::Relaxed);
                    latencies.lock().expect("latencies").extend(lat);
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs(secs));
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            let _ = w.join();
        }
        let elapsed = started.elapsed().as_secs_f64();
        let after = total(&stores);
        let count = done.load(Ordering::Relaxed);
        let mut lat = latencies.lock().expect("latencies").clone();
        lat.sort();
        let pct = |p: f64| {
            lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        let flushes = after.0 - before.0;
        let trips = after.1 - before.1;
        println!(
            "{threads} threads: {:.0} transactions/s, p50 {:.2} ms, p99 {:.2} ms, {} flushes, {:.1} per flush, {:.1} round trips per write",
            count as f64 / elapsed,
            pct(0.5),
            pct(0.99),
            flushes,
            count as f64 / flushes.max(1) as f64,
            trips as f64 / count.max(1) as f64
        );
    }
}
