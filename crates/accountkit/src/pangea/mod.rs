//! Pangea AuthN user management: users, their profiles and authenticators,
//! and the two client-token operations (a session's tokens, a password
//! change).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use accountkit::pangea::{Client, NewUser, ProfileChanges, UserList, UserRef};
//! use futures::TryStreamExt;
//!
//! // The examples run against the in-process sandbox: its handle hands
//! // out what production gets from the vendor (URL, tokens, emailed codes).
//! let sandbox = accountkit_sandbox::Sandbox::start().await?;
//! let (service_token, base_url) = (sandbox.pangea().service_token(), sandbox.pangea().base_url());
//!
//! // In production: Client::new("pts_...") on the default cluster. These
//! // examples run against accountkit-sandbox, at its base URL.
//! let pangea = Client::builder(service_token).base_url(base_url).build()?;
//! let created = pangea.user_create(&NewUser::new("ada@example.com").profile("first_name", "Ada")).await?;
//! assert!(created.id.starts_with("pui_") && created.request_id.starts_with("prq_"));
//!
//! // Exactly one of id, email, username, as a type.
//! let ada = UserRef::email("ada@example.com");
//! let changes = ProfileChanges::new().set("city", "London").remove("first_name");
//! let updated = pangea.user_profile_update(&ada, &changes).await?;
//! assert_eq!(updated.profile.get("city").map(String::as_str), Some("London"));
//!
//! // Every user, page after page.
//! let users: Vec<_> = pangea.users(&UserList::new().size(500)).items().try_collect().await?;
//! assert_eq!(users.len(), 1);
//! # Ok(()) }
//! ```
//!
//! Every answer is Pangea's envelope: a call succeeds when its `status` is
//! `Success`, and returns the `result` in a [`Response`] that keeps the
//! `request_id`. Any other status is an [`Error`] whose
//! [`code`](crate::Error::code) is that status and whose
//! [`request_id`](crate::Error::request_id) is kept too; a
//! `ValidationError`'s complaints are in [`field_errors`].
//!
//! An HTTP 202 (`Accepted`) answer is polled at `/request/{request_id}` with
//! a growing delay until it is done or the [`Polling`] deadline passes.
//! Cloning a [`Client`] is cheap and shares the connection pool.
//!
//! # Service tokens and client tokens
//!
//! The `user_*` operations take a service token (`pts_...`); the two
//! `client_*` operations, [`client_userinfo`](Client::client_userinfo) and
//! [`client_password_change`](Client::client_password_change), take a client
//! token (`pcl_...`), so an app that does both holds two clients. A login
//! through Pangea's hosted pages hands the app a code, which
//! `client_userinfo` exchanges for the user's token:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sandbox = accountkit_sandbox::Sandbox::start().await?;
//! # let p = sandbox.pangea();
//! # let (service_token, client_token, base_url) = (p.service_token(), p.client_token(), p.base_url());
//! use accountkit::pangea::{Client, NewUser, UserRef};
//!
//! let service = Client::builder(service_token).base_url(base_url.clone()).build()?;
//! let client = Client::builder(client_token).base_url(base_url).build()?;
//! service.user_create(&NewUser::new("ada@example.com")).await?;
//!
//! // Ada signs up with a password and logs in; the sandbox stands in for
//! // the hosted pages and hands out her login code.
//! sandbox.pangea().set_password("ada@example.com", "correct horse");
//! let code = sandbox.pangea().login_code("ada@example.com").ok_or("no such user")?;
//!
//! let session = client.client_userinfo(code, None).await?;
//! let user_token = &session.active_token.as_ref().ok_or("no active token")?.token;
//! client.client_password_change(user_token, "correct horse", "battery staple").await?;
//!
//! let ada = service.user_profile_get(&UserRef::email("ada@example.com")).await?;
//! assert_eq!(ada.login_count, 1);
//! # Ok(()) }
//! ```

mod types;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::IntoSecret;
use crate::pages::{Page, Pages};
use accountkit_pangea_raw as raw;
use accountkit_runtime::{ResponseMeta, Sensitive};
use chrono::{DateTime, Utc};
use progenitor_client::ResponseValue;
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub use crate::error::FieldError;
use crate::error::{Details, Error, ErrorKind, Result};
use crate::provider::{self, Call, Core, Op, Provider, VendorError};
use crate::transport;
use crate::validate;

pub use types::*;

const PROVIDER: &str = "pangea";

/// The domain of the default cluster.
pub const DEFAULT_DOMAIN: &str = "aws.us.pangea.cloud";

const fn op(name: &'static str) -> Op {
    Op { provider: PROVIDER, name }
}

/// Pangea, to the code the providers share.
struct Pangea;

impl Provider for Pangea {
    const NAME: &'static str = PROVIDER;
    type Raw = raw::Client;

    /// Reads an envelope for the shared error path (bodies that are not ours).
    fn read_error(body: &Value) -> VendorError {
        let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_string);
        let status = text("status");
        VendorError {
            is_error: status.as_deref().is_some_and(|s| s != "Success"),
            message: text("summary").or_else(|| status.clone()),
            code: status,
            ..Default::default()
        }
    }
}

/// How an HTTP 202 answer is waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polling {
    deadline: Duration,
    first_delay: Duration,
    max_delay: Duration,
}

