//! Times people type, and times the desk shows.
//!
//! - [`parse_when`]: `2026-12-06T17:00Z`, `today 17:00`, `tomorrow 9:30`, `fri 18:00`,
//!   `2026-12-06 17:00`, `17:00` or `+2h`/`+1h30m`/`+1d`, read in the person's zone.
//! - [`parse_span`]: `2h`, `30m`, `1d`, `1h30m` (config `[time] remind_before`).
//! - [`Quiet`]: a person's quiet hours, `22:00-07:00`, and when they end.
//! - [`marker`]: a time in a message the desk writes, `<time:SECONDS>`, which each platform
//!   renders in the reader's own zone ([`slack_date`], [`discord_date`], [`console_date`]).
//!
//! Zones come from the IANA database bundled into the binary, so a machine without tzdata
//! reads `Europe/Berlin` the same as any other. A local time that a daylight-saving change
//! skips is read as the same wall-clock time after the change (02:30 on the night clocks go
//! forward is 03:30); one it repeats is the first of the two.

use jiff::civil::{DateTime, Time, Weekday};
use jiff::tz::TimeZone;

use crate::model::Timestamp;

/// A time zone known by its IANA name.
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Zone {
    /// The zone of this IANA name (`Europe/Berlin`, `America/New_York`, `UTC`), matched
    /// without regard to case; `None` for a name the database does not have.
    pub fn named(name: &str) -> Option<Zone> {
        let name = name.trim();
        if name.is_empty() || name.len() > 64 {
            return None;
        }
        let tz = jiff::tz::db().get(name).ok()?;
        let name = tz.iana_name().unwrap_or(name).to_string();
        Some(Zone { name, tz })
    }

    /// UTC.
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            tz: TimeZone::UTC,
        }
    }

    /// The zone's IANA name, as the database spells it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `t` as a wall-clock time in this zone.
    fn civil(&self, t: Timestamp) -> DateTime {
        self.tz.to_datetime(instant(t))
    }

    /// The instant a wall-clock time in this zone stands for (see the module's note on
    /// daylight-saving changes).
    fn instant_of(&self, dt: DateTime) -> Option<Timestamp> {
        let zoned = self.tz.to_ambiguous_zoned(dt).compatible().ok()?;
        Some(Timestamp(zoned.timestamp().as_millisecond()))
    }

    /// `2026-12-06 18:00`: `t` on this zone's clock.
    pub fn wall_clock(&self, t: Timestamp) -> String {
        let dt = self.civil(t);
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute()
        )
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        self.name == other.name
    }
}

fn instant(t: Timestamp) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(t.0).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// Why a time could not be read: a sentence for the person, quoting what they typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhenError(pub String);

