//! An article file in Markdown, cut into the template's sections, for `storydesk check`.
//!
//! The mapping (ATX headings only, `#` to `######`; nothing inside ``` fences counts):
//!
//! - The first `# ` heading is the **title**; its text is the title section's text.
//! - A `## ` heading that names a section of the template, by name or alias, in any case
//!   (`## Body`, `## Lede`, `## Conclusion`), starts that section; the heading line is not
//!   part of the text.
//! - `## References`, `## Works Cited`, `## Bibliography` (the headings of APA, MLA and
//!   Chicago), `## Sources` and the name or aliases of the template's references section
//!   start the **references**; when there are several, the last one does (a references
//!   list ends an article), and an earlier one is text of the section it stands in, which
//!   the checks report, as they do in a desk section's text. Each list item (`- `, `* `, `+ `, `1. `) is one reference;
//!   a list item's indented continuation lines belong to it; without list markers each
//!   non-blank line is one.
//! - Any other heading is a subheading inside the section it stands in. A second `# `
//!   headline is text too, but no subheading: it does not end the introduction.
//! - Text above the title (a chatbot's "Sure, here is the article:", typically) is read as
//!   the start of the introduction.
//! - The text that no section heading claims (everything before the first section heading,
//!   the title line left out) goes to the prose sections (introduction, body, conclusion)
//!   that have no heading of their own:
//!   - when some prose section has its heading (`## Body`), the first prose section
//!     without one (normally the introduction) gets everything before the first subheading
//!     and the next one without a heading, if there is one, the rest;
//!   - when none has, it is shared in template order: the first prose section gets
//!     everything before the first subheading, or the first paragraph when the text starts
//!     with a subheading or has none; the last gets the last paragraph when at least one
//!     paragraph is left for the ones in between; the second gets the rest. An article
//!     exported by `storydesk export --format md` (headline, introduction, body,
//!     conclusion, references) reads back into the same sections.
//!
//! - A chat answer's label lines mark sections as headings do: `Title: …` (or `Title:`
//!   with the headline on the next line), `Introduction:`, `Body:`, `Conclusion:`,
//!   `References:`, plain or in bold (`**Title:** …`, `**Body**:`). A label followed by
//!   text on its line marks a section only for the title or in bold, so a line of prose
//!   such as "Sources: the ministry" stays prose.
//!
//! Every line keeps its line number in the file, so findings point into the file.

use crate::template::{Generated, Template};

use super::{CheckedSection, Document, FileLine, Heading, ReferenceEntry, SourceText};

/// Headings that mark a references list, besides the template's own names for it.
const REFERENCE_HEADINGS: &[&str] = &[
    "references",
    "works cited",
    "bibliography",
    "sources",
    "sources cited",
];

/// A section read from the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSection {
    /// The template's name for it.
    pub name: String,
    /// Its text: the file's lines, joined by `\n`, blank lines at either end left out.
    pub text: String,
    /// Where each line of `text` is in the file.
    pub lines: Vec<FileLine>,
}

/// A heading that opens a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHeading {
    /// Its text.
    pub text: String,
    /// The section it opens.
    pub section: String,
    /// Its line in the file.
    pub line: usize,
}

/// An article file, cut into sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleFile {
    /// Every section of the template, in template order (empty when the file has none).
    pub sections: Vec<FileSection>,
    /// The headings that opened sections.
    pub headings: Vec<FileHeading>,
    /// The references list, one entry per item.
    pub references: Vec<ReferenceEntry>,
    /// The template's name for the references section.
    pub references_section: String,
}

/// A line of the file with its number and the characters before its text.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    no: usize,
    indent: usize,
    text: &'a str,
}

/// An ATX heading: its level and text.
fn heading(line: &str) -> Option<(usize, &str)> {
    let t = line.trim_start();
    if line.len() - t.len() > 3 {
        return None;
    }
    let level = t.bytes().take_while(|b| *b == b'#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = &t[level..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let text = rest.trim().trim_end_matches('#').trim_end();
    Some((level, text))
}

/// A label line of a chat answer: `Title: …`, `Introduction:`, `**Body:**`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Label<'a> {
    /// The label, without its colon and bold marks.
    name: &'a str,
    /// The text after the label on the same line (empty when the label stands alone).
    rest: &'a str,
    /// Byte offset of `rest` in the line.
    rest_at: usize,
    /// The label was in bold.
    bold: bool,
}

