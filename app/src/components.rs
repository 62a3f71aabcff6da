//! Reusable UI pieces: form fields, the login gate, chat building blocks.

mod branch;
mod chat_ctx;
mod chat_settings;
mod composer;
mod conversation_item;
mod form;
mod gate;
mod kb_picker;
mod message;
mod ollama_events;
mod post_body;
mod search;
mod sidebar;
mod sources;
mod stream;
mod theme;
mod time;
mod usage;

pub use branch::BranchActions;
pub use chat_ctx::ChatCtx;
pub use chat_settings::ChatSettingsPanel;
pub use composer::Composer;
pub use conversation_item::ConversationItem;
pub use form::{ErrorBanner, FieldError, PasswordMeter, TextField, field_error, top_error};
pub use gate::{CurrentUser, LogoutButton, current_user_resource, logged_in, use_hydrated};
pub use kb_picker::KbPicker;
pub use message::{LiveMessage, MessageList};
pub use ollama_events::OllamaEvents;
pub use post_body::post_body;
pub use search::{SearchDialog, open_on_ctrl_k as open_search_on_ctrl_k};
pub use sidebar::Sidebar;
pub use sources::Sources;
pub use stream::{ReplySignals, ReplyStream};
pub use theme::{Theme, ThemeToggle};
pub use time::format_time;
pub use usage::{ConversationTotals, ReplyUsageLine};
