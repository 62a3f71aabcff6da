//! `spawn_app()`: one app per test, with its own data dir, database and fake upstream. The database is
//! SQLite in the data dir, or a fresh one on the PostgreSQL server `WEBPLUS_TEST_DATABASE_URL` names.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use reqwest::{Response, StatusCode, header};
use serde_json::{Value, json};
use server::Application;
use webplus::{
    domain::SignupMode,
    fakes::{FakeOpenAi, FakeOpenAiConfig},
    settings::{OpenAiSettings, Secret, Settings},
    storage::TempDb,
};

/// The fake's model as the settings' `[openai]` connection offers it (`connection/model`).
pub const FAKE_MODEL: &str = "openai/gpt-4o-mini";
/// The same model as the fake itself knows it.
pub const FAKE_UPSTREAM_MODEL: &str = "gpt-4o-mini";
pub const PASSWORD: &str = "correct-horse-battery";

pub struct TestApp {
    pub base: String,
    /// `http://127.0.0.1:PORT` of the metrics listener, when `metrics_addr` is set.
    pub metrics_base: Option<String>,
    pub client: reqwest::Client,
    /// Cookies as a browser would keep them (name → value).
    pub cookies: Arc<Mutex<BTreeMap<String, String>>>,
    pub fake: Arc<FakeOpenAi>,
    pub settings: Settings,
    /// The running server's engine services.
    pub services: server::state::Services,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    /// The data dir and the database (kept for restarts: `spawn_app_in(app._dir.clone(), …)`).
    pub _dir: Arc<TempDb>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(FakeOpenAiConfig::default()).await
}

pub async fn spawn_app_with(fake: FakeOpenAiConfig) -> TestApp {
    let dir = Arc::new(TempDb::new().await);
    spawn_app_in(dir, Arc::new(FakeOpenAi::start(fake).await)).await
}

/// An app whose settings `configure` adjusts before it starts.
pub async fn spawn_app_configured(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = Arc::new(TempDb::new().await);
    let fake = Arc::new(FakeOpenAi::start(FakeOpenAiConfig::default()).await);
    spawn_app_in_with(dir, fake, configure).await
}

/// Starts an app on an existing data dir (to test restarts).
pub async fn spawn_app_in(dir: Arc<TempDb>, fake: Arc<FakeOpenAi>) -> TestApp {
    spawn_app_in_with(dir, fake, |_| {}).await
}

pub async fn spawn_app_in_with(
    dir: Arc<TempDb>,
    fake: Arc<FakeOpenAi>,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    start(dir, fake, configure, true).await
}

/// An app as a fresh install runs it: sign-ups need an admin's approval once the first account
/// exists. (Every other `spawn_app*` opens sign-ups, as an admin would, so tests can register
/// several users; the approval flow is tested on its own.)
pub async fn spawn_app_with_default_signups() -> TestApp {
    let dir = Arc::new(TempDb::new().await);
    let fake = Arc::new(FakeOpenAi::start(FakeOpenAiConfig::default()).await);
    start(dir, fake, |_| {}, false).await
}

async fn start(
    dir: Arc<TempDb>,
    fake: Arc<FakeOpenAi>,
    configure: impl FnOnce(&mut Settings),
    open_signups: bool,
) -> TestApp {
    let mut settings = Settings::defaults();
    settings.addr = "127.0.0.1:0".parse().unwrap();
    settings.data_dir = dir.path().to_path_buf();
    settings.database_url = dir.url().to_owned();
    settings.jwt_secret = Some(Secret::new("test-secret-".repeat(6)));
    settings.default_model = FAKE_MODEL.into();
    settings.max_body_bytes = 64 * 1024;
    settings.openai = Some(OpenAiSettings {
        base_url: fake.base_url(),
        api_key: Secret::new(fake.api_key()),
        models: vec![FAKE_UPSTREAM_MODEL.into()],
    });
    configure(&mut settings);
    let app =
        Application::build(settings.clone()).await.expect("app builds").with_shutdown_grace(Duration::from_millis(300));
    let base = format!("http://127.0.0.1:{}", app.port());
    let metrics_base = app.metrics_addr().map(|a| format!("http://{a}"));
    let services = app.services().clone();
    if open_signups {
        services.accounts.set_signup_mode_as_operator(SignupMode::Open).await.expect("open sign-ups");
    }
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    // A hung response fails its test with the request named, instead of stalling the suite.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .read_timeout(Duration::from_secs(90))
        .build()
        .unwrap();
    TestApp {
        base,
        metrics_base,
        client,
        cookies: Arc::default(),
        fake,
        settings,
        services,
        stop: Some(tx),
        server: Some(server),
        _dir: dir,
    }
}

