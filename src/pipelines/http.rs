//! HTTP request nodes: a GET or POST to a host an admin allowed (an instance setting), under the
//! crawler's SSRF policy (`crate::net`: the same `AddressPolicy`, its resolver drops addresses the
//! policy refuses). Redirects are followed here, at most `net::MAX_REDIRECTS`, and every hop is
//! checked again: its host against the allow-list, its URL against the policy. The response is
//! read up to 1 MiB.

use std::sync::OnceLock;

use futures::StreamExt;
use reqwest::{
    Method, StatusCode,
    header::{CONTENT_TYPE, LOCATION, USER_AGENT},
};
use serde_json::{Map, Value};
use url::Url;

use super::Pipelines;
use crate::{
    Error, Result,
    auth::Principal,
    domain::pipeline::{AllowedHosts, HttpMethod},
    net::{self, AddressPolicy},
    storage::Db,
};

/// The instance setting that holds the allowed hosts (one a line).
const HOSTS_KEY: &str = "pipeline_http_hosts";
/// The most of a response a node reads.
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// What HTTP request nodes send through: one client for every run.
pub struct HttpRequests {
    db: Db,
    policy: AddressPolicy,
    client: OnceLock<reqwest::Client>,
}

impl HttpRequests {
    pub fn new(db: Db, policy: AddressPolicy) -> Self {
        HttpRequests { db, policy, client: OnceLock::new() }
    }

    /// The hosts an admin allowed (none until one does).
    pub async fn allowed_hosts(&self) -> Result<AllowedHosts> {
        let Some(text) = self.db.instance_setting(HOSTS_KEY).await? else { return Ok(AllowedHosts::default()) };
        Ok(AllowedHosts::parse(&text).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "unreadable pipeline HTTP hosts in the database; allowing none");
            AllowedHosts::default()
        }))
    }

    fn client(&self) -> std::result::Result<&reqwest::Client, String> {
        if let Some(c) = self.client.get() {
            return Ok(c);
        }
        let built = net::client_without_redirects(self.policy.clone()).map_err(|e| {
            tracing::error!(error = %e, "could not build the HTTP client of pipeline nodes");
            "the server could not make HTTP requests; an admin can find why in its log".to_owned()
        })?;
        Ok(self.client.get_or_init(|| built))
    }

    /// Sends the request and gives the node's outputs: `status`, `body` and `json`. `run` names
    /// the run in the log.
    pub async fn send(
        &self,
        method: HttpMethod,
        url: &str,
        body: &str,
        run: &str,
    ) -> std::result::Result<Map<String, Value>, String> {
        let hosts = self.allowed_hosts().await.map_err(|e| {
            e.log(run);
            e.public_message(run)
        })?;
        let client = self.client()?;
        let mut url = Url::parse(url.trim()).map_err(|e| format!("{url:?} is not a URL ({e})"))?;
        let (mut method, mut body) = match method {
            HttpMethod::Get => (Method::GET, None),
            HttpMethod::Post => (Method::POST, Some(body.to_owned())),
        };
        for _ in 0..=net::MAX_REDIRECTS {
            check(&hosts, &self.policy, &url)?;
            let mut request = client
                .request(method.clone(), url.clone())
                .header(USER_AGENT, concat!("WebPlus-pipeline/", env!("CARGO_PKG_VERSION")));
            if let Some(text) = &body {
                let json = serde_json::from_str::<Value>(text).is_ok();
                let kind = if json { "application/json" } else { "text/plain; charset=utf-8" };
                request = request.header(CONTENT_TYPE, kind).body(text.clone());
            }
            let response = request.send().await.map_err(|e| could_not_reach(&url, &e))?;
            let status = response.status();
            if status.is_redirection()
                && let Some(next) = response.headers().get(LOCATION).and_then(|l| l.to_str().ok())
            {
                url = url.join(next).map_err(|e| format!("{} redirected to {next:?}, not a URL ({e})", host(&url)))?;
                // As browsers do: 303, and 301/302 after a POST, go on as a GET without the body.
                if status == StatusCode::SEE_OTHER || (method == Method::POST && status.as_u16() < 303) {
                    (method, body) = (Method::GET, None);
                }
                continue;
            }
            return read(response, &url, run).await;
        }
        Err(format!("{} redirected more than {} times; stopped", host(&url), net::MAX_REDIRECTS))
    }
}

fn host(url: &Url) -> String {
    url.host_str().unwrap_or_default().to_owned()
}

/// A hop may go to `url`: http(s), a host the admin allowed, and what the SSRF policy lets through.
fn check(hosts: &AllowedHosts, policy: &AddressPolicy, url: &Url) -> std::result::Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{url} is not an http or https URL"));
    }
    let name = host(url);
    if !hosts.allows(&name) {
        return Err(format!(
            "the host {name:?} is not one an admin allowed for HTTP requests; ask an admin to add it (Admin, Pipelines)"
        ));
    }
    policy.check_url(url).map_err(|refusal| refusal.to_string())
}

/// What went wrong reaching `url`, with the SSRF refusal when that was it.
fn could_not_reach(url: &Url, e: &reqwest::Error) -> String {
    let mut why = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        why = cause.to_string();
        source = cause.source();
    }
    if e.is_timeout() {
        why = "it did not answer in time".into();
    }
    format!("could not reach {}: {why}", host(url))
}

async fn read(response: reqwest::Response, url: &Url, run: &str) -> std::result::Result<Map<String, Value>, String> {
    let status = response.status();
    let mut bytes = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(piece) = stream.next().await {
        let piece = piece.map_err(|e| could_not_reach(url, &e))?;
        if bytes.len() + piece.len() > MAX_RESPONSE_BYTES {
            return Err(format!("{}'s answer is larger than 1 MiB; ask for less", host(url)));
        }
        bytes.extend_from_slice(&piece);
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if !status.is_success() {
        // The body is the other server's: it goes to the log, not into the run.
        let start: String = text.chars().take(500).collect();
        tracing::info!(run, url = %url, status = status.as_u16(), body = start, "an HTTP request node got an error");
        return Err(format!("{} answered {status}", host(url)));
    }
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(Map::from_iter([
        ("status".to_owned(), Value::from(status.as_u16())),
        ("body".to_owned(), Value::String(text)),
        ("json".to_owned(), json),
    ]))
}

impl Pipelines {
    /// The hosts HTTP request nodes may reach.
    pub async fn http_hosts(&self) -> Result<AllowedHosts> {
        self.inner.http.allowed_hosts().await
    }

    /// Sets the hosts HTTP request nodes may reach (admins only): one a line, `*.example.com`
    /// for every name under a domain. Runs already going use the new list from their next request.
    pub async fn set_http_hosts(&self, who: &Principal, text: &str) -> Result<AllowedHosts> {
        if !who.is_admin() {
            return Err(Error::Forbidden("only an admin can change the hosts pipelines may reach".into()));
        }
        let hosts = AllowedHosts::parse(text).map_err(|e| Error::invalid("hosts", e))?;
        self.inner.db.set_instance_setting(HOSTS_KEY, &hosts.hosts().join("\n")).await?;
        tracing::info!(admin = who.user_id, hosts = hosts.hosts().len(), "pipeline HTTP hosts changed");
        Ok(hosts)
    }
}
