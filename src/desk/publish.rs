//! Checks, preview and the publish gate.
//!
//! `/story publish` refuses, and says exactly why, while: the person is not an editor; a
//! section that is required or has text is not approved; a check at level error fails
//! (unless an editor overrides with a reason, which the audit log keeps). Publishing is
//! recorded in the same transaction that checks the story is not yet published, so a
//! double click never posts twice.
//!
//! Posting the article is the adapter's work, and it can stop partway (a platform that
//! fails, a restart). So a publication stays *being posted* ([`Posting`]) until the adapter
//! says every message is up: it records each message as the platform confirms it
//! ([`Desk::part_posted`]). `/story publish` on a story whose article is not complete does
//! not refuse: it hands the article to the adapter again, which continues after the last
//! confirmed message ([`Desk::start_posting`] tells it where).

use super::timers::{publish_key, queue, Due};
use super::{append_audit, save, tx_story};
use super::{board, messages, user, Body, Ctx, Desk, DeskError, Destination, Reply};
use crate::checks::{
    self, CheckedSection, Document, Finding, IndexLookup, IndexSpec, IndexedSources, Level,
    PassagePlace, ReferenceEntry, SourceDigest, SourceText, StoredSources,
};
use crate::model::{
    AuditEvent, ChannelKey, CitationStyle, Person, Platform, Posting, Publication, Story, StoryId,
    Timestamp,
};
use crate::store::{IndexedSource, SourceStamp, Store, StoreError, TransactError};
use crate::template::Generated;

/// Run the checks on a story as it stands: its sections' latest revisions, its references
/// and its sources, through the story's source index (caught up here first when it lacks a
/// source): only the digests of sources the index names are read, outside any
/// transaction, one at a time, and a source's text only where a finding points into it.
pub fn story_findings(desk: &Desk, story: &Story) -> Result<Vec<Finding>, DeskError> {
    findings_with(desk, story, None)
}

/// [`story_findings`] without the source index: every source's digest read in turn. The
/// findings are the same; this is the way to compare with.
pub fn story_findings_from_digests(desk: &Desk, story: &Story) -> Result<Vec<Finding>, DeskError> {
    findings_in(desk, story, None, false)
}

/// The terms of one source for the story's source index, and whether it is blank.
pub(crate) fn indexed_source(
    desk: &Desk,
    stamp: SourceStamp,
    digest: Option<&SourceDigest>,
) -> IndexedSource {
    match digest {
        Some(d) => {
            let terms = checks::index_terms(d, &desk.checker().index_spec());
            IndexedSource {
                stamp: Some(stamp),
                blank: terms.blank,
                postings: terms.postings,
                facts: terms.facts,
            }
        }
        // Not in the store: it counts as no source, as when every digest is read.
        None => IndexedSource {
            stamp: Some(stamp),
            blank: true,
            ..IndexedSource::default()
        },
    }
}

/// Where passages found in sources are (see [`StoredSources::remember`]): a source never
/// changes once added, so a place found once holds for its stamp. At most
/// [`PassagePlaces::MAX`] are kept; then they are forgotten and found again.
#[derive(Debug, Default)]
pub(crate) struct PassagePlaces(std::sync::Mutex<PlaceMap>);

type PlaceMap = std::collections::HashMap<(StoryId, SourceStamp, (usize, usize)), PassagePlace>;

impl PassagePlaces {
    const MAX: usize = 4096;

    fn get(&self, key: &(StoryId, SourceStamp, (usize, usize))) -> Option<PassagePlace> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .copied()
    }

    fn put(&self, key: (StoryId, SourceStamp, (usize, usize)), place: PassagePlace) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= Self::MAX {
            map.clear();
        }
        map.insert(key, place);
    }
}

/// What the source index records of a source.
pub(crate) fn stamp(s: &crate::model::SourceSummary) -> SourceStamp {
    SourceStamp {
        number: s.number,
        at: s.at.0,
        bytes: s.bytes,
        words: s.words,
    }
}

/// [`story_findings`] with one section's text `replaced` (`(section, text)`): the story as
/// it would read with that text (a correction). A published story is checked as published.
pub(crate) fn findings_with(
    desk: &Desk,
    story: &Story,
    replaced: Option<(&str, &str)>,
) -> Result<Vec<Finding>, DeskError> {
    findings_in(desk, story, replaced, true)
}

