//! Decoding of `format: date-time` fields. The build helper points every
//! generated `DateTime<Utc>` field here: the shape servers send
//! (`2024-05-01T12:30:45.123Z`, or with a `±hh:mm` offset) is read directly,
//! anything else is handed to chrono, so what is accepted, and every error,
//! is chrono's (the property tests hold both to that). Kept for the
//! per-call guard: BENCHMARKS.md, "Dates".

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use serde::de::{Deserializer, Error, Visitor};

/// A required `date-time` field.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    deserializer.deserialize_str(Rfc3339)
}

/// An optional (or nullable) `date-time` field; with `#[serde(default)]`
/// beside it, a missing field is `None` as before.
pub fn deserialize_option<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    deserializer.deserialize_option(Optional)
}

struct Rfc3339;

impl Visitor<'_> for Rfc3339 {
    type Value = DateTime<Utc>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an RFC 3339 date and time")
    }

    fn visit_str<E: Error>(self, text: &str) -> Result<DateTime<Utc>, E> {
        parse(text).map_err(E::custom)
    }
}

struct Optional;

impl<'de> Visitor<'de> for Optional {
    type Value = Option<DateTime<Utc>>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an RFC 3339 date and time, or null")
    }

    fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserialize(deserializer).map(Some)
    }
}

/// `text` as chrono's `DateTime<Utc>::from_str` reads it.
pub fn parse(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    match common(text.as_bytes()) {
        Some(parsed) => Ok(parsed),
        None => by_chrono(text),
    }
}

/// `text` as chrono's `DateTime::parse_from_rfc3339` reads it (strict
/// RFC 3339), in UTC: for the dates a facade reads out of a string field.
pub fn parse_rfc3339(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    match common(text.as_bytes()) {
        Some(parsed) => Ok(parsed),
        None => strictly_by_chrono(text),
    }
}

#[cold]
#[inline(never)]
fn strictly_by_chrono(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(text).map(|at| at.with_timezone(&Utc))
}

/// Out of line: chrono's general parser is the rare path here.
#[cold]
#[inline(never)]
fn by_chrono(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    text.parse()
}

