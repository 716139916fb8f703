//! TagoIO failures of every shape end in a typed `accountkit::Error`, and no
//! secret ever shows in a client, an input or an error.

#![cfg(feature = "tagoio")]

use std::time::Duration;

use accountkit::tagoio::{
    AccountChanges, Client, ClientBuilder, Credentials, NewAccount, OtpType, ProfileToken, Region,
    TokenRequest,
};
use accountkit::{Error, ErrorKind, RetryPolicy, SecretString};
use serde_json::{Value, json};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "tok-7f3a9c2e-secret";
const PASSWORD: &str = "pw-Correct-Horse";
const PIN: &str = "908172";

async fn answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(template).mount(&server).await;
    server
}

fn client(server: &MockServer) -> Client {
    // Error mapping only: retries have their own suite.
    Client::builder(Region::Custom(server.uri())).token(TOKEN).retry(RetryPolicy::none()).build().unwrap()
}

fn credentials() -> Credentials {
    Credentials::new("ada@example.com", PASSWORD)
}

fn json_response(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

#[tokio::test]
async fn unauthorized_with_message() {
    let server =
        answering(json_response(401, json!({"status": false, "message": "Authorization denied"}))).await;
    let err = client(&server).info().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.message(), "Authorization denied");
    assert_eq!(err.provider(), "tagoio");
    assert_eq!(err.operation(), "info");
    assert!(!err.is_retryable());
    assert_eq!(err.to_string(), "tagoio info: unauthorized (HTTP 401): Authorization denied");
}

#[tokio::test]
async fn status_false_on_http_200_is_an_error() {
    let server =
        answering(json_response(200, json!({"status": false, "message": "Account already confirmed"}))).await;
    let err = client(&server).resend_confirmation("ada@example.com").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Rejected);
    assert_eq!(err.status(), Some(200));
    assert_eq!(err.message(), "Account already confirmed");
}

#[tokio::test]
async fn status_false_with_nested_message_on_http_200() {
    // `result` is an object where a string is documented: still the vendor's error.
    let server =
        answering(json_response(200, json!({"status": false, "result": {"message": "Not allowed"}}))).await;
    let err = client(&server).delete().await.unwrap_err();
    assert_eq!((err.kind(), err.status(), err.message()), (ErrorKind::Rejected, Some(200), "Not allowed"));
}

#[tokio::test]
async fn result_message_error_form() {
    let server = answering(json_response(
        400,
        json!({"status": false, "result": {"message": "Missing required field: name"}}),
    ))
    .await;
    let err = client(&server).edit(&AccountChanges::new().company("x")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.message(), "Missing required field: name");
}

#[tokio::test]
async fn pin_required_login_is_a_typed_error_with_the_hint() {
    let challenge = json!({"status": false, "message": "{\"otp_enabled\":true,\"otp_autosend\":\"sms\"}"});
    let server = answering(json_response(401, challenge)).await;
    let err = client(&server).login(&credentials()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SecondFactorRequired);
    assert_eq!(err.second_factor_hint(), Some("sms"));
    assert_eq!(err.status(), Some(401));
    assert_eq!(OtpType::from_hint(err.second_factor_hint().unwrap()), Some(OtpType::Sms));
    assert!(!err.message().contains("otp_enabled"), "{err}");
}

fn has_pin(request: &Request) -> bool {
    serde_json::from_slice::<Value>(&request.body).map(|b| b.get("pin_code").is_some()).unwrap_or(false)
}

