//! The one error type of every accountkit client.

use std::fmt;
use std::time::Duration;

use crate::scrub::Scrubber;

/// What went wrong, in a few classes a caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The credentials are missing, wrong or expired (HTTP 401).
    Unauthorized,
    /// The credentials are fine but not allowed to do this (HTTP 403).
    Forbidden,
    /// The thing addressed does not exist (HTTP 404).
    NotFound,
    /// The request conflicts with the current state (HTTP 409).
    Conflict,
    /// The service found the request invalid (HTTP 400, 422).
    Validation,
    /// Too many requests (HTTP 429); see [`Error::retry_after`].
    RateLimited,
    /// The service failed (HTTP 5xx).
    Server,
    /// The request or response never made it: connection, TLS, timeout.
    Transport,
    /// A response arrived that is not what the API describes.
    Decode,
    /// An argument was refused before anything was sent.
    InvalidInput,
    /// The account has a second factor on, and the call needs its code.
    SecondFactorRequired,
    /// The service refused the request for another reason, including an
    /// error envelope on an HTTP 2xx.
    Rejected,
    /// A time-limited proof the call needs, such as a verification record,
    /// has expired; nothing was sent. Obtain a fresh one.
    Expired,
    /// The server answered with a redirect (HTTP 3xx), which accountkit
    /// never follows, or the HTTP client followed one to another origin.
    /// The message names the other origin only. A captive portal or a base
    /// URL that moved answers like this.
    Redirected,
}

impl fmt::Display for ErrorKind {
    /// The class in words, e.g. `not found`, as in an [`Error`]'s `Display`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

impl ErrorKind {
    /// The class of an HTTP error status.
    ///
    /// ```
    /// use accountkit::ErrorKind;
    ///
    /// assert_eq!(ErrorKind::from_status(401), ErrorKind::Unauthorized);
    /// assert_eq!(ErrorKind::from_status(422), ErrorKind::Validation);
    /// assert_eq!(ErrorKind::from_status(429), ErrorKind::RateLimited);
    /// assert_eq!(ErrorKind::from_status(503), ErrorKind::Server);
    /// assert_eq!(ErrorKind::from_status(418), ErrorKind::Rejected);
    /// ```
    pub fn from_status(status: u16) -> ErrorKind {
        match status {
            400 | 422 => ErrorKind::Validation,
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 | 410 => ErrorKind::NotFound,
            300..=399 => ErrorKind::Redirected,
            408 => ErrorKind::Transport,
            409 => ErrorKind::Conflict,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Rejected,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Validation => "invalid request",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::Server => "server error",
            ErrorKind::Transport => "transport error",
            ErrorKind::Decode => "unexpected response",
            ErrorKind::InvalidInput => "invalid argument",
            ErrorKind::SecondFactorRequired => "second factor required",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Expired => "expired",
            ErrorKind::Redirected => "redirected",
        }
    }
}

/// An accountkit error: the HTTP status, the vendor's code and message, and
/// a [`kind`](Error::kind) to branch on.
///
/// It never holds a secret: messages are scrubbed of the credentials the
/// call sent, transport errors drop the URL (path segments may carry
/// tokens), and decode errors keep the position of the fault, not the body.
///
/// ```
/// # #[cfg(feature = "stx")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
/// # sandbox.stx().add_user("ada@example.com", "correct horse", true);
/// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
/// use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
///
/// let credentials = Credentials::new("ada@example.com", "correct horse");
/// let LoginOutcome::TwoFactorRequired(challenge) = stx.login(&credentials).await? else {
///     unreachable!()
/// };
/// let err = stx.confirm_2fa(&challenge, "123456").await.unwrap_err();
/// assert_eq!(err.to_string(), "stx confirm_2fa: rejected: Invalid 2FA code");
/// // Neither form shows the code sent.
/// assert!(!format!("{err} {err:?}").contains("123456"));
/// # Ok(()) }
/// # #[cfg(not(feature = "stx"))] fn main() {}
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    provider: &'static str,
    operation: &'static str,
    status: Option<u16>,
    code: Option<String>,
    message: String,
    retry_after: Option<Duration>,
    second_factor: Option<String>,
    timeout: bool,
    request_id: Option<String>,
    path: Option<String>,
    source: Option<Box<dyn Cause>>,
    details: Details,
}

