//! The on-disk records: what the store writes, kept apart from the domain types in
//! [`crate::model`] so that changing a domain type never silently changes the format.
//!
//! Every value is a JSON object with an envelope version, `{"v":2, …}`, except source
//! digests ([`SourceDigestRecordV1`]), which are binary (a source's word hashes in JSON would
//! be three times their size and slow to read back). A record kind's
//! current version is the only one written; every version ever written stays readable and is
//! converted at the edge (`From`/`upgrade`). A record with a version newer than this build
//! knows is refused with [`StoreError::UnsupportedVersion`] rather than misread.
//!
//! The nested types (`PersonRecord`, `SectionRecord`, …) belong to the envelope versions that
//! use them: changing one means a new envelope version for every record that embeds it, with
//! the old shape kept here for reading.
//!
//! Decoding errors never quote the record: serde's messages can contain a fragment of the
//! value (a source's text), so only the error category and position are reported.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::model::{
    Approval, AuditEntry, AuditEvent, ChangeRequest, ChannelKey, ChannelStories, CitationStyle,
    Correction, CorrectionState, KeptConflict, PartialDate, Person, Platform, Posting, Publication,
    Reference, ReferenceKind, Revision, Section, Source, SourceSummary, Story, StoryId, Suggestion,
    SuggestionState, Timestamp, Timing,
};

/// The version written for story records.
pub(crate) const STORY_VERSION: u32 = 3;
/// The version written for revision records.
pub(crate) const REVISION_VERSION: u32 = 1;
/// The version written for source records.
pub(crate) const SOURCE_VERSION: u32 = 2;
/// The version written for audit records.
pub(crate) const AUDIT_VERSION: u32 = 2;
/// The version written for channel records.
pub(crate) const CHANNEL_VERSION: u32 = 1;
/// The version written for anchor records.
pub(crate) const ANCHOR_VERSION: u32 = 1;
/// The version written for assisted-draft records.
pub(crate) const SUGGESTION_VERSION: u32 = 1;
/// The version written for kept conflicting submissions.
pub(crate) const CONFLICT_VERSION: u32 = 1;
/// The version written for the revision a person last saw.
pub(crate) const SEEN_VERSION: u32 = 1;
/// The version written for processed-event records.
pub(crate) const EVENT_VERSION: u32 = 1;
/// The version written for source digests.
pub(crate) const SOURCE_DIGEST_VERSION: u32 = 1;

/// Just the envelope: read first to pick the record shape.
#[derive(Deserialize)]
struct Envelope {
    /// The record's version.
    v: u32,
}

/// Turns a serde_json error into a reason that quotes nothing from the record.
fn reason(e: &serde_json::Error) -> String {
    let message = e.to_string();
    // "missing field `x`" names one of our own fields, never a value: safe and useful.
    if message.starts_with("missing field") {
        return message;
    }
    let category = match e.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "malformed JSON",
        serde_json::error::Category::Data => "unexpected field or value",
        serde_json::error::Category::Eof => "truncated record",
    };
    format!("{category} at line {} column {}", e.line(), e.column())
}

/// Reads the envelope version of a record.
fn version(kind: &'static str, key: &dyn Fn() -> String, bytes: &[u8]) -> Result<u32, StoreError> {
    serde_json::from_slice::<Envelope>(bytes)
        .map(|e| e.v)
        .map_err(|e| StoreError::Corrupt {
            key: key(),
            reason: format!("{kind} record without a readable version: {}", reason(&e)),
        })
}

/// Parses a record of a known version.
fn parse<T: DeserializeOwned>(
    kind: &'static str,
    key: &dyn Fn() -> String,
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        key: key(),
        reason: format!("{kind} record: {}", reason(&e)),
    })
}

/// The error for a version this build cannot read: newer ones ask for an upgrade, older
/// unknown ones (which no build wrote) are corruption.
fn unreadable(kind: &'static str, key: &dyn Fn() -> String, v: u32, current: u32) -> StoreError {
    if v > current {
        StoreError::UnsupportedVersion { kind, version: v }
    } else {
        StoreError::Corrupt {
            key: key(),
            reason: format!("{kind} record has version {v}, which no storydesk has written"),
        }
    }
}

/// Decodes a record kind that has had a single version so far.
fn decode_single<T: DeserializeOwned>(
    kind: &'static str,
    current: u32,
    key: &dyn Fn() -> String,
    bytes: &[u8],
) -> Result<T, StoreError> {
    match version(kind, key, bytes)? {
        v if v == current => parse(kind, key, bytes),
        v => Err(unreadable(kind, key, v, current)),
    }
}

/// Encodes a record. Our records have string map keys only, so this fails only on a bug.
pub(crate) fn encode<T: Serialize>(kind: &'static str, record: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(record).map_err(|e| StoreError::Encode {
        kind,
        reason: reason(&e),
    })
}

// ---------------------------------------------------------------------------------------
// Nested types shared by the current envelope versions.

/// A person as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PersonRecord {
    /// The platform's stable id, which roles match.
    pub(crate) id: String,
    /// The display name at the time.
    pub(crate) name: String,
}

/// A platform as stored; the names are fixed here, not derived from the domain enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum PlatformRecord {
    /// The terminal console.
    #[serde(rename = "console")]
    Console,
    /// Slack.
    #[serde(rename = "slack")]
    Slack,
    /// Discord.
    #[serde(rename = "discord")]
    Discord,
}

/// A story's home channel as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChannelKeyRecord {
    /// The platform, so ids of different platforms never meet.
    pub(crate) platform: PlatformRecord,
    /// Team or guild id.
    pub(crate) team: String,
    /// Channel id.
    pub(crate) channel: String,
}

/// An approval as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApprovalRecord {
    /// The reviewer.
    pub(crate) by: PersonRecord,
    /// The revision approved.
    pub(crate) revision: u32,
    /// When, in Unix milliseconds.
    pub(crate) at: i64,
    /// A required reviewer's approval. Left out when false, so records written before
    /// required reviewers read unchanged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) required: bool,
}

/// A change request as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeRequestRecord {
    /// The reviewer.
    pub(crate) by: PersonRecord,
    /// What they asked for.
    pub(crate) note: String,
    /// The revision they looked at.
    pub(crate) revision: u32,
    /// When, in Unix milliseconds.
    pub(crate) at: i64,
    /// Whether it still blocks approval.
    pub(crate) open: bool,
}

/// A section's workflow state as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SectionRecord {
    /// The template's section name.
    pub(crate) name: String,
    /// Who owns it.
    pub(crate) owner: Option<PersonRecord>,
    /// The latest revision's number.
    pub(crate) revisions: u32,
    /// Every approval given.
    pub(crate) approvals: Vec<ApprovalRecord>,
    /// Every change request made.
    pub(crate) change_requests: Vec<ChangeRequestRecord>,
    /// Who has a kept conflicting submission of the section. Absent (and left out when
    /// empty) in records written before conflicts were kept, so those read unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) conflicts: Vec<PersonRecord>,
    /// The owner claimed the section or was assigned it (not merely wrote it first). Absent
    /// (and left out when false) in records written before claims were enforced.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) claimed: bool,
    /// Whose approval the latest revision needs on top of the quorum; left out when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) needs: Vec<String>,
}

/// A source's summary as kept in the story record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SourceSummaryRecord {
    /// The source's number.
    pub(crate) number: u32,
    /// Its label.
    pub(crate) label: String,
    /// Who added it.
    pub(crate) added_by: PersonRecord,
    /// When, in Unix milliseconds.
    pub(crate) at: i64,
    /// Size of the text in bytes.
    pub(crate) bytes: u64,
    /// Number of words.
    pub(crate) words: u64,
}

/// A partial date as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PartialDateRecord {
    /// The year.
    pub(crate) year: i32,
    /// The month, when known.
    pub(crate) month: Option<u8>,
    /// The day, when known.
    pub(crate) day: Option<u8>,
}

/// A reference's kind as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ReferenceKindRecord {
    /// A news article.
    #[serde(rename = "news")]
    News,
    /// A web page.
    #[serde(rename = "web")]
    Web,
    /// A forum post.
    #[serde(rename = "forum")]
    Forum,
}

