//! Conversations, messages, models. Replies stream over SSE at `GET /api/messages/{id}/events`.

use leptos::prelude::*;

use crate::{dto::*, error::AppError};

#[server(prefix = "/api", endpoint = "chat/models", input = server_fn::codec::Json)]
pub async fn list_models() -> Result<Vec<ModelDto>, AppError> {
    use crate::api::ssr::require_user;
    let (st, me) = require_user().await?;
    Ok(st
        .chat
        .models(me.is_admin())
        .await
        .into_iter()
        .map(|m| ModelDto { id: m.id, name: m.name, provider: m.provider, context_window: m.context_window })
        .collect())
}

/// The main list (neither pinned nor archived), a page at a time; the first page brings the
/// pinned conversations too.
#[server(prefix = "/api", endpoint = "chat/conversations", input = server_fn::codec::Json)]
pub async fn list_conversations(cursor: Option<String>) -> Result<ConversationPage, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let page = st.chat.list_conversations(&me.user_id, cursor.as_deref(), 30).await.map_err(convert::to_app_error)?;
    let pinned = match cursor {
        None => st.chat.pinned_conversations(&me.user_id).await.map_err(convert::to_app_error)?,
        Some(_) => Vec::new(),
    };
    Ok(ConversationPage {
        items: page.items.iter().map(convert::conversation).collect(),
        next_cursor: page.next_cursor,
        pinned: pinned.iter().map(convert::conversation).collect(),
    })
}

/// The archived conversations, a page at a time.
#[server(prefix = "/api", endpoint = "chat/archived", input = server_fn::codec::Json)]
pub async fn list_archived(cursor: Option<String>) -> Result<ConversationPage, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let page =
        st.chat.archived_conversations(&me.user_id, cursor.as_deref(), 30).await.map_err(convert::to_app_error)?;
    Ok(ConversationPage {
        items: page.items.iter().map(convert::conversation).collect(),
        next_cursor: page.next_cursor,
        pinned: Vec::new(),
    })
}

#[server(prefix = "/api", endpoint = "chat/pin", input = server_fn::codec::Json)]
pub async fn pin_conversation(id: String, pinned: bool) -> Result<(), AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.chat.pin_conversation(&me.user_id, &id, pinned).await.map_err(convert::to_app_error)
}

#[server(prefix = "/api", endpoint = "chat/archive", input = server_fn::codec::Json)]
pub async fn archive_conversation(id: String, archived: bool) -> Result<(), AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.chat.archive_conversation(&me.user_id, &id, archived).await.map_err(convert::to_app_error)
}

#[server(prefix = "/api", endpoint = "chat/create", input = server_fn::codec::Json)]
pub async fn create_conversation(title: Option<String>, model: Option<String>) -> Result<ConversationDto, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let c = st
        .chat
        .create_conversation(&me.user_id, title.as_deref(), model.as_deref())
        .await
        .map_err(convert::to_app_error)?;
    Ok(convert::conversation(&c))
}

/// The conversation with its messages (replies with their usage) and attached knowledge bases.
#[server(prefix = "/api", endpoint = "chat/get", input = server_fn::codec::Json)]
pub async fn get_conversation(id: String) -> Result<ConversationDetail, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let c = st.chat.conversation(&me.user_id, &id).await.map_err(convert::to_app_error)?;
    let latest = st.chat.latest_messages(&me.user_id, &id).await.map_err(convert::to_app_error)?;
    let usage = st.chat.usage(&me.user_id, &id).await.map_err(convert::to_app_error)?;
    let knowledge_bases = st.sitechat.attached_kbs(&me.user_id, &id).await.map_err(convert::to_app_error)?;
    Ok(ConversationDetail {
        conversation: convert::conversation(&c),
        page: convert::page(&latest, &usage.replies),
        knowledge_bases,
    })
}

/// The page of the branch on show before `before` (the first message the user sees).
#[server(prefix = "/api", endpoint = "chat/earlier", input = server_fn::codec::Json)]
pub async fn earlier_messages(conversation_id: String, before: String) -> Result<MessagePage, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let earlier =
        st.chat.earlier_messages(&me.user_id, &conversation_id, &before).await.map_err(convert::to_app_error)?;
    let usage = st.chat.usage(&me.user_id, &conversation_id).await.map_err(convert::to_app_error)?;
    Ok(convert::page(&earlier, &usage.replies))
}

