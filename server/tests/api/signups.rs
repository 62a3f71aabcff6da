//! Sign-up abuse: approval by default, closed sign-ups, the per-IP sign-up limit.

use reqwest::{StatusCode, header};
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app, spawn_app_with_default_signups};

#[tokio::test]
async fn by_default_a_second_account_waits_for_approval_until_an_admin_approves_it() {
    let admin = spawn_app_with_default_signups().await;
    let root = admin.register("root@example.com").await;
    assert_eq!((root["role"].as_str(), root["awaiting_approval"].as_bool()), (Some("admin"), Some(false)));
    let (s, mode) = admin.call("auth/signup-mode", json!({})).await;
    assert_eq!((s, mode.as_str()), (StatusCode::OK, Some("approval")));

    let bob = admin.second_browser();
    let (s, v) = bob.call("auth/register", json!({ "email": "bob@example.com", "password": PASSWORD })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["awaiting_approval"], true, "{v}");
    assert!(bob.cookies.lock().unwrap().is_empty(), "a pending account gets no session");
    let (s, v) = bob.login("bob@example.com", PASSWORD).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(v["Forbidden"].as_str().unwrap().contains("approval"), "{v}");

    let (s, pending) = admin.call("admin/pending-users", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{pending}");
    assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
    assert_eq!(pending[0]["email"], "bob@example.com");
    let (s, v) = admin.call("admin/approve-user", json!({ "user_id": pending[0]["id"] })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(bob.login("bob@example.com", PASSWORD).await.0, StatusCode::OK);
    // Bob, now a user, cannot approve or change the mode.
    assert_eq!(bob.call("admin/set-signup-mode", json!({ "mode": "open" })).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_admin_can_close_sign_ups_and_then_registration_is_refused_with_a_clear_message() {
    let admin = spawn_app_with_default_signups().await;
    admin.register("root@example.com").await;
    let (s, v) = admin.call("admin/set-signup-mode", json!({ "mode": "closed" })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let other = admin.second_browser();
    let (s, v) = other.call("auth/register", json!({ "email": "eve@example.com", "password": PASSWORD })).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(v["Forbidden"].as_str().unwrap().contains("sign-ups are closed"), "{v}");
    assert_eq!(other.call("auth/signup-mode", json!({})).await.1, "closed");
    let (s, _) = admin.call("admin/set-signup-mode", json!({ "mode": "invite-only" })).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "an unknown mode is the caller's mistake");
}

#[tokio::test]
async fn registrations_from_one_ip_are_limited_with_429_and_retry_after() {
    let app = spawn_app().await;
    for i in 0..5 {
        app.forget_cookies();
        app.register(&format!("u{i}@example.com")).await;
    }
    app.forget_cookies();
    let res = app
        .client
        .post(app.url("/api/auth/register"))
        .header(header::ORIGIN, &app.base)
        .json(&json!({ "email": "u5@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
}
