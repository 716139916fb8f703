//! The STX (SportsX) GraphQL auth and two-factor API: all 14 mutations and
//! the `userProfile` query.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
//!
//! // The examples run against the in-process sandbox: its handle hands
//! // out what production gets from the vendor (URL, tokens, emailed codes).
//! let sandbox = accountkit_sandbox::Sandbox::start().await?;
//! sandbox.stx().add_user("ada@example.com", "correct horse", true);
//! let host = Host::Custom(sandbox.stx().base_url());
//! let read_code_from_email = || sandbox.stx().latest_code("ada@example.com").unwrap();
//!
//! // `Host::Production` in real use; these examples talk to the sandbox.
//! let stx = Client::new(host)?;
//! let credentials = Credentials::new("ada@example.com", "correct horse");
//! let session = match stx.login(&credentials).await? {
//!     LoginOutcome::LoggedIn(session) => session,
//!     LoginOutcome::TwoFactorRequired(challenge) => {
//!         stx.confirm_2fa(&challenge, read_code_from_email()).await?
//!     }
//! };
//! assert_eq!(session.info().user_status.as_deref(), Some("ACTIVE"));
//! // Refreshed through `newToken` before it expires, or once when the
//! // server rejects it.
//! session.send_2fa().await?;
//! session.logout(None).await?;
//! # Ok(()) }
//! ```
//!
//! Every call is one `POST <host>/api/graphql` carrying a document checked
//! at compile time against the schema in `openapi/stx/schema.graphql`.
//! [`Client`] sends the anonymous mutations (login, 2FA confirmation,
//! registration, password reset) without credentials; a [`Session`] sends
//! the others, and the query, with `Authorization: Bearer <access token>`.
//!
//! GraphQL `errors`, whether the HTTP status is 200 or 400, become an
//! [`Error`] with the server's message, its `extensions.code`
//! as [`code`](crate::Error::code) and its field path as
//! [`path`](crate::Error::path). Errors in an HTTP 200 answer have no
//! [`status`](crate::Error::status): the exchange worked, GraphQL refused.
//! [`operation`](crate::Error::operation) names the method called
//! (`confirm_2fa`, not `confirm2Fa`); when a session's refresh fails on the
//! way, it names that method and the message starts `refreshing the session:`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sandbox = accountkit_sandbox::Sandbox::start().await?;
//! # sandbox.stx().add_user("ada@example.com", "correct horse", false);
//! # let stx = accountkit::stx::Client::new(accountkit::stx::Host::Custom(sandbox.stx().base_url()))?;
//! use accountkit::ErrorKind;
//! use accountkit::stx::Credentials;
//!
//! let wrong = Credentials::new("ada@example.com", "not my password");
//! let err = stx.login(&wrong).await.unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Unauthorized);
//! assert_eq!((err.operation(), err.path(), err.status()), ("login", Some("login"), None));
//! assert_eq!(err.message(), "Invalid email or password");
//! # Ok(()) }
//! ```
//!
//! # Worked examples
//!
//! Each of these runs against the sandbox, which "emails" its codes to an
//! outbox: `read_code_from_email()` stands for the user typing in the code
//! they received.
//!
//! ## Logging in, with or without 2FA
//!
//! [`Client::login`] answers [`LoginOutcome::LoggedIn`] for an account
//! without 2FA. With 2FA on it answers [`LoginOutcome::TwoFactorRequired`]
//! and emails a code; [`Client::confirm_2fa`] turns the challenge and the
//! code into a session, and [`Client::resend_2fa`] sends a fresh code when
//! the first one is lost (the old one stops working).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sandbox = accountkit_sandbox::Sandbox::start().await?;
//! # sandbox.stx().add_user("ada@example.com", "correct horse", false);
//! # sandbox.stx().add_user("grace@example.com", "tr0ub4dor&3", true);
//! # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
//! # let read_code_from_email = |email: &str| sandbox.stx().latest_code(email).unwrap();
//! use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
//!
//! // No 2FA: a session straight away.
//! let ada = Credentials::new("ada@example.com", "correct horse").device_id("ada-laptop");
//! let LoginOutcome::LoggedIn(session) = stx.login(&ada).await? else { panic!("Ada has no 2FA") };
//! assert_eq!(session.info().device_id.as_deref(), Some("ada-laptop"));
//!
//! // 2FA: a challenge, then the emailed code.
//! let grace = Credentials::new("grace@example.com", "tr0ub4dor&3");
//! let LoginOutcome::TwoFactorRequired(challenge) = stx.login(&grace).await? else {
//!     panic!("Grace has 2FA on")
//! };
//! stx.resend_2fa(&challenge).await?; // the first email got lost
//! let session = stx.confirm_2fa(&challenge, read_code_from_email(challenge.email())).await?;
//! assert!(session.info().user_id.is_some());
//! # Ok(()) }
//! ```
//!
//! ## Keeping a user logged in
//!
//! A [`Session`] refreshes its access token by itself. To survive a
//! restart, store its [`refresh_token`](Session::refresh_token) and
//! [`resume`](Client::resume) from it later. Refresh tokens rotate: after a
//! refresh (by [`Session::refresh`] or on the way to a call), store the new
//! one: the old one is refused.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sandbox = accountkit_sandbox::Sandbox::start().await?;
//! # sandbox.stx().add_user("ada@example.com", "correct horse", false);
//! # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
//! # let LoginOutcome::LoggedIn(session) =
//! #     stx.login(&Credentials::new("ada@example.com", "correct horse")).await? else { unreachable!() };
//! use accountkit::ErrorKind;
//! use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
//!
//! session.refresh().await?; // new tokens now
//! let stored = session.refresh_token(); // keep it in the keychain
//! drop(session);
//!
//! // Later, in another process:
//! let session = stx.resume(&stored).await?;
//! session.send_2fa().await?;
//! // `resume` used the stored token up: the session holds its successor.
//! assert_eq!(stx.resume(&stored).await.unwrap_err().kind(), ErrorKind::Unauthorized);
//! # Ok(()) }
//! ```
//!
//! Access tokens live an hour. A session refreshes its token when it is
//! within the builder's [`refresh_margin`](ClientBuilder::refresh_margin)
//! of expiry, and once more when the server refuses it anyway (revoked,
//! or the clocks disagree), then sends the call again:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sandbox = accountkit_sandbox::Sandbox::start().await?;
//! # sandbox.stx().add_user("ada@example.com", "correct horse", false);
//! # sandbox.stx().set_token_lifetime(Duration::from_secs(90));
//! # let host = Host::Custom(sandbox.stx().base_url());
//! # let refreshes = || sandbox.stx().requests().iter().filter(|r| r.mutation.as_deref() == Some("newToken")).count();
//! use std::time::Duration;
//! use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
//!
//! let stx = Client::builder(host).refresh_margin(Duration::from_secs(120)).build()?;
//! let credentials = Credentials::new("ada@example.com", "correct horse");
//! let LoginOutcome::LoggedIn(session) = stx.login(&credentials).await? else { unreachable!() };
//! # sandbox.stx().set_token_lifetime(Duration::from_secs(3600));
//!
//! session.send_2fa().await?; // expires within the margin: refreshed first
//! # assert_eq!(refreshes(), 1);
//! # sandbox.stx().revoke_access_tokens();
//! session.send_2fa().await?; // refused by the server: refreshed, sent again
//! # assert_eq!(refreshes(), 2);
//! # Ok(()) }
//! ```
//!
//! ## Changing the password
//!
//! With 2FA on, [`Session::change_password`] answers
//! [`PasswordChange::ConfirmationRequired`] and emails a code; the change
//! is made by [`Session::confirm_change_password_2fa`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sandbox = accountkit_sandbox::Sandbox::start().await?;
//! # sandbox.stx().add_user("grace@example.com", "tr0ub4dor&3", true);
//! # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
//! # let LoginOutcome::TwoFactorRequired(challenge) =
//! #     stx.login(&Credentials::new("grace@example.com", "tr0ub4dor&3")).await? else { unreachable!() };
//! # let read_code_from_email = || sandbox.stx().latest_code("grace@example.com").unwrap();
//! # let session = stx.confirm_2fa(&challenge, read_code_from_email()).await?;
//! use accountkit::ErrorKind;
//! use accountkit::stx::{Client, Credentials, Host, LoginOutcome, PasswordChange};
//!
//! let err = session.change_password("wrong", "correct horse battery").await.unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Rejected);
//!
//! match session.change_password("tr0ub4dor&3", "correct horse battery").await? {
//!     PasswordChange::Changed => {}
//!     PasswordChange::ConfirmationRequired => {
//!         session.confirm_change_password_2fa(read_code_from_email()).await?;
//!     }
//!     _ => unreachable!(),
//! }
//! let new = Credentials::new("grace@example.com", "correct horse battery");
//! assert!(matches!(stx.login(&new).await?, LoginOutcome::TwoFactorRequired(_)));
//! # Ok(()) }
//! ```
//!
//! ## Resetting a forgotten password
//!
//! Anonymous: [`Client::forgot_password`] emails a code whether or not the
//! account exists, [`Client::confirm_password_reset`] sets the new password.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sandbox = accountkit_sandbox::Sandbox::start().await?;
//! # sandbox.stx().add_user("ada@example.com", "correct horse", false);
//! # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
//! # let read_code_from_email = || sandbox.stx().latest_code("ada@example.com").unwrap();
//! use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
//!
//! let requested = stx.forgot_password("ada@example.com").await?;
//! println!("{}", requested.message.unwrap_or_default());
//! stx.confirm_password_reset(read_code_from_email(), "a new horse, stapled").await?;
//!
//! let credentials = Credentials::new("ada@example.com", "a new horse, stapled");
//! assert!(matches!(stx.login(&credentials).await?, LoginOutcome::LoggedIn(_)));
//! # Ok(()) }
//! ```
//!
//! ## Registering, turning 2FA on and off, logging out
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sandbox = accountkit_sandbox::Sandbox::start().await?;
//! # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
//! # let read_code_from_email = || sandbox.stx().latest_code("grace@example.com").unwrap();
//! use accountkit::ErrorKind;
//! use accountkit::stx::{Client, Credentials, Host, LoginOutcome, Registration};
//!
//! let registration = Registration::new("grace@example.com", "tr0ub4dor&3").name("Grace", "Hopper");
//! stx.register(&registration).await?;
//!
//! let credentials = Credentials::new("grace@example.com", "tr0ub4dor&3");
//! let LoginOutcome::LoggedIn(session) = stx.login(&credentials).await? else { unreachable!() };
//! let enabled = session.enable_2fa(Some("tr0ub4dor&3".into())).await?;
//! assert_eq!(enabled.status.as_deref(), Some("enabled"));
//! session.logout(None).await?;
//! // Logging out voids the session's tokens, the refresh token too.
//! assert_eq!(session.send_2fa().await.unwrap_err().kind(), ErrorKind::Unauthorized);
//!
//! let LoginOutcome::TwoFactorRequired(challenge) = stx.login(&credentials).await? else {
//!     unreachable!()
//! };
//! let session = stx.confirm_2fa(&challenge, read_code_from_email()).await?;
//! session.disable_2fa(Some("tr0ub4dor&3".into())).await?;
//! assert!(matches!(stx.login(&credentials).await?, LoginOutcome::LoggedIn(_)));
//! # Ok(()) }
//! ```

