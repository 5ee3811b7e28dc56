//! Every sentence the desk says to people, in one place.
//!
//! Messages are Markdown in the common subset that Slack (after the adapter's conversion),
//! Discord and the console all show well: `**bold**`, `*italic*`, `~~strike~~`, `` `code` ``,
//! lists. User-written text appears in them as written; adapters make sure it cannot ping. A
//! refusal quotes at most 40 characters (`QUOTED_CHARS`) of a value someone typed.
//! A user error says what went wrong and what to do; the snapshot tests in
//! `tests/desk_scenarios.rs` and `tests/console.rs` show each of them in context.

use crate::assist::{Brief, Draft, Failure, Origin};
use crate::catalogue::Catalogue;
use crate::checks::{Finding, Level};
use crate::command::parse::ParseError;
use crate::model::{
    AuditEntry, AuditEvent, Correction, CorrectionState, KeptConflict, Person, Publication,
    Revision, Section, SectionState, Source, SourceSummary, Story, StoryId, Suggestion,
    SuggestionState,
};
use crate::template::Template;
use crate::text::diff::WordDiff;
use crate::text::merge::{has_conflict_markers, Passage};

use super::Article;

pub use crate::text::counts::{number, plural};

// ---------------------------------------------------------------------------------------
// Sizes and small helpers

/// `1.0 MiB`, `512 KiB`, `300 bytes`.
pub fn size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b >= KIB * KIB {
        format!("{:.1} MiB", b / (KIB * KIB))
    } else if b >= KIB {
        format!("{:.0} KiB", b / KIB)
    } else {
        plural(bytes as usize, "byte", "bytes")
    }
}

fn words(n: usize) -> String {
    plural(n, "word", "words")
}

/// How many characters of a value a person gave a refusal quotes back. A refusal must stay
/// short whatever was typed: Discord drops a message over 2,000 characters, and a pasted
/// paragraph quoted back helps nobody.
const QUOTED_CHARS: usize = 40;

/// A value a person gave, as a refusal quotes it: whole when it is short, otherwise its first
/// [`QUOTED_CHARS`] characters and "…".
fn quoted(value: &str) -> String {
    match value.char_indices().nth(QUOTED_CHARS) {
        None => value.to_string(),
        Some((end, _)) => format!("{}…", &value[..end]),
    }
}

fn story_name(story: &Story) -> String {
    format!("{} “{}”", story.id, story.headline())
}

// ---------------------------------------------------------------------------------------
// Parsing and finding things

/// A command that could not be understood.
pub fn parse_error(e: &ParseError, catalogue: &Catalogue) -> String {
    let hint = |s: &Option<String>| match s {
        Some(s) => format!(" Did you mean `{s}`?"),
        None => String::new(),
    };
    match e {
        ParseError::Empty => {
            "Which command? Try `/story help` for the list.".to_string()
        }
        ParseError::UnknownSubcommand { given, suggestion } => format!(
            "`/story {}` is not a command.{} Commands: {}.",
            quoted(given),
            hint(suggestion),
            catalogue.names().collect::<Vec<_>>().join(", ")
        ),
        ParseError::UnknownOption {
            subcommand,
            given,
            suggestion,
        } => {
            let valid: Vec<String> = catalogue
                .subcommand(subcommand)
                .map(|s| s.options.iter().map(|o| format!("`{}`", o.name)).collect())
                .unwrap_or_default();
            let valid = if valid.is_empty() {
                "it takes no options".to_string()
            } else {
                format!("its options are {}", valid.join(", "))
            };
            format!(
                "`/story {subcommand}` has no option `{}`.{} ({valid})",
                quoted(given),
                hint(suggestion)
            )
        }
        ParseError::MissingOption { subcommand, option } => {
            let usage = catalogue
                .subcommand(subcommand)
                .map(|s| format!(" Usage: `{}`", s.usage))
                .unwrap_or_default();
            format!("`/story {subcommand}` needs `{option}`.{usage}")
        }
        ParseError::DuplicateOption { option } => {
            format!("The option `{option}` is given twice; give it once.")
        }
        ParseError::BadValue {
            option,
            value,
            expected,
        } => {
            let chars = value.chars().count();
            if chars > QUOTED_CHARS {
                format!(
                    "`{option}:{}` ({} characters) is not valid: `{option}` must be {expected}.",
                    quoted(value),
                    number(chars as u64)
                )
            } else {
                format!("`{option}:{value}` is not valid: `{option}` must be {expected}.")
            }
        }
        ParseError::SpaceAfterColon { option } => format!(
            "`{option}:` is followed by a space, so it has no value. Write the value right after the colon, with no space: `{option}:\"…\"`. Nothing was done."
        ),
        ParseError::SpaceBeforeColon { option } => format!(
            "`{option} :` has a space before the colon, so it reads as plain text. Write `{option}:\"…\"`, with no space before or after the colon. Nothing was done."
        ),
        ParseError::UnterminatedQuote => {
            "A quote is opened and never closed. Close it: `title:\"Meta scrambles\"`.".to_string()
        }
        ParseError::UnexpectedText { subcommand, text } => format!(
            "`/story {subcommand}` does not take the text “{}”. Name the option it is for, like `note:\"…\"`.",
            quoted(text)
        ),
    }
}

/// A section name that is not in the template.
pub fn unknown_section(typed: &str, suggestion: Option<&str>, valid: &[&str]) -> String {
    let hint = suggestion
        .map(|s| format!(" Did you mean `{s}`?"))
        .unwrap_or_default();
    format!(
        "There is no section `{}`.{hint} Sections: {}.",
        quoted(typed),
        valid.join(", ")
    )
}

/// A section the current template names but the story was started without.
pub fn section_not_in_story(story: &Story, section: &str, valid: &[&str]) -> String {
    format!(
        "Story {} has no {section} section: it keeps the sections it was started with ({}).",
        story_name(story),
        valid.join(", ")
    )
}

/// A section-scoped command given without a section outside a section's thread.
pub fn section_needed(subcommand: &str) -> String {
    format!(
        "Which section? Name it (`/story {subcommand} section:body`), or use the command in the section's thread."
    )
}

/// No story has been started in this channel.
pub fn no_story_here() -> String {
    "There is no story in this channel yet. Start one: `/story new title:\"…\"`.".to_string()
}

/// A story that belongs to another channel (or does not exist).
pub fn story_not_here(id: StoryId) -> String {
    format!(
        "Story {id} is not one of this channel's stories. `/story list` shows the stories here."
    )
}

/// Something broke on our side; the reference finds it in the logs.
pub fn internal_error(reference: &str) -> String {
    format!(
        "Sorry, something went wrong on our side and nothing was changed. If it happens again, give an operator this reference: `{reference}`."
    )
}

/// The messages storydesk still has to post are too many for now (the platform is slow or
/// limiting us): the request was not carried out, so nothing is lost by trying again.
pub fn busy_delivering() -> String {
    "storydesk is still posting earlier changes and cannot take this one yet; nothing was changed. Try again in a minute.".to_string()
}

// ---------------------------------------------------------------------------------------
// Stories

/// `/story new` with an empty title.
pub fn title_empty() -> String {
    "A story needs a working title: `/story new title:\"Meta scrambles over DeepSeek\"`."
        .to_string()
}

/// A story was started.
pub fn story_started(story: &Story, by: &Person) -> String {
    format!(
        "{} started story {}. It is now the active story for {}, and the one people new to this channel start on. Next: paste sources (`/story source add`), claim sections (`/story claim section:body`).",
        by.name,
        story_name(story),
        by.name
    )
}

/// `/story list`.
pub fn story_list(stories: &[Story], active: Option<StoryId>, quorum: u32) -> String {
    if stories.is_empty() {
        return no_story_here();
    }
    let mut out = String::from("**Stories in this channel**");
    for s in stories {
        let approved = s
            .sections
            .iter()
            .filter(|x| x.state(quorum) == SectionState::Approved)
            .count();
        let mut line = format!(
            "\n- {} — {}/{} sections approved",
            story_name(s),
            approved,
            s.sections.len()
        );
        if s.published.is_some() {
            line.push_str(" · published");
        }
        if Some(s.id) == active {
            line.push_str(" · **active**");
        }
        out.push_str(&line);
    }
    out
}

/// `/story use` named nothing that matches.
pub fn no_such_story(wanted: &str, stories: &[Story]) -> String {
    if stories.is_empty() {
        return no_story_here();
    }
    let names: Vec<String> = stories.iter().map(story_name).collect();
    format!(
        "No story here matches “{}”. Stories in this channel: {}.",
        quoted(wanted),
        names.join(", ")
    )
}

/// `/story use` matched several.
pub fn ambiguous_story(wanted: &str, many: &[&Story]) -> String {
    let names: Vec<String> = many.iter().map(|s| story_name(s)).collect();
    format!(
        "“{}” matches several stories: {}. Use the number, like `/story use story:{}`.",
        quoted(wanted),
        names.join(", "),
        many[0].id.0
    )
}

/// The active story changed.
pub fn story_in_use(story: &Story) -> String {
    format!(
        "Your commands in this channel now act on story {}. Everyone else stays on their own; `story:N` on any command names another.",
        story_name(story)
    )
}

/// `/story help`.
pub fn help_overview(catalogue: &Catalogue, template: &Template) -> String {
    let sections: Vec<String> = template
        .sections
        .iter()
        .map(|s| {
            if s.aliases.is_empty() {
                format!("`{}`", s.name)
            } else {
                format!("`{}` ({})", s.name, s.aliases.join(", "))
            }
        })
        .collect();
    format!(
        "{}\n\nSections: {}.\nOptions are written `name:value` or `name:\"quoted value\"`; the first required option may be given bare. `/story help command:write` explains one command.",
        catalogue.help_text(),
        sections.join(", ")
    )
}

// ---------------------------------------------------------------------------------------
// The board

/// The board's first line.
pub fn board_heading(story: &Story) -> String {
    format!("**Story {}: {}**", story.id, story.headline())
}

