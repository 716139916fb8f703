//! Fake of the TagoIO account API.
//!
//! Served under `/tagoio`; point a TagoIO client at [`TagoIo::base_url`].
//! Nothing leaves the process: emails, SMS and authenticator codes land in the
//! [outbox](TagoIo::outbox) instead.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use accountkit::tagoio::{Client, NewAccount, Region};
//! use accountkit_sandbox::Sandbox;
//!
//! let sandbox = Sandbox::start().await?;
//! let tagoio = sandbox.tagoio();
//! // In production the region is, say, Region::UsEast1.
//! let client = Client::anonymous(Region::Custom(tagoio.base_url()))?;
//! client.create(&NewAccount::new("Ada", "ada@example.com", "correct horse", "UTC")).await?;
//! client.confirm_account(tagoio.confirmation_token("ada@example.com").unwrap()).await?;
//! assert!(tagoio.account_exists("ada@example.com"));
//! # Ok(()) }
//! ```
//!
//! The examples below start a sandbox the same way, in hidden lines.
//!
//! Wire behaviour:
//! - success is HTTP 200 `{"status": true, "result": ...}`;
//! - authentication, not-found and conflict errors are
//!   `{"status": false, "message": "..."}` (401, 404, 400);
//! - request validation errors are HTTP 400 `{"status": false, "result": {"message": "..."}}`;
//! - resending the confirmation of an already confirmed account answers HTTP 200
//!   with `{"status": false, "message": "Account already confirmed"}`, as the vendor does;
//! - login or token creation on an account with 2FA and no PIN answers 401 whose
//!   `message` is a JSON-encoded string, e.g. `"{\"otp_enabled\":true,\"otp_autosend\":\"email\"}"`.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};

use crate::{HEX, URL_SAFE, admin, json_response, random_string};

/// Path prefix the TagoIO routes are nested under.
pub(crate) const PREFIX: &str = "/tagoio";

/// Handle to the TagoIO fake: cheap to clone, all clones share one state.
#[derive(Clone)]
pub struct TagoIo {
    base_url: Arc<str>,
    state: Arc<Mutex<StateData>>,
}

impl fmt::Debug for TagoIo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TagoIo").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

/// Something the fake "sent" instead of an email, SMS or authenticator code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Email address of the account it was sent to.
    pub to: String,
    /// What was sent.
    pub kind: MessageKind,
}

/// The content of a [`Message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageKind {
    /// Account confirmation link; the token goes to `GET /account/confirm/{token}`.
    AccountConfirmation {
        /// Confirmation token.
        token: String,
    },
    /// Password recovery link; the token goes in the `token` header of
    /// `POST /account/passwordreset`.
    PasswordReset {
        /// Password-reset token (single use).
        token: String,
    },
    /// A 6-digit one-time PIN.
    OtpPin {
        /// `"email"`, `"sms"` or `"authenticator"`.
        channel: String,
        /// The PIN.
        pin: String,
    },
    /// Team invitation; the token goes to `GET /profile/team/{accept|decline}/{token}`.
    TeamInvitation {
        /// Invitation token.
        token: String,
    },
}

/// What [`TagoIo::add_account`] made.
#[derive(Debug, Clone)]
pub struct ReadyAccount {
    /// The id of the account's one profile.
    pub profile_id: String,
    /// A profile token for it, for the `token` header.
    pub token: SecretString,
}

/// Where a team invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationState {
    /// Not answered yet.
    Pending,
    /// Accepted through `GET /profile/team/accept/{token}`.
    Accepted,
    /// Declined through `GET /profile/team/decline/{token}`.
    Declined,
}

/// One request the fake received. Header values and bodies are never kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `"POST"`.
    pub method: String,
    /// Path relative to [`TagoIo::base_url`], as sent (still percent-encoded),
    /// e.g. `"/account/login"`.
    pub path: String,
    /// Whether a `token` header was present.
    pub had_token: bool,
}

impl TagoIo {
    pub(crate) fn new(base_url: String) -> TagoIo {
        TagoIo { base_url: base_url.into(), state: Arc::default() }
    }

    /// Base URL of the fake, e.g. `http://127.0.0.1:PORT/tagoio` (no trailing slash).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::tagoio::{Client, Region};
    ///
    /// let tagoio = sandbox.tagoio();
    /// let ada = tagoio.add_account("ada@example.com", "correct horse");
    /// let client = Client::new(Region::Custom(tagoio.base_url()), ada.token)?;
    /// assert_eq!(client.info().await?.email, "ada@example.com");
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
    /// use accountkit::tagoio::{Client, Region};
    /// use accountkit_sandbox::tagoio::MessageKind;
    ///
    /// let tagoio = sandbox.tagoio();
    /// tagoio.add_account("ada@example.com", "correct horse");
    /// let client = Client::anonymous(Region::Custom(tagoio.base_url()))?;
    /// client.password_recover("ada@example.com").await?;
    /// let outbox = tagoio.outbox();
    /// assert_eq!(outbox.len(), 1);
    /// assert_eq!(outbox[0].to, "ada@example.com");
    /// assert!(matches!(outbox[0].kind, MessageKind::PasswordReset { .. }));
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
    /// use accountkit::tagoio::{Client, NewAccount, Region};
    /// use accountkit_sandbox::tagoio::MessageKind;
    ///
    /// let tagoio = sandbox.tagoio();
    /// let client = Client::anonymous(Region::Custom(tagoio.base_url()))?;
    /// client.create(&NewAccount::new("Ada", "ada@example.com", "correct horse", "UTC")).await?;
    /// let message = tagoio.last_message("ada@example.com").expect("a confirmation email");
    /// assert!(matches!(message.kind, MessageKind::AccountConfirmation { .. }));
    /// assert!(tagoio.last_message("bob@example.com").is_none());
    /// # Ok(()) }
    /// ```
    pub fn last_message(&self, to_email: &str) -> Option<Message> {
        self.newest(to_email, |m| Some(m.clone()))
    }

