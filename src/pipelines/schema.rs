//! LLM nodes' JSON output: the `output_schema` compiled (jsonschema, without its HTTP and file
//! resolvers, so a `$ref` can reach neither the network nor the disk; patterns with the linear-time
//! `regex` engine), the instruction the model
//! gets, and a reply checked against it: the JSON found in it (a bare value, or one in a code
//! fence or among words), then every way it does not match, each with its place.

use jsonschema::{PatternOptions, Validator};
use serde_json::Value;

/// Replies sent back to the model with what was wrong, after the first.
pub const CORRECTIONS: usize = 2;
/// Mismatches named in one message.
const ERRORS_NAMED: usize = 5;

/// The schema as validation needs it, or why it cannot be used.
pub fn compile(schema: &Value) -> Result<Validator, String> {
    // The `regex` engine matches in linear time: a user's `pattern` cannot stall the server
    // (fancy-regex, the default, backtracks).
    let patterns = PatternOptions::regex().size_limit(1 << 20).dfa_size_limit(1 << 20);
    jsonschema::options()
        .with_pattern_options(patterns)
        .build(schema)
        .map_err(|e| format!("the output schema is not a JSON Schema this server can use: {e}"))
}

/// What the model is told along with the prompt.
pub fn instruction(schema: &Value) -> String {
    format!(
        "Reply with only a JSON value, without any other words or code fences, that matches this JSON Schema:\n{}",
        serde_json::to_string_pretty(schema).unwrap_or_else(|_| schema.to_string())
    )
}

/// What the model is told after a reply that did not match.
pub fn correction(why: &str) -> String {
    format!("That reply is not right: {why}. Reply again with only the JSON value, matching the schema.")
}

/// The JSON value of `reply` when it matches, else what was wrong.
pub fn check(validator: &Validator, reply: &str) -> Result<Value, String> {
    let value = extract(reply).ok_or("it holds no JSON value")?;
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .take(ERRORS_NAMED)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() { e.to_string() } else { format!("at {at}: {e}") }
        })
        .collect();
    if errors.is_empty() { Ok(value) } else { Err(errors.join("; ")) }
}

/// The JSON in a reply: all of it, else the inside of a code fence, else from its first `{` or
/// `[` to its last `}` or `]`.
fn extract(reply: &str) -> Option<Value> {
    let text = reply.trim();
    if let Ok(v) = serde_json::from_str(text) {
        return Some(v);
    }
    if let Some(start) = text.find("```") {
        let after = &text[start + 3..];
        let body = after.split_once('\n').map_or(after, |(_, rest)| rest);
        if let Some(end) = body.find("```")
            && let Ok(v) = serde_json::from_str(body[..end].trim())
        {
            return Some(v);
        }
    }
    let start = text.find(['{', '['])?;
    let end = text.rfind(['}', ']'])?;
    (end > start).then(|| serde_json::from_str(&text[start..=end]).ok()).flatten()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn person() -> Validator {
        compile(&json!({
            "type": "object",
            "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
            "required": ["name", "age"]
        }))
        .unwrap()
    }

    #[test]
    fn json_is_found_bare_fenced_or_among_words() {
        let v = person();
        let want = json!({"name": "Ada", "age": 36});
        assert_eq!(check(&v, r#"{"name": "Ada", "age": 36}"#), Ok(want.clone()));
        assert_eq!(check(&v, "```json\n{\"name\": \"Ada\", \"age\": 36}\n```"), Ok(want.clone()));
        assert_eq!(check(&v, "Here it is: {\"name\": \"Ada\", \"age\": 36}. Anything else?"), Ok(want));
        assert_eq!(check(&v, "I cannot do that."), Err("it holds no JSON value".into()));
    }

    #[test]
    fn a_mismatch_names_each_place_and_what_was_wrong() {
        let why = check(&person(), r#"{"name": 7, "age": -1}"#).unwrap_err();
        assert!(why.contains("at /name: 7 is not of type \"string\""), "{why}");
        assert!(why.contains("at /age: -1 is less than the minimum of 0"), "{why}");
        let why = check(&person(), r#"{"name": "Ada"}"#).unwrap_err();
        assert!(why.contains("\"age\" is a required property"), "{why}");
    }

    #[test]
    fn a_pattern_that_would_backtrack_for_ever_is_matched_in_linear_time() {
        let v = compile(&json!({"type": "string", "pattern": "^(a+)+$"})).unwrap();
        let evil = format!("\"{}!\"", "a".repeat(50_000));
        assert!(check(&v, &evil).unwrap_err().contains("does not match"));
    }

    #[test]
    fn a_schema_that_is_not_one_or_reaches_out_is_refused() {
        assert!(compile(&json!({"type": "no-such-type"})).unwrap_err().contains("not a JSON Schema"));
        let remote = json!({"$ref": "https://example.com/schema.json"});
        assert!(compile(&remote).is_err(), "a remote $ref must not be fetched");
        let file = json!({"$ref": "file:///etc/passwd"});
        assert!(compile(&file).is_err(), "a file $ref must not be read");
    }
}
