//! In-process keyword index for one knowledge base: Tantivy (BM25, block-max WAND for the top k),
//! in a directory of its own beside the vector index's files.
//!
//! Like the vector index it is a cache of the database: each commit carries the [`Fingerprint`]
//! of the chunk ids it holds, and [`KeywordIndex::open`] refuses an index whose fingerprint is not
//! the database's (the caller then rebuilds it with [`KeywordBuilder`]). It works the same on
//! SQLite and PostgreSQL, which is why keyword ranking no longer depends on the database.
//!
//! Text analysis (chunks and queries alike): words of letters and digits, lower-cased, Lucene's
//! English stop words dropped, Snowball English stems ("seats" finds "seat").

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;

use tantivy::collector::TopDocs;
use tantivy::directory::MmapDirectory;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::Fingerprint;
use crate::{Error, Result};

/// The analyzer's name in the index's tokenizer registry, stored in each index's schema. Rename it
/// (`webplus_en_2`, …) whenever [`analyzer`] changes: an index saved with another name is rebuilt,
/// so its terms are never read with another analysis than they were written with.
const ANALYZER: &str = "webplus_en";
/// Indexing memory per writer: Tantivy's minimum for one-off updates (a document's chunks), more
/// for a rebuild so that 100k chunks make few segments.
const APPLY_BUDGET: usize = 15_000_000;
const BUILD_BUDGET: usize = 96_000_000;
/// Words longer than this are not indexed (base64, hashes).
const MAX_WORD: usize = 40;
/// Query terms kept (as `sitechat::keyword_query` keeps).
const MAX_TERMS: usize = 32;

pub struct KeywordIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// The chunk ids it holds, for the fingerprint. Also serialises writers (Tantivy allows one).
    ids: Mutex<BTreeSet<u64>>,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    text: Field,
}

/// Fills a new index (a rebuild from the database), committed once by [`KeywordBuilder::finish`].
pub struct KeywordBuilder {
    index: Index,
    writer: IndexWriter,
    fields: Fields,
    ids: BTreeSet<u64>,
}

impl std::fmt::Debug for KeywordIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeywordIndex").field("chunks", &self.len()).finish()
    }
}