    /// The newest one-time PIN sent to `to_email`, whatever the channel.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::tagoio::{Client, Credentials, OtpType, Region, TokenRequest};
    ///
    /// let tagoio = sandbox.tagoio();
    /// let ada = tagoio.add_account("ada@example.com", "correct horse");
    /// let client = Client::new(Region::Custom(tagoio.base_url()), ada.token)?;
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// client.enable_otp(OtpType::Email, &credentials).await?;
    /// client.confirm_otp(OtpType::Email, tagoio.latest_pin("ada@example.com").unwrap()).await?;
    ///
    /// // A token now takes a fresh PIN; each PIN is good for one login and one token.
    /// client.request_login_pin_code(&credentials, OtpType::Email).await?;
    /// let pin = tagoio.latest_pin("ada@example.com").expect("a PIN by email");
    /// let request = TokenRequest::new(ada.profile_id, credentials, "ci").second_factor(OtpType::Email, pin);
    /// let token = client.token_create(&request).await?;
    /// assert!(client.with_token(token.token)?.info().await?.otp.email);
    /// # Ok(()) }
    /// ```
    pub fn latest_pin(&self, to_email: &str) -> Option<SecretString> {
        self.newest(to_email, |m| match &m.kind {
            MessageKind::OtpPin { pin, .. } => Some(pin.as_str().into()),
            _ => None,
        })
    }

