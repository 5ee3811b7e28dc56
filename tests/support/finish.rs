//! How a scenario over a platform ends, for the Slack and Discord harnesses alike: the
//! adapter settles (work under way finishes, so what is checked does not depend on timing),
//! then nothing storydesk ran may have panicked and every answer the bot gave a person must
//! have been looked at (one nobody read may be a refusal nobody noticed).

use std::future::Future;

/// Checks a scenario from its harness's `Drop`: `idle` is the adapter's wait for its work,
/// `panics` reads the desk's count afterwards, `unread` the answers no accessor returned.
pub fn finish(
    idle: impl Future<Output = ()>,
    panics: impl FnOnce() -> u64,
    unread: impl FnOnce() -> Vec<String>,
) {
    if std::thread::panicking() {
        return;
    }
    settle(idle);
    assert_eq!(
        panics(),
        0,
        "work run for this scenario panicked (see the log above)"
    );
    let unread = unread();
    assert!(
        unread.is_empty(),
        "the bot gave {} answer(s) this test never looked at:\n{}",
        unread.len(),
        unread.join("\n")
    );
}

/// Waits (at most 20 s) for `idle` from a `Drop`, on a multi-threaded test runtime; on
/// another one it cannot block, and returns at once.
fn settle(idle: impl Future<Output = ()>) {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return;
    };
    if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
        return;
    }
    tokio::task::block_in_place(|| {
        handle.block_on(async {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(20), idle).await;
        })
    });
}
