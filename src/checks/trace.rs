//! Traceability: the figures, amounts, percentages, dates and quotations of an article
//! that appear in none of the story's sources.
//!
//! Figures are compared by value, not by spelling: `$5.5 million`, `5,500,000 dollars` and
//! `US$5.5m` are the same amount; `12%` and `12 per cent` the same percentage. A date is
//! found when a source has the same month and day (and year, when both give one, or the
//! year anywhere in the sources when the source's date has none). A quotation is found
//! when its words, compared as the verbatim check compares them, stand in one source in
//! the same order; ellipses and bracketed insertions split it into parts that are found
//! separately. Numbers in web addresses, list markers and names such as `V3` or `COVID-19`
//! are not figures.
//!
//! Sources are read leniently (month names in any case, both readings of `1.200`, number
//! words from one to twenty): a fact is reported only when no reading of the sources has it.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;

use super::index::{date_term, gram_term, value_term, DayKey, YearKey, GRAM_MAX};
use super::rules::Facts;
use super::text::{overlaps, quoted_spans, url_spans};
use super::verbatim::{words, IntHasher, PassThrough, Word};
use crate::model::SourceDigest;

/// What kind of fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FactKind {
    /// A plain number.
    Number,
    /// An amount of money.
    Money,
    /// A percentage.
    Percentage,
    /// A date.
    Date,
    /// A quoted passage.
    Quote,
}

impl FactKind {
    /// The word a message uses.
    pub fn word(&self) -> &'static str {
        match self {
            FactKind::Number => "figure",
            FactKind::Money => "amount",
            FactKind::Percentage => "percentage",
            FactKind::Date => "date",
            FactKind::Quote => "quotation",
        }
    }
}

/// A decimal value, normalised so that equal values are equal: `mantissa × 10^exp` with
/// no trailing zero in the mantissa.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Dec {
    mantissa: u64,
    exp: i32,
}

impl Dec {
    fn new(mut mantissa: u64, mut exp: i32) -> Self {
        if mantissa == 0 {
            return Dec { mantissa, exp: 0 };
        }
        while mantissa % 10 == 0 {
            mantissa /= 10;
            exp += 1;
        }
        Dec { mantissa, exp }
    }

    fn scaled(self, by: i32) -> Self {
        Dec::new(self.mantissa, self.exp + by)
    }
}

/// A date as precise as the text gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateKey {
    year: Option<i64>,
    month: u8,
    day: Option<u8>,
}

/// What a fact is compared by.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    Value(Dec),
    Date(DateKey),
    /// The quotation's parts, each as its words' hashes.
    Quote(Vec<Vec<u64>>),
}

/// A fact found in the article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fact {
    /// What kind.
    pub kind: FactKind,
    /// Byte range in the section's text.
    pub start: usize,
    /// End of the range.
    pub end: usize,
    key: Key,
}

// ---------------------------------------------------------------------------------------
// The lexer: numbers, words and symbols with their places.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lx {
    Num,
    Word,
    Sym(char),
}

#[derive(Debug, Clone, Copy)]
struct Lex {
    kind: Lx,
    start: usize,
    end: usize,
}

fn lex(text: &str) -> Vec<Lex> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() {
            let start = i;
            i += 1;
            loop {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                // A separator counts when a digit follows it: 1,200.50
                if i + 1 < b.len() && matches!(b[i], b',' | b'.') && b[i + 1].is_ascii_digit() {
                    i += 1;
                    continue;
                }
                break;
            }
            out.push(Lex {
                kind: Lx::Num,
                start,
                end: i,
            });
        } else if c.is_ascii_alphabetic() {
            let start = i;
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            out.push(Lex {
                kind: Lx::Word,
                start,
                end: i,
            });
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else {
            let ch = text[i..].chars().next().expect("char boundary");
            let len = ch.len_utf8();
            if ch.is_alphabetic() {
                let start = i;
                for (k, c) in text[i..].char_indices() {
                    if !c.is_alphabetic() {
                        i = start + k;
                        break;
                    }
                    i = start + k + c.len_utf8();
                }
                out.push(Lex {
                    kind: Lx::Word,
                    start,
                    end: i,
                });
            } else {
                if !ch.is_whitespace() {
                    out.push(Lex {
                        kind: Lx::Sym(ch),
                        start: i,
                        end: i + len,
                    });
                }
                i += len;
            }
        }
    }
    out
}

/// Read a number as written. `european` reads `1.200` as 1200 and `5,5` as 5.5.
fn parse_number(raw: &str, european: bool) -> Option<Dec> {
    let (thousands, decimal) = if european { ('.', ',') } else { (',', '.') };
    let mut mantissa: u64 = 0;
    let mut digits = 0;
    let mut frac = 0i32;
    let mut in_frac = false;
    // Thousands separators only between groups of exactly three digits.
    let mut grouped = false;
    if raw.contains(thousands) {
        grouped = true;
        let mut groups = raw.split(thousands).skip(1).peekable();
        while let Some(g) = groups.next() {
            let g = if groups.peek().is_none() {
                g.split(decimal).next().unwrap_or("")
            } else {
                g
            };
            if g.len() != 3 {
                grouped = false;
                break;
            }
        }
    }
    for c in raw.chars() {
        if c == thousands && grouped {
            continue;
        }
        if c == decimal || c == thousands {
            if in_frac {
                return None;
            }
            in_frac = true;
            continue;
        }
        let d = c.to_digit(10)?;
        // Leading zeros do not count; more than 19 digits is not a figure to trace.
        if mantissa > 0 || d > 0 {
            digits += 1;
        }
        if digits > 19 {
            return None;
        }
        mantissa = mantissa * 10 + u64::from(d);
        if in_frac {
            frac -= 1;
        }
    }
    Some(Dec::new(mantissa, frac))
}

