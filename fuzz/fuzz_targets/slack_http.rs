//! Decoding of request bodies to the Slack endpoints: the first byte picks the endpoint,
//! the rest is the body. A payload or a decoding error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storydesk::slack::inbound::{decode_http, Endpoint};

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let endpoint = match which % 3 {
        0 => Endpoint::Commands,
        1 => Endpoint::Interactivity,
        _ => Endpoint::Events,
    };
    if let Err(e) = decode_http(endpoint, body) {
        // The words are fixed: nothing of the body is quoted.
        assert!(e.to_string().len() < 80);
    }
});
