//! Source protection: the runs of words an article shares word for word with a source.
//!
//! Leaked copies are often fingerprinted: each recipient's copy differs a little in wording,
//! spacing or invisible characters. A long verbatim passage in the article can therefore
//! identify who leaked it, whatever its spacing, case or punctuation.
//!
//! Both texts are cut into words the same way: a word is a run of letters, digits and
//! combining marks; zero-width and other invisible characters inside a word are dropped
//! (they neither end a word nor count in it); every CJK ideograph or kana is a word of its
//! own. Each word is brought to Unicode NFKC and lowercase and hashed to 64 bits. Spacing,
//! line breaks, punctuation, case, NFC/NFD and compatibility forms make no difference.
//!
//! The search is linear in the length of the texts. Windows of the sources' words are put
//! in a hash table by a polynomial rolling hash (a sample of them: see [`SourceIndex`]);
//! the article's windows are rolled over the same way and looked up. A hit is confirmed
//! word by word (never trusted on the hash alone), extended as far as the texts agree, and
//! reported when it is at least `n` words long; the scan then resumes at the first window
//! that reaches past the reported passage. Of several places in the sources where a window
//! occurs, at most [`MAX_CANDIDATES`] are tried, so highly repetitive sources cannot make it
//! quadratic.
//!
//! [`VerbatimScan`] finds the same passages with the sources shown one at a time as their
//! words' hashes (stored digests), indexing the article's windows instead of the sources'.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// How many places in the sources a window is tried at, at most.
pub const MAX_CANDIDATES: usize = 64;

/// One word of a text: its normalised hash and where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word {
    /// 64-bit hash of the word in NFKC, lowercase, without invisible characters.
    pub hash: u64,
    /// Byte offset of its first character in the text.
    pub start: usize,
    /// Byte offset just after its last character.
    pub end: usize,
}

/// Characters that are not there as far as words go: zero-width characters, joiners,
/// the soft hyphen, the byte order mark, bidi controls and tag characters.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{2060}'..='\u{2064}'
            | '\u{FEFF}'
            | '\u{180E}'
            | '\u{00AD}'
            | '\u{061C}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// Scripts written without spaces, where each character is a word of its own.
fn is_ideograph(c: char) -> bool {
    matches!(
        c,
        '\u{3040}'..='\u{30FF}'
            | '\u{31F0}'..='\u{31FF}'
            | '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FF66}'..='\u{FF9F}'
            | '\u{20000}'..='\u{3FFFF}'
    )
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// The hash of a word's normalised bytes, eight bytes at a time, finished with a mixer
/// so that every bit of the result depends on every byte. With `fold_ascii`, ASCII letters
/// and digits are lowercased on the way (setting bit 0x20 lowercases a letter and leaves a
/// digit as it is), so a word of ASCII letters and digits needs no copy.
fn hash_word(bytes: &[u8], fold_ascii: bool) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let fold = if fold_ascii {
        0x2020_2020_2020_2020u64
    } else {
        0
    };
    let mut h = 0x243f_6a88_85a3_08d3u64 ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let v = u64::from_le_bytes(c.try_into().expect("eight bytes")) | fold;
        h = (h ^ v).wrapping_mul(K).rotate_left(29);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        let mask = fold & (u64::MAX >> (64 - 8 * rest.len()));
        let v = u64::from_le_bytes(buf) | mask;
        h = (h ^ v).wrapping_mul(K).rotate_left(29);
    }
    mix(h)
}

/// The splitmix64 finaliser.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The words of `text`, in order (see the module documentation for what a word is).
pub fn words(text: &str) -> Vec<Word> {
    words_up_to(text, usize::MAX)
}

