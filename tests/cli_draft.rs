//! `storydesk draft --source FILE… [--section NAME]`: proposals for use outside chat, from the
//! built binary.

mod common;

use std::path::Path;
use std::process::Command;

use common::fake_model::{Answer, FakeModel};

const MEMO: &str = "To: Generative AI leadership\nSubject: DeepSeek\n\nEngineers in the generative AI group have been asked to take apart DeepSeek V3.\nManagement is worried about justifying the cost of the generative AI organisation when a small lab trained a competitive model for about 5.5 million dollars.\nFour war rooms have been set up, two of them to work out how the training cost was brought down.\n\nLeadership expects a first report from the war rooms within three weeks.\n";

fn storydesk(dir: &Path, config: Option<&str>, args: &[&str]) -> (String, String, i32) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_storydesk"));
    if let Some(text) = config {
        let path = dir.join("config.toml");
        std::fs::write(&path, text).unwrap();
        cmd.arg("--config").arg(path);
    }
    let out = cmd
        .args(args)
        .current_dir(dir)
        .env_remove("STORYDESK_CONFIG")
        .env("RUST_LOG", "off")
        .output()
        .expect("the storydesk binary runs");
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn proposals_from_files_are_printed_with_their_checks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("memo.txt"), MEMO).unwrap();
    let (out, err, code) = storydesk(
        dir.path(),
        None,
        &["draft", "--source", "memo.txt", "--section", "intro"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("== introduction · the extractive drafter ==\n\n"),
        "{out}"
    );
    assert!(out.contains("Extractive draft: every sentence is copied word for word from source 1"));
    assert!(out.contains("Checks:"));
    let text = out.lines().nth(2).unwrap();
    let memo = storydesk::assist::extractive::collapse(MEMO);
    for s in storydesk::assist::extractive::sentences(text) {
        assert!(memo.contains(&s.text), "{:?} is not in the source", s.text);
    }
    // The same files give the same proposals.
    let (again, _, _) = storydesk(
        dir.path(),
        None,
        &["draft", "--source", "memo.txt", "--section", "intro"],
    );
    assert_eq!(out, again);
    // Every written section by default.
    let (all, _, code) = storydesk(dir.path(), None, &["draft", "--source", "memo.txt"]);
    assert_eq!(code, 0);
    for section in ["title", "introduction", "body", "conclusion"] {
        assert!(all.contains(&format!("== {section} · ")), "{all}");
    }
    assert!(!all.contains("== references"));
}

#[test]
fn mistakes_and_a_remote_model_are_refused_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("memo.txt"), MEMO).unwrap();
    let (_, err, code) = storydesk(
        dir.path(),
        None,
        &["draft", "--source", "memo.txt", "--section", "refs"],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("There is no section `refs` to draft."),
        "{err}"
    );
    let (_, err, code) = storydesk(dir.path(), None, &["draft", "--source", "missing.txt"]);
    assert_eq!(code, 2);
    assert!(err.contains("Cannot use missing.txt as a source"), "{err}");
    let remote = "[assist]\nbase_url = \"https://api.openai.com/v1\"\nmodel = \"gpt-4o-mini\"\n";
    let (out, err, code) = storydesk(dir.path(), Some(remote), &["draft", "--source", "memo.txt"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("points at a model on api.openai.com:443"),
        "{err}"
    );
}

