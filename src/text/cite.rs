//! References formatted in APA 7, MLA 9 and Chicago (notes-bibliography), as Markdown.
//!
//! The formatter is small and literal on purpose. Titles, outlets and names are printed
//! exactly as given: no case is ever changed ("DeepSeek", "36Kr" and Chinese titles come out
//! as they went in). No punctuation is doubled: where a field already ends in `.`, `?` or `!`
//! (or the full-width `。？！`, or `…`), the period or comma a style would add after it is left
//! out. `*` and `_` in the fields are escaped so they cannot open Markdown emphasis; URLs are
//! printed untouched so they stay usable links.
//!
//! Dates are [`PartialDate`]s, as precise as the source gives them; [`parse_date`] reads the
//! `YYYY-MM-DD`, `YYYY-MM` and `YYYY` forms people type.

use std::fmt;

use crate::model::{CitationStyle, PartialDate, Reference, ReferenceKind};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// MLA 9 abbreviates month names longer than four letters.
const MLA_MONTHS: [&str; 12] = [
    "Jan.", "Feb.", "Mar.", "Apr.", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.",
];

/// APA 7 names at most this many words of an untitled post.
const APA_POST_WORDS: usize = 20;

/// The heading of the reference list in a style: "References" (APA), "Works Cited" (MLA),
/// "Bibliography" (Chicago).
pub fn heading(style: CitationStyle) -> &'static str {
    match style {
        CitationStyle::Apa => "References",
        CitationStyle::Mla => "Works Cited",
        CitationStyle::Chicago => "Bibliography",
    }
}

/// One reference as a Markdown line in the given style.
pub fn format_reference(r: &Reference, style: CitationStyle) -> String {
    let fields = Fields::of(r);
    match style {
        CitationStyle::Apa => apa(&fields),
        CitationStyle::Mla => mla(&fields),
        CitationStyle::Chicago => chicago(&fields),
    }
}

/// The key a reference list is sorted by, in all three styles: the lowercased author, or,
/// for a reference without an author, its lowercased title without a leading "The ", "A " or
/// "An ".
///
/// A reference without an author starts with its title in all three styles, so it is sorted
/// by the title; sorting it by its outlet would file it where a reader does not look.
pub fn sort_key(r: &Reference) -> String {
    let fields = Fields::of(r);
    match fields.author {
        Some(author) => author.to_lowercase(),
        None => {
            let title = fields.title;
            let lower = title.to_lowercase();
            for article in ["the ", "a ", "an "] {
                if let Some(rest) = lower.strip_prefix(article) {
                    return rest.trim_start().to_string();
                }
            }
            lower
        }
    }
}

/// The formatted entries of a reference list, sorted by [`sort_key`]; references with equal
/// keys keep the order they were given in.
pub fn format_list(refs: &[Reference], style: CitationStyle) -> Vec<String> {
    let mut keyed: Vec<(String, &Reference)> = refs.iter().map(|r| (sort_key(r), r)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed
        .into_iter()
        .map(|(_, r)| format_reference(r, style))
        .collect()
}

/// Why a typed date was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateError {
    /// Nothing was typed.
    Empty,
    /// Not `YYYY-MM-DD`, `YYYY-MM` or `YYYY` with ASCII digits.
    Shape,
    /// The year 0000.
    Year,
    /// A month outside 01–12.
    Month,
    /// A day outside 01–31.
    Day,
    /// Day 31 in April, June, September or November.
    ThirtyDayMonth,
    /// February 30 or 31.
    February,
    /// February 29 in a year that is not a leap year.
    NotLeapYear,
}

impl DateError {
    /// What is wrong, in words fit to show the person who typed the date.
    pub fn reason(&self) -> &'static str {
        match self {
            DateError::Empty => "the date is empty",
            DateError::Shape => "write the date as YYYY-MM-DD, YYYY-MM or YYYY",
            DateError::Year => "year must be 0001–9999",
            DateError::Month => "month must be 01–12",
            DateError::Day => "day must be 01–31",
            DateError::ThirtyDayMonth => "that month has only 30 days",
            DateError::February => "February has only 28 days, 29 in a leap year",
            DateError::NotLeapYear => "February 29 exists only in leap years",
        }
    }
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for DateError {}

/// Reads `YYYY-MM-DD`, `YYYY-MM` or `YYYY` (surrounding whitespace ignored), checking that the
/// date exists in the Gregorian calendar.
pub fn parse_date(s: &str) -> Result<PartialDate, DateError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(DateError::Empty);
    }
    let parts: Vec<&str> = s.split('-').collect();
    let widths_ok = parts.len() <= 3
        && parts
            .iter()
            .zip([4, 2, 2])
            .all(|(p, w)| p.len() == w && p.bytes().all(|b| b.is_ascii_digit()));
    if !widths_ok {
        return Err(DateError::Shape);
    }
    // Only ASCII digits of fixed width from here on, so the parses cannot fail.
    let year: u16 = parts[0].parse().unwrap_or(0);
    let number = |p: &str| p.parse::<u8>().unwrap_or(0);
    if year == 0 {
        return Err(DateError::Year);
    }
    let month = match parts.get(1) {
        None => None,
        Some(p) => match number(p) {
            m @ 1..=12 => Some(m),
            _ => return Err(DateError::Month),
        },
    };
    let day = match (parts.get(2), month) {
        (Some(p), Some(m)) => {
            let d = number(p);
            if !(1..=31).contains(&d) {
                return Err(DateError::Day);
            }
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            match (m, d) {
                (4 | 6 | 9 | 11, 31) => return Err(DateError::ThirtyDayMonth),
                (2, 30 | 31) => return Err(DateError::February),
                (2, 29) if !leap => return Err(DateError::NotLeapYear),
                _ => Some(d),
            }
        }
        _ => None,
    };
    Ok(PartialDate {
        year: i32::from(year),
        month,
        day,
    })
}

/// A date back in the form [`parse_date`] reads: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
pub fn format_date_iso(d: &PartialDate) -> String {
    match (d.month, d.day) {
        (Some(m), Some(day)) => format!("{:04}-{:02}-{:02}", d.year, m, day),
        (Some(m), None) => format!("{:04}-{:02}", d.year, m),
        (None, _) => format!("{:04}", d.year),
    }
}

