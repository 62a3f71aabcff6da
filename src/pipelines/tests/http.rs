//! HTTP request nodes against a local server: only hosts an admin allowed, on every redirect hop
//! too; the crawler's SSRF policy on top (the test world lets 127.0.0.1 through it, as
//! WEBPLUS_CRAWL_ALLOW_PRIVATE_HOSTS would); errors and a response over 1 MiB fail the node.

use axum::{
    Json, Router,
    http::{HeaderMap, StatusCode as Status, header},
    response::Redirect,
    routing::{get, post},
};

use super::*;

/// `/hello` JSON, `/here` → `/hello`, `/away` → the same server as `localhost`, `/missing` 404,
/// `/big` 2 MiB, `/echo` (POST) gives back the body and its content type.
async fn local_api() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = Router::new()
        .route("/hello", get(|| async { Json(json!({"hi": "there"})) }))
        .route("/here", get(|| async { Redirect::temporary("/hello") }))
        .route("/away", get(move || async move { Redirect::temporary(&format!("http://localhost:{port}/hello")) }))
        .route("/missing", get(|| async { (Status::NOT_FOUND, "secret upstream detail") }))
        .route("/big", get(|| async { "x".repeat(2 << 20) }))
        .route(
            "/echo",
            post(|headers: HeaderMap, body: String| async move {
                let kind = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                Json(json!({"got": body, "type": kind}))
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

/// Input(path, payload) → HTTP `method` to `url` → Output(status, body, json).
fn caller(method: &str, url: &str) -> Definition {
    def(json!({
        "format": 1, "name": "Call",
        "nodes": [
            {"id": "in", "type": "input", "fields": [{"name": "path", "type": "text"},
             {"name": "payload", "type": "text", "required": false}]},
            {"id": "call", "type": "http", "method": method, "url": url,
             "body": if method == "POST" { "{{ payload }}" } else { "" },
             "inputs": [{"name": "path", "type": "text"}, {"name": "payload", "type": "text", "required": false}]},
            {"id": "out", "type": "output", "results": [{"name": "status", "type": "number"},
             {"name": "body", "type": "text"}, {"name": "json", "type": "json"}]}
        ],
        "edges": [
            {"from": {"node": "in", "port": "path"}, "to": {"node": "call", "port": "path"}},
            {"from": {"node": "in", "port": "payload"}, "to": {"node": "call", "port": "payload"}},
            {"from": {"node": "call", "port": "status"}, "to": {"node": "out", "port": "status"}},
            {"from": {"node": "call", "port": "body"}, "to": {"node": "out", "port": "body"}},
            {"from": {"node": "call", "port": "json"}, "to": {"node": "out", "port": "json"}}
        ]
    }))
}

fn admin() -> Principal {
    Principal { role: Role::Admin, ..principal("the-admin".into()) }
}

async fn call(w: &World, p: &str, path: &str, payload: &str) -> RunView {
    let inputs = json!({"path": path, "payload": payload}).as_object().unwrap().clone();
    let run = w.pipelines.start(&w.alice, p, inputs, None).await.unwrap();
    finished(w, &w.alice, &run).await
}

fn error_of(run: &RunView) -> String {
    assert_eq!(run.status, RunStatus::Failed, "{run:?}");
    node(run, "call").error.clone().unwrap_or_default()
}

#[tokio::test]
async fn an_http_node_reaches_only_allowed_hosts_on_every_hop() {
    let w = world().await;
    let port = local_api().await;
    let get_any = caller("GET", "http://{{ path }}");
    // Nothing is allowed until an admin allows it: the run is refused at its node.
    let p = w.pipelines.create(&w.alice, &get_any).await.unwrap();
    let refused = call(&w, &p.row.id, &format!("127.0.0.1:{port}/hello"), "").await;
    assert!(error_of(&refused).contains("the host \"127.0.0.1\" is not one an admin allowed"), "{refused:?}");

    // Only an admin sets the list; a bad entry is named.
    assert!(matches!(w.pipelines.set_http_hosts(&w.alice, "127.0.0.1").await, Err(Error::Forbidden(_))));
    let Err(Error::Invalid(e)) = w.pipelines.set_http_hosts(&admin(), "http://127.0.0.1/").await else { panic!() };
    assert!(e.to_string().contains("\"http://127.0.0.1/\" is not a host"), "{e}");
    w.pipelines.set_http_hosts(&admin(), "127.0.0.1\n169.254.169.254").await.unwrap();
    assert_eq!(w.pipelines.http_hosts().await.unwrap().hosts(), ["127.0.0.1", "169.254.169.254"]);

    let ok = call(&w, &p.row.id, &format!("127.0.0.1:{port}/hello"), "").await;
    assert_eq!(ok.status, RunStatus::Succeeded, "{ok:?}");
    let out = ok.outputs.as_ref().unwrap();
    assert_eq!((out["status"].clone(), out["json"]["hi"].clone()), (json!(200), json!("there")));
    assert_eq!(out["body"], json!("{\"hi\":\"there\"}"));
    // A redirect on the same host is followed; one to a host not allowed is stopped there.
    let here = call(&w, &p.row.id, &format!("127.0.0.1:{port}/here"), "").await;
    assert_eq!(here.outputs.as_ref().unwrap()["json"]["hi"], json!("there"), "{here:?}");
    let away = call(&w, &p.row.id, &format!("127.0.0.1:{port}/away"), "").await;
    assert!(error_of(&away).contains("the host \"localhost\" is not one an admin allowed"), "{away:?}");
    // An allowed host is still under the SSRF policy: the metadata address is never reached.
    let metadata = call(&w, &p.row.id, "169.254.169.254/latest/meta-data/", "").await;
    assert!(error_of(&metadata).contains("169.254.169.254 is the cloud metadata address"), "{metadata:?}");
    // An error status fails the node without the other server's body; so does a huge answer.
    let missing = call(&w, &p.row.id, &format!("127.0.0.1:{port}/missing"), "").await;
    assert_eq!(error_of(&missing), "127.0.0.1 answered 404 Not Found");
    let big = call(&w, &p.row.id, &format!("127.0.0.1:{port}/big"), "").await;
    assert!(error_of(&big).contains("larger than 1 MiB"), "{big:?}");
}

#[tokio::test]
async fn a_post_sends_its_body_as_json_or_text_and_a_written_out_host_is_checked_on_save() {
    let w = world().await;
    let port = local_api().await;
    w.pipelines.set_http_hosts(&admin(), "127.0.0.1").await.unwrap();
    let post = caller("POST", &format!("http://127.0.0.1:{port}{{{{ path }}}}"));
    let p = w.pipelines.create(&w.alice, &post).await.unwrap();
    let json_body = call(&w, &p.row.id, "/echo", "{\"a\": 1}").await;
    let got = &json_body.outputs.as_ref().unwrap()["json"];
    assert_eq!((got["got"].clone(), got["type"].clone()), (json!("{\"a\": 1}"), json!("application/json")));
    let text_body = call(&w, &p.row.id, "/echo", "plain words").await;
    assert_eq!(text_body.outputs.as_ref().unwrap()["json"]["type"], json!("text/plain; charset=utf-8"));

    // A host written in the URL is checked when the pipeline is saved.
    let elsewhere = caller("GET", "https://api.example.com/{{ path }}");
    let Err(Error::Invalid(e)) = w.pipelines.create(&w.alice, &elsewhere).await else { panic!() };
    assert!(e.to_string().contains("the host \"api.example.com\" is not one an admin allowed"), "{e}");
    w.pipelines.set_http_hosts(&admin(), "127.0.0.1 *.example.com").await.unwrap();
    w.pipelines.create(&w.alice, &elsewhere).await.unwrap();
}
