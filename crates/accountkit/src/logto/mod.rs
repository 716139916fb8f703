//! Logto's My Account API and the verification records it relies on.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use accountkit::logto::{Client, ProfileChanges};
//!
//! // The examples run against the in-process sandbox: its handle hands
//! // out what production gets from the vendor (URL, tokens, emailed codes).
//! let sandbox = accountkit_sandbox::Sandbox::start().await?;
//! let endpoint = sandbox.logto().base_url();
//! let access_token = sandbox.logto().add_user("ada@example.com", "correct horse");
//!
//! // The tenant's endpoint (`https://my-tenant.logto.app`) and the signed-in
//! // user's opaque access token (no resource indicator); the examples in
//! // these docs take both from `accountkit_sandbox`.
//! let client = Client::new(endpoint, access_token)?;
//! let me = client.get_profile().await?;
//! assert_eq!(me.primary_email.as_deref(), Some("ada@example.com"));
//!
//! // Omitted fields stay as they are; cleared ones are sent as `null`.
//! let me = client.update_profile(&ProfileChanges::new().name("Ada").clear_avatar(), None).await?;
//! assert_eq!(me.name.as_deref(), Some("Ada"));
//!
//! // Sensitive operations take a verification record, so none can go
//! // without one; an expired record is refused before sending.
//! let proof = client.verify_password("correct horse").await?;
//! client.update_password(&proof, "tr0ub4dor&3").await?;
//!
//! // Or the whole recipe in one call.
//! client.change_password("tr0ub4dor&3", "correct horse").await?;
//! # Ok(()) }
//! ```
//!
//! # Verification records
//!
//! A [`Verification`] is valid for 10 minutes and proves one of two things:
//!
//! - **the user's identity**, from [`verify_password`](Client::verify_password),
//!   or [`send_code`](Client::send_code) to the user's *current* email or
//!   phone and then [`verify_code`](Client::verify_code). Username, password,
//!   primary email and phone changes, passkeys and (for a user with a
//!   password, email or phone) social identities need one;
//! - **a new identifier**: a code sent to a *new* address
//!   ([`update_primary_email`](Client::update_primary_email),
//!   [`update_primary_phone`](Client::update_primary_phone)), a social sign-in
//!   ([`start_social_verification`](Client::start_social_verification),
//!   [`verify_social`](Client::verify_social),
//!   [`add_social_identity`](Client::add_social_identity)) or a passkey
//!   ([`start_passkey_registration`](Client::start_passkey_registration),
//!   [`verify_passkey_registration`](Client::verify_passkey_registration),
//!   [`add_passkey`](Client::add_passkey)). Such an operation takes both records.
//!
//! Each of those methods shows its whole flow. A record or social challenge
//! kept between two requests (e.g. in a web session) is rebuilt with
//! [`Verification::from_parts`] or [`SocialChallenge::from_parts`].
//!
//! Errors keep Logto's `code` (e.g. `verification_record.permission_denied`,
//! `user.email_already_in_use`) in [`Error::code`](crate::Error::code);
//! branch on it rather than on the status, which Logto varies between routes.
//! A field switched off in the tenant's Account Center settings, or a token
//! scope missing, is [`ErrorKind::Forbidden`]
//! although Logto answers 400.

mod types;

use std::future::Future;

use crate::IntoSecret;
use accountkit_logto_raw as raw;
use accountkit_runtime::{Auth, Sensitive};
use progenitor_client::ResponseValue;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use crate::error::{ErrorKind, Result};
use crate::provider::{self, Call, Core, Op, Provider, VendorError};
use crate::transport;
use crate::validate;

/// The free-form JSON of custom data, connector details and WebAuthn
/// options and credentials.
#[doc(no_inline)]
pub use serde_json::{Map as JsonMap, Value as JsonValue};
pub use types::*;

const PROVIDER: &str = "logto";

const fn op(name: &'static str) -> Op {
    Op { provider: PROVIDER, name }
}

/// Logto, to the code the providers share.
struct Logto;

impl Provider for Logto {
    const NAME: &'static str = PROVIDER;
    type Raw = raw::Client;

    /// Reads `{code, message, data?, details?}`, or a bare `{message}`.
    fn read_error(body: &Value) -> VendorError {
        let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_string);
        VendorError { code: text("code"), message: text("message"), ..Default::default() }
    }

    fn refine(error: crate::Error) -> crate::Error {
        refine(error)
    }
}

/// Checks a Logto endpoint (`https://<tenant>.logto.app` or a self-hosted
/// origin) and returns it without a trailing `/`.
fn endpoint_url(endpoint: &str) -> Result<String> {
    validate::base_url(op("client"), "endpoint", endpoint)
}

/// Builds a [`Client`] with more than the defaults.
#[derive(Debug)]
pub struct ClientBuilder {
    endpoint: String,
    token: SecretString,
    transport: transport::Transport,
}

impl ClientBuilder {
    transport::transport_options!(
        "accountkit::logto::Client::builder(\"https://my-tenant.logto.app\", \"user-access-token\")",
        "accountkit::logto::Client::builder(\"http://logto.internal:3001\", \"user-access-token\")"
    );

