//! Ledger rows on this test run's database (SQLite, and PostgreSQL in `make unit`'s second pass).

use super::*;
use crate::storage::test_support::temp_db;

const DAY: i64 = MS_PER_DAY;

fn row(user: Option<&str>, model: &str, started_at: i64, tokens: Option<(i64, i64)>) -> LedgerRow {
    LedgerRow {
        id: String::new(),
        started_at,
        user_id: user.map(str::to_owned),
        api_key_id: None,
        knowledge_base_id: None,
        conversation_id: None,
        message_id: None,
        surface: "api".into(),
        provider: "openai".into(),
        model: model.into(),
        outcome: if tokens.is_some() { "complete" } else { "cancelled" }.into(),
        input_tokens: tokens.map(|t| t.0),
        output_tokens: tokens.map(|t| t.1),
        ttft_ms: Some(12),
        duration_ms: 340,
        // Model "a" has prices (a nano-dollar an input token, two an output token), "b" none.
        cost_nano_usd: if model == "a" { tokens.map(|(i, o)| i + 2 * o) } else { None },
        tokens_counted: i64::from(model == "b"),
    }
}

#[tokio::test]
async fn rows_round_trip_and_filters_narrow() {
    let (db, _temp) = temp_db().await;
    // Day 20000 is in 2024; timestamps far beyond 32 bits.
    let t = 20_000 * DAY;
    let mut keyed = row(Some("u1"), "a", t + 5, Some((10, 20)));
    keyed.api_key_id = Some("k1".into());
    keyed.conversation_id = Some("c1".into());
    keyed.message_id = Some("m1".into());
    db.insert_ledger_rows(&[
        keyed.clone(),
        row(Some("u1"), "b", t + DAY, Some((1, 2))),
        row(Some("u2"), "a", t + 2 * DAY, None),
        row(None, "a", t + 3, Some((7, 0))),
    ])
    .await
    .unwrap();

    let all = db.ledger_rows(&LedgerFilter::default(), 100).await.unwrap();
    assert_eq!(all.len(), 4);
    assert!(all.windows(2).all(|w| w[0].started_at >= w[1].started_at), "newest first");
    let stored = all.iter().find(|r| r.message_id.is_some()).unwrap();
    assert!(!stored.id.is_empty());
    assert_eq!(LedgerRow { id: String::new(), ..stored.clone() }, keyed);

    let mine = LedgerFilter { user_id: Some("u1".into()), ..Default::default() };
    assert_eq!(db.ledger_rows(&mine, 100).await.unwrap().len(), 2);
    assert_eq!(db.ledger_rows(&mine, 1).await.unwrap()[0].model, "b", "the limit keeps the newest");
    let window = LedgerFilter { from_ms: Some(t + DAY), to_ms: Some(t + 2 * DAY), ..Default::default() };
    let rows = db.ledger_rows(&window, 100).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.model.as_str()).collect::<Vec<_>>(), ["b"], "from inclusive, to exclusive");
    let model_a = LedgerFilter { model: Some("a".into()), user_id: Some("u2".into()), ..Default::default() };
    assert_eq!(db.ledger_rows(&model_a, 100).await.unwrap().len(), 1);
}

#[tokio::test]
async fn totals_sum_tokens_per_model_user_and_day() {
    let (db, _temp) = temp_db().await;
    let t = 20_000 * DAY;
    db.insert_ledger_rows(&[
        row(Some("u1"), "a", t, Some((10, 20))),
        row(Some("u1"), "a", t + 1, Some((5, 5))),
        row(Some("u1"), "b", t + DAY, Some((1, 2))),
        row(Some("u2"), "a", t + DAY, None),
        row(None, "b", t + 2 * DAY, Some((3_000_000_000, 1))),
    ])
    .await
    .unwrap();
    let all = LedgerFilter::default();
    // (key, calls, input, output, cost, calls with tokens but no cost)
    let total = |key: &str, calls, i, o, cost, unpriced| LedgerTotal {
        key: key.into(),
        calls,
        input_tokens: i,
        output_tokens: o,
        cost_nano_usd: cost,
        unpriced_calls: unpriced,
    };

    assert_eq!(db.ledger_totals(&all, None).await.unwrap(), [total("", 5, 3_000_000_016, 28, 65, 2)]);
    assert_eq!(
        db.ledger_totals(&all, Some(LedgerGroup::Model)).await.unwrap(),
        [total("a", 3, 15, 25, 65, 0), total("b", 2, 3_000_000_001, 3, 0, 2)]
    );
    assert_eq!(
        db.ledger_totals(&all, Some(LedgerGroup::User)).await.unwrap(),
        [total("", 1, 3_000_000_000, 1, 0, 1), total("u1", 3, 16, 27, 65, 1), total("u2", 1, 0, 0, 0, 0)]
    );
    assert_eq!(
        db.ledger_totals(&all, Some(LedgerGroup::Day)).await.unwrap(),
        [total("20000", 2, 15, 25, 65, 0), total("20001", 2, 1, 2, 0, 1), total("20002", 1, 3_000_000_000, 1, 0, 1)]
    );
    let none = LedgerFilter { user_id: Some("nobody".into()), ..Default::default() };
    assert_eq!(db.ledger_totals(&none, None).await.unwrap(), [total("", 0, 0, 0, 0, 0)]);
    assert!(db.ledger_totals(&none, Some(LedgerGroup::Model)).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_batch_larger_than_one_statement_stores_every_row_as_given() {
    let (db, _temp) = temp_db().await;
    // Two full statements and part of a third, each row different in every value it has.
    let n = 2 * ROWS_PER_INSERT + 7;
    let rows: Vec<LedgerRow> = (0..n as i64)
        .map(|i| {
            let mut r = row(Some(&format!("u{i}")), if i % 2 == 0 { "a" } else { "b" }, 1_000 + i, Some((i, 2 * i)));
            r.ttft_ms = Some(i);
            r.duration_ms = 10 * i;
            r
        })
        .collect();
    db.insert_ledger_rows(&rows).await.unwrap();

    let mut stored = db.ledger_rows(&LedgerFilter::default(), 1000).await.unwrap();
    assert_eq!(stored.len(), n);
    stored.sort_by_key(|r| r.started_at);
    let mut ids: Vec<_> = stored.iter().map(|r| r.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "each row has its own id");
    let without_ids: Vec<_> = stored.into_iter().map(|r| LedgerRow { id: String::new(), ..r }).collect();
    assert_eq!(without_ids, rows);
}

#[test]
fn placeholders_number_every_value_of_every_row() {
    let one = placeholders(1, Backend::Postgres);
    assert_eq!(one, format!("({})", (1..=17).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")));
    let two = placeholders(2, Backend::Postgres);
    assert!(two.starts_with("($1, ") && two.contains("$17), ($18, ") && two.ends_with("$34)"), "{two}");
    let sqlite = placeholders(2, Backend::Sqlite);
    assert_eq!(sqlite, format!("({0}), ({0})", vec!["?"; 17].join(", ")));
}
