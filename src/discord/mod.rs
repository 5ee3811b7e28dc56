//! storydesk on Discord.
//!
//! Discord delivers interactions two ways, and both end in [`Discord::interaction`]:
//!
//! - over the gateway ([`gateway`]): serenity's client receives `INTERACTION_CREATE` and its
//!   event handler hands the interaction over unchanged; the answer goes back over REST;
//! - over HTTP ([`http`]): `POST /discord/interactions`, whose Ed25519 signature is checked
//!   ([`verify`]) before the body is parsed; the answer is the HTTP response.
//!
//! [`routing`] turns an interaction into a [`routing::Route`] (a desk request, a form to
//! open, a notice), the desk decides, and the reply's posts are delivered here: the answer to
//! the interaction, followups, the board edited in place, a thread per section created from
//! the section's message, the article posted in the publishing channel. [`render`] builds the
//! messages (every one with empty `allowed_mentions`), [`commands`] the registration JSON,
//! [`messages`] holds the adapter's own sentences.
//!
//! What the adapter keeps, as anchors through [`crate::deliver::Anchors`] (it never reaches
//! the store itself; the keys are built by [`crate::deliver::Anchor::key`]):
//! `discord:board:{story}` (the board's
//! `channel:message`), `discord:draft:{story}:{number}:{section}` (an assisted draft's
//! `channel:first:last` messages, edited in place), `discord:thread:{story}:{thread}` (the
//! thread's id),
//! `discord:parent:{thread}` (the channel a thread of ours belongs to) and
//! `discord:intent-notice:{thread}` (the Message Content notice was posted there).
//!
//! Timing: the desk answers from the local store in milliseconds, so most interactions are
//! answered at once with the reply's first message. When the desk has not answered within
//! [`ANSWER_WITHIN`], when a file must be downloaded first, or when an article is to be
//! posted, the interaction is deferred and finished with followups, well within the
//! token's 15 minutes.
//!
//! Drafting help: after the reply to `/story draft` is delivered, the adapter writes each
//! draft the desk asked for ([`crate::drafting::run_job`]), editing the draft's message in its
//! section's thread as the text arrives (at most about once a second) and when it is done;
//! Accept and Discard are buttons, Edit opens the write form prefilled with the draft.

pub mod commands;
pub mod gateway;
pub mod http;
pub mod messages;
pub mod render;
pub mod rest;
pub mod routing;
pub mod verify;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serenity::all::{
    ChannelId, ChannelType, CreateActionRow, CreateAttachment, CreateInteractionResponse,
    CreateThread, GuildId, Interaction, InteractionId, Message, MessageId, UserId,
};
use serenity::http::{Http, HttpBuilder};
use tracing::Instrument;

use crate::assist::{Assistant, Failure};
use crate::deliver::{
    Anchor, Anchors, Busy, Failure as Delivery, Outlet, PartTag, Posted, ShowError, Ticket,
};
use crate::desk::messages::busy_delivering;
use crate::desk::{
    Body, Desk, Destination, DraftJob, EventKey, EventKind, Input, Post, Reply, Request, ThreadKind,
};
use crate::inflight::InFlight;
use crate::model::{ChannelKey, Place, Platform, StoryId, Timestamp};
use crate::supervise::Started;

use routing::Route;

/// How long an interaction waits for the desk before it is deferred. Discord allows 3 s
/// for the first answer; the rest is margin for the network.
pub const ANSWER_WITHIN: Duration = Duration::from_millis(2000);

/// How long an interaction whose reply will be delivered waits for room in a full delivery
/// backlog (`deliver::queue`) before it is answered with a sentence and not carried out.
pub const ADMIT_PATIENCE: Duration = Duration::from_millis(1000);

/// How long a file download may take.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(60);

/// Whether Discord's refusal of a direct message is final for that person: they take no
/// direct messages from the bot, or are unknown.
fn dm_refused(e: &PostError) -> bool {
    matches!(
        e.code(),
        Some(code::CANNOT_DM | code::UNKNOWN_USER | code::MISSING_ACCESS)
    ) || matches!(e, PostError::Refused { status: 403, .. })
}

/// Discord's JSON error codes storydesk acts on.
mod code {
    /// Unknown channel (a deleted thread).
    pub const UNKNOWN_CHANNEL: isize = 10003;
    /// Unknown message (a deleted board).
    pub const UNKNOWN_MESSAGE: isize = 10008;
    /// Missing access.
    pub const MISSING_ACCESS: isize = 50001;
    /// Missing permissions.
    pub const MISSING_PERMISSIONS: isize = 50013;
    /// The thread is archived (and locked).
    pub const THREAD_ARCHIVED: isize = 50083;
    /// Cannot send messages to this user (they refuse direct messages from the server's
    /// members, or share no server with the bot).
    pub const CANNOT_DM: isize = 50007;
    /// Unknown user.
    pub const UNKNOWN_USER: isize = 10013;
}

/// Work that finishes an interaction after its first answer: followups, posts, edits.
pub type Pending = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// `handled`, with the delivery's admission to the backlog held until what follows the
/// answer is done (given back at once when nothing follows).
fn admitted(ticket: Option<Ticket>, mut handled: Handled) -> Handled {
    let Some(ticket) = ticket else {
        return handled;
    };
    if let Some(then) = handled.then.take() {
        handled.then = Some(Box::pin(async move {
            then.await;
            drop(ticket);
        }));
    }
    handled
}

/// What to do with an interaction: the first answer, and what follows it.
pub struct Handled {
    /// The answer to send within 3 seconds (the HTTP response body, or the callback over
    /// REST on the gateway).
    pub response: CreateInteractionResponse,
    /// Run after the answer has been given.
    pub then: Option<Pending>,
}

/// The REST client for `token`. With `api_url` other than `https://discord.com`, REST goes
/// to that proxy, which rate-limits for us, and serenity's own ratelimiter is off (it would
/// ignore the proxy); otherwise serenity's ratelimiter is on, and its waits are counted. `client` replaces the
/// HTTP client (tests give one that trusts a local certificate).
pub fn build_http(
    token: &str,
    application_id: Option<u64>,
    api_url: Option<&str>,
    client: Option<reqwest::Client>,
) -> Http {
    let mut builder = HttpBuilder::new(token);
    if let Some(id) = application_id {
        builder = builder.application_id(id.into());
    }
    if let Some(url) = api_url
        .map(|u| u.trim_end_matches('/'))
        .filter(|u| *u != DEFAULT_API_URL)
    {
        builder = builder.proxy(url).ratelimiter_disabled(true);
    }
    if let Some(client) = client {
        builder = builder.client(client);
    }
    let mut http = builder
        .default_allowed_mentions(render::no_mentions())
        .build();
    if let Some(ratelimiter) = http.ratelimiter.as_mut() {
        ratelimiter.set_ratelimit_callback(Box::new(count_rate_limit));
    }
    http
}

