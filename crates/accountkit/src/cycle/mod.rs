//! The account section of the Cycle platform API.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use accountkit::cycle::{Client, ListQuery, TwoFactorStatus};
//! use futures::TryStreamExt;
//!
//! // The examples run against the in-process sandbox: its handle hands
//! // out what production gets from the vendor (URL, tokens, emailed codes).
//! let sandbox = accountkit_sandbox::Sandbox::start().await?;
//! let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
//! sandbox.cycle().sign_in("grace@example.com", "correct horse", None).unwrap();
//! let base_url = sandbox.cycle().base_url();
//!
//! // `Client::new(token)?` for api.cycle.io; the examples use a sandbox.
//! let cycle = Client::builder().base_url(base_url).token(token).build()?;
//! let account = cycle.get_account().await?;
//! assert_eq!(account.email.address, "grace@example.com");
//!
//! // Two-factor auth in two calls: the setup hands out a secret, and the
//! // client computes the current code from it.
//! let setup = cycle.two_factor_setup().await?;
//! let recovery = cycle.enable_two_factor_with(&setup).await?;
//! assert!(!recovery.codes.is_empty()); // shown once: store them safely
//! assert_eq!(cycle.get_account().await?.two_factor, TwoFactorStatus::On);
//!
//! // Every login, page after page.
//! let logins: Vec<_> = cycle.logins(&ListQuery::new().sort_descending("time")).items().try_collect().await?;
//! assert_eq!(logins.len(), 1);
//! # Ok(()) }
//! ```
//!
//! Beside the account itself: its logins, its pending hub invitations
//! ([`invites`](Client::invites), [`accept_invite`](Client::accept_invite),
//! [`decline_invite`](Client::decline_invite)) and its hub memberships.
//! Lists come a page at a time (`*_page`, with a [`ListQuery`]) or as a
//! stream that walks every page.
//!
//! Requests carry the token as `Authorization: Bearer <token>`, and
//! `X-Hub-Id` when a hub is set ([`ClientBuilder::hub_id`]). The two
//! logged-out flows, [`start_password_reset`](Client::start_password_reset) /
//! [`complete_password_reset`](Client::complete_password_reset) and
//! [`recover_two_factor`](Client::recover_two_factor), never send a token and
//! work from [`Client::anonymous`] (or, for another base URL, a
//! [builder](Client::builder) without a token). Errors carry Cycle's code (e.g.
//! `403.2fa-required`, see [`ErrorCode`]) and title; an OAuth-style
//! authentication error is read too. Cloning is cheap and shares the
//! connection pool.
//!
//! The multi-step flows are worked through where they start: a logged-out
//! password reset against another base URL on
//! [`start_password_reset`](Client::start_password_reset); two-factor auth
//! on and off on [`enable_two_factor_with`](Client::enable_two_factor_with),
//! and recovered on [`recover_two_factor`](Client::recover_two_factor);
//! paging on [`logins`](Client::logins); invitations on
//! [`accept_invite`](Client::accept_invite); deletion and its job on
//! [`delete_account_and_wait`](Client::delete_account_and_wait) and
//! [`track_job`](Client::track_job); a hub on [`ClientBuilder::hub_id`]; a
//! refusal that names the capability it lacks on [`missing_capability`].

mod types;

use std::future::Future;

use crate::IntoSecret;
use crate::pages::{Page, Pages};
use accountkit_cycle_raw as raw;
use accountkit_runtime::Auth;
use progenitor_client::ResponseValue;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::error::{Details, ErrorKind, Result};
use crate::provider::{self, Call, Core, Op, Provider, VendorError};
use crate::transport;
use crate::validate;

pub use types::*;

const PROVIDER: &str = "cycle";

/// The public Cycle platform API.
pub const DEFAULT_BASE_URL: &str = "https://api.cycle.io";

pub(crate) const fn op(name: &'static str) -> Op {
    Op { provider: PROVIDER, name }
}

/// Cycle, to the code the providers share.
struct Cycle;

impl Provider for Cycle {
    const NAME: &'static str = PROVIDER;
    type Raw = raw::Client;

    /// Reads Cycle's envelope `{error: {status, code, title, detail?, extra?}}`
    /// or the OAuth shape `{error: "<code>", error_description?}` that
    /// authentication failures use.
    fn read_error(body: &Value) -> VendorError {
        let text =
            |v: Option<&Value>| v.and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
        match body.get("error") {
            Some(error @ Value::Object(_)) => {
                let code = text(error.get("code"));
                let mut message = text(error.get("title"));
                if let Some(detail) = text(error.get("detail")) {
                    message = Some(match message {
                        Some(title) => format!("{title}: {detail}"),
                        None => detail,
                    });
                }
                let capability = text(error.get("extra").and_then(|e| e.get("capability")));
                if let Some(capability) = &capability {
                    let base = message.unwrap_or_else(|| "forbidden".to_string());
                    message = Some(format!("{base} (missing capability `{capability}`)"));
                }
                let second_factor = (code.as_deref() == Some(ErrorCode::TwoFactorRequired.as_str()))
                    .then(|| "totp".to_string());
                let details = capability.map_or(Details::None, Details::MissingCapability);
                VendorError { code, message, is_error: true, second_factor, details }
            }
            Some(Value::String(code)) => VendorError {
                code: Some(code.clone()),
                message: text(body.get("error_description")).or_else(|| Some(code.clone())),
                is_error: true,
                ..Default::default()
            },
            _ => VendorError::default(),
        }
    }
}

/// Builds a [`Client`] with more than the defaults.
#[derive(Debug)]
pub struct ClientBuilder {
    base_url: String,
    token: Option<SecretString>,
    hub_id: Option<String>,
    transport: transport::Transport,
}

impl ClientBuilder {
    transport::transport_options!(
        "accountkit::cycle::Client::builder()",
        "accountkit::cycle::Client::builder().base_url(\"http://cycle.internal:8080\")"
    );

    /// The API key or session token, sent as `Authorization: Bearer`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let base_url = sandbox.cycle().base_url();
    /// # let api_key = token;
    /// use accountkit::cycle::Client;
    ///
    /// let client = Client::builder().base_url(base_url).token(api_key).build()?;
    /// assert_eq!(client.get_account().await?.email.address, "grace@example.com");
    /// # Ok(()) }
    /// ```
    pub fn token(mut self, token: impl IntoSecret) -> Self {
        self.token = Some(token.into_secret());
        self
    }

