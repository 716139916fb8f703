//! Fake of the Cycle platform account API.
//!
//! Served under `/cycle`; point a Cycle client at [`Cycle::base_url`]. The
//! account section has no sign-up or login routes, so accounts are made and
//! logged into through the handle ([`Cycle::create_account`],
//! [`Cycle::sign_in`]); each sign-in is recorded as a login the API lists.
//! Password-reset emails land in the [outbox](Cycle::outbox); hub
//! invitations come from [`Cycle::invite`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use accountkit::cycle::Client;
//! use accountkit_sandbox::Sandbox;
//!
//! let sandbox = Sandbox::start().await?;
//! let cycle = sandbox.cycle();
//! let token = cycle.create_account("ada@example.com", "Ada", "Lovelace", "correct horse");
//! // In production: Client::new(api_key), which talks to api.cycle.io.
//! let client = Client::builder().base_url(cycle.base_url()).token(token).build()?;
//! let account = client.get_account().await?;
//! assert_eq!(account.email.address, "ada@example.com");
//! # Ok(()) }
//! ```
//!
//! The examples below start a sandbox the same way, in hidden lines, and most
//! also hide making Ada's account and a `client` for it as above.
//!
//! Wire behaviour:
//! - success is `{"data": ...}`, HTTP 200 (202 for a deletion);
//! - a missing or unknown bearer token answers 401 in the OAuth shape
//!   `{"error": "invalid_token", "error_description": "..."}`;
//! - every other error is `{"error": {"status", "code", "title", "source"?}, "data": null}`;
//! - two-factor codes are real TOTP codes (SHA-1, 6 digits, 30 s, one step
//!   of skew) checked against the secret the setup handed out; a wrong one
//!   answers 403 `403.2fa-failed`;
//! - recovery codes work once;
//! - deleting an account that owns a hub ([`Cycle::add_hub`]) answers 409
//!   `409.hub-owner` (the sandbox's own code: the vendor documents the
//!   refusal, not its code);
//! - a deletion answers 202 with a queued job and leaves the account in
//!   state `deleting`; each `GET /v1/jobs/{id}` moves the job on, `queued` →
//!   `running` → `completed`, and on completion the account and its tokens
//!   are gone. [`Cycle::fail_next_job`] makes the next job end in `error`
//!   instead, the account left live. An unknown job answers 404 `404.job`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use chrono::{DateTime, SecondsFormat, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};

use crate::{HEX, URL_SAFE, admin, json_response, random_string};

/// Path prefix the Cycle routes are nested under.
pub(crate) const PREFIX: &str = "/cycle";

/// Handle to the Cycle fake: cheap to clone, all clones share one state.
#[derive(Clone)]
pub struct Cycle {
    base_url: Arc<str>,
    state: Arc<Mutex<StateData>>,
}

impl fmt::Debug for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cycle").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

/// An email the fake "sent".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Address it was sent to.
    pub to: String,
    /// The password-reset token it carries (single use).
    pub reset_token: String,
}

/// One request the fake received. Credentials and bodies are never kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `"PATCH"`.
    pub method: String,
    /// Path relative to [`Cycle::base_url`], e.g. `"/v1/account"`.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Whether an `Authorization` header was present.
    pub had_bearer: bool,
    /// The `X-Hub-Id` header, if sent.
    pub hub_id: Option<String>,
}

/// A deletion job the fake started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Job id.
    pub id: String,
    /// `"delete"`.
    pub action: String,
    /// The deleted account's email.
    pub email: String,
    /// `queued`, `running`, `completed` or `error`.
    pub state: String,
}

/// Why [`Cycle::sign_in`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInError {
    /// No account with that email.
    UnknownAccount,
    /// Wrong password.
    WrongPassword,
    /// Two-factor auth is on and no code was given.
    TwoFactorRequired,
    /// The two-factor code is wrong.
    WrongTwoFactorCode,
}

impl Cycle {
    pub(crate) fn new(base_url: String) -> Cycle {
        Cycle { base_url: base_url.into(), state: Arc::default() }
    }

