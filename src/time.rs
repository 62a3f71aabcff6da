//! Wall-clock helpers. Timestamps are stored as Unix milliseconds (i64) so SQLite and PostgreSQL
//! store and compare them the same way.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

const MS_PER_DAY: i64 = 86_400_000;
/// The Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// The UTC calendar date (`YYYY-MM-DD`) of a day number counted from the Unix epoch.
pub fn day_to_date(day: i64) -> Option<String> {
    let julian = i32::try_from(day + UNIX_EPOCH_JULIAN_DAY).ok()?;
    let d = time::Date::from_julian_day(julian).ok()?;
    Some(format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
}

/// Unix milliseconds of UTC midnight starting a `YYYY-MM-DD` date; None if it is not one.
pub fn date_start_ms(date: &str) -> Option<i64> {
    let mut parts = date.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    let date = time::Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()?;
    Some((i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY) * MS_PER_DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_dates_convert_both_ways() {
        assert_eq!(day_to_date(0).as_deref(), Some("1970-01-01"));
        assert_eq!(day_to_date(20_000).as_deref(), Some("2024-10-04"));
        assert_eq!(date_start_ms("2024-10-04"), Some(20_000 * MS_PER_DAY));
        assert_eq!(date_start_ms("2024-02-29"), Some(19_782 * MS_PER_DAY));
        for bad in ["2023-02-29", "2024-13-01", "24-10-04", "2024-10-04T00:00", "yesterday", ""] {
            assert_eq!(date_start_ms(bad), None, "{bad}");
        }
    }
}
