//! Fake of the STX (SportsX) GraphQL auth and two-factor API.
//!
//! Served under `/stx`: point a client at [`Stx::base_url`] (the endpoint is
//! `POST <base_url>/api/graphql`). Every request's document is parsed and
//! validated against `openapi/stx/schema.graphql`, then its one root field,
//! a mutation or a query, runs against the fake's state. Nothing leaves the
//! process: 2FA codes, reset codes and verification codes land in the
//! [outbox](Stx::outbox).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
//! use accountkit_sandbox::Sandbox;
//!
//! let sandbox = Sandbox::start().await?;
//! let stx = sandbox.stx();
//! stx.add_user("ada@example.com", "correct horse", false);
//! // In production: Host::Production.
//! let client = Client::new(Host::Custom(stx.base_url()))?;
//! let outcome = client.login(&Credentials::new("ada@example.com", "correct horse")).await?;
//! assert!(matches!(outcome, LoginOutcome::LoggedIn(_)));
//! # Ok(()) }
//! ```
//!
//! The examples below start a sandbox the same way, in hidden lines, and most
//! also hide making a `client` as above (and logging Ada in, where they need
//! a `session`).
//!
//! Wire behaviour:
//! - a document that does not parse or validate answers HTTP 400
//!   `{"errors": [{"message", "locations"?}]}` with no `data`;
//! - queries (`userProfile`) answer for the user of the access token;
//! - a mutation or query that fails answers HTTP 200
//!   `{"data": {"<field>": null}, "errors": [{"message", "path": ["<field>"]}]}`;
//!   a missing, unknown, expired or logged-out access token gives the
//!   message `unauthenticated` with `extensions.code: "UNAUTHENTICATED"`;
//! - access tokens are JWT-shaped with an `exp` claim; they live 60 minutes
//!   unless [`set_token_lifetime`](Stx::set_token_lifetime) says otherwise;
//! - refresh tokens rotate: `newToken` answers a new one and forgets the
//!   old, which is refused from then on;
//! - `logout` invalidates every token of the user.

mod document;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};

use crate::{HEX, URL_SAFE, admin, json_response, random_string};

/// Path prefix the STX routes are nested under.
pub(crate) const PREFIX: &str = "/stx";

/// Shortest password the fake accepts.
const MIN_PASSWORD: usize = 8;

/// Handle to the STX fake: cheap to clone, all clones share one state.
#[derive(Clone)]
pub struct Stx {
    base_url: Arc<str>,
    state: Arc<Mutex<StateData>>,
}

impl fmt::Debug for Stx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stx").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

/// Something the fake "sent" by email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Email address it went to.
    pub to: String,
    /// What was sent.
    pub kind: MessageKind,
}

/// The content of a [`Message`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageKind {
    /// The code of a login with 2FA, for `confirm2Fa`.
    LoginCode {
        /// The 6-digit code.
        code: String,
        /// The 2FA session it belongs to.
        session_id: String,
    },
    /// The code of a password change with 2FA, for `confirmChangePassword2Fa`.
    PasswordChangeCode {
        /// The 6-digit code.
        code: String,
    },
    /// A code asked for with `send2Fa`.
    TwoFactorCode {
        /// The 6-digit code.
        code: String,
    },
    /// A password-reset code, for `confirmPasswordReset`.
    PasswordResetCode {
        /// The code.
        code: String,
    },
    /// The email verification code of a new registration.
    VerificationCode {
        /// The code.
        code: String,
    },
}

impl MessageKind {
    /// The code the message carries.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let stx = sandbox.stx();
    /// # let client = accountkit::stx::Client::new(accountkit::stx::Host::Custom(stx.base_url()))?;
    /// use accountkit::stx::Credentials;
    /// use accountkit_sandbox::stx::MessageKind;
    ///
    /// stx.add_user("ada@example.com", "correct horse", true);
    /// client.login(&Credentials::new("ada@example.com", "correct horse")).await?;
    /// let message = stx.last_message("ada@example.com").expect("a login code");
    /// assert!(matches!(message.kind, MessageKind::LoginCode { .. }));
    /// assert_eq!(message.kind.code().len(), 6);
    /// # Ok(()) }
    /// ```
    pub fn code(&self) -> &str {
        match self {
            MessageKind::LoginCode { code, .. }
            | MessageKind::PasswordChangeCode { code }
            | MessageKind::TwoFactorCode { code }
            | MessageKind::PasswordResetCode { code }
            | MessageKind::VerificationCode { code } => code,
        }
    }
}

