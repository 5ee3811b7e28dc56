//! The engine: every rule over a document, findings sorted by section and place.

use std::cell::OnceCell;
use std::collections::HashMap;

use super::digest::{IndexedSources, PassagePlace, StoredSources};
use super::index::{window_term, IndexSpec};
use super::rules::{self, Bound, Check, Facts, Matcher, Rule, RuleError, Unit};
use super::sources::Sources;
use super::text::{excerpt, overlaps, quoted_spans, LineIndex};
use super::trace::{self, Fact, TraceProbe};
use super::verbatim::{
    window_hash, window_width, words_up_to, SharedSpan, StreamedSpan, VerbatimScan, Word,
};
use super::ChecksConfig;
use super::{CheckedSection, Document, FileLine, Finding, SourcePlace};
use crate::template::Template;
use crate::text::cite;

/// The rules in force, ready to run. Built once at start-up; cheap to share.
#[derive(Debug, Clone)]
pub struct Checker {
    rules: Vec<Rule>,
}

/// One section's text with what the rules compute from it, once.
struct Section<'d> {
    /// The section as given.
    spec: &'d CheckedSection<'d>,
    /// Its place in the template, to sort findings.
    order: usize,
    /// Its line starts.
    lines: OnceCell<LineIndex>,
    /// Its quoted passages.
    quotes: OnceCell<Vec<(usize, usize)>>,
}

impl<'d> Section<'d> {
    fn text(&self) -> Option<&'d str> {
        self.spec.text.filter(|t| !t.trim().is_empty())
    }

    /// Line and column of a byte offset, in the file when the text came from one.
    fn place(&self, at: usize) -> (usize, usize) {
        let text = self.spec.text.unwrap_or_default();
        let (line, column) = self
            .lines
            .get_or_init(|| LineIndex::new(text))
            .locate(text, at);
        file_place(self.spec.file_lines, line, column)
    }

    fn quotes(&self) -> &[(usize, usize)] {
        self.quotes
            .get_or_init(|| quoted_spans(self.spec.text.unwrap_or_default()))
    }
}

/// The file's line and column for a place in a section's text (the same place when the
/// text is not from a file).
fn file_place(file_lines: &[FileLine], line: usize, column: usize) -> (usize, usize) {
    match file_lines.get(line - 1) {
        Some(f) => (f.line, column + f.indent),
        None => (line, column),
    }
}

/// What a message's placeholders are filled with.
#[derive(Default)]
struct Vars {
    pairs: Vec<(&'static str, String)>,
}

impl Vars {
    fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.pairs.push((name, value.to_string()));
        self
    }

    fn get(&self, name: &str) -> Option<String> {
        self.pairs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    }
}

impl Checker {
    /// The built-in rules with the newsroom's (see [`rules::load`]), checked against
    /// `template`.
    pub fn load(config: &ChecksConfig, template: &Template) -> Result<Self, RuleError> {
        Ok(Checker {
            rules: rules::load(config, template)?,
        })
    }

    /// The rules in force, in the order they run.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Run every rule. Findings come sorted by section (template order), line and column.
    ///
    /// The sources' texts are in `doc.sources`; what the rules compute from them is computed
    /// here (see [`Checker::run_stored`] for sources analysed beforehand).
    pub fn run(&self, doc: &Document<'_>) -> Vec<Finding> {
        let sources = Sources::new(doc.sources.iter().map(|s| s.text).collect());
        self.run_with(doc, &mut Direct(&sources))
    }

    /// [`Checker::run`] on sources kept by a store: each source's digest, computed when it
    /// was added, is read once and in turn, and a source's text only for a passage a
    /// finding points into; the texts in `doc.sources` are not read (they may be empty),
    /// their numbers and labels are. The findings are the same as [`Checker::run`]'s with
    /// the texts at hand.
    pub fn run_stored<S: StoredSources>(
        &self,
        doc: &Document<'_>,
        store: &S,
    ) -> Result<Vec<Finding>, S::Error> {
        let mut answers = Stored::gather(self, doc, store)?;
        Ok(self.run_with(doc, &mut answers))
    }

