//! Where the checks show up on the desk: a section's review thread gets its findings when a
//! revision is posted, `/story check` lists them by section, and `/story publish` refuses
//! while an error stands unless an editor overrides it with a reason the audit log keeps.

use storydesk::config::{Config, Template};
use storydesk::desk::{Body, Desk, Destination, Input, Reply, Request, ThreadKind};
use storydesk::model::{ChannelKey, Person, Place, Platform, Timestamp};
use storydesk::store::{Store, StoreOptions};

struct Newsroom {
    desk: Desk,
    _dir: tempfile::TempDir,
    clock: std::cell::Cell<i64>,
}

impl Newsroom {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::from_overlay(Some("[roles]\neditors = [\"erin\"]\n"), "test").unwrap();
        let template = Template::load("news").unwrap();
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        Newsroom {
            desk: Desk::try_new(store, config, template).unwrap(),
            _dir: dir,
            clock: std::cell::Cell::new(1_764_400_000_000),
        }
    }

    /// `who` types `command` in #newsroom, with `body` as the long text.
    fn say(&self, who: &str, command: &str, body: Option<&str>) -> Reply {
        self.clock.set(self.clock.get() + 60_000);
        self.desk.handle(Request {
            actor: Person::named(who),
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
        })
    }
}

/// The text of the posts that went to a section's thread.
fn thread_posts(reply: &Reply, section: &str) -> Vec<String> {
    reply
        .posts
        .iter()
        .filter(|p| {
            matches!(&p.to, Destination::Thread { thread: ThreadKind::Section(s), .. } if s == section)
        })
        .map(|p| p.body.text())
        .collect()
}

fn to_requester(reply: &Reply) -> String {
    reply
        .posts
        .iter()
        .filter(|p| p.to == Destination::Requester)
        .map(|p| p.body.text())
        .collect::<Vec<_>>()
        .join("\n")
}

const MEMO: &str = "To: Generative AI leadership\nSubject: Response to DeepSeek V3\n\nEngineers in the generative AI group have been asked to take apart DeepSeek V3 and copy anything we can from it.\nManagement is worried about justifying the cost of the generative AI organisation when a small lab trained a competitive model for about 5.5 million dollars.\nFour war rooms have been set up, two of them to work out how the training cost was brought down.\n";

const INTRO: &str = "Meta has set up four war rooms of engineers to study DeepSeek V3, according to an internal memo seen by reporters, after the lab trained a rival model for a fraction of the cost.";

const BODY_WITH_LEAK: &str = "According to the memo, engineers have been asked to take the model apart.\n\nManagement is worried about justifying the cost of the generative AI organisation when a small lab trained a competitive model for far less.\n\nTwo of the four war rooms are studying how DeepSeek brought its training cost down to about 5.5 million dollars, a figure that leaves out earlier research and experiments.\n\nMeta did not respond to a request for comment before publication, and a spokesperson for DeepSeek declined to comment.";

const BODY_CLEAN: &str = "According to the memo, engineers have been asked to take the model apart.\n\nThe memo says managers fear they cannot justify what the generative AI group costs, now that a small lab has trained a competitive model for far less.\n\nTwo of the four war rooms are studying how DeepSeek brought its training cost down to about 5.5 million dollars, a figure that leaves out earlier research and experiments.\n\nMeta did not respond to a request for comment before publication, and a spokesperson for DeepSeek declined to comment.";