    /// Base URL of the fake, e.g. `http://127.0.0.1:PORT/cycle` (no trailing slash).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::cycle::Client;
    ///
    /// let cycle = sandbox.cycle();
    /// let token = cycle.create_account("ada@example.com", "Ada", "Lovelace", "correct horse");
    /// let client = Client::builder().base_url(cycle.base_url()).token(token).build()?;
    /// assert_eq!(client.get_account().await?.email.address, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub fn base_url(&self) -> String {
        self.base_url.to_string()
    }

    /// Creates a live account and returns an API token for it. Replaces any
    /// account with that email.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::cycle::{AccountState, Client};
    ///
    /// let cycle = sandbox.cycle();
    /// let token = cycle.create_account("ada@example.com", "Ada", "Lovelace", "correct horse");
    /// let client = Client::builder().base_url(cycle.base_url()).token(token).build()?;
    /// let account = client.get_account().await?;
    /// assert_eq!((account.name.first.as_str(), account.name.last.as_str()), ("Ada", "Lovelace"));
    /// assert_eq!(account.state, AccountState::Live);
    /// # Ok(()) }
    /// ```
    pub fn create_account(
        &self,
        email: &str,
        first: &str,
        last: &str,
        password: impl Into<SecretString>,
    ) -> SecretString {
        let mut state = self.lock();
        let id = random_string(HEX, 24);
        let now = now();
        state.accounts.insert(
            email.to_string(),
            AccountData {
                id,
                email: email.to_string(),
                first: first.to_string(),
                last: last.to_string(),
                password: password.into().expose_secret().to_owned(),
                allow_support_login: false,
                created: now,
                updated: now,
                last_login: None,
                totp: None,
                recovery_codes: Vec::new(),
                logins: Vec::new(),
                hubs: Vec::new(),
                memberships: Vec::new(),
                deleting: false,
            },
        );
        state.issue_token(email).into()
    }

    /// Logs in as the portal would, recording the login (failed ones too),
    /// and returns a new session token. `totp_code` is needed when two-factor
    /// auth is on.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let cycle = sandbox.cycle();
    /// # let token = cycle.create_account("ada@example.com", "Ada", "Lovelace", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(cycle.base_url()).token(token).build()?;
    /// use accountkit_sandbox::cycle::SignInError;
    ///
    /// let setup = client.two_factor_setup().await?;
    /// client.enable_two_factor_with(&setup).await?;
    /// let refused = cycle.sign_in("ada@example.com", "correct horse", None);
    /// assert_eq!(refused.err(), Some(SignInError::TwoFactorRequired));
    /// let code = setup.current_code()?;
    /// assert!(cycle.sign_in("ada@example.com", "correct horse", Some(code)).is_ok());
    /// # Ok(()) }
    /// ```
    pub fn sign_in(
        &self,
        email: &str,
        password: impl Into<SecretString>,
        totp_code: Option<SecretString>,
    ) -> Result<SecretString, SignInError> {
        let password = password.into();
        let totp_code = totp_code.as_ref().map(ExposeSecret::expose_secret);
        let mut state = self.lock();
        let account = state.accounts.get_mut(email).ok_or(SignInError::UnknownAccount)?;
        let outcome = if account.password != password.expose_secret() {
            Err(SignInError::WrongPassword)
        } else {
            match (account.active_totp(), totp_code) {
                (None, _) => Ok(()),
                (Some(_), None) => Err(SignInError::TwoFactorRequired),
                (Some(secret), Some(code)) if totp_matches(secret, code) => Ok(()),
                (Some(_), Some(_)) => Err(SignInError::WrongTwoFactorCode),
            }
        };
        let login_id = random_string(HEX, 24);
        account.logins.push(LoginData {
            id: login_id,
            time: now(),
            employee: None,
            success: outcome.is_ok(),
        });
        if outcome.is_ok() {
            account.last_login = Some(now());
        }
        outcome.map(|()| state.issue_token(email).into())
    }

    /// A Cycle employee logs in as the account; recorded, and allowed only
    /// while the account allows support logins. Returns whether it was.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let cycle = sandbox.cycle();
    /// # let token = cycle.create_account("ada@example.com", "Ada", "Lovelace", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(cycle.base_url()).token(token).build()?;
    /// use accountkit::cycle::AccountUpdate;
    ///
    /// assert!(!cycle.employee_sign_in("ada@example.com"));
    /// client.update_account(&AccountUpdate::new().allow_support_login(true)).await?;
    /// assert!(cycle.employee_sign_in("ada@example.com"));
    /// # Ok(()) }
    /// ```
    pub fn employee_sign_in(&self, email: &str) -> bool {
        let mut state = self.lock();
        let Some(account) = state.accounts.get_mut(email) else { return false };
        let allowed = account.allow_support_login;
        account.logins.push(LoginData {
            id: random_string(HEX, 24),
            time: now(),
            employee: Some(random_string(HEX, 24)),
            success: allowed,
        });
        allowed
    }

    /// Makes the account the owner (and a member) of a new hub; returns the hub id.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let cycle = sandbox.cycle();
    /// # let token = cycle.create_account("ada@example.com", "Ada", "Lovelace", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(cycle.base_url()).token(token).build()?;
    /// use accountkit::ErrorKind;
    ///
    /// cycle.add_hub("ada@example.com").expect("an account");
    /// // A hub's owner cannot delete the account.
    /// let err = client.delete_account().await.unwrap_err();
    /// assert!(matches!(err.kind(), ErrorKind::Conflict));
    /// # Ok(()) }
    /// ```
    pub fn add_hub(&self, email: &str) -> Option<String> {
        let mut state = self.lock();
        let account = state.accounts.get_mut(email)?;
        let hub = random_string(HEX, 24);
        account.hubs.push(hub.clone());
        let now = now();
        account.memberships.push(MembershipData {
            id: random_string(HEX, 24),
            hub_id: hub.clone(),
            state: "accepted",
            sender: None,
            created: now,
            joined: Some(now),
        });
        Some(hub)
    }

    /// Someone invites the account to join a new hub; returns the
    /// invitation's id.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let cycle = sandbox.cycle();
    /// # let token = cycle.create_account("ada@example.com", "Ada", "Lovelace", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(cycle.base_url()).token(token).build()?;
    /// use accountkit::cycle::MembershipState;
    ///
    /// let invite = cycle.invite("ada@example.com").expect("an account");
    /// let membership = client.accept_invite(&invite).await?;
    /// assert_eq!(membership.state, MembershipState::Accepted);
    /// # Ok(()) }
    /// ```
    pub fn invite(&self, email: &str) -> Option<String> {
        let mut state = self.lock();
        let account = state.accounts.get_mut(email)?;
        let id = random_string(HEX, 24);
        account.memberships.push(MembershipData {
            id: id.clone(),
            hub_id: random_string(HEX, 24),
            state: "pending",
            sender: Some(random_string(HEX, 24)),
            created: now(),
            joined: None,
        });
        Some(id)
    }

    /// Deletes a hub; returns whether it existed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let cycle = sandbox.cycle();
    /// # let token = cycle.create_account("ada@example.com", "Ada", "Lovelace", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(cycle.base_url()).token(token).build()?;
    /// let hub = cycle.add_hub("ada@example.com").expect("an account");
    /// assert!(cycle.remove_hub(&hub));
    /// client.delete_account().await?; // no hub left to own
    /// assert!(!cycle.remove_hub(&hub));
    /// # Ok(()) }
    /// ```
    pub fn remove_hub(&self, hub_id: &str) -> bool {
        let mut state = self.lock();
        let mut found = false;
        for account in state.accounts.values_mut() {
            let before = account.hubs.len();
            account.hubs.retain(|h| h != hub_id);
            account.memberships.retain(|m| m.hub_id != hub_id);
            found |= account.hubs.len() != before;
        }
        found
    }

    /// The TOTP secret the account's authenticator app would hold: the
    /// active one, else the one a setup handed out.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let cycle = sandbox.cycle();
    /// # let token = cycle.create_account("ada@example.com", "Ada", "Lovelace", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(cycle.base_url()).token(token).build()?;
    /// use accountkit::cycle::TwoFactorStatus;
    ///
    /// client.enable_two_factor_with(&client.two_factor_setup().await?).await?;
    /// // What the user's authenticator app holds.
    /// let secret = cycle.totp_secret("ada@example.com").expect("2FA set up");
    /// let account = client.disable_two_factor_with(secret).await?;
    /// assert_eq!(account.two_factor, TwoFactorStatus::Off);
    /// # Ok(()) }
    /// ```
    pub fn totp_secret(&self, email: &str) -> Option<SecretString> {
        let state = self.lock();
        state.accounts.get(email)?.totp.as_ref().map(|t| t.secret.as_str().into())
    }

    /// Whether an account exists for that email.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let cycle = sandbox.cycle();
    /// # let token = cycle.create_account("ada@example.com", "Ada", "Lovelace", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(cycle.base_url()).token(token).build()?;
    /// use accountkit::cycle::JobTracking;
    /// use std::time::Duration;
    ///
    /// let tracking = JobTracking::new(Duration::from_secs(10)).interval(Duration::from_millis(10));
    /// client.delete_account_and_wait(&tracking).await?;
    /// assert!(!cycle.account_exists("ada@example.com"));
    /// # Ok(()) }
    /// ```
    pub fn account_exists(&self, email: &str) -> bool {
        self.lock().accounts.contains_key(email)
    }

    /// Every email sent so far, oldest first.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::cycle::Client;
    ///
    /// let cycle = sandbox.cycle();
    /// cycle.create_account("ada@example.com", "Ada", "Lovelace", "correct horse");
    /// let anonymous = Client::builder().base_url(cycle.base_url()).build()?;
    /// anonymous.start_password_reset("ada@example.com").await?;
    /// let outbox = cycle.outbox();
    /// assert_eq!(outbox.len(), 1);
    /// assert_eq!(outbox[0].to, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub fn outbox(&self) -> Vec<Message> {
        self.lock().outbox.to_vec()
    }

    /// The newest password-reset token sent to `email`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::cycle::Client;
    ///
    /// let cycle = sandbox.cycle();
    /// cycle.create_account("ada@example.com", "Ada", "Lovelace", "correct horse");
    /// // Logged out: no token, and the base URL of the Cycle core to ask.
    /// let anonymous = Client::builder().base_url(cycle.base_url()).build()?;
    /// assert!(anonymous.start_password_reset("ada@example.com").await?);
    /// let token = cycle.password_reset_token("ada@example.com").expect("a reset email");
    /// assert!(anonymous.complete_password_reset(token, "battery staple").await?);
    /// assert!(cycle.sign_in("ada@example.com", "battery staple", None).is_ok());
    /// # Ok(()) }
    /// ```
    pub fn password_reset_token(&self, email: &str) -> Option<SecretString> {
        self.lock().outbox.iter().rev().find(|m| m.to == email).map(|m| m.reset_token.as_str().into())
    }

    /// Every deletion job started so far.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let cycle = sandbox.cycle();
    /// # let token = cycle.create_account("ada@example.com", "Ada", "Lovelace", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(cycle.base_url()).token(token).build()?;
    /// let descriptor = client.delete_account().await?;
    /// let jobs = cycle.jobs();
    /// assert_eq!((jobs[0].action.as_str(), jobs[0].email.as_str()), ("delete", "ada@example.com"));
    /// assert_eq!(descriptor.job.map(|job| job.id), Some(jobs[0].id.clone()));
    /// # Ok(()) }
    /// ```
    pub fn jobs(&self) -> Vec<Job> {
        self.lock().jobs.iter().map(|run| run.job.clone()).collect()
    }

    /// Makes the next deletion job fail with `message`, leaving the account.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let cycle = sandbox.cycle();
    /// # let token = cycle.create_account("ada@example.com", "Ada", "Lovelace", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(cycle.base_url()).token(token).build()?;
    /// use accountkit::ErrorKind;
    /// use accountkit::cycle::JobTracking;
    /// use std::time::Duration;
    ///
    /// cycle.fail_next_job("storage is busy");
    /// let tracking = JobTracking::new(Duration::from_secs(10)).interval(Duration::from_millis(10));
    /// let err = client.delete_account_and_wait(&tracking).await.unwrap_err();
    /// assert!(matches!(err.kind(), ErrorKind::Rejected));
    /// assert!(cycle.account_exists("ada@example.com"));
    /// # Ok(()) }
    /// ```
    pub fn fail_next_job(&self, message: &str) {
        self.lock().fail_next_job = Some(message.to_string());
    }

    /// Every request received under the base URL, oldest first (unknown routes included).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let cycle = sandbox.cycle();
    /// # let token = cycle.create_account("ada@example.com", "Ada", "Lovelace", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(cycle.base_url()).token(token).build()?;
    /// client.get_account().await?;
    /// let request = &cycle.requests()[0];
    /// assert_eq!((request.method.as_str(), request.path.as_str()), ("GET", "/v1/account"));
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