/// True when most of the text is written in scripts other than Latin (CJK, Cyrillic, Arabic,
/// Hebrew, Greek, Devanagari, Thai, Hangul, kana, …), so a check can ask for an English
/// translation of a title.
///
/// Letters are counted by word, not by character, so that a Chinese headline naming a Latin
/// brand ("DeepSeek发布新模型") counts as Chinese: a run of letters of one kind counts once,
/// and each Chinese character or kana, a word of its own in scripts written without spaces,
/// counts once. Digits, punctuation and spaces do not count. Text with no letters is not
/// non-Latin.
pub fn is_non_latin(s: &str) -> bool {
    let mut latin = 0usize;
    let mut other = 0usize;
    // The kind of the current run of letters: `Some(true)` for Latin.
    let mut run: Option<bool> = None;
    for c in s.chars() {
        if is_combining_diacritic(c) {
            continue;
        }
        if !c.is_alphabetic() {
            run = None;
            continue;
        }
        if is_ideographic(c) {
            other += 1;
            run = None;
            continue;
        }
        let is_latin = is_latin_letter(c);
        if run != Some(is_latin) {
            if is_latin {
                latin += 1;
            } else {
                other += 1;
            }
            run = Some(is_latin);
        }
    }
    other > latin
}

fn is_combining_diacritic(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

/// Scripts written without spaces, where one character stands for a word or syllable.
fn is_ideographic(c: char) -> bool {
    matches!(
        c,
        '\u{3040}'..='\u{30FF}'
            | '\u{31F0}'..='\u{31FF}'
            | '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FF66}'..='\u{FF9F}'
            | '\u{20000}'..='\u{3FFFF}'
    )
}

fn is_latin_letter(c: char) -> bool {
    matches!(
        c,
        'A'..='Z'
            | 'a'..='z'
            | '\u{00AA}'
            | '\u{00BA}'
            | '\u{00C0}'..='\u{024F}'
            | '\u{0250}'..='\u{02AF}'
            | '\u{1D00}'..='\u{1DBF}'
            | '\u{1E00}'..='\u{1EFF}'
            | '\u{2C60}'..='\u{2C7F}'
            | '\u{A720}'..='\u{A7FF}'
            | '\u{AB30}'..='\u{AB6F}'
            | '\u{FB00}'..='\u{FB06}'
            | '\u{FF21}'..='\u{FF3A}'
            | '\u{FF41}'..='\u{FF5A}'
    )
}

/// A reference's fields, trimmed, with empty strings treated as absent and the URL dropped
/// for offline material.
struct Fields<'a> {
    author: Option<&'a str>,
    title: &'a str,
    translated: Option<&'a str>,
    outlet: Option<&'a str>,
    url: Option<&'a str>,
    date: Option<PartialDate>,
    kind: ReferenceKind,
}

impl<'a> Fields<'a> {
    fn of(r: &'a Reference) -> Self {
        let present =
            |s: &'a Option<String>| s.as_deref().map(str::trim).filter(|s: &&str| !s.is_empty());
        Fields {
            author: present(&r.author),
            title: r.title.trim(),
            translated: present(&r.translated),
            outlet: present(&r.outlet),
            url: if r.offline { None } else { present(&r.url) },
            date: r.date,
            kind: r.kind,
        }
    }
}

/// True when the text ends in sentence punctuation (closing quotes looked through), so no
/// period or comma may follow it.
fn ends_terminal(s: &str) -> bool {
    let inner = s.trim_end_matches(['"', '\'', '”', '’', '»', '」', '』']);
    matches!(
        inner.chars().next_back(),
        Some('.' | '?' | '!' | '…' | '。' | '？' | '！')
    )
}

/// True when the text ends in a question or exclamation mark, which takes the place of a
/// following comma.
fn ends_question_or_exclamation(s: &str) -> bool {
    let inner = s.trim_end_matches(['"', '\'', '”', '’', '»', '」', '』']);
    matches!(inner.chars().next_back(), Some('?' | '!' | '？' | '！'))
}

/// The period to put after `s`, or nothing when `s` already ends a sentence.
fn period_after(s: &str) -> &'static str {
    if ends_terminal(s) {
        ""
    } else {
        "."
    }
}

/// Backslash before `*` and `_`, so a field cannot open or close Markdown emphasis.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '*' || c == '_' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn italic(s: &str) -> String {
    format!("*{}*", escape(s))
}

/// `s` as a sentence of its own: escaped, with a period unless it already ends in one.
fn sentence(s: &str) -> String {
    format!("{}{}", escape(s), period_after(s))
}

/// The month's index 0–11 when the date has a valid month.
fn month_index(d: &PartialDate) -> Option<usize> {
    d.month
        .filter(|m| (1..=12).contains(m))
        .map(|m| usize::from(m) - 1)
}

/// The day when the date has a valid month and day.
fn day_of(d: &PartialDate) -> Option<u8> {
    month_index(d)?;
    d.day.filter(|day| (1..=31).contains(day))
}

/// Elements joined into one Markdown sentence: `a, b, c.`. A comma is left out after an
/// element ending in `?` or `!`, and the closing period after one ending in any sentence
/// punctuation. Each element is `(markdown, plain text)`; the plain text decides the
/// punctuation.
fn joined_sentence(elements: &[(String, &str)]) -> Option<String> {
    let (_, plain_last) = elements.last()?;
    let mut out = String::new();
    for (i, (markdown, _)) in elements.iter().enumerate() {
        if i > 0 {
            let previous = elements[i - 1].1;
            out.push_str(if ends_question_or_exclamation(previous) {
                " "
            } else {
                ", "
            });
        }
        out.push_str(markdown);
    }
    out.push_str(period_after(plain_last));
    Some(out)
}

// --- APA 7 ---

