//! Reads a `POST /v1/messages` body the way Anthropic validates it: required fields, no fields it
//! does not know (so a `seed` is refused, as upstream), no `system` role among the messages, no
//! empty text, and under API version 2026-10-21 no sampling parameters (the wording of that
//! refusal is the fake's own).

use serde_json::Value;

/// The top-level fields of the Messages API; anything else is "Extra inputs are not permitted".
const KNOWN_FIELDS: &[&str] = &[
    "model",
    "messages",
    "max_tokens",
    "system",
    "metadata",
    "stop_sequences",
    "stream",
    "temperature",
    "top_k",
    "top_p",
    "tools",
    "tool_choice",
    "thinking",
    "service_tier",
    "container",
    "mcp_servers",
    "context_management",
];

/// What the fake answers from.
pub(super) struct ParsedRequest {
    pub model: String,
    pub max_tokens: usize,
    pub stream: bool,
    /// The text of the last user turn: the reply is derived from it.
    pub last_user_text: String,
    /// A rough count (words plus a little per turn); nobody should assert on its exact value.
    pub input_tokens: u32,
}

/// Sampling parameters that API version 2026-10-21 refuses, even at their defaults.
const SAMPLING: &[&str] = &["temperature", "top_p", "top_k"];

/// The request, or the message of Anthropic's `invalid_request_error` for it, under `version`
/// (the `anthropic-version` header).
pub(super) fn parse(body: &Value, version: &str) -> Result<ParsedRequest, String> {
    let Some(fields) = body.as_object() else {
        return Err("Input should be a valid dictionary".into());
    };
    if let Some(extra) = fields.keys().find(|k| !KNOWN_FIELDS.contains(&k.as_str())) {
        return Err(format!("{extra}: Extra inputs are not permitted"));
    }
    if version >= "2026-10-21"
        && let Some(sampling) = fields.keys().find(|k| SAMPLING.contains(&k.as_str()))
    {
        return Err(format!("{sampling}: not supported in API version {version}; remove it"));
    }
    let model = required(body, "model")?.as_str().ok_or("model: Input should be a valid string")?.to_owned();
    let max_tokens = required(body, "max_tokens")?
        .as_u64()
        .filter(|n| *n >= 1)
        .ok_or("max_tokens: Input should be greater than or equal to 1")?;
    let messages = required(body, "messages")?.as_array().ok_or("messages: Input should be a valid list")?;
    let mut words = body.get("system").map(text_of).map(|t| word_count(&t)).unwrap_or(0);
    let mut last_user_text = String::new();
    for (i, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str).unwrap_or_default();
        if !matches!(role, "user" | "assistant") {
            return Err(format!("messages.{i}.role: Input should be 'user' or 'assistant'"));
        }
        if let Some(blocks) = message.get("content").and_then(Value::as_array) {
            check_images(blocks, i)?;
        }
        let text = message.get("content").map(text_of).unwrap_or_default();
        if text.is_empty() {
            return Err(format!("messages.{i}: all messages must have non-empty content"));
        }
        words += word_count(&text) + 4;
        if role == "user" {
            last_user_text = text;
        }
    }
    if messages.is_empty() {
        return Err("messages: at least one message is required".into());
    }
    Ok(ParsedRequest {
        model,
        max_tokens: usize::try_from(max_tokens).unwrap_or(usize::MAX),
        stream: body.get("stream").and_then(Value::as_bool).unwrap_or(false),
        last_user_text,
        input_tokens: u32::try_from(words.max(1)).unwrap_or(u32::MAX),
    })
}

/// Image blocks as the Messages API takes them: a base64 source whose `media_type` is one of four
/// and matches the data.
fn check_images(blocks: &[Value], message: usize) -> Result<(), String> {
    const TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];
    for (j, block) in blocks.iter().enumerate().filter(|(_, b)| b["type"] == "image") {
        let at = format!("messages.{message}.content.{j}.image.source");
        let source = &block["source"];
        if source["type"] != "base64" {
            return Err(format!(
                "{at}: Input tag '{}' found using 'type' does not match any of the expected tags: 'base64', 'url', 'file'",
                source["type"].as_str().unwrap_or_default()
            ));
        }
        let media_type = source["media_type"].as_str().unwrap_or_default();
        if !TYPES.contains(&media_type) {
            return Err(format!(
                "{at}.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"
            ));
        }
        let found = crate::fakes::image::decode(source["data"].as_str().unwrap_or_default())
            .map_err(|e| format!("{at}.base64.data: {e}"))?;
        if found != media_type {
            return Err(format!(
                "{at}.base64: The image was specified using the {media_type} media type, but the image appears to be a {found} image"
            ));
        }
    }
    Ok(())
}

fn required<'v>(body: &'v Value, field: &str) -> Result<&'v Value, String> {
    body.get(field).ok_or_else(|| format!("{field}: Field required"))
}

/// The text of a string, or of an array of `{"type":"text","text":..}` blocks.
fn text_of(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => {
            blocks.iter().filter_map(|b| b.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("\n")
        }
        _ => String::new(),
    }
}

fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn error(body: Value) -> String {
        parse(&body, "2023-06-01").err().unwrap_or_default()
    }

    #[test]
    fn what_anthropic_refuses_is_refused_with_its_message() {
        let user = json!([{"role": "user", "content": "Hi"}]);
        assert_eq!(error(json!({"model": "m", "messages": user})), "max_tokens: Field required");
        assert_eq!(
            error(json!({"model": "m", "max_tokens": 5, "messages": user, "seed": 1})),
            "seed: Extra inputs are not permitted"
        );
        let system = json!([{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi"}]);
        assert!(error(json!({"model": "m", "max_tokens": 5, "messages": system})).starts_with("messages.0.role"));
        let empty = json!([{"role": "user", "content": ""}]);
        assert!(error(json!({"model": "m", "max_tokens": 5, "messages": empty})).contains("non-empty"));
    }

    #[test]
    fn sampling_parameters_are_refused_only_from_api_version_2026_10_21() {
        let body =
            json!({"model": "m", "max_tokens": 5, "temperature": 1.0, "messages": [{"role": "user", "content": "Hi"}]});
        assert!(parse(&body, "2023-06-01").is_ok());
        assert!(parse(&body, "2026-10-21").err().is_some_and(|e| e.starts_with("temperature:")));
    }

    #[test]
    fn the_last_user_text_is_read_from_strings_and_text_blocks() {
        let body = json!({
            "model": "m", "max_tokens": 5, "system": [{"type": "text", "text": "Be brief"}],
            "messages": [
                {"role": "user", "content": "First"},
                {"role": "assistant", "content": "Ok"},
                {"role": "user", "content": [{"type": "text", "text": "Second one"}]},
            ],
        });
        let parsed = parse(&body, "2023-06-01").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.last_user_text, "Second one");
        assert!(!parsed.stream);
        assert!(parsed.input_tokens > 5);
    }
}
