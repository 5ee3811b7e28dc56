//! sled alone under the soak's mix of writes, to tell sled's own memory from storydesk's:
//! per round (about one minute of `examples/soak.rs`), 6,000 new event ids and 1,200
//! revisions of 600 bytes, each revision with its story record (2,000 bytes) rewritten and
//! the database flushed, in transactions over two trees as the store makes them. Prints the
//! process's resident memory and sled's size on disk after each round.
//!
//! `cargo run --release --example sled_memory -- CACHE_MB ROUNDS THREADS`
//! (defaults 64, 30, 1). With THREADS above 1, each round runs on that many new threads.
//! It allocates as the `storydesk` binary does: with jemalloc, or with the system allocator
//! when built with `--no-default-features`.

use sled::transaction::ConflictableTransactionError;
use sled::Transactional;

#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kib| kib.parse::<u64>().ok())
        .unwrap_or(0)
        / 1024
}

fn main() {
    let arg = |i: usize, default: u64| {
        std::env::args()
            .nth(i)
            .map(|a| a.parse().expect("a number"))
            .unwrap_or(default)
    };
    let (cache_mb, rounds, threads) = (arg(1, 64), arg(2, 30), arg(3, 1).max(1));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = sled::Config::new()
        .path(dir.path())
        .cache_capacity(cache_mb << 20)
        .open()
        .expect("sled opens");
    let stories = db.open_tree("stories").unwrap();
    let events = db.open_tree("events").unwrap();
    let revision = vec![b'x'; 600];
    let story_record = vec![b'y'; 2000];
    let allocator = if cfg!(all(feature = "jemalloc", not(target_env = "msvc"))) {
        "jemalloc"
    } else {
        "the system allocator"
    };
    println!("sled cache {cache_mb} MiB, {threads} thread(s) per round, {allocator}");
    for round in 0..rounds {
        std::thread::scope(|scope| {
            for t in 0..threads {
                let (db, stories, events) = (&db, &stories, &events);
                let (revision, story_record) = (&revision, &story_record);
                scope.spawn(move || {
                    for i in 0..6000 / threads {
                        let n = (round * threads + t) * 10_000 + i;
                        let id = format!("slack:T0SOAK:trigger:{n}.{t}.a1b2c3");
                        (stories, events)
                            .transaction(|(_, e)| {
                                e.insert(id.as_bytes(), &n.to_be_bytes()[..])?;
                                Ok::<_, ConflictableTransactionError<()>>(())
                            })
                            .unwrap();
                        if i % 5 == 0 {
                            let story = round * 8 + i % 8;
                            let mut key = b"r/".to_vec();
                            key.extend_from_slice(&story.to_be_bytes());
                            key.extend_from_slice(&n.to_be_bytes());
                            let mut record = b"s/".to_vec();
                            record.extend_from_slice(&story.to_be_bytes());
                            (stories, events)
                                .transaction(|(s, _)| {
                                    s.insert(key.as_slice(), revision.as_slice())?;
                                    s.insert(record.as_slice(), story_record.as_slice())?;
                                    Ok::<_, ConflictableTransactionError<()>>(())
                                })
                                .unwrap();
                            db.flush().unwrap();
                        }
                    }
                });
            }
        });
        println!(
            "round {:>3}: RSS {:>4} MiB, on disk {:>4} MiB",
            round + 1,
            rss_mib(),
            db.size_on_disk().unwrap_or(0) >> 20
        );
    }
}
