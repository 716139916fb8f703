//! Fake of the Pangea AuthN user endpoints.
//!
//! Served under `/pangea`; point a Pangea client at [`Pangea::base_url`] with
//! the [service token](Pangea::service_token) (for `/v2/user/*`) or the
//! [client token](Pangea::client_token) (for `/v2/client/*`).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use accountkit::pangea::{Client, NewUser};
//! use accountkit_sandbox::Sandbox;
//!
//! let sandbox = Sandbox::start().await?;
//! let pangea = sandbox.pangea();
//! // In production: Client::builder(token).domain("aws.us.pangea.cloud").
//! let service = Client::builder(pangea.service_token()).base_url(pangea.base_url()).build()?;
//! let created = service.user_create(&NewUser::new("ada@example.com")).await?;
//! assert!(created.result.id.starts_with("pui_"));
//! # Ok(()) }
//! ```
//!
//! The examples below start a sandbox the same way, in hidden lines, and most
//! also hide making a `service` client as above (and a `client` one with the
//! client token, and the user Ada, where they need them).
//!
//! Wire behaviour:
//! - every operation is a `POST` with a JSON object body, answered with the
//!   envelope `{request_id, request_time, response_time, status, summary,
//!   result}`; success is HTTP 200 with `status: "Success"`;
//! - a malformed body, a missing or unexpected field, or anything but exactly
//!   one of `id`, `email`, `username` is HTTP 400 `ValidationError` with
//!   `result: {errors: [{code, detail, source}]}`;
//! - a missing or wrong token is HTTP 401 `Unauthorized`; an unknown user is
//!   HTTP 400 `UserNotFound`, an unknown authenticator `AuthenticatorNotFound`,
//!   a taken email or username `UserExists`, a wrong old password
//!   `IncorrectPassword`, an unknown login code `InvalidCode` (these names
//!   are the fake's: the vendor does not document them);
//! - after [`accept_next`](Pangea::accept_next), the next operation answers
//!   HTTP 202 `Accepted`, and `GET /request/{request_id}` answers 202 a given
//!   number of times before the operation's own answer;
//! - `user/list` pages by an opaque `last` cursor, absent on the final page.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};

use crate::{admin, json_response, random_string};

/// Path prefix the Pangea routes are nested under.
pub(crate) const PREFIX: &str = "/pangea";

/// The alphabet of Pangea ids after their prefix.
const BASE32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";

/// The largest page `user/list` serves.
pub const MAX_PAGE_SIZE: usize = 1000;
/// The page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: usize = 20;

fn pangea_id(prefix: &str) -> String {
    format!("{prefix}_{}", random_string(BASE32, 32))
}

/// Handle to the Pangea fake: cheap to clone, all clones share one state.
#[derive(Clone)]
pub struct Pangea {
    base_url: Arc<str>,
    state: Arc<Mutex<StateData>>,
}

impl fmt::Debug for Pangea {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pangea").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

/// One request the fake received. Header values and bodies are never kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `"POST"`.
    pub method: String,
    /// Path relative to [`Pangea::base_url`], e.g. `"/v2/user/create"`.
    pub path: String,
    /// Whether an `Authorization: Bearer ...` header was present.
    pub had_bearer: bool,
}

impl Pangea {
    pub(crate) fn new(base_url: String) -> Pangea {
        let state = StateData {
            service_token: pangea_id("pts"),
            client_token: pangea_id("pcl"),
            ..StateData::default()
        };
        Pangea { base_url: base_url.into(), state: Arc::new(Mutex::new(state)) }
    }

    /// Base URL of the fake, e.g. `http://127.0.0.1:PORT/pangea` (no trailing slash).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::pangea::{Client, NewUser};
    ///
    /// let pangea = sandbox.pangea();
    /// let service = Client::builder(pangea.service_token()).base_url(pangea.base_url()).build()?;
    /// service.user_create(&NewUser::new("ada@example.com")).await?;
    /// assert_eq!(pangea.user_count(), 1);
    /// # Ok(()) }
    /// ```
    pub fn base_url(&self) -> String {
        self.base_url.to_string()
    }

    /// The service token (`pts_...`) the `/v2/user/*` operations accept.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::pangea::{Client, NewUser};
    ///
    /// let pangea = sandbox.pangea();
    /// let service = Client::builder(pangea.service_token()).base_url(pangea.base_url()).build()?;
    /// let created = service.user_create(&NewUser::new("ada@example.com").username("ada")).await?;
    /// assert_eq!(created.result.username.as_deref(), Some("ada"));
    /// # Ok(()) }
    /// ```
    pub fn service_token(&self) -> SecretString {
        self.lock().service_token.as_str().into()
    }

    /// The client token (`pcl_...`) the `/v2/client/*` operations accept.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = sandbox.pangea();
    /// # let service = accountkit::pangea::Client::builder(pangea.service_token());
    /// # let service = service.base_url(pangea.base_url()).build()?;
    /// # service.user_create(&accountkit::pangea::NewUser::new("ada@example.com")).await?;
    /// use accountkit::pangea::Client;
    ///
    /// pangea.set_password("ada@example.com", "correct horse");
    /// let client = Client::builder(pangea.client_token()).base_url(pangea.base_url()).build()?;
    /// // The code a finished hosted login hands the application, for the user's tokens.
    /// let code = pangea.login_code("ada@example.com").expect("a user");
    /// let session = client.client_userinfo(code, None).await?.result;
    /// let user_token = session.active_token.expect("an active token").token;
    /// client.client_password_change(&user_token, "correct horse", "battery staple").await?;
    /// let again = client.client_password_change(&user_token, "correct horse", "third one").await;
    /// assert!(again.is_err(), "the old password is gone");
    /// # Ok(()) }
    /// ```
    pub fn client_token(&self) -> SecretString {
        self.lock().client_token.as_str().into()
    }

