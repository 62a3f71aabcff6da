//! Export and import over HTTP: downloads with the right headers, a JSON export imported back
//! (with an API key, and from the browser with its cookies), ChatGPT's `conversations.json`, bad
//! files refused with what is wrong, and other users' conversations out of reach.

use std::time::Duration;

use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use webplus::fakes::FakeOpenAiConfig;

use crate::helpers::{TestApp, spawn_app_with};

const CHATGPT: &str = include_str!("../../../src/chat/testdata/chatgpt_conversations.json");

async fn import(app: &TestApp, key: &str, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/conversations/import"))
        .bearer_auth(key)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_conversation_downloads_as_markdown_or_json_and_the_json_imports_back() {
    let app = spawn_app_with(FakeOpenAiConfig::default().reply_text("Use **Team**.")).await;
    app.register("a@example.com").await;
    let key = app.api_key().await;
    let (_, c) = app.call("chat/create", json!({ "title": "Which plan?" })).await;
    let conv = c["id"].as_str().unwrap().to_string();
    let (_, sent) =
        app.call("chat/send", json!({ "conversation_id": conv, "content": "Which plan fits 5 people?" })).await;
    app.sse(&format!("/api/messages/{}/events", sent["reply"]["id"].as_str().unwrap()), Duration::from_secs(10)).await;

    let res = app.get(&format!("/api/v1/conversations/{conv}/export")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert_eq!(h[header::CONTENT_TYPE], "text/markdown; charset=utf-8");
    assert_eq!(h[header::CONTENT_DISPOSITION], "attachment; filename=\"which-plan.md\"");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let md = res.text().await.unwrap();
    assert!(md.contains("## You\n\nWhich plan fits 5 people?") && md.contains("Use **Team**."), "{md}");

    let res = app.get(&format!("/api/v1/conversations/{conv}/export?format=json")).await;
    assert_eq!(res.headers()[header::CONTENT_DISPOSITION], "attachment; filename=\"which-plan.json\"");
    let exported = res.bytes().await.unwrap();
    let file: Value = serde_json::from_slice(&exported).unwrap();
    assert_eq!(
        (file["format"].as_str(), file["messages"].as_array().map(Vec::len)),
        (Some("webplus.conversation"), Some(2))
    );

    // Back in with an API key: a second conversation with the same messages.
    let (s, v) = import(&app, &key, exported.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["conversations"][0]["title"].as_str(), v["conversations"][0]["messages"].as_u64()),
        (Some("Which plan?"), Some(2))
    );
    let copy = v["conversations"][0]["id"].as_str().unwrap();
    let (_, detail) = app.call("chat/get", json!({ "id": copy })).await;
    assert_eq!(detail["page"]["messages"][1]["content"], "Use **Team**.");
    assert!(detail["page"]["messages"][1]["html"][0].as_str().unwrap().contains("<strong>Team</strong>"));

    // From the browser (cookies, same origin), as the settings page sends it.
    let res = app
        .client
        .post(app.url("/api/v1/conversations/import"))
        .header(header::COOKIE, app.cookie_header().unwrap_or_default())
        .header(header::ORIGIN, app.url(""))
        .body(CHATGPT)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    assert_eq!(
        (v["conversations"][0]["title"].as_str(), v["skipped_messages"].as_u64()),
        (Some("Trip to Lisbon"), Some(3))
    );
    let (_, list) = app.call("chat/conversations", json!({})).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn bad_files_and_formats_are_refused_with_what_is_wrong_and_strangers_get_404() {
    let app = spawn_app_with(FakeOpenAiConfig::default()).await;
    app.register("a@example.com").await;
    let key = app.api_key().await;
    let (_, c) = app.call("chat/create", json!({})).await;
    let conv = c["id"].as_str().unwrap().to_string();

    let (s, v) = import(&app, &key, "<html>not a file we know</html>").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v.to_string().contains("conversations.json"), "{v}");
    let (s, v) = import(&app, &key, "[{\"mapping\": 3}]").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v.to_string().contains("could not be read as JSON"), "{v}");

    let res = app.get(&format!("/api/v1/conversations/{conv}/export?format=pdf")).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("markdown or json"));

    // Without a session, and as another user: nothing.
    let stranger = app.second_browser();
    assert_eq!(stranger.get(&format!("/api/v1/conversations/{conv}/export")).await.status(), StatusCode::UNAUTHORIZED);
    stranger.register("b@example.com").await;
    assert_eq!(stranger.get(&format!("/api/v1/conversations/{conv}/export")).await.status(), StatusCode::NOT_FOUND);
    // A cookie write from another origin is refused before it is read.
    let res = app
        .client
        .post(app.url("/api/v1/conversations/import"))
        .header(header::COOKIE, app.cookie_header().unwrap_or_default())
        .header(header::ORIGIN, "https://evil.example")
        .body(CHATGPT)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, list) = app.call("chat/conversations", json!({})).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}
