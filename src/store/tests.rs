//! The store's tests, against real sled databases in temporary directories.

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};
use std::thread;

use super::*;
use crate::model::{AuditEvent, CitationStyle, Person, Platform, Section};

thread_local! {
    /// The PostgreSQL server `fresh` opens stores on, while
    /// `the_engine_independent_tests_pass_on_postgres` runs the tests on it; none: sled.
    static POSTGRES: std::cell::RefCell<Option<Arc<crate::testing::TestPostgres>>> =
        const { std::cell::RefCell::new(None) };
}

/// A store in a fresh temporary directory (kept alive by the returned guard), or on a
/// fresh PostgreSQL database while the PostgreSQL run is on.
fn fresh() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = match POSTGRES.with(|pg| pg.borrow().clone()) {
        None => Store::open(dir.path(), StoreOptions::default()).unwrap(),
        Some(pg) => Store::open(
            dir.path(),
            StoreOptions {
                database_url: Some(pg.database().unwrap()),
                pool_size: 4,
                ..StoreOptions::default()
            },
        )
        .unwrap(),
    };
    (dir, store)
}

pub(super) fn alice() -> Person {
    Person::named("alice")
}

fn newsroom() -> ChannelKey {
    ChannelKey {
        platform: Platform::Console,
        team: "local".into(),
        channel: "newsroom".into(),
    }
}

fn new_story(id: StoryId) -> Story {
    Story {
        id,
        title: "Meta scrambles over DeepSeek".into(),
        home: newsroom(),
        created_by: alice(),
        created_at: Timestamp(1_700_000_000_000),
        template: "news".into(),
        sections: vec![Section::new("title"), Section::new("body")],
        sources: Vec::new(),
        references: Vec::new(),
        style: CitationStyle::Mla,
        published: None,
        audit_len: 0,
        version: 1,
        timing: Default::default(),
    }
}

pub(super) fn revision(story: StoryId, section: &str, number: u32, text: &str) -> Revision {
    Revision {
        story,
        section: section.into(),
        number,
        parent: number.checked_sub(1).filter(|&p| p > 0),
        author: alice(),
        at: Timestamp(1_700_000_000_000 + i64::from(number)),
        text: text.into(),
        assisted: false,
    }
}

pub(super) fn source(story: StoryId, number: u32, text: &str) -> Source {
    Source {
        story,
        number,
        label: format!("source {number}"),
        added_by: alice(),
        at: Timestamp(1_700_000_000_000),
        text: text.into(),
    }
}

/// The story's next audit entry, numbered from its `audit_len`, which advances (as the
/// desk does it).
fn audit_entry(story: &mut Story, action: &str) -> AuditEntry {
    let entry = AuditEntry {
        seq: story.audit_len,
        at: Timestamp(1_700_000_000_000),
        actor: alice(),
        event: AuditEvent::Recorded {
            text: action.into(),
        },
    };
    story.audit_len += 1;
    entry
}

/// The error type of the tests' transaction closures, shaped as the desk's would be.
#[derive(Debug, PartialEq, thiserror::Error)]
enum TestError {
    #[error("there is no story {0}")]
    NoStory(StoryId),
    #[error("refused")]
    Refused,
    #[error("store")]
    Store(#[from] TxError),
}

/// Creates a story through a transaction, as `/story new` does (the audit entry goes in
/// before the story itself).
fn create_story(store: &Store) -> StoryId {
    store
        .transact(|tx| -> Result<StoryId, TestError> {
            let id = tx.next_story_id()?;
            let mut story = new_story(id);
            tx.append_audit(id, &audit_entry(&mut story, "created the story"))?;
            tx.start_in_channel(&newsroom(), id, &alice())?;
            tx.put_story(&story)?;
            Ok(id)
        })
        .unwrap()
}

/// Writes raw bytes as an older or newer build would have, bypassing the records module.
fn write_raw(store: &Store, key: &[u8], value: &[u8]) {
    match &store.inner.engine {
        Engine::Sled(sled) => {
            sled.stories.insert(key, value).unwrap();
            store.flush().unwrap();
        }
        Engine::Postgres(pg) => {
            let mut changes = Changes::default();
            changes
                .stories
                .insert(key.to_vec(), Some(IVec::from(value)));
            pg.write_all(changes).unwrap();
        }
    }
}

/// The raw bytes stored under `key`.
fn store_raw(store: &Store, key: &[u8]) -> Vec<u8> {
    store
        .raw_get(Tree::Stories, key)
        .unwrap()
        .expect("a record is there")
        .to_vec()
}

#[test]
fn store_is_clone_send_and_sync() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<Store>();
}

#[test]
fn everything_written_is_there_after_drop_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        let id = create_story(&store);
        store
            .transact(|tx| -> Result<(), TestError> {
                let mut story = tx.story(id)?.ok_or(TestError::NoStory(id))?;
                for (n, text) in [(1, "first draft"), (2, "second draft")] {
                    tx.put_revision(&revision(id, "body", n, text))?;
                    let entry = audit_entry(&mut story, &format!("wrote body revision {n}"));
                    tx.append_audit(id, &entry)?;
                }
                story.section_mut("body").unwrap().revisions = 2;
                tx.put_source(&source(id, 1, "the leaked memo"))?;
                tx.put_source(&source(id, 2, "a forum post"))?;
                tx.put_source(&source(id, 3, "withdrawn"))?;
                assert!(tx.delete_source(id, 3)?);
                assert!(!tx.delete_source(id, 4)?);
                tx.put_anchor("board:console:1", "message-17")?;
                assert!(tx.claim_event("evt-1", Timestamp::now(), 3_600_000)?);
                tx.put_story(&story)?;
                Ok(())
            })
            .unwrap();
        id
    };

    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    let story = store.story(id).unwrap().unwrap();
    assert_eq!(story.title, "Meta scrambles over DeepSeek");
    assert_eq!(story.style, CitationStyle::Mla);
    assert_eq!(story.section("body").unwrap().revisions, 2);
    assert_eq!(story.audit_len, 3);
    assert_eq!(store.story_ids().unwrap(), vec![id]);

    let revisions = store.revisions(id, "body").unwrap();
    let texts: Vec<_> = revisions.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(texts, ["first draft", "second draft"]);
    assert_eq!(revisions[1], revision(id, "body", 2, "second draft"));
    assert_eq!(
        store.revision(id, "body", 1).unwrap().unwrap().text,
        "first draft"
    );
    assert!(store.revisions(id, "title").unwrap().is_empty());

    assert_eq!(
        store.source(id, 1).unwrap(),
        Some(source(id, 1, "the leaked memo"))
    );
    assert_eq!(store.source(id, 2).unwrap().unwrap().text, "a forum post");
    assert_eq!(store.source(id, 3).unwrap(), None);

    let audit = store.audit(id).unwrap();
    let actions: Vec<_> = audit.iter().map(|a| (a.seq, text_of(&a.event))).collect();
    assert_eq!(
        actions,
        [
            (0, "created the story"),
            (1, "wrote body revision 1"),
            (2, "wrote body revision 2")
        ]
    );

    let channel = store.channel(&newsroom()).unwrap();
    assert_eq!(channel.stories, vec![id]);
    assert_eq!(channel.active, Some(id));
    assert_eq!(
        store.anchor("board:console:1").unwrap().as_deref(),
        Some("message-17")
    );
    assert!(store.event_seen("evt-1", Timestamp::now()).unwrap());

    // The counter survived too: the next story gets the next number.
    assert_eq!(create_story(&store), StoryId(id.0 + 1));
}

