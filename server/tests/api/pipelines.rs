//! Pipelines over HTTP with an API key: create (checked), read, save a version, export, start a
//! run and follow its events to the end, the run as stored, cancel, and what a bad body is told.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use webplus::fakes::{DEFAULT_REPLY, FakeOpenAiConfig};

use crate::helpers::{FAKE_MODEL, TestApp, keyed, read_sse, spawn_app, spawn_app_with};

/// Input(topic) → LLM (the fake OpenAI model) → Output(answer), and a Code node counting words.
fn definition(name: &str) -> Value {
    json!({
        "format": 1,
        "name": name,
        "nodes": [
            {"id": "in", "type": "input", "fields": [{"name": "topic", "type": "text"}]},
            {"id": "write", "type": "llm", "model": FAKE_MODEL, "prompt": "Write about {{ topic }}",
             "inputs": [{"name": "topic", "type": "text"}]},
            {"id": "count", "type": "code", "script": "text.split(\" \").len()",
             "inputs": [{"name": "text", "type": "text"}], "outputs": [{"name": "words", "type": "number"}]},
            {"id": "out", "type": "output",
             "results": [{"name": "answer", "type": "text"}, {"name": "words", "type": "number"}]}
        ],
        "edges": [
            {"from": {"node": "in", "port": "topic"}, "to": {"node": "write", "port": "topic"}},
            {"from": {"node": "write", "port": "text"}, "to": {"node": "count", "port": "text"}},
            {"from": {"node": "write", "port": "text"}, "to": {"node": "out", "port": "answer"}},
            {"from": {"node": "count", "port": "words"}, "to": {"node": "out", "port": "words"}}
        ]
    })
}

async fn user_with_key(app: &TestApp) -> String {
    app.register("pipes@example.com").await;
    app.api_key().await
}

