//! Logto's inputs and outputs.

use std::collections::BTreeMap;

use crate::IntoSecret;
use accountkit_logto_raw as raw_crate;
use accountkit_logto_raw::types as raw;
use chrono::{DateTime, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use crate::error::{ErrorKind, Result};
use crate::provider::{Call, Op};
use crate::validate;

/// How close to its expiry a record is refused: it must survive the trip.
const EXPIRY_MARGIN: TimeDelta = TimeDelta::seconds(5);

/// What a verification record proves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Proof {
    /// The user's password.
    Password,
    /// A code sent to this email address.
    Email(String),
    /// A code sent to this phone number (digits only).
    Phone(String),
    /// A sign-in with this social connector.
    Social {
        /// The connector id it was started with.
        connector_id: String,
    },
    /// A passkey registration, ready to bind as an MFA factor.
    Passkey,
    /// A record obtained elsewhere (see [`Verification::from_parts`]).
    External,
}

/// A verified verification record: proof, valid until
/// [`expires_at`](Verification::expires_at), that the user re-authenticated
/// (password, or a code to their current email or phone) or owns a new
/// email, phone or social account.
///
/// Operations that need one take it as an argument and send its id in the
/// `logto-verification-id` header; an expired record is refused with
/// [`ErrorKind::Expired`] before anything is sent. The id never shows in
/// `Debug`.
#[derive(Clone)]
pub struct Verification {
    id: SecretString,
    expires_at: DateTime<Utc>,
    proof: Proof,
}

impl std::fmt::Debug for Verification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verification")
            .field("id", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .field("proof", &self.proof)
            .finish()
    }
}

impl Verification {
    pub(super) fn new(id: String, expires_at: DateTime<Utc>, proof: Proof) -> Self {
        Verification { id: SecretString::from(id), expires_at, proof }
    }

    /// A record verified elsewhere (e.g. by a web front end), usable to
    /// prove the user's identity.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::ExposeSecret;
    /// use accountkit::logto::{Client, ProfileChanges, Verification};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let proof = client.verify_password("correct horse").await?;
    /// // Kept server-side with the user's session between two requests...
    /// let (id, expires_at) = (proof.id().expose_secret().to_string(), proof.expires_at());
    ///
    /// // ...and rebuilt in the next one.
    /// let proof = Verification::from_parts(id, expires_at);
    /// let me = client.update_profile(&ProfileChanges::new().username("ada"), Some(&proof)).await?;
    /// assert_eq!(me.username.as_deref(), Some("ada"));
    /// # Ok(()) }
    /// ```
    pub fn from_parts(id: impl IntoSecret, expires_at: DateTime<Utc>) -> Self {
        Verification { id: id.into_secret(), expires_at, proof: Proof::External }
    }

    /// The record id, as sent in the `logto-verification-id` header.
    ///
    /// ```
    /// # fn main() -> accountkit::Result<()> {
    /// use accountkit::ExposeSecret;
    /// use accountkit::chrono::{TimeDelta, Utc};
    /// use accountkit::logto::Verification;
    ///
    /// let proof = Verification::from_parts("rec-1", Utc::now() + TimeDelta::minutes(10));
    /// assert_eq!(proof.id().expose_secret(), "rec-1");
    /// assert!(!format!("{proof:?}").contains("rec-1")); // never in `Debug`
    /// # Ok(()) }
    /// ```
    pub fn id(&self) -> &SecretString {
        &self.id
    }

    /// When the server stops accepting it (10 minutes after creation).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::chrono::{TimeDelta, Utc};
    /// use accountkit::logto::Client;
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let proof = client.verify_password("correct horse").await?;
    /// let left = proof.expires_at() - Utc::now();
    /// assert!(left > TimeDelta::minutes(9) && left <= TimeDelta::minutes(10));
    /// # Ok(()) }
    /// ```
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// What it proves.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::logto::{Client, Proof};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let record = client.verify_password("correct horse").await?;
    /// match record.proof() {
    ///     Proof::Password | Proof::External => println!("proves the user's identity"),
    ///     Proof::Email(address) => println!("a code to {address}"),
    ///     other => println!("proves a new identifier: {other:?}"),
    /// }
    /// assert_eq!(record.proof(), &Proof::Password);
    /// # Ok(()) }
    /// ```
    pub fn proof(&self) -> &Proof {
        &self.proof
    }

    /// Whether it is expired, or about to be (within 5 seconds).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::ErrorKind;
    /// use accountkit::chrono::{TimeDelta, Utc};
    /// use accountkit::logto::{Client, Verification};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let stale = Verification::from_parts("rec-1", Utc::now() - TimeDelta::minutes(1));
    /// assert!(stale.is_expired());
    ///
    /// // Refused before anything is sent: verify again.
    /// let err = client.update_password(&stale, "tr0ub4dor&3").await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Expired);
    /// # Ok(()) }
    /// ```
    pub fn is_expired(&self) -> bool {
        Utc::now() + EXPIRY_MARGIN >= self.expires_at
    }

