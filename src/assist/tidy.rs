//! Residue never sneaks in: a model's answer, cleaned of what is not part of the article.
//!
//! Removed (and reported, so people can see what went): a preamble on the first line
//! ("Sure, here is the introduction:"), a heading that only names the section, a code fence
//! around the whole answer, closing offers in the last paragraph ("Let me know if you would
//! like changes."), a `Title:` label and wrapping quotes on a headline, lines after a
//! headline's first. Flagged (kept, but shown as worth a look): lines that speak about the
//! writer rather than the story ("As an AI …", "I could not verify …", "Note: …").
//!
//! Pure; works on a partial answer too, so a streamed draft is shown without its preamble.

/// An answer after tidying.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tidied {
    /// The text to propose.
    pub text: String,
    /// What was taken out, line by line.
    pub removed: Vec<String>,
    /// Lines kept but worth a look.
    pub flagged: Vec<String>,
}

/// How a preamble starts (lowercase).
const PREAMBLE_OPENERS: &[&str] = &[
    "sure",
    "certainly",
    "of course",
    "absolutely",
    "okay",
    "ok,",
    "ok.",
    "ok!",
    "alright",
    "all right",
    "here is",
    "here's",
    "here are",
    "below is",
    "below you",
    "as requested",
    "great",
    "happy to",
    "i'd be happy",
    "i would be happy",
    "i've drafted",
    "i have drafted",
    "i've written",
    "i have written",
    "this draft",
    "the following",
];

/// How a closing offer starts (lowercase).
const CLOSING_OPENERS: &[&str] = &[
    "let me know",
    "please let me know",
    "i hope",
    "hope this",
    "feel free",
    "would you like",
    "if you would like",
    "if you'd like",
    "if you want",
    "if you need",
    "do you want",
    "should i",
    "shall i",
    "i can also",
    "i can adjust",
    "i can expand",
    "i can revise",
    "i'd be happy",
    "i would be happy",
    "happy to help",
    "is there anything",
    "want me to",
    "this draft",
    "note that this draft",
];

/// Words that show a closing line speaks to the reader of the answer, not of the article.
const ADDRESSED_TO_READER: &[&str] = &[
    "you", "your", "me", "help", "helps", "further", "adjust", "revise", "changes", "version",
    "anything", "tweak", "expand", "shorten",
];

/// Remarks about the writer rather than the story (lowercase, anywhere in the line).
const META_REMARKS: &[&str] = &[
    "as an ai",
    "as a language model",
    "i cannot",
    "i can't",
    "i do not have",
    "i don't have",
    "i was unable",
    "i could not",
    "i couldn't",
    "i am unable",
    "i'm unable",
    "my knowledge",
];

/// True when the lowercase line starts with one of the phrases at a word boundary.
fn starts_with_any(lower: &str, phrases: &[&str]) -> bool {
    phrases.iter().any(|p| {
        lower.starts_with(p)
            && lower[p.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric())
    })
}

/// The words of a line without Markdown decoration and a final colon, lowercase.
fn bare(line: &str) -> String {
    line.trim()
        .trim_start_matches('#')
        .trim_matches(|c: char| matches!(c, '*' | '_' | '`' | ' ' | ':' | '"' | '“' | '”'))
        .to_lowercase()
}

/// True for a heading that only names the section (`## Introduction`, `**Body:**`).
fn names_section(line: &str, section: &str) -> bool {
    let b = bare(line);
    let section = section.to_lowercase();
    b == section
        || b == format!("{section} section")
        || b == format!("the {section}")
        || (section == "title" && b == "headline")
        || (section == "introduction" && (b == "intro" || b == "lede" || b == "lead"))
        || (section == "conclusion" && b == "ending")
}

