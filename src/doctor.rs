//! `storydesk doctor`: what an operator checks before (or instead of) starting the bot.
//!
//! It loads the configuration, looks at the data directory (can it be written, does the
//! store open or is a running storydesk holding it, does the source key fit), reads which
//! platforms the environment configures (naming variables, never showing their values), and
//! asks each platform whether it accepts the token: Slack's `auth.test`, Discord's
//! `GET /users/@me` and the application the token belongs to. Each call has a timeout. Every
//! problem comes with what to do about it. Nothing is written, except that a data directory
//! storydesk can open is opened (sled then holds its lock for a moment).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::Config;
use crate::env::Env;
use crate::model::Platform;
use crate::notices;
use crate::store::{IntegrityCheck, OpenFailure, SourceKey, Store, StoreError, StoreOptions};
use crate::template::Template;

/// How long each platform may take to answer.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// How a finding counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Fine.
    Ok,
    /// Worth knowing; nothing to fix.
    Note,
    /// Needs fixing before storydesk works as configured.
    Problem,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How it counts.
    pub level: Level,
    /// What was found.
    pub text: String,
    /// What to do, for a problem or a note that has a remedy.
    pub fix: Option<String>,
}

/// Everything the doctor found, in the order it looked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The findings.
    pub findings: Vec<Finding>,
}

impl Report {
    fn ok(&mut self, text: String) {
        self.push(Level::Ok, text, None);
    }

    fn note(&mut self, text: String, fix: Option<String>) {
        self.push(Level::Note, text, fix);
    }

    fn problem(&mut self, text: String, fix: String) {
        self.push(Level::Problem, text, Some(fix));
    }

    fn push(&mut self, level: Level, text: String, fix: Option<String>) {
        self.findings.push(Finding { level, text, fix });
    }

    /// How many problems there are.
    pub fn problems(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.level == Level::Problem)
            .count()
    }

    /// The report as the operator reads it.
    pub fn render(&self) -> String {
        let mut out = format!("{}\n", notices::doctor_heading());
        for f in &self.findings {
            let mark = match f.level {
                Level::Ok => "ok  ",
                Level::Note => "note",
                Level::Problem => "FIX ",
            };
            out.push_str(&format!("  {mark} {}\n", f.text));
            if let Some(fix) = &f.fix {
                out.push_str(&format!("       → {fix}\n"));
            }
        }
        out.push_str(&match self.problems() {
            0 => notices::doctor_all_good(),
            n => notices::doctor_problems(n),
        });
        out.push('\n');
        out
    }
}

/// Run every check.
pub async fn examine(config_path: Option<&Path>, data_dir: Option<&Path>, env: &Env) -> Report {
    let mut report = Report::default();
    let mut config = check_config(&mut report, config_path);
    if let (Some(config), Some(url)) = (config.as_mut(), &env.database_url) {
        config.store.url = Some(url.clone());
    }
    let key = check_key_format(&mut report, env);
    if let Some(config) = &config {
        let dir = data_dir
            .map(Path::to_path_buf)
            .unwrap_or_else(|| config.store.data_dir.clone());
        check_data(&mut report, config, &dir, key.flatten()).await;
    }
    if let Some(config) = &config {
        check_role_entries(&mut report, config, &env.chat_platforms());
    }
    let slack = check_slack_env(&mut report, env);
    let discord = check_discord_env(&mut report, env);
    if !slack && !discord {
        report.problem(notices::no_platform(), notices::fix_no_platform());
    }
    if slack {
        check_slack_token(&mut report, env).await;
    }
    if discord {
        check_discord_token(&mut report, env).await;
    }
    report
}

