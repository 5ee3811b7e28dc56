//! Hostile input: property tests for every entry point that reads text or bytes from
//! outside (the command text parser, the console script parser, Slack and Discord payload
//! decoding, the chunker and the pre-publish checks). Whatever comes in, nothing panics, and
//! input that is not valid gets an error value. The fuzz targets in `fuzz/` drive the same
//! entry points with coverage guidance; every crash they found is a named test here.

use proptest::prelude::*;
use serde_json::{json, Value};

use storydesk::catalogue::{catalogue, OptionKind};
use storydesk::command::parse::{from_options, parse, ParseError};
use storydesk::console::script::{parse_script, ScriptItem, ScriptParser};
use storydesk::discord::http::{decode as decode_discord, DecodeError as DiscordError, Payload};
use storydesk::discord::routing::{button_id, parse_button, Form};
use storydesk::slack::inbound::{decode_http, decode_payload, DecodeError, Endpoint};
use storydesk::slack::socket::{decode_message, SocketMessage};
use storydesk::slack::Inbound;
use storydesk::text::chunk::{chunk, chunk_trimmed};
use storydesk::text::normalise::{normalise, strip_controls};

/// Cases per property: enough to find the shallow mistakes on every run of the suite (the
/// fuzz targets search deeper); `PROPTEST_CASES` in the environment overrides it.
const CASES: u32 = 256;

/// `cases` per property, unless `PROPTEST_CASES` says otherwise.
fn config(cases: u32) -> ProptestConfig {
    if std::env::var_os("PROPTEST_CASES").is_some() {
        ProptestConfig::default()
    } else {
        ProptestConfig::with_cases(cases)
    }
}

// ---------------------------------------------------------------------------------------
// Generators

/// Text that looks like what people type: words, spaces, line breaks, punctuation, quotes
/// (straight and curly), colons, multi-byte letters, emoji and control characters.
fn typed_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z0-9]{1,8}",
        Just(" ".to_string()),
        Just("  ".to_string()),
        Just("\n".to_string()),
        Just("\n\n".to_string()),
        Just("\r\n".to_string()),
        Just("\t".to_string()),
        Just(". ".to_string()),
        Just("? ".to_string()),
        Just("。".to_string()),
        Just(":".to_string()),
        Just("\"".to_string()),
        Just("“".to_string()),
        Just("”".to_string()),
        Just("\\".to_string()),
        Just("#".to_string()),
        Just("@".to_string()),
        Just("<<".to_string()),
        Just("é".to_string()),
        Just("ß".to_string()),
        Just("日本".to_string()),
        Just("🦀".to_string()),
        Just("\u{200b}".to_string()),
        Just("\u{202e}".to_string()),
        Just("\0".to_string()),
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|p| p.concat())
}

/// A `/story …` line built from the catalogue's own words (subcommands, option names,
/// values of every kind, valid or not) mixed with typed text, to reach past the first
/// check of the parser.
fn command_line() -> impl Strategy<Value = String> {
    let cat = catalogue();
    let subcommands: Vec<String> = cat.subcommands.iter().map(|s| s.name.clone()).collect();
    let mut names: Vec<String> = cat
        .subcommands
        .iter()
        .flat_map(|s| s.options.iter().map(|o| o.name.clone()))
        .collect();
    names.sort();
    names.dedup();
    let value = prop_oneof![
        "[a-z]{1,6}",
        "[0-9]{1,12}",
        Just("#3".to_string()),
        Just("true".to_string()),
        Just("maybe".to_string()),
        Just("2024-05-01".to_string()),
        Just("2024-13".to_string()),
        Just("https://example.org/a?b=c".to_string()),
        Just("apa".to_string()),
        Just("@alice".to_string()),
        Just("@@bob".to_string()),
        Just("##desk".to_string()),
        Just("intro".to_string()),
        typed_text().prop_map(|t| format!("\"{}\"", t.replace('"', "\\\""))),
        typed_text(),
    ];
    let option = (prop::sample::select(names), value).prop_map(|(n, v)| format!("{n}:{v}"));
    let token = prop_oneof![
        3 => option,
        1 => typed_text(),
        1 => "[a-z]{1,10}",
    ];
    (
        prop::bool::ANY,
        prop::sample::select(subcommands),
        prop::collection::vec(token, 0..6),
    )
        .prop_map(|(slash, sub, tokens)| {
            let mut line = if slash {
                "/story ".to_string()
            } else {
                String::new()
            };
            line.push_str(&sub);
            for t in tokens {
                line.push(' ');
                line.push_str(&t);
            }
            line
        })
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        "[ -~é日🦀\n]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "block_actions",
            "view_submission",
            "event_callback",
            "url_verification",
            "interactive",
            "slash_commands",
            "events_api",
            "hello",
            "disconnect",
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Field names Slack and Discord payloads use, and some they do not.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "type", "id", "team", "team_id", "user", "user_id", "channel", "channel_id",
            "command", "text", "trigger_id", "response_url", "actions", "view", "state",
            "values", "value", "private_metadata", "event", "event_id", "challenge",
            "envelope_id", "payload", "reason", "data", "options", "name", "guild_id",
            "member", "token", "application_id", "custom_id", "components", "message",
            "container", "action_id", "block_id", "hash", "username", "thread_ts", "ts",
        ])
        .prop_map(str::to_string),
        1 => "[a-z_]{1,10}",
    ]
}

