//! Normalisation of pasted source text.
//!
//! Leaked documents are often fingerprinted: each recipient's copy carries a different pattern
//! of invisible characters, so a quote copied verbatim could identify who passed it on. Every
//! source goes through [`normalise`] before it is stored, which removes those characters and
//! brings the text to one canonical form (Unicode NFC, `\n` line endings).
//!
//! Spacing is left exactly as it was. Fingerprints hidden in spacing or wording are the
//! verbatim-quote check's concern, not this module's.

use unicode_normalization::UnicodeNormalization;

/// True for the characters [`normalise`] removes: zero-width and other invisible characters,
/// Unicode tag characters, and bidirectional controls.
///
/// Variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF) are kept: they choose between text
/// and emoji presentation and carry no hidden payload worth the loss.
fn is_removed(c: char) -> bool {
    matches!(
        c,
        // Zero-width space, non-joiner, joiner.
        '\u{200B}' | '\u{200C}' | '\u{200D}'
        // Word joiner, invisible function application / times / separator / plus.
        | '\u{2060}'..='\u{2064}'
        // Byte order mark / zero-width no-break space.
        | '\u{FEFF}'
        // Mongolian vowel separator.
        | '\u{180E}'
        // Soft hyphen.
        | '\u{00AD}'
        // Tag characters.
        | '\u{E0000}'..='\u{E007F}'
        // Bidi marks: left-to-right, right-to-left, Arabic letter mark.
        | '\u{200E}' | '\u{200F}' | '\u{061C}'
        // Bidi embeddings and overrides (LRE, RLE, PDF, LRO, RLO).
        | '\u{202A}'..='\u{202E}'
        // Bidi isolates (LRI, RLI, FSI, PDI).
        | '\u{2066}'..='\u{2069}'
    )
}

/// Brings pasted text to the form the desk stores: invisible and bidi-control characters
/// removed, Unicode NFC, and `\r\n` or a lone `\r` turned into `\n`. Nothing else changes.
///
/// Removed: U+200B–U+200D (zero-width space, non-joiner, joiner), U+2060 (word joiner),
/// U+2061–U+2064 (invisible operators), U+FEFF (byte order mark), U+180E (Mongolian vowel
/// separator), U+00AD (soft hyphen), U+E0000–U+E007F (tag characters), and the bidi controls
/// U+200E, U+200F, U+061C, U+202A–U+202E, U+2066–U+2069.
///
/// The zero-width joiner is removed everywhere, including inside emoji sequences: a family
/// emoji such as 👨‍👩‍👧 becomes three separate emoji (👨👩👧), and tag-based flags such as
/// Scotland's become a plain black flag. That is acceptable for source text, which is read and
/// quoted for its words, and it keeps a joiner from being used as a fingerprint.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().filter(|c| !is_removed(*c)).nfc().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() != Some(&'\n') {
                out.push('\n');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Number of whitespace-separated words, as the source list shows it.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// How many invisible or bidi-control characters [`normalise`] removes from `original`, so
