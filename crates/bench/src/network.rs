//! `--only network`: the flows of each provider over HTTPS, counted in
//! round trips and connections against the limit of each.
//!
//! A TLS front (a certificate from a CA made for the run, which only the
//! bench's clients trust through `add_root_certificate`) forwards to the
//! sandbox and records every connection (accepted, handshake full or
//! resumed, protocol) and request (arrival, answer). Round trips are the
//! longest chain of dependent steps: a request depends on every answer sent
//! before it arrived, a connection on every answer sent before it was
//! accepted, and a new connection costs one round trip for TCP and one for
//! a TLS 1.3 handshake (two for TLS 1.2). The limit is one round trip per
//! request the flow needs, plus the handshakes once per client.
//!
//! The delay comes from `tc netem` in a network namespace the bench makes
//! (and removes) when the machine allows it; the bench then runs again
//! inside it. Otherwise the front holds each answer back instead, so that
//! concurrent requests cannot pass for dependent ones, and the report says so.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use accountkit::SecretString;
use accountkit_sandbox::Sandbox;
use bytes::Bytes;
use futures::StreamExt;
use http_body_util::{BodyExt, Full};
use tokio::runtime::Runtime;
use tokio_rustls::rustls;

use crate::text;
use crate::vendor::{self, Sdk};

/// One-way delay netem adds on the namespace's loopback (each packet
/// crosses it once, so a round trip takes twice this).
const NETEM_DELAY_MS: u64 = 10;
/// How long the front holds each answer back when there is no netem.
const HOLD: Duration = Duration::from_millis(40);
/// Set, with the delay, when the bench runs inside its namespace.
const IN_NETNS: &str = "ACCOUNTKIT_BENCH_NETEM_MS";

/// Where the measurement ran, for the report.
enum Setting {
    Netem { delay_ms: u64 },
    Loopback { why: String },
}

/// Runs the part: inside a fresh namespace with netem where the machine
/// allows it (the bench runs itself again there), else on loopback. The
/// vendor SDKs in `vendor_dir` run the TagoIO flow too; they are installed
/// first, outside the namespace, which has no way out.
pub fn run(rt: &Runtime, vendor_dir: Option<&std::path::Path>, report: &mut String) -> Result<(), String> {
    let sdks = || match vendor_dir {
        Some(dir) => [vendor::python, vendor::javascript].map(|install| install(dir)).into(),
        None => vec![Err("skipped (`--no-vendor`)".to_string())],
    };
    if let Ok(delay) = std::env::var(IN_NETNS) {
        let delay_ms = delay.parse().map_err(text)?;
        return measure(rt, Setting::Netem { delay_ms }, sdks(), report);
    }
    let sdks = sdks();
    match Namespace::create(NETEM_DELAY_MS) {
        Ok(namespace) => {
            let exe = std::env::current_exe().map_err(text)?;
            let mut inner = std::process::Command::new("ip");
            inner.args(["netns", "exec", &namespace.name]).arg(exe).args(["--only", "network"]);
            match vendor_dir {
                Some(dir) => inner.arg("--vendor-dir").arg(dir),
                None => inner.arg("--no-vendor"),
            };
            let output = inner
                .env(IN_NETNS, NETEM_DELAY_MS.to_string())
                .stderr(std::process::Stdio::inherit())
                .output()
                .map_err(text)?;
            drop(namespace);
            if !output.status.success() {
                return Err("the run inside the network namespace failed".into());
            }
            // Its report, less the machine line this run printed already.
            let inner = String::from_utf8_lossy(&output.stdout).into_owned();
            report.push_str(inner.split_once("\n\n").map_or(inner.as_str(), |(_, rest)| rest).trim_end());
            report.push('\n');
            Ok(())
        }
        Err(why) => {
            eprintln!("network: {why}; measuring on loopback without a delay");
            measure(rt, Setting::Loopback { why }, sdks, report)
        }
    }
}

/// A network namespace with a delayed loopback, removed on drop.
struct Namespace {
    name: String,
}

