//! Every provider against servers, proxies and captive portals that misbehave
//! on purpose. Each case asserts what a second origin received (nothing),
//! what the error shows (no secret, in any field or form), how many requests
//! were made, and that the call ended in bounded time.

mod capture;
mod hostile;

use std::time::{Duration, Instant};

use accountkit::{Error, ErrorKind, RetryPolicy, SecretString};
use hostile::{Host, Reply, Seen, always, host, json, response};
use serde_json::{Value, json};

const TOKEN: &str = "tok-Hostile.7331";
const PASSWORD: &str = "pw\"Hostile\\pässwörd<&> 1";
const NEW_PASSWORD: &str = "new-Hostile-pw+2/x";
const USER_TOKEN: &str = "ptu_hostileusertoken";
const VERIFICATION: &str = "ver-Hostile-id-9";
const HUB: &str = "hub-hostile-1";
const EMAIL: &str = "ada@example.com";

/// Every secret the calls below send.
const SECRETS: [&str; 5] = [TOKEN, PASSWORD, NEW_PASSWORD, USER_TOKEN, VERIFICATION];

/// Far longer than any call here may take: reaching it is a hang.
const BOUND: Duration = Duration::from_secs(20);

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

fn secret(value: &str) -> SecretString {
    SecretString::from(value.to_string())
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .backoff(Duration::from_millis(5), Duration::from_millis(10))
        .max_elapsed(Duration::from_secs(5))
}

/// The settings every client below is built with.
#[derive(Clone)]
struct Settings {
    http: Option<reqwest::Client>,
    retry: RetryPolicy,
    timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { http: None, retry: fast_retries(), timeout: Duration::from_secs(5) }
    }
}

/// Applies [`Settings`] to any provider's builder.
macro_rules! configured {
    ($builder:expr, $settings:expr) => {{
        let settings: &Settings = $settings;
        let builder = $builder.retry(settings.retry.clone()).timeout(settings.timeout);
        match &settings.http {
            Some(http) => builder.http_client(http.clone()),
            None => builder,
        }
    }};
}

fn tagoio(url: &str, settings: &Settings) -> accountkit::tagoio::Client {
    use accountkit::tagoio::{Client, Region};
    configured!(Client::builder(Region::Custom(url.into())).token(TOKEN), settings).build().unwrap()
}

fn cycle(url: &str, settings: &Settings) -> accountkit::cycle::Client {
    use accountkit::cycle::Client;
    configured!(Client::builder().base_url(url).token(TOKEN).hub_id(HUB), settings).build().unwrap()
}

fn logto(url: &str, settings: &Settings) -> accountkit::logto::Client {
    configured!(accountkit::logto::Client::builder(url, TOKEN), settings).build().unwrap()
}

fn pangea(url: &str, settings: &Settings) -> accountkit::pangea::Client {
    configured!(accountkit::pangea::Client::builder(TOKEN).base_url(url), settings).build().unwrap()
}

fn stx(url: &str, settings: &Settings) -> accountkit::stx::Client {
    use accountkit::stx::{Client, Host};
    configured!(Client::builder(Host::Custom(url.into())), settings).build().unwrap()
}

fn verification(id: &str) -> accountkit::logto::Verification {
    accountkit::logto::Verification::from_parts(secret(id), chrono::Utc::now() + chrono::Duration::minutes(5))
}

impl Provider {
    /// A call that sends the client's credential in a header (STX: none) and
    /// a password in its body: TagoIO `password_change`, Cycle
    /// `change_password` (with `X-Hub-Id`), Logto `update_password` (with
    /// `logto-verification-id`), Pangea `client_password_change`, STX `login`.
    async fn send_secrets(self, url: &str, settings: &Settings, password: &str) -> Result<(), Error> {
        match self {
            Provider::TagoIo => tagoio(url, settings).password_change(password).await.map(drop),
            Provider::Cycle => cycle(url, settings).change_password(password, NEW_PASSWORD).await.map(drop),
            Provider::Logto => {
                logto(url, settings).update_password(&verification(VERIFICATION), password).await
            }
            Provider::Pangea => pangea(url, settings)
                .client_password_change(USER_TOKEN, password, NEW_PASSWORD)
                .await
                .map(drop),
            Provider::Stx => {
                let credentials = accountkit::stx::Credentials::new(EMAIL, secret(password));
                stx(url, settings).login(&credentials).await.map(drop)
            }
        }
    }

