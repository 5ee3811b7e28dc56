//! The desk's speed on a store holding 10,000 stories × 5 sections × 10 revisions.
//!
//! Run: `cargo bench --bench desk`. The store is built once into
//! `target/bench-data/desk-10k` (about a minute) and reused by later runs.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use storydesk::config::{Config, Template};
use storydesk::desk::{assemble, render_board, Desk, Input, Request};
use storydesk::model::{
    ChannelKey, CitationStyle, PartialDate, Person, Place, Platform, Reference, ReferenceKind,
    Revision, Section, Story, StoryId, Timestamp,
};
use storydesk::store::{Store, StoreOptions, TxError};
use storydesk::text::diff::word_diff;

const STORIES: u64 = 10_000;
const REVISIONS: u32 = 10;
const SECTIONS: [&str; 5] = ["title", "introduction", "body", "conclusion", "references"];

fn channel() -> ChannelKey {
    ChannelKey {
        platform: Platform::Console,
        team: "local".into(),
        channel: "newsroom".into(),
    }
}

/// A paragraph of plausible news prose, different for each seed.
fn prose(seed: u64, bytes: usize) -> String {
    const WORDS: &[&str] = &[
        "the",
        "memo",
        "engineers",
        "said",
        "cost",
        "training",
        "model",
        "Meta",
        "DeepSeek",
        "war",
        "rooms",
        "according",
        "to",
        "investors",
        "report",
        "figure",
        "million",
        "dollars",
        "on",
        "Monday",
        "company",
        "spokesperson",
        "declined",
        "comment",
        "in",
        "a",
        "statement",
    ];
    let mut out = String::with_capacity(bytes + 16);
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut n = 0;
    while out.len() < bytes {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.push_str(WORDS[(x >> 33) as usize % WORDS.len()]);
        n += 1;
        out.push_str(if n % 14 == 0 { ". " } else { " " });
        if n % 90 == 0 {
            out.push_str("\n\n");
        }
    }
    out
}

fn section_bytes(section: &str) -> usize {
    match section {
        "title" => 60,
        "introduction" => 400,
        "body" => 3000,
        "conclusion" => 250,
        _ => 600,
    }
}

/// Build (or reuse) the 10k-story store.
fn bench_store() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/desk-10k");
    let done = dir.join("complete");
    if done.exists() {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open(&dir, StoreOptions::default()).unwrap();
    let author = Person::named("bob");
    for i in 0..STORIES {
        store
            .transact(|tx| -> Result<(), TxError> {
                let id = tx.next_story_id()?;
                let mut story = Story {
                    id,
                    title: format!("Story number {i}"),
                    home: channel(),
                    created_by: author.clone(),
                    created_at: Timestamp(0),
                    template: "news".into(),
                    sections: SECTIONS.iter().map(|s| Section::new(s)).collect(),
                    sources: Vec::new(),
                    references: Vec::new(),
                    style: CitationStyle::Apa,
                    published: None,
                    audit_len: 0,
                    version: 1,
                    timing: Default::default(),
                };
                for s in &mut story.sections {
                    s.revisions = REVISIONS;
                    s.owner = Some(author.clone());
                    for n in 1..=REVISIONS {
                        tx.put_revision(&Revision {
                            story: id,
                            section: s.name.clone(),
                            number: n,
                            parent: (n > 1).then_some(n - 1),
                            author: author.clone(),
                            at: Timestamp(0),
                            text: prose(i * 100 + n as u64, section_bytes(&s.name)),
                            assisted: false,
                        })?;
                    }
                }
                tx.put_story(&story)?;
                tx.start_in_channel(&channel(), id, &author)?;
                Ok(())
            })
            .unwrap();
    }
    add_big_story(&store);
    store.flush().unwrap();
    drop(store);
    std::fs::write(&done, b"").unwrap();
    dir
}