impl KeywordIndex {
    /// The index in `dir` if its last commit holds exactly the chunks `expected` describes; None
    /// when there is none, or it is stale or unreadable (logged).
    pub fn open(dir: &Path, expected: &Fingerprint) -> Result<Option<Self>> {
        if !dir.join("meta.json").exists() {
            return Ok(None);
        }
        match Self::open_checked(dir, expected) {
            Ok(found) => Ok(found),
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "keyword index unreadable; rebuilding it");
                Ok(None)
            }
        }
    }

    fn open_checked(dir: &Path, expected: &Fingerprint) -> tantivy::Result<Option<Self>> {
        let index = Index::open(MmapDirectory::open(dir)?)?;
        let committed = index.load_metas()?.payload.and_then(|p| serde_json::from_str::<Fingerprint>(&p).ok());
        if committed.as_ref() != Some(expected) {
            tracing::info!(dir = %dir.display(), "keyword index stale; rebuilding it");
            return Ok(None);
        }
        let fields = fields(&index.schema())?;
        let analyzer = match index.schema().get_field_entry(fields.text).field_type() {
            tantivy::schema::FieldType::Str(options) => {
                options.get_indexing_options().map(|o| o.tokenizer().to_owned())
            }
            _ => None,
        };
        if analyzer.as_deref() != Some(ANALYZER) {
            tracing::info!(dir = %dir.display(), ?analyzer, "keyword index written with another analysis; rebuilding it");
            return Ok(None);
        }
        let this = Self::from_index(index, fields, BTreeSet::new())?;
        let ids = this.stored_ids()?;
        if Fingerprint::of_ids(ids.iter().copied()) != *expected {
            tracing::warn!(dir = %dir.display(), "keyword index holds other chunks than its commit says; rebuilding it");
            return Ok(None);
        }
        *lock(&this.ids) = ids;
        Ok(Some(this))
    }

    /// Starts a new, empty index in `dir`, replacing whatever was there.
    pub fn build(dir: &Path) -> Result<KeywordBuilder> {
        Self::delete(dir);
        std::fs::create_dir_all(dir).map_err(|e| internal(format!("creating {}: {e}", dir.display())))?;
        let (schema, fields) = schema();
        let index = Index::create_in_dir(dir, schema).map_err(tantivy_error)?;
        register(&index);
        // Tantivy's indexing and merging threads start with the writer and inherit the priority of
        // the thread that starts them: a short-lived one at background priority, so that a
        // rebuild (seconds at 100k chunks) yields the cores to searches.
        let writer = std::thread::scope(|s| {
            s.spawn(|| {
                webplus_ann::background_priority();
                index.writer_with_num_threads(1, BUILD_BUDGET)
            })
            .join()
        })
        .map_err(|_| internal("starting the index writer panicked".into()))?
        .map_err(tantivy_error)?;
        Ok(KeywordBuilder { index, writer, fields, ids: BTreeSet::new() })
    }

    /// Removes an index's directory (its knowledge base was deleted, or it is rebuilt).
    pub fn delete(dir: &Path) {
        if let Err(e) = std::fs::remove_dir_all(dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(dir = %dir.display(), error = %e, "deleting a keyword index failed");
        }
    }

    fn from_index(index: Index, fields: Fields, ids: BTreeSet<u64>) -> tantivy::Result<Self> {
        register(&index);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Self { index, reader, fields, ids: Mutex::new(ids) })
    }

    /// Removes chunks and adds (or replaces) others (id, text), committed before it returns: the
    /// next search sees them, and the commit records the new fingerprint.
    pub fn apply(&self, removed: &[u64], added: &[(u64, String)]) -> Result<()> {
        if removed.is_empty() && added.is_empty() {
            return Ok(());
        }
        let mut ids = lock(&self.ids);
        let writer: IndexWriter = self.index.writer_with_num_threads(1, APPLY_BUDGET).map_err(tantivy_error)?;
        for id in removed.iter().chain(added.iter().map(|(id, _)| id)) {
            writer.delete_term(Term::from_field_u64(self.fields.id, *id));
        }
        for (id, text) in added {
            writer.add_document(self.fields.document(*id, text)).map_err(tantivy_error)?;
        }
        let mut next = ids.clone();
        removed.iter().for_each(|id| {
            next.remove(id);
        });
        next.extend(added.iter().map(|(id, _)| *id));
        commit(writer, &Fingerprint::of_ids(next.iter().copied()))?;
        self.reader.reload().map_err(tantivy_error)?;
        *ids = next;
        Ok(())
    }

    /// The `limit` best chunks for the words of `query` (any of them; BM25), best first. Query
    /// syntax is plain text: only words are read from it.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<(u64, f32)>> {
        let terms = query_terms(query);
        if terms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .map(|t| {
                let term = Term::from_field_text(self.fields.text, t);
                (Occur::Should, Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)) as Box<dyn Query>)
            })
            .collect();
        let searcher = self.reader.searcher();
        let top = searcher
            .search(&BooleanQuery::new(clauses), &TopDocs::with_limit(limit).order_by_score())
            .map_err(tantivy_error)?;
        let mut columns = Vec::new();
        for segment in searcher.segment_readers() {
            columns.push(segment.fast_fields().u64("id").map_err(tantivy_error)?);
        }
        let mut hits: Vec<(u64, f32)> = top
            .into_iter()
            .filter_map(|(score, at)| columns[at.segment_ord as usize].first(at.doc_id).map(|id| (id, score)))
            .collect();
        // Ties go to the older chunk, as the database searches did.
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(hits)
    }

    /// Chunks held.
    pub fn len(&self) -> usize {
        lock(&self.ids).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The fingerprint of the chunks held (what the last commit recorded).
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of_ids(lock(&self.ids).iter().copied())
    }

    /// The ids of the live documents, read from the `id` column.
    fn stored_ids(&self) -> tantivy::Result<BTreeSet<u64>> {
        let searcher = self.reader.searcher();
        let mut ids = BTreeSet::new();
        for segment in searcher.segment_readers() {
            let column = segment.fast_fields().u64("id")?;
            for doc in segment.doc_ids_alive() {
                ids.extend(column.first(doc));
            }
        }
        Ok(ids)
    }
}