/// `w` lowercased into `buf` when it is ASCII and at most `buf.len()` bytes long.
fn lower<'b>(w: &str, buf: &'b mut [u8; 12]) -> Option<&'b [u8]> {
    if w.len() > buf.len() || !w.is_ascii() {
        return None;
    }
    for (b, c) in buf.iter_mut().zip(w.bytes()) {
        *b = c.to_ascii_lowercase();
    }
    Some(&buf[..w.len()])
}

/// A month's number from its name or abbreviation, in any case.
fn month_number(w: &str) -> Option<u8> {
    let mut buf = [0u8; 12];
    Some(match lower(w, &mut buf)? {
        b"january" | b"jan" => 1,
        b"february" | b"feb" => 2,
        b"march" | b"mar" => 3,
        b"april" | b"apr" => 4,
        b"may" => 5,
        b"june" | b"jun" => 6,
        b"july" | b"jul" => 7,
        b"august" | b"aug" => 8,
        b"september" | b"sep" | b"sept" => 9,
        b"october" | b"oct" => 10,
        b"november" | b"nov" => 11,
        b"december" | b"dec" => 12,
        _ => return None,
    })
}

/// Scale words written apart (`5.5 million`): their power of ten.
fn long_scale(w: &str) -> Option<i32> {
    let mut buf = [0u8; 12];
    Some(match lower(w, &mut buf)? {
        b"thousand" => 3,
        b"million" | b"millions" => 6,
        b"billion" | b"billions" => 9,
        b"trillion" => 12,
        _ => return None,
    })
}

/// Scale suffixes of amounts (`$5.5bn`, `€3m`): their power of ten.
fn short_scale(w: &str) -> Option<i32> {
    let mut buf = [0u8; 12];
    Some(match lower(w, &mut buf)? {
        b"k" => 3,
        b"m" | b"mn" | b"mln" => 6,
        b"b" | b"bn" => 9,
        b"tn" => 12,
        _ => return None,
    })
}

const CURRENCY_SYMBOLS: &[char] = &['$', '€', '£', '¥', '₹', '₩', '₽', '₺', '₪', '元'];

/// Words that make a number an amount of money after it (`5 million dollars`).
fn is_currency_word(w: &str) -> bool {
    let mut buf = [0u8; 12];
    matches!(
        lower(w, &mut buf),
        Some(
            b"dollar"
                | b"dollars"
                | b"euro"
                | b"euros"
                | b"pound"
                | b"pounds"
                | b"sterling"
                | b"yuan"
                | b"renminbi"
                | b"yen"
                | b"rupee"
                | b"rupees"
                | b"franc"
                | b"francs"
                | b"won"
                | b"rouble"
                | b"roubles"
                | b"ruble"
                | b"rubles"
                | b"usd"
                | b"eur"
                | b"gbp"
                | b"cny"
                | b"rmb"
                | b"jpy"
                | b"chf"
                | b"inr"
        )
    )
}

/// Numbers written as words, as sources often have them.
fn number_word(w: &str) -> Option<u32> {
    let mut buf = [0u8; 12];
    Some(match lower(w, &mut buf)? {
        b"one" => 1,
        b"two" => 2,
        b"three" => 3,
        b"four" => 4,
        b"five" => 5,
        b"six" => 6,
        b"seven" => 7,
        b"eight" => 8,
        b"nine" => 9,
        b"ten" => 10,
        b"eleven" => 11,
        b"twelve" | b"dozen" => 12,
        b"thirteen" => 13,
        b"fourteen" => 14,
        b"fifteen" => 15,
        b"sixteen" => 16,
        b"seventeen" => 17,
        b"eighteen" => 18,
        b"nineteen" => 19,
        b"twenty" => 20,
        b"thirty" => 30,
        b"forty" => 40,
        b"fifty" => 50,
        b"hundred" => 100,
        _ => return None,
    })
}

/// How facts are read: strictly in the article, leniently in the sources.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Article,
    Source,
}

