//! The one error type of every accountkit client.

use std::fmt;
use std::time::Duration;

/// What went wrong, in a few classes a caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The credentials are missing, wrong or expired (HTTP 401).
    Unauthorized,
    /// The credentials are fine but not allowed to do this (HTTP 403).
    Forbidden,
    /// The thing addressed does not exist (HTTP 404).
    NotFound,
    /// The request conflicts with the current state (HTTP 409).
    Conflict,
    /// The service found the request invalid (HTTP 400, 422).
    Validation,
    /// Too many requests (HTTP 429); see [`Error::retry_after`].
    RateLimited,
    /// The service failed (HTTP 5xx).
    Server,
    /// The request or response never made it: connection, TLS, timeout.
    Transport,
    /// A response arrived that is not what the API describes.
    Decode,
    /// An argument was refused before anything was sent.
    InvalidInput,
    /// The account has a second factor on, and the call needs its code.
    SecondFactorRequired,
    /// The service refused the request for another reason, including an
    /// error envelope on an HTTP 2xx.
    Rejected,
    /// A time-limited proof the call needs, such as a verification record,
    /// has expired; nothing was sent. Obtain a fresh one.
    Expired,
}

impl ErrorKind {
    /// The class of an HTTP error status.
    pub fn from_status(status: u16) -> ErrorKind {
        match status {
            400 | 422 => ErrorKind::Validation,
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 | 410 => ErrorKind::NotFound,
            408 => ErrorKind::Transport,
            409 => ErrorKind::Conflict,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Rejected,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Validation => "invalid request",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::Server => "server error",
            ErrorKind::Transport => "transport error",
            ErrorKind::Decode => "unexpected response",
            ErrorKind::InvalidInput => "invalid argument",
            ErrorKind::SecondFactorRequired => "second factor required",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Expired => "expired",
        }
    }
}

