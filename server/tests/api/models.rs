//! `/api/v1/admin/models`: an administrator adds a connection's model to the catalog over HTTP,
//! `/v1/models` and `/v1/chat/completions` follow (name, access, enabled), bad values are refused
//! with the field named, and a fallback answers when the model cannot start.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use webplus::fakes::{AnthropicFailure, FakeAnthropic, FakeAnthropicConfig};

use crate::helpers::{FAKE_MODEL, TestApp, keyed as send, spawn_app};

/// The chat models `/v1/models` lists (the embedding models follow them).
async fn offered(app: &TestApp, key: &str) -> Vec<(String, String)> {
    let (_, models) = send(app, key, Method::GET, "/v1/models", None).await;
    models["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "chat")
        .map(|m| (m["id"].as_str().unwrap().to_owned(), m["name"].as_str().unwrap().to_owned()))
        .collect()
}

fn ids(list: &[(String, String)]) -> Vec<&str> {
    list.iter().map(|(id, _)| id.as_str()).collect()
}

async fn ask(app: &TestApp, key: &str, model: &str) -> (StatusCode, Value) {
    let body = json!({ "model": model, "messages": [{ "role": "user", "content": "hello" }] });
    send(app, key, Method::POST, "/v1/chat/completions", Some(body)).await
}

#[tokio::test]
async fn an_added_model_is_offered_as_the_catalog_says_and_only_to_whom_it_says() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default().models(["claude-a", "claude-b"])).await;
    let app = spawn_app().await;
    app.register("admin@example.com").await; // the first account is the administrator
    let admin = app.api_key().await;
    let user_app = app.second_browser();
    user_app.register("user@example.com").await;
    let user = user_app.api_key().await;
    let body = json!({ "kind": "anthropic", "name": "claude", "base_url": fake.base_url(),
                       "api_key": FakeAnthropicConfig::default().api_key });
    let (s, created) = send(&app, &admin, Method::POST, "/api/v1/admin/connections", Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let connection = created["id"].as_str().unwrap().to_owned();
    let before = offered(&app, &admin).await;
    assert!(ids(&before).contains(&FAKE_MODEL) && !ids(&before).contains(&"claude/claude-a"), "{before:?}");
    assert_eq!(ask(&app, &admin, "claude/claude-a").await.0, StatusCode::NOT_FOUND);

    let add = json!({ "connection_id": connection, "upstream_id": "claude-a" });
    let (s, entry) = send(&app, &admin, Method::POST, "/api/v1/admin/models", Some(add.clone())).await;
    assert_eq!(
        (s, entry["model"].as_str(), entry["served"].as_bool()),
        (StatusCode::CREATED, Some("claude/claude-a"), Some(true))
    );
    let path = format!("/api/v1/admin/models/{}", entry["id"].as_str().unwrap());
    assert_eq!(send(&app, &admin, Method::POST, "/api/v1/admin/models", Some(add)).await.0, StatusCode::CONFLICT);
    let (s, _) = send(&app, &admin, Method::PATCH, &path, Some(json!({ "name": "Claude A" }))).await;
    assert_eq!(s, StatusCode::OK);
    let listed = offered(&app, &user).await;
    assert!(listed.contains(&("claude/claude-a".into(), "Claude A".into())), "{listed:?}");
    let (s, answer) = ask(&app, &user, "claude/claude-a").await;
    assert_eq!((s, answer["model"].as_str()), (StatusCode::OK, Some("claude/claude-a")), "{answer}");

    // Administrators only: users neither see nor use it; the administrator does.
    let (s, _) = send(&app, &admin, Method::PATCH, &path, Some(json!({ "access": "admins" }))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!ids(&offered(&app, &user).await).contains(&"claude/claude-a"));
    assert_eq!(ask(&app, &user, "claude/claude-a").await.0, StatusCode::NOT_FOUND);
    assert_eq!(ask(&app, &admin, "claude/claude-a").await.0, StatusCode::OK);

    // Bad values name their field and change nothing; users cannot manage the catalog.
    let (s, err) = send(&app, &admin, Method::PATCH, &path, Some(json!({ "output_price_per_mtok": -2 }))).await;
    let message = err["error"]["message"].as_str().unwrap_or_default();
    assert!(s == StatusCode::BAD_REQUEST && message.starts_with("output_price_per_mtok"), "{err}");
    let (s, err) = send(&app, &admin, Method::PATCH, &path, Some(json!({ "colour": "red" }))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(send(&app, &user, Method::GET, "/api/v1/admin/models", None).await.0, StatusCode::FORBIDDEN);
    let (s, list) = send(&app, &admin, Method::GET, "/api/v1/admin/models", None).await;
    assert_eq!((s, list["data"][0]["output_price_per_mtok"].as_f64()), (StatusCode::OK, None), "{list}");

    // Disabled: gone for everyone; removed: gone, and a second removal is 404.
    let (s, _) = send(&app, &admin, Method::PATCH, &path, Some(json!({ "enabled": false }))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ask(&app, &admin, "claude/claude-a").await.0, StatusCode::NOT_FOUND);
    assert_eq!(send(&app, &admin, Method::DELETE, &path, None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(send(&app, &admin, Method::DELETE, &path, None).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_overloaded_model_hands_over_to_its_fallback_and_the_answer_names_it() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default().models(["claude-a"])).await;
    let app = spawn_app().await;
    app.register("admin@example.com").await;
    let admin = app.api_key().await;
    let body = json!({ "kind": "anthropic", "name": "claude", "base_url": fake.base_url(),
                       "api_key": FakeAnthropicConfig::default().api_key, "models": ["claude-a"] });
    let (s, _) = send(&app, &admin, Method::POST, "/api/v1/admin/connections", Some(body)).await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, list) = send(&app, &admin, Method::GET, "/api/v1/admin/models", None).await;
    let path = format!("/api/v1/admin/models/{}", list["data"][0]["id"].as_str().unwrap());
    let (s, err) = send(&app, &admin, Method::PATCH, &path, Some(json!({ "fallbacks": ["nope/x"] }))).await;
    let message = err["error"]["message"].as_str().unwrap_or_default();
    assert!(s == StatusCode::BAD_REQUEST && message.starts_with("fallbacks"), "{err}");
    let (s, _) = send(&app, &admin, Method::PATCH, &path, Some(json!({ "fallbacks": [FAKE_MODEL] }))).await;
    assert_eq!(s, StatusCode::OK);

    fake.fail_next([AnthropicFailure::Overloaded]);
    let (s, answer) = ask(&app, &admin, "claude/claude-a").await;
    assert_eq!((s, answer["model"].as_str()), (StatusCode::OK, Some(FAKE_MODEL)), "{answer}");
    let (s, answer) = ask(&app, &admin, "claude/claude-a").await;
    assert_eq!((s, answer["model"].as_str()), (StatusCode::OK, Some("claude/claude-a")), "the model itself again");
}
