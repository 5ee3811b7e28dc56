//! A revision's checks against 200 sources of 1 MiB (the configured worst case), sealed at
//! rest, three ways side by side: the way the desk ran them before source digests (every
//! source read from the store, opened, and analysed again by `Checker::run`), with every
//! source's digest read in turn (`storydesk::desk::story_findings_from_digests`), and the
//! way it runs them now (`storydesk::desk::story_findings`: terms looked up in the story's
//! source index, only the digests it names read); and what adding one 1 MiB source costs,
//! with its digest and its index update. It also prints the index's size on disk and how
//! long building it again from the digests takes. The desk remembers where passages it
//! placed are in their sources, so every run after the first reads no source text (both
//! ways with digests); the first run after the sources were added is timed apart.
//!
//! Run: `cargo bench --bench sources_200`. The texts are generated from a fixed seed (news
//! prose of common words with figures, dates and quotations). Building the store takes a
//! minute or two and needs about 1.5 GB of disk in the temporary directory.

#[path = "support/prose.rs"]
mod prose;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use prose::Gen;
use storydesk::checks::{CheckedSection, Document, ReferenceEntry, SourceText};
use storydesk::config::{Config, Template};
use storydesk::desk::{story_findings, story_findings_from_digests, Desk, Input, Request};
use storydesk::model::{ChannelKey, Person, Place, Platform, Story, StoryId, Timestamp};
use storydesk::store::{SourceKey, Store, StoreOptions};

const SOURCES: usize = 200;
/// A little under `[limits] source_bytes` (1 MiB), so every source is accepted.
const SOURCE_BYTES: usize = (1 << 20) - 4096;

const WORDS: &[&str] = &[
    "the",
    "council",
    "said",
    "on",
    "a",
    "report",
    "that",
    "harbour",
    "board",
    "would",
    "new",
    "plan",
    "money",
    "from",
    "fund",
    "people",
    "town",
    "year",
    "week",
    "minister",
    "court",
    "police",
    "school",
    "hospital",
    "water",
    "road",
    "rail",
    "line",
    "price",
    "rate",
    "bank",
    "company",
    "workers",
    "union",
    "strike",
    "vote",
    "election",
    "party",
    "leader",
    "office",
    "public",
    "health",
    "service",
    "budget",
    "cost",
    "tax",
    "energy",
    "power",
    "storm",
    "flood",
    "wall",
    "sea",
    "river",
    "bridge",
    "station",
    "train",
    "bus",
    "city",
    "village",
    "farm",
    "crop",
    "field",
    "trial",
    "study",
    "data",
    "records",
    "patients",
    "doctors",
    "letters",
    "meeting",
    "minutes",
    "statement",
    "director",
    "engineers",
    "residents",
    "traders",
    "market",
    "street",
    "homes",
    "rent",
    "housing",
    "design",
    "works",
    "contract",
    "supplier",
    "account",
    "system",
    "access",
    "breach",
    "review",
    "inquiry",
    "evidence",
    "witness",
    "judge",
    "ruling",
    "appeal",
    "and",
    "but",
    "or",
    "because",
    "after",
    "before",
    "while",
    "when",
    "where",
    "which",
    "who",
    "has",
    "had",
    "was",
    "were",
    "is",
    "are",
    "will",
    "could",
    "should",
    "must",
    "may",
    "been",
    "not",
    "only",
    "also",
    "more",
    "less",
    "most",
    "many",
    "few",
    "several",
    "some",
    "every",
    "in",
    "at",
    "by",
    "for",
    "with",
    "over",
    "under",
    "between",
    "about",
    "against",
    "into",
    "asked",
    "agreed",
    "refused",
    "warned",
    "found",
    "expects",
    "planned",
    "approved",
    "rejected",
    "closed",
    "opened",
    "raised",
    "cut",
    "paid",
    "spent",
    "lost",
    "won",
    "built",
];

/// Twenty words from the middle of `text`: a passage for the article to copy.
fn passage(text: &str) -> String {
    let mut start = text.len() / 2;
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let start = text[..start].rfind(' ').map_or(0, |p| p + 1);
    text[start..]
        .split_whitespace()
        .take(20)
        .collect::<Vec<_>>()
        .join(" ")
}

struct Room {
    desk: Desk,
    clock: std::cell::Cell<i64>,
    _dir: tempfile::TempDir,
}