    /// Adds `count` users at once (emails `seed<n>@example.test`, `n`
    /// counting from the first seeded user) without going through HTTP;
    /// returns their ids in creation order.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = sandbox.pangea();
    /// # let service = accountkit::pangea::Client::builder(pangea.service_token());
    /// # let service = service.base_url(pangea.base_url()).build()?;
    /// use accountkit::pangea::UserList;
    /// use futures::TryStreamExt;
    ///
    /// let ids = pangea.seed_users(25);
    /// let users: Vec<_> = service.users(&UserList::new().size(10)).items().try_collect().await?;
    /// assert_eq!(users.len(), 25);
    /// assert!(users.iter().any(|user| user.id == ids[0]));
    /// # Ok(()) }
    /// ```
    pub fn seed_users(&self, count: usize) -> Vec<String> {
        self.seed_users_within(count, usize::MAX).unwrap_or_default()
    }

    /// [`seed_users`](Pangea::seed_users), unless that would make more than
    /// `cap` users: then `Err` with the number there is.
    pub(crate) fn seed_users_within(&self, count: usize, cap: usize) -> Result<Vec<String>, usize> {
        let mut state = self.lock();
        if state.users.len().saturating_add(count) > cap {
            return Err(state.users.len());
        }
        Ok((0..count)
            .map(|_| {
                let n = state.seeded;
                state.seeded += 1;
                let mut profile = BTreeMap::new();
                profile.insert("first_name".to_string(), format!("Seed{n}"));
                state.insert_user(format!("seed{n}@example.test"), None, profile)
            })
            .collect())
    }

    /// Number of users.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = sandbox.pangea();
    /// # let service = accountkit::pangea::Client::builder(pangea.service_token());
    /// # let service = service.base_url(pangea.base_url()).build()?;
    /// use accountkit::pangea::{NewUser, UserRef};
    ///
    /// service.user_create(&NewUser::new("ada@example.com")).await?;
    /// assert_eq!(pangea.user_count(), 1);
    /// service.user_delete(&UserRef::email("ada@example.com")).await?;
    /// assert_eq!(pangea.user_count(), 0);
    /// # Ok(()) }
    /// ```
    pub fn user_count(&self) -> usize {
        self.lock().users.len()
    }

    /// Gives a user a password (and a `password` authenticator), as signing
    /// up through a login flow would. `false` if no user has that email.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = sandbox.pangea();
    /// # let service = accountkit::pangea::Client::builder(pangea.service_token());
    /// # let service = service.base_url(pangea.base_url()).build()?;
    /// # service.user_create(&accountkit::pangea::NewUser::new("ada@example.com")).await?;
    /// use accountkit::pangea::UserRef;
    ///
    /// assert!(pangea.set_password("ada@example.com", "correct horse"));
    /// let ada = UserRef::email("ada@example.com");
    /// assert_eq!(service.user_authenticators_list(&ada).await?.result.len(), 1);
    /// assert!(!pangea.set_password("bob@example.com", "correct horse"));
    /// # Ok(()) }
    /// ```
    pub fn set_password(&self, email: &str, password: impl Into<SecretString>) -> bool {
        let password = password.into();
        let mut state = self.lock();
        let Some(user) = state.user_by_email_mut(email) else { return false };
        user.password = Some(password.expose_secret().to_owned());
        if !user.authenticators.iter().any(|a| a.kind == "password") {
            user.authenticators.push(AuthenticatorRec::new("password"));
        }
        true
    }