struct Reader<'a> {
    text: &'a str,
    lx: Vec<Lex>,
    mode: Mode,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str, mode: Mode) -> Self {
        Reader {
            text,
            lx: lex(text),
            mode,
        }
    }

    fn s(&self, k: usize) -> &'a str {
        &self.text[self.lx[k].start..self.lx[k].end]
    }

    fn is(&self, k: usize, kind: Lx) -> bool {
        self.lx.get(k).is_some_and(|l| l.kind == kind)
    }

    fn word_is(&self, k: usize, words: &[&str]) -> bool {
        self.is(k, Lx::Word) && {
            let w = self.s(k);
            words.iter().any(|x| x.eq_ignore_ascii_case(w))
        }
    }

    /// True when lexemes `a` and `b` touch (no space between).
    fn adjacent(&self, a: usize, b: usize) -> bool {
        self.lx[a].end == self.lx[b].start
    }

    fn month(&self, k: usize) -> Option<u8> {
        if !self.is(k, Lx::Word) {
            return None;
        }
        let w = self.s(k);
        if self.mode == Mode::Article && !w.starts_with(|c: char| c.is_ascii_uppercase()) {
            return None;
        }
        month_number(w)
    }

    fn number(&self, k: usize) -> Option<Dec> {
        if !self.is(k, Lx::Num) {
            return None;
        }
        parse_number(self.s(k), false)
    }

    /// A day of the month at `k` (1–31, one or two digits), with an ordinal suffix; the
    /// day and the index after it.
    fn day(&self, k: usize) -> Option<(u8, usize)> {
        if !self.is(k, Lx::Num) || self.s(k).len() > 2 {
            return None;
        }
        let d: u8 = self.s(k).parse().ok()?;
        if !(1..=31).contains(&d) {
            return None;
        }
        let mut next = k + 1;
        if self.word_is(next, &["st", "nd", "rd", "th"]) && self.adjacent(k, next) {
            next += 1;
        }
        Some((d, next))
    }

    fn year(&self, k: usize) -> Option<i64> {
        if !self.is(k, Lx::Num) || self.s(k).len() != 4 {
            return None;
        }
        let y: i64 = self.s(k).parse().ok()?;
        (1000..=2999).contains(&y).then_some(y)
    }

    fn sym(&self, k: usize, c: char) -> bool {
        self.is(k, Lx::Sym(c))
    }

    /// A date starting at `k`: the date, and the index after it.
    fn date_at(&self, k: usize) -> Option<(DateKey, usize)> {
        // 2025-01-27
        if let Some(year) = self.year(k) {
            if self.sym(k + 1, '-')
                && self.is(k + 2, Lx::Num)
                && self.s(k + 2).len() == 2
                && self.sym(k + 3, '-')
                && self.is(k + 4, Lx::Num)
                && self.s(k + 4).len() == 2
                && self.adjacent(k, k + 1)
                && self.adjacent(k + 3, k + 4)
            {
                let month: u8 = self.s(k + 2).parse().ok()?;
                let day: u8 = self.s(k + 4).parse().ok()?;
                if (1..=12).contains(&month) && (1..=31).contains(&day) {
                    return Some((
                        DateKey {
                            year: Some(year),
                            month,
                            day: Some(day),
                        },
                        k + 5,
                    ));
                }
            }
        }
        // January 27[, 2025] or January 2025 (Jan. 27 too).
        if let Some(month) = self.month(k) {
            let mut next = k + 1;
            if self.sym(next, '.') {
                next += 1;
            }
            if let Some((day, after)) = self.day(next) {
                let mut end = after;
                let mut year = None;
                let mut y = after;
                if self.sym(y, ',') {
                    y += 1;
                }
                if let Some(v) = self.year(y) {
                    year = Some(v);
                    end = y + 1;
                }
                return Some((
                    DateKey {
                        year,
                        month,
                        day: Some(day),
                    },
                    end,
                ));
            }
            let mut y = next;
            if self.sym(y, ',') {
                y += 1;
            }
            if let Some(v) = self.year(y) {
                return Some((
                    DateKey {
                        year: Some(v),
                        month,
                        day: None,
                    },
                    y + 1,
                ));
            }
            return None;
        }
        // 27 January[ 2025]
        if let Some((day, mut next)) = self.day(k) {
            if self.word_is(next, &["of"]) {
                next += 1;
            }
            if let Some(month) = self.month(next) {
                let mut end = next + 1;
                if self.sym(end, '.') {
                    end += 1;
                }
                let mut year = None;
                let mut y = end;
                if self.sym(y, ',') {
                    y += 1;
                }
                if let Some(v) = self.year(y) {
                    year = Some(v);
                    end = y + 1;
                }
                return Some((
                    DateKey {
                        year,
                        month,
                        day: Some(day),
                    },
                    end,
                ));
            }
        }
        None
    }

    /// A scale after the number at `k`: its power of ten and the index after it.
    fn scale(&self, k: usize, short: bool) -> Option<(i32, usize)> {
        let next = k + 1;
        if !self.is(next, Lx::Word) {
            return None;
        }
        let w = self.s(next);
        if let Some(p) = long_scale(w) {
            return Some((p, next + 1));
        }
        if short && self.adjacent(k, next) {
            if let Some(p) = short_scale(w) {
                return Some((p, next + 1));
            }
        }
        None
    }

    /// True when the number at `k` is part of a name or code (`V3`, `COVID-19`, `5G`).
    fn in_identifier(&self, k: usize) -> bool {
        let before_letter = k > 0 && self.is(k - 1, Lx::Word) && self.adjacent(k - 1, k);
        let hyphenated = k > 1
            && self.sym(k - 1, '-')
            && self.adjacent(k - 1, k)
            && self.is(k - 2, Lx::Word)
            && self.adjacent(k - 2, k - 1);
        let after_letter = self.is(k + 1, Lx::Word)
            && self.adjacent(k, k + 1)
            && !self.word_is(k + 1, &["st", "nd", "rd", "th", "s"])
            && long_scale(self.s(k + 1)).is_none();
        before_letter || hyphenated || after_letter
    }

    /// True when the number at `k` is a list marker (`1.` or `2)` at the start of a line).
    fn list_marker(&self, k: usize) -> bool {
        let start = self.lx[k].start;
        let line_start = self.text[..start].rfind('\n').map_or(0, |p| p + 1);
        self.text[line_start..start].trim().is_empty()
            && (self.sym(k + 1, '.') || self.sym(k + 1, ')'))
            && self.adjacent(k, k + 1)
            && self
                .lx
                .get(k + 2)
                .is_none_or(|l| l.start > self.lx[k + 1].end)
    }
}

