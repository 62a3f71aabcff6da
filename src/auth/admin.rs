//! What only admins may do.

use super::{Accounts, Principal};
use crate::{Error, Result, storage::UserRow};

impl Accounts {
    pub(super) fn require_admin(who: &Principal) -> Result<()> {
        if who.is_admin() { Ok(()) } else { Err(Error::Forbidden("only administrators can do this".into())) }
    }

    pub async fn list_users(&self, who: &Principal) -> Result<Vec<UserRow>> {
        Self::require_admin(who)?;
        self.db.list_users().await
    }

    /// Disables (or re-enables) a user. Disabling ends their sessions and revokes their API keys at
    /// once. Admins cannot disable themselves (that would lock out the last admin).
    pub async fn set_user_disabled(&self, who: &Principal, user_id: &str, disabled: bool) -> Result<()> {
        Self::require_admin(who)?;
        if disabled && who.user_id == user_id {
            return Err(Error::invalid("user_id", "you cannot disable your own account"));
        }
        let found = self.db.set_user_disabled(user_id, disabled).await?;
        self.key_cache.forget(user_id, None);
        if found { Ok(()) } else { Err(Error::NotFound("user")) }
    }

    /// The same, from the command line (no principal: whoever can run the binary on the data is trusted).
    pub async fn set_user_disabled_by_email(&self, email: &str, disabled: bool) -> Result<()> {
        let user = self.db.user_by_email(&email.trim().to_lowercase()).await?.ok_or(Error::NotFound("user"))?;
        self.db.set_user_disabled(&user.id, disabled).await?;
        self.key_cache.forget(&user.id, None);
        Ok(())
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>> {
        self.db.user_by_email(&email.trim().to_lowercase()).await
    }
}
