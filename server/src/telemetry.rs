//! Logging (tracing) and metrics (Prometheus) set-up.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};
use webplus::settings::LogFormat;

fn filter() -> EnvFilter {
    EnvFilter::try_from_env("WEBPLUS_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info,lopdf=warn,pdf_extract=warn"))
}

/// Server logs: JSON lines in production, pretty in development. Safe to call twice.
pub fn init(format: LogFormat) {
    let registry = tracing_subscriber::registry().with(filter());
    let _ = match format {
        LogFormat::Json => registry.with(fmt::layer().json().flatten_event(true).with_current_span(false)).try_init(),
        LogFormat::Pretty => registry.with(fmt::layer()).try_init(),
    };
}

/// CLI commands: warnings only, on stderr, so stdout stays clean for scripts.
pub fn init_cli() {
    let _ = tracing_subscriber::registry()
        .with(EnvFilter::try_from_env("WEBPLUS_LOG").unwrap_or_else(|_| EnvFilter::new("warn")))
        .with(fmt::layer().with_writer(std::io::stderr))
        .try_init();
}

/// The process-wide Prometheus recorder (installed once; every app in the process shares it).
pub fn metrics() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("_seconds".into()),
                    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0],
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder is installed; then ours still renders (empty).
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}
