//! Newsroom time: deadlines, reminders, scheduled publishing and embargoes, on one durable
//! scheduler kept in the store.
//!
//! Every timed thing is a job in the store's scheduler ([`crate::store::Job`]), in the
//! queue of the story's platform, under a key that names what it is for:
//!
//! - `remind/{story}/{section}`: the section's writer is reminded `[time] remind_before`
//!   before it is due (held while they are in their quiet hours);
//! - `overdue/{story}/{section}`: at the due time, the writer is told, and the editors in
//!   the story's channel, once;
//! - `publish/{story}`: a publication scheduled with `/story publish at:`.
//!
//! Moving a deadline schedules the same keys again, which replaces their jobs. A job is
//! taken and its effect written in one transaction ([`Desk::run_due`]), so it fires once,
//! across restarts, a SIGKILL and replicas; what it sends is handed to the adapter. Firing
//! checks the story as it is then: nothing is sent for a section already approved or a
//! story already published. Sending is at most once: a process killed between the
//! transaction and the platform's answer loses that one message rather than sending it
//! twice.

use crate::model::{AuditEvent, Person, Platform, SectionState, Story, StoryId, Timestamp};
use crate::store::Tx;
use crate::text::when::{Quiet, Zone};

use super::timers::{announced, late_key, overdue_key, queue, remind_key, zone_of, Due};
use super::{messages, save, tx_story, user, Body, Ctx, Desk, DeskError, Destination, Reply};

/// What a section's timed job says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notice {
    /// Before the due time, to the writer.
    Reminder,
    /// At the due time: to the writer and, once, the editors in the channel.
    Overdue,
    /// The overdue message to a writer who was in their quiet hours at the due time.
    Late,
}

/// How many due jobs one pass takes from the index before looking again.
const BATCH: usize = 256;