    /// The id, once the record is checked usable for `field`.
    pub(super) fn usable<'a>(&'a self, call: &mut Call<'a>, field: &str) -> Result<&'a str> {
        let op = call.op();
        if self.is_expired() {
            return Err(op
                .error(
                    ErrorKind::Expired,
                    format!("`{field}` expired at {}; verify again", self.expires_at.to_rfc3339()),
                )
                .with_code(Some("verification_record.expired".to_string())));
        }
        let id = call.record(self.id.expose_secret());
        validate::header(op, field, id)?;
        Ok(id)
    }

    /// Checked as proof of the user's identity: a social or passkey
    /// registration record cannot be.
    pub(super) fn identity<'a>(&'a self, call: &mut Call<'a>, field: &str) -> Result<&'a str> {
        if let Proof::Social { .. } | Proof::Passkey = self.proof {
            return Err(call.invalid(field, "proves a new identifier, not the user's identity"));
        }
        self.usable(call, field)
    }
}

/// Where a verification code goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeTarget {
    /// An email address.
    Email(String),
    /// A phone number: digits only, a leading `+` is dropped.
    Phone(String),
}

impl CodeTarget {
    /// An email address.
    ///
    /// ```
    /// use accountkit::logto::CodeTarget;
    ///
    /// let to = CodeTarget::email("ada@example.com");
    /// assert_eq!(to, CodeTarget::Email("ada@example.com".into()));
    /// ```
    pub fn email(address: impl Into<String>) -> Self {
        CodeTarget::Email(address.into())
    }

    /// A phone number such as `+15551234567` or `15551234567`.
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
    /// let challenge = client.send_code(&CodeTarget::phone("+15551234567")).await?;
    /// assert_eq!(challenge.sent_to(), "15551234567");
    /// # Ok(()) }
    /// ```
    pub fn phone(number: impl Into<String>) -> Self {
        CodeTarget::Phone(number.into())
    }

    /// Checked and in wire form.
    pub(super) fn to_raw(&self, op: Op) -> Result<raw::VerificationCodeIdentifier> {
        Ok(match self {
            CodeTarget::Email(address) => {
                validate::email(op, "email", address)?;
                raw::VerificationCodeIdentifier {
                    type_: raw::VerificationCodeIdentifierType::Email,
                    value: address.clone(),
                }
            }
            CodeTarget::Phone(number) => raw::VerificationCodeIdentifier {
                type_: raw::VerificationCodeIdentifierType::Phone,
                value: phone_digits(op, "phone", number)?,
            },
        })
    }

    pub(super) fn proof(identifier: &raw::VerificationCodeIdentifier) -> Proof {
        let raw::VerificationCodeIdentifier { type_, value } = identifier;
        match type_ {
            raw::VerificationCodeIdentifierType::Email => Proof::Email(value.clone()),
            raw::VerificationCodeIdentifierType::Phone => Proof::Phone(value.clone()),
        }
    }
}

crate::open_enum! {
    /// What a code is for: Logto's `templateType`. Without one, a code to
    /// the user's current address proves their identity and a code to a
    /// new address proves they own it.
    pub enum CodeTemplate {
        /// Proves the user's identity; only a code to their current address.
        UserPermissionValidation = "UserPermissionValidation",
        /// Binds the address as an MFA factor; no proof of identity.
        BindMfa = "BindMfa",
    }
}

/// Logto's phone form: 6 to 15 digits, no `+`.
pub(super) fn phone_digits(op: Op, field: &str, number: &str) -> Result<String> {
    let digits = number.strip_prefix('+').unwrap_or(number);
    if !(6..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(op.invalid(field, "must be 6 to 15 digits (country code first, an optional leading `+`)"));
    }
    Ok(digits.to_string())
}

/// A code that was sent and awaits [`Client::verify_code`](super::Client::verify_code).
#[derive(Clone)]
pub struct CodeChallenge {
    pub(super) id: SecretString,
    pub(super) expires_at: DateTime<Utc>,
    pub(super) identifier: raw::VerificationCodeIdentifier,
}

impl std::fmt::Debug for CodeChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeChallenge")
            .field("id", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .field("sent_to", &self.identifier.value)
            .finish()
    }
}

impl CodeChallenge {
    /// A challenge sent earlier, rebuilt from its stored parts (the code
    /// often comes back in another request than the one that sent it):
    /// the record [`id`](CodeChallenge::id), its expiry and where the code
    /// went. A target [`send_code`](super::Client::send_code) would refuse
    /// is an [`ErrorKind::InvalidInput`] error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::ExposeSecret;
    /// use accountkit::logto::{Client, CodeChallenge, CodeTarget, Proof};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let challenge = client.send_code(&CodeTarget::email("ada@lovelace.example")).await?;
    /// // Kept with the user's session until they type the code in...
    /// let id = challenge.id().expose_secret().to_string();
    /// let (expires_at, sent_to) = (challenge.expires_at(), challenge.sent_to().to_string());
    ///
    /// // ...and rebuilt in the request that brings it.
    /// let challenge = CodeChallenge::from_parts(id, expires_at, CodeTarget::email(sent_to))?;
    /// # let code = sandbox.logto().latest_code("ada@lovelace.example").ok_or("no code sent")?;
    /// let new_email = client.verify_code(&challenge, code).await?;
    /// assert_eq!(new_email.proof(), &Proof::Email("ada@lovelace.example".into()));
    /// # Ok(()) }
    /// ```
    pub fn from_parts(id: impl IntoSecret, expires_at: DateTime<Utc>, sent_to: CodeTarget) -> Result<Self> {
        let identifier = sent_to.to_raw(super::op("code_challenge"))?;
        Ok(CodeChallenge { id: id.into_secret(), expires_at, identifier })
    }

