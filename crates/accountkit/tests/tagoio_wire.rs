//! Every TagoIO operation against a local HTTP server: method, exact path,
//! `token` header present or absent, Content-Type, exact JSON body, and the
//! decoding of a realistic response.

#![cfg(feature = "tagoio")]

use accountkit::ErrorKind;
use accountkit::tagoio::{
    AccountChanges, Client, Credentials, DateFormat, Expiry, Language, LastUpdatedPlacement, NewAccount,
    OtpType, Permission, Plan, Region, TimeFormat, TokenRequest,
};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "a1b2c3d4-0000-4000-8000-123456789abc";

async fn answering(status: u16, body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(ResponseTemplate::new(status).set_body_json(body)).mount(&server).await;
    server
}

fn with_token(server: &MockServer) -> Client {
    Client::new(Region::Custom(server.uri()), TOKEN).unwrap()
}

fn anonymous(server: &MockServer) -> Client {
    Client::anonymous(Region::Custom(server.uri())).unwrap()
}

fn message(text: &str) -> Value {
    json!({"status": true, "result": text})
}

/// The one request the server got.
async fn only_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "expected exactly one request");
    requests.remove(0)
}

/// Checks method, path, the `token` header and the JSON body (`None`: no body).
fn assert_wire(request: &Request, method: &str, path: &str, token: bool, body: Option<Value>) {
    assert_eq!(request.method.as_str(), method);
    assert_eq!(request.url.path(), path);
    assert_eq!(request.url.query(), None);
    match token {
        true => assert_eq!(request.headers.get("token").map(|v| v.to_str().unwrap()), Some(TOKEN)),
        false => assert!(request.headers.get("token").is_none(), "token sent on an anonymous operation"),
    }
    assert!(request.headers.get("authorization").is_none());
    assert!(request.headers.get("api-version").is_none());
    let agent = request.headers.get("user-agent").unwrap().to_str().unwrap();
    assert!(agent.starts_with("accountkit/"), "{agent}");
    match body {
        Some(expected) => {
            assert_eq!(request.headers.get("content-type").unwrap(), "application/json");
            let sent: Value = serde_json::from_slice(&request.body).unwrap();
            assert_eq!(sent, expected);
        }
        None => assert!(request.body.is_empty(), "unexpected body"),
    }
}

fn account_json() -> Value {
    json!({
        "status": true,
        "result": {
            "active": true, "blocked": false, "company": "ACME", "created_at": "2021-08-31T21:34:22.107Z",
            "email": "ada@example.com", "id": "612ea05e3cc078001271522a", "language": "en",
            "last_login": "2021-09-13T17:59:30.983Z", "name": "Ada", "newsletter": true,
            "options": {"decimal_separator": ",", "last_whats_new": "2021-08-02T18:00:00.000Z",
                        "thousand_separator": ".", "user_view_welcome": true},
            "otp": {"authenticator": false, "sms": false, "email": true},
            "phone": null, "plan": "enterprise-2030", "send_invoice": false, "stripe_id": null,
            "timezone": "America/Sao_Paulo", "type": "user", "updated_at": "2021-09-13T17:59:31.000Z",
            "brand_new_field": {"anything": 1}
        }
    })
}

#[tokio::test]
async fn info() {
    let server = answering(200, account_json()).await;
    let account = with_token(&server).info().await.unwrap();
    assert_wire(&only_request(&server).await, "GET", "/account", true, None);
    assert_eq!(account.id, "612ea05e3cc078001271522a");
    assert_eq!(account.name, "Ada");
    assert_eq!(account.plan, Some(Plan::Other("enterprise-2030".into())));
    assert_eq!(account.language, Some(Language::En));
    assert_eq!(account.phone, None);
    assert!(account.otp.email && !account.otp.sms && account.otp.any());
    assert_eq!(account.created_at.unwrap().to_rfc3339(), "2021-08-31T21:34:22.107+00:00");
    assert_eq!(account.options.last_whats_new.unwrap().timestamp(), 1_627_927_200);
}

#[tokio::test]
async fn info_accepts_an_empty_otp_object_and_missing_options() {
    let server = answering(
        200,
        json!({"status": true, "result": {"id": "1", "name": "n", "email": "e@x.io", "otp": {}}}),
    )
    .await;
    let account = with_token(&server).info().await.unwrap();
    assert!(!account.otp.any());
    assert_eq!(account.options.decimal_separator, None);
}

