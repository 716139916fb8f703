//! Unit tests of the STX fake: the document validator, and the state
//! machine behind the 14 mutations, over HTTP.

use std::time::Duration;

use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};

use super::document::{self, Selected};
use crate::Sandbox;

const LOGIN: &str = "mutation Login($credentials: LoginCredentials!) {
  login(credentials: $credentials) { userId token refreshToken promptTwoFactorAuth sessionId }
}";

fn vars(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap()
}

fn refused(query: &str, variables: Value) -> String {
    document::validate(query, None, &vars(variables)).unwrap_err().join(" | ")
}

#[test]
fn the_schema_has_the_14_mutations() {
    let mut mutations = document::schema().mutations();
    mutations.sort_unstable();
    assert_eq!(
        mutations,
        [
            "changePassword",
            "confirm2Fa",
            "confirmChangePassword2Fa",
            "confirmPasswordReset",
            "disable2Fa",
            "enable2Fa",
            "forgotPassword",
            "login",
            "logout",
            "newToken",
            "register",
            "resend2Fa",
            "resendChangePassword2Fa",
            "send2Fa"
        ]
    );
}

#[test]
fn the_schema_has_the_user_profile_query() {
    assert_eq!(document::schema().queries(), ["userProfile"]);
    let request = document::validate("query Me { userProfile { id username } }", None, &Map::new()).unwrap();
    assert_eq!((request.kind, request.field.name.as_str()), (document::Kind::Query, "userProfile"));
}

#[test]
fn a_valid_document_yields_its_field_arguments_and_selection() {
    let credentials = json!({"email": "a@example.com", "password": "pw", "deviceInfo": {"deviceId": "d"}});
    let request =
        document::validate(LOGIN, Some("Login"), &vars(json!({"credentials": credentials}))).unwrap();
    assert_eq!(request.field.name, "login");
    assert_eq!(request.arguments["credentials"], credentials);
    let keys: Vec<_> = request.field.children.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(keys, ["userId", "token", "refreshToken", "promptTwoFactorAuth", "sessionId"]);

    // Literals, aliases and fragments work too.
    let query = r#"mutation { reset: forgotPassword(email: "a@example.com") { ...F } }
                   fragment F on ForgotPasswordResult { header email }"#;
    let request = document::validate(query, None, &Map::new()).unwrap();
    assert_eq!(request.field.key, "reset");
    assert_eq!(request.arguments["email"], "a@example.com");
    assert_eq!(request.field.children.len(), 2);
}

#[test]
fn invalid_documents_are_refused_with_graphql_messages() {
    let ok_vars = json!({"credentials": {"email": "a@example.com", "password": "pw"}});
    assert!(refused("mutation {", json!({})).starts_with("Syntax error"));
    assert!(refused("subscription { userProfile { id } }", json!({})).contains("not a subscription"));
    assert!(
        refused("query { login { token } }", json!({}))
            .contains("Cannot query field \"login\" on type \"RootQueryType\"")
    );
    assert!(
        refused("query { a: userProfile { id } b: userProfile { id } }", json!({}))
            .contains("exactly one query field")
    );
    assert!(refused("mutation { nope { status } }", json!({})).contains("Cannot query field \"nope\""));
    assert!(
        refused("mutation { send2Fa(reason: \"x\") { status } }", json!({}))
            .contains("Unknown argument \"reason\" on field \"send2Fa\"")
    );
    assert!(refused("mutation { forgotPassword { header } }", json!({})).contains("is required"));
    assert!(refused("mutation { send2Fa }", json!({})).contains("must have a selection"));
    assert!(
        refused("mutation { send2Fa { status { x } } }", json!({})).contains("must not have a selection")
    );
    assert!(
        refused(&LOGIN.replace("sessionId", "password"), ok_vars.clone())
            .contains("Cannot query field \"password\"")
    );
    assert!(
        refused(&LOGIN.replace("LoginCredentials!", "String!"), json!({"credentials": "x"}))
            .contains("used in position expecting type \"LoginCredentials!\"")
    );
    assert!(refused(LOGIN, json!({})).contains("Expected non-null value"));
    assert!(
        refused(LOGIN, json!({"credentials": {"email": "a@example.com"}})).contains("In field \"password\"")
    );
    assert!(
        refused(LOGIN, json!({"credentials": {"email": "a@example.com", "password": 5}})).contains("found 5")
    );
    assert!(
        refused(LOGIN, json!({"credentials": {"email": "a", "password": "p", "username": "u"}}))
            .contains("Field \"username\" is not defined")
    );
    assert!(
        refused("mutation { send2Fa { status } resendChangePassword2Fa { status } }", json!({}))
            .contains("exactly one mutation")
    );
    assert!(
        refused("mutation { newToken(refreshToken: $r) { token } }", json!({}))
            .contains("\"$r\" is not defined")
    );
}

