//! Slack's request signatures: every HTTP request from Slack carries
//! `X-Slack-Signature: v0=<hex>`, the HMAC-SHA256 under the app's signing secret of
//! `v0:{X-Slack-Request-Timestamp}:{raw body}`. [`verify`] checks it over the raw bytes, before
//! anything is parsed, in constant time, and refuses timestamps more than five minutes from
//! now (a replayed request).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a request's timestamp may be from the server's clock, in seconds.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// The signing secret of a Slack app. Its `Debug` never shows it.
#[derive(Clone)]
pub struct SigningSecret(String);

impl SigningSecret {
    /// Wraps the secret from `SLACK_SIGNING_SECRET`.
    pub fn new(secret: impl Into<String>) -> Self {
        SigningSecret(secret.into())
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length.
        Hmac::<Sha256>::new_from_slice(self.0.as_bytes()).expect("HMAC takes any key length")
    }
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(…)")
    }
}

/// Why a request was refused. None of them says anything about the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// `X-Slack-Request-Timestamp` or `X-Slack-Signature` is absent.
    #[error("the request has no {0} header")]
    MissingHeader(&'static str),
    /// The timestamp is not a number of seconds.
    #[error("the request timestamp is not a number")]
    BadTimestamp,
    /// The timestamp is more than [`MAX_CLOCK_SKEW_SECS`] from now.
    #[error("the request timestamp is {0} s away from this server's clock")]
    Stale(i64),
    /// The signature is not `v0=` followed by 64 hex digits.
    #[error("the signature is malformed")]
    Malformed,
    /// The signature does not match the body.
    #[error("the signature does not match")]
    Mismatch,
}

/// Checks a request: `timestamp` and `signature` are the header values (if present), `body`
/// the raw bytes, `now` the server's clock in Unix seconds.
pub fn verify(
    secret: &SigningSecret,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), VerifyError> {
    let timestamp = timestamp.ok_or(VerifyError::MissingHeader("X-Slack-Request-Timestamp"))?;
    let signature = signature.ok_or(VerifyError::MissingHeader("X-Slack-Signature"))?;
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::BadTimestamp)?;
    let skew = now.saturating_sub(ts);
    if skew.abs() > MAX_CLOCK_SKEW_SECS {
        return Err(VerifyError::Stale(skew));
    }
    let hex = signature
        .trim()
        .strip_prefix("v0=")
        .ok_or(VerifyError::Malformed)?;
    let expected = decode_hex(hex).ok_or(VerifyError::Malformed)?;
    let mut mac = secret.mac();
    mac.update(b"v0:");
    mac.update(timestamp.trim().as_bytes());
    mac.update(b":");
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&expected)
        .map_err(|_| VerifyError::Mismatch)
}

/// The `X-Slack-Signature` value Slack would send for `body` at `timestamp`: what tests and
/// the load benchmark use to sign their requests.
pub fn sign(secret: &SigningSecret, timestamp: i64, body: &[u8]) -> String {
    let mut mac = secret.mac();
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let mut out = String::with_capacity(3 + bytes.len() * 2);
    out.push_str("v0=");
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The current time in Unix seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.len() != 64 {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    hex.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example from Slack's "Verifying requests from Slack" documentation.
    #[test]
    fn slack_documentation_example_verifies() {
        let secret = SigningSecret::new("8f742231b10e8888abcd99yyyzzz85a5");
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let ts = "1531420618";
        let signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
        assert_eq!(sign(&secret, 1531420618, body), signature);
        assert_eq!(
            verify(&secret, Some(ts), Some(signature), body, 1531420618 + 10),
            Ok(())
        );
    }

    #[test]
    fn refusals() {
        let secret = SigningSecret::new("s3cret");
        let now = 1_700_000_000;
        let body = b"text=hi";
        let good = sign(&secret, now, body);
        let ts = now.to_string();
        assert_eq!(verify(&secret, Some(&ts), Some(&good), body, now), Ok(()));
        assert_eq!(
            verify(&secret, None, Some(&good), body, now),
            Err(VerifyError::MissingHeader("X-Slack-Request-Timestamp"))
        );
        assert_eq!(
            verify(&secret, Some(&ts), None, body, now),
            Err(VerifyError::MissingHeader("X-Slack-Signature"))
        );
        assert_eq!(
            verify(&secret, Some(&ts), Some(&good), b"text=hj", now),
            Err(VerifyError::Mismatch)
        );
        let other = sign(&SigningSecret::new("other"), now, body);
        assert_eq!(
            verify(&secret, Some(&ts), Some(&other), body, now),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(&secret, Some(&ts), Some(&good), body, now + 301),
            Err(VerifyError::Stale(301))
        );
        assert_eq!(
            verify(&secret, Some(&ts), Some(&good), body, now - 301),
            Err(VerifyError::Stale(-301))
        );
        assert_eq!(
            verify(&secret, Some("soon"), Some(&good), body, now),
            Err(VerifyError::BadTimestamp)
        );
        assert_eq!(
            verify(&secret, Some(&ts), Some("v1=00"), body, now),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            verify(&secret, Some(&ts), Some(&good[..good.len() - 1]), body, now),
            Err(VerifyError::Malformed)
        );
        assert!(!format!("{secret:?}").contains("s3cret"));
    }
}
