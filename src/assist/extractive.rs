//! The built-in extractive drafter: offline, deterministic, and unable to invent a fact.
//!
//! 1. **Sentences.** Each source is cut into sentences ([`sentences`]): paragraphs at blank
//!    lines, list items and header lines (`To: …`) on their own, wrapped lines joined, then
//!    sentences at `.`, `!`, `?` (and their CJK forms) followed by a space and a sentence
//!    start, not after an abbreviation (`Mr.`, `U.S.`, an initial). Only complete sentences
//!    are candidates: they start with a capital, a digit or a quote, end with terminal
//!    punctuation, and have 4 to 80 words. Repeats (a signature, a disclaimer) count once;
//!    sentences already in another section of the story are left out.
//! 2. **Ranking.** TextRank over sentence similarity: a sentence is central when it is
//!    similar to other central sentences. Similarity is the cosine of the sentences' TF-IDF
//!    word vectors (stop words removed), and the ranking is PageRank on that similarity
//!    graph with damping 0.85. The graph is never built: since the similarity matrix is
//!    `X·Xᵀ` (X: sentences × words), each PageRank step is two sparse products, so a 1 MiB
//!    source takes a fraction of a second instead of the hours an n² graph would. The
//!    person's guidance personalises the ranking: sentences sharing its words get more of
//!    the random jumps, and their scores are weighted up by the same factor.
//! 3. **Proposals.** The section's role comes from its place in the template: the `title`;
//!    the first section after it (the introduction) is the lead; with three or more written
//!    sections the last one is the closing; the others are body. A lead is the top sentences,
//!    most central first; a closing is the most central sentences about what comes next
//!    ("will", "expected", "unclear", …); a body is the rest of the most central sentences
//!    in source order, keeping the sources' paragraphs. Title candidates are the most central
//!    phrases: clauses of the top sentences (or their main clause, before a `when`, a
//!    `because` …) that fit the title's length, scored by how
//!    central their words are and how central their sentence is (looking further down the
//!    ranking, as far as it takes, only when no top sentence has a phrase that fits; a run
//!    of CJK characters counts a word for every two). The person's guidance also multiplies
//!    a candidate's score by one more for each of its words the candidate shares. Roles that another section has already written are not
//!    reserved, so a body does not skip sentences for an introduction written by hand; when
//!    sections are drafted together, their current texts are ignored, so the drafts of one
//!    batch share no sentence.
//!
//! Every sentence proposed is a source sentence, with its whitespace collapsed; every title
//! candidate is a phrase of one. The same brief always gives the same draft: words are
//! numbered in order of appearance, sums run in index order and ties break by position.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::{BoxFuture, Brief, Draft, Drafter, Failure, Origin, SectionOutline, Sink};

/// The drafter behind [`draft`], for use as a [`Drafter`]. It runs on tokio's blocking pool,
/// since ranking a large source is CPU work.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExtractiveDrafter;

impl Drafter for ExtractiveDrafter {
    fn origin(&self) -> Origin {
        Origin::Extractive
    }

    fn draft<'a>(
        &'a self,
        brief: Arc<Brief>,
        _sink: Sink<'a>,
    ) -> BoxFuture<'a, Result<Draft, Failure>> {
        Box::pin(async move {
            tokio::task::spawn_blocking(move || draft(&brief))
                .await
                .unwrap_or(Err(Failure::Crashed))
        })
    }
}

/// PageRank's damping factor: the chance of following a similarity edge rather than jumping.
const DAMPING: f64 = 0.85;
/// PageRank iterations at most; it stops earlier once the ranks settle.
const MAX_ITERATIONS: usize = 60;
/// Ranks have settled when they move less than this in total (L1) in one step.
const SETTLED: f64 = 1e-9;
/// Fewest words in a candidate sentence.
const MIN_WORDS: usize = 4;
/// Most words in a candidate sentence: longer ones are usually run-on text or tables.
const MAX_WORDS: usize = 80;
/// Sentences whose phrases are title candidates.
const TITLE_FROM_TOP: usize = 12;
/// Title candidates proposed (the first is the draft, the others alternatives).
const TITLE_CANDIDATES: usize = 3;
/// Words that open a subordinate clause: a title candidate may end before them.
const CLAUSE_JOINTS: &[&str] = &[
    " when ",
    " after ",
    " because ",
    " while ",
    " although ",
    " whereas ",
    " but ",
    " which ",
    " so that ",
    " even though ",
    " before ",
    " until ",
];
/// Most sentences in a lead.
const LEAD_SENTENCES: usize = 3;

/// Words that say nothing about the story: left out of similarity and phrase scores.
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "said",
    "says",
    "say",
    "according",
    "one",
    "two",
    "may",
    "might",
    "must",
    "shall",
    "per",
    "via",
    "yet",
    "s",
    "t",
    "don",
    "didn",
    "doesn",
    "isn",
    "wasn",
    "weren",
    "won",
    "ll",
    "re",
    "ve",
];

/// Words that mark a sentence about what comes next or what is not known: closing material.
const NEXT_WORDS: &[&str] = &[
    "will", "would", "expected", "expects", "expect", "plans", "plan", "planned", "next", "future",
    "remains", "remain", "unclear", "unknown", "later", "soon", "upcoming", "pending", "whether",
    "yet", "coming", "could", "await", "awaits", "awaiting",
];