fn findings_in(
    desk: &Desk,
    story: &Story,
    replaced: Option<(&str, &str)>,
    indexed: bool,
) -> Result<Vec<Finding>, DeskError> {
    let template = desk.story_template(story);
    let mut texts = Vec::new();
    for spec in &template.sections {
        if let Some((_, text)) = replaced.filter(|(name, _)| *name == spec.name) {
            texts.push(Some(text.to_string()));
            continue;
        }
        let latest = story.section(&spec.name).map(|s| s.revisions).unwrap_or(0);
        let n = match &story.published {
            Some(p) => p.shown_revision(&spec.name, latest),
            None => latest,
        };
        let text = match n {
            0 => None,
            n => desk
                .store()
                .revision(story.id, &spec.name, n)?
                .map(|r| r.text),
        };
        texts.push(text);
    }
    // The sources' numbers and labels; their texts stay in the store (see StoryShelf).
    let source_texts: Vec<SourceText> = story
        .sources
        .iter()
        .map(|s| SourceText {
            number: s.number,
            label: &s.label,
            text: "",
        })
        .collect();
    let references_section = template
        .sections
        .iter()
        .find(|s| s.generated == Some(Generated::References))
        .map(|s| s.name.as_str())
        .unwrap_or("references");
    let doc = Document {
        sections: template
            .sections
            .iter()
            .zip(&texts)
            .map(|(spec, text)| CheckedSection {
                name: &spec.name,
                text: text.as_deref(),
                required: spec.required,
                min_chars: spec.min_chars,
                max_chars: spec.max_chars,
                file_lines: &[],
            })
            .collect(),
        references: ReferenceEntry::from_references(&story.references, story.style),
        references_section,
        headings: Vec::new(),
        sources: &source_texts,
    };
    let shelf = StoryShelf {
        desk,
        store: desk.store(),
        story: story.id,
        numbers: story.sources.iter().map(|s| s.number).collect(),
        stamps: story.sources.iter().map(stamp).collect(),
        spec: desk.checker().index_spec(),
    };
    if !indexed {
        return desk.checker().run_stored(&doc, &shelf);
    }
    if !shelf.stamps.is_empty() {
        shelf.catch_up()?;
    }
    desk.checker().run_indexed(&doc, &shelf)
}

/// A story's sources as the checks read them from the store: each source's digest, and a
/// source's text only when a finding points into it.
struct StoryShelf<'a> {
    /// The desk (its checker says what the index holds).
    desk: &'a Desk,
    /// The store.
    store: &'a Store,
    /// The story.
    story: StoryId,
    /// The sources' numbers, in the order of the document's sources.
    numbers: Vec<u32>,
    /// The sources as the story records them, in the same order: what the index must cover.
    stamps: Vec<SourceStamp>,
    /// What the checker needs of the index.
    spec: IndexSpec,
}

/// Terms held in memory at most while an index catches up, before they are written.
const CATCH_UP_TERMS: usize = 1 << 20;