    /// The newest account-confirmation token sent to `to_email`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::tagoio::{Client, Credentials, NewAccount, Region};
    ///
    /// let tagoio = sandbox.tagoio();
    /// let client = Client::anonymous(Region::Custom(tagoio.base_url()))?;
    /// client.create(&NewAccount::new("Ada", "ada@example.com", "correct horse", "UTC")).await?;
    /// let token = tagoio.confirmation_token("ada@example.com").expect("a confirmation email");
    /// client.confirm_account(token).await?;
    /// let login = client.login(&Credentials::new("ada@example.com", "correct horse")).await?;
    /// assert_eq!(login.profiles.len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn confirmation_token(&self, to_email: &str) -> Option<SecretString> {
        self.newest(to_email, |m| match &m.kind {
            MessageKind::AccountConfirmation { token } => Some(token.as_str().into()),
            _ => None,
        })
    }

    /// The newest password-recovery token sent to `to_email`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::tagoio::{Client, Credentials, Region};
    ///
    /// let tagoio = sandbox.tagoio();
    /// tagoio.add_account("ada@example.com", "correct horse");
    /// let client = Client::anonymous(Region::Custom(tagoio.base_url()))?;
    /// client.password_recover("ada@example.com").await?;
    /// let token = tagoio.password_reset_token("ada@example.com").expect("a recovery email");
    /// client.reset_password(token, "battery staple").await?;
    /// let login = client.login(&Credentials::new("ada@example.com", "battery staple")).await?;
    /// assert_eq!(login.email, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub fn password_reset_token(&self, to_email: &str) -> Option<SecretString> {
        self.newest(to_email, |m| match &m.kind {
            MessageKind::PasswordReset { token } => Some(token.as_str().into()),
            _ => None,
        })
    }

    /// Invites `to_email` to a team: records a pending invitation, puts it in the
    /// outbox and returns its token. The account need not exist.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::tagoio::{Client, Region};
    /// use accountkit_sandbox::tagoio::InvitationState;
    ///
    /// let tagoio = sandbox.tagoio();
    /// let token = tagoio.invite("bob@example.com");
    /// let client = Client::anonymous(Region::Custom(tagoio.base_url()))?;
    /// client.accept_team_invitation(&token).await?;
    /// assert_eq!(tagoio.invitation_state(&token), Some(InvitationState::Accepted));
    /// # Ok(()) }
    /// ```
    pub fn invite(&self, to_email: &str) -> SecretString {
        let token = random_string(URL_SAFE, 32);
        let mut state = self.lock();
        state.invitations.insert(token.clone(), InvitationState::Pending);
        state.send(to_email, MessageKind::TeamInvitation { token: token.clone() });
        token.into()
    }

    /// State of the invitation with that token, if it exists.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::tagoio::{Client, Region};
    /// use accountkit_sandbox::tagoio::InvitationState;
    ///
    /// let tagoio = sandbox.tagoio();
    /// let token = tagoio.invite("bob@example.com");
    /// assert_eq!(tagoio.invitation_state(&token), Some(InvitationState::Pending));
    /// let client = Client::anonymous(Region::Custom(tagoio.base_url()))?;
    /// client.decline_team_invitation(&token).await?;
    /// assert_eq!(tagoio.invitation_state(&token), Some(InvitationState::Declined));
    /// # Ok(()) }
    /// ```
    pub fn invitation_state(&self, token: &SecretString) -> Option<InvitationState> {
        self.lock().invitations.get(token.expose_secret()).copied()
    }

    /// A confirmed account with a profile token, in one call: what signing
    /// up, confirming and `token_create` would leave. Replaces any account
    /// with that email; its name is the part of the email before `@`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::tagoio::{Client, Region};
    ///
    /// let tagoio = sandbox.tagoio();
    /// let ada = tagoio.add_account("ada@example.com", "correct horse");
    /// let client = Client::new(Region::Custom(tagoio.base_url()), ada.token)?;
    /// let account = client.info().await?;
    /// assert_eq!(account.name, "ada");
    /// assert!(account.active);
    /// # Ok(()) }
    /// ```
    pub fn add_account(&self, email: &str, password: impl Into<SecretString>) -> ReadyAccount {
        let name = email.split('@').next().unwrap_or(email);
        let mut account = Account::new(name, email, password.into().expose_secret(), "UTC");
        account.active = true;
        let profile_id = account.profile_id.clone();
        let token = profile_token();
        let owner = TokenOwner { email: email.to_owned(), account_id: account.id.clone() };
        let mut state = self.lock();
        // The account it replaces, if any, takes its tokens with it: they
        // name that account's id (no scan of every token).
        state.accounts.insert(email.to_owned(), account);
        state.profile_tokens.insert(token.clone(), owner);
        ReadyAccount { profile_id, token: token.into() }
    }

    /// Whether an account (confirmed or not) exists for that email.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::tagoio::{Client, Region};
    ///
    /// let tagoio = sandbox.tagoio();
    /// let ada = tagoio.add_account("ada@example.com", "correct horse");
    /// assert!(tagoio.account_exists("ada@example.com"));
    /// let client = Client::new(Region::Custom(tagoio.base_url()), ada.token)?;
    /// client.delete().await?;
    /// assert!(!tagoio.account_exists("ada@example.com"));
    /// # Ok(()) }
    /// ```
    pub fn account_exists(&self, email: &str) -> bool {
        self.lock().accounts.contains_key(email)
    }

    /// Every request received under the base URL, oldest first (unknown routes included).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::tagoio::{Client, Region};
    ///
    /// let tagoio = sandbox.tagoio();
    /// let ada = tagoio.add_account("ada@example.com", "correct horse");
    /// Client::new(Region::Custom(tagoio.base_url()), ada.token)?.info().await?;
    /// let requests = tagoio.requests();
    /// assert_eq!((requests[0].method.as_str(), requests[0].path.as_str()), ("GET", "/account"));
    /// assert!(requests[0].had_token);
    /// # Ok(()) }
    /// ```
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.to_vec()
    }

    /// What the account's authenticator app would display now, for accounts with
    /// authenticator 2FA: issues a fresh login PIN of channel `"authenticator"`
    /// (also put in the outbox) and returns it. `None` if the account doesn't exist.
    ///
    /// The fake does no TOTP; this stands in for reading the user's app.
    /// It is for logging in (`login_with_pin` with `OtpType::Authenticator`):
    /// confirming an authenticator being enabled takes the PIN that
    /// `otp/{type}/enable` sent, from [`latest_pin`](TagoIo::latest_pin).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::tagoio::{Client, Credentials, OtpType, Region};
    ///
    /// let tagoio = sandbox.tagoio();
    /// let ada = tagoio.add_account("ada@example.com", "correct horse");
    /// let client = Client::new(Region::Custom(tagoio.base_url()), ada.token)?;
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// client.enable_otp(OtpType::Authenticator, &credentials).await?;
    /// client.confirm_otp(OtpType::Authenticator, tagoio.latest_pin("ada@example.com").unwrap()).await?;
    ///
    /// let code = tagoio.authenticator_code("ada@example.com").expect("an account");
    /// let login = client.login_with_pin(&credentials, OtpType::Authenticator, code).await?;
    /// assert_eq!(login.email, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub fn authenticator_code(&self, email: &str) -> Option<SecretString> {
        self.lock().issue_login_pin(email, OtpType::Authenticator).map(SecretString::from)
    }

    fn newest<T>(&self, to: &str, pick: impl Fn(&Message) -> Option<T>) -> Option<T> {
        self.lock().outbox.iter().rev().filter(|m| m.to == to).find_map(pick)
    }

    fn lock(&self) -> MutexGuard<'_, StateData> {
        // A panicking test must not make every later call panic too.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl crate::Fake for TagoIo {
    fn prefix(&self) -> &'static str {
        PREFIX
    }

    fn router(&self) -> Router {
        Router::new()
            .route("/account", get(info).put(edit).delete(delete_account).post(create))
            .route("/account/confirm/{token}", get(confirm))
            .route("/account/resend_confirmation/{email}", get(resend_confirmation))
            .route("/account/login", post(login))
            .route("/account/login/otp", post(login_pin))
            .route("/account/profile/token", post(token_create))
            .route("/account/passwordreset", post(password_change))
            .route("/account/passwordreset/{email}", get(password_recover))
            .route("/account/otp/{type}/enable", post(otp_enable))
            .route("/account/otp/{type}/confirm", post(otp_confirm))
            .route("/account/otp/{type}/disable", post(otp_disable))
            .route("/profile/team/accept/{token}", get(team_accept))
            .route("/profile/team/decline/{token}", get(team_decline))
            .method_not_allowed_fallback(wrong_method)
            .fallback(not_found)
            .layer(middleware::from_fn_with_state(self.clone(), record))
            .with_state(self.clone())
    }

    fn admin_routes(&self) -> Router {
        Router::new()
            .route("/accounts", post(admin_account))
            .route("/authenticator-code", get(admin_authenticator_code))
            .route("/invitations", post(admin_invite))
            .route("/invitations/{token}", get(admin_invitation))
            .with_state(self.clone())
    }

    fn reset(&self) {
        *self.lock() = StateData::default();
    }

    fn outbox(&self, read: &mut admin::Read) {
        read.messages(&self.lock().outbox, |m| {
            let (kind, secret, extra) = match &m.kind {
                MessageKind::AccountConfirmation { token } => ("confirmation", token, json!({})),
                MessageKind::PasswordReset { token } => ("password_reset", token, json!({})),
                MessageKind::OtpPin { channel, pin } => ("pin", pin, json!({"channel": channel})),
                MessageKind::TeamInvitation { token } => ("invitation", token, json!({})),
            };
            (&m.to, kind, secret, extra)
        });
    }

    fn requests(&self, read: &mut admin::Read) {
        read.requests(&self.lock().requests, |r| json!({"method": r.method, "path": r.path}));
    }
}

