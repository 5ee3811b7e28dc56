//! Normalisation of text that comes in: pasted sources, titles, sections, notes, options.
//!
//! Leaked documents are often fingerprinted: each recipient's copy carries a different pattern
//! of invisible characters, so a quote copied verbatim could identify who passed it on. Every
//! source goes through [`normalise`] before it is stored, which removes those characters and
//! brings the text to one canonical form (Unicode NFC, `\n` line endings).
//!
//! Two kinds of invisible character are content, not noise, and are kept where they do their
//! work: the zero-width joiner (U+200D) and non-joiner (U+200C). A family emoji (👨‍👩‍👧) is
//! three emoji held together by joiners, and Persian writes می‌خواهم with a non-joiner inside
//! the word; Indic scripts use both after a virama. A joiner is kept only between two
//! characters it can join ([`joins`]): two emoji (after a skin-tone modifier or VS16 too), or
//! two letters of a script that uses joiners. Anywhere else (between Latin letters, at a word
//! boundary, at the start or end, doubled) it is removed like any other zero-width character.
//! The checks never see a kept joiner: source protection drops every joiner before it compares
//! words (`checks::verbatim::is_invisible`), so a joiner cannot hide a fingerprint.
//!
//! Control characters (C0 and C1 other than tab and newline: NUL, BEL, BS, ESC, DEL,
//! U+0080–U+009F) are removed too: they would reach a console user's terminal. The desk
//! removes them from everything a request carries ([`strip_controls`]) before any command
//! sees it, and the console removes them again when it prints.
//!
//! Spacing is left exactly as it was. Fingerprints hidden in spacing or wording are the
//! verbatim-quote check's concern, not this module's.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;

/// The zero-width non-joiner.
const ZWNJ: char = '\u{200C}';
/// The zero-width joiner.
const ZWJ: char = '\u{200D}';
/// Variation selector 16: the emoji presentation of the character before it.
const VS16: char = '\u{FE0F}';

/// True for a control character that has no place in stored or shown text: C0 controls other
/// than tab, newline and carriage return (a carriage return becomes a line ending), DEL, and
/// the C1 controls U+0080–U+009F.
pub fn is_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{7F}'..='\u{9F}')
}

