//! Long Markdown cut into pieces that fit a platform's message limit.
//!
//! Limits are counted in Unicode scalar values (`char`s). Each cut is made at the best place in
//! the piece's window of `max_chars` characters, in this order of preference: after a
//! paragraph break (`\n\n`), after a line break, after the end of a sentence (`. `, `? `, `! `,
//! or `。`, `？`, `！`), after whitespace, and only when the window has none of these, at the
//! window's end. Within one kind, the last place in the window wins, so pieces are as long as
//! that kind allows. A window that ends just before whitespace counts as ending after a word
//! (or a sentence), so a word that fits exactly is not split.
//!
//! Each piece scans only its own window, and a piece cut short by a preferred break leaves the
//! next window free of breaks of that kind and better ones up to the old window's end, so
//! within a few pieces a cut always lands past it: the total work is linear in the length of
//! the text.

/// Where a cut can be made, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Break {
    Paragraph,
    Line,
    Sentence,
    Space,
}

/// Splits `text` into contiguous slices of at most `max_chars` characters each (a
/// `max_chars` of 0 is taken as 1). The slices concatenate to exactly `text`; none is empty,
/// and empty text gives no slices.
pub fn chunk(text: &str, max_chars: usize) -> Vec<&str> {
    let max = max_chars.max(1);
    let mut pieces = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let cut = cut_point(rest, max);
        let (piece, tail) = rest.split_at(cut);
        pieces.push(piece);
        rest = tail;
    }
    pieces
}

/// The same split as [`chunk`], each piece trimmed of leading and trailing whitespace and
/// blank pieces dropped: the messages actually posted.
pub fn chunk_trimmed(text: &str, max_chars: usize) -> Vec<String> {
    chunk(text, max_chars)
        .into_iter()
        .map(str::trim)
        .filter(|piece| !piece.is_empty())
        .map(str::to_string)
        .collect()
}

