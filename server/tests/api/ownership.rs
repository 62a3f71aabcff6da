//! Every call that takes an id, made by another user with the owner's ids: each is 404 (a foreign id
//! is not found, never forbidden) and the owner's things are unchanged afterwards.
//!
//! How the lists were built, and how they stay complete:
//! - server functions: every `endpoint = "…"` in `app/src/api/**/*.rs`. The test reads those files
//!   and fails if an endpoint is neither called below nor listed in `WITHOUT_FOREIGN_IDS` (with why).
//! - REST routes: every `.route("…", …)` in `server/src/http.rs` (and those named by a constant),
//!   per method.
//!   The test reads that file and fails if a route with a `{…}` parameter and a method is not called
//!   below (the widget's `{public_id}` is public by design and listed in `PUBLIC_ROUTES`).
//! - ids in bodies: `kb/attach` (a foreign conversation, and a foreign knowledge base on one's own
//!   conversation), `kb/delete_document` (a foreign document in one's own knowledge base) and
//!   `/v1/chat/completions` with `knowledge_bases`.

use std::{collections::BTreeSet, path::Path};

use reqwest::{Method, StatusCode, multipart};
use serde_json::{Value, json};

use crate::helpers::{FAKE_MODEL, TestApp, spawn_app_configured};
use crate::knowledge_bases::Api;

/// Server functions that take no id of anything a user owns (or only the caller's own scope).
const WITHOUT_FOREIGN_IDS: [(&str, &str); 25] = [
    ("auth/register", "no id"),
    ("auth/login", "no id"),
    ("auth/logout", "no id; ends the caller's session"),
    ("auth/refresh", "no id; the caller's refresh cookie"),
    ("auth/me", "no id"),
    ("auth/change-password", "no id; the caller's account"),
    ("chat/models", "no id"),
    ("chat/conversations", "only a paging cursor; the query is scoped to the caller"),
    ("chat/create", "no id"),
    ("chat/archived", "only a paging cursor; the query is scoped to the caller"),
    ("chat/search", "only a query; the search is scoped to the caller (src/answer/tests/chat_search.rs)"),
    ("kb/list", "no id"),
    ("pipelines/list", "no id"),
    ("pipelines/templates", "no id; the bundled templates"),
    ("pipelines/create", "no id of anything a user owns: a bundled template's name, or a definition"),
    ("pipelines/http-hosts", "no id; the instance's allowed hosts, which every builder checks URLs against"),
    ("kb/create", "no id"),
    ("keys/list", "no id"),
    ("keys/create", "no id"),
    ("admin/users", "admins only (403 for users, see auth.rs); admins see every user by design"),
    ("admin/set-disabled", "admins only (403 for users, see auth.rs); admins act on any user by design"),
    ("auth/signup-mode", "no id; public"),
    ("admin/set-signup-mode", "no id; admins only (403 for users, see src/auth/signups/tests.rs)"),
    ("admin/pending-users", "no id; admins only (403 for users, see src/auth/signups/tests.rs)"),
    (
        "admin/approve-user",
        "admins only (403 for users, see src/auth/signups/tests.rs); admins approve any user by design",
    ),
];

/// Routes with a path parameter that is not a user's id.
const PUBLIC_ROUTES: [&str; 1] = ["/api/widget/{public_id}/chat"];

/// What user A owns, by id.
struct Owned {
    conv: String,
    question: String,
    reply: String,
    kb: String,
    doc: String,
    job: String,
    key_id: String,
    attachment: String,
    pipeline: String,
    run: String,
}

enum Body {
    None,
    Json(Value),
    Upload,
}