    /// [`Checker::run_stored`] with a source index: the article's windows, figures, dates
    /// and quotation parts are looked up in the index, and only the digests of sources that
    /// may hold a passage (or the rest of a long quotation) are read. The findings are the
    /// same as [`Checker::run_stored`]'s (see [`super::index`] for why). When the index
    /// cannot answer, or was built for another [`IndexSpec`], every digest is read.
    pub fn run_indexed<S: IndexedSources>(
        &self,
        doc: &Document<'_>,
        store: &S,
    ) -> Result<Vec<Finding>, S::Error> {
        let mut answers = if *store.spec() == self.index_spec() {
            Stored::gather_indexed(self, doc, store)?
        } else {
            Stored::gather(self, doc, store)?
        };
        Ok(self.run_with(doc, &mut answers))
    }

    /// What a source index must hold for [`Checker::run_indexed`]: the passage lengths of
    /// the verbatim rules.
    pub fn index_spec(&self) -> IndexSpec {
        IndexSpec::new(self.rules.iter().filter_map(|r| match r.check {
            Check::Verbatim { min_words } => Some(min_words),
            _ => None,
        }))
    }

    fn run_with(&self, doc: &Document<'_>, sources: &mut dyn SourceAnswers) -> Vec<Finding> {
        let sections: Vec<Section> = doc
            .sections
            .iter()
            .enumerate()
            .map(|(order, spec)| Section {
                spec,
                order,
                lines: OnceCell::new(),
                quotes: OnceCell::new(),
            })
            .collect();
        let mut out: Vec<(usize, Finding)> = Vec::new();
        for (r, rule) in self.rules.iter().enumerate() {
            let covered = sections.iter().filter(|s| rule.scope.covers(s.spec.name));
            match &rule.check {
                Check::Existence(m) => {
                    for s in covered {
                        existence(rule, m, s, &mut out);
                    }
                }
                Check::Occurrence { matcher, min, max } => {
                    for s in covered {
                        occurrence(rule, matcher, *min, *max, s, &mut out);
                    }
                }
                Check::Length { unit, min, max } => {
                    for s in covered {
                        length(rule, *unit, *min, *max, s, &mut out);
                    }
                }
                Check::Required => {
                    for s in covered {
                        if s.spec.required && s.text().is_none() {
                            let vars = Vars::default()
                                .with("section", s.spec.name)
                                .with("match", "");
                            out.push((s.order, whole(rule, s.spec.name, &vars)));
                        }
                    }
                }
                Check::RepeatedHeading => repeated_headings(rule, doc, &sections, &mut out),
                Check::ReferenceUrl
                | Check::ReferenceUrlValid
                | Check::ReferenceDate
                | Check::ReferenceTranslation
                | Check::ReferenceOutletAuthor => references(rule, doc, &mut out),
                Check::Verbatim { min_words } => {
                    if sources.is_empty() {
                        continue;
                    }
                    for s in covered {
                        let Some(text) = s.text() else { continue };
                        let spans = sources.verbatim(r, s.order, text, *min_words);
                        verbatim(rule, s, text, doc, spans, &mut out);
                    }
                }
                Check::Unsourced {
                    facts,
                    quote_min_words,
                } => {
                    if sources.is_empty() {
                        continue;
                    }
                    for s in covered {
                        let Some(text) = s.text() else { continue };
                        for f in sources.unsourced(r, s.order, text, facts, *quote_min_words) {
                            let shown = excerpt(&text[f.start..f.end]);
                            let vars = Vars::default()
                                .with("section", s.spec.name)
                                .with("match", &shown)
                                .with("fact", f.kind.word());
                            out.push((s.order, at(rule, s, f.start, shown, &vars)));
                        }
                    }
                }
            }
        }
        out.sort_by(|(a, fa), (b, fb)| (a, fa.line, fa.column).cmp(&(b, fb.line, fb.column)));
        out.into_iter().map(|(_, f)| f).collect()
    }
}

/// A finding about a place in a section.
fn at(rule: &Rule, s: &Section, start: usize, shown: String, vars: &Vars) -> Finding {
    let (line, column) = s.place(start);
    Finding {
        rule: rule.id.clone(),
        level: rule.level,
        section: s.spec.name.to_string(),
        line,
        column,
        message: rule.message.render(|v| vars.get(v)),
        excerpt: shown,
        source: None,
    }
}