fn check_config(report: &mut Report, path: Option<&Path>) -> Option<Config> {
    let config = match Config::load(path) {
        Ok(c) => c,
        Err(e) => {
            report.problem(
                notices::config_failed(&e.to_string()),
                notices::fix_config(),
            );
            return None;
        }
    };
    let origin = path
        .map(|p| p.display().to_string())
        .unwrap_or_else(notices::builtin_defaults);
    report.ok(notices::config_loaded(&origin));
    match Template::load(&config.story.template) {
        Ok(t) => {
            let names: Vec<&str> = t.sections.iter().map(|s| s.name.as_str()).collect();
            report.ok(notices::template(&t.name, &names));
        }
        Err(e) => report.problem(
            notices::template_failed(&e.to_string()),
            notices::fix_template(),
        ),
    }
    if config.roles.editors.is_empty() {
        report.problem(notices::no_editors(), notices::fix_editors());
    } else {
        let entries: Vec<String> = config
            .roles
            .editors
            .entries()
            .iter()
            .map(ToString::to_string)
            .collect();
        report.ok(notices::editors(&entries));
    }
    Some(config)
}

/// Reports each `[roles]` entry that matches nobody on the chat platforms the environment
/// configures (a name while Slack or Discord serves). Nothing when none is configured.
fn check_role_entries(report: &mut Report, config: &Config, platforms: &[Platform]) {
    for sentence in role_entries_matching_nobody(config, platforms) {
        report.problem(sentence, notices::fix_role_entry());
    }
}

/// A sentence naming each `[roles]` entry that matches nobody on `platforms`. `serve`
/// logs the same at start.
pub fn role_entries_matching_nobody(config: &Config, platforms: &[Platform]) -> Vec<String> {
    let names: Vec<&str> = platforms.iter().map(|p| platform_name(*p)).collect();
    config
        .roles
        .editors
        .unusable_on(platforms)
        .into_iter()
        .map(|entry| {
            notices::role_entry_matches_nobody("[roles] editors", &entry.to_string(), &names)
        })
        .collect()
}

/// A platform's name as the operator reads it.
fn platform_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Console => "the console",
        Platform::Slack => "Slack",
        Platform::Discord => "Discord",
    }
}

/// `None`: the key does not parse (reported); `Some(None)`: no key.
fn check_key_format(report: &mut Report, env: &Env) -> Option<Option<SourceKey>> {
    match &env.source_key {
        None => Some(None),
        Some(text) => match SourceKey::parse(text) {
            Ok(key) => Some(Some(key)),
            Err(e) => {
                report.problem(
                    notices::source_key_bad(&e.to_string()),
                    notices::fix_source_key_format(),
                );
                None
            }
        },
    }
}

async fn check_data(report: &mut Report, config: &Config, dir: &Path, key: Option<SourceKey>) {
    // On PostgreSQL the records are in the database, whatever the data directory holds.
    if !dir.exists() && config.store.url.is_none() {
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        match writable(&parent) {
            Ok(()) => report.ok(notices::data_dir_creatable(dir)),
            Err(why) => report.problem(
                notices::data_dir_unusable(dir, &why),
                notices::fix_data_dir(),
            ),
        }
        if key.is_none() {
            report.note(
                notices::source_key_absent(),
                Some(notices::fix_source_key_absent()),
            );
        }
        return;
    }
    if !dir.exists() {
        // PostgreSQL: the directory (the admin socket, the console's history) is created
        // when needed.
    } else if let Err(why) = writable(dir) {
        report.problem(
            notices::data_dir_unusable(dir, &why),
            notices::fix_data_dir(),
        );
        return;
    } else {
        report.ok(notices::data_dir_writable(dir));
    }
    let options = StoreOptions {
        database_url: config.store.url.clone(),
        pool_size: 2,
        source_key: None,
        cache_capacity_bytes: config.store.cache_mb * 1024 * 1024,
        fsync: false,
    };
    let d = dir.to_path_buf();
    let opened = tokio::task::spawn_blocking(move || {
        let store = Store::inspect(&d, options)?;
        let stories = store.story_ids()?.len();
        let matches = key
            .as_ref()
            .map(|k| store.source_key_matches(k))
            .transpose()?;
        let sealed = store.has_sealed_sources()?;
        Ok::<_, StoreError>((stories, matches, sealed, store.integrity()))
    })
    .await;
    let (stories, matches, sealed, integrity) = match opened {
        Ok(Ok(found)) => found,
        Ok(Err(StoreError::Open {
            reason: OpenFailure::Locked,
            ..
        })) => {
            if admin_answers(dir) {
                report.ok(notices::store_in_use());
                report.note(notices::source_key_unchecked(), None);
            } else {
                report.problem(
                    notices::store_failed(&OpenFailure::Locked.to_string()),
                    notices::fix_store_locked(),
                );
            }
            return;
        }
        Ok(Err(
            e @ StoreError::Open {
                reason: OpenFailure::NotAStore(_),
                ..
            },
        )) => {
            report.problem(
                notices::store_failed(&e.to_string()),
                notices::fix_data_dir_other_files(),
            );
            return;
        }
        Ok(Err(e)) => {
            report.problem(notices::store_failed(&e.to_string()), notices::fix_store());
            return;
        }
        Err(e) => {
            report.problem(notices::store_failed(&e.to_string()), notices::fix_store());
            return;
        }
    };
    report.ok(notices::store_opens(stories));
    match integrity {
        IntegrityCheck::Matched { records } | IntegrityCheck::Computed { records } => {
            report.ok(notices::integrity_matched(records))
        }
        IntegrityCheck::New => report.ok(notices::integrity_new()),
        IntegrityCheck::NotRecorded => report.note(notices::integrity_not_recorded(), None),
        IntegrityCheck::Engine => report.ok(notices::integrity_engine()),
    }
    match (key.is_some(), matches.flatten(), sealed) {
        (true, Some(true), _) => report.ok(notices::source_key_matches()),
        (true, Some(false), _) => {
            report.problem(notices::source_key_wrong(), notices::fix_source_key_wrong())
        }
        (true, None, _) => report.ok(notices::source_key_new()),
        (false, _, true) => report.problem(
            notices::source_key_missing_for_sealed(),
            notices::fix_source_key_wrong(),
        ),
        (false, _, false) => report.note(
            notices::source_key_absent(),
            Some(notices::fix_source_key_absent()),
        ),
    }
}