/// The first `limit` words of `text` (all of them when it has fewer): [`words`] without
/// cutting the rest.
pub fn words_up_to(text: &str, limit: usize) -> Vec<Word> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity((text.len() / 6 + 1).min(limit));
    let mut scratch = String::new();
    let mut i = 0;
    while i < bytes.len() && out.len() < limit {
        let b = bytes[i];
        if b.is_ascii_alphanumeric() {
            // The common case: a word of ASCII letters and digits.
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            if i < bytes.len() && bytes[i] >= 0x80 {
                // It goes on beyond ASCII (an accent, an invisible character): start over
                // on the careful path.
                i = slow_word(text, start, &mut out, &mut scratch);
            } else {
                out.push(Word {
                    hash: hash_word(&bytes[start..i], true),
                    start,
                    end: i,
                });
            }
        } else if b < 0x80 {
            i += 1;
        } else {
            let c = text[i..].chars().next().expect("char boundary");
            if is_word_char(c) || is_invisible(c) {
                i = slow_word(text, i, &mut out, &mut scratch);
            } else {
                i += c.len_utf8();
            }
        }
    }
    out
}

/// Read the word starting at byte `start` (any characters), push it if it has any
/// content, and return the offset after it. `scratch` holds the normalised word.
fn slow_word(text: &str, start: usize, out: &mut Vec<Word>, scratch: &mut String) -> usize {
    let mut end = start;
    let mut first = true;
    for (i, c) in text[start..].char_indices() {
        if is_ideograph(c) {
            if first {
                end = start + i + c.len_utf8();
            }
            break;
        }
        if !(is_word_char(c) || is_invisible(c)) {
            break;
        }
        first = false;
        end = start + i + c.len_utf8();
    }
    scratch.clear();
    for c in text[start..end]
        .chars()
        .filter(|c| !is_invisible(*c))
        .nfkc()
    {
        scratch.extend(c.to_lowercase());
    }
    if !scratch.is_empty() {
        // Trim invisible characters from the reported extent.
        let s = &text[start..end];
        let lead = s.len() - s.trim_start_matches(is_invisible).len();
        let trail = s.len() - s.trim_end_matches(is_invisible).len();
        out.push(Word {
            hash: hash_word(scratch.as_bytes(), false),
            start: start + lead,
            end: end - trail,
        });
    }
    end.max(start + text[start..].chars().next().map_or(1, char::len_utf8))
}

/// A passage shared word for word between an article and a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedSpan {
    /// How many words.
    pub words: usize,
    /// Byte range in the article text.
    pub article: (usize, usize),
    /// Which source (index into the slice given).
    pub source: usize,
    /// Byte range in that source's text.
    pub in_source: (usize, usize),
}

/// A hasher for keys that are already well-mixed 64-bit hashes.
#[derive(Default)]
pub(crate) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type FastMap<V> = HashMap<u64, V, BuildHasherDefault<PassThrough>>;

/// A quick hasher for small keys made of integers (not for keys an attacker chooses to
/// collide: the texts' words are already hashed by [`words`]).
#[derive(Default)]
pub(crate) struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        mix(self.0)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(BASE);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(29) ^ n).wrapping_mul(BASE);
    }
}

/// The base of the polynomial rolling hash (odd, so multiplication is invertible mod 2^64).
pub(crate) const BASE: u64 = 0x9e37_79b9_7f4a_7c15;

/// The rolling hashes of the windows of a source's words (their hashes) that a search for
/// passages of `n` words samples: those of `n - step + 1` words starting at every `step`-th
/// word, as [`SourceIndex`] keeps them and [`VerbatimScan::observe`] tries them; none when
/// the source is shorter than `n`. `visit` is given each window's place and hash.
pub(crate) fn sampled_windows(src: &[u64], n: usize, mut visit: impl FnMut(usize, u64)) {
    let n = n.max(1);
    let step = (n / 3).max(1);
    let w = n - step + 1;
    if src.len() < n {
        return;
    }
    let top = pow(BASE, w - 1);
    let mut h = src[..w]
        .iter()
        .fold(0u64, |h, x| h.wrapping_mul(BASE).wrapping_add(*x));
    let mut p = 0;
    loop {
        if p % step == 0 {
            visit(p, h);
        }
        if p + w >= src.len() {
            break;
        }
        h = h
            .wrapping_sub(src[p].wrapping_mul(top))
            .wrapping_mul(BASE)
            .wrapping_add(src[p + w]);
        p += 1;
    }
}

/// The rolling hash of a window of words (their hashes), as the searches compute it.
pub(crate) fn window_hash(window: &[u64]) -> u64 {
    window
        .iter()
        .fold(0u64, |h, x| h.wrapping_mul(BASE).wrapping_add(*x))
}