/// A label line: at most three spaces in, a name of letters and spaces (a few words at
/// most), a colon, optionally in bold (`**Title:**`, `**Title**:`, `__Body:__`).
fn label(line: &str) -> Option<Label<'_>> {
    let t = line.trim_start();
    let indent = line.len() - t.len();
    if indent > 3 {
        return None;
    }
    let bold_mark = ["**", "__"].into_iter().find(|m| t.starts_with(m));
    let inner = bold_mark.map_or(t, |m| &t[m.len()..]);
    let colon = inner.find(':')?;
    let mut name = inner[..colon].trim();
    if let Some(m) = bold_mark {
        name = name.strip_suffix(m).unwrap_or(name).trim_end();
    }
    if name.is_empty()
        || name.len() > 30
        || name.split_whitespace().count() > 3
        || !name.chars().all(|c| c.is_alphabetic() || c == ' ')
    {
        return None;
    }
    let mut after = &inner[colon + 1..];
    let mut closed = bold_mark.is_some_and(|m| inner[..colon].trim_end().ends_with(m));
    if let Some(m) = bold_mark.filter(|_| !closed) {
        if let Some(r) = after.strip_prefix(m) {
            after = r;
            closed = true;
        }
    }
    let mut rest = after.trim();
    if let Some(m) = bold_mark.filter(|_| !closed) {
        // `**Title: Meta scrambles**`: the bold ends with the line.
        rest = rest.strip_suffix(m)?.trim_end();
    }
    // `after` ends the line, and `rest` starts where `after`'s text does.
    let rest_at = line.len() - after.trim_start().len();
    Some(Label {
        name,
        rest,
        rest_at,
        bold: bold_mark.is_some(),
    })
}

/// A heading inside a text, as [`headings`] finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextHeading<'a> {
    /// Byte offset of the heading's line in the text.
    pub offset: usize,
    /// Its line in the text (from 1).
    pub line: usize,
    /// 1 for `#`, up to 6.
    pub level: usize,
    /// Its text, without the `#` marks.
    pub text: &'a str,
}

/// The ATX headings of `text`, outside ``` and ~~~ fences: one reading of headings for the
/// file's sections and for the checks that look inside a section's text, so a heading is
/// the same thing whichever way an article comes in.
pub fn headings(text: &str) -> Vec<TextHeading<'_>> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut fence = false;
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.trim_end_matches('\r');
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = !fence;
        } else if !fence {
            if let Some((level, h)) = heading(line) {
                out.push(TextHeading {
                    offset,
                    line: i + 1,
                    level,
                    text: h,
                });
            }
        }
        offset += raw.len() + 1;
    }
    out
}

/// True when a heading's text names a references list (`References`, `Works Cited`).
fn names_references(heading: &str) -> bool {
    REFERENCE_HEADINGS.contains(&heading.trim().trim_end_matches(':').to_lowercase().as_str())
}