    /// Adds an authenticator of `kind` (`totp`, `passkey`, ...) to a user;
    /// returns its id (`pau_...`), or `None` if no user has that email.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = sandbox.pangea();
    /// # let service = accountkit::pangea::Client::builder(pangea.service_token());
    /// # let service = service.base_url(pangea.base_url()).build()?;
    /// # service.user_create(&accountkit::pangea::NewUser::new("ada@example.com")).await?;
    /// use accountkit::pangea::UserRef;
    ///
    /// let id = pangea.add_authenticator("ada@example.com", "totp").expect("a user");
    /// let ada = UserRef::email("ada@example.com");
    /// service.user_authenticators_delete(&ada, &id).await?;
    /// assert!(service.user_authenticators_list(&ada).await?.result.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn add_authenticator(&self, email: &str, kind: &str) -> Option<String> {
        let mut state = self.lock();
        let user = state.user_by_email_mut(email)?;
        let authenticator = AuthenticatorRec::new(kind);
        let id = authenticator.id.clone();
        user.authenticators.push(authenticator);
        Some(id)
    }

    /// Locks a user out, as repeated failed logins would. `false` if no user
    /// has that email.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = sandbox.pangea();
    /// # let service = accountkit::pangea::Client::builder(pangea.service_token());
    /// # let service = service.base_url(pangea.base_url()).build()?;
    /// # service.user_create(&accountkit::pangea::NewUser::new("ada@example.com")).await?;
    /// use accountkit::pangea::{UserRef, UserUpdate};
    ///
    /// assert!(pangea.lock_out("ada@example.com"));
    /// let ada = UserRef::email("ada@example.com");
    /// assert!(service.user_profile_get(&ada).await?.result.locked_out);
    /// let unlocked = service.user_update(&ada, &UserUpdate::new().unlock()).await?;
    /// assert!(!unlocked.result.locked_out);
    /// # Ok(()) }
    /// ```
    pub fn lock_out(&self, email: &str) -> bool {
        let mut state = self.lock();
        state.user_by_email_mut(email).map(|user| user.locked_out = true).is_some()
    }

    /// The code (`pmc_...`) a finished login flow of this user hands the
    /// application, for `/v2/client/userinfo`. Each code works once.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = sandbox.pangea();
    /// # let service = accountkit::pangea::Client::builder(pangea.service_token());
    /// # let service = service.base_url(pangea.base_url()).build()?;
    /// # service.user_create(&accountkit::pangea::NewUser::new("ada@example.com")).await?;
    /// # let client = accountkit::pangea::Client::builder(pangea.client_token());
    /// # let client = client.base_url(pangea.base_url()).build()?;
    /// let code = pangea.login_code("ada@example.com").expect("a user");
    /// let session = client.client_userinfo(&code, None).await?.result;
    /// assert_eq!(session.refresh_token.email.as_deref(), Some("ada@example.com"));
    /// assert!(client.client_userinfo(&code, None).await.is_err(), "a code works once");
    /// # Ok(()) }
    /// ```
    pub fn login_code(&self, email: &str) -> Option<SecretString> {
        let mut state = self.lock();
        let id = state.user_by_email_mut(email)?.id.clone();
        let code = pangea_id("pmc");
        state.codes.insert(code.clone(), id);
        Some(code.into())
    }

    /// Makes the next operation answer HTTP 202 `Accepted`; polling its
    /// request id then answers 202 `polls` more times before the final answer.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::pangea::{Client, NewUser, Polling};
    /// use std::time::Duration;
    ///
    /// let pangea = sandbox.pangea();
    /// let polling =
    ///     Polling::new(Duration::from_secs(5)).backoff(Duration::from_millis(5), Duration::from_millis(20));
    /// let service =
    ///     Client::builder(pangea.service_token()).base_url(pangea.base_url()).polling(polling).build()?;
    /// pangea.accept_next(2);
    /// let created = service.user_create(&NewUser::new("ada@example.com")).await?;
    /// assert_eq!(created.result.email, "ada@example.com");
    /// let polls = pangea.requests().iter().filter(|r| r.path.starts_with("/request/")).count();
    /// assert_eq!(polls, 3);
    /// # Ok(()) }
    /// ```
    pub fn accept_next(&self, polls: usize) {
        self.lock().accept_next = Some(polls);
    }

    /// Every request received under the base URL, oldest first.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = sandbox.pangea();
    /// # let service = accountkit::pangea::Client::builder(pangea.service_token());
    /// # let service = service.base_url(pangea.base_url()).build()?;
    /// use accountkit::pangea::NewUser;
    ///
    /// service.user_create(&NewUser::new("ada@example.com")).await?;
    /// let request = &pangea.requests()[0];
    /// assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/v2/user/create"));
    /// assert!(request.had_bearer);
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

impl crate::Fake for Pangea {
    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn router(&self) -> Router {
        Router::new()
            .route("/v2/{*operation}", post(operation))
            .route("/request/{request_id}", get(poll))
            .method_not_allowed_fallback(wrong_method)
            .fallback(not_found)
            .layer(middleware::from_fn_with_state(self.clone(), record))
            .with_state(self.clone())
    }

    fn admin_routes(&self) -> Router {
        Router::new()
            .route("/tokens", get(admin_tokens))
            .route("/users", post(admin_users))
            .route("/passwords", post(admin_password))
            .route("/authenticators", post(admin_authenticator))
            .route("/lock-out", post(admin_lock_out))
            .route("/login-codes", post(admin_login_code))
            .route("/accept-next", post(admin_accept_next))
            .with_state(self.clone())
    }

    /// The project's service and client tokens stay as they were.
    fn reset(&self) {
        let mut state = self.lock();
        let (service_token, client_token) = (state.service_token.clone(), state.client_token.clone());
        *state = StateData { service_token, client_token, ..StateData::default() };
    }

    fn requests(&self, read: &mut admin::Read) {
        read.requests(&self.lock().requests, |r| json!({"method": r.method, "path": r.path}));
    }
}

async fn admin_tokens(State(fake): State<Pangea>) -> admin::Reply {
    let (service, client) = (fake.service_token(), fake.client_token());
    admin::ok(json!({"service_token": service.expose_secret(), "client_token": client.expose_secret()}))
}

/// The most users admin seeding fills a fake up to: a loop of seeding calls
/// cannot grow the server without bound.
const MAX_SEEDED_USERS: usize = 100_000;

async fn admin_users(State(fake): State<Pangea>, body: admin::Body) -> admin::Reply {
    let count = usize::try_from(body.number("count")?).unwrap_or(usize::MAX).min(10_000);
    match fake.seed_users_within(count, MAX_SEEDED_USERS) {
        Ok(ids) => admin::ok(json!({"ids": ids})),
        Err(has) => Err(admin::fail(
            StatusCode::BAD_REQUEST,
            format!(
                "`count`: the Pangea fake holds at most {MAX_SEEDED_USERS} users and has {has}; reset it first"
            ),
        )),
    }
}

async fn admin_password(State(fake): State<Pangea>, body: admin::Body) -> admin::Reply {
    if fake.set_password(body.text("email")?, body.text("password")?) {
        admin::ok(json!({"set": true}))
    } else {
        Err(admin::not_found("such user"))
    }
}

async fn admin_authenticator(State(fake): State<Pangea>, body: admin::Body) -> admin::Reply {
    let id = fake
        .add_authenticator(body.text("email")?, body.text("kind")?)
        .ok_or_else(|| admin::not_found("such user"))?;
    admin::ok(json!({"id": id}))
}

