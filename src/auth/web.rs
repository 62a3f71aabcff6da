//! Who is calling over HTTP: session cookies, bearer API keys and tokens, the principal, the
//! client's IP. The one place both the server's handlers and middleware and the browser's server
//! functions authenticate from; both hand it the request's headers.
//!
//! Cookies are `__Host-` prefixed, HttpOnly, SameSite=Lax and Secure whenever the browser will accept
//! Secure cookies: over TLS and on loopback hosts (browsers treat http://localhost as secure). On
//! plain HTTP to any other host (a LAN address without TLS) browsers refuse `__Host-`/Secure cookies,
//! so the cookies there are unprefixed and not Secure; the server logs a warning to put TLS in front.
//! They are built and read with the `cookie` crate.

use std::net::IpAddr;

use cookie::{Cookie, SameSite, time::Duration};
use http::{HeaderMap, HeaderValue, header};

use super::{Accounts, Principal, SessionTokens};

pub const ACCESS: &str = "webplus_access";
pub const REFRESH: &str = "webplus_refresh";
const HOST_PREFIX: &str = "__Host-";

/// Whether the browser that sent `headers` talks to us over a secure context.
pub fn secure_context(headers: &HeaderMap, trust_proxy: bool) -> bool {
    if trust_proxy
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
    {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let name = host_without_port(host);
    name == "localhost" || name.ends_with(".localhost") || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn host_without_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host)
}

fn cookie_name(base: &str, secure: bool) -> String {
    if secure { format!("{HOST_PREFIX}{base}") } else { base.to_string() }
}

fn set_cookie(base: &str, value: &str, max_age_secs: u64, secure: bool) -> Option<HeaderValue> {
    let cookie = Cookie::build((cookie_name(base, secure), value.to_string()))
        .path("/")
        .max_age(Duration::seconds(i64::try_from(max_age_secs).unwrap_or(i64::MAX)))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .build();
    HeaderValue::from_str(&cookie.to_string()).ok()
}

/// `Set-Cookie` values for a new session.
pub fn session_cookies(tokens: &SessionTokens, accounts: &Accounts, secure: bool) -> Vec<HeaderValue> {
    [
        set_cookie(ACCESS, &tokens.access_token, accounts.access_ttl_secs(), secure),
        set_cookie(REFRESH, &tokens.refresh_token, accounts.refresh_ttl_secs(), secure),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// `Set-Cookie` values that delete both cookies (under both names).
pub fn clear_cookies() -> Vec<HeaderValue> {
    [(ACCESS, true), (REFRESH, true), (ACCESS, false), (REFRESH, false)]
        .into_iter()
        .filter_map(|(b, s)| set_cookie(b, "", 0, s))
        .collect()
}

/// Replaces the request's cookies with just this access token, as the browser will send it from
/// now on (after a refresh, so the handlers downstream see the new session).
pub fn use_access_cookie(headers: &mut HeaderMap, access_token: &str, secure: bool) {
    let cookie = Cookie::new(cookie_name(ACCESS, secure), access_token.to_string());
    if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
        headers.remove(header::COOKIE);
        headers.insert(header::COOKIE, v);
    }
}

/// A session cookie's value from the request, under its prefixed or plain name.
///
/// A request with an `Authorization` header is authenticated by that header alone: its cookies are
/// not read (else a forged cross-site request could add any `Authorization` header to get past the
/// origin check and still act with the victim's cookies).
pub fn read_cookie(headers: &HeaderMap, base: &str) -> Option<String> {
    if headers.contains_key(header::AUTHORIZATION) {
        return None;
    }
    let prefixed = cookie_name(base, true);
    let mut plain = None;
    for v in headers.get_all(header::COOKIE) {
        let Ok(s) = v.to_str() else { continue };
        for c in Cookie::split_parse(s).flatten() {
            if c.value().is_empty() {
                continue;
            }
            if c.name() == prefixed {
                return Some(c.value().to_string());
            }
            if c.name() == base {
                plain = Some(c.value().to_string());
            }
        }
    }
    plain
}

/// The bearer token of an `Authorization` header (`None` for other schemes and empty tokens).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Who sent this request: an API key or access JWT in `Authorization: Bearer`, else the access cookie.
/// With an `Authorization` header only that header counts: an unknown token or another scheme is
/// `None` (401), never a fallback to the cookies.
pub async fn principal(accounts: &Accounts, headers: &HeaderMap) -> crate::Result<Option<Principal>> {
    if headers.contains_key(header::AUTHORIZATION) {
        let Some(token) = bearer(headers) else { return Ok(None) };
        if token.starts_with("wpk_") {
            return accounts.authenticate_api_key(token).await;
        }
        return accounts.authenticate_access(token).await;
    }
    match read_cookie(headers, ACCESS) {
        Some(t) => accounts.authenticate_access(&t).await,
        None => Ok(None),
    }
}

/// Why a request without a principal was refused, in words that say what to send instead.
pub fn why_unauthenticated(headers: &HeaderMap) -> &'static str {
    if bearer(headers).is_some() {
        "the API key or token is not valid (revoked, expired or mistyped)"
    } else if headers.contains_key(header::AUTHORIZATION) {
        "only `Authorization: Bearer <API key>` is accepted; cookies are not read with an Authorization header"
    } else {
        "authentication required: send `Authorization: Bearer <API key>` (create keys under Settings)"
    }
}