async fn admin_account(State(fake): State<TagoIo>, body: admin::Body) -> admin::Reply {
    let ready = fake.add_account(body.text("email")?, body.text("password")?);
    admin::ok(json!({"profile_id": ready.profile_id, "token": ready.token.expose_secret()}))
}

async fn admin_authenticator_code(
    State(fake): State<TagoIo>,
    Query(q): Query<admin::Params>,
) -> admin::Reply {
    let email = admin::param(&q, "email")?;
    let code = fake.authenticator_code(email).ok_or_else(|| admin::not_found("such account"))?;
    admin::ok(json!({"code": code.expose_secret()}))
}

async fn admin_invite(State(fake): State<TagoIo>, body: admin::Body) -> admin::Reply {
    admin::ok(json!({"token": fake.invite(body.text("email")?).expose_secret()}))
}

async fn admin_invitation(State(fake): State<TagoIo>, Path(token): Path<String>) -> admin::Reply {
    let state = fake
        .invitation_state(&SecretString::from(token))
        .ok_or_else(|| admin::not_found("such invitation"))?;
    let name = match state {
        InvitationState::Pending => "pending",
        InvitationState::Accepted => "accepted",
        InvitationState::Declined => "declined",
    };
    admin::ok(json!({"state": name}))
}

// ---------------------------------------------------------------------------
// Wire helpers

/// An error response in one of the two vendor shapes.
#[derive(Debug)]
enum ApiError {
    /// `{"status": false, "message": ...}`
    Top(StatusCode, String),
    /// HTTP 400 `{"status": false, "result": {"message": ...}}`
    Invalid(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Top(status, message) => {
                json_response(status, json!({"status": false, "message": message}))
            }
            ApiError::Invalid(message) => json_response(
                StatusCode::BAD_REQUEST,
                json!({"status": false, "result": {"message": message}}),
            ),
        }
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::Invalid(message.into())
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::Top(StatusCode::UNAUTHORIZED, message.to_owned())
}

fn not_found_error(message: &str) -> ApiError {
    ApiError::Top(StatusCode::NOT_FOUND, message.to_owned())
}

fn denied() -> ApiError {
    unauthorized("Authorization denied")
}

fn bad_credentials() -> ApiError {
    unauthorized("Invalid credentials")
}

/// The success envelope.
struct Success(Value);

impl IntoResponse for Success {
    fn into_response(self) -> Response {
        json_response(StatusCode::OK, json!({"status": true, "result": self.0}))
    }
}

fn done(message: &str) -> Result<Success, ApiError> {
    Ok(Success(Value::String(message.to_owned())))
}

type Reply = Result<Success, ApiError>;

/// 404 naming the route, so a wrong path or method is easy to spot.
async fn not_found(method: Method, uri: Uri) -> ApiError {
    // Inside the nest the URI has the prefix stripped: the path names the TagoIO route.
    not_found_error(&format!("Route not found: {method} {}", uri.path()))
}

/// 405; the router adds `Allow`.
async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    ApiError::Top(StatusCode::METHOD_NOT_ALLOWED, format!("{method} is not allowed on {}", uri.path()))
}

async fn record(State(t): State<TagoIo>, request: Request, next: Next) -> Response {
    let entry = RecordedRequest {
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
        had_token: request.headers().contains_key("token"),
    };
    t.lock().requests.push(entry);
    next.run(request).await
}

