//! The `WEBPLUS_*` environment layer: a figment provider built from a map of variables (the
//! process environment, or a test's map) through the table of keys, so every variable lands on
//! its nested key (`WEBPLUS_OPENAI_BASE_URL` → `openai.base_url`) and other `WEBPLUS_*` variables
//! (`WEBPLUS_LOG`, `WEBPLUS_CONFIG`, test harness variables) are left alone.

use std::collections::HashMap;

use figment::{
    Metadata, Profile, Provider,
    value::{Dict, Map, Value},
};

use super::keys::{Form, KEYS, Key};

pub(super) struct EnvLayer {
    /// The settings given, trimmed; an empty variable counts as unset.
    given: Vec<(&'static Key, String)>,
}

impl EnvLayer {
    pub(super) fn new(env: &HashMap<String, String>) -> Self {
        let given = KEYS
            .iter()
            .filter_map(|k| env.get(k.env).map(|v| (k, v.trim().to_owned())))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        Self { given }
    }

    /// The value given for a setting, as written (`None` when unset).
    pub(super) fn get(&self, key: &Key) -> Option<&str> {
        self.given.iter().find(|(k, _)| k.file == key.file).map(|(_, v)| v.as_str())
    }
}

impl Provider for EnvLayer {
    fn metadata(&self) -> Metadata {
        Metadata::named("WEBPLUS_* environment variables")
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut dict = Dict::new();
        for (key, text) in &self.given {
            // Numbers and booleans stay text: the settings are extracted leniently, so "8080"
            // reads as a number where one is expected, and "20MB" fails there with the key's name.
            let value = match key.form {
                Form::List => Value::from(text.split(',').map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>()),
                Form::Text | Form::Secret | Form::Number | Form::Bool => Value::from(text.as_str()),
            };
            insert(&mut dict, key.file, value);
        }
        Ok(Profile::Default.collect(dict))
    }
}

/// Puts `value` at a dotted path, creating the sections on the way.
fn insert(dict: &mut Dict, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            dict.insert(path.to_owned(), value);
        }
        Some((section, rest)) => {
            let entry = dict.entry(section.to_owned()).or_insert_with(|| Value::from(Dict::new()));
            if let Value::Dict(_, inner) = entry {
                insert(inner, rest, value);
            }
        }
    }
}
