//! The dates a facade reads out of string fields. Generated `date-time`
//! fields decode through chrono's own `Deserialize`.

use chrono::{DateTime, Utc};

/// `text` as chrono's `DateTime::parse_from_rfc3339` reads it (strict
/// RFC 3339), in UTC.
pub fn parse_rfc3339(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(text).map(|at| at.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_strict_rfc3339_in_utc() {
        let at = parse_rfc3339("2024-05-01T12:30:45.123+02:00").unwrap();
        assert_eq!(at.to_rfc3339(), "2024-05-01T10:30:45.123+00:00");
        assert!(parse_rfc3339("2024-05-01T12:30:45").is_err(), "an offset is required");
        assert!(parse_rfc3339("yesterday").is_err());
    }
}