impl Room {
    fn say(&self, command: &str, body: Option<&str>) -> String {
        self.clock.set(self.clock.get() + 1_000);
        let reply = self.desk.handle(Request {
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
            at: Timestamp(self.clock.get()),
            input: Input::Text {
                text: command.into(),
                body: body.map(str::to_string),
            },
            event: None,
            story: None,
        });
        format!("{:?}", reply.posts.first().map(|p| &p.body))
    }
}

/// The checks as the desk ran them before source digests: every source read from the store
/// (and opened), then analysed with the sections by `Checker::run`.
fn findings_before(desk: &Desk, story: &Story) -> usize {
    let template = desk.story_template(story);
    let mut texts = Vec::new();
    for spec in &template.sections {
        let n = story.section(&spec.name).map_or(0, |s| s.revisions);
        let text = match n {
            0 => None,
            n => desk
                .store()
                .revision(story.id, &spec.name, n)
                .unwrap()
                .map(|r| r.text),
        };
        texts.push(text);
    }
    let sources: Vec<_> = story
        .sources
        .iter()
        .filter_map(|s| desk.store().source(story.id, s.number).unwrap())
        .collect();
    let source_texts: Vec<SourceText> = sources
        .iter()
        .map(|s| SourceText {
            number: s.number,
            label: &s.label,
            text: &s.text,
        })
        .collect();
    let doc = Document {
        sections: template
            .sections
            .iter()
            .zip(&texts)
            .map(|(spec, text)| CheckedSection {
                name: &spec.name,
                text: text.as_deref(),
                required: spec.required,
                min_chars: spec.min_chars,
                max_chars: spec.max_chars,
                file_lines: &[],
            })
            .collect(),
        references: ReferenceEntry::from_references(&story.references, story.style),
        references_section: "references",
        headings: Vec::new(),
        sources: &source_texts,
    };
    desk.checker().run(&doc).len()
}