/// A JSON object body, parsed by hand so that bad input gets the vendor's 400
/// shape rather than axum's plain-text rejection.
struct Body(Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| invalid(format!("Unreadable request body: {e}")))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(invalid("Request body must be a JSON object"));
        }
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => Ok(Body(map)),
            Ok(_) => Err(invalid("Request body must be a JSON object")),
            Err(e) => Err(invalid(format!("Malformed JSON body: {e}"))),
        }
    }
}

/// The single path parameter of a route, percent-decoded.
struct Segment(String);

impl<S: Send + Sync> FromRequestParts<S> for Segment {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(s)| Segment(s))
            .map_err(|e| invalid(format!("Invalid path parameter: {e}")))
    }
}

fn header_token(headers: &HeaderMap) -> Option<&str> {
    headers.get("token").and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty())
}

/// A required, non-empty string field.
fn required<'a>(body: &'a Map<String, Value>, key: &str) -> Result<&'a str, ApiError> {
    match optional(body, key)? {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(invalid(format!("Missing required field: {key}"))),
    }
}

/// An optional string field; `null` counts as absent.
fn optional<'a>(body: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(format!("Field {key} must be a string"))),
    }
}

fn optional_bool(body: &Map<String, Value>, key: &str) -> Result<Option<bool>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(invalid(format!("Field {key} must be a boolean"))),
    }
}

fn now() -> DateTime<Utc> {
    crate::now()
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn object_id() -> String {
    random_string(HEX, 24)
}

fn pin() -> String {
    format!("{:06}", crate::random_below(1_000_000))
}

fn profile_token() -> String {
    let h = random_string(HEX, 32);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// `"never"` or nothing → `"never"`, as the service answers; an ISO-8601
/// date-time → that moment; `"<n> <unit>"` (hours, days, weeks, months,
/// years) → that far ahead; anything else → 90 days.
fn expire_date(expire_time: Option<&str>, from: DateTime<Utc>) -> String {
    let given = expire_time.unwrap_or("").trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(given) {
        return timestamp(at.with_timezone(&Utc));
    }
    let spec = given.to_ascii_lowercase();
    if spec.is_empty() || spec == "never" {
        return "never".to_string();
    }
    let parsed = spec.split_once(' ').and_then(|(n, unit)| {
        let n: i64 = n.parse().ok()?;
        let hours = match unit.trim().trim_end_matches('s') {
            "hour" => 1,
            "day" => 24,
            "week" => 24 * 7,
            "month" => 24 * 30,
            "year" => 24 * 365,
            _ => return None,
        };
        TimeDelta::try_hours(n.checked_mul(hours)?)
    });
    let delta = parsed.unwrap_or(TimeDelta::days(90));
    timestamp(crate::later(from, delta))
}

// ---------------------------------------------------------------------------
// State

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum OtpType {
    Authenticator,
    Sms,
    Email,
}

impl OtpType {
    /// In the order the vendor prefers for `otp_autosend`.
    const ALL: [OtpType; 3] = [OtpType::Authenticator, OtpType::Sms, OtpType::Email];

    fn parse(s: &str) -> Result<OtpType, ApiError> {
        OtpType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| invalid(format!("Invalid OTP type: {s} (expected authenticator, sms or email)")))
    }

    fn as_str(self) -> &'static str {
        match self {
            OtpType::Authenticator => "authenticator",
            OtpType::Sms => "sms",
            OtpType::Email => "email",
        }
    }
}

/// A login PIN. The vendor's own sign-in flows send the same PIN to login and
/// then to token creation, so each PIN is good once for each.
#[derive(Debug)]
struct LoginPin {
    pin: String,
    used_for_login: bool,
    used_for_token: bool,
}

#[derive(Debug, Clone, Copy)]
enum PinUse {
    Login,
    Token,
}

#[derive(Debug)]
struct Account {
    id: String,
    name: String,
    email: String,
    password: String,
    timezone: String,
    company: Option<String>,
    phone: Option<String>,
    country: Option<String>,
    language: String,
    active: bool,
    newsletter: bool,
    developer: bool,
    created_at: String,
    updated_at: String,
    last_login: Option<String>,
    options: Map<String, Value>,
    otp: HashSet<OtpType>,
    /// PINs sent by `otp/{type}/enable`, waiting for `otp/{type}/confirm`.
    pending_otp: HashMap<OtpType, String>,
    /// Newest login PIN per channel.
    login_pins: HashMap<OtpType, LoginPin>,
    profile_id: String,
    profile_name: String,
}

