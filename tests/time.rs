//! Newsroom time through the console, as a newcomer drives it: the built binary on script
//! files, its clock fixed with `--clock` and moved with `:clock`, so every transcript is the
//! same on every run. Deadlines, reminders by direct message (`[dm NAME]`), quiet hours,
//! moved deadlines, jobs due while the console was not running, embargoes and scheduled
//! publications.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Runs `storydesk --config CONFIG --data DATA local --as alice --clock CLOCK --script` on
/// `script`; the transcript.
fn console(config: &Path, data: &Path, clock: &str, script: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("time.story");
    std::fs::write(&file, script).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_storydesk"))
        .arg("--config")
        .arg(config)
        .arg("--data")
        .arg(data)
        .args(["local", "--as", "alice", "--clock", clock, "--script"])
        .arg(&file)
        .env_remove("STORYDESK_CONFIG")
        .env_remove("STORYDESK_DATA_DIR")
        .env("RUST_LOG", "off")
        .output()
        .expect("the storydesk binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the console failed: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

/// [`console`] with `examples/newsroom.toml`.
fn run(data: &Path, clock: &str, script: &str) -> String {
    console(&repo("examples/newsroom.toml"), data, clock, script)
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// The lines after the first line containing `marker`.
fn after<'a>(transcript: &'a str, marker: &str) -> &'a str {
    let i = transcript
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} is not in:\n{transcript}"));
    &transcript[i + marker.len()..]
}

#[test]
fn a_deadline_reminds_its_writer_then_tells_the_editors_run() {
    let data = tempfile::tempdir().unwrap();
    let t = run(
        data.path(),
        "2026-12-07T08:00Z",
        "/story new title:\"Council budget leak\"\n\
         /story claim section:body\n\
         /story due section:body at:\"today 17:00\"\n\
         /story status\n\
         :clock +7h\n\
         :clock +1h\n\
         :clock +1h\n\
         :clock +1d\n\
         /story status\n",
    );
    assert!(
        t.contains("alice set the body section of #1 “Council budget leak” due 2026-12-07 17:00 UTC, in 9 h."),
        "{t}"
    );
    // 15:00: the reminder, two hours before, to the writer only.
    let at_15 = after(&t, "[clock] 2026-12-07 15:00 UTC");
    assert!(at_15.starts_with(
        "\n[dm alice] ⏰ Reminder: the body section of #1 “Council budget leak” is due 2026-12-07 17:00 UTC, in 2 h.\n[clock] 2026-12-07 16:00 UTC"
    ), "{t}");
    // 17:00: the writer and the editors hear it is overdue, and the board says so.
    let at_17 = after(&t, "[clock] 2026-12-07 17:00 UTC");
    assert!(
        at_17.contains("[dm alice] ⏰ The body section of #1 “Council budget leak” is overdue and not approved yet"),
        "{t}"
    );
    assert!(at_17.contains("[#newsroom] ⏰ Editors: the body section of #1 “Council budget leak” is overdue (due 2026-12-07 17:00 UTC, now); it is with alice."), "{t}");
    assert!(
        at_17.contains("· due 2026-12-07 17:00 UTC, now · **overdue**"),
        "{t}"
    );
    // Each once, a day later too.
    assert_eq!(count(&t, "[dm alice] ⏰ Reminder"), 1, "{t}");
    assert_eq!(count(&t, "is overdue"), 2, "{t}");
    assert!(
        t.contains("due 2026-12-07 17:00 UTC, 24 h ago · **overdue**"),
        "{t}"
    );
}

#[test]
fn nothing_is_sent_for_an_approved_section() {
    let data = tempfile::tempdir().unwrap();
    let t = run(
        data.path(),
        "2026-12-07T08:00Z",
        "/story new title:\"Council budget leak\"\n\
         /story claim section:title\n\
         /story due section:title at:+4h\n\
         :as carol\n\
         /story approve title\n\
         :clock +1d\n",
    );
    assert!(t.contains("carol approved"), "{t}");
    assert!(!t.contains("[dm"), "{t}");
    assert!(!t.contains("overdue"), "{t}");
}

