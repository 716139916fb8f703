//! Cycle failures of every shape end in a typed `accountkit::Error` with the
//! status, Cycle's code and title, and no secret ever shows in a client, an
//! input or an error.

#![cfg(feature = "cycle")]

use std::time::Duration;

use accountkit::cycle::{
    Capability, Client, ClientBuilder, ErrorCode, ListQuery, TwoFactorRecovery, TwoFactorSetup,
    missing_capability,
};
use accountkit::{Error, ErrorKind, RetryPolicy, SecretString};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "cyc-key-7f3a9c2e-secret";
const PASSWORD: &str = "pw-Correct-Horse";
const CODE: &str = "908172";
const RECOVERY: &str = "rc-5d6e-7f80";

async fn answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(template).mount(&server).await;
    server
}

fn client(server: &MockServer) -> Client {
    // Error mapping only: retries have their own suite.
    Client::builder().base_url(server.uri()).token(TOKEN).retry(RetryPolicy::none()).build().unwrap()
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

fn envelope(status: u16, code: &str, title: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"error": {"status": status, "code": code, "title": title}, "data": null}))
}

#[tokio::test]
async fn error_envelope_gives_status_code_and_title() {
    let server = answering(envelope(404, "404.account", "Account not found")).await;
    let err = client(&server).get_account().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), Some("404.account"));
    assert_eq!(ErrorCode::from(err.code().unwrap()), ErrorCode::AccountNotFound);
    assert_eq!(err.message(), "Account not found");
    assert_eq!((err.provider(), err.operation()), ("cycle", "get_account"));
    assert_eq!(err.to_string(), "cycle get_account: not found (HTTP 404, 404.account): Account not found");
}

#[tokio::test]
async fn detail_and_missing_capability_join_the_message() {
    let body = json!({"error": {"status": 403, "code": "403.permissions", "title": "Not permitted",
                                "detail": "The hub owner must allow this", "source": "/data",
                                "extra": {"capability": "hubs-delete"}}, "data": null});
    let server = answering(ResponseTemplate::new(403).set_body_json(body)).await;
    let err = client(&server).delete_account().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert_eq!(
        err.message(),
        "Not permitted: The hub owner must allow this (missing capability `hubs-delete`)"
    );
    assert_eq!(missing_capability(&err), Some(Capability::HubsDelete));

    let server = answering(envelope(403, "403.permissions", "Not permitted")).await;
    assert_eq!(missing_capability(&client(&server).delete_account().await.unwrap_err()), None);
}

#[tokio::test]
async fn oauth_style_auth_errors_are_understood() {
    let server =
        answering(ResponseTemplate::new(401).set_body_json(
            json!({"error": "invalid_token", "error_description": "The access token expired"}),
        ))
        .await;
    let err = client(&server).get_account().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("invalid_token"));
    assert_eq!(err.message(), "The access token expired");
}

#[tokio::test]
async fn a_required_second_factor_is_its_own_kind() {
    let server = answering(envelope(403, "403.2fa-required", "Two-factor auth required")).await;
    let err = client(&server).change_password(PASSWORD, "another-pass").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SecondFactorRequired);
    assert_eq!(err.second_factor_hint(), Some("totp"));
    assert_eq!(err.status(), Some(403));
}

#[tokio::test]
async fn a_wrong_totp_code_is_forbidden_with_its_code() {
    let server = answering(envelope(403, "403.2fa-failed", "Invalid two-factor token")).await;
    let err = client(&server).enable_two_factor(CODE).await.unwrap_err();
    assert_eq!((err.kind(), err.code()), (ErrorKind::Forbidden, Some("403.2fa-failed")));
    assert_eq!(ErrorCode::from(err.code().unwrap()), ErrorCode::TwoFactorFailed);
}

#[tokio::test]
async fn an_error_code_this_version_does_not_know_stays_readable() {
    let server = answering(envelope(422, "422.brand-new", "Something new")).await;
    let err = client(&server).get_account().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(ErrorCode::from(err.code().unwrap()), ErrorCode::Other("422.brand-new".into()));
}

