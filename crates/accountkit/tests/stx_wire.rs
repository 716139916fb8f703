//! Every STX mutation, and the query, against a local HTTP server:
//! `POST /api/graphql`, the exact document (the reviewed snapshot), the
//! exact variables and operation name, `Authorization: Bearer` present only
//! on the operations of a logged-in user, and the decoding of a realistic
//! answer.

#![cfg(feature = "stx")]

use accountkit::stx::{
    Client, Credentials, Host, LoginOutcome, PasswordChange, Registration, Session, TwoFactorChallenge,
};
use accountkit::{ExposeSecret, SecretString};
use base64::Engine;
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const EMAIL: &str = "ada@example.com";
const USER_ID: &str = "5c0d7e4e-41f4-4d8c-9b7a-2b8f5a0c9e11";

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

/// A JWT that expires in an hour.
fn jwt(subject: &str) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let exp = chrono::Utc::now().timestamp() + 3600;
    let claims = json!({"sub": subject, "exp": exp, "typ": "access"}).to_string();
    format!("{}.{}.c2lnbmF0dXJl", engine.encode(r#"{"alg":"HS512","typ":"JWT"}"#), engine.encode(claims))
}

/// The document `cargo xtask regen` keeps in the raw crate's snapshots.
fn document(mutation: &str) -> String {
    let path =
        format!("{}/../stx-raw/tests/snapshots/documents__{mutation}.snap", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let body = text.strip_prefix("---\n").unwrap().split_once("\n---\n").unwrap().1;
    body.trim_end().to_string()
}

async fn answering(data: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": data})))
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> Client {
    Client::new(Host::Custom(server.uri())).unwrap()
}

async fn only_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "expected exactly one request");
    requests.remove(0)
}

/// Checks the endpoint, headers, document, operation name and variables.
fn assert_wire(
    request: &Request,
    mutation: &str,
    operation_name: &str,
    bearer: Option<&str>,
    variables: Value,
) {
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), "/api/graphql");
    assert_eq!(request.url.query(), None);
    assert_eq!(request.headers.get("content-type").unwrap(), "application/json");
    let agent = request.headers.get("user-agent").unwrap().to_str().unwrap();
    assert!(agent.starts_with("accountkit/"), "{agent}");
    let authorization = request.headers.get("authorization").map(|v| v.to_str().unwrap().to_string());
    match bearer {
        Some(token) => assert_eq!(authorization.as_deref(), Some(format!("Bearer {token}").as_str())),
        None => assert_eq!(authorization, None, "{mutation} must be sent without credentials"),
    }
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["query"].as_str().unwrap().trim_end(), document(mutation));
    assert_eq!(body["operationName"], operation_name);
    assert_eq!(body["variables"], variables);
    assert_eq!(body.as_object().unwrap().len(), 3, "{body}");
}

fn login_result(token: &str, refresh: &str) -> Value {
    json!({
        "userId": USER_ID, "status": 200, "token": token, "refreshToken": refresh,
        "userStatus": "ACTIVE", "userUid": "U-1001", "lastLoginAt": "2026-11-20T08:15:00Z",
        "currentLoginAt": "2026-11-23T04:00:00.000000", "deviceId": "laptop-1",
        "promptTwoFactorAuth": false, "sessionId": null, "promptTncAcceptance": false, "tncId": null, "ipAddress": null, "limitsNumber": null, "tncChanged": null, "whitelistIpAddresses": null,
        "deviceTokens": null, "allowMultipleLogins": null, "appSettings": null, "referralCode": null
    })
}

fn two_factor(status: &str) -> Value {
    json!({"status": status, "sessionId": "2fa-session-77"})
}

/// A session whose token is `access`, made against `server`, which is then
/// emptied of mocks and requests.
async fn session(server: &MockServer, access: &str) -> Session {
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"newToken": login_result(access, "refresh-0")}})),
        )
        .mount(server)
        .await;
    let session = client(server).resume("refresh-start").await.unwrap();
    server.reset().await;
    session
}

