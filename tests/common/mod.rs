//! A newsroom around a desk, for scenario tests that read like the conversation they check.
#![allow(dead_code)]

pub mod fake_model;

use storydesk::assist::Assistant;
use storydesk::config::{Config, Template};
use storydesk::desk::{
    messages, Action, Body, Desk, Destination, DraftJob, EventKey, EventKind, Input, Reply, Request,
};
use storydesk::model::{ChannelKey, Person, Place, Platform, StoryId, Timestamp};
use storydesk::store::{Store, StoreOptions};

/// 2026-01-27 09:00 UTC: the clock every scenario starts at; each request moves it a minute.
const START_MS: i64 = 1_769_504_400_000;

/// A desk on a fresh store, a fixed clock, and people typing in `#newsroom`.
pub struct Newsroom {
    /// The desk under test.
    pub desk: Desk,
    /// Keeps the store's directory alive.
    pub dir: tempfile::TempDir,
    /// Requests so far; the clock.
    minute: i64,
    /// Where people type.
    pub channel: String,
    /// The thread they type in, if any (`None`: the channel).
    pub thread: Option<String>,
    /// The last board posted for each story.
    boards: Vec<(StoryId, String)>,
    /// The buttons of the last review post or draft.
    pub last_actions: Vec<Action>,
    /// Drafts the desk asked for and nobody has written yet.
    pub pending_drafts: Vec<DraftJob>,
}

impl Newsroom {
    /// A newsroom where erin is the editor and one approval is enough.
    pub fn new() -> Self {
        Self::with_config("[roles]\neditors = [\"erin\"]\n")
    }

    /// A newsroom with this config overlay.
    pub fn with_config(overlay: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let desk = open(dir.path(), overlay);
        Newsroom {
            desk,
            dir,
            minute: 0,
            channel: "newsroom".into(),
            thread: None,
            boards: Vec::new(),
            last_actions: Vec::new(),
            pending_drafts: Vec::new(),
        }
    }

    /// Close the desk and open it again on the same data directory.
    pub fn restarted(self, overlay: &str) -> Self {
        let Newsroom {
            desk,
            dir,
            minute,
            channel,
            thread,
            ..
        } = self;
        // The old desk (and sled's lock on the directory) goes first.
        drop(desk);
        Newsroom {
            desk: open(dir.path(), overlay),
            dir,
            minute,
            channel,
            thread,
            boards: Vec::new(),
            last_actions: Vec::new(),
            pending_drafts: Vec::new(),
        }
    }

    pub fn place(&self) -> Place {
        Place {
            channel: ChannelKey {
                platform: Platform::Console,
                team: "local".into(),
                channel: self.channel.clone(),
            },
            thread: self.thread.clone(),
        }
    }

    /// Send a request and return the desk's reply as is.
    pub fn request(
        &mut self,
        who: &str,
        input: Input,
        event: Option<&str>,
        story: Option<StoryId>,
    ) -> Reply {
        self.minute += 1;
        let req = Request {
            actor: Person::named(who),
            memberships: Default::default(),
            place: self.place(),
            at: Timestamp(START_MS + self.minute * 60_000),
            input,
            event: event.map(event_key),
            story,
        };
        let reply = self.desk.handle(req);
        self.note(&reply);
        // The channel here is this test's own: an article handed to it is all up at once.
        if let Some(story) = reply.story {
            if reply
                .posts
                .iter()
                .any(|p| matches!(p.to, Destination::Publish { .. }))
            {
                self.desk.publication_delivered(story).unwrap();
            }
        }
        reply
    }

    fn note(&mut self, reply: &Reply) {
        for post in &reply.posts {
            match (&post.to, &post.body) {
                (Destination::Board { story }, Body::Board(text)) => {
                    self.boards.retain(|(s, _)| s != story);
                    self.boards.push((*story, text.clone()));
                }
                (_, Body::Review { actions, .. }) => self.last_actions = actions.clone(),
                (_, Body::Suggestion { actions, .. }) if !actions.is_empty() => {
                    self.last_actions = actions.clone()
                }
                _ => {}
            }
        }
        self.pending_drafts.extend(reply.drafts.iter().cloned());
    }

    /// Writes the drafts the desk asked for with `assistant`, as an adapter does; the
    /// transcript of every post about them (progress included), and the posts themselves.
    pub fn write_drafts(&mut self, assistant: &Assistant) -> (String, Vec<storydesk::desk::Post>) {
        self.write_drafts_watching(assistant, |_| {})
    }

