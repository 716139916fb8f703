use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::{Cycle, SignInError};
use crate::Sandbox;

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse";

struct Fixture {
    _sandbox: Sandbox,
    cycle: Cycle,
    http: reqwest::Client,
    token: String,
}

impl Fixture {
    async fn new() -> Fixture {
        let sandbox = Sandbox::start().await.unwrap();
        let cycle = sandbox.cycle();
        let token = cycle.create_account(EMAIL, "Ada", "Lovelace", PASSWORD).expose_secret().to_owned();
        Fixture { _sandbox: sandbox, cycle, http: crate::test_http(), token }
    }

    /// Sends a request; returns HTTP status and parsed JSON.
    async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, format!("{}{path}", self.cycle.base_url()));
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")))
    }

    async fn authed(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call(method, path, Some(&self.token), body).await
    }

    fn code(&self) -> String {
        current_code(self.cycle.totp_secret(EMAIL).unwrap().expose_secret())
    }

    /// Turns 2FA on; returns the recovery codes.
    async fn enable_two_factor(&self) -> Vec<String> {
        assert_eq!(self.authed("GET", "/v1/account/2fa/setup", None).await.0, 200);
        let (status, body) =
            self.authed("POST", "/v1/account/2fa/setup", Some(json!({"token": self.code()}))).await;
        assert_eq!(status, 200, "{body}");
        body["data"]["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect()
    }
}

fn current_code(secret: &str) -> String {
    let bytes = totp_rs::Secret::try_from_base32(secret).unwrap();
    totp_rs::Builder::new().with_secret(bytes).build().unwrap().generate_current().to_string()
}

/// A six-digit code that is not the current one (nor a neighbour).
fn wrong_code(secret: &str) -> String {
    let bytes = totp_rs::Secret::try_from_base32(secret).unwrap();
    let totp = totp_rs::Builder::new().with_secret(bytes).build().unwrap();
    (0..1_000_000).map(|n| format!("{n:06}")).find(|code| totp.check_current(code).is_none()).unwrap()
}

fn assert_envelope(body: &Value, status: u16, code: &str) {
    assert_eq!(body["error"]["status"], status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["title"].is_string(), "{body}");
    assert_eq!(body["data"], Value::Null);
}

#[tokio::test]
async fn get_account_needs_a_known_bearer_token_and_answers_oauth_style_otherwise() {
    let f = Fixture::new().await;
    let (status, body) = f.authed("GET", "/v1/account", None).await;
    assert_eq!(status, 200);
    let account = &body["data"];
    assert_eq!(account["email"]["address"], EMAIL);
    assert_eq!(account["name"], json!({"first": "Ada", "last": "Lovelace"}));
    assert_eq!(account["state"]["current"], "live");
    assert_eq!(account["two_factor_auth"], Value::Null);
    assert_eq!(account["events"]["deleted"], "0001-01-01T00:00:00Z");
    assert_eq!(account["id"].as_str().unwrap().len(), 24);

    for token in [None, Some("nope")] {
        let (status, body) = f.call("GET", "/v1/account", token, None).await;
        assert_eq!(status, 401);
        assert_eq!(body["error"], "invalid_token");
        assert!(body["error_description"].is_string());
    }
}

