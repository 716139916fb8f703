use std::time::Duration;

use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::{Logto, SECOND_SOCIAL_CONNECTOR_ID, SOCIAL_CONNECTOR_ID};
use crate::Sandbox;

const PASSWORD: &str = "correct horse";

struct Fixture {
    _sandbox: Sandbox,
    logto: Logto,
    http: reqwest::Client,
}

impl Fixture {
    async fn new() -> Fixture {
        let sandbox = Sandbox::start().await.unwrap();
        Fixture { logto: sandbox.logto(), _sandbox: sandbox, http: crate::test_http() }
    }

    /// Sends a request; returns the status and the JSON body (`Null` when empty).
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        record: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, format!("{}{path}", self.logto.base_url()));
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        if let Some(record) = record {
            request = request.header("logto-verification-id", record);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let value = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() };
        (status, value)
    }

    async fn password_record(&self, token: &str) -> String {
        let (status, body) = self
            .call("POST", "/api/verifications/password", token, None, Some(json!({"password": PASSWORD})))
            .await;
        assert_eq!(status, 201, "{body}");
        body["verificationRecordId"].as_str().unwrap().to_owned()
    }

    /// Sends and verifies a code; returns the record id.
    async fn code_record(&self, token: &str, kind: &str, value: &str) -> String {
        self.templated_code_record(token, kind, value, None).await
    }

    /// As `code_record`, with a `templateType`.
    async fn templated_code_record(
        &self,
        token: &str,
        kind: &str,
        value: &str,
        template: Option<&str>,
    ) -> String {
        let identifier = json!({"type": kind, "value": value});
        let mut send = json!({"identifier": identifier});
        if let Some(template) = template {
            send["templateType"] = json!(template);
        }
        let (status, body) =
            self.call("POST", "/api/verifications/verification-code", token, None, Some(send)).await;
        assert_eq!(status, 201, "{body}");
        let id = body["verificationRecordId"].as_str().unwrap().to_owned();
        let code = self.logto.latest_code(value).unwrap().expose_secret().to_owned();
        let verify = json!({"identifier": identifier, "verificationId": id, "code": code});
        let (status, body) =
            self.call("POST", "/api/verifications/verification-code/verify", token, None, Some(verify)).await;
        assert_eq!((status, &body["verificationRecordId"]), (200, &json!(id)));
        id
    }
}

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn bearer_token_is_required() {
    let f = Fixture::new().await;
    let (status, body) = f.call("GET", "/api/my-account", "", None, None).await;
    assert_eq!((status, code(&body)), (401, "auth.authorization_header_missing"));
    let (status, body) = f.call("GET", "/api/my-account", "nope", None, None).await;
    assert_eq!((status, code(&body)), (401, "auth.unauthorized"));
    let token = f.logto.add_user("ada@example.com", PASSWORD).expose_secret().to_owned();
    let (status, body) = f.call("GET", "/api/my-account", &token, None, None).await;
    assert_eq!(status, 200);
    assert_eq!(body["primaryEmail"], "ada@example.com");
    assert!(body["createdAt"].is_i64(), "{body}");
    assert_eq!(body["hasPassword"], true);
}

