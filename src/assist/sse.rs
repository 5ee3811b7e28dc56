//! Server-sent events, as streamed Chat Completions answers use them: `data:` lines, events
//! ended by a blank line, `:` comments. Bytes may arrive cut anywhere, even inside a UTF-8
//! character; a line is decoded only once it is complete.

/// One event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The `event:` field, if any.
    pub name: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// Turns chunks of bytes into events.
#[derive(Debug, Default)]
pub struct Parser {
    /// Bytes of an unfinished line.
    pending: Vec<u8>,
    /// Data lines of the event being read.
    data: Vec<String>,
    /// The event's name, if it gave one.
    name: Option<String>,
    /// The previous chunk ended with `\r`: a `\n` at the start of the next one belongs to it.
    after_cr: bool,
}

impl Parser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes; returns the events they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        let mut bytes = bytes;
        if self.after_cr {
            self.after_cr = false;
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
        }
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'\n' || b == b'\r' {
                self.pending.extend_from_slice(&bytes[start..i]);
                let line = std::mem::take(&mut self.pending);
                self.line(&String::from_utf8_lossy(&line), &mut events);
                if b == b'\r' {
                    if i + 1 < bytes.len() {
                        if bytes[i + 1] == b'\n' {
                            i += 1;
                        }
                    } else {
                        self.after_cr = true;
                    }
                }
                start = i + 1;
            }
            i += 1;
        }
        self.pending
            .extend_from_slice(&bytes[start.min(bytes.len())..]);
        events
    }

    /// The stream ended: an event without its final blank line still counts.
    pub fn finish(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            self.line(&String::from_utf8_lossy(&line), &mut events);
        }
        self.dispatch(&mut events);
        events
    }

    fn line(&mut self, line: &str, events: &mut Vec<Event>) {
        if line.is_empty() {
            self.dispatch(events);
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => self.data.push(value.to_string()),
            "event" => self.name = Some(value.to_string()),
            _ => {}
        }
    }

    fn dispatch(&mut self, events: &mut Vec<Event>) {
        if self.data.is_empty() {
            self.name = None;
            return;
        }
        events.push(Event {
            name: self.name.take(),
            data: std::mem::take(&mut self.data).join("\n"),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(chunks: &[&[u8]]) -> Vec<String> {
        let mut p = Parser::new();
        let mut out: Vec<String> = chunks
            .iter()
            .flat_map(|c| p.feed(c))
            .map(|e| e.data)
            .collect();
        out.extend(p.finish().into_iter().map(|e| e.data));
        out
    }

    #[test]
    fn events_survive_any_cut_including_inside_a_character() {
        let stream = "data: {\"a\":\"é\"}\n\n: keep-alive\n\ndata: [DONE]\n\n".as_bytes();
        let whole = all(&[stream]);
        assert_eq!(whole, ["{\"a\":\"é\"}", "[DONE]"]);
        for cut in 1..stream.len() {
            assert_eq!(
                all(&[&stream[..cut], &stream[cut..]]),
                whole,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn crlf_multi_line_data_and_a_missing_final_blank_line() {
        assert_eq!(
            all(&[b"event: x\r\ndata: one\r\ndata: two\r\n\r\ndata: last"]),
            ["one\ntwo", "last"]
        );
        assert_eq!(all(&[b"data: a\r", b"\n\r", b"\ndata: b\n\n"]), ["a", "b"]);
    }
}
