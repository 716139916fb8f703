//! `accountkit-sandbox`: the sandbox as a standalone server, for tests in
//! any process and any language.
//!
//! ```text
//! accountkit-sandbox [--port N] [--bind ADDR] [--allow-remote] [--seed N] [--journal-entries N]
//!                    [--idle-timeout SECS] [--request-timeout SECS] [--max-connections N]
//! ```
//!
//! Prints `listening on http://ADDR:PORT` as its first line on stdout, then
//! serves every provider under its prefix (`/tagoio`, `/cycle`, `/logto`,
//! `/pangea`, `/stx`) and the admin API under `/_sandbox/`, until SIGINT or
//! SIGTERM.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use accountkit_sandbox::{Options, Sandbox};

const USAGE: &str = "\
usage: accountkit-sandbox [--port N] [--bind ADDR] [--allow-remote] [--seed N] [--journal-entries N]
                          [--idle-timeout SECS] [--request-timeout SECS] [--max-connections N]

A fake of the TagoIO, Cycle, Logto, Pangea and STX account APIs, for tests.
Its admin API under /_sandbox/ hands every token, code and secret to anyone
who asks: for tests only, never with real credentials.

  --port N         listen on port N (0, the default: a free one)
  --bind ADDR      listen on ADDR (default 127.0.0.1; loopback only unless --allow-remote)
  --allow-remote   serve a non-loopback address and any Host header
  --seed N         the same requests in the same order get the same ids and tokens
  --journal-entries N
                   the newest requests and messages each fake keeps (default 10000)
  --idle-timeout SECS
                   close a connection that takes longer to send its headers, or
                   waits longer for its next request (default 30)
  --request-timeout SECS
                   answer 408 to a request whose body takes longer (default 30)
  --max-connections N
                   connections served at once; more get 503 (default 256)

Request bodies over 1 MiB get 413. SIGINT or SIGTERM stops it with exit
status 0, after at most 3 s for the requests in flight.";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
struct Args {
    addr: SocketAddr,
    allow_remote: bool,
    seed: Option<u64>,
    journal_entries: Option<usize>,
    idle_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    max_connections: Option<usize>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut port = 0u16;
    let mut allow_remote = false;
    let mut seed = None;
    let mut journal_entries = None;
    let (mut idle_timeout, mut request_timeout, mut max_connections) = (None, None, None);
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let mut value = |name: &str| rest.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => {
                port = value("--port")?.parse().map_err(|_| "--port takes a number from 0 to 65535")?
            }
            "--bind" => ip = value("--bind")?.parse().map_err(|_| "--bind takes an IP address")?,
            "--seed" => seed = Some(value("--seed")?.parse().map_err(|_| "--seed takes a whole number")?),
            "--journal-entries" => {
                let n: usize = value("--journal-entries")?
                    .parse()
                    .map_err(|_| "--journal-entries takes a whole number from 1")?;
                journal_entries = Some(n.max(1));
            }
            "--idle-timeout" => idle_timeout = Some(seconds("--idle-timeout", value("--idle-timeout")?)?),
            "--request-timeout" => {
                request_timeout = Some(seconds("--request-timeout", value("--request-timeout")?)?)
            }
            "--max-connections" => {
                let n: usize = value("--max-connections")?
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or("--max-connections takes a whole number from 1")?;
                max_connections = Some(n);
            }
            "--allow-remote" => allow_remote = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if !ip.is_loopback() && !allow_remote {
        return Err(format!(
            "{ip} is not a loopback address: the sandbox hands out tokens to anyone who asks; \
             add --allow-remote to serve it there anyway"
        ));
    }
    Ok(Args {
        addr: SocketAddr::new(ip, port),
        allow_remote,
        seed,
        journal_entries,
        idle_timeout,
        request_timeout,
        max_connections,
    })
}