/// True for the characters [`normalise`] removes wherever they stand: control characters,
/// zero-width and other invisible characters, Unicode tag characters, and bidirectional
/// controls. The joiners are not here: whether they go depends on their neighbours.
///
/// Variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF) are kept: they choose between text
/// and emoji presentation and carry no hidden payload worth the loss.
fn is_removed(c: char) -> bool {
    is_control(c)
        || matches!(
            c,
            // Zero-width space.
            '\u{200B}'
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

/// Emoji that a zero-width joiner may stand after or before: Unicode's Extended_Pictographic
/// property (every emoji a ZWJ sequence is made of, and the reserved code points after them).
static PICTOGRAPHIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\A\p{Extended_Pictographic}\z").expect("a constant pattern"));

/// The scripts whose writing uses the joiners: the Arabic-type joining scripts (Arabic for
/// Persian, Urdu, Pashto…; Syriac, N'Ko, Mongolian and their kin) and the Brahmic scripts of
/// South and Southeast Asia.
const JOINING_SCRIPTS: &[&str] = &[
    "Arabic",
    "Syriac",
    "Mandaic",
    "Nko",
    "Mongolian",
    "Phags_Pa",
    "Manichaean",
    "Psalter_Pahlavi",
    "Hanifi_Rohingya",
    "Adlam",
    "Devanagari",
    "Bengali",
    "Gurmukhi",
    "Gujarati",
    "Oriya",
    "Tamil",
    "Telugu",
    "Kannada",
    "Malayalam",
    "Sinhala",
    "Tibetan",
    "Myanmar",
    "Khmer",
    "Tai_Tham",
    "Balinese",
    "Javanese",
];

/// Letters and marks of the [`JOINING_SCRIPTS`]. By Script_Extensions, so that the Arabic
/// vowel signs and the Indic signs shared between scripts (Script=Inherited or Common)
/// count as their scripts' own.
static JOINING_LETTER: LazyLock<Regex> = LazyLock::new(|| {
    let scripts: String = JOINING_SCRIPTS
        .iter()
        .map(|s| format!(r"\p{{scx={s}}}"))
        .collect();
    Regex::new(&format!(r"\A[[\p{{L}}\p{{M}}]&&[{scripts}]]\z")).expect("a constant pattern")
});

fn matches_char(re: &Regex, c: char) -> bool {
    // ASCII is in none of the classes above (the keycap bases `#`, `*` and the digits are
    // Emoji but not Extended_Pictographic), so most neighbours are answered without a match.
    !c.is_ascii() && re.is_match(c.encode_utf8(&mut [0; 4]))
}

/// True for an emoji a ZWJ sequence can continue from: an emoji, a skin-tone modifier
/// (U+1F3FB–U+1F3FF) or VS16 after an emoji.
fn ends_emoji(c: char) -> bool {
    c == VS16 || matches!(c, '\u{1F3FB}'..='\u{1F3FF}') || matches_char(&PICTOGRAPHIC, c)
}

/// True when `joiner` (ZWJ or ZWNJ) between `before` and `after` does its work and is kept:
/// a ZWJ between two emoji (👨‍👩‍👧, 👩🏽‍💻, 🏳️‍🌈), or either joiner between two letters or
/// marks of a script that uses joiners (می‌خواهم, क्‍ष). Everything else is a stray joiner.
pub fn joins(before: char, joiner: char, after: char) -> bool {
    if before == ZWJ || before == ZWNJ || after == ZWJ || after == ZWNJ {
        return false;
    }
    if joiner == ZWJ && ends_emoji(before) && matches_char(&PICTOGRAPHIC, after) {
        return true;
    }
    (joiner == ZWJ || joiner == ZWNJ)
        && matches_char(&JOINING_LETTER, before)
        && matches_char(&JOINING_LETTER, after)
}

/// Removes the joiners of `text` that join nothing (see [`joins`]), returning the text and how
/// many went.
fn settle_joiners(text: &str) -> (String, usize) {
    let mut out = String::with_capacity(text.len());
    let mut removed = 0;
    let mut before: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ZWJ || c == ZWNJ {
            let keep = match (before, chars.peek()) {
                (Some(b), Some(&a)) => joins(b, c, a),
                _ => false,
            };
            if keep {
                out.push(c);
            } else {
                removed += 1;
            }
        } else {
            out.push(c);
        }
        before = Some(c);
    }
    (out, removed)
}

/// [`normalise`]'s work: the text, and how many characters it removed.
fn normalise_counting(text: &str) -> (String, usize) {
    // Characters that always go, and line endings made `\n`. A removed character between a
    // CR and an LF leaves them one line ending.
    let mut removed = 0;
    let mut plain = String::with_capacity(text.len());
    let mut chars = text
        .chars()
        .filter(|&c| {
            let gone = is_removed(c);
            removed += usize::from(gone);
            !gone
        })
        .peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() != Some(&'\n') {
                plain.push('\n');
            }
        } else {
            plain.push(c);
        }
    }
    // Joiners are judged by their neighbours before composition, so that a stray joiner
    // between a letter and its accent does not keep them apart.
    let has_joiners = |s: &str| s.contains([ZWJ, ZWNJ]);
    let mut out = if has_joiners(&plain) {
        let (settled, n) = settle_joiners(&plain);
        removed += n;
        settled.nfc().collect::<String>()
    } else {
        plain.nfc().collect::<String>()
    };
    // Composition can change a kept joiner's neighbour; judge again until nothing changes,
    // so that normalising twice gives what normalising once gave.
    while has_joiners(&out) {
        let (settled, n) = settle_joiners(&out);
        if n == 0 {
            break;
        }
        removed += n;
        out = settled.nfc().collect();
    }
    (out, removed)
}