/// Abbreviations after which a period does not end a sentence (lowercase, without the
/// period).
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "inc", "ltd", "co", "corp", "vs", "e.g",
    "i.e", "no", "fig", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
    "nov", "dec", "gen", "col", "lt", "sgt", "rep", "sen", "gov", "approx", "dept", "est", "mt",
    "ft", "rev", "hon", "pres", "u.s", "u.k", "u.n", "e.u", "a.m", "p.m", "cf", "al",
];

/// One sentence of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSentence {
    /// The sentence, whitespace collapsed to single spaces.
    pub text: String,
    /// The paragraph it is in, counted from 0 within its source.
    pub paragraph: usize,
    /// True when it can be proposed: a complete sentence of a reasonable length.
    pub candidate: bool,
}

/// Cuts a text into sentences (see the module documentation). Pure and deterministic.
pub fn sentences(text: &str) -> Vec<SourceSentence> {
    let mut out = Vec::new();
    for (paragraph, unit) in units(text) {
        split_unit(&unit, paragraph, &mut out);
    }
    out
}

/// The text's units (paragraphs, list items, header lines), whitespace collapsed, with
/// their paragraph numbers.
fn units(text: &str) -> Vec<(usize, String)> {
    let mut units = Vec::new();
    let mut paragraph = 0usize;
    let mut current = String::new();
    let mut current_para = 0usize;
    let mut blank_before = false;
    fn flush(current: &mut String, para: usize, units: &mut Vec<(usize, String)>) {
        if !current.trim().is_empty() {
            units.push((para, std::mem::take(current)));
        } else {
            current.clear();
        }
    }
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            if !current.is_empty() {
                flush(&mut current, current_para, &mut units);
            }
            blank_before = true;
            continue;
        }
        if blank_before && !units.is_empty() {
            paragraph += 1;
        }
        blank_before = false;
        let starts_unit = is_list_item(trimmed) || is_header_line(trimmed);
        let previous_ended_unit = current.trim_end().ends_with(':');
        if starts_unit || previous_ended_unit {
            flush(&mut current, current_para, &mut units);
        }
        if current.is_empty() {
            current_para = paragraph;
        } else {
            current.push(' ');
        }
        let mut words = trimmed.split_whitespace();
        if let Some(first) = words.next() {
            current.push_str(first);
        }
        for w in words {
            current.push(' ');
            current.push_str(w);
        }
        if is_header_line(trimmed) {
            flush(&mut current, current_para, &mut units);
        }
    }
    flush(&mut current, current_para, &mut units);
    units
}

/// `- item`, `* item`, `• item`, `1. item`, `2) item`.
fn is_list_item(line: &str) -> bool {
    let mut chars = line.chars();
    match chars.next() {
        Some('-' | '*' | '•' | '–' | '·') => chars.next().is_some_and(char::is_whitespace),
        Some(c) if c.is_ascii_digit() => {
            let rest = line.trim_start_matches(|c: char| c.is_ascii_digit());
            (rest.starts_with(". ") || rest.starts_with(") ")) && line.len() - rest.len() <= 3
        }
        _ => false,
    }
}

/// `To: leadership`, `Subject: war rooms`: a short label, a colon, a value, no sentence end.
fn is_header_line(line: &str) -> bool {
    let Some((label, value)) = line.split_once(": ") else {
        return false;
    };
    let label_words = label.split_whitespace().count();
    (1..=3).contains(&label_words)
        && label.chars().next().is_some_and(char::is_uppercase)
        && label
            .chars()
            .all(|c| c.is_alphanumeric() || c == ' ' || c == '-')
        && !value.trim_end().ends_with(['.', '!', '?'])
        && value.split_whitespace().count() <= 12
}

/// Characters that end a sentence.
fn is_terminal(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…' | '。' | '！' | '？')
}

/// Characters that may follow the terminal punctuation inside the sentence.
fn is_closer(c: char) -> bool {
    matches!(c, '"' | '\'' | '”' | '’' | ')' | ']' | '»' | '」' | '』')
}

/// Characters a sentence may start with besides letters and digits.
fn is_opener(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '“' | '‘' | '(' | '[' | '«' | '「' | '『' | '¿' | '¡'
    )
}

/// True when a sentence ending exactly like `before` would be cut from a following sentence
/// that starts with `next`.
fn is_boundary(before: &str, next: char) -> bool {
    let body = before.trim_end_matches(is_closer);
    let Some(last) = body.chars().next_back() else {
        return false;
    };
    if !is_terminal(last) {
        return false;
    }
    if matches!(last, '。' | '！' | '？') {
        return true;
    }
    if next.is_lowercase() || next.is_ascii_digit() && last == '.' {
        return false;
    }
    if last == '.' {
        let word = body[..body.len() - 1]
            .rsplit(|c: char| c.is_whitespace() || is_opener(c))
            .next()
            .unwrap_or_default();
        let lower = word.to_lowercase();
        let mut letters = word.chars().filter(|c| c.is_alphabetic());
        let single_initial = letters.next().is_some_and(char::is_uppercase)
            && letters.next().is_none()
            && word.chars().count() == 1;
        if single_initial || ABBREVIATIONS.contains(&lower.as_str()) {
            return false;
        }
        // An ellipsis before a capital ends a sentence.
        if word.ends_with("..") {
            return true;
        }
        // `U.S.`, `e.g.`: dotted abbreviations.
        if lower.contains('.')
            && lower
                .split('.')
                .all(|p| !p.is_empty() && p.chars().count() <= 2)
        {
            return false;
        }
    }
    true
}

