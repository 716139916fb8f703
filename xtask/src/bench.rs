//! `cargo xtask bench`: runs the `accountkit-bench` harness in release mode
//! and keeps its report in `target/bench/report.md`.
//!
//! `cargo xtask bench --build` times clean builds as a user gets them, each
//! in an empty target directory of its own under the system temp dir: a
//! bare app with the HTTP stack accountkit stands on (reqwest with rustls
//! on `ring` and the platform verifier, serde and chrono), then a project
//! on the facade's packages (as `cargo xtask package` writes them, so each
//! raw crate runs its code generator in `build.rs`) with each provider's
//! feature alone and with `full`, each beside the bare app's time; then the
//! rebuild after touching the TagoIO package's OpenAPI document.
//! `--only tagoio,full` times only the builds named.
//!
//! The projects build with `CARGO_INCREMENTAL=0`, as cargo builds crates
//! from a registry (the packages are path dependencies here, which cargo
//! would otherwise build incrementally).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use crate::package;

pub const USAGE: &str = "usage: cargo xtask bench [--quick] [--no-vendor] [--vendor-dir DIR] [--only PART]\n       \
                         cargo xtask bench --build [--only FEATURE,...]";

/// The providers, each a cargo feature of the facade.
const PROVIDERS: [&str; 5] = ["tagoio", "cycle", "logto", "pangea", "stx"];
/// The provider whose document is touched for the rebuild.
const TOUCHED: &str = "tagoio";
/// Targets: a one-provider build, and `full`, against the bare app.
const ONE_PROVIDER_RATIO: f64 = 1.5;
const FULL_RATIO: f64 = 2.0;
const REBUILD_SECS: u64 = 5;

/// The bare app: the HTTP stack accountkit uses, with the same features.
const BARE_MANIFEST: &str = r#"[package]
name = "bare-http-app"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
chrono = { version = "0.4", default-features = false, features = ["clock", "serde", "std"] }
reqwest = { version = "0.13", default-features = false, features = ["json", "query", "stream", "http2", "rustls-no-provider"] }
rustls = { version = "0.23", default-features = false, features = ["ring", "std", "tls12", "logging"] }
rustls-platform-verifier = "0.7"
serde = { version = "1", features = ["derive"] }
tokio = { version = "1", features = ["rt", "time"] }
"#;

const BARE_MAIN: &str = r#"use std::sync::Arc;

use rustls_platform_verifier::BuilderVerifierExt;

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Account {
    id: String,
    name: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

fn main() {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_platform_verifier()
        .expect("the platform verifier")
        .with_no_client_auth();
    let client = reqwest::Client::builder().tls_backend_preconfigured(tls).build().expect("a client");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let url = std::env::args().nth(1).unwrap_or_else(|| "https://api.example.com/account".into());
    let account = runtime.block_on(async { client.get(url).send().await?.json::<Account>().await });
    println!("{account:?}");
}
"#;

/// One call of each provider's, for the project on the packages.
const CALLS: [(&str, &str); 5] = [
    ("tagoio", "tagoio::Client::new(tagoio::Region::Custom(url.clone()), token.clone()).unwrap().info()"),
    (
        "cycle",
        "cycle::Client::builder().base_url(url.clone()).token(token.clone()).build().unwrap().get_account()",
    ),
    ("logto", "logto::Client::new(url.clone(), token.clone()).unwrap().get_profile()"),
    (
        "pangea",
        "pangea::Client::builder(token.clone()).base_url(url.clone()).build().unwrap()\
         .user_profile_get(&pangea::UserRef::id(\"pui_1\"))",
    ),
    (
        "stx",
        "stx::Client::new(stx::Host::Custom(url.clone())).unwrap()\
         .login(&stx::Credentials::new(\"ada@example.com\", token.clone()))",
    ),
];

/// A project on the packages with `feature`, calling each provider it has.
fn consumer(feature: &str) -> (String, String) {
    let manifest = format!(
        "[package]\nname = \"accountkit-build-bench\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [workspace]\n\n[dependencies]\n\
         accountkit = {{ version = \"0.1\", features = [\"{feature}\"] }}\n\
         tokio = {{ version = \"1\", features = [\"rt\", \"time\"] }}\n"
    );
    let providers: Vec<&str> =
        CALLS.iter().map(|(p, _)| *p).filter(|p| feature == *p || feature == "full").collect();
    let mut main = format!("use accountkit::{{{}}};\n\n", providers.join(", "));
    main.push_str(
        "fn main() {\n    \
         let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect(\"a runtime\");\n    \
         let url = std::env::args().nth(1).unwrap_or_else(|| \"https://api.example.com\".into());\n    \
         let token = accountkit::SecretString::from(std::env::args().nth(2).unwrap_or_default());\n",
    );
    for (provider, call) in CALLS {
        if feature == provider || feature == "full" {
            let _ = writeln!(main, "    println!(\"{{}}\", runtime.block_on({call}).is_ok());");
        }
    }
    main.push_str("}\n");
    (manifest, main)
}

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "--build") {
        let mut only: Option<Vec<String>> = None;
        let mut rest = args.iter().filter(|a| *a != "--build");
        while let Some(arg) = rest.next() {
            match arg.as_str() {
                "--only" => {
                    let list = rest.next().ok_or_else(|| format!("`--only` needs a list\n{USAGE}"))?;
                    only = Some(list.split(',').map(str::to_string).collect());
                }
                other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
            }
        }
        let report = build_times(root, only.as_deref())?;
        println!("{report}");
        return save(root, "build.md", &report);
    }
    let output = Command::new(cargo())
        .current_dir(root)
        .args(["run", "--quiet", "--release", "-p", "accountkit-bench", "--"])
        .args(args)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cargo did not start: {e}"))?;
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    print!("{report}");
    if !output.status.success() {
        return Err("the benchmark failed".into());
    }
    let command =
        std::iter::once("cargo xtask bench".to_string()).chain(args.iter().cloned()).collect::<Vec<_>>();
    save(root, "report.md", &format!("Made by `{}`.\n\n{report}", command.join(" ")))
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn save(root: &Path, name: &str, report: &str) -> Result<(), String> {
    let dir = root.join("target").join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join(name);
    std::fs::write(&path, report).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("report saved in {}", path.display());
    Ok(())
}

