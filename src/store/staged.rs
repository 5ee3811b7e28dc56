//! Changes that are committed but not yet in sled's trees.
//!
//! A transaction runs on the store's own writer lock, against sled's trees as seen through
//! what earlier transactions staged here. When it commits, its writes are staged (and it
//! takes its ticket); the flusher then applies everything staged since its last round to
//! sled as **one** sled transaction, flushes, and answers every writer the round covered.
//!
//! Why: sled 0.34.7 pins its log for every transaction (two synced log writes each) and runs
//! each under a process-wide lock, so one sled transaction per change bounds durable writes
//! at a few thousand a second whatever the flushes do. Staged changes cost a map insert each;
//! a round of any size costs one sled transaction.
//!
//! Reads inside a transaction look at its own writes, then at `open` (staged since the
//! round started), then at `applying` (the round being applied), then at sled. Reads
//! outside transactions look at sled only: they see every change that has been answered
//! (a writer is answered after its round is applied and flushed), and none that could
//! still be lost.

use std::collections::HashMap;
use std::sync::Arc;

use sled::IVec;

use super::integrity::Tree;

/// Writes to one tree: key → new value, or `None` for a removal.
pub(super) type TreeChanges = HashMap<Vec<u8>, Option<IVec>>;

/// Writes to both trees.
#[derive(Debug, Default)]
pub(super) struct Changes {
    /// The `stories` tree.
    pub(super) stories: TreeChanges,
    /// The `events` tree.
    pub(super) events: TreeChanges,
}

impl Changes {
    /// The writes to one tree.
    pub(super) fn tree(&self, tree: Tree) -> &TreeChanges {
        match tree {
            Tree::Stories => &self.stories,
            Tree::Events => &self.events,
        }
    }

    /// The writes to one tree, to change.
    pub(super) fn tree_mut(&mut self, tree: Tree) -> &mut TreeChanges {
        match tree {
            Tree::Stories => &mut self.stories,
            Tree::Events => &mut self.events,
        }
    }

    /// True when nothing is written.
    pub(super) fn is_empty(&self) -> bool {
        self.stories.is_empty() && self.events.is_empty()
    }

    /// How many keys are written.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.stories.len() + self.events.len()
    }

    /// Lays `newer` over these writes (its value wins for a key both wrote).
    fn absorb(&mut self, newer: Changes) {
        self.stories.extend(newer.stories);
        self.events.extend(newer.events);
    }
}

/// What is committed and not yet in sled, guarded by the store's writer lock.
#[derive(Debug, Default)]
pub(super) struct Staged {
    /// Staged since the running round took its share.
    open: Changes,
    /// The round being applied to sled right now.
    applying: Option<Arc<Changes>>,
    /// Why applying a round failed. Transactions that committed after it may have read its
    /// changes, which sled never got: the store takes no more writes until it is reopened.
    failed: Option<String>,
}

impl Staged {
    /// The staged value of `key`: `Some(None)` when a staged change removed it, `None` when
    /// nothing staged touches it (read sled).
    pub(super) fn get(&self, tree: Tree, key: &[u8]) -> Option<&Option<IVec>> {
        self.open
            .tree(tree)
            .get(key)
            .or_else(|| self.applying.as_deref().and_then(|a| a.tree(tree).get(key)))
    }

    /// Stages a committed transaction's writes.
    pub(super) fn stage(&mut self, changes: Changes) {
        if self.open.is_empty() {
            self.open = changes;
        } else {
            self.open.absorb(changes);
        }
    }

    /// Hands everything staged so far to a round; `None` when nothing is staged.
    pub(super) fn start_round(&mut self) -> Option<Arc<Changes>> {
        if self.open.is_empty() {
            return None;
        }
        let round = Arc::new(std::mem::take(&mut self.open));
        self.applying = Some(round.clone());
        Some(round)
    }

    /// The round is in sled: reads find it there from now on.
    pub(super) fn round_applied(&mut self) {
        self.applying = None;
    }

    /// The round could not be applied: refuse writes from now on.
    pub(super) fn round_failed(&mut self, why: String) {
        self.applying = None;
        self.open = Changes::default();
        self.failed = Some(why);
    }

    /// Why the store takes no more writes, if it does not.
    pub(super) fn failure(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    /// True when nothing waits to be applied.
    pub(super) fn is_idle(&self) -> bool {
        self.open.is_empty() && self.applying.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(tree: Tree, key: &str, value: Option<&str>) -> Changes {
        let mut c = Changes::default();
        c.tree_mut(tree).insert(
            key.as_bytes().to_vec(),
            value.map(|v| IVec::from(v.as_bytes())),
        );
        c
    }

    #[test]
    fn reads_see_the_newest_staged_value_then_the_round_being_applied() {
        let mut staged = Staged::default();
        staged.stage(write(Tree::Stories, "a", Some("1")));
        let round = staged.start_round().expect("something was staged");
        assert_eq!(round.len(), 1);
        assert_eq!(
            staged.get(Tree::Stories, b"a"),
            Some(&Some(IVec::from(&b"1"[..])))
        );
        staged.stage(write(Tree::Stories, "a", None));
        assert_eq!(staged.get(Tree::Stories, b"a"), Some(&None));
        // The same key in the other tree is another record.
        assert_eq!(staged.get(Tree::Events, b"a"), None);
        staged.round_applied();
        assert_eq!(staged.get(Tree::Stories, b"a"), Some(&None));
        assert!(!staged.is_idle());
        let next = staged.start_round().expect("the removal is staged");
        assert_eq!(next.tree(Tree::Stories).get(&b"a"[..]), Some(&None));
        staged.round_applied();
        assert!(staged.is_idle());
        assert_eq!(staged.get(Tree::Stories, b"a"), None);
        assert!(staged.start_round().is_none());
    }

    #[test]
    fn a_later_write_to_the_same_key_wins_within_a_round() {
        let mut staged = Staged::default();
        staged.stage(write(Tree::Events, "k", Some("old")));
        staged.stage(write(Tree::Events, "k", Some("new")));
        staged.stage(write(Tree::Events, "other", Some("x")));
        let round = staged.start_round().expect("staged");
        assert_eq!(round.len(), 2);
        assert_eq!(
            round.tree(Tree::Events).get(&b"k"[..]),
            Some(&Some(IVec::from(&b"new"[..])))
        );
    }

    #[test]
    fn a_failed_round_drops_what_was_staged_and_refuses_more() {
        let mut staged = Staged::default();
        staged.stage(write(Tree::Stories, "a", Some("1")));
        let _round = staged.start_round();
        staged.stage(write(Tree::Stories, "b", Some("2")));
        staged.round_failed("disk full".into());
        assert_eq!(staged.failure(), Some("disk full"));
        assert_eq!(staged.get(Tree::Stories, b"a"), None);
        assert_eq!(staged.get(Tree::Stories, b"b"), None);
        assert!(staged.is_idle());
    }
}
