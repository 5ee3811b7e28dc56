//! Verifying that a request to the interactions endpoint comes from Discord.
//!
//! Discord signs `timestamp + body` with the application's Ed25519 key and sends the
//! signature (hex) in `X-Signature-Ed25519` and the timestamp (Unix seconds) in
//! `X-Signature-Timestamp`. Anything that does not verify is refused before the body is
//! parsed; Discord itself sends badly signed requests and removes an endpoint that accepts
//! them. A timestamp far from our clock is refused too, so a captured request cannot be
//! replayed later.

use serenity::interactions_endpoint::Verifier;

/// How far a request's timestamp may be from our clock, in seconds.
pub const MAX_SKEW_SECS: i64 = 300;

/// Why a request was refused. Never says more than this to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// A signature or timestamp header is missing.
    #[error("signature headers missing")]
    MissingHeaders,
    /// The timestamp is not a whole number of seconds.
    #[error("timestamp is not a number")]
    GarbledTimestamp,
    /// The timestamp is too far from now.
    #[error("timestamp too far from now")]
    StaleTimestamp,
    /// The signature does not verify with our key.
    #[error("signature does not verify")]
    BadSignature,
}

/// The application's public key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("DISCORD_PUBLIC_KEY must be the application's public key: 64 hexadecimal digits (Developer Portal → General Information)")]
pub struct BadPublicKey;

/// Checks signatures with one application's public key.
#[derive(Clone)]
pub struct SignatureCheck {
    /// serenity's Ed25519 verifier for the key.
    verifier: Verifier,
}

impl SignatureCheck {
    /// A check for the public key in hex, as the Developer Portal shows it.
    pub fn from_hex(public_key: &str) -> Result<Self, BadPublicKey> {
        let hex = public_key.trim();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(BadPublicKey);
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| BadPublicKey)?;
        }
        Ok(SignatureCheck {
            verifier: Verifier::try_new(key).map_err(|_| BadPublicKey)?,
        })
    }

    /// Checks one request, given its headers, raw body and the current Unix time.
    pub fn check(
        &self,
        signature: Option<&str>,
        timestamp: Option<&str>,
        body: &[u8],
        now_secs: i64,
    ) -> Result<(), Rejection> {
        let (Some(signature), Some(timestamp)) = (signature, timestamp) else {
            return Err(Rejection::MissingHeaders);
        };
        let at: i64 = timestamp.parse().map_err(|_| Rejection::GarbledTimestamp)?;
        if (now_secs - at).abs() > MAX_SKEW_SECS {
            return Err(Rejection::StaleTimestamp);
        }
        self.verifier
            .verify(signature, timestamp, body)
            .map_err(|()| Rejection::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn sign(key: &SigningKey, ts: &str, body: &[u8]) -> String {
        hex(&key.sign(&[ts.as_bytes(), body].concat()).to_bytes())
    }

    #[test]
    fn a_good_signature_passes_and_everything_else_fails() {
        let check = SignatureCheck::from_hex(&hex(key().verifying_key().as_bytes())).unwrap();
        let body = br#"{"type":1}"#;
        let now = 1_800_000_000;
        let ts = now.to_string();
        let sig = sign(&key(), &ts, body);
        assert_eq!(check.check(Some(&sig), Some(&ts), body, now), Ok(()));
        assert_eq!(
            check.check(Some(&sig), Some(&ts), br#"{"type":2}"#, now),
            Err(Rejection::BadSignature)
        );
        let other = SigningKey::from_bytes(&[8u8; 32]);
        assert_eq!(
            check.check(Some(&sign(&other, &ts, body)), Some(&ts), body, now),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            check.check(Some("zz"), Some(&ts), body, now),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            check.check(None, Some(&ts), body, now),
            Err(Rejection::MissingHeaders)
        );
        let old = (now - MAX_SKEW_SECS - 1).to_string();
        assert_eq!(
            check.check(Some(&sign(&key(), &old, body)), Some(&old), body, now),
            Err(Rejection::StaleTimestamp)
        );
        assert_eq!(
            check.check(Some(&sig), Some("yesterday"), body, now),
            Err(Rejection::GarbledTimestamp)
        );
    }

    #[test]
    fn public_keys_are_checked() {
        assert!(SignatureCheck::from_hex("abc").is_err());
        assert!(SignatureCheck::from_hex(&"g".repeat(64)).is_err());
        assert!(SignatureCheck::from_hex(&hex(key().verifying_key().as_bytes())).is_ok());
    }
}
