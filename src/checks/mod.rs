//! Pre-publish checks: pure functions over an article's sections and references.
//!
//! Each finding has a rule id, a level, the section and place it concerns, and a message.
//! Only error-level findings stop `/story publish`.

use serde::Serialize;

use crate::model::Reference;

/// How serious a finding is. Only errors block publishing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's id (`placeholder`, `required-empty`).
    pub rule: String,
    /// How serious.
    pub level: Level,
    /// The section it is in.
    pub section: String,
    /// 1-based line within the section's text (0 when it concerns the whole section).
    pub line: usize,
    /// 1-based column in characters (0 when it concerns the whole section).
    pub column: usize,
    /// What is wrong and what to do.
    pub message: String,
    /// The text matched, shortened.
    pub excerpt: String,
}

/// A section as the checks see it.
#[derive(Debug, Clone)]
pub struct CheckedSection<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its current text, if it has any.
    pub text: Option<&'a str>,
    /// Publishing needs it.
    pub required: bool,
    /// The template's lower bound in characters.
    pub min_chars: u32,
    /// The template's upper bound in characters.
    pub max_chars: u32,
}

/// What the checks run on.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    /// Sections in order.
    pub sections: Vec<CheckedSection<'a>>,
    /// The structured references.
    pub references: &'a [Reference],
    /// The name of the references section, to file reference findings under.
    pub references_section: &'a str,
}

/// Markers of unfinished copy: the newsroom's "TK" (to come) and common bracketed
/// placeholders. Matched case-sensitively for TK/TODO, case-insensitively for the rest.
const PLACEHOLDERS: &[(&str, bool)] = &[
    ("TK", true),
    ("TODO", true),
    ("[insert", false),
    ("[link to", false),
    ("[citation needed]", false),
    ("[tbd]", false),
    ("lorem ipsum", false),
];

/// Run every check.
pub fn run(doc: &Document<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for s in &doc.sections {
        let Some(text) = s.text.filter(|t| !t.trim().is_empty()) else {
            if s.required {
                findings.push(Finding {
                    rule: "required-empty".into(),
                    level: Level::Error,
                    section: s.name.into(),
                    line: 0,
                    column: 0,
                    message: format!("the {} section is required and has no text", s.name),
                    excerpt: String::new(),
                });
            }
            continue;
        };
        let chars = text.chars().count();
        if chars < s.min_chars as usize {
            findings.push(whole(
                s.name,
                "length",
                Level::Warning,
                format!(
                    "{} characters; the template asks for at least {}",
                    chars, s.min_chars
                ),
            ));
        }
        if chars > s.max_chars as usize {
            findings.push(whole(
                s.name,
                "length",
                Level::Error,
                format!(
                    "{} characters; the template allows at most {}",
                    chars, s.max_chars
                ),
            ));
        }
        placeholders(s.name, text, &mut findings);
    }
    for (i, r) in doc.references.iter().enumerate() {
        if r.url.is_none() && !r.offline {
            findings.push(whole(
                doc.references_section,
                "reference-url",
                Level::Warning,
                format!(
                    "reference {} (“{}”) has no URL; add one, or mark it offline:true",
                    i + 1,
                    r.title
                ),
            ));
        }
    }
    findings
}

fn whole(section: &str, rule: &str, level: Level, message: String) -> Finding {
    Finding {
        rule: rule.into(),
        level,
        section: section.into(),
        line: 0,
        column: 0,
        message,
        excerpt: String::new(),
    }
}

fn placeholders(section: &str, text: &str, out: &mut Vec<Finding>) {
    for (line_no, line) in text.lines().enumerate() {
        let lower = line.to_lowercase();
        for (pattern, case_sensitive) in PLACEHOLDERS {
            let hay = if *case_sensitive {
                line
            } else {
                lower.as_str()
            };
            let mut from = 0;
            while let Some(pos) = hay[from..].find(pattern) {
                let at = from + pos;
                from = at + pattern.len();
                if *case_sensitive && !is_word_at(hay, at, pattern.len()) {
                    continue;
                }
                // `lower` may differ in byte length from `line` for some scripts; map the
                // column through characters of the string searched.
                let column = hay[..at].chars().count() + 1;
                let excerpt: String = hay[at..].chars().take(40).collect();
                out.push(Finding {
                    rule: "placeholder".into(),
                    level: Level::Error,
                    section: section.into(),
                    line: line_no + 1,
                    column,
                    message: format!("placeholder `{}` left in the text", excerpt.trim_end()),
                    excerpt,
                });
            }
        }
    }
}

fn is_word_at(s: &str, at: usize, len: usize) -> bool {
    let before = s[..at].chars().next_back();
    let after = s[at + len..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc<'a>(sections: Vec<CheckedSection<'a>>, refs: &'a [Reference]) -> Document<'a> {
        Document {
            sections,
            references: refs,
            references_section: "references",
        }
    }

    fn section<'a>(name: &'a str, text: Option<&'a str>) -> CheckedSection<'a> {
        CheckedSection {
            name,
            text,
            required: true,
            min_chars: 5,
            max_chars: 100,
        }
    }

    #[test]
    fn placeholder_tk_is_an_error_but_not_inside_words() {
        let f = run(&doc(
            vec![section("body", Some("The deal was worth TK million."))],
            &[],
        ));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "placeholder");
        assert_eq!((f[0].line, f[0].column), (1, 20));
        let f = run(&doc(
            vec![section("body", Some("TKO in Tokyo; the TKTS booth."))],
            &[],
        ));
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn bracketed_instructions_are_found() {
        let f = run(&doc(
            vec![section(
                "body",
                Some("Shares fell.\nSee [Insert date] and [Link to filing]."),
            )],
            &[],
        ));
        assert_eq!(f.len(), 2);
        assert!(f.iter().all(|f| f.line == 2));
    }

    #[test]
    fn required_empty_and_length() {
        let f = run(&doc(
            vec![section("conclusion", None), section("body", Some("abc"))],
            &[],
        ));
        assert_eq!(f[0].rule, "required-empty");
        assert_eq!(f[0].level, Level::Error);
        assert_eq!(f[1].rule, "length");
        assert_eq!(f[1].level, Level::Warning);
    }

    #[test]
    fn clean_text_has_no_findings() {
        let f = run(&doc(
            vec![section(
                "body",
                Some("Meta's engineers studied the model for weeks."),
            )],
            &[],
        ));
        assert!(f.is_empty(), "{f:?}");
    }
}