impl Default for Polling {
    /// Up to 30 s, waiting 0.5 s, then 1 s, 2 s, ... up to 8 s between polls.
    fn default() -> Self {
        Polling {
            deadline: Duration::from_secs(30),
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl Polling {
    /// Polls until `deadline` has passed since the 202, with the default
    /// delays.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use accountkit::pangea::{Client, Polling};
    ///
    /// // Wait up to 5 minutes for an accepted request.
    /// let polling = Polling::new(Duration::from_secs(300));
    /// let pangea = Client::builder("pts_my-service-token").polling(polling).build()?;
    /// # let _ = pangea;
    /// // The default waits up to 30 s.
    /// assert_eq!(Polling::new(Duration::from_secs(30)), Polling::default());
    /// # Ok(()) }
    /// ```
    pub fn new(deadline: Duration) -> Polling {
        Polling { deadline, ..Polling::default() }
    }

    /// Never polls: a 202 fails at once, with its request id.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let (token, base_url) = (sandbox.pangea().service_token(), sandbox.pangea().base_url());
    /// # sandbox.pangea().accept_next(0);
    /// use accountkit::pangea::{Client, NewUser, Polling};
    ///
    /// let pangea = Client::builder(token).base_url(base_url).polling(Polling::never()).build()?;
    /// let err = pangea.user_create(&NewUser::new("ada@example.com")).await.unwrap_err();
    /// assert_eq!((err.status(), err.code()), (Some(202), Some("Accepted")));
    /// // Its answer can be fetched later at /request/{request_id}.
    /// assert!(err.request_id().is_some_and(|id| id.starts_with("prq_")));
    /// # Ok(()) }
    /// ```
    pub fn never() -> Polling {
        Polling { deadline: Duration::ZERO, ..Polling::default() }
    }

    /// The first delay, doubled after each poll up to `max`.
    /// A first delay under 1 ms counts as 1 ms, so polling never spins.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let (token, base_url) = (sandbox.pangea().service_token(), sandbox.pangea().base_url());
    /// use std::time::Duration;
    /// use accountkit::pangea::{Client, NewUser, Polling};
    ///
    /// // Poll after 20 ms, 40 ms, 80 ms, ... at most 200 ms apart, for up to 5 s.
    /// let polling =
    ///     Polling::new(Duration::from_secs(5)).backoff(Duration::from_millis(20), Duration::from_millis(200));
    /// let pangea = Client::builder(token).base_url(base_url).polling(polling).build()?;
    ///
    /// // The sandbox answers the next call with a 202, and its first two polls too.
    /// sandbox.pangea().accept_next(2);
    /// let created = pangea.user_create(&NewUser::new("ada@example.com")).await?;
    /// assert_eq!(created.email, "ada@example.com");
    /// let polls = sandbox.pangea().requests().iter().filter(|r| r.path.starts_with("/request/")).count();
    /// assert_eq!(polls, 3);
    /// # Ok(()) }
    /// ```
    pub fn backoff(mut self, first: Duration, max: Duration) -> Polling {
        self.first_delay = first.max(Duration::from_millis(1));
        self.max_delay = max.max(self.first_delay);
        self
    }
}

/// Where the service lives.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Endpoint {
    Domain(String),
    BaseUrl(String),
}

impl Endpoint {
    fn base_url(&self) -> Result<String> {
        let op = op("client");
        match self {
            Endpoint::Domain(domain) => {
                let labels_ok = domain.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && !label.starts_with('-')
                        && !label.ends_with('-')
                        && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                });
                if labels_ok && domain.contains('.') && domain.len() <= 253 {
                    Ok(format!("https://authn.{domain}"))
                } else {
                    Err(op.invalid("domain", "must be a domain name such as aws.us.pangea.cloud"))
                }
            }
            Endpoint::BaseUrl(url) => validate::base_url(op, "base_url", url),
        }
    }
}

/// Builds a [`Client`] with more than the defaults.
#[derive(Debug)]
pub struct ClientBuilder {
    token: SecretString,
    endpoint: Endpoint,
    transport: transport::Transport,
    polling: Polling,
}

impl ClientBuilder {
    transport::transport_options!(
        "accountkit::pangea::Client::builder(\"pts_my-service-token\")",
        "accountkit::pangea::Client::builder(\"pts_my-service-token\").base_url(\"http://pangea.internal:8000\")"
    );

    /// The cluster's domain, e.g. `aws.eu.pangea.cloud`; requests go to
    /// `https://authn.<domain>`.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use accountkit::pangea::Client;
    ///
    /// let pangea = Client::builder("pts_my-service-token").domain("aws.eu.pangea.cloud").build()?;
    /// assert_eq!(pangea.base_url(), "https://authn.aws.eu.pangea.cloud");
    /// # Ok(()) }
    /// ```
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.endpoint = Endpoint::Domain(domain.into());
        self
    }

    /// A full base URL instead, such as a sandbox or a proxy.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let (token, base_url) = (sandbox.pangea().service_token(), sandbox.pangea().base_url());
    /// use accountkit::pangea::{Client, UserList};
    ///
    /// // E.g. http://127.0.0.1:PORT/pangea for the sandbox.
    /// let pangea = Client::builder(token).base_url(base_url).build()?;
    /// let page = pangea.user_list(&UserList::new()).await?;
    /// assert_eq!(page.count, Some(0));
    /// # Ok(()) }
    /// ```
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Endpoint::BaseUrl(url.into());
        self
    }

    /// How HTTP 202 answers are waited for; [`Polling::default`] unless set.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let (token, base_url) = (sandbox.pangea().service_token(), sandbox.pangea().base_url());
    /// # sandbox.pangea().accept_next(0);
    /// use std::time::Duration;
    /// use accountkit::pangea::{Client, Polling, UserList};
    ///
    /// let polling =
    ///     Polling::new(Duration::from_secs(60)).backoff(Duration::from_millis(50), Duration::from_secs(4));
    /// let pangea = Client::builder(token).base_url(base_url).polling(polling).build()?;
    /// // Answered 202 first, then polled after 50 ms.
    /// let page = pangea.user_list(&UserList::new()).await?;
    /// assert!(page.users.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn polling(mut self, polling: Polling) -> Self {
        self.polling = polling;
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use accountkit::ErrorKind;
    /// use accountkit::pangea::Client;
    ///
    /// let pangea = Client::builder("pts_my-service-token").timeout(Duration::from_secs(10)).build()?;
    /// assert_eq!(pangea.base_url(), "https://authn.aws.us.pangea.cloud");
    ///
    /// // A domain, not a URL.
    /// let err = Client::builder("pts_my-service-token")
    ///     .domain("https://aws.eu.pangea.cloud")
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// # Ok(()) }
    /// ```
    pub fn build(self) -> Result<Client> {
        let op = op("client");
        let base_url = self.endpoint.base_url()?;
        let auth = provider::bearer(op, "token", &self.token)?;
        // As Pangea's SDKs do: a retry names the attempts before it.
        let policy = accountkit_runtime::Policy {
            retried_ids_header: Some("x-pangea-retried-request-ids"),
            ..self.transport.policy(PROVIDER)
        };
        Ok(Client { core: Core::new(&base_url, auth, &self.transport, policy)?, polling: self.polling })
    }
}

