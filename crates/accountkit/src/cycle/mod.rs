//! The account section of the Cycle platform API.
//!
//! ```no_run
//! # async fn run() -> accountkit::Result<()> {
//! use accountkit::cycle::{Client, ListQuery};
//! use futures::TryStreamExt;
//!
//! let cycle = Client::new("my-api-key")?;
//! let account = cycle.get_account().await?;
//! println!("{} {} <{}>", account.name.first, account.name.last, account.email.address);
//!
//! // Two-factor auth in two calls: the setup hands out a secret, and the
//! // client computes the current code from it.
//! let setup = cycle.two_factor_setup().await?;
//! let recovery = cycle.enable_two_factor_with(&setup).await?;
//! println!("{} recovery codes: store them safely", recovery.codes.len());
//!
//! // Every login, page after page.
//! let logins: Vec<_> = cycle.logins(&ListQuery::new().sort_descending("time")).try_collect().await?;
//! println!("{} logins", logins.len());
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
//! work from [`Client::anonymous`]. Errors carry Cycle's code (e.g.
//! `403.2fa-required`, see [`ErrorCode`]) and title; an OAuth-style
//! authentication error is read too. Cloning is cheap and shares the
//! connection pool.

mod types;

use std::future::Future;

use crate::IntoSecret;
use accountkit_cycle_raw as raw;
use accountkit_runtime::Auth;
use futures::Stream;
use progenitor_client::ResponseValue;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::call::{self, Op, VendorError};
use crate::error::{ErrorKind, Result};
use crate::validate;
use accountkit_runtime::Context;

pub use types::*;

const PROVIDER: &str = "cycle";

/// The public Cycle platform API.
pub const DEFAULT_BASE_URL: &str = "https://api.cycle.io";

pub(crate) const fn op(name: &'static str) -> Op {
    Op { provider: PROVIDER, name }
}

/// Builds a [`Client`] with more than the defaults.
pub struct ClientBuilder {
    base_url: String,
    token: Option<SecretString>,
    hub_id: Option<String>,
    transport: call::Transport,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("hub_id", &self.hub_id)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    call::transport_options!(
        "accountkit::cycle::Client::builder()",
        "accountkit::cycle::Client::builder().base_url(\"http://cycle.internal:8080\")"
    );

    /// The API key or session token, sent as `Authorization: Bearer`.
    pub fn token(mut self, token: impl IntoSecret) -> Self {
        self.token = Some(token.into_secret());
        self
    }

    /// The hub requests are scoped to, sent as `X-Hub-Id`.
    pub fn hub_id(mut self, hub_id: impl Into<String>) -> Self {
        self.hub_id = Some(hub_id.into());
        self
    }

    /// Another base URL, such as a private Cycle core or a sandbox.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client> {
        let op = op("client");
        let base_url = base_url(&self.base_url)?;
        if let Some(hub) = &self.hub_id {
            validate::header(op, "hub_id", hub)?;
        }
        let auth = match &self.token {
            Some(token) => call::bearer(op, "token", token)?,
            None => Auth::none(),
        };
        let http = self.transport.http_client(op)?;
        self.transport.check_scheme(op, &base_url)?;
        Ok(Client {
            raw: raw::Client::new_with_client(
                &base_url,
                http,
                Context::new(auth, self.transport.policy(PROVIDER)),
            ),
            base_url,
            hub_id: self.hub_id,
        })
    }
}

fn base_url(url: &str) -> Result<String> {
    validate::base_url(op("client"), "base_url", url)
}

/// A Cycle account client. See the [module docs](self).
#[derive(Clone)]
pub struct Client {
    raw: raw::Client,
    base_url: String,
    hub_id: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .field("hub_id", &self.hub_id)
            .field("auth", &progenitor_client::ClientInfo::inner(&self.raw).auth)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client of `https://api.cycle.io` with an API key or session token.
    pub fn new(token: impl IntoSecret) -> Result<Client> {
        Client::builder().token(token).build()
    }

    /// A client without a token, for the logged-out flows only (password
    /// reset, two-factor recovery).
    pub fn anonymous() -> Result<Client> {
        Client::builder().build()
    }

