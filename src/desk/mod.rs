//! The desk: the newsroom's workflow, platform-neutral.
//!
//! A [`Request`] says who asks, where, and what (command text, typed options, or a plain
//! message in a thread). [`Desk::handle`] applies it to the store and returns a [`Reply`]:
//! neutral messages, each with a [`Destination`] that the adapter turns into platform calls.
//! Every rule lives here: who may publish, the review quorum, the author who cannot approve
//! their own revision, the publish gate. Adapters only translate.
//!
//! Architecture invariant: this module and its children import no serenity, Slack, axum,
//! reqwest or sled types. The store is reached through `crate::store`'s own API.
//!
//! Each handler is one function in one file by feature (`story.rs`, `sources.rs`,
//! `sections.rs`, `review.rs`, `references.rs`, `publish.rs`); their names are registered in
//! [`HANDLERS`], and a test checks that list against the command catalogue both ways.

mod article;
mod board;
pub mod clock;
mod conflicts;
mod corrections;
mod drafts;
pub mod event;
mod forms;
pub mod messages;
mod publish;
pub mod recent;
mod references;
mod review;
mod rules;
mod schedule;
mod sections;
mod sources;
mod story;
mod timers;

use std::sync::Arc;

use crate::catalogue::{catalogue, Catalogue};
use crate::checks::{Checker, RuleError};
use crate::command::parse::{self, Invocation, ParseError};
use crate::config::Config;
use crate::model::{
    AuditEntry, AuditEvent, ChannelKey, Person, Place, Section, Story, StoryId, Timestamp,
};
use crate::roles::{Identity, Memberships};
use crate::store::{Store, StoreError, Tx};
use crate::template::{Generated, SectionSpec, Template};
use crate::text::normalise::strip_controls;

pub use crate::model::{Article, ArticlePart};
/// How the desk ended a request: done, refused (with a sentence the person can act on),
/// failed on our side, or a redelivery that did nothing. Travels in the [`Reply`], so no
/// adapter reads it from the reply's words.
pub use crate::telemetry::Outcome;
pub use article::assemble;
pub use board::render_board;
pub use drafts::{outline, proposal_findings, DraftJob};
pub use event::{EventKey, EventKind};
pub use forms::LongTextForm;
pub use publish::{story_findings, story_findings_from_digests};
pub use timers::Due;

/// What a person asked for.
#[derive(Debug, Clone)]
pub enum Input {
    /// Command text as typed (`/story write body`), with long text from a modal, heredoc or file.
    Text {
        /// The command line.
        text: String,
        /// The long text (source to paste, section text to write), if any.
        body: Option<String>,
    },
    /// A command whose options the platform already typed (Discord slash options, buttons).
    Options {
        /// The subcommand's catalogue name (`ref add`).
        subcommand: String,
        /// Option values as strings, by option name.
        options: Vec<(String, String)>,
        /// The long text, if any.
        body: Option<String>,
    },
    /// A plain chat message, for instance in a story's source thread.
    Message {
        /// The message text.
        text: String,
    },
}

/// A request to the desk.
#[derive(Debug, Clone)]
pub struct Request {
    /// Who asks: on Slack and Discord their platform user id (the name is for showing).
    pub actor: Person,
    /// What the platform says the person belongs to (the Discord member's roles, the Slack
    /// user groups the config names that they are in), for role matching. Empty in the
    /// console and in a Discord DM.
    pub memberships: Memberships,
    /// Where they asked.
    pub place: Place,
    /// When, by the adapter's clock (the console and tests pass their own).
    pub at: Timestamp,
    /// What they asked for.
    pub input: Input,
    /// The inbound event this request is (Slack `trigger_id` or `event_id`, Discord
    /// interaction id). The desk claims it with the request's effect: a request whose event
    /// was already handled changes nothing and replies nothing.
    pub event: Option<EventKey>,
    /// The story the request is about when the platform knows it (a button on a review
    /// message carries it); otherwise the thread or the channel's active story decide.
    pub story: Option<StoryId>,
}

impl Request {
    /// The person asking, as role matching sees them.
    pub fn identity(&self) -> Identity<'_> {
        Identity {
            platform: self.place.channel.platform,
            person: &self.actor,
            memberships: &self.memberships,
        }
    }

    /// The request as the desk takes it in: every piece of text it carries (the command line,
    /// option values, the long text of a form, heredoc or file, a chat message, the person's
    /// display name) without control characters, and with `\r\n` or a lone `\r` made
    /// `\n` ([`strip_controls`]). This is the one place where that happens, before any
    /// command sees the request, so no command can store or echo an escape sequence.
    /// Commands still [`normalise`](crate::text::normalise::normalise) what they store.
    fn taken_in(mut self) -> Self {
        fn clean(text: &mut String) {
            if let std::borrow::Cow::Owned(cleaned) = strip_controls(text) {
                *text = cleaned;
            }
            // Nobody can type a mention the desk did not write.
            if text.contains(crate::roles::MENTION_MARKS) {
                text.retain(|c| !crate::roles::MENTION_MARKS.contains(&c));
            }
        }
        clean(&mut self.actor.name);
        match &mut self.input {
            Input::Text { text, body } => {
                clean(text);
                body.iter_mut().for_each(clean);
            }
            Input::Options {
                subcommand,
                options,
                body,
            } => {
                clean(subcommand);
                for (name, value) in options.iter_mut() {
                    clean(name);
                    clean(value);
                }
                body.iter_mut().for_each(clean);
            }
            Input::Message { text } => clean(text),
        }
        self
    }
}

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Only the person who asked sees it (Slack ephemeral, Discord ephemeral).
    Requester,
    /// The channel the request came from.
    Channel,
    /// A story's thread: a section's review thread, or the source thread.
    Thread {
        /// The story.
        story: StoryId,
        /// Which thread.
        thread: ThreadKind,
    },
    /// The story's board: posted once, then edited in place.
    Board {
        /// The story.
        story: StoryId,
    },
    /// The publishing channel (a channel name or id on the story's platform).
    Publish {
        /// The channel.
        channel: String,
    },
    /// The published article in this channel (the publication's), corrected: delivery
    /// edits its messages in place where it can and posts the rest after them
    /// (`deliver::correct_article`). The body is the whole corrected [`Body::Article`].
    Correct {
        /// The channel the article was published to.
        channel: String,
    },
    /// A direct message to one person (a reminder, an assignment): Slack's app DM, a
    /// Discord DM channel, `[dm NAME]` in the console. A person who cannot be reached so is
    /// told in the story's channel the next time they act ([`Desk::undeliverable`]).
    Direct {
        /// Who: their platform id is what the message is sent to.
        person: Person,
    },
}

