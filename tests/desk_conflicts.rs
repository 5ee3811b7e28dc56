//! Two people editing one section at once: nothing anyone saved is silently overwritten.
//! Every message people see is in a snapshot.

mod common;

use common::Newsroom;
use insta::assert_snapshot;
use storydesk::assist::Assistant;
use storydesk::desk::Action;
use storydesk::model::StoryId;

const LEAD: &str = "Meta has set up four war rooms to study DeepSeek.";
const COST: &str = "The model cost about 5.5 million dollars to train.";
const COMMENT: &str = "Meta did not respond to a request for comment.";

fn body(lead: &str, cost: &str, comment: &str) -> String {
    format!("{lead}\n\n{cost}\n\n{comment}")
}

/// A story whose body bob wrote (revision 1), and that alice and bob both have open.
fn both_looking() -> Newsroom {
    let mut n = Newsroom::new();
    n.say(
        "alice",
        r#"/story new title:"Meta scrambles over DeepSeek""#,
    );
    n.say_with("bob", "/story write body", &body(LEAD, COST, COMMENT));
    n.say("alice", "/story show body");
    n
}

fn current(n: &Newsroom) -> String {
    let story = n.desk.store().story(StoryId(1)).unwrap().unwrap();
    let latest = story.section("body").unwrap().revisions;
    n.desk
        .store()
        .revision(StoryId(1), "body", latest)
        .unwrap()
        .unwrap()
        .text
}

fn revisions(n: &Newsroom) -> u32 {
    let story = n.desk.store().story(StoryId(1)).unwrap().unwrap();
    story.section("body").unwrap().revisions
}