#[test]
fn answers_hold_only_the_selected_fields() {
    let selection = vec![
        Selected { key: "id".into(), name: "userId".into(), children: vec![] },
        Selected { key: "__typename".into(), name: "__typename".into(), children: vec![] },
    ];
    let full = json!({"userId": "u1", "token": "secret", "status": 200});
    assert_eq!(
        document::project(&full, &selection, "LoginResult"),
        json!({"id": "u1", "__typename": "LoginResult"})
    );
}

// ---- over HTTP ----------------------------------------------------------------

struct Env {
    _sandbox: Sandbox,
    stx: super::Stx,
    http: reqwest::Client,
}

async fn start() -> Env {
    let sandbox = Sandbox::start().await.unwrap();
    let stx = sandbox.stx();
    Env { _sandbox: sandbox, stx, http: crate::test_http() }
}

impl Env {
    async fn post(&self, query: &str, variables: Value, bearer: Option<&str>) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}/api/graphql", self.stx.base_url()))
            .json(&json!({"query": query, "variables": variables}));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn login(&self, email: &str, password: &str) -> Value {
        let (_, body) =
            self.post(LOGIN, json!({"credentials": {"email": email, "password": password}}), None).await;
        body
    }
}

const SEND_2FA: &str = "mutation { send2Fa { status sessionId } }";
const NEW_TOKEN: &str = "mutation NewToken($refreshToken: String!) { newToken(refreshToken: $refreshToken) { token refreshToken } }";

#[tokio::test]
async fn refused_documents_are_http_400_and_failed_mutations_http_200() {
    let env = start().await;
    let (status, body) = env.post("mutation { nope { x } }", json!({}), None).await;
    assert_eq!(status, 400);
    assert!(body.get("data").is_none());
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("nope"));

    let body = env.login("nobody@example.com", "whatever-pw").await;
    assert_eq!(body["data"]["login"], Value::Null);
    assert_eq!(body["errors"][0]["message"], "Invalid email or password");
    assert_eq!(body["errors"][0]["path"], json!(["login"]));

    let (status, body) = env.post(SEND_2FA, json!({}), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let requests = env.stx.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].mutation, None);
    assert_eq!(requests[2].mutation.as_deref(), Some("send2Fa"));
    assert!(!requests[2].had_bearer);
}

#[tokio::test]
async fn login_with_2fa_sends_a_code_that_confirm2fa_takes_once() {
    let env = start().await;
    env.stx.add_user("ada@example.com", "first-password", true);
    let body = env.login("ada@example.com", "first-password").await;
    let login = &body["data"]["login"];
    assert_eq!(login["promptTwoFactorAuth"], true);
    assert_eq!(login["token"], Value::Null);
    let session_id = login["sessionId"].as_str().unwrap().to_string();
    let code = env.stx.latest_code("ada@example.com").unwrap().expose_secret().to_owned();
    assert_eq!(code.len(), 6);

    let confirm = "mutation C($code: String!, $sessionId: String!, $email: EmailAddress!) {
        confirm2Fa(code: $code, sessionId: $sessionId, email: $email) { token refreshToken } }";
    let wrong = json!({"code": "000000x", "sessionId": session_id, "email": "ada@example.com"});
    let (_, body) = env.post(confirm, wrong, None).await;
    assert_eq!(body["errors"][0]["message"], "Invalid 2FA code");
    let right = json!({"code": code, "sessionId": session_id, "email": "ada@example.com"});
    let (_, body) = env.post(confirm, right.clone(), None).await;
    assert!(body["data"]["confirm2Fa"]["token"].as_str().unwrap().split('.').count() == 3);
    let (_, body) = env.post(confirm, right, None).await;
    assert_eq!(body["errors"][0]["message"], "Invalid or expired 2FA session");
}