impl Namespace {
    fn create(delay_ms: u64) -> Result<Namespace, String> {
        let name = format!("accountkit-bench-{}", std::process::id());
        ip(&["netns", "add", &name]).map_err(|e| format!("cannot make a network namespace ({e})"))?;
        let namespace = Namespace { name };
        let inside = |args: &[&str]| {
            let mut all = vec!["ip", "netns", "exec", &namespace.name];
            all.extend_from_slice(args);
            ip_or(&all)
        };
        inside(&["ip", "link", "set", "lo", "up"])
            .map_err(|e| format!("cannot bring up its loopback ({e})"))?;
        let delay = format!("{delay_ms}ms");
        inside(&["tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", &delay])
            .map_err(|e| format!("the machine refuses `tc qdisc ... netem` ({e})"))?;
        Ok(namespace)
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = ip(&["netns", "delete", &self.name]);
    }
}

fn ip(args: &[&str]) -> Result<(), String> {
    let mut all = vec!["ip"];
    all.extend_from_slice(args);
    ip_or(&all)
}

/// Runs a command, or says why it failed (its stderr's first line).
fn ip_or(command: &[&str]) -> Result<(), String> {
    let output = std::process::Command::new(command[0]).args(&command[1..]).output().map_err(text)?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(stderr.lines().next().unwrap_or("failed").trim().to_string())
}

/// A CA made for the run, and a certificate for `localhost` it signs.
struct Ca {
    pem: String,
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
}

impl Ca {
    fn new() -> Result<Ca, String> {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(text)?;
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, "accountkit bench CA");
        let ca = rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().map_err(text)?)
            .map_err(text)?;
        let key = rcgen::KeyPair::generate().map_err(text)?;
        let leaf = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .map_err(text)?
            .signed_by(&key, &ca)
            .map_err(text)?;
        Ok(Ca {
            pem: ca.pem(),
            chain: vec![leaf.der().clone()],
            key: rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        })
    }
}

/// A connection the front accepted.
#[derive(Debug, Clone)]
struct Connection {
    accepted: Instant,
    resumed: bool,
    tls13: bool,
    h2: bool,
    /// The handshake did not finish.
    failed: bool,
}

/// A request the front answered.
#[derive(Debug, Clone)]
struct Request {
    connection: usize,
    arrived: Instant,
    answered: Instant,
}

#[derive(Default)]
struct Log {
    connections: Vec<Connection>,
    requests: Vec<Request>,
}

/// The counting TLS front before the sandbox.
struct Front {
    port: u16,
    sandbox: SocketAddr,
    log: Arc<Mutex<Log>>,
}