impl std::fmt::Display for WhenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The forms [`parse_when`] reads, for messages.
pub const WHEN_FORMS: &str = "`2026-12-06T17:00Z`, `today 17:00`, `tomorrow 9:30`, `fri 18:00`, \
`2026-12-06 17:00`, `+2h` or `+30m`";

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Reads a time as typed by a person whose zone is `zone`, at `now`.
///
/// A time of day alone (`17:00`) is the next one to come; a weekday (`fri 18:00`) is the
/// next such day, today included while that time is still ahead.
pub fn parse_when(input: &str, now: Timestamp, zone: &Zone) -> Result<Timestamp, WhenError> {
    let text = input.trim();
    let bad = || {
        WhenError(format!(
            "I could not read `{}` as a time. Write one of {WHEN_FORMS}.",
            shorten(text)
        ))
    };
    if text.is_empty() {
        return Err(bad());
    }
    if let Some(span) = text.strip_prefix('+') {
        let ms = parse_span(span).ok_or_else(bad)?;
        return Ok(Timestamp(now.0.saturating_add(ms)));
    }
    // RFC 3339, with an offset or Z (seconds optional).
    let b = text.as_bytes();
    if b.len() > 10 && b[..4].iter().all(u8::is_ascii_digit) && matches!(b[10], b'T' | b't') {
        return match text.parse::<jiff::Timestamp>() {
            Ok(t) => Ok(Timestamp(t.as_millisecond())),
            Err(_) => Err(bad()),
        };
    }
    let lower = text.to_lowercase();
    let mut words = lower.split_whitespace();
    let first = words.next().ok_or_else(bad)?;
    let second = words.next();
    if words.next().is_some() {
        return Err(bad());
    }
    let today = zone.civil(now).date();
    let (day, time_word) = match (first, second) {
        ("today", Some(t)) => (Some(today), t),
        ("tomorrow", Some(t)) => (Some(today.tomorrow().map_err(|_| bad())?), t),
        (d, Some(t)) if d.len() == 10 && d.as_bytes()[4] == b'-' => {
            (Some(d.parse::<jiff::civil::Date>().map_err(|_| bad())?), t)
        }
        (w, Some(t)) => {
            let weekday = weekday(w).ok_or_else(bad)?;
            let time = clock_time(t).ok_or_else(bad)?;
            // The next such day whose time is still ahead: today counts.
            let mut date = today;
            for _ in 0..8 {
                if date.weekday() == weekday {
                    if let Some(at) = zone.instant_of(date.to_datetime(time)) {
                        if at.0 > now.0 {
                            return Ok(at);
                        }
                    }
                }
                date = date.tomorrow().map_err(|_| bad())?;
            }
            return Err(bad());
        }
        (t, None) => (None, t),
    };
    let time = clock_time(time_word).ok_or_else(bad)?;
    match day {
        Some(date) => zone.instant_of(date.to_datetime(time)).ok_or_else(bad),
        None => {
            let at = zone.instant_of(today.to_datetime(time)).ok_or_else(bad)?;
            if at.0 > now.0 {
                Ok(at)
            } else {
                let next = today.tomorrow().map_err(|_| bad())?;
                zone.instant_of(next.to_datetime(time)).ok_or_else(bad)
            }
        }
    }
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out.replace('`', "'")
}

/// `9:30`, `17:00`, `5pm`, `5:30pm`.
fn clock_time(s: &str) -> Option<Time> {
    let (s, pm) = match (s.strip_suffix("pm"), s.strip_suffix("am")) {
        (Some(t), _) => (t, Some(true)),
        (_, Some(t)) => (t, Some(false)),
        _ => (s, None),
    };
    let (h, m) = match s.split_once(':') {
        Some((h, m)) if m.len() == 2 => (h.parse::<i8>().ok()?, m.parse::<i8>().ok()?),
        None if pm.is_some() => (s.parse::<i8>().ok()?, 0),
        _ => return None,
    };
    let h = match pm {
        Some(_) if !(1..=12).contains(&h) => return None,
        Some(true) => h % 12 + 12,
        Some(false) => h % 12,
        None => h,
    };
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    Time::new(h, m, 0, 0).ok()
}

fn weekday(s: &str) -> Option<Weekday> {
    const DAYS: [(&str, Weekday); 7] = [
        ("monday", Weekday::Monday),
        ("tuesday", Weekday::Tuesday),
        ("wednesday", Weekday::Wednesday),
        ("thursday", Weekday::Thursday),
        ("friday", Weekday::Friday),
        ("saturday", Weekday::Saturday),
        ("sunday", Weekday::Sunday),
    ];
    DAYS.iter()
        .find(|(name, _)| s.len() >= 3 && name.starts_with(s))
        .map(|(_, d)| *d)
}

/// A span such as `2h`, `30m`, `1d`, `1h30m` or `90s`, in milliseconds; `None` when it is
/// not one, or longer than a year.
pub fn parse_span(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut total: i64 = 0;
    let mut number = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'd' => DAY,
            'h' => HOUR,
            'm' => MINUTE,
            's' => 1000,
            _ => return None,
        };
        if number.is_empty() || number.len() > 6 {
            return None;
        }
        total = total.checked_add(number.parse::<i64>().ok()?.checked_mul(unit)?)?;
        number.clear();
    }
    if !number.is_empty() || total > 366 * DAY {
        return None;
    }
    Some(total)
}