    /// A read, safe to repeat (STX has none: every operation is a mutation).
    async fn read(self, url: &str, settings: &Settings) -> Result<(), Error> {
        match self {
            Provider::TagoIo => tagoio(url, settings).info().await.map(drop),
            Provider::Cycle => cycle(url, settings).get_account().await.map(drop),
            Provider::Logto => logto(url, settings).get_profile().await.map(drop),
            Provider::Pangea => {
                let user = accountkit::pangea::UserRef::email(EMAIL);
                pangea(url, settings).user_profile_get(&user).await.map(drop)
            }
            Provider::Stx => self.send_secrets(url, settings, PASSWORD).await,
        }
    }

    /// Requests a read makes against an answer that is always retryable.
    fn read_attempts(self) -> usize {
        if self == Provider::Stx { 1 } else { 3 }
    }

    /// The provider's error answer, with `echo` in every text field it has.
    fn echoing(self, echo: &str) -> Vec<u8> {
        let time = "2026-01-01T00:00:00.000Z";
        match self {
            Provider::TagoIo => {
                // A second-factor challenge in a JSON string puts the echo in the hint too.
                let challenge = json!({"otp_enabled": true, "otp_autosend": echo}).to_string();
                json("400 Bad Request", &json!({"status": false, "message": challenge}))
            }
            Provider::Cycle => json(
                "400 Bad Request",
                &json!({"error": {"status": 400, "code": echo, "title": echo, "detail": echo}}),
            ),
            Provider::Logto => json("400 Bad Request", &json!({"code": echo, "message": echo, "data": echo})),
            Provider::Pangea => json(
                "400 Bad Request",
                &json!({
                    "request_id": echo, "request_time": time, "response_time": time,
                    "status": "ValidationError", "summary": echo,
                    "result": {"errors": [{"code": echo, "detail": echo, "source": echo, "path": echo}]}
                }),
            ),
            Provider::Stx => json(
                "200 OK",
                &json!({"data": null, "errors": [{
                    "message": echo, "path": ["login", echo, 0], "extensions": {"code": echo}
                }]}),
            ),
        }
    }
}

/// Runs a call under [`BOUND`]; returns its error and how long it took.
async fn failing(provider: Provider, call: impl Future<Output = Result<(), Error>>) -> (Error, Duration) {
    let started = Instant::now();
    match tokio::time::timeout(BOUND, call).await {
        Ok(Err(error)) => (error, started.elapsed()),
        Ok(Ok(())) => panic!("{provider:?}: the call succeeded"),
        Err(_) => panic!("{provider:?}: the call hung"),
    }
}

/// Everything an error lets a caller read, in one string.
fn shown(error: &Error) -> String {
    let mut text = format!(
        "{error} | {error:?} | {} | {:?} | {:?} | {:?} | {:?}",
        error.message(),
        error.code(),
        error.second_factor_hint(),
        error.request_id(),
        error.path()
    );
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(" | {cause} | {cause:?}"));
        source = cause.source();
    }
    text.push_str(&format!(" | {:?}", accountkit::pangea::field_errors(error)));
    text
}

/// The forms a server echoes a secret in.
fn forms(secret: &str) -> Vec<String> {
    let escape = |text: &str| serde_json::to_string(text).unwrap().trim_matches('"').to_string();
    let json = escape(secret);
    vec![secret.to_string(), escape(&json), json, percent(secret)]
}

fn percent(text: &str) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
    percent_encoding::utf8_percent_encode(text, UNRESERVED).to_string()
}

fn assert_no_secret(provider: Provider, error: &Error, secrets: &[&str]) {
    let shown = shown(error);
    for secret in secrets {
        for form in forms(secret) {
            assert!(!shown.contains(&form), "{provider:?} shows {form:?}: {shown}");
        }
    }
}

// ---- redirects ----------------------------------------------------------

