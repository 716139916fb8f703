//! Fake of Logto's My Account API and verification records.
//!
//! Served under `/logto`; point a Logto client at [`Logto::base_url`] with an
//! access token from [`Logto::add_user`]. Codes land in the
//! [outbox](Logto::outbox) instead of an inbox or a phone.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use accountkit::logto::{Client, ProfileChanges};
//! use accountkit_sandbox::Sandbox;
//!
//! let sandbox = Sandbox::start().await?;
//! let logto = sandbox.logto();
//! let token = logto.add_user("ada@example.com", "correct horse");
//! // In production: the tenant's endpoint, e.g. https://your-tenant.logto.app.
//! let client = Client::new(logto.base_url(), token)?;
//! let profile = client.update_profile(&ProfileChanges::new().name("Ada"), None).await?;
//! assert_eq!(profile.name.as_deref(), Some("Ada"));
//! # Ok(()) }
//! ```
//!
//! The examples below start a sandbox the same way, in hidden lines, and most
//! also hide adding Ada and a `client` for her as above.
//!
//! Wire behaviour, as the real server:
//! - every route needs `Authorization: Bearer <token>` (401
//!   `auth.authorization_header_missing`, `auth.authorization_token_type_not_supported`,
//!   `auth.unauthorized`);
//! - errors are `{code, message}` (plus `details` on 400 `guard.invalid_input`);
//!   malformed JSON is 400 `{message}` only;
//! - verification records live 10 minutes ([`Logto::advance_clock`] moves
//!   the fake's clock). A `logto-verification-id` counts only if the record is
//!   the user's, verified, unexpired, and a password record or a code sent to
//!   the user's *current* email or phone; otherwise 401
//!   `verification_record.permission_denied`. A code sent to a new address
//!   only unlocks setting that address.
//! - password, primary email/phone and identity changes answer 204 with no body;
//!   timestamps on the profile are epoch milliseconds.
//!
//! Passkeys: registration hands out creation options; the fake checks the
//! shape of the authenticator's response (`type: WebAuthn`, `id`, `rawId`,
//! `response.clientDataJSON`, `response.attestationObject`), not its
//! cryptography. Only the WebAuthn kind of MFA factor can be bound.
//!
//! Social sign-in: two connectors, [`SOCIAL_CONNECTOR_ID`] (target `github`)
//! and [`SECOND_SOCIAL_CONNECTOR_ID`] (target `gitlab`). The "provider"
//! accepts any non-empty `code` in `connectorData` together with the `state`
//! the verification was started with; the social user id is `gh-<code>`
//! (`gl-<code>` on GitLab).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};

use crate::{URL_SAFE, admin, json_response, random_string};

/// Path prefix the Logto routes are nested under.
pub(crate) const PREFIX: &str = "/logto";

/// The social connector of target `github`.
pub const SOCIAL_CONNECTOR_ID: &str = "github-connector";
/// The social connector of target `gitlab`.
pub const SECOND_SOCIAL_CONNECTOR_ID: &str = "gitlab-connector";
const SOCIAL_TARGET: &str = "github";
/// Connector id → (target, prefix of its social user ids).
const CONNECTORS: [(&str, &str, &str); 2] =
    [(SOCIAL_CONNECTOR_ID, SOCIAL_TARGET, "gh"), (SECOND_SOCIAL_CONNECTOR_ID, "gitlab", "gl")];
const RECORD_LIFETIME: TimeDelta = TimeDelta::minutes(10);
const VERIFICATION_HEADER: &str = "logto-verification-id";

/// Handle to the Logto fake: cheap to clone, all clones share one state.
#[derive(Clone)]
pub struct Logto {
    base_url: Arc<str>,
    state: Arc<Mutex<StateData>>,
}

impl fmt::Debug for Logto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logto").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

/// A verification code the fake "sent".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The email address or phone number (digits) it went to.
    pub to: String,
    /// The 6-digit code.
    pub code: String,
}

/// One request the fake received. Header values and bodies are never kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `"PATCH"`.
    pub method: String,
    /// Path relative to [`Logto::base_url`], still percent-encoded.
    pub path: String,
    /// Whether a `logto-verification-id` header was present.
    pub had_verification: bool,
}

impl Logto {
    pub(crate) fn new(base_url: String) -> Logto {
        Logto { base_url: base_url.into(), state: Arc::default() }
    }

    /// Base URL of the fake, e.g. `http://127.0.0.1:PORT/logto` (no trailing slash).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::logto::Client;
    ///
    /// let logto = sandbox.logto();
    /// let token = logto.add_user("ada@example.com", "correct horse");
    /// let client = Client::new(logto.base_url(), token)?;
    /// assert_eq!(client.get_profile().await?.primary_email.as_deref(), Some("ada@example.com"));
    /// # Ok(()) }
    /// ```
    pub fn base_url(&self) -> String {
        self.base_url.to_string()
    }

    /// Creates a user with a primary email and a password, and returns an
    /// access token for them (as a sign-in with every scope would).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::logto::Client;
    ///
    /// let logto = sandbox.logto();
    /// let token = logto.add_user("ada@example.com", "correct horse");
    /// let client = Client::new(logto.base_url(), token)?;
    /// let proof = client.verify_password("correct horse").await?;
    /// assert!(client.update_password(&proof, "battery staple").await.is_ok());
    /// # Ok(()) }
    /// ```
    pub fn add_user(&self, email: &str, password: impl Into<SecretString>) -> SecretString {
        self.create_user(Some(email), Some(password.into().expose_secret()), BTreeMap::new()).into()
    }