/// An accountkit error: the HTTP status, the vendor's code and message, and
/// a [`kind`](Error::kind) to branch on.
///
/// It never holds a secret: messages are scrubbed of the credentials the
/// call sent, transport errors drop the URL (path segments may carry
/// tokens), and decode errors keep the position of the fault, not the body.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    provider: &'static str,
    operation: &'static str,
    status: Option<u16>,
    code: Option<String>,
    message: String,
    retry_after: Option<Duration>,
    second_factor: Option<String>,
    timeout: bool,
    request_id: Option<String>,
    path: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// The result type of every accountkit call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn new(
        kind: ErrorKind,
        provider: &'static str,
        operation: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                provider,
                operation,
                status: None,
                code: None,
                message: message.into(),
                retry_after: None,
                second_factor: None,
                timeout: false,
                request_id: None,
                path: None,
                source: None,
            }),
        }
    }

    /// A refused argument, naming the field.
    pub(crate) fn invalid_input(
        provider: &'static str,
        operation: &'static str,
        field: &str,
        problem: &str,
    ) -> Self {
        Error::new(ErrorKind::InvalidInput, provider, operation, format!("`{field}` {problem}"))
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    pub(crate) fn with_code(mut self, code: Option<String>) -> Self {
        self.inner.code = code;
        self
    }

    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.inner.kind = kind;
        self
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.inner.retry_after = retry_after;
        self
    }

    pub(crate) fn with_second_factor(mut self, hint: String) -> Self {
        self.inner.kind = ErrorKind::SecondFactorRequired;
        self.inner.second_factor = Some(hint);
        self
    }

    pub(crate) fn with_timeout(mut self, timeout: bool) -> Self {
        self.inner.timeout = timeout;
        self
    }

    pub(crate) fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.inner.request_id = request_id;
        self
    }

    pub(crate) fn with_path(mut self, path: Option<String>) -> Self {
        self.inner.path = path;
        self
    }

    /// The same failure, reported under the facade method the caller used
    /// (a recipe or a wrapper around another call).
    pub(crate) fn reported_as(mut self, operation: &'static str) -> Self {
        self.inner.operation = operation;
        self
    }

    /// The failure of an inner `step`, reported under the caller's
    /// `operation`, the message saying which step failed.
    pub(crate) fn during(mut self, operation: &'static str, step: &str) -> Self {
        self.inner.operation = operation;
        self.inner.message = format!("{step}: {}", self.inner.message);
        self
    }

    pub(crate) fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.inner.source = Some(Box::new(source));
        self
    }

    /// Replaces every occurrence of the given secrets in the message and
    /// code, in case a server echoes what it was sent.
    pub(crate) fn scrub(mut self, secrets: &[&str]) -> Self {
        for secret in secrets.iter().filter(|s| s.len() >= 3) {
            if self.inner.message.contains(secret) {
                self.inner.message = self.inner.message.replace(secret, "[REDACTED]");
            }
            if let Some(code) = &mut self.inner.code
                && code.contains(secret)
            {
                *code = code.replace(secret, "[REDACTED]");
            }
        }
        self
    }

    /// [`scrub`](Error::scrub), then the client's own credential as well.
    pub(crate) fn scrub_with_token(self, secrets: &[&str], token: Option<&str>) -> Self {
        let error = self.scrub(secrets);
        match token {
            Some(token) => error.scrub(&[token]),
            None => error,
        }
    }

    /// The class of failure.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The HTTP status of the response, when one arrived.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The vendor's machine-readable error code, when it sent one.
    pub fn code(&self) -> Option<&str> {
        self.inner.code.as_deref()
    }

    /// The vendor's message, or accountkit's own description.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// Which provider the call went to, e.g. `"tagoio"`.
    pub fn provider(&self) -> &'static str {
        self.inner.provider
    }

    /// Which operation failed, e.g. `"login"`.
    pub fn operation(&self) -> &'static str {
        self.inner.operation
    }

    /// How long the server asked to wait before retrying (HTTP 429, 503).
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// For [`ErrorKind::SecondFactorRequired`]: the vendor's hint about the
    /// factor to use, e.g. TagoIO's `otp_autosend` (`"email"`, `"sms"`,
    /// `"authenticator"`).
    pub fn second_factor_hint(&self) -> Option<&str> {
        self.inner.second_factor.as_deref()
    }

    /// The vendor's id of the failed request, for support and logs (Pangea
    /// sends one with every answer).
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// For GraphQL APIs: the path of the field the server reported the
    /// error on, dot-separated, e.g. `login` or `users.0.email`.
    pub fn path(&self) -> Option<&str> {
        self.inner.path.as_deref()
    }

    /// Whether the call ran out of time.
    pub fn is_timeout(&self) -> bool {
        self.inner.timeout
    }

    /// Whether sending the same request again may succeed: transport
    /// failures, HTTP 408, 429, 502, 503 and 504.
    pub fn is_retryable(&self) -> bool {
        match self.inner.kind {
            ErrorKind::Transport | ErrorKind::RateLimited => true,
            ErrorKind::Server => matches!(self.inner.status, Some(502..=504)),
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        write!(f, "{} {}: {}", inner.provider, inner.operation, inner.kind.describe())?;
        match (inner.status, &inner.code) {
            (Some(status), Some(code)) => write!(f, " (HTTP {status}, {code})")?,
            (Some(status), None) => write!(f, " (HTTP {status})")?,
            (None, Some(code)) => write!(f, " ({code})")?,
            (None, None) => {}
        }
        if !inner.message.is_empty() {
            write!(f, ": {}", inner.message)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Error")
            .field("kind", &inner.kind)
            .field("provider", &inner.provider)
            .field("operation", &inner.operation)
            .field("status", &inner.status)
            .field("code", &inner.code)
            .field("message", &inner.message)
            .field("retry_after", &inner.retry_after)
            .field("second_factor", &inner.second_factor)
            .field("request_id", &inner.request_id)
            .field("path", &inner.path)
            .field("source", &inner.source)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_provider_operation_status_code_and_message() {
        let err = Error::new(ErrorKind::Unauthorized, "tagoio", "info", "Authorization denied")
            .with_status(401)
            .with_code(Some("auth.denied".into()));
        assert_eq!(
            err.to_string(),
            "tagoio info: unauthorized (HTTP 401, auth.denied): Authorization denied"
        );
    }

    #[test]
    fn retryable_classes() {
        let server = |status| Error::new(ErrorKind::from_status(status), "p", "o", "").with_status(status);
        assert!(server(503).is_retryable());
        assert!(server(429).is_retryable());
        assert!(server(408).is_retryable());
        assert!(!server(500).is_retryable());
        assert!(!server(400).is_retryable());
        assert!(!server(401).is_retryable());
        assert_eq!(ErrorKind::from_status(418), ErrorKind::Rejected);
    }

    #[test]
    fn request_id_is_kept_and_shown_in_debug() {
        let plain = Error::new(ErrorKind::Server, "p", "o", "");
        assert_eq!(plain.request_id(), None);
        let err = plain.with_request_id(Some("prq_abc".into()));
        assert_eq!(err.request_id(), Some("prq_abc"));
        assert!(format!("{err:?}").contains("prq_abc"));
    }

    #[test]
    fn graphql_path_is_kept() {
        let err = Error::new(ErrorKind::Rejected, "p", "o", "").with_path(Some("login".into()));
        assert_eq!(err.path(), Some("login"));
        assert_eq!(Error::new(ErrorKind::Rejected, "p", "o", "").path(), None);
    }

    #[test]
    fn scrub_removes_echoed_secrets() {
        let err = Error::new(ErrorKind::Validation, "p", "o", "bad token tok-123456 given")
            .with_code(Some("tok-123456".into()))
            .scrub(&["tok-123456", ""]);
        assert_eq!(err.message(), "bad token [REDACTED] given");
        assert_eq!(err.code(), Some("[REDACTED]"));
    }
}
