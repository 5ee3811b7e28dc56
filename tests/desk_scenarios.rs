//! The workflow through the desk's API, as a newsroom conversation. Every message people
//! see is in a snapshot.

mod common;

use common::{Newsroom, BODY, CONCLUSION, INTRO};
use insta::assert_snapshot;
use storydesk::desk::{Action, Input};
use storydesk::model::StoryId;

/// A story with every section written, by alice (title, introduction), bob (body,
/// conclusion) and bob (one reference).
fn drafted() -> Newsroom {
    drafted_with("[roles]\neditors = [\"erin\"]\n")
}

/// [`drafted`] in a newsroom with this config overlay.
fn drafted_with(overlay: &str) -> Newsroom {
    let mut n = Newsroom::with_config(overlay);
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
    n
}

fn approve_all(n: &mut Newsroom, who: &str) {
    for section in ["title", "intro", "body", "conclusion", "references"] {
        n.say(who, &format!("/story approve {section}"));
    }
}

#[test]
fn a_story_from_leak_to_publication() {
    let mut n = Newsroom::new();
    assert_snapshot!(n.say("alice", r#"/story new title:"Meta scrambles over DeepSeek""#), @r"
    [#newsroom] alice started story #1 “Meta scrambles over DeepSeek”. It is now the active story for alice, and the one people new to this channel start on. Next: paste sources (`/story source add`), claim sections (`/story claim section:body`).
    [#newsroom › title] **title** revision 1 of #1 “Meta scrambles over DeepSeek” by alice · 4 words

    Meta scrambles over DeepSeek

    Needs 1 approval from someone other than alice.
    [Approve] [Request changes]
    ");
    assert_snapshot!(n.board(1), @r"
    **Story #1: Meta scrambles over DeepSeek**
    ◔ **title** — in review · alice · rev 1 · 0/1 approvals
    ○ **introduction** — empty
    ○ **body** — empty
    ○ **conclusion** — empty
    ○ **references** — empty
    0 sources · 0 references · style APA · 0/5 sections approved
    ");
    assert_snapshot!(n.say_with("alice", r#"/story source add label:"internal memo""#,
        "To: leadership\u{200B}\r\nFour war rooms have been set up.\u{202E}"), @"[#newsroom › sources] Source 1 “internal memo” added by alice: 9 words, 47 bytes. Removed 2 invisible characters (zero-width or direction marks, sometimes used to fingerprint leaked copies).");
    assert_snapshot!(n.say("bob", "/story claim body"), @"[#newsroom] bob claimed the body section of #1 “Meta scrambles over DeepSeek”.");
    assert_snapshot!(n.say_with("bob", "/story write body", BODY), @"
    [#newsroom › body] **body** revision 1 of #1 “Meta scrambles over DeepSeek” by bob · 100 words

    According to the memo, engineers in Meta's generative AI group have been asked to take the DeepSeek model apart.

    Two of the four war rooms are working out how DeepSeek brought the cost of training down. In its technical report, DeepSeek says the final training run of V3 cost about 5.5 million dollars, a figure that leaves out earlier research.

    Management is worried about justifying the cost of the generative AI organisation, the memo says, when a small lab trained a competitive model for a small share of what Meta spends.

    Meta did not respond to a request for comment.

    Needs 1 approval from someone other than bob.
    [Approve] [Request changes]
    [#newsroom › body] **Checks on body revision 1**: 1 warning
    - warning (line 3, column 170): The amount “5.5 million dollars” appears in none of the sources: check it, and add the source it comes from. [unsourced]
    ");
    n.say_with("alice", "/story write intro", INTRO);
    n.say_with("bob", "/story write conclusion", CONCLUSION);
    assert_snapshot!(n.say("bob", r#"/story ref add title:"Meta sets up war rooms to study DeepSeek" author:"Carey, B." date:2025-01-27 outlet:"The Information" url:https://www.theinformation.com/articles/meta-war-rooms"#), @r"
    [#newsroom › references] **references** revision 1 of #1 “Meta scrambles over DeepSeek” by bob · 17 words

    - Carey, B. (2025, January 27). Meta sets up war rooms to study DeepSeek. *The Information*. https://www.theinformation.com/articles/meta-war-rooms

    Needs 1 approval from someone other than bob.
    [Approve] [Request changes]
    ");
    assert_snapshot!(n.say("carol", "/story approve body"), @"[#newsroom › body] carol approved body revision 1 of #1 “Meta scrambles over DeepSeek” (1 of 1). **body is approved.**");
    for s in ["title", "intro", "conclusion", "references"] {
        n.say("carol", &format!("/story approve {s}"));
    }
    assert_snapshot!(n.say("carol", "/story check"), @r#"
    [only carol] **Checks for story #1 “Meta scrambles over DeepSeek”**: 1 warning
    **body**
    - warning (line 3, column 170): The amount “5.5 million dollars” appears in none of the sources: check it, and add the source it comes from. [unsourced]
    "#);
    assert_snapshot!(n.say("erin", "/story publish"), @r"
    [#published] # Meta scrambles over DeepSeek

    Meta has set up four war rooms of engineers to study DeepSeek V3, according to an internal memo, after the Chinese lab released a rival model at a fraction of the cost.

    According to the memo, engineers in Meta's generative AI group have been asked to take the DeepSeek model apart.

    Two of the four war rooms are working out how DeepSeek brought the cost of training down. In its technical report, DeepSeek says the final training run of V3 cost about 5.5 million dollars, a figure that leaves out earlier research.

    Management is worried about justifying the cost of the generative AI organisation, the memo says, when a small lab trained a competitive model for a small share of what Meta spends.

    Meta did not respond to a request for comment.

    Meta's leaders are expected to discuss what the war rooms found with investors at the next earnings call.

    ## References

    - Carey, B. (2025, January 27). Meta sets up war rooms to study DeepSeek. *The Information*. https://www.theinformation.com/articles/meta-war-rooms

    [#newsroom] erin published story #1 “Meta scrambles over DeepSeek” to #published.
    ");
    assert_snapshot!(n.board(1), @"
    **Story #1: Meta scrambles over DeepSeek**
    ✓ **title** — approved · alice · rev 1 · 1/1 approvals
    ✓ **introduction** — approved · alice · rev 1 · 1/1 approvals
    ✓ **body** — approved · bob · rev 1 · 1/1 approvals
    ✓ **conclusion** — approved · bob · rev 1 · 1/1 approvals
    ✓ **references** — approved · bob · rev 1 · 1/1 approvals
    1 source · 1 reference · style APA · 5/5 sections approved
    **Published** by erin to #published on 2026-01-27 09:14 UTC.
    ");
    // Publishing twice posts nothing twice.
    assert_snapshot!(n.say("erin", "/story publish"), @"[only erin] Story #1 “Meta scrambles over DeepSeek” is already published: erin published it to #published on 2026-01-27 09:14 UTC. Nothing was posted again.");
    // A published story is closed for edits.
    assert_snapshot!(n.say_with("bob", "/story write body", "A new body."), @"[only bob] Story #1 “Meta scrambles over DeepSeek” was published by erin on 2026-01-27 09:14 UTC; it can no longer be changed. Start a follow-up with `/story new`.");
}

#[test]
fn a_configured_publishing_channel_may_be_written_with_its_hash() {
    let mut n =
        drafted_with("[roles]\neditors = [\"erin\"]\n[publish]\nchannel = \"#published\"\n");
    approve_all(&mut n, "carol");
    let out = n.say("erin", "/story publish");
    assert!(out.lines().any(|l| l.starts_with("[#published] ")), "{out}");
    assert!(!out.contains("##published"), "{out}");
    assert_snapshot!(out.lines().last().unwrap(), @"[#newsroom] erin published story #1 “Meta scrambles over DeepSeek” to #published.");
}

#[test]
fn publishing_waits_for_every_section_and_says_what_is_missing() {
    let mut n = Newsroom::new();
    n.say("alice", "/story new Meta scrambles over DeepSeek");
    n.say_with("bob", "/story write body", BODY);
    n.say(
        "carol",
        r#"/story changes body note:"Attribute the cost figure.""#,
    );
    assert_snapshot!(n.say("erin", "/story publish"), @r"
    [only erin] Story #1 “Meta scrambles over DeepSeek” cannot be published yet. Not approved:
    - title: in review
    - introduction: empty
    - body: changes requested
    - conclusion: empty
    - references: empty
    Every section with text, and every required section, needs its approvals first.
    ");
}

#[test]
fn only_editors_publish() {
    let mut n = drafted();
    approve_all(&mut n, "carol");
    assert_snapshot!(n.say("carol", "/story publish"), @"[only carol] Only editors can publish. Ask an editor to review the story and publish it.");
    let mut nobody = Newsroom::with_config("");
    nobody.say("alice", "/story new A story");
    assert_snapshot!(nobody.say("alice", "/story publish"), @r#"[only alice] Only editors can publish, and no editors are configured. An operator lists them in the config: `[roles] editors = ["alice"]`."#);
}

#[test]
fn the_author_cannot_approve_their_own_revision() {
    let mut n = drafted();
    assert_snapshot!(n.say("bob", "/story approve body"), @"[only bob] You wrote body revision 1, so your approval does not count. Someone else needs to review it.");
    assert_snapshot!(n.say("carol", "/story approve body"), @"[#newsroom › body] carol approved body revision 1 of #1 “Meta scrambles over DeepSeek” (1 of 1). **body is approved.**");
    assert_snapshot!(n.say("carol", "/story approve body"), @"[only carol] You have already approved body revision 1.");
}

#[test]
fn a_new_revision_dismisses_earlier_approvals() {
    let mut n = drafted();
    n.say("carol", "/story approve body");
    let second = BODY.replace("about 5.5 million dollars", "roughly 5.6 million dollars");
    assert_snapshot!(n.say_with("bob", "/story write body", &second), @"
    [#newsroom › body] **body** revision 2 of #1 “Meta scrambles over DeepSeek” by bob · 100 words (+2 −2)

    … says the final training run of V3 cost ~~about 5.5~~ **roughly 5.6** million dollars, a figure that leaves out earlier …

    1 approval of revision 1 no longer counts: this revision needs its own.

    Needs 1 approval from someone other than bob.
    [Approve] [Request changes]
    ");
    assert!(n
        .board(1)
        .contains("◔ **body** — in review · bob · rev 2 · 0/1 approvals"));
    assert_snapshot!(n.say("bob", "/story diff body"), @r"
    [only bob] **body**: revision 1 → 2 (+2 words −2 words)

    According to the memo, engineers in Meta's generative AI group have been asked to take the DeepSeek model apart.

    Two of the four war rooms are working out how DeepSeek brought the cost of training down. In its technical report, DeepSeek says the final training run of V3 cost ~~about 5.5~~ **roughly 5.6** million dollars, a figure that leaves out earlier research.

    Management is worried about justifying the cost of the generative AI organisation, the memo says, when a small lab trained a competitive model for a small share of what Meta spends.

    Meta did not respond to a request for comment.
    ");
}

#[test]
fn a_change_request_holds_until_its_reviewer_approves_a_later_revision() {
    let mut n = drafted();
    assert_snapshot!(n.say("carol", r#"/story changes body note:"Attribute the cost figure to DeepSeek's report.""#), @"
    [#newsroom › body] @bob: carol asked for changes on body revision 1 of #1 “Meta scrambles over DeepSeek”:
    > Attribute the cost figure to DeepSeek's report.
    The section stays unapproved until carol approves a later revision, or withdraws the request by approving this one.
    ");
    n.say_with(
        "bob",
        "/story write body",
        &format!("{BODY}\n\nDeepSeek's report gives the figure."),
    );
    // dan's approval meets the quorum, but carol's request is still open.
    assert_snapshot!(n.say("dan", "/story approve body"), @"[#newsroom › body] dan approved body revision 2 of #1 “Meta scrambles over DeepSeek” (1 of 1). Still waiting on the change request of carol.");
    assert!(n.board(1).contains("✗ **body** — changes requested"));
    assert_snapshot!(n.say("carol", "/story approve body"), @"[#newsroom › body] carol approved body revision 2 of #1 “Meta scrambles over DeepSeek” (2 approvals; 1 needed). **body is approved.**");
    assert_snapshot!(n.say("bob", "/story history body"), @"
    [only bob] **History of body** in story #1 “Meta scrambles over DeepSeek”
    - revision 1 by bob on 2026-01-27 09:03 UTC · 100 words
      - carol asked for changes (resolved): Attribute the cost figure to DeepSeek's report.
    - revision 2 by bob on 2026-01-27 09:07 UTC · 105 words · approved by dan, carol
    ");
}

#[test]
fn buttons_review_the_revision_they_were_shown() {
    let mut n = drafted();
    n.say_with("bob", "/story write body", BODY);
    let approve_old = Action::Approve {
        story: StoryId(1),
        section: "body".into(),
        revision: 1,
    };
    // The same text again is no new revision, so revision 1 is still the latest…
    assert_snapshot!(n.click("carol", &approve_old, None), @"[#newsroom › body] carol approved body revision 1 of #1 “Meta scrambles over DeepSeek” (1 of 1). **body is approved.**");
    n.say_with("bob", "/story write body", &format!("{BODY} More."));
    // …but now revision 2 is, and the old button no longer approves anything.
    assert_snapshot!(n.click("dan", &approve_old, None), @"[only dan] That review was for body revision 1, but revision 2 is the latest now. Look at revision 2 and review it instead.");
    let changes = n.last_actions[1].clone();
    assert_snapshot!(n.click("dan", &changes, Some("Cut the last word.")), @"
    [#newsroom › body] @bob: dan asked for changes on body revision 2 of #1 “Meta scrambles over DeepSeek”:
    > Cut the last word.
    The section stays unapproved until dan approves a later revision, or withdraws the request by approving this one.
    ");
}

#[test]
fn a_redelivered_event_changes_nothing_twice() {
    let mut n = Newsroom::new();
    n.say("alice", "/story new A story");
    let write = |body: &str| Input::Text {
        text: "/story write body".into(),
        body: Some(body.into()),
    };
    let first = n.request("bob", write(BODY), Some("Ev01"), None);
    assert!(!first.is_duplicate() && !first.posts.is_empty());
    let again = n.request("bob", write(BODY), Some("Ev01"), None);
    assert!(again.is_duplicate() && again.posts.is_empty());
    let status = n.request(
        "bob",
        Input::Text {
            text: "/story status".into(),
            body: None,
        },
        Some("Ev02"),
        None,
    );
    assert!(!status.is_duplicate());
    let status_again = n.request(
        "bob",
        Input::Text {
            text: "/story status".into(),
            body: None,
        },
        Some("Ev02"),
        None,
    );
    assert!(status_again.is_duplicate());
    let story = n.desk.store().story(StoryId(1)).unwrap().unwrap();
    assert_eq!(story.section("body").unwrap().revisions, 1);
    // The write's id is claimed in the store with its change; the read's only in memory: a
    // read never writes.
    let later = storydesk::model::Timestamp(story.created_at.0 + 10 * 60_000);
    assert!(n
        .desk
        .claimed_durably(&common::event_key("Ev01"), later)
        .unwrap());
    assert!(!n
        .desk
        .claimed_durably(&common::event_key("Ev02"), later)
        .unwrap());
}

#[test]
fn mistakes_get_a_helpful_answer_and_change_nothing() {
    let mut n = Newsroom::new();
    assert_snapshot!(n.say("alice", "/story status"), @r#"[only alice] There is no story in this channel yet. Start one: `/story new title:"…"`."#);
    n.say("alice", "/story new A story");
    assert_snapshot!(n.say("alice", "/story write bdy"), @"[only alice] There is no section `bdy`. Did you mean `body`? Sections: title, introduction, body, conclusion, references.");
    assert_snapshot!(n.say("alice", "/story aprove body"), @"[only alice] `/story aprove` is not a command. Did you mean `approve`? Commands: new, list, use, status, source add, source list, source show, claim, assign, write, show, history, diff, draft, draft accept, draft discard, approve, changes, ref add, ref list, ref edit, ref remove, check, preview, publish, correct, purge-sources, due, tz, mine, embargo, help.");
    assert_snapshot!(n.say("alice", "/story claim sectoin:body"), @"[only alice] `/story claim` has no option `sectoin`. Did you mean `section`? (its options are `section`, `take`, `story`)");
    assert_snapshot!(n.say("alice", "/story write body"), @"[only alice] The text for body is missing. Write it in the box that opens, or in the console end the command with `<<END` and put the text on the following lines, closed by a line `END`.");
    assert_snapshot!(n.say_with("alice", "/story write references", "x"), @"[only alice] The references section is built from the story's references: add them with `/story ref add`, remove them with `/story ref remove`.");
    assert_snapshot!(n.say("alice", "/story ref add title:x date:2025-02-30"), @"[only alice] `2025-02-30` is not a date I can use: February has only 28 days, 29 in a leap year. Write YYYY-MM-DD, YYYY-MM or YYYY.");
    assert_snapshot!(n.say("alice", "/story approve conclusion"), @"[only alice] The conclusion section has no revision to review yet.");
    let title = "x".repeat(130);
    assert_snapshot!(n.say_with("alice", "/story write title", &title), @"[only alice] That title text is 130 characters; the template allows at most 120. Nothing was saved: shorten it and write it again.");
    let story = n.desk.store().story(StoryId(1)).unwrap().unwrap();
    assert_eq!(story.section("title").unwrap().revisions, 1);
    assert!(story.references.is_empty());
}

#[test]
fn a_space_beside_an_options_colon_is_refused_with_a_hint() {
    let mut n = Newsroom::new();
    assert_snapshot!(n.say("alice", r#"/story new title: "Meta scrambles over DeepSeek""#), @r#"[only alice] `title:` is followed by a space, so it has no value. Write the value right after the colon, with no space: `title:"…"`. Nothing was done."#);
    assert_snapshot!(n.say("alice", r#"/story new title :"Meta scrambles over DeepSeek""#), @r#"[only alice] `title :` has a space before the colon, so it reads as plain text. Write `title:"…"`, with no space before or after the colon. Nothing was done."#);
    assert_snapshot!(n.say("alice", r#"/story new title : "Meta scrambles""#), @r#"[only alice] `title :` has a space before the colon, so it reads as plain text. Write `title:"…"`, with no space before or after the colon. Nothing was done."#);
    assert!(n.desk.store().story(StoryId(1)).unwrap().is_none());
    // A colon inside a bare title is still the title's.
    n.say("alice", "/story new Meta: the war rooms");
    let story = n.desk.store().story(StoryId(1)).unwrap().unwrap();
    assert_eq!(story.title, "Meta: the war rooms");
}

#[test]
fn large_counts_are_grouped_in_thousands() {
    let mut n = Newsroom::new();
    n.say("alice", "/story new A story");
    let paste = "The war rooms met again today. ".repeat(250);
    let reply = n.say_with("alice", "/story source add label:memo", &paste);
    assert!(reply.contains("1,500 words"), "{reply}");
}

#[test]
fn an_oversized_paste_is_refused_with_its_size() {
    let mut n = Newsroom::new();
    n.say("alice", "/story new A story");
    let paste = "leak ".repeat(2 * 1024 * 1024 / 5 + 1);
    assert_snapshot!(n.say_with("alice", "/story source add", &paste), @"[only alice] That source is 2.0 MiB (2,097,155 bytes); the limit is 1.0 MiB ([limits] source_bytes). Nothing was saved. Split it into parts and add each one.");
    let story = n.desk.store().story(StoryId(1)).unwrap().unwrap();
    assert!(story.sources.is_empty());
}

#[test]
fn sources_are_read_alone_and_the_reading_is_logged() {
    let mut n = Newsroom::new();
    n.say("alice", "/story new A story");
    n.say_with(
        "alice",
        r#"/story source add label:"tip""#,
        "The CFO resigned on Friday.",
    );
    assert_snapshot!(n.say("bob", "/story source list"), @r"
    [only bob] **Sources of story #1 “A story”**
    1. “tip” — 5 words, 27 bytes, added by alice on 2026-01-27 09:02 UTC
    `/story source show number:N` shows one to you alone.
    ");
    assert_snapshot!(n.say("bob", "/story source show 1"), @r"
    [only bob] **Source 1 “tip”** (added by alice on 2026-01-27 09:02 UTC; this view is logged)

    The CFO resigned on Friday.
    ");
    assert_snapshot!(n.say("bob", "/story history"), @r"
    [only bob] **Audit log of story #1 “A story”**
    - 2026-01-27 09:01 UTC · alice started the story “A story”
    - 2026-01-27 09:01 UTC · alice wrote title revision 1
    - 2026-01-27 09:02 UTC · alice added source 1 “tip” (27 bytes)
    - 2026-01-27 09:04 UTC · bob viewed source 1
    ");
    // Another channel sees none of it.
    n.channel = "sports".into();
    assert_snapshot!(n.say("bob", "/story source show 1"), @r#"[only bob] There is no story in this channel yet. Start one: `/story new title:"…"`."#);
}

#[test]
fn messages_in_the_source_thread_become_sources() {
    let mut n = Newsroom::new();
    n.say("alice", "/story new A story");
    n.say_with("alice", "/story source add", "First tip.");
    // The console binds thread ids like a platform does when it creates the thread.
    let key = n.place().channel;
    n.desk
        .bind_thread(
            &key,
            "T-sources",
            StoryId(1),
            &storydesk::desk::ThreadKind::Sources,
        )
        .unwrap();
    n.thread = Some("T-sources".into());
    let reply = n.request(
        "bob",
        Input::Message {
            text: "Second tip, from a reader.".into(),
        },
        None,
        None,
    );
    assert_snapshot!(common::render(&reply, "bob"), @"[#newsroom › sources] Source 2 “message from bob” added by bob: 5 words, 26 bytes.");
    // Chatter outside the source thread is not a command and gets no answer.
    n.thread = None;
    let reply = n.request(
        "bob",
        Input::Message {
            text: "lunch?".into(),
        },
        None,
        None,
    );
    assert!(reply.posts.is_empty());
}

#[test]
fn a_section_thread_implies_its_section() {
    let mut n = drafted();
    let key = n.place().channel;
    n.desk
        .bind_thread(
            &key,
            "T-body",
            StoryId(1),
            &storydesk::desk::ThreadKind::Section("body".into()),
        )
        .unwrap();
    n.thread = Some("T-body".into());
    assert_snapshot!(n.say("carol", "/story approve"), @"[#newsroom › body] carol approved body revision 1 of #1 “Meta scrambles over DeepSeek” (1 of 1). **body is approved.**");
    n.thread = None;
    assert_snapshot!(n.say("carol", "/story approve"), @"[only carol] Which section? Name it (`/story approve section:body`), or use the command in the section's thread.");
}

#[test]
fn several_stories_share_a_channel_one_active_at_a_time() {
    let mut n = Newsroom::new();
    n.say("alice", "/story new Meta scrambles over DeepSeek");
    assert_snapshot!(n.say("alice", "/story new Nvidia loses 600 billion"), @r"
    [#newsroom] alice started story #2 “Nvidia loses 600 billion”. It is now the active story for alice, and the one people new to this channel start on. Next: paste sources (`/story source add`), claim sections (`/story claim section:body`).
    [#newsroom › title] **title** revision 1 of #2 “Nvidia loses 600 billion” by alice · 4 words

    Nvidia loses 600 billion

    Needs 1 approval from someone other than alice.
    [Approve] [Request changes]
    ");
    assert_snapshot!(n.say("bob", "/story use meta"), @"[only bob] Your commands in this channel now act on story #1 “Meta scrambles over DeepSeek”. Everyone else stays on their own; `story:N` on any command names another.");
    assert_snapshot!(n.say("bob", "/story list"), @r"
    [only bob] **Stories in this channel**
    - #1 “Meta scrambles over DeepSeek” — 0/5 sections approved · **active**
    - #2 “Nvidia loses 600 billion” — 0/5 sections approved
    ");
    assert_snapshot!(n.say("bob", "/story use 7"), @"[only bob] No story here matches “7”. Stories in this channel: #1 “Meta scrambles over DeepSeek”, #2 “Nvidia loses 600 billion”.");
}

#[test]
fn references_follow_the_chosen_style() {
    let mut n = drafted();
    n.say(
        "alice",
        r#"/story ref add title:"深度求索震动硅谷" translated:"DeepSeek shakes Silicon Valley" author:"Li, W." date:2025-01 outlet:"36Kr" url:https://36kr.com/p/1"#,
    );
    assert_snapshot!(n.say("alice", "/story ref list"), @r"
    [only alice] **References of story #1 “Meta scrambles over DeepSeek”** (APA; numbered as added)
    1. Carey, B. (2025, January 27). Meta sets up war rooms to study DeepSeek. *The Information*. https://www.theinformation.com/articles/meta-war-rooms
    2. Li, W. (2025, January). 深度求索震动硅谷 [DeepSeek shakes Silicon Valley]. *36Kr*. https://36kr.com/p/1
    ");
    approve_all(&mut n, "carol");
    n.say("dan", "/story approve references");
    let published = n.say("erin", "/story publish style:mla");
    assert!(published.contains("## Works Cited"), "{published}");
    assert!(published.contains("Li, W. “深度求索震动硅谷 [DeepSeek shakes Silicon Valley].” *36Kr*, Jan. 2025, 36kr.com/p/1."), "{published}");
}

#[test]
fn an_online_only_news_site_is_cited_as_a_web_page() {
    let mut n = Newsroom::new();
    n.say("alice", "/story new title:\"Meta scrambles over DeepSeek\"");
    n.say(
        "bob",
        r#"/story ref add title:"DeepSeek tops the app charts" author:"Machine Heart" date:2025-01-28 outlet:"Machine Heart" url:https://www.jiqizhixin.com/articles/deepseek"#,
    );
    let check = n.say("carol", "/story check");
    assert!(check.contains("[reference-outlet-author]"), "{check}");
    assert!(check.contains("- suggestion (line 1, column 1): Reference 1 (“DeepSeek tops the app charts”) names its outlet as its author. If the outlet publishes only online, cite it with kind:web: APA formats it as a web page and names the site once."), "{check}");
    n.say("bob", "/story ref remove 1");
    n.say(
        "bob",
        r#"/story ref add title:"DeepSeek tops the app charts" author:"Machine Heart" date:2025-01-28 outlet:"Machine Heart" url:https://www.jiqizhixin.com/articles/deepseek kind:web"#,
    );
    assert_snapshot!(n.say("bob", "/story ref list"), @"
    [only bob] **References of story #1 “Meta scrambles over DeepSeek”** (APA; numbered as added)
    1. Machine Heart. (2025, January 28). *DeepSeek tops the app charts*. https://www.jiqizhixin.com/articles/deepseek
    ");
    assert!(!n
        .say("carol", "/story check")
        .contains("reference-outlet-author"));
}

#[test]
fn a_non_latin_title_without_translation_gets_a_note() {
    let mut n = Newsroom::new();
    n.say("alice", "/story new A story");
    assert_snapshot!(n.say("alice", r#"/story ref add title:"深度求索震动硅谷" outlet:36Kr"#), @r#"
    [only alice] Note: this reference has no URL. Add one with a new reference, or say `offline:true` for material that is not online.
    [only alice] Note: the title is not in the Latin alphabet; add an English translation with `translated:"…"` so readers know what it says.
    [#newsroom › references] **references** revision 1 of #1 “A story” by alice · 4 words

    - 深度求索震动硅谷. (n.d.). *36Kr*.

    Needs 1 approval from someone other than alice.
    [Approve] [Request changes]
    [#newsroom › references] **Checks on references revision 1**: 3 warnings
    - warning (line 1, column 1): Reference 1 (“深度求索震动硅谷”) has no URL: add one, or mark it offline when it is not online. [reference-url]
    - warning (line 1, column 1): Reference 1 (“深度求索震动硅谷”) has no date: add its publication date (n.d. only when it has none). [reference-date]
    - warning (line 1, column 1): Reference 1: the title “深度求索震动硅谷” is not in the Latin alphabet; add an English translation in square brackets after it. [reference-translation]
    "#);
    assert_snapshot!(n.say("alice", "/story ref remove 1"), @r#"
    [#newsroom › references] **references** revision 2 of #1 “A story” by alice · 0 words (+0 −12)

    ~~- 深度求索震动硅谷. (n.d.). *36Kr*.~~

    Needs 1 approval from someone other than alice.
    [Approve] [Request changes]
    [#newsroom › references] **Checks on references revision 2**: 1 error
    - **error**: The references section is required and has no text. [required-section]
    Errors must be fixed before publishing.
    "#);
}

#[test]
fn claiming_and_assigning() {
    let mut n = Newsroom::new();
    n.say("alice", "/story new A story");
    assert_snapshot!(n.say("bob", "/story claim body"), @"[#newsroom] bob claimed the body section of #1 “A story”.");
    assert_snapshot!(n.say("carol", "/story claim body"), @"[only carol] bob has already claimed the body section. Take it over with `/story claim section:body take:true` (they are told), ask them, or an editor can `/story assign` it.");
    assert_snapshot!(n.say("carol", "/story assign body user:@dan"), @"[only carol] bob has the body section. Only they or an editor can give it to someone else.");
    assert_snapshot!(n.say("erin", "/story assign body user:@dan"), @"
    [#newsroom] erin assigned the body section of #1 “A story” to dan.
    [dm dan] erin assigned you the body section of #1 “A story”. Write it with `/story write section:body` in the story's channel.
    ");
    assert!(n.board(1).contains("✎ **body** — drafting · dan"));
}

#[test]
fn help_comes_from_the_catalogue() {
    let mut n = Newsroom::new();
    let help = n.say("alice", "/story help");
    for name in storydesk::catalogue::catalogue().names() {
        assert!(help.contains(name), "help lacks {name}: {help}");
    }
    assert_snapshot!(n.say("alice", "/story help command:changes"), @r#"
    [only alice] /story changes: Request changes to the latest revision of a section.
    Usage: /story changes note:… [section:…] [revision:…] [story:…]
    Example: /story changes section:body note:"Give a source for the 2023 figure."
    Options:
      note (required, text): What needs to change, and why.
      section (optional, a section name): The section; in its review thread it may be left out.
      revision (optional, a whole number): The revision you reviewed; refused if a newer one exists. Buttons fill it in.
      story (optional, a story number like 3 or #3, or a story title): Another story than your active one: its number (3 or #3) or title.
    Text without an option name is taken as section.
    "#);
}

#[test]
fn concurrent_writers_lose_no_revision() {
    let n = drafted();
    let desk = n.desk.clone();
    // A second desk over the same store, as a second replica would be: writers of one
    // desk queue, and the two desks' writers race, which the transaction's check settles.
    let other = storydesk::desk::Desk::new(
        desk.store().clone(),
        desk.config().clone(),
        desk.template().clone(),
    );
    let place = n.place();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let desk = if t % 2 == 0 {
                desk.clone()
            } else {
                other.clone()
            };
            let place = place.clone();
            std::thread::spawn(move || {
                for i in 0..10 {
                    let reply = desk.handle(storydesk::desk::Request {
                        // Each save by someone who never looked at the body: based on the
                        // latest revision, so none of them conflicts and none may be lost
                        // (a writer's own next save would be based on their last revision
                        // and, changing the same paragraph, be kept as a conflict).
                        actor: storydesk::model::Person::named(&format!("writer{t}-{i}")),
                        memberships: Default::default(),
                        place: place.clone(),
                        at: storydesk::model::Timestamp(0),
                        input: Input::Text {
                            text: "/story write body".into(),
                            body: Some(format!("{BODY}\n\nUpdate {t}-{i}.")),
                        },
                        event: None,
                        story: None,
                    });
                    assert!(reply
                        .posts
                        .iter()
                        .any(|p| p.body.text().contains("revision")));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let story = desk.store().story(StoryId(1)).unwrap().unwrap();
    assert_eq!(story.section("body").unwrap().revisions, 81);
    let revisions = desk.store().revisions(StoryId(1), "body").unwrap();
    assert_eq!(revisions.len(), 81);
    for (i, r) in revisions.iter().enumerate() {
        assert_eq!(r.number as usize, i + 1);
    }
    let mut texts: Vec<&str> = revisions[1..].iter().map(|r| r.text.as_str()).collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), 80, "every writer's every revision is there");
}

#[test]
fn the_state_survives_a_restart() {
    let mut n = drafted();
    n.say("carol", "/story approve body");
    let before = n.say("alice", "/story status");
    let mut n = n.restarted("[roles]\neditors = [\"erin\"]\n");
    assert_eq!(n.say("alice", "/story status"), before);
}

#[test]
fn sources_are_deleted_for_good_after_publication() {
    let mut n = drafted();
    n.say_with(
        "alice",
        r#"/story source add label:"internal memo""#,
        "The whistleblower sits in finance.",
    );
    assert_snapshot!(n.say("erin", "/story purge-sources"), @"[only erin] Story #1 “Meta scrambles over DeepSeek” is not published yet; its sources are still needed for checks and drafting. Purge them after publishing.");
    // A draft left pending is made of the sources' sentences.
    n.say("alice", "/story draft conclusion");
    let extractive = storydesk::assist::Assistant::from_config(&n.desk.config().assist).unwrap();
    let (shown, _) = n.write_drafts(&extractive);
    assert!(
        shown.contains("The whistleblower sits in finance."),
        "{shown}"
    );
    approve_all(&mut n, "carol");
    n.say("erin", "/story publish");
    // What the checks need of each source was read once, when it was added, and kept
    // beside it.
    let texts: Vec<String> = n
        .desk
        .store()
        .story(StoryId(1))
        .unwrap()
        .unwrap()
        .sources
        .iter()
        .map(|s| {
            n.desk
                .store()
                .source(StoryId(1), s.number)
                .unwrap()
                .unwrap()
                .text
        })
        .collect();
    let numbers = 1..=texts.len() as u32;
    for (number, text) in numbers.clone().zip(&texts) {
        assert_eq!(
            n.desk.store().source_digest(StoryId(1), number).unwrap(),
            Some(storydesk::checks::digest(text))
        );
    }
    // The source index the checks used is kept beside the store, and goes with the sources.
    let index = n.desk.store().dir().join("source-index").join("1");
    assert!(index.read_dir().unwrap().next().is_some());
    assert_snapshot!(n.say("bob", "/story purge-sources"), @"[only bob] Only editors can purge sources. Ask an editor.");
    assert_snapshot!(n.say("erin", "/story purge-sources"), @"[#newsroom] erin deleted 1 source of story #1 “Meta scrambles over DeepSeek” for good (34 bytes): “internal memo”. The audit log records that they were deleted, not what they said.");
    assert!(n.desk.store().source(StoryId(1), 1).unwrap().is_none());
    assert!(!index.exists());
    for number in numbers {
        assert!(
            n.desk
                .store()
                .source_digest(StoryId(1), number)
                .unwrap()
                .is_none(),
            "the digest went with its source"
        );
    }
    assert!(
        n.desk
            .store()
            .suggestion(StoryId(1), "conclusion")
            .unwrap()
            .is_none(),
        "the draft went with its source"
    );
    let audit = n.say("erin", "/story history");
    assert!(audit.contains("erin deleted 1 source"), "{audit}");
    assert!(!audit.contains("whistleblower"), "{audit}");
    assert_snapshot!(n.say("erin", "/story purge-sources"), @"[only erin] Story #1 “Meta scrambles over DeepSeek” has no sources left to purge.");
}

#[test]
fn the_desk_times_every_command_and_counts_what_it_publishes() {
    let recorder = storydesk::telemetry::builder().build_recorder();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, || {
        let mut n = drafted();
        n.say("erin", "/story publish");
        approve_all(&mut n, "carol");
        n.say("carol", "/story publish");
        n.say("erin", "/story publish");
        n.say("erin", "/story publish");
        n.say("alice", "/story aprove body");
    });
    let text = storydesk::telemetry::render(&handle);
    for line in [
        // Refused: not approved yet; not an editor; already published.
        "storydesk_desk_commands_total{subcommand=\"publish\",outcome=\"refused\"} 3",
        "storydesk_desk_commands_total{subcommand=\"publish\",outcome=\"done\"} 1",
        "storydesk_desk_command_seconds_count{subcommand=\"publish\"} 4",
        "storydesk_desk_command_seconds_count{subcommand=\"write\"} 3",
        "storydesk_desk_commands_total{subcommand=\"approve\",outcome=\"done\"} 5",
        "storydesk_desk_commands_total{subcommand=\"unparsed\",outcome=\"refused\"} 1",
        "storydesk_articles_published_total{platform=\"console\"} 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in:\n{text}"
        );
    }
}

/// True for a character no stored or shown text may hold: a C0 control other than tab and
/// newline, DEL, or a C1 control.
fn is_control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

#[test]
fn control_characters_never_reach_a_story_or_its_export() {
    let mut n = Newsroom::new();
    let mut said = Vec::new();
    // An escape sequence that retitles a terminal window, in the title.
    said.push(n.say(
        "alice",
        "/story new title:\"Meta scrambles\u{1b}]0;pwned\u{7} over DeepSeek\"",
    ));
    assert_snapshot!(said[0], @r"
    [#newsroom] alice started story #1 “Meta scrambles]0;pwned over DeepSeek”. It is now the active story for alice, and the one people new to this channel start on. Next: paste sources (`/story source add`), claim sections (`/story claim section:body`).
    [#newsroom › title] **title** revision 1 of #1 “Meta scrambles]0;pwned over DeepSeek” by alice · 4 words

    Meta scrambles]0;pwned over DeepSeek

    Needs 1 approval from someone other than alice.
    [Approve] [Request changes]
    ");
    said.push(n.say_with(
        "alice",
        "/story source add label:\"memo\u{1b}[2J\"",
        "To: leadership\u{0}\r\nFour war rooms\u{9b}31m have been set up.\u{7f}",
    ));
    assert_snapshot!(said[1], @"[#newsroom › sources] Source 1 “memo[2J” added by alice: 9 words, 50 bytes.");
    said.push(n.say_with(
        "bob",
        "/story write body",
        "Meta set up\u{8}\u{8} four war rooms.\u{1b}[1m\r\nThe memo says so.",
    ));
    said.push(n.say(
        "bob",
        "/story ref add title:\"War rooms\u{1b}[31m\" outlet:\"The Information\u{85}\" url:https://example.com/war-rooms",
    ));
    // Typed options, as a Discord slash command or a button brings them.
    let note = n.click(
        "carol",
        &Action::RequestChanges {
            story: StoryId(1),
            section: "body".into(),
            revision: 1,
        },
        Some("Name the memo's\u{1b}[5m author."),
    );
    assert_snapshot!(note, @"
    [#newsroom › body] @bob: carol asked for changes on body revision 1 of #1 “Meta scrambles]0;pwned over DeepSeek”:
    > Name the memo's[5m author.
    The section stays unapproved until carol approves a later revision, or withdraws the request by approving this one.
    ");
    said.push(note);
    said.push(n.say("carol", "/story show body"));
    said.push(n.say("carol", "/story source show number:1"));
    said.push(n.say("carol", "/story ref list"));
    said.push(n.say("carol", "/story history"));
    said.push(n.board(1));
    for text in &said {
        assert!(!text.contains(is_control), "{text:?}");
    }
    let story = n.desk.store().story(StoryId(1)).unwrap().unwrap();
    assert_eq!(story.title, "Meta scrambles]0;pwned over DeepSeek");
    for format in [
        storydesk::export::Format::Html,
        storydesk::export::Format::Markdown,
        storydesk::export::Format::Json,
    ] {
        let export = storydesk::export::export(&n.desk, &story, format, story.style).unwrap();
        assert!(!export.contains(is_control), "{format:?}: {export:?}");
        assert!(export.contains("pwned"), "{format:?}: {export}");
    }
}

#[test]
fn emoji_sequences_and_persian_words_keep_their_joiners() {
    let mut n = Newsroom::new();
    let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
    // "I want" in Persian: a non-joiner between the prefix and the verb.
    let persian = "\u{645}\u{6CC}\u{200C}\u{62E}\u{648}\u{627}\u{647}\u{645}";
    let title = format!("A {family} family says {persian}");
    n.say("alice", &format!("/story new title:\"{title}\""));
    assert_eq!(
        n.desk.store().story(StoryId(1)).unwrap().unwrap().title,
        title
    );
    // A joiner between Latin letters is a fingerprint, and goes.
    assert_snapshot!(n.say_with("alice", "/story source add label:\"memo\"",
        &format!("The lea\u{200D}ked memo, with a {family} and {persian}.")), @"[#newsroom › sources] Source 1 “memo” added by alice: 8 words, 65 bytes. Removed 1 invisible character (zero-width or direction marks, sometimes used to fingerprint leaked copies).");
    let source = n.desk.store().source(StoryId(1), 1).unwrap().unwrap();
    assert_eq!(
        source.text,
        format!("The leaked memo, with a {family} and {persian}.")
    );
    n.say_with(
        "bob",
        "/story write body",
        &format!("Staff wrote {persian} and {family}."),
    );
    let body = n.say("carol", "/story show body");
    assert!(
        body.contains(&format!("Staff wrote {persian} and {family}.")),
        "{body}"
    );
}

#[test]
fn a_refusal_never_quotes_a_long_value_back() {
    let mut n = Newsroom::new();
    let title = "Meta ".repeat(1_000);
    let refusal = n.say("alice", &format!("/story new title:\"{title}\""));
    assert_snapshot!(refusal, @"[only alice] `title:Meta Meta Meta Meta Meta Meta Meta Meta …` (5,000 characters) is not valid: `title` must be text, at most 200 characters.");
    n.say("alice", "/story new title:\"Meta scrambles over DeepSeek\"");
    let long = "x".repeat(3_000);
    for command in [
        format!("/story {long}"),
        format!("/story write section:{long}"),
        format!("/story approve {long}"),
        format!("/story changes section:body {long}:note"),
        format!("/story status {long}"),
        format!("/story use story:{long}"),
        format!("/story ref add title:Memo date:{long}"),
        format!("/story ref add title:Memo kind:{long}"),
        format!("/story ref add title:Memo url:https://{long}"),
        format!("/story publish style:{long}"),
    ] {
        let refusal = n.say("erin", &command);
        assert!(
            refusal.chars().count() < 600,
            "{} characters for {}…: {refusal}",
            refusal.chars().count(),
            &command[..30]
        );
    }
    assert_snapshot!(n.say("alice", &format!("/story status {long}")), @"[only alice] `story:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…` (3,000 characters) is not valid: `story` must be a story number like 3 or #3, or a story title, at most 200 characters.");
    assert_snapshot!(n.say("alice", &format!("/story write section:{long}")), @"[only alice] There is no section `xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…`. Sections: title, introduction, body, conclusion, references.");
}

/// The news template as shipped, changed by `edit`, written where the newsroom's config can
/// name it; the config overlay that does.
fn changed_template(n: &Newsroom, edit: impl Fn(String) -> String) -> String {
    let shipped = include_str!("../config/templates/news.toml");
    let path = n.dir.path().join("changed-template.toml");
    std::fs::write(&path, edit(shipped.to_string())).unwrap();
    format!(
        "[roles]\neditors = [\"erin\"]\n[story]\ntemplate = {:?}\n",
        path.display().to_string()
    )
}

#[test]
fn an_older_story_keeps_its_sections_when_the_template_gains_one() {
    let n = drafted();
    let overlay = changed_template(&n, |t| {
        t.replace(
            "[[section]]\nname = \"conclusion\"",
            "[[section]]\nname = \"factbox\"\nrequired = true\nmax_chars = 500\n\n[[section]]\nname = \"conclusion\"",
        )
    });
    let mut n = n.restarted(&overlay);
    // The older story is written as before; the new section is not forced on it.
    let second = BODY.replace("about 5.5 million dollars", "roughly 5.6 million dollars");
    assert!(n
        .say_with("bob", "/story write body", &second)
        .contains("**body** revision 2 of #1 “Meta scrambles over DeepSeek” by bob"));
    assert_snapshot!(n.say_with("bob", "/story write factbox", "Four war rooms."), @"[only bob] Story #1 “Meta scrambles over DeepSeek” has no factbox section: it keeps the sections it was started with (title, introduction, body, conclusion, references).");
    approve_all(&mut n, "carol");
    assert!(n
        .say("erin", "/story publish")
        .contains("[#published] # Meta scrambles over DeepSeek"));
    // A story started now has the new section.
    n.say("alice", "/story new Harbour budget");
    assert_snapshot!(n.say_with("bob", "/story write factbox", "Four war rooms."), @r"
    [#newsroom › factbox] **factbox** revision 1 of #2 “Harbour budget” by bob · 3 words

    Four war rooms.

    Needs 1 approval from someone other than bob.
    [Approve] [Request changes]
    ");
}

#[test]
fn an_older_story_keeps_a_section_the_template_no_longer_has() {
    let n = drafted();
    let overlay = changed_template(&n, |t| {
        let start = t.find("[[section]]\nname = \"conclusion\"").unwrap();
        let end = t.find("[[section]]\nname = \"references\"").unwrap();
        format!("{}{}", &t[..start], &t[end..])
    });
    let mut n = n.restarted(&overlay);
    assert_snapshot!(n.say_with("bob", "/story write conclusion", "Investors will ask about the war rooms at the next earnings call."), @r"
    [#newsroom › conclusion] **conclusion** revision 2 of #1 “Meta scrambles over DeepSeek” by bob · 12 words (+4 −10)

    ~~Meta's leaders are expected to discuss what~~ **Investors will ask about** the war rooms ~~found with investors~~ at the next earnings call.

    Needs 1 approval from someone other than bob.
    [Approve] [Request changes]
    ");
    approve_all(&mut n, "carol");
    n.say("carol", "/story approve conclusion");
    assert!(n
        .say("erin", "/story publish")
        .contains("Investors will ask about the war rooms at the next earnings call."));
    n.say("alice", "/story new Harbour budget");
    assert_snapshot!(n.say_with("bob", "/story write conclusion", "The end."), @"[only bob] There is no section `conclusion`. Sections: title, introduction, body, references.");
}

#[test]
fn each_person_has_their_own_active_story_and_replies_name_it() {
    let mut n = Newsroom::new();
    n.say("alice", "/story new Harbour vote");
    n.say("alice", "/story new Harbour budget");
    assert_snapshot!(n.say("alice", "/story use 1"), @"[only alice] Your commands in this channel now act on story #1 “Harbour vote”. Everyone else stays on their own; `story:N` on any command names another.");
    // bob never chose one: he is on the channel's latest, whatever alice picked.
    assert_snapshot!(n.say_with("bob", "/story write body", "The harbour budget grows by a tenth."), @r"
    [#newsroom › body] **body** revision 1 of #2 “Harbour budget” by bob · 7 words

    The harbour budget grows by a tenth.

    Needs 1 approval from someone other than bob.
    [Approve] [Request changes]
    [#newsroom › body] **Checks on body revision 1**: 1 warning
    - warning: The body section has 36 characters; the template asks for at least 500. [section-too-short]
    [only bob] Saved. Note: body is 36 characters; the template asks for at least 500.
    ");
    assert_snapshot!(n.say_with("alice", "/story write body", "The council votes on the harbour."), @r"
    [#newsroom › body] **body** revision 1 of #1 “Harbour vote” by alice · 6 words

    The council votes on the harbour.

    Needs 1 approval from someone other than alice.
    [Approve] [Request changes]
    [#newsroom › body] **Checks on body revision 1**: 1 warning
    - warning: The body section has 33 characters; the template asks for at least 500. [section-too-short]
    [only alice] Saved. Note: body is 33 characters; the template asks for at least 500.
    ");
    assert_snapshot!(n.say("bob", "/story claim intro story:1"), @"[#newsroom] bob claimed the introduction section of #1 “Harbour vote”.");
    assert_snapshot!(n.say("bob", "/story claim intro story:9"), @"[only bob] No story here matches “9”. Stories in this channel: #1 “Harbour vote”, #2 “Harbour budget”.");
    assert_snapshot!(n.say("alice", "/story list"), @r"
    [only alice] **Stories in this channel**
    - #1 “Harbour vote” — 0/5 sections approved · **active**
    - #2 “Harbour budget” — 0/5 sections approved
    ");
    assert_snapshot!(n.say("bob", "/story list"), @r"
    [only bob] **Stories in this channel**
    - #1 “Harbour vote” — 0/5 sections approved
    - #2 “Harbour budget” — 0/5 sections approved · **active**
    ");
}

#[test]
fn a_title_is_one_line() {
    let mut n = drafted();
    assert_snapshot!(n.say_with("alice", "/story write title", "Meta scrambles\nover DeepSeek's cheap model"), @"[only alice] A title is one line; that text has 2. Nothing was saved. On one line it reads: “Meta scrambles over DeepSeek's cheap model”. Write that, or a shorter title, again.");
    // Nothing was saved: the title is still its first revision.
    assert_snapshot!(n.say("alice", "/story history title"), @r"
    [only alice] **History of title** in story #1 “Meta scrambles over DeepSeek”
    - revision 1 by alice on 2026-01-27 09:01 UTC · 4 words
    ");
}

#[test]
fn a_story_has_one_title_its_title_section() {
    let mut n = drafted();
    n.say_with(
        "alice",
        "/story write title",
        "Meta sets up four war rooms to study DeepSeek",
    );
    let renamed = "Meta sets up four war rooms to study DeepSeek";
    assert_snapshot!(n.say("carol", "/story list"), @r"
    [only carol] **Stories in this channel**
    - #1 “Meta sets up four war rooms to study DeepSeek” — 0/5 sections approved · **active**
    ");
    assert_snapshot!(n.board(1), @r"
    **Story #1: Meta sets up four war rooms to study DeepSeek**
    ◔ **title** — in review · alice · rev 2 · 0/1 approvals
    ◔ **introduction** — in review · alice · rev 1 · 0/1 approvals
    ◔ **body** — in review · bob · rev 1 · 0/1 approvals
    ◔ **conclusion** — in review · bob · rev 1 · 0/1 approvals
    ◔ **references** — in review · bob · rev 1 · 0/1 approvals
    0 sources · 1 reference · style APA · 0/5 sections approved
    ");
    let story = n.desk.store().story(StoryId(1)).unwrap().unwrap();
    let json = storydesk::export::export(
        &n.desk,
        &story,
        storydesk::export::Format::Json,
        story.style,
    )
    .unwrap();
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["story"]["title"], renamed);
    assert_eq!(json["article"]["headline"], renamed);
    approve_all(&mut n, "carol");
    let published = n.say("erin", "/story publish");
    assert!(
        published.starts_with(&format!("[#published] # {renamed}\n")),
        "{published}"
    );
    assert_snapshot!(published.lines().last().unwrap_or_default(), @"[#newsroom] erin published story #1 “Meta sets up four war rooms to study DeepSeek” to #published.");
}

#[test]
fn a_reviewer_may_withdraw_their_own_change_request() {
    let mut n = drafted();
    assert_snapshot!(n.say("carol", r#"/story changes body note:"Is the cost figure sourced?""#), @"
    [#newsroom › body] @bob: carol asked for changes on body revision 1 of #1 “Meta scrambles over DeepSeek”:
    > Is the cost figure sourced?
    The section stays unapproved until carol approves a later revision, or withdraws the request by approving this one.
    ");
    assert!(n.board(1).contains("✗ **body** — changes requested"));
    // carol checks, and withdraws the request by approving the revision she asked changes on.
    assert_snapshot!(n.say("carol", "/story approve body"), @"[#newsroom › body] carol withdrew their change request and approved body revision 1 of #1 “Meta scrambles over DeepSeek” (1 of 1). **body is approved.**");
    assert_snapshot!(n.say("dan", "/story approve body"), @"[#newsroom › body] dan approved body revision 1 of #1 “Meta scrambles over DeepSeek” (2 approvals; 1 needed). **body is approved.**");
    let history = n.say("bob", "/story history");
    assert_snapshot!(history.lines().filter(|l| l.contains("carol")).collect::<Vec<_>>().join("\n"), @r"
    - 2026-01-27 09:06 UTC · carol asked for changes on body revision 1
    - 2026-01-27 09:07 UTC · carol withdrew their change request on body revision 1
    - 2026-01-27 09:07 UTC · carol approved body revision 1
    ");
}

#[test]
fn a_claimed_section_is_written_by_whoever_holds_it() {
    let mut n = drafted();
    assert_snapshot!(n.say("alice", "/story claim conclusion take:true"), @r"
    [#newsroom] alice took the conclusion section of #1 “Meta scrambles over DeepSeek” over from bob.
    [#newsroom › conclusion] @bob: alice took the conclusion section of #1 “Meta scrambles over DeepSeek” over from you (`/story claim section:conclusion take:true`). To have it back, ask them or an editor (`/story assign`).
    ");
    assert_snapshot!(n.say("bob", "/story claim conclusion"), @"[only bob] alice has already claimed the conclusion section. Take it over with `/story claim section:conclusion take:true` (they are told), ask them, or an editor can `/story assign` it.");
    // bob's write is refused, and his text is kept for him.
    let text = format!("{CONCLUSION} Meta declined to comment.");
    assert_snapshot!(n.say_with("bob", "/story write conclusion", &text), @"[only bob] alice holds the conclusion section, so only they write it. Nothing was saved, and your text is kept for you: take the section over with `/story claim section:conclusion take:true` (alice is told), or ask them or an editor to `/story assign` it to you, then `/story write section:conclusion resume:true` gives your text back.");
    assert!(n
        .board(1)
        .contains("**conclusion** — in review · alice · rev 1"));
    // He takes it over: alice is told in the section's thread.
    assert_snapshot!(n.say("bob", "/story claim conclusion take:true"), @r"
    [#newsroom] bob took the conclusion section of #1 “Meta scrambles over DeepSeek” over from alice.
    [#newsroom › conclusion] @alice: bob took the conclusion section of #1 “Meta scrambles over DeepSeek” over from you (`/story claim section:conclusion take:true`). To have it back, ask them or an editor (`/story assign`).
    ");
    let back = n.say("bob", "/story write conclusion resume:true");
    assert!(back.contains("Meta declined to comment."), "{back}");
    assert_snapshot!(n.say_with("bob", "/story write conclusion", &text).lines().next().unwrap_or_default(), @"[#newsroom › conclusion] **conclusion** revision 2 of #1 “Meta scrambles over DeepSeek” by bob · 22 words (+4 −0)");
    // An editor may reassign it.
    assert_snapshot!(n.say("erin", "/story assign conclusion user:carol"), @"
    [#newsroom] erin assigned the conclusion section of #1 “Meta scrambles over DeepSeek” to carol.
    [dm carol] erin assigned you the conclusion section of #1 “Meta scrambles over DeepSeek”. Write it with `/story write section:conclusion` in the story's channel.
    ");
    let history = n.say("carol", "/story history");
    assert_snapshot!(history.lines().filter(|l| l.contains("conclusion section") || l.contains("refused")).collect::<Vec<_>>().join("\n"), @r"
    - 2026-01-27 09:06 UTC · alice took the conclusion section over from bob
    - 2026-01-27 09:08 UTC · bob was refused a write of conclusion, which alice holds (the text is kept)
    - 2026-01-27 09:09 UTC · bob took the conclusion section over from alice
    ");
}

#[test]
fn a_draft_of_a_claimed_section_is_accepted_by_whoever_holds_it() {
    let mut n = drafted();
    n.say_with(
        "alice",
        r#"/story source add label:memo"#,
        &format!("{INTRO}\n\n{BODY}\n\n{CONCLUSION}"),
    );
    n.say("alice", "/story claim conclusion take:true");
    let longer = format!("{CONCLUSION} Meta declined to comment.");
    n.say_with("alice", "/story write conclusion", &longer);
    n.say("alice", "/story draft conclusion");
    let extractive = storydesk::assist::Assistant::from_config(&n.desk.config().assist).unwrap();
    n.write_drafts(&extractive);
    // bob may not accept a draft into the section alice holds; the draft stays for her.
    let refused = n.say("bob", "/story draft accept section:conclusion");
    assert!(
        refused.starts_with("[only bob] alice holds the conclusion section"),
        "{refused}"
    );
    assert!(n
        .board(1)
        .contains("**conclusion** — in review · alice · rev 2"));
    let accepted = n.say("alice", "/story draft accept section:conclusion");
    assert!(
        accepted.contains("**conclusion** revision 3 of #1"),
        "{accepted}"
    );
}

#[test]
fn a_write_from_an_unknown_draft_is_refused_and_its_text_kept() {
    let mut n = drafted();
    n.say_with(
        "alice",
        r#"/story source add label:memo"#,
        &format!("{INTRO}\n\n{BODY}\n\n{CONCLUSION}"),
    );
    n.say("alice", "/story draft conclusion");
    let extractive = storydesk::assist::Assistant::from_config(&n.desk.config().assist).unwrap();
    n.write_drafts(&extractive);
    let edited = format!("{CONCLUSION} Meta declined to comment.");
    assert_snapshot!(n.say_with("bob", "/story write conclusion draft:99", &edited), @"[only bob] There is no draft 99 of conclusion: its drafts go up to draft 1. Look at the drafts in the conclusion thread. Nothing was saved, and your text is kept for you: `/story write section:conclusion resume:true` gives it back.");
    // Nothing was saved, and the text comes back.
    assert!(n
        .board(1)
        .contains("**conclusion** — in review · bob · rev 1"));
    let back = n.say("bob", "/story write conclusion resume:true");
    assert!(back.contains("Meta declined to comment."), "{back}");
}

#[test]
fn references_keep_their_numbers() {
    let mut n = drafted();
    n.say(
        "bob",
        r#"/story ref add title:"DeepSeek-V3 technical report" author:"DeepSeek-AI" date:2024-12 outlet:"arXiv" url:https://arxiv.org/abs/2412.19437 kind:web"#,
    );
    n.say(
        "bob",
        r#"/story ref add title:"Meta's war rooms" author:"Doe, J." date:2025-01-28 outlet:"Example Daily" url:https://example.com/war-rooms"#,
    );
    n.say("bob", "/story ref remove number:1");
    // Removing number 1 again removes nothing else: the numbers did not shift.
    assert_snapshot!(n.say("bob", "/story ref remove number:1"), @"[only bob] There is no reference 1; the story's references are numbered 2, 3 (`/story ref list`).");
    let edited = n.say(
        "bob",
        r#"/story ref edit number:3 date:2025-01-29 outlet:"Example Times""#,
    );
    assert!(edited.contains("**references** revision 5"), "{edited}");
    assert_snapshot!(n.say("bob", "/story ref edit number:3 date:2025-01-29"), @"[only bob] No change: reference 3 already reads like that. Give the fields to correct, such as `date:2025-01-28`.");
    n.say("bob", r#"/story ref add title:"A later one" outlet:"Example Daily" url:https://example.com/later"#);
    assert_snapshot!(n.say("bob", "/story ref list"), @r"
    [only bob] **References of story #1 “Meta scrambles over DeepSeek”** (APA; numbered as added)
    2. DeepSeek-AI. (2024, December). *DeepSeek-V3 technical report*. arXiv. https://arxiv.org/abs/2412.19437
    3. Doe, J. (2025, January 29). Meta's war rooms. *Example Times*. https://example.com/war-rooms
    4. A later one. (n.d.). *Example Daily*. https://example.com/later
    ");
    let history = n.say("bob", "/story history");
    assert_snapshot!(history.lines().filter(|l| l.contains("reference")).collect::<Vec<_>>().join("\n"), @r"
    - 2026-01-27 09:05 UTC · bob added reference 1 “Meta sets up war rooms to study DeepSeek”
    - 2026-01-27 09:05 UTC · bob wrote references revision 1
    - 2026-01-27 09:06 UTC · bob added reference 2 “DeepSeek-V3 technical report”
    - 2026-01-27 09:06 UTC · bob wrote references revision 2
    - 2026-01-27 09:07 UTC · bob added reference 3 “Meta's war rooms”
    - 2026-01-27 09:07 UTC · bob wrote references revision 3
    - 2026-01-27 09:08 UTC · bob removed reference 1 “Meta sets up war rooms to study DeepSeek”
    - 2026-01-27 09:08 UTC · bob wrote references revision 4
    - 2026-01-27 09:10 UTC · bob edited reference 3 “Meta's war rooms”
    - 2026-01-27 09:10 UTC · bob wrote references revision 5
    - 2026-01-27 09:12 UTC · bob added reference 4 “A later one”
    - 2026-01-27 09:12 UTC · bob wrote references revision 6
    ");
}
