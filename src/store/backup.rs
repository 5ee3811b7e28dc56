//! Backups: the whole store as JSON lines, written from a consistent snapshot, and read back
//! into an empty data directory.
//!
//! The format is ours, not sled's, so a backup survives a change of sled version or of
//! storage engine:
//!
//! ```text
//! {"storydesk_backup":1,"schema":1,"created_at":1769504400000}
//! {"t":"s","k":"<base64 key>","v":"<base64 value>"}      one line per record
//! {"end":true,"records":1234,"digest":"<hex>"}
//! ```
//!
//! `t` is the tree (`s` stories, `e` processed events). Values are copied byte for byte, so
//! sealed sources stay sealed in the backup and need the same key after a restore. The last
//! line counts the records and carries an FNV-1a digest of the record lines: a truncated or
//! altered file is refused before anything is written.
//!
//! Consistency: every transaction holds the store's write gate shared while it commits;
//! a backup holds it exclusively while it reads, so it sees every transaction whole or not
//! at all, while the bot keeps serving reads.

use std::io::{BufRead, Write};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::integrity::Tree;
use super::staged::Changes;
use super::{integrity, sled_error, Engine, Store, StoreError, SCHEMA_VERSION};
use crate::model::Timestamp;
use sled::IVec;

/// The backup format's version.
const FORMAT: u32 = 1;

/// The first line.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    /// The format version.
    storydesk_backup: u32,
    /// The store's key layout version.
    schema: u32,
    /// When the snapshot was taken, Unix milliseconds.
    created_at: i64,
}

/// A record line.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    /// The tree: `s` or `e`.
    t: String,
    /// The key, base64.
    k: String,
    /// The value, base64.
    v: String,
}

/// The last line.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct End {
    /// Always true.
    end: bool,
    /// How many record lines came before.
    records: u64,
    /// FNV-1a (64 bit) over the record lines, hex.
    digest: String,
}

/// What a backup or restore covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupSummary {
    /// Records copied.
    pub records: u64,
    /// Bytes of keys and values copied.
    pub bytes: u64,
}

/// Why a backup file cannot be restored. Never quotes a record.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The file is not a storydesk backup, or is damaged.
    #[error("not a usable storydesk backup: {0}")]
    Invalid(String),
    /// The data directory already holds stories.
    #[error("the data directory already holds data; restore into an empty directory (--data)")]
    NotEmpty,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading the file failed.
    #[error("reading the backup: {0}")]
    Io(#[from] std::io::Error),
}

/// FNV-1a, 64 bit: a cheap digest that catches damaged or edited lines.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn update(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

fn json_line<T: Serialize>(value: &T) -> Vec<u8> {
    let mut line = serde_json::to_vec(value).expect("backup lines are plain JSON");
    line.push(b'\n');
    line
}

impl Store {
    /// Write a consistent snapshot of the whole store to `out`.
    pub fn backup(&self, out: &mut dyn Write) -> Result<BackupSummary, BackupError> {
        super::outside_transaction("backup")?;
        // sled: hold the gate, so no round of changes is applied while the trees are read.
        // PostgreSQL: one statement reads every record, from one snapshot.
        let (_exclusive, records) = match &self.inner.engine {
            Engine::Sled(sled) => (
                Some(
                    sled.durability
                        .gate
                        .write()
                        .unwrap_or_else(|e| e.into_inner()),
                ),
                None,
            ),
            Engine::Postgres(pg) => (None, Some(pg.all_records()?)),
        };
        out.write_all(&json_line(&Header {
            storydesk_backup: FORMAT,
            schema: SCHEMA_VERSION,
            created_at: Timestamp::now().0,
        }))?;
        let mut digest = Fnv::new();
        let mut summary = BackupSummary {
            records: 0,
            bytes: 0,
        };
        let all: Box<dyn Iterator<Item = Result<(Tree, IVec, IVec), StoreError>>> =
            match (&self.inner.engine, records) {
                (_, Some(records)) => Box::new(records.into_iter().map(Ok)),
                (Engine::Sled(sled), None) => Box::new(
                    [Tree::Stories, Tree::Events]
                        .into_iter()
                        .flat_map(move |tree| {
                            sled.tree(tree).iter().map(move |item| {
                                item.map(|(k, v)| (tree, k, v))
                                    .map_err(|e| sled_error("reading for a backup", e))
                            })
                        }),
                ),
                (Engine::Postgres(_), None) => Box::new(std::iter::empty()),
            };
        {
            for item in all {
                let (tree, k, v) = item?;
                let name = match tree {
                    Tree::Stories => "s",
                    Tree::Events => "e",
                };
                let line = json_line(&Line {
                    t: name.into(),
                    k: B64.encode(&k),
                    v: B64.encode(&v),
                });
                digest.update(&line);
                out.write_all(&line)?;
                summary.records += 1;
                summary.bytes += (k.len() + v.len()) as u64;
            }
        }
        out.write_all(&json_line(&End {
            end: true,
            records: summary.records,
            digest: digest.hex(),
        }))?;
        out.flush()?;
        Ok(summary)
    }

