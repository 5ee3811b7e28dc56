//! The console as a newcomer uses it: the built binary, run on script files, with the
//! transcript snapshotted. Times are replaced by `[time]` since they come from the clock.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Run `storydesk [--config CONFIG] --data DATA local --script SCRIPT --as alice`.
fn run_script(data: &Path, script: &Path, config: Option<&Path>) -> (String, String, bool) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_storydesk"));
    if let Some(config) = config {
        cmd.arg("--config").arg(config);
    }
    let out = cmd
        .arg("--data")
        .arg(data)
        .args(["local", "--as", "alice", "--script"])
        .arg(script)
        .env_remove("STORYDESK_CONFIG")
        .env_remove("STORYDESK_DATA_DIR")
        .env("RUST_LOG", "off")
        .output()
        .expect("the storydesk binary runs");
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.success(),
    )
}

fn newsroom_config() -> PathBuf {
    repo("examples/newsroom.toml")
}

fn transcript(script: &str) -> String {
    let data = tempfile::tempdir().unwrap();
    let (stdout, stderr, ok) = run_script(
        data.path(),
        &repo(&format!("tests/scripts/{script}")),
        Some(&newsroom_config()),
    );
    assert!(ok, "the console failed: {stderr}");
    stdout
}

macro_rules! assert_transcript {
    ($name:expr, $text:expr) => {
        insta::with_settings!({
            filters => vec![(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", "[time]")],
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!($name, $text);
        });
    };
}

#[test]
fn the_readme_example_runs_from_leak_to_publication() {
    let data = tempfile::tempdir().unwrap();
    let (stdout, stderr, ok) = run_script(
        data.path(),
        &repo("examples/deepseek.story"),
        Some(&newsroom_config()),
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("[#published] # Meta scrambles over DeepSeek"));
    assert_transcript!("full_story", stdout);
}

#[test]
fn publish_is_refused_before_approvals() {
    assert_transcript!(
        "refused_before_approvals",
        transcript("refused_before_approvals.story")
    );
}

#[test]
fn an_author_cannot_approve_their_own_revision() {
    assert_transcript!("own_approval", transcript("own_approval.story"));
}

#[test]
fn a_new_revision_dismisses_a_stale_approval() {
    assert_transcript!("stale_approval", transcript("stale_approval.story"));
}

#[test]
fn a_non_editor_is_refused_at_publish() {
    assert_transcript!("non_editor", transcript("non_editor.story"));
}

#[test]
fn an_unknown_section_gets_a_suggestion() {
    assert_transcript!("unknown_section", transcript("unknown_section.story"));
}

#[test]
fn threads_imply_sections_and_take_sources() {
    assert_transcript!("threads", transcript("threads.story"));
}

#[test]
fn a_two_mebibyte_paste_is_refused_with_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("paste.story");
    let line = "The memo was sent to every engineer in the generative AI group on Monday.\n";
    let mut text =
        String::from("/story new title:\"A leak\"\n/story source add label:\"whole dump\" <<END\n");
    while text.len() < 2 * 1024 * 1024 {
        text.push_str(line);
    }
    text.push_str("END\n/story source list\n");
    std::fs::write(&script, text).unwrap();
    let (stdout, stderr, ok) = run_script(&dir.path().join("data"), &script, None);
    assert!(ok, "{stderr}");
    assert_transcript!("oversized_paste", stdout);
}

#[test]
fn a_restarted_console_shows_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = dir.path().join("first.story");
    std::fs::write(
        &first,
        "/story new title:\"Meta scrambles over DeepSeek\"\n\
         /story write intro <<END\nMeta has set up four war rooms.\nEND\n\
         :as carol\n/story approve title\n/story status\n",
    )
    .unwrap();
    let second = dir.path().join("second.story");
    std::fs::write(&second, ":as carol\n/story status\n/story history intro\n").unwrap();
    let (before, stderr, ok) = run_script(&data, &first, None);
    assert!(ok, "{stderr}");
    let (after, stderr, ok) = run_script(&data, &second, None);
    assert!(ok, "{stderr}");
    let board = |transcript: &str| -> String {
        let start = transcript
            .rfind("[only carol] **Story #1")
            .expect("a status board");
        transcript[start..]
            .lines()
            .take_while(|l| !l.starts_with("carol in"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(board(&before), board(&after));
    assert!(after.contains("revision 1 by alice"), "{after}");
}

#[test]
fn a_script_error_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("bad.story");
    std::fs::write(
        &script,
        "/story new title:x\n/story write body <<END\nno end\n",
    )
    .unwrap();
    let (stdout, stderr, ok) = run_script(&dir.path().join("data"), &script, None);
    assert!(!ok);
    assert!(
        stdout.is_empty(),
        "nothing runs from a broken script: {stdout}"
    );
    assert!(stderr.contains("bad.story:2"), "{stderr}");
}

#[test]
fn drafting_proposes_from_the_sources_and_only_a_person_saves() {
    let stdout = transcript("drafting.story");
    // Every proposal says it is extractive, and the revisions that came from drafts say so.
    assert!(stdout.contains("Extractive draft: every sentence is copied word for word"));
    assert!(stdout.contains("revision 1 by bob (assisted draft)"));
    assert!(stdout.contains("accepted an assisted draft (draft 2, edited) as body revision 2"));
    assert_transcript!("drafting", stdout);
}

#[test]
fn a_remote_model_is_refused_in_the_console_and_nothing_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("remote.toml");
    std::fs::write(
        &config,
        "[assist]\nbase_url = \"https://models.example.com/v1\"\nmodel = \"big\"\n",
    )
    .unwrap();
    let script = dir.path().join("draft.story");
    std::fs::write(
        &script,
        "/story new title:\"A leak\"\n/story source add <<END\nThe memo was sent to every engineer on Monday.\nEND\n/story draft intro\n/story draft accept intro\n",
    )
    .unwrap();
    let (stdout, stderr, ok) = run_script(&dir.path().join("data"), &script, Some(&config));
    assert!(ok, "{stderr}");
    assert!(stdout.contains("[only alice] Drafting is switched off: `[assist] base_url` points at a model on models.example.com:443"), "{stdout}");
    assert!(stdout.contains("Nothing was sent."));
    assert!(
        stdout.contains("There is no draft of introduction."),
        "{stdout}"
    );
}
