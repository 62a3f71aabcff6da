//! The table of keys against the structs it describes and the README that documents it.

use std::collections::{BTreeSet, HashMap};

use figment::{
    Figment,
    error::Kind,
    providers::{Format, Toml},
};

use super::{Form, KEYS, Key, is_section};
use crate::settings::Settings;

/// The field names serde knows for a section ("" for the top level), read from the error a
/// key no struct has produces: serde lists every field it accepts there.
fn fields_of(section: &str) -> &'static [&'static str] {
    let toml = if section.is_empty() { "__probe__ = 1\n".to_owned() } else { format!("[{section}]\n__probe__ = 1\n") };
    match Figment::from(Toml::string(&toml)).extract_lossy::<Settings>() {
        Err(e) => match e.kind {
            Kind::UnknownField(_, known) => known,
            other => panic!("[{section}] did not refuse an unknown key: {other}"),
        },
        Ok(_) => panic!("[{section}] accepted an unknown key"),
    }
}

#[test]
fn every_field_of_the_settings_structs_has_a_row_in_the_table_of_keys_and_every_row_a_field() {
    let mut fields = BTreeSet::new();
    for &field in fields_of("") {
        if is_section(field) {
            fields.extend(fields_of(field).iter().map(|f| format!("{field}.{f}")));
        } else {
            // A new section with no rows yet lands here and fails below as a key without a row.
            fields.insert(field.to_owned());
        }
    }
    let rows: BTreeSet<String> = KEYS.iter().map(|k| k.file.to_owned()).collect();
    assert_eq!(fields, rows, "settings fields (left) and settings::KEYS rows (right) differ");
}

#[test]
fn names_are_unique_and_every_variable_starts_with_webplus() {
    let files: BTreeSet<_> = KEYS.iter().map(|k| k.file).collect();
    let envs: BTreeSet<_> = KEYS.iter().map(|k| k.env).collect();
    assert_eq!(files.len(), KEYS.len());
    assert_eq!(envs.len(), KEYS.len());
    assert!(KEYS.iter().all(|k| k.env.starts_with("WEBPLUS_") && k.env != "WEBPLUS_CONFIG"));
}

/// The example as a line of `webplus.toml`, under its section.
fn as_toml(key: &Key) -> String {
    let value = match key.form {
        Form::Number | Form::Bool => key.example.to_owned(),
        Form::Text | Form::Secret => format!("{:?}", key.example),
        Form::List => {
            let items: Vec<String> = key.example.split(',').map(|s| format!("{:?}", s.trim())).collect();
            format!("[{}]", items.join(", "))
        }
    };
    match key.file.split_once('.') {
        Some((section, name)) => format!("[{section}]\n{name} = {value}\n"),
        None => format!("{} = {value}\n", key.file),
    }
}

#[test]
fn each_setting_reads_the_same_from_its_variable_and_its_file_key_and_changes_the_setting() {
    for key in KEYS {
        // The other openai keys need a base URL, the other anthropic keys a key; give it the same
        // way to all three loads.
        let mut base = HashMap::new();
        if key.file.starts_with("openai.") && key.file != "openai.base_url" {
            base.insert("WEBPLUS_OPENAI_BASE_URL".to_owned(), "https://api.example.com/v1".to_owned());
        }
        if key.file.starts_with("anthropic.") && key.file != "anthropic.api_key" {
            base.insert("WEBPLUS_ANTHROPIC_API_KEY".to_owned(), "sk-ant-base".to_owned());
        }
        let before = Settings::from_sources(None, &base).unwrap();
        let mut env = base.clone();
        env.insert(key.env.to_owned(), key.example.to_owned());
        let from_env = Settings::from_sources(None, &env).unwrap_or_else(|e| panic!("{}: {e}", key.env));
        let toml = as_toml(key);
        let from_file = Settings::from_sources(Some(&toml), &base).unwrap_or_else(|e| panic!("{toml}: {e}"));
        assert_ne!(from_env, before, "{} changed nothing", key.env);
        assert_eq!(from_env, from_file, "{} and {} differ", key.env, key.file);
    }
}

/// `(variable, webplus.toml key)` of each row of the README's settings table.
fn readme_rows() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme.split("\n## Configuration\n").nth(1).expect("README has a Configuration section");
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter(|l| l.starts_with("| `WEBPLUS_"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(|c| c.trim().trim_matches('`')).collect();
            (cells[1].to_owned(), cells[2].to_owned())
        })
        .collect()
}

#[test]
fn the_readme_table_lists_every_setting_with_its_variable_and_file_key_once() {
    let rows = readme_rows();
    let documented: BTreeSet<(String, String)> = rows.iter().cloned().collect();
    assert_eq!(documented.len(), rows.len(), "a setting is listed twice in README.md");
    let declared: BTreeSet<(String, String)> = KEYS.iter().map(|k| (k.env.to_owned(), k.file.to_owned())).collect();
    assert_eq!(documented, declared, "README.md's settings table (left) and settings::KEYS (right) differ");
}
