//! The usage ledger's rows: one per model call (written in batches by `crate::ledger`), read back
//! filtered, or summed per model, user or day.

mod replies;

pub use replies::ReplyUsage;

use super::{Backend, Db, new_id};
use crate::Result;

/// One model call, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LedgerRow {
    pub id: String,
    pub started_at: i64,
    pub user_id: Option<String>,
    pub api_key_id: Option<String>,
    pub knowledge_base_id: Option<String>,
    pub conversation_id: Option<String>,
    pub message_id: Option<String>,
    /// `chat`, `widget`, `api` or `ingest` (the CHECK constraint holds the list).
    pub surface: String,
    pub provider: String,
    pub model: String,
    /// `complete`, `cancelled` or `failed`.
    pub outcome: String,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub ttft_ms: Option<i64>,
    pub duration_ms: i64,
    /// Billionths of a dollar; NULL when the prices or the tokens are unknown.
    pub cost_nano_usd: Option<i64>,
    /// 1 when Web+ counted the tokens because the provider reported none, else 0.
    pub tokens_counted: i64,
}

/// Which rows a ledger query reads. Every field narrows; `user_id: None` reads everyone's (the
/// engine allows that to admins only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerFilter {
    pub user_id: Option<String>,
    /// `started_at >= from_ms`.
    pub from_ms: Option<i64>,
    /// `started_at < to_ms`.
    pub to_ms: Option<i64>,
    pub model: Option<String>,
    /// One chat conversation's rows.
    pub conversation_id: Option<String>,
}

/// What ledger totals are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerGroup {
    Model,
    User,
    /// UTC days, keyed by the day number since the epoch.
    Day,
}

/// Calls and tokens of one group (or of everything).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LedgerTotal {
    /// The model id, the user id (empty for rows without a user), or the UTC day number.
    pub key: String,
    pub calls: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// The summed cost of the priced calls, in billionths of a dollar.
    pub cost_nano_usd: i64,
    /// Calls that used tokens but have no cost (their model's prices are unknown).
    pub unpriced_calls: i64,
}

const COLUMNS: &str = "id, started_at, user_id, api_key_id, knowledge_base_id, conversation_id, message_id, \
     surface, provider, model, outcome, input_tokens, output_tokens, ttft_ms, duration_ms, cost_nano_usd, \
     tokens_counted";

const MS_PER_DAY: i64 = 86_400_000;

/// Rows one INSERT carries: 64 × 17 values stays far below both databases' limits on bound
/// parameters (SQLite 32,766, PostgreSQL 65,535).
const ROWS_PER_INSERT: usize = 64;
/// Values a ledger row binds (the columns of [`COLUMNS`]).
const VALUES_PER_ROW: usize = 17;

/// `($1, …, $17), ($18, …, $34), …` for `rows` rows on PostgreSQL; `(?, …, ?), …` on SQLite.
///
/// SQLite takes `$n` as a named parameter, and sqlx looks each one's name up while binding,
/// which SQLite answers by scanning the statement's list of names: binding a 64-row insert (1,088
/// values) takes on the order of 1,088² / 2 ≈ 600,000 comparisons (`sqlite3_bind_parameter_name`
/// was 4.5% of the server's CPU samples in the TTFT benchmark). Plain `?`s are numbered by
/// position and have no name to look up.
fn placeholders(rows: usize, backend: Backend) -> String {
    let row = |r: usize| {
        let values: Vec<String> = match backend {
            Backend::Postgres => (1..=VALUES_PER_ROW).map(|c| format!("${}", r * VALUES_PER_ROW + c)).collect(),
            Backend::Sqlite => vec!["?".to_owned(); VALUES_PER_ROW],
        };
        format!("({})", values.join(", "))
    };
    (0..rows).map(row).collect::<Vec<_>>().join(", ")
}

