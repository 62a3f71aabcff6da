//! `GET /api/v1/usage`: every `/v1` call is in the caller's ledger; only admins read others'.

use reqwest::StatusCode;
use serde_json::{Value, json};
use webplus::fakes::FakeOpenAiConfig;

use crate::helpers::{FAKE_MODEL, TestApp, read_sse, spawn_app_with};

async fn get(app: &TestApp, key: &str, query: &str) -> (StatusCode, Value) {
    let res = app.client.get(app.url(&format!("/api/v1/usage{query}"))).bearer_auth(key).send().await.unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn complete(app: &TestApp, key: &str, stream: bool) -> Value {
    let res = app
        .client
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&json!({ "model": FAKE_MODEL, "stream": stream, "messages": [{ "role": "user", "content": "hi" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    if stream {
        read_sse(res, std::time::Duration::from_secs(30)).await;
        Value::Null
    } else {
        res.json().await.unwrap()
    }
}

#[tokio::test]
async fn each_v1_call_is_one_ledger_row_its_owner_reads_and_admins_can_group() {
    let app = spawn_app_with(FakeOpenAiConfig::default().reply_text("Hello there")).await;
    app.register("admin@example.com").await; // the first account is the administrator
    let admin_key = app.api_key().await;
    let dev = app.second_browser();
    dev.register("dev@example.com").await;
    let dev_key = dev.api_key().await;

    let answer = complete(&app, &dev_key, false).await;
    complete(&app, &dev_key, true).await;
    app.services.ledger.flush().await;

    let (s, mine) = get(&app, &dev_key, "").await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    let rows = mine["data"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{mine}");
    let sent = &answer["usage"];
    assert!(
        rows.iter()
            .any(|r| r["input_tokens"] == sent["prompt_tokens"] && r["output_tokens"] == sent["completion_tokens"]),
        "the ledger has the tokens the response reported: {mine}"
    );
    for r in rows {
        assert_eq!(
            (r["surface"].as_str(), r["model"].as_str(), r["outcome"].as_str()),
            (Some("api"), Some(FAKE_MODEL), Some("complete"))
        );
        assert!(r["api_key_id"].is_string() && r["ttft_ms"].is_i64(), "{r}");
        assert_eq!(r["tokens_counted"], false, "the fake reports usage: {r}");
    }
    let dev_id = rows[0]["user_id"].as_str().unwrap().to_owned();
    assert_eq!(mine["total"]["calls"], 2);

    // Each call's cost at the model's list prices from the bundled table.
    let facts = webplus::catalog::PriceTable::bundled()
        .lookup(webplus::connections::ConnectionKind::Openai, crate::helpers::FAKE_UPSTREAM_MODEL)
        .expect("the table prices the fake's model");
    let (pin, pout) = (facts.input_per_mtok.unwrap(), facts.output_per_mtok.unwrap());
    let mut sum = 0.0;
    for r in rows {
        let (i, o) = (r["input_tokens"].as_f64().unwrap(), r["output_tokens"].as_f64().unwrap());
        let expected = (i * pin + o * pout) / 1e6;
        let cost = r["cost_usd"].as_f64().unwrap_or(-1.0);
        assert!(cost > 0.0 && (cost - expected).abs() < 1e-9, "cost {cost} for {i}+{o} tokens, expected {expected}");
        sum += cost;
    }
    assert!((mine["total"]["cost_usd"].as_f64().unwrap() - sum).abs() < 1e-9, "{mine}");
    assert_eq!(mine["total"]["unpriced_calls"], 0);

    // Nobody else's rows: the admin's own ledger is empty, and a user cannot read another's.
    assert_eq!(get(&app, &admin_key, "").await.1["total"]["calls"], 0);
    let admin_id = app.services.db.user_by_email("admin@example.com").await.unwrap().unwrap().id;
    let (s, refused) = get(&app, &dev_key, &format!("?user={admin_id}")).await;
    assert_eq!((s, refused["error"]["type"].as_str()), (StatusCode::FORBIDDEN, Some("permission_error")), "{refused}");

    let (s, grouped) = get(&app, &admin_key, &format!("?user={dev_id}&group_by=model")).await;
    assert_eq!(s, StatusCode::OK, "{grouped}");
    assert!(grouped.get("data").is_none());
    assert_eq!(grouped["groups"][0]["key"], FAKE_MODEL);
    assert_eq!(grouped["groups"][0]["calls"], 2);
    let (_, everyone) = get(&app, &admin_key, "?user=all&group_by=user").await;
    assert_eq!(everyone["groups"].as_array().unwrap().len(), 1, "{everyone}");
    let (_, future) = get(&app, &dev_key, "?from=2100-01-01").await;
    assert_eq!(future["total"]["calls"], 0);
}

#[tokio::test]
async fn bad_parameters_are_named_in_the_error() {
    let app = spawn_app_with(FakeOpenAiConfig::default()).await;
    app.register("dev@example.com").await;
    let key = app.api_key().await;
    for (query, names) in [
        ("?group_by=week", "group_by"),
        ("?from=yesterday", "from"),
        ("?limit=0", "limit"),
        ("?limit=many", "limit"),
        ("?from=2026-11-30&to=2026-11-01", "to"),
        ("?users=all", "\"users\""),
    ] {
        let (s, v) = get(&app, &key, query).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{query}: {v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{query}: {message}");
    }
    let res = app.client.get(app.url("/api/v1/usage")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
