//! Reference entries as the checks see them: built from the desk's structured references,
//! or read back from a formatted line of an article file (APA, MLA or Chicago).

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::model::{CitationStyle, Reference, ReferenceKind};
use crate::text::cite;

/// One reference, with what the reference checks need to know about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferenceEntry {
    /// Its number as the team knows it (the order of `/story ref list`, or of the list in
    /// the file), from 1.
    pub number: usize,
    /// Its line within the references section (or the file); 0 when unknown.
    pub line: usize,
    /// The entry as formatted.
    pub text: String,
    /// The title as written (the original title for a non-English source).
    pub title: String,
    /// Its web address, if it has one.
    pub url: Option<String>,
    /// Marked as material with no web address (print, a document in hand).
    pub offline: bool,
    /// It has a date (not `n.d.`).
    pub dated: bool,
    /// The title has an English translation.
    pub translated: bool,
    /// Cited as news (the outlet in italics, as a newspaper) with the outlet as its author:
    /// an online-only news site, which APA cites as a web page (`kind:web`).
    pub news_by_its_outlet: bool,
}

impl ReferenceEntry {
    /// From a structured reference; `line` is its line in the rendered section.
    pub fn from_reference(number: usize, r: &Reference, style: CitationStyle, line: usize) -> Self {
        ReferenceEntry {
            number,
            line,
            text: cite::format_reference(r, style),
            title: r.title.clone(),
            url: r.url.clone().filter(|u| !u.trim().is_empty()),
            offline: r.offline,
            dated: r.date.is_some(),
            translated: r
                .translated
                .as_deref()
                .is_some_and(|t| !t.trim().is_empty()),
            news_by_its_outlet: r.kind == ReferenceKind::News
                && r.author
                    .as_deref()
                    .zip(r.outlet.as_deref())
                    .is_some_and(|(a, o)| !a.trim().is_empty() && cite::same_name(a, o)),
        }
    }

    /// The entries of a story's references, numbered in the order they were added, with
    /// the lines they have in the section as rendered (sorted the style's way).
    pub fn from_references(refs: &[Reference], style: CitationStyle) -> Vec<Self> {
        let mut order: Vec<(String, usize)> = refs
            .iter()
            .enumerate()
            .map(|(i, r)| (cite::sort_key(r), i))
            .collect();
        order.sort_by(|a, b| a.0.cmp(&b.0));
        let mut line_of = vec![0; refs.len()];
        for (line, (_, i)) in order.iter().enumerate() {
            line_of[*i] = line + 1;
        }
        refs.iter()
            .enumerate()
            .map(|(i, r)| Self::from_reference(i + 1, r, style, line_of[i]))
            .collect()
    }

    /// Read a formatted entry (a line of a references list in APA 7, MLA 9 or Chicago
    /// style, the list marker already removed).
    ///
    /// - The URL is the first `http://` or `https://` address, or, as MLA prints them, a
    ///   bare `host.tld/path`.
    /// - The entry is dated when it has a year (1000–2999) outside its URL and no `n.d.`.
    /// - It is marked offline when it contains `[offline]` or `(offline)`, or ends with
    ///   MLA's medium `Print.`
    /// - The title is the part in curly quotes (MLA, Chicago) or, in APA, what follows the
    ///   `(date).`; it counts as translated when a `[…]` in Latin letters follows it.
    pub fn from_text(number: usize, text: &str, line: usize) -> Self {
        let text = text.trim();
        let (url, url_span) = find_url(text);
        let without_url = match url_span {
            Some((s, e)) => format!("{} {}", &text[..s], &text[e..]),
            None => text.to_string(),
        };
        let lower = without_url.to_lowercase();
        let dated = !lower.contains("n.d.") && has_year(&without_url);
        let offline = lower.contains("[offline]")
            || lower.contains("(offline)")
            || text.trim_end().ends_with("Print.");
        let (title, after_title) = find_title(&without_url);
        let after_title = after_title.as_str();
        let translated = after_title
            .trim_start()
            .strip_prefix('[')
            .and_then(|r| r.split_once(']'))
            .is_some_and(|(inside, _)| {
                !inside.is_empty()
                    && !cite::is_non_latin(inside)
                    && !inside.eq_ignore_ascii_case("online forum post")
            });
        ReferenceEntry {
            number,
            line,
            news_by_its_outlet: italic_outlet_is_author(&without_url),
            text: text.to_string(),
            title,
            url,
            offline,
            dated,
            translated,
        }
    }
}

