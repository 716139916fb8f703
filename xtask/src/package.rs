//! `cargo xtask package`: packages every crate a user gets from crates.io
//! with `cargo package`, which builds each one from its `.crate` alone
//! against the others (the facade with every provider), lists the packages
//! and their sizes, then builds and runs a project outside the workspace
//! that sees only those packages. The project depends on `accountkit` with
//! one provider and on `accountkit-sandbox` as a crates.io user does; a
//! `[patch.crates-io]` points those names at the unpacked packages under
//! `target/package/`, never at the workspace's sources. It makes one call
//! against the sandbox.
//!
//! `--allow-dirty` is passed on to `cargo package`. The project is written
//! to the system temp dir and builds in the workspace's target dir (or
//! `CARGO_TARGET_DIR`), so the dependencies verification built are reused;
//! it starts from the workspace's `Cargo.lock`, so it builds the versions
//! the workspace tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub const USAGE: &str = "usage: cargo xtask package [--allow-dirty]";

/// The workspace's crates that are not published.
const UNPUBLISHED: [&str; 3] = ["accountkit-bench", "xtask", "accountkit-e2e"];

/// The outside project's manifest, less its `[patch.crates-io]` table.
const CONSUMER_MANIFEST: &str = r#"[package]
name = "accountkit-consumer"
version = "0.0.0"
edition = "2024"
publish = false

# Its own workspace, wherever it is written.
[workspace]

[dependencies]
accountkit = { version = "0.1", features = ["tagoio"] }
accountkit-sandbox = "0.1"
tokio = { version = "1", features = ["macros", "rt"] }
"#;