#[test]
fn quiet_hours_hold_a_reminder_until_they_end() {
    let data = tempfile::tempdir().unwrap();
    // Berlin is UTC+1 in December. Due 08:00 there: the reminder would go at 06:00, inside
    // alice's quiet hours, so it waits for 07:00 (06:00 UTC).
    let t = run(
        data.path(),
        "2026-12-07T12:00Z",
        "/story tz zone:Europe/Berlin quiet:22:00-07:00\n\
         /story new title:\"Council budget leak\"\n\
         /story claim section:body\n\
         /story due section:body at:\"tomorrow 8:00\"\n\
         :clock 2026-12-08T05:30Z\n\
         :clock 2026-12-08T06:10Z\n",
    );
    assert!(
        t.contains("Your time zone: Europe/Berlin (chosen by you)"),
        "{t}"
    );
    assert!(
        t.contains("due 2026-12-08 07:00 UTC (2026-12-08 08:00 Europe/Berlin)"),
        "{t}"
    );
    let quiet = after(&t, "[clock] 2026-12-08 05:30 UTC");
    let (during, morning) = quiet.split_once("[clock] 2026-12-08 06:10 UTC").unwrap();
    assert!(
        !during.contains("[dm alice]"),
        "sent during quiet hours:\n{t}"
    );
    assert!(
        morning.starts_with("\n[dm alice] ⏰ Reminder: the body section of #1 “Council budget leak” is due 2026-12-08 07:00 UTC (2026-12-08 08:00 Europe/Berlin), in 1 h."),
        "{t}"
    );
}

#[test]
fn a_moved_deadline_replaces_its_reminder() {
    let data = tempfile::tempdir().unwrap();
    let t = run(
        data.path(),
        "2026-12-07T08:00Z",
        "/story new title:\"Council budget leak\"\n\
         /story claim section:body\n\
         /story due section:body at:+3h\n\
         /story due section:body at:+6h\n\
         :clock +2h\n\
         :clock +2h\n\
         :clock +4h\n",
    );
    let (before, rest) = t.split_once("[clock] 2026-12-07 12:00 UTC").unwrap();
    assert!(
        !before.contains("[dm alice]"),
        "the old reminder fired:\n{t}"
    );
    assert!(
        rest.starts_with("\n[dm alice] ⏰ Reminder: the body section of #1 “Council budget leak” is due 2026-12-07 14:00 UTC, in 2 h."),
        "{t}"
    );
    assert_eq!(count(&t, "⏰ Reminder"), 1, "{t}");
    assert_eq!(count(&t, "[dm alice] ⏰ The body section"), 1, "{t}");
}

#[test]
fn a_job_due_while_the_console_was_closed_runs_once_at_the_next_start() {
    let data = tempfile::tempdir().unwrap();
    let first = run(
        data.path(),
        "2026-12-07T08:00Z",
        "/story new title:\"Council budget leak\"\n\
         /story claim section:body\n\
         /story due section:body at:+3h\n",
    );
    assert!(!first.contains("[dm"), "{first}");
    // Closed until after the due time: the first line finds the reminder and the overdue
    // notice due, and they run, in order, before it.
    let second = run(data.path(), "2026-12-07T12:00Z", "/story status\n");
    let reminder = second.find("[dm alice] ⏰ Reminder").expect(&second);
    let overdue = second
        .find("[dm alice] ⏰ The body section")
        .expect(&second);
    let status = second
        .find("alice in #newsroom: /story status")
        .expect(&second);
    assert!(reminder < overdue && overdue < status, "{second}");
    let third = run(
        data.path(),
        "2026-12-07T13:00Z",
        "/story status\n:clock +1d\n",
    );
    assert!(!third.contains("[dm"), "fired twice:\n{third}");
    assert!(third.contains("**overdue**"), "{third}");
}

#[test]
fn times_are_read_in_the_persons_zone_across_a_daylight_saving_change() {
    let data = tempfile::tempdir().unwrap();
    // Berlin moves to summer time on Sunday 29 March 2026 at 02:00.
    let t = run(
        data.path(),
        "2026-03-28T12:00Z",
        "/story tz zone:Europe/Berlin\n\
         /story new title:\"Clocks\"\n\
         /story claim section:body\n\
         /story due section:title at:\"tomorrow 9:00\"\n\
         /story due section:body at:\"today 18:00\"\n",
    );
    assert!(
        t.contains("due 2026-03-29 07:00 UTC (2026-03-29 09:00 Europe/Berlin)"),
        "{t}"
    );
    assert!(
        t.contains("due 2026-03-28 17:00 UTC (2026-03-28 18:00 Europe/Berlin)"),
        "{t}"
    );
}

