//! In-process, stateful fakes of the account APIs that `accountkit` speaks.
//!
//! [`Sandbox::start`] binds one HTTP server on `127.0.0.1` with a free port and
//! serves every provider's fake under its own path prefix (TagoIO under
//! `/tagoio`). Each provider has a handle (for example [`Sandbox::tagoio`]) that
//! points a client at the fake and inspects what the fake "sent" (confirmation
//! emails, PINs, invitations) and which requests it received.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use accountkit::tagoio::{Client, NewAccount, Region};
//! use accountkit_sandbox::Sandbox;
//!
//! let sandbox = Sandbox::start().await?;
//! let tagoio = sandbox.tagoio();
//! let client = Client::anonymous(Region::Custom(tagoio.base_url()))?;
//! client.create(&NewAccount::new("Ada", "ada@example.com", "correct horse", "UTC")).await?;
//! // What the confirmation email carried:
//! let token = tagoio.confirmation_token("ada@example.com").expect("a confirmation email");
//! client.confirm_account(token).await?;
//! assert!(tagoio.account_exists("ada@example.com"));
//! # Ok(()) }
//! ```
//!
//! Tokens, PINs and codes the handles hand out are
//! [`SecretString`](secrecy::SecretString)s, which accountkit calls take as
//! they are; test users' passwords go in as a literal or a `SecretString`.
//!
//! Dropping the [`Sandbox`] stops the server.
//!
//! The same server answers an admin API under `/_sandbox/` (see [`admin`]):
//! the handles' API over HTTP, for tests written in any language. The
//! `accountkit-sandbox` binary serves it all as a separate process.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sandbox = accountkit_sandbox::Sandbox::start().await?;
//! # let http = accountkit::http_client_builder()?.build()?;
//! use serde_json::{Value, json};
//!
//! let admin = format!("http://{}/_sandbox", sandbox.addr());
//! let body = json!({"email": "ada@example.com", "password": "correct horse"});
//! let ready: Value =
//!     http.post(format!("{admin}/tagoio/accounts")).json(&body).send().await?.json().await?;
//! assert!(ready["token"].is_string());
//! assert!(sandbox.tagoio().account_exists("ada@example.com"));
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use axum::Router;
use axum::http::{Method, Uri};
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// An HTTP client for the unit tests. With accountkit's default `rustls`
/// feature reqwest has no crypto provider of its own, so it takes
/// accountkit's TLS set-up.
#[cfg(test)]
fn test_http() -> reqwest::Client {
    accountkit::http_client_builder().expect("TLS set-up").build().expect("an HTTP client")
}

pub mod admin;
pub mod conformance;
pub mod cycle;
pub mod logto;
pub mod pangea;
mod serve;
pub mod stx;
pub mod tagoio;

/// A running sandbox server with every provider's fake mounted.
///
/// Dropping it stops the server: the listener closes at once and open
/// connections are closed once idle. The state handles stay usable after that,
/// but nothing answers on [`Sandbox::addr`] any more.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    fakes: Fakes,
    env: Env,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: JoinHandle<()>,
    checks: conformance::Checks,
}

/// Every provider's fake, the one list of them: the rest walks [`Fakes::all`].
#[derive(Debug, Clone)]
pub(crate) struct Fakes {
    pub tagoio: tagoio::TagoIo,
    pub stx: stx::Stx,
    pub pangea: pangea::Pangea,
    pub cycle: cycle::Cycle,
    pub logto: logto::Logto,
}

impl Fakes {
    fn new(addr: SocketAddr) -> Fakes {
        let base = |prefix: &str| format!("http://{addr}{prefix}");
        Fakes {
            tagoio: tagoio::TagoIo::new(base(tagoio::PREFIX)),
            stx: stx::Stx::new(base(stx::PREFIX)),
            pangea: pangea::Pangea::new(base(pangea::PREFIX)),
            cycle: cycle::Cycle::new(base(cycle::PREFIX)),
            logto: logto::Logto::new(base(logto::PREFIX)),
        }
    }

    pub(crate) fn all(&self) -> [&dyn Fake; 5] {
        [&self.tagoio, &self.stx, &self.pangea, &self.cycle, &self.logto]
    }

    fn reset(&self) {
        self.all().into_iter().for_each(|fake| fake.reset());
    }
}

/// What the server and the admin API ask of a provider's fake.
pub(crate) trait Fake: Send + Sync {
    /// Where it is served, `/tagoio`.
    fn prefix(&self) -> &'static str;