mod types;

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::IntoSecret;
use accountkit_runtime::Auth;
use accountkit_stx_raw as raw;
use base64::Engine;
use chrono::{DateTime, Utc};
use cynic::{MutationBuilder as _, QueryBuilder as _};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::provider::{self, Call, Core, Op, Provider, VendorError};
use crate::transport;
use crate::validate;

pub use types::*;

const PROVIDER: &str = "stx";

const fn op(name: &'static str) -> Op {
    Op { provider: PROVIDER, name }
}

/// STX, to the code the providers share.
struct Stx;

impl Provider for Stx {
    const NAME: &'static str = PROVIDER;
    type Raw = raw::Client;

    /// Never reached: GraphQL reports its errors in the body at any status,
    /// so the raw client hands back every answer and [`open`] reads them.
    fn read_error(_: &Value) -> VendorError {
        VendorError::default()
    }
}

/// How long an access token lives when it does not say (the JWT's `exp`):
/// one hour.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(60 * 60);
/// How long before expiry a session refreshes its token, unless set: 60 s.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// Where the API lives.
///
/// STX names two production hosts: its official Python SDK (`stx-pysdk`
/// 1.0.19) sends to `api.on.stxapp.ca`, its documentation names
/// `api.on.sportsxapp.com`. The default, [`Host::Production`], is the SDK's:
/// that is what STX's own released code talks to;
/// [`Host::ProductionSportsx`] is the documented one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Host {
    /// Production as the SDK sends to it, `https://api.on.stxapp.ca`.
    #[default]
    Production,
    /// Production as the documentation names it, `https://api.on.sportsxapp.com`.
    ProductionSportsx,
    /// Staging, `https://api-staging.on.sportsxapp.com`.
    Staging,
    /// Any base URL, such as a sandbox or a proxy; `/api/graphql` is
    /// appended.
    Custom(String),
}

impl Host {
    /// The GraphQL endpoint.
    ///
    /// ```
    /// use accountkit::ErrorKind;
    /// use accountkit::stx::Host;
    ///
    /// assert_eq!(Host::Staging.endpoint()?, "https://api-staging.on.sportsxapp.com/api/graphql");
    /// let proxy = Host::Custom("https://stx-proxy.example.com/".into());
    /// assert_eq!(proxy.endpoint()?, "https://stx-proxy.example.com/api/graphql");
    /// let err = Host::Custom("stx-proxy.example.com".into()).endpoint().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// # Ok::<(), accountkit::Error>(())
    /// ```
    pub fn endpoint(&self) -> Result<String> {
        Ok(format!("{}{}", self.base_url()?, raw::PATH))
    }

    fn base_url(&self) -> Result<String> {
        match self {
            Host::Production => Ok("https://api.on.stxapp.ca".to_string()),
            Host::ProductionSportsx => Ok("https://api.on.sportsxapp.com".to_string()),
            Host::Staging => Ok("https://api-staging.on.sportsxapp.com".to_string()),
            Host::Custom(url) => validate::base_url(op("client"), "base_url", url),
        }
    }
}

