//! What every provider module shares: the HTTP client it builds, and the
//! translation of a raw client's failure into an [`Error`].

use std::time::Duration;

use accountkit_runtime::ResponseMeta;
use serde_json::Value;

use crate::error::{Error, ErrorKind};

/// The longest error body read from an undocumented response.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Default time to connect.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time for a whole request, body included.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// One operation of one provider, as named in errors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Op {
    pub provider: &'static str,
    pub name: &'static str,
}

impl Op {
    pub fn error(self, kind: ErrorKind, message: impl Into<String>) -> Error {
        Error::new(kind, self.provider, self.name, message)
    }

    pub fn invalid(self, field: &str, problem: &str) -> Error {
        Error::invalid_input(self.provider, self.name, field, problem)
    }
}

/// What a provider reads out of an error body.
#[derive(Debug, Default)]
pub(crate) struct VendorError {
    pub code: Option<String>,
    pub message: Option<String>,
    /// The body says "error" even though the HTTP status may not.
    pub is_error: bool,
    pub second_factor: Option<String>,
}

/// Reads a provider's error body.
pub(crate) type ReadError = fn(&Value) -> VendorError;

pub(crate) fn http_client(timeout: Duration, connect_timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder().timeout(timeout).connect_timeout(connect_timeout).build()
}

/// An error for a response the vendor marked as failed.
pub(crate) fn vendor_error(
    op: Op,
    status: u16,
    vendor: VendorError,
    headers: Option<&reqwest::header::HeaderMap>,
) -> Error {
    let kind =
        if (200..300).contains(&status) { ErrorKind::Rejected } else { ErrorKind::from_status(status) };
    let message = vendor.message.unwrap_or_else(|| format!("HTTP {status} with no message"));
    let mut error = op
        .error(kind, message)
        .with_status(status)
        .with_code(vendor.code)
        .with_retry_after(headers.and_then(retry_after));
    if let Some(hint) = vendor.second_factor {
        error = error.with_second_factor(hint);
    }
    error
}

/// Translates a raw client failure. `meta` is the response the call saw, if
/// any; it supplies the status the generated client drops on a bad body.
pub(crate) async fn failure<E: serde::Serialize>(
    op: Op,
    err: progenitor_client::Error<E>,
    meta: Option<ResponseMeta>,
    read: ReadError,
) -> Error {
    use progenitor_client::Error as Raw;
    match err {
        Raw::ErrorResponse(response) => {
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = serde_json::to_value(response.into_inner()).unwrap_or(Value::Null);
            vendor_error(op, status, read(&body), Some(&headers))
        }
        Raw::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = read_bounded(response).await;
            from_body(op, status, &body, read, Some(&headers))
        }
        Raw::InvalidResponsePayload(body, cause) => match meta {
            // serde's error is not kept as a source: its text can quote the body.
            Some(meta) => from_body(op, meta.status, &body, read, Some(&meta.headers)),
            None => decode_error(op, None, &cause),
        },
        Raw::CommunicationError(e) | Raw::ResponseBodyError(e) => transport(op, e),
        Raw::InvalidRequest(message) | Raw::Custom(message) => op.error(ErrorKind::InvalidInput, message),
        Raw::InvalidUpgrade(e) => transport(op, e),
    }
}

/// An error from a body that may or may not be the vendor's error shape.
fn from_body(
    op: Op,
    status: u16,
    body: &[u8],
    read: ReadError,
    headers: Option<&reqwest::header::HeaderMap>,
) -> Error {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => {
            let vendor = read(&value);
            if vendor.is_error || !(200..300).contains(&status) {
                vendor_error(op, status, vendor, headers)
            } else {
                op.error(ErrorKind::Decode, "the response body does not have the documented shape")
                    .with_status(status)
            }
        }
        Err(cause) if (200..300).contains(&status) => decode_error(op, Some(status), &cause),
        Err(_) => {
            let kind = ErrorKind::from_status(status);
            let what = if body.is_empty() { "an empty body" } else { "a body that is not JSON" };
            op.error(kind, format!("HTTP {status} with {what}"))
                .with_status(status)
                .with_retry_after(headers.and_then(retry_after))
        }
    }
}

/// Describes a JSON fault by position only: serde's own message can quote
/// the body, which may hold a token.
pub(crate) fn decode_error(op: Op, status: Option<u16>, cause: &serde_json::Error) -> Error {
    use serde_json::error::Category;
    let what = match cause.classify() {
        Category::Io => "could not be read",
        Category::Syntax => "is not valid JSON",
        Category::Data => "does not have the documented shape",
        Category::Eof => "ends early",
    };
    let error = op.error(
        ErrorKind::Decode,
        format!("the response body {what} (line {}, column {})", cause.line(), cause.column()),
    );
    match status {
        Some(status) => error.with_status(status),
        None => error,
    }
}

pub(crate) fn transport(op: Op, e: reqwest::Error) -> Error {
    // The URL can carry tokens in its path.
    let e = e.without_url();
    let mut message = if e.is_timeout() {
        "the request timed out".to_string()
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        "the request failed".to_string()
    };
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    let timeout = e.is_timeout();
    op.error(ErrorKind::Transport, message).with_timeout(timeout).with_source(e)
}

async fn read_bounded(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_ERROR_BODY - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_ERROR_BODY {
            break;
        }
    }
    body
}

/// `Retry-After` as seconds or an HTTP date.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    (when.with_timezone(&chrono::Utc) - chrono::Utc::now()).to_std().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(120)).to_rfc2822();
        headers.insert("retry-after", later.parse().unwrap());
        let wait = retry_after(&headers).unwrap();
        assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120), "{wait:?}");
        headers.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn decode_errors_never_quote_the_body() {
        let cause = serde_json::from_str::<u32>("\"tok-secret-value\"").unwrap_err();
        let err = decode_error(Op { provider: "p", name: "o" }, Some(200), &cause);
        assert!(!format!("{err} {err:?}").contains("tok-secret-value"));
        assert_eq!(err.kind(), ErrorKind::Decode);
    }
}
