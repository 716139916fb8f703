//! The TagoIO account API.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use accountkit::tagoio::{Client, Credentials, Region, TokenRequest};
//!
//! // The examples run against the in-process sandbox: its handle hands
//! // out what production gets from the vendor (URL, tokens, emailed codes).
//! let sandbox = accountkit_sandbox::Sandbox::start().await?;
//! sandbox.tagoio().add_account("ada@example.com", "correct horse");
//! let region = Region::Custom(sandbox.tagoio().base_url());
//!
//! let client = Client::anonymous(region)?; // e.g. Region::UsEast1
//! let credentials = Credentials::new("ada@example.com", "correct horse");
//! let login = client.login(&credentials).await?;
//! let request = TokenRequest::new(&login.profiles[0].id, credentials, "my app");
//! let token = client.token_create(&request).await?;
//!
//! let client = client.with_token(token.token)?;
//! let account = client.info().await?;
//! assert_eq!(account.email, "ada@example.com");
//! # Ok(()) }
//! ```
//!
//! One [`Client`] serves both kinds of operation. Operations on the account
//! ([`info`](Client::info), [`edit`](Client::edit), ...) send its token in
//! the `token` header; the anonymous ones ([`login`](Client::login),
//! [`create`](Client::create), ...) never do, whether or not the client has
//! a token. Cloning is cheap and shares the connection pool.
//!
//! The examples run against `accountkit-sandbox`, an in-process fake of the
//! API: `region` points at it, and `inbox` is where it puts what TagoIO
//! would send by email or text message (PINs, confirmation, recovery and
//! invitation tokens), which in production the user reads and types in.
//!
//! Worked examples of the flows that take several steps:
//! signing up ([`create`](Client::create) and
//! [`confirm_account`](Client::confirm_account)), turning a second factor
//! on ([`enable_otp_with`](Client::enable_otp_with)), logging in with one
//! ([`login_with_otp`](Client::login_with_otp),
//! [`login_with_pin`](Client::login_with_pin)), a forgotten password
//! ([`reset_password`](Client::reset_password)) and team invitations
//! ([`accept_team_invitation`](Client::accept_team_invitation)).
//!
//! # A second factor
//!
//! With a second factor on, logging in and creating a profile token each
//! take a PIN, and a PIN works once (for one login and one token at most).
//! [`login_with_otp`](Client::login_with_otp) logs in in one call; for a
//! token, ask the server for a PIN with
//! [`request_login_pin_code`](Client::request_login_pin_code) (an
//! authenticator app needs no asking) and pass it with
//! [`TokenRequest::second_factor`]:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sandbox = accountkit_sandbox::Sandbox::start().await?;
//! # let inbox = sandbox.tagoio();
//! # let ada = inbox.add_account("ada@example.com", "correct horse");
//! # let (region, token) = (Region::Custom(inbox.base_url()), ada.token);
//! use accountkit::{ErrorKind, SecretString};
//! use accountkit::tagoio::{Client, Credentials, OtpType, Region, TokenRequest};
//!
//! let credentials = Credentials::new("ada@example.com", "correct horse");
//! let client = Client::new(region, token)?;
//!
//! // Turn on PINs by email: the server emails one, which confirms the change.
//! client
//!     .enable_otp_with(OtpType::Email, &credentials, async |_otp| {
//!         inbox.latest_pin("ada@example.com").map(SecretString::from)
//!     })
//!     .await?;
//!
//! // A token request without a PIN is now refused.
//! let request = TokenRequest::new(&ada.profile_id, credentials.clone(), "my app");
//! let err = client.token_create(&request).await.unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::SecondFactorRequired);
//! assert_eq!(err.second_factor_hint(), Some("email"));
//!
//! client.request_login_pin_code(&credentials, OtpType::Email).await?;
//! let pin = inbox.latest_pin("ada@example.com").ok_or("no PIN")?;
//! let request = request.second_factor(OtpType::Email, pin);
//! let token = client.token_create(&request).await?;
//!
//! // The PIN is spent: the same request again needs a new one.
//! let err = client.token_create(&request).await.unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::Unauthorized);
//!
//! let client = client.with_token(token.token)?;
//! assert!(client.info().await?.otp.email);
//! # Ok(()) }
//! ```

mod types;

use std::future::Future;

use crate::IntoSecret;
use accountkit_runtime::{Auth, Sensitive};
use accountkit_tagoio_raw as raw;
use progenitor_client::ResponseValue;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::error::{ErrorKind, Result};
use crate::provider::{self, Call, Core, Op, Provider, VendorError};
use crate::transport;
use crate::validate;

pub use types::*;

const PROVIDER: &str = "tagoio";

const fn op(name: &'static str) -> Op {
    Op { provider: PROVIDER, name }
}

/// TagoIO, to the code the providers share.
struct Tagoio;