/// A reference as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReferenceRecord {
    /// Its number in the story. Absent in records written before numbers were kept.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) number: u32,
    /// The author as written.
    pub(crate) author: Option<String>,
    /// The publication date.
    pub(crate) date: Option<PartialDateRecord>,
    /// The original title.
    pub(crate) title: String,
    /// The English translation of the title.
    pub(crate) translated: Option<String>,
    /// The outlet.
    pub(crate) outlet: Option<String>,
    /// The URL.
    pub(crate) url: Option<String>,
    /// What kind of work it is.
    pub(crate) kind: ReferenceKindRecord,
    /// True for material with no URL.
    pub(crate) offline: bool,
}

/// A citation style as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum CitationStyleRecord {
    /// APA 7.
    #[serde(rename = "apa")]
    Apa,
    /// MLA 9.
    #[serde(rename = "mla")]
    Mla,
    /// Chicago.
    #[serde(rename = "chicago")]
    Chicago,
}

/// A publication as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublicationRecord {
    /// Who published.
    pub(crate) by: PersonRecord,
    /// When, in Unix milliseconds.
    pub(crate) at: i64,
    /// Where it went.
    pub(crate) channel: String,
    /// The style used.
    pub(crate) style: CitationStyleRecord,
    /// The override reason, when checks were overridden.
    pub(crate) override_reason: Option<String>,
    /// While the article is being posted, how far it got (new in story version 3; absent
    /// once the article is complete, and in older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) posting: Option<PostingRecord>,
    /// The ids of the article's messages once all are up (new with corrections; absent
    /// while empty, and in older records).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) messages: Vec<String>,
    /// The corrections proposed after publication (absent while none, and in older
    /// records).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) corrections: Vec<CorrectionRecord>,
}

/// A correction of a published section, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CorrectionRecord {
    /// The section corrected.
    pub(crate) section: String,
    /// The revision holding the corrected text.
    pub(crate) revision: u32,
    /// The note readers see.
    pub(crate) note: String,
    /// Who proposed it.
    pub(crate) by: PersonRecord,
    /// When, in Unix milliseconds.
    pub(crate) at: i64,
    /// Where it stands.
    pub(crate) state: CorrectionStateRecord,
}

/// Where a correction stands, as stored. The tag and names are the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum CorrectionStateRecord {
    /// Waiting for its approval.
    Pending,
    /// Changes were asked for.
    ChangesRequested,
    /// Applied to the article at `at` (Unix milliseconds).
    Applied {
        /// When.
        at: i64,
    },
}

impl From<&Correction> for CorrectionRecord {
    fn from(c: &Correction) -> Self {
        CorrectionRecord {
            section: c.section.clone(),
            revision: c.revision,
            note: c.note.clone(),
            by: (&c.by).into(),
            at: c.at.0,
            state: match c.state {
                CorrectionState::Pending => CorrectionStateRecord::Pending,
                CorrectionState::ChangesRequested => CorrectionStateRecord::ChangesRequested,
                CorrectionState::Applied(at) => CorrectionStateRecord::Applied { at: at.0 },
            },
        }
    }
}

impl From<CorrectionRecord> for Correction {
    fn from(c: CorrectionRecord) -> Self {
        Correction {
            section: c.section,
            revision: c.revision,
            note: c.note,
            by: c.by.into(),
            at: Timestamp(c.at),
            state: match c.state {
                CorrectionStateRecord::Pending => CorrectionState::Pending,
                CorrectionStateRecord::ChangesRequested => CorrectionState::ChangesRequested,
                CorrectionStateRecord::Applied { at } => CorrectionState::Applied(Timestamp(at)),
            },
        }
    }
}

/// The posting of an article under way, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PostingRecord {
    /// How many messages the article takes, once posting has started.
    pub(crate) parts: Option<u32>,
    /// The platform's id of each message confirmed so far, in order.
    pub(crate) posted: Vec<String>,
    /// How many times posting has started.
    pub(crate) attempts: u32,
}

// ---------------------------------------------------------------------------------------
// Story: versions 1 and 2.

/// A story as the first format stored it: no citation style (every story was APA) and no
/// audit count (the log's length was implied by its entries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoryRecordV1 {
    /// Envelope version, always 1.
    pub(crate) v: u32,
    /// The story number.
    pub(crate) id: u64,
    /// The working title.
    pub(crate) title: String,
    /// The home channel.
    pub(crate) home: ChannelKeyRecord,
    /// Who started it.
    pub(crate) created_by: PersonRecord,
    /// When, in Unix milliseconds.
    pub(crate) created_at: i64,
    /// The template name.
    pub(crate) template: String,
    /// The sections in template order.
    pub(crate) sections: Vec<SectionRecord>,
    /// The sources without their text.
    pub(crate) sources: Vec<SourceSummaryRecord>,
    /// The references.
    pub(crate) references: Vec<ReferenceRecord>,
    /// The publication, once published.
    pub(crate) published: Option<PublicationRecord>,
    /// The change counter.
    pub(crate) version: u64,
}

/// A story as stored now (version 3). Version 2 has the same fields, its publication
/// without the posting state (which reads as none: a complete article), so this struct
/// reads both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoryRecordV3 {
    /// Envelope version: 3 when written by this build, 2 in older records.
    pub(crate) v: u32,
    /// The story number.
    pub(crate) id: u64,
    /// The working title.
    pub(crate) title: String,
    /// The home channel.
    pub(crate) home: ChannelKeyRecord,
    /// Who started it.
    pub(crate) created_by: PersonRecord,
    /// When, in Unix milliseconds.
    pub(crate) created_at: i64,
    /// The template name.
    pub(crate) template: String,
    /// The sections in template order.
    pub(crate) sections: Vec<SectionRecord>,
    /// The sources without their text.
    pub(crate) sources: Vec<SourceSummaryRecord>,
    /// The references.
    pub(crate) references: Vec<ReferenceRecord>,
    /// The story's citation style (new in version 2).
    pub(crate) style: CitationStyleRecord,
    /// The publication, once published.
    pub(crate) published: Option<PublicationRecord>,
    /// The number of audit entries, the next entry's sequence number (new in version 2).
    pub(crate) audit_len: u64,
    /// The change counter.
    pub(crate) version: u64,
    /// Due times, a scheduled publication, an embargo; left out while there are none.
    #[serde(default, skip_serializing_if = "Timing::is_empty")]
    pub(crate) timing: Timing,
}

/// A story record of any version this build reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoryRecord {
    /// The first format; needs the audit log's length to become current.
    V1(StoryRecordV1),
    /// The current format, or version 2 read as it.
    V3(StoryRecordV3),
}

/// Decodes a story record of any known version.
pub(crate) fn decode_story(
    key: &dyn Fn() -> String,
    bytes: &[u8],
) -> Result<StoryRecord, StoreError> {
    const KIND: &str = "story";
    match version(KIND, key, bytes)? {
        1 => parse(KIND, key, bytes).map(StoryRecord::V1),
        2 | 3 => parse(KIND, key, bytes).map(StoryRecord::V3),
        v => Err(unreadable(KIND, key, v, STORY_VERSION)),
    }
}