async fn logged_in(data: Value) -> (MockServer, Session, String) {
    let server = MockServer::start().await;
    let access = jwt(USER_ID);
    let session = session(&server, &access).await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": data})))
        .mount(&server)
        .await;
    (server, session, access)
}

#[tokio::test]
async fn login_without_2fa_is_a_session() {
    let access = jwt(USER_ID);
    let server = answering(json!({"login": login_result(&access, "refresh-1")})).await;
    let credentials = Credentials::new(EMAIL, secret("pw-Correct-Horse")).device_id("laptop-1");
    let LoginOutcome::LoggedIn(session) = client(&server).login(&credentials).await.unwrap() else {
        panic!("expected a session")
    };
    assert_wire(
        &only_request(&server).await,
        "login",
        "Login",
        None,
        json!({"credentials": {"email": EMAIL, "password": "pw-Correct-Horse", "deviceInfo": {"deviceId": "laptop-1"}}}),
    );
    assert_eq!(session.access_token().expose_secret(), access);
    assert_eq!(session.refresh_token().expose_secret(), "refresh-1");
    let info = session.info();
    assert_eq!(info.user_id.as_deref(), Some(USER_ID));
    assert_eq!(info.user_status.as_deref(), Some("ACTIVE"));
    assert_eq!(info.last_login_at.unwrap().to_rfc3339(), "2026-11-20T08:15:00+00:00");
    assert!(info.current_login_at.is_some());
    assert!(!info.prompt_tnc_acceptance);
    let left = session.expires_at() - chrono::Utc::now();
    assert!(left > chrono::Duration::minutes(59), "{left}");
}

#[tokio::test]
async fn login_with_2fa_is_a_challenge_and_confirm_2fa_completes_it() {
    let server = answering(json!({"login": {
        "userId": USER_ID, "status": 200, "token": null, "refreshToken": null, "userStatus": "ACTIVE",
        "userUid": null, "lastLoginAt": null, "currentLoginAt": null, "deviceId": null,
        "promptTwoFactorAuth": true, "sessionId": "2fa-session-77", "promptTncAcceptance": false, "tncId": null, "ipAddress": null, "limitsNumber": null, "tncChanged": null, "whitelistIpAddresses": null,
        "deviceTokens": null, "allowMultipleLogins": null, "appSettings": null, "referralCode": null
    }}))
    .await;
    let outcome = client(&server).login(&Credentials::new(EMAIL, secret("pw"))).await.unwrap();
    let LoginOutcome::TwoFactorRequired(challenge) = outcome else { panic!("expected a challenge") };
    assert_eq!(challenge.session_id(), "2fa-session-77");
    assert_eq!(challenge.email(), EMAIL);
    assert_eq!(challenge.user_id.as_deref(), Some(USER_ID));
    assert_wire(
        &only_request(&server).await,
        "login",
        "Login",
        None,
        json!({"credentials": {"email": EMAIL, "password": "pw"}}),
    );

    let access = jwt(USER_ID);
    let server = answering(json!({"confirm2Fa": login_result(&access, "refresh-2")})).await;
    let session = client(&server).confirm_2fa(&challenge, "482913").await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "confirm2Fa",
        "Confirm2Fa",
        None,
        json!({"code": "482913", "sessionId": "2fa-session-77", "email": EMAIL}),
    );
    assert_eq!(session.refresh_token().expose_secret(), "refresh-2");
}

#[tokio::test]
async fn resend_2fa() {
    let server = answering(json!({"resend2Fa": two_factor("sent")})).await;
    let status = client(&server).resend_2fa(&TwoFactorChallenge::new("2fa-session-77", EMAIL)).await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "resend2Fa",
        "Resend2Fa",
        None,
        json!({"sessionId": "2fa-session-77", "email": EMAIL}),
    );
    assert_eq!(status.status.as_deref(), Some("sent"));
    assert_eq!(status.session_id.as_deref(), Some("2fa-session-77"));
}

