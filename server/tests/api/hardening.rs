//! Host allow-list (DNS rebinding), metrics protection, `Cache-Control` on user data.

use reqwest::{StatusCode, header};
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_configured};

#[tokio::test]
async fn a_request_for_a_foreign_host_is_refused_with_421_and_loopback_names_work_by_default() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/")).header(header::HOST, "evil.example").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::MISDIRECTED_REQUEST);
    let v: serde_json::Value = res.json().await.unwrap();
    assert!(v["error"]["message"].as_str().unwrap().contains("WEBPLUS_PUBLIC_URL"), "{v}");
    // Server functions too (a rebinding page would sign up first on a fresh instance).
    let res = app
        .client
        .post(app.url("/api/auth/register"))
        .header(header::HOST, "evil.example:3000")
        .json(&json!({ "email": "a@example.com", "password": "correct-horse-battery" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::MISDIRECTED_REQUEST);
    assert!(app.services.accounts.user_by_email("a@example.com").await.unwrap().is_none());

    for host in ["localhost", "localhost:3000", "127.0.0.1", "[::1]:8080"] {
        let res = app.client.get(app.url("/api/v1/knowledge-bases")).header(header::HOST, host).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{host}: past the host check, asks for a login");
    }
    // Probes by pod address still work.
    let res = app.client.get(app.url("/health")).header(header::HOST, "10.1.2.3:3000").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_host_of_the_public_url_is_accepted() {
    let app = spawn_app_configured(|s| s.public_url = Some("https://chat.example.com".into())).await;
    let res = app.client.get(app.url("/login")).header(header::HOST, "chat.example.com").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.client.get(app.url("/login")).header(header::HOST, "evil.example").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::MISDIRECTED_REQUEST);
}

#[tokio::test]
async fn metrics_need_the_bearer_token_when_one_is_set() {
    let token = "metrics-token-0123456789";
    let app = spawn_app_configured(|s| s.metrics_token = Some(webplus::settings::Secret::new(token))).await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()[header::WWW_AUTHENTICATE], "Bearer");
    let res = app.client.get(app.url("/metrics")).bearer_auth("metrics-token-012345678X").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app.client.get(app.url("/metrics")).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("webplus_http_requests_total"));
}

#[tokio::test]
async fn metrics_can_live_on_their_own_address_only() {
    let app = spawn_app_configured(|s| s.metrics_addr = Some("127.0.0.1:0".parse().unwrap())).await;
    let metrics = app.metrics_base.clone().expect("a metrics listener");
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "not on the main listener");
    let res = app.client.get(format!("{metrics}/metrics")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("# TYPE"));
}

#[tokio::test]
async fn responses_with_user_data_are_not_stored_and_static_files_may_be() {
    let app = spawn_app().await;
    app.register("a@example.com").await;
    for path in ["/", "/login", "/api/v1/knowledge-bases", "/no-such-page"] {
        let res = app.get(path).await;
        assert_eq!(res.headers().get(header::CACHE_CONTROL).map(|v| v.to_str().unwrap()), Some("no-store"), "{path}");
    }
    let res = app
        .client
        .post(app.url("/api/auth/me"))
        .header(header::ORIGIN, &app.base)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let res = app.client.get(app.url("/v1/models")).send().await.unwrap();
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    for path in ["/widget.js", "/favicon.svg"] {
        let res = app.get(path).await;
        assert_ne!(res.headers().get(header::CACHE_CONTROL).map(|v| v.to_str().unwrap()), Some("no-store"), "{path}");
    }
}
