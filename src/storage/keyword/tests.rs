//! Keyword search on whichever database the tests run on (`WEBPLUS_TEST_DATABASE_URL`): the same
//! questions must find the same handbook pages on SQLite (BM25) and PostgreSQL (ts_rank_cd).

use super::{fts5_any, tsquery_any};
use crate::{
    fakes::HANDBOOK,
    storage::{Db, NewChunk, NewDocument, UserStatus, test_support::temp_db},
};

/// The handbook's questions (as in the API tests) and the page whose fact answers each.
const QUESTIONS: [(&str, &str); 6] = [
    ("How much does the Team plan cost per seat?", "/pricing"),
    ("What hours is support available?", "/support"),
    ("How long are backups kept and how are they encrypted?", "/security"),
    ("What is the API rate limit?", "/api"),
    ("How large is the yearly learning budget for employees?", "/careers"),
    ("When and where was the company founded?", "/history"),
];

/// A knowledge base holding the handbook's pages as ingestion chunks them (the page's intro
/// under its title, then its fact under "Key facts"), plus a page of navigation words.
/// Returns the knowledge base id and (chunk id, page path) pairs.
async fn handbook_kb(db: &Db) -> (String, Vec<(i64, &'static str)>) {
    let user = db.create_user("kw@x.io", "h", None, UserStatus::Active).await.unwrap();
    let kb = db.create_knowledge_base(&user.id, "handbook", "test:hashed", 4).await.unwrap();
    let mut pages = vec![(
        "/",
        "Fjordlight Handbook",
        vec![("", "Welcome to the Fjordlight handbook. Pricing Support Security API Careers")],
    )];
    for p in &HANDBOOK {
        pages.push((
            p.path,
            p.title,
            vec![("", "An introduction to this part of the handbook."), ("Key facts", p.fact)],
        ));
    }
    let mut ids = Vec::new();
    for (path, title, sections) in pages {
        let url = format!("https://handbook.example{path}");
        let doc = NewDocument {
            kb_id: &kb.id,
            source: "web",
            url: Some(&url),
            file_name: None,
            kind: "html",
            title,
            content_hash: "h",
            bytes: 1,
            job_id: None,
        };
        let doc = db.insert_document(&doc).await.unwrap();
        let chunks: Vec<NewChunk> = sections
            .iter()
            .enumerate()
            .map(|(ord, (heading, text))| NewChunk {
                ord,
                heading_path: [title, heading]
                    .iter()
                    .filter(|h| !h.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" › "),
                text: text.to_string(),
                embedding: vec![0.5; 4],
            })
            .collect();
        let (_, added) = db.replace_chunks(&kb.id, &doc.id, &chunks).await.unwrap();
        ids.extend(added.into_iter().map(|id| (id, path)));
    }
    (kb.id, ids)
}

fn words(q: &str) -> Vec<String> {
    crate::sitechat::keyword_query(q).unwrap()
}

#[tokio::test]
async fn each_handbook_question_finds_the_chunk_stating_its_fact_first() {
    let (db, _temp) = temp_db().await;
    let (kb, ids) = handbook_kb(&db).await;
    for (question, page) in QUESTIONS {
        let hits = db.keyword_search(&kb, &words(question), 10).await.unwrap();
        let top = ids.iter().find(|(id, _)| *id == hits[0].0).unwrap();
        assert_eq!(top.1, page, "{question} on {:?}: {hits:?}", db.backend());
        assert!(hits.windows(2).all(|w| w[0].1 >= w[1].1), "best first: {hits:?}");
    }
}

#[tokio::test]
async fn words_match_their_other_forms_and_query_syntax_is_plain_text() {
    let (db, _temp) = temp_db().await;
    let (kb, ids) = handbook_kb(&db).await;
    let pricing_fact = ids.iter().find(|(_, p)| *p == "/pricing").map(|(id, _)| *id + 1).unwrap();
    // "costing" and "plans" stem to the words of "The Team plan costs …".
    let hits = db.keyword_search(&kb, &words("costing plans"), 10).await.unwrap();
    assert_eq!(hits.first().map(|h| h.0), Some(pricing_fact), "{hits:?}");
    // Operators of either query language are words here (or dropped), never syntax errors.
    for q in ["NEAR(\"team\" OR plan*)", "team & !plan | (seat:*)", "'; DROP TABLE chunks; --"] {
        db.keyword_search(&kb, &words(q), 10).await.unwrap();
    }
    assert_eq!(db.keyword_search(&kb, &["te'am".to_string()], 10).await.unwrap(), vec![]);
    // A chunk of another knowledge base never comes back.
    assert!(db.keyword_search("another-kb", &words("Team plan"), 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn replaced_chunks_are_found_by_their_new_words_only() {
    let (db, _temp) = temp_db().await;
    let (kb, ids) = handbook_kb(&db).await;
    let doc = db.list_documents(&kb).await.unwrap().into_iter().find(|d| d.doc.title == "Pricing").unwrap().doc;
    let chunk = NewChunk {
        ord: 0,
        heading_path: "Pricing".into(),
        text: "Lighthouse keepers pay nothing.".into(),
        embedding: vec![0.5; 4],
    };
    let (removed, added) = db.replace_chunks(&kb, &doc.id, &[chunk]).await.unwrap();
    assert_eq!(removed.len(), 2);
    assert!(ids.iter().all(|(id, _)| !added.contains(id)), "ids are never reused");
    let hits = db.keyword_search(&kb, &words("keepers"), 10).await.unwrap();
    assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), added);
    assert!(db.keyword_search(&kb, &words("seat"), 10).await.unwrap().is_empty());
}

#[test]
fn each_term_is_quoted_in_both_query_languages() {
    assert_eq!(fts5_any(&["price", "near"]), "\"price\" OR \"near\"");
    assert_eq!(tsquery_any(&["price", "near"]), "'price' | 'near'");
}