impl StoryRecordV1 {
    /// The current record for this story. Version 1 had no style (APA was the only one)
    /// and no audit count, which the caller finds by looking at the audit log.
    pub(crate) fn upgrade(self, audit_len: u64) -> StoryRecordV3 {
        StoryRecordV3 {
            v: STORY_VERSION,
            id: self.id,
            title: self.title,
            home: self.home,
            created_by: self.created_by,
            created_at: self.created_at,
            template: self.template,
            sections: self.sections,
            sources: self.sources,
            references: self.references,
            style: CitationStyleRecord::Apa,
            published: self.published,
            audit_len,
            version: self.version,
            timing: Timing::default(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The other records: one version each so far.

/// A revision as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RevisionRecordV1 {
    /// Envelope version, always 1.
    pub(crate) v: u32,
    /// The story number (also in the key; kept so a record stands on its own in an export).
    pub(crate) story: u64,
    /// The section name (also in the key, for the same reason).
    pub(crate) section: String,
    /// The revision number.
    pub(crate) number: u32,
    /// The revision it was written over.
    pub(crate) parent: Option<u32>,
    /// Who saved it.
    pub(crate) author: PersonRecord,
    /// When, in Unix milliseconds.
    pub(crate) at: i64,
    /// The section's text.
    pub(crate) text: String,
    /// Whether a drafting assistant wrote it.
    pub(crate) assisted: bool,
}

/// A source with its text, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SourceRecordV1 {
    /// Envelope version, always 1.
    pub(crate) v: u32,
    /// The story number.
    pub(crate) story: u64,
    /// The source number.
    pub(crate) number: u32,
    /// Its label.
    pub(crate) label: String,
    /// Who added it.
    pub(crate) added_by: PersonRecord,
    /// When, in Unix milliseconds.
    pub(crate) at: i64,
    /// The normalised text.
    pub(crate) text: String,
}

/// A source as stored since version 2: its text either plain or sealed with the operator's
/// source key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SourceRecordV2 {
    /// Envelope version, always 2.
    pub(crate) v: u32,
    /// The story number.
    pub(crate) story: u64,
    /// The source number.
    pub(crate) number: u32,
    /// Its label.
    pub(crate) label: String,
    /// Who added it.
    pub(crate) added_by: PersonRecord,
    /// When, in Unix milliseconds.
    pub(crate) at: i64,
    /// The normalised text, plain or sealed.
    pub(crate) body: SourceBodyRecord,
}

/// A source's text as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "lowercase")]
pub(crate) enum SourceBodyRecord {
    /// Stored as is (no source key configured when it was written).
    Text(String),
    /// Sealed with XChaCha20-Poly1305 under the source key, bound to the record's key.
    Sealed(super::seal::Sealed),
}

impl From<SourceRecordV1> for SourceRecordV2 {
    fn from(old: SourceRecordV1) -> Self {
        SourceRecordV2 {
            v: SOURCE_VERSION,
            story: old.story,
            number: old.number,
            label: old.label,
            added_by: old.added_by,
            at: old.at,
            body: SourceBodyRecord::Text(old.text),
        }
    }
}

/// An audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditRecordV1 {
    /// Envelope version, always 1.
    pub(crate) v: u32,
    /// The sequence number (also in the key).
    pub(crate) seq: u64,
    /// When, in Unix milliseconds.
    pub(crate) at: i64,
    /// Who acted.
    pub(crate) actor: PersonRecord,
    /// What happened.
    pub(crate) action: String,
}

/// An audit entry as stored since entries carry their data: the event, not a sentence, so
/// that rewording a message never rewrites history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditRecordV2 {
    /// Envelope version, always 2.
    pub(crate) v: u32,
    /// The sequence number (also in the key).
    pub(crate) seq: u64,
    /// When, in Unix milliseconds.
    pub(crate) at: i64,
    /// Who acted.
    pub(crate) actor: PersonRecord,
    /// What happened.
    pub(crate) event: AuditEventRecord,
}

/// What an audit entry records, as stored. The tag and field names are the format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum AuditEventRecord {
    Started {
        title: String,
    },
    Wrote {
        section: String,
        revision: u32,
    },
    DraftAccepted {
        section: String,
        draft: u32,
        revision: u32,
        edited: bool,
    },
    SourceAdded {
        source: u32,
        label: String,
        bytes: u64,
    },
    SourceViewed {
        source: u32,
    },
    SourcesPurged {
        count: u64,
        bytes: u64,
    },
    Claimed {
        section: String,
    },
    Assigned {
        section: String,
        to: PersonRecord,
    },
    DueSet {
        section: Option<String>,
        at: Option<i64>,
    },
    PublishScheduled {
        at: Option<i64>,
    },
    Embargoed {
        until: Option<i64>,
    },
    TookOver {
        section: String,
        from: PersonRecord,
    },
    WriteRefused {
        section: String,
        holder: PersonRecord,
    },
    WriteRefusedDraft {
        section: String,
        draft: u32,
    },
    ConflictKept {
        section: String,
        base: u32,
        latest: u32,
    },
    Approved {
        section: String,
        revision: u32,
    },
    ChangeRequestWithdrawn {
        section: String,
        revision: u32,
    },
    ChangesRequested {
        section: String,
        revision: u32,
    },
    ReferenceAdded {
        number: u32,
        title: String,
    },
    ReferenceEdited {
        number: u32,
        title: String,
    },
    ReferenceRemoved {
        number: u32,
        title: String,
    },
    DraftRequested {
        section: String,
        draft: u32,
        drafter: String,
    },
    DraftDiscarded {
        section: String,
        draft: u32,
    },
    Published {
        channel: String,
        overridden: Vec<String>,
        errors: u32,
        reason: Option<String>,
    },
    PublicationFailed {
        channel: String,
    },
    PublicationIncomplete {
        channel: String,
        up: u32,
        parts: Option<u32>,
    },
    PublishResumed {
        channel: String,
        up: u32,
    },
    CorrectionProposed {
        section: String,
        revision: u32,
        note: String,
    },
    CorrectionApplied {
        section: String,
        revision: u32,
    },
    Recorded {
        text: String,
    },
}

/// A channel's stories as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChannelRecordV1 {
    /// Envelope version, always 1.
    pub(crate) v: u32,
    /// The stories started in the channel, oldest first.
    pub(crate) stories: Vec<u64>,
    /// The latest story started in the channel.
    pub(crate) active: Option<u64>,
    /// Each person's active story, by platform id. Absent in records written before people
    /// had their own (everyone then starts on `active`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub(crate) people: std::collections::BTreeMap<String, u64>,
}

/// An adapter's anchor as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnchorRecordV1 {
    /// Envelope version, always 1.
    pub(crate) v: u32,
    /// The opaque value the adapter keeps.
    pub(crate) value: String,
}

/// A processed event, in the `events` tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventRecordV1 {
    /// Envelope version, always 1.
    pub(crate) v: u32,
    /// When the event was first processed, in Unix milliseconds (for operators reading a dump).
    pub(crate) claimed_at: i64,
    /// From this instant on the key may be claimed again and may be purged.
    pub(crate) expires_at: i64,
}

/// Where an assisted draft stands, as stored. The names are fixed here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", deny_unknown_fields)]
pub(crate) enum SuggestionStateRecord {
    /// Being written.
    #[serde(rename = "drafting")]
    Drafting,
    /// Written in full.
    #[serde(rename = "ready")]
    Ready,
    /// Stopped before the end; text kept.
    #[serde(rename = "partial")]
    Partial {
        /// Why it stopped.
        reason: String,
    },
    /// Nothing usable came back.
    #[serde(rename = "failed")]
    Failed {
        /// Why.
        reason: String,
    },
    /// Became a revision.
    #[serde(rename = "accepted")]
    Accepted {
        /// Who accepted it.
        by: PersonRecord,
        /// The revision it became.
        revision: u32,
        /// Whether it was edited first.
        edited: bool,
    },
    /// Thrown away.
    #[serde(rename = "discarded")]
    Discarded {
        /// Who discarded it.
        by: PersonRecord,
    },
}

/// What a draft proposes: its text, the other candidates and the notes shown with it. It
/// is made from the sources, so it is sealed like them when a source key is configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SuggestionContentRecord {
    /// The proposed text.
    pub(crate) text: String,
    /// Other candidates.
    pub(crate) alternatives: Vec<String>,
    /// Remarks shown with it.
    pub(crate) notes: Vec<String>,
}

/// A draft's content as stored: plain, or sealed (the JSON of a
/// [`SuggestionContentRecord`], sealed under the source key, bound to the record's key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "lowercase")]
pub(crate) enum SuggestionBodyRecord {
    /// Stored as is (no source key configured when it was written).
    Plain(SuggestionContentRecord),
    /// Sealed with the source key.
    Sealed(super::seal::Sealed),
}

/// The latest assisted draft of one section, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SuggestionRecordV1 {
    /// Envelope version, always 1.
    pub(crate) v: u32,
    /// The story number (also in the key).
    pub(crate) story: u64,
    /// The section name (also in the key).
    pub(crate) section: String,
    /// The draft's number within the section.
    pub(crate) number: u32,
    /// Who asked for it.
    pub(crate) requested_by: PersonRecord,
    /// When, in Unix milliseconds.
    pub(crate) requested_at: i64,
    /// The person's guidance for the drafter.
    pub(crate) guidance: Option<String>,
    /// Which drafter wrote it, as shown.
    pub(crate) drafter: String,
    /// Where it stands.
    pub(crate) status: SuggestionStateRecord,
    /// What it proposes, plain or sealed.
    pub(crate) content: SuggestionBodyRecord,
    /// The section's latest revision when the draft was asked for; absent in older records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) base: Option<u32>,
}

