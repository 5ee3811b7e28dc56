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

/// The newsroom config the tests use: erin publishes, one approval suffices.
pub const NEWSROOM: &str = "[roles]\neditors = [\"erin\", \"U0ERIN\"]\n[review]\nquorum = 1\n";