    /// [`Newsroom::write_drafts`], showing each post to `watch` as it is delivered.
    pub fn write_drafts_watching(
        &mut self,
        assistant: &Assistant,
        mut watch: impl FnMut(&storydesk::desk::Post),
    ) -> (String, Vec<storydesk::desk::Post>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut posts = Vec::new();
        for job in std::mem::take(&mut self.pending_drafts) {
            let deliver = |post: storydesk::desk::Post| {
                watch(&post);
                posts.push(post);
                std::future::ready(())
            };
            runtime.block_on(storydesk::drafting::run_job(
                &self.desk, assistant, job, deliver,
            ));
        }
        let reply = Reply {
            posts: posts.clone(),
            ..Default::default()
        };
        self.note(&reply);
        (render(&reply, "nobody"), posts)
    }

    /// `who` types a command; the transcript of the reply without board updates.
    pub fn say(&mut self, who: &str, text: &str) -> String {
        let reply = self.request(
            who,
            Input::Text {
                text: text.into(),
                body: None,
            },
            None,
            None,
        );
        render(&reply, who)
    }

    /// `who` types a command with long text (a modal's or heredoc's).
    pub fn say_with(&mut self, who: &str, text: &str, body: &str) -> String {
        let reply = self.request(
            who,
            Input::Text {
                text: text.into(),
                body: Some(body.into()),
            },
            None,
            None,
        );
        render(&reply, who)
    }

    /// `who` clicks a button of the last review post.
    pub fn click(&mut self, who: &str, action: &Action, note: Option<&str>) -> String {
        let (input, story) = action.to_input(note.map(str::to_string));
        let reply = self.request(who, input, None, Some(story));
        render(&reply, who)
    }

    /// The last board posted for story `n`.
    pub fn board(&self, n: u64) -> String {
        self.boards
            .iter()
            .find(|(s, _)| s.0 == n)
            .map(|(_, b)| b.clone())
            .expect("no board was posted for that story")
    }
}

fn open(dir: &std::path::Path, overlay: &str) -> Desk {
    let config = Config::from_overlay(Some(overlay), "test config").unwrap();
    let template = Template::load(&config.story.template).unwrap();
    // sled releases its lock on the directory when its flusher thread has ended, which can
    // be a moment after the old desk is dropped on a busy machine.
    let mut attempts = 0;
    let store = loop {
        match Store::open(dir, StoreOptions::default()) {
            Err(storydesk::store::StoreError::Open {
                reason: storydesk::store::OpenFailure::Locked,
                ..
            }) if attempts < 100 => {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => break other.unwrap(),
        }
    };
    Desk::new(store, config, template)
}

/// A reply as the people in the channel would see it, board updates left out.
pub fn render(reply: &Reply, who: &str) -> String {
    let mut out = Vec::new();
    for post in &reply.posts {
        let place = match &post.to {
            Destination::Requester => format!("[only {who}]"),
            Destination::Channel => "[#newsroom]".to_string(),
            Destination::Thread { thread, .. } => format!("[#newsroom › {}]", thread.name()),
            Destination::Board { .. } => continue,
            Destination::Publish { channel } => format!("[#{channel}]"),
            Destination::Correct { channel } => format!("[#{channel} · corrected]"),
            Destination::Direct { person } => format!("[dm {}]", person.name),
        };
        // Times and mentions as the console shows them.
        let shown =
            storydesk::text::when::render_markers(&post.body.text(), storydesk::text::when::utc);
        let shown =
            storydesk::roles::render_mentions(&shown, storydesk::roles::Entry::console_mention);
        let mut text = format!("{place} {shown}");
        if let Body::Review { actions, .. } | Body::Suggestion { actions, .. } = &post.body {
            if !actions.is_empty() {
                let buttons: Vec<String> = actions
                    .iter()
                    .map(|a| format!("[{}]", messages::button_label(a)))
                    .collect();
                text.push('\n');
                text.push_str(&buttons.join(" "));
            }
        }
        out.push(text);
    }
    if reply.is_duplicate() {
        out.push("(duplicate: nothing done)".into());
    }
    out.join("\n")
}

/// The key of a console event with this id, as the newsroom's requests carry it.
pub fn event_key(id: &str) -> EventKey {
    EventKey::new(Platform::Console, "local", EventKind::Command, id)
}

/// An introduction long enough for the template.
pub const INTRO: &str = "Meta has set up four war rooms of engineers to study DeepSeek V3, according to an internal memo, after the Chinese lab released a rival model at a fraction of the cost.";

/// A body long enough for the template.
pub const BODY: &str = "According to the memo, engineers in Meta's generative AI group have been asked to take the DeepSeek model apart.\n\nTwo of the four war rooms are working out how DeepSeek brought the cost of training down. In its technical report, DeepSeek says the final training run of V3 cost about 5.5 million dollars, a figure that leaves out earlier research.\n\nManagement is worried about justifying the cost of the generative AI organisation, the memo says, when a small lab trained a competitive model for a small share of what Meta spends.\n\nMeta did not respond to a request for comment.";

/// A conclusion long enough for the template.
pub const CONCLUSION: &str = "Meta's leaders are expected to discuss what the war rooms found with investors at the next earnings call.";