impl Provider for Tagoio {
    const NAME: &'static str = PROVIDER;
    type Raw = raw::Client;

    /// Reads either error shape: `{status:false, message}` or
    /// `{status:false, result:{message}}` (or a bare string in `result`).
    fn read_error(body: &Value) -> VendorError {
        let message = body
            .get("message")
            .filter(|m| m.is_string())
            .or_else(|| body.get("result").and_then(|r| r.get("message")))
            .or_else(|| body.get("result").filter(|r| r.is_string()));
        let mut vendor = read_message(message);
        vendor.is_error = body.get("status") == Some(&Value::Bool(false));
        vendor
    }
}

/// Where the API lives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Region {
    /// US East 1, `https://api.us-e1.tago.io`.
    UsEast1,
    /// EU West 1, `https://api.eu-w1.tago.io`.
    EuWest1,
    /// A TagoDeploy project, `https://api.<project id>.tagoio.net`.
    Deploy(String),
    /// Any base URL, such as a sandbox or a proxy.
    Custom(String),
}

impl Region {
    /// The base URL of the API in this region.
    ///
    /// ```
    /// # fn main() -> accountkit::Result<()> {
    /// use accountkit::ErrorKind;
    /// use accountkit::tagoio::Region;
    ///
    /// assert_eq!(Region::EuWest1.base_url()?, "https://api.eu-w1.tago.io");
    /// assert_eq!(Region::Deploy("acme-iot".into()).base_url()?, "https://api.acme-iot.tagoio.net");
    ///
    /// let err = Region::Deploy("acme.example.com".into()).base_url().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// # Ok(()) }
    /// ```
    pub fn base_url(&self) -> Result<String> {
        let op = op("client");
        match self {
            Region::UsEast1 => Ok("https://api.us-e1.tago.io".to_string()),
            Region::EuWest1 => Ok("https://api.eu-w1.tago.io".to_string()),
            Region::Deploy(project) => {
                let label = !project.is_empty()
                    && project.len() <= 63
                    && !project.starts_with('-')
                    && !project.ends_with('-')
                    && project.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                if label {
                    Ok(format!("https://api.{project}.tagoio.net"))
                } else {
                    Err(op.invalid(
                        "project",
                        "must be a TagoDeploy project id (lowercase letters, digits, `-`)",
                    ))
                }
            }
            Region::Custom(url) => validate::base_url(op, "base_url", url),
        }
    }
}

/// Builds a [`Client`] with more than the defaults.
#[derive(Debug)]
pub struct ClientBuilder {
    region: Region,
    token: Option<SecretString>,
    transport: transport::Transport,
}

impl ClientBuilder {
    transport::transport_options!(
        "accountkit::tagoio::Client::builder(accountkit::tagoio::Region::UsEast1)",
        "accountkit::tagoio::Client::builder(accountkit::tagoio::Region::Custom(\"http://tagoio.internal:8080\".into()))"
    );

    /// The profile or account token sent on account operations.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{Client, Region};
    ///
    /// let client = Client::builder(region).token(token).build()?;
    /// assert_eq!(client.info().await?.email, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub fn token(mut self, token: impl IntoSecret) -> Self {
        self.token = Some(token.into_secret());
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use accountkit::ErrorKind;
    /// use accountkit::tagoio::{Client, Region};
    ///
    /// let client = Client::builder(Region::EuWest1).timeout(Duration::from_secs(10)).build()?;
    /// assert_eq!(client.base_url(), "https://api.eu-w1.tago.io");
    ///
    /// // Plain http is refused unless the host is a loopback address.
    /// let err = Client::builder(Region::Custom("http://tago.example.com".into())).build().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// # Ok::<(), accountkit::Error>(())
    /// ```
    pub fn build(self) -> Result<Client> {
        let base_url = self.region.base_url()?;
        let auth = match &self.token {
            Some(token) => auth(token)?,
            None => Auth::none(),
        };
        let policy = self.transport.policy(PROVIDER);
        Ok(Client { core: Core::new(&base_url, auth, &self.transport, policy)? })
    }
}

fn auth(token: &SecretString) -> Result<Auth> {
    let op = op("client");
    Auth::header("token", token.expose_secret()).map_err(|why| op.invalid("token", why.problem()))
}

/// A TagoIO account client. See the [module docs](self).
#[derive(Clone, Debug)]
pub struct Client {
    core: Core<Tagoio>,
}

impl Client {
    /// A client for account operations with a profile or account token.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{Client, Region};
    ///
    /// let client = Client::new(region, token)?;
    /// assert!(client.info().await?.active);
    /// # Ok(()) }
    /// ```
    pub fn new(region: Region, token: impl IntoSecret) -> Result<Client> {
        Client::builder(region).token(token).build()
    }

