//! Every provider against a misbehaving server: each fault ends in a typed
//! `accountkit::Error`, within a bounded time, after exactly the number of
//! requests the transport policy promises.

mod capture;
mod faults;

use std::time::{Duration, Instant};

use accountkit::{Error, ErrorKind, RetryPolicy};
use faults::{Fault, serve};

const ATTEMPTS: usize = 3;
const LIMIT: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provider {
    TagoIo,
    Cycle,
    Logto,
    Pangea,
    Stx,
}

const ALL: [Provider; 5] =
    [Provider::TagoIo, Provider::Cycle, Provider::Logto, Provider::Pangea, Provider::Stx];

fn policy() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(ATTEMPTS as u32)
        .backoff(Duration::from_millis(10), Duration::from_millis(40))
        .max_elapsed(Duration::from_secs(10))
}

impl Provider {
    /// Whether the operation called below is a read, and so retried.
    fn idempotent(self) -> bool {
        // Every STX operation is a mutation.
        self != Provider::Stx
    }

    /// One operation: TagoIO `info`, Cycle `get_account`, Logto
    /// `get_profile`, Pangea `user_profile_get` (a read sent as POST), STX
    /// `login`.
    async fn call(self, url: &str, retry: RetryPolicy) -> Result<(), Error> {
        self.call_within(url, retry, Duration::from_secs(5)).await
    }

    async fn call_within(self, url: &str, retry: RetryPolicy, timeout: Duration) -> Result<(), Error> {
        match self {
            Provider::TagoIo => {
                use accountkit::tagoio::{Client, Region};
                let client = Client::builder(Region::Custom(url.into()))
                    .token("tok-fault")
                    .retry(retry)
                    .max_response_bytes(LIMIT)
                    .timeout(timeout)
                    .build()?;
                client.info().await.map(drop)
            }
            Provider::Cycle => {
                use accountkit::cycle::Client;
                let client = Client::builder()
                    .base_url(url)
                    .token("tok-fault")
                    .retry(retry)
                    .max_response_bytes(LIMIT)
                    .timeout(timeout)
                    .build()?;
                client.get_account().await.map(drop)
            }
            Provider::Logto => {
                use accountkit::logto::Client;
                let client = Client::builder(url, "tok-fault")
                    .retry(retry)
                    .max_response_bytes(LIMIT)
                    .timeout(timeout)
                    .build()?;
                client.get_profile().await.map(drop)
            }
            Provider::Pangea => {
                use accountkit::pangea::{Client, UserRef};
                let client = Client::builder("tok-fault")
                    .base_url(url)
                    .retry(retry)
                    .max_response_bytes(LIMIT)
                    .timeout(timeout)
                    .build()?;
                client.user_profile_get(&UserRef::email("ada@example.com")).await.map(drop)
            }
            Provider::Stx => {
                use accountkit::stx::{Client, Credentials, Host};
                let client = Client::builder(Host::Custom(url.into()))
                    .retry(retry)
                    .max_response_bytes(LIMIT)
                    .timeout(timeout)
                    .build()?;
                client.login(&Credentials::new("ada@example.com", "pw-fault")).await.map(drop)
            }
        }
    }
}

/// Runs `fault` against every provider; returns each one's error and the
/// requests its server counted.
async fn against_all(fault: Fault, retry: RetryPolicy) -> Vec<(Provider, Error, usize, Duration)> {
    against_all_within(fault, retry, Duration::from_secs(5)).await
}

/// [`against_all`] with a per-request timeout.
async fn against_all_within(
    fault: Fault,
    retry: RetryPolicy,
    timeout: Duration,
) -> Vec<(Provider, Error, usize, Duration)> {
    let runs = ALL.map(|provider| {
        let fault = fault.clone();
        let retry = retry.clone();
        async move {
            let server = serve(fault).await;
            let started = Instant::now();
            // Generous: a hang is the failure this guards against.
            let outcome = tokio::time::timeout(
                Duration::from_secs(30),
                provider.call_within(&server.url, retry, timeout),
            )
            .await
            .unwrap_or_else(|_| panic!("{provider:?} hung"));
            let error = match outcome {
                Ok(()) => panic!("{provider:?}: a fault must end in an error"),
                Err(error) => error,
            };
            (provider, error, server.requests(), started.elapsed())
        }
    });
    futures::future::join_all(runs).await
}