/// Builds a [`Client`] with more than the defaults.
#[derive(Debug)]
pub struct ClientBuilder {
    host: Host,
    refresh_margin: Duration,
    transport: transport::Transport,
}

impl ClientBuilder {
    transport::transport_options!(
        "accountkit::stx::Client::builder(accountkit::stx::Host::Staging)",
        "accountkit::stx::Client::builder(accountkit::stx::Host::Custom(\"http://stx.internal:8080\".into()))"
    );

    /// How long before its expiry a session's access token is refreshed;
    /// [`REFRESH_MARGIN`] unless set.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", false);
    /// # sandbox.stx().set_token_lifetime(Duration::from_secs(120));
    /// # let host = Host::Custom(sandbox.stx().base_url());
    /// use std::time::Duration;
    /// use accountkit::ExposeSecret;
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
    ///
    /// let stx = Client::builder(host).refresh_margin(Duration::from_secs(5 * 60)).build()?;
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// let LoginOutcome::LoggedIn(session) = stx.login(&credentials).await? else { unreachable!() };
    /// let first = session.refresh_token();
    /// // The token expires within the margin: the call refreshes it first.
    /// session.send_2fa().await?;
    /// assert_ne!(session.refresh_token().expose_secret(), first.expose_secret());
    /// # Ok(()) }
    /// ```
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// ```
    /// use std::time::Duration;
    /// use accountkit::ErrorKind;
    /// use accountkit::stx::{Client, Host};
    ///
    /// let stx = Client::builder(Host::Staging).timeout(Duration::from_secs(10)).build()?;
    /// assert!(format!("{stx:?}").contains("api-staging.on.sportsxapp.com"));
    ///
    /// // Plain http is refused off the loopback interface.
    /// let insecure = Client::builder(Host::Custom("http://stx.internal".into())).build();
    /// assert_eq!(insecure.unwrap_err().kind(), ErrorKind::InvalidInput);
    /// # Ok::<(), accountkit::Error>(())
    /// ```
    pub fn build(self) -> Result<Client> {
        let policy = self.transport.policy(PROVIDER);
        let core = Core::new(&self.host.base_url()?, Auth::none(), &self.transport, policy)?;
        Ok(Client { core, refresh_margin: self.refresh_margin })
    }
}

/// An STX client: the anonymous mutations, and the way to a [`Session`].
/// Cloning is cheap and shares the connection pool.
#[derive(Clone)]
pub struct Client {
    /// Without credentials: a session sends its own.
    core: Core<Stx>,
    refresh_margin: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("endpoint", &self.endpoint()).finish_non_exhaustive()
    }
}

/// What [`Client::login`] leads to.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Logged in.
    LoggedIn(Session),
    /// The account has 2FA on: a code went to the user's email. Finish with
    /// [`Client::confirm_2fa`].
    TwoFactorRequired(TwoFactorChallenge),
}

impl Client {
    /// A client with the default settings.
    ///
    /// ```
    /// use accountkit::stx::{Client, Host};
    ///
    /// let stx = Client::new(Host::Production)?;
    /// assert!(format!("{stx:?}").contains("https://api.on.stxapp.ca/api/graphql"));
    /// # Ok::<(), accountkit::Error>(())
    /// ```
    pub fn new(host: Host) -> Result<Client> {
        Client::builder(host).build()
    }

    /// Starts a [`ClientBuilder`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use accountkit::RetryPolicy;
    /// use accountkit::stx::{Client, Host};
    ///
    /// let stx = Client::builder(Host::Staging)
    ///     .connect_timeout(Duration::from_secs(3))
    ///     .retry(RetryPolicy::none())
    ///     .refresh_margin(Duration::from_secs(120))
    ///     .build()?;
    /// # let _ = stx;
    /// # Ok::<(), accountkit::Error>(())
    /// ```
    pub fn builder(host: Host) -> ClientBuilder {
        ClientBuilder { host, refresh_margin: REFRESH_MARGIN, transport: transport::Transport::default() }
    }

    /// `login`: a session, or a 2FA challenge when the account has 2FA on.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", false);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// use accountkit::ErrorKind;
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
    ///
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// match stx.login(&credentials).await? {
    ///     LoginOutcome::LoggedIn(session) => assert!(session.info().user_id.is_some()),
    ///     LoginOutcome::TwoFactorRequired(_) => panic!("Ada has no 2FA"),
    /// }
    ///
    /// let wrong = Credentials::new("ada@example.com", "wrong horse");
    /// assert_eq!(stx.login(&wrong).await.unwrap_err().kind(), ErrorKind::Unauthorized);
    /// # Ok(()) }
    /// ```
    pub async fn login(&self, credentials: &Credentials) -> Result<LoginOutcome> {
        let mut call = self.core.call("login");
        let op = call.op();
        let vars = raw::LoginVariables { credentials: credentials.to_raw(&mut call)? };
        let raw::Login { login } = send(&self.core, call, &raw::Login::build(vars)).await?;
        let answer = LoginAnswer::from_raw(required(op, login)?);
        if answer.prompt_two_factor_auth == Some(true) {
            let session_id = answer.session_id.filter(|id| !id.is_empty()).ok_or_else(|| {
                op.error(ErrorKind::Decode, "2FA is required but the server sent no sessionId")
            })?;
            return Ok(LoginOutcome::TwoFactorRequired(TwoFactorChallenge {
                session_id,
                email: credentials.email.clone(),
                user_id: answer.info.user_id,
            }));
        }
        Ok(LoginOutcome::LoggedIn(self.session_from(op, answer)?))
    }

    /// `confirm2Fa`: completes a login with the emailed code.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let ada_id = sandbox.stx().add_user("ada@example.com", "correct horse", true);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// # let read_code_from_email = || sandbox.stx().latest_code("ada@example.com").unwrap();
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
    ///
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// let LoginOutcome::TwoFactorRequired(challenge) = stx.login(&credentials).await? else {
    ///     panic!("Ada has 2FA on")
    /// };
    /// let session = stx.confirm_2fa(&challenge, read_code_from_email()).await?;
    /// assert_eq!(session.info().user_id, Some(ada_id));
    /// # Ok(()) }
    /// ```
    pub async fn confirm_2fa(
        &self,
        challenge: &TwoFactorChallenge,
        code: impl IntoSecret,
    ) -> Result<Session> {
        let code: &SecretString = &code.into_secret();
        let mut call = self.core.call("confirm_2fa");
        let op = call.op();
        let code = raw::Secret::new(call.secret("code", code)?);
        validate::text(op, "session_id", &challenge.session_id)?;
        validate::email(op, "email", &challenge.email)?;
        let vars = raw::Confirm2FaVariables {
            code,
            session_id: challenge.session_id.clone(),
            email: raw::EmailAddress(challenge.email.clone()),
        };
        let raw::Confirm2Fa { confirm2_fa } = send(&self.core, call, &raw::Confirm2Fa::build(vars)).await?;
        self.session_from(op, LoginAnswer::from_raw(required(op, confirm2_fa)?))
    }

