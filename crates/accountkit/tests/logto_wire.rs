//! Every Logto operation against a local HTTP server: method, exact path,
//! Bearer token, `logto-verification-id` header present or absent,
//! Content-Type, exact JSON body (explicit `null` included), and the
//! decoding of a realistic response.

#![cfg(feature = "logto")]

use accountkit::logto::{
    Address, Client, CodeTarget, CodeTemplate, ProfileChanges, Proof, SocialChallenge, SocialStart,
    StandardClaims, Verification,
};
use accountkit::{ErrorKind, ExposeSecret, SecretString};
use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "opaque-access-token-0001";
const RECORD: &str = "vrec1a2b3c4d5e6f";
const NEW_RECORD: &str = "vrecnew987654321";

async fn answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(template).mount(&server).await;
    server
}

async fn json_server(status: u16, body: Value) -> MockServer {
    answering(ResponseTemplate::new(status).set_body_json(body)).await
}

async fn no_content() -> MockServer {
    answering(ResponseTemplate::new(204)).await
}

fn client(server: &MockServer) -> Client {
    Client::new(server.uri(), TOKEN).unwrap()
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

fn record() -> Verification {
    Verification::from_parts(RECORD, Utc::now() + TimeDelta::minutes(10))
}

async fn only_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "expected exactly one request");
    requests.remove(0)
}

/// Checks method, path, the Bearer token, the verification header and the
/// JSON body (`None`: no body).
fn assert_wire(request: &Request, method: &str, path: &str, verification: Option<&str>, body: Option<Value>) {
    assert_eq!(request.method.as_str(), method);
    assert_eq!(request.url.path(), path);
    assert_eq!(request.url.query(), None);
    let header = |name: &str| request.headers.get(name).map(|v| v.to_str().unwrap().to_string());
    assert_eq!(header("authorization"), Some(format!("Bearer {TOKEN}")));
    assert_eq!(header("logto-verification-id").as_deref(), verification);
    assert!(header("api-version").is_none());
    assert!(header("user-agent").unwrap().starts_with("accountkit/"));
    match body {
        Some(expected) => {
            assert_eq!(header("content-type").as_deref(), Some("application/json"));
            let sent: Value = serde_json::from_slice(&request.body).unwrap();
            assert_eq!(sent, expected);
        }
        None => assert!(request.body.is_empty(), "unexpected body"),
    }
}

fn profile_json() -> Value {
    json!({
        "id": "u1x2y3z4w5v6",
        "username": "ada",
        "primaryEmail": "ada@example.com",
        "primaryPhone": null,
        "name": "Ada Lovelace",
        "avatar": null,
        "customData": {"theme": "dark", "seats": 3},
        "identities": {"github": {"userId": "gh-42", "details": {"login": "ada"}}},
        "profile": {"givenName": "Ada", "address": {"country": "GB"}},
        "lastSignInAt": 1_755_770_400_123_i64,
        "createdAt": 1_700_000_000_000_i64,
        "updatedAt": 1_755_770_400_000_i64,
        "applicationId": null,
        "cimdClientId": "https://app.example/client.json",
        "isSuspended": false,
        "hasPassword": true,
        "hasSecurityVerificationMethod": true,
        "someNewField": {"x": 1}
    })
}

