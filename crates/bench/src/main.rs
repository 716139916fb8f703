//! Benchmarks of accountkit, run with `cargo xtask bench`.
//!
//! One process starts the sandbox on loopback and measures, interleaving the
//! sides of each comparison round by round so that a noisy machine slows
//! both alike:
//!
//! - per call, one representative operation per provider against the floor:
//!   the same request (captured once from accountkit by a forwarding proxy)
//!   sent with a bare `reqwest::Client`, decoded into a `serde_json::Value`;
//! - TagoIO's `info` against a static server that only writes canned bytes,
//!   so the client's CPU is the cost: per call and 256 concurrent, on the
//!   `current_thread` and `multi_thread` runtimes, interleaved round by round;
//! - TagoIO's `Account.info()` through the vendor's Python and JavaScript SDKs;
//! - 256 concurrent calls sharing one client, against raw reqwest doing the same;
//! - paging Pangea users through the `users` stream: time, and the peak heap
//!   of the thread doing it, for two user counts;
//! - each provider's flows over HTTPS, in round trips and connections
//!   against their limits (see `network.rs`).
//!
//! It prints a Markdown report. `--quick` runs a small version of everything,
//! `--no-vendor` skips the vendor SDKs, `--vendor-dir DIR` says where they are
//! installed (default: `accountkit-bench` in the system temp dir), and
//! `--only per-call|static|vendors|concurrency|paging|network` runs one part (for profiling).
//! `--profile PROVIDER:SIDE:CALLS[:CONCURRENCY]` only makes that many calls
//! of one side: `accountkit`, `floor` or `floor-timed` against the sandbox,
//! or (TagoIO only) `static-` one of those against the static server, in
//! bursts of CONCURRENCY on a `current_thread` runtime, printing the
//! allocations per call on stderr. Run it under `valgrind --tool=callgrind`
//! once per side, and the difference in instructions is what accountkit
//! adds to each call.

mod alloc;
mod capture;
mod fast;
mod network;
mod vendor;

use std::fmt::Write as _;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use accountkit::SecretString;
use accountkit_sandbox::Sandbox;
use futures::StreamExt;
use tokio::runtime::Runtime;

use capture::{Proxy, Replay};

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

const USAGE: &str = "usage: accountkit-bench [--quick] [--no-vendor] [--vendor-dir DIR] [--only PART]\n       \
                     accountkit-bench --profile PROVIDER:[static-]accountkit|floor|floor-timed:CALLS[:CONCURRENCY]";
const PARTS: [&str; 6] = ["per-call", "static", "vendors", "concurrency", "paging", "network"];

/// How much to measure.
struct Plan {
    /// Sequential calls per batch.
    calls: u32,
    /// Interleaved rounds of batches.
    rounds: usize,
    /// Rounds against the static server, each of `calls / 2` sequential
    /// calls and one burst per side: more, shorter rounds than elsewhere, as
    /// its ratios are closer to 1 than the machine's noise.
    static_rounds: usize,
    /// Rounds that include the vendor SDKs.
    vendor_rounds: usize,
    vendor_calls: u32,
    /// Concurrent calls per burst, and bursts.
    concurrency: usize,
    bursts: usize,
    /// User counts to page through, and the page size.
    users: [usize; 2],
    page: u32,
    vendor_dir: Option<PathBuf>,
    /// Only this part of the run.
    only: Option<String>,
    /// Only these calls: provider, side, count.
    profile: Option<Profile>,
}

impl Plan {
    fn runs(&self, part: &str) -> bool {
        self.only.as_deref().is_none_or(|only| only == part)
    }
}

type CallFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
/// One call of one operation; each call owns what it needs.
type Call = Arc<dyn Fn() -> CallFuture + Send + Sync>;

fn call<F, Fut>(f: F) -> Call
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    Arc::new(move || Box::pin(f()))
}

fn floor(replay: Replay) -> Call {
    call(move || {
        let replay = replay.clone();
        async move { replay.send().await.map(drop) }
    })
}

/// One provider's operation, through accountkit and on the floor.
struct Case {
    provider: &'static str,
    operation: &'static str,
    accountkit: Call,
    floor: Call,
    /// The floor with the timeouts accountkit's clients have.
    floor_timed: Call,
}

impl Case {
    /// accountkit, the floor, the timed floor.
    fn sides(&self) -> [&Call; 3] {
        [&self.accountkit, &self.floor, &self.floor_timed]
    }
}

