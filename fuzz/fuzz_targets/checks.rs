//! The pre-publish checks on an arbitrary article file and sources (the input split at NUL
//! bytes: the article first, then each source): findings, never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use storydesk::checks::{markdown, Checker, SourceText};
use storydesk::config::{Config, Template};

fn setup() -> &'static (Template, Checker) {
    static SETUP: OnceLock<(Template, Checker)> = OnceLock::new();
    SETUP.get_or_init(|| {
        let config = Config::defaults();
        let template = Template::load(&config.story.template).expect("the built-in template");
        let checker = Checker::load(&config.checks, &template).expect("the built-in rules");
        (template, checker)
    })
}

fuzz_target!(|text: &str| {
    let (template, checker) = setup();
    let mut parts = text.split('\0');
    let article = parts.next().unwrap_or_default();
    let texts: Vec<&str> = parts.take(4).collect();
    let sources: Vec<SourceText> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| SourceText {
            number: i as u32 + 1,
            label: "source",
            text,
        })
        .collect();
    let file = markdown::parse(article, template);
    let findings = checker.run(&file.document(template, &sources));
    for f in &findings {
        assert!(!f.rule.is_empty());
    }
});