    /// The hub requests are scoped to, sent as `X-Hub-Id`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let base_url = sandbox.cycle().base_url();
    /// # let hub = sandbox.cycle().add_hub("grace@example.com").expect("the account exists");
    /// use accountkit::cycle::{Client, ListQuery};
    ///
    /// let client = Client::builder().base_url(base_url).token(token).hub_id(&hub).build()?;
    /// assert_eq!(client.hub_id(), Some(hub.as_str()));
    ///
    /// // From now on every request carries `X-Hub-Id`.
    /// let memberships = client.memberships_page(&ListQuery::new()).await?;
    /// assert_eq!(memberships[0].hub_id, hub);
    /// # assert!(sandbox.cycle().requests().iter().all(|r| r.hub_id.as_deref() == Some(hub.as_str())));
    /// # Ok(()) }
    /// ```
    pub fn hub_id(mut self, hub_id: impl Into<String>) -> Self {
        self.hub_id = Some(hub_id.into());
        self
    }

    /// Another base URL, such as a private Cycle core or a sandbox.
    ///
    /// ```
    /// # fn main() -> accountkit::Result<()> {
    /// use accountkit::cycle::Client;
    ///
    /// let client = Client::builder().base_url("https://core.example.com/api/").token("my-api-key").build()?;
    /// assert_eq!(client.base_url(), "https://core.example.com/api");
    /// # Ok(()) }
    /// ```
    ///
    /// A logged-out client of another base URL is a builder without a token; the
    /// full password reset is on
    /// [`start_password_reset`](Client::start_password_reset).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// ```
    /// # fn main() -> accountkit::Result<()> {
    /// use accountkit::ErrorKind;
    /// use accountkit::cycle::Client;
    ///
    /// let client = Client::builder().token("my-api-key").hub_id("5f4a1c2b3d4e5f6a7b8c9d0e").build()?;
    /// assert_eq!(client.hub_id(), Some("5f4a1c2b3d4e5f6a7b8c9d0e"));
    ///
    /// // Settings are checked here, before any request.
    /// let err = Client::builder().base_url("ftp://core.example.com").build().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// # Ok(()) }
    /// ```
    pub fn build(self) -> Result<Client> {
        let op = op("client");
        let base_url = base_url(&self.base_url)?;
        if let Some(hub) = &self.hub_id {
            validate::header(op, "hub_id", hub)?;
        }
        let auth = match &self.token {
            Some(token) => provider::bearer(op, "token", token)?,
            None => Auth::none(),
        };
        let policy = self.transport.policy(PROVIDER);
        Ok(Client { core: Core::new(&base_url, auth, &self.transport, policy)?, hub_id: self.hub_id })
    }
}

fn base_url(url: &str) -> Result<String> {
    validate::base_url(op("client"), "base_url", url)
}

/// A Cycle account client. See the [module docs](self).
#[derive(Clone, Debug)]
pub struct Client {
    core: Core<Cycle>,
    hub_id: Option<String>,
}

impl Client {
    /// A client of `https://api.cycle.io` with an API key or session token.
    ///
    /// ```
    /// # fn main() -> accountkit::Result<()> {
    /// use accountkit::cycle::{Client, DEFAULT_BASE_URL};
    ///
    /// let cycle = Client::new("my-api-key")?;
    /// assert_eq!(cycle.base_url(), DEFAULT_BASE_URL);
    /// # Ok(()) }
    /// ```
    pub fn new(token: impl IntoSecret) -> Result<Client> {
        Client::builder().token(token).build()
    }

    /// A client without a token, for the logged-out flows only (password
    /// reset, two-factor recovery).
    ///
    /// ```
    /// # fn main() -> accountkit::Result<()> {
    /// use accountkit::cycle::Client;
    ///
    /// let cycle = Client::anonymous()?;
    /// assert_eq!(cycle.base_url(), "https://api.cycle.io");
    /// # Ok(()) }
    /// ```
    ///
    /// Against another base URL, build one without a token:
    /// `Client::builder().base_url(url).build()?` (worked through on
    /// [`start_password_reset`](Client::start_password_reset)).
    pub fn anonymous() -> Result<Client> {
        Client::builder().build()
    }

