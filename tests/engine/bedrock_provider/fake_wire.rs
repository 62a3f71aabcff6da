//! The fake's Converse answers over plain HTTP (the streamed ones are read by the SDK in the other
//! tests, and once by boto3: examples/fake_bedrock_sdk_check.py).

use serde_json::{Value, json};
use webplus::fakes::{FakeBedrock, FakeBedrockConfig};

use super::MODEL;

/// A request with an `Authorization` header of SigV4's form, which is all the fake checks.
async fn post(fake: &FakeBedrock, operation: &str, body: Value) -> reqwest::Response {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={}/20261130/{}/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature={}",
        fake.access_key_id(),
        fake.region(),
        "0".repeat(64)
    );
    reqwest::Client::new()
        .post(format!("{}/model/{}/{operation}", fake.endpoint_url(), MODEL.replace(':', "%3A")))
        .header("authorization", auth)
        .header("x-amz-date", "20261130T120000Z")
        .json(&body)
        .send()
        .await
        .expect("the fake answers")
}

fn body(text: &str, max_tokens: u32) -> Value {
    json!({
        "messages": [{"role": "user", "content": [{"text": text}]}],
        "system": [{"text": "Be brief."}],
        "inferenceConfig": {"maxTokens": max_tokens},
    })
}

#[tokio::test]
async fn converse_answers_the_whole_message_with_usage_and_metrics() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
    let response = post(&fake, "converse", body("Hi there", 2)).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-amzn-requestid"));
    let answer: Value = response.json().await.expect("JSON");
    assert_eq!(answer["output"]["message"], json!({"role": "assistant", "content": [{"text": "You said:"}]}));
    assert_eq!(answer["stopReason"], "max_tokens");
    assert_eq!(answer["usage"]["outputTokens"], 2);
    let usage = &answer["usage"];
    assert_eq!(usage["totalTokens"].as_u64(), Some(usage["inputTokens"].as_u64().unwrap_or(0) + 2));
    assert!(answer["metrics"]["latencyMs"].is_u64());
    assert_eq!(fake.requests()[0].operation, "Converse");
}

#[tokio::test]
async fn a_stream_is_an_amazon_event_stream_and_refusals_are_bedrocks_json() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
    let response = post(&fake, "converse-stream", body("Hi there", 100)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/vnd.amazon.eventstream");
    let bytes = response.bytes().await.expect("a body");
    // Each frame starts with its total length (big-endian); the frames fill the body exactly.
    let mut offset = 0;
    let mut frames = 0;
    while offset + 4 <= bytes.len() {
        let length = u32::from_be_bytes([bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]]);
        offset += length as usize;
        frames += 1;
    }
    assert_eq!(offset, bytes.len());
    assert_eq!(frames, 1 + 4 + 3, "messageStart, a delta per word, contentBlockStop, messageStop, metadata");

    let response = post(&fake, "converse-stream", json!({"messages": []})).await;
    assert_eq!(response.status(), 400);
    let kind = response.headers()["x-amzn-errortype"].to_str().unwrap_or_default().to_owned();
    assert!(kind.starts_with("ValidationException:"), "{kind}");
    let error: Value = response.json().await.expect("JSON");
    assert!(error["message"].as_str().is_some_and(|m| m.contains("must start with a user message")), "{error}");
}
