//! The newsroom's nouns: stories, sections, revisions, reviews, sources, references.
//!
//! These are the domain types the desk works with. They are *not* the on-disk format: the
//! store keeps its own versioned records (`store::records`) and converts at its edge, so a
//! change here never silently changes what is on disk.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A story's number, unique in one data directory. Shown to users as `#12`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct StoryId(pub u64);

impl fmt::Display for StoryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Milliseconds since the Unix epoch, UTC. Stored as a plain integer so records stay
/// independent of any time library's serialisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The current time from the system clock.
    pub fn now() -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(now.as_millis() as i64)
    }

    /// `2026-11-29 09:02 UTC`: the form every message uses.
    pub fn display(&self) -> String {
        let secs = self.0.div_euclid(1000);
        match time::OffsetDateTime::from_unix_timestamp(secs) {
            Ok(t) => format!(
                "{:04}-{:02}-{:02} {:02}:{:02} UTC",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            ),
            Err(_) => format!("{} ms", self.0),
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

/// Which chat platform a request came through. Part of every story's home, so a Slack
/// channel id can never reach a Discord story.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// `storydesk local`: the simulated channel in a terminal.
    Console,
    /// Slack, over HTTP or Socket Mode.
    Slack,
    /// Discord, over the gateway or the interactions endpoint.
    Discord,
}

impl Platform {
    /// The lowercase name used in keys, logs and metrics.
    pub fn as_str(&self) -> &'static str {
        match self {
            Platform::Console => "console",
            Platform::Slack => "slack",
            Platform::Discord => "discord",
        }
    }
}

/// A person acting on the desk, as the platform identifies them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Person {
    /// The platform's stable id (Slack `U…`, Discord snowflake, console name). Roles match it
    /// (`crate::roles`).
    pub id: String,
    /// The name shown in messages. For showing only: on Slack and Discord anyone can set
    /// their display name or nickname, so it never grants a role.
    pub name: String,
}

impl Person {
    /// A person whose id is their name, as in the console.
    pub fn named(name: &str) -> Self {
        Person {
            id: name.to_string(),
            name: name.to_string(),
        }
    }
}

/// A channel on one platform in one workspace: a story's home.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ChannelKey {
    /// The platform the channel lives on.
    pub platform: Platform,
    /// Slack team id, Discord guild id, `local` in the console.
    pub team: String,
    /// The channel id (or, in the console, the channel name without `#`).
    pub channel: String,
}

/// Where a request was made: a channel, and possibly a thread in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Place {
    /// The channel the request came from (for a thread, the thread's parent channel).
    pub channel: ChannelKey,
    /// The platform's thread id when the request came from inside a thread.
    pub thread: Option<String>,
}

/// How a section is doing, as the board shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SectionState {
    /// Nobody has claimed it and it has no text.
    Empty,
    /// Someone has claimed it; no revision yet.
    Drafting,
    /// The latest revision waits for approvals.
    InReview,
    /// A reviewer has asked for changes and has not approved since.
    ChangesRequested,
    /// The latest revision has the quorum of approvals and no open change request.
    Approved,
}

impl SectionState {
    /// The words the board uses.
    pub fn label(&self) -> &'static str {
        match self {
            SectionState::Empty => "empty",
            SectionState::Drafting => "drafting",
            SectionState::InReview => "in review",
            SectionState::ChangesRequested => "changes requested",
            SectionState::Approved => "approved",
        }
    }
}

/// An approval of one revision of a section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// Who approved.
    pub by: Person,
    /// The revision approved; approvals of older revisions no longer count.
    pub revision: u32,
    /// When.
    pub at: Timestamp,
    /// The reviewer was one of the section's required reviewers (`[review.required]`)
    /// when they approved.
    pub required: bool,
}

/// A request for changes. It stays open until the same reviewer approves a later revision, or
/// withdraws it by approving the revision it was made on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRequest {
    /// The reviewer who asked.
    pub by: Person,
    /// What they asked for.
    pub note: String,
    /// The revision they looked at.
    pub revision: u32,
    /// When.
    pub at: Timestamp,
    /// False once the reviewer has approved a later revision.
    pub open: bool,
}

