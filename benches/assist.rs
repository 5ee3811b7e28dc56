//! The extractive drafter on a 1 MiB source: the aim is a proposal in under a second.
//!
//! Run: `cargo bench --bench assist`. The source is generated, deterministic news-like prose:
//! sentences of 8 to 30 words drawn from a 5,000-word vocabulary with a Zipf distribution
//! (as in real text, a few words are everywhere and most are rare), with names and figures,
//! in paragraphs of 3 to 7 sentences.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use storydesk::assist::{extractive, Assistant, Brief, SourceText};
use storydesk::config::{Config, Template};

/// A deterministic generator (64-bit LCG, high bits).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Common English words, which a stop list removes.
const FUNCTION_WORDS: &[&str] = &[
    "the", "of", "and", "to", "in", "a", "that", "is", "for", "on", "with", "as", "was", "by",
    "it", "at", "from", "has", "have", "be", "an", "are", "said", "which", "its", "were",
];

/// A pronounceable word for vocabulary index `i`.
fn word(i: usize) -> String {
    const C: &[&str] = &[
        "b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "st", "tr", "pl",
    ];
    const V: &[&str] = &["a", "e", "i", "o", "u", "ai", "ou"];
    let mut n = i + 7;
    let mut w = String::new();
    for _ in 0..(2 + i % 3) {
        w.push_str(C[n % C.len()]);
        n /= C.len();
        w.push_str(V[n % V.len()]);
        n = n / V.len() + i;
    }
    w
}

/// About `bytes` of news-like prose.
fn source(bytes: usize, seed: u64) -> String {
    let vocabulary: Vec<String> = (0..5000).map(word).collect();
    // Zipf: the cumulative weights of 1/rank.
    let weights: Vec<f64> = (1..=vocabulary.len()).map(|r| 1.0 / r as f64).collect();
    let total: f64 = weights.iter().sum();
    let mut cumulative = Vec::with_capacity(weights.len());
    let mut acc = 0.0;
    for w in &weights {
        acc += w / total;
        cumulative.push(acc);
    }
    let mut rng = Lcg(seed);
    let pick = |rng: &mut Lcg| -> &str {
        let u = (rng.next() % 1_000_000) as f64 / 1_000_000.0;
        let i = cumulative
            .partition_point(|&c| c < u)
            .min(vocabulary.len() - 1);
        &vocabulary[i]
    };
    let names = [
        "Meta",
        "DeepSeek",
        "Zuckerberg",
        "Liang",
        "Nvidia",
        "OpenAI",
        "Llama",
        "Hangzhou",
    ];
    let mut out = String::with_capacity(bytes + 256);
    while out.len() < bytes {
        let sentences = 3 + rng.below(5);
        for s in 0..sentences {
            let words = 8 + rng.below(23);
            for w in 0..words {
                let token: String = match rng.below(10) {
                    0..=3 => FUNCTION_WORDS[rng.below(FUNCTION_WORDS.len())].to_string(),
                    4 if w > 0 => names[rng.below(names.len())].to_string(),
                    5 if rng.below(4) == 0 => {
                        format!("{}.{} million", rng.below(90) + 1, rng.below(10))
                    }
                    _ => pick(&mut rng).to_string(),
                };
                if w == 0 {
                    let mut c = token.chars();
                    let first = c.next().unwrap().to_uppercase().to_string();
                    out.push_str(&first);
                    out.push_str(c.as_str());
                } else {
                    out.push(' ');
                    out.push_str(&token);
                }
                if w + 1 < words && rng.below(12) == 0 {
                    out.push(',');
                }
            }
            out.push('.');
            // Wrapped lines, as in a pasted email.
            out.push(if s + 1 < sentences && rng.below(3) == 0 {
                '\n'
            } else {
                ' '
            });
        }
        out.push_str("\n\n");
    }
    out
}

fn brief(section: &str, text: &str) -> Brief {
    let template = Template::load("news").unwrap();
    Brief {
        title: Some("Meta scrambles over DeepSeek".into()),
        section: section.into(),
        outline: storydesk::desk::outline(&template),
        guidance: None,
        others: Vec::new(),
        redrafting: Vec::new(),
        sources: vec![SourceText {
            number: 1,
            label: "the dump".into(),
            text: text.to_string(),
            omitted_bytes: 0,
        }],
        omitted_sources: 0,
    }
}

fn bench(c: &mut Criterion) {
    let text = source(1 << 20, 42);
    assert!(text.len() >= 1 << 20);
    let mut group = c.benchmark_group("extractive 1 MiB");
    group.sample_size(10);
    for section in ["body", "introduction", "title"] {
        let b = brief(section, &text);
        // Each proposal is made of the source's own sentences.
        let d = extractive::draft(&b).unwrap();
        assert!(!d.text.is_empty());
        group.bench_function(section, |bench| {
            bench.iter(|| extractive::draft(&b).unwrap())
        });
    }
    // The whole path an adapter takes: the assistant, on tokio's blocking pool.
    let assistant = Assistant::from_config(&Config::defaults().assist).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let b = Arc::new(brief("body", &text));
    group.bench_function("body through the assistant", |bench| {
        bench.iter(|| {
            runtime
                .block_on(assistant.draft(b.clone(), &mut |_: &str| {}))
                .unwrap()
        })
    });
    group.finish();
    let sentences = extractive::sentences(&text);
    eprintln!(
        "source: {} bytes, {} sentences ({} candidates)",
        text.len(),
        sentences.len(),
        sentences.iter().filter(|s| s.candidate).count()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
