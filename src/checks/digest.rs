//! A source as the checks need it, read once when the source is added: the hashes of its
//! words (the verbatim check and the quotations' tracing) and its figures and dates
//! (traceability). The store keeps it beside the source, so a run of the checks reads
//! digests, one source at a time, instead of decrypting, normalising and reading every
//! source's text again ([`super::Checker::run_stored`]).
//!
//! A digest holds no text, but the sequence of a text's word hashes can be matched against a
//! dictionary: the store seals digests with the source key whenever it seals sources.

use super::trace::DigestFacts;
use super::verbatim::words;

/// One source, analysed for the checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceDigest {
    /// The text is empty or only blanks (such a source counts as no source at all).
    pub blank: bool,
    /// The hash of each word, in order (see [`super::verbatim`] for what a word is).
    pub words: Vec<u64>,
    /// Its figures and dates.
    pub facts: DigestFacts,
}

impl SourceDigest {
    /// The digest of a source's text.
    pub fn of(text: &str) -> Self {
        SourceDigest {
            blank: text.trim().is_empty(),
            words: words(text).into_iter().map(|w| w.hash).collect(),
            facts: DigestFacts::read(text),
        }
    }

    /// A digest from its stored parts (values put back in order if they are not).
    pub fn from_parts(blank: bool, words: Vec<u64>, mut facts: DigestFacts) -> Self {
        facts.normalise();
        SourceDigest {
            blank,
            words,
            facts,
        }
    }
}

/// The story's sources as a store keeps them: their digests, shown one at a time, and their
/// texts, read only for the passages a finding points into.
pub trait StoredSources {
    /// Why a digest or a text could not be read.
    type Error;

    /// Show every source's digest to `visit`, in the order of [`super::Document::sources`]
    /// (the index into it, and the digest). A source that is not there is left out.
    fn each_digest(
        &self,
        visit: &mut dyn FnMut(usize, &SourceDigest),
    ) -> Result<(), Self::Error>;

    /// The text of the source at `index` in [`super::Document::sources`].
    fn text(&self, index: usize) -> Result<String, Self::Error>;
}
