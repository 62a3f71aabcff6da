//! Turns Bedrock's failures into [`ProviderError`]s a user or an administrator can act on.
//!
//! Bedrock names the error (`x-amzn-ErrorType`, or an exception event's `:exception-type`; the
//! SDK's `code()`), and that decides the kind. Bedrock's message, the request id and any detail on
//! when to try again go to the log only: the errors here carry no upstream text, so none can reach
//! a client.

use aws_sdk_bedrockruntime::config::http::HttpResponse;
use aws_sdk_bedrockruntime::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::operation::RequestId;
use aws_sdk_bedrockruntime::operation::converse_stream::ConverseStreamError;
use aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError;

use crate::providers::ProviderError;

/// How Bedrock is named to people (in the key-refused message).
pub(super) const BEDROCK: &str = "Amazon Bedrock";

/// Codes that mean the credentials (or their permissions) were refused.
const CREDENTIAL_CODES: [&str; 8] = [
    "AccessDeniedException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "ExpiredTokenException",
    "IncompleteSignature",
    "IncompleteSignatureException",
    "MissingAuthenticationTokenException",
];

/// Codes that mean Bedrock or the model is busy or down for now; asking again later may work.
const BUSY_CODES: [&str; 7] = [
    "ThrottlingException",
    "ServiceQuotaExceededException",
    "ServiceUnavailableException",
    "ModelNotReadyException",
    "InternalServerException",
    "ModelTimeoutException",
    "ModelStreamErrorException",
];

/// Who is asking, for the log.
pub(super) struct Ctx<'a> {
    pub provider: &'a str,
    pub model: &'a str,
    pub region: &'a str,
}

/// The call failed before any event: refused (HTTP 4xx/5xx), timed out, or never made.
pub(super) fn from_request(err: &SdkError<ConverseStreamError, HttpResponse>, ctx: &Ctx<'_>) -> ProviderError {
    let status = err.raw_response().map(|r| r.status().as_u16());
    let mapped = match err {
        SdkError::ServiceError(_) => service_error(err.code().unwrap_or_default(), status, err.message(), ctx),
        SdkError::TimeoutError(_) => {
            ProviderError::Unavailable(format!("Bedrock in {} did not answer in time", ctx.region))
        }
        SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => {
            ProviderError::Unavailable(format!("could not reach Bedrock in {}", ctx.region))
        }
        SdkError::ResponseError(_) => {
            ProviderError::Unavailable(format!("Bedrock in {} sent an unreadable answer", ctx.region))
        }
        // Missing credentials land here (the chain found none), as does a bad endpoint URL.
        _ => ProviderError::Failed(format!("the Bedrock request for `{}` could not be made", ctx.model)),
    };
    tracing::warn!(
        provider = ctx.provider,
        model = ctx.model,
        region = ctx.region,
        status,
        code = err.code(),
        request_id = err.request_id(),
        upstream = %DisplayErrorContext(err),
        error = %mapped,
        "Bedrock refused a request"
    );
    mapped
}

/// An exception event in a stream that had started (HTTP 200), or the stream breaking off.
/// (`R` is the SDK's raw event message, which it does not export.)
pub(super) fn mid_stream<R: std::fmt::Debug>(
    err: &SdkError<ConverseStreamOutputError, R>,
    ctx: &Ctx<'_>,
    request_id: Option<&str>,
) -> ProviderError {
    let mapped = match err {
        SdkError::ServiceError(service) => service_error(exception_code(service.err()), None, err.message(), ctx),
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
            ProviderError::Unavailable("the connection to Bedrock was cut".into())
        }
        // A frame that does not decode (bad checksum, unknown message type, JSON off its shape).
        _ => ProviderError::Failed("Bedrock sent an unreadable event stream".into()),
    };
    tracing::warn!(
        provider = ctx.provider,
        model = ctx.model,
        region = ctx.region,
        code = err.as_service_error().map(exception_code),
        request_id,
        upstream = %DisplayErrorContext(err),
        error = %mapped,
        "Bedrock's stream reported an error"
    );
    mapped
}

/// An exception frame's type. The SDK knows it from the frame's `:exception-type` header but keeps
/// it only as the variant (its error metadata reads the code from the payload, which has none).
fn exception_code(err: &ConverseStreamOutputError) -> &str {
    match err {
        ConverseStreamOutputError::InternalServerException(_) => "InternalServerException",
        ConverseStreamOutputError::ModelStreamErrorException(_) => "ModelStreamErrorException",
        ConverseStreamOutputError::ValidationException(_) => "ValidationException",
        ConverseStreamOutputError::ThrottlingException(_) => "ThrottlingException",
        ConverseStreamOutputError::ServiceUnavailableException(_) => "ServiceUnavailableException",
        other => other.code().unwrap_or_default(),
    }
}

