//! The console's session: who is acting, where they stand, and how the desk's replies are
//! printed. It is an adapter like the Slack and Discord ones: it turns script items into
//! requests and replies into text, and holds no workflow rule.
//!
//! Every bot message is printed with where it went: `[#newsroom]`, `[#newsroom › body]` (a
//! section's thread), `[#newsroom › sources]`, `[only alice]` (ephemeral), `[#published]`.
//! The board is printed whole the first time and then only its changed lines, the way an
//! edited message reads in a chat client.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};

use crate::assist::Assistant;
use crate::deliver::{Failure, Outlet, PartTag, Posted, SendError};
use crate::desk::{
    messages, Body, Desk, Destination, DraftJob, DraftRef, Input, Post, Reply, Request, ThreadKind,
};
use crate::model::{ChannelKey, Person, Place, Platform, StoryId, Timestamp};

use super::script::ScriptItem;
use super::terminal::Terminal;

/// The console's workspace name (Slack's team, Discord's guild).
pub const TEAM: &str = "local";

/// The channel a console session starts in.
pub const DEFAULT_CHANNEL: &str = "newsroom";

/// The console's clock: the real time, moved by `:clock`; or, with `--clock`, a time that
/// stands still but for `:clock`, so a script's transcript is the same on every run.
#[derive(Debug, Clone, Copy)]
pub struct ConsoleClock {
    /// `--clock`: where it started.
    fixed: Option<Timestamp>,
    /// How far `:clock` moved it, in milliseconds.
    offset: i64,
}

impl ConsoleClock {
    /// Reads `--clock`'s RFC 3339 time.
    pub fn parse_start(text: &str) -> anyhow::Result<Timestamp> {
        text.trim()
            .parse::<jiff::Timestamp>()
            .map(|t| Timestamp(t.as_millisecond()))
            .map_err(|_| {
                anyhow::anyhow!(
                    "--clock needs an RFC 3339 time such as 2026-12-06T09:00Z or 2026-12-06T09:00:00+01:00"
                )
            })
    }

    /// Now, on this clock.
    pub fn now(&self) -> Timestamp {
        let base = self.fixed.unwrap_or_else(Timestamp::now);
        Timestamp(base.0.saturating_add(self.offset))
    }

    /// Moves it so that it shows `at`.
    fn set(&mut self, at: Timestamp) {
        let base = self.fixed.unwrap_or_else(Timestamp::now);
        self.offset = at.0.saturating_sub(base.0);
    }
}

/// A console session over a desk, printing to `out`.
pub struct Session<W: Write> {
    /// The console's clock (`--clock`, `:clock`).
    clock: ConsoleClock,
    /// The desk every command goes to.
    desk: Desk,
    /// Who is typing (`:as`).
    user: Person,
    /// The channel they stand in (`:in`), without `#`.
    channel: String,
    /// The thread they stand in: a section's name or `sources`.
    thread: Option<String>,
    /// The last board printed per story, to print only what changed.
    boards: HashMap<StoryId, String>,
    /// Drafts whose message was printed, so later updates say so.
    drafts: HashSet<DraftRef>,
    /// The runtime drafts are written on (a model is reached over HTTP), made when first
    /// needed.
    runtime: Option<tokio::runtime::Runtime>,
    /// The drafter, made when first needed.
    assistant: Option<Assistant>,
    /// Echo each command before its replies (script mode), so a transcript reads as the
    /// conversation it was.
    echo: bool,
    /// Where the transcript goes, without control characters whatever the text holds.
    out: Terminal<W>,
}

impl<W: Write> Session<W> {
    /// A session acting as `user` in `#newsroom`.
    pub fn new(desk: Desk, user: &str, echo: bool, out: W) -> Self {
        Session {
            clock: ConsoleClock {
                fixed: None,
                offset: 0,
            },
            desk,
            user: Person::named(&crate::text::normalise::strip_controls(user)),
            channel: DEFAULT_CHANNEL.to_string(),
            thread: None,
            boards: HashMap::new(),
            drafts: HashSet::new(),
            runtime: None,
            assistant: None,
            echo,
            out: Terminal::new(out),
        }
    }