#[tokio::test]
async fn edit_sends_only_what_changes() {
    let server = answering(200, message("Account Successfully Updated")).await;
    let changes = AccountChanges::new()
        .name("Ada L.")
        .phone("+5511999998888")
        .language(Language::PtBr)
        .date_format(DateFormat::DayMonthYear)
        .time_format(TimeFormat::H24)
        .separators(",", ".")
        .show_last_updated_at(LastUpdatedPlacement::Menu);
    let text = with_token(&server).edit(&changes).await.unwrap();
    assert_eq!(text, "Account Successfully Updated");
    let body = json!({
        "name": "Ada L.", "phone": "+5511999998888", "language": "pt-br",
        "options": {"date_format": "DD-MM-YYYY", "time_format": "24", "decimal_separator": ",",
                    "thousand_separator": ".", "show_last_updated_at": "menu"}
    });
    assert_wire(&only_request(&server).await, "PUT", "/account", true, Some(body));
}

#[tokio::test]
async fn edit_with_one_field_sends_one_field() {
    let server = answering(200, message("Account Successfully Updated")).await;
    with_token(&server).edit(&AccountChanges::new().company("ACME")).await.unwrap();
    assert_wire(&only_request(&server).await, "PUT", "/account", true, Some(json!({"company": "ACME"})));
}

#[tokio::test]
async fn delete() {
    let server = answering(200, message("Account Successfully Removed")).await;
    assert_eq!(with_token(&server).delete().await.unwrap(), "Account Successfully Removed");
    assert_wire(&only_request(&server).await, "DELETE", "/account", true, None);
}

#[tokio::test]
async fn password_change() {
    let server = answering(200, message("Password Successfully Changed")).await;
    with_token(&server).password_change("n3w-Pass!").await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "POST",
        "/account/passwordreset",
        true,
        Some(json!({"password": "n3w-Pass!"})),
    );
}

#[tokio::test]
async fn reset_password_sends_the_recovery_token() {
    let server = answering(200, message("Password Successfully Changed")).await;
    anonymous(&server).reset_password(TOKEN, "n3w-Pass!").await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "POST",
        "/account/passwordreset",
        true,
        Some(json!({"password": "n3w-Pass!"})),
    );
}

#[tokio::test]
async fn password_recover_encodes_the_email() {
    let server = answering(200, message("Email sent")).await;
    anonymous(&server).password_recover("user+tag@example.com").await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "GET",
        "/account/passwordreset/user%2Btag%40example.com",
        false,
        None,
    );
}

#[tokio::test]
async fn enable_otp() {
    let server = answering(200, message("Confirm the PIN to enable 2FA")).await;
    let creds = Credentials::new("ada@example.com", "pw-1234");
    with_token(&server).enable_otp(OtpType::Sms, &creds).await.unwrap();
    let body = json!({"email": "ada@example.com", "password": "pw-1234"});
    assert_wire(&only_request(&server).await, "POST", "/account/otp/sms/enable", true, Some(body));
}

#[tokio::test]
async fn disable_otp() {
    let server = answering(200, message("2FA disabled")).await;
    let creds = Credentials::new("ada@example.com", "pw-1234");
    with_token(&server).disable_otp(OtpType::Authenticator, &creds).await.unwrap();
    let body = json!({"email": "ada@example.com", "password": "pw-1234"});
    assert_wire(&only_request(&server).await, "POST", "/account/otp/authenticator/disable", true, Some(body));
}

#[tokio::test]
async fn confirm_otp() {
    let server = answering(200, message("2FA enabled")).await;
    with_token(&server).confirm_otp(OtpType::Email, "123456").await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "POST",
        "/account/otp/email/confirm",
        true,
        Some(json!({"pin_code": "123456"})),
    );
}

