//! Drafting help: proposals for a section's text, written from the story's sources.
//!
//! Two drafters sit behind one trait, [`Drafter`]:
//!
//! - [`extractive::ExtractiveDrafter`], the default: offline and deterministic. It ranks the
//!   sources' sentences by how central they are (TextRank over sentence similarity) and
//!   proposes title candidates from the most central phrases, an introduction from the top
//!   sentences and a body from the rest in source order. Every sentence it proposes is a
//!   source sentence, copied word for word.
//! - [`chat::ChatDrafter`]: any model server that speaks the OpenAI Chat Completions API
//!   (OpenAI, Ollama, llama.cpp's server, vLLM, LM Studio), over HTTP, streamed.
//!
//! [`Assistant`] picks one from `[assist]` in the configuration ([`AssistConfig`], defined
//! here with the module it configures; [`policy::choose`] refuses a
//! model that is not on this machine unless `allow_remote` is set), runs it, passes the text
//! written so far to the caller at most about once a second, and strips a model's preamble
//! and closing offers from the answer ([`tidy`]).
//!
//! What a draft is made from is a [`Brief`]: the section and the template's guidance for it,
//! the other sections as they stand, the person's guidance and the sources. The desk builds
//! it (it knows the story and the rules) and stores the result as a suggestion that only a
//! person can turn into a revision; `crate::drafting` runs a desk's drafting jobs in an
//! adapter's async context.
//!
//! Architecture invariant: a brief's sources and a model's prompt or answer never reach a
//! log line or an error message. [`Brief`]'s `Debug` shows sizes only; the HTTP client logs
//! status codes and sizes. `extractive`, `policy`, `prompt`, `tidy` and `sse` are pure (no
//! HTTP, no clock, no store); only `chat` and [`Assistant`] do input and output.

pub mod chat;
mod config;
pub mod extractive;
pub mod policy;
pub mod prompt;
pub mod sse;
pub mod tidy;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use config::AssistConfig;

/// A boxed future, so drafters can be used as trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One source as a drafter sees it.
#[derive(Clone, PartialEq, Eq)]
pub struct SourceText {
    /// The source's number in the story (1, 2, …), so a draft can say where it comes from.
    pub number: u32,
    /// The label the team gave it.
    pub label: String,
    /// Its normalised text (possibly cut; see `omitted_bytes`).
    pub text: String,
    /// Bytes of this source left out because of the size limit for this drafter.
    pub omitted_bytes: u64,
}

/// Collects sources for a brief up to a number of bytes: sources are taken in order, the
/// last that fits is cut at a character boundary, and the rest are counted as left out.
#[derive(Debug)]
pub struct SourceBudget {
    /// Bytes still free.
    left: usize,
    /// The sources taken.
    sources: Vec<SourceText>,
    /// Sources left out entirely.
    omitted: u32,
}

impl SourceBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: u64) -> Self {
        SourceBudget {
            left: usize::try_from(limit).unwrap_or(usize::MAX),
            sources: Vec::new(),
            omitted: 0,
        }
    }

    /// True while another source would get at least a byte (so its text is worth loading).
    pub fn has_room(&self) -> bool {
        self.left > 0
    }

    /// Counts a source that is left out without looking at it.
    pub fn leave_out(&mut self) {
        self.omitted += 1;
    }

    /// Takes a source, cut to what is left of the budget.
    pub fn take(&mut self, number: u32, label: &str, text: &str) {
        if self.left == 0 {
            self.omitted += 1;
            return;
        }
        let mut cut = text.len().min(self.left);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        self.left -= cut;
        self.sources.push(SourceText {
            number,
            label: label.to_string(),
            text: text[..cut].to_string(),
            omitted_bytes: (text.len() - cut) as u64,
        });
    }

    /// The sources taken and the number left out.
    pub fn finish(self) -> (Vec<SourceText>, u32) {
        (self.sources, self.omitted)
    }
}

/// One section of the template, as a drafter needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionOutline {
    /// The section's name (`introduction`).
    pub name: String,
    /// What the section should do, from the template.
    pub guidance: String,
    /// The template's lower bound in characters.
    pub min_chars: u32,
    /// The template's upper bound in characters.
    pub max_chars: u32,
}

