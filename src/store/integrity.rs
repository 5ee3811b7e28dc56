//! The store's integrity record, and the mark beside it that says how far the store got.
//!
//! # The record (`m/integrity` in `stories`)
//!
//! How many records of each kind the store holds (one count per key prefix) and a digest
//! of all of them: the XOR of a keyed SHA-256 of every `(tree, key, value)` present. XOR
//! makes the digest independent of order and lets every change update it from the change
//! alone (out with the old value's hash, in with the new one's), so a write costs the
//! hashes of what it writes, never a scan. Every [`super::Tx`] change goes through it and the
//! record is written in the same transaction, so it is as durable and as atomic as the
//! change itself. Opening the store recounts and rehashes everything and compares: a record
//! changed, removed or added behind the store's back is found.
//!
//! The hash is keyed with a salt drawn when the record is first written, so the digest is
//! this store's own and two stores holding the same records do not share it.
//!
//! # The mark (`integrity.mark` in the data directory)
//!
//! The record lives in sled's log with the data it describes. A damaged log can come back
//! as an older, self-consistent state: a `db` file cut short and without its snapshot
//! reopens as the store was some changes ago, record included, and a recount would agree
//! with it. So each flush that makes changes durable also writes, after sled's flush, the
//! record's generation (one more per committed change) and digest to a small file outside
//! sled. Opening compares: sled's record must be at least as far as the mark (a store that
//! is behind the mark lost changes it had acknowledged), and at the same generation it must
//! have the same digest. The mark is written in place (one fixed-size write, never torn by
//! a crash of the process) and never forces an extra `fsync`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::StoreError;

/// The record's key in `stories`. It is not counted in itself.
pub(crate) const RECORD: &[u8] = b"m/integrity";
/// The mark's file name in the data directory.
pub(crate) const MARK_FILE: &str = "integrity.mark";
/// The record's envelope version.
const RECORD_VERSION: u32 = 1;
/// The mark's format version.
const MARK_VERSION: u32 = 1;
/// The mark's size on disk: always the same, so each write replaces it whole.
const MARK_LEN: usize = 160;

/// A digest: XOR of the pairs' hashes.
pub(crate) type Digest = [u8; 32];
/// The salt the pairs' hashes are keyed with.
pub(crate) type Salt = [u8; 16];

/// Which tree a record is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tree {
    /// `stories`.
    Stories,
    /// `events`.
    Events,
}

/// The kind a record is counted as, by its tree and key prefix: the words the operator
/// reads when counts differ.
pub(crate) fn kind(tree: Tree, key: &[u8]) -> &'static str {
    match tree {
        Tree::Events if key.starts_with(super::keys::EVENT_EXPIRY_PREFIX) => "expiry index entries",
        Tree::Events => "processed events",
        Tree::Stories => match key.get(..2) {
            Some(b"s/") => "stories",
            Some(b"r/") => "revisions",
            Some(b"o/") => "sources",
            Some(b"i/") => "source digests",
            Some(b"a/") => "audit entries",
            Some(b"c/") => "channels",
            Some(b"n/") => "channels' stories",
            Some(b"d/") => "assisted drafts",
            Some(b"k/") => "anchors",
            Some(b"m/") => "settings",
            Some(b"j/") => "scheduled jobs",
            Some(b"q/") => "job index entries",
            Some(b"p/") => "people's settings",
            _ => "unknown records",
        },
    }
}

/// The keyed hash of one record.
pub(crate) fn pair_hash(salt: &Salt, tree: Tree, key: &[u8], value: &[u8]) -> Digest {
    let mut h = Sha256::new();
    h.update(salt);
    h.update([match tree {
        Tree::Stories => b's',
        Tree::Events => b'e',
    }]);
    h.update((key.len() as u64).to_be_bytes());
    h.update(key);
    h.update(value);
    h.finalize().into()
}

fn xor(into: &mut Digest, other: &Digest) {
    for (a, b) in into.iter_mut().zip(other) {
        *a ^= b;
    }
}

/// What one transaction changed: kept in the [`super::Tx`], applied to the record when the
/// closure succeeds.
#[derive(Debug, Default)]
pub(crate) struct Delta {
    /// XOR of the hashes of the values removed and added.
    digest: Digest,
    /// Records added (positive) or removed (negative) per kind.
    counts: BTreeMap<&'static str, i64>,
    /// True once anything was written.
    touched: bool,
}

impl Delta {
    /// Records that `key` went from `old` to `new` (`None`: absent).
    pub(crate) fn change(
        &mut self,
        salt: &Salt,
        tree: Tree,
        key: &[u8],
        old: Option<&[u8]>,
        new: Option<&[u8]>,
    ) {
        if key == RECORD && tree == Tree::Stories {
            return;
        }
        if old.is_none() && new.is_none() {
            return;
        }
        self.touched = true;
        if let Some(old) = old {
            xor(&mut self.digest, &pair_hash(salt, tree, key, old));
        }
        if let Some(new) = new {
            xor(&mut self.digest, &pair_hash(salt, tree, key, new));
        }
        let step = i64::from(new.is_some()) - i64::from(old.is_some());
        if step != 0 {
            *self.counts.entry(kind(tree, key)).or_default() += step;
        }
    }