/// The threads a story has.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ThreadKind {
    /// A section's review thread.
    Section(String),
    /// Where sources are pasted and listed.
    Sources,
}

impl ThreadKind {
    /// The thread's short name (`body`, `sources`).
    pub fn name(&self) -> &str {
        match self {
            ThreadKind::Section(s) => s,
            ThreadKind::Sources => "sources",
        }
    }
}

/// A button under a message. Adapters render them and turn clicks back into requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Approve this revision of this section.
    Approve {
        /// The story.
        story: StoryId,
        /// The section.
        section: String,
        /// The revision shown; approving is refused if a newer one exists.
        revision: u32,
    },
    /// Ask for changes on this revision (adapters open a box for the note).
    RequestChanges {
        /// The story.
        story: StoryId,
        /// The section.
        section: String,
        /// The revision shown.
        revision: u32,
    },
    /// Accept this assisted draft: it becomes a revision by whoever clicks.
    AcceptDraft {
        /// The draft.
        draft: DraftRef,
    },
    /// Edit this assisted draft: adapters open the write box prefilled with the draft's text
    /// ([`Desk::draft_text`]); saving it makes a revision that records where it came from.
    EditDraft {
        /// The draft.
        draft: DraftRef,
    },
    /// Throw this assisted draft away.
    DiscardDraft {
        /// The draft.
        draft: DraftRef,
    },
    /// Resolve the clicker's kept conflicting text of this section: adapters open the write
    /// box as for `write resume:true` ([`Desk::long_text_form`] or [`Desk::section_text`]
    /// with the request of [`Action::to_input`]): their text merged with the latest
    /// revision, each overlap between markers.
    ResolveConflict {
        /// The story.
        story: StoryId,
        /// The section.
        section: String,
    },
}

/// One assisted draft of one section: the key adapters use to edit its message in place.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DraftRef {
    /// The story.
    pub story: StoryId,
    /// The section drafted.
    pub section: String,
    /// The draft's number within the section; a click on an older one is refused.
    pub number: u32,
}

impl DraftRef {
    /// The options that name this draft in a command.
    fn options(&self) -> Vec<(String, String)> {
        vec![
            ("section".into(), self.section.clone()),
            ("draft".into(), self.number.to_string()),
        ]
    }
}

impl Action {
    /// The request a click on this button stands for: `note` is the text the adapter
    /// collected in its box (a change request's note, an edited draft's text).
    pub fn to_input(&self, note: Option<String>) -> (Input, StoryId) {
        match self {
            Action::Approve {
                story,
                section,
                revision,
            } => (
                Input::Options {
                    subcommand: "approve".into(),
                    options: vec![
                        ("section".into(), section.clone()),
                        ("revision".into(), revision.to_string()),
                    ],
                    body: None,
                },
                *story,
            ),
            Action::RequestChanges {
                story,
                section,
                revision,
            } => {
                let mut options = vec![
                    ("section".into(), section.clone()),
                    ("revision".into(), revision.to_string()),
                ];
                if let Some(note) = note {
                    options.push(("note".into(), note));
                }
                (
                    Input::Options {
                        subcommand: "changes".into(),
                        options,
                        body: None,
                    },
                    *story,
                )
            }
            Action::AcceptDraft { draft } => (
                Input::Options {
                    subcommand: "draft accept".into(),
                    options: draft.options(),
                    body: None,
                },
                draft.story,
            ),
            Action::DiscardDraft { draft } => (
                Input::Options {
                    subcommand: "draft discard".into(),
                    options: draft.options(),
                    body: None,
                },
                draft.story,
            ),
            // `note` is the text as the person left the write box, when they saved it.
            Action::ResolveConflict { story, section } => (
                Input::Options {
                    subcommand: "write".into(),
                    options: vec![
                        ("section".into(), section.clone()),
                        ("resume".into(), "true".into()),
                    ],
                    body: note,
                },
                *story,
            ),
            // `note` is the text as the person left the write box.
            Action::EditDraft { draft } => (
                Input::Options {
                    subcommand: "write".into(),
                    options: draft.options(),
                    body: note,
                },
                draft.story,
            ),
        }
    }
}

/// What a message is, so adapters can render each kind at its best.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Plain Markdown.
    Text(String),
    /// A story's board (Markdown), to post or edit in place.
    Board(String),
    /// A new revision or review event in a section's thread, with buttons.
    Review {
        /// The Markdown text.
        text: String,
        /// The buttons.
        actions: Vec<Action>,
    },
    /// The published article.
    Article(Article),
    /// A refusal or problem the person can act on.
    Problem(String),
    /// An assisted draft in its section's thread. Posted once per [`DraftRef`], then edited
    /// in place: while it is written, when it is ready, and when someone accepts or
    /// discards it.
    Suggestion {
        /// Which draft: the adapter edits the message it posted for the same one.
        draft: DraftRef,
        /// The Markdown text.
        text: String,
        /// The buttons (Accept, Edit, Discard) once it can be acted on; none otherwise.
        actions: Vec<Action>,
        /// True while the draft is still being written: more edits will follow.
        writing: bool,
    },
}

impl Body {
    /// The Markdown text of any message (the article assembled).
    pub fn text(&self) -> String {
        match self {
            Body::Text(t) | Body::Board(t) | Body::Problem(t) => t.clone(),
            Body::Review { text, .. } | Body::Suggestion { text, .. } => text.clone(),
            Body::Article(a) => a.markdown(),
        }
    }
}

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// Where.
    pub to: Destination,
    /// What.
    pub body: Body,
}