/// The facts of an article section's text (quotations not included).
fn article_facts(text: &str, facts: &Facts, skip: &[(usize, usize)]) -> Vec<Fact> {
    let r = Reader::new(text, Mode::Article);
    let urls = url_spans(text);
    let mut out = Vec::new();
    let mut k = 0;
    let n = r.lx.len();
    while k < n {
        let start = r.lx[k].start;
        if overlaps(&urls, start, r.lx[k].end) || overlaps(skip, start, r.lx[k].end) {
            k += 1;
            continue;
        }
        // Dates first: they hold numbers.
        if let Some((date, next)) = r.date_at(k) {
            if facts.dates {
                out.push(Fact {
                    kind: FactKind::Date,
                    start,
                    end: r.lx[next - 1].end,
                    key: Key::Date(date),
                });
            }
            k = next;
            continue;
        }
        // Money with a symbol before the number: $5.5 million, US$3bn, €200.
        if let Lx::Sym(c) = r.lx[k].kind {
            if CURRENCY_SYMBOLS.contains(&c) && r.is(k + 1, Lx::Num) {
                let mut first = k;
                if k > 0 && r.is(k - 1, Lx::Word) && r.adjacent(k - 1, k) && r.s(k - 1).len() <= 3 {
                    first = k - 1;
                }
                if let Some(v) = r.number(k + 1) {
                    let (value, next) = match r.scale(k + 1, true) {
                        Some((p, next)) => (v.scaled(p), next),
                        None => (v, k + 2),
                    };
                    if facts.money {
                        out.push(Fact {
                            kind: FactKind::Money,
                            start: r.lx[first].start,
                            end: r.lx[next - 1].end,
                            key: Key::Value(value),
                        });
                    }
                    k = next;
                    continue;
                }
            }
        }
        if r.is(k, Lx::Num) {
            if r.in_identifier(k) || r.list_marker(k) {
                k += 1;
                continue;
            }
            let Some(v) = r.number(k) else {
                k += 1;
                continue;
            };
            // 12%, 12 per cent, 12 percent
            if r.sym(k + 1, '%') {
                if facts.percentages {
                    out.push(Fact {
                        kind: FactKind::Percentage,
                        start,
                        end: r.lx[k + 1].end,
                        key: Key::Value(v),
                    });
                }
                k += 2;
                continue;
            }
            if r.word_is(k + 1, &["percent"])
                || (r.word_is(k + 1, &["per"]) && r.word_is(k + 2, &["cent"]))
            {
                let next = if r.word_is(k + 1, &["percent"]) {
                    k + 2
                } else {
                    k + 3
                };
                if facts.percentages {
                    out.push(Fact {
                        kind: FactKind::Percentage,
                        start,
                        end: r.lx[next - 1].end,
                        key: Key::Value(v),
                    });
                }
                k = next;
                continue;
            }
            let (value, next) = match r.scale(k, false) {
                Some((p, next)) => (v.scaled(p), next),
                None => (v, k + 1),
            };
            // 5.5 million dollars
            if r.is(next, Lx::Word) && is_currency_word(r.s(next)) {
                if facts.money {
                    out.push(Fact {
                        kind: FactKind::Money,
                        start,
                        end: r.lx[next].end,
                        key: Key::Value(value),
                    });
                }
                k = next + 1;
                continue;
            }
            if facts.numbers {
                out.push(Fact {
                    kind: FactKind::Number,
                    start,
                    end: r.lx[next - 1].end,
                    key: Key::Value(value),
                });
            }
            k = next;
            continue;
        }
        k += 1;
    }
    out
}

/// What the sources hold, read leniently.
#[derive(Debug, Default)]
pub(crate) struct SourceFacts {
    values: HashSet<Dec, BuildHasherDefault<IntHasher>>,
    dates: Vec<DateKey>,
}

impl SourceFacts {
    /// Read the figures and dates of `sources`.
    pub fn read(sources: &[&str]) -> Self {
        let mut f = SourceFacts::default();
        for text in sources {
            let r = Reader::new(text, Mode::Source);
            for k in 0..r.lx.len() {
                match r.lx[k].kind {
                    Lx::Num => {
                        if let Some((date, _)) = r.date_at(k) {
                            f.dates.push(date);
                        }
                        let raw = r.s(k);
                        for european in [false, true] {
                            if let Some(v) = parse_number(raw, european) {
                                f.values.insert(v);
                                for short in [false, true] {
                                    if let Some((p, _)) = r.scale(k, short) {
                                        f.values.insert(v.scaled(p));
                                    }
                                }
                            }
                        }
                        // 27/01/2025 and 01/27/2025
                        if r.sym(k + 1, '/') && r.is(k + 2, Lx::Num) {
                            let a = r.s(k).parse::<u8>().ok();
                            let b = r.s(k + 2).parse::<u8>().ok();
                            // The year only when a number follows the second slash: a
                            // text may end right after it.
                            let year = (r.sym(k + 3, '/') && r.is(k + 4, Lx::Num))
                                .then(|| r.s(k + 4).parse::<i64>().ok())
                                .flatten();
                            if let (Some(a), Some(b)) = (a, b) {
                                for (d, m) in [(a, b), (b, a)] {
                                    if (1..=12).contains(&m) && (1..=31).contains(&d) {
                                        f.dates.push(DateKey {
                                            year,
                                            month: m,
                                            day: Some(d),
                                        });
                                    }
                                }
                            }
                        }
                    }
                    Lx::Word => {
                        let w = r.s(k);
                        if month_number(w).is_some() {
                            if let Some((date, _)) = r.date_at(k) {
                                f.dates.push(date);
                            }
                            continue;
                        }
                        if let Some(v) = number_word(w) {
                            let v = Dec::new(u64::from(v), 0);
                            f.values.insert(v);
                            if let Some((p, _)) = r.scale(k, false) {
                                f.values.insert(v.scaled(p));
                            }
                        }
                    }
                    Lx::Sym(_) => {}
                }
            }
        }
        f
    }

    fn has_value(&self, v: &Dec) -> bool {
        self.values.contains(v)
    }

    fn has_date(&self, a: &DateKey) -> bool {
        let year_anywhere = |y: i64| {
            self.values
                .contains(&Dec::new(u64::try_from(y).unwrap_or(0), 0))
        };
        self.dates.iter().any(|d| {
            d.month == a.month
                && (a.day.is_none() || d.day == a.day)
                && match (a.year, d.year) {
                    (None, _) => true,
                    (Some(ay), Some(dy)) => ay == dy,
                    (Some(ay), None) => year_anywhere(ay),
                }
        })
    }
}

