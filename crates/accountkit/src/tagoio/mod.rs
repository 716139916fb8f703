//! The TagoIO account API.
//!
//! ```no_run
//! # async fn run() -> accountkit::Result<()> {
//! use accountkit::tagoio::{Client, Region};
//!
//! let client = Client::new(Region::UsEast1, "my-profile-token")?;
//! let account = client.info().await?;
//! println!("{} <{}>", account.name, account.email);
//! # Ok(()) }
//! ```
//!
//! One [`Client`] serves both kinds of operation. Operations on the account
//! ([`info`](Client::info), [`edit`](Client::edit), ...) send its token in
//! the `token` header; the anonymous ones ([`login`](Client::login),
//! [`create`](Client::create), ...) never do, whether or not the client has
//! a token. Cloning is cheap and shares the connection pool.

mod types;

use std::future::Future;

use crate::IntoSecret;
use accountkit_runtime::{Auth, Sensitive};
use accountkit_tagoio_raw as raw;
use progenitor_client::ResponseValue;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::call::{self, Op, VendorError};
use crate::error::{ErrorKind, Result};
use crate::validate;
use accountkit_runtime::Context;

pub use types::*;

const PROVIDER: &str = "tagoio";

const fn op(name: &'static str) -> Op {
    Op { provider: PROVIDER, name }
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
pub struct ClientBuilder {
    region: Region,
    token: Option<SecretString>,
    transport: call::Transport,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("region", &self.region)
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    call::transport_options!(
        "accountkit::tagoio::Client::builder(accountkit::tagoio::Region::UsEast1)",
        "accountkit::tagoio::Client::builder(accountkit::tagoio::Region::Custom(\"http://tagoio.internal:8080\".into()))"
    );

    /// The profile or account token sent on account operations.
    pub fn token(mut self, token: impl IntoSecret) -> Self {
        self.token = Some(token.into_secret());
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client> {
        let op = op("client");
        let base_url = self.region.base_url()?;
        let http = self.transport.http_client(op)?;
        let auth = match &self.token {
            Some(token) => auth(token)?,
            None => Auth::none(),
        };
        self.transport.check_scheme(op, &base_url)?;
        Ok(Client {
            raw: raw::Client::new_with_client(
                &base_url,
                http,
                Context::new(auth, self.transport.policy(PROVIDER)),
            ),
            base_url,
        })
    }
}

fn auth(token: &SecretString) -> Result<Auth> {
    let op = op("client");
    Auth::header("token", token.expose_secret()).map_err(|why| op.invalid("token", why.problem()))
}

/// A TagoIO account client. See the [module docs](self).
#[derive(Clone)]
pub struct Client {
    raw: raw::Client,
    base_url: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .field("auth", &self.raw_auth())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for account operations with a profile or account token.
    pub fn new(region: Region, token: impl IntoSecret) -> Result<Client> {
        Client::builder(region).token(token).build()
    }

    /// A client for the anonymous operations only (login, create, ...).
    pub fn anonymous(region: Region) -> Result<Client> {
        Client::builder(region).build()
    }

    /// Starts a [`ClientBuilder`].
    pub fn builder(region: Region) -> ClientBuilder {
        ClientBuilder { region, token: None, transport: call::Transport::default() }
    }

    /// The same client (and connection pool) with another token, e.g. the
    /// one [`token_create`](Client::token_create) returned.
    pub fn with_token(&self, token: impl IntoSecret) -> Result<Client> {
        let auth = auth(&token.into_secret())?;
        let http = progenitor_client::ClientInfo::client(&self.raw).clone();
        Ok(Client {
            raw: raw::Client::new_with_client(
                &self.base_url,
                http,
                Context::new(auth, progenitor_client::ClientInfo::inner(&self.raw).policy.clone()),
            ),
            base_url: self.base_url.clone(),
        })
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn raw_auth(&self) -> &Auth {
        &progenitor_client::ClientInfo::inner(&self.raw).auth
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
        let op = op("info");
        let result = self.send(op, &[], self.raw.info()).await?;
        Ok(Account::from(result))
    }

    /// Changes the fields set in `changes`; returns the server's message.
    pub async fn edit(&self, changes: &AccountChanges) -> Result<String> {
        let op = op("edit");
        let body = changes.to_raw(op)?;
        self.send(op, &[], self.raw.edit(&body)).await
    }

    /// Deletes the account; returns the server's message.
    pub async fn delete(&self) -> Result<String> {
        self.send(op("delete"), &[], self.raw.delete()).await
    }

    /// Sets a new password. The client's token is a profile token, or the
    /// token of a password-recovery email (see
    /// [`reset_password`](Client::reset_password)).
    pub async fn password_change(&self, new_password: impl IntoSecret) -> Result<String> {
        let new_password: &SecretString = &new_password.into_secret();
        let op = op("password_change");
        validate::secret(op, "new_password", new_password.expose_secret())?;
        let body = raw::types::PasswordChange { password: Sensitive::from(new_password) };
        self.send(op, &[new_password.expose_secret()], self.raw.password_change(&body)).await
    }

    /// Starts enabling a second factor; the server sends a PIN to confirm
    /// with [`confirm_otp`](Client::confirm_otp).
    pub async fn enable_otp(&self, otp: OtpType, credentials: &Credentials) -> Result<String> {
        let op = op("enable_otp");
        let body = credentials.to_raw(op)?;
        self.send(op, &credentials.secrets(), self.raw.enable_otp(otp.into(), &body)).await
    }

    /// Confirms a second factor with the PIN it was sent.
    pub async fn confirm_otp(&self, otp: OtpType, pin: impl IntoSecret) -> Result<String> {
        let pin: &SecretString = &pin.into_secret();
        let op = op("confirm_otp");
        validate::pin(op, "pin", pin.expose_secret())?;
        let body = raw::types::PinCode { pin_code: Sensitive::from(pin) };
        self.send(op, &[pin.expose_secret()], self.raw.confirm_otp(otp.into(), &body)).await
    }

    /// Turns a second factor off.
    pub async fn disable_otp(&self, otp: OtpType, credentials: &Credentials) -> Result<String> {
        let op = op("disable_otp");
        let body = credentials.to_raw(op)?;
        self.send(op, &credentials.secrets(), self.raw.disable_otp(otp.into(), &body)).await
    }

    /// Starts enabling a second factor and confirms it with the PIN that
    /// `pin` returns once the server has sent one.
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
    pub async fn login(&self, credentials: &Credentials) -> Result<Login> {
        self.login_inner(op("login"), credentials, None).await
    }

    /// Logs in with the PIN of a second factor.
    pub async fn login_with_pin(
        &self,
        credentials: &Credentials,
        otp: OtpType,
        pin: impl IntoSecret,
    ) -> Result<Login> {
        let pin: &SecretString = &pin.into_secret();
        self.login_inner(op("login_with_pin"), credentials, Some((otp, pin))).await
    }

    async fn login_inner(
        &self,
        op: Op,
        credentials: &Credentials,
        second: Option<(OtpType, &SecretString)>,
    ) -> Result<Login> {
        let raw::types::Credentials { email, password } = credentials.to_raw(op)?;
        let mut secrets = credentials.secrets();
        if let Some((_, pin)) = second {
            validate::pin(op, "pin", pin.expose_secret())?;
            secrets.push(pin.expose_secret());
        }
        let body = raw::types::Login {
            email,
            password,
            otp_type: second.map(|(otp, _)| otp.into()),
            pin_code: second.map(|(_, pin)| Sensitive::from(pin)),
        };
        let result = self.send(op, &secrets, self.raw.login(&body)).await?;
        Ok(Login::from(result))
    }

    /// The whole login of an account with a second factor, in one call:
    /// logs in; if a PIN is needed, asks the server to send one (unless the
    /// factor is an authenticator app), calls `pin` for it, and logs in
    /// with it. Returns the first login's error if `pin` returns `None`.
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
    pub async fn request_login_pin_code(&self, credentials: &Credentials, otp: OtpType) -> Result<String> {
        let op = op("request_login_pin_code");
        let raw::types::Credentials { email, password } = credentials.to_raw(op)?;
        let body = raw::types::LoginPinRequest { email, password, otp_type: otp.into() };
        self.send(op, &credentials.secrets(), self.raw.request_login_pin_code(&body)).await
    }

    /// Creates a profile token from the account's credentials.
    pub async fn token_create(&self, request: &TokenRequest) -> Result<ProfileToken> {
        let op = op("token_create");
        let body = request.to_raw(op)?;
        let result = self.send(op, &request.secrets(), self.raw.token_create(&body)).await?;
        Ok(ProfileToken::from(result))
    }

    /// Creates an account; the server emails a confirmation token.
    pub async fn create(&self, account: &NewAccount) -> Result<String> {
        let op = op("create");
        let body = account.to_raw(op)?;
        self.send(op, &[account.password.expose_secret()], self.raw.create(&body)).await
    }

    /// Confirms an account with the token from its confirmation email.
    pub async fn confirm_account(&self, token: impl IntoSecret) -> Result<String> {
        let token: &SecretString = &token.into_secret();
        let op = op("confirm_account");
        validate::path_segment(op, "token", token.expose_secret())?;
        self.send(op, &[token.expose_secret()], self.raw.confirm_account(token.expose_secret())).await
    }

    /// Sends the confirmation email again.
    pub async fn resend_confirmation(&self, email: &str) -> Result<String> {
        let op = op("resend_confirmation");
        validate::email(op, "email", email)?;
        self.send(op, &[], self.raw.resend_confirmation(email)).await
    }

    /// Sends a password-recovery email. Its token goes to
    /// [`reset_password`](Client::reset_password).
    pub async fn password_recover(&self, email: &str) -> Result<String> {
        let op = op("password_recover");
        validate::email(op, "email", email)?;
        self.send(op, &[], self.raw.password_recover(email)).await
    }

    /// Sets a new password with the token of a password-recovery email.
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
    pub async fn accept_team_invitation(&self, token: impl IntoSecret) -> Result<String> {
        let token: &SecretString = &token.into_secret();
        let op = op("accept_team_invitation");
        validate::path_segment(op, "token", token.expose_secret())?;
        self.send(op, &[token.expose_secret()], self.raw.accept_team_invitation(token.expose_secret())).await
    }

    /// Declines an invitation to a profile's team.
    pub async fn decline_team_invitation(&self, token: impl IntoSecret) -> Result<String> {
        let token: &SecretString = &token.into_secret();
        let op = op("decline_team_invitation");
        validate::path_segment(op, "token", token.expose_secret())?;
        self.send(op, &[token.expose_secret()], self.raw.decline_team_invitation(token.expose_secret())).await
    }
}

/// The `{status, result, message}` envelope of every response.
trait Envelope {
    type Result;
    fn into_parts(self) -> (bool, Option<Self::Result>, Option<String>);
}

macro_rules! envelope {
    ($($envelope:ident => $result:ty),* $(,)?) => {$(
        impl Envelope for raw::types::$envelope {
            type Result = $result;
            fn into_parts(self) -> (bool, Option<$result>, Option<String>) {
                (self.status, self.result, self.message)
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
    /// error whatever the HTTP status. `secrets` and the client's token are
    /// scrubbed from any error text.
    fn send<T: Envelope>(
        &self,
        op: Op,
        secrets: &[&str],
        call: impl Future<
            Output = std::result::Result<
                ResponseValue<T>,
                progenitor_client::Error<raw::types::ErrorEnvelope>,
            >,
        >,
    ) -> impl Future<Output = Result<T::Result>> {
        let call = accountkit_runtime::observe(call);
        async move {
            let (outcome, meta) = call.await;
            let scrub =
                |error: crate::Error| error.scrub_with_token(secrets, self.raw_auth().expose_secret());
            let response = match outcome {
                Ok(response) => response,
                Err(e) => return Err(scrub(call::failure(op, e, meta, read_error).await)),
            };
            let status = response.status().as_u16();
            let retry_after = call::retry_after(response.headers());
            match response.into_inner().into_parts() {
                (true, Some(result), _) => Ok(result),
                (true, None, _) => Err(op
                    .error(ErrorKind::Decode, "the response envelope has no `result`")
                    .with_status(status)),
                (false, _, message) => {
                    let vendor = read_message(message.map(Value::String).as_ref());
                    Err(scrub(call::vendor_error(op, status, vendor, retry_after)))
                }
            }
        }
    }
}

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
        let top = read_error(&json!({"status": false, "message": "Invalid password"}));
        assert_eq!(top.message.as_deref(), Some("Invalid password"));
        assert!(top.is_error);
        let nested = read_error(&json!({"status": false, "result": {"message": "Missing field"}}));
        assert_eq!(nested.message.as_deref(), Some("Missing field"));
        let bare = read_error(&json!({"status": false, "result": "Denied"}));
        assert_eq!(bare.message.as_deref(), Some("Denied"));
        let neither = read_error(&json!(["not", "an", "envelope"]));
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