    /// Creates a user who signed up through the social connector only (no
    /// password, email or phone), and returns an access token for them.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::logto::Client;
    ///
    /// let logto = sandbox.logto();
    /// let token = logto.add_social_user("octocat");
    /// let client = Client::new(logto.base_url(), token)?;
    /// let profile = client.get_profile().await?;
    /// assert!(profile.primary_email.is_none());
    /// assert_eq!(profile.identities["github"].user_id, "gh-octocat");
    /// // With no password, email or phone yet, no verification record is needed.
    /// client.set_first_password("correct horse").await?;
    /// # Ok(()) }
    /// ```
    pub fn add_social_user(&self, social_code: &str) -> SecretString {
        let mut identities = BTreeMap::new();
        identities.insert(SOCIAL_TARGET.to_owned(), (format!("gh-{social_code}"), Map::new()));
        self.create_user(None, None, identities).into()
    }

    /// Stores a new user and returns an access token for them.
    fn create_user(
        &self,
        email: Option<&str>,
        password: Option<&str>,
        identities: BTreeMap<String, (String, Map<String, Value>)>,
    ) -> String {
        let mut state = self.lock();
        let now = state.now().timestamp_millis();
        let id = random_string(b"abcdefghijklmnopqrstuvwxyz0123456789", 12);
        let user = User {
            id: id.clone(),
            username: None,
            primary_email: email.map(str::to_owned),
            primary_phone: None,
            name: None,
            avatar: None,
            password: password.map(str::to_owned),
            custom_data: Map::new(),
            identities,
            claims: Map::new(),
            passkeys: Vec::new(),
            created_at: now,
            updated_at: now,
            last_sign_in_at: Some(now),
        };
        state.users.insert(id.clone(), user);
        let token = random_string(URL_SAFE, 43);
        state.tokens.insert(token.clone(), id);
        token
    }