/// Everything a drafter is given to propose one section.
#[derive(Clone, PartialEq, Eq)]
pub struct Brief {
    /// The story's working title, if there is a story.
    pub title: Option<String>,
    /// The section to draft (one of `outline`).
    pub section: String,
    /// The template's written sections in publishing order (generated ones, such as the
    /// references, left out), so a drafter knows what the other sections are for.
    pub outline: Vec<SectionOutline>,
    /// What the person asked the drafter to focus on.
    pub guidance: Option<String>,
    /// The other sections' current text, by name, in template order.
    pub others: Vec<(String, String)>,
    /// Other sections being drafted together with this one (`/story draft section:all`):
    /// their current text is only context, since it is about to be replaced.
    pub redrafting: Vec<String>,
    /// The sources, in the story's order.
    pub sources: Vec<SourceText>,
    /// Sources left out entirely because of the size limit.
    pub omitted_sources: u32,
}

impl Brief {
    /// The outline of the section to draft.
    pub fn target(&self) -> Option<&SectionOutline> {
        self.outline.iter().find(|s| s.name == self.section)
    }

    /// Total bytes of source text in the brief.
    pub fn source_bytes(&self) -> usize {
        self.sources.iter().map(|s| s.text.len()).sum()
    }
}

impl fmt::Debug for Brief {
    /// Sizes only: a brief holds source texts, which never go to a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Brief")
            .field("section", &self.section)
            .field("sources", &self.sources.len())
            .field("source_bytes", &self.source_bytes())
            .field("others", &self.others.len())
            .field("guidance", &self.guidance.as_ref().map(|g| g.len()))
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for SourceText {
    /// The number, label and size: never the text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceText")
            .field("number", &self.number)
            .field("label", &self.label)
            .field("bytes", &self.text.len())
            .field("omitted_bytes", &self.omitted_bytes)
            .finish()
    }
}

/// Which drafter wrote a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The built-in extractive drafter.
    Extractive,
    /// A model over HTTP.
    Model {
        /// The model's name.
        model: String,
        /// The server's host and port, as shown to people.
        host: String,
    },
}

/// A proposal for a section's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// The proposed text.
    pub text: String,
    /// Other candidates (a title's further phrases).
    pub alternatives: Vec<String>,
    /// Set when writing stopped before the end; `text` holds what was written.
    pub incomplete: Option<Failure>,
    /// Lines taken out of a model's answer: a preamble ("Sure, here is …"), a closing offer
    /// ("Let me know if …"), a heading naming the section.
    pub removed: Vec<String>,
    /// Lines kept but worth a look before accepting: remarks addressed to the reader rather
    /// than part of the article ("As an AI, …", "I could not verify …").
    pub flagged: Vec<String>,
    /// The sources the text was copied from (extractive drafts), by number.
    pub from_sources: Vec<u32>,
}

impl Draft {
    /// A complete draft of `text` with nothing else to say.
    pub fn plain(text: String) -> Self {
        Draft {
            text,
            alternatives: Vec::new(),
            incomplete: None,
            removed: Vec::new(),
            flagged: Vec::new(),
            from_sources: Vec::new(),
        }
    }
}

/// Why a draft could not be made (or, in [`Draft::incomplete`], why it stopped early).
/// Values only: the desk's messages module says them to people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The model is not on this machine and `[assist] allow_remote` is false: nothing was sent.
    #[error("the model at {host} is not on this machine and allow_remote is false")]
    Remote {
        /// The configured host.
        host: String,
    },
    /// `[assist] api_key_env` names a variable that is not set.
    #[error("the environment variable {variable} is not set")]
    MissingKey {
        /// The variable's name (never its value).
        variable: String,
    },
    /// The server could not be reached.
    #[error("could not reach {host}: {reason}")]
    Unreachable {
        /// The server's host and port.
        host: String,
        /// What the network said ("connection refused").
        reason: String,
    },
    /// No answer, or no next piece of a streamed answer, within the timeout.
    #[error("no answer within {secs} s")]
    Timeout {
        /// The timeout, in seconds (rounded up).
        secs: u64,
    },
    /// HTTP 429: the server asks to wait.
    #[error("rate limited (429)")]
    RateLimited {
        /// Seconds to wait, from `Retry-After`, when the server said.
        retry_after_secs: Option<u64>,
    },
    /// HTTP 5xx.
    #[error("server error {status}")]
    ServerError {
        /// The status code.
        status: u16,
    },
    /// HTTP 4xx other than 429: a wrong key, an unknown model, a prompt too long.
    #[error("request refused with {status}")]
    Rejected {
        /// The status code.
        status: u16,
        /// The server's own explanation, shortened; shown to the person who asked, never
        /// logged.
        message: Option<String>,
    },
    /// The answer was not what the Chat Completions API promises.
    #[error("unreadable answer: {what}")]
    BadAnswer {
        /// What was wrong, in our words (never quoting the answer).
        what: String,
    },
    /// A streamed answer ended before the model said it had finished.
    #[error("the answer stopped before it was finished")]
    Interrupted,
    /// The model reached `max_tokens` before it finished.
    #[error("the answer reached max_tokens")]
    MaxTokens {
        /// The configured limit.
        max_tokens: u32,
    },
    /// The answer had no text (or only a preamble).
    #[error("the answer was empty")]
    Empty,
    /// The extractive drafter found no sentence it could use.
    #[error("no usable sentence in the sources")]
    NoSentences,
    /// No source phrase fits the section's length (a title).
    #[error("no phrase fits {max_chars} characters")]
    NothingFits {
        /// The section's limit.
        max_chars: u32,
    },
    /// The brief names a section the outline does not have (a programming error).
    #[error("unknown section {section}")]
    UnknownSection {
        /// The section named.
        section: String,
    },
    /// The drafting task itself failed.
    #[error("the drafting task failed")]
    Crashed,
}