    /// `resend2Fa`: sends the login code of a challenge again.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", true);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// # let read_code_from_email = || sandbox.stx().latest_code("ada@example.com").unwrap();
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
    ///
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// let LoginOutcome::TwoFactorRequired(challenge) = stx.login(&credentials).await? else {
    ///     unreachable!()
    /// };
    /// let resent = stx.resend_2fa(&challenge).await?;
    /// assert_eq!(resent.session_id.as_deref(), Some(challenge.session_id()));
    /// // Only the newest code works.
    /// let session = stx.confirm_2fa(&challenge, read_code_from_email()).await?;
    /// # let _ = session;
    /// # Ok(()) }
    /// ```
    pub async fn resend_2fa(&self, challenge: &TwoFactorChallenge) -> Result<TwoFactorStatus> {
        let call = self.core.call("resend_2fa");
        let op = call.op();
        validate::text(op, "session_id", &challenge.session_id)?;
        validate::email(op, "email", &challenge.email)?;
        let vars = raw::Resend2FaVariables {
            session_id: challenge.session_id.clone(),
            email: raw::EmailAddress(challenge.email.clone()),
        };
        let raw::Resend2Fa { resend2_fa } = send(&self.core, call, &raw::Resend2Fa::build(vars)).await?;
        required(op, resend2_fa).map(TwoFactorStatus::from_raw)
    }

    /// `newToken`: a session from a refresh token kept from an earlier one.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", false);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// # let LoginOutcome::LoggedIn(session) =
    /// #     stx.login(&Credentials::new("ada@example.com", "correct horse")).await? else { unreachable!() };
    /// # let stored_refresh_token = session.refresh_token();
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
    ///
    /// let session = stx.resume(stored_refresh_token).await?;
    /// assert!(session.expires_at() > accountkit::chrono::Utc::now());
    /// // Store the session's new refresh token: the old one is used up.
    /// let stored_refresh_token = session.refresh_token();
    /// # let _ = stored_refresh_token;
    /// # Ok(()) }
    /// ```
    pub async fn resume(&self, refresh_token: impl IntoSecret) -> Result<Session> {
        let refresh_token: &SecretString = &refresh_token.into_secret();
        let call = self.core.call("resume");
        let op = call.op();
        let answer = self.new_token(call, refresh_token).await?;
        self.session_from(op, answer)
    }

    /// `register`: creates an account from the typed document, sent as the
    /// JSON string the API wants.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// use accountkit::ErrorKind;
    /// use accountkit::stx::{Client, Host, Registration};
    ///
    /// let registration = Registration::new("grace@example.com", "tr0ub4dor&3").name("Grace", "Hopper");
    /// let registered = stx.register(&registration).await?;
    /// assert_eq!(registered.message.as_deref(), Some("Registration successful"));
    ///
    /// let again = stx.register(&registration).await.unwrap_err();
    /// assert_eq!(again.kind(), ErrorKind::Rejected);
    /// assert_eq!(again.message(), "An account with this email already exists");
    /// # Ok(()) }
    /// ```
    pub async fn register(&self, registration: &Registration) -> Result<Registered> {
        let mut call = self.core.call("register");
        let op = call.op();
        let document = registration.encode(&mut call)?;
        // The document holds the password, and is sent as a secret itself.
        let data = raw::Secret::new(call.record(document.expose_secret()));
        let vars = raw::RegisterVariables { input: raw::UserRegistrationInput { data } };
        let raw::Register { register } = send(&self.core, call, &raw::Register::build(vars)).await?;
        let raw::RegisterUserResult { status, message, verification_code } = required(op, register)?;
        Ok(Registered {
            status,
            message,
            verification_code: verification_code.map(|code| SecretString::from(code.expose())),
        })
    }

    /// `forgotPassword`: emails a password-reset code.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", false);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// use accountkit::stx::{Client, Host};
    ///
    /// let requested = stx.forgot_password("ada@example.com").await?;
    /// assert_eq!(requested.email.as_deref(), Some("ada@example.com"));
    /// println!("{}: {}", requested.header.unwrap_or_default(), requested.message.unwrap_or_default());
    /// # Ok(()) }
    /// ```
    pub async fn forgot_password(&self, email: &str) -> Result<ResetRequested> {
        let call = self.core.call("forgot_password");
        let op = call.op();
        validate::email(op, "email", email)?;
        let vars = raw::ForgotPasswordVariables { email: raw::EmailAddress(email.to_string()) };
        let raw::ForgotPassword { forgot_password } =
            send(&self.core, call, &raw::ForgotPassword::build(vars)).await?;
        let raw::ForgotPasswordResult { header, message, email } = required(op, forgot_password)?;
        Ok(ResetRequested { header, message, email: email.map(|e| e.0) })
    }

    /// `confirmPasswordReset`: sets a new password with the emailed code.
    /// A `reset: false` answer is an error carrying the server's message.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", false);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// # let read_code_from_email = || sandbox.stx().latest_code("ada@example.com").unwrap();
    /// use accountkit::ErrorKind;
    /// use accountkit::stx::{Client, Host};
    ///
    /// stx.forgot_password("ada@example.com").await?;
    /// let code = read_code_from_email();
    /// stx.confirm_password_reset(&code, "a new horse, stapled").await?;
    ///
    /// // A code works once.
    /// let err = stx.confirm_password_reset(&code, "yet another horse").await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Rejected);
    /// assert_eq!(err.message(), "The code is invalid or has expired");
    /// # Ok(()) }
    /// ```
    pub async fn confirm_password_reset(
        &self,
        code: impl IntoSecret,
        new_password: impl IntoSecret,
    ) -> Result<()> {
        let code: &SecretString = &code.into_secret();
        let new_password: &SecretString = &new_password.into_secret();
        let mut call = self.core.call("confirm_password_reset");
        let op = call.op();
        let password_reset_params = raw::PasswordResetParams {
            code: raw::Secret::new(call.secret("code", code)?),
            new_password: raw::Secret::new(call.secret("new_password", new_password)?),
        };
        let operation =
            raw::ConfirmPasswordReset::build(raw::ConfirmPasswordResetVariables { password_reset_params });
        let raw::ConfirmPasswordReset { confirm_password_reset } =
            send(&self.core, call.clone(), &operation).await?;
        let raw::PasswordResetResult { reset, message } = required(op, confirm_password_reset)?;
        if reset == Some(true) {
            Ok(())
        } else {
            let message = message.unwrap_or_else(|| "the password was not reset".to_string());
            Err(call.scrub(op.error(ErrorKind::Rejected, message).with_status(200), self.core.auth()))
        }
    }

    async fn new_token<'a>(
        &'a self,
        mut call: Call<'a>,
        refresh_token: &'a SecretString,
    ) -> Result<LoginAnswer> {
        let op = call.op();
        let refresh_token = raw::Secret::new(call.secret("refresh_token", refresh_token)?);
        let operation = raw::NewToken::build(raw::NewTokenVariables { refresh_token });
        let raw::NewToken { new_token } = send(&self.core, call, &operation).await?;
        required(op, new_token).map(LoginAnswer::from_raw)
    }

    fn session_from(&self, op: Op, answer: LoginAnswer) -> Result<Session> {
        let tokens = Tokens::from_result(op, &answer, None)?;
        Ok(Session {
            client: self.clone(),
            shared: Arc::new(SessionShared {
                tokens: Mutex::new(tokens),
                info: Mutex::new(answer.info),
                refreshing: tokio::sync::Mutex::new(()),
            }),
        })
    }

    fn endpoint(&self) -> String {
        format!("{}{}", self.core.base_url(), raw::PATH)
    }
}