/// Replaces the value at a random place in `v` (any depth) with `new`.
fn replace_somewhere(v: &mut Value, mut pick: usize, new: Value) {
    fn count(v: &Value) -> usize {
        1 + match v {
            Value::Array(a) => a.iter().map(count).sum(),
            Value::Object(o) => o.values().map(count).sum(),
            _ => 0,
        }
    }
    fn walk(v: &mut Value, pick: &mut usize, new: &mut Option<Value>) {
        if *pick == 0 {
            if let Some(n) = new.take() {
                *v = n;
            }
            return;
        }
        *pick -= 1;
        match v {
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, pick, new)),
            Value::Object(o) => o.values_mut().for_each(|x| walk(x, pick, new)),
            _ => {}
        }
    }
    pick %= count(v);
    walk(v, &mut pick, &mut Some(new));
}

fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("read {path}: {e}"))
}

fn fixture_json(path: &str) -> Value {
    serde_json::from_str(&fixture(path)).unwrap()
}

/// The JSON inside an interactivity form's `payload` field.
fn form_payload(path: &str) -> Value {
    let form: Vec<(String, String)> = serde_urlencoded::from_str(fixture(path).trim()).unwrap();
    let payload = form.into_iter().find(|(k, _)| k == "payload").unwrap().1;
    serde_json::from_str(&payload).unwrap()
}

fn payload_form(payload: &Value) -> Vec<u8> {
    serde_urlencoded::to_string([("payload", payload.to_string())])
        .unwrap()
        .into_bytes()
}

// ---------------------------------------------------------------------------------------
// The command text parser

