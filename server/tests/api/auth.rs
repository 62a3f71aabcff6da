//! Accounts over HTTP: registration, login, cookies, refresh, logout, disable, bad input.

use reqwest::{StatusCode, header};
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn the_first_account_is_admin_and_the_second_is_a_user() {
    let app = spawn_app().await;
    assert_eq!(app.register("root@example.com").await["role"], "admin");
    app.forget_cookies();
    assert_eq!(app.register("bob@example.com").await["role"], "user");
}

#[tokio::test]
async fn session_cookies_are_host_prefixed_http_only_lax_and_secure_on_loopback() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/auth/register"))
        .json(&json!({ "email": "a@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookies: Vec<String> =
        res.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect();
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    for c in &cookies {
        assert!(c.starts_with("__Host-webplus_"), "{c}");
        for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(c.contains(attr), "{c} lacks {attr}");
        }
    }
}

#[tokio::test]
async fn a_duplicate_email_is_a_409_that_says_to_log_in() {
    let app = spawn_app().await;
    app.register("a@example.com").await;
    let (s, v) = app.call("auth/register", json!({ "email": "A@Example.com", "password": PASSWORD })).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(v["Conflict"].as_str().unwrap().contains("already exists"), "{v}");
}

#[tokio::test]
async fn weak_or_malformed_registrations_are_400_naming_the_field() {
    let app = spawn_app().await;
    let (s, v) = app.call("auth/register", json!({ "email": "a@example.com", "password": "short" })).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["Invalid"]["field"], "password");
    let (s, v) = app.call("auth/register", json!({ "email": "a@example.com", "password": "password123" })).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["Invalid"]["reason"].as_str().unwrap().contains("common"), "{v}");
    let (s, v) = app.call("auth/register", json!({ "email": "not-an-email", "password": PASSWORD })).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["Invalid"]["field"], "email");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    let app = spawn_app().await;
    app.register("a@example.com").await;
    app.forget_cookies();
    let (s1, v1) = app.login("a@example.com", "wrong-password-here").await;
    let (s2, v2) = app.login("nobody@example.com", PASSWORD).await;
    assert_eq!((s1, s2), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert_eq!(v1, v2);
    assert_eq!(v1["Unauthorized"], "wrong email or password");
}

#[tokio::test]
async fn repeated_login_attempts_are_throttled_with_429_and_retry_after() {
    let app = spawn_app().await;
    app.register("a@example.com").await;
    app.forget_cookies();
    // Ten failures at once per account (then one every 40 s: at most 100 an hour).
    for i in 0..10 {
        let (s, v) = app.login("a@example.com", "wrong-password-here").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "attempt {i}: {v}");
    }
    let res = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&json!({ "email": "a@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get(header::RETRY_AFTER).is_some());
    let v: serde_json::Value = res.json().await.unwrap();
    assert!(v["RateLimited"]["retry_after_secs"].as_u64().unwrap() >= 1, "{v}");
}

#[tokio::test]
async fn malformed_json_to_a_server_function_is_a_400_with_a_message() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/auth/login"))
        .header(header::CONTENT_TYPE, "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let v: serde_json::Value = res.json().await.unwrap();
    assert!(v["Invalid"]["reason"].as_str().unwrap().starts_with("malformed request"), "{v}");
}

#[tokio::test]
async fn after_logout_the_old_access_cookie_no_longer_works() {
    let app = spawn_app().await;
    app.register("a@example.com").await;
    let saved = app.cookies.lock().unwrap().clone();
    assert_eq!(app.call("chat/conversations", json!({})).await.0, StatusCode::OK);
    assert_eq!(app.call("auth/logout", json!({})).await.0, StatusCode::OK);
    assert!(app.cookies.lock().unwrap().is_empty(), "logout clears the cookies");
    // Someone who kept a copy of the cookies gets nothing either: the session is revoked.
    *app.cookies.lock().unwrap() = saved;
    let (s, _) = app.call("chat/conversations", json!({})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_tampered_or_foreign_access_token_is_refused() {
    let app = spawn_app().await;
    app.register("a@example.com").await;
    let token = app.cookies.lock().unwrap()["__Host-webplus_access"].clone();
    let mut tampered = token.clone();
    tampered.replace_range(tampered.len() - 4.., "AAAA");
    for bad in [tampered, "not.a.jwt".to_string()] {
        let res = app.client.get(app.url("/v1/models")).bearer_auth(&bad).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app.client.get(app.url("/v1/models")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn refresh_rotates_and_a_replayed_refresh_token_ends_the_session() {
    let app = spawn_app().await;
    app.register("a@example.com").await;
    let first = app.cookies.lock().unwrap().clone();
    assert_eq!(app.call("auth/refresh", json!({})).await.0, StatusCode::OK);
    let second = app.cookies.lock().unwrap().clone();
    assert_ne!(first["__Host-webplus_refresh"], second["__Host-webplus_refresh"]);
    // Replay the first (used) refresh token.
    *app.cookies.lock().unwrap() = first;
    assert_eq!(app.call("auth/refresh", json!({})).await.0, StatusCode::UNAUTHORIZED);
    // The rotated tokens died with the family.
    *app.cookies.lock().unwrap() = second;
    assert_eq!(app.call("chat/conversations", json!({})).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_expired_access_cookie_is_renewed_from_the_refresh_cookie() {
    let app = spawn_app().await;
    app.register("a@example.com").await;
    // Drop the access cookie, as the browser does when it expires.
    app.cookies.lock().unwrap().remove("__Host-webplus_access");
    let (s, v) = app.call("chat/conversations", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(app.cookies.lock().unwrap().contains_key("__Host-webplus_access"), "a new access cookie was set");
}

#[tokio::test]
async fn an_admin_disabling_a_user_ends_their_session_and_keys_at_once() {
    let admin = spawn_app().await;
    admin.register("root@example.com").await;
    let user = admin.second_browser();
    let bob = user.register("bob@example.com").await;
    let key = user.api_key().await;
    let res = user.client.get(user.url("/v1/models")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let (s, v) = admin.call("admin/set-disabled", json!({ "user_id": bob["id"], "disabled": true })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(user.call("chat/conversations", json!({})).await.0, StatusCode::UNAUTHORIZED);
    let res = user.client.get(user.url("/v1/models")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (s, v) = user.login("bob@example.com", PASSWORD).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    // And a plain user cannot do admin things.
    let (s, _) = user.call("admin/users", json!({})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_user_cannot_use_admin_functions() {
    let app = spawn_app().await;
    app.register("root@example.com").await;
    app.forget_cookies();
    app.register("bob@example.com").await;
    let (s, v) = app.call("admin/users", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
}

#[tokio::test]
async fn a_cross_site_post_with_cookies_is_refused() {
    let app = spawn_app().await;
    app.register("a@example.com").await;
    let cookie = app.cookies.lock().unwrap().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    let res = app
        .client
        .post(app.url("/api/chat/create"))
        .header(header::COOKIE, cookie)
        .header(header::ORIGIN, "https://evil.example")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn changing_the_password_requires_the_current_one() {
    let app = spawn_app().await;
    app.register("a@example.com").await;
    let (s, v) = app
        .call(
            "auth/change-password",
            json!({ "current_password": "nope-nope-nope", "new_password": "brand-new-secret-9" }),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, _) = app
        .call("auth/change-password", json!({ "current_password": PASSWORD, "new_password": "brand-new-secret-9" }))
        .await;
    assert_eq!(s, StatusCode::OK);
    app.forget_cookies();
    assert_eq!(app.login("a@example.com", "brand-new-secret-9").await.0, StatusCode::OK);
}
