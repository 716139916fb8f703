//! Credentials: the secret strings of generated types, and the header a
//! request carries.

use std::fmt;

use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A secret string in generated request and response types.
///
/// Serialises as the plain string (the server needs it), deserialises from
/// one, and never shows its value through `Debug`. The memory is zeroed on
/// drop.
#[derive(Clone)]
pub struct Sensitive(SecretString);

impl Sensitive {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Sensitive(SecretString::from(value.into()))
    }

    /// The secret itself; every use is easy to find by this name.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Unwraps into the `secrecy` type.
    pub fn into_secret(self) -> SecretString {
        self.0
    }
}

impl From<SecretString> for Sensitive {
    fn from(secret: SecretString) -> Self {
        Sensitive(secret)
    }
}

impl From<&SecretString> for Sensitive {
    fn from(secret: &SecretString) -> Self {
        Sensitive(secret.clone())
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl Serialize for Sensitive {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for Sensitive {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Sensitive::new)
    }
}

/// The credential a raw client sends on operations that need one.
#[derive(Clone, Default)]
pub struct Auth {
    header: Option<(HeaderName, HeaderValue)>,
    secret: Option<SecretString>,
}

/// The longest value accountkit sends in one header: far past any token
/// these APIs issue, and inside what common servers accept (8 KiB).
pub const MAX_HEADER_VALUE: usize = 4096;

/// A credential that cannot be sent as a header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidCredential {
    /// Empty, or only spaces.
    Blank,
    /// A byte that is not visible ASCII (`!` to `~`): a space, a control
    /// character or non-ASCII text, which servers cannot read in a header.
    NotVisibleAscii,
    /// Longer than [`MAX_HEADER_VALUE`].
    TooLong,
}

impl InvalidCredential {
    /// Checks a value bound for a header.
    pub fn check(value: &str) -> Result<(), InvalidCredential> {
        if value.trim().is_empty() {
            Err(InvalidCredential::Blank)
        } else if !value.bytes().all(|b| b.is_ascii_graphic()) {
            Err(InvalidCredential::NotVisibleAscii)
        } else if value.len() > MAX_HEADER_VALUE {
            Err(InvalidCredential::TooLong)
        } else {
            Ok(())
        }
    }

    /// What is wrong, completing "`field` ...".
    pub fn problem(&self) -> &'static str {
        match self {
            InvalidCredential::Blank => "is empty",
            InvalidCredential::NotVisibleAscii => {
                "must be visible ASCII (no spaces, control characters or non-ASCII text) to be sent in a header"
            }
            InvalidCredential::TooLong => "is longer than the 4096 bytes accountkit sends in a header",
        }
    }
}

impl fmt::Display for InvalidCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the credential {}", self.problem())
    }
}

impl std::error::Error for InvalidCredential {}

impl Auth {
    /// No credential: only anonymous operations can be sent.
    pub fn none() -> Self {
        Auth::default()
    }

    /// A credential sent as `name: value`, marked sensitive so HTTP
    /// libraries never log it.
    pub fn header(name: &'static str, value: &str) -> Result<Self, InvalidCredential> {
        InvalidCredential::check(value)?;
        let secret = SecretString::from(value.to_string());
        let mut value = HeaderValue::from_str(value).map_err(|_| InvalidCredential::NotVisibleAscii)?;
        value.set_sensitive(true);
        Ok(Auth { header: Some((HeaderName::from_static(name), value)), secret: Some(secret) })
    }

    /// A credential sent as `Authorization: Bearer <token>`.
    pub fn bearer(token: &str) -> Result<Self, InvalidCredential> {
        InvalidCredential::check(token)?;
        let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| InvalidCredential::NotVisibleAscii)?;
        value.set_sensitive(true);
        let secret = Some(SecretString::from(token.to_string()));
        Ok(Auth { header: Some((reqwest::header::AUTHORIZATION, value)), secret })
    }

    /// The credential itself, e.g. to scrub it from an echoed message.
    pub fn expose_secret(&self) -> Option<&str> {
        self.secret.as_ref().map(|s| s.expose_secret())
    }

    /// Whether a credential is configured.
    pub fn is_some(&self) -> bool {
        self.header.is_some()
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.header.as_ref().map(|(name, _)| name.as_str());
        f.debug_struct("Auth").field("header", &name).finish_non_exhaustive()
    }
}

impl Auth {
    /// The header this credential is sent as.
    pub(crate) fn sent_as(&self) -> Option<&(HeaderName, HeaderValue)> {
        self.header.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_serialises_but_never_prints() {
        let secret = Sensitive::new("hunter2");
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"hunter2\"");
        assert_eq!(format!("{secret:?}"), "[REDACTED]");
        let back: Sensitive = serde_json::from_str("\"s3cret\"").unwrap();
        assert_eq!(back.expose(), "s3cret");
        assert_eq!(format!("{back:?}"), "[REDACTED]");
    }

    #[test]
    fn auth_debug_names_the_header_only() {
        let auth = Auth::header("token", "abc-123").unwrap();
        let shown = format!("{auth:?}");
        assert!(shown.contains("token") && !shown.contains("abc-123"), "{shown}");
        let bearer = format!("{:?}", Auth::bearer("xyz-789").unwrap());
        assert!(!bearer.contains("xyz-789"), "{bearer}");
        assert_eq!(Auth::header("token", "bad\nvalue").unwrap_err(), InvalidCredential::NotVisibleAscii);
        assert_eq!(Auth::header("token", "   ").unwrap_err(), InvalidCredential::Blank);
        assert_eq!(Auth::bearer("").unwrap_err(), InvalidCredential::Blank);
        assert_eq!(Auth::bearer("tók").unwrap_err(), InvalidCredential::NotVisibleAscii);
        assert_eq!(Auth::bearer("a b").unwrap_err(), InvalidCredential::NotVisibleAscii);
        assert_eq!(
            Auth::header("token", &"x".repeat(MAX_HEADER_VALUE + 1)).unwrap_err(),
            InvalidCredential::TooLong
        );
        assert!(Auth::header("token", &"x".repeat(MAX_HEADER_VALUE)).is_ok());
    }
}
