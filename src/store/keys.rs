//! Key encoding for the `stories` and `events` trees.
//!
//! Integers are big-endian so that sled's byte order is numeric order: revision 256 sorts
//! after revision 255, and a prefix scan returns a section's revisions or a story's audit log
//! oldest first. Names (sections, teams, channels) are terminated by a NUL byte, so
//! `body` never matches a scan for `bodyguard`; a name containing NUL is refused.
//! The layout itself is written down in the `store` module's documentation.

use crate::model::{ChannelKey, StoryId};

/// Prefix of story records: `s/{story u64}`.
const STORY: &[u8] = b"s/";
/// Prefix of revisions: `r/{story u64}/{section}\0{revision u32}`.
const REVISION: &[u8] = b"r/";
/// Prefix of sources: `o/{story u64}/{number u32}`.
const SOURCE: &[u8] = b"o/";
/// Prefix of audit entries: `a/{story u64}/{seq u64}`.
const AUDIT: &[u8] = b"a/";
/// Prefix of channel records: `c/{platform}\0{team}\0{channel}`.
const CHANNEL: &[u8] = b"c/";
/// Prefix of a channel's stories, one key each: `n/{platform}\0{team}\0{channel}\0{story u64}`.
const CHANNEL_STORY: &[u8] = b"n/";
/// Prefix of assisted drafts: `d/{story u64}/{section}\0`.
const SUGGESTION: &[u8] = b"d/";
/// Prefix of anchors: `k/{name}`.
const ANCHOR: &[u8] = b"k/";
/// Prefix of kept conflicting submissions: `x/{story u64}/{section}\0{person id}`.
const CONFLICT: &[u8] = b"x/";
/// Prefix of the revision each person last saw: `w/{story u64}/{section}\0{person id}`.
const SEEN: &[u8] = b"w/";
/// Prefix of source digests: `i/{story u64}/{number u32}`.
const SOURCE_DIGEST: &[u8] = b"i/";
/// Prefix of the store's own bookkeeping.
const META: &[u8] = b"m/";

/// The counter that hands out story numbers (value: the next number, u64 big-endian).
pub(crate) const NEXT_STORY: &[u8] = b"m/next_story";
/// The key layout's version (value: u32 big-endian).
pub(crate) const SCHEMA: &[u8] = b"m/schema";

/// A name that cannot be part of a key because it contains a NUL byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NulInName {
    /// Which kind of name it was ("section name", "team id", "channel id").
    pub(crate) what: &'static str,
}

/// Refuses names that would break the NUL-terminated layout.
fn checked<'a>(what: &'static str, name: &'a str) -> Result<&'a [u8], NulInName> {
    if name.as_bytes().contains(&0) {
        Err(NulInName { what })
    } else {
        Ok(name.as_bytes())
    }
}

/// `s/{story}`.
pub(crate) fn story(id: StoryId) -> Vec<u8> {
    let mut key = Vec::with_capacity(STORY.len() + 8);
    key.extend_from_slice(STORY);
    key.extend_from_slice(&id.0.to_be_bytes());
    key
}

/// The first key after every key that starts with `prefix`, for a range scan; `None` when
/// no key is after them all (the prefix is empty or all `0xff`).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The prefix every story key starts with, for listing stories.
pub(crate) fn story_prefix() -> &'static [u8] {
    STORY
}

/// The story number of a key under [`story_prefix`], if the key has the right shape.
pub(crate) fn story_id_of(key: &[u8]) -> Option<StoryId> {
    let rest = key.strip_prefix(STORY)?;
    Some(StoryId(u64::from_be_bytes(rest.try_into().ok()?)))
}

/// `r/{story}/{section}\0`: the prefix of one section's revisions.
pub(crate) fn revision_prefix(story: StoryId, section: &str) -> Result<Vec<u8>, NulInName> {
    section_prefix(REVISION, story, section)
}

/// `r/{story}/{section}\0{revision}`.
pub(crate) fn revision(story: StoryId, section: &str, number: u32) -> Result<Vec<u8>, NulInName> {
    let mut key = revision_prefix(story, section)?;
    key.extend_from_slice(&number.to_be_bytes());
    Ok(key)
}

/// `o/{story}/{number}`.
pub(crate) fn source(story: StoryId, number: u32) -> Vec<u8> {
    let mut key = Vec::with_capacity(SOURCE.len() + 8 + 1 + 4);
    key.extend_from_slice(SOURCE);
    key.extend_from_slice(&story.0.to_be_bytes());
    key.push(b'/');
    key.extend_from_slice(&number.to_be_bytes());
    key
}