    /// Restore a backup into this store, which must be empty. `input` is read twice: once
    /// to check the whole file, once to write it, so a damaged file writes nothing.
    pub fn restore<R: BufRead>(
        &self,
        mut open_input: impl FnMut() -> std::io::Result<R>,
    ) -> Result<BackupSummary, RestoreError> {
        super::outside_transaction("restore")?;
        // The store's own bookkeeping (`m/…`: layout version, source key check) may be there;
        // anything else means the directory is in use.
        let holds_data = self
            .raw_scan(Tree::Stories, &[], None, None, "records")?
            .iter()
            .any(|(k, _)| !k.starts_with(b"m/"));
        if holds_data || !self.raw_is_empty(Tree::Events)? {
            return Err(RestoreError::NotEmpty);
        }
        let key = self.inner.source_key;
        let mut other_key = false;
        let checked = read_backup(open_input()?, |_, k, v| {
            if k == super::SOURCE_KEY_CHECK {
                let sealed: Option<super::seal::Sealed> = serde_json::from_slice(&v).ok();
                other_key = match (&key, sealed) {
                    (Some(key), Some(sealed)) => {
                        super::seal::open(key, super::SOURCE_KEY_CHECK, &sealed).is_err()
                    }
                    _ => false,
                };
            }
            Ok(())
        })?;
        if other_key {
            return Err(RestoreError::Invalid(
                "its sources were sealed with another key than STORYDESK_SOURCE_KEY; restore \
                 with the key they were sealed with"
                    .into(),
            ));
        }
        let sled = match &self.inner.engine {
            Engine::Sled(sled) => sled,
            Engine::Postgres(pg) => {
                // One transaction: all the records or none. PostgreSQL keeps no integrity
                // record of ours.
                let mut changes = Changes::default();
                let written = read_backup(open_input()?, |tree, k, v| {
                    let tree = match tree {
                        "s" if k == integrity::RECORD => return Ok(()),
                        "s" => Tree::Stories,
                        _ => Tree::Events,
                    };
                    changes
                        .tree_mut(tree)
                        .insert(k.to_vec(), Some(IVec::from(v)));
                    Ok(())
                })?;
                changes.stories.remove(super::keys::EVENTS_INDEXED);
                pg.write_all(changes)?;
                debug_assert_eq!(checked, written);
                return Ok(written);
            }
        };
        // No transaction stages anything while the records go in (the writer lock), and no
        // backup reads half of them (the gate).
        let writer = sled.durability.lock_staged();
        if !writer.is_idle() {
            return Err(RestoreError::NotEmpty);
        }
        let exclusive = sled
            .durability
            .gate
            .write()
            .unwrap_or_else(|e| e.into_inner());
        // Whether every claim has its expiry index entry is the backup's to say: one written
        // before the index existed holds claims without entries (the next purge indexes them).
        sled.stories
            .remove(super::keys::EVENTS_INDEXED)
            .map_err(|e| sled_error("clearing the events index mark", e))?;
        let written = read_backup(open_input()?, |tree, k, v| {
            let tree = match tree {
                // The backup's integrity record describes the store it came from (its
                // salt, its changes); this store's is recomputed below.
                "s" if k == integrity::RECORD => return Ok(()),
                "s" => &sled.stories,
                _ => &sled.events,
            };
            tree.insert(k, v)
                .map_err(|e| sled_error("writing a restored record", e))?;
            Ok(())
        })?;
        debug_assert_eq!(checked, written);
        self.recount_integrity()?;
        drop(exclusive);
        drop(writer);
        sled.durability
            .flush_durably()
            .map_err(|reason| StoreError::Flush { reason })?;
        Ok(written)
    }
}

