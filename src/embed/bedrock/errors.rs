//! Sorts the SDK's errors into retry decisions and [`EmbedError`]s a user can act on.
//!
//! Bedrock names the error in `x-amzn-ErrorType` (the SDK's `code()`); AWS's messages never contain
//! the secret key, so they are passed on.

use aws_sdk_bedrockruntime::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::operation::invoke_model::InvokeModelError;

use super::super::EmbedError;
use super::super::retry::Attempt;

/// What an error message names.
pub(super) struct Ctx<'a> {
    pub model: &'a str,
    pub region: &'a str,
}

/// Codes that mean the credentials (or their permissions) were refused.
const CREDENTIAL_CODES: [&str; 7] = [
    "AccessDeniedException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "ExpiredTokenException",
    "IncompleteSignature",
    "MissingAuthenticationTokenException",
];

pub(super) fn classify(err: &SdkError<InvokeModelError>, ctx: &Ctx<'_>) -> Attempt {
    let Ctx { model, region } = ctx;
    let attempt = match err {
        SdkError::ServiceError(_) => {
            let code = err.code().unwrap_or_default();
            let status = err.raw_response().map_or(0, |r| r.status().as_u16());
            let message = err.message().unwrap_or("no message");
            service_error(code, status, message, ctx)
        }
        SdkError::TimeoutError(_) => {
            Attempt::Busy(EmbedError::Unavailable(format!("Bedrock in {region} did not answer in time")))
        }
        SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => Attempt::Busy(
            EmbedError::Unavailable(format!("could not reach Bedrock in {region}: {}", DisplayErrorContext(err))),
        ),
        // Missing credentials land here (the chain found none), as does a bad endpoint URL.
        _ => Attempt::Fatal(EmbedError::Failed(format!(
            "the Bedrock request for `{model}` could not be made: {}",
            DisplayErrorContext(err)
        ))),
    };
    tracing::warn!(model, region, error = %DisplayErrorContext(err), "Bedrock embedding call failed");
    attempt
}

fn service_error(code: &str, status: u16, message: &str, ctx: &Ctx<'_>) -> Attempt {
    let Ctx { model, region } = ctx;
    let rate_limited = || Attempt::RateLimited {
        retry_after: None,
        error: EmbedError::RateLimited {
            message: format!("Bedrock is throttling calls to `{model}` in {region} ({code}): {message}"),
            retry_after_secs: None,
        },
    };
    match code {
        c if CREDENTIAL_CODES.contains(&c) => Attempt::Fatal(EmbedError::Unauthorized(format!(
            "AWS refused the credentials for Bedrock in {region} ({code}: {message}); check the access key, \
             the IAM policy (bedrock:InvokeModel) and that access to `{model}` is granted"
        ))),
        "ValidationException" => {
            Attempt::Fatal(EmbedError::Failed(format!("Bedrock rejected the request for `{model}`: {message}")))
        }
        "ResourceNotFoundException" => Attempt::Fatal(EmbedError::Failed(format!(
            "model `{model}` not found in Bedrock in {region}: {message}; check the model id and that the \
             model is offered in this region"
        ))),
        "ThrottlingException" | "ServiceQuotaExceededException" => rate_limited(),
        "ModelNotReadyException"
        | "ServiceUnavailableException"
        | "InternalServerException"
        | "ModelTimeoutException" => {
            Attempt::Busy(EmbedError::Unavailable(format!("Bedrock in {region} ({code}): {message}")))
        }
        _ if status == 429 => rate_limited(),
        _ if status >= 500 => {
            Attempt::Busy(EmbedError::Unavailable(format!("Bedrock in {region} answered HTTP {status}: {message}")))
        }
        _ => Attempt::Fatal(EmbedError::Failed(format!(
            "Bedrock failed for `{model}` ({code}, HTTP {status}): {message}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: Ctx<'static> = Ctx { model: "amazon.titan-embed-text-v2:0", region: "us-east-1" };

    #[test]
    fn refused_credentials_are_final_and_say_what_to_check() {
        for code in ["AccessDeniedException", "UnrecognizedClientException"] {
            let Attempt::Fatal(EmbedError::Unauthorized(text)) = service_error(code, 403, "denied", &CTX) else {
                panic!("{code} must be an unretried credentials error");
            };
            assert!(text.contains("AWS refused the credentials") && text.contains(code), "{text}");
        }
    }

    #[test]
    fn throttling_is_retried_as_a_rate_limit_and_busy_models_as_server_trouble() {
        assert!(matches!(service_error("ThrottlingException", 429, "slow", &CTX), Attempt::RateLimited { .. }));
        assert!(matches!(service_error("ModelNotReadyException", 429, "loading", &CTX), Attempt::Busy(_)));
        assert!(matches!(service_error("ServiceUnavailableException", 503, "down", &CTX), Attempt::Busy(_)));
        assert!(matches!(service_error("SomethingNew", 502, "?", &CTX), Attempt::Busy(_)));
    }

    #[test]
    fn validation_and_unknown_models_pass_the_message_on() {
        let Attempt::Fatal(error) = service_error("ValidationException", 400, "bad dimensions", &CTX) else {
            panic!("validation errors are final");
        };
        assert!(error.to_string().contains("bad dimensions"), "{error}");
        let Attempt::Fatal(error) = service_error("ResourceNotFoundException", 404, "no such model", &CTX) else {
            panic!("an unknown model is final");
        };
        assert!(error.to_string().contains("not found in Bedrock in us-east-1"), "{error}");
    }
}
