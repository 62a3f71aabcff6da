//! Application state: the engine services, built once and shared by every handler.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use metrics_exporter_prometheus::PrometheusHandle;
use webplus::{
    answer::Answers,
    auth::Accounts,
    catalog::ModelCatalog,
    chat::Chat,
    connections::{Connections, KeyCipher},
    embed::metered::Meter,
    ledger::Ledger,
    pipelines::Pipelines,
    settings::{Settings, resolve_connection_key, resolve_jwt_secret},
    sitechat::SiteChat,
    storage::Db,
    widget::{Widget, WidgetConfig},
};

/// Widget answers generated at once for all visitors together (the local model's queue is shared
/// with the server's own users).
const WIDGET_CONCURRENT_ANSWERS: usize = 8;

/// The engine services; also what the `webplus admin` commands use.
#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub accounts: Accounts,
    /// The one answer path (chat, the widget and `/v1` answer through it).
    pub answers: Answers,
    pub chat: Chat,
    /// The model catalog (what users may pick; admins manage it).
    pub catalog: ModelCatalog,
    /// Provider connections (admins manage them; they feed the answer path's registry).
    pub connections: Connections,
    /// Every model call's usage (written by the answer path, read by `/api/v1/usage`).
    pub ledger: Ledger,
    pub sitechat: SiteChat,
    pub widget: Widget,
    /// The code factory's pipelines and their runs (LLM nodes answer through `answers`).
    pub pipelines: Pipelines,
}

impl Services {
    /// Connects to the database (migrating it) and wires the services. `serving` also marks replies
    /// left streaming by a crash as interrupted (only the server should do that).
    pub async fn build(settings: &Settings, serving: bool) -> anyhow::Result<Self> {
        let mut settings = settings.clone();
        resolve_jwt_secret(&mut settings).map_err(|e| {
            anyhow::anyhow!("cannot read or create the JWT secret in {}: {e}", settings.data_dir.display())
        })?;
        resolve_connection_key(&mut settings).map_err(|e| {
            anyhow::anyhow!("cannot read or create the connection key in {}: {e}", settings.data_dir.display())
        })?;
        // The error names WEBPLUS_DATABASE_URL and shows the URL without its password.
        let db = Db::connect(&settings.database_url)
            .await
            .map_err(|e| anyhow::anyhow!("{e:#} (data dir {})", settings.data_dir.display()))?;
        if serving {
            let n = db.mark_interrupted().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            if n > 0 {
                tracing::warn!(messages = n, "marked replies left streaming by the last run as interrupted");
            }
        }
        let accounts = Accounts::new(db.clone(), &settings)?;
        let registry = crate::providers::build_registry(&settings);
        let connection_key =
            settings.connection_key.as_ref().ok_or_else(|| anyhow::anyhow!("the connection key was not resolved"))?;
        let cipher = KeyCipher::new(connection_key);
        let declared = crate::providers::declared_connections(&settings);
        let catalog = ModelCatalog::start(db.clone(), registry).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let connections = Connections::start(db.clone(), cipher, catalog.clone(), declared)
            .await
            .map_err(|e| anyhow::anyhow!("the connections in the settings: {e}"))?;
        let ledger = Ledger::start(db.clone());
        let sitechat = crate::sitechat::build(db.clone(), &settings).await?;
        catalog.set_embedding_models(webplus::embed::serve::models(sitechat.embedders()));
        sitechat.meter_with(Meter { ledger: ledger.clone(), catalog: catalog.clone() });
        if serving {
            sitechat.recover().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let answers = Answers::new(catalog.clone(), sitechat.clone(), Some(ledger.clone()))
            .max_streams(settings.max_streams)
            .local_grounded_answers(settings.local.grounded_answers);
        let widget = Widget::new(
            sitechat.clone(),
            answers.clone(),
            WidgetConfig {
                model: settings.default_model.clone(),
                requests_per_minute: settings.sitechat.widget_requests_per_minute,
                max_concurrent_answers: WIDGET_CONCURRENT_ANSWERS,
            },
        );
        let chat = Chat::new(db.clone(), answers.clone(), &settings.default_model);
        let pipelines = Pipelines::new(db.clone(), answers.clone(), &settings.default_model);
        if serving {
            let n = pipelines.recover().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            if n > 0 {
                tracing::warn!(runs = n, "marked pipeline runs left running by the last run as interrupted");
            }
        }
        Ok(Self { db, accounts, answers, chat, catalog, connections, ledger, sitechat, widget, pipelines })
    }
}

/// Everything a request handler can reach, behind one `Arc`: axum clones the state for every
/// request and each layer that takes it, and one count is cheaper than the services' dozens (their
/// clones and drops were 5.0% of the server's samples in `--bench ttft`, 0.3% after).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] shares.
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub services: Services,
    pub settings: Arc<Settings>,
    pub metrics: PrometheusHandle,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What leptos_axum's routes take from the state.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl Shared {
    /// What server functions get through Leptos context.
    pub fn server_state(&self) -> app::ssr::ServerState {
        app::ssr::ServerState {
            accounts: self.services.accounts.clone(),
            chat: self.services.chat.clone(),
            connections: self.services.connections.clone(),
            catalog: self.services.catalog.clone(),
            sitechat: self.services.sitechat.clone(),
            pipelines: self.services.pipelines.clone(),
            trust_proxy: self.settings.trust_proxy,
        }
    }
}