#[tokio::test]
async fn update_account_changes_only_what_is_sent() {
    let f = Fixture::new().await;
    let (status, body) = f
        .authed(
            "PATCH",
            "/v1/account",
            Some(json!({"name": {"first": "Augusta"}, "allow_support_login": true})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["name"], json!({"first": "Augusta", "last": "Lovelace"}));
    assert_eq!(body["data"]["allow_support_login"], true);

    let (status, body) = f.authed("PATCH", "/v1/account", Some(json!({"allow_support_login": "yes"}))).await;
    assert_eq!(status, 422);
    assert_envelope(&body, 422, "422.invalid-argument");
    assert_eq!(body["error"]["source"], "allow_support_login");
}

#[tokio::test]
async fn bodies_must_be_json_objects() {
    let f = Fixture::new().await;
    let response = f
        .http
        .patch(format!("{}/v1/account", f.cycle.base_url()))
        .header("authorization", format!("Bearer {}", f.token))
        .body("name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 415);
    let (status, body) = f.authed("PATCH", "/v1/account/password", Some(json!([1]))).await;
    assert_eq!(status, 400);
    assert_envelope(&body, 400, "400.invalid-syntax");
}

#[tokio::test]
async fn change_password_checks_the_current_one_and_the_length() {
    let f = Fixture::new().await;
    let (status, body) = f
        .authed("PATCH", "/v1/account/password", Some(json!({"current": "wrong", "new": "long enough"})))
        .await;
    assert_eq!(status, 422);
    assert_envelope(&body, 422, "422.invalid-input");
    let (status, _) =
        f.authed("PATCH", "/v1/account/password", Some(json!({"current": PASSWORD, "new": "short"}))).await;
    assert_eq!(status, 422);
    let (status, _) = f
        .authed("PATCH", "/v1/account/password", Some(json!({"current": PASSWORD, "new": "long enough"})))
        .await;
    assert_eq!(status, 200);
    assert_eq!(f.cycle.sign_in(EMAIL, PASSWORD, None).err(), Some(SignInError::WrongPassword));
    assert!(f.cycle.sign_in(EMAIL, "long enough", None).is_ok());
}

#[tokio::test]
async fn reset_password_sends_a_single_use_token() {
    let f = Fixture::new().await;
    let start = json!({"email": {"address": EMAIL}});
    let (status, body) = f.call("POST", "/v1/account/reset-password", None, Some(start)).await;
    assert_eq!((status, &body), (200, &json!({"data": {"success": true}})));
    // An unknown address gets the same answer and no email.
    let unknown = json!({"email": {"address": "nobody@example.com"}});
    assert_eq!(f.call("POST", "/v1/account/reset-password", None, Some(unknown)).await.0, 200);
    assert_eq!(f.cycle.outbox().len(), 1);

    let token = f.cycle.password_reset_token(EMAIL).unwrap().expose_secret().to_owned();
    // Cycle documents no length rule for a reset, unlike a change.
    let complete = json!({"token": token, "password": "short"});
    assert_eq!(f.call("POST", "/v1/account/reset-password", None, Some(complete.clone())).await.0, 200);
    assert!(f.cycle.sign_in(EMAIL, "short", None).is_ok());
    let (status, body) = f.call("POST", "/v1/account/reset-password", None, Some(complete)).await;
    assert_eq!(status, 422);
    assert_envelope(&body, 422, "422.invalid-argument");
}

#[tokio::test]
async fn two_factor_needs_a_real_totp_code() {
    let f = Fixture::new().await;
    let (status, body) = f.authed("GET", "/v1/account/2fa/setup", None).await;
    assert_eq!(status, 200);
    let secret = body["data"]["secret"].as_str().unwrap().to_string();
    assert!(body["data"]["qr"].as_str().unwrap().contains(&secret));
    assert_eq!(f.cycle.totp_secret(EMAIL).as_ref().map(ExposeSecret::expose_secret), Some(secret.as_str()));

    let (status, body) =
        f.authed("POST", "/v1/account/2fa/setup", Some(json!({"token": wrong_code(&secret)}))).await;
    assert_eq!(status, 403);
    assert_envelope(&body, 403, "403.2fa-failed");
    let (_, account) = f.authed("GET", "/v1/account", None).await;
    assert_eq!(account["data"]["two_factor_auth"], json!({"verified": false}));

    let (status, body) =
        f.authed("POST", "/v1/account/2fa/setup", Some(json!({"token": current_code(&secret)}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["recovery_codes"].as_array().unwrap().len(), 8);
    let (_, account) = f.authed("GET", "/v1/account", None).await;
    assert_eq!(account["data"]["two_factor_auth"], json!({"verified": true}));

    // Sign-ins now need the code.
    assert_eq!(f.cycle.sign_in(EMAIL, PASSWORD, None).err(), Some(SignInError::TwoFactorRequired));
    assert_eq!(
        f.cycle.sign_in(EMAIL, PASSWORD, Some(wrong_code(&secret).into())).err(),
        Some(SignInError::WrongTwoFactorCode)
    );
    assert!(f.cycle.sign_in(EMAIL, PASSWORD, Some(current_code(&secret).into())).is_ok());

    let (status, _) =
        f.authed("POST", "/v1/account/2fa/disable", Some(json!({"token": wrong_code(&secret)}))).await;
    assert_eq!(status, 403);
    let (status, body) =
        f.authed("POST", "/v1/account/2fa/disable", Some(json!({"token": current_code(&secret)}))).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["two_factor_auth"], Value::Null);
    assert!(f.cycle.sign_in(EMAIL, PASSWORD, None).is_ok());
}

#[tokio::test]
async fn recovery_codes_work_once() {
    let f = Fixture::new().await;
    let codes = f.enable_two_factor().await;
    let old_secret = f.cycle.totp_secret(EMAIL).unwrap().expose_secret().to_owned();
    let recover = |codes: Vec<&str>, password: &str| json!({"email": EMAIL, "password": password, "recovery_codes": codes});
    let (status, body) =
        f.call("POST", "/v1/account/2fa/recover", None, Some(recover(vec![&codes[0]], "wrong"))).await;
    assert_eq!(status, 401);
    assert_envelope(&body, 401, "401.auth-invalid");
    let (status, _) =
        f.call("POST", "/v1/account/2fa/recover", None, Some(recover(vec!["0000-0000"], PASSWORD))).await;
    assert_eq!(status, 403);

    let (status, body) =
        f.call("POST", "/v1/account/2fa/recover", None, Some(recover(vec![&codes[0]], PASSWORD))).await;
    assert_eq!(status, 200, "{body}");
    let new_secret = body["data"]["secret"].as_str().unwrap();
    assert_ne!(new_secret, old_secret);

    // Turned on again with the fresh secret, the used code is gone and the others still work.
    let (status, _) =
        f.authed("POST", "/v1/account/2fa/setup", Some(json!({"token": current_code(new_secret)}))).await;
    assert_eq!(status, 200);
    let (status, _) =
        f.call("POST", "/v1/account/2fa/recover", None, Some(recover(vec![&codes[0]], PASSWORD))).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn logins_are_recorded_paged_sorted_and_filtered() {
    let f = Fixture::new().await;
    assert!(f.cycle.sign_in(EMAIL, PASSWORD, None).is_ok());
    assert_eq!(f.cycle.sign_in(EMAIL, "nope", None).err(), Some(SignInError::WrongPassword));
    assert!(!f.cycle.employee_sign_in(EMAIL), "support logins are off by default");
    assert!(f.cycle.sign_in(EMAIL, PASSWORD, None).is_ok());

    let (status, body) = f.authed("GET", "/v1/account/logins", None).await;
    assert_eq!(status, 200);
    let all = body["data"].as_array().unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(all[0]["type"], "password");
    assert_eq!(all[1]["type"], "employee");
    assert_eq!(all[1]["success"], false);
    assert_eq!(all[2]["success"], false);

    let (_, body) = f.authed("GET", "/v1/account/logins?page%5Bnumber%5D=2&page%5Bsize%5D=3", None).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    let (_, body) = f.authed("GET", "/v1/account/logins?filter%5Bsuccess%5D=true&sort=time", None).await;
    let ok = body["data"].as_array().unwrap();
    assert_eq!(ok.len(), 2);
    assert!(ok[0]["time"].as_str() <= ok[1]["time"].as_str());
    let (_, body) = f.authed("GET", "/v1/account/logins?filter%5Btype%5D=employee", None).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 1);

    let (status, body) = f.authed("GET", "/v1/account/logins?page%5Bsize%5D=0", None).await;
    assert_eq!(status, 422);
    assert_envelope(&body, 422, "422.invalid-argument");
    // Cycle documents no largest page size.
    let (status, body) = f.authed("GET", "/v1/account/logins?page%5Bsize%5D=500", None).await;
    assert_eq!((status, body["data"].as_array().unwrap().len()), (200, 4));
}

#[tokio::test]
async fn delete_is_refused_while_the_account_owns_a_hub() {
    let f = Fixture::new().await;
    let hub = f.cycle.add_hub(EMAIL).unwrap();
    let (status, body) = f.authed("DELETE", "/v1/account", None).await;
    assert_eq!(status, 409);
    assert_envelope(&body, 409, "409.hub-owner");
    assert!(f.cycle.remove_hub(&hub));

    let (status, body) = f.authed("DELETE", "/v1/account", None).await;
    assert_eq!(status, 202);
    assert_eq!(body["data"]["action"], "delete");
    let job_id = f.cycle.jobs()[0].id.clone();
    let job = &body["data"]["job"];
    assert_eq!(job["id"], job_id.as_str());
    assert_eq!(job["parallel"], json!({"sub_queue": null, "tasks": false}));
    assert_eq!(job["tasks"][0]["header"], "delete");
    assert!(job["tasks"][0]["input"]["account_id"].is_string());
    // The job runs when polled; the account waits in `deleting`.
    let (_, account) = f.authed("GET", "/v1/account", None).await;
    assert_eq!(account["data"]["state"]["current"], "deleting");
    let path = format!("/v1/jobs/{job_id}");
    let (status, running) = f.authed("GET", &path, None).await;
    assert_eq!(status, 200, "{running}");
    assert_eq!(running["data"]["state"]["current"], "running");
    assert_eq!(running["data"]["tasks"][0]["state"]["current"], "running");
    assert_eq!(running["data"]["tasks"][0]["steps"][0]["completed"], "0001-01-01T00:00:00Z");
    assert!(f.cycle.account_exists(EMAIL));
    let (_, done) = f.authed("GET", &path, None).await;
    assert_eq!(done["data"]["state"]["current"], "completed");
    assert_eq!(done["data"]["state"]["error"], Value::Null);
    assert_ne!(done["data"]["tasks"][0]["steps"][0]["completed"], "0001-01-01T00:00:00Z");
    assert_eq!(f.cycle.jobs()[0].state, "completed");
    assert!(!f.cycle.account_exists(EMAIL));
    assert_eq!(f.authed("GET", "/v1/account", None).await.0, 401);
}

#[tokio::test]
async fn a_failed_deletion_job_leaves_the_account() {
    let f = Fixture::new().await;
    f.cycle.fail_next_job("storage is busy");
    let (_, body) = f.authed("DELETE", "/v1/account", None).await;
    let path = format!("/v1/jobs/{}", body["data"]["job"]["id"].as_str().unwrap());
    f.authed("GET", &path, None).await;
    let (_, failed) = f.authed("GET", &path, None).await;
    assert_eq!(failed["data"]["state"]["current"], "error");
    assert_eq!(failed["data"]["state"]["error"]["message"], "storage is busy");
    let (status, account) = f.authed("GET", "/v1/account", None).await;
    assert_eq!((status, &account["data"]["state"]["current"]), (200, &json!("live")));
    let (status, body) = f.authed("GET", "/v1/jobs/000000000000000000000000", None).await;
    assert_eq!(status, 404);
    assert_envelope(&body, 404, "404.job");
}

#[tokio::test]
async fn requests_are_recorded_without_credentials() {
    let f = Fixture::new().await;
    let response = f
        .http
        .get(format!("{}/v1/account/logins?sort=-time", f.cycle.base_url()))
        .header("authorization", format!("Bearer {}", f.token))
        .header("x-hub-id", "hub-1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let (status, body) = f.call("GET", "/v1/nowhere", None, None).await;
    assert_eq!(status, 404);
    assert_envelope(&body, 404, "404.not-found");
    let requests = f.cycle.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path, "/v1/account/logins");
    assert_eq!(requests[0].query.as_deref(), Some("sort=-time"));
    assert!(requests[0].had_bearer);
    assert_eq!(requests[0].hub_id.as_deref(), Some("hub-1"));
    assert!(!requests[1].had_bearer && requests[1].hub_id.is_none());
    assert!(!format!("{requests:?}").contains(&f.token));
}

#[tokio::test]
async fn invitations_are_answered_once_and_become_memberships() {
    let f = Fixture::new().await;
    let hub = f.cycle.add_hub(EMAIL).unwrap();
    let first = f.cycle.invite(EMAIL).unwrap();
    let second = f.cycle.invite(EMAIL).unwrap();

    let (status, body) = f.authed("GET", "/v1/account/invites", None).await;
    assert_eq!(status, 200);
    let pending = body["data"].as_array().unwrap();
    assert_eq!(pending.len(), 2);
    assert_eq!(pending[0]["state"]["current"], "pending");
    assert_eq!(pending[0]["invitation"]["recipient"], EMAIL);
    let (_, body) = f.authed("GET", "/v1/account/memberships", None).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    assert_eq!(body["data"][0]["hub_id"], hub.as_str());

    let path = format!("/v1/account/invites/{first}");
    let (status, body) = f.authed("PATCH", &path, Some(json!({"accept": true, "decline": true}))).await;
    assert_eq!(status, 422);
    assert_envelope(&body, 422, "422.invalid-argument");
    let (status, body) = f.authed("PATCH", &path, Some(json!({"accept": true}))).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["state"]["current"], "accepted");
    let (status, _) = f.authed("PATCH", &path, Some(json!({"decline": true}))).await;
    assert_eq!(status, 409);
    let (status, body) =
        f.authed("PATCH", &format!("/v1/account/invites/{second}"), Some(json!({"decline": true}))).await;
    assert_eq!((status, &body["data"]["state"]["current"]), (200, &json!("declined")));
    let (status, body) = f.authed("PATCH", "/v1/account/invites/nope", Some(json!({"accept": true}))).await;
    assert_eq!(status, 404);
    assert_envelope(&body, 404, "404.hub-membership");

    let (_, body) = f.authed("GET", "/v1/account/invites", None).await;
    assert!(body["data"].as_array().unwrap().is_empty());
    let (_, body) = f.authed("GET", "/v1/account/memberships?page%5Bsize%5D=2", None).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    let filter = format!("/v1/account/memberships?filter%5Bhub%5D={hub}");
    let (_, body) = f.authed("GET", &filter, None).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
}