/// The client's IP: the socket peer, or the first `X-Forwarded-For` entry behind a trusted proxy.
pub fn client_ip(headers: &HeaderMap, peer: Option<IpAddr>, trust_proxy: bool) -> Option<IpAddr> {
    if trust_proxy
        && let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|s| s.trim().parse().ok())
    {
        return Some(ip);
    }
    peer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn loopback_hosts_are_secure_contexts_and_lan_hosts_are_not() {
        for host in ["localhost:3000", "127.0.0.1:3000", "[::1]:3000", "app.localhost"] {
            assert!(secure_context(&headers(&[("host", host)]), false), "{host}");
        }
        assert!(!secure_context(&headers(&[("host", "192.168.1.5:3000")]), false));
        let proxied = headers(&[("host", "chat.example.com"), ("x-forwarded-proto", "https")]);
        assert!(secure_context(&proxied, true));
        assert!(!secure_context(&proxied, false));
    }

    #[test]
    fn the_prefixed_cookie_wins_over_the_plain_one() {
        let h = headers(&[("cookie", "webplus_access=plain; __Host-webplus_access=pref; other=1")]);
        assert_eq!(read_cookie(&h, ACCESS).as_deref(), Some("pref"));
        let h = headers(&[("cookie", "webplus_access=plain")]);
        assert_eq!(read_cookie(&h, ACCESS).as_deref(), Some("plain"));
    }

    #[test]
    fn malformed_pairs_are_skipped_and_the_good_ones_read() {
        let h = headers(&[("cookie", "junk; =nameless; webplus_access=ok")]);
        assert_eq!(read_cookie(&h, ACCESS).as_deref(), Some("ok"));
        assert_eq!(read_cookie(&headers(&[("cookie", "webplus_access=")]), ACCESS), None);
    }

    #[test]
    fn cookies_are_not_read_from_a_request_with_an_authorization_header() {
        let cookie = ("cookie", "__Host-webplus_access=victim");
        assert_eq!(read_cookie(&headers(&[cookie]), ACCESS).as_deref(), Some("victim"));
        for auth in ["Basic dXNlcjpwdw==", "Bearer wpk_x", "Bearer ", "whatever"] {
            assert_eq!(read_cookie(&headers(&[cookie, ("authorization", auth)]), ACCESS), None, "{auth}");
        }
    }

    #[test]
    fn only_a_bearer_scheme_with_a_token_is_a_bearer() {
        assert_eq!(bearer(&headers(&[("authorization", "bearer  wpk_abc ")])), Some("wpk_abc"));
        assert_eq!(bearer(&headers(&[("authorization", "Basic dXNlcjpwdw==")])), None);
        assert_eq!(bearer(&headers(&[("authorization", "Bearer ")])), None);
    }

    #[test]
    fn secure_cookies_are_host_prefixed_http_only_and_lax() {
        let c = set_cookie(ACCESS, "t", 900, true).unwrap();
        let parsed = Cookie::parse(c.to_str().unwrap()).unwrap();
        assert_eq!((parsed.name(), parsed.value()), ("__Host-webplus_access", "t"));
        assert_eq!(parsed.path(), Some("/"));
        assert_eq!(parsed.max_age(), Some(Duration::seconds(900)));
        assert_eq!(parsed.http_only(), Some(true));
        assert_eq!(parsed.same_site(), Some(SameSite::Lax));
        assert_eq!(parsed.secure(), Some(true));
        assert_eq!(parsed.domain(), None);
    }

    #[test]
    fn plain_http_cookies_are_neither_prefixed_nor_secure() {
        let c = set_cookie(REFRESH, "t", 60, false).unwrap();
        let parsed = Cookie::parse(c.to_str().unwrap()).unwrap();
        assert_eq!(parsed.name(), "webplus_refresh");
        assert_ne!(parsed.secure(), Some(true));
    }

    #[test]
    fn a_refreshed_request_carries_only_the_new_access_cookie() {
        let mut h = headers(&[("cookie", "__Host-webplus_access=old; __Host-webplus_refresh=r")]);
        use_access_cookie(&mut h, "new", true);
        assert_eq!(read_cookie(&h, ACCESS).as_deref(), Some("new"));
        assert_eq!(read_cookie(&h, REFRESH), None);
    }
}
