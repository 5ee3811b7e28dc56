//! storydesk on Slack.
//!
//! Slack reaches storydesk two ways, and both end in [`Slack::handle`]: over HTTP
//! (`POST /slack/commands`, `/slack/interactivity`, `/slack/events`, in [`http`], each
//! request verified by [`verify`] before anything is parsed) and over Socket Mode
//! ([`socket`], a websocket the bot opens itself). `handle` turns the payload into a desk
//! [`Request`] (with the payload's idempotency key as `Request.event`), runs the desk on a
//! blocking thread, and returns the [`Ack`] Slack must get within 3 seconds. Whatever takes
//! longer (posting the board, review posts, an article of many messages, downloading a file)
//! happens after the ack, through the per-channel send queues of
//! [`crate::deliver::queue`].
//!
//! The adapter holds no workflow rule: the desk decides, the adapter translates. Its own
//! bookkeeping is the `ts` of each story's board, of each section's thread parent and of
//! each assisted draft's message, kept as anchors through [`crate::deliver::Anchors`], and
//! threads bound with [`Desk::bind_thread`] so a reply in a thread knows its story. It never
//! reaches the store itself.
//!
//! Publishing: [`crate::deliver::post_article`] posts an article's messages in order on the
//! publish channel's queue, through `SlackOutlet`: each with `storydesk_chunk` metadata and
//! recorded with the desk as Slack confirms it; a later attempt continues after the last
//! confirmed one and first looks up (by that metadata) a message that may have arrived
//! unconfirmed, so no message is posted twice ([`Slack::resume_publications`] does the same
//! when `serve` starts). A message Slack refuses takes the article down (`chat.delete`) and
//! undoes the publication, as on every platform.
//!
//! Drafting help: after a reply that asks for drafts is sent, each draft is written
//! ([`crate::drafting::run_job`]) and its message in the section's thread is updated in place
//! (`chat.update`) as the text arrives and when it is done; its Accept, Edit and Discard
//! buttons sit on that message, Edit opens the write modal prefilled with the draft.
//!
//! # Modules
//! - [`verify`]: request signatures.
//! - [`inbound`]: the payloads Slack sends.
//! - [`api`]: the Web API client (429 and `Retry-After`, Slack's error codes).
//! - [`blocks`]: Block Kit rendering within Slack's limits; modals.
//! - [`mrkdwn`]: Markdown to mrkdwn, escaping; reading Slack's escapes.
//! - [`messages`]: the sentences only Slack needs.
//! - [`http`], [`socket`]: the two ways in.
//! - [`manifest`]: the app manifest.

pub mod api;
pub mod blocks;
pub mod groups;
pub mod http;
pub mod inbound;
pub mod manifest;
pub mod messages;
pub mod mrkdwn;
pub mod socket;
pub mod verify;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tracing::Instrument;

use crate::assist::{Assistant, Failure};
use crate::deliver::{
    Anchor, Anchors, Busy, Failure as Delivery, Outbox, Outlet, PartTag, Posted, ShowError, Shown,
    Starts, Ticket,
};
use crate::desk::{
    Action, Body, Desk, Destination, DraftJob, DraftRef, EventKey, EventKind, Input, Post,
    Prepared, Reply, Request, ThreadKind,
};
use crate::inflight::InFlight;
use crate::model::{ChannelKey, Person, Place, Platform, StoryId, Timestamp};
use api::{ApiError, Token, WebApi};
use blocks::SlackMessage;
use inbound::{EventEnvelope, FormKind, FormMeta, Interaction, SlashCommand};
use verify::SigningSecret;

/// The Web API's address when `STORYDESK_SLACK_API_URL` is not set.
pub const DEFAULT_API_URL: &str = "https://slack.com/api";

/// How long a request waits for the desk before Slack gets its ack anyway (Slack allows 3
/// seconds); the answer then follows through `response_url` or a message. An empty ack
/// that comes sooner than this means the desk has finished the request (and, for a
/// change, made it durable) before answering; one that comes at the budget may not have.
pub const ACK_BUDGET: Duration = Duration::from_millis(2500);

/// How long a request whose reply will be delivered waits for room in a full delivery
/// backlog (`deliver::queue`) before it is refused with a sentence: part of
/// [`ACK_BUDGET`], leaving the desk the rest.
pub const ADMIT_PATIENCE: Duration = Duration::from_millis(1000);

/// How Slack is set up, from the environment.
#[derive(Debug, Clone)]
pub struct SlackConfig {
    /// `SLACK_SIGNING_SECRET`: enables the HTTP endpoints.
    pub signing_secret: Option<SigningSecret>,
    /// `SLACK_BOT_TOKEN`: for every Web API call.
    pub bot_token: Option<Token>,
    /// `SLACK_APP_TOKEN`: enables Socket Mode.
    pub app_token: Option<Token>,
    /// `STORYDESK_SLACK_API_URL`.
    pub api_url: String,
}

impl SlackConfig {
    /// True when either way in is configured.
    pub fn enabled(&self) -> bool {
        self.signing_secret.is_some() || self.app_token.is_some()
    }

    /// Whether the configuration can work: a way in needs the bot token to answer.
    pub fn check(&self) -> Result<(), String> {
        if self.enabled() && self.bot_token.is_none() {
            return Err("SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not; the bot needs its token (xoxb-…) to answer in Slack".into());
        }
        Ok(())
    }
}

/// What Slack gets back at once: the HTTP response body, or a Socket Mode ack's payload.
#[derive(Debug, Clone, PartialEq)]
pub enum Ack {
    /// An empty 200 (closes a modal; acknowledges an event or click).
    Empty,
    /// A JSON answer (an ephemeral message, modal errors, a URL verification challenge).
    Json(Value),
}

/// One inbound Slack payload, however it arrived, decoded by [`inbound::decode_http`] or
/// [`inbound::decode_payload`].
#[derive(Debug, Clone)]
pub enum Inbound {
    /// A slash command.
    Command(SlashCommand),
    /// An interactivity payload (button click, modal submission).
    Interaction(Box<Interaction>),
    /// An Events API envelope.
    Event(Box<EventEnvelope>),
}

/// The Slack adapter: the desk, the Web API client and the send queues. Cheap to clone.
#[derive(Clone)]
pub struct Slack {
    /// Shared by every clone.
    inner: Arc<Inner>,
}

struct Inner {
    /// The workflow.
    desk: Desk,
    /// Calls to Slack.
    api: WebApi,
    /// One send queue per channel.
    outbox: Outbox,
    /// The signing secret, when HTTP is enabled.
    secret: Option<SigningSecret>,
    /// User id → display name, learnt from commands and clicks (events carry only ids).
    names: Mutex<HashMap<String, String>>,
    /// Board anchor → the board text last posted, so an unchanged board is not re-sent.
    boards: Mutex<HashMap<String, String>>,
    /// Boards with an update queued and not yet started: a further change needs no job of
    /// its own, since the queued one renders the story as it is when it runs.
    boards_pending: Mutex<std::collections::HashSet<String>>,
    /// Work still running after an ack (posts, board edits, answers), which a shutdown
    /// waits for.
    in_flight: InFlight,
    /// The drafter `[assist]` asks for, or why it may not be used.
    assistant: Result<Assistant, Failure>,
    /// The members of the Slack user groups the config's role lists name (`group:S…`).
    groups: groups::GroupCache,
    /// The client for group lookups: one attempt, so a rate-limited lookup grants nothing
    /// at once instead of holding the request up.
    groups_api: WebApi,
}

/// Where a reply's messages go back to.
#[derive(Debug, Clone)]
struct Origin {
    /// The channel of the request.
    channel: ChannelKey,
    /// Who asked.
    user: String,
    /// The thread the request came from.
    thread: Option<String>,
    /// Where to answer the requester, when Slack gave one.
    response_url: Option<String>,
    /// The request's admission to the delivery backlog ([`Outbox::admit`]), shared by every
    /// piece of work that delivers its reply: given back when the last of them is done.
    admitted: Option<Arc<Ticket>>,
}

impl Slack {
    /// The adapter over `desk` with `config`'s tokens and API address.
    pub fn new(desk: Desk, config: &SlackConfig) -> Self {
        let assistant = Assistant::from_config(&desk.config().assist);
        Self::with_assistant(desk, config, assistant)
    }