/// A Pangea AuthN client. See the [module docs](self).
#[derive(Clone, Debug)]
pub struct Client {
    core: Core<Pangea>,
    polling: Polling,
}

/// A successful answer: the `result`, and the envelope around it.
/// Dereferences to the result.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Response<T> {
    /// What the operation returned.
    pub result: T,
    /// The vendor's id of the request, `prq_...`.
    pub request_id: String,
    /// When the request arrived.
    pub request_time: Option<DateTime<Utc>>,
    /// When the answer left.
    pub response_time: Option<DateTime<Utc>>,
    /// The vendor's human summary.
    pub summary: Option<String>,
}

impl<T> Response<T> {
    /// The result alone.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// use accountkit::pangea::{NewUser, User};
    ///
    /// let created = pangea.user_create(&NewUser::new("ada@example.com")).await?;
    /// let request_id = created.request_id.clone(); // what Pangea's support asks for
    /// let user: User = created.into_inner();
    /// assert!(user.id.starts_with("pui_") && request_id.starts_with("prq_"));
    /// # Ok(()) }
    /// ```
    pub fn into_inner(self) -> T {
        self.result
    }

    /// The result alone: the old name of [`into_inner`](Response::into_inner),
    /// which it calls.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// use accountkit::pangea::{NewUser, User};
    ///
    /// let created = pangea.user_create(&NewUser::new("ada@example.com")).await?;
    /// #[allow(deprecated)]
    /// let user: User = created.into_result(); // now `created.into_inner()`
    /// assert!(user.id.starts_with("pui_"));
    /// # Ok(()) }
    /// ```
    #[deprecated(since = "0.1.1", note = "renamed to `into_inner`: it returns the result, not a `Result`")]
    pub fn into_result(self) -> T {
        self.into_inner()
    }

    /// Converts the result, keeping the envelope.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # sandbox.pangea().seed_users(3);
    /// use accountkit::pangea::{Response, UserList};
    ///
    /// let page = pangea.user_list(&UserList::new()).await?;
    /// let emails: Response<Vec<String>> = page.map(|p| p.users.into_iter().map(|u| u.email).collect());
    /// assert_eq!(emails.len(), 3); // through Deref, to the result
    /// assert!(emails.request_id.starts_with("prq_"));
    /// # Ok(()) }
    /// ```
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            result: f(self.result),
            request_id: self.request_id,
            request_time: self.request_time,
            response_time: self.response_time,
            summary: self.summary,
        }
    }
}

impl<T> std::ops::Deref for Response<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.result
    }
}

/// The complaints of a `ValidationError`, empty for any other error.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
/// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
/// #     .base_url(sandbox.pangea().base_url()).build()?;
/// use accountkit::ErrorKind;
/// use accountkit::pangea::{UserList, UserOrderBy, field_errors};
///
/// let query = UserList::new().order_by(UserOrderBy::Other("shoe_size".into()));
/// let err = pangea.user_list(&query).await.unwrap_err();
/// assert_eq!((err.kind(), err.code()), (ErrorKind::Validation, Some("ValidationError")));
/// let complaint = &field_errors(&err)[0];
/// assert_eq!((complaint.code.as_str(), complaint.source.as_str()), ("NotEnumMember", "/order_by"));
/// # Ok(()) }
/// ```
pub fn field_errors(error: &Error) -> &[FieldError] {
    error.field_errors()
}

impl Client {
    /// A client with a service token (`pts_...`), or a client token
    /// (`pcl_...`) for the `client_*` operations, on the default cluster.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use accountkit::pangea::Client;
    ///
    /// let pangea = Client::new("pts_my-service-token")?;
    /// assert_eq!(pangea.base_url(), "https://authn.aws.us.pangea.cloud");
    /// # Ok(()) }
    /// ```
    pub fn new(token: impl IntoSecret) -> Result<Client> {
        Client::builder(token).build()
    }

    /// Starts a [`ClientBuilder`].
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use accountkit::pangea::{Client, Polling};
    ///
    /// let pangea = Client::builder("pts_my-service-token")
    ///     .domain("aws.eu.pangea.cloud")
    ///     .polling(Polling::new(Duration::from_secs(60)))
    ///     .build()?;
    /// assert_eq!(pangea.base_url(), "https://authn.aws.eu.pangea.cloud");
    /// # Ok(()) }
    /// ```
    pub fn builder(token: impl IntoSecret) -> ClientBuilder {
        ClientBuilder {
            token: token.into_secret(),
            endpoint: Endpoint::Domain(DEFAULT_DOMAIN.to_string()),
            transport: transport::Transport::default(),
            polling: Polling::default(),
        }
    }

    /// The base URL requests go to.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use accountkit::pangea::Client;
    ///
    /// let pangea = Client::builder("pts_my-service-token")
    ///     .base_url("http://127.0.0.1:8080/pangea/")
    ///     .build()?;
    /// assert_eq!(pangea.base_url(), "http://127.0.0.1:8080/pangea");
    /// # Ok(()) }
    /// ```
    pub fn base_url(&self) -> &str {
        self.core.base_url()
    }

    /// A `client_*` call refused as unauthorized while this client holds
    /// some other token than a client token says so: the vendor's message
    /// only reads "Not authorized".
    fn needs_client_token<T>(&self, outcome: Result<T>) -> Result<T> {
        outcome.map_err(|e| {
            let client_token = self.token().is_some_and(|t| t.starts_with("pcl_"));
            if e.kind() == ErrorKind::Unauthorized && !client_token {
                e.with_hint("the `client_*` operations need a client token (`pcl_...`), and this client holds another kind")
            } else {
                e
            }
        })
    }

    fn token(&self) -> Option<&str> {
        self.core.auth().expose_secret()
    }

    // ---- client token ----

