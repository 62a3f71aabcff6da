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

/// Unix milliseconds of an RFC 3339 timestamp (`2024-06-04T14:38:31.83753-07:00`,
/// `2023-08-04T19:22:45.499127Z`: any fraction, `Z` or an offset); None if it is not one.
pub fn rfc3339_to_ms(text: &str) -> Option<i64> {
    let (date, rest) = text.split_once(['T', 't', ' '])?;
    let day_ms = date_start_ms(date)?;
    let clock_end = rest.find(['Z', 'z', '+', '-'])?;
    let (clock, zone) = rest.split_at(clock_end);
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut parts = hms.split(':').map(|p| if p.len() == 2 { p.parse::<i64>().ok() } else { None });
    let (h, m, sec) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() || h > 23 || m > 59 || sec > 60 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let millis = fraction.bytes().chain(std::iter::repeat(b'0')).take(3).fold(0, |n, d| n * 10 + i64::from(d - b'0'));
    let offset_ms = match zone {
        "Z" | "z" => 0,
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (oh, om) = zone[1..].split_once(':')?;
            let (oh, om) = (oh.parse::<i64>().ok()?, om.parse::<i64>().ok()?);
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 60 + om) * 60_000
        }
    };
    Some(day_ms + ((h * 60 + m) * 60 + sec) * 1000 + millis - offset_ms)
}

/// An RFC 3339 UTC timestamp with nanoseconds (Go's format for `time.Time` in JSON) of Unix
/// milliseconds.
pub fn ms_to_rfc3339(ms: i64) -> String {
    let day = ms.div_euclid(MS_PER_DAY);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let date = day_to_date(day).unwrap_or_else(|| "9999-12-31".to_owned());
    let (h, m, s, milli) = (in_day / 3_600_000, in_day / 60_000 % 60, in_day / 1000 % 60, in_day % 1000);
    format!("{date}T{h:02}:{m:02}:{s:02}.{milli:03}000000Z")
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

    #[test]
    fn rfc3339_timestamps_convert_both_ways_with_offsets_and_fractions() {
        let utc = date_start_ms("2024-06-04").unwrap_or_default() + ((21 * 60 + 38) * 60 + 31) * 1000 + 837;
        assert_eq!(rfc3339_to_ms("2024-06-04T14:38:31.83753-07:00"), Some(utc));
        assert_eq!(rfc3339_to_ms("2024-06-04T21:38:31.837Z"), Some(utc));
        assert_eq!(rfc3339_to_ms("2024-06-05T00:38:31.8379+03:00"), Some(utc));
        assert_eq!(ms_to_rfc3339(utc), "2024-06-04T21:38:31.837000000Z");
        assert_eq!(rfc3339_to_ms(&ms_to_rfc3339(utc)), Some(utc));
        for bad in ["2024-06-04", "2024-06-04T25:00:00Z", "2024-06-04T10:00:00", "2024-06-04T10:00Z", ""] {
            assert_eq!(rfc3339_to_ms(bad), None, "{bad}");
        }
    }
}