    /// The adapter, its drafts written by `assistant` (or refused with its failure).
    pub fn with_assistant(
        desk: Desk,
        config: &SlackConfig,
        assistant: Result<Assistant, Failure>,
    ) -> Self {
        let api = WebApi::new(
            &config.api_url,
            config.bot_token.clone(),
            config.app_token.clone(),
        );
        let outbox = Outbox::reporting_to(&desk, "slack");
        Slack {
            inner: Arc::new(Inner {
                assistant,
                desk,
                groups: groups::GroupCache::default(),
                groups_api: api.clone().single_attempt(),
                api,
                outbox,
                secret: config.signing_secret.clone(),
                names: Mutex::new(HashMap::new()),
                boards: Mutex::new(HashMap::new()),
                boards_pending: Mutex::new(std::collections::HashSet::new()),
                in_flight: InFlight::new(),
            }),
        }
    }

    /// The desk.
    pub fn desk(&self) -> &Desk {
        &self.inner.desk
    }

    /// The Web API client.
    pub fn api(&self) -> &WebApi {
        &self.inner.api
    }

    /// Where storydesk's messages are: boards, thread parents, drafts.
    fn anchors(&self) -> Anchors {
        Anchors::of(self.desk())
    }

    /// The signing secret, when HTTP is enabled.
    pub fn signing_secret(&self) -> Option<&SigningSecret> {
        self.inner.secret.as_ref()
    }

    /// Wait until no work started after an ack is still running: every post, edit and
    /// answer is done. `serve` waits for it before stopping.
    pub async fn idle(&self) {
        self.inner.in_flight.idle().await
    }

    /// Run work after an ack, counted so [`Slack::idle`] waits for it.
    fn spawn(&self, work: impl std::future::Future<Output = ()> + Send + 'static) {
        self.inner
            .in_flight
            .spawn(crate::supervise::caught(self.desk(), "slack", work));
    }

