//! The checks on stored sources ([`Checker::run_stored`]: each source's digest, computed
//! once when it was added, read in turn; [`Checker::run_indexed`]: terms looked up in a
//! source index, and only the digests of the sources it names read) find exactly what the
//! checks find with every source's text at hand ([`Checker::run`]): the same findings, in
//! the same order, for random articles and sources made to share passages, figures, dates
//! and quotations.

use std::cell::Cell;
use std::convert::Infallible;

use proptest::prelude::*;

use std::collections::{HashMap, HashSet};

use storydesk::checks::{
    index_terms, CheckedSection, Checker, Document, Finding, IndexLookup, IndexSpec,
    IndexedSources, PassagePlace, SourceDigest, SourceText, StoredSources,
};
use storydesk::config::{Config, Template};

/// The sources as a store would keep them: digests, and texts read only when asked.
struct Shelf<'a> {
    texts: Vec<&'a str>,
    digests: Vec<Option<SourceDigest>>,
    /// How many texts were read.
    texts_read: Cell<usize>,
    /// How many digests were shown.
    digests_read: Cell<usize>,
    /// The source index, as a store keeps it: which sources hold each posting term, and
    /// the fact terms some source holds.
    index: Option<MemoryIndex>,
    /// Passages' places remembered from earlier runs, when the shelf remembers them.
    places: Option<std::cell::RefCell<Places>>,
}

/// Places by source and words.
type Places = HashMap<(usize, (usize, usize)), PassagePlace>;

/// A source index in memory, built from the digests with the terms a store keeps.
struct MemoryIndex {
    spec: IndexSpec,
    postings: HashMap<u64, Vec<usize>>,
    facts: HashSet<u64>,
    all_blank: bool,
}

impl MemoryIndex {
    /// The index of `digests` (each a source, in order), leaving out the terms of the
    /// sources in `without` (a wrong index, for the tests that show it matters).
    fn build(spec: IndexSpec, digests: &[Option<SourceDigest>], without: &[usize]) -> Self {
        let mut postings: HashMap<u64, Vec<usize>> = HashMap::new();
        let mut facts = HashSet::new();
        let mut all_blank = true;
        for (i, d) in digests.iter().enumerate() {
            let Some(d) = d else { continue };
            all_blank &= d.blank;
            if without.contains(&i) {
                continue;
            }
            let terms = index_terms(d, &spec);
            for t in terms.postings {
                postings.entry(t).or_default().push(i);
            }
            facts.extend(terms.facts);
        }
        MemoryIndex {
            spec,
            postings,
            facts,
            all_blank,
        }
    }
}

impl<'a> Shelf<'a> {
    fn new(texts: &[&'a str]) -> Self {
        Shelf {
            texts: texts.to_vec(),
            digests: texts
                .iter()
                .map(|t| Some(storydesk::checks::digest(t)))
                .collect(),
            texts_read: Cell::new(0),
            digests_read: Cell::new(0),
            index: None,
            places: None,
        }
    }

    /// With a source index for `checker`.
    fn indexed(texts: &[&'a str], checker: &Checker) -> Self {
        let mut shelf = Shelf::new(texts);
        shelf.index = Some(MemoryIndex::build(
            checker.index_spec(),
            &shelf.digests,
            &[],
        ));
        shelf
    }
}

impl IndexedSources for Shelf<'_> {
    fn spec(&self) -> &IndexSpec {
        static NONE: std::sync::OnceLock<IndexSpec> = std::sync::OnceLock::new();
        match &self.index {
            Some(ix) => &ix.spec,
            None => NONE.get_or_init(|| IndexSpec::new([])),
        }
    }

    fn look_up(&self, postings: &[u64], facts: &[u64]) -> Result<Option<IndexLookup>, Infallible> {
        let Some(ix) = &self.index else {
            return Ok(None);
        };
        Ok(Some(IndexLookup {
            postings: postings
                .iter()
                .map(|t| ix.postings.get(t).cloned().unwrap_or_default())
                .collect(),
            facts: facts.iter().map(|t| ix.facts.contains(t)).collect(),
            all_blank: ix.all_blank,
        }))
    }

    fn some_digests(
        &self,
        indexes: &[usize],
        visit: &mut dyn FnMut(usize, &SourceDigest) -> bool,
    ) -> Result<(), Infallible> {
        for &i in indexes {
            if let Some(Some(d)) = self.digests.get(i) {
                self.digests_read.set(self.digests_read.get() + 1);
                if !visit(i, d) {
                    break;
                }
            }
        }
        Ok(())
    }
}

impl StoredSources for Shelf<'_> {
    type Error = Infallible;