impl StoryShelf<'_> {
    /// A source's digest: the stored one, or (for a source stored before digests were
    /// kept) read from its text and kept for the next run. `None`: no such source.
    fn digest_of(&self, number: u32) -> Result<Option<SourceDigest>, DeskError> {
        if let Some(digest) = self.store.source_digest(self.story, number)? {
            return Ok(Some(digest));
        }
        Ok(match self.store.source(self.story, number)? {
            Some(source) => {
                let digest = checks::digest(&source.text);
                self.keep(number, &digest);
                Some(digest)
            }
            None => None,
        })
    }

    /// Bring the story's source index up to the story's sources: a source it lacks (added
    /// before the index existed, by another replica, or when the update after adding it
    /// did not happen) is added from its digest; an index that covers a source the story
    /// no longer has as it was (purged, replaced) is rebuilt. A failure of the index is
    /// logged and the run reads every digest instead.
    fn catch_up(&self) -> Result<(), DeskError> {
        let tag = self.spec.tag();
        let mut covered = match self.store.source_index_covered(self.story, tag) {
            Ok(c) => c,
            Err(e) => {
                self.index_failed(&e);
                return Ok(());
            }
        };
        let newest = self.stamps.iter().map(|s| s.number).max().unwrap_or(0);
        // A source covered with another stamp, or gone, makes the index stale; one newer
        // than this run's story was added meanwhile (the lookup then leaves it to the next
        // run).
        let stale = covered
            .iter()
            .any(|(c, _)| c.number <= newest && !self.stamps.contains(c));
        if stale {
            if let Err(e) = self.store.source_index_clear(self.story) {
                self.index_failed(&e);
                return Ok(());
            }
            covered.clear();
        }
        let mut batch = Vec::new();
        let mut terms = 0;
        for (index, stamp) in self.stamps.iter().enumerate() {
            if covered.iter().any(|(c, _)| c == stamp) {
                continue;
            }
            let digest = self.digest_of(self.numbers[index])?;
            let source = indexed_source(self.desk, *stamp, digest.as_ref());
            terms += source.postings.len() + source.facts.len();
            batch.push(source);
            if terms >= CATCH_UP_TERMS {
                terms = 0;
                if let Err(e) =
                    self.store
                        .source_index_add(self.story, tag, std::mem::take(&mut batch))
                {
                    self.index_failed(&e);
                    return Ok(());
                }
            }
        }
        if !batch.is_empty() {
            if let Err(e) = self.store.source_index_add(self.story, tag, batch) {
                self.index_failed(&e);
            }
        }
        Ok(())
    }

    fn index_failed(&self, e: &crate::store::IndexError) {
        tracing::warn!(
            error = %e,
            story = self.story.0,
            "the source index could not be used; the checks read every digest"
        );
    }

    /// Store the digest of a source that has none, unless the source went meanwhile. A
    /// failure is logged: the run has the digest in hand, and the next run tries again.
    fn keep(&self, number: u32, digest: &SourceDigest) {
        let story = self.story;
        let kept = self
            .store
            .transact(|tx| -> Result<(), StoreError> {
                if tx.source(story, number)?.is_some() && !tx.has_source_digest(story, number)? {
                    tx.put_source_digest(story, number, digest)?;
                }
                Ok(())
            })
            .map_err(TransactError::flatten);
        if let Err(e) = kept {
            tracing::warn!(
                error = %e,
                story = story.0,
                source = number,
                "could not keep a source's digest"
            );
        }
    }
}

impl StoredSources for StoryShelf<'_> {
    type Error = DeskError;

    fn each_digest(&self, visit: &mut dyn FnMut(usize, &SourceDigest)) -> Result<(), DeskError> {
        for (index, &number) in self.numbers.iter().enumerate() {
            if let Some(digest) = self.digest_of(number)? {
                visit(index, &digest);
            }
        }
        Ok(())
    }

    fn remembered(&self, index: usize, words: (usize, usize)) -> Option<PassagePlace> {
        let stamp = *self.stamps.get(index)?;
        self.desk.places.get(&(self.story, stamp, words))
    }

    fn remember(&self, index: usize, words: (usize, usize), place: PassagePlace) {
        if let Some(&stamp) = self.stamps.get(index) {
            self.desk.places.put((self.story, stamp, words), place);
        }
    }

    fn text(&self, index: usize) -> Result<String, DeskError> {
        let number = self.numbers.get(index).copied().unwrap_or(0);
        match self.store.source(self.story, number)? {
            Some(source) => Ok(source.text),
            None => Err(DeskError::Internal(format!(
                "source {number} of story #{} has a digest but no text",
                self.story.0
            ))),
        }
    }
}

impl IndexedSources for StoryShelf<'_> {
    fn spec(&self) -> &IndexSpec {
        &self.spec
    }

    fn look_up(&self, postings: &[u64], facts: &[u64]) -> Result<Option<IndexLookup>, DeskError> {
        let found = self.store.source_index_look_up(
            self.story,
            self.spec.tag(),
            &self.stamps,
            postings,
            facts,
        );
        let answers = match found {
            Ok(Some(a)) => a,
            Ok(None) => return Ok(None),
            Err(e) => {
                self.index_failed(&e);
                return Ok(None);
            }
        };
        let position: std::collections::HashMap<u32, usize> = self
            .numbers
            .iter()
            .enumerate()
            .map(|(i, &n)| (n, i))
            .collect();
        Ok(Some(IndexLookup {
            postings: answers
                .postings
                .into_iter()
                .map(|numbers| {
                    let mut at: Vec<usize> = numbers
                        .iter()
                        .filter_map(|n| position.get(n).copied())
                        .collect();
                    at.sort_unstable();
                    at
                })
                .collect(),
            facts: answers.facts,
            all_blank: answers.all_blank,
        }))
    }

    fn some_digests(
        &self,
        indexes: &[usize],
        visit: &mut dyn FnMut(usize, &SourceDigest) -> bool,
    ) -> Result<(), DeskError> {
        for &index in indexes {
            let Some(&number) = self.numbers.get(index) else {
                continue;
            };
            if let Some(digest) = self.digest_of(number)? {
                if !visit(index, &digest) {
                    break;
                }
            }
        }
        Ok(())
    }
}