    /// Starts a [`ClientBuilder`] for `https://api.cycle.io`.
    ///
    /// ```
    /// # fn main() -> accountkit::Result<()> {
    /// use accountkit::cycle::Client;
    ///
    /// let cycle = Client::builder().base_url("https://core.example.com").token("my-api-key").build()?;
    /// assert_eq!(cycle.base_url(), "https://core.example.com");
    /// # Ok(()) }
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder {
            base_url: DEFAULT_BASE_URL.to_string(),
            token: None,
            hub_id: None,
            transport: transport::Transport::default(),
        }
    }

    /// The base URL requests go to.
    ///
    /// ```
    /// # fn main() -> accountkit::Result<()> {
    /// use accountkit::cycle::Client;
    ///
    /// let cycle = Client::builder().base_url("https://core.example.com/").build()?;
    /// assert_eq!(cycle.base_url(), "https://core.example.com"); // without the trailing slash
    /// # Ok(()) }
    /// ```
    pub fn base_url(&self) -> &str {
        self.core.base_url()
    }

    /// The hub sent as `X-Hub-Id`, if any.
    ///
    /// ```
    /// # fn main() -> accountkit::Result<()> {
    /// use accountkit::cycle::Client;
    ///
    /// assert_eq!(Client::new("my-api-key")?.hub_id(), None);
    /// let scoped = Client::builder().token("my-api-key").hub_id("5f4a1c2b3d4e5f6a7b8c9d0e").build()?;
    /// assert_eq!(scoped.hub_id(), Some("5f4a1c2b3d4e5f6a7b8c9d0e"));
    /// # Ok(()) }
    /// ```
    pub fn hub_id(&self) -> Option<&str> {
        self.hub_id.as_deref()
    }

    fn hub(&self) -> Option<&str> {
        self.hub_id.as_deref()
    }

    // ---- the account ----

    /// The account the token belongs to.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// use accountkit::cycle::{AccountState, TwoFactorStatus};
    ///
    /// let account = client.get_account().await?;
    /// assert_eq!(account.email.address, "grace@example.com");
    /// assert_eq!((account.name.first.as_str(), account.name.last.as_str()), ("Grace", "Hopper"));
    /// assert_eq!(account.state, AccountState::Live);
    /// assert_eq!(account.two_factor, TwoFactorStatus::Off);
    /// # Ok(()) }
    /// ```
    pub async fn get_account(&self) -> Result<Account> {
        let response =
            self.send(self.core.call("get_account"), self.core.raw().get_account(self.hub())).await?;
        Ok(Account::from_raw(response.into_data()))
    }

    /// Changes the account's name or support-login setting; returns the
    /// updated account.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// use accountkit::ErrorKind;
    /// use accountkit::cycle::AccountUpdate;
    ///
    /// let update = AccountUpdate::new().last_name("Brewster Hopper").allow_support_login(true);
    /// let account = client.update_account(&update).await?;
    /// assert_eq!((account.name.first.as_str(), account.name.last.as_str()), ("Grace", "Brewster Hopper"));
    /// assert!(account.allow_support_login);
    ///
    /// // An update that changes nothing is refused before it is sent.
    /// let err = client.update_account(&AccountUpdate::new()).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// # Ok(()) }
    /// ```
    pub async fn update_account(&self, update: &AccountUpdate) -> Result<Account> {
        let call = self.core.call("update_account");
        let body = update.to_raw(call.op())?;
        let response = self.send(call, self.core.raw().update_account(self.hub(), &body)).await?;
        Ok(Account::from_raw(response.into_data()))
    }

    /// Starts deleting the account (HTTP 202) and returns the job doing it.
    /// Cycle refuses while the account owns an active hub.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # let hub = sandbox.cycle().add_hub("grace@example.com").expect("the account exists");
    /// use accountkit::ErrorKind;
    ///
    /// // Refused while the account owns a hub.
    /// let err = client.delete_account().await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Conflict);
    /// # sandbox.cycle().remove_hub(&hub);
    ///
    /// // Once the hub is gone, a job deletes the account.
    /// let started = client.delete_account().await?;
    /// assert_eq!(started.action, "delete");
    /// let job = started.job.expect("the deletion queues a job");
    /// assert!(job.accepted);
    /// // Follow it with `track_job(&job.id, ..)`, or call `delete_account_and_wait` instead.
    /// # Ok(()) }
    /// ```
    pub async fn delete_account(&self) -> Result<JobDescriptor> {
        let response =
            self.send(self.core.call("delete_account"), self.core.raw().delete_account(self.hub())).await?;
        Ok(JobDescriptor::from_raw(response.into_data()))
    }

    /// Deletes the account and waits, as `tracking` says, until the job
    /// doing it is over; returns the completed job. A failed or expired job
    /// is an [`ErrorKind::Rejected`] error, a deadline passed an
    /// [`ErrorKind::Transport`] one that [`is_timeout`](crate::Error::is_timeout).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// use std::time::Duration;
    ///
    /// use accountkit::ErrorKind;
    /// use accountkit::cycle::{JobState, JobTracking};
    ///
    /// let tracking = JobTracking::new(Duration::from_secs(60)).interval(Duration::from_millis(250));
    /// let job = client.delete_account_and_wait(&tracking).await?;
    /// assert_eq!(job.state, JobState::Completed);
    ///
    /// // The account is gone, and its tokens with it.
    /// let err = client.get_account().await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Unauthorized);
    /// # Ok(()) }
    /// ```
    ///
    /// A job that fails leaves the account; one still running at the deadline
    /// can be tracked again:
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # sandbox.cycle().fail_next_job("the account is locked");
    /// # let tracking = accountkit::cycle::JobTracking::new(std::time::Duration::from_secs(60))
    /// #     .interval(std::time::Duration::from_millis(250));
    /// use accountkit::ErrorKind;
    /// use accountkit::cycle::AccountState;
    ///
    /// match client.delete_account_and_wait(&tracking).await {
    ///     Ok(job) => println!("deleted by job {}", job.id),
    ///     Err(err) if err.is_timeout() => println!("still deleting: {err}"),
    ///     Err(err) if err.kind() == ErrorKind::Rejected => {
    ///         println!("not deleted: {}", err.message());
    ///         assert_eq!(client.get_account().await?.state, AccountState::Live);
    ///     }
    ///     Err(err) => return Err(err.into()),
    /// }
    /// # assert_eq!(client.get_account().await?.state, AccountState::Live);
    /// # Ok(()) }
    /// ```
    pub async fn delete_account_and_wait(&self, tracking: &JobTracking) -> Result<JobStatus> {
        let name = "delete_account_and_wait";
        let descriptor = self.delete_account().await.map_err(|e| e.during(name, "delete_account"))?;
        let Some(job) = descriptor.job else {
            return Err(op(name).error(ErrorKind::Decode, "the deletion was accepted but names no job"));
        };
        self.track(op(name), &job.id, tracking).await
    }

    // ---- jobs ----

    /// The job `job_id` as it stands now (Cycle's Jobs API).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// use accountkit::ErrorKind;
    ///
    /// let job_id = client.delete_account().await?.job.expect("the deletion queues a job").id;
    /// let job = client.get_job(&job_id).await?;
    /// assert_eq!(job.id, job_id);
    /// assert!(!job.is_done());
    ///
    /// let err = client.get_job("5f4a1c2b3d4e5f6a7b8c9d0e").await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::NotFound);
    /// assert_eq!(err.code(), Some("404.job"));
    /// # Ok(()) }
    /// ```
    pub async fn get_job(&self, job_id: &str) -> Result<JobStatus> {
        let call = self.core.call("get_job");
        validate::path_segment(call.op(), "job_id", job_id)?;
        let response = self.send(call, self.core.raw().get_job(job_id, self.hub())).await?;
        Ok(JobStatus::from_raw(response.into_data()))
    }

    /// Polls the job `job_id` until it is over, as Cycle's TypeScript
    /// client's `trackJob` does: every `tracking` interval, riding out a
    /// few `404.job` answers while a new job becomes visible. Returns the
    /// completed job; errors as for
    /// [`delete_account_and_wait`](Client::delete_account_and_wait).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// use std::time::Duration;
    ///
    /// use accountkit::cycle::{JobState, JobTracking};
    ///
    /// let job = client.delete_account().await?.job.expect("the deletion queues a job");
    ///
    /// let tracking = JobTracking::new(Duration::from_secs(60)).interval(Duration::from_millis(250));
    /// let done = client.track_job(&job.id, &tracking).await?;
    /// assert_eq!(done.state, JobState::Completed);
    /// let progress = done.progress();
    /// assert_eq!(progress.completed, progress.total);
    /// # Ok(()) }
    /// ```
    pub async fn track_job(&self, job_id: &str, tracking: &JobTracking) -> Result<JobStatus> {
        self.track(op("track_job"), job_id, tracking).await
    }

    async fn track(&self, op: Op, job_id: &str, tracking: &JobTracking) -> Result<JobStatus> {
        // As many as the TypeScript client rides out.
        const NOT_YET_VISIBLE: u32 = 5;
        validate::path_segment(op, "job_id", job_id)?;
        let deadline = tokio::time::Instant::now() + tracking.deadline;
        let mut not_found = 0;
        let mut last_state = None;
        loop {
            match self.get_job(job_id).await {
                Ok(job) if job.is_done() => return finished(op, job),
                Ok(job) => last_state = Some(job.state),
                Err(e) if e.code() == Some("404.job") && not_found < NOT_YET_VISIBLE => not_found += 1,
                Err(e) => return Err(e.reported_as(op.name)),
            }
            if tokio::time::Instant::now() + tracking.interval > deadline {
                let state = last_state.as_ref().map_or("not yet visible", JobState::as_str);
                return Err(op
                    .error(
                        ErrorKind::Transport,
                        format!(
                            "job {job_id} was not done within {:?} (last {state}); track it again later",
                            tracking.deadline
                        ),
                    )
                    .with_timeout(true));
            }
            tokio::time::sleep(tracking.interval).await;
        }
    }

    /// One page of the account's logins, as `query` selects.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # for _ in 0..3 {
    /// #     sandbox.cycle().sign_in("grace@example.com", "correct horse", None).unwrap();
    /// # }
    /// use accountkit::cycle::ListQuery;
    ///
    /// let first = client.logins_page(&ListQuery::new().page_size(2)).await?;
    /// let second = client.logins_page(&ListQuery::new().page_size(2).page(2)).await?;
    /// assert_eq!((first.len(), second.len()), (2, 1));
    /// assert!(first.iter().chain(&second).all(|login| login.record().success));
    /// # Ok(()) }
    /// ```
    pub async fn logins_page(&self, query: &ListQuery) -> Result<Vec<Login>> {
        let call = self.core.call("logins_page");
        query.check(call.op())?;
        let filter = query.filter_map();
        let raw = self.core.raw().get_account_logins(
            (!filter.is_empty()).then_some(&filter),
            Some(query.page),
            Some(query.size),
            (!query.sort.is_empty()).then_some(&query.sort),
            self.hub(),
        );
        let response = self.send(call, raw).await?;
        Ok(response.into_data().into_iter().map(Login::from_raw).collect())
    }

    /// Every login `query` selects, from its page on: fetches page after
    /// page until one comes back shorter than the page size. The stream ends
    /// after the first error, and when the server sends the same page twice.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # sandbox.cycle().sign_in("grace@example.com", "correct horse", None).unwrap();
    /// # for _ in 0..3 {
    /// #     sandbox.cycle().sign_in("grace@example.com", "wrong guess", None).unwrap_err();
    /// # }
    /// use accountkit::cycle::ListQuery;
    /// use futures::TryStreamExt;
    ///
    /// // The failed logins, two per request.
    /// let query = ListQuery::new().filter("success", "false").page_size(2);
    /// let mut logins = client.logins(&query).items();
    /// let mut failed = 0;
    /// while let Some(login) = logins.try_next().await? {
    ///     assert!(!login.record().success);
    ///     failed += 1;
    /// }
    /// assert_eq!(failed, 3);
    ///
    /// // Or all of them at once.
    /// let all: Vec<_> = client.logins(&ListQuery::new()).items().try_collect().await?;
    /// assert_eq!(all.len(), 4);
    /// # Ok(()) }
    /// ```
    pub fn logins(&self, query: &ListQuery) -> Pages<Login> {
        let client = self.clone();
        pages(query.clone(), move |q| {
            let client = client.clone();
            async move { client.logins_page(&q).await.map_err(|e| e.reported_as("logins")) }
        })
    }

    /// Every login `query` selects, collected; see [`logins`](Client::logins).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # sandbox.cycle().sign_in("grace@example.com", "correct horse", None).unwrap();
    /// # sandbox.cycle().sign_in("grace@example.com", "correct horse", None).unwrap();
    /// # sandbox.cycle().employee_sign_in("grace@example.com");
    /// use accountkit::cycle::{ListQuery, Login};
    ///
    /// let logins = client.all_logins(&ListQuery::new().page_size(2)).await?;
    /// assert_eq!(logins.len(), 3);
    /// // Newest first: a Cycle employee, refused while support logins are off.
    /// assert!(matches!(&logins[0], Login::Employee { record, .. } if !record.success));
    /// # Ok(()) }
    /// ```
    pub async fn all_logins(&self, query: &ListQuery) -> Result<Vec<Login>> {
        use futures::TryStreamExt;
        self.logins(query).items().map_err(|e| e.reported_as("all_logins")).try_collect().await
    }

    /// One page of the account's pending hub invitations.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # sandbox.cycle().invite("grace@example.com").expect("the account exists");
    /// use accountkit::cycle::{ListQuery, MembershipState};
    ///
    /// let pending = client.invites_page(&ListQuery::new()).await?;
    /// assert_eq!(pending.len(), 1);
    /// assert_eq!(pending[0].state, MembershipState::Pending);
    /// let invitation = pending[0].invitation.as_ref().expect("sent by someone");
    /// assert_eq!(invitation.recipient.as_deref(), Some("grace@example.com"));
    /// # Ok(()) }
    /// ```
    pub async fn invites_page(&self, query: &ListQuery) -> Result<Vec<Membership>> {
        let call = self.core.call("invites_page");
        query.check(call.op())?;
        let filter = query.filter_map();
        let raw = self.core.raw().get_account_invites(
            (!filter.is_empty()).then_some(&filter),
            Some(query.page),
            Some(query.size),
            (!query.sort.is_empty()).then_some(&query.sort),
            self.hub(),
        );
        let response = self.send(call, raw).await?;
        Ok(response.into_data().into_iter().map(Membership::from_raw).collect())
    }

    /// Every pending invitation `query` selects, page after page.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # for _ in 0..3 {
    /// #     sandbox.cycle().invite("grace@example.com").expect("the account exists");
    /// # }
    /// use accountkit::cycle::ListQuery;
    /// use futures::TryStreamExt;
    ///
    /// let invites: Vec<_> = client.invites(&ListQuery::new().page_size(2)).items().try_collect().await?;
    /// assert_eq!(invites.len(), 3);
    /// for invite in &invites {
    ///     client.decline_invite(&invite.id).await?;
    /// }
    /// assert!(client.invites_page(&ListQuery::new()).await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn invites(&self, query: &ListQuery) -> Pages<Membership> {
        let client = self.clone();
        pages(query.clone(), move |q| {
            let client = client.clone();
            async move { client.invites_page(&q).await.map_err(|e| e.reported_as("invites")) }
        })
    }

    /// Accepts an invitation; returns the membership.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # sandbox.cycle().invite("grace@example.com").expect("the account exists");
    /// use accountkit::ErrorKind;
    /// use accountkit::cycle::{ListQuery, MembershipState};
    ///
    /// let invite = client.invites_page(&ListQuery::new()).await?.remove(0);
    /// let membership = client.accept_invite(&invite.id).await?;
    /// assert_eq!(membership.state, MembershipState::Accepted);
    /// assert!(membership.joined.is_some());
    ///
    /// // The hub is now among the account's memberships.
    /// let hubs = client.all_memberships().await?;
    /// assert_eq!(hubs[0].hub_id, invite.hub_id);
    ///
    /// // An invitation is answered once.
    /// let err = client.accept_invite(&invite.id).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Conflict);
    /// # Ok(()) }
    /// ```
    pub async fn accept_invite(&self, invite_id: &str) -> Result<Membership> {
        self.answer_invite(self.core.call("accept_invite"), invite_id, true).await
    }

    /// Declines an invitation; returns the membership.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # let invite_id = sandbox.cycle().invite("grace@example.com").expect("the account exists");
    /// use accountkit::cycle::MembershipState;
    ///
    /// let membership = client.decline_invite(&invite_id).await?;
    /// assert_eq!(membership.state, MembershipState::Declined);
    /// assert!(client.all_memberships().await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn decline_invite(&self, invite_id: &str) -> Result<Membership> {
        self.answer_invite(self.core.call("decline_invite"), invite_id, false).await
    }

    async fn answer_invite(&self, call: Call<'_>, invite_id: &str, accept: bool) -> Result<Membership> {
        validate::path_segment(call.op(), "invite_id", invite_id)?;
        let body = match accept {
            true => raw::types::InviteAnswer { accept: Some(true), decline: None },
            false => raw::types::InviteAnswer { accept: None, decline: Some(true) },
        };
        let response =
            self.send(call, self.core.raw().update_account_invite(invite_id, self.hub(), &body)).await?;
        Ok(Membership::from_raw(response.into_data()))
    }

    /// One page of the hubs the account is a member of.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # let hub = sandbox.cycle().add_hub("grace@example.com").expect("the account exists");
    /// # sandbox.cycle().add_hub("grace@example.com").expect("the account exists");
    /// use accountkit::cycle::ListQuery;
    ///
    /// let first = client.memberships_page(&ListQuery::new().page_size(1)).await?;
    /// assert_eq!(first.len(), 1);
    ///
    /// let one_hub = client.memberships_page(&ListQuery::new().filter("hub", &hub)).await?;
    /// assert_eq!(one_hub.len(), 1);
    /// assert_eq!(one_hub[0].hub_id, hub);
    /// # Ok(()) }
    /// ```
    pub async fn memberships_page(&self, query: &ListQuery) -> Result<Vec<Membership>> {
        let call = self.core.call("memberships_page");
        query.check(call.op())?;
        let filter = query.filter_map();
        let raw = self.core.raw().get_account_memberships(
            (!filter.is_empty()).then_some(&filter),
            Some(query.page),
            Some(query.size),
            (!query.sort.is_empty()).then_some(&query.sort),
            self.hub(),
        );
        let response = self.send(call, raw).await?;
        Ok(response.into_data().into_iter().map(Membership::from_raw).collect())
    }

    /// Every hub the account is a member of, collected.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # let hub = sandbox.cycle().add_hub("grace@example.com").expect("the account exists");
    /// use accountkit::cycle::MembershipState;
    ///
    /// let memberships = client.all_memberships().await?;
    /// assert_eq!(memberships.len(), 1);
    /// assert_eq!(memberships[0].hub_id, hub);
    /// assert_eq!(memberships[0].state, MembershipState::Accepted);
    /// // The hub's creator joined without an invitation.
    /// assert!(memberships[0].invitation.is_none());
    /// # Ok(()) }
    /// ```
    pub async fn all_memberships(&self) -> Result<Vec<Membership>> {
        use futures::TryStreamExt;
        let all = self.memberships(&ListQuery::new().page_size(100)).items();
        all.map_err(|e| e.reported_as("all_memberships")).try_collect().await
    }

    /// Every membership `query` selects, page after page.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # let first = sandbox.cycle().add_hub("grace@example.com").expect("the account exists");
    /// # let second = sandbox.cycle().add_hub("grace@example.com").expect("the account exists");
    /// use accountkit::cycle::ListQuery;
    /// use futures::TryStreamExt;
    ///
    /// let hubs: Vec<String> =
    ///     client.memberships(&ListQuery::new().page_size(1)).items().map_ok(|m| m.hub_id).try_collect().await?;
    /// assert_eq!(hubs, [first, second]);
    /// # Ok(()) }
    /// ```
    pub fn memberships(&self, query: &ListQuery) -> Pages<Membership> {
        let client = self.clone();
        pages(query.clone(), move |q| {
            let client = client.clone();
            async move { client.memberships_page(&q).await.map_err(|e| e.reported_as("memberships")) }
        })
    }

    /// Changes the password, given the current one (the new one needs at
    /// least 8 characters); returns the account.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// use accountkit::ErrorKind;
    ///
    /// let account = client.change_password("correct horse", "tr0ub4dor&3-again").await?;
    /// assert_eq!(account.email.address, "grace@example.com");
    /// # assert!(sandbox.cycle().sign_in("grace@example.com", "tr0ub4dor&3-again", None).is_ok());
    ///
    /// // A wrong current password is Cycle's refusal; a short new one never leaves the client.
    /// let err = client.change_password("correct horse", "another password").await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Validation);
    /// let err = client.change_password("tr0ub4dor&3-again", "short").await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// # Ok(()) }
    /// ```
    pub async fn change_password(&self, current: impl IntoSecret, new: impl IntoSecret) -> Result<Account> {
        let current: &SecretString = &current.into_secret();
        let new: &SecretString = &new.into_secret();
        let mut call = self.core.call("change_password");
        call.secret("current", current)?;
        new_password(&mut call, "new", new)?;
        let body = raw::types::PasswordChange { current: current.into(), new: new.into() };
        let response = self.send(call, self.core.raw().change_password(self.hub(), &body)).await?;
        Ok(Account::from_raw(response.into_data()))
    }

    // ---- logged out ----

    /// Asks Cycle to email a password-reset token to `email`. Returns the
    /// server's `success` flag.
    ///
    /// A full reset from a logged-out client, against a base URL other than
    /// `https://api.cycle.io` (a private core, or here a sandbox):
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let base_url = sandbox.cycle().base_url();
    /// use accountkit::cycle::Client;
    ///
    /// // No token: the user is logged out.
    /// let cycle = Client::builder().base_url(base_url).build()?;
    /// assert!(cycle.start_password_reset("grace@example.com").await?);
    ///
    /// // The token arrives by email; the sandbox keeps it in its outbox.
    /// let token = sandbox.cycle().password_reset_token("grace@example.com").expect("a reset email");
    /// assert!(cycle.complete_password_reset(token, "a brand new password").await?);
    /// # assert!(sandbox.cycle().sign_in("grace@example.com", "a brand new password", None).is_ok());
    /// # assert!(sandbox.cycle().requests().iter().all(|r| !r.had_bearer));
    /// # Ok(()) }
    /// ```
    ///
    /// The answer is the same for an address without an account, so it tells
    /// nobody which addresses have one:
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let base_url = sandbox.cycle().base_url();
    /// # let cycle = accountkit::cycle::Client::builder().base_url(base_url).build()?;
    /// assert!(cycle.start_password_reset("nobody@example.com").await?);
    /// # assert!(sandbox.cycle().password_reset_token("nobody@example.com").is_none());
    /// # Ok(()) }
    /// ```
    pub async fn start_password_reset(&self, email: &str) -> Result<bool> {
        let call = self.core.call("start_password_reset");
        validate::email(call.op(), "email", email)?;
        let body = raw::types::PasswordReset::from(raw::types::PasswordResetStart {
            email: raw::types::EmailAddress { address: email.to_string() },
        });
        let response = self.send(call, self.core.raw().reset_password(self.hub(), &body)).await?;
        let raw::types::Success { success } = response.into_data();
        Ok(success)
    }

    /// Sets a new password with the token from the reset email. Returns the
    /// server's `success` flag.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let base_url = sandbox.cycle().base_url();
    /// use accountkit::ErrorKind;
    /// use accountkit::cycle::Client;
    ///
    /// let cycle = Client::builder().base_url(base_url).build()?;
    /// cycle.start_password_reset("grace@example.com").await?;
    /// let token = sandbox.cycle().password_reset_token("grace@example.com").expect("a reset email");
    /// assert!(cycle.complete_password_reset(token.clone(), "a brand new password").await?);
    ///
    /// // A token works once.
    /// let err = cycle.complete_password_reset(token, "yet another password").await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Validation);
    /// # Ok(()) }
    /// ```
    pub async fn complete_password_reset(
        &self,
        token: impl IntoSecret,
        new_password: impl IntoSecret,
    ) -> Result<bool> {
        let token: &SecretString = &token.into_secret();
        let new_password: &SecretString = &new_password.into_secret();
        let mut call = self.core.call("complete_password_reset");
        call.secret("token", token)?;
        // No length rule here: the vendor documents none for a reset.
        call.secret("password", new_password)?;
        let body = raw::types::PasswordReset::from(raw::types::PasswordResetComplete {
            token: token.into(),
            password: new_password.into(),
        });
        let response = self.send(call, self.core.raw().reset_password(self.hub(), &body)).await?;
        let raw::types::Success { success } = response.into_data();
        Ok(success)
    }

    /// Turns off a lost authenticator with recovery codes, and returns a
    /// fresh secret to set up again.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let base_url = sandbox.cycle().base_url();
    /// # let client = accountkit::cycle::Client::builder().base_url(&base_url).token(token).build()?;
    /// use accountkit::ErrorKind;
    /// use accountkit::cycle::{Client, TwoFactorRecovery, TwoFactorStatus};
    ///
    /// let recovery = client.enable_two_factor_with(&client.two_factor_setup().await?).await?;
    ///
    /// // The authenticator app is lost. Logged out, the password and a
    /// // recovery code turn two-factor auth off and give a fresh secret.
    /// let anonymous = Client::builder().base_url(base_url).build()?;
    /// let lost = TwoFactorRecovery::new("grace@example.com", "correct horse", [recovery.codes[0].clone()]);
    /// let fresh = anonymous.recover_two_factor(&lost).await?;
    /// assert_eq!(client.get_account().await?.two_factor, TwoFactorStatus::Unverified);
    ///
    /// // Set up again with the fresh secret.
    /// client.enable_two_factor_with(&fresh).await?;
    /// assert_eq!(client.get_account().await?.two_factor, TwoFactorStatus::On);
    ///
    /// // A recovery code works once.
    /// let err = anonymous.recover_two_factor(&lost).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Forbidden);
    /// # Ok(()) }
    /// ```
    pub async fn recover_two_factor(&self, recovery: &TwoFactorRecovery) -> Result<TwoFactorSetup> {
        let mut call = self.core.call("recover_two_factor");
        let body = recovery.to_raw(&mut call)?;
        let response = self.send(call, self.core.raw().recover_two_factor_auth(self.hub(), &body)).await?;
        Ok(TwoFactorSetup::from_raw(response.into_data()))
    }

    // ---- two-factor auth ----

    /// Starts setting up two-factor auth: a TOTP secret for an
    /// authenticator app, and its QR code.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// use accountkit::cycle::TwoFactorStatus;
    ///
    /// let setup = client.two_factor_setup().await?;
    /// // Show `setup.qr` to scan, or `setup.secret` to type in.
    /// assert!(!setup.qr.is_empty());
    /// assert_eq!(client.get_account().await?.two_factor, TwoFactorStatus::Unverified);
    /// # Ok(()) }
    /// ```
    pub async fn two_factor_setup(&self) -> Result<TwoFactorSetup> {
        let response = self
            .send(self.core.call("two_factor_setup"), self.core.raw().get_two_factor_auth_setup(self.hub()))
            .await?;
        Ok(TwoFactorSetup::from_raw(response.into_data()))
    }

    /// Turns two-factor auth on with a code from the authenticator app;
    /// returns the recovery codes, shown this once.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// use accountkit::cycle::{TwoFactorStatus, totp_code};
    ///
    /// let setup = client.two_factor_setup().await?;
    /// // The code the user's authenticator app shows for the secret.
    /// let code = totp_code(&setup.secret)?;
    /// let recovery = client.enable_two_factor(code).await?;
    /// assert!(!recovery.codes.is_empty());
    /// assert_eq!(client.get_account().await?.two_factor, TwoFactorStatus::On);
    /// # Ok(()) }
    /// ```
    pub async fn enable_two_factor(&self, code: impl IntoSecret) -> Result<RecoveryCodes> {
        let code: &SecretString = &code.into_secret();
        let mut call = self.core.call("enable_two_factor");
        call.pin("code", code)?;
        let body = raw::types::TotpToken { token: code.into() };
        let response = self.send(call, self.core.raw().enable_two_factor_auth(self.hub(), &body)).await?;
        Ok(RecoveryCodes::from_raw(response.into_data()))
    }

    /// Turns two-factor auth on in one call for a caller holding the secret
    /// of [`two_factor_setup`](Client::two_factor_setup): computes the
    /// current code and sends it.
    ///
    /// Two-factor auth on and off again:
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// use accountkit::cycle::TwoFactorStatus;
    ///
    /// let setup = client.two_factor_setup().await?;
    /// let recovery = client.enable_two_factor_with(&setup).await?;
    /// // Shown this once: store them for `recover_two_factor`.
    /// assert!(!recovery.codes.is_empty());
    /// assert_eq!(client.get_account().await?.two_factor, TwoFactorStatus::On);
    /// # assert!(sandbox.cycle().sign_in("grace@example.com", "correct horse", None).is_err());
    ///
    /// let account = client.disable_two_factor_with(&setup.secret).await?;
    /// assert_eq!(account.two_factor, TwoFactorStatus::Off);
    /// # Ok(()) }
    /// ```
    pub async fn enable_two_factor_with(&self, setup: &TwoFactorSetup) -> Result<RecoveryCodes> {
        let name = "enable_two_factor_with";
        let code = setup.current_code().map_err(|e| rename(e, name))?;
        self.enable_two_factor(code)
            .await
            .map_err(|e| e.scrub(&[setup.secret.expose_secret()]).reported_as(name))
    }

    /// Turns two-factor auth off with a current code; returns the account.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # client.enable_two_factor_with(&client.two_factor_setup().await?).await?;
    /// # let secret = sandbox.cycle().totp_secret("grace@example.com").expect("two-factor auth is on");
    /// use accountkit::cycle::{TwoFactorStatus, totp_code};
    ///
    /// // The code the user's authenticator app shows now.
    /// let code = totp_code(secret)?;
    /// let account = client.disable_two_factor(code).await?;
    /// assert_eq!(account.two_factor, TwoFactorStatus::Off);
    /// # Ok(()) }
    /// ```
    pub async fn disable_two_factor(&self, code: impl IntoSecret) -> Result<Account> {
        let code: &SecretString = &code.into_secret();
        let mut call = self.core.call("disable_two_factor");
        call.pin("code", code)?;
        let body = raw::types::TotpToken { token: code.into() };
        let response = self.send(call, self.core.raw().disable_two_factor_auth(self.hub(), &body)).await?;
        Ok(Account::from_raw(response.into_data()))
    }

    /// Turns two-factor auth off, computing the current code from the
    /// account's TOTP secret.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # client.enable_two_factor_with(&client.two_factor_setup().await?).await?;
    /// # let secret = sandbox.cycle().totp_secret("grace@example.com").expect("two-factor auth is on");
    /// use accountkit::ErrorKind;
    /// use accountkit::cycle::TwoFactorStatus;
    ///
    /// // `secret` is the base32 secret the authenticator app holds.
    /// let account = client.disable_two_factor_with(secret).await?;
    /// assert_eq!(account.two_factor, TwoFactorStatus::Off);
    ///
    /// let err = client.disable_two_factor_with("not base32!").await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// # Ok(()) }
    /// ```
    pub async fn disable_two_factor_with(&self, secret: impl IntoSecret) -> Result<Account> {
        let secret: &SecretString = &secret.into_secret();
        let name = "disable_two_factor_with";
        let code = totp_code(secret).map_err(|e| rename(e, name))?;
        self.disable_two_factor(code).await.map_err(|e| e.scrub(&[secret.expose_secret()]).reported_as(name))
    }
}

