//! What the store refuses at start: a sealed store without its key (so no new source is
//! ever written in clear), a store damaged outside storydesk, and a directory of other
//! files. Each through the real binary, as an operator meets it.

use std::path::Path;

use crate::bot::{run, script, storydesk, strs, Place, Ran, PATIENCE};
use crate::{NEWSROOM, SOURCE_KEY};

/// A whole story, published, with a sealed source.
const DEEPSEEK: &str = include_str!("../../examples/deepseek.story");

/// A new leak pasted into a new story; its marker must never reach the disk in clear.
const MARKER: &str = "ZEBRA-LANTERN-4471";
const NEW_LEAK: &str = ":as alice\n/story new title:\"Harbour audit\"\n/story source add label:tip <<END\nThe harbour audit names ZEBRA-LANTERN-4471 as the contractor.\nEND\n";

/// Three stories, nothing else.
const THREE_STORIES: &str = ":as alice\n/story new title:\"First story\"\n/story new title:\"Second story\"\n/story new title:\"Third story\"\n";

/// The editor deletes every source of the published story.
const PURGE: &str = ":as erin\n/story purge-sources\n";

/// Every byte of every file under `dir`.
fn raw_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(raw_bytes(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.extend(bytes);
        }
    }
    out
}

fn holds(dir: &Path, text: &str) -> bool {
    raw_bytes(dir)
        .windows(text.len())
        .any(|w| w == text.as_bytes())
}

/// Runs a command that should be refused at once; one that starts anyway (a `serve` that
/// took the store) is stopped after [`PATIENCE`], so the test fails instead of hanging.
fn run_refused(env: &[(&str, &str)], args: &[&str]) -> Ran {
    use std::io::Read;
    let mut child = storydesk(env)
        .args(args)
        .env("STORYDESK_BIND", "127.0.0.1:0")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the storydesk binary starts");
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > PATIENCE {
            child.kill().unwrap();
            break child.wait().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let (mut stdout, mut stderr) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    Ran {
        status,
        stdout,
        stderr,
    }
}

/// The sentence after "cannot open the store in DIR: ", with the directory replaced.
fn refusal(ran: &Ran, place: &Place) -> String {
    assert!(!ran.status.success(), "it started:\n{}", ran.stderr);
    let line = ran
        .stderr
        .lines()
        .find(|l| l.contains("cannot open the store"))
        .unwrap_or_else(|| panic!("no refusal in:\n{}", ran.stderr));
    let (_, why) = line.split_once("cannot open the store in ").unwrap();
    why.replace(&place.dir.path().display().to_string(), "[TMP]")
}

#[test]
fn a_sealed_store_without_its_key_refuses_to_start_and_takes_no_plaintext() {
    let place = Place::new(NEWSROOM);
    let a = place.args("data");
    let data = place.path("data");
    let keyed = [("STORYDESK_SOURCE_KEY", SOURCE_KEY)];
    let story = script(place.dir.path(), "deepseek.story", DEEPSEEK);
    let ran = run(
        &keyed,
        &[strs(&a), vec!["local", "--script", story.to_str().unwrap()]].concat(),
    );
    assert!(ran.status.success(), "{}", ran.stderr);

    // Without the key: serve and the console refuse, and say what to set.
    let served = run_refused(&[], &[strs(&a), vec!["serve"]].concat());
    insta::assert_snapshot!(refusal(&served, &place), @"[TMP]/data: its sources are sealed and STORYDESK_SOURCE_KEY is not set; set STORYDESK_SOURCE_KEY to the key they were sealed with and start storydesk again");
    assert!(!served.stderr.contains("serving on"), "{}", served.stderr);
    let leak = script(place.dir.path(), "leak.story", NEW_LEAK);
    let pasted = run(
        &[],
        &[strs(&a), vec!["local", "--script", leak.to_str().unwrap()]].concat(),
    );
    assert!(refusal(&pasted, &place).contains("STORYDESK_SOURCE_KEY is not set"));
    assert!(
        !holds(&data, MARKER),
        "a source pasted without the key reached the disk in clear"
    );

    // backup and export refuse the same way; doctor names the problem and the fix.
    let backup = place.path("keyless.backup");
    let ran = run(
        &[],
        &[strs(&a), vec!["backup", backup.to_str().unwrap()]].concat(),
    );
    assert!(refusal(&ran, &place).contains("set STORYDESK_SOURCE_KEY"));
    let ran = run(
        &[],
        &[strs(&a), vec!["export", "1", "--format", "md"]].concat(),
    );
    assert!(refusal(&ran, &place).contains("set STORYDESK_SOURCE_KEY"));
    let doctor = run(&[], &[strs(&a), vec!["doctor"]].concat());
    assert!(!doctor.status.success());
    assert!(
        doctor
            .stdout
            .contains("source key: not set, but this data directory holds sealed sources"),
        "{}",
        doctor.stdout
    );

    // Every sealed source deleted: the store stays sealed.
    let purge = script(place.dir.path(), "purge.story", PURGE);
    let ran = run(
        &keyed,
        &[strs(&a), vec!["local", "--script", purge.to_str().unwrap()]].concat(),
    );
    assert!(ran.status.success(), "{}", ran.stderr);
    assert!(
        ran.stdout.contains("purged") || ran.stdout.contains("deleted"),
        "{}",
        ran.stdout
    );
    let pasted = run(
        &[],
        &[strs(&a), vec!["local", "--script", leak.to_str().unwrap()]].concat(),
    );
    assert!(refusal(&pasted, &place).contains("STORYDESK_SOURCE_KEY is not set"));
    assert!(!holds(&data, MARKER));

    // With the key, the new leak is taken, sealed.
    let ran = run(
        &keyed,
        &[strs(&a), vec!["local", "--script", leak.to_str().unwrap()]].concat(),
    );
    assert!(ran.status.success(), "{}", ran.stderr);
    assert!(!holds(&data, MARKER), "the new source is on disk in clear");
}

#[test]
fn a_truncated_store_is_refused_and_the_refusal_names_restore() {
    let place = Place::new(NEWSROOM);
    let a = place.args("data");
    let data = place.path("data");
    let three = script(place.dir.path(), "three.story", THREE_STORIES);
    let ran = run(
        &[],
        &[strs(&a), vec!["local", "--script", three.to_str().unwrap()]].concat(),
    );
    assert!(ran.status.success(), "{}", ran.stderr);
    assert!(ran.stdout.contains("Third story"), "{}", ran.stdout);

    // sled's log cut to a third, and no snapshot to recover from: what comes back is the
    // store as it was a few changes earlier, consistent in itself.
    let db = data.join("db");
    let len = std::fs::metadata(&db).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .unwrap()
        .set_len(len / 3)
        .unwrap();
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("snap.")
        {
            std::fs::remove_file(path).unwrap();
        }
    }

    for command in [
        vec!["serve"],
        vec!["local", "--script", three.to_str().unwrap()],
    ] {
        let ran = run_refused(&[], &[strs(&a), command].concat());
        let why = refusal(&ran, &place);
        assert!(why.contains("does not match its integrity record"), "{why}");
        assert!(why.contains("changes it acknowledged are lost"), "{why}");
        assert!(
            why.contains("storydesk --data NEW_DIR restore FILE"),
            "{why}"
        );
        assert!(!ran.stderr.contains("serving on"), "{}", ran.stderr);
    }
    let doctor = run(&[], &[strs(&a), vec!["doctor"]].concat());
    assert!(!doctor.status.success());
    let report = doctor
        .stdout
        .replace(&place.dir.path().display().to_string(), "[TMP]");
    let problem: Vec<&str> = report
        .lines()
        .filter(|l| l.contains("store:") || l.contains("storydesk restore"))
        .collect();
    assert_eq!(problem.len(), 2, "{report}");
    assert!(
        problem[0].contains("does not match its integrity record"),
        "{report}"
    );
    insta::assert_snapshot!(problem[1], @"       → restore the data directory from a backup (storydesk restore FILE into an empty directory)");
}

