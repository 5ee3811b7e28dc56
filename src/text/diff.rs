//! Word-level differences between two revisions of a section, rendered as Markdown for review.
//!
//! Text is cut into words: runs of characters other than whitespace (a word with its
//! punctuation), and single characters of scripts written without spaces between words
//! (Chinese, Japanese kana, CJK punctuation), so a changed character in a Chinese sentence does
//! not mark the whole sentence as changed. The words are compared with `similar`'s Myers
//! algorithm under a time limit (past it the diff is still correct, only less minimal); the
//! whitespace after two matched words is then compared on its own.

use std::time::Duration;

use similar::{Algorithm, ChangeTag, TextDiff};

/// How long one diff may search for the smallest set of changes before it settles for a
/// larger one, so a pathological pair of texts cannot hold up the bot.
const DIFF_TIMEOUT: Duration = Duration::from_millis(200);

/// What happened to a stretch of text between the old and the new revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// In both revisions.
    Equal,
    /// Only in the new revision.
    Insert,
    /// Only in the old revision.
    Delete,
}

/// A stretch of text with one kind of change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Whether the text was kept, inserted or deleted.
    pub change: Change,
    /// The text itself, whitespace and line breaks included.
    pub text: String,
}

/// The difference between two revisions, as a sequence of segments.
///
/// The `Equal` and `Delete` segments in order spell the old text; the `Equal` and `Insert`
/// segments in order spell the new text. No two neighbouring segments have the same kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WordDiff {
    /// The segments, in text order.
    pub segments: Vec<Segment>,
    /// Words only in the new revision (each CJK character counts as a word).
    pub inserted_words: usize,
    /// Words only in the old revision (each CJK character counts as a word).
    pub deleted_words: usize,
}

/// Compares two revisions word by word.
///
/// Words are matched on their text alone, so a change of the whitespace after a word never
/// hides that the word itself is unchanged; whitespace changes still show as segments of
/// their own. Neighbouring changes separated only by whitespace are joined into one deletion
/// followed by one insertion, so a reworded phrase reads as `~~old phrase~~ **new phrase**`
/// rather than alternating word by word.
pub fn word_diff(old: &str, new: &str) -> WordDiff {
    let old_words = Words::split(old);
    let new_words = Words::split(new);
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .timeout(DIFF_TIMEOUT)
        .diff_slices(&old_words.words, &new_words.words);

    let mut raw: Vec<Segment> = Vec::new();
    push_whitespace(&mut raw, old_words.lead, new_words.lead);
    for change in diff.iter_all_changes() {
        match (change.tag(), change.old_index(), change.new_index()) {
            (ChangeTag::Equal, Some(o), Some(n)) => {
                push_text(&mut raw, Change::Equal, old_words.words[o]);
                push_whitespace(&mut raw, old_words.gaps[o], new_words.gaps[n]);
            }
            (ChangeTag::Delete, Some(o), _) => {
                push_text(&mut raw, Change::Delete, old_words.words[o]);
                push_text(&mut raw, Change::Delete, old_words.gaps[o]);
            }
            (ChangeTag::Insert, _, Some(n)) => {
                push_text(&mut raw, Change::Insert, new_words.words[n]);
                push_text(&mut raw, Change::Insert, new_words.gaps[n]);
            }
            // `similar` always gives the indices that belong to the tag.
            _ => {}
        }
    }

    let segments = join_change_blocks(raw);
    let words_in = |kind: Change| -> usize {
        segments
            .iter()
            .filter(|s| s.change == kind)
            .map(|s| count_words(&s.text))
            .sum()
    };
    WordDiff {
        inserted_words: words_in(Change::Insert),
        deleted_words: words_in(Change::Delete),
        segments,
    }
}

impl WordDiff {
    /// True when the two revisions are identical (whitespace included).
    pub fn is_empty(&self) -> bool {
        self.segments.iter().all(|s| s.change == Change::Equal)
    }

