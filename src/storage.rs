//! Storage: one connection pool, chosen by the database URL.
//!
//! Callers use the typed methods in the submodules (`db.user_by_email(..)`), never SQL. Queries use
//! `$1` placeholders and portable types (TEXT ids, INTEGER millisecond timestamps), so adding the
//! PostgreSQL driver and its migrations later changes nothing for callers.

mod api_keys;
mod chunks;
mod conversations;
mod documents;
mod instance_settings;
mod jobs;
mod knowledge_bases;
mod messages;
mod replies;
mod sessions;
mod users;

use std::{path::Path, str::FromStr, time::Duration};

pub use api_keys::ApiKeyAuth;
pub use api_keys::ApiKeyRow;
pub use chunks::{ChunkFingerprint, ChunkHit, NewChunk, decode_vector, encode_vector};
pub use conversations::ConversationRow;
pub use documents::{DocumentRow, DocumentSummary, NewDocument};
pub use jobs::{JobProgress, JobRow};
pub use knowledge_bases::{KnowledgeBaseRow, KnowledgeBaseSummary};
pub use messages::{MessageRow, MessageStatus};
pub use replies::NewExchange;
pub use sessions::{RefreshTokenRow, SessionAuth, SessionRow};
pub use users::{Role, UserRow, UserStatus};

use sqlx::{
    AnyPool, Executor,
    any::{AnyConnectOptions, AnyPoolOptions},
};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The database handle shared by the whole app (cheap to clone).
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
}

impl Db {
    /// Connects, creating the SQLite file (and its directory) if needed, and applies migrations.
    #[tracing::instrument(skip_all, err)]
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        if let Some(path) = sqlite_path(url)
            && let Some(dir) = Path::new(&path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("cannot create the database directory {}: {e}", dir.display()))?;
        }
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    if conn.backend_name() == "SQLite" {
                        // WAL lets readers proceed during a write; NORMAL sync is safe with WAL;
                        // the busy timeout makes concurrent writers wait instead of failing.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let db = Self { pool };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        SQLITE_MIGRATIONS.run(&self.pool).await?;
        Ok(())
    }

    /// True when the database answers and every migration this build knows is applied.
    pub async fn ready(&self) -> bool {
        let applied: Result<i64, _> = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&self.pool)
            .await;
        matches!(applied, Ok(n) if n as usize >= SQLITE_MIGRATIONS.iter().count())
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The file path inside a `sqlite:` URL, without query parameters.
fn sqlite_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

/// A new time-ordered id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// True when `e` is a unique-constraint violation (duplicate email, ...).
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::Db;

    /// A fresh, migrated database in a temporary directory (kept alive by the returned guard).
    pub async fn temp_db() -> (Db, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        (Db::connect(&url).await.expect("connect"), dir)
    }
}
