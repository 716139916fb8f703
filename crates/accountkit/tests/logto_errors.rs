//! Logto failures of every shape end in a typed `accountkit::Error` carrying
//! Logto's `code`, and no secret ever shows in a client, an input or an
//! error.

#![cfg(feature = "logto")]

use accountkit::logto::{Client, CodeTarget, ProfileChanges, SocialStart, Verification};
use accountkit::{ErrorKind, RetryPolicy};
use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "opaque-token-7f3a9c2e-secret";
const PASSWORD: &str = "pw-Correct-Horse";
const RECORD: &str = "vrec-secret-123456";

async fn answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(template).mount(&server).await;
    server
}

async fn logto_error(status: u16, body: Value) -> MockServer {
    answering(ResponseTemplate::new(status).set_body_json(body)).await
}

fn client(server: &MockServer) -> Client {
    // Error mapping only: retries have their own suite.
    Client::builder(server.uri(), TOKEN).retry(RetryPolicy::none()).build().unwrap()
}

fn record() -> Verification {
    Verification::from_parts(RECORD, Utc::now() + TimeDelta::minutes(10))
}

#[tokio::test]
async fn documented_codes_keep_code_status_and_kind() {
    let cases = [
        (401, "verification_record.permission_denied", ErrorKind::Unauthorized),
        (422, "user.email_already_in_use", ErrorKind::Validation),
        (422, "session.invalid_credentials", ErrorKind::Validation),
        // Switched off in the tenant's settings, or a scope the token lacks:
        // not allowed, whatever the status says.
        (400, "account_center.field_not_editable", ErrorKind::Forbidden),
        (400, "account_center.not_enabled", ErrorKind::Forbidden),
        (400, "auth.unauthorized", ErrorKind::Forbidden),
        (401, "auth.unauthorized", ErrorKind::Unauthorized),
        (400, "verification_record.not_found", ErrorKind::Validation),
        (400, "user.last_sign_in_method_required", ErrorKind::Validation),
        (404, "user.identity_not_exist", ErrorKind::NotFound),
        (403, "auth.third_party_application_forbidden", ErrorKind::Forbidden),
        (429, "request.message_rate_limited", ErrorKind::RateLimited),
        (501, "connector.not_found", ErrorKind::Server),
    ];
    for (status, code, kind) in cases {
        let server = logto_error(status, json!({"code": code, "message": "Localised text."})).await;
        let err = client(&server).delete_primary_email(&record()).await.unwrap_err();
        assert_eq!((err.status(), err.code(), err.kind()), (Some(status), Some(code), kind), "{err}");
        assert_eq!(err.message(), "Localised text.");
        assert_eq!(err.provider(), "logto");
        assert_eq!(err.operation(), "delete_primary_email");
    }
}

#[tokio::test]
async fn display_names_operation_status_and_code() {
    let server = logto_error(
        401,
        json!({"code": "verification_record.permission_denied", "message": "Permission denied, please re-authenticate."}),
    )
    .await;
    let err = client(&server).update_password(&record(), PASSWORD).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "logto update_password: unauthorized (HTTP 401, verification_record.permission_denied): \
         Permission denied, please re-authenticate."
    );
}

#[tokio::test]
async fn validation_errors_with_data_and_details() {
    let body = json!({
        "code": "guard.invalid_input", "message": "The request body is invalid.",
        "data": {"issues": [{"path": ["email"], "code": "invalid_string"}]},
        "details": "Error in key path \"email\": (invalid_string) Invalid"
    });
    let server = logto_error(400, body).await;
    let err = client(&server).send_code(&CodeTarget::email("ada@example.com")).await.unwrap_err();
    assert_eq!((err.kind(), err.code()), (ErrorKind::Validation, Some("guard.invalid_input")));
}

#[tokio::test]
async fn message_only_bodies_and_plain_text() {
    let server = logto_error(500, json!({"message": "Internal server error."})).await;
    let err = client(&server).get_profile().await.unwrap_err();
    assert_eq!((err.kind(), err.code(), err.message()), (ErrorKind::Server, None, "Internal server error."));

    let server = answering(ResponseTemplate::new(400).set_body_raw("Bad Request", "text/plain")).await;
    let err = client(&server).update_profile(&ProfileChanges::new().name("x"), None).await.unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Validation, Some(400)));
    assert_eq!(err.message(), "HTTP 400 with a body that is not JSON");
}