impl crate::Fake for Cycle {
    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn router(&self) -> Router {
        Router::new()
            .route("/v1/account", get(get_account).patch(update_account).delete(delete_account))
            .route("/v1/account/logins", get(logins))
            .route("/v1/account/invites", get(invites))
            .route("/v1/account/invites/{invite_id}", patch(answer_invite))
            .route("/v1/account/memberships", get(memberships))
            .route("/v1/account/password", patch(change_password))
            .route("/v1/account/reset-password", post(reset_password))
            .route("/v1/account/2fa/setup", get(two_factor_setup).post(two_factor_enable))
            .route("/v1/account/2fa/disable", post(two_factor_disable))
            .route("/v1/account/2fa/recover", post(two_factor_recover))
            .route("/v1/jobs/{job_id}", get(get_job))
            .method_not_allowed_fallback(wrong_method)
            .fallback(not_found)
            .layer(middleware::from_fn_with_state(self.clone(), record))
            .with_state(self.clone())
    }

    fn admin_routes(&self) -> Router {
        Router::new()
            .route("/accounts", post(admin_account))
            .route("/sign-in", post(admin_sign_in))
            .route("/hubs", post(admin_hub))
            .route("/hubs/{id}", delete(admin_remove_hub))
            .route("/invites", post(admin_invite))
            .route("/totp", get(admin_totp))
            .route("/jobs", get(admin_jobs))
            .with_state(self.clone())
    }

