//! Conversations and streamed replies, through server functions and the SSE endpoint.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use webplus::fakes::{Failure, FakeOpenAiConfig, wait_until};

use crate::helpers::{FAKE_MODEL, TestApp, reply_of, spawn_app, spawn_app_in, spawn_app_with};

async fn new_conversation(app: &crate::helpers::TestApp) -> String {
    let (s, v) = app.call("chat/create", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["id"].as_str().unwrap().to_string()
}

async fn send(app: &crate::helpers::TestApp, conv: &str, text: &str) -> Value {
    let (s, v) = app.call("chat/send", json!({ "conversation_id": conv, "content": text })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

#[tokio::test]
async fn a_reply_streams_over_sse_and_is_saved_with_the_history_sent_as_context() {
    let app = spawn_app_with(
        FakeOpenAiConfig::default().reply_text("Paris is the capital.").chunk_delay(Duration::from_millis(30)),
    )
    .await;
    app.register("a@example.com").await;
    let conv = new_conversation(&app).await;

    let sent = send(&app, &conv, "What is the capital of France?").await;
    assert_eq!(sent["user"]["status"], "complete");
    assert_eq!(sent["reply"]["status"], "streaming");
    let events = app
        .sse(&format!("/api/messages/{}/events", sent["reply"]["id"].as_str().unwrap()), Duration::from_secs(10))
        .await;
    assert!(events.iter().filter(|(e, _)| e == "delta").count() >= 2, "streamed in pieces: {events:?}");
    let (text, done) = reply_of(&events);
    assert_eq!(text, "Paris is the capital.");
    let done = done.unwrap();
    assert_eq!((&done["status"], &done["titling"]), (&json!("complete"), &json!(true)));
    // The title its model wrote follows `done`, as the last event.
    assert_eq!(events.last().unwrap(), &("title".to_string(), "\"Paris is the capital\"".to_string()));
    // Followed after it ended (a fast model ends before the page follows it): the same title.
    let first_reply = sent["reply"]["id"].as_str().unwrap().to_owned();
    let again = app.sse(&format!("/api/messages/{first_reply}/events"), Duration::from_secs(10)).await;
    assert_eq!(reply_of(&again).1.unwrap()["title"], "Paris is the capital");

    // A second turn sends the first exchange as context.
    let sent = send(&app, &conv, "And of Italy?").await;
    app.sse(&format!("/api/messages/{}/events", sent["reply"]["id"].as_str().unwrap()), Duration::from_secs(10)).await;
    let (_, done) = reply_of(
        &app.sse(&format!("/api/messages/{}/events", sent["reply"]["id"].as_str().unwrap()), Duration::from_secs(10))
            .await,
    );
    assert_eq!(done.unwrap().get("title"), None, "only a first reply carries the title");
    let last = app.chat_requests().last().cloned().unwrap();
    let contents: Vec<&str> =
        last["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(contents, ["What is the capital of France?", "Paris is the capital.", "And of Italy?"]);

    // Reloading shows everything saved, and the title the model wrote after the first reply
    // (the fake answers every request alike).
    let (_, detail) = app.call("chat/get", json!({ "id": conv })).await;
    let msgs = detail["page"]["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 4);
    assert_eq!(msgs[1]["content"], "Paris is the capital.");
    assert_eq!(msgs[1]["status"], "complete");
    assert_eq!(detail["conversation"]["title"], "Paris is the capital");

    // The stream was measured: time to first token, tokens generated, active streams back to 0.
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for name in [
        "webplus_time_to_first_token_seconds_count{provider=\"openai\"}",
        "webplus_tokens_generated_total{provider=\"openai\"}",
        "webplus_active_streams{provider=\"openai\"}",
        "webplus_model_calls_total{provider=\"openai\",surface=\"chat\",outcome=\"complete\"}",
        "webplus_model_completion_tokens_total{provider=\"openai\",surface=\"chat\"}",
    ] {
        assert!(metrics.contains(name), "{name} missing from /metrics:\n{metrics}");
    }
}

#[tokio::test]
async fn stop_ends_the_reply_and_keeps_the_partial_text() {
    let app = spawn_app_with(
        FakeOpenAiConfig::default().reply_text(&"word ".repeat(200)).chunk_delay(Duration::from_millis(20)),
    )
    .await;
    app.register("a@example.com").await;
    let conv = new_conversation(&app).await;
    let sent = send(&app, &conv, "Talk for a long time").await;
    let id = sent["reply"]["id"].as_str().unwrap().to_string();
    wait_for_text(&app, &id).await;
    assert_eq!(app.call("chat/stop", json!({ "message_id": id })).await.0, StatusCode::OK);
    let (text, done) = reply_of(&app.sse(&format!("/api/messages/{id}/events"), Duration::from_secs(10)).await);
    assert_eq!(done.unwrap()["status"], "stopped");
    assert!(!text.is_empty() && text.len() < 1000, "partial: {} chars", text.len());
    let (_, detail) = app.call("chat/get", json!({ "id": conv })).await;
    assert_eq!(detail["page"]["messages"][1]["status"], "stopped");
    assert_eq!(detail["page"]["messages"][1]["content"].as_str().unwrap(), text);
}

#[tokio::test]
async fn an_upstream_failure_half_way_saves_the_partial_reply_as_an_error_with_a_clear_reason() {
    let app = spawn_app_with(
        FakeOpenAiConfig::default().reply_text("one two three four five six").failure(Failure::ErrorEventAfter(3)),
    )
    .await;
    app.register("a@example.com").await;
    let conv = new_conversation(&app).await;
    let sent = send(&app, &conv, "hi").await;
    let id = sent["reply"]["id"].as_str().unwrap();
    let (text, done) = reply_of(&app.sse(&format!("/api/messages/{id}/events"), Duration::from_secs(10)).await);
    let done = done.unwrap();
    assert_eq!(done["status"], "error");
    assert!(done["error"].as_str().unwrap().contains("try again"), "{done}");
    assert!(text.starts_with("one"), "{text}");
    let (_, detail) = app.call("chat/get", json!({ "id": conv })).await;
    assert_eq!(detail["page"]["messages"][1]["status"], "error");
    assert_eq!(detail["page"]["messages"][1]["content"], text);
}

#[tokio::test]
async fn replies_left_streaming_by_a_crash_are_interrupted_after_restart() {
    let mut app = spawn_app_with(
        FakeOpenAiConfig::default().reply_text(&"slow ".repeat(500)).chunk_delay(Duration::from_millis(50)),
    )
    .await;
    app.register("a@example.com").await;
    let conv = new_conversation(&app).await;
    let sent = send(&app, &conv, "go").await;
    wait_for_text(&app, sent["reply"]["id"].as_str().unwrap()).await;
    // Graceful shutdown with a 300 ms grace: the reply is cut and saved as interrupted.
    app.shutdown().await;
    let cookies = app.cookies.lock().unwrap().clone();
    let again = spawn_app_in(app._dir.clone(), app.fake.clone()).await;
    *again.cookies.lock().unwrap() = cookies;
    let (_, detail) = again.call("chat/get", json!({ "id": conv })).await;
    let reply = &detail["page"]["messages"][1];
    assert_eq!(reply["id"], sent["reply"]["id"]);
    assert_eq!(reply["status"], "interrupted", "{detail}");
    assert!(reply["content"].as_str().unwrap().starts_with("slow"), "{reply}");
    // The cut reply is one `cancelled` row of the usage ledger.
    let rows = again.services.db.ledger_rows(&Default::default(), 10).await.unwrap();
    let row =
        rows.iter().find(|r| r.message_id.as_deref() == reply["id"].as_str()).expect("a ledger row for the reply");
    assert_eq!((row.surface.as_str(), row.outcome.as_str()), ("chat", "cancelled"));
    assert_eq!(row.conversation_id.as_deref(), Some(conv.as_str()));
}

#[tokio::test]
async fn conversations_are_listed_newest_first_in_pages_renamed_and_deleted() {
    let app = spawn_app().await;
    app.register("a@example.com").await;
    let mut ids = Vec::new();
    for _ in 0..35 {
        ids.push(new_conversation(&app).await);
    }
    let (_, page1) = app.call("chat/conversations", json!({})).await;
    let items = page1["items"].as_array().unwrap();
    assert_eq!(items.len(), 30);
    assert_eq!(items[0]["id"], ids[34].as_str());
    let (_, page2) = app.call("chat/conversations", json!({ "cursor": page1["next_cursor"] })).await;
    assert_eq!(page2["items"].as_array().unwrap().len(), 5);
    assert!(page2["next_cursor"].is_null());

    assert_eq!(app.call("chat/rename", json!({ "id": ids[0], "title": "Renamed" })).await.0, StatusCode::OK);
    let (s, v) = app.call("chat/rename", json!({ "id": ids[0], "title": "   " })).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(app.call("chat/delete", json!({ "id": ids[1] })).await.0, StatusCode::OK);
    assert_eq!(app.call("chat/get", json!({ "id": ids[1] })).await.0, StatusCode::NOT_FOUND);
    let (_, d) = app.call("chat/get", json!({ "id": ids[0] })).await;
    assert_eq!(d["conversation"]["title"], "Renamed");
    assert_eq!(d["conversation"]["model"], FAKE_MODEL);
}

#[tokio::test]
async fn another_users_conversation_and_messages_are_404_everywhere() {
    let alice = spawn_app().await;
    alice.register("alice@example.com").await;
    let conv = new_conversation(&alice).await;
    let sent = send(&alice, &conv, "secret").await;
    let reply_id = sent["reply"]["id"].as_str().unwrap().to_string();

    let bob = alice.second_browser();
    bob.register("bob@example.com").await;
    for (f, body) in [
        ("chat/get", json!({ "id": conv })),
        ("chat/rename", json!({ "id": conv, "title": "mine" })),
        ("chat/delete", json!({ "id": conv })),
        ("chat/send", json!({ "conversation_id": conv, "content": "hi" })),
        ("chat/stop", json!({ "message_id": reply_id })),
    ] {
        let (s, v) = bob.call(f, body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{f}: {v}");
    }
    assert_eq!(bob.get(&format!("/api/messages/{reply_id}/events")).await.status(), StatusCode::NOT_FOUND);
    let (_, list) = bob.call("chat/conversations", json!({})).await;
    assert!(list["items"].as_array().unwrap().is_empty());
    // Alice still has it.
    assert_eq!(alice.call("chat/get", json!({ "id": conv })).await.0, StatusCode::OK);
}

#[tokio::test]
async fn without_a_session_chat_functions_are_401() {
    let app = spawn_app().await;
    let (s, v) = app.call("chat/conversations", json!({})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert_eq!(app.get("/api/messages/x/events").await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_empty_message_or_an_unknown_model_is_refused_with_the_field() {
    let app = spawn_app().await;
    app.register("a@example.com").await;
    let conv = new_conversation(&app).await;
    let (s, v) = app.call("chat/send", json!({ "conversation_id": conv, "content": "  " })).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["Invalid"]["field"], "content");
    let (s, v) = app.call("chat/create", json!({ "model": "no-such-model" })).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["Invalid"]["field"], "model");
}

/// Waits until the running reply `id` has some text.
async fn wait_for_text(app: &TestApp, id: &str) {
    wait_until("the reply's first words", Duration::from_secs(30), || async {
        match app.services.chat.generations().snapshot(id) {
            Some(s) if !s.content.is_empty() => Ok(()),
            other => Err(other),
        }
    })
    .await;
}

fn settings_form(system: &str, temperature: &str, stop: &str) -> Value {
    json!({ "system": system, "temperature": temperature, "top_p": "", "max_tokens": "40", "stop": stop,
        "seed": "11", "presence_penalty": "", "frequency_penalty": "0.5" })
}

#[tokio::test]
async fn the_parameters_panel_saves_checks_and_sends_the_settings_and_new_chats_start_from_the_preset() {
    let app = spawn_app().await;
    app.register("a@example.com").await;
    let conv = new_conversation(&app).await;
    let (s, v) = app.call("chat/settings", json!({ "conversation_id": conv })).await;
    assert_eq!((s, v["temperature"].as_str(), v["system"].as_str()), (StatusCode::OK, Some(""), Some("")));

    // What does not parse, or is out of range, names its field; nothing is saved.
    for (temperature, reason) in [("hot", "use a number like 0.7"), ("2.5", "use a number from 0 to 2")] {
        let body =
            json!({ "conversation_id": conv, "form": settings_form("", temperature, ""), "for_new_chats": false });
        let (s, v) = app.call("chat/save-settings", body).await;
        assert_eq!((s, v["Invalid"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("temperature")), "{v}");
        assert!(v["Invalid"]["reason"].as_str().unwrap().starts_with(reason), "{v}");
    }
    let five_stops = settings_form("", "", "a\nb\nc\nd\ne");
    let (s, v) = app
        .call("chat/save-settings", json!({ "conversation_id": conv, "form": five_stops, "for_new_chats": false }))
        .await;
    assert_eq!((s, v["Invalid"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("stop")), "{v}");
    let (_, v) = app.call("chat/settings", json!({ "conversation_id": conv })).await;
    assert_eq!(v["frequency_penalty"], "", "a refused save changes nothing");

    // Saved as stored (trimmed), and the next question is asked with them.
    let form = settings_form("  You are terse. ", "0.25", " END \n\n");
    let (s, saved) =
        app.call("chat/save-settings", json!({ "conversation_id": conv, "form": form, "for_new_chats": true })).await;
    assert_eq!(s, StatusCode::OK, "{saved}");
    assert_eq!((saved["system"].as_str(), saved["stop"].as_str()), (Some("You are terse."), Some("END")));
    assert_eq!(app.call("chat/settings", json!({ "conversation_id": conv })).await.1, saved);
    let sent = send(&app, &conv, "Hi").await;
    app.sse(&format!("/api/messages/{}/events", sent["reply"]["id"].as_str().unwrap()), Duration::from_secs(10)).await;
    let upstream = app.chat_requests().last().cloned().unwrap();
    assert_eq!(upstream["messages"][0], json!({ "role": "system", "content": "You are terse." }));
    assert_eq!(upstream["messages"][1]["content"], "Hi");
    assert_eq!(
        (&upstream["temperature"], &upstream["max_tokens"], &upstream["stop"], &upstream["seed"]),
        (&json!(0.25), &json!(40), &json!(["END"]), &json!(11))
    );
    assert_eq!(upstream["frequency_penalty"], json!(0.5));
    assert_eq!(sent["reply"]["dropped_params"], json!([]), "an OpenAI-compatible server takes them all");

    // "Also for new chats": a new conversation starts with them.
    let next = new_conversation(&app).await;
    assert_eq!(app.call("chat/settings", json!({ "conversation_id": next })).await.1, saved);
}
