//! Hybrid retrieval: keyword search (`sitechat/keywords.rs`) and vector search (HNSW) per knowledge base, fused
//! by reciprocal rank fusion, all knowledge bases searched concurrently.

use std::collections::HashMap;

use futures::future::try_join_all;

use super::{SiteChat, ingest::embed_error};
use crate::{
    Error, Result,
    answer::{Caller, Surface},
    embed::{
        cosine,
        metered::{EmbedFor, embed_recorded},
    },
    storage::KnowledgeBaseRow,
};

/// RRF's constant: damps the weight of the very top ranks (60 in Cormack et al. and most systems).
const RRF_K: f32 = 60.0;
/// A method's first chunk's fused score is raised by this share of what its place gives it.
const FIRST_BONUS: f32 = 1.0;
/// Candidates taken from each method before fusing.
const CANDIDATES: usize = 40;
/// Terms kept from a query for keyword search.
const MAX_TERMS: usize = 32;
pub const MAX_K: usize = 50;

/// A retrieved passage and the document it cites.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub chunk_id: i64,
    pub kb_id: String,
    pub document_id: String,
    /// The page URL; None for an uploaded file.
    pub url: Option<String>,
    pub file_name: Option<String>,
    pub title: String,
    pub heading_path: String,
    pub text: String,
    /// Fused score (higher is better): sum over methods of 1 / (60 + rank).
    pub score: f32,
}

/// The distinct words (letters and digits) of `query`, lower-cased, for keyword search, which
/// matches any of them (so query syntax in the text is plain text). None when it has no words.
pub fn keyword_query(query: &str) -> Option<Vec<String>> {
    let mut terms: Vec<String> = Vec::new();
    for word in query.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let word = word.to_lowercase();
        if !terms.contains(&word) && terms.len() < MAX_TERMS {
            terms.push(word);
        }
    }
    (!terms.is_empty()).then_some(terms)
}

impl SiteChat {
    /// Searches knowledge bases the user can read (the search API: the query's embedding is the
    /// caller's, surface `api`).
    pub async fn search(&self, caller: &Caller, kb_ids: &[String], query: &str, k: usize) -> Result<Vec<Hit>> {
        let Caller::User { user_id, .. } = caller else {
            return Err(Error::Forbidden("only signed-in users can search knowledge bases".into()));
        };
        let mut kbs = Vec::with_capacity(kb_ids.len());
        for id in kb_ids {
            kbs.push(self.readable_kb(user_id, id).await?);
        }
        self.search_kbs(&kbs, query, k, caller, Surface::Api).await
    }

