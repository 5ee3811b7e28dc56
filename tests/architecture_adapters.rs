//! Architecture invariant: the adapters translate. No file under `src/slack`,
//! `src/discord` or `src/console` reaches the store (`.store()`), claims an event itself,
//! or builds an anchor key of its own: what they read and change goes through the desk,
//! what they keep through `deliver::Anchors`, whose `Anchor::key` is the one key builder.

use std::path::{Path, PathBuf};

/// The adapters.
const ADAPTERS: &[&str] = &["src/slack", "src/discord", "src/console"];

/// What an adapter may not write, and why.
const FORBIDDEN: &[(&str, &str)] = &[
    (".store()", "reaches the store"),
    ("remember_event", "claims an event itself"),
    ("claim_event", "claims an event itself"),
    ("event_seen", "reads event claims"),
    ("put_anchor", "writes an anchor past deliver::Anchors"),
    ("\"slack/board", "builds an anchor key"),
    ("\"slack/thread", "builds an anchor key"),
    ("\"slack/draft", "builds an anchor key"),
    ("\"discord:board", "builds an anchor key"),
    ("\"discord:thread", "builds an anchor key"),
    ("\"discord:draft", "builds an anchor key"),
    ("\"discord:parent", "builds an anchor key"),
    ("\"discord:intent-notice", "builds an anchor key"),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file: each line without its `//` comment (doc comments may name what the
/// code does not do).
fn code(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, line)| {
        let code = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        (i + 1, code)
    })
}

#[test]
fn adapters_reach_the_store_only_through_the_desk_and_delivery() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ADAPTERS {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(
        files.len() > 10,
        "the adapters' files were not found: {files:?}"
    );
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in code(&text) {
            for (pattern, why) in FORBIDDEN {
                if line.contains(pattern) {
                    found.push(format!(
                        "{}:{n}: {why} (`{pattern}`)",
                        file.strip_prefix(root).unwrap_or(file).display()
                    ));
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_check_sees_what_it_forbids() {
    // A line such as the adapters had, and a comment that only names it.
    let text = "let a = desk.store().anchor(&key);\n// desk.store() is not used here\n";
    let hits: Vec<usize> = code(text)
        .filter(|(_, l)| l.contains(".store()"))
        .map(|(n, _)| n)
        .collect();
    assert_eq!(hits, [1]);
}