/// Cut `text` into the sections of `template`.
pub fn parse(text: &str, template: &Template) -> ArticleFile {
    let references_name = template
        .sections
        .iter()
        .find(|s| s.generated == Some(Generated::References))
        .map(|s| s.name.clone())
        .unwrap_or_else(|| "references".to_string());
    let title_name = template
        .sections
        .iter()
        .find(|s| s.name == "title")
        .map(|s| s.name.clone())
        .unwrap_or_else(|| "title".to_string());
    let section_for = |heading: &str| -> Option<String> {
        let lower = heading.trim().trim_end_matches(':').to_lowercase();
        if REFERENCE_HEADINGS.contains(&lower.as_str()) {
            return Some(references_name.clone());
        }
        template
            .resolve(&lower.replace(' ', "-"))
            .filter(|s| s.name != title_name)
            .map(|s| s.name.clone())
    };

    let mut assigned: Vec<(String, Vec<Line>)> = template
        .sections
        .iter()
        .map(|s| (s.name.clone(), Vec::new()))
        .collect();
    let mut headings = Vec::new();
    let mut unclaimed: Vec<Line> = Vec::new();
    let mut current: Option<String> = None;
    let mut explicit: Vec<String> = Vec::new();
    let mut title_seen = false;
    let mut title_next = false;
    let mut pre_title: Vec<Line> = Vec::new();
    // A references list ends an article: the last heading that opens the references
    // section is the one that does; an earlier one (a list pasted into the body) is text of
    // the section it stands in, where the checks see it, as they do on the desk.
    let references_line = self::headings(text)
        .iter()
        .filter(|h| h.level == 2 && section_for(h.text).is_some_and(|name| name == references_name))
        .map(|h| h.line)
        .next_back();
    let mut fence = false;
    for (i, raw) in text.lines().enumerate() {
        let line = Line {
            no: i + 1,
            indent: 0,
            text: raw.trim_end_matches('\r'),
        };
        let trimmed = line.text.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = !fence;
        }
        if !fence && title_next && !line.text.trim().is_empty() {
            // The line after a `Title:` label standing alone.
            title_next = false;
            current = None;
            let text = line.text.trim();
            if let Some(slot) = assigned.iter_mut().find(|(n, _)| *n == title_name) {
                slot.1.push(Line {
                    no: line.no,
                    indent: line.text[..line.text.find(text).unwrap_or(0)]
                        .chars()
                        .count(),
                    text,
                });
            }
            continue;
        }
        if !fence {
            // A chat answer's label lines (`Title: …`, `Introduction:`, `**Body:**`) mark
            // sections as headings do. A label with text after it marks one only for the
            // title or in bold, so "Sources: the ministry" in prose stays prose.
            if let Some(l) = label(line.text) {
                let lower = l.name.to_lowercase();
                let is_title = template
                    .resolve(&lower.replace(' ', "-"))
                    .is_some_and(|s| s.name == title_name);
                if is_title && !title_seen {
                    title_seen = true;
                    pre_title = std::mem::take(&mut unclaimed);
                    explicit.push(title_name.clone());
                    if l.rest.is_empty() {
                        title_next = true;
                    } else if let Some(slot) = assigned.iter_mut().find(|(n, _)| *n == title_name) {
                        slot.1.push(Line {
                            no: line.no,
                            indent: line.text[..l.rest_at].chars().count(),
                            text: l.rest,
                        });
                    }
                    continue;
                }
                if let Some(name) = section_for(l.name).filter(|_| l.rest.is_empty() || l.bold) {
                    headings.push(FileHeading {
                        text: l.name.to_string(),
                        section: name.clone(),
                        line: line.no,
                    });
                    if !explicit.contains(&name) {
                        explicit.push(name.clone());
                    }
                    if !l.rest.is_empty() {
                        if let Some(slot) = assigned.iter_mut().find(|(n, _)| *n == name) {
                            slot.1.push(Line {
                                no: line.no,
                                indent: line.text[..l.rest_at].chars().count(),
                                text: l.rest,
                            });
                        }
                    }
                    current = Some(name);
                    continue;
                }
            }
            if let Some((level, h)) = heading(line.text) {
                if level == 1 && !title_seen {
                    title_seen = true;
                    // Text above the headline (a chatbot's preamble, typically) is read as
                    // part of the introduction, without moving its paragraphs.
                    pre_title = std::mem::take(&mut unclaimed);
                    if let Some(slot) = assigned.iter_mut().find(|(n, _)| *n == title_name) {
                        // The headline's place in its line: after the `# `.
                        let before = &line.text[..line.text.find(h).unwrap_or(0)];
                        slot.1.push(Line {
                            no: line.no,
                            indent: before.chars().count(),
                            text: h,
                        });
                    }
                    explicit.push(title_name.clone());
                    continue;
                }
                if level == 2 {
                    if let Some(name) = section_for(h)
                        .filter(|name| *name != references_name || references_line == Some(line.no))
                    {
                        headings.push(FileHeading {
                            text: h.to_string(),
                            section: name.clone(),
                            line: line.no,
                        });
                        if !explicit.contains(&name) {
                            explicit.push(name.clone());
                        }
                        current = Some(name);
                        continue;
                    }
                }
            }
        }
        match &current {
            Some(name) => {
                if let Some(slot) = assigned.iter_mut().find(|(n, _)| n == name) {
                    slot.1.push(line);
                }
            }
            None => unclaimed.push(line),
        }
    }

    // Share the unclaimed text among the prose sections without a heading.
    let all_prose: Vec<String> = template
        .sections
        .iter()
        .filter(|s| s.name != title_name && s.name != references_name)
        .map(|s| s.name.clone())
        .collect();
    let mut prose: Vec<String> = all_prose
        .iter()
        .filter(|n| !explicit.contains(n))
        .cloned()
        .collect();
    let shared = if prose.len() < all_prose.len() {
        prose.truncate(2);
        split_at_subheading(&unclaimed, &prose)
    } else {
        share(&unclaimed, &prose)
    };
    let mut shared = shared;
    if !pre_title.iter().all(|l| l.text.trim().is_empty()) {
        let first = all_prose
            .first()
            .cloned()
            .unwrap_or_else(|| title_name.clone());
        match shared.iter_mut().find(|(n, _)| *n == first) {
            Some((_, lines)) => {
                let mut all = pre_title.clone();
                while all.last().is_some_and(|l| l.text.trim().is_empty()) {
                    all.pop();
                }
                all.push(Line {
                    no: 0,
                    indent: 0,
                    text: "",
                });
                all.append(lines);
                *lines = all;
            }
            None => shared.insert(0, (first, pre_title.clone())),
        }
    }
    for (name, lines) in shared {
        if let Some(slot) = assigned.iter_mut().find(|(n, _)| *n == name) {
            // Unclaimed text comes before anything under a heading.
            let mut all = lines;
            all.append(&mut slot.1);
            slot.1 = all;
        }
    }

    let mut references = Vec::new();
    let sections: Vec<FileSection> = assigned
        .into_iter()
        .map(|(name, lines)| {
            if name == references_name {
                references = reference_entries(&lines);
            }
            section(name, &lines)
        })
        .collect();
    ArticleFile {
        sections,
        headings,
        references,
        references_section: references_name,
    }
}

