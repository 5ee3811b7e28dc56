//! The scheduler with many jobs pending: what one tick costs when nothing is due, what
//! firing the due ones costs, and the memory the process holds.
//!
//! `cargo run --release --example scheduler [PENDING] [DUE]`
//!
//! Schedules PENDING jobs (default 100,000) spread over the next 30 days in a fresh sled
//! store, 1,000 per transaction, then measures:
//! - a tick with nothing due: `due_jobs` up to now plus `next_job_at`, the scheduler loop's
//!   two reads, repeated 10,000 times (mean and p99);
//! - firing: DUE jobs (default 1,000) made due, then taken one transaction each, as
//!   `Desk::run_due` does;
//! - the process's peak resident size (VmHWM).

use std::time::{Duration, Instant};

use storydesk::model::Timestamp;
use storydesk::store::{Job, Store, StoreOptions, TxError};

const NOW: i64 = 1_800_000_000_000;
const DAY: i64 = 86_400_000;

fn vm_hwm_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let pending: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let due: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1_000);
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path(), StoreOptions::default())?;

    let started = Instant::now();
    for chunk in (0..pending).collect::<Vec<_>>().chunks(1_000) {
        store.transact(|tx| -> Result<(), TxError> {
            for &i in chunk {
                // Spread from one minute ahead to 30 days ahead.
                let at = NOW + 60_000 + (i as i64 * 30 * DAY) / pending as i64;
                tx.schedule("slack", &format!("remind/{i}/body"), Timestamp(at), "")?;
            }
            Ok(())
        })?;
    }
    println!(
        "scheduled {pending} jobs in {:.2} s; {} pending",
        started.elapsed().as_secs_f64(),
        store.jobs_with_prefix("slack", "remind/")?.len()
    );

    // A tick with nothing due.
    let mut samples = Vec::with_capacity(10_000);
    for _ in 0..10_000 {
        let t = Instant::now();
        let found = store.due_jobs("slack", Timestamp(NOW), 256)?;
        let next = store.next_job_at("slack")?;
        samples.push(t.elapsed());
        assert!(found.is_empty() && next.is_some());
    }
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "idle tick: mean {:.1} µs, p99 {:.1} µs",
        mean.as_secs_f64() * 1e6,
        samples[samples.len() * 99 / 100].as_secs_f64() * 1e6
    );

    // Firing: the first DUE jobs fall due.
    let until = NOW + 60_000 + (due as i64 * 30 * DAY) / pending as i64;
    let started = Instant::now();
    let mut fired = 0;
    loop {
        let batch = store.due_jobs("slack", Timestamp(until), 256)?;
        if batch.is_empty() {
            break;
        }
        for (_, key) in batch {
            let job = store.transact(|tx| -> Result<Option<Job>, TxError> {
                tx.take_job("slack", &key, Timestamp(until))
            })?;
            fired += usize::from(job.is_some());
        }
    }
    let took = started.elapsed();
    println!(
        "fired {fired} due jobs in {:.3} s ({:.0} per second, each its own durable transaction)",
        took.as_secs_f64(),
        fired as f64 / took.as_secs_f64()
    );
    if let Some(mib) = vm_hwm_mib() {
        println!("peak resident size: {mib} MiB");
    }
    Ok(())
}