impl Front {
    async fn start(ca: &Ca, sandbox: SocketAddr, hold: Option<Duration>) -> Result<Front, String> {
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(text)?
            .with_no_client_auth()
            .with_single_cert(ca.chain.clone(), ca.key.clone_key())
            .map_err(text)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.map_err(text)?;
        let port = listener.local_addr().map_err(text)?.port();
        let log = Arc::new(Mutex::new(Log::default()));
        // Plain HTTP to the sandbox; the builder only for reqwest's crypto provider.
        let upstream = accountkit::http_client_builder()
            .map_err(text)?
            .pool_max_idle_per_host(256)
            .build()
            .map_err(text)?;
        let front_log = log.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let _ = tcp.set_nodelay(true);
                let accepted = Instant::now();
                let id = {
                    let mut log = front_log.lock().unwrap();
                    log.connections.push(Connection {
                        accepted,
                        resumed: false,
                        tls13: true,
                        h2: false,
                        failed: true,
                    });
                    log.connections.len() - 1
                };
                let (acceptor, log, upstream) = (acceptor.clone(), front_log.clone(), upstream.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let (_, session) = tls.get_ref();
                    let h2 = session.alpn_protocol() == Some(b"h2");
                    {
                        let mut log = log.lock().unwrap();
                        let connection = &mut log.connections[id];
                        connection.resumed = session.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
                        connection.tls13 =
                            session.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3);
                        connection.h2 = h2;
                        connection.failed = false;
                    }
                    let io = hyper_util::rt::TokioIo::new(tls);
                    let service = hyper::service::service_fn(move |request| {
                        forward(request, id, sandbox, upstream.clone(), log.clone(), hold)
                    });
                    if h2 {
                        let builder =
                            hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new());
                        let _ = builder.serve_connection(io, service).await;
                    } else {
                        let _ =
                            hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
                    }
                });
            }
        });
        Ok(Front { port, sandbox, log })
    }

    /// `base_url` (a sandbox URL) moved onto the front.
    fn url_for(&self, base_url: &str) -> String {
        let path = base_url.strip_prefix(&format!("http://{}", self.sandbox)).expect("a sandbox URL");
        format!("https://localhost:{}{path}", self.port)
    }

    fn take(&self) -> Log {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

/// Headers that belong to one connection, never forwarded.
const HOP_BY_HOP: [&str; 6] =
    ["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "host"];

async fn forward(
    request: hyper::Request<hyper::body::Incoming>,
    connection: usize,
    sandbox: SocketAddr,
    upstream: reqwest::Client,
    log: Arc<Mutex<Log>>,
    hold: Option<Duration>,
) -> Result<hyper::Response<Full<Bytes>>, String> {
    let arrived = Instant::now();
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map_err(text)?.to_bytes();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut outgoing = upstream.request(parts.method, format!("http://{sandbox}{path}")).body(body);
    for (name, value) in &parts.headers {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = outgoing.send().await.map_err(text)?;
    let mut response = hyper::Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if !HOP_BY_HOP.contains(&name.as_str()) && name != "content-length" {
            response = response.header(name, value);
        }
    }
    let body = answer.bytes().await.map_err(text)?;
    if let Some(hold) = hold {
        tokio::time::sleep_until((arrived + hold).into()).await;
    }
    log.lock().unwrap().requests.push(Request { connection, arrived, answered: Instant::now() });
    response.body(Full::new(body)).map_err(text)
}

/// What one flow took.
struct Counted {
    round_trips: usize,
    connections: usize,
    resumed: usize,
    h2: usize,
    requests: usize,
    elapsed: Duration,
}

fn count(log: &Log, elapsed: Duration) -> Counted {
    let mut requests = log.requests.clone();
    requests.sort_by_key(|r| r.arrived);
    // The chain of dependent steps ending with each answer, and with each
    // connection's handshakes.
    let mut chains: Vec<(Instant, usize)> = Vec::new();
    let before = |chains: &[(Instant, usize)], at: Instant| {
        chains.iter().filter(|(answered, _)| *answered < at).map(|(_, n)| *n).max().unwrap_or(0)
    };
    let mut ready: Vec<Option<usize>> = vec![None; log.connections.len()];
    let mut longest = 0;
    for request in &requests {
        let connection = &log.connections[request.connection];
        let handshakes = *ready[request.connection].get_or_insert_with(|| {
            before(&chains, connection.accepted) + 1 + if connection.tls13 { 1 } else { 2 }
        });
        let chain = handshakes.max(before(&chains, request.arrived)) + 1;
        chains.push((request.answered, chain));
        longest = longest.max(chain);
    }
    Counted {
        round_trips: longest,
        connections: log.connections.len(),
        resumed: log.connections.iter().filter(|c| c.resumed).count(),
        h2: log.connections.iter().filter(|c| c.h2).count(),
        requests: requests.len(),
        elapsed,
    }
}

/// A flow: its name, the round trips and connections it needs at least,
/// and what it is.
struct Flow {
    name: String,
    limit: (usize, usize),
    note: &'static str,
}

fn measure(
    rt: &Runtime,
    setting: Setting,
    sdks: Vec<Result<Sdk, String>>,
    report: &mut String,
) -> Result<(), String> {
    let hold = match setting {
        Setting::Netem { .. } => None,
        Setting::Loopback { .. } => Some(HOLD),
    };
    let (sdks, missing): (Vec<_>, Vec<_>) = sdks.into_iter().partition(Result::is_ok);
    let sdks: Vec<Sdk> = sdks.into_iter().flatten().collect();
    let rows = rt.block_on(flows(hold, &sdks))?;
    let _ = match &setting {
        Setting::Netem { delay_ms } => writeln!(
            report,
            "### Flows over HTTPS, in round trips and connections\n\n\
             In a network namespace of the bench's own, `tc netem delay {delay_ms}ms` on its loopback (a round \
             trip of {} ms).\n",
            delay_ms * 2
        ),
        Setting::Loopback { why } => writeln!(
            report,
            "### Flows over HTTPS, in round trips and connections\n\n\
             No emulated delay: {why}. Measured on loopback; the TLS front holds each answer back {} ms so \
             that concurrent requests cannot pass for dependent ones, and the times below are mostly that.\n",
            HOLD.as_millis()
        ),
    };
    for (flow, counted) in &rows {
        let _ = writeln!(
            report,
            "network: {}: {} round trips, {} connections (limit {}, {})",
            flow.name, counted.round_trips, counted.connections, flow.limit.0, flow.limit.1
        );
    }
    let _ = writeln!(
        report,
        "\n| flow | round trips | limit | connections | limit | TLS resumed | HTTP/2 | requests | time | \
         |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    for (flow, c) in &rows {
        let met = c.round_trips <= flow.limit.0 && c.connections <= flow.limit.1;
        let _ = writeln!(
            report,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.0} ms | {}{} |",
            flow.name,
            c.round_trips,
            flow.limit.0,
            c.connections,
            flow.limit.1,
            c.resumed,
            c.h2,
            c.requests,
            c.elapsed.as_secs_f64() * 1e3,
            crate::verdict(met),
            if flow.note.is_empty() { String::new() } else { format!(": {}", flow.note) },
        );
    }
    for why in missing.into_iter().filter_map(Result::err) {
        let _ = writeln!(report, "\nA vendor SDK did not run the TagoIO flow: {why}");
    }
    report.push('\n');
    Ok(())
}

async fn flows(hold: Option<Duration>, sdks: &[Sdk]) -> Result<Vec<(Flow, Counted)>, String> {
    let sandbox = Sandbox::start().await.map_err(text)?;
    let ca = Ca::new()?;
    let front = Front::start(&ca, sandbox.addr(), hold).await?;
    let root = ca.pem.as_bytes();
    let (email, password) = ("ada@example.com", "correct horse battery");
    let mut rows = Vec::new();
    // Each flow on fresh clients; the log is cleared before and read after,
    // with a moment for connections the flow left opening.
    macro_rules! flow {
        ($flow:expr, $body:expr) => {{
            front.take();
            let start = Instant::now();
            $body;
            let elapsed = start.elapsed();
            tokio::time::sleep(Duration::from_millis(200)).await;
            rows.push(($flow, count(&front.take(), elapsed)));
        }};
    }

    // TagoIO: an account with PINs by email.
    use accountkit::tagoio;
    let tago = sandbox.tagoio();
    let ready = tago.add_account(email, password);
    let credentials = tagoio::Credentials::new(email, password);
    tagoio::Client::new(tagoio::Region::Custom(tago.base_url()), ready.token.clone())
        .map_err(text)?
        .enable_otp_with(tagoio::OtpType::Email, &credentials, async |_| tago.latest_pin(email))
        .await
        .map_err(text)?;
    let api = front.url_for(&tago.base_url());
    let region = tagoio::Region::Custom(api.clone());
    flow!(
        Flow {
            name: "TagoIO login with a PIN, a profile token, info".into(),
            limit: (7, 1),
            note: "login_with_otp's first login learns which factor the account has and that a PIN is \
                   needed: one request more than when the factor is known (the next flow)",
        },
        {
            let anonymous =
                tagoio::Client::builder(region.clone()).add_root_certificate(root).build().map_err(text)?;
            let login = anonymous
                .login_with_otp(&credentials, async |_| tago.latest_pin(email))
                .await
                .map_err(text)?;
            anonymous.request_login_pin_code(&credentials, tagoio::OtpType::Email).await.map_err(text)?;
            let pin = tago.latest_pin(email).ok_or("no PIN")?;
            let request = tagoio::TokenRequest::new(&login.profiles[0].id, credentials.clone(), "bench")
                .second_factor(tagoio::OtpType::Email, pin);
            let token = anonymous.token_create(&request).await.map_err(text)?.token;
            anonymous.with_token(token).map_err(text)?.info().await.map_err(text)?;
        }
    );
    // A user who knows the account's factor asks for the PIN first, as the
    // vendor's SDKs do.
    flow!(
        Flow {
            name: "TagoIO, the factor known: a PIN, login_with_pin, a PIN, the token, info".into(),
            limit: (7, 1),
            note: "",
        },
        {
            let anonymous =
                tagoio::Client::builder(region.clone()).add_root_certificate(root).build().map_err(text)?;
            anonymous.request_login_pin_code(&credentials, tagoio::OtpType::Email).await.map_err(text)?;
            let pin = tago.latest_pin(email).ok_or("no PIN")?;
            let login =
                anonymous.login_with_pin(&credentials, tagoio::OtpType::Email, pin).await.map_err(text)?;
            anonymous.request_login_pin_code(&credentials, tagoio::OtpType::Email).await.map_err(text)?;
            let pin = tago.latest_pin(email).ok_or("no PIN")?;
            let request = tagoio::TokenRequest::new(&login.profiles[0].id, credentials.clone(), "bench")
                .second_factor(tagoio::OtpType::Email, pin);
            let token = anonymous.token_create(&request).await.map_err(text)?.token;
            anonymous.with_token(token).map_err(text)?.info().await.map_err(text)?;
        }
    );
    // The same flow through the vendor's SDKs, for comparison.
    let ca_file = std::env::temp_dir().join(format!("accountkit-bench-ca-{}.pem", std::process::id()));
    std::fs::write(&ca_file, &ca.pem).map_err(text)?;
    let admin = format!("http://{}", sandbox.addr());
    for sdk in sdks {
        flow!(
            Flow {
                name: format!("the same through {}", sdk.name),
                limit: (7, 1),
                note: "the vendor's 5 requests, the factor known",
            },
            tokio::task::block_in_place(|| sdk.flow(&api, &admin, &ca_file, email, password))?
        );
    }
    let _ = std::fs::remove_file(&ca_file);

    // Pangea: ten pages of ten users.
    use accountkit::pangea;
    let fake = sandbox.pangea();
    fake.seed_users(100);
    let base = front.url_for(&fake.base_url());
    flow!(Flow { name: "Pangea walk of 10 pages".into(), limit: (12, 1), note: "" }, {
        let client = pangea::Client::builder(fake.service_token())
            .base_url(base.clone())
            .add_root_certificate(root)
            .build()
            .map_err(text)?;
        let mut pages = client.users(&pangea::UserList::new().size(10));
        let mut seen = 0;
        while let Some(page) = pages.next().await {
            page.map_err(text)?;
            seen += 1;
            if seen == 10 {
                break;
            }
        }
        if seen != 10 {
            return Err(format!("{seen} Pangea pages"));
        }
    });

    // Logto: a password change, verified by the current password.
    use accountkit::logto;
    let fake = sandbox.logto();
    let token = fake.add_user(email, password);
    let base = front.url_for(&fake.base_url());
    let logto_client = |token: SecretString| {
        logto::Client::builder(base.clone(), token).add_root_certificate(root).build().map_err(text)
    };
    flow!(
        Flow { name: "Logto password change with its verification record".into(), limit: (4, 1), note: "" },
        {
            let client = logto_client(token.clone())?;
            let record = client.verify_password(password).await.map_err(text)?;
            client.update_password(&record, "a new correct horse").await.map_err(text)?;
        }
    );

    // Cycle: 64 reads at once on a client that has no connection yet.
    use accountkit::cycle;
    let fake = sandbox.cycle();
    let token = fake.create_account(email, "Ada", "Lovelace", password);
    let base = front.url_for(&fake.base_url());
    flow!(
        Flow {
            name: "64 concurrent Cycle reads on a fresh client".into(),
            limit: (3, 1),
            note: "the first call opens the connection and learns HTTP/2; the other 63 wait for its answer, \
                   then share it",
        },
        {
            let client = cycle::Client::builder()
                .base_url(base.clone())
                .token(token.clone())
                .add_root_certificate(root)
                .build()
                .map_err(text)?;
            let calls = (0..64).map(|_| client.get_account());
            for result in futures::future::join_all(calls).await {
                result.map_err(text)?;
            }
        }
    );

    // STX: a login, a refresh of its session, a call.
    use accountkit::stx;
    let fake = sandbox.stx();
    fake.add_user(email, password, false);
    let host = stx::Host::Custom(front.url_for(&fake.base_url()));
    flow!(Flow { name: "STX login, refresh and call".into(), limit: (5, 1), note: "" }, {
        let client = stx::Client::builder(host.clone()).add_root_certificate(root).build().map_err(text)?;
        let stx::LoginOutcome::LoggedIn(session) =
            client.login(&stx::Credentials::new(email, password)).await.map_err(text)?
        else {
            return Err("STX asked for a second factor".into());
        };
        session.refresh().await.map_err(text)?;
        session.user_profile().await.map_err(text)?;
    });

    // A second client built while the first is alive: its own connection,
    // whose handshake resumes the first one's session.
    let token = sandbox.logto().add_user("grace@example.com", password);
    flow!(
        Flow {
            name: "a second client built while the first is alive".into(),
            limit: (6, 2),
            note: "two clients, a call each; the second connection's TLS is resumed",
        },
        {
            let first = logto_client(token.clone())?;
            first.get_profile().await.map_err(text)?;
            let second = logto_client(token.clone())?;
            second.get_profile().await.map_err(text)?;
            drop(first);
        }
    );
    Ok(rows)
}