async fn admin_lock_out(State(fake): State<Pangea>, body: admin::Body) -> admin::Reply {
    if fake.lock_out(body.text("email")?) {
        admin::ok(json!({"locked": true}))
    } else {
        Err(admin::not_found("such user"))
    }
}

async fn admin_login_code(State(fake): State<Pangea>, body: admin::Body) -> admin::Reply {
    let code = fake.login_code(body.text("email")?).ok_or_else(|| admin::not_found("such user"))?;
    admin::ok(json!({"code": code.expose_secret()}))
}

async fn admin_accept_next(State(fake): State<Pangea>, body: admin::Body) -> admin::Reply {
    let polls = usize::try_from(body.number("polls")?).unwrap_or(usize::MAX).min(1000);
    fake.accept_next(polls);
    admin::ok(json!({"polls": polls}))
}

// ---------------------------------------------------------------------------
// State

#[derive(Debug, Default)]
struct StateData {
    service_token: String,
    client_token: String,
    users: HashMap<String, UserRec>,
    by_email: HashMap<String, String>,
    /// Creation counter: orders users created in the same instant.
    created: u64,
    seeded: u64,
    codes: HashMap<String, String>,
    user_tokens: HashMap<String, String>,
    accept_next: Option<usize>,
    pending: HashMap<String, PendingAnswer>,
    requests: crate::Log<RecordedRequest>,
}

#[derive(Debug)]
struct PendingAnswer {
    polls_left: usize,
    status: StatusCode,
    body: Value,
}

#[derive(Debug, Clone)]
struct UserRec {
    id: String,
    email: String,
    username: Option<String>,
    phone: Option<String>,
    profile: BTreeMap<String, String>,
    verified: bool,
    disabled: bool,
    locked_out: bool,
    created_at: DateTime<Utc>,
    seq: u64,
    last_login_at: Option<DateTime<Utc>>,
    login_count: u64,
    password: Option<String>,
    authenticators: Vec<AuthenticatorRec>,
}

#[derive(Debug, Clone)]
struct AuthenticatorRec {
    id: String,
    kind: String,
    created_at: DateTime<Utc>,
}

impl AuthenticatorRec {
    fn new(kind: &str) -> AuthenticatorRec {
        AuthenticatorRec { id: pangea_id("pau"), kind: kind.to_string(), created_at: crate::now() }
    }

    fn json(&self) -> Value {
        let at = timestamp(self.created_at);
        json!({"id": self.id, "type": self.kind, "enabled": true, "phase": "primary",
               "created_at": at, "updated_at": at})
    }
}

impl UserRec {
    /// The name a user is known by: the one given at creation, else the email.
    fn username(&self) -> &str {
        self.username.as_deref().unwrap_or(&self.email)
    }

    fn json(&self) -> Value {
        let mut user = json!({
            "id": self.id,
            "email": self.email,
            "profile": self.profile,
            "verified": self.verified,
            "disabled": self.disabled,
            "locked_out": self.locked_out,
            "created_at": timestamp(self.created_at),
            "login_count": self.login_count,
            "authenticators": self.authenticators.iter().map(AuthenticatorRec::json).collect::<Vec<_>>(),
            "groups": [],
        });
        // Optional in the spec, but both vendor SDKs' `User` types require
        // it (the Python one refuses a user without it) and their live tests
        // read back users made from an email alone: such a user is known by
        // the email, so that is its username.
        user["username"] = json!(self.username());
        if let Some(phone) = &self.phone {
            user["phone"] = json!(phone);
        }
        if let Some(at) = self.last_login_at {
            user["last_login_at"] = json!(timestamp(at));
        }
        user
    }
}

/// A value to sort users by; missing values first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    Missing,
    Count(u64),
    Date(DateTime<Utc>),
    Text(String),
}

impl UserRec {
    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "id" => SortKey::Text(self.id.clone()),
            "email" => SortKey::Text(self.email.clone()),
            "created_at" => SortKey::Date(self.created_at),
            "last_login_at" => self.last_login_at.map_or(SortKey::Missing, SortKey::Date),
            "login_count" => SortKey::Count(self.login_count),
            // Not modelled by the fake: every user ties.
            _ => SortKey::Missing,
        }
    }
}

impl StateData {
    fn insert_user(
        &mut self,
        email: String,
        username: Option<String>,
        profile: BTreeMap<String, String>,
    ) -> String {
        let id = pangea_id("pui");
        self.created += 1;
        let seq = self.created;
        let user = UserRec {
            id: id.clone(),
            email: email.clone(),
            username,
            profile,
            verified: true,
            disabled: false,
            locked_out: false,
            phone: None,
            created_at: crate::now(),
            seq,
            last_login_at: None,
            login_count: 0,
            password: None,
            authenticators: Vec::new(),
        };
        self.by_email.insert(email.to_ascii_lowercase(), id.clone());
        self.users.insert(id.clone(), user);
        id
    }

    fn user_by_email_mut(&mut self, email: &str) -> Option<&mut UserRec> {
        let id = self.by_email.get(&email.to_ascii_lowercase())?;
        self.users.get_mut(id)
    }

