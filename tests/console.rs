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
fn a_published_story_is_corrected_in_place_once_approved() {
    let out = transcript("correction.story");
    assert!(
        out.contains("[#published · corrected] # Nvidia loses"),
        "{out}"
    );
    // The Correction line's date is the console's (real) clock's.
    let out = correction_dates_hidden(&out);
    assert!(
        out.contains("Correction ([date]): DeepSeek released"),
        "{out}"
    );
    assert_transcript!("correction", out);
}

/// `text` with each Correction line's date replaced by `[date]`.
fn correction_dates_hidden(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("Correction (") {
        let (head, tail) = rest.split_at(at + "Correction (".len());
        out.push_str(head);
        match tail.get(..11) {
            Some(date)
                if date.ends_with(')')
                    && date[..10].chars().all(|c| c.is_ascii_digit() || c == '-') =>
            {
                out.push_str("[date])");
                rest = &tail[11..];
            }
            _ => rest = tail,
        }
    }
    out.push_str(rest);
    out
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

/// Control characters a terminal acts on, or none: ESC starts a sequence (`ESC ]0;…BEL`
/// retitles the window), BEL rings, NUL, BS and DEL edit what is shown; C1 controls too.
fn controls_in(bytes: &[u8]) -> Vec<char> {
    String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| c.is_control() && *c != '\n' && *c != '\t')
        .collect()
}

/// `storydesk --data DATA export 1 --format FORMAT`'s output.
fn export(data: &Path, format: &str) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_storydesk"))
        .arg("--data")
        .arg(data)
        .args(["export", "1", "--format", format])
        .env_remove("STORYDESK_CONFIG")
        .env("RUST_LOG", "off")
        .output()
        .expect("the storydesk binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn an_escape_sequence_in_a_title_never_reaches_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let script = dir.path().join("hostile.story");
    std::fs::write(
        &script,
        "/story new title:\"Meta scrambles\u{1b}]0;pwned\u{7} over DeepSeek\"\n\
         /story source add label:\"memo\u{1b}[2J\" <<END\n\
         To: leadership\u{1b}[31m\u{0}\n\
         Four war rooms have been set up.\u{7}\u{7f}\u{9b}\n\
         END\n\
         :as bob\u{1b}[5m\n\
         /story write body <<END\n\
         Meta set up four war rooms\u{8}\u{8}.\r\n\
         END\n\
         /story changes section:body note:\"Name the memo\u{1b}[1m.\"\n\
         /story status\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_storydesk"))
        .arg("--data")
        .arg(&data)
        .args(["local", "--as", "alice", "--script"])
        .arg(&script)
        .env_remove("STORYDESK_CONFIG")
        .env("RUST_LOG", "off")
        .output()
        .expect("the storydesk binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(controls_in(&out.stdout), Vec::<char>::new());
    assert_eq!(controls_in(&out.stderr), Vec::<char>::new());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("“Meta scrambles]0;pwned over DeepSeek”"),
        "{stdout}"
    );
    assert_transcript!("control_characters", stdout);
    for format in ["html", "md", "json"] {
        let exported = export(&data, format);
        assert_eq!(controls_in(&exported), Vec::<char>::new(), "{format}");
        assert!(
            String::from_utf8_lossy(&exported).contains("pwned"),
            "{format}"
        );
    }
}

#[test]
fn a_title_stored_with_controls_by_an_older_build_is_printed_without_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = dir.path().join("first.story");
    std::fs::write(&first, "/story new title:\"Meta scrambles\"\n").unwrap();
    let (_, stderr, ok) = run_script(&data, &first, None);
    assert!(ok, "{stderr}");
    // What an older build let through, written straight into the store.
    {
        use storydesk::model::StoryId;
        use storydesk::store::{Store, StoreOptions, TxError};
        let store = Store::open(&data, StoreOptions::default()).unwrap();
        store
            .transact(|tx| {
                let mut story = tx.story(StoryId(1))?.expect("story 1 was started");
                story.title = "Meta scrambles\u{1b}]0;pwned\u{7} \u{9b}2J\r\nover DeepSeek".into();
                tx.put_story(&story)?;
                Ok::<_, TxError>(())
            })
            .unwrap();
    }
    let second = dir.path().join("second.story");
    std::fs::write(&second, "/story status\n/story list\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_storydesk"))
        .arg("--data")
        .arg(&data)
        .args(["local", "--as", "alice", "--script"])
        .arg(&second)
        .env_remove("STORYDESK_CONFIG")
        .env("RUST_LOG", "off")
        .output()
        .expect("the storydesk binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(controls_in(&out.stdout), Vec::<char>::new());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("Meta scrambles]0;pwned 2J"), "{stdout}");
    for format in ["html", "md"] {
        assert_eq!(
            controls_in(&export(&data, format)),
            Vec::<char>::new(),
            "{format}"
        );
    }
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
    assert!(
        stdout.contains("revision 1 of #1 “Meta scrambles over DeepSeek” by bob (assisted draft)")
    );
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