    /// Every code sent so far, oldest first.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let logto = sandbox.logto();
    /// # let token = logto.add_user("ada@example.com", "correct horse");
    /// # let client = accountkit::logto::Client::new(logto.base_url(), token)?;
    /// use accountkit::logto::CodeTarget;
    ///
    /// client.send_code(&CodeTarget::email("ada@example.com")).await?;
    /// let outbox = logto.outbox();
    /// assert_eq!(outbox.len(), 1);
    /// assert_eq!(outbox[0].to, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub fn outbox(&self) -> Vec<Message> {
        self.lock().outbox.to_vec()
    }

    /// The newest code sent to an email address or phone number (digits).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let logto = sandbox.logto();
    /// # let token = logto.add_user("ada@example.com", "correct horse");
    /// # let client = accountkit::logto::Client::new(logto.base_url(), token)?;
    /// use accountkit::ExposeSecret;
    /// use accountkit::logto::CodeTarget;
    ///
    /// // A code sent to the current address, once verified, proves who the user is.
    /// let challenge = client.send_code(&CodeTarget::email("ada@example.com")).await?;
    /// let code = logto.latest_code("ada@example.com").expect("a code by email");
    /// let proof = client.verify_code(&challenge, code).await?;
    /// client.update_password(&proof, "battery staple").await?;
    /// let password = logto.password_of("ada@example.com").expect("a password");
    /// assert_eq!(password.expose_secret(), "battery staple");
    /// # Ok(()) }
    /// ```
    pub fn latest_code(&self, to: &str) -> Option<SecretString> {
        self.lock().outbox.iter().rev().find(|m| m.to == to).map(|m| m.code.as_str().into())
    }

    /// Names of the passkeys bound by the user with this primary email.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let logto = sandbox.logto();
    /// # let token = logto.add_user("ada@example.com", "correct horse");
    /// # let client = accountkit::logto::Client::new(logto.base_url(), token)?;
    /// let identity = client.verify_password("correct horse").await?;
    /// let registration = client.start_passkey_registration().await?;
    /// // What the browser's `navigator.credentials.create` hands back.
    /// let credential = serde_json::json!({"id": "key-1", "rawId": "key-1", "type": "public-key",
    ///     "response": {"clientDataJSON": "eyJ9", "attestationObject": "o2Nm"}});
    /// let credential = credential.as_object().expect("an object");
    /// let passkey = client.verify_passkey_registration(&registration, credential).await?;
    /// client.add_passkey(&identity, &passkey, Some("Laptop")).await?;
    /// assert_eq!(logto.passkeys_of("ada@example.com"), ["Laptop"]);
    /// # Ok(()) }
    /// ```
    pub fn passkeys_of(&self, email: &str) -> Vec<String> {
        let state = self.lock();
        let user = state.users.values().find(|u| u.primary_email.as_deref() == Some(email));
        user.map(|u| u.passkeys.clone()).unwrap_or_default()
    }

    /// Makes an Account Center field read-only, as a tenant's Console
    /// setting would: `name`, `avatar`, `username`, `customData`, `profile`,
    /// `password`, `email`, `phone` or `social`. Changing it then answers
    /// 400 `account_center.field_not_editable`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let logto = sandbox.logto();
    /// # let token = logto.add_user("ada@example.com", "correct horse");
    /// # let client = accountkit::logto::Client::new(logto.base_url(), token)?;
    /// use accountkit::logto::ProfileChanges;
    ///
    /// logto.make_read_only("name");
    /// let changes = ProfileChanges::new().name("Ada Lovelace");
    /// let err = client.update_profile(&changes, None).await.unwrap_err();
    /// assert_eq!(err.code(), Some("account_center.field_not_editable"));
    /// # Ok(()) }
    /// ```
    pub fn make_read_only(&self, field: &str) {
        self.lock().read_only.insert(field.to_owned());
    }

    /// Moves the fake's clock forward, e.g. past a record's 10 minutes.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let logto = sandbox.logto();
    /// # let token = logto.add_user("ada@example.com", "correct horse");
    /// # let client = accountkit::logto::Client::new(logto.base_url(), token)?;
    /// use accountkit::ErrorKind;
    /// use std::time::Duration;
    ///
    /// let proof = client.verify_password("correct horse").await?;
    /// logto.advance_clock(Duration::from_secs(11 * 60));
    /// let err = client.update_password(&proof, "battery staple").await.unwrap_err();
    /// assert!(matches!(err.kind(), ErrorKind::Unauthorized));
    /// assert_eq!(err.code(), Some("verification_record.permission_denied"));
    /// # Ok(()) }
    /// ```
    pub fn advance_clock(&self, by: std::time::Duration) {
        let mut state = self.lock();
        let cap = TimeDelta::seconds(crate::MAX_SECONDS as i64);
        let by = TimeDelta::from_std(by).unwrap_or(cap).min(cap);
        state.offset = state.offset.checked_add(&by).unwrap_or(cap).min(cap);
    }

    /// The password of the user with this primary email, if any.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let logto = sandbox.logto();
    /// # let token = logto.add_user("ada@example.com", "correct horse");
    /// # let client = accountkit::logto::Client::new(logto.base_url(), token)?;
    /// use accountkit::ExposeSecret;
    ///
    /// client.change_password("correct horse", "battery staple").await?;
    /// let password = logto.password_of("ada@example.com").expect("a password");
    /// assert_eq!(password.expose_secret(), "battery staple");
    /// # Ok(()) }
    /// ```
    pub fn password_of(&self, email: &str) -> Option<SecretString> {
        let state = self.lock();
        let user = state.users.values().find(|u| u.primary_email.as_deref() == Some(email))?;
        user.password.as_deref().map(SecretString::from)
    }

    /// Every request received under the base URL, oldest first.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let logto = sandbox.logto();
    /// # let token = logto.add_user("ada@example.com", "correct horse");
    /// # let client = accountkit::logto::Client::new(logto.base_url(), token)?;
    /// let proof = client.verify_password("correct horse").await?;
    /// client.update_password(&proof, "battery staple").await?;
    /// let requests = logto.requests();
    /// let last = requests.last().expect("two requests");
    /// assert_eq!((last.method.as_str(), last.path.as_str()), ("POST", "/api/my-account/password"));
    /// assert!(last.had_verification);
    /// # Ok(()) }
    /// ```
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.to_vec()
    }

    fn lock(&self) -> MutexGuard<'_, StateData> {
        // A panicking test must not make every later call panic too.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl crate::Fake for Logto {
    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn router(&self) -> Router {
        Router::new()
            .route("/api/my-account", get(get_profile).patch(update_profile))
            .route("/api/my-account/profile", axum::routing::patch(update_other_profile))
            .route("/api/my-account/password", post(update_password))
            .route("/api/my-account/primary-email", post(update_primary_email).delete(delete_primary_email))
            .route("/api/my-account/primary-phone", post(update_primary_phone).delete(delete_primary_phone))
            .route("/api/my-account/identities", post(add_identity))
            .route("/api/my-account/mfa-verifications", post(add_mfa_verification))
            .route("/api/my-account/identities/{target}", delete(delete_identity))
            .route("/api/verifications/password", post(verify_password))
            .route("/api/verifications/verification-code", post(send_code))
            .route("/api/verifications/verification-code/verify", post(verify_code))
            .route("/api/verifications/social", post(start_social))
            .route("/api/verifications/social/verify", post(verify_social))
            .route("/api/verifications/web-authn/registration", post(start_passkey))
            .route("/api/verifications/web-authn/registration/verify", post(verify_passkey))
            .method_not_allowed_fallback(wrong_method)
            .fallback(not_found)
            .layer(middleware::from_fn_with_state(self.clone(), record))
            .with_state(self.clone())
    }

    fn admin_routes(&self) -> Router {
        Router::new()
            .route("/users", post(admin_user))
            .route("/social-users", post(admin_social_user))
            .route("/read-only", post(admin_read_only))
            .route("/passkeys", get(admin_passkeys))
            .with_state(self.clone())
    }

    fn reset(&self) {
        *self.lock() = StateData::default();
    }

    fn outbox(&self, read: &mut admin::Read) {
        read.messages(&self.lock().outbox, |m| (&m.to, "verification_code", &m.code, json!({})));
    }

    fn requests(&self, read: &mut admin::Read) {
        read.requests(&self.lock().requests, |r| json!({"method": r.method, "path": r.path}));
    }
}

async fn admin_user(State(fake): State<Logto>, body: admin::Body) -> admin::Reply {
    let token = fake.add_user(body.text("email")?, body.text("password")?);
    admin::ok(json!({"access_token": token.expose_secret()}))
}

async fn admin_social_user(State(fake): State<Logto>, body: admin::Body) -> admin::Reply {
    admin::ok(json!({"access_token": fake.add_social_user(body.text("social_code")?).expose_secret()}))
}

async fn admin_read_only(State(fake): State<Logto>, body: admin::Body) -> admin::Reply {
    fake.make_read_only(body.text("field")?);
    admin::ok(json!({"read_only": body.text("field")?}))
}

async fn admin_passkeys(State(fake): State<Logto>, Query(q): Query<admin::Params>) -> admin::Reply {
    admin::ok(json!(fake.passkeys_of(admin::param(&q, "email")?)))
}

// ---------------------------------------------------------------------------
// Wire helpers