#[tokio::test]
async fn tokens_expire_refresh_tokens_rotate_and_logout_ends_both() {
    let env = start().await;
    env.stx.add_user("ada@example.com", "first-password", false);
    env.stx.set_token_lifetime(Duration::from_secs(1));
    let body = env.login("ada@example.com", "first-password").await;
    let token = body["data"]["login"]["token"].as_str().unwrap().to_string();
    let refresh = body["data"]["login"]["refreshToken"].as_str().unwrap().to_string();
    let (_, body) = env.post(SEND_2FA, json!({}), Some(&token)).await;
    assert_eq!(body["data"]["send2Fa"]["status"], "sent");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (_, body) = env.post(SEND_2FA, json!({}), Some(&token)).await;
    assert_eq!(body["errors"][0]["message"], "unauthenticated", "expired");

    env.stx.set_token_lifetime(Duration::from_secs(3600));
    let (_, body) = env.post(NEW_TOKEN, json!({"refreshToken": refresh}), None).await;
    let token = body["data"]["newToken"]["token"].as_str().unwrap().to_string();
    let rotated = body["data"]["newToken"]["refreshToken"].as_str().unwrap().to_string();
    assert_ne!(rotated, refresh);
    let (_, body) = env.post(NEW_TOKEN, json!({"refreshToken": refresh}), None).await;
    assert_eq!(body["errors"][0]["message"], "Invalid refresh token", "an old refresh token is refused");

    let (_, body) = env.post("mutation { logout { status } }", json!({}), Some(&token)).await;
    assert_eq!(body["data"]["logout"]["status"], 200);
    let (_, body) = env.post(SEND_2FA, json!({}), Some(&token)).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let (_, body) = env.post(NEW_TOKEN, json!({"refreshToken": rotated}), None).await;
    assert_eq!(body["errors"][0]["message"], "Invalid refresh token");
}

#[tokio::test]
async fn password_change_with_2fa_waits_for_the_emailed_code() {
    let env = start().await;
    env.stx.add_user("ada@example.com", "first-password", true);
    // 2FA login, then the change.
    let body = env.login("ada@example.com", "first-password").await;
    let session_id = body["data"]["login"]["sessionId"].as_str().unwrap().to_string();
    let code = env.stx.latest_code("ada@example.com").unwrap().expose_secret().to_owned();
    let confirm = "mutation($c: String!, $s: String!, $e: EmailAddress!) { confirm2Fa(code: $c, sessionId: $s, email: $e) { token } }";
    let (_, body) =
        env.post(confirm, json!({"c": code, "s": session_id, "e": "ada@example.com"}), None).await;
    let token = body["data"]["confirm2Fa"]["token"].as_str().unwrap().to_string();

    let change = "mutation($o: String!, $n: String!) { changePassword(oldPassword: $o, newPassword: $n) { promptTwoFactorAuth } }";
    let (_, body) =
        env.post(change, json!({"o": "wrong-password", "n": "second-password"}), Some(&token)).await;
    assert_eq!(body["errors"][0]["message"], "Invalid password");
    let (_, body) =
        env.post(change, json!({"o": "first-password", "n": "second-password"}), Some(&token)).await;
    assert_eq!(body["data"]["changePassword"]["promptTwoFactorAuth"], true);
    assert!(env.stx.password_is("ada@example.com", "first-password"), "not changed before the code");

    let (_, body) =
        env.post("mutation { resendChangePassword2Fa { status } }", json!({}), Some(&token)).await;
    assert_eq!(body["data"]["resendChangePassword2Fa"]["status"], "sent");
    let code = env.stx.latest_code("ada@example.com").unwrap().expose_secret().to_owned();
    let confirm = "mutation($c: String!) { confirmChangePassword2Fa(code: $c) { status } }";
    let (_, body) = env.post(confirm, json!({"c": code}), Some(&token)).await;
    assert_eq!(body["data"]["confirmChangePassword2Fa"]["status"], 200);
    assert!(env.stx.password_is("ada@example.com", "second-password"));
}