    /// Searches knowledge bases whose access was checked by the caller. Each query embedding is a
    /// ledger row of `caller`'s, on `surface`.
    pub async fn search_kbs(
        &self,
        kbs: &[KnowledgeBaseRow],
        query: &str,
        k: usize,
        caller: &Caller,
        surface: Surface,
    ) -> Result<Vec<Hit>> {
        let query = query.trim();
        if query.is_empty() {
            return Err(Error::invalid("query", "cannot be empty"));
        }
        if query.chars().count() > 4_000 {
            return Err(Error::invalid("query", "has at most 4000 characters"));
        }
        let k = k.clamp(1, MAX_K);
        // One query embedding per embedding model, shared by the knowledge bases that use it.
        let mut models: Vec<&str> = kbs.iter().map(|kb| kb.embedding_model.as_str()).collect();
        models.sort_unstable();
        models.dedup();
        let started = std::time::Instant::now();
        let input = [query.to_owned()];
        // The row names the knowledge base when the search has one.
        let knowledge_base_id = match kbs {
            [kb] => Some(kb.id.clone()),
            _ => None,
        };
        let vectors = try_join_all(models.iter().map(|m| {
            let (input, who) =
                (&input, EmbedFor { caller: caller.clone(), surface, knowledge_base_id: knowledge_base_id.clone() });
            async move {
                let embedder = self.embedders().get(m)?;
                let (v, _) = embed_recorded(embedder.as_ref(), m, input, self.meter(), who).await;
                let mut v = v.map_err(embed_error)?;
                Ok::<_, Error>((m.to_string(), v.pop().unwrap_or_default()))
            }
        }))
        .await?;
        tracing::debug!(embed_ms = started.elapsed().as_secs_f64() * 1e3, "query embedded");
        let vectors: HashMap<String, Vec<f32>> = vectors.into_iter().collect();
        let per_kb =
            try_join_all(kbs.iter().map(|kb| self.search_one(kb, query, &vectors[&kb.embedding_model], k))).await?;
        let mut hits: Vec<Hit> = per_kb.into_iter().flatten().collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.chunk_id.cmp(&b.chunk_id)));
        hits.truncate(k);
        Ok(hits)
    }

    /// How close in meaning each of `texts` is to `query` (cosine of their embeddings with
    /// `model`, one embedding call, a ledger row of `who`'s): what quoting weighs beside the
    /// words a piece shares with the question.
    pub async fn similarities(&self, model: &str, query: &str, texts: &[String], who: EmbedFor) -> Result<Vec<f32>> {
        let embedder = self.embedders().get(model)?;
        let input: Vec<String> = std::iter::once(query.to_owned()).chain(texts.iter().cloned()).collect();
        let (vectors, _) = embed_recorded(embedder.as_ref(), model, &input, self.meter(), who).await;
        let vectors = vectors.map_err(embed_error)?;
        let Some((q, rest)) = vectors.split_first() else {
            return Err(Error::internal(anyhow::anyhow!("the embedder returned no vectors")));
        };
        Ok(rest.iter().map(|v| cosine(q, v)).collect())
    }

    async fn search_one(&self, kb: &KnowledgeBaseRow, query: &str, vector: &[f32], k: usize) -> Result<Vec<Hit>> {
        let want = CANDIDATES.max(k * 2);
        let started = std::time::Instant::now();
        let keyword = async { (self.keywords().search(&kb.id, query, want).await, started.elapsed()) };
        let semantic = self.indexes().search(&kb.id, vector.to_vec(), want);
        let ((keyword, keyword_time), semantic) = tokio::join!(keyword, semantic);
        tracing::debug!(
            kb = %kb.id,
            keyword_ms = keyword_time.as_secs_f64() * 1e3,
            both_ms = started.elapsed().as_secs_f64() * 1e3,
            "knowledge base searched"
        );
        let (keyword, semantic) = (keyword?, semantic?);
        let keyword: Vec<i64> = keyword.iter().map(|(id, _)| *id).collect();
        let semantic: Vec<i64> = semantic.iter().map(|(id, _)| *id as i64).collect();
        let ranked = fuse(&keyword, &semantic, k);
        let ids: Vec<i64> = ranked.iter().map(|(id, _)| *id).collect();
        let mut rows: HashMap<i64, _> =
            self.db().chunk_hits(&kb.id, &ids).await?.into_iter().map(|r| (r.id, r)).collect();
        // A chunk deleted between the search and this read is simply left out.
        Ok(ranked
            .into_iter()
            .filter_map(|(id, score)| {
                rows.remove(&id).map(|r| Hit {
                    chunk_id: r.id,
                    kb_id: r.kb_id,
                    document_id: r.document_id,
                    url: r.url,
                    file_name: r.file_name,
                    title: r.title,
                    heading_path: r.heading_path,
                    text: r.text,
                    score,
                })
            })
            .collect())
    }
}

/// Reciprocal rank fusion of the chunk ids each method ranked, best first, at most `k`: a chunk
/// gets 1 / (RRF_K + place) from each method that found it, and each method's first chunk gets
/// its share again. Without that, a chunk only one method finds, and finds first (the table row
/// holding the question's rarest word; the page that answers in other words), loses to chunks both
/// methods put in the middle.
fn fuse(keyword: &[i64], semantic: &[i64], k: usize) -> Vec<(i64, f32)> {
    let mut fused: HashMap<i64, f32> = HashMap::new();
    for ranked in [keyword, semantic] {
        for (rank, id) in ranked.iter().enumerate() {
            *fused.entry(*id).or_default() += 1.0 / (RRF_K + rank as f32 + 1.0);
        }
        if let Some(first) = ranked.first() {
            *fused.entry(*first).or_default() += FIRST_BONUS / (RRF_K + 1.0);
        }
    }
    let mut ranked: Vec<(i64, f32)> = fused.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.truncate(k);
    ranked
}

#[cfg(test)]
mod tests {
    use super::{fuse, keyword_query};

    #[test]
    fn each_methods_first_chunk_is_kept_among_the_fused_best() {
        // 100 is only a keyword match and 200 only a match in meaning, each ranked first; 1 to 6 are
        // ranked by both, below them.
        let keyword = [100, 1, 2, 3, 4, 5, 6];
        let semantic = [200, 1, 2, 3, 4, 5, 6];
        let ids = |k| fuse(&keyword, &semantic, k).into_iter().map(|(id, _)| id).collect::<Vec<_>>();
        assert_eq!(ids(5), [100, 200, 1, 2, 3]);
        // Below the first places, a chunk both methods found (1) beats one only one found (7), though
        // 7 ranks above 1 there.
        let ids = fuse(&[100, 7, 1], &[200, 1], 4).into_iter().map(|(id, _)| id).collect::<Vec<_>>();
        assert_eq!(ids, [100, 200, 1, 7]);
    }

    #[test]
    fn a_keyword_query_keeps_each_distinct_word_so_fts_syntax_is_plain_text() {
        assert_eq!(keyword_query("Price? price NEAR(\"x\" OR y*)").unwrap(), ["price", "near", "x", "or", "y"]);
        assert_eq!(keyword_query(" ?! "), None);
    }
}
