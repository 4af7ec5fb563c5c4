//! Event times: RFC 3339 text kept as written, and the instant it names for ordering and
//! "state at time T" queries.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

/// Nanoseconds since the Unix epoch, UTC.
pub type Instant = i64;

/// The instant an RFC 3339 time names. Times without a zone (message-db writes UTC without
/// one) are read as UTC; a bare date is its midnight UTC. `None` if `text` is no such time or
/// lies outside the years 1678–2262.
pub fn parse_instant(text: &str) -> Option<Instant> {
    let text = text.trim();
    if let Some(instant) = quick_rfc3339(text.as_bytes()) {
        return Some(instant);
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return time.timestamp_nanos_opt();
    }
    for layout in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(time) = NaiveDateTime::parse_from_str(text, layout) {
            return time.and_utc().timestamp_nanos_opt();
        }
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_nanos_opt()
}

/// The common shape of event times, `2024-03-01T10:15:00.123Z`, with an offset or without a
/// zone (UTC, as message-db and PostgreSQL's `timestamp` write them), read without chrono's
/// general parser (indexing reads millions of them). `None` for any other
/// shape or an out-of-range field; chrono then decides. Tests hold it to chrono's answers.
fn quick_rfc3339(b: &[u8]) -> Option<Instant> {
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<i64> {
        b.get(from..to)?.iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0;
    if b.get(at) == Some(&b'.') {
        let digits = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 || digits > 9 {
            return None;
        }
        nanos = number(at + 1, at + 1 + digits)? * 10i64.pow(9 - digits as u32);
        at += 1 + digits;
    }
    let offset = match &b[at..] {
        [b'Z'] | [] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (hours, minutes) = (number(at + 1, at + 3)?, number(at + 4, at + 6)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let seconds = hours * 3600 + minutes * 60;
            if *sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    let seconds =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    seconds.checked_mul(1_000_000_000)?.checked_add(nanos)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given date of the proleptic Gregorian calendar (Howard
/// Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The RFC 3339 text, in UTC with milliseconds, of a time given as milliseconds since the
/// epoch (as Kafka and many JSON logs store it).
pub fn from_epoch_millis(millis: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp_millis(millis)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// An instant as `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds, rounded down).
pub fn format_seconds(instant: Instant) -> String {
    let seconds = instant.div_euclid(1_000_000_000);
    DateTime::<Utc>::from_timestamp(seconds, 0).map_or_else(
        || instant.to_string(),
        |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

/// A duration written as a whole number and a unit, `30s`, `15m`, `1h`, `1d`, in nanoseconds;
/// `None` for anything else, zero, or more than a century.
pub fn parse_duration(text: &str) -> Option<u64> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let unit: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return None,
    };
    let seconds = number.parse::<u64>().ok()?.checked_mul(unit)?;
    (1..=100 * 366 * 86_400)
        .contains(&seconds)
        .then(|| seconds * 1_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_whole_seconds() {
        assert_eq!(parse_duration("30s"), Some(30_000_000_000));
        assert_eq!(parse_duration("15m"), Some(900_000_000_000));
        assert_eq!(parse_duration("1h"), Some(3_600_000_000_000));
        assert_eq!(parse_duration("1d"), Some(86_400_000_000_000));
        for bad in ["", "h", "0s", "1", "1w", "1.5h", "-1h", "99999999999999d"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        let at = parse_instant("2024-03-01T10:15:07.9Z").unwrap();
        assert_eq!(format_seconds(at), "2024-03-01T10:15:07Z");
    }

    #[test]
    fn zones_and_precision_name_the_same_instant() {
        let a = parse_instant("2024-03-01T10:15:00Z").unwrap();
        assert_eq!(parse_instant("2024-03-01T11:15:00+01:00"), Some(a));
        assert_eq!(parse_instant("2024-03-01T10:15:00.000000001Z"), Some(a + 1));
        assert_eq!(parse_instant("2024-03-01 10:15:00Z"), Some(a));
        assert_eq!(
            parse_instant("2024-03-01T10:15:00.000"),
            Some(a),
            "no zone means UTC"
        );
        assert_eq!(
            parse_instant("2024-03-01"),
            parse_instant("2024-03-01T00:00:00Z")
        );
        assert_eq!(parse_instant("yesterday"), None);
        assert_eq!(parse_instant("9999-01-01T00:00:00Z"), None);
    }

    proptest::proptest! {
        /// The quick reader agrees with chrono wherever it answers, and answers for the
        /// usual shapes.
        #[test]
        fn quick_times_agree_with_chrono(
            secs in -9_000_000_000i64..9_000_000_000,
            nanos in 0u32..1_000_000_000,
            digits in 0usize..10,
            offset_minutes in -1439i32..1440,
            zone_kind in 0u8..3,
        ) {
            let time = DateTime::from_timestamp(secs, nanos).unwrap();
            let zone = if zone_kind == 0 {
                "Z".to_owned()
            } else if zone_kind == 2 {
                String::new()
            } else {
                let sign = if offset_minutes < 0 { '-' } else { '+' };
                let m = offset_minutes.unsigned_abs();
                format!("{sign}{:02}:{:02}", m / 60, m % 60)
            };
            let fraction = if digits == 0 {
                String::new()
            } else {
                format!(".{}", &format!("{nanos:09}")[..digits])
            };
            let text = format!("{}{fraction}{zone}", time.format("%Y-%m-%dT%H:%M:%S"));
            let chrono = if zone.is_empty() {
                NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f").ok().and_then(|t| t.and_utc().timestamp_nanos_opt())
            } else {
                DateTime::parse_from_rfc3339(&text).ok().and_then(|t| t.timestamp_nanos_opt())
            };
            let quick = quick_rfc3339(text.as_bytes());
            proptest::prop_assert!(quick.is_some() || chrono.is_none(), "{}", text);
            proptest::prop_assert_eq!(quick, chrono, "{}", text);
        }
    }

    #[test]
    fn quick_times_leave_odd_shapes_to_chrono() {
        for odd in [
            "2024-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-03-01T10:15:60Z",
            "2024-03-01t10:15:00z",
            "2024-03-01T10:15:00.Z",
            "2024-03-01T10:15:00.1234567891Z",
            "2024-03-01T10:15:00+0100",
            "2024-03-01T10:15",
        ] {
            assert_eq!(quick_rfc3339(odd.as_bytes()), None, "{odd}");
        }
        assert_eq!(
            quick_rfc3339(b"2024-02-29T23:59:59.5-01:30"),
            DateTime::parse_from_rfc3339("2024-02-29T23:59:59.5-01:30")
                .ok()
                .and_then(|t| t.timestamp_nanos_opt())
        );
    }

    #[test]
    fn epoch_millis_become_rfc3339() {
        assert_eq!(
            from_epoch_millis(1_700_000_000_123).unwrap(),
            "2023-11-14T22:13:20.123Z"
        );
    }
}