#[tokio::test]
async fn get_profile_decodes_epoch_milliseconds_and_nulls() {
    let server = json_server(200, profile_json()).await;
    let profile = client(&server).get_profile().await.unwrap();
    assert_wire(&only_request(&server).await, "GET", "/api/my-account", None, None);
    assert_eq!(profile.id.as_deref(), Some("u1x2y3z4w5v6"));
    assert_eq!(profile.username.as_deref(), Some("ada"));
    assert_eq!(profile.primary_phone, None);
    assert_eq!(profile.avatar, None);
    assert_eq!(profile.custom_data["seats"], json!(3));
    assert_eq!(profile.identities["github"].user_id, "gh-42");
    assert_eq!(profile.identities["github"].details["login"], json!("ada"));
    let claims = profile.claims.unwrap();
    assert_eq!(claims.given_name.as_deref(), Some("Ada"));
    assert_eq!(claims.address.unwrap().country.as_deref(), Some("GB"));
    assert_eq!(profile.last_sign_in_at.unwrap().to_rfc3339(), "2025-08-21T10:00:00.123+00:00");
    assert_eq!(profile.created_at.unwrap().timestamp(), 1_700_000_000);
    assert_eq!(profile.has_password, Some(true));
    assert_eq!(profile.is_suspended, Some(false));
    assert_eq!(profile.cimd_client_id.as_deref(), Some("https://app.example/client.json"));
    assert!(profile.sso_identities.is_empty());
}

#[tokio::test]
async fn get_profile_keeps_sso_identities() {
    let sso = json!({"tenantId": "t1", "id": "s1", "userId": "u1", "issuer": "https://idp.example",
                     "identityId": "i1", "detail": {}, "createdAt": 1, "updatedAt": 2, "ssoConnectorId": "c1"});
    let server = json_server(200, json!({"id": "u1", "ssoIdentities": [sso]})).await;
    let profile = client(&server).get_profile().await.unwrap();
    assert_eq!(profile.sso_identities.len(), 1);
    assert_eq!(profile.sso_identities[0]["issuer"], "https://idp.example");
}

#[tokio::test]
async fn send_code_with_template_sends_template_type() {
    let server = json_server(
        201,
        json!({"verificationRecordId": NEW_RECORD, "expiresAt": "2099-01-01T00:10:00.000Z"}),
    )
    .await;
    let client = client(&server);
    let to = CodeTarget::email("ada@example.com");
    client.send_code_with_template(&to, &CodeTemplate::BindMfa).await.unwrap();
    client.send_code_with_template(&to, &CodeTemplate::UserPermissionValidation).await.unwrap();
    client.send_code_with_template(&to, &CodeTemplate::from("SomethingNew")).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    let identifier = json!({"type": "email", "value": "ada@example.com"});
    for (request, template) in requests.iter().zip(["BindMfa", "UserPermissionValidation", "SomethingNew"]) {
        let body = json!({"identifier": identifier, "templateType": template});
        assert_wire(request, "POST", "/api/verifications/verification-code", None, Some(body));
    }
}

#[tokio::test]
async fn verify_social_sends_any_json_as_connector_data() {
    let server = json_server(200, json!({"verificationRecordId": NEW_RECORD})).await;
    let client = client(&server);
    let challenge =
        SocialChallenge::from_parts(NEW_RECORD, "2099-01-01T00:10:00Z".parse().unwrap(), "apple-conn");
    let data = [("code", json!("c1")), ("user", json!({"name": {"firstName": "Ada"}})), ("nonce", json!(7))];
    let proof = client.verify_social(&challenge, data).await.unwrap();
    assert_eq!(proof.proof(), &Proof::Social { connector_id: "apple-conn".into() });
    assert_wire(
        &only_request(&server).await,
        "POST",
        "/api/verifications/social/verify",
        None,
        Some(json!({"connectorData": {"code": "c1", "user": {"name": {"firstName": "Ada"}}, "nonce": 7},
                    "verificationRecordId": NEW_RECORD})),
    );
}

#[tokio::test]
async fn get_profile_with_few_scopes() {
    let server = json_server(200, json!({"id": "u1", "hasSecurityVerificationMethod": false})).await;
    let profile = client(&server).get_profile().await.unwrap();
    assert_eq!(profile.id.as_deref(), Some("u1"));
    assert!(profile.identities.is_empty() && profile.custom_data.is_empty());
    assert_eq!((profile.created_at, profile.claims), (None, None));
}

