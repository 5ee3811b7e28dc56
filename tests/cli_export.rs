//! `storydesk export STORY --format md|html|json [--style apa|mla|chicago]`, run as the
//! built binary on a story written in the console.

use std::path::Path;
use std::process::Command;

fn storydesk(dir: &Path, args: &[&str]) -> (String, String, Option<i32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_storydesk"))
        .arg("--config")
        .arg(dir.join("config.toml"))
        .arg("--data")
        .arg(dir.join("data"))
        .args(args)
        .current_dir(dir)
        .env_remove("STORYDESK_CONFIG")
        .env("RUST_LOG", "off")
        .output()
        .expect("the storydesk binary runs");
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code(),
    )
}

/// A story with a headline and one reference, in a newsroom that cites in `style`.
fn newsroom(style: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!("[roles]\neditors = [\"erin\"]\n[citations]\nstyle = \"{style}\"\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("story.txt"),
        ":as alice\n/story new title:\"Meta scrambles over DeepSeek\"\n/story ref add title:\"Meta sets up war rooms\" author:\"Carey, B.\" date:2025-01-27 outlet:\"The Information\" url:\"https://example.org/war-rooms?a=1&b=2\"\n",
    )
    .unwrap();
    let (_, err, code) = storydesk(dir.path(), &["local", "--script", "story.txt"]);
    assert_eq!(code, Some(0), "{err}");
    dir
}

/// The lines after the references heading.
fn references(md: &str) -> &str {
    md.split_once("\n## ").unwrap().1
}

#[test]
fn style_chooses_the_citation_style_and_defaults_to_the_configs() {
    let dir = newsroom("mla");
    let (md, err, code) = storydesk(dir.path(), &["export", "1", "--format", "md"]);
    assert_eq!(code, Some(0), "{err}");
    insta::assert_snapshot!(references(&md), @r#"
    Works Cited

    - Carey, B. “Meta sets up war rooms.” *The Information*, 27 Jan. 2025, example.org/war-rooms?a=1&b=2.
    "#);
    let (md, _, _) = storydesk(
        dir.path(),
        &["export", "1", "--format", "md", "--style", "apa"],
    );
    insta::assert_snapshot!(references(&md), @"
    References

    - Carey, B. (2025, January 27). Meta sets up war rooms. *The Information*. https://example.org/war-rooms?a=1&b=2
    ");
    let (md, _, _) = storydesk(
        dir.path(),
        &["export", "1", "--format", "md", "--style", "chicago"],
    );
    insta::assert_snapshot!(references(&md), @"
    Bibliography

    - Carey, B. “Meta sets up war rooms.” *The Information*, January 27, 2025. https://example.org/war-rooms?a=1&b=2.
    ");
    let (_, err, code) = storydesk(dir.path(), &["export", "1", "--style", "harvard"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("harvard"), "{err}");
}

#[test]
fn html_links_reference_addresses() {
    let dir = newsroom("apa");
    let (html, err, code) = storydesk(dir.path(), &["export", "1", "--format", "html"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        html.contains(r#"<a href="https://example.org/war-rooms?a=1&amp;b=2">https://example.org/war-rooms?a=1&amp;b=2</a>"#),
        "{html}"
    );
    // The full stop that ends a Chicago entry is not part of the address.
    let (html, _, _) = storydesk(
        dir.path(),
        &["export", "1", "--format", "html", "--style", "chicago"],
    );
    assert!(
        html.contains(r#"<a href="https://example.org/war-rooms?a=1&amp;b=2">https://example.org/war-rooms?a=1&amp;b=2</a>.</li>"#),
        "{html}"
    );
}

#[test]
fn the_json_export_gives_each_audit_entry_as_data_and_in_words() {
    let dir = newsroom("apa");
    let (json, err, code) = storydesk(dir.path(), &["export", "1", "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let export: serde_json::Value = serde_json::from_str(&json).unwrap();
    let audit = export["audit"].as_array().unwrap();
    let kinds: Vec<&str> = audit
        .iter()
        .map(|e| e["event"]["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["started", "wrote", "reference_added", "wrote"]);
    assert_eq!(audit[3]["event"]["section"], "references");
    let added = &audit[2];
    assert_eq!(added["event"]["number"], 1);
    assert_eq!(added["event"]["title"], "Meta sets up war rooms");
    assert_eq!(
        added["action"],
        "added reference 1 “Meta sets up war rooms”"
    );
    assert_eq!(added["actor"]["name"], "alice");
}