#[test]
fn concurrent_writers_to_one_story_lose_no_revision() {
    const WRITERS: usize = 16;
    const EACH: usize = 25;
    let (_dir, store) = fresh();
    let id = create_story(&store);
    let before = store.stats();
    let barrier = Arc::new(Barrier::new(WRITERS));

    let handles: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (store, barrier) = (store.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                for i in 0..EACH {
                    let text = format!("writer {writer} edit {i}");
                    store
                        .transact(|tx| -> Result<u32, TestError> {
                            let mut story = tx.story(id)?.ok_or(TestError::NoStory(id))?;
                            let body = story.section_mut("body").unwrap();
                            let n = body.revisions + 1;
                            tx.put_revision(&revision(id, "body", n, &text))?;
                            body.revisions = n;
                            story.version += 1;
                            tx.put_story(&story)?;
                            Ok(n)
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }

    let total = (WRITERS * EACH) as u32;
    let story = store.story(id).unwrap().unwrap();
    assert_eq!(story.section("body").unwrap().revisions, total);
    assert_eq!(story.version, 1 + u64::from(total));

    let revisions = store.revisions(id, "body").unwrap();
    let numbers: Vec<u32> = revisions.iter().map(|r| r.number).collect();
    assert_eq!(numbers, (1..=total).collect::<Vec<_>>());
    let texts: BTreeSet<&str> = revisions.iter().map(|r| r.text.as_str()).collect();
    let expected: BTreeSet<String> = (0..WRITERS)
        .flat_map(|w| (0..EACH).map(move |i| format!("writer {w} edit {i}")))
        .collect();
    assert_eq!(
        texts,
        expected.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );

    let after = store.stats();
    let transactions = after.transactions - before.transactions;
    let flushes = after.flushes - before.flushes;
    assert_eq!(transactions, u64::from(total));
    assert_eq!(after.durable_writes - before.durable_writes, transactions);
    assert!(
        flushes <= transactions,
        "{flushes} flushes for {transactions} transactions"
    );
    assert_eq!(after.waiting_for_flush, 0);
}

/// A story as the first record format stored it: no `style`, no `audit_len`.
const STORY_V1: &str = r#"{"v":1,"id":5,"title":"Old story","home":{"platform":"slack","team":"T1","channel":"C1"},"created_by":{"id":"U1","name":"bob"},"created_at":1600000000000,"template":"news","sections":[{"name":"body","owner":{"id":"U1","name":"bob"},"revisions":1,"approvals":[{"by":{"id":"U2","name":"carol"},"revision":1,"at":1600000001000}],"change_requests":[]}],"sources":[{"number":1,"label":"memo","added_by":{"id":"U1","name":"bob"},"at":1600000000500,"bytes":12,"words":2}],"references":[{"author":"Carey, B.","date":{"year":2025,"month":1,"day":null},"title":"Titel","translated":"Title","outlet":"Die Zeit","url":null,"kind":"news","offline":true}],"published":null,"version":4}"#;

/// An audit entry as the first format stored it.
/// The text of an entry the tests wrote as a sentence.
fn text_of(event: &AuditEvent) -> &str {
    match event {
        AuditEvent::Recorded { text } => text,
        _ => "",
    }
}

#[test]
fn audit_entries_keep_their_data_and_first_format_sentences_still_read() {
    let (_dir, store) = fresh();
    let id = StoryId(1);
    let events = [
        AuditEvent::Assigned {
            section: "body".into(),
            to: Person {
                id: "U2".into(),
                name: "bob".into(),
            },
        },
        AuditEvent::Published {
            channel: "published".into(),
            overridden: vec!["figures.unsourced".into()],
            errors: 2,
            reason: Some("the figures are the company's own".into()),
        },
        AuditEvent::PublicationIncomplete {
            channel: "published".into(),
            up: 1,
            parts: None,
        },
    ];
    store
        .transact(|tx| -> Result<(), TestError> {
            let mut story = new_story(id);
            for event in &events {
                let mut entry = audit_entry(&mut story, "");
                entry.event = event.clone();
                tx.append_audit(id, &entry)?;
            }
            tx.put_story(&story)?;
            Ok(())
        })
        .unwrap();
    // A sentence written by a build before entries carried data, appended after them.
    write_raw(&store, &keys::audit(id, 3), audit_v1(3).as_bytes());
    let audit = store.audit(id).unwrap();
    let read: Vec<AuditEvent> = audit.iter().map(|e| e.event.clone()).collect();
    assert_eq!(read[..3], events);
    assert_eq!(
        read[3],
        AuditEvent::Recorded {
            text: "old entry 3".into()
        }
    );
    // The stored form names the event and its fields, never a rendered sentence.
    let raw = store_raw(&store, &keys::audit(id, 1));
    let json: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(json["v"], 2);
    assert_eq!(json["event"]["kind"], "published");
    assert_eq!(json["event"]["overridden"][0], "figures.unsourced");
}

fn audit_v1(seq: u64) -> String {
    format!(
        r#"{{"v":1,"seq":{seq},"at":1600000000000,"actor":{{"id":"U1","name":"bob"}},"action":"old entry {seq}"}}"#
    )
}

#[test]
fn a_story_in_the_first_format_reads_as_a_current_story() {
    let (_dir, store) = fresh();
    let id = StoryId(5);
    write_raw(&store, &keys::story(id), STORY_V1.as_bytes());
    for seq in 0..3 {
        write_raw(&store, &keys::audit(id, seq), audit_v1(seq).as_bytes());
    }

    let story = store.story(id).unwrap().unwrap();
    assert_eq!(story.title, "Old story");
    assert_eq!(story.style, CitationStyle::Apa);
    assert_eq!(story.audit_len, 3);
    assert_eq!(story.version, 4);
    assert_eq!(story.home.platform, Platform::Slack);
    assert_eq!(story.sections[0].approvals[0].by.name, "carol");
    assert_eq!(story.sources[0].words, 2);
    assert_eq!(story.references[0].translated.as_deref(), Some("Title"));
    assert_eq!(story.references[0].date.unwrap().month, Some(1));

    // Inside a transaction too; an append continues the old log, and the story is written
    // back in the current format.
    let seq = store
        .transact(|tx| -> Result<u64, TestError> {
            let mut story = tx.story(id)?.ok_or(TestError::NoStory(id))?;
            assert_eq!(story.audit_len, 3);
            let entry = audit_entry(&mut story, "read an old story");
            tx.append_audit(id, &entry)?;
            tx.put_story(&story)?;
            Ok(entry.seq)
        })
        .unwrap();
    assert_eq!(seq, 3);
    let raw = store.sled().stories.get(keys::story(id)).unwrap().unwrap();
    assert!(raw.starts_with(br#"{"v":3,"#));
    let story = store.story(id).unwrap().unwrap();
    assert_eq!(story.audit_len, 4);
    assert_eq!(story.style, CitationStyle::Apa);
    assert_eq!(store.audit(id).unwrap().len(), 4);
}

/// A published story as version 2 wrote it: its publication has no posting state.
const STORY_V2_PUBLISHED: &str = r#"{"v":2,"id":6,"title":"Published story","home":{"platform":"slack","team":"T1","channel":"C1"},"created_by":{"id":"U1","name":"bob"},"created_at":1600000000000,"template":"news","sections":[],"sources":[],"references":[],"style":"mla","published":{"by":{"id":"U9","name":"erin"},"at":1600000100000,"channel":"C0PUB","style":"mla","override_reason":null},"audit_len":0,"version":7}"#;

#[test]
fn a_version_two_publication_reads_as_complete_and_posting_state_round_trips() {
    let (_dir, store) = fresh();
    let id = StoryId(6);
    write_raw(&store, &keys::story(id), STORY_V2_PUBLISHED.as_bytes());
    let mut story = store.story(id).unwrap().unwrap();
    let published = story.published.clone().unwrap();
    assert_eq!(published.channel, "C0PUB");
    assert_eq!(published.posting, None);
    assert!(published.is_complete());

    // A publication under way keeps the parts confirmed so far.
    let posting = crate::model::Posting {
        parts: Some(4),
        posted: vec!["1700000000.000100".into(), "1700000000.000200".into()],
        attempts: 2,
    };
    story.published.as_mut().unwrap().posting = Some(posting.clone());
    store
        .transact(|tx| -> Result<(), TestError> { Ok(tx.put_story(&story)?) })
        .unwrap();
    let raw = store.sled().stories.get(keys::story(id)).unwrap().unwrap();
    assert!(raw.starts_with(br#"{"v":3,"#));
    let read = store.story(id).unwrap().unwrap();
    assert_eq!(read.published.unwrap().posting, Some(posting));

    // Once complete it is stored as version 2 stored it, apart from the version.
    story.published.as_mut().unwrap().posting = None;
    store
        .transact(|tx| -> Result<(), TestError> { Ok(tx.put_story(&story)?) })
        .unwrap();
    let raw = store.sled().stories.get(keys::story(id)).unwrap().unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("posting"));
}

#[test]
fn a_first_format_story_without_audit_entries_counts_zero() {
    let (_dir, store) = fresh();
    write_raw(&store, &keys::story(StoryId(5)), STORY_V1.as_bytes());
    assert_eq!(store.story(StoryId(5)).unwrap().unwrap().audit_len, 0);
}

#[test]
fn audit_counting_finds_the_length_of_logs_of_any_size() {
    let (_dir, store) = fresh();
    for len in [1u64, 2, 3, 7, 8, 9, 100] {
        let id = StoryId(1000 + len);
        for seq in 0..len {
            store
                .sled()
                .stories
                .insert(keys::audit(id, seq), audit_v1(seq).as_bytes())
                .unwrap();
        }
        assert_eq!(count_audit(&store.sled().stories, id).unwrap(), len);
    }
}

#[test]
fn a_record_from_a_newer_storydesk_is_refused_with_advice() {
    let (_dir, store) = fresh();
    write_raw(
        &store,
        &keys::story(StoryId(9)),
        br#"{"v":4,"id":9,"something":"new"}"#,
    );
    let err = store.story(StoryId(9)).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::UnsupportedVersion {
                kind: "story",
                version: 4
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("upgrade storydesk"), "{err}");

    // Inside a transaction the same error is the transaction's result.
    let result = store.transact(|tx| tx.story(StoryId(9)).map_err(TestError::from));
    assert!(matches!(
        result,
        Err(TransactError::Store(StoreError::UnsupportedVersion {
            kind: "story",
            version: 4
        }))
    ));
}

#[test]
fn a_data_directory_from_a_newer_storydesk_is_refused_on_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        write_raw(&store, keys::SCHEMA, &(SCHEMA_VERSION + 1).to_be_bytes());
    }
    let err = Store::open(dir.path(), StoreOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::UnsupportedVersion {
                kind: "data directory",
                version
            } if version == SCHEMA_VERSION + 1
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("upgrade storydesk"), "{err}");
}

#[test]
fn a_corrupt_record_is_reported_without_its_contents() {
    let (_dir, store) = fresh();
    let id = create_story(&store);
    write_raw(
        &store,
        &keys::source(id, 1),
        br#"{"v":1,"story":1,"number":1,"label":"memo","added_by":{"id":"a","name":"a"},"at":"TOP SECRET SOURCE TEXT","text":"x"}"#,
    );
    let err = store.source(id, 1).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(message.contains("source 1 of story #1"), "{message}");
    assert!(!message.contains("SECRET"), "{message}");
}

#[test]
fn a_second_open_of_a_held_directory_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let first = Store::open(dir.path(), StoreOptions::default()).unwrap();
    let err = Store::open(dir.path(), StoreOptions::default()).unwrap_err();
    match &err {
        StoreError::Open { dir: d, reason } => {
            assert_eq!(d, dir.path());
            assert_eq!(reason, &OpenFailure::Locked);
        }
        other => panic!("expected an Open error, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("another storydesk process"), "{message}");
    assert!(message.contains("--data"), "{message}");

    // The lock goes with the store.
    drop(first);
    Store::open(dir.path(), StoreOptions::default()).unwrap();
}

#[test]
fn an_unusable_directory_is_an_open_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let err = Store::open(&file.join("data"), StoreOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Open {
                reason: OpenFailure::Io(_),
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn an_event_is_claimed_once_until_its_claim_expires() {
    let (_dir, store) = fresh();
    let claim = |at: i64| {
        store
            .transact(|tx| tx.claim_event("slack:Ev01", Timestamp(at), 1_000))
            .unwrap()
    };
    assert!(claim(10_000));
    assert!(!claim(10_500));
    assert!(!claim(10_999));
    assert!(claim(11_000));
    assert!(!claim(11_999));
    // Seen while the claim holds, not after it expired, never for an unknown key.
    assert!(store.event_seen("slack:Ev01", Timestamp(11_500)).unwrap());
    assert!(!store.event_seen("slack:Ev01", Timestamp(12_000)).unwrap());
    assert!(!store.event_seen("slack:Ev02", Timestamp(11_500)).unwrap());
    let now = Timestamp::now();
    assert!(store
        .transact(|tx| tx.claim_event("slack:Ev03", now, 3_600_000))
        .unwrap());
    assert!(store.event_seen("slack:Ev03", Timestamp::now()).unwrap());
}

#[test]
fn a_claim_in_an_aborted_transaction_leaves_nothing() {
    let (_dir, store) = fresh();
    let now = Timestamp::now();
    let committed = store.stats().transactions;
    let result = store.transact(|tx| -> Result<(), TestError> {
        assert!(tx.claim_event("discord:123", now, 3_600_000)?);
        tx.put_anchor("board", "should not exist")?;
        Err(TestError::Refused)
    });
    assert!(matches!(
        result,
        Err(TransactError::Aborted(TestError::Refused))
    ));
    assert!(!store.event_seen("discord:123", Timestamp::now()).unwrap());
    assert!(store.sled().events.is_empty());
    assert_eq!(store.anchor("board").unwrap(), None);
    assert_eq!(store.stats().transactions, committed);
    assert!(store
        .transact(|tx| tx.claim_event("discord:123", now, 3_600_000))
        .unwrap());
}

#[test]
fn expired_event_claims_are_purged() {
    let (_dir, store) = fresh();
    store
        .transact(|tx| -> Result<(), TxError> {
            tx.claim_event("a", Timestamp(0), 100)?;
            tx.claim_event("b", Timestamp(0), 200)?;
            tx.claim_event("c", Timestamp(0), 10_000)?;
            Ok(())
        })
        .unwrap();
    assert_eq!(store.purge_expired_events(Timestamp(200)).unwrap(), 2);
    assert_eq!(store.purge_expired_events(Timestamp(200)).unwrap(), 0);
    assert!(store.sled().events.get("c").unwrap().is_some());
    assert!(store.sled().events.get("a").unwrap().is_none());
    // Only the live claim's index entry is left.
    assert_eq!(expiry_entries(&store), vec![(10_000, b"c".to_vec())]);
}

#[test]
fn a_purge_reads_the_expiry_index_not_the_claims() {
    let (_dir, store) = fresh();
    store
        .transact(|tx| -> Result<(), TxError> {
            tx.claim_event("indexed", Timestamp(0), 100)?;
            Ok(())
        })
        .unwrap();
    // An expired claim with no index entry: a purge that read every claim would remove it.
    let record = records::EventRecordV1 {
        v: records::EVENT_VERSION,
        claimed_at: 0,
        expires_at: 100,
    };
    store
        .sled()
        .events
        .insert(
            keys::event("unindexed"),
            records::encode("event", &record).unwrap(),
        )
        .unwrap();
    assert_eq!(store.purge_expired_events(Timestamp(1_000)).unwrap(), 1);
    assert!(store
        .sled()
        .events
        .get(keys::event("indexed"))
        .unwrap()
        .is_none());
    assert!(store
        .sled()
        .events
        .get(keys::event("unindexed"))
        .unwrap()
        .is_some());
}

/// The expiry index of the `events` tree, as (expires_at, event key).
fn expiry_entries(store: &Store) -> Vec<(u64, Vec<u8>)> {
    store
        .sled()
        .events
        .scan_prefix(keys::EVENT_EXPIRY_PREFIX)
        .map(|item| {
            let (k, _) = item.unwrap();
            let at = u64::from_be_bytes(k[2..10].try_into().unwrap());
            (at, keys::event_of_expiry(&k).unwrap().to_vec())
        })
        .collect()
}

#[test]
fn a_renewed_claim_keeps_one_index_entry_and_outlives_a_purge() {
    let (_dir, store) = fresh();
    let claim = |at, ttl| store.transact(|tx| tx.claim_event("slack:e1", Timestamp(at), ttl));
    assert!(claim(0, 100).unwrap());
    assert!(!claim(50, 100).unwrap(), "still claimed at 50");
    assert!(claim(150, 1_000).unwrap(), "expired at 100, claimed again");
    assert_eq!(expiry_entries(&store), vec![(1_150, b"slack:e1".to_vec())]);
    assert_eq!(store.purge_expired_events(Timestamp(1_000)).unwrap(), 0);
    assert!(store.event_seen("slack:e1", Timestamp(1_000)).unwrap());
    assert_eq!(store.purge_expired_events(Timestamp(1_150)).unwrap(), 1);
    assert!(
        store.sled().events.is_empty(),
        "claim and index entry both gone"
    );
}

#[test]
fn claims_written_before_the_index_are_indexed_by_the_first_purge() {
    let (_dir, store) = fresh();
    assert!(store
        .sled()
        .stories
        .contains_key(keys::EVENTS_INDEXED)
        .unwrap());
    // Claims as an earlier layout wrote them: the record alone, and no mark.
    for (key, expires_at) in [("slack:old", 100), ("slack:live", 5_000)] {
        let record = records::EventRecordV1 {
            v: records::EVENT_VERSION,
            claimed_at: 0,
            expires_at,
        };
        let value = records::encode("event", &record).unwrap();
        store.sled().events.insert(key, value).unwrap();
    }
    store.sled().stories.remove(keys::EVENTS_INDEXED).unwrap();
    // As such a store would be once it has its integrity record.
    store.recount_integrity().unwrap();
    assert_eq!(store.purge_expired_events(Timestamp(200)).unwrap(), 1);
    assert!(store
        .sled()
        .stories
        .contains_key(keys::EVENTS_INDEXED)
        .unwrap());
    assert_eq!(
        expiry_entries(&store),
        vec![(5_000, b"slack:live".to_vec())]
    );
    // From now on the index finds it.
    assert_eq!(store.purge_expired_events(Timestamp(5_000)).unwrap(), 1);
    assert!(store.sled().events.is_empty());
}

#[test]
fn the_closures_own_error_passes_through_and_nothing_is_written() {
    let (_dir, store) = fresh();
    let result = store.transact(|tx| -> Result<(), TestError> {
        let id = tx.next_story_id()?;
        tx.put_story(&new_story(id))?;
        tx.story(StoryId(99))?
            .ok_or(TestError::NoStory(StoryId(99)))?;
        Ok(())
    });
    match result {
        Err(TransactError::Aborted(e)) => assert_eq!(e, TestError::NoStory(StoryId(99))),
        other => panic!("expected Aborted, got {other:?}"),
    }
    assert!(store.story_ids().unwrap().is_empty());
    assert_eq!(create_story(&store), StoryId(1));
}

#[test]
fn a_failed_tx_call_fails_the_transaction_even_if_the_closure_ignores_it() {
    let (_dir, store) = fresh();
    let id = create_story(&store);
    store
        .transact(|tx| tx.put_revision(&revision(id, "body", 1, "first")))
        .unwrap();
    let result = store.transact(|tx| -> Result<(), TestError> {
        tx.put_anchor("marker", "written before the failure")?;
        let _ignored = tx.put_revision(&revision(id, "body", 1, "overwrite"));
        Ok(())
    });
    match result {
        Err(TransactError::Store(StoreError::AlreadyExists { key })) => {
            assert_eq!(key, "revision 1 of section body of story #1")
        }
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(store.anchor("marker").unwrap(), None);
    assert_eq!(
        store.revision(id, "body", 1).unwrap().unwrap().text,
        "first"
    );
}

#[test]
fn calling_the_store_inside_a_transaction_is_an_error_not_a_deadlock() {
    let (_dir, store) = fresh();
    let id = create_story(&store);
    let inner = store
        .transact(|_tx| -> Result<String, TestError> {
            let read = store.story(id).map(|_| ()).unwrap_err().to_string();
            let nested = store
                .transact(|tx| tx.story(id))
                .map(|_| ())
                .unwrap_err()
                .to_string();
            assert!(nested.contains("Store::transact"), "{nested}");
            Ok(read)
        })
        .unwrap();
    assert!(inner.contains("Store::story"), "{inner}");
    assert!(inner.contains("use the Tx"), "{inner}");
    // And outside again, all is well.
    assert!(store.story(id).unwrap().is_some());
}

#[test]
fn audit_entries_are_never_overwritten() {
    let (_dir, store) = fresh();
    let id = create_story(&store);
    // A stale copy of the story numbers its entry 0 again, which exists.
    let result = store.transact(|tx| -> Result<(), TestError> {
        let mut stale = new_story(id);
        tx.append_audit(id, &audit_entry(&mut stale, "stale entry"))?;
        tx.put_story(&stale)?;
        Ok(())
    });
    match result {
        Err(TransactError::Store(StoreError::AlreadyExists { key })) => {
            assert_eq!(key, "audit entry 0 of story #1")
        }
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    let audit = store.audit(id).unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(text_of(&audit[0].event), "created the story");
    assert_eq!(store.story(id).unwrap().unwrap().audit_len, 1);
}

#[test]
fn a_closure_may_use_store_error_as_its_error_type() {
    let (_dir, store) = fresh();
    let result: Result<(), StoreError> = store
        .transact(|tx| -> Result<(), StoreError> {
            tx.put_anchor("k", "v")?;
            Ok(())
        })
        .map_err(TransactError::flatten);
    result.unwrap();
    assert_eq!(store.anchor("k").unwrap().as_deref(), Some("v"));

    // A failing Tx call still surfaces as its real cause, not as `InTransaction`.
    let id = create_story(&store);
    let err = store
        .transact(|tx| -> Result<(), StoreError> {
            let mut stale = new_story(id);
            tx.append_audit(id, &audit_entry(&mut stale, "again"))?;
            Ok(())
        })
        .map_err(TransactError::flatten)
        .unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err:?}");
}

#[test]
fn names_that_would_break_keys_are_refused() {
    let (_dir, store) = fresh();
    let id = create_story(&store);
    let result = store.transact(|tx| tx.put_revision(&revision(id, "bo\0dy", 1, "x")));
    assert!(matches!(
        result,
        Err(TransactError::Store(StoreError::InvalidName {
            what: "section name"
        }))
    ));
    let channel = ChannelKey {
        channel: "a\0b".into(),
        ..newsroom()
    };
    assert!(matches!(
        store.channel(&channel),
        Err(StoreError::InvalidName { what: "channel id" })
    ));
}

#[test]
fn story_numbers_are_handed_out_in_order_and_listed() {
    let (_dir, store) = fresh();
    let ids: Vec<StoryId> = (0..3).map(|_| create_story(&store)).collect();
    assert_eq!(ids, [StoryId(1), StoryId(2), StoryId(3)]);
    assert_eq!(store.story_ids().unwrap(), ids);
    assert_eq!(store.channel(&newsroom()).unwrap().stories, ids);
    assert_eq!(store.channel(&newsroom()).unwrap().active, Some(StoryId(3)));
}

#[test]
fn with_fsync_large_sources_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        fsync: true,
        ..StoreOptions::default()
    };
    // Larger than sled's blob threshold (a quarter of a 512 KiB segment), so it goes to a
    // blob file, which the fsync path must sync as well.
    let big = "word ".repeat(60_000);
    let id = {
        let store = Store::open(dir.path(), options.clone()).unwrap();
        let id = create_story(&store);
        store
            .transact(|tx| tx.put_source(&source(id, 1, &big)))
            .unwrap();
        let blobs = std::fs::read_dir(dir.path().join("blobs")).unwrap().count();
        assert!(blobs > 0, "expected sled to write a blob file");
        assert!(store.stats().flushes >= 2);
        id
    };
    let store = Store::open(dir.path(), options).unwrap();
    assert_eq!(store.source(id, 1).unwrap().unwrap().text, big);
}

#[test]
fn flatten_turns_both_cases_into_the_callers_error() {
    #[derive(Debug)]
    enum Outer {
        Mine,
        Store(StoreError),
    }
    impl From<StoreError> for Outer {
        fn from(e: StoreError) -> Self {
            Outer::Store(e)
        }
    }
    assert!(matches!(
        TransactError::Aborted(Outer::Mine).flatten(),
        Outer::Mine
    ));
    assert!(matches!(
        TransactError::<Outer>::Store(StoreError::Reentrant { op: "story" }).flatten(),
        Outer::Store(StoreError::Reentrant { op: "story" })
    ));
}

/// The example of the module documentation, verbatim apart from its setup.
#[test]
fn transact_example_from_the_module_doc() {
    #[derive(Debug, thiserror::Error)]
    enum DeskError {
        #[error("there is no story {0}")]
        NoStory(StoryId),
        #[error("the store failed")]
        Store(#[from] TxError), // never seen in TransactError::Aborted
    }

    let (_dir, store) = fresh();
    let mut outcomes = Vec::new();
    for id in [create_story(&store), StoryId(42)] {
        let story = store.transact(|tx| -> Result<_, DeskError> {
            let mut story = tx.story(id)?.ok_or(DeskError::NoStory(id))?;
            story.title = "Meta scrambles over DeepSeek".to_string();
            story.version += 1;
            tx.put_story(&story)?;
            Ok(story)
        });
        outcomes.push(match story {
            Ok(story) => format!("saved {}", story.id),
            Err(TransactError::Aborted(e)) => e.to_string(),
            Err(TransactError::Store(e)) => format!("internal: {e}"),
        });
    }
    assert_eq!(outcomes, ["saved #1", "there is no story #42"]);
}

#[test]
fn a_sections_assisted_draft_is_replaced_and_read_back() {
    use crate::model::{Suggestion, SuggestionState};
    let draft = |number: u32, state: SuggestionState| Suggestion {
        story: StoryId(1),
        section: "body".into(),
        number,
        requested_by: alice(),
        requested_at: Timestamp(1_700_000_000_000),
        guidance: Some("lead with the cost".into()),
        drafter: "the extractive drafter".into(),
        state,
        text: "Four war rooms were set up.".into(),
        base: Some(2),
        alternatives: vec![],
        notes: vec!["copied from source 1".into()],
    };
    let (_dir, store) = fresh();
    let id = create_story(&store);
    assert_eq!(store.suggestion(id, "body").unwrap(), None);
    for (n, state) in [
        (1u32, SuggestionState::Drafting),
        (2, SuggestionState::Ready),
    ] {
        store
            .transact(|tx| -> Result<(), TestError> {
                assert_eq!(
                    tx.suggestion(id, "body")?.map(|s| s.number),
                    n.checked_sub(1).filter(|&p| p > 0)
                );
                tx.put_suggestion(&draft(n, state.clone()))?;
                Ok(())
            })
            .unwrap();
    }
    // A draft sits beside the section's revisions, never among them.
    assert!(store.revisions(id, "body").unwrap().is_empty());
    assert_eq!(store.suggestion(id, "title").unwrap(), None);
    assert_eq!(
        store.suggestion(StoryId(1), "body").unwrap(),
        Some(draft(2, SuggestionState::Ready))
    );
    let key = keys::suggestion(StoryId(1), "body").unwrap();
    write_raw(&store, &key, br#"{"v":9}"#);
    let err = store.suggestion(StoryId(1), "body").unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::UnsupportedVersion {
                kind: "suggestion",
                version: 9
            }
        ),
        "{err}"
    );
}
fn with_key(key: Option<SourceKey>) -> StoreOptions {
    StoreOptions {
        source_key: key,
        ..StoreOptions::default()
    }
}

/// Every byte of every file under `dir`, to look for plaintext.
fn raw_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(raw_bytes(&path));
        } else {
            out.extend(std::fs::read(&path).unwrap());
        }
    }
    out
}

#[test]
fn sources_are_sealed_at_rest_with_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = SourceKey::from_bytes([42; 32]);
    let secret = "The whistleblower works in the Menlo Park finance office.";
    {
        let store = Store::open(dir.path(), with_key(Some(key))).unwrap();
        assert!(store.seals_sources());
        store
            .transact(|tx| -> Result<(), TxError> {
                let id = tx.next_story_id()?;
                tx.put_story(&new_story(id))?;
                tx.put_source(&source(id, 1, secret))
            })
            .unwrap();
        assert_eq!(store.source(StoryId(1), 1).unwrap().unwrap().text, secret);
    }
    let haystack = raw_bytes(dir.path());
    assert!(
        !haystack
            .windows(12)
            .any(|w| w == b"whistleblow".as_slice() || w == b"Menlo Park f"),
        "the source text is on disk in the clear"
    );
    // The right key reads it after a restart.
    {
        let store = Store::open(dir.path(), with_key(Some(key))).unwrap();
        assert_eq!(store.source(StoryId(1), 1).unwrap().unwrap().text, secret);
    }
    // No key: refused at open (new sources would go to disk in clear), with what to set.
    let err = Store::open(dir.path(), with_key(None)).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Open {
                reason: OpenFailure::SourceKeyMissing,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("set STORYDESK_SOURCE_KEY"),
        "{err}"
    );
    // Looked at without a key (doctor): a clear error, never the ciphertext.
    {
        let store = Store::inspect(dir.path(), with_key(None)).unwrap();
        let err = store.source(StoryId(1), 1).unwrap_err().to_string();
        assert!(err.contains("STORYDESK_SOURCE_KEY"), "{err}");
        // Everything else still works.
        assert!(store.story(StoryId(1)).unwrap().is_some());
    }
    // A wrong key is refused when the store opens.
    let err = Store::open(dir.path(), with_key(Some(SourceKey::from_bytes([7; 32]))))
        .unwrap_err()
        .to_string();
    assert!(err.contains("not the key"), "{err}");
}

#[test]
fn plain_sources_stay_readable_after_a_key_is_set() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), with_key(None)).unwrap();
        store
            .transact(|tx| -> Result<(), TxError> {
                let id = tx.next_story_id()?;
                tx.put_story(&new_story(id))?;
                tx.put_source(&source(id, 1, "plain tip"))
            })
            .unwrap();
    }
    let store = Store::open(dir.path(), with_key(Some(SourceKey::from_bytes([1; 32])))).unwrap();
    assert_eq!(
        store.source(StoryId(1), 1).unwrap().unwrap().text,
        "plain tip"
    );
    store
        .transact(|tx| tx.put_source(&source(StoryId(1), 2, "sealed tip")))
        .unwrap();
    assert_eq!(
        store.source(StoryId(1), 2).unwrap().unwrap().text,
        "sealed tip"
    );
}