#[test]
fn bad_times_and_zones_get_a_clear_answer_and_change_nothing() {
    let data = tempfile::tempdir().unwrap();
    let t = run(
        data.path(),
        "2026-12-07T08:00Z",
        "/story new title:\"Council budget leak\"\n\
         /story due at:soon\n\
         /story due at:\"2026-12-01T10:00Z\"\n\
         /story tz zone:Mars/Olympus\n\
         /story tz quiet:late\n\
         :as bob\n\
         /story due at:+2h\n\
         /story embargo until:+2h\n\
         /story due\n",
    );
    assert!(t.contains("I could not read `soon` as a time."), "{t}");
    assert!(
        t.contains("2026-12-01 10:00 UTC (2026-12-01 10:00 in UTC) has already passed."),
        "{t}"
    );
    assert!(
        t.contains("I do not know the time zone `Mars/Olympus`."),
        "{t}"
    );
    assert!(t.contains("I could not read `late` as quiet hours."), "{t}");
    assert!(
        t.contains("Only an editor can set when the whole story is due"),
        "{t}"
    );
    assert!(t.contains("Only editors can use `/story embargo`."), "{t}");
    assert!(
        t.contains("Story #1 “Council budget leak” has no due time."),
        "{t}"
    );
}

/// The README's story, every section approved, as far as publishing.
fn approved_story() -> String {
    let text = std::fs::read_to_string(repo("examples/deepseek.story")).unwrap();
    let cut = text.find("/story publish").expect("the example publishes");
    text[..cut].to_string()
}

#[test]
fn a_scheduled_publication_goes_out_once_at_its_time() {
    let data = tempfile::tempdir().unwrap();
    let script = format!(
        "{}/story publish at:+2h\n/story status\n:clock +1h\n:clock +2h\n:clock +1d\n",
        approved_story()
    );
    let t = run(data.path(), "2026-12-07T08:00Z", &script);
    assert!(t.contains("erin scheduled story #1"), "{t}");
    assert!(
        t.contains("Scheduled for publication 2026-12-07 10:00 UTC, in 2 h by erin"),
        "{t}"
    );
    let (before, after_time) = t.split_once("[clock] 2026-12-07 11:00 UTC").unwrap();
    assert!(!before.contains("[#published]"), "published early:\n{t}");
    assert_eq!(count(after_time, "[#published]"), 1, "{t}");
    assert!(after_time.contains("erin published"), "{t}");
}

#[test]
fn a_scheduled_publication_whose_gate_fails_tells_its_editor_why() {
    let data = tempfile::tempdir().unwrap();
    let script = format!(
        "{}/story publish at:+2h\n:as bob\n/story write conclusion <<END\nMeta's leaders will discuss the findings with investors.\nEND\n:clock +3h\n",
        approved_story()
    );
    let t = run(data.path(), "2026-12-07T08:00Z", &script);
    let fired = after(&t, "[clock] 2026-12-07 11:00 UTC");
    assert!(
        fired.contains("[dm erin] The scheduled publication of story #1"),
        "{t}"
    );
    assert!(fired.contains("conclusion"), "{t}");
    assert!(!t.contains("[#published]"), "{t}");
}

#[test]
fn an_embargo_holds_publication_until_it_lifts() {
    let data = tempfile::tempdir().unwrap();
    let script = format!(
        "{}/story embargo until:+6h\n/story publish\n/story publish at:+1h\n/story publish at:+7h\n:clock +8h\n",
        approved_story()
    );
    let t = run(data.path(), "2026-12-07T08:00Z", &script);
    assert!(t.contains("erin embargoed story #1"), "{t}");
    assert_eq!(
        count(&t, "is embargoed until 2026-12-07 14:00 UTC"),
        2,
        "publishing now and scheduling before it lifts are both refused:\n{t}"
    );
    assert_eq!(count(&t, "[#published]"), 1, "{t}");
    let published = t.find("[#published]").unwrap();
    let lifted = t.find("[clock] 2026-12-07 16:00 UTC").unwrap();
    assert!(published > lifted, "{t}");
}

/// Runs a script with a config of its own (erin edits; `extra` added), on fresh data.
fn run_with_config(extra: &str, clock: &str, script: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("newsroom.toml");
    std::fs::write(&config, format!("[roles]\neditors = [\"erin\"]\n{extra}")).unwrap();
    console(&config, &dir.path().join("data"), clock, script)
}