/// A Logto error response.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: Option<&'static str>,
    message: String,
    details: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        if let Some(code) = self.code {
            body.insert("code".into(), json!(code));
        }
        body.insert("message".into(), json!(self.message));
        if let Some(details) = self.details {
            body.insert("details".into(), json!(details));
        }
        json_response(self.status, Value::Object(body))
    }
}

fn error(status: u16, code: &'static str, message: &str) -> ApiError {
    ApiError {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        code: Some(code),
        message: message.to_owned(),
        details: None,
    }
}

fn invalid(key: &str, problem: &str) -> ApiError {
    ApiError {
        details: Some(format!("Error in key path \"{key}\": {problem}")),
        ..error(400, "guard.invalid_input", "The request body is invalid.")
    }
}

fn permission_denied() -> ApiError {
    error(401, "verification_record.permission_denied", "Permission denied, please re-authenticate.")
}

fn record_not_found() -> ApiError {
    error(400, "verification_record.not_found", "Verification record not found.")
}

fn last_method() -> ApiError {
    error(400, "user.last_sign_in_method_required", "You cannot remove the last sign-in method.")
}

type Reply = Result<Response, ApiError>;

fn ok(status: u16, body: Value) -> Reply {
    Ok(json_response(StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body))
}

fn no_content() -> Reply {
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    error(404, "router.not_found", &format!("Route not found: {method} {}", uri.path()))
}

/// 405; the router adds `Allow`.
async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    error(405, "router.method_not_allowed", &format!("{method} is not allowed on {}", uri.path()))
}

async fn record(State(l): State<Logto>, request: Request, next: Next) -> Response {
    let entry = RecordedRequest {
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
        had_verification: request.headers().contains_key(VERIFICATION_HEADER),
    };
    l.lock().requests.push(entry);
    next.run(request).await
}

/// A JSON object body; malformed JSON gets a bare `{message}` as the real server's.
fn object(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid("", "(invalid_type) Expected object")),
        Err(_) => Err(ApiError {
            status: StatusCode::BAD_REQUEST,
            code: None,
            message: "Unexpected token in JSON".into(),
            details: None,
        }),
    }
}

fn string<'a>(body: &'a Map<String, Value>, key: &str) -> Result<&'a str, ApiError> {
    match body.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) => {
            Err(invalid(key, "(too_small) String must contain at least 1 character(s)"))
        }
        _ => Err(invalid(key, "(invalid_type) Required")),
    }
}

/// Omitted → `None`; `null` → `Some(None)`; string → `Some(Some)`.
fn nullable<'a>(body: &'a Map<String, Value>, key: &str) -> Result<Option<Option<&'a str>>, ApiError> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s))),
        Some(_) => Err(invalid(key, "(invalid_type) Expected string, received other")),
    }
}

fn is_email(value: &str) -> bool {
    // The server's own check: /^\S+@\S+\.\S+$/
    let Some((local, domain)) = value.split_once('@') else { return false };
    !value.chars().any(char::is_whitespace)
        && !local.is_empty()
        && domain.split_once('.').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
}

