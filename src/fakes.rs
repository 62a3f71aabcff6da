//! In-process fakes of external services, speaking their real wire protocols. Tests and benchmarks only.
//!
//! Each fake binds `127.0.0.1:0`, so tests run in parallel without port clashes, and shuts down when
//! dropped.

pub mod openai;
pub mod site;

pub use openai::{Failure, FakeOpenAi, FakeOpenAiConfig};
pub use site::{FakeSite, HANDBOOK, HANDBOOK_SECRET, HandbookPage, LoggedRequest, Resource};
