//! Provider connections added by administrators (table `connections`, migration 0006). The API key
//! arrives here already sealed (see `connections::crypto`).

use super::{Db, is_unique_violation, new_id};
use crate::{Error, Result, time::now_ms};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ConnectionRow {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub base_url: Option<String>,
    pub region: Option<String>,
    /// The sealed key; `None` without one.
    pub api_key: Option<Vec<u8>>,
    /// JSON array of model ids.
    pub models: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The stored fields of a connection, for inserts and updates.
#[derive(Debug, Clone)]
pub struct ConnectionFields<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub base_url: Option<&'a str>,
    pub region: Option<&'a str>,
    pub api_key: Option<&'a [u8]>,
    pub models: &'a str,
}

const COLUMNS: &str = "id, kind, name, base_url, region, api_key, models, created_at, updated_at";

fn name_taken(e: sqlx::Error, name: &str) -> Error {
    if is_unique_violation(&e) {
        Error::Conflict(format!("a connection named {name:?} already exists; pick another name"))
    } else {
        e.into()
    }
}

impl Db {
    /// Inserts a connection under a new id. `id` may be given to seal its key with the id first.
    pub async fn insert_connection(&self, id: Option<&str>, f: &ConnectionFields<'_>) -> Result<ConnectionRow> {
        let now = now_ms();
        sqlx::query_as(&format!(
            "INSERT INTO connections (id, kind, name, base_url, region, api_key, models, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {COLUMNS}"
        ))
        .bind(id.map_or_else(new_id, str::to_owned))
        .bind(f.kind)
        .bind(f.name)
        .bind(f.base_url)
        .bind(f.region)
        .bind(f.api_key)
        .bind(f.models)
        .bind(now)
        .fetch_one(self.pool())
        .await
        .map_err(|e| name_taken(e, f.name))
    }

    pub async fn list_connections(&self) -> Result<Vec<ConnectionRow>> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM connections ORDER BY created_at, id"))
            .fetch_all(self.pool())
            .await?)
    }

    pub async fn connection(&self, id: &str) -> Result<Option<ConnectionRow>> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM connections WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Writes every field of an existing connection; `None` if there is no such connection.
    pub async fn update_connection(&self, id: &str, f: &ConnectionFields<'_>) -> Result<Option<ConnectionRow>> {
        sqlx::query_as(&format!(
            "UPDATE connections SET kind = $2, name = $3, base_url = $4, region = $5, api_key = $6, models = $7, \
             updated_at = $8 WHERE id = $1 RETURNING {COLUMNS}"
        ))
        .bind(id)
        .bind(f.kind)
        .bind(f.name)
        .bind(f.base_url)
        .bind(f.region)
        .bind(f.api_key)
        .bind(f.models)
        .bind(now_ms())
        .fetch_optional(self.pool())
        .await
        .map_err(|e| name_taken(e, f.name))
    }

    /// Deletes a connection; false if there was none.
    pub async fn delete_connection(&self, id: &str) -> Result<bool> {
        let n =
            sqlx::query("DELETE FROM connections WHERE id = $1").bind(id).execute(self.pool()).await?.rows_affected();
        Ok(n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::test_support::temp_db;

    fn fields<'a>(name: &'a str, key: Option<&'a [u8]>) -> ConnectionFields<'a> {
        ConnectionFields {
            kind: "anthropic",
            name,
            base_url: Some("https://api.anthropic.com"),
            region: None,
            api_key: key,
            models: "[\"claude-x\"]",
        }
    }

    #[tokio::test]
    async fn a_connection_is_stored_with_its_sealed_key_updated_and_deleted() {
        let (db, _t) = temp_db().await;
        let sealed = [1u8, 0, 255, 7];
        let row = db.insert_connection(None, &fields("claude", Some(&sealed))).await.unwrap();
        assert_eq!(row.api_key.as_deref(), Some(&sealed[..]));
        assert_eq!(db.connection(&row.id).await.unwrap().as_ref(), Some(&row));

        let mut changed = fields("claude-2", None);
        changed.region = Some("eu-west-1");
        let updated = db.update_connection(&row.id, &changed).await.unwrap().unwrap();
        assert_eq!(
            (updated.name.as_str(), updated.api_key, updated.region.as_deref()),
            ("claude-2", None, Some("eu-west-1"))
        );
        assert!(updated.updated_at >= row.updated_at);
        assert_eq!(db.list_connections().await.unwrap().len(), 1);

        assert!(db.delete_connection(&row.id).await.unwrap());
        assert!(!db.delete_connection(&row.id).await.unwrap());
        assert!(db.update_connection(&row.id, &changed).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_second_connection_with_the_same_name_is_a_conflict_naming_it() {
        let (db, _t) = temp_db().await;
        db.insert_connection(None, &fields("lab", None)).await.unwrap();
        let err = db.insert_connection(None, &fields("lab", None)).await.unwrap_err();
        assert!(matches!(&err, Error::Conflict(m) if m.contains("\"lab\"")), "{err:?}");
        let other = db.insert_connection(None, &fields("lab2", None)).await.unwrap();
        let err = db.update_connection(&other.id, &fields("lab", None)).await.unwrap_err();
        assert!(matches!(err, Error::Conflict(_)));
    }
}