impl Store {
    /// Writes the integrity record anew from every record the store holds, one change
    /// further than the last: for records written all at once outside transactions (a
    /// restore). Only while nothing else writes.
    pub(super) fn recount_integrity(&self) -> Result<(), StoreError> {
        let Engine::Sled(inner) = &self.inner.engine else {
            return Ok(());
        };
        let previous = inner
            .stories
            .get(integrity::RECORD)
            .map_err(|e| sled_error("reading the integrity record", e))?
            .map(|bytes| integrity::Tally::decode(&bytes))
            .transpose()?;
        let base = integrity::Tally {
            generation: previous.map_or(0, |t| t.generation),
            salt: inner.salt,
            digest: [0; 32],
            counts: Default::default(),
        };
        let mut tally = base.recount(&inner.stories, &inner.events)?;
        tally.generation = base.generation.saturating_add(1);
        inner
            .stories
            .insert(integrity::RECORD, tally.encode()?)
            .map_err(|e| sled_error("writing the integrity record", e))?;
        Ok(())
    }
}

/// Check a whole backup file without restoring it: the header, every line, the count and
/// the digest.
pub fn verify_backup<R: BufRead>(input: R) -> Result<BackupSummary, RestoreError> {
    read_backup(input, |_, _, _| Ok(()))
}

/// Why a backup could not be written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the backup failed.
    #[error("writing the backup: {0}")]
    Io(#[from] std::io::Error),
}