impl KeywordBuilder {
    /// Adds chunks (id, text); searchable after [`finish`](Self::finish).
    pub fn add(&mut self, items: &[(u64, String)]) -> Result<()> {
        for (id, text) in items {
            if self.ids.insert(*id) {
                self.writer.add_document(self.fields.document(*id, text)).map_err(tantivy_error)?;
            }
        }
        Ok(())
    }

    /// Commits what was added, with its fingerprint.
    pub fn finish(self) -> Result<KeywordIndex> {
        commit(self.writer, &Fingerprint::of_ids(self.ids.iter().copied()))?;
        KeywordIndex::from_index(self.index, self.fields, self.ids).map_err(tantivy_error)
    }
}

impl Fields {
    fn document(&self, id: u64, text: &str) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_u64(self.id, id);
        doc.add_text(self.text, text);
        doc
    }
}

/// The text a chunk is found by: its heading path and its text.
pub fn keyword_text(heading_path: &str, text: &str) -> String {
    format!("{heading_path}\n{text}")
}

/// The query's distinct terms after analysis (stop words dropped, stemmed), in order.
fn query_terms(query: &str) -> Vec<String> {
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(query);
    let mut terms: Vec<String> = Vec::new();
    while let Some(token) = stream.next() {
        if !terms.contains(&token.text) && terms.len() < MAX_TERMS {
            terms.push(token.text.clone());
        }
    }
    terms
}

fn analyzer() -> TextAnalyzer {
    let builder =
        TextAnalyzer::builder(SimpleTokenizer::default()).filter(RemoveLongFilter::limit(MAX_WORD)).filter(LowerCaser);
    match StopWordFilter::new(Language::English) {
        Some(stop) => builder.filter(stop).filter(Stemmer::new(Language::English)).build(),
        None => builder.filter(Stemmer::new(Language::English)).build(),
    }
}

fn register(index: &Index) {
    index.tokenizers().register(ANALYZER, analyzer());
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let id = builder.add_u64_field("id", INDEXED | FAST);
    let indexing = TextFieldIndexing::default().set_tokenizer(ANALYZER).set_index_option(IndexRecordOption::WithFreqs);
    let text = builder.add_text_field("text", TextOptions::default().set_indexing_options(indexing));
    (builder.build(), Fields { id, text })
}

fn fields(schema: &Schema) -> tantivy::Result<Fields> {
    Ok(Fields { id: schema.get_field("id")?, text: schema.get_field("text")? })
}

/// Commits with the fingerprint as payload and waits for the merges it started, so no thread of
/// this writer outlives the call.
fn commit(mut writer: IndexWriter, fingerprint: &Fingerprint) -> Result<()> {
    let payload = serde_json::to_string(fingerprint).map_err(Error::internal)?;
    let mut prepared = writer.prepare_commit().map_err(tantivy_error)?;
    prepared.set_payload(&payload);
    prepared.commit().map_err(tantivy_error)?;
    writer.wait_merging_threads().map_err(tantivy_error)
}

fn tantivy_error(e: tantivy::TantivyError) -> Error {
    internal(format!("keyword index: {e}"))
}

fn internal(message: String) -> Error {
    Error::internal(anyhow::anyhow!(message))
}

/// A panic while the id set was held cannot leave it half-updated (it is replaced in one
/// assignment): poisoning is ignored.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests;
