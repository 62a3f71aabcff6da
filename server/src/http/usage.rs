//! `GET /api/v1/usage`: the caller's usage ledger (admins: anyone's), as rows or grouped totals.
//! Documented in docs/API.md.

use std::collections::HashMap;

use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use webplus::{
    ledger::{UsageDetail, UsageQuery, UsageReport, UsageScope},
    storage::{LedgerGroup, LedgerRow, LedgerTotal},
    time::date_start_ms,
};

use super::{ApiError, Authenticated, error::request_id};
use crate::state::AppState;

const PARAMS: [&str; 6] = ["user", "from", "to", "model", "group_by", "limit"];

pub async fn usage(
    State(state): State<AppState>,
    Authenticated(me): Authenticated,
    headers: HeaderMap,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::invalid("invalid_query", e.body_text()))?;
    let query = parse(&params)?;
    let report =
        state.services.ledger.usage(&me, query).await.map_err(|e| ApiError::from_engine(e, &request_id(&headers)))?;
    Ok(Json(UsageBody::from(report)).into_response())
}

fn parse(params: &HashMap<String, String>) -> Result<UsageQuery, ApiError> {
    if let Some(unknown) = params.keys().find(|k| !PARAMS.contains(&k.as_str())) {
        return Err(ApiError::invalid(
            "invalid_query",
            format!("unknown parameter {unknown:?}; the parameters are {}", PARAMS.join(", ")),
        ));
    }
    let get = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let scope = match get("user") {
        None => UsageScope::Mine,
        Some("all") => UsageScope::Everyone,
        Some(id) => UsageScope::User(id.to_owned()),
    };
    let group_by = match get("group_by") {
        None => None,
        Some("model") => Some(LedgerGroup::Model),
        Some("user") => Some(LedgerGroup::User),
        Some("day") => Some(LedgerGroup::Day),
        Some(other) => {
            return Err(ApiError::invalid("invalid_value", format!("group_by: {other:?} is not model, user or day")));
        }
    };
    let limit = match get("limit") {
        None => None,
        Some(v) => {
            Some(v.parse().map_err(|_| ApiError::invalid("invalid_value", format!("limit: {v:?} is not a number")))?)
        }
    };
    Ok(UsageQuery {
        scope,
        from_ms: time(get("from"), "from")?,
        to_ms: time(get("to"), "to")?,
        model: get("model").map(str::to_owned),
        group_by,
        limit,
    })
}

/// `from`/`to`: Unix seconds, or a UTC date `YYYY-MM-DD` (its midnight).
fn time(value: Option<&str>, name: &str) -> Result<Option<i64>, ApiError> {
    let Some(v) = value else { return Ok(None) };
    if let Ok(secs) = v.parse::<i64>() {
        return secs
            .checked_mul(1000)
            .map(Some)
            .ok_or_else(|| ApiError::invalid("invalid_value", format!("{name}: out of range")));
    }
    date_start_ms(v).map(Some).ok_or_else(|| {
        ApiError::invalid("invalid_value", format!("{name}: {v:?} is neither Unix seconds nor a date like 2026-11-30"))
    })
}

/// The response: rows (newest first) when not grouped, otherwise groups; always the total.
#[derive(Serialize)]
struct UsageBody {
    object: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<Vec<Call>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    groups: Option<Vec<Total>>,
    total: Total,
}

impl From<UsageReport> for UsageBody {
    fn from(r: UsageReport) -> Self {
        let (data, groups) = match r.detail {
            UsageDetail::Rows(rows) => (Some(rows.into_iter().map(Call::from).collect()), None),
            UsageDetail::Groups(groups) => (None, Some(groups.into_iter().map(Total::from).collect())),
        };
        Self { object: "usage", data, groups, total: Total::from(r.total) }
    }
}

/// One model call. Times are Unix seconds (`created`), durations milliseconds.
#[derive(Serialize)]
struct Call {
    id: String,
    created: i64,
    user_id: Option<String>,
    api_key_id: Option<String>,
    knowledge_base_id: Option<String>,
    conversation_id: Option<String>,
    message_id: Option<String>,
    surface: String,
    provider: String,
    model: String,
    outcome: String,
    input_tokens: Option<i64>,
    output_tokens: Option<i64>,
    /// True when Web+ counted the tokens because the provider reported none.
    tokens_counted: bool,
    ttft_ms: Option<i64>,
    duration_ms: i64,
    /// US dollars at the model's list prices; null when they are unknown.
    cost_usd: Option<f64>,
}

/// Billionths of a dollar as dollars.
fn usd(nanos: i64) -> f64 {
    nanos as f64 / 1e9
}

impl From<LedgerRow> for Call {
    fn from(r: LedgerRow) -> Self {
        Self {
            id: r.id,
            created: r.started_at / 1000,
            user_id: r.user_id,
            api_key_id: r.api_key_id,
            knowledge_base_id: r.knowledge_base_id,
            conversation_id: r.conversation_id,
            message_id: r.message_id,
            surface: r.surface,
            provider: r.provider,
            model: r.model,
            outcome: r.outcome,
            input_tokens: r.input_tokens,
            output_tokens: r.output_tokens,
            tokens_counted: r.tokens_counted != 0,
            ttft_ms: r.ttft_ms,
            duration_ms: r.duration_ms,
            cost_usd: r.cost_nano_usd.map(usd),
        }
    }
}

#[derive(Serialize)]
struct Total {
    /// The group: a model id, a user id, or a UTC date; absent on the overall total.
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    calls: i64,
    input_tokens: i64,
    output_tokens: i64,
    /// The priced calls' cost in US dollars.
    cost_usd: f64,
    /// Calls that used tokens but whose model has no known prices (not in `cost_usd`).
    unpriced_calls: i64,
}

impl From<LedgerTotal> for Total {
    fn from(t: LedgerTotal) -> Self {
        let key = (!t.key.is_empty()).then_some(t.key);
        Self {
            key,
            calls: t.calls,
            input_tokens: t.input_tokens,
            output_tokens: t.output_tokens,
            cost_usd: usd(t.cost_nano_usd),
            unpriced_calls: t.unpriced_calls,
        }
    }
}