/// Read and check a backup, handing each record to `each`.
fn read_backup<R: BufRead>(
    input: R,
    mut each: impl FnMut(&str, Vec<u8>, Vec<u8>) -> Result<(), StoreError>,
) -> Result<BackupSummary, RestoreError> {
    let invalid = |why: String| RestoreError::Invalid(why);
    let mut lines = input.split(b'\n');
    let header = lines
        .next()
        .ok_or_else(|| invalid("the file is empty".into()))??;
    let header: Header = serde_json::from_slice(&header)
        .map_err(|_| invalid("the first line is not a storydesk backup header".into()))?;
    if header.storydesk_backup > FORMAT {
        return Err(invalid(format!(
            "backup format {} is newer than this storydesk reads; upgrade storydesk",
            header.storydesk_backup
        )));
    }
    if header.schema > SCHEMA_VERSION {
        return Err(invalid(format!(
            "the backup's store layout {} is newer than this storydesk reads; upgrade storydesk",
            header.schema
        )));
    }
    let mut digest = Fnv::new();
    let mut summary = BackupSummary {
        records: 0,
        bytes: 0,
    };
    for (n, line) in lines.enumerate() {
        let mut line = line?;
        let number = n + 2;
        if let Ok(end) = serde_json::from_slice::<End>(&line) {
            if !end.end || end.records != summary.records || end.digest != digest.hex() {
                return Err(invalid(format!(
                    "the record count or digest on line {number} does not match: the file is damaged"
                )));
            }
            return Ok(summary);
        }
        let record: Line = serde_json::from_slice(&line)
            .map_err(|_| invalid(format!("line {number} is not a backup record")))?;
        line.push(b'\n');
        digest.update(&line);
        let (k, v) = match (B64.decode(&record.k), B64.decode(&record.v)) {
            (Ok(k), Ok(v)) => (k, v),
            _ => return Err(invalid(format!("line {number} has damaged base64"))),
        };
        if record.t != "s" && record.t != "e" {
            return Err(invalid(format!("line {number} names an unknown tree")));
        }
        summary.records += 1;
        summary.bytes += (k.len() + v.len()) as u64;
        each(&record.t, k, v)?;
    }
    Err(invalid(
        "the file ends before its last line: it was cut short".into(),
    ))
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use crate::store::keys;

    use super::*;
    use crate::model::{
        ChannelKey, CitationStyle, Person, Platform, Revision, Section, Source, Story, StoryId,
    };
    use crate::store::{SourceKey, StoreOptions, TxError};

    fn story(id: StoryId) -> Story {
        Story {
            id,
            title: format!("story {}", id.0),
            home: ChannelKey {
                platform: Platform::Slack,
                team: "T1".into(),
                channel: "C1".into(),
            },
            created_by: Person::named("alice"),
            created_at: Timestamp(1),
            template: "news".into(),
            sections: vec![Section::new("body")],
            sources: Vec::new(),
            references: Vec::new(),
            style: CitationStyle::Apa,
            published: None,
            audit_len: 0,
            version: 1,
            timing: Default::default(),
        }
    }

    fn add_revision(store: &Store, id: StoryId) {
        store
            .transact(|tx| -> Result<(), TxError> {
                let mut s = tx.story(id)?.unwrap();
                let n = s.sections[0].revisions + 1;
                s.sections[0].revisions = n;
                tx.put_revision(&Revision {
                    story: id,
                    section: "body".into(),
                    number: n,
                    parent: None,
                    author: Person::named("bob"),
                    at: Timestamp(2),
                    text: format!("revision {n}"),
                    assisted: false,
                })?;
                tx.put_story(&s)
            })
            .unwrap();
    }

    fn filled(options: StoreOptions) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), options).unwrap();
        for _ in 0..3 {
            store
                .transact(|tx| -> Result<(), TxError> {
                    let id = tx.next_story_id()?;
                    tx.put_story(&story(id))?;
                    tx.put_source(&Source {
                        story: id,
                        number: 1,
                        label: "memo".into(),
                        added_by: Person::named("alice"),
                        at: Timestamp(3),
                        text: "the leaked memo".into(),
                    })?;
                    tx.put_anchor(&format!("board/{}", id.0), "1700000000.000100")?;
                    tx.claim_event(&format!("slack:Ev{}", id.0), Timestamp(4), 1_000)?;
                    Ok(())
                })
                .unwrap();
            add_revision(&store, StoryId(1));
        }
        (dir, store)
    }

    fn all_records(store: &Store) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        for tree in [&store.sled().stories, &store.sled().events] {
            for item in tree.iter() {
                let (k, v) = item.unwrap();
                // Each store has its own integrity record (salt, number of changes).
                if k != integrity::RECORD {
                    out.push((k.to_vec(), v.to_vec()));
                }
            }
        }
        out
    }

    fn backup_bytes(store: &Store) -> Vec<u8> {
        let mut out = Vec::new();
        store.backup(&mut out).unwrap();
        out
    }

    #[test]
    fn a_round_trip_loses_nothing() {
        let key = SourceKey::from_bytes([9; 32]);
        let options = StoreOptions {
            source_key: Some(key),
            ..StoreOptions::default()
        };
        let (_a, original) = filled(options.clone());
        let bytes = backup_bytes(&original);
        let b = tempfile::tempdir().unwrap();
        let restored = Store::open(b.path(), options.clone()).unwrap();
        let summary = restored.restore(|| Ok(Cursor::new(bytes.clone()))).unwrap();
        assert_eq!(all_records(&original), all_records(&restored));
        assert_eq!(summary.records as usize, all_records(&original).len() + 1);
        // The restored store's integrity record describes what it holds: it reopens.
        drop(restored);
        let restored = Store::open(b.path(), options).unwrap();
        assert!(matches!(
            restored.integrity(),
            crate::store::IntegrityCheck::Matched { .. }
        ));
        assert_eq!(
            restored.source(StoryId(2), 1).unwrap().unwrap().text,
            "the leaked memo"
        );
        assert_eq!(restored.revisions(StoryId(1), "body").unwrap().len(), 3);
        // Sealed sources stay sealed in the file.
        assert!(!String::from_utf8_lossy(&bytes).contains("leaked"));
        let decoded: String = bytes
            .split(|b| *b == b'\n')
            .filter_map(|l| serde_json::from_slice::<Line>(l).ok())
            .map(|l| String::from_utf8_lossy(&B64.decode(l.v).unwrap()).into_owned())
            .collect();
        assert!(!decoded.contains("leaked memo"));
    }

    #[test]
    fn a_damaged_or_short_file_writes_nothing() {
        let (_a, original) = filled(StoreOptions::default());
        let bytes = backup_bytes(&original);
        let text = String::from_utf8(bytes.clone()).unwrap();
        let cut = text.lines().take(4).collect::<Vec<_>>().join("\n");
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let victim = lines.len() / 2;
        lines.remove(victim);
        let dropped = lines.join("\n");
        for (bad, why) in [
            (cut, "cut short"),
            (dropped, "damaged"),
            ("hello\n".to_string(), "header"),
            (String::new(), "empty"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let target = Store::open(dir.path(), StoreOptions::default()).unwrap();
            let err = target
                .restore(|| Ok(Cursor::new(bad.clone().into_bytes())))
                .unwrap_err()
                .to_string();
            assert!(err.contains(why), "{why}: {err}");
            assert!(target.story_ids().unwrap().is_empty());
        }
    }

    #[test]
    fn a_backup_of_unindexed_claims_restores_unmarked_and_is_indexed_by_the_next_purge() {
        let (_a, original) = filled(StoreOptions::default());
        original
            .remember_event("slack:e1", crate::model::Timestamp(0), 100)
            .unwrap();
        // As a store written before the expiry index: no mark, no entries.
        original
            .sled()
            .stories
            .remove(keys::EVENTS_INDEXED)
            .unwrap();
        let entries: Vec<_> = original
            .sled()
            .events
            .scan_prefix(keys::EVENT_EXPIRY_PREFIX)
            .keys()
            .map(Result::unwrap)
            .collect();
        for k in entries {
            original.sled().events.remove(k).unwrap();
        }
        let bytes = backup_bytes(&original);
        let marked = |store: &Store| {
            store
                .sled()
                .stories
                .contains_key(keys::EVENTS_INDEXED)
                .unwrap()
        };
        let b = tempfile::tempdir().unwrap();
        let restored = Store::open(b.path(), StoreOptions::default()).unwrap();
        assert!(marked(&restored));
        restored.restore(|| Ok(Cursor::new(bytes.clone()))).unwrap();
        assert!(!marked(&restored));
        let purged = restored
            .purge_expired_events(crate::model::Timestamp(100))
            .unwrap();
        assert_eq!(purged, 1);
        assert!(marked(&restored));
    }

    #[test]
    fn restore_refuses_a_store_with_data() {
        let (_a, original) = filled(StoreOptions::default());
        let bytes = backup_bytes(&original);
        let (_b, busy) = filled(StoreOptions::default());
        let err = busy.restore(|| Ok(Cursor::new(bytes.clone()))).unwrap_err();
        assert!(matches!(err, RestoreError::NotEmpty), "{err}");
    }

    #[test]
    fn a_backup_taken_during_writes_sees_whole_transactions() {
        let (_a, store) = filled(StoreOptions::default());
        let writer = {
            let store = store.clone();
            std::thread::spawn(move || {
                for _ in 0..200 {
                    add_revision(&store, StoryId(2));
                }
            })
        };
        let mut snapshots = Vec::new();
        for _ in 0..5 {
            snapshots.push(backup_bytes(&store));
        }
        writer.join().unwrap();
        for bytes in snapshots {
            let dir = tempfile::tempdir().unwrap();
            let copy = Store::open(dir.path(), StoreOptions::default()).unwrap();
            copy.restore(|| Ok(Cursor::new(bytes.clone()))).unwrap();
            // The story's count and its revision records always agree.
            let story = copy.story(StoryId(2)).unwrap().unwrap();
            let revisions = copy.revisions(StoryId(2), "body").unwrap();
            assert_eq!(story.sections[0].revisions as usize, revisions.len());
        }
    }
}