/// One timed `cargo build` of the project in `dir`, into `target_dir`.
fn build(dir: &Path, target_dir: &Path, what: &str) -> Result<Duration, String> {
    let mut command = Command::new(cargo());
    command
        .current_dir(dir)
        .args(["build", "--quiet"])
        .env("CARGO_TARGET_DIR", target_dir)
        .env("CARGO_INCREMENTAL", "0")
        // A compiler cache would make a clean build no such thing.
        .env_remove("RUSTC_WRAPPER")
        .env_remove("CARGO_BUILD_RUSTC_WRAPPER");
    eprintln!("timing the build of {what}...");
    let start = Instant::now();
    let status = command.status().map_err(|e| format!("cargo did not start: {e}"))?;
    let elapsed = start.elapsed();
    if !status.success() {
        return Err(format!("the build of {what} failed"));
    }
    Ok(elapsed)
}

fn clean(target_dir: &Path) -> Result<(), String> {
    match std::fs::remove_dir_all(target_dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("{}: {e}", target_dir.display())),
    }
}

fn touch(path: &Path) -> Result<(), String> {
    let file =
        std::fs::File::options().append(true).open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    file.set_modified(SystemTime::now()).map_err(|e| format!("{}: {e}", path.display()))
}

fn build_times(root: &Path, only: Option<&[String]>) -> Result<String, String> {
    let scratch = std::env::temp_dir().join(format!("accountkit-build-bench-{}", std::process::id()));
    let outcome = time_builds(root, &scratch, only);
    let _ = std::fs::remove_dir_all(&scratch);
    outcome
}

fn time_builds(root: &Path, scratch: &Path, only: Option<&[String]>) -> Result<String, String> {
    // Packaged as they would be published; no verification build, which
    // would take longer than everything timed here.
    eprintln!("packaging the published crates...");
    let packages = package::package(root, &cargo(), &["--no-verify", "--allow-dirty"])?;
    let touched_package = format!("accountkit-{TOUCHED}-raw");
    let spec: PathBuf = packages
        .iter()
        .find(|p| p.name == touched_package)
        .map(|p| p.unpacked.join(accountkit_codegen::SHIPPED_SPEC))
        .ok_or_else(|| format!("no package {touched_package} under target/package"))?;
    let target_dir = scratch.join("target");

    let bare = scratch.join("bare");
    package::write_project(root, &bare, &[], BARE_MANIFEST, BARE_MAIN)?;
    clean(&target_dir)?;
    let bare_time = build(&bare, &target_dir, "the bare app")?;

    let mut report = String::new();
    let _ = writeln!(
        report,
        "### Clean builds as a user gets them (dev profile, {} cores)\n\n\
         The bare app depends on reqwest (rustls on `ring`, the platform verifier), serde and chrono, as \
         accountkit does; the others on the `accountkit` package with one feature, building the raw crates \
         from their packages (progenitor runs in each one's `build.rs`).\n\n\
         | build | time | vs the bare app | target | |\n|---|---|---|---|---|\n\
         | the bare app | {:.1} s | 1.00× | — | |",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        bare_time.as_secs_f64(),
    );
    let chosen = |name: &str| only.is_none_or(|only| only.iter().any(|o| o == name));
    let mut rebuild = None;
    for feature in PROVIDERS.iter().chain(["full"].iter()).filter(|p| chosen(p)) {
        let dir = scratch.join(feature);
        let (manifest, main) = consumer(feature);
        package::write_project(root, &dir, &packages, &manifest, &main)?;
        clean(&target_dir)?;
        let time = build(&dir, &target_dir, &format!("a project on accountkit with `{feature}`"))?;
        let ratio = time.as_secs_f64() / bare_time.as_secs_f64();
        let limit = if *feature == "full" { FULL_RATIO } else { ONE_PROVIDER_RATIO };
        let _ = writeln!(
            report,
            "| accountkit, `{feature}` | {:.1} s | {ratio:.2}× | ≤ {limit}× | {} |",
            time.as_secs_f64(),
            if ratio <= limit { "met" } else { "**missed**" }
        );
        if *feature == TOUCHED {
            touch(&spec)?;
            rebuild =
                Some(build(&dir, &target_dir, &format!("`{feature}` after touching its OpenAPI document"))?);
        }
    }
    if let Some(time) = rebuild {
        let _ = writeln!(
            report,
            "| accountkit, `{TOUCHED}`, after touching the package's `{}` | {:.1} s | — | ≤ {REBUILD_SECS} s | {} |",
            accountkit_codegen::SHIPPED_SPEC,
            time.as_secs_f64(),
            if time <= Duration::from_secs(REBUILD_SECS) { "met" } else { "**missed**" }
        );
    }
    clean(&target_dir)?;
    Ok(report)
}