#[test]
fn a_version_one_source_record_reads_as_current() {
    let (_dir, store) = fresh();
    let key = keys::source(StoryId(3), 1);
    let v1 = br#"{"v":1,"story":3,"number":1,"label":"memo","added_by":{"id":"U1","name":"alice"},"at":5,"text":"old text"}"#;
    store.sled().stories.insert(&key, v1.as_slice()).unwrap();
    let s = store.source(StoryId(3), 1).unwrap().unwrap();
    assert_eq!((s.label.as_str(), s.text.as_str()), ("memo", "old text"));
}

#[test]
fn a_drafts_text_is_sealed_like_the_sources_it_comes_from() {
    use crate::model::{Suggestion, SuggestionState};
    let dir = tempfile::tempdir().unwrap();
    let key = SourceKey::from_bytes([7; 32]);
    let secret = "The whistleblower works in the Menlo Park finance office.";
    let draft = Suggestion {
        story: StoryId(1),
        section: "body".into(),
        number: 1,
        requested_by: alice(),
        requested_at: Timestamp(1_700_000_000_000),
        guidance: None,
        drafter: "the extractive drafter".into(),
        state: SuggestionState::Ready,
        text: secret.into(),
        alternatives: vec!["Menlo Park finance office".into()],
        notes: vec!["Extractive draft".into()],
        base: None,
    };
    {
        let store = Store::open(dir.path(), with_key(Some(key))).unwrap();
        store
            .transact(|tx| -> Result<(), TxError> {
                let id = tx.next_story_id()?;
                tx.put_story(&new_story(id))?;
                tx.put_suggestion(&draft)
            })
            .unwrap();
        assert_eq!(
            store.suggestion(StoryId(1), "body").unwrap(),
            Some(draft.clone())
        );
        let haystack = raw_bytes(dir.path());
        assert!(
            !haystack
                .windows(11)
                .any(|w| w == b"whistleblow" || w == b"Menlo Park "),
            "the draft is on disk in the clear"
        );
        // Purging a story's drafts leaves nothing to open.
        store
            .transact(|tx| -> Result<(), TxError> {
                assert!(tx.delete_suggestion(StoryId(1), "body")?);
                assert!(!tx.delete_suggestion(StoryId(1), "body")?);
                tx.put_suggestion(&draft)
            })
            .unwrap();
    }
    let store = Store::inspect(dir.path(), with_key(None)).unwrap();
    let err = store
        .suggestion(StoryId(1), "body")
        .unwrap_err()
        .to_string();
    assert!(err.contains("STORYDESK_SOURCE_KEY"), "{err}");
    assert!(!err.contains("whistleblower"));
}

