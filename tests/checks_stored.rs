//! The checks on stored sources ([`Checker::run_stored`]: each source's digest, computed
//! once when it was added, read in turn) find exactly what the checks find with every
//! source's text at hand ([`Checker::run`]): the same findings, in the same order, for
//! random articles and sources made to share passages, figures, dates and quotations.

use std::cell::Cell;
use std::convert::Infallible;

use proptest::prelude::*;

use storydesk::checks::{
    CheckedSection, Checker, Document, Finding, SourceDigest, SourceText, StoredSources,
};
use storydesk::config::{Config, Template};

/// The sources as a store would keep them: digests, and texts read only when asked.
struct Shelf<'a> {
    texts: Vec<&'a str>,
    digests: Vec<Option<SourceDigest>>,
    /// How many texts were read.
    texts_read: Cell<usize>,
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
        }
    }
}

impl StoredSources for Shelf<'_> {
    type Error = Infallible;

    fn each_digest(&self, visit: &mut dyn FnMut(usize, &SourceDigest)) -> Result<(), Infallible> {
        for (i, d) in self.digests.iter().enumerate() {
            if let Some(d) = d {
                visit(i, d);
            }
        }
        Ok(())
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

/// Findings both ways: with the texts, and from digests (whose document has no texts).
fn both(
    checker: &Checker,
    sections: &[String; 4],
    sources: &[String],
) -> (Vec<Finding>, Vec<Finding>) {
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
    (direct, stored)
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
            let (direct, stored) = both(checker, &sections, &sources);
            prop_assert_eq!(direct, stored, "checker {}", i);
        }
    }
}

#[test]
fn a_planted_passage_is_found_and_only_its_source_is_read() {
    let checker = checker("");
    let passage = "the harbour board will take the whole sea wall apart and rebuild it by March";
    let filler = |seed: u32| -> String {
        (0..3000)
            .map(|i| format!("w{}x{}", (i * 7 + seed) % 997, seed))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut sources: Vec<String> = (0..6).map(filler).collect();
    sources[4] = format!("{}\nline two: {passage}. {}", filler(40), filler(41));
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
