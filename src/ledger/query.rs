//! Reading the ledger: who may see which rows, and the totals.

use super::Ledger;
use crate::{
    Error, Result,
    auth::Principal,
    storage::{LedgerFilter, LedgerGroup, LedgerRow, LedgerTotal},
    time::day_to_date,
};

/// Rows one query returns at most.
pub const MAX_ROWS: i64 = 1000;
/// Rows returned when the query does not say.
pub const DEFAULT_ROWS: i64 = 100;

/// Whose usage a query reads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum UsageScope {
    /// The caller's own (the default).
    #[default]
    Mine,
    /// One user's (admins only, unless it is the caller).
    User(String),
    /// Everyone's (admins only).
    Everyone,
}

/// A usage query, as parsed from the request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageQuery {
    pub scope: UsageScope,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub model: Option<String>,
    pub group_by: Option<LedgerGroup>,
    /// Rows to return (1 to [`MAX_ROWS`]; None: [`DEFAULT_ROWS`]). Totals always cover every row.
    pub limit: Option<i64>,
}

/// What a usage query returns: the newest rows (when not grouped) or the groups, and the total.
/// Day groups are keyed by their UTC date (`YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageReport {
    pub detail: UsageDetail,
    pub total: LedgerTotal,
}

/// The newest rows, or the totals per group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsageDetail {
    Rows(Vec<LedgerRow>),
    Groups(Vec<LedgerTotal>),
}

impl Ledger {
    /// The usage `who` may read, including calls recorded just before. `Forbidden` when a non-admin asks for someone else's; `Invalid`
    /// for an empty or reversed time range or a limit out of range.
    pub async fn usage(&self, who: &Principal, q: UsageQuery) -> Result<UsageReport> {
        let user_id = match q.scope {
            UsageScope::Mine => Some(who.user_id.clone()),
            UsageScope::User(id) if id == who.user_id => Some(id),
            UsageScope::User(id) if who.is_admin() => Some(id),
            UsageScope::Everyone if who.is_admin() => None,
            UsageScope::User(_) | UsageScope::Everyone => {
                return Err(Error::Forbidden("only admins can read other users' usage".into()));
            }
        };
        if let (Some(from), Some(to)) = (q.from_ms, q.to_ms)
            && from >= to
        {
            return Err(Error::invalid("to", "must be later than from"));
        }
        let limit = q.limit.unwrap_or(DEFAULT_ROWS);
        if !(1..=MAX_ROWS).contains(&limit) {
            return Err(Error::invalid("limit", format!("give 1 to {MAX_ROWS}")));
        }
        let filter =
            LedgerFilter { user_id, from_ms: q.from_ms, to_ms: q.to_ms, model: q.model, conversation_id: None };
        // Calls that just ended count: what is queued is stored first.
        self.flush().await;
        let db = self.db();
        let total = db.ledger_totals(&filter, None).await?.into_iter().next().unwrap_or_else(super::empty_total);
        let detail = match q.group_by {
            None => UsageDetail::Rows(db.ledger_rows(&filter, limit).await?),
            Some(g) => {
                let mut groups = db.ledger_totals(&filter, Some(g)).await?;
                if g == LedgerGroup::Day {
                    for t in &mut groups {
                        if let Some(date) = t.key.parse().ok().and_then(day_to_date) {
                            t.key = date;
                        }
                    }
                }
                UsageDetail::Groups(groups)
            }
        };
        Ok(UsageReport { detail, total })
    }
}
