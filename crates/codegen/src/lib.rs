//! Build helper for accountkit's raw crates.
//!
//! Every REST API accountkit speaks is listed once in [`APIS`]. A raw crate's
//! `build.rs` is one call, `accountkit_codegen::build_script("tagoio")`, which
//! loads the API's OpenAPI 3.0 document from the crate's own
//! [`SHIPPED_SPEC`] (the JSON form `cargo xtask regen` writes from the YAML
//! under `openapi/`), runs progenitor with the settings every raw crate
//! shares, and writes two files into `OUT_DIR`:
//!
//! - `codegen.rs`, the generated client, for the crate to `include!`;
//! - `surface.rs`, a body-less skeleton of its public API (types with their
//!   fields and serde attributes, method signatures, first doc line), which
//!   the crate snapshots with insta so every change shows up in review.
//!
//! `xtask` uses the same functions to refresh and check those snapshots.

#![forbid(unsafe_code)]

mod surface;

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use openapiv3::OpenAPI;
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};

pub use surface::{Change, Impact, SurfaceChange, detailed_changes, surface, surface_changes};

/// One REST API and where its pieces live, relative to the workspace root.
#[derive(Debug, Clone, Copy)]
pub struct Api {
    /// Short name, also the facade module and cargo feature.
    pub name: &'static str,
    /// The OpenAPI 3.0 document.
    pub spec: &'static str,
    /// The raw crate generated from it.
    pub crate_dir: &'static str,
    /// The raw crate's package name.
    pub package: &'static str,
    /// What the document cannot say, such as a body type replaced by a
    /// hand-written one: a change to the shared [`settings`].
    pub adjust: Option<Adjustment>,
}

/// A change to the generator settings of one API.
pub type Adjustment = fn(&mut GenerationSettings);

/// Every REST API with a raw crate.
pub const APIS: &[Api] = &[
    Api {
        name: "tagoio",
        spec: "openapi/tagoio/account.yaml",
        crate_dir: "crates/tagoio-raw",
        package: "accountkit-tagoio-raw",
        adjust: None,
    },
    Api {
        name: "cycle",
        spec: "openapi/cycle/account.yaml",
        crate_dir: "crates/cycle-raw",
        package: "accountkit-cycle-raw",
        adjust: None,
    },
    Api {
        name: "pangea",
        spec: "openapi/pangea/authn.yaml",
        crate_dir: "crates/pangea-raw",
        package: "accountkit-pangea-raw",
        adjust: None,
    },
    Api {
        name: "logto",
        spec: "openapi/logto/account.yaml",
        crate_dir: "crates/logto-raw",
        package: "accountkit-logto-raw",
        adjust: Some(logto_settings),
    },
    // One entry per REST API, in the order they were added.
];

/// Logto's profile PATCH must send `null` (clear) as well as omit (keep); a
/// generated optional field can only omit.
fn logto_settings(settings: &mut GenerationSettings) {
    settings.with_replacement("ProfileUpdate", "crate::ProfileUpdate", std::iter::empty());
}

/// The shared [`settings`] with the API's own [`Api::adjust`].
pub fn settings_for(api: &Api) -> GenerationSettings {
    let mut settings = settings();
    if let Some(adjust) = api.adjust {
        adjust(&mut settings);
    }
    settings
}

/// Looks an API up by name.
pub fn api(name: &str) -> Result<&'static Api, Error> {
    APIS.iter()
        .find(|api| api.name == name)
        .ok_or_else(|| Error::new(format!("no API named `{name}` in accountkit_codegen::APIS")))
}

/// The file, in each raw crate's package, holding the JSON form of its
/// [`Api::spec`]: what its build script reads, in the workspace and from a
/// registry alike.
pub const SHIPPED_SPEC: &str = "openapi.json";

/// The top-level extension of a [`SHIPPED_SPEC`] that names its source.
const GENERATED_MARK: &str = "x-accountkit-generated";

impl Api {
    /// The [`SHIPPED_SPEC`] of this API, relative to the workspace root.
    pub fn shipped_spec(&self) -> String {
        format!("{}/{SHIPPED_SPEC}", self.crate_dir)
    }
}

