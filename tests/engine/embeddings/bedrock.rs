//! `BedrockEmbedder` (the AWS SDK's InvokeModel) against the fake Bedrock Runtime.

use std::time::Duration;

use webplus::embed::bedrock::TITAN_V2;
use webplus::embed::{BedrockEmbedConfig, BedrockEmbedder, EmbedError, Embedder};
use webplus::fakes::{BedrockFailure, FakeBedrock, FakeBedrockConfig, hashed_bag};
use webplus::settings::Secret;

use super::{assert_close, norm, quick_retries, texts};

const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn config_for(fake: &FakeBedrock) -> BedrockEmbedConfig {
    BedrockEmbedConfig {
        region: fake.region().to_owned(),
        dims: 256,
        endpoint_url: Some(fake.endpoint_url()),
        credentials: Some((Secret::new(fake.access_key_id()), Secret::new(SECRET_KEY))),
        timeout: Duration::from_secs(10),
        retry: quick_retries(),
        ..BedrockEmbedConfig::default()
    }
}

async fn embedder(config: BedrockEmbedConfig) -> BedrockEmbedder {
    BedrockEmbedder::new(config).await.expect("valid embedder settings")
}

#[tokio::test]
async fn a_signed_titan_call_reaches_the_fake_with_the_configured_key() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
    let embedder = embedder(config_for(&fake)).await;

    let vectors = embedder.embed(&texts(&["hello bedrock world"])).await.expect("embedding");

    assert_close(&vectors[0], &hashed_bag("hello bedrock world", 256), "the vector");
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.model_id, TITAN_V2);
    assert_eq!((request.access_key_id.as_str(), request.region.as_str()), ("AKIAIOSFODNN7EXAMPLE", "us-east-1"));
    assert_eq!(request.service, "bedrock");
    assert!(request.signed_headers.iter().any(|h| h == "x-amz-date"), "{:?}", request.signed_headers);
    assert!(request.amz_date.as_deref().is_some_and(|d| d.starts_with(&request.scope_date)));
    assert_eq!(
        request.body,
        serde_json::json!({"inputText": "hello bedrock world", "dimensions": 256, "normalize": true})
    );
}

#[tokio::test]
async fn results_come_back_in_order_while_calls_run_in_parallel() {
    let fake = FakeBedrock::start(FakeBedrockConfig { delay: Duration::from_millis(40), ..Default::default() }).await;
    let embedder = embedder(BedrockEmbedConfig { max_concurrent_requests: 4, dims: 512, ..config_for(&fake) }).await;
    // Lengths differ, so the fake answers them after different pauses, out of order.
    let inputs: Vec<String> = (0..12).map(|i| format!("document {i} {}", "x".repeat(i))).collect();

    let vectors = embedder.embed(&inputs).await.expect("embeddings");

    for (text, vector) in inputs.iter().zip(&vectors) {
        assert!((norm(vector) - 1.0).abs() < 1e-4, "{text}");
        assert_close(vector, &hashed_bag(text, 512), text);
    }
    assert_eq!(fake.requests().len(), 12);
    let overlap = fake.max_in_flight();
    assert!((2..=4).contains(&overlap), "at most 4 calls at once, and more than one: {overlap}");
}

#[tokio::test]
async fn an_unknown_access_key_is_a_credentials_error_without_the_secret() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
    let credentials = Some((Secret::new("AKIAUNKNOWNKEY000000"), Secret::new(SECRET_KEY)));
    let embedder = embedder(BedrockEmbedConfig { credentials, ..config_for(&fake) }).await;

    let err = embedder.embed(&texts(&["hello"])).await.expect_err("unknown key");

    let text = err.to_string();
    assert!(matches!(err, EmbedError::Unauthorized(_)), "{err:?}");
    assert!(text.contains("AWS refused the credentials") && text.contains("UnrecognizedClientException"), "{text}");
    assert!(!text.contains("wJalr"), "{text}");
    assert_eq!(fake.requests().len(), 1, "refused credentials are not retried");
}

