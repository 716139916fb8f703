//! The transport policy every request goes through: which failures are
//! retried and how often, how large a response may be, and the `tracing`
//! spans that show it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::FutureExt as _;
use reqwest::header::HeaderMap;
use tracing::Instrument;

use crate::deadline;
use crate::errors::{BodyTooLarge, Redirected, failed, failing, origin_of};

/// The default time an attempt may take: 30 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The default limit on a response body: 4 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// Whether an answer with this status says "try again later": rate
/// limited (429), or a gateway that could not reach the service (502, 503,
/// 504). The transport retries these on operations safe to repeat, and
/// `accountkit::Error::is_retryable` reads the same list.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502..=504)
}

/// When and how often a failed request is sent again.
///
/// Only operations that are safe to repeat are retried on a response or a
/// broken connection: reads, and the operations the API description marks
/// as idempotent. Any operation is retried when the connection could not be
/// made, since then nothing reached the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
    jitter: bool,
    honour_retry_after: bool,
}

impl Default for RetryPolicy {
    /// 3 attempts, backoff from 200 ms doubling up to 5 s with jitter,
    /// `Retry-After` honoured, at most 30 s spent waiting and sending.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
            jitter: true,
            honour_retry_after: true,
        }
    }
}

impl RetryPolicy {
    /// Every request is sent once.
    pub fn none() -> Self {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    /// Attempts in all, the first included; at least 1.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the first retry, doubled for each one after it up to
    /// `max`.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// No retry starts once this much time has passed since the first
    /// attempt, nor a wait that would end after it.
    pub fn max_elapsed(mut self, total: Duration) -> Self {
        self.max_elapsed = total;
        self
    }

    /// Whether each wait is drawn at random between half and all of the
    /// backoff, so that many clients do not retry in step.
    pub fn jitter(mut self, on: bool) -> Self {
        self.jitter = on;
        self
    }

    /// Whether a `Retry-After` header sets the wait (instead of the
    /// backoff). A wait past the time cap ends the retries.
    pub fn honour_retry_after(mut self, on: bool) -> Self {
        self.honour_retry_after = on;
        self
    }

    /// Attempts in all, the first included.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The wait before attempt `next` (2 or more).
    fn wait(&self, next: u32, retry_after: Option<Duration>) -> Duration {
        if let (true, Some(wait)) = (self.honour_retry_after, retry_after) {
            return wait;
        }
        let doublings = next.saturating_sub(2).min(20);
        let backoff = self.initial_backoff.saturating_mul(1 << doublings).min(self.max_backoff);
        if self.jitter && !backoff.is_zero() {
            let high = u64::try_from(backoff.as_nanos()).unwrap_or(u64::MAX);
            Duration::from_nanos(fastrand::u64(high / 2..=high))
        } else {
            backoff
        }
    }
}

/// What a client applies to each request it sends.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The provider, as named in `tracing` spans.
    pub provider: &'static str,
    /// Retries.
    pub retry: RetryPolicy,
    /// The largest response body read; a larger one is an error.
    pub max_response_bytes: usize,
    /// A header that tells the server, on a retry, the request ids of the
    /// attempts before it (Pangea's `X-Pangea-Retried-Request-Ids`).
    pub retried_ids_header: Option<&'static str>,
    /// The time an attempt may take, from sending to the end of its body;
    /// `None` leaves it to the HTTP client. See [`deadline`].
    pub timeout: Option<Duration>,
    /// Whether the client has had an answer yet; shared by its clones.
    pub opening: Opening,
}

/// Until a client's first answer, its requests go one at a time. The HTTP
/// version is known only once a connection's TLS handshake is done (ALPN):
/// a burst sent before then opens one connection per request even to an
/// HTTP/2 server, which could have carried them all on one. After the first
/// answer every request goes at once, as before.
#[derive(Debug, Clone, Default)]
pub struct Opening(Arc<OpeningState>);

