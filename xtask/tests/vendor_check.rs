//! `cargo xtask vendor-check` against copies of the checked-in descriptions:
//! today's copies pass, and a changed vendor document fails naming each change.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A temporary root holding a copy of `openapi/`.
fn copy_of_descriptions() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&workspace().join("openapi"), &dir.path().join("openapi"));
    dir
}

fn vendor_check(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("vendor-check")
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .unwrap()
}

#[test]
fn todays_copies_pass() {
    let root = copy_of_descriptions();
    let out = vendor_check(root.path(), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    for provider in ["cycle", "logto", "pangea", "stx", "tagoio"] {
        assert!(stdout.contains(&format!("{provider}: ")), "{provider} not checked:\n{stdout}");
    }
}

#[test]
fn an_added_field_a_changed_type_and_a_removed_enum_value_fail_by_name() {
    let root = copy_of_descriptions();
    let path = root.path().join("openapi/pangea/vendor/authn.openapi.json");
    let mut spec: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let schemas = &mut spec["components"]["schemas"];
    let user = &mut schemas["authn-v2-user-info"]["properties"];
    user["favourite_colour"] = json!({ "type": "string" });
    user["login_count"] = json!({ "type": "string" });
    let order = &mut schemas["authn-filter-users"]["properties"]["order"]["enum"];
    assert_eq!(*order, json!(["asc", "desc"]), "the test's anchor moved");
    *order = json!(["asc"]);
    std::fs::write(&path, serde_json::to_string_pretty(&spec).unwrap()).unwrap();

    let out = vendor_check(root.path(), &["pangea"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "the check passed on a changed vendor document:\n{stdout}");
    for line in [
        "pangea user_profile_get response 200: + result.favourite_colour (vendor: string)",
        "pangea user_profile_get response 200: ~ result.login_count: type (vendor: string; ours: integer(int64))",
        "pangea user_list request: ~ order: enum (vendor only: none; ours only: \"desc\")",
    ] {
        assert!(stdout.lines().any(|l| l == line), "missing `{line}` in:\n{stdout}");
    }
    // Only what changed is reported, and only pangea is checked.
    assert!(stdout.contains("not accepted"), "{stdout}");
    assert!(!stdout.contains("tagoio:"), "{stdout}");
}

#[test]
fn a_graphql_change_is_named() {
    let root = copy_of_descriptions();
    let path = root.path().join("openapi/stx/vendor/schema.graphql");
    let text = std::fs::read_to_string(&path).unwrap();
    let anchor = "type TwoFactorAuthResult {\n";
    assert!(text.contains(anchor), "the test's anchor moved");
    std::fs::write(&path, text.replacen(anchor, &format!("{anchor}  expiresIn: Int\n"), 1)).unwrap();
    let out = vendor_check(root.path(), &["stx"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.lines().any(|l| l == "stx TwoFactorAuthResult fields: + expiresIn (vendor: Int)"),
        "{stdout}"
    );
}

#[test]
fn a_stale_acceptance_fails() {
    let root = copy_of_descriptions();
    let path = root.path().join("openapi/tagoio/vendor/accepted.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let extra = "- reason: no longer true\n  differences:\n    - \"tagoio info request: + nothing (vendor: string)\"\n";
    std::fs::write(&path, format!("{text}{extra}")).unwrap();
    let out = vendor_check(root.path(), &["tagoio"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("accepted but not found: tagoio info request: + nothing (vendor: string)"),
        "{stdout}"
    );
}

#[test]
fn an_unknown_provider_is_refused() {
    let root = copy_of_descriptions();
    let out = vendor_check(root.path(), &["nobody"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no provider `nobody`"));
}
