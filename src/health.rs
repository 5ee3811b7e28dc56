//! Readiness: which parts of a running storydesk can do their work, for `GET /readyz`.
//!
//! `serve` makes one [`Readiness`] and gives each connection it starts a [`Signal`]
//! registered in it (the Discord gateway, Slack's Socket Mode). The adapter sets its
//! signal as the connection comes and goes: ready when Discord's READY (or RESUMED) has
//! arrived, or Slack's `hello`; not ready, with the reason, when the connection is lost.
//! The store is checked by `/readyz` itself each time (see [`crate::server`]). A signal made
//! with [`Signal::detached`] belongs to no registry, for adapters run without `serve`
//! (tests, tools).
//!
//! Work that one replica at a time runs (Socket Mode, the gateway, the purge: see
//! `serve::singleton`) has a part of its own, `singleton:NAME`, through a [`Holding`]: it
//! says whether this replica holds the work, and is always ready, since work another
//! replica holds is not this one's to do.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;

/// The state of one part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartState {
    /// Whether it can do its work now.
    pub ready: bool,
    /// What it is doing or why it is not ready (`connecting`, `connected`, `disconnected:
    /// reconnecting`).
    pub detail: String,
}

/// The registry of parts whose readiness `/readyz` reports. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Readiness {
    /// Part name → its state.
    parts: Arc<Mutex<BTreeMap<String, PartState>>>,
}

impl Readiness {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Register a part, not ready until its signal says so.
    pub fn register(&self, name: &str) -> Signal {
        let signal = Signal {
            name: name.to_string(),
            parts: Some(self.parts.clone()),
        };
        signal.not_ready("connecting");
        signal
    }

    /// Register the singleton work `job` (part `singleton:JOB`), not yet held.
    pub fn register_singleton(&self, job: &str) -> Holding {
        let holding = Holding {
            job: job.to_string(),
            parts: Some(self.parts.clone()),
        };
        holding.not_held("not held yet: taking it");
        holding
    }

    /// Every registered part and its state, by name.
    pub fn parts(&self) -> BTreeMap<String, PartState> {
        self.parts.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// How one part tells the registry whether it is ready.
#[derive(Debug, Clone)]
pub struct Signal {
    /// The part's name in the registry (`discord_gateway`, `slack_socket_mode`).
    name: String,
    /// The registry, or `None` for a detached signal.
    parts: Option<Arc<Mutex<BTreeMap<String, PartState>>>>,
}

impl Signal {
    /// A signal no registry listens to.
    pub fn detached(name: &str) -> Self {
        Signal {
            name: name.to_string(),
            parts: None,
        }
    }

    /// The part can do its work.
    pub fn ready(&self, detail: &str) {
        self.set(true, detail);
    }

    /// The part cannot do its work now, for this reason.
    pub fn not_ready(&self, why: &str) {
        self.set(false, why);
    }

    fn set(&self, ready: bool, detail: &str) {
        crate::telemetry::component_ready(&self.name, ready);
        let Some(parts) = &self.parts else { return };
        let mut parts = parts.lock().unwrap_or_else(|e| e.into_inner());
        let state = PartState {
            ready,
            detail: detail.to_string(),
        };
        if parts.get(&self.name) != Some(&state) {
            tracing::info!(component = %self.name, ready, detail, "readiness changed");
            parts.insert(self.name.clone(), state);
        }
    }
}

/// The part prefix of singleton work in `/readyz`.
pub const SINGLETON_PART: &str = "singleton:";

/// How singleton work tells the registry whether this replica holds it (and
/// `storydesk_singleton_held` too). Its part is always ready.
#[derive(Debug, Clone)]
pub struct Holding {
    /// The work's name (`purge`, `slack-socket-mode`, `discord-gateway`).
    job: String,
    /// The registry, or `None` when detached.
    parts: Option<Arc<Mutex<BTreeMap<String, PartState>>>>,
}

impl Holding {
    /// A holding no registry listens to.
    pub fn detached(job: &str) -> Self {
        Holding {
            job: job.to_string(),
            parts: None,
        }
    }

    /// This replica holds the work and runs it.
    pub fn held(&self) {
        self.set(true, "held");
    }

    /// This replica does not run the work, for this reason ("held by another replica").
    pub fn not_held(&self, why: &str) {
        self.set(false, why);
    }

    fn set(&self, held: bool, detail: &str) {
        crate::telemetry::singleton_held(&self.job, held);
        let Some(parts) = &self.parts else { return };
        let mut parts = parts.lock().unwrap_or_else(|e| e.into_inner());
        let name = format!("{SINGLETON_PART}{}", self.job);
        let state = PartState {
            ready: true,
            detail: detail.to_string(),
        };
        if parts.get(&name) != Some(&state) {
            tracing::info!(job = %self.job, held, detail, "singleton work changed hands");
            parts.insert(name, state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_is_not_ready_until_its_signal_says_so() {
        let readiness = Readiness::new();
        let gateway = readiness.register("discord_gateway");
        assert_eq!(
            readiness.parts()["discord_gateway"],
            PartState {
                ready: false,
                detail: "connecting".into()
            }
        );
        gateway.ready("connected");
        assert!(readiness.parts()["discord_gateway"].ready);
        gateway.not_ready("disconnected: reconnecting");
        assert_eq!(
            readiness.parts()["discord_gateway"].detail,
            "disconnected: reconnecting"
        );
        Signal::detached("elsewhere").ready("connected");
        assert_eq!(readiness.parts().len(), 1);
    }

    #[test]
    fn singleton_work_says_who_holds_it_and_never_makes_a_replica_unready() {
        let readiness = Readiness::new();
        let purge = readiness.register_singleton("purge");
        let part = |r: &Readiness| r.parts()["singleton:purge"].clone();
        assert_eq!(
            part(&readiness),
            PartState {
                ready: true,
                detail: "not held yet: taking it".into()
            }
        );
        purge.held();
        assert_eq!(part(&readiness).detail, "held");
        purge.not_held("held by another replica");
        assert_eq!(
            part(&readiness),
            PartState {
                ready: true,
                detail: "held by another replica".into()
            }
        );
        Holding::detached("gateway").held();
        assert_eq!(readiness.parts().len(), 1);
    }
}
