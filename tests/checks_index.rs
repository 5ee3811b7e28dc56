//! The story's source index on the desk: kept beside the store when a source is added,
//! read across a restart, caught up from the digests when it lacks a source, rebuilt when
//! it is damaged or covers sources the story no longer has as they were, and never holding
//! anything that shows a sealed source's words. Through it, the checks find what they find
//! from every digest.

use std::path::PathBuf;

use storydesk::checks::{index_terms, IndexSpec};
use storydesk::config::{Config, Template};
use storydesk::desk::{story_findings, story_findings_from_digests, Desk, Input, Request};
use storydesk::model::{ChannelKey, Person, Place, Platform, StoryId, Timestamp};
use storydesk::store::{IndexedSource, SourceKey, SourceStamp, Store, StoreOptions};

const KEY: [u8; 32] = [9; 32];

fn options() -> StoreOptions {
    StoreOptions {
        source_key: Some(SourceKey::from_bytes(KEY)),
        ..StoreOptions::default()
    }
}

fn desk(dir: &std::path::Path) -> Desk {
    let config = Config::from_overlay(Some("[roles]\neditors = [\"erin\"]\n"), "test").unwrap();
    let store = Store::open(dir, options()).unwrap();
    Desk::try_new(store, config, Template::load("news").unwrap()).unwrap()
}

fn say(desk: &Desk, at: i64, command: &str, body: Option<&str>) {
    desk.handle(Request {
        actor: Person::named("alice"),
        memberships: Default::default(),
        place: Place {
            channel: ChannelKey {
                platform: Platform::Console,
                team: "local".into(),
                channel: "newsroom".into(),
            },
            thread: None,
        },
        at: Timestamp(1_764_400_000_000 + at * 60_000),
        input: Input::Text {
            text: command.into(),
            body: body.map(str::to_string),
        },
        event: None,
        story: None,
    });
}

const PASSAGE: &str =
    "the harbour board will take the whole sea wall apart and rebuild it by the spring";

fn source_text(i: usize) -> String {
    let mut text: String = (0..400)
        .map(|k| format!("word{} ", (k * 13 + i * 7) % 211))
        .collect();
    text.push_str(&format!(
        "It cost €{i}.5 million on March {} 2025, said “the director of works”.\n",
        i + 1
    ));
    if i == 2 {
        text.push_str(PASSAGE);
    }
    text
}

/// A story with four sealed sources and an article that copies a passage of the third,
/// quotes one of them, and gives figures some of which no source has.
fn newsroom(dir: &std::path::Path) -> Desk {
    let desk = desk(dir);
    fill(&desk);
    desk
}

/// The story of [`newsroom`], told to `desk`.
fn fill(desk: &Desk) {
    say(desk, 1, "/story new title:\"Sea wall\"", None);
    for i in 0..4 {
        say(
            desk,
            2 + i as i64,
            &format!("/story source add label:\"leak {i}\""),
            Some(&source_text(i)),
        );
    }
    say(
        desk,
        10,
        "/story write title",
        Some("Harbour board plans the sea wall"),
    );
    say(
        desk,
        11,
        "/story write body",
        Some(&format!(
            "We learnt that {PASSAGE}. It cost €2.5 million, or €9.5 million, on March 3 \
             2025, “the director of works” said, and “the board of works” too."
        )),
    );
}

fn index_dir(desk: &Desk) -> PathBuf {
    desk.store().dir().join("source-index").join("1")
}

fn segments(desk: &Desk) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(index_dir(desk))
        .map(|l| l.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// The findings through the index, checked against those from every digest.
fn findings(desk: &Desk) -> Vec<storydesk::checks::Finding> {
    let story = desk.store().story(StoryId(1)).unwrap().unwrap();
    let indexed = story_findings(desk, &story).unwrap();
    let from_digests = story_findings_from_digests(desk, &story).unwrap();
    assert_eq!(indexed, from_digests);
    indexed
}

#[test]
fn the_index_is_kept_when_sources_are_added_and_read_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let desk = newsroom(dir.path());
    // Adding the sources wrote the index: the runs of the checks had nothing to catch up.
    let written = segments(&desk);
    assert!(!written.is_empty());
    let found = findings(&desk);
    assert_eq!(found.iter().filter(|f| f.rule == "verbatim").count(), 1);
    let untraced: Vec<&str> = found
        .iter()
        .filter(|f| f.rule == "unsourced")
        .map(|f| f.excerpt.as_str())
        .collect();
    assert!(
        untraced.iter().any(|e| e.contains("9.5 million")),
        "{untraced:?}"
    );
    assert!(
        untraced.iter().any(|e| e.contains("board of works")),
        "{untraced:?}"
    );
    assert!(
        !untraced.iter().any(|e| e.contains("2.5 million")),
        "{untraced:?}"
    );
    assert_eq!(segments(&desk), written);
    drop(desk);
    let desk = self::desk(dir.path());
    assert_eq!(findings(&desk), found);
    assert_eq!(segments(&desk), written, "read as it was, not rebuilt");
}

