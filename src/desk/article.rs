//! The article as it would be published: the headline, the sections' latest text in
//! template order, and the references in the chosen style. A published story's article
//! shows the revisions it was published with, or their applied corrections, and ends with
//! a Correction line per correction.

use crate::model::{Article, ArticlePart, CitationStyle, Story};
use crate::template::Generated;
use crate::text::cite;

use super::{Desk, DeskError};

/// Assemble `story` with references in `style`. With `with_empty`, sections without text
/// appear as a placeholder line (for previews); without, they are left out.
pub fn assemble(
    desk: &Desk,
    story: &Story,
    style: CitationStyle,
    with_empty: bool,
) -> Result<Article, DeskError> {
    let headline = story.headline().to_string();
    let mut parts = Vec::new();
    for spec in &desk.story_template(story).sections {
        let Some(section) = story.section(&spec.name) else {
            continue;
        };
        if spec.generated == Some(Generated::References) {
            continue;
        }
        // A correction waiting for review is not in the published article.
        let shown = match &story.published {
            Some(p) => p.shown_revision(&spec.name, section.revisions),
            None => section.revisions,
        };
        let text = match shown {
            0 => None,
            n => Some(
                desk.store()
                    .revision(story.id, &spec.name, n)?
                    .ok_or_else(|| {
                        DeskError::Internal(format!("{} revision {n} missing", spec.name))
                    })?
                    .text,
            ),
        };
        if spec.name == "title" {
            // The headline is the story's one title (`Story::headline`), kept with it.
            continue;
        }
        match text {
            Some(text) => parts.push(ArticlePart {
                section: spec.name.clone(),
                text,
            }),
            None if with_empty => parts.push(ArticlePart {
                section: spec.name.clone(),
                text: super::messages::preview_placeholder(&spec.name),
            }),
            None => {}
        }
    }
    Ok(Article {
        story: story.id,
        headline,
        parts,
        references_heading: cite::heading(style).to_string(),
        references: cite::format_list(&story.references, style),
        corrections: story
            .published
            .iter()
            .flat_map(|p| p.applied_corrections())
            .map(|(c, at)| super::messages::correction_line(at, &c.note))
            .collect(),
    })
}