/// True when a formatted entry's author (what comes before the date or the quoted title)
/// is also a part in italics (`*Machine Heart*`): the newspaper pattern with the site as
/// its author.
fn italic_outlet_is_author(text: &str) -> bool {
    let author_end = [". (", " (", ". “", ". \""]
        .iter()
        .filter_map(|m| text.find(m))
        .min();
    let Some(end) = author_end else {
        return false;
    };
    let author = text[..end].trim();
    if author.is_empty() {
        return false;
    }
    text[end..]
        .split('*')
        .skip(1)
        .step_by(2)
        .any(|italic| cite::same_name(italic, author))
}

/// The first web address in `text` and its byte range.
fn find_url(text: &str) -> (Option<String>, Option<(usize, usize)>) {
    let trim = |s: &str| {
        s.trim_end_matches(['.', ',', ';', ')', '>', ']', '*'])
            .to_string()
    };
    if let Some(start) = text.find("http://").or_else(|| text.find("https://")) {
        let rest = &text[start..];
        let len = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
        return (Some(trim(&rest[..len])), Some((start, start + len)));
    }
    // MLA: `example.org/path` without a scheme. A word with a dot between letters and a
    // slash after it.
    let mut offset = 0;
    for word in text.split_whitespace() {
        let start = text[offset..]
            .find(word)
            .map(|p| p + offset)
            .unwrap_or(offset);
        offset = start + word.len();
        let w = word.trim_start_matches(['(', '<']);
        let Some((host, _)) = w.split_once('/') else {
            continue;
        };
        let labels: Vec<&str> = host.split('.').collect();
        let hostlike = labels.len() >= 2
            && labels
                .iter()
                .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if hostlike {
            return (Some(format!("https://{}", trim(w))), Some((start, offset)));
        }
    }
    (None, None)
}

/// True when `text` has a four-digit year from 1000 to 2999 standing as a number of its
/// own.
fn has_year(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let before_ok = start == 0 || !b[start - 1].is_ascii_alphanumeric();
            let after_ok = i == b.len() || !b[i].is_ascii_alphanumeric();
            if i - start == 4 && before_ok && after_ok && matches!(b[start], b'1' | b'2') {
                return true;
            }
        } else {
            i += 1;
        }
    }
    false
}

/// APA's date element: `(2024, March 5).`, `(2024).`, `(n.d.).`
static APA_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\((?:n\.d\.|\d{4}[^()]*)\)\.").expect("valid pattern"));

/// The title of a formatted entry and the text after it.
fn find_title(text: &str) -> (String, String) {
    // MLA and Chicago put the title in curly quotes.
    if let Some(open) = text.find('“') {
        let inner = &text[open + '“'.len_utf8()..];
        if let Some(close) = inner.find('”') {
            let title = inner[..close].trim_end_matches(['.', ',']).trim();
            // MLA puts the translation inside the quotes: “Original [English].”
            if let Some(b) = title.find(" [") {
                return (title[..b].to_string(), title[b..].to_string());
            }
            return (
                title.to_string(),
                inner[close + '”'.len_utf8()..].to_string(),
            );
        }
    }
    // APA: `Author. (date). Title. Outlet.`, or without an author `Title. (date). Outlet.`
    let Some(date) = APA_DATE.find(text) else {
        return (first_element(text).0, String::new());
    };
    let before = text[..date.start()].trim();
    let after = text[date.end()..].trim();
    let author_first = !before.is_empty() && elements(after) >= 2;
    if author_first {
        let (title, rest) = first_element(after);
        (title, rest.to_string())
    } else {
        let (title, rest) = first_element(before);
        (title, rest.to_string())
    }
}