    /// Its name in the admin API: `?provider=` and `/_sandbox/<name>/...`.
    fn name(&self) -> &'static str {
        &self.prefix()[1..]
    }

    /// The provider's API.
    fn router(&self) -> Router;

    /// Its admin routes, served under `/_sandbox/<name>`. A test fake's
    /// admin channel: they answer the secrets it hands out in plain JSON.
    fn admin_routes(&self) -> Router;

    /// Empties the fake, as if the server had just started.
    fn reset(&self);

    /// Adds what it "sent" to an outbox read.
    fn outbox(&self, _read: &mut admin::Read) {}

    /// Adds the requests it received to a request log read.
    fn requests(&self, read: &mut admin::Read);
}

/// How to start a [`Sandbox`]: where it listens and how it draws its ids.
#[derive(Debug, Clone)]
pub struct Options {
    addr: SocketAddr,
    seed: Option<u64>,
    pub(crate) limits: Limits,
}

/// What one client may take of a shared server: set with [`Options::limits`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Limits {
    /// Entries each fake keeps in its request log and in its outbox; older
    /// ones are dropped first. Default 10,000.
    pub journal_entries: usize,
    /// Serve any `Host` header, not only loopback names and addresses.
    /// Default off (a page in a browser cannot reach the admin API through
    /// DNS rebinding).
    pub allow_remote: bool,
    /// How long a connection may take to send a request's headers, and may
    /// stay open waiting for its next request. Default 30 s.
    pub idle_timeout: std::time::Duration,
    /// How long a request's body may take to arrive; a slower one gets 408.
    /// Default 30 s.
    pub request_timeout: std::time::Duration,
    /// The largest request body taken; a larger one gets 413. Default 1 MiB.
    pub body_bytes: usize,
    /// Connections served at once; one more gets 503 at once. Default 256.
    pub max_connections: usize,
    /// How long a shutdown waits for requests in flight before it drops
    /// them. Default 3 s.
    pub shutdown_grace: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        use std::time::Duration;
        Limits {
            journal_entries: 10_000,
            allow_remote: false,
            idle_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            body_bytes: 1 << 20,
            max_connections: 256,
            shutdown_grace: Duration::from_secs(3),
        }
    }
}

impl Default for Options {
    /// `127.0.0.1` on a free port, ids drawn at random.
    fn default() -> Self {
        Options { addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), seed: None, limits: Limits::default() }
    }
}

impl Options {
    /// Listens on this address (port 0: a free one).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use accountkit_sandbox::{Options, Sandbox};
    /// use std::net::SocketAddr;
    ///
    /// let options = Options::default().addr(SocketAddr::from(([127, 0, 0, 1], 0)));
    /// let sandbox = Sandbox::start_with(options).await?;
    /// assert_ne!(sandbox.addr().port(), 0, "a free port was picked");
    /// # Ok(()) }
    /// ```
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Draws every id, code and token the fakes make, while they serve a
    /// request, from a generator seeded with `seed`: the same requests in
    /// the same order get the same answers. Without it they are random.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use accountkit::ExposeSecret;
    /// use accountkit::tagoio::{Client, NewAccount, Region};
    /// use accountkit_sandbox::{Options, Sandbox};
    ///
    /// let mut tokens = Vec::new();
    /// for _ in 0..2 {
    ///     let sandbox = Sandbox::start_with(Options::default().seed(7)).await?;
    ///     let client = Client::anonymous(Region::Custom(sandbox.tagoio().base_url()))?;
    ///     client.create(&NewAccount::new("Ada", "ada@example.com", "correct horse", "UTC")).await?;
    ///     tokens.push(sandbox.tagoio().confirmation_token("ada@example.com").expect("an email"));
    /// }
    /// assert_eq!(tokens[0].expose_secret(), tokens[1].expose_secret());
    /// # Ok(()) }
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Replaces the [`Limits`] a shared server keeps.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use accountkit_sandbox::{Limits, Options, Sandbox};
    ///
    /// let mut limits = Limits::default();
    /// limits.journal_entries = 100;
    /// let sandbox = Sandbox::start_with(Options::default().limits(limits)).await?;
    /// assert!(sandbox.addr().ip().is_loopback());
    /// # Ok(()) }
    /// ```
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

impl Sandbox {
    /// Binds `127.0.0.1` on a free port and starts serving.
    ///
    /// Must be called inside a Tokio runtime; the server runs as a task of that
    /// runtime. The socket is bound before this returns, so requests may be
    /// sent right away.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use accountkit::tagoio::{Client, Region};
    /// use accountkit_sandbox::Sandbox;
    ///
    /// let sandbox = Sandbox::start().await?;
    /// let ada = sandbox.tagoio().add_account("ada@example.com", "correct horse");
    /// let client = Client::new(Region::Custom(sandbox.tagoio().base_url()), ada.token)?;
    /// assert_eq!(client.info().await?.email, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub async fn start() -> std::io::Result<Sandbox> {
        Sandbox::start_with(Options::default()).await
    }