fn main() -> ExitCode {
    let mut plan = Plan {
        calls: 200,
        rounds: 15,
        static_rounds: 45,
        vendor_rounds: 5,
        vendor_calls: 200,
        concurrency: 256,
        bursts: 10,
        users: [10_000, 100_000],
        page: 1000,
        vendor_dir: Some(std::env::temp_dir().join("accountkit-bench")),
        only: None,
        profile: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => {
                plan.calls = 10;
                plan.rounds = 2;
                plan.static_rounds = 2;
                plan.vendor_rounds = 1;
                plan.vendor_calls = 10;
                plan.bursts = 1;
                plan.users = [200, 1000];
                plan.page = 50;
            }
            "--no-vendor" => plan.vendor_dir = None,
            "--only" => match args.next() {
                Some(part) if PARTS.contains(&part.as_str()) => plan.only = Some(part),
                _ => {
                    eprintln!("`--only` takes one of {PARTS:?}\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--profile" => match args.next().as_deref().and_then(parse_profile) {
                Some(profile) => plan.profile = Some(profile),
                None => {
                    eprintln!(
                        "`--profile` takes PROVIDER:SIDE:CALLS[:CONCURRENCY], SIDE one of {SIDES:?}\n{USAGE}"
                    );
                    return ExitCode::from(2);
                }
            },
            "--vendor-dir" => match args.next() {
                Some(dir) => plan.vendor_dir = Some(dir.into()),
                None => {
                    eprintln!("{USAGE}");
                    return ExitCode::from(2);
                }
            },
            _ => {
                eprintln!("unknown argument `{arg}`\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    match run(&plan) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// What `--profile` runs.
struct Profile {
    provider: String,
    side: String,
    calls: u32,
    /// Calls in flight at once; the static sides only.
    concurrency: usize,
}

const SIDES: [&str; 6] =
    ["accountkit", "floor", "floor-timed", "static-accountkit", "static-floor", "static-floor-timed"];

fn parse_profile(arg: &str) -> Option<Profile> {
    let mut parts = arg.split(':');
    let (provider, side, calls) = (parts.next()?, parts.next()?, parts.next()?.parse().ok()?);
    let concurrency = match parts.next() {
        Some(n) => n.parse().ok().filter(|&n| n > 0)?,
        None => 1,
    };
    let static_tagoio = !side.starts_with("static-") || provider.eq_ignore_ascii_case("tagoio");
    (SIDES.contains(&side) && static_tagoio && parts.next().is_none()).then(|| Profile {
        provider: provider.to_ascii_lowercase(),
        side: side.to_string(),
        calls,
        concurrency,
    })
}

/// Makes the profiled calls. The static sides run on a `current_thread`
/// runtime on this thread, in bursts of `concurrency`, and print (on
/// stderr) the allocations and CPU time each call took on this thread (the
/// client's; the server has a thread of its own).
fn profile(
    rt: &Runtime,
    profile: &Profile,
    cases: &[Case],
    info: impl FnOnce() -> Result<StaticInfo, String>,
) -> Result<(), String> {
    if let Some(side) = profile.side.strip_prefix("static-") {
        let info = info()?;
        let [ours, bare, timed] = info.sides()?;
        let call = match side {
            "floor" => bare,
            "floor-timed" => timed,
            _ => ours,
        };
        let current = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(text)?;
        alloc::track_this_thread();
        return current.block_on(async {
            // Opens the connections.
            burst(&call, profile.concurrency).await?;
            let before = alloc::count();
            let (cpu, start) = (thread_cpu(), Instant::now());
            let mut left = profile.calls as usize;
            while left > 0 {
                let n = left.min(profile.concurrency);
                burst(&call, n).await?;
                left -= n;
            }
            let (cpu, elapsed) = (thread_cpu() - cpu, start.elapsed());
            let (allocations, bytes) = alloc::count().since(before);
            let per = f64::from(profile.calls.max(1));
            eprintln!(
                "{}: {:.1} allocations, {:.0} bytes allocated, {:.1} µs of this thread's CPU, {:.1} µs per call",
                profile.side,
                allocations as f64 / per,
                bytes as f64 / per,
                cpu.as_secs_f64() * 1e6 / per,
                elapsed.as_secs_f64() * 1e6 / per,
            );
            Ok(())
        });
    }
    let case = cases
        .iter()
        .find(|c| c.provider.eq_ignore_ascii_case(&profile.provider))
        .ok_or_else(|| format!("no provider `{}`", profile.provider))?;
    let call = match profile.side.as_str() {
        "floor" => &case.floor,
        "floor-timed" => &case.floor_timed,
        _ => &case.accountkit,
    };
    rt.block_on(batch(call, profile.calls)).map(drop)
}

fn run(plan: &Plan) -> Result<String, String> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    // Two clients with 256 calls in flight each, plus their idle pools:
    // past the sandbox's default cap of connections a shared server takes.
    let mut limits = accountkit_sandbox::Limits::default();
    limits.max_connections = 4096;
    let options = accountkit_sandbox::Options::default().limits(limits);
    let sandbox = rt.block_on(Sandbox::start_with(options)).map_err(|e| e.to_string())?;
    // A bare client; it takes accountkit's TLS set-up only because reqwest,
    // with accountkit's default `rustls` feature, has no crypto provider.
    let raw = accountkit::http_client_builder().map_err(text)?.build().map_err(text)?;
    let (cases, tagoio_token) = rt.block_on(cases(&sandbox, &raw))?;

    if let Some(chosen) = &plan.profile {
        profile(&rt, chosen, &cases, || StaticInfo::start(&rt, &sandbox, &raw, &tagoio_token))?;
        return Ok(String::new());
    }

    let mut report = String::new();
    machine(&mut report);
    if plan.runs("per-call") {
        per_call(&rt, plan, &cases, &mut report)?;
    }
    if plan.runs("static") {
        let info = StaticInfo::start(&rt, &sandbox, &raw, &tagoio_token)?;
        against_static(plan, &info, &mut report)?;
    }
    if plan.runs("vendors") {
        vendors(&rt, plan, &cases[0], &sandbox.tagoio().base_url(), &tagoio_token, &mut report)?;
    }
    if plan.runs("concurrency") {
        concurrency(&rt, plan, &cases[0], &mut report)?;
    }
    if plan.runs("paging") {
        paging(&rt, plan, &mut report)?;
    }
    if plan.runs("network") {
        network::run(&rt, plan.vendor_dir.as_deref(), &mut report)?;
    }
    Ok(report)
}

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// A bare client with the timeouts accountkit's clients have by default.
fn timed_client() -> Result<reqwest::Client, String> {
    accountkit::http_client_builder()
        .map_err(text)?
        .timeout(accountkit::DEFAULT_TIMEOUT)
        .connect_timeout(accountkit::DEFAULT_CONNECT_TIMEOUT)
        .build()
        .map_err(text)
}

/// The operation of each provider, TagoIO first.
async fn cases(sandbox: &Sandbox, raw: &reqwest::Client) -> Result<(Vec<Case>, String), String> {
    let proxy = Proxy::start(sandbox.addr(), raw.clone()).await.map_err(text)?;
    let addr = sandbox.addr();
    let timed = timed_client()?;
    let replay = |captured: Option<capture::Captured>| -> Result<(Call, Call), String> {
        let captured = captured.ok_or("the proxy saw no request")?;
        Ok((
            floor(Replay::new(raw.clone(), addr, captured.clone())),
            floor(Replay::new(timed.clone(), addr, captured)),
        ))
    };
    let mut cases = Vec::new();

    // TagoIO: the account's own info, with a profile token.
    use accountkit::tagoio;
    let tago = sandbox.tagoio();
    let anonymous = tagoio::Client::anonymous(tagoio::Region::Custom(tago.base_url())).map_err(text)?;
    let (email, password) = ("ada@example.com", "correct horse battery");
    anonymous
        .create(&tagoio::NewAccount::new("Ada", email, password, "Europe/London"))
        .await
        .map_err(text)?;
    let confirmation = tago.confirmation_token(email).ok_or("no confirmation email")?;
    anonymous.confirm_account(confirmation).await.map_err(text)?;
    let credentials = tagoio::Credentials::new(email, password);
    let login = anonymous.login(&credentials).await.map_err(text)?;
    let request = tagoio::TokenRequest::new(&login.profiles[0].id, credentials, "bench");
    let token = anonymous.token_create(&request).await.map_err(text)?.token;
    let tagoio_token = secrecy_text(&token);
    let captured =
        tagoio::Client::new(tagoio::Region::Custom(proxy.url_for(&tago.base_url(), addr)), token.clone())
            .map_err(text)?;
    captured.info().await.map_err(text)?;
    let client = tagoio::Client::new(tagoio::Region::Custom(tago.base_url()), token).map_err(text)?;
    let (floor, floor_timed) = replay(proxy.take_last())?;
    cases.push(Case {
        provider: "TagoIO",
        operation: "info",
        accountkit: call(move || {
            let client = client.clone();
            async move { client.info().await.map(drop).map_err(text) }
        }),
        floor,
        floor_timed,
    });

    // Cycle: the account.
    use accountkit::cycle;
    let fake = sandbox.cycle();
    let token = fake.create_account(email, "Ada", "Lovelace", password);
    let build =
        |base: String| cycle::Client::builder().base_url(base).token(token.clone()).build().map_err(text);
    build(proxy.url_for(&fake.base_url(), addr))?.get_account().await.map_err(text)?;
    let client = build(fake.base_url())?;
    let (floor, floor_timed) = replay(proxy.take_last())?;
    cases.push(Case {
        provider: "Cycle",
        operation: "get_account",
        accountkit: call(move || {
            let client = client.clone();
            async move { client.get_account().await.map(drop).map_err(text) }
        }),
        floor,
        floor_timed,
    });

    // Logto: the profile.
    use accountkit::logto;
    let fake = sandbox.logto();
    let token = fake.add_user(email, password);
    logto::Client::new(proxy.url_for(&fake.base_url(), addr), token.clone())
        .map_err(text)?
        .get_profile()
        .await
        .map_err(text)?;
    let client = logto::Client::new(fake.base_url(), token).map_err(text)?;
    let (floor, floor_timed) = replay(proxy.take_last())?;
    cases.push(Case {
        provider: "Logto",
        operation: "get_profile",
        accountkit: call(move || {
            let client = client.clone();
            async move { client.get_profile().await.map(drop).map_err(text) }
        }),
        floor,
        floor_timed,
    });

    // Pangea: a user's profile, by id.
    use accountkit::pangea;
    let fake = sandbox.pangea();
    let id = fake.seed_users(1).pop().ok_or("no user seeded")?;
    let build =
        |base: String| pangea::Client::builder(fake.service_token()).base_url(base).build().map_err(text);
    let user = pangea::UserRef::id(&id);
    build(proxy.url_for(&fake.base_url(), addr))?.user_profile_get(&user).await.map_err(text)?;
    let client = build(fake.base_url())?;
    let (floor, floor_timed) = replay(proxy.take_last())?;
    cases.push(Case {
        provider: "Pangea",
        operation: "user_profile_get",
        accountkit: call(move || {
            let (client, user) = (client.clone(), user.clone());
            async move { client.user_profile_get(&user).await.map(drop).map_err(text) }
        }),
        floor,
        floor_timed,
    });

    // STX: a login without a second factor.
    use accountkit::stx;
    let fake = sandbox.stx();
    fake.add_user(email, password, false);
    let credentials = stx::Credentials::new(email, SecretString::from(password));
    let login = |client: stx::Client, credentials: stx::Credentials| async move {
        match client.login(&credentials).await.map_err(text)? {
            stx::LoginOutcome::LoggedIn(_) => Ok(()),
            stx::LoginOutcome::TwoFactorRequired(_) => Err("STX asked for a second factor".to_string()),
        }
    };
    login(
        stx::Client::new(stx::Host::Custom(proxy.url_for(&fake.base_url(), addr))).map_err(text)?,
        credentials.clone(),
    )
    .await?;
    let client = stx::Client::new(stx::Host::Custom(fake.base_url())).map_err(text)?;
    let (floor, floor_timed) = replay(proxy.take_last())?;
    cases.push(Case {
        provider: "STX",
        operation: "login",
        accountkit: call(move || login(client.clone(), credentials.clone())),
        floor,
        floor_timed,
    });

    Ok((cases, tagoio_token))
}

fn secrecy_text(secret: &SecretString) -> String {
    use accountkit::ExposeSecret as _;
    secret.expose_secret().to_string()
}

async fn batch(call: &Call, calls: u32) -> Result<Duration, String> {
    let start = Instant::now();
    for _ in 0..calls {
        call().await?;
    }
    Ok(start.elapsed() / calls.max(1))
}

/// Sequential calls of the three sides taken in turn, one call each (in an
/// order that rotates with every turn), so that each side's calls are
/// paired with the others' within a millisecond of a noisy machine; the
/// mean time per call of each.
async fn interleaved(sides: &[Call; 3], calls: u32, round: usize) -> Result<[Duration; 3], String> {
    let mut took = [Duration::ZERO; 3];
    for turn in 0..calls as usize {
        for k in 0..3 {
            let side = (round + turn + k) % 3;
            let start = Instant::now();
            sides[side]().await?;
            took[side] += start.elapsed();
        }
    }
    Ok(took.map(|total| total / calls.max(1)))
}

fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn median_f64(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

fn machine(report: &mut String) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines().next().map(|l| l.split_whitespace().nth(1).unwrap_or("0").parse::<u64>().unwrap_or(0))
        })
        .map(|kb| format!("{:.0} GiB", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    let rustc = std::process::Command::new("rustc")
        .arg("-V")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let _ = writeln!(
        report,
        "Machine: {cpu}, {cores} cores, {memory} RAM, {} {}; {rustc}.\n",
        std::env::consts::OS,
        std::env::consts::ARCH
    );
}

fn per_call(rt: &Runtime, plan: &Plan, cases: &[Case], report: &mut String) -> Result<(), String> {
    // Per case: the times of each side, and accountkit's ratio to each floor.
    let mut times = vec![[Vec::new(), Vec::new(), Vec::new()]; cases.len()];
    let mut ratios = vec![[Vec::new(), Vec::new()]; cases.len()];
    rt.block_on(async {
        for case in cases {
            for side in case.sides() {
                batch(side, plan.calls / 4 + 1).await?;
            }
        }
        for round in 0..plan.rounds {
            for (i, case) in cases.iter().enumerate() {
                // Rotate which side goes first.
                let mut took = [Duration::ZERO; 3];
                for k in 0..3 {
                    let side = (round + k) % 3;
                    took[side] = batch(case.sides()[side], plan.calls).await?;
                }
                for side in 0..3 {
                    times[i][side].push(took[side]);
                }
                ratios[i][0].push(took[0].as_secs_f64() / took[1].as_secs_f64());
                ratios[i][1].push(took[0].as_secs_f64() / took[2].as_secs_f64());
            }
        }
        Ok::<_, String>(())
    })?;
    let _ = writeln!(
        report,
        "### Per call ({} rounds × {} sequential calls, medians)\n\n\
         The floor is a bare `reqwest::Client` sending the same request and decoding into a \
         `serde_json::Value`; the timed floor is the same client with the {} s request and {} s \
         connect timeouts that accountkit's clients have by default.\n\n\
         | provider | operation | accountkit | floor | ratio | target ≤ 1.10× | timed floor | ratio |\n\
         |---|---|---|---|---|---|---|---|",
        plan.rounds,
        plan.calls,
        accountkit::DEFAULT_TIMEOUT.as_secs(),
        accountkit::DEFAULT_CONNECT_TIMEOUT.as_secs(),
    );
    for (i, case) in cases.iter().enumerate() {
        let [ours, floor, timed] = &mut times[i];
        let [plain_ratio, timed_ratio] = &mut ratios[i];
        let ratio = median_f64(plain_ratio);
        let _ = writeln!(
            report,
            "| {} | `{}` | {} | {} | {ratio:.2}× | {} | {} | {:.2}× |",
            case.provider,
            case.operation,
            micros(median(ours)),
            micros(median(floor)),
            verdict(ratio <= 1.10),
            micros(median(timed)),
            median_f64(timed_ratio),
        );
    }
    report.push('\n');
    Ok(())
}

fn vendors(
    rt: &Runtime,
    plan: &Plan,
    tagoio: &Case,
    base_url: &str,
    token: &str,
    report: &mut String,
) -> Result<(), String> {
    let _ = writeln!(report, "### TagoIO `Account.info()` through the vendor SDKs\n");
    let Some(dir) = &plan.vendor_dir else {
        let _ = writeln!(report, "Skipped (`--no-vendor`).\n");
        return Ok(());
    };
    let mut sdks = Vec::new();
    for install in [vendor::python, vendor::javascript] {
        match install(dir) {
            Ok(sdk) => sdks.push((sdk, Vec::new())),
            Err(message) => {
                eprintln!("warning: a vendor SDK could not be installed: {message}");
                let _ = writeln!(report, "Not measured, the install failed: {message}\n");
            }
        }
    }
    if sdks.is_empty() {
        return Ok(());
    }
    let (mut ours, mut floors) = (Vec::new(), Vec::new());
    let warmup = plan.vendor_calls / 4 + 1;
    let mut failures = Vec::new();
    for _ in 0..plan.vendor_rounds {
        let (a, f) = rt.block_on(async {
            // The same untimed warm-up as each SDK run gets, after the SDKs
            // of the previous round had the machine.
            batch(&tagoio.accountkit, warmup).await?;
            batch(&tagoio.floor, warmup).await?;
            Ok::<_, String>((
                batch(&tagoio.accountkit, plan.calls).await?,
                batch(&tagoio.floor, plan.calls).await?,
            ))
        })?;
        ours.push(a);
        floors.push(f);
        for (sdk, times) in &mut sdks {
            match sdk.per_call(base_url, token, plan.vendor_calls, warmup) {
                Ok(t) => times.push(t),
                Err(message) => failures.push(message),
            }
        }
    }
    let ours = median(&mut ours);
    let floor = median(&mut floors);
    let _ = writeln!(
        report,
        "{} rounds, each {} calls of each SDK (after {warmup} untimed) between {} accountkit and {} floor calls \
         (each also after {warmup} untimed); medians.\n\n\
         | client | per call | accountkit is faster by | vs the floor | target |\n|---|---|---|---|---|\n\
         | accountkit | {} | — | {:.2}× | — |",
        plan.vendor_rounds,
        plan.vendor_calls,
        plan.calls,
        plan.calls,
        micros(ours),
        ours.as_secs_f64() / floor.as_secs_f64()
    );
    for (sdk, times) in &mut sdks {
        if times.is_empty() {
            let _ = writeln!(report, "| {} | failed | — | — | — |", sdk.name);
            continue;
        }
        let theirs = median(times);
        let speedup = theirs.as_secs_f64() / ours.as_secs_f64();
        let want = if sdk.name.starts_with("Python") { 15.0 } else { 5.0 };
        let _ = writeln!(
            report,
            "| {} | {} | {speedup:.1}× | {:.1}× | ≥ {want}× faster: {} |",
            sdk.name,
            micros(theirs),
            theirs.as_secs_f64() / floor.as_secs_f64(),
            verdict(speedup >= want)
        );
    }
    for message in failures {
        let _ = writeln!(report, "\nA vendor run failed: {message}");
    }
    report.push('\n');
    Ok(())
}

async fn burst(call: &Call, concurrency: usize) -> Result<f64, String> {
    let start = Instant::now();
    let results = futures::future::join_all((0..concurrency).map(|_| call())).await;
    let elapsed = start.elapsed();
    results.into_iter().collect::<Result<Vec<()>, String>>()?;
    Ok(concurrency as f64 / elapsed.as_secs_f64())
}

fn concurrency(rt: &Runtime, plan: &Plan, tagoio: &Case, report: &mut String) -> Result<(), String> {
    let mut rates = [Vec::new(), Vec::new(), Vec::new()];
    let mut ratios = [Vec::new(), Vec::new()];
    rt.block_on(async {
        // The first burst opens the connections.
        for side in tagoio.sides() {
            burst(side, plan.concurrency).await?;
        }
        for round in 0..plan.bursts {
            let mut rate = [0.0; 3];
            for k in 0..3 {
                let side = (round + k) % 3;
                rate[side] = burst(tagoio.sides()[side], plan.concurrency).await?;
            }
            for side in 0..3 {
                rates[side].push(rate[side]);
            }
            ratios[0].push(rate[0] / rate[1]);
            ratios[1].push(rate[0] / rate[2]);
        }
        Ok::<_, String>(())
    })?;
    let ratio = median_f64(&mut ratios[0]);
    let [ours, floor, timed] = &mut rates;
    let _ = writeln!(
        report,
        "### {} concurrent TagoIO `info` calls sharing one client ({} bursts, medians)\n\n\
         | accountkit | raw reqwest | ratio | target ≥ 0.9× | raw reqwest with accountkit's timeouts | ratio |\n\
         |---|---|---|---|---|---|\n\
         | {:.0} calls/s | {:.0} calls/s | {ratio:.2}× | {} | {:.0} calls/s | {:.2}× |\n",
        plan.concurrency,
        plan.bursts,
        median_f64(ours),
        median_f64(floor),
        verdict(ratio >= 0.9),
        median_f64(timed),
        median_f64(&mut ratios[1]),
    );
    Ok(())
}

struct Paged {
    users: usize,
    elapsed: Duration,
    /// CPU time of the paging thread: the client's share of `elapsed`.
    cpu: Duration,
    peak_heap: isize,
}

/// CPU time this thread has used, from `/proc` (Linux; zero elsewhere).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // Fields after the command name: state is the first, utime the 12th, stime the 13th.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks: u64 = [11, 12].iter().filter_map(|&i| fields.get(i)?.parse::<u64>().ok()).sum();
    // Linux reports them in USER_HZ, 100 per second.
    Duration::from_millis(ticks * 10)
}

/// Pages through `users` seeded users on a thread of its own, whose heap is
/// the only one counted.
fn page_through(rt: &Runtime, users: usize, page: u32) -> Result<Paged, String> {
    let sandbox = rt.block_on(Sandbox::start()).map_err(text)?;
    let fake = sandbox.pangea();
    fake.seed_users(users);
    let (base, token) = (fake.base_url(), fake.service_token());
    let paged = std::thread::spawn(move || {
        alloc::track_this_thread();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(text)?;
        rt.block_on(async {
            let client = accountkit::pangea::Client::builder(token).base_url(base).build().map_err(text)?;
            let query = accountkit::pangea::UserList::new().size(page);
            let before = alloc::reset_peak();
            let cpu = thread_cpu();
            let start = Instant::now();
            let mut stream = client.users(&query).items();
            let mut seen = 0;
            while let Some(user) = stream.next().await {
                user.map_err(text)?;
                seen += 1;
            }
            let (elapsed, cpu) = (start.elapsed(), thread_cpu() - cpu);
            Ok::<_, String>(Paged { users: seen, elapsed, cpu, peak_heap: alloc::peak() - before })
        })
    })
    .join()
    .map_err(|_| "the paging thread panicked".to_string())??;
    drop(sandbox);
    if paged.users != users {
        return Err(format!("paged {} users of {users}", paged.users));
    }
    Ok(paged)
}

fn paging(rt: &Runtime, plan: &Plan, report: &mut String) -> Result<(), String> {
    let runs = plan.users.iter().map(|&n| page_through(rt, n, plan.page)).collect::<Result<Vec<_>, _>>()?;
    let _ = writeln!(
        report,
        "### Paging Pangea users through `users` ({} per page)\n\n\
         | users | time | users/s | client CPU | peak heap of the paging thread |\n|---|---|---|---|---|",
        plan.page
    );
    for run in &runs {
        let _ = writeln!(
            report,
            "| {} | {:.2} s | {:.0} | {:.2} s | {:.1} KiB |",
            run.users,
            run.elapsed.as_secs_f64(),
            run.users as f64 / run.elapsed.as_secs_f64(),
            run.cpu.as_secs_f64(),
            run.peak_heap as f64 / 1024.0
        );
    }
    let growth = runs[1].peak_heap as f64 / runs[0].peak_heap.max(1) as f64;
    let _ = writeln!(
        report,
        "\nPeak heap at {} users is {growth:.2}× the peak at {} users: memory flat (≤ 1.5×): {}.\n",
        runs[1].users,
        runs[0].users,
        verdict(growth <= 1.5)
    );
    Ok(())
}

/// The static server, answering TagoIO `info` as the sandbox does, and
/// accountkit's request for it.
struct StaticInfo {
    server: fast::Static,
    url: String,
    captured: capture::Captured,
    token: String,
}

impl StaticInfo {
    fn start(
        rt: &Runtime,
        sandbox: &Sandbox,
        raw: &reqwest::Client,
        token: &str,
    ) -> Result<StaticInfo, String> {
        use accountkit::tagoio::{Client, Region};
        let base = sandbox.tagoio().base_url();
        // The sandbox's answer, and accountkit's request, captured once.
        let (body, captured) = rt.block_on(async {
            let body = raw
                .get(format!("{base}/account"))
                .header("token", token)
                .send()
                .await
                .map_err(text)?
                .bytes()
                .await
                .map_err(text)?;
            let proxy = Proxy::start(sandbox.addr(), raw.clone()).await.map_err(text)?;
            let through =
                Client::new(Region::Custom(proxy.url_for(&base, sandbox.addr())), token).map_err(text)?;
            through.info().await.map_err(text)?;
            Ok::<_, String>((body, proxy.take_last().ok_or("the proxy saw no request")?))
        })?;
        let server = fast::Static::start(fast::json_answer(&body)).map_err(text)?;
        let path = base.strip_prefix(&format!("http://{}", sandbox.addr())).ok_or("a sandbox URL")?;
        let url = format!("http://{}{path}", server.addr);
        Ok(StaticInfo { server, url, captured, token: token.to_string() })
    }

    /// accountkit, the floor and the timed floor, each with clients of its
    /// own: a pooled connection belongs to the runtime that opened it.
    fn sides(&self) -> Result<[Call; 3], String> {
        use accountkit::tagoio::{Client, Region};
        let client = Client::new(Region::Custom(self.url.clone()), self.token.as_str()).map_err(text)?;
        let ours = call(move || {
            let client = client.clone();
            async move { client.info().await.map(drop).map_err(text) }
        });
        let bare = accountkit::http_client_builder().map_err(text)?.build().map_err(text)?;
        Ok([
            ours,
            floor(Replay::new(bare, self.server.addr, self.captured.clone())),
            floor(Replay::new(timed_client()?, self.server.addr, self.captured.clone())),
        ])
    }
}

/// TagoIO `info` through accountkit and on the floor, against a static
/// server answering what the sandbox answers, on both runtimes.
fn against_static(plan: &Plan, info: &StaticInfo, report: &mut String) -> Result<(), String> {
    let current = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(text)?;
    let multi = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(text)?;
    let runtimes = [("current_thread", &current), ("multi_thread", &multi)];
    let sides = runtimes.iter().map(|_| info.sides()).collect::<Result<Vec<_>, _>>()?;
    // Per runtime: per-call times and burst rates of the three sides, and
    // accountkit's ratios to the floor and to the timed floor.
    let mut per_call = vec![([Vec::new(), Vec::new(), Vec::new()], [Vec::new(), Vec::new()]); runtimes.len()];
    let mut bursts = vec![([Vec::new(), Vec::new(), Vec::new()], [Vec::new(), Vec::new()]); runtimes.len()];
    for (i, (_, runtime)) in runtimes.iter().enumerate() {
        runtime.block_on(async {
            for side in &sides[i] {
                batch(side, plan.calls / 4 + 1).await?;
                burst(side, plan.concurrency).await?;
            }
            Ok::<_, String>(())
        })?;
    }
    let calls = (plan.calls / 2).max(1);
    for round in 0..plan.static_rounds {
        for (i, (_, runtime)) in runtimes.iter().enumerate() {
            runtime.block_on(async {
                let took = interleaved(&sides[i], calls, round).await?;
                let mut rate = [0.0; 3];
                for k in 0..3 {
                    let side = (round + k) % 3;
                    rate[side] = burst(&sides[i][side], plan.concurrency).await?;
                }
                for side in 0..3 {
                    per_call[i].0[side].push(took[side]);
                    bursts[i].0[side].push(rate[side]);
                }
                for floor in 0..2 {
                    per_call[i].1[floor].push(took[0].as_secs_f64() / took[floor + 1].as_secs_f64());
                    bursts[i].1[floor].push(rate[0] / rate[floor + 1]);
                }
                Ok::<_, String>(())
            })?;
        }
    }
    let _ = writeln!(
        report,
        "### TagoIO `info` against a static server ({} rounds × {} sequential calls and one burst of {}, \
         medians)\n\n\
         The sides take turns call by call in the sequential part and burst by burst in the concurrent \
         one. The server writes the sandbox's answer, canned, on a thread of its own; the floor is a bare \
         `reqwest::Client` sending accountkit's request and decoding into a `serde_json::Value`; the timed \
         floor is the same with accountkit's default timeouts. Ratios are accountkit's to the floor, then to \
         the timed floor.\n\n\
         | runtime | accountkit per call | floor | timed floor | ratios | target ≤ 1.05× | accountkit concurrent | \
         floor | timed floor | ratios | target ≥ 0.95× |\n|---|---|---|---|---|---|---|---|---|---|---|",
        plan.static_rounds, calls, plan.concurrency,
    );
    for (i, (name, _)) in runtimes.iter().enumerate() {
        let ([ours, bare, timed], [plain, with_timer]) = &mut per_call[i];
        let call_ratio = median_f64(plain);
        let call_timed = median_f64(with_timer);
        let ([ours_rate, bare_rate, timed_rate], [plain_rate, timer_rate]) = &mut bursts[i];
        let rate_ratio = median_f64(plain_rate);
        let rate_timed = median_f64(timer_rate);
        let _ = writeln!(
            report,
            "| `{name}` | {} | {} | {} | {call_ratio:.2}×, {call_timed:.2}× | {} | {:.0} calls/s | {:.0} calls/s | \
             {:.0} calls/s | {rate_ratio:.2}×, {rate_timed:.2}× | {} |",
            micros(median(ours)),
            micros(median(bare)),
            micros(median(timed)),
            verdict(call_ratio <= 1.05),
            median_f64(ours_rate),
            median_f64(bare_rate),
            median_f64(timed_rate),
            verdict(rate_ratio >= 0.95),
        );
    }
    report.push('\n');
    Ok(())
}