proptest! {
    #![proptest_config(config(CASES))]

    #[test]
    fn command_parser_takes_any_text(text in typed_text()) {
        let _ = parse(catalogue(), &text);
    }

    /// A line that parses names a catalogue subcommand with known, accepted options; the
    /// same options given as typed options (Discord's path, a button's stored values) parse
    /// to the same invocation.
    #[test]
    fn a_parsed_command_is_one_the_catalogue_accepts(line in command_line()) {
        let cat = catalogue();
        if let Ok(invocation) = parse(cat, &line) {
            let sub = cat.subcommand(&invocation.subcommand).expect("a catalogue subcommand");
            for name in invocation.options.keys() {
                prop_assert!(sub.option(name).is_some(), "unknown option {} accepted", name);
            }
            let given: Vec<(String, String)> = invocation
                .options
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let again = from_options(cat, &invocation.subcommand, &given);
            prop_assert_eq!(again, Ok(invocation));
        }
    }

    /// Every option's check is a fixed point: a value it accepted, checked again, stays
    /// the same (stored values of buttons and forms are checked again when used).
    #[test]
    fn an_accepted_value_is_accepted_as_it_is(value in prop_oneof![
        typed_text(),
        "[@#]{0,3}[ ]{0,2}[a-z0-9]{0,6}",
    ]) {
        for sub in &catalogue().subcommands {
            for o in &sub.options {
                if let Ok(once) = o.accept(&value) {
                    prop_assert_eq!(o.accept(&once), Ok(once.clone()), "{} {}", sub.name, o.name);
                }
            }
        }
    }

    /// Words that name no subcommand are an error value, never a guess that runs something.
    #[test]
    fn an_unknown_subcommand_is_an_error(word in "[a-z]{1,12}", rest in typed_text()) {
        let cat = catalogue();
        prop_assume!(cat.subcommands.iter().all(|s| s.name.split_whitespace().next() != Some(word.as_str())));
        prop_assume!(word != "story");
        let result = parse(cat, &format!("/story {word} {rest}"));
        let is_unknown = matches!(result, Err(ParseError::UnknownSubcommand { .. }));
        prop_assert!(is_unknown, "{:?}", result);
    }

    /// A quote left open is an error value wherever it is.
    #[test]
    fn an_unclosed_quote_is_an_error(title in "[a-zA-Z ]{0,20}") {
        let result = parse(catalogue(), &format!("/story new title:\"{title}"));
        prop_assert_eq!(result, Err(ParseError::UnterminatedQuote));
    }

    /// Every option of a kind that checks its value refuses a value of the wrong shape.
    #[test]
    fn a_value_of_the_wrong_kind_is_an_error(junk in "[a-z]{1,8}[?!]") {
        let cat = catalogue();
        for sub in &cat.subcommands {
            for o in &sub.options {
                let checked = matches!(
                    o.kind,
                    OptionKind::Integer | OptionKind::Boolean | OptionKind::Date | OptionKind::Url
                ) || (o.kind == OptionKind::Choice && !o.choices.iter().any(|c| c.eq_ignore_ascii_case(&junk)));
                if !checked {
                    continue;
                }
                let result = from_options(cat, &sub.name, &[(o.name.clone(), junk.clone())]);
                let is_bad = matches!(&result, Err(ParseError::BadValue { option, .. }) if option == &o.name);
                prop_assert!(is_bad, "{} {}:{} gave {:?}", sub.name, o.name, junk, result);
            }
        }
    }

    /// A quoted title comes back as typed (trimmed), whatever it holds.
    #[test]
    fn a_quoted_title_is_kept(title in "[^\"\\\\“”]{1,60}") {
        prop_assume!(!title.trim().is_empty());
        let result = parse(catalogue(), &format!("/story new title:\"{title}\""));
        match result {
            Ok(invocation) => prop_assert_eq!(invocation.get("title"), Some(title.trim())),
            Err(e) => {
                // Only a title longer than the option allows may be refused.
                let is_bad = matches!(e, ParseError::BadValue { .. });
                prop_assert!(is_bad, "{:?}", e);
            }
        }
    }
}

/// A person or channel typed with its sign doubled (`@@bob`, `##desk`) is read as the name
/// without signs, the same whether typed or given as a stored option.
#[test]
fn doubled_signs_are_dropped_once_and_for_all() {
    let cat = catalogue();
    let typed = parse(cat, "assign section:body user:@@bob").unwrap();
    assert_eq!(typed.get("user"), Some("bob"));
    let given: Vec<(String, String)> = typed
        .options
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(from_options(cat, "assign", &given), Ok(typed));
    let channel = parse(cat, "publish channel:##desk").unwrap();
    assert_eq!(channel.get("channel"), Some("desk"));
    assert!(matches!(
        parse(cat, "assign section:body user:@@"),
        Err(ParseError::BadValue { .. })
    ));
}

// ---------------------------------------------------------------------------------------
// The console script parser