    /// The diff as Markdown: deletions as `~~deleted~~`, insertions as `**inserted**`.
    ///
    /// Whitespace stays outside the markers and a marked stretch is closed at each line
    /// break, so the Markdown always renders (`~~old~~ **new**`, never `~~old ~~`). Deleted
    /// whitespace on its own is not shown; inserted whitespace is shown as it is.
    ///
    /// With `Some(n)`, unchanged stretches keep only `n` words of context on each side of a
    /// change: a stretch of more than `2n` words between two changes becomes its first `n`
    /// and last `n` words joined by ` … `; the stretch before the first change keeps its last
    /// `n` words and the one after the last change its first `n`. Line breaks inside the kept
    /// words stay. Identical revisions render as `(no changes)`.
    pub fn render_markdown(&self, context_words: Option<usize>) -> String {
        if self.is_empty() {
            return "(no changes)".to_string();
        }
        let mut out = String::new();
        let last = self.segments.len() - 1;
        for (i, segment) in self.segments.iter().enumerate() {
            let text = segment.text.as_str();
            match segment.change {
                Change::Equal => match context_words {
                    None => out.push_str(text),
                    Some(n) => elide(&mut out, text, n, i == 0, i == last),
                },
                Change::Delete => {
                    if !is_blank(text) {
                        mark(&mut out, text, "~~");
                    }
                }
                Change::Insert => {
                    // A shown deletion and an insertion are kept apart by a space.
                    let after_deletion = i > 0
                        && self.segments[i - 1].change == Change::Delete
                        && !is_blank(&self.segments[i - 1].text);
                    if after_deletion
                        && !out.is_empty()
                        && !out.ends_with(char::is_whitespace)
                        && !text.starts_with(char::is_whitespace)
                    {
                        out.push(' ');
                    }
                    mark(&mut out, text, "**");
                }
            }
        }
        out
    }
}

/// True for characters of scripts written without spaces between words; each becomes a
/// token of its own.
fn is_unspaced_script(c: char) -> bool {
    matches!(
        c,
        // CJK symbols and punctuation (。、「」), hiragana, katakana.
        '\u{3000}'..='\u{30FF}'
        // CJK unified ideographs, extension A, compatibility ideographs.
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        // Half-width and full-width forms (！？，).
        | '\u{FF00}'..='\u{FFEF}'
        // Ideographs in the supplementary planes.
        | '\u{20000}'..='\u{3FFFF}'
    )
}

/// Cuts text into whitespace runs, runs of other characters, and single characters of
/// unspaced scripts. The tokens concatenate to the input.
pub(crate) fn tokenize(text: &str) -> Vec<&str> {
    #[derive(PartialEq)]
    enum Class {
        Space,
        Word,
        Single,
    }
    let class = |c: char| {
        if c.is_whitespace() {
            Class::Space
        } else if is_unspaced_script(c) {
            Class::Single
        } else {
            Class::Word
        }
    };

    let mut tokens = Vec::new();
    let mut start = 0;
    let mut current: Option<Class> = None;
    for (i, c) in text.char_indices() {
        let cls = class(c);
        let continues = match &current {
            Some(prev) => *prev == cls && cls != Class::Single,
            None => true,
        };
        if !continues {
            tokens.push(&text[start..i]);
            start = i;
        }
        current = Some(cls);
    }
    if start < text.len() {
        tokens.push(&text[start..]);
    }
    tokens
}

/// A text as its words, with the whitespace before the first word and after each word.
struct Words<'a> {
    /// Whitespace before the first word.
    lead: &'a str,
    /// The words (tokens that are not whitespace).
    words: Vec<&'a str>,
    /// `gaps[i]` is the whitespace after `words[i]`, possibly empty.
    gaps: Vec<&'a str>,
}

impl<'a> Words<'a> {
    fn split(text: &'a str) -> Self {
        let mut split = Words {
            lead: "",
            words: Vec::new(),
            gaps: Vec::new(),
        };
        for token in tokenize(text) {
            if is_blank(token) {
                match split.gaps.last_mut() {
                    Some(gap) => *gap = token,
                    None => split.lead = token,
                }
            } else {
                split.words.push(token);
                split.gaps.push("");
            }
        }
        split
    }
}

/// Whitespace at the same place in both texts: unchanged when equal, else a deletion and an
/// insertion.
fn push_whitespace(segments: &mut Vec<Segment>, old: &str, new: &str) {
    if old == new {
        push_text(segments, Change::Equal, old);
    } else {
        push_text(segments, Change::Delete, old);
        push_text(segments, Change::Insert, new);
    }
}

fn is_blank(text: &str) -> bool {
    text.chars().all(char::is_whitespace)
}

fn leading_space(text: &str) -> &str {
    &text[..text.len() - text.trim_start().len()]
}

fn trailing_space(text: &str) -> &str {
    &text[text.trim_end().len()..]
}

fn count_words(text: &str) -> usize {
    tokenize(text).into_iter().filter(|t| !is_blank(t)).count()
}