/// A short fingerprint of a source document's bytes (FNV-1a, 64 bits),
/// which the shipped JSON form records to tell when it is stale.
pub fn fingerprint(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// The [`SHIPPED_SPEC`] text for the document at `root/spec`: its JSON form,
/// marked with the source's path and [`fingerprint`].
pub fn shipped_spec_text(root: &Path, spec: &str) -> Result<String, Error> {
    let path = root.join(spec);
    let bytes =
        std::fs::read(&path).map_err(|e| Error::new(format!("cannot read {}: {e}", path.display())))?;
    let mut value = load_value(&path)?;
    // Checked as the build will read it.
    parse_spec(value.clone(), &path.display().to_string())?;
    let mark = serde_json::json!({
        "from": spec,
        "fnv1a64": fingerprint(&bytes),
        "note": "written by `cargo xtask regen`: edit the source, not this file",
    });
    value
        .as_object_mut()
        .ok_or_else(|| Error::new(format!("{spec}: not an object")))?
        .insert(GENERATED_MARK.to_string(), mark);
    let mut text = serde_json::to_string_pretty(&value).expect("a JSON value serialises");
    text.push('\n');
    Ok(text)
}

/// A readable failure of loading or generating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
}

impl Error {
    fn new(message: impl Into<String>) -> Self {
        Error { message: message.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// What [`generate`] produces.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The whole client, formatted.
    pub code: String,
    /// The body-less API skeleton, formatted.
    pub surface: String,
}

/// Loads an OpenAPI document from JSON (`.json`) or, with the `yaml`
/// feature, YAML (`.yaml`, `.yml`), refusing anything but OpenAPI 3.0.x and
/// operations without a snake_case `operationId`.
pub fn load_spec(path: &Path) -> Result<OpenAPI, Error> {
    parse_spec(load_value(path)?, &path.display().to_string())
}

fn load_value(path: &Path) -> Result<serde_json::Value, Error> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| Error::new(format!("cannot read {shown}: {e}")))?;
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => {
            serde_json::from_str(&text).map_err(|e| Error::new(format!("{shown}: not valid JSON: {e}")))
        }
        #[cfg(feature = "yaml")]
        Some("yaml" | "yml") => {
            serde_saphyr::from_str(&text).map_err(|e| Error::new(format!("{shown}: not valid YAML: {e}")))
        }
        #[cfg(not(feature = "yaml"))]
        Some("yaml" | "yml") => {
            Err(Error::new(format!("{shown}: reading YAML needs accountkit-codegen's `yaml` feature")))
        }
        _ => Err(Error::new(format!("{shown}: expected a .yaml, .yml or .json file"))),
    }
}

fn parse_spec(value: serde_json::Value, shown: &str) -> Result<OpenAPI, Error> {
    let version = match value.get("openapi") {
        Some(serde_json::Value::String(v)) => v.clone(),
        Some(other) => other.to_string(),
        None => {
            return Err(Error::new(format!(
                "{shown}: not an OpenAPI document (no top-level `openapi` field)"
            )));
        }
    };
    if !version.starts_with("3.0.") {
        return Err(Error::new(format!(
            "{shown}: OpenAPI {version} is not supported; progenitor reads OpenAPI 3.0.x only \
             (write or convert the document as 3.0.3)"
        )));
    }
    let spec: OpenAPI = serde_json::from_value(value)
        .map_err(|e| Error::new(format!("{shown}: not a valid OpenAPI 3.0 document: {e}")))?;
    for (route, method, op) in spec.operations() {
        let method = method.to_uppercase();
        let id = op
            .operation_id
            .as_deref()
            .ok_or_else(|| Error::new(format!("{shown}: {method} {route} has no operationId")))?;
        let snake = id.starts_with(|c: char| c.is_ascii_lowercase())
            && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !snake {
            return Err(Error::new(format!(
                "{shown}: {method} {route}: operationId `{id}` must be snake_case \
                 (it is the method name and the name client hooks see)"
            )));
        }
    }
    Ok(spec)
}