/// `2 h`, `45 min`, `3 d`: a span as messages say it, to the nearest minute, then down to
/// its largest unit (a clock read a few milliseconds late still says `in 3 h`).
pub fn span_words(ms: i64) -> String {
    let ms = (ms.abs() + MINUTE / 2) / MINUTE * MINUTE;
    if ms >= 2 * DAY {
        format!("{} d", ms / DAY)
    } else if ms >= 2 * HOUR {
        format!("{} h", ms / HOUR)
    } else if ms >= HOUR {
        let rest = (ms % HOUR) / MINUTE;
        if rest == 0 {
            "1 h".into()
        } else {
            format!("1 h {rest} min")
        }
    } else {
        format!("{} min", (ms / MINUTE).max(1))
    }
}

/// `in 3 h`, `2 h ago`: how far `t` is from `now`.
pub fn relative(t: Timestamp, now: Timestamp) -> String {
    if (t.0 - now.0).abs() < MINUTE {
        "now".into()
    } else if t.0 >= now.0 {
        format!("in {}", span_words(t.0 - now.0))
    } else {
        format!("{} ago", span_words(now.0 - t.0))
    }
}

/// A person's quiet hours, on their own clock: from `start` to `end`, minutes after
/// midnight; a window past midnight (`22:00-07:00`) wraps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Quiet {
    /// When quiet starts, minutes after midnight.
    pub start: u16,
    /// When it ends, minutes after midnight.
    pub end: u16,
}

impl Quiet {
    /// `22:00-07:00`.
    pub fn parse(s: &str) -> Option<Quiet> {
        let (a, b) = s.trim().split_once('-')?;
        let minutes = |t: &str| {
            let time = clock_time(&t.trim().to_lowercase())?;
            Some(time.hour() as u16 * 60 + time.minute() as u16)
        };
        let (start, end) = (minutes(a)?, minutes(b)?);
        (start != end).then_some(Quiet { start, end })
    }

    /// When a message due at `t` may go: `t` itself outside quiet hours, else the end of
    /// the quiet hours it falls in, on the person's clock.
    pub fn release(&self, t: Timestamp, zone: &Zone) -> Timestamp {
        let dt = zone.civil(t);
        let minute = dt.hour() as u16 * 60 + dt.minute() as u16;
        let inside = if self.start < self.end {
            minute >= self.start && minute < self.end
        } else {
            minute >= self.start || minute < self.end
        };
        if !inside {
            return t;
        }
        let end = Time::new((self.end / 60) as i8, (self.end % 60) as i8, 0, 0)
            .unwrap_or(Time::midnight());
        let date = if minute < self.end {
            dt.date()
        } else {
            match dt.date().tomorrow() {
                Ok(d) => d,
                Err(_) => return t,
            }
        };
        match zone.instant_of(date.to_datetime(end)) {
            Some(at) if at.0 > t.0 => at,
            _ => t,
        }
    }
}

impl std::fmt::Display for Quiet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

/// A time in a message the desk writes, rendered by each platform in its reader's zone.
pub fn marker(t: Timestamp) -> String {
    format!("<time:{}>", t.0.div_euclid(1000))
}

