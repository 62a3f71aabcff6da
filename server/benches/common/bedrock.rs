//! Calling the fake Bedrock straight, as an AWS customer would: the real SDK client
//! (`aws-sdk-bedrockruntime`, SigV4 and the event-stream decoder included) with static
//! credentials, pointed at the fake's endpoint, over the same rustls-on-ring HTTP client and
//! without retries, as Web+ builds its own (`src/aws.rs`).

use std::time::{Duration, Instant};

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::retry::RetryConfig;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_bedrockruntime::error::DisplayErrorContext;
use aws_sdk_bedrockruntime::types::{ContentBlock, ContentBlockDelta, ConversationRole, ConverseStreamOutput, Message};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

/// AWS's documentation secret: the fake checks the access key id and the scope, not the signature.
pub const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

pub fn client(endpoint_url: &str, region: &str, access_key_id: &str) -> Client {
    let http = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    let config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .credentials_provider(Credentials::new(access_key_id, SECRET_ACCESS_KEY, None, None, "bench"))
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint_url)
        .http_client(http)
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// One `ConverseStream` call: the time from sending it to the first text delta decoded. The
/// stream is read to its end, so the connection is reused by the next call.
pub async fn time_first_text(client: &Client, model: &str) -> anyhow::Result<Duration> {
    let hi = Message::builder().role(ConversationRole::User).content(ContentBlock::Text("hi".into())).build()?;
    let call = client.converse_stream().model_id(model).messages(hi);
    let started = Instant::now();
    let output = call.send().await.map_err(|e| anyhow::anyhow!("ConverseStream: {}", DisplayErrorContext(&e)))?;
    let mut events = output.stream;
    let mut first = None;
    while let Some(event) =
        events.recv().await.map_err(|e| anyhow::anyhow!("ConverseStream event: {}", DisplayErrorContext(&e)))?
    {
        if first.is_none() && is_text(&event) {
            first = Some(started.elapsed());
        }
    }
    first.ok_or_else(|| anyhow::anyhow!("no text delta from Bedrock {model}"))
}

fn is_text(event: &ConverseStreamOutput) -> bool {
    match event {
        ConverseStreamOutput::ContentBlockDelta(e) => {
            matches!(e.delta(), Some(ContentBlockDelta::Text(text)) if !text.is_empty())
        }
        _ => false,
    }
}
