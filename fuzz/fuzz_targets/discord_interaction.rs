//! Decoding of bodies of `POST /discord/interactions`, and of the custom ids of storydesk's
//! buttons and forms: a value or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storydesk::discord::http::decode;
use storydesk::discord::routing::{button_id, parse_button, Form};

fuzz_target!(|data: &[u8]| {
    let _ = decode(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(action) = parse_button(text) {
            // A custom id read as an action writes back to one that reads the same.
            assert_eq!(parse_button(&button_id(&action)), Some(action));
        }
        if let Some(form) = Form::parse(text) {
            assert_eq!(Form::parse(&form.custom_id()), Some(form));
        }
    }
});
