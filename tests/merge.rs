//! Properties of the three-way merge of a section (`text::merge`): a side that changed
//! nothing yields the other side exactly, and edits of different paragraphs always merge
//! without losing either side's paragraph.

use proptest::prelude::*;

use storydesk::text::merge::{has_conflict_markers, merge};

/// Text with words, sentences, single and double line breaks, multi-byte letters and CJK.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z]{1,8}",
        Just(" ".to_string()),
        Just(". ".to_string()),
        Just("\n".to_string()),
        Just("\n\n".to_string()),
        Just("é".to_string()),
        Just("市长".to_string()),
        Just("。".to_string()),
        Just("! ".to_string()),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

/// A paragraph of a few sentences, distinct from every other through its number.
fn paragraph(n: usize, words: &[String]) -> String {
    format!("Paragraph {n} says {}.", words.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn an_unchanged_submission_yields_the_latest(base in text(), latest in text()) {
        prop_assert_eq!(merge(&base, &latest, &base).text(), Some(latest));
    }

    #[test]
    fn an_unchanged_latest_yields_the_submission(base in text(), submitted in text()) {
        prop_assert_eq!(merge(&base, &base, &submitted).text(), Some(submitted));
    }

    #[test]
    fn the_same_change_on_both_sides_is_taken_once(base in text(), both in text()) {
        prop_assert_eq!(merge(&base, &both, &both).text(), Some(both));
    }

    #[test]
    fn a_merge_never_panics_and_marks_what_conflicts(base in text(), a in text(), b in text()) {
        let m = merge(&base, &a, &b);
        if m.is_clean() {
            prop_assert!(m.text().is_some());
        } else {
            prop_assert!(has_conflict_markers(&m.with_markers("revision 2 by bob")));
        }
    }

    /// Each side rewrites its own set of paragraphs (never the same one): the merge is clean,
    /// and every paragraph is the version of the side that changed it.
    #[test]
    fn edits_of_different_paragraphs_keep_both_sides(
        words in prop::collection::vec(prop::collection::vec("[a-z]{1,6}", 1..6), 3..12),
        owner in prop::collection::vec(0u8..3, 12),
        rewrite in prop::collection::vec("[a-z]{1,6}", 1..6),
    ) {
        let n = words.len();
        let base: Vec<String> = (0..n).map(|i| paragraph(i, &words[i])).collect();
        let changed = |side: u8| -> Vec<String> {
            (0..n)
                .map(|i| {
                    if owner[i] == side {
                        format!("{} Rewritten by side {side}: {}.", base[i], rewrite.join(" "))
                    } else {
                        base[i].clone()
                    }
                })
                .collect()
        };
        let latest = changed(1);
        let submitted = changed(2);
        let expected: Vec<String> = (0..n)
            .map(|i| match owner[i] {
                1 => latest[i].clone(),
                2 => submitted[i].clone(),
                _ => base[i].clone(),
            })
            .collect();
        let m = merge(&base.join("\n\n"), &latest.join("\n\n"), &submitted.join("\n\n"));
        prop_assert_eq!(m.text(), Some(expected.join("\n\n")));
    }
}
