//! Reusable UI pieces: form fields, the login gate, chat building blocks.

mod composer;
mod conversation_item;
mod form;
mod gate;
mod kb_picker;
mod message;
mod sidebar;
mod sources;
mod stream;
mod time;

pub use composer::Composer;
pub use conversation_item::ConversationItem;
pub use form::{ErrorBanner, FieldError, PasswordMeter, TextField, field_error, top_error};
pub use gate::{LogoutButton, logged_in, use_hydrated};
pub use kb_picker::KbPicker;
pub use message::{LiveMessage, MessageList};
pub use sidebar::{ChatCtx, Sidebar};
pub use sources::{CitedText, Sources, segments};
pub use stream::ReplyStream;
pub use time::format_time;
