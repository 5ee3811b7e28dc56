//! What the console writes to a terminal: text without control characters.
//!
//! The desk removes control characters from everything that comes in, so nothing it stores
//! today carries one; a store written by an older build may. An escape sequence in a title
//! (`ESC ]0;…BEL` retitles the window, others move the cursor or rewrite what is shown) must
//! never reach a console user's terminal, so every byte the session prints goes through
//! [`Terminal`].

use std::io::{self, Write};

/// A writer that passes text on without control characters: C0 controls other than tab and
/// newline, DEL and the C1 controls U+0080–U+009F are dropped; `\r\n` becomes `\n` and a
/// lone `\r` a newline, as [`crate::text::normalise::strip_controls`] does to text.
///
/// It works on UTF-8 bytes, so it needs no whole characters per write: a C0 control or DEL is
/// one byte that is never part of a longer character, and a C1 control is `0xC2` followed by
/// `0x80`–`0x9F`; a `0xC2` or `\r` at the end of a write is held until the next byte shows
/// what it is.
pub struct Terminal<W: Write> {
    /// Where the text goes.
    inner: W,
    /// A `0xC2` or `\r` whose meaning depends on the byte after it.
    held: Option<u8>,
}

impl<W: Write> Terminal<W> {
    /// A terminal writing to `inner`.
    pub fn new(inner: W) -> Self {
        Terminal { inner, held: None }
    }

    /// The writer underneath, once everything held has been written ([`Write::flush`]).
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for Terminal<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut out = Vec::with_capacity(buf.len() + 1);
        for &b in buf {
            match self.held.take() {
                // A C1 control: both bytes go.
                Some(0xC2) if (0x80..=0x9F).contains(&b) => continue,
                Some(0xC2) => out.push(0xC2),
                Some(b'\r') if b != b'\n' => out.push(b'\n'),
                _ => {}
            }
            match b {
                0xC2 | b'\r' => self.held = Some(b),
                b'\n' | b'\t' => out.push(b),
                0x00..=0x1F | 0x7F => {}
                _ => out.push(b),
            }
        }
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    /// Writes a held `\r` as the line ending it is; a held `0xC2` waits for the rest of its
    /// character.
    fn flush(&mut self) -> io::Result<()> {
        if self.held == Some(b'\r') {
            self.held = None;
            self.inner.write_all(b"\n")?;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(pieces: &[&[u8]]) -> Vec<u8> {
        let mut t = Terminal::new(Vec::new());
        for piece in pieces {
            t.write_all(piece).expect("a Vec takes every write");
        }
        t.flush().expect("a Vec flushes");
        t.into_inner()
    }

    #[test]
    fn controls_are_dropped_and_text_kept() {
        let text = "Meta \u{1B}]0;pwned\u{7} scrambles\u{0}\u{8}\u{7F}\u{9B}2J\u{85}\tover\nDeepSeek é\u{A0}😀\n";
        assert_eq!(
            String::from_utf8(through(&[text.as_bytes()])).expect("UTF-8 stays UTF-8"),
            "Meta ]0;pwned scrambles2J\tover\nDeepSeek é\u{A0}😀\n"
        );
    }

    #[test]
    fn a_control_split_between_writes_is_still_dropped() {
        let c1 = "a\u{9B}b".as_bytes();
        assert_eq!(through(&[&c1[..2], &c1[2..]]), b"ab");
        let nbsp = "a\u{A0}b".as_bytes();
        assert_eq!(through(&[&nbsp[..2], &nbsp[2..]]), nbsp);
    }

    #[test]
    fn carriage_returns_become_line_endings() {
        assert_eq!(through(&[b"a\r\nb\rc\r"]), b"a\nb\nc\n");
        assert_eq!(through(&[b"a\r", b"\nb"]), b"a\nb");
    }
}
