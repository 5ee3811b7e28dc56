//! Architecture invariant 1: the desk and the pure modules import no platform, HTTP or
//! storage-engine types. They talk to the store through `crate::store`'s own API only.

use std::path::Path;

/// Modules that must stay free of platform and engine types.
const PURE: &[&str] = &[
    "src/desk",
    "src/text",
    "src/checks",
    "src/command",
    "src/model.rs",
    "src/catalogue.rs",
    "src/roles.rs",
    "src/suggest.rs",
    "src/assist/extractive.rs",
    "src/assist/policy.rs",
    "src/assist/prompt.rs",
    "src/assist/tidy.rs",
    "src/assist/sse.rs",
];

/// Crates they may not name.
const FORBIDDEN: &[&str] = &[
    "serenity",
    "slack_morphism",
    "axum",
    "reqwest",
    "hyper",
    "sled",
    "tokio_tungstenite",
    "tungstenite",
];

fn rust_files(path: &Path, out: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// True when `line` names `krate` as a path root (`sled::`, `use sled`, `::sled`).
fn names_crate(line: &str, krate: &str) -> bool {
    let code = line.split("//").next().unwrap_or_default();
    let mut from = 0;
    while let Some(pos) = code[from..].find(krate) {
        let at = from + pos;
        from = at + krate.len();
        let before = code[..at].chars().next_back();
        let after = &code[at + krate.len()..];
        let starts_word = !before.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if starts_word && (after.starts_with("::") || code.trim_start().starts_with("use ")) {
            return true;
        }
    }
    false
}

#[test]
fn the_desk_and_pure_modules_import_no_platform_or_engine_types() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in PURE {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 10, "the scan found the modules: {files:?}");
    let mut violations = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            for krate in FORBIDDEN {
                if names_crate(line, krate) {
                    violations.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "forbidden imports:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_scan_recognises_an_import() {
    assert!(names_crate("use sled::Db;", "sled"));
    assert!(names_crate(
        "    let t: serenity::model::Id = x;",
        "serenity"
    ));
    assert!(!names_crate("// sled::Db is not used here", "sled"));
    assert!(!names_crate("let sledge = 1;", "sled"));
    assert!(!names_crate("let x = \"reqwest\";", "reqwest"));
}