    /// Exchanges the code of a finished login flow (`pmc_...`) for the
    /// session's tokens. Needs a client token.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// # let p = sandbox.pangea();
    /// # let (client_token, service_token, base_url) = (p.client_token(), p.service_token(), p.base_url());
    /// use accountkit::ErrorKind;
    /// use accountkit::pangea::{Client, TokenType};
    ///
    /// // The user logged in through Pangea's hosted pages, which sent your app a
    /// // code (`pmc_...`); the sandbox hands one out instead.
    /// let code = sandbox.pangea().login_code("ada@example.com").ok_or("no such user")?;
    ///
    /// // A service token (`pts_...`) is refused here...
    /// let service = Client::builder(service_token).base_url(base_url.clone()).build()?;
    /// let err = service.client_userinfo(code.clone(), None).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Unauthorized);
    /// assert!(err.message().contains("client token"));
    ///
    /// // ...a client token (`pcl_...`) is what it takes. Each code works once.
    /// let client = Client::builder(client_token).base_url(base_url).build()?;
    /// let session = client.client_userinfo(code, None).await?;
    /// let user_token = session.active_token.as_ref().ok_or("no active token")?;
    /// assert_eq!(user_token.kind, Some(TokenType::User));
    /// assert_eq!(user_token.email.as_deref(), Some("ada@example.com"));
    /// # Ok(()) }
    /// ```
    pub async fn client_userinfo(
        &self,
        code: impl IntoSecret,
        flow_id: Option<&str>,
    ) -> Result<Response<SessionTokens>> {
        let code: &SecretString = &code.into_secret();
        let mut call = self.core.call("client_userinfo");
        call.secret("code", code)?;
        if let Some(flow_id) = flow_id {
            token_like(call.op(), "flow_id", flow_id)?;
        }
        let body =
            raw::types::UserinfoRequest { code: Sensitive::from(code), flow_id: flow_id.map(str::to_string) };
        let response = self.send(call, self.core.raw().client_userinfo(&body)).await;
        Ok(self.needs_client_token(response)?.map(SessionTokens::from_raw))
    }

    /// Changes a user's password, with the user's own token (`ptu_...`).
    /// Needs a client token.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// # let (client_token, base_url) = (sandbox.pangea().client_token(), sandbox.pangea().base_url());
    /// # sandbox.pangea().set_password("ada@example.com", "correct horse");
    /// # let code = sandbox.pangea().login_code("ada@example.com").ok_or("no such user")?;
    /// use accountkit::pangea::Client;
    ///
    /// // A client token, and the user's token from their login code.
    /// let client = Client::builder(client_token).base_url(base_url).build()?;
    /// let session = client.client_userinfo(code, None).await?;
    /// let user_token = &session.active_token.as_ref().ok_or("no active token")?.token;
    ///
    /// client.client_password_change(user_token, "correct horse", "battery staple").await?;
    /// // The old password is gone.
    /// let again = client.client_password_change(user_token, "correct horse", "battery staple").await;
    /// assert_eq!(again.unwrap_err().code(), Some("IncorrectPassword"));
    /// # Ok(()) }
    /// ```
    pub async fn client_password_change(
        &self,
        user_token: impl IntoSecret,
        old_password: impl IntoSecret,
        new_password: impl IntoSecret,
    ) -> Result<Response<()>> {
        let user_token: &SecretString = &user_token.into_secret();
        let old_password: &SecretString = &old_password.into_secret();
        let new_password: &SecretString = &new_password.into_secret();
        let mut call = self.core.call("client_password_change");
        call.secret("token", user_token)?;
        call.secret("old_password", old_password)?;
        call.secret("new_password", new_password)?;
        let body = raw::types::PasswordChangeRequest {
            token: Sensitive::from(user_token),
            old_password: Sensitive::from(old_password),
            new_password: Sensitive::from(new_password),
        };
        let response = self.send(call, self.core.raw().client_password_change(&body)).await;
        Ok(self.needs_client_token(response)?.map(drop))
    }

    // ---- users (service token) ----

    /// Creates a user.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// use accountkit::ErrorKind;
    /// use accountkit::pangea::NewUser;
    ///
    /// let ada = NewUser::new("ada@example.com").username("ada").profile("first_name", "Ada");
    /// let created = pangea.user_create(&ada).await?;
    /// assert!(created.id.starts_with("pui_"));
    /// assert_eq!(created.profile["first_name"], "Ada");
    ///
    /// let err = pangea.user_create(&ada).await.unwrap_err();
    /// assert_eq!((err.kind(), err.code()), (ErrorKind::Conflict, Some("UserExists")));
    /// # Ok(()) }
    /// ```
    pub async fn user_create(&self, user: &NewUser) -> Result<Response<User>> {
        let call = self.core.call("user_create");
        let op = call.op();
        let body = user.to_raw(op)?;
        Ok(self.send(call, self.core.raw().user_create(&body)).await?.map(User::from_raw))
    }

    /// Deletes a user.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// use accountkit::ErrorKind;
    /// use accountkit::pangea::UserRef;
    ///
    /// let ada = UserRef::email("ada@example.com");
    /// pangea.user_delete(&ada).await?;
    /// let err = pangea.user_profile_get(&ada).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::NotFound);
    /// # Ok(()) }
    /// ```
    pub async fn user_delete(&self, user: &UserRef) -> Result<Response<()>> {
        let call = self.core.call("user_delete");
        let op = call.op();
        let body = user.to_raw(op)?;
        Ok(self.send(call, self.core.raw().user_delete(&body)).await?.map(drop))
    }

    /// One page of users. For every page in turn, use [`users`](Client::users).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # sandbox.pangea().seed_users(30);
    /// use accountkit::pangea::UserList;
    ///
    /// let query = UserList::new().size(20);
    /// let first = pangea.user_list(&query).await?;
    /// assert_eq!((first.users.len(), first.count), (20, Some(30)));
    ///
    /// let cursor = first.last.clone().ok_or("there is a second page")?;
    /// let second = pangea.user_list(&query.after(cursor)).await?;
    /// assert_eq!(second.users.len(), 10);
    /// assert_eq!(second.last, None); // the last page
    /// # Ok(()) }
    /// ```
    pub async fn user_list(&self, query: &UserList) -> Result<Response<UserPage>> {
        let call = self.core.call("user_list");
        let op = call.op();
        let body = query.to_raw(op)?;
        Ok(self.send(call, self.core.raw().user_list(&body)).await?.map(UserPage::from_raw))
    }