/// Whether a file can be made and removed in `dir`.
fn writable(dir: &Path) -> Result<(), String> {
    if !dir.is_dir() {
        return Err("is not a directory".into());
    }
    let probe = dir.join(format!(".storydesk-doctor-{}", std::process::id()));
    std::fs::write(&probe, b"probe").map_err(|e| format!("cannot be written ({})", e.kind()))?;
    std::fs::remove_file(&probe).map_err(|e| format!("cannot be written ({})", e.kind()))?;
    Ok(())
}

/// Whether a running storydesk answers on the directory's admin socket.
#[cfg(unix)]
fn admin_answers(dir: &Path) -> bool {
    std::os::unix::net::UnixStream::connect(crate::admin::socket_path(dir)).is_ok()
}

#[cfg(not(unix))]
fn admin_answers(_dir: &Path) -> bool {
    false
}

/// Reports which Slack variables are set; true when Slack is configured enough to check
/// its token.
fn check_slack_env(report: &mut Report, env: &Env) -> bool {
    let vars = [
        ("SLACK_BOT_TOKEN", env.slack_bot_token.is_some()),
        ("SLACK_SIGNING_SECRET", env.slack_signing_secret.is_some()),
        ("SLACK_APP_TOKEN", env.slack_app_token.is_some()),
    ];
    if vars.iter().all(|(_, set)| !set) {
        return false;
    }
    let set: Vec<&str> = vars.iter().filter(|v| v.1).map(|v| v.0).collect();
    let unset: Vec<&str> = vars.iter().filter(|v| !v.1).map(|v| v.0).collect();
    report.ok(notices::env_present("Slack", &set, &unset));
    let way_in = env.slack_signing_secret.is_some() || env.slack_app_token.is_some();
    if way_in && env.slack_bot_token.is_none() {
        report.problem(
            notices::slack_needs_bot_token(),
            notices::fix_slack_bot_token(),
        );
        return false;
    }
    if !way_in {
        report.problem(notices::slack_no_way_in(), notices::fix_slack_way_in());
    }
    if let Some(token) = &env.slack_app_token {
        if !token.starts_with("xapp-") {
            report.problem(
                notices::wrong_token_kind("SLACK_APP_TOKEN", "xapp-"),
                notices::fix_slack_way_in(),
            );
        }
    }
    if let Some(token) = &env.slack_bot_token {
        if !token.starts_with("xoxb-") {
            report.problem(
                notices::wrong_token_kind("SLACK_BOT_TOKEN", "xoxb-"),
                notices::fix_slack_bot_token(),
            );
        }
    }
    env.slack_bot_token.is_some()
}

