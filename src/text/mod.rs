//! Pure text handling: no platform, network or storage types come in here.
//!
//! - [`normalise`]: cleans text that comes in (control, invisible and bidi characters, stray
//!   joiners, NFC, line endings).
//! - [`diff`]: word-level differences between two revisions of a section, as Markdown.
//! - [`merge`]: three-way merge of a section edited on two sides (paragraphs, sentences, words).
//! - [`cite`]: references formatted in APA 7, MLA 9 and Chicago, and partial dates.
//! - [`counts`]: counts as people read them (146,160; "1 error", "2 errors").
//! - [`chunk`]: long Markdown cut into pieces that fit a platform's message limit.
//! - [`when`]: times people type (`tomorrow 9:30`, `+2h`) in their zone, quiet hours, and
//!   times in messages that each platform renders in its reader's zone.

pub mod chunk;
pub mod cite;
pub mod counts;
pub mod diff;
pub mod merge;
pub mod normalise;
pub mod when;