#[test]
fn an_event_remembered_is_claimed_once() {
    let (_dir, store) = fresh();
    assert!(store
        .remember_event("discord:1", Timestamp(10), 1_000)
        .unwrap());
    assert!(!store
        .remember_event("discord:1", Timestamp(20), 1_000)
        .unwrap());
    assert!(store.event_seen("discord:1", Timestamp(30)).unwrap());
}

/// Transactions run on the writer lock against what earlier ones staged: concurrent
/// read-modify-writes of one record lose no update, and rounds carry many of them.
#[test]
fn concurrent_transactions_see_staged_changes_and_share_rounds() {
    let dir = tempfile::tempdir().unwrap();
    const THREADS: usize = 16;
    const EACH: usize = 40;
    {
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        let before = store.stats();
        std::thread::scope(|scope| {
            for t in 0..THREADS {
                let store = store.clone();
                scope.spawn(move || {
                    for n in 0..EACH {
                        store
                            .transact(|tx| -> Result<(), TxError> {
                                let count = tx
                                    .anchor("counter")?
                                    .and_then(|v| v.parse::<usize>().ok())
                                    .unwrap_or(0);
                                tx.put_anchor("counter", &(count + 1).to_string())?;
                                tx.put_anchor(&format!("t{t}/n{n}"), "x")?;
                                Ok(())
                            })
                            .unwrap();
                        // Answered means applied: a read outside the transaction sees it.
                        assert_eq!(
                            store.anchor(&format!("t{t}/n{n}")).unwrap().as_deref(),
                            Some("x")
                        );
                    }
                });
            }
        });
        assert_eq!(
            store.anchor("counter").unwrap(),
            Some((THREADS * EACH).to_string())
        );
        let after = store.stats();
        assert_eq!(
            after.transactions - before.transactions,
            (THREADS * EACH) as u64
        );
        assert!(after.flushes > before.flushes);
    }
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    assert!(matches!(store.integrity(), IntegrityCheck::Matched { .. }));
    assert_eq!(
        store.anchor("counter").unwrap(),
        Some((THREADS * EACH).to_string())
    );
}

