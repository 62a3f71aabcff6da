//! Attachments over HTTP: an upload (from the browser with its cookies, or with an API key)
//! checked by content, sent with a message into the model's request, shown with the message after
//! a reload, downloaded back by its owner only, with the headers of a download.

use std::time::Duration;

use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use webplus::fakes::FakeOpenAiConfig;

use crate::helpers::{TestApp, spawn_app_with};

/// Uploads `body` as the browser does (cookies, same origin).
async fn upload(app: &TestApp, name: &str, body: &'static [u8]) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url(&format!("/api/v1/attachments?name={name}")))
        .header(header::COOKIE, app.cookie_header().unwrap_or_default())
        .header(header::ORIGIN, app.url(""))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_file_goes_with_a_message_to_the_model_and_comes_back_as_a_download() {
    let app = spawn_app_with(FakeOpenAiConfig::default().reply_text("It is 42 EUR.")).await;
    app.register("a@example.com").await;
    let (_, c) = app.call("chat/create", json!({})).await;
    let conv = c["id"].as_str().unwrap().to_string();

    let (s, file) = upload(&app, "bill%20May.txt", b"Total due: 42 EUR\n<script>alert(1)</script>").await;
    assert_eq!(s, StatusCode::CREATED, "{file}");
    assert_eq!((file["name"].as_str(), file["size_bytes"].as_i64()), (Some("bill May.txt"), Some(43)));
    let preview = file["preview_html"].as_str().unwrap();
    assert!(preview.contains("Total due: 42 EUR") && !preview.contains("<script>"), "{preview}");
    let id = file["id"].as_str().unwrap().to_string();

    let (s, sent) =
        app.call("chat/send", json!({ "conversation_id": conv, "content": "What is due?", "attachments": [id] })).await;
    assert_eq!(s, StatusCode::OK, "{sent}");
    assert_eq!(sent["user"]["attachments"][0]["name"], "bill May.txt");
    app.sse(&format!("/api/messages/{}/events", sent["reply"]["id"].as_str().unwrap()), Duration::from_secs(10)).await;
    let asked = app.chat_requests().last().unwrap()["messages"].as_array().unwrap().last().unwrap().clone();
    let content = asked["content"].as_str().unwrap();
    assert!(content.starts_with("<file name=\"bill May.txt\">\nTotal due: 42 EUR"), "{content}");
    assert!(content.ends_with("What is due?"), "{content}");

    let (_, detail) = app.call("chat/get", json!({ "id": conv })).await;
    assert_eq!(detail["page"]["messages"][0]["attachments"][0]["id"], id.as_str());

    let res = app.get(&format!("/api/v1/attachments/{id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert_eq!(h[header::CONTENT_TYPE], "text/plain; charset=utf-8");
    assert_eq!(
        h[header::CONTENT_DISPOSITION],
        "attachment; filename=\"bill May.txt\"; filename*=UTF-8''bill%20May%2Etxt"
    );
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(h[header::CONTENT_SECURITY_POLICY].to_str().unwrap().starts_with("sandbox"));
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"Total due: 42 EUR\n<script>alert(1)</script>");

    // With an API key too.
    let key = app.api_key().await;
    let res = app
        .client
        .post(app.url("/api/v1/attachments?name=notes.md"))
        .bearer_auth(&key)
        .body("# Notes")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn bad_files_are_refused_with_what_is_wrong_and_strangers_get_nothing() {
    let app = spawn_app_with(FakeOpenAiConfig::default()).await;
    app.register("a@example.com").await;
    let (s, v) = upload(&app, "", b"text").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v.to_string().contains("name=report.pdf"), "{v}");
    let (s, v) = upload(&app, "setup.exe", b"MZ\x90\0\x03\0\0\0").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v.to_string().contains("setup.exe") && v.to_string().contains("Windows program"), "{v}");
    let (s, v) = upload(&app, "photo.pdf", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v.to_string().contains("photo.pdf"), "{v}");
    let (s, file) = upload(&app, "mine.txt", b"private").await;
    assert_eq!(s, StatusCode::CREATED);
    let id = file["id"].as_str().unwrap();

    // A cookie write from another origin is refused before it is read.
    let res = app
        .client
        .post(app.url("/api/v1/attachments?name=x.txt"))
        .header(header::COOKIE, app.cookie_header().unwrap_or_default())
        .header(header::ORIGIN, "https://evil.example")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let stranger = app.second_browser();
    assert_eq!(stranger.get(&format!("/api/v1/attachments/{id}")).await.status(), StatusCode::UNAUTHORIZED);
    stranger.register("b@example.com").await;
    assert_eq!(stranger.get(&format!("/api/v1/attachments/{id}")).await.status(), StatusCode::NOT_FOUND);
    let (_, c) = stranger.call("chat/create", json!({})).await;
    let (s, v) = stranger
        .call("chat/send", json!({ "conversation_id": c["id"], "content": "Read it", "attachments": [id] }))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
}