    /// The record id, to store until the code comes back.
    ///
    /// ```
    /// # fn main() -> accountkit::Result<()> {
    /// use accountkit::ExposeSecret;
    /// use accountkit::chrono::{TimeDelta, Utc};
    /// use accountkit::logto::{CodeChallenge, CodeTarget};
    ///
    /// let expires_at = Utc::now() + TimeDelta::minutes(10);
    /// let challenge = CodeChallenge::from_parts("rec-1", expires_at, CodeTarget::phone("+15551234567"))?;
    /// assert_eq!(challenge.id().expose_secret(), "rec-1");
    /// assert_eq!(challenge.sent_to(), "15551234567");
    /// # Ok(()) }
    /// ```
    pub fn id(&self) -> &SecretString {
        &self.id
    }

    /// When the record expires.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::chrono::Utc;
    /// use accountkit::logto::{Client, CodeTarget};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let challenge = client.send_code(&CodeTarget::email("ada@example.com")).await?;
    /// assert!(challenge.expires_at() > Utc::now());
    /// # Ok(()) }
    /// ```
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// The email address or phone number (digits) the code went to.
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
    /// let challenge = client.send_code(&CodeTarget::phone("+447700900123")).await?;
    /// println!("Enter the code we sent to +{}", challenge.sent_to());
    /// assert_eq!(challenge.sent_to(), "447700900123");
    /// # Ok(()) }
    /// ```
    pub fn sent_to(&self) -> &str {
        &self.identifier.value
    }
}

/// A social sign-in that awaits
/// [`Client::verify_social`](super::Client::verify_social): send the user to
/// [`authorization_uri`](SocialChallenge::authorization_uri) first.
#[derive(Clone)]
pub struct SocialChallenge {
    pub(super) id: SecretString,
    pub(super) expires_at: DateTime<Utc>,
    pub(super) connector_id: String,
    /// Where to send the user to authorize.
    pub authorization_uri: String,
}

impl std::fmt::Debug for SocialChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocialChallenge")
            .field("id", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .field("connector_id", &self.connector_id)
            .finish_non_exhaustive()
    }
}

impl SocialChallenge {
    /// A challenge started earlier, rebuilt from its stored parts (the
    /// callback often reaches another process than the start); its
    /// `authorization_uri` is empty.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::ExposeSecret;
    /// use accountkit::logto::{Client, Proof, SocialChallenge, SocialStart};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let start = SocialStart::new("github-connector", "csrf-state-1", "https://app.example/callback");
    /// let challenge = client.start_social_verification(&start).await?;
    /// // Kept with the user's session while they are away at the provider.
    /// let id = challenge.id().expose_secret().to_string();
    /// let (expires_at, connector_id) = (challenge.expires_at(), challenge.connector_id().to_string());
    ///
    /// // The redirect URI's handler, maybe in another process:
    /// let challenge = SocialChallenge::from_parts(id, expires_at, connector_id);
    /// let social = client.verify_social(&challenge, [("code", "octocat"), ("state", "csrf-state-1")]).await?;
    /// assert_eq!(social.proof(), &Proof::Social { connector_id: "github-connector".into() });
    /// # Ok(()) }
    /// ```
    pub fn from_parts(
        id: impl IntoSecret,
        expires_at: DateTime<Utc>,
        connector_id: impl Into<String>,
    ) -> Self {
        SocialChallenge {
            id: id.into_secret(),
            expires_at,
            connector_id: connector_id.into(),
            authorization_uri: String::new(),
        }
    }

    /// The record id, to store until the callback.
    ///
    /// ```
    /// # fn main() -> accountkit::Result<()> {
    /// use accountkit::ExposeSecret;
    /// use accountkit::chrono::{TimeDelta, Utc};
    /// use accountkit::logto::SocialChallenge;
    ///
    /// let expires_at = Utc::now() + TimeDelta::minutes(10);
    /// let challenge = SocialChallenge::from_parts("rec-1", expires_at, "github-connector");
    /// assert_eq!(challenge.id().expose_secret(), "rec-1");
    /// # Ok(()) }
    /// ```
    pub fn id(&self) -> &SecretString {
        &self.id
    }

    /// When the record expires.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::chrono::Utc;
    /// use accountkit::logto::{Client, SocialStart};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let start = SocialStart::new("github-connector", "csrf-state-1", "https://app.example/callback");
    /// let challenge = client.start_social_verification(&start).await?;
    /// assert!(challenge.expires_at() > Utc::now());
    /// # Ok(()) }
    /// ```
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// The connector it was started with.
    ///
    /// ```
    /// # fn main() -> accountkit::Result<()> {
    /// use accountkit::chrono::{TimeDelta, Utc};
    /// use accountkit::logto::SocialChallenge;
    ///
    /// let expires_at = Utc::now() + TimeDelta::minutes(10);
    /// let challenge = SocialChallenge::from_parts("rec-1", expires_at, "github-connector");
    /// assert_eq!(challenge.connector_id(), "github-connector");
    /// assert!(challenge.authorization_uri.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn connector_id(&self) -> &str {
        &self.connector_id
    }
}