/// Brings text to the form the desk stores: control, invisible and bidi-control characters
/// removed, stray joiners removed, Unicode NFC, and `\r\n` or a lone `\r` turned into `\n`.
/// Nothing else changes.
///
/// Removed wherever they stand: the control characters of [`is_control`] (C0 other than tab
/// and newline, DEL, C1), U+200B (zero-width space), U+2060 (word joiner), U+2061–U+2064
/// (invisible operators), U+FEFF (byte order mark), U+180E (Mongolian vowel separator),
/// U+00AD (soft hyphen), U+E0000–U+E007F (tag characters), and the bidi controls U+200E,
/// U+200F, U+061C, U+202A–U+202E, U+2066–U+2069.
///
/// Kept where they join ([`joins`]), removed elsewhere: U+200D (zero-width joiner) and
/// U+200C (zero-width non-joiner). A family emoji such as 👨‍👩‍👧 stays one emoji and
/// می‌خواهم keeps its spelling; `lea\u{200D}ked` becomes `leaked`. Tag-based flags such as
/// Scotland's still become a plain black flag: tag characters can spell anything, so they
/// go everywhere.
///
/// Variation selectors are kept.
pub fn normalise(text: &str) -> String {
    normalise_counting(text).0
}

/// [`normalise`], with how many characters it removed (line-ending changes and NFC
/// composition are not counted), so the desk can tell the person who pasted a source
/// ("removed 3 invisible characters").
pub fn normalise_and_count(text: &str) -> (String, usize) {
    normalise_counting(text)
}

/// Number of whitespace-separated words, as the source list shows it.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// How many characters [`normalise`] removes from `original`: control, invisible and
/// bidi-control characters, and joiners that join nothing.
///
/// Line-ending changes and NFC composition are not counted.
pub fn removed_count(original: &str) -> usize {
    normalise_counting(original).1
}