/// The capability a 403 said was missing, if it named one.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};
/// # let server = MockServer::start().await;
/// # let refusal = serde_json::json!({"error": {"status": 403, "code": "403.permissions",
/// #     "title": "Not permitted", "extra": {"capability": "hubs-delete"}}, "data": null});
/// # Mock::given(any()).respond_with(ResponseTemplate::new(403).set_body_json(refusal)).mount(&server).await;
/// # let client = accountkit::cycle::Client::builder().base_url(server.uri()).token("my-api-key").build()?;
/// use accountkit::ErrorKind;
/// use accountkit::cycle::{Capability, missing_capability};
///
/// let err = client.delete_account().await.unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Forbidden);
/// match missing_capability(&err) {
///     Some(Capability::HubsDelete) => println!("ask the hub's owner for hubs-delete"),
///     Some(other) => println!("missing {}", other.as_str()),
///     None => println!("forbidden: {}", err.message()),
/// }
/// assert_eq!(missing_capability(&err), Some(Capability::HubsDelete));
/// # Ok(()) }
/// ```
pub fn missing_capability(error: &crate::Error) -> Option<Capability> {
    match error.details() {
        Details::MissingCapability(capability) if error.provider() == PROVIDER => {
            Some(Capability::from(capability.as_str()))
        }
        _ => None,
    }
}

