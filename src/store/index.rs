//! The source index: for each story, files beside the records that say which sources hold
//! which terms (fingerprints the checks compute from a source's digest), so that a run of
//! the checks looks terms up instead of reading every source's digest.
//!
//! # Layout
//!
//! `{data dir}/source-index/{story}/{seq}.seg`: immutable segments. A segment covers a set
//! of sources (each by its [`SourceStamp`]: number, when it was added, bytes and words, and
//! whether it is blank) and holds their entries, `(key, source number)` sorted, with a
//! bucket directory so that a key is found with one positioned read. A term held by
//! [`IndexedSource::facts`] only says "some source holds it": its entries carry no number
//! and are kept once per segment.
//!
//! Keys are the terms hashed with a key (SipHash-2-4) derived from the source key when
//! sources are sealed, so the files reveal no word of a source: the terms are hashes of
//! words, and a dictionary of words hashed without the key does not match them. Without a
//! source key the sources are in clear in the store anyway, and a fixed key is used.
//!
//! A source added makes a segment of its own; segments are merged (streamed, never loaded
//! whole) so that a story has a few. Writing goes through a temporary file renamed into
//! place; a merge removes its inputs after its output is in place, and opening takes the
//! segments newest first, leaving out (and removing) any that overlaps one taken, so a
//! crash between the two leaves nothing counted twice.
//!
//! The index is derived data: it is checked against the story's sources at every use (the
//! caller passes their stamps, and a lookup answers only when the index covers exactly
//! those), and a file that fails its checksum, or cannot be read, is removed with the rest
//! of the story's index, to be built again from the digests. Nothing here panics on what it
//! reads.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use crate::model::StoryId;

use super::seal::SourceKey;

/// The directory under the data directory.
pub(crate) const DIR: &str = "source-index";
const MAGIC: &[u8; 8] = b"SDSIDX01";
const FOOTER_MAGIC: &[u8; 8] = b"SDSIEND1";
/// The number written for an entry that names no source (a fact term).
const ANY: u32 = u32::MAX;
/// Bytes per entry: the key and the source number.
const ENTRY: usize = 12;
/// Entries per bucket aimed at.
const PER_BUCKET: u64 = 96;
/// A segment this small (in bytes of entries) is read whole by a lookup rather than a
/// bucket per key: one read instead of thousands.
const WHOLE_MAX: u64 = 8 << 20;
/// Segments a story keeps before the newest are merged whatever their sizes.
const MAX_SEGMENTS: usize = 4;

/// Which version of a source the index covers: the source's number and what the story
/// records of it (a source purged and another added under the same number differ in when
/// they were added).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceStamp {
    /// The source's number in the story.
    pub number: u32,
    /// When it was added (Unix milliseconds).
    pub at: i64,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its words.
    pub words: u64,
}

/// One source's terms, ready to be indexed.
#[derive(Debug, Clone, Default)]
pub struct IndexedSource {
    /// The source.
    pub stamp: Option<SourceStamp>,
    /// The source has no text to compare with (blank, or gone from the store).
    pub blank: bool,
    /// Terms looked up for which sources hold them.
    pub postings: Vec<u64>,
    /// Terms looked up for whether any source holds them.
    pub facts: Vec<u64>,
}

/// What a lookup found, when the index covers exactly the sources asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexAnswers {
    /// For each posting term asked, the numbers of the sources that hold it, ascending.
    pub postings: Vec<Vec<u32>>,
    /// For each fact term asked, whether a source holds it.
    pub facts: Vec<bool>,
    /// Every source covered is blank.
    pub all_blank: bool,
}

