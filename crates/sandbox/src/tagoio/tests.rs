use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::{InvitationState, MessageKind, RecordedRequest, TagoIo};
use crate::Sandbox;

struct Fixture {
    _sandbox: Sandbox,
    tago: TagoIo,
    http: reqwest::Client,
}

const PASSWORD: &str = "correct horse";

impl Fixture {
    async fn new() -> Fixture {
        let sandbox = Sandbox::start().await.unwrap();
        Fixture { tago: sandbox.tagoio(), _sandbox: sandbox, http: crate::test_http() }
    }

    /// Sends a raw body; returns HTTP status and parsed JSON.
    async fn raw(&self, method: &str, path: &str, token: Option<&str>, body: Option<String>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, format!("{}{path}", self.tago.base_url()));
        if let Some(token) = token {
            request = request.header("token", token);
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        (status, value)
    }

    async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        self.raw(method, path, token, body.map(|b| b.to_string())).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, None, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call("POST", path, None, Some(body)).await
    }

    async fn create(&self, email: &str) -> (u16, Value) {
        self.post(
            "/account",
            json!({"name": "Ada", "email": email, "password": PASSWORD, "cpassword": PASSWORD,
                   "timezone": "Europe/London", "company": "Engines"}),
        )
        .await
    }

    /// Creates and confirms an account.
    async fn sign_up(&self, email: &str) {
        assert_eq!(self.create(email).await.0, 200);
        let token = self.tago.confirmation_token(email).unwrap().expose_secret().to_owned();
        assert_eq!(self.get(&format!("/account/confirm/{token}")).await.0, 200);
    }

    async fn login(&self, email: &str, extra: Value) -> (u16, Value) {
        let mut body = json!({"email": email, "password": PASSWORD});
        merge(&mut body, extra);
        self.post("/account/login", body).await
    }

    async fn create_token(&self, email: &str, profile_id: &str, extra: Value) -> (u16, Value) {
        let mut body =
            json!({"email": email, "password": PASSWORD, "profile_id": profile_id, "name": "tests"});
        merge(&mut body, extra);
        self.post("/account/profile/token", body).await
    }

    /// Signs up and returns a profile token.
    async fn token(&self, email: &str) -> String {
        self.sign_up(email).await;
        let (_, login) = self.login(email, json!({})).await;
        let profile = login["result"]["profiles"][0]["id"].as_str().unwrap().to_owned();
        let (status, body) = self.create_token(email, &profile, json!({})).await;
        assert_eq!(status, 200, "{body}");
        body["result"]["token"].as_str().unwrap().to_owned()
    }

    async fn enable_otp(&self, email: &str, token: &str, kind: &str) {
        let credentials = json!({"email": email, "password": PASSWORD});
        let path = format!("/account/otp/{kind}/enable");
        let (status, _) = self.call("POST", &path, Some(token), Some(credentials)).await;
        assert_eq!(status, 200);
        let pin = self.tago.latest_pin(email).unwrap().expose_secret().to_owned();
        let path = format!("/account/otp/{kind}/confirm");
        let (status, body) = self.call("POST", &path, Some(token), Some(json!({"pin_code": pin}))).await;
        assert_eq!((status, body), (200, json!({"status": true, "result": "2FA enabled"})));
    }
}

fn merge(into: &mut Value, extra: Value) {
    if let (Value::Object(into), Value::Object(extra)) = (into, extra) {
        into.extend(extra);
    }
}

fn top(message: &str) -> Value {
    json!({"status": false, "message": message})
}

fn result_form(body: &Value) -> &str {
    assert_eq!(body["status"], json!(false), "{body}");
    assert!(body.get("message").is_none(), "{body}");
    body["result"]["message"].as_str().unwrap_or_else(|| panic!("{body}"))
}