/// The quotations of a section with their parts (split at ellipses and bracketed
/// insertions), as facts. Quotations shorter than `min_words` are left out.
fn quote_facts(text: &str, min_words: usize) -> Vec<Fact> {
    let mut out = Vec::new();
    for (start, end) in quoted_spans(text) {
        let inner = &text[start..end];
        let total = words(inner).len();
        if total < min_words {
            continue;
        }
        let mut parts = Vec::new();
        let mut current = String::new();
        let mut depth = 0;
        let mut chars = inner.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '[' => {
                    depth += 1;
                    parts.push(std::mem::take(&mut current));
                }
                ']' if depth > 0 => depth -= 1,
                _ if depth > 0 => {}
                '…' => parts.push(std::mem::take(&mut current)),
                '.' if chars.peek() == Some(&'.') => {
                    while chars.peek() == Some(&'.') {
                        chars.next();
                    }
                    parts.push(std::mem::take(&mut current));
                }
                c => current.push(c),
            }
        }
        parts.push(current);
        let parts: Vec<Vec<u64>> = parts
            .iter()
            .map(|p| words(p).into_iter().map(|w| w.hash).collect::<Vec<u64>>())
            .filter(|p| !p.is_empty())
            .collect();
        if parts.is_empty() {
            continue;
        }
        out.push(Fact {
            kind: FactKind::Quote,
            start,
            end,
            key: Key::Quote(parts),
        });
    }
    out
}

type Goto = HashMap<(u32, u64), u32, BuildHasherDefault<IntHasher>>;

/// Aho–Corasick over word hashes: which of the patterns occur in a sequence of words, in
/// one pass over it.
struct WordMatcher {
    goto: Goto,
    fail: Vec<u32>,
    /// Patterns that end at each node (its own and those of its fail chain).
    ends: Vec<Vec<usize>>,
    /// The same automaton as a table, when it is small enough: see [`Dense`].
    dense: Option<Dense>,
}

/// The automaton with every transition worked out beforehand: the patterns' distinct words
/// are numbered, and `next[node × words + word]` is the node after reading that word (the
/// fail links already followed). A word in no pattern leads back to the root from any node.
/// One lookup of the word's number and one table read per word of the sources, instead of a
/// hash lookup per node of the fail chain.
struct Dense {
    /// A pattern word's hash → its number.
    words: HashMap<u64, u32, BuildHasherDefault<PassThrough>>,
    /// The transitions, `nodes × words.len()`.
    next: Vec<u32>,
}

/// The largest transition table built, in entries (4 MiB): more patterns than that fill
/// use the hash lookups.
const DENSE_MAX: usize = 1 << 20;

impl WordMatcher {
    fn new(patterns: &[&[u64]]) -> Self {
        let mut goto = Goto::default();
        let mut children: Vec<Vec<(u64, u32)>> = vec![Vec::new()];
        let mut ends: Vec<Vec<usize>> = vec![Vec::new()];
        for (id, p) in patterns.iter().enumerate() {
            let mut node = 0u32;
            for &w in *p {
                node = match goto.get(&(node, w)) {
                    Some(&next) => next,
                    None => {
                        let next = children.len() as u32;
                        children.push(Vec::new());
                        ends.push(Vec::new());
                        goto.insert((node, w), next);
                        children[node as usize].push((w, next));
                        next
                    }
                };
            }
            ends[node as usize].push(id);
        }
        let mut fail = vec![0u32; children.len()];
        let mut queue = std::collections::VecDeque::new();
        for &(_, child) in &children[0] {
            queue.push_back(child);
        }
        while let Some(node) = queue.pop_front() {
            for &(w, child) in &children[node as usize].clone() {
                let mut f = fail[node as usize];
                let target = loop {
                    if let Some(&t) = goto.get(&(f, w)) {
                        break t;
                    }
                    if f == 0 {
                        break 0;
                    }
                    f = fail[f as usize];
                };
                fail[child as usize] = target;
                let inherited = ends[target as usize].clone();
                ends[child as usize].extend(inherited);
                queue.push_back(child);
            }
        }
        let dense = Dense::new(patterns, &goto, &fail, &children);
        WordMatcher {
            goto,
            fail,
            ends,
            dense,
        }
    }

    /// Mark in `found` the patterns that occur in `seq`; stop early once all are found.
    fn scan(&self, seq: &[Word], found: &mut [bool], remaining: &mut usize) {
        self.scan_hashes(seq.iter().map(|w| w.hash), found, remaining)
    }

    /// [`WordMatcher::scan`] over the words' hashes alone.
    fn scan_hashes(
        &self,
        seq: impl IntoIterator<Item = u64>,
        found: &mut [bool],
        remaining: &mut usize,
    ) {
        if let Some(dense) = &self.dense {
            let width = dense.words.len();
            let mut node = 0usize;
            for hash in seq {
                node = match dense.words.get(&hash) {
                    Some(&w) => dense.next[node * width + w as usize] as usize,
                    None => 0,
                };
                for &p in &self.ends[node] {
                    if !found[p] {
                        found[p] = true;
                        *remaining -= 1;
                    }
                }
                if *remaining == 0 {
                    return;
                }
            }
            return;
        }
        let mut node = 0u32;
        for hash in seq {
            loop {
                if let Some(&next) = self.goto.get(&(node, hash)) {
                    node = next;
                    break;
                }
                if node == 0 {
                    break;
                }
                node = self.fail[node as usize];
            }
            for &p in &self.ends[node as usize] {
                if !found[p] {
                    found[p] = true;
                    *remaining -= 1;
                }
            }
            if *remaining == 0 {
                return;
            }
        }
    }
}