    /// Every page of users the query matches, following the `last` cursor
    /// until a page has none; [`Pages::items`] gives the users one at a
    /// time. The stream ends after its first error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// use accountkit::pangea::{Order, User, UserFilter, UserList, UserOrderBy};
    /// use futures::TryStreamExt;
    ///
    /// sandbox.pangea().seed_users(1_200); // seed0@example.test, seed1@example.test, ...
    /// let oldest_first = UserList::new().size(500).order_by(UserOrderBy::CreatedAt).order(Order::Asc);
    /// let users: Vec<User> = pangea.users(&oldest_first).items().try_collect().await?;
    /// assert_eq!(users.len(), 1_200); // three pages
    /// assert_eq!(users[0].email, "seed0@example.test");
    ///
    /// // Page by page, with what the service says of each.
    /// let mut pages = pangea.users(&oldest_first);
    /// while let Some(page) = pages.try_next().await? {
    ///     assert_eq!(page.total, Some(1_200));
    ///     assert!(page.request_id.as_deref().is_some_and(|id| id.starts_with("prq_")));
    /// }
    ///
    /// let two = UserFilter::new().email_in(["seed7@example.test", "seed42@example.test"]);
    /// let matched: Vec<User> = pangea.users(&UserList::new().filter(two)).items().try_collect().await?;
    /// assert_eq!(matched.len(), 2);
    /// # Ok(()) }
    /// ```
    pub fn users(&self, query: &UserList) -> Pages<User> {
        let client = self.clone();
        let first = Some((query.clone(), None::<String>));
        Pages::new(futures::stream::try_unfold(first, move |next| {
            let client = client.clone();
            async move {
                let Some((query, sent)) = next else { return Ok(None) };
                let page = client.user_list(&query).await.map_err(|e| e.reported_as("users"))?;
                let Response { result: UserPage { users, count, last }, request_id, .. } = page;
                let next = match last {
                    // A cursor that does not move would page forever.
                    Some(last) if sent.as_deref() == Some(last.as_str()) => {
                        return Err(op("users")
                            .error(
                                ErrorKind::Decode,
                                "the server returned the cursor it was sent; paging stopped",
                            )
                            .with_request_id(Some(request_id)));
                    }
                    Some(last) => Some((query.after(last.clone()), Some(last))),
                    None => None,
                };
                let page = Page { items: users, total: count, request_id: Some(request_id) };
                Ok(Some((page, next)))
            }
        }))
    }

    /// Disables, enables or unlocks a user, or sets their phone number.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// use accountkit::pangea::{UserRef, UserUpdate};
    ///
    /// let ada = UserRef::email("ada@example.com");
    /// let user = pangea.user_update(&ada, &UserUpdate::new().disabled(true).phone("+18085550173")).await?;
    /// assert!(user.disabled);
    /// assert_eq!(user.phone.as_deref(), Some("+18085550173"));
    /// # Ok(()) }
    /// ```
    pub async fn user_update(&self, user: &UserRef, update: &UserUpdate) -> Result<Response<User>> {
        let call = self.core.call("user_update");
        let op = call.op();
        let body = update.to_raw(op, user)?;
        Ok(self.send(call, self.core.raw().user_update(&body)).await?.map(User::from_raw))
    }

    /// A user, with its profile.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// use accountkit::pangea::UserRef;
    ///
    /// let ada = pangea.user_profile_get(&UserRef::username("ada")).await?;
    /// assert_eq!(ada.email, "ada@example.com");
    /// assert_eq!(ada.profile["first_name"], "Ada");
    /// # Ok(()) }
    /// ```
    pub async fn user_profile_get(&self, user: &UserRef) -> Result<Response<User>> {
        let call = self.core.call("user_profile_get");
        let op = call.op();
        let body = user.to_raw(op)?;
        Ok(self.send(call, self.core.raw().user_profile_get(&body)).await?.map(User::from_raw))
    }

    /// Sets and deletes keys of a user's profile; returns the user.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// use accountkit::pangea::{ProfileChanges, UserRef};
    ///
    /// let changes = ProfileChanges::new().set("city", "London").remove("first_name");
    /// let ada = pangea.user_profile_update(&UserRef::email("ada@example.com"), &changes).await?;
    /// assert_eq!(ada.profile.get("city").map(String::as_str), Some("London"));
    /// assert!(!ada.profile.contains_key("first_name"));
    /// # Ok(()) }
    /// ```
    pub async fn user_profile_update(
        &self,
        user: &UserRef,
        changes: &ProfileChanges,
    ) -> Result<Response<User>> {
        let call = self.core.call("user_profile_update");
        let op = call.op();
        let (id, email, username) = user.parts(op)?;
        let body = raw::types::ProfileUpdateRequest { id, email, username, profile: changes.to_raw(op)? };
        Ok(self.send(call, self.core.raw().user_profile_update(&body)).await?.map(User::from_raw))
    }

    /// A user's authenticators.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// # sandbox.pangea().set_password("ada@example.com", "correct horse");
    /// # sandbox.pangea().add_authenticator("ada@example.com", "totp");
    /// use accountkit::pangea::{AuthenticatorType, UserRef};
    ///
    /// let authenticators = pangea.user_authenticators_list(&UserRef::email("ada@example.com")).await?;
    /// let kinds: Vec<&AuthenticatorType> = authenticators.iter().map(|a| &a.kind).collect();
    /// assert_eq!(kinds, [&AuthenticatorType::Password, &AuthenticatorType::Totp]);
    /// assert!(authenticators.iter().all(|a| a.enabled && a.id.starts_with("pau_")));
    /// # Ok(()) }
    /// ```
    pub async fn user_authenticators_list(&self, user: &UserRef) -> Result<Response<Vec<Authenticator>>> {
        let call = self.core.call("user_authenticators_list");
        let op = call.op();
        let body = user.to_raw(op)?;
        let response = self.send(call, self.core.raw().user_authenticators_list(&body)).await?;
        Ok(response.map(|raw::types::AuthenticatorsResult { authenticators }| {
            authenticators.into_iter().map(Authenticator::from_raw).collect()
        }))
    }