#[tokio::test]
async fn update_profile_sends_explicit_null_to_clear_and_omits_the_rest() {
    let server = json_server(200, json!({"id": "u1", "name": null, "avatar": "https://x.io/a.png"})).await;
    let changes = ProfileChanges::new().clear_name().avatar("https://x.io/a.png");
    let profile = client(&server).update_profile(&changes, None).await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "PATCH",
        "/api/my-account",
        None,
        Some(json!({"name": null, "avatar": "https://x.io/a.png"})),
    );
    assert_eq!(profile.name, None);
}

#[tokio::test]
async fn update_profile_sets_without_clearing() {
    let server = json_server(200, json!({"id": "u1"})).await;
    let mut data = serde_json::Map::new();
    data.insert("theme".into(), json!("light"));
    let changes = ProfileChanges::new().name("Ada").custom_data(data);
    client(&server).update_profile(&changes, None).await.unwrap();
    let body = json!({"name": "Ada", "customData": {"theme": "light"}});
    assert_wire(&only_request(&server).await, "PATCH", "/api/my-account", None, Some(body));
}

#[tokio::test]
async fn update_profile_username_sends_the_verification_header() {
    let server = json_server(200, json!({"id": "u1", "username": "ada_l"})).await;
    let changes = ProfileChanges::new().username("ada_l").clear_avatar();
    let profile = client(&server).update_profile(&changes, Some(&record())).await.unwrap();
    let body = json!({"username": "ada_l", "avatar": null});
    assert_wire(&only_request(&server).await, "PATCH", "/api/my-account", Some(RECORD), Some(body));
    assert_eq!(profile.username.as_deref(), Some("ada_l"));
}

#[tokio::test]
async fn update_other_profile_merges_claims() {
    let server = json_server(
        200,
        json!({"givenName": "Ada", "familyName": "Lovelace", "address": {"locality": "London"}}),
    )
    .await;
    let mut claims = StandardClaims::default();
    claims.family_name = Some("Lovelace".into());
    let mut address = Address::default();
    address.locality = Some("London".into());
    claims.address = Some(address);
    let stored = client(&server).update_other_profile(&claims).await.unwrap();
    let body = json!({"familyName": "Lovelace", "address": {"locality": "London"}});
    assert_wire(&only_request(&server).await, "PATCH", "/api/my-account/profile", None, Some(body));
    assert_eq!(stored.given_name.as_deref(), Some("Ada"));
    assert_eq!(stored.address.unwrap().locality.as_deref(), Some("London"));
}

#[tokio::test]
async fn update_password() {
    let server = no_content().await;
    client(&server).update_password(&record(), "n3w-Pass!").await.unwrap();
    let body = json!({"password": "n3w-Pass!"});
    assert_wire(&only_request(&server).await, "POST", "/api/my-account/password", Some(RECORD), Some(body));
}

/// A record from elsewhere: it proves no particular address.
fn new_email_record() -> Verification {
    Verification::from_parts(NEW_RECORD, Utc::now() + TimeDelta::minutes(9))
}

#[tokio::test]
async fn set_first_password_sends_no_verification_header() {
    let server = no_content().await;
    client(&server).set_first_password("first-Pass!").await.unwrap();
    let body = json!({"password": "first-Pass!"});
    assert_wire(&only_request(&server).await, "POST", "/api/my-account/password", None, Some(body));
}