/// A finding about a whole section.
fn whole(rule: &Rule, section: &str, vars: &Vars) -> Finding {
    Finding {
        rule: rule.id.clone(),
        level: rule.level,
        section: section.to_string(),
        line: 0,
        column: 0,
        message: rule.message.render(|v| vars.get(v)),
        excerpt: String::new(),
        source: None,
    }
}

/// The matches of a matcher in a section that count: not inside an exception's match, and
/// not inside quotation marks when the rule says so.
fn matches<'t>(m: &Matcher, s: &Section<'t>) -> Vec<(usize, usize)> {
    let Some(text) = s.text() else {
        return Vec::new();
    };
    let exceptions: Vec<(usize, usize)> = m
        .exceptions
        .as_ref()
        .map(|e| e.find_iter(text).map(|x| (x.start(), x.end())).collect())
        .unwrap_or_default();
    let mut all: Vec<(usize, usize)> = m
        .regexes
        .iter()
        .flat_map(|re| re.find_iter(text))
        .filter(|x| !x.as_str().trim().is_empty())
        // A match's place is its first character that is not blank: a pattern that may
        // start with `\s*` must not point at the blank line before its text.
        .map(|x| {
            let m = x.as_str();
            let start = x.start() + (m.len() - m.trim_start().len());
            let end = x.start() + m.trim_end().len();
            (start, end)
        })
        .filter(|&(a, b)| {
            let i = exceptions.partition_point(|&(s, _)| s <= a);
            !(i > 0 && exceptions[i - 1].1 >= b)
        })
        // A match that starts inside a quotation is the speaker's words.
        .filter(|&(a, _)| !(m.outside_quotes && overlaps(s.quotes(), a, a + 1)))
        .collect();
    // Several patterns may match the same text: keep the first (and longest) of
    // overlapping matches, as one alternation would.
    all.sort_by(|x, y| x.0.cmp(&y.0).then(y.1.cmp(&x.1)));
    let mut kept: Vec<(usize, usize)> = Vec::with_capacity(all.len());
    for (a, b) in all {
        if kept.last().is_none_or(|&(_, end)| a >= end) {
            kept.push((a, b));
        }
    }
    kept
}

fn existence(rule: &Rule, m: &Matcher, s: &Section, out: &mut Vec<(usize, Finding)>) {
    let Some(text) = s.text() else { return };
    for (a, b) in matches(m, s) {
        let shown = excerpt(&text[a..b]);
        let vars = Vars::default()
            .with("section", s.spec.name)
            .with("match", &shown);
        out.push((s.order, at(rule, s, a, shown, &vars)));
    }
}

fn occurrence(
    rule: &Rule,
    m: &Matcher,
    min: Option<u64>,
    max: Option<u64>,
    s: &Section,
    out: &mut Vec<(usize, Finding)>,
) {
    let Some(text) = s.text() else { return };
    let found = matches(m, s);
    let count = found.len() as u64;
    let vars = |shown: &str| {
        Vars::default()
            .with("section", s.spec.name)
            .with("match", shown)
            .with("count", count)
            .with("min", min.map(|v| v.to_string()).unwrap_or_default())
            .with("max", max.map(|v| v.to_string()).unwrap_or_default())
    };
    if let Some(max) = max {
        if count > max {
            // Point at the first match too many.
            let (a, b) = found[max as usize];
            let shown = excerpt(&text[a..b]);
            let v = vars(&shown);
            out.push((s.order, at(rule, s, a, shown, &v)));
            return;
        }
    }
    if let Some(min) = min {
        if count < min {
            out.push((s.order, whole(rule, s.spec.name, &vars(""))));
        }
    }
}

fn length(
    rule: &Rule,
    unit: Unit,
    min: Option<Bound>,
    max: Option<Bound>,
    s: &Section,
    out: &mut Vec<(usize, Finding)>,
) {
    let Some(text) = s.text() else { return };
    let text = text.trim();
    let len = match unit {
        Unit::Characters => text.chars().count() as u64,
        Unit::Words => text.split_whitespace().count() as u64,
    };
    let min = min.map(|b| match b {
        Bound::Fixed(v) => v,
        Bound::Template => u64::from(s.spec.min_chars),
    });
    let max = max.map(|b| match b {
        Bound::Fixed(v) => v,
        Bound::Template => u64::from(s.spec.max_chars),
    });
    let short = min.is_some_and(|m| len < m);
    let long = max.is_some_and(|m| len > m);
    if short || long {
        let vars = Vars::default()
            .with("section", s.spec.name)
            .with("match", "")
            .with("length", len)
            .with("unit", unit.as_str())
            .with("min", min.map(|v| v.to_string()).unwrap_or_default())
            .with("max", max.map(|v| v.to_string()).unwrap_or_default());
        out.push((s.order, whole(rule, s.spec.name, &vars)));
    }
}