/// Requests the policy promises: every attempt for a read, one otherwise.
fn expected(provider: Provider, retried: bool) -> usize {
    if retried && provider.idempotent() { ATTEMPTS } else { 1 }
}

fn check(results: &[(Provider, Error, usize, Duration)], kind: ErrorKind, retried: bool) {
    for (provider, error, requests, _) in results {
        assert_eq!(error.kind(), kind, "{provider:?}: {error}");
        assert_eq!(*requests, expected(*provider, retried), "{provider:?}: {error}");
        assert!(!format!("{error} {error:?}").contains("tok-fault"), "{provider:?}: {error:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_mid_body_is_a_transport_error_and_reads_are_retried() {
    let results = against_all(Fault::ResetMidBody, policy()).await;
    check(&results, ErrorKind::Transport, true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_server_times_out_and_reads_are_retried() {
    let results = against_all_within(Fault::Stall, policy(), Duration::from_millis(500)).await;
    check(&results, ErrorKind::Transport, true);
    for (provider, error, _, _) in &results {
        assert!(error.is_timeout(), "{provider:?}: {error}");
        assert!(
            error.to_string().contains("timed out: no whole answer within 500 ms"),
            "{provider:?}: {error}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_json_is_a_decode_error_sent_once() {
    check(&against_all(Fault::TruncatedJson, policy()).await, ErrorKind::Decode, false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_502_is_a_server_error_and_reads_are_retried() {
    let results = against_all(Fault::Html502, policy()).await;
    check(&results, ErrorKind::Server, true);
    for (provider, error, _, _) in &results {
        assert_eq!(error.status(), Some(502), "{provider:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wrong_envelope_on_a_200_is_a_decode_error_sent_once() {
    let body = r#"{"status": "ok", "result": [1, 2], "data": [1, 2], "id": 7, "email": false}"#;
    let results = against_all(Fault::WrongEnvelope(body), policy()).await;
    let (pangea, others): (Vec<_>, Vec<_>) = results.into_iter().partition(|r| r.0 == Provider::Pangea);
    check(&others, ErrorKind::Decode, false);
    // Pangea's envelope names its outcome in `status`: anything but "Success" is the vendor refusing.
    check(&pangea, ErrorKind::Rejected, false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_waits_as_retry_after_says_before_a_read_is_retried() {
    let results = against_all(Fault::RateLimited(1), policy()).await;
    check(&results, ErrorKind::RateLimited, true);
    for (provider, error, _, elapsed) in &results {
        assert_eq!(error.retry_after(), Some(Duration::from_secs(1)), "{provider:?}");
        if provider.idempotent() {
            // Two waits of one second, not the 10 ms backoff.
            assert!(*elapsed >= Duration::from_secs(2), "{provider:?} retried after {elapsed:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_past_the_time_cap_is_not_waited_for() {
    let results = against_all(Fault::RateLimited(120), policy()).await;
    check(&results, ErrorKind::RateLimited, false);
    for (provider, error, _, _) in &results {
        assert_eq!(error.retry_after(), Some(Duration::from_secs(120)), "{provider:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_refused_without_being_read_whole() {
    let results = against_all(Fault::Oversized(16 * LIMIT), policy()).await;
    check(&results, ErrorKind::Decode, false);
    for (provider, error, _, _) in &results {
        assert!(error.to_string().contains(&format!("limit of {LIMIT} bytes")), "{provider:?}: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announced_oversized_length_is_refused_before_reading() {
    let mut raw = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        1 << 30
    )
    .into_bytes();
    raw.extend_from_slice(b"{\"status\": true");
    let results = against_all(Fault::Raw(raw), policy()).await;
    check(&results, ErrorKind::Decode, false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_is_a_decode_error_sent_once() {
    check(&against_all(Fault::InvalidUtf8, policy()).await, ErrorKind::Decode, false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_page_on_a_200_is_a_decode_error_sent_once() {
    check(&against_all(Fault::WrongContentType, policy()).await, ErrorKind::Decode, false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_retries_means_one_request() {
    let results = against_all(Fault::Html502, RetryPolicy::none()).await;
    for (provider, error, requests, _) in &results {
        assert_eq!((error.kind(), *requests), (ErrorKind::Server, 1), "{provider:?}: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_is_not_marked_idempotent_is_never_retried() {
    let server = serve(Fault::Html502).await;
    let client = accountkit::tagoio::Client::builder(accountkit::tagoio::Region::Custom(server.url.clone()))
        .retry(policy())
        .build()
        .unwrap();
    let credentials = accountkit::tagoio::Credentials::new("ada@example.com", "pw-fault");
    let error = client.login(&credentials).await.unwrap_err();
    assert_eq!((error.kind(), server.requests()), (ErrorKind::Server, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_retried_for_any_operation() {
    // Bind, then close: nothing listens on the port.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    for provider in ALL {
        let started = Instant::now();
        let slow = policy().backoff(Duration::from_millis(100), Duration::from_millis(100)).jitter(false);
        let error = provider.call(&url, slow).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Transport, "{provider:?}: {error}");
        // Two backoff waits show the two retries, even for STX's login.
        assert!(started.elapsed() >= Duration::from_millis(200), "{provider:?}");
    }
}

#[test]
fn plain_http_is_refused_unless_loopback_or_allowed() {
    use accountkit::{cycle, logto, pangea, stx, tagoio};
    let remote = "http://api.example.com";
    let refusals = [
        tagoio::Client::builder(tagoio::Region::Custom(remote.into())).build().map(drop),
        cycle::Client::builder().base_url(remote).build().map(drop),
        logto::Client::builder(remote, "tok").build().map(drop),
        pangea::Client::builder("tok").base_url(remote).build().map(drop),
        stx::Client::builder(stx::Host::Custom(remote.into())).build().map(drop),
    ];
    for refused in refusals {
        let error = refused.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert!(error.to_string().contains("base_url") && error.to_string().contains("https"), "{error}");
    }
    let allowed = [
        tagoio::Client::builder(tagoio::Region::Custom(remote.into()))
            .allow_insecure_http(true)
            .build()
            .map(drop),
        cycle::Client::builder().base_url(remote).allow_insecure_http(true).build().map(drop),
        logto::Client::builder(remote, "tok").allow_insecure_http(true).build().map(drop),
        pangea::Client::builder("tok").base_url(remote).allow_insecure_http(true).build().map(drop),
        stx::Client::builder(stx::Host::Custom(remote.into())).allow_insecure_http(true).build().map(drop),
    ];
    for loopback in ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9"] {
        tagoio::Client::builder(tagoio::Region::Custom(loopback.into())).build().unwrap();
        stx::Client::builder(stx::Host::Custom(loopback.into())).build().unwrap();
    }
    for ok in allowed {
        ok.unwrap();
    }
}

#[test]
fn retries_show_in_tracing_spans() {
    // The current thread runs the call, so its capture sees the spans.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (error, traced) = capture::traced(|| {
        runtime.block_on(async {
            let server = serve(Fault::Html502).await;
            Provider::TagoIo.call(&server.url, policy()).await.unwrap_err()
        })
    });
    assert_eq!(error.status(), Some(502));
    for attempt in 1..=ATTEMPTS {
        assert!(traced.contains(&format!("accountkit.attempt{{attempt={attempt} status=502}}")), "{traced}");
    }
    assert_eq!(traced.matches("retrying").count(), ATTEMPTS - 1, "{traced}");
    let request = traced
        .lines()
        .find(|line| {
            line.contains("accountkit.request{") && !line.contains("attempt{") && line.ends_with("close")
        })
        .unwrap();
    for field in ["provider=\"tagoio\"", "operation=\"info\"", "idempotent=true", "attempts=3", "status=502"]
    {
        assert!(request.contains(field), "{field} in {request}");
    }
    // Neither the token nor the URL's path (`/account`), which can hold one.
    assert!(!traced.contains("tok-fault") && !traced.contains("/account"), "{traced}");
}
