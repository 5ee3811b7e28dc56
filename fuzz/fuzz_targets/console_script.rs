//! The console script parser on arbitrary text: items or a script error with a line number
//! inside the script, never a panic; feeding line by line gives the same items.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storydesk::console::script::{parse_script, ScriptParser};

fuzz_target!(|src: &str| {
    let lines = src.lines().count();
    match parse_script(src) {
        Ok(items) => assert!(items.len() <= lines),
        Err(e) => assert!(e.line >= 1 && e.line <= lines.max(1), "line {} of {lines}", e.line),
    }
    let mut parser = ScriptParser::new();
    for line in src.lines() {
        if parser.feed(line).is_err() {
            return;
        }
    }
    let _ = parser.finish();
});
