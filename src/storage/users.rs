//! Users.

use super::{Backend, Db, is_unique_violation, new_id};
use crate::{Error, Result, time::now_ms};

/// An account's role (the shared `domain::UserRole`).
pub use crate::domain::UserRole as Role;

/// Whether an account may log in yet (separate from `disabled`, an admin's lock-out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    Active,
    /// Signed up while approval was required; waits for an administrator.
    Pending,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Pending => "pending",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub disabled: i64,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl UserRow {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::User)
    }

    pub fn is_disabled(&self) -> bool {
        self.disabled != 0
    }

    /// Anything but 'pending' reads as active: the CHECK constraint allows nothing else.
    pub fn status(&self) -> UserStatus {
        if self.status == "pending" { UserStatus::Pending } else { UserStatus::Active }
    }
}

const COLUMNS: &str = "id, email, password_hash, role, disabled, status, created_at, updated_at";

impl Db {
    /// Creates a user. `role: None` makes the first user of the database an active admin and every
    /// later one a user with `status`, decided inside the INSERT so two simultaneous first sign-ups
    /// cannot both win. With a role, the user gets that role and `status`.
    #[tracing::instrument(skip(self, password_hash), err(level = "info"))]
    pub async fn create_user(
        &self,
        email: &str,
        password_hash: &str,
        role: Option<Role>,
        status: UserStatus,
    ) -> Result<UserRow> {
        let now = now_ms();
        let id = new_id();
        // Both come from enums, never from input, so formatting them into the SQL is safe.
        let (role_sql, status_sql) = match role {
            Some(r) => (format!("'{}'", r.as_str()), format!("'{}'", status.as_str())),
            None => (
                "CASE WHEN EXISTS (SELECT 1 FROM users) THEN 'user' ELSE 'admin' END".to_string(),
                format!("CASE WHEN EXISTS (SELECT 1 FROM users) THEN '{}' ELSE 'active' END", status.as_str()),
            ),
        };
        let sql = format!(
            "INSERT INTO users (id, email, password_hash, role, disabled, status, created_at, updated_at) \
             SELECT $1, $2, $3, {role_sql}, 0, {status_sql}, $4, $4 RETURNING {COLUMNS}"
        );
        let mut tx = self.begin_write().await?;
        if role.is_none() && self.backend() == Backend::Postgres {
            // SQLite runs one writer at a time; PostgreSQL runs two INSERT … SELECTs side by side, and
            // both would see no users. This lock mode conflicts with itself and with inserts (reads
            // go on), so first sign-ups take turns. Released at commit.
            sqlx::query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
        }
        let user = sqlx::query_as::<_, UserRow>(&sql)
            .bind(&id)
            .bind(email)
            .bind(password_hash)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    Error::Conflict("an account with this email already exists; log in instead".into())
                } else {
                    Error::from(e)
                }
            })?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE email = $1"))
            .bind(email)
            .fetch_optional(self.pool())
            .await?)
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<UserRow>> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    pub async fn list_users(&self) -> Result<Vec<UserRow>> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM users ORDER BY created_at, id"))
            .fetch_all(self.pool())
            .await?)
    }

    /// Approves a pending user; false when there is no such user.
    pub async fn set_user_active(&self, user_id: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE users SET status = 'active', updated_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn set_password_hash(&self, user_id: &str, hash: &str) -> Result<()> {
        sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(now_ms())
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Disables or re-enables a user. Disabling also revokes every session and API key in the same
    /// transaction, so nothing the user held keeps working.
    #[tracing::instrument(skip(self), err)]
    pub async fn set_user_disabled(&self, user_id: &str, disabled: bool) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query("UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3")
            .bind(disabled as i64)
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if updated > 0 && disabled {
            sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(updated > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::test_support::temp_db;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn simultaneous_first_sign_ups_make_exactly_one_admin() {
        let (db, _dir) = temp_db().await;
        // Open the pool's connections first, so the sign-ups below do not start one by one.
        let mut warm = Vec::new();
        for _ in 0..8 {
            warm.push(db.pool().acquire().await.unwrap());
        }
        drop(warm);
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move { db.create_user(&format!("u{i}@x.io"), "h", None, UserStatus::Active).await })
            })
            .collect();
        let mut admins = 0;
        for t in tasks {
            admins += usize::from(t.await.unwrap().unwrap().role() == Role::Admin);
        }
        assert_eq!(admins, 1);
    }

    #[tokio::test]
    async fn the_first_user_is_admin_and_later_ones_are_users() {
        let (db, _dir) = temp_db().await;
        let a = db.create_user("a@x.io", "h", None, UserStatus::Active).await.unwrap();
        let b = db.create_user("b@x.io", "h", None, UserStatus::Active).await.unwrap();
        assert_eq!(a.role(), Role::Admin);
        assert_eq!(b.role(), Role::User);
    }

    #[tokio::test]
    async fn the_first_user_is_active_even_when_later_ones_wait_for_approval() {
        let (db, _dir) = temp_db().await;
        let a = db.create_user("a@x.io", "h", None, UserStatus::Pending).await.unwrap();
        let b = db.create_user("b@x.io", "h", None, UserStatus::Pending).await.unwrap();
        assert_eq!((a.role(), a.status()), (Role::Admin, UserStatus::Active));
        assert_eq!((b.role(), b.status()), (Role::User, UserStatus::Pending));
        assert!(db.set_user_active(&b.id).await.unwrap());
        assert_eq!(db.user_by_id(&b.id).await.unwrap().unwrap().status(), UserStatus::Active);
    }

    #[tokio::test]
    async fn a_duplicate_email_is_a_conflict() {
        let (db, _dir) = temp_db().await;
        db.create_user("a@x.io", "h", None, UserStatus::Active).await.unwrap();
        let e = db.create_user("a@x.io", "h", None, UserStatus::Active).await.unwrap_err();
        assert!(matches!(e, Error::Conflict(_)), "{e:?}");
    }
}