/// A section from its lines, blank lines at either end left out.
fn section(name: String, lines: &[Line]) -> FileSection {
    let first = lines.iter().position(|l| !l.text.trim().is_empty());
    let last = lines.iter().rposition(|l| !l.text.trim().is_empty());
    let (text, nos) = match (first, last) {
        (Some(a), Some(b)) => {
            let kept = &lines[a..=b];
            (
                kept.iter().map(|l| l.text).collect::<Vec<_>>().join("\n"),
                kept.iter()
                    .map(|l| FileLine {
                        line: l.no,
                        indent: l.indent,
                    })
                    .collect(),
            )
        }
        _ => (String::new(), Vec::new()),
    };
    FileSection {
        name,
        text,
        lines: nos,
    }
}

/// Paragraphs joined back into lines, one blank line between them.
fn join<'a>(paras: &[Vec<Line<'a>>]) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    for (i, p) in paras.iter().enumerate() {
        if i > 0 {
            // The line before a paragraph is blank in the file too.
            out.push(Line {
                no: p[0].no.saturating_sub(1),
                indent: 0,
                text: "",
            });
        }
        out.extend(p.iter().copied());
    }
    out
}

/// The index of the first paragraph after the first that opens with a subheading. A second
/// headline (`# `) or a references heading left in the text is no subheading: it does not
/// end the introduction.
fn first_subheading(paras: &[Vec<Line>]) -> Option<usize> {
    paras
        .iter()
        .position(|p| {
            heading(p[0].text).is_some_and(|(level, h)| level > 1 && !names_references(h))
        })
        .filter(|&h| h > 0)
}

/// The unclaimed lines when some prose section has its own heading: before the first
/// subheading to the first of `prose`, from it on to the second (or the first too).
fn split_at_subheading<'a>(lines: &[Line<'a>], prose: &[String]) -> Vec<(String, Vec<Line<'a>>)> {
    let paras = paragraphs(lines);
    let Some(first) = prose.first() else {
        return Vec::new();
    };
    match (first_subheading(&paras), prose.get(1)) {
        (Some(h), Some(second)) => vec![
            (first.clone(), join(&paras[..h])),
            (second.clone(), join(&paras[h..])),
        ],
        _ => vec![(first.clone(), join(&paras))],
    }
}