    /// Starts a [`ClientBuilder`] for `https://api.cycle.io`.
    pub fn builder() -> ClientBuilder {
        ClientBuilder {
            base_url: DEFAULT_BASE_URL.to_string(),
            token: None,
            hub_id: None,
            transport: call::Transport::default(),
        }
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The hub sent as `X-Hub-Id`, if any.
    pub fn hub_id(&self) -> Option<&str> {
        self.hub_id.as_deref()
    }

    fn hub(&self) -> Option<&str> {
        self.hub_id.as_deref()
    }

    // ---- the account ----

    /// The account the token belongs to.
    pub async fn get_account(&self) -> Result<Account> {
        let response = self.send(op("get_account"), &[], self.raw.get_account(self.hub())).await?;
        Ok(Account::from(response.data))
    }

    /// Changes the account's name or support-login setting; returns the
    /// updated account.
    pub async fn update_account(&self, update: &AccountUpdate) -> Result<Account> {
        let op = op("update_account");
        let body = update.to_raw(op)?;
        let response = self.send(op, &[], self.raw.update_account(self.hub(), &body)).await?;
        Ok(Account::from(response.data))
    }

    /// Starts deleting the account (HTTP 202) and returns the job doing it.
    /// Cycle refuses while the account owns an active hub.
    pub async fn delete_account(&self) -> Result<JobDescriptor> {
        let response = self.send(op("delete_account"), &[], self.raw.delete_account(self.hub())).await?;
        Ok(JobDescriptor::from(response.data))
    }

    /// Deletes the account and waits, as `tracking` says, until the job
    /// doing it is over; returns the completed job. A failed or expired job
    /// is an [`ErrorKind::Rejected`] error, a deadline passed an
    /// [`ErrorKind::Transport`] one that [`is_timeout`](crate::Error::is_timeout).
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
    pub async fn get_job(&self, job_id: &str) -> Result<JobStatus> {
        let op = op("get_job");
        validate::path_segment(op, "job_id", job_id)?;
        let response = self.send(op, &[], self.raw.get_job(job_id, self.hub())).await?;
        Ok(JobStatus::from(response.data))
    }

    /// Polls the job `job_id` until it is over, as Cycle's TypeScript
    /// client's `trackJob` does: every `tracking` interval, riding out a
    /// few `404.job` answers while a new job becomes visible. Returns the
    /// completed job; errors as for
    /// [`delete_account_and_wait`](Client::delete_account_and_wait).
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
    pub async fn logins_page(&self, query: &ListQuery) -> Result<Vec<Login>> {
        let op = op("logins_page");
        query.check(op)?;
        let filter = query.filter_map();
        let call = self.raw.get_account_logins(
            (!filter.is_empty()).then_some(&filter),
            Some(query.page),
            Some(query.size),
            (!query.sort.is_empty()).then_some(&query.sort),
            self.hub(),
        );
        let response = self.send(op, &[], call).await?;
        Ok(response.data.into_iter().map(Login::from).collect())
    }

    /// Every login `query` selects, from its page on: fetches page after
    /// page until one comes back shorter than the page size. The stream ends
    /// after the first error, and when the server sends the same page twice.
    pub fn logins(&self, query: &ListQuery) -> impl Stream<Item = Result<Login>> + Send + 'static {
        let client = self.clone();
        pages(query.clone(), move |q| {
            let client = client.clone();
            async move { client.logins_page(&q).await.map_err(|e| e.reported_as("logins")) }
        })
    }

    /// Every login `query` selects, collected; see [`logins`](Client::logins).
    pub async fn all_logins(&self, query: &ListQuery) -> Result<Vec<Login>> {
        use futures::TryStreamExt;
        self.logins(query).map_err(|e| e.reported_as("all_logins")).try_collect().await
    }

    /// One page of the account's pending hub invitations.
    pub async fn invites_page(&self, query: &ListQuery) -> Result<Vec<Membership>> {
        let op = op("invites_page");
        query.check(op)?;
        let filter = query.filter_map();
        let call = self.raw.get_account_invites(
            (!filter.is_empty()).then_some(&filter),
            Some(query.page),
            Some(query.size),
            (!query.sort.is_empty()).then_some(&query.sort),
            self.hub(),
        );
        let response = self.send(op, &[], call).await?;
        Ok(response.data.into_iter().map(Membership::from).collect())
    }