fn state_icon(state: SectionState) -> &'static str {
    match state {
        SectionState::Empty => "○",
        SectionState::Drafting => "✎",
        SectionState::InReview => "◔",
        SectionState::ChangesRequested => "✗",
        SectionState::Approved => "✓",
    }
}

/// One section's line on the board.
pub fn board_line(
    name: &str,
    state: SectionState,
    owner: Option<&Person>,
    revisions: u32,
    approvals: u32,
    quorum: u32,
    open_requests: usize,
) -> String {
    let mut line = format!("{} **{}** — {}", state_icon(state), name, state.label());
    if let Some(o) = owner {
        line.push_str(&format!(" · {}", o.name));
    }
    if revisions > 0 {
        line.push_str(&format!(
            " · rev {revisions} · {}/{} approvals",
            approvals.min(quorum),
            quorum
        ));
    }
    if open_requests > 0 {
        line.push_str(&format!(
            " · {}",
            plural(open_requests, "open change request", "open change requests")
        ));
    }
    line
}

/// The board's last line.
pub fn board_footer(story: &Story, quorum: u32) -> String {
    let approved = story
        .sections
        .iter()
        .filter(|s| s.state(quorum) == SectionState::Approved)
        .count();
    let mut out = format!(
        "{} · {} · style {} · {}/{} sections approved",
        plural(story.sources.len(), "source", "sources"),
        plural(story.references.len(), "reference", "references"),
        story.style.as_str().to_uppercase(),
        approved,
        story.sections.len()
    );
    if let Some(p) = &story.published {
        out.push_str(&format!(
            "\n**Published** by {} to #{} on {}.",
            p.by.name, p.channel, p.at
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------
// Sources

/// The label given to a source that arrived as a plain message in the source thread.
pub fn message_source_label(by: &Person) -> String {
    format!("message from {}", by.name)
}

/// `source add` without text.
pub fn source_text_missing() -> String {
    "The source text is missing. Paste it in the box that opens, attach a text file, or in the console end the command with `<<END` and put the text on the following lines, closed by a line `END`.".to_string()
}

/// A paste over the size limit.
pub fn source_too_large(bytes: u64, limit: u64) -> String {
    format!(
        "That source is {} ({}); the limit is {} ([limits] source_bytes). Nothing was saved. Split it into parts and add each one.",
        size(bytes),
        plural(bytes as usize, "byte", "bytes"),
        size(limit)
    )
}

/// A story with too many sources.
pub fn too_many_sources(max: usize) -> String {
    format!(
        "This story already has {}, the most it can hold ([limits] sources_per_story). Nothing was saved.",
        plural(max, "source", "sources")
    )
}

/// A source was added (never its text).
pub fn source_added(s: &SourceSummary, removed_invisible: usize) -> String {
    let mut out = format!(
        "Source {} “{}” added by {}: {}, {}.",
        s.number,
        s.label,
        s.added_by.name,
        words(s.words as usize),
        size(s.bytes)
    );
    if removed_invisible > 0 {
        out.push_str(&format!(
            " Removed {} (zero-width or direction marks, sometimes used to fingerprint leaked copies).",
            plural(removed_invisible, "invisible character", "invisible characters")
        ));
    }
    out
}

/// `/story source list`.
pub fn source_list(story: &Story) -> String {
    if story.sources.is_empty() {
        return format!(
            "Story {} has no sources yet. Add one with `/story source add`.",
            story_name(story)
        );
    }
    let mut out = format!("**Sources of story {}**", story_name(story));
    for s in &story.sources {
        out.push_str(&format!(
            "\n{}. “{}” — {}, {}, added by {} on {}",
            s.number,
            s.label,
            words(s.words as usize),
            size(s.bytes),
            s.added_by.name,
            s.at
        ));
    }
    out.push_str("\n`/story source show number:N` shows one to you alone.");
    out
}

/// `source show` with a number that does not exist.
pub fn no_such_source(number: u32, story: &Story) -> String {
    match story.sources.len() {
        0 => format!("Story {} has no sources yet.", story_name(story)),
        n => format!(
            "There is no source {number}. Story {} has {}: `/story source list` shows them.",
            story_name(story),
            plural(n, "source", "sources")
        ),
    }
}

/// A source's text, to the person who asked.
pub fn source_text(s: &Source) -> String {
    format!(
        "**Source {} “{}”** (added by {} on {}; this view is logged)\n\n{}",
        s.number, s.label, s.added_by.name, s.at, s.text
    )
}

// ---------------------------------------------------------------------------------------
// Sections

/// Claiming or assigning to the current owner.
pub fn already_owner(section: &str, owner: &Person, actor: &Person) -> String {
    if owner.id == actor.id {
        format!("You already have the {section} section.")
    } else {
        format!("{} already has the {section} section.", owner.name)
    }
}

/// A section someone else owns.
pub fn owned_by_other(section: &str, owner: &Person, assigning: bool) -> String {
    if assigning {
        format!(
            "{} has the {section} section. Only they or an editor can give it to someone else.",
            owner.name
        )
    } else {
        format!(
            "{} has already claimed the {section} section. Take it over with `/story claim section:{section} take:true` (they are told), ask them, or an editor can `/story assign` it.",
            owner.name
        )
    }
}

/// `claim take:true`: the section changed hands, said in the channel.
pub fn took_over(story: &Story, section: &str, from: &Person, by: &Person) -> String {
    format!(
        "{} took the {section} section of {} over from {}.",
        by.name,
        story_name(story),
        from.name
    )
}

/// `claim take:true`: told to the former holder in the section's thread.
pub fn taken_from_you(story: &Story, section: &str, from: &Person, by: &Person) -> String {
    format!(
        "@{}: {} took the {section} section of {} over from you (`/story claim section:{section} take:true`). To have it back, ask them or an editor (`/story assign`).",
        from.name,
        by.name,
        story_name(story)
    )
}

/// `write` of a section someone else holds: nothing saved, the text kept.
pub fn section_held(section: &str, holder: &Person) -> String {
    format!(
        "{} holds the {section} section, so only they write it. Nothing was saved, and your text is kept for you: take the section over with `/story claim section:{section} take:true` ({} is told), or ask them or an editor to `/story assign` it to you, then `/story write section:{section} resume:true` gives your text back.",
        holder.name, holder.name
    )
}

/// A section's owner changed.
pub fn owner_set(story: &Story, section: &str, owner: &Person, actor: &Person) -> String {
    if owner.id == actor.id {
        format!(
            "{} claimed the {section} section of {}.",
            owner.name,
            story_name(story)
        )
    } else {
        format!(
            "{} assigned the {section} section of {} to {}.",
            actor.name,
            story_name(story),
            owner.name
        )
    }
}

/// Changes to a published story.
pub fn already_published_no_edits(story: &Story, p: &Publication) -> String {
    format!(
        "Story {} was published by {} on {}; it can no longer be changed. Start a follow-up with `/story new`.",
        story_name(story),
        p.by.name,
        p.at
    )
}

/// `write references`.
pub fn references_are_generated() -> String {
    "The references section is built from the story's references: add them with `/story ref add`, remove them with `/story ref remove`.".to_string()
}

/// `write` without text.
pub fn section_text_missing(section: &str) -> String {
    format!(
        "The text for {section} is missing. Write it in the box that opens, or in the console end the command with `<<END` and put the text on the following lines, closed by a line `END`."
    )
}

/// A revision over the byte limit.
pub fn section_too_large(section: &str, bytes: u64, limit: u64) -> String {
    format!(
        "That {section} text is {}; the limit is {} ([limits] section_bytes). Nothing was saved.",
        size(bytes),
        size(limit)
    )
}

/// A revision over the template's maximum.
pub fn section_too_long(section: &str, chars: usize, max: u32) -> String {
    format!(
        "That {section} text is {chars} characters; the template allows at most {max}. Nothing was saved: shorten it and write it again."
    )
}

/// A title section text with a line break.
pub fn title_one_line(lines: usize, joined: &str) -> String {
    format!(
        "A title is one line; that text has {lines}. Nothing was saved. On one line it reads: “{joined}”. Write that, or a shorter title, again."
    )
}

/// A revision identical to the latest.
pub fn no_change(section: &str, latest: u32) -> String {
    format!("No change: that text is the same as {section} revision {latest}.")
}

/// A revision under the template's minimum (saved, with a warning).
pub fn section_short(section: &str, chars: usize, min: u32) -> String {
    format!("Saved. Note: {section} is {chars} characters; the template asks for at least {min}.")
}

/// `show` of a section with no text.
pub fn section_empty(section: &str) -> String {
    format!("The {section} section has no text yet. `/story write section:{section}` writes it.")
}

/// `show section`: the current text.
pub fn section_text(story: &Story, rev: &Revision, quorum: u32) -> String {
    let state = story
        .section(&rev.section)
        .map(|s| s.state(quorum).label())
        .unwrap_or("");
    format!(
        "**{}** revision {} by {} on {} ({})\n\n{}",
        rev.section, rev.number, rev.author.name, rev.at, state, rev.text
    )
}

/// `show` without a section: the whole story as it stands.
pub fn whole_story(story: &Story, article: &Article) -> String {
    format!(
        "Story {} as it stands (unapproved text included):\n\n{}",
        story_name(story),
        article.markdown()
    )
}

/// `history section`.
pub fn section_history(story: &Story, section: &str, revisions: &[Revision]) -> String {
    if revisions.is_empty() {
        return section_empty(section);
    }
    let s = story.section(section);
    let mut out = format!("**History of {section}** in story {}", story_name(story));
    for r in revisions {
        let approvals: Vec<&str> = s
            .map(|s| {
                s.approvals
                    .iter()
                    .filter(|a| a.revision == r.number)
                    .map(|a| a.by.name.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let mut line = format!(
            "\n- revision {} by {} on {} · {}",
            r.number,
            r.author.name,
            r.at,
            words(crate::text::normalise::word_count(&r.text))
        );
        if r.assisted {
            line.push_str(" · assisted draft");
        }
        if let Some(c) = story
            .published
            .as_ref()
            .and_then(|p| p.correction_of(section, r.number))
        {
            line.push_str(&correction_history(c));
        }
        if !approvals.is_empty() {
            line.push_str(&format!(" · approved by {}", approvals.join(", ")));
        }
        out.push_str(&line);
        if let Some(s) = s {
            for c in s.change_requests.iter().filter(|c| c.revision == r.number) {
                out.push_str(&format!(
                    "\n  - {} asked for changes{}: {}",
                    c.by.name,
                    if c.open { "" } else { " (resolved)" },
                    c.note
                ));
            }
        }
    }
    out
}

/// `history` without a section: the audit log.
pub fn audit_log(story: &Story, entries: &[AuditEntry]) -> String {
    let mut out = format!("**Audit log of story {}**", story_name(story));
    for e in entries {
        out.push_str(&format!(
            "\n- {} · {} {}",
            e.at,
            e.actor.name,
            audit_event(&e.event)
        ));
    }
    out
}

/// `diff` on a section with fewer than two revisions.
pub fn nothing_to_diff(section: &str, latest: u32) -> String {
    format!(
        "The {section} section has {}; a diff needs two.",
        plural(latest as usize, "revision", "revisions")
    )
}

/// A revision number that does not exist.
pub fn no_such_revision(section: &str, n: u32, latest: u32) -> String {
    format!("There is no {section} revision {n}; it has revisions 1 to {latest}.")
}

/// `diff`: what changed.
pub fn diff(section: &str, a: &Revision, b: &Revision, d: &WordDiff) -> String {
    format!(
        "**{section}**: revision {} → {} (+{} −{})\n\n{}",
        a.number,
        b.number,
        words(d.inserted_words),
        words(d.deleted_words),
        d.render_markdown(None)
    )
}

// ---------------------------------------------------------------------------------------
// Reviews

/// A new revision in its section's thread.
pub fn revision_posted(
    story: &Story,
    rev: &Revision,
    diff: Option<&WordDiff>,
    context_words: usize,
    dismissed: usize,
    quorum: u32,
) -> String {
    let count = crate::text::normalise::word_count(&rev.text);
    let mut out = format!(
        "**{}** revision {} of {} by {}{} · {}",
        rev.section,
        rev.number,
        story_name(story),
        rev.author.name,
        if rev.assisted {
            " (assisted draft)"
        } else {
            ""
        },
        words(count)
    );
    match diff {
        Some(d) => {
            out.push_str(&format!(
                " (+{} −{})\n\n{}",
                d.inserted_words,
                d.deleted_words,
                d.render_markdown(Some(context_words))
            ));
        }
        None => {
            out.push_str("\n\n");
            out.push_str(&rev.text);
        }
    }
    if dismissed > 0 {
        out.push_str(&format!(
            "\n\n{} of revision {} no longer {}: this revision needs its own.",
            plural(dismissed, "approval", "approvals"),
            rev.number - 1,
            if dismissed == 1 { "counts" } else { "count" }
        ));
    }
    let _ = story;
    out.push_str(&format!(
        "\n\nNeeds {} from someone other than {}.",
        plural(quorum as usize, "approval", "approvals"),
        rev.author.name
    ));
    out
}

/// A review of an outdated revision (an old button).
pub fn stale_review(section: &str, shown: u32, latest: u32) -> String {
    format!(
        "That review was for {section} revision {shown}, but revision {latest} is the latest now. Look at revision {latest} and review it instead."
    )
}

/// Reviewing a section with no text.
pub fn nothing_to_review(section: &str) -> String {
    format!("The {section} section has no revision to review yet.")
}

/// The author approving their own revision.
pub fn own_revision(section: &str, n: u32) -> String {
    format!(
        "You wrote {section} revision {n}, so your approval does not count. Someone else needs to review it."
    )
}

/// Approving twice.
pub fn already_approved(section: &str, n: u32) -> String {
    format!("You have already approved {section} revision {n}.")
}

/// An approval, in the section's thread.
/// With `withdrawn`, the approval withdrew the reviewer's own change request on this revision.
pub fn approved(
    story: &Story,
    s: &Section,
    revision: u32,
    by: &Person,
    quorum: u32,
    withdrawn: bool,
) -> String {
    let have = s.current_approvals().count();
    let count = if have as u64 > u64::from(quorum) {
        format!("{have} approvals; {quorum} needed")
    } else {
        format!("{have} of {quorum}")
    };
    let mut out = if withdrawn {
        format!(
            "{} withdrew their change request and approved {} revision {revision} of {} ({count}).",
            by.name,
            s.name,
            story_name(story),
        )
    } else {
        format!(
            "{} approved {} revision {revision} of {} ({count}).",
            by.name,
            s.name,
            story_name(story),
        )
    };
    match s.state(quorum) {
        SectionState::Approved => out.push_str(&format!(" **{} is approved.**", s.name)),
        SectionState::ChangesRequested => {
            let who: Vec<&str> = s
                .open_change_requests()
                .map(|c| c.by.name.as_str())
                .collect();
            out.push_str(&format!(
                " Still waiting on the change request of {}.",
                who.join(", ")
            ));
        }
        _ => {}
    }
    out
}

/// `changes` without a note.
pub fn note_missing(section: &str) -> String {
    format!("Say what should change: `/story changes section:{section} note:\"…\"`.")
}

/// A change request, in the section's thread.
pub fn changes_requested(
    story: &Story,
    section: &str,
    revision: u32,
    by: &Person,
    note: &str,
) -> String {
    format!(
        "{} asked for changes on {section} revision {revision} of {}:\n> {}\nThe section stays unapproved until {} approves a later revision, or withdraws the request by approving this one.",
        by.name,
        story_name(story),
        note.replace('\n', "\n> "),
        by.name
    )
}

// ---------------------------------------------------------------------------------------
// References

/// A template without a references section.
pub fn template_has_no_references() -> String {
    "This story's template has no references section, so references cannot be added.".to_string()
}

/// `ref add` without a title.
pub fn reference_title_missing() -> String {
    "A reference needs at least a title: `/story ref add title:\"…\" author:\"…\" date:2025-01-27 outlet:\"…\" url:https://…`.".to_string()
}

/// An invalid date.
pub fn bad_date(given: &str, reason: &str) -> String {
    format!(
        "`{}` is not a date I can use: {reason}. Write YYYY-MM-DD, YYYY-MM or YYYY.",
        quoted(given)
    )
}

/// An invalid URL.
pub fn bad_url(given: &str) -> String {
    format!(
        "`{}` is not a web address; it should start with https:// and contain no spaces.",
        quoted(given)
    )
}

/// A reference added without URL.
pub fn reference_without_url() -> String {
    "Note: this reference has no URL. Add one with a new reference, or say `offline:true` for material that is not online.".to_string()
}

/// A non-Latin title without translation.
pub fn reference_needs_translation() -> String {
    "Note: the title is not in the Latin alphabet; add an English translation with `translated:\"…\"` so readers know what it says.".to_string()
}

/// Too many references.
pub fn too_many_references(max: usize) -> String {
    format!(
        "This story already has {}, the most it can hold ([limits] references_per_story). Nothing was saved.",
        plural(max, "reference", "references")
    )
}

/// `ref list`.
pub fn reference_list(story: &Story) -> String {
    if story.references.is_empty() {
        return format!(
            "Story {} has no references yet. Add one with `/story ref add`.",
            story_name(story)
        );
    }
    let mut out = format!(
        "**References of story {}** ({}; numbered as added)",
        story_name(story),
        story.style.as_str().to_uppercase()
    );
    for r in &story.references {
        out.push_str(&format!(
            "\n{}. {}",
            r.number,
            crate::text::cite::format_reference(r, story.style)
        ));
    }
    out
}

/// `ref remove` or `ref edit` with a number no reference has.
pub fn no_such_reference(n: u32, numbers: &[u32]) -> String {
    if numbers.is_empty() {
        return "This story has no references.".to_string();
    }
    let list: Vec<String> = numbers.iter().map(u32::to_string).collect();
    format!(
        "There is no reference {n}; the story's references are numbered {} (`/story ref list`).",
        list.join(", ")
    )
}

/// `ref edit` that changes nothing.
pub fn reference_unchanged(n: u32) -> String {
    format!("No change: reference {n} already reads like that. Give the fields to correct, such as `date:2025-01-28`.")
}

// ---------------------------------------------------------------------------------------
// Checks, preview, publishing

/// What an empty section looks like in a preview.
pub fn preview_placeholder(section: &str) -> String {
    format!("*({section}: not written yet)*")
}

/// One finding as a list line: level, place, message, rule id.
fn finding_line(f: &Finding) -> String {
    let place = if f.line > 0 {
        format!(" (line {}, column {})", f.line, f.column)
    } else {
        String::new()
    };
    let level = match f.level {
        Level::Error => "**error**",
        other => other.as_str(),
    };
    format!("- {level}{place}: {} [{}]", f.message, f.rule)
}

/// `1 error, 2 warnings, 1 suggestion`.
fn finding_counts(findings: &[Finding]) -> String {
    let c = crate::checks::Counts::of(findings);
    let mut parts = Vec::new();
    if c.errors > 0 || findings.is_empty() {
        parts.push(plural(c.errors, "error", "errors"));
    }
    if c.warnings > 0 {
        parts.push(plural(c.warnings, "warning", "warnings"));
    }
    if c.suggestions > 0 {
        parts.push(plural(c.suggestions, "suggestion", "suggestions"));
    }
    parts.join(", ")
}

/// `/story check`: the findings, grouped by section in template order.
pub fn check_report(story: &Story, findings: &[Finding]) -> String {
    if findings.is_empty() {
        return format!("Story {}: all checks pass.", story_name(story));
    }
    let errors = findings.iter().filter(|f| f.level == Level::Error).count();
    let mut out = format!(
        "**Checks for story {}**: {}",
        story_name(story),
        finding_counts(findings)
    );
    let mut sections: Vec<&str> = Vec::new();
    for f in findings {
        if !sections.contains(&f.section.as_str()) {
            sections.push(&f.section);
        }
    }
    for section in sections {
        out.push_str(&format!("\n**{section}**"));
        for f in findings.iter().filter(|f| f.section == section) {
            out.push('\n');
            out.push_str(&finding_line(f));
        }
    }
    if errors > 0 {
        out.push_str("\nErrors must be fixed before publishing.");
    }
    out
}

/// The findings of one section, posted in its review thread after a new revision.
pub fn section_findings(section: &str, revision: u32, findings: &[Finding]) -> String {
    let mut out = format!(
        "**Checks on {section} revision {revision}**: {}",
        finding_counts(findings)
    );
    for f in findings {
        out.push('\n');
        out.push_str(&finding_line(f));
    }
    if findings.iter().any(|f| f.level == Level::Error) {
        out.push_str("\nErrors must be fixed before publishing.");
    }
    out
}

/// `/story preview`.
pub fn preview(story: &Story, article: &Article) -> String {
    format!(
        "Preview of story {} (not published):\n\n{}",
        story_name(story),
        article.markdown()
    )
}

/// A non-editor using an editors-only command. With no editors configured it shows the
/// entry that would make the person one: their platform id (in the console, their name).
pub fn not_an_editor(subcommand: &str, actor: &Person, none_configured: bool) -> String {
    let what = match subcommand {
        "publish" => "publish".to_string(),
        "purge-sources" => "purge sources".to_string(),
        other => format!("use `/story {other}`"),
    };
    if none_configured {
        format!(
            "Only editors can {what}, and no editors are configured. An operator lists them in the config: `[roles] editors = [\"{}\"]`.",
            actor.id
        )
    } else if subcommand == "publish" {
        "Only editors can publish. Ask an editor to review the story and publish it.".to_string()
    } else {
        format!("Only editors can {what}. Ask an editor.")
    }
}

/// Purging the sources of a story not yet published.
pub fn purge_before_publish(story: &Story) -> String {
    format!(
        "Story {} is not published yet; its sources are still needed for checks and drafting. Purge them after publishing.",
        story_name(story)
    )
}

/// Purging when there is nothing to purge.
pub fn nothing_to_purge(story: &Story) -> String {
    format!("Story {} has no sources left to purge.", story_name(story))
}

/// Sources purged (said in the channel).
pub fn sources_purged(story: &Story, by: &Person, purged: &[SourceSummary]) -> String {
    let bytes: u64 = purged.iter().map(|s| s.bytes).sum();
    let labels: Vec<String> = purged.iter().map(|s| format!("“{}”", s.label)).collect();
    format!(
        "{} deleted {} of story {} for good ({}): {}. The audit log records that they were deleted, not what they said.",
        by.name,
        plural(purged.len(), "source", "sources"),
        story_name(story),
        size(bytes),
        labels.join(", ")
    )
}

/// Publishing a published story.
pub fn already_published(story: &Story, p: &Publication) -> String {
    format!(
        "Story {} is already published: {} published it to #{} on {}. Nothing was posted again.",
        story_name(story),
        p.by.name,
        p.channel,
        p.at
    )
}

/// The gate: sections not approved.
pub fn publish_refused_sections(story: &Story, unfinished: &[(String, SectionState)]) -> String {
    let mut out = format!(
        "Story {} cannot be published yet. Not approved:",
        story_name(story)
    );
    for (name, state) in unfinished {
        out.push_str(&format!("\n- {name}: {}", state.label()));
    }
    out.push_str(
        "\nEvery section with text, and every required section, needs its approvals first.",
    );
    out
}

/// The gate: error-level findings.
pub fn publish_refused_checks(errors: &[&Finding]) -> String {
    let mut out = format!(
        "Publishing is blocked by {}:",
        plural(errors.len(), "check error", "check errors")
    );
    for f in errors {
        out.push_str(&format!("\n- {}: {} [{}]", f.section, f.message, f.rule));
    }
    out.push_str("\nFix them, or an editor can publish anyway with `override:\"reason\"`; the reason goes into the audit log.");
    out
}

/// The story changed between the gate and the commit.
pub fn changed_while_publishing() -> String {
    "The story changed while it was being published; nothing was posted. Check it and publish again.".to_string()
}

/// Posting the article failed on the platform: the story is unpublished again.
pub fn publication_failed(story: &Story, reason: &str) -> String {
    format!(
        "Story {} was not published: {reason} Then publish again; the story is unpublished until then.",
        story_name(story)
    )
}

/// Which messages of an article are up: "messages 1–2 of 5 are", "none of its 5
/// messages is".
fn parts_up(up: usize, parts: Option<u32>) -> String {
    let of = parts.map(|n| format!(" of {n}")).unwrap_or_default();
    match up {
        0 => match parts {
            Some(n) => format!(
                "none of its {} is confirmed",
                plural(n as usize, "message", "messages")
            ),
            None => "none of its messages is confirmed".to_string(),
        },
        1 => format!("message 1{of} is"),
        n => format!("messages 1–{n}{of} are"),
    }
}

/// Posting the article stopped partway; `/story publish` continues it.
pub fn publication_incomplete(story: &Story, p: &Publication, reason: &str) -> String {
    let (up, parts) = p.progress();
    format!(
        "Story {} is only partly published in #{}: {} up. {reason} Run `/story publish` to continue: nothing already up is posted again.",
        story_name(story),
        p.channel,
        parts_up(up, parts),
    )
}

/// Why posting an article stopped when the store could not record a part the platform
/// confirmed.
pub fn posting_not_recorded() -> String {
    "I could not record which messages are up.".to_string()
}

/// `/story publish` on a story whose article is not all up: it continues.
pub fn publish_resumed(story: &Story, p: &Publication) -> String {
    let (up, parts) = p.progress();
    format!(
        "Continuing to publish story {} to #{}: {} up. The rest follows.",
        story_name(story),
        p.channel,
        parts_up(up, parts),
    )
}

/// Published.
pub fn published(story: &Story, channel: &str, by: &Person) -> String {
    format!(
        "{} published story {} to #{channel}.",
        by.name,
        story_name(story)
    )
}

// ---------------------------------------------------------------------------------------
// The audit log's sentences (never a source's text)

/// An audit entry in words: what the actor did ("wrote body revision 3").
pub fn audit_event(event: &AuditEvent) -> String {
    match event {
        AuditEvent::Started { title } => format!("started the story “{title}”"),
        AuditEvent::Wrote { section, revision } => format!("wrote {section} revision {revision}"),
        AuditEvent::DraftAccepted {
            section,
            draft,
            revision,
            edited,
        } => {
            let how = if *edited { ", edited" } else { "" };
            format!(
                "accepted an assisted draft (draft {draft}{how}) as {section} revision {revision}"
            )
        }
        AuditEvent::SourceAdded {
            source,
            label,
            bytes,
        } => format!("added source {source} “{label}” ({})", size(*bytes)),
        AuditEvent::SourceViewed { source } => format!("viewed source {source}"),
        AuditEvent::SourcesPurged { count, bytes } => format!(
            "deleted {} ({}) for good",
            plural(*count as usize, "source", "sources"),
            size(*bytes)
        ),
        AuditEvent::Claimed { section } => format!("claimed {section}"),
        AuditEvent::Assigned { section, to } => format!("assigned {section} to {}", to.name),
        AuditEvent::DueSet { section, at } => {
            let what = section.as_deref().unwrap_or("the story");
            match at {
                Some(t) => format!("set {what} due {}", crate::text::when::utc(*t)),
                None => format!("removed the due time of {what}"),
            }
        }
        AuditEvent::PublishScheduled { at: Some(t) } => {
            format!("scheduled the publication for {}", crate::text::when::utc(*t))
        }
        AuditEvent::PublishScheduled { at: None } => "cancelled the scheduled publication".into(),
        AuditEvent::Embargoed { until: Some(t) } => {
            format!("embargoed the story until {}", crate::text::when::utc(*t))
        }
        AuditEvent::Embargoed { until: None } => "lifted the embargo".into(),
        AuditEvent::TookOver { section, from } => {
            format!("took the {section} section over from {}", from.name)
        }
        AuditEvent::WriteRefused { section, holder } => format!(
            "was refused a write of {section}, which {} holds (the text is kept)",
            holder.name
        ),
        AuditEvent::WriteRefusedDraft { section, draft } => {
            format!("was refused a write of {section} from draft {draft} (the text is kept)")
        }
        AuditEvent::ConflictKept {
            section,
            base,
            latest,
        } => format!(
            "kept a conflicting text of {section} (written over revision {base}, overlapping revision {latest})"
        ),
        AuditEvent::Approved { section, revision } => {
            format!("approved {section} revision {revision}")
        }
        AuditEvent::ChangeRequestWithdrawn { section, revision } => {
            format!("withdrew their change request on {section} revision {revision}")
        }
        AuditEvent::ChangesRequested { section, revision } => {
            format!("asked for changes on {section} revision {revision}")
        }
        AuditEvent::ReferenceAdded { number, title } => {
            format!("added reference {number} “{title}”")
        }
        AuditEvent::ReferenceEdited { number, title } => {
            format!("edited reference {number} “{title}”")
        }
        AuditEvent::ReferenceRemoved { number, title } => {
            format!("removed reference {number} “{title}”")
        }
        AuditEvent::DraftRequested {
            section,
            draft,
            drafter,
        } => format!("asked for assisted draft {draft} of {section} ({drafter})"),
        AuditEvent::DraftDiscarded { section, draft } => {
            format!("discarded assisted draft {draft} of {section}")
        }
        AuditEvent::Published {
            channel,
            overridden,
            errors,
            reason,
        } => match reason {
            Some(reason) if *errors > 0 => format!(
                "published to #{channel} overriding {} ({}) (reason: {reason})",
                plural(*errors as usize, "check error", "check errors"),
                overridden.join(", ")
            ),
            _ => format!("published to #{channel}"),
        },
        AuditEvent::PublicationFailed { channel } => {
            format!("could not post the article to #{channel}; unpublished again")
        }
        AuditEvent::PublicationIncomplete { channel, up, parts } => {
            let of = parts.map(|n| format!(" of {n}")).unwrap_or_default();
            format!("posting the article to #{channel} stopped after {up}{of} messages")
        }
        AuditEvent::PublishResumed { channel, up } => format!(
            "continued posting the article to #{channel} after {up} confirmed messages"
        ),
        AuditEvent::CorrectionProposed {
            section,
            revision,
            note,
        } => format!("proposed a correction of {section} as revision {revision}: {note}"),
        AuditEvent::CorrectionApplied { section, revision } => format!(
            "approved the correction of {section} revision {revision}; the published article was corrected"
        ),
        AuditEvent::Recorded { text } => text.clone(),
    }
}

// ---------------------------------------------------------------------------------------
// Corrections

/// `correct` on a story that is not published.
pub fn correction_not_published(story: &Story) -> String {
    format!(
        "Story {} is not published yet, so there is nothing to correct: use `/story write` to change a section before publishing.",
        story_name(story)
    )
}

/// `correct` while the article is still being posted.
pub fn correction_while_posting(story: &Story, p: &Publication) -> String {
    format!(
        "Story {} is still being posted to #{}; correct it once the whole article is up (`/story publish` continues posting it).",
        story_name(story),
        p.channel
    )
}

/// `correct` of the generated references section.
pub fn correction_of_generated(section: &str) -> String {
    format!(
        "The {section} section is built from the story's references, which are fixed once it is published; correct the text of another section."
    )
}

/// `correct` of a section whose correction waits for review.
pub fn correction_pending(section: &str, c: &Correction) -> String {
    format!(
        "A correction of {section} (revision {}, by {}) is already waiting for review. Approve it or ask for changes before proposing another.",
        c.revision, c.by.name
    )
}

/// A correction whose article fails the pre-publish checks.
pub fn correction_refused_checks(errors: &[&Finding]) -> String {
    let mut out = format!(
        "The corrected article would fail {}:",
        plural(errors.len(), "check", "checks")
    );
    for f in errors {
        out.push_str(&format!("\n- {}: {} [{}]", f.section, f.message, f.rule));
    }
    out.push_str("\nNothing was saved. Fix the text and send the correction again.");
    out
}

/// A correction in its section's review thread: the note, the change against the
/// published text, and who may approve it.
pub fn correction_posted(
    story: &Story,
    rev: &Revision,
    note: &str,
    diff: Option<&WordDiff>,
    context_words: usize,
) -> String {
    let mut out = format!(
        "**{}** correction (revision {}) of {} by {}: {}",
        rev.section,
        rev.number,
        story_name(story),
        rev.author.name,
        note
    );
    match diff {
        Some(d) => out.push_str(&format!(
            " (+{} −{})\n\n{}",
            d.inserted_words,
            d.deleted_words,
            d.render_markdown(Some(context_words))
        )),
        None => {
            out.push_str("\n\n");
            out.push_str(&rev.text);
        }
    }
    out.push_str(&format!(
        "\n\nNeeds 1 approval from someone other than {}; once approved, the published article is corrected.",
        rev.author.name
    ));
    out
}

/// The editor's receipt for a correction sent for review.
pub fn correction_sent(story: &Story, section: &str, revision: u32) -> String {
    format!(
        "Your correction of {section} in story {} is revision {revision}, waiting for review in the section's thread. The published article changes once someone else approves it.",
        story_name(story)
    )
}

/// The author approving their own correction.
pub fn own_correction(section: &str, n: u32) -> String {
    format!(
        "You proposed this correction of {section} (revision {n}), so you cannot approve it. Someone else needs to review it."
    )
}

/// A correction approved, in its section's thread.
pub fn correction_approved(story: &Story, section: &str, revision: u32, by: &Person) -> String {
    format!(
        "{} approved the correction of {section} (revision {revision}) of {}. **The published article is corrected.**",
        by.name,
        story_name(story)
    )
}

/// A correction applied, in the story's channel.
pub fn correction_announced(story: &Story, channel: &str, c: &Correction) -> String {
    format!(
        "The article of story {} in #{channel} was corrected ({}): {}",
        story_name(story),
        c.section,
        c.note
    )
}

/// Changes asked for on a correction, in its section's thread.
pub fn correction_changes_requested(
    story: &Story,
    section: &str,
    revision: u32,
    by: &Person,
    note: &str,
) -> String {
    format!(
        "{} asked for changes on the correction of {section} (revision {revision}) of {}:\n> {}\nThe published article stays as it is; send a new correction with `/story correct`.",
        by.name,
        story_name(story),
        note.replace('\n', "\n> ")
    )
}

/// The line that ends a corrected article, one per correction.
pub fn correction_line(applied: Timestamp, note: &str) -> String {
    let date: String = applied.display().chars().take(10).collect();
    format!("Correction ({date}): {note}")
}

/// What `history section:…` says of a revision that is a correction.
fn correction_history(c: &Correction) -> String {
    let state = match c.state {
        CorrectionState::Pending => "waiting for review".to_string(),
        CorrectionState::ChangesRequested => "changes requested".to_string(),
        CorrectionState::Applied(at) => format!("applied {at}"),
    };
    format!(" · correction ({state}): {}", c.note)
}

/// A correction that could not wholly reach the published article.
pub fn correction_not_delivered(reason: &str) -> String {
    format!(
        "The correction is saved, but the published article could not be fully corrected: {reason}"
    )
}

// ---------------------------------------------------------------------------------------
// Drafting help

/// The drafter, as named in messages.
pub fn drafter_name(origin: &Origin) -> String {
    match origin {
        Origin::Extractive => "the extractive drafter".to_string(),
        Origin::Model { model, host } => format!("model `{model}` at {host}"),
    }
}

/// `/story draft` with a remote model the newsroom has not allowed.
pub fn draft_refused_remote(host: &str) -> String {
    format!(
        "Drafting is switched off: `[assist] base_url` points at a model on {host}, which is not this machine, so the story's sources would leave the building. storydesk sends sources to another machine only with `[assist] allow_remote = true`, which a newsroom should set only once it has agreed that its sources may go to {host}. To draft with a model on this machine instead, run one locally, for instance Ollama (`ollama pull llama3.1`, then `ollama serve`), and set `base_url = \"http://127.0.0.1:11434/v1\"` and `model = \"llama3.1\"` under `[assist]`. Or leave `base_url` empty for the built-in extractive drafter, which works offline. Nothing was sent."
    )
}

/// Why a draft could not be written (or stopped early), in a clause.
pub fn draft_failure(failure: &Failure) -> String {
    match failure {
        Failure::Remote { host } => format!(
            "the model at {host} is not on this machine and `[assist] allow_remote` is false, so nothing was sent"
        ),
        Failure::MissingKey { variable } => format!(
            "the environment variable `{variable}`, which `[assist] api_key_env` names, is not set for storydesk"
        ),
        Failure::Unreachable { host, reason } => format!(
            "the model server at {host} could not be reached ({reason}); is it running? For Ollama: `ollama serve`"
        ),
        Failure::Timeout { secs } => format!(
            "the model did not answer within {} (`[assist] timeout_secs`)",
            plural(*secs as usize, "second", "seconds")
        ),
        Failure::RateLimited {
            retry_after_secs: Some(secs),
        } => format!(
            "the model server is busy (HTTP 429) and asks to wait {}; try again then",
            plural(*secs as usize, "second", "seconds")
        ),
        Failure::RateLimited {
            retry_after_secs: None,
        } => "the model server is busy (HTTP 429); try again in a minute".to_string(),
        Failure::ServerError { status } => format!(
            "the model server failed (HTTP {status}); try again, and if it keeps failing, look at the server's logs"
        ),
        Failure::Rejected { status, message } => {
            let hint = match status {
                401 | 403 => "; check the key in the environment variable `[assist] api_key_env` names",
                404 => "; check `[assist] model` and `base_url`",
                _ => "",
            };
            match message {
                Some(m) => format!("the model server refused the request (HTTP {status}: {m}){hint}"),
                None => format!("the model server refused the request (HTTP {status}){hint}"),
            }
        }
        Failure::BadAnswer { what } => {
            format!("the model server's answer could not be read ({what})")
        }
        Failure::Interrupted => {
            "the answer stopped before it was finished (the connection closed)".to_string()
        }
        Failure::MaxTokens { max_tokens } => format!(
            "the answer reached its limit of {max_tokens} tokens (`[assist] max_tokens`)"
        ),
        Failure::Empty => "the model's answer had no text".to_string(),
        Failure::NoSentences => "the sources have no complete sentence left for this section (the extractive drafter only proposes whole sentences from the sources)".to_string(),
        Failure::NothingFits { max_chars } => format!(
            "no phrase of the sources fits the section's {max_chars} characters"
        ),
        Failure::UnknownSection { section } => format!("the section {section} cannot be drafted"),
        Failure::Crashed => "the drafting task failed".to_string(),
    }
}

/// `/story draft` when the configured drafter cannot be used at all.
pub fn drafting_unavailable(failure: &Failure) -> String {
    format!(
        "Drafting is not available: {}. Nothing was sent.",
        draft_failure(failure)
    )
}

/// `/story draft` on a story without sources.
pub fn no_sources_to_draft() -> String {
    "There are no sources to draft from yet. Paste one with `/story source add` first.".to_string()
}

/// `/story draft` was accepted: where the drafts will appear.
pub fn drafts_started(sections: &[String], drafter: &str) -> String {
    let names = sections.join(", ");
    let appear = if sections.len() == 1 {
        format!("The proposal will appear in the {names} thread")
    } else {
        "Each proposal will appear in its section's thread".to_string()
    };
    format!("Drafting {names} with {drafter}. {appear}; nothing is saved until someone accepts it.")
}

/// The first line of a draft's message.
fn draft_heading(section: &str, number: u32) -> String {
    format!("**Draft {number} of {section}**")
}

/// Characters of text shown while a draft is being written (the end of it).
const WRITING_TAIL_CHARS: usize = 1500;

/// A draft being written, with the text so far when there is some.
pub fn draft_writing(
    section: &str,
    number: u32,
    requested_by: &Person,
    drafter: &str,
    written: Option<&str>,
) -> String {
    let mut out = format!(
        "{} is being written by {drafter}, for {}",
        draft_heading(section, number),
        requested_by.name
    );
    match written.map(str::trim).filter(|w| !w.is_empty()) {
        None => out.push('…'),
        Some(w) => {
            out.push_str(&format!(
                ": {} so far.\n\n",
                words(crate::text::normalise::word_count(w))
            ));
            let chars = w.chars().count();
            if chars > WRITING_TAIL_CHARS {
                out.push('…');
                out.extend(w.chars().skip(chars - WRITING_TAIL_CHARS));
            } else {
                out.push_str(w);
            }
        }
    }
    out
}

/// A draft's message once it is written, or failed: the draft and everything to know before
/// accepting it.
pub fn draft_shown(s: &Suggestion, findings: &[Finding]) -> String {
    let heading = draft_heading(&s.section, s.number);
    let mut out = match &s.state {
        SuggestionState::Failed { reason } => {
            return format!(
                "{heading} could not be written: {reason}. Nothing was saved; the {} section is unchanged.",
                s.section
            )
        }
        _ => format!(
            "{heading} by {}, for {} · {}",
            s.drafter,
            s.requested_by.name,
            words(crate::text::normalise::word_count(&s.text))
        ),
    };
    if let SuggestionState::Partial { reason } = &s.state {
        out.push_str(&format!(
            "\n**Incomplete:** {reason}. What was written is below; finish it before accepting it."
        ));
    }
    if let Some(g) = &s.guidance {
        out.push_str(&format!("\nGuidance: “{g}”"));
    }
    out.push_str("\n\n");
    out.push_str(&s.text);
    out.push('\n');
    if !s.alternatives.is_empty() {
        let others: Vec<String> = s.alternatives.iter().map(|a| format!("“{a}”")).collect();
        out.push_str(&format!("\nOther candidates: {}", others.join(" · ")));
    }
    for note in &s.notes {
        out.push_str(&format!("\n{note}"));
    }
    if findings.is_empty() {
        out.push_str("\nChecks: none found a problem.");
    } else {
        let errors = findings.iter().filter(|f| f.level == Level::Error).count();
        out.push_str(&format!(
            "\nChecks: {}, {}",
            plural(errors, "error", "errors"),
            plural(findings.len() - errors, "other finding", "other findings")
        ));
        out.push_str(&findings_lines(findings));
    }
    out.push_str(&format!(
        "\nNothing is saved until someone accepts it: **Accept** makes it a revision by whoever accepts it, **Edit** opens it in the write box, **Discard** drops it (or `/story draft accept section:{0}`, `/story draft discard section:{0}`).",
        s.section
    ));
    out
}

/// Findings shown with a draft, at most [`FINDINGS_PER_RULE`] of each rule: an extractive
/// draft shares every sentence with its sources, and one line per sentence would bury the
/// draft. `/story check` lists them all once the text is a revision.
const FINDINGS_PER_RULE: usize = 3;

/// The lines of a draft's findings, each rule's first few and how many more it has.
fn findings_lines(findings: &[Finding]) -> String {
    let mut out = String::new();
    let mut rules: Vec<&str> = Vec::new();
    for f in findings {
        if !rules.contains(&f.rule.as_str()) {
            rules.push(&f.rule);
        }
    }
    for rule in rules {
        let mine: Vec<&Finding> = findings.iter().filter(|f| f.rule == rule).collect();
        for f in mine.iter().take(FINDINGS_PER_RULE) {
            let place = if f.line > 0 {
                format!(" (line {}, column {})", f.line, f.column)
            } else {
                String::new()
            };
            out.push_str(&format!(
                "\n- {}{place}: {} [{}]",
                f.level.as_str(),
                f.message,
                f.rule
            ));
        }
        if mine.len() > FINDINGS_PER_RULE {
            out.push_str(&format!(
                "\n- and {} more [{rule}]",
                plural(mine.len() - FINDINGS_PER_RULE, "finding", "findings")
            ));
        }
    }
    out
}

/// Notes kept with a draft: what the drafter did, what went to it, what was taken out of its
/// answer.
pub fn draft_notes(draft: &Draft, origin: &Origin, brief: &Brief) -> Vec<String> {
    let mut notes = Vec::new();
    match origin {
        Origin::Extractive => {
            let from: Vec<String> = draft.from_sources.iter().map(|n| n.to_string()).collect();
            let sources = match from.len() {
                0 => "the sources".to_string(),
                1 => format!("source {}", from[0]),
                _ => format!("sources {}", from.join(", ")),
            };
            notes.push(if brief.section == "title" {
                format!(
                    "Extractive draft: each candidate is a phrase copied word for word from {sources}, chosen by how central it is to them. Nothing was rephrased or added; a headline usually needs rewording."
                )
            } else {
                format!(
                    "Extractive draft: every sentence is copied word for word from {sources}, chosen by how central it is to them. Nothing was rephrased or added; check the order and the attribution."
                )
            });
        }
        Origin::Model { .. } => notes.push(
            "Written by a model from the sources: check every name, figure and quote against them before accepting.".to_string(),
        ),
    }
    if let (Origin::Extractive, Some(guidance)) = (origin, brief.guidance.as_deref()) {
        if !guidance.trim().is_empty() {
            let shared = crate::assist::extractive::guidance_words_in(guidance, &draft.text);
            let found = match shared {
                0 => "none of them is in this draft".to_string(),
                1 => "1 of them is in this draft".to_string(),
                n => format!("{n} of them are in this draft"),
            };
            notes.push(format!(
                "The extractive drafter does not follow guidance: it can only choose among the sources' own words. It used the guidance's words to prefer the passages that share them ({found})."
            ));
        }
    }
    let cut: Vec<String> = brief
        .sources
        .iter()
        .filter(|s| s.omitted_bytes > 0)
        .map(|s| s.number.to_string())
        .collect();
    if !cut.is_empty() || brief.omitted_sources > 0 {
        let mut parts = Vec::new();
        if !cut.is_empty() {
            parts.push(format!("cut source {}", cut.join(", ")));
        }
        if brief.omitted_sources > 0 {
            parts.push(format!(
                "left out {}",
                plural(
                    brief.omitted_sources as usize,
                    "further source",
                    "further sources"
                )
            ));
        }
        let key = match origin {
            Origin::Extractive => "extractive_source_bytes",
            Origin::Model { .. } => "prompt_source_bytes",
        };
        notes.push(format!(
            "Only part of the sources was used ({} in all, `[assist] {key}`): {}.",
            plural(brief.source_bytes(), "byte", "bytes"),
            parts.join(" and ")
        ));
    }
    for line in &draft.removed {
        notes.push(format!("Removed from the model's answer: “{line}”"));
    }
    for line in &draft.flagged {
        notes.push(format!("Worth a look before accepting: “{line}”"));
    }
    notes
}

/// The message of a draft replaced by a newer one before it was acted on.
pub fn draft_replaced(old: &Suggestion, newer: u32) -> String {
    format!(
        "{}: replaced by draft {newer}.",
        draft_heading(&old.section, old.number)
    )
}

/// A draft whose writing finished after a newer draft was asked for.
pub fn draft_superseded(section: &str, number: u32) -> String {
    format!(
        "{}: a newer draft was asked for before this one was finished, so it was not kept.",
        draft_heading(section, number)
    )
}

/// The message of a draft once accepted or discarded.
pub fn draft_closed(s: &Suggestion) -> String {
    let heading = draft_heading(&s.section, s.number);
    match &s.state {
        SuggestionState::Accepted {
            by,
            revision,
            edited: false,
        } => format!(
            "{heading}: accepted by {} as {} revision {revision}.",
            by.name, s.section
        ),
        SuggestionState::Accepted {
            by,
            revision,
            edited: true,
        } => format!(
            "{heading}: edited and saved by {} as {} revision {revision}.",
            by.name, s.section
        ),
        SuggestionState::Discarded { by } => format!("{heading}: discarded by {}.", by.name),
        _ => heading,
    }
}

/// Accept, edit or discard with no draft that can be acted on.
pub fn no_draft(section: &str, s: Option<&Suggestion>) -> String {
    let ask = format!("Ask for one with `/story draft section:{section}`.");
    match s.map(|s| (s.number, &s.state)) {
        None => format!("There is no draft of {section}. {ask}"),
        Some((n, SuggestionState::Drafting)) => format!(
            "Draft {n} of {section} is still being written; it will appear in the {section} thread."
        ),
        Some((n, SuggestionState::Failed { .. })) => {
            format!(
                "Draft {n} of {section} could not be written, so there is nothing to accept. {ask}"
            )
        }
        Some((n, SuggestionState::Accepted { by, revision, .. })) => format!(
            "Draft {n} of {section} was already accepted by {} as revision {revision}.",
            by.name
        ),
        Some((n, SuggestionState::Discarded { by })) => {
            format!("Draft {n} of {section} was discarded by {}. {ask}", by.name)
        }
        Some((n, _)) => format!("Draft {n} of {section} is waiting."),
    }
}

/// `draft accept|discard section:all` with nothing waiting.
pub fn no_draft_anywhere() -> String {
    "No draft is waiting in any section. Ask for one with `/story draft section:body` (or `section:all`).".to_string()
}

/// A button of a draft that a newer draft replaced.
pub fn stale_draft(section: &str, given: u32, latest: u32) -> String {
    format!(
        "That is draft {given} of {section}, and draft {latest} has replaced it. Look at draft {latest} in the {section} thread."
    )
}

/// A draft number past a section's latest draft.
pub fn unknown_draft(section: &str, given: u32, latest: u32) -> String {
    format!(
        "There is no draft {given} of {section}: its drafts go up to draft {latest}. Look at the drafts in the {section} thread."
    )
}

/// A refused write whose text was kept for its writer.
pub fn refused_text_kept(refusal: &str, section: &str) -> String {
    format!(
        "{refusal} Nothing was saved, and your text is kept for you: `/story write section:{section} resume:true` gives it back."
    )
}

/// A draft too long for its section.
pub fn draft_does_not_fit(s: &Suggestion, max_chars: u32) -> String {
    format!(
        "Draft {} of {} is {} characters, more than the {max_chars} the section allows, so it cannot be accepted as it is. Use **Edit** to shorten it, then save.",
        s.number,
        s.section,
        s.text.chars().count()
    )
}

/// A button's label.
pub fn button_label(action: &super::Action) -> &'static str {
    use super::Action;
    match action {
        Action::Approve { .. } => "Approve",
        Action::RequestChanges { .. } => "Request changes",
        Action::AcceptDraft { .. } => "Accept",
        Action::EditDraft { .. } => "Edit",
        Action::DiscardDraft { .. } => "Discard",
        Action::ResolveConflict { .. } => "Resolve",
    }
}

// ---------------------------------------------------------------------------------------
// Concurrent edits (`conflicts.rs`)

/// How many characters of each side of an overlapping passage a conflict notice quotes.
const PASSAGE_CHARS: usize = 300;
/// How many overlapping passages a conflict notice lists.
const PASSAGES_LISTED: usize = 5;

/// A passage as a Markdown quote, cut to [`PASSAGE_CHARS`].
fn quote_passage(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return "> *(nothing)*".to_string();
    }
    let cut = match text.char_indices().nth(PASSAGE_CHARS) {
        None => text.to_string(),
        Some((end, _)) => format!("{}…", &text[..end]),
    };
    cut.lines()
        .map(|l| format!("> {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The name of the latest revision between conflict markers (`revision 2 by bob`).
pub fn conflict_label(latest: &Revision) -> String {
    format!("revision {} by {}", latest.number, latest.author.name)
}

/// In a section's thread, before a revision that merged a write over an older revision with
/// the revisions saved since.
pub fn merged_note(section: &str, author: &Person, base: u32, merged: &[(u32, Person)]) -> String {
    let with = match merged {
        [(n, by)] => format!("{}'s revision {n}", by.name),
        _ => {
            let mut names: Vec<&str> = Vec::new();
            for (_, by) in merged {
                if !names.contains(&by.name.as_str()) {
                    names.push(&by.name);
                }
            }
            let first = merged.first().map_or(0, |r| r.0);
            let last = merged.last().map_or(0, |r| r.0);
            format!("revisions {first}–{last} ({})", names.join(", "))
        }
    };
    let over = match base {
        0 => format!("the empty {section}"),
        n => format!("{section} revision {n}"),
    };
    format!(
        "{} wrote over {over}; merged with {with}. Nothing overlapped; the diff below is against the latest revision.",
        author.name
    )
}

/// To the writer: their text overlapped what others saved since their base; nothing saved.
pub fn conflict_kept(section: &str, latest: &Revision, passages: &[Passage]) -> String {
    let mut out = format!(
        "Not saved: your text of **{section}** was written over an older revision, and {}'s revision {} changed the same {}. Nothing is lost: your text is kept until you write {section} again.",
        latest.author.name,
        latest.number,
        if passages.len() == 1 { "passage" } else { "passages" }
    );
    for (i, p) in passages.iter().take(PASSAGES_LISTED).enumerate() {
        out.push_str(&format!(
            "\n\n**{}.** Yours:\n{}\nRevision {}:\n{}",
            i + 1,
            quote_passage(&p.yours),
            latest.number,
            quote_passage(&p.theirs)
        ));
    }
    if passages.len() > PASSAGES_LISTED {
        out.push_str(&format!(
            "\n\n…and {} more.",
            plural(passages.len() - PASSAGES_LISTED, "passage", "passages")
        ));
    }
    out.push_str(&format!(
        "\n\n**Resolve** opens the form with both versions of each passage between markers: keep what should stay, delete the marker lines, save. In the console: `/story write section:{section} resume:true`."
    ));
    out
}

/// To the writer: their text merged cleanly with what others saved since, but the merge is
/// larger than `[limits] section_bytes`; kept, not saved.
pub fn merged_too_large(section: &str, latest: &Revision, bytes: u64, limit: u64) -> String {
    merged_over_limit(
        section,
        latest,
        &format!(
            "would be {}; the limit is {} ([limits] section_bytes)",
            size(bytes),
            size(limit)
        ),
    )
}

/// To the writer: their text merged cleanly with what others saved since, but the merge is
/// longer than the template allows; kept, not saved.
pub fn merged_too_long(section: &str, latest: &Revision, chars: usize, max: u32) -> String {
    merged_over_limit(
        section,
        latest,
        &format!("would be {chars} characters; the template allows at most {max}"),
    )
}

fn merged_over_limit(section: &str, latest: &Revision, why: &str) -> String {
    format!(
        "Not saved: your text of **{section}** was written over an older revision; merged with {}'s revision {}, it {why}. Nothing is lost: your text is kept until you write {section} again.\n\n**Resolve** opens the form with your text merged with revision {}: shorten it and save. In the console: `/story write section:{section} resume:true`.",
        latest.author.name, latest.number, latest.number
    )
}

/// To the writer: the text still holds conflict markers; kept, not saved.
pub fn conflict_markers_refused(section: &str) -> String {
    format!(
        "Not saved: your text of **{section}** still holds conflict markers (`<<<<<<< yours`, `=======`, `>>>>>>>`). Keep the version that should stay, delete the marker lines and save again. Nothing is lost: **Resolve** (or `/story write section:{section} resume:true`) gives your text back."
    )
}

/// `write resume:true` when the person keeps no text of the section.
pub fn nothing_to_resume(section: &str) -> String {
    format!(
        "You have no kept text of {section} to resume. `/story write section:{section}` writes it."
    )
}

/// `write resume:true` in the console: the kept text, merged, to resolve and paste back.
pub fn resume_text(section: &str, latest: u32, text: &str) -> String {
    let how = if has_conflict_markers(text) {
        "each overlap between markers: keep what should stay, delete the marker lines"
    } else {
        "it now merges cleanly"
    };
    format!(
        "Your kept text of **{section}**, merged with revision {latest} ({how}). Write it back with `/story write section:{section}`; it will be based on revision {latest}.\n\n{text}"
    )
}

/// `base:N` newer than the section's latest revision.
pub fn no_such_base(section: &str, base: u32, latest: u32) -> String {
    match latest {
        0 => format!("There is no {section} revision {base}; the section has no text yet, so leave `base` out."),
        _ => format!("There is no {section} revision {base} to write over; the latest is revision {latest}."),
    }
}

/// A write that kept meeting newer revisions saved at the same moment.
pub fn saved_meanwhile() -> String {
    "Others saved this section at the same moment several times; nothing was saved. Send it again."
        .to_string()
}

/// `show section`: who keeps conflicting texts of it.
pub fn kept_conflicts(section: &str, kept: &[KeptConflict]) -> String {
    let mut out = "\n\n**Unresolved conflicts** (kept, not current):".to_string();
    for k in kept {
        out.push_str(&format!(
            "\n- {}: written over revision {}, overlapping revision {} ({})",
            k.author.name,
            k.base,
            k.latest,
            plural(k.text.chars().count(), "character", "characters")
        ));
    }
    out.push_str(&format!(
        "\nEach is resolved by its writer's next `/story write section:{section}` (`resume:true` gives the text back)."
    ));
    out
}

/// On the board: who has an unresolved conflict in a section.
pub fn board_conflicts(people: &[Person]) -> String {
    let names: Vec<&str> = people.iter().map(|p| p.name.as_str()).collect();
    format!(" · ⚠ unresolved conflict: {}", names.join(", "))
}

// ---------------------------------------------------------------------------------------
// `storydesk draft` (the command line)

/// One proposal printed by `storydesk draft`.
pub fn cli_proposal(
    section: &str,
    drafter: &str,
    outcome: &Result<Draft, Failure>,
    notes: &[String],
    findings: &[Finding],
) -> String {
    let mut out = format!("== {section} · {drafter} ==\n");
    let draft = match outcome {
        Err(failure) => {
            out.push_str(&format!("No draft: {}.\n", draft_failure(failure)));
            return out;
        }
        Ok(d) => d,
    };
    if let Some(why) = &draft.incomplete {
        out.push_str(&format!("Incomplete: {}.\n", draft_failure(why)));
    }
    out.push('\n');
    out.push_str(draft.text.trim());
    out.push_str("\n\n");
    if !draft.alternatives.is_empty() {
        let others: Vec<String> = draft
            .alternatives
            .iter()
            .map(|a| format!("“{a}”"))
            .collect();
        out.push_str(&format!("Other candidates: {}\n", others.join(" · ")));
    }
    for note in notes {
        out.push_str(note);
        out.push('\n');
    }
    if findings.is_empty() {
        out.push_str("Checks: none found a problem.\n");
    } else {
        let errors = findings.iter().filter(|f| f.level == Level::Error).count();
        out.push_str(&format!(
            "Checks: {}, {}",
            plural(errors, "error", "errors"),
            plural(findings.len() - errors, "other finding", "other findings")
        ));
        out.push_str(&findings_lines(findings));
        out.push('\n');
    }
    out
}

/// `storydesk draft --section` naming no section of the template.
pub fn cli_unknown_section(typed: &str, valid: &[&str]) -> String {
    format!(
        "There is no section `{}` to draft. Sections: {}, or all.",
        quoted(typed),
        valid.join(", ")
    )
}

/// `storydesk draft` with a source file that cannot be used.
pub fn cli_bad_source(path: &str, why: &str) -> String {
    format!("Cannot use {path} as a source: {why}.")
}

// ---------------------------------------------------------------------------------------
// Time: deadlines, reminders, scheduled publishing, embargoes

use crate::model::Timestamp;
use crate::text::when::{self, marker};

/// `/story due` without `at` or `clear`: what is due when.
pub fn due_times(story: &Story, section: Option<&str>) -> String {
    let t = &story.timing;
    if let Some(name) = section {
        return match t.section_due(name) {
            Some(at) if t.sections.contains_key(name) => {
                format!("The {name} section of {} is due {}.", story_name(story), marker(at))
            }
            Some(at) => format!(
                "The {name} section of {} has no due time of its own; the story is due {}.",
                story_name(story),
                marker(at)
            ),
            None => format!(
                "The {name} section of {} has no due time. Set one with `/story due section:{name} at:\"tomorrow 17:00\"`.",
                story_name(story)
            ),
        };
    }
    let mut lines = Vec::new();
    match t.due {
        Some(at) => lines.push(format!(
            "Story {} is due {}.",
            story_name(story),
            marker(at)
        )),
        None => lines.push(format!("Story {} has no due time.", story_name(story))),
    }
    for (name, at) in &t.sections {
        lines.push(format!("• {name}: due {}", marker(*at)));
    }
    if t.due.is_none() && t.sections.is_empty() {
        lines.push(
            "Set one with `/story due at:\"fri 18:00\"` or `/story due section:body at:+2h`."
                .into(),
        );
    }
    lines.join("\n")
}

/// Both `at` and `clear` given.
pub fn due_at_or_clear() -> String {
    "Give either `at:` (a new due time) or `clear:true` (no due time), not both.".into()
}

/// A time for a published story.
pub fn due_after_publication(story: &Story) -> String {
    format!(
        "Story {} is published: it has no more deadlines, schedules or embargoes.",
        story_name(story)
    )
}

/// A due time set by someone who may not.
pub fn due_not_yours(section: Option<&str>) -> String {
    match section {
        Some(name) => format!(
            "Only an editor or the person writing the {name} section can set when it is due."
        ),
        None => "Only an editor can set when the whole story is due; a section's writer can set their section's (`section:`).".into(),
    }
}

/// A due time set, moved or removed.
pub fn due_set(
    story: &Story,
    section: Option<&str>,
    at: Option<Timestamp>,
    actor: &Person,
) -> String {
    let what = match section {
        Some(name) => format!("the {name} section of {}", story_name(story)),
        None => format!("story {}", story_name(story)),
    };
    match at {
        Some(at) => format!("{} set {what} due {}.", actor.name, marker(at)),
        None => format!("{} removed the due time of {what}.", actor.name),
    }
}

/// A WHEN that is not ahead.
pub fn time_passed(at: Timestamp, zone: &when::Zone) -> String {
    format!(
        "{} ({} in {}) has already passed. Give a time ahead, such as `+2h` or `tomorrow 9:30`.",
        when::utc(at),
        zone.wall_clock(at),
        zone.name()
    )
}

/// The reminder a section's writer gets before it is due.
pub fn reminder(story: &Story, section: &str, due: Timestamp) -> String {
    format!(
        "⏰ Reminder: the {section} section of {} is due {}.",
        story_name(story),
        marker(due)
    )
}

/// What a section's writer is told when it falls overdue.
pub fn overdue_to_writer(story: &Story, section: &str, due: Timestamp) -> String {
    format!(
        "⏰ The {section} section of {} is overdue and not approved yet: it was due {}.",
        story_name(story),
        marker(due)
    )
}

/// What the story's channel (its editors) is told when a section falls overdue.
pub fn overdue_to_editors(
    story: &Story,
    section: &str,
    due: Timestamp,
    writer: Option<&Person>,
) -> String {
    let with = match writer {
        Some(w) => format!("it is with {}", w.name),
        None => "nobody has claimed it".into(),
    };
    format!(
        "⏰ Editors: the {section} section of {} is overdue (due {}); {with}.",
        story_name(story),
        marker(due)
    )
}

/// A scheduled publication that did not go out, to the editor who scheduled it.
pub fn scheduled_publication_failed(story: &Story, why: &str) -> String {
    format!(
        "The scheduled publication of story {} did not go out, and is no longer scheduled:\n\n{why}",
        story_name(story)
    )
}

/// `/story tz` with an unknown zone.
pub fn unknown_zone(name: &str) -> String {
    let name: String = name.chars().take(64).collect();
    format!(
        "I do not know the time zone `{}`. Use an IANA name such as `Europe/Berlin`, `America/New_York`, `Asia/Tehran` or `UTC`.",
        name.replace('`', "'")
    )
}

/// `/story tz quiet:` that cannot be read.
pub fn bad_quiet_hours(given: &str) -> String {
    let given: String = given.chars().take(32).collect();
    format!(
        "I could not read `{}` as quiet hours. Write them as `22:00-07:00`, or `off`.",
        given.replace('`', "'")
    )
}

/// `/story tz`: the person's settings.
pub fn time_settings(
    settings: &crate::store::PersonSettings,
    zone: &when::Zone,
    now: Timestamp,
) -> String {
    let source = if settings.zone.is_some() {
        "chosen by you"
    } else if settings.platform_zone.is_some() {
        "from your profile"
    } else {
        "the desk's default; choose yours with `/story tz zone:Europe/Berlin`"
    };
    let quiet = match settings.quiet {
        Some(q) => format!("Quiet hours: {q}; reminders wait until they end."),
        None => "No quiet hours.".into(),
    };
    format!(
        "Your time zone: {} ({source}); it is {} there now.\n{quiet}",
        zone.name(),
        zone.wall_clock(now)
    )
}

/// One line of `/story mine`.
#[derive(Debug, Clone)]
pub struct MineLine {
    /// The story.
    pub story: StoryId,
    /// Its title.
    pub title: String,
    /// Its channel.
    pub channel: String,
    /// The section.
    pub section: String,
    /// How the section is doing.
    pub state: SectionState,
    /// When it is due.
    pub due: Option<Timestamp>,
}

/// `/story mine`.
pub fn mine(writing: &[MineLine], reviewing: &[MineLine]) -> String {
    let line = |l: &MineLine| {
        let mut s = format!(
            "• {} **{}** of {} “{}” (#{}) — {}",
            state_icon(l.state),
            l.section,
            l.story,
            l.title,
            l.channel,
            l.state.label()
        );
        if let Some(at) = l.due {
            s.push_str(&format!(" · due {}", marker(at)));
        }
        s
    };
    let mut out = Vec::new();
    if writing.is_empty() {
        out.push(
            "You are not writing any section: claim one with `/story claim section:body`."
                .to_string(),
        );
    } else {
        out.push("**You are writing**".into());
        out.extend(writing.iter().map(line));
    }
    if !reviewing.is_empty() {
        out.push(String::new());
        out.push("**Waiting for a review**".into());
        out.extend(reviewing.iter().map(line));
    }
    out.join("\n")
}

/// `/story embargo` alone.
pub fn embargo_state(story: &Story) -> String {
    match story.timing.embargo {
        Some(at) => format!(
            "Story {} is embargoed until {}: nobody can publish it before then.",
            story_name(story),
            marker(at)
        ),
        None => format!("Story {} is not embargoed.", story_name(story)),
    }
}

/// Both `until` and `clear` given.
pub fn embargo_until_or_clear() -> String {
    "Give either `until:` (when the embargo lifts) or `clear:true` (lift it now), not both.".into()
}

/// An embargo set or lifted.
pub fn embargo_set(story: &Story, until: Option<Timestamp>, actor: &Person) -> String {
    match until {
        Some(at) => format!(
            "{} embargoed story {} until {}: nobody can publish it before then.",
            actor.name,
            story_name(story),
            marker(at)
        ),
        None => format!(
            "{} lifted the embargo on story {}.",
            actor.name,
            story_name(story)
        ),
    }
}

/// Publishing (now or at a time) before the embargo lifts.
pub fn embargoed(story: &Story, until: Timestamp) -> String {
    format!(
        "Story {} is embargoed until {}: it cannot be published before then. Schedule it for that time or later with `/story publish at:…`.",
        story_name(story),
        marker(until)
    )
}

/// `/story publish cancel:true` with nothing scheduled.
pub fn nothing_scheduled(story: &Story) -> String {
    format!("Story {} has no scheduled publication.", story_name(story))
}

/// A publication scheduled or cancelled.
pub fn publication_scheduled(story: &Story, at: Option<Timestamp>, actor: &Person) -> String {
    match at {
        Some(at) => format!(
            "{} scheduled story {} for publication {}. The checks run again then; if they fail, {} is told why.",
            actor.name,
            story_name(story),
            marker(at),
            actor.name
        ),
        None => format!(
            "{} cancelled the scheduled publication of story {}.",
            actor.name,
            story_name(story)
        ),
    }
}

/// Notices that could not be sent by direct message, shown the next time the person acts.
pub fn held_notices(held: &[String]) -> String {
    let mut out =
        String::from("While you were away (direct messages to you could not be delivered):");
    for h in held {
        out.push_str("\n\n");
        out.push_str(h);
    }
    out
}

/// The board's lines about time: the story's due time, a scheduled publication, an embargo.
pub fn board_timing(story: &Story) -> Option<String> {
    let t = &story.timing;
    let mut parts = Vec::new();
    if let Some(at) = t.due {
        parts.push(format!("Due {}", marker(at)));
    }
    if let Some(s) = &t.scheduled {
        parts.push(format!(
            "Scheduled for publication {} by {}",
            marker(s.at),
            s.by.name
        ));
    }
    if let Some(at) = t.embargo {
        parts.push(format!("Embargoed until {}", marker(at)));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// A section's due time on its board line.
pub fn board_due(story: &Story, section: &str, state: SectionState) -> String {
    let t = &story.timing;
    match t.sections.get(section) {
        Some(at) if state != SectionState::Approved => {
            let mut s = format!(" · due {}", marker(*at));
            if t.overdue_told.contains(section) {
                s.push_str(" · **overdue**");
            }
            s
        }
        None if state != SectionState::Approved && t.overdue_told.contains(section) => {
            " · **overdue**".into()
        }
        _ => String::new(),
    }
}

// ---------------------------------------------------------------------------------------
// Required reviewers and notifications

fn mentions(needs: &[String]) -> String {
    needs
        .iter()
        .map(|e| crate::roles::mention(e))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// In a section's thread after a new revision: whose approval it needs.
pub fn required_review_wanted(section: &str, needs: &[String]) -> String {
    format!(
        "{}: the {section} section needs an approval from one of you, on top of the usual review.",
        mentions(needs)
    )
}

/// A board line's note: the required approval still missing.
pub fn board_needs(needs: &[String]) -> String {
    format!(" · needs an approval from {}", mentions(needs))
}

/// To the person a section was assigned to.
pub fn assigned_to_you(story: &Story, section: &str, by: &Person) -> String {
    format!(
        "{} assigned you the {section} section of {}. Write it with `/story write section:{section}` in the story's channel.",
        by.name,
        story_name(story)
    )
}