/// Decodes an assisted-draft record.
pub(crate) fn decode_suggestion(
    key: &dyn Fn() -> String,
    bytes: &[u8],
) -> Result<SuggestionRecordV1, StoreError> {
    decode_single("suggestion", SUGGESTION_VERSION, key, bytes)
}

/// A kept conflicting submission as stored (like a revision: the text is the person's own
/// writing, not source material, so it is not sealed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConflictRecordV1 {
    /// Envelope version, always 1.
    pub(crate) v: u32,
    /// The story number (also in the key).
    pub(crate) story: u64,
    /// The section name (also in the key).
    pub(crate) section: String,
    /// Who submitted it (their id is also in the key).
    pub(crate) author: PersonRecord,
    /// When, in Unix milliseconds.
    pub(crate) at: i64,
    /// The revision it was written over.
    pub(crate) base: u32,
    /// The latest revision it overlapped.
    pub(crate) latest: u32,
    /// The submitted text.
    pub(crate) text: String,
}

/// Decodes a kept conflicting submission.
pub(crate) fn decode_conflict(
    key: &dyn Fn() -> String,
    bytes: &[u8],
) -> Result<ConflictRecordV1, StoreError> {
    decode_single("conflict", CONFLICT_VERSION, key, bytes)
}

/// The revision of a section a person last saw, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeenRecordV1 {
    /// Envelope version, always 1.
    pub(crate) v: u32,
    /// The revision number.
    pub(crate) revision: u32,
}

/// Decodes a seen record.
pub(crate) fn decode_seen(
    key: &dyn Fn() -> String,
    bytes: &[u8],
) -> Result<SeenRecordV1, StoreError> {
    decode_single("seen", SEEN_VERSION, key, bytes)
}

impl From<&KeptConflict> for ConflictRecordV1 {
    fn from(c: &KeptConflict) -> Self {
        ConflictRecordV1 {
            v: CONFLICT_VERSION,
            story: c.story.0,
            section: c.section.clone(),
            author: (&c.author).into(),
            at: c.at.0,
            base: c.base,
            latest: c.latest,
            text: c.text.clone(),
        }
    }
}

impl From<ConflictRecordV1> for KeptConflict {
    fn from(c: ConflictRecordV1) -> Self {
        KeptConflict {
            story: StoryId(c.story),
            section: c.section,
            author: c.author.into(),
            at: Timestamp(c.at),
            base: c.base,
            latest: c.latest,
            text: c.text,
        }
    }
}

/// Decodes a revision record.
pub(crate) fn decode_revision(
    key: &dyn Fn() -> String,
    bytes: &[u8],
) -> Result<RevisionRecordV1, StoreError> {
    decode_single("revision", REVISION_VERSION, key, bytes)
}

/// Decodes a source record of any version into the current shape.
pub(crate) fn decode_source(
    key: &dyn Fn() -> String,
    bytes: &[u8],
) -> Result<SourceRecordV2, StoreError> {
    match version("source", key, bytes)? {
        1 => parse::<SourceRecordV1>("source", key, bytes).map(SourceRecordV2::from),
        SOURCE_VERSION => parse("source", key, bytes),
        v => Err(unreadable("source", key, v, SOURCE_VERSION)),
    }
}

/// Decodes an audit record.
pub(crate) fn decode_audit(
    key: &dyn Fn() -> String,
    bytes: &[u8],
) -> Result<AuditRecordV2, StoreError> {
    const KIND: &str = "audit";
    match version(KIND, key, bytes)? {
        1 => parse::<AuditRecordV1>(KIND, key, bytes).map(AuditRecordV2::from),
        AUDIT_VERSION => parse(KIND, key, bytes),
        v => Err(unreadable(KIND, key, v, AUDIT_VERSION)),
    }
}

/// Decodes a channel record.
pub(crate) fn decode_channel(
    key: &dyn Fn() -> String,
    bytes: &[u8],
) -> Result<ChannelRecordV1, StoreError> {
    decode_single("channel", CHANNEL_VERSION, key, bytes)
}

/// Decodes an anchor record.
pub(crate) fn decode_anchor(
    key: &dyn Fn() -> String,
    bytes: &[u8],
) -> Result<AnchorRecordV1, StoreError> {
    decode_single("anchor", ANCHOR_VERSION, key, bytes)
}

/// Decodes a scheduled job's record.
pub(crate) fn decode_job<T: DeserializeOwned>(
    key: &dyn Fn() -> String,
    current: u32,
    bytes: &[u8],
) -> Result<T, StoreError> {
    decode_single("job", current, key, bytes)
}

/// Decodes a person's settings.
pub(crate) fn decode_person<T: DeserializeOwned>(
    key: &dyn Fn() -> String,
    current: u32,
    bytes: &[u8],
) -> Result<T, StoreError> {
    decode_single("person", current, key, bytes)
}

/// Decodes a processed-event record.
pub(crate) fn decode_event(
    key: &dyn Fn() -> String,
    bytes: &[u8],
) -> Result<EventRecordV1, StoreError> {
    decode_single("event", EVENT_VERSION, key, bytes)
}

// ---------------------------------------------------------------------------------------
// Conversions between records and domain types.

impl From<&Person> for PersonRecord {
    fn from(p: &Person) -> Self {
        PersonRecord {
            id: p.id.clone(),
            name: p.name.clone(),
        }
    }
}

impl From<PersonRecord> for Person {
    fn from(p: PersonRecord) -> Self {
        Person {
            id: p.id,
            name: p.name,
        }
    }
}

impl From<Platform> for PlatformRecord {
    fn from(p: Platform) -> Self {
        match p {
            Platform::Console => PlatformRecord::Console,
            Platform::Slack => PlatformRecord::Slack,
            Platform::Discord => PlatformRecord::Discord,
        }
    }
}

impl From<PlatformRecord> for Platform {
    fn from(p: PlatformRecord) -> Self {
        match p {
            PlatformRecord::Console => Platform::Console,
            PlatformRecord::Slack => Platform::Slack,
            PlatformRecord::Discord => Platform::Discord,
        }
    }
}

impl From<&ChannelKey> for ChannelKeyRecord {
    fn from(c: &ChannelKey) -> Self {
        ChannelKeyRecord {
            platform: c.platform.into(),
            team: c.team.clone(),
            channel: c.channel.clone(),
        }
    }
}

impl From<ChannelKeyRecord> for ChannelKey {
    fn from(c: ChannelKeyRecord) -> Self {
        ChannelKey {
            platform: c.platform.into(),
            team: c.team,
            channel: c.channel,
        }
    }
}

impl From<&Approval> for ApprovalRecord {
    fn from(a: &Approval) -> Self {
        ApprovalRecord {
            by: (&a.by).into(),
            revision: a.revision,
            at: a.at.0,
            required: a.required,
        }
    }
}

impl From<ApprovalRecord> for Approval {
    fn from(a: ApprovalRecord) -> Self {
        Approval {
            by: a.by.into(),
            revision: a.revision,
            at: Timestamp(a.at),
            required: a.required,
        }
    }
}

impl From<&ChangeRequest> for ChangeRequestRecord {
    fn from(c: &ChangeRequest) -> Self {
        ChangeRequestRecord {
            by: (&c.by).into(),
            note: c.note.clone(),
            revision: c.revision,
            at: c.at.0,
            open: c.open,
        }
    }
}

impl From<ChangeRequestRecord> for ChangeRequest {
    fn from(c: ChangeRequestRecord) -> Self {
        ChangeRequest {
            by: c.by.into(),
            note: c.note,
            revision: c.revision,
            at: Timestamp(c.at),
            open: c.open,
        }
    }
}

impl From<&Section> for SectionRecord {
    fn from(s: &Section) -> Self {
        SectionRecord {
            name: s.name.clone(),
            owner: s.owner.as_ref().map(PersonRecord::from),
            revisions: s.revisions,
            approvals: s.approvals.iter().map(ApprovalRecord::from).collect(),
            change_requests: s
                .change_requests
                .iter()
                .map(ChangeRequestRecord::from)
                .collect(),
            conflicts: s.conflicts.iter().map(PersonRecord::from).collect(),
            claimed: s.claimed,
            needs: s.needs.clone(),
        }
    }
}