impl Account {
    fn info(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "timezone": self.timezone,
            "company": self.company,
            "phone": self.phone,
            "country": self.country,
            "language": self.language,
            "plan": "free",
            "type": "user",
            "active": self.active,
            "blocked": false,
            "newsletter": self.newsletter,
            "developer": self.developer,
            "send_invoice": false,
            "stripe_id": null,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "last_login": self.last_login,
            "options": self.options,
            "otp": {
                "authenticator": self.otp.contains(&OtpType::Authenticator),
                "sms": self.otp.contains(&OtpType::Sms),
                "email": self.otp.contains(&OtpType::Email),
            },
        })
    }

    fn profile(&self) -> Value {
        json!({
            "id": self.profile_id,
            "name": self.profile_name,
            "account": self.id,
            "logo_url": null,
            // The account's own profile, not one shared with it.
            "from_share": false,
        })
    }

    /// Demands a valid PIN when any 2FA type is enabled.
    fn second_factor(&mut self, body: &Map<String, Value>, usage: PinUse) -> Result<(), ApiError> {
        let Some(autosend) = OtpType::ALL.into_iter().find(|t| self.otp.contains(t)) else {
            return Ok(());
        };
        let (Some(kind), Some(code)) = (optional(body, "otp_type")?, optional(body, "pin_code")?) else {
            // A JSON document inside the message string, exactly as the vendor sends it.
            let message = format!(r#"{{"otp_enabled":true,"otp_autosend":"{}"}}"#, autosend.as_str());
            return Err(ApiError::Top(StatusCode::UNAUTHORIZED, message));
        };
        let kind = OtpType::parse(kind)?;
        if !self.otp.contains(&kind) {
            return Err(invalid(format!("2FA type not enabled: {}", kind.as_str())));
        }
        let Some(issued) = self.login_pins.get_mut(&kind) else {
            return Err(unauthorized("Invalid PIN code"));
        };
        let used = match usage {
            PinUse::Login => &mut issued.used_for_login,
            PinUse::Token => &mut issued.used_for_token,
        };
        if issued.pin != code || *used {
            return Err(unauthorized("Invalid PIN code"));
        }
        *used = true;
        Ok(())
    }
}

impl Account {
    /// A new, unconfirmed account with one profile.
    fn new(name: &str, email: &str, password: &str, timezone: &str) -> Account {
        let created = timestamp(now());
        let mut options = Map::new();
        options.insert("user_view_welcome".into(), json!(true));
        options.insert("decimal_separator".into(), json!("."));
        options.insert("thousand_separator".into(), json!(","));
        options.insert("last_whats_new".into(), Value::Null);
        Account {
            id: object_id(),
            name: name.to_owned(),
            email: email.to_owned(),
            password: password.to_owned(),
            timezone: timezone.to_owned(),
            company: None,
            phone: None,
            country: None,
            language: "en".to_owned(),
            active: false,
            newsletter: false,
            developer: false,
            created_at: created.clone(),
            updated_at: created,
            last_login: None,
            options,
            otp: HashSet::new(),
            pending_otp: HashMap::new(),
            login_pins: HashMap::new(),
            profile_id: object_id(),
            profile_name: format!("{name}'s profile"),
        }
    }
}

/// The account a profile token was made for: a token outlives neither its
/// account nor an account added in its place under the same email.
#[derive(Debug)]
struct TokenOwner {
    email: String,
    account_id: String,
}

#[derive(Debug, Default)]
struct StateData {
    /// By email, case-sensitive.
    accounts: HashMap<String, Account>,
    /// Token → email, for the following two maps.
    confirmations: HashMap<String, String>,
    password_resets: HashMap<String, String>,
    profile_tokens: HashMap<String, TokenOwner>,
    invitations: HashMap<String, InvitationState>,
    outbox: crate::Log<Message>,
    requests: crate::Log<RecordedRequest>,
}

impl StateData {
    fn send(&mut self, to: &str, kind: MessageKind) {
        self.outbox.push(Message { to: to.to_owned(), kind });
    }

    fn send_confirmation(&mut self, email: &str) {
        let token = random_string(URL_SAFE, 32);
        self.confirmations.insert(token.clone(), email.to_owned());
        self.send(email, MessageKind::AccountConfirmation { token });
    }

    fn send_pin(&mut self, email: &str, channel: OtpType) -> String {
        let code = pin();
        self.send(email, MessageKind::OtpPin { channel: channel.as_str().to_owned(), pin: code.clone() });
        code
    }

    fn issue_login_pin(&mut self, email: &str, channel: OtpType) -> Option<String> {
        self.accounts.contains_key(email).then_some(())?;
        let code = self.send_pin(email, channel);
        let account = self.accounts.get_mut(email)?;
        account
            .login_pins
            .insert(channel, LoginPin { pin: code.clone(), used_for_login: false, used_for_token: false });
        Some(code)
    }

    /// The email of the account owning the profile token in the `token` header.
    fn authenticate(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        let token = header_token(headers).ok_or_else(denied)?;
        let owner = self.profile_tokens.get(token).ok_or_else(denied)?;
        match self.accounts.get(&owner.email) {
            Some(account) if account.id == owner.account_id => Ok(owner.email.clone()),
            _ => Err(denied()),
        }
    }

    fn account_mut(&mut self, email: &str) -> Result<&mut Account, ApiError> {
        self.accounts.get_mut(email).ok_or_else(|| not_found_error("Account not found"))
    }

    /// Email + password check shared by login, PIN request and token creation.
    fn sign_in(&mut self, body: &Map<String, Value>) -> Result<&mut Account, ApiError> {
        let email = required(body, "email")?;
        let password = required(body, "password")?;
        let account = match self.accounts.get_mut(email) {
            Some(a) if a.password == password => a,
            _ => return Err(bad_credentials()),
        };
        if !account.active {
            return Err(unauthorized("Account not confirmed"));
        }
        Ok(account)
    }

    /// Checks that `email`/`password` in the body are those of the token's account.
    fn recheck_credentials(
        &mut self,
        owner: &str,
        body: &Map<String, Value>,
    ) -> Result<&mut Account, ApiError> {
        let email = required(body, "email")?;
        let password = required(body, "password")?;
        let account = self.account_mut(owner)?;
        if email != account.email || password != account.password {
            return Err(bad_credentials());
        }
        Ok(account)
    }

