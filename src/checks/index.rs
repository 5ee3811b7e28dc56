//! What a story's source index keeps of each source, and what a run of the checks looks up
//! in it ([`super::Checker::run_indexed`]): terms, 64-bit fingerprints computed from a
//! source's digest when it is added.
//!
//! - Posting terms (the index says which sources hold them): the windows the verbatim
//!   check samples of a source's words, for each passage length the rules use (the same
//!   windows, at the same places, as [`super::verbatim::VerbatimScan`] tries). A run looks
//!   up every window of the article and reads the digests of the sources that hold one:
//!   a source that holds none would give the scan nothing to try.
//! - Fact terms (the index says whether any source holds them): every run of one, two and
//!   three words (quotation parts that short are answered outright; a longer part is absent
//!   when one of its three-word runs is), each value, and each date under the four ways a
//!   date in an article can ask for it (with or without its year, with or without its day).
//!   Traceability only asks whether some source holds a fact, so no source is named.
//!
//! A quotation part of four words or more whose three-word runs all occur somewhere is
//! settled by reading digests: those of the sources holding one of its windows when the
//! part is as long as a passage the index samples, else every source's in the story's
//! order until one holds it.
//!
//! The terms are plain hashes of hashed words: the store keys them again before they reach
//! a file (see the store's `index.rs`).

use super::verbatim::{mix, sampled_windows, BASE};
use crate::model::SourceDigest;

/// Bumped whenever a term changes meaning, so an index of older terms is rebuilt.
const SCHEME: u64 = 1;
const TAG_WINDOW: u64 = 0x5749_4e44;
const TAG_GRAM: u64 = 0x4752_414d;
const TAG_VALUE: u64 = 0x5641_4c55;
const TAG_DATE: u64 = 0x4441_5445;

/// The longest word run kept as a fact term.
pub(crate) const GRAM_MAX: usize = 3;

/// What an index holds, given the rules: the passage lengths the verbatim rules look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSpec {
    /// Passage lengths, ascending, distinct, at least 1.
    verbatim: Vec<usize>,
}

impl IndexSpec {
    /// For verbatim rules with these passage lengths.
    pub fn new(lengths: impl IntoIterator<Item = usize>) -> Self {
        let mut verbatim: Vec<usize> = lengths.into_iter().map(|n| n.max(1)).collect();
        verbatim.sort_unstable();
        verbatim.dedup();
        IndexSpec { verbatim }
    }

    /// The passage lengths indexed.
    pub fn lengths(&self) -> &[usize] {
        &self.verbatim
    }

    /// A fingerprint of the scheme and the lengths: an index built for another is rebuilt.
    pub fn tag(&self) -> u64 {
        let mut parts = vec![SCHEME, self.verbatim.len() as u64];
        parts.extend(self.verbatim.iter().map(|&n| n as u64));
        fold(&parts)
    }
}

/// One source's terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceTerms {
    /// The source is blank.
    pub blank: bool,
    /// Terms the index keeps with the source's number, distinct.
    pub postings: Vec<u64>,
    /// Terms the index keeps without it, distinct.
    pub facts: Vec<u64>,
}

/// The terms of a source's digest.
pub fn index_terms(digest: &SourceDigest, spec: &IndexSpec) -> SourceTerms {
    let words = &digest.words;
    let mut postings = Vec::new();
    for &n in &spec.verbatim {
        sampled_windows(words, n, |_, h| postings.push(window_term(n, h)));
    }
    postings.sort_unstable();
    postings.dedup();
    let mut facts = Vec::with_capacity(words.len() * GRAM_MAX + digest.values.len());
    for k in 1..=GRAM_MAX {
        facts.extend(words.windows(k).map(gram_term));
    }
    facts.extend(digest.values.iter().map(|&(m, e)| value_term(m, e)));
    for &(year, month, day) in &digest.dates {
        for y in [YearKey::Exact(year), YearKey::Any] {
            for d in [DayKey::Exact(day), DayKey::Any] {
                facts.push(date_term(y, month, d));
            }
        }
    }
    facts.sort_unstable();
    facts.dedup();
    SourceTerms {
        blank: digest.blank,
        postings,
        facts,
    }
}

