//! Registration, login, refresh-token rotation, logout, password change, access checks.

use std::net::IpAddr;

use super::{Accounts, Principal, ms, signups, tokens};
use crate::{
    Error, Result,
    domain::{Email, Password},
    storage::{Role, UserRow, UserStatus, new_id},
    time::now_ms,
};

/// A fresh access token and refresh token for a browser session.
#[derive(Debug, Clone)]
pub struct SessionTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub session_id: String,
}

#[derive(Debug, Clone)]
pub struct LoginOutcome {
    pub user: UserRow,
    pub tokens: SessionTokens,
}

/// A valid argon2id hash of a random string: verifying against it when the email is unknown makes
/// "no such user" take as long as "wrong password", so timing does not reveal which emails exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ";

impl Accounts {
    /// Creates an account by sign-up. The first account of the instance becomes an active admin;
    /// later ones follow the [`SignupMode`](crate::domain::SignupMode): active, pending (check
    /// [`UserRow::status`]) or refused. Throttled per IP (each sign-up costs an argon2 hash).
    #[tracing::instrument(skip(self, password), err(level = "info"))]
    pub async fn register(&self, email: &str, password: &str, ip: Option<IpAddr>) -> Result<UserRow> {
        let email = Email::parse(email)?;
        let password = Password::parse(password)?;
        // Closed refuses even on an empty instance: an operator who closed sign-ups before the first
        // account creates the admin with `webplus admin create-user` (no web page can race them).
        let status = signups::status_for_new_account(self.signup_mode().await?).ok_or_else(signups::signups_closed)?;
        self.throttle.sign_up(ip)?;
        let hash = self.hasher.hash(password.expose()).await?;
        // The first account becomes an active admin whatever `status` says (decided in the INSERT).
        let user = self.db.create_user(email.as_str(), &hash, None, status).await?;
        tracing::info!(user_id = %user.id, role = user.role.as_str(), status = %user.status, "account registered");
        Ok(user)
    }

    /// Creates an account with a given role (the `webplus admin create-user` command).
    pub async fn create_user(&self, email: &str, password: &str, role: Role) -> Result<UserRow> {
        let email = Email::parse(email)?;
        let password = Password::parse(password)?;
        let hash = self.hasher.hash(password.expose()).await?;
        self.db.create_user(email.as_str(), &hash, Some(role), UserStatus::Active).await
    }

