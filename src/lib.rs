//! Web+ engine: plain async Rust, no Leptos.
//!
//! `domain` (validation rules shared with the browser) builds everywhere; everything else needs the
//! `server` feature (on by default).

pub mod domain;

#[cfg(feature = "server")]
pub mod answer;
#[cfg(feature = "server")]
pub mod auth;
#[cfg(feature = "server")]
mod aws;
#[cfg(feature = "server")]
pub mod catalog;
#[cfg(feature = "server")]
pub mod chat;

#[cfg(feature = "server")]
pub mod connections;
#[cfg(feature = "server")]
pub mod crawl;
#[cfg(feature = "server")]
pub mod embed;
#[cfg(feature = "server")]
pub mod error;
#[cfg(feature = "fakes")]
pub mod fakes;
#[cfg(feature = "server")]
pub mod index;
#[cfg(feature = "server")]
pub mod ingest;
#[cfg(feature = "server")]
pub mod ledger;
#[cfg(feature = "server")]
pub mod local;
#[cfg(feature = "server")]
pub mod net;
#[cfg(feature = "server")]
pub mod pipelines;
#[cfg(feature = "server")]
pub mod providers;
#[cfg(feature = "server")]
pub mod ratelimit;
#[cfg(feature = "server")]
pub mod render;
#[cfg(feature = "server")]
pub mod settings;
#[cfg(feature = "server")]
pub mod sitechat;
#[cfg(feature = "server")]
pub mod storage;
#[cfg(feature = "server")]
pub mod time;
#[cfg(feature = "server")]
pub mod widget;

#[cfg(feature = "server")]
pub use error::{Error, Result};
