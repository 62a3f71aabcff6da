//! The model catalog's rows (table `catalog_models`, migration 0008): what an administrator set
//! about each model users may pick. Meaning and checks live in `catalog::models`.

use super::{Db, is_unique_violation, new_id};
use crate::{Error, Result, time::now_ms};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CatalogRow {
    pub id: String,
    pub connection_id: String,
    pub upstream_id: String,
    pub display_name: Option<String>,
    pub context_window: Option<i64>,
    pub max_output: Option<i64>,
    pub input_price_per_mtok: Option<f64>,
    pub output_price_per_mtok: Option<f64>,
    pub cached_input_price_per_mtok: Option<f64>,
    pub vision: Option<i64>,
    pub tools: Option<i64>,
    pub json_output: Option<i64>,
    pub enabled: i64,
    pub access: String,
    /// JSON object of sampling parameters.
    pub default_params: String,
    /// JSON array of model ids.
    pub fallbacks: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Every stored field of a catalog row but its id and times, for inserts and updates.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogFields {
    pub connection_id: String,
    pub upstream_id: String,
    pub display_name: Option<String>,
    pub context_window: Option<i64>,
    pub max_output: Option<i64>,
    pub input_price_per_mtok: Option<f64>,
    pub output_price_per_mtok: Option<f64>,
    pub cached_input_price_per_mtok: Option<f64>,
    pub vision: Option<i64>,
    pub tools: Option<i64>,
    pub json_output: Option<i64>,
    pub enabled: i64,
    pub access: String,
    pub default_params: String,
    pub fallbacks: String,
}

impl CatalogFields {
    /// A model with nothing overridden, enabled for everyone.
    pub fn new(connection_id: &str, upstream_id: &str) -> Self {
        Self {
            connection_id: connection_id.to_owned(),
            upstream_id: upstream_id.to_owned(),
            display_name: None,
            context_window: None,
            max_output: None,
            input_price_per_mtok: None,
            output_price_per_mtok: None,
            cached_input_price_per_mtok: None,
            vision: None,
            tools: None,
            json_output: None,
            enabled: 1,
            access: "everyone".into(),
            default_params: "{}".into(),
            fallbacks: "[]".into(),
        }
    }
}

impl From<CatalogRow> for CatalogFields {
    fn from(r: CatalogRow) -> Self {
        Self {
            connection_id: r.connection_id,
            upstream_id: r.upstream_id,
            display_name: r.display_name,
            context_window: r.context_window,
            max_output: r.max_output,
            input_price_per_mtok: r.input_price_per_mtok,
            output_price_per_mtok: r.output_price_per_mtok,
            cached_input_price_per_mtok: r.cached_input_price_per_mtok,
            vision: r.vision,
            tools: r.tools,
            json_output: r.json_output,
            enabled: r.enabled,
            access: r.access,
            default_params: r.default_params,
            fallbacks: r.fallbacks,
        }
    }
}

const COLUMNS: &str = "id, connection_id, upstream_id, display_name, context_window, max_output, \
    input_price_per_mtok, output_price_per_mtok, cached_input_price_per_mtok, vision, tools, json_output, \
    enabled, access, default_params, fallbacks, created_at, updated_at";

fn already_there(e: sqlx::Error, f: &CatalogFields) -> Error {
    if is_unique_violation(&e) {
        Error::Conflict(format!("{:?} of this connection is in the catalog already; edit that entry", f.upstream_id))
    } else {
        e.into()
    }
}

/// `sql` with `$1` the row id, `$2`–`$16` the fields in column order and `$17` the time now: the
/// binds INSERT and UPDATE share.
fn with_fields<'q>(
    sql: &'q str,
    id: &'q str,
    f: &'q CatalogFields,
) -> sqlx::query::QueryAs<'q, sqlx::Any, CatalogRow, sqlx::any::AnyArguments<'q>> {
    sqlx::query_as(sql)
        .bind(id)
        .bind(&f.connection_id)
        .bind(&f.upstream_id)
        .bind(&f.display_name)
        .bind(f.context_window)
        .bind(f.max_output)
        .bind(f.input_price_per_mtok)
        .bind(f.output_price_per_mtok)
        .bind(f.cached_input_price_per_mtok)
        .bind(f.vision)
        .bind(f.tools)
        .bind(f.json_output)
        .bind(f.enabled)
        .bind(&f.access)
        .bind(&f.default_params)
        .bind(&f.fallbacks)
        .bind(now_ms())
}