/// Appends text to the last segment when it has the same kind, else starts a new segment.
/// Empty text adds nothing.
fn push_text(segments: &mut Vec<Segment>, change: Change, text: &str) {
    if text.is_empty() {
        return;
    }
    match segments.last_mut() {
        Some(last) if last.change == change => last.text.push_str(text),
        _ => segments.push(Segment {
            change,
            text: text.to_string(),
        }),
    }
}

/// Turns each run of changes (deletions and insertions, possibly separated by unchanged
/// whitespace) into one deletion followed by one insertion.
fn join_change_blocks(raw: Vec<Segment>) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::with_capacity(raw.len());
    let mut deleted = String::new();
    let mut inserted = String::new();
    let mut in_block = false;
    let count = raw.len();

    // Whitespace that starts or ends both the deletion and the insertion is unchanged text.
    let flush = |out: &mut Vec<Segment>, deleted: &mut String, inserted: &mut String| {
        let (mut lead, mut trail) = ("", "");
        if !deleted.is_empty() && !inserted.is_empty() {
            let d_lead = leading_space(deleted);
            if d_lead == leading_space(inserted) && d_lead.len() < deleted.len().min(inserted.len())
            {
                lead = d_lead;
            }
            let d_trail = trailing_space(deleted);
            if d_trail == trailing_space(inserted)
                && lead.len() + d_trail.len() < deleted.len().min(inserted.len())
            {
                trail = d_trail;
            }
        }
        push_text(out, Change::Equal, lead);
        push_text(
            out,
            Change::Delete,
            &deleted[lead.len()..deleted.len() - trail.len()],
        );
        push_text(
            out,
            Change::Insert,
            &inserted[lead.len()..inserted.len() - trail.len()],
        );
        push_text(out, Change::Equal, trail);
        deleted.clear();
        inserted.clear();
    };

    for (i, segment) in raw.into_iter().enumerate() {
        match segment.change {
            Change::Delete => {
                deleted.push_str(&segment.text);
                in_block = true;
            }
            Change::Insert => {
                inserted.push_str(&segment.text);
                in_block = true;
            }
            Change::Equal => {
                // Neighbouring segments never share a kind, so an `Equal` that is not the
                // last segment is followed by a change.
                if in_block && i + 1 < count && is_blank(&segment.text) {
                    deleted.push_str(&segment.text);
                    inserted.push_str(&segment.text);
                } else {
                    flush(&mut out, &mut deleted, &mut inserted);
                    in_block = false;
                    push_text(&mut out, Change::Equal, &segment.text);
                }
            }
        }
    }
    flush(&mut out, &mut deleted, &mut inserted);
    out
}

/// Appends `text` with each stretch between line breaks wrapped in `marker`, and leading,
/// trailing and line-breaking whitespace left outside the markers.
fn mark(out: &mut String, text: &str, marker: &str) {
    let mut rest = text;
    loop {
        let content = rest.trim_start();
        out.push_str(&rest[..rest.len() - content.len()]);
        if content.is_empty() {
            return;
        }
        let line_end = content.find('\n').unwrap_or(content.len());
        let piece = content[..line_end].trim_end();
        out.push_str(marker);
        out.push_str(piece);
        out.push_str(marker);
        rest = &content[piece.len()..];
    }
}

/// Appends an elision mark, without its leading space where the output already ends in
/// whitespace or is empty.
fn push_ellipsis(out: &mut String, mark: &str) {
    if out.is_empty() || out.ends_with(char::is_whitespace) {
        out.push_str(mark.trim_start());
    } else {
        out.push_str(mark);
    }
}

