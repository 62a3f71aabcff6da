//! The knowledge-base API (`/api/v1/knowledge-bases…`, `/api/v1/jobs…`) with API keys, against the
//! real local embedder and an in-process test website.

use std::time::Duration;

use reqwest::{StatusCode, multipart};
use serde_json::{Value, json};
use webplus::fakes::{FakeSite, HANDBOOK, HANDBOOK_SECRET, wait_until};

use crate::helpers::{TestApp, spawn_app_configured};

/// Questions whose answers are on exactly one handbook page, in `HANDBOOK` order.
const QUESTIONS: [&str; 6] = [
    "How much does the Team plan cost per seat?",
    "What hours is support available?",
    "How long are backups kept and how are they encrypted?",
    "What is the API rate limit?",
    "How large is the yearly learning budget for employees?",
    "When and where was the company founded?",
];

pub async fn crawl_app() -> TestApp {
    spawn_app_configured(|s| s.sitechat.crawl_allow_private_hosts = vec!["127.0.0.1".into()]).await
}

pub struct Api<'a> {
    pub app: &'a TestApp,
    pub key: String,
}

impl<'a> Api<'a> {
    pub async fn new(app: &'a TestApp, email: &str) -> Api<'a> {
        app.forget_cookies();
        app.register(email).await;
        let key = app.api_key().await;
        app.forget_cookies();
        Api { app, key }
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.app.client.request(method, self.app.url(path)).bearer_auth(&self.key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn create_kb(&self, name: &str) -> String {
        let (s, v) = self.post("/api/v1/knowledge-bases", json!({ "name": name })).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["id"].as_str().unwrap().to_owned()
    }

    /// Waits for a job to end; returns its last state.
    pub async fn wait_job(&self, job_id: &str) -> Value {
        wait_until("the job to end", Duration::from_secs(120), || async {
            let (s, v) = self.get(&format!("/api/v1/jobs/{job_id}")).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            if ["done", "failed", "cancelled"].contains(&v["status"].as_str().unwrap()) { Ok(v) } else { Err(v) }
        })
        .await
    }

    pub async fn crawl(&self, kb: &str, site: &FakeSite) -> Value {
        let (s, v) = self
            .post(
                &format!("/api/v1/knowledge-bases/{kb}/crawl"),
                json!({ "url": site.url("/").as_str(), "max_pages": 50 }),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        self.wait_job(v["job_id"].as_str().unwrap()).await
    }

    pub async fn search(&self, kb: &str, query: &str) -> Vec<Value> {
        let (s, v) =
            self.post(&format!("/api/v1/knowledge-bases/{kb}/search"), json!({ "query": query, "k": 3 })).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["results"].as_array().unwrap().clone()
    }

    pub async fn upload(&self, kb: &str, files: Vec<(&str, &str, Vec<u8>)>) -> (StatusCode, Value) {
        let mut form = multipart::Form::new();
        for (name, mime, bytes) in files {
            form = form.part("file", multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str(mime).unwrap());
        }
        let res = self
            .app
            .client
            .post(self.app.url(&format!("/api/v1/knowledge-bases/{kb}/documents")))
            .bearer_auth(&self.key)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn a_crawled_site_answers_each_question_from_the_page_that_states_it() {
    let app = crawl_app().await;
    let api = Api::new(&app, "owner@example.com").await;
    let site = FakeSite::handbook().await;
    let kb = api.create_kb("Handbook").await;
    let job = api.crawl(&kb, &site).await;
    assert_eq!(job["status"], "done", "{job}");
    // Six fact pages and the index; the broken page is an error, the secret was never fetched.
    let (_, docs) = api.get(&format!("/api/v1/knowledge-bases/{kb}/documents")).await;
    let urls: Vec<String> =
        docs["data"].as_array().unwrap().iter().map(|d| d["url"].as_str().unwrap().to_owned()).collect();
    assert_eq!(urls.len(), 7, "{urls:?}");
    assert!(job["errors"].as_array().unwrap().iter().any(|e| e["url"].as_str().unwrap().ends_with("/broken")), "{job}");
    assert!(!site.was_requested("/private/secret"));
    for (page, question) in HANDBOOK.iter().zip(QUESTIONS) {
        let results = api.search(&kb, question).await;
        let top = &results[0];
        assert!(top["url"].as_str().unwrap().ends_with(page.path), "{question} → {results:#?}");
        assert!(top["text"].as_str().unwrap().contains(page.fact), "{question} → {top}");
        assert!(top["score"].as_f64().unwrap() > 0.0);
    }
    let secret = api.search(&kb, "vault code").await;
    assert!(secret.iter().all(|r| !r["text"].as_str().unwrap().contains(HANDBOOK_SECRET)));
}

#[tokio::test]
async fn a_re_crawl_updates_changed_pages_and_removes_gone_ones() {
    let app = crawl_app().await;
    let api = Api::new(&app, "owner@example.com").await;
    let site = FakeSite::handbook().await;
    let kb = api.create_kb("Handbook").await;
    assert_eq!(api.crawl(&kb, &site).await["status"], "done");
    site.set(
        "/pricing",
        webplus::fakes::Resource::html(
            "<html><head><title>Pricing</title></head><body><main><p>The Team plan now costs 57 euros per seat per month.</p></main></body></html>",
        ),
    );
    site.remove("/history");
    let job = api.crawl(&kb, &site).await;
    assert_eq!(job["status"], "done", "{job}");
    assert!(job["message"].as_str().unwrap().contains("1 removed"), "{job}");
    let top = &api.search(&kb, "How much does the Team plan cost?").await[0];
    assert!(top["text"].as_str().unwrap().contains("57 euros"), "{top}");
    let (_, docs) = api.get(&format!("/api/v1/knowledge-bases/{kb}/documents")).await;
    assert!(docs["data"].as_array().unwrap().iter().all(|d| !d["url"].as_str().unwrap().ends_with("/history")));
    let founded = api.search(&kb, "When was the company founded in Tartu?").await;
    assert!(founded.iter().all(|r| !r["text"].as_str().unwrap().contains("2011")), "{founded:#?}");
}

#[tokio::test]
async fn crawling_a_private_address_is_refused_without_the_allowance() {
    let app = spawn_app_configured(|_| {}).await;
    let api = Api::new(&app, "owner@example.com").await;
    let kb = api.create_kb("Internal").await;
    for url in
        ["http://127.0.0.1:9/", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "file:///etc/passwd"]
    {
        let (s, v) = api.post(&format!("/api/v1/knowledge-bases/{kb}/crawl"), json!({ "url": url })).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{url}: {v}");
        assert!(v["error"]["message"].as_str().unwrap().starts_with("url:"), "{v}");
    }
}

#[tokio::test]
async fn uploaded_files_become_searchable_and_a_mislabelled_file_is_refused_by_name() {
    let app = spawn_app_configured(|_| {}).await;
    let api = Api::new(&app, "owner@example.com").await;
    let kb = api.create_kb("Docs").await;
    let (s, v) = api
        .upload(
            &kb,
            vec![
                (
                    "plans.md",
                    "text/markdown",
                    b"# Plans\n\nThe Starter plan includes 3 seats and email support.\n".to_vec(),
                ),
                ("faq.txt", "text/plain", b"Refunds are issued within 14 days of a cancellation request.".to_vec()),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["documents"].as_array().unwrap().len(), 2);
    let job = api.wait_job(v["job_id"].as_str().unwrap()).await;
    assert_eq!(
        (job["status"].as_str(), job["done"].as_i64(), job["total"].as_i64()),
        (Some("done"), Some(2), Some(2)),
        "{job}"
    );
    let top = &api.search(&kb, "How many days until a refund?").await[0];
    assert_eq!(top["file_name"], "faq.txt", "{top}");
    assert!(top["url"].is_null());

    // Embedding the two documents was the owner's usage: one ledger row each, for this knowledge
    // base, with the tokens counted (the embedder reports none).
    app.services.ledger.flush().await;
    let (s, usage) = api.get("/api/v1/usage").await;
    assert_eq!(s, StatusCode::OK, "{usage}");
    let ingest: Vec<&Value> = usage["data"].as_array().unwrap().iter().filter(|r| r["surface"] == "ingest").collect();
    assert_eq!(ingest.len(), 2, "{usage}");
    for r in ingest {
        assert_eq!((r["knowledge_base_id"].as_str(), r["outcome"].as_str()), (Some(kb.as_str()), Some("complete")));
        assert_eq!((r["tokens_counted"].as_bool(), r["cost_usd"].as_f64()), (Some(true), Some(0.0)), "{r}");
        assert!(r["input_tokens"].as_i64().is_some_and(|n| n > 5), "{r}");
    }
    // So was embedding the search's query: a row of surface `api` for this knowledge base, with the
    // question's counted tokens (29 characters: 8 at a token per 4).
    let searches: Vec<&Value> = usage["data"].as_array().unwrap().iter().filter(|r| r["surface"] == "api").collect();
    assert_eq!(searches.len(), 1, "{usage}");
    assert_eq!(searches[0]["knowledge_base_id"].as_str(), Some(kb.as_str()), "{usage}");
    assert_eq!((searches[0]["input_tokens"].as_i64(), searches[0]["output_tokens"].as_i64()), (Some(8), Some(0)));

    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let (s, v) = api.upload(&kb, vec![("report.pdf", "application/pdf", png)]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("report.pdf"), "{v}");
}

#[tokio::test]
async fn another_users_knowledge_base_is_not_found_and_a_share_is_read_only() {
    let app = spawn_app_configured(|_| {}).await;
    let owner = Api::new(&app, "owner@example.com").await;
    let other = Api::new(&app, "other@example.com").await;
    let kb = owner.create_kb("Private").await;
    let (s, _) = owner.upload(&kb, vec![("a.txt", "text/plain", b"Alpha bravo charlie.".to_vec())]).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let paths = [
        ("GET", format!("/api/v1/knowledge-bases/{kb}")),
        ("GET", format!("/api/v1/knowledge-bases/{kb}/documents")),
        ("POST", format!("/api/v1/knowledge-bases/{kb}/search")),
        ("POST", format!("/api/v1/knowledge-bases/{kb}/crawl")),
        ("GET", format!("/api/v1/knowledge-bases/{kb}/jobs")),
        ("DELETE", format!("/api/v1/knowledge-bases/{kb}")),
    ];
    for (method, path) in &paths {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let b = match path.rsplit('/').next() {
            Some("search") => Some(json!({ "query": "alpha" })),
            Some("crawl") => Some(json!({ "url": "https://example.com/" })),
            _ => None,
        };
        let (s, v) = other.send(m, path, b).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}: {v}");
    }
    let (_, list) = other.get("/api/v1/knowledge-bases").await;
    assert!(list["data"].as_array().unwrap().is_empty());

    let (s, v) =
        owner.post(&format!("/api/v1/knowledge-bases/{kb}/shares"), json!({ "email": "other@example.com" })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = other.post(&format!("/api/v1/knowledge-bases/{kb}/search"), json!({ "query": "alpha" })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = other.send(reqwest::Method::DELETE, &format!("/api/v1/knowledge-bases/{kb}"), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, list) = other.get("/api/v1/knowledge-bases").await;
    assert_eq!(list["data"][0]["owned"], false);
}

#[tokio::test]
async fn chat_completions_with_knowledge_bases_ground_the_answer_and_return_its_sources() {
    let app = crawl_app().await;
    let api = Api::new(&app, "owner@example.com").await;
    let site = FakeSite::handbook().await;
    let kb = api.create_kb("Handbook").await;
    assert_eq!(api.crawl(&kb, &site).await["status"], "done");
    let (s, v) = api
        .post(
            "/v1/chat/completions",
            json!({ "model": crate::helpers::FAKE_MODEL, "knowledge_bases": [kb],
                    "messages": [{ "role": "user", "content": "What is the API rate limit?" }] }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let sources = v["sources"].as_array().unwrap();
    assert!(sources[0]["url"].as_str().unwrap().ends_with("/api"), "{sources:#?}");
    assert_eq!(sources[0]["n"], 1);
    // The upstream model was given the passage, numbered, and asked to cite it.
    let sent = app.chat_requests().last().unwrap().clone();
    let system = sent["messages"][0]["content"].as_str().unwrap().to_owned();
    assert!(system.contains("[1]") && system.contains("600 requests per minute"), "{system}");

    let (s, v) = api
        .post(
            "/v1/chat/completions",
            json!({ "model": crate::helpers::FAKE_MODEL, "knowledge_bases": ["not-a-kb"],
                    "messages": [{ "role": "user", "content": "hi" }] }),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
}

#[tokio::test]
async fn answer_style_quote_answers_with_the_sentence_that_holds_the_answer_without_a_model_call() {
    let app = crawl_app().await;
    let api = Api::new(&app, "owner@example.com").await;
    let site = FakeSite::handbook().await;
    let kb = api.create_kb("Handbook").await;
    assert_eq!(api.crawl(&kb, &site).await["status"], "done");
    let ask = |style: Value, kbs: Value| {
        json!({ "model": crate::helpers::FAKE_MODEL, "knowledge_bases": kbs, "answer_style": style,
                "messages": [{ "role": "user", "content": "What is the API rate limit?" }] })
    };
    let before = app.chat_requests().len();
    let (s, v) = api.post("/v1/chat/completions", ask(json!("quote"), json!([kb]))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let answer = v["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(answer.contains("600 requests per minute") && answer.ends_with("[1]"), "{answer}");
    assert!(v["sources"][0]["url"].as_str().unwrap().ends_with("/api"), "{v}");
    assert_eq!(app.chat_requests().len(), before, "a quote calls no model");

    // "generate" asks the model, as leaving it out does for a remote model.
    let (s, v) = api.post("/v1/chat/completions", ask(json!("generate"), json!([kb]))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(app.chat_requests().len(), before + 1);

    for (body, says) in [
        (ask(json!("summarise"), json!([kb])), "use \"quote\" or \"generate\""),
        (ask(json!("quote"), Value::Null), "give knowledge_bases or leave it out"),
    ] {
        let (s, v) = api.post("/v1/chat/completions", body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("answer_style: ") && message.contains(says), "{message}");
    }
}

#[tokio::test]
async fn a_cancelled_crawl_stops_and_says_so() {
    let app = crawl_app().await;
    let api = Api::new(&app, "owner@example.com").await;
    let site = FakeSite::handbook().await;
    for page in HANDBOOK {
        site.set(
            page.path,
            webplus::fakes::Resource::html(format!("<html><body><main><p>{}</p></main></body></html>", page.fact))
                .delayed(Duration::from_millis(400)),
        );
    }
    let kb = api.create_kb("Slow").await;
    let (s, v) =
        api.post(&format!("/api/v1/knowledge-bases/{kb}/crawl"), json!({ "url": site.url("/").as_str() })).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let job = v["job_id"].as_str().unwrap().to_owned();
    // Wait until it is running, then cancel.
    wait_until("the crawl to run", Duration::from_secs(30), || async {
        let (_, v) = api.get(&format!("/api/v1/jobs/{job}")).await;
        if v["status"] == "running" { Ok(()) } else { Err(v) }
    })
    .await;
    let (s, v) = api.post(&format!("/api/v1/jobs/{job}/cancel"), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let end = api.wait_job(&job).await;
    assert_eq!(end["status"], "cancelled", "{end}");
    assert!(end["done"].as_i64().unwrap() < 7, "{end}");
    // A finished job cannot be cancelled into another state.
    let (_, again) = api.post(&format!("/api/v1/jobs/{job}/cancel"), json!({})).await;
    assert_eq!(again["status"], "cancelled");
}

#[tokio::test]
async fn the_index_survives_a_restart_and_deletes_are_seen_by_the_next_search() {
    let mut app = crawl_app().await;
    let (dir, fake) = (app._dir.clone(), app.fake.clone());
    let api = Api::new(&app, "owner@example.com").await;
    let key = api.key.clone();
    let site = FakeSite::handbook().await;
    let kb = api.create_kb("Handbook").await;
    assert_eq!(api.crawl(&kb, &site).await["status"], "done");
    drop(api);
    app.shutdown().await;
    let index_files: Vec<_> = std::fs::read_dir(dir.path().join("indexes")).unwrap().collect();
    assert!(!index_files.is_empty(), "the index was saved at shutdown");

    let app = crate::helpers::spawn_app_in_with(dir, fake, |s| {
        s.sitechat.crawl_allow_private_hosts = vec!["127.0.0.1".into()];
    })
    .await;
    let api = Api { app: &app, key };
    let top = &api.search(&kb, "What is the API rate limit?").await[0];
    assert!(top["url"].as_str().unwrap().ends_with("/api"), "{top}");
    let doc = top["document_id"].as_str().unwrap();
    let (s, _) =
        api.send(reqwest::Method::DELETE, &format!("/api/v1/knowledge-bases/{kb}/documents/{doc}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let after = api.search(&kb, "What is the API rate limit?").await;
    assert!(after.iter().all(|r| r["document_id"] != doc), "{after:#?}");
}

#[tokio::test]
async fn pdf_and_docx_uploads_are_extracted_and_cited_by_file_name() {
    let app = spawn_app_configured(|_| {}).await;
    let api = Api::new(&app, "owner@example.com").await;
    let kb = api.create_kb("Files").await;
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/files");
    let pdf = std::fs::read(fixtures.join("report.pdf")).unwrap();
    let docx = std::fs::read(fixtures.join("handbook.docx")).unwrap();
    let (s, v) = api
        .upload(&kb, vec![("report.pdf", "application/pdf", pdf), ("handbook.docx", "application/octet-stream", docx)])
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let job = api.wait_job(v["job_id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "done", "{job}");
    assert!(job["errors"].as_array().unwrap().is_empty(), "{job}");
    assert!(job["chunks"].as_i64().unwrap() >= 2, "{job}");
    let (_, docs) = api.get(&format!("/api/v1/knowledge-bases/{kb}/documents")).await;
    let kinds: Vec<&str> = docs["data"].as_array().unwrap().iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 2);
    assert!(kinds.contains(&"pdf") && kinds.contains(&"docx"), "{kinds:?}");
    let top = &api.search(&kb, "How often does the keeper wind the clockwork?").await[0];
    assert_eq!(top["file_name"], "handbook.docx", "{top}");
    assert!(top["text"].as_str().unwrap().contains("every four hours"), "{top}");
}

#[tokio::test]
async fn a_conversation_with_a_knowledge_base_attached_stores_the_cited_sources_on_the_reply() {
    let app = crawl_app().await;
    let api = Api::new(&app, "owner@example.com").await;
    let site = FakeSite::handbook().await;
    let kb = api.create_kb("Handbook").await;
    assert_eq!(api.crawl(&kb, &site).await["status"], "done");
    let services = &app.services;
    let me = services.db.user_by_email("owner@example.com").await.unwrap().unwrap();
    let conv = services.chat.create_conversation(&me.id, None, Some(crate::helpers::FAKE_MODEL)).await.unwrap();
    services.sitechat.attach_kbs(&me.id, &conv.id, std::slice::from_ref(&kb)).await.unwrap();
    let reply =
        services.chat.send_message(&me.id, &conv.id, "When is support available?", None, &[]).await.unwrap().reply.row;
    let sources: Vec<webplus::answer::Source> = serde_json::from_str(reply.sources.as_deref().unwrap()).unwrap();
    assert!(sources[0].url.as_deref().unwrap().ends_with("/support"), "{sources:#?}");
    // Stored with the message, so a reload shows them too.
    let stored = services.chat.message(&me.id, &reply.id).await.unwrap();
    assert_eq!(stored.sources, reply.sources);
    // The model got the numbered passages first (the reply streams on after `send_message`).
    let sent = wait_until("the request to the model", Duration::from_secs(30), || async {
        app.chat_requests().iter().rev().find(|r| r["messages"].is_array()).cloned().ok_or("no chat request yet")
    })
    .await;
    let system = sent["messages"][0]["content"].as_str().unwrap().to_owned();
    assert!(system.contains("[1]") && system.contains("7:00 to 19:00"), "{system}");

    // Another user cannot attach it.
    let other = Api::new(&app, "other@example.com").await;
    drop(other);
    let stranger = services.db.user_by_email("other@example.com").await.unwrap().unwrap();
    let theirs = services.chat.create_conversation(&stranger.id, None, Some(crate::helpers::FAKE_MODEL)).await.unwrap();
    let err = services.sitechat.attach_kbs(&stranger.id, &theirs.id, std::slice::from_ref(&kb)).await.unwrap_err();
    assert!(matches!(err, webplus::Error::NotFound(_)), "{err}");
}

#[tokio::test]
async fn switching_the_embedding_model_re_embeds_every_chunk_and_search_keeps_working() {
    let app = spawn_app_configured(|_| {}).await;
    let api = Api::new(&app, "owner@example.com").await;
    let kb = api.create_kb("Docs").await;
    let (_, v) = api
        .upload(
            &kb,
            vec![("faq.txt", "text/plain", b"Refunds are issued within 14 days of a cancellation request.".to_vec())],
        )
        .await;
    assert_eq!(api.wait_job(v["job_id"].as_str().unwrap()).await["status"], "done");
    let (s, v) = api
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/knowledge-bases/{kb}"),
            Some(json!({ "embedding_model": "openai:text-embedding-3-small" })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["embedding_model"], "openai:text-embedding-3-small");
    assert_eq!(v["embedding_dims"], 1536);
    let job = api.wait_job(v["job_id"].as_str().unwrap()).await;
    assert_eq!((job["kind"].as_str(), job["status"].as_str()), (Some("reembed"), Some("done")), "{job}");
    assert_eq!(job["done"], job["total"]);
    // The (fake) OpenAI embeddings endpoint embedded the chunk and, later, the query.
    let top = &api.search(&kb, "refunds cancellation days").await[0];
    assert_eq!(top["file_name"], "faq.txt", "{top}");
    let models: Vec<Value> = app.fake.embedding_requests().iter().map(|r| r["model"].clone()).collect();
    assert!(models.len() >= 2 && models.iter().all(|m| m == "text-embedding-3-small"), "{models:?}");

    let (s, v) = api
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/knowledge-bases/{kb}"),
            Some(json!({ "embedding_model": "bert" })),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("local:all-minilm-l6-v2"), "{v}");
}

/// The field names of each REST shape in docs/API.md, so a change to a response struct that would
/// break API clients fails here.
#[tokio::test]
async fn each_response_has_exactly_the_documented_fields() {
    fn keys(v: &Value) -> Vec<&str> {
        let mut k: Vec<&str> =
            v.as_object().unwrap_or_else(|| panic!("an object: {v}")).keys().map(String::as_str).collect();
        k.sort_unstable();
        k
    }
    let app = crawl_app().await;
    let api = Api::new(&app, "owner@example.com").await;
    let site = FakeSite::handbook().await;
    let kb = api.create_kb("Handbook").await;
    let (_, list) = api.get("/api/v1/knowledge-bases").await;
    assert_eq!(list["object"], "list");
    assert_eq!(
        keys(&list["data"][0]),
        [
            "allowed_origins",
            "chunks",
            "created_at",
            "documents",
            "embedding_dims",
            "embedding_model",
            "id",
            "name",
            "object",
            "owned",
            "public_id",
            "updated_at",
        ]
    );
    let (s, started) =
        api.post(&format!("/api/v1/knowledge-bases/{kb}/crawl"), json!({ "url": site.url("/").as_str() })).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(keys(&started), ["job_id", "status"]);
    let job = api.wait_job(started["job_id"].as_str().unwrap()).await;
    assert_eq!(
        keys(&job),
        [
            "chunks",
            "created_at",
            "done",
            "errors",
            "finished_at",
            "id",
            "kind",
            "knowledge_base_id",
            "message",
            "object",
            "status",
            "total",
        ]
    );
    assert_eq!((job["object"].as_str(), job["kind"].as_str()), (Some("job"), Some("crawl")));
    assert_eq!(keys(&job["errors"][0]), ["error", "url"]);
    let (_, docs) = api.get(&format!("/api/v1/knowledge-bases/{kb}/documents")).await;
    assert_eq!(
        keys(&docs["data"][0]),
        ["bytes", "chunks", "file_name", "id", "kind", "source", "title", "updated_at", "url",]
    );
    let hits = api.search(&kb, "Team plan").await;
    assert_eq!(
        keys(&hits[0]),
        ["document_id", "file_name", "heading_path", "knowledge_base_id", "score", "text", "title", "url",]
    );
    let (_, updated) = api
        .send(reqwest::Method::PATCH, &format!("/api/v1/knowledge-bases/{kb}"), Some(json!({ "name": "Docs" })))
        .await;
    assert!(keys(&updated).contains(&"job_id") && updated["name"] == "Docs", "{updated}");
    let (_, shares) = api.get(&format!("/api/v1/knowledge-bases/{kb}/shares")).await;
    assert_eq!(keys(&shares), ["shared_with"]);
}
