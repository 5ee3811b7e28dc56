//! What the desk says when a request cannot be done as asked: a missing or bad option, a
//! limit reached, a story or draft that is not there. Each answer says what to do instead,
//! and nothing is saved.

mod common;

use common::{Newsroom, BODY, INTRO};
use insta::assert_snapshot;

/// A newsroom with one story, “Meta scrambles over DeepSeek”.
fn one_story(overlay: &str) -> Newsroom {
    let mut n = Newsroom::with_config(overlay);
    n.say(
        "alice",
        r#"/story new title:"Meta scrambles over DeepSeek""#,
    );
    n
}

#[test]
fn starting_and_choosing_stories() {
    let mut n = Newsroom::new();
    // Blank once its invisible characters are gone.
    assert_snapshot!(n.say("alice", "/story new title:\u{200B}\u{200D}"), @r#"[only alice] A story needs a working title: `/story new title:"Meta scrambles over DeepSeek"`."#);
    n.say(
        "alice",
        r#"/story new title:"Meta scrambles over DeepSeek""#,
    );
    n.say("alice", r#"/story new title:"Meta scrambles over Mistral""#);
    assert_snapshot!(n.say("alice", "/story use story:Meta"), @"[only alice] “Meta” matches several stories: #1 “Meta scrambles over DeepSeek”, #2 “Meta scrambles over Mistral”. Use the number, like `/story use story:1`.");
    // A button or form names a story of another channel.
    let reply = n.request(
        "alice",
        storydesk::desk::Input::Text {
            text: "/story status".into(),
            body: None,
        },
        None,
        Some(storydesk::model::StoryId(9)),
    );
    assert_snapshot!(common::render(&reply, "alice"), @"[only alice] Story #9 is not one of this channel's stories. `/story list` shows the stories here.");
    assert_snapshot!(n.say("alice", "/story status story:7"), @"[only alice] No story here matches “7”. Stories in this channel: #1 “Meta scrambles over DeepSeek”, #2 “Meta scrambles over Mistral”.");
    assert_snapshot!(n.say("alice", "/story help"), @r#"
    [only alice] /story: Write a referenced news story together, from pasted sources to a published article.

    Stories
      /story new title:"Meta scrambles over DeepSeek"
          Start a new story in this channel and post its board.
      /story list
          List the stories on the desk with their state.
      /story use story:3
          Choose the story your commands in this channel act on.
      /story status
          Show the story's board: each section's state, owner and approvals.

    Sources
      /story source add label:"forum post"
          Add source material: paste the text into the box that opens.
      /story source list
          List the story's sources with who added them and when.
      /story source show number:2
          Show one source in full.

    Writing
      /story claim section:body
          Take a section to write it yourself.
      /story assign section:intro user:@bob
          Give a section to someone to write.
      /story write section:body
          Write a section; every save is a new revision, sent for review.
      /story show section:body
          Show a section's current text, or the whole story when no section is given.
      /story history section:body
          Show a section's revisions, or the story's log when no section is given.
      /story diff section:body from:2 to:3
          Show what changed in a section between two revisions (default: the last two).

    Drafting
      /story draft section:intro guidance:"Lead with the cost figure."
          Propose a draft of a section (or all) from the sources; nothing is saved until accepted.
      /story draft accept section:intro
          Accept a section's proposed draft: it becomes a revision by you, marked assisted.
      /story draft discard section:intro
          Throw away a section's proposed draft.

    Review
      /story approve section:body
          Approve the latest revision of a section.
      /story changes section:body note:"Give a source for the 2023 figure."
          Request changes to the latest revision of a section.

    References
      /story ref add title:"深度求索震动硅谷" author:"Li, W." date:2025-01-28 translated:"DeepSeek shakes Silicon Valley" outlet:"Example Daily" url:https://example.com/deepseek
          Add a reference to the story.
      /story ref list
          List the story's references as they will be cited.
      /story ref edit number:2 date:2025-01-28 outlet:"Example Daily"
          Correct a reference: the fields given replace its own.
      /story ref remove number:2
          Remove a reference from the story.

    Publishing
      /story check
          Run the pre-publish checks on the story as it stands.
      /story preview
          Show the article with its references, as it would be published.
      /story publish channel:#published style:apa
          Publish the story once every section is approved and the checks pass.
      /story correct section:body note:"The vote was on Tuesday."
          Correct a published section; the article changes once approved.
      /story purge-sources
          Delete a published story's sources for good; the audit log keeps that it happened.

    Time
      /story due section:body at:"tomorrow 17:00"
          Set when the story or one section is due; reminders go to whoever writes it.
      /story tz zone:Europe/Berlin quiet:22:00-07:00
          Set your time zone and quiet hours, or show them.
      /story mine
          Your sections and reviews in this workspace's stories, with their due times.
      /story embargo until:"mon 6:00"
          Hold the story: nobody can publish it before this time.

    Help
      /story help command:"ref add"
          Explain the /story commands, or one command in detail.

    For one command in detail: /story help write, or /story help ref add.

    Sections: `title` (headline, hed), `introduction` (intro, lede, lead), `body` (story, main), `conclusion` (ending, kicker), `references` (refs, sources-cited, bibliography).
    Options are written `name:value` or `name:"quoted value"`; the first required option may be given bare. `/story help command:write` explains one command.
    "#);
}

#[test]
fn sources_need_text_and_room() {
    let mut n = one_story("[limits]\nsources_per_story = 1\n");
    assert_snapshot!(n.say("alice", r#"/story source add label:"memo""#), @"[only alice] The source text is missing. Paste it in the box that opens, attach a text file, or in the console end the command with `<<END` and put the text on the following lines, closed by a line `END`.");
    n.say_with(
        "alice",
        r#"/story source add label:"memo""#,
        "Four war rooms.",
    );
    assert_snapshot!(n.say_with("alice", r#"/story source add label:"second memo""#, "Two more."), @"[only alice] This story already has 1 source, the most it can hold ([limits] sources_per_story). Nothing was saved.");
}

#[test]
fn sections_assigned_written_and_shown() {
    let mut n = one_story("[roles]\neditors = [\"erin\"]\n");
    assert_snapshot!(n.say("erin", "/story assign section:body"), @"[only erin] `/story assign` needs `user`. Usage: `/story assign section:intro user:@bob`");
    assert_snapshot!(n.say("erin", "/story assign section:body user:@"), @"[only erin] `user:@` is not valid: `user` must be a user.");
    n.say("bob", "/story claim body");
    assert_snapshot!(n.say("bob", "/story claim body"), @"[only bob] You already have the body section.");
    n.say_with("bob", "/story write body", BODY);
    assert_snapshot!(n.say_with("bob", "/story write body", BODY), @"[only bob] No change: that text is the same as body revision 1.");
    assert_snapshot!(n.say("bob", "/story show section:intro"), @"[only bob] The introduction section has no text yet. `/story write section:introduction` writes it.");
    assert_snapshot!(n.say("bob", "/story show"), @r"
        [only bob] Story #1 “Meta scrambles over DeepSeek” as it stands (unapproved text included):

        # Meta scrambles over DeepSeek

        According to the memo, engineers in Meta's generative AI group have been asked to take the DeepSeek model apart.

        Two of the four war rooms are working out how DeepSeek brought the cost of training down. In its technical report, DeepSeek says the final training run of V3 cost about 5.5 million dollars, a figure that leaves out earlier research.

        Management is worried about justifying the cost of the generative AI organisation, the memo says, when a small lab trained a competitive model for a small share of what Meta spends.

        Meta did not respond to a request for comment.
    ");
    assert_snapshot!(n.say("bob", "/story diff section:body"), @"[only bob] The body section has 1 revision; a diff needs two.");
    assert_snapshot!(n.say("bob", "/story diff section:body from:1 to:4"), @"[only bob] There is no body revision 4; it has revisions 1 to 1.");
    assert_snapshot!(n.say("bob", "/story write section:intro resume:true"), @"[only bob] You have no kept text of introduction to resume. `/story write section:introduction` writes it.");
    assert_snapshot!(n.say_with("alice", "/story write section:intro base:3", INTRO), @"[only alice] There is no introduction revision 3; the section has no text yet, so leave `base` out.");
}

#[test]
fn change_requests_say_what_should_change() {
    let mut n = one_story("");
    n.say_with("bob", "/story write body", BODY);
    assert_snapshot!(n.say("carol", "/story changes section:body"), @r#"[only carol] `/story changes` needs `note`. Usage: `/story changes section:body note:"Give a source for the 2023 figure."`"#);
    let long = "x".repeat(2001);
    assert_snapshot!(n.say("carol", &format!(r#"/story changes section:body note:"{long}""#)), @"[only carol] `note:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…` (2,001 characters) is not valid: `note` must be text, at most 1000 characters.");
    assert_snapshot!(n.say("carol", "/story changes section:body note:\u{200B}"), @r#"[only carol] Say what should change: `/story changes section:body note:"…"`."#);
}

#[test]
fn references_are_checked_before_they_are_added() {
    let mut n = one_story("[limits]\nreferences_per_story = 1\n");
    assert_snapshot!(n.say("bob", r#"/story ref add author:"Carey, B.""#), @r#"[only bob] `/story ref add` needs `title`. Usage: `/story ref add title:"深度求索震动硅谷" author:"Li, W." date:2025-01-28 translated:"DeepSeek shakes Silicon Valley" outlet:"Example Daily" url:https://example.com/deepseek`"#);
    assert_snapshot!(n.say("bob", r#"/story ref add title:"War rooms" kind:blog"#), @"[only bob] `kind:blog` is not valid: `kind` must be one of news, web, forum.");
    assert_snapshot!(n.say("bob", r#"/story ref add title:"War rooms" url:"ftp://example.org/x y""#), @"[only bob] `url:ftp://example.org/x y` is not valid: `url` must be a web address starting with http:// or https://.");
    assert_snapshot!(n.say("bob", r#"/story ref add title:"War rooms" url:"https://example.org/x y""#), @"[only bob] `https://example.org/x y` is not a web address; it should start with https:// and contain no spaces.");
    assert_snapshot!(n.say("bob", "/story ref add title:\u{200B}"), @r#"[only bob] A reference needs at least a title: `/story ref add title:"…" author:"…" date:2025-01-27 outlet:"…" url:https://…`."#);
    n.say("bob", r#"/story ref add title:"War rooms""#);
    assert_snapshot!(n.say("bob", r#"/story ref add title:"More war rooms""#), @"[only bob] This story already has 1 reference, the most it can hold ([limits] references_per_story). Nothing was saved.");
    assert_snapshot!(n.say("bob", "/story preview"), @r"
        [only bob] Preview of story #1 “Meta scrambles over DeepSeek” (not published):

        # Meta scrambles over DeepSeek

        *(introduction: not written yet)*

        *(body: not written yet)*

        *(conclusion: not written yet)*

        ## References

        - War rooms. (n.d.).
    ");
}

#[test]
fn a_template_without_references_takes_none() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("brief.toml");
    std::fs::write(
        &template,
        "name = \"brief\"\ndescription = \"A headline and a paragraph.\"\n\n[[section]]\nname = \"title\"\nrequired = true\nmax_chars = 120\n\n[[section]]\nname = \"body\"\nrequired = true\nmax_chars = 2000\n",
    )
    .unwrap();
    let mut n = Newsroom::with_config(&format!("[story]\ntemplate = \"{}\"\n", template.display()));
    n.say("alice", r#"/story new title:"Brief""#);
    assert_snapshot!(n.say("bob", r#"/story ref add title:"War rooms""#), @"[only bob] This story's template has no references section, so references cannot be added.");
}

#[test]
fn drafts_that_are_not_there_or_not_allowed() {
    let mut n = one_story("");
    assert_snapshot!(n.say("bob", "/story draft accept"), @"[only bob] Which section? Name it (`/story draft accept section:body`), or use the command in the section's thread.");
    let mut remote =
        one_story("[assist]\nbase_url = \"https://api.example.com/v1\"\nmodel = \"gpt-4o\"\n");
    remote.say_with(
        "alice",
        r#"/story source add label:"memo""#,
        "Four war rooms have been set up.",
    );
    assert_snapshot!(remote.say("bob", "/story draft section:body"), @r#"[only bob] Drafting is switched off: `[assist] base_url` points at a model on api.example.com:443, which is not this machine, so the story's sources would leave the building. storydesk sends sources to another machine only with `[assist] allow_remote = true`, which a newsroom should set only once it has agreed that its sources may go to api.example.com:443. To draft with a model on this machine instead, run one locally, for instance Ollama (`ollama pull llama3.1`, then `ollama serve`), and set `base_url = "http://127.0.0.1:11434/v1"` and `model = "llama3.1"` under `[assist]`. Or leave `base_url` empty for the built-in extractive drafter, which works offline. Nothing was sent."#);
}

#[test]
fn publishing_in_a_style_the_desk_does_not_know() {
    let mut n = one_story("[roles]\neditors = [\"erin\"]\n");
    assert_snapshot!(n.say("erin", "/story publish style:harvard"), @"[only erin] `style:harvard` is not valid: `style` must be one of apa, mla, chicago.");
}

#[test]
fn drafts_replaced_superseded_missing_or_too_long() {
    let mut n = one_story("");
    let extractive = storydesk::assist::Assistant::from_config(&n.desk.config().assist).unwrap();
    assert_snapshot!(n.say("bob", "/story draft accept section:all"), @"[only bob] No draft is waiting in any section. Ask for one with `/story draft section:body` (or `section:all`).");
    n.say_with(
        "alice",
        r#"/story source add label:"memo""#,
        "Meta has set up four war rooms of engineers to study DeepSeek V3 after the Chinese lab released a rival model that it says was trained for a small share of what the largest American laboratories spend on a single training run of a frontier model. The memo was sent to leadership on Monday.",
    );
    n.say("bob", "/story draft section:title");
    // Asked again before the first was written: the first is replaced, and when its
    // drafter finishes it is not kept.
    assert_snapshot!(n.say("bob", "/story draft section:title"), @r"
        [only bob] Drafting title with the extractive drafter. The proposal will appear in the title thread; nothing is saved until someone accepts it.
        [#newsroom › title] **Draft 1 of title**: replaced by draft 2.
        [#newsroom › title] **Draft 2 of title** is being written by the extractive drafter, for bob…
    ");
    let (shown, _) = n.write_drafts(&extractive);
    assert_snapshot!(shown, @r"
        [#newsroom › title] **Draft 1 of title**: a newer draft was asked for before this one was finished, so it was not kept.
        [#newsroom › title] **Draft 2 of title** by the extractive drafter, for bob · 13 words

        Meta has set up four war rooms of engineers to study DeepSeek V3

        Other candidates: “The memo was sent to leadership on Monday”
        Extractive draft: each candidate is a phrase copied word for word from source 1, chosen by how central it is to them. Nothing was rephrased or added; a headline usually needs rewording.
        Checks: 0 errors, 1 other finding
        - warning (line 1, column 1): 13 words match source 1 “memo” word for word, at line 1, column 1: “Meta has set up four war rooms of engineers to study DeepSeek V3”. Leaked copies are often fingerprinted, so a verbatim passage can identify who leaked it: paraphrase it, or quote it on purpose and attribute it. [verbatim]
        Nothing is saved until someone accepts it: **Accept** makes it a revision by whoever accepts it, **Edit** opens it in the write box, **Discard** drops it (or `/story draft accept section:title`, `/story draft discard section:title`).
        [Accept] [Edit] [Discard]
    ");
    assert_snapshot!(n.say("bob", "/story draft accept section:title"), @r"
        [#newsroom › title] **Draft 2 of title**: accepted by bob as title revision 2.
        [#newsroom › title] **title** revision 2 of #1 “Meta has set up four war rooms of engineers to study DeepSeek V3” by bob (assisted draft) · 13 words (+11 −2)

        Meta ~~scrambles over~~ **has set up four war rooms of engineers to study** DeepSeek **V3**

        Needs 1 approval from someone other than bob.
        [Approve] [Request changes]
        [#newsroom › title] **Checks on title revision 2**: 1 warning
        - warning (line 1, column 1): 13 words match source 1 “memo” word for word, at line 1, column 1: “Meta has set up four war rooms of engineers to study DeepSeek V3”. Leaked copies are often fingerprinted, so a verbatim passage can identify who leaked it: paraphrase it, or quote it on purpose and attribute it. [verbatim]
    ");
}

#[test]
fn drafting_that_cannot_start_or_finds_nothing() {
    let mut n = one_story(
        "[assist]\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"llama3.1\"\napi_key_env = \"STORYDESK_TEST_KEY_THAT_IS_NOT_SET\"\n",
    );
    n.say_with("alice", r#"/story source add label:"memo""#, "war rooms");
    assert_snapshot!(n.say("bob", "/story draft section:body"), @r"
        [only bob] Drafting body with model `llama3.1` at 127.0.0.1:9. The proposal will appear in the body thread; nothing is saved until someone accepts it.
        [#newsroom › body] **Draft 1 of body** is being written by model `llama3.1` at 127.0.0.1:9, for bob…
    ");
    let mut offline = one_story("");
    let extractive =
        storydesk::assist::Assistant::from_config(&offline.desk.config().assist).unwrap();
    offline.say_with("alice", r#"/story source add label:"memo""#, "war rooms");
    offline.say("bob", "/story draft section:body");
    let (shown, _) = offline.write_drafts(&extractive);
    assert_snapshot!(shown, @"[#newsroom › body] **Draft 1 of body** could not be written: the sources have no complete sentence left for this section (the extractive drafter only proposes whole sentences from the sources). Nothing was saved; the body section is unchanged.");
}

#[test]
fn a_title_the_extractive_drafter_cannot_fit_leaves_nothing_to_accept() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("tight.toml");
    std::fs::write(
        &template,
        "name = \"tight\"\ndescription = \"Short headlines.\"\n\n[[section]]\nname = \"title\"\nrequired = true\nmax_chars = 40\n\n[[section]]\nname = \"body\"\nrequired = true\nmax_chars = 4000\n",
    )
    .unwrap();
    let mut n = Newsroom::with_config(&format!("[story]\ntemplate = \"{}\"\n", template.display()));
    n.say("alice", r#"/story new title:"War rooms""#);
    let extractive = storydesk::assist::Assistant::from_config(&n.desk.config().assist).unwrap();
    n.say_with(
        "alice",
        r#"/story source add label:"memo""#,
        "Meta has set up four war rooms of engineers to study DeepSeek V3 after the Chinese lab released a rival model. The memo was sent to leadership on Monday.",
    );
    n.say("bob", "/story draft section:title");
    n.write_drafts(&extractive);
    assert_snapshot!(n.say("bob", "/story draft accept section:title"), @"[only bob] Draft 1 of title could not be written, so there is nothing to accept. Ask for one with `/story draft section:title`.");
}