    fn reset(&self) {
        *self.lock() = StateData::default();
    }

    fn outbox(&self, read: &mut admin::Read) {
        read.messages(&self.lock().outbox, |m| (&m.to, "password_reset", &m.reset_token, json!({})));
    }

    fn requests(&self, read: &mut admin::Read) {
        read.requests(&self.lock().requests, |r| json!({"method": r.method, "path": r.path}));
    }
}

async fn admin_account(State(fake): State<Cycle>, body: admin::Body) -> admin::Reply {
    let token = fake.create_account(
        body.text("email")?,
        body.text("first")?,
        body.text("last")?,
        body.text("password")?,
    );
    admin::ok(json!({"token": token.expose_secret()}))
}

async fn admin_sign_in(State(fake): State<Cycle>, body: admin::Body) -> admin::Reply {
    let code = body.0.get("totp_code").and_then(Value::as_str).map(SecretString::from);
    match fake.sign_in(body.text("email")?, body.text("password")?, code) {
        Ok(token) => admin::ok(json!({"token": token.expose_secret()})),
        Err(why) => Err(admin::fail(StatusCode::UNAUTHORIZED, format!("{why:?}"))),
    }
}

async fn admin_hub(State(fake): State<Cycle>, body: admin::Body) -> admin::Reply {
    let hub = fake.add_hub(body.text("email")?).ok_or_else(|| admin::not_found("such account"))?;
    admin::ok(json!({"hub_id": hub}))
}

async fn admin_remove_hub(State(fake): State<Cycle>, Path(id): Path<String>) -> admin::Reply {
    if fake.remove_hub(&id) { admin::ok(json!({"removed": true})) } else { Err(admin::not_found("such hub")) }
}

async fn admin_invite(State(fake): State<Cycle>, body: admin::Body) -> admin::Reply {
    let id = fake.invite(body.text("email")?).ok_or_else(|| admin::not_found("such account"))?;
    admin::ok(json!({"id": id}))
}

async fn admin_totp(State(fake): State<Cycle>, Query(q): Query<admin::Params>) -> admin::Reply {
    let secret =
        fake.totp_secret(admin::param(&q, "email")?).ok_or_else(|| admin::not_found("TOTP secret"))?;
    let secret = secret.expose_secret();
    let code = totp_code(secret).ok_or_else(|| admin::not_found("usable TOTP secret"))?;
    admin::ok(json!({"secret": secret, "code": code}))
}

async fn admin_jobs(State(fake): State<Cycle>) -> admin::Reply {
    let jobs: Vec<Value> = fake
        .jobs()
        .into_iter()
        .map(|job| json!({"id": job.id, "action": job.action, "email": job.email}))
        .collect();
    admin::ok(Value::Array(jobs))
}

// ---------------------------------------------------------------------------
// State

#[derive(Default)]
struct StateData {
    accounts: HashMap<String, AccountData>,
    /// Bearer token → account email.
    tokens: HashMap<String, String>,
    /// Reset token → account email.
    reset_tokens: HashMap<String, String>,
    outbox: crate::Log<Message>,
    jobs: Vec<JobRun>,
    fail_next_job: Option<String>,
    requests: crate::Log<RecordedRequest>,
}

/// A job and what the fake needs to run it.
struct JobRun {
    job: Job,
    account_id: String,
    queued: DateTime<Utc>,
    started: Option<DateTime<Utc>>,
    completed: Option<DateTime<Utc>>,
    failure: Option<String>,
}

impl JobRun {
    /// Moves the job one state on: queued → running → completed (or error).
    fn advance(&mut self) {
        let at = now();
        match self.job.state.as_str() {
            "queued" => {
                self.job.state = "running".into();
                self.started = Some(at);
            }
            "running" => {
                self.job.state = if self.failure.is_some() { "error" } else { "completed" }.into();
                self.completed = Some(at);
            }
            _ => {}
        }
    }