/// The desk's answer to one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    /// Messages in the order they should appear.
    pub posts: Vec<Post>,
    /// How the request ended. [`Outcome::Duplicate`]: its event had been handled before and
    /// nothing was done; [`Outcome::Refused`]: the posts say why not.
    pub outcome: Outcome,
    /// The story the request touched, for the adapter's bookkeeping and logs.
    pub story: Option<StoryId>,
    /// Drafts to write after the posts are sent: the adapter runs each with
    /// [`crate::drafting::run_job`] (the drafter may be a model over the network, so it runs
    /// in the adapter's async context, not in the desk) and sends the posts it yields.
    pub drafts: Vec<DraftJob>,
}

impl Reply {
    /// True when the request's event had been handled before: nothing was done.
    pub fn is_duplicate(&self) -> bool {
        self.outcome == Outcome::Duplicate
    }

    /// True when the desk refused the request (its posts say why).
    pub fn is_refused(&self) -> bool {
        self.outcome == Outcome::Refused
    }

    /// An empty reply about `story`.
    pub(crate) fn about(story: StoryId) -> Self {
        Reply {
            story: Some(story),
            ..Default::default()
        }
    }

    fn one(to: Destination, body: Body) -> Self {
        Reply {
            posts: vec![Post { to, body }],
            ..Default::default()
        }
    }

    fn problem(text: String) -> Self {
        Reply::one(Destination::Requester, Body::Problem(text))
    }

    fn push(&mut self, to: Destination, body: Body) {
        self.posts.push(Post { to, body });
    }
}

/// A section's latest text, for a form prefilled with it ([`Desk::section_text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionText {
    /// The story.
    pub story: StoryId,
    /// The section's canonical name.
    pub section: String,
    /// The latest revision's number (0 when the section has no text yet).
    pub revision: u32,
    /// The latest revision's text, if any.
    pub text: Option<String>,
}

/// Why a request could not be done.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The person can fix it: shown to them as written.
    #[error("{0}")]
    User(String),
    /// Our fault: logged with context; the person gets an apology with a reference.
    #[error("internal error: {0}")]
    Internal(String),
    /// The request's event id was processed before: nothing more is done.
    #[error("duplicate event")]
    Duplicate,
}

impl From<StoreError> for DeskError {
    fn from(e: StoreError) -> Self {
        DeskError::Internal(e.to_string())
    }
}

impl From<crate::store::TxError> for DeskError {
    fn from(e: crate::store::TxError) -> Self {
        DeskError::Internal(e.to_string())
    }
}

impl From<crate::store::TransactError<DeskError>> for DeskError {
    fn from(e: crate::store::TransactError<DeskError>) -> Self {
        match e {
            crate::store::TransactError::Aborted(e) => e,
            crate::store::TransactError::Store(e) => e.into(),
        }
    }
}

/// A user error from a message.
pub(crate) fn user<T>(text: String) -> Result<T, DeskError> {
    Err(DeskError::User(text))
}

/// Everything a handler needs about the request.
pub(crate) struct Ctx<'a> {
    pub desk: &'a Desk,
    pub req: &'a Request,
    pub inv: &'a Invocation,
    pub body: Option<&'a str>,
    /// Set once a transaction recorded the request's event id with its effect.
    claimed: std::cell::Cell<bool>,
}

impl Ctx<'_> {
    /// Run a change atomically and durably, together with the record of the request's
    /// event id: a redelivered event finds its id taken and changes nothing.
    pub fn transact<T>(
        &self,
        f: impl Fn(&mut crate::store::Tx<'_>) -> Result<T, DeskError>,
    ) -> Result<T, DeskError> {
        let ttl = self.desk.config.events.remember_secs as i64 * 1000;
        let out = self.desk.store.transact(|tx| {
            if let Some(key) = &self.req.event {
                if !tx.claim_event(&key.claim(), self.req.at, ttl)? {
                    return Err(DeskError::Duplicate);
                }
            }
            f(tx)
        })?;
        self.claimed.set(self.req.event.is_some());
        Ok(out)
    }

    pub fn opt(&self, name: &str) -> Option<&str> {
        self.inv.options.get(name).map(String::as_str)
    }

    pub fn channel(&self) -> &ChannelKey {
        &self.req.place.channel
    }

    pub fn is_editor(&self) -> bool {
        self.desk.config.is_editor(&self.req.identity())
    }

    /// The story the request is about: named by the platform (a button), by the
    /// request's `story:N` option, by the thread, or else the person's active story in this
    /// channel (a newcomer's is the channel's latest). Always one of this channel's stories.
    pub fn story_id(&self) -> Result<StoryId, DeskError> {
        let store = &self.desk.store;
        if let Some(id) = self.req.story {
            return self.here(id);
        }
        // `use` names the story to switch to, not the one it acts on.
        if let Some(wanted) = self.opt("story").filter(|_| self.inv.subcommand != "use") {
            let wanted = wanted.trim();
            let channel = store.channel(self.channel())?;
            let mut stories = Vec::new();
            for id in &channel.stories {
                stories.push(self.load(*id)?);
            }
            return match story::find_story(&stories, wanted)? {
                Some(id) => Ok(id),
                None => user(messages::no_such_story(wanted, &stories)),
            };
        }
        if let Some((id, _)) = self.thread_target() {
            return self.here(id);
        }
        match store.active_story(self.channel(), &self.req.actor)? {
            Some(id) => Ok(id),
            None => user(messages::no_story_here()),
        }
    }

    /// `id` if it is one of this channel's stories.
    fn here(&self, id: StoryId) -> Result<StoryId, DeskError> {
        if self.desk.store.in_channel(self.channel(), id)? {
            return Ok(id);
        }
        user(messages::story_not_here(id))
    }

    /// The story and thread this request's thread is bound to, if any.
    pub fn thread_target(&self) -> Option<(StoryId, ThreadKind)> {
        let thread = self.req.place.thread.as_deref()?;
        self.desk.thread_target(self.channel(), thread)
    }

    /// The section a request names, or the section of the thread it came from, among the
    /// sections of the story the request is about (a story keeps the sections it was
    /// started with, whatever the template says now).
    pub fn section_name(&self, required: bool) -> Result<Option<String>, DeskError> {
        let from_thread = match self.thread_target() {
            Some((_, ThreadKind::Section(name))) => Some(name),
            _ => None,
        };
        let typed = self.opt("section");
        if typed.is_none() && from_thread.is_none() {
            if required {
                return user(messages::section_needed(&self.inv.subcommand));
            }
            return Ok(None);
        }
        let story = self.load(self.story_id()?)?;
        let template = self.desk.story_template(&story);
        let names = || {
            template
                .sections
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
        };
        let Some(typed) = typed else {
            // A thread bound to a section the story has always has it.
            return match from_thread.filter(|n| template.section(n).is_some()) {
                Some(name) => Ok(Some(name)),
                None => user(messages::section_needed(&self.inv.subcommand)),
            };
        };
        if let Some(s) = template.resolve(typed) {
            return Ok(Some(s.name.clone()));
        }
        if let Some(current) = self.desk.template.resolve(typed) {
            return user(messages::section_not_in_story(
                &story,
                &current.name,
                &names(),
            ));
        }
        user(messages::unknown_section(
            typed,
            template.suggest(typed).as_deref(),
            &names(),
        ))
    }

    /// The section a request must name (see [`Ctx::section_name`]).
    pub fn section(&self) -> Result<String, DeskError> {
        match self.section_name(true)? {
            Some(name) => Ok(name),
            None => user(messages::section_needed(&self.inv.subcommand)),
        }
    }

    /// The bounds of one of `story`'s sections (see [`Desk::story_template`]).
    pub fn spec(&self, story: &Story, section: &str) -> Result<SectionSpec, DeskError> {
        story_spec(self.desk, story, section)
    }

    pub fn load(&self, id: StoryId) -> Result<Story, DeskError> {
        self.desk
            .store
            .story(id)?
            .ok_or_else(|| DeskError::Internal(format!("story {id} listed but missing")))
    }

    /// Add a line to the story's audit log (who: the requester; when: the request's time),
    /// in the transaction that makes the change it records.
    pub fn log(
        &self,
        tx: &mut Tx<'_>,
        story: &mut Story,
        event: AuditEvent,
    ) -> Result<(), DeskError> {
        append_audit(tx, story, &self.req.actor, self.req.at, event)
    }
}