#[tokio::test]
async fn update_primary_email_takes_the_address_from_the_code_record() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/verifications/verification-code"))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"verificationRecordId": NEW_RECORD, "expiresAt": "2099-01-01T00:10:00.000Z"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/verifications/verification-code/verify"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"verificationRecordId": NEW_RECORD})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/my-account/primary-email"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = client(&server);
    let challenge = client.send_code(&CodeTarget::email("ada+new@example.com")).await.unwrap();
    let proof = client.verify_code(&challenge, "123456").await.unwrap();
    assert_eq!(proof.proof(), &Proof::Email("ada+new@example.com".into()));
    client.update_primary_email(&record(), &proof).await.unwrap();

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 3);
    let identifier = json!({"type": "email", "value": "ada+new@example.com"});
    assert_wire(
        &requests[0],
        "POST",
        "/api/verifications/verification-code",
        None,
        Some(json!({"identifier": identifier})),
    );
    assert_wire(
        &requests[1],
        "POST",
        "/api/verifications/verification-code/verify",
        None,
        Some(json!({"identifier": identifier, "verificationId": NEW_RECORD, "code": "123456"})),
    );
    assert_wire(
        &requests[2],
        "POST",
        "/api/my-account/primary-email",
        Some(RECORD),
        Some(json!({"email": "ada+new@example.com", "newIdentifierVerificationRecordId": NEW_RECORD})),
    );
}

#[tokio::test]
async fn update_primary_phone_sends_digits() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/verifications/verification-code"))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"verificationRecordId": NEW_RECORD, "expiresAt": "2099-01-01T00:10:00.000Z"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/verifications/verification-code/verify"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"verificationRecordId": NEW_RECORD})))
        .mount(&server)
        .await;
    Mock::given(any()).respond_with(ResponseTemplate::new(204)).mount(&server).await;
    let client = client(&server);
    let challenge = client.send_code(&CodeTarget::phone("+15551234567")).await.unwrap();
    assert_eq!(challenge.sent_to(), "15551234567");
    assert_eq!(challenge.expires_at().to_rfc3339(), "2099-01-01T00:10:00+00:00");
    let proof = client.verify_code(&challenge, "654321").await.unwrap();
    client.update_primary_phone(&record(), &proof).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&requests[0].body).unwrap(),
        json!({"identifier": {"type": "phone", "value": "15551234567"}})
    );
    assert_wire(
        &requests[2],
        "POST",
        "/api/my-account/primary-phone",
        Some(RECORD),
        Some(json!({"phone": "15551234567", "newIdentifierVerificationRecordId": NEW_RECORD})),
    );
}