    /// A client for the anonymous operations only (login, create, ...).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{Client, Credentials, Region};
    ///
    /// let client = Client::anonymous(region)?;
    /// let login = client.login(&Credentials::new("ada@example.com", "correct horse")).await?;
    /// assert_eq!(login.email, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub fn anonymous(region: Region) -> Result<Client> {
        Client::builder(region).build()
    }

    /// Starts a [`ClientBuilder`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use std::time::Duration;
    ///
    /// use accountkit::RetryPolicy;
    /// use accountkit::tagoio::{Client, Region};
    ///
    /// let client = Client::builder(region)
    ///     .token(token)
    ///     .timeout(Duration::from_secs(10))
    ///     .retry(RetryPolicy::none())
    ///     .build()?;
    /// assert_eq!(client.info().await?.email, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub fn builder(region: Region) -> ClientBuilder {
        ClientBuilder { region, token: None, transport: transport::Transport::default() }
    }

    /// The same client (and connection pool) with another token, e.g. the
    /// one [`token_create`](Client::token_create) returned.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{Client, Credentials, Region, TokenRequest};
    ///
    /// let anonymous = Client::anonymous(region)?;
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// let request = TokenRequest::new(&ada.profile_id, credentials, "my app");
    /// let token = anonymous.token_create(&request).await?;
    ///
    /// let client = anonymous.with_token(token.token)?;
    /// assert_eq!(client.info().await?.email, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub fn with_token(&self, token: impl IntoSecret) -> Result<Client> {
        Ok(Client { core: self.core.with_auth(auth(&token.into_secret())?) })
    }

    /// The base URL requests go to.
    ///
    /// ```
    /// use accountkit::tagoio::{Client, Region};
    ///
    /// let client = Client::anonymous(Region::UsEast1)?;
    /// assert_eq!(client.base_url(), "https://api.us-e1.tago.io");
    /// # Ok::<(), accountkit::Error>(())
    /// ```
    pub fn base_url(&self) -> &str {
        self.core.base_url()
    }

    // ---- account operations (token) ----

    /// The account the token belongs to.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let ada = sandbox.tagoio().add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (Region::Custom(sandbox.tagoio().base_url()), ada.token);
    /// use accountkit::tagoio::{Client, Region};
    ///
    /// let client = Client::new(region, token)?;
    /// let account = client.info().await?;
    /// assert_eq!(account.email, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub async fn info(&self) -> Result<Account> {
        let result = self.send(self.core.call("info"), self.core.raw().info()).await?;
        Ok(Account::from_raw(result))
    }

    /// Changes the fields set in `changes`; returns the server's message.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{AccountChanges, Client, Region, TimeFormat};
    ///
    /// let client = Client::new(region, token)?;
    /// let changes = AccountChanges::new().name("Ada King").time_format(TimeFormat::H24);
    /// client.edit(&changes).await?;
    ///
    /// let account = client.info().await?;
    /// assert_eq!(account.name, "Ada King");
    /// assert_eq!(account.options.time_format.as_deref(), Some("24"));
    /// # Ok(()) }
    /// ```
    pub async fn edit(&self, changes: &AccountChanges) -> Result<String> {
        let call = self.core.call("edit");
        let body = changes.to_raw(call.op())?;
        self.send(call, self.core.raw().edit(&body)).await
    }

    /// Deletes the account; returns the server's message.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::ErrorKind;
    /// use accountkit::tagoio::{Client, Region};
    ///
    /// let client = Client::new(region, token)?;
    /// client.delete().await?;
    ///
    /// // The account's tokens went with it.
    /// let err = client.info().await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Unauthorized);
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self) -> Result<String> {
        self.send(self.core.call("delete"), self.core.raw().delete()).await
    }

    /// Sets a new password. The client's token is a profile token, or the
    /// token of a password-recovery email (see
    /// [`reset_password`](Client::reset_password)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::ErrorKind;
    /// use accountkit::tagoio::{Client, Credentials, Region};
    ///
    /// let client = Client::new(region, token)?;
    /// client.password_change("tr0ub4dor&3").await?;
    ///
    /// let old = client.login(&Credentials::new("ada@example.com", "correct horse")).await;
    /// assert_eq!(old.unwrap_err().kind(), ErrorKind::Unauthorized);
    /// client.login(&Credentials::new("ada@example.com", "tr0ub4dor&3")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn password_change(&self, new_password: impl IntoSecret) -> Result<String> {
        let new_password: &SecretString = &new_password.into_secret();
        let mut call = self.core.call("password_change");
        call.secret("new_password", new_password)?;
        let body = raw::types::PasswordChange { password: Sensitive::from(new_password) };
        self.send(call, self.core.raw().password_change(&body)).await
    }

    /// Starts enabling a second factor; the server sends a PIN to confirm
    /// with [`confirm_otp`](Client::confirm_otp).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{Client, Credentials, OtpType, Region};
    ///
    /// let client = Client::new(region, token)?;
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// client.enable_otp(OtpType::Email, &credentials).await?;
    ///
    /// // The factor is on once the emailed PIN confirms it.
    /// let pin = inbox.latest_pin("ada@example.com").ok_or("no PIN")?;
    /// client.confirm_otp(OtpType::Email, pin).await?;
    /// assert!(client.info().await?.otp.email);
    /// # Ok(()) }
    /// ```
    pub async fn enable_otp(&self, otp: OtpType, credentials: &Credentials) -> Result<String> {
        let mut call = self.core.call("enable_otp");
        let body = credentials.to_raw(&mut call)?;
        self.send(call, self.core.raw().enable_otp(otp.to_raw(), &body)).await
    }

    /// Confirms a second factor with the PIN it was sent.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{Client, Credentials, OtpType, Region};
    ///
    /// let client = Client::new(region, token)?;
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// client.enable_otp(OtpType::Sms, &credentials).await?;
    ///
    /// let pin = inbox.latest_pin("ada@example.com").ok_or("no PIN")?;
    /// client.confirm_otp(OtpType::Sms, pin).await?;
    /// assert!(client.info().await?.otp.sms);
    /// # Ok(()) }
    /// ```
    pub async fn confirm_otp(&self, otp: OtpType, pin: impl IntoSecret) -> Result<String> {
        let pin: &SecretString = &pin.into_secret();
        let mut call = self.core.call("confirm_otp");
        call.pin("pin", pin)?;
        let body = raw::types::PinCode { pin_code: Sensitive::from(pin) };
        self.send(call, self.core.raw().confirm_otp(otp.to_raw(), &body)).await
    }

    /// Turns a second factor off.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// # accountkit::tagoio::Client::new(region.clone(), token.clone())?
    /// #     .enable_otp_with(
    /// #         accountkit::tagoio::OtpType::Email,
    /// #         &accountkit::tagoio::Credentials::new("ada@example.com", "correct horse"),
    /// #         async |_| inbox.latest_pin("ada@example.com").map(accountkit::SecretString::from),
    /// #     )
    /// #     .await?;
    /// use accountkit::tagoio::{Client, Credentials, OtpType, Region};
    ///
    /// let client = Client::new(region, token)?;
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// client.disable_otp(OtpType::Email, &credentials).await?;
    ///
    /// assert!(!client.info().await?.otp.any());
    /// // Logging in needs no PIN any more.
    /// client.login(&credentials).await?;
    /// # Ok(()) }
    /// ```
    pub async fn disable_otp(&self, otp: OtpType, credentials: &Credentials) -> Result<String> {
        let mut call = self.core.call("disable_otp");
        let body = credentials.to_raw(&mut call)?;
        self.send(call, self.core.raw().disable_otp(otp.to_raw(), &body)).await
    }

    /// Starts enabling a second factor and confirms it with the PIN that
    /// `pin` returns once the server has sent one.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::SecretString;
    /// use accountkit::tagoio::{Client, Credentials, OtpType, Region};
    ///
    /// let client = Client::new(region, token)?;
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// client
    ///     .enable_otp_with(OtpType::Email, &credentials, async |_otp| {
    ///         // Ask the user for the PIN the server just sent.
    ///         inbox.latest_pin("ada@example.com").map(SecretString::from)
    ///     })
    ///     .await?;
    /// assert!(client.info().await?.otp.email);
    /// # Ok(()) }
    /// ```
    pub async fn enable_otp_with<F>(&self, otp: OtpType, credentials: &Credentials, pin: F) -> Result<String>
    where
        F: AsyncFnOnce(OtpType) -> Option<SecretString>,
    {
        let recipe = "enable_otp_with";
        self.enable_otp(otp, credentials).await.map_err(|e| e.during(recipe, "enable_otp"))?;
        let Some(pin) = pin(otp).await else {
            return Err(op(recipe).invalid("pin", "was not supplied"));
        };
        self.confirm_otp(otp, pin).await.map_err(|e| e.during(recipe, "confirm_otp"))
    }

    // ---- anonymous operations ----

    /// Logs in. With a second factor on, this fails with
    /// [`ErrorKind::SecondFactorRequired`] and the vendor's hint in
    /// [`Error::second_factor_hint`](crate::Error::second_factor_hint); use
    /// [`login_with_pin`](Client::login_with_pin) or
    /// [`login_with_otp`](Client::login_with_otp).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::ErrorKind;
    /// use accountkit::tagoio::{Client, Credentials, Region};
    ///
    /// let client = Client::anonymous(region)?;
    /// let login = client.login(&Credentials::new("ada@example.com", "correct horse")).await?;
    /// assert_eq!(login.profiles[0].id, ada.profile_id);
    ///
    /// let err = client.login(&Credentials::new("ada@example.com", "wrong")).await.unwrap_err();
    /// match err.kind() {
    ///     ErrorKind::Unauthorized => println!("wrong email or password"),
    ///     ErrorKind::SecondFactorRequired => println!("a PIN is needed: see login_with_otp"),
    ///     _ => return Err(err.into()),
    /// }
    /// assert_eq!(err.kind(), ErrorKind::Unauthorized);
    /// # Ok(()) }
    /// ```
    pub async fn login(&self, credentials: &Credentials) -> Result<Login> {
        self.login_inner(self.core.call("login"), credentials, None).await
    }

    /// Logs in with the PIN of a second factor.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// # accountkit::tagoio::Client::new(region.clone(), token.clone())?
    /// #     .enable_otp_with(
    /// #         accountkit::tagoio::OtpType::Email,
    /// #         &accountkit::tagoio::Credentials::new("ada@example.com", "correct horse"),
    /// #         async |_| inbox.latest_pin("ada@example.com").map(accountkit::SecretString::from),
    /// #     )
    /// #     .await?;
    /// use accountkit::ErrorKind;
    /// use accountkit::tagoio::{Client, Credentials, OtpType, Region};
    ///
    /// let client = Client::anonymous(region)?;
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// client.request_login_pin_code(&credentials, OtpType::Email).await?;
    /// let pin = inbox.latest_pin("ada@example.com").ok_or("no PIN")?;
    ///
    /// let login = client.login_with_pin(&credentials, OtpType::Email, pin.clone()).await?;
    /// assert_eq!(login.email, "ada@example.com");
    ///
    /// // A PIN works once.
    /// let again = client.login_with_pin(&credentials, OtpType::Email, pin).await;
    /// assert_eq!(again.unwrap_err().kind(), ErrorKind::Unauthorized);
    /// # Ok(()) }
    /// ```
    pub async fn login_with_pin(
        &self,
        credentials: &Credentials,
        otp: OtpType,
        pin: impl IntoSecret,
    ) -> Result<Login> {
        let pin: &SecretString = &pin.into_secret();
        self.login_inner(self.core.call("login_with_pin"), credentials, Some((otp, pin))).await
    }

    async fn login_inner<'a>(
        &'a self,
        mut call: Call<'a>,
        credentials: &'a Credentials,
        second: Option<(OtpType, &'a SecretString)>,
    ) -> Result<Login> {
        let raw::types::Credentials { email, password } = credentials.to_raw(&mut call)?;
        if let Some((_, pin)) = second {
            call.pin("pin", pin)?;
        }
        let body = raw::types::Login {
            email,
            password,
            otp_type: second.map(|(otp, _)| otp.to_raw()),
            pin_code: second.map(|(_, pin)| Sensitive::from(pin)),
        };
        let result = self.send(call, self.core.raw().login(&body)).await?;
        Ok(Login::from_raw(result))
    }

    /// The whole login of an account with a second factor, in one call:
    /// logs in; if a PIN is needed, asks the server to send one (unless the
    /// factor is an authenticator app), calls `pin` for it, and logs in
    /// with it. Returns the first login's error if `pin` returns `None`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// # accountkit::tagoio::Client::new(region.clone(), token.clone())?
    /// #     .enable_otp_with(
    /// #         accountkit::tagoio::OtpType::Email,
    /// #         &accountkit::tagoio::Credentials::new("ada@example.com", "correct horse"),
    /// #         async |_| inbox.latest_pin("ada@example.com").map(accountkit::SecretString::from),
    /// #     )
    /// #     .await?;
    /// use accountkit::SecretString;
    /// use accountkit::tagoio::{Client, Credentials, OtpType, Region};
    ///
    /// let client = Client::anonymous(region)?;
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// let login = client
    ///     .login_with_otp(&credentials, async |otp| {
    ///         // Ask the user for the PIN the server sent by `otp`.
    ///         assert_eq!(otp, OtpType::Email);
    ///         inbox.latest_pin("ada@example.com").map(SecretString::from)
    ///     })
    ///     .await?;
    /// assert_eq!(login.profiles[0].id, ada.profile_id);
    /// # Ok(()) }
    /// ```
    pub async fn login_with_otp<F>(&self, credentials: &Credentials, pin: F) -> Result<Login>
    where
        F: AsyncFnOnce(OtpType) -> Option<SecretString>,
    {
        let challenge = match self.login(credentials).await {
            Err(e) if e.kind() == ErrorKind::SecondFactorRequired => e,
            other => return other,
        };
        let otp = challenge.second_factor_hint().and_then(OtpType::from_hint).unwrap_or(OtpType::Email);
        if otp != OtpType::Authenticator {
            self.request_login_pin_code(credentials, otp).await?;
        }
        match pin(otp).await {
            Some(pin) => self.login_with_pin(credentials, otp, pin).await,
            None => Err(challenge),
        }
    }

    /// Asks the server to send a login PIN through `otp`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// # accountkit::tagoio::Client::new(region.clone(), token.clone())?
    /// #     .enable_otp_with(
    /// #         accountkit::tagoio::OtpType::Email,
    /// #         &accountkit::tagoio::Credentials::new("ada@example.com", "correct horse"),
    /// #         async |_| inbox.latest_pin("ada@example.com").map(accountkit::SecretString::from),
    /// #     )
    /// #     .await?;
    /// use accountkit::tagoio::{Client, Credentials, OtpType, Region, TokenRequest};
    ///
    /// let client = Client::anonymous(region)?;
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// client.request_login_pin_code(&credentials, OtpType::Email).await?;
    ///
    /// // The PIN goes to a login or, as here, to a profile token.
    /// let pin = inbox.latest_pin("ada@example.com").ok_or("no PIN")?;
    /// let request = TokenRequest::new(&ada.profile_id, credentials, "my app").second_factor(OtpType::Email, pin);
    /// client.token_create(&request).await?;
    /// # Ok(()) }
    /// ```
    pub async fn request_login_pin_code(&self, credentials: &Credentials, otp: OtpType) -> Result<String> {
        let mut call = self.core.call("request_login_pin_code");
        let raw::types::Credentials { email, password } = credentials.to_raw(&mut call)?;
        let body = raw::types::LoginPinRequest { email, password, otp_type: otp.to_raw() };
        self.send(call, self.core.raw().request_login_pin_code(&body)).await
    }

    /// Creates a profile token from the account's credentials.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{Client, Credentials, Expiry, Permission, Region, TokenRequest};
    ///
    /// let client = Client::anonymous(region)?;
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// let request = TokenRequest::new(&ada.profile_id, credentials, "dashboard")
    ///     .permission(Permission::Read)
    ///     .never_expires();
    /// let token = client.token_create(&request).await?;
    /// assert_eq!(token.permission, Some(Permission::Read));
    /// assert_eq!(token.expire_date, Some(Expiry::Never));
    ///
    /// let client = client.with_token(token.token)?;
    /// assert_eq!(client.info().await?.email, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub async fn token_create(&self, request: &TokenRequest) -> Result<ProfileToken> {
        let mut call = self.core.call("token_create");
        let body = request.to_raw(&mut call)?;
        let result = self.send(call, self.core.raw().token_create(&body)).await?;
        Ok(ProfileToken::from_raw(result))
    }

    /// Creates an account; the server emails a confirmation token.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::ErrorKind;
    /// use accountkit::tagoio::{Client, Credentials, NewAccount, Region};
    ///
    /// let client = Client::anonymous(region)?;
    /// let account = NewAccount::new("Grace Hopper", "grace@example.com", "cobol 1959", "America/New_York");
    /// client.create(&account).await?;
    ///
    /// // Until the account is confirmed, it cannot log in.
    /// let credentials = Credentials::new("grace@example.com", "cobol 1959");
    /// let err = client.login(&credentials).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Unauthorized);
    ///
    /// let token = inbox.confirmation_token("grace@example.com").ok_or("no email")?;
    /// client.confirm_account(token).await?;
    /// client.login(&credentials).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, account: &NewAccount) -> Result<String> {
        let mut call = self.core.call("create");
        let body = account.to_raw(&mut call)?;
        self.send(call, self.core.raw().create(&body)).await
    }

    /// Confirms an account with the token from its confirmation email.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::ErrorKind;
    /// use accountkit::tagoio::{Client, Credentials, NewAccount, Region};
    ///
    /// let client = Client::anonymous(region)?;
    /// let account = NewAccount::new("Grace Hopper", "grace@example.com", "cobol 1959", "America/New_York");
    /// client.create(&account).await?;
    ///
    /// // The token arrives in the confirmation email.
    /// let token = inbox.confirmation_token("grace@example.com").ok_or("no email")?;
    /// client.confirm_account(token).await?;
    /// let login = client.login(&Credentials::new("grace@example.com", "cobol 1959")).await?;
    /// assert_eq!(login.name.as_deref(), Some("Grace Hopper"));
    ///
    /// let err = client.confirm_account("not-a-token").await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::NotFound);
    /// # Ok(()) }
    /// ```
    pub async fn confirm_account(&self, token: impl IntoSecret) -> Result<String> {
        let token: &SecretString = &token.into_secret();
        let mut call = self.core.call("confirm_account");
        let token = call.secret_segment("token", token)?;
        self.send(call, self.core.raw().confirm_account(token)).await
    }

    /// Sends the confirmation email again.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::ErrorKind;
    /// use accountkit::tagoio::{Client, NewAccount, Region};
    ///
    /// let client = Client::anonymous(region)?;
    /// let account = NewAccount::new("Grace Hopper", "grace@example.com", "cobol 1959", "America/New_York");
    /// client.create(&account).await?;
    /// client.resend_confirmation("grace@example.com").await?;
    ///
    /// // Either email's token confirms the account.
    /// let token = inbox.confirmation_token("grace@example.com").ok_or("no email")?;
    /// client.confirm_account(token).await?;
    ///
    /// // The server answers a confirmed account's request with `status: false`.
    /// let err = client.resend_confirmation("grace@example.com").await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Rejected);
    /// # Ok(()) }
    /// ```
    pub async fn resend_confirmation(&self, email: &str) -> Result<String> {
        let call = self.core.call("resend_confirmation");
        validate::email(call.op(), "email", email)?;
        self.send(call, self.core.raw().resend_confirmation(email)).await
    }

    /// Sends a password-recovery email. Its token goes to
    /// [`reset_password`](Client::reset_password).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{Client, Region};
    ///
    /// let client = Client::anonymous(region)?;
    /// client.password_recover("ada@example.com").await?;
    /// assert!(inbox.password_reset_token("ada@example.com").is_some());
    ///
    /// // The answer is the same whether or not the account exists.
    /// client.password_recover("nobody@example.com").await?;
    /// # Ok(()) }
    /// ```
    pub async fn password_recover(&self, email: &str) -> Result<String> {
        let call = self.core.call("password_recover");
        validate::email(call.op(), "email", email)?;
        self.send(call, self.core.raw().password_recover(email)).await
    }

    /// Sets a new password with the token of a password-recovery email.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::ErrorKind;
    /// use accountkit::tagoio::{Client, Credentials, Region};
    ///
    /// let client = Client::anonymous(region)?;
    /// client.password_recover("ada@example.com").await?;
    ///
    /// // The recovery token arrives by email.
    /// let recovery = inbox.password_reset_token("ada@example.com").ok_or("no email")?;
    /// client.reset_password(recovery.clone(), "tr0ub4dor&3").await?;
    /// client.login(&Credentials::new("ada@example.com", "tr0ub4dor&3")).await?;
    ///
    /// // A recovery token works once.
    /// let err = client.reset_password(recovery, "another one").await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Unauthorized);
    /// # Ok(()) }
    /// ```
    pub async fn reset_password(
        &self,
        recovery_token: impl IntoSecret,
        new_password: impl IntoSecret,
    ) -> Result<String> {
        let recovery_token: &SecretString = &recovery_token.into_secret();
        let new_password: &SecretString = &new_password.into_secret();
        let client =
            self.with_token(recovery_token.clone()).map_err(|e| e.with_kind(ErrorKind::InvalidInput))?;
        client.password_change(new_password).await.map_err(|e| e.scrub(&[recovery_token.expose_secret()]))
    }

    /// Accepts an invitation to a profile's team.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// # let invitation = inbox.invite("ada@example.com");
    /// use accountkit::ErrorKind;
    /// use accountkit::tagoio::{Client, Region};
    ///
    /// let client = Client::anonymous(region)?;
    /// // `invitation` is the token from the invitation email.
    /// client.accept_team_invitation(invitation.clone()).await?;
    ///
    /// // An invitation is answered once.
    /// let err = client.decline_team_invitation(invitation).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Validation);
    /// # Ok(()) }
    /// ```
    pub async fn accept_team_invitation(&self, token: impl IntoSecret) -> Result<String> {
        let token: &SecretString = &token.into_secret();
        let mut call = self.core.call("accept_team_invitation");
        let token = call.secret_segment("token", token)?;
        self.send(call, self.core.raw().accept_team_invitation(token)).await
    }

    /// Declines an invitation to a profile's team.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// # let invitation = inbox.invite("ada@example.com");
    /// use accountkit::ErrorKind;
    /// use accountkit::tagoio::{Client, Region};
    ///
    /// let client = Client::anonymous(region)?;
    /// // `invitation` is the token from the invitation email.
    /// client.decline_team_invitation(invitation).await?;
    ///
    /// let err = client.accept_team_invitation("no-such-invitation").await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::NotFound);
    /// # Ok(()) }
    /// ```
    pub async fn decline_team_invitation(&self, token: impl IntoSecret) -> Result<String> {
        let token: &SecretString = &token.into_secret();
        let mut call = self.core.call("decline_team_invitation");
        let token = call.secret_segment("token", token)?;
        self.send(call, self.core.raw().decline_team_invitation(token)).await
    }
}