fn is_phone(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

// ---------------------------------------------------------------------------
// State

#[derive(Debug)]
struct User {
    id: String,
    username: Option<String>,
    primary_email: Option<String>,
    primary_phone: Option<String>,
    name: Option<String>,
    avatar: Option<String>,
    password: Option<String>,
    custom_data: Map<String, Value>,
    /// Target → (social user id, details).
    identities: BTreeMap<String, (String, Map<String, Value>)>,
    claims: Map<String, Value>,
    /// Names of the bound passkeys.
    passkeys: Vec<String>,
    created_at: i64,
    updated_at: i64,
    last_sign_in_at: Option<i64>,
}

impl User {
    fn json(&self) -> Value {
        let identities: Map<String, Value> = self
            .identities
            .iter()
            .map(|(target, (user_id, details))| {
                (target.clone(), json!({"userId": user_id, "details": details}))
            })
            .collect();
        json!({
            "id": self.id,
            "username": self.username,
            "primaryEmail": self.primary_email,
            "primaryPhone": self.primary_phone,
            "name": self.name,
            "avatar": self.avatar,
            "customData": self.custom_data,
            "identities": identities,
            "profile": self.claims,
            "lastSignInAt": self.last_sign_in_at,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "applicationId": null,
            "isSuspended": false,
            "hasPassword": self.password.is_some(),
            "hasSecurityVerificationMethod": self.has_verification_method(),
        })
    }

    fn has_verification_method(&self) -> bool {
        self.password.is_some() || self.primary_email.is_some() || self.primary_phone.is_some()
    }

    /// Ways left to sign in (password alone needs an identifier to go with it).
    fn sign_in_identifiers(&self) -> usize {
        [self.username.is_some(), self.primary_email.is_some(), self.primary_phone.is_some()]
            .iter()
            .filter(|b| **b)
            .count()
            + self.identities.len()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Template {
    /// A code to the user's current address: proves identity.
    Permission,
    /// A code to a new address: proves ownership of it.
    NewIdentifier,
    /// `templateType: BindMfa` to the current address: binds an MFA factor.
    BindMfa,
}

#[derive(Debug)]
enum RecordKind {
    Password,
    Code { kind: String, value: String, code: String, template: Template },
    Social { target: &'static str, prefix: &'static str, state: String, social_user: Option<String> },
    Passkey,
}

#[derive(Debug)]
struct VerificationRecord {
    user_id: String,
    kind: RecordKind,
    expires_at: DateTime<Utc>,
    verified: bool,
}

#[derive(Debug, Default)]
struct StateData {
    users: HashMap<String, User>,
    /// Access token → user id.
    tokens: HashMap<String, String>,
    records: HashMap<String, VerificationRecord>,
    outbox: crate::Log<Message>,
    requests: crate::Log<RecordedRequest>,
    offset: TimeDelta,
    /// Account Center fields switched to read-only.
    read_only: HashSet<String>,
}

impl StateData {
    fn now(&self) -> DateTime<Utc> {
        crate::now() + self.offset
    }

    /// The user id of the Bearer token.
    fn authenticate(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        let Some(value) = headers.get("authorization") else {
            return Err(error(401, "auth.authorization_header_missing", "Authorization header is missing."));
        };
        let value = value.to_str().unwrap_or_default();
        let Some(token) = value.strip_prefix("Bearer ") else {
            return Err(error(
                401,
                "auth.authorization_token_type_not_supported",
                "Authorization type is not supported.",
            ));
        };
        self.tokens.get(token).filter(|id| self.users.contains_key(*id)).cloned().ok_or_else(|| {
            error(401, "auth.unauthorized", "Unauthorized. Please check credentials and its scope.")
        })
    }

    fn user(&mut self, id: &str) -> &mut User {
        self.users.get_mut(id).expect("authenticated users exist")
    }

    /// Whether the header names a record that proves this user's identity.
    fn identity_verified(&self, user_id: &str, headers: &HeaderMap) -> bool {
        let Some(id) = headers.get(VERIFICATION_HEADER).and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let now = self.now();
        self.records.get(id).is_some_and(|r| {
            r.user_id == user_id
                && r.verified
                && r.expires_at > now
                && match &r.kind {
                    RecordKind::Password => true,
                    RecordKind::Code { template, .. } => *template == Template::Permission,
                    RecordKind::Social { .. } | RecordKind::Passkey => false,
                }
        })
    }

    /// The header is needed always.
    fn require_identity(&self, user_id: &str, headers: &HeaderMap) -> Result<(), ApiError> {
        if self.identity_verified(user_id, headers) { Ok(()) } else { Err(permission_denied()) }
    }

    /// The header is needed unless the user has nothing to verify with.
    fn require_identity_if_possible(&self, user_id: &str, headers: &HeaderMap) -> Result<(), ApiError> {
        if self.users[user_id].has_verification_method() {
            self.require_identity(user_id, headers)
        } else {
            Ok(())
        }
    }

    fn new_record(&mut self, user_id: &str, kind: RecordKind, verified: bool) -> (String, DateTime<Utc>) {
        let id = random_string(b"abcdefghijklmnopqrstuvwxyz0123456789", 21);
        let expires_at = self.now() + RECORD_LIFETIME;
        self.records.insert(
            id.clone(),
            VerificationRecord { user_id: user_id.to_owned(), kind, expires_at, verified },
        );
        (id, expires_at)
    }

    /// A verified, unexpired new-identifier code record of this user for `kind`/`value`.
    fn new_identifier(
        &self,
        user_id: &str,
        record_id: &str,
        want_kind: &str,
        want_value: &str,
    ) -> Result<(), ApiError> {
        let now = self.now();
        let good = self.records.get(record_id).is_some_and(|r| {
            r.user_id == user_id
                && r.verified
                && r.expires_at > now
                && matches!(&r.kind, RecordKind::Code { kind, value, .. } if kind == want_kind && value == want_value)
        });
        if good { Ok(()) } else { Err(record_not_found()) }
    }

    fn editable(&self, field: &str) -> Result<(), ApiError> {
        if self.read_only.contains(field) {
            Err(error(400, "account_center.field_not_editable", "The field is not editable."))
        } else {
            Ok(())
        }
    }

    fn touch(&mut self, user_id: &str) {
        let now = self.now().timestamp_millis();
        self.user(user_id).updated_at = now;
    }
}

// ---------------------------------------------------------------------------
// My Account routes

async fn get_profile(State(l): State<Logto>, headers: HeaderMap) -> Reply {
    let state = l.lock();
    let id = state.authenticate(&headers)?;
    ok(200, state.users[&id].json())
}

async fn update_profile(State(l): State<Logto>, headers: HeaderMap, body: Bytes) -> Reply {
    let mut state = l.lock();
    let id = state.authenticate(&headers)?;
    let body = object(&body)?;
    let name = nullable(&body, "name")?;
    let avatar = nullable(&body, "avatar")?;
    let username = nullable(&body, "username")?;
    for (field, present) in [
        ("name", name.is_some()),
        ("avatar", avatar.is_some()),
        ("username", username.is_some()),
        ("customData", body.contains_key("customData")),
    ] {
        if present {
            state.editable(field)?;
        }
    }
    if let Some(Some(name)) = name
        && name.chars().count() > 128
    {
        return Err(invalid("name", "(too_big) String must contain at most 128 character(s)"));
    }
    if let Some(Some(avatar)) = avatar
        && !(avatar.starts_with("https://") || avatar.starts_with("http://"))
    {
        return Err(invalid("avatar", "(invalid_string) Invalid url"));
    }
    let custom_data = match body.get("customData") {
        None => None,
        Some(Value::Object(map)) => Some(map.clone()),
        Some(_) => Err(invalid("customData", "(invalid_type) Expected object"))?,
    };
    if let Some(username) = username {
        state.require_identity(&id, &headers)?;
        if let Some(username) = username {
            let mut chars = username.chars();
            let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(invalid("username", "(invalid_string) Invalid"));
            }
            if state.users.values().any(|u| u.id != id && u.username.as_deref() == Some(username)) {
                return Err(error(422, "user.username_already_in_use", "This username is already in use."));
            }
        } else {
            let user = &state.users[&id];
            if user.username.is_some() && user.sign_in_identifiers() == 1 {
                return Err(last_method());
            }
        }
    }
    let user = state.user(&id);
    if let Some(name) = name {
        user.name = name.map(str::to_owned);
    }
    if let Some(avatar) = avatar {
        user.avatar = avatar.map(str::to_owned);
    }
    if let Some(username) = username {
        user.username = username.map(str::to_owned);
    }
    if let Some(data) = custom_data {
        user.custom_data = data;
    }
    state.touch(&id);
    ok(200, state.users[&id].json())
}

const CLAIMS: [&str; 11] = [
    "familyName",
    "givenName",
    "middleName",
    "nickname",
    "preferredUsername",
    "profile",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
];
const ADDRESS: [&str; 6] = ["formatted", "streetAddress", "locality", "region", "postalCode", "country"];

async fn update_other_profile(State(l): State<Logto>, headers: HeaderMap, body: Bytes) -> Reply {
    let mut state = l.lock();
    let id = state.authenticate(&headers)?;
    let body = object(&body)?;
    state.editable("profile")?;
    let mut merged = state.users[&id].claims.clone();
    for (key, value) in &body {
        if CLAIMS.contains(&key.as_str()) {
            if !value.is_string() {
                return Err(invalid(key, "(invalid_type) Expected string"));
            }
            merged.insert(key.clone(), value.clone());
        } else if key == "address" {
            let Value::Object(address) = value else {
                return Err(invalid("address", "(invalid_type) Expected object"));
            };
            let mut kept = Map::new();
            for (part, v) in address.iter().filter(|(k, _)| ADDRESS.contains(&k.as_str())) {
                if !v.is_string() {
                    return Err(invalid(&format!("address.{part}"), "(invalid_type) Expected string"));
                }
                kept.insert(part.clone(), v.clone());
            }
            merged.insert("address".into(), Value::Object(kept));
        }
        // Unknown keys are dropped, as the real server's guard does.
    }
    state.user(&id).claims = merged.clone();
    state.touch(&id);
    ok(200, Value::Object(merged))
}

async fn update_password(State(l): State<Logto>, headers: HeaderMap, body: Bytes) -> Reply {
    let mut state = l.lock();
    let id = state.authenticate(&headers)?;
    let body = object(&body)?;
    let password = string(&body, "password")?;
    state.editable("password")?;
    state.require_identity_if_possible(&id, &headers)?;
    if state.users[&id].password.as_deref() == Some(password) {
        return Err(error(
            422,
            "user.same_password",
            "New password cannot be the same as your old password.",
        ));
    }
    if password.chars().count() < 8 {
        return Err(error(422, "password.rejected", "Password rejected."));
    }
    state.user(&id).password = Some(password.to_owned());
    state.touch(&id);
    no_content()
}

async fn update_primary_email(State(l): State<Logto>, headers: HeaderMap, body: Bytes) -> Reply {
    set_primary(l, headers, body, "email").await
}

async fn update_primary_phone(State(l): State<Logto>, headers: HeaderMap, body: Bytes) -> Reply {
    set_primary(l, headers, body, "phone").await
}

async fn set_primary(l: Logto, headers: HeaderMap, body: Bytes, kind: &str) -> Reply {
    let mut state = l.lock();
    let id = state.authenticate(&headers)?;
    let body = object(&body)?;
    let value = string(&body, kind)?.to_owned();
    state.editable(kind)?;
    let valid = if kind == "email" { is_email(&value) } else { is_phone(&value) };
    if !valid {
        return Err(invalid(kind, "(invalid_string) Invalid"));
    }
    let record_id = string(&body, "newIdentifierVerificationRecordId")?.to_owned();
    state.require_identity(&id, &headers)?;
    state.new_identifier(&id, &record_id, kind, &value)?;
    let taken = state.users.values().any(|u| {
        u.id != id
            && if kind == "email" {
                u.primary_email.as_deref() == Some(&value)
            } else {
                u.primary_phone.as_deref() == Some(&value)
            }
    });
    if taken {
        return Err(if kind == "email" {
            error(422, "user.email_already_in_use", "This email is associated with an existing account.")
        } else {
            error(
                422,
                "user.phone_already_in_use",
                "This phone number is associated with an existing account.",
            )
        });
    }
    // A new-identifier record is good once.
    state.records.remove(&record_id);
    let user = state.user(&id);
    if kind == "email" {
        user.primary_email = Some(value);
    } else {
        user.primary_phone = Some(value);
    }
    state.touch(&id);
    no_content()
}

async fn delete_primary_email(State(l): State<Logto>, headers: HeaderMap) -> Reply {
    remove_primary(l, headers, "email").await
}

async fn delete_primary_phone(State(l): State<Logto>, headers: HeaderMap) -> Reply {
    remove_primary(l, headers, "phone").await
}

async fn remove_primary(l: Logto, headers: HeaderMap, kind: &str) -> Reply {
    let mut state = l.lock();
    let id = state.authenticate(&headers)?;
    state.editable(kind)?;
    state.require_identity(&id, &headers)?;
    let user = state.user(&id);
    let present = if kind == "email" { user.primary_email.is_some() } else { user.primary_phone.is_some() };
    if present && user.sign_in_identifiers() == 1 {
        return Err(last_method());
    }
    if kind == "email" {
        user.primary_email = None;
    } else {
        user.primary_phone = None;
    }
    state.touch(&id);
    no_content()
}

async fn add_identity(State(l): State<Logto>, headers: HeaderMap, body: Bytes) -> Reply {
    let mut state = l.lock();
    let id = state.authenticate(&headers)?;
    let body = object(&body)?;
    let record_id = string(&body, "newIdentifierVerificationRecordId")?.to_owned();
    state.editable("social")?;
    state.require_identity_if_possible(&id, &headers)?;
    let now = state.now();
    let (target, social_user) = match state.records.get(&record_id) {
        Some(VerificationRecord {
            user_id,
            verified: true,
            expires_at,
            kind: RecordKind::Social { target, social_user: Some(s), .. },
            ..
        }) if *user_id == id && *expires_at > now => (*target, s.clone()),
        _ => return Err(record_not_found()),
    };
    let in_use = state.users.values().any(|u| {
        (u.id == id && u.identities.contains_key(target))
            || u.identities.get(target).is_some_and(|(s, _)| *s == social_user)
    });
    if in_use {
        return Err(error(422, "user.identity_already_in_use", "The social account has been associated."));
    }
    state.records.remove(&record_id);
    let details = json!({"id": social_user, "name": "Social user"});
    let Value::Object(details) = details else { unreachable!("a JSON object literal") };
    state.user(&id).identities.insert(target.into(), (social_user, details));
    state.touch(&id);
    no_content()
}

async fn delete_identity(State(l): State<Logto>, headers: HeaderMap, Path(target): Path<String>) -> Reply {
    let mut state = l.lock();
    let id = state.authenticate(&headers)?;
    state.editable("social")?;
    state.require_identity_if_possible(&id, &headers)?;
    let user = state.user(&id);
    if !user.identities.contains_key(&target) {
        return Err(error(404, "user.identity_not_exist", "The social identity does not exist."));
    }
    if user.sign_in_identifiers() == 1 {
        return Err(last_method());
    }
    user.identities.remove(&target);
    state.touch(&id);
    no_content()
}

// ---------------------------------------------------------------------------
// Verification routes

fn record_reply(id: &str, expires_at: DateTime<Utc>) -> Reply {
    ok(201, json!({"verificationRecordId": id, "expiresAt": iso(expires_at)}))
}

async fn verify_password(State(l): State<Logto>, headers: HeaderMap, body: Bytes) -> Reply {
    let mut state = l.lock();
    let id = state.authenticate(&headers)?;
    let body = object(&body)?;
    let password = string(&body, "password")?;
    if state.users[&id].password.as_deref() != Some(password) {
        return Err(error(422, "session.invalid_credentials", "Wrong credentials."));
    }
    let (record, expires_at) = state.new_record(&id, RecordKind::Password, true);
    record_reply(&record, expires_at)
}

fn identifier(body: &Map<String, Value>) -> Result<(String, String), ApiError> {
    let Some(Value::Object(identifier)) = body.get("identifier") else {
        return Err(invalid("identifier", "(invalid_type) Required"));
    };
    let value = string(identifier, "value")?.to_owned();
    match identifier.get("type").and_then(Value::as_str) {
        Some("email") if is_email(&value) => Ok(("email".into(), value)),
        Some("phone") if is_phone(&value) => Ok(("phone".into(), value)),
        Some("email" | "phone") => Err(invalid("identifier.value", "(invalid_string) Invalid")),
        _ => Err(invalid("identifier.type", "(invalid_union) Invalid input")),
    }
}

async fn send_code(State(l): State<Logto>, headers: HeaderMap, body: Bytes) -> Reply {
    let mut state = l.lock();
    let id = state.authenticate(&headers)?;
    let body = object(&body)?;
    let (kind, value) = identifier(&body)?;
    let asked = match body.get("templateType") {
        None => None,
        Some(Value::String(t)) if t == "BindMfa" || t == "UserPermissionValidation" => Some(t.as_str()),
        Some(_) => return Err(invalid("templateType", "(invalid_enum_value) Invalid enum value")),
    };
    let user = &state.users[&id];
    let current = if kind == "email" { &user.primary_email } else { &user.primary_phone };
    // A new address is always a new identifier, whatever was asked.
    let template = match (current.as_deref() == Some(value.as_str()), asked) {
        (false, _) => Template::NewIdentifier,
        (true, Some("BindMfa")) => Template::BindMfa,
        (true, _) => Template::Permission,
    };
    let code = format!("{:06}", crate::random_below(1_000_000));
    state.outbox.push(Message { to: value.clone(), code: code.clone() });
    let (record, expires_at) = state.new_record(&id, RecordKind::Code { kind, value, code, template }, false);
    record_reply(&record, expires_at)
}

async fn verify_code(State(l): State<Logto>, headers: HeaderMap, body: Bytes) -> Reply {
    let mut state = l.lock();
    let id = state.authenticate(&headers)?;
    let body = object(&body)?;
    let (kind, value) = identifier(&body)?;
    let record_id = string(&body, "verificationId")?.to_owned();
    let code = string(&body, "code")?.to_owned();
    let now = state.now();
    let Some(record) = state.records.get_mut(&record_id).filter(|r| r.user_id == id) else {
        return Err(record_not_found());
    };
    if record.expires_at <= now {
        return Err(record_not_found());
    }
    let RecordKind::Code { kind: sent_kind, value: sent_value, code: sent_code, .. } = &record.kind else {
        return Err(record_not_found());
    };
    if *sent_kind != kind || *sent_value != value {
        let code = if kind == "email" {
            "verification_code.email_mismatch"
        } else {
            "verification_code.phone_mismatch"
        };
        return Err(error(400, code, "The identifier does not match the one the code was sent to."));
    }
    if *sent_code != code {
        return Err(error(400, "verification_code.code_mismatch", "Invalid verification code."));
    }
    record.verified = true;
    ok(200, json!({"verificationRecordId": record_id}))
}

async fn start_social(State(l): State<Logto>, headers: HeaderMap, body: Bytes) -> Reply {
    let mut state = l.lock();
    let id = state.authenticate(&headers)?;
    let body = object(&body)?;
    let connector = string(&body, "connectorId")?;
    let social_state = string(&body, "state")?.to_owned();
    let redirect = string(&body, "redirectUri")?.to_owned();
    let Some(&(_, target, prefix)) = CONNECTORS.iter().find(|(id, ..)| *id == connector) else {
        return Err(error(404, "entity.not_exists_with_id", "The connector does not exist."));
    };
    let uri = format!(
        "https://social.example/authorize?state={}&redirect_uri={}",
        crate::url_escaped(&social_state),
        crate::url_escaped(&redirect)
    );
    let (record, expires_at) = state.new_record(
        &id,
        RecordKind::Social { target, prefix, state: social_state, social_user: None },
        false,
    );
    ok(201, json!({"verificationRecordId": record, "authorizationUri": uri, "expiresAt": iso(expires_at)}))
}

async fn verify_social(State(l): State<Logto>, headers: HeaderMap, body: Bytes) -> Reply {
    let mut state = l.lock();
    let id = state.authenticate(&headers)?;
    let body = object(&body)?;
    let Some(Value::Object(data)) = body.get("connectorData") else {
        return Err(invalid("connectorData", "(invalid_type) Required"));
    };
    let record_id = string(&body, "verificationRecordId")?.to_owned();
    let now = state.now();
    let Some(record) = state.records.get_mut(&record_id).filter(|r| r.user_id == id && r.expires_at > now)
    else {
        return Err(record_not_found());
    };
    let RecordKind::Social { prefix, state: expected, social_user, .. } = &mut record.kind else {
        return Err(record_not_found());
    };
    let code = data.get("code").and_then(Value::as_str).filter(|c| !c.is_empty());
    let state_ok = data.get("state").and_then(Value::as_str).is_none_or(|s| s == expected);
    let (Some(code), true) = (code, state_ok) else {
        return Err(error(400, "session.verification_failed", "The verification was not successful."));
    };
    *social_user = Some(format!("{prefix}-{code}"));
    record.verified = true;
    ok(200, json!({"verificationRecordId": record_id}))
}

// ---------------------------------------------------------------------------
// Passkeys

async fn start_passkey(State(l): State<Logto>, headers: HeaderMap) -> Reply {
    let mut state = l.lock();
    let id = state.authenticate(&headers)?;
    let user = &state.users[&id];
    let name = user.username.clone().or_else(|| user.primary_email.clone()).unwrap_or_else(|| id.clone());
    let options = json!({
        "rp": {"name": "Logto sandbox", "id": "localhost"},
        "user": {"id": id, "name": name, "displayName": user.name.clone().unwrap_or_else(|| name.clone())},
        "challenge": random_string(URL_SAFE, 43),
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}, {"type": "public-key", "alg": -257}],
        "timeout": 60000,
        "excludeCredentials": [],
        "authenticatorSelection": {"residentKey": "preferred", "userVerification": "preferred"},
        "attestation": "none",
    });
    let (record, expires_at) = state.new_record(&id, RecordKind::Passkey, false);
    ok(
        200,
        json!({"verificationRecordId": record, "registrationOptions": options, "expiresAt": iso(expires_at)}),
    )
}

