//! Counts as people read them: digits grouped in thousands, and the noun that agrees.

/// A count as people read it: digits grouped in thousands (146,160).
pub fn number(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `n` and the noun that agrees with it: "1 error", "2 errors", "146,160 words".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    let shown = number(n as u64);
    if n == 1 {
        format!("{shown} {one}")
    } else {
        format!("{shown} {many}")
    }
}