    /// The session with its clock starting at `start` and standing still but for
    /// `:clock`; the real time when `None`.
    pub fn with_clock(mut self, start: Option<Timestamp>) -> Self {
        self.clock = ConsoleClock {
            fixed: start,
            offset: 0,
        };
        self
    }

    /// The prompt for interactive use: `alice #newsroom› body> `.
    pub fn prompt(&self) -> String {
        match &self.thread {
            Some(t) => format!("{} #{} › {}> ", self.user.name, self.channel, t),
            None => format!("{} #{}> ", self.user.name, self.channel),
        }
    }

    /// A line of the console's own (not a bot message), such as what Ctrl-C did.
    pub fn note(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.out, "{text}")?;
        self.out.flush()
    }

    /// The output, for tests.
    pub fn into_output(self) -> W {
        // Every reply ends with a flush, so nothing is held back here.
        self.out.into_inner()
    }

    fn channel_key(&self) -> ChannelKey {
        ChannelKey {
            platform: Platform::Console,
            team: TEAM.to_string(),
            channel: self.channel.clone(),
        }
    }

    /// The console's id for a story's thread: `3:body`, `3:sources`.
    fn thread_id(story: StoryId, kind: &ThreadKind) -> String {
        format!("{}:{}", story.0, kind.name())
    }

    /// Carry out one script item, after the jobs that fell due meanwhile.
    pub fn run(&mut self, item: ScriptItem) -> io::Result<()> {
        if let ScriptItem::Clock { to, .. } = item {
            let target = match to {
                super::script::ClockMove::By(ms) => {
                    Timestamp(self.clock.now().0.saturating_add(ms))
                }
                super::script::ClockMove::To(t) => t,
            };
            writeln!(self.out, "[clock] {}", crate::text::when::utc(target))?;
            self.run_due_until(target)?;
            self.clock.set(target);
            return self.out.flush();
        }
        let now = self.clock.now();
        self.run_due_until(now)?;
        match item {
            ScriptItem::Clock { .. } => Ok(()),
            ScriptItem::As { user, .. } => {
                self.user = Person::named(&user);
                Ok(())
            }
            ScriptItem::In {
                channel, thread, ..
            } => {
                self.channel = channel;
                self.thread = None;
                if let Some(t) = thread {
                    return self.enter_thread(&t);
                }
                Ok(())
            }
            ScriptItem::Command { text, body, .. } => {
                if self.echo {
                    self.echo_line(&text, body.as_deref())?;
                }
                self.send(Input::Text { text, body })
            }
            ScriptItem::Say { text, .. } => {
                if self.echo {
                    writeln!(self.out, "{}", self.prompt_line(&text))?;
                }
                self.send(Input::Message { text })
            }
        }
    }

    /// Fires the console's jobs due by `target`, in order, each at its own time (the clock
    /// shows that time while it runs), and prints what they send.
    fn run_due_until(&mut self, target: Timestamp) -> io::Result<()> {
        let mut last = None;
        loop {
            let next = match self.desk.next_due(Platform::Console) {
                Ok(Some(t)) if t.0 <= target.0 => t,
                Ok(_) => return Ok(()),
                Err(e) => return writeln!(self.out, "[clock] scheduled jobs unavailable: {e}"),
            };
            // A job that failed stays due: do not spin on it.
            if last == Some(next) {
                return Ok(());
            }
            last = Some(next);
            let at = Timestamp(next.0.max(self.clock.now().0));
            self.clock.set(at);
            match self.desk.run_due(Platform::Console, at) {
                Ok(due) => {
                    for d in due {
                        let here = std::mem::replace(&mut self.channel, d.channel.channel.clone());
                        let result = self.print(d.reply);
                        self.channel = here;
                        result?;
                    }
                }
                Err(e) => return writeln!(self.out, "[clock] scheduled jobs failed: {e}"),
            }
        }
    }

    /// `:in #channel › section`: stand in a thread of the channel's active story.
    fn enter_thread(&mut self, typed: &str) -> io::Result<()> {
        let key = self.channel_key();
        let active = self.desk.active_story(&key, &self.user).ok().flatten();
        let Some(story) = active else {
            writeln!(
                self.out,
                "[only {}] There is no story in #{} yet, so it has no threads.",
                self.user.name, self.channel
            )?;
            return Ok(());
        };
        let kind = if typed.eq_ignore_ascii_case("sources") {
            ThreadKind::Sources
        } else {
            match self.desk.template().resolve(typed) {
                Some(s) => ThreadKind::Section(s.name.clone()),
                None => {
                    writeln!(
                        self.out,
                        "[only {}] There is no thread `{typed}`: threads are `sources` and the sections ({}).",
                        self.user.name,
                        self.desk
                            .template()
                            .sections
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )?;
                    return Ok(());
                }
            }
        };
        let id = Self::thread_id(story, &kind);
        if let Err(e) = self.desk.bind_thread(&key, &id, story, &kind) {
            writeln!(self.out, "[only {}] {e}", self.user.name)?;
        }
        self.thread = Some(id);
        Ok(())
    }

    fn prompt_line(&self, text: &str) -> String {
        let place = match &self.thread {
            Some(t) => format!(
                "#{} › {}",
                self.channel,
                t.split_once(':').map(|(_, n)| n).unwrap_or(t)
            ),
            None => format!("#{}", self.channel),
        };
        format!("{} in {place}: {text}", self.user.name)
    }

    fn echo_line(&mut self, text: &str, body: Option<&str>) -> io::Result<()> {
        let mut line = self.prompt_line(text);
        if let Some(body) = body {
            let lines = body.lines().count();
            line.push_str(&format!(
                " <<… ({}, {})",
                crate::desk::messages::plural(lines, "line", "lines"),
                crate::desk::messages::plural(body.len(), "byte", "bytes")
            ));
        }
        writeln!(self.out, "{line}")
    }

    fn send(&mut self, input: Input) -> io::Result<()> {
        let request = Request {
            actor: self.user.clone(),
            memberships: Default::default(),
            place: Place {
                channel: self.channel_key(),
                thread: self.thread.clone(),
            },
            at: self.clock.now(),
            input,
            event: None,
            story: None,
        };
        let reply = self.desk.handle(request);
        self.print(reply)
    }

    fn print(&mut self, reply: Reply) -> io::Result<()> {
        for post in reply.posts {
            if let (Destination::Correct { channel }, Some(story)) = (&post.to, reply.story) {
                self.print_correction(story, channel, post.body.text())?;
                continue;
            }
            if let (Destination::Publish { channel }, Some(story)) = (&post.to, reply.story) {
                // The article goes through delivery like on a chat platform, printed whole
                // as one message.
                let printed = Printed::default();
                let runtime = self.runtime()?;
                let posted = runtime.block_on(crate::deliver::post_article(
                    &self.desk,
                    &printed,
                    story,
                    channel,
                    &[post.body.text()],
                ));
                self.runtime = Some(runtime);
                for (channel, text) in printed.messages() {
                    self.block(&format!("[#{channel}]"), &text)?;
                }
                if let Posted::Stopped(told) = posted {
                    // What the editor is told replaces the rest (the announcement).
                    for post in told.posts {
                        self.print_post(post)?;
                    }
                    break;
                }
                continue;
            }
            self.print_post(post)?;
        }
        self.out.flush()?;
        for job in reply.drafts {
            self.write_draft(job)?;
        }
        Ok(())
    }

    /// Corrects a published article through delivery, as a chat platform would: the
    /// messages edited in place are printed `[#channel · corrected]`, any posted after the
    /// article `[#channel · correction]`.
    fn print_correction(&mut self, story: StoryId, channel: &str, text: String) -> io::Result<()> {
        // The console's message ids are their places in its printout (1, 2, …).
        let up = self.desk.published_messages(story).unwrap_or_default();
        let slots = up.iter().filter_map(|id| id.parse::<usize>().ok()).max();
        let printed = Printed::seeded(channel, slots.unwrap_or(0));
        let runtime = self.runtime()?;
        let corrected = runtime.block_on(crate::deliver::correct_article(
            &self.desk,
            &printed,
            story,
            channel,
            &[text],
        ));
        self.runtime = Some(runtime);
        let shown = printed
            .messages()
            .into_iter()
            .filter(|(_, text)| !text.is_empty());
        for (n, (channel, text)) in shown.enumerate() {
            let how = if n < corrected.edited {
                "corrected"
            } else {
                "correction"
            };
            self.block(&format!("[#{channel} · {how}]"), &text)?;
        }
        for post in corrected.reply.posts {
            self.print_post(post)?;
        }
        Ok(())
    }

    /// Writes a draft the desk asked for, printing its progress and outcome as they come.
    fn write_draft(&mut self, job: DraftJob) -> io::Result<()> {
        let desk = self.desk.clone();
        let assistant = match &self.assistant {
            Some(a) => a.clone(),
            None => match Assistant::from_config(&desk.config().assist) {
                Ok(a) => {
                    self.assistant = Some(a.clone());
                    a
                }
                Err(failure) => {
                    let reply = desk.finish_draft(&job, Err(failure));
                    for post in reply.posts {
                        self.print_post(post)?;
                    }
                    return self.out.flush();
                }
            },
        };
        let runtime = self.runtime()?;
        let mut failed: Option<io::Error> = None;
        runtime.block_on(crate::drafting::run_job(&desk, &assistant, job, |post| {
            if failed.is_none() {
                if let Err(e) = self.print_post(post).and_then(|()| self.out.flush()) {
                    failed = Some(e);
                }
            }
            std::future::ready(())
        }));
        self.runtime = Some(runtime);
        match failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The session's runtime (made when first needed); the caller puts it back.
    fn runtime(&mut self) -> io::Result<tokio::runtime::Runtime> {
        match self.runtime.take() {
            Some(rt) => Ok(rt),
            None => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build(),
        }
    }

    fn print_post(&mut self, post: Post) -> io::Result<()> {
        let channel = self.channel.clone();
        match &post.to {
            Destination::Requester => {
                let prefix = format!("[only {}]", self.user.name);
                self.block(&prefix, &post.body.text())
            }
            Destination::Channel => self.block(&format!("[#{channel}]"), &post.body.text()),
            Destination::Direct { person } => {
                self.block(&format!("[dm {}]", person.name), &post.body.text())
            }
            Destination::Publish { channel } | Destination::Correct { channel } => {
                self.block(&format!("[#{channel}]"), &post.body.text())
            }
            Destination::Thread { story, thread } => {
                let key = self.channel_key();
                let id = Self::thread_id(*story, thread);
                if let Err(e) = self.desk.bind_thread(&key, &id, *story, thread) {
                    writeln!(self.out, "[only {}] {e}", self.user.name)?;
                }
                let mut prefix = format!("[#{channel} › {}]", thread.name());
                let mut text = post.body.text();
                if let Body::Suggestion { draft, writing, .. } = &post.body {
                    // A draft's message is edited in place on a chat platform; here each
                    // update is a line, and one being written shows only how far it got.
                    if !self.drafts.insert(draft.clone()) {
                        prefix = format!("[#{channel} › {} · updated]", thread.name());
                    }
                    if *writing {
                        text = text.lines().next().unwrap_or_default().to_string();
                    }
                }
                self.block(&prefix, &text)?;
                if let Body::Review { actions, .. } | Body::Suggestion { actions, .. } = &post.body
                {
                    if !actions.is_empty() {
                        let buttons: Vec<String> = actions
                            .iter()
                            .map(|a| format!("[{}]", messages::button_label(a)))
                            .collect();
                        writeln!(self.out, "    {}", buttons.join(" "))?;
                    }
                }
                Ok(())
            }
            Destination::Board { story } => {
                let text = post.body.text();
                match self.boards.insert(*story, text.clone()) {
                    None => self.block(&format!("[#{channel} · board]"), &text),
                    Some(old) => {
                        let old: Vec<&str> = old.lines().collect();
                        let changed: Vec<&str> =
                            text.lines().filter(|l| !old.contains(l)).collect();
                        if changed.is_empty() {
                            return Ok(());
                        }
                        self.block(
                            &format!("[#{channel} · board updated]"),
                            &changed.join("\n"),
                        )
                    }
                }
            }
        }
    }

    /// Print a message: its prefix and first line, then the rest indented; times in it in
    /// UTC and the current user's zone.
    fn block(&mut self, prefix: &str, text: &str) -> io::Result<()> {
        let zone = self.desk.zone_for(Platform::Console, &self.user.id);
        let now = self.clock.now();
        let text = crate::text::when::render_markers(text, |t| {
            crate::text::when::console_date(t, now, &zone)
        });
        let text = crate::roles::render_mentions(&text, crate::roles::Entry::console_mention);
        let mut lines = text.lines();
        writeln!(self.out, "{prefix} {}", lines.next().unwrap_or_default())?;
        for line in lines {
            if line.is_empty() {
                writeln!(self.out)?;
            } else {
                writeln!(self.out, "    {line}")?;
            }
        }
        Ok(())
    }
}