/// A transaction's reads see its own writes, then staged ones; an aborted transaction
/// stages nothing.
#[test]
fn an_aborted_transaction_stages_nothing() {
    let (_dir, store) = fresh();
    let aborted = store.transact(|tx| -> Result<(), StoreError> {
        tx.put_anchor("a", "1")?;
        assert_eq!(tx.anchor("a")?.as_deref(), Some("1"));
        Err(StoreError::InTransaction)
    });
    assert!(matches!(aborted, Err(TransactError::Aborted(_))));
    assert_eq!(store.anchor("a").unwrap(), None);
    store
        .transact(|tx| -> Result<(), TxError> { tx.put_anchor("a", "2") })
        .unwrap();
    assert_eq!(store.anchor("a").unwrap().as_deref(), Some("2"));
}

/// Deleting a kept conflict moves the integrity record like any other removal.
#[test]
fn a_deleted_conflict_keeps_the_integrity_record_true() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        let id = create_story(&store);
        let conflict = KeptConflict {
            story: id,
            section: "body".into(),
            author: alice(),
            at: Timestamp(1),
            base: 1,
            latest: 2,
            text: "mine".into(),
        };
        store
            .transact(|tx| -> Result<(), TxError> { tx.put_conflict(&conflict) })
            .unwrap();
        let deleted = store
            .transact(|tx| -> Result<bool, TxError> { tx.delete_conflict(id, "body", &alice().id) })
            .unwrap();
        assert!(deleted);
    }
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    assert!(
        matches!(store.integrity(), IntegrityCheck::Matched { .. }),
        "{:?}",
        store.integrity()
    );
}

