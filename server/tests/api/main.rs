//! Integration tests: the real app on a random port with its own SQLite database, talking to an
//! in-process fake OpenAI server (and, where said, the real local model).

mod attachments;
mod auth;
mod branches;
mod chat;
mod cli;
mod connections;
mod csrf;
mod embeddings;
mod errors;
mod hardening;
mod helpers;
mod http;
mod knowledge_bases;
mod models;
mod ollama;
mod openai_api;
mod ownership;
mod pages;
mod pipelines;
mod recrawl;
mod signups;
mod transfer;
mod usage;
mod widget;