#[test]
fn a_local_model_drafts_from_the_command_line() {
    let fake = FakeModel::start();
    fake.answer(Answer::Stream(vec![
        "Here is the conclusion:\n\n".into(),
        "Leadership expects a first report within three weeks.".into(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("memo.txt"), MEMO).unwrap();
    let config = format!(
        "[assist]\nbase_url = \"{}\"\nmodel = \"fake-model\"\n",
        fake.base_url()
    );
    let (out, err, code) = storydesk(
        dir.path(),
        Some(&config),
        &[
            "draft",
            "--source",
            "memo.txt",
            "--section",
            "ending",
            "--guidance",
            "what happens next",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("== conclusion · model `fake-model` at 127.0.0.1:"),
        "{out}"
    );
    assert!(
        out.contains("\n\nLeadership expects a first report within three weeks.\n\n"),
        "{out}"
    );
    assert!(out.contains("Removed from the model's answer: “Here is the conclusion:”"));
    let request = &fake.requests()[0];
    assert!(request
        .message("user")
        .contains("Guidance from the editor who asked for this draft: what happens next"));
    assert!(request.message("user").contains("Label: memo.txt"));
}

/// Run the binary in `dir` with a standard output whose reader has already gone, as after
/// `| head` has read what it wanted: (standard error, exit status).
#[cfg(unix)]
fn with_closed_stdout(dir: &Path, args: &[&str]) -> (String, Option<i32>) {
    use std::os::fd::{FromRawFd, OwnedFd};
    let mut fds = [0; 2];
    // SAFETY: pipe(2) fills both descriptors on success, each then owned once.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read);
    let out = Command::new(env!("CARGO_BIN_EXE_storydesk"))
        .args(args)
        .current_dir(dir)
        .env_remove("STORYDESK_CONFIG")
        .env("RUST_LOG", "off")
        .stdout(std::process::Stdio::from(write))
        .output()
        .expect("the storydesk binary runs");
    (String::from_utf8(out.stderr).unwrap(), out.status.code())
}

#[cfg(unix)]
#[test]
fn a_closed_standard_output_ends_draft_and_export_quietly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("memo.txt"), MEMO).unwrap();
    let (err, code) = with_closed_stdout(dir.path(), &["draft", "--source", "memo.txt"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );

    std::fs::write(
        dir.path().join("story.txt"),
        ":as alice\n/story new title:\"Meta scrambles over DeepSeek\"\n",
    )
    .unwrap();
    let (_, _, code) = storydesk(
        dir.path(),
        Some("[roles]\neditors = [\"erin\"]\n"),
        &["--data", "data", "local", "--script", "story.txt"],
    );
    assert_eq!(code, 0);
    for format in ["md", "html", "json"] {
        let (err, code) = with_closed_stdout(
            dir.path(),
            &["--data", "data", "export", "1", "--format", format],
        );
        assert_eq!((err.as_str(), code), ("", Some(0)), "{format}");
    }
}

#[test]
fn the_extractive_drafter_says_what_it_did_with_guidance() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("memo.txt"), MEMO).unwrap();
    let (out, err, code) = storydesk(
        dir.path(),
        None,
        &[
            "draft",
            "--source",
            "memo.txt",
            "--section",
            "intro",
            "--guidance",
            "write it as a question about the cost",
        ],
    );
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!(out, @"
    == introduction · the extractive drafter ==

    Four war rooms have been set up, two of them to work out how the training cost was brought down. Management is worried about justifying the cost of the generative AI organisation when a small lab trained a competitive model for about 5.5 million dollars.

    Extractive draft: every sentence is copied word for word from source 1, chosen by how central it is to them. Nothing was rephrased or added; check the order and the attribution.
    The extractive drafter does not follow guidance: it can only choose among the sources' own words. It used the guidance's words to prefer the passages that share them (1 of them is in this draft).
    Checks: 0 errors, 2 other findings
    - warning (line 1, column 1): 20 words match source 1 “memo.txt” word for word, at line 6, column 1: “Four war rooms have been set up, two of them to work out how the training cost…”. Leaked copies are often fingerprinted, so a verbatim passage can identify who leaked it: paraphrase it, or quote it on purpose and attribute it. [verbatim]
    - warning (line 1, column 98): 26 words match source 1 “memo.txt” word for word, at line 5, column 1: “Management is worried about justifying the cost of the generative AI…”. Leaked copies are often fingerprinted, so a verbatim passage can identify who leaked it: paraphrase it, or quote it on purpose and attribute it. [verbatim]
    ");
}

#[test]
fn a_source_that_is_not_text_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("memo.txt"), MEMO).unwrap();
    std::fs::write(dir.path().join("scan.pdf"), [0x25, 0x50, 0xff, 0xfe, 0x00]).unwrap();
    let (out, err, code) = storydesk(dir.path(), None, &["draft", "--source", "scan.pdf"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    insta::assert_snapshot!(err.trim_end(), @"Cannot use scan.pdf as a source: it is not UTF-8 text.");
}