#[tokio::test]
async fn new_identifier_operations_refuse_the_wrong_kind_of_record() {
    let server = no_content().await;
    let client = client(&server);
    let err = client.update_primary_email(&record(), &new_email_record()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.message().starts_with("`new_email`"), "{err}");
    let err = client.update_primary_phone(&record(), &record()).await.unwrap_err();
    assert!(err.message().starts_with("`new_phone`"), "{err}");
    let err = client.add_social_identity(Some(&record()), &record()).await.unwrap_err();
    assert!(err.message().starts_with("`social`"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn delete_primary_email() {
    let server = no_content().await;
    client(&server).delete_primary_email(&record()).await.unwrap();
    assert_wire(&only_request(&server).await, "DELETE", "/api/my-account/primary-email", Some(RECORD), None);
}

#[tokio::test]
async fn delete_primary_phone() {
    let server = no_content().await;
    client(&server).delete_primary_phone(&record()).await.unwrap();
    assert_wire(&only_request(&server).await, "DELETE", "/api/my-account/primary-phone", Some(RECORD), None);
}

/// Answers a social verification's start (with `authorization_uri`) and
/// verify, and anything else with 204.
async fn social_server(authorization_uri: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/verifications/social"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "verificationRecordId": NEW_RECORD,
            "authorizationUri": authorization_uri,
            "expiresAt": "2099-01-01T00:10:00.000Z"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/verifications/social/verify"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"verificationRecordId": NEW_RECORD})))
        .mount(&server)
        .await;
    Mock::given(any()).respond_with(ResponseTemplate::new(204)).mount(&server).await;
    server
}

#[tokio::test]
async fn social_verification_then_add_identity() {
    let server = social_server("https://github.com/login/oauth/authorize?state=st-1").await;
    let client = client(&server);
    let start =
        SocialStart::new("github-conn", "st-1", "https://app.example.com/callback").scope("read:user");
    let challenge = client.start_social_verification(&start).await.unwrap();
    assert_eq!(challenge.authorization_uri, "https://github.com/login/oauth/authorize?state=st-1");
    let social = client.verify_social(&challenge, [("code", "gh-code"), ("state", "st-1")]).await.unwrap();
    assert_eq!(social.proof(), &Proof::Social { connector_id: "github-conn".into() });
    client.add_social_identity(Some(&record()), &social).await.unwrap();

    let requests = server.received_requests().await.unwrap();
    assert_wire(
        &requests[0],
        "POST",
        "/api/verifications/social",
        None,
        Some(json!({"connectorId": "github-conn", "state": "st-1",
                    "redirectUri": "https://app.example.com/callback", "scope": "read:user"})),
    );
    assert_wire(
        &requests[1],
        "POST",
        "/api/verifications/social/verify",
        None,
        Some(
            json!({"connectorData": {"code": "gh-code", "state": "st-1"}, "verificationRecordId": NEW_RECORD}),
        ),
    );
    assert_wire(
        &requests[2],
        "POST",
        "/api/my-account/identities",
        Some(RECORD),
        Some(json!({"newIdentifierVerificationRecordId": NEW_RECORD})),
    );
}

#[tokio::test]
async fn identity_operations_without_a_record_send_no_verification_header() {
    let server = social_server("https://gitlab.com/oauth/authorize").await;
    let client = client(&server);
    let start = SocialStart::new("gitlab-conn", "st-1", "https://app.example.com/callback");
    let challenge = client.start_social_verification(&start).await.unwrap();
    let social = client.verify_social(&challenge, [("code", "gl-code")]).await.unwrap();
    client.add_social_identity(None, &social).await.unwrap();
    client.delete_identity(None, "github").await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 4);
    assert_wire(
        &requests[2],
        "POST",
        "/api/my-account/identities",
        None,
        Some(json!({"newIdentifierVerificationRecordId": NEW_RECORD})),
    );
    assert_wire(&requests[3], "DELETE", "/api/my-account/identities/github", None, None);
}

#[tokio::test]
async fn delete_identity_sends_a_target_with_a_space_or_slash_as_one_segment() {
    let server = no_content().await;
    client(&server).delete_identity(None, "my conn/ee").await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "DELETE",
        "/api/my-account/identities/my%20conn%2Fee",
        None,
        None,
    );
}

#[tokio::test]
async fn delete_identity_encodes_the_target() {
    let server = no_content().await;
    client(&server).delete_identity(Some(&record()), "my/connector+1").await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "DELETE",
        "/api/my-account/identities/my%2Fconnector%2B1",
        Some(RECORD),
        None,
    );
}

#[tokio::test]
async fn verify_password_returns_a_typed_record() {
    let server =
        json_server(201, json!({"verificationRecordId": RECORD, "expiresAt": "2099-08-21T10:00:00.000Z"}))
            .await;
    let proof = client(&server).verify_password("pw-Correct-Horse").await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "POST",
        "/api/verifications/password",
        None,
        Some(json!({"password": "pw-Correct-Horse"})),
    );
    assert_eq!(proof.id().expose_secret(), RECORD);
    assert_eq!(proof.proof(), &Proof::Password);
    assert_eq!(proof.expires_at().to_rfc3339(), "2099-08-21T10:00:00+00:00");
    assert!(!proof.is_expired());
}

#[tokio::test]
async fn change_password_recipe_verifies_then_changes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/verifications/password"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(
                json!({"verificationRecordId": RECORD, "expiresAt": "2099-01-01T00:10:00.000Z"}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/my-account/password"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    client(&server).change_password("old-pass", "new-pass").await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_wire(
        &requests[0],
        "POST",
        "/api/verifications/password",
        None,
        Some(json!({"password": "old-pass"})),
    );
    assert_wire(
        &requests[1],
        "POST",
        "/api/my-account/password",
        Some(RECORD),
        Some(json!({"password": "new-pass"})),
    );
}