    /// Checks credentials and starts a session. Throttled per IP, and per account by failures
    /// (see [`super::throttle`]).
    #[tracing::instrument(skip(self, password), err(level = "info"))]
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        ip: Option<IpAddr>,
        user_agent: Option<&str>,
    ) -> Result<LoginOutcome> {
        let email = Email::parse(email).map_err(|_| wrong_credentials())?;
        let attempt = self.throttle.login_attempt(email.as_str(), ip)?;
        let user = self.db.user_by_email(email.as_str()).await?;
        let (hash, user) = match user {
            Some(u) => (u.password_hash.clone(), Some(u)),
            None => (DUMMY_HASH.to_string(), None),
        };
        let ok = self.hasher.verify(password, &hash).await?;
        let user = match (ok, user) {
            (true, Some(u)) => u,
            _ => return Err(wrong_credentials()),
        };
        attempt.succeeded();
        if user.is_disabled() {
            return Err(Error::Forbidden("this account is disabled; ask an administrator".into()));
        }
        if user.status() == UserStatus::Pending {
            return Err(signups::awaiting_approval());
        }
        let tokens = self.start_session(&user.id, user_agent).await?;
        Ok(LoginOutcome { user, tokens })
    }

    /// Starts a session for a user who proved who they are another way (registration).
    pub async fn start_session(&self, user_id: &str, user_agent: Option<&str>) -> Result<SessionTokens> {
        let session_id = new_id();
        let refresh_token = tokens::random_token("wpr_");
        let expires_at = now_ms() + ms(self.refresh_ttl_secs);
        let ua = user_agent.map(|u| u.chars().take(300).collect::<String>());
        self.db
            .create_session(&session_id, user_id, expires_at, &tokens::token_hash(&refresh_token), ua.as_deref())
            .await?;
        let access_token = self.keys.issue(user_id, &session_id, self.access_ttl_secs).map_err(Error::Internal)?;
        Ok(SessionTokens { access_token, refresh_token, session_id })
    }

    /// Exchanges a refresh token for a new pair. A token is good once: presenting a used token again
    /// means it was stolen (or replayed), so the whole session is revoked.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn refresh(&self, refresh_token: &str) -> Result<SessionTokens> {
        let expired = || Error::Unauthorized("your session has ended; log in again".into());
        let hash = tokens::token_hash(refresh_token);
        let row = self.db.refresh_token(&hash).await?.ok_or_else(expired)?;
        if row.used_at.is_some() {
            tracing::warn!(session_id = %row.session_id, "refresh token replayed; revoking the session");
            self.db.revoke_session(&row.session_id).await?;
            return Err(expired());
        }
        let session = self.db.session_auth(&row.session_id).await?.ok_or_else(expired)?;
        if session.revoked_at.is_some() || session.expires_at <= now_ms() || session.disabled != 0 {
            return Err(expired());
        }
        let new_refresh = tokens::random_token("wpr_");
        if !self.db.rotate_refresh_token(&hash, &tokens::token_hash(&new_refresh), &row.session_id).await? {
            // Lost a race with another use of the same token: treat as replay.
            self.db.revoke_session(&row.session_id).await?;
            return Err(expired());
        }
        let access_token =
            self.keys.issue(&session.user_id, &row.session_id, self.access_ttl_secs).map_err(Error::Internal)?;
        Ok(SessionTokens { access_token, refresh_token: new_refresh, session_id: row.session_id })
    }

    /// Ends a session (its access tokens stop working at once).
    pub async fn logout(&self, session_id: &str) -> Result<()> {
        self.db.revoke_session(session_id).await
    }

    /// True when the access token is signed by us and unexpired. No database look-up: for deciding
    /// whether a refresh is due, not for authorising (see [`Accounts::authenticate_access`]).
    pub fn access_token_is_fresh(&self, token: &str) -> bool {
        self.keys.verify(token).is_some()
    }

    /// The principal behind an access token, if the token is valid and its session and user are live.
    pub async fn authenticate_access(&self, token: &str) -> Result<Option<Principal>> {
        let Some(claims) = self.keys.verify(token) else {
            return Ok(None);
        };
        let Some(s) = self.db.session_auth(&claims.sid).await? else {
            return Ok(None);
        };
        if s.revoked_at.is_some() || s.disabled != 0 || s.user_id != claims.sub || s.expires_at <= now_ms() {
            return Ok(None);
        }
        Ok(Some(Principal {
            user_id: s.user_id,
            email: s.email,
            role: Role::parse(&s.role).unwrap_or(Role::User),
            session_id: Some(claims.sid),
            api_key_id: None,
        }))
    }

    /// Changes the password after checking the current one; every other session is logged out.
    #[tracing::instrument(skip(self, current, new), fields(user_id = %who.user_id), err(level = "info"))]
    pub async fn change_password(&self, who: &Principal, current: &str, new: &str) -> Result<()> {
        let new = Password::parse(new)?;
        let user = self.db.user_by_id(&who.user_id).await?.ok_or(Error::NotFound("user"))?;
        if !self.hasher.verify(current, &user.password_hash).await? {
            return Err(Error::invalid("current_password", "the current password is not correct"));
        }
        let hash = self.hasher.hash(new.expose()).await?;
        self.db.set_password_hash(&user.id, &hash).await?;
        self.db.revoke_other_sessions(&user.id, who.session_id.as_deref()).await?;
        Ok(())
    }
}