    /// Handles one payload and returns what Slack gets at once. Slow work goes on after.
    pub async fn handle(&self, inbound: Inbound) -> Ack {
        match inbound {
            Inbound::Command(cmd) => {
                let span = tracing::info_span!(
                    "slack",
                    kind = "command",
                    team = %cmd.team_id,
                    channel = %cmd.channel_id,
                    user = %cmd.user_id,
                );
                self.command(cmd).instrument(span).await
            }
            Inbound::Interaction(p) => {
                let p = *p;
                let span = tracing::info_span!(
                    "slack",
                    kind = %p.kind,
                    team = %p.team_id(),
                    user = %p.user.id,
                );
                self.interaction(p).instrument(span).await
            }
            Inbound::Event(env) => {
                let env = *env;
                if env.kind == "url_verification" {
                    return Ack::Json(json!({ "challenge": env.challenge.unwrap_or_default() }));
                }
                if env.kind == "event_callback" {
                    let span = tracing::info_span!(
                        "slack",
                        kind = "event",
                        team = %env.team_id,
                        event = %env.event_id,
                    );
                    let this = self.clone();
                    self.spawn(async move { this.event(env).await }.instrument(span));
                }
                Ack::Empty
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // Slash commands

    async fn command(&self, cmd: SlashCommand) -> Ack {
        let name = self.learn_name(&cmd.user_id, Some(&cmd.user_name));
        let channel = channel_key(&cmd.team_id, &cmd.channel_id);
        let request = Request {
            actor: Person {
                id: cmd.user_id.clone(),
                name,
            },
            memberships: Default::default(),
            place: Place {
                channel: channel.clone(),
                thread: None,
            },
            at: Timestamp::now(),
            input: Input::Text {
                text: mrkdwn::command_text(&cmd.text),
                body: None,
            },
            event: (!cmd.trigger_id.is_empty()).then(|| {
                EventKey::new(
                    Platform::Slack,
                    &cmd.team_id,
                    EventKind::Command,
                    &cmd.trigger_id,
                )
            }),
            story: None,
        };
        let origin = Origin {
            channel,
            user: cmd.user_id.clone(),
            thread: None,
            response_url: Some(cmd.response_url.clone()).filter(|u| !u.is_empty()),
            admitted: None,
        };
        // Only a command that takes long text may need a form; the parser (pure, quick)
        // tells, so other commands go straight to the desk.
        if !takes_long_text(&request) {
            return self.answer(request, origin).await;
        }
        let desk = self.desk().clone();
        let probe = request.clone();
        let form = tokio::task::spawn_blocking(move || desk.long_text_form(&probe)).await;
        match form {
            Ok(Ok(Some(form))) => {
                self.open_form(form, &request, &cmd.trigger_id, &cmd.channel_id, None)
                    .await
            }
            Ok(Ok(None)) => self.answer(request, origin).await,
            Ok(Err(message)) => ephemeral_ack(&message),
            Err(e) => {
                crate::supervise::report(self.desk(), "desk", &e);
                Ack::Empty
            }
        }
    }

    /// Opens the modal for a command's long text while the trigger is fresh.
    async fn open_form(
        &self,
        form: crate::desk::LongTextForm,
        request: &Request,
        trigger_id: &str,
        channel_id: &str,
        thread: Option<String>,
    ) -> Ack {
        // A redelivered command must not open a second modal.
        if let Some(key) = &request.event {
            if !self.desk().claim_answered(key, Timestamp::now()) {
                return Ack::Empty;
            }
        }
        let source = form.subcommand == "source add";
        let max_chars = form.max_chars.map(|m| m as usize).unwrap_or(if source {
            SOURCE_MODAL_CHARS
        } else {
            blocks::INPUT_CHARS
        });
        let mut meta = FormMeta {
            k: if source {
                FormKind::Source
            } else {
                FormKind::Write
            },
            c: channel_id.to_string(),
            s: form.story.0,
            sub: form.subcommand.clone(),
            o: form.options.clone(),
            t: thread,
            sep: Vec::new(),
            n: blocks::box_count(
                max_chars,
                form.current.as_deref().map_or(0, |c| c.chars().count()),
            ),
            sec: form.section.clone(),
            r: None,
        };
        let view = if source {
            let label = form
                .options
                .iter()
                .find(|(k, _)| k == "label")
                .map(|(_, v)| v.as_str());
            meta.o.retain(|(k, _)| k != "label");
            blocks::source_modal(&form.label, max_chars, label, &encode_meta(&meta))
        } else {
            let section = form.section.clone().unwrap_or_default();
            let current = form.current.clone().unwrap_or_default();
            blocks::write_modal(&section, &form.label, &current, max_chars, |seps| {
                meta.sep = seps;
                encode_meta(&meta)
            })
        };
        match self.api().open_view(trigger_id, &view).await {
            Ok(()) => Ack::Empty,
            Err(e) => {
                tracing::warn!(error = %e, "could not open a modal");
                ephemeral_ack(&messages::api_error(&e, None))
            }
        }
    }

    /// Runs a request through the desk and gives its reply if it comes within
    /// [`ACK_BUDGET`]. A slower desk (a busy disk) gets `None`: the ack goes out now and the
    /// reply is delivered when it is done. A desk that panicked also gets `None`.
    ///
    /// A request whose reply will be delivered is first admitted to the delivery backlog
    /// (`origin` then carries its ticket to the delivery); [`Busy`] when the backlog stayed
    /// full for [`ADMIT_PATIENCE`], and the desk was not asked.
    async fn within_ack_budget(
        &self,
        request: Request,
        origin: &mut Origin,
    ) -> Result<Option<Reply>, Busy> {
        let prepared = self.desk().prepare(request);
        if prepared.answers_in_place() {
            // A read the desk answers in place, with no user group to look up first, is
            // done in microseconds: no budget to keep, no task to start, nothing to deliver.
            if !self.names_groups() {
                return Ok(crate::supervise::desk(self.desk(), prepared).await);
            }
        } else {
            let ticket = self
                .inner
                .outbox
                .admit(&origin.channel.channel, ADMIT_PATIENCE)
                .await?;
            origin.admitted = Some(Arc::new(ticket));
        }
        let this = self.clone();
        let mut job = tokio::spawn(async move { this.desk_reply(prepared).await });
        let reply = match tokio::time::timeout(ACK_BUDGET, &mut job).await {
            Ok(Ok(Some(reply))) => Some(reply),
            Ok(Ok(None)) => None,
            Ok(Err(e)) => {
                crate::supervise::report(self.desk(), "desk", &e);
                None
            }
            Err(_) => {
                let this = self.clone();
                let origin = origin.clone();
                self.spawn(async move {
                    if let Ok(Some(reply)) = job.await {
                        this.deliver(reply, origin).await;
                    }
                });
                None
            }
        };
        Ok(reply)
    }

    /// The desk's reply to `request`, once the person's memberships of the user groups the
    /// config names are known. `None` when the desk panicked (logged).
    async fn desk_reply(&self, mut prepared: Prepared) -> Option<Reply> {
        if prepared.reads_times() {
            self.learn_zone_if_unknown(&prepared.request().actor.id)
                .await;
        }
        if self.names_groups() {
            let groups = self.groups_of(&prepared.request().actor.id).await;
            prepared.memberships_mut().slack_groups = groups;
        }
        crate::supervise::desk(self.desk(), prepared).await
    }

    /// Whether the config's role lists name any Slack user group (`group:S…`), so a
    /// request's memberships must be looked up before the desk sees it.
    fn names_groups(&self) -> bool {
        !self.desk().config().slack_groups().is_empty()
    }

    /// The user groups among those the config's role lists name (`group:S…`) that `user` is
    /// in. Looked up only when the config names any.
    async fn groups_of(&self, user: &str) -> Vec<String> {
        let named: Vec<String> = self.desk().config().slack_groups();
        let mut member_of = Vec::new();
        for group in named {
            let api = &self.inner.groups_api;
            let lookup = || api.usergroup_members(&group);
            if self.inner.groups.contains(&group, user, lookup).await {
                member_of.push(group);
            }
        }
        member_of
    }

    /// Runs a command through the desk; the first message for the requester goes in the
    /// ack, everything else after it.
    async fn answer(&self, request: Request, mut origin: Origin) -> Ack {
        let reply = match self.within_ack_budget(request, &mut origin).await {
            Ok(Some(reply)) => reply,
            Ok(None) => return Ack::Empty,
            Err(Busy) => return ephemeral_ack(&crate::desk::messages::busy_delivering()),
        };
        if reply.is_duplicate() {
            return Ack::Empty;
        }
        let mut reply = reply;
        let story = reply.story;
        let Some(i) = reply
            .posts
            .iter()
            .position(|p| p.to == Destination::Requester)
        else {
            if !reply.posts.is_empty() || !reply.drafts.is_empty() {
                let this = self.clone();
                self.spawn(async move { this.deliver(reply, origin).await });
            }
            return Ack::Empty;
        };
        let post = reply.posts.remove(i);
        let mut parts = render(&post.body).into_iter();
        let head = parts.next().expect("render gives at least one message");
        let rest: Vec<SlackMessage> = parts.collect();
        let after = reply.posts.split_off(i);
        let before = std::mem::take(&mut reply.posts);
        let drafts = std::mem::take(&mut reply.drafts);
        if !(before.is_empty() && rest.is_empty() && after.is_empty() && drafts.is_empty()) {
            // The rest of a long answer, and the other posts, follow right after the ack;
            // then the drafts asked for are written.
            let this = self.clone();
            self.spawn(async move {
                this.send_posts(before, story, &origin).await;
                for m in rest {
                    this.tell(&origin, m).await;
                }
                this.send_posts(after, story, &origin).await;
                this.write_drafts(drafts, &origin).await;
            });
        }
        Ack::Json(head.ephemeral_json())
    }

    // -----------------------------------------------------------------------------------
    // Interactivity

    async fn interaction(&self, p: Interaction) -> Ack {
        let name = self.learn_name(&p.user.id, p.user_name().as_deref());
        match p.kind.as_str() {
            "block_actions" => self.click(p, name).await,
            "view_submission" => self.submission(p, name).await,
            _ => Ack::Empty,
        }
    }

    /// A button under a review post.
    async fn click(&self, p: Interaction, name: String) -> Ack {
        let Some(clicked) = p.actions.first() else {
            return Ack::Empty;
        };
        let Some(action) = clicked
            .value
            .as_deref()
            .and_then(|v| serde_json::from_str::<blocks::ButtonValue>(v).ok())
            .and_then(|v| v.action(&clicked.action_id))
        else {
            return Ack::Empty;
        };
        let team = p.team_id();
        let container = p.container.clone().unwrap_or_default();
        let channel_id = p
            .channel
            .as_ref()
            .map(|c| c.id.clone())
            .filter(|c| !c.is_empty())
            .or(container.channel_id.clone())
            .unwrap_or_default();
        let message_ts = p
            .message
            .as_ref()
            .map(|m| m.ts.clone())
            .or(container.message_ts.clone())
            .unwrap_or_default();
        let thread = p
            .message
            .as_ref()
            .and_then(|m| m.thread_ts.clone())
            .or(container.thread_ts.clone());
        let origin = Origin {
            channel: channel_key(&team, &channel_id),
            user: p.user.id.clone(),
            thread: thread.clone(),
            response_url: p.response_url.clone(),
            admitted: None,
        };
        // The request a click on a button stands for, keyed by Slack's own id of the click.
        let click_request = |name: String| {
            let (input, story) = action.to_input(None);
            Request {
                actor: Person {
                    id: p.user.id.clone(),
                    name,
                },
                memberships: Default::default(),
                place: Place {
                    channel: origin.channel.clone(),
                    thread: origin.thread.clone(),
                },
                at: Timestamp::now(),
                input,
                event: Some(click_key(
                    &team,
                    &p.trigger_id,
                    clicked,
                    &origin.channel.channel,
                    &message_ts,
                    &p.user.id,
                )),
                story: Some(story),
            }
        };
        match &action {
            Action::RequestChanges {
                story,
                section,
                revision,
            } => {
                let meta = FormMeta {
                    k: FormKind::Changes,
                    c: channel_id,
                    s: story.0,
                    sub: "changes".into(),
                    o: Vec::new(),
                    t: thread,
                    sep: Vec::new(),
                    n: 0,
                    sec: Some(section.clone()),
                    r: Some(*revision),
                };
                let view = blocks::changes_modal(
                    section,
                    *revision,
                    note_max_chars(),
                    &encode_meta(&meta),
                );
                if let Err(e) = self.api().open_view(&p.trigger_id, &view).await {
                    tracing::warn!(error = %e, "could not open the change-request modal");
                    let this = self.clone();
                    let text = messages::api_error(&e, None);
                    self.spawn(async move {
                        for m in blocks::text_messages(&text) {
                            this.tell(&origin, m).await;
                        }
                    });
                }
                Ack::Empty
            }
            Action::EditDraft { draft } => {
                self.open_draft_form(draft, &p.trigger_id, &channel_id, thread, origin)
                    .await;
                Ack::Empty
            }
            // The write form as `write resume:true` opens it: the clicker's kept text
            // merged with the latest revision.
            Action::ResolveConflict { .. } => {
                let request = click_request(name);
                let desk = self.desk().clone();
                let probe = request.clone();
                let form = tokio::task::spawn_blocking(move || desk.long_text_form(&probe)).await;
                match form {
                    Ok(Ok(Some(form))) => {
                        self.open_form(form, &request, &p.trigger_id, &channel_id, thread)
                            .await;
                    }
                    Ok(Ok(None)) => {}
                    Ok(Err(message)) => self.tell_later(origin, message),
                    Err(e) => crate::supervise::report(self.desk(), "desk", &e),
                }
                Ack::Empty
            }
            Action::Approve { .. } | Action::AcceptDraft { .. } | Action::DiscardDraft { .. } => {
                let request = click_request(name);
                let this = self.clone();
                self.spawn(async move { this.run(request, origin).await });
                Ack::Empty
            }
        }
    }

    /// Opens the write modal prefilled with an assisted draft (its Edit button); saving it
    /// is a `write` that names the draft.
    async fn open_draft_form(
        &self,
        draft: &DraftRef,
        trigger_id: &str,
        channel_id: &str,
        thread: Option<String>,
        origin: Origin,
    ) {
        let desk = self.desk().clone();
        let wanted = draft.clone();
        let found = tokio::task::spawn_blocking(move || {
            desk.draft_text(wanted.story, &wanted.section, wanted.number)
        })
        .await;
        let text = match found {
            Ok(Ok(Some(text))) => text,
            Ok(Ok(None)) => {
                self.tell_later(origin, messages::draft_gone(&draft.section, draft.number));
                return;
            }
            _ => {
                tracing::error!("could not read a draft to edit");
                self.tell_later(origin, crate::desk::messages::internal_error("draft"));
                return;
            }
        };
        let max = blocks::MAX_INPUTS * blocks::INPUT_CHARS;
        let chars = text.chars().count();
        if chars > max {
            self.tell_later(
                origin,
                messages::draft_too_long_for_form(&draft.section, chars, max),
            );
            return;
        }
        let label = crate::catalogue::catalogue()
            .subcommand("write")
            .and_then(|s| s.long_text.as_ref())
            .map(|l| l.label.clone())
            .unwrap_or_default();
        let mut meta = FormMeta {
            k: FormKind::Write,
            c: channel_id.to_string(),
            s: draft.story.0,
            sub: "write".into(),
            o: vec![
                ("section".into(), draft.section.clone()),
                ("draft".into(), draft.number.to_string()),
            ],
            t: thread,
            sep: Vec::new(),
            n: blocks::box_count(blocks::INPUT_CHARS, chars),
            sec: Some(draft.section.clone()),
            r: Some(draft.number),
        };
        let view =
            blocks::write_modal(&draft.section, &label, &text, blocks::INPUT_CHARS, |seps| {
                meta.sep = seps;
                encode_meta(&meta)
            });
        if let Err(e) = self.api().open_view(trigger_id, &view).await {
            tracing::warn!(error = %e, "could not open the draft's modal");
            self.tell_later(origin, messages::api_error(&e, None));
        }
    }

    /// Tells the requester something after the ack.
    fn tell_later(&self, origin: Origin, text: String) {
        let this = self.clone();
        self.spawn(async move {
            for m in blocks::text_messages(&text) {
                this.tell(&origin, m).await;
            }
        });
    }

    /// A submitted modal: the text goes to the desk; a refusal comes back into the modal.
    async fn submission(&self, p: Interaction, name: String) -> Ack {
        let Some(view) = &p.view else {
            return Ack::Empty;
        };
        let Ok(meta) = serde_json::from_str::<FormMeta>(&view.private_metadata) else {
            return Ack::Empty;
        };
        let team = p.team_id();
        let boxes = |n: usize| -> Vec<String> {
            (0..n)
                .map(|i| {
                    view.value(&blocks::box_block_id(i))
                        .unwrap_or_default()
                        .to_string()
                })
                .collect()
        };
        let (input, error_block) = match meta.k {
            FormKind::Source => {
                let mut options = meta.o.clone();
                if let Some(label) = view
                    .value(blocks::LABEL_BLOCK)
                    .filter(|l| !l.trim().is_empty())
                {
                    options.push(("label".into(), label.to_string()));
                }
                let body = blocks::join_boxes(&boxes(meta.n), &[]);
                (
                    Input::Options {
                        subcommand: meta.sub.clone(),
                        options,
                        body: Some(body),
                    },
                    blocks::box_block_id(0),
                )
            }
            FormKind::Write => (
                Input::Options {
                    subcommand: meta.sub.clone(),
                    options: meta.o.clone(),
                    body: Some(blocks::join_boxes(&boxes(meta.n), &meta.sep)),
                },
                blocks::box_block_id(0),
            ),
            FormKind::Changes => {
                let action = Action::RequestChanges {
                    story: StoryId(meta.s),
                    section: meta.sec.clone().unwrap_or_default(),
                    revision: meta.r.unwrap_or_default(),
                };
                let note = view
                    .value(blocks::NOTE_BLOCK)
                    .unwrap_or_default()
                    .to_string();
                (
                    action.to_input(Some(note)).0,
                    blocks::NOTE_BLOCK.to_string(),
                )
            }
        };
        let key = if p.trigger_id.is_empty() {
            format!("{}:{}", view.id, view.hash.clone().unwrap_or_default())
        } else {
            p.trigger_id.clone()
        };
        let request = Request {
            actor: Person {
                id: p.user.id.clone(),
                name,
            },
            memberships: Default::default(),
            place: Place {
                channel: channel_key(&team, &meta.c),
                thread: meta.t.clone(),
            },
            at: Timestamp::now(),
            input,
            event: Some(EventKey::new(Platform::Slack, &team, EventKind::View, key)),
            story: Some(StoryId(meta.s)),
        };
        let origin = Origin {
            channel: request.place.channel.clone(),
            user: p.user.id.clone(),
            thread: meta.t.clone(),
            response_url: None,
            admitted: None,
        };
        let mut origin = origin;
        let reply = match self.within_ack_budget(request, &mut origin).await {
            Ok(Some(reply)) => reply,
            Ok(None) => return Ack::Empty,
            Err(Busy) => {
                // The form stays open with its text, and says why.
                return Ack::Json(json!({
                    "response_action": "errors",
                    "errors": { error_block: crate::desk::messages::busy_delivering() },
                }));
            }
        };
        if reply.is_refused() {
            let text = reply
                .posts
                .iter()
                .map(|p| plain_sentence(&p.body.text()))
                .collect::<Vec<_>>()
                .join(" ");
            return Ack::Json(json!({
                "response_action": "errors",
                "errors": { error_block: messages::truncate_chars(&text, 2000) },
            }));
        }
        if !reply.posts.is_empty() {
            let this = self.clone();
            self.spawn(async move { this.deliver(reply, origin).await });
        }
        Ack::Empty
    }

    // -----------------------------------------------------------------------------------
    // Events

    async fn event(&self, env: EventEnvelope) {
        let Some(ev) = env.event else { return };
        if ev.kind != "message" || ev.bot_id.is_some() {
            return;
        }
        if !matches!(
            ev.subtype.as_deref(),
            None | Some("file_share") | Some("thread_broadcast")
        ) {
            return;
        }
        let (Some(channel_id), Some(user), Some(ts), Some(thread)) = (
            ev.channel.clone(),
            ev.user.clone(),
            ev.ts.clone(),
            ev.thread_ts.clone(),
        ) else {
            return;
        };
        if ts == thread {
            return;
        }
        let channel = channel_key(&env.team_id, &channel_id);
        let name = self.name_of(&user).await;
        let origin = Origin {
            channel: channel.clone(),
            user: user.clone(),
            thread: Some(thread.clone()),
            response_url: None,
            admitted: None,
        };
        let actor = Person { id: user, name };
        let request = |input: Input, event: EventKey, story: Option<StoryId>| Request {
            actor: actor.clone(),
            memberships: Default::default(),
            place: Place {
                channel: channel.clone(),
                thread: Some(thread.clone()),
            },
            at: Timestamp::now(),
            input,
            event: Some(event),
            story,
        };
        let base_key = EventKey::new(
            Platform::Slack,
            &env.team_id,
            EventKind::Event,
            &env.event_id,
        );
        if !ev.files.is_empty() {
            let desk = self.desk().clone();
            let (c, t) = (channel.clone(), thread.clone());
            let target = tokio::task::spawn_blocking(move || desk.thread_target(&c, &t))
                .await
                .ok()
                .flatten();
            let Some((story, ThreadKind::Sources)) = target else {
                return;
            };
            for file in &ev.files {
                let key = base_key.part("file", &file.id);
                match self.fetch_text_file(&file.id).await {
                    Ok((name, text)) => {
                        let input = Input::Options {
                            subcommand: "source add".into(),
                            options: vec![("label".into(), messages::truncate_chars(&name, 100))],
                            body: Some(text),
                        };
                        self.run(request(input, key, Some(story)), origin.clone())
                            .await;
                    }
                    Err(text) => {
                        for m in blocks::text_messages(&text) {
                            self.tell(&origin, m).await;
                        }
                    }
                }
            }
            return;
        }
        let text = mrkdwn::plain_text(ev.text.as_deref().unwrap_or_default());
        if text.trim().is_empty() {
            return;
        }
        self.run(request(Input::Message { text }, base_key, None), origin)
            .await;
    }

    /// A shared file's name and text, or the message saying why it cannot be a source.
    async fn fetch_text_file(&self, id: &str) -> Result<(String, String), String> {
        let limit = self.desk().config().limits.source_bytes;
        let info = self
            .api()
            .file_info(id)
            .await
            .map_err(|e| messages::api_error(&e, None))?;
        let name = if info.name.is_empty() {
            info.id.clone()
        } else {
            info.name.clone()
        };
        if !is_text_file(&info.mimetype, &info.filetype) {
            return Err(messages::not_a_text_file(&name));
        }
        if info.size > limit {
            return Err(messages::file_too_large(&name, limit));
        }
        let url = info
            .url_private_download
            .clone()
            .or(info.url_private.clone())
            .ok_or_else(|| messages::not_a_text_file(&name))?;
        let bytes = match self.api().download(&url, limit).await {
            Ok(b) => b,
            Err(ApiError::TooLarge { .. }) => return Err(messages::file_too_large(&name, limit)),
            Err(e) => return Err(messages::api_error(&e, None)),
        };
        let text = String::from_utf8(bytes).map_err(|_| messages::not_a_text_file(&name))?;
        Ok((name, text))
    }

    /// Runs a request through the desk and delivers its reply.
    async fn run(&self, request: Request, mut origin: Origin) {
        let prepared = self.desk().prepare(request);
        if !prepared.answers_in_place() {
            match self
                .inner
                .outbox
                .admit(&origin.channel.channel, ADMIT_PATIENCE)
                .await
            {
                Ok(ticket) => origin.admitted = Some(Arc::new(ticket)),
                Err(Busy) => {
                    for m in blocks::text_messages(&crate::desk::messages::busy_delivering()) {
                        self.tell(&origin, m).await;
                    }
                    return;
                }
            }
        }
        if let Some(reply) = self.desk_reply(prepared).await {
            self.deliver(reply, origin).await;
        }
    }

    // -----------------------------------------------------------------------------------
    // Delivery

    /// Sends a reply's messages, in order.
    async fn deliver(&self, reply: Reply, origin: Origin) {
        if reply.is_duplicate() {
            return;
        }
        self.send_posts(reply.posts, reply.story, &origin).await;
        self.write_drafts(reply.drafts, &origin).await;
    }

    /// Writes the drafts a reply asked for, one after another, each shown in its section's
    /// thread as it is written.
    async fn write_drafts(&self, drafts: Vec<DraftJob>, origin: &Origin) {
        for job in drafts {
            match &self.inner.assistant {
                Ok(assistant) => {
                    Box::pin(crate::drafting::run_job(
                        self.desk(),
                        assistant,
                        job,
                        |post| self.send_posts(vec![post], None, origin),
                    ))
                    .await
                }
                Err(failure) => {
                    let desk = self.desk().clone();
                    let failure = failure.clone();
                    if let Ok(reply) =
                        tokio::task::spawn_blocking(move || desk.finish_draft(&job, Err(failure)))
                            .await
                    {
                        self.send_posts(reply.posts, None, origin).await;
                    }
                }
            }
        }
    }

    async fn send_posts(&self, posts: Vec<Post>, story: Option<StoryId>, origin: &Origin) {
        for post in posts {
            if let (Destination::Correct { channel }, Some(story)) = (&post.to, story) {
                let target = publish_channel(channel);
                let lost = messages::api_error(
                    &ApiError::Transport {
                        method: "send queue".into(),
                        reason: "the send job failed".into(),
                    },
                    Some(&target),
                );
                // Boxed, like the publication below: a rare path whose state would otherwise
                // be part of every delivery waiting in the backlog.
                let corrected = Box::pin(crate::deliver::correct_article_in_turn(
                    &self.inner.outbox,
                    self.desk(),
                    SlackOutlet::new(self.api().clone()),
                    story,
                    target,
                    render(&post.body),
                    lost,
                ))
                .await;
                Box::pin(self.send_posts(corrected.reply.posts, None, origin)).await;
                continue;
            }
            if let (Destination::Publish { channel }, Some(story)) = (&post.to, story) {
                let target = publish_channel(channel);
                // Should the send job be lost, what is up is unknown: the publication is
                // kept for a later attempt, which looks first.
                let lost = messages::api_error(
                    &ApiError::Transport {
                        method: "send queue".into(),
                        reason: "the send job failed".into(),
                    },
                    Some(&target),
                );
                let posted = Box::pin(crate::deliver::post_article_in_turn(
                    &self.inner.outbox,
                    self.desk(),
                    SlackOutlet::new(self.api().clone()),
                    story,
                    target,
                    render(&post.body),
                    lost,
                ))
                .await;
                let Posted::Stopped(stopped) = posted else {
                    continue;
                };
                tracing::warn!(story = story.0, "the article is not all up");
                Box::pin(self.send_posts(stopped.posts, None, origin)).await;
                // The rest of the reply (the "published" note) does not hold yet.
                return;
            }
            let to = post.to.clone();
            if let Err((error, channel)) = self.send_post(post, origin).await {
                tracing::warn!(error = %error, "a message could not be delivered");
                match (&to, story) {
                    (Destination::Requester, _) => {}
                    _ => {
                        let text = messages::delivery_failed(&messages::api_error(
                            &error,
                            channel.as_deref(),
                        ));
                        for m in blocks::text_messages(&text) {
                            self.tell(origin, m).await;
                        }
                    }
                }
            }
        }
    }

    /// Continues every Slack publication whose article is not all up (`serve` stopped
    /// while posting it): each goes on after its last confirmed message, and its editor is
    /// told, as when they run `/story publish` again.
    ///
    /// `quiet_for`: only those that made no progress for that long (another replica may be
    /// posting the others); `None`: every one (no other process shares the store).
    pub async fn resume_publications(&self, quiet_for: Option<std::time::Duration>) {
        let desk = self.desk().clone();
        let under_way = tokio::task::spawn_blocking(move || {
            desk.publications_under_way(Platform::Slack, quiet_for)
        })
        .await;
        let under_way = match under_way {
            Ok(Ok(list)) => list,
            _ => {
                tracing::error!("could not look for publications under way");
                return;
            }
        };
        for (home, publisher, reply) in under_way {
            let origin = Origin {
                channel: home,
                user: publisher.id.clone(),
                thread: None,
                response_url: None,
                admitted: None,
            };
            self.learn_name(&publisher.id, Some(&publisher.name));
            let this = self.clone();
            self.spawn(async move { this.deliver(reply, origin).await });
        }
    }

    /// Delivers what a job of the desk's scheduler sends ([`crate::desk::Due`]) in the
    /// story's home channel, as resumed publications are: no one asked, so there is no one
    /// to answer privately; a scheduled publication is posted exactly as `/story publish`
    /// posts it.
    pub async fn deliver_due(&self, due: crate::desk::Due) {
        let origin = Origin {
            channel: due.channel,
            user: String::new(),
            thread: None,
            response_url: None,
            admitted: None,
        };
        self.deliver(due.reply, origin).await;
    }

    /// One post, on its channel's queue. On failure, the error and the channel it was for.
    async fn send_post(
        &self,
        post: Post,
        origin: &Origin,
    ) -> Result<(), (ApiError, Option<String>)> {
        let channel = origin.channel.channel.clone();
        match post.to {
            Destination::Requester => {
                for m in render(&post.body) {
                    self.tell(origin, m).await;
                }
                Ok(())
            }
            Destination::Channel => {
                let this = self.clone();
                let c = channel.clone();
                self.queued(&channel, async move {
                    for m in render(&post.body) {
                        this.api()
                            .post_message(&c, &m.text, &m.blocks, None)
                            .await?;
                    }
                    Ok(())
                })
                .await
                .map_err(|e| (e, Some(channel)))
            }
            Destination::Thread { story, thread } => {
                let this = self.clone();
                let key = origin.channel.clone();
                if let Body::Suggestion { draft, .. } = &post.body {
                    let draft = draft.clone();
                    return self
                        .queued(&channel, async move {
                            this.show_draft(&key, story, &thread, &draft, &post.body)
                                .await
                        })
                        .await
                        .map_err(|e| (e, Some(channel)));
                }
                self.queued(&channel, async move {
                    let ts = this.thread_ts(&key, story, &thread).await?;
                    for m in render(&post.body) {
                        this.api()
                            .post_message(&key.channel, &m.text, &m.blocks, Some(&ts))
                            .await?;
                    }
                    Ok(())
                })
                .await
                .map_err(|e| (e, Some(channel)))
            }
            Destination::Board { story } => {
                let anchor = Anchor::Board {
                    channel: origin.channel.clone(),
                    story,
                }
                .key();
                let fresh = self
                    .inner
                    .boards_pending
                    .lock()
                    .expect("boards lock")
                    .insert(anchor.clone());
                if !fresh {
                    return Ok(());
                }
                let this = self.clone();
                let key = origin.channel.clone();
                self.queued(&channel, async move {
                    this.inner
                        .boards_pending
                        .lock()
                        .expect("boards lock")
                        .remove(&anchor);
                    this.sync_board(&key, story).await.map(|_| ())
                })
                .await
                .map_err(|e| (e, Some(channel)))
            }
            Destination::Direct { person } => {
                // chat.postMessage to a user id posts in the app's direct messages with them.
                // Each message is sent once: a refusal is not retried but kept by the desk.
                let this = self.clone();
                let user = person.id.clone();
                let text = post.body.text();
                let sent = self
                    .queued(&person.id, async move {
                        for m in render(&post.body) {
                            this.api()
                                .post_message(&user, &m.text, &m.blocks, None)
                                .await?;
                        }
                        Ok(())
                    })
                    .await;
                match sent {
                    Err(ApiError::Slack { error, .. }) if dm_refused(&error) => {
                        tracing::info!(error = %error, "Slack refused a direct message; the desk keeps it");
                        let desk = self.desk().clone();
                        let kept = tokio::task::spawn_blocking(move || {
                            desk.undeliverable(Platform::Slack, &person, &text)
                        })
                        .await;
                        if matches!(kept, Ok(Ok(()))) {
                            Ok(())
                        } else {
                            Err((store_failure(), None))
                        }
                    }
                    other => other.map_err(|e| (e, Some(person.id))),
                }
            }
            Destination::Publish { channel: target } | Destination::Correct { channel: target } => {
                let target = publish_channel(&target);
                let this = self.clone();
                let t = target.clone();
                self.queued(&target, async move {
                    for m in render(&post.body) {
                        this.api()
                            .post_message(&t, &m.text, &m.blocks, None)
                            .await?;
                    }
                    Ok(())
                })
                .await
                .map_err(|e| (e, Some(target)))
            }
        }
    }

    /// Shows an assisted draft in its section's thread: posted the first time, updated in
    /// place after that (its first message, which carries the buttons); a long draft
    /// continues in replies after it.
    async fn show_draft(
        &self,
        channel: &ChannelKey,
        story: StoryId,
        thread: &ThreadKind,
        draft: &DraftRef,
        body: &Body,
    ) -> Result<(), ApiError> {
        let anchor = Anchor::Draft {
            channel: channel.clone(),
            draft: draft.clone(),
        };
        let anchors = self.anchors();
        let a = anchor.clone();
        let first = tokio::task::spawn_blocking(move || anchors.get(&a).ok().flatten())
            .await
            .map_err(|_| store_failure())?;
        let messages = render(body);
        let parent = self.thread_ts(channel, story, thread).await?;
        if let Some(ts) = first {
            let head = &messages[0];
            match self
                .api()
                .update_message(&channel.channel, &ts, &head.text, &head.blocks)
                .await
            {
                Ok(()) => {
                    for m in &messages[1..] {
                        self.api()
                            .post_message(&channel.channel, &m.text, &m.blocks, Some(&parent))
                            .await?;
                    }
                    return Ok(());
                }
                Err(e) if e.code() == Some("message_not_found") => {}
                Err(e) => return Err(e),
            }
        }
        let mut first_ts = None;
        for m in &messages {
            let ts = self
                .api()
                .post_message(&channel.channel, &m.text, &m.blocks, Some(&parent))
                .await?;
            first_ts.get_or_insert(ts);
        }
        if let Some(ts) = first_ts {
            let anchors = self.anchors();
            let stored = tokio::task::spawn_blocking(move || anchors.put(&anchor, &ts)).await;
            if !matches!(stored, Ok(Ok(()))) {
                tracing::error!("could not record a draft's message");
            }
        }
        Ok(())
    }

    /// Runs `job` on `channel`'s send queue and waits for it.
    async fn queued(
        &self,
        channel: &str,
        job: impl std::future::Future<Output = Result<(), ApiError>> + Send + 'static,
    ) -> Result<(), ApiError> {
        self.inner
            .outbox
            .run(channel, job)
            .await
            .unwrap_or_else(|_| {
                Err(ApiError::Transport {
                    method: "send queue".into(),
                    reason: "the send job failed".into(),
                })
            })
    }

    /// Sends a message only the requester sees: through `response_url` when Slack gave
    /// one, otherwise `chat.postEphemeral`; with no requester (a scheduled job), in the
    /// story's channel.
    async fn tell(&self, origin: &Origin, message: SlackMessage) {
        if origin.user.is_empty() && origin.response_url.is_none() {
            // Nobody asked (a scheduled job's delivery): the note goes to the story's
            // channel, where its people see it.
            let channel = origin.channel.channel.clone();
            let this = self.clone();
            let c = channel.clone();
            let posted = self
                .queued(&channel, async move {
                    this.api()
                        .post_message(&c, &message.text, &message.blocks, None)
                        .await
                        .map(drop)
                })
                .await;
            if let Err(e) = posted {
                tracing::warn!(error = %e, "could not post a scheduled job's note");
            }
            return;
        }
        let result = match &origin.response_url {
            Some(url) => self.api().respond(url, &message.ephemeral_json()).await,
            None => {
                self.api()
                    .post_ephemeral(
                        &origin.channel.channel,
                        &origin.user,
                        &message.text,
                        &message.blocks,
                        origin.thread.as_deref(),
                    )
                    .await
            }
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not answer the requester");
        }
    }

    /// Posts the story's board, or edits it in place, from the story as it is now (so
    /// replies delivered out of order never leave an old board). Returns the board's `ts`.
    async fn sync_board(&self, channel: &ChannelKey, story: StoryId) -> Result<String, ApiError> {
        let anchor = Anchor::Board {
            channel: channel.clone(),
            story,
        };
        let desk = self.desk().clone();
        let anchors = self.anchors();
        let a = anchor.clone();
        let (current, ts) = tokio::task::spawn_blocking(move || {
            let text = desk.board_text(story).ok().flatten();
            (text, anchors.get(&a))
        })
        .await
        .map_err(|_| store_failure())?;
        let text = current.ok_or_else(store_failure)?;
        // A store that cannot say where the board is gets no second board posted.
        let ts = ts.map_err(|why| {
            tracing::error!(error = %why, "could not read a board's anchor");
            store_failure()
        })?;
        if let Some(ts) = &ts {
            let unchanged = self
                .inner
                .boards
                .lock()
                .expect("boards lock")
                .get(&anchor.key())
                == Some(&text);
            if unchanged {
                return Ok(ts.clone());
            }
        }
        let message = blocks::board_message(&text);
        let outlet = SlackOutlet::new(self.api().clone());
        let shown = crate::deliver::show_anchored_at(
            &self.anchors(),
            &outlet,
            &anchor,
            &channel.channel,
            &message,
            // A new board starts the story's source thread, bound as it is recorded.
            Some(Starts {
                home: channel.clone(),
                story,
                kind: ThreadKind::Sources,
            }),
            // Read above, on this channel's queue: nothing has moved it since.
            ts,
        )
        .await;
        let ts = match shown {
            Ok(Shown::Edited(ts)) | Ok(Shown::Posted(ts)) => ts,
            Err(ShowError::Platform(e)) => return Err(e),
            Err(ShowError::Store(why)) => {
                tracing::error!(error = %why, "could not read a board's anchor");
                return Err(store_failure());
            }
        };
        remember(
            &mut self.inner.boards.lock().expect("boards lock"),
            &anchor.key(),
            text,
            BOARDS_KEPT,
        );
        Ok(ts)
    }

    /// The `ts` of a story's thread, posting its parent first if needed: the board for
    /// sources, a parent message for a section's review.
    async fn thread_ts(
        &self,
        channel: &ChannelKey,
        story: StoryId,
        kind: &ThreadKind,
    ) -> Result<String, ApiError> {
        let section = match kind {
            ThreadKind::Sources => return self.sync_board(channel, story).await,
            ThreadKind::Section(s) => s.clone(),
        };
        // A thread already recorded is all most posts need: the story is loaded (to word a
        // new thread's parent) only when there is none, on the same trip to the store.
        let (desk, anchors) = (self.desk().clone(), self.anchors());
        let anchor = Anchor::Thread {
            channel: channel.clone(),
            story,
            thread: kind.clone(),
        };
        let found = tokio::task::spawn_blocking(move || {
            let known = anchors.get(&anchor)?;
            if known.is_some() {
                return Ok((known, None));
            }
            desk.story(story).map(|loaded| (None, loaded))
        })
        .await
        .map_err(|_| store_failure())?;
        let loaded = match found {
            Ok((Some(ts), _)) => return Ok(ts),
            Ok((None, loaded)) => loaded.ok_or_else(store_failure)?,
            Err(why) => {
                tracing::error!(error = %why, "could not read a thread's anchor");
                return Err(store_failure());
            }
        };
        let parent = blocks::text_messages(&messages::section_thread_parent(&loaded, &section))
            .swap_remove(0);
        let outlet = SlackOutlet::new(self.api().clone());
        let opened = crate::deliver::open_thread(
            self.desk(),
            &outlet,
            channel,
            story,
            kind,
            &parent,
            &section,
        )
        .await;
        match opened {
            Ok(ts) => Ok(ts),
            Err(ShowError::Platform(e)) => Err(e),
            Err(ShowError::Store(why)) => {
                tracing::error!(error = %why, "could not read a thread's anchor");
                Err(store_failure())
            }
        }
    }

    /// The name of a user seen only by id (in an event): learnt earlier, or asked of Slack
    /// once (`users.info`), or else the id. The same answer's time zone goes to the desk.
    async fn name_of(&self, id: &str) -> String {
        if let Some(name) = self.inner.names.lock().expect("names lock").get(id) {
            return name.clone();
        }
        match self.api().user_info(id).await {
            Ok(info) => {
                if let Some(zone) = info.zone {
                    self.learn_zone(id, zone).await;
                }
                self.learn_name(id, Some(&info.name))
            }
            Err(e) => {
                tracing::info!(error = %e, "could not look up a user's name");
                id.to_string()
            }
        }
    }

    /// Before a request that reads a time: when the desk knows no zone for `id` (none
    /// chosen with `/story tz`, none learnt), asks Slack's `users.info` for the profile's.
    /// Someone who only uses slash commands is never looked up otherwise.
    async fn learn_zone_if_unknown(&self, id: &str) {
        let desk = self.desk().clone();
        let person = id.to_string();
        let known =
            tokio::task::spawn_blocking(move || desk.knows_zone(Platform::Slack, &person)).await;
        if matches!(known, Ok(Ok(true))) {
            return;
        }
        match self.api().user_info(id).await {
            Ok(info) => {
                self.learn_name(id, Some(&info.name));
                if let Some(zone) = info.zone {
                    self.learn_zone(id, zone).await;
                }
            }
            Err(e) => tracing::info!(error = %e, "could not look up a user's time zone"),
        }
    }

    /// Tells the desk the time zone Slack's profile gives `id` (once per person and
    /// process: `users.info` is asked once, see [`Self::name_of`]).
    async fn learn_zone(&self, id: &str, zone: String) {
        let desk = self.desk().clone();
        let person = id.to_string();
        let learnt =
            tokio::task::spawn_blocking(move || desk.learn_zone(Platform::Slack, &person, &zone))
                .await;
        if !matches!(learnt, Ok(Ok(()))) {
            tracing::warn!("could not keep a person's time zone");
        }
    }

    /// Keeps `name` as `id`'s name (when given); the name known for `id`, or the id.
    fn learn_name(&self, id: &str, name: Option<&str>) -> String {
        let mut names = self.inner.names.lock().expect("names lock");
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            if names.get(id).map(String::as_str) != Some(name) {
                remember(&mut names, id, name.to_string(), NAMES_KEPT);
            }
            return name.to_string();
        }
        names.get(id).cloned().unwrap_or_else(|| id.to_string())
    }
}

/// How many boards' last shown text the adapter keeps (to skip an edit that changes
/// nothing); a board not among them is edited once more, which is harmless.
const BOARDS_KEPT: usize = 1024;

/// How many people's display names the adapter keeps; one not among them is shown by id
/// until their next command or click says their name again.
const NAMES_KEPT: usize = 10_000;

/// Keeps `value` under `key` in a cache of at most `kept` entries: when full, another entry
/// (whichever the map yields first) makes room, so a long run's caches stay bounded.
fn remember(map: &mut HashMap<String, String>, key: &str, value: String, kept: usize) {
    if !map.contains_key(key) && map.len() >= kept {
        if let Some(other) = map.keys().next().cloned() {
            map.remove(&other);
        }
    }
    map.insert(key.to_string(), value);
}

/// The idempotency key of a click: Slack's own identity of that one click (its
/// `trigger_id`, fresh for every interaction, else the action's `action_ts`), so a delivery
/// repeated by Slack is one click while a person clicking the same button again later (approve,
/// request changes, approve again) is another. Only a payload with neither falls back to the
/// button and person.
fn click_key(
    team: &str,
    trigger_id: &str,
    clicked: &inbound::ActionPayload,
    channel: &str,
    message_ts: &str,
    user: &str,
) -> EventKey {
    let key = |id: String| EventKey::new(Platform::Slack, team, EventKind::Click, id);
    if !trigger_id.is_empty() {
        return key(trigger_id.to_string());
    }
    let action = &clicked.action_id;
    match clicked.action_ts.as_deref().filter(|t| !t.is_empty()) {
        Some(at) => key(format!("{channel}:{message_ts}:{action}:{user}:{at}")),
        None => key(format!("{channel}:{message_ts}:{action}:{user}")),
    }
}

/// Whether a command names a subcommand that takes long text (from a form).
fn takes_long_text(request: &Request) -> bool {
    let Input::Text { text, .. } = &request.input else {
        return false;
    };
    let catalogue = crate::catalogue::catalogue();
    crate::command::parse::parse(catalogue, text)
        .ok()
        .and_then(|inv| catalogue.subcommand(&inv.subcommand))
        .is_some_and(|sub| sub.long_text.is_some())
}

/// Characters a source modal takes (longer sources come as files).
const SOURCE_MODAL_CHARS: usize = 5 * blocks::INPUT_CHARS;

fn channel_key(team: &str, channel: &str) -> ChannelKey {
    ChannelKey {
        platform: Platform::Slack,
        team: team.to_string(),
        channel: channel.to_string(),
    }
}

/// Slack as delivery posts an article through it: the Web API client, and the id of the
/// channel Slack answered with (the publish channel may be given by name; deleting a
/// message needs its id).
struct SlackOutlet {
    /// The Web API client.
    api: WebApi,
    /// The publish channel's id, once Slack has named it.
    channel_id: Mutex<Option<String>>,
}

impl SlackOutlet {
    fn new(api: WebApi) -> Self {
        SlackOutlet {
            api,
            channel_id: Mutex::new(None),
        }
    }
}

impl Outlet for SlackOutlet {
    type Message = SlackMessage;
    type Error = ApiError;

    /// Slack's refusals (an error code, a file too large, no token) surely did nothing, and
    /// `message_not_found` says the message is gone; anything else (no answer, a 5xx, a 429
    /// waited out too long, a message Slack did not confirm) may be passing or may have
    /// acted.
    fn failure(error: &ApiError) -> Delivery {
        match error {
            ApiError::Slack { .. } if error.code() == Some("message_not_found") => Delivery::Gone,
            ApiError::Slack { .. } | ApiError::TooLarge { .. } | ApiError::MissingToken(_) => {
                Delivery::Refused
            }
            _ => Delivery::NotConfirmed,
        }
    }

    fn reason(error: &ApiError, channel: &str) -> String {
        messages::api_error(error, Some(channel))
    }

    fn post(
        &self,
        channel: &str,
        message: &SlackMessage,
        tag: Option<&PartTag>,
    ) -> impl std::future::Future<Output = Result<String, ApiError>> + Send {
        let metadata = tag.map(|t| chunk_metadata(t.story, t.publication, t.index));
        async move {
            let (id, ts) = self
                .api
                .post_message_in(
                    channel,
                    &message.text,
                    &message.blocks,
                    None,
                    metadata.as_ref(),
                )
                .await?;
            if let Some(id) = id {
                *self.channel_id.lock().unwrap_or_else(|e| e.into_inner()) = Some(id);
            }
            Ok(ts)
        }
    }

    /// A thread on Slack hangs from a message: the starter's `ts` is the thread's.
    async fn start_thread(
        &self,
        channel: &str,
        starter: &SlackMessage,
        _name: &str,
    ) -> Result<String, ApiError> {
        self.api
            .post_message(channel, &starter.text, &starter.blocks, None)
            .await
    }

    async fn edit(&self, channel: &str, ts: &str, message: &SlackMessage) -> Result<(), ApiError> {
        self.api
            .update_message(channel, ts, &message.text, &message.blocks)
            .await
    }

    fn delete(
        &self,
        channel: &str,
        id: &str,
    ) -> impl std::future::Future<Output = Result<(), ApiError>> + Send {
        let known = self
            .channel_id
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        async move {
            let target = known.as_deref().unwrap_or(channel);
            self.api.delete_message(target, id).await
        }
    }

    async fn find_parts(
        &self,
        channel: &str,
        story: StoryId,
        publication: Timestamp,
    ) -> Result<HashMap<usize, String>, ApiError> {
        let oldest = publication.0 / 1000 - LOOKUP_MARGIN_SECS;
        let messages = self
            .api
            .find_messages(channel, oldest, CHUNK_EVENT, LOOKUP_MAX_MESSAGES)
            .await?;
        let mut found = HashMap::new();
        for (ts, payload) in messages {
            if let Some(part) = chunk_of(&payload, story, publication) {
                found.entry(part).or_insert(ts);
            }
        }
        Ok(found)
    }
}

/// The metadata event type of an article's messages.
const CHUNK_EVENT: &str = "storydesk_chunk";
/// How far before a publication's start its messages are looked for (clocks differ).
const LOOKUP_MARGIN_SECS: i64 = 300;
/// The most messages of a publish channel read when looking for an unconfirmed part.
const LOOKUP_MAX_MESSAGES: usize = 2000;

/// The metadata of part `index` of a story's article: the story, the publication (its
/// start, in Unix milliseconds) and the part.
fn chunk_metadata(story: StoryId, publication: Timestamp, index: usize) -> api::MessageMetadata {
    api::MessageMetadata {
        event_type: CHUNK_EVENT.to_string(),
        payload: json!({ "story": story.0, "publication": publication.0, "chunk": index }),
    }
}

/// The part a message's metadata payload names, if it is a part of this publication.
fn chunk_of(payload: &Value, story: StoryId, publication: Timestamp) -> Option<usize> {
    (payload["story"].as_u64() == Some(story.0)
        && payload["publication"].as_i64() == Some(publication.0))
    .then(|| payload["chunk"].as_u64())
    .flatten()
    .map(|c| c as usize)
}

fn store_failure() -> ApiError {
    ApiError::Transport {
        method: "store".into(),
        reason: "the store could not be read".into(),
    }
}

/// The channel an article goes to: an id from a channel link, or the name or id as given.
fn publish_channel(given: &str) -> String {
    let given = given.trim();
    if let Some(inner) = given.strip_prefix("<#").and_then(|r| r.strip_suffix('>')) {
        return inner.split('|').next().unwrap_or(inner).to_string();
    }
    given.trim_start_matches('#').to_string()
}

/// Whether Slack's `error` on a direct message means it will never reach that person
/// (rather than a passing failure): they are a bot, gone, or out of the app's reach.
fn dm_refused(error: &str) -> bool {
    matches!(
        error,
        "cannot_dm_bot"
            | "user_not_found"
            | "user_disabled"
            | "not_allowed_token_type"
            | "channel_not_found"
            | "is_archived"
            | "messages_tab_disabled"
            | "restricted_action"
            | "user_not_visible"
            | "not_authed_for_im"
            | "missing_scope"
    )
}

/// A desk body as Slack messages.
fn render(body: &Body) -> Vec<SlackMessage> {
    let mut out = match body {
        Body::Text(t) | Body::Problem(t) => blocks::text_messages(t),
        Body::Board(t) => vec![blocks::board_message(t)],
        Body::Review { text, actions } => blocks::review_messages(text, actions),
        Body::Suggestion { text, actions, .. } => blocks::draft_messages(text, actions),
        Body::Article(article) => blocks::article_messages(article),
    };
    if out.is_empty() {
        out.push(SlackMessage {
            text: String::new(),
            blocks: Vec::new(),
        });
    }
    out
}

fn ephemeral_ack(markdown: &str) -> Ack {
    let message = blocks::text_messages(markdown).swap_remove(0);
    Ack::Json(message.ephemeral_json())
}

fn encode_meta(meta: &FormMeta) -> String {
    serde_json::to_string(meta).expect("plain data")
}

/// A desk sentence as plain text for a modal's error line (no Markdown there).
fn plain_sentence(markdown: &str) -> String {
    markdown.replace("**", "").replace("~~", "")
}

/// The longest change-request note, from the catalogue.
fn note_max_chars() -> usize {
    crate::catalogue::catalogue()
        .subcommand("changes")
        .and_then(|s| s.option("note"))
        .and_then(|o| o.max_length)
        .unwrap_or(1000) as usize
}

/// Whether a shared file is text storydesk can read.
fn is_text_file(mimetype: &str, filetype: &str) -> bool {
    let mime = mimetype.to_ascii_lowercase();
    mime.starts_with("text/")
        || matches!(mime.as_str(), "application/json" | "application/xml")
        || matches!(
            filetype.to_ascii_lowercase().as_str(),
            "text" | "markdown" | "csv" | "tsv" | "json" | "xml" | "yaml" | "html"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_channels_are_read_from_links_names_and_ids() {
        assert_eq!(publish_channel("<#C0123ABCD|published>"), "C0123ABCD");
        assert_eq!(publish_channel("<#C0123ABCD>"), "C0123ABCD");
        assert_eq!(publish_channel("#published"), "published");
        assert_eq!(publish_channel("C0123ABCD"), "C0123ABCD");
    }

    #[test]
    fn a_click_is_known_by_slacks_identity_of_that_click() {
        let clicked = |ts: Option<&str>| inbound::ActionPayload {
            action_id: "storydesk_approve".into(),
            value: None,
            action_ts: ts.map(str::to_string),
        };
        let key = |trigger: &str, ts: Option<&str>| {
            click_key("T1", trigger, &clicked(ts), "C1", "17.1", "U1")
        };
        // The same button, the same person, two clicks: two keys.
        assert_ne!(key("1.2.a", Some("17.5")), key("1.2.b", Some("17.5")));
        assert_ne!(key("", Some("17.5")), key("", Some("17.6")));
        // A delivery repeated by Slack carries the same trigger: one key.
        assert_eq!(key("1.2.a", Some("17.5")), key("1.2.a", Some("17.5")));
        assert_eq!(key("1.2.a", None).claim(), "slack:T1:click:1.2.a");
    }

    #[test]
    fn text_files_are_recognised() {
        assert!(is_text_file("text/plain", "text"));
        assert!(is_text_file("application/octet-stream", "markdown"));
        assert!(!is_text_file("application/pdf", "pdf"));
        assert!(!is_text_file("image/png", "png"));
    }
}
