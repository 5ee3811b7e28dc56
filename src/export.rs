//! `storydesk export`: one story as Markdown, HTML or JSON.
//!
//! HTML goes through a Markdown library with every piece of raw HTML in the text escaped,
//! and only `http`, `https` and `mailto` links kept as links, so markup or a `javascript:`
//! URL pasted into a section cannot run in a reader's browser. JSON carries the story's
//! workflow state, every revision, the references, the audit log and the assembled
//! article; never the sources' texts (only their labels and sizes). Markdown and HTML carry
//! no control character, even from a story stored before the desk removed them.

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};
use serde::Serialize;

use crate::desk::{assemble, Article, Desk, DeskError};
use crate::model::{
    AuditEntry, AuditEvent, CitationStyle, Correction, Person, Revision, Story, StoryId, Timestamp,
};
use crate::text::normalise::strip_controls;

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The article as Markdown.
    Markdown,
    /// The article as a standalone HTML page.
    Html,
    /// Everything about the story except source texts, as JSON.
    Json,
}

impl Format {
    /// The format by its name on the command line and the admin socket: `md`, `html`,
    /// `json`.
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "md" => Some(Format::Markdown),
            "html" => Some(Format::Html),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// The format's name, as [`Format::from_name`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Json => "json",
        }
    }
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The desk could not read the story.
    #[error("{0}")]
    Desk(#[from] DeskError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// No story has that number.
    #[error("{}", crate::notices::no_such_story(.story.0, .dir))]
    NoStory {
        /// The number asked for.
        story: StoryId,
        /// The data directory looked in.
        dir: std::path::PathBuf,
    },
}

/// The JSON export.
#[derive(Serialize)]
struct StoryExport<'a> {
    /// Format version of this JSON.
    storydesk_export: u32,
    /// The story as it stands: workflow state, references, and source labels and sizes
    /// (never their texts).
    story: &'a Story,
    /// Every revision of every section, oldest first.
    revisions: Vec<Revision>,
    /// The audit log.
    audit: Vec<AuditLine>,
    /// The article assembled from the latest revisions (a published story's: as published,
    /// with its applied corrections and their Correction lines).
    article: &'a Article,
    /// The corrections of a published story, oldest first: section, revision, note, who,
    /// when and where each stands. Left out while there are none.
    #[serde(skip_serializing_if = "<[Correction]>::is_empty")]
    corrections: &'a [Correction],
}

/// One audit entry in the JSON export: the event with its data, and in words.
#[derive(Serialize)]
struct AuditLine {
    /// 0, 1, 2, … within the story.
    seq: u64,
    /// When.
    at: Timestamp,
    /// Who.
    actor: Person,
    /// What happened, as the audit log says it.
    action: String,
    /// What happened, with its data (`kind` names the event).
    event: AuditEvent,
}

impl From<AuditEntry> for AuditLine {
    fn from(e: AuditEntry) -> Self {
        AuditLine {
            seq: e.seq,
            at: e.at,
            actor: e.actor,
            action: crate::desk::messages::audit_event(&e.event),
            event: e.event,
        }
    }
}

/// Export the story numbered `id` in `format`, its references in `style`.
pub fn export_story(
    desk: &Desk,
    id: StoryId,
    format: Format,
    style: CitationStyle,
) -> Result<String, ExportError> {
    let story = desk
        .store()
        .story(id)?
        .ok_or_else(|| ExportError::NoStory {
            story: id,
            dir: desk.store().dir().to_path_buf(),
        })?;
    export(desk, &story, format, style)
}

/// Export `story` in `format`, its references in `style`.
pub fn export(
    desk: &Desk,
    story: &Story,
    format: Format,
    style: CitationStyle,
) -> Result<String, ExportError> {
    let article = assemble(desk, story, style, false)?;
    Ok(match format {
        // What the desk stores has no control characters; a story stored by an older build
        // may, and they have no place in a file or a page (JSON escapes them).
        Format::Markdown => strip_controls(&article.markdown()).into_owned(),
        Format::Html => {
            // A reader follows a reference's address with one click.
            let mut linked = article.clone();
            linked.references = article.references.iter().map(|r| link_urls(r)).collect();
            html_page(
                &strip_controls(&article.headline),
                &strip_controls(&linked.markdown()),
            )
        }
        Format::Json => {
            let mut revisions = Vec::new();
            for s in &story.sections {
                revisions.extend(desk.store().revisions(story.id, &s.name)?);
            }
            let export = StoryExport {
                storydesk_export: 1,
                story,
                revisions,
                audit: desk
                    .store()
                    .audit(story.id)?
                    .into_iter()
                    .map(AuditLine::from)
                    .collect(),
                article: &article,
                corrections: story
                    .published
                    .as_ref()
                    .map_or(&[][..], |p| p.corrections.as_slice()),
            };
            serde_json::to_string_pretty(&export).expect("exports are plain data")
        }
    })
}

