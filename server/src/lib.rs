//! The Web+ server: axum + Leptos SSR, the OpenAI-compatible API, and the `webplus` CLI.

pub mod cli;
pub mod cpu;
pub mod http;
pub mod middleware;
pub mod providers;
pub mod runtime;
pub mod sitechat;
pub mod startup;
pub mod state;
pub mod telemetry;

pub use startup::Application;