#[tokio::test]
async fn token_create() {
    let server = answering(
        200,
        json!({"status": true, "result": {
        "token": "f0e1d2c3-aaaa-4bbb-8ccc-000000000001", "name": "ci", "permission": "read",
        "profile": "612ea05e3cc0780012715333", "created_by": "612ea05e3cc078001271522a",
        "expire_date": "2027-02-21T10:00:00.000Z"}}),
    )
    .await;
    let request =
        TokenRequest::new("612ea05e3cc0780012715333", Credentials::new("ada@example.com", "pw-1234"), "ci")
            .expire_time("3 month")
            .permission(Permission::Read)
            .second_factor(OtpType::Email, "654321");
    // Sent without a token even from a client that has one.
    let token = with_token(&server).token_create(&request).await.unwrap();
    let body = json!({"profile_id": "612ea05e3cc0780012715333", "email": "ada@example.com", "password": "pw-1234",
                      "name": "ci", "expire_time": "3 month", "permission": "read", "otp_type": "email", "pin_code": "654321"});
    assert_wire(&only_request(&server).await, "POST", "/account/profile/token", false, Some(body));
    use accountkit::ExposeSecret;
    assert_eq!(token.token.expose_secret(), "f0e1d2c3-aaaa-4bbb-8ccc-000000000001");
    assert_eq!(token.permission, Some(Permission::Read));
    assert_eq!(token.expire_date.unwrap().at().unwrap().to_rfc3339(), "2027-02-21T10:00:00+00:00");
}

#[tokio::test]
async fn token_create_never_expiring_answer_decodes() {
    // What the service answers for `"expire_time": "never"`.
    let server = answering(
        200,
        json!({"status": true, "result": {"token": "t-1", "name": "ci", "permission": "full",
        "profile": "p1", "created_by": "a1", "expire_date": "never"}}),
    )
    .await;
    let request =
        TokenRequest::new("p1", Credentials::new("ada@example.com", "pw-1234"), "ci").never_expires();
    let token = anonymous(&server).token_create(&request).await.unwrap();
    assert_eq!(token.expire_date, Some(Expiry::Never));
    assert_eq!(token.expire_date.unwrap().at(), None);
}

#[tokio::test]
async fn token_create_expires_at_sends_an_iso_date() {
    let server = answering(
        200,
        json!({"status": true, "result": {"token": "t-1", "expire_date": "2030-01-02T03:04:05.000Z"}}),
    )
    .await;
    let at = "2030-01-02T03:04:05Z".parse().unwrap();
    let request =
        TokenRequest::new("p1", Credentials::new("ada@example.com", "pw-1234"), "ci").expires_at(at);
    let token = anonymous(&server).token_create(&request).await.unwrap();
    let body = json!({"profile_id": "p1", "email": "ada@example.com", "password": "pw-1234", "name": "ci",
                      "expire_time": "2030-01-02T03:04:05.000Z"});
    assert_wire(&only_request(&server).await, "POST", "/account/profile/token", false, Some(body));
    assert_eq!(token.expire_date, Some(Expiry::At(at)));
}

#[tokio::test]
async fn token_create_unknown_expiry_is_kept_not_refused() {
    let server =
        answering(200, json!({"status": true, "result": {"token": "t-1", "expire_date": "soon"}})).await;
    let request = TokenRequest::new("p1", Credentials::new("ada@example.com", "pw-1234"), "ci");
    let token = anonymous(&server).token_create(&request).await.unwrap();
    assert_eq!(token.expire_date, Some(Expiry::Other("soon".into())));
}

#[tokio::test]
async fn token_create_minimal_body_omits_optionals() {
    let server =
        answering(200, json!({"status": true, "result": {"token": "t-1", "expire_date": null}})).await;
    let request =
        TokenRequest::new("p1", Credentials::new("ada@example.com", "pw-1234"), "ci").never_expires();
    let token = anonymous(&server).token_create(&request).await.unwrap();
    let body = json!({"profile_id": "p1", "email": "ada@example.com", "password": "pw-1234", "name": "ci", "expire_time": "never"});
    assert_wire(&only_request(&server).await, "POST", "/account/profile/token", false, Some(body));
    assert_eq!(token.expire_date, None);
}

fn login_json() -> Value {
    json!({"status": true, "result": {"type": "user", "id": "612ea05e3cc078001271522a", "email": "ada@example.com",
    "name": "Ada", "company": null, "profiles": [
        {"id": "612ea05e3cc0780012715333", "name": "Main", "account": "612ea05e3cc078001271522a", "logo_url": null},
        {"id": "612ea05e3cc0780012715444", "name": "Shared", "account": "612ea05e3cc0780012715999", "logo_url": "https://x.io/l.png", "from_share": true}
    ]}})
}

#[tokio::test]
async fn login() {
    let server = answering(200, login_json()).await;
    let login = with_token(&server).login(&Credentials::new("ada@example.com", "pw-1234")).await.unwrap();
    let body = json!({"email": "ada@example.com", "password": "pw-1234"});
    assert_wire(&only_request(&server).await, "POST", "/account/login", false, Some(body));
    assert_eq!(login.profiles.len(), 2);
    assert!(!login.profiles[0].from_share && login.profiles[1].from_share);
    assert_eq!(login.name.as_deref(), Some("Ada"));
}