    /// Deletes one of a user's authenticators (`pau_...`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// # sandbox.pangea().add_authenticator("ada@example.com", "totp");
    /// use accountkit::pangea::{AuthenticatorType, UserRef};
    ///
    /// let ada = UserRef::email("ada@example.com");
    /// let authenticators = pangea.user_authenticators_list(&ada).await?;
    /// let totp = authenticators.iter().find(|a| a.kind == AuthenticatorType::Totp).ok_or("no TOTP")?;
    /// pangea.user_authenticators_delete(&ada, &totp.id).await?;
    /// assert!(pangea.user_authenticators_list(&ada).await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn user_authenticators_delete(
        &self,
        user: &UserRef,
        authenticator_id: &str,
    ) -> Result<Response<()>> {
        let call = self.core.call("user_authenticators_delete");
        let op = call.op();
        token_like(op, "authenticator_id", authenticator_id)?;
        let (id, email, username) = user.parts(op)?;
        let body = raw::types::AuthenticatorDeleteRequest {
            id,
            email,
            username,
            authenticator_id: authenticator_id.to_string(),
        };
        Ok(self.send(call, self.core.raw().user_authenticators_delete(&body)).await?.map(drop))
    }
}

// ---------------------------------------------------------------------------
// The envelope

/// The fields of a generated envelope type.
struct Parts<R> {
    request_id: Option<String>,
    request_time: Option<String>,
    response_time: Option<String>,
    status: Option<String>,
    summary: Option<String>,
    result: Option<R>,
}

impl<R> Parts<R> {
    fn with_result<U>(self, result: Option<U>) -> Parts<U> {
        Parts {
            request_id: self.request_id,
            request_time: self.request_time,
            response_time: self.response_time,
            status: self.status,
            summary: self.summary,
            result,
        }
    }
}

/// A generated success envelope, and how to read its `result` from a
/// polled answer.
trait Envelope {
    type Result: DeserializeOwned;
    fn into_parts(self) -> Parts<Self::Result>;
    /// What a `Success` without a `result` means: nothing, or a fault.
    fn missing() -> Option<Self::Result> {
        None
    }
}

macro_rules! envelope {
    ($($envelope:ident => $result:ty $(, missing: $missing:expr)?;)*) => {$(
        impl Envelope for raw::types::$envelope {
            type Result = $result;
            fn into_parts(self) -> Parts<$result> {
                let Self { request_id, request_time, response_time, result, status, summary } = self;
                Parts { request_id: Some(request_id), request_time, response_time, status, summary, result }
            }
            $(fn missing() -> Option<$result> { $missing })?
        }
    )*};
}

envelope! {
    EmptyEnvelope => Map<String, Value>, missing: Some(Map::new());
    UserEnvelope => raw::types::User;
    UserListEnvelope => raw::types::UserListResult;
    AuthenticatorsEnvelope => raw::types::AuthenticatorsResult;
    UserinfoEnvelope => raw::types::SessionTokens;
}

/// Any envelope, its `result` still JSON.
fn loose(envelope: raw::types::ErrorEnvelope) -> Parts<Value> {
    let raw::types::ErrorEnvelope { request_id, request_time, response_time, result, status, summary } =
        envelope;
    Parts { request_id, request_time, response_time, status, summary, result }
}

fn any(envelope: raw::types::AnyEnvelope) -> Parts<Value> {
    let raw::types::AnyEnvelope { request_id, request_time, response_time, result, status, summary } =
        envelope;
    Parts { request_id: Some(request_id), request_time, response_time, status, summary, result }
}

/// Where a call stands after one answer.
enum Step<R> {
    Done(Response<R>),
    /// HTTP 202: poll this request id.
    Pending(String),
}

/// What is left of a call after its first answer: rare, so boxed.
type Rest<'a, R> = Pin<Box<dyn Future<Output = Result<Response<R>>> + Send + 'a>>;

type RawResult<T> =
    std::result::Result<ResponseValue<T>, progenitor_client::Error<raw::types::ErrorEnvelope>>;

impl Client {
    /// Runs one raw call, polls if it was accepted for later, and unwraps
    /// the envelope. `secrets` and the token are scrubbed from any error.
    fn send<'a, E: Envelope + 'a>(
        &'a self,
        call: Call<'a>,
        raw: impl Future<Output = RawResult<E>> + 'a,
    ) -> impl Future<Output = Result<Response<E::Result>>> + 'a
    where
        E::Result: Send + 'a,
    {
        let raw = accountkit_runtime::observe(raw);
        async move {
            let (op, secrets) = (call.op(), call.secrets());
            let scrub = |error: Error| call.scrub(error, self.core.auth());
            // The rare paths (a failure, a 202 to poll) are boxed and awaited
            // after this `let`, so the call's state keeps no room for the answer.
            let rest: Rest<'_, E::Result> = match raw.await {
                (Ok(response), _) => {
                    let status = response.status().as_u16();
                    match settle(op, status, response.into_inner().into_parts(), E::missing) {
                        Ok(Step::Done(response)) => return Ok(response),
                        Ok(Step::Pending(request_id)) => Box::pin(self.poll::<E>(op, request_id, secrets)),
                        Err(error) => return Err(scrub(error)),
                    }
                }
                (Err(e), meta) => Box::pin(async move {
                    match settle_failure::<E::Result>(op, e, meta, secrets, E::missing).await? {
                        Step::Done(response) => Ok(response),
                        Step::Pending(request_id) => self.poll::<E>(op, request_id, secrets).await,
                    }
                }),
            };
            rest.await.map_err(scrub)
        }
    }

    /// Polls `/request/{request_id}` until the answer is final or the
    /// deadline passes.
    async fn poll<E: Envelope>(
        &self,
        op: Op,
        request_id: String,
        secrets: &[&str],
    ) -> Result<Response<E::Result>> {
        let started = tokio::time::Instant::now();
        let deadline = started + self.polling.deadline;
        let mut delay = self.polling.first_delay;
        let mut request_id = request_id;
        loop {
            let now = tokio::time::Instant::now();
            if now + delay > deadline {
                return Err(op
                    .error(
                        ErrorKind::Transport,
                        format!(
                            "the request was accepted but not done within {:?}; its result can be fetched later \
                             at /request/{request_id}",
                            self.polling.deadline
                        ),
                    )
                    .with_status(202)
                    .with_code(Some(Status::Accepted.to_string()))
                    .with_timeout(true)
                    .with_request_id(Some(request_id)));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(self.polling.max_delay);

            let (outcome, meta) = accountkit_runtime::observe(self.core.raw().request_get(&request_id)).await;
            let step = match outcome {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let parts = any(response.into_inner());
                    if status == 202 {
                        accepted(op, status, parts.request_id.or_else(|| Some(request_id.clone())))
                    } else {
                        typed::<E::Result>(op, status, parts, E::missing, secrets)
                    }
                }
                Err(e) => Box::pin(settle_failure::<E::Result>(op, e, meta, secrets, E::missing)).await,
            };
            // Whatever went wrong, the id lets the caller fetch the result later.
            let step = step.map_err(|e| match e.request_id() {
                Some(_) => e,
                None => e.with_request_id(Some(request_id.clone())),
            });
            match step? {
                Step::Done(response) => return Ok(response),
                Step::Pending(id) => request_id = id,
            }
        }
    }
}