/// The generator settings every raw crate shares.
pub fn settings() -> GenerationSettings {
    // Secrets are typed `format: password` in our documents; the generated
    // types then hold a redacting string instead of a `String`.
    let password = schemars::schema::SchemaObject {
        instance_type: Some(schemars::schema::InstanceType::String.into()),
        format: Some("password".to_string()),
        ..Default::default()
    };
    let mut settings = GenerationSettings::new();
    settings
        // Pinned: the default may change between progenitor releases.
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged)
        .with_hooks(HooksMode::Expected)
        .with_inner_type(tokens("::accountkit_runtime::Context"))
        .with_map_type("::std::collections::BTreeMap")
        .with_conversion(password, "::accountkit_runtime::Sensitive", std::iter::empty());
    settings
}

fn tokens(source: &str) -> proc_macro2::TokenStream {
    source.parse().expect("static token source parses")
}

/// Operations sent without credentials: those whose effective `security` is
/// empty or lists an empty requirement.
pub fn anonymous_operations(spec: &OpenAPI) -> Vec<String> {
    let default = spec.security.as_deref().unwrap_or(&[]);
    let mut ids: Vec<String> = spec
        .operations()
        .filter(|(_, _, op)| {
            let security = op.security.as_deref().unwrap_or(default);
            security.is_empty() || security.iter().any(|req| req.is_empty())
        })
        .filter_map(|(_, _, op)| op.operation_id.clone())
        .collect();
    ids.sort();
    ids
}

/// Operations that are safe to send twice, and so may be retried: `GET`
/// and `HEAD` by their method, any other only when the document marks it
/// `x-accountkit-idempotent: true` (a read sent as `POST`, say). A `false`
/// mark makes even a `GET` sent once.
pub fn idempotent_operations(spec: &OpenAPI) -> Vec<String> {
    let mut ids: Vec<String> = spec
        .operations()
        .filter(|(_, method, op)| {
            match op.extensions.get("x-accountkit-idempotent").and_then(|mark| mark.as_bool()) {
                Some(marked) => marked,
                None => matches!(*method, "get" | "head"),
            }
        })
        .filter_map(|(_, _, op)| op.operation_id.clone())
        .collect();
    ids.sort();
    ids
}

/// Runs progenitor on a loaded document. Generator panics (progenitor
/// asserts on some shapes) come back as an [`Error`] naming the panic.
pub fn generate(spec: &OpenAPI, settings: &GenerationSettings) -> Result<Generated, Error> {
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| Generator::new(settings).generate_tokens(spec)));
    panic::set_hook(previous_hook);

    let mut tokens = match outcome {
        Ok(Ok(tokens)) => tokens,
        Ok(Err(e)) => return Err(Error::new(format!("progenitor refused the document: {e}"))),
        Err(payload) => {
            let reason = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            return Err(Error::new(format!(
                "progenitor panicked on the document: {reason} \
                 (see the generator notes for the spec shapes it cannot take)"
            )));
        }
    };
    let anonymous = anonymous_operations(spec);
    tokens.extend(self::tokens(&format!(
        "/// Operations sent without credentials (`security: []` in the document).\n\
         pub const ANONYMOUS_OPERATIONS: &[&str] = &{anonymous:?};"
    )));
    let idempotent = idempotent_operations(spec);
    tokens.extend(self::tokens(&format!(
        "/// Operations safe to send twice, which the transport policy may retry.\n\
         pub const IDEMPOTENT_OPERATIONS: &[&str] = &{idempotent:?};"
    )));
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| Error::new(format!("generated code does not parse: {e}")))?;
    strict_path_encoding(&mut file)?;
    parsed_base_urls(&mut file)?;
    decoded_in_place(&mut file)?;
    direct_timestamps(&mut file);
    Ok(Generated { code: prettyplease::unparse(&file), surface: surface(&file) })
}

