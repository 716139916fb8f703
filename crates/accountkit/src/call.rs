//! What every provider module shares: the HTTP client it builds, and the
//! translation of a raw client's failure into an [`Error`].

use std::pin::Pin;
use std::time::Duration;

use accountkit_runtime::ResponseMeta;
use serde_json::Value;

use crate::error::{Error, ErrorKind};

/// The longest error body read from an undocumented response.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The time a client accountkit builds allows to connect, unless its
/// builder's `connect_timeout` says otherwise: 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The time a client accountkit builds allows for a whole request, body
/// included, unless its builder's `timeout` says otherwise: 30 s.
pub const DEFAULT_TIMEOUT: Duration = accountkit_runtime::DEFAULT_TIMEOUT;

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

/// `Authorization: Bearer <token>`, once the token is checked fit for a
/// header (visible ASCII, not blank, not too long).
pub(crate) fn bearer(
    op: Op,
    field: &str,
    token: &secrecy::SecretString,
) -> Result<accountkit_runtime::Auth, Error> {
    use secrecy::ExposeSecret as _;
    accountkit_runtime::Auth::bearer(token.expose_secret()).map_err(|why| op.invalid(field, why.problem()))
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

/// The transport settings every provider's builder takes.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    pub http: Option<reqwest::Client>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub retry: accountkit_runtime::RetryPolicy,
    pub max_response_bytes: usize,
    pub allow_insecure_http: bool,
}

impl Default for Transport {
    fn default() -> Self {
        Transport {
            http: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: accountkit_runtime::RetryPolicy::default(),
            max_response_bytes: accountkit_runtime::DEFAULT_MAX_RESPONSE_BYTES,
            allow_insecure_http: false,
        }
    }
}

impl Transport {
    /// The raw client's policy for `provider`.
    pub fn policy(&self, provider: &'static str) -> accountkit_runtime::Policy {
        accountkit_runtime::Policy {
            provider,
            retry: self.retry.clone(),
            max_response_bytes: self.max_response_bytes,
            retried_ids_header: None,
            // A caller's own client keeps its own timeouts.
            timeout: self.http.is_none().then_some(self.timeout),
        }
    }

    /// The caller's HTTP client, or one built with the connect timeout.
    /// The request timeout is the policy's: its deadlines share timers,
    /// where reqwest's arm one per request.
    pub fn http_client(&self, op: Op) -> Result<reqwest::Client, Error> {
        match &self.http {
            Some(http) => Ok(http.clone()),
            None => http_client_builder()
                .map_err(|e| op.error(ErrorKind::Transport, e.message().to_string()))?
                .connect_timeout(self.connect_timeout)
                .build()
                .map_err(|e| op.error(ErrorKind::Transport, format!("cannot build the HTTP client: {e}"))),
        }
    }

    /// Refuses a plain-HTTP base URL unless its host is a loopback address
    /// or the caller opted in: tokens and passwords would travel in clear.
    pub fn check_scheme(&self, op: Op, base_url: &str) -> Result<(), Error> {
        let url = url::Url::parse(base_url).map_err(|_| op.invalid("base_url", "is not a URL"))?;
        let loopback = match url.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        if url.scheme() == "http" && !loopback && !self.allow_insecure_http {
            return Err(op.invalid(
                "base_url",
                "must be https (plain http is allowed for loopback addresses, or with `allow_insecure_http(true)`)",
            ));
        }
        Ok(())
    }
}