impl From<SectionRecord> for Section {
    fn from(s: SectionRecord) -> Self {
        Section {
            name: s.name,
            owner: s.owner.map(Person::from),
            revisions: s.revisions,
            approvals: s.approvals.into_iter().map(Approval::from).collect(),
            change_requests: s
                .change_requests
                .into_iter()
                .map(ChangeRequest::from)
                .collect(),
            conflicts: s.conflicts.into_iter().map(Person::from).collect(),
            claimed: s.claimed,
            needs: s.needs,
        }
    }
}

impl From<&SourceSummary> for SourceSummaryRecord {
    fn from(s: &SourceSummary) -> Self {
        SourceSummaryRecord {
            number: s.number,
            label: s.label.clone(),
            added_by: (&s.added_by).into(),
            at: s.at.0,
            bytes: s.bytes,
            words: s.words,
        }
    }
}

impl From<SourceSummaryRecord> for SourceSummary {
    fn from(s: SourceSummaryRecord) -> Self {
        SourceSummary {
            number: s.number,
            label: s.label,
            added_by: s.added_by.into(),
            at: Timestamp(s.at),
            bytes: s.bytes,
            words: s.words,
        }
    }
}

impl From<&PartialDate> for PartialDateRecord {
    fn from(d: &PartialDate) -> Self {
        PartialDateRecord {
            year: d.year,
            month: d.month,
            day: d.day,
        }
    }
}

impl From<PartialDateRecord> for PartialDate {
    fn from(d: PartialDateRecord) -> Self {
        PartialDate {
            year: d.year,
            month: d.month,
            day: d.day,
        }
    }
}

impl From<ReferenceKind> for ReferenceKindRecord {
    fn from(k: ReferenceKind) -> Self {
        match k {
            ReferenceKind::News => ReferenceKindRecord::News,
            ReferenceKind::Web => ReferenceKindRecord::Web,
            ReferenceKind::Forum => ReferenceKindRecord::Forum,
        }
    }
}

impl From<ReferenceKindRecord> for ReferenceKind {
    fn from(k: ReferenceKindRecord) -> Self {
        match k {
            ReferenceKindRecord::News => ReferenceKind::News,
            ReferenceKindRecord::Web => ReferenceKind::Web,
            ReferenceKindRecord::Forum => ReferenceKind::Forum,
        }
    }
}

impl From<&Reference> for ReferenceRecord {
    fn from(r: &Reference) -> Self {
        ReferenceRecord {
            number: r.number,
            author: r.author.clone(),
            date: r.date.as_ref().map(PartialDateRecord::from),
            title: r.title.clone(),
            translated: r.translated.clone(),
            outlet: r.outlet.clone(),
            url: r.url.clone(),
            kind: r.kind.into(),
            offline: r.offline,
        }
    }
}

impl From<ReferenceRecord> for Reference {
    fn from(r: ReferenceRecord) -> Self {
        Reference {
            number: r.number,
            author: r.author,
            date: r.date.map(PartialDate::from),
            title: r.title,
            translated: r.translated,
            outlet: r.outlet,
            url: r.url,
            kind: r.kind.into(),
            offline: r.offline,
        }
    }
}

impl From<CitationStyle> for CitationStyleRecord {
    fn from(s: CitationStyle) -> Self {
        match s {
            CitationStyle::Apa => CitationStyleRecord::Apa,
            CitationStyle::Mla => CitationStyleRecord::Mla,
            CitationStyle::Chicago => CitationStyleRecord::Chicago,
        }
    }
}

impl From<CitationStyleRecord> for CitationStyle {
    fn from(s: CitationStyleRecord) -> Self {
        match s {
            CitationStyleRecord::Apa => CitationStyle::Apa,
            CitationStyleRecord::Mla => CitationStyle::Mla,
            CitationStyleRecord::Chicago => CitationStyle::Chicago,
        }
    }
}

impl From<&Publication> for PublicationRecord {
    fn from(p: &Publication) -> Self {
        PublicationRecord {
            by: (&p.by).into(),
            at: p.at.0,
            channel: p.channel.clone(),
            style: p.style.into(),
            override_reason: p.override_reason.clone(),
            posting: p.posting.as_ref().map(|p| PostingRecord {
                parts: p.parts,
                posted: p.posted.clone(),
                attempts: p.attempts,
            }),
            messages: p.messages.clone(),
            corrections: p.corrections.iter().map(CorrectionRecord::from).collect(),
        }
    }
}

impl From<PublicationRecord> for Publication {
    fn from(p: PublicationRecord) -> Self {
        Publication {
            by: p.by.into(),
            at: Timestamp(p.at),
            channel: p.channel,
            style: p.style.into(),
            override_reason: p.override_reason,
            posting: p.posting.map(|p| Posting {
                parts: p.parts,
                posted: p.posted,
                attempts: p.attempts,
            }),
            messages: p.messages,
            corrections: p.corrections.into_iter().map(Correction::from).collect(),
        }
    }
}

impl From<&Story> for StoryRecordV3 {
    fn from(s: &Story) -> Self {
        StoryRecordV3 {
            v: STORY_VERSION,
            id: s.id.0,
            title: s.title.clone(),
            home: (&s.home).into(),
            created_by: (&s.created_by).into(),
            created_at: s.created_at.0,
            template: s.template.clone(),
            sections: s.sections.iter().map(SectionRecord::from).collect(),
            sources: s.sources.iter().map(SourceSummaryRecord::from).collect(),
            references: s.references.iter().map(ReferenceRecord::from).collect(),
            style: s.style.into(),
            published: s.published.as_ref().map(PublicationRecord::from),
            audit_len: s.audit_len,
            version: s.version,
            timing: s.timing.clone(),
        }
    }
}

impl From<StoryRecordV3> for Story {
    fn from(s: StoryRecordV3) -> Self {
        Story {
            id: StoryId(s.id),
            title: s.title,
            home: s.home.into(),
            created_by: s.created_by.into(),
            created_at: Timestamp(s.created_at),
            template: s.template,
            sections: s.sections.into_iter().map(Section::from).collect(),
            sources: s.sources.into_iter().map(SourceSummary::from).collect(),
            references: number_references(s.references.into_iter().map(Reference::from).collect()),
            style: s.style.into(),
            published: s.published.map(Publication::from),
            audit_len: s.audit_len,
            version: s.version,
            timing: s.timing,
        }
    }
}

impl From<&Revision> for RevisionRecordV1 {
    fn from(r: &Revision) -> Self {
        RevisionRecordV1 {
            v: REVISION_VERSION,
            story: r.story.0,
            section: r.section.clone(),
            number: r.number,
            parent: r.parent,
            author: (&r.author).into(),
            at: r.at.0,
            text: r.text.clone(),
            assisted: r.assisted,
        }
    }
}

impl From<RevisionRecordV1> for Revision {
    fn from(r: RevisionRecordV1) -> Self {
        Revision {
            story: StoryId(r.story),
            section: r.section,
            number: r.number,
            parent: r.parent,
            author: r.author.into(),
            at: Timestamp(r.at),
            text: r.text,
            assisted: r.assisted,
        }
    }
}

impl SourceRecordV2 {
    /// The record of `source`, its text as given by `body`.
    pub(crate) fn new(s: &Source, body: SourceBodyRecord) -> Self {
        SourceRecordV2 {
            v: SOURCE_VERSION,
            story: s.story.0,
            number: s.number,
            label: s.label.clone(),
            added_by: (&s.added_by).into(),
            at: s.at.0,
            body,
        }
    }

    /// The domain source, with its opened text.
    pub(crate) fn into_source(self, text: String) -> Source {
        Source {
            story: StoryId(self.story),
            number: self.number,
            label: self.label,
            added_by: self.added_by.into(),
            at: Timestamp(self.at),
            text,
        }
    }
}

impl From<AuditRecordV1> for AuditRecordV2 {
    /// A first-format entry was a sentence; it reads as one.
    fn from(a: AuditRecordV1) -> Self {
        AuditRecordV2 {
            v: AUDIT_VERSION,
            seq: a.seq,
            at: a.at,
            actor: a.actor,
            event: AuditEventRecord::Recorded { text: a.action },
        }
    }
}

impl From<&AuditEntry> for AuditRecordV2 {
    fn from(a: &AuditEntry) -> Self {
        AuditRecordV2 {
            v: AUDIT_VERSION,
            seq: a.seq,
            at: a.at.0,
            actor: (&a.actor).into(),
            event: (&a.event).into(),
        }
    }
}