    /// True when nothing was written.
    pub(crate) fn is_empty(&self) -> bool {
        !self.touched
    }
}

/// The integrity record, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tally {
    /// One more for every committed change; the mark is compared with it.
    pub(crate) generation: u64,
    /// The key of the pairs' hashes.
    pub(crate) salt: Salt,
    /// XOR of every record's hash.
    pub(crate) digest: Digest,
    /// Records per kind (kinds with none are left out).
    pub(crate) counts: BTreeMap<String, u64>,
}

/// The record as stored.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IntegrityRecordV1 {
    /// Envelope version, always 1.
    v: u32,
    /// See [`Tally::generation`].
    generation: u64,
    /// The salt, hex.
    salt: String,
    /// The digest, hex.
    digest: String,
    /// Records per kind.
    counts: BTreeMap<String, u64>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn corrupt(reason: &str) -> StoreError {
    StoreError::Corrupt {
        key: super::keys::describe(RECORD),
        reason: reason.into(),
    }
}

impl Tally {
    /// The record of an empty store, with a fresh salt.
    pub(crate) fn empty() -> Tally {
        use chacha20poly1305::aead::rand_core::RngCore as _;
        let mut salt = [0u8; 16];
        chacha20poly1305::aead::OsRng.fill_bytes(&mut salt);
        Tally {
            generation: 0,
            salt,
            digest: [0; 32],
            counts: BTreeMap::new(),
        }
    }

    /// Decodes the stored record.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Tally, StoreError> {
        let record: IntegrityRecordV1 =
            serde_json::from_slice(bytes).map_err(|_| corrupt("unreadable integrity record"))?;
        if record.v != RECORD_VERSION {
            return Err(StoreError::UnsupportedVersion {
                kind: "integrity record",
                version: record.v,
            });
        }
        Ok(Tally {
            generation: record.generation,
            salt: unhex(&record.salt).ok_or_else(|| corrupt("unreadable salt"))?,
            digest: unhex(&record.digest).ok_or_else(|| corrupt("unreadable digest"))?,
            counts: record.counts,
        })
    }

    /// Encodes it for storing.
    pub(crate) fn encode(&self) -> Result<Vec<u8>, StoreError> {
        super::records::encode(
            "integrity",
            &IntegrityRecordV1 {
                v: RECORD_VERSION,
                generation: self.generation,
                salt: hex(&self.salt),
                digest: hex(&self.digest),
                counts: self.counts.clone(),
            },
        )
    }

    /// The record after a committed change: counts and digest moved by `delta`, and the
    /// generation one further. A count that would go below zero means the record no
    /// longer describes the store.
    pub(crate) fn apply(&mut self, delta: &Delta) -> Result<(), StoreError> {
        xor(&mut self.digest, &delta.digest);
        for (kind, step) in &delta.counts {
            let count = self.counts.entry((*kind).to_string()).or_default();
            *count = count
                .checked_add_signed(*step)
                .ok_or_else(|| corrupt("a count of records went below zero"))?;
            if *count == 0 {
                self.counts.remove(*kind);
            }
        }
        self.generation = self.generation.saturating_add(1);
        Ok(())
    }

    /// All records, counted.
    pub(crate) fn records(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Counts and digest of what the trees hold now (one pass over both), under this
    /// record's salt and generation.
    pub(crate) fn recount(
        &self,
        stories: &sled::Tree,
        events: &sled::Tree,
    ) -> Result<Tally, StoreError> {
        let mut found = Tally {
            generation: self.generation,
            salt: self.salt,
            digest: [0; 32],
            counts: BTreeMap::new(),
        };
        for (tree, which) in [(stories, Tree::Stories), (events, Tree::Events)] {
            for item in tree.iter() {
                let (key, value) = item.map_err(|e| {
                    super::sled_error("reading every record to check the integrity record", e)
                })?;
                if which == Tree::Stories && key == RECORD {
                    continue;
                }
                xor(
                    &mut found.digest,
                    &pair_hash(&self.salt, which, &key, &value),
                );
                *found
                    .counts
                    .entry(kind(which, &key).to_string())
                    .or_default() += 1;
            }
        }
        Ok(found)
    }

    /// What differs between this record and a recount, in the operator's words; `None`
    /// when they agree.
    pub(crate) fn differences(&self, found: &Tally) -> Option<String> {
        let mut kinds: Vec<&String> = self.counts.keys().chain(found.counts.keys()).collect();
        kinds.sort();
        kinds.dedup();
        let counted: Vec<String> = kinds
            .into_iter()
            .filter_map(|kind| {
                let expected = self.counts.get(kind).copied().unwrap_or(0);
                let present = found.counts.get(kind).copied().unwrap_or(0);
                (expected != present)
                    .then(|| format!("{present} {kind} where it counts {expected}"))
            })
            .collect();
        if !counted.is_empty() {
            return Some(format!("the store holds {}", counted.join(", ")));
        }
        (self.digest != found.digest)
            .then(|| "the contents of some records differ from what storydesk wrote".to_string())
    }
}