/// Sends one operation with `core`'s credential and reads its answer; an
/// error is scrubbed of the call's secrets and of that credential.
fn send<'a, Q, V>(
    core: &'a Core<Stx>,
    call: Call<'a>,
    operation: &'a cynic::Operation<Q, V>,
) -> impl Future<Output = Result<Q>> + 'a
where
    Q: serde::de::DeserializeOwned + raw::Field + 'a,
    V: serde::Serialize + Sync,
{
    core.send(call, core.raw().send(operation), open::<Q>)
}

/// Reads an answer of any status into the operation's `data`, or its
/// GraphQL `errors` into an [`Error`].
fn open<Q: serde::de::DeserializeOwned + raw::Field>(op: Op, answer: raw::Answer) -> Result<Q> {
    let status = answer.status().as_u16();
    decode(op, Q::NAME, status, &answer)
        .map_err(|e| e.with_retry_after(provider::retry_after(answer.headers())))
}

/// A GraphQL answer read straight into the operation's type.
#[derive(serde::Deserialize)]
struct Answer<Q> {
    data: Option<Q>,
    #[serde(default)]
    errors: Option<Vec<serde::de::IgnoredAny>>,
}

/// Reads a GraphQL response: its `errors` first, whatever the status, then
/// its `data`.
fn decode<Q: serde::de::DeserializeOwned>(op: Op, field: &str, status: u16, body: &[u8]) -> Result<Q> {
    let success = (200..300).contains(&status);
    // The common answer, data and no errors, decodes in one pass; anything
    // else is read again below, as a tree, to say what is wrong.
    if success
        && let Ok(Answer { data: Some(data), errors }) = serde_json::from_slice::<Answer<Q>>(body)
        && errors.is_none_or(|e| e.is_empty())
    {
        return Ok(data);
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(cause) if success => return Err(provider::decode_error(op, Some(status), &cause)),
        Err(_) => {
            let what = if body.is_empty() { "an empty body" } else { "a body that is not JSON" };
            return Err(op
                .error(ErrorKind::from_status(status), format!("HTTP {status} with {what}"))
                .with_status(status));
        }
    };
    if let Some(errors) = value.get("errors").and_then(Value::as_array).filter(|e| !e.is_empty()) {
        return Err(graphql_error(op, field, status, errors));
    }
    if !success {
        return Err(op
            .error(ErrorKind::from_status(status), format!("HTTP {status} with no GraphQL errors"))
            .with_status(status));
    }
    match value.get("data") {
        None | Some(Value::Null) => {
            Err(op.error(ErrorKind::Decode, "the response has neither data nor errors").with_status(status))
        }
        Some(data) => Q::deserialize(data).map_err(|cause| provider::decode_error(op, Some(status), &cause)),
    }
}

