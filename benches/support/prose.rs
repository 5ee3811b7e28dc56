//! Deterministic news prose for the benchmarks: a vocabulary given by each bench, and now
//! and then a figure, an amount, a percentage, a date or a short quotation (xorshift, so
//! the same seed gives the same text on every run).

/// Months the dates are written with.
pub const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "June",
    "July",
    "September",
    "October",
];

/// A deterministic generator of words, figures and sentences.
pub struct Gen {
    /// The xorshift state.
    state: u64,
    /// The words sentences are made of (ASCII, lower case).
    words: &'static [&'static str],
}

impl Gen {
    /// A generator seeded with `seed` (not 0) writing with `words`.
    pub fn new(seed: u64, words: &'static [&'static str]) -> Self {
        Gen { state: seed, words }
    }

    pub fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    fn pick(&mut self, from: &[&'static str]) -> &'static str {
        from[(self.next() % from.len() as u64) as usize]
    }

    /// One sentence: words, and now and then a figure, an amount, a percentage, a date or a
    /// short quotation.
    pub fn sentence(&mut self, out: &mut String) {
        let n = 8 + self.next() % 14;
        for i in 0..n {
            let w = self.pick(self.words);
            if i == 0 {
                out.push_str(&w[..1].to_ascii_uppercase());
                out.push_str(&w[1..]);
            } else {
                out.push_str(w);
            }
            out.push(' ');
            match self.next() % 40 {
                0 => out.push_str(&format!("{} ", self.next() % 900 + 10)),
                1 => out.push_str(&format!(
                    "€{}.{} million ",
                    self.next() % 90 + 1,
                    self.next() % 10
                )),
                2 => out.push_str(&format!("{}% ", self.next() % 99 + 1)),
                3 => {
                    let month = self.pick(MONTHS);
                    out.push_str(&format!("{month} {} ", self.next() % 28 + 1));
                }
                4 => {
                    let a = self.pick(self.words);
                    let b = self.pick(self.words);
                    let c = self.pick(self.words);
                    out.push_str(&format!("“{a} {b} {c}” "));
                }
                _ => {}
            }
        }
        out.pop();
        out.push_str(". ");
    }

    /// One paragraph of 3 to 6 sentences, ended by a blank line.
    fn paragraph(&mut self, out: &mut String) {
        for _ in 0..(3 + self.next() % 4) {
            self.sentence(out);
        }
        out.pop();
        out.push_str("\n\n");
    }

    /// Paragraphs until there are at least `bytes`.
    #[allow(dead_code)]
    pub fn paragraphs_at_least(&mut self, bytes: usize) -> String {
        let mut out = String::with_capacity(bytes + 256);
        while out.len() < bytes {
            self.paragraph(&mut out);
        }
        out
    }

    /// Whole paragraphs, as many as fit in `bytes` (never more).
    #[allow(dead_code)]
    pub fn paragraphs_within(&mut self, bytes: usize) -> String {
        let mut out = String::with_capacity(bytes + 512);
        loop {
            let mark = out.len();
            self.paragraph(&mut out);
            if out.len() > bytes {
                out.truncate(mark);
                return out;
            }
        }
    }
}