    /// [`start`](Sandbox::start) with other [`Options`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use accountkit_sandbox::{Options, Sandbox};
    ///
    /// let sandbox = Sandbox::start_with(Options::default().seed(42)).await?;
    /// assert!(sandbox.addr().ip().is_loopback());
    /// # Ok(()) }
    /// ```
    pub async fn start_with(options: Options) -> std::io::Result<Sandbox> {
        let listener = TcpListener::bind(options.addr).await?;
        let addr = listener.local_addr()?;
        let env = Env::new(options.seed, options.limits.clone());
        // Made inside the environment, so a seed decides their tokens too.
        let fakes = env.enter(|| Fakes::new(addr));
        let checks = conformance::Checks::default();
        let mut app = Router::new();
        for fake in fakes.all() {
            app = app.nest(fake.prefix(), checks.layer(fake.name(), fake.router()));
        }
        let app = app
            .nest(admin::PREFIX, admin::router(fakes.clone(), env.clone()))
            .fallback(outside_providers)
            .layer(axum::middleware::from_fn_with_state(options.limits.clone(), serve::guarded))
            .layer(axum::middleware::from_fn_with_state(env.clone(), in_environment))
            .layer(axum::middleware::from_fn_with_state(options.limits.allow_remote, loopback_hosts_only));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve::serve(listener, app, options.limits, stopped));
        Ok(Sandbox { addr, fakes, env, stop: Some(stop), server, checks })
    }

    /// Stops taking connections, lets the requests in flight finish, and
    /// returns once the server is done.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use accountkit_sandbox::Sandbox;
    ///
    /// let sandbox = Sandbox::start().await?;
    /// let addr = sandbox.addr();
    /// sandbox.shutdown().await;
    /// assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.server).await;
    }

    /// The socket address the server listens on.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use accountkit_sandbox::Sandbox;
    ///
    /// let sandbox = Sandbox::start().await?;
    /// assert!(sandbox.addr().ip().is_loopback());
    /// assert_eq!(sandbox.tagoio().base_url(), format!("http://{}/tagoio", sandbox.addr()));
    /// # Ok(()) }
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Moves every fake's clock forward: verification records, tokens and
    /// TOTP windows expire as if that much time had passed. What the admin
    /// API's `POST /_sandbox/clock` does.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let logto = sandbox.logto();
    /// # let token = logto.add_user("ada@example.com", "correct horse");
    /// # let client = accountkit::logto::Client::new(logto.base_url(), token)?;
    /// use std::time::Duration;
    ///
    /// // Logto's verification records live 10 minutes.
    /// let proof = client.verify_password("correct horse").await?;
    /// sandbox.advance_clock(Duration::from_secs(11 * 60));
    /// let err = client.update_password(&proof, "battery staple").await.unwrap_err();
    /// assert_eq!(err.code(), Some("verification_record.permission_denied"));
    /// # Ok(()) }
    /// ```
    pub fn advance_clock(&self, by: std::time::Duration) {
        self.env.advance(by);
    }

    /// Empties every fake, as if the server had just started. What the
    /// admin API's `POST /_sandbox/reset` does.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// let tagoio = sandbox.tagoio();
    /// tagoio.add_account("ada@example.com", "correct horse");
    /// sandbox.reset();
    /// assert!(!tagoio.account_exists("ada@example.com"));
    /// assert!(tagoio.requests().is_empty());
    /// # Ok(()) }
    /// ```
    pub fn reset(&self) {
        self.env.reset_clock();
        self.env.enter(|| self.fakes.reset());
    }

    /// A handle to the TagoIO fake, served under `/tagoio`.
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
    pub fn tagoio(&self) -> tagoio::TagoIo {
        self.fakes.tagoio.clone()
    }

    /// A handle to the STX GraphQL fake, served under `/stx`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
    ///
    /// let stx = sandbox.stx();
    /// stx.add_user("ada@example.com", "correct horse", false);
    /// let client = Client::new(Host::Custom(stx.base_url()))?;
    /// let outcome = client.login(&Credentials::new("ada@example.com", "correct horse")).await?;
    /// assert!(matches!(outcome, LoginOutcome::LoggedIn(_)));
    /// # Ok(()) }
    /// ```
    pub fn stx(&self) -> stx::Stx {
        self.fakes.stx.clone()
    }

    /// A handle to the Pangea AuthN fake, served under `/pangea`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::pangea::{Client, NewUser};
    ///
    /// let pangea = sandbox.pangea();
    /// let service = Client::builder(pangea.service_token()).base_url(pangea.base_url()).build()?;
    /// service.user_create(&NewUser::new("ada@example.com")).await?;
    /// assert_eq!(pangea.user_count(), 1);
    /// # Ok(()) }
    /// ```
    pub fn pangea(&self) -> pangea::Pangea {
        self.fakes.pangea.clone()
    }

    /// A handle to the Cycle fake, served under `/cycle`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::cycle::Client;
    ///
    /// let cycle = sandbox.cycle();
    /// let token = cycle.create_account("ada@example.com", "Ada", "Lovelace", "correct horse");
    /// let client = Client::builder().base_url(cycle.base_url()).token(token).build()?;
    /// assert_eq!(client.get_account().await?.name.first, "Ada");
    /// # Ok(()) }
    /// ```
    pub fn cycle(&self) -> cycle::Cycle {
        self.fakes.cycle.clone()
    }

    /// A handle to the Logto fake, served under `/logto`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::logto::Client;
    ///
    /// let logto = sandbox.logto();
    /// let token = logto.add_user("ada@example.com", "correct horse");
    /// let client = Client::new(logto.base_url(), token)?;
    /// assert_eq!(client.get_profile().await?.primary_email.as_deref(), Some("ada@example.com"));
    /// # Ok(()) }
    /// ```
    pub fn logto(&self) -> logto::Logto {
        self.fakes.logto.clone()
    }

    /// What the REST fakes answered, or accepted, against the API
    /// descriptions so far (see [`conformance`]). Dropping the sandbox
    /// panics when this is not empty.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// use accountkit::logto::Client;
    ///
    /// let token = sandbox.logto().add_user("ada@example.com", "correct horse");
    /// Client::new(sandbox.logto().base_url(), token)?.get_profile().await?;
    /// assert!(sandbox.conformance_violations().is_empty());
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "conformance")]
    pub fn conformance_violations(&self) -> Vec<conformance::Violation> {
        self.checks.violations()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Dropping axum's server future also tells open connections to close.
        self.server.abort();
        self.checks.finish();
    }
}

