//! The one way Web+ builds an AWS SDK client for Bedrock Runtime (the embedder and the chat
//! provider both call it).
//!
//! The SDK does SigV4 and, without explicit keys, the default credential chain (environment,
//! profiles, web identity, ECS and EC2 roles). Its own retries are off: the embedder's retry
//! policy, or for chat the engine, decides whether a call is made again, so the SDK cannot
//! multiply attempts behind their backs. HTTPS is rustls on ring, which reqwest already brings
//! (the SDK's default client would add aws-lc-rs, a C build).

use std::time::Duration;

use aws_sdk_bedrockruntime::config::retry::RetryConfig;
use aws_sdk_bedrockruntime::config::timeout::TimeoutConfig;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region, SharedHttpClient};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

use crate::settings::Secret;

/// Where and how to reach Bedrock Runtime.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientSettings<'a> {
    pub region: &'a str,
    /// Instead of the region's public endpoint: a VPC endpoint, or a fake in tests.
    pub endpoint_url: Option<&'a str>,
    /// An access key id and its secret. `None`: the default AWS credential chain.
    pub credentials: Option<&'a (Secret, Secret)>,
    /// Longest wait for one call's answer (for a stream: its headers); connecting takes at most
    /// 10 s of it.
    pub timeout: Duration,
}

impl ClientSettings<'_> {
    /// What is wrong with these settings, said for the operator, before any call is made.
    pub fn check(&self) -> Result<(), String> {
        if self.region.trim().is_empty() {
            return Err("the Bedrock region is empty (e.g. us-east-1)".into());
        }
        if let Some((id, secret)) = self.credentials
            && (id.expose().trim().is_empty() || secret.expose().trim().is_empty())
        {
            return Err("the AWS access key id or secret access key is empty".into());
        }
        Ok(())
    }
}

/// A Bedrock Runtime client for `settings`, checked first. Async because without explicit
/// credentials the AWS configuration (profile files, environment) is read here; the credentials
/// themselves are fetched on the first call.
pub(crate) async fn bedrock_runtime_client(
    settings: ClientSettings<'_>,
) -> Result<aws_sdk_bedrockruntime::Client, String> {
    settings.check()?;
    let region = Region::new(settings.region.to_owned());
    let retry = RetryConfig::disabled();
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
        .operation_attempt_timeout(settings.timeout)
        .build();
    let http = https_client();
    let mut builder = match settings.credentials {
        Some((id, secret)) => {
            let credentials =
                Credentials::new(id.expose().trim(), secret.expose().trim(), None, None, "webplus-settings");
            aws_sdk_bedrockruntime::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .credentials_provider(credentials)
        }
        None => {
            let shared = aws_config::defaults(BehaviorVersion::latest())
                .region(region.clone())
                .http_client(http.clone())
                .retry_config(retry.clone())
                .timeout_config(timeouts.clone())
                .load()
                .await;
            aws_sdk_bedrockruntime::config::Builder::from(&shared)
        }
    };
    builder = builder.region(region).http_client(http).retry_config(retry).timeout_config(timeouts);
    if let Some(url) = settings.endpoint_url {
        builder = builder.endpoint_url(url.trim_end_matches('/'));
    }
    Ok(aws_sdk_bedrockruntime::Client::from_conf(builder.build()))
}

fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings<'a>(region: &'a str, credentials: Option<&'a (Secret, Secret)>) -> ClientSettings<'a> {
        ClientSettings { region, endpoint_url: None, credentials, timeout: Duration::from_secs(1) }
    }

    #[test]
    fn an_empty_region_or_half_empty_keys_are_refused_by_name() {
        assert!(settings(" ", None).check().is_err_and(|e| e.contains("region")));
        let half = (Secret::new("AKIAEXAMPLE"), Secret::new(" "));
        assert!(settings("us-east-1", Some(&half)).check().is_err_and(|e| e.contains("secret access key")));
        let whole = (Secret::new("AKIAEXAMPLE"), Secret::new("secret"));
        assert!(settings("us-east-1", Some(&whole)).check().is_ok());
        assert!(settings("us-east-1", None).check().is_ok());
    }
}