/// Items with an id, for the pager's repeated-page guard.
trait Identified {
    fn id(&self) -> &str;
}

impl Identified for Login {
    fn id(&self) -> &str {
        &self.record().id
    }
}

impl Identified for Membership {
    fn id(&self) -> &str {
        &self.id
    }
}

/// Walks a list from `query`'s page on: fetches page after page until one
/// comes back shorter than the page size. Ends after the first error, and
/// when the server sends the same page twice (one that ignores
/// `page[number]` would otherwise repeat forever).
fn pages<T, F, Fut>(query: ListQuery, fetch: F) -> Pages<T>
where
    T: Identified + Send + 'static,
    F: Fn(ListQuery) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Vec<T>>> + Send,
{
    struct Pager<F> {
        fetch: F,
        query: ListQuery,
        previous_first: Option<String>,
        done: bool,
    }
    let pager = Pager { fetch, query, previous_first: None, done: false };
    Pages::new(futures::stream::unfold(pager, |mut pager| async move {
        if pager.done {
            return None;
        }
        let first_page = pager.previous_first.is_none();
        match (pager.fetch)(pager.query.clone()).await {
            Err(e) => {
                pager.done = true;
                Some((Err(e), pager))
            }
            // A listing with no items has one page, with none.
            Ok(page) if page.is_empty() && !first_page => None,
            Ok(page) => {
                let first = page.first().map(|item| item.id().to_string());
                if first.is_some() && first == pager.previous_first {
                    return None;
                }
                pager.done = (page.len() as u64) < pager.query.size || pager.query.page == u64::MAX;
                pager.previous_first = first;
                pager.query.page += 1;
                Some((Ok(Page::new(page)), pager))
            }
        }
    }))
}

