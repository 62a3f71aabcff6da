//! The fake itself, over plain HTTP: the provider's tests trust it to look like Anthropic.

use serde_json::{Value, json};
use webplus::fakes::anthropic::reply_to;
use webplus::fakes::{AnthropicFailure, FakeAnthropic, FakeAnthropicConfig};

async fn post(fake: &FakeAnthropic, key: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("{}/v1/messages", fake.base_url()))
        .header("anthropic-version", "2023-06-01")
        .json(&body);
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    request.send().await.expect("the fake answers")
}

fn body(stream: bool, max_tokens: u32) -> Value {
    json!({
        "model": "claude-sonnet-4-6",
        "max_tokens": max_tokens,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Hi there"}],
        "stream": stream,
    })
}

/// `(event name, data as JSON)` of each SSE frame; every frame is `event: …\ndata: …\n\n`.
fn frames(text: &str) -> Vec<(String, Value)> {
    assert!(text.ends_with("\n\n"), "{text}");
    text.trim_end()
        .split("\n\n")
        .map(|frame| {
            let (event, data) = frame.split_once('\n').expect("two lines");
            let name = event.strip_prefix("event: ").expect("an event line").to_owned();
            let data = data.strip_prefix("data: ").expect("a data line");
            (name, serde_json::from_str(data).expect("JSON data"))
        })
        .collect()
}

async fn error_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let request_id = response.headers().get("request-id").map(|v| v.to_str().unwrap_or_default().to_owned());
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["type"], "error");
    assert_eq!(Some(body["request_id"].as_str().unwrap_or_default().to_owned()), request_id);
    (status, body["error"].clone())
}

#[tokio::test]
async fn a_stream_is_the_documented_sequence_of_events() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default()).await;
    let response = post(&fake, Some(&fake.api_key()), body(true, 1024)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream; charset=utf-8");
    assert!(response.headers().contains_key("request-id"));
    let text = response.text().await.expect("a body");

    assert!(text.starts_with("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_"));
    assert!(text.contains("\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n"), "{text}");
    let frames = frames(&text);
    let names: Vec<&str> = frames.iter().map(|(n, _)| n.as_str()).collect();
    let words = names.iter().filter(|n| **n == "content_block_delta").count();
    let mut expected = vec!["message_start", "content_block_start", "ping"];
    expected.extend(std::iter::repeat_n("content_block_delta", words));
    expected.extend(["content_block_stop", "message_delta", "message_stop"]);
    assert_eq!(names, expected);
    assert!(frames.iter().all(|(name, data)| data["type"] == name.as_str()), "type repeats the event name");

    let message = &frames[0].1["message"];
    assert_eq!((message["type"].as_str(), message["role"].as_str()), (Some("message"), Some("assistant")));
    assert_eq!(message["content"], json!([]));
    assert!(message["stop_reason"].is_null() && message["stop_sequence"].is_null());
    assert!(message["usage"]["input_tokens"].as_u64() > Some(0));
    assert_eq!(frames[1].1["content_block"], json!({"type": "text", "text": ""}));
    let text: String = frames.iter().filter_map(|(_, d)| d["delta"]["text"].as_str()).collect();
    assert_eq!(text, reply_to("Hi there"));
    let end = &frames[frames.len() - 2].1;
    assert_eq!(end["delta"], json!({"stop_reason": "end_turn", "stop_sequence": null}));
    assert_eq!(end["usage"], json!({"output_tokens": words}));
}

#[tokio::test]
async fn a_non_streaming_answer_is_the_message_object_and_max_tokens_cuts_it() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default()).await;
    let message: Value = post(&fake, Some(&fake.api_key()), body(false, 2)).await.json().await.expect("JSON");
    let keys: Vec<&str> = message.as_object().expect("an object").keys().map(String::as_str).collect();
    let mut expected = ["id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(message["content"], json!([{"type": "text", "text": "You said:"}]));
    assert_eq!(message["stop_reason"], "max_tokens");
    assert_eq!(message["usage"]["output_tokens"], 2);
}

