//! Storage: one connection pool, chosen by the database URL.
//!
//! Callers use the typed methods in the submodules (`db.user_by_email(..)`), never SQL. The URL picks
//! the database: `sqlite:` (the embedded default) or `postgres:`/`postgresql:`. Each has its own
//! migrations (`migrations/sqlite`, `migrations/postgres`: the same tables), and queries are one
//! portable SQL text with `$1` placeholders and portable types (TEXT ids, 64-bit millisecond
//! timestamps and integers, blobs). The few statements that cannot be portable branch on
//! [`Backend`] where they are written (keyword search, the first-user lock).

mod api_keys;
mod attachments;
mod catalog;
mod chunks;
mod connections;
mod conversations;
mod documents;
mod imports;
mod instance_settings;
mod jobs;
mod keyword;
mod knowledge_bases;
mod ledger;
mod message_search;
mod messages;
mod pipeline_shares;
mod pipelines;
mod replies;
mod sessions;
#[cfg(any(test, feature = "fakes"))]
mod testing;
mod users;

use std::{path::Path, str::FromStr, time::Duration};

pub use api_keys::ApiKeyAuth;
pub use api_keys::ApiKeyRow;
pub use attachments::{AttachmentPayload, AttachmentRow, NewAttachment};
pub use catalog::{CatalogFields, CatalogRow};
pub use chunks::{ChunkFingerprint, ChunkHit, NewChunk, decode_vector, encode_vector};
pub use connections::{ConnectionFields, ConnectionRow};
pub use conversations::{ConversationList, ConversationRow};
pub use documents::{DocumentRow, DocumentSummary, NewDocument};
pub use imports::{ImportedConversation, ImportedMessage};
pub use jobs::{JobProgress, JobRow};
pub use knowledge_bases::{KnowledgeBaseRow, KnowledgeBaseSummary};
pub use ledger::{LedgerFilter, LedgerGroup, LedgerRow, LedgerTotal, ReplyUsage};
pub use message_search::{MessageMatch, TitleMatch};
pub use messages::{MessageRow, MessageStatus};
pub use pipeline_shares::{PipelineShareRow, SharedPipelineRow};
pub use pipelines::{NodeRunRow, PipelineRow, RunRow};
pub use replies::NewExchange;
pub use sessions::{RefreshTokenRow, SessionAuth, SessionRow};
#[cfg(any(test, feature = "fakes"))]
pub use testing::TempDb;
pub use users::{Role, UserRow, UserStatus};

use sqlx::{
    AnyConnection, AnyPool, Connection, Executor,
    any::{AnyConnectOptions, AnyPoolOptions},
};

/// How long connecting (or waiting for a pooled connection) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend of a database URL, by its scheme; None for any other scheme.
    pub fn of_url(url: &str) -> Option<Self> {
        let scheme = url.split_once(':')?.0.to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Some(Self::Sqlite),
            "postgres" | "postgresql" => Some(Self::Postgres),
            _ => None,
        }
    }

    fn migrator(self) -> &'static sqlx::migrate::Migrator {
        match self {
            Self::Sqlite => &SQLITE_MIGRATIONS,
            Self::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

/// The database handle shared by the whole app (cheap to clone).
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

impl Db {
    /// Connects, creating the SQLite file (and its directory) if needed, and applies migrations.
    /// Errors name `WEBPLUS_DATABASE_URL` and show the URL without its password.
    #[tracing::instrument(skip_all, err)]
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let shown = crate::settings::url_without_password(url);
        let backend = Backend::of_url(url)
            .ok_or_else(|| anyhow::anyhow!("WEBPLUS_DATABASE_URL must be a sqlite: or postgres:// URL, not {shown}"))?;
        let pool = Self::pool_for(url)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the database WEBPLUS_DATABASE_URL={shown}: {e}"))?;
        let db = Self { pool, backend };
        db.migrate()
            .await
            .map_err(|e| anyhow::anyhow!("cannot migrate the database WEBPLUS_DATABASE_URL={shown}: {e}"))?;
        Ok(db)
    }

    async fn pool_for(url: &str) -> anyhow::Result<AnyPool> {
        sqlx::any::install_default_drivers();
        if let Some(path) = sqlite_path(url)
            && let Some(dir) = Path::new(&path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("cannot create the database directory {}: {e}", dir.display()))?;
        }
        let options = AnyConnectOptions::from_str(url)?;
        // One connection first: its error says what is wrong (refused, password, no such database),
        // where the pool would only report a timeout after retrying for `CONNECT_TIMEOUT`.
        let first = tokio::time::timeout(CONNECT_TIMEOUT, AnyConnection::connect_with(&options))
            .await
            .map_err(|_| anyhow::anyhow!("no answer within {} s", CONNECT_TIMEOUT.as_secs()))??;
        first.close().await?;
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(CONNECT_TIMEOUT)
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
        Ok(pool)
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        self.backend.migrator().run(&self.pool).await?;
        Ok(())
    }

    /// True when the database answers and every migration this build knows is applied.
    pub async fn ready(&self) -> bool {
        let applied: Result<i64, _> = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&self.pool)
            .await;
        matches!(applied, Ok(n) if n as usize >= self.backend.migrator().iter().count())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a transaction that writes. On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken
    /// at once, waiting its turn (busy timeout) behind another writer. A deferred `BEGIN` takes it
    /// at the first write, and under WAL that can fail at once with "database is locked" when
    /// another connection committed in between (seen with the ledger writer's commits landing
    /// while an ingestion replaced a document's chunks).
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
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

/// Text from outside (pages, files, messages, titles) as stored: without U+0000, which PostgreSQL's
/// TEXT cannot hold (SQLite's can), so both databases keep the same text and neither refuses it.
pub(crate) fn text(s: &str) -> String {
    s.replace('\0', "")
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
    use super::{Db, TempDb};

    /// A fresh, migrated database (SQLite in a temporary directory, or a new database on the
    /// PostgreSQL server `WEBPLUS_TEST_DATABASE_URL` names), kept alive by the returned guard.
    pub async fn temp_db() -> (Db, TempDb) {
        let temp = TempDb::new().await;
        (Db::connect(temp.url()).await.expect("connect"), temp)
    }
}

#[cfg(test)]
mod tests;