/// The workflow state of one section of one story. The text lives in revisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// The template's section name (`title`, `introduction`, …).
    pub name: String,
    /// Who claimed or was assigned the section.
    pub owner: Option<Person>,
    /// Number of revisions so far; the latest revision's number (revisions count from 1).
    pub revisions: u32,
    /// Approvals, kept for the audit; only those of the latest revision count.
    pub approvals: Vec<Approval>,
    /// Change requests, open and closed.
    pub change_requests: Vec<ChangeRequest>,
    /// Who has a submission of this section that conflicted with a newer revision and is
    /// kept until they write the section again.
    pub conflicts: Vec<Person>,
    /// The owner claimed the section or was assigned it: only they write it then. An owner
    /// who merely wrote the section first holds no claim, and others may write it too.
    pub claimed: bool,
    /// Whose approval the latest revision needs on top of the quorum (`[review.required]`
    /// when it was written, as the config writes them: `group:S…`, `role:…`, a user id);
    /// empty when anyone's does.
    pub needs: Vec<String>,
}

impl Section {
    /// A section with no owner and no text.
    pub fn new(name: &str) -> Self {
        Section {
            name: name.to_string(),
            owner: None,
            revisions: 0,
            approvals: Vec::new(),
            change_requests: Vec::new(),
            conflicts: Vec::new(),
            claimed: false,
            needs: Vec::new(),
        }
    }

    /// Approvals of the latest revision.
    pub fn current_approvals(&self) -> impl Iterator<Item = &Approval> {
        let latest = self.revisions;
        self.approvals.iter().filter(move |a| a.revision == latest)
    }

    /// Change requests not yet resolved.
    pub fn open_change_requests(&self) -> impl Iterator<Item = &ChangeRequest> {
        self.change_requests.iter().filter(|c| c.open)
    }

    /// True when the latest revision needs a required reviewer's approval and has none.
    pub fn awaits_required(&self) -> bool {
        !self.needs.is_empty() && !self.current_approvals().any(|a| a.required)
    }

    /// The state the board shows, given the review quorum.
    pub fn state(&self, quorum: u32) -> SectionState {
        if self.revisions == 0 {
            return if self.owner.is_some() {
                SectionState::Drafting
            } else {
                SectionState::Empty
            };
        }
        if self.open_change_requests().next().is_some() {
            return SectionState::ChangesRequested;
        }
        if self.current_approvals().count() as u32 >= quorum && !self.awaits_required() {
            SectionState::Approved
        } else {
            SectionState::InReview
        }
    }
}

/// One saved version of a section's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    /// The story it belongs to.
    pub story: StoryId,
    /// The section it belongs to.
    pub section: String,
    /// 1, 2, 3, … within the section.
    pub number: u32,
    /// The revision it was written over (`None` for the first).
    pub parent: Option<u32>,
    /// Who saved it.
    pub author: Person,
    /// When it was saved.
    pub at: Timestamp,
    /// The section's text as saved (normalised).
    pub text: String,
    /// True when the text came from a drafting assistant and a person accepted it.
    pub assisted: bool,
}

/// A piece of source material as pasted, after normalisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The story it belongs to.
    pub story: StoryId,
    /// 1, 2, 3, … within the story.
    pub number: u32,
    /// A short label the team gave it ("leaked memo").
    pub label: String,
    /// Who added it.
    pub added_by: Person,
    /// When.
    pub at: Timestamp,
    /// The normalised text.
    pub text: String,
}

/// What the pre-publish checks need of a source, read once when it is added and kept beside
/// it (`checks::digest` makes it; the store keeps it under the source's number). It holds no
/// text, but the sequence of a text's word hashes can be matched against a dictionary, so it
/// is sealed at rest whenever sources are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceDigest {
    /// The text is empty or only blanks (such a source counts as none).
    pub blank: bool,
    /// The hash of each word of the text, in order (`checks::verbatim` says what a word is).
    pub words: Vec<u64>,
    /// The figures the text holds, read leniently: each value `mantissa × 10^exponent` as
    /// `(mantissa, exponent)`, normalised (no trailing zero in the mantissa), sorted,
    /// distinct.
    pub values: Vec<(u64, i32)>,
    /// The dates the text holds: `(year, month 1–12, day)`, distinct.
    pub dates: Vec<(Option<i64>, u8, Option<u8>)>,
}

/// What the story keeps about a source without its text, so listing sources never loads them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSummary {
    /// The source's number.
    pub number: u32,
    /// Its label.
    pub label: String,
    /// Who added it.
    pub added_by: Person,
    /// When.
    pub at: Timestamp,
    /// Size of the normalised text in bytes.
    pub bytes: u64,
    /// Number of words, for the source list.
    pub words: u64,
}

