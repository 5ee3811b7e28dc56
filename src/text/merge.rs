//! Three-way merge of a section's text: what a writer submitted, built on an older revision,
//! merged with what others saved since.
//!
//! `merge(base, latest, submitted)` compares `base → latest` and `base → submitted` and keeps
//! every change that only one side made. It works from coarse to fine: paragraphs first
//! (separated by blank lines); where both sides changed the same paragraphs, their sentences;
//! where both changed the same sentences, their words. Whatever both sides changed in the same
//! place, differently, at word level is a **conflict**: the merge keeps both versions of that
//! passage and says which paragraphs it concerns, so the writer can choose.
//!
//! The rules are those of `diff3`: a stretch that one side left as in the base takes the other
//! side's version; a stretch both sides changed alike takes that change; two insertions at the
//! same place that differ are a conflict, as are two different changes of the same words.
//!
//! Whitespace and separators are tokens of their own, so appending a paragraph does not count as
//! a change of the paragraph before it. Every token sequence concatenates back to its text, so
//! `merge(base, a, base)` is exactly `a` and `merge(base, base, b)` is exactly `b`.

use std::time::{Duration, Instant};

use similar::{capture_diff_deadline, Algorithm, DiffOp};

/// How long one comparison may look for the smallest set of changes; past it the result is
/// still correct, only coarser (more of the text counts as changed, so more may conflict).
const DIFF_TIMEOUT: Duration = Duration::from_millis(200);

/// Where the writer's own version of a conflicting passage starts in the marked text.
pub const MARKER_YOURS: &str = "<<<<<<< yours";
/// Between the two versions of a conflicting passage.
pub const MARKER_SPLIT: &str = "=======";
/// Where the other version ends; followed by a space and whose revision it is.
pub const MARKER_THEIRS: &str = ">>>>>>>";

/// One passage both sides changed differently, at the finest level the merge reached
/// (a sentence or a few words, or whole paragraphs when only those could be matched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// The passage as it was in the base revision (empty when both sides inserted here).
    pub base: String,
    /// The passage as the writer submitted it.
    pub yours: String,
    /// The passage as it is in the latest revision.
    pub theirs: String,
}

/// A stretch of the merged text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Merged without a conflict.
    Clean(String),
    /// Paragraphs with at least one conflicting passage: both whole versions of those
    /// paragraphs (every clean change inside them already applied to both), and the
    /// passages that conflict.
    Conflict {
        /// The paragraphs with the writer's side of each conflict.
        yours: String,
        /// The paragraphs with the latest revision's side of each conflict.
        theirs: String,
        /// The conflicting passages, in text order.
        passages: Vec<Passage>,
    },
}

/// The result of a three-way merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The merged text in order: clean stretches and conflicting paragraphs.
    pub parts: Vec<Part>,
}

impl Merged {
    /// True when nothing conflicts.
    pub fn is_clean(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Clean(_)))
    }

    /// The merged text, when nothing conflicts.
    pub fn text(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Clean(text) => out.push_str(text),
                Part::Conflict { .. } => return None,
            }
        }
        Some(out)
    }

    /// Every conflicting passage, in text order.
    pub fn passages(&self) -> impl Iterator<Item = &Passage> {
        self.parts.iter().flat_map(|p| match p {
            Part::Clean(_) => [].iter(),
            Part::Conflict { passages, .. } => passages.iter(),
        })
    }

    /// The merged text with each conflict written out between markers, on lines of their
    /// own, as version control tools do:
    ///
    /// ```text
    /// <<<<<<< yours
    /// (the writer's version)
    /// =======
    /// (the latest version)
    /// >>>>>>> revision 2 by bob
    /// ```
    ///
    /// `theirs` names the latest revision (`revision 2 by bob`).
    pub fn with_markers(&self, theirs_label: &str) -> String {
        let mut out = String::new();
        let mut after_marker = false;
        for part in &self.parts {
            match part {
                Part::Clean(text) => {
                    // A marker line ends where the text after it does not start a new line.
                    if after_marker && !text.starts_with('\n') {
                        out.push('\n');
                    }
                    after_marker = false;
                    out.push_str(text)
                }
                Part::Conflict { yours, theirs, .. } => {
                    if !out.is_empty() && !out.ends_with('\n') {
                        out.push('\n');
                    }
                    out.push_str(MARKER_YOURS);
                    out.push('\n');
                    push_line_block(&mut out, yours);
                    out.push_str(MARKER_SPLIT);
                    out.push('\n');
                    push_line_block(&mut out, theirs);
                    out.push_str(MARKER_THEIRS);
                    out.push(' ');
                    out.push_str(theirs_label);
                    after_marker = true;
                }
            }
        }
        out
    }
}

