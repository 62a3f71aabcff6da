//! Health, readiness, metrics, security headers, request ids, body limits.

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{spawn_app, spawn_app_configured};

#[tokio::test]
async fn health_and_ready_answer_json() {
    let app = spawn_app().await;
    let res = app.get("/health").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "ok");
    let res = app.get("/ready").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["database"], "ok");
}

#[tokio::test]
async fn metrics_count_requests_by_route_in_prometheus_format() {
    let app = spawn_app().await;
    app.get("/health").await;
    app.get("/health").await;
    let res = app.get("/metrics").await;
    assert!(res.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/plain"));
    let body = res.text().await.unwrap();
    let line = body
        .lines()
        .find(|l| {
            l.starts_with("webplus_http_requests_total{")
                && l.contains("route=\"/health\"")
                && l.contains("status=\"200\"")
        })
        .unwrap_or_else(|| panic!("no request counter for /health in:\n{body}"));
    let n: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(n >= 2.0, "{line}");
    assert!(body.contains("webplus_http_request_duration_seconds_bucket"), "latency histogram present");
}

#[tokio::test]
async fn pages_carry_a_strict_csp_with_a_nonce_and_security_headers() {
    let app = spawn_app().await;
    let res = app.get("/login").await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self' 'nonce-"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    assert!(h.contains_key("x-request-id"));
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_string();
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the hydration script carries the nonce");
}

#[tokio::test]
async fn the_bundle_is_sent_as_its_precompressed_twin_when_the_browser_takes_it() {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    // The twins' bytes only name which file was sent: the server never decompresses them.
    std::fs::write(pkg.join("webplus.js"), "console.log('plain');").unwrap();
    std::fs::write(pkg.join("webplus.js.br"), "the brotli twin").unwrap();
    std::fs::write(pkg.join("webplus.js.gz"), "the gzip twin").unwrap();
    let root = site.path().to_owned();
    let app = spawn_app_configured(move |s| s.site_root = root).await;

    for (accepts, encoding, body) in [
        (Some("gzip, deflate, br"), Some("br"), "the brotli twin"),
        (Some("gzip"), Some("gzip"), "the gzip twin"),
        (None, None, "console.log('plain');"),
    ] {
        let mut req = app.client.get(app.url("/pkg/webplus.js"));
        if let Some(a) = accepts {
            req = req.header(header::ACCEPT_ENCODING, a);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{accepts:?}");
        let h = res.headers().clone();
        assert_eq!(h.get(header::CONTENT_ENCODING).map(|v| v.to_str().unwrap()), encoding, "{accepts:?}");
        assert_eq!(h[header::CONTENT_TYPE], "text/javascript", "{accepts:?}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "the security headers apply: {accepts:?}");
        let vary: Vec<_> = h.get_all(header::VARY).iter().flat_map(|v| v.to_str().unwrap().split(", ")).collect();
        assert!(vary.contains(&"accept-encoding"), "caches must key on the encoding: {vary:?}");
        assert_eq!(res.text().await.unwrap(), body, "{accepts:?}");
    }
    // Nothing outside the bundle's folder, and nothing that is not there.
    for path in ["/pkg/../Cargo.toml", "/pkg/%2e%2e/Cargo.toml", "/pkg/missing.js"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn an_oversized_body_is_413_with_the_limit_in_the_message() {
    let app = spawn_app().await;
    let big = "x".repeat(app.settings.max_body_bytes + 1);
    let res = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&json!({ "email": big, "password": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let v: Value = res.json().await.unwrap();
    assert!(v["error"]["message"].as_str().unwrap().contains(&app.settings.max_body_bytes.to_string()), "{v}");
}

#[tokio::test]
async fn an_unknown_page_is_a_404_page() {
    let app = spawn_app().await;
    let res = app.get("/no/such/page").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