/// The reason a store was refused at open, or a panic when it opened.
fn refusal(dir: &Path, options: StoreOptions) -> OpenFailure {
    match Store::open(dir, options) {
        Err(StoreError::Open { reason, .. }) => reason,
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(_) => panic!("the store opened"),
    }
}

/// A store with two stories, closed.
fn two_stories(dir: &Path) {
    let store = Store::open(dir, StoreOptions::default()).unwrap();
    create_story(&store);
    create_story(&store);
}

#[test]
fn records_changed_removed_or_added_outside_the_store_are_found_at_open() {
    let dir = tempfile::tempdir().unwrap();
    two_stories(dir.path());
    {
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        assert!(matches!(
            store.integrity(),
            IntegrityCheck::Matched { records } if records > 4
        ));
    }
    let tamper = |f: &dyn Fn(&sled::Tree)| {
        let db = sled::open(dir.path()).unwrap();
        f(&db.open_tree(STORIES_TREE).unwrap());
        db.flush().unwrap();
    };
    let story_one = keys::story(StoryId(1));

    // A value changed: same counts, another digest.
    let original = {
        let db = sled::open(dir.path()).unwrap();
        db.open_tree(STORIES_TREE)
            .unwrap()
            .get(&story_one)
            .unwrap()
            .unwrap()
    };
    let mut edited = original.to_vec();
    let at = edited.len() - 2;
    edited[at] ^= 1;
    tamper(&|t| {
        t.insert(&story_one, edited.clone()).unwrap();
    });
    let OpenFailure::Damaged(why) = refusal(dir.path(), StoreOptions::default()) else {
        panic!("not reported as damaged");
    };
    assert!(why.contains("contents of some records differ"), "{why}");

    // Put back, it opens again; then removed: the count says which kind is short.
    tamper(&|t| {
        t.insert(&story_one, original.clone()).unwrap();
    });
    drop(Store::open(dir.path(), StoreOptions::default()).unwrap());
    tamper(&|t| {
        t.remove(&story_one).unwrap();
    });
    let failure = refusal(dir.path(), StoreOptions::default());
    let OpenFailure::Damaged(why) = &failure else {
        panic!("not reported as damaged: {failure}");
    };
    assert!(why.contains("1 stories where it counts 2"), "{why}");
    assert!(failure
        .to_string()
        .contains("storydesk --data NEW_DIR restore FILE"));

    // An added record is found too.
    tamper(&|t| {
        t.insert(&story_one, original.clone()).unwrap();
        t.insert(keys::anchor("planted"), b"{}".to_vec()).unwrap();
    });
    let OpenFailure::Damaged(why) = refusal(dir.path(), StoreOptions::default()) else {
        panic!("not reported as damaged");
    };
    assert!(why.contains("1 anchors where it counts 0"), "{why}");
}

