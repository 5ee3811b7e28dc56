//! Story templates: the sections of a story (`config/templates/*.toml`, the built-in ones
//! embedded), with their names, aliases, limits and guidance.

use serde::Deserialize;

/// Templates that ship with storydesk, by name.
pub const BUILTIN_TEMPLATES: &[(&str, &str)] =
    &[("news", include_str!("../config/templates/news.toml"))];

/// A template that could not be found or is malformed.
#[derive(Debug, thiserror::Error)]
#[error("template {name}: {reason}")]
pub struct TemplateError {
    /// The template's name or path.
    pub name: String,
    /// What is wrong.
    pub reason: String,
}

/// The sections of a story, from a template file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// The template's name.
    pub name: String,
    /// One line on what it is for.
    pub description: String,
    /// Sections in publishing order.
    #[serde(rename = "section")]
    pub sections: Vec<SectionSpec>,
}

/// One section of a template.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionSpec {
    /// Canonical name.
    pub name: String,
    /// Other names people may type.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Publishing needs it approved.
    pub required: bool,
    /// Shortest acceptable text in characters.
    #[serde(default)]
    pub min_chars: u32,
    /// Longest acceptable text in characters.
    pub max_chars: u32,
    /// What the section should do.
    #[serde(default)]
    pub guidance: String,
    /// How the text is produced when people do not write it.
    #[serde(default)]
    pub generated: Option<Generated>,
}

/// Sections whose text storydesk renders itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Generated {
    /// Rendered from the story's structured references.
    References,
}

impl Template {
    /// A built-in template by name, or a template file by path.
    pub fn load(name_or_path: &str) -> Result<Self, TemplateError> {
        let err = |reason: String| TemplateError {
            name: name_or_path.to_string(),
            reason,
        };
        let text = match BUILTIN_TEMPLATES.iter().find(|(n, _)| *n == name_or_path) {
            Some((_, text)) => text.to_string(),
            None => std::fs::read_to_string(name_or_path).map_err(|e| {
                let builtin: Vec<&str> = BUILTIN_TEMPLATES.iter().map(|(n, _)| *n).collect();
                err(format!(
                    "not a built-in template ({}) and not a readable file: {e}",
                    builtin.join(", ")
                ))
            })?,
        };
        let template: Template = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
        template.validate().map_err(err)?;
        Ok(template)
    }

    fn validate(&self) -> Result<(), String> {
        if self.sections.is_empty() {
            return Err("a template needs at least one section".into());
        }
        let mut seen = std::collections::HashSet::new();
        for s in &self.sections {
            for n in std::iter::once(&s.name).chain(&s.aliases) {
                if !seen.insert(n.to_ascii_lowercase()) {
                    return Err(format!("the name `{n}` is used twice"));
                }
                if n.is_empty() || n.contains(char::is_whitespace) {
                    return Err(format!("section name `{n}` must be one word"));
                }
            }
            if s.min_chars > s.max_chars {
                return Err(format!("section {}: min_chars > max_chars", s.name));
            }
        }
        if !self.sections.iter().any(|s| s.name == "title") {
            return Err("a template needs a `title` section (the headline)".into());
        }
        Ok(())
    }

    /// The section a typed name means: its canonical name or an alias, any case.
    pub fn resolve(&self, typed: &str) -> Option<&SectionSpec> {
        let typed = typed.trim().trim_start_matches('#');
        self.sections.iter().find(|s| {
            s.name.eq_ignore_ascii_case(typed)
                || s.aliases.iter().any(|a| a.eq_ignore_ascii_case(typed))
        })
    }

    /// The section spec by canonical name.
    pub fn section(&self, name: &str) -> Option<&SectionSpec> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The canonical name closest to a mistyped one, for "did you mean".
    pub fn suggest(&self, typed: &str) -> Option<String> {
        let names = self.sections.iter().flat_map(|s| {
            std::iter::once(&s.name)
                .chain(&s.aliases)
                .map(move |n| (n, &s.name))
        });
        let mut best: Option<(usize, &String)> = None;
        for (n, canonical) in names {
            let d = strsim::damerau_levenshtein(&n.to_lowercase(), &typed.to_lowercase());
            if d <= 2.max(typed.len() / 3) && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, canonical));
            }
        }
        best.map(|(_, c)| c.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn news_template_resolves_aliases() {
        let t = Template::load("news").unwrap();
        assert_eq!(t.resolve("intro").unwrap().name, "introduction");
        assert_eq!(t.resolve("LEDE").unwrap().name, "introduction");
        assert_eq!(t.resolve("body").unwrap().name, "body");
        assert!(t.resolve("bdy").is_none());
        assert_eq!(t.suggest("bdy").as_deref(), Some("body"));
        assert_eq!(t.suggest("conclusoin").as_deref(), Some("conclusion"));
        assert_eq!(t.suggest("xylophone"), None);
    }
}
