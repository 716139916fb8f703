//! The errors a request fails with, found in the source chain of the
//! `reqwest::Error` the generated clients return.

use std::fmt;

use futures::FutureExt as _;

/// A response accountkit refuses to read: a redirect (3xx), which it never
/// follows, or one that a caller's own HTTP client fetched from another
/// origin after following one. Found in the source chain of the
/// `reqwest::Error` such a request fails with; never retried.
///
/// It names the other origin (scheme, host, port) only: the rest of a
/// `Location` can carry a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirected {
    /// The HTTP status of the refused response.
    pub status: u16,
    /// The origin the response pointed to (or, when `followed`, came from),
    /// if it named one.
    pub origin: Option<String>,
    /// Whether the HTTP client had followed the redirect already.
    pub followed: bool,
}

impl fmt::Display for Redirected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.status;
        match (&self.origin, self.followed) {
            (Some(origin), true) => write!(
                f,
                "the HTTP client followed a redirect to {origin}, another origin than the base URL's; \
                 its answer (HTTP {status}) was refused"
            ),
            (None, true) => {
                write!(f, "the HTTP client followed a redirect to another origin; its answer was refused")
            }
            (Some(origin), false) => {
                write!(
                    f,
                    "the server answered HTTP {status}, a redirect to {origin}; accountkit follows no redirect"
                )
            }
            (None, false) => write!(
                f,
                "the server answered HTTP {status}, a redirect with no usable location; accountkit follows no redirect"
            ),
        }
    }
}

impl std::error::Error for Redirected {}

impl Redirected {
    /// The refusal behind an error, if that is what it is.
    pub fn find<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Redirected> {
        in_chain(error)
    }
}

/// Scheme, host and port of a URL, e.g. `https://api.example.com:443`;
/// `None` for an opaque one.
pub fn origin_of(url: &reqwest::Url) -> Option<String> {
    let host = url.host_str()?;
    let port = url.port_or_known_default().map(|p| format!(":{p}")).unwrap_or_default();
    Some(format!("{}://{host}{port}", url.scheme()))
}

/// A response body larger than the policy allows; found in the source
/// chain of the `reqwest::Error` reading such a body gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyTooLarge {
    /// The limit in bytes.
    pub limit: usize,
}

impl fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the response body is larger than the limit of {} bytes", self.limit)
    }
}

impl std::error::Error for BodyTooLarge {}

impl BodyTooLarge {
    /// The limit breach behind an error, if that is what it is.
    pub fn find(error: &(dyn std::error::Error + 'static)) -> Option<BodyTooLarge> {
        in_chain(error).copied()
    }
}

/// The first error of type `T` in `error`'s source chain, itself included,
/// looking inside each `io::Error` too (its `source` skips what it wraps).
pub(crate) fn in_chain<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        let wrapped = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref());
        if let Some(found) = e.downcast_ref::<T>().or_else(|| wrapped.and_then(|w| w.downcast_ref::<T>())) {
            return Some(found);
        }
        cause = e.source();
    }
    None
}

/// A body whose first read fails with `error`.
pub(crate) fn failing<E: std::error::Error + Send + Sync + 'static>(error: E) -> reqwest::Body {
    reqwest::Body::wrap_stream(futures::stream::once(async move { Err::<bytes::Bytes, _>(error) }))
}

/// A `reqwest::Error` with `error` as its source.
pub(crate) fn failed<E: std::error::Error + Send + Sync + 'static>(error: E) -> reqwest::Error {
    let response = reqwest::Response::from(http::Response::new(failing(error)));
    // The failing body is ready at its first poll.
    match response.bytes().now_or_never() {
        Some(Err(error)) => error,
        _ => unreachable!("a body whose first chunk is an error fails at once"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_the_source_of_its_error() {
        let refusal =
            Redirected { status: 302, origin: Some("https://elsewhere.test:443".into()), followed: false };
        let error = failed(refusal.clone());
        assert_eq!(Redirected::find(&error), Some(&refusal));
    }
}
