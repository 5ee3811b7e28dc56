//! Merging two edits of one section: a 60,000-character body (the template's maximum for
//! the body) in 100 paragraphs, one side rewriting a sentence in 20 paragraphs and the other
//! in 20 others; then the same with the two sides editing the same 20 paragraphs in different
//! sentences (merged at sentence level), and in the same words (20 conflicts).
//!
//! Run: `cargo bench --bench merge`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use storydesk::text::merge::merge;

const WORDS: &[&str] = &[
    "the", "council", "said", "report", "harbour", "board", "would", "plan", "money", "fund",
    "people", "town", "year", "minister", "court", "police", "school", "water", "price", "bank",
];

/// A paragraph of about 600 characters: sentences of words picked by a fixed rule.
fn paragraph(p: usize) -> Vec<String> {
    (0..6)
        .map(|s| {
            let words: Vec<&str> = (0..14)
                .map(|w| WORDS[(p * 31 + s * 7 + w * 3) % WORDS.len()])
                .collect();
            format!("In {p}.{s} {}.", words.join(" "))
        })
        .collect()
}

fn body(edit: impl Fn(usize, &mut Vec<String>)) -> String {
    (0..100)
        .map(|p| {
            let mut sentences = paragraph(p);
            edit(p, &mut sentences);
            sentences.join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn bench(c: &mut Criterion) {
    let base = body(|_, _| {});
    assert!(
        base.len() >= 55_000 && base.len() <= 60_000,
        "{}",
        base.len()
    );
    let mut group = c.benchmark_group("merge 60,000 characters");

    let latest = body(|p, s| {
        if p % 5 == 0 {
            s[2] = format!("Bob checked paragraph {p} again.");
        }
    });
    let submitted = body(|p, s| {
        if p % 5 == 1 {
            s[4] = format!("Alice added a figure to paragraph {p}.");
        }
    });
    assert!(merge(&base, &latest, &submitted).is_clean());
    group.bench_function("20 + 20 paragraphs", |b| {
        b.iter(|| merge(black_box(&base), black_box(&latest), black_box(&submitted)))
    });

    let submitted_same = body(|p, s| {
        if p % 5 == 0 {
            s[4] = format!("Alice added a figure to paragraph {p}.");
        }
    });
    assert!(merge(&base, &latest, &submitted_same).is_clean());
    group.bench_function("same 20 paragraphs, other sentences", |b| {
        b.iter(|| {
            merge(
                black_box(&base),
                black_box(&latest),
                black_box(&submitted_same),
            )
        })
    });

    let conflicting = body(|p, s| {
        if p % 5 == 0 {
            s[2] = format!("Alice checked paragraph {p} once more.");
        }
    });
    assert!(!merge(&base, &latest, &conflicting).is_clean());
    group.bench_function("same 20 sentences (20 conflicts)", |b| {
        b.iter(|| {
            merge(
                black_box(&base),
                black_box(&latest),
                black_box(&conflicting),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