    fn to_json(&self) -> Value {
        let time = |t: Option<DateTime<Utc>>| t.map_or(ZERO_TIME.to_string(), timestamp);
        let state = self.job.state.as_str();
        let task_state = match state {
            "queued" => "pending",
            other => other,
        };
        let error = self.failure.as_ref().filter(|_| state == "error").map(|m| json!({"message": m}));
        // The step completes only when the job does.
        let step_completed = if state == "completed" { self.completed } else { None };
        json!({
            "id": self.job.id,
            "hub_id": "",
            "queue": "account",
            "caption": "Delete account",
            "events": {
                "queued": timestamp(self.queued), "started": time(self.started), "completed": time(self.completed),
            },
            "schedule": timestamp(self.queued),
            "expires": timestamp(self.queued + chrono::TimeDelta::hours(1)),
            "tasks": [{
                "id": format!("{}-1", self.job.id),
                "caption": "Deleting account",
                "header": "delete",
                "events": {
                    "queued": timestamp(self.queued), "started": time(self.started),
                    "completed": time(self.completed),
                },
                "steps": [{
                    "caption": "Removing account", "description": "Removes the account and its logins",
                    "started": time(self.started), "completed": time(step_completed),
                }],
                "state": {"current": task_state, "changed": timestamp(now())},
                "input": {"account_id": self.account_id},
                "output": null,
                "error": error,
            }],
            "hash": self.job.id,
            "limit_duplicates": false,
            "creator": {"type": "account", "id": self.account_id},
            "state": {"current": state, "changed": timestamp(now()), "error": error},
        })
    }
}

impl StateData {
    fn issue_token(&mut self, email: &str) -> String {
        let token = random_string(URL_SAFE, 40);
        self.tokens.insert(token.clone(), email.to_string());
        token
    }

    fn account_of(&mut self, headers: &HeaderMap) -> Result<&mut AccountData, ApiError> {
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::OAuth("No bearer token in the Authorization header"))?;
        let email = self.tokens.get(token).ok_or(ApiError::OAuth("The token is unknown or expired"))?;
        self.accounts.get_mut(email).ok_or(ApiError::OAuth("The token is unknown or expired"))
    }
}

struct AccountData {
    id: String,
    email: String,
    first: String,
    last: String,
    password: String,
    allow_support_login: bool,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
    last_login: Option<DateTime<Utc>>,
    totp: Option<Totp>,
    recovery_codes: Vec<String>,
    logins: Vec<LoginData>,
    hubs: Vec<String>,
    memberships: Vec<MembershipData>,
    /// A deletion job is under way.
    deleting: bool,
}

struct MembershipData {
    id: String,
    hub_id: String,
    state: &'static str,
    /// Who sent the invitation; `None` for the hub's creator.
    sender: Option<String>,
    created: DateTime<Utc>,
    joined: Option<DateTime<Utc>>,
}

struct Totp {
    secret: String,
    verified: bool,
}

struct LoginData {
    id: String,
    time: DateTime<Utc>,
    employee: Option<String>,
    success: bool,
}

impl AccountData {
    fn active_totp(&self) -> Option<&str> {
        self.totp.as_ref().filter(|t| t.verified).map(|t| t.secret.as_str())
    }

    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": {"first": self.first, "last": self.last},
            "email": {"address": self.email, "verified": true, "added": timestamp(self.created)},
            "two_factor_auth": self.totp.as_ref().map(|t| json!({"verified": t.verified})),
            "allow_support_login": self.allow_support_login,
            "state": {
                "current": if self.deleting { "deleting" } else { "live" },
                "changed": timestamp(self.updated),
            },
            "events": {
                "created": timestamp(self.created),
                "updated": timestamp(self.updated),
                "deleted": ZERO_TIME,
                "last_login": self.last_login.map_or(ZERO_TIME.to_string(), timestamp),
            },
        })
    }

    fn membership_json(&self, m: &MembershipData) -> Value {
        let mut value = json!({
            "id": m.id,
            "account_id": self.id,
            "hub_id": m.hub_id,
            "role_id": null,
            "state": {"current": m.state, "changed": timestamp(m.joined.unwrap_or(m.created))},
            "events": {
                "created": timestamp(m.created),
                "updated": timestamp(m.joined.unwrap_or(m.created)),
                "deleted": ZERO_TIME,
                "joined": m.joined.map_or(ZERO_TIME.to_string(), timestamp),
            },
            "permissions": {"all_environments": true, "environments": []},
        });
        if let Some(sender) = &m.sender {
            value["invitation"] = json!({
                "sender": {"id": sender, "type": "account"},
                "recipient": self.email,
                "events": {"created": timestamp(m.created)},
            });
        }
        value
    }

    fn login_json(&self, login: &LoginData) -> Value {
        let mut value = json!({
            "id": login.id,
            "account": {"id": self.id, "ip": "127.0.0.1"},
            "time": timestamp(login.time),
            "type": if login.employee.is_some() { "employee" } else { "password" },
            "success": login.success,
        });
        if let Some(employee) = &login.employee {
            value["employee"] = json!({"id": employee, "ip": "10.0.0.1"});
        }
        value
    }
}

/// How Cycle writes an unset date-time.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

