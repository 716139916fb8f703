//! Maintainer tasks.
//!
//! `cargo xtask regen` regenerates every raw client's API-surface snapshot
//! from its OpenAPI document, prints what changed (operations and types
//! added, removed, changed), then rebuilds the raw crates and runs their
//! snapshot tests. `cargo xtask regen --check` changes nothing and fails,
//! printing the diff, when a committed snapshot is out of date.
//! `--root DIR` runs against another checkout of the workspace layout.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use accountkit_codegen::{APIS, Api, SurfaceChange};

const USAGE: &str = "usage: cargo xtask regen [--check] [--root DIR]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut check = false;
    let mut root = None;
    let mut rest = args.iter();
    match rest.next().map(String::as_str) {
        Some("regen") => {}
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--root" => match rest.next() {
                Some(dir) => root = Some(PathBuf::from(dir)),
                None => {
                    eprintln!("{USAGE}");
                    return ExitCode::from(2);
                }
            },
            other => {
                eprintln!("unknown argument `{other}`\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let in_workspace = root.is_none();
    let root = root.unwrap_or_else(accountkit_codegen::workspace_root);
    match regen(&root, check, in_workspace) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// One generated artefact and its committed snapshot.
struct Snapshot {
    name: &'static str,
    source: &'static str,
    path: PathBuf,
    header: String,
    body: String,
}

impl Snapshot {
    fn for_api(root: &Path, api: &Api) -> Result<Snapshot, String> {
        let spec = accountkit_codegen::load_spec(&root.join(api.spec)).map_err(|e| e.to_string())?;
        let generated = accountkit_codegen::generate(&spec, &accountkit_codegen::settings())
            .map_err(|e| format!("{}: {e}", api.spec))?;
        Ok(Snapshot {
            name: api.name,
            source: api.spec,
            path: root.join(api.crate_dir).join("tests/snapshots").join(format!("{}.snap", api.name)),
            // What insta writes for `crates/<raw>/tests/api_surface.rs`.
            header: format!("---\nsource: {}/tests/api_surface.rs\n---\n", api.crate_dir),
            body: generated.surface,
        })
    }

    fn committed_body(&self) -> Option<String> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        // Skip insta's `---` header block.
        let body = text.strip_prefix("---\n")?.split_once("\n---\n")?.1;
        Some(body.to_string())
    }
}

/// Returns whether everything was (or now is) up to date.
fn regen(root: &Path, check: bool, in_workspace: bool) -> Result<bool, String> {
    let mut clean = true;
    for api in APIS {
        let snapshot = Snapshot::for_api(root, api)?;
        let old = snapshot.committed_body();
        let old_text = old.as_deref().unwrap_or("");
        if old_text.trim_end() == snapshot.body.trim_end() {
            println!("{} ({}): unchanged", snapshot.name, snapshot.source);
            continue;
        }
        let changes = accountkit_codegen::surface_changes(old_text, &snapshot.body);
        let verb = match (check, old.is_some()) {
            (true, true) => "out of date",
            (true, false) => "has no committed snapshot",
            (false, true) => "updated",
            (false, false) => "created",
        };
        println!("{} ({}): {verb}, {}", snapshot.name, snapshot.source, summary(&changes));
        for change in &changes {
            println!("  {change}");
        }
        if check {
            clean = false;
            let diff = similar::TextDiff::from_lines(old_text, snapshot.body.as_str());
            let shown = snapshot.path.strip_prefix(root).unwrap_or(&snapshot.path).display().to_string();
            print!("{}", diff.unified_diff().context_radius(3).header(&shown, "generated"));
        } else {
            if let Some(dir) = snapshot.path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            std::fs::write(&snapshot.path, format!("{}{}", snapshot.header, snapshot.body))
                .map_err(|e| format!("{}: {e}", snapshot.path.display()))?;
        }
    }
    if check && !clean {
        println!("\nrun `cargo xtask regen` and commit the snapshot diff");
    }
    if !check && in_workspace {
        rebuild_raw_crates(root)?;
    }
    Ok(clean)
}

fn summary(changes: &[SurfaceChange]) -> String {
    let count = |f: fn(&SurfaceChange) -> bool| changes.iter().filter(|c| f(c)).count();
    let added = count(|c| matches!(c, SurfaceChange::Added(_)));
    let removed = count(|c| matches!(c, SurfaceChange::Removed(_)));
    let changed = count(|c| matches!(c, SurfaceChange::Changed(_)));
    format!("{added} added, {removed} removed, {changed} changed")
}

/// Rebuilds every raw crate and runs its snapshot test, which compares what
/// its build script generated with the snapshot just written.
fn rebuild_raw_crates(root: &Path) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(cargo);
    command.current_dir(root).args(["test", "--quiet", "--test", "api_surface"]).env("INSTA_UPDATE", "no");
    for api in APIS {
        command.args(["-p", api.package]);
    }
    println!("rebuilding the raw crates and checking their snapshots...");
    let status = command.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() { Ok(()) } else { Err("a raw crate's build or snapshot test failed".to_string()) }
}