#[test]
fn edits_in_different_paragraphs_merge() {
    let mut n = both_looking();
    n.say("bob", "/story show body");
    n.say_with(
        "bob",
        "/story write body",
        &body(
            "Meta has set up four war rooms of engineers to study DeepSeek V3.",
            COST,
            COMMENT,
        ),
    );
    // alice still has revision 1 open: her change of the last paragraph merges with bob's.
    assert_snapshot!(
        n.say_with("alice", "/story write body", &body(LEAD, COST, "Meta declined to comment.")),
        @r#"
    [#newsroom › body] alice wrote over body revision 1; merged with bob's revision 2. Nothing overlapped; the diff below is against the latest revision.
    [#newsroom › body] **body** revision 3 of #1 “Meta scrambles over DeepSeek” by alice · 26 words (+1 −6)

    … cost about 5.5 million dollars to train.

    Meta ~~did not respond~~ **declined** to ~~a request for~~ comment.

    Needs 1 approval from someone other than alice.
    [Approve] [Request changes]
    [#newsroom › body] **Checks on body revision 3**: 1 warning
    - warning: The body section has 144 characters; the template asks for at least 500. [section-too-short]
    [only alice] Saved. Note: body is 144 characters; the template asks for at least 500.
    "#
    );
    assert_eq!(
        current(&n),
        body(
            "Meta has set up four war rooms of engineers to study DeepSeek V3.",
            COST,
            "Meta declined to comment."
        )
    );
}

#[test]
fn edits_of_the_same_words_conflict_until_resolved_by_a_later_write() {
    let mut n = both_looking();
    n.say_with(
        "bob",
        "/story write body",
        &body(
            LEAD,
            "The model cost about 6 million dollars to train.",
            COMMENT,
        ),
    );
    let alices = body(
        LEAD,
        "The model cost about 5.6 million dollars to train, DeepSeek says.",
        COMMENT,
    );
    assert_snapshot!(n.say_with("alice", "/story write body", &alices), @r#"
    [only alice] Not saved: your text of **body** was written over an older revision, and bob's revision 2 changed the same passage. Nothing is lost: your text is kept until you write body again.

    **1.** Yours:
    > 5.6
    Revision 2:
    > 6

    **Resolve** opens the form with both versions of each passage between markers: keep what should stay, delete the marker lines, save. In the console: `/story write section:body resume:true`.
    [Resolve]
    "#);
    // Nothing of alice's is current; bob's figure stands, and the board says who is stuck.
    assert_eq!(revisions(&n), 2);
    assert_snapshot!(n.board(1), @r#"
    **Story #1: Meta scrambles over DeepSeek**
    ◔ **title** — in review · alice · rev 1 · 0/1 approvals
    ○ **introduction** — empty
    ◔ **body** — in review · bob · rev 2 · 0/1 approvals · ⚠ unresolved conflict: alice
    ○ **conclusion** — empty
    ○ **references** — empty
    0 sources · 0 references · style APA · 0/5 sections approved
    "#);
    assert_snapshot!(n.say("carol", "/story show body"), @r#"
    [only carol] **body** revision 2 by bob on 2026-01-27 09:04 UTC (in review)

    Meta has set up four war rooms to study DeepSeek.

    The model cost about 6 million dollars to train.

    Meta did not respond to a request for comment.

    **Unresolved conflicts** (kept, not current):
    - alice: written over revision 1, overlapping revision 2 (164 characters)
    Each is resolved by its writer's next `/story write section:body` (`resume:true` gives the text back).
    "#);
    assert_snapshot!(n.say("alice", "/story write section:body resume:true"), @r#"
    [only alice] Your kept text of **body**, merged with revision 2 (each overlap between markers: keep what should stay, delete the marker lines). Write it back with `/story write section:body`; it will be based on revision 2.

    Meta has set up four war rooms to study DeepSeek.

    <<<<<<< yours
    The model cost about 5.6 million dollars to train, DeepSeek says.
    =======
    The model cost about 6 million dollars to train, DeepSeek says.
    >>>>>>> revision 2 by bob

    Meta did not respond to a request for comment.
    "#);
    // Pasting it back with the markers still in is refused, and the text is kept.
    let marked = "<<<<<<< yours\nx\n=======\ny\n>>>>>>> revision 2 by bob";
    assert_snapshot!(n.say_with("alice", "/story write body", marked), @r#"
    [only alice] Not saved: your text of **body** still holds conflict markers (`<<<<<<< yours`, `=======`, `>>>>>>>`). Keep the version that should stay, delete the marker lines and save again. Nothing is lost: **Resolve** (or `/story write section:body resume:true`) gives your text back.
    [Resolve]
    "#);
    assert_eq!(revisions(&n), 2);
    assert!(n
        .say("alice", "/story write section:body resume:true")
        .contains(marked));
    // Her next write resolves it: resuming showed her revision 2, so it is based on it.
    let resolved = body(
        LEAD,
        "The model cost about 6 million dollars to train, DeepSeek says.",
        COMMENT,
    );
    n.say_with("alice", "/story write body", &resolved);
    assert_eq!(revisions(&n), 3);
    assert_eq!(current(&n), resolved);
    assert_snapshot!(n.board(1), @r#"
    **Story #1: Meta scrambles over DeepSeek**
    ◔ **title** — in review · alice · rev 1 · 0/1 approvals
    ○ **introduction** — empty
    ◔ **body** — in review · bob · rev 3 · 0/1 approvals
    ○ **conclusion** — empty
    ○ **references** — empty
    0 sources · 0 references · style APA · 0/5 sections approved
    "#);
    assert!(n
        .desk
        .store()
        .conflicts(StoryId(1), "body")
        .unwrap()
        .is_empty());
}

#[test]
fn the_resolve_button_gives_the_kept_text_back() {
    let mut n = both_looking();
    n.say_with(
        "bob",
        "/story write body",
        &body(
            LEAD,
            "The model cost about 6 million dollars to train.",
            COMMENT,
        ),
    );
    let alices = body(LEAD, "The model cost about 7 million dollars.", COMMENT);
    n.say_with("alice", "/story write body", &alices);
    let resolve = Action::ResolveConflict {
        story: StoryId(1),
        section: "body".into(),
    };
    let shown = n.click("alice", &resolve, None);
    assert!(
        shown.contains("<<<<<<< yours\nThe model cost about 7 million dollars."),
        "{shown}"
    );
    // Saved from the form, the click carries the text: a write over revision 2.
    let saved = n.click("alice", &resolve, Some("A resolved text."));
    assert!(saved.contains("**body** revision 3 of #1"), "{saved}");
    // Someone with nothing kept is told so.
    assert!(n
        .click("carol", &resolve, None)
        .contains("You have no kept text of body to resume."));
}

#[test]
fn a_submission_three_revisions_behind_merges_with_all_of_them() {
    let mut n = both_looking();
    for lead in [
        "Meta set up four war rooms to study DeepSeek.",
        "Meta set up four war rooms to study DeepSeek V3.",
        "Meta set up four war rooms of engineers to study DeepSeek V3.",
    ] {
        n.say_with("bob", "/story write body", &body(lead, COST, COMMENT));
    }
    let said = n.say_with(
        "alice",
        "/story write body base:1",
        &body(LEAD, COST, "Meta declined to comment."),
    );
    assert!(
        said.contains("alice wrote over body revision 1; merged with revisions 2–4 (bob)."),
        "{said}"
    );
    assert_eq!(
        current(&n),
        body(
            "Meta set up four war rooms of engineers to study DeepSeek V3.",
            COST,
            "Meta declined to comment."
        )
    );
    // A base that does not exist yet is refused.
    assert!(n
        .say_with("alice", "/story write section:body base:9", "Text.")
        .contains("There is no body revision 9 to write over; the latest is revision 5."));
}

#[test]
fn accepting_a_draft_asked_for_over_an_older_revision_does_not_replace_newer_text() {
    let mut n = both_looking();
    n.say_with(
        "alice",
        r#"/story source add label:memo"#,
        &format!(
            "{}\n\n{}\n\n{}",
            common::INTRO,
            common::BODY,
            common::CONCLUSION
        ),
    );
    n.say("alice", "/story draft body");
    let extractive = Assistant::from_config(&storydesk::config::Config::defaults().assist).unwrap();
    n.write_drafts(&extractive);
    // bob saves after the draft was asked for; accepting it now would erase his revision.
    n.say_with(
        "bob",
        "/story write body",
        &body(
            LEAD,
            "The model cost about 6 million dollars to train.",
            COMMENT,
        ),
    );
    let said = n.say("alice", "/story draft accept body");
    assert!(
        said.contains("Not saved: your text of **body** was written over an older revision"),
        "{said}"
    );
    assert_eq!(revisions(&n), 2);
    assert!(current(&n).contains("6 million"));
}

/// Like [`both_looking`], with this config overlay.
fn both_looking_with(overlay: &str) -> Newsroom {
    let mut n = Newsroom::with_config(&format!("[roles]\neditors = [\"erin\"]\n{overlay}"));
    n.say(
        "alice",
        r#"/story new title:"Meta scrambles over DeepSeek""#,
    );
    n.say_with("bob", "/story write body", &body(LEAD, COST, COMMENT));
    n.say("alice", "/story show body");
    n
}

const LONGER_LEAD: &str =
    "Meta has set up four war rooms of engineers, each led by a director, to study DeepSeek V3.";
const LONGER_COMMENT: &str =
    "Meta did not respond to a request for comment sent on Monday morning to its press office.";

#[test]
fn a_merge_over_the_section_byte_limit_is_kept_not_saved() {
    // Each text alone fits in 220 bytes; both additions together do not.
    let mut n = both_looking_with("[limits]\nsection_bytes = 220\n");
    let bobs = body(LONGER_LEAD, COST, COMMENT);
    let alices = body(LEAD, COST, LONGER_COMMENT);
    assert!(bobs.len() <= 220 && alices.len() <= 220);
    n.say_with("bob", "/story write body", &bobs);
    assert_snapshot!(n.say_with("alice", "/story write body", &alices), @r#"
    [only alice] Not saved: your text of **body** was written over an older revision; merged with bob's revision 2, it would be 233 bytes; the limit is 220 bytes ([limits] section_bytes). Nothing is lost: your text is kept until you write body again.

    **Resolve** opens the form with your text merged with revision 2: shorten it and save. In the console: `/story write section:body resume:true`.
    [Resolve]
    "#);
    // Nothing over the limit is current; bob's revision stands and alice's text is kept.
    assert_eq!(revisions(&n), 2);
    assert_eq!(current(&n), bobs);
    let kept = n.desk.store().conflicts(StoryId(1), "body").unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].text, alices);
    // Resuming gives the merge back, to shorten.
    let resumed = n.say("alice", "/story write section:body resume:true");
    assert!(
        resumed.contains(&body(LONGER_LEAD, COST, LONGER_COMMENT)),
        "{resumed}"
    );
}

#[test]
fn a_merge_over_the_template_length_is_kept_not_saved() {
    let mut n = Newsroom::new();
    n.say(
        "alice",
        r#"/story new title:"Meta scrambles over DeepSeek""#,
    );
    // The intro allows 1200 characters: two paragraphs of 550 each, then one grows on each side.
    let a = "a".repeat(500);
    let b = "b".repeat(500);
    n.say_with("bob", "/story write intro", &format!("{a}\n\n{b}"));
    n.say("alice", "/story show intro");
    n.say("bob", "/story show intro");
    let bobs = format!("{a} and more from bob, {}\n\n{b}", "x".repeat(150));
    let alices = format!("{a}\n\n{b} and more from alice, {}", "y".repeat(150));
    n.say_with("bob", "/story write intro", &bobs);
    assert_snapshot!(n.say_with("alice", "/story write intro", &alices), @r#"
    [only alice] Not saved: your text of **introduction** was written over an older revision; merged with bob's revision 2, it would be 1344 characters; the template allows at most 1200. Nothing is lost: your text is kept until you write introduction again.

    **Resolve** opens the form with your text merged with revision 2: shorten it and save. In the console: `/story write section:introduction resume:true`.
    [Resolve]
    "#);
    let story = n.desk.store().story(StoryId(1)).unwrap().unwrap();
    assert_eq!(story.section("introduction").unwrap().revisions, 2);
}
