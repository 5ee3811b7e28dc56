//! Newsroom time: deadlines, reminders, scheduled publishing and embargoes, on one durable
//! scheduler kept in the store.
//!
//! Every timed thing is a job in the store's scheduler ([`crate::store::Job`]), in the
//! queue of the story's platform, under a key that names what it is for
//! (`remind/3/body`, `overdue/3/body`, `publish/3`): moving a deadline schedules the same
//! key again, which replaces the job. [`Desk::run_due`] fires what is due: each job is taken
//! and its effect written in one transaction, so it fires once, across restarts and
//! replicas, and what it sends is returned to the adapter to deliver.

use crate::model::{ChannelKey, Person, Platform, StoryId, Timestamp};

use super::{Desk, DeskError, Reply};

/// What a job that fell due sends: a reply about a story, to deliver in its channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The story's home channel: where `Channel`, `Thread`, `Board` and `Publish` posts go.
    pub channel: ChannelKey,
    /// What to send. `Direct` posts go to one person; there is never a `Requester` post.
    pub reply: Reply,
}

impl Desk {
    /// Fires every job of `platform` due at `now`, earliest first; what each sends.
    pub fn run_due(&self, platform: Platform, now: Timestamp) -> Result<Vec<Due>, DeskError> {
        let _ = (platform, now);
        Ok(Vec::new())
    }

    /// When the next job of `platform` falls due, to sleep until then.
    pub fn next_due(&self, platform: Platform) -> Result<Option<Timestamp>, DeskError> {
        Ok(self.store.next_job_at(platform.as_str())?)
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
        let _ = (platform, person, text);
        Ok(())
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
        let _ = (platform, person_id, zone);
        Ok(())
    }
}

/// `/story due`.
pub(crate) fn due(ctx: &super::Ctx<'_>) -> Result<Reply, DeskError> {
    let _ = ctx;
    super::user("not yet".into())
}

/// `/story tz`.
pub(crate) fn tz(ctx: &super::Ctx<'_>) -> Result<Reply, DeskError> {
    let _ = ctx;
    super::user("not yet".into())
}

/// `/story mine`.
pub(crate) fn mine(ctx: &super::Ctx<'_>) -> Result<Reply, DeskError> {
    let _ = ctx;
    super::user("not yet".into())
}

/// `/story embargo`.
pub(crate) fn embargo(ctx: &super::Ctx<'_>) -> Result<Reply, DeskError> {
    let _ = ctx;
    super::user("not yet".into())
}

/// `/story correct`.
pub(crate) fn correct(ctx: &super::Ctx<'_>) -> Result<Reply, DeskError> {
    let _ = ctx;
    super::user("not yet".into())
}

#[allow(dead_code)]
fn _story(_: StoryId) {}