    /// The user named by exactly one of `id`, `email`, `username`.
    fn find(&self, body: &Map<String, Value>) -> Result<String, Failure> {
        let named: Vec<&str> =
            ["id", "email", "username"].into_iter().filter(|k| body.contains_key(*k)).collect();
        let key = match named.as_slice() {
            [key] => *key,
            [] => {
                return Err(Failure::invalid(
                    "MustProvideOne",
                    "one of id, email, username is required",
                    "/",
                ));
            }
            _ => {
                return Err(Failure::invalid(
                    "MutuallyExclusive",
                    "only one of id, email, username may be given",
                    &format!("/{}", named[1]),
                ));
            }
        };
        let value = string(body, key)?;
        let found = match key {
            "id" => self.users.get(value).map(|u| u.id.clone()),
            "email" => self.by_email.get(&value.to_ascii_lowercase()).cloned(),
            _ => self.users.values().find(|u| u.username() == value).map(|u| u.id.clone()),
        };
        found.ok_or_else(|| Failure::status(StatusCode::BAD_REQUEST, "UserNotFound", "User not found"))
    }
}

// ---------------------------------------------------------------------------
// Wire

/// What an operation answers instead of a result.
#[derive(Debug)]
enum Failure {
    Status(StatusCode, &'static str, String),
    Invalid(Vec<Value>),
}

impl Failure {
    fn invalid(code: &str, detail: &str, source: &str) -> Failure {
        Failure::Invalid(vec![json!({"code": code, "detail": detail, "source": source})])
    }

    fn status(http: StatusCode, status: &'static str, summary: &str) -> Failure {
        Failure::Status(http, status, summary.to_string())
    }

    fn answer(self) -> (StatusCode, &'static str, String, Value) {
        match self {
            Failure::Status(http, status, summary) => (http, status, summary, Value::Null),
            Failure::Invalid(errors) => {
                let summary = format!(
                    "There {} {} error(s)",
                    if errors.len() == 1 { "was" } else { "were" },
                    errors.len()
                );
                (StatusCode::BAD_REQUEST, "ValidationError", summary, json!({"errors": errors}))
            }
        }
    }
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn envelope(request_id: &str, received: DateTime<Utc>, status: &str, summary: &str, result: Value) -> Value {
    json!({
        "request_id": request_id,
        "request_time": timestamp(received),
        "response_time": timestamp(crate::now()),
        "status": status,
        "summary": summary,
        "result": result,
    })
}

async fn record(State(p): State<Pangea>, request: Request, next: Next) -> Response {
    let had_bearer = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "));
    let entry = RecordedRequest {
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
        had_bearer,
    };
    p.lock().requests.push(entry);
    next.run(request).await
}

async fn not_found(method: Method, uri: Uri) -> Response {
    route_error(StatusCode::NOT_FOUND, "NotFound", format!("Route not found: {method} {}", uri.path()))
}

/// 405; the router adds `Allow`.
async fn wrong_method(method: Method, uri: Uri) -> Response {
    route_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}

fn route_error(status: StatusCode, code: &str, summary: String) -> Response {
    json_response(status, envelope(&pangea_id("prq"), crate::now(), code, &summary, Value::Null))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get("authorization")?.to_str().ok()?.strip_prefix("Bearer ").filter(|t| !t.is_empty())
}

type Handler = fn(&mut StateData, &Map<String, Value>) -> Result<Value, Failure>;

async fn operation(
    State(p): State<Pangea>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let received = crate::now();
    let request_id = pangea_id("prq");
    let (http, status, summary, result) = run(&p, &name, &headers, &body).unwrap_or_else(Failure::answer);
    let answer = envelope(&request_id, received, status, &summary, result);
    let mut state = p.lock();
    match state.accept_next.take() {
        Some(polls_left) => {
            state
                .pending
                .insert(request_id.clone(), PendingAnswer { polls_left, status: http, body: answer });
            json_response(StatusCode::ACCEPTED, accepted(&p, &request_id, received, 0))
        }
        None => json_response(http, answer),
    }
}

fn accepted(p: &Pangea, request_id: &str, received: DateTime<Utc>, retries: usize) -> Value {
    let location = format!("{}/request/{request_id}", p.base_url);
    envelope(
        request_id,
        received,
        "Accepted",
        "Your request is in progress",
        json!({"ttl_mins": 5, "retry_counter": retries, "location": location}),
    )
}

type Answer = (StatusCode, &'static str, String, Value);

/// The body fields each operation takes; any other is refused as the
/// vendor does. The properties of the request bodies in the description
/// (a test holds them equal).
const FIELDS: [(&str, &[&str]); 10] = [
    ("client/userinfo", &["code", "flow_id"]),
    ("client/password/change", &["token", "old_password", "new_password"]),
    ("user/create", &["email", "username", "profile"]),
    ("user/delete", &["id", "email", "username"]),
    ("user/list", &["filter", "last", "order", "order_by", "size"]),
    ("user/update", &["id", "email", "username", "disabled", "unlock", "phone"]),
    ("user/profile/get", &["id", "email", "username"]),
    ("user/profile/update", &["id", "email", "username", "profile"]),
    ("user/authenticators/list", &["id", "email", "username"]),
    ("user/authenticators/delete", &["id", "email", "username", "authenticator_id"]),
];

fn run(p: &Pangea, name: &str, headers: &HeaderMap, body: &[u8]) -> Result<Answer, Failure> {
    let (handler, client_op): (Handler, bool) = match name {
        "client/userinfo" => (client_userinfo, true),
        "client/password/change" => (client_password_change, true),
        "user/create" => (user_create, false),
        "user/delete" => (user_delete, false),
        "user/list" => (user_list, false),
        "user/update" => (user_update, false),
        "user/profile/get" => (user_profile_get, false),
        "user/profile/update" => (user_profile_update, false),
        "user/authenticators/list" => (user_authenticators_list, false),
        "user/authenticators/delete" => (user_authenticators_delete, false),
        _ => {
            return Err(Failure::status(
                StatusCode::NOT_FOUND,
                "NotFound",
                &format!("Route not found: POST /v2/{name}"),
            ));
        }
    };
    let allowed = FIELDS.iter().find(|(op, _)| *op == name).map_or(&[][..], |(_, fields)| fields);
    let mut state = p.lock();
    let expected = if client_op { &state.client_token } else { &state.service_token };
    if bearer(headers) != Some(expected.as_str()) {
        return Err(Failure::status(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Not authorized to access this resource",
        ));
    }
    let body = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => map,
        _ => return Err(Failure::invalid("InvalidObject", "the body must be a JSON object", "/")),
    };
    let unexpected: Vec<Value> = body
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .map(|k| json!({"code": "UnexpectedProperty", "detail": format!("unexpected property {k}"), "source": format!("/{k}")}))
        .collect();
    if !unexpected.is_empty() {
        return Err(Failure::Invalid(unexpected));
    }
    let result = handler(&mut state, &body)?;
    Ok((StatusCode::OK, "Success", "Done".to_string(), result))
}

async fn poll(State(p): State<Pangea>, Path(request_id): Path<String>, headers: HeaderMap) -> Response {
    let received = crate::now();
    let mut state = p.lock();
    let token = bearer(&headers).unwrap_or_default();
    if token != state.service_token && token != state.client_token {
        let body = envelope(
            &pangea_id("prq"),
            received,
            "Unauthorized",
            "Not authorized to access this resource",
            Value::Null,
        );
        return json_response(StatusCode::UNAUTHORIZED, body);
    }
    let Some(pending) = state.pending.get_mut(&request_id) else {
        let body = envelope(&request_id, received, "NotFound", "No such request", Value::Null);
        return json_response(StatusCode::NOT_FOUND, body);
    };
    if pending.polls_left > 0 {
        pending.polls_left -= 1;
        drop(state);
        return json_response(StatusCode::ACCEPTED, accepted(&p, &request_id, received, 1));
    }
    let done = state.pending.remove(&request_id).expect("present above");
    json_response(done.status, done.body)
}

// ---------------------------------------------------------------------------
// Field readers

fn string<'a>(body: &'a Map<String, Value>, key: &str) -> Result<&'a str, Failure> {
    match body.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) => {
            Err(Failure::invalid("BelowMinLength", &format!("{key} is empty"), &format!("/{key}")))
        }
        None => Err(Failure::invalid("FieldRequired", &format!("{key} is required"), &format!("/{key}"))),
        Some(_) => {
            Err(Failure::invalid("InvalidString", &format!("{key} must be a string"), &format!("/{key}")))
        }
    }
}