/// 404 for paths under no provider's prefix.
async fn outside_providers(method: Method, uri: Uri) -> Response {
    json_response(
        axum::http::StatusCode::NOT_FOUND,
        serde_json::json!({
            "error": format!("Route not found: {method} {} (no provider is mounted there)", uri.path()),
        }),
    )
}

/// Builds a JSON response with the given status.
pub(crate) fn json_response(status: axum::http::StatusCode, body: serde_json::Value) -> Response {
    use axum::response::IntoResponse;
    (status, axum::Json(body)).into_response()
}

/// Random string of `len` characters from `alphabet`.
pub(crate) fn random_string(alphabet: &[u8], len: usize) -> String {
    with_rng(|rng| (0..len).map(|_| char::from(alphabet[rng.usize(..alphabet.len())])).collect())
}

/// A random number below `bound`.
pub(crate) fn random_below(bound: u32) -> u32 {
    with_rng(|rng| rng.u32(..bound))
}

/// Random bytes.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    with_rng(|rng| rng.fill(&mut bytes));
    bytes
}

/// The fakes' clock: the real time, moved forward by the sandbox serving
/// the current request (see [`Sandbox::advance_clock`]).
pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    let offset = ENV.try_with(|env| env.0.offset_ms.load(Ordering::Relaxed)).unwrap_or(0);
    let real = chrono::Utc::now();
    real.checked_add_signed(chrono::TimeDelta::milliseconds(offset)).unwrap_or(real)
}