fn bench_sources(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::from_overlay(
        Some("[roles]\neditors = [\"alice\"]\n[limits]\nsources_per_story = 1000\n"),
        "bench",
    )
    .unwrap();
    let options = StoreOptions {
        source_key: Some(SourceKey::from_bytes([7; 32])),
        ..StoreOptions::default()
    };
    let store = Store::open(dir.path(), options).unwrap();
    let room = Room {
        desk: Desk::try_new(store, config, Template::load("news").unwrap()).unwrap(),
        clock: std::cell::Cell::new(1_764_400_000_000),
        _dir: dir,
    };

    room.say(
        "/story new title:\"Harbour board approves the sea wall\"",
        None,
    );
    let mut g = Gen::new(0x5005_ce00_0000_0200, WORDS);
    let mut shared = Vec::new();
    for i in 0..SOURCES {
        let text = g.paragraphs_within(SOURCE_BYTES);
        if i % 67 == 13 {
            shared.push(passage(&text));
        }
        room.say(
            &format!("/story source add label:\"leak {i}\""),
            Some(&text),
        );
    }
    // A story of about 12 KiB, two passages of which come from the sources.
    let mut a = Gen::new(0x00a7_71c1_e5ee_d002, WORDS);
    let mut body = a.paragraphs_within(10 * 1024);
    for p in &shared[..2] {
        let at = body[..body.len() / 2].rfind("\n\n").map_or(0, |i| i + 2);
        body.insert_str(at, &format!("{p}\n\n"));
    }
    room.say(
        "/story write title",
        Some("Harbour board approves the sea wall plan"),
    );
    room.say("/story write introduction", Some(&a.paragraphs_within(600)));
    // And an amount and a quotation that no source has.
    body.push_str("\n\nThe works will cost €987.6 million, “the harbour zzyzx wall” said.");
    room.say("/story write body", Some(&body));
    room.say("/story write conclusion", Some(&a.paragraphs_within(400)));

    let story = room.desk.store().story(StoryId(1)).unwrap().unwrap();
    assert_eq!(story.sources.len(), SOURCES);
    let digests = story_findings_from_digests(&room.desk, &story).unwrap();
    let indexed = story_findings(&room.desk, &story).unwrap();
    // The work is real, and the same: the planted passages are found every way, and the
    // index gives exactly the findings of the digests.
    assert!(digests.iter().filter(|f| f.rule == "verbatim").count() >= 2);
    assert!(digests.iter().any(|f| f.rule == "unsourced"));
    assert_eq!(indexed, digests);
    assert_eq!(findings_before(&room.desk, &story), digests.len());
    eprintln!(
        "source index of {SOURCES} sources: {:.1} MB on disk; {} findings ({} verbatim, {} \
         unsourced)",
        room.desk.store().source_index_bytes(StoryId(1)) as f64 / 1e6,
        indexed.len(),
        indexed.iter().filter(|f| f.rule == "verbatim").count(),
        indexed.iter().filter(|f| f.rule == "unsourced").count(),
    );
    // Building it again from the digests (a lost or damaged index, a new replica's data
    // directory): once, during the first run of the checks after.
    room.desk.store().source_index_clear(StoryId(1)).unwrap();
    let t = std::time::Instant::now();
    assert_eq!(story_findings(&room.desk, &story).unwrap(), digests);
    eprintln!(
        "source index rebuilt from the digests in the first run: {:.2} s; {:.1} MB",
        t.elapsed().as_secs_f64(),
        room.desk.store().source_index_bytes(StoryId(1)) as f64 / 1e6
    );

    // A fresh desk on the same store: no passage placed yet, so this run reads the texts
    // of the two sources the passages are in.
    let fresh = Desk::try_new(
        room.desk.store().clone(),
        Config::from_overlay(
            Some("[roles]\neditors = [\"alice\"]\n[limits]\nsources_per_story = 1000\n"),
            "bench",
        )
        .unwrap(),
        Template::load("news").unwrap(),
    )
    .unwrap();
    let t = std::time::Instant::now();
    assert_eq!(story_findings(&fresh, &story).unwrap(), digests);
    eprintln!(
        "first indexed run of a fresh desk (passages placed from the texts): {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    drop(fresh);

    let mut group = c.benchmark_group("sources_200x1MiB");
    group.sample_size(10);
    group.bench_function("revision_checks_before_texts", |b| {
        b.iter(|| black_box(findings_before(&room.desk, &story)))
    });
    group.bench_function("revision_checks_digests_in_turn", |b| {
        b.iter(|| {
            black_box(
                story_findings_from_digests(&room.desk, &story)
                    .unwrap()
                    .len(),
            )
        })
    });
    group.bench_function("revision_checks_indexed", |b| {
        b.iter(|| black_box(story_findings(&room.desk, &story).unwrap().len()))
    });
    group.finish();

    // Adding one more 1 MiB source to a story that has 200: the digest alone, its index
    // terms alone, and the whole `/story source add` (normalising, sealing, writing source
    // and digest, flushing, then the index update with its merges as they fall due).
    let text = Gen::new(0x5005_ce00_0000_0fff, WORDS).paragraphs_within(SOURCE_BYTES);
    let mut group = c.benchmark_group("source_add_1MiB");
    group.sample_size(10);
    group.bench_function("digest_only", |b| {
        b.iter(|| black_box(storydesk::checks::digest(black_box(&text))))
    });
    let digest = storydesk::checks::digest(&text);
    let spec = room.desk.checker().index_spec();
    group.bench_function("index_terms_only", |b| {
        b.iter(|| black_box(storydesk::checks::index_terms(black_box(&digest), &spec)))
    });
    group.bench_function("source_add_with_digest_and_index", |b| {
        b.iter(|| black_box(room.say("/story source add label:more", Some(&text))))
    });
    group.finish();
    // The case the index leaves slow: a quotation of more than three words, shorter than a
    // verbatim passage, all of whose three-word runs occur in some source (with this small
    // vocabulary, almost any), is looked for in every digest until found.
    room.say(
        "/story write conclusion",
        Some("“The council said the report would plan” was the reply."),
    );
    let story = room.desk.store().story(StoryId(1)).unwrap().unwrap();
    let t = std::time::Instant::now();
    let slow = story_findings(&room.desk, &story).unwrap();
    let indexed_s = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    assert_eq!(
        story_findings_from_digests(&room.desk, &story).unwrap(),
        slow
    );
    eprintln!(
        "with a seven-word quotation in no source: indexed {indexed_s:.2} s, digests in turn \
         {:.2} s",
        t.elapsed().as_secs_f64()
    );
    eprintln!(
        "source index of {} sources: {:.1} MB on disk",
        story.sources.len(),
        room.desk.store().source_index_bytes(StoryId(1)) as f64 / 1e6
    );
}

criterion_group!(benches, bench_sources);
criterion_main!(benches);
