//! `storydesk migrate` and `storydesk store copy --to URL` / `--from URL`, run as the built
//! binary against a throwaway PostgreSQL: a story written in the console on the embedded
//! store goes to PostgreSQL, is read there (`export`, the console), and comes back into an
//! empty data directory, whole.

use std::path::Path;
use std::process::Command;

use storydesk::testing::TestPostgres;

/// Runs the binary in `dir` with `database` as `STORYDESK_DATABASE_URL` (or none).
fn storydesk(
    dir: &Path,
    data: &str,
    database: Option<&str>,
    args: &[&str],
) -> (String, String, Option<i32>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_storydesk"));
    match database {
        Some(url) => command.env("STORYDESK_DATABASE_URL", url),
        None => command.env_remove("STORYDESK_DATABASE_URL"),
    };
    let out = command
        .arg("--config")
        .arg(dir.join("config.toml"))
        .arg("--data")
        .arg(dir.join(data))
        .args(args)
        .current_dir(dir)
        .env_remove("STORYDESK_CONFIG")
        .env_remove("STORYDESK_SOURCE_KEY")
        .env("RUST_LOG", "off")
        .output()
        .expect("the storydesk binary runs");
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code(),
    )
}

#[test]
fn a_store_goes_to_postgres_and_back_whole() {
    let server = match TestPostgres::start() {
        Ok(Some(server)) => server,
        Ok(None) => return,
        Err(why) => panic!("{why}"),
    };
    let url = server.database().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("config.toml"), "[roles]\neditors = [\"erin\"]\n").unwrap();
    std::fs::write(
        d.join("story.txt"),
        ":as alice\n/story new title:\"Meta scrambles over DeepSeek\"\n/story ref add title:\"Meta sets up war rooms\" author:\"Carey, B.\" date:2025-01-27 outlet:\"The Information\" url:\"https://example.org/war-rooms\"\n",
    )
    .unwrap();
    let (_, err, code) = storydesk(d, "data", None, &["local", "--script", "story.txt"]);
    assert_eq!(code, Some(0), "{err}");
    let (original, err, code) = storydesk(d, "data", None, &["export", "1", "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");

    // The schema first, on its own; a second run has nothing to do.
    let (_, err, code) = storydesk(d, "data", Some(&url), &["migrate"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("1 migration run"), "{err}");
    let (_, err, _) = storydesk(d, "data", Some(&url), &["migrate"]);
    assert!(err.contains("already up to date"), "{err}");

    // To PostgreSQL, checked by count and digest.
    let (_, err, code) = storydesk(d, "data", None, &["store", "copy", "--to", &url]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("checked by count and digest"), "{err}");
    assert!(
        !err.contains("storydesk@"),
        "the URL's user is not repeated: {err}"
    );
    let (there, err, code) =
        storydesk(d, "other", Some(&url), &["export", "1", "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(there, original);

    // Copying again is refused: the database is not empty.
    let (_, err, code) = storydesk(d, "data", None, &["store", "copy", "--to", &url]);
    assert_ne!(code, Some(0), "a second copy into a full database: {err}");

    // A change made on PostgreSQL, then back into an empty data directory.
    std::fs::write(
        d.join("more.txt"),
        ":as alice\n/story new title:\"Second story\"\n",
    )
    .unwrap();
    let (_, err, code) = storydesk(d, "other", Some(&url), &["local", "--script", "more.txt"]);
    assert_eq!(code, Some(0), "{err}");
    // `doctor` looks at the database, whatever the data directory holds.
    let (out, _, _) = storydesk(d, "nowhere", Some(&url), &["doctor"]);
    assert!(out.contains("store: opens (2 stories)"), "{out}");
    assert!(out.contains("kept by PostgreSQL"), "{out}");
    let (_, err, code) = storydesk(d, "back", None, &["store", "copy", "--from", &url]);
    assert_eq!(code, Some(0), "{err}");
    let (back, err, code) = storydesk(d, "back", None, &["export", "1", "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(back, original);
    let (second, err, code) = storydesk(d, "back", None, &["export", "2", "--format", "md"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(second.contains("Second story"), "{second}");
}
