//! A story belongs to its platform, its team (Slack workspace, Discord server) and its
//! channel. A request from anywhere else can neither read nor change it: not by naming its
//! number, not with a button that carries it, not from a thread bound in its channel.
//! Checked through the desk with requests whose place differs in one part at a time; the
//! adapters' own paths are checked in `tests/slack` and `tests/discord.rs`.

use storydesk::config::{Config, Template};
use storydesk::desk::{
    Action, Body, Desk, Destination, EventKey, EventKind, Input, Reply, Request, ThreadKind,
};
use storydesk::model::{ChannelKey, Person, Place, Platform, StoryId, Timestamp};
use storydesk::store::{Store, StoreOptions};

const START_MS: i64 = 1_769_504_400_000;

const INTRO: &str = "The city council has postponed its vote on the harbour budget to March, according to an internal memo seen by this newsroom.";
const SOURCE: &str =
    "From the harbour finance office: the vote is postponed because the dredging estimate doubled.";

fn channel(platform: Platform, team: &str, channel: &str) -> ChannelKey {
    ChannelKey {
        platform,
        team: team.into(),
        channel: channel.into(),
    }
}

/// A desk and a clock.
struct World {
    desk: Desk,
    _dir: tempfile::TempDir,
    minute: i64,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::from_overlay(
            Some("[roles]\neditors = [\"U0ERIN\", \"erin\", \"800000000000000004\"]\n"),
            "test",
        )
        .unwrap();
        let template = Template::load(&config.story.template).unwrap();
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        World {
            desk: Desk::new(store, config, template),
            _dir: dir,
            minute: 0,
        }
    }

    fn request(&mut self, who: &str, place: &Place, input: Input, story: Option<StoryId>) -> Reply {
        self.minute += 1;
        self.desk.handle(Request {
            actor: Person {
                id: who.into(),
                name: who.trim_start_matches("U0").to_lowercase(),
            },
            memberships: Default::default(),
            place: place.clone(),
            at: Timestamp(START_MS + self.minute * 60_000),
            input,
            event: Some(EventKey::new(
                place.channel.platform,
                place.channel.team.clone(),
                EventKind::Command,
                format!("event-{}", self.minute),
            )),
            story,
        })
    }

    fn say(&mut self, who: &str, place: &Place, text: &str, body: Option<&str>) -> Reply {
        let input = Input::Text {
            text: text.into(),
            body: body.map(str::to_string),
        };
        self.request(who, place, input, None)
    }

    /// Everything stored about story 1 that a request could change.
    fn state(&self) -> String {
        let store = self.desk.store();
        let story = store.story(StoryId(1)).unwrap().unwrap();
        let audit = store.audit(StoryId(1)).unwrap();
        format!("{story:?}\n{audit:?}")
    }
}

fn at(key: &ChannelKey) -> Place {
    Place {
        channel: key.clone(),
        thread: None,
    }
}

/// Every text of a reply, each with where it goes.
fn texts(reply: &Reply) -> Vec<(Destination, String)> {
    reply
        .posts
        .iter()
        .map(|p| (p.to.clone(), p.body.text()))
        .collect()
}

/// The reply is one refusal for the requester alone, which gives nothing of story 1 away.
fn assert_refused(reply: &Reply, what: &str) {
    let posts = texts(reply);
    assert_eq!(posts.len(), 1, "{what}: {posts:?}");
    assert_eq!(posts[0].0, Destination::Requester, "{what}: {posts:?}");
    assert!(
        matches!(reply.posts[0].body, Body::Problem(_)),
        "{what}: {posts:?}"
    );
    let text = &posts[0].1;
    for secret in ["Harbour", "harbour", "dredging", "council"] {
        assert!(!text.contains(secret), "{what} leaks {secret:?}: {text}");
    }
}

/// Story 1 in Slack workspace T0ONE, channel C0NEWS: a source, an introduction in review,
/// a reference, its threads bound.
fn newsroom(w: &mut World) -> (Place, String) {
    let home = at(&channel(Platform::Slack, "T0ONE", "C0NEWS"));
    let reply = w.say("U0ALICE", &home, "new Harbour budget vote delayed", None);
    assert_eq!(reply.story, Some(StoryId(1)));
    w.say("U0ALICE", &home, "source add label:memo", Some(SOURCE));
    w.say("U0ALICE", &home, "write intro", Some(INTRO));
    w.say(
        "U0ALICE",
        &home,
        "ref add title:\"Harbour minutes\" outlet:\"City Council\" date:2025-01-28 url:https://example.org/minutes",
        None,
    );
    let thread = "1700000000.000100".to_string();
    w.desk
        .bind_thread(&home.channel, &thread, StoryId(1), &ThreadKind::Sources)
        .unwrap();
    (home, thread)
}

/// The places that are not story 1's home, each differing from it in one part.
fn elsewhere() -> Vec<(&'static str, Place)> {
    vec![
        (
            "another channel of the same workspace",
            at(&channel(Platform::Slack, "T0ONE", "C0OTHER")),
        ),
        (
            "the same channel id in another workspace",
            at(&channel(Platform::Slack, "T0TWO", "C0NEWS")),
        ),
        (
            "the same ids on Discord",
            at(&channel(Platform::Discord, "T0ONE", "C0NEWS")),
        ),
        (
            "the console",
            at(&channel(Platform::Console, "local", "C0NEWS")),
        ),
    ]
}

/// Commands that name story 1 by its number or act on "the story here".
const COMMANDS: &[&str] = &[
    "use 1",
    "status",
    "list",
    "show intro",
    "history intro",
    "diff intro",
    "source list",
    "source show 1",
    "ref list",
    "ref remove 1",
    "claim body",
    "assign body user:U0BOB",
    "approve intro",
    "changes intro note:\"Check the date.\"",
    "check",
    "preview",
    "publish",
    "purge-sources",
];