async fn check_slack_token(report: &mut Report, env: &Env) {
    let api = crate::slack::api::WebApi::new(
        &env.slack_api_url,
        env.slack_bot_token
            .clone()
            .map(crate::slack::api::Token::new),
        None,
    )
    .single_attempt();
    use crate::slack::api::ApiError;
    match tokio::time::timeout(CHECK_TIMEOUT, api.auth_test()).await {
        Ok(Ok(info)) => report.ok(notices::slack_token_accepted(&info.team, &info.user)),
        Ok(Err(ApiError::Slack { error, .. })) => report.problem(
            notices::slack_token_refused(&error),
            notices::fix_slack_token(),
        ),
        Ok(Err(ApiError::Http { status, .. })) => report.problem(
            notices::slack_token_refused(&format!("HTTP {status}")),
            notices::fix_slack_token(),
        ),
        Ok(Err(ApiError::Transport { reason, .. })) => report.problem(
            notices::slack_unreachable(&env.slack_api_url, &reason),
            notices::fix_slack_unreachable(),
        ),
        Ok(Err(e)) => report.problem(
            notices::slack_unreachable(&env.slack_api_url, &e.to_string()),
            notices::fix_slack_unreachable(),
        ),
        Err(_) => report.problem(
            notices::slack_unreachable(
                &env.slack_api_url,
                &notices::timed_out(CHECK_TIMEOUT.as_secs()),
            ),
            notices::fix_slack_unreachable(),
        ),
    }
}

/// Reports which Discord variables are set; true when there is a token to check.
fn check_discord_env(report: &mut Report, env: &Env) -> bool {
    let vars = [
        ("DISCORD_TOKEN", env.discord_token.is_some()),
        ("DISCORD_PUBLIC_KEY", env.discord_public_key.is_some()),
        (
            "DISCORD_APPLICATION_ID",
            env.discord_application_id.is_some(),
        ),
    ];
    if vars.iter().all(|(_, set)| !set) {
        return false;
    }
    let set: Vec<&str> = vars.iter().filter(|v| v.1).map(|v| v.0).collect();
    let unset: Vec<&str> = vars.iter().filter(|v| !v.1).map(|v| v.0).collect();
    report.ok(notices::env_present("Discord", &set, &unset));
    if let Some(key) = &env.discord_public_key {
        if crate::discord::verify::SignatureCheck::from_hex(key).is_err() {
            report.problem(
                notices::discord_public_key_bad(),
                notices::fix_discord_public_key(),
            );
        }
    }
    if let Some(id) = &env.discord_application_id {
        if id.trim().parse::<u64>().is_err() {
            report.problem(
                notices::discord_application_id_bad(),
                notices::fix_discord_application_id(),
            );
        }
    }
    if env.discord_token.is_none() {
        if env.discord_public_key.is_some() {
            report.note(notices::discord_endpoint_without_token(), None);
        }
        return false;
    }
    true
}

