//! Each page renders on one thread, from the request to the last byte of its streamed body.
//!
//! Leptos's server rendering spawns a page's work as tasks beside the render: its resources, and
//! the effect with which each `<Suspense>` watches them and walks its children again. Its
//! `<Suspense>` then reads the resources and renders in steps that assume nothing runs in
//! between. On a multi-thread runtime those tasks run on another worker *during* a step, and the
//! HTML then disagrees with what the browser hydrates from the serialized data: a hydration
//! panic (`tachys` `hydration.rs`, "entered unreachable code"), and a page whose controls never
//! come alive (stop 47's CI). Measured 2026-12-05 (2 cores, the release bundle on a debug server,
//! reloads of `/pipelines` by one logged-in user while another process kept a core busy): with
//! two async workers 6 of 150 and 4 of 300 reloads panicked, with one worker none of 150, and
//! with two workers and this module none of 150 and none of 300.
//!
//! So page requests run on a pool of single-thread runtimes (`tokio_util`'s `LocalPoolHandle`,
//! as many threads as async workers): a request, every task its render spawns, and the polling
//! of its body stay on one thread, and other pages render on the other threads. Server functions
//! (no render, and the work behind them may spawn jobs that belong on the main runtime) and
//! everything outside the Leptos router stay on the multi-thread runtime. Engine calls a page's
//! resources make run on the page's thread; they only read.
//!
//! Within one thread, requests still interleave where they wait, so each keeps its own reactive
//! owner ([`super::reactive_owner`]).

use std::{collections::HashSet, sync::Arc};

use axum::{
    body::Body,
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use futures::{SinkExt, StreamExt, channel::mpsc};
use tokio_util::task::LocalPoolHandle;

use super::reactive_owner::KeepOwner;

/// Body chunks a page may have rendered ahead of a slow client.
const BODY_CHUNKS: usize = 8;

/// The page threads, and the paths that are server functions (which do not go there).
#[derive(Clone)]
pub struct PageThreads {
    pool: LocalPoolHandle,
    server_fns: Arc<HashSet<String>>,
}

impl PageThreads {
    /// `threads` single-thread runtimes (at least one), started now.
    pub fn new(threads: usize) -> Self {
        let server_fns = leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path.to_owned()).collect();
        Self { pool: LocalPoolHandle::new(threads.max(1)), server_fns: Arc::new(server_fns) }
    }
}

/// Middleware for the Leptos router: see the module docs.
pub async fn confine(State(threads): State<PageThreads>, req: Request, next: Next) -> Response {
    if threads.server_fns.contains(req.uri().path()) {
        return KeepOwner::new(next.run(req)).await;
    }
    let rendered = threads.pool.spawn_pinned(move || async move {
        let (parts, body) = KeepOwner::new(next.run(req)).await.into_parts();
        // The body is where `<Suspense>` content streams from: it is polled here too, and
        // handed over chunk by chunk. A client that leaves drops the receiver, which ends this.
        let (mut tx, rx) = mpsc::channel(BODY_CHUNKS);
        tokio::task::spawn_local(async move {
            let mut chunks = body.into_data_stream();
            while let Some(chunk) = chunks.next().await {
                if tx.send(chunk).await.is_err() {
                    break;
                }
            }
        });
        Response::from_parts(parts, Body::from_stream(rx))
    });
    match rendered.await {
        Ok(response) => response,
        // The catch-panic layer outside turns it into the usual 500.
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => {
            tracing::error!(error = %e, "a page thread dropped the render (shutting down?)");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{Router, routing::get};
    use tower::ServiceExt;

    /// A page handler that reports which thread it and a task it spawned ran on, and streams a
    /// body whose chunks also say where they were produced.
    async fn where_it_runs() -> Response {
        let handler = std::thread::current().id();
        let spawned = tokio::spawn(async { std::thread::current().id() }).await.unwrap();
        let body = futures::stream::iter(0..3).then(|_| async {
            tokio::task::yield_now().await;
            Ok::<_, std::convert::Infallible>(format!("{:?};", std::thread::current().id()))
        });
        let header = format!("{handler:?};{spawned:?};");
        Response::new(Body::from_stream(futures::stream::once(async move { Ok(header) }).chain(body)))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_page_its_tasks_and_its_body_run_on_one_thread() {
        let app = Router::new()
            .route("/page", get(where_it_runs))
            .layer(axum::middleware::from_fn_with_state(PageThreads::new(2), confine));
        for _ in 0..20 {
            let response = app.clone().oneshot(Request::get("/page").body(Body::empty()).unwrap()).await.unwrap();
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            let text = String::from_utf8(bytes.to_vec()).unwrap();
            let threads: HashSet<&str> = text.split(';').filter(|s| !s.is_empty()).collect();
            assert_eq!(threads.len(), 1, "handler, spawned task and body chunks: {text}");
            // And not the caller's runtime: a worker of the page pool.
            assert!(!text.contains(&format!("{:?}", std::thread::current().id())), "{text}");
        }
    }

    #[tokio::test]
    async fn a_panicking_page_panics_through_to_the_catch_panic_layer() {
        async fn boom() -> Response {
            panic!("render failed")
        }
        let app = Router::new()
            .route("/page", get(boom))
            .layer(axum::middleware::from_fn_with_state(PageThreads::new(1), confine))
            .layer(tower_http::catch_panic::CatchPanicLayer::new());
        let response = app.oneshot(Request::get("/page").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