/// Whole seconds from 1 to a day: longer would let one client hold a
/// connection all day.
fn seconds(name: &str, value: &str) -> Result<Duration, String> {
    match value.parse::<u64>() {
        Ok(n @ 1..=86_400) => Ok(Duration::from_secs(n)),
        _ => Err(format!("{name} takes whole seconds from 1 to 86400")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse(&args) {
        Ok(args) => args,
        Err(why) if why.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(why) => {
            eprintln!("error: {why}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(args))
}

async fn serve(args: Args) -> ExitCode {
    let mut limits = accountkit_sandbox::Limits::default();
    limits.allow_remote = args.allow_remote;
    if let Some(n) = args.journal_entries {
        limits.journal_entries = n;
    }
    limits.idle_timeout = args.idle_timeout.unwrap_or(limits.idle_timeout);
    limits.request_timeout = args.request_timeout.unwrap_or(limits.request_timeout);
    limits.max_connections = args.max_connections.unwrap_or(limits.max_connections);
    let mut options = Options::default().addr(args.addr).limits(limits);
    if let Some(seed) = args.seed {
        options = options.seed(seed);
    }
    let sandbox = match Sandbox::start_with(options).await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    if args.allow_remote && !args.addr.ip().is_loopback() {
        eprintln!(
            "warning: serving on {}, reachable from other machines; the admin API hands out \
             every token and secret to anyone who asks: use this for tests only",
            sandbox.addr()
        );
    }
    // Listening for signals before saying we are up: a signal sent right
    // after the first line must stop us, not kill us.
    let stop = stopped();
    let mut stdout = std::io::stdout();
    // The first line is the contract with whoever started us; say it at once.
    if writeln!(stdout, "listening on http://{}", sandbox.addr()).and_then(|()| stdout.flush()).is_err() {
        return ExitCode::FAILURE;
    }
    stop.await;
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}

/// Resolves on SIGINT or SIGTERM; the handlers are in place once this
/// returns.
fn stopped() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let handlers = (signal(SignalKind::interrupt()), signal(SignalKind::terminate()));
        async move {
            match handlers {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Result<Args, String> {
        parse(&line.split_whitespace().map(str::to_string).collect::<Vec<_>>())
    }

    #[test]
    fn defaults_to_a_free_loopback_port() {
        let parsed = args("").unwrap();
        assert_eq!(parsed.addr, "127.0.0.1:0".parse().unwrap());
        assert_eq!(parsed.seed, None);
    }

    #[test]
    fn reads_port_bind_and_seed() {
        let parsed = args("--port 8123 --bind ::1 --seed 42").unwrap();
        assert_eq!(parsed.addr, "[::1]:8123".parse().unwrap());
        assert_eq!(parsed.seed, Some(42));
    }

    #[test]
    fn a_remote_address_needs_allow_remote() {
        let refused = args("--bind 0.0.0.0").unwrap_err();
        assert!(refused.contains("--allow-remote"), "{refused}");
        assert!(args("--bind 0.0.0.0 --allow-remote").unwrap().allow_remote);
    }

    #[test]
    fn bad_arguments_are_named() {
        assert!(args("--port").unwrap_err().contains("--port needs a value"));
        assert!(args("--port 70000").unwrap_err().contains("--port"));
        assert!(args("--seed x").unwrap_err().contains("--seed"));
        assert!(args("--frobnicate").unwrap_err().contains("--frobnicate"));
        assert!(args("--idle-timeout 0").unwrap_err().contains("--idle-timeout"));
        assert!(args("--request-timeout 99999999").unwrap_err().contains("--request-timeout"));
        assert!(args("--max-connections 0").unwrap_err().contains("--max-connections"));
        let parsed = args("--idle-timeout 2 --request-timeout 3 --max-connections 4").unwrap();
        assert_eq!(
            (parsed.idle_timeout, parsed.request_timeout, parsed.max_connections),
            (Some(Duration::from_secs(2)), Some(Duration::from_secs(3)), Some(4))
        );
    }
}