/// `YYYY-MM-DDTHH:MM:SS[.digits](Z|±hh:mm)` with every field in range, or
/// `None` for chrono to decide.
fn common(b: &[u8]) -> Option<DateTime<Utc>> {
    let number = |from: usize, to: usize| -> Option<u32> {
        b.get(from..to)?
            .iter()
            .try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(number(0, 4)? as i32, number(5, 7)?, number(8, 10)?)?;
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
    let mut at = 19;
    let mut nanos = 0;
    if b[at] == b'.' {
        at += 1;
        let digits = b[at..].iter().take_while(|c| c.is_ascii_digit()).count();
        // Nine digits are nanoseconds; chrono reads no further.
        if digits == 0 || digits > 9 {
            return None;
        }
        nanos = number(at, at + digits)? * 10u32.pow(9 - digits as u32);
        at += digits;
    }
    let offset = match &b[at..] {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (hours, minutes) = (number(at + 1, at + 3)?, number(at + 4, at + 6)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let seconds = i64::from(hours * 3600 + minutes * 60);
            if *sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    // A leap second (60) is chrono's to read.
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos).filter(|_| second < 60)?;
    let local = NaiveDateTime::new(date, time);
    Some(local.checked_sub_signed(TimeDelta::seconds(offset))?.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chrono(text: &str) -> Result<DateTime<Utc>, String> {
        text.parse::<DateTime<Utc>>().map_err(|e| e.to_string())
    }

    fn strict(text: &str) -> Result<DateTime<Utc>, String> {
        DateTime::parse_from_rfc3339(text).map(|at| at.with_timezone(&Utc)).map_err(|e| e.to_string())
    }

    /// Both readings against chrono's own.
    fn agree(text: &str) -> Result<(), TestCaseError> {
        prop_assert_eq!(parse(text).map_err(|e| e.to_string()), chrono(text), "{}", text);
        prop_assert_eq!(parse_rfc3339(text).map_err(|e| e.to_string()), strict(text), "{}", text);
        Ok(())
    }

    #[test]
    fn reads_what_servers_send_as_chrono_does() {
        for text in [
            "2024-05-01T12:30:45Z",
            "2024-05-01T12:30:45.123Z",
            "2024-05-01T12:30:45.123456789Z",
            "2024-02-29T23:59:59.5+05:30",
            "1970-01-01T00:00:00-23:59",
            "0000-01-01T00:00:00+00:00",
            "9999-12-31T23:59:59-01:00",
        ] {
            assert!(common(text.as_bytes()).is_some(), "{text} takes the direct path");
            agree(text).unwrap();
        }
    }

    #[test]
    fn leaves_every_other_shape_to_chrono() {
        for text in [
            "2024-05-01 12:30:45Z",
            "2024-05-01t12:30:45z",
            "2024-05-01T12:30:60Z",
            "2024-05-01T12:30:45.1234567891Z",
            "2024-05-01T12:30:45+0530",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T12:30:45",
            "2024-05-01T12:30:45Z ",
            "+2024-05-01T12:30:45Z",
            "2024-05-01T12:30:45.Z",
            "",
        ] {
            assert!(common(text.as_bytes()).is_none(), "{text} is chrono's");
            agree(text).unwrap();
        }
    }

    #[test]
    fn decodes_fields_required_optional_and_null() {
        #[derive(Debug, serde::Deserialize)]
        struct Record {
            #[serde(deserialize_with = "deserialize")]
            at: DateTime<Utc>,
            #[serde(default, deserialize_with = "deserialize_option")]
            seen: Option<DateTime<Utc>>,
        }
        let at = chrono("2024-05-01T12:30:45Z").unwrap();
        let full: Record =
            serde_json::from_str(r#"{"at":"2024-05-01T12:30:45Z","seen":"2024-05-01T12:30:45Z"}"#).unwrap();
        assert_eq!((full.at, full.seen), (at, Some(at)));
        let null: Record = serde_json::from_str(r#"{"at":"2024-05-01T12:30:45Z","seen":null}"#).unwrap();
        assert_eq!(null.seen, None);
        let missing: Record = serde_json::from_str(r#"{"at":"2024-05-01T12:30:45Z"}"#).unwrap();
        assert_eq!(missing.seen, None);
        for bad in [r#"{"at":"yesterday"}"#, r#"{"at":17}"#, r#"{"at":null}"#, r#"{"at":"x","seen":5}"#] {
            assert!(serde_json::from_str::<Record>(bad).is_err(), "{bad}");
        }
        let err =
            serde_json::from_str::<Record>(r#"{"at":"2024-05-01T12:30:45Z","seen":"then"}"#).unwrap_err();
        assert!(err.to_string().contains("input contains invalid characters"), "chrono's words: {err}");
    }

    fn field(width: usize, max: u32) -> impl Strategy<Value = String> {
        (0..=max).prop_map(move |n| format!("{n:0width$}"))
    }

    proptest! {
        #[test]
        fn agrees_with_chrono_on_near_misses(
            year in field(4, 9999),
            month in field(2, 13),
            day in field(2, 32),
            separator in prop::sample::select(vec!["T", "t", " ", "x"]),
            hour in field(2, 25),
            minute in field(2, 61),
            second in field(2, 61),
            fraction in prop::option::of("[0-9]{0,11}"),
            offset in prop::sample::select(vec!["Z", "z", "+00:00", "-00:00", "+05:30", "-23:59", "+24:00",
                                                "+12:60", "+0530", "+5:30", "", "Z "]),
        ) {
            let fraction = fraction.map(|f| format!(".{f}")).unwrap_or_default();
            let text = format!("{year}-{month}-{day}{separator}{hour}:{minute}:{second}{fraction}{offset}");
            agree(&text)?;
        }

        #[test]
        fn agrees_with_chrono_on_any_text(text in "[0-9T:.+Z -]{0,32}") {
            agree(&text)?;
        }
    }
}