fn optional_string<'a>(body: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, Failure> {
    if body.contains_key(key) { string(body, key).map(Some) } else { Ok(None) }
}

fn optional_bool(body: &Map<String, Value>, key: &str) -> Result<Option<bool>, Failure> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => {
            Err(Failure::invalid("InvalidBool", &format!("{key} must be a boolean"), &format!("/{key}")))
        }
    }
}

fn object<'a>(body: &'a Map<String, Value>, key: &str) -> Result<&'a Map<String, Value>, Failure> {
    match body.get(key) {
        Some(Value::Object(map)) => Ok(map),
        None => Err(Failure::invalid("FieldRequired", &format!("{key} is required"), &format!("/{key}"))),
        Some(_) => {
            Err(Failure::invalid("InvalidObject", &format!("{key} must be an object"), &format!("/{key}")))
        }
    }
}

fn looks_like_email(value: &str) -> bool {
    value.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
}

// ---------------------------------------------------------------------------
// Operations

fn token_info(user: &UserRec, token: &str, kind: &str, life: i64) -> Value {
    let now = crate::now();
    json!({
        "id": pangea_id("pmt"), "token": token, "type": kind, "life": life,
        "expire": timestamp(crate::later(now, TimeDelta::try_seconds(life).unwrap_or(TimeDelta::MAX))), "identity": user.id, "email": user.email,
        "profile": user.profile, "scopes": [], "enabled": true, "created_at": timestamp(now),
    })
}

fn client_userinfo(state: &mut StateData, body: &Map<String, Value>) -> Result<Value, Failure> {
    let code = string(body, "code")?;
    optional_string(body, "flow_id")?;
    let Some(user_id) = state.codes.remove(code) else {
        return Err(Failure::status(
            StatusCode::BAD_REQUEST,
            "InvalidCode",
            "The login code is unknown or used",
        ));
    };
    let active = pangea_id("ptu");
    state.user_tokens.insert(active.clone(), user_id.clone());
    let user = state
        .users
        .get_mut(&user_id)
        .ok_or_else(|| Failure::status(StatusCode::BAD_REQUEST, "UserNotFound", "User not found"))?;
    user.login_count += 1;
    user.last_login_at = Some(crate::now());
    Ok(json!({
        "refresh_token": token_info(user, &pangea_id("ptr"), "session", 172_800),
        "active_token": token_info(user, &active, "user", 1_800),
    }))
}

fn client_password_change(state: &mut StateData, body: &Map<String, Value>) -> Result<Value, Failure> {
    let token = string(body, "token")?;
    let old = string(body, "old_password")?;
    let new = string(body, "new_password")?;
    let user = state.user_tokens.get(token).and_then(|id| state.users.get_mut(id)).ok_or_else(|| {
        Failure::status(StatusCode::BAD_REQUEST, "InvalidToken", "The user token is not valid")
    })?;
    if user.password.as_deref() != Some(old) {
        return Err(Failure::status(
            StatusCode::BAD_REQUEST,
            "IncorrectPassword",
            "The old password is wrong",
        ));
    }
    user.password = Some(new.to_string());
    Ok(json!({}))
}