/// Where to start a social verification, for
/// [`Client::start_social_verification`](super::Client::start_social_verification).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct SocialStart {
    connector_id: String,
    state: String,
    redirect_uri: String,
    scope: Option<String>,
}

impl SocialStart {
    /// The connector id, the OAuth `state` to check on return, and the
    /// redirect URI registered with the provider.
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
    /// let start = SocialStart::new("github-connector", "csrf-state-1", "https://app.example/callback");
    /// let challenge = client.start_social_verification(&start).await?;
    /// assert!(challenge.authorization_uri.starts_with("https://"));
    /// # Ok(()) }
    /// ```
    pub fn new(
        connector_id: impl Into<String>,
        state: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        SocialStart {
            connector_id: connector_id.into(),
            state: state.into(),
            redirect_uri: redirect_uri.into(),
            scope: None,
        }
    }

    /// Extra provider scopes, space-separated.
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
    /// let start = SocialStart::new("github-connector", "csrf-state-1", "https://app.example/callback")
    ///     .scope("read:user user:email");
    /// let challenge = client.start_social_verification(&start).await?;
    /// assert_eq!(challenge.connector_id(), "github-connector");
    /// # Ok(()) }
    /// ```
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    pub(super) fn to_raw(&self, op: Op) -> Result<raw::SocialVerificationCreate> {
        validate::text(op, "connector_id", &self.connector_id)?;
        validate::text(op, "state", &self.state)?;
        url_field(op, "redirect_uri", &self.redirect_uri)?;
        Ok(raw::SocialVerificationCreate {
            connector_id: self.connector_id.clone(),
            state: self.state.clone(),
            redirect_uri: self.redirect_uri.clone(),
            scope: self.scope.clone(),
        })
    }
}

fn url_field(op: Op, field: &str, value: &str) -> Result<()> {
    let parsed = url::Url::parse(value).map_err(|_| op.invalid(field, "is not an absolute URL"))?;
    if parsed.host().is_none() && parsed.scheme().starts_with("http") {
        return Err(op.invalid(field, "has no host"));
    }
    Ok(())
}

/// Changes for [`Client::update_profile`](super::Client::update_profile):
/// what is not mentioned is left as it is, what is cleared is sent as `null`.
///
/// ```
/// use accountkit::logto::ProfileChanges;
/// let changes = ProfileChanges::new().name("Ada Lovelace").clear_avatar();
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct ProfileChanges {
    name: Option<Option<String>>,
    avatar: Option<Option<String>>,
    username: Option<Option<String>>,
    custom_data: Option<Map<String, Value>>,
}

impl ProfileChanges {
    /// No changes yet.
    ///
    /// ```
    /// use accountkit::logto::ProfileChanges;
    ///
    /// let changes = ProfileChanges::new();
    /// assert_eq!(changes, ProfileChanges::default());
    /// assert!(!changes.changes_username());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// A new display name (at most 128 characters).
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
    /// let me = client.update_profile(&ProfileChanges::new().name("Ada Lovelace"), None).await?;
    /// assert_eq!(me.name.as_deref(), Some("Ada Lovelace"));
    /// # Ok(()) }
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(Some(name.into()));
        self
    }
    /// Removes the display name.
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
    /// client.update_profile(&ProfileChanges::new().name("Ada Lovelace"), None).await?;
    /// let me = client.update_profile(&ProfileChanges::new().clear_name(), None).await?;
    /// assert_eq!(me.name, None);
    /// # Ok(()) }
    /// ```
    pub fn clear_name(mut self) -> Self {
        self.name = Some(None);
        self
    }
    /// A new avatar URL.
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
    /// let changes = ProfileChanges::new().avatar("https://img.example/ada.png");
    /// let me = client.update_profile(&changes, None).await?;
    /// assert_eq!(me.avatar.as_deref(), Some("https://img.example/ada.png"));
    /// # Ok(()) }
    /// ```
    pub fn avatar(mut self, url: impl Into<String>) -> Self {
        self.avatar = Some(Some(url.into()));
        self
    }
    /// Removes the avatar.
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
    /// client.update_profile(&ProfileChanges::new().avatar("https://img.example/ada.png"), None).await?;
    /// let me = client.update_profile(&ProfileChanges::new().clear_avatar(), None).await?;
    /// assert_eq!(me.avatar, None);
    /// # Ok(()) }
    /// ```
    pub fn clear_avatar(mut self) -> Self {
        self.avatar = Some(None);
        self
    }
    /// A new username (a letter or `_`, then letters, digits, `_`). The
    /// call then needs a verification record.
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
    /// let me = client.update_profile(&ProfileChanges::new().username("ada"), Some(&proof)).await?;
    /// assert_eq!(me.username.as_deref(), Some("ada"));
    /// # Ok(()) }
    /// ```
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(Some(username.into()));
        self
    }
    /// Removes the username. The call then needs a verification record.
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
    /// client.update_profile(&ProfileChanges::new().username("ada"), Some(&proof)).await?;
    /// let me = client.update_profile(&ProfileChanges::new().clear_username(), Some(&proof)).await?;
    /// assert_eq!(me.username, None);
    /// # Ok(()) }
    /// ```
    pub fn clear_username(mut self) -> Self {
        self.username = Some(None);
        self
    }
    /// Replaces the whole custom data object.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::logto::{Client, JsonMap, JsonValue, ProfileChanges};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let mut data = JsonMap::new();
    /// data.insert("plan".into(), JsonValue::from("pro"));
    /// let me = client.update_profile(&ProfileChanges::new().custom_data(data), None).await?;
    /// assert_eq!(me.custom_data["plan"], "pro");
    /// # Ok(()) }
    /// ```
    pub fn custom_data(mut self, data: Map<String, Value>) -> Self {
        self.custom_data = Some(data);
        self
    }

    /// Whether the change touches the username, which needs a verification.
    ///
    /// ```
    /// use accountkit::logto::ProfileChanges;
    ///
    /// assert!(ProfileChanges::new().username("ada").changes_username());
    /// assert!(ProfileChanges::new().clear_username().changes_username());
    /// assert!(!ProfileChanges::new().name("Ada").changes_username());
    /// ```
    pub fn changes_username(&self) -> bool {
        self.username.is_some()
    }

    pub(super) fn to_raw(&self, op: Op) -> Result<raw_crate::ProfileUpdate> {
        if let Some(Some(name)) = &self.name {
            validate::text(op, "name", name)?;
            if name.chars().count() > 128 {
                return Err(op.invalid("name", "is longer than 128 characters"));
            }
        }
        if let Some(Some(avatar)) = &self.avatar {
            if avatar.len() > 2048 {
                return Err(op.invalid("avatar", "is longer than 2048 characters"));
            }
            url_field(op, "avatar", avatar)?;
        }
        if let Some(Some(username)) = &self.username {
            let mut chars = username.chars();
            let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
            if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(op.invalid(
                    "username",
                    "must start with a letter or `_` and hold only letters, digits and `_`",
                ));
            }
        }
        Ok(raw_crate::ProfileUpdate {
            name: self.name.clone(),
            avatar: self.avatar.clone(),
            username: self.username.clone(),
            custom_data: self.custom_data.clone(),
        })
    }
}