#[tokio::test]
async fn register_forgot_and_reset_password() {
    let env = start().await;
    let register =
        "mutation($input: UserRegistrationInputV2!) { register(input: $input) { status message } }";
    let document =
        json!({"email": "Ada@Example.com", "password": "first-password", "firstName": "Ada"}).to_string();
    let (_, body) = env.post(register, json!({"input": {"data": document}}), None).await;
    assert_eq!(body["data"]["register"]["status"], 200);
    assert_eq!(env.stx.profile("ada@example.com").unwrap()["firstName"], "Ada");
    assert!(!env.stx.profile("ada@example.com").unwrap().contains_key("password"));
    let (_, body) = env.post(register, json!({"input": {"data": document}}), None).await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("already exists"));
    let (_, body) = env.post(register, json!({"input": {"data": "{not json"}}), None).await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("JSON"));

    let forgot = "mutation($e: EmailAddress!) { forgotPassword(email: $e) { header message } }";
    let (_, unknown) = env.post(forgot, json!({"e": "nobody@example.com"}), None).await;
    let (_, known) = env.post(forgot, json!({"e": "ada@example.com"}), None).await;
    assert_eq!(unknown["data"], known["data"], "the answer does not tell whether the account exists");
    let code = env.stx.latest_code("ada@example.com").unwrap().expose_secret().to_owned();

    let reset = "mutation($p: PasswordResetParams!) { confirmPasswordReset(passwordResetParams: $p) { reset message } }";
    let (_, body) =
        env.post(reset, json!({"p": {"code": code, "newPassword": "second-password"}}), None).await;
    assert_eq!(body["data"]["confirmPasswordReset"]["reset"], true);
    assert!(env.stx.password_is("ada@example.com", "second-password"));
    let (_, body) =
        env.post(reset, json!({"p": {"code": code, "newPassword": "third-password"}}), None).await;
    assert_eq!(body["data"]["confirmPasswordReset"]["reset"], false, "a code works once");
}