#[tokio::test]
async fn undocumented_statuses_and_bodies() {
    let server = answering(
        ResponseTemplate::new(502).set_body_raw("<html><body>Bad Gateway</body></html>", "text/html"),
    )
    .await;
    let err = client(&server).get_account().await.unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Server, Some(502)));
    assert!(err.is_retryable());

    let server = answering(ResponseTemplate::new(404)).await;
    let err = client(&server).get_account().await.unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::NotFound, Some(404)));
    assert_eq!(err.message(), "HTTP 404 with an empty body");

    // A 3xx is never followed, nor its body read.
    let server = answering(envelope(302, "302.moved", "Moved")).await;
    let err = client(&server).get_account().await.unwrap_err();
    assert_eq!((err.kind(), err.status(), err.code()), (ErrorKind::Redirected, Some(302), None));
    assert!(err.message().contains("follows no redirect"), "{err}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn wrong_shapes_on_success_are_decode_errors() {
    for (status, body) in [
        (200, json!([1, 2])),
        (200, json!({"data": null})),
        (200, json!({"data": {"id": 5}})),
        (200, json!({"nodata": true})),
    ] {
        let server = answering(ResponseTemplate::new(status).set_body_json(body.clone())).await;
        let err = client(&server).get_account().await.unwrap_err();
        assert_eq!((err.kind(), err.status()), (ErrorKind::Decode, Some(status)), "{body}: {err}");
    }
    let server =
        answering(ResponseTemplate::new(202).set_body_raw(r#"{"data": {"act"#, "application/json")).await;
    let err = client(&server).delete_account().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("ends early"), "{err}");
}

#[tokio::test]
async fn an_envelope_with_a_success_status_is_still_an_error() {
    let server = answering(envelope(200, "500.unknown", "Something broke")).await;
    let err = client(&server).get_account().await.unwrap_err();
    assert_eq!((err.kind(), err.status(), err.code()), (ErrorKind::Rejected, Some(200), Some("500.unknown")));
}

#[tokio::test]
async fn rate_limited_with_retry_after() {
    let server =
        answering(envelope(429, "429.rate-limiting", "Slow down").insert_header("retry-after", "9")).await;
    let err = client(&server).get_account().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(9)));
}

#[tokio::test]
async fn a_stalled_server_ends_in_a_timeout() {
    let server = answering(
        ResponseTemplate::new(200).set_body_json(json!({"data": {}})).set_delay(Duration::from_secs(5)),
    )
    .await;
    let client = Client::builder()
        .base_url(server.uri())
        .token(TOKEN)
        .retry(RetryPolicy::none())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = client.get_account().await.unwrap_err();
    assert!(err.is_timeout() && err.kind() == ErrorKind::Transport, "{err}");
}