/// OIDC standard claims beyond name and picture, plus the address. As
/// input to [`Client::update_other_profile`](super::Client::update_other_profile)
/// the fields set are merged into the stored ones; the server takes no
/// `null` here, so blank a claim with `""`. Build one with
/// [`StandardClaims::new`] and one setter per claim.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StandardClaims {
    /// `familyName`
    pub family_name: Option<String>,
    /// `givenName`
    pub given_name: Option<String>,
    /// `middleName`
    pub middle_name: Option<String>,
    /// `nickname`
    pub nickname: Option<String>,
    /// `preferredUsername`
    pub preferred_username: Option<String>,
    /// `profile` (a URL)
    pub profile: Option<String>,
    /// `website`
    pub website: Option<String>,
    /// `gender`
    pub gender: Option<String>,
    /// `birthdate`, e.g. `1815-12-10`
    pub birthdate: Option<String>,
    /// `zoneinfo`, e.g. `Europe/London`
    pub zoneinfo: Option<String>,
    /// `locale`, e.g. `en-GB`
    pub locale: Option<String>,
    /// The postal address (needs the `address` scope).
    pub address: Option<Address>,
}

/// A postal address claim; build one with [`Address::new`] and its setters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Address {
    /// The whole address, formatted for display.
    pub formatted: Option<String>,
    /// Street and number.
    pub street_address: Option<String>,
    /// City.
    pub locality: Option<String>,
    /// State or region.
    pub region: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Country.
    pub country: Option<String>,
}

impl Address {
    /// No parts yet: set them with the setters.
    ///
    /// ```
    /// use accountkit::logto::Address;
    ///
    /// let address = Address::new().locality("London").country("GB");
    /// assert_eq!(address.region, None);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the whole address, formatted for display.
    ///
    /// ```
    /// use accountkit::logto::Address;
    ///
    /// let address = Address::new().formatted("12 St James's Square, London");
    /// assert_eq!(address.formatted.as_deref(), Some("12 St James's Square, London"));
    /// ```
    pub fn formatted(mut self, formatted: impl Into<String>) -> Self {
        self.formatted = Some(formatted.into());
        self
    }

    /// Sets the street and number.
    ///
    /// ```
    /// use accountkit::logto::Address;
    ///
    /// let address = Address::new().street_address("12 St James's Square");
    /// assert_eq!(address.street_address.as_deref(), Some("12 St James's Square"));
    /// ```
    pub fn street_address(mut self, street_address: impl Into<String>) -> Self {
        self.street_address = Some(street_address.into());
        self
    }

    /// Sets the city.
    ///
    /// ```
    /// use accountkit::logto::Address;
    ///
    /// let address = Address::new().locality("London");
    /// assert_eq!(address.locality.as_deref(), Some("London"));
    /// ```
    pub fn locality(mut self, locality: impl Into<String>) -> Self {
        self.locality = Some(locality.into());
        self
    }