/// A date as precise as the source gives it: `2025`, `2025-01` or `2025-01-27`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialDate {
    /// The year.
    pub year: i32,
    /// 1–12 when known.
    pub month: Option<u8>,
    /// 1–31 when known (only with a month).
    pub day: Option<u8>,
}

/// What kind of work a reference points to; the citation styles format them differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReferenceKind {
    /// An article in a newspaper, magazine or news site.
    News,
    /// A web page that is not a news article.
    Web,
    /// A forum or social-media post.
    Forum,
}

/// One reference of a story, structured so every citation style can be rendered from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// Its number in the story, given when it is added and never changed or reused while
    /// the story has it: `ref remove` and `ref edit` name it. 0 in records written before
    /// numbers were kept, numbered in order when the story is read.
    #[serde(default)]
    pub number: u32,
    /// The author as written ("Carey, B.", "Benedict Carey", or for a forum post
    /// "Real Name \[username\]" or just the username). `None` when there is no author.
    pub author: Option<String>,
    /// The publication date, when there is one (`n.d.` otherwise).
    pub date: Option<PartialDate>,
    /// The title in the original language, as written.
    pub title: String,
    /// An English translation of the title, for non-English sources.
    pub translated: Option<String>,
    /// The newspaper, site or forum.
    pub outlet: Option<String>,
    /// Where it can be read.
    pub url: Option<String>,
    /// News article, web page or forum post.
    pub kind: ReferenceKind,
    /// True for material with no URL (print, a document in hand).
    pub offline: bool,
}

/// A citation style a newsroom asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CitationStyle {
    /// APA 7, the default.
    Apa,
    /// MLA 9.
    Mla,
    /// Chicago notes-bibliography (bibliography entries).
    Chicago,
}

impl CitationStyle {
    /// The name used in commands and config.
    pub fn as_str(&self) -> &'static str {
        match self {
            CitationStyle::Apa => "apa",
            CitationStyle::Mla => "mla",
            CitationStyle::Chicago => "chicago",
        }
    }

    /// Parse `apa`, `mla` or `chicago` (any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "apa" | "apa7" => Some(CitationStyle::Apa),
            "mla" | "mla9" => Some(CitationStyle::Mla),
            "chicago" => Some(CitationStyle::Chicago),
            _ => None,
        }
    }
}

/// Where and when a story was published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    /// Who published it.
    pub by: Person,
    /// When.
    pub at: Timestamp,
    /// The channel it went to (name or id on the story's platform).
    pub channel: String,
    /// The citation style used.
    pub style: CitationStyle,
    /// The editor's reason when checks were overridden.
    pub override_reason: Option<String>,
    /// While the article is being posted: what is up so far. `None` once every message of
    /// the article is confirmed (and for publications recorded before this was kept).
    pub posting: Option<Posting>,
    /// The platform's ids of the article's messages once all are up, in order, so a
    /// correction can edit them in place; a correction's follow-ups are added. Empty for
    /// publications recorded before this was kept (a correction is then posted after them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
    /// The corrections proposed after publication, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<Correction>,
}

/// A correction of a published story: a new revision of one section, reviewed like any
/// revision, then applied to the published article with a visible note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    /// The section corrected.
    pub section: String,
    /// The section's revision holding the corrected text.
    pub revision: u32,
    /// What was wrong, as readers see it in the article's Correction line.
    pub note: String,
    /// The editor who proposed it.
    pub by: Person,
    /// When it was proposed.
    pub at: Timestamp,
    /// Where it stands.
    pub state: CorrectionState,
}

/// Where a correction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CorrectionState {
    /// Waiting for its approval.
    Pending,
    /// A reviewer asked for changes; a new `/story correct` proposes another.
    ChangesRequested,
    /// Approved and applied to the article (when).
    Applied(Timestamp),
}

impl Publication {
    /// The correction of `section` waiting for approval, if any.
    pub fn pending_correction(&self, section: &str) -> Option<&Correction> {
        self.corrections
            .iter()
            .find(|c| c.section == section && c.state == CorrectionState::Pending)
    }

    /// The corrections applied to the article, in the order they were applied.
    pub fn applied_corrections(&self) -> Vec<(&Correction, Timestamp)> {
        let mut out: Vec<(&Correction, Timestamp)> = self
            .corrections
            .iter()
            .filter_map(|c| match c.state {
                CorrectionState::Applied(at) => Some((c, at)),
                _ => None,
            })
            .collect();
        out.sort_by_key(|(_, at)| *at);
        out
    }

