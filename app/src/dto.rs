//! Types shared by the browser and the server functions.

mod kb;
mod pipelines;

use serde::{Deserialize, Serialize};
pub use webplus::domain::{JobKind, JobStatus, MessageRole, MessageStatus, UserRole};

pub use kb::*;
pub use pipelines::*;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: String,
    pub email: String,
    pub role: UserRole,
}

impl UserInfo {
    pub fn is_admin(&self) -> bool {
        self.role == UserRole::Admin
    }
}

/// What a sign-up did: the account (as `UserInfo`'s fields), and whether it must wait for an
/// administrator's approval (then no session was started).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registered {
    #[serde(flatten)]
    pub user: UserInfo,
    pub awaiting_approval: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationDto {
    pub id: String,
    pub title: String,
    pub model: String,
    /// Unix milliseconds.
    pub updated_at: i64,
    #[serde(default)]
    pub pinned: bool,
    #[serde(default)]
    pub archived: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationPage {
    pub items: Vec<ConversationDto>,
    pub next_cursor: Option<String>,
    /// With the first page of the main list: the pinned conversations, shown above it.
    #[serde(default)]
    pub pinned: Vec<ConversationDto>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageDto {
    pub id: String,
    pub role: MessageRole,
    pub content: String,
    pub status: MessageStatus,
    pub error: Option<String>,
    pub created_at: i64,
    /// What the reply was given from attached knowledge bases, cited as `[n]` (else empty).
    #[serde(default)]
    pub sources: Vec<SourceDto>,
    /// What a reply's model call used, from the usage ledger (None: none recorded, or a user's).
    #[serde(default)]
    pub usage: Option<ReplyUsageDto>,
    /// Parameters the reply's model does not take, so they were not sent (a note under it).
    #[serde(default)]
    pub dropped_params: Vec<String>,
    /// A reply's text as safe HTML, a string per top-level block (rendered by the engine's
    /// `webplus::render`; empty for the user's own messages, shown as text).
    #[serde(default)]
    pub html: Vec<String>,
    /// The message it follows (None: a first message).
    #[serde(default)]
    pub parent_id: Option<String>,
    /// Its siblings' ids, itself included, oldest first: the versions of an edited question or a
    /// regenerated reply (the ‹ 2/3 › switcher). Empty when not known (read as itself alone).
    #[serde(default)]
    pub siblings: Vec<String>,
    /// The files a question carries, in order.
    #[serde(default)]
    pub attachments: Vec<AttachmentDto>,
}

/// A file attached to a message (or uploaded for one): a chip with a preview, a download at
/// `/api/v1/attachments/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentDto {
    pub id: String,
    pub name: String,
    pub media_type: String,
    pub size_bytes: i64,
    /// The start of its text, highlighted, as safe HTML (None for an image).
    #[serde(default)]
    pub preview_html: Option<String>,
}

impl AttachmentDto {
    pub fn is_image(&self) -> bool {
        self.media_type.starts_with("image/")
    }

    pub fn url(&self) -> String {
        format!("/api/v1/attachments/{}", self.id)
    }
}

/// A search result: a conversation whose title matched, or one of its messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHitDto {
    pub conversation_id: String,
    pub title: String,
    /// None: the title matched.
    pub message_id: Option<String>,
    pub role: Option<MessageRole>,
    /// The excerpt in pieces, `true` for a word that matched.
    pub excerpt: Vec<(String, bool)>,
    pub at: i64,
}

impl SearchHitDto {
    /// Where the result leads: the conversation, scrolled to the message (on its branch).
    pub fn href(&self) -> String {
        match &self.message_id {
            Some(m) => format!("/c/{}?m={m}", self.conversation_id),
            None => format!("/c/{}", self.conversation_id),
        }
    }
}