impl Dense {
    /// The table of the automaton `goto`/`fail` over `patterns`, or `None` when it would be
    /// larger than [`DENSE_MAX`].
    fn new(
        patterns: &[&[u64]],
        goto: &Goto,
        fail: &[u32],
        children: &[Vec<(u64, u32)>],
    ) -> Option<Self> {
        let mut words: HashMap<u64, u32, BuildHasherDefault<PassThrough>> = HashMap::default();
        for p in patterns {
            for &w in *p {
                let n = words.len() as u32;
                words.entry(w).or_insert(n);
            }
        }
        let width = words.len();
        let nodes = fail.len();
        if width == 0 || nodes.checked_mul(width)? > DENSE_MAX {
            return None;
        }
        let mut next = vec![0u32; nodes * width];
        // Breadth first, so a node's fail target (nearer the root) is done before it.
        let mut queue = std::collections::VecDeque::from([0u32]);
        while let Some(node) = queue.pop_front() {
            let at = node as usize * width;
            for (&w, &n) in &words {
                let n = n as usize;
                next[at + n] = match goto.get(&(node, w)) {
                    Some(&child) => child,
                    None if node == 0 => 0,
                    None => next[fail[node as usize] as usize * width + n],
                };
            }
            for &(_, child) in &children[node as usize] {
                queue.push_back(child);
            }
        }
        Some(Dense { words, next })
    }
}

/// What the sources hold, as [`unsourced`] asks for it: each part is computed only when
/// it is first asked for.
pub(crate) trait SourceView {
    /// The figures and dates of all sources.
    fn facts(&self) -> &SourceFacts;
    /// Each source's words.
    fn words(&self) -> &[Vec<Word>];
}

/// What one section asks of the sources: its figures and dates, and its quotations with
/// their parts as sequences of word hashes.
pub(crate) struct Questions {
    /// Figures, amounts, percentages and dates (outside the quotations).
    figures: Vec<Fact>,
    /// The quotations.
    quotes: Vec<Fact>,
    /// Every quotation's parts, one after another.
    patterns: Vec<Vec<u64>>,
}

impl Questions {
    /// The questions of a section's `text`.
    pub fn of(text: &str, facts: &Facts, quote_min_words: usize) -> Self {
        let quotes = if facts.quotes {
            quote_facts(text, quote_min_words)
        } else {
            Vec::new()
        };
        // Figures inside a traced quotation are traced with it.
        let quoted: Vec<(usize, usize)> = quotes.iter().map(|q| (q.start, q.end)).collect();
        let figures = article_facts(text, facts, &quoted);
        let patterns = quotes
            .iter()
            .flat_map(|q| match &q.key {
                Key::Quote(parts) => parts.clone(),
                _ => Vec::new(),
            })
            .collect();
        Questions {
            figures,
            quotes,
            patterns,
        }
    }

    /// The facts no source holds, given which quotation parts were `found` in a source and
    /// what the sources hold (asked only when there are figures).
    fn answer<'k>(self, known: impl FnOnce() -> &'k dyn Known, found: &[bool]) -> Vec<Fact> {
        let mut out = Vec::new();
        if !self.figures.is_empty() {
            let known = known();
            for f in self.figures {
                let found = match &f.key {
                    Key::Value(v) => known.has_value(v),
                    Key::Date(d) => known.has_date(d),
                    Key::Quote(_) => true,
                };
                if !found {
                    out.push(f);
                }
            }
        }
        let mut id = 0;
        for q in self.quotes {
            let Key::Quote(parts) = &q.key else { continue };
            let all = found[id..id + parts.len()].iter().all(|f| *f);
            id += parts.len();
            if !all {
                out.push(q);
            }
        }
        out.sort_by_key(|f| f.start);
        out
    }
}

/// Whether the sources hold a value or a date.
pub(crate) trait Known {
    /// Some source has this value.
    fn has_value(&self, v: &Dec) -> bool;
    /// Some source has this date (see [`SourceFacts::has_date`]).
    fn has_date(&self, d: &DateKey) -> bool;
}

impl Known for SourceFacts {
    fn has_value(&self, v: &Dec) -> bool {
        SourceFacts::has_value(self, v)
    }
    fn has_date(&self, d: &DateKey) -> bool {
        SourceFacts::has_date(self, d)
    }
}

/// One section's facts that no source holds.
pub(crate) fn unsourced(
    text: &str,
    facts: &Facts,
    quote_min_words: usize,
    sources: &impl SourceView,
) -> Vec<Fact> {
    let questions = Questions::of(text, facts, quote_min_words);
    let mut found = vec![false; questions.patterns.len()];
    if !questions.patterns.is_empty() {
        let patterns: Vec<&[u64]> = questions.patterns.iter().map(Vec::as_slice).collect();
        let matcher = WordMatcher::new(&patterns);
        let mut remaining = patterns.len();
        for seq in sources.words() {
            if remaining == 0 {
                break;
            }
            matcher.scan(seq, &mut found, &mut remaining);
        }
    }
    questions.answer(|| sources.facts() as &dyn Known, &found)
}

/// What one source holds for traceability, read as [`SourceFacts::read`] reads it: its
/// distinct values, sorted, as `(mantissa, exponent)`, and its distinct dates as
/// `(year, month, day)` (see [`crate::model::SourceDigest`]).
#[allow(clippy::type_complexity)]
pub(crate) fn digest_facts(text: &str) -> (Vec<(u64, i32)>, Vec<(Option<i64>, u8, Option<u8>)>) {
    let f = SourceFacts::read(&[text]);
    let mut values: Vec<(u64, i32)> = f.values.iter().map(|d| (d.mantissa, d.exp)).collect();
    values.sort_unstable();
    let mut dates: Vec<(Option<i64>, u8, Option<u8>)> =
        f.dates.iter().map(|d| (d.year, d.month, d.day)).collect();
    dates.sort_unstable();
    dates.dedup();
    (values, dates)
}

