//! Sources sealed at rest: XChaCha20-Poly1305 with the operator's 32-byte key.
//!
//! Each sealed text has its own random 24-byte nonce, and the record's key is the
//! authenticated associated data, so a sealed text moved under another record's key fails
//! to open instead of showing up as another source. A wrong key never yields garbage: the
//! authentication tag fails and the store says so.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};

/// The key sources are sealed with (`STORYDESK_SOURCE_KEY`). Its `Debug` never shows it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SourceKey([u8; 32]);

impl std::fmt::Debug for SourceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SourceKey(…)")
    }
}

/// Why a key given by the operator cannot be used. Never contains the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "STORYDESK_SOURCE_KEY must be 32 bytes written as 64 hexadecimal digits or in base64 \
     (for instance from `openssl rand -hex 32`); {0}"
)]
pub struct BadKey(&'static str);

impl SourceKey {
    /// A key from its bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        SourceKey(bytes)
    }

    /// A key written as 64 hex digits or as base64 (padded or not).
    pub fn parse(text: &str) -> Result<Self, BadKey> {
        let text = text.trim();
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut out = [0u8; 32];
            for (i, pair) in text.as_bytes().chunks(2).enumerate() {
                let digits = std::str::from_utf8(pair).map_err(|_| BadKey("not hexadecimal"))?;
                out[i] = u8::from_str_radix(digits, 16).map_err(|_| BadKey("not hexadecimal"))?;
            }
            return Ok(SourceKey(out));
        }
        let bytes = B64
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
            .map_err(|_| BadKey("it is neither hexadecimal nor base64"))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| BadKey("it does not decode to 32 bytes"))?;
        Ok(SourceKey(bytes))
    }

    /// A key for another use, derived from this one (SHA-256 over the purpose and the
    /// key): knowing it reveals nothing of the source key.
    pub(crate) fn derive(&self, purpose: &[u8]) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update((purpose.len() as u64).to_le_bytes());
        h.update(purpose);
        h.update(self.0);
        h.finalize().into()
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.0).into())
    }
}

/// A sealed text as stored: nonce and ciphertext (with its tag), base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Sealed {
    /// The 24-byte nonce, base64.
    pub(crate) nonce: String,
    /// The ciphertext followed by the 16-byte tag, base64.
    pub(crate) data: String,
}

/// The sealed text could not be opened: wrong key, or tampered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OpenFailed;

/// Seal `plain` under `key`, bound to `aad` (the record's key).
pub(crate) fn seal(key: &SourceKey, aad: &[u8], plain: &[u8]) -> Sealed {
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let data = key
        .cipher()
        .encrypt(&nonce, Payload { msg: plain, aad })
        .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory input");
    Sealed {
        nonce: B64.encode(nonce),
        data: B64.encode(data),
    }
}

/// Open a sealed text. Fails on a wrong key, another record's text or any tampering.
pub(crate) fn open(key: &SourceKey, aad: &[u8], sealed: &Sealed) -> Result<Vec<u8>, OpenFailed> {
    let nonce = B64.decode(&sealed.nonce).map_err(|_| OpenFailed)?;
    if nonce.len() != 24 {
        return Err(OpenFailed);
    }
    let data = B64.decode(&sealed.data).map_err(|_| OpenFailed)?;
    key.cipher()
        .decrypt(XNonce::from_slice(&nonce), Payload { msg: &data, aad })
        .map_err(|_| OpenFailed)
}

/// Seal `plain` under `key`, bound to `aad`, as bytes: the 24-byte nonce, then the
/// ciphertext and its tag (for binary records, which need no base64).
pub(crate) fn seal_bytes(key: &SourceKey, aad: &[u8], plain: &[u8]) -> Vec<u8> {
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let data = key
        .cipher()
        .encrypt(&nonce, Payload { msg: plain, aad })
        .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory input");
    let mut out = Vec::with_capacity(nonce.len() + data.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&data);
    out
}

/// Open bytes sealed by [`seal_bytes`]. Fails on a wrong key, another record or tampering.
pub(crate) fn open_bytes(
    key: &SourceKey,
    aad: &[u8],
    sealed: &[u8],
) -> Result<Vec<u8>, OpenFailed> {
    let (nonce, data) = sealed.split_at_checked(24).ok_or(OpenFailed)?;
    key.cipher()
        .decrypt(XNonce::from_slice(nonce), Payload { msg: data, aad })
        .map_err(|_| OpenFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_from_hex_and_base64_and_bad_ones_are_explained() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let k = SourceKey::parse(hex).unwrap();
        assert_eq!(k.0[1], 0x11);
        let b64 = B64.encode(k.0);
        assert_eq!(SourceKey::parse(&b64).unwrap(), k);
        assert_eq!(SourceKey::parse(b64.trim_end_matches('=')).unwrap(), k);
        let err = SourceKey::parse("too short").unwrap_err().to_string();
        assert!(err.contains("32 bytes"), "{err}");
        assert!(!format!("{k:?}").contains("00112233"));
    }

    #[test]
    fn sealing_round_trips_and_a_wrong_key_or_place_fails() {
        let k = SourceKey([7; 32]);
        let sealed = seal(&k, b"o/1/1", "Der Vorstand trat zurück.".as_bytes());
        assert!(!sealed.data.contains("Vorstand"));
        assert_eq!(
            open(&k, b"o/1/1", &sealed).unwrap(),
            "Der Vorstand trat zurück.".as_bytes()
        );
        assert_eq!(
            open(&SourceKey([8; 32]), b"o/1/1", &sealed),
            Err(OpenFailed)
        );
        assert_eq!(open(&k, b"o/1/2", &sealed), Err(OpenFailed));
        let again = seal(&k, b"o/1/1", "Der Vorstand trat zurück.".as_bytes());
        assert_ne!(again.nonce, sealed.nonce, "every seal has its own nonce");
    }
}