#[tokio::test]
async fn new_token_resumes_a_session_without_a_bearer() {
    let access = jwt(USER_ID);
    let server = answering(json!({"newToken": login_result(&access, "refresh-3")})).await;
    let session = client(&server).resume("refresh-old").await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "newToken",
        "NewToken",
        None,
        json!({"refreshToken": "refresh-old"}),
    );
    assert_eq!(session.access_token().expose_secret(), access);
    assert_eq!(session.refresh_token().expose_secret(), "refresh-3");
}

#[tokio::test]
async fn session_refresh_rotates_both_tokens() {
    let (server, session, access) =
        logged_in(json!({"newToken": login_result("jwt-next", "refresh-next")})).await;
    session.refresh().await.unwrap();
    // Refreshing is anonymous: the refresh token is the credential.
    assert_wire(
        &only_request(&server).await,
        "newToken",
        "NewToken",
        None,
        json!({"refreshToken": "refresh-0"}),
    );
    assert_ne!(session.access_token().expose_secret(), access);
    assert_eq!(session.access_token().expose_secret(), "jwt-next");
    assert_eq!(session.refresh_token().expose_secret(), "refresh-next");
}

#[tokio::test]
async fn register_sends_the_document_as_one_json_string() {
    let server = answering(
        json!({"register": {"status": 200, "message": "Registered", "verificationCode": "991122"}}),
    )
    .await;
    let registration = Registration::new(EMAIL, secret("pw-Correct-Horse"))
        .name("Ada", "Lovelace")
        .username("ada")
        .date_of_birth(chrono::NaiveDate::from_ymd_opt(1990, 12, 10).unwrap())
        .phone_number("+14165550100")
        .field("optInMarketing", true);
    let registered = client(&server).register(&registration).await.unwrap();
    let request = only_request(&server).await;
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    let data = body["variables"]["input"]["data"].as_str().expect("data is a string");
    assert_eq!(
        serde_json::from_str::<Value>(data).unwrap(),
        json!({"email": EMAIL, "password": "pw-Correct-Horse", "firstName": "Ada", "lastName": "Lovelace",
               "username": "ada", "dateOfBirth": "1990-12-10", "phoneNumber": "+14165550100", "optInMarketing": true})
    );
    assert_wire(&request, "register", "Register", None, json!({"input": {"data": data}}));
    assert_eq!(registered.status, Some(200));
    assert_eq!(registered.message.as_deref(), Some("Registered"));
    assert_eq!(registered.verification_code.unwrap().expose_secret(), "991122");
}

#[tokio::test]
async fn register_sends_a_phone_number_in_any_form() {
    let server =
        answering(json!({"register": {"status": 200, "message": "Registered", "verificationCode": null}}))
            .await;
    let registration = Registration::new(EMAIL, secret("pw-Correct-Horse")).phone_number("(416) 555-0100");
    client(&server).register(&registration).await.unwrap();
    let request = only_request(&server).await;
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    let data = body["variables"]["input"]["data"].as_str().unwrap();
    assert_eq!(serde_json::from_str::<Value>(data).unwrap()["phoneNumber"], "(416) 555-0100");
    assert_wire(&request, "register", "Register", None, json!({"input": {"data": data}}));
}

