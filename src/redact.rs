//! Errors made safe to log: what went wrong and where, never the text that caused it.
//!
//! serde_json's messages quote the offending value (`invalid type: string "…", expected
//! u64`), and a payload's values may be a pasted source or a token; reqwest's and
//! serenity's may carry a URL with a token in it. These helpers keep the kind of error only.

/// A JSON error as its category and position: `data error at line 1 column 52`.
pub fn json_error(e: &serde_json::Error) -> String {
    let kind = match e.classify() {
        serde_json::error::Category::Io => "I/O",
        serde_json::error::Category::Syntax => "syntax",
        serde_json::error::Category::Data => "data",
        serde_json::error::Category::Eof => "unexpected end",
    };
    format!("{kind} error at line {} column {}", e.line(), e.column())
}

/// An HTTP client error without its URL: whether it could not connect, timed out or
/// failed otherwise, with the operating system's reason when there is one (`cannot connect:
/// connection refused`).
pub fn http_error(e: &reqwest::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    let mut io = None;
    while let Some(s) = source {
        if let Some(err) = s.downcast_ref::<std::io::Error>() {
            io = Some(err.kind());
        }
        source = s.source();
    }
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        return match io {
            Some(kind) => format!("request failed: {kind}"),
            None => without_url(e),
        };
    };
    match io {
        Some(kind) => format!("{what}: {kind}"),
        None => what.to_string(),
    }
}

/// A reqwest error's own message with its URL taken out.
fn without_url(e: &reqwest::Error) -> String {
    let text = e.to_string();
    match e.url() {
        Some(url) => text.replace(url.as_str(), "…"),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_error_never_quotes_the_value() {
        let e = serde_json::from_str::<u64>("\"the leaked memo\"").unwrap_err();
        assert!(
            e.to_string().contains("the leaked memo"),
            "serde quotes it: {e}"
        );
        let safe = json_error(&e);
        assert!(!safe.contains("leaked"), "{safe}");
        assert_eq!(safe, "data error at line 1 column 17");
    }
}
