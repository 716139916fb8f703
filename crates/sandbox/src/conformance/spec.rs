//! The checks: each description's operations, their bodies as JSON Schema
//! validators, and the fields seen so far.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Map, Value, json};

/// The providers checked, as their prefixes name them.
const PROVIDERS: [&str; 4] = ["tagoio", "cycle", "logto", "pangea"];

/// A description's answers that any of its operations may give besides
/// its own: a body the generator cannot take beside the documented one
/// (Pangea's 202 while the work goes on, Cycle's OAuth-shaped 401).
const EXTRA_RESPONSES: &str = "x-accountkit-responses";

/// Where each test process writes the fields it saw, when set.
const DIR_VARIABLE: &str = "ACCOUNTKIT_SANDBOX_CONFORMANCE";

/// An answer, or an accepted request, that differs from the description.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Violation {
    /// The fake: `tagoio`, `cycle`, `logto` or `pangea`.
    pub provider: &'static str,
    /// The request's method and path under the provider's prefix.
    pub request: String,
    /// The operation id it matched; empty for a path the description lacks.
    pub operation: String,
    /// The status the fake answered.
    pub status: u16,
    /// What differs.
    pub problem: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Violation { provider, request, operation, status, problem } = self;
        write!(f, "{provider} {operation} ({request}) answered {status}: {problem}")
    }
}

/// The fields of the descriptions that no answer sent, and the request
/// fields that no accepted request carried, each as `provider
/// Schema.field` (`tagoio AccountInfo.stripe_id`); an inline schema is
/// named by its operation and place (`logto get_profile 200.field`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Coverage {
    /// Response fields never sent.
    pub unsent: BTreeSet<String>,
    /// Request body fields never in a request a fake accepted.
    pub unaccepted: BTreeSet<String>,
}

/// What this process's sandboxes have sent and accepted so far.
///
/// Call it when every sandbox of interest has served its requests; the
/// fields are counted across all of them.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use accountkit::tagoio::{Client, Region};
/// use accountkit_sandbox::{Sandbox, conformance};
///
/// let sandbox = Sandbox::start().await?;
/// let ada = sandbox.tagoio().add_account("ada@example.com", "correct horse");
/// Client::new(Region::Custom(sandbox.tagoio().base_url()), ada.token)?.info().await?;
/// let coverage = conformance::coverage();
/// assert!(!coverage.unsent.contains("tagoio AccountInfo.email"));
/// # Ok(()) }
/// ```
pub fn coverage() -> Coverage {
    let seen = seen().clone();
    Coverage::of(&seen)
}

/// What every test process that wrote into `dir` sent and accepted, added
/// up: the processes run with `ACCOUNTKIT_SANDBOX_CONFORMANCE` set to that
/// (absolute) directory, and each writes a file there when a sandbox of
/// it is dropped.
///
/// ```
/// use accountkit_sandbox::conformance;
///
/// let empty = std::env::temp_dir().join("accountkit-conformance-doc-example");
/// std::fs::create_dir_all(&empty)?;
/// let coverage = conformance::coverage_in(&empty)?;
/// // Nothing was written there: every field is unsent.
/// assert!(coverage.unsent.contains("tagoio AccountInfo.email"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn coverage_in(dir: &Path) -> std::io::Result<Coverage> {
    let mut seen = Seen::default();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        let file: Seen = serde_json::from_str(&text).map_err(|e| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {e}", path.display()))
        })?;
        seen.responses.extend(file.responses);
        seen.requests.extend(file.requests);
    }
    Ok(Coverage::of(&seen))
}

impl Coverage {
    fn of(seen: &Seen) -> Coverage {
        let mut coverage = Coverage::default();
        for provider in PROVIDERS {
            let spec = spec(provider);
            coverage.unsent.extend(spec.response_fields.difference(&seen.responses).cloned());
            coverage.unaccepted.extend(spec.request_fields.difference(&seen.requests).cloned());
        }
        coverage
    }
}

/// The fields seen by every sandbox of the process, named as in
/// [`Coverage`].
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct Seen {
    responses: BTreeSet<String>,
    requests: BTreeSet<String>,
}

fn seen() -> MutexGuard<'static, Seen> {
    static SEEN: Mutex<Seen> = Mutex::new(Seen { responses: BTreeSet::new(), requests: BTreeSet::new() });
    SEEN.lock().unwrap_or_else(|e| e.into_inner())
}

/// One sandbox's checks: the violations its fakes committed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Checks(Arc<Mutex<Vec<Violation>>>);