/// Counts a wait serenity's ratelimiter imposed.
pub fn count_rate_limit(info: serenity::http::RatelimitInfo) {
    crate::telemetry::rate_limited(
        "discord",
        &rest::route_template(&format!("{:?}", info.method), &info.path),
    );
}

/// What Discord said, without the request's URL (which may hold an interaction token).
pub fn error_text(e: &serenity::Error) -> String {
    match e {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r)) => format!(
            "status {}, code {}: {}",
            r.status_code.as_u16(),
            r.error.code,
            r.error.message
        ),
        serenity::Error::Http(serenity::http::HttpError::Request(e)) => {
            crate::redact::http_error(e)
        }
        serenity::Error::Http(_) => "the request to Discord failed".to_string(),
        other => other.to_string(),
    }
}

/// Discord's API base, the default of `STORYDESK_DISCORD_API_URL`.
pub const DEFAULT_API_URL: &str = "https://discord.com";

/// The channel a thread storydesk created belongs to.
pub(crate) fn thread_parent(desk: &Desk, thread: u64) -> Option<String> {
    Anchors::of(desk)
        .get(&Anchor::ThreadParent {
            platform: Platform::Discord,
            thread: thread.to_string(),
        })
        .ok()
        .flatten()
}

/// Where the person who asked is reached.
#[derive(Debug, Clone)]
enum Reach {
    /// Through the interaction's token (ephemeral answers and followups).
    Interaction {
        /// The interaction's token, valid 15 minutes.
        token: String,
        /// Whether the first answer was a deferral still to be filled.
        deferred: bool,
    },
    /// In the thread a message was posted in (no private channel to the author).
    Thread(ChannelId),
}

impl Reach {
    /// The person has been answered: a deferral, if any, was filled, so what follows
    /// comes as followups instead of replacing that answer.
    fn answered(&mut self) {
        if let Reach::Interaction { deferred, .. } = self {
            *deferred = false;
        }
    }
}

/// A failure to post, classified for the sentence to show.
#[derive(Debug)]
pub(crate) enum PostError {
    /// Discord refused with this status and JSON code.
    Refused {
        /// The HTTP status.
        status: u16,
        /// Discord's JSON error code.
        code: isize,
    },
    /// Anything else (network, serialisation, the store).
    Other(String),
}

impl PostError {
    fn code(&self) -> Option<isize> {
        match self {
            PostError::Refused { code, .. } => Some(*code),
            PostError::Other(_) => None,
        }
    }

    fn forbidden(&self) -> bool {
        matches!(self, PostError::Refused { status: 403, .. })
            || matches!(
                self.code(),
                Some(code::MISSING_ACCESS | code::MISSING_PERMISSIONS)
            )
    }
}

impl From<serenity::Error> for PostError {
    fn from(e: serenity::Error) -> Self {
        use serenity::http::HttpError;
        match e {
            serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => PostError::Refused {
                status: r.status_code.as_u16(),
                code: r.error.code,
            },
            // Other errors may quote a webhook URL, which holds an interaction token: keep
            // only the kind of error.
            serenity::Error::Http(HttpError::Request(e)) => {
                PostError::Other(crate::redact::http_error(&e))
            }
            serenity::Error::Http(_) => PostError::Other("HTTP request failed".into()),
            other => PostError::Other(format!("{other}")),
        }
    }
}

impl std::fmt::Display for PostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PostError::Refused { status, code } => {
                write!(f, "Discord refused: status {status}, code {code}")
            }
            PostError::Other(why) => f.write_str(why),
        }
    }
}

/// The Discord adapter: the desk, a REST client, and the bookkeeping of posts.
pub struct Discord {
    /// The desk every request goes to.
    desk: Desk,
    /// serenity's REST client (rate-limited, or through the proxy), with every call counted.
    rest: rest::Rest,
    /// The client that downloads attachments from Discord's CDN.
    downloads: reqwest::Client,
    /// One send queue per channel, on which articles are posted in order.
    queues: crate::deliver::Outbox,
    /// One lock per story, so its board and threads are created once and edited in order.
    story_locks: std::sync::Mutex<HashMap<StoryId, Arc<tokio::sync::Mutex<()>>>>,
    /// Whether the gateway receives message content (the privileged intent is granted).
    message_content: AtomicBool,
    /// Work in flight (deliveries after a first answer, messages being added), so a
    /// shutdown can let it finish.
    in_flight: InFlight,
    /// Serialises the Message Content notices, so each thread gets one.
    notices: tokio::sync::Mutex<()>,
    /// The drafter `[assist]` asks for, or why it may not be used.
    assistant: Result<Assistant, Failure>,
    /// Gateway messages handled to the end (whatever came of them).
    messages_handled: AtomicU64,
}

impl Discord {
    /// An adapter over `desk` posting with `http` (whose application id must be set).
    pub fn new(desk: Desk, http: Arc<Http>) -> Arc<Self> {
        let assistant = Assistant::from_config(&desk.config().assist);
        Self::with_assistant(desk, http, assistant)
    }

    /// An adapter whose drafts are written by `assistant` (or refused with its failure).
    pub fn with_assistant(
        desk: Desk,
        http: Arc<Http>,
        assistant: Result<Assistant, Failure>,
    ) -> Arc<Self> {
        let queues = crate::deliver::Outbox::reporting_to(&desk, "discord");
        Arc::new(Discord {
            assistant,
            messages_handled: AtomicU64::new(0),
            desk,
            rest: rest::Rest::new(http),
            downloads: reqwest::Client::builder()
                .timeout(DOWNLOAD_TIMEOUT)
                .build()
                .unwrap_or_default(),
            queues,
            story_locks: std::sync::Mutex::new(HashMap::new()),
            message_content: AtomicBool::new(false),
            in_flight: InFlight::new(),
            notices: tokio::sync::Mutex::new(()),
        })
    }

    /// Wait until no work started by an interaction or message is still running: every
    /// followup, post and edit is done. `serve` waits for it before stopping.
    pub async fn idle(&self) {
        self.in_flight.idle().await
    }

    /// Count work that [`Discord::idle`] waits for until the guard is dropped (the
    /// gateway holds one while it answers an interaction over REST).
    pub fn busy(&self) -> crate::inflight::Guard {
        self.in_flight.guard()
    }

