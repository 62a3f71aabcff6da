//! The OpenAI-compatible API, as an OpenAI SDK would call it.

use std::time::Duration;

use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use webplus::fakes::FakeOpenAiConfig;

use crate::helpers::{FAKE_MODEL, TestApp, read_sse, spawn_app, spawn_app_in_with, spawn_app_with};

async fn key(app: &TestApp) -> String {
    app.register("dev@example.com").await;
    app.api_key().await
}

#[tokio::test]
async fn models_need_a_key_and_list_the_local_and_upstream_models() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/v1/models")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"]["type"], "authentication_error");
    let key = key(&app).await;
    let v: Value = app.client.get(app.url("/v1/models")).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["object"], "list");
    let ids: Vec<&str> = v["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"smollm2-135m") && ids.contains(&FAKE_MODEL), "{ids:?}");
    // The embedding models `/v1/embeddings` serves are listed too, after the chat models.
    let data = v["data"].as_array().unwrap();
    let chat = data.iter().find(|m| m["id"] == FAKE_MODEL).unwrap();
    assert_eq!((chat["object"].as_str(), chat["kind"].as_str()), (Some("model"), Some("chat")), "{chat}");
    let minilm = data.iter().find(|m| m["id"] == "local:all-minilm-l6-v2").expect("the local embedder is listed");
    assert_eq!(
        (
            minilm["object"].as_str(),
            minilm["kind"].as_str(),
            minilm["owned_by"].as_str(),
            minilm["dimensions"].as_u64()
        ),
        (Some("model"), Some("embedding"), Some("local"), Some(384)),
        "{minilm}"
    );
    let first_embedding = data.iter().position(|m| m["kind"] == "embedding").unwrap();
    assert!(data[first_embedding..].iter().all(|m| m["kind"] == "embedding"), "{data:?}");
}