fn fold(parts: &[u64]) -> u64 {
    parts.iter().fold(0x6a09_e667_f3bc_c908, |acc, &p| {
        mix(acc.wrapping_mul(BASE) ^ p)
    })
}

/// The term of a sampled window (its rolling hash `h`) for passages of `n` words.
pub(crate) fn window_term(n: usize, h: u64) -> u64 {
    fold(&[TAG_WINDOW, n as u64, h])
}

/// The term of a run of one to three words (their hashes).
pub(crate) fn gram_term(words: &[u64]) -> u64 {
    let mut parts = [TAG_GRAM, words.len() as u64, 0, 0, 0];
    for (slot, w) in parts[2..].iter_mut().zip(words) {
        *slot = *w;
    }
    fold(&parts)
}

/// The term of a value, `mantissa × 10^exponent` (normalised).
pub(crate) fn value_term(mantissa: u64, exponent: i32) -> u64 {
    fold(&[TAG_VALUE, mantissa, exponent as u64])
}

/// A date's year as a term has it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum YearKey {
    /// Any year, or none.
    Any,
    /// This year, or (`None`) no year given.
    Exact(Option<i64>),
}

/// A date's day as a term has it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DayKey {
    /// Any day, or none.
    Any,
    /// This day, or (`None`) no day given.
    Exact(Option<u8>),
}

/// The term of a date.
pub(crate) fn date_term(year: YearKey, month: u8, day: DayKey) -> u64 {
    let (yk, yv) = match year {
        YearKey::Any => (0, 0),
        YearKey::Exact(None) => (1, 0),
        YearKey::Exact(Some(y)) => (2, y as u64),
    };
    let (dk, dv) = match day {
        DayKey::Any => (0, 0),
        DayKey::Exact(None) => (1, 0),
        DayKey::Exact(Some(d)) => (2, u64::from(d)),
    };
    fold(&[TAG_DATE, yk, yv, u64::from(month), dk, dv])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::digest;

    #[test]
    fn the_tag_follows_the_lengths() {
        assert_eq!(
            IndexSpec::new([12, 5, 12]).tag(),
            IndexSpec::new([5, 12]).tag()
        );
        assert_ne!(IndexSpec::new([12]).tag(), IndexSpec::new([11]).tag());
        assert_eq!(IndexSpec::new([0]).lengths(), &[1]);
    }

    #[test]
    fn terms_tell_kinds_and_lengths_apart() {
        let d = digest("The board said 12 on March 3, 2025.");
        let spec = IndexSpec::new([3]);
        let t = index_terms(&d, &spec);
        assert!(!t.blank);
        // Windows of 3 words at every place (they all differ here).
        assert_eq!(t.postings.len(), d.words.len() - 2);
        assert!(t.facts.contains(&gram_term(&d.words[..1])));
        assert!(t.facts.contains(&gram_term(&d.words[1..4])));
        assert!(!t.facts.contains(&gram_term(&d.words[1..5])));
        assert!(t.facts.contains(&value_term(12, 0)));
        for (y, dd) in [
            (YearKey::Exact(Some(2025)), DayKey::Exact(Some(3))),
            (YearKey::Any, DayKey::Exact(Some(3))),
            (YearKey::Exact(Some(2025)), DayKey::Any),
            (YearKey::Any, DayKey::Any),
        ] {
            assert!(t.facts.contains(&date_term(y, 3, dd)));
        }
        assert!(!t
            .facts
            .contains(&date_term(YearKey::Exact(None), 3, DayKey::Any)));
        assert!(!t.facts.contains(&date_term(YearKey::Any, 4, DayKey::Any)));
        let other = index_terms(&d, &IndexSpec::new([4]));
        assert!(other.postings.iter().all(|p| !t.postings.contains(p)));
    }
}