    /// Sets the state or region.
    ///
    /// ```
    /// use accountkit::logto::Address;
    ///
    /// let address = Address::new().region("Greater London");
    /// assert_eq!(address.region.as_deref(), Some("Greater London"));
    /// ```
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sets the postal code.
    ///
    /// ```
    /// use accountkit::logto::Address;
    ///
    /// let address = Address::new().postal_code("SW1Y 4LE");
    /// assert_eq!(address.postal_code.as_deref(), Some("SW1Y 4LE"));
    /// ```
    pub fn postal_code(mut self, postal_code: impl Into<String>) -> Self {
        self.postal_code = Some(postal_code.into());
        self
    }

    /// Sets the country.
    ///
    /// ```
    /// use accountkit::logto::Address;
    ///
    /// let address = Address::new().country("GB");
    /// assert_eq!(address.country.as_deref(), Some("GB"));
    /// ```
    pub fn country(mut self, country: impl Into<String>) -> Self {
        self.country = Some(country.into());
        self
    }

    fn from_raw(a: raw::Address) -> Self {
        let raw::Address { country, formatted, locality, postal_code, region, street_address } = a;
        Address { formatted, street_address, locality, region, postal_code, country }
    }
}

impl StandardClaims {
    /// No claims yet: set the ones to change with the setters.
    ///
    /// ```
    /// use accountkit::logto::StandardClaims;
    ///
    /// let claims = StandardClaims::new().given_name("Ada").locale("en-GB");
    /// assert_eq!(claims.given_name.as_deref(), Some("Ada"));
    /// assert_eq!(claims.family_name, None); // left as stored
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `familyName`, the surname.
    ///
    /// ```
    /// use accountkit::logto::StandardClaims;
    ///
    /// let claims = StandardClaims::new().family_name("Lovelace");
    /// assert_eq!(claims.family_name.as_deref(), Some("Lovelace"));
    /// ```
    pub fn family_name(mut self, family_name: impl Into<String>) -> Self {
        self.family_name = Some(family_name.into());
        self
    }

    /// Sets `givenName`, the first name.
    ///
    /// ```
    /// use accountkit::logto::StandardClaims;
    ///
    /// let claims = StandardClaims::new().given_name("Ada");
    /// assert_eq!(claims.given_name.as_deref(), Some("Ada"));
    /// ```
    pub fn given_name(mut self, given_name: impl Into<String>) -> Self {
        self.given_name = Some(given_name.into());
        self
    }

    /// Sets `middleName`.
    ///
    /// ```
    /// use accountkit::logto::StandardClaims;
    ///
    /// let claims = StandardClaims::new().middle_name("Augusta");
    /// assert_eq!(claims.middle_name.as_deref(), Some("Augusta"));
    /// ```
    pub fn middle_name(mut self, middle_name: impl Into<String>) -> Self {
        self.middle_name = Some(middle_name.into());
        self
    }

    /// Sets `nickname`.
    ///
    /// ```
    /// use accountkit::logto::StandardClaims;
    ///
    /// let claims = StandardClaims::new().nickname("Countess");
    /// assert_eq!(claims.nickname.as_deref(), Some("Countess"));
    /// ```
    pub fn nickname(mut self, nickname: impl Into<String>) -> Self {
        self.nickname = Some(nickname.into());
        self
    }

    /// Sets `preferredUsername`, a display handle (not Logto's username).
    ///
    /// ```
    /// use accountkit::logto::StandardClaims;
    ///
    /// let claims = StandardClaims::new().preferred_username("ada_l");
    /// assert_eq!(claims.preferred_username.as_deref(), Some("ada_l"));
    /// ```
    pub fn preferred_username(mut self, preferred_username: impl Into<String>) -> Self {
        self.preferred_username = Some(preferred_username.into());
        self
    }

    /// Sets `profile`, the URL of a profile page.
    ///
    /// ```
    /// use accountkit::logto::StandardClaims;
    ///
    /// let claims = StandardClaims::new().profile("https://example.com/ada");
    /// assert_eq!(claims.profile.as_deref(), Some("https://example.com/ada"));
    /// ```
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// Sets `website`, a URL.
    ///
    /// ```
    /// use accountkit::logto::StandardClaims;
    ///
    /// let claims = StandardClaims::new().website("https://ada.example");
    /// assert_eq!(claims.website.as_deref(), Some("https://ada.example"));
    /// ```
    pub fn website(mut self, website: impl Into<String>) -> Self {
        self.website = Some(website.into());
        self
    }

    /// Sets `gender`.
    ///
    /// ```
    /// use accountkit::logto::StandardClaims;
    ///
    /// let claims = StandardClaims::new().gender("female");
    /// assert_eq!(claims.gender.as_deref(), Some("female"));
    /// ```
    pub fn gender(mut self, gender: impl Into<String>) -> Self {
        self.gender = Some(gender.into());
        self
    }

    /// Sets `birthdate`, e.g. `1815-12-10`.
    ///
    /// ```
    /// use accountkit::logto::StandardClaims;
    ///
    /// let claims = StandardClaims::new().birthdate("1815-12-10");
    /// assert_eq!(claims.birthdate.as_deref(), Some("1815-12-10"));
    /// ```
    pub fn birthdate(mut self, birthdate: impl Into<String>) -> Self {
        self.birthdate = Some(birthdate.into());
        self
    }