/// The findings of one section, for its review thread after a new revision. A failure to
/// read the story's texts is logged and leaves the thread without them: the revision itself
/// is already saved.
pub(crate) fn section_findings_post(
    desk: &Desk,
    story: &Story,
    section: &str,
    revision: u32,
) -> Option<Body> {
    match story_findings(desk, story) {
        Ok(all) => {
            let mine: Vec<Finding> = all.into_iter().filter(|f| f.section == section).collect();
            (!mine.is_empty())
                .then(|| Body::Text(messages::section_findings(section, revision, &mine)))
        }
        Err(e) => {
            tracing::warn!(error = %e, section, "could not run the checks for a review post");
            None
        }
    }
}

/// `/story check`: the findings, grouped by section.
pub fn check(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let story = ctx.load(ctx.story_id()?)?;
    let findings = story_findings(ctx.desk, &story)?;
    let mut reply = Reply::one(
        Destination::Requester,
        Body::Text(messages::check_report(&story, &findings)),
    );
    reply.story = Some(story.id);
    Ok(reply)
}

/// `/story preview`: the article as it would be published now.
pub fn preview(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let story = ctx.load(ctx.story_id()?)?;
    let article = super::assemble(ctx.desk, &story, story.style, true)?;
    let mut reply = Reply::one(
        Destination::Requester,
        Body::Text(messages::preview(&story, &article)),
    );
    reply.story = Some(story.id);
    Ok(reply)
}

/// A publishing channel's name as given in the option or in `[publish] channel`: without
/// the `#` people write before it (`#published` and `published` are one channel).
fn channel_name(given: &str) -> Option<String> {
    let name = given.trim().trim_start_matches('#').trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// `/story publish [channel:…] [style:…] [override:"reason"]` (editors only: the catalogue
/// says so and [`super::Desk::handle`] enforces it before any handler runs).
pub fn publish(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let desk = ctx.desk;
    let quorum = desk.config.review.quorum;
    let id = ctx.story_id()?;
    let story = ctx.load(id)?;
    if let Some(p) = &story.published {
        if !p.is_complete() {
            return resume(ctx, story.id);
        }
        return user(messages::already_published(&story, p));
    }
    if ctx.opt("cancel") == Some("true") {
        return schedule_publication(ctx, None);
    }
    let at = ctx.when("at")?;
    if at.is_none() {
        if let Some(until) = story.timing.embargo.filter(|u| u.0 > ctx.req.at.0) {
            return user(messages::embargoed(&story, until));
        }
    }
    let template = desk.story_template(&story);
    let unfinished = board::unfinished(&story, quorum, |name| {
        template.section(name).is_some_and(|s| s.required)
    });
    if !unfinished.is_empty() {
        return user(messages::publish_refused_sections(&story, &unfinished));
    }
    let findings = story_findings(desk, &story)?;
    let errors: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.level == Level::Error)
        .collect();
    let override_reason = ctx
        .opt("override")
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if !errors.is_empty() && override_reason.is_none() {
        return user(messages::publish_refused_checks(&errors));
    }
    if at.is_some() {
        // The gate passes now; it is checked again at that time.
        return schedule_publication(ctx, at);
    }
    let style = match ctx.opt("style") {
        Some(s) => {
            // The catalogue lets only the styles it names through.
            CitationStyle::parse(s)
                .ok_or_else(|| DeskError::Internal(format!("style `{s}` passed the catalogue")))?
        }
        None => story.style,
    };
    let channel = ctx
        .opt("channel")
        .and_then(channel_name)
        .or_else(|| channel_name(&desk.config.publish.channel))
        .unwrap_or_else(|| desk.config.publish.channel.clone());
    let article = super::assemble(desk, &story, style, false)?;
    let version = story.version;
    let story = ctx.transact(|tx| {
        let mut story = tx_story(tx, id)?;
        if let Some(p) = &story.published {
            return user(messages::already_published(&story, p));
        }
        if story.version != version {
            // Someone changed the story between the checks and now: check again.
            return user(messages::changed_while_publishing());
        }
        if let Some(until) = story.timing.embargo.filter(|u| u.0 > ctx.req.at.0) {
            return user(messages::embargoed(&story, until));
        }
        published(tx, &mut story)?;
        story.published = Some(Publication {
            by: ctx.req.actor.clone(),
            at: ctx.req.at,
            channel: channel.clone(),
            style,
            override_reason: override_reason.clone(),
            posting: Some(Posting::default()),
            messages: Vec::new(),
            corrections: Vec::new(),
        });
        story.style = style;
        ctx.log(
            tx,
            &mut story,
            published_event(&channel, override_reason.as_deref(), &errors),
        )?;
        save(tx, &mut story)?;
        Ok(story)
    })?;
    crate::telemetry::published(ctx.channel().platform.as_str());
    let mut reply = Reply::about(id);
    reply.push(
        Destination::Publish {
            channel: channel.clone(),
        },
        Body::Article(article),
    );
    reply.push(
        Destination::Channel,
        Body::Text(messages::published(&story, &channel, &ctx.req.actor)),
    );
    reply.push(
        Destination::Board { story: id },
        Body::Board(super::render_board(&story, quorum)),
    );
    Ok(reply)
}

