//! What a connection is made of, and the checks a new or changed one passes: each refusal names
//! the field and says what to give instead.

use serde::{Deserialize, Serialize};

use crate::settings::Secret;
use crate::{Error, Result};

/// The protocol a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    /// Any server with OpenAI's chat completions API (OpenAI, vLLM, llama.cpp, Groq, ...).
    Openai,
    Anthropic,
    Bedrock,
    Ollama,
}

impl ConnectionKind {
    pub const ALL: [Self; 4] = [Self::Openai, Self::Anthropic, Self::Bedrock, Self::Ollama];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Openai => "openai",
            Self::Anthropic => "anthropic",
            Self::Bedrock => "bedrock",
            Self::Ollama => "ollama",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// For people: "Anthropic", "Amazon Bedrock", ...
    pub fn label(self) -> &'static str {
        match self {
            Self::Openai => "OpenAI-compatible",
            Self::Anthropic => "Anthropic",
            Self::Bedrock => "Amazon Bedrock",
            Self::Ollama => "Ollama",
        }
    }

    /// The base URL used when none is given; `None` where one is required (OpenAI-compatible
    /// servers are anywhere) or the region decides (Bedrock).
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            Self::Openai | Self::Bedrock => None,
            Self::Anthropic => Some("https://api.anthropic.com"),
            Self::Ollama => Some("http://127.0.0.1:11434"),
        }
    }
}

/// A connection as the engine uses it: validated, with its key opened.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionSpec {
    pub kind: ConnectionKind,
    /// Qualifies the connection's model ids (`name/model`).
    pub name: String,
    /// Absent: the kind's default (or, for Bedrock, the region's endpoint).
    pub base_url: Option<String>,
    /// Bedrock only.
    pub region: Option<String>,
    /// Bedrock: `ACCESS_KEY_ID:SECRET_ACCESS_KEY`, absent for the default AWS credential chain.
    pub api_key: Option<Secret>,
    /// Model ids offered; empty: whatever the server lists.
    pub models: Vec<String>,
}

const MAX_NAME: usize = 40;
const MAX_KEY: usize = 4096;
const MAX_MODELS: usize = 500;
const MAX_MODEL_ID: usize = 200;

impl ConnectionSpec {
    /// Trims and checks every field; blank optional fields become `None`.
    pub fn validated(mut self) -> Result<Self> {
        self.name = self.name.trim().to_owned();
        check_name(&self.name)?;
        self.base_url = blank_to_none(self.base_url);
        self.region = blank_to_none(self.region);
        if let Some(url) = &self.base_url {
            check_base_url(url)?;
            self.base_url = Some(url.trim_end_matches('/').to_owned());
        } else if self.kind == ConnectionKind::Openai {
            return Err(Error::invalid(
                "base_url",
                "an OpenAI-compatible connection needs the server's URL up to its version, like https://api.openai.com/v1",
            ));
        }
        match (self.kind, &self.region) {
            (ConnectionKind::Bedrock, None) => {
                return Err(Error::invalid("region", "a Bedrock connection needs an AWS region, like us-east-1"));
            }
            (ConnectionKind::Bedrock, Some(r)) => check_region(r)?,
            (_, Some(_)) => return Err(Error::invalid("region", "only Bedrock connections take a region")),
            (_, None) => {}
        }
        self.api_key = self.api_key.map(|k| Secret::new(k.expose().trim())).filter(|k| !k.is_empty());
        match (&self.api_key, self.kind) {
            (Some(key), kind) => check_key(key, kind)?,
            (None, ConnectionKind::Anthropic) => {
                return Err(Error::invalid("api_key", "an Anthropic connection needs an API key (sk-ant-…)"));
            }
            (None, _) => {}
        }
        self.models = check_models(std::mem::take(&mut self.models))?;
        if self.kind == ConnectionKind::Bedrock && self.models.is_empty() {
            return Err(Error::invalid(
                "models",
                "name the Bedrock model ids to offer, like anthropic.claude-3-5-haiku-20241022-v1:0",
            ));
        }
        Ok(self)
    }

    /// The base URL requests go to: the given one or the kind's default.
    pub fn effective_base_url(&self) -> Option<&str> {
        self.base_url.as_deref().or(self.kind.default_base_url())
    }
}

fn blank_to_none(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn check_name(name: &str) -> Result<()> {
    let ok_chars = name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b));
    let starts = name.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if name.is_empty() || name.len() > MAX_NAME || !ok_chars || !starts {
        return Err(Error::invalid(
            "name",
            format!(
                "use 1 to {MAX_NAME} lowercase letters, digits, '-', '_' or '.', starting with a letter or digit \
                 (it prefixes the model ids, like lab/llama3)"
            ),
        ));
    }
    Ok(())
}

fn check_base_url(url: &str) -> Result<()> {
    let parsed = url::Url::parse(url).ok();
    let ok = parsed.as_ref().is_some_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some_and(|h| !h.is_empty())
            && u.query().is_none()
            && u.fragment().is_none()
            && u.username().is_empty()
            && u.password().is_none()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "base_url",
            "give an http:// or https:// URL with a host and no query, fragment or credentials (put keys in api_key)",
        ))
    }
}