/// What a vendor says about a failure beyond its code and message, in one
/// typed slot (read by [`Error::field_errors`] and the provider modules'
/// readers, such as `cycle::missing_capability`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Details {
    #[default]
    None,
    /// The capability the credential lacks (Cycle's `error.extra.capability`).
    MissingCapability(String),
    /// The service's complaints about the request, field by field.
    Fields(Vec<FieldError>),
}

/// One complaint about one field of a request (Pangea's `ValidationError`
/// entries): which field, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldError {
    /// E.g. `FieldRequired`, `BadFormatEmail`, `MustProvideOne`.
    pub code: String,
    /// Human text.
    pub detail: String,
    /// JSON pointer to the field in the request, e.g. `/email`.
    pub source: String,
    /// JSON pointer into the schema, when the server sends it.
    pub path: Option<String>,
}

/// What an [`Error`] keeps as its source: something that can be scrubbed
/// of secrets in place, or said to be unfit to keep.
pub(crate) trait Cause: std::error::Error + Send + Sync + 'static {
    /// Scrubs the text it holds; false if it cannot, and must be dropped
    /// for a scrubbed copy of its text.
    fn scrub(&mut self, scrubber: &Scrubber) -> bool;

    /// Itself, as the standard error type (for `source` and downcasts).
    fn as_error(&self) -> &(dyn std::error::Error + 'static);
}

impl Cause for reqwest::Error {
    fn scrub(&mut self, scrubber: &Scrubber) -> bool {
        !scrubber.finds_in_chain(self)
    }

    fn as_error(&self) -> &(dyn std::error::Error + 'static) {
        self
    }
}

/// The text of a source that quoted a secret, scrubbed.
#[derive(Debug)]
struct Scrubbed(String);

impl fmt::Display for Scrubbed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Scrubbed {}

impl Cause for Scrubbed {
    fn scrub(&mut self, scrubber: &Scrubber) -> bool {
        scrubber.scrub(&mut self.0);
        true
    }

    fn as_error(&self) -> &(dyn std::error::Error + 'static) {
        self
    }
}

