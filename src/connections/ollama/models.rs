//! A model as the admin page lists it: installed, and whether it is loaded and until when.

use serde::Serialize;

use crate::providers::ollama::{InstalledModel, RunningModel};

/// An installed model, and whether it is loaded and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OllamaModel {
    /// Ollama's name (`llama3.2:latest`).
    pub name: String,
    /// The id users pick it by (`connection/name`).
    pub model: String,
    /// On disk, in bytes.
    pub size: u64,
    pub modified_at: String,
    pub family: Option<String>,
    pub parameter_size: Option<String>,
    pub quantization_level: Option<String>,
    /// Whether it is loaded in memory now.
    pub running: bool,
    /// When Ollama unloads it (Unix ms), if loaded; centuries ahead when kept loaded for ever.
    pub expires_at: Option<i64>,
    /// Of its memory, how much is on the GPU (bytes), if loaded.
    pub size_vram: Option<u64>,
}

/// The installed models with their loaded state; a model loaded but not listed (removed from
/// disk while loaded) is left out.
pub(super) fn merge(connection: &str, installed: Vec<InstalledModel>, running: &[RunningModel]) -> Vec<OllamaModel> {
    installed
        .into_iter()
        .map(|m| {
            let loaded = running.iter().find(|r| r.name == m.name);
            OllamaModel {
                model: format!("{connection}/{}", m.name),
                running: loaded.is_some(),
                expires_at: loaded.and_then(|r| r.expires_at_ms),
                size_vram: loaded.map(|r| r.size_vram),
                name: m.name,
                size: m.size,
                modified_at: m.modified_at,
                family: m.family,
                parameter_size: m.parameter_size,
                quantization_level: m.quantization_level,
            }
        })
        .collect()
}