fn check_region(region: &str) -> Result<()> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        && parts.last().is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if ok { Ok(()) } else { Err(Error::invalid("region", "give an AWS region like us-east-1 or eu-central-1")) }
}

fn check_key(key: &Secret, kind: ConnectionKind) -> Result<()> {
    let k = key.expose();
    if k.len() > MAX_KEY || k.chars().any(char::is_control) {
        return Err(Error::invalid(
            "api_key",
            format!("an API key is at most {MAX_KEY} characters without line breaks or control characters"),
        ));
    }
    if kind == ConnectionKind::Bedrock && !k.split_once(':').is_some_and(|(id, s)| !id.is_empty() && !s.is_empty()) {
        return Err(Error::invalid(
            "api_key",
            "for Bedrock give ACCESS_KEY_ID:SECRET_ACCESS_KEY, or leave it empty to use the server's AWS credentials",
        ));
    }
    Ok(())
}

fn check_models(models: Vec<String>) -> Result<Vec<String>> {
    if models.len() > MAX_MODELS {
        return Err(Error::invalid("models", format!("give at most {MAX_MODELS} model ids")));
    }
    let mut out: Vec<String> = Vec::with_capacity(models.len());
    for m in models {
        let m = m.trim().to_owned();
        if m.is_empty() || m.len() > MAX_MODEL_ID || m.chars().any(char::is_control) {
            return Err(Error::invalid(
                "models",
                format!("each model id is 1 to {MAX_MODEL_ID} characters without control characters"),
            ));
        }
        if !out.contains(&m) {
            out.push(m);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: ConnectionKind) -> ConnectionSpec {
        ConnectionSpec {
            kind,
            name: "lab".into(),
            base_url: Some("http://10.0.0.5:11434/".into()),
            region: None,
            api_key: None,
            models: vec![],
        }
    }

    fn field_of(r: Result<ConnectionSpec>) -> String {
        match r {
            Err(Error::Invalid(v)) => v.field.to_string(),
            other => format!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn a_valid_spec_is_trimmed_and_defaults_apply() {
        let mut s = spec(ConnectionKind::Ollama);
        s.name = "  lab ".into();
        s.api_key = Some(Secret::new("  "));
        s.models = vec![" llama3 ".into(), "llama3".into()];
        let v = s.validated().unwrap();
        assert_eq!(v.name, "lab");
        assert_eq!(v.base_url.as_deref(), Some("http://10.0.0.5:11434"));
        assert_eq!(v.api_key, None);
        assert_eq!(v.models, ["llama3"]);
        let mut s = spec(ConnectionKind::Anthropic);
        s.base_url = None;
        s.api_key = Some(Secret::new("sk-ant-x\n"));
        let v = s.validated().unwrap();
        assert_eq!(v.effective_base_url(), Some("https://api.anthropic.com"));
        assert_eq!(v.api_key.unwrap().expose(), "sk-ant-x");
    }

    #[test]
    fn each_bad_field_is_named() {
        let mut s = spec(ConnectionKind::Ollama);
        s.name = "Lab/1".into();
        assert_eq!(field_of(s.validated()), "name");
        let mut s = spec(ConnectionKind::Openai);
        s.base_url = None;
        assert_eq!(field_of(s.validated()), "base_url");
        let mut s = spec(ConnectionKind::Openai);
        s.base_url = Some("ftp://x".into());
        assert_eq!(field_of(s.validated()), "base_url");
        let mut s = spec(ConnectionKind::Openai);
        s.base_url = Some("https://user:pw@x".into());
        assert_eq!(field_of(s.validated()), "base_url");
        let mut s = spec(ConnectionKind::Anthropic);
        assert_eq!(field_of(s.clone().validated()), "api_key");
        s.api_key = Some(Secret::new("a\u{7}b"));
        assert_eq!(field_of(s.validated()), "api_key");
        let mut s = spec(ConnectionKind::Ollama);
        s.region = Some("us-east-1".into());
        assert_eq!(field_of(s.validated()), "region");
        let mut s = spec(ConnectionKind::Ollama);
        s.models = vec!["".into()];
        assert_eq!(field_of(s.validated()), "models");
    }

    #[test]
    fn bedrock_needs_a_region_models_and_a_key_pair_if_any() {
        let mut s = spec(ConnectionKind::Bedrock);
        s.base_url = None;
        assert_eq!(field_of(s.clone().validated()), "region");
        s.region = Some("eu-central-1".into());
        assert_eq!(field_of(s.clone().validated()), "models");
        s.models = vec!["anthropic.claude-3-haiku-20240307-v1:0".into()];
        s.api_key = Some(Secret::new("AKIAONLY"));
        assert_eq!(field_of(s.clone().validated()), "api_key");
        s.api_key = Some(Secret::new("AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI"));
        assert!(s.clone().validated().is_ok());
        s.region = Some("useast1".into());
        assert_eq!(field_of(s.validated()), "region");
    }
}