/// Paragraphs: runs of non-blank lines.
fn paragraphs<'a>(lines: &[Line<'a>]) -> Vec<Vec<Line<'a>>> {
    let mut out: Vec<Vec<Line>> = Vec::new();
    let mut current: Vec<Line> = Vec::new();
    for l in lines {
        if l.text.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push(*l);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The unclaimed lines shared among `prose` sections when none has its own heading (see
/// the module documentation).
fn share<'a>(lines: &[Line<'a>], prose: &[String]) -> Vec<(String, Vec<Line<'a>>)> {
    let paras = paragraphs(lines);
    if paras.is_empty() || prose.is_empty() {
        return Vec::new();
    }
    if prose.len() == 1 {
        return vec![(prose[0].clone(), join(&paras))];
    }
    let first_len = first_subheading(&paras).unwrap_or(1);
    let mut out = vec![(prose[0].clone(), join(&paras[..first_len]))];
    let rest = &paras[first_len..];
    if rest.is_empty() {
        return out;
    }
    let last = prose.len() - 1;
    if prose.len() >= 3 && rest.len() >= 2 {
        out.push((prose[1].clone(), join(&rest[..rest.len() - 1])));
        out.push((prose[last].clone(), join(&rest[rest.len() - 1..])));
    } else {
        out.push((prose[1].clone(), join(rest)));
    }
    out
}

/// The entries of a references list.
fn reference_entries(lines: &[Line]) -> Vec<ReferenceEntry> {
    let marker = |t: &str| -> Option<usize> {
        let s = t.trim_start();
        let indent = t.len() - s.len();
        if indent > 3 {
            return None;
        }
        for m in ["- ", "* ", "+ "] {
            if s.starts_with(m) {
                return Some(indent + 2);
            }
        }
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && (s[digits..].starts_with(". ") || s[digits..].starts_with(") ")) {
            return Some(indent + digits + 2);
        }
        None
    };
    let listed = lines.iter().any(|l| marker(l.text).is_some());
    let mut entries: Vec<(usize, String)> = Vec::new();
    for l in lines {
        if l.text.trim().is_empty() {
            continue;
        }
        if listed {
            match marker(l.text) {
                Some(skip) => entries.push((l.no, l.text[skip..].trim().to_string())),
                None => {
                    if let Some(last) = entries.last_mut() {
                        last.1.push(' ');
                        last.1.push_str(l.text.trim());
                    }
                }
            }
        } else {
            entries.push((l.no, l.text.trim().to_string()));
        }
    }
    entries
        .into_iter()
        .enumerate()
        .map(|(i, (no, text))| ReferenceEntry::from_text(i + 1, &text, no))
        .collect()
}

