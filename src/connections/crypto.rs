//! Connections' API keys at rest: AES-256-GCM under a key derived from the server's connection key
//! (`connection_key` in the settings, or `<data dir>/connection_key`).
//!
//! A sealed key is `version (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`, with the connection's id as
//! associated data: a sealed key copied into another row does not open. The nonce is random per
//! seal, so saving the same key twice stores different bytes.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::settings::Secret;

const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
/// Domain separation: the same secret used elsewhere gives another key.
const CONTEXT: &[u8] = b"webplus connection keys v1\0";

/// Seals and opens API keys. The connection key is high-entropy (64 random bytes by default, at
/// least 32 characters when given), so one SHA-256 over it is the key derivation.
#[derive(Clone)]
pub struct KeyCipher(Aes256Gcm);

/// A sealed key that does not open: another connection key, or damaged bytes.
#[derive(Debug, thiserror::Error)]
#[error("the stored key cannot be decrypted with this server's connection key")]
pub struct Unreadable;

impl KeyCipher {
    pub fn new(connection_key: &Secret) -> Self {
        let digest = Sha256::new().chain_update(CONTEXT).chain_update(connection_key.expose().as_bytes()).finalize();
        Self(Aes256Gcm::new(&digest))
    }

    pub fn seal(&self, connection_id: &str, key: &Secret) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload { msg: key.expose().as_bytes(), aad: connection_id.as_bytes() };
        // Encryption fails only for messages beyond GCM's 64 GiB limit; keys are bounded far below.
        let sealed = self.0.encrypt(&Nonce::from(nonce), payload).unwrap_or_default();
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, connection_id: &str, sealed: &[u8]) -> Result<Secret, Unreadable> {
        let (&version, rest) = sealed.split_first().ok_or(Unreadable)?;
        if version != VERSION || rest.len() < NONCE_LEN + 16 {
            return Err(Unreadable);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| Unreadable)?;
        let plain = self
            .0
            .decrypt(&Nonce::from(nonce), Payload { msg: ciphertext, aad: connection_id.as_bytes() })
            .map_err(|_| Unreadable)?;
        String::from_utf8(plain).map(Secret::new).map_err(|_| Unreadable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher(k: &str) -> KeyCipher {
        KeyCipher::new(&Secret::new(k))
    }

    #[test]
    fn a_sealed_key_opens_only_with_the_same_connection_key_and_connection_id() {
        let c = cipher("a-connection-key-of-more-than-32-characters");
        let sealed = c.seal("conn-1", &Secret::new("sk-ant-secret"));
        assert!(!sealed.windows(6).any(|w| w == b"secret"), "the key is not stored in clear");
        assert_eq!(c.open("conn-1", &sealed).unwrap().expose(), "sk-ant-secret");
        assert!(c.open("conn-2", &sealed).is_err(), "moved to another row");
        assert!(cipher("another-connection-key-of-more-than-32-chars").open("conn-1", &sealed).is_err());
    }

    #[test]
    fn sealing_twice_differs_and_damaged_or_short_bytes_are_refused() {
        let c = cipher("a-connection-key-of-more-than-32-characters");
        let key = Secret::new("k");
        let (a, b) = (c.seal("id", &key), c.seal("id", &key));
        assert_ne!(a, b);
        let mut damaged = a.clone();
        *damaged.last_mut().unwrap() ^= 1;
        assert!(c.open("id", &damaged).is_err());
        assert!(c.open("id", &[]).is_err());
        assert!(c.open("id", &a[..10]).is_err());
        let mut other_version = a;
        other_version[0] = 2;
        assert!(c.open("id", &other_version).is_err());
    }
}
