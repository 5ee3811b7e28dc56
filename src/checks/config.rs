//! `[checks]`: the newsroom's own rule files, rules switched off, levels changed.

use std::path::PathBuf;

use serde::Deserialize;

use super::Level;

/// `[checks]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecksConfig {
    /// Directories of the newsroom's own rule files (`*.toml`), read after the built-in
    /// rules: a rule with a built-in rule's id replaces it, a new id adds a rule. Relative
    /// paths are taken from the directory of the config file that names them.
    pub dirs: Vec<PathBuf>,
    /// Rule ids switched off.
    pub disable: Vec<String>,
    /// Levels changed by rule id (`{ unsourced = "error" }`), applied last.
    pub levels: std::collections::BTreeMap<String, Level>,
    /// Shortest run of words shared verbatim with a source that the source-protection
    /// check reports.
    pub verbatim_words: u32,
    /// The level of the source-protection check's findings.
    pub verbatim_level: Level,
}
