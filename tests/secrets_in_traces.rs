//! Every provider's whole lifecycle against the sandbox (the quickstart
//! tours), with all `tracing` output captured at TRACE level and every
//! error and step the tours show captured as well: no password, token, PIN,
//! code, TOTP secret or recovery token the lifecycles used may appear in it.

use std::io::Write;
use std::sync::{Arc, Mutex};

use accountkit::{ErrorKind, ExposeSecret};
use accountkit_sandbox::Sandbox;

#[allow(dead_code)] // the read-only tour against a real server is not run here
#[path = "../crates/sandbox/examples/quickstart/tagoio.rs"]
mod tagoio;

#[path = "../crates/sandbox/examples/quickstart/cycle.rs"]
mod cycle;
#[path = "../crates/sandbox/examples/quickstart/logto.rs"]
mod logto;
#[path = "../crates/sandbox/examples/quickstart/pangea.rs"]
mod pangea;
#[path = "../crates/sandbox/examples/quickstart/stx.rs"]
mod stx;

type Fallible<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Everything the tours show and everything traced, in one text.
static CAPTURE: Mutex<String> = Mutex::new(String::new());

fn capture(text: &str) {
    let mut all = CAPTURE.lock().unwrap();
    all.push_str(text);
    all.push('\n');
}

// What the tours call to show their progress: here, into the capture.
pub fn step(name: &str, detail: &str) {
    capture(&format!("{name}: {detail}"));
}

pub fn expect_error<T>(name: &str, result: accountkit::Result<T>, kind: ErrorKind) -> Fallible {
    match result {
        Ok(_) => Err(format!("{name}: succeeded, but should have failed with {kind:?}").into()),
        Err(e) => {
            capture(&format!("{name}: {e} / {e:?}"));
            if e.kind() == kind { Ok(()) } else { Err(format!("{name}: expected {kind:?}, got {e}").into()) }
        }
    }
}

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The string values of `name: "value"` fields in a `Debug` text whose
/// name says they are secret.
fn secret_fields(debug: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in debug.match_indices(": \"") {
        let name: String =
            debug[..at].chars().rev().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
        let name: String = name.chars().rev().collect::<String>().to_ascii_lowercase();
        if ["token", "pin", "code", "secret", "password"].iter().any(|s| name.contains(s)) {
            let rest = &debug[at + 3..];
            if let Some(end) = rest.find('"') {
                found.push(rest[..end].to_string());
            }
        }
    }
    found
}

/// Secret constants of a tour's source: `const ..PASSWORD..: &str = "..";`.
fn secret_constants(source: &str) -> Vec<String> {
    source
        .lines()
        .filter(|line| {
            line.starts_with("const ")
                && ["PASSWORD", "TOKEN", "SECRET", "PIN"].iter().any(|s| line.contains(s))
        })
        .filter_map(|line| line.split('"').nth(1).map(String::from))
        .collect()
}

/// Whether `needle` occurs in `text` not run into other letters or
/// digits: a 6-digit PIN inside a longer id is a coincidence, not a leak.
fn contains_token(text: &str, needle: &str) -> bool {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    text.match_indices(needle).any(|(at, _)| {
        !alnum(text[..at].chars().next_back()) && !alnum(text[at + needle.len()..].chars().next())
    })
}

#[test]
fn secrets_are_found_as_whole_tokens_only() {
    assert!(contains_token("pin=\"123456\"", "123456"));
    assert!(contains_token("123456", "123456"));
    assert!(!contains_token("id=a1234567", "123456"));
}

#[test]
fn no_secret_reaches_traces_errors_or_output() {
    let sink = Sink::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        // Timestamps' digits could match a PIN by chance.
        .without_time()
        .with_writer({
            let sink = sink.clone();
            move || sink.clone()
        })
        .finish();
    // One thread runs the tours, the sandbox and the connections, so the
    // thread's subscriber sees all of it.
    let _guard = tracing::subscriber::set_default(subscriber);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();

    let mut secrets = Vec::new();
    runtime.block_on(async {
        let sandbox = Sandbox::start().await.unwrap();
        tagoio::lifecycle(&sandbox).await.unwrap();
        pangea::lifecycle(&sandbox).await.unwrap();
        logto::lifecycle(&sandbox).await.unwrap();
        cycle::lifecycle(&sandbox).await.unwrap();
        stx::lifecycle(&sandbox).await.unwrap();

        // What the sandbox handed out: PINs, codes, reset and confirmation
        // tokens, service tokens and TOTP secrets.
        secrets.extend(secret_fields(&format!("{:?}", sandbox.tagoio().outbox())));
        secrets.extend(secret_fields(&format!("{:?}", sandbox.cycle().outbox())));
        secrets.extend(secret_fields(&format!("{:?}", sandbox.logto().outbox())));
        secrets.extend(secret_fields(&format!("{:?}", sandbox.stx().outbox())));
        secrets.push(sandbox.pangea().service_token().expose_secret().to_owned());
        secrets.push(sandbox.pangea().client_token().expose_secret().to_owned());
        secrets
            .extend(sandbox.cycle().totp_secret("grace@example.com").map(|s| s.expose_secret().to_owned()));
    });
    for source in [
        include_str!("../crates/sandbox/examples/quickstart/tagoio.rs"),
        include_str!("../crates/sandbox/examples/quickstart/cycle.rs"),
        include_str!("../crates/sandbox/examples/quickstart/logto.rs"),
        include_str!("../crates/sandbox/examples/quickstart/pangea.rs"),
        include_str!("../crates/sandbox/examples/quickstart/stx.rs"),
    ] {
        secrets.extend(secret_constants(source));
    }
    // Short values (a 1-digit flag) would match by chance.
    secrets.retain(|s| s.len() >= 6);
    secrets.sort();
    secrets.dedup();

    let traced = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    let shown = CAPTURE.lock().unwrap().clone();
    // The capture works: every provider's requests were traced at TRACE level.
    for provider in ["tagoio", "cycle", "logto", "pangea", "stx"] {
        assert!(traced.contains(&format!("provider=\"{provider}\"")), "no spans of {provider}");
    }
    assert!(traced.contains("accountkit.attempt") && traced.contains("status=200"));
    assert!(secrets.len() >= 15, "too few secrets harvested: {}", secrets.len());
    println!(
        "{} secrets checked against {} bytes of traces and {} of output",
        secrets.len(),
        traced.len(),
        shown.len()
    );
    for secret in &secrets {
        assert!(!contains_token(&traced, secret), "a secret ({} chars) is in the traces", secret.len());
        assert!(
            !contains_token(&shown, secret),
            "a secret ({} chars) is in what the tours show",
            secret.len()
        );
    }
    // Bearer tokens of any provider, issued at run time, by their shape.
    for marker in ["Bearer ", "eyJ"] {
        assert!(!traced.contains(marker), "`{marker}` is in the traces");
    }
}