/// A named error. `status` is the HTTP status when the error was the whole answer; stream
/// exceptions have none. `message` only decides whether a validation error is about the model.
fn service_error(code: &str, status: Option<u16>, message: Option<&str>, ctx: &Ctx<'_>) -> ProviderError {
    // Stream exceptions are named in camelCase (`throttlingException`), HTTP errors in PascalCase.
    let code = capitalised(code);
    let about_model = || message.is_some_and(|m| m.to_ascii_lowercase().contains("model id"));
    match code.as_str() {
        c if CREDENTIAL_CODES.contains(&c) => ProviderError::KeyRefused { provider: BEDROCK.into() },
        "ResourceNotFoundException" => ProviderError::UnknownModel(ctx.model.to_owned()),
        // "The provided model identifier is invalid.", or a model only offered through an
        // inference profile.
        "ValidationException" if about_model() => ProviderError::UnknownModel(ctx.model.to_owned()),
        c if BUSY_CODES.contains(&c) => ProviderError::Unavailable(format!("Bedrock is busy or failing ({c})")),
        _ if status.is_some_and(|s| s == 429 || s >= 500) => {
            ProviderError::Unavailable(format!("Bedrock answered HTTP {}", status.unwrap_or_default()))
        }
        "" => ProviderError::Failed(match status {
            Some(status) => format!("Bedrock refused the request (HTTP {status})"),
            None => "Bedrock reported an unnamed error".into(),
        }),
        c => ProviderError::Failed(format!("Bedrock refused the request ({c})")),
    }
}

fn capitalised(code: &str) -> String {
    let mut chars = code.chars();
    chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: Ctx<'static> = Ctx { provider: "bedrock", model: "amazon.nova-lite-v1:0", region: "us-east-1" };

    fn map(code: &str, status: Option<u16>, message: &str) -> ProviderError {
        service_error(code, status, Some(message), &CTX)
    }

    #[test]
    fn refused_credentials_are_key_refused_by_amazon_bedrock() {
        for code in [
            "AccessDeniedException",
            "UnrecognizedClientException",
            "InvalidSignatureException",
            "ExpiredTokenException",
        ] {
            let e = map(code, Some(403), "The security token included in the request is invalid.");
            assert!(
                matches!(&e, ProviderError::KeyRefused { provider } if provider == "Amazon Bedrock"),
                "{code}: {e:?}"
            );
        }
    }

    #[test]
    fn a_missing_model_or_an_invalid_model_id_is_an_unknown_model_and_other_validation_fails() {
        let unknown = |e: ProviderError| matches!(e, ProviderError::UnknownModel(m) if m == "amazon.nova-lite-v1:0");
        assert!(unknown(map("ResourceNotFoundException", Some(404), "Model not found")));
        assert!(unknown(map("ValidationException", Some(400), "The provided model identifier is invalid.")));
        assert!(unknown(map(
            "ValidationException",
            Some(400),
            "Invocation of model ID x with on-demand throughput isn't supported."
        )));
        let other = map("ValidationException", Some(400), "A conversation must start with a user message.");
        assert!(matches!(&other, ProviderError::Failed(m) if !m.contains("conversation")), "{other:?}");
    }

    #[test]
    fn busy_codes_in_either_spelling_and_5xx_are_unavailable() {
        for code in
            ["ThrottlingException", "throttlingException", "ServiceUnavailableException", "ModelNotReadyException"]
        {
            assert!(matches!(map(code, Some(429), "slow down"), ProviderError::Unavailable(_)), "{code}");
        }
        for code in ["modelStreamErrorException", "internalServerException", "serviceUnavailableException"] {
            assert!(matches!(map(code, None, "oops"), ProviderError::Unavailable(_)), "{code}");
        }
        assert!(matches!(map("SomethingNew", Some(502), "?"), ProviderError::Unavailable(_)));
        assert!(matches!(map("validationException", None, "Bad input"), ProviderError::Failed(_)));
    }

    #[test]
    fn no_upstream_message_is_carried_by_the_error() {
        let message = "Input is too long for requested model: 205351 tokens";
        for (code, status) in
            [("ValidationException", 400), ("ThrottlingException", 429), ("AccessDeniedException", 403)]
        {
            let e = map(code, Some(status), message);
            assert!(!format!("{e} {e:?}").contains("205351"), "{code}: {e:?}");
        }
    }
}