/// `i/{story}/{number}`: what the checks need of a source (its digest).
pub(crate) fn source_digest(story: StoryId, number: u32) -> Vec<u8> {
    let mut key = source(story, number);
    key[..SOURCE_DIGEST.len()].copy_from_slice(SOURCE_DIGEST);
    key
}

/// `a/{story}/`: the prefix of one story's audit log.
pub(crate) fn audit_prefix(story: StoryId) -> Vec<u8> {
    let mut key = Vec::with_capacity(AUDIT.len() + 8 + 1 + 8);
    key.extend_from_slice(AUDIT);
    key.extend_from_slice(&story.0.to_be_bytes());
    key.push(b'/');
    key
}

/// `a/{story}/{seq}`.
pub(crate) fn audit(story: StoryId, seq: u64) -> Vec<u8> {
    let mut key = audit_prefix(story);
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// `d/{story}/{section}\0`: the latest assisted draft of a section.
pub(crate) fn suggestion(story: StoryId, section: &str) -> Result<Vec<u8>, NulInName> {
    let name = checked("section name", section)?;
    let mut key = Vec::with_capacity(SUGGESTION.len() + 8 + 1 + name.len() + 1);
    key.extend_from_slice(SUGGESTION);
    key.extend_from_slice(&story.0.to_be_bytes());
    key.push(b'/');
    key.extend_from_slice(name);
    key.push(0);
    Ok(key)
}

/// `{prefix}{story}/{section}\0`: the start of a key of one section (its revisions, or a
/// per-person record of it).
fn section_prefix(prefix: &[u8], story: StoryId, section: &str) -> Result<Vec<u8>, NulInName> {
    let name = checked("section name", section)?;
    let mut key = Vec::with_capacity(prefix.len() + 8 + 1 + name.len() + 1 + 16);
    key.extend_from_slice(prefix);
    key.extend_from_slice(&story.0.to_be_bytes());
    key.push(b'/');
    key.extend_from_slice(name);
    key.push(0);
    Ok(key)
}

/// `x/{story}/{section}\0`: the prefix of one section's kept conflicting submissions.
pub(crate) fn conflict_prefix(story: StoryId, section: &str) -> Result<Vec<u8>, NulInName> {
    section_prefix(CONFLICT, story, section)
}

/// `x/{story}/{section}\0{person}`: one person's kept conflicting submission.
pub(crate) fn conflict(story: StoryId, section: &str, person: &str) -> Result<Vec<u8>, NulInName> {
    let mut key = conflict_prefix(story, section)?;
    key.extend_from_slice(checked("person id", person)?);
    Ok(key)
}

/// `w/{story}/{section}\0{person}`: the revision of a section a person last saw.
pub(crate) fn seen(story: StoryId, section: &str, person: &str) -> Result<Vec<u8>, NulInName> {
    let mut key = section_prefix(SEEN, story, section)?;
    key.extend_from_slice(checked("person id", person)?);
    Ok(key)
}

/// `c/{platform}\0{team}\0{channel}`.
pub(crate) fn channel(channel: &ChannelKey) -> Result<Vec<u8>, NulInName> {
    let team = checked("team id", &channel.team)?;
    let id = checked("channel id", &channel.channel)?;
    let platform = channel.platform.as_str().as_bytes();
    let mut key = Vec::with_capacity(CHANNEL.len() + platform.len() + team.len() + id.len() + 2);
    key.extend_from_slice(CHANNEL);
    key.extend_from_slice(platform);
    key.push(0);
    key.extend_from_slice(team);
    key.push(0);
    key.extend_from_slice(id);
    Ok(key)
}

/// The prefix of a channel's story keys ([`channel_story`]); the last NUL keeps channel
/// `C1` from matching `C10`.
pub(crate) fn channel_story_prefix(channel: &ChannelKey) -> Result<Vec<u8>, NulInName> {
    let mut key = self::channel(channel)?;
    key.splice(..CHANNEL.len(), CHANNEL_STORY.iter().copied());
    key.push(0);
    Ok(key)
}

/// The key that says `story` was started in `channel`: its stories in story order under
/// [`channel_story_prefix`].
pub(crate) fn channel_story(channel: &ChannelKey, story: StoryId) -> Result<Vec<u8>, NulInName> {
    let mut key = channel_story_prefix(channel)?;
    key.extend_from_slice(&story.0.to_be_bytes());
    Ok(key)
}

/// The story a key under [`channel_story_prefix`] names.
pub(crate) fn story_of_channel_story(prefix: &[u8], key: &[u8]) -> Option<StoryId> {
    Some(StoryId(u64::from_be_bytes(
        key.strip_prefix(prefix)?.try_into().ok()?,
    )))
}

/// `k/{name}`. Nothing follows the name, so any name is allowed.
pub(crate) fn anchor(name: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(ANCHOR.len() + name.len());
    key.extend_from_slice(ANCHOR);
    key.extend_from_slice(name.as_bytes());
    key
}

/// A key in the `events` tree: the event's idempotency key as bytes.
pub(crate) fn event(key: &str) -> Vec<u8> {
    key.as_bytes().to_vec()
}

/// Where the `events` tree keeps its expiry index: `\0x{expires_at}{event key}`, with an
/// empty value, so a purge reads only the claims that have expired. Idempotency keys are
/// platform-prefixed text (`slack:…`, `discord:…`) and never start with NUL.
pub(crate) const EVENT_EXPIRY_PREFIX: &[u8] = b"\0x";

/// Set in `stories` once every claim in `events` has its expiry index entry.
pub(crate) const EVENTS_INDEXED: &[u8] = b"m/events_indexed";

/// The expiry index entry of the claim on `event` (a key from [`event`]) that expires at
/// `expires_at` (milliseconds since the epoch; before 1970 counts as 0).
pub(crate) fn event_expiry(expires_at: i64, event: &[u8]) -> Vec<u8> {
    let mut k = EVENT_EXPIRY_PREFIX.to_vec();
    k.extend_from_slice(&(expires_at.max(0) as u64).to_be_bytes());
    k.extend_from_slice(event);
    k
}

/// The first expiry index key after every claim that expires at or before `at`.
pub(crate) fn event_expiry_after(at: i64) -> Vec<u8> {
    let mut k = EVENT_EXPIRY_PREFIX.to_vec();
    k.extend_from_slice(&(at.max(0) as u64).saturating_add(1).to_be_bytes());
    k
}

/// The event key an expiry index entry points to, or `None` for a key that is not one.
pub(crate) fn event_of_expiry(key: &[u8]) -> Option<&[u8]> {
    let rest = key.strip_prefix(EVENT_EXPIRY_PREFIX)?;
    rest.get(8..).filter(|k| !k.is_empty())
}

/// Reads a big-endian integer of `N` bytes at the start of `bytes`.
fn be<const N: usize>(bytes: &[u8]) -> Option<[u8; N]> {
    bytes.get(..N)?.try_into().ok()
}

/// A short, printable description of a `stories` key for error messages and logs
/// ("revision 3 of section body of story #12"). Keys hold names and numbers, never text.
pub(crate) fn describe(key: &[u8]) -> String {
    describe_known(key).unwrap_or_else(|| format!("key {:?}", String::from_utf8_lossy(key)))
}

/// [`describe`] for keys of a known shape.
fn describe_known(key: &[u8]) -> Option<String> {
    let (prefix, rest) = key.split_at_checked(2)?;
    let text = |b: &[u8]| String::from_utf8_lossy(b).escape_debug().to_string();
    match prefix {
        STORY => Some(format!(
            "story #{}",
            u64::from_be_bytes(rest.try_into().ok()?)
        )),
        REVISION => {
            let story = u64::from_be_bytes(be::<8>(rest)?);
            let rest = rest.get(9..)?;
            let nul = rest.iter().position(|&b| b == 0)?;
            let number = u32::from_be_bytes(rest.get(nul + 1..)?.try_into().ok()?);
            Some(format!(
                "revision {number} of section {} of story #{story}",
                text(&rest[..nul])
            ))
        }
        SOURCE | SOURCE_DIGEST => {
            let story = u64::from_be_bytes(be::<8>(rest)?);
            let number = u32::from_be_bytes(rest.get(9..)?.try_into().ok()?);
            let what = if prefix == SOURCE {
                "source"
            } else {
                "digest of source"
            };
            Some(format!("{what} {number} of story #{story}"))
        }
        AUDIT => {
            let story = u64::from_be_bytes(be::<8>(rest)?);
            let seq = u64::from_be_bytes(rest.get(9..)?.try_into().ok()?);
            Some(format!("audit entry {seq} of story #{story}"))
        }
        SUGGESTION => {
            let story = u64::from_be_bytes(be::<8>(rest)?);
            let name = rest.get(9..)?.strip_suffix(&[0])?;
            Some(format!(
                "assisted draft of section {} of story #{story}",
                text(name)
            ))
        }
        CHANNEL => {
            let parts: Vec<String> = rest.split(|&b| b == 0).map(text).collect();
            Some(format!("channel {}", parts.join("/")))
        }
        CHANNEL_STORY => {
            let (place, story) = rest.split_at_checked(rest.len().checked_sub(9)?)?;
            let story = u64::from_be_bytes(story.get(1..)?.try_into().ok()?);
            let parts: Vec<String> = place.split(|&b| b == 0).map(text).collect();
            Some(format!("story #{story} of channel {}", parts.join("/")))
        }
        CONFLICT | SEEN => {
            let story = u64::from_be_bytes(be::<8>(rest)?);
            let rest = rest.get(9..)?;
            let nul = rest.iter().position(|&b| b == 0)?;
            let what = if prefix == CONFLICT {
                "kept conflicting text"
            } else {
                "revision seen"
            };
            Some(format!(
                "{what} of section {} of story #{story} by {}",
                text(&rest[..nul]),
                text(&rest[nul + 1..])
            ))
        }
        ANCHOR => Some(format!("anchor {}", text(rest))),
        META => Some(format!("store setting {}", text(rest))),
        _ => None,
    }
}

/// A printable description of an `events` key.
pub(crate) fn describe_event(key: &[u8]) -> String {
    format!(
        "processed event {}",
        String::from_utf8_lossy(key).escape_debug()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_ends_before_the_next_prefix() {
        assert_eq!(prefix_end(b"s/ab"), Some(b"s/ac".to_vec()));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
        assert_eq!(prefix_end(&[]), None);
    }
    use crate::model::Platform;

    #[test]
    fn revisions_sort_numerically_within_their_section() {
        let id = StoryId(7);
        let k255 = revision(id, "body", 255).unwrap();
        let k256 = revision(id, "body", 256).unwrap();
        assert!(k255 < k256);
        let prefix = revision_prefix(id, "body").unwrap();
        assert!(k256.starts_with(&prefix));
        assert!(!revision(id, "bodyguard", 1).unwrap().starts_with(&prefix));
        assert!(!revision(StoryId(8), "body", 1)
            .unwrap()
            .starts_with(&prefix));
    }

    #[test]
    fn stories_and_audit_entries_sort_numerically() {
        assert!(story(StoryId(255)) < story(StoryId(256)));
        assert!(audit(StoryId(1), 255) < audit(StoryId(1), 256));
        assert!(audit(StoryId(1), u64::MAX).starts_with(&audit_prefix(StoryId(1))));
        assert_eq!(story_id_of(&story(StoryId(42))), Some(StoryId(42)));
        assert_eq!(story_id_of(b"s/short"), None);
    }

    #[test]
    fn names_with_nul_are_refused() {
        assert_eq!(
            revision(StoryId(1), "bo\0dy", 1),
            Err(NulInName {
                what: "section name"
            })
        );
        let key = ChannelKey {
            platform: Platform::Slack,
            team: "T1".into(),
            channel: "C\0".into(),
        };
        assert_eq!(channel(&key), Err(NulInName { what: "channel id" }));
    }

    #[test]
    fn channel_keys_do_not_collide_across_platforms_or_teams() {
        let a = ChannelKey {
            platform: Platform::Slack,
            team: "T1".into(),
            channel: "C1".into(),
        };
        let b = ChannelKey {
            team: "T1C".into(),
            channel: "1".into(),
            ..a.clone()
        };
        let c = ChannelKey {
            platform: Platform::Discord,
            ..a.clone()
        };
        assert_ne!(channel(&a).unwrap(), channel(&b).unwrap());
        assert_ne!(channel(&a).unwrap(), channel(&c).unwrap());
    }

    #[test]
    fn keys_describe_themselves_without_values() {
        assert_eq!(describe(&story(StoryId(12))), "story #12");
        assert_eq!(
            describe(&revision(StoryId(12), "body", 3).unwrap()),
            "revision 3 of section body of story #12"
        );
        assert_eq!(describe(&source(StoryId(2), 1)), "source 1 of story #2");
        assert_eq!(describe(&audit(StoryId(2), 9)), "audit entry 9 of story #2");
        assert_eq!(describe(&anchor("board:5")), "anchor board:5");
        assert_eq!(
            describe(&suggestion(StoryId(4), "body").unwrap()),
            "assisted draft of section body of story #4"
        );
        assert!(suggestion(StoryId(4), "bo\0dy").is_err());
        assert_eq!(describe(NEXT_STORY), "store setting next_story");
        let key = ChannelKey {
            platform: Platform::Console,
            team: "local".into(),
            channel: "newsroom".into(),
        };
        assert_eq!(
            describe(&channel(&key).unwrap()),
            "channel console/local/newsroom"
        );
        assert_eq!(describe(b"zz"), "key \"zz\"");
    }
}