/// the desk can tell the person who pasted it ("removed 3 invisible characters").
///
/// Line-ending changes and NFC composition are not counted.
pub fn removed_count(original: &str) -> usize {
    original.chars().filter(|c| is_removed(*c)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character the module promises to remove.
    const REMOVED: &[char] = &[
        '\u{200B}',
        '\u{200C}',
        '\u{200D}',
        '\u{2060}',
        '\u{FEFF}',
        '\u{180E}',
        '\u{2061}',
        '\u{2062}',
        '\u{2063}',
        '\u{2064}',
        '\u{00AD}',
        '\u{E0000}',
        '\u{E0001}',
        '\u{E0020}',
        '\u{E0041}',
        '\u{E007F}',
        '\u{200E}',
        '\u{200F}',
        '\u{061C}',
        '\u{202A}',
        '\u{202B}',
        '\u{202C}',
        '\u{202D}',
        '\u{202E}',
        '\u{2066}',
        '\u{2067}',
        '\u{2068}',
        '\u{2069}',
    ];

    #[test]
    fn nfd_becomes_nfc() {
        let nfd = "Cafe\u{301} cre\u{300}me n\u{303}o";
        let out = normalise(nfd);
        assert_eq!(out, "Caf\u{e9} cr\u{e8}me \u{f1}o");
        assert_eq!(removed_count(nfd), 0);
    }

    #[test]
    fn hangul_jamo_compose() {
        assert_eq!(normalise("\u{1112}\u{1161}\u{11AB}"), "\u{D55C}");
    }

    #[test]
    fn each_listed_character_is_removed() {
        for &c in REMOVED {
            let input = format!("leak{c}ed me{c}mo");
            assert_eq!(normalise(&input), "leaked memo", "U+{:04X}", c as u32);
            assert_eq!(removed_count(&input), 2, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn all_removed_at_once_are_counted() {
        let input: String = REMOVED.iter().flat_map(|&c| ['x', c]).collect();
        assert_eq!(normalise(&input), "x".repeat(REMOVED.len()));
        assert_eq!(removed_count(&input), REMOVED.len());
    }

    #[test]
    fn invisible_character_between_letter_and_accent_does_not_block_composition() {
        assert_eq!(normalise("e\u{200B}\u{301}"), "\u{e9}");
    }

    #[test]
    fn neighbours_of_removed_ranges_are_kept() {
        // Next to the removed ranges: hair space, hyphen, narrow no-break space, medium
        // mathematical space, U+2065, U+206A, variation selectors, no-break space and the
        // Arabic semicolon.
        for c in [
            '\u{200A}',
            '\u{2010}',
            '\u{202F}',
            '\u{205F}',
            '\u{2065}',
            '\u{206A}',
            '\u{FE0F}',
            '\u{FE0E}',
            '\u{E0100}',
            '\u{00A0}',
            '\u{061B}',
        ] {
            let input = format!("a{c}b");
            assert_eq!(normalise(&input), input, "U+{:04X}", c as u32);
            assert_eq!(removed_count(&input), 0, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn variation_selectors_are_kept() {
        let heart = "\u{2764}\u{FE0F} and \u{263A}\u{FE0E}";
        assert_eq!(normalise(heart), heart);
    }

    #[test]
    fn zwj_emoji_sequence_is_split() {
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
        assert_eq!(normalise(family), "\u{1F468}\u{1F469}\u{1F467}");
        assert_eq!(removed_count(family), 2);
    }

    #[test]
    fn line_endings() {
        assert_eq!(normalise("a\r\nb\rc\nd"), "a\nb\nc\nd");
        assert_eq!(normalise("\r\r\n\n\r"), "\n\n\n\n");
        assert_eq!(normalise("end\r"), "end\n");
        // A removed character between CR and LF: the pair still counts as one line ending.
        assert_eq!(normalise("a\r\u{200B}\nb"), "a\nb");
    }

    #[test]
    fn spacing_is_untouched() {
        let text = "two  spaces,\ttab, trailing   \n\n\n three newlines\u{00A0}nbsp";
        assert_eq!(normalise(text), text);
    }

    #[test]
    fn bidi_spoof_is_neutralised() {
        // A right-to-left override hiding the real extension.
        let spoof = "invoice\u{202E}fdp.exe";
        assert_eq!(normalise(spoof), "invoicefdp.exe");
        assert_eq!(removed_count(spoof), 1);
    }

    #[test]
    fn empty_and_plain_text() {
        assert_eq!(normalise(""), "");
        assert_eq!(normalise("plain text"), "plain text");
        assert_eq!(removed_count(""), 0);
    }

    #[test]
    fn word_counts() {
        assert_eq!(word_count(""), 0);
        assert_eq!(word_count("   \n\t "), 0);
        assert_eq!(word_count("one"), 1);
        assert_eq!(word_count("  The memo,\nleaked\ttwice.  "), 4);
        assert_eq!(word_count("a\u{00A0}b"), 2);
    }
}
