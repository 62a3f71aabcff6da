//! `GET /v1/models`, for an Anthropic provider configured without a model list.

use super::AnthropicProvider;
use super::errors::{self, Ctx};
use super::stream::auth_headers;
use super::wire::ModelPage;
use crate::providers::ProviderError;

/// Models per page: Anthropic's largest (the default is 20).
const PAGE_SIZE: u32 = 1000;
/// Pages followed at most; Anthropic has a few dozen models, so more means a server that loops.
const MAX_PAGES: usize = 10;

impl AnthropicProvider {
    /// Every page of the list, newest model first, as Anthropic orders it.
    pub(super) async fn request_models(&self) -> Result<Vec<String>, ProviderError> {
        self.check_key()?;
        let mut ids = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self.request_page(after.as_deref()).await?;
            ids.extend(page.data.into_iter().map(|m| m.id));
            match page.last_id {
                Some(last) if page.has_more => after = Some(last),
                _ => return Ok(ids),
            }
        }
        tracing::warn!(
            provider = &*self.name,
            pages = MAX_PAGES,
            "Anthropic's model list did not end; using what came"
        );
        Ok(ids)
    }

    async fn request_page(&self, after: Option<&str>) -> Result<ModelPage, ProviderError> {
        let ctx = Ctx { provider: &self.name, key: &self.key };
        let mut query = vec![("limit", PAGE_SIZE.to_string())];
        if let Some(after) = after {
            query.push(("after_id", after.to_owned()));
        }
        let response = self
            .http()?
            .get(&self.models_url)
            .headers(auth_headers(&self.key)?.into_iter().collect())
            .query(&query)
            .send()
            .await
            .map_err(|e| errors::from_reqwest(&e, &ctx))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| errors::from_reqwest(&e, &ctx))?;
        if !status.is_success() {
            return Err(errors::from_status(status.as_u16(), &headers, &body, "", &ctx));
        }
        serde_json::from_slice(&body).map_err(|e| {
            tracing::warn!(provider = &*self.name, error = %e, "unreadable model list from Anthropic");
            ProviderError::Failed("Anthropic's model list is not what the Models API sends".into())
        })
    }
}
