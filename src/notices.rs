//! Every sentence the command line, `storydesk serve` and `storydesk doctor` show the
//! operator (the desk's sentences, shown to newsroom users, are in `desk::messages`).
//!
//! None of them ever contains a token, a secret or a source's text: a secret is named by its
//! environment variable, never shown.

use std::path::Path;

use crate::text::counts::plural;

// ---------------------------------------------------------------------------------------
// The command line

/// A command failed; `error` is the chain of what went wrong.
pub fn failed(error: &str) -> String {
    format!("storydesk: {error}")
}

/// `storydesk check`: the summary line of the text report.
pub fn check_summary(article: &str, errors: usize, warnings: usize, suggestions: usize) -> String {
    if errors + warnings + suggestions == 0 {
        return format!("{article}: all checks pass");
    }
    format!(
        "{article}: {}, {}, {}",
        plural(errors, "error", "errors"),
        plural(warnings, "warning", "warnings"),
        plural(suggestions, "suggestion", "suggestions")
    )
}

/// The console's greeting. `user` is who the console types as: the `--as` name, the login
/// name, or "you" when there is neither.
pub fn console_welcome(user: &str, channel: &str) -> String {
    let who = if user == "you" {
        "You type as “you” (`--as NAME` or `:as NAME` gives a name)".to_string()
    } else {
        format!("You type as {user}")
    };
    format!(
        "storydesk console. {who} in #{channel}. Type /story help, :as NAME to switch user, :in #channel to switch channel, Ctrl-D to leave."
    )
}

/// The data directory is held by another storydesk.
pub fn store_locked(dir: &Path) -> String {
    format!(
        "storydesk: the data directory {} is in use by another storydesk (a running `serve` or `local`, or one that is still shutting down). Stop it and try again, or point --data (STORYDESK_DATA_DIR) at another directory.",
        dir.display()
    )
}

/// `local` without editors.
pub fn no_editors_in_console() -> String {
    "note: no editors are configured ([roles] editors), so publishing will be refused; try --config examples/newsroom.toml".into()
}

// ---------------------------------------------------------------------------------------
// The interactive console (`storydesk local`)

/// The opening line of a heredoc as a notice names it: at most 40 characters.
fn heredoc_head(head: &str) -> String {
    match head.char_indices().nth(40) {
        None => head.to_string(),
        Some((end, _)) => format!("{}…", &head[..end]),
    }
}

/// "1 line", "3 lines".
fn lines(n: usize) -> String {
    format!("{n} {}", if n == 1 { "line" } else { "lines" })
}

/// Ctrl-C while typing a heredoc's text.
pub fn heredoc_cancelled(head: &str, typed: usize) -> String {
    format!(
        "Cancelled `{}` and its {} of text: nothing was sent.",
        heredoc_head(head),
        lines(typed)
    )
}

/// Ctrl-D while typing a heredoc's text: leaving would drop it.
pub fn heredoc_leave_question(head: &str, typed: usize) -> String {
    format!(
        "You are typing the text of `{}` ({} so far); leaving now drops it. Leave anyway? Type yes to leave, anything else to go on with the text.",
        heredoc_head(head),
        lines(typed)
    )
}

/// The prompt of [`heredoc_leave_question`].
pub fn heredoc_leave_prompt() -> String {
    "leave? (yes/no) ".into()
}

/// Not leaving after all: back to the heredoc.
pub fn heredoc_resumed(word: &str) -> String {
    format!("Going on with the text; end it with a line `{word}`.")
}

/// Leaving with a heredoc's text unsent.
pub fn heredoc_dropped(typed: usize) -> String {
    format!("Left without sending the {} typed.", lines(typed))
}

/// `commands slack-manifest` without an address.
pub fn manifest_needs_url() -> String {
    "storydesk: give --url https://HOST (where Slack reaches storydesk), or --socket-mode".into()
}

/// `commands slack-manifest --url` that is no URL.
pub fn manifest_url_scheme() -> String {
    "storydesk: --url must start with https:// (Slack calls it over HTTPS)".into()
}

/// Commands registered in one server.
pub fn registered_in_guild(count: usize, guild: u64) -> String {
    format!(
        "registered {} in server {guild}; they show at once",
        plural(count, "command", "commands")
    )
}

