//! (feature `fakes`) Storing documents directly, for tests and benchmarks of what comes after
//! ingestion (retrieval, the widget) without a crawl or an upload.

use super::{SiteChat, ingest::Incoming};
use crate::{Error, Result, ingest::markdown_to_blocks};

impl SiteChat {
    /// Stores `markdown` as the crawled page `url` of knowledge base `kb_id` (chunked, embedded
    /// and indexed like a crawled page); returns the number of chunks.
    pub async fn store_page_for_tests(&self, kb_id: &str, url: &str, title: &str, markdown: &str) -> Result<usize> {
        let kb = self.db().knowledge_base(kb_id).await?.ok_or(Error::NotFound("knowledge base"))?;
        let page = Incoming {
            source: "web",
            url: Some(url.to_owned()),
            file_name: None,
            kind: "html".into(),
            title: title.to_owned(),
            blocks: markdown_to_blocks(markdown),
            bytes: markdown.len(),
        };
        Ok(self.store_document(&kb, "test", page, None).await?.chunks())
    }
}