async fn check_discord_token(report: &mut Report, env: &Env) {
    let token = env.discord_token.clone().unwrap_or_default();
    let url = env
        .discord_api_url
        .clone()
        .unwrap_or_else(|| crate::discord::DEFAULT_API_URL.to_string());
    let http = crate::discord::build_http(&token, None, env.discord_api_url.as_deref(), None);
    let user = match tokio::time::timeout(CHECK_TIMEOUT, http.get_current_user()).await {
        Ok(Ok(user)) => user,
        Ok(Err(e)) => {
            match refused_status(&e) {
                Some(_) => report.problem(
                    notices::discord_token_refused(&crate::discord::error_text(&e)),
                    notices::fix_discord_token(),
                ),
                None => report.problem(
                    notices::discord_unreachable(&url, &crate::discord::error_text(&e)),
                    notices::fix_discord_unreachable(),
                ),
            }
            return;
        }
        Err(_) => {
            report.problem(
                notices::discord_unreachable(&url, &notices::timed_out(CHECK_TIMEOUT.as_secs())),
                notices::fix_discord_unreachable(),
            );
            return;
        }
    };
    report.ok(notices::discord_token_accepted(&user.name, user.id.get()));
    let app = match tokio::time::timeout(CHECK_TIMEOUT, http.get_current_application_info()).await {
        Ok(Ok(app)) => app,
        Ok(Err(e)) => {
            report.problem(
                notices::discord_token_refused(&crate::discord::error_text(&e)),
                notices::fix_discord_token(),
            );
            return;
        }
        Err(_) => {
            report.problem(
                notices::discord_unreachable(&url, &notices::timed_out(CHECK_TIMEOUT.as_secs())),
                notices::fix_discord_unreachable(),
            );
            return;
        }
    };
    let actual = app.id.get();
    match env
        .discord_application_id
        .as_deref()
        .and_then(|id| id.trim().parse::<u64>().ok())
    {
        Some(configured) if configured == actual => {
            report.ok(notices::discord_application_matches(actual))
        }
        Some(configured) => report.problem(
            notices::discord_application_mismatch(configured, actual),
            notices::fix_discord_application_mismatch(),
        ),
        None => report.note(notices::discord_application_from_token(actual), None),
    }
}

/// The HTTP status of a refusal, when Discord answered one.
fn refused_status(e: &serenity::Error) -> Option<u16> {
    match e {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r)) => {
            Some(r.status_code.as_u16())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(editors: &str) -> Config {
        Config::from_overlay(Some(&format!("[roles]\neditors = [{editors}]\n")), "test").unwrap()
    }

    #[test]
    fn a_name_is_reported_while_slack_or_discord_serves() {
        let c = config(
            r#""erin", "U0ERIN", "800000000000000004", "role:900000000000000001", "group:S0EDITORS""#,
        );
        let both = role_entries_matching_nobody(&c, &[Platform::Slack, Platform::Discord]);
        insta::assert_snapshot!(both.join("\n"), @r#"[roles] editors: "erin" is not an id on Slack or Discord, so it matches nobody there (a display name or nickname grants nothing; names match only in the console)"#);
        let slack = role_entries_matching_nobody(&c, &[Platform::Slack]);
        insta::assert_snapshot!(slack.join("\n"), @r#"
        [roles] editors: "erin" is not an id on Slack, so it matches nobody there (a display name or nickname grants nothing; names match only in the console)
        [roles] editors: "800000000000000004" is not an id on Slack, so it matches nobody there (a display name or nickname grants nothing; names match only in the console)
        [roles] editors: "role:900000000000000001" is not an id on Slack, so it matches nobody there (a display name or nickname grants nothing; names match only in the console)
        "#);
        // The console alone: names are how it knows people.
        assert!(role_entries_matching_nobody(&c, &[]).is_empty());
    }

    #[test]
    fn the_environment_says_which_platforms_serve() {
        let env = Env {
            slack_signing_secret: Some("s".into()),
            ..Default::default()
        };
        assert_eq!(env.chat_platforms(), [Platform::Slack]);
        let env = Env {
            discord_public_key: Some("k".into()),
            ..Default::default()
        };
        assert_eq!(env.chat_platforms(), [Platform::Discord]);
        assert!(Env::default().chat_platforms().is_empty());
    }

    #[tokio::test]
    async fn doctor_names_an_editor_entry_that_matches_nobody() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("newsroom.toml");
        std::fs::write(&path, "[roles]\neditors = [\"erin\", \"U0ERIN\"]\n").unwrap();
        let env = Env {
            slack_signing_secret: Some("s".into()),
            ..Default::default()
        };
        let mut report = Report::default();
        let config = check_config(&mut report, Some(&path)).unwrap();
        check_role_entries(&mut report, &config, &env.chat_platforms());
        let problems: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.level == Level::Problem)
            .collect();
        assert_eq!(problems.len(), 1, "{report:?}");
        assert!(problems[0].text.contains("\"erin\""), "{report:?}");
        insta::assert_snapshot!(problems[0].fix.clone().unwrap_or_default(), @"write the person's user id (Slack: profile → Copy member ID, U…; Discord: Developer Mode → Copy User ID, digits), or role:ID for a Discord role, or group:ID for a Slack user group (S…)");
    }
}