#[tokio::test]
async fn login_with_pin() {
    let server = answering(200, login_json()).await;
    anonymous(&server)
        .login_with_pin(&Credentials::new("ada@example.com", "pw-1234"), OtpType::Email, "123456")
        .await
        .unwrap();
    let body =
        json!({"email": "ada@example.com", "password": "pw-1234", "otp_type": "email", "pin_code": "123456"});
    assert_wire(&only_request(&server).await, "POST", "/account/login", false, Some(body));
}

#[tokio::test]
async fn request_login_pin_code() {
    let server = answering(200, message("PIN sent")).await;
    anonymous(&server)
        .request_login_pin_code(&Credentials::new("ada@example.com", "pw-1234"), OtpType::Sms)
        .await
        .unwrap();
    let body = json!({"email": "ada@example.com", "password": "pw-1234", "otp_type": "sms"});
    assert_wire(&only_request(&server).await, "POST", "/account/login/otp", false, Some(body));
}

#[tokio::test]
async fn create_sends_the_password_twice() {
    let server = answering(200, message("Account created. Check your email to confirm it.")).await;
    let account = NewAccount::new("Ada", "ada@example.com", "pw-1234", "Europe/London")
        .company("ACME")
        .newsletter(false);
    with_token(&server).create(&account).await.unwrap();
    let body = json!({"name": "Ada", "email": "ada@example.com", "password": "pw-1234", "cpassword": "pw-1234",
                      "timezone": "Europe/London", "company": "ACME", "newsletter": false});
    assert_wire(&only_request(&server).await, "POST", "/account", false, Some(body));
}

#[tokio::test]
async fn resend_confirmation() {
    let server = answering(200, message("Confirmation email sent")).await;
    anonymous(&server).resend_confirmation("user+tag@example.com").await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "GET",
        "/account/resend_confirmation/user%2Btag%40example.com",
        false,
        None,
    );
}

#[tokio::test]
async fn confirm_account_keeps_a_slashy_token_in_one_segment() {
    let server = answering(200, message("Account confirmed")).await;
    anonymous(&server).confirm_account("ab/../cd?x#y").await.unwrap();
    assert_wire(&only_request(&server).await, "GET", "/account/confirm/ab%2F..%2Fcd%3Fx%23y", false, None);
}

#[tokio::test]
async fn accept_team_invitation() {
    let server = answering(200, message("Invitation accepted")).await;
    with_token(&server).accept_team_invitation("inv+1/2").await.unwrap();
    assert_wire(&only_request(&server).await, "GET", "/profile/team/accept/inv%2B1%2F2", false, None);
}

#[tokio::test]
async fn decline_team_invitation() {
    let server = answering(200, message("Invitation declined")).await;
    anonymous(&server).decline_team_invitation("inv-1").await.unwrap();
    assert_wire(&only_request(&server).await, "GET", "/profile/team/decline/inv-1", false, None);
}

// ---- refusals before sending ----

#[tokio::test]
async fn malformed_arguments_are_refused_before_sending() {
    let server = answering(200, message("never")).await;
    let client = with_token(&server);
    let cases = [
        client.confirm_account("..").await.unwrap_err(),
        client.password_recover("not-an-email").await.unwrap_err(),
        client.confirm_otp(OtpType::Email, "12ab").await.unwrap_err(),
        client.edit(&AccountChanges::new().phone("5511")).await.unwrap_err(),
        client.login(&Credentials::new("ada@example.com", "")).await.unwrap_err(),
        client.create(&NewAccount::new("", "ada@example.com", "pw", "UTC")).await.unwrap_err(),
    ];
    let fields = ["`token`", "`email`", "`pin`", "`phone`", "`password`", "`name`"];
    for (err, field) in cases.iter().zip(fields) {
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        assert!(err.message().starts_with(field), "{err}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn account_operations_need_a_token() {
    let server = answering(200, account_json()).await;
    let err = anonymous(&server).info().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.message().contains("needs credentials"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[test]
fn bad_tokens_and_base_urls_are_refused() {
    let err = Client::new(Region::UsEast1, "tok\nen").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(!err.to_string().contains("tok\nen"));
    assert!(Client::new(Region::UsEast1, "").is_err());
    assert!(Client::anonymous(Region::Custom("mailto:a@b.c".into())).is_err());
}
