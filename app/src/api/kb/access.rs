//! Who reads a knowledge base: shares by email, publication for the widget, and the knowledge
//! bases attached to a conversation.

use leptos::prelude::*;

use crate::{dto::*, error::AppError};

/// The emails it is shared with (owner only).
#[server(prefix = "/api", endpoint = "kb/shares", input = server_fn::codec::Json)]
pub async fn list_shares(id: String) -> Result<Vec<String>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.sitechat.kb_shares(&me.user_id, &id).await.map_err(convert::to_app_error)
}

#[server(prefix = "/api", endpoint = "kb/share", input = server_fn::codec::Json)]
pub async fn share_kb(id: String, email: String) -> Result<Vec<String>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.sitechat.share_kb(&me.user_id, &id, &email).await.map_err(convert::to_app_error)?;
    st.sitechat.kb_shares(&me.user_id, &id).await.map_err(convert::to_app_error)
}

#[server(prefix = "/api", endpoint = "kb/unshare", input = server_fn::codec::Json)]
pub async fn unshare_kb(id: String, email: String) -> Result<Vec<String>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.sitechat.unshare_kb(&me.user_id, &id, &email).await.map_err(convert::to_app_error)?;
    st.sitechat.kb_shares(&me.user_id, &id).await.map_err(convert::to_app_error)
}

/// Publishes for the widget (embeddable from `allowed_origins`) or unpublishes.
#[server(prefix = "/api", endpoint = "kb/publish", input = server_fn::codec::Json)]
pub async fn publish_kb(id: String, published: bool, allowed_origins: Vec<String>) -> Result<PublicationDto, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let p =
        st.sitechat.publish_kb(&me.user_id, &id, published, &allowed_origins).await.map_err(convert::to_app_error)?;
    Ok(convert::publication(p))
}

/// The ids of the knowledge bases attached to a conversation.
#[server(prefix = "/api", endpoint = "kb/attached", input = server_fn::codec::Json)]
pub async fn attached_kbs(conversation_id: String) -> Result<Vec<String>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.sitechat.attached_kbs(&me.user_id, &conversation_id).await.map_err(convert::to_app_error)
}

/// Replaces the knowledge bases attached to a conversation; answers the new list.
#[server(prefix = "/api", endpoint = "kb/attach", input = server_fn::codec::Json)]
pub async fn attach_kbs(conversation_id: String, kb_ids: Vec<String>) -> Result<Vec<String>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let sc = &st.sitechat;
    sc.attach_kbs(&me.user_id, &conversation_id, &kb_ids).await.map_err(convert::to_app_error)?;
    sc.attached_kbs(&me.user_id, &conversation_id).await.map_err(convert::to_app_error)
}