#[tokio::test]
async fn login_keeps_the_fields_the_sdk_documents_leave_out() {
    let access = jwt(USER_ID);
    let mut result = login_result(&access, "refresh-1");
    let extra = json!({
        "ipAddress": "203.0.113.7",
        "limitsNumber": {
            "accountLimits": {"accountId": USER_ID, "dailyDeposit": 500, "weeklyDeposit": null,
                "monthlyDeposit": 2000, "lifetimeDeposit": null, "orderLiability": 100,
                "maxOrderLiabilityPerOrder": 50, "lossLimit24Hours": 200, "lossLimitWeekly": null,
                "lossLimitMonthly": null, "coolOffPeriod": 0, "hoursPerDay": 6, "selfExcluded": 0},
            "adminLimits": {"dailyDeposit": 10000, "weeklyDeposit": null, "monthlyDeposit": null,
                "lifetimeDeposit": null, "orderLiability": null, "maxOrderLiabilityPerOrder": 5000,
                "lossLimit24Hours": null, "lossLimitWeekly": null, "lossLimitMonthly": null,
                "coolOffPeriod": null, "hoursPerDay": null, "selfExcluded": 0}
        },
        "tncChanged": {"terms": true, "privacyPolicy": false, "houseRules": null},
        "whitelistIpAddresses": "203.0.113.0/24",
        "deviceTokens": [{"deviceId": "phone-1", "deviceToken": "push-secret-42", "deviceType": "ios",
                          "effectiveStartDate": "2026-11-01T00:00:00Z"}, null],
        "allowMultipleLogins": true,
        "appSettings": [{"deviceId": "phone-1", "settings": {"deviceId": "phone-1", "mode": "dark",
            "oddsDisplay": "american", "enableFaceId": true, "wageringQtyIncrement": "5",
            "closeYourAccount": false, "enable2Fa": true, "deviceType": "ios", "showTutorialAgain": false}}],
        "referralCode": "ADA-2026"
    });
    result.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let server = answering(json!({"login": result})).await;
    let LoginOutcome::LoggedIn(session) =
        client(&server).login(&Credentials::new(EMAIL, secret("pw"))).await.unwrap()
    else {
        panic!("expected a session")
    };
    let request = only_request(&server).await;
    assert_wire(&request, "login", "Login", None, json!({"credentials": {"email": EMAIL, "password": "pw"}}));
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    let query = body["query"].as_str().unwrap();
    for field in [
        "ipAddress",
        "limitsNumber",
        "tncChanged",
        "whitelistIpAddresses",
        "deviceTokens",
        "allowMultipleLogins",
        "appSettings",
        "referralCode",
    ] {
        assert!(query.contains(field), "{field} is not selected");
    }
    // Its non-null fields could null the whole result.
    assert!(!query.contains("userProfile"));

    let info = session.info();
    assert_eq!(info.ip_address.as_deref(), Some("203.0.113.7"));
    let limits = info.limits.clone().unwrap();
    let account = limits.account.unwrap();
    assert_eq!(account.account_id.as_deref(), Some(USER_ID));
    assert_eq!((account.daily_deposit, account.weekly_deposit), (Some(500), None));
    assert_eq!((account.loss_limit_24_hours, account.hours_per_day), (Some(200), Some(6)));
    assert_eq!(limits.admin.unwrap().daily_deposit, Some(10000));
    let tnc = info.tnc_changed.unwrap();
    assert_eq!((tnc.terms, tnc.privacy_policy, tnc.house_rules), (Some(true), Some(false), None));
    assert_eq!(info.whitelist_ip_addresses.as_deref(), Some("203.0.113.0/24"));
    assert_eq!(info.device_tokens.len(), 1, "a null entry is skipped");
    let device = &info.device_tokens[0];
    assert_eq!(device.token.as_ref().unwrap().expose_secret(), "push-secret-42");
    assert_eq!(device.effective_start_date.unwrap().to_rfc3339(), "2026-11-01T00:00:00+00:00");
    assert!(!format!("{info:?}").contains("push-secret-42"));
    assert_eq!(info.allow_multiple_logins, Some(true));
    let settings = &info.app_settings[0];
    assert_eq!((settings.mode.as_deref(), settings.enable_2fa), (Some("dark"), Some(true)));
    assert_eq!(info.referral_code.as_deref(), Some("ADA-2026"));
}

#[test]
fn hosts_name_both_production_domains_and_default_to_the_sdks() {
    assert_eq!(Host::default(), Host::Production);
    assert_eq!(Host::Production.endpoint().unwrap(), "https://api.on.stxapp.ca/api/graphql");
    assert_eq!(Host::ProductionSportsx.endpoint().unwrap(), "https://api.on.sportsxapp.com/api/graphql");
    assert_eq!(Host::Staging.endpoint().unwrap(), "https://api-staging.on.sportsxapp.com/api/graphql");
}

