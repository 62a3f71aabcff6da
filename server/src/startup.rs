//! Builds the application and binds its listener (port 0 works, for tests).

use std::{
    net::SocketAddr,
    sync::{Arc, LazyLock},
    time::Duration,
};

use axum::{Router, serve::ListenerExt};
use leptos::prelude::LeptosOptions;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use webplus::settings::Settings;

use crate::{
    http, middleware,
    state::{AppState, Services, Shared},
    telemetry,
};

/// How long running replies may go on after a shutdown signal before they are cut and saved.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

pub struct Application {
    listener: TcpListener,
    router: Router,
    /// `/metrics` alone, when `WEBPLUS_METRICS_ADDR` puts it on a listener of its own.
    metrics: Option<(TcpListener, Router)>,
    state: AppState,
    shutdown_grace: Duration,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let services = Services::build(&settings, true).await?;
        services.sitechat.warm_up();
        let listener = TcpListener::bind(settings.addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {} (WEBPLUS_ADDR): {e}", settings.addr))?;
        if !settings.site_root.join("pkg").exists() {
            tracing::warn!(site_root = %settings.site_root.display(), "the built site is missing: pages will not hydrate; build with `make run` or `cargo leptos build`");
        }
        let leptos_options = LeptosOptions::builder()
            .output_name("webplus")
            .site_root(settings.site_root.display().to_string())
            .site_pkg_dir("pkg")
            .site_addr(listener.local_addr()?)
            .build();
        let metrics_listener = match settings.metrics_addr {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot listen on {addr} (WEBPLUS_METRICS_ADDR): {e}"))?,
            ),
            None => None,
        };
        let state = AppState::new(Shared {
            leptos_options,
            services,
            settings: Arc::new(settings),
            metrics: telemetry::metrics(),
        });
        let router = router(state.clone());
        let metrics = metrics_listener.map(|l| (l, http::metrics_routes().with_state(state.clone())));
        Ok(Self { listener, router, metrics, state, shutdown_grace: SHUTDOWN_GRACE })
    }

    pub fn addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| self.state.settings.addr)
    }

    /// The engine services the server runs on (tests reach the engine directly through them).
    pub fn services(&self) -> &Services {
        &self.state.services
    }

    /// Where `/metrics` is served when it has a listener of its own.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|(l, _)| l.local_addr().ok())
    }

    pub fn port(&self) -> u16 {
        self.addr().port()
    }

    /// How long open replies may run on after a shutdown signal (default 10 s).
    pub fn with_shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Serves until Ctrl-C / SIGTERM, then lets replies finish (or saves them) and closes the database.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` resolves; used by tests to exercise graceful shutdown.
    pub async fn run_until(self, stop: impl std::future::Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let generations = self.state.services.chat.generations().clone();
        let (stopping_tx, stopping_rx) = tokio::sync::watch::channel(false);
        let app = self.router.into_make_service_with_connect_info::<SocketAddr>();
        // Streams are many small writes: without TCP_NODELAY, Nagle's algorithm holds each SSE frame
        // until the previous one is ACKed, and delayed ACKs make that ~40 ms per token.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::warn!(error = %e, "could not set TCP_NODELAY");
            }
        });
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            stop.await;
            let _ = stopping_tx.send(true);
            tracing::info!("shutting down: finishing open replies");
        });
        let server = tokio::spawn(async move { serve.await });
        if let Some((listener, router)) = self.metrics {
            let mut stopping = stopping_rx.clone();
            let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
                let _ = stopping.wait_for(|s| *s).await;
            });
            tokio::spawn(async move {
                if let Err(e) = serve.await {
                    tracing::error!(error = %e, "the metrics listener failed");
                }
            });
        }
        // When stopping, give generations their grace period; SSE streams end with them, which lets
        // the HTTP server's own graceful shutdown complete.
        let mut stopping_rx = stopping_rx;
        let _ = stopping_rx.wait_for(|s| *s).await;
        generations.shutdown(self.shutdown_grace).await;
        self.state.services.pipelines.shutdown().await;
        self.state.services.sitechat.shutdown().await;
        self.state.services.connections.shutdown();
        match tokio::time::timeout(Duration::from_secs(5), server).await {
            Ok(joined) => joined??,
            Err(_) => tracing::warn!("connections still open after shutdown; closing them"),
        }
        // Every stream has ended by now: store the usage records still queued.
        self.state.services.ledger.flush().await;
        self.state.services.db.close().await;
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}

/// The app's routes, listed once per process. Listing renders the app with resource loading
/// suppressed by a process-wide flag, and a resource first polled meanwhile by a page rendering
/// on another thread waits forever (leptos#4773): the API tests, which start apps side by side,
/// hung on one page load in about fifteen runs. Listed once, before any app serves, nothing
/// renders while the flag is up.
static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(app::App));

fn router(state: AppState) -> Router {
    let routes = ROUTES.clone();
    let server_state = state.server_state();
    let ctx = server_state.clone();
    let workers = state.settings.worker_threads.unwrap_or_else(crate::runtime::default_worker_threads);
    let page_threads = crate::middleware::page_threads::PageThreads::new(workers);
    let leptos = Router::new()
        .leptos_routes_with_context(&state, routes, move || leptos::prelude::provide_context(ctx.clone()), {
            let options = state.leptos_options.clone();
            move || app::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(app::shell))
        .layer(axum::middleware::from_fn_with_state(page_threads, crate::middleware::page_threads::confine));
    // The bundle: a file's `.br`/`.gz` twin (compressed once, at the highest level, by
    // .ci/build-site.sh) is sent when the browser takes it; otherwise the compression layer
    // gzips it on the fly, faster but larger.
    // `Vary` so that no shared cache hands a compressed twin to a browser that did not ask for it.
    let vary = tower_http::set_header::SetResponseHeaderLayer::appending(
        axum::http::header::VARY,
        axum::http::HeaderValue::from_static("accept-encoding"),
    );
    let files = tower_http::services::ServeDir::new(state.settings.site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    let bundle = tower::ServiceBuilder::new().layer(vary).service(files);
    let mut app = Router::new().merge(http::routes()).nest_service("/pkg", bundle);
    if state.settings.metrics_addr.is_none() {
        app = app.merge(http::metrics_routes());
    }
    let app = app.merge(leptos).with_state(state.clone());
    let uploads = http::upload_routes().with_state(state.clone());
    let widget = http::widget_routes().with_state(state.clone());
    middleware::apply(app, uploads, widget, &state)
}