#[tokio::test]
async fn bad_keys_versions_and_bodies_get_anthropics_errors() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default()).await;
    let key = fake.api_key();
    let (status, error) = error_of(post(&fake, None, body(true, 5)).await).await;
    assert_eq!((status, error["type"].as_str()), (401, Some("authentication_error")));
    let (status, error) = error_of(post(&fake, Some("sk-ant-wrong"), body(true, 5)).await).await;
    assert_eq!((status, error), (401, json!({"type": "authentication_error", "message": "invalid x-api-key"})));

    let no_version = reqwest::Client::new()
        .post(format!("{}/v1/messages", fake.base_url()))
        .header("x-api-key", &key)
        .json(&body(true, 5))
        .send()
        .await
        .expect("an answer");
    let (status, error) = error_of(no_version).await;
    assert_eq!((status, error["message"].as_str()), (400, Some("anthropic-version: header is required")));

    let mut seeded = body(true, 5);
    seeded["seed"] = json!(7);
    let (status, error) = error_of(post(&fake, Some(&key), seeded).await).await;
    assert_eq!((status, error["message"].as_str()), (400, Some("seed: Extra inputs are not permitted")));
    let mut unknown = body(true, 5);
    unknown["model"] = json!("claude-nonexistent");
    let (status, error) = error_of(post(&fake, Some(&key), unknown).await).await;
    assert_eq!((status, error), (404, json!({"type": "not_found_error", "message": "model: claude-nonexistent"})));
    assert_eq!(fake.message_bodies().len(), 5, "refused requests are recorded too");
}

#[tokio::test]
async fn injected_failures_apply_once_each_in_order() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default()).await;
    let key = fake.api_key();
    fake.fail_next([
        AnthropicFailure::RateLimited { retry_after_secs: 20 },
        AnthropicFailure::Overloaded,
        AnthropicFailure::ErrorEventAfter(1),
    ]);
    let limited = post(&fake, Some(&key), body(true, 5)).await;
    assert_eq!(limited.headers()["retry-after"], "20");
    assert_eq!(error_of(limited).await.0, 429);
    let (status, error) = error_of(post(&fake, Some(&key), body(true, 5)).await).await;
    assert_eq!((status, error), (529, json!({"type": "overloaded_error", "message": "Overloaded"})));

    let text = post(&fake, Some(&key), body(true, 5)).await.text().await.expect("a body");
    let frames = frames(&text);
    let (name, data) = frames.last().expect("frames");
    assert_eq!(name, "error");
    assert_eq!(data, &json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}));
    assert_eq!(frames.iter().filter(|(n, _)| n == "content_block_delta").count(), 1);
    assert!(!text.contains("message_stop"));

    let recovered = post(&fake, Some(&key), body(true, 5)).await.text().await.expect("a body");
    assert!(recovered.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"), "{recovered}");
}

#[tokio::test]
async fn models_are_listed_in_pages_like_anthropic_does() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default().models(["m3", "m2", "m1"])).await;
    let get = |query: &'static str| {
        reqwest::Client::new()
            .get(format!("{}/v1/models{query}", fake.base_url()))
            .header("x-api-key", fake.api_key())
            .header("anthropic-version", "2023-06-01")
            .send()
    };
    let page: Value = get("?limit=2").await.expect("an answer").json().await.expect("JSON");
    assert_eq!(page["has_more"], true);
    assert_eq!((page["first_id"].as_str(), page["last_id"].as_str()), (Some("m3"), Some("m2")));
    let first = &page["data"][0];
    assert_eq!((first["type"].as_str(), first["id"].as_str()), (Some("model"), Some("m3")));
    assert!(first["display_name"].is_string() && first["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    let rest: Value = get("?limit=2&after_id=m2").await.expect("an answer").json().await.expect("JSON");
    assert_eq!((rest["data"].as_array().map(Vec::len), rest["has_more"].as_bool()), (Some(1), Some(false)));
}

/// What Anthropic's SDKs send since their October 2026 majors: the key as a bearer token and API
/// version 2026-10-21, which refuses sampling parameters.
#[tokio::test]
async fn a_bearer_key_and_api_version_2026_10_21_are_accepted_without_sampling_parameters() {
    let fake = FakeAnthropic::start(FakeAnthropicConfig::default()).await;
    let send = |body: Value| {
        reqwest::Client::new()
            .post(format!("{}/v1/messages", fake.base_url()))
            .bearer_auth(fake.api_key())
            .header("anthropic-version", "2026-10-21")
            .json(&body)
            .send()
    };
    let answered = send(body(false, 64)).await.expect("an answer");
    assert_eq!(answered.status(), 200);
    let mut sampled = body(false, 64);
    sampled["temperature"] = json!(1.0);
    let (status, error) = error_of(send(sampled).await.expect("an answer")).await;
    assert_eq!((status, error["type"].as_str()), (400, Some("invalid_request_error")));
}