fn workspace_file(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every server-function endpoint declared under `app/src/api`.
fn server_fn_endpoints() -> BTreeSet<String> {
    fn walk(dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for rest in text.split("endpoint = \"").skip(1) {
                    out.insert(rest.split('"').next().unwrap().to_owned());
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/src/api"), &mut out);
    assert!(out.len() > 20, "the endpoint scan found too few: {out:?}");
    out
}

/// Every `(METHOD, path)` of `server/src/http.rs` whose path takes a parameter.
fn routes_with_parameters() -> BTreeSet<(String, String)> {
    let text = workspace_file("server/src/http.rs");
    // A route named by a constant (`UPLOAD_ROUTE`, `IMPORT_ROUTE`): its value, from its definition.
    let constant = |name: &str| {
        let definition = format!("{name}: &str = \"");
        text.split(definition.as_str()).nth(1).map(|rest| rest.split('"').next().unwrap().to_owned())
    };
    let mut out = BTreeSet::new();
    for chunk in text.split(".route(").skip(1) {
        // rustfmt puts a long route's path on the line after `.route(`.
        let chunk = chunk.split("\n}").next().unwrap().split(".route(").next().unwrap().trim_start();
        let path = match chunk.strip_prefix('"') {
            Some(rest) => rest.split('"').next().unwrap().to_owned(),
            None => {
                let name = chunk.split(|c: char| !(c.is_ascii_uppercase() || c == '_')).next().unwrap();
                constant(name).unwrap_or_else(|| panic!("a route this scan does not understand: {chunk}"))
            }
        };
        let line = chunk;
        for method in ["get", "post", "put", "patch", "delete", "options"] {
            let called = line
                .match_indices(&format!("{method}("))
                .any(|(i, _)| i == 0 || !line[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_'));
            if called && path.contains('{') && method != "options" {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    assert!(out.len() > 15, "the route scan found too few: {out:?}");
    out
}

/// The concrete path of a route template with A's ids.
fn fill(template: &str, a: &Owned) -> String {
    let id = if template.starts_with("/api/v1/jobs/") {
        &a.job
    } else if template.starts_with("/api/messages/") {
        &a.reply
    } else if template.starts_with("/api/v1/conversations/") {
        &a.conv
    } else if template.starts_with("/api/v1/attachments/") {
        &a.attachment
    } else if template.starts_with("/api/v1/pipelines/") {
        &a.pipeline
    } else if template.starts_with("/api/v1/runs/") {
        &a.run
    } else {
        &a.kb
    };
    template.replace("{id}", id).replace("{doc}", &a.doc).replace("{user_id}", "someone")
}

async fn rest(app: &TestApp, key: &str, method: Method, path: &str, body: Body) -> (StatusCode, String) {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(key);
    req = match body {
        Body::None => req,
        Body::Json(v) => req.json(&v),
        Body::Upload => req.multipart(multipart::Form::new().part(
            "file",
            multipart::Part::bytes(b"planted".to_vec()).file_name("x.txt").mime_str("text/plain").unwrap(),
        )),
    };
    let res = req.send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

/// A's conversation (with a reply and an attached knowledge base), knowledge base (with a document,
/// a share with carol, a finished upload job) and API key.
async fn alice_owns(alice: &TestApp, api: &Api<'_>) -> Owned {
    let (s, c) = alice.call("chat/create", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let conv = c["id"].as_str().unwrap().to_owned();
    let res = alice
        .client
        .post(alice.url("/api/v1/attachments?name=plan.txt"))
        .bearer_auth(&api.key)
        .body("The launch is in May.")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let attachment = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let (s, sent) = alice
        .call("chat/send", json!({ "conversation_id": conv, "content": "My secret plan", "attachments": [attachment] }))
        .await;
    assert_eq!(s, StatusCode::OK, "{sent}");
    let reply = sent["reply"]["id"].as_str().unwrap().to_owned();
    let question = sent["user"]["id"].as_str().unwrap().to_owned();
    let kb = api.create_kb("Alice's notes").await;
    let (s, v) =
        api.upload(&kb, vec![("plan.md", "text/markdown", b"# Plan\n\nThe launch is in May.\n".to_vec())]).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let job = v["job_id"].as_str().unwrap().to_owned();
    assert_eq!(api.wait_job(&job).await["status"], "done");
    let (_, docs) = api.get(&format!("/api/v1/knowledge-bases/{kb}/documents")).await;
    let doc = docs["data"][0]["id"].as_str().unwrap().to_owned();
    let (s, v) =
        api.post(&format!("/api/v1/knowledge-bases/{kb}/shares"), json!({ "email": "carol@example.com" })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = alice.call("kb/attach", json!({ "conversation_id": conv, "kb_ids": [kb] })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, keys) = alice.call("keys/list", json!({})).await;
    let key_id = keys[0]["id"].as_str().unwrap().to_owned();
    let (s, p) = api.post("/api/v1/pipelines", pipeline_definition()).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let pipeline = p["id"].as_str().unwrap().to_owned();
    let (s, r) = api.post(&format!("/api/v1/pipelines/{pipeline}/runs"), json!({ "inputs": { "x": "plan" } })).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let run = r["id"].as_str().unwrap().to_owned();
    webplus::fakes::wait_until("A's run ended", std::time::Duration::from_secs(10), || async {
        let (_, r) = api.get(&format!("/api/v1/runs/{run}")).await;
        if r["status"] == "succeeded" { Ok(()) } else { Err(r) }
    })
    .await;
    Owned { conv, question, reply, kb, doc, job, key_id, attachment, pipeline, run }
}

/// Input → Template → Output.
fn pipeline_definition() -> Value {
    json!({
        "format": 1, "name": "Alice's pipeline",
        "nodes": [
            { "id": "in", "type": "input", "fields": [{ "name": "x", "type": "text" }] },
            { "id": "t", "type": "template", "template": "secret {{ x }}",
              "inputs": [{ "name": "x", "type": "text" }] },
            { "id": "out", "type": "output", "results": [{ "name": "y", "type": "text" }] }
        ],
        "edges": [
            { "from": { "node": "in", "port": "x" }, "to": { "node": "t", "port": "x" } },
            { "from": { "node": "t", "port": "text" }, "to": { "node": "out", "port": "y" } }
        ]
    })
}

/// Everything A can see of what A owns, to compare before and after B's attempts.
async fn alice_view(alice: &TestApp, api: &Api<'_>, a: &Owned) -> Vec<Value> {
    let mut out = Vec::new();
    for (f, body) in [
        ("chat/get", json!({ "id": a.conv })),
        ("chat/settings", json!({ "conversation_id": a.conv })),
        ("kb/get", json!({ "id": a.kb })),
        ("kb/shares", json!({ "id": a.kb })),
        ("kb/attached", json!({ "conversation_id": a.conv })),
        ("kb/job", json!({ "id": a.job })),
    ] {
        let (s, v) = alice.call(f, body).await;
        assert_eq!(s, StatusCode::OK, "{f}: {v}");
        out.push(v);
    }
    // A's key still works (its `last_used_at` moves, so the key list is not compared).
    let (s, v) = api.get(&format!("/api/v1/knowledge-bases/{}", a.kb)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    out.push(v);
    for path in [
        format!("/api/v1/pipelines/{}", a.pipeline),
        format!("/api/v1/pipelines/{}/shares", a.pipeline),
        format!("/api/v1/runs/{}", a.run),
    ] {
        let (s, v) = api.get(&path).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
        out.push(v);
    }
    out
}

#[tokio::test]
async fn every_call_with_another_users_id_is_404_and_changes_nothing() {
    let alice = spawn_app_configured(|_| {}).await;
    alice.register("alice@example.com").await;
    let alice_key = alice.api_key().await;
    let api = Api { app: &alice, key: alice_key };
    let carol = alice.second_browser();
    carol.register("carol@example.com").await;
    let a = alice_owns(&alice, &api).await;
    // The reply must have ended so that A's view does not change by itself.
    alice.sse(&format!("/api/messages/{}/events", a.reply), std::time::Duration::from_secs(10)).await;
    let before = alice_view(&alice, &api, &a).await;

    let bob = alice.second_browser();
    bob.register("bob@example.com").await;
    let bob_key = bob.api_key().await;
    let (_, c) = bob.call("chat/create", json!({})).await;
    let bob_conv = c["id"].as_str().unwrap().to_owned();
    let (_, k) = bob.call("kb/create", json!({ "name": "Bob's" })).await;
    let bob_kb = k["id"].as_str().unwrap().to_owned();

    let server_fns: Vec<(&str, Value)> = vec![
        ("chat/get", json!({ "id": a.conv })),
        ("chat/rename", json!({ "id": a.conv, "title": "Bob was here" })),
        ("chat/delete", json!({ "id": a.conv })),
        ("chat/send", json!({ "conversation_id": a.conv, "content": "hi" })),
        ("chat/stop", json!({ "message_id": a.reply })),
        ("chat/edit", json!({ "message_id": a.question, "content": "Bob's" })),
        ("chat/pin", json!({ "id": a.conv, "pinned": true })),
        ("chat/archive", json!({ "id": a.conv, "archived": true })),
        ("chat/regenerate", json!({ "message_id": a.reply })),
        ("chat/switch-branch", json!({ "conversation_id": a.conv, "message_id": a.reply })),
        // A's message in B's own conversation: not one of its messages.
        ("chat/switch-branch", json!({ "conversation_id": bob_conv, "message_id": a.reply })),
        ("chat/earlier", json!({ "conversation_id": a.conv, "before": a.reply })),
        ("chat/earlier", json!({ "conversation_id": bob_conv, "before": a.reply })),
        ("chat/send", json!({ "conversation_id": bob_conv, "content": "hi", "after": a.reply })),
        ("chat/send", json!({ "conversation_id": bob_conv, "content": "hi", "attachments": [a.attachment] })),
        ("chat/settings", json!({ "conversation_id": a.conv })),
        (
            "chat/save-settings",
            json!({ "conversation_id": a.conv, "for_new_chats": false, "form": { "system": "Bob's", "temperature": "",
                "top_p": "", "max_tokens": "", "stop": "", "seed": "", "presence_penalty": "", "frequency_penalty": "" } }),
        ),
        ("kb/get", json!({ "id": a.kb })),
        ("kb/documents", json!({ "id": a.kb })),
        ("kb/rename", json!({ "id": a.kb, "name": "Bob's now" })),
        ("kb/delete", json!({ "id": a.kb })),
        ("kb/delete_document", json!({ "kb_id": a.kb, "document_id": a.doc })),
        ("kb/delete_document", json!({ "kb_id": bob_kb, "document_id": a.doc })),
        ("kb/crawl", json!({ "kb_id": a.kb, "url": "https://example.com/" })),
        ("kb/job", json!({ "id": a.job })),
        ("kb/cancel_job", json!({ "id": a.job })),
        ("kb/shares", json!({ "id": a.kb })),
        ("kb/share", json!({ "id": a.kb, "email": "bob@example.com" })),
        ("kb/unshare", json!({ "id": a.kb, "email": "carol@example.com" })),
        ("kb/publish", json!({ "id": a.kb, "published": true, "allowed_origins": [] })),
        ("kb/attached", json!({ "conversation_id": a.conv })),
        ("kb/attach", json!({ "conversation_id": a.conv, "kb_ids": [] })),
        ("kb/attach", json!({ "conversation_id": a.conv, "kb_ids": [bob_kb] })),
        ("kb/attach", json!({ "conversation_id": bob_conv, "kb_ids": [a.kb] })),
        ("keys/revoke", json!({ "id": a.key_id })),
        ("pipelines/get", json!({ "id": a.pipeline })),
        ("pipelines/save", json!({ "id": a.pipeline, "definition": pipeline_definition() })),
        ("pipelines/delete", json!({ "id": a.pipeline })),
        ("pipelines/start", json!({ "id": a.pipeline, "inputs": { "x": "Bob's" } })),
        ("pipelines/runs", json!({ "id": a.pipeline })),
        ("pipelines/shares", json!({ "id": a.pipeline })),
        ("pipelines/share", json!({ "id": a.pipeline, "email": "bob@example.com", "access": "run" })),
        ("pipelines/unshare", json!({ "id": a.pipeline, "user_id": "someone" })),
        ("runs/get", json!({ "id": a.run })),
        ("runs/cancel", json!({ "id": a.run })),
        ("runs/rerun", json!({ "id": a.run, "node": "t" })),
    ];
    let mut failures = Vec::new();
    // Administrators' server functions act on what no user owns: B, not an administrator, is
    // refused (403) whatever id B names.
    let form = json!({ "kind": "openai", "name": "bobs", "base_url": "", "region": "", "api_key": "", "models": "" });
    let model_form = json!({ "name": "", "context_window": "", "max_output": "", "input_price_per_mtok": "",
        "output_price_per_mtok": "", "cached_input_price_per_mtok": "", "vision": "", "tools": "", "json_output": "",
        "enabled": true, "access": "everyone", "default_params": "", "fallbacks": "" });
    let admin_fns: Vec<(&str, Value)> = vec![
        ("admin/connections", json!({})),
        ("admin/save-connection", json!({ "id": "settings-openai", "form": form })),
        ("admin/save-connection", json!({ "id": null, "form": form })),
        ("admin/delete-connection", json!({ "id": "settings-openai" })),
        ("admin/test-connection", json!({ "id": "settings-openai" })),
        ("admin/ollama-models", json!({ "id": "settings-openai", "refresh": false })),
        ("admin/ollama-act", json!({ "id": "settings-openai", "action": "delete", "model": "m", "keep_alive": null })),
        ("admin/ollama-pull", json!({ "id": "settings-openai", "model": "m" })),
        ("admin/models", json!({})),
        ("admin/available-models", json!({ "connection_id": "settings-openai" })),
        ("admin/add-model", json!({ "connection_id": "settings-openai", "upstream_id": "m" })),
        ("admin/save-model", json!({ "id": "x", "form": model_form })),
        ("admin/enable-model", json!({ "id": "x", "enabled": false })),
        ("admin/delete-model", json!({ "id": "x" })),
        ("admin/set-pipeline-http-hosts", json!({ "hosts": "evil.example.net" })),
    ];
    for (f, body) in &admin_fns {
        let (s, v) = bob.call(f, body.clone()).await;
        if s != StatusCode::FORBIDDEN {
            failures.push(format!("admin server fn {f} {body} as a non-administrator: {s} {v}"));
        }
    }
    for (f, body) in &server_fns {
        let (s, v) = bob.call(f, body.clone()).await;
        if s != StatusCode::NOT_FOUND {
            failures.push(format!("server fn {f} {body}: {s} {v}"));
        }
    }

    let routes: Vec<(Method, &str, Body)> = vec![
        (Method::GET, "/api/messages/{id}/events", Body::None),
        (Method::GET, "/api/v1/conversations/{id}/export", Body::None),
        (Method::GET, "/api/v1/conversations/{id}/export?format=json", Body::None),
        (Method::GET, "/api/v1/attachments/{id}", Body::None),
        (Method::GET, "/api/v1/knowledge-bases/{id}", Body::None),
        (Method::PATCH, "/api/v1/knowledge-bases/{id}", Body::Json(json!({ "name": "Bob's now" }))),
        (Method::DELETE, "/api/v1/knowledge-bases/{id}", Body::None),
        (Method::DELETE, "/api/v1/knowledge-bases/{id}/documents/{doc}", Body::None),
        (Method::POST, "/api/v1/knowledge-bases/{id}/crawl", Body::Json(json!({ "url": "https://example.com/" }))),
        (Method::GET, "/api/v1/knowledge-bases/{id}/jobs", Body::None),
        (Method::POST, "/api/v1/knowledge-bases/{id}/search", Body::Json(json!({ "query": "launch" }))),
        (Method::GET, "/api/v1/knowledge-bases/{id}/shares", Body::None),
        (Method::POST, "/api/v1/knowledge-bases/{id}/shares", Body::Json(json!({ "email": "bob@example.com" }))),
        (Method::DELETE, "/api/v1/knowledge-bases/{id}/shares", Body::Json(json!({ "email": "carol@example.com" }))),
        (
            Method::PUT,
            "/api/v1/knowledge-bases/{id}/publication",
            Body::Json(json!({ "published": true, "allowed_origins": [] })),
        ),
        (Method::GET, "/api/v1/knowledge-bases/{id}/documents", Body::None),
        (Method::POST, "/api/v1/knowledge-bases/{id}/documents", Body::Upload),
        (Method::GET, "/api/v1/jobs/{id}", Body::None),
        (Method::POST, "/api/v1/jobs/{id}/cancel", Body::None),
        (Method::GET, "/api/v1/pipelines/{id}", Body::None),
        (Method::PUT, "/api/v1/pipelines/{id}", Body::Json(pipeline_definition())),
        (Method::DELETE, "/api/v1/pipelines/{id}", Body::None),
        (Method::GET, "/api/v1/pipelines/{id}/export", Body::None),
        (Method::POST, "/api/v1/pipelines/{id}/runs", Body::Json(json!({ "inputs": { "x": "bob" } }))),
        (Method::GET, "/api/v1/pipelines/{id}/runs", Body::None),
        (Method::GET, "/api/v1/pipelines/{id}/shares", Body::None),
        (
            Method::PUT,
            "/api/v1/pipelines/{id}/shares",
            Body::Json(json!({ "email": "bob@example.com", "access": "run" })),
        ),
        (Method::DELETE, "/api/v1/pipelines/{id}/shares/{user_id}", Body::None),
        (Method::GET, "/api/v1/runs/{id}", Body::None),
        (Method::POST, "/api/v1/runs/{id}/cancel", Body::None),
        (Method::POST, "/api/v1/runs/{id}/rerun", Body::Json(json!({ "from": "t" }))),
        (Method::GET, "/api/v1/runs/{id}/events", Body::None),
    ];
    let mut covered = BTreeSet::new();
    // Administrators' routes manage what no user owns: B, not an administrator, is refused (403).
    for (method, path) in routes_with_parameters().into_iter().filter(|(_, p)| p.starts_with("/api/v1/admin/")) {
        // A second parameter (a pull job) gets a made-up id: the refusal comes before any lookup.
        let concrete = path.replace("{id}", "settings-openai").replace("{job}", "some-pull");
        let method: Method = method.parse().unwrap();
        let body = if method == Method::PATCH { Body::Json(json!({ "name": "bobs" })) } else { Body::None };
        let (s, text) = rest(&bob, &bob_key, method.clone(), &concrete, body).await;
        if s != StatusCode::FORBIDDEN {
            failures.push(format!("{method} {path} as a non-administrator: {s} {text}"));
        }
        covered.insert((method.to_string(), path));
    }
    for (method, template, body) in routes {
        covered.insert((method.to_string(), template.to_owned()));
        let path = fill(template, &a);
        let (s, text) = rest(&bob, &bob_key, method.clone(), &path, body).await;
        if s != StatusCode::NOT_FOUND {
            failures.push(format!("{method} {template}: {s} {text}"));
        }
    }
    let grounded = json!({
        "model": FAKE_MODEL,
        "messages": [{ "role": "user", "content": "When is the launch?" }],
        "knowledge_bases": [a.kb],
    });
    let (s, text) = rest(&bob, &bob_key, Method::POST, "/v1/chat/completions", Body::Json(grounded)).await;
    if s != StatusCode::NOT_FOUND {
        failures.push(format!("POST /v1/chat/completions with A's knowledge base: {s} {text}"));
    }
    assert!(failures.is_empty(), "calls with another user's ids that were not 404:\n{}", failures.join("\n"));

    // Nothing changed for A, and B's own conversation got no foreign knowledge base.
    assert_eq!(alice_view(&alice, &api, &a).await, before);
    let (s, v) = bob.call("kb/attached", json!({ "conversation_id": bob_conv })).await;
    assert_eq!((s, v), (StatusCode::OK, json!([])));

    // The lists above cover every id-taking endpoint in the code.
    let called: BTreeSet<&str> = server_fns.iter().chain(&admin_fns).map(|(f, _)| *f).collect();
    let excluded: BTreeSet<&str> = WITHOUT_FOREIGN_IDS.iter().map(|(f, _)| *f).collect();
    for endpoint in server_fn_endpoints() {
        assert!(
            called.contains(endpoint.as_str()) || excluded.contains(endpoint.as_str()),
            "server fn {endpoint} is not in this test: call it with a foreign id or list it in WITHOUT_FOREIGN_IDS"
        );
    }
    for (method, path) in routes_with_parameters() {
        assert!(
            covered.contains(&(method.clone(), path.clone())) || PUBLIC_ROUTES.contains(&path.as_str()),
            "route {method} {path} is not in this test: call it with a foreign id"
        );
    }
}