/// Lines of a console script: directives, commands, heredocs, comments, chat, junk.
fn script() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        command_line().prop_map(|l| if l.starts_with('/') {
            l
        } else {
            format!("/story {l}")
        }),
        "[a-z]{1,8}".prop_map(|n| format!(":as {n}")),
        "[a-z]{1,8}".prop_map(|n| format!(":in #{n}")),
        "[a-z]{1,8}".prop_map(|n| format!(":in #newsroom › {n}")),
        Just(":in".to_string()),
        Just(":as".to_string()),
        Just(":frobnicate x".to_string()),
        Just("/story write body <<EOF".to_string()),
        Just("/story source add <<END".to_string()),
        Just("EOF".to_string()),
        Just("END".to_string()),
        Just("# a comment".to_string()),
        Just(String::new()),
        Just("<<".to_string()),
        typed_text(),
    ];
    prop::collection::vec(line, 0..20).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(config(CASES))]

    /// Any script gives items or an error on a line the script has; line by line gives the
    /// same items as the whole.
    #[test]
    fn the_script_parser_takes_any_text(src in prop_oneof![script(), typed_text()]) {
        let lines = src.lines().count();
        let whole = parse_script(&src);
        if let Err(e) = &whole {
            prop_assert!(e.line >= 1 && e.line <= lines.max(1), "line {} of {}", e.line, lines);
            prop_assert!(!e.message.is_empty());
        }
        let mut parser = ScriptParser::new();
        let mut items = Vec::new();
        let mut fed = Ok(());
        for line in src.lines() {
            match parser.feed(line) {
                Ok(Some(item)) => items.push(item),
                Ok(None) => {}
                Err(e) => {
                    fed = Err(e);
                    break;
                }
            }
        }
        let fed = fed.and_then(|()| parser.finish()).map(|()| items);
        prop_assert_eq!(fed, whole);
    }

    /// A heredoc's lines come back exactly as the command's long text, but for control
    /// characters, which the script reader removes.
    #[test]
    fn a_heredoc_keeps_its_lines(body in prop::collection::vec("[^\n\r]{0,30}", 0..8)) {
        prop_assume!(body.iter().all(|l| strip_controls(l) != "EOF"));
        let src = format!("/story write body <<EOF\n{}\nEOF\n", body.join("\n"));
        let items = parse_script(&src).expect("a closed heredoc parses");
        let text = body.iter().map(|l| strip_controls(l)).collect::<Vec<_>>().join("\n");
        let want = ScriptItem::Command {
            line: 1,
            text: "/story write body".into(),
            body: Some(text),
        };
        prop_assert_eq!(items, vec![want]);
    }

    /// A heredoc never closed is an error on the line that opened it.
    #[test]
    fn an_unclosed_heredoc_is_an_error(before in 0usize..5, body in prop::collection::vec("[a-z ]{0,20}", 0..5)) {
        let mut lines: Vec<String> = (0..before).map(|i| format!("# line {i}")).collect();
        lines.push("/story source add <<WORD".into());
        lines.extend(body);
        let result = parse_script(&lines.join("\n"));
        let Err(e) = result else {
            return Err(TestCaseError::fail("an open heredoc parsed"));
        };
        prop_assert_eq!(e.line, before + 1);
    }
}

// ---------------------------------------------------------------------------------------
// Slack payload decoding

proptest! {
    #![proptest_config(config(CASES))]

    #[test]
    fn slack_bodies_of_any_bytes_decode_or_fail(body in prop::collection::vec(any::<u8>(), 0..300)) {
        for endpoint in [Endpoint::Commands, Endpoint::Interactivity, Endpoint::Events] {
            if let Err(e) = decode_http(endpoint, &body) {
                // The words never quote the body.
                prop_assert!(e.to_string().len() < 80);
            }
        }
    }

    /// Forms of Slack's own field names with any values, JSON of any shape in an
    /// interactivity form or an events body: decoded or refused, never a panic.
    #[test]
    fn slack_payloads_of_any_shape_decode_or_fail(
        form in prop::collection::vec((field_name(), "[ -~é]{0,12}"), 0..10),
        value in json_value(),
    ) {
        let form = serde_urlencoded::to_string(&form).unwrap();
        let _ = decode_http(Endpoint::Commands, form.as_bytes());
        let _ = decode_http(Endpoint::Interactivity, &payload_form(&value));
        let _ = decode_http(Endpoint::Events, value.to_string().as_bytes());
        for kind in ["slash_commands", "interactive", "events_api", "other"] {
            let _ = decode_payload(kind, value.clone());
        }
        let frame = json!({ "type": value["type"].clone(), "envelope_id": value["id"].clone(), "payload": value });
        if let Ok(SocketMessage::Envelope { id, .. }) = decode_message(&frame.to_string()) {
            prop_assert!(!id.is_empty());
        }
    }

    /// Slack's documented payloads with one value anywhere replaced by anything: decoded
    /// or refused, never a panic.
    #[test]
    fn slack_fixtures_with_a_value_replaced_decode_or_fail(pick in any::<usize>(), new in json_value()) {
        for path in [
            "slack/view_submission.bolt-python.json",
            "slack/block_actions.bolt-python.with-message.json",
            "slack/event_callback.app_mention.slack-docs.json",
            "slack/url_verification.bolt-python.json",
        ] {
            let mut v = fixture_json(path);
            replace_somewhere(&mut v, pick, new.clone());
            let _ = decode_http(Endpoint::Interactivity, &payload_form(&v));
            let _ = decode_http(Endpoint::Events, v.to_string().as_bytes());
        }
        for line in fixture("slack/socket_mode_envelopes.bolt-python.jsonl").lines() {
            let mut v: Value = serde_json::from_str(line).unwrap();
            replace_somewhere(&mut v, pick, new.clone());
            let _ = decode_message(&v.to_string());
        }
    }

    #[test]
    fn socket_frames_of_any_text_decode_or_fail(text in typed_text()) {
        let _ = decode_message(&text);
    }
}

