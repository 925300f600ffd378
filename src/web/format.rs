//! How pages write times: absolute in UTC ("23 Nov 2026, 14:05 UTC") and
//! relative to now ("in 4 minutes", "2 hours ago").

use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// `23 Nov 2026, 14:05 UTC`.
pub fn datetime(at: OffsetDateTime) -> String {
    let format =
        format_description!("[day padding:none] [month repr:short] [year], [hour]:[minute] UTC");
    at.to_offset(UtcOffset::UTC)
        .format(format)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// `14:05 UTC`.
pub fn clock(at: OffsetDateTime) -> String {
    let format = format_description!("[hour]:[minute] UTC");
    at.to_offset(UtcOffset::UTC)
        .format(format)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// `at` relative to `now`: "just now", "in 5 minutes", "3 days ago".
pub fn relative(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let seconds = (at - now).whole_seconds();
    let magnitude = seconds.unsigned_abs();
    if magnitude < 45 {
        return "just now".to_owned();
    }
    let (amount, unit) = match magnitude {
        s if s < 90 * 60 => (((s + 30) / 60).max(1), "minute"),
        s if s < 36 * 3600 => ((s + 1800) / 3600, "hour"),
        s => ((s + 43_200) / 86_400, "day"),
    };
    let counted = count(amount, unit);
    if seconds > 0 {
        format!("in {counted}")
    } else {
        format!("{counted} ago")
    }
}

/// `amount` of `unit`, in the plural unless one: "1 star", "0 stars".
pub fn count(amount: u64, unit: &str) -> String {
    let plural = if amount == 1 { "" } else { "s" };
    format!("{amount} {unit}{plural}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;
    use time::macros::datetime;

    #[test]
    fn counts_are_singular_for_one_only() {
        assert_eq!(count(0, "star"), "0 stars");
        assert_eq!(count(1, "star"), "1 star");
        assert_eq!(count(2, "star"), "2 stars");
        assert_eq!(count(1234, "star"), "1234 stars");
    }

    #[test]
    fn absolute_times_are_written_in_utc() {
        let at = datetime!(2026-11-23 15:05:09 +01:00);
        assert_eq!(datetime(at), "23 Nov 2026, 14:05 UTC");
        assert_eq!(clock(at), "14:05 UTC");
    }

    #[test]
    fn relative_times_read_naturally_both_ways() {
        let now = datetime!(2026-11-23 12:00 UTC);
        assert_eq!(relative(now + Duration::seconds(10), now), "just now");
        assert_eq!(relative(now + Duration::minutes(5), now), "in 5 minutes");
        assert_eq!(relative(now - Duration::seconds(61), now), "1 minute ago");
        assert_eq!(relative(now - Duration::minutes(60), now), "60 minutes ago");
        assert_eq!(relative(now + Duration::hours(3), now), "in 3 hours");
        assert_eq!(relative(now - Duration::days(1), now), "24 hours ago");
        assert_eq!(relative(now - Duration::days(2), now), "2 days ago");
        assert_eq!(relative(now - Duration::days(40), now), "40 days ago");
    }
}