#[tokio::test]
async fn patch_tells_null_from_omitted() {
    let f = Fixture::new().await;
    let token = f.logto.add_user("ada@example.com", PASSWORD).expose_secret().to_owned();
    let (status, _) = f
        .call(
            "PATCH",
            "/api/my-account",
            &token,
            None,
            Some(json!({"name": "Ada", "avatar": "https://x.io/a.png"})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, body) = f.call("PATCH", "/api/my-account", &token, None, Some(json!({"name": null}))).await;
    assert_eq!((&body["name"], &body["avatar"]), (&Value::Null, &json!("https://x.io/a.png")));
    let (status, body) =
        f.call("PATCH", "/api/my-account", &token, None, Some(json!({"username": "ada"}))).await;
    assert_eq!((status, code(&body)), (401, "verification_record.permission_denied"));
    let record = f.password_record(&token).await;
    let (status, body) =
        f.call("PATCH", "/api/my-account", &token, Some(&record), Some(json!({"username": "ada"}))).await;
    assert_eq!((status, &body["username"]), (200, &json!("ada")));
}

#[tokio::test]
async fn records_expire_after_ten_minutes() {
    let f = Fixture::new().await;
    let token = f.logto.add_user("ada@example.com", PASSWORD).expose_secret().to_owned();
    let record = f.password_record(&token).await;
    f.logto.advance_clock(Duration::from_secs(601));
    let (status, body) = f
        .call(
            "POST",
            "/api/my-account/password",
            &token,
            Some(&record),
            Some(json!({"password": "new password"})),
        )
        .await;
    assert_eq!((status, code(&body)), (401, "verification_record.permission_denied"));
}

#[tokio::test]
async fn only_identity_records_unlock_sensitive_operations() {
    let f = Fixture::new().await;
    let token = f.logto.add_user("ada@example.com", PASSWORD).expose_secret().to_owned();
    let other = f.logto.add_user("bob@example.com", PASSWORD).expose_secret().to_owned();
    // A code to a new address proves that address, not the user.
    let new_address = f.code_record(&token, "email", "ada@new.example").await;
    let (status, _) =
        f.call("DELETE", "/api/my-account/primary-email", &token, Some(&new_address), None).await;
    assert_eq!(status, 401);
    // Another user's record proves nothing here.
    let bobs = f.password_record(&other).await;
    let (status, _) = f.call("DELETE", "/api/my-account/primary-email", &token, Some(&bobs), None).await;
    assert_eq!(status, 401);
    // A code to the current address does.
    let current = f.code_record(&token, "email", "ada@example.com").await;
    let body = json!({"email": "ada@new.example", "newIdentifierVerificationRecordId": new_address});
    let (status, body) =
        f.call("POST", "/api/my-account/primary-email", &token, Some(&current), Some(body)).await;
    assert_eq!((status, body), (204, Value::Null));
    let (_, profile) = f.call("GET", "/api/my-account", &token, None, None).await;
    assert_eq!(profile["primaryEmail"], "ada@new.example");
}

#[tokio::test]
async fn a_code_sent_to_bind_mfa_proves_no_identity() {
    let f = Fixture::new().await;
    let token = f.logto.add_user("ada@example.com", PASSWORD).expose_secret().to_owned();
    let mfa = f.templated_code_record(&token, "email", "ada@example.com", Some("BindMfa")).await;
    let (status, _) = f.call("DELETE", "/api/my-account/primary-email", &token, Some(&mfa), None).await;
    assert_eq!(status, 401);
    let asked =
        f.templated_code_record(&token, "email", "ada@example.com", Some("UserPermissionValidation")).await;
    let (status, _) = f
        .call(
            "POST",
            "/api/my-account/password",
            &token,
            Some(&asked),
            Some(json!({"password": "n3w-Passw0rd!"})),
        )
        .await;
    assert_eq!(status, 204);
    let bad =
        json!({"identifier": {"type": "email", "value": "ada@example.com"}, "templateType": "Register"});
    let (status, body) =
        f.call("POST", "/api/verifications/verification-code", &token, None, Some(bad)).await;
    assert_eq!((status, code(&body)), (400, "guard.invalid_input"));
}

#[tokio::test]
async fn new_identifier_must_match_and_be_free() {
    let f = Fixture::new().await;
    let token = f.logto.add_user("ada@example.com", PASSWORD).expose_secret().to_owned();
    f.logto.add_user("bob@example.com", PASSWORD);
    let record = f.password_record(&token).await;
    let proof = f.code_record(&token, "email", "other@example.com").await;
    let body = json!({"email": "third@example.com", "newIdentifierVerificationRecordId": proof});
    let (status, body) =
        f.call("POST", "/api/my-account/primary-email", &token, Some(&record), Some(body)).await;
    assert_eq!((status, code(&body)), (400, "verification_record.not_found"));
    let taken = f.code_record(&token, "email", "bob@example.com").await;
    let body = json!({"email": "bob@example.com", "newIdentifierVerificationRecordId": taken});
    let (status, body) =
        f.call("POST", "/api/my-account/primary-email", &token, Some(&record), Some(body)).await;
    assert_eq!((status, code(&body)), (422, "user.email_already_in_use"));
}

#[tokio::test]
async fn wrong_password_and_codes() {
    let f = Fixture::new().await;
    let token = f.logto.add_user("ada@example.com", PASSWORD).expose_secret().to_owned();
    let (status, body) =
        f.call("POST", "/api/verifications/password", &token, None, Some(json!({"password": "wrong"}))).await;
    assert_eq!((status, code(&body)), (422, "session.invalid_credentials"));
    let identifier = json!({"type": "phone", "value": "15551234567"});
    let (_, created) = f
        .call(
            "POST",
            "/api/verifications/verification-code",
            &token,
            None,
            Some(json!({"identifier": identifier})),
        )
        .await;
    let verify = json!({"identifier": identifier, "verificationId": created["verificationRecordId"], "code": "000000x"});
    let (status, body) =
        f.call("POST", "/api/verifications/verification-code/verify", &token, None, Some(verify)).await;
    assert_eq!((status, code(&body)), (400, "verification_code.code_mismatch"));
    let (status, body) = f.call("POST", "/api/verifications/password", &token, None, None).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn social_link_and_unlink() {
    let f = Fixture::new().await;
    let token = f.logto.add_user("ada@example.com", PASSWORD).expose_secret().to_owned();
    let start =
        json!({"connectorId": SOCIAL_CONNECTOR_ID, "state": "st", "redirectUri": "https://app.example/cb"});
    let (status, started) = f.call("POST", "/api/verifications/social", &token, None, Some(start)).await;
    assert_eq!(status, 201);
    assert!(started["authorizationUri"].as_str().unwrap().contains("state=st"));
    let social = started["verificationRecordId"].as_str().unwrap();
    let verify = json!({"connectorData": {"code": "c1", "state": "st"}, "verificationRecordId": social});
    let (status, _) = f.call("POST", "/api/verifications/social/verify", &token, None, Some(verify)).await;
    assert_eq!(status, 200);
    // A social record never proves identity.
    let (status, _) = f
        .call(
            "POST",
            "/api/my-account/identities",
            &token,
            Some(social),
            Some(json!({"newIdentifierVerificationRecordId": social})),
        )
        .await;
    assert_eq!(status, 401);
    let record = f.password_record(&token).await;
    let (status, _) = f
        .call(
            "POST",
            "/api/my-account/identities",
            &token,
            Some(&record),
            Some(json!({"newIdentifierVerificationRecordId": social})),
        )
        .await;
    assert_eq!(status, 204);
    let (_, profile) = f.call("GET", "/api/my-account", &token, None, None).await;
    assert_eq!(profile["identities"]["github"]["userId"], "gh-c1");
    let (status, body) =
        f.call("DELETE", "/api/my-account/identities/gitlab", &token, Some(&record), None).await;
    assert_eq!((status, code(&body)), (404, "user.identity_not_exist"));
    let (status, _) =
        f.call("DELETE", "/api/my-account/identities/github", &token, Some(&record), None).await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn a_user_with_nothing_to_verify_with_links_without_a_record() {
    let f = Fixture::new().await;
    let token = f.logto.add_social_user("s1").expose_secret().to_owned();
    let start = json!({"connectorId": SECOND_SOCIAL_CONNECTOR_ID, "state": "st", "redirectUri": "https://app.example/cb"});
    let (_, started) = f.call("POST", "/api/verifications/social", &token, None, Some(start)).await;
    let social = started["verificationRecordId"].as_str().unwrap();
    let verify = json!({"connectorData": {"code": "c2", "state": "st"}, "verificationRecordId": social});
    f.call("POST", "/api/verifications/social/verify", &token, None, Some(verify)).await;
    let add = json!({"newIdentifierVerificationRecordId": social});
    let (status, body) = f.call("POST", "/api/my-account/identities", &token, None, Some(add)).await;
    assert_eq!(status, 204, "{body}");
    let (_, profile) = f.call("GET", "/api/my-account", &token, None, None).await;
    assert_eq!(profile["identities"]["gitlab"]["userId"], "gl-c2");
    let (status, _) = f.call("DELETE", "/api/my-account/identities/github", &token, None, None).await;
    assert_eq!(status, 204);
    // An encoded target is one segment, decoded.
    let (status, body) = f.call("DELETE", "/api/my-account/identities/a%20b%2Fc", &token, None, None).await;
    assert_eq!((status, code(&body)), (404, "user.identity_not_exist"));

    // Once there is an email, the record is required.
    let with_email = f.logto.add_user("ada@example.com", PASSWORD).expose_secret().to_owned();
    let (status, body) = f.call("DELETE", "/api/my-account/identities/github", &with_email, None, None).await;
    assert_eq!((status, code(&body)), (401, "verification_record.permission_denied"));
}

#[tokio::test]
async fn the_last_sign_in_identifier_stays() {
    let f = Fixture::new().await;
    let token = f.logto.add_user("ada@example.com", PASSWORD).expose_secret().to_owned();
    let record = f.password_record(&token).await;
    let (status, body) = f.call("DELETE", "/api/my-account/primary-email", &token, Some(&record), None).await;
    assert_eq!((status, code(&body)), (400, "user.last_sign_in_method_required"));
}

#[tokio::test]
async fn malformed_json_gets_a_bare_message() {
    let f = Fixture::new().await;
    let token = f.logto.add_user("ada@example.com", PASSWORD).expose_secret().to_owned();
    let response = f
        .http
        .patch(format!("{}/api/my-account", f.logto.base_url()))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("code").is_none() && body["message"].is_string(), "{body}");
    let recorded = f.logto.requests();
    assert_eq!(recorded.last().unwrap().path, "/api/my-account");
}

#[tokio::test]
async fn read_only_fields_refuse_changes() {
    let f = Fixture::new().await;
    let token = f.logto.add_user("ada@example.com", PASSWORD).expose_secret().to_owned();
    f.logto.make_read_only("password");
    let record = f.password_record(&token).await;
    let (status, body) = f
        .call(
            "POST",
            "/api/my-account/password",
            &token,
            Some(&record),
            Some(json!({"password": "new password"})),
        )
        .await;
    assert_eq!((status, code(&body)), (400, "account_center.field_not_editable"));
    let (status, _) = f.call("PATCH", "/api/my-account", &token, None, Some(json!({"name": "Ada"}))).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn passkeys_need_a_well_formed_response_and_an_identity_record() {
    let f = Fixture::new().await;
    let token = f.logto.add_user("ada@example.com", PASSWORD).expose_secret().to_owned();
    let (status, started) =
        f.call("POST", "/api/verifications/web-authn/registration", &token, None, None).await;
    assert_eq!(status, 200);
    assert!(started["registrationOptions"]["challenge"].is_string(), "{started}");
    let record = started["verificationRecordId"].as_str().unwrap();
    let bad =
        json!({"verificationRecordId": record, "payload": {"type": "public-key", "id": "c", "rawId": "c"}});
    let (status, body) =
        f.call("POST", "/api/verifications/web-authn/registration/verify", &token, None, Some(bad)).await;
    assert_eq!((status, code(&body)), (400, "session.verification_failed"));
    let payload = json!({"type": "WebAuthn", "id": "c", "rawId": "c",
                         "response": {"clientDataJSON": "x", "attestationObject": "y"}});
    let good = json!({"verificationRecordId": record, "payload": payload});
    let (status, _) =
        f.call("POST", "/api/verifications/web-authn/registration/verify", &token, None, Some(good)).await;
    assert_eq!(status, 200);
    let bind = json!({"type": "WebAuthn", "newIdentifierVerificationRecordId": record});
    // The passkey record is no proof of identity.
    let (status, _) =
        f.call("POST", "/api/my-account/mfa-verifications", &token, Some(record), Some(bind.clone())).await;
    assert_eq!(status, 401);
    let identity = f.password_record(&token).await;
    let (status, _) =
        f.call("POST", "/api/my-account/mfa-verifications", &token, Some(&identity), Some(bind)).await;
    assert_eq!(status, 204);
    assert_eq!(f.logto.passkeys_of("ada@example.com"), ["Passkey"]);
}

#[test]
fn the_profile_claims_are_the_descriptions() {
    let sorted = |list: &[&str]| {
        let mut list: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        list.sort();
        list
    };
    let mut described = crate::conformance::request_properties("logto", "PATCH", "/api/my-account/profile");
    described.retain(|field| field != "address");
    assert_eq!(sorted(&super::CLAIMS), described);
    let address = crate::conformance::schema_properties("logto", "Address");
    assert_eq!(sorted(&super::ADDRESS), address);
}