/// `/story publish` on a story whose article is not all up: the article goes to the adapter
/// again, in the publication's channel and style, and the adapter continues after the last
/// message confirmed. The story is locked since its publication, so the article is the same.
fn resume(ctx: &Ctx<'_>, id: StoryId) -> Result<Reply, DeskError> {
    let desk = ctx.desk;
    let story = ctx.transact(|tx| {
        let mut story = tx_story(tx, id)?;
        let Some(p) = story.published.clone() else {
            return user(messages::changed_while_publishing());
        };
        let Some(posting) = &p.posting else {
            return user(messages::already_published(&story, &p));
        };
        ctx.log(
            tx,
            &mut story,
            AuditEvent::PublishResumed {
                channel: p.channel.clone(),
                up: u32::try_from(posting.posted.len()).unwrap_or(u32::MAX),
            },
        )?;
        save(tx, &mut story)?;
        Ok(story)
    })?;
    let Some(p) = story.published.clone() else {
        return user(messages::changed_while_publishing());
    };
    resume_reply(desk, &story, &p)
}

/// The reply that continues posting a story's article: the person who asks is told how far
/// it got, then the article (the adapter posts only what is not up), the announcement and
/// the board.
fn resume_reply(desk: &Desk, story: &Story, p: &Publication) -> Result<Reply, DeskError> {
    let id = story.id;
    let article = super::assemble(desk, story, p.style, false)?;
    let mut reply = Reply::about(id);
    reply.push(
        Destination::Requester,
        Body::Text(messages::publish_resumed(story, p)),
    );
    reply.push(
        Destination::Publish {
            channel: p.channel.clone(),
        },
        Body::Article(article),
    );
    reply.push(
        Destination::Channel,
        Body::Text(messages::published(story, &p.channel, &p.by)),
    );
    reply.push(
        Destination::Board { story: id },
        Body::Board(super::render_board(story, desk.config.review.quorum)),
    );
    Ok(reply)
}