/// A job that is over: its value when it completed, an error otherwise.
fn finished(op: Op, job: JobStatus) -> Result<JobStatus> {
    match &job.state {
        JobState::Completed => Ok(job),
        JobState::Error => {
            let why = job.error.as_deref().unwrap_or("no reason given");
            Err(op.error(ErrorKind::Rejected, format!("job {} failed: {why}", job.id)))
        }
        _ => Err(op.error(ErrorKind::Rejected, format!("job {} expired before it ran", job.id))),
    }
}

/// A refused TOTP secret reported under the operation that needed it.
fn rename(error: crate::Error, operation: &'static str) -> crate::Error {
    op(operation).invalid("secret", error.message().trim_start_matches("`secret` "))
}

/// Cycle's rule for a changed password: `minLength: 8` on `new` in its
/// spec (`platform/paths/accounts/update-password.yml`).
fn new_password<'a>(call: &mut Call<'a>, field: &str, password: &'a SecretString) -> Result<()> {
    if call.secret(field, password)?.chars().count() < 8 {
        return Err(call.invalid(field, "must have at least 8 characters"));
    }
    Ok(())
}

impl Client {
    /// Runs one raw call; its answer is the `{data}` envelope.
    fn send<'a, T: Envelope>(
        &'a self,
        call: Call<'a>,
        raw: impl Future<
            Output = std::result::Result<
                ResponseValue<T>,
                progenitor_client::Error<raw::types::ErrorEnvelope>,
            >,
        > + 'a,
    ) -> impl Future<Output = Result<T>> + 'a {
        self.core.send(call, raw, |_, response| Ok(response.into_inner()))
    }
}