#[test]
fn a_missing_damaged_or_stale_index_is_rebuilt_from_the_digests() {
    let dir = tempfile::tempdir().unwrap();
    let desk = newsroom(dir.path());
    let found = findings(&desk);

    // Gone (a new data directory for a replica, or removed by hand).
    std::fs::remove_dir_all(index_dir(&desk)).unwrap();
    assert_eq!(findings(&desk), found);
    assert!(!segments(&desk).is_empty());

    // Damaged, in a new process (which has not verified the file yet).
    drop(desk);
    let mut damaged = Vec::new();
    for file in std::fs::read_dir(dir.path().join("source-index/1")).unwrap() {
        let path = file.unwrap().path();
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.len() / 3;
        bytes[at] ^= 0x11;
        std::fs::write(&path, &bytes).unwrap();
        damaged.push(bytes);
    }
    let desk = self::desk(dir.path());
    assert_eq!(findings(&desk), found);
    let now: Vec<Vec<u8>> = segments(&desk)
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert!(!now.is_empty());
    assert!(
        now.iter().all(|b| !damaged.contains(b)),
        "the damaged files were replaced"
    );

    // Stale: it covers a source 1 that is not the story's (purged and added again on
    // another replica); and a source the story has is missing.
    let store = desk.store();
    let tag = desk.checker().index_spec().tag();
    store.source_index_clear(StoryId(1)).unwrap();
    let other = storydesk::checks::digest(&source_text(7));
    let terms = index_terms(&other, &desk.checker().index_spec());
    store
        .source_index_add(
            StoryId(1),
            tag,
            vec![IndexedSource {
                stamp: Some(SourceStamp {
                    number: 1,
                    at: 5,
                    bytes: 10,
                    words: 2,
                }),
                blank: false,
                postings: terms.postings,
                facts: terms.facts,
            }],
        )
        .unwrap();
    assert_eq!(findings(&desk), found);
    let covered = store.source_index_covered(StoryId(1), tag).unwrap();
    assert_eq!(covered.len(), 4);
    assert!(covered.iter().all(|(s, _)| s.at != 5));
}

#[test]
fn an_index_for_other_rules_is_rebuilt_for_these() {
    let dir = tempfile::tempdir().unwrap();
    let desk = newsroom(dir.path());
    let found = findings(&desk);
    drop(desk);
    let config = Config::from_overlay(
        Some("[roles]\neditors = [\"erin\"]\n[checks]\nverbatim_words = 8\n"),
        "test",
    )
    .unwrap();
    let store = Store::open(dir.path(), options()).unwrap();
    let desk = Desk::try_new(store, config, Template::load("news").unwrap()).unwrap();
    let tag = desk.checker().index_spec().tag();
    assert_ne!(tag, IndexSpec::new([12]).tag());
    let again = findings(&desk);
    assert_eq!(
        desk.store()
            .source_index_covered(StoryId(1), tag)
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        again.iter().filter(|f| f.rule == "unsourced").count(),
        found.iter().filter(|f| f.rule == "unsourced").count()
    );
}

#[test]
fn a_sealed_sources_index_shows_none_of_their_words() {
    let dir = tempfile::tempdir().unwrap();
    let desk = newsroom(dir.path());
    findings(&desk);
    let mut bytes = Vec::new();
    for file in segments(&desk) {
        bytes.extend(std::fs::read(file).unwrap());
    }
    assert!(bytes.len() > 10_000);
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    for word in ["harbour", "word13", "director", "works"] {
        assert!(!contains(word.as_bytes()), "{word}");
    }
    // Nor the terms as the checks compute them, which a dictionary of words could rebuild:
    // the index keeps them keyed with the source key.
    let spec = desk.checker().index_spec();
    let terms = index_terms(&storydesk::checks::digest(&source_text(2)), &spec);
    let plain: Vec<[u8; 8]> = terms
        .postings
        .iter()
        .chain(&terms.facts)
        .map(|t| t.to_le_bytes())
        .collect();
    assert!(plain.len() > 1_000);
    assert!(plain.iter().all(|t| !contains(t)));
}

#[test]
fn replicas_on_one_database_each_keep_an_index_and_catch_up_with_the_others_sources() {
    let server = match storydesk::testing::TestPostgres::start() {
        Ok(Some(server)) => server,
        Ok(None) => return,
        Err(why) => panic!("{why}"),
    };
    let url = server.database().unwrap();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let replica = |dir: &std::path::Path| {
        let config = Config::from_overlay(Some("[roles]\neditors = [\"erin\"]\n"), "test").unwrap();
        let options = StoreOptions {
            database_url: Some(url.clone()),
            ..options()
        };
        let store = Store::open(dir, options).unwrap();
        Desk::try_new(store, config, Template::load("news").unwrap()).unwrap()
    };
    let a = replica(dirs[0].path());
    let b = replica(dirs[1].path());
    fill(&a);
    // The sources were added on `a`: its data directory has the index, `b`'s none yet.
    assert!(!segments(&a).is_empty());
    assert!(segments(&b).is_empty());
    // `b` builds its own from the digests in the database, and finds what `a` finds.
    let found = findings(&a);
    assert_eq!(found.iter().filter(|f| f.rule == "verbatim").count(), 1);
    assert_eq!(findings(&b), found);
    let built = segments(&b);
    assert!(!built.is_empty());

    // A source added on `a` that holds the figure no source had: `b`'s index lacks it, and
    // `b` catches up rather than answer from what it had.
    say(
        &a,
        20,
        "/story source add label:\"late leak\"",
        Some("The second estimate put it at €9.5 million."),
    );
    let after = findings(&a);
    assert!(
        !after
            .iter()
            .any(|f| f.rule == "unsourced" && f.excerpt.contains("9.5 million")),
        "{after:?}"
    );
    assert_eq!(findings(&b), after);
    assert_ne!(
        segments(&b),
        built,
        "the late source's terms were added on `b` too"
    );
}
