//! The facade's public API with every provider, as rustdoc sees it: a
//! snapshot reviewed with each change, so a breaking change is seen in
//! review rather than by users. `cargo xtask regen` refreshes it; `--check`
//! (and this test in CI) fails while it differs.

use std::path::Path;
use std::process::Command;

#[test]
fn the_facade_public_api() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // A target directory of its own: rustdoc's JSON build must not wait on,
    // or invalidate, the test build around it.
    let target = root.join("target/public-api");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let status = Command::new(cargo)
        .current_dir(&root)
        // rustdoc's JSON output is unstable; the stable toolchain gives it
        // only under this switch, and only to this build.
        .env("RUSTC_BOOTSTRAP", "1")
        .env_remove("RUSTFLAGS")
        .args(["rustdoc", "--quiet", "--lib", "-p", "accountkit", "--features", "full", "--target-dir"])
        .arg(&target)
        .args(["--", "-Z", "unstable-options", "--output-format", "json"])
        .status()
        .expect("cargo runs");
    assert!(status.success(), "rustdoc could not build the facade's JSON");
    let api = public_api::Builder::from_rustdoc_json(target.join("doc/accountkit.json"))
        .omit_blanket_impls(true)
        .omit_auto_trait_impls(true)
        .omit_auto_derived_impls(true)
        .build()
        .expect("rustdoc's JSON reads");
    insta::assert_snapshot!("accountkit", api.to_string());
}