    /// Every pending invitation `query` selects, page after page.
    pub fn invites(&self, query: &ListQuery) -> impl Stream<Item = Result<Membership>> + Send + 'static {
        let client = self.clone();
        pages(query.clone(), move |q| {
            let client = client.clone();
            async move { client.invites_page(&q).await.map_err(|e| e.reported_as("invites")) }
        })
    }

    /// Accepts an invitation; returns the membership.
    pub async fn accept_invite(&self, invite_id: &str) -> Result<Membership> {
        self.answer_invite(op("accept_invite"), invite_id, true).await
    }

    /// Declines an invitation; returns the membership.
    pub async fn decline_invite(&self, invite_id: &str) -> Result<Membership> {
        self.answer_invite(op("decline_invite"), invite_id, false).await
    }

    async fn answer_invite(&self, op: Op, invite_id: &str, accept: bool) -> Result<Membership> {
        validate::path_segment(op, "invite_id", invite_id)?;
        let body = match accept {
            true => raw::types::InviteAnswer { accept: Some(true), decline: None },
            false => raw::types::InviteAnswer { accept: None, decline: Some(true) },
        };
        let response =
            self.send(op, &[], self.raw.update_account_invite(invite_id, self.hub(), &body)).await?;
        Ok(Membership::from(response.data))
    }

    /// One page of the hubs the account is a member of.
    pub async fn memberships_page(&self, query: &ListQuery) -> Result<Vec<Membership>> {
        let op = op("memberships_page");
        query.check(op)?;
        let filter = query.filter_map();
        let call = self.raw.get_account_memberships(
            (!filter.is_empty()).then_some(&filter),
            Some(query.page),
            Some(query.size),
            (!query.sort.is_empty()).then_some(&query.sort),
            self.hub(),
        );
        let response = self.send(op, &[], call).await?;
        Ok(response.data.into_iter().map(Membership::from).collect())
    }

    /// Every hub the account is a member of, collected.
    pub async fn all_memberships(&self) -> Result<Vec<Membership>> {
        use futures::TryStreamExt;
        let all = self.memberships(&ListQuery::new().page_size(100));
        all.map_err(|e| e.reported_as("all_memberships")).try_collect().await
    }

    /// Every membership `query` selects, page after page.
    pub fn memberships(&self, query: &ListQuery) -> impl Stream<Item = Result<Membership>> + Send + 'static {
        let client = self.clone();
        pages(query.clone(), move |q| {
            let client = client.clone();
            async move { client.memberships_page(&q).await.map_err(|e| e.reported_as("memberships")) }
        })
    }

    /// Changes the password, given the current one (the new one needs at
    /// least 8 characters); returns the account.
    pub async fn change_password(&self, current: impl IntoSecret, new: impl IntoSecret) -> Result<Account> {
        let current: &SecretString = &current.into_secret();
        let new: &SecretString = &new.into_secret();
        let op = op("change_password");
        validate::secret(op, "current", current.expose_secret())?;
        new_password(op, "new", new)?;
        let body = raw::types::PasswordChange { current: current.into(), new: new.into() };
        let secrets = [current.expose_secret(), new.expose_secret()];
        let response = self.send(op, &secrets, self.raw.change_password(self.hub(), &body)).await?;
        Ok(Account::from(response.data))
    }

    // ---- logged out ----

    /// Asks Cycle to email a password-reset token to `email`. Returns the
    /// server's `success` flag.
    pub async fn start_password_reset(&self, email: &str) -> Result<bool> {
        let op = op("start_password_reset");
        validate::email(op, "email", email)?;
        let body = raw::types::PasswordReset::from(raw::types::PasswordResetStart {
            email: raw::types::EmailAddress { address: email.to_string() },
        });
        let response = self.send(op, &[], self.raw.reset_password(self.hub(), &body)).await?;
        Ok(response.data.success)
    }

    /// Sets a new password with the token from the reset email. Returns the
    /// server's `success` flag.
    pub async fn complete_password_reset(
        &self,
        token: impl IntoSecret,
        new_password: impl IntoSecret,
    ) -> Result<bool> {
        let token: &SecretString = &token.into_secret();
        let new_password: &SecretString = &new_password.into_secret();
        let op = op("complete_password_reset");
        validate::secret(op, "token", token.expose_secret())?;
        // No length rule here: the vendor documents none for a reset.
        validate::secret(op, "password", new_password.expose_secret())?;
        let body = raw::types::PasswordReset::from(raw::types::PasswordResetComplete {
            token: token.into(),
            password: new_password.into(),
        });
        let secrets = [token.expose_secret(), new_password.expose_secret()];
        let response = self.send(op, &secrets, self.raw.reset_password(self.hub(), &body)).await?;
        Ok(response.data.success)
    }

    /// Turns off a lost authenticator with recovery codes, and returns a
    /// fresh secret to set up again.
    pub async fn recover_two_factor(&self, recovery: &TwoFactorRecovery) -> Result<TwoFactorSetup> {
        let op = op("recover_two_factor");
        let body = recovery.to_raw(op)?;
        let response =
            self.send(op, &recovery.secrets(), self.raw.recover_two_factor_auth(self.hub(), &body)).await?;
        Ok(TwoFactorSetup::from(response.data))
    }

    // ---- two-factor auth ----

    /// Starts setting up two-factor auth: a TOTP secret for an
    /// authenticator app, and its QR code.
    pub async fn two_factor_setup(&self) -> Result<TwoFactorSetup> {
        let op = op("two_factor_setup");
        let response = self.send(op, &[], self.raw.get_two_factor_auth_setup(self.hub())).await?;
        Ok(TwoFactorSetup::from(response.data))
    }

    /// Turns two-factor auth on with a code from the authenticator app;
    /// returns the recovery codes, shown this once.
    pub async fn enable_two_factor(&self, code: impl IntoSecret) -> Result<RecoveryCodes> {
        let code: &SecretString = &code.into_secret();
        let op = op("enable_two_factor");
        validate::pin(op, "code", code.expose_secret())?;
        let body = raw::types::TotpToken { token: code.into() };
        let response = self
            .send(op, &[code.expose_secret()], self.raw.enable_two_factor_auth(self.hub(), &body))
            .await?;
        Ok(RecoveryCodes::from(response.data))
    }

    /// Turns two-factor auth on in one call for a caller holding the secret
    /// of [`two_factor_setup`](Client::two_factor_setup): computes the
    /// current code and sends it.
    pub async fn enable_two_factor_with(&self, setup: &TwoFactorSetup) -> Result<RecoveryCodes> {
        let name = "enable_two_factor_with";
        let code = setup.current_code().map_err(|e| rename(e, name))?;
        self.enable_two_factor(code)
            .await
            .map_err(|e| e.scrub(&[setup.secret.expose_secret()]).reported_as(name))
    }

    /// Turns two-factor auth off with a current code; returns the account.
    pub async fn disable_two_factor(&self, code: impl IntoSecret) -> Result<Account> {
        let code: &SecretString = &code.into_secret();
        let op = op("disable_two_factor");
        validate::pin(op, "code", code.expose_secret())?;
        let body = raw::types::TotpToken { token: code.into() };
        let response = self
            .send(op, &[code.expose_secret()], self.raw.disable_two_factor_auth(self.hub(), &body))
            .await?;
        Ok(Account::from(response.data))
    }

    /// Turns two-factor auth off, computing the current code from the
    /// account's TOTP secret.
    pub async fn disable_two_factor_with(&self, secret: impl IntoSecret) -> Result<Account> {
        let secret: &SecretString = &secret.into_secret();
        let name = "disable_two_factor_with";
        let code = totp_code(secret).map_err(|e| rename(e, name))?;
        self.disable_two_factor(code).await.map_err(|e| e.scrub(&[secret.expose_secret()]).reported_as(name))
    }
}

