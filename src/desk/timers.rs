//! What the desk's timed work shares: the queue and keys of a story's jobs in the store's
//! scheduler, what a job that fell due sends, and the zone a person's times are in. Used by
//! [`super::schedule`] (deadlines and reminders) and [`super::publish`] (scheduled
//! publications), which do not use each other's.

use crate::model::{ChannelKey, Platform, StoryId, Timestamp};
use crate::store::PersonSettings;
use crate::text::when::{self, Zone};

use super::{messages, user, Body, Ctx, Desk, DeskError, Destination, Reply};

/// What a job that fell due sends: a reply about a story, to deliver in its channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The story's home channel: where `Channel`, `Thread`, `Board` and `Publish` posts go.
    pub channel: ChannelKey,
    /// What to send. `Direct` posts go to one person; there is never a `Requester` post.
    pub reply: Reply,
}

/// The queue of a platform's jobs.
pub(crate) fn queue(platform: Platform) -> &'static str {
    platform.as_str()
}

pub(crate) fn remind_key(story: StoryId, section: &str) -> String {
    format!("remind/{}/{section}", story.0)
}

pub(crate) fn overdue_key(story: StoryId, section: &str) -> String {
    format!("overdue/{}/{section}", story.0)
}

/// The overdue message to a writer who was in their quiet hours when the section fell due.
pub(crate) fn late_key(story: StoryId, section: &str) -> String {
    format!("late/{}/{section}", story.0)
}

pub(crate) fn publish_key(story: StoryId) -> String {
    format!("publish/{}", story.0)
}

/// A person's zone: the one they chose, else the one their platform reports, else the
/// configured default.
pub(crate) fn zone_of(settings: &PersonSettings, default: &Zone) -> Zone {
    settings
        .zone
        .as_deref()
        .or(settings.platform_zone.as_deref())
        .and_then(Zone::named)
        .unwrap_or_else(|| default.clone())
}

impl Desk {
    /// True when the desk has a zone for `person_id`: chosen with `/story tz`, or learnt
    /// from their platform ([`Desk::learn_zone`]).
    pub fn knows_zone(&self, platform: Platform, person_id: &str) -> Result<bool, DeskError> {
        let settings = self.store.person(platform, person_id)?;
        Ok(settings.zone.is_some() || settings.platform_zone.is_some())
    }

    /// The zone `person_id`'s times are read and shown in (see [`zone_of`]).
    pub fn zone_for(&self, platform: Platform, person_id: &str) -> Zone {
        let settings = self.store.person(platform, person_id).unwrap_or_default();
        zone_of(&settings, &self.config.time.zone())
    }
}

impl Ctx<'_> {
    /// The requester's zone.
    pub(crate) fn zone(&self) -> Zone {
        self.desk
            .zone_for(self.channel().platform, &self.req.actor.id)
    }

    /// A WHEN option read in the requester's zone; refused when it is not ahead.
    pub(crate) fn when(&self, option: &str) -> Result<Option<Timestamp>, DeskError> {
        let Some(text) = self.opt(option) else {
            return Ok(None);
        };
        let zone = self.zone();
        let at = when::parse_when(text, self.req.at, &zone).map_err(|e| DeskError::User(e.0))?;
        if at.0 <= self.req.at.0 {
            return user(messages::time_passed(at, &zone));
        }
        Ok(Some(at))
    }
}

/// A change to a story's clock, told in its channel, with the board as it is now.
pub(crate) fn announced(desk: &Desk, story: &crate::model::Story, text: String) -> Reply {
    let mut reply = Reply::about(story.id);
    reply.push(Destination::Channel, Body::Text(text));
    reply.push(
        Destination::Board { story: story.id },
        Body::Board(desk.board(story)),
    );
    reply
}