    /// The desk.
    pub fn desk(&self) -> &Desk {
        &self.desk
    }

    /// The REST client.
    pub fn http(&self) -> &Arc<Http> {
        self.rest.http()
    }

    /// Record whether the gateway delivers message content.
    pub fn set_message_content(&self, granted: bool) {
        self.message_content.store(granted, Ordering::Relaxed);
    }

    fn story_lock(&self, story: StoryId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.story_locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.entry(story).or_default().clone()
    }

    /// Decide what to do with one interaction: the first answer and the work after it.
    pub async fn interaction(self: &Arc<Self>, interaction: Interaction) -> Handled {
        let span = tracing::info_span!(
            "discord",
            interaction = %interaction.id(),
            kind = ?interaction.kind(),
            guild = tracing::field::Empty,
            channel = tracing::field::Empty,
            user = tracing::field::Empty,
        );
        let token = interaction.token().to_string();
        let is_component = matches!(interaction, Interaction::Component(_));
        let route = routing::route(&self.desk, interaction, Timestamp::now());
        if let Route::Desk { request, .. } | Route::WriteForm { request } = &route {
            span.record("guild", request.place.channel.team.as_str());
            span.record("channel", request.place.channel.channel.as_str());
            span.record("user", request.actor.id.as_str());
        }
        let guard = self.in_flight.guard();
        let mut handled = self
            .clone()
            .decide(route, token, is_component)
            .instrument(span)
            .await;
        handled.then = handled.then.map(|then| -> Pending {
            Box::pin(async move {
                then.await;
                drop(guard);
            })
        });
        handled
    }

    async fn decide(self: Arc<Self>, route: Route, token: String, is_component: bool) -> Handled {
        let now = |response| Handled {
            response,
            then: None,
        };
        match route {
            Route::Pong => now(CreateInteractionResponse::Pong),
            Route::Notice(text) => now(render::respond(&text, true)),
            Route::SourceForm { label } => now(render::source_form(label.as_deref())),
            Route::NoteForm(action) => now(render::note_form(&action)),
            Route::DraftForm(draft) => {
                let desk = self.desk.clone();
                let wanted = draft.clone();
                let found = tokio::task::spawn_blocking(move || {
                    desk.draft_text(wanted.story, &wanted.section, wanted.number)
                })
                .await;
                match found {
                    Ok(Ok(Some(text))) => match render::draft_form(&draft, &text) {
                        Some(form) => now(form),
                        None => now(render::respond(
                            &messages::draft_too_long_for_form(
                                &draft.section,
                                text.chars().count(),
                                render::MAX_FORM_CHARS,
                            ),
                            true,
                        )),
                    },
                    Ok(Ok(None)) => now(render::respond(
                        &messages::draft_gone(&draft.section, draft.number),
                        true,
                    )),
                    Ok(Err(e)) => {
                        tracing::error!(error = %e, "reading a draft failed");
                        now(render::respond(
                            &crate::desk::messages::internal_error("draft"),
                            true,
                        ))
                    }
                    Err(e) => {
                        crate::supervise::report(&self.desk, "desk", &e);
                        now(render::respond(
                            &crate::desk::messages::internal_error("draft"),
                            true,
                        ))
                    }
                }
            }
            Route::WriteForm { request } => {
                let desk = self.desk.clone();
                let found = tokio::task::spawn_blocking(move || desk.section_text(&request)).await;
                match found {
                    Ok(Ok(current)) => {
                        match render::write_form(
                            current.story,
                            &current.section,
                            current.revision,
                            current.text.as_deref(),
                        ) {
                            Some(form) => now(form),
                            None => Handled {
                                response: render::defer(true),
                                then: Some(Box::pin(async move {
                                    self.send_section_file(&token, current).await
                                })),
                            },
                        }
                    }
                    Ok(Err(problem)) => now(render::respond(&problem, true)),
                    Err(e) => {
                        crate::supervise::report(&self.desk, "desk", &e);
                        now(render::respond(
                            &crate::desk::messages::internal_error("section"),
                            true,
                        ))
                    }
                }
            }
            Route::Desk {
                mut request,
                file: Some(file),
            } => {
                let admission = self
                    .queues
                    .admit(&request.place.channel.channel, ADMIT_PATIENCE)
                    .await;
                let Ok(ticket) = admission else {
                    return now(render::respond(&busy_delivering(), true));
                };
                let handled = Handled {
                    response: render::defer(true),
                    then: Some(Box::pin(
                        async move {
                            let reach = Reach::Interaction {
                                token,
                                deferred: true,
                            };
                            match self.download(&file).await {
                                Ok(text) => {
                                    if let Input::Options { body, .. } = &mut request.input {
                                        *body = Some(text);
                                    }
                                    let place = request.place.clone();
                                    let reply = self.run_desk(request).await;
                                    self.deliver(reach, &place, reply).await;
                                }
                                Err(problem) => {
                                    self.private(&reach, &problem).await;
                                }
                            }
                        }
                        .in_current_span(),
                    )),
                };
                admitted(Some(ticket), handled)
            }
            Route::Desk {
                request,
                file: None,
            } => {
                let place = request.place.clone();
                let prepared = self.desk.prepare(request);
                let ticket = if prepared.answers_in_place() {
                    None
                } else {
                    match self
                        .queues
                        .admit(&place.channel.channel, ADMIT_PATIENCE)
                        .await
                    {
                        Ok(ticket) => Some(ticket),
                        Err(Busy) => return now(render::respond(&busy_delivering(), true)),
                    }
                };
                let mut job = match crate::supervise::start(&self.desk, prepared) {
                    Started::Answered(Some(reply)) => {
                        return self.answer(token, place, reply, is_component)
                    }
                    Started::Answered(None) => {
                        return now(render::respond(
                            &crate::desk::messages::internal_error("desk"),
                            true,
                        ))
                    }
                    Started::Running(job) => job,
                };
                let handled = match tokio::time::timeout(ANSWER_WITHIN, &mut job).await {
                    Ok(Ok(reply)) => self.answer(token, place, reply, is_component),
                    Ok(Err(e)) => {
                        crate::supervise::report(&self.desk, "desk", &e);
                        now(render::respond(
                            &crate::desk::messages::internal_error("desk"),
                            true,
                        ))
                    }
                    Err(_) => Handled {
                        response: render::defer(true),
                        then: Some(Box::pin(
                            async move {
                                let reach = Reach::Interaction {
                                    token,
                                    deferred: true,
                                };
                                match job.await {
                                    Ok(reply) => self.deliver(reach, &place, reply).await,
                                    Err(e) => crate::supervise::report(&self.desk, "desk", &e),
                                }
                            }
                            .in_current_span(),
                        )),
                    },
                };
                admitted(ticket, handled)
            }
        }
    }