/// Tidies a model's answer for `section`.
pub fn tidy(answer: &str, section: &str) -> Tidied {
    let mut removed = Vec::new();
    let normalised = answer.replace("\r\n", "\n");
    let mut text = normalised.trim();

    // A code fence around the whole answer.
    if let Some(inner) = text.strip_prefix("```") {
        let inner = inner.split_once('\n').map(|(_, rest)| rest).unwrap_or("");
        let inner = inner.trim_end().strip_suffix("```").unwrap_or(inner);
        removed.push("```".to_string());
        text = inner.trim();
    }

    let mut lines: Vec<&str> = text.lines().collect();
    // Leading preamble and headings.
    loop {
        while lines.first().is_some_and(|l| l.trim().is_empty()) {
            lines.remove(0);
        }
        let Some(first) = lines.first() else { break };
        let lower = first.trim().to_lowercase();
        let preamble = starts_with_any(&lower, PREAMBLE_OPENERS)
            && first.chars().count() <= 200
            && (lines.len() > 1
                || lower.ends_with(':')
                || lower.ends_with('!')
                || lower.chars().count() < 60);
        if preamble || names_section(first, section) || first.trim() == "---" {
            removed.push(first.trim().to_string());
            lines.remove(0);
            continue;
        }
        break;
    }
    // Trailing closing offers, paragraph by paragraph.
    loop {
        while lines.last().is_some_and(|l| l.trim().is_empty()) {
            lines.pop();
        }
        let start = lines
            .iter()
            .rposition(|l| l.trim().is_empty())
            .map(|i| i + 1)
            .unwrap_or(0);
        if start == 0 {
            break;
        }
        let paragraph = lines[start..].join(" ");
        let lower = paragraph.trim().to_lowercase();
        let addressed = lower
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| ADDRESSED_TO_READER.contains(&w));
        let closing = (starts_with_any(&lower, CLOSING_OPENERS)
            && addressed
            && paragraph.chars().count() <= 400)
            || paragraph.trim() == "---";
        if !closing {
            break;
        }
        removed.push(paragraph.trim().to_string());
        lines.truncate(start);
    }

    let mut out: Vec<String> = lines.iter().map(|l| l.trim_end().to_string()).collect();
    if section == "title" {
        if out.len() > 1 {
            removed.extend(out.drain(1..).filter(|l| !l.trim().is_empty()));
        }
        if let Some(line) = out.first_mut() {
            let mut t = line.trim().to_string();
            for label in ["title:", "headline:"] {
                if t.to_lowercase().starts_with(label) {
                    removed.push(t[..label.len()].to_string());
                    t = t[label.len()..].trim().to_string();
                }
            }
            let unwrapped = t
                .trim_start_matches('#')
                .trim()
                .trim_matches(|c: char| matches!(c, '"' | '“' | '”' | '*'))
                .trim()
                .to_string();
            if unwrapped != t {
                removed.push(t.replace(&unwrapped, "…"));
            }
            *line = unwrapped;
        }
    }
    let flagged = out
        .iter()
        .filter(|l| {
            let lower = l.trim().to_lowercase();
            META_REMARKS.iter().any(|m| lower.contains(m)) || lower.starts_with("note:")
        })
        .map(|l| l.trim().to_string())
        .collect();
    Tidied {
        text: out.join("\n").trim().to_string(),
        removed,
        flagged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preamble_and_a_closing_offer_are_removed_and_reported() {
        let t = tidy(
            "Sure, here is the introduction:\n\nMeta has set up four war rooms.\n\nThey study DeepSeek.\n\nLet me know if you would like a shorter version!",
            "introduction",
        );
        assert_eq!(
            t.text,
            "Meta has set up four war rooms.\n\nThey study DeepSeek."
        );
        assert_eq!(
            t.removed,
            [
                "Sure, here is the introduction:",
                "Let me know if you would like a shorter version!"
            ]
        );
        assert!(t.flagged.is_empty());
    }

    #[test]
    fn headings_fences_and_title_labels_go() {
        let t = tidy("```markdown\n## Body\nThe memo says so.\n```", "body");
        assert_eq!(t.text, "The memo says so.");
        assert_eq!(t.removed, ["```", "## Body"]);
        let t = tidy("Here's a headline:\nTitle: \"Meta sets up war rooms to study DeepSeek\"\nAlternative: Meta studies DeepSeek", "title");
        assert_eq!(t.text, "Meta sets up war rooms to study DeepSeek");
        assert_eq!(t.removed.len(), 4, "{:?}", t.removed);
    }

    #[test]
    fn article_text_that_merely_looks_similar_stays() {
        let body = "Certainty is rare in this story. Meta has not said what the war rooms found.\n\nLetters from investors ask why.";
        assert_eq!(tidy(body, "body").text, body);
        assert!(tidy(body, "body").removed.is_empty());
        let quote = "Meta did not comment.\n\nI hope the war rooms report soon, one engineer said.";
        assert_eq!(tidy(quote, "body").text, quote);
        let t = tidy(
            "Meta did not comment.\n\nI hope this helps.\n\nFeel free to ask for changes.",
            "body",
        );
        assert_eq!(t.text, "Meta did not comment.");
        assert_eq!(t.removed.len(), 2);
    }

    #[test]
    fn remarks_about_the_writer_are_flagged_not_removed() {
        let t = tidy("Meta set up war rooms.\nI could not verify the cost figure.\nNote: the memo is undated.", "body");
        assert!(t.text.contains("I could not verify"));
        assert_eq!(t.flagged.len(), 2);
    }

    #[test]
    fn a_partial_answer_is_tidied_too() {
        assert_eq!(tidy("Sure, here is", "body").text, "");
        assert_eq!(
            tidy("Sure, here is the body:\nMeta set", "body").text,
            "Meta set"
        );
    }
}
