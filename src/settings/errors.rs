//! Setting errors as people read them: the key as they wrote it (`WEBPLUS_MAX_UPLOAD_BYTES` when
//! it came from the environment, `sitechat.max_upload_bytes` from `webplus.toml`), the form it
//! expects and what was given, never a secret.

use figment::{Figment, error::Kind, value::Value};

use super::{
    env::EnvLayer,
    keys::{self, Form, KEYS, Key},
};

/// A setting that could not be used: the key, what it should look like, what was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting {key}: expected {expected}{}", got.as_ref().map(|g| format!(", got {g:?}")).unwrap_or_default())]
pub struct SettingsError {
    pub key: String,
    pub expected: String,
    pub got: Option<String>,
}

impl SettingsError {
    pub fn new(key: impl Into<String>, expected: impl Into<String>, got: Option<String>) -> Self {
        Self { key: key.into(), expected: expected.into(), got }
    }
}

/// Which layer gave each setting, to name it the way it was written.
pub(super) struct Origin<'a> {
    pub(super) env: &'a EnvLayer,
    pub(super) figment: &'a Figment,
}

impl Origin<'_> {
    /// The environment variable if it is set (it wins over the file), else the file key.
    fn name(&self, key: &Key) -> &'static str {
        if self.env.get(key).is_some() { key.env } else { key.file }
    }

    /// The error for a setting whose value was refused: named as given, with the value unless the
    /// setting is a secret.
    pub(super) fn invalid(&self, file_key: &str) -> SettingsError {
        let key = keys::by_file(file_key);
        let got = match key.form {
            Form::Secret => None,
            _ => match self.env.get(key) {
                Some(text) => Some(text.to_owned()),
                None => self.figment.find_value(key.file).ok().and_then(|v| shown(&v)),
            },
        };
        SettingsError::new(self.name(key), key.expected, got)
    }

    /// Turns figment's error (the first one) into the key, the expected form and the value.
    pub(super) fn explain(&self, e: figment::Error) -> SettingsError {
        let path = e.path.join(".");
        match &e.kind {
            Kind::UnknownField(field, known) => {
                let section = path.strip_suffix(field.as_str()).unwrap_or("").trim_end_matches('.');
                let place = if section.is_empty() { String::new() } else { format!(" in [{section}]") };
                SettingsError::new(path.clone(), format!("one of the known keys{place}: {}", known.join(", ")), None)
            }
            Kind::MissingField(field) => {
                let full = if path.is_empty() { field.to_string() } else { format!("{path}.{field}") };
                let Some(key) = keys::lookup(&full) else {
                    return SettingsError::new(full, "a value", None);
                };
                // A section with a required key: name it the way the rest of the section was given.
                let section = path.as_str();
                let from_env =
                    KEYS.iter().any(|k| k.file.starts_with(&format!("{section}.")) && self.env.get(k).is_some());
                let name = if from_env { key.env } else { key.file };
                SettingsError::new(name, format!("{}, needed by the other {section} settings", key.expected), None)
            }
            _ => match setting_at(&path) {
                Some(key) => self.invalid(key.file),
                None if path.is_empty() => {
                    SettingsError::new("webplus.toml", format!("valid TOML ({})", without_snippet(&e.kind)), None)
                }
                None if keys::is_section(&path) => SettingsError::new(path.clone(), format!("a [{path}] table"), None),
                // Not a setting: say nothing about the value, it could be anything.
                None => SettingsError::new(path, "a valid setting", None),
            },
        }
    }
}

/// The setting a path is in (`cors_origins.0` is in `cors_origins`).
fn setting_at(path: &str) -> Option<&'static Key> {
    KEYS.iter().filter(|k| path == k.file || path.starts_with(&format!("{}.", k.file))).max_by_key(|k| k.file.len())
}

/// A value as the user wrote it, for "got …".
fn shown(v: &Value) -> Option<String> {
    match v {
        Value::String(_, s) => Some(s.clone()),
        other => serde_json::to_string(other).ok(),
    }
}

/// A TOML syntax error without the quoted source line (it may hold a secret): "TOML parse error at
/// line 3, column 14: invalid basic string".
fn without_snippet(kind: &Kind) -> String {
    let text = kind.to_string();
    let kept: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.trim_start_matches(|c: char| c.is_ascii_digit()).trim_start().starts_with('|'))
        .collect();
    kept.join(": ")
}