/// Reads a decoded envelope: `Success` is done, `Accepted` is pending, any
/// other status is the vendor's error.
fn settle<R>(op: Op, http: u16, parts: Parts<R>, missing: fn() -> Option<R>) -> Result<Step<R>> {
    match parts.status.as_deref() {
        Some("Success") => {
            let Some(request_id) = parts.request_id else {
                return Err(op
                    .error(ErrorKind::Decode, "the response envelope has no `request_id`")
                    .with_status(http));
            };
            let Some(result) = parts.result.or_else(missing) else {
                return Err(op
                    .error(ErrorKind::Decode, "the response envelope has no `result`")
                    .with_status(http)
                    .with_request_id(Some(request_id)));
            };
            Ok(Step::Done(Response {
                result,
                request_id,
                request_time: parts.request_time.as_deref().and_then(timestamp),
                response_time: parts.response_time.as_deref().and_then(timestamp),
                summary: parts.summary,
            }))
        }
        Some("Accepted") | None if http == 202 => accepted(op, http, parts.request_id),
        Some("Accepted") => accepted(op, http, parts.request_id),
        _ => Err(vendor_error(op, http, parts.status, parts.summary, parts.request_id, None)),
    }
}

fn accepted<R>(op: Op, http: u16, request_id: Option<String>) -> Result<Step<R>> {
    match request_id.filter(|id| !id.is_empty()) {
        Some(id) if is_poll_id(&id) => Ok(Step::Pending(id)),
        Some(_) => Err(op
            .error(ErrorKind::Decode, "an `Accepted` answer whose `request_id` is not a plain id")
            .with_status(http)),
        None => {
            Err(op.error(ErrorKind::Decode, "an `Accepted` answer without a `request_id`").with_status(http))
        }
    }
}