fn apa(f: &Fields) -> String {
    let mut parts: Vec<String> = Vec::new();
    let title = apa_title(f);
    let date = format!("({}).", apa_date(f.date.as_ref()));
    match f.author {
        Some(author) => {
            parts.push(sentence(author));
            parts.push(date);
            parts.push(title);
        }
        None => {
            parts.push(title);
            parts.push(date);
        }
    }
    if let Some(outlet) = f.outlet {
        match f.kind {
            ReferenceKind::News => {
                parts.push(format!("{}{}", italic(outlet), period_after(outlet)))
            }
            ReferenceKind::Web => {
                if !f.author.is_some_and(|a| same_name(a, outlet)) {
                    parts.push(sentence(outlet));
                }
            }
            ReferenceKind::Forum => parts.push(sentence(outlet)),
        }
    }
    if let Some(url) = f.url {
        parts.push(url.to_string());
    }
    parts.join(" ")
}

/// `(2019, March 22)` without the parentheses: `2019, March 22`, `2019, March`, `2019`, `n.d.`.
fn apa_date(d: Option<&PartialDate>) -> String {
    let Some(d) = d else {
        return "n.d.".to_string();
    };
    match (month_index(d), day_of(d)) {
        (Some(m), Some(day)) => format!("{}, {} {}", d.year, MONTHS[m], day),
        (Some(m), None) => format!("{}, {}", d.year, MONTHS[m]),
        (None, _) => d.year.to_string(),
    }
}

/// The title element with its closing punctuation: plain for news, italic for web pages and
/// posts, a post's title cut to its first 20 words, the translation in brackets after it.
fn apa_title(f: &Fields) -> String {
    let title = match f.kind {
        ReferenceKind::Forum => first_words(f.title, APA_POST_WORDS),
        _ => f.title,
    };
    let shown = match f.kind {
        ReferenceKind::News => escape(title),
        ReferenceKind::Web | ReferenceKind::Forum => italic(title),
    };
    let mut out = shown;
    if let Some(translated) = f.translated {
        out.push_str(&format!(" [{}]", escape(translated)));
    }
    match f.kind {
        ReferenceKind::Forum => out.push_str(" [Online forum post]."),
        _ => {
            if f.translated.is_none() {
                out.push_str(period_after(title));
            } else {
                out.push('.');
            }
        }
    }
    out
}

/// The start of `s` up to the end of its `n`th whitespace-separated word, spacing kept.
fn first_words(s: &str, n: usize) -> &str {
    let mut words = 0;
    let mut in_word = false;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            if in_word {
                words += 1;
                if words == n {
                    return &s[..i];
                }
            }
            in_word = false;
        } else {
            in_word = true;
        }
    }
    s
}

/// True when an author and a site name the same body ("Reuters" and "Reuters."), in which
/// case APA leaves the site out.
pub fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.trim_end_matches('.').trim().to_lowercase();
    norm(a) == norm(b)
}

// --- MLA 9 ---

fn mla(f: &Fields) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(author) = f.author {
        parts.push(sentence(author));
    }
    parts.push(mla_title(f));
    let mut container: Vec<(String, &str)> = Vec::new();
    if let Some(outlet) = f.outlet {
        container.push((italic(outlet), outlet));
    }
    let date = f.date.as_ref().map(mla_date);
    if let Some(date) = &date {
        container.push((date.clone(), date.as_str()));
    }
    let url = f.url.map(strip_protocol);
    if let Some(url) = url {
        container.push((url.to_string(), url));
    }
    if let Some(container) = joined_sentence(&container) {
        parts.push(container);
    }
    parts.join(" ")
}

/// `“Title.”`, `“Title?”`, `“Original [English].”`
fn mla_title(f: &Fields) -> String {
    match f.translated {
        Some(translated) => format!("“{} [{}].”", escape(f.title), escape(translated)),
        None => format!("“{}{}”", escape(f.title), period_after(f.title)),
    }
}

/// `22 Mar. 2019`, `Mar. 2019`, `2019`.
fn mla_date(d: &PartialDate) -> String {
    match (month_index(d), day_of(d)) {
        (Some(m), Some(day)) => format!("{} {} {}", day, MLA_MONTHS[m], d.year),
        (Some(m), None) => format!("{} {}", MLA_MONTHS[m], d.year),
        (None, _) => d.year.to_string(),
    }
}

/// MLA 9 prints URLs without `https://` or `http://`.
fn strip_protocol(url: &str) -> &str {
    url.strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url)
}

// --- Chicago ---

fn chicago(f: &Fields) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(author) = f.author {
        parts.push(sentence(author));
    }
    parts.push(chicago_title(f));
    let date = chicago_date(f.date.as_ref());
    let dated = (date.clone(), date.as_str());
    let sentences: Vec<Vec<(String, &str)>> = match f.kind {
        ReferenceKind::News => {
            let mut container = Vec::new();
            if let Some(outlet) = f.outlet {
                container.push((italic(outlet), outlet));
            }
            container.push(dated);
            vec![container]
        }
        ReferenceKind::Web => {
            let site = f.outlet.map(|site| (escape(site), site));
            vec![site.into_iter().collect(), vec![dated]]
        }
        ReferenceKind::Forum => {
            let mut container = Vec::new();
            if let Some(site) = f.outlet {
                container.push((escape(site), site));
            }
            container.push(dated);
            vec![container]
        }
    };
    parts.extend(sentences.iter().filter_map(|s| joined_sentence(s)));
    if let Some(url) = f.url {
        parts.push(format!("{}{}", url, period_after(url)));
    }
    parts.join(" ")
}

/// `“Title.”`, `“Title?”`, `“Original” [English].`, `“Original?” [English].`
fn chicago_title(f: &Fields) -> String {
    match f.translated {
        Some(translated) => format!("“{}” [{}].", escape(f.title), escape(translated)),
        None => format!("“{}{}”", escape(f.title), period_after(f.title)),
    }
}