async fn verify_passkey(State(l): State<Logto>, headers: HeaderMap, body: Bytes) -> Reply {
    let mut state = l.lock();
    let id = state.authenticate(&headers)?;
    let body = object(&body)?;
    let record_id = string(&body, "verificationRecordId")?.to_owned();
    let Some(Value::Object(payload)) = body.get("payload") else {
        return Err(invalid("payload", "(invalid_type) Required"));
    };
    let text = |map: &Map<String, Value>, key: &str| {
        map.get(key).and_then(Value::as_str).is_some_and(|v| !v.is_empty())
    };
    let response = payload.get("response").and_then(Value::as_object);
    let well_formed = payload.get("type").and_then(Value::as_str) == Some("WebAuthn")
        && text(payload, "id")
        && text(payload, "rawId")
        && response.is_some_and(|r| text(r, "clientDataJSON") && text(r, "attestationObject"));
    let now = state.now();
    let Some(record) = state
        .records
        .get_mut(&record_id)
        .filter(|r| r.user_id == id && r.expires_at > now && matches!(r.kind, RecordKind::Passkey))
    else {
        return Err(record_not_found());
    };
    if !well_formed {
        return Err(error(400, "session.verification_failed", "The verification was not successful."));
    }
    record.verified = true;
    ok(200, json!({"verificationRecordId": record_id}))
}

async fn add_mfa_verification(State(l): State<Logto>, headers: HeaderMap, body: Bytes) -> Reply {
    let mut state = l.lock();
    let id = state.authenticate(&headers)?;
    let body = object(&body)?;
    if body.get("type").and_then(Value::as_str) != Some("WebAuthn") {
        return Err(invalid("type", "(invalid_literal) only WebAuthn factors are faked here"));
    }
    let record_id = string(&body, "newIdentifierVerificationRecordId")?.to_owned();
    let name = match body.get("name") {
        None => "Passkey".to_owned(),
        Some(Value::String(name)) => name.clone(),
        Some(_) => return Err(invalid("name", "(invalid_type) Expected string")),
    };
    state.editable("mfa")?;
    state.require_identity(&id, &headers)?;
    let now = state.now();
    let good = state.records.get(&record_id).is_some_and(|r| {
        r.user_id == id && r.verified && r.expires_at > now && matches!(r.kind, RecordKind::Passkey)
    });
    if !good {
        return Err(record_not_found());
    }
    state.records.remove(&record_id);
    state.user(&id).passkeys.push(name);
    state.touch(&id);
    no_content()
}

#[cfg(test)]
mod tests;