const CONSUMER_MAIN: &str = r#"use accountkit::tagoio::{Client, NewAccount, Region};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let sandbox = accountkit_sandbox::Sandbox::start().await.expect("the sandbox starts");
    let tagoio = sandbox.tagoio();
    let client = Client::anonymous(Region::Custom(tagoio.base_url())).expect("a client for the sandbox");
    let account = NewAccount::new("Ada Lovelace", "ada@example.com", "correct horse", "Europe/London");
    client.create(&account).await.expect("the sandbox creates the account");
    assert!(tagoio.confirmation_token("ada@example.com").is_some(), "no confirmation email was sent");
    println!("consumer: created an account on the sandbox's TagoIO");
}
"#;

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let mut package_args = Vec::new();
    for arg in args {
        match arg.as_str() {
            "--allow-dirty" => package_args.push(arg.as_str()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let packages = package(root, &cargo, &package_args)?;
    println!("\npackages ({} crates):", packages.len());
    for package in &packages {
        if let Some(file) = first_repository_only_file(&package.unpacked)? {
            let file = file.strip_prefix(&package.unpacked).unwrap_or(&file).display().to_string();
            return Err(format!("{}: ships {file}, which only the repository needs", package.name));
        }
        let size =
            std::fs::metadata(&package.file).map_err(|e| format!("{}: {e}", package.file.display()))?.len();
        println!("  {}: {:.1} KiB", package.name, size as f64 / 1024.0);
    }

    let dir = std::env::temp_dir().join(format!("accountkit-consumer-{}", std::process::id()));
    let outcome = consumer(root, &dir, &cargo, &packages);
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

/// Runs `cargo package` on every published crate, with `args` (such as
/// `--allow-dirty` or `--no-verify`), and lists the packages it wrote.
/// Verification unpacks each `.crate`; without it, they are unpacked here.
pub fn package(root: &Path, cargo: &str, args: &[&str]) -> Result<Vec<Package>, String> {
    forget_unpacked_workspace_crates();
    forget_verified_workspace_crates(root);
    let mut command = Command::new(cargo);
    command.current_dir(root).args(["package", "--workspace", "--features", "accountkit/full"]);
    for name in UNPUBLISHED {
        command.args(["--exclude", name]);
    }
    run_status(command.args(args), "cargo package")?;
    let packages = packages(root)?;
    if args.contains(&"--no-verify") {
        for package in &packages {
            let _ = std::fs::remove_dir_all(&package.unpacked);
            let dir = package.unpacked.parent().expect("a package folder in target/package");
            let mut tar = Command::new("tar");
            tar.arg("-xzf").arg(&package.file).arg("-C").arg(dir);
            run_status(&mut tar, &format!("unpacking {}", package.file.display()))?;
        }
    }
    Ok(packages)
}

/// Verification builds each package against a temporary local registry,
/// and cargo reuses what it unpacked from that registry on an earlier run
/// when the version is unchanged: a crate edited since would be verified
/// against its old source. Removing those copies makes cargo unpack afresh.
fn forget_unpacked_workspace_crates() {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")));
    let Some(src) = home.map(|home| home.join("registry").join("src")) else { return };
    let Ok(registries) = std::fs::read_dir(&src) else { return };
    for registry in registries.flatten() {
        // Only local registries: crates.io's copies are the published ones.
        if registry.file_name().to_string_lossy().starts_with("index.") {
            continue;
        }
        let Ok(crates) = std::fs::read_dir(registry.path()) else { continue };
        for unpacked in crates.flatten() {
            if unpacked.file_name().to_string_lossy().starts_with("accountkit-") {
                let _ = std::fs::remove_dir_all(unpacked.path());
            }
        }
    }
}

/// What verification compiled of those registry copies is reused too: a
/// `.crate` gives every file the same fixed timestamp, so cargo sees no
/// change in a crate edited since and links the old build. Forgetting the
/// workspace crates' build records makes cargo compile them afresh (the
/// workspace's own builds of them as well, which an edit redoes anyway).
fn forget_verified_workspace_crates(root: &Path) {
    let fingerprints = target_dir(root).join("debug").join(".fingerprint");
    let Ok(units) = std::fs::read_dir(&fingerprints) else { return };
    for unit in units.flatten() {
        if unit.file_name().to_string_lossy().starts_with("accountkit-") {
            let _ = std::fs::remove_dir_all(unit.path());
        }
    }
}

/// A `.crate` that `cargo package` wrote, and the folder it unpacked it to.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
pub struct Package {
    pub name: String,
    pub file: PathBuf,
    pub unpacked: PathBuf,
}

/// The packages of this version under `target/package/`, by name.
fn packages(root: &Path) -> Result<Vec<Package>, String> {
    let dir = target_dir(root).join("package");
    let version = env!("CARGO_PKG_VERSION");
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut packages: Vec<Package> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let file = entry.file_name().into_string().ok()?;
            let name = file.strip_suffix(&format!("-{version}.crate"))?.to_string();
            let unpacked = dir.join(format!("{name}-{version}"));
            Some(Package { name, file: entry.path(), unpacked })
        })
        .collect();
    packages.sort();
    Ok(packages)
}

/// Writes a project outside the workspace into `dir`: `manifest` (a
/// `[package]` and its dependencies) with a `[patch.crates-io]` onto the
/// unpacked `packages`, `main` as its `src/main.rs`, and the workspace's
/// `Cargo.lock`, so it builds the versions the workspace tests.
pub fn write_project(
    root: &Path,
    dir: &Path,
    packages: &[Package],
    manifest: &str,
    main: &str,
) -> Result<(), String> {
    let mut manifest = manifest.to_string();
    if !packages.is_empty() {
        manifest.push_str("\n[patch.crates-io]\n");
    }
    for package in packages {
        manifest.push_str(&format!(
            "{} = {{ path = {:?} }}\n",
            package.name,
            package.unpacked.display().to_string()
        ));
    }
    let write = |path: PathBuf, text: &str| {
        std::fs::create_dir_all(path.parent().expect("a file in a dir"))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    let _ = std::fs::remove_dir_all(dir);
    write(dir.join("Cargo.toml"), &manifest)?;
    write(dir.join("src/main.rs"), main)?;
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    Ok(())
}

fn consumer(root: &Path, dir: &Path, cargo: &str, packages: &[Package]) -> Result<(), String> {
    write_project(root, dir, packages, CONSUMER_MANIFEST, CONSUMER_MAIN)?;

    let cargo_in = |subcommand: &str| {
        let mut command = Command::new(cargo);
        command.current_dir(dir).arg(subcommand).arg("--quiet").env("CARGO_TARGET_DIR", target_dir(root));
        command
    };
    println!(
        "\nbuilding a project outside the workspace on the packages: accountkit (tagoio), accountkit-sandbox"
    );
    let start = Instant::now();
    run_status(&mut cargo_in("build"), "the consumer's build")?;
    println!("consumer: built in {:.1} s", start.elapsed().as_secs_f64());
    run_status(&mut cargo_in("run"), "the consumer")
}

/// A test, snapshot or example in an unpacked package: what an `include`
/// list should keep out.
fn first_repository_only_file(dir: &Path) -> Result<Option<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if ["tests", "examples", "benches", "snapshots", "tests.rs"].contains(&name.as_str())
            || name.ends_with(".snap")
        {
            return Ok(Some(path));
        }
        if path.is_dir()
            && let Some(found) = first_repository_only_file(&path)?
        {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// The workspace's target dir, as cargo picks it.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

pub fn run_status(command: &mut Command, what: &str) -> Result<(), String> {
    let status = command.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{what} failed")) }
}
