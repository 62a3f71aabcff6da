//! The fake itself, over plain HTTP: other tests and the benchmarks trust it to look like OpenAI.

use std::time::Duration;

use serde_json::Value;
use webplus::fakes::{Failure, FakeOpenAi, FakeOpenAiConfig};

async fn post(fake: &FakeOpenAi, key: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/chat/completions", fake.base_url()))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("the fake answers")
}

fn chat_body(stream: bool, include_usage: bool) -> Value {
    serde_json::json!({
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Hi there"}],
        "stream": stream,
        "stream_options": {"include_usage": include_usage},
    })
}

/// The JSON payloads of `data:` events, `[DONE]` kept as a string.
fn sse_payloads(text: &str) -> Vec<String> {
    text.split("\n\n").filter_map(|e| e.strip_prefix("data: ")).map(str::to_owned).collect()
}

#[tokio::test]
async fn a_non_streaming_answer_has_openais_shape() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default().reply(["Hi", " you"])).await;
    let response = post(&fake, &fake.api_key(), chat_body(false, false)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");

    assert_eq!(body["object"], "chat.completion");
    assert!(body["id"].as_str().is_some_and(|id| id.starts_with("chatcmpl-")));
    assert!(body["created"].as_u64().is_some());
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["choices"][0]["index"], 0);
    assert_eq!(body["choices"][0]["message"]["role"], "assistant");
    assert_eq!(body["choices"][0]["message"]["content"], "Hi you");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert!(body["choices"][0]["logprobs"].is_null());
    assert_eq!(body["usage"]["completion_tokens"], 2);
    let usage = &body["usage"];
    assert_eq!(usage["total_tokens"].as_u64(), Some(usage["prompt_tokens"].as_u64().unwrap_or(0) + 2));
}

#[tokio::test]
async fn a_stream_is_role_then_content_then_finish_then_usage_then_done() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default().reply(["Hi", " you"])).await;
    let response = post(&fake, &fake.api_key(), chat_body(true, true)).await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap_or_default().to_owned();
    assert!(content_type.starts_with("text/event-stream"), "{content_type}");
    let text = response.text().await.expect("a body");

    assert!(text.starts_with(r#"data: {"id":"chatcmpl-"#), "{text}");
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    let payloads = sse_payloads(&text);
    assert_eq!(payloads.len(), 6, "{payloads:?}");
    let chunks: Vec<Value> =
        payloads[..5].iter().map(|p| serde_json::from_str(p).expect("each event is JSON")).collect();
    assert!(chunks.iter().all(|c| c["object"] == "chat.completion.chunk"));
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(chunks[0]["choices"][0]["delta"]["content"], "");
    assert!(chunks[0]["choices"][0]["finish_reason"].is_null());
    assert_eq!(chunks[1]["choices"][0]["delta"]["content"], "Hi");
    assert_eq!(chunks[2]["choices"][0]["delta"]["content"], " you");
    assert_eq!(chunks[3]["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks[3]["choices"][0]["delta"], serde_json::json!({}));
    assert!(chunks[3]["usage"].is_null());
    assert_eq!(chunks[4]["choices"], serde_json::json!([]));
    assert_eq!(chunks[4]["usage"]["completion_tokens"], 2);
}

#[tokio::test]
async fn without_include_usage_a_stream_has_no_usage_chunk() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default().reply(["Hi"])).await;
    let text = post(&fake, &fake.api_key(), chat_body(true, false)).await.text().await.expect("a body");
    assert!(!text.contains("usage"), "{text}");
    assert_eq!(sse_payloads(&text).len(), 4);
}

#[tokio::test]
async fn a_wrong_key_gets_openais_401_error_object() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default()).await;
    let response = post(&fake, "sk-not-the-right-one", chat_body(true, false)).await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.expect("JSON");
    let error = body["error"].as_object().expect("an error object");
    assert_eq!(error.len(), 4, "message, type, param, code: {body}");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(body["error"]["code"], "invalid_api_key");
    assert!(body["error"]["param"].is_null());
    // Recorded even though rejected.
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_mid_stream_error_event_ends_the_body_without_done() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default().failure(Failure::ErrorEventAfter(1))).await;
    let text = post(&fake, &fake.api_key(), chat_body(true, false)).await.text().await.expect("a body");
    let payloads = sse_payloads(&text);
    assert_eq!(payloads.len(), 3, "{payloads:?}");
    let error: Value = serde_json::from_str(&payloads[2]).expect("JSON");
    assert_eq!(error["error"]["type"], "server_error");
    assert!(!text.contains("[DONE]"));
}

#[tokio::test]
async fn a_dropped_stream_is_a_body_error_for_the_client() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default().failure(Failure::DropAfter(1))).await;
    let response = post(&fake, &fake.api_key(), chat_body(true, false)).await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.is_err(), "the body must not end cleanly");
}

#[tokio::test]
async fn models_are_listed_like_openai_does() {
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default().models(["m1", "m2"])).await;
    let body: Value = reqwest::Client::new()
        .get(format!("{}/models", fake.base_url()))
        .bearer_auth(fake.api_key())
        .send()
        .await
        .expect("the fake answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(body["object"], "list");
    assert_eq!(body["data"][1]["id"], "m2");
    assert_eq!(body["data"][0]["object"], "model");
    assert!(body["data"][0]["created"].is_u64() && body["data"][0]["owned_by"].is_string());
}

/// On tokio's paused clock (the fake sleeps on it too): the time measured is the fake's own pauses.
#[tokio::test(start_paused = true)]
async fn chunks_are_spaced_by_the_configured_delay() {
    let delay = Duration::from_millis(30);
    let fake = FakeOpenAi::start(FakeOpenAiConfig::default().reply(["a", "b", "c"]).chunk_delay(delay)).await;
    let started = tokio::time::Instant::now();
    let _ = post(&fake, &fake.api_key(), chat_body(true, false)).await.text().await;
    assert!(started.elapsed() >= delay * 3);
}
