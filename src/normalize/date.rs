//! Dates to UTC.
//!
//! feed-rs hands every date string to [`parse`] (see `parse::DateParser`).
//! It reads RFC 3339 and RFC 2822 (with the usual sloppiness: missing day
//! name or seconds, zone names such as `MSK`), ISO-like dates without a zone,
//! Russian-style numeric dates (`21.08.2019, 15:41`) and dates with Russian
//! or Kazakh month names (`21 августа 2019`, `21 тамыз 2019 15:41`). A date
//! without an offset is read in the configured zone (`Asia/Almaty` by
//! default). [`settle`] replaces a missing, implausible or future date with
//! the first-seen time.

use chrono::{DateTime, Datelike, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Parses a date string; zone-less dates are read in `tz`.
pub fn parse(raw: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Some(d) = rfc2822(s, tz) {
        return Some(d);
    }
    if let Some(d) = numeric(s, tz) {
        return Some(d);
    }
    with_month_name(s, tz)
}

/// How far ahead of the fetch time an item's date may be (seconds): a
/// publisher's clock a little fast, not a story dated tomorrow.
pub const MAX_AHEAD_SECS: i64 = 600;

/// A parsed date, or the first-seen time when it is missing, before 1990
/// or more than [`MAX_AHEAD_SECS`] ahead of `now`.
pub fn settle(parsed: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    match parsed {
        Some(d) if d <= now + Duration::seconds(MAX_AHEAD_SECS) && d.year() >= 1990 => d,
        _ => now,
    }
}

const ZONES: &[(&str, i32)] = &[
    ("MSK", 3),
    ("MSD", 4),
    ("ALMT", 5),
    ("QYZT", 5),
    ("AQTT", 5),
    ("ORAT", 5),
    ("KST", 9),
    ("CET", 1),
    ("CEST", 2),
    ("EET", 2),
    ("EEST", 3),
    ("UTC", 0),
];

fn rfc2822(s: &str, tz: Tz) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    // Replace a trailing zone name chrono does not know by its offset.
    let (head, last) = s.rsplit_once(' ')?;
    if let Some((_, hours)) = ZONES.iter().find(|(name, _)| last.eq_ignore_ascii_case(name)) {
        let fixed = format!("{head} {}{:02}00", if *hours < 0 { '-' } else { '+' }, hours.abs());
        if let Ok(d) = DateTime::parse_from_rfc2822(&fixed) {
            return Some(d.with_timezone(&Utc));
        }
    }
    // No zone at all: read it in the local zone.
    let without_day = s.split_once(", ").map_or(s, |(_, rest)| rest);
    for fmt in ["%d %b %Y %H:%M:%S", "%d %b %Y %H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(without_day, fmt) {
            return local(n, tz);
        }
    }
    None
}

fn numeric(s: &str, tz: Tz) -> Option<DateTime<Utc>> {
    const WITH_OFFSET: &[&str] = &["%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%:z"];
    for fmt in WITH_OFFSET {
        if let Ok(d) = DateTime::<FixedOffset>::parse_from_str(s, fmt) {
            return Some(d.with_timezone(&Utc));
        }
    }
    const NAIVE: &[&str] = &[
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%d.%m.%Y, %H:%M",
        "%d.%m.%Y %H:%M",
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y, %H:%M:%S",
        "%d.%m.%Y в %H:%M",
        "%H:%M, %d.%m.%Y",
        "%H:%M %d.%m.%Y",
        "%d/%m/%Y %H:%M",
    ];
    for fmt in NAIVE {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            return local(n, tz);
        }
    }
    for fmt in ["%Y-%m-%d", "%d.%m.%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return local(d.and_time(NaiveTime::MIN), tz);
        }
    }
    None
}

