//! Maintainer tasks.
//!
//! `cargo xtask regen` writes the copies of `openapi/` that the packages
//! ship (see [`shipped_copies`]), regenerates every raw client's API-surface
//! snapshot from its OpenAPI document, prints what changed (operations and
//! types added, removed, changed), then rebuilds the raw crates and runs
//! their snapshot tests. `cargo xtask regen --check` changes nothing and
//! fails, printing the diff, when a shipped copy or a committed snapshot is
//! out of date. `--root DIR` runs against another checkout of the workspace
//! layout.
//!
//! Snapshot suites written with insta (see [`INSTA_SUITES`], e.g. the GraphQL
//! documents of a cynic client) are refreshed the same way: `regen` runs them
//! with `INSTA_UPDATE=always` and deletes snapshots no test refers to any
//! more; `--check` runs them with `INSTA_UPDATE=no` and `CI=true` and fails
//! on a changed, missing or stale snapshot. They need cargo, so they run only
//! in the workspace itself, not with `--root`.
//!
//! In the workspace, `regen` also writes the table of which operations are
//! retried on what into SECURITY.md (see [`retries`]), and `--check` fails
//! when it is stale.
//!
//! `cargo xtask bench` runs the benchmarks; see [`bench`]. `cargo xtask
//! package` packages the published crates and builds a project on them; see
//! [`package`].
//!
//! `cargo xtask vendor-check [PROVIDER]` compares the vendors' published
//! descriptions with ours; see [`vendor`].
//!
//! `cargo xtask doc-examples [--list]` checks that every public method of
//! the facade and the sandbox has an example; see [`doc_examples`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use accountkit_codegen::{APIS, Api, Change, Impact};

mod bench;
mod dependents;
mod doc_examples;
mod package;
mod retries;
mod vendor;

fn task(outcome: Result<(), String>, usage: &str) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}\n{usage}");
            ExitCode::FAILURE
        }
    }
}

/// A check's exit: 0 when it holds, 1 when it found something, 2 when it
/// could not run.
fn verdict(outcome: Result<bool, String>, usage: &str) -> ExitCode {
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}\n{usage}");
            ExitCode::from(2)
        }
    }
}

/// The workspace root (this crate lives in `xtask`).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

const USAGE: &str = "usage: cargo xtask regen [--check] [--no-build] [--root DIR]";