/// Splits one unit into sentences.
fn split_unit(unit: &str, paragraph: usize, out: &mut Vec<SourceSentence>) {
    let mut start = 0usize;
    let chars: Vec<(usize, char)> = unit.char_indices().collect();
    let mut i = 0usize;
    while i < chars.len() {
        let c = chars[i].1;
        if is_terminal(c) {
            // Take following terminal marks (`?!`, `...`) and closers (`.”`).
            let mut j = i + 1;
            while j < chars.len() && (is_terminal(chars[j].1) || is_closer(chars[j].1)) {
                j += 1;
            }
            let end = chars.get(j).map(|(p, _)| *p).unwrap_or(unit.len());
            let cjk = matches!(c, '。' | '！' | '？');
            let next = if cjk {
                chars.get(j).map(|(_, c)| *c)
            } else if chars.get(j).is_some_and(|(_, c)| *c == ' ') {
                chars.get(j + 1).map(|(_, c)| *c)
            } else if j >= chars.len() {
                None
            } else {
                // No space after the mark: `5.5`, `example.com`.
                i = j;
                continue;
            };
            let here = &unit[start..end];
            let cut = match next {
                None => true,
                Some(n) => is_boundary(here, n),
            };
            if cut {
                push_sentence(here, paragraph, out);
                start = end;
            }
            i = j;
            continue;
        }
        i += 1;
    }
    if start < unit.len() {
        push_sentence(&unit[start..], paragraph, out);
    }
}

/// Adds a sentence, deciding whether it may be proposed.
fn push_sentence(text: &str, paragraph: usize, out: &mut Vec<SourceSentence>) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    let words = text.split_whitespace().count();
    let starts_well = text
        .chars()
        .next()
        .is_some_and(|c| (c.is_alphanumeric() && !c.is_lowercase()) || is_opener(c));
    let ends_well = is_boundary(text, 'A');
    let cjk = text.chars().filter(|c| is_cjk(*c)).count();
    let long_enough = words >= MIN_WORDS || cjk >= 8;
    let candidate = starts_well && ends_well && long_enough && words <= MAX_WORDS;
    out.push(SourceSentence {
        text: text.to_string(),
        paragraph,
        candidate,
    });
}

/// CJK ideographs and kana: each is a word of its own for similarity.
fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xAC00..=0xD7AF)
}

/// The content words of a text, lowercase, stop words left out.
fn content_words(text: &str) -> Vec<String> {
    fn end_word(current: &mut String, words: &mut Vec<String>) {
        if current.chars().count() > 1 && !STOP_WORDS.contains(&current.as_str()) {
            words.push(std::mem::take(current));
        } else {
            current.clear();
        }
    }
    let mut words = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if is_cjk(c) {
            end_word(&mut current, &mut words);
            words.push(c.to_string());
        } else if c.is_alphanumeric() {
            current.extend(c.to_lowercase());
        } else {
            end_word(&mut current, &mut words);
        }
    }
    end_word(&mut current, &mut words);
    words
}

/// A candidate sentence in the ranking.
#[derive(Debug, Clone)]
struct Candidate {
    /// The sentence.
    text: String,
    /// Index of its source in the brief.
    source: usize,
    /// Its paragraph within the source.
    paragraph: usize,
    /// Its word vector: (word id, TF-IDF weight), L2-normalised, sorted by word id.
    vector: Vec<(u32, f64)>,
    /// Its PageRank score.
    rank: f64,
}

/// Collapses runs of whitespace to single spaces, as sentences are compared and proposed.
pub fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The ranked candidate sentences of a brief, and the word weights used for phrases.
struct Ranking {
    /// Candidates in source order.
    sentences: Vec<Candidate>,
    /// Inverse document frequency per word id.
    idf: Vec<f64>,
    /// Word ids by word.
    vocabulary: HashMap<String, u32>,
}

impl Ranking {
    /// Candidate indices, most central first (ties: source order).
    fn by_rank(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.sentences.len()).collect();
        order.sort_by(|&a, &b| {
            self.sentences[b]
                .rank
                .total_cmp(&self.sentences[a].rank)
                .then(a.cmp(&b))
        });
        order
    }
}