impl Desk {
    /// The stories of `platform` whose article is not all up (the adapter stopped while
    /// posting it), each with its home channel, the editor who published it, and the reply
    /// that continues it (as `/story publish` again would). The adapter runs this when it
    /// starts.
    pub fn publications_under_way(
        &self,
        platform: Platform,
        quiet_for: Option<std::time::Duration>,
    ) -> Result<Vec<(ChannelKey, Person, Reply)>, DeskError> {
        let mut out = Vec::new();
        let now = Timestamp::now();
        for id in self.store.story_ids()? {
            let Some(story) = self.store.story(id)? else {
                continue;
            };
            if story.home.platform != platform {
                continue;
            }
            let Some(p) = story.published.clone().filter(|p| !p.is_complete()) else {
                continue;
            };
            if let Some(quiet) = quiet_for {
                // Another process may be posting it right now: leave it alone until it has
                // confirmed nothing for `quiet`.
                let touched = self
                    .store
                    .anchor(&posting_lease(id))?
                    .and_then(|v| v.parse::<i64>().ok());
                let quiet_ms = i64::try_from(quiet.as_millis()).unwrap_or(i64::MAX);
                if touched.is_some_and(|at| now.0.saturating_sub(at) < quiet_ms) {
                    continue;
                }
            }
            out.push((
                story.home.clone(),
                p.by.clone(),
                resume_reply(self, &story, &p)?,
            ));
        }
        Ok(out)
    }

    /// An adapter starts (or starts again) posting a story's article, which takes `parts`
    /// messages on its platform: the attempt is counted and the publication's start (its
    /// id: the time publishing began) returned with how far posting got. `None` when the
    /// story has no article still to post (it was completed, or the publication undone).
    pub fn start_posting(
        &self,
        story: StoryId,
        parts: u32,
    ) -> Result<Option<(Timestamp, Posting)>, DeskError> {
        Ok(self.store.transact(|tx| {
            let Some(mut s) = tx.story(story)? else {
                return Ok(None);
            };
            let Some(p) = s.published.as_mut() else {
                return Ok(None);
            };
            let at = p.at;
            let Some(posting) = p.posting.as_mut() else {
                return Ok(None);
            };
            posting.parts = Some(parts);
            posting.attempts += 1;
            let now = posting.clone();
            tx.put_anchor(&posting_lease(story), &Timestamp::now().0.to_string())?;
            save(tx, &mut s)?;
            Ok::<_, DeskError>(Some((at, now)))
        })?)
    }

    /// The platform confirmed part `index` (from 0) of the article of the publication that
    /// began at `publication`, as message `id`. Parts are confirmed in order; once the last
    /// is, the publication is complete. Returns whether it is.
    pub fn part_posted(
        &self,
        story: StoryId,
        publication: Timestamp,
        index: u32,
        id: &str,
    ) -> Result<bool, DeskError> {
        Ok(self.store.transact(|tx| {
            let mut s = tx_story(tx, story)?;
            let Some(p) = s.published.as_mut().filter(|p| p.at == publication) else {
                return Err(DeskError::Internal(format!(
                    "story {story}: a part confirmed for a publication that is gone"
                )));
            };
            let Some(posting) = p.posting.as_mut() else {
                return Ok(true);
            };
            if posting.posted.len() != index as usize {
                return Err(DeskError::Internal(format!(
                    "story {story}: part {index} confirmed after {} parts",
                    posting.posted.len()
                )));
            }
            posting.posted.push(id.to_string());
            tx.put_anchor(&posting_lease(story), &Timestamp::now().0.to_string())?;
            let complete = posting
                .parts
                .is_some_and(|n| posting.posted.len() >= n as usize);
            if complete {
                // Kept, so a correction can edit the article in place.
                p.messages = std::mem::take(&mut posting.posted);
                p.posting = None;
            }
            save(tx, &mut s)?;
            Ok(complete)
        })?)
    }

    /// An adapter that posts an article whole or not at all (it removes what it posted when
    /// a part fails) says it is all up.
    pub fn publication_delivered(&self, story: StoryId) -> Result<(), DeskError> {
        Ok(self.store.transact(|tx| {
            let Some(mut s) = tx.story(story)? else {
                return Ok(());
            };
            match s.published.as_mut() {
                Some(p) if p.posting.is_some() => p.posting = None,
                _ => return Ok(()),
            }
            save(tx, &mut s)?;
            Ok::<_, DeskError>(())
        })?)
    }