    fn each_digest(&self, visit: &mut dyn FnMut(usize, &SourceDigest)) -> Result<(), Infallible> {
        for (i, d) in self.digests.iter().enumerate() {
            if let Some(d) = d {
                self.digests_read.set(self.digests_read.get() + 1);
                visit(i, d);
            }
        }
        Ok(())
    }

    fn remembered(&self, index: usize, words: (usize, usize)) -> Option<PassagePlace> {
        self.places.as_ref()?.borrow().get(&(index, words)).copied()
    }

    fn remember(&self, index: usize, words: (usize, usize), place: PassagePlace) {
        if let Some(places) = &self.places {
            places.borrow_mut().insert((index, words), place);
        }
    }

    fn text(&self, index: usize) -> Result<String, Infallible> {
        self.texts_read.set(self.texts_read.get() + 1);
        Ok(self.texts[index].to_string())
    }
}

fn checker(overlay: &str) -> Checker {
    let config = Config::from_overlay(Some(overlay), "test").unwrap();
    let template = Template::load("news").unwrap();
    Checker::load(&config.checks, &template).unwrap()
}

/// The configured passage length, and short ones (which find many more passages): loaded
/// once, compiling the rules takes a while.
fn checkers() -> &'static [Checker; 3] {
    static CHECKERS: std::sync::OnceLock<[Checker; 3]> = std::sync::OnceLock::new();
    CHECKERS.get_or_init(|| {
        [
            checker(""),
            checker("[checks]\nverbatim_words = 3\n"),
            checker("[checks]\nverbatim_words = 5\n"),
        ]
    })
}

/// A document of the news template's written sections with `texts`, against `sources`.
fn document<'a>(texts: &'a [String; 4], sources: &'a [SourceText<'a>]) -> Document<'a> {
    let names = ["title", "introduction", "body", "conclusion"];
    Document {
        sections: names
            .iter()
            .zip(texts)
            .map(|(name, text)| CheckedSection {
                name,
                text: Some(text.as_str()),
                required: true,
                min_chars: 0,
                max_chars: 100_000,
                file_lines: &[],
            })
            .collect(),
        references: Vec::new(),
        references_section: "references",
        headings: Vec::new(),
        sources,
    }
}

/// Findings both ways: with the texts, and from digests (whose document has no texts);
/// the findings through a source index must be those from the digests.
fn both(
    checker: &Checker,
    sections: &[String; 4],
    sources: &[String],
) -> (Vec<Finding>, Vec<Finding>) {
    let (direct, stored, indexed) = all_three(checker, sections, sources);
    assert_eq!(stored, indexed, "through the source index");
    (direct, stored)
}

/// Findings with the texts, from every digest, and through a source index.
fn all_three(
    checker: &Checker,
    sections: &[String; 4],
    sources: &[String],
) -> (Vec<Finding>, Vec<Finding>, Vec<Finding>) {
    let with_texts: Vec<SourceText> = sources
        .iter()
        .enumerate()
        .map(|(i, t)| SourceText {
            number: i as u32 + 1,
            label: "leak",
            text: t,
        })
        .collect();
    let direct = checker.run(&document(sections, &with_texts));
    let without_texts: Vec<SourceText> = with_texts
        .iter()
        .map(|s| SourceText { text: "", ..*s })
        .collect();
    let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
    let shelf = Shelf::new(&refs);
    let stored = match checker.run_stored(&document(sections, &without_texts), &shelf) {
        Ok(f) => f,
        Err(never) => match never {},
    };
    let shelf = Shelf::indexed(&refs, checker);
    let indexed = match checker.run_indexed(&document(sections, &without_texts), &shelf) {
        Ok(f) => f,
        Err(never) => match never {},
    };
    (direct, stored, indexed)
}