impl Checks {
    /// `router`, its answers checked against `provider`'s description, if any.
    pub(crate) fn layer(&self, provider: &'static str, router: Router) -> Router {
        if !PROVIDERS.contains(&provider) {
            return router;
        }
        // Loaded now: a description that cannot be read fails the start,
        // not a request.
        spec(provider);
        router.layer(axum::middleware::from_fn_with_state((self.clone(), provider), check))
    }

    pub(crate) fn violations(&self) -> Vec<Violation> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Writes what the process saw (when asked to), and fails the test
    /// whose sandbox answered against the description.
    pub(crate) fn finish(&self) {
        if let Some(dir) = std::env::var_os(DIR_VARIABLE)
            && let Err(e) = write_seen(Path::new(&dir))
        {
            eprintln!("conformance: cannot write the fields seen into {}: {e}", Path::new(&dir).display());
        }
        let violations = self.violations();
        if !violations.is_empty() && !std::thread::panicking() {
            let list: Vec<String> = violations.iter().map(|v| format!("  {v}")).collect();
            panic!("the sandbox answered against the API descriptions:\n{}", list.join("\n"));
        }
    }

    fn record(&self, violation: Violation) {
        let mut violations = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // A loop repeating one mistake says it once.
        if violations.len() < 100 && !violations.contains(&violation) {
            violations.push(violation);
        }
    }
}

fn write_seen(dir: &Path) -> std::io::Result<()> {
    let seen = seen();
    std::fs::create_dir_all(dir)?;
    let exe = std::env::current_exe().ok();
    let name = exe.as_deref().and_then(Path::file_stem).map_or("process".into(), |s| s.to_string_lossy());
    let path = dir.join(format!("{name}-{}.json", std::process::id()));
    let partial = path.with_extension("partial");
    std::fs::write(&partial, serde_json::to_vec_pretty(&*seen).unwrap_or_default())?;
    std::fs::rename(&partial, &path)
}

async fn check(
    State((checks, provider)): State<(Checks, &'static str)>,
    request: Request,
    next: Next,
) -> Response {
    let spec = spec(provider);
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let (parts, body) = request.into_parts();
    // The sandbox's guard has read the whole body already.
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let response = next.run(Request::from_parts(parts, Body::from(body.clone()))).await;
    // As the client will get it.
    let response = crate::serve::as_json(response).await;
    let (parts, answer) = response.into_parts();
    let answer = axum::body::to_bytes(answer, usize::MAX).await.unwrap_or_default();
    let status = parts.status;
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let violation = |operation: &str, problem: String| Violation {
        provider,
        request: format!("{method} {path}"),
        operation: operation.to_owned(),
        status: status.as_u16(),
        problem,
    };
    match spec.find(&method, &path) {
        Some(op) => {
            let mut problems = Vec::new();
            if status.is_success() {
                problems.extend(spec.check_request(op, &body));
            }
            problems.extend(spec.check_response(op, status, is_json, &answer));
            for problem in problems {
                checks.record(violation(&op.id, problem));
            }
        }
        // A miss is the fake's 404 or 405; serving it is not.
        None if status.is_success() => {
            checks.record(violation("", "no operation of the description has this method and path".into()))
        }
        None => {}
    }
    Response::from_parts(parts, Body::from(answer))
}

/// The description of `provider`, loaded once.
fn spec(provider: &str) -> &'static Spec {
    static SPECS: [OnceLock<Spec>; 4] = [const { OnceLock::new() }; 4];
    let (i, text) = match provider {
        "tagoio" => (0, accountkit_tagoio_raw::OPENAPI_JSON),
        "cycle" => (1, accountkit_cycle_raw::OPENAPI_JSON),
        "logto" => (2, accountkit_logto_raw::OPENAPI_JSON),
        "pangea" => (3, accountkit_pangea_raw::OPENAPI_JSON),
        other => panic!("no REST description for {other}"),
    };
    SPECS[i].get_or_init(|| Spec::load(PROVIDERS[i], text))
}

/// The property names of the request body of `provider`'s operation at
/// `method` and `path` (a template, as the description writes it), sorted:
/// what the fakes' lists of accepted fields are tested against.
#[cfg(test)]
pub(crate) fn request_properties(provider: &str, method: &str, path: &str) -> Vec<String> {
    let spec = spec(provider);
    let body = spec
        .doc
        .get("paths")
        .and_then(|p| p.get(path))
        .and_then(|item| item.get(method.to_ascii_lowercase()));
    let schema = body
        .and_then(|op| op.get("requestBody"))
        .map(|b| resolve(&spec.doc, b))
        .and_then(|b| b.pointer("/content/application~1json/schema"))
        .unwrap_or_else(|| panic!("{provider} {method} {path}: no request body"));
    properties(&spec.doc, schema)
}

