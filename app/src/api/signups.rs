//! Sign-up control: the instance's sign-up mode and approving pending accounts.

use leptos::prelude::*;
use webplus::domain::SignupMode;

use crate::{dto::AdminUserDto, error::AppError};

/// The current mode. Public: the sign-up page says up front when sign-ups are closed.
#[server(prefix = "/api", endpoint = "auth/signup-mode", input = server_fn::codec::Json)]
pub async fn get_signup_mode() -> Result<SignupMode, AppError> {
    use crate::ssr::{convert, state};
    state()?.accounts.signup_mode().await.map_err(convert::to_app_error)
}

#[server(prefix = "/api", endpoint = "admin/set-signup-mode", input = server_fn::codec::Json)]
pub async fn set_signup_mode(mode: SignupMode) -> Result<(), AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.accounts.set_signup_mode(&me, mode).await.map_err(convert::to_app_error)
}

#[server(prefix = "/api", endpoint = "admin/pending-users", input = server_fn::codec::Json)]
pub async fn list_pending_users() -> Result<Vec<AdminUserDto>, AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    let users = st.accounts.list_pending_users(&me).await.map_err(convert::to_app_error)?;
    Ok(users.iter().map(convert::admin_user).collect())
}

#[server(prefix = "/api", endpoint = "admin/approve-user", input = server_fn::codec::Json)]
pub async fn approve_user(user_id: String) -> Result<(), AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.accounts.approve_user(&me, &user_id).await.map_err(convert::to_app_error)
}
