//! Titan Text Embeddings' JSON: `{"inputText","dimensions","normalize"}` in, `{"embedding",
//! "inputTextTokenCount"}` out. Other Bedrock embedding models (Cohere) speak another format.

use serde::{Deserialize, Serialize};

use super::super::{EmbedError, l2_normalize};
use super::errors::Ctx;

/// Which request body the model takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    /// V2 (and any model id we do not recognise, such as a provisioned-throughput ARN): sends
    /// `dimensions` and `normalize`.
    V2,
    /// `amazon.titan-embed-text-v1`: only `inputText`; always 1536 dimensions.
    V1,
}

impl Format {
    /// The format for `model_id`, refusing a size the model cannot produce before any call.
    pub fn for_model(model_id: &str, dims: usize) -> Result<Self, EmbedError> {
        if model_id.trim().is_empty() {
            return Err(EmbedError::Invalid(format!("the Bedrock model id is empty (e.g. {})", super::TITAN_V2)));
        }
        if model_id.contains("titan-embed-text-v1") {
            return match dims {
                1536 => Ok(Format::V1),
                _ => Err(EmbedError::Invalid(format!("{model_id} only makes 1536-dimensional vectors, not {dims}"))),
            };
        }
        if model_id.contains("titan-embed-text-v2") && ![256, 512, 1024].contains(&dims) {
            return Err(EmbedError::Invalid(format!(
                "{model_id} makes vectors of 256, 512 or 1024 dimensions, not {dims}; pick one of those"
            )));
        }
        if dims == 0 {
            return Err(EmbedError::Invalid("embedding dimensions must be at least 1".into()));
        }
        Ok(Format::V2)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Request<'a> {
    input_text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    dimensions: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    normalize: Option<bool>,
}

#[derive(Deserialize)]
struct Response {
    embedding: Vec<f32>,
}

/// The body for one text.
pub(super) fn request(format: Format, text: &str, dims: usize) -> Result<Vec<u8>, EmbedError> {
    let request = match format {
        Format::V2 => Request { input_text: text, dimensions: Some(dims), normalize: Some(true) },
        Format::V1 => Request { input_text: text, dimensions: None, normalize: None },
    };
    serde_json::to_vec(&request).map_err(|e| EmbedError::Failed(format!("could not encode the Titan request: {e}")))
}

/// The unit vector in an answer, checked to have `dims` entries. Normalised again: V1 does not
/// normalise, and V2's rounding leaves the norm a hair off 1.
pub(super) fn vector(body: &[u8], dims: usize, ctx: &Ctx<'_>) -> Result<Vec<f32>, EmbedError> {
    let Ctx { model, region } = ctx;
    let mut response: Response = serde_json::from_slice(body).map_err(|e| {
        EmbedError::Failed(format!("Bedrock model `{model}` in {region} answered without an embedding: {e}"))
    })?;
    if response.embedding.len() != dims {
        return Err(EmbedError::Failed(format!(
            "Bedrock model `{model}` in {region} returned {} dimensions where {dims} were configured; \
             check that the model id is a Titan text embedding model",
            response.embedding.len()
        )));
    }
    l2_normalize(&mut response.embedding);
    Ok(response.embedding)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: Ctx<'static> = Ctx { model: "m", region: "eu-west-1" };

    #[test]
    fn the_v2_body_carries_text_size_and_normalize_and_v1_only_the_text() {
        let v2 = request(Format::V2, "Hello \"you\"", 256).unwrap_or_default();
        assert_eq!(String::from_utf8_lossy(&v2), r#"{"inputText":"Hello \"you\"","dimensions":256,"normalize":true}"#);
        let v1 = request(Format::V1, "Hi", 1536).unwrap_or_default();
        assert_eq!(String::from_utf8_lossy(&v1), r#"{"inputText":"Hi"}"#);
    }

    #[test]
    fn model_ids_pick_the_format_and_the_allowed_sizes() {
        assert_eq!(Format::for_model("amazon.titan-embed-text-v2:0", 512).ok(), Some(Format::V2));
        assert_eq!(Format::for_model("amazon.titan-embed-text-v1", 1536).ok(), Some(Format::V1));
        assert!(Format::for_model("amazon.titan-embed-text-v1", 1024).is_err());
        assert!(Format::for_model("arn:aws:bedrock:us-east-1:123:provisioned-model/abc", 384).is_ok());
        assert!(Format::for_model("", 256).is_err());
    }

    #[test]
    fn an_answer_is_normalised_and_its_size_checked() {
        let body = br#"{"embedding":[3.0,4.0],"inputTextTokenCount":2}"#;
        assert_eq!(vector(body, 2, &CTX).unwrap_or_default(), vec![0.6, 0.8]);
        let err = vector(body, 256, &CTX).unwrap_err().to_string();
        assert!(err.contains("returned 2 dimensions where 256 were configured"), "{err}");
    }
}