/// The words in a window sampled for passages of `n` words.
pub(crate) fn window_width(n: usize) -> usize {
    let n = n.max(1);
    n - (n / 3).max(1) + 1
}

/// The sources' words and a sample of their windows, ready to be searched.
///
/// Not every window is kept: with passages of at least `n` words to find, the index keeps
/// the windows of `width = n - step + 1` words that start at every `step`-th word of each
/// source. Any shared passage of `n` words holds one of them (its first `step` words hold a
/// sampled start, and `width` words follow it inside the passage), so nothing is missed,
/// and the table is `step` times smaller: it stays in the processor's caches, which is
/// what keeps a mebibyte of sources fast.
pub struct SourceIndex {
    /// Shortest passage reported, in words.
    n: usize,
    /// Words per indexed window.
    width: usize,
    /// Every how many words a window is indexed.
    step: usize,
    /// All sources' words, one source after another.
    flat: Vec<Word>,
    /// Where each source's words start in `flat`, plus the total at the end.
    bounds: Vec<usize>,
    /// The window hash → the first indexed position in `flat` with it.
    heads: FastMap<u32>,
    /// For each indexed position, the next indexed position with the same window hash
    /// (`u32::MAX`: none).
    chain: Vec<u32>,
}

impl SourceIndex {
    /// Index `sources` (their texts) for passages of at least `n` words (`n` ≥ 1).
    pub fn new(sources: &[&str], n: usize) -> Self {
        let cut: Vec<Vec<Word>> = sources.iter().map(|s| words(s)).collect();
        Self::from_source_words(&cut, n)
    }

    /// Index sources already cut into words (by [`words`]).
    pub fn from_source_words(sources: &[Vec<Word>], n: usize) -> Self {
        let n = n.max(1);
        let mut flat = Vec::with_capacity(sources.iter().map(Vec::len).sum());
        let mut bounds = vec![0];
        for s in sources {
            flat.extend_from_slice(s);
            bounds.push(flat.len());
        }
        let step = (n / 3).max(1);
        let width = n - step + 1;
        let mut heads: FastMap<u32> = FastMap::default();
        heads.reserve(flat.len() / step + 1);
        let mut chain = vec![u32::MAX; flat.len()];
        let top = pow(BASE, width - 1);
        let mut sampled: Vec<(u64, usize)> = Vec::new();
        // Sources from the last to the first, and positions from the last to the first, so
        // that each chain runs from the earliest occurrence forward.
        for w in bounds.windows(2).rev() {
            let (lo, hi) = (w[0], w[1]);
            if hi - lo < n {
                continue;
            }
            sampled.clear();
            let mut h = 0u64;
            for word in &flat[lo..lo + width] {
                h = h.wrapping_mul(BASE).wrapping_add(word.hash);
            }
            let mut i = lo;
            loop {
                if (i - lo) % step == 0 {
                    sampled.push((h, i));
                }
                if i + width >= hi {
                    break;
                }
                h = h
                    .wrapping_sub(flat[i].hash.wrapping_mul(top))
                    .wrapping_mul(BASE)
                    .wrapping_add(flat[i + width].hash);
                i += 1;
            }
            for &(h, i) in sampled.iter().rev() {
                chain[i] = heads.insert(h, i as u32).unwrap_or(u32::MAX);
            }
        }
        SourceIndex {
            n,
            width,
            step,
            flat,
            bounds,
            heads,
            chain,
        }
    }

    /// The shortest passage reported, in words.
    pub fn min_words(&self) -> usize {
        self.n
    }

    /// The source a position in `flat` belongs to, and that source's start and end.
    fn source_of(&self, pos: usize) -> (usize, usize, usize) {
        let s = self.bounds.partition_point(|&b| b <= pos) - 1;
        (s, self.bounds[s], self.bounds[s + 1])
    }