    /// The revision of `section` the published article shows, given the section's latest
    /// revision: the last correction applied to it, else the revision before its first
    /// correction (a published story takes no other revision), else the latest.
    pub fn shown_revision(&self, section: &str, latest: u32) -> u32 {
        let mut first = None;
        let mut applied = None;
        for c in self.corrections.iter().filter(|c| c.section == section) {
            first.get_or_insert(c.revision);
            if matches!(c.state, CorrectionState::Applied(_)) {
                applied = Some(c.revision);
            }
        }
        match (applied, first) {
            (Some(n), _) => n,
            (None, Some(n)) => n.saturating_sub(1),
            (None, None) => latest,
        }
    }

    /// The correction made as revision `revision` of `section`, if that revision is one.
    pub fn correction_of(&self, section: &str, revision: u32) -> Option<&Correction> {
        self.corrections
            .iter()
            .find(|c| c.section == section && c.revision == revision)
    }
}

impl Publication {
    /// How many parts of the article are up, and how many it takes (once known).
    pub fn progress(&self) -> (usize, Option<u32>) {
        match &self.posting {
            Some(posting) => (posting.posted.len(), posting.parts),
            None => (0, None),
        }
    }

    /// Whether every message of the article is confirmed up.
    pub fn is_complete(&self) -> bool {
        self.posting.is_none()
    }
}

/// How far the posting of an article has got. Messages go out in order, and each is
/// recorded as soon as the platform confirms it, so a retry continues after the last one
/// and never posts one twice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    /// How many messages the article takes on its platform, once posting has started.
    pub parts: Option<u32>,
    /// The platform's id of each message confirmed so far, in order (the first part first).
    pub posted: Vec<String>,
    /// How many times posting has started. After the first, the part after the last
    /// confirmed one may be up without having been confirmed, so it is looked for first.
    pub attempts: u32,
}

/// A story: the unit of work of the desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Story {
    /// Its number.
    pub id: StoryId,
    /// The story's one title, as lists, boards, replies, exports and the published article
    /// show it ([`Story::headline`]): the working title given at `/story new` (the title
    /// section's first revision), then the text of each new title revision. A new revision
    /// dismisses earlier approvals, so the approved title, when there is one, is the latest.
    pub title: String,
    /// The channel the story belongs to; requests from elsewhere cannot touch it.
    pub home: ChannelKey,
    /// Who started it.
    pub created_by: Person,
    /// When.
    pub created_at: Timestamp,
    /// The template its sections come from.
    pub template: String,
    /// Sections in template order.
    pub sections: Vec<Section>,
    /// The sources, without their text.
    pub sources: Vec<SourceSummary>,
    /// The references, in the order they were added.
    pub references: Vec<Reference>,
    /// The citation style chosen for this story.
    pub style: CitationStyle,
    /// Set once the story is published.
    pub published: Option<Publication>,
    /// Number of audit entries written so far (the next entry's sequence number).
    pub audit_len: u64,
    /// Incremented on every change; lets callers detect that they hold a stale copy.
    pub version: u64,
    /// Due times, a scheduled publication and an embargo.
    pub timing: Timing,
}

/// A story's clock: when it and its sections are due, when it is to be published, and
/// until when it may not be.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    /// When the whole story is due; a section without its own due time is due then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Timestamp>,
    /// Sections' own due times.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub sections: std::collections::BTreeMap<String, Timestamp>,
    /// A publication scheduled with `/story publish at:`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled: Option<Scheduled>,
    /// Nobody may publish before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embargo: Option<Timestamp>,
    /// Sections whose editors were told they are overdue, so they are told once.
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub overdue_told: std::collections::BTreeSet<String>,
}

impl Timing {
    /// True when nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == Timing::default()
    }

    /// When `section` is due: its own time, else the story's.
    pub fn section_due(&self, section: &str) -> Option<Timestamp> {
        self.sections.get(section).copied().or(self.due)
    }
}

/// A publication waiting for its time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scheduled {
    /// When.
    pub at: Timestamp,
    /// The editor who scheduled it: it publishes as them, and they hear if it cannot.
    pub by: Person,
    /// The publishing channel they named, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The citation style they chose, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
}

impl Story {
    /// The title to show everywhere: the title section's latest (and, once reviewed,
    /// approved) text, or the working title until the section has one. Only the first line
    /// of a title stored before titles were one line.
    pub fn headline(&self) -> &str {
        self.title.lines().next().unwrap_or_default().trim()
    }

