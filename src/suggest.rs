//! "Did you mean …": the closest known word to a mistyped one.

/// The candidate closest to `typed` by Damerau–Levenshtein distance (case-insensitive),
/// when it is close enough to be a plausible typo: at most 2 edits, or a third of the
/// typed word's length for long words.
pub fn closest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let typed = typed.to_lowercase();
    let limit = 2.max(typed.chars().count() / 3);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&typed, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn finds_typos_and_ignores_noise() {
        let words = ["approve", "publish", "preview"];
        assert_eq!(closest("aprove", words), Some("approve"));
        assert_eq!(closest("PUBISH", words), Some("publish"));
        assert_eq!(closest("banana", words), None);
    }
}
