//! Instance settings changed at run time by admins (one row per key; values validated by the engine).

use super::Db;
use crate::{Result, time::now_ms};

impl Db {
    pub async fn instance_setting(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM instance_settings WHERE key = $1")
            .bind(key)
            .fetch_optional(self.pool())
            .await?)
    }

    pub async fn set_instance_setting(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO instance_settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::storage::test_support::temp_db;

    #[tokio::test]
    async fn a_setting_is_absent_until_set_and_then_replaced() {
        let (db, _dir) = temp_db().await;
        assert_eq!(db.instance_setting("signup_mode").await.unwrap(), None);
        db.set_instance_setting("signup_mode", "open").await.unwrap();
        db.set_instance_setting("signup_mode", "closed").await.unwrap();
        assert_eq!(db.instance_setting("signup_mode").await.unwrap().as_deref(), Some("closed"));
    }
}
