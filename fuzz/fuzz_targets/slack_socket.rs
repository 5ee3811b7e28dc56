//! Decoding of Socket Mode frames: a message or a decoding error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storydesk::slack::socket::{decode_message, SocketMessage};

fuzz_target!(|text: &str| {
    if let Ok(SocketMessage::Envelope { id, .. }) = decode_message(text) {
        assert!(!id.is_empty(), "an envelope without an id to acknowledge");
    }
});
