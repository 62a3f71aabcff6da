//! Reads a Converse body the way Bedrock validates it: `messages` required, starting with the
//! user and alternating, no blank text; `system` blocks; `inferenceConfig` within its ranges.
//! Refusals are ValidationException messages in Bedrock's words (the fake's own where unknown).

use serde_json::Value;

/// What the fake answers from.
pub(super) struct ParsedConverse {
    /// The text of the last user turn: the reply is derived from it.
    pub last_user_text: String,
    /// `inferenceConfig.maxTokens`, or the fake model's default.
    pub max_tokens: usize,
    /// A rough count (words plus a little per turn); nobody should assert on its exact value.
    pub input_tokens: u32,
}

/// The fake models' own limit when the request names none.
const DEFAULT_MAX_TOKENS: usize = 4096;

const MUST_START: &str =
    "A conversation must start with a user message. Try again with a conversation that starts with a user message.";
const MUST_ALTERNATE: &str = "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.";

pub(super) fn parse(body: &Value) -> Result<ParsedConverse, String> {
    let Some(messages) = body.get("messages") else {
        return Err("1 validation error detected: Value null at 'messages' failed to satisfy constraint: Member must not be null".into());
    };
    let messages = messages.as_array().ok_or("messages: expected a list")?;
    let mut words = 0usize;
    let mut last_user_text = String::new();
    let mut previous: Option<&str> = None;
    for (i, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str).unwrap_or_default();
        if !["user", "assistant"].contains(&role) {
            return Err(format!(
                "1 validation error detected: Value '{role}' at 'messages.{}.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]",
                i + 1
            ));
        }
        match previous {
            None if role != "user" => return Err(MUST_START.into()),
            Some(p) if p == role => return Err(MUST_ALTERNATE.into()),
            _ => previous = Some(role),
        }
        let text = texts(message.get("content"), &format!("messages.{i}.content"), "ContentBlock")?;
        words += text.split_whitespace().count() + 3;
        if role == "user" {
            last_user_text = text;
        }
    }
    if previous.is_none() {
        return Err(MUST_START.into());
    }
    if let Some(system) = body.get("system") {
        words += texts(Some(system), "system", "SystemContentBlock")?.split_whitespace().count();
    }
    let max_tokens = inference(body.get("inferenceConfig"))?;
    Ok(ParsedConverse {
        last_user_text,
        max_tokens: max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        input_tokens: u32::try_from(words).unwrap_or(u32::MAX),
    })
}

/// An image block as Converse takes it: `format` one of four, matching `source.bytes` (base64).
fn check_image(image: &Value, at: &str) -> Result<(), String> {
    let format = image["format"].as_str().unwrap_or_default();
    if !["png", "jpeg", "gif", "webp"].contains(&format) {
        return Err(format!(
            "1 validation error detected: Value '{format}' at '{at}.format' failed to satisfy constraint: Member must satisfy enum value set: [png, jpeg, gif, webp]"
        ));
    }
    let found = crate::fakes::image::decode(image["source"]["bytes"].as_str().unwrap_or_default())
        .map_err(|e| format!("The provided image at {at} is invalid: {e}"))?;
    if found != format!("image/{format}") {
        return Err(format!("The provided image at {at} does not match the format {format}"));
    }
    Ok(())
}

/// The text blocks of a content list, joined; a blank one is refused as Bedrock does.
fn texts(blocks: Option<&Value>, at: &str, block_name: &str) -> Result<String, String> {
    let blocks = blocks.and_then(Value::as_array).ok_or_else(|| format!("{at}: expected a list of content blocks"))?;
    let mut joined = String::new();
    for (j, block) in blocks.iter().enumerate() {
        if let Some(image) = block.get("image") {
            check_image(image, &format!("{at}.{j}.image"))?;
            continue;
        }
        let Some(text) = block.get("text") else { continue };
        let text = text.as_str().unwrap_or_default();
        if text.trim().is_empty() {
            return Err(format!(
                "The text field in the {block_name} object at {at}.{j} is blank. Add text to the text field, and try again."
            ));
        }
        joined.push_str(text);
    }
    Ok(joined)
}

/// `maxTokens`, checked with the sampling parameters.
fn inference(config: Option<&Value>) -> Result<Option<usize>, String> {
    let Some(config) = config else { return Ok(None) };
    let out_of_range = |name: &str, value: &Value, constraint: &str| {
        format!(
            "1 validation error detected: Value '{value}' at 'inferenceConfig.{name}' failed to satisfy constraint: Member must have value {constraint}"
        )
    };
    for name in ["temperature", "topP"] {
        if let Some(value) = config.get(name) {
            match value.as_f64() {
                Some(v) if (0.0..=1.0).contains(&v) => {}
                Some(v) if v < 0.0 => return Err(out_of_range(name, value, "greater than or equal to 0")),
                _ => return Err(out_of_range(name, value, "less than or equal to 1")),
            }
        }
    }
    match config.get("maxTokens") {
        None => Ok(None),
        Some(value) => match value.as_u64() {
            Some(n) if n >= 1 => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
            _ => Err(out_of_range("maxTokens", value, "greater than or equal to 1")),
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn message(role: &str, text: &str) -> Value {
        json!({"role": role, "content": [{"text": text}]})
    }

    #[test]
    fn the_conversation_must_start_with_the_user_and_alternate() {
        let refusal = |messages: Vec<Value>| parse(&json!({ "messages": messages })).err().unwrap_or_default();
        assert_eq!(refusal(vec![message("assistant", "Hi")]), MUST_START);
        assert_eq!(refusal(vec![]), MUST_START);
        assert_eq!(refusal(vec![message("user", "a"), message("user", "b")]), MUST_ALTERNATE);
        assert!(refusal(vec![message("system", "a")]).contains("enum value set"));
        assert!(refusal(vec![message("user", " ")]).contains("messages.0.content.0 is blank"));
    }

    #[test]
    fn the_last_user_turn_and_the_limit_are_read() {
        let body = json!({
            "messages": [message("user", "first"), message("assistant", "ok"), message("user", "second")],
            "system": [{"text": "Be brief."}],
            "inferenceConfig": {"maxTokens": 7, "temperature": 0.5},
        });
        let parsed = parse(&body).expect("valid");
        assert_eq!((parsed.last_user_text.as_str(), parsed.max_tokens), ("second", 7));
        let hot = json!({"messages": [message("user", "x")], "inferenceConfig": {"temperature": 1.5}});
        assert!(parse(&hot).err().unwrap_or_default().contains("inferenceConfig.temperature"));
    }
}