/// A `reqwest::ClientBuilder` with accountkit's TLS set-up and redirect
/// policy, for callers who build their own client and hand it to a
/// provider's `http_client`.
///
/// It follows no redirect and sends no `Referer`: a redirect would carry
/// the credential headers and the body (a password, say) to wherever the
/// server points. With the `rustls` feature it carries a rustls
/// configuration on the `ring` provider with the platform's certificate
/// verifier, made once per process (loading the system's roots takes
/// milliseconds); it fails, with [`ErrorKind::Transport`], if that verifier
/// cannot start.
///
/// ```
/// # #[cfg(feature = "stx")]
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use accountkit::stx::{Client, Host};
///
/// let http = accountkit::http_client_builder()?
///     .timeout(Duration::from_secs(20))
///     .pool_max_idle_per_host(4)
///     .build()?;
/// // One connection pool for several clients.
/// let staging = Client::builder(Host::Staging).http_client(http.clone()).build()?;
/// let production = Client::builder(Host::Production).http_client(http).build()?;
/// # let _ = (staging, production);
/// # Ok(()) }
/// # #[cfg(not(feature = "stx"))] fn main() {}
/// ```
pub fn http_client_builder() -> Result<reqwest::ClientBuilder, Error> {
    let builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).referer(false);
    #[cfg(feature = "rustls")]
    let builder = match tls::config() {
        Ok(config) => builder.tls_backend_preconfigured(config.clone()),
        Err(why) => {
            let message = format!("cannot set up TLS: {why}");
            return Err(Error::new(ErrorKind::Transport, "accountkit", "http_client_builder", message));
        }
    };
    Ok(builder)
}

#[cfg(feature = "rustls")]
mod tls {
    use std::sync::{Arc, OnceLock};

    use rustls::ClientConfig;
    use rustls_platform_verifier::BuilderVerifierExt;

    /// The process's rustls configuration, or why it could not be made.
    pub fn config() -> &'static Result<ClientConfig, String> {
        static CONFIG: OnceLock<Result<ClientConfig, String>> = OnceLock::new();
        CONFIG.get_or_init(|| {
            // rustls 0.23.48 deprecates ring's provider for its lack of
            // post-quantum key exchange, and offers no ring one instead: the
            // only undeprecated provider is aws-lc-rs, which the workspace
            // passes over for its build time (see its `rustls` line).
            #[allow(deprecated)]
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_platform_verifier()
                .map_err(|e| e.to_string())?
                .with_no_client_auth();
            Ok(config)
        })
    }
}