/// `March 22, 2019`, `March 2019`, `2019`, `n.d.`.
fn chicago_date(d: Option<&PartialDate>) -> String {
    let Some(d) = d else {
        return "n.d.".to_string();
    };
    match (month_index(d), day_of(d)) {
        (Some(m), Some(day)) => format!("{} {}, {}", MONTHS[m], day, d.year),
        (Some(m), None) => format!("{} {}", MONTHS[m], d.year),
        (None, _) => d.year.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: Option<u8>, day: Option<u8>) -> PartialDate {
        PartialDate { year, month, day }
    }

    /// The reference of the style matrix: one per kind, with or without author, date, URL.
    fn sample(kind: ReferenceKind, author: bool, dated: bool, url: bool) -> Reference {
        let (who, title, outlet, link) = match kind {
            ReferenceKind::News => (
                "Lee, Ana",
                "Tides rise in the harbour",
                "Harbour Daily",
                "https://example.org/news/tides",
            ),
            ReferenceKind::Web => (
                "Lee, Ana",
                "Tides rise in the harbour",
                "Harbour Authority",
                "https://example.org/tides",
            ),
            ReferenceKind::Forum => (
                "Ana Lee [harbour_watch]",
                "Has anyone else seen the water this high",
                "Reddit",
                "https://example.org/forum/harbour_watch/1",
            ),
        };
        Reference {
            number: 0,
            author: author.then(|| who.to_string()),
            date: dated.then(|| date(2024, Some(3), Some(5))),
            title: title.to_string(),
            translated: None,
            outlet: Some(outlet.to_string()),
            url: url.then(|| link.to_string()),
            kind,
            offline: !url,
        }
    }

    /// Checks eight expected entries, in the order: author/date/URL, author/date,
    /// author/URL, author, date/URL, date, URL, nothing.
    fn check_matrix(style: CitationStyle, kind: ReferenceKind, expected: [&str; 8]) {
        let mut i = 0;
        for author in [true, false] {
            for dated in [true, false] {
                for url in [true, false] {
                    let r = sample(kind, author, dated, url);
                    assert_eq!(
                        format_reference(&r, style),
                        expected[i],
                        "{style:?} {kind:?} author={author} date={dated} url={url}"
                    );
                    i += 1;
                }
            }
        }
    }

    #[test]
    fn carey_apa_exactly() {
        let r = Reference {
            number: 0,
            author: Some("Carey, B.".to_string()),
            date: Some(date(2019, Some(3), Some(22))),
            title: "Can we get better at forgetting?".to_string(),
            translated: None,
            outlet: Some("The New York Times".to_string()),
            url: Some(
                "https://www.nytimes.com/2019/03/22/health/memory-forgetting-psychology.html"
                    .to_string(),
            ),
            kind: ReferenceKind::News,
            offline: false,
        };
        assert_eq!(
            format_reference(&r, CitationStyle::Apa),
            "Carey, B. (2019, March 22). Can we get better at forgetting? *The New York Times*. \
             https://www.nytimes.com/2019/03/22/health/memory-forgetting-psychology.html"
        );
        let r = Reference {
            number: 0,
            author: Some("Carey, Benedict".to_string()),
            ..r
        };
        assert_eq!(
            format_reference(&r, CitationStyle::Mla),
            "Carey, Benedict. “Can we get better at forgetting?” *The New York Times*, \
             22 Mar. 2019, www.nytimes.com/2019/03/22/health/memory-forgetting-psychology.html."
        );
        assert_eq!(
            format_reference(&r, CitationStyle::Chicago),
            "Carey, Benedict. “Can we get better at forgetting?” *The New York Times*, \
             March 22, 2019. \
             https://www.nytimes.com/2019/03/22/health/memory-forgetting-psychology.html."
        );
    }

    #[test]
    fn apa_news() {
        check_matrix(
            CitationStyle::Apa,
            ReferenceKind::News,
            [
                "Lee, Ana. (2024, March 5). Tides rise in the harbour. *Harbour Daily*. https://example.org/news/tides",
                "Lee, Ana. (2024, March 5). Tides rise in the harbour. *Harbour Daily*.",
                "Lee, Ana. (n.d.). Tides rise in the harbour. *Harbour Daily*. https://example.org/news/tides",
                "Lee, Ana. (n.d.). Tides rise in the harbour. *Harbour Daily*.",
                "Tides rise in the harbour. (2024, March 5). *Harbour Daily*. https://example.org/news/tides",
                "Tides rise in the harbour. (2024, March 5). *Harbour Daily*.",
                "Tides rise in the harbour. (n.d.). *Harbour Daily*. https://example.org/news/tides",
                "Tides rise in the harbour. (n.d.). *Harbour Daily*.",
            ],
        );
    }

    #[test]
    fn apa_web() {
        check_matrix(
            CitationStyle::Apa,
            ReferenceKind::Web,
            [
                "Lee, Ana. (2024, March 5). *Tides rise in the harbour*. Harbour Authority. https://example.org/tides",
                "Lee, Ana. (2024, March 5). *Tides rise in the harbour*. Harbour Authority.",
                "Lee, Ana. (n.d.). *Tides rise in the harbour*. Harbour Authority. https://example.org/tides",
                "Lee, Ana. (n.d.). *Tides rise in the harbour*. Harbour Authority.",
                "*Tides rise in the harbour*. (2024, March 5). Harbour Authority. https://example.org/tides",
                "*Tides rise in the harbour*. (2024, March 5). Harbour Authority.",
                "*Tides rise in the harbour*. (n.d.). Harbour Authority. https://example.org/tides",
                "*Tides rise in the harbour*. (n.d.). Harbour Authority.",
            ],
        );
    }

    #[test]
    fn apa_forum() {
        check_matrix(
            CitationStyle::Apa,
            ReferenceKind::Forum,
            [
                "Ana Lee [harbour\\_watch]. (2024, March 5). *Has anyone else seen the water this high* [Online forum post]. Reddit. https://example.org/forum/harbour_watch/1",
                "Ana Lee [harbour\\_watch]. (2024, March 5). *Has anyone else seen the water this high* [Online forum post]. Reddit.",
                "Ana Lee [harbour\\_watch]. (n.d.). *Has anyone else seen the water this high* [Online forum post]. Reddit. https://example.org/forum/harbour_watch/1",
                "Ana Lee [harbour\\_watch]. (n.d.). *Has anyone else seen the water this high* [Online forum post]. Reddit.",
                "*Has anyone else seen the water this high* [Online forum post]. (2024, March 5). Reddit. https://example.org/forum/harbour_watch/1",
                "*Has anyone else seen the water this high* [Online forum post]. (2024, March 5). Reddit.",
                "*Has anyone else seen the water this high* [Online forum post]. (n.d.). Reddit. https://example.org/forum/harbour_watch/1",
                "*Has anyone else seen the water this high* [Online forum post]. (n.d.). Reddit.",
            ],
        );
    }

    #[test]
    fn mla_news() {
        check_matrix(
            CitationStyle::Mla,
            ReferenceKind::News,
            [
                "Lee, Ana. “Tides rise in the harbour.” *Harbour Daily*, 5 Mar. 2024, example.org/news/tides.",
                "Lee, Ana. “Tides rise in the harbour.” *Harbour Daily*, 5 Mar. 2024.",
                "Lee, Ana. “Tides rise in the harbour.” *Harbour Daily*, example.org/news/tides.",
                "Lee, Ana. “Tides rise in the harbour.” *Harbour Daily*.",
                "“Tides rise in the harbour.” *Harbour Daily*, 5 Mar. 2024, example.org/news/tides.",
                "“Tides rise in the harbour.” *Harbour Daily*, 5 Mar. 2024.",
                "“Tides rise in the harbour.” *Harbour Daily*, example.org/news/tides.",
                "“Tides rise in the harbour.” *Harbour Daily*.",
            ],
        );
    }

    #[test]
    fn mla_web() {
        check_matrix(
            CitationStyle::Mla,
            ReferenceKind::Web,
            [
                "Lee, Ana. “Tides rise in the harbour.” *Harbour Authority*, 5 Mar. 2024, example.org/tides.",
                "Lee, Ana. “Tides rise in the harbour.” *Harbour Authority*, 5 Mar. 2024.",
                "Lee, Ana. “Tides rise in the harbour.” *Harbour Authority*, example.org/tides.",
                "Lee, Ana. “Tides rise in the harbour.” *Harbour Authority*.",
                "“Tides rise in the harbour.” *Harbour Authority*, 5 Mar. 2024, example.org/tides.",
                "“Tides rise in the harbour.” *Harbour Authority*, 5 Mar. 2024.",
                "“Tides rise in the harbour.” *Harbour Authority*, example.org/tides.",
                "“Tides rise in the harbour.” *Harbour Authority*.",
            ],
        );
    }

    #[test]
    fn mla_forum() {
        check_matrix(
            CitationStyle::Mla,
            ReferenceKind::Forum,
            [
                "Ana Lee [harbour\\_watch]. “Has anyone else seen the water this high.” *Reddit*, 5 Mar. 2024, example.org/forum/harbour_watch/1.",
                "Ana Lee [harbour\\_watch]. “Has anyone else seen the water this high.” *Reddit*, 5 Mar. 2024.",
                "Ana Lee [harbour\\_watch]. “Has anyone else seen the water this high.” *Reddit*, example.org/forum/harbour_watch/1.",
                "Ana Lee [harbour\\_watch]. “Has anyone else seen the water this high.” *Reddit*.",
                "“Has anyone else seen the water this high.” *Reddit*, 5 Mar. 2024, example.org/forum/harbour_watch/1.",
                "“Has anyone else seen the water this high.” *Reddit*, 5 Mar. 2024.",
                "“Has anyone else seen the water this high.” *Reddit*, example.org/forum/harbour_watch/1.",
                "“Has anyone else seen the water this high.” *Reddit*.",
            ],
        );
    }

    #[test]
    fn chicago_news() {
        check_matrix(
            CitationStyle::Chicago,
            ReferenceKind::News,
            [
                "Lee, Ana. “Tides rise in the harbour.” *Harbour Daily*, March 5, 2024. https://example.org/news/tides.",
                "Lee, Ana. “Tides rise in the harbour.” *Harbour Daily*, March 5, 2024.",
                "Lee, Ana. “Tides rise in the harbour.” *Harbour Daily*, n.d. https://example.org/news/tides.",
                "Lee, Ana. “Tides rise in the harbour.” *Harbour Daily*, n.d.",
                "“Tides rise in the harbour.” *Harbour Daily*, March 5, 2024. https://example.org/news/tides.",
                "“Tides rise in the harbour.” *Harbour Daily*, March 5, 2024.",
                "“Tides rise in the harbour.” *Harbour Daily*, n.d. https://example.org/news/tides.",
                "“Tides rise in the harbour.” *Harbour Daily*, n.d.",
            ],
        );
    }

    #[test]
    fn chicago_web() {
        check_matrix(
            CitationStyle::Chicago,
            ReferenceKind::Web,
            [
                "Lee, Ana. “Tides rise in the harbour.” Harbour Authority. March 5, 2024. https://example.org/tides.",
                "Lee, Ana. “Tides rise in the harbour.” Harbour Authority. March 5, 2024.",
                "Lee, Ana. “Tides rise in the harbour.” Harbour Authority. n.d. https://example.org/tides.",
                "Lee, Ana. “Tides rise in the harbour.” Harbour Authority. n.d.",
                "“Tides rise in the harbour.” Harbour Authority. March 5, 2024. https://example.org/tides.",
                "“Tides rise in the harbour.” Harbour Authority. March 5, 2024.",
                "“Tides rise in the harbour.” Harbour Authority. n.d. https://example.org/tides.",
                "“Tides rise in the harbour.” Harbour Authority. n.d.",
            ],
        );
    }

    #[test]
    fn chicago_forum() {
        check_matrix(
            CitationStyle::Chicago,
            ReferenceKind::Forum,
            [
                "Ana Lee [harbour\\_watch]. “Has anyone else seen the water this high.” Reddit, March 5, 2024. https://example.org/forum/harbour_watch/1.",
                "Ana Lee [harbour\\_watch]. “Has anyone else seen the water this high.” Reddit, March 5, 2024.",
                "Ana Lee [harbour\\_watch]. “Has anyone else seen the water this high.” Reddit, n.d. https://example.org/forum/harbour_watch/1.",
                "Ana Lee [harbour\\_watch]. “Has anyone else seen the water this high.” Reddit, n.d.",
                "“Has anyone else seen the water this high.” Reddit, March 5, 2024. https://example.org/forum/harbour_watch/1.",
                "“Has anyone else seen the water this high.” Reddit, March 5, 2024.",
                "“Has anyone else seen the water this high.” Reddit, n.d. https://example.org/forum/harbour_watch/1.",
                "“Has anyone else seen the water this high.” Reddit, n.d.",
            ],
        );
    }

    #[test]
    fn partial_dates_in_each_style() {
        let mut r = sample(ReferenceKind::News, true, true, false);
        r.date = Some(date(2019, Some(9), None));
        assert_eq!(
            format_reference(&r, CitationStyle::Apa),
            "Lee, Ana. (2019, September). Tides rise in the harbour. *Harbour Daily*."
        );
        assert_eq!(
            format_reference(&r, CitationStyle::Mla),
            "Lee, Ana. “Tides rise in the harbour.” *Harbour Daily*, Sept. 2019."
        );
        assert_eq!(
            format_reference(&r, CitationStyle::Chicago),
            "Lee, Ana. “Tides rise in the harbour.” *Harbour Daily*, September 2019."
        );
        r.date = Some(date(2019, None, None));
        assert_eq!(
            format_reference(&r, CitationStyle::Apa),
            "Lee, Ana. (2019). Tides rise in the harbour. *Harbour Daily*."
        );
        assert_eq!(
            format_reference(&r, CitationStyle::Mla),
            "Lee, Ana. “Tides rise in the harbour.” *Harbour Daily*, 2019."
        );
        assert_eq!(
            format_reference(&r, CitationStyle::Chicago),
            "Lee, Ana. “Tides rise in the harbour.” *Harbour Daily*, 2019."
        );
    }

    #[test]
    fn mla_month_abbreviations() {
        let expected = [
            "Jan.", "Feb.", "Mar.", "Apr.", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.",
            "Dec.",
        ];
        for (i, month) in expected.iter().enumerate() {
            let d = date(2020, Some(i as u8 + 1), Some(1));
            assert_eq!(mla_date(&d), format!("1 {month} 2020"));
        }
    }

    #[test]
    fn chinese_title_with_translation() {
        let r = Reference {
            number: 0,
            author: Some("王小明".to_string()),
            date: Some(date(2025, Some(1), Some(20))),
            title: "DeepSeek发布新一代推理模型".to_string(),
            translated: Some("DeepSeek releases a new generation of reasoning model".to_string()),
            outlet: Some("36Kr".to_string()),
            url: Some("https://36kr.com/p/123".to_string()),
            kind: ReferenceKind::News,
            offline: false,
        };
        assert_eq!(
            format_reference(&r, CitationStyle::Apa),
            "王小明. (2025, January 20). DeepSeek发布新一代推理模型 [DeepSeek releases a new \
             generation of reasoning model]. *36Kr*. https://36kr.com/p/123"
        );
        assert_eq!(
            format_reference(&r, CitationStyle::Mla),
            "王小明. “DeepSeek发布新一代推理模型 [DeepSeek releases a new generation of \
             reasoning model].” *36Kr*, 20 Jan. 2025, 36kr.com/p/123."
        );
        assert_eq!(
            format_reference(&r, CitationStyle::Chicago),
            "王小明. “DeepSeek发布新一代推理模型” [DeepSeek releases a new generation of \
             reasoning model]. *36Kr*, January 20, 2025. https://36kr.com/p/123."
        );
        for style in [
            CitationStyle::Apa,
            CitationStyle::Mla,
            CitationStyle::Chicago,
        ] {
            let out = format_reference(&r, style);
            assert!(out.contains("DeepSeek发布新一代推理模型"), "{out}");
            assert!(out.contains("*36Kr*"), "{out}");
            assert!(!out.contains("Deepseek") && !out.contains("36kr*"), "{out}");
        }
        assert!(is_non_latin(&r.title));
        assert!(!is_non_latin(r.translated.as_deref().unwrap_or_default()));
    }

    #[test]
    fn translated_web_and_forum_titles_in_apa() {
        let mut r = sample(ReferenceKind::Web, true, true, true);
        r.title = "Приливы в гавани".to_string();
        r.translated = Some("Tides in the harbour".to_string());
        assert_eq!(
            format_reference(&r, CitationStyle::Apa),
            "Lee, Ana. (2024, March 5). *Приливы в гавани* [Tides in the harbour]. Harbour \
             Authority. https://example.org/tides"
        );
        r.kind = ReferenceKind::Forum;
        assert_eq!(
            format_reference(&r, CitationStyle::Apa),
            "Lee, Ana. (2024, March 5). *Приливы в гавани* [Tides in the harbour] [Online \
             forum post]. Harbour Authority. https://example.org/tides"
        );
    }

    #[test]
    fn no_double_punctuation_after_titles() {
        for title in [
            "Is the harbour safe?",
            "Evacuate now!",
            "Markets rallied.",
            "还安全吗？",
        ] {
            for kind in [
                ReferenceKind::News,
                ReferenceKind::Web,
                ReferenceKind::Forum,
            ] {
                for style in [
                    CitationStyle::Apa,
                    CitationStyle::Mla,
                    CitationStyle::Chicago,
                ] {
                    for author in [true, false] {
                        let mut r = sample(kind, author, true, true);
                        r.title = title.to_string();
                        let out = format_reference(&r, style);
                        for doubled in [
                            "?.", "!.", "..", "?,", "!,", ".,", "?”.", "!”.", ".”.", "？.", "?*.",
                            "!*.", ".*.", "？”.",
                        ] {
                            assert!(!out.contains(doubled), "{doubled:?} in {out}");
                        }
                    }
                }
            }
        }
        let mut r = sample(ReferenceKind::News, true, true, false);
        r.title = "Is the harbour safe?".to_string();
        assert_eq!(
            format_reference(&r, CitationStyle::Apa),
            "Lee, Ana. (2024, March 5). Is the harbour safe? *Harbour Daily*."
        );
        assert_eq!(
            format_reference(&r, CitationStyle::Mla),
            "Lee, Ana. “Is the harbour safe?” *Harbour Daily*, 5 Mar. 2024."
        );
        assert_eq!(
            format_reference(&r, CitationStyle::Chicago),
            "Lee, Ana. “Is the harbour safe?” *Harbour Daily*, March 5, 2024."
        );
        r.kind = ReferenceKind::Web;
        r.author = None;
        r.title = "Markets rallied.".to_string();
        assert_eq!(
            format_reference(&r, CitationStyle::Apa),
            "*Markets rallied.* (2024, March 5). Harbour Daily."
        );
        assert_eq!(
            format_reference(&r, CitationStyle::Mla),
            "“Markets rallied.” *Harbour Daily*, 5 Mar. 2024."
        );
        assert_eq!(
            format_reference(&r, CitationStyle::Chicago),
            "“Markets rallied.” Harbour Daily. March 5, 2024."
        );
    }

    #[test]
    fn no_double_punctuation_after_author_or_outlet() {
        let mut r = sample(ReferenceKind::News, true, false, true);
        r.author = Some("Yahoo!".to_string());
        r.outlet = Some("Yahoo!".to_string());
        assert_eq!(
            format_reference(&r, CitationStyle::Apa),
            "Yahoo! (n.d.). Tides rise in the harbour. *Yahoo!* https://example.org/news/tides"
        );
        assert_eq!(
            format_reference(&r, CitationStyle::Mla),
            "Yahoo! “Tides rise in the harbour.” *Yahoo!* example.org/news/tides."
        );
        assert_eq!(
            format_reference(&r, CitationStyle::Chicago),
            "Yahoo! “Tides rise in the harbour.” *Yahoo!* n.d. https://example.org/news/tides."
        );
        r.author = Some("Reuters".to_string());
        r.outlet = Some("Acme Corp.".to_string());
        assert_eq!(
            format_reference(&r, CitationStyle::Apa),
            "Reuters. (n.d.). Tides rise in the harbour. *Acme Corp.* \
             https://example.org/news/tides"
        );
    }

    #[test]
    fn apa_web_site_same_as_author_is_left_out() {
        let mut r = sample(ReferenceKind::Web, true, true, true);
        r.author = Some("Harbour Authority".to_string());
        assert_eq!(
            format_reference(&r, CitationStyle::Apa),
            "Harbour Authority. (2024, March 5). *Tides rise in the harbour*. \
             https://example.org/tides"
        );
        // News keeps its outlet even when it is the author.
        r.kind = ReferenceKind::News;
        assert_eq!(
            format_reference(&r, CitationStyle::Apa),
            "Harbour Authority. (2024, March 5). Tides rise in the harbour. \
             *Harbour Authority*. https://example.org/tides"
        );
    }

    #[test]
    fn apa_forum_post_keeps_first_twenty_words() {
        let mut r = sample(ReferenceKind::Forum, true, true, false);
        r.title = "one two three four five six seven eight nine ten eleven twelve thirteen \
                   fourteen fifteen sixteen seventeen eighteen nineteen twenty twenty-one \
                   twenty-two"
            .to_string();
        assert_eq!(
            format_reference(&r, CitationStyle::Apa),
            "Ana Lee [harbour\\_watch]. (2024, March 5). *one two three four five six seven \
             eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen \
             nineteen twenty* [Online forum post]. Reddit."
        );
        // MLA and Chicago keep the whole text.
        assert!(format_reference(&r, CitationStyle::Mla).contains("twenty-two.”"));
        assert!(format_reference(&r, CitationStyle::Chicago).contains("twenty-two.”"));
        assert_eq!(first_words("a b", 20), "a b");
        assert_eq!(first_words("a  b c ", 2), "a  b");
    }

    #[test]
    fn markdown_is_escaped_in_fields_but_not_in_urls() {
        let mut r = sample(ReferenceKind::Web, false, false, true);
        r.title = "*nix tools_and_tricks".to_string();
        r.outlet = Some("dev_notes".to_string());
        r.url = Some("https://example.org/a_b*c".to_string());
        assert_eq!(
            format_reference(&r, CitationStyle::Apa),
            "*\\*nix tools\\_and\\_tricks*. (n.d.). dev\\_notes. https://example.org/a_b*c"
        );
        assert_eq!(
            format_reference(&r, CitationStyle::Mla),
            "“\\*nix tools\\_and\\_tricks.” *dev\\_notes*, example.org/a_b*c."
        );
    }

    #[test]
    fn case_is_never_changed() {
        let mut r = sample(ReferenceKind::News, true, true, true);
        r.author = Some("de la Cruz, j.".to_string());
        r.title = "iPhone sales and the DeepSeek effect: an ANALYSIS".to_string();
        r.outlet = Some("36Kr".to_string());
        for style in [
            CitationStyle::Apa,
            CitationStyle::Mla,
            CitationStyle::Chicago,
        ] {
            let out = format_reference(&r, style);
            assert!(out.starts_with("de la Cruz, j."), "{out}");
            assert!(
                out.contains("iPhone sales and the DeepSeek effect: an ANALYSIS"),
                "{out}"
            );
            assert!(out.contains("*36Kr*"), "{out}");
        }
    }

    #[test]
    fn blank_fields_count_as_absent() {
        let mut r = sample(ReferenceKind::News, true, true, true);
        r.author = Some("  ".to_string());
        r.outlet = Some(String::new());
        r.translated = Some(" ".to_string());
        assert_eq!(
            format_reference(&r, CitationStyle::Apa),
            "Tides rise in the harbour. (2024, March 5). https://example.org/news/tides"
        );
        assert_eq!(
            format_reference(&r, CitationStyle::Mla),
            "“Tides rise in the harbour.” 5 Mar. 2024, example.org/news/tides."
        );
        assert_eq!(
            format_reference(&r, CitationStyle::Chicago),
            "“Tides rise in the harbour.” March 5, 2024. https://example.org/news/tides."
        );
    }

    #[test]
    fn offline_material_has_no_url_even_when_one_is_set() {
        let mut r = sample(ReferenceKind::News, true, true, true);
        r.offline = true;
        assert_eq!(
            format_reference(&r, CitationStyle::Apa),
            "Lee, Ana. (2024, March 5). Tides rise in the harbour. *Harbour Daily*."
        );
        assert!(!format_reference(&r, CitationStyle::Apa).contains("Retrieved"));
    }

    #[test]
    fn headings() {
        assert_eq!(heading(CitationStyle::Apa), "References");
        assert_eq!(heading(CitationStyle::Mla), "Works Cited");
        assert_eq!(heading(CitationStyle::Chicago), "Bibliography");
    }

    #[test]
    fn sorting() {
        let make = |author: Option<&str>, title: &str, outlet: &str| Reference {
            number: 0,
            author: author.map(str::to_string),
            date: None,
            title: title.to_string(),
            translated: None,
            outlet: Some(outlet.to_string()),
            url: None,
            kind: ReferenceKind::News,
            offline: true,
        };
        let refs = vec![
            make(Some("Zhang, Wei"), "Z", "Outlet"),
            make(None, "The Apple harvest", "Zeta News"),
            make(Some("adams, J."), "Second by Adams", "Outlet"),
            make(None, "An ode to tides", "Alpha News"),
            make(None, "Banana prices", "Outlet"),
            make(Some("Adams, J."), "First by Adams", "Outlet"),
            make(None, "A", "Outlet"),
        ];
        assert_eq!(sort_key(&refs[0]), "zhang, wei");
        assert_eq!(sort_key(&refs[1]), "apple harvest");
        assert_eq!(sort_key(&refs[3]), "ode to tides");
        // A one-word title that is an article is kept.
        assert_eq!(sort_key(&refs[6]), "a");
        // Author keys keep a leading article.
        assert_eq!(
            sort_key(&make(Some("The Guardian"), "x", "y")),
            "the guardian"
        );

        let list = format_list(&refs, CitationStyle::Apa);
        assert_eq!(
            list,
            vec![
                "A. (n.d.). *Outlet*.",
                "adams, J. (n.d.). Second by Adams. *Outlet*.",
                "Adams, J. (n.d.). First by Adams. *Outlet*.",
                "The Apple harvest. (n.d.). *Zeta News*.",
                "Banana prices. (n.d.). *Outlet*.",
                "An ode to tides. (n.d.). *Alpha News*.",
                "Zhang, Wei. (n.d.). Z. *Outlet*.",
            ]
        );
        assert!(format_list(&[], CitationStyle::Mla).is_empty());
    }

    #[test]
    fn dates_parse() {
        assert_eq!(parse_date("2019-03-22"), Ok(date(2019, Some(3), Some(22))));
        assert_eq!(parse_date("2019-03"), Ok(date(2019, Some(3), None)));
        assert_eq!(parse_date("2019"), Ok(date(2019, None, None)));
        assert_eq!(
            parse_date("  2024-02-29\n"),
            Ok(date(2024, Some(2), Some(29)))
        );
        assert_eq!(parse_date("2000-02-29"), Ok(date(2000, Some(2), Some(29))));
        assert_eq!(parse_date("2019-12-31"), Ok(date(2019, Some(12), Some(31))));
        assert_eq!(parse_date("2019-04-30"), Ok(date(2019, Some(4), Some(30))));
        assert_eq!(parse_date("0001"), Ok(date(1, None, None)));
    }

    #[test]
    fn date_errors() {
        let cases = [
            ("", DateError::Empty),
            ("   ", DateError::Empty),
            ("19-03-22", DateError::Shape),
            ("2019/03/22", DateError::Shape),
            ("2019-3-5", DateError::Shape),
            ("2019-03-22-01", DateError::Shape),
            ("2019-", DateError::Shape),
            ("-2019", DateError::Shape),
            ("+201", DateError::Shape),
            ("22 March 2019", DateError::Shape),
            ("２０１９", DateError::Shape),
            ("0000", DateError::Year),
            ("2019-13", DateError::Month),
            ("2019-00-10", DateError::Month),
            ("2019-02-00", DateError::Day),
            ("2019-01-32", DateError::Day),
            ("2019-04-31", DateError::ThirtyDayMonth),
            ("2019-11-31", DateError::ThirtyDayMonth),
            ("2024-02-30", DateError::February),
            ("2023-02-29", DateError::NotLeapYear),
            ("1900-02-29", DateError::NotLeapYear),
        ];
        for (input, error) in cases {
            assert_eq!(parse_date(input), Err(error), "{input:?}");
        }
        assert_eq!(DateError::Month.reason(), "month must be 01–12");
        assert_eq!(
            DateError::NotLeapYear.to_string(),
            "February 29 exists only in leap years"
        );
        assert_eq!(
            DateError::Shape.reason(),
            "write the date as YYYY-MM-DD, YYYY-MM or YYYY"
        );
    }

    #[test]
    fn iso_dates_round_trip() {
        for s in ["2019-03-22", "2019-03", "2019", "0042-01-01"] {
            let parsed = parse_date(s).expect(s);
            assert_eq!(format_date_iso(&parsed), s);
        }
    }

    #[test]
    fn non_latin_detection() {
        for text in [
            "Можно ли научиться забывать?",
            "DeepSeek发布新模型",
            "東京オリンピック開幕",
            "서울 시장 선거 결과",
            "Η Ελλάδα σήμερα",
            "مرحبا بالعالم",
            "שלום עולם",
            "नमस्ते दुनिया",
            "สวัสดีชาวโลก",
        ] {
            assert!(is_non_latin(text), "{text}");
        }
        for text in [
            "Can we get better at forgetting?",
            "Café crème à Zürich",
            "Cafe\u{301} cre\u{300}me",
            "Łódź and Kraków in 2024",
            "",
            "2024 — 100%",
            "Putin (Путин) said",
        ] {
            assert!(!is_non_latin(text), "{text}");
        }
    }
}