/// Commands registered globally.
pub fn registered_globally(count: usize) -> String {
    format!(
        "registered {}; Discord may take a while to show them everywhere",
        plural(count, "global command", "global commands")
    )
}

/// A backup written.
pub fn backed_up(records: u64, bytes: u64, file: &Path) -> String {
    format!(
        "backed up {} ({}) to {}",
        plural(records as usize, "record", "records"),
        plural(bytes as usize, "byte", "bytes"),
        file.display()
    )
}

/// A store written before the integrity record existed got one at start.
pub fn integrity_computed(dir: &Path, records: u64) -> String {
    format!(
        "{} had no integrity record (written by an older storydesk): computed one over its {records} records; from now on a store damaged outside storydesk is refused at start",
        dir.display()
    )
}

/// A backup restored.
pub fn restored(records: u64, bytes: u64, dir: &Path) -> String {
    format!(
        "restored {} ({}) into {}",
        plural(records as usize, "record", "records"),
        plural(bytes as usize, "byte", "bytes"),
        dir.display()
    )
}

/// `export` of a story number nobody used.
pub fn no_such_story(story: u64, dir: &Path) -> String {
    format!("there is no story #{story} in {}", dir.display())
}

/// The running storydesk did not answer on its admin socket.
pub fn admin_no_answer(dir: &Path, why: &str) -> String {
    format!(
        "the data directory {} is in use by another storydesk (a running `serve` or `local`, or one that is still shutting down), and it did not answer on its admin socket ({why}). Stop it and try again, or point --data (STORYDESK_DATA_DIR) at another directory.",
        dir.display()
    )
}

/// The console could not open its admin socket: it runs, but `backup` and `export` cannot
/// reach it.
pub fn admin_socket_unavailable(why: &str) -> String {
    format!("note: the admin socket could not be opened ({why}), so `storydesk backup` and `storydesk export` cannot run while this console does")
}

/// A request on the admin socket that is none of its requests.
pub fn admin_unknown_request() -> String {
    "unknown request; the requests are `backup` and `export STORY md|html|json`".into()
}

// ---------------------------------------------------------------------------------------
// `storydesk serve`

/// Listening.
pub fn serving_on(addr: std::net::SocketAddr) -> String {
    format!("storydesk serving on http://{addr}")
}

/// Sources will be stored in the clear.
pub fn source_key_unset() -> String {
    "STORYDESK_SOURCE_KEY is not set: source texts are stored unencrypted in the data directory; generate a key with `openssl rand -hex 32`".into()
}

/// Discord over HTTP without a token.
pub fn discord_without_token() -> String {
    "DISCORD_TOKEN is not set, so storydesk can answer interactions but cannot post boards, threads or articles".into()
}

/// Discord's interactions endpoint is on.
pub fn discord_endpoint_on() -> String {
    "Discord interactions endpoint: POST /discord/interactions".into()
}

/// The gateway is being connected.
pub fn discord_gateway_connecting() -> String {
    "Discord gateway: connecting".into()
}

/// The gateway runs a range of shards in this process (`[discord] shards`).
pub fn discord_shards(range: &str) -> String {
    format!("Discord gateway: shards {range} in this process (not shared with other replicas)")
}

/// Slack's HTTP endpoints are on.
pub fn slack_http_on() -> String {
    "Slack endpoints: POST /slack/commands, /slack/interactivity, /slack/events".into()
}

/// Slack's Socket Mode is on.
pub fn slack_socket_mode_on() -> String {
    "Slack Socket Mode: connecting".into()
}

/// A shutdown began.
pub fn shutting_down(bound_secs: u64) -> String {
    format!("shutting down (at most {bound_secs} s): no new requests; finishing those under way")
}

/// Everything finished in time.
pub fn shutdown_drained() -> String {
    "everything under way has finished".into()
}

/// The bound was reached.
pub fn shutdown_bound_reached(bound_secs: u64) -> String {
    format!("shutdown took longer than [server] shutdown_secs ({bound_secs} s): abandoning what is still running; every change already acknowledged is on disk")
}

/// A second signal cut the shutdown short.
pub fn shutdown_cut_short() -> String {
    "second signal: abandoning what is still running".into()
}