#[tokio::test]
async fn forgot_password() {
    let server = answering(json!({"forgotPassword": {
        "header": "Check your email", "message": "We sent a code", "email": EMAIL}}))
    .await;
    let requested = client(&server).forgot_password(EMAIL).await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "forgotPassword",
        "ForgotPassword",
        None,
        json!({"email": EMAIL}),
    );
    assert_eq!(requested.header.as_deref(), Some("Check your email"));
    assert_eq!(requested.email.as_deref(), Some(EMAIL));
}

#[tokio::test]
async fn confirm_password_reset() {
    let server =
        answering(json!({"confirmPasswordReset": {"reset": true, "message": "Password reset"}})).await;
    client(&server).confirm_password_reset("551100", "new-Pw-1").await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "confirmPasswordReset",
        "ConfirmPasswordReset",
        None,
        json!({"passwordResetParams": {"code": "551100", "newPassword": "new-Pw-1"}}),
    );
}

#[tokio::test]
async fn change_password_adopts_new_tokens() {
    let (server, session, access) =
        logged_in(json!({"changePassword": login_result("jwt-after-change", "refresh-after-change")})).await;
    let change = session.change_password("old-Pw", "new-Pw").await.unwrap();
    assert_eq!(change, PasswordChange::Changed);
    assert_wire(
        &only_request(&server).await,
        "changePassword",
        "ChangePassword",
        Some(&access),
        json!({"oldPassword": "old-Pw", "newPassword": "new-Pw"}),
    );
    assert_eq!(session.access_token().expose_secret(), "jwt-after-change");
}

#[tokio::test]
async fn change_password_with_2fa_waits_for_the_code() {
    let mut pending = login_result("", "");
    pending["token"] = Value::Null;
    pending["refreshToken"] = Value::Null;
    pending["promptTwoFactorAuth"] = json!(true);
    let (_server, session, access) = logged_in(json!({"changePassword": pending})).await;
    let change = session.change_password("old-Pw", "new-Pw").await.unwrap();
    assert_eq!(change, PasswordChange::ConfirmationRequired);
    assert_eq!(session.access_token().expose_secret(), access, "kept the tokens");
}

#[tokio::test]
async fn confirm_change_password_2fa() {
    let (server, session, access) =
        logged_in(json!({"confirmChangePassword2Fa": login_result("jwt-confirmed", "refresh-confirmed")}))
            .await;
    session.confirm_change_password_2fa("123456").await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "confirmChangePassword2Fa",
        "ConfirmChangePassword2Fa",
        Some(&access),
        json!({"code": "123456"}),
    );
    assert_eq!(session.refresh_token().expose_secret(), "refresh-confirmed");
}

#[tokio::test]
async fn resend_change_password_2fa() {
    let (server, session, access) = logged_in(json!({"resendChangePassword2Fa": two_factor("sent")})).await;
    let status = session.resend_change_password_2fa().await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "resendChangePassword2Fa",
        "ResendChangePassword2Fa",
        Some(&access),
        json!({}),
    );
    assert_eq!(status.status.as_deref(), Some("sent"));
}

#[tokio::test]
async fn enable_2fa_with_the_password() {
    let (server, session, access) = logged_in(json!({"enable2Fa": two_factor("enabled")})).await;
    let status = session.enable_2fa(Some("pw-Correct-Horse".into())).await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "enable2Fa",
        "Enable2Fa",
        Some(&access),
        json!({"password": "pw-Correct-Horse"}),
    );
    assert_eq!(status.status.as_deref(), Some("enabled"));
}

#[tokio::test]
async fn disable_2fa_without_the_password() {
    let (server, session, access) = logged_in(json!({"disable2Fa": two_factor("disabled")})).await;
    session.disable_2fa(None).await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "disable2Fa",
        "Disable2Fa",
        Some(&access),
        json!({"password": null}),
    );
}