fn now() -> DateTime<Utc> {
    crate::now()
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn totp(secret: &str) -> Option<totp_rs::Totp> {
    let bytes = totp_rs::Secret::try_from_base32(secret).ok()?;
    totp_rs::Builder::new().with_secret(bytes).build().ok()
}

/// Whether `code` is the secret's code now, or one step either side.
fn totp_matches(secret: &str, code: &str) -> bool {
    totp(secret).is_some_and(|t| t.check(code, clock_seconds()).is_some())
}

/// The fakes' clock in Unix seconds, for TOTP windows.
fn clock_seconds() -> u64 {
    u64::try_from(now().timestamp()).unwrap_or(0)
}

/// The code an authenticator app holding `secret` shows now.
pub(crate) fn totp_code(secret: &str) -> Option<String> {
    totp(secret).map(|t| t.generate(clock_seconds()).to_string())
}

fn new_totp_secret() -> String {
    totp_rs::Secret::from(crate::random_bytes::<20>()).to_base32()
}

fn recovery_code() -> String {
    let h = random_string(HEX, 8);
    format!("{}-{}", &h[..4], &h[4..])
}

// ---------------------------------------------------------------------------
// Wire helpers

#[derive(Debug)]
enum ApiError {
    /// The OAuth-style 401 of authentication failures.
    OAuth(&'static str),
    /// The error envelope.
    Envelope { status: StatusCode, code: &'static str, title: String, source: Option<&'static str> },
}

fn error(status: StatusCode, code: &'static str, title: impl Into<String>) -> ApiError {
    ApiError::Envelope { status, code, title: title.into(), source: None }
}

fn invalid(code: &'static str, title: impl Into<String>, source: &'static str) -> ApiError {
    ApiError::Envelope {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code,
        title: title.into(),
        source: Some(source),
    }
}

fn wrong_code() -> ApiError {
    error(StatusCode::FORBIDDEN, "403.2fa-failed", "The two-factor auth token is invalid")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::OAuth(description) => json_response(
                StatusCode::UNAUTHORIZED,
                json!({"error": "invalid_token", "error_description": description}),
            ),
            ApiError::Envelope { status, code, title, source } => {
                let mut error = json!({"status": status.as_u16(), "code": code, "title": title});
                if let Some(source) = source {
                    error["source"] = json!(source);
                }
                json_response(status, json!({"error": error, "data": null}))
            }
        }
    }
}

type Reply = Result<Response, ApiError>;

fn data(status: StatusCode, value: Value) -> Reply {
    Ok(json_response(status, json!({"data": value})))
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    error(StatusCode::NOT_FOUND, "404.not-found", format!("Route not found: {method} {}", uri.path()))
}

/// 405; the router adds `Allow`.
async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "405.method-not-allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}

async fn record(State(c): State<Cycle>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let entry = RecordedRequest {
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
        query: request.uri().query().map(str::to_owned),
        had_bearer: headers.contains_key("authorization"),
        hub_id: headers.get("x-hub-id").and_then(|v| v.to_str().ok()).map(str::to_owned),
    };
    c.lock().requests.push(entry);
    next.run(request).await
}

/// A JSON object body; anything else is a 4xx in the vendor's envelope.
struct Body(Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let json = request
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !json {
            return Err(error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "415.invalid-content-type",
                "Expected application/json",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|_| error(StatusCode::BAD_REQUEST, "400.invalid-syntax", "Unreadable request body"))?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => Ok(Body(map)),
            _ => Err(error(StatusCode::BAD_REQUEST, "400.invalid-syntax", "The body must be a JSON object")),
        }
    }
}

fn string<'a>(body: &'a Map<String, Value>, key: &'static str) -> Result<&'a str, ApiError> {
    match body.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        None | Some(Value::Null) => Err(invalid("422.missing-argument", format!("`{key}` is required"), key)),
        _ => Err(invalid("422.invalid-argument", format!("`{key}` must be a non-empty string"), key)),
    }
}

// ---------------------------------------------------------------------------
// Handlers

async fn get_account(State(c): State<Cycle>, headers: HeaderMap) -> Reply {
    let mut state = c.lock();
    let account = state.account_of(&headers)?;
    data(StatusCode::OK, account.to_json())
}

async fn update_account(State(c): State<Cycle>, headers: HeaderMap, Body(body): Body) -> Reply {
    let mut state = c.lock();
    let account = state.account_of(&headers)?;
    let mut name = (account.first.clone(), account.last.clone());
    match body.get("name") {
        None | Some(Value::Null) => {}
        Some(Value::Object(parts)) => {
            for (key, slot) in [("first", &mut name.0), ("last", &mut name.1)] {
                match parts.get(key) {
                    None | Some(Value::Null) => {}
                    Some(Value::String(s)) if !s.trim().is_empty() => *slot = s.clone(),
                    _ => {
                        return Err(invalid(
                            "422.invalid-argument",
                            format!("`name.{key}` must be a non-empty string"),
                            "name",
                        ));
                    }
                }
            }
        }
        Some(_) => return Err(invalid("422.invalid-argument", "`name` must be an object", "name")),
    }
    let allow = match body.get("allow_support_login") {
        None | Some(Value::Null) => account.allow_support_login,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(invalid(
                "422.invalid-argument",
                "`allow_support_login` must be a boolean",
                "allow_support_login",
            ));
        }
    };
    (account.first, account.last) = name;
    account.allow_support_login = allow;
    account.updated = now();
    data(StatusCode::OK, account.to_json())
}

async fn delete_account(State(c): State<Cycle>, headers: HeaderMap) -> Reply {
    let mut state = c.lock();
    let account = state.account_of(&headers)?;
    if !account.hubs.is_empty() {
        return Err(error(
            StatusCode::CONFLICT,
            "409.hub-owner",
            "The account owns an active hub; delete it first",
        ));
    }
    account.deleting = true;
    account.updated = now();
    let (email, account_id) = (account.email.clone(), account.id.clone());
    let job = Job { id: random_string(HEX, 24), action: "delete".into(), email, state: "queued".into() };
    let failure = state.fail_next_job.take();
    let queued = now();
    state.jobs.push(JobRun {
        job: job.clone(),
        account_id: account_id.clone(),
        queued,
        started: None,
        completed: None,
        failure,
    });
    data(
        StatusCode::ACCEPTED,
        json!({"action": "delete", "job": {
            "id": job.id, "accepted": true, "queue": "account", "schedule": timestamp(queued),
            "parallel": {"sub_queue": null, "tasks": false},
            "tasks": [{"caption": "Deleting account", "header": "delete", "steps": null,
                       "input": {"account_id": account_id}}],
        }}),
    )
}