#[tokio::test]
async fn wrong_shapes_on_success_are_decode_errors() {
    for body in [
        json!([1]),
        json!({"createdAt": "yesterday"}),
        json!({"createdAt": 9_000_000_000_000_000_i64}),
        json!({"identities": {"github": {}}}),
    ] {
        let server = logto_error(200, body.clone()).await;
        let err = client(&server).get_profile().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{body}: {err}");
    }
    let server =
        logto_error(201, json!({"verificationRecordId": RECORD, "expiresAt": 1_755_770_400_000_i64})).await;
    let err = client(&server).verify_password(PASSWORD).await.unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Decode, Some(201)));
}

#[tokio::test]
async fn empty_and_proxy_errors() {
    let server = answering(ResponseTemplate::new(404)).await;
    let err = client(&server).delete_identity(Some(&record()), "github").await.unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::NotFound, Some(404)));
    let server = answering(ResponseTemplate::new(503).insert_header("retry-after", "4")).await;
    let err = client(&server).get_profile().await.unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(4)));
}

#[tokio::test]
async fn echoed_secrets_are_scrubbed() {
    let echo = format!("bad password {PASSWORD} with token {TOKEN} and record {RECORD}");
    let server = logto_error(422, json!({"code": "password.rejected", "message": echo})).await;
    let client = client(&server);
    // Each call scrubs what it sent, and the access token.
    let errors = [
        (client.verify_password(PASSWORD).await.unwrap_err(), vec![PASSWORD, TOKEN]),
        (client.update_password(&record(), PASSWORD).await.unwrap_err(), vec![PASSWORD, TOKEN, RECORD]),
        (client.change_password(PASSWORD, PASSWORD).await.unwrap_err(), vec![PASSWORD, TOKEN]),
        (client.delete_primary_phone(&record()).await.unwrap_err(), vec![TOKEN, RECORD]),
    ];
    for (err, sent) in &errors {
        let shown = format!("{err} {err:?}");
        for secret in sent {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert_eq!(err.code(), Some("password.rejected"));
    }
}

#[tokio::test]
async fn no_secret_in_debug_of_clients_and_records() {
    let server =
        logto_error(201, json!({"verificationRecordId": RECORD, "expiresAt": "2099-01-01T00:00:00Z"})).await;
    let client = client(&server);
    let proof = client.verify_password(PASSWORD).await.unwrap();
    let challenge = client.send_code(&CodeTarget::email("ada@example.com")).await.unwrap();
    let social_server = logto_error(
        201,
        json!({"verificationRecordId": RECORD, "authorizationUri": "https://idp.example/auth", "expiresAt": "2099-01-01T00:00:00Z"}),
    )
    .await;
    let social = Client::new(social_server.uri(), TOKEN)
        .unwrap()
        .start_social_verification(&SocialStart::new("github", "st", "https://app.example/cb"))
        .await
        .unwrap();
    let builder = Client::builder(server.uri(), TOKEN);
    for shown in [
        format!("{client:?}"),
        format!("{builder:?}"),
        format!("{proof:?}"),
        format!("{challenge:?}"),
        format!("{social:?}"),
    ] {
        for secret in [PASSWORD, TOKEN, RECORD] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
    let bad = Client::new(server.uri(), format!("{TOKEN}\n")).unwrap_err();
    assert!(!format!("{bad} {bad:?}").contains(TOKEN));
}

#[tokio::test]
async fn errors_name_the_facade_method() {
    let server =
        logto_error(422, json!({"code": "session.invalid_credentials", "message": "Invalid credentials."}))
            .await;
    let client = client(&server);
    let err = client.send_code(&CodeTarget::email("ada@example.com")).await.unwrap_err();
    assert_eq!(err.operation(), "send_code");
    assert_eq!(client.verify_password(PASSWORD).await.unwrap_err().operation(), "verify_password");
    let err = client.set_first_password(PASSWORD).await.unwrap_err();
    assert_eq!(err.operation(), "set_first_password");
    let start = SocialStart::new("c", "s", "https://app.example/cb");
    let err = client.start_social_verification(&start).await.unwrap_err();
    assert_eq!(err.operation(), "start_social_verification");
    assert_eq!(
        client.start_passkey_registration().await.unwrap_err().operation(),
        "start_passkey_registration"
    );
    // A recipe names itself, then the step that failed; the code stays.
    let err = client.change_password(PASSWORD, "n3w-Passw0rd").await.unwrap_err();
    assert_eq!(err.operation(), "change_password");
    assert_eq!(err.message(), "verify_password: Invalid credentials.");
    assert_eq!(err.code(), Some("session.invalid_credentials"));
    assert_eq!(err.status(), Some(422));
}