#[tokio::test]
async fn access_denied_to_the_model_is_a_credentials_error() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
    fake.fail_next([BedrockFailure::AccessDenied]);
    let embedder = embedder(config_for(&fake)).await;

    let err = embedder.embed(&texts(&["hello"])).await.expect_err("denied");

    let text = err.to_string();
    assert!(matches!(err, EmbedError::Unauthorized(_)), "{err:?}");
    assert!(text.contains("AccessDeniedException") && text.contains("You don't have access to the model"), "{text}");
}

#[tokio::test]
async fn throttling_is_retried_and_then_succeeds_or_reports_the_rate_limit() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
    let embedder = embedder(config_for(&fake)).await;
    fake.fail_next([BedrockFailure::Throttling; 2]);
    assert!(embedder.embed(&texts(&["eventually"])).await.is_ok());
    assert_eq!(fake.requests().len(), 3, "two throttled calls and one answered");

    fake.fail_next([BedrockFailure::Throttling; 4]);
    let err = embedder.embed(&texts(&["never"])).await.expect_err("throttled throughout");
    assert!(matches!(&err, EmbedError::RateLimited { .. }), "{err:?}");
    assert!(err.to_string().contains("ThrottlingException"), "{err}");
    assert_eq!(fake.requests().len(), 7, "one call and three retries: the SDK adds none of its own");
}

#[tokio::test]
async fn a_model_that_is_not_ready_is_retried_once() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
    let embedder = embedder(config_for(&fake)).await;
    fake.fail_next([BedrockFailure::ModelNotReady]);
    assert!(embedder.embed(&texts(&["warming up"])).await.is_ok());

    fake.fail_next([BedrockFailure::ModelNotReady, BedrockFailure::ServiceUnavailable]);
    let err = embedder.embed(&texts(&["still down"])).await.expect_err("two failures in a row");
    assert!(matches!(err, EmbedError::Unavailable(_)), "{err:?}");
    assert_eq!(fake.requests().len(), 4);
}

#[tokio::test]
async fn an_unknown_model_is_a_clear_error() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
    let embedder =
        embedder(BedrockEmbedConfig { model_id: "amazon.titan-embed-text-v9:0".into(), ..config_for(&fake) }).await;

    let err = embedder.embed(&texts(&["hello"])).await.expect_err("no such model");

    let text = err.to_string();
    assert!(text.contains("model `amazon.titan-embed-text-v9:0` not found in Bedrock in us-east-1"), "{text}");
}

#[tokio::test]
async fn a_validation_error_passes_bedrocks_message_on() {
    let fake =
        FakeBedrock::start(FakeBedrockConfig { models: vec!["custom-titan".into()], ..Default::default() }).await;
    // An id we do not recognise is not size-checked locally, so the service's check answers.
    let embedder =
        embedder(BedrockEmbedConfig { model_id: "custom-titan".into(), dims: 300, ..config_for(&fake) }).await;

    let err = embedder.embed(&texts(&["hello"])).await.expect_err("300 is not a Titan size");

    let text = err.to_string();
    assert!(text.contains("#/dimensions: 300 is not a valid enum value"), "{text}");
    assert_eq!(fake.requests().len(), 1, "validation errors are not retried");
}

#[tokio::test]
async fn the_fake_refuses_an_unsigned_call_the_way_aws_does() {
    let fake = FakeBedrock::start(FakeBedrockConfig::default()).await;
    let url = format!("{}/model/amazon.titan-embed-text-v2%3A0/invoke", fake.endpoint_url());

    let response = reqwest::Client::new().post(url).body(r#"{"inputText":"hi"}"#).send().await.expect("an answer");

    assert_eq!(response.status(), 403);
    let kind = response.headers().get("x-amzn-errortype").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(kind.starts_with("MissingAuthenticationTokenException:"), "{kind}");
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    assert_eq!(body, serde_json::json!({"message": "Missing Authentication Token"}));
}
