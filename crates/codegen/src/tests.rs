use super::*;

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const THING: &str = r##"
openapi: 3.0.3
info: { title: t, version: "1" }
security: [{ key: [] }]
paths:
  /things/{id}:
    get:
      operationId: get_thing
      summary: Fetch one thing.
      description: A longer text that the skeleton drops.
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Thing" }
  /things:
    post:
      operationId: create_thing
      security: []
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: "#/components/schemas/NewThing" }
      responses:
        "200": { description: ok }
components:
  schemas:
    Thing:
      type: object
      required: [id]
      properties:
        id: { type: string }
        type: { type: string }
    NewThing:
      type: object
      required: [secret]
      properties:
        secret: { type: string, format: password }
"##;

#[test]
fn refuses_openapi_3_1_naming_file_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "api.yaml", &THING.replace("3.0.3", "3.1.0"));
    let err = load_spec(&path).unwrap_err().to_string();
    assert!(err.contains("api.yaml"), "{err}");
    assert!(err.contains("OpenAPI 3.1.0 is not supported"), "{err}");
}

#[test]
fn refuses_swagger_2_and_documents_without_a_version() {
    let dir = tempfile::tempdir().unwrap();
    let swagger = write(&dir, "old.json", r#"{"swagger": "2.0", "paths": {}}"#);
    let err = load_spec(&swagger).unwrap_err().to_string();
    assert!(err.contains("old.json") && err.contains("no top-level `openapi`"), "{err}");

    let number = write(&dir, "num.json", r#"{"openapi": 3.0, "paths": {}}"#);
    let err = load_spec(&number).unwrap_err().to_string();
    assert!(err.contains("OpenAPI 3.0 is not supported"), "{err}");
}

#[test]
fn refuses_unknown_extensions_bad_syntax_and_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let txt = write(&dir, "api.txt", THING);
    assert!(load_spec(&txt).unwrap_err().to_string().contains("expected a .yaml"));
    let broken = write(&dir, "broken.json", "{");
    assert!(load_spec(&broken).unwrap_err().to_string().contains("not valid JSON"));
    let missing = dir.path().join("missing.yaml");
    assert!(load_spec(&missing).unwrap_err().to_string().starts_with("cannot read"));
}

#[test]
fn refuses_camel_case_and_missing_operation_ids() {
    let dir = tempfile::tempdir().unwrap();
    let camel = write(&dir, "camel.yaml", &THING.replace("get_thing", "getThing"));
    let err = load_spec(&camel).unwrap_err().to_string();
    assert!(err.contains("GET /things/{id}") && err.contains("`getThing` must be snake_case"), "{err}");

    let none = write(&dir, "none.yaml", &THING.replace("operationId: get_thing", "deprecated: false"));
    let err = load_spec(&none).unwrap_err().to_string();
    assert!(err.contains("GET /things/{id} has no operationId"), "{err}");
}

#[test]
fn loads_json_and_yaml_alike() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = load_spec(&write(&dir, "a.yaml", THING)).unwrap();
    let value: serde_json::Value = serde_saphyr::from_str(THING).unwrap();
    let json = load_spec(&write(&dir, "a.json", &value.to_string())).unwrap();
    assert_eq!(yaml, json);
}

#[test]
fn the_shipped_json_generates_what_the_yaml_does_and_knows_its_source() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir, "a.yaml", THING);
    let text = shipped_spec_text(dir.path(), "a.yaml").unwrap();
    let shipped = load_spec(&write(&dir, "a.json", &text)).unwrap();
    let yaml = load_spec(&dir.path().join("a.yaml")).unwrap();
    assert_eq!(generate(&shipped, &settings()).unwrap().code, generate(&yaml, &settings()).unwrap().code);
    let mark = &shipped.extensions["x-accountkit-generated"];
    assert_eq!(mark["from"], "a.yaml");
    assert!(!is_stale(&shipped, THING.as_bytes()));
    assert!(is_stale(&shipped, format!("{THING}\n").as_bytes()));
    assert!(is_stale(&yaml, THING.as_bytes()), "a document without the mark is never fresh");
}

#[test]
fn fingerprint_is_fnv1a_64() {
    // The published FNV-1a test vectors.
    assert_eq!(fingerprint(b""), "cbf29ce484222325");
    assert_eq!(fingerprint(b"a"), "af63dc4c8601ec8c");
}

#[test]
fn lists_anonymous_operations_from_security() {
    let dir = tempfile::tempdir().unwrap();
    let spec = load_spec(&write(&dir, "a.yaml", THING)).unwrap();
    assert_eq!(anonymous_operations(&spec), vec!["create_thing".to_string()]);
}

#[test]
fn lists_idempotent_operations_by_method_and_mark() {
    let dir = tempfile::tempdir().unwrap();
    let spec = load_spec(&write(&dir, "a.yaml", THING)).unwrap();
    assert_eq!(idempotent_operations(&spec), vec!["get_thing".to_string()]);
    let marked = THING.replace(
        "      operationId: create_thing\n",
        "      operationId: create_thing\n      x-accountkit-idempotent: true\n",
    );
    let spec = load_spec(&write(&dir, "b.yaml", &marked)).unwrap();
    assert_eq!(idempotent_operations(&spec), vec!["create_thing".to_string(), "get_thing".to_string()]);
    let unmarked = THING.replace(
        "      operationId: get_thing\n",
        "      operationId: get_thing\n      x-accountkit-idempotent: false\n",
    );
    let spec = load_spec(&write(&dir, "c.yaml", &unmarked)).unwrap();
    assert!(idempotent_operations(&spec).is_empty());
}