/// The capability a 403 said was missing, if it named one.
pub fn missing_capability(error: &crate::Error) -> Option<Capability> {
    if error.provider() != PROVIDER {
        return None;
    }
    let (_, rest) = error.message().rsplit_once(CAPABILITY_NOTE)?;
    rest.strip_suffix("`)").map(Capability::from)
}

/// How [`read_error`] appends a missing capability to the message.
const CAPABILITY_NOTE: &str = " (missing capability `";

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
fn pages<T, F, Fut>(query: ListQuery, fetch: F) -> impl Stream<Item = Result<T>> + Send + 'static
where
    T: Identified + Send + 'static,
    F: Fn(ListQuery) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Vec<T>>> + Send,
{
    struct Pager<T, F> {
        fetch: F,
        query: ListQuery,
        buffered: std::vec::IntoIter<T>,
        previous_first: Option<String>,
        done: bool,
    }
    let pager = Pager { fetch, query, buffered: Vec::new().into_iter(), previous_first: None, done: false };
    futures::stream::unfold(pager, |mut pager| async move {
        loop {
            if let Some(item) = pager.buffered.next() {
                return Some((Ok(item), pager));
            }
            if pager.done {
                return None;
            }
            match (pager.fetch)(pager.query.clone()).await {
                Err(e) => {
                    pager.done = true;
                    return Some((Err(e), pager));
                }
                Ok(page) => {
                    let first = page.first().map(|item| item.id().to_string());
                    if first.is_some() && first == pager.previous_first {
                        return None;
                    }
                    pager.done = (page.len() as u64) < pager.query.size || pager.query.page == u64::MAX;
                    pager.previous_first = first;
                    pager.query.page += 1;
                    pager.buffered = page.into_iter();
                }
            }
        }
    })
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
fn new_password(op: Op, field: &str, password: &SecretString) -> Result<()> {
    validate::secret(op, field, password.expose_secret())?;
    if password.expose_secret().chars().count() < 8 {
        return Err(op.invalid(field, "must have at least 8 characters"));
    }
    Ok(())
}

impl Client {
    /// Runs one raw call. `secrets` and the client's token are scrubbed
    /// from any error text.
    fn send<T>(
        &self,
        op: Op,
        secrets: &[&str],
        call: impl Future<
            Output = std::result::Result<
                ResponseValue<T>,
                progenitor_client::Error<raw::types::ErrorEnvelope>,
            >,
        >,
    ) -> impl Future<Output = Result<T>> {
        let token = progenitor_client::ClientInfo::inner(&self.raw).auth.expose_secret();
        call::outcome(op, accountkit_runtime::observe(call), read_error, |e| e, secrets, token)
    }
}

/// Reads Cycle's envelope `{error: {status, code, title, detail?, extra?}}`
/// or the OAuth shape `{error: "<code>", error_description?}` that
/// authentication failures use.
fn read_error(body: &Value) -> VendorError {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
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
            if let Some(capability) = text(error.get("extra").and_then(|e| e.get("capability"))) {
                let base = message.unwrap_or_else(|| "forbidden".to_string());
                message = Some(format!("{base}{CAPABILITY_NOTE}{capability}`)"));
            }
            let second_factor =
                (code.as_deref() == Some(ErrorCode::TwoFactorRequired.as_str())).then(|| "totp".to_string());
            VendorError { code, message, is_error: true, second_factor }
        }
        Some(Value::String(code)) => VendorError {
            code: Some(code.clone()),
            message: text(body.get("error_description")).or_else(|| Some(code.clone())),
            is_error: true,
            second_factor: None,
        },
        _ => VendorError::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use serde_json::json;

    #[test]
    fn reads_the_envelope_and_the_oauth_shape() {
        let envelope = read_error(&json!({"error": {"status": 403, "code": "403.permissions",
            "title": "Not allowed", "detail": "Ask an owner", "extra": {"capability": "hubs-delete"}}, "data": null}));
        assert_eq!(envelope.code.as_deref(), Some("403.permissions"));
        assert_eq!(
            envelope.message.as_deref(),
            Some("Not allowed: Ask an owner (missing capability `hubs-delete`)")
        );
        assert!(envelope.is_error && envelope.second_factor.is_none());

        let two_factor =
            read_error(&json!({"error": {"status": 403, "code": "403.2fa-required", "title": "2FA"}}));
        assert_eq!(two_factor.second_factor.as_deref(), Some("totp"));

        let oauth = read_error(&json!({"error": "invalid_token", "error_description": "The token expired"}));
        assert_eq!(oauth.code.as_deref(), Some("invalid_token"));
        assert_eq!(oauth.message.as_deref(), Some("The token expired"));
        let bare = read_error(&json!({"error": "invalid_token"}));
        assert_eq!(bare.message.as_deref(), Some("invalid_token"));

        let neither = read_error(&json!({"data": {"id": "x"}}));
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
