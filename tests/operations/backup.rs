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