    /// The first answer for a reply the desk has given, and the delivery of the rest.
    fn answer(
        self: Arc<Self>,
        token: String,
        place: Place,
        mut reply: Reply,
        is_component: bool,
    ) -> Handled {
        if reply.is_duplicate() {
            tracing::info!("interaction delivered again: nothing more to do");
            return Handled {
                response: if is_component {
                    CreateInteractionResponse::Acknowledge
                } else {
                    render::respond(&messages::done(), true)
                },
                then: None,
            };
        }
        let publishes = reply.posts.iter().any(|p| {
            matches!(
                p.to,
                Destination::Publish { .. } | Destination::Correct { .. }
            )
        });
        let first = reply
            .posts
            .iter()
            .position(|p| matches!(p.to, Destination::Requester | Destination::Channel));
        let (response, deferred) = match first {
            _ if publishes => (render::defer(true), true),
            Some(i) => {
                let post = &mut reply.posts[i];
                let ephemeral = post.to == Destination::Requester;
                let mut texts = render::texts(&post.body);
                let head = texts.remove(0);
                // The rest of a long answer follows as followups of the same kind; buttons
                // (a kept conflict's Resolve) go under its last message.
                let actions = match &post.body {
                    Body::Review { actions, .. } => actions.clone(),
                    _ => Vec::new(),
                };
                let rest = texts.join("\n\n");
                let buttons = if texts.is_empty() {
                    reply.posts.remove(i);
                    render::buttons(&actions)
                } else {
                    post.body = match actions.is_empty() {
                        true => Body::Text(rest),
                        false => Body::Review {
                            text: rest,
                            actions,
                        },
                    };
                    Vec::new()
                };
                (render::respond_with(&head, ephemeral, buttons), false)
            }
            None if is_component => (CreateInteractionResponse::Acknowledge, false),
            None => (render::respond(&messages::done(), true), false),
        };
        if !deferred && reply.posts.is_empty() && reply.drafts.is_empty() {
            // The answer was all of it (a read): no work after it, no task to start.
            return Handled {
                response,
                then: None,
            };
        }
        let then: Pending = Box::pin(
            async move {
                self.deliver(Reach::Interaction { token, deferred }, &place, reply)
                    .await
            }
            .in_current_span(),
        );
        Handled {
            response,
            then: Some(then),
        }
    }

    async fn run_desk(&self, request: Request) -> Reply {
        let prepared = self.desk.prepare(request);
        crate::supervise::desk(&self.desk, prepared)
            .await
            .unwrap_or_default()
    }

    /// Carry out a reply's posts in order.
    async fn deliver(&self, mut reach: Reach, place: &Place, reply: Reply) {
        let Reply {
            posts,
            story,
            drafts,
            ..
        } = reply;
        let mut posts = posts.into_iter();
        while let Some(post) = posts.next() {
            match post.to {
                Destination::Requester => {
                    let texts = render::texts(&post.body);
                    let last = texts.len().saturating_sub(1);
                    for (i, text) in texts.into_iter().enumerate() {
                        let buttons = match &post.body {
                            Body::Review { actions, .. } if i == last => render::buttons(actions),
                            _ => Vec::new(),
                        };
                        self.private_with(&reach, &text, buttons).await;
                        reach.answered();
                    }
                }
                Destination::Channel => {
                    for text in render::texts(&post.body) {
                        self.public(&reach, place, &text).await;
                    }
                }
                Destination::Direct { person } => self.direct(&person, &post.body).await,
                Destination::Board { story } => {
                    if let Err(e) = self.update_board(story).await {
                        tracing::warn!(error = %e, story = story.0, "board not updated");
                        if e.forbidden() {
                            self.private(
                                &reach,
                                &messages::cannot_post_in_story_channel(
                                    place.channel.channel.parse().unwrap_or(0),
                                ),
                            )
                            .await;
                            reach.answered();
                        }
                    }
                }
                Destination::Thread { story, thread } => {
                    let posted = match &post.body {
                        Body::Suggestion { .. } => {
                            self.show_draft(story, &thread, &post.body).await
                        }
                        _ => self.post_in_thread(story, &thread, &post.body).await,
                    };
                    if let Err(e) = posted {
                        tracing::warn!(error = %e, story = story.0, thread = thread.name(), "thread post failed");
                        let text = if e.code() == Some(code::THREAD_ARCHIVED) {
                            messages::thread_unavailable(&thread)
                        } else {
                            messages::cannot_post_in_story_channel(
                                place.channel.channel.parse().unwrap_or(0),
                            )
                        };
                        self.private(&reach, &text).await;
                        reach.answered();
                    }
                }
                Destination::Correct { channel } => {
                    let (Body::Article(article), Some(story)) = (&post.body, story) else {
                        continue;
                    };
                    let target = match self.publish_channel(place, &channel).await {
                        Ok(target) => target,
                        Err(reason) => {
                            self.private(&reach, &reason).await;
                            reach.answered();
                            continue;
                        }
                    };
                    let corrected = crate::deliver::correct_article_in_turn(
                        &self.queues,
                        &self.desk,
                        self.outlet(target),
                        story,
                        target.get().to_string(),
                        render::article_texts(article),
                        messages::publish_not_confirmed(target.get()),
                    )
                    .await;
                    for told in corrected.reply.posts {
                        self.private(&reach, &told.body.text()).await;
                        reach.answered();
                    }
                }
                Destination::Publish { channel } => {
                    let (Body::Article(article), Some(story)) = (&post.body, story) else {
                        continue;
                    };
                    let target = match self.publish_channel(place, &channel).await {
                        Ok(target) => target,
                        Err(reason) => {
                            // Nothing of the article went up: undo the publication and tell
                            // the editor what to do, instead of the announcement.
                            let undo =
                                crate::deliver::publish::not_posted(&self.desk, story, reason)
                                    .await;
                            posts = undo.posts.into_iter();
                            continue;
                        }
                    };
                    let outlet = self.outlet(target);
                    let posted = crate::deliver::post_article_in_turn(
                        &self.queues,
                        &self.desk,
                        outlet,
                        story,
                        target.get().to_string(),
                        render::article_texts(article),
                        messages::publish_not_confirmed(target.get()),
                    )
                    .await;
                    match posted {
                        Posted::Complete { parts } => {
                            tracing::info!(channel = target.get(), parts, "article published");
                            self.private(&reach, &messages::published_here(target.get(), parts))
                                .await;
                            reach.answered();
                        }
                        Posted::Nothing => {}
                        // What is up and what to do, instead of the announcement.
                        Posted::Stopped(told) => posts = told.posts.into_iter(),
                    }
                }
            }
        }
        if let Reach::Interaction {
            token,
            deferred: true,
        } = &reach
        {
            let _ = self
                .rest
                .edit_original_interaction_response(
                    token,
                    &render::edit_original(&messages::done()),
                    vec![],
                )
                .await;
            reach.answered();
        }
        for job in drafts {
            self.write_draft(&reach, place, job).await;
        }
    }