/// The result type of every accountkit call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn new(
        kind: ErrorKind,
        provider: &'static str,
        operation: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                provider,
                operation,
                status: None,
                code: None,
                message: message.into(),
                retry_after: None,
                second_factor: None,
                timeout: false,
                request_id: None,
                path: None,
                source: None,
                details: Details::None,
            }),
        }
    }

    /// A refused argument, naming the field.
    pub(crate) fn invalid_input(
        provider: &'static str,
        operation: &'static str,
        field: &str,
        problem: &str,
    ) -> Self {
        Error::new(ErrorKind::InvalidInput, provider, operation, format!("`{field}` {problem}"))
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    pub(crate) fn with_code(mut self, code: Option<String>) -> Self {
        self.inner.code = code;
        self
    }

    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.inner.kind = kind;
        self
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.inner.retry_after = retry_after;
        self
    }

    pub(crate) fn with_second_factor(mut self, hint: String) -> Self {
        self.inner.kind = ErrorKind::SecondFactorRequired;
        self.inner.second_factor = Some(hint);
        self
    }

    /// Adds what the caller may do about it to the message.
    pub(crate) fn with_hint(mut self, hint: &str) -> Self {
        self.inner.message = if self.inner.message.is_empty() {
            hint.to_string()
        } else {
            format!("{} ({hint})", self.inner.message)
        };
        self
    }

    pub(crate) fn with_timeout(mut self, timeout: bool) -> Self {
        self.inner.timeout = timeout;
        self
    }

    pub(crate) fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.inner.request_id = request_id;
        self
    }

    pub(crate) fn with_path(mut self, path: Option<String>) -> Self {
        self.inner.path = path;
        self
    }

    /// The same failure, reported under the facade method the caller used
    /// (a recipe or a wrapper around another call).
    pub(crate) fn reported_as(mut self, operation: &'static str) -> Self {
        self.inner.operation = operation;
        self
    }

    /// The failure of an inner `step`, reported under the caller's
    /// `operation`, the message saying which step failed.
    pub(crate) fn during(mut self, operation: &'static str, step: &str) -> Self {
        self.inner.operation = operation;
        self.inner.message = format!("{step}: {}", self.inner.message);
        self
    }

    pub(crate) fn with_details(mut self, details: Details) -> Self {
        self.inner.details = details;
        self
    }

    pub(crate) fn details(&self) -> &Details {
        &self.inner.details
    }

    pub(crate) fn with_source(mut self, source: impl Cause) -> Self {
        self.inner.source = Some(Box::new(source));
        self
    }

    /// Scrubs the given secrets, in every form a server echoes them, from
    /// every text the error holds: message, code, second-factor hint,
    /// request id, path and source.
    pub(crate) fn scrub(self, secrets: &[&str]) -> Self {
        self.scrub_with(&Scrubber::new(secrets.iter().copied()))
    }

    /// [`scrub`](Error::scrub) of `secrets` and the client's own credential.
    pub(crate) fn scrub_with_token(self, secrets: &[&str], token: Option<&str>) -> Self {
        self.scrub_with(&Scrubber::new(secrets.iter().copied().chain(token)))
    }

    fn scrub_with(mut self, scrubber: &Scrubber) -> Self {
        if scrubber.is_empty() {
            return self;
        }
        let inner = &mut *self.inner;
        scrubber.scrub(&mut inner.message);
        scrubber.scrub_option(&mut inner.code);
        scrubber.scrub_option(&mut inner.second_factor);
        scrubber.scrub_option(&mut inner.request_id);
        scrubber.scrub_option(&mut inner.path);
        match &mut inner.details {
            Details::None => {}
            Details::MissingCapability(capability) => scrubber.scrub(capability),
            Details::Fields(fields) => {
                for field in fields {
                    scrubber.scrub(&mut field.code);
                    scrubber.scrub(&mut field.detail);
                    scrubber.scrub(&mut field.source);
                    scrubber.scrub_option(&mut field.path);
                }
            }
        }
        if let Some(source) = &mut inner.source
            && !source.scrub(scrubber)
        {
            let mut text = chain_text(source.as_error());
            scrubber.scrub(&mut text);
            inner.source = Some(Box::new(Scrubbed(text)));
        }
        self
    }

    /// The class of failure.
    ///
    /// ```
    /// # #[cfg(feature = "tagoio")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let region = Region::Custom(sandbox.tagoio().base_url());
    /// use accountkit::ErrorKind;
    /// use accountkit::tagoio::{Client, Region};
    ///
    /// let client = Client::new(region, "a-revoked-token")?;
    /// match client.info().await {
    ///     Ok(account) => println!("hello {}", account.name),
    ///     Err(e) => match e.kind() {
    ///         ErrorKind::Unauthorized => println!("the token is no longer valid: log in again"),
    ///         ErrorKind::RateLimited | ErrorKind::Transport => println!("try again later"),
    ///         _ => return Err(e.into()),
    ///     },
    /// }
    /// # assert_eq!(client.info().await.unwrap_err().kind(), ErrorKind::Unauthorized);
    /// # Ok(()) }
    /// # #[cfg(not(feature = "tagoio"))] fn main() {}
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The HTTP status of the response, when one arrived.
    ///
    /// ```
    /// # #[cfg(feature = "tagoio")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let region = Region::Custom(sandbox.tagoio().base_url());
    /// use accountkit::tagoio::{Client, Region};
    ///
    /// let client = Client::new(region, "a-revoked-token")?;
    /// let err = client.info().await.unwrap_err();
    /// assert_eq!(err.status(), Some(401));
    ///
    /// // Refused before sending: no response, no status.
    /// let err = Client::new(Region::Custom("not a url".into()), "token").unwrap_err();
    /// assert_eq!(err.status(), None);
    /// # Ok(()) }
    /// # #[cfg(not(feature = "tagoio"))] fn main() {}
    /// ```
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The vendor's machine-readable error code, when it sent one.
    ///
    /// ```
    /// # #[cfg(feature = "pangea")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = Client::builder(sandbox.pangea().service_token()).base_url(sandbox.pangea().base_url()).build()?;
    /// use accountkit::pangea::{Client, UserRef};
    ///
    /// let err = pangea.user_profile_get(&UserRef::email("nobody@example.com")).await.unwrap_err();
    /// assert_eq!(err.code(), Some("UserNotFound"));
    /// assert_eq!(err.message(), "User not found");
    /// # Ok(()) }
    /// # #[cfg(not(feature = "pangea"))] fn main() {}
    /// ```
    pub fn code(&self) -> Option<&str> {
        self.inner.code.as_deref()
    }

    /// The vendor's message, or accountkit's own description.
    ///
    /// ```
    /// # #[cfg(feature = "stx")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", false);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// use accountkit::stx::{Client, Credentials, Host};
    ///
    /// let wrong = Credentials::new("ada@example.com", "wrong horse");
    /// let err = stx.login(&wrong).await.unwrap_err();
    /// assert_eq!(err.message(), "Invalid email or password");
    /// // `Display` adds the provider, the operation and the kind.
    /// assert_eq!(err.to_string(), "stx login: unauthorized: Invalid email or password");
    /// # Ok(()) }
    /// # #[cfg(not(feature = "stx"))] fn main() {}
    /// ```
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// Which provider the call went to, e.g. `"tagoio"`.
    ///
    /// ```
    /// # #[cfg(feature = "tagoio")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let region = Region::Custom(sandbox.tagoio().base_url());
    /// use accountkit::tagoio::{Client, Region};
    ///
    /// let err = Client::new(region, "a-revoked-token")?.info().await.unwrap_err();
    /// assert_eq!((err.provider(), err.operation()), ("tagoio", "info"));
    /// # Ok(()) }
    /// # #[cfg(not(feature = "tagoio"))] fn main() {}
    /// ```
    pub fn provider(&self) -> &'static str {
        self.inner.provider
    }

    /// Which operation failed, e.g. `"login"`.
    ///
    /// ```
    /// # #[cfg(feature = "stx")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", true);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
    ///
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// let LoginOutcome::TwoFactorRequired(challenge) = stx.login(&credentials).await? else {
    ///     unreachable!()
    /// };
    /// let err = stx.confirm_2fa(&challenge, "000000").await.unwrap_err();
    /// // The method called, not the GraphQL mutation (`confirm2Fa`).
    /// assert_eq!(err.operation(), "confirm_2fa");
    /// # Ok(()) }
    /// # #[cfg(not(feature = "stx"))] fn main() {}
    /// ```
    pub fn operation(&self) -> &'static str {
        self.inner.operation
    }

    /// How long the server asked to wait before retrying (HTTP 429, 503).
    ///
    /// ```
    /// # #[cfg(feature = "stx")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};
    /// # let server = MockServer::start().await;
    /// # let busy = ResponseTemplate::new(429).insert_header("Retry-After", "7");
    /// # Mock::given(any()).respond_with(busy).mount(&server).await;
    /// # let host = Host::Custom(server.uri());
    /// use std::time::Duration;
    /// use accountkit::{ErrorKind, RetryPolicy};
    /// use accountkit::stx::{Client, Host};
    ///
    /// // A server that answers HTTP 429 with `Retry-After: 7`.
    /// let stx = Client::builder(host).retry(RetryPolicy::none()).build()?;
    /// let err = stx.forgot_password("ada@example.com").await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::RateLimited);
    /// assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    /// # Ok(()) }
    /// # #[cfg(not(feature = "stx"))] fn main() {}
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// For [`ErrorKind::SecondFactorRequired`]: the vendor's hint about the
    /// factor to use, e.g. TagoIO's `otp_autosend` (`"email"`, `"sms"`,
    /// `"authenticator"`).
    ///
    /// ```
    /// # #[cfg(feature = "tagoio")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let ada = sandbox.tagoio().add_account("ada@example.com", "correct horse");
    /// # let region = Region::Custom(sandbox.tagoio().base_url());
    /// # let credentials = Credentials::new("ada@example.com", "correct horse");
    /// # let owner = Client::new(region.clone(), ada.token)?;
    /// # owner.enable_otp(OtpType::Email, &credentials).await?;
    /// # owner.confirm_otp(OtpType::Email, sandbox.tagoio().latest_pin("ada@example.com").unwrap()).await?;
    /// use accountkit::ErrorKind;
    /// use accountkit::tagoio::{Client, Credentials, OtpType, Region};
    ///
    /// // Ada has turned on a second factor by email.
    /// let client = Client::anonymous(region)?;
    /// let err = client.login(&credentials).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::SecondFactorRequired);
    /// assert_eq!(err.second_factor_hint(), Some("email"));
    /// # Ok(()) }
    /// # #[cfg(not(feature = "tagoio"))] fn main() {}
    /// ```
    pub fn second_factor_hint(&self) -> Option<&str> {
        self.inner.second_factor.as_deref()
    }

    /// The vendor's id of the failed request, for support and logs (Pangea
    /// sends one with every answer).
    ///
    /// ```
    /// # #[cfg(feature = "pangea")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = Client::builder(sandbox.pangea().service_token()).base_url(sandbox.pangea().base_url()).build()?;
    /// use accountkit::pangea::{Client, UserRef};
    ///
    /// let err = pangea.user_profile_get(&UserRef::email("nobody@example.com")).await.unwrap_err();
    /// let request_id = err.request_id().expect("Pangea names every request");
    /// assert!(request_id.starts_with("prq_"));
    /// # Ok(()) }
    /// # #[cfg(not(feature = "pangea"))] fn main() {}
    /// ```
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// For GraphQL APIs: the path of the field the server reported the
    /// error on, dot-separated, e.g. `login` or `users.0.email`.
    ///
    /// ```
    /// # #[cfg(feature = "stx")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// use accountkit::stx::{Client, Credentials, Host};
    ///
    /// let nobody = Credentials::new("nobody@example.com", "correct horse");
    /// let err = stx.login(&nobody).await.unwrap_err();
    /// assert_eq!(err.path(), Some("login"));
    /// # Ok(()) }
    /// # #[cfg(not(feature = "stx"))] fn main() {}
    /// ```
    pub fn path(&self) -> Option<&str> {
        self.inner.path.as_deref()
    }

    /// Whether the call ran out of time.
    ///
    /// ```
    /// # #[cfg(feature = "stx")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};
    /// # let server = MockServer::start().await;
    /// # let slow = ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(5));
    /// # Mock::given(any()).respond_with(slow).mount(&server).await;
    /// # let host = Host::Custom(server.uri());
    /// use std::time::Duration;
    /// use accountkit::{ErrorKind, RetryPolicy};
    /// use accountkit::stx::{Client, Host};
    ///
    /// // A server that takes 5 s to answer.
    /// let stx = Client::builder(host).timeout(Duration::from_millis(200)).retry(RetryPolicy::none()).build()?;
    /// let err = stx.forgot_password("ada@example.com").await.unwrap_err();
    /// assert!(err.is_timeout());
    /// assert_eq!(err.kind(), ErrorKind::Transport);
    /// # Ok(()) }
    /// # #[cfg(not(feature = "stx"))] fn main() {}
    /// ```
    pub fn is_timeout(&self) -> bool {
        self.inner.timeout
    }

    /// The service's complaints about the request, field by field (Pangea's
    /// `ValidationError`); empty when it sent none.
    ///
    /// ```
    /// # #[cfg(feature = "pangea")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// use accountkit::ErrorKind;
    /// use accountkit::pangea::{UserList, UserOrderBy};
    ///
    /// let query = UserList::new().order_by(UserOrderBy::Other("shoe_size".into()));
    /// let err = pangea.user_list(&query).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Validation);
    /// let complaint = &err.field_errors()[0];
    /// assert_eq!((complaint.code.as_str(), complaint.source.as_str()), ("NotEnumMember", "/order_by"));
    /// # Ok(()) }
    /// # #[cfg(not(feature = "pangea"))] fn main() {}
    /// ```
    pub fn field_errors(&self) -> &[FieldError] {
        match &self.inner.details {
            Details::Fields(fields) => fields,
            _ => &[],
        }
    }

    /// Whether sending the same request again may succeed: transport
    /// failures, HTTP 408, 429, 502, 503 and 504.
    ///
    /// ```
    /// # #[cfg(feature = "stx")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};
    /// # let server = MockServer::start().await;
    /// # Mock::given(any()).respond_with(ResponseTemplate::new(503)).up_to_n_times(1).mount(&server).await;
    /// # let ok = serde_json::json!({"data": {"forgotPassword": {"header": "Check your email", "message": null, "email": "ada@example.com"}}});
    /// # Mock::given(any()).respond_with(ResponseTemplate::new(200).set_body_json(ok)).mount(&server).await;
    /// # let host = Host::Custom(server.uri());
    /// use std::time::Duration;
    /// use accountkit::RetryPolicy;
    /// use accountkit::stx::{Client, Host};
    ///
    /// // Retrying by hand (a `RetryPolicy` does it for the operations safe to repeat).
    /// let stx = Client::builder(host).retry(RetryPolicy::none()).build()?;
    /// let mut attempts = 0;
    /// let requested = loop {
    ///     attempts += 1;
    ///     match stx.forgot_password("ada@example.com").await {
    ///         Err(e) if e.is_retryable() && attempts < 3 => {
    ///             tokio::time::sleep(e.retry_after().unwrap_or(Duration::from_millis(100))).await;
    ///         }
    ///         other => break other?,
    ///     }
    /// };
    /// assert_eq!((attempts, requested.email.as_deref()), (2, Some("ada@example.com")));
    /// # Ok(()) }
    /// # #[cfg(not(feature = "stx"))] fn main() {}
    /// ```
    pub fn is_retryable(&self) -> bool {
        match (self.inner.kind, self.inner.status) {
            // No whole answer: no connection, a timeout, a body cut off.
            (ErrorKind::Transport, _) => true,
            // The vendor said so, whatever the HTTP status.
            (ErrorKind::RateLimited, _) => true,
            // The statuses the transport retries.
            (_, Some(status)) => accountkit_runtime::is_retryable_status(status),
            (_, None) => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        write!(f, "{} {}: {}", inner.provider, inner.operation, inner.kind.describe())?;
        match (inner.status, &inner.code) {
            (Some(status), Some(code)) => write!(f, " (HTTP {status}, {code})")?,
            (Some(status), None) => write!(f, " (HTTP {status})")?,
            (None, Some(code)) => write!(f, " ({code})")?,
            (None, None) => {}
        }
        if !inner.message.is_empty() {
            write!(f, ": {}", inner.message)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Error")
            .field("kind", &inner.kind)
            .field("provider", &inner.provider)
            .field("operation", &inner.operation)
            .field("status", &inner.status)
            .field("code", &inner.code)
            .field("message", &inner.message)
            .field("retry_after", &inner.retry_after)
            .field("second_factor", &inner.second_factor)
            .field("request_id", &inner.request_id)
            .field("path", &inner.path)
            .field("source", &inner.source)
            .field("details", &inner.details)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source.as_deref().map(Cause::as_error)
    }
}

/// An error and its causes, as one line.
fn chain_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_provider_operation_status_code_and_message() {
        let err = Error::new(ErrorKind::Unauthorized, "tagoio", "info", "Authorization denied")
            .with_status(401)
            .with_code(Some("auth.denied".into()));
        assert_eq!(
            err.to_string(),
            "tagoio info: unauthorized (HTTP 401, auth.denied): Authorization denied"
        );
    }

    #[test]
    fn kinds_display_as_in_errors() {
        assert_eq!(ErrorKind::NotFound.to_string(), "not found");
        assert_eq!(ErrorKind::Redirected.to_string(), "redirected");
        let err = Error::new(ErrorKind::Expired, "p", "o", "");
        assert_eq!(err.to_string(), format!("p o: {}", ErrorKind::Expired));
    }

    #[test]
    fn retryable_classes() {
        let server = |status| Error::new(ErrorKind::from_status(status), "p", "o", "").with_status(status);
        assert!(server(503).is_retryable());
        assert!(server(429).is_retryable());
        assert!(server(408).is_retryable());
        assert!(!server(500).is_retryable());
        assert!(!server(400).is_retryable());
        assert!(!server(401).is_retryable());
        assert_eq!(ErrorKind::from_status(418), ErrorKind::Rejected);
    }

    #[test]
    fn request_id_is_kept_and_shown_in_debug() {
        let plain = Error::new(ErrorKind::Server, "p", "o", "");
        assert_eq!(plain.request_id(), None);
        let err = plain.with_request_id(Some("prq_abc".into()));
        assert_eq!(err.request_id(), Some("prq_abc"));
        assert!(format!("{err:?}").contains("prq_abc"));
    }

    #[test]
    fn graphql_path_is_kept() {
        let err = Error::new(ErrorKind::Rejected, "p", "o", "").with_path(Some("login".into()));
        assert_eq!(err.path(), Some("login"));
        assert_eq!(Error::new(ErrorKind::Rejected, "p", "o", "").path(), None);
    }

    #[derive(Debug)]
    struct Echo(String);

    impl fmt::Display for Echo {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "echo {}", self.0)
        }
    }

    impl std::error::Error for Echo {}

    impl Cause for Echo {
        fn scrub(&mut self, scrubber: &Scrubber) -> bool {
            !scrubber.finds(&self.0)
        }

        fn as_error(&self) -> &(dyn std::error::Error + 'static) {
            self
        }
    }

    #[test]
    fn every_field_is_scrubbed_and_the_token_too() {
        let err = Error::new(ErrorKind::Rejected, "p", "o", "pw hunter22 and tok-abcdef")
            .with_code(Some("hunter22".into()))
            .with_second_factor("{\"pin\":\"hunter22\"}".into())
            .with_request_id(Some("prq_hunter22".into()))
            .with_path(Some("login.tok-abcdef".into()))
            .with_source(Echo("tok-abcdef".into()))
            .scrub_with_token(&["hunter22"], Some("tok-abcdef"));
        let shown = format!("{err} {err:?} {:?}", std::error::Error::source(&err).map(ToString::to_string));
        assert!(!shown.contains("hunter22") && !shown.contains("tok-abcdef"), "{shown}");
        assert_eq!(err.message(), "pw [REDACTED] and [REDACTED]");
        assert_eq!(err.code(), Some("[REDACTED]"));
        assert_eq!(err.second_factor_hint(), Some("{\"pin\":\"[REDACTED]\"}"));
        assert_eq!(err.request_id(), Some("prq_[REDACTED]"));
        assert_eq!(err.path(), Some("login.[REDACTED]"));
        assert_eq!(std::error::Error::source(&err).unwrap().to_string(), "echo [REDACTED]");
    }

    #[test]
    fn details_are_scrubbed_and_read_back() {
        let fields = vec![FieldError {
            code: "BadValue".into(),
            detail: "sekret-value is not allowed".into(),
            source: "/password".into(),
            path: Some("/sekret-value".into()),
        }];
        let err = Error::new(ErrorKind::Validation, "pangea", "user_update", "invalid")
            .with_details(Details::Fields(fields))
            .scrub(&["sekret-value"]);
        assert_eq!(err.field_errors()[0].detail, "[REDACTED] is not allowed");
        assert_eq!(err.field_errors()[0].path.as_deref(), Some("/[REDACTED]"));
        assert!(!format!("{err:?}").contains("sekret-value"));
        let err = Error::new(ErrorKind::Forbidden, "cycle", "get_account", "forbidden")
            .with_details(Details::MissingCapability("sekret-value".into()))
            .scrub(&["sekret-value"]);
        assert_eq!(err.details(), &Details::MissingCapability("[REDACTED]".into()));
        assert!(err.field_errors().is_empty());
    }

    #[test]
    fn a_clean_source_is_kept_as_it_is() {
        let err = Error::new(ErrorKind::Transport, "p", "o", "")
            .with_source(Echo("nothing".into()))
            .scrub(&["secret"]);
        assert!(std::error::Error::source(&err).unwrap().is::<Echo>());
    }

    #[test]
    fn scrub_removes_echoed_secrets() {
        let err = Error::new(ErrorKind::Validation, "p", "o", "bad token tok-123456 given")
            .with_code(Some("tok-123456".into()))
            .scrub(&["tok-123456", ""]);
        assert_eq!(err.message(), "bad token [REDACTED] given");
        assert_eq!(err.code(), Some("[REDACTED]"));
    }
}
