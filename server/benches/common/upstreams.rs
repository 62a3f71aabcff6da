//! The four provider kinds' in-process fakes, declared together to one `webplus` process through
//! its environment (`src/settings/keys.rs` names the variables), each with the way to call it
//! directly and the model id that reaches it through Web+ (`<connection>/<model>`).

use std::process::Command;

use webplus::fakes::{
    FakeAnthropic, FakeAnthropicConfig, FakeBedrock, FakeBedrockConfig, FakeOllama, FakeOllamaConfig, FakeOpenAi,
    FakeOpenAiConfig,
};

use super::{bedrock, direct::Direct};

const OPENAI_MODEL: &str = "gpt-4o-mini";
/// Served by the fake's default config.
const ANTHROPIC_MODEL: &str = "claude-haiku-4-5";
/// Installed in the fake's default config; Ollama's full name, tag included.
const OLLAMA_MODEL: &str = "llama3.2:latest";
/// A chat model of the fake's default config.
const BEDROCK_MODEL: &str = "amazon.nova-lite-v1:0";

/// One provider kind as the bench compares it.
pub struct Route {
    pub label: &'static str,
    pub direct: Direct,
    /// The model id through Web+'s `/v1/chat/completions`.
    pub through_model: String,
}

pub struct Upstreams {
    openai: FakeOpenAi,
    anthropic: FakeAnthropic,
    ollama: FakeOllama,
    bedrock: FakeBedrock,
}

impl Upstreams {
    pub async fn start() -> Upstreams {
        Upstreams {
            openai: FakeOpenAi::start(FakeOpenAiConfig::default().reply_text("one two three four five")).await,
            anthropic: FakeAnthropic::start(FakeAnthropicConfig::default()).await,
            ollama: FakeOllama::start(FakeOllamaConfig::default()).await,
            bedrock: FakeBedrock::start(FakeBedrockConfig::default()).await,
        }
    }

    /// Declares every fake as the settings' connection of its kind (`openai`, `anthropic`,
    /// `ollama`, `bedrock`). `scratch` is an empty directory: the AWS profile files point into it,
    /// so only these variables reach the SDK's default credential chain.
    pub fn declare(&self, c: &mut Command, scratch: &std::path::Path) {
        c.env("WEBPLUS_OPENAI_BASE_URL", self.openai.base_url())
            .env("WEBPLUS_OPENAI_API_KEY", self.openai.api_key())
            .env("WEBPLUS_OPENAI_MODELS", OPENAI_MODEL)
            .env("WEBPLUS_ANTHROPIC_BASE_URL", self.anthropic.base_url())
            .env("WEBPLUS_ANTHROPIC_API_KEY", self.anthropic.api_key())
            .env("WEBPLUS_ANTHROPIC_MODELS", ANTHROPIC_MODEL)
            .env("WEBPLUS_OLLAMA_BASE_URL", self.ollama.base_url())
            .env("WEBPLUS_OLLAMA_MODELS", OLLAMA_MODEL)
            .env("WEBPLUS_BEDROCK_MODELS", BEDROCK_MODEL)
            .env("WEBPLUS_BEDROCK_REGION", self.bedrock.region())
            .env("WEBPLUS_BEDROCK_ENDPOINT_URL", self.bedrock.endpoint_url())
            .env("AWS_ACCESS_KEY_ID", self.bedrock.access_key_id())
            .env("AWS_SECRET_ACCESS_KEY", bedrock::SECRET_ACCESS_KEY)
            .env("AWS_CONFIG_FILE", scratch.join("aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", scratch.join("aws-credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE");
    }

    /// The OpenAI-compatible fake's base URL (`…/v1`).
    pub fn openai_base_url(&self) -> String {
        self.openai.base_url()
    }

    /// The OpenAI-compatible fake's direct call, sent to `base_url` instead (a proxy in front of it).
    pub fn openai_direct(&self, base_url: &str) -> Direct {
        Direct::OpenAi { base_url: base_url.to_owned(), api_key: self.openai.api_key(), model: OPENAI_MODEL.into() }
    }

    pub fn routes(&self) -> Vec<Route> {
        let bedrock = &self.bedrock;
        vec![
            Route {
                label: "OpenAI-compatible",
                direct: Direct::OpenAi {
                    base_url: self.openai.base_url(),
                    api_key: self.openai.api_key(),
                    model: OPENAI_MODEL.into(),
                },
                through_model: format!("openai/{OPENAI_MODEL}"),
            },
            Route {
                label: "Anthropic",
                direct: Direct::Anthropic {
                    base_url: self.anthropic.base_url(),
                    api_key: self.anthropic.api_key(),
                    model: ANTHROPIC_MODEL.into(),
                },
                through_model: format!("anthropic/{ANTHROPIC_MODEL}"),
            },
            Route {
                label: "Ollama",
                direct: Direct::Ollama { base_url: self.ollama.base_url(), model: OLLAMA_MODEL.into() },
                through_model: format!("ollama/{OLLAMA_MODEL}"),
            },
            Route {
                label: "Bedrock",
                direct: Direct::Bedrock {
                    client: bedrock::client(&bedrock.endpoint_url(), bedrock.region(), bedrock.access_key_id()),
                    model: BEDROCK_MODEL.into(),
                },
                through_model: format!("bedrock/{BEDROCK_MODEL}"),
            },
        ]
    }
}
