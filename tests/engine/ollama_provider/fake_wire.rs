//! The fake itself, over plain HTTP: the provider's and the manager's tests trust it to look like
//! Ollama.

use serde_json::{Value, json};
use webplus::fakes::ollama::reply_to;
use webplus::fakes::{FakeOllama, FakeOllamaConfig, OllamaFailure};

async fn post(fake: &FakeOllama, path: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", fake.base_url()))
        .json(&body)
        .send()
        .await
        .expect("the fake answers")
}

/// Each line of an NDJSON body as JSON; every line ends in `\n`.
fn lines(text: &str) -> Vec<Value> {
    assert!(text.ends_with('\n'), "{text}");
    text.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
}

fn chat(stream: Option<bool>, num_predict: Option<u32>) -> Value {
    let mut body = json!({"model": "llama3.2", "messages": [{"role": "user", "content": "Hi there"}]});
    if let Some(stream) = stream {
        body["stream"] = json!(stream);
    }
    if let Some(n) = num_predict {
        body["options"] = json!({"num_predict": n});
    }
    body
}

#[tokio::test]
async fn a_chat_streams_json_lines_by_default_ending_in_a_done_line_with_the_counts() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let response = post(&fake, "/api/chat", chat(None, None)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let lines = lines(&response.text().await.expect("a body"));

    let (last, parts) = lines.split_last().expect("lines");
    for line in parts {
        let mut keys: Vec<&str> = line.as_object().expect("an object").keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["created_at", "done", "message", "model"], "{line}");
        assert_eq!((line["done"].as_bool(), line["message"]["role"].as_str()), (Some(false), Some("assistant")));
        assert!(line["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
    let text: String = parts.iter().filter_map(|l| l["message"]["content"].as_str()).collect();
    assert_eq!(text, reply_to("Hi there"));
    assert_eq!((last["done"].as_bool(), last["done_reason"].as_str()), (Some(true), Some("stop")));
    assert_eq!(last["message"], json!({"role": "assistant", "content": ""}));
    assert_eq!(last["eval_count"].as_u64(), Some(parts.len() as u64));
    for field in ["total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_duration"] {
        assert!(last[field].as_u64() > Some(0), "{field}: {last}");
    }
}

#[tokio::test]
async fn a_chat_without_streaming_is_one_object_and_num_predict_cuts_it() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let whole: Value = post(&fake, "/api/chat", chat(Some(false), Some(2))).await.json().await.expect("JSON");
    assert_eq!(whole["message"], json!({"role": "assistant", "content": "You said:"}));
    assert_eq!((whole["done"].as_bool(), whole["done_reason"].as_str()), (Some(true), Some("length")));
    assert_eq!(whole["eval_count"], 2);
}

#[tokio::test]
async fn unknown_models_paths_and_injected_failures_get_ollamas_answers() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let mut unknown = chat(None, None);
    unknown["model"] = json!("mistral");
    let response = post(&fake, "/api/chat", unknown).await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body, json!({"error": "model \"mistral\" not found, try pulling it first"}));

    let wrong_path = post(&fake, "/v1/api/chat", chat(None, None)).await;
    assert_eq!(wrong_path.status(), 404);
    assert_eq!(wrong_path.text().await.ok().as_deref(), Some("404 page not found"));

    fake.fail_next([OllamaFailure::Busy, OllamaFailure::ErrorLineAfter(1)]);
    let busy = post(&fake, "/api/chat", chat(None, None)).await;
    assert_eq!(busy.status(), 503);
    let body: Value = busy.json().await.expect("JSON");
    assert_eq!(body["error"], "server busy, please try again.  maximum pending requests exceeded");
    let broken = lines(&post(&fake, "/api/chat", chat(None, None)).await.text().await.expect("a body"));
    assert_eq!(broken.len(), 2);
    assert!(broken[1]["error"].is_string() && broken[1].get("done").is_none(), "{broken:?}");
}

#[tokio::test]
async fn an_empty_generate_loads_and_keep_alive_zero_unloads() {
    let fake = FakeOllama::start(FakeOllamaConfig::default()).await;
    let load: Value = post(&fake, "/api/generate", json!({"model": "llama3.2", "keep_alive": "10m"}))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!((load["response"].as_str(), load["done_reason"].as_str()), (Some(""), Some("load")));
    let expires = fake.loaded()["llama3.2:latest"];
    let in_ten_minutes = webplus::time::now_ms() + 600_000;
    assert!((in_ten_minutes - 5_000..=in_ten_minutes).contains(&expires), "{expires} vs {in_ten_minutes}");

    let unload: Value =
        post(&fake, "/api/generate", json!({"model": "llama3.2", "keep_alive": 0})).await.json().await.expect("JSON");
    assert_eq!(unload["done_reason"], "unload");
    assert!(fake.loaded().is_empty());

    let refused = post(&fake, "/api/generate", json!({"model": "llama3.2", "keep_alive": "-1"})).await;
    assert_eq!(refused.status(), 400, "a duration without a unit, as Go refuses it");
    let missing = post(&fake, "/api/generate", json!({"model": "nope"})).await;
    assert_eq!(missing.json::<Value>().await.expect("JSON"), json!({"error": "model 'nope' not found"}));
}
