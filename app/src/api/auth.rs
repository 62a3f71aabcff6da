//! Register, log in, log out, refresh, change password, who am I.

use leptos::prelude::*;

use crate::{
    dto::{Registered, UserInfo},
    error::AppError,
};

#[cfg(feature = "ssr")]
mod ssr {
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;
    use webplus::auth::SessionTokens;

    use crate::{api::ssr::headers, error::AppError, ssr::ServerState};

    use webplus::auth::web as auth;

    pub async fn set_session(st: &ServerState, tokens: &SessionTokens) -> Result<(), AppError> {
        let secure = auth::secure_context(&headers().await?, st.trust_proxy);
        if let Some(opts) = use_context::<ResponseOptions>() {
            for c in auth::session_cookies(tokens, &st.accounts, secure) {
                opts.append_header(http::header::SET_COOKIE, c);
            }
        }
        Ok(())
    }

    pub fn clear_session() {
        if let Some(opts) = use_context::<ResponseOptions>() {
            for c in auth::clear_cookies() {
                opts.append_header(http::header::SET_COOKIE, c);
            }
        }
    }

    pub async fn peer_ip(trust_proxy: bool) -> Option<std::net::IpAddr> {
        use axum::extract::ConnectInfo;
        let h = headers().await.ok()?;
        let peer = leptos_axum::extract::<ConnectInfo<std::net::SocketAddr>>().await.ok().map(|c| c.0.ip());
        auth::client_ip(&h, peer, trust_proxy)
    }
}

/// Creates an account and logs it in, unless it must wait for an administrator's approval. The
/// first account becomes admin. Refused (403) when sign-ups are closed.
#[server(prefix = "/api", endpoint = "auth/register", input = server_fn::codec::Json)]
pub async fn register(email: String, password: String) -> Result<Registered, AppError> {
    use crate::ssr::{convert, state};
    use webplus::storage::UserStatus;
    let st = state()?;
    let ip = ssr::peer_ip(st.trust_proxy).await;
    let user = st.accounts.register(&email, &password, ip).await.map_err(convert::to_app_error)?;
    let awaiting_approval = user.status() == UserStatus::Pending;
    if !awaiting_approval {
        // Registration proves the password already: start the session without a (throttled) login.
        let tokens = st.accounts.start_session(&user.id, None).await.map_err(convert::to_app_error)?;
        ssr::set_session(&st, &tokens).await?;
    }
    Ok(Registered { user: convert::user(&user), awaiting_approval })
}

#[server(prefix = "/api", endpoint = "auth/login", input = server_fn::codec::Json)]
pub async fn login(email: String, password: String) -> Result<UserInfo, AppError> {
    use crate::ssr::{convert, state};
    let st = state()?;
    let ip = ssr::peer_ip(st.trust_proxy).await;
    let ua = crate::api::ssr::headers()
        .await
        .ok()
        .and_then(|h| h.get(http::header::USER_AGENT).and_then(|v| v.to_str().ok()).map(String::from));
    let outcome = st.accounts.login(&email, &password, ip, ua.as_deref()).await.map_err(convert::to_app_error)?;
    ssr::set_session(&st, &outcome.tokens).await?;
    Ok(convert::user(&outcome.user))
}

/// Ends the session (server-side too, not only the cookies).
#[server(prefix = "/api", endpoint = "auth/logout", input = server_fn::codec::Json)]
pub async fn logout() -> Result<(), AppError> {
    use crate::{
        api::ssr::headers,
        ssr::{convert, state},
    };
    use webplus::auth::web as auth;
    let st = state()?;
    let h = headers().await?;
    if let Some(p) = auth::principal(&st.accounts, &h).await.map_err(convert::to_app_error)?
        && let Some(sid) = p.session_id
    {
        st.accounts.logout(&sid).await.map_err(convert::to_app_error)?;
    }
    ssr::clear_session();
    Ok(())
}

/// Rotates the refresh token (the server also does this by itself when the access token expires).
#[server(prefix = "/api", endpoint = "auth/refresh", input = server_fn::codec::Json)]
pub async fn refresh_session() -> Result<(), AppError> {
    use crate::{
        api::ssr::headers,
        ssr::{convert, state},
    };
    use webplus::auth::web as auth;
    let st = state()?;
    let h = headers().await?;
    let Some(token) = auth::read_cookie(&h, auth::REFRESH) else {
        return Err(convert::to_app_error(webplus::Error::Unauthorized("no session; log in".into())));
    };
    match st.accounts.refresh(&token).await {
        Ok(tokens) => ssr::set_session(&st, &tokens).await,
        Err(e) => {
            ssr::clear_session();
            Err(convert::to_app_error(e))
        }
    }
}

/// The logged-in user, or `None`.
#[server(prefix = "/api", endpoint = "auth/me", input = server_fn::codec::Json)]
pub async fn current_user() -> Result<Option<UserInfo>, AppError> {
    use crate::{
        api::ssr::headers,
        ssr::{convert, state},
    };
    use webplus::auth::web as auth;
    let st = state()?;
    let h = headers().await?;
    let Some(p) = auth::principal(&st.accounts, &h).await.map_err(convert::to_app_error)? else {
        return Ok(None);
    };
    Ok(Some(UserInfo { id: p.user_id, email: p.email, role: p.role }))
}

#[server(prefix = "/api", endpoint = "auth/change-password", input = server_fn::codec::Json)]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), AppError> {
    use crate::{api::ssr::require_user, ssr::convert};
    let (st, me) = require_user().await?;
    st.accounts.change_password(&me, &current_password, &new_password).await.map_err(convert::to_app_error)
}