/// Receives the text written so far (deltas, not the whole), as a drafter writes it.
pub type Sink<'a> = &'a mut (dyn FnMut(&str) + Send);

/// A drafter: turns a brief into a draft.
pub trait Drafter: Send + Sync {
    /// Which drafter this is.
    fn origin(&self) -> Origin;

    /// Writes a draft. Pieces of text are given to `sink` as they arrive (a streamed
    /// answer); a drafter that writes all at once may call it once or never.
    fn draft<'a>(
        &'a self,
        brief: Arc<Brief>,
        sink: Sink<'a>,
    ) -> BoxFuture<'a, Result<Draft, Failure>>;
}

/// Lets progress through at most once per interval.
#[derive(Debug, Clone)]
pub struct Throttle {
    /// The shortest time between two updates.
    every: Duration,
    /// When the last update went through.
    last: Option<Instant>,
}

impl Throttle {
    /// A throttle that lets one update through per `every`.
    pub fn new(every: Duration) -> Self {
        Throttle { every, last: None }
    }

    /// True when an update at `now` may go through (and records it).
    pub fn ready(&mut self, now: Instant) -> bool {
        match self.last {
            Some(last) if now.saturating_duration_since(last) < self.every => false,
            _ => {
                self.last = Some(now);
                true
            }
        }
    }
}

/// How often the text written so far is passed on: chat platforms rate-limit message edits,
/// and people cannot read faster anyway.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// The configured drafter, with progress and tidying around it.
#[derive(Clone)]
pub struct Assistant {
    /// The drafter in use.
    drafter: Arc<dyn Drafter>,
    /// How often progress is passed on.
    progress_every: Duration,
}

impl fmt::Debug for Assistant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Assistant")
            .field("origin", &self.drafter.origin())
            .field("progress_every", &self.progress_every)
            .finish()
    }
}

/// Options for building an [`Assistant`] beyond the configuration.
#[derive(Debug, Clone, Default)]
pub struct AssistantOptions {
    /// Pins host names to addresses instead of asking DNS (like `curl --resolve`), for a
    /// model server reached through a name that DNS does not know, and for tests. With pinned
    /// hosts no HTTP proxy is used, so connections go to the pinned addresses.
    pub resolve: Vec<(String, std::net::SocketAddr)>,
    /// How often progress is passed on; `None` for [`PROGRESS_EVERY`].
    pub progress_every: Option<Duration>,
    /// The timeout, overriding `[assist] timeout_secs` (finer than whole seconds).
    pub timeout: Option<Duration>,
}

impl Assistant {
    /// The drafter `[assist]` asks for: the extractive drafter when no model is configured,
    /// else the model, which is refused ([`Failure::Remote`]) when it is not on this machine
    /// and `allow_remote` is false.
    pub fn from_config(config: &AssistConfig) -> Result<Self, Failure> {
        Self::with_options(config, AssistantOptions::default())
    }

    /// [`Assistant::from_config`] with extra options.
    pub fn with_options(config: &AssistConfig, options: AssistantOptions) -> Result<Self, Failure> {
        let drafter: Arc<dyn Drafter> = match policy::choose(config)? {
            policy::Choice::Extractive => Arc::new(extractive::ExtractiveDrafter),
            policy::Choice::Model(endpoint) => {
                let timeout = options
                    .timeout
                    .unwrap_or(Duration::from_secs(config.timeout_secs));
                Arc::new(chat::ChatDrafter::new(
                    endpoint,
                    chat::ChatSettings {
                        api_key_env: config.api_key_env.trim().to_string(),
                        timeout,
                        max_tokens: config.max_tokens,
                    },
                    &options.resolve,
                )?)
            }
        };
        Ok(Assistant {
            drafter,
            progress_every: options.progress_every.unwrap_or(PROGRESS_EVERY),
        })
    }

