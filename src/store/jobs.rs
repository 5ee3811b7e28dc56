//! The durable scheduler's records: jobs due at a time, each under a key of its owner's
//! choosing, and an index of them by time.
//!
//! - `j/{queue}/{key}` holds the job (its time and an opaque payload the desk reads);
//! - `q/{queue}/{time, 8 bytes big-endian}{key}` is its index entry, empty, so the jobs of
//!   one queue due by a time are a range scan that reads only them, whatever else is
//!   pending. A queue is a platform: a process serving Slack fires Slack's jobs, and jobs
//!   of a platform nobody serves do not stand in its way.
//!
//! Scheduling a key that already has a job replaces it (its index entry moves with it): a
//! deadline that moves moves its reminder. A job is fired by taking it in a transaction
//! ([`super::Tx::take_job`]) that also writes what firing it does; the transaction commits
//! both or neither, so a job is never fired twice and never lost, across restarts and a
//! SIGKILL. On PostgreSQL the take reads the job `FOR UPDATE SKIP LOCKED`: a replica
//! taking a job another is firing skips it instead of waiting for it.

use serde::{Deserialize, Serialize};
use sled::IVec;

use super::integrity::Tree;
use super::{records, StoreError, Tx, TxError, TxFailure};
use crate::model::Timestamp;

const JOB: &[u8] = b"j/";
const INDEX: &[u8] = b"q/";

/// The version of the job record.
const JOB_VERSION: u32 = 1;

/// A job in the scheduler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Its queue.
    pub queue: String,
    /// Its key in the queue: scheduling the same key again replaces it.
    pub key: String,
    /// When it falls due.
    pub at: Timestamp,
    /// What to do, as its owner wrote it.
    pub payload: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct JobRecordV1 {
    v: u32,
    at: i64,
    payload: String,
}

fn job_key(queue: &str, key: &str) -> Vec<u8> {
    [JOB, queue.as_bytes(), b"/", key.as_bytes()].concat()
}

fn index_prefix(queue: &str) -> Vec<u8> {
    [INDEX, queue.as_bytes(), b"/"].concat()
}

fn index_key(queue: &str, at: Timestamp, key: &str) -> Vec<u8> {
    let mut k = index_prefix(queue);
    k.reserve(8 + key.len());
    // Times before 1970 sort first: shifted so the order of the bytes is the order in time.
    k.extend_from_slice(&((at.0 as u64) ^ (1 << 63)).to_be_bytes());
    k.extend_from_slice(key.as_bytes());
    k
}

/// The time and job key of an index entry of `queue`.
fn of_index(queue: &str, entry: &[u8]) -> Option<(Timestamp, String)> {
    let rest = entry.strip_prefix(index_prefix(queue).as_slice())?;
    let (time, key) = rest.split_at_checked(8)?;
    let at = (u64::from_be_bytes(time.try_into().ok()?) ^ (1 << 63)) as i64;
    Some((Timestamp(at), String::from_utf8(key.to_vec()).ok()?))
}

fn decode(queue: &str, key: &str, bytes: &[u8]) -> Result<Job, StoreError> {
    let describe = || format!("scheduled job {queue}/{key}");
    let record: JobRecordV1 = records::decode_job(&describe, JOB_VERSION, bytes)?;
    Ok(Job {
        queue: queue.to_string(),
        key: key.to_string(),
        at: Timestamp(record.at),
        payload: record.payload,
    })
}

/// Refuses queue names and keys the index cannot hold.
fn check_key(queue: &str, key: &str) -> Result<(), StoreError> {
    if queue.is_empty() || queue.contains('/') || key.is_empty() || key.len() > 512 {
        return Err(StoreError::Corrupt {
            key: format!("scheduled job {queue}/{key}"),
            reason: "a queue is one word without '/', a job key has 1 to 512 bytes".into(),
        });
    }
    Ok(())
}

