//! Keyword search on whichever database the tests run on (`WEBPLUS_TEST_DATABASE_URL`): the same
//! questions must find the same handbook pages on SQLite (BM25) and PostgreSQL (ts_rank).

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

/// The words around each fact on the fake site's pages (`fakes/site/handbook.rs`): the intro, and
/// the sentence after the fact.
const AROUND: [(&str, &str); 6] = [
    ("What Fjordlight plans cost and how billing works.", "Invoices are sent by email."),
    ("How to reach the support team.", "Looking for old prices? See the old pricing page."),
    ("How customer data is protected.", "Security reviews happen before every release."),
    ("How programs talk to Fjordlight.", "Requests over the limit get HTTP status 429."),
    ("Working at Fjordlight.", "Curious where we come from? Read our history."),
    ("Where Fjordlight comes from.", "The first product was a lighthouse logbook app."),
];

/// A knowledge base holding the handbook's pages as ingestion chunks them (the intro under the
/// page's title, then the fact and the next sentence under "Key facts"), and the index page.
/// Returns the knowledge base id and (chunk id, page path) pairs.
async fn handbook_kb(db: &Db) -> (String, Vec<(i64, &'static str)>) {
    let user = db.create_user("kw@x.io", "h", None, UserStatus::Active).await.unwrap();
    let kb = db.create_knowledge_base(&user.id, "handbook", "test:hashed", 4).await.unwrap();
    let index = "Welcome to the Fjordlight handbook.\nPricing\nSupport\nSecurity\nAPI\nCareers\n\
                 Staff only: the vault. System status: status page. Our logo for the press.";
    let mut pages = vec![("/", "Fjordlight Handbook", vec![("", index.to_string())])];
    for (p, (intro, next)) in HANDBOOK.iter().zip(AROUND) {
        pages.push((p.path, p.title, vec![("", intro.to_string()), ("Key facts", format!("{}\n{next}", p.fact))]));
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
        // The page's last chunk states its fact; its intro must not come first.
        let fact = ids.iter().filter(|(_, p)| *p == page).map(|(id, _)| *id).max().unwrap();
        assert_eq!(hits.first().map(|h| h.0), Some(fact), "{question} on {:?}: {hits:?} of {ids:?}", db.backend());
        assert!(hits.windows(2).all(|w| w[0].1 >= w[1].1), "best first: {hits:?}");
    }
}

#[tokio::test]
async fn words_match_their_other_forms_and_query_syntax_is_plain_text() {
    let (db, _temp) = temp_db().await;
    let (kb, ids) = handbook_kb(&db).await;
    let pricing_fact = ids.iter().filter(|(_, p)| *p == "/pricing").map(|(id, _)| *id).max().unwrap();
    // "seats" and "invoiced" stem to the words of "… per seat per month. Invoices are sent …".
    let hits = db.keyword_search(&kb, &words("seats invoiced"), 10).await.unwrap();
    assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), [pricing_fact], "{hits:?}");
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
