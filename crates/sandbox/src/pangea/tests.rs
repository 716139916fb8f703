use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::{DEFAULT_PAGE_SIZE, Pangea, RecordedRequest};
use crate::Sandbox;

struct Fixture {
    _sandbox: Sandbox,
    pangea: Pangea,
    http: reqwest::Client,
}

impl Fixture {
    async fn new() -> Fixture {
        let sandbox = Sandbox::start().await.unwrap();
        Fixture { pangea: sandbox.pangea(), _sandbox: sandbox, http: crate::test_http() }
    }

    /// Sends a raw body with a token; returns HTTP status and parsed JSON.
    async fn raw(&self, path: &str, token: Option<&str>, body: String) -> (u16, Value) {
        let mut request = self.http.post(format!("{}{path}", self.pangea.base_url())).body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.header("content-type", "application/json").send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    async fn user(&self, path: &str, body: Value) -> (u16, Value) {
        self.raw(path, Some(self.pangea.service_token().expose_secret()), body.to_string()).await
    }

    async fn client(&self, path: &str, body: Value) -> (u16, Value) {
        self.raw(path, Some(self.pangea.client_token().expose_secret()), body.to_string()).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let url = format!("{}{path}", self.pangea.base_url());
        let response =
            self.http.get(url).bearer_auth(self.pangea.service_token().expose_secret()).send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn create(&self, email: &str) -> Value {
        let (status, body) =
            self.user("/v2/user/create", json!({"email": email, "profile": {"name": "Ada"}})).await;
        assert_eq!(status, 200, "{body}");
        body["result"].clone()
    }
}

fn assert_envelope(body: &Value, status: &str) {
    assert!(body["request_id"].as_str().unwrap().starts_with("prq_"), "{body}");
    assert!(body["request_time"].is_string() && body["response_time"].is_string(), "{body}");
    assert_eq!(body["status"], status, "{body}");
    assert!(body["summary"].is_string(), "{body}");
}

fn first_error(body: &Value) -> (&str, &str) {
    let error = &body["result"]["errors"][0];
    (error["code"].as_str().unwrap(), error["source"].as_str().unwrap())
}

#[tokio::test]
async fn create_get_update_delete() {
    let f = Fixture::new().await;
    let user = f.create("ada@example.com").await;
    let id = user["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("pui_") && id.len() == 36, "{id}");
    assert!(id[4..].bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)));
    assert_eq!(user["profile"], json!({"name": "Ada"}));

    let (status, got) = f.user("/v2/user/profile/get", json!({"email": "ada@example.com"})).await;
    assert_eq!(status, 200);
    assert_envelope(&got, "Success");
    assert_eq!(got["result"]["id"], id);

    let (_, updated) = f
        .user("/v2/user/profile/update", json!({"id": id, "profile": {"city": "London", "name": null}}))
        .await;
    assert_eq!(updated["result"]["profile"], json!({"city": "London"}));

    let (_, disabled) = f.user("/v2/user/update", json!({"id": id, "disabled": true})).await;
    assert_eq!(disabled["result"]["disabled"], true);

    let (status, deleted) = f.user("/v2/user/delete", json!({"id": id})).await;
    assert_eq!((status, &deleted["result"]), (200, &json!({})));
    let (status, gone) = f.user("/v2/user/profile/get", json!({"id": id})).await;
    assert_eq!(status, 400);
    assert_envelope(&gone, "UserNotFound");
    assert!(gone["result"].is_null());
    assert_eq!(f.pangea.user_count(), 0);
}

#[tokio::test]
async fn exactly_one_identifier() {
    let f = Fixture::new().await;
    f.create("ada@example.com").await;
    let (status, none) = f.user("/v2/user/profile/get", json!({})).await;
    assert_eq!(status, 400);
    assert_envelope(&none, "ValidationError");
    assert_eq!(first_error(&none).0, "MustProvideOne");
    let (_, two) = f.user("/v2/user/delete", json!({"email": "ada@example.com", "username": "ada"})).await;
    assert_eq!(first_error(&two).0, "MutuallyExclusive");
    assert_eq!(f.pangea.user_count(), 1);
}

#[tokio::test]
async fn validation_errors_name_the_field() {
    let f = Fixture::new().await;
    let (_, missing) = f.user("/v2/user/create", json!({"email": "a@b.co"})).await;
    assert_eq!(first_error(&missing), ("FieldRequired", "/profile"));
    let (_, bad_email) = f.user("/v2/user/create", json!({"email": "nope", "profile": {}})).await;
    assert_eq!(first_error(&bad_email), ("BadFormatEmail", "/email"));
    let (_, extra) = f.user("/v2/user/create", json!({"email": "a@b.co", "profile": {}, "x": 1})).await;
    assert_eq!(first_error(&extra), ("UnexpectedProperty", "/x"));
    let (status, not_json) =
        f.raw("/v2/user/create", Some(f.pangea.service_token().expose_secret()), "{".into()).await;
    assert_eq!((status, first_error(&not_json).0), (400, "InvalidObject"));
    let (_, size) = f.user("/v2/user/list", json!({"size": 0})).await;
    assert_eq!(first_error(&size), ("NotWithinRange", "/size"));
    let (_, filter) = f.user("/v2/user/list", json!({"filter": {"shoe_size": 9}})).await;
    assert_eq!(first_error(&filter), ("UnexpectedProperty", "/filter/shoe_size"));
}

#[tokio::test]
async fn tokens_are_checked_per_kind() {
    let f = Fixture::new().await;
    let (status, body) = f.raw("/v2/user/list", None, "{}".into()).await;
    assert_eq!(status, 401);
    assert_envelope(&body, "Unauthorized");
    let (status, _) =
        f.raw("/v2/user/list", Some(f.pangea.client_token().expose_secret()), "{}".into()).await;
    assert_eq!(status, 401, "a client token cannot manage users");
    let (status, _) = f.user("/v2/client/userinfo", json!({"code": "pmc_x"})).await;
    assert_eq!(status, 401, "a service token is not a client token");
    assert_eq!(
        f.pangea.requests()[0],
        RecordedRequest { method: "POST".into(), path: "/v2/user/list".into(), had_bearer: false }
    );
}

#[tokio::test]
async fn duplicate_users_conflict() {
    let f = Fixture::new().await;
    f.create("ada@example.com").await;
    let (status, body) = f.user("/v2/user/create", json!({"email": "ADA@example.com", "profile": {}})).await;
    assert_eq!(status, 400);
    assert_envelope(&body, "UserExists");
}

#[tokio::test]
async fn list_pages_by_cursor_in_order() {
    let f = Fixture::new().await;
    let ids = f.pangea.seed_users(25);
    let mut seen = Vec::new();
    let mut last: Option<String> = None;
    loop {
        let mut body = json!({"size": 10, "order_by": "created_at"});
        if let Some(cursor) = &last {
            body["last"] = json!(cursor);
        }
        let (status, page) = f.user("/v2/user/list", body).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["result"]["count"], 25);
        seen.extend(
            page["result"]["users"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_string()),
        );
        match page["result"]["last"].as_str() {
            Some(cursor) => last = Some(cursor.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, ids);

    let (_, default) = f.user("/v2/user/list", json!({})).await;
    assert_eq!(default["result"]["users"].as_array().unwrap().len(), DEFAULT_PAGE_SIZE);
    let (_, desc) = f.user("/v2/user/list", json!({"order": "desc", "order_by": "email", "size": 1})).await;
    assert_eq!(desc["result"]["users"][0]["email"], "seed9@example.test");
}

#[tokio::test]
async fn list_filters() {
    let f = Fixture::new().await;
    f.pangea.seed_users(12);
    f.create("ada@example.com").await;
    let count = |body: Value| {
        let f = &f;
        async move {
            let (status, page) = f.user("/v2/user/list", json!({"filter": body, "size": 100})).await;
            assert_eq!(status, 200, "{page}");
            page["result"]["users"].as_array().unwrap().len()
        }
    };
    assert_eq!(count(json!({"email__contains": ["@example.test"]})).await, 12);
    assert_eq!(count(json!({"email": "ada@example.com"})).await, 1);
    assert_eq!(count(json!({"email__in": ["seed1@example.test", "seed2@example.test"]})).await, 2);
    assert_eq!(count(json!({"profile_name": "Ada"})).await, 1);
    assert_eq!(count(json!({"profile_name__exists": false})).await, 12);
    assert_eq!(count(json!({"profile_firstname__contains": ["Seed1"]})).await, 0);
    assert_eq!(count(json!({"disabled": false, "verified": true})).await, 13);
    assert_eq!(count(json!({"login_count__gte": 1})).await, 0);
    assert_eq!(count(json!({"created_at__lt": "2000-01-01T00:00:00Z"})).await, 0);
    assert_eq!(count(json!({"created_at__gt": "2000-01-01T00:00:00Z"})).await, 13);
    // Keys the SDKs know beyond the spec; no one has logged in anywhere yet.
    assert_eq!(count(json!({"last_login_city": "Lisbon", "last_login_country__in": ["Portugal"]})).await, 0);
    assert_eq!(count(json!({"last_login_city__contains": ["Lis"]})).await, 0);
}

#[tokio::test]
async fn update_sets_an_e164_phone() {
    let f = Fixture::new().await;
    let id = f.create("ada@example.com").await["id"].clone();
    let (status, updated) = f.user("/v2/user/update", json!({"id": id, "phone": "+1-808-555-0173"})).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["result"]["phone"], "+1-808-555-0173");
    assert_eq!(updated["result"]["profile"], json!({"name": "Ada"}), "the phone is no profile key");
    let (status, refused) =
        f.user("/v2/user/update", json!({"id": id, "phone": "555 0173", "disabled": true})).await;
    assert_eq!(status, 400);
    assert_eq!(first_error(&refused), ("BadFormatPhone", "/phone"));
    let (_, got) = f.user("/v2/user/profile/get", json!({"id": id})).await;
    assert_eq!(got["result"]["disabled"], false, "a refused update changes nothing");
}

#[tokio::test]
async fn authenticators_and_lockout() {
    let f = Fixture::new().await;
    f.create("ada@example.com").await;
    assert!(f.pangea.set_password("ada@example.com", "pw"));
    let totp = f.pangea.add_authenticator("ada@example.com", "totp").unwrap();
    assert!(totp.starts_with("pau_"));
    let (_, list) = f.user("/v2/user/authenticators/list", json!({"email": "ada@example.com"})).await;
    let kinds: Vec<_> =
        list["result"]["authenticators"].as_array().unwrap().iter().map(|a| a["type"].clone()).collect();
    assert_eq!(kinds, [json!("password"), json!("totp")]);
    let body = json!({"email": "ada@example.com", "authenticator_id": totp});
    assert_eq!(f.user("/v2/user/authenticators/delete", body.clone()).await.0, 200);
    let (status, again) = f.user("/v2/user/authenticators/delete", body).await;
    assert_eq!(status, 400);
    assert_envelope(&again, "AuthenticatorNotFound");

    assert!(f.pangea.lock_out("ada@example.com"));
    let (_, locked) = f.user("/v2/user/profile/get", json!({"email": "ada@example.com"})).await;
    assert_eq!(locked["result"]["locked_out"], true);
    let (_, unlocked) = f.user("/v2/user/update", json!({"email": "ada@example.com", "unlock": true})).await;
    assert_eq!(unlocked["result"]["locked_out"], false);
    assert!(f.pangea.add_authenticator("nobody@example.com", "totp").is_none());
}

#[tokio::test]
async fn login_code_userinfo_and_password_change() {
    let f = Fixture::new().await;
    f.create("ada@example.com").await;
    f.pangea.set_password("ada@example.com", "first");
    let code = f.pangea.login_code("ada@example.com").unwrap().expose_secret().to_owned();
    let (status, tokens) = f.client("/v2/client/userinfo", json!({"code": code})).await;
    assert_eq!(status, 200, "{tokens}");
    let user_token = tokens["result"]["active_token"]["token"].as_str().unwrap().to_string();
    assert!(user_token.starts_with("ptu_"));
    assert!(tokens["result"]["refresh_token"]["token"].as_str().unwrap().starts_with("ptr_"));
    let (status, reused) = f.client("/v2/client/userinfo", json!({"code": code})).await;
    assert_eq!(status, 400);
    assert_envelope(&reused, "InvalidCode");

    let change = |old: &str| json!({"token": user_token, "old_password": old, "new_password": "second"});
    let (status, wrong) = f.client("/v2/client/password/change", change("nope")).await;
    assert_eq!(status, 400);
    assert_envelope(&wrong, "IncorrectPassword");
    assert_eq!(f.client("/v2/client/password/change", change("first")).await.0, 200);
    assert_eq!(f.client("/v2/client/password/change", change("second")).await.0, 200);
    let (_, user) = f.user("/v2/user/profile/get", json!({"email": "ada@example.com"})).await;
    assert_eq!(user["result"]["login_count"], 1);
}

#[tokio::test]
async fn accept_next_answers_202_then_polls_to_the_answer() {
    let f = Fixture::new().await;
    f.pangea.accept_next(2);
    let (status, accepted) =
        f.user("/v2/user/create", json!({"email": "ada@example.com", "profile": {}})).await;
    assert_eq!(status, 202);
    assert_envelope(&accepted, "Accepted");
    let request_id = accepted["request_id"].as_str().unwrap().to_string();
    assert!(accepted["result"]["location"].as_str().unwrap().ends_with(&format!("/request/{request_id}")));
    for _ in 0..2 {
        let (status, pending) = f.get(&format!("/request/{request_id}")).await;
        assert_eq!((status, pending["status"].as_str()), (202, Some("Accepted")));
    }
    let (status, done) = f.get(&format!("/request/{request_id}")).await;
    assert_eq!(status, 200);
    assert_envelope(&done, "Success");
    assert_eq!(done["request_id"], request_id);
    assert_eq!(done["result"]["email"], "ada@example.com");
    assert_eq!(f.get(&format!("/request/{request_id}")).await.0, 404);
    // Only the next call is affected.
    assert_eq!(f.user("/v2/user/list", json!({})).await.0, 200);
}

#[tokio::test]
async fn a_user_made_without_a_username_is_known_by_its_email() {
    let f = Fixture::new().await;
    let user = f.create("ada@example.com").await;
    assert_eq!(user["username"], "ada@example.com", "{user}");
    let (_, got) = f.user("/v2/user/profile/get", json!({"username": "ada@example.com"})).await;
    assert_eq!(got["result"]["id"], user["id"], "{got}");
    let (_, listed) = f.user("/v2/user/list", json!({})).await;
    assert_eq!(listed["result"]["users"][0]["username"], "ada@example.com", "{listed}");
    let (_, taken) = f
        .user(
            "/v2/user/create",
            json!({"email": "b@example.com", "username": "ada@example.com", "profile": {}}),
        )
        .await;
    assert_envelope(&taken, "UserExists");
}

#[test]
fn the_fields_each_operation_takes_are_the_descriptions() {
    for (name, fields) in super::FIELDS {
        let described = crate::conformance::request_properties("pangea", "POST", &format!("/v2/{name}"));
        let mut ours: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
        ours.sort();
        assert_eq!(ours, described, "{name}");
    }
    // And every operation of the description has its list.
    let doc: Value = serde_json::from_str(accountkit_pangea_raw::OPENAPI_JSON).unwrap();
    for path in doc["paths"].as_object().unwrap().keys().filter_map(|p| p.strip_prefix("/v2/")) {
        assert!(super::FIELDS.iter().any(|(name, _)| *name == path), "{path} has no list of fields");
    }
}
