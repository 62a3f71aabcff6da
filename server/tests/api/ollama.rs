//! `/api/v1/admin/connections/{id}/ollama/…`: an administrator manages an Ollama connection's
//! models over HTTP against the in-process fake Ollama (pulls gated so progress is seen), follows
//! the live events, and users see pulled and deleted models in `/v1/models` at once.

use std::time::Duration;

use eventsource_stream::Eventsource;
use futures::{StreamExt, stream::BoxStream};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use webplus::fakes::{FakeOllama, FakeOllamaConfig, OllamaFailure, wait_until};

use crate::helpers::{TestApp, keyed as send, spawn_app};

/// An app whose administrator has added the Ollama connection `lab` for `fake`: (app, key, base
/// path of the connection's Ollama endpoints).
async fn with_ollama(fake: &FakeOllama) -> (TestApp, String, String) {
    let app = spawn_app().await;
    app.register("admin@example.com").await; // the first account is the administrator
    let key = app.api_key().await;
    let body = json!({ "kind": "ollama", "name": "lab", "base_url": fake.base_url() });
    let (s, created) = send(&app, &key, Method::POST, "/api/v1/admin/connections", Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let base = format!("/api/v1/admin/connections/{}/ollama", created["id"].as_str().unwrap());
    (app, key, base)
}

fn names(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap().to_owned()).collect()
}

async fn offered(app: &TestApp, key: &str) -> Vec<String> {
    let (_, models) = send(app, key, Method::GET, "/v1/models", None).await;
    let chat = models["data"].as_array().unwrap().iter().filter(|m| m["kind"] == "chat");
    chat.map(|m| m["id"].as_str().unwrap().to_owned()).collect()
}

type Events = BoxStream<'static, Result<eventsource_stream::Event, String>>;

/// The next SSE event as (name, JSON data), within a deadline.
async fn next_event(events: &mut Events) -> (String, Value) {
    match tokio::time::timeout(Duration::from_secs(10), events.next()).await {
        Ok(Some(Ok(e))) => (e.event, serde_json::from_str(&e.data).unwrap()),
        other => panic!("no event: {other:?}"),
    }
}

async fn job_until(app: &TestApp, key: &str, path: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    wait_until(what, Duration::from_secs(10), || async {
        let (s, job) = send(app, key, Method::GET, path, None).await;
        if s == StatusCode::OK && done(&job) { Ok(job) } else { Err((s, job)) }
    })
    .await
}

#[tokio::test]
async fn an_admin_starts_stops_pulls_and_deletes_models_and_follows_them_live() {
    let fake = FakeOllama::start(FakeOllamaConfig::default().gated_pulls()).await;
    let (app, key, base) = with_ollama(&fake).await;
    let (s, listed) = send(&app, &key, Method::GET, &format!("{base}/models"), None).await;
    assert_eq!((s, names(&listed)), (StatusCode::OK, vec!["llama3.2:latest".to_owned()]), "{listed}");
    assert_eq!(
        (listed["data"][0]["model"].as_str(), listed["data"][0]["running"].as_bool()),
        (Some("lab/llama3.2:latest"), Some(false))
    );

    let res = app.client.get(app.url(&format!("{base}/events"))).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut events: Events = res.bytes_stream().eventsource().map(|e| e.map_err(|e| e.to_string())).boxed();
    let (name, first) = next_event(&mut events).await;
    assert_eq!((name.as_str(), names(&first)), ("models", vec!["llama3.2:latest".to_owned()]));

    let start = json!({ "model": "llama3.2", "keep_alive": "10m" });
    let (s, started) = send(&app, &key, Method::POST, &format!("{base}/start"), Some(start)).await;
    assert_eq!((s, started["data"][0]["running"].as_bool()), (StatusCode::OK, Some(true)), "{started}");
    let expires = started["data"][0]["expires_at"].as_i64().unwrap();
    assert!(expires > webplus::time::now_ms() + 590_000, "{started}");
    assert_eq!(next_event(&mut events).await, ("models".to_owned(), started.clone()), "the page is told");
    let (s, stopped) =
        send(&app, &key, Method::POST, &format!("{base}/stop"), Some(json!({ "model": "llama3.2" }))).await;
    assert_eq!((s, stopped["data"][0]["running"].as_bool()), (StatusCode::OK, Some(false)), "{stopped}");
    assert_eq!(next_event(&mut events).await.0, "models");

    let (s, job) =
        send(&app, &key, Method::POST, &format!("{base}/pull"), Some(json!({ "model": "qwen3:0.6b" }))).await;
    assert_eq!((s, job["status"].as_str()), (StatusCode::ACCEPTED, Some("running")), "{job}");
    let job_path = format!("{base}/pulls/{}", job["id"].as_str().unwrap());
    fake.release_pull_steps(3);
    let midway = job_until(&app, &key, &job_path, "progress", |j| j["completed"].as_u64().is_some_and(|c| c > 0)).await;
    assert_eq!(midway["status"], "running", "{midway}");
    assert!(midway["completed"].as_u64() < midway["total"].as_u64(), "{midway}");
    assert!(!offered(&app, &key).await.contains(&"lab/qwen3:0.6b".to_owned()));
    // The page sees the progress too (the last report of a burst is sent within 100 ms).
    let mut pulls = Vec::new();
    while pulls.last().is_none_or(|j: &Value| j["completed"].as_u64().is_none_or(|c| c == 0)) {
        let (name, job) = next_event(&mut events).await;
        assert_eq!((name.as_str(), job["status"].as_str()), ("pull", Some("running")), "{job}");
        pulls.push(job);
    }
    fake.release_pull_steps(100);
    let done = job_until(&app, &key, &job_path, "the pull to end", |j| j["status"] != "running").await;
    assert_eq!((done["status"].as_str(), &done["error"]), (Some("done"), &Value::Null), "{done}");
    assert!(offered(&app, &key).await.contains(&"lab/qwen3:0.6b".to_owned()), "offered at once");

    // Then the end, and the models with the new one.
    let models = loop {
        match next_event(&mut events).await {
            (name, job) if name == "pull" => pulls.push(job),
            (name, models) if name == "models" && pulls.last().is_some_and(|j| j["status"] == "done") => break models,
            other => panic!("unexpected {other:?} after {pulls:?}"),
        }
    };
    assert!(names(&models).contains(&"qwen3:0.6b".to_owned()), "{models}");

    let (s, deleted) =
        send(&app, &key, Method::POST, &format!("{base}/delete"), Some(json!({ "model": "qwen3:0.6b" }))).await;
    assert_eq!((s, names(&deleted)), (StatusCode::OK, vec!["llama3.2:latest".to_owned()]), "{deleted}");
    assert!(!offered(&app, &key).await.contains(&"lab/qwen3:0.6b".to_owned()), "gone at once");
    let (s, details) = send(&app, &key, Method::GET, &format!("{base}/show?model=llama3.2"), None).await;
    assert_eq!((s, details["context_length"].as_u64()), (StatusCode::OK, Some(131_072)), "{details}");
}