impl Db {
    /// Inserts rows in one transaction (ids are assigned here): all of them or none.
    pub async fn insert_ledger_rows(&self, rows: &[LedgerRow]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // Many rows a statement: each statement is a round trip to SQLite's worker thread.
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let sql =
                format!("INSERT INTO usage_ledger ({COLUMNS}) VALUES {}", placeholders(chunk.len(), self.backend()));
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(new_id())
                    .bind(r.started_at)
                    .bind(r.user_id.as_deref())
                    .bind(r.api_key_id.as_deref())
                    .bind(r.knowledge_base_id.as_deref())
                    .bind(r.conversation_id.as_deref())
                    .bind(r.message_id.as_deref())
                    .bind(&r.surface)
                    .bind(&r.provider)
                    .bind(&r.model)
                    .bind(&r.outcome)
                    .bind(r.input_tokens)
                    .bind(r.output_tokens)
                    .bind(r.ttft_ms)
                    .bind(r.duration_ms)
                    .bind(r.cost_nano_usd)
                    .bind(r.tokens_counted);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The newest `limit` rows the filter selects, newest first.
    pub async fn ledger_rows(&self, filter: &LedgerFilter, limit: i64) -> Result<Vec<LedgerRow>> {
        let (clause, binds) = where_clause(filter);
        let sql = format!(
            "SELECT {COLUMNS} FROM usage_ledger{clause} ORDER BY started_at DESC, id DESC LIMIT ${}",
            binds.len() + 1
        );
        let mut q = sqlx::query_as(&sql);
        for b in &binds {
            q = bind(q, b);
        }
        Ok(q.bind(limit).fetch_all(self.pool()).await?)
    }

    /// Totals of the rows the filter selects: one per group, ordered by key, or one overall total
    /// (key "") when `group` is None.
    pub async fn ledger_totals(&self, filter: &LedgerFilter, group: Option<LedgerGroup>) -> Result<Vec<LedgerTotal>> {
        let key = match group {
            None => "''".to_owned(),
            Some(LedgerGroup::Model) => "model".to_owned(),
            Some(LedgerGroup::User) => "COALESCE(user_id, '')".to_owned(),
            Some(LedgerGroup::Day) => format!("CAST(started_at / {MS_PER_DAY} AS TEXT)"),
        };
        let (clause, binds) = where_clause(filter);
        // SUM is NUMERIC on PostgreSQL: cast back to a 64-bit integer on both databases.
        let sql = format!(
            "SELECT {key} AS key, COUNT(*) AS calls, \
             CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT) AS input_tokens, \
             CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT) AS output_tokens, \
             CAST(COALESCE(SUM(cost_nano_usd), 0) AS BIGINT) AS cost_nano_usd, \
             CAST(COALESCE(SUM(CASE WHEN cost_nano_usd IS NULL AND input_tokens IS NOT NULL THEN 1 ELSE 0 END), 0) \
             AS BIGINT) AS unpriced_calls \
             FROM usage_ledger{clause}{}",
            if group.is_some() { format!(" GROUP BY {key} ORDER BY {key}") } else { String::new() }
        );
        let mut q = sqlx::query_as(&sql);
        for b in &binds {
            q = bind(q, b);
        }
        Ok(q.fetch_all(self.pool()).await?)
    }
}

/// A value bound to one of the filter's placeholders.
enum Bind<'a> {
    Text(&'a str),
    Int(i64),
}

/// The filter's WHERE clause, numbered from $1 in the order of the returned values.
fn where_clause(f: &LedgerFilter) -> (String, Vec<Bind<'_>>) {
    let mut conds = Vec::new();
    let mut binds = Vec::new();
    if let Some(u) = &f.user_id {
        binds.push(Bind::Text(u));
        conds.push(format!("user_id = ${}", binds.len()));
    }
    if let Some(from) = f.from_ms {
        binds.push(Bind::Int(from));
        conds.push(format!("started_at >= ${}", binds.len()));
    }
    if let Some(to) = f.to_ms {
        binds.push(Bind::Int(to));
        conds.push(format!("started_at < ${}", binds.len()));
    }
    if let Some(m) = &f.model {
        binds.push(Bind::Text(m));
        conds.push(format!("model = ${}", binds.len()));
    }
    if let Some(c) = &f.conversation_id {
        binds.push(Bind::Text(c));
        conds.push(format!("conversation_id = ${}", binds.len()));
    }
    let clause = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
    (clause, binds)
}

fn bind<'q, O>(
    q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    b: &'q Bind<'q>,
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
    match b {
        Bind::Text(s) => q.bind(*s),
        Bind::Int(i) => q.bind(*i),
    }
}

#[cfg(test)]
mod tests;