/// The `{status, result, message}` envelope of every response.
trait Envelope: 'static {
    type Result: 'static;
    fn succeeded(&self) -> bool;
    fn into_parts(self) -> (bool, Option<Self::Result>, Option<String>);
}

macro_rules! envelope {
    ($($envelope:ident => $result:ty),* $(,)?) => {$(
        impl Envelope for raw::types::$envelope {
            type Result = $result;
            fn succeeded(&self) -> bool {
                let Self { status, result: _, message: _ } = self; // both read by `into_parts`
                *status
            }
            fn into_parts(self) -> (bool, Option<$result>, Option<String>) {
                let Self { status, result, message } = self;
                (status, result, message)
            }
        }
    )*};
}

envelope! {
    MessageEnvelope => String,
    AccountInfoEnvelope => raw::types::AccountInfo,
    LoginEnvelope => raw::types::LoginResult,
    TokenCreateEnvelope => raw::types::TokenCreated,
}

impl Client {
    /// Runs one raw call and unwraps its envelope: `status: false` is an
    /// error whatever the HTTP status.
    fn send<'a, T: Envelope>(
        &'a self,
        call: Call<'a>,
        raw: impl Future<
            Output = std::result::Result<
                ResponseValue<T>,
                progenitor_client::Error<raw::types::ErrorEnvelope>,
            >,
        > + 'a,
    ) -> impl Future<Output = Result<T::Result>> + 'a {
        self.core.send(call, raw, Self::unwrap)
    }

    /// The `result` of a TagoIO envelope, or the vendor's error.
    fn unwrap<T: Envelope>(op: Op, response: ResponseValue<T>) -> Result<T::Result> {
        let status = response.status().as_u16();
        // Read only for a failure: a header lookup on every answer is not free.
        let retry_after =
            (!response.succeeded()).then(|| provider::retry_after(response.headers())).flatten();
        match response.into_inner().into_parts() {
            (true, Some(result), _) => Ok(result),
            (true, None, _) => {
                Err(op.error(ErrorKind::Decode, "the response envelope has no `result`").with_status(status))
            }
            (false, _, message) => {
                let vendor = read_message(message.map(Value::String).as_ref());
                Err(provider::vendor_error(op, status, vendor, retry_after))
            }
        }
    }
}