    /// Posting the article stopped partway: `reason` is the adapter's sentence (a message
    /// the platform did not confirm, a refusal). The publication stays as far as it got and
    /// the audit log says where it stopped; the reply tells the person who published which
    /// messages are up and that `/story publish` continues. The audit log records it
    /// against the editor who published.
    pub fn publication_interrupted(&self, story: StoryId, at: Timestamp, reason: &str) -> Reply {
        let result = self
            .store
            .transact(|tx| -> Result<Option<(Story, Publication)>, DeskError> {
                let Some(mut s) = tx.story(story)? else {
                    return Ok(None);
                };
                let Some(p) = s.published.clone().filter(|p| !p.is_complete()) else {
                    return Ok(None);
                };
                let (up, parts) = p.progress();
                append_audit(
                    tx,
                    &mut s,
                    &p.by,
                    at,
                    AuditEvent::PublicationIncomplete {
                        channel: p.channel.clone(),
                        up: u32::try_from(up).unwrap_or(u32::MAX),
                        parts,
                    },
                )?;
                save(tx, &mut s)?;
                Ok(Some((s, p)))
            });
        match result.map_err(DeskError::from) {
            Ok(Some((s, p))) => {
                let mut reply = Reply::problem(messages::publication_incomplete(&s, &p, reason));
                reply.outcome = super::Outcome::Failed;
                reply.story = Some(story);
                reply
            }
            Ok(None) => Reply::default(),
            Err(e) => self.internal("publish", e.to_string()),
        }
    }
}

/// The audit entry of a publication: an override of check errors names the rules
/// overridden, how many errors, and the editor's reason.
fn published_event(
    channel: &str,
    override_reason: Option<&str>,
    errors: &[&Finding],
) -> AuditEvent {
    let mut overridden: Vec<String> = Vec::new();
    for f in errors {
        if !overridden.contains(&f.rule) {
            overridden.push(f.rule.clone());
        }
    }
    AuditEvent::Published {
        channel: channel.to_string(),
        overridden,
        errors: u32::try_from(errors.len()).unwrap_or(u32::MAX),
        reason: override_reason.map(str::to_string),
    }
}

/// The anchor holding when a story's article last made progress on its platform (posting
/// started, or a part was confirmed), in milliseconds: a replica that finds a publication
/// under way leaves it to the process posting it while this is recent.
fn posting_lease(story: StoryId) -> String {
    format!("posting/{}", story.0)
}

// ---------------------------------------------------------------------------------------
// Scheduled publications

/// `/story publish at:WHEN`: the gate is checked now (the same checks as publishing
/// now), then the publication is scheduled; an embargo ending later moves nothing, it is
/// refused. `/story publish cancel:true` removes the schedule.
pub(crate) fn schedule_publication(
    ctx: &Ctx<'_>,
    at: Option<Timestamp>,
) -> Result<Reply, DeskError> {
    let id = ctx.story_id()?;
    let q = queue(ctx.channel().platform);
    let key = publish_key(id);
    let story = ctx.transact(|tx| {
        let mut story = tx_story(tx, id)?;
        if let Some(p) = &story.published {
            return user(messages::already_published(&story, p));
        }
        match at {
            Some(t) => {
                if let Some(e) = story.timing.embargo.filter(|e| e.0 > t.0) {
                    return user(messages::embargoed(&story, e));
                }
                story.timing.scheduled = Some(crate::model::Scheduled {
                    at: t,
                    by: ctx.req.actor.clone(),
                    channel: ctx.opt("channel").map(str::to_string),
                    style: ctx.opt("style").map(str::to_string),
                });
                tx.schedule(q, &key, t, "")?;
            }
            None => {
                if story.timing.scheduled.is_none() {
                    return user(messages::nothing_scheduled(&story));
                }
                story.timing.scheduled = None;
                tx.unschedule(q, &key)?;
            }
        }
        ctx.log(tx, &mut story, AuditEvent::PublishScheduled { at })?;
        save(tx, &mut story)?;
        Ok(story)
    })?;
    let text = messages::publication_scheduled(&story, at, &ctx.req.actor);
    Ok(super::timers::announced(ctx.desk, &story, text))
}

/// In a publication's transaction: the schedule it fulfils ends with it.
pub(crate) fn published(tx: &mut crate::store::Tx<'_>, story: &mut Story) -> Result<(), DeskError> {
    if story.timing.scheduled.take().is_some() {
        tx.unschedule(queue(story.home.platform), &publish_key(story.id))?;
    }
    Ok(())
}

