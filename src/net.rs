//! Outbound HTTP for crawling, under the SSRF policy of [`ssrf`].
//!
//! The policy has to hold for the address actually connected to, not for the name in the URL: a public
//! name can resolve to 127.0.0.1 and any page can redirect anywhere. So the check lives in the DNS
//! resolver the client connects through (every hop resolves through it) and in the redirect policy
//! (scheme, credentials and literal-address hosts, which skip the resolver).

pub mod ssrf;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
pub use ssrf::{AddressPolicy, Refusal};

/// Redirect hops followed before giving up; more than a few is a loop or a trap.
pub const MAX_REDIRECTS: usize = 5;

/// Resolves with the system resolver (tokio's `lookup_host`) and keeps only the addresses the
/// policy allows, so a name pointing at a private address fails to connect.
#[derive(Debug, Clone)]
pub struct PolicyResolver {
    policy: Arc<AddressPolicy>,
}

impl PolicyResolver {
    pub fn new(policy: Arc<AddressPolicy>) -> Self {
        Self { policy }
    }

    /// The allowed addresses of `host`, or the first refusal if none is allowed.
    pub async fn resolve_allowed(
        &self,
        host: &str,
    ) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
        // Port 0: the connector puts in the URL's port.
        let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
        let mut first_refusal = None;
        let allowed: Vec<SocketAddr> = resolved
            .into_iter()
            .filter(|addr| match self.policy.check_ip(host, addr.ip()) {
                Ok(()) => true,
                Err(refusal) => {
                    tracing::debug!(%refusal, "dropped a resolved address");
                    first_refusal.get_or_insert(refusal);
                    false
                }
            })
            .collect();
        if allowed.is_empty() {
            let refusal = first_refusal.unwrap_or_else(|| Refusal::NoAllowedAddress { host: host.to_owned() });
            return Err(Box::new(refusal));
        }
        Ok(allowed)
    }
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let this = self.clone();
        Box::pin(async move {
            let allowed = this.resolve_allowed(name.as_str()).await?;
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// A client for crawling: policy-checked resolution, at most [`MAX_REDIRECTS`] redirects each
/// re-checked with [`AddressPolicy::check_url`], and timeouts so a slow site can't hold a worker.
///
/// The first URL of a request doesn't pass through the redirect policy: call `check_url` on it
/// before sending (it is the only check a literal-address URL gets).
pub fn client(policy: AddressPolicy) -> reqwest::Result<reqwest::Client> {
    let policy = Arc::new(policy);
    let hops = policy.clone();
    let redirect = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(Refusal::TooManyRedirects { max: MAX_REDIRECTS });
        }
        match hops.check_url(attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(refusal) => attempt.error(refusal),
        }
    });
    builder(policy).redirect(redirect).build()
}

/// Like [`client`], but a redirect is returned as the response instead of followed. For a caller that
/// judges every hop itself (the crawler checks each target against the site scope, robots.txt and the
/// pages it already has before fetching it); it must `check_url` every URL it sends.
pub fn client_without_redirects(policy: AddressPolicy) -> reqwest::Result<reqwest::Client> {
    builder(Arc::new(policy)).redirect(reqwest::redirect::Policy::none()).build()
}

fn builder(policy: Arc<AddressPolicy>) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(PolicyResolver::new(policy)))
        // A proxy from the environment would resolve and connect for us, past the policy.
        .no_proxy()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("WebPlus-crawler/", env!("CARGO_PKG_VERSION")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{Router, response::Redirect, routing::get};

    /// A local site on 127.0.0.1: `/` says hello, `/away` redirects to `/`.
    async fn local_site() -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = Router::new()
            .route("/", get(|| async { "hello" }))
            .route("/away", get(|| async { Redirect::temporary("/") }))
            .route("/loop", get(|| async { Redirect::temporary("/loop") }));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        port
    }

    fn chain_text(err: &reqwest::Error) -> String {
        let mut text = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            text.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        text
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused_at_connect_time() {
        let port = local_site().await;
        let client = client(AddressPolicy::default()).unwrap();
        let err = client.get(format!("http://localhost:{port}/")).send().await.unwrap_err();
        assert!(err.is_connect(), "{err:?}");
        assert!(chain_text(&err).contains("is a loopback address"), "{}", chain_text(&err));
    }

    #[tokio::test]
    async fn an_allow_listed_local_site_is_fetched_through_redirects() {
        let port = local_site().await;
        let client = client(AddressPolicy::new(["127.0.0.1"])).unwrap();
        let body = client.get(format!("http://localhost:{port}/away")).send().await.unwrap().text().await.unwrap();
        assert_eq!(body, "hello");
        let literal = format!("http://127.0.0.1:{port}/");
        assert_eq!(client.get(literal).send().await.unwrap().text().await.unwrap(), "hello");
    }

    #[tokio::test]
    async fn a_redirect_loop_stops_after_the_limit() {
        let port = local_site().await;
        let client = client(AddressPolicy::new(["localhost", "127.0.0.1"])).unwrap();
        let err = client.get(format!("http://localhost:{port}/loop")).send().await.unwrap_err();
        assert!(err.is_redirect(), "{err:?}");
        assert!(chain_text(&err).contains("more than 5 redirects"), "{}", chain_text(&err));
    }

    #[tokio::test]
    async fn a_redirect_to_a_private_literal_address_is_refused() {
        // The site itself is allowed by name; the hop to the literal 127.0.0.1 is not.
        let port = local_site().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let bounce = listener.local_addr().unwrap().port();
        let target = format!("http://127.0.0.1:{port}/");
        let app = Router::new().route("/", get(move || async move { Redirect::temporary(&target) }));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let client = client(AddressPolicy::new(["localhost"])).unwrap();
        let err = client.get(format!("http://localhost:{bounce}/")).send().await.unwrap_err();
        assert!(err.is_redirect(), "{err:?}");
        assert!(chain_text(&err).contains("127.0.0.1 is a loopback address"), "{}", chain_text(&err));
    }
}
