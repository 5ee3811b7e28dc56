//! `storydesk check ARTICLE.md [--source FILE]... [--format text|json]`, run as the built
//! binary: exit status, text lines, and the shape of the JSON report.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/articles")
        .join(name)
}

fn storydesk(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_storydesk"))
        .args(args)
        .current_dir(dir)
        // No config from the environment of whoever runs the tests.
        .env_remove("STORYDESK_CONFIG")
        .env_remove("STORYDESK_DATA_DIR")
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A copy of the clean harbour article with `extra` as a paragraph after its third one.
fn spoiled(dir: &Path, extra: &str) -> PathBuf {
    let text = std::fs::read_to_string(fixture("harbour-sea-wall.md")).unwrap();
    let mut paragraphs: Vec<&str> = text.split("\n\n").collect();
    paragraphs.insert(3, extra);
    let path = dir.join("article.md");
    std::fs::write(&path, paragraphs.join("\n\n")).unwrap();
    path
}

fn harbour_sources() -> Vec<String> {
    [
        "harbour-sea-wall.source1.txt",
        "harbour-sea-wall.source2.txt",
    ]
    .iter()
    .flat_map(|s| ["--source".to_string(), fixture(s).display().to_string()])
    .collect()
}

#[test]
fn a_clean_article_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let article = fixture("harbour-sea-wall.md").display().to_string();
    let mut args = vec!["check".to_string(), article.clone()];
    args.extend(harbour_sources());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = storydesk(&args, dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{article}: all checks pass\n"));
}

#[test]
fn an_error_level_finding_exits_1_and_is_listed_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = spoiled(dir.path(), "The wall is TK metres high.");
    let out = storydesk(&["check", path.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let line = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .position(|l| l.contains("TK metres"))
        .unwrap()
        + 1;
    let expected = format!(
        "{}:{line}:13: error [placeholder-tk] body: “TK” marks material still to come: fill it in.",
        path.display()
    );
    assert!(text.contains(&expected), "{text}");
    assert!(
        text.ends_with(": 1 error, 0 warnings, 0 suggestions\n"),
        "{text}"
    );
}

#[test]
fn warnings_alone_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let path = spoiled(dir.path(), "The wall is 140 years old.");
    let mut args = vec!["check".to_string(), path.display().to_string()];
    args.extend(harbour_sources());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = storydesk(&args, dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("warning [unsourced] body: The figure “140”"));
}

#[test]
fn json_lists_findings_with_rule_level_section_line_column_message_excerpt() {
    let dir = tempfile::tempdir().unwrap();
    let path = spoiled(
        dir.path(),
        "The board agreed to raise the wall at an estimated cost of £8.4m, subject to confirmation of 60% funding from the National Coastal Fund. [Insert quote]",
    );
    let mut args = vec![
        "check".to_string(),
        path.display().to_string(),
        "--format".to_string(),
        "json".to_string(),
    ];
    args.extend(harbour_sources());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = storydesk(&args, dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["article"], path.display().to_string());
    assert_eq!(report["errors"], 1);
    assert_eq!(report["warnings"], 1);
    assert_eq!(report["suggestions"], 0);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2);
    for f in findings {
        for key in [
            "rule", "level", "section", "line", "column", "message", "excerpt",
        ] {
            assert!(f.get(key).is_some(), "{key} missing in {f}");
        }
        assert!(f["line"].as_u64().unwrap() > 0);
        assert!(f["column"].as_u64().unwrap() > 0);
    }
    let verbatim = findings.iter().find(|f| f["rule"] == "verbatim").unwrap();
    assert_eq!(verbatim["level"], "warning");
    assert_eq!(verbatim["section"], "body");
    assert_eq!(
        verbatim["source"]["label"],
        fixture("harbour-sea-wall.source1.txt")
            .display()
            .to_string()
    );
    assert_eq!(verbatim["source"]["number"], 1);
    assert!(verbatim["source"]["line"].as_u64().unwrap() > 1);
    let placeholder = findings
        .iter()
        .find(|f| f["rule"] == "placeholder-bracket")
        .unwrap();
    assert_eq!(placeholder["level"], "error");
    assert_eq!(placeholder["excerpt"], "[Insert quote]");
    assert!(placeholder.get("source").is_none());
}