/// True when `text` still holds a conflict marker line, so it cannot be saved as a revision.
pub fn has_conflict_markers(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim_end();
        line == MARKER_YOURS
            || line.starts_with("<<<<<<< ")
            || line == MARKER_SPLIT
            || line.starts_with(">>>>>>> ")
            || line == MARKER_THEIRS
    })
}

/// Pushes a block of text followed by exactly one line break, with the block's own
/// trailing whitespace kept inside it (a paragraph's blank-line separator stays outside the
/// markers because conflicts are cut at paragraph bounds).
fn push_line_block(out: &mut String, text: &str) {
    out.push_str(text);
    if !text.ends_with('\n') {
        out.push('\n');
    }
}

/// Merges `base → latest` and `base → submitted`.
///
/// `latest` is the section's current revision; `submitted` is what the writer saved, built on
/// `base`. The result is clean when the two sets of changes touch different passages.
pub fn merge(base: &str, latest: &str, submitted: &str) -> Merged {
    let deadline = Instant::now() + DIFF_TIMEOUT;
    let mut parts: Vec<Part> = Vec::new();
    for piece in merge_level(base, latest, submitted, Level::Paragraph, deadline) {
        match piece {
            Piece::Same(text) => match parts.last_mut() {
                Some(Part::Clean(prev)) => prev.push_str(&text),
                _ => parts.push(Part::Clean(text)),
            },
            Piece::Conflict {
                yours,
                theirs,
                passages,
            } => match parts.last_mut() {
                // Two conflicting paragraph stretches next to each other become one block.
                Some(Part::Conflict {
                    yours: y,
                    theirs: t,
                    passages: p,
                }) => {
                    y.push_str(&yours);
                    t.push_str(&theirs);
                    p.extend(passages);
                }
                _ => parts.push(Part::Conflict {
                    yours,
                    theirs,
                    passages,
                }),
            },
        }
    }
    Merged { parts }
}

/// The units a level cuts text into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// Paragraphs and the blank lines between them.
    Paragraph,
    /// Sentences (and lines) and the whitespace between them.
    Sentence,
    /// Words, single characters of unspaced scripts, and whitespace runs.
    Word,
}

impl Level {
    fn finer(self) -> Option<Level> {
        match self {
            Level::Paragraph => Some(Level::Sentence),
            Level::Sentence => Some(Level::Word),
            Level::Word => None,
        }
    }

    fn tokens(self, text: &str) -> Vec<&str> {
        match self {
            Level::Paragraph => paragraphs(text),
            Level::Sentence => sentences(text),
            Level::Word => super::diff::tokenize(text),
        }
    }
}

/// A stretch of a merge at one level.
enum Piece {
    /// Merged text.
    Same(String),
    /// A stretch where the sides conflict somewhere inside.
    Conflict {
        yours: String,
        theirs: String,
        passages: Vec<Passage>,
    },
}

/// For each base token, the index of the token it matches on the other side.
fn matches(base: &[&str], other: &[&str], deadline: Instant) -> Vec<Option<usize>> {
    let mut out = vec![None; base.len()];
    let ops = capture_diff_deadline(
        Algorithm::Patience,
        base,
        0..base.len(),
        other,
        0..other.len(),
        Some(deadline),
    );
    for op in ops {
        if let DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = op
        {
            for k in 0..len {
                out[old_index + k] = Some(new_index + k);
            }
        }
    }
    out
}

