//! The code factory's canvas and builder pieces: geometry, the editor's state, the canvas (builder
//! and run view), the settings, problems and sharing panels, and a run's live events.

mod canvas;
mod edit;
mod editor;
mod geometry;
mod run_events;
mod settings;
mod sharing;

pub use canvas::{Canvas, NodeClass, NodeNote};
pub use editor::Editor;
pub use run_events::{RunEvents, RunSignals};
pub use settings::{Choices, ProblemsPanel, SettingsPanel};
pub use sharing::SharingPanel;