#[test]
fn bad_usage_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let article = fixture("harbour-sea-wall.md").display().to_string();
    // No article.
    let out = storydesk(&["check"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    // An article that does not exist.
    let out = storydesk(&["check", "missing.md"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.md"), "{}", stderr(&out));
    // A source that does not exist.
    let out = storydesk(&["check", &article, "--source", "nope.txt"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nope.txt"));
    // An unknown format or option.
    let out = storydesk(&["check", &article, "--format", "xml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let out = storydesk(&["check", &article, "--sauce", "x"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    // A source that is not text.
    std::fs::write(dir.path().join("binary.bin"), [0xff, 0xfe, 0x00, 0x9f]).unwrap();
    let out = storydesk(&["check", &article, "--source", "binary.bin"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not UTF-8"), "{}", stderr(&out));
}

#[test]
fn a_malformed_rule_file_is_refused_with_file_rule_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(
        dir.path().join("rules/house.toml"),
        "[[rule]]\nid = \"house-no-percent\"\nkind = \"existence\"\nlevel = \"error\"\nmessage = \"write per cent\"\npatterns = [\"per(cent\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("newsroom.toml"),
        "[checks]\ndirs = [\"rules\"]\n",
    )
    .unwrap();
    let article = fixture("harbour-sea-wall.md").display().to_string();
    let out = storydesk(
        &["--config", "newsroom.toml", "check", &article],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("house.toml"), "{err}");
    assert!(err.contains("rule `house-no-percent`"), "{err}");
    assert!(err.contains("pattern 1"), "{err}");
}

#[test]
fn a_newsroom_rule_and_level_apply_without_rebuilding() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(
        dir.path().join("rules/house.toml"),
        "[[rule]]\nid = \"house-storm-surge\"\nkind = \"existence\"\nlevel = \"suggestion\"\nmessage = \"House style: “{match}” is “storm tide” here.\"\ntokens = [\"storm surges\"]\nignorecase = true\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("newsroom.toml"),
        "[checks]\ndirs = [\"rules\"]\n",
    )
    .unwrap();
    let article = fixture("harbour-sea-wall.md").display().to_string();
    let out = storydesk(
        &["--config", "newsroom.toml", "check", &article],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("suggestion [house-storm-surge] introduction: House style: “storm surges” is “storm tide” here."),
        "{}",
        stdout(&out)
    );
    std::fs::write(
        dir.path().join("newsroom.toml"),
        "[checks]\ndirs = [\"rules\"]\nlevels = { house-storm-surge = \"error\" }\n",
    )
    .unwrap();
    let out = storydesk(
        &["--config", "newsroom.toml", "check", &article],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn the_bot_and_console_refuse_to_start_on_a_malformed_rule_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(
        dir.path().join("rules/house.toml"),
        "[[rule]]\nid = \"house-length\"\nkind = \"length\"\nlevel = \"warning\"\nmessage = \"too long\"\nmax = \"a lot\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("newsroom.toml"),
        "[checks]\ndirs = [\"rules\"]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("script.story"), "/story help\n").unwrap();
    let out = storydesk(
        &[
            "--config",
            "newsroom.toml",
            "--data",
            "data",
            "local",
            "--script",
            "script.story",
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("house.toml"), "{err}");
    assert!(err.contains("rule `house-length`"), "{err}");
    assert!(
        err.contains("a length bound is a number or \"template\""),
        "{err}"
    );
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
}

/// The clean harbour article laid out as a chat answer: label lines (`Title: …`,
/// `Introduction:`, `Body:`, `Conclusion:`, `References:`) instead of headings, the labels
/// plain or in bold.
fn as_chat_answer(bold: bool) -> String {
    let text = std::fs::read_to_string(fixture("harbour-sea-wall.md")).unwrap();
    let (article, references) = text.split_once("\n## References\n").unwrap();
    let paragraphs: Vec<&str> = article.trim().split("\n\n").collect();
    let label = |name: &str| {
        if bold {
            format!("**{name}:**")
        } else {
            format!("{name}:")
        }
    };
    let title = paragraphs[0].strip_prefix("# ").unwrap();
    let last = paragraphs.len() - 1;
    format!(
        "{} {title}\n\n{}\n{}\n\n{}\n{}\n\n{}\n{}\n\n{}\n{}",
        label("Title"),
        label("Introduction"),
        paragraphs[1],
        label("Body"),
        paragraphs[2..last].join("\n\n"),
        label("Conclusion"),
        paragraphs[last],
        label("References"),
        references.trim_start(),
    )
}

#[test]
fn a_chat_answer_with_label_lines_is_read_as_sections() {
    let dir = tempfile::tempdir().unwrap();
    for bold in [false, true] {
        let path = dir.path().join("answer.md");
        std::fs::write(&path, as_chat_answer(bold)).unwrap();
        let mut args = vec!["check".to_string(), path.display().to_string()];
        args.extend(harbour_sources());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = storydesk(&args, dir.path());
        assert_eq!(
            stdout(&out),
            format!("{}: all checks pass\n", path.display()),
            "bold: {bold}"
        );
        assert_eq!(out.status.code(), Some(0));

        // A placeholder in the title is found in the title, at its place in the line.
        let spoiled = as_chat_answer(bold).replacen("Port Ellery votes", "Port Ellery TK votes", 1);
        std::fs::write(&path, spoiled).unwrap();
        let out = storydesk(&args, dir.path());
        let column = if bold { 24 } else { 20 };
        assert!(
            stdout(&out).starts_with(&format!(
                "{}:1:{column}: error [placeholder-tk] title:",
                path.display()
            )),
            "{}",
            stdout(&out)
        );
    }
}

#[test]
fn a_finding_after_a_list_and_a_blank_line_points_at_its_own_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("harbour-sea-wall.md")).unwrap();
    let path = dir.path().join("article.md");
    let article = format!(
        "{}\n\nNote: I have used the board's minutes as the main source.\n",
        text.trim_end()
    );
    std::fs::write(&path, &article).unwrap();
    let out = storydesk(&["check", path.to_str().unwrap()], dir.path());
    let line = article.lines().count();
    assert!(article.lines().nth(line - 2).unwrap().is_empty());
    assert_eq!(
        stdout(&out).lines().next().unwrap(),
        format!(
            "{}:{line}:1: error [chatbot-note] references: “Note: I have used the board's minutes as the main source.” is a note about the draft, not part of it: resolve it and delete it.",
            path.display()
        )
    );
}
