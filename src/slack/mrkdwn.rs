//! Text between the desk and Slack.
//!
//! Outbound, [`to_mrkdwn`] turns the desk's Markdown (`**bold**`, `*italic*`, `~~strike~~`,
//! `` `code` ``, `# heading`, `- item`, `> quote`) into Slack's mrkdwn, and escapes `&`, `<`
//! and `>` everywhere, so no text, whoever wrote it, can become a mention (`<!channel>`,
//! `<@U123>`) or a link. The only angle brackets the adapter adds itself are channel links
//! for Slack channel ids (`#C0123ABCD` → `<#C0123ABCD>`), which notify nobody, and dates for
//! the desk's time markers (`<time:…>` → `<!date^…|… UTC>`, [`crate::text::when::slack_date`]),
//! which Slack shows in each reader's zone.
//!
//! Inbound, Slack sends command and message text escaped: `&amp;`, `&lt;`, `&gt;`, and
//! `<…>` for mentions, channels and links. [`command_text`] turns a slash command's text into
//! what the desk's parser expects (links to plain URLs, channels to ids, user mentions kept
//! for the desk to read); [`plain_text`] turns a message into readable plain text for a
//! source.

/// Escapes the three characters Slack treats as control characters.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Undoes [`escape`] (`&amp;` last, so `&amp;lt;` becomes `&lt;`).
pub fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Stands for a time marker while the text is converted and escaped: private-use
/// characters around the marker's seconds.
const TIME_OPEN: char = '\u{E000}';
/// Closes [`TIME_OPEN`].
const TIME_CLOSE: char = '\u{E001}';

/// The desk's Markdown as Slack mrkdwn, escaped; time markers as Slack dates.
pub fn to_mrkdwn(markdown: &str) -> String {
    let held =
        crate::text::when::render_markers(&markdown.replace([TIME_OPEN, TIME_CLOSE], ""), |t| {
            format!("{TIME_OPEN}{}{TIME_CLOSE}", t.0.div_euclid(1000))
        });
    let converted = convert(&held);
    if !converted.contains(TIME_OPEN) {
        return converted;
    }
    let mut out = String::with_capacity(converted.len() + 64);
    let mut rest = converted.as_str();
    while let Some(i) = rest.find(TIME_OPEN) {
        out.push_str(&rest[..i]);
        let after = &rest[i + TIME_OPEN.len_utf8()..];
        let Some(end) = after.find(TIME_CLOSE) else {
            rest = after;
            continue;
        };
        if let Ok(secs) = after[..end].parse::<i64>() {
            out.push_str(&crate::text::when::slack_date(crate::model::Timestamp(
                secs * 1000,
            )));
        }
        rest = &after[end + TIME_CLOSE.len_utf8()..];
    }
    out.push_str(rest);
    out
}

/// The desk's Markdown as Slack mrkdwn, escaped, line by line.
fn convert(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len() + 32);
    let mut in_fence = false;
    for (i, line) in markdown.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            out.push_str(&escape(line));
            continue;
        }
        if in_fence {
            out.push_str(&escape(line));
            continue;
        }
        out.push_str(&convert_line(line));
    }
    out
}

/// One line outside a code fence: block syntax first, then inline.
fn convert_line(line: &str) -> String {
    let trimmed = line.trim_start();
    let indent = &line[..line.len() - trimmed.len()];
    if let Some(rest) = heading_text(trimmed) {
        // A heading is bold as a whole; bold inside it would close it early.
        let inner = inline(rest.replace("**", "").trim());
        return if inner.is_empty() {
            String::new()
        } else {
            format!("{indent}*{inner}*")
        };
    }
    if let Some(rest) = trimmed
        .strip_prefix("> ")
        .or(if trimmed == ">" { Some("") } else { None })
    {
        return format!("{indent}> {}", inline(rest));
    }
    for bullet in ["- ", "* ", "+ "] {
        if let Some(rest) = trimmed.strip_prefix(bullet) {
            return format!("{indent}• {}", inline(rest));
        }
    }
    format!("{indent}{}", inline(trimmed))
}

/// `# Title` → `Title` (one to six `#` followed by a space).
fn heading_text(line: &str) -> Option<&str> {
    let hashes = line.bytes().take_while(|b| *b == b'#').count();
    if (1..=6).contains(&hashes) {
        line[hashes..].strip_prefix(' ')
    } else {
        None
    }
}

