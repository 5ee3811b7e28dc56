//! The command-text parser on arbitrary text: an invocation of a catalogue subcommand, or a
//! parse error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use storydesk::catalogue::catalogue;
use storydesk::command::parse::{from_options, parse};

fuzz_target!(|text: &str| {
    let catalogue = catalogue();
    if let Ok(invocation) = parse(catalogue, text) {
        let sub = catalogue
            .subcommand(&invocation.subcommand)
            .expect("a parsed subcommand is in the catalogue");
        // Every value has a known option, and the same options through the typed path
        // (Discord's slash-command options) are accepted as well.
        let given: Vec<(String, String)> = invocation
            .options
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (name, _) in &given {
            assert!(sub.option(name).is_some(), "unknown option {name} accepted");
        }
        let again = from_options(catalogue, &invocation.subcommand, &given)
            .expect("parsed options are accepted as typed options");
        assert_eq!(again, invocation);
    }
});