fn redirect(status: &str, location: &str) -> Vec<u8> {
    response(status, &[("location", location), ("content-type", "application/json")], b"{\"status\":true}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_never_followed_and_nothing_reaches_the_other_origin() {
    let elsewhere = always(json("200 OK", &json!({"status": true, "result": "stolen"}))).await;
    let location = format!("{}/steal/{TOKEN}?token={TOKEN}#frag", elsewhere.url);
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "303 See Other",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let code: u16 = status[..3].parse().unwrap();
        let server = always(redirect(status, &location)).await;
        for provider in ALL {
            let before = server.count();
            let settings = Settings::default();
            for call in [
                provider.send_secrets(&server.url, &settings, PASSWORD).await,
                provider.read(&server.url, &settings).await,
            ] {
                let error = call.unwrap_err();
                assert_eq!(
                    (error.kind(), error.status()),
                    (ErrorKind::Redirected, Some(code)),
                    "{provider:?}: {error}"
                );
                assert!(!error.is_retryable(), "{provider:?}");
                // The origin only: the Location's path and query carry the token.
                assert!(
                    error.message().contains(&format!("a redirect to {}", elsewhere.url)),
                    "{provider:?}: {error}"
                );
                assert!(!shown(&error).contains("/steal"), "{provider:?}: {error:?}");
                assert_no_secret(provider, &error, &SECRETS);
            }
            // One request each, even for the read: a redirect is not retried.
            assert_eq!(server.count() - before, 2, "{provider:?} at {status}");
        }
        assert!(server.seen().iter().all(|seen| seen.header("referer").is_none()));
    }
    assert_eq!(elsewhere.count(), 0, "the other origin received a request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_loop_costs_one_request() {
    for provider in ALL {
        let server = host(|seen: &Seen, _| Reply::Bytes(redirect("302 Found", &seen.target))).await;
        let (error, elapsed) = failing(provider, provider.read(&server.url, &Settings::default())).await;
        assert_eq!(error.kind(), ErrorKind::Redirected, "{provider:?}: {error}");
        // A relative Location names the server's own origin.
        assert!(error.message().contains(&server.url), "{provider:?}: {error}");
        assert_eq!(server.count(), 1, "{provider:?}");
        assert!(elapsed < Duration::from_secs(5), "{provider:?}: {elapsed:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_location_names_its_origin_only_whatever_it_holds() {
    let cases: [(Vec<u8>, &str); 4] = [
        (
            format!("http://admin:{TOKEN}@127.0.0.1:9/x?{TOKEN}").into_bytes(),
            "a redirect to http://127.0.0.1:9;",
        ),
        (b"https://portal.example/login?from=tok".to_vec(), "a redirect to https://portal.example:443;"),
        (b"javascript:alert(1)".to_vec(), "a redirect with no usable location"),
        (b"http://\xff\xfe/".to_vec(), "a redirect with no usable location"),
    ];
    for (location, expected) in cases {
        let mut raw = b"HTTP/1.1 302 Found\r\nlocation: ".to_vec();
        raw.extend_from_slice(&location);
        raw.extend_from_slice(b"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        let server = always(raw).await;
        for provider in ALL {
            let (error, _) =
                failing(provider, provider.send_secrets(&server.url, &Settings::default(), PASSWORD)).await;
            assert_eq!(error.kind(), ErrorKind::Redirected, "{provider:?}: {error}");
            assert!(error.message().contains(expected), "{provider:?}: {error}");
            assert!(!shown(&error).contains("/login") && !shown(&error).contains("admin"), "{error:?}");
            assert_no_secret(provider, &error, &SECRETS);
        }
        assert_eq!(server.count(), ALL.len());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_client_builder_follows_nothing_and_sends_no_referer() {
    let elsewhere = always(json("200 OK", &json!({}))).await;
    let server = always(redirect("307 Temporary Redirect", &format!("{}/x", elsewhere.url))).await;
    let own = accountkit::http_client_builder().unwrap().build().unwrap();
    let settings = Settings { http: Some(own), ..Settings::default() };
    for provider in ALL {
        let (error, _) = failing(provider, provider.send_secrets(&server.url, &settings, PASSWORD)).await;
        assert_eq!(error.kind(), ErrorKind::Redirected, "{provider:?}: {error}");
    }
    assert_eq!((server.count(), elsewhere.count()), (ALL.len(), 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_from_another_origin_is_refused_when_the_callers_client_follows() {
    // The caller's own client follows redirects: what it sends there cannot be
    // taken back, but its answer is never returned as the vendor's.
    let elsewhere = always(json("200 OK", &json!({"status": true, "result": "stolen", "data": {}}))).await;
    let server = always(redirect("307 Temporary Redirect", &format!("{}/x", elsewhere.url))).await;
    let following = accountkit::http_client_builder()
        .unwrap()
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .unwrap();
    let settings = Settings { http: Some(following), retry: fast_retries(), ..Settings::default() };
    for provider in ALL {
        let (error, _) = failing(provider, provider.send_secrets(&server.url, &settings, PASSWORD)).await;
        assert_eq!(error.kind(), ErrorKind::Redirected, "{provider:?}: {error}");
        assert!(
            error.message().contains(&format!("followed a redirect to {}", elsewhere.url)),
            "{provider:?}: {error}"
        );
        assert_no_secret(provider, &error, &SECRETS);
    }
    // Once each (the refusal is not retried), and never with a Referer.
    assert_eq!(elsewhere.count(), ALL.len());
    assert!(elsewhere.seen().iter().all(|seen| seen.header("referer").is_none()));
}

// ---- echoed secrets -----------------------------------------------------

/// What an echoing server puts back: the whole request as it arrived, the
/// same JSON-escaped, and every string value of the body as received,
/// JSON-escaped and percent-encoded.
fn echo_of(seen: &Seen) -> String {
    let raw = seen.text();
    let mut echo = format!("{raw} | {}", serde_json::to_string(&raw).unwrap());
    if let Ok(body) = serde_json::from_slice::<Value>(&seen.body) {
        let mut values = Vec::new();
        strings(&body, &mut values);
        for value in values {
            echo.push_str(&format!(
                " | {value} {} {}",
                serde_json::to_string(&value).unwrap(),
                percent(&value)
            ));
        }
    }
    echo
}

fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

async fn echo_server(provider: Provider) -> Host {
    host(move |seen: &Seen, _| Reply::Bytes(provider.echoing(&echo_of(seen)))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echoed_secrets_survive_in_no_field_of_any_error() {
    for provider in ALL {
        let server = echo_server(provider).await;
        let (error, _) =
            failing(provider, provider.send_secrets(&server.url, &Settings::default(), PASSWORD)).await;
        assert_no_secret(provider, &error, &SECRETS);
        assert_eq!(server.count(), 1, "{provider:?}");
        // The fields the server filled are there, scrubbed, not dropped.
        assert!(error.message().contains("[REDACTED]"), "{provider:?}: {error}");
        match provider {
            Provider::TagoIo => assert!(error.second_factor_hint().unwrap().contains("[REDACTED]")),
            Provider::Cycle | Provider::Logto => assert!(error.code().unwrap().contains("[REDACTED]")),
            Provider::Pangea => {
                assert!(error.request_id().unwrap().contains("[REDACTED]"));
                let fields = accountkit::pangea::field_errors(&error);
                assert!(!fields.is_empty() && fields[0].detail.contains("[REDACTED]"), "{fields:?}");
                assert!(fields[0].source.contains("[REDACTED]"), "{fields:?}");
            }
            Provider::Stx => assert!(error.path().unwrap().contains("[REDACTED]"), "{error:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_too_short_to_cut_out_withholds_the_text() {
    for provider in ALL {
        let server = echo_server(provider).await;
        let (error, _) =
            failing(provider, provider.send_secrets(&server.url, &Settings::default(), "zq")).await;
        assert!(!shown(&error).contains("zq"), "{provider:?}: {error:?}");
        assert!(error.message().contains("[withheld"), "{provider:?}: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_secrets_leave_no_tail() {
    // The echo runs the three secrets together: `ptu_overlapAAAA|AAAAbbbbCCCC|CCCCdddd!`.
    let server =
        host(|_: &Seen, _| Reply::Bytes(Provider::Pangea.echoing("echo ptu_overlapAAAAbbbbCCCCdddd! end")))
            .await;
    let client = pangea(&server.url, &Settings::default());
    let error =
        client.client_password_change("ptu_overlapAAAA", "AAAAbbbbCCCC", "CCCCdddd!").await.unwrap_err();
    let shown = shown(&error);
    for piece in ["AAAA", "bbbb", "CCCC", "dddd", "overlap"] {
        assert!(!shown.contains(piece), "{piece}: {shown}");
    }
    assert!(error.message().contains("echo [REDACTED] end"), "{error}");
}

// ---- what is refused before sending ----------------------------------------

#[tokio::test]
async fn credentials_a_server_cannot_read_are_refused_before_sending() {
    let server = always(json("200 OK", &json!({}))).await;
    let url = server.url.as_str();
    for bad in ["tók-1", "   ", "tok 1", "tok\t1", "\u{7f}tok", &"t".repeat(5000)] {
        let built = [
            (
                "token",
                accountkit::tagoio::Client::builder(accountkit::tagoio::Region::Custom(url.into()))
                    .token(bad)
                    .build()
                    .map(drop),
            ),
            ("token", accountkit::cycle::Client::builder().base_url(url).token(bad).build().map(drop)),
            (
                "hub_id",
                accountkit::cycle::Client::builder().base_url(url).token(TOKEN).hub_id(bad).build().map(drop),
            ),
            ("access_token", accountkit::logto::Client::builder(url, bad).build().map(drop)),
            ("token", accountkit::pangea::Client::builder(bad).base_url(url).build().map(drop)),
        ];
        for (field, result) in built {
            let error = result.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidInput, "{bad:?}: {error}");
            assert!(error.message().starts_with(&format!("`{field}` ")), "{bad:?}: {error}");
            assert!(!error.message().contains(bad.trim()) || bad.trim().is_empty(), "{error}");
        }
        let error =
            logto(url, &Settings::default()).update_password(&verification(bad), PASSWORD).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{bad:?}: {error}");
        assert!(error.message().starts_with("`verification` "), "{error}");
    }
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn oversized_url_values_are_invalid_input_not_a_transport_error() {
    let server = always(json("200 OK", &json!({}))).await;
    let settings = Settings::default();
    let huge = "x".repeat(70 * 1024);
    let calls: Vec<(&str, Result<(), Error>)> = vec![
        ("token", tagoio(&server.url, &settings).confirm_account(&huge).await.map(drop)),
        ("token", tagoio(&server.url, &settings).accept_team_invitation(&huge).await.map(drop)),
        ("invite_id", cycle(&server.url, &settings).accept_invite(&huge).await.map(drop)),
        (
            "filter",
            cycle(&server.url, &settings)
                .logins_page(&accountkit::cycle::ListQuery::new().filter("ip", huge.as_str()))
                .await
                .map(drop),
        ),
        (
            "target",
            logto(&server.url, &settings).delete_identity(Some(&verification(VERIFICATION)), &huge).await,
        ),
    ];
    for (field, result) in calls {
        let error = result.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{field}: {error}");
        assert!(!error.is_retryable());
        assert!(error.message().starts_with(&format!("`{field}` is longer than")), "{error}");
    }
    assert_eq!(server.count(), 0);
}

// ---- retries --------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_with_effects_are_sent_once_on_a_503() {
    let unavailable = || always(response("503 Service Unavailable", &[("retry-after", "0")], b""));
    let settings = Settings::default();
    let email_token = secret("confirm-token-1");
    let sent_once: Vec<(&str, Host, Result<(), Error>)> = vec![
        {
            let s = unavailable().await;
            let r = tagoio(&s.url, &settings).password_recover(EMAIL).await.map(drop);
            ("tagoio password_recover", s, r)
        },
        {
            let s = unavailable().await;
            let r = tagoio(&s.url, &settings).resend_confirmation(EMAIL).await.map(drop);
            ("tagoio resend_confirmation", s, r)
        },
        {
            let s = unavailable().await;
            let r = tagoio(&s.url, &settings).confirm_account(&email_token).await.map(drop);
            ("tagoio confirm_account", s, r)
        },
        {
            let s = unavailable().await;
            let r = tagoio(&s.url, &settings).accept_team_invitation(&email_token).await.map(drop);
            ("tagoio accept_team_invitation", s, r)
        },
        {
            let s = unavailable().await;
            let r = tagoio(&s.url, &settings).decline_team_invitation(&email_token).await.map(drop);
            ("tagoio decline_team_invitation", s, r)
        },
        {
            let s = unavailable().await;
            let r = cycle(&s.url, &settings).two_factor_setup().await.map(drop);
            ("cycle two_factor_setup", s, r)
        },
        {
            let s = unavailable().await;
            let r = pangea(&s.url, &settings).client_userinfo("pmc_onetimecode", None).await.map(drop);
            ("pangea client_userinfo", s, r)
        },
    ];
    for (name, server, result) in sent_once {
        let error = result.unwrap_err();
        assert_eq!((error.status(), server.count()), (Some(503), 1), "{name}: {error}");
    }
    for provider in ALL {
        let server = unavailable().await;
        let (error, _) = failing(provider, provider.read(&server.url, &settings)).await;
        assert_eq!(error.status(), Some(503), "{provider:?}");
        assert_eq!(server.count(), provider.read_attempts(), "{provider:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_mid_body_never_repeats_a_one_time_code() {
    // More announced than sent, then the connection closes.
    let raw =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4096\r\n\r\n{\"request_id\"";
    let server = always(raw.to_vec()).await;
    let error =
        pangea(&server.url, &Settings::default()).client_userinfo("pmc_onetimecode", None).await.unwrap_err();
    assert_eq!((error.kind(), server.count()), (ErrorKind::Transport, 1), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pangea_retries_name_the_earlier_request_ids() {
    let time = "2026-01-01T00:00:00.000Z";
    let server = host(move |_: &Seen, n| {
        Reply::Bytes(match n {
            0 => response("503 Service Unavailable", &[("x-request-id", "prq_first")], b""),
            // A hostile id is not passed on.
            1 => response("502 Bad Gateway", &[("x-request-id", "prq_x,evil")], b""),
            2 => response("503 Service Unavailable", &[("x-request-id", "prq_third")], b""),
            _ => json(
                "200 OK",
                &json!({"request_id": "prq_last", "request_time": time, "response_time": time,
                        "status": "Success", "summary": "ok", "result": {
                    "id": "pui_1", "email": EMAIL, "profile": {}, "verified": true, "disabled": false,
                    "require_mfa": false, "created_at": time
                }}),
            ),
        })
    })
    .await;
    let settings = Settings { retry: fast_retries().max_attempts(4), ..Settings::default() };
    let _ = pangea(&server.url, &settings).user_profile_get(&accountkit::pangea::UserRef::email(EMAIL)).await;
    let seen = server.seen();
    assert_eq!(seen.len(), 4);
    let header = |n: usize| seen[n].header("x-pangea-retried-request-ids").map(str::to_string);
    assert_eq!(header(0), None);
    assert_eq!(header(1).as_deref(), Some("prq_first"));
    assert_eq!(header(2).as_deref(), Some("prq_first"));
    assert_eq!(header(3).as_deref(), Some("prq_first,prq_third"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pangea_poll_id_must_be_one_plain_segment() {
    let time = "2026-01-01T00:00:00.000Z";
    for id in ["../../v2/user/delete", "a/b", "..", "prq_1?x=1", "prq 1", "%2e%2e", "prq_1#x"] {
        let body = json!({"request_id": id, "request_time": time, "response_time": time,
                          "status": "Accepted", "summary": "later", "result": null});
        let server = always(json("202 Accepted", &body)).await;
        let user = accountkit::pangea::UserRef::email(EMAIL);
        let error = pangea(&server.url, &Settings::default()).user_profile_get(&user).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Decode, "{id}: {error}");
        assert_eq!(server.count(), 1, "{id}: polled");
    }
}

// ---- proxies, portals and servers that never finish -------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_and_proxy_answers_are_errors_sent_once() {
    let html = b"<html><body><form action=/login>Sign in to the Wi-Fi</form></body></html>";
    let answers = [
        (
            response("511 Network Authentication Required", &[("content-type", "text/html")], html),
            ErrorKind::Server,
        ),
        (
            response(
                "407 Proxy Authentication Required",
                &[("proxy-authenticate", "Basic realm=\"proxy\"")],
                b"",
            ),
            ErrorKind::Rejected,
        ),
        (response("200 OK", &[("content-type", "text/html")], html), ErrorKind::Decode),
    ];
    for (raw, kind) in answers {
        for provider in ALL {
            let server = always(raw.clone()).await;
            let (error, _) = failing(provider, provider.read(&server.url, &Settings::default())).await;
            assert_eq!(error.kind(), kind, "{provider:?}: {error}");
            assert_eq!(server.count(), 1, "{provider:?}: {error}");
            assert!(!shown(&error).contains("Wi-Fi"), "{provider:?}: {error:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_that_never_finish_or_overflow_end_in_an_error_within_the_timeout() {
    let settings =
        Settings { retry: RetryPolicy::none(), timeout: Duration::from_millis(800), ..Settings::default() };
    let scripts: [fn() -> Reply; 4] = [
        || Reply::Stall,
        || Reply::Endless(b"HTTP/1.1 100 Continue\r\n\r\n".to_vec()),
        || {
            Reply::Drip(
                b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"status\": true}".to_vec(),
                Duration::from_millis(300),
            )
        },
        || {
            Reply::Bytes(
                format!("HTTP/1.1 200 OK\r\n{}\r\n", "x-filler: aaaaaaaaaaaaaaaa\r\n".repeat(5000))
                    .into_bytes(),
            )
        },
    ];
    for (n, script) in scripts.into_iter().enumerate() {
        for provider in ALL {
            let server = host(move |_: &Seen, _| script()).await;
            let (error, elapsed) = failing(provider, provider.read(&server.url, &settings)).await;
            assert_eq!(error.kind(), ErrorKind::Transport, "script {n}, {provider:?}: {error}");
            assert!(elapsed < Duration::from_secs(5), "script {n}, {provider:?}: {elapsed:?}");
            assert_eq!(server.count(), 1, "script {n}, {provider:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_a_server_sets_are_never_sent_back() {
    for provider in ALL {
        let server = always(response(
            "503 Service Unavailable",
            &[("set-cookie", &format!("session={TOKEN}; Path=/")), ("retry-after", "0")],
            b"",
        ))
        .await;
        let _ = provider.read(&server.url, &Settings::default()).await;
        assert!(server.seen().iter().all(|seen| seen.header("cookie").is_none()), "{provider:?}");
    }
}

// ---- tracing ----------------------------------------------------------------

/// TRACE output of one read retried `attempts` times against a 503.
fn traced(provider: Provider, attempts: u32) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let ((), traced) = capture::traced(|| {
        runtime.block_on(async {
            let server = always(response("503 Service Unavailable", &[], b"")).await;
            let retry = RetryPolicy::default()
                .max_attempts(attempts)
                .backoff(Duration::ZERO, Duration::ZERO)
                .max_elapsed(Duration::from_secs(60));
            let settings = Settings { retry, ..Settings::default() };
            let _ = provider.read(&server.url, &settings).await;
            assert_eq!(server.count(), attempts as usize);
        })
    });
    traced
}

#[test]
fn trace_output_grows_linearly_with_attempts() {
    for provider in [Provider::TagoIo, Provider::Cycle, Provider::Logto, Provider::Pangea] {
        let (few, many) = (traced(provider, 5), traced(provider, 40));
        // Eight times the attempts: about eight times the output, not sixty-four.
        let ratio = many.len() as f64 / few.len() as f64;
        assert!(ratio < 10.0, "{provider:?}: {} then {} bytes", few.len(), many.len());
        assert!(!many.contains(TOKEN), "{provider:?}");
        let request_closes: Vec<&str> =
            many.lines().filter(|l| l.contains("accountkit.request{") && l.ends_with("close")).collect();
        assert!(request_closes.iter().any(|l| l.contains("attempts=40")), "{provider:?}: {request_closes:?}");
    }
}
