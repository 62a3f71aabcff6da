//! Access JWTs (HS256 only) and opaque random tokens (refresh tokens, API keys).

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::settings::Secret;

mod hs256;

const ISSUER: &str = "webplus";
const AUDIENCE: &str = "webplus";

/// Claims of an access token. `sid` ties it to a session so revoking the session ends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub sid: String,
    pub iss: String,
    pub aud: String,
    pub iat: u64,
    pub exp: u64,
}

/// Signing and verification keys derived from the JWT secret.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    pub fn new(secret: &Secret) -> Self {
        hs256::install();
        let bytes = secret.expose().as_bytes();
        // One algorithm only: tokens claiming any other `alg` (including "none") are refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "aud", "iss"]);
        validation.leeway = 5;
        Self { encoding: EncodingKey::from_secret(bytes), decoding: DecodingKey::from_secret(bytes), validation }
    }

    pub fn issue(&self, user_id: &str, session_id: &str, ttl_secs: u64) -> anyhow::Result<String> {
        let now = unix_secs();
        let claims = AccessClaims {
            sub: user_id.into(),
            sid: session_id.into(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            exp: now + ttl_secs,
        };
        Ok(jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?)
    }

    /// The claims of a valid, unexpired token; `None` for anything else (tampered, expired, foreign).
    pub fn verify(&self, token: &str) -> Option<AccessClaims> {
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation).ok().map(|d| d.claims)
    }
}

fn unix_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// 32 random bytes, URL-safe base64, with a readable prefix (`wpr_` refresh, `wpk_` API key).
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// SHA-256 hex of a token. The tokens carry 256 bits of randomness, so a fast hash is enough to
/// make a stolen database useless for authentication.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether a presented secret equals the expected one, in time that depends on neither: both are
/// hashed to 32 bytes first (so their lengths do not show) and every byte is compared.
pub fn secrets_match(given: &str, expected: &str) -> bool {
    let (a, b) = (Sha256::digest(given.as_bytes()), Sha256::digest(expected.as_bytes()));
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_match_only_when_equal() {
        assert!(secrets_match("a-metrics-token-123", "a-metrics-token-123"));
        assert!(!secrets_match("a-metrics-token-124", "a-metrics-token-123"));
        assert!(!secrets_match("", "a-metrics-token-123"));
    }

    fn keys() -> TokenKeys {
        TokenKeys::new(&Secret::new("x".repeat(64)))
    }

    #[test]
    fn an_issued_token_verifies_with_its_claims() {
        let k = keys();
        let t = k.issue("u1", "s1", 60).unwrap();
        let c = k.verify(&t).unwrap();
        assert_eq!((c.sub.as_str(), c.sid.as_str()), ("u1", "s1"));
    }

    #[test]
    fn a_tampered_token_is_refused() {
        let k = keys();
        let t = k.issue("u1", "s1", 60).unwrap();
        let mut parts: Vec<String> = t.split('.').map(String::from).collect();
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"sub":"admin","sid":"s1","iss":"webplus","aud":"webplus","iat":0,"exp":99999999999}"#);
        parts[1] = forged;
        assert!(k.verify(&parts.join(".")).is_none());
    }

    #[test]
    fn an_expired_token_is_refused() {
        let k = keys();
        let now = unix_secs();
        let claims = AccessClaims {
            sub: "u".into(),
            sid: "s".into(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now - 100,
            exp: now - 50,
        };
        let t = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &k.encoding).unwrap();
        assert!(k.verify(&t).is_none());
    }

    #[test]
    fn a_token_signed_with_another_secret_or_alg_none_is_refused() {
        let other = TokenKeys::new(&Secret::new("y".repeat(64)));
        assert!(keys().verify(&other.issue("u", "s", 60).unwrap()).is_none());
        let none = format!(
            "{}.{}.",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(br#"{"sub":"u","sid":"s","iss":"webplus","aud":"webplus","iat":0,"exp":99999999999}"#)
        );
        assert!(keys().verify(&none).is_none());
    }

    #[test]
    fn random_tokens_differ_and_hash_to_hex() {
        let (a, b) = (random_token("wpk_"), random_token("wpk_"));
        assert_ne!(a, b);
        assert!(a.starts_with("wpk_") && a.len() == 4 + 43);
        assert_eq!(token_hash(&a).len(), 64);
    }
}
