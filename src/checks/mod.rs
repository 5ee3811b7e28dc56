//! Pre-publish checks: a rule engine whose rules are data, run over an article's sections,
//! its references and the story's sources.
//!
//! # Layout
//!
//! - `config`: the `[checks]` table of the configuration ([`ChecksConfig`]).
//! - [`rules`]: the rule files (`config/checks/*.toml`, embedded; plus the newsroom's own
//!   directories), their format, loading, overriding and validation.
//! - `engine`: [`Checker`], which runs every rule over a [`Document`].
//! - [`verbatim`]: source protection, the runs of words an article shares with a source,
//!   found in linear time with a rolling hash.
//! - `sources`: the sources of one run, with what the rules compute from them, once.
//! - `digest`: a source read once, when it is added ([`SourceDigest`]), and the story's
//!   sources as the store keeps them ([`StoredSources`]), for [`Checker::run_stored`];
//!   with a source index ([`IndexedSources`]), for [`Checker::run_indexed`].
//! - `index`: the terms a story's source index keeps of each source ([`index_terms`]) and
//!   those a run looks up.
//! - `trace`: traceability, the figures, dates and quotations that no source contains.
//! - [`markdown`]: an article file cut into the template's sections, for `storydesk check`.
//! - `references`: reference entries, from structured references or formatted lines.
//! - `text`: lines and columns, excerpts, quoted passages.
//!
//! Each finding has a rule id, a level, the section and place it concerns, and a message.
//! Only error-level findings stop `/story publish`.
//!
//! Architecture invariant: this module reads no store and knows no chat platform. The desk
//! and the command line gather the texts (sections, references, sources) and pass them in.

mod config;
mod digest;
mod engine;
mod index;
pub mod markdown;
mod references;
pub mod rules;
mod sources;
mod text;
mod trace;
pub mod verbatim;

use serde::{Deserialize, Serialize};

pub use crate::model::SourceDigest;
pub use config::ChecksConfig;
pub use digest::{digest, IndexLookup, IndexedSources, PassagePlace, StoredSources};
pub use engine::Checker;
pub use index::{index_terms, IndexSpec, SourceTerms};
pub use references::ReferenceEntry;
pub use rules::RuleError;

/// How serious a finding is. Only errors block publishing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Worth a look.
    Suggestion,
    /// Should be fixed; does not block.
    Warning,
    /// Blocks publishing.
    Error,
}

impl Level {
    /// The lowercase name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Level::Suggestion => "suggestion",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// Where in a source a finding points (source protection).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourcePlace {
    /// The source's number in the story (or its position on the command line, from 1).
    pub number: u32,
    /// The source's label (or its file name).
    pub label: String,
    /// 1-based line in the source's text.
    pub line: usize,
    /// 1-based column in characters.
    pub column: usize,
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's id (`placeholder-tk`, `required-section`).
    pub rule: String,
    /// How serious.
    pub level: Level,
    /// The section it is in.
    pub section: String,
    /// 1-based line (0 when it concerns the whole section): within the section's text, or
    /// within the file for a section read from a file.
    pub line: usize,
    /// 1-based column in characters (0 when it concerns the whole section).
    pub column: usize,
    /// What is wrong and what to do.
    pub message: String,
    /// The text matched, shortened.
    pub excerpt: String,
    /// For a passage shared with a source: where it is in the source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourcePlace>,
}

/// A section as the checks see it.
#[derive(Debug, Clone)]
pub struct CheckedSection<'a> {
    /// Its canonical name in the template.
    pub name: &'a str,
    /// Its current text, if it has any.
    pub text: Option<&'a str>,
    /// Publishing needs it.
    pub required: bool,
    /// The template's lower bound in characters.
    pub min_chars: u32,
    /// The template's upper bound in characters.
    pub max_chars: u32,
    /// For text read from a file: where each line of `text` is in the file, so findings
    /// point into the file. Empty: lines and columns count within the section.
    pub file_lines: &'a [FileLine],
}

/// Where a line of a section's text stands in the file it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLine {
    /// The file's line number (from 1).
    pub line: usize,
    /// Characters of the file's line before the section's text (the `# ` of a headline).
    pub indent: usize,
}

/// A heading that is not part of any section's text: the headings that mark sections in
/// an article file (`## Body`). Headings inside a section's text are found by the checks.
#[derive(Debug, Clone)]
pub struct Heading<'a> {
    /// The heading's text, without the `#` marks.
    pub text: &'a str,
    /// The section it opens.
    pub section: &'a str,
    /// Its line in the file.
    pub line: usize,
}

/// A source's text, for source protection and traceability.
#[derive(Debug, Clone, Copy)]
pub struct SourceText<'a> {
    /// The source's number in the story (or its position on the command line, from 1).
    pub number: u32,
    /// The source's label (or its file name).
    pub label: &'a str,
    /// The text.
    pub text: &'a str,
}

/// What the checks run on.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    /// Sections in template order.
    pub sections: Vec<CheckedSection<'a>>,
    /// The reference entries, in the order the team numbers them.
    pub references: Vec<ReferenceEntry>,
    /// The name of the references section, to file reference findings under.
    pub references_section: &'a str,
    /// Headings outside the sections' texts (see [`Heading`]).
    pub headings: Vec<Heading<'a>>,
    /// The story's sources.
    pub sources: &'a [SourceText<'a>],
}

impl Document<'_> {
    /// The section with this canonical name.
    pub fn section(&self, name: &str) -> Option<&CheckedSection<'_>> {
        self.sections.iter().find(|s| s.name == name)
    }
}

/// How many findings of each level, for summaries and exit codes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Error-level findings.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// Suggestions.
    pub suggestions: usize,
}

impl Counts {
    /// Count `findings` by level.
    pub fn of(findings: &[Finding]) -> Self {
        let mut c = Counts::default();
        for f in findings {
            match f.level {
                Level::Error => c.errors += 1,
                Level::Warning => c.warnings += 1,
                Level::Suggestion => c.suggestions += 1,
            }
        }
        c
    }
}