/// Appends an unchanged stretch, keeping `n` words of context next to the changes.
fn elide(out: &mut String, text: &str, n: usize, at_start: bool, at_end: bool) {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut offset = 0;
    for token in tokenize(text) {
        if !is_blank(token) {
            spans.push((offset, offset + token.len()));
        }
        offset += token.len();
    }
    let words = spans.len();
    // The text of the first `n` words (from the start of the stretch) and of the last `n`
    // words (to its end).
    let head = |n: usize| if n == 0 { "" } else { &text[..spans[n - 1].1] };
    let tail = |n: usize| {
        if n == 0 {
            ""
        } else {
            &text[spans[words - n].0..]
        }
    };
    if at_start && !at_end {
        if words > n {
            push_ellipsis(out, "… ");
            out.push_str(tail(n));
        } else {
            out.push_str(text);
        }
    } else if at_end && !at_start {
        if words > n {
            out.push_str(head(n));
            push_ellipsis(out, " …");
        } else {
            out.push_str(text);
        }
    } else if words > n.saturating_mul(2) {
        out.push_str(head(n));
        push_ellipsis(out, " … ");
        out.push_str(tail(n));
    } else {
        out.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The old text from `Equal` and `Delete`, the new from `Equal` and `Insert`.
    fn rebuild(diff: &WordDiff) -> (String, String) {
        let mut old = String::new();
        let mut new = String::new();
        for s in &diff.segments {
            match s.change {
                Change::Equal => {
                    old.push_str(&s.text);
                    new.push_str(&s.text);
                }
                Change::Delete => old.push_str(&s.text),
                Change::Insert => new.push_str(&s.text),
            }
        }
        (old, new)
    }

    fn check(old: &str, new: &str) -> WordDiff {
        let diff = word_diff(old, new);
        assert_eq!(rebuild(&diff), (old.to_string(), new.to_string()));
        for pair in diff.segments.windows(2) {
            assert_ne!(pair[0].change, pair[1].change, "{:?}", diff.segments);
        }
        assert!(diff.segments.iter().all(|s| !s.text.is_empty()));
        diff
    }

    fn seg(change: Change, text: &str) -> Segment {
        Segment {
            change,
            text: text.to_string(),
        }
    }

    #[test]
    fn tokens() {
        assert_eq!(
            tokenize("Hello,  world!\n\nDeepSeek发布了。ok"),
            vec!["Hello,", "  ", "world!", "\n\n", "DeepSeek", "发", "布", "了", "。", "ok"]
        );
        assert!(tokenize("").is_empty());
    }

    #[test]
    fn insert() {
        let diff = check("The mayor resigned.", "The mayor quietly resigned.");
        assert_eq!(
            diff.segments,
            vec![
                seg(Change::Equal, "The mayor "),
                seg(Change::Insert, "quietly "),
                seg(Change::Equal, "resigned."),
            ]
        );
        assert_eq!((diff.inserted_words, diff.deleted_words), (1, 0));
        assert!(!diff.is_empty());
        assert_eq!(
            diff.render_markdown(None),
            "The mayor **quietly** resigned."
        );
    }

    #[test]
    fn delete() {
        let diff = check("The mayor quietly resigned.", "The mayor resigned.");
        assert_eq!((diff.inserted_words, diff.deleted_words), (0, 1));
        assert_eq!(
            diff.render_markdown(None),
            "The mayor ~~quietly~~ resigned."
        );
    }

    #[test]
    fn replace() {
        let diff = check("Shares fell 5% on Monday.", "Shares fell 7% on Tuesday.");
        assert_eq!((diff.inserted_words, diff.deleted_words), (2, 2));
        assert_eq!(
            diff.render_markdown(None),
            "Shares fell ~~5%~~ **7%** on ~~Monday.~~ **Tuesday.**"
        );
    }

    #[test]
    fn replaced_phrase_is_one_block() {
        let diff = check(
            "He said the plan was dead.",
            "He said the scheme would fail.",
        );
        assert_eq!(
            diff.segments,
            vec![
                seg(Change::Equal, "He said the "),
                seg(Change::Delete, "plan was dead."),
                seg(Change::Insert, "scheme would fail."),
            ]
        );
        assert_eq!(
            diff.render_markdown(None),
            "He said the ~~plan was dead.~~ **scheme would fail.**"
        );
    }

    #[test]
    fn unchanged() {
        let diff = check(
            "Same text.\n\nTwo paragraphs.",
            "Same text.\n\nTwo paragraphs.",
        );
        assert!(diff.is_empty());
        assert_eq!((diff.inserted_words, diff.deleted_words), (0, 0));
        assert_eq!(diff.render_markdown(None), "(no changes)");
        assert_eq!(diff.render_markdown(Some(3)), "(no changes)");

        let empty = check("", "");
        assert!(empty.is_empty());
        assert!(empty.segments.is_empty());
        assert_eq!(empty.render_markdown(None), "(no changes)");
    }

    #[test]
    fn from_and_to_empty() {
        let diff = check("", "A new lead.");
        assert_eq!(diff.render_markdown(None), "**A new lead.**");
        assert_eq!(diff.inserted_words, 3);
        let diff = check("Old lead.", "");
        assert_eq!(diff.render_markdown(None), "~~Old lead.~~");
        assert_eq!(diff.deleted_words, 2);
    }

    #[test]
    fn whitespace_only_change_is_a_change_without_words() {
        let diff = check("one two", "one\n\ntwo");
        assert!(!diff.is_empty());
        assert_eq!((diff.inserted_words, diff.deleted_words), (0, 0));
        assert_eq!(diff.render_markdown(None), "one\n\ntwo");
    }

    #[test]
    fn context_elision() {
        let old = "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 old w11 w12 w13 w14 w15 w16 w17 w18 w19 w20 \
                   gone w21 w22 w23 w24 w25 w26";
        let new = "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 new w11 w12 w13 w14 w15 w16 w17 w18 w19 w20 \
                   w21 w22 w23 w24 w25 w26";
        let diff = check(old, new);
        assert_eq!(
            diff.render_markdown(Some(2)),
            "… w9 w10 ~~old~~ **new** w11 w12 … w19 w20 ~~gone~~ w21 w22 …"
        );
        // A middle stretch of exactly 2n words is kept whole.
        assert_eq!(
            diff.render_markdown(Some(5)),
            "… w6 w7 w8 w9 w10 ~~old~~ **new** w11 w12 w13 w14 w15 w16 w17 w18 w19 w20 \
             ~~gone~~ w21 w22 w23 w24 w25 …"
        );
        // Zero words of context.
        assert_eq!(
            diff.render_markdown(Some(0)),
            "… ~~old~~ **new** … ~~gone~~ …"
        );
        // Enough context keeps everything.
        assert_eq!(diff.render_markdown(Some(10)), diff.render_markdown(None));
    }

    #[test]
    fn context_keeps_paragraph_breaks() {
        let old = "Intro one two three.\n\nFirst para ends here.\n\nSecond para starts and \
                   goes on for a while before the end.";
        let new = "Intro one two three.\n\nFirst para ends here.\n\nSecond paragraph starts and \
                   goes on for a while before the end.";
        let diff = check(old, new);
        assert_eq!(
            diff.render_markdown(Some(3)),
            "… ends here.\n\nSecond ~~para~~ **paragraph** starts and goes …"
        );
    }

    #[test]
    fn multi_paragraph() {
        let old = "First paragraph stays.\n\nSecond paragraph goes.\n\nThird paragraph stays.";
        let new = "First paragraph stays.\n\nThird paragraph stays, changed.\n\nA new fourth.";
        let diff = check(old, new);
        let md = diff.render_markdown(None);
        assert_eq!(
            md,
            "First paragraph stays.\n\n~~Second paragraph goes.~~\n\nThird paragraph \
             ~~stays.~~ **stays, changed.**\n\n**A new fourth.**"
        );
        // No marker is left open across a line break.
        for line in md.lines() {
            assert_eq!(line.matches("~~").count() % 2, 0, "{line}");
            assert_eq!(line.matches("**").count() % 2, 0, "{line}");
        }
    }

    #[test]
    fn change_spanning_a_paragraph_break_is_marked_per_paragraph() {
        let diff = check("Keep. Old end.\n\nOld start. Keep.", "Keep. Keep.");
        assert_eq!(
            diff.render_markdown(None),
            "Keep. ~~Old end.~~\n\n~~Old start.~~ Keep."
        );
    }

    #[test]
    fn unicode_words() {
        let diff = check(
            "Die Straße in Zürich war naß.",
            "Die Straße in Zürich war nass.",
        );
        assert_eq!(
            diff.render_markdown(None),
            "Die Straße in Zürich war ~~naß.~~ **nass.**"
        );
        assert_eq!((diff.inserted_words, diff.deleted_words), (1, 1));

        let diff = check("DeepSeek发布了新模型。", "DeepSeek发布了新芯片。");
        assert_eq!(
            diff.render_markdown(None),
            "DeepSeek发布了新~~模型~~ **芯片**。"
        );
        assert_eq!((diff.inserted_words, diff.deleted_words), (2, 2));

        let diff = check("Привет мир", "Привет, мир");
        assert_eq!(diff.render_markdown(None), "~~Привет~~ **Привет,** мир");
    }

    #[test]
    fn ten_kib_texts_diff_quickly() {
        let words = [
            "council", "budget", "school", "river", "housing", "mayor", "vote", "tax",
        ];
        let old: String = (0..2000)
            .map(|i| words[(i * 7 + i / 3) % words.len()])
            .collect::<Vec<_>>()
            .join(" ");
        let new: String = (0..2000)
            .map(|i| words[(i * 5 + i / 2) % words.len()])
            .collect::<Vec<_>>()
            .join(" ");
        assert!(old.len() > 10 * 1024 && new.len() > 10 * 1024);
        let started = std::time::Instant::now();
        check(&old, &new);
        // The diff itself is capped at 200 ms; the rest is linear.
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