#[test]
fn slack_fixtures_decode() {
    let command = fixture("slack/slash_command.bolt-python.form.txt");
    assert!(matches!(
        decode_http(Endpoint::Commands, command.trim().as_bytes()),
        Ok(Inbound::Command(_))
    ));
    for path in [
        "slack/view_submission.bolt-python.form.txt",
        "slack/block_actions.bolt-python.with-message.form.txt",
    ] {
        let body = fixture(path);
        assert!(
            matches!(
                decode_http(Endpoint::Interactivity, body.trim().as_bytes()),
                Ok(Inbound::Interaction(_))
            ),
            "{path}"
        );
    }
    for path in [
        "slack/event_callback.app_mention.slack-docs.json",
        "slack/url_verification.bolt-python.json",
    ] {
        let body = fixture(path);
        assert!(
            matches!(
                decode_http(Endpoint::Events, body.as_bytes()),
                Ok(Inbound::Event(_))
            ),
            "{path}"
        );
    }
    for line in fixture("slack/socket_mode_envelopes.bolt-python.jsonl").lines() {
        assert!(
            matches!(decode_message(line), Ok(SocketMessage::Envelope { .. })),
            "{line}"
        );
    }
}

/// Each field storydesk needs to know who asked where, taken out of a real payload, makes
/// it an error value.
#[test]
fn slack_payloads_without_who_or_where_are_errors() {
    let command = fixture("slack/slash_command.bolt-python.form.txt");
    let form: Vec<(String, String)> = serde_urlencoded::from_str(command.trim()).unwrap();
    for field in ["team_id", "channel_id", "user_id", "command"] {
        let without: Vec<_> = form.iter().filter(|(k, _)| k != field).collect();
        let body = serde_urlencoded::to_string(&without).unwrap();
        assert_eq!(
            decode_http(Endpoint::Commands, body.as_bytes()).err(),
            Some(DecodeError::Missing(field)),
            "{field}"
        );
    }
    let submission = form_payload("slack/view_submission.bolt-python.form.txt");
    for (field, missing) in [("type", "type"), ("user", "user"), ("view", "view")] {
        let mut v = submission.clone();
        v.as_object_mut().unwrap().remove(field);
        assert_eq!(
            decode_http(Endpoint::Interactivity, &payload_form(&v)).err(),
            Some(DecodeError::Missing(missing)),
            "{field}"
        );
    }
    let mut v = submission.clone();
    v["user"] = json!("W111");
    assert_eq!(
        decode_http(Endpoint::Interactivity, &payload_form(&v)).err(),
        Some(DecodeError::Shape("interaction"))
    );
    assert_eq!(
        decode_http(Endpoint::Interactivity, b"token=x").err(),
        Some(DecodeError::NoPayload)
    );
    assert_eq!(
        decode_http(Endpoint::Interactivity, b"payload=%7Bnot+json").err(),
        Some(DecodeError::Json)
    );
    let event = fixture_json("slack/event_callback.app_mention.slack-docs.json");
    for field in ["team_id", "event_id"] {
        let mut v = event.clone();
        v.as_object_mut().unwrap().remove(field);
        assert_eq!(
            decode_http(Endpoint::Events, v.to_string().as_bytes()).err(),
            Some(DecodeError::Missing(field)),
            "{field}"
        );
    }
    assert_eq!(
        decode_http(Endpoint::Events, b"[1, 2]").err(),
        Some(DecodeError::Shape("event envelope"))
    );
    assert!(matches!(
        decode_message(r#"{"type":"events_api","envelope_id":"e1","payload":7}"#),
        Ok(SocketMessage::Envelope {
            inbound: Err(DecodeError::Shape("event envelope")),
            ..
        })
    ));
    assert!(matches!(
        decode_message(r#"{"type":"slash_commands","envelope_id":"e2","payload":{}}"#),
        Ok(SocketMessage::Envelope {
            inbound: Err(DecodeError::Missing("command")),
            ..
        })
    ));
    assert_eq!(
        decode_message("[]").err(),
        Some(DecodeError::Shape("Socket Mode message"))
    );
}

// ---------------------------------------------------------------------------------------
// Discord payload decoding

const DISCORD_FIXTURES: [&str; 3] = [
    "discord/application_command_subcommand.json",
    "discord/message_component_button.json",
    "discord/modal_submit.json",
];

proptest! {
    #![proptest_config(config(CASES))]

    #[test]
    fn discord_bodies_of_any_bytes_decode_or_fail(body in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode_discord(&body);
    }

    #[test]
    fn discord_payloads_of_any_shape_decode_or_fail(value in json_value(), kind in 0u8..12) {
        let _ = decode_discord(value.to_string().as_bytes());
        let mut v = value;
        if let Some(o) = v.as_object_mut() {
            o.insert("type".into(), json!(kind));
        }
        let _ = decode_discord(v.to_string().as_bytes());
    }

    /// Discord's documented interactions with one value anywhere replaced by anything:
    /// decoded or refused, and the refusal never quotes the body.
    #[test]
    fn discord_fixtures_with_a_value_replaced_decode_or_fail(pick in any::<usize>(), new in json_value()) {
        for path in DISCORD_FIXTURES {
            let mut v = fixture_json(path);
            replace_somewhere(&mut v, pick, new.clone());
            if let Err(e) = decode_discord(v.to_string().as_bytes()) {
                if let Value::String(s) = &new {
                    if s.len() > 3 {
                        prop_assert!(!e.to_string().contains(s.as_str()), "{} quotes {:?}", e, s);
                    }
                }
            }
        }
    }

    /// Custom ids: any text is read as one of storydesk's actions and forms or as none, and
    /// what it is read as writes back to an id read the same.
    #[test]
    fn custom_ids_of_any_text_read_or_fail(text in prop_oneof![
        typed_text(),
        "sd:(approve|changes|note|write|draft|draft-accept|draft-edit|draft-discard|source):[0-9]{0,21}:[0-9:]{0,12}[a-z:]{0,8}",
    ]) {
        if let Some(action) = parse_button(&text) {
            prop_assert_eq!(parse_button(&button_id(&action)), Some(action));
        }
        if let Some(form) = Form::parse(&text) {
            prop_assert_eq!(Form::parse(&form.custom_id()), Some(form));
        }
    }
}

#[test]
fn discord_fixtures_decode() {
    for path in DISCORD_FIXTURES {
        assert!(
            matches!(
                decode_discord(fixture(path).as_bytes()),
                Ok(Payload::Interaction(_))
            ),
            "{path}"
        );
    }
    assert!(matches!(
        decode_discord(br#"{"type":1}"#),
        Ok(Payload::Ping)
    ));
}

/// A body that is not an interaction, and an interaction whose fields have the wrong
/// shape, are error values that quote nothing of the body.
#[test]
fn discord_bodies_that_are_not_interactions_are_errors() {
    for body in [
        &b""[..],
        b"[]",
        b"{}",
        b"{\"type\":\"2\"}",
        b"{\"type\":-1}",
        b"\xff",
    ] {
        assert_eq!(
            decode_discord(body).err(),
            Some(DiscordError::NotInteraction),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    let mut v = fixture_json("discord/application_command_subcommand.json");
    v["data"]["name"] = json!(["the secret source says"]);
    v["id"] = json!("the secret source says");
    let e = decode_discord(v.to_string().as_bytes()).unwrap_err();
    assert!(
        matches!(&e, DiscordError::NotUnderstood(why) if why.starts_with("data error")),
        "{e:?}"
    );
    assert!(!e.to_string().contains("secret"), "{e}");
}

/// Found by the `discord_interaction` fuzz target: serenity 0.12.5 reads an image hash (an
/// avatar, an icon, a banner) by byte offsets and panicked on a 32- or 34-byte hash holding
/// a multi-byte character. Discord's hashes are ASCII hex; such a body is an error value.
#[test]
fn an_image_hash_that_is_not_ascii_is_an_error() {
    let mut v = fixture_json("discord/application_command_subcommand.json");
    for hash in [
        "a_d5efa99b3ee_a7dd43acca8ʙ5692432",
        "d5efa99b3ee0a7dd43acca8ʙ5692432",
    ] {
        v["member"]["user"]["avatar"] = json!(hash);
        assert_eq!(
            decode_discord(v.to_string().as_bytes()).err(),
            Some(DiscordError::ImageHash)
        );
    }
    let mut v = fixture_json("discord/message_component_button.json");
    v["message"]["author"]["avatar"] = json!("é".repeat(16));
    assert_eq!(
        decode_discord(v.to_string().as_bytes()).err(),
        Some(DiscordError::ImageHash)
    );
    // A real hash still reads.
    v["message"]["author"]["avatar"] = json!("a_d5efa99b3ee0a7dd43acca8e56924321");
    assert!(decode_discord(v.to_string().as_bytes()).is_ok());
}

// ---------------------------------------------------------------------------------------
// The chunker

proptest! {
    #![proptest_config(config(CASES))]

    /// The pieces concatenate to the text, none is empty, each is within the limit; the
    /// trimmed pieces are non-blank and within the limit too.
    #[test]
    fn chunks_rebuild_the_text_within_the_limit(text in typed_text(), max in 0usize..60) {
        let pieces = chunk(&text, max);
        prop_assert_eq!(pieces.concat(), text.clone());
        for p in &pieces {
            prop_assert!(!p.is_empty());
            prop_assert!(p.chars().count() <= max.max(1), "{:?} over {}", p, max);
        }
        for p in chunk_trimmed(&text, max) {
            prop_assert!(!p.trim().is_empty());
            prop_assert!(p.chars().count() <= max.max(1));
        }
    }

    /// Text made only of words and single spaces is never cut inside a word that fits.
    #[test]
    fn words_that_fit_are_not_split(words in prop::collection::vec("[a-zé]{1,10}", 1..60), max in 10usize..80) {
        let text = words.join(" ");
        for p in chunk(&text, max) {
            let trimmed = p.trim();
            for w in trimmed.split(' ').filter(|w| !w.is_empty()) {
                prop_assert!(words.iter().any(|x| x == w), "{:?} is cut from a word", w);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The pre-publish checks

mod checks {
    use super::*;
    use std::sync::OnceLock;
    use storydesk::checks::{markdown, Checker, Level, SourceText};
    use storydesk::config::{Config, Template};

    fn setup() -> &'static (Template, Checker) {
        static SETUP: OnceLock<(Template, Checker)> = OnceLock::new();
        SETUP.get_or_init(|| {
            let config = Config::defaults();
            let template = Template::load(&config.story.template).unwrap();
            let checker = Checker::load(&config.checks, &template).unwrap();
            (template, checker)
        })
    }

    /// Article-shaped text: headings of the template's sections and others, lists, quotes,
    /// figures, dates, placeholders, references, links and typed text.
    fn article() -> impl Strategy<Value = String> {
        let line = prop_oneof![
            prop::sample::select(vec![
                "# Title",
                "## Introduction",
                "## Body",
                "## Conclusion",
                "## References",
                "### Aside",
                "#",
                "- ",
                "1. Ruiz, A. (2024, May 1). Harbour works. Harbour Gazette. https://example.org/a",
                "2. ",
                "> quoted",
                "TK",
                "[link](https://example.org)",
                "```",
                "---",
                "The council spent €4.2 million, 37% more than in 2023, on 1 May 2024.",
                "\"We will not comment,\" the spokesperson said.",
            ])
            .prop_map(str::to_string),
            typed_text(),
        ];
        prop::collection::vec(line, 0..30).prop_map(|l| l.join("\n"))
    }

    proptest! {
        #![proptest_config(config(CASES / 4))]

        /// Any article and sources give findings (each with its rule and section), never a
        /// panic.
        #[test]
        fn the_checks_take_any_article_and_sources(
            text in prop_oneof![article(), typed_text()],
            sources in prop::collection::vec(prop_oneof![article(), typed_text()], 0..3),
        ) {
            let (template, checker) = setup();
            let sources: Vec<SourceText> = sources
                .iter()
                .enumerate()
                .map(|(i, text)| SourceText { number: i as u32 + 1, label: "source", text })
                .collect();
            let file = markdown::parse(&text, template);
            let findings = checker.run(&file.document(template, &sources));
            for f in &findings {
                prop_assert!(!f.rule.is_empty());
                prop_assert!(!f.message.is_empty());
            }
            // The template's required sections are reported missing when the text is empty.
            if text.trim().is_empty() {
                prop_assert!(findings.iter().any(|f| f.level == Level::Error));
            }
        }
    }

    /// Found by the `checks` fuzz target: a source ending in a day and month followed by a
    /// slash (`2/2/`, the year not typed yet) read past the end of its words.
    #[test]
    fn a_source_ending_in_a_day_a_month_and_a_slash() {
        let (template, checker) = setup();
        for source in ["2/2/", "On 27/01/", "27/01/ and"] {
            let sources = [SourceText {
                number: 1,
                label: "source",
                text: source,
            }];
            let file = markdown::parse("1", template);
            let _ = checker.run(&file.document(template, &sources));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Normalisation

/// Text made of what normalisation decides about: joiners between emoji, Persian and
/// Devanagari letters, Latin letters and each other; skin-tone modifiers and VS16; combining
/// marks; zero-width and bidi characters; every kind of control character and line ending.
fn text_to_normalise() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-z]{1,4}",
        Just(" ".to_string()),
        Just("\n".to_string()),
        Just("\t".to_string()),
        Just("\r".to_string()),
        Just("\r\n".to_string()),
        Just("\u{200D}".to_string()),
        Just("\u{200C}".to_string()),
        Just("\u{200B}".to_string()),
        Just("\u{202E}".to_string()),
        Just("\u{FEFF}".to_string()),
        Just("\u{E0067}".to_string()),
        Just("\u{1F468}".to_string()),
        Just("\u{1F469}".to_string()),
        Just("\u{1F3FD}".to_string()),
        Just("\u{FE0F}".to_string()),
        Just("\u{2764}".to_string()),
        Just("\u{645}".to_string()),
        Just("\u{6CC}".to_string()),
        Just("\u{650}".to_string()),
        Just("\u{915}".to_string()),
        Just("\u{94D}".to_string()),
        Just("\u{93C}".to_string()),
        Just("\u{958}".to_string()),
        Just("\u{622}".to_string()),
        Just("\u{653}".to_string()),
        Just("e\u{301}".to_string()),
        Just("\u{301}".to_string()),
        Just("\u{1100}\u{1161}".to_string()),
        "[\u{0}-\u{1F}\u{7F}-\u{9F}]",
    ];
    prop_oneof![
        prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat()),
        any::<String>(),
    ]
}

/// True for a character stored or shown text may not hold.
fn is_forbidden_control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

proptest! {
    #![proptest_config(config(CASES * 4))]

    /// Whatever comes in, normalised text holds no control character but tab and newline.
    #[test]
    fn normalised_text_holds_no_control_character(text in text_to_normalise()) {
        let out = normalise(&text);
        prop_assert!(!out.contains(is_forbidden_control), "{:?} → {:?}", text, out);
        let stripped = strip_controls(&text);
        prop_assert!(!stripped.contains(is_forbidden_control), "{:?} → {:?}", text, stripped);
    }

    /// Normalising twice gives what normalising once gave: a stored text is already in the
    /// form the desk stores, and a joiner kept once is kept again.
    #[test]
    fn normalise_is_idempotent(text in text_to_normalise()) {
        let once = normalise(&text);
        prop_assert_eq!(normalise(&once), once.clone(), "from {:?}", text);
        let stripped = strip_controls(&text).into_owned();
        prop_assert_eq!(strip_controls(&stripped).into_owned(), stripped);
    }
}