    /// Every maximal passage of at least `n` words that `article` shares with a source
    /// (a passage that lies inside one already reported is not reported again).
    pub fn shared_spans(&self, article: &str) -> Vec<SharedSpan> {
        let words = words(article);
        let (n, w) = (self.n, self.width);
        let mut out = Vec::new();
        if words.len() < n || self.heads.is_empty() {
            return out;
        }
        let top = pow(BASE, w - 1);
        let window_hash = |at: usize| {
            words[at..at + w]
                .iter()
                .fold(0u64, |h, x| h.wrapping_mul(BASE).wrapping_add(x.hash))
        };
        let mut i = 0;
        let mut h = window_hash(0);
        while i + w <= words.len() {
            if let Some(m) = self.best_match(&words, i, h) {
                if m.left + m.right >= n {
                    let (source, _, _) = self.source_of(m.pos);
                    let a0 = i - m.left;
                    let a1 = i + m.right;
                    let s0 = m.pos - m.left;
                    let s1 = m.pos + m.right;
                    out.push(SharedSpan {
                        words: a1 - a0,
                        article: (words[a0].start, words[a1 - 1].end),
                        source,
                        in_source: (self.flat[s0].start, self.flat[s1 - 1].end),
                    });
                    // The windows up to a1 - w lie inside the passage; go on with the
                    // first that reaches past it.
                    i = a1 + 1 - w;
                    if i + w <= words.len() {
                        h = window_hash(i);
                    }
                    continue;
                }
            }
            if i + w < words.len() {
                h = h
                    .wrapping_sub(words[i].hash.wrapping_mul(top))
                    .wrapping_mul(BASE)
                    .wrapping_add(words[i + w].hash);
            }
            i += 1;
        }
        out
    }

    /// Of the indexed places whose window has the hash `h` of the article's window at `i`,
    /// the one whose shared run around it is longest. The run goes right as far as the
    /// texts agree, and left at most `step - 1` words (a passage reaching further left was
    /// found at an earlier window, or lies inside one already reported).
    fn best_match(&self, words: &[Word], i: usize, h: u64) -> Option<Match> {
        let w = self.width;
        let mut pos = *self.heads.get(&h)?;
        let mut best: Option<Match> = None;
        let mut tried = 0;
        while pos != u32::MAX && tried < MAX_CANDIDATES {
            tried += 1;
            let p = pos as usize;
            pos = self.chain[p];
            let (_, start, end) = self.source_of(p);
            if !(0..w).all(|k| words[i + k].hash == self.flat[p + k].hash) {
                continue;
            }
            let mut right = w;
            while i + right < words.len()
                && p + right < end
                && words[i + right].hash == self.flat[p + right].hash
            {
                right += 1;
            }
            let mut left = 0;
            while left + 1 < self.step
                && i > left
                && p > start + left
                && words[i - left - 1].hash == self.flat[p - left - 1].hash
            {
                left += 1;
            }
            if best.is_none_or(|b| left + right > b.left + b.right) {
                best = Some(Match {
                    pos: p,
                    left,
                    right,
                });
            }
        }
        best
    }
}

/// A run shared with the sources around an article window.
#[derive(Debug, Clone, Copy)]
struct Match {
    /// The window's place in the sources' words.
    pos: usize,
    /// Words the run reaches left of the window's start.
    left: usize,
    /// Words from the window's start to the run's end.
    right: usize,
}

fn pow(mut base: u64, mut exp: usize) -> u64 {
    let mut acc = 1u64;
    while exp > 0 {
        if exp & 1 == 1 {
            acc = acc.wrapping_mul(base);
        }
        base = base.wrapping_mul(base);
        exp >>= 1;
    }
    acc
}

/// A passage shared with a source, found by a [`VerbatimScan`]: where it is in the source
/// is known by word, not yet by byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamedSpan {
    /// How many words.
    pub words: usize,
    /// Byte range in the article text.
    pub article: (usize, usize),
    /// Which source (in the order the sources were shown).
    pub source: usize,
    /// The passage's first word and the word after its last, in that source's words.
    pub in_source_words: (usize, usize),
}

/// The best run found so far around one article window (see [`SourceIndex::best_match`]).
#[derive(Debug, Clone, Copy)]
struct StreamedMatch {
    source: usize,
    pos: usize,
    left: usize,
    right: usize,
}

