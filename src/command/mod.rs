//! Commands as people type them: `/story new title:"Meta scrambles over DeepSeek"`.
//!
//! [`parse`] turns the text of a command (from Slack, a Discord message or the console) into
//! an [`parse::Invocation`] checked against the catalogue ([`crate::catalogue`]), or into a
//! [`parse::ParseError`] value that the messages module turns into a helpful reply. Nothing
//! here knows about platforms, the store or the desk.

pub mod parse;