/// Stopped.
pub fn stopped() -> String {
    "stopped; the store is flushed".into()
}

// ---------------------------------------------------------------------------------------
// `storydesk doctor`

/// The heading of the report.
pub fn doctor_heading() -> String {
    "storydesk doctor".into()
}

/// The verdict when all is well.
pub fn doctor_all_good() -> String {
    "All good.".into()
}

/// The verdict when something needs fixing.
pub fn doctor_problems(count: usize) -> String {
    if count == 1 {
        "1 problem to fix.".into()
    } else {
        format!("{count} problems to fix.")
    }
}

/// The config loaded.
pub fn config_loaded(origin: &str) -> String {
    format!("config: {origin}")
}

/// The config did not load.
pub fn config_failed(error: &str) -> String {
    format!("config: {error}")
}

/// Fix for a config that does not load.
pub fn fix_config() -> String {
    "correct the file (config/default.toml lists every key with its default)".into()
}

/// The built-in defaults as an origin.
pub fn builtin_defaults() -> String {
    "built-in defaults (no --config, no STORYDESK_CONFIG)".into()
}

/// The template and its sections.
pub fn template(name: &str, sections: &[&str]) -> String {
    format!(
        "template: {name} ({} sections: {})",
        sections.len(),
        sections.join(", ")
    )
}

/// The template did not load.
pub fn template_failed(error: &str) -> String {
    format!("template: {error}")
}

/// Fix for a template that does not load.
pub fn fix_template() -> String {
    "set [story] template to a built-in template (news) or a readable template file".into()
}

/// The editors.
pub fn editors(editors: &[String]) -> String {
    format!("editors: {}", editors.join(", "))
}

/// A `[roles]` entry that can match nobody on the chat platforms configured: a name (names
/// and nicknames grant nothing on Slack or Discord), or another platform's id.
pub fn role_entry_matches_nobody(list: &str, entry: &str, platforms: &[&str]) -> String {
    format!(
        "{list}: \"{entry}\" is not an id on {}, so it matches nobody there (a display name or nickname grants nothing; names match only in the console)",
        platforms.join(" or ")
    )
}

/// Fix for a `[roles]` entry that matches nobody.
pub fn fix_role_entry() -> String {
    "write the person's user id (Slack: profile → Copy member ID, U…; Discord: Developer Mode → Copy User ID, digits), or role:ID for a Discord role, or group:ID for a Slack user group (S…)".into()
}

/// No editors.
pub fn no_editors() -> String {
    "editors: none, so nobody can publish".into()
}

/// Fix for no editors.
pub fn fix_editors() -> String {
    "list the people who may publish in [roles] editors (Slack or Discord user ids, role:ID, group:ID; names in the console)".into()
}

/// The source key does not parse.
pub fn source_key_bad(why: &str) -> String {
    format!("STORYDESK_SOURCE_KEY: {why}")
}

/// Fix for a key that does not parse.
pub fn fix_source_key_format() -> String {
    "give 32 bytes as 64 hex digits or base64; generate one with `openssl rand -hex 32`".into()
}

/// The data directory exists and can be written.
pub fn data_dir_writable(dir: &Path) -> String {
    format!("data directory {}: exists and is writable", dir.display())
}

/// The data directory will be made at start.
pub fn data_dir_creatable(dir: &Path) -> String {
    format!(
        "data directory {}: does not exist yet; storydesk will create it",
        dir.display()
    )
}

/// The data directory cannot be used.
pub fn data_dir_unusable(dir: &Path, why: &str) -> String {
    format!("data directory {}: {why}", dir.display())
}

/// Fix for an unusable data directory.
pub fn fix_data_dir() -> String {
    "point --data (STORYDESK_DATA_DIR) at a directory storydesk's user may write, or fix its permissions".into()
}

/// Fix for a data directory that holds other files and no store.
pub fn fix_data_dir_other_files() -> String {
    "point --data (STORYDESK_DATA_DIR) at an empty or new directory, or at an existing storydesk data directory; storydesk does not create its store among other files".into()
}

/// The store opened.
pub fn store_opens(stories: usize) -> String {
    match stories {
        1 => "store: opens (1 story)".into(),
        n => format!("store: opens ({n} stories)"),
    }
}