/// `--help` of each command: what it does, then its usage.
fn help(command: &str) -> Option<String> {
    let (what, usage) = match command {
        "regen" => (
            "Regenerates every raw client's API-surface snapshot and shipped copy from openapi/, \
             prints each operation, type, field and variant added (+), removed (-) or changed (~) \
             with what it means for the raw crate (additive, wire, breaking) and the CHANGELOG lines \
             to add, then builds the facade, the sandbox and the end-to-end suite on the generated \
             code and prints each line that no longer compiles as `file:line: what to decide`. \
             Fails while any such line is left.\n\
             --check     change nothing; fail when a snapshot or copy is out of date\n\
             --no-build  skip the build of what uses the generated code\n\
             --root DIR  run against another checkout of the workspace",
            USAGE,
        ),
        "vendor-check" => (
            "Compares each vendor's published description (openapi/<provider>/vendor/) with ours \
             and prints one line per difference; fails on any not listed in vendor/accepted.yaml.",
            vendor::USAGE,
        ),
        "doc-examples" => (
            "Checks that every public method of the facade and the sandbox has an example.",
            doc_examples::USAGE,
        ),
        "bench" => ("Runs the benchmarks and prints their tables (see BENCHMARKS.md).", bench::USAGE),
        "package" => (
            "Packages every published crate and builds a project outside the workspace on the packages.",
            package::USAGE,
        ),
        _ => return None,
    };
    Some(format!("{what}\n\n{usage}"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut check = false;
    let mut root = None;
    let mut no_build = false;
    if let [command, rest @ ..] = args.as_slice()
        && rest.iter().any(|a| a == "--help" || a == "-h")
        && let Some(text) = help(command)
    {
        println!("{text}");
        return ExitCode::SUCCESS;
    }
    let mut rest = args.iter();
    match rest.next().map(String::as_str) {
        Some("regen") => {}
        Some("bench") => return task(bench::run(&workspace_root(), &args[1..]), bench::USAGE),
        Some("package") => return task(package::run(&workspace_root(), &args[1..]), package::USAGE),
        Some("vendor-check") => return verdict(vendor::run(&workspace_root(), &args[1..]), vendor::USAGE),
        Some("doc-examples") => {
            return verdict(doc_examples::run(&workspace_root(), &args[1..]), doc_examples::USAGE);
        }
        _ => {
            eprintln!(
                "{USAGE}\n{}\n{}\n{}\n{}",
                bench::USAGE,
                package::USAGE,
                vendor::USAGE,
                doc_examples::USAGE
            );
            return ExitCode::from(2);
        }
    }
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--no-build" => no_build = true,
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
    let root = root.unwrap_or_else(workspace_root);
    match regen(&root, check, in_workspace, !no_build) {
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
        let generated = accountkit_codegen::generate(&spec, &accountkit_codegen::settings_for(api))
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

/// The STX schema, which cynic (in `accountkit-stx-raw`) and the sandbox
/// read as it is.
const STX_SCHEMA: &str = "openapi/stx/schema.graphql";

/// A file that `regen` writes into a package from a source under `openapi/`,
/// so that the package builds from its own files, in the workspace and from
/// a registry.
struct ShippedCopy {
    source: String,
    target: String,
    text: String,
}

/// Every shipped copy: each REST API's document in JSON form, marked with
/// its source (no YAML is read at a user's build), and the STX schema with a
/// header saying where it comes from.
fn shipped_copies(root: &Path) -> Result<Vec<ShippedCopy>, String> {
    let mut copies = Vec::new();
    for api in APIS {
        let text = accountkit_codegen::shipped_spec_text(root, api.spec).map_err(|e| e.to_string())?;
        copies.push(ShippedCopy { source: api.spec.to_string(), target: api.shipped_spec(), text });
    }
    let path = root.join(STX_SCHEMA);
    let schema = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    for target in ["crates/stx-raw/schema.graphql", "crates/sandbox/src/stx/schema.graphql"] {
        let text = format!(
            "# Written by `cargo xtask regen` from {STX_SCHEMA}: edit that file, not this one.\n{schema}"
        );
        copies.push(ShippedCopy { source: STX_SCHEMA.to_string(), target: target.to_string(), text });
    }
    Ok(copies)
}

/// Writes (or, with `check`, compares) the shipped copies; returns whether
/// they were up to date.
fn refresh_copies(root: &Path, check: bool) -> Result<bool, String> {
    let mut clean = true;
    for copy in shipped_copies(root)? {
        let path = root.join(&copy.target);
        let old = std::fs::read_to_string(&path).ok();
        if old.as_deref() == Some(copy.text.as_str()) {
            println!("{} (from {}): unchanged", copy.target, copy.source);
            continue;
        }
        let verb = match (check, old.is_some()) {
            (true, true) => "out of date",
            (true, false) => "missing",
            (false, true) => "updated",
            (false, false) => "created",
        };
        println!("{} (from {}): {verb}", copy.target, copy.source);
        if check {
            clean = false;
            let diff = similar::TextDiff::from_lines(old.as_deref().unwrap_or(""), copy.text.as_str());
            print!("{}", diff.unified_diff().context_radius(2).header(&copy.target, "generated"));
        } else {
            std::fs::write(&path, &copy.text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(clean)
}

/// What `+`, `-`, `~` and the impacts mean, printed with every change list.
const LEGEND: &str = "\
legend: + added, - removed, ~ changed;
        (additive) code using the raw crate still compiles and behaves the same,
        (wire) the same Rust API with different JSON on the wire,
        (breaking) code using the raw crate may not compile (a new field every literal must name, a removal, a changed type)";

/// Returns whether everything was (or now is) up to date and everything
/// built on the generated code still compiles.
fn regen(root: &Path, check: bool, in_workspace: bool, build: bool) -> Result<bool, String> {
    let mut clean = refresh_copies(root, check)?;
    let mut changelog = Vec::new();
    let mut surfaces = Vec::new();
    for api in APIS {
        let snapshot = Snapshot::for_api(root, api)?;
        surfaces.push((api.name, snapshot.body.clone()));
        let old = snapshot.committed_body();
        let old_text = old.as_deref().unwrap_or("");
        if old_text.trim_end() == snapshot.body.trim_end() {
            println!("{} ({}): unchanged", snapshot.name, snapshot.source);
            continue;
        }
        let changes = accountkit_codegen::detailed_changes(old_text, &snapshot.body);
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
        changelog.extend(changes.iter().map(|c| (api.package, c.clone())));
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
    if in_workspace {
        for suite in INSTA_SUITES {
            clean &= suite.run(root, check)?;
        }
        clean &= retries::refresh(root, check)?;
    }
    if !changelog.is_empty() {
        println!("\n{LEGEND}");
        println!("\n{}", changelog_lines(&changelog));
    }
    if check && !clean {
        println!("\nrun `cargo xtask regen` and commit the diff");
    }
    if !check && in_workspace {
        rebuild_raw_crates(root)?;
    }
    if build && !root.join("Cargo.toml").exists() {
        println!("no Cargo.toml at the root: nothing built on the generated code");
    } else if build {
        let mut decisions = dependents::build(root)?;
        for (module, surface) in &surfaces {
            decisions.extend(dependents::unused_operations(root, module, surface));
        }
        if decisions.is_empty() {
            println!("the facade, the sandbox and the end-to-end suite build on the generated code");
        } else {
            let lines = if decisions.len() == 1 { "line" } else { "lines" };
            println!("\n{} {lines} to decide; decide each, then run regen again:", decisions.len());
            for decision in &decisions {
                println!("  {decision}");
            }
            clean = false;
        }
    }
    Ok(clean)
}

fn summary(changes: &[Change]) -> String {
    let count = |sign| changes.iter().filter(|c| c.sign == sign).count();
    let breaking = changes.iter().filter(|c| c.impact == Impact::Breaking).count();
    format!("{} added, {} removed, {} changed; {breaking} breaking", count('+'), count('-'), count('~'))
}

/// The lines for `CHANGELOG.md`'s Unreleased section, by Keep a Changelog
/// heading; what the facade itself exposes is the maintainer's to add.
fn changelog_lines(changes: &[(&str, Change)]) -> String {
    let mut out = String::from("for CHANGELOG.md, under ## [Unreleased]:");
    for (heading, sign) in [("Added", '+'), ("Changed", '~'), ("Removed", '-')] {
        let lines: Vec<String> = changes
            .iter()
            .filter(|(_, c)| c.sign == sign)
            .map(|(package, c)| {
                let detail = c.detail.as_ref().map(|d| format!(" (`{d}`)")).unwrap_or_default();
                let breaking = if c.impact == Impact::Breaking { " **breaking**" } else { "" };
                format!("- `{package}`: {}{detail}{breaking}", c.what)
            })
            .collect();
        if !lines.is_empty() {
            out.push_str(&format!("\n### {heading}\n{}", lines.join("\n")));
        }
    }
    out
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

/// A test whose insta snapshots are generated artefacts too.
struct InstaSuite {
    package: &'static str,
    crate_dir: &'static str,
    /// The test target; its snapshots are `tests/snapshots/<test>__*.snap`.
    test: &'static str,
}

/// Every insta-driven snapshot suite, refreshed and checked with the APIs.
const INSTA_SUITES: &[InstaSuite] = &[
    InstaSuite { package: "accountkit-stx-raw", crate_dir: "crates/stx-raw", test: "documents" },
    // The facade's public API (`xtask/tests/public_api.rs`).
    InstaSuite { package: "xtask", crate_dir: "xtask", test: "public_api" },
];

/// What a run did to a suite's snapshot files.
#[derive(Debug, Default, PartialEq, Eq)]
struct FileChanges {
    added: Vec<String>,
    changed: Vec<String>,
    /// Files no test referred to.
    removed: Vec<String>,
}

impl FileChanges {
    fn between(
        before: &BTreeMap<String, String>,
        after: &BTreeMap<String, String>,
        referenced: &BTreeSet<String>,
    ) -> FileChanges {
        let mut changes = FileChanges::default();
        for (name, text) in after {
            match before.get(name) {
                None => changes.added.push(name.clone()),
                Some(old) if old != text => changes.changed.push(name.clone()),
                Some(_) => {}
            }
        }
        let all: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
        changes.removed = all.into_iter().filter(|name| !referenced.contains(*name)).cloned().collect();
        changes
    }

    fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }

    fn summary(&self) -> String {
        format!("{} added, {} removed, {} changed", self.added.len(), self.removed.len(), self.changed.len())
    }
}

impl InstaSuite {
    fn snapshot_dir(&self, root: &Path) -> PathBuf {
        root.join(self.crate_dir).join("tests/snapshots")
    }

    /// The suite's snapshot files, by name.
    fn snapshots(&self, root: &Path) -> BTreeMap<String, String> {
        let prefix = format!("{}__", self.test);
        let Ok(entries) = std::fs::read_dir(self.snapshot_dir(root)) else { return BTreeMap::new() };
        entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                if !(name.starts_with(&prefix) && name.ends_with(".snap")) {
                    return None;
                }
                Some((name, std::fs::read_to_string(entry.path()).ok()?))
            })
            .collect()
    }

    /// Runs the test; returns whether its snapshots were (or now are) up to date.
    fn run(&self, root: &Path, check: bool) -> Result<bool, String> {
        let label = format!("{} ({}, insta)", self.test, self.package);
        let before = self.snapshots(root);
        let references =
            std::env::temp_dir().join(format!("xtask-insta-{}-{}", self.test, std::process::id()));
        let _ = std::fs::remove_file(&references);
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let mut command = Command::new(cargo);
        command
            .current_dir(root)
            .args(["test", "--quiet", "-p", self.package, "--test", self.test])
            .env("INSTA_SNAPSHOT_REFERENCES_FILE", &references)
            .env("RUST_BACKTRACE", "0")
            .env_remove("INSTA_FORCE_PASS");
        if check {
            command.env("INSTA_UPDATE", "no").env("CI", "true");
        } else {
            command.env("INSTA_UPDATE", "always");
        }
        let status = command.status().map_err(|e| format!("cannot run cargo: {e}"))?;
        let referenced: BTreeSet<String> = std::fs::read_to_string(&references)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| Some(Path::new(line).file_name()?.to_string_lossy().into_owned()))
            .collect();
        let _ = std::fs::remove_file(&references);
        if !status.success() {
            let what = if check { "out of date (insta printed the diff above)" } else { "its test failed" };
            println!("{label}: {what}");
            return if check { Ok(false) } else { Err(format!("{label}: the snapshot test failed")) };
        }
        let changes = FileChanges::between(&before, &self.snapshots(root), &referenced);
        if changes.is_empty() {
            println!("{label}: unchanged");
            return Ok(true);
        }
        let verb = if check { "out of date" } else { "updated" };
        println!("{label}: {verb}, {}", changes.summary());
        for (mark, names) in [("+", &changes.added), ("-", &changes.removed), ("~", &changes.changed)] {
            for name in names {
                println!("  {mark} {name}");
            }
        }
        if !check {
            for name in &changes.removed {
                let path = self.snapshot_dir(root).join(name);
                std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
        Ok(!check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(name, text)| (name.to_string(), text.to_string())).collect()
    }

    #[test]
    fn insta_file_changes_name_added_changed_and_unreferenced_files() {
        let before = files(&[("d__a.snap", "1"), ("d__b.snap", "2"), ("d__gone.snap", "3")]);
        let after = files(&[
            ("d__a.snap", "1"),
            ("d__b.snap", "2 changed"),
            ("d__gone.snap", "3"),
            ("d__new.snap", "4"),
        ]);
        let referenced = ["d__a.snap", "d__b.snap", "d__new.snap"].map(String::from).into();
        let changes = FileChanges::between(&before, &after, &referenced);
        assert_eq!(
            changes,
            FileChanges {
                added: vec!["d__new.snap".into()],
                changed: vec!["d__b.snap".into()],
                removed: vec!["d__gone.snap".into()],
            }
        );
        assert_eq!(changes.summary(), "1 added, 1 removed, 1 changed");
        let same = FileChanges::between(&before, &before, &before.keys().cloned().collect());
        assert!(same.is_empty());
    }
}