#[tokio::test]
async fn create_confirm_login_token_info() {
    let f = Fixture::new().await;
    let email = "ada@example.com";
    let (status, body) = f.create(email).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], json!(true));
    assert!(body["result"].is_string());
    assert!(f.tago.account_exists(email));

    // Not confirmed yet.
    let (status, body) = f.login(email, json!({})).await;
    assert_eq!((status, body), (401, top("Account not confirmed")));

    let token = f.tago.confirmation_token(email).unwrap().expose_secret().to_owned();
    assert_eq!(token.len(), 32);
    let (status, body) = f.get(&format!("/account/confirm/{token}")).await;
    assert_eq!((status, body), (200, json!({"status": true, "result": "Account confirmed"})));
    // Confirmation tokens are spent once the account is active.
    assert_eq!(f.get(&format!("/account/confirm/{token}")).await.0, 404);

    let (status, login) = f.login(email, json!({})).await;
    assert_eq!(status, 200, "{login}");
    let user = &login["result"];
    assert_eq!(user["type"], "user");
    assert_eq!(user["email"], email);
    assert_eq!(user["name"], "Ada");
    assert_eq!(user["company"], "Engines");
    assert_eq!(user["phone"], Value::Null);
    let account_id = user["id"].as_str().unwrap();
    assert_eq!(account_id.len(), 24);
    let profile = &user["profiles"][0];
    assert_eq!(profile["name"], "Ada's profile");
    assert_eq!(profile["account"], account_id);
    assert_eq!(profile["logo_url"], Value::Null);
    let profile_id = profile["id"].as_str().unwrap();

    let (status, body) =
        f.create_token(email, profile_id, json!({"expire_time": "3 months", "permission": "read"})).await;
    assert_eq!(status, 200, "{body}");
    let created = &body["result"];
    let token = created["token"].as_str().unwrap();
    assert_eq!(token.len(), 36);
    assert_eq!(created["name"], "tests");
    assert_eq!(created["permission"], "read");
    assert_eq!(created["profile"], profile_id);
    assert_eq!(created["created_by"], account_id);
    assert!(created["expire_date"].as_str().unwrap().ends_with('Z'));
    let (_, never) = f.create_token(email, profile_id, json!({"expire_time": "never"})).await;
    assert_eq!(never["result"]["expire_date"], "never");
    assert_eq!(never["result"]["permission"], "full");
    let (_, unsaid) = f.create_token(email, profile_id, json!({})).await;
    assert_eq!(unsaid["result"]["expire_date"], "never");
    let (_, dated) = f.create_token(email, profile_id, json!({"expire_time": "2030-01-02T03:04:05Z"})).await;
    assert_eq!(dated["result"]["expire_date"], "2030-01-02T03:04:05.000Z");

    let (status, body) = f.create_token(email, "000000000000000000000000", json!({})).await;
    assert_eq!((status, body), (404, top("Profile not found")));

    let (status, body) = f.call("GET", "/account", Some(token), None).await;
    assert_eq!(status, 200, "{body}");
    let info = &body["result"];
    assert_eq!(info["id"], account_id);
    assert_eq!(info["active"], true);
    assert_eq!(info["blocked"], false);
    assert_eq!(info["plan"], "free");
    assert_eq!(info["language"], "en");
    assert_eq!(info["timezone"], "Europe/London");
    assert_eq!(info["stripe_id"], Value::Null);
    assert_eq!(info["otp"], json!({"authenticator": false, "sms": false, "email": false}));
    assert_eq!(info["options"]["decimal_separator"], ".");
    assert_eq!(info["options"]["last_whats_new"], Value::Null);
    let created_at = info["created_at"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(created_at).is_ok());
    assert_eq!(created_at.len(), "2021-08-31T21:34:22.107Z".len());
    assert!(info["last_login"].is_string());

    let requests = f.tago.requests();
    assert_eq!(
        requests.last(),
        Some(&RecordedRequest { method: "GET".into(), path: "/account".into(), had_token: true })
    );
    assert!(requests.iter().filter(|r| r.path != "/account" || r.method != "GET").all(|r| !r.had_token));
}