/// The console as delivery posts through it: each message kept, in order, to be printed
/// (its id is its place in that order); a deleted one is not printed.
#[derive(Default)]
struct Printed {
    /// Channel and text of each message posted, `None` once deleted.
    posted: std::sync::Mutex<Vec<Option<(String, String)>>>,
}

impl Printed {
    /// A printout whose first `count` messages are already up in `channel` (with ids 1 to
    /// `count`), shown only once edited.
    fn seeded(channel: &str, count: usize) -> Self {
        Printed {
            posted: std::sync::Mutex::new(vec![Some((channel.to_string(), String::new())); count]),
        }
    }

    /// The messages still up, in order.
    fn messages(self) -> Vec<(String, String)> {
        self.posted
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_iter()
            .flatten()
            .collect()
    }
}

impl Outlet for Printed {
    type Message = String;
    type Error = SendError;

    fn failure(error: &SendError) -> Failure {
        error.failure
    }

    fn reason(error: &SendError, _channel: &str) -> String {
        error.reason.clone()
    }

    fn post(
        &self,
        channel: &str,
        text: &String,
        _tag: Option<&PartTag>,
    ) -> impl std::future::Future<Output = Result<String, SendError>> + Send {
        let mut posted = self.posted.lock().unwrap_or_else(|e| e.into_inner());
        posted.push(Some((channel.to_string(), text.clone())));
        std::future::ready(Ok(posted.len().to_string()))
    }

    fn edit(
        &self,
        _channel: &str,
        id: &str,
        text: &String,
    ) -> impl std::future::Future<Output = Result<(), SendError>> + Send {
        let mut posted = self.posted.lock().unwrap_or_else(|e| e.into_inner());
        let slot = id
            .parse::<usize>()
            .ok()
            .and_then(|n| posted.get_mut(n.wrapping_sub(1)))
            .and_then(Option::as_mut);
        std::future::ready(match slot {
            Some((_, old)) => {
                *old = text.clone();
                Ok(())
            }
            None => Err(SendError {
                failure: Failure::Gone,
                reason: String::new(),
            }),
        })
    }

    fn start_thread(
        &self,
        channel: &str,
        starter: &String,
        _name: &str,
    ) -> impl std::future::Future<Output = Result<String, SendError>> + Send {
        self.post(channel, starter, None)
    }

    fn delete(
        &self,
        _channel: &str,
        id: &str,
    ) -> impl std::future::Future<Output = Result<(), SendError>> + Send {
        let mut posted = self.posted.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = id
            .parse::<usize>()
            .ok()
            .and_then(|n| posted.get_mut(n.wrapping_sub(1)))
        {
            *slot = None;
        }
        std::future::ready(Ok(()))
    }
}