/// One request the fake received. Header values, variables and tokens are
/// never kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The root field run, a mutation such as `"login"` or a query such as
    /// `"userProfile"`; `None` when the document was refused.
    pub mutation: Option<String>,
    /// The request's `operationName`.
    pub operation_name: Option<String>,
    /// Whether an `Authorization` header was present.
    pub had_bearer: bool,
}

struct User {
    id: String,
    uid: String,
    email: String,
    password: String,
    two_factor: bool,
    last_login_at: Option<DateTime<Utc>>,
    profile: Map<String, Value>,
}

impl User {
    /// The user's `UserProfile`: what registration gave, by field name, and
    /// a value for every non-null field, which a client's types require.
    fn user_profile(&self) -> Value {
        let mut profile: Map<String, Value> = document::schema()
            .fields_of("UserProfile")
            .map(|name| (name.to_string(), self.profile.get(name).cloned().unwrap_or(Value::Null)))
            .collect();
        profile.insert("id".into(), json!(self.id));
        for (name, default) in [("firstName", ""), ("lastName", ""), ("username", self.email.as_str())] {
            if !profile[name].is_string() {
                profile.insert(name.into(), json!(default));
            }
        }
        profile.insert("twoFactorAuth".into(), json!(self.two_factor));
        Value::Object(profile)
    }
}

struct LoginChallenge {
    email: String,
    code: String,
    device_id: Option<String>,
}

struct PasswordChangeRequest {
    new_password: String,
    code: String,
}

struct AccessToken {
    email: String,
    expires_at: DateTime<Utc>,
}

struct StateData {
    users: HashMap<String, User>,
    outbox: crate::Log<Message>,
    requests: crate::Log<RecordedRequest>,
    access_tokens: HashMap<String, AccessToken>,
    /// Refresh token → email.
    refresh_tokens: HashMap<String, String>,
    /// 2FA session id → pending login.
    challenges: HashMap<String, LoginChallenge>,
    /// Email → pending password change.
    password_changes: HashMap<String, PasswordChangeRequest>,
    /// Reset code → email.
    reset_codes: HashMap<String, String>,
    token_lifetime: Duration,
}

impl Default for StateData {
    fn default() -> Self {
        StateData {
            users: HashMap::new(),
            outbox: crate::Log::default(),
            requests: crate::Log::default(),
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            challenges: HashMap::new(),
            password_changes: HashMap::new(),
            reset_codes: HashMap::new(),
            token_lifetime: Duration::from_secs(60 * 60),
        }
    }
}

impl Stx {
    pub(crate) fn new(base_url: String) -> Stx {
        Stx { base_url: base_url.into(), state: Arc::default() }
    }

    /// Base URL of the fake, e.g. `http://127.0.0.1:PORT/stx` (no trailing
    /// slash); the GraphQL endpoint is `<base_url>/api/graphql`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
    ///
    /// let stx = sandbox.stx();
    /// stx.add_user("ada@example.com", "correct horse", false);
    /// let client = Client::new(Host::Custom(stx.base_url()))?;
    /// let outcome = client.login(&Credentials::new("ada@example.com", "correct horse")).await?;
    /// assert!(matches!(outcome, LoginOutcome::LoggedIn(_)));
    /// # Ok(()) }
    /// ```
    pub fn base_url(&self) -> String {
        self.base_url.to_string()
    }

    /// Every message sent so far, oldest first.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let stx = sandbox.stx();
    /// # let client = accountkit::stx::Client::new(accountkit::stx::Host::Custom(stx.base_url()))?;
    /// use accountkit::stx::Registration;
    /// use accountkit_sandbox::stx::MessageKind;
    ///
    /// client.register(&Registration::new("ada@example.com", "correct horse")).await?;
    /// let outbox = stx.outbox();
    /// assert_eq!(outbox.len(), 1);
    /// assert!(matches!(outbox[0].kind, MessageKind::VerificationCode { .. }));
    /// # Ok(()) }
    /// ```
    pub fn outbox(&self) -> Vec<Message> {
        self.lock().outbox.to_vec()
    }