#[test]
fn a_required_reviewer_must_approve_on_top_of_the_quorum() {
    let t = run_with_config(
        "[review.required]\nbody = [\"dana\"]\n",
        "2026-12-07T08:00Z",
        "/story new title:\"Council budget leak\"\n\
         /story write body <<END\nThe council's draft budget cuts the library service by a third.\nEND\n\
         :as carol\n\
         /story approve body\n\
         /story status\n\
         :as dana\n\
         /story approve body\n\
         /story status\n",
    );
    // The revision's thread asks dana by name.
    assert!(
        t.contains("@dana: the body section needs an approval from one of you"),
        "{t}"
    );
    let (after_carol, after_dana) = t
        .split_once("dana in #newsroom: /story approve body")
        .unwrap();
    let carol_status = after(after_carol, "carol in #newsroom: /story status");
    assert!(
        carol_status.contains(
            "◔ **body** — in review · alice · rev 1 · 1/1 approvals · needs an approval from @dana"
        ),
        "carol's approval alone does not do: {t}"
    );
    assert!(after_dana.contains("✓ **body** — approved"), "{t}");
    assert!(!after_dana.contains("needs an approval from @dana"), "{t}");
}

#[test]
fn an_assignment_and_a_change_request_reach_the_people_they_concern() {
    let data = tempfile::tempdir().unwrap();
    let t = run(
        data.path(),
        "2026-12-07T08:00Z",
        "/story new title:\"Council budget leak\"\n\
         :as erin\n\
         /story assign section:body user:bob\n\
         :as bob\n\
         /story write body <<END\nThe council's draft budget cuts the library service by a third.\nEND\n\
         :as carol\n\
         /story changes body note:\"Name the source of the figure.\"\n",
    );
    assert!(
        t.contains("[dm bob] erin assigned you the body section of #1 “Council budget leak”."),
        "{t}"
    );
    assert!(
        t.contains("[#newsroom › body] @bob: carol asked for changes on body revision 1"),
        "{t}"
    );
}

#[test]
fn transcript_of_the_time_commands() {
    let script = std::fs::read_to_string(repo("tests/scripts/time.story")).unwrap();
    let t = run_with_config(
        "[review.required]\nbody = [\"dana\"]\n",
        "2026-12-07T08:00Z",
        &script,
    );
    insta::with_settings!({ prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("time", t);
    });
}

#[test]
fn transcript_of_a_scheduled_publication() {
    let data = tempfile::tempdir().unwrap();
    let script = format!(
        "{}/story embargo until:+6h\n/story publish\n/story publish at:+1h\n/story publish at:+7h\n/story status\n/story publish cancel:true\n/story publish at:+8h\n:as bob\n/story write conclusion <<END\nMeta's leaders will discuss the findings with investors.\nEND\n:clock +9h\n:as carol\n/story approve conclusion\n:as erin\n/story publish\n/story due at:+1h\n",
        approved_story()
    );
    let t = run(data.path(), "2026-12-07T08:00Z", &script);
    let from = t.find("erin in #newsroom: /story embargo").expect(&t);
    insta::with_settings!({ prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("time_scheduled_publication", &t[from..]);
    });
}

#[test]
fn an_overdue_section_tells_the_editors_at_once_and_the_writer_after_quiet_hours() {
    let data = tempfile::tempdir().unwrap();
    // Due 23:00 in Berlin (22:00 UTC), inside alice's quiet hours.
    let t = run(
        data.path(),
        "2026-12-07T12:00Z",
        "/story tz zone:Europe/Berlin quiet:22:00-07:00\n\
         /story new title:\"Council budget leak\"\n\
         /story claim section:body\n\
         /story due section:body at:\"today 23:00\"\n\
         :clock 2026-12-07T22:05Z\n\
         :clock 2026-12-08T06:05Z\n\
         :clock +1d\n",
    );
    let (night, morning) = after(&t, "[clock] 2026-12-07 22:05 UTC")
        .split_once("[clock] 2026-12-08 06:05 UTC")
        .unwrap();
    assert!(
        night.contains("[#newsroom] ⏰ Editors: the body section"),
        "{t}"
    );
    assert!(!night.contains("[dm alice] ⏰ The body section"), "{t}");
    // The reminder (21:00 Berlin) came before the quiet hours.
    assert_eq!(count(&t, "[dm alice] ⏰ Reminder"), 1, "{t}");
    assert!(
        morning
            .starts_with("\n[dm alice] ⏰ The body section of #1 “Council budget leak” is overdue"),
        "{t}"
    );
    assert_eq!(count(&t, "⏰ Editors"), 1, "{t}");
    assert_eq!(count(&t, "[dm alice] ⏰ The body section"), 1, "{t}");
}
