//! Corrections after publishing, as a newsroom conversation through the desk: refused
//! before publication, for non-editors, for a text that fails the checks, while another
//! waits; reviewed like any revision (not by its author); once approved, the published
//! article corrected with its Correction line, in the audit log, the history and the JSON
//! export.

mod common;

use common::{Newsroom, BODY, CONCLUSION, INTRO};
use insta::assert_snapshot;
use storydesk::desk::{Action, Body, Destination, Input};
use storydesk::model::{CitationStyle, CorrectionState, StoryId};

/// The corrected body: the figure's currency set right.
const CORRECTED: &str = "According to the memo, engineers in Meta's generative AI group have been asked to take the DeepSeek model apart.\n\nTwo of the four war rooms are working out how DeepSeek brought the cost of training down. In its technical report, DeepSeek says the final training run of V3 cost about 5.6 million dollars, a figure that leaves out earlier research.\n\nManagement is worried about justifying the cost of the generative AI organisation, the memo says, when a small lab trained a competitive model for a small share of what Meta spends.\n\nMeta did not respond to a request for comment.";

/// A story with every section written and approved by carol, not yet published.
fn approved() -> Newsroom {
    let mut n = Newsroom::new();
    n.say(
        "alice",
        r#"/story new title:"Meta scrambles over DeepSeek""#,
    );
    n.say_with("alice", "/story write intro", INTRO);
    n.say_with("bob", "/story write body", BODY);
    n.say_with("bob", "/story write conclusion", CONCLUSION);
    n.say(
        "bob",
        r#"/story ref add title:"Meta sets up war rooms to study DeepSeek" author:"Carey, B." date:2025-01-27 outlet:"The Information" url:https://www.theinformation.com/articles/meta-war-rooms"#,
    );
    for section in ["title", "intro", "body", "conclusion", "references"] {
        n.say("carol", &format!("/story approve {section}"));
    }
    n
}

/// [`approved`], published by erin.
fn published() -> Newsroom {
    let mut n = approved();
    let out = n.say("erin", "/story publish");
    assert!(out.contains("erin published story #1"), "{out}");
    n
}

#[test]
fn a_correction_is_refused_before_publication_and_to_non_editors() {
    let mut n = approved();
    assert_snapshot!(
        "refused_before_publication",
        n.say_with(
            "erin",
            r#"/story correct section:body note:"The cost was 5.6 million dollars.""#,
            CORRECTED
        )
    );
    n.say("erin", "/story publish");
    assert_snapshot!(
        "refused_to_a_non_editor",
        n.say_with(
            "bob",
            r#"/story correct section:body note:"The cost was 5.6 million dollars.""#,
            CORRECTED
        )
    );
    assert_snapshot!(
        "refused_for_references",
        n.say_with(
            "erin",
            r#"/story correct section:references note:"A link.""#,
            "- A reference."
        )
    );
    assert_snapshot!(
        "refused_for_an_unknown_section",
        n.say_with(
            "erin",
            r#"/story correct section:bodyy note:"x""#,
            CORRECTED
        )
    );
    // Nothing was recorded.
    let story = n.desk.story(StoryId(1)).unwrap().unwrap();
    assert!(story.published.as_ref().unwrap().corrections.is_empty());
    assert_eq!(story.section("body").unwrap().revisions, 1);
}

#[test]
fn a_correction_waits_until_the_whole_article_is_up() {
    let mut n = approved();
    // Published straight on the desk: nothing delivered the article yet.
    n.desk.handle(storydesk::desk::Request {
        actor: storydesk::model::Person::named("erin"),
        memberships: Default::default(),
        place: n.place(),
        at: storydesk::model::Timestamp(1_769_504_400_000 + 40 * 60_000),
        input: Input::Text {
            text: "/story publish".into(),
            body: None,
        },
        event: None,
        story: None,
    });
    assert_snapshot!(
        "refused_while_posting",
        n.say_with(
            "erin",
            r#"/story correct section:body note:"The cost.""#,
            CORRECTED
        )
    );
}

#[test]
fn a_correction_that_fails_the_checks_is_refused() {
    let mut n = published();
    let text = format!("{CORRECTED} The memo is dated TK.");
    assert_snapshot!(
        "refused_by_the_checks",
        n.say_with(
            "erin",
            r#"/story correct section:body note:"The memo's date.""#,
            &text
        )
    );
    let story = n.desk.story(StoryId(1)).unwrap().unwrap();
    assert!(story.published.unwrap().corrections.is_empty());
}