/// Append an audit line to `story`'s log inside `tx`, numbered from the story's count.
fn append_audit(
    tx: &mut Tx<'_>,
    story: &mut Story,
    actor: &Person,
    at: Timestamp,
    event: AuditEvent,
) -> Result<(), DeskError> {
    let entry = AuditEntry {
        seq: story.audit_len,
        at,
        actor: actor.clone(),
        event,
    };
    story.audit_len += 1;
    tx.append_audit(story.id, &entry)?;
    Ok(())
}

/// The bounds of one of `story`'s sections under [`Desk::story_template`].
pub(crate) fn story_spec(
    desk: &Desk,
    story: &Story,
    section: &str,
) -> Result<SectionSpec, DeskError> {
    desk.story_template(story)
        .sections
        .into_iter()
        .find(|s| s.name == section)
        .ok_or_else(|| DeskError::Internal(format!("story {} has no section {section}", story.id)))
}

/// One of `story`'s sections, to read.
pub(crate) fn section_of<'s>(story: &'s Story, name: &str) -> Result<&'s Section, DeskError> {
    let id = story.id;
    story
        .section(name)
        .ok_or_else(|| DeskError::Internal(format!("story {id} has no section {name}")))
}

/// One of `story`'s sections, to change.
pub(crate) fn section_of_mut<'s>(
    story: &'s mut Story,
    name: &str,
) -> Result<&'s mut Section, DeskError> {
    let id = story.id;
    story
        .section_mut(name)
        .ok_or_else(|| DeskError::Internal(format!("story {id} has no section {name}")))
}

/// The story, read inside a transaction that is about to change it.
pub(crate) fn tx_story(tx: &mut Tx<'_>, id: StoryId) -> Result<Story, DeskError> {
    tx.story(id)?
        .ok_or_else(|| DeskError::Internal(format!("story {id} vanished during a change")))
}

/// Write a changed story, with its version moved on so that a publish checked against the
/// old version notices.
pub(crate) fn save(tx: &mut Tx<'_>, story: &mut Story) -> Result<(), DeskError> {
    story.version += 1;
    tx.put_story(story)?;
    Ok(())
}