    /// The section with this (canonical) name.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The section with this (canonical) name, mutable.
    pub fn section_mut(&mut self, name: &str) -> Option<&mut Section> {
        self.sections.iter_mut().find(|s| s.name == name)
    }
}

/// One line of a story's audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// 0, 1, 2, … within the story.
    pub seq: u64,
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: Person,
    /// What happened, with its data. `desk::messages::audit_event` puts it into words.
    pub event: AuditEvent,
}

/// What an audit entry records. Never a source's text: a source is named by its number,
/// label and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuditEvent {
    /// The story was started with this title.
    Started { title: String },
    /// A revision was written.
    Wrote { section: String, revision: u32 },
    /// An assisted draft was accepted, as it was or edited, and became a revision.
    DraftAccepted {
        section: String,
        draft: u32,
        revision: u32,
        edited: bool,
    },
    /// A source was added.
    SourceAdded {
        source: u32,
        label: String,
        bytes: u64,
    },
    /// A source's text was read back.
    SourceViewed { source: u32 },
    /// Every source's text was deleted for good.
    SourcesPurged { count: u64, bytes: u64 },
    /// The actor claimed a section.
    Claimed { section: String },
    /// The actor assigned a section to someone.
    Assigned { section: String, to: Person },
    /// A due time was set (`at`) or removed (`None`), for a section or the whole story.
    DueSet {
        section: Option<String>,
        at: Option<Timestamp>,
    },
    /// A publication was scheduled (`at`) or the schedule cancelled (`None`).
    PublishScheduled { at: Option<Timestamp> },
    /// An embargo was set (`until`) or lifted (`None`).
    Embargoed { until: Option<Timestamp> },
    /// The actor took a section over from its holder.
    TookOver { section: String, from: Person },
    /// A write was refused because someone else holds the section (the text is kept).
    WriteRefused { section: String, holder: Person },
    /// A write from a draft was refused over its draft number (the text is kept).
    WriteRefusedDraft { section: String, draft: u32 },
    /// A conflicting text was kept instead of saved.
    ConflictKept {
        section: String,
        base: u32,
        latest: u32,
    },
    /// A revision was approved.
    Approved { section: String, revision: u32 },
    /// A reviewer withdrew their change request on a revision by approving it.
    ChangeRequestWithdrawn { section: String, revision: u32 },
    /// Changes were asked for on a revision.
    ChangesRequested { section: String, revision: u32 },
    /// A reference was added.
    ReferenceAdded { number: u32, title: String },
    /// A reference was edited.
    ReferenceEdited { number: u32, title: String },
    /// A reference was removed.
    ReferenceRemoved { number: u32, title: String },
    /// An assisted draft was asked for.
    DraftRequested {
        section: String,
        draft: u32,
        drafter: String,
    },
    /// An assisted draft was discarded.
    DraftDiscarded { section: String, draft: u32 },
    /// The story was published to a channel; `overridden` names the check rules whose
    /// errors an editor overrode (`errors` of them), with the editor's reason.
    Published {
        channel: String,
        overridden: Vec<String>,
        errors: u32,
        reason: Option<String>,
    },
    /// Posting the article failed and the publication was undone.
    PublicationFailed { channel: String },
    /// Posting the article stopped after `up` of `parts` messages.
    PublicationIncomplete {
        channel: String,
        up: u32,
        parts: Option<u32>,
    },
    /// Posting the article continued after `up` confirmed messages.
    PublishResumed { channel: String, up: u32 },
    /// A correction of a published section was proposed as revision `revision`.
    CorrectionProposed {
        section: String,
        revision: u32,
        note: String,
    },
    /// A correction was approved and applied to the published article.
    CorrectionApplied { section: String, revision: u32 },
    /// An entry stored as a sentence, before entries carried their data.
    Recorded { text: String },
}

/// The stories of one channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelStories {
    /// Every story started in the channel, oldest first.
    pub stories: Vec<StoryId>,
    /// The latest story started in the channel: where a person starts who has not picked one.
    pub active: Option<StoryId>,
    /// Each person's active story in this channel, by platform id (`/story use`, or the
    /// story they started last): commands that name no story act on it.
    pub people: std::collections::BTreeMap<String, StoryId>,
}

