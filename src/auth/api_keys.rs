//! API keys: created (shown once), listed, revoked; sent as `Authorization: Bearer wpk_…`.

use super::{Accounts, Principal, tokens};
use crate::{
    Error, Result,
    domain::ApiKeyName,
    storage::{ApiKeyRow, Role},
    time::now_ms,
};

/// A key just created: `secret` is shown to the user once and never stored.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub row: ApiKeyRow,
    pub secret: String,
}

/// Don't write `last_used_at` on every request: once a minute is plenty for "last used".
const TOUCH_EVERY_MS: i64 = 60_000;

impl Accounts {
    pub async fn create_api_key(&self, user_id: &str, name: &str) -> Result<NewApiKey> {
        let name = ApiKeyName::parse(name)?;
        let secret = tokens::random_token("wpk_");
        let prefix: String = secret.chars().take(10).collect();
        let row = self.db.create_api_key(user_id, name.as_str(), &prefix, &tokens::token_hash(&secret)).await?;
        Ok(NewApiKey { row, secret })
    }

    pub async fn list_api_keys(&self, user_id: &str) -> Result<Vec<ApiKeyRow>> {
        self.db.list_api_keys(user_id).await
    }

    pub async fn revoke_api_key(&self, user_id: &str, key_id: &str) -> Result<()> {
        let revoked = self.db.revoke_api_key(user_id, key_id).await?;
        self.key_cache.forget(user_id, Some(key_id));
        if revoked { Ok(()) } else { Err(Error::NotFound("API key")) }
    }

    /// The principal behind an API key, if it is live and its user is enabled. A key found live
    /// within the last few seconds is not looked up again (`key_cache`).
    pub async fn authenticate_api_key(&self, key: &str) -> Result<Option<Principal>> {
        if !key.starts_with("wpk_") {
            return Ok(None);
        }
        let hash = tokens::token_hash(key);
        if let Some(p) = self.key_cache.get(&hash) {
            return Ok(Some(p));
        }
        let Some(k) = self.db.api_key_auth(&hash).await? else {
            return Ok(None);
        };
        if k.revoked_at.is_some() || k.disabled != 0 {
            return Ok(None);
        }
        if k.last_used_at.is_none_or(|t| now_ms() - t > TOUCH_EVERY_MS) {
            self.db.touch_api_key(&k.key_id).await?;
        }
        let principal = Principal {
            user_id: k.user_id,
            email: k.email,
            role: Role::parse(&k.role).unwrap_or(Role::User),
            session_id: None,
            api_key_id: Some(k.key_id),
        };
        self.key_cache.put(hash, principal.clone());
        Ok(Some(principal))
    }
}
