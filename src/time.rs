//! Wall-clock helpers. Timestamps are stored as Unix milliseconds (i64) so SQLite and PostgreSQL
//! store and compare them the same way.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