    /// Sets `zoneinfo`, a time zone such as `Europe/London`.
    ///
    /// ```
    /// use accountkit::logto::StandardClaims;
    ///
    /// let claims = StandardClaims::new().zoneinfo("Europe/London");
    /// assert_eq!(claims.zoneinfo.as_deref(), Some("Europe/London"));
    /// ```
    pub fn zoneinfo(mut self, zoneinfo: impl Into<String>) -> Self {
        self.zoneinfo = Some(zoneinfo.into());
        self
    }

    /// Sets `locale`, e.g. `en-GB`.
    ///
    /// ```
    /// use accountkit::logto::StandardClaims;
    ///
    /// let claims = StandardClaims::new().locale("en-GB");
    /// assert_eq!(claims.locale.as_deref(), Some("en-GB"));
    /// ```
    pub fn locale(mut self, locale: impl Into<String>) -> Self {
        self.locale = Some(locale.into());
        self
    }

    /// Sets the postal address (needs the `address` scope).
    ///
    /// ```
    /// use accountkit::logto::{Address, StandardClaims};
    ///
    /// let claims = StandardClaims::new().address(Address::new().locality("London"));
    /// assert_eq!(claims.address.unwrap().locality.as_deref(), Some("London"));
    /// ```
    pub fn address(mut self, address: Address) -> Self {
        self.address = Some(address);
        self
    }

    pub(super) fn from_raw(p: raw::UserProfile) -> Self {
        let raw::UserProfile {
            address,
            birthdate,
            family_name,
            gender,
            given_name,
            locale,
            middle_name,
            nickname,
            preferred_username,
            profile,
            website,
            zoneinfo,
        } = p;
        StandardClaims {
            family_name,
            given_name,
            middle_name,
            nickname,
            preferred_username,
            profile,
            website,
            gender,
            birthdate,
            zoneinfo,
            locale,
            address: address.map(Address::from_raw),
        }
    }

    pub(super) fn to_raw(&self, op: Op) -> Result<raw::UserProfile> {
        let no_control = |field: &str, value: &Option<String>| match value {
            Some(v) if v.chars().any(char::is_control) => {
                Err(op.invalid(field, "contains control characters"))
            }
            _ => Ok(()),
        };
        for (field, value) in [
            ("family_name", &self.family_name),
            ("given_name", &self.given_name),
            ("middle_name", &self.middle_name),
            ("nickname", &self.nickname),
            ("preferred_username", &self.preferred_username),
            ("profile", &self.profile),
            ("website", &self.website),
            ("gender", &self.gender),
            ("birthdate", &self.birthdate),
            ("zoneinfo", &self.zoneinfo),
            ("locale", &self.locale),
        ] {
            no_control(field, value)?;
        }
        Ok(raw::UserProfile {
            family_name: self.family_name.clone(),
            given_name: self.given_name.clone(),
            middle_name: self.middle_name.clone(),
            nickname: self.nickname.clone(),
            preferred_username: self.preferred_username.clone(),
            profile: self.profile.clone(),
            website: self.website.clone(),
            gender: self.gender.clone(),
            birthdate: self.birthdate.clone(),
            zoneinfo: self.zoneinfo.clone(),
            locale: self.locale.clone(),
            address: self.address.as_ref().map(|a| raw::Address {
                formatted: a.formatted.clone(),
                street_address: a.street_address.clone(),
                locality: a.locality.clone(),
                region: a.region.clone(),
                postal_code: a.postal_code.clone(),
                country: a.country.clone(),
            }),
        })
    }
}

/// A linked social identity.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Identity {
    /// The user's id at the provider.
    pub user_id: String,
    /// What the connector stored about the account (free-form).
    pub details: Map<String, Value>,
}

/// The signed-in user's profile. Which fields are present depends on the
/// token's scopes and the Account Center settings; an absent field and a
/// `null` one are both `None`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Profile {
    /// User id.
    pub id: Option<String>,
    /// Username.
    pub username: Option<String>,
    /// Primary email.
    pub primary_email: Option<String>,
    /// Primary phone, digits only.
    pub primary_phone: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Avatar URL.
    pub avatar: Option<String>,
    /// Custom data (scope `custom_data`).
    pub custom_data: Map<String, Value>,
    /// Linked social identities by connector target, e.g. `github`.
    pub identities: BTreeMap<String, Identity>,
    /// OIDC standard claims.
    pub claims: Option<StandardClaims>,
    /// Last sign-in.
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: Option<DateTime<Utc>>,
    /// The application the user signed up through.
    pub application_id: Option<String>,
    /// The client id (a metadata document URL) of the client the user
    /// signed up through, when it was not a registered application.
    pub cimd_client_id: Option<String>,
    /// Enterprise SSO identities, as the server sent them (declared by
    /// Logto, not sent by current versions).
    pub sso_identities: Vec<Map<String, Value>>,
    /// Whether the account is suspended.
    pub is_suspended: Option<bool>,
    /// Whether a password is set.
    pub has_password: Option<bool>,
    /// Whether the user has a password, email or phone to verify with.
    pub has_security_verification_method: Option<bool>,
}

