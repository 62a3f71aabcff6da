//! Loading indexes on whichever database the tests run on: a rebuild answers searches by exact
//! scan until its graph is ready, saved files load without one, and a failed load is retried.

use std::sync::Arc;
use std::time::Duration;

use super::Indexes;
use crate::{
    Error,
    storage::{Db, NewChunk, NewDocument, UserStatus, test_support::temp_db},
};

/// A knowledge base owned by `owner`, of 3-d chunks: ids of the vectors `(1, 0, 0)`, `(1, 1, 0)`, `(0, 1, 0)` and
/// `(0, 0, 1)`, in that order.
async fn kb_with_vectors(db: &Db, owner: &str) -> (String, Vec<u64>) {
    let user = db.create_user(owner, "h", None, UserStatus::Active).await.unwrap();
    let kb = db.create_knowledge_base(&user.id, "vectors", "test:hashed", 3).await.unwrap();
    let doc = NewDocument {
        kb_id: &kb.id,
        source: "web",
        url: Some("https://x.example/"),
        file_name: None,
        kind: "html",
        title: "X",
        content_hash: "h",
        bytes: 1,
        job_id: None,
    };
    let doc = db.insert_document(&doc).await.unwrap();
    let vectors = [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    let chunks: Vec<NewChunk> = vectors
        .iter()
        .enumerate()
        .map(|(ord, v)| NewChunk { ord, heading_path: "X".into(), text: format!("chunk {ord}"), embedding: v.to_vec() })
        .collect();
    let (_, added) = db.replace_chunks(&kb.id, &doc.id, &chunks).await.unwrap();
    (kb.id, added.into_iter().map(|id| id as u64).collect())
}

fn ids(found: &[(u64, f32)]) -> Vec<u64> {
    found.iter().map(|(id, _)| *id).collect()
}

#[tokio::test]
async fn searches_during_a_rebuild_are_answered_by_exact_scan_and_the_built_graph_agrees() {
    let (db, temp) = temp_db().await;
    let (kb, chunk) = kb_with_vectors(&db, "ix@x.io").await;
    let indexes = Arc::new(Indexes::new(temp.path().join("indexes"), db.clone()));
    indexes.shared.builds_open.send_replace(false);

    // No files: the stored vectors are read and scanned while the build is held. (The time limit
    // only turns a search that waits for the held build into a failure instead of a hang.)
    let search = indexes.search(&kb, vec![1.0, 0.2, 0.0], 3);
    let found = tokio::time::timeout(Duration::from_secs(60), search).await.expect("answered while held").unwrap();
    assert_eq!(ids(&found), [chunk[0], chunk[1], chunk[2]]);
    assert!(indexes.scanning(&kb), "the graph is not built yet");
    // A change waits for the graph (it has to go into it); searches meanwhile still scan.
    let writer = {
        let indexes = indexes.clone();
        let kb = kb.clone();
        tokio::spawn(async move { indexes.apply(&kb, &[], vec![(999, vec![0.0, 1.0, 1.0])]).await })
    };
    assert_eq!(ids(&indexes.search(&kb, vec![0.0, 0.1, 1.0], 1).await.unwrap()), [chunk[3]]);
    assert!(!writer.is_finished(), "the change waits for the graph");

    indexes.shared.builds_open.send_replace(true);
    writer.await.unwrap().unwrap();
    assert!(!indexes.scanning(&kb));
    let index = indexes.get(&kb).await.unwrap();
    assert_eq!(index.live(), 5, "the change reached the built graph");
    let found = indexes.search(&kb, vec![1.0, 0.2, 0.0], 3).await.unwrap();
    assert_eq!(ids(&found), [chunk[0], chunk[1], chunk[2]]);
    assert_eq!(ids(&indexes.search(&kb, vec![0.0, 0.9, 1.0], 1).await.unwrap()), [999]);
}

#[tokio::test]
async fn saved_files_load_without_a_build_and_a_failed_load_is_tried_again() {
    let (db, temp) = temp_db().await;
    let (kb, chunk) = kb_with_vectors(&db, "ix@x.io").await;
    let dir = temp.path().join("indexes");
    let indexes = Indexes::new(dir.clone(), db.clone());
    assert_eq!(indexes.get(&kb).await.unwrap().live(), 4);
    indexes.save(&kb).await.unwrap();

    // As after a restart, with builds held: the files match the database, so nothing is built.
    let restarted = Indexes::new(dir, db.clone());
    restarted.shared.builds_open.send_replace(false);
    let found = restarted.search(&kb, vec![0.0, 0.1, 1.0], 1).await.unwrap();
    assert_eq!(ids(&found), [chunk[3]]);
    assert!(!restarted.scanning(&kb));

    let missing = restarted.search("no-such-kb", vec![1.0, 0.0, 0.0], 1).await;
    assert!(matches!(missing, Err(Error::NotFound("knowledge base"))), "{missing:?}");
    assert!(restarted.shared.slots.read("no-such-kb", |_| ()).is_none(), "the next use tries again");
}

#[tokio::test]
async fn stored_vectors_are_read_once_each_in_id_order_across_the_parallel_ranges() {
    let (db, temp) = temp_db().await;
    let (kb, mut expected) = kb_with_vectors(&db, "ix@x.io").await;
    // Another knowledge base's chunks between this one's, then more of this one's.
    let (_, others) = kb_with_vectors(&db, "other@x.io").await;
    let (more, _) = {
        let doc = NewDocument {
            kb_id: &kb,
            source: "web",
            url: Some("https://x.example/more"),
            file_name: None,
            kind: "html",
            title: "More",
            content_hash: "m",
            bytes: 1,
            job_id: None,
        };
        let doc = db.insert_document(&doc).await.unwrap();
        let chunks: Vec<NewChunk> = (0..7)
            .map(|ord| NewChunk {
                ord,
                heading_path: "More".into(),
                text: format!("more {ord}"),
                embedding: vec![ord as f32, 1.0, 2.0],
            })
            .collect();
        (db.replace_chunks(&kb, &doc.id, &chunks).await.unwrap().1, doc)
    };
    expected.extend(more.iter().map(|&id| id as u64));
    let indexes = Indexes::new(temp.path().join("indexes"), db.clone());

    let f = db.chunk_fingerprint(&kb).await.unwrap();
    // The last range is open-ended: a chunk past the fingerprint's range is read too.
    let ranges = [f.min_id as i64..=f.max_id as i64, f.min_id as i64..=more[3]];
    for ids in ranges {
        let read = indexes.shared.read_vectors(&kb, ids.clone()).await.unwrap();
        let read_ids: Vec<u64> = read.iter().map(|(id, _)| *id as u64).collect();
        assert_eq!(read_ids, expected, "range {ids:?}");
        assert!(others.iter().all(|o| !read_ids.contains(o)));
        assert_eq!(read[4].1, [0.0, 1.0, 2.0]);
        assert_eq!(read[10].1, [6.0, 1.0, 2.0]);
    }
}