/// A heading's text as compared: lowercase, spacing collapsed, end punctuation dropped.
fn heading_key(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(['.', ':', '!', '?'])
        .to_lowercase()
}

fn repeated_headings(
    rule: &Rule,
    doc: &Document<'_>,
    sections: &[Section],
    out: &mut Vec<(usize, Finding)>,
) {
    // (section order, line, text, section name, a file's section heading). A file's
    // section headings (`## Body`) are compared among themselves: the desk's sections have
    // none, and a heading inside a text must count the same whichever way the article
    // came in.
    let mut all: Vec<(usize, usize, String, &str, bool)> = Vec::new();
    let order_of = |name: &str| {
        sections
            .iter()
            .find(|s| s.spec.name == name)
            .map_or(usize::MAX, |s| s.order)
    };
    for h in &doc.headings {
        if rule.scope.covers(h.section) {
            all.push((
                order_of(h.section),
                h.line,
                h.text.to_string(),
                h.section,
                true,
            ));
        }
    }
    for s in sections.iter().filter(|s| rule.scope.covers(s.spec.name)) {
        let Some(text) = s.text() else { continue };
        if s.spec.name == "title" {
            let first = text.lines().next().unwrap_or_default().trim();
            all.push((s.order, s.place(0).0, first.to_string(), s.spec.name, false));
            continue;
        }
        for h in super::markdown::headings(text) {
            if !h.text.trim().is_empty() {
                let line = s.place(h.offset).0;
                all.push((s.order, line, h.text.to_string(), s.spec.name, false));
            }
        }
    }
    all.sort_by_key(|(order, line, _, _, _)| (*order, *line));
    let mut seen: HashMap<(bool, String), (usize, &str)> = HashMap::new();
    for (order, line, text, section, marker) in all {
        let key = (marker, heading_key(&text));
        if key.1.is_empty() {
            continue;
        }
        match seen.get(&key) {
            Some((first_line, first_section)) => {
                let first = if doc.sections.iter().any(|s| !s.file_lines.is_empty()) {
                    format!("line {first_line}")
                } else {
                    format!("{first_section}, line {first_line}")
                };
                let shown = excerpt(&text);
                let vars = Vars::default()
                    .with("section", section)
                    .with("match", &shown)
                    .with("first", first);
                out.push((
                    order,
                    Finding {
                        rule: rule.id.clone(),
                        level: rule.level,
                        section: section.to_string(),
                        line,
                        column: 1,
                        message: rule.message.render(|v| vars.get(v)),
                        excerpt: shown,
                        source: None,
                    },
                ));
            }
            None => {
                seen.insert(key, (line, section));
            }
        }
    }
}

/// True when `u` is a web address a reader can follow: it parses, and it is http or
/// https with a host.
fn url_is_valid(u: &str) -> bool {
    match url::Url::parse(u.trim()) {
        Ok(url) => {
            matches!(url.scheme(), "http" | "https")
                && url.host_str().is_some_and(|h| !h.is_empty())
        }
        Err(_) => false,
    }
}

fn references(rule: &Rule, doc: &Document<'_>, out: &mut Vec<(usize, Finding)>) {
    let order = doc
        .sections
        .iter()
        .position(|s| s.name == doc.references_section)
        .unwrap_or(usize::MAX);
    for r in &doc.references {
        let fires = match rule.check {
            Check::ReferenceUrl => r.url.is_none() && !r.offline,
            Check::ReferenceUrlValid => r.url.as_deref().is_some_and(|u| !url_is_valid(u)),
            Check::ReferenceDate => !r.dated,
            Check::ReferenceTranslation => !r.translated && cite::is_non_latin(&r.title),
            Check::ReferenceOutletAuthor => r.news_by_its_outlet,
            _ => false,
        };
        if !fires {
            continue;
        }
        let shown = excerpt(&r.text);
        let vars = Vars::default()
            .with("section", doc.references_section)
            .with("match", &shown)
            .with("number", r.number)
            .with("title", &r.title)
            .with("url", r.url.clone().unwrap_or_default());
        out.push((
            order,
            Finding {
                rule: rule.id.clone(),
                level: rule.level,
                section: doc.references_section.to_string(),
                line: r.line,
                column: usize::from(r.line > 0),
                message: rule.message.render(|v| vars.get(v)),
                excerpt: shown,
                source: None,
            },
        ));
    }
}