#[tokio::test]
async fn send_2fa() {
    let (server, session, access) = logged_in(json!({"send2Fa": two_factor("sent")})).await;
    let status = session.send_2fa().await.unwrap();
    assert_wire(&only_request(&server).await, "send2Fa", "Send2Fa", Some(&access), json!({}));
    assert_eq!(status.session_id.as_deref(), Some("2fa-session-77"));
}

#[tokio::test]
async fn logout_on_a_device_and_without_one() {
    let (server, session, access) =
        logged_in(json!({"logout": {"status": 200, "message": "Logged out", "deviceId": "laptop-1"}})).await;
    let out = session.logout(Some("laptop-1")).await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "logout",
        "Logout",
        Some(&access),
        json!({"deviceInfo": {"deviceId": "laptop-1"}}),
    );
    assert_eq!(out.message.as_deref(), Some("Logged out"));
    assert_eq!(out.device_id.as_deref(), Some("laptop-1"));

    server.reset().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": {"logout": {"status": 200, "message": "Logged out", "deviceId": null}}}),
        ))
        .mount(&server)
        .await;
    session.logout(None).await.unwrap();
    assert_wire(&only_request(&server).await, "logout", "Logout", Some(&access), json!({"deviceInfo": null}));
}

#[tokio::test]
async fn user_profile_is_a_query_with_the_bearer() {
    let profile = json!({
        "id": USER_ID, "dateOfBirth": "1990-12-10", "firstName": "Ada", "lastName": "Lovelace",
        "middleName": null, "preferredName": "Ada", "username": "ada", "phoneNumber": "+14165550100",
        "countryCode": "CA", "businessCountryCode": null, "businessPhone": null, "address1": "1 Main St",
        "address2": null, "city": "Toronto", "state": "ON", "zipCode": "M5V 2T6", "country": "Canada",
        "citizenshipCountry": "CA", "ssn": "046-454-286", "accountId": "7f1c2e3d-4b5a-4c6d-8e9f-0a1b2c3d4e5f",
        "employerName": null, "employerAddress": null, "jobTitle": null, "industry": null,
        "twoFactorAuth": true, "twoFactorAuthPerDevice": false, "optInMarketing": true,
        "whitelistIpAddresses": null
    });
    let (server, session, access) = logged_in(json!({"userProfile": profile})).await;
    let profile = session.user_profile().await.unwrap();
    let request = only_request(&server).await;
    assert_wire(&request, "userProfile", "UserProfile", Some(&access), json!({}));
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert!(body["query"].as_str().unwrap().starts_with("query UserProfile"), "{body}");
    assert_eq!((profile.id.as_str(), profile.username.as_str()), (USER_ID, "ada"));
    assert_eq!((profile.first_name.as_str(), profile.last_name.as_str()), ("Ada", "Lovelace"));
    assert_eq!(profile.date_of_birth.as_deref(), Some("1990-12-10"));
    assert_eq!(profile.zip_code.as_deref(), Some("M5V 2T6"));
    assert_eq!(profile.account_id.as_deref(), Some("7f1c2e3d-4b5a-4c6d-8e9f-0a1b2c3d4e5f"));
    assert_eq!((profile.two_factor_auth, profile.opt_in_marketing), (Some(true), Some(true)));
    assert_eq!(profile.ssn.as_ref().unwrap().expose_secret(), "046-454-286");
    assert!(!format!("{profile:?}").contains("046-454"), "the tax number never prints");

    // A null profile with errors is the server's refusal.
    server.reset().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": {"userProfile": null},
            "errors": [{"message": "profile unavailable", "path": ["userProfile"]}]
        })))
        .mount(&server)
        .await;
    let error = session.user_profile().await.unwrap_err();
    assert_eq!(error.operation(), "user_profile");
    assert_eq!(error.path(), Some("userProfile"));
}