#[test]
fn a_store_rolled_back_to_an_earlier_state_is_found_by_its_mark() {
    // What a `db` file cut short comes back as: an older state, consistent in itself.
    let dir = tempfile::tempdir().unwrap();
    let earlier = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        create_story(&store);
    }
    let copy = |from: &Path, to: &Path| {
        for name in ["db", "conf"] {
            std::fs::copy(from.join(name), to.join(name)).unwrap();
        }
    };
    copy(dir.path(), earlier.path());
    {
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        create_story(&store);
        create_story(&store);
    }
    copy(earlier.path(), dir.path());
    let _ = std::fs::remove_dir_all(dir.path().join("blobs"));
    let OpenFailure::Damaged(why) = refusal(dir.path(), StoreOptions::default()) else {
        panic!("not reported as damaged");
    };
    assert!(why.contains("changes it acknowledged are lost"), "{why}");

    // Without its mark, a store with an integrity record is refused as well.
    std::fs::remove_file(dir.path().join(integrity::MARK_FILE)).unwrap();
    let OpenFailure::Damaged(why) = refusal(dir.path(), StoreOptions::default()) else {
        panic!("not reported as damaged");
    };
    assert!(why.contains("integrity.mark is missing"), "{why}");
}

#[test]
fn a_store_from_an_older_build_gets_its_record_at_first_open() {
    let dir = tempfile::tempdir().unwrap();
    two_stories(dir.path());
    // As an older storydesk left it: no record, no mark.
    {
        let db = sled::open(dir.path()).unwrap();
        db.open_tree(STORIES_TREE)
            .unwrap()
            .remove(integrity::RECORD)
            .unwrap();
        db.flush().unwrap();
    }
    std::fs::remove_file(dir.path().join(integrity::MARK_FILE)).unwrap();
    {
        let store = Store::inspect(dir.path(), StoreOptions::default()).unwrap();
        assert_eq!(store.integrity(), IntegrityCheck::NotRecorded);
    }
    {
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        assert!(matches!(store.integrity(), IntegrityCheck::Computed { .. }));
        create_story(&store);
    }
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    assert!(matches!(store.integrity(), IntegrityCheck::Matched { .. }));
    assert_eq!(store.story_ids().unwrap().len(), 3);
    drop(store);

    // A record that disappears once the store has one is damage, not age.
    {
        let db = sled::open(dir.path()).unwrap();
        db.open_tree(STORIES_TREE)
            .unwrap()
            .remove(integrity::RECORD)
            .unwrap();
        db.flush().unwrap();
    }
    let OpenFailure::Damaged(why) = refusal(dir.path(), StoreOptions::default()) else {
        panic!("not reported as damaged");
    };
    assert!(why.contains("integrity record is gone"), "{why}");
}

#[test]
fn purges_and_claims_keep_the_record_true() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        for n in 0..300 {
            assert!(store
                .remember_event(&format!("slack:Ev{n}"), Timestamp(1_000), 10)
                .unwrap());
        }
        let id = create_story(&store);
        store
            .transact(|tx| -> Result<(), TxError> {
                tx.put_source(&source(id, 1, "tip"))?;
                assert!(tx.delete_source(id, 1)?);
                tx.put_source(&source(id, 2, "another tip"))
            })
            .unwrap();
        assert_eq!(store.purge_expired_events(Timestamp(2_000)).unwrap(), 300);
        assert!(store.sled().events.is_empty());
    }
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    assert!(matches!(store.integrity(), IntegrityCheck::Matched { .. }));
}

#[test]
fn a_sealed_store_stays_sealed_when_its_sealed_sources_are_gone() {
    let dir = tempfile::tempdir().unwrap();
    let key = SourceKey::from_bytes([5; 32]);
    {
        let store = Store::open(dir.path(), with_key(Some(key))).unwrap();
        let id = create_story(&store);
        store
            .transact(|tx| tx.put_source(&source(id, 1, "sealed tip")))
            .unwrap();
        store
            .transact(|tx| tx.delete_source(id, 1).map(|_| ()))
            .unwrap();
    }
    assert_eq!(
        refusal(dir.path(), with_key(None)),
        OpenFailure::SourceKeyMissing
    );
    // With the key it opens, and new sources are sealed.
    let store = Store::open(dir.path(), with_key(Some(key))).unwrap();
    assert!(store.has_sealed_sources().unwrap());
}

#[test]
fn a_directory_of_other_files_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"my notes").unwrap();
    std::fs::create_dir(dir.path().join("photos")).unwrap();
    let failure = refusal(dir.path(), StoreOptions::default());
    assert_eq!(failure, OpenFailure::NotAStore("notes.txt, photos".into()));
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["notes.txt", "photos"]);
    assert_eq!(
        std::fs::read(dir.path().join("notes.txt")).unwrap(),
        b"my notes"
    );

    // Empty, new, or holding only hidden files (a fresh volume's too): fine.
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join(".gitkeep"), b"").unwrap();
    std::fs::create_dir(empty.path().join("lost+found")).unwrap();
    drop(Store::open(empty.path(), StoreOptions::default()).unwrap());
    drop(Store::open(&empty.path().join("new"), StoreOptions::default()).unwrap());
    // And a store is a store, whatever else is beside it.
    std::fs::write(empty.path().join("notes.txt"), b"later").unwrap();
    drop(Store::open(empty.path(), StoreOptions::default()).unwrap());
}

#[test]
fn source_digests_round_trip_sealed_or_not_and_go_with_their_source() {
    use crate::checks::digest;
    let text = "The board met on 27 January 2025 and spent €5.5 million: “we will rebuild it”.";
    let digest = digest(text);
    assert!(!digest.words.is_empty() && !digest.values.is_empty());
    for key in [None, Some(SourceKey::from_bytes([9; 32]))] {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), with_key(key)).unwrap();
        let id = create_story(&store);
        store
            .transact(|tx| -> Result<_, StoreError> {
                tx.put_source(&source(id, 1, text))?;
                tx.put_source_digest(id, 1, &digest)?;
                Ok(())
            })
            .unwrap();
        assert_eq!(store.source_digest(id, 1).unwrap(), Some(digest.clone()));
        assert_eq!(store.source_digest(id, 2).unwrap(), None);
        // Sealed, the stored bytes hold none of the words' hashes.
        let raw = store_raw(&store, &keys::source_digest(id, 1));
        let first = digest.words[0].to_le_bytes();
        assert_eq!(
            raw.windows(8).any(|w| w == first),
            key.is_none(),
            "sealed: {}",
            key.is_some()
        );
        // Counted by the integrity record: the store reopens clean.
        drop(store);
        let store = Store::open(dir.path(), with_key(key)).unwrap();
        let deleted = store
            .transact(|tx| -> Result<_, StoreError> {
                tx.delete_source(id, 1)?;
                Ok(tx.delete_source_digest(id, 1)?)
            })
            .unwrap();
        assert!(deleted);
        assert_eq!(store.source_digest(id, 1).unwrap(), None);
        drop(store);
        Store::open(dir.path(), with_key(key)).unwrap();
    }
}