#[derive(Debug, Default)]
struct OpeningState {
    answered: AtomicBool,
    first: tokio::sync::Mutex<()>,
}

impl Opening {
    fn answered(&self) -> bool {
        self.0.answered.load(Ordering::Acquire)
    }

    /// Waits for the requests before this one while nothing has answered;
    /// the guard, if any, lets the next one go when dropped.
    async fn turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        let guard = self.0.first.lock().await;
        (!self.answered()).then_some(guard)
    }

    fn answer(&self) {
        if !self.answered() {
            self.0.answered.store(true, Ordering::Release);
        }
    }
}

impl Policy {
    /// The defaults for a provider.
    pub fn new(provider: &'static str) -> Self {
        Policy {
            provider,
            retry: RetryPolicy::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            retried_ids_header: None,
            timeout: Some(DEFAULT_TIMEOUT),
            opening: Opening::default(),
        }
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    (when.with_timezone(&chrono::Utc) - chrono::Utc::now()).to_std().ok()
}

/// Sends a request under `policy`: retried as the policy allows when
/// `operation_id` is in `idempotent`, its body read into memory up to the
/// limit, within one `tracing` span per operation and one per attempt.
///
/// The response handed back holds its whole body, or a body whose reading
/// fails with [`BodyTooLarge`]. Boxed: the `ClientHooks::exec` hook
/// returns one future type for every operation.
pub fn execute<'a>(
    client: &'a reqwest::Client,
    policy: &'a Policy,
    request: reqwest::Request,
    operation_id: &str,
    idempotent: &[&str],
) -> Pin<Box<dyn Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a>> {
    let repeatable = idempotent.contains(&operation_id);
    let span = tracing::info_span!(
        "accountkit.request",
        provider = policy.provider,
        operation = operation_id,
        idempotent = repeatable,
        attempts = tracing::field::Empty,
        status = tracing::field::Empty,
    );
    if policy.opening.answered() {
        return Box::pin(run(client, policy, request, repeatable).instrument(span));
    }
    // Out of the common path, and the request's own future boxed apart, so
    // that the wait for a turn adds no room to it.
    let first = async move {
        let _turn = policy.opening.turn().await;
        Box::pin(run(client, policy, request, repeatable)).await
    };
    Box::pin(first.instrument(span))
}

/// The attempts of one request.
async fn run(
    client: &reqwest::Client,
    policy: &Policy,
    request: reqwest::Request,
    repeatable: bool,
) -> reqwest::Result<reqwest::Response> {
    let started = Instant::now();
    let mut request = Some(request);
    let mut retried_ids: Vec<String> = Vec::new();
    let mut attempt = 1;
    let (outcome, status) = loop {
        let span = tracing::debug_span!(
            "accountkit.attempt",
            attempt,
            status = tracing::field::Empty,
            error = tracing::field::Empty,
        );
        let (sending, may_retry) = {
            let Some(mut this) = request.take() else {
                unreachable!("a copy is kept for every attempt after the first");
            };
            // A streamed body cannot be copied, and then cannot be sent twice.
            if attempt < policy.retry.max_attempts {
                request = copy(&this);
            }
            let may_retry = request.is_some();
            if let (Some(name), false) = (policy.retried_ids_header, retried_ids.is_empty())
                && let Ok(value) = reqwest::header::HeaderValue::from_str(&retried_ids.join(","))
            {
                this.headers_mut().insert(name, value);
            }
            (send(client, this, policy, span.clone()), may_retry)
        };
        // Decided in a block that ends before the wait: a borrowed answer
        // would otherwise keep its room in the call's state across it.
        let wait = {
            let outcome = sending.await;
            let (status, retry_after) = match &outcome {
                Ok(Sent::Read(response, too_large)) => {
                    let status = response.status().as_u16();
                    span.record("status", status);
                    let again = repeatable && !too_large && is_retryable_status(status);
                    (Some(status), again.then(|| retry_after(response.headers())))
                }
                // A redirect is the server's answer, not a failure to repeat.
                Ok(Sent::Refused(_, status)) => (Some(refused_attempt(&span, *status)), None),
                Err(error) => (None, failed_attempt(&span, error, repeatable)),
            };
            let wait = retry_after
                .filter(|_| may_retry)
                .and_then(|after| backoff(policy, started, attempt, after, &outcome, &mut retried_ids));
            let Some(wait) = wait else {
                break (outcome.and_then(Sent::into_result), status);
            };
            wait
        };
        tokio::time::sleep(wait).await;
        attempt += 1;
    };
    // Recorded once: a field recorded on every attempt is printed again, in
    // full, by every event under the span.
    let current = tracing::Span::current();
    current.record("attempts", attempt);
    if let Some(status) = status {
        current.record("status", status);
        policy.opening.answer();
    }
    outcome
}