#[test]
fn generator_panics_become_errors() {
    // Two success bodies of different types make progenitor assert.
    let two_types = THING.replace(
        "        \"200\": { description: ok }",
        "        \"200\":\n          description: ok\n          content:\n            application/json:\n              schema: { type: string }\n        \"201\":\n          description: ok\n          content:\n            application/json:\n              schema: { type: integer }",
    );
    assert_ne!(two_types, THING);
    let dir = tempfile::tempdir().unwrap();
    let spec = load_spec(&write(&dir, "a.yaml", &two_types)).unwrap();
    let err = generate(&spec, &settings()).unwrap_err().to_string();
    assert!(err.starts_with("progenitor panicked on the document:"), "{err}");
}

#[test]
fn skeleton_keeps_types_signatures_and_first_doc_line_only() {
    let dir = tempfile::tempdir().unwrap();
    let spec = load_spec(&write(&dir, "a.yaml", THING)).unwrap();
    let generated = generate(&spec, &settings()).unwrap();
    let s = &generated.surface;

    assert!(s.contains("pub struct Thing {"), "{s}");
    assert!(s.contains("#[serde(rename = \"type\""), "serde attributes kept:\n{s}");
    assert!(s.contains("pub secret: ::accountkit_runtime::Sensitive"), "passwords are redacting:\n{s}");
    assert!(s.contains("pub async fn get_thing<'a>("), "{s}");
    assert!(s.contains("pub const ANONYMOUS_OPERATIONS: &[&str] = &[\"create_thing\"]"), "{s}");
    assert!(s.contains("impl ::std::fmt::Display for ConversionError {}"), "impls as headers:\n{s}");
    // Method bodies and later doc lines are gone.
    assert!(!s.contains("encode_path"), "{s}");
    assert!(!s.contains("A longer text"), "{s}");
    assert!(generated.code.contains("encode_path"));
    assert!(s.len() < generated.code.len() / 2);
}

#[test]
fn surface_changes_name_what_moved() {
    let dir = tempfile::tempdir().unwrap();
    let base = generate(&load_spec(&write(&dir, "a.yaml", THING)).unwrap(), &settings()).unwrap();
    let grown = THING.replace(
        "        type: { type: string }",
        "        type: { type: string }\n        colour: { type: string }",
    );
    let grown = generate(&load_spec(&write(&dir, "b.yaml", &grown)).unwrap(), &settings()).unwrap();
    assert_eq!(
        surface_changes(&base.surface, &grown.surface),
        vec![SurfaceChange::Changed("type types::Thing".into())]
    );

    let fewer = THING.replace("operationId: create_thing", "operationId: make_thing");
    let fewer = generate(&load_spec(&write(&dir, "c.yaml", &fewer)).unwrap(), &settings()).unwrap();
    let changes: Vec<String> =
        surface_changes(&base.surface, &fewer.surface).iter().map(ToString::to_string).collect();
    assert_eq!(
        changes,
        vec![
            "~ const ANONYMOUS_OPERATIONS".to_string(),
            "+ operation make_thing".to_string(),
            "- operation create_thing".to_string(),
        ]
    );
    assert!(surface_changes(&base.surface, &base.surface).is_empty());
}

#[test]
fn adjustments_replace_the_logto_patch_body() {
    let logto = api("logto").unwrap();
    let spec = load_spec(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(logto.spec)).unwrap();
    let generated = generate(&spec, &settings_for(logto)).unwrap();
    assert!(generated.code.contains("body: &'a crate::ProfileUpdate"), "{}", generated.surface);
    assert!(!generated.code.contains("pub struct ProfileUpdate "));
    let plain = generate(&spec, &settings()).unwrap();
    assert!(plain.code.contains("pub struct ProfileUpdate "));
}

#[test]
fn detailed_changes_name_fields_and_say_what_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let base = generate(&load_spec(&write(&dir, "a.yaml", THING)).unwrap(), &settings()).unwrap();
    let grown = THING.replace(
        "        type: { type: string }",
        "        type: { type: string }\n        colour: { type: string }",
    );
    let grown = generate(&load_spec(&write(&dir, "b.yaml", &grown)).unwrap(), &settings()).unwrap();
    let lines = |old: &str, new: &str| -> Vec<String> {
        detailed_changes(old, new).iter().map(ToString::to_string).collect()
    };
    assert_eq!(
        lines(&base.surface, &grown.surface),
        vec!["+ field types::Thing.colour: Option<String> (breaking)"]
    );
    assert_eq!(
        lines(&grown.surface, &base.surface),
        vec!["- field types::Thing.colour: Option<String> (breaking)"]
    );
    let retyped = THING.replace("        type: { type: string }", "        type: { type: integer }");
    let retyped = generate(&load_spec(&write(&dir, "c.yaml", &retyped)).unwrap(), &settings()).unwrap();
    let changed = lines(&base.surface, &retyped.surface);
    assert!(
        changed.iter().any(|l| l.starts_with("~ field types::Thing.type_: ")
            && l.contains(" -> ")
            && l.ends_with("(breaking)")),
        "{changed:?}"
    );
    let added = THING.replace("operationId: create_thing", "operationId: make_thing");
    let added = generate(&load_spec(&write(&dir, "d.yaml", &added)).unwrap(), &settings()).unwrap();
    assert_eq!(
        lines(&base.surface, &added.surface),
        vec![
            "~ const ANONYMOUS_OPERATIONS (wire)".to_string(),
            "+ operation make_thing (additive)".to_string(),
            "- operation create_thing (breaking)".to_string(),
        ]
    );
}