    /// The newest message sent to `to_email`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let stx = sandbox.stx();
    /// # let client = accountkit::stx::Client::new(accountkit::stx::Host::Custom(stx.base_url()))?;
    /// use accountkit_sandbox::stx::MessageKind;
    ///
    /// stx.add_user("ada@example.com", "correct horse", false);
    /// client.forgot_password("ada@example.com").await?;
    /// let message = stx.last_message("ada@example.com").expect("a reset email");
    /// assert!(matches!(message.kind, MessageKind::PasswordResetCode { .. }));
    /// # Ok(()) }
    /// ```
    pub fn last_message(&self, to_email: &str) -> Option<Message> {
        let email = to_email.to_lowercase();
        self.lock().outbox.iter().rev().find(|m| m.to == email).cloned()
    }

    /// The code of the newest message sent to `to_email`, whatever its kind.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let stx = sandbox.stx();
    /// # let client = accountkit::stx::Client::new(accountkit::stx::Host::Custom(stx.base_url()))?;
    /// use accountkit::stx::{Credentials, LoginOutcome};
    ///
    /// stx.add_user("ada@example.com", "correct horse", true);
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// let LoginOutcome::TwoFactorRequired(challenge) = client.login(&credentials).await? else {
    ///     panic!("2FA is on");
    /// };
    /// let code = stx.latest_code("ada@example.com").expect("a code by email");
    /// let session = client.confirm_2fa(&challenge, code).await?;
    /// assert!(session.info().user_id.is_some());
    /// # Ok(()) }
    /// ```
    pub fn latest_code(&self, to_email: &str) -> Option<SecretString> {
        self.last_message(to_email).map(|m| m.kind.code().into())
    }