fn refused_attempt(span: &tracing::Span, status: u16) -> u16 {
    span.record("status", status);
    span.record("error", "redirect");
    status
}

/// Whether a failed attempt may be repeated: `Some(None)` if so.
fn failed_attempt(
    span: &tracing::Span,
    error: &reqwest::Error,
    repeatable: bool,
) -> Option<Option<Duration>> {
    span.record("error", describe(error));
    // Nothing reached the server when the connection failed.
    (repeatable || error.is_connect()).then_some(None)
}

/// A copy of `original` to send again; `None` for a streamed body.
fn copy(original: &reqwest::Request) -> Option<reqwest::Request> {
    original.try_clone()
}

/// The wait before the next attempt, or `None` if it would pass the cap.
fn backoff(
    policy: &Policy,
    started: Instant,
    attempt: u32,
    retry_after: Option<Duration>,
    outcome: &reqwest::Result<Sent>,
    retried_ids: &mut Vec<String>,
) -> Option<Duration> {
    let wait = policy.retry.wait(attempt + 1, retry_after);
    if started.elapsed().saturating_add(wait) > policy.retry.max_elapsed {
        tracing::debug!(wait_ms = wait.as_millis() as u64, "not retrying: the wait passes the time cap");
        return None;
    }
    if policy.retried_ids_header.is_some()
        && let Ok(Sent::Read(response, _)) = outcome
        && let Some(id) = request_id(response)
    {
        retried_ids.push(id);
    }
    tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "retrying");
    Some(wait)
}

/// The server's id of a response, from its `x-request-id` header: what
/// Pangea's SDKs send back on a retry. Only ids that are a plain token
/// are kept, so a hostile value cannot add to the header.
fn request_id(response: &reqwest::Response) -> Option<String> {
    let id = response.headers().get("x-request-id")?.to_str().ok()?;
    let plain = !id.is_empty()
        && id.len() <= 128
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    plain.then(|| id.to_string())
}

/// What went wrong, without the URL (its path can hold a token).
fn describe(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect"
    } else if error.is_body() || error.is_decode() {
        "body"
    } else {
        "request"
    }
}

/// What one attempt got.
enum Sent {
    /// The response with its body read, and whether that body was over the
    /// limit (and replaced by one that fails to read).
    Read(reqwest::Response, bool),
    /// A redirect, or an answer from another origin: the error the request
    /// fails with, and the status.
    Refused(reqwest::Error, u16),
}

impl Sent {
    fn into_result(self) -> reqwest::Result<reqwest::Response> {
        match self {
            Sent::Read(response, _) => Ok(response),
            Sent::Refused(error, _) => Err(error),
        }
    }
}

/// One attempt, within `span` and the policy's deadline. The request is
/// handed to reqwest before the returned future starts, so that future does
/// not hold it.
fn send(
    client: &reqwest::Client,
    request: reqwest::Request,
    policy: &Policy,
    span: tracing::Span,
) -> impl Future<Output = reqwest::Result<Sent>> + use<> {
    // Scheme, host and port as written: the URL parser already dropped a
    // default port, so equal origins are equal prefixes.
    let origin = request.url()[..url::Position::BeforePath].to_string();
    let pending = span.in_scope(|| client.execute(request));
    let reading = deadline::within(policy.timeout, read(pending, origin, policy.max_response_bytes));
    reading.instrument(span).map(|outcome| outcome.unwrap_or_else(|late| Err(failed(late.into_io()))))
}

