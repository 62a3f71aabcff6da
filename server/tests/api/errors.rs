//! What clients are told when something on the server is wrong: a message that says what and
//! what to do, never a path or an upstream body; the log has the detail, for the operator.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    helpers::{reply_of, spawn_app_configured},
    widget::{SHOP, ask, publish_kb},
};

/// Everything logged on this thread from now until the guard drops. The tests' runtime runs on
/// one thread, so this is the server's log for the test.
fn capture_log() -> (Arc<Mutex<Vec<u8>>>, tracing::subscriber::DefaultGuard) {
    #[derive(Clone)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Arc::new(Mutex::new(Vec::new()));
    let writer = Buf(Arc::clone(&buf));
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (buf, tracing::subscriber::set_default(subscriber))
}

#[tokio::test]
async fn a_missing_local_model_is_explained_to_every_caller_without_its_path_and_logged_with_the_fix() {
    let (log, _guard) = capture_log();
    let gone = std::env::temp_dir().join("webplus-no-such-dir").join("missing-weights.gguf");
    let app = spawn_app_configured(|s| {
        s.local.model_path = Some(gone.clone());
        s.default_model = s.local.model_id.clone();
        // Quoting needs no model file: the widget would answer. Generating shows the error.
        s.local.grounded_answers = webplus::answer::AnswerStyle::Generate;
    })
    .await;
    let model = app.settings.local.model_id.clone();
    let told = |who: &str, text: &str| {
        assert!(text.contains(&format!("the model {model} is not installed")), "{who} was told: {text}");
        assert!(
            !text.contains("missing-weights") && !text.contains("webplus-no-such-dir"),
            "{who} saw the path: {text}"
        );
    };

    // A widget visitor, on a site that embeds a published knowledge base.
    let published = publish_kb(&app).await;
    let res = ask(&app, &published.public_id, Some(SHOP), json!({ "question": "What does the Team plan cost?" })).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    told("the widget visitor", &res.text().await.unwrap());

    // A chat user: the message is sent, and the reply ends with the reason (the model's file is
    // only opened when the reply starts).
    let (s, conv) = app.call("chat/create", json!({ "model": model })).await;
    assert_eq!(s, StatusCode::OK, "{conv}");
    let (s, sent) = app.call("chat/send", json!({ "conversation_id": conv["id"], "content": "Hello" })).await;
    assert_eq!(s, StatusCode::OK, "{sent}");
    let id = sent["reply"]["id"].as_str().unwrap();
    let (_, done) = reply_of(&app.sse(&format!("/api/messages/{id}/events"), Duration::from_secs(30)).await);
    let done = done.expect("the reply ended");
    assert_eq!(done["status"], "error");
    told("the chat user", &done.to_string());
    let (_, detail) = app.call("chat/get", json!({ "id": conv["id"] })).await;
    told("the chat user, after a reload", &detail["page"]["messages"][1].to_string());

    // A /v1 client.
    let res = app
        .client
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(&published.key)
        .json(&json!({ "model": model, "messages": [{ "role": "user", "content": "Hello" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = res.text().await.unwrap();
    told("the /v1 client", &body);
    assert!(body.contains("model_not_installed"), "{body}");

    // The operator: the log names the file and the command that fetches it.
    let log = String::from_utf8(log.lock().unwrap().clone()).unwrap();
    let logged =
        log.lines().filter(|l| l.contains("missing-weights.gguf") && l.contains("webplus models fetch")).count();
    assert!(logged >= 3, "each failure logged with the path and the fix:\n{log}");
}
