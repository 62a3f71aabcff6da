//! The user's API keys.

use leptos::prelude::*;

use crate::{dto::*, error::AppError};

#[server(prefix = "/api", endpoint = "keys/list", input = server_fn::codec::Json)]
pub async fn list_api_keys() -> Result<Vec<ApiKeyDto>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let keys = st.accounts.list_api_keys(&me.user_id).await.map_err(convert::to_app_error)?;
    Ok(keys.iter().map(convert::api_key).collect())
}

/// Creates a key; its secret is in the answer and nowhere else, ever.
#[server(prefix = "/api", endpoint = "keys/create", input = server_fn::codec::Json)]
pub async fn create_api_key(name: String) -> Result<CreatedApiKey, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let k = st.accounts.create_api_key(&me.user_id, &name).await.map_err(convert::to_app_error)?;
    Ok(CreatedApiKey { key: convert::api_key(&k.row), secret: k.secret })
}

#[server(prefix = "/api", endpoint = "keys/revoke", input = server_fn::codec::Json)]
pub async fn revoke_api_key(id: String) -> Result<(), AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.accounts.revoke_api_key(&me.user_id, &id).await.map_err(convert::to_app_error)
}