impl ArticleFile {
    /// The document the checks run on, with the template's requirements and `sources`.
    pub fn document<'a>(
        &'a self,
        template: &'a Template,
        sources: &'a [SourceText<'a>],
    ) -> Document<'a> {
        Document {
            sections: template
                .sections
                .iter()
                .map(|spec| {
                    let s = self.sections.iter().find(|s| s.name == spec.name);
                    CheckedSection {
                        name: &spec.name,
                        text: s.map(|s| s.text.as_str()).filter(|t| !t.trim().is_empty()),
                        required: spec.required,
                        min_chars: spec.min_chars,
                        max_chars: spec.max_chars,
                        file_lines: s.map(|s| s.lines.as_slice()).unwrap_or_default(),
                    }
                })
                .collect(),
            references: self.references.clone(),
            references_section: &self.references_section,
            headings: self
                .headings
                .iter()
                .map(|h| Heading {
                    text: &h.text,
                    section: &h.section,
                    line: h.line,
                })
                .collect(),
            sources,
        }
    }

    /// The section with this name.
    pub fn section(&self, name: &str) -> Option<&FileSection> {
        self.sections.iter().find(|s| s.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn news() -> Template {
        Template::load("news").unwrap()
    }

    fn text_of<'a>(a: &'a ArticleFile, name: &str) -> &'a str {
        &a.section(name).unwrap().text
    }

    #[test]
    fn exported_article_reads_back_into_its_sections() {
        let md = "# Harbour floods\n\nThe intro paragraph.\n\nBody one.\n\nBody two.\n\nThe conclusion.\n\n## References\n\n- Lee, A. (2024). Tides. *Daily*. https://example.org/t\n- Kim, B. (2023). Waves. *Daily*. https://example.org/w\n";
        let a = parse(md, &news());
        assert_eq!(text_of(&a, "title"), "Harbour floods");
        assert_eq!(text_of(&a, "introduction"), "The intro paragraph.");
        assert_eq!(text_of(&a, "body"), "Body one.\n\nBody two.");
        assert_eq!(text_of(&a, "conclusion"), "The conclusion.");
        assert_eq!(a.references.len(), 2);
        assert_eq!(a.references[1].line, 14);
        let lines: Vec<usize> = a
            .section("body")
            .unwrap()
            .lines
            .iter()
            .map(|l| l.line)
            .collect();
        assert_eq!(lines, vec![5, 6, 7]);
        assert_eq!(
            a.section("title").unwrap().lines,
            vec![FileLine { line: 1, indent: 2 }]
        );
    }

    #[test]
    fn explicit_headings_win_and_other_headings_are_subheadings() {
        let md = "Sure, here is the article:\n\n# Title here\n\nLede one.\nLede two.\n\n## Background\n\nMore.\n\n## Conclusion\n\nEnd.\n\n## Works Cited\n\nLee, A. “Tides.” *Daily*, 2024.\n";
        let a = parse(md, &news());
        assert_eq!(text_of(&a, "title"), "Title here");
        assert_eq!(
            text_of(&a, "introduction"),
            "Sure, here is the article:\n\nLede one.\nLede two."
        );
        assert_eq!(text_of(&a, "body"), "## Background\n\nMore.");
        assert_eq!(text_of(&a, "conclusion"), "End.");
        assert_eq!(a.references.len(), 1);
        assert_eq!(a.references[0].line, 18);
        assert_eq!(a.headings.len(), 2);
    }

    #[test]
    fn body_heading_makes_the_text_before_it_the_introduction() {
        let md = "# T\n\nIntro a.\n\nIntro b.\n\n## Body\n\nThe body.\n";
        let a = parse(md, &news());
        assert_eq!(text_of(&a, "introduction"), "Intro a.\n\nIntro b.");
        assert_eq!(text_of(&a, "body"), "The body.");
        assert_eq!(text_of(&a, "conclusion"), "");
    }

    #[test]
    fn fences_hide_headings_and_items_continue() {
        let md = "# T\n\n```\n## References\n```\n\n## Bibliography\n\n1. One entry\n   continued here.\n2. Two\n";
        let a = parse(md, &news());
        assert!(text_of(&a, "introduction").contains("## References"));
        assert_eq!(a.references.len(), 2);
        assert_eq!(a.references[0].text, "One entry continued here.");
    }

    #[test]
    fn label_lines_of_a_chat_answer_mark_sections() {
        let md = "Sure, here is the article:\n\nTitle:\nHarbour floods\n\n**Introduction:** The intro.\n\nBody:\nBody one.\n\nSources: the board said so.\n\n__Conclusion__:\nThe end.\n\nReferences:\n1. Lee, A. (2024). Tides. https://example.org/t\n";
        let a = parse(md, &news());
        assert_eq!(text_of(&a, "title"), "Harbour floods");
        assert_eq!(
            text_of(&a, "introduction"),
            "Sure, here is the article:\n\nThe intro."
        );
        // A label with text after it, not in bold, is prose.
        assert_eq!(
            text_of(&a, "body"),
            "Body one.\n\nSources: the board said so."
        );
        assert_eq!(text_of(&a, "conclusion"), "The end.");
        assert_eq!(a.references.len(), 1);
        assert_eq!(
            a.section("introduction").unwrap().lines.last(),
            Some(&FileLine {
                line: 6,
                indent: 18
            })
        );
    }

    #[test]
    fn label_reads_plain_and_bold_forms() {
        let l = label("**Title:** Harbour floods").unwrap();
        assert_eq!(
            (l.name, l.rest, l.rest_at, l.bold),
            ("Title", "Harbour floods", 11, true)
        );
        let l = label("**Title**: Harbour floods").unwrap();
        assert_eq!((l.name, l.rest, l.rest_at), ("Title", "Harbour floods", 11));
        let l = label("**Title: Harbour floods**").unwrap();
        assert_eq!(l.rest, "Harbour floods");
        assert_eq!(label("Body:").map(|l| l.name), Some("Body"));
        assert!(label("At 10:30 the board met.").is_none());
        assert!(label("The minister said the following words about it: no.").is_none());
    }
}
