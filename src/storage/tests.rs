//! The storage module's own tests: URLs, schema parity between the databases, connection errors.

use super::Backend;

#[test]
fn the_url_scheme_picks_the_backend() {
    assert_eq!(Backend::of_url("sqlite://data/webplus.db?mode=rwc"), Some(Backend::Sqlite));
    assert_eq!(Backend::of_url("sqlite::memory:"), Some(Backend::Sqlite));
    assert_eq!(Backend::of_url("postgres://u:p@db:5432/webplus"), Some(Backend::Postgres));
    assert_eq!(Backend::of_url("PostgreSQL://db/webplus"), Some(Backend::Postgres));
    assert_eq!(Backend::of_url("mysql://db/webplus"), None);
    assert_eq!(Backend::of_url("webplus.db"), None);
}

#[test]
fn both_databases_have_the_same_migrations() {
    let names =
        |m: &sqlx::migrate::Migrator| m.iter().map(|m| (m.version, m.description.to_string())).collect::<Vec<_>>();
    assert_eq!(names(&super::SQLITE_MIGRATIONS), names(&super::POSTGRES_MIGRATIONS));
}

/// On PostgreSQL runs this compares its schema with SQLite's (on SQLite runs, SQLite's with itself).
#[tokio::test]
async fn every_table_has_the_same_columns_on_this_database_as_on_sqlite() {
    async fn columns(db: &super::Db) -> Vec<(String, Vec<String>)> {
        let sql = match db.backend() {
            super::Backend::Sqlite => "SELECT name FROM pragma_table_info($1) ORDER BY cid",
            super::Backend::Postgres => {
                "SELECT CAST(column_name AS TEXT) FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
            }
        };
        let mut out = Vec::new();
        for table in TABLES {
            let cols: Vec<String> = sqlx::query_scalar(sql).bind(table).fetch_all(db.pool()).await.unwrap();
            out.push((table.to_string(), cols));
        }
        out
    }
    const TABLES: [&str; 17] = [
        "users",
        "sessions",
        "refresh_tokens",
        "api_keys",
        "conversations",
        "messages",
        "knowledge_bases",
        "knowledge_base_shares",
        "documents",
        "chunks",
        "jobs",
        "conversation_knowledge_bases",
        "instance_settings",
        "usage_ledger",
        "connections",
        "catalog_models",
        "chat_presets",
    ];
    let (db, _temp) = super::test_support::temp_db().await;
    let sqlite_dir = tempfile::tempdir().unwrap();
    let sqlite = super::Db::connect(&crate::settings::sqlite_url_in(sqlite_dir.path())).await.unwrap();
    let (mut here, there) = (columns(&db).await, columns(&sqlite).await);
    // The tsvector columns are PostgreSQL's FTS5 tables: keyword search, not data.
    for (table, cols) in &mut here {
        if table == "chunks" || table == "messages" {
            cols.retain(|c| c != "search");
        }
    }
    assert!(there.iter().all(|(_, cols)| cols.len() >= 2), "{there:?}");
    assert_eq!(here, there);
}

#[test]
fn a_url_is_shown_without_its_password() {
    assert_eq!(crate::settings::url_without_password("postgres://me:s3:cr@t@db/x"), "postgres://me:[redacted]@db/x");
    assert_eq!(crate::settings::url_without_password("postgres://me@db/x"), "postgres://me@db/x");
    assert_eq!(crate::settings::url_without_password("sqlite://data/w.db"), "sqlite://data/w.db");
}

#[tokio::test]
async fn millisecond_timestamps_far_beyond_32_bits_round_trip() {
    let (db, _temp) = super::test_support::temp_db().await;
    let user = db.create_user("t@x.io", "h", None, super::UserStatus::Active).await.unwrap();
    // The year 3000 in milliseconds: 2^44, where a 32-bit column would overflow or wrap.
    let far = 32_503_680_000_000_i64;
    db.create_session("s1", &user.id, far, "token-hash", None).await.unwrap();
    assert_eq!(db.session_auth("s1").await.unwrap().unwrap().expires_at, far);
    assert!(user.created_at > i64::from(i32::MAX), "now in ms is past 2^31 too");
}

#[tokio::test]
async fn text_with_nul_characters_is_stored_without_them() {
    let (db, _temp) = super::test_support::temp_db().await;
    let user = db.create_user("n@x.io", "h", None, super::UserStatus::Active).await.unwrap();
    let c = db.create_conversation(&user.id, "a\0b", "m", None).await.unwrap();
    assert_eq!(c.title, "ab");
    let role = crate::domain::MessageRole::User;
    let m = db.insert_message(&c.id, role, "x\0y", super::MessageStatus::Complete, None).await.unwrap();
    assert_eq!(m.content, "xy");
}