#[tokio::test]
async fn bad_input_is_refused_with_words_and_a_failed_pull_says_why() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let (app, key, base) = with_ollama(&fake).await;
    let bad = json!({ "model": "llama3.2", "keep_alive": "5 minutes" });
    let (s, err) = send(&app, &key, Method::POST, &format!("{base}/start"), Some(bad)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(err["error"]["message"].as_str().unwrap().starts_with("keep_alive:"), "{err}");
    let (s, _) = send(&app, &key, Method::POST, &format!("{base}/stop"), Some(json!({ "model": "m", "x": 1 }))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "unknown fields are refused");
    let (s, _) = send(&app, &key, Method::GET, &format!("{base}/models?refrsh=true"), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = send(&app, &key, Method::GET, &format!("{base}/show?model=mistral"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = send(&app, &key, Method::GET, &format!("{base}/pulls/nope"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let reason = "max retries exceeded: unexpected EOF";
    fake.fail_next([OllamaFailure::PullFailsAfter { lines: 3, reason: reason.into() }]);
    let (s, job) =
        send(&app, &key, Method::POST, &format!("{base}/pull"), Some(json!({ "model": "qwen3:0.6b" }))).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    let path = format!("{base}/pulls/{}", job["id"].as_str().unwrap());
    let failed = job_until(&app, &key, &path, "the pull to fail", |j| j["status"] != "running").await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"].as_str(), Some(format!("pulling qwen3:0.6b failed: {reason}").as_str()));
}

#[tokio::test]
async fn only_administrators_manage_ollama_models_and_only_on_ollama_connections() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let (app, key, base) = with_ollama(&fake).await;
    let user = app.second_browser();
    user.register("user@example.com").await;
    let user_key = user.api_key().await;
    for (method, path, body) in [
        (Method::GET, format!("{base}/models"), None),
        (Method::GET, format!("{base}/events"), None),
        (Method::POST, format!("{base}/pull"), Some(json!({ "model": "qwen3:0.6b" }))),
        (Method::POST, format!("{base}/delete"), Some(json!({ "model": "llama3.2" }))),
    ] {
        let (s, _) = send(&app, &user_key, method, &path, body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(fake.installed(), ["llama3.2:latest"], "nothing was pulled or deleted");
    assert!(fake.bodies("/api/pull").is_empty());

    let path = "/api/v1/admin/connections/settings-openai/ollama/models";
    let (s, err) = send(&app, &key, Method::GET, path, None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(err["error"]["message"].as_str().unwrap().contains("only on Ollama connections"), "{err}");
    let (s, _) = send(&app, &key, Method::GET, "/api/v1/admin/connections/nope/ollama/models", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