/// Inline Markdown to mrkdwn, escaping as it goes. Code spans are copied (escaped) without
/// conversion. Emphasis converts only where a closing delimiter exists on the same line and
/// the delimiters hug their text (`*a*`, not `5 * 3`); everything else stays literal.
fn inline(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len() + 8);
    let mut i = 0;
    'scan: while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            if let Some(end) = find(&chars, i + 1, '`') {
                out.push('`');
                out.push_str(&escape(&chars[i + 1..end].iter().collect::<String>()));
                out.push('`');
                i = end + 1;
                continue;
            }
        }
        if c == '#' && (i == 0 || !chars[i - 1].is_alphanumeric()) {
            if let Some(len) = channel_id_len(&chars[i + 1..]) {
                out.push_str("<#");
                out.extend(&chars[i + 1..i + 1 + len]);
                out.push('>');
                i += 1 + len;
                continue;
            }
        }
        for (delim, mark) in [
            (&['*', '*'][..], '*'),
            (&['~', '~'][..], '~'),
            (&['*'][..], '_'),
        ] {
            if let Some(end) = emphasis(&chars, i, delim) {
                let inner: String = chars[i + delim.len()..end].iter().collect();
                out.push(mark);
                out.push_str(&inline(&inner));
                out.push(mark);
                i = end + delim.len();
                continue 'scan;
            }
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// The index of the closing `delim` of an emphasis opened at `i`, if it is one.
fn emphasis(chars: &[char], i: usize, delim: &[char]) -> Option<usize> {
    let n = delim.len();
    if chars.len() < i + 2 * n + 1 || chars[i..i + n] != *delim {
        return None;
    }
    // `**` is bold, never two italics; a single `*` next to another is not italic.
    if n == 1 && (chars.get(i + 1) == Some(&'*') || (i > 0 && chars[i - 1] == '*')) {
        return None;
    }
    let first = chars[i + n];
    if first.is_whitespace() || (n == 1 && first == delim[0]) {
        return None;
    }
    let mut j = i + n + 1;
    while j + n <= chars.len() {
        if chars[j..j + n] == *delim
            && !chars[j - 1].is_whitespace()
            && (n > 1 || chars.get(j + 1) != Some(&delim[0]))
        {
            return Some(j);
        }
        j += 1;
    }
    None
}

fn find(chars: &[char], from: usize, what: char) -> Option<usize> {
    (from..chars.len()).find(|&j| chars[j] == what)
}

/// The length of a Slack channel id (`C`, `G` or `D` and 8 to 12 uppercase letters or
/// digits) at the start of `chars`, ending at a non-alphanumeric character.
fn channel_id_len(chars: &[char]) -> Option<usize> {
    let first = *chars.first()?;
    if !matches!(first, 'C' | 'G' | 'D') {
        return None;
    }
    let len = chars
        .iter()
        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        .count();
    let next_ok = chars.get(len).is_none_or(|c| !c.is_alphanumeric());
    ((9..=13).contains(&len) && next_ok).then_some(len)
}

/// How to read Slack's `<…>` escapes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A slash command: keep user mentions (`<@U123|bob>`) for the desk, channels as ids.
    Command,
    /// A message turned into source text: everything readable.
    Plain,
}

/// A slash command's text as the desk's parser expects it: `<https://x|x>` → `https://x`,
/// `<#C123|news>` → `C123`, `<!here>` → `@here`, entities undone; user mentions stay as
/// `<@U123|bob>`, which the desk reads as a person.
pub fn command_text(text: &str) -> String {
    decode(text, Mode::Command)
}

/// A message's text as plain, readable text: mentions become `@name`, links their URL.
pub fn plain_text(text: &str) -> String {
    decode(text, Mode::Plain)
}

fn decode(text: &str, mode: Mode) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&unescape(&rest[..start]));
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else {
            out.push_str(&unescape(&rest[start..]));
            return out;
        };
        out.push_str(&decode_token(&after[..end], mode));
        rest = &after[end + 1..];
    }
    out.push_str(&unescape(rest));
    out
}

