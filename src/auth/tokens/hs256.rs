//! jsonwebtoken's crypto, HS256 only, from the RustCrypto `hmac` and `sha2` crates the tree already
//! has (AWS request signing uses them). jsonwebtoken's own backends compile far more than we use:
//! `aws_lc_rs` builds the AWS-LC C library (about 2 minutes of a cold build here), `rust_crypto`
//! compiles in `rsa` (RUSTSEC-2023-0071, no fixed release). jsonwebtoken documents this extension
//! point (`CryptoProvider::install_default`); it is installed before the first token is signed or
//! checked (`TokenKeys::new`). Every other algorithm is refused as `InvalidAlgorithm`.

use hmac::{Hmac, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwkUtils, JwtSigner, JwtVerifier};
use jsonwebtoken::errors::{ErrorKind, Result};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use sha2::Sha256;
use signature::{Signer, Verifier};

type HmacSha256 = Hmac<Sha256>;

static PROVIDER: CryptoProvider =
    CryptoProvider { signer_factory: signer, verifier_factory: verifier, jwk_utils: JwkUtils::new_unimplemented() };

/// Makes HS256 the process's JWT crypto. Idempotent; nothing else installs a provider.
pub(super) fn install() {
    let _ = PROVIDER.install_default();
}

fn keyed(secret: &[u8]) -> Result<HmacSha256> {
    HmacSha256::new_from_slice(secret).map_err(|_| ErrorKind::InvalidKeyFormat.into())
}

fn signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    match algorithm {
        Algorithm::HS256 => Ok(Box::new(Hs256(keyed(key.try_get_hmac_secret()?)?))),
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    match algorithm {
        Algorithm::HS256 => Ok(Box::new(Hs256(keyed(key.try_get_hmac_secret()?)?))),
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

struct Hs256(HmacSha256);

impl Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        let mut mac = self.0.clone();
        mac.update(msg);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl Verifier<Vec<u8>> for Hs256 {
    /// Constant-time comparison (`verify_slice`).
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        let mut mac = self.0.clone();
        mac.update(msg);
        mac.verify_slice(signature).map_err(signature::Error::from_source)
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The HS256 example token from jwt.io (secret "your-256-bit-secret"), also checked with Python's hmac.
    const MESSAGE: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ";
    const SIGNATURE: &str = "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

    #[test]
    fn signs_and_verifies_a_published_hs256_example() {
        install();
        let key = EncodingKey::from_secret(b"your-256-bit-secret");
        assert_eq!(jsonwebtoken::crypto::sign(MESSAGE.as_bytes(), &key, Algorithm::HS256).unwrap(), SIGNATURE);
        let key = DecodingKey::from_secret(b"your-256-bit-secret");
        assert!(jsonwebtoken::crypto::verify(SIGNATURE, MESSAGE.as_bytes(), &key, Algorithm::HS256).unwrap());
        let wrong = DecodingKey::from_secret(b"another-secret");
        assert!(!jsonwebtoken::crypto::verify(SIGNATURE, MESSAGE.as_bytes(), &wrong, Algorithm::HS256).unwrap());
    }

    #[test]
    fn other_algorithms_are_refused_not_panicked_on() {
        install();
        let key = EncodingKey::from_secret(b"k");
        let err = jsonwebtoken::crypto::sign(b"m", &key, Algorithm::HS512).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::InvalidAlgorithm);
        let key = DecodingKey::from_secret(b"k");
        assert!(jsonwebtoken::crypto::verify(SIGNATURE, b"m", &key, Algorithm::RS256).is_err());
    }
}