/// The pieces texts are made of: words that differ only in case, accents, invisible
/// characters and compatibility forms, ideographs, figures, amounts, percentages and dates in
/// several spellings, quotation marks, ellipses and brackets.
const PIECES: &[&str] = &[
    "the",
    "The",
    "THE",
    "board",
    "bo\u{200B}ard",
    "école",
    "ÉCOLE",
    "ecole",
    "cafe\u{301}",
    "café",
    "\u{FB01}nance",
    "finance",
    "東",
    "京",
    "都",
    "said",
    "will",
    "take",
    "it",
    "apart",
    "12",
    "40",
    "1,200",
    "1.200",
    "5.5",
    "5,5",
    "$5.5m",
    "€3 million",
    "5,500,000 dollars",
    "12%",
    "12 per cent",
    "forty",
    "four",
    "January 27, 2025",
    "27 January 2025",
    "2025-01-27",
    "27/01/2025",
    "March 3",
    "April 2025",
    "2025",
    "march",
    "“",
    "”",
    "\"",
    "…",
    "...",
    "[",
    "]",
    ",",
    ".",
    "\n",
    "\n\n",
    "—",
    "V3",
    "COVID-19",
    "https://example.org/2024/55",
];

fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(PIECES)
}

/// A text of `len` pieces.
fn text(len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), len).prop_map(|p| p.join(" "))
}

/// Sections, and sources that copy passages of them (and of each other), so that shared
/// runs, traced quotations and found figures all occur.
fn case() -> impl Strategy<Value = ([String; 4], Vec<String>)> {
    (
        text(0..8),
        text(0..30),
        text(0..120),
        text(0..30),
        prop::collection::vec((text(0..80), any::<u16>(), any::<u16>(), 0usize..4), 0..5),
    )
        .prop_map(|(a, b, c, d, raw)| {
            let sections = [a, b, c, d];
            let sources = raw
                .into_iter()
                .map(|(mut own, from, len, which)| {
                    // Splice in a passage of a section, cut at character boundaries.
                    let s = &sections[which];
                    let mut start = usize::from(from) % (s.len() + 1);
                    while !s.is_char_boundary(start) {
                        start -= 1;
                    }
                    let mut end = (start + usize::from(len) % 400).min(s.len());
                    while !s.is_char_boundary(end) {
                        end -= 1;
                    }
                    own.push(' ');
                    own.push_str(&s[start..end]);
                    own.push_str(" tail");
                    own
                })
                .collect();
            (sections, sources)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(96)
    ))]

    /// With the configured passage length and with a short one (which finds many more
    /// passages), the findings are the same.
    #[test]
    fn stored_sources_give_the_same_findings((sections, sources) in case()) {
        for (i, checker) in checkers().iter().enumerate() {
            let (direct, stored, indexed) = all_three(checker, &sections, &sources);
            prop_assert_eq!(&direct, &stored, "checker {}", i);
            prop_assert_eq!(&direct, &indexed, "checker {} through the index", i);
        }
    }
}

#[test]
fn a_planted_passage_is_found_and_only_its_source_is_read() {
    let checker = checker("");
    let passage = "the harbour board will take the whole sea wall apart and rebuild it by March";
    let sources = planted_sources(passage);
    let sections = [
        "Sea wall".to_string(),
        "An introduction of enough words to stand on its own here.".to_string(),
        format!("We learnt that {passage}, said one."),
        "The end.".to_string(),
    ];
    let (direct, stored) = both(&checker, &sections, &sources);
    assert_eq!(direct, stored);
    let verbatim: Vec<&Finding> = stored.iter().filter(|f| f.rule == "verbatim").collect();
    assert_eq!(verbatim.len(), 1, "{stored:#?}");
    let place = verbatim[0].source.as_ref().unwrap();
    assert_eq!((place.number, place.line), (5, 2));

    let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
    let shelf = Shelf::new(&refs);
    let with_numbers: Vec<SourceText> = (0..sources.len())
        .map(|i| SourceText {
            number: i as u32 + 1,
            label: "leak",
            text: "",
        })
        .collect();
    checker
        .run_stored(&document(&sections, &with_numbers), &shelf)
        .unwrap();
    assert_eq!(
        shelf.texts_read.get(),
        1,
        "only the source the passage is in"
    );
}