/// `from` moved by `by`, or the latest date there is: a lifetime never
/// overflows into a panic or an expiry in the past.
pub(crate) fn later(
    from: chrono::DateTime<chrono::Utc>,
    by: chrono::TimeDelta,
) -> chrono::DateTime<chrono::Utc> {
    from.checked_add_signed(by).unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

/// How far the clock may be moved, and the longest lifetime a fake takes:
/// 100 years. Within it, no date the fakes compute can overflow.
pub(crate) const MAX_SECONDS: u64 = 100 * 365 * 24 * 60 * 60;

/// A number that grows with every call in the process: orders what the
/// fakes record across providers.
pub(crate) fn sequence() -> u64 {
    // From 1: `after=0` in the admin reads means from the start.
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Draws from the seeded generator of the sandbox serving the current
/// request, or from the thread's own.
fn with_rng<T>(draw: impl FnOnce(&mut fastrand::Rng) -> T) -> T {
    let env = ENV.try_with(Env::clone).ok();
    match env.as_ref().and_then(|env| env.0.rng.as_ref()) {
        Some(rng) => draw(&mut rng.lock().unwrap_or_else(|e| e.into_inner())),
        None => draw(&mut fastrand::Rng::new()),
    }
}

/// What a sandbox shares with its fakes while they serve: the seeded
/// generator and the clock's offset.
#[derive(Debug, Clone)]
pub(crate) struct Env(Arc<EnvData>);

#[derive(Debug)]
struct EnvData {
    rng: Option<std::sync::Mutex<fastrand::Rng>>,
    offset_ms: AtomicI64,
    limits: Limits,
}

tokio::task_local! {
    static ENV: Env;
}

impl Env {
    fn new(seed: Option<u64>, limits: Limits) -> Env {
        let rng = seed.map(|seed| std::sync::Mutex::new(fastrand::Rng::with_seed(seed)));
        Env(Arc::new(EnvData { rng, offset_ms: AtomicI64::new(0), limits }))
    }

    /// Runs `f` as the fakes would while serving a request.
    pub(crate) fn enter<T>(&self, f: impl FnOnce() -> T) -> T {
        ENV.sync_scope(self.clone(), f)
    }

    /// Saturates at [`MAX_SECONDS`] in all.
    pub(crate) fn advance(&self, by: std::time::Duration) {
        let cap = MAX_SECONDS as i64 * 1000;
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX).min(cap);
        let _ = self
            .0
            .offset_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| Some(old.saturating_add(ms).min(cap)));
    }

    /// Puts the clock back to the real time.
    pub(crate) fn reset_clock(&self) {
        self.0.offset_ms.store(0, Ordering::Relaxed);
    }

    /// How far the clock was moved.
    pub(crate) fn offset(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.0.offset_ms.load(Ordering::Relaxed).max(0) as u64)
    }
}

/// Refuses a request whose `Host` is not a loopback name or address, unless
/// remote hosts are allowed: a page on another origin whose name was
/// rebound to 127.0.0.1 would otherwise read the tokens the admin API
/// hands out.
async fn loopback_hosts_only(
    axum::extract::State(allow_remote): axum::extract::State<bool>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = request.headers().get(axum::http::header::HOST).and_then(|v| v.to_str().ok());
    if allow_remote || host.is_none_or(is_loopback_host) {
        return next.run(request).await;
    }
    json_response(
        axum::http::StatusCode::FORBIDDEN,
        serde_json::json!({
            "status": false,
            "error": "the sandbox answers only to a loopback Host (localhost, 127.0.0.1, [::1]); start it with --allow-remote to serve others",
        }),
    )
}

/// `localhost`, `*.localhost`, or a loopback address, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host
            .rsplit_once(':')
            .map_or(host, |(name, port)| if port.bytes().all(|b| b.is_ascii_digit()) { name } else { host }),
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Serves every request inside the sandbox's [`Env`].
async fn in_environment(
    axum::extract::State(env): axum::extract::State<Env>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    ENV.scope(env, next.run(request)).await
}

/// Records kept in the order they happened, each with its place in the
/// process-wide [`sequence`]: a ring of the last
/// [`Limits::journal_entries`], so a long session stays flat.
#[derive(Debug, Clone)]
pub(crate) struct Log<T> {
    entries: std::collections::VecDeque<(u64, T)>,
    /// How many the ring let go since the fake started or was reset.
    dropped: u64,
}

impl<T> Default for Log<T> {
    fn default() -> Self {
        Log { entries: std::collections::VecDeque::new(), dropped: 0 }
    }
}

impl<T> Log<T> {
    pub(crate) fn push(&mut self, entry: T) {
        let cap =
            ENV.try_with(|env| env.0.limits.journal_entries).unwrap_or(Limits::default().journal_entries);
        while self.entries.len() >= cap.max(1) {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back((sequence(), entry));
    }

    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.entries.iter().map(|(_, entry)| entry)
    }

    pub(crate) fn to_vec(&self) -> Vec<T>
    where
        T: Clone,
    {
        self.iter().cloned().collect()
    }

    /// The entries after place `after`, with their places.
    pub(crate) fn sequenced(&self, after: u64) -> impl Iterator<Item = &(u64, T)> {
        // Places only grow, so the newer entries are a suffix.
        let start = self.entries.partition_point(|(n, _)| *n <= after);
        self.entries.range(start..)
    }
}

/// Percent-encodes all but unreserved characters.
pub(crate) fn url_escaped(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// Lowercase hex digits.
pub(crate) const HEX: &[u8] = b"0123456789abcdef";
/// Characters that need no escaping in a URL path segment.
pub(crate) const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