/// A story with a source, every section written and approved; the introduction carries a
/// TK and the body a passage copied from the memo.
fn story_with_problems(n: &Newsroom) -> Vec<Reply> {
    let mut replies = Vec::new();
    n.say(
        "alice",
        "/story new title:\"Meta scrambles over DeepSeek\"",
        None,
    );
    n.say(
        "alice",
        "/story source add label:\"internal memo\"",
        Some(MEMO),
    );
    n.say(
        "alice",
        "/story write title",
        Some("Meta scrambles to study DeepSeek's cheap model"),
    );
    replies.push(n.say(
        "alice",
        "/story write intro",
        Some(&format!("{INTRO} The memo is dated TK.")),
    ));
    replies.push(n.say("bob", "/story write body", Some(BODY_WITH_LEAK)));
    n.say(
        "bob",
        "/story write conclusion",
        Some("Meta's leaders are expected to discuss what the war rooms found with investors."),
    );
    replies.push(n.say(
        "bob",
        "/story ref add title:\"Meta sets up war rooms to study DeepSeek\" author:\"Carey, B.\" date:2025-01-27 outlet:\"The Information\"",
        None,
    ));
    replies
}

fn approve_all(n: &Newsroom) {
    for section in ["title", "introduction", "body", "conclusion", "references"] {
        let r = n.say("carol", &format!("/story approve {section}"), None);
        assert!(
            !r.posts.iter().any(|p| matches!(p.body, Body::Problem(_))),
            "{r:?}"
        );
    }
}

#[test]
fn review_threads_get_their_sections_findings() {
    let n = Newsroom::new();
    let replies = story_with_problems(&n);
    let intro = thread_posts(&replies[0], "introduction");
    assert_eq!(intro.len(), 2, "{intro:#?}");
    insta::assert_snapshot!("intro_thread_findings", intro[1]);
    let body = thread_posts(&replies[1], "body");
    assert_eq!(body.len(), 2, "{body:#?}");
    insta::assert_snapshot!("body_thread_findings", body[1]);
    let refs = thread_posts(&replies[2], "references");
    assert_eq!(refs.len(), 2, "{refs:#?}");
    insta::assert_snapshot!("references_thread_findings", refs[1]);
    // A clean revision gets no findings post.
    let clean = n.say("bob", "/story write body", Some(BODY_CLEAN));
    assert_eq!(thread_posts(&clean, "body").len(), 1);
}

#[test]
fn story_check_lists_findings_by_section() {
    let n = Newsroom::new();
    story_with_problems(&n);
    let report = to_requester(&n.say("carol", "/story check", None));
    insta::assert_snapshot!("check_report", report);
}

#[test]
fn a_source_kept_before_digests_is_checked_from_its_text_and_gets_its_digest() {
    use storydesk::model::StoryId;
    let n = Newsroom::new();
    story_with_problems(&n);
    let store = n.desk.store();
    let report = to_requester(&n.say("carol", "/story check", None));
    assert!(report.contains("word for word"), "{report}");
    let kept = store.source_digest(StoryId(1), 1).unwrap();
    assert!(kept.is_some(), "the digest was written with the source");
    // As a source stored by an earlier storydesk: no digest.
    store
        .transact(|tx| -> Result<_, storydesk::store::StoreError> {
            Ok(tx.delete_source_digest(StoryId(1), 1)?)
        })
        .unwrap();
    assert_eq!(to_requester(&n.say("carol", "/story check", None)), report);
    assert_eq!(store.source_digest(StoryId(1), 1).unwrap(), kept);
    assert_eq!(to_requester(&n.say("carol", "/story check", None)), report);
}

#[test]
fn publish_refuses_on_errors_until_an_editor_overrides_with_a_reason() {
    let n = Newsroom::new();
    story_with_problems(&n);
    approve_all(&n);
    let refused = n.say("erin", "/story publish", None);
    assert!(refused.posts.iter().all(|p| p.to == Destination::Requester));
    insta::assert_snapshot!("publish_refused", to_requester(&refused));

    // Only an editor may publish, override or not.
    let not_editor = n.say("carol", "/story publish override:\"deadline\"", None);
    assert!(to_requester(&not_editor).contains("Only editors can publish"));

    let published = n.say(
        "erin",
        "/story publish override:\"the date is confirmed by phone; TK is in a quote we keep\"",
        None,
    );
    assert!(
        published
            .posts
            .iter()
            .any(|p| matches!(p.to, Destination::Publish { .. })),
        "{published:?}"
    );
    let log = to_requester(&n.say("erin", "/story history", None));
    let line = log
        .lines()
        .find(|l| l.contains("published to"))
        .expect("the audit log records the publication");
    assert!(
        line.ends_with("erin published to #published overriding 1 check error (placeholder-tk) (reason: the date is confirmed by phone; TK is in a quote we keep)"),
        "{line}"
    );
}