/// The first element of an APA entry (up to ` [`, `. ` or `*.`), without emphasis marks,
/// and the text from where it ends.
fn first_element(s: &str) -> (String, &str) {
    let body = s.trim_start_matches('*');
    let end = [body.find(" ["), body.find(". "), body.find("*.")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(body.len());
    let title = body[..end].trim_end_matches(['*', '.']).trim();
    (title.to_string(), &body[end..])
}

/// How many elements (`Title.`, `*Outlet*.`) an APA entry's tail has.
fn elements(s: &str) -> usize {
    let s = s.trim().trim_end_matches(['.', '*']);
    if s.is_empty() {
        return 0;
    }
    1 + s.matches(". ").count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PartialDate, ReferenceKind};

    fn reference() -> Reference {
        Reference {
            number: 0,
            author: Some("Li, Wei".into()),
            date: Some(PartialDate {
                year: 2025,
                month: Some(1),
                day: Some(27),
            }),
            title: "梁文锋的野心".into(),
            translated: Some("Liang Wenfeng's ambition".into()),
            outlet: Some("36Kr".into()),
            url: Some("https://36kr.com/p/1".into()),
            kind: ReferenceKind::News,
            offline: false,
        }
    }

    #[test]
    fn formatted_entries_read_back_in_every_style() {
        let mut r = reference();
        for style in [
            CitationStyle::Apa,
            CitationStyle::Mla,
            CitationStyle::Chicago,
        ] {
            let text = cite::format_reference(&r, style);
            let e = ReferenceEntry::from_text(1, &text, 3);
            assert_eq!(e.title, "梁文锋的野心", "{style:?}: {text}");
            assert!(e.translated, "{style:?}: {text}");
            assert!(e.dated, "{style:?}: {text}");
            assert_eq!(e.url.as_deref(), Some("https://36kr.com/p/1"), "{text}");
        }
        r.translated = None;
        r.date = None;
        r.url = None;
        for style in [
            CitationStyle::Apa,
            CitationStyle::Mla,
            CitationStyle::Chicago,
        ] {
            let text = cite::format_reference(&r, style);
            let e = ReferenceEntry::from_text(1, &text, 3);
            assert_eq!(e.title, "梁文锋的野心", "{style:?}: {text}");
            assert!(!e.translated, "{style:?}: {text}");
            assert!(!e.dated, "{style:?}: {text}");
            assert_eq!(e.url, None, "{text}");
        }
    }

    #[test]
    fn apa_without_author_and_forum_posts() {
        let e = ReferenceEntry::from_text(
            1,
            "Tides rise in the harbour. (2024, March 5). *Harbour Daily*. https://example.org/news/tides",
            1,
        );
        assert_eq!(e.title, "Tides rise in the harbour");
        let e = ReferenceEntry::from_text(
            1,
            "Ana Lee [harbour\\_watch]. (2024, March 5). *Has anyone else seen the water this high* [Online forum post]. Reddit. https://example.org/f/1",
            1,
        );
        assert_eq!(e.title, "Has anyone else seen the water this high");
        assert!(!e.translated);
    }

    #[test]
    fn offline_markers() {
        assert!(
            ReferenceEntry::from_text(
                1,
                "Lee, Ana. “Tides.” *Harbour Daily*, 5 Mar. 2024. Print.",
                1
            )
            .offline
        );
        assert!(ReferenceEntry::from_text(1, "Lee, Ana. (2024). Tides. [offline]", 1).offline);
        assert!(!ReferenceEntry::from_text(1, "Lee, Ana. (2024). The fine print.", 1).offline);
    }

    #[test]
    fn structured_references_are_numbered_as_added_and_lined_as_sorted() {
        let mut a = reference();
        a.author = Some("Zhou, A.".into());
        let mut b = reference();
        b.author = Some("Adams, B.".into());
        let entries = ReferenceEntry::from_references(&[a, b], CitationStyle::Apa);
        assert_eq!((entries[0].number, entries[0].line), (1, 2));
        assert_eq!((entries[1].number, entries[1].line), (2, 1));
    }
}