impl From<AuditRecordV2> for AuditEntry {
    fn from(a: AuditRecordV2) -> Self {
        AuditEntry {
            seq: a.seq,
            at: Timestamp(a.at),
            actor: a.actor.into(),
            event: a.event.into(),
        }
    }
}

impl From<&AuditEvent> for AuditEventRecord {
    fn from(e: &AuditEvent) -> Self {
        use AuditEvent as E;
        use AuditEventRecord as R;
        match e.clone() {
            E::Started { title } => R::Started { title },
            E::Wrote { section, revision } => R::Wrote { section, revision },
            E::DraftAccepted {
                section,
                draft,
                revision,
                edited,
            } => R::DraftAccepted {
                section,
                draft,
                revision,
                edited,
            },
            E::SourceAdded {
                source,
                label,
                bytes,
            } => R::SourceAdded {
                source,
                label,
                bytes,
            },
            E::SourceViewed { source } => R::SourceViewed { source },
            E::SourcesPurged { count, bytes } => R::SourcesPurged { count, bytes },
            E::Claimed { section } => R::Claimed { section },
            E::Assigned { section, to } => R::Assigned {
                section,
                to: (&to).into(),
            },
            E::DueSet { section, at } => R::DueSet {
                section,
                at: at.map(|t| t.0),
            },
            E::PublishScheduled { at } => R::PublishScheduled {
                at: at.map(|t| t.0),
            },
            E::Embargoed { until } => R::Embargoed {
                until: until.map(|t| t.0),
            },
            E::TookOver { section, from } => R::TookOver {
                section,
                from: (&from).into(),
            },
            E::WriteRefused { section, holder } => R::WriteRefused {
                section,
                holder: (&holder).into(),
            },
            E::WriteRefusedDraft { section, draft } => R::WriteRefusedDraft { section, draft },
            E::ConflictKept {
                section,
                base,
                latest,
            } => R::ConflictKept {
                section,
                base,
                latest,
            },
            E::Approved { section, revision } => R::Approved { section, revision },
            E::ChangeRequestWithdrawn { section, revision } => {
                R::ChangeRequestWithdrawn { section, revision }
            }
            E::ChangesRequested { section, revision } => R::ChangesRequested { section, revision },
            E::ReferenceAdded { number, title } => R::ReferenceAdded { number, title },
            E::ReferenceEdited { number, title } => R::ReferenceEdited { number, title },
            E::ReferenceRemoved { number, title } => R::ReferenceRemoved { number, title },
            E::DraftRequested {
                section,
                draft,
                drafter,
            } => R::DraftRequested {
                section,
                draft,
                drafter,
            },
            E::DraftDiscarded { section, draft } => R::DraftDiscarded { section, draft },
            E::Published {
                channel,
                overridden,
                errors,
                reason,
            } => R::Published {
                channel,
                overridden,
                errors,
                reason,
            },
            E::PublicationFailed { channel } => R::PublicationFailed { channel },
            E::PublicationIncomplete { channel, up, parts } => {
                R::PublicationIncomplete { channel, up, parts }
            }
            E::PublishResumed { channel, up } => R::PublishResumed { channel, up },
            E::CorrectionProposed {
                section,
                revision,
                note,
            } => R::CorrectionProposed {
                section,
                revision,
                note,
            },
            E::CorrectionApplied { section, revision } => {
                R::CorrectionApplied { section, revision }
            }
            E::Recorded { text } => R::Recorded { text },
        }
    }
}

impl From<AuditEventRecord> for AuditEvent {
    fn from(r: AuditEventRecord) -> Self {
        use AuditEvent as E;
        use AuditEventRecord as R;
        match r {
            R::Started { title } => E::Started { title },
            R::Wrote { section, revision } => E::Wrote { section, revision },
            R::DraftAccepted {
                section,
                draft,
                revision,
                edited,
            } => E::DraftAccepted {
                section,
                draft,
                revision,
                edited,
            },
            R::SourceAdded {
                source,
                label,
                bytes,
            } => E::SourceAdded {
                source,
                label,
                bytes,
            },
            R::SourceViewed { source } => E::SourceViewed { source },
            R::SourcesPurged { count, bytes } => E::SourcesPurged { count, bytes },
            R::Claimed { section } => E::Claimed { section },
            R::Assigned { section, to } => E::Assigned {
                section,
                to: to.into(),
            },
            R::DueSet { section, at } => E::DueSet {
                section,
                at: at.map(Timestamp),
            },
            R::PublishScheduled { at } => E::PublishScheduled {
                at: at.map(Timestamp),
            },
            R::Embargoed { until } => E::Embargoed {
                until: until.map(Timestamp),
            },
            R::TookOver { section, from } => E::TookOver {
                section,
                from: from.into(),
            },
            R::WriteRefused { section, holder } => E::WriteRefused {
                section,
                holder: holder.into(),
            },
            R::WriteRefusedDraft { section, draft } => E::WriteRefusedDraft { section, draft },
            R::ConflictKept {
                section,
                base,
                latest,
            } => E::ConflictKept {
                section,
                base,
                latest,
            },
            R::Approved { section, revision } => E::Approved { section, revision },
            R::ChangeRequestWithdrawn { section, revision } => {
                E::ChangeRequestWithdrawn { section, revision }
            }
            R::ChangesRequested { section, revision } => E::ChangesRequested { section, revision },
            R::ReferenceAdded { number, title } => E::ReferenceAdded { number, title },
            R::ReferenceEdited { number, title } => E::ReferenceEdited { number, title },
            R::ReferenceRemoved { number, title } => E::ReferenceRemoved { number, title },
            R::DraftRequested {
                section,
                draft,
                drafter,
            } => E::DraftRequested {
                section,
                draft,
                drafter,
            },
            R::DraftDiscarded { section, draft } => E::DraftDiscarded { section, draft },
            R::Published {
                channel,
                overridden,
                errors,
                reason,
            } => E::Published {
                channel,
                overridden,
                errors,
                reason,
            },
            R::PublicationFailed { channel } => E::PublicationFailed { channel },
            R::PublicationIncomplete { channel, up, parts } => {
                E::PublicationIncomplete { channel, up, parts }
            }
            R::PublishResumed { channel, up } => E::PublishResumed { channel, up },
            R::CorrectionProposed {
                section,
                revision,
                note,
            } => E::CorrectionProposed {
                section,
                revision,
                note,
            },
            R::CorrectionApplied { section, revision } => {
                E::CorrectionApplied { section, revision }
            }
            R::Recorded { text } => E::Recorded { text },
        }
    }
}

impl From<&ChannelStories> for ChannelRecordV1 {
    fn from(c: &ChannelStories) -> Self {
        ChannelRecordV1 {
            v: CHANNEL_VERSION,
            stories: c.stories.iter().map(|s| s.0).collect(),
            active: c.active.map(|s| s.0),
            people: c.people.iter().map(|(p, s)| (p.clone(), s.0)).collect(),
        }
    }
}

impl From<ChannelRecordV1> for ChannelStories {
    fn from(c: ChannelRecordV1) -> Self {
        ChannelStories {
            stories: c.stories.into_iter().map(StoryId).collect(),
            active: c.active.map(StoryId),
            people: c.people.into_iter().map(|(p, s)| (p, StoryId(s))).collect(),
        }
    }
}

impl From<&SuggestionState> for SuggestionStateRecord {
    fn from(s: &SuggestionState) -> Self {
        match s {
            SuggestionState::Drafting => SuggestionStateRecord::Drafting,
            SuggestionState::Ready => SuggestionStateRecord::Ready,
            SuggestionState::Partial { reason } => SuggestionStateRecord::Partial {
                reason: reason.clone(),
            },
            SuggestionState::Failed { reason } => SuggestionStateRecord::Failed {
                reason: reason.clone(),
            },
            SuggestionState::Accepted {
                by,
                revision,
                edited,
            } => SuggestionStateRecord::Accepted {
                by: by.into(),
                revision: *revision,
                edited: *edited,
            },
            SuggestionState::Discarded { by } => SuggestionStateRecord::Discarded { by: by.into() },
        }
    }
}