/// The property names of `provider`'s component schema `name`, sorted.
#[cfg(test)]
pub(crate) fn schema_properties(provider: &str, name: &str) -> Vec<String> {
    let spec = spec(provider);
    properties(&spec.doc, &json!({"$ref": format!("#/components/schemas/{name}")}))
}

/// Top-level property names of `schema`, through `$ref` and `allOf`,
/// sorted (the shipped JSON keeps no order).
#[cfg(test)]
fn properties(doc: &Value, schema: &Value) -> Vec<String> {
    let schema = resolve(doc, schema);
    let mut names: Vec<String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    for part in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        names.extend(properties(doc, part));
    }
    names.sort();
    names
}

struct Spec {
    doc: Value,
    operations: Vec<Operation>,
    /// The document's [`EXTRA_RESPONSES`], by status key.
    extra: Vec<(String, Option<BodySchema>)>,
    /// Every field reachable from a response body, named as in [`Coverage`].
    response_fields: BTreeSet<String>,
    /// Every field reachable from a request body.
    request_fields: BTreeSet<String>,
    provider: &'static str,
}

struct Operation {
    method: Method,
    /// `None` for a `{parameter}`.
    segments: Vec<Option<String>>,
    id: String,
    request: Option<BodySchema>,
    /// By status key: `"200"`, `"4XX"`, `"default"`.
    responses: Vec<(String, Option<BodySchema>)>,
}

struct BodySchema {
    /// As the description has it, `$ref`s and all.
    schema: Value,
    /// The name its fields go by.
    name: String,
    required: bool,
    validator: jsonschema::Validator,
}