/// Every `DateTime<Utc>` field, bare or in an `Option`, is decoded by the
/// runtime's `timestamp`; the field types, and what is accepted, stay
/// chrono's. Kept for the per-call guard (BENCHMARKS.md, "Dates").
fn direct_timestamps(file: &mut syn::File) {
    use syn::visit_mut::VisitMut;

    fn last<'a>(ty: &'a syn::Type, name: &str) -> Option<&'a syn::PathSegment> {
        let syn::Type::Path(p) = ty else { return None };
        p.path.segments.last().filter(|s| s.ident == name)
    }
    fn argument(segment: &syn::PathSegment) -> Option<&syn::Type> {
        let syn::PathArguments::AngleBracketed(args) = &segment.arguments else { return None };
        match args.args.first() {
            Some(syn::GenericArgument::Type(ty)) if args.args.len() == 1 => Some(ty),
            _ => None,
        }
    }
    fn utc(ty: &syn::Type) -> bool {
        last(ty, "DateTime").and_then(argument).is_some_and(|zone| last(zone, "Utc").is_some())
    }

    struct Rewrite;
    impl VisitMut for Rewrite {
        fn visit_field_mut(&mut self, field: &mut syn::Field) {
            let optional = last(&field.ty, "Option").and_then(argument).is_some_and(utc);
            if !optional && !utc(&field.ty) {
                return;
            }
            let serde = |attr: &&syn::Attribute| attr.path().is_ident("serde");
            let defaulted = field.attrs.iter().filter(serde).any(|attr| {
                matches!(&attr.meta, syn::Meta::List(list) if list.tokens.to_string().split([',', ' ', '=']).any(|t| t == "default"))
            });
            field.attrs.push(match (optional, defaulted) {
                (true, false) => syn::parse_quote!(
                    #[serde(default, deserialize_with = "::accountkit_runtime::timestamp::deserialize_option")]
                ),
                (true, true) => syn::parse_quote!(
                    #[serde(deserialize_with = "::accountkit_runtime::timestamp::deserialize_option")]
                ),
                (false, _) => syn::parse_quote!(
                    #[serde(deserialize_with = "::accountkit_runtime::timestamp::deserialize")]
                ),
            });
        }
    }
    Rewrite.visit_file_mut(file);
}

/// progenitor's `encode_path` leaves `+`, `@`, `:` and friends as they are;
/// emails and tokens in path segments need every reserved character
/// encoded, so the generated code is pointed at the runtime's encoder.
fn strict_path_encoding(file: &mut syn::File) -> Result<(), Error> {
    let mut rerouted = false;
    for item in &mut file.items {
        let syn::Item::Use(item) = item else { continue };
        let syn::UseTree::Path(path) = &mut item.tree else { continue };
        if path.ident != "progenitor_client" {
            continue;
        }
        let syn::UseTree::Group(group) = path.tree.as_mut() else { continue };
        let before = group.items.len();
        group.items = std::mem::take(&mut group.items)
            .into_iter()
            .filter(|tree| !matches!(tree, syn::UseTree::Name(n) if n.ident == "encode_path"))
            .collect();
        rerouted |= group.items.len() != before;
    }
    if !rerouted {
        return Err(Error::new(
            "generated code no longer imports `progenitor_client::encode_path`; \
             update accountkit_codegen::strict_path_encoding for this progenitor",
        ));
    }
    file.items.push(syn::parse_quote!(
        use ::accountkit_runtime::encode_path_segment as encode_path;
    ));
    Ok(())
}

/// progenitor formats each request URL as text that reqwest parses whole
/// (scheme, host, its international-domain mapping) on every request; the
/// runtime sets the path on the base URL parsed once instead (per call, see
/// BENCHMARKS.md).
fn parsed_base_urls(file: &mut syn::File) -> Result<(), Error> {
    use syn::visit_mut::VisitMut;

    struct Rewrite(usize);
    impl VisitMut for Rewrite {
        fn visit_block_mut(&mut self, block: &mut syn::Block) {
            syn::visit_mut::visit_block_mut(self, block);
            let mut stmts = Vec::with_capacity(block.stmts.len() + 1);
            for stmt in std::mem::take(&mut block.stmts) {
                let formats_url = matches!(&stmt, syn::Stmt::Local(syn::Local {
                    pat: syn::Pat::Ident(p),
                    init: Some(syn::LocalInit { expr, .. }),
                    ..
                }) if p.ident == "url" && matches!(&**expr, syn::Expr::Macro(m) if m.mac.path.is_ident("format")));
                stmts.push(stmt);
                if formats_url {
                    self.0 += 1;
                    stmts.push(syn::parse_quote!(
                        let url = ::accountkit_runtime::hooks::target(&self.inner, &self.baseurl, url)
                            .map_err(Error::InvalidRequest)?;
                    ));
                }
            }
            block.stmts = stmts;
        }
    }
    let mut rewrite = Rewrite(0);
    rewrite.visit_file_mut(file);
    if rewrite.0 == 0 {
        return Err(Error::new(
            "generated code no longer formats `let url = format!(…)`; \
             update accountkit_codegen::parsed_base_urls for this progenitor",
        ));
    }
    Ok(())
}

