//! Typed, layered settings: defaults, then `webplus.toml`, then `WEBPLUS_*` environment variables.

mod secret;

pub use secret::Secret;