/// Cuts, filters and ranks the sentences of a brief.
fn rank(brief: &Brief) -> Ranking {
    // Sentences other sections already use, cut the same way (not those of sections being
    // redrafted together with this one).
    let already: HashSet<String> = brief
        .others
        .iter()
        .filter(|(name, _)| !brief.redrafting.contains(name))
        .flat_map(|(_, t)| sentences(t))
        .map(|s| s.text)
        .collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut vocabulary: HashMap<String, u32> = HashMap::new();
    let mut counts: Vec<Vec<(u32, u32)>> = Vec::new();
    let mut sentences = Vec::new();
    for (source, s) in brief.sources.iter().enumerate() {
        for sentence in self::sentences(&s.text) {
            if !sentence.candidate {
                continue;
            }
            if !seen.insert(sentence.text.to_lowercase()) {
                continue;
            }
            if already.contains(&sentence.text) {
                continue;
            }
            let mut tf: Vec<(u32, u32)> = Vec::new();
            for word in content_words(&sentence.text) {
                let next = vocabulary.len() as u32;
                let id = *vocabulary.entry(word).or_insert(next);
                match tf.iter_mut().find(|(w, _)| *w == id) {
                    Some((_, n)) => *n += 1,
                    None => tf.push((id, 1)),
                }
            }
            tf.sort_unstable();
            counts.push(tf);
            sentences.push(Candidate {
                text: sentence.text,
                source,
                paragraph: sentence.paragraph,
                vector: Vec::new(),
                rank: 0.0,
            });
        }
    }
    let n = sentences.len();
    let mut df = vec![0u32; vocabulary.len()];
    for tf in &counts {
        for (w, _) in tf {
            df[*w as usize] += 1;
        }
    }
    let idf: Vec<f64> = df
        .iter()
        .map(|&d| ((n as f64 + 1.0) / (f64::from(d) + 0.5)).ln().max(0.0))
        .collect();
    for (candidate, tf) in sentences.iter_mut().zip(&counts) {
        let mut vector: Vec<(u32, f64)> = tf
            .iter()
            .map(|&(w, c)| (w, (1.0 + f64::from(c).ln()) * idf[w as usize]))
            .filter(|(_, x)| *x > 0.0)
            .collect();
        let norm = vector.iter().map(|(_, x)| x * x).sum::<f64>().sqrt();
        if norm > 0.0 {
            for (_, x) in &mut vector {
                *x /= norm;
            }
        }
        candidate.vector = vector;
    }
    let personal = personalisation(brief, &sentences, &vocabulary);
    let ranks = pagerank(&sentences, vocabulary.len(), &personal);
    // The guidance also weighs on the result directly: personalised PageRank alone can lift
    // a matching sentence's neighbours above the sentence itself.
    let uniform = 1.0 / sentences.len().max(1) as f64;
    let weighted: Vec<f64> = ranks
        .iter()
        .zip(&personal)
        .map(|(r, p)| r * p / uniform)
        .collect();
    let total: f64 = weighted.iter().sum();
    for (s, r) in sentences.iter_mut().zip(weighted) {
        s.rank = if total > 0.0 { r / total } else { r };
    }
    Ranking {
        sentences,
        idf,
        vocabulary,
    }
}

/// Where PageRank's random jumps land: evenly, or more often on sentences that share words
/// with the person's guidance.
fn personalisation(
    brief: &Brief,
    sentences: &[Candidate],
    vocabulary: &HashMap<String, u32>,
) -> Vec<f64> {
    let n = sentences.len();
    let wanted: Vec<u32> = brief
        .guidance
        .as_deref()
        .map(content_words)
        .unwrap_or_default()
        .iter()
        .filter_map(|w| vocabulary.get(w).copied())
        .collect();
    let mut p: Vec<f64> = sentences
        .iter()
        .map(|s| {
            let hits = wanted
                .iter()
                .filter(|w| s.vector.binary_search_by(|(x, _)| x.cmp(w)).is_ok())
                .count();
            1.0 + 4.0 * hits as f64
        })
        .collect();
    let total: f64 = p.iter().sum();
    if total > 0.0 {
        for x in &mut p {
            *x /= total;
        }
    } else if n > 0 {
        p = vec![1.0 / n as f64; n];
    }
    p
}

/// PageRank on the cosine-similarity graph of the sentences, without building the graph:
/// `S·w = X·(Xᵀ·w) − diag(S)∘w`, where row `i` of `X` is sentence `i`'s vector.
fn pagerank(sentences: &[Candidate], words: usize, personal: &[f64]) -> Vec<f64> {
    let n = sentences.len();
    if n == 0 {
        return Vec::new();
    }
    let dot_with = |v: &[(u32, f64)], dense: &[f64]| -> f64 {
        v.iter().map(|&(w, x)| x * dense[w as usize]).sum()
    };
    let self_similarity: Vec<f64> = sentences
        .iter()
        .map(|s| s.vector.iter().map(|(_, x)| x * x).sum())
        .collect();
    // Out-weights: the sum of each sentence's similarities to the others.
    let mut column = vec![0.0f64; words];
    for s in sentences {
        for &(w, x) in &s.vector {
            column[w as usize] += x;
        }
    }
    let out: Vec<f64> = sentences
        .iter()
        .zip(&self_similarity)
        .map(|(s, own)| (dot_with(&s.vector, &column) - own).max(0.0))
        .collect();
    let mut rank = personal.to_vec();
    let mut spread = vec![0.0f64; words];
    for _ in 0..MAX_ITERATIONS {
        spread.iter_mut().for_each(|x| *x = 0.0);
        let mut dangling = 0.0;
        let share: Vec<f64> = rank
            .iter()
            .zip(&out)
            .map(|(&r, &o)| {
                if o > 1e-12 {
                    r / o
                } else {
                    dangling += r;
                    0.0
                }
            })
            .collect();
        for (s, &w) in sentences.iter().zip(&share) {
            if w != 0.0 {
                for &(word, x) in &s.vector {
                    spread[word as usize] += x * w;
                }
            }
        }
        let mut next = Vec::with_capacity(n);
        for i in 0..n {
            let from_others =
                (dot_with(&sentences[i].vector, &spread) - self_similarity[i] * share[i]).max(0.0);
            next.push(
                (1.0 - DAMPING) * personal[i] + DAMPING * (from_others + dangling * personal[i]),
            );
        }
        let total: f64 = next.iter().sum();
        if total > 0.0 {
            next.iter_mut().for_each(|x| *x /= total);
        }
        let moved: f64 = next.iter().zip(&rank).map(|(a, b)| (a - b).abs()).sum();
        rank = next;
        if moved < SETTLED {
            break;
        }
    }
    rank
}