#[test]
fn a_directory_of_other_files_is_refused_and_left_as_it_was() {
    let place = Place::new(NEWSROOM);
    let a = place.args("papers");
    let papers = place.path("papers");
    std::fs::create_dir(&papers).unwrap();
    std::fs::write(papers.join("draft.docx"), b"my draft").unwrap();
    std::fs::write(papers.join("db.txt"), b"not a database").unwrap();
    let three = script(place.dir.path(), "three.story", THREE_STORIES);
    let ran = run(
        &[],
        &[strs(&a), vec!["local", "--script", three.to_str().unwrap()]].concat(),
    );
    insta::assert_snapshot!(refusal(&ran, &place), @"[TMP]/papers: it holds files that are not a storydesk store (db.txt, draft.docx); storydesk creates a store only in an empty or new directory: point --data (STORYDESK_DATA_DIR) at one, or at an existing storydesk data directory");
    let mut names: Vec<String> = std::fs::read_dir(&papers)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["db.txt", "draft.docx"]);
    assert_eq!(
        std::fs::read(papers.join("draft.docx")).unwrap(),
        b"my draft"
    );
    let doctor = run(&[], &[strs(&a), vec!["doctor"]].concat());
    assert!(!doctor.status.success());
    let fix: Vec<&str> = doctor
        .stdout
        .lines()
        .filter(|l| l.contains("does not create its store"))
        .collect();
    insta::assert_snapshot!(fix.join("\n"), @"       → point --data (STORYDESK_DATA_DIR) at an empty or new directory, or at an existing storydesk data directory; storydesk does not create its store among other files");

    // An empty directory is fine.
    let empty = place.path("empty");
    std::fs::create_dir(&empty).unwrap();
    let ran = run(
        &[],
        &[
            strs(&place.args("empty")),
            vec!["local", "--script", three.to_str().unwrap()],
        ]
        .concat(),
    );
    assert!(ran.status.success(), "{}", ran.stderr);
}