/// The `{data}` envelope of every answer; `send` takes only these.
trait Envelope: 'static {
    type Data;
    fn into_data(self) -> Self::Data;
}

macro_rules! envelope {
    ($($envelope:ident => $data:ty),* $(,)?) => {$(
        impl Envelope for raw::types::$envelope {
            type Data = $data;
            fn into_data(self) -> $data {
                let Self { data } = self;
                data
            }
        }
    )*};
}

envelope! {
    AccountResponse => raw::types::Account,
    AccountLoginsResponse => Vec<raw::types::AccountLogin>,
    HubMembershipResponse => raw::types::HubMembership,
    HubMembershipsResponse => Vec<raw::types::HubMembership>,
    JobDescriptorResponse => raw::types::JobDescriptor,
    JobResponse => raw::types::JobResource,
    SuccessResponse => raw::types::Success,
    TwoFactorAuthSetupResponse => raw::types::TwoFactorAuthSetup,
    TwoFactorAuthRecoveryResponse => raw::types::TwoFactorAuthRecovery,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use serde_json::json;

    #[test]
    fn reads_the_envelope_and_the_oauth_shape() {
        let envelope = Cycle::read_error(&json!({"error": {"status": 403, "code": "403.permissions",
            "title": "Not allowed", "detail": "Ask an owner", "extra": {"capability": "hubs-delete"}}, "data": null}));
        assert_eq!(envelope.code.as_deref(), Some("403.permissions"));
        assert_eq!(
            envelope.message.as_deref(),
            Some("Not allowed: Ask an owner (missing capability `hubs-delete`)")
        );
        assert!(envelope.is_error && envelope.second_factor.is_none());

        let two_factor =
            Cycle::read_error(&json!({"error": {"status": 403, "code": "403.2fa-required", "title": "2FA"}}));
        assert_eq!(two_factor.second_factor.as_deref(), Some("totp"));

        let oauth =
            Cycle::read_error(&json!({"error": "invalid_token", "error_description": "The token expired"}));
        assert_eq!(oauth.code.as_deref(), Some("invalid_token"));
        assert_eq!(oauth.message.as_deref(), Some("The token expired"));
        let bare = Cycle::read_error(&json!({"error": "invalid_token"}));
        assert_eq!(bare.message.as_deref(), Some("invalid_token"));

        let neither = Cycle::read_error(&json!({"data": {"id": "x"}}));
        assert!(!neither.is_error && neither.code.is_none());
    }

    #[test]
    fn base_urls() {
        assert_eq!(base_url("https://core.example.com/api/").unwrap(), "https://core.example.com/api");
        for bad in ["ftp://x.io", "not a url", "https://x.io/?a=1", "https://u:p@x.io"] {
            let err = base_url(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
            assert!(!err.message().contains("u:p"), "{err}");
        }
    }

    #[test]
    fn login_queries_are_checked() {
        let op = op("logins_page");
        assert!(ListQuery::new().sort_descending("time").filter("success", "true").check(op).is_ok());
        assert_eq!(ListQuery::new().page(0).check(op).unwrap_err().message(), "`page` counts from 1");
        assert!(ListQuery::new().page_size(0).check(op).is_err());
        // Cycle documents no maximum.
        assert!(ListQuery::new().page_size(500).check(op).is_ok());
        assert!(ListQuery::new().filter("a]b", "x").check(op).is_err());
        assert!(ListQuery::new().sort_ascending("").check(op).is_err());
    }
}