#[server(prefix = "/api", endpoint = "chat/rename", input = server_fn::codec::Json)]
pub async fn rename_conversation(id: String, title: String) -> Result<(), AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.chat.rename_conversation(&me.user_id, &id, &title).await.map_err(convert::to_app_error)
}

#[server(prefix = "/api", endpoint = "chat/delete", input = server_fn::codec::Json)]
pub async fn delete_conversation(id: String) -> Result<(), AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.chat.delete_conversation(&me.user_id, &id).await.map_err(convert::to_app_error)
}

/// Commits the message and starts the reply; follow it at `/api/messages/{reply.id}/events`.
/// `after`: the last message the user sees (None: the end of the branch on show).
/// `attachments`: ids of files uploaded at `POST /api/v1/attachments`, in order.
#[server(prefix = "/api", endpoint = "chat/send", input = server_fn::codec::Json)]
pub async fn send_message(
    conversation_id: String,
    content: String,
    after: Option<String>,
    #[server(default)] attachments: Vec<String>,
) -> Result<SentMessage, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let sent = st
        .chat
        .send_message(&me.user_id, &conversation_id, &content, after.as_deref(), &attachments)
        .await
        .map_err(convert::to_app_error)?;
    let c = st.chat.conversation(&me.user_id, &conversation_id).await.map_err(convert::to_app_error)?;
    Ok(convert::sent(&c, &sent))
}

/// Asks an edited version of one of the user's messages, as a new branch beside it.
#[server(prefix = "/api", endpoint = "chat/edit", input = server_fn::codec::Json)]
pub async fn edit_message(message_id: String, content: String) -> Result<SentMessage, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let sent = st.chat.edit_message(&me.user_id, &message_id, &content).await.map_err(convert::to_app_error)?;
    let c = st.chat.conversation(&me.user_id, &sent.reply.row.conversation_id).await.map_err(convert::to_app_error)?;
    Ok(convert::sent(&c, &sent))
}

/// Answers a reply's question again, as a sibling reply (`model`: None, the conversation's).
#[server(prefix = "/api", endpoint = "chat/regenerate", input = server_fn::codec::Json)]
pub async fn regenerate_reply(message_id: String, model: Option<String>) -> Result<SentMessage, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let sent = st.chat.regenerate(&me.user_id, &message_id, model.as_deref()).await.map_err(convert::to_app_error)?;
    let c = st.chat.conversation(&me.user_id, &sent.reply.row.conversation_id).await.map_err(convert::to_app_error)?;
    Ok(convert::sent(&c, &sent))
}

/// Shows (and remembers) the branch through `message_id`; returns it from that message on.
#[server(prefix = "/api", endpoint = "chat/switch-branch", input = server_fn::codec::Json)]
pub async fn switch_branch(conversation_id: String, message_id: String) -> Result<MessagePage, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let shown =
        st.chat.switch_branch(&me.user_id, &conversation_id, &message_id).await.map_err(convert::to_app_error)?;
    let usage = st.chat.usage(&me.user_id, &conversation_id).await.map_err(convert::to_app_error)?;
    Ok(convert::page(&shown, &usage.replies))
}

#[server(prefix = "/api", endpoint = "chat/stop", input = server_fn::codec::Json)]
pub async fn stop_generation(message_id: String) -> Result<(), AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.chat.stop(&me.user_id, &message_id).await.map_err(convert::to_app_error)
}

/// The user's conversations and messages with every word of `query` (Ctrl+K).
#[server(prefix = "/api", endpoint = "chat/search", input = server_fn::codec::Json)]
pub async fn search_conversations(query: String) -> Result<Vec<SearchHitDto>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let hits = st.chat.search(&me.user_id, &query, 30).await.map_err(convert::to_app_error)?;
    Ok(hits.into_iter().map(convert::search_hit).collect())
}