#[test]
fn repetitive_sources_hit_the_same_candidate_limit() {
    // More than 64 places share each window: which are tried depends on the order of the
    // sources and of the places in them, which both paths must keep.
    let checker = checker("[checks]\nverbatim_words = 6\n");
    let la = "la ".repeat(300);
    let sources = vec![
        format!("{la} mi la la la la la la do"),
        "la la la la la la la la mi la la la la la la do re".to_string(),
        format!("{la} la mi la la la la la la do re fa"),
    ];
    let sections = [
        "Title words here".to_string(),
        format!("x {} mi la la la la la la do re fa", "la ".repeat(7)),
        format!("{} and mi la la la la la la do re y", "la ".repeat(20)),
        "la la la la la la".to_string(),
    ];
    let (direct, stored) = both(&checker, &sections, &sources);
    assert!(direct.iter().any(|f| f.rule == "verbatim"));
    assert_eq!(direct, stored);
}

#[test]
fn no_source_text_means_no_source_checks_either_way() {
    let checker = checker("");
    let sections = [
        "Title".to_string(),
        "It cost $6 million, up 13 percent, on January 28, 2025.".to_string(),
        "“We will rebuild it apart,” he said.".to_string(),
        String::new(),
    ];
    for sources in [vec![], vec!["   \n ".to_string()], vec!["—".to_string()]] {
        let (direct, stored) = both(&checker, &sections, &sources);
        assert_eq!(direct, stored, "{sources:?}");
    }
}

/// Six sources of filler; the fifth holds `passage` on its second line.
fn planted_sources(passage: &str) -> Vec<String> {
    let filler = |seed: u32| -> String {
        (0..3000)
            .map(|i| format!("w{}x{}", (i * 7 + seed) % 997, seed))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut sources: Vec<String> = (0..6).map(filler).collect();
    sources[4] = format!("{}\nline two: {passage}. {}", filler(40), filler(41));
    sources
}

/// Six sources of filler, one of which (the fifth) holds a passage the article copies.
fn planted() -> (Vec<String>, [String; 4]) {
    let passage = "the harbour board will take the whole sea wall apart and rebuild it by March";
    let sources = planted_sources(passage);
    let sections = [
        "Sea wall".to_string(),
        "An introduction of enough words to stand on its own here, up 13 percent.".to_string(),
        format!("We learnt that {passage}, said one. It cost $6 million."),
        "The end.".to_string(),
    ];
    (sources, sections)
}

fn numbered(n: usize) -> Vec<SourceText<'static>> {
    (0..n)
        .map(|i| SourceText {
            number: i as u32 + 1,
            label: "leak",
            text: "",
        })
        .collect()
}

#[test]
fn the_index_reads_only_the_digests_of_the_sources_it_names() {
    let checker = checker("");
    let (sources, sections) = planted();
    let (direct, stored, indexed) = all_three(&checker, &sections, &sources);
    assert_eq!(direct, stored);
    assert_eq!(direct, indexed);
    assert_eq!(indexed.iter().filter(|f| f.rule == "verbatim").count(), 1);
    // The amount is in no source.
    assert!(indexed
        .iter()
        .any(|f| f.rule == "unsourced" && f.excerpt.contains("6 million")));

    let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
    let doc_sources = numbered(sources.len());
    let stored = Shelf::new(&refs);
    checker
        .run_stored(&document(&sections, &doc_sources), &stored)
        .unwrap();
    assert_eq!(stored.digests_read.get(), 6);
    let indexed = Shelf::indexed(&refs, &checker);
    checker
        .run_indexed(&document(&sections, &doc_sources), &indexed)
        .unwrap();
    assert_eq!(indexed.digests_read.get(), 1, "only the passage's source");
    assert_eq!(indexed.texts_read.get(), 1);
}

#[test]
fn a_wrong_index_gives_other_findings() {
    // What the property test compares would differ if the index were left out or wrong:
    // without the fifth source's terms, its passage goes unseen, and its figures untraced.
    let checker = checker("");
    let (mut sources, mut sections) = planted();
    sources[4].push_str(" It cost $7 million on January 28, 2025.");
    sections[2].push_str(" It cost $7 million on January 28, 2025.");
    let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
    let doc_sources = numbered(sources.len());
    let doc = document(&sections, &doc_sources);
    let right = Shelf::indexed(&refs, &checker);
    let right = checker.run_indexed(&doc, &right).unwrap();
    let mut wrong = Shelf::new(&refs);
    wrong.index = Some(MemoryIndex::build(
        checker.index_spec(),
        &wrong.digests,
        &[4],
    ));
    let wrong = checker.run_indexed(&doc, &wrong).unwrap();
    let count = |f: &[Finding], rule: &str| f.iter().filter(|f| f.rule == rule).count();
    assert_eq!(
        (count(&right, "verbatim"), count(&wrong, "verbatim")),
        (1, 0)
    );
    assert!(count(&wrong, "unsourced") > count(&right, "unsourced"));
}