/// The byte length of the first piece of non-empty `s`: all of it when it fits in `max`
/// characters, else the best cut within the first `max` characters.
fn cut_point(s: &str, max: usize) -> usize {
    // For each kind of break, the byte offset just after its last occurrence in the window.
    let mut best: [Option<usize>; 4] = [None; 4];
    let mut record = |kind: Break, at: usize| best[kind as usize] = Some(at);

    let mut prev: Option<char> = None;
    let mut chars = s.char_indices();
    let mut count = 0;
    let window_end = loop {
        let Some((i, c)) = chars.next() else {
            return s.len();
        };
        if count == max {
            // The window is full and `c` is the first character past it.
            if c.is_whitespace() {
                let kind = match prev {
                    Some('.' | '?' | '!') => Break::Sentence,
                    _ => Break::Space,
                };
                record(kind, i);
            }
            break i;
        }
        count += 1;
        let after = i + c.len_utf8();
        if c == '\n' {
            record(
                if prev == Some('\n') {
                    Break::Paragraph
                } else {
                    Break::Line
                },
                after,
            );
        }
        if c.is_whitespace() {
            let kind = match prev {
                Some('.' | '?' | '!') => Break::Sentence,
                _ => Break::Space,
            };
            record(kind, after);
        }
        if matches!(c, '。' | '？' | '！') {
            record(Break::Sentence, after);
        }
        prev = Some(c);
    };
    // A paragraph break is also a line break and whitespace; the best kind found wins.
    best.iter().flatten().next().copied().unwrap_or(window_end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, max: usize) -> Vec<&str> {
        let pieces = chunk(text, max);
        assert_eq!(pieces.concat(), text, "max {max}");
        for piece in &pieces {
            assert!(!piece.is_empty(), "max {max}");
            assert!(
                piece.chars().count() <= max.max(1),
                "{piece:?} longer than {max}"
            );
        }
        pieces
    }

    #[test]
    fn empty_text_gives_nothing() {
        assert!(chunk("", 10).is_empty());
        assert!(chunk_trimmed("", 10).is_empty());
        assert!(chunk_trimmed(" \n\n ", 2).is_empty());
    }

    #[test]
    fn short_text_is_one_piece() {
        assert_eq!(check("Hello.", 6), vec!["Hello."]);
        assert_eq!(check("Hello.", 2000), vec!["Hello."]);
    }

    #[test]
    fn zero_is_taken_as_one() {
        assert_eq!(chunk("abc", 0), vec!["a", "b", "c"]);
        assert_eq!(chunk("é😀", 0), vec!["é", "😀"]);
    }

    #[test]
    fn concatenation_and_limits_hold_everywhere() {
        let texts = [
            "plain words only here",
            "One. Two? Three! Four.\nFive\n\nSix seven eight.",
            "Ünïcödé wörds — with “quotes” and emoji 😀👍🏽 and tabs\tand\r\nCRLF.",
            "中文没有空格。每句话都以句号结束。还有问号？以及感叹号！",
            "Привет, мир. Это тест.\n\nΕλληνικά κείμενα εδώ.",
            "\n\n\n\n",
            "     ",
            "a",
            "supercalifragilisticexpialidocious",
            "x\n\ny\n\nz",
            "🇬🇧🇫🇷🇩🇪 flags and é (e\u{301}) combining",
        ];
        for text in texts {
            for max in 0..=40 {
                check(text, max);
            }
        }
    }

    #[test]
    fn prefers_paragraph_breaks() {
        let text = "First paragraph. It has two sentences.\n\nSecond one is here.";
        assert_eq!(
            check(text, 50),
            vec![
                "First paragraph. It has two sentences.\n\n",
                "Second one is here."
            ]
        );
        // Even when a line break comes later in the window.
        let text = "Para one.\n\nLine one\nline two continues on and on";
        assert_eq!(check(text, 30)[0], "Para one.\n\n");
    }

    #[test]
    fn then_line_breaks_then_sentences_then_spaces() {
        let text = "A list:\n- one item. More text follows here";
        assert_eq!(check(text, 30)[0], "A list:\n");
        let text = "One sentence. Another one starts here";
        assert_eq!(check(text, 30)[0], "One sentence. ");
        let text = "Question? Answer! And more words";
        assert_eq!(check(text, 25)[0], "Question? Answer! ");
        let text = "no sentence ends in this long line";
        assert_eq!(check(text, 18)[0], "no sentence ends ");
        let text = "第一句。第二句很长很长很长";
        assert_eq!(check(text, 8)[0], "第一句。");
    }

    #[test]
    fn a_word_that_fits_exactly_is_not_split() {
        assert_eq!(check("aaaa bbbb", 4), vec!["aaaa", " ", "bbbb"]);
        assert_eq!(chunk_trimmed("aaaa bbbb", 4), vec!["aaaa", "bbbb"]);
        assert_eq!(check("aa aaaa bbbb", 7), vec!["aa aaaa", " bbbb"]);
        assert_eq!(check("Done. Next", 5), vec!["Done.", " Next"]);
    }

    #[test]
    fn long_word_is_hard_split() {
        let text = "tiny supercalifragilisticexpialidocious end";
        let pieces = check(text, 10);
        assert_eq!(
            pieces,
            vec![
                "tiny ",
                "supercalif",
                "ragilistic",
                "expialidoc",
                "ious end"
            ]
        );
        let emoji = "😀".repeat(25);
        let pieces = check(&emoji, 10);
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces[2].chars().count(), 5);
    }

    #[test]
    fn trimmed_pieces_are_what_gets_posted() {
        let text = "First paragraph here.\n\n\n\nSecond paragraph here.\n";
        assert_eq!(
            chunk_trimmed(text, 25),
            vec!["First paragraph here.", "Second paragraph here."]
        );
    }

    #[test]
    fn forty_thousand_character_article() {
        let sentence = "The council voted on the harbour budget after a long debate. ";
        let mut article = String::new();
        let mut paragraph = 0;
        while article.chars().count() < 40_000 {
            paragraph += 1;
            article.push_str(&format!("## Part {paragraph}\n\n"));
            for i in 0..(3 + paragraph % 7) {
                article.push_str(sentence);
                if i % 4 == 3 {
                    article.push_str("Über “Zürich” — 港口预算。 ");
                }
            }
            article.push_str("\n\n");
        }
        article.truncate(article.trim_end().len());
        let chars = article.chars().count();
        assert!(chars >= 40_000);

        let pieces = check(&article, 2000);
        assert!(pieces.len() >= chars / 2000);
        // Paragraph breaks are frequent, so every piece but the last ends at one.
        for piece in &pieces[..pieces.len() - 1] {
            assert!(piece.ends_with("\n\n"), "{:?}", &piece[piece.len() - 20..]);
        }
        let posted = chunk_trimmed(&article, 2000);
        assert_eq!(posted.len(), pieces.len());
        assert!(posted.iter().all(|p| p.chars().count() <= 2000));
    }

    #[test]
    fn early_breaks_cost_at_most_a_few_short_pieces() {
        // Each block offers, at the start of successive windows, a paragraph break, a line
        // break, a sentence end and a space, then a long word. Each window scans at most
        // `max` characters, and at most five pieces pass before a cut lands beyond the
        // previous window, so the number of pieces (and the work) stays linear.
        let max = 1000;
        let block = format!("a\n\nb\nc. d {}", "e".repeat(max));
        let text = block.repeat(50);
        let pieces = check(&text, max);
        assert_eq!(
            &pieces[..5],
            ["a\n\n", "b\n", "c. ", "d ", &"e".repeat(max)]
        );
        let chars = text.chars().count();
        assert!(
            pieces.len() <= 6 * (chars / max + 1),
            "{} pieces",
            pieces.len()
        );
    }
}
