//! A source as the checks need it, read once when the source is added: the hashes of its
//! words (the verbatim check and the quotations' tracing) and its figures and dates
//! (traceability). The store keeps it beside the source, so a run of the checks reads
//! digests, one source at a time, instead of decrypting, normalising and reading every
//! source's text again ([`super::Checker::run_stored`]).
//!
//! The digest itself is a model type ([`crate::model::SourceDigest`]), so that the store,
//! below the checks, can keep it.

use super::index::IndexSpec;
use super::trace::digest_facts;
use super::verbatim::words;
use crate::model::SourceDigest;

/// The digest of a source's text: what [`super::Checker::run_stored`] reads of it.
pub fn digest(text: &str) -> SourceDigest {
    let (values, dates) = digest_facts(text);
    SourceDigest {
        blank: text.trim().is_empty(),
        words: words(text).into_iter().map(|w| w.hash).collect(),
        values,
        dates,
    }
}

/// The story's sources as a store keeps them: their digests, shown one at a time, and their
/// texts, read only for the passages a finding points into.
pub trait StoredSources {
    /// Why a digest or a text could not be read.
    type Error;

    /// Show every source's digest to `visit`, in the order of [`super::Document::sources`]
    /// (the index into it, and the digest). A source that is not there is left out.
    fn each_digest(&self, visit: &mut dyn FnMut(usize, &SourceDigest)) -> Result<(), Self::Error>;

    /// The text of the source at `index` in [`super::Document::sources`].
    fn text(&self, index: usize) -> Result<String, Self::Error>;

    /// Where a passage (the source's words `words.0..words.1`) of the source at `index`
    /// was found to be, when a run before remembered it ([`StoredSources::remember`]): a
    /// source never changes, so its text need not be read again for it.
    fn remembered(&self, _index: usize, _words: (usize, usize)) -> Option<PassagePlace> {
        None
    }

    /// Remember where a passage of the source at `index` is.
    fn remember(&self, _index: usize, _words: (usize, usize), _place: PassagePlace) {}
}

/// Where a passage is in its source's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassagePlace {
    /// Its byte range.
    pub bytes: (usize, usize),
    /// The 1-based line and column (in characters) where it starts.
    pub line_column: (usize, usize),
}

/// What a source index answers for one run (see [`IndexedSources::look_up`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexLookup {
    /// For each posting term asked, the sources that hold it (indexes into
    /// [`super::Document::sources`], ascending).
    pub postings: Vec<Vec<usize>>,
    /// For each fact term asked, whether some source holds it.
    pub facts: Vec<bool>,
    /// Every source is blank (or there is none).
    pub all_blank: bool,
}

/// The story's sources as a store keeps them, with a source index kept beside them
/// ([`super::index`]), for [`super::Checker::run_indexed`].
pub trait IndexedSources: StoredSources {
    /// What the index was built for; [`super::Checker::index_spec`] says what a checker
    /// needs, and an index built for anything else must not be used.
    fn spec(&self) -> &IndexSpec;

    /// Look terms up (see [`super::index`]). `None` when the index cannot answer for
    /// exactly the document's sources (then the run reads every digest instead).
    fn look_up(&self, postings: &[u64], facts: &[u64]) -> Result<Option<IndexLookup>, Self::Error>;

    /// Show the digests of the sources at `indexes` (ascending) to `visit`, in that order,
    /// until it returns false. A source that is not there is left out.
    fn some_digests(
        &self,
        indexes: &[usize],
        visit: &mut dyn FnMut(usize, &SourceDigest) -> bool,
    ) -> Result<(), Self::Error>;
}