fn merge_level(
    base: &str,
    latest: &str,
    submitted: &str,
    level: Level,
    deadline: Instant,
) -> Vec<Piece> {
    let o = level.tokens(base);
    let a = level.tokens(latest);
    let b = level.tokens(submitted);
    let ma = matches(&o, &a, deadline);
    let mb = matches(&o, &b, deadline);

    let mut out: Vec<Piece> = Vec::new();
    let (mut i, mut ja, mut jb) = (0, 0, 0);
    while i < o.len() || ja < a.len() || jb < b.len() {
        if i < o.len() && ma[i] == Some(ja) && mb[i] == Some(jb) {
            push_same(&mut out, o[i]);
            i += 1;
            ja += 1;
            jb += 1;
            continue;
        }
        // The next base token that both sides kept ends this unstable stretch.
        let mut next = i;
        while next < o.len() && !(ma[next].is_some() && mb[next].is_some()) {
            next += 1;
        }
        let (end_a, end_b) = match (
            ma.get(next).copied().flatten(),
            mb.get(next).copied().flatten(),
        ) {
            (Some(ea), Some(eb)) => (ea, eb),
            _ => (a.len(), b.len()),
        };
        let chunk_o = o[i..next].concat();
        let chunk_a = a[ja..end_a].concat();
        let chunk_b = b[jb..end_b].concat();
        resolve(&mut out, chunk_o, chunk_a, chunk_b, level, deadline);
        i = next;
        ja = end_a;
        jb = end_b;
    }
    out
}

fn push_same(out: &mut Vec<Piece>, text: &str) {
    if text.is_empty() {
        return;
    }
    match out.last_mut() {
        Some(Piece::Same(prev)) => prev.push_str(text),
        _ => out.push(Piece::Same(text.to_string())),
    }
}

fn resolve(
    out: &mut Vec<Piece>,
    base: String,
    latest: String,
    submitted: String,
    level: Level,
    deadline: Instant,
) {
    if latest == base || latest == submitted {
        push_same(out, &submitted);
        return;
    }
    if submitted == base {
        push_same(out, &latest);
        return;
    }
    // Both sides changed this stretch, differently: look closer when there is a finer level
    // and the base had something to compare against.
    if let Some(finer) = level.finer() {
        if !base.is_empty() {
            let inner = merge_level(&base, &latest, &submitted, finer, deadline);
            let mut yours = String::new();
            let mut theirs = String::new();
            let mut passages = Vec::new();
            let mut clean = true;
            for piece in &inner {
                match piece {
                    Piece::Same(text) => {
                        yours.push_str(text);
                        theirs.push_str(text);
                    }
                    Piece::Conflict {
                        yours: y,
                        theirs: t,
                        passages: p,
                    } => {
                        clean = false;
                        yours.push_str(y);
                        theirs.push_str(t);
                        passages.extend(p.iter().cloned());
                    }
                }
            }
            if clean {
                push_same(out, &yours);
            } else {
                out.push(Piece::Conflict {
                    yours,
                    theirs,
                    passages,
                });
            }
            return;
        }
    }
    out.push(Piece::Conflict {
        passages: vec![Passage {
            base,
            yours: submitted.clone(),
            theirs: latest.clone(),
        }],
        yours: submitted,
        theirs: latest,
    });
}

/// Cuts text into paragraphs and the runs of line breaks (with any blank-line whitespace)
/// between them. A paragraph keeps its single line breaks; the tokens concatenate to the input.
fn paragraphs(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            // A separator is a line break followed by at least one more line that is blank.
            let mut j = i + 1;
            let mut breaks = 1;
            let mut k = j;
            while k < bytes.len() {
                match bytes[k] {
                    b'\n' => {
                        breaks += 1;
                        j = k + 1;
                        k += 1;
                    }
                    b' ' | b'\t' | b'\r' => k += 1,
                    _ => break,
                }
            }
            if breaks >= 2 || j == bytes.len() {
                if start < i {
                    tokens.push(&text[start..i]);
                }
                tokens.push(&text[i..j]);
                start = j;
                i = j;
                continue;
            }
        }
        i += 1;
    }
    if start < text.len() {
        tokens.push(&text[start..]);
    }
    tokens
}