#[tokio::test]
async fn an_unreachable_database_is_named_by_its_setting_without_the_password() {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    let e = super::Db::connect("postgres://webplus:hunter2@127.0.0.1:1/webplus").await.unwrap_err();
    let msg = format!("{e:#}");
    assert!(msg.contains("WEBPLUS_DATABASE_URL"), "{msg}");
    assert!(msg.contains("127.0.0.1:1"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
}

/// Migration 0013 turns the conversations written before branches into single lines: each
/// message follows the one before it, and the newest one ends the branch on show.
#[tokio::test]
async fn conversations_from_before_branches_become_single_branches() {
    use std::borrow::Cow;

    let temp = super::TempDb::new().await;
    let backend = super::Backend::of_url(temp.url()).unwrap();
    let pool = super::Db::pool_for(temp.url()).await.unwrap();
    let all = backend.migrator();
    let before = sqlx::migrate::Migrator {
        migrations: Cow::Owned(all.iter().filter(|m| m.version < 13).cloned().collect()),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    before.run(&pool).await.unwrap();
    for sql in [
        "INSERT INTO users (id, email, password_hash, role, created_at, updated_at) \
         VALUES ('u', 'u@example.com', 'h', 'user', 1, 1)",
        "INSERT INTO conversations (id, user_id, title, model, created_at, updated_at) VALUES ('c', 'u', 't', 'm', 1, 1)",
        "INSERT INTO conversations (id, user_id, title, model, created_at, updated_at) VALUES ('e', 'u', 't', 'm', 1, 1)",
        // Same timestamps for a question and its reply: ids break the tie, as the app writes them.
        "INSERT INTO messages (id, conversation_id, role, content, status, created_at, updated_at) VALUES \
         ('m1', 'c', 'user', 'q', 'complete', 10, 10), ('m2', 'c', 'assistant', 'a', 'complete', 10, 10), \
         ('m3', 'c', 'user', 'q', 'complete', 20, 20), ('m4', 'c', 'assistant', 'a', 'complete', 20, 20)",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    all.run(&pool).await.unwrap();

    let links: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT id, parent_id FROM messages ORDER BY id").fetch_all(&pool).await.unwrap();
    let expected = [("m1", None), ("m2", Some("m1")), ("m3", Some("m2")), ("m4", Some("m3"))];
    assert_eq!(links, expected.map(|(id, p)| (id.to_string(), p.map(str::to_string))));
    let leaves: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT id, current_leaf_id FROM conversations ORDER BY id").fetch_all(&pool).await.unwrap();
    assert_eq!(leaves, [("c".to_string(), Some("m4".to_string())), ("e".to_string(), None)]);
}

/// Chunk ids are never handed out twice (on SQLite since migration 0020), so a saved index of a
/// knowledge base can never pass for current after its newest chunks were replaced by as many
/// others. Chunks written before the migration keep their ids and are still found by keyword.
#[tokio::test]
async fn chunk_ids_are_never_reused_and_older_chunks_keep_theirs() {
    use std::borrow::Cow;

    let temp = super::TempDb::new().await;
    let backend = super::Backend::of_url(temp.url()).unwrap();
    let pool = super::Db::pool_for(temp.url()).await.unwrap();
    let before = sqlx::migrate::Migrator {
        migrations: Cow::Owned(backend.migrator().iter().filter(|m| m.version < 20).cloned().collect()),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    before.run(&pool).await.unwrap();
    for sql in [
        "INSERT INTO users (id, email, password_hash, role, created_at, updated_at) \
         VALUES ('u', 'u@example.com', 'h', 'user', 1, 1)",
        "INSERT INTO knowledge_bases (id, owner_id, name, embedding_model, embedding_dims, created_at, updated_at) \
         VALUES ('kb', 'u', 'docs', 'test:hashed', 4, 1, 1)",
        "INSERT INTO documents (id, kb_id, source, kind, title, content_hash, bytes, created_at, updated_at) \
         VALUES ('d', 'kb', 'file', 'markdown', 'Pricing', 'h', 1, 1, 1)",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    let mut old_ids = Vec::new();
    for (ord, text) in ["Seats cost 12 euros.", "Invoices go out monthly."].into_iter().enumerate() {
        let insert = "INSERT INTO chunks (document_id, kb_id, ord, heading_path, text, embedding) \
                      VALUES ('d', 'kb', $1, 'Pricing', $2, $3) RETURNING id";
        let id: i64 =
            sqlx::query_scalar(insert).bind(ord as i64).bind(text).bind(vec![0u8; 16]).fetch_one(&pool).await.unwrap();
        old_ids.push(id);
    }
    pool.close().await;

    // The remaining migrations run here.
    let db = super::Db::connect(temp.url()).await.unwrap();
    let found = db.keyword_search("kb", &["invoices".to_string()], 10).await.unwrap();
    assert_eq!(found.iter().map(|h| h.0).collect::<Vec<_>>(), [old_ids[1]], "kept its id and its keywords");
    let chunk = |text: &str| super::NewChunk {
        ord: 0,
        heading_path: "Pricing".into(),
        text: text.into(),
        embedding: vec![0.5; 4],
    };
    // The newest chunks replaced by as many: the new ones get ids never used before.
    let (removed, added) =
        db.replace_chunks("kb", "d", &[chunk("Seats are free."), chunk("No invoices.")]).await.unwrap();
    assert_eq!(removed, old_ids);
    let newest = *old_ids.iter().max().unwrap();
    assert!(added.iter().all(|id| *id > newest), "{added:?} after {old_ids:?}");
    let (_, again) = db.replace_chunks("kb", "d", &[chunk("Seats cost 9 euros.")]).await.unwrap();
    assert!(again[0] > *added.iter().max().unwrap(), "{again:?} after {added:?}");
    let found = db.keyword_search("kb", &["seats".to_string()], 10).await.unwrap();
    assert_eq!(found.iter().map(|h| h.0).collect::<Vec<_>>(), again, "the triggers keep FTS in step");
}