/// A handler: one subcommand of the catalogue.
type Handler = fn(&Ctx<'_>) -> Result<Reply, DeskError>;

/// Every subcommand the desk handles. A test checks it against the catalogue both ways.
pub(crate) const HANDLERS: &[(&str, Handler)] = &[
    ("new", story::new),
    ("list", story::list),
    ("use", story::use_story),
    ("status", story::status),
    ("help", story::help),
    ("source add", sources::add),
    ("source list", sources::list),
    ("source show", sources::show),
    ("claim", sections::claim),
    ("assign", sections::assign),
    ("write", sections::write),
    ("show", sections::show),
    ("history", sections::history),
    ("diff", sections::diff),
    ("approve", review::approve),
    ("changes", review::changes),
    ("draft", drafts::draft),
    ("draft accept", drafts::accept),
    ("draft discard", drafts::discard),
    ("ref add", references::add),
    ("ref list", references::list),
    ("ref remove", references::remove),
    ("ref edit", references::edit),
    ("check", publish::check),
    ("preview", publish::preview),
    ("publish", publish::publish),
    ("correct", corrections::correct),
    ("purge-sources", sources::purge),
    ("due", schedule::due),
    ("tz", schedule::tz),
    ("mine", schedule::mine),
    ("embargo", schedule::embargo),
];

/// The subcommands whose whole work is a few reads of records sled holds in memory and the
/// rendering of a short answer: no transaction, no flush, no scan that grows with the store,
/// no pre-publish check. Nothing in them waits for the disk, so they are answered where the
/// request arrives ([`Prepared::answers_in_place`]), without a handoff to a thread that may
/// block; everything else runs where waiting is allowed. A test runs each against a store
/// and finds the store unchanged; `show` and `source show` are not here because they record
/// something (the revision shown, the viewing of a source).
pub(crate) const IN_PLACE: &[&str] = &["status", "help", "source list", "ref list"];

/// What the desk makes of a request's input: an invocation and its long text, `None` for
/// chatter that means nothing to the desk, or the parse error to answer with.
type Interpreted = Result<Option<(Invocation, Option<String>)>, ParseError>;

/// A request taken in and parsed ([`Desk::prepare`]), ready for [`Desk::answer`].
#[derive(Debug)]
pub struct Prepared {
    /// The request, as the desk takes it in.
    req: Request,
    /// Its parse; `None` for a plain message, interpreted when it runs.
    parsed: Option<Interpreted>,
    /// The store answers reads without a network round trip (the embedded engine).
    local: bool,
}

impl Prepared {
    /// The request.
    pub fn request(&self) -> &Request {
        &self.req
    }

    /// What the platform says the person belongs to, which an adapter may learn after the
    /// request was parsed (Slack's user groups); parsing does not depend on it.
    pub fn memberships_mut(&mut self) -> &mut Memberships {
        &mut self.req.memberships
    }

    /// True when the request reads a time a person typed (`at:`, `until:`) or shows their
    /// zone (`tz`): an adapter that can learn the person's zone from their profile does so
    /// first.
    pub fn reads_times(&self) -> bool {
        match &self.parsed {
            Some(Ok(Some((inv, _)))) => {
                inv.subcommand == "tz"
                    || inv.options.contains_key("at")
                    || inv.options.contains_key("until")
            }
            _ => false,
        }
    }

    /// True when the request's work waits for nothing: a read of [`IN_PLACE`], or a line
    /// that does not parse (answered from the catalogue). Such a request is answered on the
    /// task that received it; the others may wait for the disk (a transaction and its
    /// flush, a store scan, the checks) and go to a thread where blocking is allowed.
    pub fn answers_in_place(&self) -> bool {
        match &self.parsed {
            Some(Ok(Some((inv, _)))) => self.local && IN_PLACE.contains(&inv.subcommand.as_str()),
            Some(Err(_)) => true,
            Some(Ok(None)) | None => false,
        }
    }
}

/// The desk: the workflow over one store, one configuration and one template.
#[derive(Clone)]
pub struct Desk {
    store: Store,
    config: Arc<Config>,
    template: Arc<Template>,
    catalogue: &'static Catalogue,
    /// The pre-publish check rules, loaded once.
    checker: Arc<Checker>,
    /// Event ids of requests that only answered, remembered in memory, not in the store.
    recent: Arc<recent::RecentEvents>,
    /// Panics in work run for this desk (see [`crate::supervise`]).
    panics: Arc<std::sync::atomic::AtomicU64>,
    /// Writers of one story's sections queue here, in this process, instead of racing.
    writers: Arc<StoryWriters>,
    /// Where verbatim passages found by earlier runs of the checks are in their sources, so
    /// that a revision does not read a source's text again for a passage already placed.
    places: Arc<publish::PassagePlaces>,
}

/// Locks that queue the writers of one story's sections in this process.
///
/// A save plans against the latest revisions, outside the transaction (a merge can be
/// long), and the transaction refuses a plan whose section moved on meanwhile. Without a
/// queue, several people saving the same story at once race: each round one wins and the
/// others plan again, and an unlucky writer can lose every round. Striped by story id: two
/// stories rarely share a lock, and the set never grows. Replicas on one database still
/// race each other, and the transaction's check and re-planning settle that.
#[derive(Debug)]
struct StoryWriters([std::sync::Mutex<()>; 64]);

impl Default for StoryWriters {
    fn default() -> Self {
        StoryWriters(std::array::from_fn(|_| std::sync::Mutex::new(())))
    }
}

impl StoryWriters {
    /// Waits for the story's turn. A writer that panicked held nothing the lock guards.
    fn queue(&self, id: StoryId) -> std::sync::MutexGuard<'_, ()> {
        let lock = &self.0[(id.0 % self.0.len() as u64) as usize];
        lock.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Desk {
    /// A desk over an open store.
    ///
    /// # Panics
    ///
    /// When the check rules named by `[checks]` cannot be loaded (a missing directory, a
    /// malformed rule file). [`Desk::try_new`] returns that error instead; `open_desk`
    /// uses it, so a bad rule file stops start-up with a message.
    pub fn new(store: Store, config: Config, template: Template) -> Self {
        match Self::try_new(store, config, template) {
            Ok(desk) => desk,
            Err(e) => panic!("{e}"),
        }
    }

    /// A desk over an open store, or the reason its check rules cannot be loaded (the
    /// file, the rule and what is wrong).
    pub fn try_new(store: Store, config: Config, template: Template) -> Result<Self, RuleError> {
        let checker = Checker::load(&config.checks, &template)?;
        Ok(Desk {
            store,
            config: Arc::new(config),
            template: Arc::new(template),
            catalogue: catalogue(),
            checker: Arc::new(checker),
            recent: Arc::default(),
            panics: Arc::default(),
            writers: Arc::default(),
            places: Arc::default(),
        })
    }

    /// Work run for this desk panicked: logged (the work, never the panic's message),
    /// counted in the metrics and on the desk.
    pub fn panicked(&self, work: &'static str) {
        tracing::error!(work, "panicked; see the panic message on stderr");
        crate::telemetry::panicked(work);
        self.panics
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many times work run for this desk panicked. Test harnesses fail a scenario
    /// when it is not 0.
    pub fn panics(&self) -> u64 {
        self.panics.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The check rules in force.
    pub fn checker(&self) -> &Checker {
        &self.checker
    }

    /// The store, for delivery's bookkeeping (anchors), exports and operations. Adapters
    /// never use it: what they read goes through the desk, what they keep through the
    /// delivery layer's anchors.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A story as stored now, to read (its channel, its title).
    pub fn story(&self, id: StoryId) -> Result<Option<Story>, StoreError> {
        self.store.story(id)
    }

    /// A story's board as it is now, or `None` for a story that does not exist.
    pub fn board_text(&self, id: StoryId) -> Result<Option<String>, StoreError> {
        Ok(self.store.story(id)?.map(|s| self.board(&s)))
    }

    /// The board of `story` as read (rendered under the configured quorum).
    pub fn board(&self, story: &Story) -> String {
        render_board(story, self.config.review.quorum)
    }

    /// The story `person` works on in `channel`: their active story, else the channel's
    /// latest (as a command without `story:N` would find it).
    pub fn active_story(
        &self,
        channel: &ChannelKey,
        person: &Person,
    ) -> Result<Option<StoryId>, StoreError> {
        self.store.active_story(channel, person)
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The template new stories are started with.
    pub fn template(&self) -> &Template {
        &self.template
    }

    /// The template `story` is worked under. A story keeps the sections it was started with
    /// (they are stored with it, in order), so a changed `[story] template` never adds a
    /// section to an older story nor takes one away: each of its sections has the current
    /// template's bounds and guidance while the template still names it, and otherwise
    /// the bounds of [`Desk::kept_section`].
    pub fn story_template(&self, story: &Story) -> Template {
        Template {
            name: story.template.clone(),
            description: self.template.description.clone(),
            sections: story
                .sections
                .iter()
                .map(|s| match self.template.section(&s.name) {
                    Some(spec) => spec.clone(),
                    None => self.kept_section(&s.name),
                })
                .collect(),
        }
    }

    /// The bounds of a section an older story has and the current template no longer
    /// names: optional, with no shortest length, as long as `[limits] section_bytes`
    /// allows; the references section stays generated from the story's references.
    fn kept_section(&self, name: &str) -> SectionSpec {
        SectionSpec {
            name: name.to_string(),
            aliases: Vec::new(),
            required: false,
            min_chars: 0,
            max_chars: u32::try_from(self.config.limits.section_bytes).unwrap_or(u32::MAX),
            guidance: String::new(),
            generated: (name == "references").then_some(Generated::References),
        }
    }

    /// The person a typed user option names: a platform mention (`<@U123|alice>` on Slack,
    /// `<@123>` or `<@!123>` on Discord) or, in the console, a name.
    pub fn person(&self, typed: &str) -> Person {
        let t = typed.trim();
        if let Some(inner) = t.strip_prefix("<@").and_then(|r| r.strip_suffix('>')) {
            let inner = inner.trim_start_matches('!');
            let (id, name) = match inner.split_once('|') {
                Some((id, name)) => (id, name),
                None => (inner, inner),
            };
            return Person {
                id: id.to_string(),
                name: name.to_string(),
            };
        }
        Person::named(t.trim_start_matches('@'))
    }

    /// Handle one request. Never panics on bad input; every problem becomes a message.
    pub fn handle(&self, req: Request) -> Reply {
        self.answer(self.prepare(req))
    }

    /// Takes a request in and parses it, without touching the store, so the caller learns
    /// where its work may run ([`Prepared::answers_in_place`]) before it runs. Pure and
    /// quick: the parser works on the catalogue alone. A plain message is interpreted when
    /// it runs (whether it means anything depends on the thread it is in).
    pub fn prepare(&self, req: Request) -> Prepared {
        let req = req.taken_in();
        let parsed = match &req.input {
            Input::Message { .. } => None,
            _ => Some(self.interpret(&req)),
        };
        Prepared {
            req,
            parsed,
            local: self.store.reads_are_local(),
        }
    }

    /// Handles a prepared request (see [`Desk::handle`]).
    pub fn answer(&self, prepared: Prepared) -> Reply {
        let Prepared { req, parsed, .. } = prepared;
        let span = tracing::info_span!(
            "desk",
            platform = req.place.channel.platform.as_str(),
            team = %req.place.channel.team,
            channel = %req.place.channel.channel,
            user = %req.actor.id,
            story = tracing::field::Empty,
        );
        let _enter = span.enter();
        let started = std::time::Instant::now();
        let parsed = match parsed {
            Some(parsed) => parsed,
            None => self.interpret(&req),
        };
        let (subcommand, outcome, mut reply) = self.run(&req, parsed);
        reply.outcome = outcome;
        if let Some(story) = reply.story {
            span.record("story", story.0);
        }
        if let Some(subcommand) = subcommand {
            crate::telemetry::desk_command(&subcommand, outcome, started.elapsed());
        }
        reply
    }

    /// [`Desk::handle`]'s work: the reply, with the subcommand it ran (`None` for chatter
    /// that means nothing to the desk) and how it ended, for the metrics.
    fn run(&self, req: &Request, parsed: Interpreted) -> (Option<String>, Outcome, Reply) {
        let (inv, body) = match parsed {
            Ok(Some(x)) => x,
            Ok(None) => return (None, Outcome::Done, Reply::default()),
            Err(e) => {
                return (
                    Some("unparsed".into()),
                    Outcome::Refused,
                    Reply::problem(messages::parse_error(&e, self.catalogue)),
                )
            }
        };
        let subcommand = Some(inv.subcommand.clone());
        let duplicate = || Reply {
            outcome: Outcome::Duplicate,
            ..Default::default()
        };
        if let Some(key) = &req.event {
            let claim = key.claim();
            if self.recent.seen(&claim, req.at) {
                tracing::info!(event = %key, "duplicate event ignored");
                return (subcommand, Outcome::Duplicate, duplicate());
            }
            match self.store.event_seen(&claim, req.at) {
                Ok(true) => {
                    tracing::info!(event = %key, "duplicate event ignored");
                    return (subcommand, Outcome::Duplicate, duplicate());
                }
                Ok(false) => {}
                Err(e) => {
                    let reply = self.internal(&inv.subcommand, e.to_string());
                    return (subcommand, Outcome::Failed, reply);
                }
            }
        }
        let Some((_, handler)) = HANDLERS.iter().find(|(n, _)| *n == inv.subcommand) else {
            let reply = self.internal(&inv.subcommand, "no handler".into());
            return (subcommand, Outcome::Failed, reply);
        };
        let editors_only = self
            .catalogue
            .subcommand(&inv.subcommand)
            .is_some_and(|s| s.editors_only);
        if editors_only && !self.config.is_editor(&req.identity()) {
            let reply = Reply::problem(messages::not_an_editor(
                &inv.subcommand,
                &req.actor,
                self.config.roles.editors.is_empty(),
            ));
            return (subcommand, Outcome::Refused, reply);
        }
        let ctx = Ctx {
            desk: self,
            req,
            inv: &inv,
            body: body.as_deref(),
            claimed: std::cell::Cell::new(false),
        };
        let (outcome, mut reply) = match handler(&ctx) {
            Ok(reply) => {
                let refused = reply.posts.iter().all(|p| p.to == Destination::Requester)
                    && reply
                        .posts
                        .iter()
                        .any(|p| matches!(p.body, Body::Problem(_)));
                let outcome = if refused {
                    Outcome::Refused
                } else {
                    Outcome::Done
                };
                (outcome, reply)
            }
            Err(DeskError::User(text)) => (Outcome::Refused, Reply::problem(text)),
            Err(DeskError::Internal(why)) => {
                let reply = self.internal(&inv.subcommand, why);
                return (subcommand, Outcome::Failed, reply);
            }
            Err(DeskError::Duplicate) => return (subcommand, Outcome::Duplicate, duplicate()),
        };
        // Read-only commands record their event id too, in memory, so a redelivery does not
        // post the answer twice. Writes recorded theirs inside their own transaction.
        if let (Some(key), false) = (&req.event, ctx.claimed.get()) {
            self.claim_answered(key, req.at);
        }
        reply
            .posts
            .retain(|p| !matches!(&p.body, Body::Text(t) if t.is_empty()));
        // What could not reach the person by direct message, shown to them now.
        let held = self.take_held(req.place.channel.platform, &req.actor);
        if !held.is_empty() {
            reply.posts.insert(
                0,
                Post {
                    to: Destination::Requester,
                    body: Body::Text(messages::held_notices(&held)),
                },
            );
        }
        (subcommand, outcome, reply)
    }

    /// Record the event of a request that changed nothing (its answer is all it did, or
    /// the form it opened), so a redelivery does not answer twice: true when the event is
    /// new. Kept in memory ([`recent::RecentEvents`]): a read never writes to the store.
    pub fn claim_answered(&self, key: &EventKey, at: Timestamp) -> bool {
        let ttl = self.config.events.remember_secs as i64 * 1000;
        self.recent.claim(&key.claim(), at, ttl)
    }

    /// Whether `key` was claimed durably (with a write) and the claim holds at `at`. Reads
    /// are never claimed durably.
    pub fn claimed_durably(&self, key: &EventKey, at: Timestamp) -> Result<bool, StoreError> {
        self.store.event_seen(&key.claim(), at)
    }

    fn internal(&self, subcommand: &str, why: String) -> Reply {
        let reference = format!("{:08x}", rand_reference());
        tracing::error!(%reference, subcommand, error = %why, "request failed");
        Reply::problem(messages::internal_error(&reference))
    }

    /// Turn the input into an invocation, or `None` for a plain message that means nothing
    /// to the desk (chatter in the channel).
    fn interpret(&self, req: &Request) -> Interpreted {
        match &req.input {
            Input::Text { text, body } => {
                Ok(Some((parse::parse(self.catalogue, text)?, body.clone())))
            }
            Input::Options {
                subcommand,
                options,
                body,
            } => Ok(Some((
                parse::from_options(self.catalogue, subcommand, options)?,
                body.clone(),
            ))),
            Input::Message { text } => {
                let in_sources = req.place.thread.as_deref().and_then(|t| {
                    self.thread_target(&req.place.channel, t)
                        .filter(|(_, k)| *k == ThreadKind::Sources)
                });
                Ok(in_sources.map(|(_, _)| {
                    let mut options = std::collections::BTreeMap::new();
                    options.insert(
                        "label".to_string(),
                        messages::message_source_label(&req.actor),
                    );
                    (
                        Invocation {
                            subcommand: "source add".into(),
                            options,
                        },
                        Some(text.clone()),
                    )
                }))
            }
        }
    }

    /// The section a `write` request names and its latest text, so an adapter can open a
    /// form prefilled with it. The story and section are found by the same rules as the
    /// `write` itself (the request's story, its thread, the channel's active story); a
    /// problem (no story, unknown section, a published story, the generated references
    /// section) comes back as the sentence to show.
    pub fn section_text(&self, req: &Request) -> Result<SectionText, String> {
        let req = &req.clone().taken_in();
        let (inv, _) = match self.interpret(req) {
            Ok(Some(x)) => x,
            Ok(None) => return Err(messages::section_needed("write")),
            Err(e) => return Err(messages::parse_error(&e, self.catalogue)),
        };
        let ctx = Ctx {
            desk: self,
            req,
            inv: &inv,
            body: None,
            claimed: std::cell::Cell::new(false),
        };
        sections::current_text(&ctx).map_err(|e| match e {
            DeskError::User(text) => text,
            DeskError::Internal(why) => {
                let reference = format!("{:08x}", rand_reference());
                tracing::error!(%reference, error = %why, "reading a section failed");
                messages::internal_error(&reference)
            }
            DeskError::Duplicate => String::new(),
        })
    }

    /// Undo a publication whose article the platform did not accept (no permission to post
    /// in the channel, say), so the story can be published again once that is fixed.
    /// `reason` is the adapter's sentence saying what went wrong and what to do. The audit
    /// log records it against the editor who published. Returns the problem for the person
    /// who published, and the board.
    pub fn publication_failed(&self, story: StoryId, at: Timestamp, reason: &str) -> Reply {
        let result = self
            .store
            .transact(|tx| -> Result<Option<Story>, DeskError> {
                let Some(mut s) = tx.story(story)? else {
                    return Ok(None);
                };
                let Some(p) = s.published.take() else {
                    return Ok(None);
                };
                append_audit(
                    tx,
                    &mut s,
                    &p.by,
                    at,
                    AuditEvent::PublicationFailed {
                        channel: p.channel.clone(),
                    },
                )?;
                save(tx, &mut s)?;
                Ok(Some(s))
            });
        match result.map_err(DeskError::from) {
            Ok(Some(s)) => {
                crate::telemetry::publication_undone(s.home.platform.as_str());
                let mut reply = Reply::problem(messages::publication_failed(&s, reason));
                reply.outcome = Outcome::Failed;
                reply.push(
                    Destination::Board { story },
                    Body::Board(render_board(&s, self.config.review.quorum)),
                );
                reply.story = Some(story);
                reply
            }
            Ok(None) => Reply::default(),
            Err(e) => self.internal("publish", e.to_string()),
        }
    }

    /// Record that a platform thread belongs to a story's section (or its sources), so
    /// requests from inside it know what they are about.
    pub fn bind_thread(
        &self,
        channel: &ChannelKey,
        thread: &str,
        story: StoryId,
        kind: &ThreadKind,
    ) -> Result<(), StoreError> {
        let (key, value) = Desk::thread_binding(channel, thread, story, kind);
        self.store
            .transact(|tx| {
                tx.put_anchor(&key, &value)?;
                Ok::<_, crate::store::TxError>(())
            })
            .map_err(|e| match e {
                crate::store::TransactError::Aborted(e) => StoreError::from(e),
                crate::store::TransactError::Store(e) => e,
            })
    }

    /// The record [`Desk::bind_thread`] writes, as a key and a value, for a caller that
    /// records it in the same transaction as something else (a new board, which starts the
    /// story's source thread, and where it is).
    pub fn thread_binding(
        channel: &ChannelKey,
        thread: &str,
        story: StoryId,
        kind: &ThreadKind,
    ) -> (String, String) {
        let value = match kind {
            ThreadKind::Section(s) => format!("{} section {s}", story.0),
            ThreadKind::Sources => format!("{} sources", story.0),
        };
        (thread_key(channel, thread), value)
    }

    /// The story and thread a platform thread is bound to.
    pub fn thread_target(
        &self,
        channel: &ChannelKey,
        thread: &str,
    ) -> Option<(StoryId, ThreadKind)> {
        let value = self
            .store
            .anchor_as_recorded(&thread_key(channel, thread))
            .ok()??;
        let mut parts = value.splitn(3, ' ');
        let id = StoryId(parts.next()?.parse().ok()?);
        match (parts.next()?, parts.next()) {
            ("section", Some(name)) => Some((id, ThreadKind::Section(name.to_string()))),
            ("sources", None) => Some((id, ThreadKind::Sources)),
            _ => None,
        }
    }
}

fn thread_key(channel: &ChannelKey, thread: &str) -> String {
    format!(
        "thread/{}/{}/{}/{}",
        channel.platform.as_str(),
        channel.team,
        channel.channel,
        thread
    )
}

/// A short reference id for an internal error, to find it in the logs.
fn rand_reference() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Timestamp::now().0 as u128);
    h.finish() as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Platform;
    use crate::store::StoreOptions;

    fn read(desk: &Desk, text: &str, trigger: &str) -> Prepared {
        desk.prepare(Request {
            actor: Person {
                id: "U1".into(),
                name: "alice".into(),
            },
            memberships: Default::default(),
            place: Place {
                channel: ChannelKey {
                    platform: Platform::Slack,
                    team: "T1".into(),
                    channel: "C1".into(),
                },
                thread: None,
            },
            at: Timestamp::now(),
            input: Input::Text {
                text: text.into(),
                body: None,
            },
            event: Some(EventKey::new(
                Platform::Slack,
                "T1",
                EventKind::Command,
                trigger,
            )),
            story: None,
        })
    }

    #[test]
    fn what_is_answered_in_place_changes_nothing_in_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        let desk = Desk::new(store, Config::defaults(), Template::load("news").unwrap());
        let started = desk.answer(read(&desk, "/story new A story", "w0"));
        assert_eq!(started.outcome, Outcome::Done);
        for (n, subcommand) in IN_PLACE.iter().enumerate() {
            assert!(
                HANDLERS.iter().any(|(name, _)| name == subcommand),
                "{subcommand} has no handler"
            );
            let prepared = read(&desk, &format!("/story {subcommand}"), &format!("r{n}"));
            assert!(prepared.answers_in_place(), "{subcommand}");
            let before = desk.store().stats().transactions;
            let reply = desk.answer(prepared);
            assert_eq!(reply.outcome, Outcome::Done, "{subcommand}: {reply:?}");
            assert_eq!(
                desk.store().stats().transactions,
                before,
                "{subcommand} wrote to the store"
            );
        }
        // A line that does not parse is answered from the catalogue, in place too.
        assert!(read(&desk, "/story sttus", "p").answers_in_place());
        // Writes, and reads that record something or scan, are not.
        for text in [
            "/story new Another",
            "/story show title",
            "/story source show 1",
            "/story check",
            "/story list",
        ] {
            assert!(!read(&desk, text, "w").answers_in_place(), "{text}");
        }
    }

    #[test]
    fn every_catalogue_entry_has_a_handler_and_every_handler_an_entry() {
        let handled: std::collections::BTreeSet<&str> = HANDLERS.iter().map(|(n, _)| *n).collect();
        let catalogued: std::collections::BTreeSet<&str> = catalogue().names().collect();
        let missing: Vec<_> = catalogued.difference(&handled).collect();
        let extra: Vec<_> = handled.difference(&catalogued).collect();
        assert!(
            missing.is_empty(),
            "catalogue entries without a handler: {missing:?}"
        );
        assert!(
            extra.is_empty(),
            "handlers without a catalogue entry: {extra:?}"
        );
        assert_eq!(
            handled.len(),
            HANDLERS.len(),
            "a handler is registered twice"
        );
    }
}
