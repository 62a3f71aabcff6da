//! In-process fakes of external services, speaking their real wire protocols. Tests and benchmarks only.
//!
//! Each fake binds `127.0.0.1:0`, so tests run in parallel without port clashes, and shuts down when
//! dropped. The embedding fakes answer with [`hashed_bag`] vectors, so retrieval tests get rankings
//! that follow shared words.

pub mod anthropic;
pub mod bedrock;
pub mod hashed_bag;
mod image;
pub mod ollama;
pub mod openai;
mod serving;
pub mod site;
mod wait;

pub use anthropic::{AnthropicFailure, FakeAnthropic, FakeAnthropicConfig, FakeAnthropicRequest};
pub use bedrock::{BedrockFailure, FakeBedrock, FakeBedrockConfig, FakeBedrockRequest, StreamException};
pub use hashed_bag::{BagEmbedder, hashed_bag};
pub use ollama::{FakeModel, FakeOllama, FakeOllamaConfig, FakeOllamaRequest, OllamaFailure};
pub use openai::{
    DEFAULT_REPLY, DimensionsParam, EmbeddingFailure, Failure, FakeEmbeddingModel, FakeOpenAi, FakeOpenAiConfig,
};
pub use site::{FakeSite, HANDBOOK, HANDBOOK_SECRET, HandbookPage, LoggedRequest, Resource};
pub use wait::wait_until;
