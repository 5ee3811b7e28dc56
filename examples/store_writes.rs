//! Durable transactions per second through `Store::transact`, from 1, 10 and 50 threads.
//!
//! Each transaction is shaped like `/story new` with its event claim: it claims an event
//! id, takes the next story number, writes the story, its first audit entry and its
//! channel's list. Every transaction returns only once its change is flushed, as in
//! `serve`. Prints, per thread count: transactions per second, the p50/p99 latency, and how
//! many transactions one flush carried.
//!
//! `cargo run --release --example store_writes [SECONDS_PER_ROW]`

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use storydesk::model::{
    AuditEntry, AuditEvent, ChannelKey, CitationStyle, Person, Platform, Section, Story, StoryId,
    Timestamp,
};
use storydesk::store::{Store, StoreOptions, TxError};

fn channel(n: u64) -> ChannelKey {
    ChannelKey {
        platform: Platform::Slack,
        team: "T1".into(),
        channel: format!("C{}", n % 64),
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
            let mut list = tx.channel(&home)?;
            list.stories.push(id);
            list.active = Some(id);
            tx.put_channel(&home, &list)?;
            tx.put_story(&story)?;
            Ok(id)
        })
        .map_err(|e| e.to_string())
}

fn main() {
    let secs: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Store::open(dir.path(), StoreOptions::default()).expect("the store opens");
    for threads in [1usize, 10, 50] {
        let before = store.stats();
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let latencies = Arc::new(Mutex::new(Vec::new()));
        let started = Instant::now();
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (store, stop, done, latencies) =
                    (store.clone(), stop.clone(), done.clone(), latencies.clone());
                std::thread::spawn(move || {
                    let mut mine = Vec::new();
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        let at = Instant::now();
                        if let Err(e) = create(&store, t, n + (threads as u64) * 1_000_000) {
                            eprintln!("a transaction failed: {e}");
                            break;
                        }
                        mine.push(at.elapsed());
                        n += 1;
                    }
                    done.fetch_add(n, Ordering::Relaxed);
                    latencies.lock().expect("latencies").extend(mine);
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs(secs));
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            let _ = w.join();
        }
        let elapsed = started.elapsed().as_secs_f64();
        let after = store.stats();
        let count = done.load(Ordering::Relaxed);
        let mut lat = latencies.lock().expect("latencies").clone();
        lat.sort();
        let pct = |p: f64| {
            lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        let flushes = after.flushes - before.flushes;
        println!(
            "{threads} threads: {:.0} transactions/s, p50 {:.2} ms, p99 {:.2} ms, {} flushes, {:.1} per flush",
            count as f64 / elapsed,
            pct(0.5),
            pct(0.99),
            flushes,
            count as f64 / flushes.max(1) as f64
        );
    }
}
