//! Argument checks made before anything is sent. Each names the field.

use crate::error::Result;
use crate::provider::Op;

/// A plausible email address: one `@`, a non-empty local part, a dotted
/// domain, no whitespace or control characters.
pub(crate) fn email(op: Op, field: &str, value: &str) -> Result<()> {
    let problem = if value.is_empty() {
        Some("is empty")
    } else if value.len() > 254 {
        Some("is longer than 254 characters")
    } else if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("contains whitespace or control characters")
    } else {
        match value.rsplit_once('@') {
            None => Some("is not an email address (no `@`)"),
            Some((local, domain)) => {
                // A second `@` is legal only in a quoted local part, which no vendor takes.
                if local.is_empty() || local.len() > 64 || local.contains('@') {
                    Some("is not an email address (bad part before `@`)")
                } else if !domain.contains('.')
                    || domain.starts_with('.')
                    || domain.ends_with('.')
                    || domain.contains("..")
                    || domain.contains('@')
                {
                    Some("is not an email address (bad domain)")
                } else {
                    None
                }
            }
        }
    };
    problem.map_or(Ok(()), |p| Err(op.invalid(field, p)))
}

/// A non-empty value with no control characters.
pub(crate) fn text(op: Op, field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        Err(op.invalid(field, "is empty"))
    } else if value.chars().any(char::is_control) {
        Err(op.invalid(field, "contains control characters"))
    } else {
        Ok(())
    }
}

/// The longest value accountkit puts in a URL, as one path segment or one
/// query value: with percent-encoding (up to three bytes a byte) it stays
/// inside the request line common servers accept.
pub(crate) const MAX_URL_VALUE: usize = 2048;

/// A value that travels as one path segment: non-empty, at most
/// [`MAX_URL_VALUE`] bytes, no whitespace or control characters, and not `.`
/// or `..`, which URL parsers fold away even when percent-encoded. The
/// message never repeats the value (it may be a token).
pub(crate) fn path_segment(op: Op, field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        Err(op.invalid(field, "is empty"))
    } else if value.len() > MAX_URL_VALUE {
        Err(too_long_for_a_url(op, field))
    } else if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err(op.invalid(field, "contains whitespace or control characters"))
    } else if value == "." || value == ".." {
        Err(op.invalid(field, "cannot be `.` or `..`"))
    } else {
        Ok(())
    }
}

fn too_long_for_a_url(op: Op, field: &str) -> crate::Error {
    op.invalid(field, &format!("is longer than the {MAX_URL_VALUE} bytes accountkit sends in a URL"))
}

/// A value sent in the query string: at most [`MAX_URL_VALUE`] bytes, no
/// control characters.
pub(crate) fn query_value(op: Op, field: &str, value: &str) -> Result<()> {
    if value.len() > MAX_URL_VALUE {
        Err(too_long_for_a_url(op, field))
    } else if value.chars().any(char::is_control) {
        Err(op.invalid(field, "contains control characters"))
    } else {
        Ok(())
    }
}

/// A credential or id sent as a header value: visible ASCII only (servers
/// cannot read other bytes there), not blank, and not longer than
/// accountkit sends in a header.
pub(crate) fn header(op: Op, field: &str, value: &str) -> Result<()> {
    accountkit_runtime::InvalidCredential::check(value).map_err(|why| op.invalid(field, why.problem()))
}

/// A base URL: http or https with a host, no query, fragment or
/// credentials. Returned without a trailing `/`.
pub(crate) fn base_url(op: Op, field: &str, url: &str) -> Result<String> {
    let parsed = url::Url::parse(url).map_err(|_| op.invalid(field, "is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(op.invalid(field, "must be an http or https URL with a host"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(op.invalid(field, "cannot have a query or fragment"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(op.invalid(field, "cannot carry credentials"));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

/// A secret sent in a header or body: non-empty, no control characters.
pub(crate) fn secret(op: Op, field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        Err(op.invalid(field, "is empty"))
    } else if value.chars().any(char::is_control) {
        Err(op.invalid(field, "contains control characters"))
    } else {
        Ok(())
    }
}

/// A one-time code: 4 to 10 ASCII digits.
pub(crate) fn pin(op: Op, field: &str, value: &str) -> Result<()> {
    if !(4..=10).contains(&value.len()) || !value.bytes().all(|b| b.is_ascii_digit()) {
        Err(op.invalid(field, "must be 4 to 10 digits"))
    } else {
        Ok(())
    }
}

/// An international phone number: `+`, then 6 to 15 digits.
pub(crate) fn phone(op: Op, field: &str, value: &str) -> Result<()> {
    let digits = value.strip_prefix('+').unwrap_or("");
    if !(6..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        Err(op.invalid(field, "must be `+` followed by 6 to 15 digits, e.g. +5511999998888"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OP: Op = Op { provider: "p", name: "o" };

    #[test]
    fn emails() {
        for good in ["a@b.co", "user+tag@example.com", "x.y@sub.example.org"] {
            assert!(email(OP, "email", good).is_ok(), "{good}");
        }
        for bad in
            ["", "plain", "@example.com", "a@b", "a@.com", "a@b..com", "a b@c.com", "a@b.com\n", "a@@b.com"]
        {
            let err = email(OP, "email", bad).unwrap_err();
            assert!(err.message().starts_with("`email` "), "{bad}: {err}");
        }
    }

    #[test]
    fn pins_phones_and_segments() {
        assert!(pin(OP, "pin", "123456").is_ok());
        assert!(pin(OP, "pin", "12a456").is_err());
        assert!(pin(OP, "pin", "123").is_err());
        assert!(phone(OP, "phone", "+5511999998888").is_ok());
        assert!(phone(OP, "phone", "5511999998888").is_err());
        assert!(phone(OP, "phone", "+55 11").is_err());
        assert!(path_segment(OP, "token", "a/../b").is_ok());
        assert!(path_segment(OP, "token", "..").is_err());
        assert!(path_segment(OP, "token", "a b").is_err());
        let err = secret(OP, "password", "").unwrap_err();
        assert_eq!(err.message(), "`password` is empty");
        assert!(path_segment(OP, "token", &"t".repeat(MAX_URL_VALUE)).is_ok());
        let err = path_segment(OP, "token", &"t".repeat(MAX_URL_VALUE + 1)).unwrap_err();
        assert!(err.message().starts_with("`token` is longer than"), "{err}");
        assert!(query_value(OP, "filter", &"f".repeat(MAX_URL_VALUE + 1)).is_err());
        assert!(query_value(OP, "filter", "a\nb").is_err());
    }

    #[test]
    fn header_values_are_visible_ascii() {
        assert!(header(OP, "token", "tok-123.ABC_~").is_ok());
        for bad in ["", "   ", "tok 123", "tók", "tok\t1", "\u{7f}x"] {
            let err = header(OP, "token", bad).unwrap_err();
            assert!(err.message().starts_with("`token` "), "{bad:?}: {err}");
        }
        let err = header(OP, "token", &"t".repeat(5000)).unwrap_err();
        assert!(err.message().contains("4096"), "{err}");
    }
}
