//! What every fake does to run: bind `127.0.0.1:0`, serve its router on a task, stop when dropped.

use std::net::SocketAddr;

use axum::Router;
use tokio::sync::oneshot;

/// A router being served on a free loopback port; the server stops when this is dropped.
pub(crate) struct Serving {
    pub addr: SocketAddr,
    _shutdown: oneshot::Sender<()>,
}

impl Serving {
    /// Binds a free port and serves `app` there. `name` names the fake in the log if the server
    /// stops with an error.
    pub async fn start(app: Router, name: &'static str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                // Resolves when the sender is dropped with the `Serving`, which is the point.
                let _ = stopped.await;
            });
            if let Err(e) = server.await {
                tracing::warn!(error = %e, fake = name, "fake server stopped with an error");
            }
        });
        Ok(Self { addr, _shutdown: shutdown })
    }
}
