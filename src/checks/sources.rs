//! The sources of one run of the checks: their texts, and what the rules compute from them
//! (words, figures and dates, verbatim indexes, line starts), each computed once and only
//! when a rule asks.

use std::cell::OnceCell;
use std::collections::HashMap;

use super::text::LineIndex;
use super::trace::{SourceFacts, SourceView};
use super::verbatim::{words, SourceIndex, Word};

/// The sources of one run, cut into words and read for facts only when a rule needs it.
pub(crate) struct Sources<'a> {
    /// The texts.
    texts: Vec<&'a str>,
    /// Their words, once a rule asked.
    words: OnceCell<Vec<Vec<Word>>>,
    /// Their figures and dates, once a rule asked.
    facts: OnceCell<SourceFacts>,
    /// Each source's line starts, once a finding points into it.
    lines: Vec<OnceCell<LineIndex>>,
    /// Verbatim indexes by passage length.
    indexes: std::cell::RefCell<HashMap<usize, std::rc::Rc<SourceIndex>>>,
}

impl<'a> Sources<'a> {
    /// The sources of a run, nothing computed yet.
    pub fn new(texts: Vec<&'a str>) -> Self {
        let lines = texts.iter().map(|_| OnceCell::new()).collect();
        Sources {
            texts,
            words: OnceCell::new(),
            facts: OnceCell::new(),
            lines,
            indexes: Default::default(),
        }
    }

    /// True when there is no source text to compare with.
    pub fn is_empty(&self) -> bool {
        self.texts.iter().all(|t| t.trim().is_empty())
    }

    /// Each source's words (cut once, shared by the rules that need them).
    pub fn words(&self) -> &[Vec<Word>] {
        self.words
            .get_or_init(|| self.texts.iter().map(|t| words(t)).collect())
    }

    /// The figures and dates of all sources (read once).
    pub fn facts(&self) -> &SourceFacts {
        self.facts.get_or_init(|| SourceFacts::read(&self.texts))
    }

    /// The verbatim index for passages of `n` words (built once per `n`).
    pub(super) fn index(&self, n: usize) -> std::rc::Rc<SourceIndex> {
        self.indexes
            .borrow_mut()
            .entry(n)
            .or_insert_with(|| std::rc::Rc::new(SourceIndex::from_source_words(self.words(), n)))
            .clone()
    }

    /// Line and column of a byte offset in a source.
    pub(super) fn locate(&self, source: usize, at: usize) -> (usize, usize) {
        let text = self.texts[source];
        self.lines[source]
            .get_or_init(|| LineIndex::new(text))
            .locate(text, at)
    }
}

impl SourceView for Sources<'_> {
    fn facts(&self) -> &SourceFacts {
        Sources::facts(self)
    }

    fn words(&self) -> &[Vec<Word>] {
        Sources::words(self)
    }
}