impl From<SuggestionStateRecord> for SuggestionState {
    fn from(s: SuggestionStateRecord) -> Self {
        match s {
            SuggestionStateRecord::Drafting => SuggestionState::Drafting,
            SuggestionStateRecord::Ready => SuggestionState::Ready,
            SuggestionStateRecord::Partial { reason } => SuggestionState::Partial { reason },
            SuggestionStateRecord::Failed { reason } => SuggestionState::Failed { reason },
            SuggestionStateRecord::Accepted {
                by,
                revision,
                edited,
            } => SuggestionState::Accepted {
                by: by.into(),
                revision,
                edited,
            },
            SuggestionStateRecord::Discarded { by } => SuggestionState::Discarded { by: by.into() },
        }
    }
}

impl SuggestionRecordV1 {
    /// The record of `s`, its content as given by `content`.
    pub(crate) fn new(s: &Suggestion, content: SuggestionBodyRecord) -> Self {
        SuggestionRecordV1 {
            v: SUGGESTION_VERSION,
            story: s.story.0,
            section: s.section.clone(),
            number: s.number,
            requested_by: (&s.requested_by).into(),
            requested_at: s.requested_at.0,
            guidance: s.guidance.clone(),
            drafter: s.drafter.clone(),
            status: (&s.state).into(),
            content,
            base: s.base,
        }
    }

    /// The draft, with its content as opened by the caller.
    pub(crate) fn into_suggestion(self, content: SuggestionContentRecord) -> Suggestion {
        Suggestion {
            story: StoryId(self.story),
            section: self.section,
            number: self.number,
            requested_by: self.requested_by.into(),
            requested_at: Timestamp(self.requested_at),
            guidance: self.guidance,
            drafter: self.drafter,
            state: self.status.into(),
            text: content.text,
            alternatives: content.alternatives,
            notes: content.notes,
            base: self.base,
        }
    }
}

impl From<&Suggestion> for SuggestionContentRecord {
    fn from(s: &Suggestion) -> Self {
        SuggestionContentRecord {
            text: s.text.clone(),
            alternatives: s.alternatives.clone(),
            notes: s.notes.clone(),
        }
    }
}

/// Serde: leave a zero number out.
fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// References read from a record written before they kept numbers get the next free ones,
/// in order (their positions then).
fn number_references(mut refs: Vec<Reference>) -> Vec<Reference> {
    let mut next = refs.iter().map(|r| r.number).max().unwrap_or(0);
    for r in refs.iter_mut().filter(|r| r.number == 0) {
        next += 1;
        r.number = next;
    }
    refs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_stored_without_numbers_are_numbered_in_order_after_the_numbered() {
        let old = r#"{"author":null,"date":null,"title":"Old","translated":null,"outlet":null,"url":null,"kind":"news","offline":true}"#;
        let record: ReferenceRecord = serde_json::from_str(old).unwrap();
        assert_eq!(record.number, 0);
        let numbered = Reference {
            number: 4,
            ..Reference::from(record.clone())
        };
        let refs = number_references(vec![
            Reference::from(record.clone()),
            numbered,
            Reference::from(record),
        ]);
        let numbers: Vec<u32> = refs.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [5, 4, 6]);
        // Written back, a number is kept.
        let json = serde_json::to_string(&ReferenceRecord::from(&refs[0])).unwrap();
        assert!(json.contains(r#""number":5"#), "{json}");
    }

    fn key() -> String {
        "test key".to_string()
    }

    #[test]
    fn records_carry_their_envelope_version_first_class() {
        let rec = ChannelRecordV1::from(&ChannelStories {
            stories: vec![StoryId(1), StoryId(3)],
            active: Some(StoryId(3)),
            people: Default::default(),
        });
        let bytes = encode("channel", &rec).unwrap();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"{"v":1,"stories":[1,3],"active":3}"#
        );
        assert_eq!(decode_channel(&key, &bytes).unwrap(), rec);
    }

    #[test]
    fn a_channel_keeps_each_persons_active_story_and_reads_older_records() {
        let rec = ChannelRecordV1::from(&ChannelStories {
            stories: vec![StoryId(1), StoryId(3)],
            active: Some(StoryId(3)),
            people: [("U1".to_string(), StoryId(1))].into_iter().collect(),
        });
        let bytes = encode("channel", &rec).unwrap();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"{"v":1,"stories":[1,3],"active":3,"people":{"U1":1}}"#
        );
        let back = ChannelStories::from(decode_channel(&key, &bytes).unwrap());
        assert_eq!(back.people.get("U1"), Some(&StoryId(1)));
        // Written before people had their own: everyone is on the channel's latest.
        let older = ChannelStories::from(
            decode_channel(&key, br#"{"v":1,"stories":[1,3],"active":3}"#).unwrap(),
        );
        assert!(older.people.is_empty());
        assert_eq!(
            older.active_for(&crate::model::Person::named("U1")),
            Some(StoryId(3))
        );
    }

    #[test]
    fn decoding_errors_never_quote_the_record() {
        let bytes = br#"{"v":1,"story":1,"number":1,"label":"memo","added_by":{"id":"a","name":"a"},"at":0,"text":12345678}"#;
        let err = decode_source(&key, bytes).unwrap_err();
        let message = err.to_string();
        assert!(!message.contains("12345678"), "{message}");
        assert!(message.contains("test key"), "{message}");

        let bytes = br#"{"v":1,"story":1,"number":"SECRET SOURCE TEXT"}"#;
        let message = decode_source(&key, bytes).unwrap_err().to_string();
        assert!(!message.contains("SECRET"), "{message}");

        let bytes = br#"{"v":1,"story":1}"#;
        let message = decode_source(&key, bytes).unwrap_err().to_string();
        assert!(message.contains("missing field `number`"), "{message}");
    }

    #[test]
    fn unknown_versions_are_refused() {
        let newer = br#"{"v":7,"value":"x"}"#;
        assert!(matches!(
            decode_anchor(&key, newer),
            Err(StoreError::UnsupportedVersion {
                kind: "anchor",
                version: 7
            })
        ));
        let never_written = br#"{"v":0,"value":"x"}"#;
        assert!(matches!(
            decode_anchor(&key, never_written),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(matches!(
            decode_anchor(&key, b"\xff\x00"),
            Err(StoreError::Corrupt { .. })
        ));
    }

    #[test]
    fn a_suggestion_record_reads_back_with_its_state() {
        let bytes = br#"{"v":1,"story":3,"section":"body","number":2,"requested_by":{"id":"U1","name":"alice"},"requested_at":5,"guidance":null,"drafter":"the extractive drafter","status":{"state":"accepted","by":{"id":"U2","name":"bob"},"revision":4,"edited":false},"content":{"plain":{"text":"Four war rooms.","alternatives":[],"notes":["n"]}}}"#;
        let record = decode_suggestion(&key, bytes).unwrap();
        let SuggestionBodyRecord::Plain(content) = record.content.clone() else {
            panic!("a plain record")
        };
        let s = record.clone().into_suggestion(content.clone());
        assert_eq!(s.story, StoryId(3));
        assert_eq!(s.text, "Four war rooms.");
        assert_eq!(
            s.state,
            SuggestionState::Accepted {
                by: Person {
                    id: "U2".into(),
                    name: "bob".into()
                },
                revision: 4,
                edited: false
            }
        );
        let again = SuggestionRecordV1::new(&s, SuggestionBodyRecord::Plain((&s).into()));
        assert_eq!(again, record);
        assert_eq!(
            std::str::from_utf8(&encode("suggestion", &again).unwrap()).unwrap(),
            std::str::from_utf8(bytes).unwrap()
        );
        let partial = encode(
            "test",
            &SuggestionStateRecord::Partial {
                reason: "cut".into(),
            },
        )
        .unwrap();
        assert_eq!(
            std::str::from_utf8(&partial).unwrap(),
            r#"{"state":"partial","reason":"cut"}"#
        );
    }

    #[test]
    fn a_publication_reads_older_records_and_keeps_its_corrections() {
        // Written before corrections: no `messages`, no `corrections`.
        let older = br#"{"by":{"id":"ed","name":"ed"},"at":5,"channel":"published","style":"apa","override_reason":null}"#;
        let record: PublicationRecord = serde_json::from_slice(older).unwrap();
        let p = Publication::from(record);
        assert!(p.messages.is_empty() && p.corrections.is_empty());
        // Written back unchanged: the new fields stay out while empty.
        let json = serde_json::to_string(&PublicationRecord::from(&p)).unwrap();
        assert_eq!(json.as_bytes(), older);
        let corrected = Publication {
            messages: vec!["m1".into()],
            corrections: vec![Correction {
                section: "body".into(),
                revision: 3,
                note: "Tuesday".into(),
                by: Person::named("ed"),
                at: Timestamp(7),
                state: CorrectionState::Applied(Timestamp(9)),
            }],
            ..p
        };
        let json = serde_json::to_string(&PublicationRecord::from(&corrected)).unwrap();
        assert!(
            json.ends_with(r#""messages":["m1"],"corrections":[{"section":"body","revision":3,"note":"Tuesday","by":{"id":"ed","name":"ed"},"at":7,"state":{"state":"applied","at":9}}]}"#),
            "{json}"
        );
        let back = Publication::from(serde_json::from_str::<PublicationRecord>(&json).unwrap());
        assert_eq!(back, corrected);
    }

    #[test]
    fn enum_names_on_disk_are_fixed() {
        let bytes = encode(
            "test",
            &(
                PlatformRecord::Discord,
                ReferenceKindRecord::Forum,
                CitationStyleRecord::Chicago,
            ),
        )
        .unwrap();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"["discord","forum","chicago"]"#
        );
    }
}

// ---------------------------------------------------------------------------------------
// Source digests: binary.

/// The first byte of a binary record: never the `{` a JSON record starts with.
const BINARY: u8 = 0;
/// A digest's body as written.
const DIGEST_PLAIN: u8 = 0;
/// A digest's body sealed with the source key (24-byte nonce, then ciphertext and tag).
const DIGEST_SEALED: u8 = 1;
/// Stands for "no year" in a digest's date.
const NO_YEAR: i64 = i64::MIN;

/// What the checks need of one source, as stored under `i/{story}/{number}` (see
/// [`crate::model::SourceDigest`]).
///
/// The value: a zero byte, the version (u32 big-endian), then `0` and the body, or `1` and
/// the body sealed with the source key bound to the record's key. The body, little-endian:
/// `blank` (u8), the word count (u32) and each word's hash (u64); the value count (u32) and
/// each value's mantissa (u64) and exponent (i32); the date count (u32) and each date's year
/// (i64, `i64::MIN` for none), month (u8) and day (u8, 0 for none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SourceDigestRecordV1 {
    /// The text is blank.
    pub(crate) blank: bool,
    /// The words' hashes.
    pub(crate) words: Vec<u64>,
    /// The values, `(mantissa, exponent)`.
    pub(crate) values: Vec<(u64, i32)>,
    /// The dates, `(year, month, day)`.
    pub(crate) dates: Vec<(Option<i64>, u8, Option<u8>)>,
}

impl From<&crate::model::SourceDigest> for SourceDigestRecordV1 {
    fn from(d: &crate::model::SourceDigest) -> Self {
        SourceDigestRecordV1 {
            blank: d.blank,
            words: d.words.clone(),
            values: d.values.clone(),
            dates: d.dates.clone(),
        }
    }
}

impl From<SourceDigestRecordV1> for crate::model::SourceDigest {
    fn from(r: SourceDigestRecordV1) -> Self {
        crate::model::SourceDigest {
            blank: r.blank,
            words: r.words,
            values: r.values,
            dates: r.dates,
        }
    }
}

impl SourceDigestRecordV1 {
    /// The body, before any sealing.
    pub(crate) fn body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            1 + 12 + self.words.len() * 8 + self.values.len() * 12 + self.dates.len() * 10,
        );
        out.push(u8::from(self.blank));
        push_len(&mut out, self.words.len());
        for w in &self.words {
            out.extend_from_slice(&w.to_le_bytes());
        }
        push_len(&mut out, self.values.len());
        for (m, e) in &self.values {
            out.extend_from_slice(&m.to_le_bytes());
            out.extend_from_slice(&e.to_le_bytes());
        }
        push_len(&mut out, self.dates.len());
        for (year, month, day) in &self.dates {
            out.extend_from_slice(&year.unwrap_or(NO_YEAR).to_le_bytes());
            out.push(*month);
            out.push(day.unwrap_or(0));
        }
        out
    }

    /// Reads a body back.
    pub(crate) fn from_body(key: &dyn Fn() -> String, body: &[u8]) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt {
            key: key(),
            reason: format!("source digest: {what}"),
        };
        let mut r = Cursor(body);
        let blank = match r.take::<1>() {
            Some([0]) => false,
            Some([1]) => true,
            _ => return Err(corrupt("no blank flag")),
        };
        let count = r.len(8).ok_or_else(|| corrupt("cut short in the words"))?;
        let mut words = Vec::with_capacity(count);
        for _ in 0..count {
            let w = r
                .take::<8>()
                .ok_or_else(|| corrupt("cut short in the words"))?;
            words.push(u64::from_le_bytes(w));
        }
        let count = r
            .len(12)
            .ok_or_else(|| corrupt("cut short in the values"))?;
        let mut values = Vec::with_capacity(count);
        for _ in 0..count {
            let (Some(m), Some(e)) = (r.take::<8>(), r.take::<4>()) else {
                return Err(corrupt("cut short in the values"));
            };
            let value = (u64::from_le_bytes(m), i32::from_le_bytes(e));
            // Lookups search the values: they must be in order, once each.
            if values.last().is_some_and(|last| *last >= value) {
                return Err(corrupt("values out of order"));
            }
            values.push(value);
        }
        let count = r.len(10).ok_or_else(|| corrupt("cut short in the dates"))?;
        let mut dates = Vec::with_capacity(count);
        for _ in 0..count {
            let (Some(y), Some([month, day])) = (r.take::<8>(), r.take::<2>()) else {
                return Err(corrupt("cut short in the dates"));
            };
            if !(1..=12).contains(&month) || day > 31 {
                return Err(corrupt("a date out of range"));
            }
            let year = i64::from_le_bytes(y);
            dates.push((
                (year != NO_YEAR).then_some(year),
                month,
                (day > 0).then_some(day),
            ));
        }
        if !r.0.is_empty() {
            return Err(corrupt("bytes after the dates"));
        }
        Ok(SourceDigestRecordV1 {
            blank,
            words,
            values,
            dates,
        })
    }
}