/// The transport methods of every provider's `ClientBuilder`, which keeps
/// a `transport: call::Transport` field. The arguments are the examples'
/// builder expressions: one as the docs show it, one on a plain-HTTP base
/// URL that is not a loopback address.
// rustfmt re-indents the `concat!` of these doc attributes on every run.
#[rustfmt::skip]
macro_rules! transport_options {
    ($builder:literal, $insecure:literal) => {
        /// Sends through this `reqwest` client (its own timeouts apply).
        ///
        /// Build it from [`http_client_builder`](crate::http_client_builder),
        /// which follows no redirect. A client that follows redirects
        /// (reqwest's default) sends the credential headers and the body to
        /// wherever a redirect points before accountkit sees the answer;
        /// accountkit then refuses an answer from another origin, but cannot
        /// take back what was sent.
        ///
        #[doc = concat!(
            "```\n",
            "# fn main() -> Result<(), Box<dyn std::error::Error>> {\n",
            "// accountkit's TLS set-up and redirect policy, and settings of your own.\n",
            "let http = accountkit::http_client_builder()?\n",
            "    .timeout(std::time::Duration::from_secs(20))\n",
            "    .user_agent(\"my-app/1.0\")\n",
            "    .build()?;\n",
            "let client = ", $builder, "\n",
            "    .http_client(http)\n",
            "    .build()?;\n",
            "# let _ = client;\n",
            "# Ok(()) }\n```",
        )]
        pub fn http_client(mut self, http: reqwest::Client) -> Self {
            self.transport.http = Some(http);
            self
        }

        /// Time allowed for a whole request; 30 s unless set. Requests
        /// started together share one timer, so one may run up to a
        /// thirty-second part of this longer (at most 1 s). A client given
        /// with `http_client` keeps its own timeouts instead.
        ///
        #[doc = concat!(
            "```\n",
            "# fn main() -> Result<(), Box<dyn std::error::Error>> {\n",
            "use std::time::Duration;\n\n",
            "let client = ", $builder, "\n",
            "    .timeout(Duration::from_secs(5))\n",
            "    .build()?;\n",
            "# let _ = client;\n",
            "# Ok(()) }\n```",
        )]
        pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
            self.transport.timeout = timeout;
            self
        }

        /// Time allowed to connect; 10 s unless set.
        ///
        #[doc = concat!(
            "```\n",
            "# fn main() -> Result<(), Box<dyn std::error::Error>> {\n",
            "use std::time::Duration;\n\n",
            "let client = ", $builder, "\n",
            "    .connect_timeout(Duration::from_secs(2))\n",
            "    .timeout(Duration::from_secs(15))\n",
            "    .build()?;\n",
            "# let _ = client;\n",
            "# Ok(()) }\n```",
        )]
        pub fn connect_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.transport.connect_timeout = timeout;
            self
        }

        /// When failed requests are sent again; [`RetryPolicy::default`](crate::RetryPolicy::default)
        /// unless set, [`RetryPolicy::none`](crate::RetryPolicy::none) to send each once.
        ///
        #[doc = concat!(
            "```\n",
            "# fn main() -> Result<(), Box<dyn std::error::Error>> {\n",
            "use std::time::Duration;\n",
            "use accountkit::RetryPolicy;\n\n",
            "let patient = RetryPolicy::default()\n",
            "    .max_attempts(5)\n",
            "    .backoff(Duration::from_millis(500), Duration::from_secs(10));\n",
            "assert_eq!(patient.attempts(), 5);\n",
            "let client = ", $builder, ".retry(patient).build()?;\n",
            "# let _ = client;\n",
            "// Or each request once, retrying yourself.\n",
            "let client = ", $builder, ".retry(RetryPolicy::none()).build()?;\n",
            "# let _ = client;\n",
            "# Ok(()) }\n```",
        )]
        pub fn retry(mut self, policy: $crate::RetryPolicy) -> Self {
            self.transport.retry = policy;
            self
        }

        /// The largest response body read, in bytes; a larger one is an
        /// error. 4 MiB unless set.
        ///
        #[doc = concat!(
            "```\n",
            "# fn main() -> Result<(), Box<dyn std::error::Error>> {\n",
            "let client = ", $builder, "\n",
            "    .max_response_bytes(256 * 1024)\n",
            "    .build()?;\n",
            "# let _ = client;\n",
            "# Ok(()) }\n```",
        )]
        pub fn max_response_bytes(mut self, limit: usize) -> Self {
            self.transport.max_response_bytes = limit;
            self
        }

        /// Allows a plain `http://` base URL that is not a loopback address.
        /// Off unless set: credentials would cross the network in clear.
        ///
        #[doc = concat!(
            "```\n",
            "# fn main() -> Result<(), Box<dyn std::error::Error>> {\n",
            "use accountkit::ErrorKind;\n\n",
            "let refused = ", $insecure, ".build();\n",
            "assert_eq!(refused.unwrap_err().kind(), ErrorKind::InvalidInput);\n\n",
            "// A proxy on a private network, say.\n",
            "let client = ", $insecure, "\n",
            "    .allow_insecure_http(true)\n",
            "    .build()?;\n",
            "# let _ = client;\n",
            "# Ok(()) }\n```",
        )]
        pub fn allow_insecure_http(mut self, allow: bool) -> Self {
            self.transport.allow_insecure_http = allow;
            self
        }
    };
}
pub(crate) use transport_options;

/// An error for a response the vendor marked as failed.
pub(crate) fn vendor_error(op: Op, status: u16, vendor: VendorError, retry_after: Option<Duration>) -> Error {
    let kind =
        if (200..300).contains(&status) { ErrorKind::Rejected } else { ErrorKind::from_status(status) };
    let message = vendor.message.unwrap_or_else(|| format!("HTTP {status} with no message"));
    let mut error =
        op.error(kind, message).with_status(status).with_code(vendor.code).with_retry_after(retry_after);
    if let Some(hint) = vendor.second_factor {
        error = error.with_second_factor(hint);
    }
    error
}

/// The value of an observed raw call, or its failure as an [`Error`]:
/// `refine` adjusts a provider's error, then `secrets` and the client's
/// `token` are scrubbed from its text.
pub(crate) async fn outcome<T, E, F>(
    op: Op,
    call: F,
    read: ReadError,
    refine: fn(Error) -> Error,
    secrets: &[&str],
    token: Option<&str>,
) -> Result<T, Error>
where
    F: Future<
        Output = (
            Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
            Option<ResponseMeta>,
        ),
    >,
    E: serde::Serialize + Send + 'static,
{
    let failing = match settled(op, call.await, read) {
        Ok(response) => return Ok(response.into_inner()),
        Err(failing) => failing,
    };
    Err(refine(failing.await).scrub_with_token(secrets, token))
}