/// What a job key is for.
enum Kind<'k> {
    Remind(StoryId, &'k str),
    Overdue(StoryId, &'k str),
    Late(StoryId, &'k str),
    Publish(StoryId),
}

fn kind_of(key: &str) -> Option<Kind<'_>> {
    let mut parts = key.splitn(3, '/');
    let kind = parts.next()?;
    let story = StoryId(parts.next()?.parse().ok()?);
    match (kind, parts.next()) {
        ("remind", Some(section)) => Some(Kind::Remind(story, section)),
        ("overdue", Some(section)) => Some(Kind::Overdue(story, section)),
        ("late", Some(section)) => Some(Kind::Late(story, section)),
        ("publish", None) => Some(Kind::Publish(story)),
        _ => None,
    }
}

/// Schedules (or moves, or removes) the reminder and overdue jobs of every section of
/// `story` after its due times changed, as of `now`. A reminder whose time has already
/// passed is not sent: the deadline was set inside the reminder window.
pub(crate) fn reschedule(
    tx: &mut Tx<'_>,
    story: &Story,
    now: Timestamp,
    before_ms: i64,
) -> Result<(), DeskError> {
    let q = queue(story.home.platform);
    for section in &story.sections {
        let remind = remind_key(story.id, &section.name);
        let overdue = overdue_key(story.id, &section.name);
        // A message held for the morning was about the old due time.
        tx.unschedule(q, &late_key(story.id, &section.name))?;
        match story.timing.section_due(&section.name) {
            Some(due) if story.published.is_none() => {
                let at = Timestamp(due.0.saturating_sub(before_ms));
                if at.0 > now.0 {
                    tx.schedule(q, &remind, at, "")?;
                } else {
                    tx.unschedule(q, &remind)?;
                }
                tx.schedule(q, &overdue, due, "")?;
            }
            _ => {
                tx.unschedule(q, &remind)?;
                tx.unschedule(q, &overdue)?;
            }
        }
    }
    Ok(())
}

impl Desk {
    /// Fires every job of `platform` due at `now`, earliest first; what each sends.
    pub fn run_due(&self, platform: Platform, now: Timestamp) -> Result<Vec<Due>, DeskError> {
        let q = queue(platform);
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        loop {
            let due = self.store.due_jobs(q, now, BATCH)?;
            let fresh: Vec<_> = due
                .into_iter()
                .filter(|(_, k)| seen.insert(k.clone()))
                .collect();
            if fresh.is_empty() {
                return Ok(out);
            }
            for (_, key) in fresh {
                match self.fire(platform, &key, now) {
                    Ok(Some(due)) => out.push(due),
                    Ok(None) => {}
                    Err(e) => {
                        // One job's failure does not hold up the others; it stays due
                        // and is tried again on the next pass.
                        tracing::error!(job = %key, error = %e, "a scheduled job failed");
                    }
                }
            }
        }
    }

    /// When the next job of `platform` falls due, to sleep until then.
    pub fn next_due(&self, platform: Platform) -> Result<Option<Timestamp>, DeskError> {
        Ok(self.store.next_job_at(queue(platform))?)
    }

    /// Fires one job: `None` when it sends nothing (gone, taken by another replica, or
    /// about a section or story that no longer needs it).
    fn fire(
        &self,
        platform: Platform,
        key: &str,
        now: Timestamp,
    ) -> Result<Option<Due>, DeskError> {
        let q = queue(platform);
        let Some(kind) = kind_of(key) else {
            // Not a key this build writes: removed so it does not stay due for ever.
            tracing::warn!(job = %key, "unknown scheduled job removed");
            self.store.transact(|tx| -> Result<(), DeskError> {
                tx.take_job(q, key, now)?;
                Ok(())
            })?;
            return Ok(None);
        };
        match kind {
            Kind::Publish(id) => self.fire_publication(platform, key, id, now),
            Kind::Remind(id, section) => {
                self.fire_reminder(platform, key, id, section, Notice::Reminder, now)
            }
            Kind::Overdue(id, section) => {
                self.fire_reminder(platform, key, id, section, Notice::Overdue, now)
            }
            Kind::Late(id, section) => {
                self.fire_reminder(platform, key, id, section, Notice::Late, now)
            }
        }
    }

    /// A reminder or an overdue notice. The writer's direct message waits for the end of
    /// their quiet hours; the editors' notice in the channel does not.
    fn fire_reminder(
        &self,
        platform: Platform,
        key: &str,
        id: StoryId,
        section: &str,
        notice: Notice,
        now: Timestamp,
    ) -> Result<Option<Due>, DeskError> {
        let overdue = notice == Notice::Overdue;
        let q = queue(platform);
        let quorum = self.config.review.quorum;
        let default_zone = self.config.time.zone();
        let result = self.store.transact(|tx| -> Result<Option<Due>, DeskError> {
            let Some(_job) = tx.take_job(q, key, now)? else {
                return Ok(None);
            };
            let Some(mut story) = tx.story(id)? else {
                return Ok(None);
            };
            let Some(s) = story.section(section) else {
                return Ok(None);
            };
            let Some(due) = story.timing.section_due(section) else {
                return Ok(None);
            };
            if story.published.is_some() || s.state(quorum) == SectionState::Approved {
                return Ok(None);
            }
            let writer = s.owner.clone();
            let mut reply = Reply::about(id);
            if let Some(writer) = &writer {
                let settings = tx.person(platform, &writer.id)?;
                let zone = zone_of(&settings, &default_zone);
                let release = settings.quiet.map_or(now, |q| q.release(now, &zone));
                if release.0 > now.0 {
                    // In their quiet hours: their message in the morning.
                    let later = match notice {
                        Notice::Overdue => late_key(id, section),
                        Notice::Reminder | Notice::Late => key.to_string(),
                    };
                    tx.schedule(q, &later, release, "")?;
                    if !overdue {
                        return Ok(None);
                    }
                } else {
                    let text = match notice {
                        Notice::Reminder => messages::reminder(&story, section, due),
                        Notice::Overdue | Notice::Late => {
                            messages::overdue_to_writer(&story, section, due)
                        }
                    };
                    reply.push(
                        Destination::Direct {
                            person: writer.clone(),
                        },
                        Body::Text(text),
                    );
                }
            }
            if overdue {
                story.timing.overdue_told.insert(section.to_string());
                reply.push(
                    Destination::Channel,
                    Body::Text(messages::overdue_to_editors(
                        &story,
                        section,
                        due,
                        writer.as_ref(),
                    )),
                );
                save(tx, &mut story)?;
                reply.push(
                    Destination::Board { story: id },
                    Body::Board(super::render_board(&story, quorum)),
                );
            }
            Ok(Some(Due {
                channel: story.home.clone(),
                reply,
            }))
        });
        Ok(result?)
    }

    /// A direct message to `person` could not be sent (they block direct messages from
    /// the app, or the platform refused): it is kept and shown to them in the channel, only
    /// to them, the next time they use the desk.
    pub fn undeliverable(
        &self,
        platform: Platform,
        person: &Person,
        text: &str,
    ) -> Result<(), DeskError> {
        self.store.transact(|tx| -> Result<(), DeskError> {
            let mut settings = tx.person(platform, &person.id)?;
            // A bound on what is kept: the latest notices matter most.
            if settings.held.len() >= 20 {
                settings.held.remove(0);
            }
            settings.held.push(text.to_string());
            tx.put_person(platform, &person.id, &settings)?;
            Ok(())
        })?;
        Ok(())
    }

    /// Notices kept for the person making `req` ([`Desk::undeliverable`]), taken: they are
    /// shown to them with this reply and not again.
    pub(crate) fn take_held(&self, platform: Platform, person: &Person) -> Vec<String> {
        match self.store.person(platform, &person.id) {
            Ok(s) if !s.held.is_empty() => {}
            _ => return Vec::new(),
        }
        self.store
            .transact(|tx| -> Result<Vec<String>, DeskError> {
                let mut settings = tx.person(platform, &person.id)?;
                let held = std::mem::take(&mut settings.held);
                tx.put_person(platform, &person.id, &settings)?;
                Ok(held)
            })
            .unwrap_or_default()
    }

    /// The time zone `person_id`'s platform reports for them (Slack's `users.info` `tz`):
    /// used for their times until they choose one with `/story tz`. An unknown name is
    /// ignored.
    pub fn learn_zone(
        &self,
        platform: Platform,
        person_id: &str,
        zone: &str,
    ) -> Result<(), DeskError> {
        let Some(zone) = Zone::named(zone) else {
            return Ok(());
        };
        let known = self.store.person(platform, person_id)?;
        if known.platform_zone.as_deref() == Some(zone.name()) {
            return Ok(());
        }
        self.store.transact(|tx| -> Result<(), DeskError> {
            let mut settings = tx.person(platform, person_id)?;
            settings.platform_zone = Some(zone.name().to_string());
            tx.put_person(platform, person_id, &settings)?;
            Ok(())
        })?;
        Ok(())
    }
}

/// `/story due [section:…] at:WHEN | clear:true`: sets, moves or removes a due time; with
/// neither, says what is due when. The story's due time is for editors to set; a section's,
/// for editors and the section's writer.
pub(crate) fn due(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let id = ctx.story_id()?;
    let section = ctx.section_name(false)?;
    let at = ctx.when("at")?;
    let clear = ctx.opt("clear") == Some("true");
    let story = ctx.load(id)?;
    if at.is_none() && !clear {
        return Ok(Reply {
            story: Some(id),
            ..Reply::one(
                Destination::Requester,
                Body::Text(messages::due_times(&story, section.as_deref())),
            )
        });
    }
    if at.is_some() && clear {
        return user(messages::due_at_or_clear());
    }
    if story.published.is_some() {
        return user(messages::due_after_publication(&story));
    }
    let may = ctx.is_editor()
        || section.as_ref().is_some_and(|name| {
            story
                .section(name)
                .and_then(|s| s.owner.as_ref())
                .is_some_and(|o| o.id == ctx.req.actor.id)
        });
    if !may {
        return user(messages::due_not_yours(section.as_deref()));
    }
    let before = ctx.desk.config.time.remind_before_ms();
    let story = ctx.transact(|tx| {
        let mut story = tx_story(tx, id)?;
        match &section {
            Some(name) => {
                match at {
                    Some(t) => story.timing.sections.insert(name.clone(), t),
                    None => story.timing.sections.remove(name),
                };
                story.timing.overdue_told.remove(name);
            }
            None => {
                story.timing.due = at;
                story.timing.overdue_told.clear();
            }
        }
        ctx.log(
            tx,
            &mut story,
            AuditEvent::DueSet {
                section: section.clone(),
                at,
            },
        )?;
        reschedule(tx, &story, ctx.req.at, before)?;
        save(tx, &mut story)?;
        Ok(story)
    })?;
    let mut reply = Reply::about(id);
    reply.push(
        Destination::Channel,
        Body::Text(messages::due_set(
            &story,
            section.as_deref(),
            at,
            &ctx.req.actor,
        )),
    );
    reply.push(
        Destination::Board { story: id },
        Body::Board(super::render_board(&story, ctx.desk.config.review.quorum)),
    );
    Ok(reply)
}

/// `/story tz [zone:…] [quiet:HH:MM-HH:MM|off]`: sets the person's zone and quiet hours;
/// with neither, shows them.
pub(crate) fn tz(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let platform = ctx.channel().platform;
    let me = &ctx.req.actor;
    let zone = match ctx.opt("zone") {
        Some(name) => match Zone::named(name) {
            Some(z) => Some(z),
            None => return user(messages::unknown_zone(name)),
        },
        None => None,
    };
    let quiet = match ctx.opt("quiet").map(str::trim) {
        Some(q) if q.eq_ignore_ascii_case("off") || q.eq_ignore_ascii_case("none") => Some(None),
        Some(q) => match Quiet::parse(q) {
            Some(q) => Some(Some(q)),
            None => return user(messages::bad_quiet_hours(q)),
        },
        None => None,
    };
    let default = ctx.desk.config.time.zone();
    let settings = if zone.is_none() && quiet.is_none() {
        ctx.desk.store.person(platform, &me.id)?
    } else {
        ctx.transact(|tx| {
            let mut settings = tx.person(platform, &me.id)?;
            if let Some(z) = &zone {
                settings.zone = Some(z.name().to_string());
            }
            if let Some(q) = quiet {
                settings.quiet = q;
            }
            tx.put_person(platform, &me.id, &settings)?;
            Ok(settings)
        })?
    };
    let shown = zone_of(&settings, &default);
    Ok(Reply::one(
        Destination::Requester,
        Body::Text(messages::time_settings(&settings, &shown, ctx.req.at)),
    ))
}

/// `/story mine`: every section the requester writes (claimed or assigned) in the stories
/// of this platform and workspace, with its state and due time, and the sections waiting
/// for their review.
pub(crate) fn mine(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let me = &ctx.req.actor;
    let here = ctx.channel();
    let quorum = ctx.desk.config.review.quorum;
    let mut writing = Vec::new();
    let mut reviewing = Vec::new();
    for id in ctx.desk.store.story_ids()? {
        let Some(story) = ctx.desk.store.story(id)? else {
            continue;
        };
        if story.home.platform != here.platform
            || story.home.team != here.team
            || story.published.is_some()
        {
            continue;
        }
        for s in &story.sections {
            let state = s.state(quorum);
            let due = story.timing.section_due(&s.name);
            if s.owner.as_ref().is_some_and(|o| o.id == me.id) {
                writing.push(messages::MineLine {
                    story: story.id,
                    title: story.headline().to_string(),
                    channel: story.home.channel.clone(),
                    section: s.name.clone(),
                    state,
                    due,
                });
            } else if state == SectionState::InReview
                && !s.current_approvals().any(|a| a.by.id == me.id)
            {
                let author = ctx
                    .desk
                    .store
                    .revision(story.id, &s.name, s.revisions)?
                    .map(|r| r.author.id);
                if author.as_deref() != Some(me.id.as_str()) {
                    reviewing.push(messages::MineLine {
                        story: story.id,
                        title: story.headline().to_string(),
                        channel: story.home.channel.clone(),
                        section: s.name.clone(),
                        state,
                        due,
                    });
                }
            }
        }
    }
    Ok(Reply::one(
        Destination::Requester,
        Body::Text(messages::mine(&writing, &reviewing)),
    ))
}

/// `/story embargo until:WHEN | clear:true` (editors): nobody publishes before then; with
/// neither, says whether the story is embargoed.
pub(crate) fn embargo(ctx: &Ctx<'_>) -> Result<Reply, DeskError> {
    let id = ctx.story_id()?;
    let until = ctx.when("until")?;
    let clear = ctx.opt("clear") == Some("true");
    if until.is_none() && !clear {
        let story = ctx.load(id)?;
        return Ok(Reply::one(
            Destination::Requester,
            Body::Text(messages::embargo_state(&story)),
        ));
    }
    if until.is_some() && clear {
        return user(messages::embargo_until_or_clear());
    }
    let story = ctx.transact(|tx| {
        let mut story = tx_story(tx, id)?;
        if story.published.is_some() {
            return user(messages::due_after_publication(&story));
        }
        story.timing.embargo = until;
        ctx.log(tx, &mut story, AuditEvent::Embargoed { until })?;
        save(tx, &mut story)?;
        Ok(story)
    })?;
    let text = messages::embargo_set(&story, until, &ctx.req.actor);
    Ok(announced(ctx.desk, &story, text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::timers::publish_key;

    #[test]
    fn keys_name_what_they_are_for() {
        assert!(matches!(
            kind_of(&remind_key(StoryId(3), "body")),
            Some(Kind::Remind(StoryId(3), "body"))
        ));
        assert!(matches!(
            kind_of(&overdue_key(StoryId(3), "a/b")),
            Some(Kind::Overdue(StoryId(3), "a/b"))
        ));
        assert!(matches!(
            kind_of(&publish_key(StoryId(12))),
            Some(Kind::Publish(StoryId(12)))
        ));
        assert!(kind_of("publish/x").is_none());
        assert!(kind_of("other/1").is_none());
    }
}
