//! A vendor's API changes, and a maintainer follows it through, on a copy of
//! the workspace: a response field and a request field added, a field's
//! type changed, a field removed, an operation added. At each step
//! `vendor-check`, `regen` and the build must name the change, and nothing
//! may pass through unseen.
//!
//! It builds the copy, so `.ci/run` runs it on its own after the test suite
//! (`cargo test -p xtask --test upgrade -- --ignored`), sharing the
//! workspace's build directory.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

/// The workspace's tracked files, copied.
fn copy_of_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let listed = Command::new("git").current_dir(workspace()).args(["ls-files", "-z"]).output().unwrap();
    assert!(listed.status.success(), "git ls-files");
    for file in listed.stdout.split(|b| *b == 0).filter(|f| !f.is_empty()) {
        let file = String::from_utf8_lossy(file).into_owned();
        let (from, to) = (workspace().join(&file), dir.path().join(&file));
        if !from.is_file() {
            continue;
        }
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
    dir
}

struct Run {
    ok: bool,
    out: String,
}

fn xtask(root: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .arg("--root")
        .arg(root)
        // Dependencies built once for the workspace serve the copy too.
        .env("CARGO_TARGET_DIR", workspace().join("target"))
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // What the maintainer sees, shown with `--nocapture`.
    eprintln!("$ cargo xtask {}\n{text}", args.join(" "));
    Run { ok: out.status.success(), out: text }
}

/// Replaces the one place `anchor` occurs in a file of the copy.
fn edit(root: &Path, file: &str, anchor: &str, replacement: &str) {
    let path = root.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches(anchor).count(), 1, "{file}: the anchor {anchor:?} moved");
    std::fs::write(&path, text.replace(anchor, replacement)).unwrap();
}

fn insert_after(root: &Path, file: &str, anchor: &str, line: &str) {
    edit(root, file, anchor, &format!("{anchor}{line}"));
}

fn has(run: &Run, line: &str) {
    assert!(run.out.contains(line), "missing {line:?} in:\n{}", run.out);
}

const OURS: &str = "openapi/tagoio/account.yaml";
const VENDOR: &str = "openapi/tagoio/vendor/tagoio-api.yaml";
const TYPES: &str = "crates/accountkit/src/tagoio/types.rs";
/// The line before `company` in `AccountInfo`.
const IANA: &str =
    "        timezone: { type: string, description: \"IANA time zone, e.g. America/Sao_Paulo.\" }\n";

#[test]
#[ignore = "builds a copy of the workspace; .ci/run runs it on its own"]
fn every_vendor_change_is_named_until_it_is_decided() {
    let copy = copy_of_workspace();
    let root = copy.path();
    let pristine = |file: &str| std::fs::read_to_string(root.join(file)).unwrap();
    let (ours, vendor) = (pristine(OURS), pristine(VENDOR));
    let restore = |file: &str, text: &str| std::fs::write(root.join(file), text).unwrap();
    let regen_passes = || {
        let run = xtask(root, &["regen"]);
        assert!(run.ok, "{}", run.out);
        has(&run, "the facade, the sandbox and the end-to-end suite build on the generated code");
        let run = xtask(root, &["regen", "--check"]);
        assert!(run.ok, "{}", run.out);
    };

    // 1. The vendor adds a response field and a request field.
    insert_after(
        root,
        VENDOR,
        "                      stripe_id:\n                        example: null\n",
        "                      timezone_offset:\n                        type: integer\n",
    );
    insert_after(
        root,
        VENDOR,
        "                company:\n                  type: string\n                  example: TagoIO\n",
        "                referral_code:\n                  type: string\n",
    );
    let run = xtask(root, &["vendor-check", "tagoio"]);
    assert!(!run.ok, "{}", run.out);
    has(&run, "tagoio info response 200: + result.timezone_offset (vendor: integer)");
    has(&run, "tagoio edit request: + referral_code (vendor: string)");
    // The maintainer takes both into our description.
    insert_after(
        root,
        OURS,
        "        stripe_id: { type: string, nullable: true }\n",
        "        timezone_offset: { type: integer, nullable: true }\n",
    );
    insert_after(
        root,
        OURS,
        "        company: { type: string }\n        language: { type: string }\n",
        "        referral_code: { type: string }\n",
    );
    let run = xtask(root, &["vendor-check", "tagoio"]);
    assert!(run.ok, "{}", run.out);
    let run = xtask(root, &["regen"]);
    assert!(!run.ok, "regen passed with undecided fields:\n{}", run.out);
    has(&run, "+ field types::AccountInfo.timezone_offset: Option<i64> (breaking)");
    has(&run, "+ field types::AccountEdit.referral_code: Option<String> (breaking)");
    has(&run, "legend: + added, - removed, ~ changed;");
    has(
        &run,
        "- `accountkit-tagoio-raw`: field types::AccountInfo.timezone_offset (`Option<i64>`) **breaking**",
    );
    has(&run, &format!("{TYPES}:"));
    has(
        &run,
        "the raw type gained field `timezone_offset`: expose it, or bind it as `name: _` with the reason",
    );
    has(&run, "the raw request gained field `referral_code`: decide what the facade sends");
    // `--check` sees the same undecided lines.
    let run = xtask(root, &["regen", "--check"]);
    assert!(!run.ok);
    has(&run, "the raw type gained field `timezone_offset`");
    // Decided: the offset is not shown yet, no referral code is sent.
    insert_after(
        root,
        TYPES,
        "        let raw::AccountInfo {\n",
        "            timezone_offset: _, // not shown yet\n",
    );
    insert_after(root, TYPES, "        Ok(raw::AccountEdit {\n", "            referral_code: None,\n");
    regen_passes();

    // 2. A field changes type: string to integer.
    let before = pristine(OURS);
    edit(
        root,
        OURS,
        &format!("{IANA}        company: {{ type: string, nullable: true }}\n"),
        &format!("{IANA}        company: {{ type: integer, nullable: true }}\n"),
    );
    let run = xtask(root, &["regen"]);
    assert!(!run.ok, "{}", run.out);
    has(&run, "~ field types::AccountInfo.company: Option<String> -> Option<i64> (breaking)");
    has(&run, "a raw type changed: convert the new type here");
    restore(OURS, &before);
    regen_passes();

    // 3. A field is removed.
    edit(
        root,
        OURS,
        "        newsletter: { type: boolean, nullable: true }\n        developer:",
        "        developer:",
    );
    let run = xtask(root, &["regen"]);
    assert!(!run.ok, "{}", run.out);
    has(&run, "- field types::AccountInfo.newsletter: Option<bool> (breaking)");
    has(&run, "`newsletter` is gone from the raw type");
    restore(OURS, &before);
    regen_passes();

    // 4. An operation is added: it builds, but is not yet offered.
    edit(
        root,
        OURS,
        "\ncomponents:\n",
        "  /account/sessions:\n    get:\n      operationId: list_sessions\n      responses:\n        \"200\": { description: ok }\n\ncomponents:\n",
    );
    let run = xtask(root, &["regen"]);
    assert!(!run.ok, "{}", run.out);
    has(&run, "+ operation list_sessions (additive)");
    has(&run, "the raw crate's operation `list_sessions` is not called");
    restore(OURS, &before);
    restore(VENDOR, &vendor);
    restore(TYPES, &pristine(TYPES));
    let _ = ours;
    regen_passes();
}
