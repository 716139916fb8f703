use std::path::Path;

use cynic_parser::type_system::{Definition, TypeDefinition};

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
    let text = std::fs::read_to_string(&schema).expect("schema.graphql is readable");
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("operations.rs");
    std::fs::write(out, operation_lists(&text)).expect("OUT_DIR is writable");
}

/// The transport's lists, from the root fields the schema marks
/// `@anonymous` (sent without credentials) and `@idempotent` (safe to send
/// twice), so that adding an operation to the schema is the only edit.
fn operation_lists(text: &str) -> String {
    let document = cynic_parser::parse_type_system_document(text).expect("schema.graphql is valid SDL");
    let mut roots = Vec::new();
    for definition in document.definitions() {
        if let Definition::Schema(schema) | Definition::SchemaExtension(schema) = definition {
            let named = [schema.query_type(), schema.mutation_type()];
            roots.extend(named.into_iter().flatten().map(|root| root.named_type().to_string()));
        }
    }
    let (mut anonymous, mut idempotent) = (Vec::new(), Vec::new());
    for definition in document.definitions() {
        let (Definition::Type(TypeDefinition::Object(object))
        | Definition::TypeExtension(TypeDefinition::Object(object))) = definition
        else {
            continue;
        };
        if !roots.iter().any(|root| root == object.name()) {
            continue;
        }
        for field in object.fields() {
            let marked = |name: &str| field.directives().any(|directive| directive.name() == name);
            if marked("anonymous") {
                anonymous.push(field.name().to_string());
            }
            if marked("idempotent") {
                idempotent.push(field.name().to_string());
            }
        }
    }
    format!(
        "/// The operations sent without `Authorization`: the root fields\n\
         /// `schema.graphql` marks `@anonymous`.\n\
         pub const ANONYMOUS_OPERATIONS: &[&str] = &{anonymous:?};\n\n\
         /// The operations safe to send twice: the root fields\n\
         /// `schema.graphql` marks `@idempotent`.\n\
         pub const IDEMPOTENT_OPERATIONS: &[&str] = &{idempotent:?};\n"
    )
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