impl Spec {
    fn load(provider: &'static str, text: &str) -> Spec {
        let doc: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{provider}: {e}"));
        let components = doc.pointer("/components/schemas").cloned().unwrap_or_else(|| json!({}));
        let components: Map<String, Value> = match components {
            Value::Object(map) => {
                map.into_iter().map(|(name, schema)| (name, to_json_schema(&schema))).collect()
            }
            _ => Map::new(),
        };
        let body = |schema: &Value, name: String, required: bool| {
            let root = json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "components": { "schemas": components },
                "allOf": [to_json_schema(schema)],
            });
            let validator = jsonschema::draft202012::options()
                .should_validate_formats(true)
                .build(&root)
                .unwrap_or_else(|e| panic!("{provider} {name}: not a schema: {e}"));
            BodySchema { schema: schema.clone(), name, required, validator }
        };
        let mut operations = Vec::new();
        for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let Ok(method) = method.to_ascii_uppercase().parse::<Method>() else { continue };
                let Some(id) = op.get("operationId").and_then(Value::as_str) else { continue };
                let segments = path
                    .split('/')
                    .skip(1)
                    .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
                    .collect();
                let request = op.get("requestBody").map(|b| resolve(&doc, b)).and_then(|b| {
                    let schema = b.pointer("/content/application~1json/schema")?;
                    let required = b.get("required").and_then(Value::as_bool).unwrap_or(false);
                    Some(body(schema, name_of(schema).unwrap_or_else(|| format!("{id} request")), required))
                });
                let mut responses = Vec::new();
                for (key, response) in op.get("responses").and_then(Value::as_object).into_iter().flatten() {
                    let response = resolve(&doc, response);
                    let schema = response.pointer("/content/application~1json/schema").map(|schema| {
                        body(schema, name_of(schema).unwrap_or_else(|| format!("{id} {key}")), true)
                    });
                    responses.push((key.to_ascii_uppercase(), schema));
                }
                operations.push(Operation { method, segments, id: id.to_owned(), request, responses });
            }
        }
        // Answers any operation may give besides its own, which the
        // generator cannot take: a second body for one status.
        let mut extra = Vec::new();
        for (key, response) in doc.get(EXTRA_RESPONSES).and_then(Value::as_object).into_iter().flatten() {
            let response = resolve(&doc, response);
            let schema = response.pointer("/content/application~1json/schema").map(|schema| {
                body(schema, name_of(schema).unwrap_or_else(|| format!("{EXTRA_RESPONSES} {key}")), true)
            });
            extra.push((key.to_ascii_uppercase(), schema));
        }
        // The most literal template first: `/account/login` before `/account/{x}`.
        operations.sort_by_key(|op| std::cmp::Reverse(op.segments.iter().filter(|s| s.is_some()).count()));
        let mut spec = Spec {
            doc,
            operations,
            extra,
            response_fields: BTreeSet::new(),
            request_fields: BTreeSet::new(),
            provider,
        };
        let (mut responses, mut requests) = (BTreeSet::new(), BTreeSet::new());
        let (mut done_responses, mut done_requests) = (HashSet::new(), HashSet::new());
        for op in &spec.operations {
            for body in op.responses.iter().filter_map(|(_, b)| b.as_ref()) {
                spec.fields(&body.schema, &body.name, &mut responses, &mut done_responses);
            }
            if let Some(body) = &op.request {
                spec.fields(&body.schema, &body.name, &mut requests, &mut done_requests);
            }
        }
        for body in spec.extra.iter().filter_map(|(_, b)| b.as_ref()) {
            spec.fields(&body.schema, &body.name, &mut responses, &mut done_responses);
        }
        spec.response_fields = responses;
        spec.request_fields = requests;
        spec
    }

    fn find(&self, method: &Method, path: &str) -> Option<&Operation> {
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        self.operations.iter().find(|op| {
            op.method == method
                && op.segments.len() == segments.len()
                && op.segments.iter().zip(&segments).all(|(want, got)| match want {
                    Some(literal) => literal == got,
                    None => !got.is_empty(),
                })
        })
    }

    fn check_request(&self, op: &Operation, body: &Bytes) -> Vec<String> {
        let Some(schema) = &op.request else { return Vec::new() };
        if body.is_empty() {
            return if schema.required {
                vec!["accepted a request without its required body".into()]
            } else {
                Vec::new()
            };
        }
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            return vec!["accepted a request body that is not JSON".into()];
        };
        self.saw(&schema.schema, &schema.name, &value, &mut seen().requests);
        errors(&schema.validator, &value)
            .into_iter()
            .map(|e| format!("accepted a request body {e}"))
            .collect()
    }

    fn check_response<'s>(
        &'s self,
        op: &'s Operation,
        status: StatusCode,
        is_json: bool,
        body: &Bytes,
    ) -> Vec<String> {
        let code = status.as_str();
        let range = format!("{}XX", &code[..1]);
        let pick = |responses: &'s [(String, Option<BodySchema>)]| {
            [code, range.as_str(), "DEFAULT"]
                .into_iter()
                .find_map(|key| responses.iter().find(|(k, _)| k == key))
        };
        let candidates: Vec<&Option<BodySchema>> =
            [pick(&op.responses), pick(&self.extra)].into_iter().flatten().map(|(_, b)| b).collect();
        if candidates.is_empty() {
            let keys: Vec<&str> = op.responses.iter().map(|(k, _)| k.as_str()).collect();
            return vec![format!("the status is not one the operation documents ({})", keys.join(", "))];
        }
        let value = serde_json::from_slice::<Value>(body).ok();
        let mut problems = Vec::new();
        for candidate in candidates {
            let found = match (candidate, &value) {
                (None, _) if body.is_empty() => return Vec::new(),
                (None, _) => vec!["a body where the description documents none".into()],
                (Some(_), _) if !is_json => vec!["the body is not application/json".into()],
                (Some(_), None) => vec!["the body is not JSON".into()],
                (Some(schema), Some(value)) => {
                    let found = errors(&schema.validator, value);
                    if found.is_empty() {
                        self.saw(&schema.schema, &schema.name, value, &mut seen().responses);
                        return Vec::new();
                    }
                    found.into_iter().map(|e| format!("the body {e}")).collect()
                }
            };
            problems.extend(found);
        }
        problems
    }

    /// Adds every field `schema` (named `name`) can have to `out`; `done`
    /// holds the component schemas already walked.
    fn fields(&self, schema: &Value, name: &str, out: &mut BTreeSet<String>, done: &mut HashSet<String>) {
        if let Some(target) = ref_name(schema) {
            if done.insert(target.to_owned()) {
                self.fields(resolve(&self.doc, schema), target, out, done);
            }
            return;
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            for part in schema.get(key).and_then(Value::as_array).into_iter().flatten() {
                self.fields(part, name, out, done);
            }
        }
        for (field, sub) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
            out.insert(format!("{} {name}.{field}", self.provider));
            self.fields(sub, &format!("{name}.{field}"), out, done);
        }
        if let Some(items) = schema.get("items") {
            self.fields(items, &format!("{name}[]"), out, done);
        }
        if let Some(extra) = schema.get("additionalProperties").filter(|s| s.is_object()) {
            self.fields(extra, &format!("{name}.*"), out, done);
        }
    }

    /// Adds the fields of `schema` that `value` carries to `out`. Every
    /// branch of a `oneOf` or `anyOf` is walked: a field counts when some
    /// branch that declares it gets it.
    fn saw(&self, schema: &Value, name: &str, value: &Value, out: &mut BTreeSet<String>) {
        if let Some(target) = ref_name(schema) {
            return self.saw(resolve(&self.doc, schema), target, value, out);
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            for part in schema.get(key).and_then(Value::as_array).into_iter().flatten() {
                self.saw(part, name, value, out);
            }
        }
        match value {
            Value::Object(object) => {
                let declared = schema.get("properties").and_then(Value::as_object);
                for (field, v) in object {
                    match declared.and_then(|d| d.get(field)) {
                        Some(sub) => {
                            out.insert(format!("{} {name}.{field}", self.provider));
                            self.saw(sub, &format!("{name}.{field}"), v, out);
                        }
                        None => {
                            if let Some(extra) = schema.get("additionalProperties").filter(|s| s.is_object())
                            {
                                self.saw(extra, &format!("{name}.*"), v, out);
                            }
                        }
                    }
                }
            }
            Value::Array(items) => {
                if let Some(schema) = schema.get("items") {
                    for item in items {
                        self.saw(schema, &format!("{name}[]"), item, out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// What `validator` finds wrong with `value`, each with its place.
fn errors(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .take(5)
        .map(|e| match e.instance_path().as_str() {
            "" => format!("fails its schema: {e}"),
            at => format!("fails its schema at {at}: {e}"),
        })
        .collect()
}

/// The component name a `#/components/schemas/...` reference names.
fn ref_name(schema: &Value) -> Option<&str> {
    schema.get("$ref")?.as_str()?.strip_prefix("#/components/schemas/")
}

fn name_of(schema: &Value) -> Option<String> {
    ref_name(schema).map(str::to_owned)
}

/// Follows local `$ref`s.
fn resolve<'d>(doc: &'d Value, mut value: &'d Value) -> &'d Value {
    for _ in 0..16 {
        match value.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
            Some(pointer) => match doc.pointer(pointer) {
                Some(target) => value = target,
                None => panic!("a $ref to nothing: #{pointer}"),
            },
            None => break,
        }
    }
    value
}

/// An OpenAPI 3.0 schema object as JSON Schema 2020-12: `nullable` lets
/// `null` through, a `$ref` drops its siblings (3.0 ignores them), the
/// boolean `exclusiveMinimum`/`exclusiveMaximum` become numbers, and the
/// keywords only OpenAPI knows go.
pub(super) fn to_json_schema(schema: &Value) -> Value {
    let Value::Object(map) = schema else { return schema.clone() };
    if let Some(target) = map.get("$ref") {
        return json!({ "$ref": target });
    }
    let mut out = Map::new();
    for (key, value) in map {
        let converted = match key.as_str() {
            "nullable" | "discriminator" | "xml" | "externalDocs" | "example" | "deprecated" => continue,
            k if k.starts_with("x-") => continue,
            "properties" => Value::Object(
                value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(name, s)| (name.clone(), to_json_schema(s)))
                    .collect(),
            ),
            "items" | "not" | "additionalProperties" => to_json_schema(value),
            "allOf" | "oneOf" | "anyOf" => {
                Value::Array(value.as_array().into_iter().flatten().map(to_json_schema).collect())
            }
            "exclusiveMinimum" | "exclusiveMaximum" => {
                let bound = if key == "exclusiveMinimum" { "minimum" } else { "maximum" };
                match (value, map.get(bound)) {
                    (Value::Bool(true), Some(limit)) => limit.clone(),
                    (Value::Bool(_), _) => continue,
                    _ => value.clone(),
                }
            }
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    // The limit moved to the exclusive keyword.
    for (exclusive, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        if map.get(exclusive) == Some(&Value::Bool(true)) {
            out.remove(bound);
        }
    }
    match map.get("nullable") {
        Some(Value::Bool(true)) => json!({ "anyOf": [Value::Object(out), { "type": "null" }] }),
        _ => Value::Object(out),
    }
}