async fn get_job(State(c): State<Cycle>, headers: HeaderMap, Path(job_id): Path<String>) -> Reply {
    let mut state = c.lock();
    let email = state.account_of(&headers)?.email.clone();
    let Some(run) = state.jobs.iter_mut().find(|run| run.job.id == job_id && run.job.email == email) else {
        return Err(error(StatusCode::NOT_FOUND, "404.job", "No such job"));
    };
    run.advance();
    let answer = run.to_json();
    match run.job.state.as_str() {
        "completed" => {
            state.accounts.remove(&email);
            state.tokens.retain(|_, owner| *owner != email);
            state.reset_tokens.retain(|_, owner| *owner != email);
        }
        "error" => {
            if let Some(account) = state.accounts.get_mut(&email) {
                account.deleting = false;
            }
        }
        _ => {}
    }
    data(StatusCode::OK, answer)
}

/// `page[number]`, `page[size]`, `sort` and `filter[key]` of a list.
struct ListParams {
    page: u64,
    size: u64,
    sort: Vec<String>,
    filter: BTreeMap<String, String>,
}

impl ListParams {
    fn parse(query: Vec<(String, String)>) -> Result<ListParams, ApiError> {
        let mut params = ListParams { page: 1, size: 20, sort: Vec::new(), filter: BTreeMap::new() };
        for (key, value) in query {
            let number = |v: &str| v.parse::<u64>().ok().filter(|n| *n > 0);
            match key.as_str() {
                "page[number]" => {
                    params.page = number(&value).ok_or_else(|| {
                        invalid("422.invalid-argument", "`page[number]` must be a positive integer", "page")
                    })?;
                }
                "page[size]" => {
                    // Cycle documents no maximum.
                    params.size = number(&value).ok_or_else(|| {
                        invalid("422.invalid-argument", "`page[size]` must be a positive integer", "page")
                    })?;
                }
                "sort" => params.sort.extend(value.split(',').map(str::to_owned)),
                other => match other.strip_prefix("filter[").and_then(|k| k.strip_suffix(']')) {
                    Some(k) => {
                        params.filter.insert(k.to_owned(), value);
                    }
                    None => {
                        return Err(invalid(
                            "422.invalid-argument",
                            format!("Unknown query parameter `{other}`"),
                            "query",
                        ));
                    }
                },
            }
        }
        Ok(params)
    }

    /// The page of `items` asked for.
    fn page<T>(&self, items: impl IntoIterator<Item = T>) -> impl Iterator<Item = T> {
        let skip = usize::try_from((self.page - 1).saturating_mul(self.size)).unwrap_or(usize::MAX);
        let size = usize::try_from(self.size).unwrap_or(usize::MAX);
        items.into_iter().skip(skip).take(size)
    }
}