/// Why the index could not be read or written. The index is rebuilt from the digests
/// after any of these; none is a reason to fail a user's request.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// A file could not be read or written.
    #[error("source index {path}: {error}")]
    Io {
        /// The file or directory.
        path: String,
        /// What failed.
        error: std::io::Error,
    },
    /// A file is not what it should be.
    #[error("source index {path} is damaged: {why}")]
    Damaged {
        /// The file.
        path: String,
        /// What is wrong with it.
        why: &'static str,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> IndexError + '_ {
    move |error| IndexError::Io {
        path: path.display().to_string(),
        error,
    }
}

fn damaged(path: &Path, why: &'static str) -> IndexError {
    IndexError::Damaged {
        path: path.display().to_string(),
        why,
    }
}

/// The source indexes of a data directory.
pub(crate) struct Indexes {
    /// `{data dir}/source-index`.
    root: PathBuf,
    /// The keyed hash's key.
    key: (u64, u64),
    /// Lookups share it; changes hold it alone.
    lock: RwLock<()>,
    /// Segments with at most this many bytes of entries are read whole by a lookup.
    whole_max: u64,
    /// Segments whose checksum was verified by this process: (path, length, modified).
    verified: Mutex<HashSet<(PathBuf, u64, std::time::SystemTime)>>,
}

/// A segment's header, as read.
#[derive(Debug, Clone)]
struct Header {
    /// The term scheme it was written for.
    tag: u64,
    /// The keyed hash of a constant, to tell a file written under another key.
    key_check: u64,
    /// Bucket bits.
    bits: u32,
    /// Entries.
    count: u64,
    /// The sources it covers, with whether each is blank.
    covers: Vec<(SourceStamp, bool)>,
    /// Where the entries start.
    entries_at: u64,
}

/// A segment in use.
#[derive(Debug, Clone)]
struct Segment {
    seq: u64,
    path: PathBuf,
    header: Header,
}

impl Indexes {
    /// The indexes under `dir`, keyed with a key derived from `source_key` (when sources
    /// are sealed).
    pub(crate) fn new(dir: &Path, source_key: Option<&SourceKey>) -> Self {
        let key = match source_key {
            Some(k) => {
                let d = k.derive(b"storydesk source index v1");
                (
                    u64::from_le_bytes(d[..8].try_into().unwrap_or([0; 8])),
                    u64::from_le_bytes(d[8..16].try_into().unwrap_or([0; 8])),
                )
            }
            None => (0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210),
        };
        Indexes {
            root: dir.join(DIR),
            key,
            lock: RwLock::new(()),
            whole_max: WHOLE_MAX,
            verified: Mutex::new(HashSet::new()),
        }
    }

    /// The same, reading segments whole only up to `bytes` of entries.
    #[allow(dead_code)]
    pub(crate) fn reading_whole_up_to(mut self, bytes: u64) -> Self {
        self.whole_max = bytes;
        self
    }

    fn story_dir(&self, story: StoryId) -> PathBuf {
        self.root.join(story.0.to_string())
    }

    fn keyed(&self, term: u64) -> u64 {
        siphash(self.key.0, self.key.1, term)
    }

    fn key_check(&self) -> u64 {
        self.keyed(0x7374_6f72_7964_6573)
    }

    /// The sources the story's index covers for scheme `tag` (a damaged or foreign index
    /// is removed and covers none).
    pub(crate) fn covered(
        &self,
        story: StoryId,
        tag: u64,
    ) -> Result<Vec<(SourceStamp, bool)>, IndexError> {
        let _w = self.lock.write().unwrap_or_else(|e| e.into_inner());
        let segments = self.load_or_clear(story, tag)?;
        Ok(segments
            .iter()
            .flat_map(|s| s.header.covers.iter().copied())
            .collect())
    }

    /// Remove the story's index.
    pub(crate) fn clear(&self, story: StoryId) -> Result<(), IndexError> {
        let _w = self.lock.write().unwrap_or_else(|e| e.into_inner());
        self.clear_locked(story)
    }

    fn clear_locked(&self, story: StoryId) -> Result<(), IndexError> {
        let dir = self.story_dir(story);
        match fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(&dir)(e)),
        }
    }

    /// Add sources to the story's index (those it already covers are left as they are),
    /// then merge segments as needed.
    pub(crate) fn add(
        &self,
        story: StoryId,
        tag: u64,
        sources: Vec<IndexedSource>,
    ) -> Result<(), IndexError> {
        let _w = self.lock.write().unwrap_or_else(|e| e.into_inner());
        let segments = self.load_or_clear(story, tag)?;
        let covered: HashSet<u32> = segments
            .iter()
            .flat_map(|s| s.header.covers.iter().map(|(c, _)| c.number))
            .collect();
        let mut fresh: Vec<IndexedSource> = Vec::new();
        for s in sources {
            let Some(stamp) = s.stamp else { continue };
            if covered.contains(&stamp.number) || fresh.iter().any(|f| f.stamp == Some(stamp)) {
                continue;
            }
            fresh.push(s);
        }
        if fresh.is_empty() {
            return Ok(());
        }
        let dir = self.story_dir(story);
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let seq = segments.iter().map(|s| s.seq).max().unwrap_or(0) + 1;
        let mut entries: Vec<(u64, u32)> = Vec::new();
        let mut covers = Vec::new();
        for s in &fresh {
            let Some(stamp) = s.stamp else { continue };
            covers.push((stamp, s.blank));
            entries.extend(s.postings.iter().map(|&t| (self.keyed(t), stamp.number)));
            entries.extend(s.facts.iter().map(|&t| (self.keyed(t), ANY)));
        }
        entries.sort_unstable();
        entries.dedup();
        let count = entries.len() as u64;
        let path = self.write_segment(
            &dir,
            seq,
            tag,
            &covers,
            count,
            &mut entries.into_iter().map(Ok),
        )?;
        let mut segments = segments;
        segments.push(self.read_header_checked(seq, path)?);
        self.compact(&dir, tag, segments)
    }

    /// Merge the newest segments while the one before is not much bigger, or while there
    /// are too many.
    fn compact(&self, dir: &Path, tag: u64, mut segments: Vec<Segment>) -> Result<(), IndexError> {
        segments.sort_by_key(|s| s.seq);
        while segments.len() >= 2 {
            let n = segments.len();
            let (older, newer) = (&segments[n - 2], &segments[n - 1]);
            if !(n > MAX_SEGMENTS || older.header.count <= 3 * newer.header.count.max(1)) {
                break;
            }
            let merged = self.merge(dir, tag, older, newer)?;
            let (a, b) = (older.path.clone(), newer.path.clone());
            segments.truncate(n - 2);
            segments.push(merged);
            for p in [a, b] {
                fs::remove_file(&p).map_err(io(&p))?;
            }
        }
        Ok(())
    }

    /// One segment with the entries of both (each read as a stream).
    fn merge(&self, dir: &Path, tag: u64, a: &Segment, b: &Segment) -> Result<Segment, IndexError> {
        let mut covers = a.header.covers.clone();
        covers.extend(b.header.covers.iter().copied());
        let seq = a.seq.max(b.seq) + 1;
        let count = a.header.count + b.header.count;
        let mut left = EntryStream::open(a)?.peekable();
        let mut right = EntryStream::open(b)?.peekable();
        let mut last: Option<(u64, u32)> = None;
        let mut merged = std::iter::from_fn(|| loop {
            let next = match (left.peek(), right.peek()) {
                (None, None) => None,
                (Some(Err(_)), _) | (Some(Ok(_)), None) => left.next(),
                (_, Some(Err(_))) | (None, Some(Ok(_))) => right.next(),
                (Some(Ok(x)), Some(Ok(y))) => {
                    if x <= y {
                        left.next()
                    } else {
                        right.next()
                    }
                }
            };
            match next {
                Some(Ok(e)) if Some(e) == last => continue,
                Some(Ok(e)) => {
                    last = Some(e);
                    return Some(Ok(e));
                }
                other => return other,
            }
        });
        let path = self.write_segment(dir, seq, tag, &covers, count, &mut merged)?;
        self.read_header_checked(seq, path)
    }

    /// Write a segment of `entries` (sorted, at most `count` of them) as `{seq}.seg`.
    fn write_segment(
        &self,
        dir: &Path,
        seq: u64,
        tag: u64,
        covers: &[(SourceStamp, bool)],
        count: u64,
        entries: &mut dyn Iterator<Item = Result<(u64, u32), IndexError>>,
    ) -> Result<PathBuf, IndexError> {
        let bits = bucket_bits(count);
        let path = dir.join(format!("{seq}.seg"));
        let tmp = dir.join(format!("{seq}.tmp"));
        let file = File::create(&tmp).map_err(io(&tmp))?;
        let mut out = Summed::new(BufWriter::with_capacity(1 << 16, file));
        let w = |out: &mut Summed<BufWriter<File>>, bytes: &[u8]| {
            out.write_all(bytes).map_err(io(&tmp))
        };
        w(&mut out, MAGIC)?;
        w(&mut out, &tag.to_le_bytes())?;
        w(&mut out, &self.key_check().to_le_bytes())?;
        w(&mut out, &bits.to_le_bytes())?;
        w(&mut out, &(covers.len() as u32).to_le_bytes())?;
        for (c, blank) in covers {
            w(&mut out, &c.number.to_le_bytes())?;
            w(&mut out, &c.at.to_le_bytes())?;
            w(&mut out, &c.bytes.to_le_bytes())?;
            w(&mut out, &c.words.to_le_bytes())?;
            w(&mut out, &[u8::from(*blank)])?;
        }
        // Entries, counting each bucket's as they go by (they come sorted by key).
        let buckets = 1usize << bits;
        let mut starts: Vec<u64> = vec![0; buckets + 1];
        let mut written = 0u64;
        let mut last: Option<(u64, u32)> = None;
        for e in entries {
            let (key, source) = e?;
            if last.is_some_and(|l| l >= (key, source)) || written >= count {
                return Err(damaged(&tmp, "entries out of order"));
            }
            last = Some((key, source));
            let b = bucket(key, bits);
            starts[b + 1] += 1;
            let mut buf = [0u8; ENTRY];
            buf[..8].copy_from_slice(&key.to_le_bytes());
            buf[8..].copy_from_slice(&source.to_le_bytes());
            w(&mut out, &buf)?;
            written += 1;
        }
        for i in 0..buckets {
            starts[i + 1] += starts[i];
        }
        // The directory: where each bucket's entries start (as entry numbers).
        for s in &starts {
            w(&mut out, &s.to_le_bytes())?;
        }
        w(&mut out, &written.to_le_bytes())?;
        let sum = out.sum();
        let mut inner = out.into_inner();
        inner.write_all(&sum.to_le_bytes()).map_err(io(&tmp))?;
        inner.write_all(FOOTER_MAGIC).map_err(io(&tmp))?;
        let file = inner.into_inner().map_err(|e| io(&tmp)(e.into_error()))?;
        drop(file);
        fs::rename(&tmp, &path).map_err(io(&path))?;
        Ok(path)
    }

    /// The story's segments for scheme `tag`; anything unreadable, foreign or stale
    /// removes the story's index (which then covers no source).
    fn load_or_clear(&self, story: StoryId, tag: u64) -> Result<Vec<Segment>, IndexError> {
        match self.load(story, tag) {
            Ok(Some(s)) => Ok(s),
            Ok(None) => {
                self.clear_locked(story)?;
                Ok(Vec::new())
            }
            Err(e) => {
                tracing::warn!(error = %e, story = story.0, "the source index is rebuilt");
                self.clear_locked(story)?;
                Ok(Vec::new())
            }
        }
    }

    /// The segments in use, oldest first, with what a crash or a finished merge left behind
    /// removed; `None` when the index was written for another scheme or key.
    fn load(&self, story: StoryId, tag: u64) -> Result<Option<Vec<Segment>>, IndexError> {
        let mut taken = self.segments(story, tag, true)?;
        if let Some(t) = taken.as_mut() {
            t.reverse();
        }
        Ok(taken)
    }

    /// The segments that make the story's index for `tag`, newest first: `None` when one
    /// was written for another scheme or key. With `tidy`, a temporary file left by a crash
    /// and a segment superseded by a merge that finished are removed; without, only read
    /// past (a lookup only reads).
    fn segments(
        &self,
        story: StoryId,
        tag: u64,
        tidy: bool,
    ) -> Result<Option<Vec<Segment>>, IndexError> {
        let dir = self.story_dir(story);
        let listing = match fs::read_dir(&dir) {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Some(Vec::new())),
            Err(e) => return Err(io(&dir)(e)),
        };
        let mut found: BTreeMap<u64, PathBuf> = BTreeMap::new();
        for entry in listing {
            let entry = entry.map_err(io(&dir))?;
            let path = entry.path();
            let seq = entry
                .file_name()
                .to_string_lossy()
                .strip_suffix(".seg")
                .and_then(|s| s.parse::<u64>().ok());
            match seq {
                Some(seq) => {
                    found.insert(seq, path);
                }
                // A temporary file left by a crash.
                None if tidy => fs::remove_file(&path).map_err(io(&path))?,
                None => {}
            }
        }
        let mut taken: Vec<Segment> = Vec::new();
        let mut numbers: HashSet<u32> = HashSet::new();
        for (seq, path) in found.into_iter().rev() {
            let segment = self.read_header_checked(seq, path)?;
            if segment.header.tag != tag || segment.header.key_check != self.key_check() {
                return Ok(None);
            }
            if segment
                .header
                .covers
                .iter()
                .any(|(c, _)| numbers.contains(&c.number))
            {
                // Superseded by a merge that finished.
                if tidy {
                    fs::remove_file(&segment.path).map_err(io(&segment.path))?;
                }
                continue;
            }
            numbers.extend(segment.header.covers.iter().map(|(c, _)| c.number));
            taken.push(segment);
        }
        Ok(Some(taken))
    }

    /// Read a segment's header, and its checksum once per process.
    fn read_header_checked(&self, seq: u64, path: PathBuf) -> Result<Segment, IndexError> {
        let file = File::open(&path).map_err(io(&path))?;
        let meta = file.metadata().map_err(io(&path))?;
        let len = meta.len();
        let modified = meta.modified().map_err(io(&path))?;
        let id = (path.clone(), len, modified);
        let known = self
            .verified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&id);
        if !known {
            verify_sum(&file, len, &path)?;
            self.verified
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id);
        }
        let header = read_header(&file, len, &path)?;
        Ok(Segment { seq, path, header })
    }

    /// Look terms up in the story's index, if it covers exactly `expected` (else `None`).
    pub(crate) fn look_up(
        &self,
        story: StoryId,
        tag: u64,
        expected: &[SourceStamp],
        postings: &[u64],
        facts: &[u64],
    ) -> Result<Option<IndexAnswers>, IndexError> {
        let _r = self.lock.read().unwrap_or_else(|e| e.into_inner());
        let Some(segments) = self.segments(story, tag, false)? else {
            return Ok(None);
        };
        let mut covered: Vec<SourceStamp> = segments
            .iter()
            .flat_map(|s| s.header.covers.iter().map(|(c, _)| *c))
            .collect();
        covered.sort_unstable();
        let mut wanted = expected.to_vec();
        wanted.sort_unstable();
        if covered != wanted {
            return Ok(None);
        }
        let all_blank = segments
            .iter()
            .all(|s| s.header.covers.iter().all(|(_, blank)| *blank));
        // Every key asked, once, with where its answer goes.
        let mut keys: Vec<(u64, usize)> = Vec::with_capacity(postings.len() + facts.len());
        keys.extend(
            postings
                .iter()
                .enumerate()
                .map(|(i, &t)| (self.keyed(t), i)),
        );
        keys.extend(
            facts
                .iter()
                .enumerate()
                .map(|(i, &t)| (self.keyed(t), postings.len() + i)),
        );
        keys.sort_unstable();
        let mut held: Vec<Vec<u32>> = vec![Vec::new(); postings.len() + facts.len()];
        for s in &segments {
            let file = File::open(&s.path).map_err(io(&s.path))?;
            // A small segment (the newest sources) is read in one go; a big one, a bucket
            // per key.
            let whole = s.header.count * ENTRY as u64 <= self.whole_max;
            let directory = if whole {
                Vec::new()
            } else {
                read_directory(&file, &s.header, &s.path)?
            };
            // The entries searched: the bucket last read, or the whole segment.
            let mut raw: Vec<u8> = Vec::new();
            if whole {
                raw.resize((s.header.count as usize) * ENTRY, 0);
                file.read_exact_at(&mut raw, s.header.entries_at)
                    .map_err(io(&s.path))?;
            }
            let mut cached = usize::MAX;
            let mut i = 0;
            while i < keys.len() {
                let key = keys[i].0;
                let b = bucket(key, s.header.bits);
                if !whole && cached != b {
                    read_bucket(&file, &s.header, &directory, b, &s.path, &mut raw)?;
                    cached = b;
                }
                let entries = raw.len() / ENTRY;
                let entry = |e: usize| decode_entry(&raw[e * ENTRY..(e + 1) * ENTRY]);
                let mut lo = 0;
                let mut hi = entries;
                while lo < hi {
                    let mid = (lo + hi) / 2;
                    if entry(mid).0 < key {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                let mut e = lo;
                while e < entries && entry(e).0 == key {
                    let source = entry(e).1;
                    let mut j = i;
                    while j < keys.len() && keys[j].0 == key {
                        held[keys[j].1].push(source);
                        j += 1;
                    }
                    e += 1;
                }
                while i < keys.len() && keys[i].0 == key {
                    i += 1;
                }
            }
        }
        let facts_held = held[postings.len()..]
            .iter()
            .map(|h| !h.is_empty())
            .collect();
        held.truncate(postings.len());
        for h in &mut held {
            h.retain(|&n| n != ANY);
            h.sort_unstable();
            h.dedup();
        }
        Ok(Some(IndexAnswers {
            postings: held,
            facts: facts_held,
            all_blank,
        }))
    }

    /// The bytes the story's index takes on disk.
    pub(crate) fn size(&self, story: StoryId) -> u64 {
        let _r = self.lock.read().unwrap_or_else(|e| e.into_inner());
        fs::read_dir(self.story_dir(story))
            .map(|l| {
                l.filter_map(Result::ok)
                    .filter_map(|e| e.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }
}

/// Bits of bucket number for `count` entries.
fn bucket_bits(count: u64) -> u32 {
    let buckets = (count / PER_BUCKET).max(1);
    (64 - buckets.leading_zeros()).min(24)
}

fn bucket(key: u64, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        (key >> (64 - bits)) as usize
    }
}

/// The footer: the entry count, the checksum of everything before it, the magic.
const FOOTER: u64 = 24;

fn directory_bytes(h: &Header) -> u64 {
    ((1u64 << h.bits) + 1) * 8
}

fn read_header(file: &File, len: u64, path: &Path) -> Result<Header, IndexError> {
    let mut fixed = [0u8; 32];
    file.read_exact_at(&mut fixed, 0).map_err(io(path))?;
    if &fixed[..8] != MAGIC {
        return Err(damaged(path, "not a source index segment"));
    }
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let u64_at = |b: &[u8], i: usize| {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[i..i + 8]);
        u64::from_le_bytes(a)
    };
    let tag = u64_at(&fixed, 8);
    let key_check = u64_at(&fixed, 16);
    let bits = u32_at(&fixed, 24);
    let n = u32_at(&fixed, 28) as u64;
    if bits > 24 || n > 1 << 20 {
        return Err(damaged(path, "impossible sizes"));
    }
    const COVER: u64 = 4 + 8 + 8 + 8 + 1;
    if 32 + n * COVER + FOOTER > len {
        return Err(damaged(path, "shorter than its header says"));
    }
    let mut raw = vec![0u8; (n * COVER) as usize];
    file.read_exact_at(&mut raw, 32).map_err(io(path))?;
    let covers = raw
        .chunks_exact(COVER as usize)
        .map(|c| {
            (
                SourceStamp {
                    number: u32_at(c, 0),
                    at: u64_at(c, 4) as i64,
                    bytes: u64_at(c, 12),
                    words: u64_at(c, 20),
                },
                c[28] != 0,
            )
        })
        .collect();
    let entries_at = 32 + n * COVER;
    let mut tail = [0u8; 8];
    file.read_exact_at(&mut tail, len - FOOTER)
        .map_err(io(path))?;
    let count = u64::from_le_bytes(tail);
    let h = Header {
        tag,
        key_check,
        bits,
        count,
        covers,
        entries_at,
    };
    let expected = count
        .checked_mul(ENTRY as u64)
        .and_then(|e| e.checked_add(entries_at + directory_bytes(&h) + FOOTER));
    if expected != Some(len) {
        return Err(damaged(path, "its sizes do not add up"));
    }
    Ok(h)
}

/// The whole file's checksum against its footer.
fn verify_sum(file: &File, len: u64, path: &Path) -> Result<(), IndexError> {
    if len < FOOTER + 32 {
        return Err(damaged(path, "too short"));
    }
    let body = len - 16;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut sum = Summed::new(std::io::sink());
    let mut left = body;
    let mut buf = vec![0u8; 1 << 16];
    while left > 0 {
        let n = (left as usize).min(buf.len());
        reader.read_exact(&mut buf[..n]).map_err(io(path))?;
        sum.write_all(&buf[..n]).map_err(io(path))?;
        left -= n as u64;
    }
    let mut tail = [0u8; 16];
    file.read_exact_at(&mut tail, body).map_err(io(path))?;
    let mut stored = [0u8; 8];
    stored.copy_from_slice(&tail[..8]);
    if u64::from_le_bytes(stored) != sum.sum() || &tail[8..] != FOOTER_MAGIC {
        return Err(damaged(path, "its checksum does not match"));
    }
    Ok(())
}

fn read_directory(file: &File, h: &Header, path: &Path) -> Result<Vec<u64>, IndexError> {
    let at = h.entries_at + h.count * ENTRY as u64;
    let mut raw = vec![0u8; directory_bytes(h) as usize];
    file.read_exact_at(&mut raw, at).map_err(io(path))?;
    let dir: Vec<u64> = raw
        .chunks_exact(8)
        .map(|c| {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            u64::from_le_bytes(a)
        })
        .collect();
    if dir.windows(2).any(|w| w[0] > w[1]) || dir.last().copied() != Some(h.count) {
        return Err(damaged(path, "its directory is out of order"));
    }
    Ok(dir)
}

/// Read bucket `b`'s entries, as stored, into `raw`.
fn read_bucket(
    file: &File,
    h: &Header,
    dir: &[u64],
    b: usize,
    path: &Path,
    raw: &mut Vec<u8>,
) -> Result<(), IndexError> {
    let (Some(&from), Some(&to)) = (dir.get(b), dir.get(b + 1)) else {
        return Err(damaged(path, "a bucket outside its directory"));
    };
    raw.clear();
    raw.resize(((to - from) as usize) * ENTRY, 0);
    file.read_exact_at(raw, h.entries_at + from * ENTRY as u64)
        .map_err(io(path))
}

fn decode_entry(c: &[u8]) -> (u64, u32) {
    let mut k = [0u8; 8];
    k.copy_from_slice(&c[..8]);
    let mut s = [0u8; 4];
    s.copy_from_slice(&c[8..12]);
    (u64::from_le_bytes(k), u32::from_le_bytes(s))
}

/// A segment's entries, read in order through a buffer.
struct EntryStream {
    reader: BufReader<File>,
    left: u64,
    path: PathBuf,
}

impl EntryStream {
    fn open(s: &Segment) -> Result<Self, IndexError> {
        use std::io::Seek;
        let mut file = File::open(&s.path).map_err(io(&s.path))?;
        file.seek(std::io::SeekFrom::Start(s.header.entries_at))
            .map_err(io(&s.path))?;
        Ok(EntryStream {
            reader: BufReader::with_capacity(1 << 16, file),
            left: s.header.count,
            path: s.path.clone(),
        })
    }
}

impl Iterator for EntryStream {
    type Item = Result<(u64, u32), IndexError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let mut buf = [0u8; ENTRY];
        Some(match self.reader.read_exact(&mut buf) {
            Ok(()) => Ok(decode_entry(&buf)),
            Err(e) => {
                self.left = 0;
                Err(io(&self.path)(e))
            }
        })
    }
}

/// A writer that keeps a checksum of what goes through it (not a cryptographic one: it
/// tells damage, the keyed terms are what keep the content unreadable).
struct Summed<W> {
    inner: W,
    sum: u64,
    /// Bytes not yet folded in (fewer than 8).
    pending: [u8; 8],
    filled: usize,
    len: u64,
}

impl<W: Write> Summed<W> {
    fn new(inner: W) -> Self {
        Summed {
            inner,
            sum: 0x243f_6a88_85a3_08d3,
            pending: [0; 8],
            filled: 0,
            len: 0,
        }
    }

    fn fold(&mut self, word: u64) {
        self.sum = (self.sum ^ word)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }

    fn sum(&self) -> u64 {
        let mut s = Summed {
            inner: std::io::sink(),
            sum: self.sum,
            pending: self.pending,
            filled: self.filled,
            len: self.len,
        };
        s.pending[s.filled..].fill(0);
        let last = u64::from_le_bytes(s.pending);
        s.fold(last);
        s.fold(s.len);
        s.sum
    }

    fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for Summed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.len += n as u64;
        let mut rest = &buf[..n];
        while !rest.is_empty() {
            let take = (8 - self.filled).min(rest.len());
            self.pending[self.filled..self.filled + take].copy_from_slice(&rest[..take]);
            self.filled += take;
            rest = &rest[take..];
            if self.filled == 8 {
                let w = u64::from_le_bytes(self.pending);
                self.fold(w);
                self.filled = 0;
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// SipHash-2-4 of one 64-bit word under the key `(k0, k1)`.
fn siphash(k0: u64, k1: u64, m: u64) -> u64 {
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    fn round(v: &mut [u64; 4]) {
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }
    v[3] ^= m;
    round(&mut v);
    round(&mut v);
    v[0] ^= m;
    let b = 8u64 << 56;
    v[3] ^= b;
    round(&mut v);
    round(&mut v);
    v[0] ^= b;
    v[2] ^= 0xff;
    for _ in 0..4 {
        round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(number: u32) -> SourceStamp {
        SourceStamp {
            number,
            at: 1_000 + i64::from(number),
            bytes: 10,
            words: 2,
        }
    }

    fn source(number: u32, postings: &[u64], facts: &[u64]) -> IndexedSource {
        IndexedSource {
            stamp: Some(stamp(number)),
            blank: false,
            postings: postings.to_vec(),
            facts: facts.to_vec(),
        }
    }

    #[test]
    fn siphash_matches_the_reference_vector() {
        // The reference implementation's key 00 01 … 0f and message 00 01 … 07.
        let k0 = u64::from_le_bytes([0, 1, 2, 3, 4, 5, 6, 7]);
        let k1 = u64::from_le_bytes([8, 9, 10, 11, 12, 13, 14, 15]);
        let m = u64::from_le_bytes([0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(siphash(k0, k1, m), 0x93f5_f579_9a93_2462);
    }

    #[test]
    fn sources_added_one_at_a_time_are_found_and_merged() {
        // Segments read whole, and read a bucket per key.
        for whole in [WHOLE_MAX, 0] {
            added_one_at_a_time(whole);
        }
    }

    fn added_one_at_a_time(whole: u64) {
        let dir = tempfile::tempdir().unwrap();
        let ix = Indexes::new(dir.path(), None).reading_whole_up_to(whole);
        let story = StoryId(3);
        let mut expected = Vec::new();
        for n in 1..=20u32 {
            let postings: Vec<u64> = (0..500).map(|i| u64::from(n % 5) * 1_000 + i).collect();
            ix.add(
                story,
                7,
                vec![source(n, &postings, &[u64::from(n) + 50_000, 99])],
            )
            .unwrap();
            expected.push(stamp(n));
        }
        let segs = fs::read_dir(ix.story_dir(story)).unwrap().count();
        assert!(segs <= MAX_SEGMENTS, "{segs} segments");
        let a = ix
            .look_up(story, 7, &expected, &[3_004, 77_777], &[50_020, 50_021, 99])
            .unwrap()
            .unwrap();
        assert_eq!(a.postings[0], vec![3, 8, 13, 18]);
        assert!(a.postings[1].is_empty());
        assert_eq!(a.facts, vec![true, false, true]);
        assert!(!a.all_blank);
        // Another set of sources, or another scheme: no answer.
        assert!(ix
            .look_up(story, 7, &expected[1..], &[1], &[])
            .unwrap()
            .is_none());
        assert!(ix
            .look_up(story, 8, &expected, &[1], &[])
            .unwrap()
            .is_none());
        // The index survives the process: a new handle reads the same.
        let again = Indexes::new(dir.path(), None).reading_whole_up_to(whole);
        let b = again
            .look_up(story, 7, &expected, &[3_004], &[50_020])
            .unwrap()
            .unwrap();
        assert_eq!(b.postings[0], vec![3, 8, 13, 18]);
    }

    /// The story's one segment file.
    fn only_segment(ix: &Indexes, story: StoryId) -> PathBuf {
        let mut segments = fs::read_dir(ix.story_dir(story)).unwrap();
        let seg = segments.next().unwrap().unwrap().path();
        assert!(segments.next().is_none(), "more than one segment");
        seg
    }

    #[test]
    fn a_damaged_file_is_removed_and_covers_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let ix = Indexes::new(dir.path(), None);
        let story = StoryId(1);
        ix.add(story, 1, vec![source(1, &[5, 6, 7], &[8])]).unwrap();
        let seg = only_segment(&ix, story);
        let mut bytes = fs::read(&seg).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x40;
        fs::write(&seg, &bytes).unwrap();
        // A fresh process (the damage is read, not remembered as verified).
        let ix = Indexes::new(dir.path(), None);
        assert_eq!(ix.covered(story, 1).unwrap(), vec![]);
        assert!(!seg.exists());
        // Cut short, or garbage: the same.
        ix.add(story, 1, vec![source(1, &[5], &[])]).unwrap();
        let seg = only_segment(&ix, story);
        fs::write(&seg, b"SDSIDX01 and then nothing much").unwrap();
        let ix = Indexes::new(dir.path(), None);
        assert!(ix.look_up(story, 1, &[stamp(1)], &[5], &[]).is_err());
        assert_eq!(ix.covered(story, 1).unwrap(), vec![]);
    }

    #[test]
    fn another_key_reads_as_no_index() {
        let dir = tempfile::tempdir().unwrap();
        let a = Indexes::new(dir.path(), Some(&SourceKey::from_bytes([1; 32])));
        a.add(StoryId(1), 1, vec![source(1, &[5], &[6])]).unwrap();
        let b = Indexes::new(dir.path(), Some(&SourceKey::from_bytes([2; 32])));
        assert!(b
            .look_up(StoryId(1), 1, &[stamp(1)], &[5], &[6])
            .unwrap()
            .is_none());
        assert_eq!(b.covered(StoryId(1), 1).unwrap(), vec![]);
    }

    #[test]
    fn a_merge_cut_short_counts_nothing_twice() {
        let dir = tempfile::tempdir().unwrap();
        let ix = Indexes::new(dir.path(), None);
        let story = StoryId(2);
        ix.add(story, 1, vec![source(1, &[10], &[])]).unwrap();
        ix.add(story, 1, vec![source(2, &[10], &[])]).unwrap();
        // Left over from a crash: a segment that a finished merge superseded, and a
        // temporary file.
        let d = ix.story_dir(story);
        let kept = fs::read_dir(&d).unwrap().next().unwrap().unwrap().path();
        let bytes = fs::read(&kept).unwrap();
        fs::write(d.join("0.seg"), &bytes).unwrap();
        fs::write(d.join("77.tmp"), b"partial").unwrap();
        let a = ix
            .look_up(story, 1, &[stamp(1), stamp(2)], &[10], &[])
            .unwrap()
            .unwrap();
        assert_eq!(a.postings[0], vec![1, 2]);
        assert_eq!(ix.covered(story, 1).unwrap().len(), 2);
        assert!(!d.join("77.tmp").exists());
    }
}