fn user_create(state: &mut StateData, body: &Map<String, Value>) -> Result<Value, Failure> {
    let email = string(body, "email")?;
    if !looks_like_email(email) {
        return Err(Failure::invalid("BadFormatEmail", "email is not an email address", "/email"));
    }
    let username = optional_string(body, "username")?;
    let mut profile = BTreeMap::new();
    for (key, value) in object(body, "profile")? {
        match value {
            Value::String(s) => profile.insert(key.clone(), s.clone()),
            _ => {
                return Err(Failure::invalid(
                    "InvalidString",
                    "profile values are strings",
                    &format!("/profile/{key}"),
                ));
            }
        };
    }
    let taken = state.by_email.contains_key(&email.to_ascii_lowercase())
        || username.is_some_and(|name| state.users.values().any(|u| u.username() == name));
    if taken {
        return Err(Failure::status(
            StatusCode::BAD_REQUEST,
            "UserExists",
            "A user with this email or username exists",
        ));
    }
    let id = state.insert_user(email.to_string(), username.map(str::to_string), profile);
    Ok(state.users[&id].json())
}

fn user_delete(state: &mut StateData, body: &Map<String, Value>) -> Result<Value, Failure> {
    let id = state.find(body)?;
    if let Some(user) = state.users.remove(&id) {
        state.by_email.remove(&user.email.to_ascii_lowercase());
        state.user_tokens.retain(|_, owner| *owner != id);
    }
    Ok(json!({}))
}

fn user_update(state: &mut StateData, body: &Map<String, Value>) -> Result<Value, Failure> {
    let id = state.find(body)?;
    let disabled = optional_bool(body, "disabled")?;
    let unlock = optional_bool(body, "unlock")?;
    let phone = optional_string(body, "phone")?;
    if let Some(phone) = phone {
        // E.164: a `+`, then digits, which the vendor's example groups with `-`.
        let digits = phone.strip_prefix('+').map(|rest| rest.replace('-', ""));
        if !digits.is_some_and(|d| (7..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit())) {
            return Err(Failure::invalid("BadFormatPhone", "phone is not an E.164 number", "/phone"));
        }
    }
    let user = state.users.get_mut(&id).expect("found above");
    if let Some(disabled) = disabled {
        user.disabled = disabled;
    }
    if unlock == Some(true) {
        user.locked_out = false;
    }
    if let Some(phone) = phone {
        user.phone = Some(phone.to_string());
    }
    Ok(user.json())
}

fn user_profile_get(state: &mut StateData, body: &Map<String, Value>) -> Result<Value, Failure> {
    let id = state.find(body)?;
    Ok(state.users[&id].json())
}

fn user_profile_update(state: &mut StateData, body: &Map<String, Value>) -> Result<Value, Failure> {
    let id = state.find(body)?;
    let edits = object(body, "profile")?;
    for (key, value) in edits {
        if !matches!(value, Value::String(_) | Value::Null) {
            return Err(Failure::invalid(
                "InvalidString",
                "profile values are strings or null",
                &format!("/profile/{key}"),
            ));
        }
    }
    let user = state.users.get_mut(&id).expect("found above");
    for (key, value) in edits {
        match value {
            Value::String(s) => user.profile.insert(key.clone(), s.clone()),
            _ => user.profile.remove(key),
        };
    }
    Ok(user.json())
}

fn user_authenticators_list(state: &mut StateData, body: &Map<String, Value>) -> Result<Value, Failure> {
    let id = state.find(body)?;
    let list: Vec<Value> = state.users[&id].authenticators.iter().map(AuthenticatorRec::json).collect();
    Ok(json!({"authenticators": list}))
}

fn user_authenticators_delete(state: &mut StateData, body: &Map<String, Value>) -> Result<Value, Failure> {
    let authenticator_id = string(body, "authenticator_id")?;
    let ident: Map<String, Value> =
        body.iter().filter(|(k, _)| *k != "authenticator_id").map(|(k, v)| (k.clone(), v.clone())).collect();
    let id = state.find(&ident)?;
    let user = state.users.get_mut(&id).expect("found above");
    let before = user.authenticators.len();
    user.authenticators.retain(|a| a.id != authenticator_id);
    if user.authenticators.len() == before {
        return Err(Failure::status(
            StatusCode::BAD_REQUEST,
            "AuthenticatorNotFound",
            "No such authenticator",
        ));
    }
    Ok(json!({}))
}

// ---------------------------------------------------------------------------
// Listing

const ORDER_BY: &[&str] = &[
    "id",
    "created_at",
    "last_login_at",
    "last_login_ip",
    "login_count",
    "email",
    "accepted_eula_id",
    "accepted_privacy_policy_id",
];