#[test]
fn publish_goes_through_when_only_warnings_stand() {
    let n = Newsroom::new();
    story_with_problems(&n);
    n.say("alice", "/story write intro", Some(INTRO));
    approve_all(&n);
    let published = n.say("erin", "/story publish", None);
    assert!(
        published
            .posts
            .iter()
            .any(|p| matches!(p.to, Destination::Publish { .. })),
        "{published:?}"
    );
    let log = to_requester(&n.say("erin", "/story history", None));
    assert!(
        log.lines()
            .any(|l| l.ends_with("erin published to #published")),
        "{log}"
    );
}

/// A body with a heading of its own, a second headline and a reference list pasted into it.
const BODY_WITH_HEADINGS: &str = "According to the memo, engineers have been asked to take the model apart.\n\n# A second headline\n\nThe memo says managers fear they cannot justify what the generative AI group costs, now that a small lab has trained a competitive model for far less.\n\n## References\n\nTwo of the four war rooms are studying how DeepSeek brought its training cost down to about 5.5 million dollars, a figure that leaves out earlier research and experiments.\n\nMeta did not respond to a request for comment before publication, and a spokesperson for DeepSeek declined to comment.";

#[test]
fn the_desk_and_the_command_line_find_the_same_in_the_same_article() {
    let n = Newsroom::new();
    n.say(
        "alice",
        "/story new title:\"Meta scrambles over DeepSeek\"",
        None,
    );
    n.say(
        "alice",
        "/story write title",
        Some("Meta scrambles to study DeepSeek's cheap model"),
    );
    n.say("alice", "/story write intro", Some(INTRO));
    n.say("bob", "/story write body", Some(BODY_WITH_HEADINGS));
    n.say(
        "bob",
        "/story write conclusion",
        Some("Meta's leaders are expected to discuss what the war rooms found with investors."),
    );
    n.say(
        "bob",
        "/story ref add title:\"Meta sets up war rooms to study DeepSeek\" author:\"Carey, B.\" date:2025-01-27 outlet:\"The Information\" url:https://example.org/war-rooms",
        None,
    );
    let report = to_requester(&n.say("carol", "/story check", None));
    insta::assert_snapshot!(report, @r"
    **Checks for story #1 “Meta scrambles to study DeepSeek's cheap model”**: 2 warnings
    **body**
    - warning (line 3, column 1): “# A second headline” is a second headline inside the body: the title is the article's one headline; make this a subheading (## ) or delete it. [heading-second-headline]
    - warning (line 7, column 1): “## References” starts a reference list inside the body: references belong in the references section (/story ref add); take the list out of this section. [heading-references-in-text]
    ");

    // The same story as a file, read back by `storydesk check`: the same findings.
    let desk = &n.desk;
    let story = desk
        .store()
        .story(storydesk::model::StoryId(1))
        .unwrap()
        .unwrap();
    let md = storydesk::export::export(
        desk,
        &story,
        storydesk::export::Format::Markdown,
        story.style,
    )
    .unwrap();
    let file = storydesk::checks::markdown::parse(&md, desk.template());
    let from_file = desk.checker().run(&file.document(desk.template(), &[]));
    let from_desk = storydesk::desk::story_findings(desk, &story).unwrap();
    let key =
        |f: &storydesk::checks::Finding| (f.rule.clone(), f.section.clone(), f.message.clone());
    assert_eq!(
        from_file.iter().map(key).collect::<Vec<_>>(),
        from_desk.iter().map(key).collect::<Vec<_>>(),
        "{md}"
    );
}