/// Appends a count as u32 little-endian (a digest's counts are far below 2^32: a source is
/// at most `[limits] source_bytes`).
fn push_len(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

/// Reads a binary body front to back.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_at_checked(N)?;
        self.0 = rest;
        head.try_into().ok()
    }

    /// A count of items of `size` bytes each, refused when the rest is too short for it
    /// (so a damaged count never asks for a huge allocation).
    fn len(&mut self, size: usize) -> Option<usize> {
        let n = u32::from_le_bytes(self.take::<4>()?) as usize;
        (n.checked_mul(size)? <= self.0.len()).then_some(n)
    }
}

/// A digest's stored value: the binary envelope around a body, sealed or not.
pub(crate) fn encode_digest(body: Vec<u8>, sealed: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 6);
    out.push(BINARY);
    out.extend_from_slice(&SOURCE_DIGEST_VERSION.to_be_bytes());
    out.push(if sealed { DIGEST_SEALED } else { DIGEST_PLAIN });
    out.extend_from_slice(&body);
    out
}

/// A digest's body from its stored value, and whether it is sealed.
pub(crate) fn decode_digest<'a>(
    key: &dyn Fn() -> String,
    bytes: &'a [u8],
) -> Result<(&'a [u8], bool), StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt {
        key: key(),
        reason: format!("source digest: {what}"),
    };
    let [marker, v0, v1, v2, v3, kind] = bytes
        .get(..6)
        .and_then(|h| <[u8; 6]>::try_from(h).ok())
        .ok_or_else(|| corrupt("shorter than its header"))?;
    if marker != BINARY {
        return Err(corrupt("not a binary record"));
    }
    let v = u32::from_be_bytes([v0, v1, v2, v3]);
    if v != SOURCE_DIGEST_VERSION {
        return Err(unreadable("source digest", key, v, SOURCE_DIGEST_VERSION));
    }
    match kind {
        DIGEST_PLAIN => Ok((&bytes[6..], false)),
        DIGEST_SEALED => Ok((&bytes[6..], true)),
        _ => Err(corrupt("neither plain nor sealed")),
    }
}