impl ChannelStories {
    /// The story `person`'s commands act on when they name none: the one they chose, or
    /// else the channel's latest.
    pub fn active_for(&self, person: &Person) -> Option<StoryId> {
        self.people
            .get(&person.id)
            .copied()
            .filter(|id| self.stories.contains(id))
            .or(self.active)
    }
}

/// Where an assisted draft of a section stands. A draft is a proposal: it becomes a revision
/// only when a person accepts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SuggestionState {
    /// Asked for; the drafter is still writing it.
    Drafting,
    /// Written in full; waiting for someone to accept, edit or discard it.
    Ready,
    /// Writing stopped before the end (a timeout, a dropped connection, the token limit); what
    /// was written is kept, marked as incomplete, and may still be accepted.
    Partial {
        /// Why it stopped, as shown to people.
        reason: String,
    },
    /// Nothing usable came back.
    Failed {
        /// Why, as shown to people.
        reason: String,
    },
    /// A person accepted it; it became this revision.
    Accepted {
        /// Who accepted it (the revision's author).
        by: Person,
        /// The revision it became.
        revision: u32,
        /// True when they edited it before saving.
        edited: bool,
    },
    /// A person discarded it.
    Discarded {
        /// Who.
        by: Person,
    },
}

impl SuggestionState {
    /// True while it can still be accepted, edited or discarded.
    pub fn is_pending(&self) -> bool {
        matches!(
            self,
            SuggestionState::Ready | SuggestionState::Partial { .. }
        )
    }
}

/// The latest assisted draft of one section of one story. Each section has at most one: a new
/// request replaces the previous draft, and its number goes up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The story.
    pub story: StoryId,
    /// The section it is a draft of.
    pub section: String,
    /// 1, 2, 3, … within the section; buttons carry it, so a stale click is refused.
    pub number: u32,
    /// Who asked for it.
    pub requested_by: Person,
    /// When.
    pub requested_at: Timestamp,
    /// What the person asked the drafter to focus on, if anything.
    pub guidance: Option<String>,
    /// Which drafter wrote it, as shown ("the extractive drafter", "model llama3.1 at
    /// 127.0.0.1:11434").
    pub drafter: String,
    /// Where it stands.
    pub state: SuggestionState,
    /// The proposed text (empty while drafting or when it failed).
    pub text: String,
    /// Other candidates (for a title: further phrases from the sources).
    pub alternatives: Vec<String>,
    /// Remarks shown with the draft: what was removed from a model's answer, what was left out
    /// of the sources, what the drafter did.
    pub notes: Vec<String>,
    /// The section's latest revision when the draft was asked for (0: no text yet), so that
    /// accepting it after someone saved merges with their revision instead of replacing it.
    /// `None` for drafts stored before this was recorded.
    pub base: Option<u32>,
}

/// A section's text as someone submitted it over an older revision, where it overlapped what
/// others saved since. Nothing of it is current: it is kept, one per person and section, until
/// that person writes the section again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptConflict {
    /// The story.
    pub story: StoryId,
    /// The section.
    pub section: String,
    /// Who submitted it.
    pub author: Person,
    /// When.
    pub at: Timestamp,
    /// The revision the text was written over (0: the section was empty).
    pub base: u32,
    /// The section's latest revision at the time, which the submission overlapped.
    pub latest: u32,
    /// The text as submitted (normalised).
    pub text: String,
}

/// An assembled article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Article {
    /// The story.
    pub story: StoryId,
    /// The headline: the title section's text, or the working title while it has none.
    pub headline: String,
    /// The body sections in order, without the title and references.
    pub parts: Vec<ArticlePart>,
    /// "References", "Works Cited" or "Bibliography".
    pub references_heading: String,
    /// Formatted reference entries, sorted as the style wants.
    pub references: Vec<String>,
    /// The Correction lines of a corrected article, one per correction in the order applied;
    /// they end the article.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<String>,
}

impl Article {
    /// The whole article as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = format!("# {}\n", self.headline);
        for part in &self.parts {
            out.push('\n');
            out.push_str(&part.text);
            out.push('\n');
        }
        if !self.references.is_empty() {
            out.push_str(&format!("\n## {}\n\n", self.references_heading));
            for r in &self.references {
                out.push_str(&format!("- {r}\n"));
            }
        }
        if !self.corrections.is_empty() {
            out.push('\n');
            for line in &self.corrections {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}

/// One section of the article body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArticlePart {
    /// The section's name (`introduction`).
    pub section: String,
    /// Its latest text.
    pub text: String,
}
