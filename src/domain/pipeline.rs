//! Pipelines (the code factory): the saved format and its validation, the same in the browser's
//! builder and on the server. The engine that runs them is `crate::pipelines`.

mod format;
mod http;
mod validate;

#[cfg(test)]
mod tests;

pub use format::{
    Body, Case, Definition, ERROR_PORT, Edge, FORMAT_VERSION, Field, HttpMethod, Interface, LlmParams, Node, NodeKind,
    OnError, Port, PortRef, PortType, Position, Retry,
};
pub use http::{AllowedHosts, MAX_ALLOWED_HOSTS, literal_scheme_and_host};
pub use validate::{
    AnyModel, Known, MAX_BACKOFF_MS, MAX_CONCURRENCY, MAX_EDGES, MAX_ITERATIONS, MAX_KNOWLEDGE_BASES, MAX_NODES,
    MAX_PASSAGES, MAX_RETRIES, MAX_TIMEOUT_MS, Problem, valid_node_id, valid_port_name, validate,
};