impl Tx<'_> {
    /// Schedules the job `key` of `queue` at `at`, replacing the job of that key if there
    /// is one.
    pub fn schedule(
        &mut self,
        queue: &str,
        key: &str,
        at: Timestamp,
        payload: &str,
    ) -> Result<(), TxError> {
        self.step(|tx| {
            check_key(queue, key)?;
            let k = job_key(queue, key);
            if let Some(old) = tx.get(Tree::Stories, &k)? {
                let old = decode(queue, key, &old)?;
                tx.take(Tree::Stories, &index_key(queue, old.at, key), || {
                    "removing a job's index entry".into()
                })?;
            }
            let record = JobRecordV1 {
                v: JOB_VERSION,
                at: at.0,
                payload: payload.to_string(),
            };
            tx.write(&k, records::encode("job", &record)?)?;
            tx.put(
                Tree::Stories,
                &index_key(queue, at, key),
                IVec::default(),
                || "indexing a job".into(),
            )
        })
    }

    /// Removes the job `key` of `queue`; true when there was one.
    pub fn unschedule(&mut self, queue: &str, key: &str) -> Result<bool, TxError> {
        self.step(|tx| Ok(remove(tx, queue, key)?.is_some()))
    }

    /// The job `key` of `queue`, as this transaction sees it.
    pub fn job(&mut self, queue: &str, key: &str) -> Result<Option<Job>, TxError> {
        self.step(|tx| {
            tx.get(Tree::Stories, &job_key(queue, key))?
                .map(|bytes| decode(queue, key, &bytes))
                .transpose()
                .map_err(TxFailure::from)
        })
    }

    /// Takes the job `key` if it is due at `now`: removed with its index entry, to be
    /// fired by the rest of this transaction. `None` when there is no such job, when it
    /// is not due (it was moved later), or, on PostgreSQL, when another replica holds it.
    pub fn take_job(
        &mut self,
        queue: &str,
        key: &str,
        now: Timestamp,
    ) -> Result<Option<Job>, TxError> {
        self.step(|tx| {
            let k = job_key(queue, key);
            let Some(bytes) = tx.get_unless_locked(Tree::Stories, &k)? else {
                return Ok(None);
            };
            let job = decode(queue, key, &bytes)?;
            if job.at.0 > now.0 {
                return Ok(None);
            }
            remove(tx, queue, key)?;
            Ok(Some(job))
        })
    }
}

/// Removes a job and its index entry; the job.
fn remove(tx: &Tx<'_>, queue: &str, key: &str) -> Result<Option<Job>, TxFailure> {
    let Some(bytes) = tx.take(Tree::Stories, &job_key(queue, key), || {
        format!("removing scheduled job {queue}/{key}")
    })?
    else {
        return Ok(None);
    };
    let job = decode(queue, key, &bytes)?;
    tx.take(Tree::Stories, &index_key(queue, job.at, key), || {
        "removing a job's index entry".into()
    })?;
    Ok(Some(job))
}

impl super::Store {
    /// The keys of `queue`'s jobs due at `now`, earliest first, at most `limit`: a scan of
    /// the queue's index up to `now`, which costs what is due, not what is pending.
    pub fn due_jobs(
        &self,
        queue: &str,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<(Timestamp, String)>, StoreError> {
        super::outside_transaction("due_jobs")?;
        let start = index_prefix(queue);
        let end = index_key(queue, Timestamp(now.0.saturating_add(1)), "");
        Ok(self
            .raw_scan(Tree::Stories, &start, Some(&end), Some(limit), "due jobs")?
            .into_iter()
            .filter_map(|(entry, _)| of_index(queue, &entry))
            .collect())
    }

    /// When `queue`'s earliest pending job falls due, if one is pending.
    pub fn next_job_at(&self, queue: &str) -> Result<Option<Timestamp>, StoreError> {
        super::outside_transaction("next_job_at")?;
        let start = index_prefix(queue);
        let end = super::keys::prefix_end(&start);
        Ok(self
            .raw_scan(
                Tree::Stories,
                &start,
                end.as_deref(),
                Some(1),
                "pending jobs",
            )?
            .first()
            .and_then(|(entry, _)| of_index(queue, entry))
            .map(|(at, _)| at))
    }

    /// The job `key` of `queue`, as committed.
    pub fn job(&self, queue: &str, key: &str) -> Result<Option<Job>, StoreError> {
        super::outside_transaction("job")?;
        self.raw_get(Tree::Stories, &job_key(queue, key))?
            .map(|bytes| decode(queue, key, &bytes))
            .transpose()
    }

    /// Every pending job of `queue` whose key starts with `prefix`, in key order.
    pub fn jobs_with_prefix(&self, queue: &str, prefix: &str) -> Result<Vec<Job>, StoreError> {
        super::outside_transaction("jobs_with_prefix")?;
        let skip = job_key(queue, "").len();
        let mut out = Vec::new();
        for (k, bytes) in self.raw_scan_prefix(Tree::Stories, &job_key(queue, prefix), "jobs")? {
            let key = String::from_utf8_lossy(&k[skip..]).into_owned();
            out.push(decode(queue, &key, &bytes)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_sorts_by_time_then_key() {
        let a = index_key("slack", Timestamp(-5), "z");
        let b = index_key("slack", Timestamp(0), "a");
        let c = index_key("slack", Timestamp(1_000), "a");
        let d = index_key("slack", Timestamp(1_000), "b");
        assert!(a < b && b < c && c < d);
        assert_eq!(of_index("slack", &d), Some((Timestamp(1_000), "b".into())));
        assert_eq!(of_index("slack", &a), Some((Timestamp(-5), "z".into())));
        assert_eq!(of_index("slack", b"q/slack/short"), None);
        assert_eq!(of_index("discord", &d), None);
    }
}