/// Cuts a paragraph into sentences and the whitespace between them. A sentence ends after
/// `.`, `!`, `?`, `…` or their full-width forms (with closing quotes and brackets that follow)
/// when whitespace comes next, and every line ends one, so list items are units too. The
/// tokens concatenate to the input.
fn sentences(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_whitespace() {
            // A whitespace run: a boundary when it holds a line break, or follows a sentence end.
            let mut end = i + c.len_utf8();
            let mut newline = c == '\n';
            while let Some(&(j, d)) = chars.peek() {
                if !d.is_whitespace() {
                    break;
                }
                newline |= d == '\n';
                end = j + d.len_utf8();
                chars.next();
            }
            let before = text[start..i].trim_end_matches(is_closing);
            let ends_sentence = before.ends_with(is_terminal);
            if (newline || ends_sentence) && start < i {
                tokens.push(&text[start..i]);
                tokens.push(&text[i..end]);
                start = end;
            } else if start == i {
                tokens.push(&text[i..end]);
                start = end;
            }
        } else if matches!(c, '。' | '！' | '？') {
            // Unspaced scripts end a sentence without a following space.
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if !is_closing(d) {
                    break;
                }
                end = j + d.len_utf8();
                chars.next();
            }
            tokens.push(&text[start..end]);
            start = end;
        }
    }
    if start < text.len() {
        tokens.push(&text[start..]);
    }
    tokens
}

fn is_terminal(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…' | ':' | ';')
}

