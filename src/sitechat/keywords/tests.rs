//! The keyword indexes over a real database (whichever `WEBPLUS_TEST_DATABASE_URL` names): built
//! from the stored chunks, kept up to date, reopened after a restart (also while rebuilds are
//! paused), rebuilt when stale, and searches answered by the database while a rebuild waits or runs.

use std::sync::atomic::Ordering;

use super::{Keywords, Phase};
use crate::storage::{Db, NewChunk, NewDocument, UserStatus, test_support::temp_db};

fn chunk(ord: usize, heading_path: &str, text: &str) -> NewChunk {
    NewChunk { ord, heading_path: heading_path.into(), text: text.into(), embedding: vec![0.5; 4] }
}

/// A knowledge base with a pricing page and a support page. Returns its id, the pricing
/// document's id and the chunk ids (pricing intro, pricing fact, support fact).
async fn kb(db: &Db) -> (String, String, Vec<i64>) {
    let user = db.create_user("kwi@x.io", "h", None, UserStatus::Active).await.unwrap();
    let kb = db.create_knowledge_base(&user.id, "docs", "test:hashed", 4).await.unwrap();
    let mut ids = Vec::new();
    let mut pricing = String::new();
    for (title, chunks) in [
        (
            "Pricing",
            vec![
                chunk(0, "Pricing", "What plans cost and how billing works."),
                chunk(1, "Pricing › Key facts", "The Team plan costs 12 euros per seat per month."),
            ],
        ),
        ("Support", vec![chunk(0, "Support › Key facts", "Support is available on weekdays from 8:00 to 18:00.")]),
    ] {
        let doc = NewDocument {
            kb_id: &kb.id,
            source: "file",
            url: None,
            file_name: Some("page.md"),
            kind: "markdown",
            title,
            content_hash: title,
            bytes: 1,
            job_id: None,
        };
        let doc = db.insert_document(&doc).await.unwrap();
        if title == "Pricing" {
            pricing = doc.id.clone();
        }
        ids.extend(db.replace_chunks(&kb.id, &doc.id, &chunks).await.unwrap().1);
    }
    (kb.id, pricing, ids)
}

fn is_ready(keywords: &Keywords, kb: &str) -> bool {
    keywords.shared.slots.read(kb, |p| matches!(p, Phase::Ready(_))).unwrap_or(false)
}

fn first(hits: &[(i64, f64)]) -> Option<i64> {
    hits.first().map(|h| h.0)
}

#[tokio::test]
async fn searches_are_answered_by_the_database_during_a_rebuild_then_by_the_index() {
    let (db, temp) = temp_db().await;
    let (kb, _, ids) = kb(&db).await;
    let keywords = Keywords::new(temp.path().join("keywords"), db.clone());
    let paused = keywords.pause_rebuilds();
    let hits = keywords.search(&kb, "Team plan seat", 10).await.unwrap();
    assert_eq!(first(&hits), Some(ids[1]), "the database answers meanwhile: {hits:?}");
    assert!(!is_ready(&keywords, &kb));
    drop(paused);
    assert!(keywords.ready(&kb).await.is_some());
    assert_eq!(keywords.shared.rebuilt.load(Ordering::SeqCst), 1);
    let hits = keywords.search(&kb, "Team plan seat", 10).await.unwrap();
    assert_eq!(first(&hits), Some(ids[1]), "{hits:?}");
    let hits = keywords.search(&kb, "When is support available?", 10).await.unwrap();
    assert_eq!(first(&hits), Some(ids[2]), "{hits:?}");
    assert!(keywords.search(&kb, "?!", 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn changes_are_applied_kept_across_a_restart_and_a_stale_index_is_rebuilt() {
    let (db, temp) = temp_db().await;
    let (kb, pricing, ids) = kb(&db).await;
    let dir = temp.path().join("keywords");
    let keywords = Keywords::new(dir.clone(), db.clone());
    assert!(keywords.ready(&kb).await.is_some());
    // The pricing page is edited: its two chunks are replaced by one.
    let new = [chunk(0, "Pricing", "Lighthouse keepers pay nothing.")];
    let (removed, added) = db.replace_chunks(&kb, &pricing, &new).await.unwrap();
    assert_eq!(removed, ids[..2]);
    keywords
        .apply(
            &kb,
            &removed,
            added
                .iter()
                .copied()
                .zip(new.iter().map(|c| (c.heading_path.clone(), c.text.clone())))
                .map(|(id, (p, t))| (id, p, t))
                .collect(),
        )
        .await
        .unwrap();
    assert_eq!(first(&keywords.search(&kb, "keepers", 10).await.unwrap()), Some(added[0]));
    assert!(keywords.search(&kb, "seat euros", 10).await.unwrap().is_empty());
    drop(keywords);

    // A restart opens the files: no rebuild, so opening does not wait while rebuilds are paused
    // (as start-up pauses them).
    let reopened = Keywords::new(dir.clone(), db.clone());
    let paused = reopened.pause_rebuilds();
    assert!(reopened.ready(&kb).await.is_some());
    drop(paused);
    assert_eq!(reopened.shared.rebuilt.load(Ordering::SeqCst), 0);
    assert_eq!(first(&reopened.search(&kb, "keepers", 10).await.unwrap()), Some(added[0]));
    drop(reopened);

    // The database changed while no index was open (a crash before the commit): rebuilt.
    let edit = [chunk(0, "Pricing", "Harbour pilots pay twice."), chunk(1, "Pricing", "Nothing else changes.")];
    let (_, later) = db.replace_chunks(&kb, &pricing, &edit).await.unwrap();
    let restarted = Keywords::new(dir.clone(), db.clone());
    assert!(restarted.ready(&kb).await.is_some());
    assert_eq!(restarted.shared.rebuilt.load(Ordering::SeqCst), 1);
    assert_eq!(first(&restarted.search(&kb, "harbour pilots", 10).await.unwrap()), Some(later[0]));
    assert!(restarted.search(&kb, "keepers", 10).await.unwrap().is_empty());

    // Deleting the knowledge base deletes its index.
    restarted.forget(&kb);
    assert!(!dir.join(format!("kb-{kb}")).exists());
}

#[tokio::test]
async fn an_unknown_knowledge_base_finds_nothing_and_takes_no_writes() {
    let (db, temp) = temp_db().await;
    let keywords = Keywords::new(temp.path().join("keywords"), db.clone());
    assert!(keywords.search("no-such-kb", "seat", 10).await.unwrap().is_empty());
    keywords.apply("no-such-kb", &[1], vec![(2, "Pricing".into(), "seat".into())]).await.unwrap();
    assert!(!temp.path().join("keywords").join("kb-no-such-kb").exists());
}