#[test]
fn a_damaged_or_newer_source_digest_is_refused_without_quoting_it() {
    let (_dir, store) = fresh();
    let id = create_story(&store);
    let key = keys::source_digest(id, 1);
    for (bytes, expect) in [
        (&b"{\"v\":1}"[..], "not a binary record"),
        (
            &[0, 0, 0, 0, 1, 0, 1, 5, 0, 0, 0][..],
            "cut short in the words",
        ),
        (&[0, 0, 0, 0, 1, 7][..], "neither plain nor sealed"),
    ] {
        write_raw(&store, &key, bytes);
        let err = store.source_digest(id, 1).unwrap_err().to_string();
        assert!(err.contains(expect), "{err}");
    }
    write_raw(&store, &key, &[0, 0, 0, 0, 2, 0]);
    assert!(matches!(
        store.source_digest(id, 1),
        Err(StoreError::UnsupportedVersion { version: 2, .. })
    ));
    // Sealed, but the store has no key.
    write_raw(&store, &key, &[0, 0, 0, 0, 1, 1, 1, 2, 3]);
    assert!(matches!(
        store.source_digest(id, 1),
        Err(StoreError::SourceSealed { .. })
    ));
}

/// The tests above that do not look at sled itself, run again with every store they open
/// on a fresh database of a throwaway PostgreSQL (`fresh`). The sled-only ones (the
/// integrity record and its mark, group commit, the data directory's lock, sled's trees)
/// are not here; `suite.rs` has more cases written for both engines.
#[test]
fn the_engine_independent_tests_pass_on_postgres() {
    let server = match crate::testing::TestPostgres::start() {
        Ok(Some(server)) => Arc::new(server),
        Ok(None) => return,
        Err(why) => panic!("{why}"),
    };
    let tests: &[(&str, fn())] = &[
        (
            "an_event_is_claimed_once_until_its_claim_expires",
            an_event_is_claimed_once_until_its_claim_expires,
        ),
        (
            "the_closures_own_error_passes_through_and_nothing_is_written",
            the_closures_own_error_passes_through_and_nothing_is_written,
        ),
        (
            "a_failed_tx_call_fails_the_transaction_even_if_the_closure_ignores_it",
            a_failed_tx_call_fails_the_transaction_even_if_the_closure_ignores_it,
        ),
        (
            "audit_entries_are_never_overwritten",
            audit_entries_are_never_overwritten,
        ),
        (
            "a_closure_may_use_store_error_as_its_error_type",
            a_closure_may_use_store_error_as_its_error_type,
        ),
        (
            "names_that_would_break_keys_are_refused",
            names_that_would_break_keys_are_refused,
        ),
        (
            "story_numbers_are_handed_out_in_order_and_listed",
            story_numbers_are_handed_out_in_order_and_listed,
        ),
        (
            "transact_example_from_the_module_doc",
            transact_example_from_the_module_doc,
        ),
        (
            "an_aborted_transaction_stages_nothing",
            an_aborted_transaction_stages_nothing,
        ),
        (
            "concurrent_writers_to_one_story_lose_no_revision",
            concurrent_writers_to_one_story_lose_no_revision,
        ),
        (
            "audit_entries_keep_their_data_and_first_format_sentences_still_read",
            audit_entries_keep_their_data_and_first_format_sentences_still_read,
        ),
        (
            "a_first_format_story_without_audit_entries_counts_zero",
            a_first_format_story_without_audit_entries_counts_zero,
        ),
        (
            "a_record_from_a_newer_storydesk_is_refused_with_advice",
            a_record_from_a_newer_storydesk_is_refused_with_advice,
        ),
        (
            "a_corrupt_record_is_reported_without_its_contents",
            a_corrupt_record_is_reported_without_its_contents,
        ),
        (
            "a_sections_assisted_draft_is_replaced_and_read_back",
            a_sections_assisted_draft_is_replaced_and_read_back,
        ),
        (
            "a_damaged_or_newer_source_digest_is_refused_without_quoting_it",
            a_damaged_or_newer_source_digest_is_refused_without_quoting_it,
        ),
        (
            "an_event_remembered_is_claimed_once",
            an_event_remembered_is_claimed_once,
        ),
        (
            "calling_the_store_inside_a_transaction_is_an_error_not_a_deadlock",
            calling_the_store_inside_a_transaction_is_an_error_not_a_deadlock,
        ),
    ];
    POSTGRES.with(|pg| *pg.borrow_mut() = Some(server.clone()));
    assert_eq!(fresh().1.engine(), "postgres");
    let mut failed = Vec::new();
    for (name, test) in tests {
        if std::panic::catch_unwind(test).is_err() {
            failed.push(*name);
        }
    }
    POSTGRES.with(|pg| *pg.borrow_mut() = None);
    assert!(
        failed.is_empty(),
        "failed on PostgreSQL: {failed:?}\n{}",
        server.log()
    );
}

#[test]
fn a_record_is_found_by_its_recorders_at_once_and_by_committed_reads_once_applied() {
    let (_dir, store) = fresh();
    let before = store.stats();
    // Hold the gate every round takes to apply its changes: nothing staged reaches sled.
    let gate = store
        .sled()
        .durability
        .gate
        .write()
        .unwrap_or_else(|e| e.into_inner());
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(|| {
            let recorded = store.record(|tx| tx.put_anchor("slack/board/T1/C1/1", "1.000100"));
            let _ = done.send(recorded.is_ok());
        });
        // `record` returns while its round cannot even be applied: it did not wait.
        let returned = finished.recv_timeout(std::time::Duration::from_secs(10));
        assert_eq!(returned, Ok(true), "record waited for its flush");
        let after = store.stats();
        assert_eq!(after.transactions, before.transactions + 1);
        assert_eq!(after.durable_writes, before.durable_writes);
        assert_eq!(
            store
                .anchor_as_recorded("slack/board/T1/C1/1")
                .unwrap()
                .as_deref(),
            Some("1.000100")
        );
        // Committed reads show nothing that could still be lost.
        assert_eq!(store.anchor("slack/board/T1/C1/1").unwrap(), None);
        drop(gate);
    });
    store.flush().unwrap();
    assert_eq!(
        store.anchor("slack/board/T1/C1/1").unwrap().as_deref(),
        Some("1.000100")
    );
}

#[test]
fn a_store_of_the_first_layout_is_raised_when_opened_for_use_and_not_when_inspected() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        create_story(&store);
        // As a build of the first layout left it (through a transaction, so the integrity
        // record stays true).
        store
            .transact(|tx| tx.put_setting(keys::SCHEMA, 1u32.to_be_bytes().to_vec()))
            .unwrap();
    }
    let schema = |store: &Store| store_raw(store, keys::SCHEMA);
    {
        let store = Store::inspect(dir.path(), StoreOptions::default()).unwrap();
        assert_eq!(schema(&store), 1u32.to_be_bytes());
    }
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    assert_eq!(schema(&store), SCHEMA_VERSION.to_be_bytes());
    assert_eq!(SCHEMA_VERSION, 2);
    assert_eq!(store.channel(&newsroom()).unwrap().stories, [StoryId(1)]);
}