fn user_list(state: &mut StateData, body: &Map<String, Value>) -> Result<Value, Failure> {
    let size = match body.get("size") {
        None => DEFAULT_PAGE_SIZE,
        Some(Value::Number(n)) => match n.as_u64() {
            Some(n @ 1..) => usize::try_from(n).unwrap_or(usize::MAX).min(MAX_PAGE_SIZE),
            _ => return Err(Failure::invalid("NotWithinRange", "size must be at least 1", "/size")),
        },
        Some(_) => return Err(Failure::invalid("InvalidInteger", "size must be an integer", "/size")),
    };
    let descending = match optional_string(body, "order")? {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(Failure::invalid("NotEnumMember", "order is asc or desc", "/order")),
    };
    let order_by = optional_string(body, "order_by")?.unwrap_or("id");
    if !ORDER_BY.contains(&order_by) {
        return Err(Failure::invalid("NotEnumMember", "order_by is not a sortable field", "/order_by"));
    }
    let offset = match optional_string(body, "last")? {
        None => 0,
        Some(cursor) => cursor
            .strip_prefix("pcu_")
            .and_then(|n| usize::from_str_radix(n, 16).ok())
            .ok_or_else(|| Failure::invalid("BadFormat", "last is not a cursor of this list", "/last"))?,
    };
    let filter = match body.get("filter") {
        None => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return Err(Failure::invalid("InvalidObject", "filter must be an object", "/filter")),
    };
    let conditions = filter.iter().map(|(k, v)| Condition::parse(k, v)).collect::<Result<Vec<_>, _>>()?;

    let mut users: Vec<&UserRec> = state
        .users
        .values()
        .filter(|u| {
            conditions.is_empty() || {
                let json = u.json();
                conditions.iter().all(|c| c.matches(&json))
            }
        })
        .collect();
    users.sort_by_cached_key(|u| (u.sort_key(order_by), u.seq, u.id.clone()));
    if descending {
        users.reverse();
    }
    let count = users.len();
    let page: Vec<Value> = users.into_iter().skip(offset).take(size).map(UserRec::json).collect();
    let mut result = json!({"users": page, "count": count});
    if offset + size < count {
        result["last"] = json!(format!("pcu_{:x}", offset + size));
    }
    Ok(result)
}

/// Orders JSON values of one field: dates as dates, numbers as numbers,
/// missing values first.
fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .unwrap_or_default()
            .partial_cmp(&y.as_f64().unwrap_or_default())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => match (parse_date(x), parse_date(y)) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => x.cmp(y),
        },
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc))
}

/// One filter condition.
struct Condition {
    field: String,
    profile: bool,
    test: Test,
}

enum Test {
    Equals(Value),
    Contains(Vec<String>),
    In(Vec<Value>),
    Range(Ordering, bool, Value),
    Exists(bool),
    Scopes,
}

impl Condition {
    fn parse(key: &str, value: &Value) -> Result<Condition, Failure> {
        let bad = |detail: &str| Failure::invalid("UnexpectedProperty", detail, &format!("/filter/{key}"));
        let (field, op) = key.split_once("__").map_or((key, None), |(f, o)| (f, Some(o)));
        let (field, profile) = match field.strip_prefix("profile_") {
            Some(name) if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphabetic()) => (name, true),
            Some(_) => return Err(bad("profile keys are letters only")),
            None => (field, false),
        };
        let texts = [
            "id",
            "email",
            "username",
            "accepted_eula_id",
            "accepted_privacy_policy_id",
            "last_login_ip",
            "last_login_city",
            "last_login_country",
        ];
        let ranges = ["created_at", "last_login_at", "login_count"];
        let flags = ["disabled", "verified", "require_mfa"];
        let strings = |v: &Value| -> Result<Vec<String>, Failure> {
            v.as_array()
                .and_then(|a| a.iter().map(|s| s.as_str().map(str::to_string)).collect::<Option<Vec<_>>>())
                .ok_or_else(|| {
                    Failure::invalid(
                        "InvalidArray",
                        "expected an array of strings",
                        &format!("/filter/{key}"),
                    )
                })
        };
        let test = match (profile, field, op) {
            (true, _, None) => Test::Equals(value.clone()),
            (true, _, Some("contains")) => Test::Contains(strings(value)?),
            (true, _, Some("exists")) => {
                Test::Exists(value.as_bool().ok_or_else(|| bad("expected a boolean"))?)
            }
            (false, f, None) if texts.contains(&f) || ranges.contains(&f) || flags.contains(&f) => {
                Test::Equals(value.clone())
            }
            (false, "scopes", None) => {
                strings(value)?;
                Test::Scopes
            }
            (false, f, Some("contains")) if texts.contains(&f) => Test::Contains(strings(value)?),
            (false, f, Some("in")) if texts.contains(&f) => {
                Test::In(value.as_array().cloned().ok_or_else(|| bad("expected an array"))?)
            }
            (false, f, Some(op)) if ranges.contains(&f) => match op {
                "gt" => Test::Range(Ordering::Greater, false, value.clone()),
                "gte" => Test::Range(Ordering::Greater, true, value.clone()),
                "lt" => Test::Range(Ordering::Less, false, value.clone()),
                "lte" => Test::Range(Ordering::Less, true, value.clone()),
                _ => return Err(bad("unknown filter")),
            },
            _ => return Err(bad("unknown filter")),
        };
        Ok(Condition { field: field.to_string(), profile, test })
    }

    fn matches(&self, user: &Value) -> bool {
        let value = if self.profile { &user["profile"][&self.field] } else { &user[&self.field] };
        match &self.test {
            Test::Equals(expected) => match (value, expected) {
                (Value::String(a), Value::String(b)) => match (parse_date(a), parse_date(b)) {
                    (Some(a), Some(b)) => a == b,
                    _ => a == b,
                },
                // `require_mfa` and friends the fake does not model read as false.
                (Value::Null, Value::Bool(b)) => !b,
                _ => value == expected,
            },
            Test::Contains(parts) => {
                value.as_str().is_some_and(|s| parts.iter().all(|p| s.contains(p.as_str())))
            }
            Test::In(values) => values.contains(value),
            Test::Range(side, inclusive, bound) => {
                !value.is_null() && {
                    let order = compare(value, bound);
                    order == *side || (*inclusive && order == Ordering::Equal)
                }
            }
            Test::Exists(exists) => value.is_null() != *exists,
            // The fake's users hold no scopes.
            Test::Scopes => false,
        }
    }
}

#[cfg(test)]
mod tests;