async fn read(
    pending: impl Future<Output = reqwest::Result<reqwest::Response>>,
    origin: String,
    limit: usize,
) -> reqwest::Result<Sent> {
    let mut response = pending.await?;
    let status = response.status();
    let followed = response.url()[..url::Position::BeforePath] != origin;
    if followed || status.is_redirection() {
        // The body is never read: the connection is dropped with it.
        return Ok(refusal(&response, followed));
    }
    let announced = response.content_length();
    if announced.is_some_and(|length| length > limit as u64) {
        return Ok(oversized(response, limit));
    }
    // Counted as the chunks come, whether a length was announced or not. A
    // body that ends early is an error here, where it can still be retried.
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(oversized(response, limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Sent::Read(rebuild(response, body.into()), false))
}

/// A redirect, or an answer from another origin, refused.
fn refusal(response: &reqwest::Response, followed: bool) -> Sent {
    let status = response.status().as_u16();
    let target = if followed {
        Some(response.url().clone())
    } else {
        let location = response.headers().get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok());
        location.and_then(|l| response.url().join(l).ok())
    };
    let refusal = Redirected { status, origin: target.as_ref().and_then(origin_of), followed };
    Sent::Refused(refused(refusal), status)
}

/// A response over the body limit, with a body that fails to read.
fn oversized(response: reqwest::Response, limit: usize) -> Sent {
    Sent::Read(rebuild(response, too_large(limit)), true)
}

/// A body whose first read fails with [`BodyTooLarge`].
fn too_large(limit: usize) -> reqwest::Body {
    failing(BodyTooLarge { limit })
}

/// The `reqwest::Error` a refused response becomes, with the refusal as
/// its source: the error type every raw client's hook must return.
fn refused(refusal: Redirected) -> reqwest::Error {
    failed(refusal)
}

