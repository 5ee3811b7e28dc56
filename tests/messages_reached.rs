//! Every sentence the workflow says is seen by a snapshot test: a message function of
//! `src/desk/messages.rs` whose words appear in no snapshot (`tests/**/*.snap`, or an inline
//! `assert_snapshot!`) is listed, and the test fails.
//!
//! A function is known by its stretches of literal text (between `{…}` placeholders and
//! escapes) of at least [`MIN_CHARS`] characters, and is seen when a snapshot holds one of
//! them. Functions with no such stretch only put other sentences together (a number, a
//! list) and are seen through them.

use std::path::{Path, PathBuf};

/// Shorter stretches ("the ", " of ") would be found anywhere.
const MIN_CHARS: usize = 12;

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// The top-level functions of a Rust file: (name, body text up to the next one).
fn functions(source: &str) -> Vec<(String, String)> {
    let mut starts = Vec::new();
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let signature = line
            .strip_prefix("pub fn ")
            .or_else(|| line.strip_prefix("pub(crate) fn "))
            .or_else(|| line.strip_prefix("fn "));
        if let Some(rest) = signature {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            starts.push((name, offset, line.starts_with("pub fn ")));
        }
        offset += line.len();
    }
    let mut out = Vec::new();
    for (i, (name, start, public)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(source.len(), |s| s.1);
        if *public {
            out.push((name.clone(), source[*start..end].to_string()));
        }
    }
    out
}

/// The string literals of some Rust code, as written (escapes not undone).
fn literals(code: &str) -> Vec<String> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                // A comment: skip to the end of the line.
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'\'' => {
                // A char literal ('"' among them) or a lifetime.
                if bytes.get(i + 2) == Some(&b'\'') {
                    i += 3;
                } else if bytes.get(i + 1) == Some(&b'\\') {
                    while i + 1 < bytes.len() && bytes[i + 1] != b'\'' {
                        i += 1;
                    }
                    i += 2;
                } else {
                    i += 1;
                }
            }
            b'r' if matches!(bytes.get(i + 1), Some(b'#') | Some(b'"'))
                && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')) =>
            {
                let hashes = bytes[i + 1..].iter().take_while(|b| **b == b'#').count();
                let open = i + 1 + hashes;
                if bytes.get(open) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let body_start = open + 1;
                let end = code[body_start..]
                    .find(&close)
                    .map_or(code.len(), |p| body_start + p);
                out.push(code[body_start..end].to_string());
                i = end + close.len();
            }
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < bytes.len() && bytes[j] != b'"' {
                    if bytes[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                out.push(code[start..j.min(code.len())].to_string());
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// The stretches of literal text of a format string: split at placeholders and escapes.
fn stretches(literal: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = literal.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                current.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                current.push('}');
            }
            '{' => {
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                }
                out.push(std::mem::take(&mut current));
            }
            '\\' => {
                // `\"` stands for a quote; any other escape ends the stretch.
                if chars.peek() == Some(&'"') {
                    chars.next();
                    current.push('"');
                } else {
                    chars.next();
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    out.push(current);
    out.into_iter()
        .map(|s| {
            s.trim_start_matches([' ', ';', ',', ':', '.', ')'])
                .trim_end()
                .to_string()
        })
        .filter(|s| s.chars().count() >= MIN_CHARS)
        .collect()
}

/// Everything the snapshot tests have seen: snapshot files, and the inline snapshots.
fn snapshots(root: &Path) -> String {
    let mut seen = String::new();
    let mut snaps = Vec::new();
    files(&root.join("tests"), "snap", &mut snaps);
    for file in &snaps {
        seen.push_str(&std::fs::read_to_string(file).unwrap());
        seen.push('\n');
    }
    let mut tests = Vec::new();
    files(&root.join("tests"), "rs", &mut tests);
    for file in &tests {
        let text = std::fs::read_to_string(file).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("assert_snapshot!(") {
            rest = &rest[at..];
            // The inline snapshot is the last literal before the macro's end.
            let end = rest.find(");\n").unwrap_or(rest.len());
            let call = &rest[..end];
            if let Some(inline) = call.rfind(", @") {
                for literal in literals(&call[inline..]) {
                    seen.push_str(&literal.replace("\\\"", "\"").replace("\\\\", "\\"));
                    seen.push('\n');
                }
            }
            rest = &rest[end.min(rest.len())..];
            if rest.len() < 3 {
                break;
            }
            rest = &rest[3..];
        }
    }
    seen
}

#[test]
fn every_message_of_the_workflow_is_seen_by_a_snapshot() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("src/desk/messages.rs")).unwrap();
    let seen = snapshots(root);
    let functions = functions(&source);
    assert!(
        functions.len() > 100,
        "the scan found the message functions: {}",
        functions.len()
    );
    let mut unseen = Vec::new();
    let mut known = 0;
    for (name, body) in &functions {
        let mut words: Vec<String> = literals(body).iter().flat_map(|l| stretches(l)).collect();
        words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        let Some(longest) = words.first() else {
            continue;
        };
        known += 1;
        if !words.iter().any(|w| seen.contains(w.as_str())) {
            unseen.push(format!("{name}: “{longest}”"));
        }
    }
    assert!(
        known > 80,
        "most functions have words of their own: {known}"
    );
    assert!(
        unseen.is_empty(),
        "{} message functions appear in no snapshot:\n{}",
        unseen.len(),
        unseen.join("\n")
    );
}

#[test]
fn the_scan_reads_format_strings_as_written() {
    assert_eq!(
        stretches(r#"The {section} section has {}; a diff needs two revisions."#),
        ["a diff needs two revisions."]
    );
    assert_eq!(
        literals(r##"format!("a \"quoted\" {x}", y) + r#"raw "text""# + '"'"##),
        [r#"a \"quoted\" {x}"#, r#"raw "text""#]
    );
    let found = functions("pub fn one() {\n}\nfn helper() {}\npub fn two() {\n}\n");
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["one", "two"]);
}