fn verbatim(
    rule: &Rule,
    s: &Section,
    text: &str,
    doc: &Document<'_>,
    spans: Vec<(SharedSpan, (usize, usize))>,
    out: &mut Vec<(usize, Finding)>,
) {
    for (span, (line, column)) in spans {
        let src = &doc.sources[span.source];
        let shown = excerpt(&text[span.article.0..span.article.1]);
        let vars = Vars::default()
            .with("section", s.spec.name)
            .with("match", &shown)
            .with("words", span.words)
            .with("source", format!("source {} “{}”", src.number, src.label))
            .with("place", format!("line {line}, column {column}"));
        let mut f = at(rule, s, span.article.0, shown, &vars);
        f.source = Some(SourcePlace {
            number: src.number,
            label: src.label.to_string(),
            line,
            column,
        });
        out.push((s.order, f));
    }
}

/// What the source-dependent rules need of the sources, for one rule on one section.
trait SourceAnswers {
    /// No source has any text.
    fn is_empty(&self) -> bool;
    /// The passages of `text` (section `section`) shared with a source, for rule `rule`,
    /// each with the line and column in the source where it starts.
    fn verbatim(
        &mut self,
        rule: usize,
        section: usize,
        text: &str,
        min_words: usize,
    ) -> Vec<(SharedSpan, (usize, usize))>;
    /// The facts of `text` (section `section`) that no source holds, for rule `rule`.
    fn unsourced(
        &mut self,
        rule: usize,
        section: usize,
        text: &str,
        facts: &Facts,
        quote_min_words: usize,
    ) -> Vec<Fact>;
}

/// The answers computed from the texts, when a rule asks (the direct path).
struct Direct<'s, 'a>(&'s Sources<'a>);

impl SourceAnswers for Direct<'_, '_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn verbatim(
        &mut self,
        _rule: usize,
        _section: usize,
        text: &str,
        min_words: usize,
    ) -> Vec<(SharedSpan, (usize, usize))> {
        let index = self.0.index(min_words);
        index
            .shared_spans(text)
            .into_iter()
            .map(|span| {
                let place = self.0.locate(span.source, span.in_source.0);
                (span, place)
            })
            .collect()
    }

    fn unsourced(
        &mut self,
        _rule: usize,
        _section: usize,
        text: &str,
        facts: &Facts,
        quote_min_words: usize,
    ) -> Vec<Fact> {
        trace::unsourced(text, facts, quote_min_words, self.0)
    }
}

/// A shared passage, with the line and column in the source where it starts.
type PlacedSpan = (SharedSpan, (usize, usize));

/// The answers gathered beforehand from stored digests, in one pass over the sources.
struct Stored {
    /// Every source shown was blank (or there was none).
    empty: bool,
    /// Verbatim passages by (rule, section).
    verbatim: HashMap<(usize, usize), Vec<PlacedSpan>>,
    /// Untraced facts by (rule, section).
    unsourced: HashMap<(usize, usize), Vec<Fact>>,
}

impl Stored {
    /// Every question the rules will ask of the sources, by (rule, section).
    #[allow(clippy::type_complexity)]
    fn questions(
        checker: &Checker,
        doc: &Document<'_>,
    ) -> (
        Vec<((usize, usize), VerbatimScan)>,
        Vec<((usize, usize), TraceProbe)>,
    ) {
        let mut scans: Vec<((usize, usize), VerbatimScan)> = Vec::new();
        let mut probes: Vec<((usize, usize), TraceProbe)> = Vec::new();
        if doc.sources.is_empty() {
            return (scans, probes);
        }
        for (r, rule) in checker.rules.iter().enumerate() {
            for (order, spec) in doc.sections.iter().enumerate() {
                if !rule.scope.covers(spec.name) {
                    continue;
                }
                let Some(text) = spec.text.filter(|t| !t.trim().is_empty()) else {
                    continue;
                };
                match &rule.check {
                    Check::Verbatim { min_words } => {
                        scans.push(((r, order), VerbatimScan::new(text, *min_words)));
                    }
                    Check::Unsourced {
                        facts,
                        quote_min_words,
                    } => {
                        let questions = trace::Questions::of(text, facts, *quote_min_words);
                        probes.push(((r, order), TraceProbe::new(questions)));
                    }
                    _ => {}
                }
            }
        }
        (scans, probes)
    }

