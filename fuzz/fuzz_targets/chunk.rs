//! The chunker on arbitrary text and limits: the pieces concatenate to the text, each is
//! non-empty and within the limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storydesk::text::chunk::{chunk, chunk_trimmed};

fuzz_target!(|input: (u16, &str)| {
    let (limit, text) = input;
    let max = usize::from(limit % 4096);
    let pieces = chunk(text, max);
    assert_eq!(pieces.concat(), text);
    for piece in &pieces {
        assert!(!piece.is_empty());
        assert!(piece.chars().count() <= max.max(1));
    }
    for piece in chunk_trimmed(text, max) {
        assert!(!piece.trim().is_empty());
        assert!(piece.chars().count() <= max.max(1));
    }
});