/// What a reply's model call used: the line under it, and its share of the conversation's totals.
/// The live stream's `done` event and the ledger (after a reload) give the same values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyUsageDto {
    pub model: String,
    /// None when the call did not report them (stopped or failed before the end).
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    /// Billionths of a US dollar at list prices; 0 for the local model; None when unpriced.
    pub cost_nano_usd: Option<i64>,
    /// Calls that used tokens but whose model has no known prices.
    pub unpriced_calls: i64,
    /// True when Web+ counted the tokens because the provider reported none (shown as `≈`).
    #[serde(default)]
    pub counted: bool,
    pub ttft_ms: Option<i64>,
    pub duration_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationDetail {
    pub conversation: ConversationDto,
    /// The last page of the branch on show.
    pub page: MessagePage,
    /// The ids of the knowledge bases attached to it.
    pub knowledge_bases: Vec<String>,
}

/// Part of the branch on show, oldest first (see `webplus::chat::ThreadPage`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagePage {
    pub messages: Vec<MessageDto>,
    /// How many messages of the branch come before these (loaded on demand).
    pub earlier: usize,
    /// What the replies among those used: the conversation's totals count them too.
    pub earlier_usage: Totals,
}

/// Summed usage of a conversation's replies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub replies: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_nano_usd: i64,
    pub priced: bool,
    pub unpriced_calls: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentMessage {
    /// The conversation after the send (its title is set from the first message).
    pub conversation: ConversationDto,
    /// The question asked (None: a regenerated reply).
    pub user: Option<MessageDto>,
    pub reply: MessageDto,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelDto {
    pub id: String,
    /// The catalog's display name.
    pub name: String,
    pub provider: String,
    pub context_window: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyDto {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiKey {
    pub key: ApiKeyDto,
    /// Shown once; never retrievable again.
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUserDto {
    pub id: String,
    pub email: String,
    pub role: UserRole,
    pub disabled: bool,
    /// Signed up while approval was required and not approved yet.
    #[serde(default)]
    pub pending: bool,
    pub created_at: i64,
}

/// The connection id of embedding models' catalog entries (the engine's
/// `webplus::catalog::EMBEDDINGS`; Admin → Models lists them as "Embedding models").
pub const EMBEDDINGS: &str = "embeddings";

/// A catalog model as Admin → Models shows it: what applies (set or from the price table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogModelDto {
    pub id: String,
    /// `chat`, or `embedding` (connection [`EMBEDDINGS`]).
    pub kind: String,
    /// An embedding model's vector size.
    pub dimensions: Option<usize>,
    /// The id users pick (None when its connection is gone).
    pub model: Option<String>,
    pub connection: Option<String>,
    pub upstream_id: String,
    pub name: String,
    pub context_window: Option<u32>,
    pub max_output: Option<u32>,
    pub input_price_per_mtok: Option<f64>,
    pub output_price_per_mtok: Option<f64>,
    pub cached_input_price_per_mtok: Option<f64>,
    pub vision: bool,
    pub tools: bool,
    pub json_output: bool,
    /// The fields an administrator set.
    pub overridden: Vec<String>,
    pub enabled: bool,
    /// `everyone` or `admins`.
    pub access: String,
    /// JSON object of default sampling parameters.
    pub default_params: String,
    pub fallbacks: Vec<String>,
    /// Its connection serves it right now.
    pub served: bool,
}

/// A conversation's chat settings as the parameters panel shows them: text as typed, blank
/// meaning "not set" (the model's default). Stop sequences: one per line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatSettingsForm {
    pub system: String,
    pub temperature: String,
    pub top_p: String,
    pub max_tokens: String,
    pub stop: String,
    pub seed: String,
    pub presence_penalty: String,
    pub frequency_penalty: String,
    /// How answers from attached knowledge bases are made: `""` (the model's way), `"quote"` or
    /// `"generate"`.
    #[serde(default)]
    pub answer_style: String,
}

/// The catalog model form: text as typed; blank means "from the price table or the provider".
/// Capabilities: `""` (from the table), `"yes"` or `"no"`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogForm {
    pub name: String,
    pub context_window: String,
    pub max_output: String,
    pub input_price_per_mtok: String,
    pub output_price_per_mtok: String,
    pub cached_input_price_per_mtok: String,
    pub vision: String,
    pub tools: String,
    pub json_output: String,
    pub enabled: bool,
    pub access: String,
    pub default_params: String,
    /// Comma-separated model ids.
    pub fallbacks: String,
}

/// A model a connection's server lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailableModelDto {
    pub upstream_id: String,
    pub model: String,
    pub offered: bool,
    pub in_catalog: bool,
}

