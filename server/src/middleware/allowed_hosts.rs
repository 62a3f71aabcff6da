//! Answers only for our own host names, against DNS rebinding: a page on `evil.example` whose name
//! is re-pointed at 127.0.0.1 reaches this server with `Host: evil.example`, and would otherwise be
//! same-origin with it (and could sign up first on a fresh instance, becoming its admin).
//!
//! Accepted: loopback names (`localhost`, `127.0.0.1` and the rest of 127/8, `[::1]`, any port) and
//! the host of `WEBPLUS_PUBLIC_URL`. Anything else gets 421 with a message saying what to set.
//! `/health` and `/ready` are exempt: orchestrators probe them by pod address, and they carry no
//! user data.

use std::{net::IpAddr, sync::Arc};

use axum::{
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::http::ApiError;

#[derive(Clone, Debug, Default)]
pub struct AllowedHosts {
    /// Lower-case host names (IPv6 in brackets), without ports.
    names: Arc<Vec<String>>,
}

impl AllowedHosts {
    pub fn from_settings(settings: &webplus::settings::Settings) -> Self {
        Self { names: Arc::new(settings.public_host().into_iter().collect()) }
    }

    pub fn allows(&self, host: &str) -> bool {
        let name = host_name(host);
        is_loopback(&name) || self.names.contains(&name)
    }
}

/// The name part of a `Host` value: without the port, lower-case, without a trailing dot.
fn host_name(host: &str) -> String {
    let host = host.trim();
    let name = if host.starts_with('[') {
        host.find(']').map_or(host, |end| &host[..=end])
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
            _ => host,
        }
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn is_loopback(name: &str) -> bool {
    if name == "localhost" {
        return true;
    }
    let bare = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')).unwrap_or(name);
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

pub async fn check(State(allowed): State<AllowedHosts>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path == "/health" || path == "/ready" {
        return next.run(req).await;
    }
    // HTTP/2 carries the host in the request target (`:authority`), HTTP/1.1 in `Host`.
    let host = req
        .uri()
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).map(String::from));
    match host {
        Some(h) if allowed.allows(&h) => next.run(req).await,
        Some(h) => {
            let shown: String = h.chars().take(100).collect();
            tracing::warn!(host = %shown, "refused a request for a host this server does not answer for");
            ApiError::new(
                StatusCode::MISDIRECTED_REQUEST,
                "invalid_request_error",
                "host_not_allowed",
                format!(
                    "this server does not answer for the host {shown:?}; if that is its public address, \
                     set WEBPLUS_PUBLIC_URL (public_url in webplus.toml) to its URL"
                ),
            )
            .into_response()
        }
        None => ApiError::invalid("host_missing", "the request has no Host header").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_on_any_port_and_the_public_host_are_accepted_and_others_not() {
        let none = AllowedHosts::default();
        for h in ["localhost", "localhost:3000", "127.0.0.1:41234", "127.0.0.2", "[::1]:3000", "[::1]", "LOCALHOST."] {
            assert!(none.allows(h), "{h}");
        }
        for h in ["evil.example", "evil.example:3000", "localhost.evil.example", "10.0.0.1:3000", "[2001:db8::1]"] {
            assert!(!none.allows(h), "{h}");
        }
        let public = AllowedHosts { names: Arc::new(vec!["chat.example.com".into()]) };
        assert!(public.allows("Chat.Example.com:443"));
        assert!(!public.allows("evil.example"));
    }
}