/// The answers to one section's [`Questions`], gathered from the sources' digests one
/// source at a time, in the story's order: the same answers [`unsourced`] finds with every
/// source's text at hand.
pub(crate) struct TraceProbe {
    questions: Questions,
    matcher: Option<WordMatcher>,
    found: Vec<bool>,
    remaining: usize,
    /// Each value asked, and whether a source has it.
    values: Vec<(Dec, bool)>,
    /// Each date asked; whether a source has it outright; whether a source has its month
    /// and day without a year (then the year must be a value somewhere in the sources).
    dates: Vec<(DateKey, bool, bool)>,
    /// Each year asked, and whether a source has it as a value.
    years: Vec<(Dec, bool)>,
}

impl TraceProbe {
    /// Ready to gather the answers to `questions`.
    pub fn new(questions: Questions) -> Self {
        let matcher = (!questions.patterns.is_empty()).then(|| {
            let patterns: Vec<&[u64]> = questions.patterns.iter().map(Vec::as_slice).collect();
            WordMatcher::new(&patterns)
        });
        let mut values = Vec::new();
        let mut dates = Vec::new();
        let mut years = Vec::new();
        for f in &questions.figures {
            match &f.key {
                Key::Value(v) => values.push((*v, false)),
                Key::Date(d) => {
                    dates.push((*d, false, false));
                    if let Some(y) = d.year {
                        years.push((Dec::new(u64::try_from(y).unwrap_or(0), 0), false));
                    }
                }
                Key::Quote(_) => {}
            }
        }
        TraceProbe {
            found: vec![false; questions.patterns.len()],
            remaining: questions.patterns.len(),
            questions,
            matcher,
            values,
            dates,
            years,
        }
    }

    /// Look in one more source.
    pub fn observe(&mut self, source: &SourceDigest) {
        let words = &source.words;
        // Sorted and distinct: the store refuses a digest whose values are not.
        let has_value = |v: &Dec| source.values.binary_search(&(v.mantissa, v.exp)).is_ok();
        if let Some(m) = &self.matcher {
            if self.remaining > 0 {
                m.scan_hashes(words.iter().copied(), &mut self.found, &mut self.remaining);
            }
        }
        for (v, found) in &mut self.values {
            *found = *found || has_value(v);
        }
        for (y, found) in &mut self.years {
            *found = *found || has_value(y);
        }
        for (a, outright, without_year) in &mut self.dates {
            for &(year, month, day) in &source.dates {
                if month != a.month || (a.day.is_some() && day != a.day) {
                    continue;
                }
                match (a.year, year) {
                    (None, _) => *outright = true,
                    (Some(ay), Some(dy)) => *outright = *outright || ay == dy,
                    (Some(_), None) => *without_year = true,
                }
            }
        }
    }

    /// The fact terms of a source index that answer this probe's questions, in the order
    /// [`TraceProbe::apply_index`] reads the answers: each value, each year, each date
    /// (held outright; and, with a year, held without one), and each quotation part (its
    /// words when it is short, else each of its three-word runs).
    pub fn index_terms(&self) -> Vec<u64> {
        let mut out = Vec::new();
        for (v, _) in &self.values {
            out.push(value_term(v.mantissa, v.exp));
        }
        for (y, _) in &self.years {
            out.push(value_term(y.mantissa, y.exp));
        }
        for (a, _, _) in &self.dates {
            let day = match a.day {
                Some(d) => DayKey::Exact(Some(d)),
                None => DayKey::Any,
            };
            match a.year {
                Some(y) => {
                    out.push(date_term(YearKey::Exact(Some(y)), a.month, day));
                    out.push(date_term(YearKey::Exact(None), a.month, day));
                }
                None => out.push(date_term(YearKey::Any, a.month, day)),
            }
        }
        for p in &self.questions.patterns {
            if p.len() <= GRAM_MAX {
                out.push(gram_term(p));
            } else {
                out.extend(p.windows(GRAM_MAX).map(gram_term));
            }
        }
        out
    }

    /// Take a source index's answers to [`TraceProbe::index_terms`] (`held`, in the same
    /// order). Returns the quotation parts that only the sources' words can settle: parts
    /// longer than [`GRAM_MAX`] words whose every three-word run some source holds.
    pub fn apply_index(&mut self, held: &[bool]) -> Vec<usize> {
        let mut at = held.iter().copied();
        let mut next = || at.next().unwrap_or(false);
        for (_, found) in &mut self.values {
            *found = next();
        }
        for (_, found) in &mut self.years {
            *found = next();
        }
        for (a, outright, without_year) in &mut self.dates {
            *outright = next();
            if a.year.is_some() {
                *without_year = next();
            }
        }
        let mut open = Vec::new();
        for (id, p) in self.questions.patterns.iter().enumerate() {
            let found = if p.len() <= GRAM_MAX {
                next()
            } else {
                let mut all = true;
                for _ in p.windows(GRAM_MAX) {
                    all &= next();
                }
                if all {
                    open.push(id);
                }
                false
            };
            if found && !self.found[id] {
                self.found[id] = true;
                self.remaining -= 1;
            }
        }
        open
    }

    /// The quotation part `id`, as its words' hashes.
    pub fn pattern(&self, id: usize) -> &[u64] {
        &self.questions.patterns[id]
    }

    /// True once quotation part `id` was found in a source.
    pub fn is_found(&self, id: usize) -> bool {
        self.found.get(id).copied().unwrap_or(false)
    }

    /// The section's facts that no source holds.
    pub fn finish(self) -> Vec<Fact> {
        let known = ProbeKnown {
            values: self.values,
            dates: self.dates,
            years: self.years,
        };
        self.questions.answer(|| &known as &dyn Known, &self.found)
    }
}

