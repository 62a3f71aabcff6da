//! What an administrator types for an Ollama model: its name and how long to keep it loaded.
//! Checked here so a typo is refused with words, before Ollama answers with its own.

use crate::{Error, Result};

const MAX_MODEL: usize = 200;
const MAX_KEEP_ALIVE: usize = 32;

/// A model name as Ollama takes it (`llama3.2`, `qwen3:0.6b`, `hf.co/org/repo:Q4_K_M`), trimmed.
pub(super) fn model(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.len() > MAX_MODEL || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid(
            "model",
            format!("give a model name of 1 to {MAX_MODEL} characters without spaces, like llama3.2 or qwen3:0.6b"),
        ));
    }
    Ok(name.to_owned())
}

/// Ollama's full name: the tag defaults to `latest` (`llama3.2` is `llama3.2:latest`).
pub(super) fn canonical(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') { name.to_owned() } else { format!("{name}:latest") }
}

/// A keep-alive as Ollama reads it: whole seconds (`"300"`, `"0"` unloads, `"-1"` for ever) or a
/// Go duration (`"5m"`, `"1h30m"`, `"90s"`, `"-1m"` for ever).
pub(super) fn keep_alive(text: &str) -> Result<String> {
    let text = text.trim();
    let digits = text.strip_prefix('-').unwrap_or(text);
    let seconds = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    if text.len() <= MAX_KEEP_ALIVE && (seconds || go_duration(digits)) {
        Ok(text.to_owned())
    } else {
        Err(Error::invalid(
            "keep_alive",
            "give a duration like 5m, 1h or 90s, a number of seconds, 0 to unload at once or -1 to keep it loaded",
        ))
    }
}

/// `1h30m`, `2.5s`, `500ms`: numbers each followed by a unit Go's `time.ParseDuration` knows.
fn go_duration(text: &str) -> bool {
    let mut rest = text;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let number = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (value, tail) = rest.split_at(number);
        if value.is_empty() || value.starts_with('.') || value.ends_with('.') || value.matches('.').count() > 1 {
            return false;
        }
        let Some(unit) = ["ns", "us", "µs", "ms", "h", "m", "s"].into_iter().find(|u| tail.starts_with(u)) else {
            return false;
        };
        rest = &tail[unit.len()..];
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_alives_ollama_reads_pass_and_others_name_the_field() {
        for ok in ["5m", "1h", "-1", "0", "300", "1h30m", "2.5s", "500ms", " 10m "] {
            assert_eq!(keep_alive(ok).ok().as_deref(), Some(ok.trim()), "{ok}");
        }
        for bad in ["", "5 minutes", "m", "1.h", "10x", "--1", "1h30", &"1".repeat(40)] {
            assert!(matches!(keep_alive(bad), Err(Error::Invalid(v)) if v.field == "keep_alive"), "{bad:?}");
        }
    }

    #[test]
    fn model_names_are_trimmed_and_spaces_refused() {
        assert_eq!(model(" qwen3:0.6b ").ok().as_deref(), Some("qwen3:0.6b"));
        assert!(matches!(model("llama 3"), Err(Error::Invalid(v)) if v.field == "model"));
        assert!(matches!(model(""), Err(Error::Invalid(v)) if v.field == "model"));
        assert_eq!(canonical("llama3.2"), "llama3.2:latest");
        assert_eq!(canonical("hf.co/org/repo:Q4_K_M"), "hf.co/org/repo:Q4_K_M");
        assert_eq!(canonical("registry.local:5000/m"), "registry.local:5000/m:latest");
    }
}
