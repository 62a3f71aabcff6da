//! Branches through the server functions: edit, regenerate, switch, each sending the model only
//! the branch its reply is on, and a reload coming back to the branch last shown.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use webplus::fakes::FakeOpenAiConfig;

use crate::helpers::{TestApp, spawn_app_with};

const REPLY: &str = "An answer.";

async fn call_ok(app: &TestApp, endpoint: &str, body: Value) -> Value {
    let (s, v) = app.call(endpoint, body).await;
    assert_eq!(s, StatusCode::OK, "{endpoint}: {v}");
    v
}

/// Waits for the reply of a `chat/send`, `chat/edit` or `chat/regenerate` answer to end.
async fn finish(app: &TestApp, sent: &Value) {
    let id = sent["reply"]["id"].as_str().unwrap();
    app.sse(&format!("/api/messages/{id}/events"), Duration::from_secs(10)).await;
}

/// The contents the fake model was sent last.
fn last_sent(app: &TestApp) -> Vec<String> {
    let last = app.chat_requests().last().cloned().unwrap();
    last["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap().to_string()).collect()
}

/// The messages on show after a reload: (role, content, "position/siblings").
async fn shown(app: &TestApp, conv: &str) -> Vec<(String, String, String)> {
    let detail = call_ok(app, "chat/get", json!({ "id": conv })).await;
    detail["page"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let siblings = m["siblings"].as_array().unwrap();
            let at = siblings.iter().position(|s| *s == m["id"]).expect("a message is among its siblings");
            (
                m["role"].as_str().unwrap().into(),
                m["content"].as_str().unwrap().into(),
                format!("{}/{}", at + 1, siblings.len()),
            )
        })
        .collect()
}

fn row(role: &str, content: &str, at: &str) -> (String, String, String) {
    (role.into(), content.into(), at.into())
}

#[tokio::test]
async fn edits_and_regenerations_are_branches_the_model_sees_alone_and_a_reload_keeps_the_one_shown() {
    let app = spawn_app_with(FakeOpenAiConfig::default().reply_text(REPLY)).await;
    app.register("a@example.com").await;
    let conv = call_ok(&app, "chat/create", json!({})).await["id"].as_str().unwrap().to_string();
    let reply = REPLY.to_string();

    let first = call_ok(&app, "chat/send", json!({ "conversation_id": conv, "content": "Q1" })).await;
    finish(&app, &first).await;
    let second = call_ok(&app, "chat/send", json!({ "conversation_id": conv, "content": "Q2" })).await;
    finish(&app, &second).await;

    // Edit Q2: a sibling question; the model is asked without the original.
    let q2 = second["user"]["id"].as_str().unwrap();
    let edited = call_ok(&app, "chat/edit", json!({ "message_id": q2, "content": "Q2 edited" })).await;
    assert_eq!(edited["user"]["siblings"].as_array().unwrap().len(), 2);
    finish(&app, &edited).await;
    assert_eq!(last_sent(&app), ["Q1", reply.as_str(), "Q2 edited"]);
    assert_eq!(
        shown(&app, &conv).await,
        [
            row("user", "Q1", "1/1"),
            row("assistant", &reply, "1/1"),
            row("user", "Q2 edited", "2/2"),
            row("assistant", &reply, "1/1")
        ]
    );

    // Regenerate the first reply: asked with Q1 alone; the new reply is 2/2 and on show.
    let a1 = first["reply"]["id"].as_str().unwrap();
    let again = call_ok(&app, "chat/regenerate", json!({ "message_id": a1 })).await;
    assert!(again["user"].is_null());
    finish(&app, &again).await;
    assert_eq!(last_sent(&app), ["Q1"]);
    assert_eq!(shown(&app, &conv).await, [row("user", "Q1", "1/1"), row("assistant", &reply, "2/2")]);

    // Switch back to the first reply and to the original Q2: each is what a reload shows.
    let through_a1 = call_ok(&app, "chat/switch-branch", json!({ "conversation_id": conv, "message_id": a1 })).await;
    assert_eq!(through_a1["messages"].as_array().unwrap().len(), 4);
    assert_eq!(shown(&app, &conv).await[2], row("user", "Q2 edited", "2/2"));
    call_ok(&app, "chat/switch-branch", json!({ "conversation_id": conv, "message_id": q2 })).await;
    assert_eq!(shown(&app, &conv).await[2], row("user", "Q2", "1/2"));

    // Sent after the original Q2's reply: that branch is the history.
    let a2 = second["reply"]["id"].as_str().unwrap();
    let third = call_ok(&app, "chat/send", json!({ "conversation_id": conv, "content": "Q3", "after": a2 })).await;
    finish(&app, &third).await;
    assert_eq!(last_sent(&app), ["Q1", reply.as_str(), "Q2", reply.as_str(), "Q3"]);

    // Refusals name what was wrong; another user's messages read as missing.
    let (s, v) = app.call("chat/edit", json!({ "message_id": a1, "content": "x" })).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v.to_string().contains("regenerate"), "{v}");
    let (s, v) = app.call("chat/regenerate", json!({ "message_id": a1, "model": "no-such-model" })).await;
    assert_eq!((s, &v["Invalid"]["field"]), (StatusCode::NOT_FOUND, &json!("model")), "{v}");
    let other = app.second_browser();
    other.register("b@example.com").await;
    let (s, _) = other.call("chat/switch-branch", json!({ "conversation_id": conv, "message_id": a1 })).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = other.call("chat/regenerate", json!({ "message_id": a1 })).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