fn is_closing(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | ')' | ']' | '”' | '’' | '»' | '」' | '』' | '）'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(base: &str, latest: &str, submitted: &str) -> String {
        let m = merge(base, latest, submitted);
        match m.text() {
            Some(t) => t,
            None => panic!("expected a clean merge, got {:#?}", m.parts),
        }
    }

    #[test]
    fn tokens_concatenate_to_the_input() {
        for text in [
            "",
            "One.",
            "One. Two! Three?\n\nFour\n- item\n- item two\n\n\n  Five.  ",
            "他说。她也说！好吗？\n\n第二段",
            "\n\nleading blank lines",
            "trailing\n",
        ] {
            assert_eq!(paragraphs(text).concat(), text);
            assert_eq!(sentences(text).concat(), text);
            assert!(paragraphs(text).iter().all(|t| !t.is_empty()));
            assert!(sentences(text).iter().all(|t| !t.is_empty()));
        }
    }

    #[test]
    fn paragraphs_and_their_separators_are_tokens_of_their_own() {
        assert_eq!(
            paragraphs("A one.\nA two.\n\nB.\n \nC."),
            vec!["A one.\nA two.", "\n\n", "B.", "\n \n", "C."]
        );
    }

    #[test]
    fn sentences_end_at_terminal_punctuation_and_line_breaks() {
        assert_eq!(
            sentences("He said \"no.\" Then left. Mr Smith\nstayed"),
            vec![
                "He said \"no.\"",
                " ",
                "Then left.",
                " ",
                "Mr Smith",
                "\n",
                "stayed"
            ]
        );
    }

    #[test]
    fn one_side_unchanged_takes_the_other() {
        let base = "A.\n\nB.";
        assert_eq!(clean(base, "A2.\n\nB.", base), "A2.\n\nB.");
        assert_eq!(clean(base, base, "A.\n\nB2."), "A.\n\nB2.");
    }

    #[test]
    fn edits_in_different_paragraphs_merge() {
        let base = "The council met.\n\nThe budget is 3m.\n\nVoting is on Friday.";
        let latest = "The council met on Monday.\n\nThe budget is 3m.\n\nVoting is on Friday.";
        let submitted = "The council met.\n\nThe budget is 3m.\n\nVoting is on Friday at 9.";
        assert_eq!(
            clean(base, latest, submitted),
            "The council met on Monday.\n\nThe budget is 3m.\n\nVoting is on Friday at 9."
        );
    }

    #[test]
    fn edits_in_different_sentences_of_one_paragraph_merge() {
        let base = "First fact. Second fact. Third fact.";
        let latest = "First fact, checked. Second fact. Third fact.";
        let submitted = "First fact. Second fact. Third fact, sourced.";
        assert_eq!(
            clean(base, latest, submitted),
            "First fact, checked. Second fact. Third fact, sourced."
        );
    }

    #[test]
    fn edits_of_different_words_in_one_sentence_merge() {
        let base = "The mayor said the budget was 3 million on Monday.";
        let latest = "The deputy mayor said the budget was 3 million on Monday.";
        let submitted = "The mayor said the budget was 4 million on Monday.";
        assert_eq!(
            clean(base, latest, submitted),
            "The deputy mayor said the budget was 4 million on Monday."
        );
    }

    #[test]
    fn the_same_words_changed_differently_conflict() {
        let base = "Intro.\n\nThe budget was 3 million.\n\nEnd.";
        let latest = "Intro.\n\nThe budget was 5 million.\n\nEnd.";
        let submitted = "Intro, revised.\n\nThe budget was 4 million.\n\nEnd.";
        let m = merge(base, latest, submitted);
        assert!(!m.is_clean());
        assert_eq!(m.text(), None);
        let passages: Vec<&Passage> = m.passages().collect();
        assert_eq!(
            passages,
            vec![&Passage {
                base: "3".into(),
                yours: "4".into(),
                theirs: "5".into()
            }]
        );
        assert_eq!(
            m.with_markers("revision 2 by bob"),
            "Intro, revised.\n\n<<<<<<< yours\nThe budget was 4 million.\n=======\n\
             The budget was 5 million.\n>>>>>>> revision 2 by bob\n\nEnd."
        );
    }

    #[test]
    fn both_sides_making_the_same_change_is_no_conflict() {
        let base = "A.\n\nB.";
        assert_eq!(clean(base, "A!\n\nB.", "A!\n\nB."), "A!\n\nB.");
    }

    #[test]
    fn two_different_insertions_at_one_place_conflict() {
        let base = "A.\n\nB.";
        let m = merge(base, "A.\n\nX.\n\nB.", "A.\n\nY.\n\nB.");
        assert!(!m.is_clean());
    }

    #[test]
    fn appending_paragraphs_on_both_sides_at_different_places_merges() {
        let base = "A.\n\nB.";
        assert_eq!(
            clean(base, "A.\n\nA2.\n\nB.", "A.\n\nB.\n\nC."),
            "A.\n\nA2.\n\nB.\n\nC."
        );
    }

    #[test]
    fn deleting_one_paragraph_while_another_is_edited_merges() {
        let base = "A.\n\nB.\n\nC.\n\nD.";
        assert_eq!(
            clean(base, "A.\n\nC.\n\nD.", "A.\n\nB.\n\nC.\n\nD, edited."),
            "A.\n\nC.\n\nD, edited."
        );
    }

    #[test]
    fn a_deletion_next_to_an_edit_conflicts_rather_than_guessing() {
        // Deleting B and editing the C right after it touch the same stretch: as in diff3,
        // the writer chooses.
        let m = merge("A.\n\nB.\n\nC.", "A.\n\nC.", "A.\n\nB.\n\nC, edited.");
        assert!(!m.is_clean());
    }

    #[test]
    fn markers_are_recognised() {
        assert!(has_conflict_markers(
            "x\n<<<<<<< yours\na\n=======\nb\n>>>>>>> revision 2 by bob\n"
        ));
        assert!(has_conflict_markers("======="));
        assert!(!has_conflict_markers("a ======= b\n<<< not a marker"));
    }

    #[test]
    fn unspaced_scripts_merge_by_character() {
        let base = "市长说预算是三百万。";
        let latest = "副市长说预算是三百万。";
        let submitted = "市长说预算是四百万。";
        assert_eq!(clean(base, latest, submitted), "副市长说预算是四百万。");
    }
}