/// progenitor decodes each JSON answer with `ResponseValue::from_response`,
/// whose error for a body that does not decode keeps only the body; the
/// runtime's `decode` keeps the status and `Retry-After` with it.
fn decoded_in_place(file: &mut syn::File) -> Result<(), Error> {
    use syn::visit_mut::VisitMut;

    struct Rewrite(usize);
    impl VisitMut for Rewrite {
        fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
            syn::visit_mut::visit_expr_call_mut(self, call);
            let decodes = matches!(&*call.func, syn::Expr::Path(p)
                if p.qself.is_none()
                    && p.path.segments.len() == 2
                    && p.path.segments[0].ident == "ResponseValue"
                    && p.path.segments[0].arguments.is_none()
                    && p.path.segments[1].ident == "from_response"
                    && p.path.segments[1].arguments.is_none());
            if decodes {
                self.0 += 1;
                *call.func = syn::parse_quote!(::accountkit_runtime::hooks::decode);
            }
        }
    }
    let mut rewrite = Rewrite(0);
    rewrite.visit_file_mut(file);
    if rewrite.0 == 0 {
        return Err(Error::new(
            "generated code no longer calls `ResponseValue::from_response(…)`; \
             update accountkit_codegen::decoded_in_place for this progenitor",
        ));
    }
    Ok(())
}

/// The whole of a raw crate's `build.rs`: generate the named API from the
/// crate's [`SHIPPED_SPEC`] into `OUT_DIR`, or stop the build with a
/// readable message.
pub fn build_script(api_name: &str) {
    if let Err(e) = try_build_script(api_name) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn try_build_script(api_name: &str) -> Result<(), Error> {
    let api = api(api_name)?;
    let var = |name: &str| {
        std::env::var_os(name).map(PathBuf::from).ok_or_else(|| Error::new(format!("{name} is not set")))
    };
    let manifest_dir = var("CARGO_MANIFEST_DIR")?;
    let spec_path = manifest_dir.join(SHIPPED_SPEC);
    println!("cargo::rerun-if-changed={}", spec_path.display());
    let spec = load_spec(&spec_path)?;
    warn_if_stale(api, &manifest_dir, &spec);
    let generated = generate(&spec, &settings_for(api))?;
    let out_dir = var("OUT_DIR")?;
    for (name, text) in [("codegen.rs", &generated.code), ("surface.rs", &generated.surface)] {
        let path = out_dir.join(name);
        std::fs::write(&path, text)
            .map_err(|e| Error::new(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(())
}

/// In the workspace, where the YAML source sits two levels up, a source
/// edited since `cargo xtask regen` would build stale code: say so. From a
/// registry there is no source and nothing to say.
fn warn_if_stale(api: &Api, manifest_dir: &Path, spec: &OpenAPI) {
    let source = manifest_dir.join("../..").join(api.spec);
    let Ok(bytes) = std::fs::read(&source) else { return };
    println!("cargo::rerun-if-changed={}", source.display());
    if is_stale(spec, &bytes) {
        println!(
            "cargo::warning={} changed since {SHIPPED_SPEC} was generated from it: \
             run `cargo xtask regen` (this build uses the old {SHIPPED_SPEC})",
            api.spec
        );
    }
}

/// Whether a shipped document was made from other bytes than `source`.
fn is_stale(shipped: &OpenAPI, source: &[u8]) -> bool {
    let recorded = shipped.extensions.get(GENERATED_MARK).and_then(|mark| mark.get("fnv1a64"));
    recorded.and_then(|r| r.as_str()) != Some(fingerprint(source).as_str())
}

#[cfg(test)]
mod tests;