fn wrong_credentials() -> Error {
    Error::Unauthorized("wrong email or password".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{settings::Settings, storage::test_support::temp_db};

    async fn accounts() -> (Accounts, crate::storage::TempDb) {
        let (db, dir) = temp_db().await;
        let mut s = Settings::defaults();
        s.jwt_secret = Some(crate::settings::Secret::new("k".repeat(64)));
        let a = Accounts::new(db, &s).unwrap();
        // These tests are about sessions, not sign-up approval (see `signups::tests`).
        a.set_signup_mode_as_operator(crate::domain::SignupMode::Open).await.unwrap();
        (a, dir)
    }

    #[test]
    fn the_dummy_hash_is_a_well_formed_argon2id_hash() {
        assert!(argon2::PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[tokio::test]
    async fn login_with_the_wrong_password_or_unknown_email_says_the_same() {
        let (a, _d) = accounts().await;
        a.register("ada@x.io", "lovelace-1815", None).await.unwrap();
        let e1 = a.login("ada@x.io", "wrong-password", None, None).await.unwrap_err().to_string();
        let e2 = a.login("bob@x.io", "lovelace-1815", None, None).await.unwrap_err().to_string();
        assert_eq!(e1, e2);
        assert!(a.login("ADA@x.io", "lovelace-1815", None, None).await.is_ok());
    }

    #[tokio::test]
    async fn a_replayed_refresh_token_revokes_the_whole_session() {
        let (a, _d) = accounts().await;
        a.register("ada@x.io", "lovelace-1815", None).await.unwrap();
        let t0 = a.login("ada@x.io", "lovelace-1815", None, None).await.unwrap().tokens;
        let t1 = a.refresh(&t0.refresh_token).await.unwrap();
        assert!(a.authenticate_access(&t1.access_token).await.unwrap().is_some());
        // The old token again: replay.
        assert!(matches!(a.refresh(&t0.refresh_token).await, Err(Error::Unauthorized(_))));
        // The whole family is gone: the newest refresh token and the access token too.
        assert!(a.refresh(&t1.refresh_token).await.is_err());
        assert!(a.authenticate_access(&t1.access_token).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn disabling_a_user_ends_sessions_and_api_keys_at_once() {
        let (a, _d) = accounts().await;
        let admin = a.register("root@x.io", "lovelace-1815", None).await.unwrap();
        a.register("bob@x.io", "babbage-1791", None).await.unwrap();
        let bob = a.login("bob@x.io", "babbage-1791", None, None).await.unwrap();
        let key = a.create_api_key(&bob.user.id, "ci").await.unwrap();
        assert!(a.authenticate_api_key(&key.secret).await.unwrap().is_some());
        let root =
            Principal { user_id: admin.id, email: admin.email, role: Role::Admin, session_id: None, api_key_id: None };
        a.set_user_disabled(&root, &bob.user.id, true).await.unwrap();
        assert!(a.authenticate_access(&bob.tokens.access_token).await.unwrap().is_none());
        assert!(a.authenticate_api_key(&key.secret).await.unwrap().is_none());
        assert!(a.refresh(&bob.tokens.refresh_token).await.is_err());
        assert!(matches!(a.login("bob@x.io", "babbage-1791", None, None).await, Err(Error::Forbidden(_))));
    }

    #[tokio::test]
    async fn changing_the_password_needs_the_current_one_and_logs_out_other_sessions() {
        let (a, _d) = accounts().await;
        a.register("ada@x.io", "lovelace-1815", None).await.unwrap();
        let s1 = a.login("ada@x.io", "lovelace-1815", None, None).await.unwrap().tokens;
        let s2 = a.login("ada@x.io", "lovelace-1815", None, None).await.unwrap().tokens;
        let me = a.authenticate_access(&s1.access_token).await.unwrap().unwrap();
        assert!(matches!(a.change_password(&me, "nope-nope-nope", "analytical-engine").await, Err(Error::Invalid(_))));
        a.change_password(&me, "lovelace-1815", "analytical-engine").await.unwrap();
        assert!(a.authenticate_access(&s1.access_token).await.unwrap().is_some());
        assert!(a.authenticate_access(&s2.access_token).await.unwrap().is_none());
        assert!(a.login("ada@x.io", "analytical-engine", None, None).await.is_ok());
    }
}
