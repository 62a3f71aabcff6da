//! The floor any proxy pays on this machine: a bare pass-through written on Web+'s own stack (axum
//! server, reqwest client, the tokio runtime `webplus serve` builds, release build) in its own process, which
//! copies a request to the upstream and streams its answer back untouched. No authentication, no
//! parsing, no model lookup, no ledger. What Web+ adds beyond this is Web+'s own work; what this
//! adds is the extra process and the two extra loopback hops every proxy has.

use std::process::{Child, Command, Stdio};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
    serve::ListenerExt,
};

/// The argument that makes the bench binary run as the pass-through instead.
pub const ARG: &str = "--pass-through";

/// Starts the pass-through as a child process of this binary: `127.0.0.1:port` → `upstream`, on
/// the runtime `webplus serve` builds by default.
pub fn spawn(port: u16, upstream: &str) -> std::io::Result<Child> {
    spawn_with(port, upstream, None)
}

/// [`spawn`], with `worker_threads` async workers instead of the default (as Web+'s setting of
/// that name gives them).
pub fn spawn_with(port: u16, upstream: &str, worker_threads: Option<usize>) -> std::io::Result<Child> {
    let mut args = vec![ARG.to_owned(), port.to_string(), upstream.to_owned()];
    args.extend(worker_threads.map(|n| n.to_string()));
    Command::new(std::env::current_exe()?).args(args).stdout(Stdio::null()).spawn()
}

/// Runs the pass-through when this process was started as one (`ARG port upstream [workers]`);
/// `None` when it was not.
pub fn run_if_asked() -> Option<anyhow::Result<()>> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == ARG)?;
    let (Some(port), Some(upstream)) = (args.get(at + 1), args.get(at + 2)) else {
        return Some(Err(anyhow::anyhow!("usage: {ARG} <port> <upstream base URL>")));
    };
    let workers = match args.get(at + 3).map(|w| w.parse::<usize>()) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(e)) => return Some(Err(anyhow::anyhow!("worker threads: {e}"))),
    };
    Some(serve(port.clone(), upstream.trim_end_matches('/').to_owned(), workers))
}

#[derive(Clone)]
struct Upstream {
    client: reqwest::Client,
    base: String,
}

fn serve(port: String, base: String, workers: Option<usize>) -> anyhow::Result<()> {
    // The same runtime `webplus serve` runs on (server/src/runtime.rs).
    server::runtime::build(workers)?.block_on(async move {
        // TCP_NODELAY both ways, as Web+ sets it (server/src/startup.rs, providers/upstream.rs).
        let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let state = Upstream { client: reqwest::Client::builder().tcp_nodelay(true).build()?, base };
        let app = Router::new().route("/{*path}", post(forward)).with_state(state);
        axum::serve(listener, app).await?;
        anyhow::Ok(())
    })
}

/// Copies the body and the credentials on, and the answer's status, type and body back.
async fn forward(State(up): State<Upstream>, Path(path): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let mut request = up.client.post(format!("{}/{path}", up.base)).body(body);
    for name in [header::AUTHORIZATION, header::CONTENT_TYPE] {
        if let Some(value) = headers.get(&name) {
            request = request.header(name, value);
        }
    }
    match request.send().await {
        Ok(res) => {
            let status = StatusCode::from_u16(res.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let content_type = res.headers().get(header::CONTENT_TYPE).cloned();
            let mut out = Response::builder().status(status);
            if let Some(t) = content_type {
                out = out.header(header::CONTENT_TYPE, t);
            }
            out.body(Body::from_stream(res.bytes_stream())).unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}
