//! Slack user groups named in role lists (`group:S…` in `[roles] editors`): who is in them,
//! asked of Slack (`usergroups.users.list`) and kept for a short while.
//!
//! The desk matches a person against `group:S…` only by the groups the adapter says they
//! belong to ([`crate::roles::Memberships`]); this cache is how the adapter knows. A member
//! found in a fresh list is a member at once. Anyone else causes a refresh, because they may
//! have just been added, but at most one per group every [`MIN_REFRESH_GAP`]: a non-member
//! repeating a command cannot make storydesk call Slack once per request. A lookup that
//! fails grants nothing and is logged (the group id and Slack's error code; never a token).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::api::ApiError;

/// How long a group's member list is trusted.
pub const FRESH_FOR: Duration = Duration::from_secs(60);
/// The least time between two lookups of one group.
pub const MIN_REFRESH_GAP: Duration = Duration::from_secs(5);

/// Each group's members as last looked up.
#[derive(Debug)]
pub struct GroupCache {
    /// Group id → its entry; each entry has its own lock, held across a lookup, so
    /// concurrent requests wait for one lookup instead of making several.
    groups: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Entry>>>>,
    /// How long a member list is trusted ([`FRESH_FOR`]).
    fresh_for: Duration,
    /// The least time between two lookups of one group ([`MIN_REFRESH_GAP`]).
    min_gap: Duration,
}

/// One group's members.
#[derive(Debug, Default)]
struct Entry {
    /// The user ids in the group at the last successful lookup.
    users: HashSet<String>,
    /// When the last successful lookup was made.
    fetched: Option<Instant>,
    /// When the last lookup was tried, successful or not: the rate limit.
    tried: Option<Instant>,
}

impl Default for GroupCache {
    fn default() -> Self {
        Self::new(FRESH_FOR, MIN_REFRESH_GAP)
    }
}

impl GroupCache {
    /// A cache trusting a list for `fresh_for` and looking a group up at most once per
    /// `min_gap`.
    pub fn new(fresh_for: Duration, min_gap: Duration) -> Self {
        GroupCache {
            groups: Mutex::new(HashMap::new()),
            fresh_for,
            min_gap,
        }
    }

    /// Whether `user` is in `group`, looking the group up with `fetch` (its member ids) when
    /// the list is missing, stale, or does not have them, and the last lookup is at least
    /// the minimum gap ago.
    pub async fn contains<F, Fut>(&self, group: &str, user: &str, fetch: F) -> bool
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<String>, ApiError>>,
    {
        let entry = {
            let mut groups = self.groups.lock().unwrap_or_else(|p| p.into_inner());
            groups.entry(group.to_string()).or_default().clone()
        };
        let mut entry = entry.lock().await;
        let now = Instant::now();
        let fresh = entry
            .fetched
            .is_some_and(|at| now.duration_since(at) < self.fresh_for);
        if fresh && entry.users.contains(user) {
            return true;
        }
        if entry
            .tried
            .is_some_and(|at| now.duration_since(at) < self.min_gap)
        {
            return false;
        }
        entry.tried = Some(now);
        match fetch().await {
            Ok(users) => {
                entry.users = users.into_iter().collect();
                entry.fetched = Some(now);
                entry.users.contains(user)
            }
            Err(error) => {
                tracing::warn!(
                    group,
                    error = %error,
                    "could not look up the members of a Slack user group named in the roles; it grants nothing until a lookup succeeds"
                );
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A lookup answering `users` and counting its calls.
    fn lookup<'a>(
        calls: &'a AtomicUsize,
        users: &'a [&'a str],
    ) -> impl FnOnce() -> std::future::Ready<Result<Vec<String>, ApiError>> + 'a {
        move || {
            calls.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Ok(users.iter().map(|u| u.to_string()).collect()))
        }
    }

    fn failing(
        calls: &AtomicUsize,
    ) -> impl FnOnce() -> std::future::Ready<Result<Vec<String>, ApiError>> + '_ {
        move || {
            calls.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Err(ApiError::Slack {
                method: "usergroups.users.list".into(),
                error: "no_such_subteam".into(),
            }))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_member_is_found_and_the_list_is_kept_while_fresh() {
        let cache = GroupCache::default();
        let calls = AtomicUsize::new(0);
        assert!(cache.contains("S1", "U1", lookup(&calls, &["U1"])).await);
        tokio::time::advance(Duration::from_secs(30)).await;
        assert!(cache.contains("S1", "U1", lookup(&calls, &["U1"])).await);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Stale after a minute: looked up again, and a removal is seen.
        tokio::time::advance(Duration::from_secs(31)).await;
        assert!(!cache.contains("S1", "U1", lookup(&calls, &["U2"])).await);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_non_member_refreshes_at_most_once_per_gap() {
        let cache = GroupCache::default();
        let calls = AtomicUsize::new(0);
        assert!(!cache.contains("S1", "U9", lookup(&calls, &["U1"])).await);
        for _ in 0..20 {
            assert!(!cache.contains("S1", "U9", lookup(&calls, &["U1"])).await);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // A member is still found from the fresh list meanwhile.
        assert!(cache.contains("S1", "U1", lookup(&calls, &["U1"])).await);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // After the gap a newly added member is found by a refresh.
        tokio::time::advance(MIN_REFRESH_GAP).await;
        assert!(
            cache
                .contains("S1", "U9", lookup(&calls, &["U1", "U9"]))
                .await
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_lookup_grants_nothing_and_is_retried_after_the_gap() {
        let cache = GroupCache::default();
        let calls = AtomicUsize::new(0);
        assert!(!cache.contains("S1", "U1", failing(&calls)).await);
        assert!(!cache.contains("S1", "U1", lookup(&calls, &["U1"])).await);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        tokio::time::advance(MIN_REFRESH_GAP).await;
        assert!(cache.contains("S1", "U1", lookup(&calls, &["U1"])).await);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn groups_are_kept_apart() {
        let cache = GroupCache::default();
        let calls = AtomicUsize::new(0);
        assert!(cache.contains("S1", "U1", lookup(&calls, &["U1"])).await);
        assert!(!cache.contains("S2", "U1", lookup(&calls, &["U2"])).await);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