fn decode_token(token: &str, mode: Mode) -> String {
    let (target, label) = match token.split_once('|') {
        Some((t, l)) => (t, Some(l)),
        None => (token, None),
    };
    if let Some(id) = target.strip_prefix('@') {
        return match mode {
            Mode::Command => format!("<{token}>"),
            Mode::Plain => format!("@{}", unescape(label.unwrap_or(id))),
        };
    }
    if let Some(id) = target.strip_prefix('#') {
        return match mode {
            Mode::Command => id.to_string(),
            Mode::Plain => format!("#{}", unescape(label.unwrap_or(id))),
        };
    }
    if let Some(special) = target.strip_prefix('!') {
        if let Some(l) = label {
            return unescape(l);
        }
        let name = special.split('^').next().unwrap_or(special);
        return format!("@{name}");
    }
    let url = unescape(target);
    match (mode, label) {
        (Mode::Plain, Some(l)) if unescape(l) != url && !url.ends_with(&unescape(l)) => {
            format!("{} ({url})", unescape(l))
        }
        (Mode::Plain, _) => url.strip_prefix("mailto:").unwrap_or(&url).to_string(),
        (Mode::Command, _) => url.strip_prefix("mailto:").unwrap_or(&url).to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn time_markers_become_slack_dates_and_nothing_else_does() {
        let at = crate::model::Timestamp(1_796_576_400_000);
        let text = format!(
            "**Due** {} <time:x> <!channel>",
            crate::text::when::marker(at)
        );
        assert_eq!(
            to_mrkdwn(&text),
            "*Due* <!date^1796576400^{date_short_pretty} {time}|2026-12-06 17:00 UTC> \
             &lt;time:x&gt; &lt;!channel&gt;"
        );
    }

    use super::*;

    #[test]
    fn escapes_everything_that_could_ping() {
        assert_eq!(
            to_mrkdwn("Hi <!channel> & <@U123> @here <https://x.y|z>"),
            "Hi &lt;!channel&gt; &amp; &lt;@U123&gt; @here &lt;https://x.y|z&gt;"
        );
        assert_eq!(escape("a<b>c&d"), "a&lt;b&gt;c&amp;d");
        assert_eq!(unescape("a&lt;b&gt;c&amp;d &amp;lt;"), "a<b>c&d &lt;");
    }

    #[test]
    fn converts_the_desks_markdown() {
        assert_eq!(to_mrkdwn("**Story #1: Harbour**"), "*Story #1: Harbour*");
        assert_eq!(
            to_mrkdwn("~~old words~~ **new words**"),
            "~old words~ *new words*"
        );
        assert_eq!(to_mrkdwn("an *italic* word"), "an _italic_ word");
        assert_eq!(to_mrkdwn("5 * 3 = 15 and 2 * 2"), "5 * 3 = 15 and 2 * 2");
        assert_eq!(to_mrkdwn("`a **b** <c>`"), "`a **b** &lt;c&gt;`");
        assert_eq!(to_mrkdwn("# The headline"), "*The headline*");
        assert_eq!(to_mrkdwn("## **Bold** heading"), "*Bold heading*");
        assert_eq!(to_mrkdwn("- one\n- two"), "• one\n• two");
        assert_eq!(to_mrkdwn("> a quote & more"), "> a quote &amp; more");
        assert_eq!(
            to_mrkdwn("```\n**x** <y>\n```"),
            "```\n**x** &lt;y&gt;\n```"
        );
        assert_eq!(to_mrkdwn("**~~nested~~ bold**"), "*~nested~ bold*");
        assert_eq!(to_mrkdwn("unclosed **bold"), "unclosed **bold");
    }

    #[test]
    fn links_channel_ids_only() {
        assert_eq!(to_mrkdwn("to #C0123ABCD."), "to <#C0123ABCD>.");
        assert_eq!(to_mrkdwn("to #published"), "to #published");
        assert_eq!(to_mrkdwn("issue #12"), "issue #12");
        assert_eq!(to_mrkdwn("a#C0123ABCD"), "a#C0123ABCD");
    }

    #[test]
    fn command_text_reads_slack_escapes() {
        assert_eq!(
            command_text(
                "ref add url:<https://example.com/a?b=1&amp;c=2|example.com/a> title:&lt;x&gt;"
            ),
            "ref add url:https://example.com/a?b=1&c=2 title:<x>"
        );
        assert_eq!(
            command_text("publish channel:<#C0123ABCD|published>"),
            "publish channel:C0123ABCD"
        );
        assert_eq!(
            command_text("assign section:intro user:<@U0BOB|bob>"),
            "assign section:intro user:<@U0BOB|bob>"
        );
        assert_eq!(command_text("new Alert <!here>"), "new Alert @here");
    }

    #[test]
    fn plain_text_reads_messages() {
        assert_eq!(
            plain_text("<@U123|bob> said &lt;!channel&gt; at <https://x.y/z> and <https://a.b|the site> <!here>"),
            "@bob said <!channel> at https://x.y/z and the site (https://a.b) @here"
        );
        assert_eq!(plain_text("<mailto:a@b.c|a@b.c>"), "a@b.c");
        assert_eq!(plain_text("a < b"), "a < b");
    }
}