#[tokio::test]
async fn the_user_profile_query_answers_for_the_token_holder() {
    let env = start().await;
    let query =
        "query { userProfile { __typename id firstName lastName username phoneNumber twoFactorAuth } }";
    let (status, body) = env.post(query, json!({}), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["userProfile"], Value::Null);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

    let register = "mutation($input: UserRegistrationInputV2!) { register(input: $input) { status } }";
    let document = json!({"email": "ada@example.com", "password": "first-password", "firstName": "Ada",
                          "lastName": "Lovelace", "phoneNumber": "+15555550100", "favouriteColour": "green"});
    env.post(register, json!({"input": {"data": document.to_string()}}), None).await;
    let login = env.login("ada@example.com", "first-password").await;
    let token = login["data"]["login"]["token"].as_str().unwrap().to_string();
    let (status, body) = env.post(query, json!({}), Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    let profile = &body["data"]["userProfile"];
    assert_eq!(profile["__typename"], "UserProfile");
    assert_eq!(profile["id"], login["data"]["login"]["userId"]);
    assert_eq!((&profile["firstName"], &profile["lastName"]), (&json!("Ada"), &json!("Lovelace")));
    // Non-null in the schema, so present even though registration left it out.
    assert_eq!(profile["username"], "ada@example.com");
    assert_eq!((&profile["phoneNumber"], &profile["twoFactorAuth"]), (&json!("+15555550100"), &json!(false)));
    assert_eq!(env.stx.requests().last().unwrap().mutation.as_deref(), Some("userProfile"));

    // Every field of the type can be selected, and only what was asked is answered.
    let all = "query { userProfile { id dateOfBirth ssn accountId optInMarketing whitelistIpAddresses } }";
    let (_, body) = env.post(all, json!({}), Some(&token)).await;
    assert_eq!(body["data"]["userProfile"].as_object().unwrap().len(), 6, "{body}");
    assert_eq!(body["data"]["userProfile"]["dateOfBirth"], Value::Null);
}

#[tokio::test]
async fn two_factor_settings_need_the_right_password() {
    let env = start().await;
    env.stx.add_user("ada@example.com", "first-password", false);
    let body = env.login("ada@example.com", "first-password").await;
    let token = body["data"]["login"]["token"].as_str().unwrap().to_string();
    let enable = "mutation($p: String) { enable2Fa(password: $p) { status } }";
    let (_, body) = env.post(enable, json!({"p": "nope-nope"}), Some(&token)).await;
    assert_eq!(body["errors"][0]["message"], "Invalid password");
    assert_eq!(env.stx.two_factor_enabled("ada@example.com"), Some(false));
    let (_, body) = env.post(enable, json!({"p": "first-password"}), Some(&token)).await;
    assert_eq!(body["data"]["enable2Fa"]["status"], "enabled");
    assert_eq!(env.stx.two_factor_enabled("ada@example.com"), Some(true));
    let (_, body) = env.post("mutation { disable2Fa { status } }", json!({}), Some(&token)).await;
    assert_eq!(body["data"]["disable2Fa"]["status"], "disabled");
    assert_eq!(env.stx.two_factor_enabled("ada@example.com"), Some(false));
}

// ---- hostile documents ---------------------------------------------------------

/// Documents that once crashed or swelled the server, and their kin: each is
/// refused with a GraphQL error, in bounded time.
fn hostile_documents() -> Vec<(String, &'static str)> {
    let deep_selection = format!("mutation {{ logout {}{}", "{ a ".repeat(5000), "}".repeat(5001));
    let deep_list = format!(
        "mutation {{ forgotPassword(email: {}\"a\"{}) {{ status }} }}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let deep_object = format!(
        "mutation {{ forgotPassword(email: {}1{}) {{ status }} }}",
        "{a:".repeat(50_000),
        "}".repeat(50_000)
    );
    let deep_type = format!(
        "mutation M($v: {}String{}) {{ logout {{ status }} }}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    // Each fragment spreads the next twice: 2^20 fields once expanded.
    let mut doubling = String::from("mutation { logout { ...F0 } }");
    for i in 0..20 {
        doubling.push_str(&format!(" fragment F{i} on LogoutResult {{ ...F{} ...F{} }}", i + 1, i + 1));
    }
    doubling.push_str(" fragment F20 on LogoutResult { status }");
    let wide = format!("mutation {{ logout {{ {} }} }}", "status ".repeat(5000));
    vec![
        ("mutation { logout { ...A } } fragment A on LogoutResult { ...A }".into(), "within itself"),
        (
            "mutation { logout { ...A } } fragment A on LogoutResult { status ...B } fragment B on LogoutResult { ...A }"
                .into(),
            "within itself",
        ),
        ("mutation { logout { status } } fragment U on LogoutResult { status }".into(), "never used"),
        ("mutation { logout { ...Missing } }".into(), "Unknown fragment"),
        (deep_selection, "deeper than"),
        (deep_list, "deeper than"),
        (deep_object, "deeper than"),
        (deep_type, "deeper than"),
        (doubling, "more than"),
        (wide, "more than"),
    ]
}

#[test]
fn hostile_documents_are_refused_by_the_validator() {
    for (query, expected) in hostile_documents() {
        let started = std::time::Instant::now();
        let message = refused(&query, json!({}));
        assert!(message.contains(expected), "{expected:?} not in {message:?}");
        assert!(started.elapsed() < Duration::from_secs(5), "{expected}: took {:?}", started.elapsed());
    }
}

#[tokio::test]
async fn hostile_documents_get_a_400_and_the_server_keeps_serving() {
    let env = start().await;
    for (query, expected) in hostile_documents() {
        let (status, body) = env.post(&query, json!({}), None).await;
        assert_eq!(status, 400, "{expected}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains(expected), "{body}");
    }
    let body = env.login("nobody@example.com", "whatever-pw").await;
    assert_eq!(body["errors"][0]["message"], "Invalid email or password");
}