/// [`SourceIndex::shared_spans`] with the sources shown one at a time, as their words'
/// hashes, so that no more than one source's words are ever held: the same passages, found
/// by the same rules.
///
/// The index tries, for each article window, the indexed places with its hash in the order
/// of the sources and of the places within them, at most [`MAX_CANDIDATES`] of them, and
/// keeps the first longest run. The scan keeps, for every window, how many places it tried
/// and the best run so far; sources must be shown in their order. [`VerbatimScan::finish`]
/// then walks the article as [`SourceIndex::shared_spans`] does.
pub struct VerbatimScan {
    n: usize,
    width: usize,
    step: usize,
    /// The article's words.
    words: Vec<Word>,
    /// The article's window hash → the first window with it.
    heads: FastMap<u32>,
    /// For each window, the next window with the same hash (`u32::MAX`: none).
    chain: Vec<u32>,
    /// Places tried per window.
    tried: Vec<u8>,
    /// The best run per window.
    best: Vec<Option<StreamedMatch>>,
}

impl VerbatimScan {
    /// Ready to look for passages of at least `n` words of `article`.
    pub fn new(article: &str, n: usize) -> Self {
        let n = n.max(1);
        let step = (n / 3).max(1);
        let width = n - step + 1;
        let words = words(article);
        let windows = (words.len() + 1).saturating_sub(width);
        let mut heads: FastMap<u32> = FastMap::default();
        let mut chain = vec![u32::MAX; windows];
        if windows > 0 {
            let top = pow(BASE, width - 1);
            let mut h = words[..width]
                .iter()
                .fold(0u64, |h, x| h.wrapping_mul(BASE).wrapping_add(x.hash));
            for i in 0..windows {
                if i > 0 {
                    h = h
                        .wrapping_sub(words[i - 1].hash.wrapping_mul(top))
                        .wrapping_mul(BASE)
                        .wrapping_add(words[i - 1 + width].hash);
                }
                chain[i] = heads.insert(h, i as u32).unwrap_or(u32::MAX);
            }
        }
        VerbatimScan {
            n,
            width,
            step,
            tried: vec![0; windows],
            best: vec![None; windows],
            words,
            heads,
            chain,
        }
    }

    /// The shortest passage reported, in words.
    pub fn min_words(&self) -> usize {
        self.n
    }

    /// The rolling hashes of the article's windows (distinct): a source none of whose
    /// sampled windows has one of them gives this scan nothing to try.
    pub fn window_hashes(&self) -> impl Iterator<Item = u64> + '_ {
        self.heads.keys().copied()
    }

    /// Look in the next source: its words' hashes, in order.
    pub fn observe(&mut self, source: usize, src: &[u64]) {
        if self.heads.is_empty() {
            return;
        }
        // The same windows the source index samples (`width` and `step` follow from `n`
        // as there).
        sampled_windows(src, self.n, |p, h| {
            if let Some(&first) = self.heads.get(&h) {
                let mut i = first;
                while i != u32::MAX {
                    self.try_place(source, src, i as usize, p);
                    i = self.chain[i as usize];
                }
            }
        });
    }

    /// Try place `p` of source `source` for the article window at `i`, as
    /// [`SourceIndex::best_match`] does.
    fn try_place(&mut self, source: usize, src: &[u64], i: usize, p: usize) {
        if usize::from(self.tried[i]) >= MAX_CANDIDATES {
            return;
        }
        self.tried[i] += 1;
        let (w, words) = (self.width, &self.words);
        if !(0..w).all(|k| words[i + k].hash == src[p + k]) {
            return;
        }
        let mut right = w;
        while i + right < words.len()
            && p + right < src.len()
            && words[i + right].hash == src[p + right]
        {
            right += 1;
        }
        let mut left = 0;
        while left + 1 < self.step
            && i > left
            && p > left
            && words[i - left - 1].hash == src[p - left - 1]
        {
            left += 1;
        }
        if self.best[i].is_none_or(|b| left + right > b.left + b.right) {
            self.best[i] = Some(StreamedMatch {
                source,
                pos: p,
                left,
                right,
            });
        }
    }

    /// Every maximal passage of at least `n` words the article shares with a source shown.
    pub fn finish(self) -> Vec<StreamedSpan> {
        let (n, w) = (self.n, self.width);
        let mut out = Vec::new();
        let mut i = 0;
        while i + w <= self.words.len() {
            if let Some(m) = self.best[i] {
                if m.left + m.right >= n {
                    let a0 = i - m.left;
                    let a1 = i + m.right;
                    out.push(StreamedSpan {
                        words: a1 - a0,
                        article: (self.words[a0].start, self.words[a1 - 1].end),
                        source: m.source,
                        in_source_words: (m.pos - m.left, m.pos + m.right),
                    });
                    i = a1 + 1 - w;
                    continue;
                }
            }
            i += 1;
        }
        out
    }
}