    /// A direct message to `person`: their DM channel with the bot, created (or found) by
    /// `POST /users/@me/channels`, then the message, each sent once. When Discord refuses
    /// (they take no direct messages: 50007), the desk keeps the text to show them in the
    /// channel next time.
    async fn direct(&self, person: &crate::model::Person, body: &Body) {
        let sent =
            async {
                let user = person.id.parse::<u64>().ok().filter(|id| *id > 0).ok_or(
                    PostError::Refused {
                        status: 400,
                        code: code::UNKNOWN_USER,
                    },
                )?;
                let dm = self.rest.create_dm_channel(UserId::new(user)).await?;
                for text in render::texts(body) {
                    self.rest
                        .send_message(dm.id, vec![], &render::channel_message(&text, vec![]))
                        .await?;
                }
                Ok::<(), PostError>(())
            }
            .await;
        match sent {
            Ok(()) => {}
            Err(e) if dm_refused(&e) => {
                tracing::info!(error = %e, "Discord refused a direct message; the desk keeps it");
                let desk = self.desk.clone();
                let person = person.clone();
                let text = body.text();
                let kept = tokio::task::spawn_blocking(move || {
                    desk.undeliverable(Platform::Discord, &person, &text)
                })
                .await;
                if !matches!(kept, Ok(Ok(()))) {
                    tracing::warn!("could not keep a direct message Discord refused");
                }
            }
            Err(e) => tracing::warn!(error = %e, "direct message not delivered"),
        }
    }

    /// Delivers what a job of the desk's scheduler sends ([`crate::desk::Due`]): in the
    /// story's home channel, with no one to answer privately (notes about failures go to the
    /// channel), a scheduled publication exactly as `/story publish` posts it.
    pub async fn deliver_due(&self, due: crate::desk::Due) {
        let Ok(channel) = due.channel.channel.parse::<u64>() else {
            tracing::warn!("a scheduled post has no Discord channel");
            return;
        };
        let place = Place {
            channel: due.channel,
            thread: None,
        };
        let reach = Reach::Thread(ChannelId::new(channel.max(1)));
        self.deliver(reach, &place, due.reply).await;
    }

    /// Write a draft the desk asked for, showing it in its thread as it is written.
    async fn write_draft(&self, reach: &Reach, place: &Place, job: DraftJob) {
        match &self.assistant {
            Ok(assistant) => {
                crate::drafting::run_job(&self.desk, assistant, job, |post| {
                    self.deliver_draft_post(reach, place, post)
                })
                .await
            }
            Err(failure) => {
                let desk = self.desk.clone();
                let failure = failure.clone();
                let reply =
                    tokio::task::spawn_blocking(move || desk.finish_draft(&job, Err(failure)))
                        .await
                        .unwrap_or_default();
                for post in reply.posts {
                    self.deliver_draft_post(reach, place, post).await;
                }
            }
        }
    }

    /// One post about a draft: its message in the section's thread, posted or edited.
    async fn deliver_draft_post(&self, reach: &Reach, place: &Place, post: Post) {
        let Destination::Thread { story, thread } = &post.to else {
            return;
        };
        if let Err(e) = self.show_draft(*story, thread, &post.body).await {
            tracing::warn!(error = %e, story = story.0, thread = thread.name(), "draft not shown");
            let text = if e.code() == Some(code::THREAD_ARCHIVED) {
                messages::thread_unavailable(thread)
            } else {
                messages::cannot_post_in_story_channel(place.channel.channel.parse().unwrap_or(0))
            };
            self.private(reach, &text).await;
        }
    }

