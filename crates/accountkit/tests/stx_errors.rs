//! STX failures: GraphQL `errors` on HTTP 200 and 400, odd bodies, refusal
//! before sending, secrets kept out of errors, and the session's token
//! refresh (before expiry, once after a refused token, one flight for
//! concurrent calls).

#![cfg(feature = "stx")]

use accountkit::stx::{Client, Credentials, Host, LoginOutcome, Registration, Session, TwoFactorChallenge};
use accountkit::{ErrorKind, ExposeSecret, SecretString};
use base64::Engine;
use serde_json::{Value, json};
use wiremock::matchers::{any, body_partial_json};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const EMAIL: &str = "ada@example.com";

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

fn jwt_expiring_in(seconds: i64, id: &str) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let claims = json!({"sub": id, "exp": chrono::Utc::now().timestamp() + seconds}).to_string();
    format!("{}.{}.sig", engine.encode(r#"{"alg":"HS512"}"#), engine.encode(claims))
}

fn login_result(token: &str, refresh: &str) -> Value {
    json!({
        "userId": null, "status": 200, "token": token, "refreshToken": refresh, "userStatus": null,
        "userUid": null, "lastLoginAt": null, "currentLoginAt": null, "deviceId": null,
        "promptTwoFactorAuth": false, "sessionId": null, "promptTncAcceptance": false, "tncId": null, "ipAddress": null, "limitsNumber": null, "tncChanged": null, "whitelistIpAddresses": null,
        "deviceTokens": null, "allowMultipleLogins": null, "appSettings": null, "referralCode": null
    })
}

fn client(server: &MockServer) -> Client {
    Client::new(Host::Custom(server.uri())).unwrap()
}

fn reply(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

fn operation(name: &str) -> wiremock::matchers::BodyPartialJsonMatcher {
    body_partial_json(json!({"operationName": name}))
}

async fn session_with(server: &MockServer, access: &str) -> Session {
    Mock::given(any())
        .respond_with(reply(200, json!({"data": {"newToken": login_result(access, "refresh-0")}})))
        .mount(server)
        .await;
    let session = client(server).resume("refresh-start").await.unwrap();
    server.reset().await;
    session
}

fn bearer(request: &Request) -> Option<String> {
    request.headers.get("authorization").map(|v| v.to_str().unwrap().to_string())
}

fn operation_names(requests: &[Request]) -> Vec<String> {
    requests
        .iter()
        .map(|r| {
            serde_json::from_slice::<Value>(&r.body).unwrap()["operationName"].as_str().unwrap().to_string()
        })
        .collect()
}

#[tokio::test]
async fn wrong_password_on_http_200_is_unauthorized_with_message_and_path() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(reply(
            200,
            json!({"data": {"login": null}, "errors": [{"message": "Invalid email or password",
                   "path": ["login"], "locations": [{"line": 2, "column": 3}]}]}),
        ))
        .mount(&server)
        .await;
    let err = client(&server).login(&Credentials::new(EMAIL, secret("wrong-pw"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    // The HTTP exchange worked; the failure is GraphQL's alone.
    assert_eq!(err.status(), None);
    assert_eq!(err.message(), "Invalid email or password");
    assert_eq!(err.path(), Some("login"));
    assert_eq!(err.provider(), "stx");
    assert_eq!(err.operation(), "login");
    assert_eq!(err.to_string(), "stx login: unauthorized: Invalid email or password");
}

#[tokio::test]
async fn document_errors_on_http_400_are_validation_errors() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(reply(
            400,
            json!({"errors": [{"message": "Unknown argument \"reason\" on field \"send2Fa\".",
                               "locations": [{"line": 2, "column": 11}]}]}),
        ))
        .mount(&server)
        .await;
    let err = client(&server).forgot_password(EMAIL).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.status(), Some(400));
    assert!(err.message().starts_with("Unknown argument"), "{err}");
}

#[tokio::test]
async fn other_errors_keep_their_code_and_are_rejections() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(reply(
            200,
            json!({"data": {"register": null}, "errors": [{"message": "Email already taken", "path": ["register"],
                   "extensions": {"code": "EMAIL_TAKEN"}}]}),
        ))
        .mount(&server)
        .await;
    let err = client(&server).register(&Registration::new(EMAIL, secret("pw-1"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Rejected);
    assert_eq!(err.code(), Some("EMAIL_TAKEN"));
    assert_eq!(err.path(), Some("register"));
}

#[tokio::test]
async fn reset_false_is_an_error_with_the_message() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(reply(
            200,
            json!({"data": {"confirmPasswordReset": {"reset": false, "message": "Code expired"}}}),
        ))
        .mount(&server)
        .await;
    let err = client(&server).confirm_password_reset("111111", "new-pw").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Rejected);
    assert_eq!(err.message(), "Code expired");
}

#[tokio::test]
async fn odd_answers_are_errors_never_panics() {
    for (status, body, kind) in [
        (200, "", ErrorKind::Decode),
        (200, "not json", ErrorKind::Decode),
        (200, r#"{"data": {"login": null}}"#, ErrorKind::Decode),
        (200, r#"{"data": {"login": {"token": 5}}}"#, ErrorKind::Decode),
        (200, r#"{"data": {"login": {"promptTwoFactorAuth": true, "sessionId": null}}}"#, ErrorKind::Decode),
        (502, "<html>Bad gateway</html>", ErrorKind::Server),
        (429, "", ErrorKind::RateLimited),
    ] {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(status).set_body_string(body))
            .mount(&server)
            .await;
        let err = client(&server).login(&Credentials::new(EMAIL, secret("pw"))).await.unwrap_err();
        assert_eq!(err.kind(), kind, "HTTP {status} {body}: {err}");
        assert_eq!(err.status(), Some(status));
    }
}

#[tokio::test]
async fn a_login_answer_missing_the_tokens_is_a_decode_error() {
    let server = MockServer::start().await;
    let mut result = login_result("", "refresh");
    result["token"] = Value::Null;
    Mock::given(any()).respond_with(reply(200, json!({"data": {"login": result}}))).mount(&server).await;
    let err = client(&server).login(&Credentials::new(EMAIL, secret("pw"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("no token"), "{err}");
}

#[tokio::test]
async fn bad_arguments_are_refused_before_sending() {
    let server = MockServer::start().await;
    let stx = client(&server);
    let err = stx.login(&Credentials::new("not-an-email", secret("pw"))).await.unwrap_err();
    assert_eq!((err.kind(), err.message().starts_with("`email`")), (ErrorKind::InvalidInput, true), "{err}");
    let err = stx.login(&Credentials::new(EMAIL, secret(""))).await.unwrap_err();
    assert!(err.message().starts_with("`password`"), "{err}");
    let err = stx.login(&Credentials::new(EMAIL, secret("pw")).device_id("a\nb")).await.unwrap_err();
    assert!(err.message().starts_with("`device_id`"), "{err}");
    let err = stx.forgot_password("a@b").await.unwrap_err();
    assert!(err.message().starts_with("`email`"), "{err}");
    let err = stx.confirm_password_reset("", "x").await.unwrap_err();
    assert!(err.message().starts_with("`code`"), "{err}");
    let err = stx.resume("").await.unwrap_err();
    assert!(err.message().starts_with("`refresh_token`"), "{err}");
    let err = Client::new(Host::Custom("ftp://example.com".into())).unwrap_err();
    assert!(err.message().starts_with("`base_url`"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn secrets_never_reach_errors_or_debug() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(reply(
            200,
            json!({"errors": [{"message": "password pw-Echoed-Secret is too weak", "path": ["changePassword"]}]}),
        ))
        .mount(&server)
        .await;
    let err = client(&server).login(&Credentials::new(EMAIL, secret("pw-Echoed-Secret"))).await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("pw-Echoed-Secret"), "{shown}");
    assert!(shown.contains("[REDACTED]"), "{shown}");

    server.reset().await;
    let access = jwt_expiring_in(3600, "debug");
    let session = session_with(&server, &access).await;
    let shown = format!("{session:?} {:?}", Credentials::new(EMAIL, secret("pw-Echoed-Secret")));
    assert!(
        !shown.contains(&access) && !shown.contains("refresh-0") && !shown.contains("pw-Echoed"),
        "{shown}"
    );
}

#[tokio::test]
async fn transport_failures_are_retryable_errors() {
    // A port nobody listens on any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = Client::new(Host::Custom(uri)).unwrap().forgot_password(EMAIL).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_first() {
    let server = MockServer::start().await;
    let stale = jwt_expiring_in(30, "stale");
    let session = session_with(&server, &stale).await;
    let fresh = jwt_expiring_in(3600, "fresh");
    Mock::given(operation("NewToken"))
        .respond_with(reply(200, json!({"data": {"newToken": login_result(&fresh, "refresh-1")}})))
        .mount(&server)
        .await;
    Mock::given(operation("Send2Fa"))
        .respond_with(reply(200, json!({"data": {"send2Fa": {"status": "sent", "sessionId": "s"}}})))
        .mount(&server)
        .await;
    session.send_2fa().await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(operation_names(&requests), ["NewToken", "Send2Fa"]);
    let refresh: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(refresh["variables"], json!({"refreshToken": "refresh-0"}));
    assert_eq!(bearer(&requests[1]), Some(format!("Bearer {fresh}")));
    assert_eq!(session.refresh_token().expose_secret(), "refresh-1");
}

#[tokio::test]
async fn a_refused_token_is_refreshed_once_and_the_call_retried() {
    let server = MockServer::start().await;
    let first = jwt_expiring_in(3600, "first");
    let session = session_with(&server, &first).await;
    let second = jwt_expiring_in(3600, "second");
    let unauthenticated =
        json!({"data": {"send2Fa": null}, "errors": [{"message": "unauthenticated", "path": ["send2Fa"]}]});
    Mock::given(operation("Send2Fa"))
        .respond_with(reply(200, unauthenticated.clone()))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(operation("Send2Fa"))
        .respond_with(reply(200, json!({"data": {"send2Fa": {"status": "sent", "sessionId": "s"}}})))
        .mount(&server)
        .await;
    Mock::given(operation("NewToken"))
        .respond_with(reply(200, json!({"data": {"newToken": login_result(&second, "refresh-1")}})))
        .mount(&server)
        .await;
    session.send_2fa().await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(operation_names(&requests), ["Send2Fa", "NewToken", "Send2Fa"]);
    assert_eq!(bearer(&requests[0]), Some(format!("Bearer {first}")));
    assert_eq!(bearer(&requests[1]), None);
    assert_eq!(bearer(&requests[2]), Some(format!("Bearer {second}")));

    // Refused again after the refresh: the error comes back, no loop.
    server.reset().await;
    Mock::given(operation("Send2Fa")).respond_with(reply(200, unauthenticated)).mount(&server).await;
    Mock::given(operation("NewToken"))
        .respond_with(reply(200, json!({"data": {"newToken": login_result(&first, "refresh-2")}})))
        .mount(&server)
        .await;
    let err = session.send_2fa().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(
        operation_names(&server.received_requests().await.unwrap()),
        ["Send2Fa", "NewToken", "Send2Fa"]
    );
}

#[tokio::test]
async fn a_wrong_password_does_not_trigger_a_refresh() {
    let server = MockServer::start().await;
    let session = session_with(&server, &jwt_expiring_in(3600, "s")).await;
    Mock::given(any())
        .respond_with(reply(
            200,
            json!({"data": {"changePassword": null}, "errors": [{"message": "Invalid password", "path": ["changePassword"]}]}),
        ))
        .mount(&server)
        .await;
    let err = session.change_password("wrong-old", "new-pw").await.unwrap_err();
    assert_eq!(err.path(), Some("changePassword"));
    assert_eq!(operation_names(&server.received_requests().await.unwrap()), ["ChangePassword"]);
}

#[tokio::test]
async fn concurrent_calls_share_one_refresh() {
    let server = MockServer::start().await;
    let session = session_with(&server, &jwt_expiring_in(10, "stale")).await;
    Mock::given(operation("NewToken"))
        .respond_with(
            reply(
                200,
                json!({"data": {"newToken": login_result(&jwt_expiring_in(3600, "fresh"), "refresh-1")}}),
            )
            .set_delay(std::time::Duration::from_millis(100)),
        )
        .mount(&server)
        .await;
    Mock::given(operation("Send2Fa"))
        .respond_with(reply(200, json!({"data": {"send2Fa": {"status": "sent", "sessionId": "s"}}})))
        .mount(&server)
        .await;
    let clone = session.clone();
    let (a, b, c) = tokio::join!(session.send_2fa(), session.send_2fa(), clone.send_2fa());
    a.unwrap();
    b.unwrap();
    c.unwrap();
    let names = operation_names(&server.received_requests().await.unwrap());
    assert_eq!(names.iter().filter(|n| *n == "NewToken").count(), 1, "{names:?}");
    assert_eq!(names.iter().filter(|n| *n == "Send2Fa").count(), 3, "{names:?}");
}

#[tokio::test]
async fn a_failed_refresh_is_the_error_of_the_call() {
    let server = MockServer::start().await;
    let session = session_with(&server, &jwt_expiring_in(5, "stale")).await;
    Mock::given(any())
        .respond_with(reply(
            200,
            json!({"data": {"newToken": null}, "errors": [{"message": "Invalid token", "path": ["newToken"]}]}),
        ))
        .mount(&server)
        .await;
    let err = session.logout(None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    // The call the user made, then the refresh.
    assert_eq!(err.operation(), "logout");
    assert_eq!(err.message(), "refreshing the session: Invalid token");
    assert_eq!(err.to_string(), "stx logout: unauthorized: refreshing the session: Invalid token");
    assert_eq!(operation_names(&server.received_requests().await.unwrap()), ["NewToken"]);
    // Asked for directly, the refresh is the call.
    let err = session.refresh().await.unwrap_err();
    assert_eq!((err.operation(), err.message()), ("refresh", "Invalid token"));
}

#[tokio::test]
async fn errors_name_the_facade_method_not_the_mutation() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(reply(200, json!({"data": null, "errors": [{"message": "Code mismatch"}]})))
        .mount(&server)
        .await;
    let client = client(&server);
    let challenge = TwoFactorChallenge::new("sess-1", EMAIL);
    let err = client.confirm_2fa(&challenge, "123456").await.unwrap_err();
    assert_eq!(err.operation(), "confirm_2fa");
    let err = client.forgot_password(EMAIL).await.unwrap_err();
    assert_eq!(err.operation(), "forgot_password");
    let err = client.resume("refresh-1").await.unwrap_err();
    assert_eq!(err.operation(), "resume");
}

#[tokio::test]
async fn two_factor_login_is_not_an_error() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(reply(
            200,
            json!({"data": {"login": {"userId": null, "status": 200, "token": null, "refreshToken": null,
                "userStatus": null, "userUid": null, "lastLoginAt": null, "currentLoginAt": null, "deviceId": null,
                "promptTwoFactorAuth": true, "sessionId": "sess-9", "promptTncAcceptance": null, "tncId": null, "ipAddress": null, "limitsNumber": null, "tncChanged": null, "whitelistIpAddresses": null,
        "deviceTokens": null, "allowMultipleLogins": null, "appSettings": null, "referralCode": null}}}),
        ))
        .mount(&server)
        .await;
    let outcome = client(&server).login(&Credentials::new(EMAIL, secret("pw"))).await.unwrap();
    assert!(matches!(outcome, LoginOutcome::TwoFactorRequired(c) if c.session_id() == "sess-9"));
}

#[tokio::test]
async fn an_echoed_registration_password_is_scrubbed() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(reply(
            200,
            json!({"data": {"register": null}, "errors": [{"message": "password reg-Secret-77 is too common"}]}),
        ))
        .mount(&server)
        .await;
    let err = client(&server).register(&Registration::new(EMAIL, secret("reg-Secret-77"))).await.unwrap_err();
    assert!(!format!("{err} {err:?}").contains("reg-Secret-77"), "{err:?}");
}

#[test]
fn clients_sessions_and_their_calls_can_cross_threads() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: T) {}
    let client = Client::new(Host::Staging).unwrap();
    send_sync(&client);
    send(client.login(&Credentials::new(EMAIL, secret("pw"))));
    fn session_calls(session: Session) {
        send_sync(&session);
        send(session.send_2fa());
        send(session.refresh());
    }
    let _ = session_calls;
}

#[tokio::test]
async fn rate_limits_keep_retry_after() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            reply(429, json!({"errors": [{"message": "Too many requests"}]}))
                .insert_header("retry-after", "7"),
        )
        .mount(&server)
        .await;
    let err = client(&server).forgot_password(EMAIL).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(7)));
    assert_eq!(err.message(), "Too many requests");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_session_calls_error_is_scrubbed_of_its_token_and_its_secrets() {
    let server = MockServer::start().await;
    let access = jwt_expiring_in(3600, "echoed");
    let session = session_with(&server, &access).await;
    let echo = format!("Bearer {access} old-Pw-Echo-1 new-Pw-Echo-2");
    Mock::given(any())
        .respond_with(reply(
            400,
            json!({"errors": [{"message": echo, "path": ["changePassword", echo], "extensions": {"code": echo}}]}),
        ))
        .mount(&server)
        .await;
    let err = session.change_password("old-Pw-Echo-1", "new-Pw-Echo-2").await.unwrap_err();
    let shown = format!("{err} {err:?} {:?} {:?}", err.code(), err.path());
    for secret in [access.as_str(), "old-Pw-Echo-1", "new-Pw-Echo-2"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert_eq!(err.status(), Some(400));
}
