use std::path::Path;

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    // The package's own copy, which `cargo xtask regen` writes from
    // openapi/stx/schema.graphql, so the build reads the same file in the
    // workspace and from a registry.
    let schema = Path::new(&manifest_dir).join("schema.graphql");
    warn_if_stale(Path::new(&manifest_dir), &schema);
    // Registers the schema the operations are checked against; cynic also
    // tells cargo to rebuild when it changes.
    cynic_codegen::register_schema("stx")
        .from_sdl_file(&schema)
        .expect("schema.graphql is readable")
        .as_default()
        .expect("schema.graphql is valid SDL");
}

/// In the workspace, a source edited since `cargo xtask regen` would build
/// against the old copy: say so. From a registry there is no source.
fn warn_if_stale(manifest_dir: &Path, copy: &Path) {
    let source = manifest_dir.join("../../openapi/stx/schema.graphql");
    let Ok(source_text) = std::fs::read_to_string(&source) else { return };
    println!("cargo::rerun-if-changed={}", source.display());
    let copy_text = std::fs::read_to_string(copy).unwrap_or_default();
    // The copy is a one-line header and the source.
    if copy_text.split_once('\n').map(|(_, body)| body) != Some(source_text.as_str()) {
        println!(
            "cargo::warning=openapi/stx/schema.graphql changed since schema.graphql was copied from it: \
             run `cargo xtask regen` (this build uses the old copy)"
        );
    }
}