/// Whether a request id can be polled as `/request/{id}`: one plain path
/// segment (letters, digits, `_`, `-`), so a server cannot point the poll,
/// and the token it carries, at another path.
fn is_poll_id(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Reads an envelope whose `result` is still JSON into the operation's type.
fn typed<R: DeserializeOwned>(
    op: Op,
    http: u16,
    parts: Parts<Value>,
    missing: fn() -> Option<R>,
    secrets: &[&str],
) -> Result<Step<R>> {
    // An HTTP 202 is still in progress, whatever else its body says.
    if http == 202 && matches!(parts.status.as_deref(), None | Some("Accepted" | "Success")) {
        return accepted(op, http, parts.request_id);
    }
    let mut parts = parts;
    let value = parts.result.take();
    if parts.status.as_deref() != Some("Success") {
        return match settle(op, http, parts.with_result(None::<R>), missing) {
            Err(error) => Err(with_field_errors(error, value.as_ref(), secrets)),
            other => other,
        };
    }
    let result = match value {
        None | Some(Value::Null) => None,
        Some(value) => match serde_json::from_value::<R>(value) {
            Ok(result) => Some(result),
            Err(cause) => {
                return Err(provider::decode_error(op, Some(http), &cause).with_request_id(parts.request_id));
            }
        },
    };
    settle(op, http, parts.with_result(result), missing)
}

/// The vendor's error from an envelope's status and summary.
fn vendor_error(
    op: Op,
    http: u16,
    status: Option<String>,
    summary: Option<String>,
    request_id: Option<String>,
    retry_after: Option<std::time::Duration>,
) -> Error {
    let message = summary.filter(|s| !s.trim().is_empty()).or_else(|| status.clone());
    let vendor = VendorError { code: status.clone(), message, is_error: true, ..Default::default() };
    let error = provider::vendor_error(op, http, vendor, retry_after).with_request_id(request_id);
    match status.as_deref().and_then(kind_of_status) {
        Some(kind) => error.with_kind(kind),
        None => error,
    }
}

/// The class of a Pangea status, where its name says more than the HTTP
/// status.
fn kind_of_status(status: &str) -> Option<ErrorKind> {
    Some(match Status::from(status) {
        Status::ValidationError | Status::InvalidPayloadReceived => ErrorKind::Validation,
        Status::Unauthorized => ErrorKind::Unauthorized,
        Status::NoCredit
        | Status::ServiceNotEnabled
        | Status::MissingConfigId
        | Status::MissingConfigIdScope => ErrorKind::Forbidden,
        Status::TooManyRequests => ErrorKind::RateLimited,
        Status::InternalError | Status::ServiceNotAvailable | Status::ProviderError => ErrorKind::Server,
        Status::NotFound => ErrorKind::NotFound,
        _ if status.ends_with("NotFound") => ErrorKind::NotFound,
        _ if status.ends_with("Exists") => ErrorKind::Conflict,
        _ => return None,
    })
}

/// Attaches a `ValidationError`'s complaints.
fn with_field_errors(error: Error, result: Option<&Value>, secrets: &[&str]) -> Error {
    match result.and_then(field_errors_of) {
        Some(errors) => error.with_details(Details::Fields(errors)).scrub(secrets),
        None => error,
    }
}

/// Reads a failed raw call: a documented error envelope, an undocumented
/// answer (a 202 among them), a body of the wrong shape, or no answer.
async fn settle_failure<R: DeserializeOwned>(
    op: Op,
    err: progenitor_client::Error<raw::types::ErrorEnvelope>,
    meta: Option<ResponseMeta>,
    secrets: &[&str],
    missing: fn() -> Option<R>,
) -> Result<Step<R>> {
    use progenitor_client::Error as Raw;
    match err {
        Raw::ErrorResponse(response) => {
            let http = response.status().as_u16();
            let wait = provider::retry_after(response.headers());
            let parts = loose(response.into_inner());
            Err(envelope_error(op, http, parts, wait, secrets))
        }
        Raw::UnexpectedResponse(response) if response.status().is_success() => {
            let http = response.status().as_u16();
            let body = provider::read_bounded(response, MAX_ACCEPTED_BODY).await;
            match serde_json::from_slice::<raw::types::ErrorEnvelope>(&body) {
                Ok(envelope) => typed(op, http, loose(envelope), missing, secrets),
                Err(cause) => Err(provider::decode_error(op, Some(http), &cause)),
            }
        }
        Raw::InvalidResponsePayload(body, cause) => {
            let meta_status = meta.as_ref().map(|m| m.status);
            match (serde_json::from_slice::<raw::types::ErrorEnvelope>(&body).map(loose), meta_status) {
                // A `Success` whose result has the wrong shape is a decode fault.
                (Ok(parts), Some(http)) if parts.status.as_deref() != Some("Success") => {
                    let wait = meta.and_then(|m| m.retry_after);
                    Err(envelope_error(op, http, parts, wait, secrets))
                }
                (Ok(parts), http) => {
                    Err(provider::decode_error(op, http, &cause).with_request_id(parts.request_id))
                }
                _ => Err(provider::failure(
                    op,
                    Raw::<()>::InvalidResponsePayload(body, cause),
                    meta,
                    Pangea::read_error,
                )
                .await),
            }
        }
        other => Err(provider::failure(op, other, meta, Pangea::read_error).await),
    }
}

fn envelope_error(
    op: Op,
    http: u16,
    parts: Parts<Value>,
    retry_after: Option<std::time::Duration>,
    secrets: &[&str],
) -> Error {
    let error = vendor_error(op, http, parts.status, parts.summary, parts.request_id, retry_after);
    with_field_errors(error, parts.result.as_ref(), secrets)
}

/// The longest 202 body read; its envelope is small.
const MAX_ACCEPTED_BODY: usize = 64 * 1024;

/// Pangea's timestamps, with any number of fraction digits.
fn timestamp(text: &str) -> Option<DateTime<Utc>> {
    accountkit_runtime::timestamp::parse_rfc3339(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn polling_never_spins() {
        let p = Polling::new(Duration::from_secs(1)).backoff(Duration::ZERO, Duration::ZERO);
        assert_eq!((p.first_delay, p.max_delay), (Duration::from_millis(1), Duration::from_millis(1)));
        assert_eq!(Polling::never().deadline, Duration::ZERO);
        assert_eq!(Polling::default().max_delay, Duration::from_secs(8));
    }

    #[test]
    fn statuses_classify_errors() {
        assert_eq!(kind_of_status("ValidationError"), Some(ErrorKind::Validation));
        assert_eq!(kind_of_status("TooManyRequests"), Some(ErrorKind::RateLimited));
        assert_eq!(kind_of_status("UserNotFound"), Some(ErrorKind::NotFound));
        assert_eq!(kind_of_status("UserExists"), Some(ErrorKind::Conflict));
        assert_eq!(kind_of_status("NoCredit"), Some(ErrorKind::Forbidden));
        assert_eq!(kind_of_status("SomethingNew"), None);
    }

    #[test]
    fn domains_and_base_urls() {
        let url = |e: Endpoint| e.base_url();
        assert_eq!(
            url(Endpoint::Domain(DEFAULT_DOMAIN.into())).unwrap(),
            "https://authn.aws.us.pangea.cloud"
        );
        assert_eq!(
            url(Endpoint::Domain("aws.eu.pangea.cloud".into())).unwrap(),
            "https://authn.aws.eu.pangea.cloud"
        );
        for bad in ["", "evil.com/x", "a..b", "-a.b", "UPPER.case", "nodot", "x.io:80"] {
            assert_eq!(
                url(Endpoint::Domain(bad.into())).unwrap_err().kind(),
                ErrorKind::InvalidInput,
                "{bad}"
            );
        }
        assert_eq!(
            url(Endpoint::BaseUrl("http://127.0.0.1:9/pangea/".into())).unwrap(),
            "http://127.0.0.1:9/pangea"
        );
        for bad in ["ftp://x.io", "not a url", "https://x.io/?a=1", "https://u:p@x.io"] {
            assert_eq!(
                url(Endpoint::BaseUrl(bad.into())).unwrap_err().kind(),
                ErrorKind::InvalidInput,
                "{bad}"
            );
        }
    }

    #[test]
    fn validation_details_are_read_leniently() {
        let errors = field_errors_of(&json!({"errors": [
            {"code": "BadFormatEmail", "detail": "not an email", "source": "/email"},
            {"code": "MustProvideOne", "detail": "one of id, email, username"},
            "junk"
        ]}))
        .unwrap();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].source, "/email");
        assert_eq!(errors[1].source, "");
        assert!(field_errors_of(&json!({"errors": []})).is_none());
        assert!(field_errors_of(&json!(null)).is_none());
        assert_eq!(timestamp("2022-09-21T17:24:33.105Z").unwrap().timestamp_subsec_millis(), 105);
        assert!(timestamp("2023-03-01T16:07:40.256969Z").is_some());
        assert!(timestamp("yesterday").is_none());
    }

    #[test]
    fn user_refs_name_the_field_they_refuse() {
        let op = op("t");
        assert_eq!(
            UserRef::email("nope").parts(op).unwrap_err().message(),
            "`email` is not an email address (no `@`)"
        );
        assert!(UserRef::id("pui 1").parts(op).unwrap_err().message().starts_with("`id` "));
        assert!(UserRef::username("").parts(op).unwrap_err().message().starts_with("`username` "));
        assert_eq!(UserRef::id("pui_x").parts(op).unwrap(), (Some("pui_x".into()), None, None));
    }
}
