//! Readiness: which parts of a running storydesk can do their work, for `GET /readyz`.
//!
//! `serve` makes one [`Readiness`] and gives each connection it starts a [`Signal`]
//! registered in it (the Discord gateway, Slack's Socket Mode). The adapter sets its
//! signal as the connection comes and goes: ready when Discord's READY (or RESUMED) has
//! arrived, or Slack's `hello`; not ready, with the reason, when the connection is lost.
//! The store is checked by `/readyz` itself each time (see [`crate::server`]). A signal made
//! with [`Signal::detached`] belongs to no registry, for adapters run without `serve`
//! (tests, tools).

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
}
