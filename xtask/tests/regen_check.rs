//! `cargo xtask regen --check` against copies of the workspace's specs,
//! shipped copies and snapshots: a spec change must fail the check, and
//! `regen` must fix it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use accountkit_codegen::APIS;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

const STX_COPIES: [&str; 3] =
    ["openapi/stx/schema.graphql", "crates/stx-raw/schema.graphql", "crates/sandbox/src/stx/schema.graphql"];

/// A temporary root holding copies of every spec, shipped copy and
/// committed snapshot.
fn copy_of_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<String> = STX_COPIES.map(String::from).to_vec();
    for api in APIS {
        files.push(api.spec.to_string());
        files.push(api.shipped_spec());
        files.push(format!("{}/tests/snapshots/{}.snap", api.crate_dir, api.name));
    }
    for file in files {
        let target = dir.path().join(&file);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(workspace().join(&file), &target).unwrap();
    }
    dir
}

fn xtask(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("regen")
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .unwrap()
}

#[test]
fn committed_snapshots_pass_the_check() {
    let root = copy_of_workspace();
    let out = xtask(root.path(), &["--check"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("tagoio (openapi/tagoio/account.yaml): unchanged"), "{stdout}");
    assert!(
        stdout.contains("crates/tagoio-raw/openapi.json (from openapi/tagoio/account.yaml): unchanged"),
        "{stdout}"
    );
    assert!(
        stdout.contains("crates/sandbox/src/stx/schema.graphql (from openapi/stx/schema.graphql): unchanged"),
        "{stdout}"
    );
}

#[test]
fn a_hand_edited_shipped_copy_fails_the_check_until_regen() {
    let root = copy_of_workspace();
    let copy = root.path().join("crates/stx-raw/schema.graphql");
    std::fs::write(&copy, std::fs::read_to_string(&copy).unwrap() + "scalar Extra\n").unwrap();
    let out = xtask(root.path(), &["--check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "the check passed on an edited copy:\n{stdout}");
    assert!(stdout.contains("crates/stx-raw/schema.graphql (from openapi/stx/schema.graphql): out of date"));
    assert!(stdout.contains("-scalar Extra"), "{stdout}");

    assert!(xtask(root.path(), &[]).status.success());
    assert_eq!(
        std::fs::read_to_string(&copy).unwrap().split_once('\n').unwrap().1,
        std::fs::read_to_string(root.path().join(STX_COPIES[0])).unwrap()
    );
    assert!(xtask(root.path(), &["--check"]).status.success());
}

#[test]
fn one_added_field_fails_the_check_until_regen() {
    let root = copy_of_workspace();
    let spec = root.path().join("openapi/tagoio/account.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    let anchor = "        stripe_id: { type: string, nullable: true }\n";
    assert!(text.contains(anchor), "the test's anchor line moved");
    std::fs::write(
        &spec,
        text.replace(anchor, &format!("{anchor}        favourite_colour: {{ type: string }}\n")),
    )
    .unwrap();

    let out = xtask(root.path(), &["--check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "the check passed on a changed spec:\n{stdout}");
    assert!(
        stdout.contains(
            "tagoio (openapi/tagoio/account.yaml): out of date, 1 added, 0 removed, 0 changed; 1 breaking"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("  + field types::AccountInfo.favourite_colour: Option<String> (breaking)"),
        "{stdout}"
    );
    assert!(stdout.contains("legend: + added, - removed, ~ changed;"), "{stdout}");
    assert!(
        stdout.contains("- `accountkit-tagoio-raw`: field types::AccountInfo.favourite_colour (`Option<String>`) **breaking**"),
        "{stdout}"
    );
    assert!(
        stdout.contains("crates/tagoio-raw/openapi.json (from openapi/tagoio/account.yaml): out of date"),
        "{stdout}"
    );
    assert!(stdout.contains(r#"+          "favourite_colour": {"#), "{stdout}");
    assert!(
        stdout.contains("+        pub favourite_colour: ::std::option::Option<::std::string::String>,"),
        "{stdout}"
    );

    let out = xtask(root.path(), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("updated"));
    let out = xtask(root.path(), &["--check"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_3_1_spec_is_refused_with_its_name() {
    let root = copy_of_workspace();
    let spec = root.path().join("openapi/tagoio/account.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, text.replacen("openapi: 3.0.3", "openapi: 3.1.0", 1)).unwrap();
    let out = xtask(root.path(), &["--check"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("account.yaml: OpenAPI 3.1.0 is not supported"), "{stderr}");
}