/// The interactive console in a real terminal: a pseudo-terminal whose other end the test
/// types into, control keys included, as a person at a keyboard does.
mod terminal {
    use std::io::{Read, Write};
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::process::{Child, Command, Stdio};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    /// The console running on a pseudo-terminal.
    struct Console {
        child: Child,
        /// The terminal's side the person types into.
        keyboard: std::fs::File,
        /// Everything the console wrote so far.
        screen: Arc<Mutex<Vec<u8>>>,
        /// How far the test has read the screen.
        seen: usize,
        /// Cursor position requests answered so far.
        answered: usize,
        _data: tempfile::TempDir,
    }

    impl Drop for Console {
        fn drop(&mut self) {
            if let Ok(None) = self.child.try_wait() {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }

    impl Console {
        fn start() -> Console {
            let (mut master, mut slave) = (0, 0);
            // SAFETY: openpty writes two descriptors into the integers given; the null
            // pointers ask for no name and the default terminal settings and size.
            let opened = unsafe {
                libc::openpty(
                    &mut master,
                    &mut slave,
                    std::ptr::null_mut(),
                    std::ptr::null(),
                    std::ptr::null(),
                )
            };
            assert_eq!(opened, 0, "no pseudo-terminal");
            // SAFETY: both descriptors were just opened and are owned by nothing else.
            let (master, slave) =
                unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
            let data = tempfile::tempdir().unwrap();
            let child = Command::new(env!("CARGO_BIN_EXE_storydesk"))
                .arg("--config")
                .arg(super::newsroom_config())
                .arg("--data")
                .arg(data.path())
                .args(["local", "--as", "alice"])
                .env_remove("STORYDESK_CONFIG")
                .env_remove("STORYDESK_DATA_DIR")
                .env("RUST_LOG", "off")
                .env("TERM", "xterm")
                .stdin(Stdio::from(slave.try_clone().unwrap()))
                .stdout(Stdio::from(slave.try_clone().unwrap()))
                .stderr(Stdio::from(slave))
                .spawn()
                .expect("the storydesk binary starts");
            let keyboard = std::fs::File::from(master.try_clone().unwrap());
            let mut display = std::fs::File::from(master);
            let screen = Arc::new(Mutex::new(Vec::new()));
            let sink = screen.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                // Ends with an error once the console has exited and the terminal closed.
                while let Ok(n @ 1..) = display.read(&mut buf) {
                    sink.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            });
            Console {
                child,
                keyboard,
                screen,
                seen: 0,
                answered: 0,
                _data: data,
            }
        }

        /// Waits until `text` shows after what was already read, answering the line
        /// editor's cursor position requests as a terminal does.
        fn expect(&mut self, text: &str) {
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let screen = String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned();
                let asked = screen.matches("\u{1b}[6n").count();
                while self.answered < asked {
                    self.keyboard.write_all(b"\x1b[1;1R").unwrap();
                    self.answered += 1;
                }
                if let Some(at) = screen.get(self.seen..).and_then(|s| s.find(text)) {
                    self.seen += at + text.len();
                    return;
                }
                assert!(
                    Instant::now() < deadline,
                    "never saw {text:?}; the screen:\n{}",
                    &screen[self.seen.min(screen.len())..]
                );
                std::thread::sleep(Duration::from_millis(10));
            }
        }

        fn type_keys(&mut self, keys: &str) {
            self.keyboard.write_all(keys.as_bytes()).unwrap();
        }
    }

    const PROMPT: &str = "alice #newsroom> ";
    const IN_TEXT: &str = "(end with EOF) ";

    #[test]
    fn ctrl_c_and_ctrl_d_inside_a_heredoc_keep_the_person_informed() {
        let mut console = Console::start();
        console.expect(PROMPT);
        console.type_keys("/story new title:\"Harbour budget vote delayed\"\r");
        console.expect("started story #1");
        console.expect(PROMPT);

        // Ctrl-C drops the heredoc and says so.
        console.type_keys("/story source add label:minutes <<EOF\r");
        console.expect(IN_TEXT);
        console.type_keys("The council met on Tuesday.\r");
        console.expect(IN_TEXT);
        console.type_keys("\x03");
        console.expect(
            "Cancelled `/story source add label:minutes` and its 1 line of text: nothing was sent.",
        );
        console.expect(PROMPT);

        // Ctrl-D asks; "no" goes back to the text, which is then sent whole.
        console.type_keys("/story source add label:minutes <<EOF\r");
        console.expect(IN_TEXT);
        console.type_keys("The council met on Tuesday.\r");
        console.expect(IN_TEXT);
        console.type_keys("\x04");
        console.expect("(1 line so far); leaving now drops it. Leave anyway?");
        console.expect("leave? (yes/no) ");
        console.type_keys("no\r");
        console.expect("Going on with the text; end it with a line `EOF`.");
        console.expect(IN_TEXT);
        // One line at a time, as the line editor asks the terminal where its cursor is
        // before each.
        console.type_keys("The vote was delayed.\r");
        console.expect(IN_TEXT);
        console.type_keys("EOF\r");
        console.expect("Source 1 “minutes” added by alice: 9 words");
        console.expect(PROMPT);

        // Ctrl-D at the prompt leaves, as the welcome line says.
        console.type_keys("\x04");
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = console.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "the console did not leave");
            std::thread::sleep(Duration::from_millis(10));
        };
        assert!(status.success(), "{status}");
    }
}

#[test]
fn a_write_over_an_older_revision_is_merged_or_kept_until_resumed() {
    assert_transcript!("concurrent_edits", transcript("concurrent_edits.story"));
}