/// `response`'s status, version, headers and URL around `body`.
fn rebuild(mut response: reqwest::Response, body: reqwest::Body) -> reqwest::Response {
    use reqwest::ResponseBuilderExt as _;
    let (status, version, url) = (response.status(), response.version(), response.url().clone());
    let headers = std::mem::take(response.headers_mut());
    drop(response);
    // Given its URL, reqwest does not parse a placeholder one for it.
    let mut rebuilt = match http::Response::builder().url(url).body(body) {
        Ok(rebuilt) => rebuilt,
        Err(_) => unreachable!("a builder given no parts cannot fail"),
    };
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    reqwest::Response::from(rebuilt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy::default()
            .backoff(Duration::from_millis(100), Duration::from_millis(350))
            .jitter(false);
        assert_eq!(policy.wait(2, None), Duration::from_millis(100));
        assert_eq!(policy.wait(3, None), Duration::from_millis(200));
        assert_eq!(policy.wait(4, None), Duration::from_millis(350));
        assert_eq!(policy.wait(40, None), Duration::from_millis(350));
    }

    #[test]
    fn jitter_stays_between_half_and_all_of_the_backoff() {
        let policy = RetryPolicy::default().backoff(Duration::from_millis(400), Duration::from_secs(1));
        for _ in 0..200 {
            let wait = policy.wait(2, None);
            assert!(wait >= Duration::from_millis(200) && wait <= Duration::from_millis(400), "{wait:?}");
        }
    }

    #[test]
    fn retry_after_replaces_the_backoff_unless_turned_off() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.wait(2, Some(Duration::from_secs(7))), Duration::from_secs(7));
        let ignoring = policy.honour_retry_after(false).jitter(false);
        assert_eq!(ignoring.wait(2, Some(Duration::from_secs(7))), Duration::from_millis(200));
    }

    #[test]
    fn none_means_one_attempt() {
        assert_eq!(RetryPolicy::none().attempts(), 1);
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(120)).to_rfc2822();
        headers.insert("retry-after", later.parse().unwrap());
        let wait = retry_after(&headers).unwrap();
        assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120), "{wait:?}");
        headers.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }

    use reqwest::{ResponseBuilderExt as _, StatusCode, Version};

    /// A response as reqwest hands it over, with a body not yet read.
    fn received(status: StatusCode, url: &reqwest::Url, headers: HeaderMap) -> reqwest::Response {
        let mut response = http::Response::builder()
            .status(status)
            .version(Version::HTTP_11)
            .url(url.clone())
            .body(reqwest::Body::from("unread"))
            .unwrap();
        *response.headers_mut() = headers;
        reqwest::Response::from(response)
    }

    #[tokio::test]
    async fn a_rebuilt_response_keeps_its_url_status_and_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("x-request-id", "r1".parse().unwrap());
        let url: reqwest::Url = "http://x.test/a?b=1".parse().unwrap();
        let response = rebuild(received(StatusCode::CREATED, &url, headers), "hi".into());
        assert_eq!(response.url(), &url);
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.version(), Version::HTTP_11);
        assert_eq!(response.headers()["x-request-id"], "r1");
        assert_eq!(response.text().await.unwrap(), "hi");
    }

    #[tokio::test]
    async fn a_too_large_body_fails_to_read_with_the_limit() {
        let url = "http://x.test/".parse().unwrap();
        let response = rebuild(received(StatusCode::OK, &url, HeaderMap::new()), too_large(9));
        let error = response.bytes().await.unwrap_err();
        assert_eq!(BodyTooLarge::find(&error), Some(BodyTooLarge { limit: 9 }));
    }

    #[tokio::test]
    async fn a_copy_sends_what_the_request_sends() {
        // Built without a `reqwest::Client`, which would need the TLS
        // provider that only the facade installs.
        fn request(method: reqwest::Method, url: &str, body: Option<reqwest::Body>) -> reqwest::Request {
            let mut request = reqwest::Request::new(method, url.parse().unwrap());
            *request.body_mut() = body;
            request
        }
        let url: reqwest::Url = "http://x.test/a%2Fb?c=1".parse().unwrap();
        let mut built = request(reqwest::Method::PUT, url.as_str(), Some(r#"{"name":"ada"}"#.into()));
        let headers = built.headers_mut();
        headers.insert("token", reqwest::header::HeaderValue::from_static("t0k"));
        headers.append("x-twice", reqwest::header::HeaderValue::from_static("1"));
        headers.append("x-twice", reqwest::header::HeaderValue::from_static("2"));
        *built.timeout_mut() = Some(Duration::from_millis(1500));
        *built.version_mut() = Version::HTTP_11;
        let copy = copy(&built).unwrap();
        assert_eq!(copy.method(), reqwest::Method::PUT);
        assert_eq!(copy.url(), &url);
        assert_eq!(copy.headers(), built.headers());
        assert_eq!(copy.headers().get_all("x-twice").iter().count(), 2);
        assert_eq!(copy.version(), Version::HTTP_11);
        assert_eq!(copy.timeout(), Some(&Duration::from_millis(1500)));
        assert_eq!(copy.body().and_then(reqwest::Body::as_bytes), Some(&br#"{"name":"ada"}"#[..]));

        let bare = request(reqwest::Method::GET, url.as_str(), None);
        let copy = super::copy(&bare).unwrap();
        assert_eq!((copy.timeout(), copy.body().is_none()), (None, true));

        let stream = futures::stream::once(async { Ok::<_, std::io::Error>(bytes::Bytes::from("x")) });
        let streamed =
            request(reqwest::Method::POST, "http://x.test/", Some(reqwest::Body::wrap_stream(stream)));
        assert!(super::copy(&streamed).is_none(), "a streamed body cannot be sent twice");
    }
}
