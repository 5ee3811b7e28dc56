//! Small text helpers shared by the checks: lines and columns, excerpts, quoted passages.

/// Line starts of a text, to turn byte offsets into 1-based lines and columns.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    /// Byte offset where each line starts; the first is 0.
    starts: Vec<usize>,
}

impl LineIndex {
    /// Index the lines of `text` (one linear pass).
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// The 1-based line and 1-based column (in characters) of byte offset `at` in `text`.
    pub fn locate(&self, text: &str, at: usize) -> (usize, usize) {
        let at = at.min(text.len());
        let line = match self.starts.binary_search(&at) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line];
        let column = text.get(start..at).map(|s| s.chars().count()).unwrap_or(0);
        (line + 1, column + 1)
    }
}

/// Longest excerpt shown, in characters.
const EXCERPT_CHARS: usize = 80;

/// `s` on one line (runs of whitespace made one space), cut to a readable length with `…`.
pub(crate) fn excerpt(s: &str) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut space = false;
    for c in s.trim().chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space {
            out.push(' ');
            count += 1;
            space = false;
        }
        if count >= EXCERPT_CHARS {
            // End at a word when one ends in the last quarter.
            if let Some(space) = out.rfind(' ') {
                if out[..space].chars().count() >= EXCERPT_CHARS * 3 / 4 {
                    out.truncate(space);
                }
            }
            out.push('…');
            return out;
        }
        out.push(c);
        count += 1;
    }
    out
}

/// The byte ranges of quoted passages in `text`, quotation marks excluded: “…”, „…“ or
/// „…”, «…», and straight "…" paired within a paragraph. A quotation left open at the end of
/// its paragraph is not a passage (and does not swallow the next paragraph).
pub(crate) fn quoted_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    // The opening mark's kind and the offset after it.
    let mut open: Option<(char, usize)> = None;
    let mut previous_newline = false;
    for (i, c) in text.char_indices() {
        if c == '\n' {
            if previous_newline {
                open = None;
            }
            previous_newline = true;
            continue;
        }
        if !c.is_whitespace() {
            previous_newline = false;
        }
        match (open, c) {
            (None, '“' | '„' | '«' | '"') => open = Some((c, i + c.len_utf8())),
            (Some(('“', start)), '”')
            | (Some(('„', start)), '“' | '”')
            | (Some(('«', start)), '»')
            | (Some(('"', start)), '"') => {
                spans.push((start, i));
                open = None;
            }
            _ => {}
        }
    }
    spans
}

/// True when the byte range `[start, end)` overlaps one of the sorted, disjoint `spans`.
pub(crate) fn overlaps(spans: &[(usize, usize)], start: usize, end: usize) -> bool {
    let i = spans.partition_point(|&(_, e)| e <= start);
    spans.get(i).is_some_and(|&(s, _)| s < end.max(start + 1))
}

/// The byte ranges of web addresses (`http://…`, `https://…`) in `text`, so figures inside
/// them are not taken for facts.
pub(crate) fn url_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(pos) = text[from..].find("http") {
        let start = from + pos;
        let rest = &text[start..];
        if rest.starts_with("http://") || rest.starts_with("https://") {
            let len = rest
                .find(|c: char| c.is_whitespace() || matches!(c, ')' | '>' | ']' | '"'))
                .unwrap_or(rest.len());
            spans.push((start, start + len));
            from = start + len;
        } else {
            from = start + 4;
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_characters() {
        let text = "first\nsécond line\n\nlast";
        let idx = LineIndex::new(text);
        assert_eq!(idx.locate(text, 0), (1, 1));
        let at = text.find("line").unwrap();
        assert_eq!(idx.locate(text, at), (2, 8));
        let at = text.find("last").unwrap();
        assert_eq!(idx.locate(text, at), (4, 1));
    }

    #[test]
    fn excerpts_are_one_line_and_short() {
        assert_eq!(excerpt("  a\n  b  "), "a b");
        let long = "word ".repeat(40);
        let e = excerpt(&long);
        assert_eq!(e, format!("{}…", "word ".repeat(16).trim_end()));
        let solid = "x".repeat(100);
        assert_eq!(excerpt(&solid).chars().count(), EXCERPT_CHARS + 1);
    }

    #[test]
    fn quotes_pair_within_paragraphs() {
        let text = "He said “we lost” and \"it hurt\".\n\nAn open \" quote\n\nthen \"closed\"";
        let spans: Vec<&str> = quoted_spans(text)
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect();
        assert_eq!(spans, vec!["we lost", "it hurt", "closed"]);
        let german = "Er sagte „wir haben verloren“.";
        let spans: Vec<&str> = quoted_spans(german)
            .into_iter()
            .map(|(s, e)| &german[s..e])
            .collect();
        assert_eq!(spans, vec!["wir haben verloren"]);
    }

    #[test]
    fn overlap_and_urls() {
        let spans = [(2, 5), (10, 12)];
        assert!(overlaps(&spans, 4, 6));
        assert!(!overlaps(&spans, 5, 10));
        assert!(overlaps(&spans, 11, 11));
        let text = "See https://example.org/a/2024 (and http://x.y).";
        let urls: Vec<&str> = url_spans(text)
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect();
        assert_eq!(urls, vec!["https://example.org/a/2024", "http://x.y"]);
    }
}