    /// Ask every question the rules will ask of the sources, show each source's digest to
    /// all of them at once, then read the texts of the sources that passages point into.
    fn gather<S: StoredSources>(
        checker: &Checker,
        doc: &Document<'_>,
        store: &S,
    ) -> Result<Self, S::Error> {
        let (mut scans, mut probes) = Self::questions(checker, doc);
        let mut empty = true;
        if !doc.sources.is_empty() {
            store.each_digest(&mut |index, digest| {
                empty &= digest.blank;
                for (_, scan) in &mut scans {
                    scan.observe(index, &digest.words);
                }
                for (_, probe) in &mut probes {
                    probe.observe(digest);
                }
            })?;
        }
        Self::finish(scans, probes, empty, store)
    }

    /// [`Stored::gather`] with a source index: the questions are looked up first, and only
    /// the digests of the sources that can change an answer are shown, in the story's
    /// order.
    ///
    /// A verbatim scan tries a source only where one of the source's sampled windows has
    /// the hash of one of the article's windows; the index names every source holding such
    /// a window, so the scan tries the same places in the same order as with every source
    /// shown. Traceability asks only whether some source holds a fact, which the index
    /// answers, except for quotation parts too long for its word runs: those are looked up
    /// by the windows of a passage length they reach (any source holding the part holds one
    /// of them sampled), or else in every source until found.
    fn gather_indexed<S: IndexedSources>(
        checker: &Checker,
        doc: &Document<'_>,
        store: &S,
    ) -> Result<Self, S::Error> {
        let (mut scans, mut probes) = Self::questions(checker, doc);
        if doc.sources.is_empty() {
            return Self::finish(scans, probes, true, store);
        }
        let mut postings = Vec::new();
        for (_, scan) in &scans {
            let n = scan.min_words();
            postings.extend(scan.window_hashes().map(|h| window_term(n, h)));
        }
        let mut facts = Vec::new();
        let mut fact_ranges = Vec::with_capacity(probes.len());
        for (_, probe) in &probes {
            let start = facts.len();
            facts.extend(probe.index_terms());
            fact_ranges.push(start..facts.len());
        }
        let Some(first) = store.look_up(&postings, &facts)? else {
            return Self::gather(checker, doc, store);
        };
        let mut wanted: std::collections::BTreeSet<usize> =
            first.postings.iter().flatten().copied().collect();
        // The scans need every source that holds one of their windows.
        let scans_need = wanted.iter().next_back().copied();
        let mut open: Vec<(usize, usize)> = Vec::new();
        for (k, ((_, probe), range)) in probes.iter_mut().zip(fact_ranges).enumerate() {
            let held = first.facts.get(range).unwrap_or_default();
            open.extend(probe.apply_index(held).into_iter().map(|id| (k, id)));
        }
        let spec = checker.index_spec();
        let mut part_terms = Vec::new();
        let mut everywhere = false;
        for &(k, id) in &open {
            let part = probes[k].1.pattern(id);
            match spec.lengths().iter().rev().find(|&&n| n <= part.len()) {
                Some(&n) => part_terms.extend(
                    part.windows(window_width(n))
                        .map(|w| window_term(n, window_hash(w))),
                ),
                None => everywhere = true,
            }
        }
        if !part_terms.is_empty() {
            let Some(parts) = store.look_up(&part_terms, &[])? else {
                return Self::gather(checker, doc, store);
            };
            wanted.extend(parts.postings.iter().flatten().copied());
        }
        if everywhere {
            wanted.extend(0..doc.sources.len());
        }
        let wanted: Vec<usize> = wanted.into_iter().collect();
        if !wanted.is_empty() {
            store.some_digests(&wanted, &mut |index, digest| {
                for (_, scan) in &mut scans {
                    scan.observe(index, &digest.words);
                }
                let parts_open = open.iter().any(|&(k, id)| !probes[k].1.is_found(id));
                if parts_open {
                    for (_, probe) in &mut probes {
                        probe.observe(digest);
                    }
                }
                scans_need.is_some_and(|last| index < last)
                    || open.iter().any(|&(k, id)| !probes[k].1.is_found(id))
            })?;
        }
        Self::finish(scans, probes, first.all_blank, store)
    }