impl TestApp {
    /// What the fake upstream was asked, less the conversations' title requests (a first reply is
    /// followed by one: `webplus::chat` titles).
    pub fn chat_requests(&self) -> Vec<Value> {
        let title = |r: &Value| r["messages"][0]["content"].as_str().is_some_and(|c| c.starts_with("You write titles"));
        self.fake.requests().into_iter().filter(|r| !title(r)).collect()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The `Cookie` header this client's jar would send (None: no cookies).
    pub fn cookie_header(&self) -> Option<String> {
        let c = self.cookies.lock().unwrap();
        (!c.is_empty()).then(|| c.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; "))
    }

    /// Keeps `Set-Cookie`s like a browser: Max-Age=0 deletes.
    pub fn store_cookies(&self, res: &Response) {
        let mut jar = self.cookies.lock().unwrap();
        for v in res.headers().get_all(header::SET_COOKIE) {
            let s = v.to_str().unwrap();
            let (pair, attrs) = s.split_once(';').unwrap_or((s, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") || value.is_empty() {
                jar.remove(name);
            } else {
                jar.insert(name.to_string(), value.to_string());
            }
        }
    }

    /// Calls a server function as the browser does (JSON body, cookies, same-origin).
    pub async fn call(&self, endpoint: &str, body: Value) -> (StatusCode, Value) {
        let mut req =
            self.client.post(self.url(&format!("/api/{endpoint}"))).json(&body).header(header::ORIGIN, &self.base);
        if let Some(c) = self.cookie_header() {
            req = req.header(header::COOKIE, c);
        }
        let res = req.send().await.expect("request");
        self.store_cookies(&res);
        let status = res.status();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn get(&self, path: &str) -> Response {
        let mut req = self.client.get(self.url(path));
        if let Some(c) = self.cookie_header() {
            req = req.header(header::COOKIE, c);
        }
        let res = req.send().await.expect("request");
        self.store_cookies(&res);
        res
    }

    /// Signs up (sign-ups are open in these tests) and keeps the session cookies.
    pub async fn register(&self, email: &str) -> Value {
        let (s, v) = self.call("auth/register", json!({ "email": email, "password": PASSWORD })).await;
        assert_eq!(s, StatusCode::OK, "register {email}: {v}");
        v
    }

    pub async fn login(&self, email: &str, password: &str) -> (StatusCode, Value) {
        self.call("auth/login", json!({ "email": email, "password": password })).await
    }

    /// A second browser against the same server, with its own cookie jar.
    pub fn second_browser(&self) -> TestApp {
        TestApp {
            base: self.base.clone(),
            metrics_base: self.metrics_base.clone(),
            client: self.client.clone(),
            cookies: Arc::default(),
            fake: self.fake.clone(),
            settings: self.settings.clone(),
            services: self.services.clone(),
            stop: None,
            server: None,
            _dir: self._dir.clone(),
        }
    }

    pub fn forget_cookies(&self) {
        self.cookies.lock().unwrap().clear();
    }

    /// Creates an API key for the logged-in user.
    pub async fn api_key(&self) -> String {
        let (s, v) = self.call("keys/create", json!({ "name": "test" })).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["secret"].as_str().unwrap().to_string()
    }

    /// Reads an SSE stream to its end (or `limit`) and returns `(event, data)` pairs.
    pub async fn sse(&self, path: &str, limit: Duration) -> Vec<(String, String)> {
        let res = self.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        read_sse(res, limit).await
    }

    /// Stops the server gracefully and waits for it.
    pub async fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            h.await.expect("server task").expect("server ran");
        }
    }
}

/// The events of an SSE response as (event name, data), read until the stream ends or `limit`.
pub async fn read_sse(res: Response, limit: Duration) -> Vec<(String, String)> {
    use eventsource_stream::Eventsource;
    use futures::StreamExt;
    let mut events = res.bytes_stream().eventsource();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    while let Ok(Some(Ok(event))) = tokio::time::timeout_at(deadline, events.next()).await {
        if !event.data.is_empty() {
            out.push((event.event, event.data));
        }
    }
    out
}

/// The text an SSE reply stream spells out (snapshot + deltas) and its final status.
pub fn reply_of(events: &[(String, String)]) -> (String, Option<Value>) {
    let mut text = String::new();
    let mut done = None;
    for (e, d) in events {
        match e.as_str() {
            "snapshot" => text = serde_json::from_str(d).unwrap(),
            "delta" => text.push_str(&serde_json::from_str::<String>(d).unwrap()),
            "done" => done = Some(serde_json::from_str(d).unwrap()),
            _ => {}
        }
    }
    (text, done)
}

/// Sends `method path` with an API key (and a JSON body, if any): the status and the JSON answer
/// (a body that is not JSON comes back as a string).
pub async fn keyed(
    app: &TestApp,
    key: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let text = res.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}