impl Db {
    pub async fn insert_catalog_model(&self, f: &CatalogFields) -> Result<CatalogRow> {
        let sql = format!(
            "INSERT INTO catalog_models (id, connection_id, upstream_id, display_name, context_window, max_output, \
             input_price_per_mtok, output_price_per_mtok, cached_input_price_per_mtok, vision, tools, json_output, \
             enabled, access, default_params, fallbacks, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17) \
             RETURNING {COLUMNS}"
        );
        let id = new_id();
        with_fields(&sql, &id, f).fetch_one(self.pool()).await.map_err(|e| already_there(e, f))
    }

    /// Adds `upstream_id` of a connection, enabled for everyone, unless it is there already.
    /// Returns whether a row was added.
    pub async fn ensure_catalog_model(&self, connection_id: &str, upstream_id: &str) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO catalog_models (id, connection_id, upstream_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (connection_id, upstream_id) DO NOTHING",
        )
        .bind(new_id())
        .bind(connection_id)
        .bind(upstream_id)
        .bind(now_ms())
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    pub async fn list_catalog_models(&self) -> Result<Vec<CatalogRow>> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM catalog_models ORDER BY created_at, id"))
            .fetch_all(self.pool())
            .await?)
    }

    pub async fn catalog_model(&self, id: &str) -> Result<Option<CatalogRow>> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM catalog_models WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Writes every field of an existing row; `None` if there is no such row.
    pub async fn update_catalog_model(&self, id: &str, f: &CatalogFields) -> Result<Option<CatalogRow>> {
        let sql = format!(
            "UPDATE catalog_models SET connection_id = $2, upstream_id = $3, display_name = $4, \
             context_window = $5, max_output = $6, input_price_per_mtok = $7, output_price_per_mtok = $8, \
             cached_input_price_per_mtok = $9, vision = $10, tools = $11, json_output = $12, enabled = $13, \
             access = $14, default_params = $15, fallbacks = $16, updated_at = $17 WHERE id = $1 \
             RETURNING {COLUMNS}"
        );
        with_fields(&sql, id, f).fetch_optional(self.pool()).await.map_err(|e| already_there(e, f))
    }

    /// Deletes a row; false if there was none.
    pub async fn delete_catalog_model(&self, id: &str) -> Result<bool> {
        let n = sqlx::query("DELETE FROM catalog_models WHERE id = $1").bind(id).execute(self.pool()).await?;
        Ok(n.rows_affected() > 0)
    }

    /// Deletes a connection's rows (when the connection is removed); how many went.
    pub async fn delete_catalog_models_of(&self, connection_id: &str) -> Result<u64> {
        let n = sqlx::query("DELETE FROM catalog_models WHERE connection_id = $1")
            .bind(connection_id)
            .execute(self.pool())
            .await?;
        Ok(n.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::test_support::temp_db;

    #[tokio::test]
    async fn rows_round_trip_with_their_overrides_and_a_model_is_added_once() {
        let (db, _dir) = temp_db().await;
        let mut f = CatalogFields::new("c1", "claude-a");
        f.display_name = Some("Claude A".into());
        f.input_price_per_mtok = Some(1.25);
        f.context_window = Some(200_000);
        f.vision = Some(1);
        let row = db.insert_catalog_model(&f).await.unwrap();
        assert_eq!(CatalogFields::from(row.clone()), f);
        assert!(matches!(db.insert_catalog_model(&f).await, Err(Error::Conflict(_))));
        assert!(!db.ensure_catalog_model("c1", "claude-a").await.unwrap(), "already there");
        assert!(db.ensure_catalog_model("c1", "claude-b").await.unwrap());
        assert!(db.ensure_catalog_model("c2", "claude-a").await.unwrap(), "another connection's model");

        f.enabled = 0;
        f.access = "admins".into();
        f.input_price_per_mtok = None;
        let updated = db.update_catalog_model(&row.id, &f).await.unwrap().unwrap();
        assert_eq!((updated.enabled, updated.access.as_str(), updated.input_price_per_mtok), (0, "admins", None));
        assert_eq!(db.catalog_model(&row.id).await.unwrap(), Some(updated));
        assert!(db.update_catalog_model("nope", &f).await.unwrap().is_none());

        assert_eq!(db.list_catalog_models().await.unwrap().len(), 3);
        assert_eq!(db.delete_catalog_models_of("c1").await.unwrap(), 2);
        assert!(!db.delete_catalog_model(&row.id).await.unwrap());
        let left = db.list_catalog_models().await.unwrap();
        assert_eq!(left.len(), 1);
        assert!(db.delete_catalog_model(&left[0].id).await.unwrap());
    }
}