    /// Show an assisted draft in its section's thread: posted the first time, edited in
    /// place after that. Its first message carries the start of the text and is edited;
    /// a draft longer than one message continues in messages after it; the buttons sit
    /// under the last one, and go when the draft is accepted or discarded.
    async fn show_draft(
        &self,
        story: StoryId,
        kind: &ThreadKind,
        body: &Body,
    ) -> Result<(), PostError> {
        let Body::Suggestion { draft, actions, .. } = body else {
            return self.post_in_thread(story, kind, body).await;
        };
        let key = Anchor::Draft {
            channel: self.story(story)?.home,
            draft: draft.clone(),
        };
        let texts = render::texts(body);
        let buttons = |i: usize| {
            if i + 1 == texts.len() {
                render::buttons(actions)
            } else {
                Vec::new()
            }
        };
        if let Some((channel, first, last)) = self.anchor(&key).as_deref().and_then(parse_triple) {
            let edited = self
                .rest
                .edit_message(
                    channel,
                    MessageId::new(first),
                    &render::edit_with_buttons(&texts[0], buttons(0)),
                    vec![],
                )
                .await;
            match edited {
                Ok(_) => {
                    if last != first {
                        let _ = self
                            .rest
                            .edit_message(
                                channel,
                                MessageId::new(last),
                                &render::remove_buttons(),
                                vec![],
                            )
                            .await;
                    }
                    let mut new_last = first;
                    for (i, text) in texts.iter().enumerate().skip(1) {
                        let m = self
                            .rest
                            .send_message(
                                channel,
                                vec![],
                                &render::channel_message(text, buttons(i)),
                            )
                            .await?;
                        new_last = m.id.get();
                    }
                    if new_last != last {
                        self.set_anchor(key, format!("{}:{first}:{new_last}", channel.get()))
                            .await?;
                    }
                    return Ok(());
                }
                Err(e) => {
                    let e = PostError::from(e);
                    if e.code() != Some(code::UNKNOWN_MESSAGE) {
                        return Err(e);
                    }
                }
            }
        }
        let thread = self.thread(story, kind).await?;
        let mut ids = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let m = self
                .rest
                .send_message(thread, vec![], &render::channel_message(text, buttons(i)))
                .await?;
            ids.push(m.id.get());
        }
        if let (Some(first), Some(last)) = (ids.first(), ids.last()) {
            self.set_anchor(key, format!("{}:{first}:{last}", thread.get()))
                .await?;
        }
        Ok(())
    }

    /// A message only the person who asked sees.
    async fn private(&self, reach: &Reach, text: &str) {
        self.private_with(reach, text, Vec::new()).await;
    }

    /// A message only the person who asked sees, with buttons under it.
    async fn private_with(&self, reach: &Reach, text: &str, buttons: Vec<CreateActionRow>) {
        let result = match reach {
            Reach::Interaction {
                token,
                deferred: true,
            } => self
                .rest
                .edit_original_interaction_response(
                    token,
                    &render::edit_original_with(text, buttons),
                    vec![],
                )
                .await
                .map(drop),
            Reach::Interaction { token, .. } => self
                .rest
                .create_followup_message(token, &render::followup_with(text, true, buttons), vec![])
                .await
                .map(drop),
            Reach::Thread(thread) => self
                .rest
                .send_message(*thread, vec![], &render::channel_message(text, buttons))
                .await
                .map(drop),
        };
        if let Err(e) = result {
            tracing::warn!(error = %PostError::from(e), "private answer not delivered");
        }
    }

    /// A message in the channel the request came from.
    async fn public(&self, reach: &Reach, place: &Place, text: &str) {
        let result = match reach {
            Reach::Interaction { token, .. } => self
                .rest
                .create_followup_message(token, &render::followup(text, false), vec![])
                .await
                .map(drop),
            Reach::Thread(_) => match place.channel.channel.parse::<u64>() {
                Ok(id) => self
                    .rest
                    .send_message(
                        ChannelId::new(id.max(1)),
                        vec![],
                        &render::channel_message(text, vec![]),
                    )
                    .await
                    .map(drop),
                Err(_) => Ok(()),
            },
        };
        if let Err(e) = result {
            tracing::warn!(error = %PostError::from(e), "channel message not delivered");
        }
    }

    async fn set_anchor(&self, anchor: Anchor, value: String) -> Result<(), PostError> {
        let anchors = Anchors::of(&self.desk);
        tokio::task::spawn_blocking(move || {
            anchors
                .put(&anchor, &value)
                .map_err(|e| PostError::Other(e.to_string()))
        })
        .await
        .map_err(|e| PostError::Other(e.to_string()))?
    }

    /// Delivery's way to post in `channel`.
    fn outlet(&self, channel: ChannelId) -> DiscordOutlet {
        DiscordOutlet {
            rest: self.rest.clone(),
            target: channel,
            anchors: Anchors::of(&self.desk),
        }
    }

    fn anchor(&self, anchor: &Anchor) -> Option<String> {
        Anchors::of(&self.desk).get(anchor).ok().flatten()
    }

    fn story(&self, story: StoryId) -> Result<crate::model::Story, PostError> {
        self.desk
            .story(story)
            .map_err(|e| PostError::Other(e.to_string()))?
            .ok_or_else(|| PostError::Other(format!("story {story} missing")))
    }

    /// Post the story's board, or edit it in place, with its state as stored now (so two
    /// quick changes never leave the older board showing).
    async fn update_board(&self, story: StoryId) -> Result<(), PostError> {
        let lock = self.story_lock(story);
        let _held = lock.lock().await;
        let s = self.story(story)?;
        let text = messages::fit(&self.desk.board(&s), render::MAX_MESSAGE_CHARS);
        let channel = channel_id(&s.home.channel)?;
        let anchor = Anchor::Board {
            channel: s.home.clone(),
            story,
        };
        let outlet = self.outlet(channel);
        let shown = crate::deliver::show_anchored(
            &Anchors::of(&self.desk),
            &outlet,
            &anchor,
            &channel.get().to_string(),
            &text,
            None,
        )
        .await;
        match shown {
            Ok(_) => Ok(()),
            Err(ShowError::Platform(e)) => Err(e),
            Err(ShowError::Store(why)) => Err(PostError::Other(why)),
        }
    }

    /// The story's thread of this kind, created from a message in the story's channel the
    /// first time.
    async fn thread(&self, story: StoryId, kind: &ThreadKind) -> Result<ChannelId, PostError> {
        let s = self.story(story)?;
        let key = Anchor::Thread {
            channel: s.home.clone(),
            story,
            thread: kind.clone(),
        };
        if let Some(id) = self.anchor(&key).and_then(|v| v.parse::<u64>().ok()) {
            return Ok(ChannelId::new(id.max(1)));
        }
        let lock = self.story_lock(story);
        let _held = lock.lock().await;
        let channel = channel_id(&s.home.channel)?;
        let opened = crate::deliver::open_thread(
            &self.desk,
            &self.outlet(channel),
            &s.home,
            story,
            kind,
            &messages::thread_starter(story, s.headline(), kind),
            &messages::thread_name(story, s.headline(), kind),
        )
        .await;
        match opened {
            Ok(id) => id
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .map(ChannelId::new)
                .ok_or_else(|| PostError::Other(format!("not a Discord thread id: {id}"))),
            Err(ShowError::Platform(e)) => Err(e),
            Err(ShowError::Store(why)) => Err(PostError::Other(why)),
        }
    }

    /// Post a message (a revision with its buttons, a review, a source added) in a story's
    /// thread; a thread deleted since is made again.
    async fn post_in_thread(
        &self,
        story: StoryId,
        kind: &ThreadKind,
        body: &Body,
    ) -> Result<(), PostError> {
        let texts = render::texts(body);
        let actions = match body {
            Body::Review { actions, .. } => actions.clone(),
            _ => Vec::new(),
        };
        let mut retried = false;
        loop {
            let thread = self.thread(story, kind).await?;
            let mut result = Ok(());
            for (i, text) in texts.iter().enumerate() {
                let components = if i + 1 == texts.len() {
                    render::buttons(&actions)
                } else {
                    Vec::new()
                };
                if let Err(e) = self
                    .rest
                    .send_message(thread, vec![], &render::channel_message(text, components))
                    .await
                {
                    result = Err(PostError::from(e));
                    break;
                }
            }
            match result {
                Err(e)
                    if e.code() == Some(code::UNKNOWN_CHANNEL)
                        && !retried
                        && matches!(e, PostError::Refused { .. }) =>
                {
                    retried = true;
                    let s = self.story(story)?;
                    let key = Anchor::Thread {
                        channel: s.home,
                        story,
                        thread: kind.clone(),
                    };
                    let anchors = Anchors::of(&self.desk);
                    // Forget the deleted thread so the next round creates a new one.
                    let _ = tokio::task::spawn_blocking(move || anchors.forget(&key)).await;
                }
                other => return other,
            }
        }
    }

    /// The publishing channel: an id, or the name of a text channel of the server.
    async fn publish_channel(&self, place: &Place, channel: &str) -> Result<ChannelId, String> {
        let wanted = channel.trim().trim_start_matches('#');
        let wanted = wanted
            .strip_prefix("<#")
            .and_then(|c| c.strip_suffix('>'))
            .unwrap_or(wanted);
        if let Ok(id) = wanted.parse::<u64>() {
            if id > 0 {
                return Ok(ChannelId::new(id));
            }
        }
        let guild: u64 = place.channel.team.parse().unwrap_or(0);
        let channels = match self.rest.get_channels(GuildId::new(guild.max(1))).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %PostError::from(e), "listing channels failed");
                return Err(messages::publish_channel_missing(wanted));
            }
        };
        channels
            .iter()
            .find(|c| {
                c.name.eq_ignore_ascii_case(wanted)
                    && matches!(c.kind, ChannelType::Text | ChannelType::News)
            })
            .map(|c| c.id)
            .ok_or_else(|| messages::publish_channel_missing(wanted))
    }

    /// Download an attachment's text: size-limited, UTF-8 only.
    async fn download(&self, file: &serenity::all::Attachment) -> Result<String, String> {
        let limits = &self.desk.config().limits;
        // The largest text the desk takes; it checks its own limit for the command again.
        let limit = limits.source_bytes.max(limits.section_bytes);
        if u64::from(file.size) > limit {
            return Err(messages::file_too_large(
                &file.filename,
                file.size.into(),
                limit,
            ));
        }
        let unavailable = || messages::file_unavailable(&file.filename);
        let mut response = match self.downloads.get(&file.url).send().await {
            Ok(r) if r.status().is_success() => r,
            Ok(r) => {
                tracing::warn!(status = r.status().as_u16(), "attachment download refused");
                return Err(unavailable());
            }
            Err(e) => {
                tracing::warn!(error = %e.without_url(), "attachment download failed");
                return Err(unavailable());
            }
        };
        let mut bytes = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() as u64 > limit {
                        return Err(messages::file_too_large(
                            &file.filename,
                            bytes.len() as u64,
                            limit,
                        ));
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e.without_url(), "attachment download failed");
                    return Err(unavailable());
                }
            }
        }
        match String::from_utf8(bytes) {
            Ok(text) if !text.contains('\0') => Ok(text.trim_start_matches('\u{feff}').to_string()),
            _ => Err(messages::file_not_text(&file.filename)),
        }
    }

    /// Fill a deferred answer with a section's text as a file, for a section too long for
    /// a form.
    async fn send_section_file(&self, token: &str, current: crate::desk::SectionText) {
        let text = current.text.unwrap_or_default();
        let note = messages::section_too_long_for_form(
            &current.section,
            text.chars().count(),
            render::MAX_FORM_CHARS,
        );
        let file = CreateAttachment::bytes(text.into_bytes(), format!("{}.md", current.section));
        let edit = render::edit_original(&note);
        if let Err(e) = self
            .rest
            .edit_original_interaction_response(token, &edit, vec![file])
            .await
        {
            tracing::warn!(error = %PostError::from(e), "section file not delivered");
        }
    }

    /// How many gateway messages were handled to the end, ignored ones included: what a
    /// test waits for before it counts what they did.
    pub fn messages_handled(&self) -> u64 {
        self.messages_handled.load(Ordering::Relaxed)
    }

    /// A message posted in a channel (gateway only): in a story's source thread it becomes a
    /// source, with each text file attached to it.
    pub async fn message(self: &Arc<Self>, message: Message) {
        let _guard = self.in_flight.guard();
        /// Counts the message as handled however the handling ends.
        struct Handled<'a>(&'a AtomicU64);
        impl Drop for Handled<'_> {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
        let _handled = Handled(&self.messages_handled);
        if message.author.bot {
            return;
        }
        let Some(guild) = message.guild_id else {
            return;
        };
        let thread = message.channel_id.get();
        let Some(parent) = thread_parent(&self.desk, thread) else {
            return;
        };
        let place = Place {
            channel: ChannelKey {
                platform: Platform::Discord,
                team: guild.get().to_string(),
                channel: parent,
            },
            thread: Some(thread.to_string()),
        };
        let Some((story, ThreadKind::Sources)) =
            self.desk.thread_target(&place.channel, &thread.to_string())
        else {
            return;
        };
        let span = tracing::info_span!(
            "discord",
            message = message.id.get(),
            guild = guild.get(),
            channel = %place.channel.channel,
            user = message.author.id.get(),
            story = story.0,
        );
        async {
            let reach = Reach::Thread(message.channel_id);
            if message.content.trim().is_empty() && message.attachments.is_empty() {
                if !self.message_content.load(Ordering::Relaxed) {
                    self.intent_notice(message.channel_id).await;
                }
                return;
            }
            let actor = routing::person(
                message.member.as_ref().and_then(|m| m.nick.clone()),
                &message.author,
            );
            let base = Request {
                actor,
                memberships: routing::memberships(
                    message.member.as_ref().map(|m| m.roles.as_slice()),
                ),
                place: place.clone(),
                at: Timestamp::now(),
                input: Input::Message {
                    text: message.content.clone(),
                },
                event: Some(EventKey::new(
                    Platform::Discord,
                    guild.get().to_string(),
                    EventKind::Message,
                    message.id.get().to_string(),
                )),
                story: Some(story),
            };
            if !message.content.trim().is_empty() {
                let reply = self.run_desk(base.clone()).await;
                self.deliver(reach.clone(), &place, reply).await;
            }
            for file in &message.attachments {
                match self.download(file).await {
                    Ok(text) => {
                        let request = Request {
                            input: Input::Options {
                                subcommand: "source add".into(),
                                options: vec![("label".into(), file.filename.clone())],
                                body: Some(text),
                            },
                            event: base
                                .event
                                .as_ref()
                                .map(|e| e.part("file", &file.id.get().to_string())),
                            ..base.clone()
                        };
                        let reply = self.run_desk(request).await;
                        self.deliver(reach.clone(), &place, reply).await;
                    }
                    Err(problem) => self.private(&reach, &problem).await,
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Say once per thread that messages cannot be read without the Message Content intent.
    async fn intent_notice(&self, thread: ChannelId) {
        let key = Anchor::IntentNotice {
            thread: thread.get().to_string(),
        };
        let _held = self.notices.lock().await;
        if self.anchor(&key).is_some() {
            return;
        }
        match self
            .rest
            .send_message(
                thread,
                vec![],
                &render::channel_message(&messages::message_content_intent_off(), vec![]),
            )
            .await
        {
            Ok(_) => {
                let _ = self.set_anchor(key, "posted".into()).await;
            }
            Err(e) => tracing::warn!(error = %PostError::from(e), "intent notice not posted"),
        }
    }

    /// Send the first answer over REST (the gateway's way), then do the rest. False when
    /// Discord did not accept the answer (nothing more is done then).
    pub async fn answer_over_rest(&self, id: InteractionId, token: &str, handled: Handled) -> bool {
        if let Err(e) = self
            .rest
            .create_interaction_response(id, token, &handled.response, vec![])
            .await
        {
            tracing::warn!(error = %PostError::from(e), "interaction answer not accepted");
            return false;
        }
        if let Some(then) = handled.then {
            then.await;
        }
        true
    }
}

/// An interaction's kind, the `kind` label of the metrics.
pub fn interaction_kind(interaction: &Interaction) -> &'static str {
    match interaction {
        Interaction::Ping(_) => "ping",
        Interaction::Command(_) => "command",
        Interaction::Autocomplete(_) => "autocomplete",
        Interaction::Component(_) => "component",
        Interaction::Modal(_) => "modal",
        _ => "other",
    }
}

/// Discord as delivery posts an article through it: the REST client and the publishing
/// channel, resolved.
struct DiscordOutlet {
    /// The REST client.
    rest: rest::Rest,
    /// The channel posted in: the story's, or the publishing channel.
    target: ChannelId,
    /// Where a thread's parent channel is recorded.
    anchors: Anchors,
}

impl Outlet for DiscordOutlet {
    type Message = String;
    type Error = PostError;

    /// Discord's 4xx answers (other than 429) surely did nothing, and Unknown Message says
    /// the message is gone; a 5xx, a 429 or no answer at all may be passing or may have
    /// posted.
    fn failure(e: &PostError) -> Delivery {
        match e {
            PostError::Refused { code, .. } if *code == code::UNKNOWN_MESSAGE => Delivery::Gone,
            PostError::Refused { status, .. } if (400..500).contains(status) && *status != 429 => {
                Delivery::Refused
            }
            _ => Delivery::NotConfirmed,
        }
    }

    /// The sentences of a publication that failed (the only calls whose failure delivery
    /// words itself; a board the adapter cannot edit is explained by the adapter).
    fn reason(e: &PostError, channel: &str) -> String {
        let channel = channel.parse::<u64>().unwrap_or(0);
        match Self::failure(e) {
            Delivery::NotConfirmed => messages::publish_not_confirmed(channel),
            _ if e.forbidden() => messages::cannot_post_in(channel),
            _ => messages::publish_failed(channel),
        }
    }

    /// The message's `channel:message`, as anchors record it.
    async fn post(
        &self,
        _channel: &str,
        text: &String,
        _tag: Option<&PartTag>,
    ) -> Result<String, PostError> {
        let posted = self
            .rest
            .send_message(self.target, vec![], &render::channel_message(text, vec![]))
            .await?;
        Ok(format!("{}:{}", self.target.get(), posted.id.get()))
    }

    /// A thread from a starter message; the channel it belongs to is recorded first, so
    /// a message in it is placed in its channel even before the thread is bound.
    async fn start_thread(
        &self,
        _channel: &str,
        starter: &String,
        name: &str,
    ) -> Result<String, PostError> {
        let starter = self
            .rest
            .send_message(
                self.target,
                vec![],
                &render::channel_message(starter, vec![]),
            )
            .await?;
        let thread = self
            .rest
            .create_thread_from_message(
                self.target,
                starter.id,
                &CreateThread::new(name)
                    .auto_archive_duration(serenity::all::AutoArchiveDuration::OneWeek),
                None,
            )
            .await?;
        let parent = Anchor::ThreadParent {
            platform: Platform::Discord,
            thread: thread.id.get().to_string(),
        };
        let (anchors, channel) = (self.anchors.clone(), self.target.get().to_string());
        tokio::task::spawn_blocking(move || anchors.put(&parent, &channel))
            .await
            .map_err(|e| PostError::Other(e.to_string()))?
            .map_err(|e| PostError::Other(e.to_string()))?;
        Ok(thread.id.get().to_string())
    }

    async fn edit(&self, _channel: &str, id: &str, text: &String) -> Result<(), PostError> {
        let (channel, message) = self.message(id)?;
        self.rest
            .edit_message(channel, message, &render::edit_message(text), vec![])
            .await?;
        Ok(())
    }

    async fn delete(&self, _channel: &str, id: &str) -> Result<(), PostError> {
        let (channel, message) = self.message(id)?;
        self.rest.delete_message(channel, message, None).await?;
        Ok(())
    }
}

impl DiscordOutlet {
    /// The channel and message an id of [`Outlet::post`] names (a bare message id is in
    /// the outlet's channel). An id that names nothing is a message that is not there.
    fn message(&self, id: &str) -> Result<(ChannelId, MessageId), PostError> {
        let gone = || PostError::Refused {
            status: 404,
            code: code::UNKNOWN_MESSAGE,
        };
        if let Some((channel, message)) = parse_pair(id) {
            return Ok((channel, MessageId::new(message)));
        }
        let message = id.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(gone)?;
        Ok((self.target, MessageId::new(message)))
    }
}

/// `channel:first:last` of an assisted draft's messages.
fn parse_triple(value: &str) -> Option<(ChannelId, u64, u64)> {
    let mut parts = value.split(':').map(|p| p.parse::<u64>().ok());
    let (c, f, l) = (parts.next()??, parts.next()??, parts.next()??);
    (c > 0 && f > 0 && l > 0).then(|| (ChannelId::new(c), f, l))
}

fn parse_pair(value: &str) -> Option<(ChannelId, u64)> {
    let (c, m) = value.split_once(':')?;
    let (c, m): (u64, u64) = (c.parse().ok()?, m.parse().ok()?);
    (c > 0 && m > 0).then(|| (ChannelId::new(c), m))
}

fn channel_id(id: &str) -> Result<ChannelId, PostError> {
    id.parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .map(ChannelId::new)
        .ok_or_else(|| PostError::Other(format!("not a Discord channel id: {id}")))
}
