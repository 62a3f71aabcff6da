//! `/api/v1/admin/connections`: an administrator connects Anthropic (the in-process fake) over
//! HTTP, its models answer through `/v1` under qualified ids, and no response carries the key.

use reqwest::StatusCode;
use serde_json::{Value, json};
use webplus::fakes::{FakeAnthropic, FakeAnthropicConfig};

use crate::helpers::{FAKE_MODEL, TestApp, keyed as send, read_sse, spawn_app};

async fn admin_app() -> (TestApp, String) {
    let app = spawn_app().await;
    app.register("admin@example.com").await; // the first account is the administrator
    let key = app.api_key().await;
    (app, key)
}

async fn chat(app: &TestApp, key: &str, model: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&json!({ "model": model, "stream": true, "messages": [{ "role": "user", "content": "hello" }] }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_connects_anthropic_and_its_models_answer_through_v1_without_the_key_ever_coming_back() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default().models(["claude-a", "claude-b"])).await;
    let secret = FakeAnthropicConfig::default().api_key;
    let (app, key) = admin_app().await;
    let body = json!({ "kind": "anthropic", "name": "claude", "base_url": fake.base_url(), "api_key": secret,
                       "models": ["claude-a"] });
    let (s, created) = send(&app, &key, reqwest::Method::POST, "/api/v1/admin/connections", Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert_eq!((created["has_key"].as_bool(), created["source"].as_str()), (Some(true), Some("admin")));
    assert!(!created.to_string().contains(&secret), "{created}");
    let id = created["id"].as_str().unwrap().to_owned();

    let (s, listed) = send(&app, &key, reqwest::Method::GET, "/api/v1/admin/connections", None).await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<&str> = listed["data"].as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["openai", "claude"], "the settings' connection first: {listed}");
    assert!(!listed.to_string().contains(&secret));

    let (_, models) = send(&app, &key, reqwest::Method::GET, "/v1/models", None).await;
    let ids: Vec<&str> = models["data"].as_array().unwrap().iter().filter_map(|m| m["id"].as_str()).collect();
    assert!(
        ids.contains(&"claude/claude-a") && ids.contains(&FAKE_MODEL) && !ids.contains(&"claude/claude-b"),
        "{ids:?}"
    );

    let res = chat(&app, &key, "claude/claude-a").await;
    assert_eq!(res.status(), StatusCode::OK);
    let events = read_sse(res, std::time::Duration::from_secs(30)).await;
    assert!(events.iter().any(|(_, data)| data.contains("\"content\"")), "{events:?}");
    assert_eq!(fake.message_bodies()[0]["model"], "claude-a", "Anthropic got its own model id");

    let (s, report) =
        send(&app, &key, reqwest::Method::POST, &format!("/api/v1/admin/connections/{id}/test"), None).await;
    assert_eq!(
        (s, report["ok"].as_bool(), report["models"].as_u64()),
        (StatusCode::OK, Some(true), Some(2)),
        "{report}"
    );
    let path = format!("/api/v1/admin/connections/{id}/available-models");
    let (_, available) = send(&app, &key, reqwest::Method::GET, &path, None).await;
    let offered: Vec<(&str, bool)> = available["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["model"].as_str().unwrap_or(""), m["offered"].as_bool().unwrap_or(false)))
        .collect();
    assert_eq!(offered, [("claude/claude-a", true), ("claude/claude-b", false)]);

    let (s, _) = send(&app, &key, reqwest::Method::DELETE, &format!("/api/v1/admin/connections/{id}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(chat(&app, &key, "claude/claude-a").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_refused_key_reaches_users_in_plain_words_and_an_admin_fixes_it_with_a_patch() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default().models(["claude-a"])).await;
    let (app, key) = admin_app().await;
    let body =
        json!({ "kind": "anthropic", "name": "claude", "base_url": fake.base_url(), "api_key": "sk-ant-revoked" });
    let (_, created) = send(&app, &key, reqwest::Method::POST, "/api/v1/admin/connections", Some(body)).await;
    let id = created["id"].as_str().unwrap().to_owned();
    // The configured model list is empty, so listing asks Anthropic, which refuses the key: no models.
    let path = format!("/api/v1/admin/connections/{id}");
    let (s, _) = send(&app, &key, reqwest::Method::PATCH, &path, Some(json!({ "models": ["claude-a"] }))).await;
    assert_eq!(s, StatusCode::OK);

    let res = chat(&app, &key, "claude/claude-a").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let err: Value = res.json().await.unwrap();
    let message = err["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("Anthropic") && message.contains("Admin → Connections"), "{err}");
    assert!(!message.contains("authentication_error") && !message.contains("sk-ant"), "{err}");

    let (s, report) = send(&app, &key, reqwest::Method::POST, &format!("{path}/test"), None).await;
    assert_eq!((s, report["ok"].as_bool()), (StatusCode::OK, Some(false)));
    assert!(report["error"].as_str().unwrap_or_default().contains("refused the key"), "{report}");

    let secret = FakeAnthropicConfig::default().api_key;
    let (s, patched) = send(&app, &key, reqwest::Method::PATCH, &path, Some(json!({ "api_key": secret }))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!patched.to_string().contains(&secret));
    let res = chat(&app, &key, "claude/claude-a").await;
    assert_eq!(res.status(), StatusCode::OK);

    let (s, refused) = send(&app, &key, reqwest::Method::PATCH, &path, Some(json!({ "api_key": null }))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "Anthropic needs a key: {refused}");
    assert!(refused["error"]["message"].as_str().unwrap_or_default().starts_with("api_key:"), "{refused}");
    let (s, err) = send(&app, &key, reqwest::Method::PATCH, &path, Some(json!({ "colour": "red" }))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
}

#[tokio::test]
async fn only_administrators_manage_connections_and_settings_ones_are_read_only() {
    let (app, admin_key) = admin_app().await;
    let user = app.second_browser();
    user.register("user@example.com").await;
    let user_key = user.api_key().await;
    let (s, _) = send(&app, &user_key, reqwest::Method::GET, "/api/v1/admin/connections", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let body = json!({ "kind": "ollama", "name": "lab" });
    let (s, _) = send(&app, &user_key, reqwest::Method::POST, "/api/v1/admin/connections", Some(body)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let bad = json!({ "kind": "openai", "name": "Has Space", "base_url": "http://127.0.0.1:9/v1" });
    let (s, err) = send(&app, &admin_key, reqwest::Method::POST, "/api/v1/admin/connections", Some(bad)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(err["error"]["message"].as_str().unwrap_or_default().starts_with("name:"), "{err}");
    let unknown_kind = json!({ "kind": "gemini", "name": "g" });
    let (s, _) = send(&app, &admin_key, reqwest::Method::POST, "/api/v1/admin/connections", Some(unknown_kind)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let taken = json!({ "kind": "openai", "name": "openai", "base_url": "http://127.0.0.1:9/v1" });
    let (s, _) = send(&app, &admin_key, reqwest::Method::POST, "/api/v1/admin/connections", Some(taken)).await;
    assert_eq!(s, StatusCode::CONFLICT);

    let path = "/api/v1/admin/connections/settings-openai";
    let (s, declared) = send(&app, &admin_key, reqwest::Method::GET, path, None).await;
    assert_eq!((s, declared["source"].as_str()), (StatusCode::OK, Some("settings")));
    let (s, _) = send(&app, &admin_key, reqwest::Method::PATCH, path, Some(json!({ "name": "x" }))).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = send(&app, &admin_key, reqwest::Method::DELETE, path, None).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = send(&app, &admin_key, reqwest::Method::GET, "/api/v1/admin/connections/nope", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn parameters_reach_providers_that_take_them_and_others_are_dropped_and_named() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default().models(["claude-a"])).await;
    let (app, key) = admin_app().await;
    let body = json!({ "kind": "anthropic", "name": "claude", "base_url": fake.base_url(),
                       "api_key": FakeAnthropicConfig::default().api_key, "models": ["claude-a"] });
    let (s, _) = send(&app, &key, reqwest::Method::POST, "/api/v1/admin/connections", Some(body)).await;
    assert_eq!(s, StatusCode::CREATED);
    let params = json!({ "stop": ["END"], "presence_penalty": 0.5, "frequency_penalty": -0.5, "seed": 7,
                         "messages": [{ "role": "user", "content": "hello" }] });
    let with = |model: &str| {
        let mut b = params.clone();
        b["model"] = json!(model);
        b
    };

    // OpenAI-compatible: everything is sent.
    let res = app.client.post(app.url("/v1/chat/completions")).bearer_auth(&key).json(&with(FAKE_MODEL)).send().await;
    let res = res.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("x-webplus-dropped-params").is_none());
    let sent = app.chat_requests().last().cloned().unwrap();
    assert_eq!((&sent["stop"], &sent["presence_penalty"], &sent["seed"]), (&json!(["END"]), &json!(0.5), &json!(7)));

    // Anthropic: stop sequences go, the seed and the penalties are dropped and named.
    let res =
        app.client.post(app.url("/v1/chat/completions")).bearer_auth(&key).json(&with("claude/claude-a")).send().await;
    let res = res.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let dropped = res.headers().get("x-webplus-dropped-params").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert_eq!(dropped, "seed, presence_penalty, frequency_penalty");
    let sent = fake.message_bodies().last().cloned().unwrap();
    assert_eq!(sent["stop_sequences"], json!(["END"]));
    assert!(sent.get("seed").is_none() && sent.get("presence_penalty").is_none(), "{sent}");

    // Out of range: a clear 400 naming the parameter.
    let mut bad = with("claude/claude-a");
    bad["presence_penalty"] = json!(3);
    let (s, err) = send(&app, &key, reqwest::Method::POST, "/v1/chat/completions", Some(bad)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(err["error"]["message"].as_str().unwrap_or_default().starts_with("presence_penalty:"), "{err}");
    let mut bad = with(FAKE_MODEL);
    bad["stop"] = json!(["a", "b", "c", "d", "e"]);
    let (s, _) = send(&app, &key, reqwest::Method::POST, "/v1/chat/completions", Some(bad)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}