    /// An assistant around any drafter.
    pub fn with_drafter(drafter: Arc<dyn Drafter>, progress_every: Duration) -> Self {
        Assistant {
            drafter,
            progress_every,
        }
    }

    /// Which drafter is in use.
    pub fn origin(&self) -> Origin {
        self.drafter.origin()
    }

    /// Writes a draft of `brief`'s section. While a model streams its answer, `progress`
    /// receives the (tidied) text written so far, at most once per progress interval. A
    /// model's answer is tidied ([`tidy::tidy`]); an answer cut short keeps its text in a
    /// draft marked [`Draft::incomplete`].
    pub async fn draft(
        &self,
        brief: Arc<Brief>,
        progress: &mut (dyn FnMut(&str) + Send),
    ) -> Result<Draft, Failure> {
        let origin = self.drafter.origin();
        let section = brief.section.clone();
        let mut written = String::new();
        let mut throttle = Throttle::new(self.progress_every);
        let result = {
            let mut sink = |piece: &str| {
                written.push_str(piece);
                if throttle.ready(Instant::now()) {
                    let shown = tidy::tidy(&written, &section);
                    if !shown.text.is_empty() {
                        progress(&shown.text);
                    }
                }
            };
            self.drafter.draft(brief, &mut sink).await
        };
        match origin {
            Origin::Extractive => result,
            Origin::Model { .. } => match result {
                Ok(draft) => finish_model_draft(draft, &section),
                Err(failure) => {
                    let tidied = tidy::tidy(&written, &section);
                    if tidied.text.trim().is_empty() {
                        Err(failure)
                    } else {
                        Ok(Draft {
                            text: tidied.text,
                            alternatives: Vec::new(),
                            incomplete: Some(failure),
                            removed: tidied.removed,
                            flagged: tidied.flagged,
                            from_sources: Vec::new(),
                        })
                    }
                }
            },
        }
    }
}

/// Tidies a model's finished answer; an answer with nothing left is [`Failure::Empty`].
fn finish_model_draft(draft: Draft, section: &str) -> Result<Draft, Failure> {
    let tidied = tidy::tidy(&draft.text, section);
    if tidied.text.trim().is_empty() {
        return Err(draft.incomplete.unwrap_or(Failure::Empty));
    }
    Ok(Draft {
        text: tidied.text,
        removed: tidied.removed,
        flagged: tidied.flagged,
        ..draft
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_throttle_lets_one_update_through_per_interval() {
        let mut t = Throttle::new(Duration::from_secs(1));
        let start = Instant::now();
        assert!(t.ready(start));
        assert!(!t.ready(start + Duration::from_millis(300)));
        assert!(!t.ready(start + Duration::from_millis(999)));
        assert!(t.ready(start + Duration::from_millis(1000)));
        assert!(!t.ready(start + Duration::from_millis(1500)));
        assert!(t.ready(start + Duration::from_millis(2100)));
        let mut every_time = Throttle::new(Duration::ZERO);
        assert!(every_time.ready(start));
        assert!(every_time.ready(start));
    }

    #[test]
    fn the_source_budget_cuts_at_a_character_and_counts_what_it_leaves_out() {
        let mut b = SourceBudget::new(10);
        b.take(1, "a", "abcdef");
        b.take(2, "b", "ghiéjk");
        // "ghi" fits and é (two bytes) would not: one byte is left.
        assert!(b.has_room());
        b.take(3, "c", "more");
        assert!(!b.has_room());
        b.take(4, "d", "none left");
        b.leave_out();
        let (sources, omitted) = b.finish();
        assert_eq!(omitted, 2);
        let kept: Vec<(&str, u64)> = sources
            .iter()
            .map(|s| (s.text.as_str(), s.omitted_bytes))
            .collect();
        assert_eq!(kept, [("abcdef", 0), ("ghi", 4), ("m", 3)]);
    }

    #[test]
    fn a_brief_never_shows_its_sources_when_debugged() {
        let brief = Brief {
            title: Some("Meta".into()),
            section: "body".into(),
            outline: vec![],
            guidance: Some("cost".into()),
            others: vec![("introduction".into(), "SECRET INTRO".into())],
            redrafting: vec![],
            sources: vec![SourceText {
                number: 1,
                label: "memo".into(),
                text: "SECRET SOURCE TEXT".into(),
                omitted_bytes: 0,
            }],
            omitted_sources: 0,
        };
        let shown = format!("{brief:?} {:?}", brief.sources);
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("source_bytes: 18"), "{shown}");
    }
}