#[test]
fn an_approved_correction_corrects_the_published_article() {
    let mut n = published();
    assert_snapshot!(
        "proposed",
        n.say_with(
            "erin",
            r#"/story correct section:body note:"The training run cost 5.6 million dollars, not 5.5 million.""#,
            CORRECTED
        )
    );
    let approve = n.last_actions[0].clone();
    assert!(matches!(approve, Action::Approve { revision: 2, .. }));
    // One at a time per section.
    assert_snapshot!(
        "refused_while_one_waits",
        n.say_with("erin", r#"/story correct section:body note:"Again.""#, BODY)
    );
    // The article stays as published until the correction is approved.
    let preview = n.say("bob", "/story preview");
    assert!(preview.contains("5.5 million"), "{preview}");
    assert!(!preview.contains("Correction ("), "{preview}");
    // Its author cannot approve it.
    assert_snapshot!("own_approval", n.click("erin", &approve, None));
    assert_snapshot!("approved", n.click("bob", &approve, None));

    let story = n.desk.story(StoryId(1)).unwrap().unwrap();
    let p = story.published.clone().unwrap();
    assert_eq!(p.corrections.len(), 1);
    assert!(matches!(
        p.corrections[0].state,
        CorrectionState::Applied(_)
    ));
    assert_snapshot!(
        "history_of_body",
        n.say("bob", "/story history section:body")
    );
    let log = n.say("bob", "/story history");
    assert_snapshot!(
        "audit_tail",
        log.lines()
            .rev()
            .take(3)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The export carries the correction, and the article as corrected.
    let json = storydesk::export::export(
        &n.desk,
        &story,
        storydesk::export::Format::Json,
        CitationStyle::Apa,
    )
    .unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        value["corrections"][0]["note"],
        "The training run cost 5.6 million dollars, not 5.5 million."
    );
    assert_eq!(value["corrections"][0]["revision"], 2);
    assert_eq!(
        value["article"]["corrections"][0],
        "Correction (2026-01-27): The training run cost 5.6 million dollars, not 5.5 million."
    );
    assert!(value["article"]["parts"][1]["text"]
        .as_str()
        .unwrap()
        .contains("5.6 million"));
    assert!(value["audit"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["event"]["kind"] == "correction_applied"));
    // A second correction of another section adds its own line, after the first.
    n.say_with(
        "erin",
        r#"/story correct section:conclusion note:"The call is in April.""#,
        "Meta's leaders are expected to discuss what the war rooms found with investors at the April earnings call.",
    );
    let approve = n.last_actions[0].clone();
    let reply = n.request(
        "carol",
        {
            let (input, _) = approve.to_input(None);
            input
        },
        None,
        Some(StoryId(1)),
    );
    let article = reply
        .posts
        .iter()
        .find_map(|p| match (&p.to, &p.body) {
            (Destination::Correct { channel }, Body::Article(a)) if channel == "published" => {
                Some(a.markdown())
            }
            _ => None,
        })
        .expect("the corrected article goes to the published article");
    assert!(
        article.ends_with("Correction (2026-01-27): The training run cost 5.6 million dollars, not 5.5 million.\nCorrection (2026-01-27): The call is in April.\n"),
        "{article}"
    );
    assert!(article.contains("April earnings call"), "{article}");
}

#[test]
fn changes_asked_on_a_correction_leave_the_article_as_published() {
    let mut n = published();
    n.say_with(
        "erin",
        r#"/story correct section:body note:"The cost.""#,
        CORRECTED,
    );
    let changes = n.last_actions[1].clone();
    assert!(matches!(
        changes,
        Action::RequestChanges { revision: 2, .. }
    ));
    assert_snapshot!(
        "changes_requested",
        n.click(
            "bob",
            &changes,
            Some("Say where the new figure comes from.")
        )
    );
    let preview = n.say("bob", "/story preview");
    assert!(preview.contains("5.5 million"), "{preview}");
    // A plain approval of the turned-down text changes nothing.
    let approve = n.say("bob", "/story approve body");
    assert!(approve.contains("can no longer be changed"), "{approve}");
    // A new correction may follow.
    let again = n.say_with(
        "erin",
        r#"/story correct section:body note:"The cost, per the report.""#,
        CORRECTED,
    );
    assert!(again.contains("revision 3"), "{again}");
    let reply = n.request(
        "bob",
        Input::Text {
            text: "/story approve body revision:3".into(),
            body: None,
        },
        None,
        None,
    );
    let corrected = reply
        .posts
        .iter()
        .find_map(|p| match &p.to {
            Destination::Correct { .. } => Some(p.body.text()),
            _ => None,
        })
        .expect("the article is corrected");
    assert!(corrected.contains("5.6 million"), "{corrected}");
    assert!(
        corrected.ends_with("Correction (2026-01-27): The cost, per the report.\n"),
        "{corrected}"
    );
}