#[tokio::test]
async fn login_with_otp_requests_the_pin_and_logs_in_with_it() {
    let server = MockServer::start().await;
    let challenge = json!({"status": false, "message": "{\"otp_enabled\":true,\"otp_autosend\":\"email\"}"});
    Mock::given(method("POST"))
        .and(path("/account/login"))
        .and(|r: &Request| !has_pin(r))
        .respond_with(json_response(401, challenge))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/account/login/otp"))
        .respond_with(json_response(200, json!({"status": true, "result": "PIN sent"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/account/login"))
        .and(has_pin)
        .respond_with(json_response(
            200,
            json!({"status": true, "result": {"id": "a1", "email": "ada@example.com", "profiles": []}}),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let login = client(&server)
        .login_with_otp(&credentials(), async |otp: OtpType| {
            assert_eq!(otp, OtpType::Email);
            Some(SecretString::from(PIN.to_string()))
        })
        .await
        .unwrap();
    assert_eq!(login.id, "a1");

    let requests = server.received_requests().await.unwrap();
    let bodies: Vec<Value> = requests.iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect();
    assert_eq!(bodies[1], json!({"email": "ada@example.com", "password": PASSWORD, "otp_type": "email"}));
    assert_eq!(
        bodies[2],
        json!({"email": "ada@example.com", "password": PASSWORD, "otp_type": "email", "pin_code": PIN})
    );
}

#[tokio::test]
async fn login_with_otp_skips_the_pin_request_for_authenticators_and_returns_the_challenge_without_a_pin() {
    let challenge =
        json!({"status": false, "message": "{\"otp_enabled\":true,\"otp_autosend\":\"authenticator\"}"});
    let server = answering(json_response(401, challenge)).await;
    let err = client(&server).login_with_otp(&credentials(), async |_| None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SecondFactorRequired);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn html_502_from_a_proxy() {
    let server = answering(
        ResponseTemplate::new(502).set_body_raw("<html><body>Bad Gateway</body></html>", "text/html"),
    )
    .await;
    let err = client(&server).info().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.status(), Some(502));
    assert!(err.is_retryable());
    assert_eq!(err.message(), "HTTP 502 with a body that is not JSON");
}

#[tokio::test]
async fn malformed_json_on_200() {
    let server = answering(
        ResponseTemplate::new(200).set_body_raw(r#"{"status": true, "result": {"id": "#, "application/json"),
    )
    .await;
    let err = client(&server).info().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.status(), Some(200));
    assert!(err.message().contains("ends early"), "{err}");
}

#[tokio::test]
async fn wrong_shapes_on_200() {
    for body in [
        json!([1, 2, 3]),
        json!({"status": true}),
        json!({"status": true, "result": {"id": 5}}),
        json!("text"),
    ] {
        let server = answering(json_response(200, body.clone())).await;
        let err = client(&server).info().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{body}: {err}");
        assert_eq!(err.status(), Some(200), "{body}");
    }
}

#[tokio::test]
async fn empty_404_and_undocumented_statuses() {
    let server = answering(ResponseTemplate::new(404)).await;
    let err = client(&server).delete().await.unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::NotFound, Some(404)));

    // A redirect is refused unread, whatever its body says.
    let server = answering(json_response(302, json!({"status": false, "message": "Moved"}))).await;
    let err = client(&server).delete().await.unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Redirected, Some(302)));
    assert!(
        err.message().ends_with("a redirect with no usable location; accountkit follows no redirect"),
        "{err}"
    );
}

#[tokio::test]
async fn rate_limited_with_retry_after() {
    let server = answering(
        json_response(429, json!({"status": false, "message": "Too many requests"}))
            .insert_header("retry-after", "12"),
    )
    .await;
    let err = client(&server).info().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(12)));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn refused_connection() {
    // Bind, learn the port, close: nothing listens there now.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = Client::new(Region::Custom(format!("http://127.0.0.1:{port}")), TOKEN).unwrap();
    let err = client.confirm_account("confirm-token-xyz".to_string()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert_eq!(err.status(), None);
    assert!(err.is_retryable());
    assert!(err.message().starts_with("could not connect"), "{err}");
    // The URL, which carries the token in its path, is not in the error.
    assert!(!format!("{err} {err:?}").contains("confirm-token-xyz"), "{err:?}");
}

#[tokio::test]
async fn a_stalled_server_ends_in_a_timeout() {
    let server = answering(
        json_response(200, json!({"status": true, "result": "late"})).set_delay(Duration::from_secs(5)),
    )
    .await;
    let client = Client::builder(Region::Custom(server.uri()))
        .token(TOKEN)
        .retry(RetryPolicy::none())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = client.delete().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(err.is_timeout() && err.is_retryable(), "{err}");
}

#[tokio::test]
async fn echoed_secrets_are_scrubbed_from_errors() {
    let echo = format!("password {PASSWORD} is wrong for pin {PIN}");
    let server = answering(json_response(401, json!({"status": false, "message": echo}))).await;
    let err =
        client(&server).login_with_pin(&credentials(), OtpType::Email, PIN.to_string()).await.unwrap_err();
    assert_eq!(err.message(), "password [REDACTED] is wrong for pin [REDACTED]");
}

// ---- redaction ----

fn secrets() -> [&'static str; 3] {
    [TOKEN, PASSWORD, PIN]
}

fn assert_clean(what: &str, text: &str) {
    for secret in secrets() {
        assert!(!text.contains(secret), "{what} shows a secret: {text}");
    }
}

#[tokio::test]
async fn no_secret_in_debug_or_display_of_clients_inputs_or_errors() {
    let server =
        answering(json_response(401, json!({"status": false, "message": format!("bad token {TOKEN}")})))
            .await;
    let client = client(&server);
    assert_clean("client", &format!("{client:?}"));
    let builder: ClientBuilder = Client::builder(Region::UsEast1).token(TOKEN);
    assert_clean("builder", &format!("{builder:?}"));
    assert_clean("credentials", &format!("{:?}", credentials()));
    assert_clean("new account", &format!("{:?}", NewAccount::new("Ada", "ada@example.com", PASSWORD, "UTC")));
    let request = TokenRequest::new("p1", credentials(), "ci").second_factor(OtpType::Email, PIN);
    assert_clean("token request", &format!("{request:?}"));
    let secret = SecretString::from(TOKEN.to_string());
    assert_clean("secret", &format!("{secret:?}"));

    let token_server =
        answering(json_response(200, json!({"status": true, "result": {"token": TOKEN}}))).await;
    let token: ProfileToken =
        Client::anonymous(Region::Custom(token_server.uri())).unwrap().token_create(&request).await.unwrap();
    assert_clean("profile token", &format!("{token:?}"));

    let mut errors: Vec<Error> = vec![
        client.info().await.unwrap_err(),
        client.login(&credentials()).await.unwrap_err(),
        client.login_with_pin(&credentials(), OtpType::Sms, PIN.to_string()).await.unwrap_err(),
        client.token_create(&request).await.unwrap_err(),
        client.confirm_otp(OtpType::Sms, PIN.to_string()).await.unwrap_err(),
        client.password_change(PASSWORD.to_string()).await.unwrap_err(),
        client.reset_password(TOKEN.to_string(), PASSWORD.to_string()).await.unwrap_err(),
        Client::new(Region::UsEast1, format!("{TOKEN}\n")).unwrap_err(),
    ];
    let echo = answering(json_response(
        500,
        json!({"status": false, "result": {"message": format!("{PASSWORD}/{PIN}/{TOKEN}")}}),
    ))
    .await;
    errors.push(
        Client::new(Region::Custom(echo.uri()), TOKEN).unwrap().token_create(&request).await.unwrap_err(),
    );
    for err in &errors {
        assert_clean("error", &format!("{err} {err:?}"));
    }
}

#[tokio::test]
async fn errors_name_the_facade_method() {
    let server = answering(json_response(401, json!({"status": false, "message": "Invalid PIN"}))).await;
    let client = client(&server);
    let err = client.login_with_pin(&credentials(), OtpType::Email, PIN).await.unwrap_err();
    assert_eq!(err.operation(), "login_with_pin");
    assert_eq!(client.login(&credentials()).await.unwrap_err().operation(), "login");
    // A recipe names itself, then the step that failed.
    let err = client.enable_otp_with(OtpType::Email, &credentials(), async |_| None).await.unwrap_err();
    assert_eq!(err.operation(), "enable_otp_with");
    assert_eq!(err.message(), "enable_otp: Invalid PIN");
}