#[tokio::test]
async fn a_non_streaming_completion_returns_the_upstream_text_and_usage() {
    let app = spawn_app_with(FakeOpenAiConfig::default().reply_text("Hello from upstream")).await;
    let key = key(&app).await;
    let res = app
        .client
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(&key)
        .json(&json!({ "model": FAKE_MODEL, "messages": [{ "role": "user", "content": "hi" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["content"], "Hello from upstream");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert!(v["usage"]["completion_tokens"].as_u64().unwrap() > 0);
    // Exactly OpenAI's fields (no `sources` without knowledge bases).
    assert_eq!(keys(&v), ["choices", "created", "id", "model", "object", "usage"]);
    assert_eq!(keys(&v["choices"][0]), ["finish_reason", "index", "logprobs", "message"]);
    assert_eq!(keys(&v["usage"]), ["completion_tokens", "prompt_tokens", "total_tokens"]);
    let usage = &v["usage"];
    assert_eq!(
        usage["total_tokens"],
        usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
    );
}

/// An object's keys, sorted.
fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

#[tokio::test]
async fn a_streaming_completion_sends_chunks_then_done() {
    let app = spawn_app_with(FakeOpenAiConfig::default().reply_text("one two three")).await;
    let key = key(&app).await;
    let res = app
        .client
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(&key)
        .json(&json!({ "model": FAKE_MODEL, "stream": true, "stream_options": { "include_usage": true },
                       "messages": [{ "role": "system", "content": "be brief" }, { "role": "user", "content": "count" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/event-stream"));
    let frames = read_sse(res, Duration::from_secs(10)).await;
    assert_eq!(frames.last().unwrap().1, "[DONE]");
    let chunks: Vec<Value> = frames[..frames.len() - 1].iter().map(|(_, d)| serde_json::from_str(d).unwrap()).collect();
    assert!(chunks.iter().all(|c| c["object"] == "chat.completion.chunk"));
    let text: String = chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect();
    assert_eq!(text, "one two three");
    assert!(chunks.iter().any(|c| c["choices"][0]["finish_reason"] == "stop"));
    assert!(chunks.last().unwrap()["usage"]["total_tokens"].as_u64().is_some());
    // The first chunk names the role; the usage chunk has no choices; the others carry no usage.
    assert_eq!(chunks[0]["choices"][0]["delta"], json!({ "role": "assistant", "content": "" }));
    assert_eq!(chunks.last().unwrap()["choices"], json!([]));
    assert_eq!(keys(&chunks[1]), ["choices", "created", "id", "model", "object"]);
    assert_eq!(keys(&chunks[1]["choices"][0]), ["delta", "finish_reason", "index", "logprobs"]);
    // The system message reached the upstream.
    assert_eq!(app.chat_requests().last().unwrap()["messages"][0]["role"], "system");
}

#[tokio::test]
async fn beyond_max_streams_a_request_gets_429_with_retry_after_while_the_open_stream_goes_on() {
    let dir = std::sync::Arc::new(webplus::storage::TempDb::new().await);
    let slow = FakeOpenAiConfig::default().reply_text("one two three four").chunk_delay(Duration::from_millis(200));
    let fake = std::sync::Arc::new(webplus::fakes::FakeOpenAi::start(slow).await);
    let app = spawn_app_in_with(dir, fake, |s| s.max_streams = 1).await;
    let key = key(&app).await;
    let ask = || {
        app.client
            .post(app.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .json(&json!({ "model": FAKE_MODEL, "stream": true, "messages": [{ "role": "user", "content": "count" }] }))
    };
    let open = ask().send().await.unwrap();
    assert_eq!(open.status(), StatusCode::OK);

    let refused = ask().send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()[header::RETRY_AFTER], "1");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["type"], "rate_limit_error", "{body}");

    // The stream already open is not slowed or cut by the refusal.
    let frames = read_sse(open, Duration::from_secs(10)).await;
    let text: String = frames
        .iter()
        .filter_map(|(_, d)| serde_json::from_str::<Value>(d).ok())
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(text, "one two three four");
}

#[tokio::test]
async fn bad_requests_get_openai_shaped_errors() {
    let app = spawn_app().await;
    let key = key(&app).await;
    let post = |body: String| {
        app.client
            .post(app.url("/v1/chat/completions"))
            .bearer_auth(&key)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
    };
    let res = post("{not json".into()).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "invalid_json");
    let res =
        post(json!({ "model": "nope", "messages": [{ "role": "user", "content": "x" }] }).to_string()).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "model_not_found");
    let res = post(json!({ "model": FAKE_MODEL, "messages": [] }).to_string()).await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = post(json!({ "model": FAKE_MODEL, "messages": [{ "role": "wizard", "content": "x" }] }).to_string())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.json::<Value>().await.unwrap()["error"]["message"].as_str().unwrap().contains("messages[0].role"));
    let res = app
        .client
        .post(app.url("/v1/chat/completions"))
        .bearer_auth("wpk_not-a-real-key")
        .json(&json!({ "model": FAKE_MODEL, "messages": [{ "role": "user", "content": "x" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_revoked_key_stops_working() {
    let app = spawn_app().await;
    app.register("dev@example.com").await;
    let (_, created) = app.call("keys/create", json!({ "name": "ci" })).await;
    let secret = created["secret"].as_str().unwrap();
    let (_, list) = app.call("keys/list", json!({})).await;
    assert_eq!(list[0]["name"], "ci");
    assert!(!list.to_string().contains(secret), "the secret is never listed");
    // Used first, so the key is among those recently found live: revoking must forget it at once.
    let res = app.client.get(app.url("/v1/models")).bearer_auth(secret).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.call("keys/revoke", json!({ "id": created["key"]["id"] })).await.0, StatusCode::OK);
    let res = app.client.get(app.url("/v1/models")).bearer_auth(secret).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_local_model_answers_through_the_api() {
    let app = spawn_app().await;
    let key = key(&app).await;
    let res = app
        .client
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(&key)
        .json(&json!({ "model": "smollm2-135m", "max_tokens": 12, "temperature": 0,
                       "messages": [{ "role": "user", "content": "What is the capital of France?" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    let text = v["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(!text.trim().is_empty(), "{v}");
    assert!(v["usage"]["completion_tokens"].as_u64().unwrap() <= 12, "{v}");
}
