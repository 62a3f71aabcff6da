//! Sign-up control: the instance's [`SignupMode`] and approving accounts that wait for it.

use super::{Accounts, Principal};
use crate::{
    Error, Result,
    domain::SignupMode,
    storage::{UserRow, UserStatus},
};

const SIGNUP_MODE_KEY: &str = "signup_mode";

impl Accounts {
    /// The current sign-up mode ([`SignupMode::Approval`] until an admin chooses another).
    pub async fn signup_mode(&self) -> Result<SignupMode> {
        let Some(stored) = self.db.instance_setting(SIGNUP_MODE_KEY).await? else {
            return Ok(SignupMode::default());
        };
        Ok(SignupMode::parse(&stored).unwrap_or_else(|_| {
            tracing::warn!(stored = %stored, "unreadable sign-up mode in the database; requiring approval");
            SignupMode::default()
        }))
    }

    pub async fn set_signup_mode(&self, who: &Principal, mode: SignupMode) -> Result<()> {
        Self::require_admin(who)?;
        self.set_signup_mode_as_operator(mode).await?;
        tracing::info!(admin = %who.user_id, mode = mode.as_str(), "sign-up mode changed");
        Ok(())
    }

    /// The same, from the command line (whoever can run the binary on the data is trusted).
    pub async fn set_signup_mode_as_operator(&self, mode: SignupMode) -> Result<()> {
        self.db.set_instance_setting(SIGNUP_MODE_KEY, mode.as_str()).await
    }

    /// Users who signed up while approval was required and wait for it, oldest first.
    pub async fn list_pending_users(&self, who: &Principal) -> Result<Vec<UserRow>> {
        Self::require_admin(who)?;
        let users = self.db.list_users().await?;
        Ok(users.into_iter().filter(|u| u.status() == UserStatus::Pending).collect())
    }

    /// Lets a pending user log in.
    pub async fn approve_user(&self, who: &Principal, user_id: &str) -> Result<()> {
        Self::require_admin(who)?;
        if !self.db.set_user_active(user_id).await? {
            return Err(Error::NotFound("user"));
        }
        tracing::info!(admin = %who.user_id, user_id, "account approved");
        Ok(())
    }

    /// The same, by email, from the command line.
    pub async fn approve_user_by_email(&self, email: &str) -> Result<UserRow> {
        let user = self.user_by_email(email).await?.ok_or(Error::NotFound("user"))?;
        self.db.set_user_active(&user.id).await?;
        self.db.user_by_id(&user.id).await?.ok_or(Error::NotFound("user"))
    }
}

/// What a sign-up does in each mode once the first account exists: `None` when refused.
pub(super) fn status_for_new_account(mode: SignupMode) -> Option<UserStatus> {
    match mode {
        SignupMode::Open => Some(UserStatus::Active),
        SignupMode::Approval => Some(UserStatus::Pending),
        SignupMode::Closed => None,
    }
}

pub(super) fn signups_closed() -> Error {
    Error::Forbidden("sign-ups are closed on this server; ask an administrator to create an account for you".into())
}

pub(super) fn awaiting_approval() -> Error {
    Error::Forbidden(
        "your account is waiting for an administrator's approval; you can log in once it is approved".into(),
    )
}

#[cfg(test)]
mod tests;