#[tokio::test]
async fn validation_errors_use_the_result_form() {
    let f = Fixture::new().await;
    let (status, body) = f.raw("POST", "/account", None, Some("{not json".into())).await;
    assert_eq!(status, 400);
    assert!(result_form(&body).starts_with("Malformed JSON body"));

    let (status, body) = f.raw("POST", "/account/login", None, None).await;
    assert_eq!(status, 400);
    result_form(&body);

    let (status, body) = f.post("/account", json!({"name": "Ada", "email": "a@b.c"})).await;
    assert_eq!(status, 400);
    assert_eq!(result_form(&body), "Missing required field: password");

    let (status, body) = f
        .post(
            "/account",
            json!({"name": "Ada", "email": "a@b.c", "password": "x", "cpassword": "y", "timezone": "UTC"}),
        )
        .await;
    assert_eq!(status, 400);
    result_form(&body);

    let (status, body) = f.post("/account/login", json!({"email": "", "password": "x"})).await;
    assert_eq!(status, 400);
    assert_eq!(result_form(&body), "Missing required field: email");

    let token = f.token("ada@example.com").await;
    let (status, body) =
        f.call("POST", "/account/otp/carrier-pigeon/enable", Some(&token), Some(json!({}))).await;
    assert_eq!(status, 400);
    assert!(result_form(&body).starts_with("Invalid OTP type"));

    let (status, body) = f.call("PUT", "/account", Some(&token), Some(json!({"email": "x@y.z"}))).await;
    assert_eq!(status, 400);
    result_form(&body);
    let (status, body) = f.call("PUT", "/account", Some(&token), Some(json!({"phone": "555"}))).await;
    assert_eq!(status, 400);
    result_form(&body);
}

