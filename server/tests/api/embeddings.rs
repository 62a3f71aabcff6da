//! `POST /v1/embeddings` in OpenAI's shape, with the real local embedder (all-MiniLM-L6-v2).

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const LOCAL: &str = "local:all-minilm-l6-v2";

async fn post(app: &TestApp, key: &str, body: Value) -> (StatusCode, Value) {
    let res = app.client.post(app.url("/v1/embeddings")).bearer_auth(key).json(&body).send().await.unwrap();
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[tokio::test]
async fn texts_become_unit_vectors_as_floats_or_base64_and_each_call_is_in_the_ledger() {
    let app = spawn_app().await;
    app.register("dev@example.com").await;
    let key = app.api_key().await;
    let input = ["The cat sat on the mat.", "A cat was sitting on a rug.", "Quarterly stock market report."];
    let (s, v) = post(&app, &key, json!({ "model": LOCAL, "input": input })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["object"].as_str(), v["model"].as_str()), (Some("list"), Some(LOCAL)));
    let vectors: Vec<Vec<f32>> = v["data"].as_array().unwrap().iter().map(|d| floats(&d["embedding"])).collect();
    assert_eq!(vectors.len(), 3);
    assert!(vectors.iter().all(|x| x.len() == 384 && (dot(x, x) - 1.0).abs() < 1e-3));
    assert_eq!(v["data"][2]["index"], 2);
    assert!(dot(&vectors[0], &vectors[1]) > dot(&vectors[0], &vectors[2]), "the two cat sentences are closest");
    let tokens = v["usage"]["prompt_tokens"].as_u64().unwrap();
    assert!(tokens > 0 && v["usage"]["total_tokens"] == tokens);

    // What OpenAI's SDKs ask for by default: the base64 of little-endian f32s, the same vector.
    let (s, b) = post(&app, &key, json!({ "model": LOCAL, "input": input[0], "encoding_format": "base64" })).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let bytes = base64::engine::general_purpose::STANDARD.decode(b["data"][0]["embedding"].as_str().unwrap()).unwrap();
    let decoded: Vec<f32> = bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    assert_eq!(decoded.len(), 384);
    assert!(decoded.iter().zip(&vectors[0]).all(|(a, b)| (a - b).abs() < 1e-5));

    app.services.ledger.flush().await;
    let res = app.client.get(app.url("/api/v1/usage?model=local:all-minilm-l6-v2")).bearer_auth(&key).send().await;
    let usage: Value = res.unwrap().json().await.unwrap();
    let rows = usage["data"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{usage}");
    assert_eq!((rows[1]["surface"].as_str(), rows[1]["outcome"].as_str()), (Some("api"), Some("complete")));
    assert_eq!(rows[1]["input_tokens"].as_u64(), Some(tokens));
}

#[tokio::test]
async fn bad_requests_say_what_is_wrong() {
    let app = spawn_app().await;
    app.register("dev@example.com").await;
    let key = app.api_key().await;
    let cases = [
        (json!({ "model": "nope", "input": "x" }), "local:all-minilm-l6-v2"),
        (json!({ "model": LOCAL, "input": ["ok", " "] }), "text 1 is empty"),
        (json!({ "model": LOCAL, "input": [] }), "give 1 to 2048 texts"),
        (json!({ "model": LOCAL, "input": [[1, 2, 3]] }), "token ids"),
        (json!({ "model": LOCAL, "input": "x", "dimensions": 256 }), "384 dimensions"),
        (json!({ "model": LOCAL, "input": "x", "encoding_format": "hex" }), "encoding_format"),
        (json!({ "model": LOCAL, "input": "x", "colour": "red" }), "colour"),
    ];
    for (body, says) in cases {
        let (s, v) = post(&app, &key, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {v}");
        let message = v["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{body}: {message}");
    }
    let res = app.client.post(app.url("/v1/embeddings")).json(&json!({ "model": LOCAL, "input": "x" })).send().await;
    assert_eq!(res.unwrap().status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_administrator_renames_restricts_and_reprices_an_embedding_model_through_the_catalog() {
    use crate::helpers::keyed as send;
    use reqwest::Method;
    let app = spawn_app().await;
    app.register("admin@example.com").await; // the first account is the administrator
    let admin = app.api_key().await;
    let user_app = app.second_browser();
    user_app.register("user@example.com").await;
    let user = user_app.api_key().await;
    let embedding_models = async |key: &str| {
        let (_, models) = send(&app, key, Method::GET, "/v1/models", None).await;
        let listed = models["data"].as_array().unwrap().iter().filter(|m| m["kind"] == "embedding" && m["id"] == LOCAL);
        listed
            .map(|m| (m["id"].as_str().unwrap().to_owned(), m["name"].as_str().unwrap().to_owned()))
            .collect::<Vec<_>>()
    };
    let local = |name: &str| vec![(LOCAL.to_owned(), name.to_owned())];
    assert_eq!(embedding_models(&user).await, local(LOCAL));

    let path = "/api/v1/admin/connections/embeddings/available-models";
    let (s, available) = send(&app, &admin, Method::GET, path, None).await;
    assert_eq!(s, StatusCode::OK, "{available}");
    let listed = available["data"].as_array().unwrap();
    let local_listed = listed.iter().find(|m| m["id"] == LOCAL).unwrap();
    assert_eq!((local_listed["in_catalog"].as_bool(), local_listed["offered"].as_bool()), (Some(false), Some(true)));
    let add = json!({ "connection_id": "embeddings", "upstream_id": LOCAL, "name": "MiniLM", "access": "admins",
                      "input_price_per_mtok": 1.0 });
    let (s, entry) = send(&app, &admin, Method::POST, "/api/v1/admin/models", Some(add)).await;
    assert_eq!(s, StatusCode::CREATED, "{entry}");
    assert_eq!(
        (entry["kind"].as_str(), entry["dimensions"].as_u64(), entry["model"].as_str()),
        (Some("embedding"), Some(384), Some(LOCAL))
    );

    // Administrators only: gone for the user, renamed for the administrator.
    assert!(embedding_models(&user).await.is_empty());
    assert_eq!(embedding_models(&admin).await, local("MiniLM"));
    let (s, v) = post(&app, &user, json!({ "model": LOCAL, "input": "x" })).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        v["error"]["message"].as_str().unwrap().ends_with("the models you can use are openai:text-embedding-3-small"),
        "{v}"
    );
    // The administrator's price: a dollar a million tokens is 1,000 billionths a token.
    let (s, v) = post(&app, &admin, json!({ "model": LOCAL, "input": "The cat sat on the mat." })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    app.services.ledger.flush().await;
    let (_, usage) = send(&app, &admin, Method::GET, "/api/v1/usage?model=local:all-minilm-l6-v2", None).await;
    let tokens = v["usage"]["prompt_tokens"].as_u64().unwrap();
    assert_eq!(usage["data"][0]["cost_usd"].as_f64(), Some(tokens as f64 * 1e-6), "{usage}");
    // A field only chat models have is refused, naming it.
    let id = entry["id"].as_str().unwrap();
    let (s, v) =
        send(&app, &admin, Method::PATCH, &format!("/api/v1/admin/models/{id}"), Some(json!({ "tools": true }))).await;
    assert!(s == StatusCode::BAD_REQUEST && v["error"]["message"].as_str().unwrap().starts_with("tools"), "{v}");
}
