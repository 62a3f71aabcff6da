//! Test databases: the same tests run on SQLite or PostgreSQL.
//!
//! By default a test gets a SQLite file in a temporary directory. With `WEBPLUS_TEST_DATABASE_URL`
//! set to a PostgreSQL server (`.ci/postgres.sh run …` sets it), each test gets a database of its
//! own on that server instead, created here and dropped when the guard is.

use std::path::Path;

use sqlx::{AnyConnection, Connection, Executor};

use super::Backend;

/// The environment variable naming the PostgreSQL server tests use (its maintenance database,
/// e.g. `postgres://postgres@127.0.0.1:5433/postgres`). Unset: SQLite.
pub const TEST_DATABASE_URL: &str = "WEBPLUS_TEST_DATABASE_URL";

/// A temporary data directory and a fresh, empty database for one test (not yet migrated:
/// `Db::connect(temp.url())` migrates it, as the app does at start-up).
#[derive(Debug)]
pub struct TempDb {
    dir: tempfile::TempDir,
    url: String,
    /// The server's maintenance URL and the database name, to drop it afterwards.
    postgres: Option<(String, String)>,
}

impl TempDb {
    /// Panics when the test server cannot be reached: a test that silently fell back to SQLite
    /// would pass for the wrong reason.
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = std::env::var(TEST_DATABASE_URL).ok().filter(|v| !v.trim().is_empty());
        let Some(server) = server else {
            let url = crate::settings::sqlite_url_in(dir.path());
            return Self { dir, url, postgres: None };
        };
        assert_eq!(Backend::of_url(&server), Some(Backend::Postgres), "{TEST_DATABASE_URL} must be a postgres:// URL");
        let name = format!("webplus_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin(&server).await;
        conn.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("CREATE DATABASE");
        conn.close().await.ok();
        let mut url = url::Url::parse(&server).expect("WEBPLUS_TEST_DATABASE_URL parses");
        url.set_path(&name);
        Self { dir, url: url.to_string(), postgres: Some((server, name)) }
    }

    /// The database URL (the app's `database_url`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The data directory (indexes, uploads; the SQLite file too when on SQLite).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

async fn admin(server: &str) -> AnyConnection {
    sqlx::any::install_default_drivers();
    AnyConnection::connect(server)
        .await
        .unwrap_or_else(|e| panic!("{TEST_DATABASE_URL}: cannot connect to the test server: {e}"))
}

impl Drop for TempDb {
    /// Drops the PostgreSQL database, so a suite leaves no databases behind on the server. On a
    /// thread of its own: `Drop` runs inside tests' runtimes, which cannot be blocked on.
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else { return };
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                let mut conn = admin(&server).await;
                // FORCE: the app under test may still hold pooled connections to it.
                conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await.map(drop)
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop the test database: {e}");
        }
    }
}