/// What a section does in the article, from its place in the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The headline.
    Title,
    /// The first section after the title: the most important facts.
    Lead,
    /// The last section when there are three or more: what comes next.
    Closing,
    /// Everything else: the evidence.
    Body,
}

/// The role of each section of an outline.
pub fn roles(outline: &[SectionOutline]) -> Vec<(String, Role)> {
    let prose: Vec<&SectionOutline> = outline.iter().filter(|s| s.name != "title").collect();
    outline
        .iter()
        .map(|s| {
            let role = if s.name == "title" {
                Role::Title
            } else if prose.first().is_some_and(|f| f.name == s.name) {
                Role::Lead
            } else if prose.len() >= 3 && prose.last().is_some_and(|l| l.name == s.name) {
                Role::Closing
            } else {
                Role::Body
            };
            (s.name.clone(), role)
        })
        .collect()
}

/// How much text a role aims for, within the section's bounds.
fn target_chars(role: Role, s: &SectionOutline) -> usize {
    let (min, max) = (s.min_chars as usize, s.max_chars as usize);
    let aim = match role {
        Role::Title => max,
        Role::Lead => (3 * min).max(300),
        Role::Closing => (3 * min).max(250),
        Role::Body => (8 * min).max(1500),
    };
    aim.min(max)
}

/// Picks sentences in the given order until the target is reached, never passing `max`.
fn pick(order: &[usize], ranking: &Ranking, target: usize, max: usize, most: usize) -> Vec<usize> {
    let mut picked = Vec::new();
    let mut total = 0usize;
    for &i in order {
        if picked.len() >= most || total >= target {
            break;
        }
        let len = ranking.sentences[i].text.chars().count() + usize::from(!picked.is_empty());
        if total + len > max || (total + len > target && !picked.is_empty()) {
            continue;
        }
        picked.push(i);
        total += len;
    }
    picked
}

/// True when the sentence talks about what comes next or what is not known.
fn looks_ahead(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| NEXT_WORDS.contains(&w))
}