#[test]
fn an_index_built_for_other_passage_lengths_is_not_used() {
    let checker = checker("");
    let (sources, sections) = planted();
    let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
    let doc_sources = numbered(sources.len());
    let doc = document(&sections, &doc_sources);
    let mut other = Shelf::new(&refs);
    other.index = Some(MemoryIndex::build(IndexSpec::new([7]), &other.digests, &[]));
    let found = checker.run_indexed(&doc, &other).unwrap();
    assert_eq!(found, checker.run_stored(&doc, &Shelf::new(&refs)).unwrap());
    assert_eq!(
        other.digests_read.get(),
        6,
        "every digest, as without an index"
    );
}

#[test]
fn long_quotation_parts_are_settled_from_the_digests_that_can_hold_them() {
    // Every three-word run of the quotation is in some source, the whole of it only in the
    // third: with passages of 12 words indexed, a part of six is looked for in the story's
    // order until found; with passages of 5, only in the sources holding one of its windows.
    let quote = "alpha beta gamma delta epsilon zeta";
    let sources = vec![
        "one alpha beta gamma two beta gamma delta three".to_string(),
        "four gamma delta epsilon five delta epsilon zeta six".to_string(),
        format!("seven {quote} eight"),
        "nine ten eleven twelve thirteen fourteen".to_string(),
        format!("fifteen {quote} sixteen"),
    ];
    let sections = [
        "Title".to_string(),
        format!("She said “{quote}” and “alpha beta gamma delta epsilon eta”."),
        "Nothing here.".to_string(),
        "The end.".to_string(),
    ];
    let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
    let doc_sources = numbered(sources.len());
    for (overlay, reads) in [("", 3), ("[checks]\nverbatim_words = 5\n", 2)] {
        let checker = checker(overlay);
        let (direct, stored, indexed) = all_three(&checker, &sections, &sources);
        assert_eq!(direct, stored);
        assert_eq!(direct, indexed);
        let untraced: Vec<&str> = indexed
            .iter()
            .filter(|f| f.rule == "unsourced")
            .map(|f| f.excerpt.as_str())
            .collect();
        assert_eq!(
            untraced,
            vec!["alpha beta gamma delta epsilon eta"],
            "{overlay}"
        );
        let shelf = Shelf::indexed(&refs, &checker);
        checker
            .run_indexed(&document(&sections, &doc_sources), &shelf)
            .unwrap();
        assert_eq!(shelf.digests_read.get(), reads, "{overlay}");
    }
}

#[test]
fn passages_placed_once_are_not_read_again() {
    let checker = checker("[checks]\nverbatim_words = 5\n");
    let (mut sources, sections) = planted();
    // The passage in two sources, and a second line of it in the first.
    sources[1] = format!("a\nb\n{}", sources[4]);
    let refs: Vec<&str> = sources.iter().map(String::as_str).collect();
    let with_texts: Vec<SourceText> = refs
        .iter()
        .enumerate()
        .map(|(i, t)| SourceText {
            number: i as u32 + 1,
            label: "leak",
            text: t,
        })
        .collect();
    let direct = checker.run(&document(&sections, &with_texts));
    assert!(direct.iter().any(|f| f.rule == "verbatim"));
    let mut shelf = Shelf::indexed(&refs, &checker);
    shelf.places = Some(Default::default());
    let doc_sources = numbered(sources.len());
    let doc = document(&sections, &doc_sources);
    assert_eq!(checker.run_indexed(&doc, &shelf).unwrap(), direct);
    let read = shelf.texts_read.get();
    assert!(read >= 1);
    assert_eq!(checker.run_indexed(&doc, &shelf).unwrap(), direct);
    assert_eq!(checker.run_stored(&doc, &shelf).unwrap(), direct);
    assert_eq!(shelf.texts_read.get(), read, "no text read again");
}