    /// Checks the settings and builds the client.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use std::time::Duration;
    ///
    /// use accountkit::RetryPolicy;
    /// use accountkit::logto::Client;
    ///
    /// let client = Client::builder(endpoint, token)
    ///     .timeout(Duration::from_secs(10))
    ///     .retry(RetryPolicy::none())
    ///     .build()?;
    /// assert!(client.get_profile().await.is_ok());
    /// # Ok(()) }
    /// ```
    pub fn build(self) -> Result<Client> {
        let base_url = endpoint_url(&self.endpoint)?;
        let auth = auth(&self.token)?;
        let policy = self.transport.policy(PROVIDER);
        Ok(Client { core: Core::new(&base_url, auth, &self.transport, policy)? })
    }
}

fn auth(token: &SecretString) -> Result<Auth> {
    let op = op("client");
    provider::bearer(op, "access_token", token)
}

/// A Logto My Account client for one signed-in user. See the
/// [module docs](self). Cloning is cheap and shares the connection pool.
#[derive(Clone, Debug)]
pub struct Client {
    core: Core<Logto>,
}

impl Client {
    /// A client for the Logto endpoint (`https://<tenant>.logto.app` or a
    /// self-hosted origin) and the user's opaque access token.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::logto::Client;
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let me = client.get_profile().await?;
    /// assert_eq!(me.primary_email.as_deref(), Some("ada@example.com"));
    /// # Ok(()) }
    /// ```
    pub fn new(endpoint: impl Into<String>, access_token: impl IntoSecret) -> Result<Client> {
        Client::builder(endpoint, access_token).build()
    }

    /// Starts a [`ClientBuilder`].
    ///
    /// ```
    /// # fn main() -> accountkit::Result<()> {
    /// use accountkit::ErrorKind;
    /// use accountkit::logto::Client;
    ///
    /// // Plain http is refused (the token would cross the network in clear)...
    /// let err = Client::builder("http://logto.internal", "token").build().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// // ...unless the host is a loopback address, or allowed explicitly.
    /// let client = Client::builder("http://logto.internal", "token").allow_insecure_http(true).build()?;
    /// assert_eq!(client.base_url(), "http://logto.internal");
    /// # Ok(()) }
    /// ```
    pub fn builder(endpoint: impl Into<String>, access_token: impl IntoSecret) -> ClientBuilder {
        ClientBuilder {
            endpoint: endpoint.into(),
            token: access_token.into_secret(),
            transport: transport::Transport::default(),
        }
    }

    /// The same client (and connection pool) with a refreshed access token.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let (stale_token, fresh_token) = ("expired-token", sandbox.logto().add_user("ada@example.com", "correct horse"));
    /// use accountkit::ErrorKind;
    /// use accountkit::logto::Client;
    ///
    /// let client = Client::new(endpoint, stale_token)?;
    /// let err = client.get_profile().await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Unauthorized);
    ///
    /// // Refresh the token with your OIDC library, then carry on:
    /// let client = client.with_access_token(fresh_token)?;
    /// assert!(client.get_profile().await.is_ok());
    /// # Ok(()) }
    /// ```
    pub fn with_access_token(&self, access_token: impl IntoSecret) -> Result<Client> {
        Ok(Client { core: self.core.with_auth(auth(&access_token.into_secret())?) })
    }

    /// The endpoint requests go to.
    ///
    /// ```
    /// # fn main() -> accountkit::Result<()> {
    /// use accountkit::logto::Client;
    ///
    /// let client = Client::new("https://my-tenant.logto.app/", "user-access-token")?;
    /// assert_eq!(client.base_url(), "https://my-tenant.logto.app");
    /// # Ok(()) }
    /// ```
    pub fn base_url(&self) -> &str {
        self.core.base_url()
    }

    // ---- profile ----