/// The mark as read from its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Mark {
    /// The format, always 1.
    storydesk_mark: u32,
    /// The generation of the record at the last flush.
    pub(crate) generation: u64,
    /// Its digest, hex.
    digest: String,
}

impl Mark {
    /// True when `tally` is this far and has the same digest.
    pub(crate) fn same_digest(&self, tally: &Tally) -> bool {
        self.digest == hex(&tally.digest)
    }
}

/// The mark's path in a data directory.
pub(crate) fn mark_path(dir: &Path) -> PathBuf {
    dir.join(MARK_FILE)
}

/// Reads the mark: `Ok(None)` when there is none, `Err` (why, for the operator) when it is
/// unreadable.
pub(crate) fn read_mark(dir: &Path) -> Result<Option<Mark>, String> {
    let path = mark_path(dir);
    let mut text = String::new();
    match File::open(&path) {
        Ok(mut f) => f
            .read_to_string(&mut text)
            .map_err(|e| format!("{MARK_FILE} cannot be read ({e})"))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{MARK_FILE} cannot be read ({e})")),
    };
    let mark: Mark =
        serde_json::from_str(text.trim_end()).map_err(|_| format!("{MARK_FILE} is damaged"))?;
    if mark.storydesk_mark != MARK_VERSION {
        return Err(format!("{MARK_FILE} has an unknown format"));
    }
    Ok(Some(mark))
}

/// The open mark file, written after each flush.
#[derive(Debug)]
pub(crate) struct MarkFile {
    /// The file, open for writing.
    file: File,
    /// The generation last written, so an older flush never writes over a newer one.
    written: u64,
}

impl MarkFile {
    /// Opens (creating) the mark. A new one is written at generation 0 at once, before any
    /// integrity record exists, so a record never exists without its mark.
    pub(crate) fn open(dir: &Path, found: Option<&Mark>) -> std::io::Result<MarkFile> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(mark_path(dir))?;
        let mut mark = MarkFile { file, written: 0 };
        match found {
            Some(m) => mark.written = m.generation,
            None => {
                mark.write_line(0, &[0; 32])?;
                mark.file.sync_all()?;
            }
        }
        Ok(mark)
    }

    /// Records that the store is durable up to `tally` (after a flush).
    pub(crate) fn advance(&mut self, tally: &Tally) -> std::io::Result<()> {
        if tally.generation <= self.written {
            return Ok(());
        }
        self.write_line(tally.generation, &tally.digest)?;
        self.written = tally.generation;
        Ok(())
    }

    fn write_line(&mut self, generation: u64, digest: &Digest) -> std::io::Result<()> {
        let mark = Mark {
            storydesk_mark: MARK_VERSION,
            generation,
            digest: hex(digest),
        };
        let mut line = serde_json::to_vec(&mark).map_err(std::io::Error::other)?;
        line.resize(MARK_LEN - 1, b' ');
        line.push(b'\n');
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(&line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_follows_changes_in_any_order() {
        let salt = [3; 16];
        let mut a = Delta::default();
        a.change(&salt, Tree::Stories, b"s/1", None, Some(b"one"));
        a.change(&salt, Tree::Stories, b"s/2", None, Some(b"two"));
        a.change(&salt, Tree::Stories, b"s/1", Some(b"one"), Some(b"uno"));
        let mut b = Delta::default();
        b.change(&salt, Tree::Stories, b"s/2", None, Some(b"two"));
        b.change(&salt, Tree::Stories, b"s/1", None, Some(b"uno"));
        assert_eq!(a.digest, b.digest);
        assert_eq!(a.counts, b.counts);
        // The same pair in the other tree, or under another salt, hashes otherwise.
        assert_ne!(
            pair_hash(&salt, Tree::Stories, b"k", b"v"),
            pair_hash(&salt, Tree::Events, b"k", b"v")
        );
        assert_ne!(
            pair_hash(&salt, Tree::Stories, b"k", b"v"),
            pair_hash(&[4; 16], Tree::Stories, b"k", b"v")
        );
        // Key and value boundaries are part of the hash.
        assert_ne!(
            pair_hash(&salt, Tree::Stories, b"ab", b"c"),
            pair_hash(&salt, Tree::Stories, b"a", b"bc")
        );
    }

    #[test]
    fn the_record_round_trips_and_counts_never_go_negative() {
        let mut t = Tally::empty();
        let mut d = Delta::default();
        d.change(&t.salt, Tree::Stories, b"r/x", None, Some(b"text"));
        t.apply(&d).unwrap();
        assert_eq!(t.generation, 1);
        assert_eq!(Tally::decode(&t.encode().unwrap()).unwrap(), t);
        let mut gone = Delta::default();
        gone.change(&t.salt, Tree::Stories, b"r/x", Some(b"text"), None);
        gone.change(&t.salt, Tree::Stories, b"r/y", Some(b"text"), None);
        assert!(t.apply(&gone).is_err());
    }
}