impl Desk {
    /// A scheduled publication: published as the editor who scheduled it, through
    /// `/story publish`'s own path (the gate is checked again now); if the gate no longer
    /// passes, the editor is told why by direct message.
    pub(crate) fn fire_publication(
        &self,
        platform: Platform,
        key: &str,
        id: StoryId,
        now: Timestamp,
    ) -> Result<Option<Due>, DeskError> {
        let q = queue(platform);
        let Some(job) = self.store.job(q, key)? else {
            return Ok(None);
        };
        let Some(story) = self.store.story(id)? else {
            return Ok(None);
        };
        let Some(scheduled) = story.timing.scheduled.clone() else {
            self.store.transact(|tx| -> Result<(), DeskError> {
                tx.take_job(q, key, now)?;
                Ok(())
            })?;
            return Ok(None);
        };
        let mut line = format!("/story publish story:{}", id.0);
        if let Some(c) = &scheduled.channel {
            line.push_str(&format!(" channel:{c}"));
        }
        if let Some(s) = &scheduled.style {
            line.push_str(&format!(" style:{s}"));
        }
        // The publication claims this event with its effect: two replicas firing the same
        // job publish once, and the other is told it was a duplicate.
        let event = super::EventKey::new(
            platform,
            &story.home.team,
            super::EventKind::Command,
            format!("scheduled-publication/{}/{}", id.0, job.at.0),
        );
        let req = super::Request {
            actor: scheduled.by.clone(),
            memberships: Default::default(),
            place: crate::model::Place {
                channel: story.home.clone(),
                thread: None,
            },
            at: now,
            input: super::Input::Text {
                text: line,
                body: None,
            },
            event: Some(event),
            story: Some(id),
        };
        let reply = self.run_as_scheduled(&req);
        if reply.is_duplicate() {
            return Ok(None);
        }
        if !reply.is_refused() {
            return Ok(Some(Due {
                channel: story.home.clone(),
                reply,
            }));
        }
        // Refused: the gate no longer passes. The job ends; the editor hears why.
        let why: Vec<String> = reply
            .posts
            .iter()
            .filter(|p| p.to == Destination::Requester)
            .map(|p| p.body.text())
            .collect();
        let taken = self.store.transact(|tx| -> Result<bool, DeskError> {
            if tx.take_job(q, key, now)?.is_none() {
                return Ok(false);
            }
            let mut story = tx_story(tx, id)?;
            story.timing.scheduled = None;
            save(tx, &mut story)?;
            Ok(true)
        })?;
        if !taken {
            return Ok(None);
        }
        let mut out = Reply::about(id);
        out.push(
            Destination::Direct {
                person: scheduled.by.clone(),
            },
            Body::Problem(messages::scheduled_publication_failed(
                &story,
                &why.join("\n\n"),
            )),
        );
        if let Some(story) = self.store.story(id)? {
            out.push(
                Destination::Board { story: id },
                Body::Board(super::render_board(&story, self.config.review.quorum)),
            );
        }
        Ok(Some(Due {
            channel: story.home.clone(),
            reply: out,
        }))
    }

    /// Runs `/story publish` for a scheduled publication: its editor was checked when it
    /// was scheduled (their roles are not known now, outside a request).
    fn run_as_scheduled(&self, req: &super::Request) -> Reply {
        let (inv, body) = match self.interpret(req) {
            Ok(Some(x)) => x,
            _ => return Reply::problem(messages::changed_while_publishing()),
        };
        if let Some(key) = &req.event {
            if let Ok(true) = self.store.event_seen(&key.claim(), req.at) {
                return Reply {
                    outcome: super::Outcome::Duplicate,
                    ..Default::default()
                };
            }
        }
        let ctx = Ctx {
            desk: self,
            req,
            inv: &inv,
            body: body.as_deref(),
            claimed: std::cell::Cell::new(false),
        };
        match super::publish::publish(&ctx) {
            Ok(reply) => reply,
            Err(DeskError::Duplicate) => Reply {
                outcome: super::Outcome::Duplicate,
                ..Default::default()
            },
            Err(DeskError::User(text)) => {
                let mut r = Reply::problem(text);
                r.outcome = super::Outcome::Refused;
                r
            }
            Err(e) => {
                let mut r = self.internal("publish", e.to_string());
                r.outcome = super::Outcome::Refused;
                r
            }
        }
    }
}