#[test]
fn a_request_from_another_channel_team_or_platform_neither_reads_nor_changes_a_story() {
    let mut w = World::new();
    newsroom(&mut w);
    let before = w.state();
    for (where_, place) in elsewhere() {
        for command in COMMANDS {
            let who = if command.starts_with("publish") || command.starts_with("purge") {
                // The editor as this platform knows them, so the refusal is the story's
                // place, not the role.
                match place.channel.platform {
                    Platform::Discord => "800000000000000004",
                    _ => "U0ERIN",
                }
            } else {
                "U0BOB"
            };
            let reply = w.say(who, &place, command, None);
            if *command == "list" {
                // A listing of this channel: empty, never story 1.
                let text = texts(&reply)
                    .into_iter()
                    .map(|(_, t)| t)
                    .collect::<String>();
                assert!(!text.contains("Harbour"), "{where_}: {text}");
                continue;
            }
            assert_refused(&reply, &format!("{command} from {where_}"));
            // Naming the story explicitly, as a platform does for a button, changes nothing.
            let named = w.request(
                who,
                &place,
                Input::Text {
                    text: command.to_string(),
                    body: None,
                },
                Some(StoryId(1)),
            );
            assert_refused(&named, &format!("{command} naming #1 from {where_}"));
        }
        for (command, body) in [("write body", INTRO), ("source add label:x", SOURCE)] {
            let reply = w.say("U0BOB", &place, command, Some(body));
            assert_refused(&reply, &format!("{command} from {where_}"));
        }
        // The forms adapters prefill refuse too, without the section's text.
        let probe = Request {
            actor: Person::named("bob"),
            memberships: Default::default(),
            place: place.clone(),
            at: Timestamp(START_MS),
            input: Input::Text {
                text: "write intro".into(),
                body: None,
            },
            event: None,
            story: Some(StoryId(1)),
        };
        let refused = w.desk.section_text(&probe).unwrap_err();
        assert!(!refused.contains("harbour"), "{refused}");
    }
    assert_eq!(w.state(), before, "story 1 changed");
}

#[test]
fn buttons_that_carry_a_story_from_elsewhere_change_nothing() {
    let mut w = World::new();
    let (home, _) = newsroom(&mut w);
    let before = w.state();
    let approve = Action::Approve {
        story: StoryId(1),
        section: "introduction".into(),
        revision: 1,
    };
    let changes = Action::RequestChanges {
        story: StoryId(1),
        section: "introduction".into(),
        revision: 1,
    };
    for (where_, place) in elsewhere() {
        for action in [&approve, &changes] {
            let (input, story) = action.to_input(Some("Wrong date.".into()));
            let reply = w.request("U0BOB", &place, input, Some(story));
            assert_refused(&reply, &format!("{action:?} from {where_}"));
        }
    }
    assert_eq!(w.state(), before, "story 1 changed");

    // At home the same button works: the refusals above were about the place.
    let (input, story) = approve.to_input(None);
    let reply = w.request("U0BOB", &home, input, Some(story));
    assert!(
        texts(&reply)
            .iter()
            .any(|(_, t)| t.contains("approved introduction")),
        "{:?}",
        texts(&reply)
    );
}

#[test]
fn a_thread_bound_in_one_channel_means_nothing_in_another() {
    let mut w = World::new();
    let (home, thread) = newsroom(&mut w);
    let before = w.state();
    for (where_, place) in elsewhere() {
        let in_thread = Place {
            channel: place.channel.clone(),
            thread: Some(thread.clone()),
        };
        assert_eq!(
            w.desk.thread_target(&in_thread.channel, &thread),
            None,
            "{where_}"
        );
        // A message there is chatter, not a source of story 1.
        let reply = w.request(
            "U0BOB",
            &in_thread,
            Input::Message {
                text: "A second source.".into(),
            },
            None,
        );
        assert!(reply.posts.is_empty(), "{where_}: {:?}", texts(&reply));
        // A command there finds no story.
        let reply = w.say("U0BOB", &in_thread, "source list", None);
        assert_refused(&reply, &format!("source list in the thread from {where_}"));
    }
    assert_eq!(w.state(), before, "story 1 changed");

    // In its own channel the thread is the story's source thread.
    assert_eq!(
        w.desk.thread_target(&home.channel, &thread),
        Some((StoryId(1), ThreadKind::Sources))
    );
}

#[test]
fn two_stories_with_the_same_title_in_two_workspaces_stay_apart() {
    let mut w = World::new();
    let one = at(&channel(Platform::Slack, "T0ONE", "C0NEWS"));
    let two = at(&channel(Platform::Slack, "T0TWO", "C0NEWS"));
    w.say("U0ALICE", &one, "new Harbour budget vote delayed", None);
    w.say("U0ALICE", &two, "new Harbour budget vote delayed", None);
    w.say("U0ALICE", &one, "write intro", Some(INTRO));
    // In the second workspace the active story is its own #2, which has no introduction.
    let reply = w.say("U0ALICE", &two, "show intro", None);
    let text = texts(&reply)
        .into_iter()
        .map(|(_, t)| t)
        .collect::<String>();
    assert!(!text.contains("postponed its vote"), "{text}");
    assert_eq!(reply.story, Some(StoryId(2)), "{text}");
    let list = w.say("U0ALICE", &two, "list", None);
    let text = texts(&list).into_iter().map(|(_, t)| t).collect::<String>();
    assert!(text.contains("#2") && !text.contains("#1"), "{text}");
}