    /// The signed-in user's profile.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::logto::Client;
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let me = client.get_profile().await?;
    /// assert_eq!(me.primary_email.as_deref(), Some("ada@example.com"));
    /// assert_eq!(me.has_password, Some(true));
    /// assert!(me.identities.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn get_profile(&self) -> Result<Profile> {
        let call = self.core.call("get_profile");
        let op = call.op();
        let profile = self.send(call, self.core.raw().get_profile()).await?;
        Profile::from_raw(op, profile)
    }

    /// Changes name, avatar, username or custom data; returns the fresh
    /// profile. A username change needs `verification` (refused before
    /// sending without one); other changes may pass `None`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::ErrorKind;
    /// use accountkit::logto::{Client, ProfileChanges};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let me = client.update_profile(&ProfileChanges::new().name("Ada Lovelace"), None).await?;
    /// assert_eq!(me.name.as_deref(), Some("Ada Lovelace"));
    ///
    /// // A username needs proof of identity; without it nothing is sent.
    /// let rename = ProfileChanges::new().username("ada");
    /// let err = client.update_profile(&rename, None).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// let proof = client.verify_password("correct horse").await?;
    /// let me = client.update_profile(&rename, Some(&proof)).await?;
    /// assert_eq!(me.username.as_deref(), Some("ada"));
    /// # Ok(()) }
    /// ```
    pub async fn update_profile(
        &self,
        changes: &ProfileChanges,
        verification: Option<&Verification>,
    ) -> Result<Profile> {
        let mut call = self.core.call("update_profile");
        let op = call.op();
        let body = changes.to_raw(op)?;
        let header = match verification {
            Some(v) => Some(v.identity(&mut call, "verification")?),
            None if changes.changes_username() => {
                return Err(op.invalid("verification", "is required to change the username"));
            }
            None => None,
        };
        let profile = self.send(call, self.core.raw().update_profile(header, &body)).await?;
        Profile::from_raw(op, profile)
    }

    /// Merges the claims set in `claims` into the stored ones; returns all
    /// stored claims.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::logto::{Address, Client, StandardClaims};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let claims = StandardClaims::new()
    ///     .given_name("Ada")
    ///     .family_name("Lovelace")
    ///     .address(Address::new().locality("London").country("GB"));
    /// let stored = client.update_other_profile(&claims).await?;
    /// assert_eq!(stored.given_name.as_deref(), Some("Ada"));
    ///
    /// // Later calls merge: the given name stays.
    /// let stored = client.update_other_profile(&StandardClaims::new().locale("en-GB")).await?;
    /// assert_eq!((stored.given_name.as_deref(), stored.locale.as_deref()), (Some("Ada"), Some("en-GB")));
    /// # Ok(()) }
    /// ```
    pub async fn update_other_profile(&self, claims: &StandardClaims) -> Result<StandardClaims> {
        let call = self.core.call("update_other_profile");
        let body = claims.to_raw(call.op())?;
        Ok(StandardClaims::from_raw(self.send(call, self.core.raw().update_other_profile(&body)).await?))
    }

    /// Sets a new password.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::ErrorKind;
    /// use accountkit::logto::Client;
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let proof = client.verify_password("correct horse").await?;
    /// client.update_password(&proof, "tr0ub4dor&3").await?;
    ///
    /// // The old password no longer verifies.
    /// let err = client.verify_password("correct horse").await.unwrap_err();
    /// assert_eq!(err.code(), Some("session.invalid_credentials"));
    /// assert_eq!(err.kind(), ErrorKind::Validation);
    /// # Ok(()) }
    /// ```
    pub async fn update_password(
        &self,
        verification: &Verification,
        new_password: impl IntoSecret,
    ) -> Result<()> {
        let new_password: &SecretString = &new_password.into_secret();
        let mut call = self.core.call("update_password");
        let header = verification.identity(&mut call, "verification")?;
        call.secret("new_password", new_password)?;
        let body = raw::types::PasswordUpdate { password: Sensitive::from(new_password) };
        self.send(call, self.core.raw().update_password(Some(header), &body)).await
    }

    /// Sets a password for a user with no password, email or phone yet
    /// (e.g. one who signed up through a social account): the one case
    /// Logto accepts without a verification record. For anyone else the
    /// server answers 401 `verification_record.permission_denied`; use
    /// [`update_password`](Client::update_password).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_social_user("octocat");
    /// use accountkit::logto::Client;
    ///
    /// // A user who signed up through GitHub and has no password yet.
    /// let client = Client::new(endpoint, token)?;
    /// assert_eq!(client.get_profile().await?.has_password, Some(false));
    ///
    /// client.set_first_password("correct horse").await?;
    /// assert_eq!(client.get_profile().await?.has_password, Some(true));
    /// # Ok(()) }
    /// ```
    pub async fn set_first_password(&self, password: impl IntoSecret) -> Result<()> {
        let password: &SecretString = &password.into_secret();
        let mut call = self.core.call("set_first_password");
        call.secret("password", password)?;
        let body = raw::types::PasswordUpdate { password: Sensitive::from(password) };
        self.send(call, self.core.raw().update_password(None, &body)).await
    }

    /// Sets the primary email to the address `new_email` proves (a code
    /// sent to it and verified); `verification` proves the user's identity.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::logto::{Client, CodeTarget};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// // Proof of identity (a password here), then proof of the new address.
    /// let proof = client.verify_password("correct horse").await?;
    /// let challenge = client.send_code(&CodeTarget::email("ada@lovelace.example")).await?;
    /// # let code = sandbox.logto().latest_code(challenge.sent_to()).ok_or("no code sent")?;
    /// // `code`: what the user read in the message sent to the new address.
    /// let new_email = client.verify_code(&challenge, code).await?;
    /// client.update_primary_email(&proof, &new_email).await?;
    ///
    /// let me = client.get_profile().await?;
    /// assert_eq!(me.primary_email.as_deref(), Some("ada@lovelace.example"));
    /// # Ok(()) }
    /// ```
    pub async fn update_primary_email(
        &self,
        verification: &Verification,
        new_email: &Verification,
    ) -> Result<()> {
        let mut call = self.core.call("update_primary_email");
        let header = verification.identity(&mut call, "verification")?;
        let Proof::Email(email) = new_email.proof() else {
            return Err(call.invalid("new_email", "must be a verified code record for an email address"));
        };
        let record = new_email.usable(&mut call, "new_email")?;
        let body = raw::types::PrimaryEmailUpdate {
            email: email.clone(),
            new_identifier_verification_record_id: record.to_string(),
        };
        self.send(call, self.core.raw().update_primary_email(header, &body)).await
    }

    /// Removes the primary email.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::logto::{Client, ProfileChanges};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let proof = client.verify_password("correct horse").await?;
    ///
    /// // Logto keeps a user's last way to sign in.
    /// let err = client.delete_primary_email(&proof).await.unwrap_err();
    /// assert_eq!(err.code(), Some("user.last_sign_in_method_required"));
    ///
    /// client.update_profile(&ProfileChanges::new().username("ada"), Some(&proof)).await?;
    /// client.delete_primary_email(&proof).await?;
    /// assert_eq!(client.get_profile().await?.primary_email, None);
    /// # Ok(()) }
    /// ```
    pub async fn delete_primary_email(&self, verification: &Verification) -> Result<()> {
        let mut call = self.core.call("delete_primary_email");
        let header = verification.identity(&mut call, "verification")?;
        self.send(call, self.core.raw().delete_primary_email(header)).await
    }

    /// Sets the primary phone to the number `new_phone` proves (a code sent
    /// to it and verified); `verification` proves the user's identity.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::logto::{Client, CodeTarget};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let proof = client.verify_password("correct horse").await?;
    /// let challenge = client.send_code(&CodeTarget::phone("+15551234567")).await?;
    /// # let code = sandbox.logto().latest_code(challenge.sent_to()).ok_or("no code sent")?;
    /// // `code`: what the user read in the text message.
    /// let new_phone = client.verify_code(&challenge, code).await?;
    /// client.update_primary_phone(&proof, &new_phone).await?;
    ///
    /// let me = client.get_profile().await?;
    /// assert_eq!(me.primary_phone.as_deref(), Some("15551234567"));
    /// # Ok(()) }
    /// ```
    pub async fn update_primary_phone(
        &self,
        verification: &Verification,
        new_phone: &Verification,
    ) -> Result<()> {
        let mut call = self.core.call("update_primary_phone");
        let header = verification.identity(&mut call, "verification")?;
        let Proof::Phone(phone) = new_phone.proof() else {
            return Err(call.invalid("new_phone", "must be a verified code record for a phone number"));
        };
        let record = new_phone.usable(&mut call, "new_phone")?;
        let body = raw::types::PrimaryPhoneUpdate {
            phone: phone.clone(),
            new_identifier_verification_record_id: record.to_string(),
        };
        self.send(call, self.core.raw().update_primary_phone(header, &body)).await
    }

    /// Removes the primary phone.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// # use accountkit::logto::CodeTarget;
    /// use accountkit::logto::Client;
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let proof = client.verify_password("correct horse").await?;
    /// # let challenge = client.send_code(&CodeTarget::phone("+15551234567")).await?;
    /// # let code = sandbox.logto().latest_code(challenge.sent_to()).ok_or("no code sent")?;
    /// # client.update_primary_phone(&proof, &client.verify_code(&challenge, code).await?).await?;
    /// # assert!(client.get_profile().await?.primary_phone.is_some());
    /// client.delete_primary_phone(&proof).await?;
    /// assert_eq!(client.get_profile().await?.primary_phone, None);
    /// # Ok(()) }
    /// ```
    pub async fn delete_primary_phone(&self, verification: &Verification) -> Result<()> {
        let mut call = self.core.call("delete_primary_phone");
        let header = verification.identity(&mut call, "verification")?;
        self.send(call, self.core.raw().delete_primary_phone(header)).await
    }

    /// Links the social account `social` proves (see
    /// [`verify_social`](Client::verify_social)).
    ///
    /// `verification` proves the user's identity. Logto asks for it only
    /// from a user with a password, email or phone (see
    /// [`Profile::has_security_verification_method`]); a user who signed up
    /// through a social connector alone has nothing to verify with and
    /// passes `None`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::logto::{Client, SocialStart};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let proof = client.verify_password("correct horse").await?;
    ///
    /// let start = SocialStart::new("github-connector", "csrf-state-1", "https://app.example/callback");
    /// let challenge = client.start_social_verification(&start).await?;
    /// // Send the user to `challenge.authorization_uri`; the provider sends them
    /// // back to the redirect URI with these query parameters.
    /// let callback = [("code", "octocat"), ("state", "csrf-state-1")];
    /// let social = client.verify_social(&challenge, callback).await?;
    /// client.add_social_identity(Some(&proof), &social).await?;
    ///
    /// let me = client.get_profile().await?;
    /// assert_eq!(me.identities["github"].user_id, "gh-octocat");
    /// # Ok(()) }
    /// ```
    ///
    /// A user with nothing to verify with (signed up through GitHub alone)
    /// links a second account without a record:
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_social_user("octocat");
    /// use accountkit::logto::{Client, SocialStart};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// assert_eq!(client.get_profile().await?.has_security_verification_method, Some(false));
    ///
    /// let start = SocialStart::new("gitlab-connector", "csrf-state-2", "https://app.example/callback");
    /// let challenge = client.start_social_verification(&start).await?;
    /// let social = client.verify_social(&challenge, [("code", "octocat"), ("state", "csrf-state-2")]).await?;
    /// client.add_social_identity(None, &social).await?;
    /// assert_eq!(client.get_profile().await?.identities.len(), 2);
    /// # Ok(()) }
    /// ```
    pub async fn add_social_identity(
        &self,
        verification: Option<&Verification>,
        social: &Verification,
    ) -> Result<()> {
        let mut call = self.core.call("add_social_identity");
        let header = verification.map(|v| v.identity(&mut call, "verification")).transpose()?;
        if !matches!(social.proof(), Proof::Social { .. }) {
            return Err(call.invalid("social", "must be a verified social record"));
        }
        let record = social.usable(&mut call, "social")?;
        let body = raw::types::IdentityAdd { new_identifier_verification_record_id: record.to_string() };
        self.send(call, self.core.raw().add_user_identities(header, &body)).await
    }

    /// Unlinks the social identity of connector `target` (e.g. `github`);
    /// any target is sent as one path segment. `verification` as for
    /// [`add_social_identity`](Client::add_social_identity).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// # use accountkit::logto::SocialStart;
    /// use accountkit::ErrorKind;
    /// use accountkit::logto::Client;
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let proof = client.verify_password("correct horse").await?;
    /// # let start = SocialStart::new("github-connector", "st", "https://app.example/callback");
    /// # let challenge = client.start_social_verification(&start).await?;
    /// # let social = client.verify_social(&challenge, [("code", "octocat"), ("state", "st")]).await?;
    /// # client.add_social_identity(Some(&proof), &social).await?;
    /// assert!(client.get_profile().await?.identities.contains_key("github"));
    ///
    /// client.delete_identity(Some(&proof), "github").await?;
    /// assert!(client.get_profile().await?.identities.is_empty());
    ///
    /// let err = client.delete_identity(Some(&proof), "github").await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::NotFound);
    /// # Ok(()) }
    /// ```
    pub async fn delete_identity(&self, verification: Option<&Verification>, target: &str) -> Result<()> {
        let mut call = self.core.call("delete_identity");
        let header = verification.map(|v| v.identity(&mut call, "verification")).transpose()?;
        // Dot segments would be resolved away by URL parsing, leaving another path.
        if target.is_empty() || target == "." || target == ".." {
            return Err(call.invalid("target", "must be a connector target, not empty, `.` or `..`"));
        }
        validate::query_value(call.op(), "target", target)?;
        self.send(call, self.core.raw().delete_identity(target, header)).await
    }

    // ---- verification records ----

    /// Proves the user's identity with their password.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::ErrorKind;
    /// use accountkit::logto::{Client, Proof};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let proof = client.verify_password("correct horse").await?;
    /// assert_eq!(proof.proof(), &Proof::Password);
    /// assert!(!proof.is_expired());
    ///
    /// let err = client.verify_password("wrong horse").await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Validation);
    /// assert_eq!(err.code(), Some("session.invalid_credentials"));
    /// # Ok(()) }
    /// ```
    pub async fn verify_password(&self, password: impl IntoSecret) -> Result<Verification> {
        let password: &SecretString = &password.into_secret();
        let mut call = self.core.call("verify_password");
        call.secret("password", password)?;
        let body = raw::types::PasswordVerificationCreate { password: Sensitive::from(password) };
        let raw::types::VerificationRecord { expires_at, verification_record_id } =
            self.send(call, self.core.raw().create_verification_by_password(&body)).await?;
        Ok(Verification::new(verification_record_id, expires_at, Proof::Password))
    }

    /// Sends a one-time code. To the user's current address, the verified
    /// code proves their identity; to a new one, it proves they own it (for
    /// [`update_primary_email`](Client::update_primary_email) or
    /// [`update_primary_phone`](Client::update_primary_phone)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::logto::{Client, CodeTarget, ProfileChanges, Proof};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// // A code to the user's current address proves their identity, as a
    /// // password would.
    /// let challenge = client.send_code(&CodeTarget::email("ada@example.com")).await?;
    /// assert_eq!(challenge.sent_to(), "ada@example.com");
    /// # let code = sandbox.logto().latest_code(challenge.sent_to()).ok_or("no code sent")?;
    /// let proof = client.verify_code(&challenge, code).await?;
    /// assert_eq!(proof.proof(), &Proof::Email("ada@example.com".into()));
    ///
    /// let me = client.update_profile(&ProfileChanges::new().username("ada"), Some(&proof)).await?;
    /// assert_eq!(me.username.as_deref(), Some("ada"));
    /// # Ok(()) }
    /// ```
    pub async fn send_code(&self, to: &CodeTarget) -> Result<CodeChallenge> {
        self.code(self.core.call("send_code"), to, None).await
    }

    /// Sends a one-time code for a stated purpose (`templateType`), e.g.
    /// [`CodeTemplate::BindMfa`] to bind the address as an MFA factor.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::ErrorKind;
    /// use accountkit::logto::{Client, CodeTarget, CodeTemplate};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let to = CodeTarget::email("ada@example.com");
    /// let challenge = client.send_code_with_template(&to, &CodeTemplate::BindMfa).await?;
    /// # let code = sandbox.logto().latest_code(challenge.sent_to()).ok_or("no code sent")?;
    /// let record = client.verify_code(&challenge, code).await?;
    ///
    /// // A code sent to bind an MFA factor proves no identity.
    /// let err = client.delete_primary_email(&record).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Unauthorized);
    /// assert_eq!(err.code(), Some("verification_record.permission_denied"));
    /// # Ok(()) }
    /// ```
    pub async fn send_code_with_template(
        &self,
        to: &CodeTarget,
        template: &CodeTemplate,
    ) -> Result<CodeChallenge> {
        self.code(self.core.call("send_code_with_template"), to, Some(template)).await
    }

    async fn code(
        &self,
        call: Call<'_>,
        to: &CodeTarget,
        template: Option<&CodeTemplate>,
    ) -> Result<CodeChallenge> {
        let op = call.op();
        let identifier = to.to_raw(op)?;
        if let Some(CodeTemplate::Other(other)) = template {
            validate::text(op, "template", other)?;
        }
        let body = raw::types::CodeVerificationCreate {
            identifier: identifier.clone(),
            template_type: template.map(|t| t.as_str().to_string()),
        };
        let raw::types::VerificationRecord { expires_at, verification_record_id } =
            self.send(call, self.core.raw().create_verification_by_verification_code(&body)).await?;
        Ok(CodeChallenge { id: SecretString::from(verification_record_id), expires_at, identifier })
    }

    /// Verifies a sent code.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::ErrorKind;
    /// use accountkit::logto::{Client, CodeTarget, Proof};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let challenge = client.send_code(&CodeTarget::phone("+15551234567")).await?;
    ///
    /// let err = client.verify_code(&challenge, "1234567").await.unwrap_err();
    /// assert_eq!(err.code(), Some("verification_code.code_mismatch"));
    /// assert_eq!(err.kind(), ErrorKind::Validation);
    ///
    /// # let code = sandbox.logto().latest_code(challenge.sent_to()).ok_or("no code sent")?;
    /// // `code`: what the user typed in.
    /// let proof = client.verify_code(&challenge, code).await?;
    /// assert_eq!(proof.proof(), &Proof::Phone("15551234567".into()));
    /// # Ok(()) }
    /// ```
    pub async fn verify_code(
        &self,
        challenge: &CodeChallenge,
        code: impl IntoSecret,
    ) -> Result<Verification> {
        let code: &SecretString = &code.into_secret();
        let mut call = self.core.call("verify_code");
        let code_text = call.record(code.expose_secret().trim());
        if code_text.is_empty()
            || code_text.len() > 32
            || !code_text.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(call.invalid("code", "must be the letters and digits that were sent"));
        }
        let id = call.record(challenge.id.expose_secret());
        let body = raw::types::CodeVerificationVerify {
            identifier: challenge.identifier.clone(),
            verification_id: id.to_string(),
            code: Sensitive::new(code_text),
        };
        let raw::types::VerifiedRecord { verification_record_id } =
            self.send(call, self.core.raw().verify_verification_by_verification_code(&body)).await?;
        Ok(Verification::new(
            verification_record_id,
            challenge.expires_at,
            CodeTarget::proof(&challenge.identifier),
        ))
    }

    /// Starts a social verification: send the user to the returned
    /// [`authorization_uri`](SocialChallenge::authorization_uri).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::logto::{Client, SocialStart};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// // A fresh, unguessable `state` per sign-in; check it on the way back.
    /// let start = SocialStart::new("github-connector", "csrf-state-1", "https://app.example/callback");
    /// let challenge = client.start_social_verification(&start).await?;
    /// assert!(challenge.authorization_uri.contains("state=csrf-state-1"));
    /// assert_eq!(challenge.connector_id(), "github-connector");
    /// // Now redirect the user's browser to `challenge.authorization_uri`.
    /// # Ok(()) }
    /// ```
    pub async fn start_social_verification(&self, start: &SocialStart) -> Result<SocialChallenge> {
        let call = self.core.call("start_social_verification");
        let body = start.to_raw(call.op())?;
        let raw::types::SocialVerificationRecord { authorization_uri, expires_at, verification_record_id } =
            self.send(call, self.core.raw().create_verification_by_social(&body)).await?;
        Ok(SocialChallenge {
            id: SecretString::from(verification_record_id),
            expires_at,
            connector_id: body.connector_id,
            authorization_uri,
        })
    }

    /// Verifies a social sign-in with what the provider sent back to the
    /// redirect URI: its query (or form) parameters, e.g. `code` and `state`,
    /// sent as Logto's `connectorData`. Values are any JSON (`&str`,
    /// `String` or a [`JsonValue`]), for connectors that take more than strings.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::logto::{Client, JsonValue, Proof, SocialStart};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let start = SocialStart::new("github-connector", "csrf-state-1", "https://app.example/callback");
    /// let challenge = client.start_social_verification(&start).await?;
    ///
    /// // What the provider appended to the redirect URI, e.g.
    /// // `https://app.example/callback?code=octocat&state=csrf-state-1`.
    /// let callback = [("code", JsonValue::from("octocat")), ("state", "csrf-state-1".into())];
    /// let social = client.verify_social(&challenge, callback).await?;
    /// assert_eq!(social.proof(), &Proof::Social { connector_id: "github-connector".into() });
    /// # Ok(()) }
    /// ```
    pub async fn verify_social<I, K, V>(
        &self,
        challenge: &SocialChallenge,
        callback: I,
    ) -> Result<Verification>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<Value>,
    {
        let mut call = self.core.call("verify_social");
        let connector_data: Map<String, Value> =
            callback.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        if connector_data.is_empty() {
            return Err(call.invalid("connector_data", "is empty"));
        }
        let id = call.record(challenge.id.expose_secret());
        let body =
            raw::types::SocialVerificationVerify { connector_data, verification_record_id: id.to_string() };
        let raw::types::VerifiedRecord { verification_record_id } =
            self.send(call, self.core.raw().verify_verification_by_social(&body)).await?;
        Ok(Verification::new(
            verification_record_id,
            challenge.expires_at,
            Proof::Social { connector_id: challenge.connector_id.clone() },
        ))
    }

    /// Starts registering a passkey: returns the WebAuthn creation options
    /// for the authenticator.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::logto::Client;
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let registration = client.start_passkey_registration().await?;
    /// // Hand these to `navigator.credentials.create({ publicKey: options })`.
    /// let options = &registration.options;
    /// assert!(options.contains_key("challenge"));
    /// assert_eq!(options["user"]["name"], "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub async fn start_passkey_registration(&self) -> Result<PasskeyRegistration> {
        let call = self.core.call("start_passkey_registration");
        let raw::types::WebAuthnRegistration { expires_at, registration_options, verification_record_id } =
            self.send(call, self.core.raw().generate_web_authn_registration_options()).await?;
        Ok(PasskeyRegistration {
            id: SecretString::from(verification_record_id),
            expires_at,
            options: registration_options,
        })
    }

    /// Verifies a passkey registration with the authenticator's response
    /// (the browser's `PublicKeyCredential` as JSON); the record then goes
    /// to [`add_passkey`](Client::add_passkey).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::logto::{Client, JsonMap, JsonValue, Proof};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let registration = client.start_passkey_registration().await?;
    ///
    /// // The browser's `PublicKeyCredential`, posted back as JSON.
    /// let posted = r#"{"id": "cred-1", "rawId": "cred-1", "type": "public-key",
    ///     "response": {"clientDataJSON": "eyJ9", "attestationObject": "o2Nm"}}"#;
    /// let credential: JsonMap<String, JsonValue> = serde_json::from_str(posted)?;
    /// let passkey = client.verify_passkey_registration(&registration, &credential).await?;
    /// assert_eq!(passkey.proof(), &Proof::Passkey);
    /// # Ok(()) }
    /// ```
    pub async fn verify_passkey_registration(
        &self,
        registration: &PasskeyRegistration,
        credential: &Map<String, Value>,
    ) -> Result<Verification> {
        let mut call = self.core.call("verify_passkey_registration");
        let payload = types::passkey_payload(call.op(), credential.clone())?;
        let id = call.record(registration.id.expose_secret());
        let body = raw::types::WebAuthnRegistrationVerify { verification_record_id: id.to_string(), payload };
        let raw::types::VerifiedRecord { verification_record_id } =
            self.send(call, self.core.raw().verify_web_authn_registration(&body)).await?;
        Ok(Verification::new(verification_record_id, registration.expires_at, Proof::Passkey))
    }

    /// Binds the passkey `passkey` proves as an MFA factor, under an
    /// optional label.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::logto::{Client, JsonMap, JsonValue};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let proof = client.verify_password("correct horse").await?;
    /// let registration = client.start_passkey_registration().await?;
    /// // The authenticator's answer to `registration.options`, from the browser.
    /// let posted = r#"{"id": "cred-1", "rawId": "cred-1", "type": "public-key",
    ///     "response": {"clientDataJSON": "eyJ9", "attestationObject": "o2Nm"}}"#;
    /// let credential: JsonMap<String, JsonValue> = serde_json::from_str(posted)?;
    /// let passkey = client.verify_passkey_registration(&registration, &credential).await?;
    ///
    /// client.add_passkey(&proof, &passkey, Some("Laptop")).await?;
    /// assert_eq!(sandbox.logto().passkeys_of("ada@example.com"), ["Laptop"]);
    /// # Ok(()) }
    /// ```
    pub async fn add_passkey(
        &self,
        verification: &Verification,
        passkey: &Verification,
        name: Option<&str>,
    ) -> Result<()> {
        let mut call = self.core.call("add_passkey");
        let header = verification.identity(&mut call, "verification")?;
        if *passkey.proof() != Proof::Passkey {
            return Err(call.invalid("passkey", "must be a verified passkey registration record"));
        }
        let record = passkey.usable(&mut call, "passkey")?;
        if let Some(name) = name {
            validate::text(call.op(), "name", name)?;
        }
        let body = raw::types::MfaVerificationAdd {
            type_: raw::types::MfaVerificationAddType::WebAuthn,
            new_identifier_verification_record_id: record.to_string(),
            name: name.map(str::to_string),
        };
        self.send(call, self.core.raw().add_mfa_verification(header, &body)).await
    }

    // ---- recipes ----

    /// Verifies with the current password, then sets the new one.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::ErrorKind;
    /// use accountkit::logto::Client;
    ///
    /// let client = Client::new(endpoint, token)?;
    /// client.change_password("correct horse", "tr0ub4dor&3").await?;
    /// assert!(client.verify_password("tr0ub4dor&3").await.is_ok());
    ///
    /// // A wrong current password fails the first step; nothing changes.
    /// let err = client.change_password("correct horse", "another one").await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Validation);
    /// assert!(err.message().starts_with("verify_password: "));
    /// # Ok(()) }
    /// ```
    pub async fn change_password(
        &self,
        current: impl IntoSecret,
        new_password: impl IntoSecret,
    ) -> Result<()> {
        let current: &SecretString = &current.into_secret();
        let new_password: &SecretString = &new_password.into_secret();
        let recipe = "change_password";
        validate::secret(op(recipe), "new_password", new_password.expose_secret())?;
        let proof = self.verify_password(current).await.map_err(|e| e.during(recipe, "verify_password"))?;
        self.update_password(&proof, new_password).await.map_err(|e| e.during(recipe, "update_password"))
    }

    /// The whole email change in one call: verifies with the password,
    /// sends a code to `new_email`, asks `code` for it, verifies it, and
    /// sets the address as primary. Returns an
    /// [`ErrorKind::InvalidInput`] error if `code` returns `None`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::SecretString;
    /// use accountkit::logto::Client;
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let outbox = sandbox.logto();
    /// client
    ///     .change_primary_email("correct horse", "ada@lovelace.example", async |sent_to: &str| {
    ///         // Ask the user for the code sent to `sent_to` (here: the sandbox's outbox).
    ///         outbox.latest_code(sent_to).map(SecretString::from)
    ///     })
    ///     .await?;
    ///
    /// let me = client.get_profile().await?;
    /// assert_eq!(me.primary_email.as_deref(), Some("ada@lovelace.example"));
    /// # Ok(()) }
    /// ```
    pub async fn change_primary_email<F>(
        &self,
        password: impl IntoSecret,
        new_email: &str,
        code: F,
    ) -> Result<()>
    where
        F: AsyncFnOnce(&str) -> Option<SecretString>,
    {
        let password: &SecretString = &password.into_secret();
        let recipe = "change_primary_email";
        validate::email(op(recipe), "new_email", new_email)?;
        let identity =
            self.verify_password(password).await.map_err(|e| e.during(recipe, "verify_password"))?;
        let to = CodeTarget::email(new_email);
        let challenge = self.send_code(&to).await.map_err(|e| e.during(recipe, "send_code"))?;
        let Some(sent) = code(challenge.sent_to()).await else {
            return Err(op(recipe).invalid("code", "was not supplied"));
        };
        let proof = self.verify_code(&challenge, sent).await.map_err(|e| e.during(recipe, "verify_code"))?;
        self.update_primary_email(&identity, &proof)
            .await
            .map_err(|e| e.during(recipe, "update_primary_email"))
    }

    /// Runs one raw call.
    fn send<'a, T: 'static>(
        &'a self,
        call: Call<'a>,
        raw: impl Future<
            Output = std::result::Result<ResponseValue<T>, progenitor_client::Error<raw::types::Error>>,
        > + 'a,
    ) -> impl Future<Output = Result<T>> + 'a {
        self.core.send(call, raw, |_, response| Ok(response.into_inner()))
    }
}

