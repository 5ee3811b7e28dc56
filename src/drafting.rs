//! Running the desk's drafting jobs in an adapter's async context.
//!
//! `/story draft` returns [`DraftJob`]s in [`crate::desk::Reply::drafts`]. After sending the
//! reply's posts, an adapter calls [`run_job`] for each: the drafter runs here (a model may
//! take a minute and is reached over the network, so it never runs inside the synchronous
//! desk); the text written so far is turned into a post by [`Desk::draft_progress`] at most
//! about once a second, and the outcome is stored by [`Desk::finish_draft`] (on tokio's
//! blocking pool), whose post says what came of it. Every post is for the draft's message
//! ([`crate::desk::Body::Suggestion`]): a chat adapter posts it once and edits it in place;
//! the console prints a line per update.
//!
//! Progress goes through a `watch` channel: a slow adapter (a rate-limited message edit)
//! only ever sees the latest text, and the drafter keeps reading the model's answer while
//! the adapter delivers.

use std::future::Future;

use tokio::sync::watch;
use tracing::Instrument;

use crate::assist::Assistant;
use crate::desk::{Desk, DraftJob, Post};

/// Writes one draft with `assistant` and passes every post about it to `deliver`: progress
/// while it is written, then the stored outcome.
pub async fn run_job<F, Fut>(desk: &Desk, assistant: &Assistant, job: DraftJob, mut deliver: F)
where
    F: FnMut(Post) -> Fut,
    Fut: Future<Output = ()>,
{
    let span = tracing::info_span!(
        "draft",
        platform = job.place.channel.platform.as_str(),
        team = %job.place.channel.team,
        channel = %job.place.channel.channel,
        user = %job.requested_by.id,
        story = job.draft.story.0,
        section = %job.draft.section,
        number = job.draft.number,
    );
    async move {
        let (sender, mut receiver) = watch::channel(None::<String>);
        let brief = job.brief.clone();
        let drafting = async move {
            let mut progress = |text: &str| {
                sender.send_replace(Some(text.to_string()));
            };
            assistant.draft(brief, &mut progress).await
            // `sender` is dropped here, which ends the progress loop below.
        };
        let showing = async {
            while receiver.changed().await.is_ok() {
                let latest = receiver.borrow_and_update().clone();
                if let Some(text) = latest {
                    deliver(desk.draft_progress(&job, &text)).await;
                }
            }
        };
        let (outcome, ()) = tokio::join!(drafting, showing);
        let finishing = desk.clone();
        let finished_job = job.clone();
        let reply = match tokio::task::spawn_blocking(move || {
            finishing.finish_draft(&finished_job, outcome)
        })
        .await
        {
            Ok(reply) => reply,
            Err(e) => {
                crate::supervise::report(desk, "drafting", &e);
                desk.finish_draft(&job, Err(crate::assist::Failure::Crashed))
            }
        };
        for post in reply.posts {
            deliver(post).await;
        }
    }
    .instrument(span)
    .await
}
