//! Backups through the command line: taken while `serve` runs (through its admin socket)
//! and while it does not, restored into empty directories, and compared story by story.
//! The source key: a wrong one is refused at start with a sentence that says what to do.

use crate::bot::{run, script, strs, Bot, Place};
use crate::{NEWSROOM, OTHER_KEY, SOURCE_KEY};

/// A whole story: from pasted leak to published article, with four people.
const DEEPSEEK: &str = include_str!("../../examples/deepseek.story");

/// Reads back the first source, as its author.
const SHOW_SOURCE: &str = ":as alice\n/story source show 1\n";

/// A line of the deepseek script's source.
const SOURCE_LINE: &str = "Four war rooms have been set up";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_taken_while_serving_and_not_restore_the_same_stories() {
    let place = Place::new(NEWSROOM);
    let env = [("STORYDESK_SOURCE_KEY", SOURCE_KEY)];
    let a = place.args("a");
    let story = script(place.dir.path(), "deepseek.story", DEEPSEEK);
    let ran = run(
        &env,
        &[strs(&a), vec!["local", "--script", story.to_str().unwrap()]].concat(),
    );
    assert!(ran.status.success(), "{}", ran.stderr);
    assert!(ran.stdout.contains("[#published]"), "{}", ran.stdout);

    // While nothing runs: straight from the store.
    let quiet = place.path("quiet.backup");
    let ran = run(
        &env,
        &[strs(&a), vec!["backup", quiet.to_str().unwrap()]].concat(),
    );
    assert!(ran.status.success(), "{}", ran.stderr);
    assert!(ran.stderr.contains("backed up"), "{}", ran.stderr);

    // While serve holds the store: through its admin socket.
    let bot = Bot::start(&strs(&a), &env).await;
    bot.wait_for_status("/readyz", 200).await;
    let live = place.path("live.backup");
    let ran = run(
        &env,
        &[strs(&a), vec!["backup", live.to_str().unwrap()]].concat(),
    );
    assert!(ran.status.success(), "{}\n{}", ran.stderr, bot.log());
    assert!(ran.stderr.contains("backed up"), "{}", ran.stderr);
    bot.stop().await;

    // Restored into empty directories, both give back the same story.
    for (backup, dir) in [(&quiet, "from-quiet"), (&live, "from-live")] {
        let args = place.args(dir);
        let ran = run(
            &env,
            &[strs(&args), vec!["restore", backup.to_str().unwrap()]].concat(),
        );
        assert!(ran.status.success(), "{}", ran.stderr);
        assert!(ran.stderr.contains("restored"), "{}", ran.stderr);
    }
    let export = |dir: &str, format: &str| {
        let args = place.args(dir);
        let ran = run(
            &env,
            &[strs(&args), vec!["export", "1", "--format", format]].concat(),
        );
        assert!(ran.status.success(), "{dir}: {}", ran.stderr);
        ran.stdout
    };
    let original = export("a", "json");
    assert!(
        original.contains("Meta scrambles over DeepSeek"),
        "{original}"
    );
    assert_eq!(export("from-quiet", "json"), original);
    assert_eq!(export("from-live", "json"), original);
    assert_eq!(export("from-live", "md"), export("a", "md"));

    // The sealed sources came along, and open with the same key.
    let show = script(place.dir.path(), "show.story", SHOW_SOURCE);
    let read = |dir: &str| {
        let args = place.args(dir);
        let ran = run(
            &env,
            &[
                strs(&args),
                vec!["local", "--script", show.to_str().unwrap()],
            ]
            .concat(),
        );
        assert!(ran.status.success(), "{dir}: {}", ran.stderr);
        ran.stdout
    };
    let shown = read("a");
    assert!(shown.contains(SOURCE_LINE), "{shown}");
    assert_eq!(read("from-live"), shown);

    // A restore never overwrites a data directory that has stories.
    let ran = run(
        &env,
        &[strs(&a), vec!["restore", live.to_str().unwrap()]].concat(),
    );
    assert!(!ran.status.success());
    assert!(ran.stderr.contains("empty"), "{}", ran.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_source_key_is_refused_at_start_with_what_to_do() {
    let place = Place::new(NEWSROOM);
    let a = place.args("a");
    let story = script(place.dir.path(), "deepseek.story", DEEPSEEK);
    let ran = run(
        &[("STORYDESK_SOURCE_KEY", SOURCE_KEY)],
        &[strs(&a), vec!["local", "--script", story.to_str().unwrap()]].concat(),
    );
    assert!(ran.status.success(), "{}", ran.stderr);

    let wrong = [("STORYDESK_SOURCE_KEY", OTHER_KEY)];
    let served = run(&wrong, &[strs(&a), vec!["serve"]].concat());
    assert!(!served.status.success());
    assert!(
        served.stderr.contains(
            "STORYDESK_SOURCE_KEY is not the key this data directory's sources were sealed with"
        ),
        "{}",
        served.stderr
    );
    assert!(!served.stderr.contains(OTHER_KEY) && !served.stderr.contains(SOURCE_KEY));
    // Not garbage later: nothing started, no port was opened.
    assert!(!served.stderr.contains("serving on"), "{}", served.stderr);

    // The console refuses the same way, and so does reading a source without any key.
    let console = run(
        &wrong,
        &[strs(&a), vec!["local", "--script", story.to_str().unwrap()]].concat(),
    );
    assert!(!console.status.success());
    assert!(
        console.stderr.contains("STORYDESK_SOURCE_KEY"),
        "{}",
        console.stderr
    );

    let show = script(place.dir.path(), "show.story", SHOW_SOURCE);
    let keyless = run(
        &[],
        &[strs(&a), vec!["local", "--script", show.to_str().unwrap()]].concat(),
    );
    assert!(
        !keyless.stdout.contains(SOURCE_LINE),
        "a sealed source was shown without its key: {}",
        keyless.stdout
    );

    // A key that is no key at all is refused before anything is opened.
    let malformed = run(
        &[("STORYDESK_SOURCE_KEY", "not-a-key")],
        &[strs(&a), vec!["serve"]].concat(),
    );
    assert!(!malformed.status.success());
    assert!(
        malformed.stderr.contains("STORYDESK_SOURCE_KEY"),
        "{}",
        malformed.stderr
    );
}

/// Waits until the storydesk holding `data` answers on its admin socket.
async fn wait_for_admin_socket(data: &std::path::Path) {
    let socket = data.join("admin.sock");
    let deadline = tokio::time::Instant::now() + crate::bot::PATIENCE;
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no admin socket at {}",
            socket.display()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_and_backup_go_through_the_console_or_serve_that_holds_the_store() {
    let place = Place::new(NEWSROOM);
    let env = [("STORYDESK_SOURCE_KEY", SOURCE_KEY)];
    let a = place.args("a");
    let story = script(place.dir.path(), "deepseek.story", DEEPSEEK);
    let ran = run(
        &env,
        &[strs(&a), vec!["local", "--script", story.to_str().unwrap()]].concat(),
    );
    assert!(ran.status.success(), "{}", ran.stderr);
    let export = |format: &str, story: &str| {
        run(
            &env,
            &[strs(&a), vec!["export", story, "--format", format]].concat(),
        )
    };
    let json = export("json", "1");
    assert!(json.status.success(), "{}", json.stderr);
    let md = export("md", "1");
    assert!(md.status.success(), "{}", md.stderr);

    // The console holds the store (waiting for a line): export and backup ask it.
    let mut console = crate::bot::storydesk(&env)
        .args(strs(&a))
        .arg("local")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the storydesk binary starts");
    wait_for_admin_socket(&place.path("a")).await;
    let through = export("json", "1");
    assert!(through.status.success(), "{}", through.stderr);
    assert_eq!(through.stdout, json.stdout);
    assert_eq!(export("md", "1").stdout, md.stdout);
    let missing = export("md", "7");
    assert!(!missing.status.success());
    insta::assert_snapshot!(
        missing.stderr.replace(&place.path("a").display().to_string(), "DATA"),
        @"storydesk: there is no story #7 in DATA"
    );
    let from_console = place.path("console.backup");
    let ran = run(
        &env,
        &[strs(&a), vec!["backup", from_console.to_str().unwrap()]].concat(),
    );
    assert!(ran.status.success(), "{}", ran.stderr);
    assert!(ran.stderr.contains("backed up"), "{}", ran.stderr);
    // Leaving the console (end of input) closes the socket with the store.
    drop(console.stdin.take());
    let left = console.wait().expect("the console exits");
    assert!(left.success());
    assert!(!place.path("a").join("admin.sock").exists());

    // The same while serve holds it.
    let bot = Bot::start(&strs(&a), &env).await;
    bot.wait_for_status("/readyz", 200).await;
    let through = export("json", "1");
    assert!(
        through.status.success(),
        "{}\n{}",
        through.stderr,
        bot.log()
    );
    assert_eq!(through.stdout, json.stdout);
    bot.stop().await;

    // The console's backup restores to the same story.
    let args = place.args("restored");
    let ran = run(
        &env,
        &[strs(&args), vec!["restore", from_console.to_str().unwrap()]].concat(),
    );
    assert!(ran.status.success(), "{}", ran.stderr);
    let ran = run(
        &env,
        &[strs(&args), vec!["export", "1", "--format", "json"]].concat(),
    );
    assert_eq!(ran.stdout, json.stdout);
}