/// Month stems in Russian (all cases) and Kazakh.
const MONTHS: &[(&str, u32)] = &[
    ("январ", 1),
    ("феврал", 2),
    ("март", 3),
    ("апрел", 4),
    ("мая", 5),
    ("май", 5),
    ("июн", 6),
    ("июл", 7),
    ("август", 8),
    ("сентябр", 9),
    ("октябр", 10),
    ("ноябр", 11),
    ("декабр", 12),
    ("қаңтар", 1),
    ("ақпан", 2),
    ("наурыз", 3),
    ("сәуір", 4),
    ("мамыр", 5),
    ("маусым", 6),
    ("шілде", 7),
    ("тамыз", 8),
    ("қыркүйек", 9),
    ("қазан", 10),
    ("қараша", 11),
    ("желтоқсан", 12),
];

/// `21 августа 2019`, `21 августа 2019 г., 15:41`, `2019 жылғы 21 тамыз 15:41`.
fn with_month_name(s: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let lower = s.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()).collect();
    let month_at = words.iter().position(|w| MONTHS.iter().any(|(stem, _)| w.starts_with(stem)))?;
    let month = MONTHS.iter().find(|(stem, _)| words[month_at].starts_with(stem))?.1;
    let number = |w: &str| w.trim_end_matches(['г', '.']).parse::<i32>().ok();
    let day = month_at.checked_sub(1).and_then(|i| number(words[i]))?;
    let year =
        words.get(month_at + 1).and_then(|w| number(w)).filter(|y| *y > 1900).or_else(|| {
            words[..month_at.saturating_sub(1)].iter().find_map(|w| number(w.trim_end_matches("жылғы")).filter(|y| *y > 1900))
        })?;
    let time = words
        .iter()
        .skip(month_at + 1)
        .find_map(|w| NaiveTime::parse_from_str(w, "%H:%M:%S").or_else(|_| NaiveTime::parse_from_str(w, "%H:%M")).ok())
        .unwrap_or(NaiveTime::MIN);
    let date = NaiveDate::from_ymd_opt(year, month, u32::try_from(day).ok()?)?;
    local(date.and_time(time), tz)
}

fn local(n: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&n) {
        LocalResult::Single(d) => Some(d.with_timezone(&Utc)),
        LocalResult::Ambiguous(d, _) => Some(d.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let tz = chrono_tz::Asia::Almaty;
        let cases = [
            ("Tue, 29 Sep 2020 15:00:00 +0300", "2020-09-29T12:00:00Z"),
            ("2020-09-29T15:00:00+03:00", "2020-09-29T12:00:00Z"),
            ("29 Sep 2020 15:00:00 MSK", "2020-09-29T12:00:00Z"),
            ("Tue, 29 Sep 2020 15:00:00", "2020-09-29T09:00:00Z"),
            // Almaty was UTC+6 in 2019 and is UTC+5 since March 2024.
            ("21.08.2019, 15:41", "2019-08-21T09:41:00Z"),
            ("2019-08-21 15:41:00", "2019-08-21T09:41:00Z"),
            ("2025-08-21 15:41:00", "2025-08-21T10:41:00Z"),
            ("21 августа 2019", "2019-08-20T18:00:00Z"),
            ("21 августа 2019 г., 15:41", "2019-08-21T09:41:00Z"),
            ("2019 жылғы 21 тамыз 15:41", "2019-08-21T09:41:00Z"),
            ("1 мая 2020 10:00", "2020-05-01T04:00:00Z"),
        ];
        for (input, want) in cases {
            let got = parse(input, tz).map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
            assert_eq!(got.as_deref(), Some(want), "{input:?}");
        }
        for bad in ["", "вчера", "32.13.2019", "not a date", "31 февраля 2019"] {
            assert_eq!(parse(bad, tz), None, "{bad:?}");
        }
    }

    #[test]
    fn settle_table() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        let past = Utc.with_ymd_and_hms(2025, 12, 31, 0, 0, 0).unwrap();
        assert_eq!(settle(Some(past), now), past);
        assert_eq!(settle(None, now), now);
        assert_eq!(settle(Some(now + Duration::minutes(5)), now), now + Duration::minutes(5));
        assert_eq!(settle(Some(now + Duration::hours(2)), now), now);
        assert_eq!(settle(Some(Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap()), now), now);
    }
}