/// Markdown to HTML with raw HTML escaped and unsafe links dropped.
pub fn safe_html(markdown: &str) -> String {
    let parser =
        Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH).map(|event| match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Link {
                link_type,
                dest_url: safe_url(dest_url),
                title,
                id,
            }),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Image {
                link_type,
                dest_url: safe_url(dest_url),
                title,
                id,
            }),
            other => other,
        });
    let mut out = String::new();
    html::push_html(&mut out, parser);
    out
}

/// `reference` with each `http` or `https` address made a Markdown autolink (`<…>`), so
/// the HTML shows it as a link; the punctuation that ends a citation (`.`, `,`) stays out of
/// it. The Markdown renderer escapes the address in the `href`.
fn link_urls(reference: &str) -> String {
    let mut out = String::with_capacity(reference.len() + 8);
    let mut rest = reference;
    while let Some(at) = ["https://", "http://"]
        .iter()
        .filter_map(|p| find_ascii_ci(rest, p))
        .min()
    {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`'))
            .unwrap_or(tail.len());
        let url = tail[..end].trim_end_matches(['.', ',', ';', ':', ')', ']', '*', '_']);
        if url.contains("://") && url.len() > url.find("://").unwrap_or(0) + 3 {
            out.push('<');
            out.push_str(url);
            out.push('>');
        } else {
            out.push_str(url);
        }
        rest = &tail[url.len()..];
    }
    out.push_str(rest);
    out
}

/// Where `needle` (ASCII) first occurs in `haystack`, in any case.
fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    if ["http://", "https://", "mailto:"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        url
    } else {
        CowStr::Borrowed("#")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A standalone page.
fn html_page(title: &str, markdown: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body>\n<article>\n{}</article>\n</body>\n</html>\n",
        escape(title),
        safe_html(markdown)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_the_text_is_shown_not_run() {
        let out = safe_html(
            "A <script>alert(1)</script> quote.\n\n<img src=x onerror=alert(1)>\n\n[click](javascript:alert(1)) and [ok](https://example.com)",
        );
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("<img"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
        assert!(!out.contains("javascript:"), "{out}");
        assert!(
            out.contains(r#"<a href="https://example.com">ok</a>"#),
            "{out}"
        );
    }

    #[test]
    fn reference_addresses_become_links_and_only_web_ones() {
        let r = link_urls("Lee, A. (2024). *Tides & waves*. https://example.org/t?a=1&b=\"2\".");
        assert_eq!(
            r,
            "Lee, A. (2024). *Tides & waves*. <https://example.org/t?a=1&b=>\"2\"."
        );
        let html = safe_html(&format!(
            "- {}",
            link_urls("Kim, B. Waves. HTTPS://example.org/w, 2023.")
        ));
        assert!(
            html.contains(r#"<a href="HTTPS://example.org/w">HTTPS://example.org/w</a>, 2023."#),
            "{html}"
        );
        let html = safe_html(&format!(
            "- {}",
            link_urls("Kim, B. Waves. javascript:alert(1) ftp://example.org/w https://")
        ));
        assert!(!html.contains("<a "), "{html}");
        let html = safe_html(&link_urls("See https://example.org/a?x=1&y=<b>."));
        assert!(
            html.contains(r#"<a href="https://example.org/a?x=1&amp;y=">https://example.org/a?x=1&amp;y=</a>&lt;b&gt;."#),
            "{html}"
        );
    }

    #[test]
    fn the_page_title_is_escaped() {
        let page = html_page(
            "Meta & <DeepSeek>",
            "# Meta & <DeepSeek>\n\nText *with* emphasis.",
        );
        assert!(
            page.contains("<title>Meta &amp; &lt;DeepSeek&gt;</title>"),
            "{page}"
        );
        assert!(page.contains("<em>with</em>"), "{page}");
    }
}