    fn forget_tokens_of(&mut self, email: &str) {
        for map in [&mut self.confirmations, &mut self.password_resets] {
            map.retain(|_, owner| owner != email);
        }
        self.profile_tokens.retain(|_, owner| owner.email != email);
    }
}

// ---------------------------------------------------------------------------
// Anonymous routes (a `token` header, if any, is ignored)

async fn create(State(t): State<TagoIo>, Body(body): Body) -> Reply {
    let name = required(&body, "name")?;
    let email = required(&body, "email")?;
    let password = required(&body, "password")?;
    let cpassword = required(&body, "cpassword")?;
    let timezone = required(&body, "timezone")?;
    let company = optional(&body, "company")?;
    let country = optional(&body, "country")?;
    let newsletter = optional_bool(&body, "newsletter")?.unwrap_or(false);
    let developer = optional_bool(&body, "developer")?.unwrap_or(false);
    if !email.contains('@') {
        return Err(invalid("Invalid email"));
    }
    if password != cpassword {
        return Err(invalid("Password and password confirmation don't match"));
    }

    let mut state = t.lock();
    if state.accounts.contains_key(email) {
        return Err(ApiError::Top(StatusCode::BAD_REQUEST, "Email already in use".to_owned()));
    }
    let mut account = Account::new(name, email, password, timezone);
    account.company = company.map(str::to_owned);
    account.country = country.map(str::to_owned);
    account.newsletter = newsletter;
    account.developer = developer;
    state.accounts.insert(email.to_owned(), account);
    state.send_confirmation(email);
    done("Account created. Check your email to confirm it.")
}

async fn confirm(State(t): State<TagoIo>, Segment(token): Segment) -> Reply {
    let mut state = t.lock();
    let email = state
        .confirmations
        .get(&token)
        .cloned()
        .ok_or_else(|| not_found_error("Confirmation token not found"))?;
    state.account_mut(&email)?.active = true;
    state.confirmations.retain(|_, owner| *owner != email);
    done("Account confirmed")
}

async fn resend_confirmation(State(t): State<TagoIo>, Segment(email): Segment) -> Reply {
    let mut state = t.lock();
    if state.account_mut(&email)?.active {
        // The vendor answers this one with HTTP 200 and status false.
        return Err(ApiError::Top(StatusCode::OK, "Account already confirmed".to_owned()));
    }
    state.send_confirmation(&email);
    done("Confirmation email sent")
}

async fn login(State(t): State<TagoIo>, Body(body): Body) -> Reply {
    let mut state = t.lock();
    let account = state.sign_in(&body)?;
    account.second_factor(&body, PinUse::Login)?;
    account.last_login = Some(timestamp(now()));
    Ok(Success(json!({
        "type": "user",
        "id": account.id,
        "email": account.email,
        "name": account.name,
        "company": account.company,
        "phone": account.phone,
        "profiles": [account.profile()],
    })))
}

async fn login_pin(State(t): State<TagoIo>, Body(body): Body) -> Reply {
    let kind = OtpType::parse(required(&body, "otp_type")?)?;
    let mut state = t.lock();
    let account = state.sign_in(&body)?;
    if !account.otp.contains(&kind) {
        return Err(invalid(format!("2FA type not enabled: {}", kind.as_str())));
    }
    let email = account.email.clone();
    state.issue_login_pin(&email, kind);
    done("PIN sent")
}

async fn token_create(State(t): State<TagoIo>, Body(body): Body) -> Reply {
    let profile_id = required(&body, "profile_id")?;
    let name = required(&body, "name")?;
    let permission = optional(&body, "permission")?.unwrap_or("full");
    let expire_time = optional(&body, "expire_time")?;
    let mut state = t.lock();
    let account = state.sign_in(&body)?;
    account.second_factor(&body, PinUse::Token)?;
    if account.profile_id != profile_id {
        return Err(not_found_error("Profile not found"));
    }
    let (email, account_id) = (account.email.clone(), account.id.clone());
    let token = profile_token();
    state.profile_tokens.insert(token.clone(), TokenOwner { email, account_id: account_id.clone() });
    Ok(Success(json!({
        "token": token,
        "name": name,
        "permission": permission,
        "profile": profile_id,
        "created_by": account_id,
        "expire_date": expire_date(expire_time, now()),
    })))
}

async fn password_recover(State(t): State<TagoIo>, Segment(email): Segment) -> Reply {
    let mut state = t.lock();
    // Same answer for unknown emails, so the endpoint doesn't reveal which exist.
    if state.accounts.contains_key(&email) {
        let token = random_string(URL_SAFE, 32);
        state.password_resets.insert(token.clone(), email.clone());
        state.send(&email, MessageKind::PasswordReset { token });
    }
    done("Email sent")
}

async fn team_accept(t: State<TagoIo>, token: Segment) -> Reply {
    answer_invitation(t, token, InvitationState::Accepted)
}

async fn team_decline(t: State<TagoIo>, token: Segment) -> Reply {
    answer_invitation(t, token, InvitationState::Declined)
}