/// The answers a [`TraceProbe`] gathered, asked the way [`SourceFacts`] is.
struct ProbeKnown {
    values: Vec<(Dec, bool)>,
    dates: Vec<(DateKey, bool, bool)>,
    years: Vec<(Dec, bool)>,
}

impl Known for ProbeKnown {
    fn has_value(&self, v: &Dec) -> bool {
        self.values.iter().any(|(x, found)| x == v && *found)
    }
    fn has_date(&self, a: &DateKey) -> bool {
        let year_anywhere = |y: i64| {
            let y = Dec::new(u64::try_from(y).unwrap_or(0), 0);
            self.years.iter().any(|(x, found)| *x == y && *found)
        };
        self.dates.iter().any(|(d, outright, without_year)| {
            d == a && (*outright || (*without_year && a.year.is_some_and(year_anywhere)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::sources::Sources;
    use super::*;

    const ALL: Facts = Facts {
        numbers: true,
        money: true,
        percentages: true,
        dates: true,
        quotes: true,
    };

    fn missing(article: &str, sources: &[&str]) -> Vec<String> {
        let sources = Sources::new(sources.to_vec());
        unsourced(article, &ALL, 2, &sources)
            .into_iter()
            .map(|f| format!("{}: {}", f.kind.word(), &article[f.start..f.end]))
            .collect()
    }

    #[test]
    fn numbers_parse_with_separators_and_scales() {
        assert_eq!(parse_number("1,200", false), Some(Dec::new(12, 2)));
        assert_eq!(parse_number("1,200.50", false), Some(Dec::new(12005, -1)));
        assert_eq!(parse_number("5.5", false), Some(Dec::new(55, -1)));
        assert_eq!(parse_number("5,5", true), Some(Dec::new(55, -1)));
        assert_eq!(parse_number("1.200.000", true), Some(Dec::new(12, 5)));
        assert_eq!(Dec::new(55, -1).scaled(6), Dec::new(5_500_000, 0));
    }

    #[test]
    fn amounts_match_by_value() {
        let sources = ["The run cost about 5.5 million dollars and 12 per cent more."];
        assert!(missing("It cost $5.5m, up 12%.", &sources).is_empty());
        assert!(missing("It cost US$5,500,000.", &sources).is_empty());
        assert_eq!(
            missing("It cost $6 million, up 13 percent.", &sources),
            vec!["amount: $6 million", "percentage: 13 percent"]
        );
    }

    #[test]
    fn dates_match_by_parts() {
        let sources = ["Memo of 27 January 2025. The meeting is on march 3."];
        assert!(missing("On January 27, 2025, and on March 3, 2025.", &sources).is_empty());
        assert!(missing("Dated 2025-01-27.", &sources).is_empty());
        assert_eq!(
            missing("On January 28, 2025 and in April 2025.", &sources),
            vec!["date: January 28, 2025", "date: April 2025"]
        );
    }

    #[test]
    fn names_urls_and_list_markers_are_not_figures() {
        let sources = ["nothing here"];
        let article = "1. DeepSeek V3 beat GPT-4 on COVID-19 data over 5G.\n2. See https://example.org/2024/55.";
        assert!(
            missing(article, &sources).is_empty(),
            "{:?}",
            missing(article, &sources)
        );
        assert_eq!(
            missing("They hired 40 people.", &sources),
            vec!["figure: 40"]
        );
        assert!(missing("They hired forty people.", &sources).is_empty());
        assert!(missing("They hired 4 people.", &["four people"]).is_empty());
    }

    #[test]
    fn quotations_are_found_in_order_and_in_parts() {
        let sources = ["He said: we will take it apart and copy what we can, then rebuild it."];
        assert!(missing("“We will take it apart,” he said.", &sources).is_empty());
        assert!(missing(
            "He said they “will take it apart … then rebuild it.”",
            &sources
        )
        .is_empty());
        assert!(missing("“We [engineers] will take it apart”", &sources).is_empty());
        assert_eq!(
            missing("He said “we will rebuild it apart”.", &sources),
            vec!["quotation: we will rebuild it apart"]
        );
        // One-word scare quotes are not quotations.
        assert!(missing("the “war” rooms", &sources).is_empty());
        // A figure inside a traced quotation is not reported again.
        assert_eq!(
            missing("“We lost 40 engineers”", &sources),
            vec!["quotation: We lost 40 engineers"]
        );
    }

    #[test]
    fn the_transition_table_finds_what_the_fail_links_and_a_plain_search_find() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut some_found = 0;
        for case in 0..300 {
            let vocabulary = 2 + case % 5;
            let patterns: Vec<Vec<u64>> = (0..1 + next(8))
                .map(|_| (0..1 + next(5)).map(|_| 100 + next(vocabulary)).collect())
                .collect();
            let seq: Vec<u64> = (0..next(60)).map(|_| 100 + next(vocabulary + 1)).collect();
            let refs: Vec<&[u64]> = patterns.iter().map(Vec::as_slice).collect();
            let dense = WordMatcher::new(&refs);
            assert!(dense.dense.is_some());
            let mut links = WordMatcher::new(&refs);
            links.dense = None;
            let plain: Vec<bool> = patterns
                .iter()
                .map(|p| seq.windows(p.len()).any(|w| w == p.as_slice()))
                .collect();
            for m in [&dense, &links] {
                let mut found = vec![false; patterns.len()];
                let mut remaining = patterns.len();
                m.scan_hashes(seq.iter().copied(), &mut found, &mut remaining);
                assert_eq!(found, plain, "case {case}");
                assert_eq!(remaining, plain.iter().filter(|f| !**f).count());
            }
            some_found += plain.iter().filter(|f| **f).count();
        }
        assert!(some_found > 300);
    }
}