#[tokio::test]
async fn other_errors_use_the_top_level_form() {
    let f = Fixture::new().await;
    let email = "ada@example.com";
    let token = f.token(email).await;

    assert_eq!(f.create(email).await, (400, top("Email already in use")));
    assert_eq!(f.get("/account").await, (401, top("Authorization denied")));
    assert_eq!(
        f.call("GET", "/account", Some("no-such-token"), None).await,
        (401, top("Authorization denied"))
    );
    let wrong = json!({"email": email, "password": "wrong"});
    assert_eq!(f.post("/account/login", wrong.clone()).await, (401, top("Invalid credentials")));
    let unknown = json!({"email": "nobody@example.com", "password": PASSWORD});
    assert_eq!(f.post("/account/login", unknown).await, (401, top("Invalid credentials")));
    assert_eq!(
        f.call("POST", "/account/otp/email/enable", Some(&token), Some(wrong)).await,
        (401, top("Invalid credentials"))
    );
    assert_eq!(f.get("/account/confirm/nope").await.0, 404);
    assert_eq!(
        f.get("/account/resend_confirmation/nobody@example.com").await,
        (404, top("Account not found"))
    );
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_are_named() {
    let f = Fixture::new().await;
    assert_eq!(f.get("/nope").await, (404, top("Route not found: GET /nope")));
    assert_eq!(f.call("PATCH", "/account", None, None).await, (405, top("PATCH is not allowed on /account")));
    assert_eq!(
        f.post("/account/otp/email/frobnicate", json!({})).await,
        (404, top("Route not found: POST /account/otp/email/frobnicate"))
    );
    assert_eq!(f.tago.requests().len(), 3);
}

#[tokio::test]
async fn resend_confirmation_of_a_confirmed_account_is_status_false_with_http_200() {
    let f = Fixture::new().await;
    // `+` and `@` arrive percent-encoded and must be decoded before lookup.
    let email = "ada+test@example.com";
    let encoded = "ada%2Btest%40example.com";
    f.create(email).await;
    let first = f.tago.confirmation_token(email).unwrap().expose_secret().to_owned();
    let (status, body) = f.get(&format!("/account/resend_confirmation/{encoded}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], true);
    let second = f.tago.confirmation_token(email).unwrap().expose_secret().to_owned();
    assert_ne!(first, second);

    assert_eq!(f.get(&format!("/account/confirm/{second}")).await.0, 200);
    let (status, body) = f.get(&format!("/account/resend_confirmation/{encoded}")).await;
    assert_eq!((status, body), (200, top("Account already confirmed")));
    assert_eq!(f.tago.requests().last().unwrap().path, format!("/account/resend_confirmation/{encoded}"));
}

#[tokio::test]
async fn otp_login_flow_and_single_use_pins() {
    let f = Fixture::new().await;
    let email = "ada@example.com";
    let token = f.token(email).await;

    // Wrong confirmation PIN.
    let creds = json!({"email": email, "password": PASSWORD});
    f.call("POST", "/account/otp/email/enable", Some(&token), Some(creds.clone())).await;
    let (status, body) =
        f.call("POST", "/account/otp/email/confirm", Some(&token), Some(json!({"pin_code": "x"}))).await;
    assert_eq!(status, 400);
    assert_eq!(result_form(&body), "Invalid PIN code");
    f.enable_otp(email, &token, "email").await;
    let (_, info) = f.call("GET", "/account", Some(&token), None).await;
    assert_eq!(info["result"]["otp"]["email"], true);

    // Without a PIN: 401 whose message is a JSON document in a string; nothing is sent.
    let sent = f.tago.outbox().len();
    let (status, body) = f.login(email, json!({})).await;
    assert_eq!((status, body), (401, top(r#"{"otp_enabled":true,"otp_autosend":"email"}"#)));
    assert_eq!(f.tago.outbox().len(), sent);

    let wrong_pin = json!({"otp_type": "email", "pin_code": "000000"});
    assert_eq!(f.login(email, wrong_pin).await, (401, top("Invalid PIN code")));

    let (status, body) =
        f.post("/account/login/otp", json!({"email": email, "password": PASSWORD, "otp_type": "sms"})).await;
    assert_eq!(status, 400);
    result_form(&body);
    let (status, body) = f
        .post("/account/login/otp", json!({"email": email, "password": PASSWORD, "otp_type": "email"}))
        .await;
    assert_eq!((status, body), (200, json!({"status": true, "result": "PIN sent"})));
    let pin = f.tago.latest_pin(email).unwrap().expose_secret().to_owned();
    assert_eq!(pin.len(), 6);
    assert!(matches!(
        f.tago.last_message(email).unwrap().kind,
        MessageKind::OtpPin { ref channel, .. } if channel == "email"
    ));

    let with_pin = json!({"otp_type": "email", "pin_code": pin});
    let (status, login) = f.login(email, with_pin.clone()).await;
    assert_eq!(status, 200, "{login}");
    assert_eq!(f.login(email, with_pin.clone()).await, (401, top("Invalid PIN code")));

    // The same PIN also authorises one token creation, as in the vendor's sign-in flow.
    let profile = login["result"]["profiles"][0]["id"].as_str().unwrap();
    assert_eq!(f.create_token(email, profile, json!({})).await.0, 401);
    assert_eq!(f.create_token(email, profile, with_pin.clone()).await.0, 200);
    assert_eq!(f.create_token(email, profile, with_pin).await, (401, top("Invalid PIN code")));

    let (status, _) = f.call("POST", "/account/otp/email/disable", Some(&token), Some(creds)).await;
    assert_eq!(status, 200);
    assert_eq!(f.login(email, json!({})).await.0, 200);
}

#[tokio::test]
async fn authenticator_prefers_authenticator_and_codes_come_from_the_handle() {
    let f = Fixture::new().await;
    let email = "ada@example.com";
    let token = f.token(email).await;
    f.enable_otp(email, &token, "email").await;
    f.enable_otp(email, &token, "authenticator").await;
    let (status, body) = f.login(email, json!({})).await;
    assert_eq!((status, body), (401, top(r#"{"otp_enabled":true,"otp_autosend":"authenticator"}"#)));
    let code = f.tago.authenticator_code(email).unwrap().expose_secret().to_owned();
    let (status, _) = f.login(email, json!({"otp_type": "authenticator", "pin_code": code})).await;
    assert_eq!(status, 200);
    assert!(f.tago.authenticator_code("nobody@example.com").is_none());
}

#[tokio::test]
async fn team_invitations_are_answered_once() {
    let f = Fixture::new().await;
    let secret = f.tago.invite("bob@example.com");
    assert_eq!(f.tago.invitation_state(&secret), Some(InvitationState::Pending));
    let token = secret.expose_secret();
    assert_eq!(
        f.tago.last_message("bob@example.com").unwrap().kind,
        MessageKind::TeamInvitation { token: token.to_owned() }
    );
    let (status, body) = f.call("GET", &format!("/profile/team/accept/{token}"), Some("ignored"), None).await;
    assert_eq!((status, body), (200, json!({"status": true, "result": "Invitation accepted"})));
    assert_eq!(f.tago.invitation_state(&secret), Some(InvitationState::Accepted));
    assert_eq!(
        f.get(&format!("/profile/team/decline/{token}")).await,
        (400, top("Invitation already answered"))
    );
    assert_eq!(f.get("/profile/team/decline/unknown").await.0, 404);
    assert_eq!(f.tago.invitation_state(&secret), Some(InvitationState::Accepted));
    assert!(f.tago.requests()[0].had_token);
}

#[tokio::test]
async fn edit_merges_and_delete_removes() {
    let f = Fixture::new().await;
    let email = "ada@example.com";
    let token = f.token(email).await;
    let edit =
        json!({"name": "Ada L.", "phone": "+44 20 7946 0000", "options": {"date_format": "YYYY-MM-DD"}});
    let (status, body) = f.call("PUT", "/account", Some(&token), Some(edit)).await;
    assert_eq!((status, body), (200, json!({"status": true, "result": "Account Successfully Updated"})));
    let (_, info) = f.call("GET", "/account", Some(&token), None).await;
    assert_eq!(info["result"]["name"], "Ada L.");
    assert_eq!(info["result"]["phone"], "+44 20 7946 0000");
    assert_eq!(info["result"]["options"]["date_format"], "YYYY-MM-DD");
    assert_eq!(info["result"]["options"]["decimal_separator"], ".");

    let (status, _) = f.call("DELETE", "/account", Some(&token), None).await;
    assert_eq!(status, 200);
    assert!(!f.tago.account_exists(email));
    assert_eq!(f.call("GET", "/account", Some(&token), None).await.0, 401);
}

#[tokio::test]
async fn password_recovery() {
    let f = Fixture::new().await;
    let email = "ada@example.com";
    f.sign_up(email).await;
    let sent = f.tago.outbox().len();
    let (status, body) = f.get("/account/passwordreset/nobody%40example.com").await;
    assert_eq!((status, body), (200, json!({"status": true, "result": "Email sent"})));
    assert_eq!(f.tago.outbox().len(), sent);

    f.get(&format!("/account/passwordreset/{email}")).await;
    let reset = f.tago.password_reset_token(email).unwrap().expose_secret().to_owned();
    let new = json!({"password": "new password"});
    let (status, _) = f.call("POST", "/account/passwordreset", Some(&reset), Some(new.clone())).await;
    assert_eq!(status, 200);
    assert_eq!(
        f.call("POST", "/account/passwordreset", Some(&reset), Some(new)).await,
        (401, top("Authorization denied"))
    );
    assert_eq!(f.login(email, json!({})).await.0, 401);
    let (status, _) = f.post("/account/login", json!({"email": email, "password": "new password"})).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn dropping_the_sandbox_stops_it() {
    let f = Fixture::new().await;
    assert_eq!(f.get("/nope").await.0, 404);
    let Fixture { _sandbox, tago, http } = f;
    drop(_sandbox);
    // The pooled keep-alive connection is closed asynchronously; give it a moment.
    for _ in 0..100 {
        if http.get(format!("{}/nope", tago.base_url())).send().await.is_err() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the server still answers after being dropped");
}

#[tokio::test]
async fn an_account_added_again_takes_the_old_tokens_with_it() {
    let f = Fixture::new().await;
    let first = f.tago.add_account("ada@example.com", PASSWORD);
    let token = first.token.expose_secret().to_string();
    assert_eq!(f.call("GET", "/account", Some(&token), None).await.0, 200);
    let second = f.tago.add_account("ada@example.com", PASSWORD);
    assert_eq!(f.call("GET", "/account", Some(&token), None).await, (401, top("Authorization denied")));
    let (status, info) = f.call("GET", "/account", Some(second.token.expose_secret()), None).await;
    assert_eq!((status, &info["result"]["email"]), (200, &json!("ada@example.com")));
    // Many accounts later, the first token of each still works.
    let tokens: Vec<_> =
        (0..2000).map(|n| f.tago.add_account(&format!("u{n}@example.com"), PASSWORD).token).collect();
    for token in [&tokens[0], &tokens[1999]] {
        assert_eq!(f.call("GET", "/account", Some(token.expose_secret()), None).await.0, 200);
    }
}

#[test]
fn the_editable_fields_are_the_descriptions() {
    let described = crate::conformance::request_properties("tagoio", "PUT", "/account");
    let mut ours = super::EDITABLE.map(str::to_owned).to_vec();
    ours.sort();
    assert_eq!(ours, described);
}

#[tokio::test]
async fn every_field_of_a_new_account_is_kept_and_every_editable_one_changes() {
    let f = Fixture::new().await;
    let email = "ada@example.com";
    let body = json!({"name": "Ada", "email": email, "password": PASSWORD, "cpassword": PASSWORD,
                      "timezone": "UTC", "country": "GB", "company": "Engines",
                      "newsletter": true, "developer": true});
    assert_eq!(f.post("/account", body).await.0, 200);
    let token = f.tago.confirmation_token(email).unwrap().expose_secret().to_owned();
    assert_eq!(f.get(&format!("/account/confirm/{token}")).await.0, 200);
    let (_, login) = f.login(email, json!({})).await;
    assert_eq!(login["result"]["profiles"][0]["from_share"], false);
    let profile = login["result"]["profiles"][0]["id"].as_str().unwrap().to_owned();
    let (_, created) = f.create_token(email, &profile, json!({})).await;
    let token = created["result"]["token"].as_str().unwrap();

    let edit = json!({"name": "Ada L", "company": "Works", "language": "pt-br", "phone": "+4400",
                      "timezone": "Europe/London",
                      "options": {"date_format": "DD-MM-YYYY", "time_format": "24",
                                  "decimal_separator": ",", "thousand_separator": ".",
                                  "show_last_updated_at": "menu"}});
    let (status, body) = f.call("PUT", "/account", Some(token), Some(edit)).await;
    assert_eq!(status, 200, "{body}");
    let (_, info) = f.call("GET", "/account", Some(token), None).await;
    let info = &info["result"];
    for (field, value) in [
        ("country", json!("GB")),
        ("newsletter", json!(true)),
        ("developer", json!(true)),
        ("name", json!("Ada L")),
        ("company", json!("Works")),
        ("language", json!("pt-br")),
        ("phone", json!("+4400")),
        ("timezone", json!("Europe/London")),
    ] {
        assert_eq!(info[field], value, "{field}");
    }
    assert_eq!(info["options"]["show_last_updated_at"], "menu");
    assert_eq!(info["options"]["decimal_separator"], ",");
}