    /// Every request received, oldest first.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let stx = sandbox.stx();
    /// # let client = accountkit::stx::Client::new(accountkit::stx::Host::Custom(stx.base_url()))?;
    /// use accountkit::stx::Credentials;
    ///
    /// stx.add_user("ada@example.com", "correct horse", false);
    /// client.login(&Credentials::new("ada@example.com", "correct horse")).await?;
    /// let request = &stx.requests()[0];
    /// assert_eq!(request.mutation.as_deref(), Some("login"));
    /// assert!(!request.had_bearer);
    /// # Ok(()) }
    /// ```
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.to_vec()
    }

    /// How long access tokens issued from now on live (60 minutes unless
    /// set); shorten it to test refreshing.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let stx = sandbox.stx();
    /// # let client = accountkit::stx::Client::new(accountkit::stx::Host::Custom(stx.base_url()))?;
    /// use std::time::Duration;
    ///
    /// stx.set_token_lifetime(Duration::from_secs(60));
    /// # stx.add_user("ada@example.com", "correct horse", false);
    /// # let credentials = accountkit::stx::Credentials::new("ada@example.com", "correct horse");
    /// # let outcome = client.login(&credentials).await?;
    /// # let accountkit::stx::LoginOutcome::LoggedIn(session) = outcome else { panic!() };
    /// assert!(session.expires_at() <= chrono::Utc::now() + chrono::TimeDelta::seconds(60));
    /// session.refresh().await?;
    /// # Ok(()) }
    /// ```
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.lock().token_lifetime = lifetime;
    }

    /// Makes the server refuse every access token issued so far, as after a
    /// server-side revocation; refresh tokens stay valid.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let stx = sandbox.stx();
    /// # let client = accountkit::stx::Client::new(accountkit::stx::Host::Custom(stx.base_url()))?;
    /// # stx.add_user("ada@example.com", "correct horse", false);
    /// # let credentials = accountkit::stx::Credentials::new("ada@example.com", "correct horse");
    /// # let outcome = client.login(&credentials).await?;
    /// # let accountkit::stx::LoginOutcome::LoggedIn(session) = outcome else { panic!() };
    /// stx.revoke_access_tokens();
    /// // The refresh token still gets a new access token.
    /// session.refresh().await?;
    /// session.enable_2fa(Some("correct horse".into())).await?;
    /// assert_eq!(stx.two_factor_enabled("ada@example.com"), Some(true));
    /// # Ok(()) }
    /// ```
    pub fn revoke_access_tokens(&self) {
        self.lock().access_tokens.clear();
    }

    /// Creates a user directly, with 2FA on or off; returns the user id.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let stx = sandbox.stx();
    /// # let client = accountkit::stx::Client::new(accountkit::stx::Host::Custom(stx.base_url()))?;
    /// use accountkit::stx::{Credentials, LoginOutcome};
    ///
    /// stx.add_user("ada@example.com", "correct horse", true);
    /// let outcome = client.login(&Credentials::new("ada@example.com", "correct horse")).await?;
    /// assert!(matches!(outcome, LoginOutcome::TwoFactorRequired(_)));
    /// # Ok(()) }
    /// ```
    pub fn add_user(&self, email: &str, password: impl Into<SecretString>, two_factor: bool) -> String {
        let password = password.into();
        let mut state = self.lock();
        let id = state.create_user(email, password.expose_secret(), Map::new());
        if let Some(user) = state.users.get_mut(&email.to_lowercase()) {
            user.two_factor = two_factor;
        }
        id
    }

    /// Whether the user exists and has 2FA on; `None` if there is no such user.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let stx = sandbox.stx();
    /// # let client = accountkit::stx::Client::new(accountkit::stx::Host::Custom(stx.base_url()))?;
    /// # stx.add_user("ada@example.com", "correct horse", false);
    /// # let credentials = accountkit::stx::Credentials::new("ada@example.com", "correct horse");
    /// # let outcome = client.login(&credentials).await?;
    /// # let accountkit::stx::LoginOutcome::LoggedIn(session) = outcome else { panic!() };
    /// assert_eq!(stx.two_factor_enabled("ada@example.com"), Some(false));
    /// session.enable_2fa(Some("correct horse".into())).await?;
    /// assert_eq!(stx.two_factor_enabled("ada@example.com"), Some(true));
    /// assert_eq!(stx.two_factor_enabled("bob@example.com"), None);
    /// # Ok(()) }
    /// ```
    pub fn two_factor_enabled(&self, email: &str) -> Option<bool> {
        self.lock().users.get(&email.to_lowercase()).map(|u| u.two_factor)
    }

    /// The registration document of a user, as the server stored it
    /// (password excluded).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let stx = sandbox.stx();
    /// # let client = accountkit::stx::Client::new(accountkit::stx::Host::Custom(stx.base_url()))?;
    /// use accountkit::stx::Registration;
    ///
    /// let registration = Registration::new("ada@example.com", "correct horse").name("Ada", "Lovelace");
    /// client.register(&registration).await?;
    /// let profile = stx.profile("ada@example.com").expect("a user");
    /// assert_eq!(profile["lastName"], "Lovelace");
    /// # Ok(()) }
    /// ```
    pub fn profile(&self, email: &str) -> Option<Map<String, Value>> {
        self.lock().users.get(&email.to_lowercase()).map(|u| u.profile.clone())
    }

    /// Whether `password` is the user's password now.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let stx = sandbox.stx();
    /// # let client = accountkit::stx::Client::new(accountkit::stx::Host::Custom(stx.base_url()))?;
    /// stx.add_user("ada@example.com", "correct horse", false);
    /// client.forgot_password("ada@example.com").await?;
    /// let code = stx.latest_code("ada@example.com").expect("a reset code");
    /// client.confirm_password_reset(code, "battery staple").await?;
    /// assert!(stx.password_is("ada@example.com", "battery staple"));
    /// assert!(!stx.password_is("ada@example.com", "correct horse"));
    /// # Ok(()) }
    /// ```
    pub fn password_is(&self, email: &str, password: impl Into<SecretString>) -> bool {
        let password = password.into();
        self.lock().users.get(&email.to_lowercase()).is_some_and(|u| u.password == password.expose_secret())
    }

    fn lock(&self) -> MutexGuard<'_, StateData> {
        // A panicking test must not make every later call panic too.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl crate::Fake for Stx {
    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn router(&self) -> Router {
        Router::new().route("/api/graphql", post(graphql)).with_state(self.clone())
    }

    fn admin_routes(&self) -> Router {
        Router::new()
            .route("/users", post(admin_user))
            .route("/token-lifetime", post(admin_token_lifetime))
            .route("/revoke-access-tokens", post(admin_revoke))
            .route("/users/{email}", get(admin_user_state))
            .with_state(self.clone())
    }

    fn reset(&self) {
        *self.lock() = StateData::default();
    }

    fn outbox(&self, read: &mut admin::Read) {
        read.messages(&self.lock().outbox, |m| {
            let (kind, extra) = match &m.kind {
                MessageKind::LoginCode { session_id: id, .. } => ("login_code", json!({"session_id": id})),
                MessageKind::PasswordChangeCode { .. } => ("password_change_code", json!({})),
                MessageKind::TwoFactorCode { .. } => ("two_factor_code", json!({})),
                MessageKind::PasswordResetCode { .. } => ("password_reset_code", json!({})),
                MessageKind::VerificationCode { .. } => ("verification_code", json!({})),
            };
            (&m.to, kind, m.kind.code(), extra)
        });
    }

    fn requests(&self, read: &mut admin::Read) {
        read.requests(
            &self.lock().requests,
            |r| json!({"method": "POST", "path": "/api/graphql", "operation": r.mutation}),
        );
    }
}

