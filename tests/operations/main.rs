//! storydesk as an operator runs it: the real binary, its data directory, its signals and
//! its log. Platforms are the fakes the adapter tests use, on 127.0.0.1.

mod bot;
#[path = "../slack/fake.rs"]
mod fake_slack;
#[path = "../support/mod.rs"]
mod support;

mod backup;
mod doctor;
mod integrity;
mod logs;
mod metrics;
mod shutdown;

/// A 32-byte source key, as `openssl rand -hex 32` prints one.
pub const SOURCE_KEY: &str = "5f1c0e8a9b7d3f2e4a6c8b0d1e3f5a7c9b1d3e5f7a9c0b2d4e6f8a0c2e4b6d8f";

/// Another key, for the wrong-key tests.
pub const OTHER_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// The newsroom config the tests use: erin publishes (by name in the console, by her Slack
/// user id on Slack), one approval suffices.
pub const NEWSROOM: &str = "[roles]\neditors = [\"erin\", \"U0ERIN\"]\n[review]\nquorum = 1\n";

/// The newsroom config for a bot on Slack and Discord: editors by user id only (a name
/// matches nobody there, which `storydesk doctor` reports).
pub const CHAT_NEWSROOM: &str =
    "[roles]\neditors = [\"U0ERIN\", \"800000000000000004\"]\n[review]\nquorum = 1\n";