/// `text` without control characters ([`is_control`]), with `\r\n` and a lone `\r` turned
/// into `\n`; nothing else changes. This is what the desk does to every piece of text a
/// request carries before a command sees it, and what the console does to everything it
/// prints. Borrowed when there is nothing to remove.
pub fn strip_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c == '\r' || is_control(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().filter(|&c| !is_control(c)).peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() != Some(&'\n') {
                out.push('\n');
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character the module promises to remove.
    const REMOVED: &[char] = &[
        '\u{200B}',
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
        // Control characters: NUL, BEL, BS, vertical tab, form feed, ESC, unit separator, DEL,
        // the first and last C1 controls, and NEL.
        '\u{0}',
        '\u{7}',
        '\u{8}',
        '\u{B}',
        '\u{C}',
        '\u{1B}',
        '\u{1F}',
        '\u{7F}',
        '\u{80}',
        '\u{85}',
        '\u{9F}',
        // Joiners between Latin letters.
        '\u{200C}',
        '\u{200D}',
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
    fn zwj_emoji_sequences_are_kept() {
        for emoji in [
            // Family: man, woman, girl.
            "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}",
            // Woman technologist, medium skin tone (a modifier before the joiner).
            "\u{1F469}\u{1F3FD}\u{200D}\u{1F4BB}",
            // Rainbow flag (VS16 before the joiner).
            "\u{1F3F3}\u{FE0F}\u{200D}\u{1F308}",
            // Man running, with the male sign and VS16 after it.
            "\u{1F3C3}\u{200D}\u{2642}\u{FE0F}",
            // Heart on fire.
            "\u{2764}\u{FE0F}\u{200D}\u{1F525}",
        ] {
            let text = format!("Team {emoji} photo");
            assert_eq!(normalise(&text), text, "{emoji:?}");
            assert_eq!(removed_count(&text), 0, "{emoji:?}");
        }
    }

    #[test]
    fn persian_non_joiner_inside_a_word_is_kept() {
        // "I want" and "books": the non-joiner keeps the prefix and the plural apart.
        for word in [
            "\u{645}\u{6CC}\u{200C}\u{62E}\u{648}\u{627}\u{647}\u{645}",
            "\u{6A9}\u{62A}\u{627}\u{628}\u{200C}\u{647}\u{627}",
        ] {
            let text = format!("{word} {word}");
            assert_eq!(normalise(&text), text);
            assert_eq!(removed_count(&text), 0);
        }
        // With a vowel sign (a mark of the Arabic script) before the non-joiner.
        let marked = "\u{645}\u{650}\u{200C}\u{62E}";
        assert_eq!(normalise(marked), marked);
    }

    #[test]
    fn indic_joiners_after_a_virama_are_kept() {
        // Devanagari ka, virama, ZWJ, ssa (the half form); Malayalam chillu by ZWJ; Bengali
        // ZWNJ keeping a conjunct apart.
        for word in [
            "\u{915}\u{94D}\u{200D}\u{937}",
            "\u{D23}\u{D4D}\u{200D}\u{D1F}",
            "\u{995}\u{9CD}\u{200C}\u{9B7}",
        ] {
            assert_eq!(normalise(word), word);
        }
    }

    #[test]
    fn stray_joiners_are_removed() {
        let family = "\u{1F468}\u{200D}\u{1F469}";
        for (input, expected) in [
            // Between Latin letters: a fingerprint, not a ligature anyone needs.
            ("lea\u{200D}ked", "leaked"),
            ("lea\u{200C}ked", "leaked"),
            // At a word boundary, at the start, at the end.
            ("leaked\u{200D} memo", "leaked memo"),
            ("leaked \u{200D}memo", "leaked memo"),
            ("\u{200D}\u{1F468}", "\u{1F468}"),
            ("\u{1F468}\u{200D}", "\u{1F468}"),
            ("\u{645}\u{6CC}\u{200C}", "\u{645}\u{6CC}"),
            ("\u{200C}\u{645}", "\u{645}"),
            // Doubled, even between emoji or Persian letters: both go.
            ("\u{1F468}\u{200D}\u{200D}\u{1F469}", "\u{1F468}\u{1F469}"),
            ("\u{645}\u{200C}\u{200C}\u{62E}", "\u{645}\u{62E}"),
            // A non-joiner between emoji joins nothing.
            ("\u{1F468}\u{200C}\u{1F469}", "\u{1F468}\u{1F469}"),
            // Between an emoji and a letter, and between a Persian letter and a Latin one.
            ("\u{1F468}\u{200D}a", "\u{1F468}a"),
            ("\u{645}\u{200C}a", "\u{645}a"),
            // Between ASCII digits and keycap bases, which are emoji only with U+20E3.
            ("1\u{200D}2", "12"),
            // A kept sequence next to a stray one.
            (&format!("{family}\u{200D}"), family),
        ] {
            assert_eq!(normalise(input), expected, "{input:?}");
            assert_eq!(
                removed_count(input),
                input.chars().count() - expected.chars().count(),
                "{input:?}"
            );
        }
    }

    #[test]
    fn a_removed_character_next_to_a_joiner_does_not_keep_it() {
        // The zero-width space goes first; the joiner is then judged by what is left.
        assert_eq!(normalise("a\u{200B}\u{200D}b"), "ab");
        assert_eq!(
            normalise("\u{1F468}\u{200B}\u{200D}\u{1F469}"),
            "\u{1F468}\u{200D}\u{1F469}"
        );
    }

    #[test]
    fn controls_are_removed_and_tab_and_newline_kept() {
        let title = "Meta \u{1B}]0;pwned\u{7}scrambles\u{0}\u{8}\u{7F}\u{9B}31m over\tDeepSeek\n";
        assert_eq!(
            normalise(title),
            "Meta ]0;pwnedscrambles31m over\tDeepSeek\n"
        );
        assert_eq!(removed_count(title), 6);
        assert_eq!(
            strip_controls(title),
            "Meta ]0;pwnedscrambles31m over\tDeepSeek\n"
        );
    }

    #[test]
    fn strip_controls_touches_nothing_else() {
        let text = "lea\u{200B}ked \u{202E}memo\u{200D} e\u{301}\t\n";
        assert!(matches!(strip_controls(text), Cow::Borrowed(t) if t == text));
        assert_eq!(strip_controls("a\r\nb\rc\u{1B}[2J\u{85}"), "a\nb\nc[2J");
    }

    #[test]
    fn line_endings() {
        assert_eq!(normalise("a\r\nb\rc\nd"), "a\nb\nc\nd");
        assert_eq!(normalise("\r\r\n\n\r"), "\n\n\n\n");
        assert_eq!(normalise("end\r"), "end\n");
        // A removed character between CR and LF: the pair still counts as one line ending.
        assert_eq!(normalise("a\r\u{200B}\nb"), "a\nb");
        assert_eq!(normalise("a\r\u{7}\nb"), "a\nb");
        // Line endings are not counted as removed.
        assert_eq!(removed_count("a\r\nb\rc"), 0);
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