    /// The answers, once the digests were shown: the texts of the sources that passages
    /// point into are read for the passages' places.
    fn finish<S: StoredSources>(
        scans: Vec<((usize, usize), VerbatimScan)>,
        probes: Vec<((usize, usize), TraceProbe)>,
        empty: bool,
        store: &S,
    ) -> Result<Self, S::Error> {
        let mut verbatim = HashMap::new();
        let found: Vec<((usize, usize), Vec<StreamedSpan>)> = scans
            .into_iter()
            .map(|(at, scan)| (at, scan.finish()))
            .collect();
        // The places remembered from earlier runs; the others are read from the texts.
        let known: Vec<Vec<Option<PassagePlace>>> = found
            .iter()
            .map(|(_, spans)| {
                spans
                    .iter()
                    .map(|s| store.remembered(s.source, s.in_source_words))
                    .collect()
            })
            .collect();
        // How many of each source's words the passages reach: its text is cut that far.
        let mut reach: HashMap<usize, usize> = HashMap::new();
        for (span, place) in found
            .iter()
            .flat_map(|(_, spans)| spans)
            .zip(known.iter().flatten())
        {
            if place.is_none() {
                let r = reach.entry(span.source).or_default();
                *r = (*r).max(span.in_source_words.1);
            }
        }
        // The texts of the sources passages point into, with their words and lines.
        let mut texts: HashMap<usize, (String, Vec<Word>, LineIndex)> = HashMap::new();
        for ((at, spans_found), known) in found.into_iter().zip(known) {
            let mut spans = Vec::new();
            for (span, place) in spans_found.into_iter().zip(known) {
                let place = match place {
                    Some(p) => p,
                    None => {
                        let (text, cut, lines) = match texts.entry(span.source) {
                            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                            std::collections::hash_map::Entry::Vacant(e) => {
                                let text = store.text(span.source)?;
                                let limit = reach.get(&span.source).copied().unwrap_or(usize::MAX);
                                let cut = words_up_to(&text, limit);
                                let lines = LineIndex::new(&text);
                                e.insert((text, cut, lines))
                            }
                        };
                        let (s0, s1) = span.in_source_words;
                        // A text that no longer matches its digest (it cannot be, short of
                        // damage to the store) leaves the passage out rather than point
                        // anywhere.
                        let (Some(first), Some(last)) = (cut.get(s0), cut.get(s1.wrapping_sub(1)))
                        else {
                            continue;
                        };
                        let place = PassagePlace {
                            bytes: (first.start, last.end),
                            line_column: lines.locate(text, first.start),
                        };
                        store.remember(span.source, span.in_source_words, place);
                        place
                    }
                };
                spans.push((
                    SharedSpan {
                        words: span.words,
                        article: span.article,
                        source: span.source,
                        in_source: place.bytes,
                    },
                    place.line_column,
                ));
            }
            verbatim.insert(at, spans);
        }
        let unsourced = probes
            .into_iter()
            .map(|(at, probe)| (at, probe.finish()))
            .collect();
        Ok(Stored {
            empty,
            verbatim,
            unsourced,
        })
    }
}

impl SourceAnswers for Stored {
    fn is_empty(&self) -> bool {
        self.empty
    }

    fn verbatim(
        &mut self,
        rule: usize,
        section: usize,
        _text: &str,
        _min_words: usize,
    ) -> Vec<(SharedSpan, (usize, usize))> {
        self.verbatim.remove(&(rule, section)).unwrap_or_default()
    }

    fn unsourced(
        &mut self,
        rule: usize,
        section: usize,
        _text: &str,
        _facts: &Facts,
        _quote_min_words: usize,
    ) -> Vec<Fact> {
        self.unsourced.remove(&(rule, section)).unwrap_or_default()
    }
}
