//! The console: a simulated channel in the terminal (`storydesk local`), driving the same desk
//! as the chat bots.
//!
//! [`script`] reads the console's line format (commands, `:as`/`:in` directives, heredocs,
//! chat messages), both from a `--script` file and as lines typed interactively. [`session`]
//! turns them into requests and prints the replies, through [`terminal`], which keeps
//! control characters from reaching the terminal.

pub mod run;
pub mod script;
pub mod session;
pub mod terminal;