#[tokio::test]
async fn change_primary_email_recipe_runs_all_four_steps() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/verifications/password"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(
                json!({"verificationRecordId": RECORD, "expiresAt": "2099-01-01T00:10:00.000Z"}),
            ),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/verifications/verification-code"))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"verificationRecordId": NEW_RECORD, "expiresAt": "2099-01-01T00:10:00.000Z"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/verifications/verification-code/verify"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"verificationRecordId": NEW_RECORD})))
        .mount(&server)
        .await;
    Mock::given(any()).respond_with(ResponseTemplate::new(204)).mount(&server).await;
    client(&server)
        .change_primary_email("pw", "new@example.com", async |to: &str| {
            assert_eq!(to, "new@example.com");
            Some(secret("112233"))
        })
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert_eq!(
        paths,
        [
            "/api/verifications/password",
            "/api/verifications/verification-code",
            "/api/verifications/verification-code/verify",
            "/api/my-account/primary-email"
        ]
    );
    assert_wire(
        &requests[3],
        "POST",
        "/api/my-account/primary-email",
        Some(RECORD),
        Some(json!({"email": "new@example.com", "newIdentifierVerificationRecordId": NEW_RECORD})),
    );
}

#[tokio::test]
async fn expired_records_are_refused_before_sending() {
    let server = no_content().await;
    let client = client(&server);
    let stale = Verification::from_parts(RECORD, Utc::now() - TimeDelta::seconds(1));
    for err in [
        client.update_password(&stale, "x-pass").await.unwrap_err(),
        client.delete_primary_email(&stale).await.unwrap_err(),
        client.delete_identity(Some(&stale), "github").await.unwrap_err(),
        client.update_profile(&ProfileChanges::new().username("ada"), Some(&stale)).await.unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::Expired, "{err}");
        assert!(
            err.to_string().contains(": expired (verification_record.expired): `verification` expired at"),
            "{err}"
        );
        assert_eq!(err.code(), Some("verification_record.expired"));
        assert_eq!(err.status(), None);
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn malformed_arguments_are_refused_before_sending() {
    let server = no_content().await;
    let client = client(&server);
    let username_without_record = client.update_profile(&ProfileChanges::new().username("ada"), None).await;
    assert_eq!(
        username_without_record.unwrap_err().message(),
        "`verification` is required to change the username"
    );
    let bad_username =
        client.update_profile(&ProfileChanges::new().username("9lives"), Some(&record())).await;
    assert!(bad_username.unwrap_err().message().starts_with("`username`"));
    let long_name = client.update_profile(&ProfileChanges::new().name("x".repeat(129)), None).await;
    assert!(long_name.unwrap_err().message().starts_with("`name`"));
    let avatar = client.update_profile(&ProfileChanges::new().avatar("not a url"), None).await;
    assert!(avatar.unwrap_err().message().starts_with("`avatar`"));
    let email = client.send_code(&CodeTarget::email("nobody")).await;
    assert!(email.unwrap_err().message().starts_with("`email`"));
    let phone = client.send_code(&CodeTarget::phone("+1 555 123")).await;
    assert!(phone.unwrap_err().message().starts_with("`phone`"));
    let target = client.delete_identity(Some(&record()), "..").await;
    assert!(target.unwrap_err().message().starts_with("`target`"));
    let target = client.delete_identity(None, "").await;
    assert!(target.unwrap_err().message().starts_with("`target`"));
    let empty = client.verify_password("").await;
    assert_eq!(empty.unwrap_err().message(), "`password` is empty");
    let redirect = client.start_social_verification(&SocialStart::new("c", "s", "/relative")).await;
    assert!(redirect.unwrap_err().message().starts_with("`redirect_uri`"));
    let clear = client.update_profile(&ProfileChanges::new().clear_username(), None).await;
    assert_eq!(clear.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert!(server.received_requests().await.unwrap().is_empty());
    assert!(Client::new("ftp://logto.example", TOKEN).is_err());
    assert!(Client::new("https://t.logto.app", "").is_err());
}

fn credential() -> serde_json::Map<String, Value> {
    let value = json!({
        "id": "cred-1", "rawId": "cred-1", "type": "public-key",
        "response": {"clientDataJSON": "eyJ9", "attestationObject": "o2Nm", "transports": ["internal"]},
        "clientExtensionResults": {}
    });
    let Value::Object(map) = value else { unreachable!() };
    map
}

#[tokio::test]
async fn passkey_registration_verification_and_binding() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/verifications/web-authn/registration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "verificationRecordId": NEW_RECORD,
            "registrationOptions": {"rp": {"name": "Logto", "id": "example.com"}, "challenge": "Y2hhbGxlbmdl",
                                    "user": {"id": "dTE", "name": "ada", "displayName": "Ada"},
                                    "pubKeyCredParams": [{"type": "public-key", "alg": -7}]},
            "expiresAt": "2099-01-01T00:10:00.000Z"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/verifications/web-authn/registration/verify"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"verificationRecordId": NEW_RECORD})))
        .mount(&server)
        .await;
    Mock::given(any()).respond_with(ResponseTemplate::new(204)).mount(&server).await;
    let client = client(&server);
    let registration = client.start_passkey_registration().await.unwrap();
    assert_eq!(registration.options["challenge"], json!("Y2hhbGxlbmdl"));
    assert!(!format!("{registration:?}").contains(NEW_RECORD));
    let passkey = client.verify_passkey_registration(&registration, &credential()).await.unwrap();
    assert_eq!(passkey.proof(), &Proof::Passkey);
    client.add_passkey(&record(), &passkey, Some("Laptop")).await.unwrap();

    let requests = server.received_requests().await.unwrap();
    assert_wire(&requests[0], "POST", "/api/verifications/web-authn/registration", None, None);
    let mut payload = credential();
    payload.insert("type".into(), json!("WebAuthn"));
    assert_wire(
        &requests[1],
        "POST",
        "/api/verifications/web-authn/registration/verify",
        None,
        Some(json!({"verificationRecordId": NEW_RECORD, "payload": payload})),
    );
    assert_wire(
        &requests[2],
        "POST",
        "/api/my-account/mfa-verifications",
        Some(RECORD),
        Some(json!({"type": "WebAuthn", "newIdentifierVerificationRecordId": NEW_RECORD, "name": "Laptop"})),
    );
    // A passkey record proves no identity, and a credential without `rawId` is refused.
    let err = client.delete_primary_email(&passkey).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let mut broken = credential();
    broken.remove("rawId");
    let err = client.verify_passkey_registration(&registration, &broken).await.unwrap_err();
    assert_eq!(err.message(), "`credential.rawId` must be a non-empty string");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn add_passkey_takes_any_2xx() {
    let server = json_server(200, json!({"id": "mfa-1"})).await;
    let passkey_server = json_server(200, json!({"verificationRecordId": NEW_RECORD})).await;
    let registration_server = json_server(
        200,
        json!({"verificationRecordId": NEW_RECORD, "registrationOptions": {}, "expiresAt": "2099-01-01T00:00:00Z"}),
    )
    .await;
    let registration = client(&registration_server).start_passkey_registration().await.unwrap();
    let passkey =
        client(&passkey_server).verify_passkey_registration(&registration, &credential()).await.unwrap();
    client(&server).add_passkey(&record(), &passkey, None).await.unwrap();
    let body = json!({"type": "WebAuthn", "newIdentifierVerificationRecordId": NEW_RECORD});
    assert_wire(
        &only_request(&server).await,
        "POST",
        "/api/my-account/mfa-verifications",
        Some(RECORD),
        Some(body),
    );
}