async fn admin_user(State(fake): State<Stx>, body: admin::Body) -> admin::Reply {
    let two_factor = body.0.get("two_factor").and_then(Value::as_bool).unwrap_or(false);
    admin::ok(json!({"id": fake.add_user(body.text("email")?, body.text("password")?, two_factor)}))
}

async fn admin_token_lifetime(State(fake): State<Stx>, body: admin::Body) -> admin::Reply {
    let seconds = body.seconds("seconds")?;
    fake.set_token_lifetime(Duration::from_secs(seconds));
    admin::ok(json!({"seconds": seconds}))
}

async fn admin_revoke(State(fake): State<Stx>) -> admin::Reply {
    fake.revoke_access_tokens();
    admin::ok(json!({"revoked": true}))
}

async fn admin_user_state(State(fake): State<Stx>, Path(email): Path<String>) -> admin::Reply {
    let two_factor = fake.two_factor_enabled(&email).ok_or_else(|| admin::not_found("such user"))?;
    admin::ok(json!({"two_factor": two_factor, "profile": fake.profile(&email)}))
}

/// An error of one mutation: its message and, optionally, a code.
struct Failure {
    message: String,
    code: Option<&'static str>,
}

fn fail(message: impl Into<String>) -> Failure {
    Failure { message: message.into(), code: None }
}

fn unauthenticated() -> Failure {
    Failure { message: "unauthenticated".into(), code: Some("UNAUTHENTICATED") }
}

fn refused(errors: Vec<String>) -> Response {
    let errors: Vec<Value> = errors.into_iter().map(|message| json!({"message": message})).collect();
    json_response(StatusCode::BAD_REQUEST, json!({"errors": errors}))
}

async fn graphql(State(stx): State<Stx>, headers: HeaderMap, body: Bytes) -> Response {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let had_bearer = headers.contains_key(axum::http::header::AUTHORIZATION);
    let request: Value = match serde_json::from_slice(&body) {
        Ok(Value::Object(request)) => Value::Object(request),
        _ => {
            stx.lock().requests.push(RecordedRequest { mutation: None, operation_name: None, had_bearer });
            return refused(vec!["The request body must be a JSON object.".into()]);
        }
    };
    let operation_name = request.get("operationName").and_then(Value::as_str).map(str::to_string);
    let mut record = RecordedRequest { mutation: None, operation_name: operation_name.clone(), had_bearer };
    let Some(query) = request.get("query").and_then(Value::as_str) else {
        stx.lock().requests.push(record);
        return refused(vec!["The request has no `query` string.".into()]);
    };
    let variables = match request.get("variables") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(variables)) => variables.clone(),
        Some(_) => {
            stx.lock().requests.push(record);
            return refused(vec!["`variables` must be an object.".into()]);
        }
    };
    let validated = match document::validate(query, operation_name.as_deref(), &variables) {
        Ok(validated) => validated,
        Err(errors) => {
            stx.lock().requests.push(record);
            return refused(errors);
        }
    };
    let mutation = validated.field.name.clone();
    record.mutation = Some(mutation.clone());
    let mut state = stx.lock();
    state.requests.push(record);
    let outcome = match validated.kind {
        document::Kind::Mutation => state.run(&mutation, &validated.arguments, bearer.as_deref()),
        document::Kind::Query => state.query(&mutation, bearer.as_deref()),
    };
    drop(state);
    let key = validated.field.key.clone();
    match outcome {
        Ok((value, type_name)) => {
            let data = document::project(&value, &validated.field.children, type_name);
            json_response(StatusCode::OK, json!({"data": {key.clone(): data}}))
        }
        Err(failure) => {
            let mut error = json!({"message": failure.message, "path": [key.clone()]});
            if let Some(code) = failure.code {
                error["extensions"] = json!({"code": code});
            }
            json_response(StatusCode::OK, json!({"data": {key: Value::Null}, "errors": [error]}))
        }
    }
}

fn string<'a>(arguments: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    arguments.get(name).and_then(Value::as_str)
}

fn six_digits() -> String {
    random_string(b"0123456789", 6)
}

