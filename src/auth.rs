//! Accounts and access: password hashing, access JWTs, rotating refresh tokens, API keys, throttling.
//!
//! [`Accounts`] is the one entry point; the HTTP layer turns cookies and `Authorization` headers into
//! calls on it and gets back a [`Principal`].

mod accounts;
mod admin;
mod api_keys;
mod key_cache;
mod passwords;
mod signups;
mod throttle;
mod tokens;
pub mod web;

use std::sync::Arc;

pub use accounts::{LoginOutcome, SessionTokens};
pub use api_keys::NewApiKey;
pub use passwords::PasswordHasher;
pub use throttle::{Clock, Limit, Limits, LoginAttempt, SystemClock, Throttle};
pub use tokens::{AccessClaims, TokenKeys, secrets_match};

use crate::{settings::Settings, storage::Db, storage::Role};

/// Who is making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub email: String,
    pub role: Role,
    /// Set when authenticated by a browser session (access JWT).
    pub session_id: Option<String>,
    /// Set when authenticated by an API key.
    pub api_key_id: Option<String>,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// The accounts service. Cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    db: Db,
    hasher: PasswordHasher,
    keys: Arc<TokenKeys>,
    throttle: Throttle,
    /// API keys recently found live (see `key_cache`).
    key_cache: key_cache::KeyCache,
    access_ttl_secs: u64,
    refresh_ttl_secs: u64,
}

impl Accounts {
    /// `settings.jwt_secret` must be resolved (see [`crate::settings::resolve_jwt_secret`]).
    pub fn new(db: Db, settings: &Settings) -> anyhow::Result<Self> {
        let secret = settings
            .jwt_secret
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("the JWT secret was not resolved before building Accounts"))?;
        Ok(Self {
            db,
            hasher: PasswordHasher::new(),
            keys: Arc::new(TokenKeys::new(secret)),
            throttle: Throttle::new(),
            key_cache: key_cache::KeyCache::default(),
            access_ttl_secs: settings.access_token_ttl_secs,
            refresh_ttl_secs: settings.refresh_token_ttl_secs,
        })
    }

    /// Replaces the login and sign-up limits (tests use a manual clock or other quotas).
    pub fn with_throttle(mut self, throttle: Throttle) -> Self {
        self.throttle = throttle;
        self
    }

    pub fn access_ttl_secs(&self) -> u64 {
        self.access_ttl_secs
    }

    pub fn refresh_ttl_secs(&self) -> u64 {
        self.refresh_ttl_secs
    }
}

/// Seconds in a millisecond timestamp's units, for expiry arithmetic.
pub(crate) fn ms(secs: u64) -> i64 {
    (secs as i64).saturating_mul(1000)
}
