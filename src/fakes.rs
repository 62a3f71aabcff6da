//! In-process fakes of external services, speaking their real wire protocols. Tests and benchmarks only.
//!
//! Each fake binds `127.0.0.1:0`, so tests run in parallel without port clashes, and shuts down when
//! dropped.

pub mod openai;

pub use openai::{Failure, FakeOpenAi, FakeOpenAiConfig};