/// Drafts the brief's section. Pure and deterministic (see the module documentation).
pub fn draft(brief: &Brief) -> Result<Draft, Failure> {
    let target = brief.target().ok_or_else(|| Failure::UnknownSection {
        section: brief.section.clone(),
    })?;
    let roles = roles(&brief.outline);
    let role_of = |name: &str| roles.iter().find(|(n, _)| n == name).map(|(_, r)| *r);
    let role = role_of(&target.name).unwrap_or(Role::Body);
    let ranking = rank(brief);
    if ranking.sentences.is_empty() {
        return Err(Failure::NoSentences);
    }
    let order = ranking.by_rank();
    let written = |role: Role| {
        brief.others.iter().any(|(name, text)| {
            role_of(name) == Some(role)
                && !text.trim().is_empty()
                && !brief.redrafting.contains(name)
        })
    };
    let outline_of = |role: Role| -> Option<&SectionOutline> {
        roles
            .iter()
            .find(|(_, r)| *r == role)
            .and_then(|(name, _)| brief.outline.iter().find(|s| &s.name == name))
    };

    // The lead and the closing are chosen first, whichever section is asked for, so the
    // body leaves their sentences to them (unless those sections are written already).
    let lead = |ranking: &Ranking| -> Vec<usize> {
        match outline_of(Role::Lead) {
            Some(s) => pick(
                &order,
                ranking,
                target_chars(Role::Lead, s),
                s.max_chars as usize,
                LEAD_SENTENCES,
            ),
            None => Vec::new(),
        }
    };
    let closing = |ranking: &Ranking, taken: &[usize]| -> Vec<usize> {
        let Some(s) = outline_of(Role::Closing) else {
            return Vec::new();
        };
        let ahead: Vec<usize> = order
            .iter()
            .copied()
            .filter(|i| !taken.contains(i) && looks_ahead(&ranking.sentences[*i].text))
            .collect();
        let pool: Vec<usize> = if ahead.is_empty() {
            order
                .iter()
                .copied()
                .filter(|i| !taken.contains(i))
                .collect()
        } else {
            ahead
        };
        let mut picked = pick(
            &pool,
            ranking,
            target_chars(Role::Closing, s),
            s.max_chars as usize,
            usize::MAX,
        );
        picked.sort_unstable();
        picked
    };

    let (chosen, in_rank_order) = match role {
        Role::Title => return title(brief, &ranking, &order, target),
        Role::Lead => (lead(&ranking), true),
        Role::Closing => {
            let taken = if written(Role::Lead) {
                Vec::new()
            } else {
                lead(&ranking)
            };
            (closing(&ranking, &taken), false)
        }
        Role::Body => {
            let mut taken = if written(Role::Lead) {
                Vec::new()
            } else {
                lead(&ranking)
            };
            if !written(Role::Closing) {
                let end = closing(&ranking, &taken);
                taken.extend(end);
            }
            let rest: Vec<usize> = order
                .iter()
                .copied()
                .filter(|i| !taken.contains(i))
                .collect();
            let mut picked = pick(
                &rest,
                &ranking,
                target_chars(Role::Body, target),
                target.max_chars as usize,
                usize::MAX,
            );
            picked.sort_unstable();
            (picked, false)
        }
    };
    if chosen.is_empty() {
        // Every usable sentence went to the other sections, or none fits this one.
        return Err(Failure::NoSentences);
    }
    let text = if in_rank_order {
        chosen
            .iter()
            .map(|&i| ranking.sentences[i].text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        paragraphs(&ranking, &chosen)
    };
    let mut from: Vec<u32> = chosen
        .iter()
        .map(|&i| brief.sources[ranking.sentences[i].source].number)
        .collect();
    from.sort_unstable();
    from.dedup();
    Ok(Draft {
        from_sources: from,
        ..Draft::plain(text)
    })
}

/// Sentences in source order, a paragraph break wherever the source had one.
fn paragraphs(ranking: &Ranking, chosen: &[usize]) -> String {
    let mut text = String::new();
    let mut last: Option<(usize, usize)> = None;
    for &i in chosen {
        let s = &ranking.sentences[i];
        let here = (s.source, s.paragraph);
        match last {
            None => {}
            Some(prev) if prev == here => text.push(' '),
            Some(_) => text.push_str("\n\n"),
        }
        text.push_str(&s.text);
        last = Some(here);
    }
    text
}

/// Title candidates: the most central phrases of the top sentences that fit the title.
fn title(
    brief: &Brief,
    ranking: &Ranking,
    order: &[usize],
    spec: &SectionOutline,
) -> Result<Draft, Failure> {
    // How central each word is: the ranks of the sentences it appears in, weighted by
    // how distinctive it is.
    let mut centrality = vec![0.0f64; ranking.idf.len()];
    for s in &ranking.sentences {
        for &(w, _) in &s.vector {
            centrality[w as usize] += s.rank;
        }
    }
    for (c, idf) in centrality.iter_mut().zip(&ranking.idf) {
        *c *= idf;
    }
    let (min, max) = (spec.min_chars as usize, spec.max_chars as usize);
    let top_rank = order
        .first()
        .map(|&i| ranking.sentences[i].rank)
        .unwrap_or(1.0)
        .max(f64::MIN_POSITIVE);
    let mut candidates: Vec<(f64, usize, String, usize)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut wanted = brief
        .guidance
        .as_deref()
        .map(content_words)
        .unwrap_or_default();
    wanted.sort();
    wanted.dedup();
    for (position, &i) in order.iter().enumerate() {
        // The top sentences give the candidates; further down only while none was found,
        // as far down as it takes: in a large source the most central sentences are often
        // the long ones, and looking at a phrase costs little.
        if position >= TITLE_FROM_TOP && !candidates.is_empty() {
            break;
        }
        let sentence = &ranking.sentences[i];
        for phrase in phrases(&sentence.text) {
            let chars = phrase.chars().count();
            let words = phrase_words(&phrase);
            if chars < min.max(1) || chars > max || !(4..=16).contains(&words) {
                continue;
            }
            if !seen.insert(phrase.to_lowercase()) {
                continue;
            }
            let content = content_words(&phrase);
            // The person's guidance ranks candidates by the words they share with it.
            let shared = wanted.iter().filter(|w| content.contains(w)).count();
            let score: f64 = content
                .iter()
                .filter_map(|w| ranking.vocabulary.get(w))
                .map(|&w| centrality[w as usize])
                .sum::<f64>()
                / (words as f64).sqrt()
                * (sentence.rank / top_rank).sqrt()
                * (1.0 + shared as f64);
            candidates.push((score, position, phrase, sentence.source));
        }
    }
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut top = candidates.into_iter().take(TITLE_CANDIDATES);
    let Some((_, _, first, source)) = top.next() else {
        return Err(Failure::NothingFits {
            max_chars: spec.max_chars,
        });
    };
    let rest: Vec<(String, usize)> = top.map(|(_, _, p, s)| (p, s)).collect();
    let mut from: Vec<u32> = std::iter::once(source)
        .chain(rest.iter().map(|(_, s)| *s))
        .map(|s| brief.sources[s].number)
        .collect();
    from.sort_unstable();
    from.dedup();
    Ok(Draft {
        alternatives: rest.into_iter().map(|(p, _)| p).collect(),
        from_sources: from,
        ..Draft::plain(first)
    })
}

/// A phrase's length in words, for the title's bounds: its words between spaces, where a
/// run of CJK characters (written without spaces) counts a word for every two characters.
fn phrase_words(phrase: &str) -> usize {
    phrase
        .split_whitespace()
        .map(|token| {
            let cjk = token.chars().filter(|c| is_cjk(*c)).count();
            let other = token.chars().any(|c| c.is_alphanumeric() && !is_cjk(c));
            cjk.div_ceil(2) + usize::from(other || cjk == 0)
        })
        .sum()
}

/// How many of the guidance's words `text` shares, for the note that says what the
/// guidance did to an extractive draft.
pub fn guidance_words_in(guidance: &str, text: &str) -> usize {
    let mut wanted = content_words(guidance);
    wanted.sort();
    wanted.dedup();
    let have: HashSet<String> = content_words(text).into_iter().collect();
    wanted.iter().filter(|w| have.contains(*w)).count()
}

/// A sentence's phrases: the sentence without its final punctuation, its clauses (split at
/// commas, semicolons, colons, dashes and brackets) and their main clauses (before a
/// subordinating word such as `when` or `because`), each trimmed, starting with
/// a capital or a digit, with balanced quotes and brackets.
fn phrases(sentence: &str) -> Vec<String> {
    let strip = |s: &str| -> String {
        s.trim()
            .trim_end_matches(|c: char| {
                is_terminal(c) || matches!(c, ',' | ';' | ':' | '，' | '；' | '：')
            })
            .trim()
            .to_string()
    };
    let mut out = vec![strip(sentence)];
    for clause in sentence.split([
        ',', ';', ':', '—', '–', '(', ')', '，', '；', '：', '（', '）', '、',
    ]) {
        out.push(strip(clause));
        // The main clause before a subordinate one: "Management is worried about the cost"
        // out of "… the cost when a small lab …".
        for joint in CLAUSE_JOINTS {
            if let Some((main, _)) = clause.split_once(joint) {
                out.push(strip(main));
            }
        }
    }
    out.retain(|p| {
        let balanced = p.matches('"').count() % 2 == 0
            && p.matches('“').count() == p.matches('”').count()
            && p.matches('(').count() == p.matches(')').count();
        let starts = p
            .chars()
            .next()
            .is_some_and(|c| (c.is_alphanumeric() && !c.is_lowercase()) || c == '“' || c == '"');
        balanced && starts
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assist::SourceText;

    fn outline() -> Vec<SectionOutline> {
        let s = |name: &str, min: u32, max: u32| SectionOutline {
            name: name.into(),
            guidance: String::new(),
            min_chars: min,
            max_chars: max,
        };
        vec![
            s("title", 10, 120),
            s("introduction", 100, 1200),
            s("body", 500, 60000),
            s("conclusion", 50, 2000),
        ]
    }

    fn brief(section: &str, sources: &[&str]) -> Brief {
        Brief {
            title: None,
            section: section.into(),
            outline: outline(),
            guidance: None,
            others: Vec::new(),
            redrafting: Vec::new(),
            sources: sources
                .iter()
                .enumerate()
                .map(|(i, t)| SourceText {
                    number: i as u32 + 1,
                    label: format!("source {}", i + 1),
                    text: t.to_string(),
                    omitted_bytes: 0,
                })
                .collect(),
            omitted_sources: 0,
        }
    }

    const MEMO: &str = "To: leadership\nFrom: AI infrastructure\nSubject: DeepSeek\n\nMeta has set up four war rooms of engineers to study DeepSeek V3. The war rooms will look at how\nDeepSeek trained its model so cheaply. Mr. Smith, who leads one room, said the cost was about 5.5 million dollars.\n\nTwo of the war rooms study the cost of training. One studies the data DeepSeek used. The fourth war room studies the model's structure.\n\n- managers worry about the budget\n- nobody has said when the rooms will report\n\nManagement is worried about justifying the cost of the generative AI organisation. It is unclear whether the war rooms will report before the next earnings call.";

    #[test]
    fn sentences_are_cut_at_sentence_ends_not_at_abbreviations_or_decimals() {
        let s = sentences(MEMO);
        let texts: Vec<&str> = s.iter().map(|s| s.text.as_str()).collect();
        assert!(texts.contains(&"To: leadership"));
        assert!(texts
            .contains(&"The war rooms will look at how DeepSeek trained its model so cheaply."));
        assert!(texts.contains(
            &"Mr. Smith, who leads one room, said the cost was about 5.5 million dollars."
        ));
        assert!(texts.contains(&"- managers worry about the budget"));
        let candidates: Vec<&str> = s
            .iter()
            .filter(|s| s.candidate)
            .map(|s| s.text.as_str())
            .collect();
        assert!(!candidates.contains(&"To: leadership"));
        assert!(!candidates.contains(&"- managers worry about the budget"));
        assert!(candidates.contains(&"Two of the war rooms study the cost of training."));
        assert_eq!(
            sentences("He met U.S. officials. “Is it true?” she asked. Yes! It is.")
                .iter()
                .map(|s| s.text.as_str())
                .collect::<Vec<_>>(),
            [
                "He met U.S. officials.",
                "“Is it true?” she asked.",
                "Yes!",
                "It is."
            ]
        );
        assert_eq!(sentences("深度求索震动硅谷。它的成本很低。").len(), 2);
    }

    /// Every sentence of a proposal is a source sentence.
    fn assert_extractive(text: &str, sources: &[&str]) {
        let sources: Vec<String> = sources.iter().map(|s| collapse(s)).collect();
        for paragraph in text.split("\n\n") {
            for s in sentences(paragraph) {
                assert!(
                    sources.iter().any(|src| src.contains(&s.text)),
                    "not in a source: {:?}",
                    s.text
                );
            }
        }
    }

    #[test]
    fn every_section_is_made_of_source_sentences_and_the_body_avoids_the_lead() {
        let lead = draft(&brief("introduction", &[MEMO])).unwrap();
        let body = draft(&brief("body", &[MEMO])).unwrap();
        let end = draft(&brief("conclusion", &[MEMO])).unwrap();
        for d in [&lead, &body, &end] {
            assert!(!d.text.is_empty());
            assert_extractive(&d.text, &[MEMO]);
            assert_eq!(d.from_sources, [1]);
        }
        for s in sentences(&lead.text) {
            assert!(!body.text.contains(&s.text), "{:?} in both", s.text);
        }
        assert!(looks_ahead(&end.text), "{}", end.text);
        assert!(lead.text.chars().count() <= 1200);
    }

    #[test]
    fn title_candidates_are_phrases_of_the_sources_that_fit() {
        let d = draft(&brief("title", &[MEMO])).unwrap();
        let source = collapse(MEMO);
        for t in std::iter::once(&d.text).chain(&d.alternatives) {
            assert!(source.contains(t.as_str()), "{t}");
            assert!((10..=120).contains(&t.chars().count()), "{t}");
            assert!(!t.contains('\n'));
        }
        assert!(!d.alternatives.is_empty());
    }

    #[test]
    fn the_same_brief_gives_the_same_draft() {
        for section in ["title", "introduction", "body", "conclusion"] {
            let a = draft(&brief(section, &[MEMO, "Meta did not comment. The company declined to say how much it spends on the war rooms."])).unwrap();
            let b = draft(&brief(section, &[MEMO, "Meta did not comment. The company declined to say how much it spends on the war rooms."])).unwrap();
            assert_eq!(a, b, "{section}");
        }
    }

    #[test]
    fn guidance_moves_matching_sentences_up() {
        let plain = draft(&brief("introduction", &[MEMO])).unwrap();
        let mut guided = brief("introduction", &[MEMO]);
        guided.guidance = Some("what data was used".into());
        let guided = draft(&guided).unwrap();
        assert!(
            guided
                .text
                .starts_with("One studies the data DeepSeek used."),
            "{}",
            guided.text
        );
        assert_ne!(plain.text, guided.text);
    }

    #[test]
    fn sentences_already_in_other_sections_are_not_proposed_again() {
        let mut b = brief("body", &[MEMO]);
        b.others = vec![(
            "introduction".into(),
            "Meta has set up four war rooms of engineers to study DeepSeek V3.".into(),
        )];
        let d = draft(&b).unwrap();
        assert!(
            !d.text.contains("Meta has set up four war rooms"),
            "{}",
            d.text
        );
    }

    #[test]
    fn sections_drafted_together_share_no_sentence() {
        let written_intro = (
            "introduction".to_string(),
            "Four war rooms. One studies the data DeepSeek used.".to_string(),
        );
        let batch = |section: &str| {
            let mut b = brief(section, &[MEMO]);
            // As the desk builds it: the section's own text is not among the others.
            if section != "introduction" {
                b.others = vec![written_intro.clone()];
            }
            b.redrafting = ["introduction", "body", "conclusion"]
                .iter()
                .filter(|s| **s != section)
                .map(|s| s.to_string())
                .collect();
            draft(&b).unwrap().text
        };
        let (intro, body, end) = (batch("introduction"), batch("body"), batch("conclusion"));
        for (a, b) in [(&intro, &body), (&intro, &end), (&body, &end)] {
            for s in sentences(a) {
                assert!(!b.contains(&s.text), "{:?} twice", s.text);
            }
        }
        assert!(
            intro.contains("One studies the data DeepSeek used.")
                || body.contains("One studies the data DeepSeek used.")
                || end.contains("One studies the data DeepSeek used.")
        );
    }

    #[test]
    fn nothing_usable_is_a_failure_not_an_invention() {
        assert_eq!(
            draft(&brief("body", &["- a list\n- of fragments"])),
            Err(Failure::NoSentences)
        );
        assert_eq!(
            draft(&brief("lede", &[MEMO])),
            Err(Failure::UnknownSection {
                section: "lede".into()
            })
        );
    }

    #[test]
    fn ranking_prefers_the_sentence_the_others_talk_about() {
        let text = "War rooms study DeepSeek. The war rooms study training cost. The war rooms study DeepSeek data. Cats sleep all afternoon quietly.";
        let r = rank(&brief("body", &[text]));
        let order = r.by_rank();
        assert_eq!(
            r.sentences[*order.last().unwrap()].text,
            "Cats sleep all afternoon quietly."
        );
        let total: f64 = r.sentences.iter().map(|s| s.rank).sum();
        assert!((total - 1.0).abs() < 1e-9);
    }

    #[test]
    fn roles_follow_the_template_order() {
        let r = roles(&outline());
        assert_eq!(
            r.iter().map(|(_, r)| *r).collect::<Vec<_>>(),
            [Role::Title, Role::Lead, Role::Body, Role::Closing]
        );
        let two = roles(&outline()[..3]);
        assert_eq!(two[2].1, Role::Body);
    }
}