/// Every maximal passage of at least `min_words` words that `article` shares word for word
/// with one of `sources`.
pub fn shared_spans(article: &str, sources: &[&str], min_words: usize) -> Vec<SharedSpan> {
    SourceIndex::new(sources, min_words).shared_spans(article)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes(s: &str) -> Vec<u64> {
        words(s).into_iter().map(|w| w.hash).collect()
    }

    #[test]
    fn words_ignore_case_punctuation_spacing_and_invisibles() {
        assert_eq!(
            hashes("The  quick, BROWN\nfox."),
            hashes("the quick brown fox")
        );
        assert_eq!(hashes("gen\u{200B}erative"), hashes("generative"));
        assert_eq!(hashes("\u{200B}generative\u{200D}"), hashes("generative"));
        // NFD against NFC, and a compatibility ligature.
        assert_eq!(hashes("cafe\u{301}"), hashes("caf\u{e9}"));
        assert_eq!(hashes("\u{FB01}nance"), hashes("finance"));
        assert_eq!(hashes("ÉCOLE"), hashes("école"));
        assert_ne!(hashes("ecole"), hashes("école"));
    }

    #[test]
    fn joiners_that_normalisation_keeps_still_hide_nothing() {
        use crate::text::normalise::normalise;
        // Persian "I want" with and without its non-joiner, a Devanagari half form with and
        // without its joiner: stored as written, compared as the same words, so a joiner
        // added to or taken from a copy cannot keep a passage from being found.
        for (joined, plain) in [
            (
                "\u{645}\u{6CC}\u{200C}\u{62E}\u{648}\u{627}\u{647}\u{645} \u{631}\u{627}",
                "\u{645}\u{6CC}\u{62E}\u{648}\u{627}\u{647}\u{645} \u{631}\u{627}",
            ),
            (
                "\u{915}\u{94D}\u{200D}\u{937} \u{915}",
                "\u{915}\u{94D}\u{937} \u{915}",
            ),
        ] {
            assert_eq!(normalise(joined), joined);
            assert_eq!(hashes(joined), hashes(plain));
            assert_eq!(words(joined).len(), 2);
        }
    }

    #[test]
    fn the_first_words_are_the_words_cut_short() {
        let text = "Ein „Zitat“ – naïve\u{200B}ly 東京都 and\u{200D} more";
        let all = words(text);
        for limit in 0..all.len() + 2 {
            assert_eq!(words_up_to(text, limit), all[..limit.min(all.len())]);
        }
    }

    #[test]
    fn words_have_their_places() {
        let text = "Ein „Zitat“ – naïve\u{200B}ly 東京都";
        let w = words(text);
        let shown: Vec<&str> = w.iter().map(|w| &text[w.start..w.end]).collect();
        assert_eq!(
            shown,
            vec!["Ein", "Zitat", "naïve\u{200B}ly", "東", "京", "都"]
        );
    }

    #[test]
    fn finds_a_maximal_span_and_where_it_is() {
        let source = "Preface. one two three four five six seven eight nine ten. The end.";
        let article = "We read: One two Three four five six seven eight, and then more.";
        let spans = shared_spans(article, &[source], 5);
        assert_eq!(spans.len(), 1);
        let s = &spans[0];
        assert_eq!(s.words, 8);
        assert_eq!(
            &article[s.article.0..s.article.1],
            "One two Three four five six seven eight"
        );
        assert_eq!(
            &source[s.in_source.0..s.in_source.1],
            "one two three four five six seven eight"
        );
    }

    #[test]
    fn nothing_shorter_than_the_window() {
        let source = "alpha beta gamma delta epsilon";
        let article = "alpha beta gamma delta zeta";
        assert!(shared_spans(article, &[source], 5).is_empty());
        assert_eq!(shared_spans(article, &[source], 4).len(), 1);
    }

    #[test]
    fn passages_do_not_cross_sources() {
        let a = "one two three";
        let b = "four five six";
        let article = "one two three four five six";
        assert!(shared_spans(article, &[a, b], 4).is_empty());
        let spans = shared_spans(article, &[a, b], 3);
        assert_eq!(spans.len(), 2);
        assert_eq!((spans[0].source, spans[1].source), (0, 1));
    }

    #[test]
    fn the_longest_occurrence_wins_and_runs_continue_elsewhere() {
        let a = "w1 w2 w3 w4 x";
        let b = "w1 w2 w3 w4 w5 w6";
        let c = "w5 w6 w7 w8 w9";
        let article = "w1 w2 w3 w4 w5 w6 w7 w8 w9";
        let spans = shared_spans(article, &[a, b, c], 4);
        assert_eq!(spans.len(), 2, "{spans:?}");
        assert_eq!((spans[0].source, spans[0].words), (1, 6));
        assert_eq!((spans[1].source, spans[1].words), (2, 5));
    }

    #[test]
    fn repetitive_sources_stay_bounded() {
        let source = "la ".repeat(20_000);
        let article = "la ".repeat(5_000);
        let spans = shared_spans(&article, &[&source], 12);
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].words, 5_000);
    }

    #[test]
    fn every_offset_of_a_passage_is_found_whatever_the_sampling() {
        // A passage of exactly n words at every offset against the sampling step.
        let filler: Vec<String> = (0..40).map(|i| format!("f{i}")).collect();
        let passage: Vec<String> = (0..12).map(|i| format!("p{i}")).collect();
        for offset in 0..8 {
            let source = format!(
                "{} {} {}",
                filler[..offset].join(" "),
                passage.join(" "),
                filler[20..30].join(" ")
            );
            let article = format!("x y {} z", passage.join(" "));
            let spans = shared_spans(&article, &[&source], 12);
            assert_eq!(spans.len(), 1, "offset {offset}");
            assert_eq!(spans[0].words, 12, "offset {offset}");
        }
    }

    /// Texts of few distinct words, so that windows repeat far more than
    /// [`MAX_CANDIDATES`] times and which places are tried decides what is found.
    fn repetitive(seed: &mut u64, len: usize, vocabulary: usize) -> String {
        (0..len)
            .map(|_| {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                ["a", "b", "c", "d"][(*seed % vocabulary as u64) as usize]
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn a_scan_one_source_at_a_time_finds_what_the_index_finds() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut found = 0;
        for case in 0..400 {
            let vocabulary = 2 + case % 3;
            let n = 3 + case % 7;
            let sources: Vec<String> = (0..1 + case % 4)
                .map(|k| repetitive(&mut seed, 40 + (case * 37 + k * 101) % 600, vocabulary))
                .collect();
            let article = repetitive(&mut seed, 10 + (case * 13) % 150, vocabulary);
            let texts: Vec<&str> = sources.iter().map(String::as_str).collect();
            let direct = shared_spans(&article, &texts, n);
            let mut scan = VerbatimScan::new(&article, n);
            for (i, t) in texts.iter().enumerate() {
                let hashes: Vec<u64> = words(t).iter().map(|w| w.hash).collect();
                scan.observe(i, &hashes);
            }
            let streamed = scan.finish();
            assert_eq!(direct.len(), streamed.len(), "case {case}");
            for (d, s) in direct.iter().zip(&streamed) {
                let cut = words(texts[s.source]);
                let (s0, s1) = s.in_source_words;
                assert_eq!(
                    (d.words, d.article, d.source, d.in_source),
                    (
                        s.words,
                        s.article,
                        s.source,
                        (cut[s0].start, cut[s1 - 1].end)
                    ),
                    "case {case}"
                );
            }
            found += direct.len();
        }
        assert!(found > 400, "the cases find passages: {found}");
    }
}