#[tokio::test]
async fn malformed_arguments_are_refused_before_sending() {
    let server = answering(ResponseTemplate::new(500)).await;
    let cycle = client(&server);
    let refused = |e: Error| {
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        e.message().to_string()
    };
    let m = refused(cycle.start_password_reset("not-an-email").await.unwrap_err());
    assert!(m.starts_with("`email` "), "{m}");
    let m = refused(cycle.change_password(PASSWORD, "short").await.unwrap_err());
    assert_eq!(m, "`new` must have at least 8 characters");
    let m = refused(cycle.enable_two_factor("12ab56").await.unwrap_err());
    assert_eq!(m, "`code` must be 4 to 10 digits");
    let m = refused(cycle.disable_two_factor_with("not base32!").await.unwrap_err());
    assert_eq!(m, "`secret` is not a base32 TOTP secret");
    let m = refused(cycle.complete_password_reset("", "long enough").await.unwrap_err());
    assert_eq!(m, "`token` is empty");
    let m = refused(
        cycle
            .recover_two_factor(&TwoFactorRecovery::new("ada@example.com", PASSWORD, [""; 0]))
            .await
            .unwrap_err(),
    );
    assert_eq!(m, "`recovery_codes` is empty");
    let m = refused(cycle.logins_page(&ListQuery::new().filter("a[b]", "c")).await.unwrap_err());
    assert!(m.starts_with("`filter` "), "{m}");
    let m = refused(cycle.update_account(&accountkit::cycle::AccountUpdate::new()).await.unwrap_err());
    assert_eq!(m, "`update` changes nothing");
    let m = refused(Client::builder().hub_id("hub\nid").build().unwrap_err());
    assert!(m.starts_with("`hub_id` "), "{m}");
    let m = refused(Client::builder().base_url("ftp://x.io").build().unwrap_err());
    assert!(m.starts_with("`base_url` "), "{m}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

// ---- redaction ----

fn assert_clean(what: &str, text: &str) {
    for secret in [TOKEN, PASSWORD, CODE, RECOVERY] {
        assert!(!text.contains(secret), "{what} shows a secret: {text}");
    }
}

#[tokio::test]
async fn no_secret_in_debug_or_display_of_clients_inputs_or_errors() {
    let echo = format!("{TOKEN} {PASSWORD} {CODE} {RECOVERY}");
    let server = answering(envelope(422, "422.invalid-input", &echo)).await;
    let cycle = client(&server);
    assert_clean("client", &format!("{cycle:?}"));
    let builder: ClientBuilder = Client::builder().token(TOKEN).hub_id("h1");
    assert_clean("builder", &format!("{builder:?}"));
    let recovery = TwoFactorRecovery::new("ada@example.com", PASSWORD, [secret(RECOVERY)]).token(CODE);
    assert_clean("recovery", &format!("{recovery:?}"));

    let setup_server =
        answering(ResponseTemplate::new(200).set_body_json(json!({"data": {"qr": "q", "secret": TOKEN}})))
            .await;
    let setup: TwoFactorSetup = client(&setup_server).two_factor_setup().await.unwrap();
    assert_clean("setup", &format!("{setup:?}"));
    let codes_server = answering(
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": {"recovery_codes": [RECOVERY], "totp_passcode": CODE}})),
    )
    .await;
    let codes = client(&codes_server).enable_two_factor(CODE).await.unwrap();
    assert_clean("recovery codes", &format!("{codes:?}"));

    // Each error is clean of the token and of every secret its call sent.
    let new_password = format!("{PASSWORD}-2");
    let checks: Vec<(Error, Vec<&str>)> = vec![
        (cycle.get_account().await.unwrap_err(), vec![TOKEN]),
        (cycle.change_password(PASSWORD, &new_password).await.unwrap_err(), vec![TOKEN, PASSWORD]),
        (cycle.enable_two_factor(CODE).await.unwrap_err(), vec![TOKEN, CODE]),
        (cycle.disable_two_factor(CODE).await.unwrap_err(), vec![TOKEN, CODE]),
        (cycle.complete_password_reset(TOKEN, PASSWORD).await.unwrap_err(), vec![TOKEN, PASSWORD]),
        (cycle.recover_two_factor(&recovery).await.unwrap_err(), vec![TOKEN, PASSWORD, CODE, RECOVERY]),
        (Client::new(format!("{TOKEN}\n")).unwrap_err(), vec![TOKEN]),
    ];
    for (err, sent) in &checks {
        let shown = format!("{err} {err:?}");
        for secret in sent {
            assert!(!shown.contains(secret), "error shows a secret: {shown}");
        }
    }
    let errors: Vec<&Error> = checks.iter().map(|(e, _)| e).collect();
    assert!(errors[0].message().contains("[REDACTED]"), "{}", errors[0]);
}

#[tokio::test]
async fn errors_name_the_facade_method() {
    let server = answering(envelope(403, "403.2fa-invalid", "Invalid 2FA token")).await;
    let client = client(&server);
    let err = client.enable_two_factor(CODE).await.unwrap_err();
    assert_eq!(err.operation(), "enable_two_factor");
    let err = client.disable_two_factor(CODE).await.unwrap_err();
    assert_eq!(err.operation(), "disable_two_factor");
    let err = client.disable_two_factor_with("JBSWY3DPEHPK3PXP").await.unwrap_err();
    assert_eq!(err.operation(), "disable_two_factor_with");
    assert_eq!(client.two_factor_setup().await.unwrap_err().operation(), "two_factor_setup");
    assert_eq!(
        client.start_password_reset("ada@example.com").await.unwrap_err().operation(),
        "start_password_reset"
    );
    assert_eq!(client.decline_invite("inv-1").await.unwrap_err().operation(), "decline_invite");
    assert_eq!(client.logins_page(&ListQuery::new()).await.unwrap_err().operation(), "logins_page");
    assert_eq!(client.all_logins(&ListQuery::new()).await.unwrap_err().operation(), "all_logins");
    assert_eq!(client.all_memberships().await.unwrap_err().operation(), "all_memberships");
}
