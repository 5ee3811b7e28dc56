//! Forms for long text: before a platform opens a box for a command's long text (a modal
//! on Slack and Discord), it asks the desk what the box is for. The desk resolves the story
//! and section, refuses what could never be saved (no story here, an unknown section, the
//! generated references section, a published story) and gives the text to prefill.

use super::{messages, sections, Ctx, Desk, DeskError, Request};
use crate::model::StoryId;

/// What a form for a command's long text needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongTextForm {
    /// The subcommand's catalogue name (`write`, `source add`).
    pub subcommand: String,
    /// The command's options as parsed; a section is given by its canonical name. Send them
    /// back with the text as [`super::Input::Options`].
    pub options: Vec<(String, String)>,
    /// The story the text is for.
    pub story: StoryId,
    /// The section, for `write`.
    pub section: Option<String>,
    /// The section's current text, to prefill the form.
    pub current: Option<String>,
    /// The longest text the desk accepts here, in characters, when the template says.
    pub max_chars: Option<u32>,
    /// The field's label, from the catalogue.
    pub label: String,
}

impl Desk {
    /// The form to open before `req` can run: `Ok(Some(form))` when `req` is a command that
    /// takes long text and came without it; `Ok(None)` when it needs no form (hand it to
    /// [`Desk::handle`]); `Err(message)` when it cannot run here, with the message to show
    /// the person. For `write` the form's options carry `base`, the revision it shows, and
    /// the person is recorded as having seen it; nothing else changes.
    pub fn long_text_form(&self, req: &Request) -> Result<Option<LongTextForm>, String> {
        let req = &req.clone().taken_in();
        let (inv, body) = match self.interpret(req) {
            Ok(Some(x)) => x,
            Ok(None) => return Ok(None),
            Err(e) => return Err(messages::parse_error(&e, self.catalogue)),
        };
        let Some(long) = self
            .catalogue
            .subcommand(&inv.subcommand)
            .and_then(|s| s.long_text.clone())
        else {
            return Ok(None);
        };
        if body.is_some() {
            return Ok(None);
        }
        let ctx = Ctx {
            desk: self,
            req,
            inv: &inv,
            body: None,
            claimed: std::cell::Cell::new(false),
        };
        let result = (|| -> Result<LongTextForm, DeskError> {
            let story_id = ctx.story_id()?;
            let mut options: Vec<(String, String)> = inv
                .options
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let mut form = LongTextForm {
                subcommand: inv.subcommand.clone(),
                options: Vec::new(),
                story: story_id,
                section: None,
                current: None,
                max_chars: long.max_chars,
                label: long.label.clone(),
            };
            if inv.subcommand == "write" {
                // The same rules as `Desk::section_text`: story, section, not generated,
                // not published.
                let current = sections::current_text(&ctx)?;
                let spec = ctx.spec(&ctx.load(current.story)?, &current.section)?;
                form.max_chars = Some(
                    form.max_chars
                        .map_or(spec.max_chars, |m| m.min(spec.max_chars)),
                );
                for (k, v) in options.iter_mut() {
                    if k == "section" {
                        *v = current.section.clone();
                    }
                }
                // What the form shows is what the text will be written over.
                if !options.iter().any(|(k, _)| k == "base") {
                    options.push(("base".into(), current.revision.to_string()));
                }
                form.current = current.text;
                form.section = Some(current.section);
            }
            form.options = options;
            Ok(form)
        })();
        match result {
            Ok(form) => Ok(Some(form)),
            Err(DeskError::User(text)) => Err(text),
            Err(DeskError::Duplicate) => Ok(None),
            Err(DeskError::Internal(why)) => {
                let reply = self.internal(&inv.subcommand, why);
                Err(reply
                    .posts
                    .first()
                    .map(|p| p.body.text())
                    .unwrap_or_default())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Input, Request};
    use crate::config::Config;
    use crate::model::{ChannelKey, Person, Place, Platform, Timestamp};

    fn request(text: &str, body: Option<&str>, channel: &str) -> Request {
        Request {
            actor: Person::named("alice"),
            memberships: Default::default(),
            place: Place {
                channel: ChannelKey {
                    platform: Platform::Slack,
                    team: "T1".into(),
                    channel: channel.into(),
                },
                thread: None,
            },
            at: Timestamp::now(),
            input: Input::Text {
                text: text.into(),
                body: body.map(str::to_string),
            },
            event: None,
            story: None,
        }
    }

    #[test]
    fn forms_resolve_story_and_section_and_prefill() {
        let dir = tempfile::tempdir().unwrap();
        let desk = crate::open_desk(Config::defaults(), dir.path()).unwrap();
        assert_eq!(
            desk.long_text_form(&request("/story write intro", None, "C1")),
            Err(super::messages::no_story_here())
        );
        desk.handle(request(
            "/story new Harbour budget vote delayed",
            None,
            "C1",
        ));
        let form = desk
            .long_text_form(&request("/story write section:headline", None, "C1"))
            .unwrap()
            .unwrap();
        assert_eq!(form.subcommand, "write");
        assert_eq!(form.section.as_deref(), Some("title"));
        assert_eq!(form.current.as_deref(), Some("Harbour budget vote delayed"));
        assert_eq!(form.max_chars, Some(120));
        // The form carries the revision it shows: the base of the text saved from it.
        assert_eq!(
            form.options,
            vec![
                ("section".into(), "title".into()),
                ("base".into(), "1".into())
            ]
        );
        assert_eq!(form.label, "Section text");

        let form = desk
            .long_text_form(&request("/story source add label:memo", None, "C1"))
            .unwrap()
            .unwrap();
        assert_eq!(form.subcommand, "source add");
        assert_eq!(form.options, vec![("label".into(), "memo".into())]);
        assert_eq!(form.current, None);

        // No form: a command without long text, or one that has its text already.
        assert_eq!(
            desk.long_text_form(&request("/story status", None, "C1")),
            Ok(None)
        );
        assert_eq!(
            desk.long_text_form(&request("/story write intro", Some("Text."), "C1")),
            Ok(None)
        );
        // Refusals come as the message to show.
        assert_eq!(
            desk.long_text_form(&request("/story write references", None, "C1")),
            Err(super::messages::references_are_generated())
        );
        assert!(desk
            .long_text_form(&request("/story write section:nope", None, "C1"))
            .unwrap_err()
            .contains("nope"));
    }
}
