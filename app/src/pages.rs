//! One component per route.

mod admin;
mod api_keys;
mod chat;
mod connections;
mod conversation;
mod import_conversations;
mod kb_detail;
mod knowledge;
mod login;
mod models;
mod new_chat;
mod not_found;
mod ollama_models;
mod pipeline;
mod pipeline_run;
mod pipelines;
mod register;
mod settings;
mod signup_notice;

pub use admin::AdminPage;
pub use chat::ChatPage;
pub use connections::ConnectionsPage;
pub use conversation::ConversationPage;
pub use kb_detail::KbPage;
pub use knowledge::KnowledgePage;
pub use login::LoginPage;
pub use models::ModelsPage;
pub use new_chat::NewChat;
pub use not_found::NotFound;
pub use ollama_models::OllamaModelsPage;
pub use pipeline::PipelinePage;
pub use pipeline_run::RunPage;
pub use pipelines::PipelinesPage;
pub use register::RegisterPage;
pub use settings::SettingsPage;
