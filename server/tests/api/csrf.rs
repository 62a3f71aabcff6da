//! Cross-site writes and the `Authorization` header: only a bearer token exempts a request from the
//! origin check, and a request with an `Authorization` header is never authenticated by its cookies.

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const EVIL: &str = "http://evil.example";

/// A server-function POST from `origin` with the victim's cookies and `authorization`, if any.
async fn forged(app: &TestApp, endpoint: &str, origin: &str, authorization: Option<&str>) -> (StatusCode, Value) {
    let mut req = app
        .client
        .post(app.url(&format!("/api/{endpoint}")))
        .header(header::COOKIE, app.cookie_header().unwrap_or_default())
        .header(header::ORIGIN, origin)
        .json(&json!({ "name": "Planted by evil.example" }));
    if let Some(a) = authorization {
        req = req.header(header::AUTHORIZATION, a);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn kb_names(app: &TestApp) -> Vec<String> {
    let (s, v) = app.call("kb/list", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().unwrap().iter().map(|k| k["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_cross_site_server_function_call_with_basic_auth_and_the_victims_cookie_is_refused() {
    let app = spawn_app().await;
    app.register("victim@example.com").await;
    for auth in ["Basic dXNlcjpwYXNzd29yZA==", "Bearer ", "Negotiate abc"] {
        let (s, v) = forged(&app, "kb/create", EVIL, Some(auth)).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{auth}: {v}");
    }
    assert_eq!(kb_names(&app).await, Vec::<String>::new(), "nothing was created");
}

#[tokio::test]
async fn a_non_bearer_authorization_header_never_falls_back_to_the_cookies() {
    let app = spawn_app().await;
    app.register("victim@example.com").await;
    // From our own origin the origin check passes; the header still decides alone.
    let (s, v) = forged(&app, "kb/create", &app.base, Some("Basic dXNlcjpwYXNzd29yZA==")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let (s, v) = forged(&app, "kb/create", &app.base, Some("Bearer wpk_not_a_real_key")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    // The REST API too: a GET is not origin-checked, so only authentication stands in the way.
    let res = app
        .client
        .get(app.url("/api/v1/knowledge-bases"))
        .header(header::COOKIE, app.cookie_header().unwrap_or_default())
        .header(header::AUTHORIZATION, "Basic dXNlcjpwYXNzd29yZA==")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(kb_names(&app).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_bearer_api_key_works_from_another_origin() {
    let app = spawn_app().await;
    app.register("owner@example.com").await;
    let key = app.api_key().await;
    let res = app
        .client
        .post(app.url("/api/v1/knowledge-bases"))
        .header(header::COOKIE, app.cookie_header().unwrap_or_default())
        .header(header::ORIGIN, EVIL)
        .bearer_auth(&key)
        .json(&json!({ "name": "By API key" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(kb_names(&app).await, ["By API key"]);
}