/// A message may be a JSON-encoded second-factor challenge such as
/// `{"otp_enabled":true,"otp_autosend":"email"}` (`otp_enabled` may also be a
/// list of types).
fn read_message(message: Option<&Value>) -> VendorError {
    let text = message.and_then(Value::as_str).map(str::to_string);
    let challenge = text
        .as_deref()
        .filter(|t| t.trim_start().starts_with('{'))
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
        .filter(|v| match v.get("otp_enabled") {
            Some(Value::Bool(on)) => *on,
            Some(Value::Array(types)) => !types.is_empty(),
            _ => false,
        });
    match challenge {
        Some(challenge) => {
            let hint = challenge.get("otp_autosend").and_then(Value::as_str).unwrap_or_default().to_string();
            let message = match hint.as_str() {
                "" => "a second-factor PIN is required".to_string(),
                hint => format!("a second-factor PIN is required (via {hint})"),
            };
            VendorError { message: Some(message), second_factor: Some(hint), ..Default::default() }
        }
        None => VendorError { message: text, ..Default::default() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_both_error_shapes() {
        let top = Tagoio::read_error(&json!({"status": false, "message": "Invalid password"}));
        assert_eq!(top.message.as_deref(), Some("Invalid password"));
        assert!(top.is_error);
        let nested = Tagoio::read_error(&json!({"status": false, "result": {"message": "Missing field"}}));
        assert_eq!(nested.message.as_deref(), Some("Missing field"));
        let bare = Tagoio::read_error(&json!({"status": false, "result": "Denied"}));
        assert_eq!(bare.message.as_deref(), Some("Denied"));
        let neither = Tagoio::read_error(&json!(["not", "an", "envelope"]));
        assert!(neither.message.is_none() && !neither.is_error);
    }

    #[test]
    fn reads_second_factor_challenges() {
        let hint = |message: &str| read_message(Some(&json!(message))).second_factor;
        assert_eq!(hint(r#"{"otp_enabled":true,"otp_autosend":"sms"}"#).as_deref(), Some("sms"));
        assert_eq!(
            hint(r#"{"otp_enabled":["email"],"otp_autosend":"email","phone":"+1"}"#).as_deref(),
            Some("email")
        );
        assert_eq!(hint(r#"{"otp_enabled":false}"#), None);
        assert_eq!(hint("{not json"), None);
        assert_eq!(hint("Invalid credentials"), None);
    }

    #[test]
    fn regions_and_base_urls() {
        assert_eq!(Region::EuWest1.base_url().unwrap(), "https://api.eu-w1.tago.io");
        assert_eq!(Region::Deploy("my-proj1".into()).base_url().unwrap(), "https://api.my-proj1.tagoio.net");
        assert!(Region::Deploy("evil.com/x".into()).base_url().is_err());
        assert_eq!(
            Region::Custom("http://127.0.0.1:9/tagoio/".into()).base_url().unwrap(),
            "http://127.0.0.1:9/tagoio"
        );
        for bad in ["ftp://x.io", "not a url", "https://x.io/?a=1", "https://u:p@x.io"] {
            let err = Region::Custom(bad.into()).base_url().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
            assert!(!err.message().contains("u:p"), "{err}");
        }
    }
}