fn answer_invitation(State(t): State<TagoIo>, Segment(token): Segment, answer: InvitationState) -> Reply {
    let mut state = t.lock();
    let invitation =
        state.invitations.get_mut(&token).ok_or_else(|| not_found_error("Invitation not found"))?;
    if *invitation != InvitationState::Pending {
        return Err(ApiError::Top(StatusCode::BAD_REQUEST, "Invitation already answered".to_owned()));
    }
    *invitation = answer;
    done(match answer {
        InvitationState::Declined => "Invitation declined",
        _ => "Invitation accepted",
    })
}

// ---------------------------------------------------------------------------
// Routes that need a profile token in the `token` header

async fn info(State(t): State<TagoIo>, headers: HeaderMap) -> Reply {
    let mut state = t.lock();
    let email = state.authenticate(&headers)?;
    Ok(Success(state.account_mut(&email)?.info()))
}

/// The fields `PUT /account` changes: the properties of its request body
/// in the description (a test holds them equal).
const EDITABLE: [&str; 6] = ["name", "company", "language", "phone", "timezone", "options"];

async fn edit(State(t): State<TagoIo>, headers: HeaderMap, Body(body): Body) -> Reply {
    let mut state = t.lock();
    let email = state.authenticate(&headers)?;

    // Validate everything before changing anything.
    if let Some(key) = body.keys().find(|k| !EDITABLE.contains(&k.as_str())) {
        return Err(invalid(format!("Field {key} can't be edited")));
    }
    for key in ["name", "language", "timezone"] {
        if body.contains_key(key) {
            required(&body, key)?;
        }
    }
    let company = optional(&body, "company")?;
    let phone = optional(&body, "phone")?;
    if phone.is_some_and(|p| !p.starts_with('+')) {
        return Err(invalid("Field phone must start with + and the country code"));
    }
    let options = match body.get("options") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => Some(o),
        Some(_) => return Err(invalid("Field options must be an object")),
    };

    let account = state.account_mut(&email)?;
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
    if let Some(name) = text("name") {
        account.name = name;
    }
    if let Some(language) = text("language") {
        account.language = language;
    }
    if let Some(timezone) = text("timezone") {
        account.timezone = timezone;
    }
    // An explicit null clears these two.
    if body.contains_key("company") {
        account.company = company.map(str::to_owned);
    }
    if body.contains_key("phone") {
        account.phone = phone.map(str::to_owned);
    }
    for (key, value) in options.into_iter().flatten() {
        account.options.insert(key.clone(), value.clone());
    }
    account.updated_at = timestamp(now());
    done("Account Successfully Updated")
}

async fn delete_account(State(t): State<TagoIo>, headers: HeaderMap) -> Reply {
    let mut state = t.lock();
    let email = state.authenticate(&headers)?;
    state.accounts.remove(&email);
    state.forget_tokens_of(&email);
    done("Account Successfully Removed")
}

async fn password_change(State(t): State<TagoIo>, headers: HeaderMap, Body(body): Body) -> Reply {
    let mut state = t.lock();
    let token = header_token(&headers).ok_or_else(denied)?;
    let (email, reset) = match state.password_resets.get(token) {
        Some(email) => (email.clone(), true),
        None => (state.authenticate(&headers)?, false),
    };
    let password = required(&body, "password")?.to_owned();
    state.account_mut(&email)?.password = password;
    if reset {
        state.password_resets.remove(token);
    }
    done("Password Successfully Changed")
}

async fn otp_enable(
    State(t): State<TagoIo>,
    headers: HeaderMap,
    Segment(kind): Segment,
    Body(body): Body,
) -> Reply {
    let mut state = t.lock();
    let email = state.authenticate(&headers)?;
    let kind = OtpType::parse(&kind)?;
    state.recheck_credentials(&email, &body)?;
    // The fake does no TOTP: an authenticator PIN goes to the outbox like the others.
    let code = state.send_pin(&email, kind);
    state.account_mut(&email)?.pending_otp.insert(kind, code);
    done("Confirm the PIN to enable 2FA")
}

async fn otp_confirm(
    State(t): State<TagoIo>,
    headers: HeaderMap,
    Segment(kind): Segment,
    Body(body): Body,
) -> Reply {
    let mut state = t.lock();
    let email = state.authenticate(&headers)?;
    let kind = OtpType::parse(&kind)?;
    let code = required(&body, "pin_code")?;
    let account = state.account_mut(&email)?;
    if account.pending_otp.get(&kind).map(String::as_str) != Some(code) {
        return Err(invalid("Invalid PIN code"));
    }
    account.pending_otp.remove(&kind);
    account.otp.insert(kind);
    done("2FA enabled")
}

async fn otp_disable(
    State(t): State<TagoIo>,
    headers: HeaderMap,
    Segment(kind): Segment,
    Body(body): Body,
) -> Reply {
    let mut state = t.lock();
    let email = state.authenticate(&headers)?;
    let kind = OtpType::parse(&kind)?;
    let account = state.recheck_credentials(&email, &body)?;
    account.otp.remove(&kind);
    account.pending_otp.remove(&kind);
    account.login_pins.remove(&kind);
    done("2FA disabled")
}

#[cfg(test)]
mod tests;
