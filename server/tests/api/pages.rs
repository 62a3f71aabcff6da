//! Server-rendered pages carry the data their resources loaded, once each: the browser creates
//! each resource once and hydrates it from the id it gets by counting, so a page that created a
//! resource twice while rendering (a resource under a `Suspense`) hydrates the wrong data and
//! panics (issue 8), and a copy dropped mid-load failed with "ServerState missing" (issue 9.5).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use reqwest::{StatusCode, header};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

/// The ids of the resources serialized into a page, in the order they appear.
fn resource_ids(html: &str) -> Vec<usize> {
    const MARK: &str = "__RESOLVED_RESOURCES[";
    html.match_indices(MARK)
        .filter_map(|(i, _)| {
            let rest = &html[i + MARK.len()..];
            rest[..rest.find(']')?].parse().ok()
        })
        .collect()
}

async fn page(app: &TestApp, path: &str) -> String {
    let res = app.get(path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

#[tokio::test]
async fn every_page_serializes_each_of_its_resources_once_and_without_errors() {
    let app = spawn_app().await;
    let user = app.register("pages@example.com").await;
    assert_eq!(user["role"], "admin");
    let (_, conv) = app.call("chat/create", json!({ "title": null, "model": null })).await;
    let (_, kb) = app.call("kb/create", json!({ "name": "Docs" })).await;
    let (s, _) = app.call("kb/attach", json!({ "conversation_id": conv["id"], "kb_ids": [kb["id"]] })).await;
    assert_eq!(s, StatusCode::OK);
    let (_, _) = app.call("keys/create", json!({ "name": "ci" })).await;
    let (conv, kb) = (conv["id"].as_str().unwrap(), kb["id"].as_str().unwrap());

    // What each route creates: the user, then the chat route's (conversations, the open
    // conversation, models, knowledge bases) or the page's own (admin: users, sign-up mode,
    // pending accounts, the hosts pipelines may reach).
    let routes = [
        (format!("/c/{conv}"), 5),
        ("/".to_string(), 5),
        ("/kb".to_string(), 2),
        (format!("/kb/{kb}"), 2),
        ("/settings".to_string(), 2),
        ("/admin".to_string(), 5),
    ];
    for (path, expected) in routes {
        // Several loads: the copies raced each other, so the failure came and went.
        for _ in 0..4 {
            let html = page(&app, &path).await;
            let mut ids = resource_ids(&html);
            ids.sort_unstable();
            assert_eq!(ids, (0..expected).collect::<Vec<_>>(), "{path}: resource ids in the page data");
            assert!(!html.contains(r#"\"Err\""#), "{path}: an error in the page data");
        }
    }
    // The open conversation's page data names its attached knowledge base (the picker's state).
    let html = page(&app, &format!("/c/{conv}")).await;
    assert!(html.contains(&format!(r#"\"knowledge_bases\":[\"{kb}\"]"#)), "attached ids in the page data");
}

#[tokio::test]
async fn a_visitor_is_sent_to_login_from_every_private_page() {
    let app = spawn_app().await;
    for path in ["/", "/c/00000000-0000-0000-0000-000000000000", "/kb", "/kb/x", "/settings", "/admin"] {
        // As a browser asks (Leptos redirects with a status only for HTML requests). The page's
        // data fails with 401 meanwhile; the redirect must win whichever comes first.
        let res = app.client.get(app.url(path)).header(header::ACCEPT, "text/html").send().await.unwrap();
        assert!(res.status().is_redirection(), "{path}: {}", res.status());
        assert_eq!(res.headers()["location"], "/login", "{path}");
    }
}

/// Starting an app lists its routes by rendering the app with resource loading switched off by a
/// process-wide flag (leptos#4773): a page of another app that first polled a resource meanwhile
/// waited forever, and the suite hung now and then. The routes are now listed once per process.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_keep_loading_while_other_apps_start() {
    let app = Arc::new(spawn_app().await);
    app.register("busy@example.com").await;
    let done = Arc::new(AtomicBool::new(false));
    let loaders: Vec<_> = (0..4)
        .map(|_| {
            let (app, done) = (Arc::clone(&app), Arc::clone(&done));
            tokio::spawn(async move {
                while !done.load(Ordering::Relaxed) {
                    let res = tokio::time::timeout(Duration::from_secs(30), app.get("/"))
                        .await
                        .expect("a load of / never finished while other apps started");
                    assert_eq!(res.status(), StatusCode::OK);
                    assert!(res.text().await.unwrap().contains("__RESOLVED_RESOURCES"), "the page data was sent");
                }
            })
        })
        .collect();
    for _ in 0..30 {
        drop(spawn_app().await);
    }
    done.store(true, Ordering::Relaxed);
    for loader in loaders {
        loader.await.expect("the loads succeeded");
    }
}