/// An error with the kind [`refined_kind`] gives it, if any.
fn refine(error: crate::Error) -> crate::Error {
    match refined_kind(error.code(), error.status()) {
        Some(kind) => error.with_kind(kind),
        None => error,
    }
}

/// Logto answers some refusals with a status that misleads: a field or
/// the Account Center switched off in the tenant's settings, or a missing
/// token scope, come back as 400 (or 401) although the request was fine and
/// only not allowed.
fn refined_kind(code: Option<&str>, status: Option<u16>) -> Option<ErrorKind> {
    match (code?, status?) {
        (code, _) if code.starts_with("account_center.") => Some(ErrorKind::Forbidden),
        ("auth.unauthorized", 400) => Some(ErrorKind::Forbidden),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_logto_errors() {
        let full =
            Logto::read_error(&json!({"code": "user.email_already_in_use", "message": "taken", "data": 1}));
        assert_eq!(full.code.as_deref(), Some("user.email_already_in_use"));
        assert_eq!(full.message.as_deref(), Some("taken"));
        assert!(!full.is_error);
        let bare = Logto::read_error(&json!({"message": "Internal server error."}));
        assert_eq!((bare.code, bare.message.as_deref()), (None, Some("Internal server error.")));
        let neither = Logto::read_error(&json!([1]));
        assert!(neither.code.is_none() && neither.message.is_none());
    }

    #[test]
    fn settings_and_scope_refusals_are_forbidden() {
        let kind = |code, status| refined_kind(Some(code), Some(status));
        assert_eq!(kind("account_center.field_not_editable", 400), Some(ErrorKind::Forbidden));
        assert_eq!(kind("account_center.not_enabled", 400), Some(ErrorKind::Forbidden));
        assert_eq!(kind("auth.unauthorized", 400), Some(ErrorKind::Forbidden));
        assert_eq!(kind("auth.unauthorized", 401), None);
        assert_eq!(kind("user.email_already_in_use", 422), None);
        assert_eq!(refined_kind(None, Some(400)), None);
    }

    #[test]
    fn endpoints() {
        assert_eq!(endpoint_url("https://t1.logto.app/").unwrap(), "https://t1.logto.app");
        assert_eq!(endpoint_url("http://127.0.0.1:9/logto").unwrap(), "http://127.0.0.1:9/logto");
        for bad in ["ftp://x.io", "nope", "https://x.io/?a=1", "https://u:p@x.io"] {
            assert_eq!(endpoint_url(bad).unwrap_err().kind(), ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn verifications_expire_and_never_print_their_id() {
        let op = op("t");
        let past =
            Verification::from_parts("rec-secret-1", chrono::Utc::now() - chrono::TimeDelta::seconds(1));
        let err = past.usable(&mut Call::new(op), "verification").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Expired);
        assert_eq!(err.code(), Some("verification_record.expired"));
        let soon =
            Verification::from_parts("rec-secret-1", chrono::Utc::now() + chrono::TimeDelta::seconds(2));
        assert!(soon.is_expired());
        let fresh =
            Verification::from_parts("rec-secret-1", chrono::Utc::now() + chrono::TimeDelta::minutes(10));
        assert_eq!(fresh.usable(&mut Call::new(op), "verification").unwrap(), "rec-secret-1");
        assert!(!format!("{fresh:?}").contains("rec-secret-1"));
    }

    #[test]
    fn rebuilt_code_challenges_check_their_target() {
        let at = chrono::Utc::now() + chrono::TimeDelta::minutes(10);
        for bad in [CodeTarget::phone("12"), CodeTarget::email("not an address")] {
            let err = CodeChallenge::from_parts("rec-1", at, bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
        }
        let phone = CodeChallenge::from_parts("rec-1", at, CodeTarget::phone("+15551234567")).unwrap();
        assert_eq!(phone.sent_to(), "15551234567");
        assert!(!format!("{phone:?}").contains("rec-1"));
    }

    #[test]
    fn phones_are_digits() {
        let op = op("t");
        assert_eq!(phone_digits(op, "phone", "+15551234567").unwrap(), "15551234567");
        for bad in ["", "+1 555", "12345", "1234567890123456", "++15551234567"] {
            assert!(phone_digits(op, "phone", bad).is_err(), "{bad}");
        }
    }
}