/// The first GraphQL error, with the others' messages appended.
fn graphql_error(op: Op, field: &str, status: u16, errors: &[Value]) -> Error {
    let message_of = |e: &Value| e.get("message").and_then(Value::as_str).unwrap_or("").trim().to_string();
    let messages: Vec<String> = errors.iter().map(message_of).filter(|m| !m.is_empty()).collect();
    let message =
        if messages.is_empty() { "the server reported an error".to_string() } else { messages.join("; ") };
    let first = &errors[0];
    let path = first.get("path").and_then(Value::as_array).map(|segments| {
        segments
            .iter()
            .map(|s| match s {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(".")
    });
    let code =
        first.get("extensions").and_then(|e| e.get("code")).and_then(Value::as_str).map(str::to_string);
    // A refused refresh token ends the session, whatever the wording.
    let kind = if field == "newToken" || is_authentication(code.as_deref(), &message) {
        ErrorKind::Unauthorized
    } else if (200..300).contains(&status) {
        ErrorKind::Rejected
    } else {
        ErrorKind::from_status(status)
    };
    let error = op.error(kind, message).with_code(code).with_path(path);
    // On a 2xx the HTTP exchange worked and the failure is GraphQL's alone:
    // no status, so nothing reads "unauthorized (HTTP 200)".
    if (200..300).contains(&status) { error } else { error.with_status(status) }
}

/// Whether an error says the credentials are missing, wrong or expired.
fn is_authentication(code: Option<&str>, message: &str) -> bool {
    let code = code.unwrap_or("").to_ascii_lowercase();
    if matches!(code.as_str(), "unauthenticated" | "unauthorized" | "invalid_token" | "token_expired") {
        return true;
    }
    let message = message.to_ascii_lowercase();
    [
        "unauthenticated",
        "unauthorized",
        "not authenticated",
        "not logged in",
        "invalid token",
        "token expired",
        "expired token",
        "token has expired",
        "invalid email or password",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

/// Whether an error on an authenticated call means the access token itself
/// was refused, so a refresh may help (a wrong password does not).
fn is_token_refused(error: &Error) -> bool {
    error.kind() == ErrorKind::Unauthorized && !error.message().to_ascii_lowercase().contains("password")
}

/// A mutation's or query's field, which is null only alongside `errors`.
fn required<T>(op: Op, field: Option<T>) -> Result<T> {
    field.ok_or_else(|| {
        op.error(ErrorKind::Decode, format!("`{}` returned null without errors", op.name)).with_status(200)
    })
}

struct Tokens {
    access: SecretString,
    refresh: SecretString,
    expires_at: DateTime<Utc>,
    /// Bumped on every refresh, so concurrent callers refresh once.
    generation: u64,
}

impl Tokens {
    /// The tokens of a result; `previous` supplies the refresh token when a
    /// refresh does not rotate it.
    fn from_result(op: Op, answer: &LoginAnswer, previous: Option<&Tokens>) -> Result<Tokens> {
        let access = answer
            .token
            .as_ref()
            .filter(|t| !t.expose().is_empty())
            .ok_or_else(|| op.error(ErrorKind::Decode, "the server sent no token").with_status(200))?;
        let refresh = match (&answer.refresh_token, previous) {
            (Some(refresh), _) if !refresh.expose().is_empty() => SecretString::from(refresh.expose()),
            (_, Some(previous)) => previous.refresh.clone(),
            _ => return Err(op.error(ErrorKind::Decode, "the server sent no refreshToken").with_status(200)),
        };
        Ok(Tokens {
            access: SecretString::from(access.expose()),
            refresh,
            expires_at: expiry(access.expose()),
            generation: previous.map_or(0, |p| p.generation + 1),
        })
    }
}

/// The JWT's `exp` claim, or [`TOKEN_LIFETIME`] from now.
fn expiry(token: &str) -> DateTime<Utc> {
    let claimed = || {
        let payload = token.split('.').nth(1)?;
        let bytes =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
        let claims: Value = serde_json::from_slice(&bytes).ok()?;
        let exp = claims.get("exp")?.as_f64()?;
        DateTime::from_timestamp(exp as i64, 0)
    };
    claimed().unwrap_or_else(|| Utc::now() + TOKEN_LIFETIME)
}

/// A logged-in user: the access and refresh tokens, refreshed through
/// `newToken` shortly before the access token expires, or once when the
/// server refuses it. Cloning is cheap; clones share the tokens.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
/// # sandbox.stx().add_user("ada@example.com", "correct horse", false);
/// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
/// # let LoginOutcome::LoggedIn(session) =
/// #     stx.login(&Credentials::new("ada@example.com", "correct horse")).await? else { unreachable!() };
/// use accountkit::ExposeSecret;
/// use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
///
/// let before = session.refresh_token();
/// let for_a_task = session.clone();
/// tokio::spawn(async move { for_a_task.refresh().await }).await??;
/// // The task's refresh replaced the session's tokens too.
/// assert_ne!(session.refresh_token().expose_secret(), before.expose_secret());
/// // `Debug` shows no token.
/// assert!(!format!("{session:?}").contains(session.access_token().expose_secret()));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Session {
    client: Client,
    shared: Arc<SessionShared>,
}

struct SessionShared {
    tokens: Mutex<Tokens>,
    info: Mutex<LoginInfo>,
    /// Held while refreshing, so only one refresh is in flight.
    refreshing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("endpoint", &self.client.endpoint())
            .field("user_id", &self.info().user_id)
            .field("expires_at", &self.expires_at())
            .field("tokens", &"[REDACTED]")
            .finish()
    }
}

impl Session {
    /// What the server said at login or at the last refresh.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let ada_id = sandbox.stx().add_user("ada@example.com", "correct horse", false);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
    ///
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// let LoginOutcome::LoggedIn(session) = stx.login(&credentials).await? else { unreachable!() };
    /// let info = session.info();
    /// assert_eq!(info.user_id, Some(ada_id));
    /// assert_eq!(info.user_status.as_deref(), Some("ACTIVE"));
    /// assert!(!info.prompt_tnc_acceptance);
    /// # Ok(()) }
    /// ```
    pub fn info(&self) -> LoginInfo {
        self.shared.info.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// When the current access token expires.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", false);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// # let LoginOutcome::LoggedIn(session) =
    /// #     stx.login(&Credentials::new("ada@example.com", "correct horse")).await? else { unreachable!() };
    /// use accountkit::chrono::{TimeDelta, Utc};
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
    ///
    /// // Access tokens live an hour.
    /// let left = session.expires_at() - Utc::now();
    /// assert!(left > TimeDelta::minutes(59) && left <= TimeDelta::minutes(60));
    /// # Ok(()) }
    /// ```
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.tokens(|t| t.expires_at)
    }

    /// The current access token, e.g. for STX calls outside this module.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", false);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// # let LoginOutcome::LoggedIn(session) =
    /// #     stx.login(&Credentials::new("ada@example.com", "correct horse")).await? else { unreachable!() };
    /// use accountkit::ExposeSecret;
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
    ///
    /// // E.g. for a GraphQL query this module does not send.
    /// let authorization = format!("Bearer {}", session.access_token().expose_secret());
    /// assert!(authorization.starts_with("Bearer eyJ")); // a JWT
    /// # Ok(()) }
    /// ```
    pub fn access_token(&self) -> SecretString {
        self.tokens(|t| t.access.clone())
    }

    /// The current refresh token, to [`resume`](Client::resume) later.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", false);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// # let LoginOutcome::LoggedIn(session) =
    /// #     stx.login(&Credentials::new("ada@example.com", "correct horse")).await? else { unreachable!() };
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
    ///
    /// let stored = session.refresh_token(); // e.g. into the OS keychain
    /// let resumed = stx.resume(&stored).await?;
    /// assert_eq!(resumed.info().user_id, session.info().user_id);
    /// # Ok(()) }
    /// ```
    pub fn refresh_token(&self) -> SecretString {
        self.tokens(|t| t.refresh.clone())
    }

    fn tokens<T>(&self, read: impl FnOnce(&Tokens) -> T) -> T {
        read(&self.shared.tokens.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// `newToken`: replaces the tokens now.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", false);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// # let LoginOutcome::LoggedIn(session) =
    /// #     stx.login(&Credentials::new("ada@example.com", "correct horse")).await? else { unreachable!() };
    /// use accountkit::ExposeSecret;
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
    ///
    /// let before = session.refresh_token();
    /// session.refresh().await?;
    /// // Both tokens are new; the old refresh token is used up.
    /// assert_ne!(session.refresh_token().expose_secret(), before.expose_secret());
    /// assert!(stx.resume(&before).await.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn refresh(&self) -> Result<()> {
        let generation = self.tokens(|t| t.generation);
        self.refresh_from(generation).await
    }

    /// A refresh on the way to `caller`'s operation: a failure names that
    /// call, then the refresh.
    async fn refresh_for(&self, caller: Op, generation: u64) -> Result<()> {
        self.refresh_from(generation).await.map_err(|e| e.during(caller.name, "refreshing the session"))
    }

    /// Refreshes unless another caller already did since `generation`.
    async fn refresh_from(&self, generation: u64) -> Result<()> {
        let _flight = self.shared.refreshing.lock().await;
        let (current, refresh) = self.tokens(|t| (t.generation, t.refresh.clone()));
        if current != generation {
            return Ok(());
        }
        let call = self.client.core.call("refresh");
        let op = call.op();
        let answer = self.client.new_token(call, &refresh).await?;
        self.adopt(op, answer)
    }

    /// Takes the tokens and info of a result that carries a token.
    fn adopt(&self, op: Op, answer: LoginAnswer) -> Result<()> {
        let mut tokens = self.shared.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        *tokens = Tokens::from_result(op, &answer, Some(&tokens))?;
        drop(tokens);
        let mut info = self.shared.info.lock().unwrap_or_else(PoisonError::into_inner);
        let fresh = answer.info;
        // A refresh selects the same fields but may leave them null.
        info.current_login_at = fresh.current_login_at.or(info.current_login_at);
        info.status = fresh.status.or(info.status);
        Ok(())
    }

    /// Sends an authenticated operation: refreshes first when the token is
    /// about to expire, and once more if the server refuses it.
    async fn send<Q, V>(&self, call: Call<'_>, operation: &cynic::Operation<Q, V>) -> Result<Q>
    where
        Q: serde::de::DeserializeOwned + raw::Field,
        V: serde::Serialize + Sync,
    {
        let op = call.op();
        let margin = chrono::Duration::from_std(self.client.refresh_margin).unwrap_or(chrono::Duration::MAX);
        let (generation, expires_at) = self.tokens(|t| (t.generation, t.expires_at));
        if Utc::now() + margin >= expires_at {
            self.refresh_for(op, generation).await?;
        }
        let (generation, token) = self.tokens(|t| (t.generation, t.access.clone()));
        match send(&self.bearer(op, &token)?, call.clone(), operation).await {
            Err(e) if is_token_refused(&e) => {
                self.refresh_for(op, generation).await?;
                send(&self.bearer(op, &self.access_token())?, call, operation).await
            }
            other => other,
        }
    }

    /// The client's connection pool with `token` as the credential.
    fn bearer(&self, op: Op, token: &SecretString) -> Result<Core<Stx>> {
        Ok(self.client.core.with_auth(provider::bearer(op, "access_token", token)?))
    }

    fn call<'a>(&self, name: &'static str) -> Call<'a> {
        self.client.core.call(name)
    }

    /// `changePassword`. With 2FA on the change waits for
    /// [`confirm_change_password_2fa`](Session::confirm_change_password_2fa).
    /// New tokens in the answer replace the session's.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", true);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// # let LoginOutcome::TwoFactorRequired(challenge) =
    /// #     stx.login(&Credentials::new("ada@example.com", "correct horse")).await? else { unreachable!() };
    /// # let read_code_from_email = || sandbox.stx().latest_code("ada@example.com").unwrap();
    /// # let session = stx.confirm_2fa(&challenge, read_code_from_email()).await?;
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome, PasswordChange};
    ///
    /// match session.change_password("correct horse", "battery staple").await? {
    ///     PasswordChange::Changed => {}
    ///     PasswordChange::ConfirmationRequired => {
    ///         session.confirm_change_password_2fa(read_code_from_email()).await?;
    ///     }
    ///     _ => unreachable!(),
    /// }
    /// # assert!(sandbox.stx().password_is("ada@example.com", "battery staple"));
    /// # Ok(()) }
    /// ```
    pub async fn change_password(
        &self,
        old_password: impl IntoSecret,
        new_password: impl IntoSecret,
    ) -> Result<PasswordChange> {
        let old_password: &SecretString = &old_password.into_secret();
        let new_password: &SecretString = &new_password.into_secret();
        let mut call = self.call("change_password");
        let op = call.op();
        let vars = raw::ChangePasswordVariables {
            old_password: raw::Secret::new(call.secret("old_password", old_password)?),
            new_password: raw::Secret::new(call.secret("new_password", new_password)?),
        };
        let raw::ChangePassword { change_password } =
            self.send(call, &raw::ChangePassword::build(vars)).await?;
        let answer = LoginAnswer::from_raw(required(op, change_password)?);
        if answer.prompt_two_factor_auth == Some(true) {
            return Ok(PasswordChange::ConfirmationRequired);
        }
        self.adopt_if_token(op, answer)?;
        Ok(PasswordChange::Changed)
    }

    /// `confirmChangePassword2Fa`: completes a password change with the code.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", true);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// # let LoginOutcome::TwoFactorRequired(challenge) =
    /// #     stx.login(&Credentials::new("ada@example.com", "correct horse")).await? else { unreachable!() };
    /// # let read_code_from_email = || sandbox.stx().latest_code("ada@example.com").unwrap();
    /// # let session = stx.confirm_2fa(&challenge, read_code_from_email()).await?;
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome, PasswordChange};
    ///
    /// let change = session.change_password("correct horse", "battery staple").await?;
    /// assert_eq!(change, PasswordChange::ConfirmationRequired);
    /// session.confirm_change_password_2fa(read_code_from_email()).await?;
    ///
    /// let old = Credentials::new("ada@example.com", "correct horse");
    /// assert!(stx.login(&old).await.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn confirm_change_password_2fa(&self, code: impl IntoSecret) -> Result<()> {
        let code: &SecretString = &code.into_secret();
        let mut call = self.call("confirm_change_password_2fa");
        let op = call.op();
        let vars = raw::CodeVariables { code: raw::Secret::new(call.secret("code", code)?) };
        let raw::ConfirmChangePassword2Fa { confirm_change_password2_fa } =
            self.send(call, &raw::ConfirmChangePassword2Fa::build(vars)).await?;
        self.adopt_if_token(op, LoginAnswer::from_raw(required(op, confirm_change_password2_fa)?))
    }

    fn adopt_if_token(&self, op: Op, answer: LoginAnswer) -> Result<()> {
        if answer.token.as_ref().is_some_and(|t| !t.expose().is_empty()) {
            self.adopt(op, answer)
        } else {
            Ok(())
        }
    }

    /// `resendChangePassword2Fa`: sends the password-change code again.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", true);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// # let LoginOutcome::TwoFactorRequired(challenge) =
    /// #     stx.login(&Credentials::new("ada@example.com", "correct horse")).await? else { unreachable!() };
    /// # let read_code_from_email = || sandbox.stx().latest_code("ada@example.com").unwrap();
    /// # let session = stx.confirm_2fa(&challenge, read_code_from_email()).await?;
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome, PasswordChange};
    ///
    /// let change = session.change_password("correct horse", "battery staple").await?;
    /// assert_eq!(change, PasswordChange::ConfirmationRequired);
    /// let resent = session.resend_change_password_2fa().await?;
    /// assert_eq!(resent.status.as_deref(), Some("sent"));
    /// session.confirm_change_password_2fa(read_code_from_email()).await?;
    /// # assert!(sandbox.stx().password_is("ada@example.com", "battery staple"));
    /// # Ok(()) }
    /// ```
    pub async fn resend_change_password_2fa(&self) -> Result<TwoFactorStatus> {
        let call = self.call("resend_change_password_2fa");
        let op = call.op();
        let operation = raw::ResendChangePassword2Fa::build(raw::NoVariables {});
        let raw::ResendChangePassword2Fa { resend_change_password2_fa } = self.send(call, &operation).await?;
        required(op, resend_change_password2_fa).map(TwoFactorStatus::from_raw)
    }

    /// `enable2Fa`, confirmed with the password when given.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", false);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
    ///
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// let LoginOutcome::LoggedIn(session) = stx.login(&credentials).await? else { unreachable!() };
    /// let enabled = session.enable_2fa(Some("correct horse".into())).await?;
    /// assert_eq!(enabled.status.as_deref(), Some("enabled"));
    /// // From now on a login waits for an emailed code.
    /// assert!(matches!(stx.login(&credentials).await?, LoginOutcome::TwoFactorRequired(_)));
    /// # Ok(()) }
    /// ```
    pub async fn enable_2fa(&self, password: Option<SecretString>) -> Result<TwoFactorStatus> {
        let mut call = self.call("enable_2fa");
        let op = call.op();
        let vars = password_vars(&mut call, password.as_ref())?;
        let raw::Enable2Fa { enable2_fa } = self.send(call, &raw::Enable2Fa::build(vars)).await?;
        required(op, enable2_fa).map(TwoFactorStatus::from_raw)
    }

    /// `disable2Fa`, confirmed with the password when given. A no-op when
    /// 2FA is off.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", true);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// # let credentials = Credentials::new("ada@example.com", "correct horse");
    /// # let LoginOutcome::TwoFactorRequired(challenge) = stx.login(&credentials).await? else { unreachable!() };
    /// # let session = stx.confirm_2fa(&challenge, sandbox.stx().latest_code("ada@example.com").unwrap()).await?;
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
    ///
    /// let disabled = session.disable_2fa(Some("correct horse".into())).await?;
    /// assert_eq!(disabled.status.as_deref(), Some("disabled"));
    /// assert!(matches!(stx.login(&credentials).await?, LoginOutcome::LoggedIn(_)));
    /// # Ok(()) }
    /// ```
    pub async fn disable_2fa(&self, password: Option<SecretString>) -> Result<TwoFactorStatus> {
        let mut call = self.call("disable_2fa");
        let op = call.op();
        let vars = password_vars(&mut call, password.as_ref())?;
        let raw::Disable2Fa { disable2_fa } = self.send(call, &raw::Disable2Fa::build(vars)).await?;
        required(op, disable2_fa).map(TwoFactorStatus::from_raw)
    }

    /// `send2Fa`: asks for a fresh 2FA code, e.g. before a sensitive change.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", false);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// # let LoginOutcome::LoggedIn(session) =
    /// #     stx.login(&Credentials::new("ada@example.com", "correct horse")).await? else { unreachable!() };
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
    ///
    /// let sent = session.send_2fa().await?;
    /// assert_eq!(sent.status.as_deref(), Some("sent"));
    /// assert!(sent.session_id.is_some());
    /// # Ok(()) }
    /// ```
    pub async fn send_2fa(&self) -> Result<TwoFactorStatus> {
        let call = self.call("send_2fa");
        let op = call.op();
        let raw::Send2Fa { send2_fa } = self.send(call, &raw::Send2Fa::build(raw::NoVariables {})).await?;
        required(op, send2_fa).map(TwoFactorStatus::from_raw)
    }

    /// `userProfile`: the logged-in user's profile.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome, Registration};
    ///
    /// let ada = Registration::new("ada@example.com", "correct horse").name("Ada", "Lovelace");
    /// stx.register(&ada).await?;
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// let LoginOutcome::LoggedIn(session) = stx.login(&credentials).await? else { unreachable!() };
    /// let profile = session.user_profile().await?;
    /// assert_eq!((profile.first_name.as_str(), profile.last_name.as_str()), ("Ada", "Lovelace"));
    /// assert_eq!(Some(profile.id), session.info().user_id);
    /// # Ok(()) }
    /// ```
    pub async fn user_profile(&self) -> Result<UserProfile> {
        let call = self.call("user_profile");
        let op = call.op();
        let raw::UserProfile { user_profile } =
            self.send(call, &raw::UserProfile::build(raw::NoVariables {})).await?;
        required(op, user_profile).map(UserProfile::from_raw)
    }

    /// `logout`: ends the session (on `device_id`, when given), invalidating
    /// its tokens.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", false);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// use accountkit::ErrorKind;
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
    ///
    /// let credentials = Credentials::new("ada@example.com", "correct horse").device_id("ada-laptop");
    /// let LoginOutcome::LoggedIn(session) = stx.login(&credentials).await? else { unreachable!() };
    /// let out = session.logout(Some("ada-laptop")).await?;
    /// assert_eq!(out.device_id.as_deref(), Some("ada-laptop"));
    /// // The tokens are void now, the refresh token too.
    /// assert_eq!(session.send_2fa().await.unwrap_err().kind(), ErrorKind::Unauthorized);
    /// # Ok(()) }
    /// ```
    pub async fn logout(&self, device_id: Option<&str>) -> Result<LoggedOut> {
        let call = self.call("logout");
        let op = call.op();
        let device_info = match device_id {
            Some(id) => {
                validate::text(op, "device_id", id)?;
                Some(raw::DeviceInfo { device_id: Some(id.to_string()) })
            }
            None => None,
        };
        let vars = raw::LogoutVariables { device_info };
        let raw::Logout { logout } = self.send(call, &raw::Logout::build(vars)).await?;
        let raw::LogoutResult { status, message, device_id } = required(op, logout)?;
        Ok(LoggedOut { status, message, device_id })
    }
}