/// A provider connection as the admin page shows it (never the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionDto {
    pub id: String,
    /// `openai`, `anthropic`, `bedrock` or `ollama`.
    pub kind: String,
    /// For people: "Anthropic", "OpenAI-compatible", ...
    pub kind_label: String,
    pub name: String,
    pub base_url: Option<String>,
    pub region: Option<String>,
    pub models: Vec<String>,
    pub has_key: bool,
    /// Declared in the server settings: read-only here.
    pub from_settings: bool,
    /// What stops it from working, in plain words.
    pub problem: Option<String>,
}

/// The fields of the add/edit form. Blank optional fields mean "none"; on an edit a blank key
/// keeps the saved one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionForm {
    pub kind: String,
    pub name: String,
    pub base_url: String,
    pub region: String,
    pub api_key: String,
    /// Comma- or newline-separated model ids.
    pub models: String,
}

/// A model installed on an Ollama connection, and whether it is loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OllamaModelDto {
    pub name: String,
    /// The id users pick it by (`connection/name`).
    pub model: String,
    pub size: u64,
    pub parameter_size: Option<String>,
    pub quantization_level: Option<String>,
    pub running: bool,
    /// When Ollama unloads it (Unix ms).
    pub expires_at: Option<i64>,
}

/// A pull and how far it got (the same JSON as the REST job and the `pull` event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullJobDto {
    pub id: String,
    pub model: String,
    /// `running`, `done` or `failed`.
    pub status: String,
    pub status_text: String,
    pub completed: Option<u64>,
    pub total: Option<u64>,
    pub error: Option<String>,
}

/// `{"data": [...]}` of the `models` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OllamaModelList {
    pub data: Vec<OllamaModelDto>,
}

/// What a connection test found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionTestDto {
    pub ok: bool,
    pub models: Option<u64>,
    pub latency_ms: u64,
    pub error: Option<String>,
}

/// Server-sent events on `GET /api/messages/{id}/events` (the `event:` field names the variant).
pub mod events {
    /// `event: snapshot`, data: JSON string: the whole text so far (first event of a stream).
    pub const SNAPSHOT: &str = "snapshot";
    /// `event: delta`, data: JSON string: text to append.
    pub const DELTA: &str = "delta";
    /// `event: blocks`, data: JSON [`super::BlocksEvent`]: the reply's rendered blocks from index
    /// `from` on (those before it stay); sent after `snapshot` and after every change.
    pub const BLOCKS: &str = "blocks";
    /// `event: done`, data: JSON `{"status": "...", "error": null | "...", "usage": null | {...}}`
    /// (`usage`: a [`super::ReplyUsageDto`]): the reply has ended. The last event, unless it says
    /// `"titling": true` (a first reply: its model is writing the conversation's title); a first
    /// reply followed after it ended carries the conversation's `"title"`.
    pub const DONE: &str = "done";
    /// `event: title`, data: JSON string or null: the title the model wrote for the conversation
    /// (null: none was), after a `done` that said `titling`. The last event then.
    pub const TITLE: &str = "title";
}

/// Rendered blocks of a reply: those from index `from` on are replaced by `html`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BlocksEvent {
    pub from: usize,
    pub html: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DoneEvent {
    pub status: MessageStatus,
    pub error: Option<String>,
    /// What the reply used, when its model call was recorded.
    #[serde(default)]
    pub usage: Option<ReplyUsageDto>,
    /// The conversation's title, on a first reply's `done` when it is already known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The conversation's title is being written: a `title` event follows `done`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub titling: bool,
}
