//! All pre-publish checks on a 50 KiB article against its sources: 1 MiB, then 2 MiB and
//! 4 MiB, to show the time growing in step with the sources (the verbatim and traceability
//! analyses are linear in the texts).
//!
//! Run: `cargo bench --bench checks`. The texts are generated from a fixed seed, so every
//! run measures the same work: sentences of common English words with figures, dates and
//! quotations, a few passages the article shares with a source, and a references list.

#[path = "support/prose.rs"]
mod prose;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use prose::Gen;
use storydesk::checks::{markdown, Checker, SourceText};
use storydesk::config::{Config, Template};

const WORDS: &[&str] = &[
    "the",
    "council",
    "said",
    "on",
    "a",
    "report",
    "that",
    "harbour",
    "board",
    "would",
    "new",
    "plan",
    "money",
    "from",
    "fund",
    "people",
    "town",
    "year",
    "week",
    "minister",
    "court",
    "police",
    "school",
    "hospital",
    "water",
    "road",
    "rail",
    "line",
    "price",
    "rate",
    "bank",
    "company",
    "workers",
    "union",
    "strike",
    "vote",
    "election",
    "party",
    "leader",
    "office",
    "public",
    "health",
    "service",
    "budget",
    "cost",
    "tax",
    "energy",
    "power",
    "storm",
    "flood",
    "wall",
    "sea",
    "river",
    "bridge",
    "station",
    "train",
    "bus",
    "city",
    "village",
    "farm",
    "crop",
    "wheat",
    "field",
    "trial",
    "study",
    "data",
    "records",
    "patients",
    "doctors",
    "nurses",
    "letters",
    "meeting",
    "minutes",
    "statement",
    "spokesperson",
    "director",
    "engineers",
    "residents",
    "traders",
    "shops",
    "market",
    "street",
    "estate",
    "homes",
    "rent",
    "housing",
    "plans",
    "design",
    "works",
    "contract",
    "supplier",
    "account",
    "system",
    "access",
    "breach",
    "review",
    "inquiry",
    "evidence",
    "witness",
    "judge",
    "ruling",
    "appeal",
    "and",
    "but",
    "or",
    "because",
    "after",
    "before",
    "while",
    "when",
    "where",
    "which",
    "who",
    "has",
    "had",
    "was",
    "were",
    "is",
    "are",
    "will",
    "could",
    "should",
    "must",
    "may",
    "been",
    "not",
    "only",
    "also",
    "more",
    "less",
    "most",
    "many",
    "few",
    "several",
    "some",
    "every",
    "in",
    "at",
    "by",
    "for",
    "with",
    "over",
    "under",
    "between",
    "about",
    "against",
    "into",
    "asked",
    "agreed",
    "refused",
    "warned",
    "found",
    "expects",
    "planned",
    "approved",
    "rejected",
    "closed",
    "opened",
    "raised",
    "cut",
    "paid",
    "spent",
    "lost",
    "won",
    "built",
];

/// A 50 KiB article in Markdown, with a references list, that shares a few passages with
/// the sources.
fn article(shared: &[String]) -> String {
    let mut g = Gen::new(0x00a7_71c1_e5ee_d001, WORDS);
    let mut body = g.paragraphs_at_least(48 * 1024);
    for (i, passage) in shared.iter().enumerate() {
        let mut at = body.len() * (i + 1) / (shared.len() + 1);
        while !body.is_char_boundary(at) {
            at -= 1;
        }
        let at = body[..at].rfind("\n\n").map_or(0, |p| p + 2);
        body.insert_str(at, &format!("{passage}\n\n"));
    }
    let mut out = String::from("# Harbour board approves the sea wall plan after a long night\n\n");
    out.push_str(&g.paragraphs_at_least(600));
    out.push_str(&body);
    out.push_str("## References\n\n");
    for i in 0..20 {
        out.push_str(&format!(
            "- Reporter, A. (2024, March {}). Story number {i} about the harbour. *The Coast Gazette*. https://coastgazette.example/2024/{i}\n",
            i % 28 + 1
        ));
    }
    out
}

/// `bytes` of source text, and passages from it for the article to share.
fn sources(bytes: usize) -> (Vec<String>, Vec<String>) {
    let mut g = Gen::new(0x5005_ce00_0000_0001 ^ bytes as u64, WORDS);
    let parts = 4;
    let texts: Vec<String> = (0..parts)
        .map(|_| g.paragraphs_at_least(bytes / parts))
        .collect();
    let shared = texts
        .iter()
        .map(|t| {
            let mut start = t.len() / 2;
            while !t.is_char_boundary(start) {
                start -= 1;
            }
            let start = t[..start].rfind(' ').unwrap_or(0) + 1;
            let words: Vec<&str> = t[start..].split_whitespace().take(20).collect();
            words.join(" ")
        })
        .collect();
    (texts, shared)
}

fn bench_checks(c: &mut Criterion) {
    let config = Config::defaults();
    let template = Template::load("news").unwrap();
    let checker = Checker::load(&config.checks, &template).unwrap();
    let mut group = c.benchmark_group("checks");
    group.sample_size(20);
    for mib in [1usize, 2, 4] {
        let (texts, shared) = sources(mib << 20);
        let article = article(&shared);
        assert!(article.len() >= 50 * 1024, "{}", article.len());
        let src: Vec<SourceText> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| SourceText {
                number: i as u32 + 1,
                label: "source",
                text: t,
            })
            .collect();
        // The work is real: the planted passages are found.
        let file = markdown::parse(&article, &template);
        let findings = checker.run(&file.document(&template, &src));
        assert!(findings.iter().filter(|f| f.rule == "verbatim").count() >= shared.len());
        group.throughput(Throughput::Bytes(
            (article.len() + texts.iter().map(String::len).sum::<usize>()) as u64,
        ));
        group.bench_with_input(
            BenchmarkId::new("article_50KiB_sources_MiB", mib),
            &mib,
            |b, _| {
                b.iter(|| {
                    let file = markdown::parse(black_box(&article), &template);
                    black_box(checker.run(&file.document(&template, &src)))
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench_checks);
criterion_main!(benches);
