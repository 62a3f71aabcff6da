//! The keyword index on its own: analysis, ranking, updates, and refusing a stale or broken copy.

use super::{KeywordIndex, keyword_text, query_terms};
use crate::index::Fingerprint;

fn chunks() -> Vec<(u64, String)> {
    [
        (1, "Pricing", "What Fjordlight plans cost and how billing works."),
        (2, "Pricing › Key facts", "The Team plan costs 12 euros per seat per month.\nInvoices are sent by email."),
        (3, "Support", "How to reach the support team."),
        (4, "Support › Key facts", "Support is available from 8:00 to 18:00 CET on weekdays."),
        (7, "History › Key facts", "Fjordlight was founded in 2015 in Bergen."),
    ]
    .into_iter()
    .map(|(id, path, text)| (id, keyword_text(path, text)))
    .collect()
}

fn built(dir: &std::path::Path) -> KeywordIndex {
    let mut builder = KeywordIndex::build(dir).unwrap();
    builder.add(&chunks()).unwrap();
    builder.finish().unwrap()
}

fn ids(hits: &[(u64, f32)]) -> Vec<u64> {
    hits.iter().map(|h| h.0).collect()
}

#[test]
fn questions_find_the_chunk_stating_the_fact_first_and_scores_fall() {
    let temp = tempfile::tempdir().unwrap();
    let index = built(&temp.path().join("kw"));
    for (question, fact) in [
        ("How much does the Team plan cost per seat?", 2),
        ("What hours is support available?", 4),
        ("When and where was the company founded?", 7),
    ] {
        let hits = index.search(question, 10).unwrap();
        assert_eq!(hits.first().map(|h| h.0), Some(fact), "{question}: {hits:?}");
        assert!(hits.windows(2).all(|w| w[0].1 >= w[1].1), "best first: {hits:?}");
    }
    assert_eq!(index.search("founded", 10).unwrap().len(), 1);
    assert_eq!(index.search("support", 1).unwrap().len(), 1, "the limit holds");
}

#[test]
fn words_match_their_other_forms_and_stop_words_and_syntax_match_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let index = built(&temp.path().join("kw"));
    // "seats" and "invoiced" stem to the words of "… per seat per month. Invoices are sent …".
    assert_eq!(ids(&index.search("seats invoiced", 10).unwrap()), [2]);
    assert_eq!(query_terms("What is the price, and the PRICES?"), ["what", "price"]);
    assert!(index.search("the and of is", 10).unwrap().is_empty(), "stop words only");
    for q in ["NEAR(\"team\" OR plan*)", "team & !plan | (seat:*)", "'; DROP TABLE chunks; --", "text:seat"] {
        index.search(q, 10).unwrap();
    }
    assert!(index.search("", 10).unwrap().is_empty());
}

#[test]
fn applied_changes_are_searchable_at_once_and_survive_a_reopen() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("kw");
    let index = built(&dir);
    // Chunk 2 is replaced by 9 (an edited document), chunk 4 removed, 2 re-added with new words.
    index.apply(&[2, 4], &[(9, keyword_text("Pricing", "Lighthouse keepers pay nothing."))]).unwrap();
    assert_eq!(ids(&index.search("keepers", 10).unwrap()), [9]);
    assert!(index.search("seat", 10).unwrap().is_empty());
    assert!(index.search("weekdays", 10).unwrap().is_empty());
    index.apply(&[], &[(9, keyword_text("Pricing", "Keepers pay twice."))]).unwrap();
    assert_eq!(ids(&index.search("keepers", 10).unwrap()), [9], "a re-added id replaces its text");
    assert!(index.search("nothing", 10).unwrap().is_empty());
    let fingerprint = index.fingerprint();
    assert_eq!(fingerprint, Fingerprint::of_ids([1, 3, 7, 9].into_iter()));
    drop(index);
    let reopened = KeywordIndex::open(&dir, &fingerprint).unwrap().expect("current");
    assert_eq!(reopened.len(), 4);
    assert_eq!(ids(&reopened.search("keepers twice", 10).unwrap()), [9]);
}

#[test]
fn a_stale_missing_or_broken_index_is_not_opened() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("kw");
    assert!(KeywordIndex::open(&dir, &Fingerprint::default()).unwrap().is_none(), "missing");
    let fingerprint = built(&dir).fingerprint();
    assert_eq!(fingerprint, Fingerprint::of_ids([1, 2, 3, 4, 7].into_iter()));
    let other = Fingerprint { count: 6, ..fingerprint };
    assert!(KeywordIndex::open(&dir, &other).unwrap().is_none(), "the database holds another chunk");
    assert!(KeywordIndex::open(&dir, &fingerprint).unwrap().is_some());
    // A segment file cut short: refused (logged), never a panic.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "idx" || e == "term") {
            std::fs::write(&path, b"x").unwrap();
        }
    }
    assert!(KeywordIndex::open(&dir, &fingerprint).unwrap().is_none(), "broken files");
    KeywordIndex::delete(&dir);
    assert!(!dir.exists());
}

#[test]
fn an_index_written_with_another_analysis_is_not_opened() {
    use tantivy::schema::{FAST, INDEXED, Schema, TextFieldIndexing, TextOptions};

    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("kw");
    std::fs::create_dir_all(&dir).unwrap();
    // The same fields and a current fingerprint, but terms from an older analyzer.
    let mut builder = Schema::builder();
    let id = builder.add_u64_field("id", INDEXED | FAST);
    let indexing = TextFieldIndexing::default().set_tokenizer("default");
    let text = builder.add_text_field("text", TextOptions::default().set_indexing_options(indexing));
    let index = tantivy::Index::create_in_dir(&dir, builder.build()).unwrap();
    let writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
    let mut doc = tantivy::TantivyDocument::default();
    doc.add_u64(id, 1);
    doc.add_text(text, "Seats cost 12 euros.");
    writer.add_document(doc).unwrap();
    let fingerprint = Fingerprint::of_ids([1].into_iter());
    super::commit(writer, &fingerprint).unwrap();
    assert!(KeywordIndex::open(&dir, &fingerprint).unwrap().is_none());
    // Rebuilt, it opens.
    let mut rebuilt = KeywordIndex::build(&dir).unwrap();
    rebuilt.add(&[(1, "Seats cost 12 euros.".into())]).unwrap();
    rebuilt.finish().unwrap();
    assert!(KeywordIndex::open(&dir, &fingerprint).unwrap().is_some());
}