fn now_iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl StateData {
    fn send(&mut self, to: &str, kind: MessageKind) {
        self.outbox.push(Message { to: to.to_lowercase(), kind });
    }

    fn create_user(&mut self, email: &str, password: &str, profile: Map<String, Value>) -> String {
        let id = format!(
            "{}-{}-4{}-8{}-{}",
            random_string(HEX, 8),
            random_string(HEX, 4),
            random_string(HEX, 3),
            random_string(HEX, 3),
            random_string(HEX, 12)
        );
        let user = User {
            id: id.clone(),
            uid: format!("U-{}", random_string(b"0123456789", 6)),
            email: email.to_lowercase(),
            password: password.to_string(),
            two_factor: false,
            last_login_at: None,
            profile,
        };
        self.users.insert(email.to_lowercase(), user);
        id
    }

    /// The user an access token belongs to.
    fn authenticate(&self, bearer: Option<&str>) -> Result<String, Failure> {
        let token = bearer.ok_or_else(unauthenticated)?;
        match self.access_tokens.get(token) {
            Some(access) if access.expires_at > crate::now() => Ok(access.email.clone()),
            _ => Err(unauthenticated()),
        }
    }

    /// A fresh access token (JWT-shaped, with `exp`) and refresh token.
    fn issue_tokens(&mut self, email: &str) -> (String, String) {
        let capped = self.token_lifetime.min(Duration::from_secs(crate::MAX_SECONDS));
        let lifetime = chrono::Duration::from_std(capped).unwrap_or(chrono::Duration::hours(1));
        let expires_at = crate::later(crate::now(), lifetime);
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let subject = self.users.get(email).map(|u| u.id.clone()).unwrap_or_default();
        let claims = json!({"sub": subject, "exp": expires_at.timestamp(), "jti": random_string(HEX, 16)});
        let access = format!(
            "{}.{}.{}",
            engine.encode(r#"{"alg":"HS512","typ":"JWT"}"#),
            engine.encode(claims.to_string()),
            random_string(URL_SAFE, 43)
        );
        let refresh = random_string(URL_SAFE, 48);
        self.access_tokens.insert(access.clone(), AccessToken { email: email.to_string(), expires_at });
        self.refresh_tokens.insert(refresh.clone(), email.to_string());
        (access, refresh)
    }

    /// A full `LoginResult` for a logged-in user.
    fn login_result(&mut self, email: &str, device_id: Option<String>) -> Value {
        let (token, refresh) = self.issue_tokens(email);
        let now = crate::now();
        let user = self.users.get_mut(email).expect("the user exists");
        let last = user.last_login_at.replace(now);
        json!({
            "userId": user.id, "status": 200, "token": token, "refreshToken": refresh,
            "userStatus": "ACTIVE", "userUid": user.uid,
            "userProfile": user.user_profile(),
            "lastLoginAt": last.map(now_iso), "currentLoginAt": now_iso(now),
            "deviceId": device_id, "ipAddress": "127.0.0.1",
            "limitsNumber": {
                "accountLimits": {"accountId": user.id, "dailyDeposit": null, "weeklyDeposit": null,
                                  "monthlyDeposit": null, "lifetimeDeposit": null, "lossLimit24Hours": null,
                                  "selfExcluded": 0},
                "adminLimits": {"dailyDeposit": 10_000, "maxOrderLiabilityPerOrder": 5_000, "selfExcluded": 0},
            },
            "promptTwoFactorAuth": false, "sessionId": null, "promptTncAcceptance": false,
            "tncChanged": {"terms": false, "privacyPolicy": false, "houseRules": false}, "tncId": null,
            "whitelistIpAddresses": null, "deviceTokens": [], "allowMultipleLogins": false, "appSettings": [],
            "referralCode": user.uid,
        })
    }

    /// Runs one validated query for the user of the access token.
    fn query(&mut self, field: &str, bearer: Option<&str>) -> Result<(Value, &'static str), Failure> {
        let email = self.authenticate(bearer)?;
        match field {
            "userProfile" => Ok((self.users[&email].user_profile(), "UserProfile")),
            other => Err(fail(format!("`{other}` is in the schema but not served by this fake"))),
        }
    }

    fn check_password(&self, email: &str, password: Option<&str>) -> Result<(), Failure> {
        match password {
            Some(given) if self.users.get(email).is_none_or(|u| u.password != given) => {
                Err(fail("Invalid password"))
            }
            _ => Ok(()),
        }
    }

    /// Runs one validated mutation: its full result and its GraphQL type.
    fn run(
        &mut self,
        mutation: &str,
        args: &Map<String, Value>,
        bearer: Option<&str>,
    ) -> Result<(Value, &'static str), Failure> {
        match mutation {
            "login" => {
                let credentials = args.get("credentials").cloned().unwrap_or_default();
                let email = credentials["email"].as_str().unwrap_or("").to_lowercase();
                let password = credentials["password"].as_str().unwrap_or("");
                let device_id = credentials["deviceInfo"]["deviceId"].as_str().map(str::to_string);
                let user = self.users.get(&email).filter(|u| u.password == password);
                let Some(user) = user else { return Err(fail("Invalid email or password")) };
                if user.two_factor {
                    let user_id = user.id.clone();
                    let session_id = random_string(HEX, 32);
                    let code = six_digits();
                    self.challenges.insert(
                        session_id.clone(),
                        LoginChallenge { email: email.clone(), code: code.clone(), device_id },
                    );
                    self.send(&email, MessageKind::LoginCode { code, session_id: session_id.clone() });
                    return Ok((
                        json!({"userId": user_id, "status": 200, "token": null, "refreshToken": null,
                               "promptTwoFactorAuth": true, "sessionId": session_id, "promptTncAcceptance": false}),
                        "LoginResult",
                    ));
                }
                Ok((self.login_result(&email, device_id), "LoginResult"))
            }
            "confirm2Fa" => {
                let session_id = string(args, "sessionId").unwrap_or("");
                let email = string(args, "email").unwrap_or("").to_lowercase();
                let Some(challenge) = self.challenges.get(session_id).filter(|c| c.email == email) else {
                    return Err(fail("Invalid or expired 2FA session"));
                };
                if string(args, "code") != Some(challenge.code.as_str()) {
                    return Err(fail("Invalid 2FA code"));
                }
                let challenge = self.challenges.remove(session_id).expect("checked above");
                Ok((self.login_result(&challenge.email, challenge.device_id), "LoginResult"))
            }
            "resend2Fa" => {
                let session_id = string(args, "sessionId").unwrap_or("").to_string();
                let email = string(args, "email").unwrap_or("").to_lowercase();
                let code = six_digits();
                let Some(challenge) = self.challenges.get_mut(&session_id).filter(|c| c.email == email)
                else {
                    return Err(fail("Invalid or expired 2FA session"));
                };
                challenge.code = code.clone();
                self.send(&email, MessageKind::LoginCode { code, session_id: session_id.clone() });
                Ok((json!({"status": "sent", "sessionId": session_id}), "TwoFactorAuthResult"))
            }
            "newToken" => {
                let refresh = string(args, "refreshToken").unwrap_or("");
                // Rotation: a refresh token works once.
                let Some(email) = self.refresh_tokens.remove(refresh) else {
                    return Err(fail("Invalid refresh token"));
                };
                let (token, refresh) = self.issue_tokens(&email);
                let user = &self.users[&email];
                Ok((
                    json!({"userId": user.id, "status": 200, "token": token, "refreshToken": refresh,
                           "userUid": user.uid, "currentLoginAt": now_iso(crate::now())}),
                    "LoginResult",
                ))
            }
            "logout" => {
                let email = self.authenticate(bearer)?;
                self.access_tokens.retain(|_, t| t.email != email);
                self.refresh_tokens.retain(|_, e| *e != email);
                let device_id = args.get("deviceInfo").and_then(|d| d.get("deviceId")).cloned();
                Ok((
                    json!({"status": 200, "message": "Logged out", "deviceId": device_id, "ipAddress": "127.0.0.1"}),
                    "LogoutResult",
                ))
            }
            "register" => {
                let data =
                    args.get("input").and_then(|i| i.get("data")).and_then(Value::as_str).unwrap_or("");
                let Ok(Value::Object(mut profile)) = serde_json::from_str::<Value>(data) else {
                    return Err(fail("input.data must be a JSON object encoded as a string"));
                };
                let email = profile.get("email").and_then(Value::as_str).unwrap_or("").to_lowercase();
                let Some(Value::String(password)) = profile.remove("password") else {
                    return Err(fail("password is required"));
                };
                if !email.contains('@') {
                    return Err(fail("email is invalid"));
                }
                if password.chars().count() < MIN_PASSWORD {
                    return Err(fail(format!("password must be at least {MIN_PASSWORD} characters")));
                }
                if self.users.contains_key(&email) {
                    return Err(fail("An account with this email already exists"));
                }
                self.create_user(&email, &password, profile);
                self.send(&email, MessageKind::VerificationCode { code: six_digits() });
                Ok((
                    json!({"status": 200, "message": "Registration successful", "verificationCode": null}),
                    "RegisterUserResult",
                ))
            }
            "changePassword" => {
                let email = self.authenticate(bearer)?;
                self.check_password(&email, Some(string(args, "oldPassword").unwrap_or("")))?;
                let new_password = string(args, "newPassword").unwrap_or("").to_string();
                if new_password.chars().count() < MIN_PASSWORD {
                    return Err(fail(format!("new password must be at least {MIN_PASSWORD} characters")));
                }
                let user = &self.users[&email];
                let user_id = user.id.clone();
                if user.two_factor {
                    let code = six_digits();
                    self.password_changes
                        .insert(email.clone(), PasswordChangeRequest { new_password, code: code.clone() });
                    self.send(&email, MessageKind::PasswordChangeCode { code });
                    return Ok((
                        json!({"userId": user_id, "status": 200, "promptTwoFactorAuth": true}),
                        "LoginResult",
                    ));
                }
                self.users.get_mut(&email).expect("authenticated").password = new_password;
                Ok((json!({"userId": user_id, "status": 200, "promptTwoFactorAuth": false}), "LoginResult"))
            }
            "confirmChangePassword2Fa" => {
                let email = self.authenticate(bearer)?;
                let Some(change) = self.password_changes.get(&email) else {
                    return Err(fail("No password change is waiting for confirmation"));
                };
                if string(args, "code") != Some(change.code.as_str()) {
                    return Err(fail("Invalid 2FA code"));
                }
                let change = self.password_changes.remove(&email).expect("checked above");
                let user = self.users.get_mut(&email).expect("authenticated");
                user.password = change.new_password;
                Ok((json!({"userId": user.id, "status": 200, "promptTwoFactorAuth": false}), "LoginResult"))
            }
            "resendChangePassword2Fa" => {
                let email = self.authenticate(bearer)?;
                let code = six_digits();
                let Some(change) = self.password_changes.get_mut(&email) else {
                    return Err(fail("No password change is waiting for confirmation"));
                };
                change.code = code.clone();
                self.send(&email, MessageKind::PasswordChangeCode { code });
                Ok((json!({"status": "sent", "sessionId": null}), "TwoFactorAuthResult"))
            }
            "forgotPassword" => {
                let email = string(args, "email").unwrap_or("").to_lowercase();
                // The same answer whether or not the account exists.
                if self.users.contains_key(&email) {
                    let code = random_string(URL_SAFE, 24);
                    self.reset_codes.insert(code.clone(), email.clone());
                    self.send(&email, MessageKind::PasswordResetCode { code });
                }
                Ok((
                    json!({"header": "Check your email",
                           "message": "If an account exists for this address, we sent a code to reset its password.",
                           "email": email}),
                    "ForgotPasswordResult",
                ))
            }
            "confirmPasswordReset" => {
                let params = args.get("passwordResetParams").cloned().unwrap_or_default();
                let code = params["code"].as_str().unwrap_or("");
                let new_password = params["newPassword"].as_str().unwrap_or("");
                let answer = |reset: bool, message: &str| {
                    Ok((json!({"reset": reset, "message": message}), "PasswordResetResult"))
                };
                if new_password.chars().count() < MIN_PASSWORD {
                    return answer(false, "The new password is too short");
                }
                let Some(email) = self.reset_codes.remove(code) else {
                    return answer(false, "The code is invalid or has expired");
                };
                if let Some(user) = self.users.get_mut(&email) {
                    user.password = new_password.to_string();
                }
                answer(true, "Your password has been reset")
            }
            "enable2Fa" | "disable2Fa" => {
                let email = self.authenticate(bearer)?;
                self.check_password(&email, string(args, "password"))?;
                let enable = mutation == "enable2Fa";
                self.users.get_mut(&email).expect("authenticated").two_factor = enable;
                Ok((
                    json!({"status": if enable { "enabled" } else { "disabled" }, "sessionId": null}),
                    "TwoFactorAuthResult",
                ))
            }
            "send2Fa" => {
                let email = self.authenticate(bearer)?;
                let session_id = random_string(HEX, 32);
                self.send(&email, MessageKind::TwoFactorCode { code: six_digits() });
                Ok((json!({"status": "sent", "sessionId": session_id}), "TwoFactorAuthResult"))
            }
            other => Err(fail(format!("`{other}` is in the schema but not served by this fake"))),
        }
    }
}
