//! Administration: users.

use leptos::prelude::*;

use crate::{dto::*, error::AppError};

#[server(prefix = "/api", endpoint = "admin/users", input = server_fn::codec::Json)]
pub async fn list_users() -> Result<Vec<AdminUserDto>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let users = st.accounts.list_users(&me).await.map_err(convert::to_app_error)?;
    Ok(users.iter().map(convert::admin_user).collect())
}

/// Disabling ends the user's sessions and revokes their API keys at once.
#[server(prefix = "/api", endpoint = "admin/set-disabled", input = server_fn::codec::Json)]
pub async fn set_user_disabled(user_id: String, disabled: bool) -> Result<(), AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.accounts.set_user_disabled(&me, &user_id, disabled).await.map_err(convert::to_app_error)
}