/// The story with a 50 KiB article and 20 references, as story number `STORIES + 1`.
fn add_big_story(store: &Store) {
    let id = StoryId(STORIES + 1);
    let author = Person::named("bob");
    store
        .transact(|tx| -> Result<(), TxError> {
            assert_eq!(tx.next_story_id()?, id);
            let mut story = tx.story(StoryId(1))?.unwrap();
            story.id = id;
            story.references = (0..20)
                .map(|i| Reference {
                    number: i + 1,
                    author: Some(format!("Reporter{i}, A.")),
                    date: Some(PartialDate {
                        year: 2025,
                        month: Some(1),
                        day: Some(1 + i as u8),
                    }),
                    title: format!("A report on the memo, part {i}"),
                    translated: None,
                    outlet: Some("The Daily Example".into()),
                    url: Some(format!("https://example.com/report/{i}")),
                    kind: ReferenceKind::News,
                    offline: false,
                })
                .collect();
            for s in &mut story.sections {
                s.revisions = 1;
                let bytes = match s.name.as_str() {
                    "body" => 46_000,
                    other => section_bytes(other),
                };
                tx.put_revision(&Revision {
                    story: id,
                    section: s.name.clone(),
                    number: 1,
                    parent: None,
                    author: author.clone(),
                    at: Timestamp(0),
                    text: prose(7, bytes),
                    assisted: false,
                })?;
            }
            tx.put_story(&story)?;
            Ok(())
        })
        .unwrap();
}

fn desk_on(dir: &Path) -> Desk {
    let config = Config::from_overlay(Some("[roles]\neditors = [\"erin\"]\n"), "bench").unwrap();
    let template = Template::load("news").unwrap();
    let store = Store::open(dir, StoreOptions::default()).unwrap();
    Desk::new(store, config, template)
}

fn benches(c: &mut Criterion) {
    let dir = bench_store();
    let desk = desk_on(&dir);

    let mut n = 0u64;
    c.bench_function("write a revision (flushed, through the desk)", |b| {
        b.iter(|| {
            n += 1;
            let reply = desk.handle(Request {
                actor: Person::named("carol"),
                memberships: Default::default(),
                place: Place {
                    channel: channel(),
                    thread: None,
                },
                at: Timestamp::now(),
                input: Input::Text {
                    text: "/story write conclusion".into(),
                    body: Some(format!(
                        "Meta's leaders are expected to discuss the findings with investors, revision {n}."
                    )),
                },
                event: None,
                story: None,
            });
            assert!(!reply.posts.is_empty());
        })
    });

    let story = desk.store().story(StoryId(5_000)).unwrap().unwrap();
    c.bench_function("render the board", |b| b.iter(|| render_board(&story, 1)));
    c.bench_function("load a story and render its board", |b| {
        b.iter(|| {
            let story = desk.store().story(StoryId(5_001)).unwrap().unwrap();
            render_board(&story, 1)
        })
    });

    // A 50 KiB article with 20 references, assembled from the store.
    let big = desk.store().story(StoryId(STORIES + 1)).unwrap().unwrap();
    let article = assemble(&desk, &big, CitationStyle::Apa, false).unwrap();
    assert!(
        article.markdown().len() > 50 * 1024 - 4096,
        "{}",
        article.markdown().len()
    );
    c.bench_function("assemble a 50 KiB article with 20 references", |b| {
        b.iter(|| assemble(&desk, &big, CitationStyle::Apa, false).unwrap())
    });

    let old = prose(11, 10 * 1024);
    let new = {
        let mut words: Vec<&str> = old.split(' ').collect();
        for i in (0..words.len()).step_by(37) {
            words[i] = "changed";
        }
        words.join(" ")
    };
    c.bench_function("diff two 10 KiB revisions (and render)", |b| {
        b.iter_batched(
            || (old.clone(), new.clone()),
            |(a, b)| word_diff(&a, &b).render_markdown(Some(8)),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(desk, benches);
criterion_main!(desk);