/// Epoch milliseconds to a time; out-of-range values are a decode error.
fn millis(op: Op, field: &str, value: Option<i64>) -> Result<Option<DateTime<Utc>>> {
    match value {
        None => Ok(None),
        Some(ms) => DateTime::from_timestamp_millis(ms).map(Some).ok_or_else(|| {
            op.error(ErrorKind::Decode, format!("`{field}` is not a time in epoch milliseconds"))
        }),
    }
}

impl Profile {
    pub(super) fn from_raw(op: Op, p: raw::UserProfileResponse) -> Result<Self> {
        let raw::UserProfileResponse {
            application_id,
            avatar,
            cimd_client_id,
            created_at,
            custom_data,
            has_password,
            has_security_verification_method,
            id,
            identities,
            is_suspended,
            last_sign_in_at,
            name,
            primary_email,
            primary_phone,
            profile,
            sso_identities,
            updated_at,
            username,
        } = p;
        Ok(Profile {
            last_sign_in_at: millis(op, "lastSignInAt", last_sign_in_at)?,
            created_at: millis(op, "createdAt", created_at)?,
            updated_at: millis(op, "updatedAt", updated_at)?,
            id,
            username,
            primary_email,
            primary_phone,
            name,
            avatar,
            custom_data,
            identities: identities
                .into_iter()
                .map(|(target, raw::Identity { details, user_id })| (target, Identity { user_id, details }))
                .collect(),
            claims: profile.map(StandardClaims::from_raw),
            application_id,
            cimd_client_id,
            sso_identities,
            is_suspended,
            has_password,
            has_security_verification_method,
        })
    }
}

/// A passkey registration that awaits
/// [`Client::verify_passkey_registration`](super::Client::verify_passkey_registration):
/// hand [`options`](PasskeyRegistration::options) to the authenticator
/// (`navigator.credentials.create` in a browser) first.
#[derive(Clone)]
pub struct PasskeyRegistration {
    pub(super) id: SecretString,
    pub(super) expires_at: DateTime<Utc>,
    /// The WebAuthn creation options (`rp`, `user`, `challenge`,
    /// `pubKeyCredParams`, ...), as the server sent them.
    pub options: Map<String, Value>,
}

impl std::fmt::Debug for PasskeyRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasskeyRegistration")
            .field("id", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl PasskeyRegistration {
    /// A registration started earlier, rebuilt from its stored parts (the
    /// authenticator's answer often comes back in another request than the
    /// one that started it); its [`options`](PasskeyRegistration::options)
    /// are empty.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::ExposeSecret;
    /// use accountkit::logto::{Client, JsonMap, JsonValue, PasskeyRegistration, Proof};
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let registration = client.start_passkey_registration().await?;
    /// // Kept with the user's session while the browser asks the authenticator...
    /// let (id, expires_at) = (registration.id().expose_secret().to_string(), registration.expires_at());
    ///
    /// // ...and rebuilt in the request that posts its answer.
    /// let registration = PasskeyRegistration::from_parts(id, expires_at);
    /// let posted = r#"{"id": "cred-1", "rawId": "cred-1", "type": "public-key",
    ///     "response": {"clientDataJSON": "eyJ9", "attestationObject": "o2Nm"}}"#;
    /// let credential: JsonMap<String, JsonValue> = serde_json::from_str(posted)?;
    /// let passkey = client.verify_passkey_registration(&registration, &credential).await?;
    /// assert_eq!(passkey.proof(), &Proof::Passkey);
    /// # Ok(()) }
    /// ```
    pub fn from_parts(id: impl IntoSecret, expires_at: DateTime<Utc>) -> Self {
        PasskeyRegistration { id: id.into_secret(), expires_at, options: Map::new() }
    }

    /// The record id, to store until the authenticator answers.
    ///
    /// ```
    /// use accountkit::ExposeSecret;
    /// use accountkit::chrono::{TimeDelta, Utc};
    /// use accountkit::logto::PasskeyRegistration;
    ///
    /// let registration = PasskeyRegistration::from_parts("rec-1", Utc::now() + TimeDelta::minutes(5));
    /// assert_eq!(registration.id().expose_secret(), "rec-1");
    /// assert!(registration.options.is_empty());
    /// ```
    pub fn id(&self) -> &SecretString {
        &self.id
    }

    /// When the record expires.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let endpoint = sandbox.logto().base_url();
    /// # let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// use accountkit::chrono::Utc;
    /// use accountkit::logto::Client;
    ///
    /// let client = Client::new(endpoint, token)?;
    /// let registration = client.start_passkey_registration().await?;
    /// assert!(registration.expires_at() > Utc::now());
    /// # Ok(()) }
    /// ```
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }
}

/// The authenticator's registration response as Logto takes it: `id`,
/// `rawId` and a `response` object are required; `type` is set to
/// `WebAuthn` (browsers say `public-key`).
pub(super) fn passkey_payload(op: Op, mut credential: Map<String, Value>) -> Result<Map<String, Value>> {
    for key in ["id", "rawId"] {
        match credential.get(key) {
            Some(Value::String(v)) if !v.is_empty() => {}
            _ => return Err(op.invalid(&format!("credential.{key}"), "must be a non-empty string")),
        }
    }
    if !credential.get("response").is_some_and(Value::is_object) {
        return Err(op.invalid("credential.response", "must be an object"));
    }
    credential.insert("type".into(), Value::String("WebAuthn".into()));
    Ok(credential)
}