/// The translation of a failed call, still to be awaited.
pub(crate) type Failing = Pin<Box<dyn Future<Output = Error> + Send>>;

/// An observed call's answer, or its failure to translate. Callers match
/// on it in a `let` that ends before they await the failure, so that no
/// call's state keeps room for the answer across that await.
pub(crate) fn settled<T, E: serde::Serialize + Send + 'static>(
    op: Op,
    (result, meta): (
        Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
        Option<ResponseMeta>,
    ),
    read: ReadError,
) -> Result<progenitor_client::ResponseValue<T>, Failing> {
    result.map_err(|e| failure(op, e, meta, read))
}

/// Translates a raw client failure. `meta` is the response the call saw, if
/// any; it supplies the status the generated client drops on a bad body.
///
/// Boxed: it is the rare path, and inline it would grow every call's future.
pub(crate) fn failure<E: serde::Serialize + Send + 'static>(
    op: Op,
    err: progenitor_client::Error<E>,
    meta: Option<ResponseMeta>,
    read: ReadError,
) -> Failing {
    Box::pin(translate(op, err, meta, read))
}

async fn translate<E: serde::Serialize>(
    op: Op,
    err: progenitor_client::Error<E>,
    meta: Option<ResponseMeta>,
    read: ReadError,
) -> Error {
    use progenitor_client::Error as Raw;
    match err {
        Raw::ErrorResponse(response) => {
            let status = response.status().as_u16();
            let wait = retry_after(response.headers());
            let body = serde_json::to_value(response.into_inner()).unwrap_or(Value::Null);
            vendor_error(op, status, read(&body), wait)
        }
        Raw::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let wait = retry_after(response.headers());
            let body = read_bounded(response).await;
            from_body(op, status, &body, read, wait)
        }
        Raw::InvalidResponsePayload(body, cause) => match meta {
            // serde's error is not kept as a source: its text can quote the body.
            Some(meta) => from_body(op, meta.status, &body, read, meta.retry_after),
            None => decode_error(op, None, &cause),
        },
        Raw::CommunicationError(e) | Raw::ResponseBodyError(e) => transport(op, e),
        Raw::InvalidRequest(message) | Raw::Custom(message) => op.error(ErrorKind::InvalidInput, message),
        Raw::InvalidUpgrade(e) => transport(op, e),
    }
}

/// An error from a body that may or may not be the vendor's error shape.
fn from_body(op: Op, status: u16, body: &[u8], read: ReadError, wait: Option<Duration>) -> Error {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => {
            let vendor = read(&value);
            if vendor.is_error || !(200..300).contains(&status) {
                vendor_error(op, status, vendor, wait)
            } else {
                op.error(ErrorKind::Decode, "the response body does not have the documented shape")
                    .with_status(status)
            }
        }
        Err(cause) if (200..300).contains(&status) => decode_error(op, Some(status), &cause),
        Err(_) => {
            let kind = ErrorKind::from_status(status);
            let what = if body.is_empty() { "an empty body" } else { "a body that is not JSON" };
            op.error(kind, format!("HTTP {status} with {what}")).with_status(status).with_retry_after(wait)
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
    if let Some(limit) = accountkit_runtime::BodyTooLarge::find(&e) {
        return op.error(ErrorKind::Decode, limit.to_string());
    }
    if let Some(redirect) = accountkit_runtime::Redirected::find(&e) {
        return op.error(ErrorKind::Redirected, redirect.to_string()).with_status(redirect.status);
    }
    if let Some(late) = accountkit_runtime::deadline::TimedOut::find(&e) {
        let message = format!("the request timed out: {late}");
        return op.error(ErrorKind::Transport, message).with_timeout(true).with_source(e);
    }
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
    accountkit_runtime::retry_after(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_errors_never_quote_the_body() {
        let cause = serde_json::from_str::<u32>("\"tok-secret-value\"").unwrap_err();
        let err = decode_error(Op { provider: "p", name: "o" }, Some(200), &cause);
        assert!(!format!("{err} {err:?}").contains("tok-secret-value"));
        assert_eq!(err.kind(), ErrorKind::Decode);
    }
}