async fn logins(
    State(c): State<Cycle>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Reply {
    let params = ListParams::parse(query)?;
    let (sort, filter) = (&params.sort, &params.filter);
    let mut state = c.lock();
    let account = state.account_of(&headers)?;
    // Recording order breaks ties between equal times, so pages stay stable.
    let mut selected: Vec<(usize, &LoginData)> = account
        .logins
        .iter()
        .enumerate()
        .filter(|(_, l)| match filter.get("success").map(String::as_str) {
            Some("true") => l.success,
            Some("false") => !l.success,
            _ => true,
        })
        .filter(|(_, l)| match filter.get("type").map(String::as_str) {
            Some("employee") => l.employee.is_some(),
            Some("password") => l.employee.is_none(),
            _ => true,
        })
        .collect();
    // Newest first unless asked otherwise.
    let descending = !sort.iter().any(|s| s == "time");
    selected.sort_by(|(i, a), (j, b)| {
        let order = a.time.cmp(&b.time).then(i.cmp(j));
        if descending { order.reverse() } else { order }
    });
    let items: Vec<Value> = params.page(selected).map(|(_, l)| account.login_json(l)).collect();
    data(StatusCode::OK, Value::Array(items))
}

/// The memberships in one state, `filter[hub]` applied.
fn membership_list(c: &Cycle, headers: &HeaderMap, query: Vec<(String, String)>, wanted: &str) -> Reply {
    let params = ListParams::parse(query)?;
    let mut state = c.lock();
    let account = state.account_of(headers)?;
    let selected = account
        .memberships
        .iter()
        .filter(|m| m.state == wanted)
        .filter(|m| params.filter.get("hub").is_none_or(|hub| *hub == m.hub_id));
    let items: Vec<Value> = params.page(selected).map(|m| account.membership_json(m)).collect();
    data(StatusCode::OK, Value::Array(items))
}

async fn invites(
    State(c): State<Cycle>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Reply {
    membership_list(&c, &headers, query, "pending")
}

async fn memberships(
    State(c): State<Cycle>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Reply {
    membership_list(&c, &headers, query, "accepted")
}

async fn answer_invite(
    State(c): State<Cycle>,
    headers: HeaderMap,
    Path(invite_id): Path<String>,
    Body(body): Body,
) -> Reply {
    let flag = |key| matches!(body.get(key), Some(Value::Bool(true)));
    let new_state = match (flag("accept"), flag("decline")) {
        (true, false) => "accepted",
        (false, true) => "declined",
        _ => {
            return Err(invalid(
                "422.invalid-argument",
                "Send exactly one of `accept` or `decline` as true",
                "accept",
            ));
        }
    };
    let mut state = c.lock();
    let account = state.account_of(&headers)?;
    let Some(index) = account.memberships.iter().position(|m| m.id == invite_id) else {
        return Err(error(StatusCode::NOT_FOUND, "404.hub-membership", "No such invitation"));
    };
    let membership = &mut account.memberships[index];
    if membership.state != "pending" {
        return Err(error(
            StatusCode::CONFLICT,
            "409.duplicate-found",
            "The invitation was already answered",
        ));
    }
    membership.state = new_state;
    if new_state == "accepted" {
        membership.joined = Some(now());
    }
    let value = account.membership_json(&account.memberships[index]);
    data(StatusCode::OK, value)
}

async fn change_password(State(c): State<Cycle>, headers: HeaderMap, Body(body): Body) -> Reply {
    let mut state = c.lock();
    let account = state.account_of(&headers)?;
    let current = string(&body, "current")?;
    let new = string(&body, "new")?;
    if current != account.password {
        return Err(invalid("422.invalid-input", "The current password is wrong", "current"));
    }
    if new.chars().count() < 8 {
        return Err(invalid("422.invalid-argument", "The new password needs at least 8 characters", "new"));
    }
    account.password = new.to_string();
    account.updated = now();
    data(StatusCode::OK, account.to_json())
}

async fn reset_password(State(c): State<Cycle>, Body(body): Body) -> Reply {
    let mut state = c.lock();
    if let Some(email) = body.get("email") {
        let address = email
            .get("address")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("422.missing-argument", "`email.address` is required", "email"))?;
        // The answer is the same for unknown addresses: no account probing.
        if state.accounts.contains_key(address) {
            let token = random_string(URL_SAFE, 32);
            state.reset_tokens.insert(token.clone(), address.to_string());
            state.outbox.push(Message { to: address.to_string(), reset_token: token });
        }
        return data(StatusCode::OK, json!({"success": true}));
    }
    let token = string(&body, "token")?;
    // Cycle documents a length rule for a changed password, none for a reset.
    let password = string(&body, "password")?;
    let email = state
        .reset_tokens
        .remove(token)
        .ok_or_else(|| invalid("422.invalid-argument", "The reset token is invalid or was used", "token"))?;
    let account = state
        .accounts
        .get_mut(&email)
        .ok_or_else(|| error(StatusCode::NOT_FOUND, "404.account", "The account no longer exists"))?;
    account.password = password.to_string();
    account.updated = now();
    data(StatusCode::OK, json!({"success": true}))
}

async fn two_factor_setup(State(c): State<Cycle>, headers: HeaderMap) -> Reply {
    let mut state = c.lock();
    let account = state.account_of(&headers)?;
    if account.active_totp().is_some() {
        return Err(error(StatusCode::CONFLICT, "409.duplicate-found", "Two-factor auth is already on"));
    }
    let secret = new_totp_secret();
    account.totp = Some(Totp { secret: secret.clone(), verified: false });
    data(StatusCode::OK, setup_json(&account.email, &secret))
}

/// The QR code stands for the `otpauth://` URL it would encode.
fn setup_json(email: &str, secret: &str) -> Value {
    let label = email.replace('@', "%40");
    json!({"qr": format!("otpauth://totp/Cycle:{label}?secret={secret}&issuer=Cycle"), "secret": secret})
}

async fn two_factor_enable(State(c): State<Cycle>, headers: HeaderMap, Body(body): Body) -> Reply {
    let mut state = c.lock();
    let account = state.account_of(&headers)?;
    let code = string(&body, "token")?;
    let Some(pending) = account.totp.as_mut().filter(|t| !t.verified) else {
        return Err(error(StatusCode::CONFLICT, "409.duplicate-found", "No two-factor setup is pending"));
    };
    if !totp_matches(&pending.secret, code) {
        return Err(wrong_code());
    }
    pending.verified = true;
    account.recovery_codes = (0..8).map(|_| recovery_code()).collect();
    account.updated = now();
    data(StatusCode::OK, json!({"recovery_codes": account.recovery_codes}))
}

async fn two_factor_disable(State(c): State<Cycle>, headers: HeaderMap, Body(body): Body) -> Reply {
    let mut state = c.lock();
    let account = state.account_of(&headers)?;
    let code = string(&body, "token")?;
    let Some(secret) = account.active_totp() else {
        return Err(error(StatusCode::CONFLICT, "409.duplicate-found", "Two-factor auth is not on"));
    };
    if !totp_matches(secret, code) {
        return Err(wrong_code());
    }
    account.totp = None;
    account.recovery_codes.clear();
    account.updated = now();
    data(StatusCode::OK, account.to_json())
}

async fn two_factor_recover(State(c): State<Cycle>, Body(body): Body) -> Reply {
    let mut state = c.lock();
    let email = string(&body, "email")?;
    let password = string(&body, "password")?;
    let codes: Vec<&str> = match body.get("recovery_codes") {
        Some(Value::Array(items)) if !items.is_empty() => items.iter().filter_map(Value::as_str).collect(),
        _ => return Err(invalid("422.missing-argument", "`recovery_codes` is required", "recovery_codes")),
    };
    let refused = || error(StatusCode::UNAUTHORIZED, "401.auth-invalid", "Invalid email or password");
    let account = state.accounts.get_mut(email).ok_or_else(refused)?;
    if account.password != password {
        return Err(refused());
    }
    if account.active_totp().is_none() {
        return Err(error(StatusCode::CONFLICT, "409.duplicate-found", "Two-factor auth is not on"));
    }
    if codes.iter().any(|code| !account.recovery_codes.iter().any(|known| known == code)) {
        return Err(wrong_code());
    }
    // Each code works once.
    account.recovery_codes.retain(|known| !codes.contains(&known.as_str()));
    let secret = new_totp_secret();
    account.totp = Some(Totp { secret: secret.clone(), verified: false });
    account.updated = now();
    data(StatusCode::OK, setup_json(&account.email, &secret))
}

#[cfg(test)]
mod tests;
