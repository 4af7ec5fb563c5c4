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

/// The RFC 3339 text, in UTC with milliseconds, of a time given as milliseconds since the
/// epoch (as Kafka and many JSON logs store it).
pub fn from_epoch_millis(millis: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp_millis(millis)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn epoch_millis_become_rfc3339() {
        assert_eq!(
            from_epoch_millis(1_700_000_000_123).unwrap(),
            "2023-11-14T22:13:20.123Z"
        );
    }
}
