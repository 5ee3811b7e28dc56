//! What the command line says when something is wrong or worth knowing, run as the built
//! binary: counts that agree with their nouns, config mistakes in an operator's words, an
//! error said once, the file the operator named, and a data directory another storydesk
//! holds.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn storydesk(dir: &Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_storydesk"))
        .args(args)
        .current_dir(dir)
        .env_remove("STORYDESK_CONFIG")
        .env_remove("STORYDESK_DATA_DIR")
        .env_remove("USER")
        .env("RUST_LOG", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn check_counts_agree_with_their_nouns() {
    let dir = tempfile::tempdir().unwrap();
    let clean = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/articles/harbour-sea-wall.md"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a.md"),
        clean.replacen(
            "raise the town's sea wall",
            "raise the town's TK sea wall",
            1,
        ),
    )
    .unwrap();
    let out = storydesk(dir.path(), &["check", "a.md"], "");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out).lines().last().unwrap(), @"a.md: 1 error, 0 warnings, 0 suggestions");
}

#[test]
fn config_mistakes_are_named_in_an_operators_words() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.md"), "# T\n").unwrap();
    std::fs::write(dir.path().join("q.toml"), "[review]\nquorum = \"two\"\n").unwrap();
    std::fs::write(dir.path().join("e.toml"), "[roles]\neditors = \"erin\"\n").unwrap();
    let out = storydesk(dir.path(), &["--config", "q.toml", "check", "a.md"], "");
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!(stderr(&out), @r#"
    storydesk check: config q.toml: invalid type: string "two", expected a whole number
    in `review.quorum`
    "#);
    let out = storydesk(dir.path(), &["--config", "e.toml", "check", "a.md"], "");
    insta::assert_snapshot!(stderr(&out), @r#"
    storydesk check: config e.toml: invalid type: string "erin", expected a list such as ["erin"]
    in `roles.editors`
    "#);
}

#[test]
fn an_error_is_said_once_and_names_the_file_given() {
    let dir = tempfile::tempdir().unwrap();
    let out = storydesk(dir.path(), &["--config", "nope.toml", "export", "1"], "");
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(stderr(&out), @"storydesk: cannot read config file nope.toml: No such file or directory (os error 2)");
    let out = storydesk(
        dir.path(),
        &["--data", "data", "backup", "missing/story.backup"],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(stderr(&out), @"storydesk: cannot write the backup missing/story.backup: No such file or directory (os error 2)");
}

#[test]
fn a_data_directory_in_use_says_what_holds_it_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let _held =
        storydesk::store::Store::open(&data, storydesk::store::StoreOptions::default()).unwrap();
    let out = storydesk(dir.path(), &["--data", "data", "export", "1"], "");
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(stderr(&out), @"storydesk: the data directory data is in use by another storydesk (a running `serve` or `local`, or one that is still shutting down), and it did not answer on its admin socket (No such file or directory (os error 2)). Stop it and try again, or point --data (STORYDESK_DATA_DIR) at another directory.");
}

#[test]
fn the_console_greets_a_person_without_a_name_sensibly() {
    let dir = tempfile::tempdir().unwrap();
    let out = storydesk(dir.path(), &["--data", "data", "local"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out).lines().next().unwrap(), @"storydesk console. You type as “you” (`--as NAME` or `:as NAME` gives a name) in #newsroom. Type /story help, :as NAME to switch user, :in #channel to switch channel, Ctrl-D to leave.");
    let out = storydesk(
        dir.path(),
        &["--data", "data", "local", "--as", "alice"],
        "",
    );
    assert!(
        stdout(&out).starts_with("storydesk console. You type as alice in #newsroom."),
        "{}",
        stdout(&out)
    );
}
