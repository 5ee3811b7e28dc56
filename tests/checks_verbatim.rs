//! Source protection: a passage of a leaked source hidden in an article is found in a large
//! source, whatever the article did to its spacing, case, punctuation and invisible
//! characters, and nothing shorter than the configured length is reported.

use storydesk::checks::verbatim::{shared_spans, words};
use storydesk::checks::{markdown, Checker, Level, SourceText};
use storydesk::config::{Config, Template};

/// A deterministic stream of words (xorshift over a vocabulary), so the texts are the same
/// on every run without a data file.
struct Words {
    state: u64,
    vocabulary: Vec<String>,
}

impl Words {
    /// Words made of syllables, with a prefix so two streams never share a word.
    fn new(seed: u64, prefix: &str) -> Self {
        let syllables = [
            "ka", "lo", "mi", "ren", "tu", "sa", "vel", "dor", "pi", "nak", "zu", "te", "bra",
            "quo", "fen", "li",
        ];
        let mut vocabulary = Vec::new();
        for a in syllables {
            for b in syllables {
                vocabulary.push(format!("{prefix}{a}{b}"));
            }
        }
        Words {
            state: seed,
            vocabulary,
        }
    }

    fn next(&mut self) -> &str {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let i = (self.state % self.vocabulary.len() as u64) as usize;
        &self.vocabulary[i]
    }

    /// About `bytes` bytes of text: sentences on lines of a dozen words.
    fn text(&mut self, bytes: usize) -> String {
        let mut out = String::with_capacity(bytes + 64);
        let mut n = 0;
        while out.len() < bytes {
            let w = self.next().to_string();
            out.push_str(&w);
            n += 1;
            out.push(if n % 12 == 0 { '\n' } else { ' ' });
        }
        out
    }
}

/// The passage planted in the source: 15 words, with an accented word.
const PASSAGE: &str =
    "the engineers were told to take the model apart and copy whatever they could café";

/// The same passage as the article has it: re-wrapped over three lines, its case changed,
/// a zero-width space inside a word, straight quotes and commas added, and the accented
/// word decomposed (NFD).
const DISGUISED: &str = "The Engineers were told,\nto TAKE the mo\u{200B}del apart —\n\"and copy whatever they could cafe\u{301}\"";

fn source_of_one_mib() -> (String, usize) {
    let mut gen = Words::new(0x5eed_1234_abcd_0001, "s");
    let mut source = gen.text(512 * 1024);
    let at = source.len();
    source.push_str(PASSAGE);
    source.push(' ');
    source.push_str(&gen.text(512 * 1024));
    assert!(source.len() >= 1024 * 1024);
    (source, at)
}

#[test]
fn a_fifteen_word_passage_is_found_in_a_mebibyte_of_source() {
    assert_eq!(words(PASSAGE).len(), 15);
    assert_eq!(words(DISGUISED).len(), 15);
    let (source, at) = source_of_one_mib();
    let mut gen = Words::new(0x0a11_ce00_0000_0007, "a");
    let article = format!("{}\n{DISGUISED}\n{}", gen.text(2000), gen.text(2000));
    let spans = shared_spans(&article, &[&source], 12);
    assert_eq!(spans.len(), 1, "{spans:?}");
    let span = &spans[0];
    assert_eq!(span.words, 15);
    assert_eq!(span.source, 0);
    // The passage is reported where it is, in both texts.
    assert_eq!(span.in_source, (at, at + PASSAGE.len()));
    let found = &article[span.article.0..span.article.1];
    assert!(found.starts_with("The Engineers"), "{found}");
    assert!(found.ends_with("cafe\u{301}"), "{found}");
}

#[test]
fn nothing_shorter_than_the_configured_length_is_reported() {
    let (source, _) = source_of_one_mib();
    // Eleven words of the passage, then twelve; spans must be at least N = 12 words.
    let eleven = PASSAGE.split(' ').take(11).collect::<Vec<_>>().join(" ");
    let twelve = PASSAGE.split(' ').take(12).collect::<Vec<_>>().join(" ");
    let mut gen = Words::new(0x0a11_ce00_0000_0009, "a");
    let article = format!("{}\n{eleven}\n{}", gen.text(3000), gen.text(3000));
    assert!(shared_spans(&article, &[&source], 12).is_empty());
    let article = format!("{}\n{twelve}\n{}", gen.text(3000), gen.text(3000));
    let spans = shared_spans(&article, &[&source], 12);
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].words, 12);
    // Whatever the length asked for, no span below it.
    for n in [2, 5, 12, 13, 15, 16] {
        let article = format!("x {DISGUISED} y");
        let spans = shared_spans(&article, &[&source], n);
        assert!(spans.iter().all(|s| s.words >= n), "n = {n}: {spans:?}");
        assert_eq!(spans.len(), usize::from(n <= 15), "n = {n}: {spans:?}");
    }
}

#[test]
fn the_checks_report_the_passage_with_its_place_in_article_and_source() {
    let (source, at) = source_of_one_mib();
    let config = Config::defaults();
    let template = Template::load("news").unwrap();
    let checker = Checker::load(&config.checks, &template).unwrap();
    let article = format!(
        "# A headline of some length\n\nAn introduction that is long enough for the template, written for this test, and then some more.\n\nA body paragraph opens the body.\n{DISGUISED}\n\nThe end of the story, with a conclusion.\n"
    );
    let sources = [SourceText {
        number: 1,
        label: "leaked memo",
        text: &source,
    }];
    let file = markdown::parse(&article, &template);
    let findings: Vec<_> = checker
        .run(&file.document(&template, &sources))
        .into_iter()
        .filter(|f| f.rule == "verbatim")
        .collect();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f.level, Level::Warning);
    assert_eq!((f.section.as_str(), f.line, f.column), ("body", 6, 1));
    let place = f.source.as_ref().unwrap();
    let line = source[..at].matches('\n').count() + 1;
    let column = source[..at].rsplit('\n').next().unwrap().chars().count() + 1;
    assert_eq!(
        (place.number, place.label.as_str(), place.line, place.column),
        (1, "leaked memo", line, column)
    );
    assert!(
        f.message
            .starts_with("15 words match source 1 “leaked memo”"),
        "{}",
        f.message
    );

    // A newsroom that wants longer passages only, at level error.
    let config = Config::from_overlay(Some("[checks]\nverbatim_words = 16\n"), "test").unwrap();
    let checker = Checker::load(&config.checks, &template).unwrap();
    assert!(!checker
        .run(&file.document(&template, &sources))
        .iter()
        .any(|f| f.rule == "verbatim"));
    let config =
        Config::from_overlay(Some("[checks]\nverbatim_level = \"error\"\n"), "test").unwrap();
    let checker = Checker::load(&config.checks, &template).unwrap();
    let findings = checker.run(&file.document(&template, &sources));
    let f = findings.iter().find(|f| f.rule == "verbatim").unwrap();
    assert_eq!(f.level, Level::Error);
}