fn password_vars<'a>(
    call: &mut Call<'a>,
    password: Option<&'a SecretString>,
) -> Result<raw::PasswordVariables> {
    let password = password.map(|password| call.secret("password", password)).transpose()?;
    Ok(raw::PasswordVariables { password: password.map(raw::Secret::new) })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OP: Op = Op { provider: PROVIDER, name: "login" };

    fn jwt(claims: &str) -> String {
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}.sig", engine.encode(r#"{"alg":"HS256"}"#), engine.encode(claims))
    }

    #[test]
    fn a_clean_answer_decodes_in_one_pass_and_errors_still_win() {
        let data: Value = decode(OP, "login", 200, br#"{"data": {"login": {"token": "t"}}}"#).unwrap();
        assert_eq!(data["login"]["token"], "t");
        let body = br#"{"data": {"login": {"token": "t"}}, "errors": [{"message": "partial"}]}"#;
        assert_eq!(decode::<Value>(OP, "login", 200, body).unwrap_err().message(), "partial");
    }

    #[test]
    fn expiry_reads_exp_or_assumes_an_hour() {
        assert_eq!(expiry(&jwt(r#"{"exp": 1700000000}"#)).timestamp(), 1_700_000_000);
        let assumed = expiry("opaque-token") - Utc::now();
        assert!(assumed > chrono::Duration::minutes(59) && assumed <= chrono::Duration::minutes(60));
        let no_exp = expiry(&jwt(r#"{"sub": "u"}"#)) - Utc::now();
        assert!(no_exp > chrono::Duration::minutes(59));
    }

    #[test]
    fn errors_keep_message_path_and_code_at_any_status() {
        let body = br#"{"data": {"login": null}, "errors": [{"message": "Invalid email or password",
            "path": ["login"], "locations": [{"line": 2, "column": 3}]}]}"#;
        let err = decode::<Value>(OP, "login", 200, body).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthorized);
        assert_eq!(err.path(), Some("login"));
        // The HTTP exchange worked: no status, the failure is GraphQL's.
        assert_eq!(err.status(), None);
        assert_eq!(err.message(), "Invalid email or password");
        assert_eq!(err.to_string(), "stx login: unauthorized: Invalid email or password");

        let body = br#"{"errors": [{"message": "Unknown argument \"x\"", "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}},
                        {"message": "second"}]}"#;
        let err = decode::<Value>(OP, "login", 400, body).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Validation);
        assert_eq!(err.code(), Some("GRAPHQL_VALIDATION_FAILED"));
        assert_eq!(err.message(), "Unknown argument \"x\"; second");
        assert_eq!(err.path(), None);

        let body = br#"{"errors": [{"message": "boom", "path": ["users", 0, "email"]}]}"#;
        assert_eq!(decode::<Value>(OP, "login", 200, body).unwrap_err().path(), Some("users.0.email"));
    }

    #[test]
    fn odd_bodies_are_errors_not_panics() {
        for (status, body, kind) in [
            (200, &b""[..], ErrorKind::Decode),
            (200, b"<html>", ErrorKind::Decode),
            (200, b"{}", ErrorKind::Decode),
            (200, b"{\"data\": null}", ErrorKind::Decode),
            (200, b"{\"errors\": \"nope\", \"data\": 3}", ErrorKind::Decode),
            (502, b"<html>bad gateway</html>", ErrorKind::Server),
            (401, b"{\"message\": \"no\"}", ErrorKind::Unauthorized),
            (200, b"{\"errors\": [7]}", ErrorKind::Rejected),
        ] {
            let err = decode::<raw::Login>(OP, "login", status, body).unwrap_err();
            assert_eq!(err.kind(), kind, "{status} {}", String::from_utf8_lossy(body));
        }
    }
}