#[tokio::test]
async fn a_run_started_over_the_api_streams_its_events_to_the_end() {
    let app = spawn_app().await;
    let key = user_with_key(&app).await;
    let (s, created) = keyed(&app, &key, Method::POST, "/api/v1/pipelines", Some(definition("Writer"))).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert_eq!((created["object"].as_str(), created["version"].as_i64()), (Some("pipeline"), Some(1)));
    let id = created["id"].as_str().unwrap();

    let (s, run) = keyed(
        &app,
        &key,
        Method::POST,
        &format!("/api/v1/pipelines/{id}/runs"),
        Some(json!({"inputs": {"topic": "owls"}})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{run}");
    let run_id = run["id"].as_str().unwrap();
    let res = app.client.get(app.url(&format!("/api/v1/runs/{run_id}/events"))).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let events = read_sse(res, Duration::from_secs(30)).await;
    assert_eq!(events.first().map(|e| e.0.as_str()), Some("snapshot"), "{events:?}");
    let (last, end) = events.last().unwrap();
    assert_eq!(last, "run", "{events:?}");
    let end: Value = serde_json::from_str(end).unwrap();
    assert_eq!(end["status"], "succeeded", "{end}");
    assert_eq!(end["outputs"]["answer"], DEFAULT_REPLY);
    assert_eq!(end["outputs"]["words"], DEFAULT_REPLY.split(' ').count());
    // The LLM node's text came as tokens before its node event said it succeeded (unless the node
    // ended before the stream was followed: then the snapshot holds it all).
    let snapshot: Value = serde_json::from_str(&events[0].1).unwrap();
    let write_in_snapshot = snapshot["nodes"]
        .as_array()
        .is_some_and(|ns| ns.iter().any(|n| n["node"] == "write" && n["status"] == "succeeded"));
    if !write_in_snapshot {
        let streamed: String = events
            .iter()
            .filter(|(e, _)| e == "token")
            .map(|(_, d)| serde_json::from_str::<Value>(d).unwrap()["text"].as_str().unwrap().to_owned())
            .collect();
        let write_done =
            events.iter().any(|(e, d)| e == "node" && d.contains("\"node\":\"write\"") && d.contains("\"succeeded\""));
        assert!(write_done, "{events:?}");
        assert!(DEFAULT_REPLY.ends_with(&streamed), "{streamed:?}");
    }

    // As stored: each node with its inputs, outputs, attempts, times and tokens.
    let (s, stored) = keyed(&app, &key, Method::GET, &format!("/api/v1/runs/{run_id}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(stored["status"], "succeeded");
    let write = stored["nodes"].as_array().unwrap().iter().find(|n| n["node"] == "write").unwrap().clone();
    assert_eq!(write["inputs"]["topic"], "owls");
    assert_eq!(write["outputs"]["text"], DEFAULT_REPLY);
    assert_eq!(write["attempts"], 1);
    assert!(write["output_tokens"].as_i64().unwrap() > 0, "{write}");
    assert!(write["finished_at_ms"].as_i64() >= write["started_at_ms"].as_i64());
    // The fake got the prompt written from the input.
    let sent = app.chat_requests();
    assert_eq!(sent.last().unwrap()["messages"][0]["content"], "Write about owls");
    // Events of a run that has ended: its snapshot, then its end.
    let events = app_sse(&app, &key, &format!("/api/v1/runs/{run_id}/events")).await;
    assert_eq!(events.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(), ["snapshot", "run"]);

    let (s, runs) = keyed(&app, &key, Method::GET, &format!("/api/v1/pipelines/{id}/runs"), None).await;
    assert_eq!((s, runs["data"].as_array().unwrap().len()), (StatusCode::OK, 1));
}

async fn app_sse(app: &TestApp, key: &str, path: &str) -> Vec<(String, String)> {
    let res = app.client.get(app.url(path)).bearer_auth(key).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    read_sse(res, Duration::from_secs(10)).await
}

#[tokio::test]
async fn pipelines_are_checked_versioned_exported_and_deleted() {
    let app = spawn_app().await;
    let key = user_with_key(&app).await;
    let mut bad = definition("Broken");
    bad["nodes"][1]["model"] = json!("nope/none");
    bad["edges"][0]["to"]["port"] = json!("subject");
    let (s, v) = keyed(&app, &key, Method::POST, "/api/v1/pipelines", Some(bad.clone())).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("node \"write\": the model \"nope/none\" is not one you can use"), "{message}");
    assert!(
        message.contains("node \"write\", port \"subject\": an edge ends at an input this node does not have"),
        "{message}"
    );
    let (s, v) = keyed(&app, &key, Method::POST, "/api/v1/pipelines/validate", Some(bad)).await;
    assert_eq!(s, StatusCode::OK);
    let problems = v["problems"].as_array().unwrap();
    assert!(problems.iter().any(|p| p["node"] == "write" && p["port"] == "subject"), "{v}");
    let (s, v) = keyed(&app, &key, Method::POST, "/api/v1/pipelines", Some(json!({"format": 1, "nodes": []}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");

    let (_, created) = keyed(&app, &key, Method::POST, "/api/v1/pipelines", Some(definition("Writer"))).await;
    let id = created["id"].as_str().unwrap();
    let (s, saved) =
        keyed(&app, &key, Method::PUT, &format!("/api/v1/pipelines/{id}"), Some(definition("Writer 2"))).await;
    assert_eq!((s, saved["version"].as_i64(), saved["name"].as_str()), (StatusCode::OK, Some(2), Some("Writer 2")));
    let (_, first) = keyed(&app, &key, Method::GET, &format!("/api/v1/pipelines/{id}?version=1"), None).await;
    assert_eq!(first["definition"]["name"], "Writer");
    let res =
        app.client.get(app.url(&format!("/api/v1/pipelines/{id}/export"))).bearer_auth(&key).send().await.unwrap();
    assert_eq!(res.headers()["content-disposition"], "attachment; filename=\"Writer-2.pipeline.json\"");
    let exported: Value = res.json().await.unwrap();
    assert_eq!(exported["format"], 1);
    // An export imports as a new pipeline.
    let (s, imported) = keyed(&app, &key, Method::POST, "/api/v1/pipelines", Some(exported)).await;
    assert_eq!((s, imported["name"].as_str()), (StatusCode::CREATED, Some("Writer 2")));
    let (_, list) = keyed(&app, &key, Method::GET, "/api/v1/pipelines", None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    // Run inputs are checked.
    let (s, v) =
        keyed(&app, &key, Method::POST, &format!("/api/v1/pipelines/{id}/runs"), Some(json!({"inputs": {"topic": 3}})))
            .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["message"], "inputs: \"topic\" must be a text value");
    let (s, _) = keyed(&app, &key, Method::DELETE, &format!("/api/v1/pipelines/{id}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = keyed(&app, &key, Method::GET, &format!("/api/v1/pipelines/{id}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_templates_are_listed_on_the_default_model_and_import_as_pipelines() {
    let app = spawn_app().await;
    let key = user_with_key(&app).await;
    let (s, v) = keyed(&app, &key, Method::GET, "/api/v1/pipelines/templates", None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let templates = v["data"].as_array().unwrap();
    let ids: Vec<&str> = templates.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["spec-code-review", "write-tests", "explain-document", "kb-answer", "summarise-each"]);
    let tests = &templates[1];
    assert_eq!(tests["definition"]["nodes"][1]["model"], app.settings.default_model.as_str());
    let (s, created) = keyed(&app, &key, Method::POST, "/api/v1/pipelines", Some(tests["definition"].clone())).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    // The knowledge-base template needs a knowledge base picked first.
    let (s, v) = keyed(&app, &key, Method::POST, "/api/v1/pipelines", Some(templates[3]["definition"].clone())).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["error"]["message"].as_str().unwrap().contains("node \"find\": pick 1 to 16 knowledge bases"), "{v}");
}

/// The builder's server functions, as the browser calls them: a blank pipeline, one from a
/// template, a bad import (a clear 400, nothing made), a save refused with its problem named, a
/// run started from the form and read back with its outputs rendered.
#[tokio::test]
async fn the_builder_creates_saves_and_runs_through_its_server_functions() {
    let app = spawn_app().await;
    app.register("builder@example.com").await;

    let (s, id) = app.call("pipelines/create", json!({ "template": null, "import": null })).await;
    assert_eq!(s, StatusCode::OK, "{id}");
    let id = id.as_str().unwrap().to_owned();
    let (_, from_template) = app.call("pipelines/create", json!({ "template": "write-tests", "import": null })).await;
    let (s, bad) = app.call("pipelines/create", json!({ "template": null, "import": "{\"format\": 1}" })).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(bad.to_string().contains("not a pipeline export"), "{bad}");
    let (_, list) = app.call("pipelines/list", json!({})).await;
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2, "{list}");
    assert!(names.contains(&"New pipeline") && names.contains(&"Write tests for this code"), "{names:?}");
    assert!(from_template.is_string());

    let (s, edit) = app.call("pipelines/get", json!({ "id": id })).await;
    assert_eq!(s, StatusCode::OK, "{edit}");
    assert_eq!(edit["version"], 1);
    assert!(edit["models"].as_array().unwrap().iter().any(|m| m == FAKE_MODEL), "{edit}");
    let mut def = edit["definition"].clone();
    // An input that nothing is connected to: refused, naming the node and port.
    def["nodes"][1]["results"].as_array_mut().unwrap().push(json!({ "name": "more", "type": "text" }));
    let (s, refused) = app.call("pipelines/save", json!({ "id": id, "definition": def })).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(refused.to_string().contains(r#"node \"output\", port \"more\""#), "{refused}");
    def["nodes"][1]["results"].as_array_mut().unwrap().pop();
    def["name"] = json!("Echo");
    let (s, version) = app.call("pipelines/save", json!({ "id": id, "definition": def })).await;
    assert_eq!((s, version.clone()), (StatusCode::OK, json!(2)), "{version}");

    let (s, run) = app.call("pipelines/start", json!({ "id": id, "inputs": { "text": "**bold** move" } })).await;
    assert_eq!(s, StatusCode::OK, "{run}");
    let run = run.as_str().unwrap().to_owned();
    // Followed to its end as the run page follows it (the stream ends with the run's `run` event).
    let key = app.api_key().await;
    let events = app_sse(&app, &key, &format!("/api/v1/runs/{run}/events")).await;
    assert_eq!(events.last().map(|e| e.0.as_str()), Some("run"), "{events:?}");
    let (_, page) = app.call("runs/get", json!({ "id": run })).await;
    assert_eq!(page["run"]["status"], "succeeded", "{page}");
    assert_eq!(page["run"]["version"], 2);
    assert_eq!(page["definition"]["name"], "Echo");
    assert_eq!(page["outputs_html"][0][0], "result");
    assert!(page["outputs_html"][0][1].as_str().unwrap().contains("<strong>bold</strong>"), "{page}");
    let (_, runs) = app.call("pipelines/runs", json!({ "id": id })).await;
    assert_eq!(runs.as_array().unwrap().len(), 1);
}

/// Published as `pipeline:writer`: listed in `/v1/models`, and answering `/v1/chat/completions`
/// with the Output's text, whole and streamed (the LLM node's tokens), as an OpenAI client sees it.
#[tokio::test]
async fn a_pipeline_published_as_a_model_answers_openai_clients() {
    // Tokens 50 ms apart: the reply is still being written when the completion follows the run.
    let app = spawn_app_with(FakeOpenAiConfig { chunk_delay: Duration::from_millis(50), ..Default::default() }).await;
    let key = user_with_key(&app).await;
    let mut def = definition("Writer");
    def["publish_as"] = json!("writer");
    let (s, created) = keyed(&app, &key, Method::POST, "/api/v1/pipelines", Some(def.clone())).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();

    let (s, models) = keyed(&app, &key, Method::GET, "/v1/models", None).await;
    assert_eq!(s, StatusCode::OK);
    let listed = models["data"].as_array().unwrap().iter().find(|m| m["id"] == "pipeline:writer").cloned();
    let listed = listed.unwrap_or_else(|| panic!("{models}"));
    assert_eq!((listed["kind"].as_str(), listed["name"].as_str()), (Some("pipeline"), Some("Writer")));

    let ask = |stream: bool| {
        json!({"model": "pipeline:writer", "stream": stream, "messages": [
            {"role": "user", "content": "cats"}, {"role": "assistant", "content": "…"}, {"role": "user", "content": "owls"}
        ]})
    };
    let (s, done) = keyed(&app, &key, Method::POST, "/v1/chat/completions", Some(ask(false))).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["model"], "pipeline:writer");
    assert_eq!(done["choices"][0]["message"]["content"], DEFAULT_REPLY);
    assert_eq!(done["choices"][0]["finish_reason"], "stop");
    assert!(done["usage"]["completion_tokens"].as_u64().unwrap() > 0, "{done}");
    // The last user message was the run's input, and the run is in the pipeline's history.
    assert_eq!(app.chat_requests().last().unwrap()["messages"][0]["content"], "Write about owls");
    let (_, runs) = keyed(&app, &key, Method::GET, &format!("/api/v1/pipelines/{id}/runs"), None).await;
    assert_eq!(runs["data"].as_array().unwrap().len(), 1);

    let res = app.client.post(app.url("/v1/chat/completions")).bearer_auth(&key).json(&ask(true)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let events = read_sse(res, Duration::from_secs(30)).await;
    assert_eq!(events.last().map(|e| e.1.as_str()), Some("[DONE]"), "{events:?}");
    let chunks: Vec<Value> =
        events.iter().filter(|(_, d)| d != "[DONE]").map(|(_, d)| serde_json::from_str(d).unwrap()).collect();
    let text: String = chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect();
    assert_eq!(text, DEFAULT_REPLY);
    let pieces = chunks.iter().filter(|c| c["choices"][0]["delta"]["content"].is_string()).count();
    assert!(pieces > 1, "the LLM node's tokens come as they are written: {pieces} piece(s)");
    // Grounding is the pipeline's own: knowledge_bases is refused rather than ignored.
    let mut grounded = ask(false);
    grounded["knowledge_bases"] = json!(["kb"]);
    let (s, v) = keyed(&app, &key, Method::POST, "/v1/chat/completions", Some(grounded)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().starts_with("knowledge_bases: a pipeline model"), "{v}");

    // Another user does not see it; a name taken twice, an unknown one and a bad one are refused.
    app.register("other@example.com").await;
    let other = app.api_key().await;
    let (s, v) = keyed(&app, &other, Method::POST, "/v1/chat/completions", Some(ask(false))).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let (s, v) = keyed(&app, &key, Method::POST, "/api/v1/pipelines", Some(def.clone())).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("already published as pipeline:writer"), "{v}");
    let mut bad = def.clone();
    bad["publish_as"] = json!("Has Spaces");
    let (s, v) = keyed(&app, &key, Method::POST, "/api/v1/pipelines", Some(bad)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("lowercase letters"), "{v}");
    // Saving a version without `publish_as` unpublishes it.
    let (s, _) = keyed(&app, &key, Method::PUT, &format!("/api/v1/pipelines/{id}"), Some(definition("Writer"))).await;
    assert_eq!(s, StatusCode::OK);
    let (_, models) = keyed(&app, &key, Method::GET, "/v1/models", None).await;
    assert!(!models["data"].as_array().unwrap().iter().any(|m| m["id"] == "pipeline:writer"), "{models}");
    let (s, _) = keyed(&app, &key, Method::POST, "/v1/chat/completions", Some(ask(false))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_shared_pipeline_is_viewed_or_run_by_whom_its_owner_chose_and_changed_by_no_one_else() {
    let alice = spawn_app().await;
    let owner_key = user_with_key(&alice).await;
    let bob = alice.second_browser();
    bob.register("bob@example.com").await;
    let bob_key = bob.api_key().await;
    let carol = alice.second_browser();
    carol.register("carol@example.com").await;
    let carol_key = carol.api_key().await;
    let (_, created) = keyed(&alice, &owner_key, Method::POST, "/api/v1/pipelines", Some(definition("Shared"))).await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v1/pipelines/{id}");
    let shares = format!("{path}/shares");
    let run_body = Some(json!({"inputs": {"topic": "owls"}}));

    // Shared to view: Bob reads it, read-only; Carol, never given it, is told it does not exist.
    let (s, list) =
        keyed(&alice, &owner_key, Method::PUT, &shares, Some(json!({"email": "bob@example.com", "access": "view"})))
            .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["data"][0]["access"], "view");
    let (s, seen) = keyed(&alice, &bob_key, Method::GET, &path, None).await;
    assert_eq!((s, seen["access"].as_str()), (StatusCode::OK, Some("view")), "{seen}");
    let (_, listed) = keyed(&alice, &bob_key, Method::GET, "/api/v1/pipelines", None).await;
    assert_eq!(listed["data"][0]["owner"], "pipes@example.com", "{listed}");
    let (s, _) = keyed(&alice, &carol_key, Method::GET, &path, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, refused) = keyed(&alice, &bob_key, Method::POST, &format!("{path}/runs"), run_body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("view only"), "{refused}");
    for (method, p, body) in [
        (Method::PUT, path.clone(), Some(definition("Mine now"))),
        (Method::DELETE, path.clone(), None),
        (Method::GET, shares.clone(), None),
        (Method::PUT, shares.clone(), Some(json!({"email": "carol@example.com", "access": "run"}))),
    ] {
        let (s, body) = keyed(&alice, &bob_key, method.clone(), &p, body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{method} {p}: {body}");
    }

    // Shared to run: Bob runs it and follows his run; the run is his alone.
    let bob_run = json!({"email": "bob@example.com", "access": "run"});
    keyed(&alice, &owner_key, Method::PUT, &shares, Some(bob_run)).await;
    let (s, run) = keyed(&alice, &bob_key, Method::POST, &format!("{path}/runs"), run_body).await;
    assert_eq!(s, StatusCode::CREATED, "{run}");
    let run_id = run["id"].as_str().unwrap();
    let events = app_sse(&alice, &bob_key, &format!("/api/v1/runs/{run_id}/events")).await;
    let end: Value = serde_json::from_str(&events.last().unwrap().1).unwrap();
    assert_eq!(end["outputs"]["answer"], DEFAULT_REPLY, "{events:?}");
    let (s, _) = keyed(&alice, &owner_key, Method::GET, &format!("/api/v1/runs/{run_id}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // A bad share is told what was wrong; stopping the share ends Bob's access, runs included.
    let (s, bad) =
        keyed(&alice, &owner_key, Method::PUT, &shares, Some(json!({"email": "bob@example.com", "access": "edit"})))
            .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(bad["error"]["message"].as_str().unwrap().contains("\"view\" or \"run\""), "{bad}");
    let (_, list) = keyed(&alice, &owner_key, Method::GET, &shares, None).await;
    let bob_id = list["data"][0]["user_id"].as_str().unwrap().to_owned();
    let (s, _) = keyed(&alice, &owner_key, Method::DELETE, &format!("{shares}/{bob_id}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    for p in [path.clone(), format!("/api/v1/runs/{run_id}")] {
        let (s, _) = keyed(&alice, &bob_key, Method::GET, &p, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
    }
}
