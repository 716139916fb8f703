//! `cargo xtask bench`: runs the `accountkit-bench` harness in release mode
//! and keeps its report in `target/bench/report.md`.
//!
//! `cargo xtask bench --build` times clean builds of the facade instead, in a
//! target directory of their own under the system temp dir: each provider's
//! feature alone, then `full`, and the rebuild after touching one OpenAPI
//! document. `--no-default-features` times them without the default TLS
//! backend; `--only tagoio,full` times only the builds named.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

pub const USAGE: &str = "usage: cargo xtask bench [--quick] [--no-vendor] [--vendor-dir DIR]\n       \
                         cargo xtask bench --build [--no-default-features] [--only FEATURE,...]";

/// The providers, each a cargo feature of the facade.
const PROVIDERS: [&str; 5] = ["tagoio", "cycle", "logto", "pangea", "stx"];
/// The document touched for the rebuild, and the feature that builds it.
const TOUCHED: &str = "tagoio";

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "--build") {
        let mut no_default = false;
        let mut only: Option<Vec<String>> = None;
        let mut rest = args.iter().filter(|a| *a != "--build");
        while let Some(arg) = rest.next() {
            match arg.as_str() {
                "--no-default-features" => no_default = true,
                "--only" => {
                    let list = rest.next().ok_or_else(|| format!("`--only` needs a list\n{USAGE}"))?;
                    only = Some(list.split(',').map(str::to_string).collect());
                }
                other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
            }
        }
        let report = build_times(root, no_default, only.as_deref())?;
        println!("{report}");
        return save(root, if no_default { "build-no-default.md" } else { "build.md" }, &report);
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

/// One timed `cargo build -p accountkit` into `target_dir`.
fn build(root: &Path, target_dir: &Path, features: &str, no_default: bool) -> Result<Duration, String> {
    let mut command = Command::new(cargo());
    command
        .current_dir(root)
        .args(["build", "--quiet", "-p", "accountkit", "--features", features])
        .env("CARGO_TARGET_DIR", target_dir)
        // A compiler cache would make a clean build no such thing.
        .env_remove("RUSTC_WRAPPER")
        .env_remove("CARGO_BUILD_RUSTC_WRAPPER");
    if no_default {
        command.arg("--no-default-features");
    }
    eprintln!("timing `cargo build -p accountkit --features {features}`...");
    let start = Instant::now();
    let status = command.status().map_err(|e| format!("cargo did not start: {e}"))?;
    let elapsed = start.elapsed();
    if !status.success() {
        return Err(format!("`cargo build -p accountkit --features {features}` failed"));
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

fn build_times(root: &Path, no_default: bool, only: Option<&[String]>) -> Result<String, String> {
    let target_dir = std::env::temp_dir().join("accountkit-build-bench");
    let spec = root.join(accountkit_codegen::api(TOUCHED).map_err(|e| e.to_string())?.spec);
    let flags = if no_default { " --no-default-features" } else { "" };
    let mut report = String::new();
    let _ = writeln!(
        report,
        "### Clean builds of the facade (`cargo build -p accountkit{flags} --features …`, dev profile, {} cores)\n\n\
         | build | time | target | |\n|---|---|---|---|",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    let row = |report: &mut String, what: String, time: Duration, limit: u64| {
        let met = time <= Duration::from_secs(limit);
        let _ = writeln!(
            report,
            "| {what} | {:.1} s | ≤ {limit} s | {} |",
            time.as_secs_f64(),
            if met { "met" } else { "**missed**" }
        );
    };
    let chosen = |name: &str| only.is_none_or(|only| only.iter().any(|o| o == name));
    for provider in PROVIDERS.iter().chain(["full"].iter()).filter(|p| chosen(p)) {
        clean(&target_dir)?;
        let time = build(root, &target_dir, provider, no_default)?;
        row(&mut report, format!("clean, `{provider}`"), time, if *provider == "full" { 150 } else { 60 });
        if *provider == TOUCHED {
            touch(&spec)?;
            let time = build(root, &target_dir, provider, no_default)?;
            let name = spec.file_name().unwrap_or_default().to_string_lossy();
            row(&mut report, format!("after touching `{name}`, `{provider}`"), time, 5);
        }
    }
    clean(&target_dir)?;
    Ok(report)
}