/// Every record matches the store's integrity record.
pub fn integrity_matched(records: u64) -> String {
    match records {
        1 => "integrity: 1 record, matching the store's integrity record".into(),
        n => format!("integrity: {n} records, matching the store's integrity record"),
    }
}

/// A store created just now: recorded from its first record.
pub fn integrity_new() -> String {
    "integrity: a new store, recorded from its first record".into()
}

/// A store written by an older storydesk, without an integrity record yet.
pub fn integrity_not_recorded() -> String {
    "integrity: no integrity record yet (written by an older storydesk); storydesk computes one when it next starts".into()
}

/// `storydesk migrate` ran.
pub fn migrated(ran: usize, database: &str) -> String {
    match ran {
        0 => format!("{database}: already up to date"),
        1 => format!("{database}: 1 migration run"),
        n => format!("{database}: {n} migrations run"),
    }
}

/// `storydesk store copy` finished.
pub fn copied(records: u64, bytes: u64) -> String {
    format!("copied {records} records ({bytes} bytes), checked by count and digest")
}

/// The records are in PostgreSQL, which keeps its own checksums and log.
pub fn integrity_engine() -> String {
    "integrity: kept by PostgreSQL (its write-ahead log and checksums); no record of storydesk's"
        .into()
}

/// The store is held by a running storydesk that answers.
pub fn store_in_use() -> String {
    "store: in use by a running storydesk (its admin socket answers)".into()
}

/// The store cannot be opened.
pub fn store_failed(why: &str) -> String {
    format!("store: {why}")
}

/// Fix for a store that is locked by something that does not answer.
pub fn fix_store_locked() -> String {
    "stop the other process that has the data directory open, or use another --data".into()
}

/// Fix for a damaged store.
pub fn fix_store() -> String {
    "restore the data directory from a backup (storydesk restore FILE into an empty directory)"
        .into()
}

/// The key matches.
pub fn source_key_matches() -> String {
    "source key: set, and it opens this data directory's sealed sources".into()
}

/// The key will be recorded with the first sealed source.
pub fn source_key_new() -> String {
    "source key: set; no source is sealed here yet, so it will be recorded with the first".into()
}

/// The key does not match.
pub fn source_key_wrong() -> String {
    "source key: STORYDESK_SOURCE_KEY is not the key this data directory's sources were sealed with"
        .into()
}

/// Fix for a wrong key.
pub fn fix_source_key_wrong() -> String {
    "set STORYDESK_SOURCE_KEY to the key the sources were sealed with".into()
}

/// No key, and sealed sources exist.
pub fn source_key_missing_for_sealed() -> String {
    "source key: not set, but this data directory holds sealed sources".into()
}

/// No key at all.
pub fn source_key_absent() -> String {
    "source key: not set; source texts are stored unencrypted".into()
}

/// Fix for no key.
pub fn fix_source_key_absent() -> String {
    "generate one with `openssl rand -hex 32` and set STORYDESK_SOURCE_KEY (keep a copy: without it sealed sources cannot be read)".into()
}

/// The key could not be checked because the store is in use.
pub fn source_key_unchecked() -> String {
    "source key: not checked, the running storydesk checked it when it started".into()
}

/// Environment variables present, by name.
pub fn env_present(platform: &str, set: &[&str], unset: &[&str]) -> String {
    let mut parts = Vec::new();
    if !set.is_empty() {
        parts.push(format!("{} set", set.join(", ")));
    }
    if !unset.is_empty() {
        parts.push(format!("{} not set", unset.join(", ")));
    }
    format!("{platform}: {}", parts.join("; "))
}

/// Neither platform is configured.
pub fn no_platform() -> String {
    "platforms: neither Slack nor Discord is configured, so `serve` would only answer /healthz"
        .into()
}

/// Fix for no platform.
pub fn fix_no_platform() -> String {
    "set SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET or SLACK_APP_TOKEN, or DISCORD_TOKEN (see README: Run on Slack, Run on Discord)".into()
}

/// A Slack way in without the bot token.
pub fn slack_needs_bot_token() -> String {
    "Slack: SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not".into()
}

/// Fix for a missing bot token.
pub fn fix_slack_bot_token() -> String {
    "set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) from the app's Install App page"
        .into()
}

