//! The OpenAI provider against the in-process fake OpenAI server.