/// `text` with every [`marker`] replaced by `render(time)`.
pub fn render_markers(text: &str, mut render: impl FnMut(Timestamp) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("<time:") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 6..];
        let digits = after
            .find('>')
            .map(|end| &after[..end])
            .filter(|d| !d.is_empty() && d.len() <= 12 && d.bytes().all(|b| b.is_ascii_digit()));
        match digits.and_then(|d| d.parse::<i64>().ok()) {
            Some(secs) => {
                out.push_str(&render(Timestamp(secs * 1000)));
                rest = &after[digits.map_or(0, str::len) + 1..];
            }
            None => {
                out.push_str("<time:");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `2026-12-06 17:00 UTC`: the fallback every platform shows when it cannot render a date.
pub fn utc(t: Timestamp) -> String {
    format!("{} UTC", Zone::utc().wall_clock(t))
}

/// Slack's date markup: the reader's own zone, with the UTC time as fallback text.
pub fn slack_date(t: Timestamp) -> String {
    format!(
        "<!date^{}^{{date_short_pretty}} {{time}}|{}>",
        t.0.div_euclid(1000),
        utc(t)
    )
}

/// Discord's timestamp markup: the full date and how far off it is, in the reader's zone.
pub fn discord_date(t: Timestamp) -> String {
    let secs = t.0.div_euclid(1000);
    format!("<t:{secs}:f> (<t:{secs}:R>)")
}

/// The console's rendering: UTC, the reader's zone when it is another, and how far off.
pub fn console_date(t: Timestamp, now: Timestamp, zone: &Zone) -> String {
    let mut out = utc(t);
    if zone.name() != "UTC" {
        out.push_str(&format!(" ({} {})", zone.wall_clock(t), zone.name()));
    }
    out.push_str(&format!(", {}", relative(t, now)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp(s.parse::<jiff::Timestamp>().unwrap().as_millisecond())
    }

    fn berlin() -> Zone {
        Zone::named("europe/berlin").unwrap()
    }

    #[test]
    fn zones_are_named_by_the_database() {
        assert_eq!(berlin().name(), "Europe/Berlin");
        assert!(Zone::named("Mars/Olympus").is_none());
        assert!(Zone::named("").is_none());
        assert_eq!(Zone::named("UTC").unwrap().name(), "UTC");
    }

    #[test]
    fn rfc3339_and_spans() {
        let now = at("2026-12-05T10:00:00Z");
        let z = berlin();
        assert_eq!(
            parse_when("2026-12-06T17:00Z", now, &z),
            Ok(at("2026-12-06T17:00:00Z"))
        );
        assert_eq!(
            parse_when("2026-12-06T17:00:00+01:00", now, &z),
            Ok(at("2026-12-06T16:00:00Z"))
        );
        assert_eq!(parse_when("+2h", now, &z), Ok(at("2026-12-05T12:00:00Z")));
        assert_eq!(
            parse_when("+1h30m", now, &z),
            Ok(at("2026-12-05T11:30:00Z"))
        );
        assert_eq!(parse_when("+1d", now, &z), Ok(at("2026-12-06T10:00:00Z")));
        assert!(parse_when("+2x", now, &z).is_err());
        assert!(parse_when("+", now, &z).is_err());
    }

    #[test]
    fn days_and_times_are_read_on_the_persons_clock() {
        // Saturday 5 December 2026, 11:00 in Berlin.
        let now = at("2026-12-05T10:00:00Z");
        let z = berlin();
        assert_eq!(
            parse_when("today 17:00", now, &z),
            Ok(at("2026-12-05T16:00:00Z"))
        );
        assert_eq!(
            parse_when("Tomorrow 9:30", now, &z),
            Ok(at("2026-12-06T08:30:00Z"))
        );
        assert_eq!(
            parse_when("fri 18:00", now, &z),
            Ok(at("2026-12-11T17:00:00Z"))
        );
        // Today is Saturday: a time still ahead today counts, one already gone is next week.
        assert_eq!(
            parse_when("sat 12:00", now, &z),
            Ok(at("2026-12-05T11:00:00Z"))
        );
        assert_eq!(
            parse_when("saturday 9:00", now, &z),
            Ok(at("2026-12-12T08:00:00Z"))
        );
        assert_eq!(parse_when("10:30", now, &z), Ok(at("2026-12-06T09:30:00Z")));
        assert_eq!(parse_when("5pm", now, &z), Ok(at("2026-12-05T16:00:00Z")));
        assert_eq!(
            parse_when("2026-12-24 18:00", now, &z),
            Ok(at("2026-12-24T17:00:00Z"))
        );
        for bad in [
            "",
            "soon",
            "today",
            "today 25:00",
            "fri",
            "tomorrow 9",
            "13pm",
        ] {
            let e = parse_when(bad, now, &z).unwrap_err();
            assert!(e.0.contains("could not read"), "{bad}: {e}");
        }
    }

    #[test]
    fn daylight_saving_changes() {
        let z = berlin();
        // Clocks go forward on 29 March 2026 at 02:00 (CET → CEST).
        let before = at("2026-03-28T12:00:00Z");
        assert_eq!(
            parse_when("tomorrow 9:00", before, &z),
            Ok(at("2026-03-29T07:00:00Z")),
            "9:00 CEST is 07:00 UTC"
        );
        assert_eq!(
            parse_when("tomorrow 2:30", before, &z),
            Ok(at("2026-03-29T01:30:00Z")),
            "a skipped time is read after the change: 03:30 CEST"
        );
        // Back on 25 October 2026 at 03:00: 02:30 happens twice, the first is kept.
        let before = at("2026-10-24T12:00:00Z");
        assert_eq!(
            parse_when("tomorrow 2:30", before, &z),
            Ok(at("2026-10-25T00:30:00Z"))
        );
        assert_eq!(
            parse_when("tomorrow 9:00", before, &z),
            Ok(at("2026-10-25T08:00:00Z"))
        );
    }

    #[test]
    fn quiet_hours_hold_a_message_until_morning() {
        let z = berlin();
        let q = Quiet::parse("22:00-07:00").unwrap();
        assert_eq!(q.to_string(), "22:00-07:00");
        // 23:30 in Berlin → 07:00 next morning.
        assert_eq!(
            q.release(at("2026-12-05T22:30:00Z"), &z),
            at("2026-12-06T06:00:00Z")
        );
        // 03:00 in Berlin → 07:00 the same morning.
        assert_eq!(
            q.release(at("2026-12-06T02:00:00Z"), &z),
            at("2026-12-06T06:00:00Z")
        );
        // 12:00 → at once.
        assert_eq!(
            q.release(at("2026-12-06T11:00:00Z"), &z),
            at("2026-12-06T11:00:00Z")
        );
        let day = Quiet::parse("12:00-13:30").unwrap();
        assert_eq!(
            day.release(at("2026-12-06T11:30:00Z"), &z),
            at("2026-12-06T12:30:00Z")
        );
        assert!(Quiet::parse("22:00").is_none());
        assert!(Quiet::parse("22:00-22:00").is_none());
        assert!(Quiet::parse("25:00-07:00").is_none());
    }

    #[test]
    fn markers_render_per_platform() {
        let t = at("2026-12-06T17:00:00Z");
        let text = format!("Due {}. <time:x> stays.", marker(t));
        assert_eq!(
            render_markers(&text, utc),
            "Due 2026-12-06 17:00 UTC. <time:x> stays."
        );
        assert_eq!(
            render_markers(&text, slack_date),
            "Due <!date^1796576400^{date_short_pretty} {time}|2026-12-06 17:00 UTC>. <time:x> stays."
        );
        assert_eq!(
            render_markers(&text, discord_date),
            "Due <t:1796576400:f> (<t:1796576400:R>). <time:x> stays."
        );
        let now = at("2026-12-06T14:00:00Z");
        assert_eq!(
            console_date(t, now, &berlin()),
            "2026-12-06 17:00 UTC (2026-12-06 18:00 Europe/Berlin), in 3 h"
        );
        assert_eq!(
            console_date(now, t, &Zone::utc()),
            "2026-12-06 14:00 UTC, 3 h ago"
        );
    }

    #[test]
    fn spans() {
        assert_eq!(parse_span("2h"), Some(2 * HOUR));
        assert_eq!(parse_span("1h30m"), Some(90 * MINUTE));
        assert_eq!(parse_span("400d"), None);
        assert_eq!(parse_span("h"), None);
        assert_eq!(parse_span("2"), None);
        assert_eq!(span_words(90 * MINUTE), "1 h 30 min");
        assert_eq!(span_words(20 * 1000), "1 min");
        assert_eq!(
            span_words(3 * HOUR - 5),
            "3 h",
            "a late clock still says 3 h"
        );
        assert_eq!(span_words(2 * HOUR - 5), "2 h");
    }
}