/// The bot token without a way in.
pub fn slack_no_way_in() -> String {
    "Slack: SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP) nor SLACK_APP_TOKEN (Socket Mode) is, so Slack cannot reach storydesk".into()
}

/// Fix for no way in.
pub fn fix_slack_way_in() -> String {
    "set SLACK_SIGNING_SECRET (Basic Information → Signing Secret) or SLACK_APP_TOKEN (an app-level token with connections:write)".into()
}

/// A token of the wrong kind.
pub fn wrong_token_kind(var: &str, expected_prefix: &str) -> String {
    format!("{var} does not start with {expected_prefix}: it is not that kind of token")
}

/// Slack accepted the bot token.
pub fn slack_token_accepted(team: &str, user: &str) -> String {
    format!("Slack accepts SLACK_BOT_TOKEN (auth.test): workspace {team}, bot user {user}")
}

/// Slack refused the bot token.
pub fn slack_token_refused(error: &str) -> String {
    format!("Slack refused SLACK_BOT_TOKEN (auth.test): {error}")
}

/// Fix for a refused Slack token.
pub fn fix_slack_token() -> String {
    "copy the Bot User OAuth Token again from the app's Install App page (reinstall the app if it was revoked)".into()
}

/// Slack could not be reached.
pub fn slack_unreachable(url: &str, why: &str) -> String {
    format!("Slack at {url} could not be reached: {why}")
}

/// Fix for unreachable Slack.
pub fn fix_slack_unreachable() -> String {
    "check the network and proxy settings, and STORYDESK_SLACK_API_URL if it is set".into()
}

/// The Discord public key does not parse.
pub fn discord_public_key_bad() -> String {
    "DISCORD_PUBLIC_KEY is not a 64-hex-digit Ed25519 public key".into()
}

/// Fix for a bad public key.
pub fn fix_discord_public_key() -> String {
    "copy the Public Key from the Developer Portal (General Information)".into()
}

/// The public key without the application id.
pub fn discord_application_id_bad() -> String {
    "DISCORD_APPLICATION_ID is not a number".into()
}

/// Fix for a bad application id.
pub fn fix_discord_application_id() -> String {
    "copy the Application ID from the Developer Portal (General Information)".into()
}

/// Discord accepted the token.
pub fn discord_token_accepted(user: &str, id: u64) -> String {
    format!("Discord accepts DISCORD_TOKEN (GET /users/@me): bot user {user} ({id})")
}

/// Discord refused the token.
pub fn discord_token_refused(error: &str) -> String {
    format!("Discord refused DISCORD_TOKEN (GET /users/@me): {error}")
}

/// Fix for a refused Discord token.
pub fn fix_discord_token() -> String {
    "reset the token on the Developer Portal's Bot page and set DISCORD_TOKEN to the new one".into()
}

/// Discord could not be reached.
pub fn discord_unreachable(url: &str, why: &str) -> String {
    format!("Discord at {url} could not be reached: {why}")
}

/// Fix for unreachable Discord.
pub fn fix_discord_unreachable() -> String {
    "check the network, and STORYDESK_DISCORD_API_URL if it is set".into()
}

/// The application id matches.
pub fn discord_application_matches(id: u64) -> String {
    format!("Discord application {id} is DISCORD_APPLICATION_ID")
}

/// The application id is read from Discord.
pub fn discord_application_from_token(id: u64) -> String {
    format!("Discord application {id}: DISCORD_APPLICATION_ID is not set, so serve reads it with the token")
}

/// The application id differs.
pub fn discord_application_mismatch(configured: u64, actual: u64) -> String {
    format!(
        "DISCORD_APPLICATION_ID is {configured}, but DISCORD_TOKEN belongs to application {actual}"
    )
}

/// Fix for a mismatched application id.
pub fn fix_discord_application_mismatch() -> String {
    "use the token and the application id of the same application".into()
}

/// An interactions endpoint without a token.
pub fn discord_endpoint_without_token() -> String {
    "Discord: DISCORD_PUBLIC_KEY is set but DISCORD_TOKEN is not: interactions are answered, but boards, threads and articles cannot be posted".into()
}

/// A check that took too long.
pub fn timed_out(secs: u64) -> String {
    format!("no answer within {secs} s")
}
