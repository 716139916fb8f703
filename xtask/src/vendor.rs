//! `cargo xtask vendor-check [PROVIDER]`: what differs between each vendor's
//! published description (`openapi/<provider>/vendor/`) and ours, for the
//! operations we cover.
//!
//! Each provider's `vendor/mapping.yaml` names our description, the vendor's
//! documents and, where they differ, the vendor's method and path for one of
//! our operations. `vendor/accepted.yaml` lists the differences we keep on
//! purpose, each with a reason. The check prints one line per difference
//! (`<provider> <operation> <where>: <sign> <name> (<detail>)`, `+` only the
//! vendor has it, `-` only we have it, `~` both differ, `?` a keyword we
//! cannot interpret) and fails on any line not accepted, and on any accepted
//! line no longer found.
//!
//! Both sides are normalised first: `$ref`s resolved (also across files),
//! `allOf` merged, `nullable: true`, `type: [x, "null"]`, a `null` branch of
//! `oneOf`/`anyOf` and `null` in an `enum` all read as "nullable", `const`
//! as a one-value enum, and the object branches of a `oneOf` merged into one
//! object whose fields are required only where every branch requires them.

mod graphql;
mod schema;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use schema::{Shape, compare, render};

pub const USAGE: &str = "usage: cargo xtask vendor-check [PROVIDER] [--all] [--root DIR]";

/// `vendor/mapping.yaml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Mapping {
    /// Our description, relative to `openapi/<provider>/`.
    ours: String,
    /// The vendor's documents, relative to `vendor/`; their paths are merged.
    vendor: Vec<String>,
    /// The vendor's documents only supplement a description generated
    /// elsewhere: compare only what they state.
    #[serde(default)]
    supplement: bool,
    /// Our operationId → the vendor's `METHOD /path`, where it differs.
    #[serde(default)]
    operations: BTreeMap<String, String>,
}

/// One entry of `vendor/accepted.yaml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Accepted {
    reason: String,
    differences: Vec<String>,
}

/// Runs the check; returns whether every difference was accepted.
pub fn run(default_root: &Path, args: &[String]) -> Result<bool, String> {
    let mut root = default_root.to_path_buf();
    let mut only = None;
    let mut all = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--all" => all = true,
            "--root" => root = PathBuf::from(rest.next().ok_or("--root needs a directory")?),
            flag if flag.starts_with('-') => return Err(format!("unknown argument `{flag}`")),
            name if only.is_none() => only = Some(name.to_string()),
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    let providers = providers(&root)?;
    if let Some(name) = &only
        && !providers.contains(name)
    {
        return Err(format!(
            "no provider `{name}` with a vendor/mapping.yaml (have: {})",
            providers.join(", ")
        ));
    }
    let mut clean = true;
    for provider in providers.iter().filter(|p| only.as_ref().is_none_or(|o| o == *p)) {
        clean &= check_provider(&root, provider, all)?;
    }
    Ok(clean)
}

fn providers(root: &Path) -> Result<Vec<String>, String> {
    let dir = root.join("openapi");
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("vendor/mapping.yaml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

fn read_yaml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_saphyr::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn check_provider(root: &Path, provider: &str, all: bool) -> Result<bool, String> {
    let dir = root.join("openapi").join(provider);
    let vendor_dir = dir.join("vendor");
    let mapping: Mapping = read_yaml(&vendor_dir.join("mapping.yaml"))?;
    let accepted_path = vendor_dir.join("accepted.yaml");
    let accepted: Vec<Accepted> = if accepted_path.is_file() {
        read_yaml::<Option<_>>(&accepted_path)?.unwrap_or_default()
    } else {
        vec![]
    };

    let lines = if mapping.ours.ends_with(".graphql") {
        let [vendor] = mapping.vendor.as_slice() else {
            return Err(format!("{provider}: a GraphQL comparison takes one vendor schema"));
        };
        graphql::differences(provider, &dir.join(&mapping.ours), &vendor_dir.join(vendor))?
    } else {
        openapi_differences(provider, &dir, &mapping)?
    };

    let mut known: BTreeMap<&str, bool> = BTreeMap::new();
    for entry in &accepted {
        if entry.reason.trim().is_empty() {
            return Err(format!("{}: an entry has no reason", accepted_path.display()));
        }
        for line in &entry.differences {
            known.insert(line.as_str(), false);
        }
    }
    let mut open = 0;
    for line in &lines {
        let mut matched = false;
        for (pattern, seen) in known.iter_mut() {
            if glob(pattern, line) {
                *seen = true;
                matched = true;
            }
        }
        if !matched {
            open += 1;
            println!("{line}");
        } else if all {
            println!("accepted: {line}");
        }
    }
    let stale: Vec<&str> = known.iter().filter(|(_, seen)| !**seen).map(|(line, _)| *line).collect();
    for line in &stale {
        println!("accepted but not found: {line}");
    }
    println!(
        "{provider}: {} differences, {} accepted, {open} not accepted, {} stale acceptances",
        lines.len(),
        lines.len() - open,
        stale.len()
    );
    Ok(open == 0 && stale.is_empty())
}

/// Whether `line` matches `pattern`, where `*` stands for any text.
fn glob(pattern: &str, line: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = line.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Loaded documents, by file, and `$ref` resolution across them.
#[derive(Default)]
struct Documents {
    files: HashMap<PathBuf, Value>,
}

/// A schema or object with the file it was read from, for relative `$ref`s.
#[derive(Clone)]
struct Located {
    file: PathBuf,
    value: Value,
}

impl Documents {
    fn load(&mut self, file: &Path) -> Result<&Value, String> {
        if !self.files.contains_key(file) {
            let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
            let value: Value = if file.extension().is_some_and(|e| e == "json") {
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?
            } else {
                serde_saphyr::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?
            };
            self.files.insert(file.to_path_buf(), value);
        }
        Ok(&self.files[file])
    }

    /// Follows `$ref`s until a value that is not one.
    fn resolve(&mut self, at: &Located) -> Result<Located, String> {
        let mut current = at.clone();
        for _ in 0..32 {
            let Some(reference) = current.value.get("$ref").and_then(Value::as_str) else {
                return Ok(current);
            };
            let (file_part, pointer) = reference.split_once('#').unwrap_or((reference, ""));
            let file = if file_part.is_empty() {
                current.file.clone()
            } else {
                normalise_path(&current.file.parent().unwrap_or(Path::new("")).join(file_part))
            };
            let document = self.load(&file).map_err(|e| format!("$ref {reference}: {e}"))?;
            let value = document
                .pointer(pointer)
                .ok_or_else(|| format!("$ref {reference}: nothing at `{pointer}` in {}", file.display()))?
                .clone();
            current = Located { file, value };
        }
        Err(format!("$ref chain too long at {}", at.file.display()))
    }

    /// The normalised shape of a schema.
    fn shape(&mut self, at: &Located) -> Shape {
        schema::normalise(self, at, &mut Vec::new())
    }
}

/// Folds `..` and `.` so one file has one key.
fn normalise_path(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// `/a/{x}/b` and `/a/{y}/b` are one path.
fn path_key(path: &str) -> String {
    let mut key = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                key.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => key.push(c),
        }
    }
    key
}

fn path_params(path: &str) -> Vec<String> {
    path.split('{').skip(1).filter_map(|s| s.split_once('}')).map(|(name, _)| name.to_string()).collect()
}

/// A path whose item could not be read, and why.
type Unreadable = (String, String);

/// One operation of a description, its schemas not yet normalised.
struct Operation {
    id: String,
    method: String,
    path: String,
    /// (location, name) → (required, schema).
    params: BTreeMap<(String, String), (bool, Option<Located>)>,
    /// media type and schema.
    request: Option<(String, Option<Located>)>,
    /// status → media type and schema.
    responses: BTreeMap<String, Option<(String, Option<Located>)>>,
}

/// Every operation of one document's (or several merged documents') paths.
/// A path item that cannot be read is returned as an error for that path.
fn operations(
    docs: &mut Documents,
    roots: &[PathBuf],
    wanted: impl Fn(&str) -> bool,
) -> Result<(Vec<Operation>, Vec<Unreadable>), String> {
    let mut ops = Vec::new();
    let mut unreadable = Vec::new();
    for root in roots {
        let paths = docs.load(root)?.get("paths").and_then(Value::as_object).cloned().unwrap_or_default();
        for (path, item) in paths {
            if !wanted(&path) {
                continue;
            }
            match read_path_item(docs, &Located { file: root.clone(), value: item }, &path) {
                Ok(found) => ops.extend(found),
                Err(e) => unreadable.push((path, e)),
            }
        }
    }
    Ok((ops, unreadable))
}

fn read_path_item(docs: &mut Documents, item: &Located, path: &str) -> Result<Vec<Operation>, String> {
    let item = docs.resolve(item)?;
    let shared = item.value.get("parameters").cloned().unwrap_or(Value::Null);
    let mut ops = Vec::new();
    for method in METHODS {
        let Some(op) = item.value.get(method) else { continue };
        let at = |value: &Value| Located { file: item.file.clone(), value: value.clone() };
        let mut params = BTreeMap::new();
        for list in [&shared, op.get("parameters").unwrap_or(&Value::Null)] {
            for param in list.as_array().into_iter().flatten() {
                let param = docs.resolve(&at(param))?;
                let location = param.value.get("in").and_then(Value::as_str).unwrap_or("?").to_string();
                let mut name = param.value.get("name").and_then(Value::as_str).unwrap_or("?").to_string();
                if location == "header" {
                    name = name.to_ascii_lowercase();
                }
                let required = param.value.get("required").and_then(Value::as_bool).unwrap_or(false);
                let schema =
                    param.value.get("schema").map(|s| Located { file: param.file.clone(), value: s.clone() });
                params.insert((location, name), (required, schema));
            }
        }
        let request = match op.get("requestBody") {
            Some(body) => {
                let body = docs.resolve(&at(body))?;
                Some(content(&body).unwrap_or_else(|| ("(no content)".to_string(), None)))
            }
            None => None,
        };
        let mut responses = BTreeMap::new();
        for (status, response) in op.get("responses").and_then(Value::as_object).into_iter().flatten() {
            let response = docs.resolve(&at(response))?;
            responses.insert(status.to_string(), content(&response));
        }
        ops.push(Operation {
            id: op.get("operationId").and_then(Value::as_str).unwrap_or("").to_string(),
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            params,
            request,
            responses,
        });
    }
    Ok(ops)
}

/// The body of a request or response: JSON if offered, else the first media type.
fn content(holder: &Located) -> Option<(String, Option<Located>)> {
    let content = holder.value.get("content")?.as_object()?;
    let (media, entry) = content
        .iter()
        .find(|(media, _)| media.as_str() == "application/json")
        .or_else(|| content.iter().next())?;
    let schema = entry.get("schema").map(|s| Located { file: holder.file.clone(), value: s.clone() });
    Some((media.clone(), schema))
}

fn openapi_differences(provider: &str, dir: &Path, mapping: &Mapping) -> Result<Vec<String>, String> {
    let mut docs = Documents::default();
    let ours_file = normalise_path(&dir.join(&mapping.ours));
    let (ours, _) = operations(&mut docs, std::slice::from_ref(&ours_file), |_| true)?;
    for id in mapping.operations.keys() {
        if !ours.iter().any(|op| &op.id == id) {
            return Err(format!("{provider}: mapping.yaml names `{id}`, which is not one of our operations"));
        }
    }

    // Where each of ours is at the vendor's.
    let mut targets = Vec::new();
    for op in &ours {
        let (method, path) = match mapping.operations.get(&op.id) {
            Some(target) => {
                let (method, path) = target
                    .split_once(' ')
                    .ok_or_else(|| format!("{provider}: mapping for `{}` is not `METHOD /path`", op.id))?;
                (method.to_ascii_uppercase(), path.to_string())
            }
            None => (op.method.clone(), op.path.clone()),
        };
        targets.push((method, path_key(&path)));
    }
    let covered: BTreeSet<String> = targets.iter().map(|(_, p)| p.clone()).collect();
    let under_covered = |path: &str| {
        let key = path_key(path);
        covered.iter().any(|c| key == *c || key.starts_with(&format!("{c}/")))
    };
    let roots: Vec<PathBuf> =
        mapping.vendor.iter().map(|f| normalise_path(&dir.join("vendor").join(f))).collect();
    let (theirs, unreadable) = operations(&mut docs, &roots, under_covered)?;

    let mut lines = Vec::new();
    // Messages name files relative to the provider's folder.
    let prefix = format!("{}/", normalise_path(dir).display());
    for (path, error) in unreadable {
        lines.push(format!("{provider} {path} operation: ? unreadable ({})", error.replace(&prefix, "")));
    }
    for (op, (method, key)) in ours.iter().zip(&targets) {
        let head = format!("{provider} {}", op.id);
        match theirs.iter().find(|t| t.method == *method && path_key(&t.path) == *key) {
            Some(vendor) => compare_operation(&mut docs, &head, vendor, op, mapping.supplement, &mut lines),
            None => lines.push(format!("{head} operation: - {method} {key} (vendor: none)")),
        }
    }
    for vendor in &theirs {
        let key = path_key(&vendor.path);
        if !targets.iter().any(|(m, p)| *m == vendor.method && *p == key) {
            lines.push(format!(
                "{provider} {} {} operation: + not covered (vendor: {})",
                vendor.method, vendor.path, vendor.id
            ));
        }
    }
    let mut lines: Vec<String> = lines.into_iter().map(|l| l.replace(&prefix, "")).collect();
    lines.sort();
    lines.dedup();
    Ok(lines)
}

fn compare_operation(
    docs: &mut Documents,
    head: &str,
    vendor: &Operation,
    ours: &Operation,
    supplement: bool,
    lines: &mut Vec<String>,
) {
    // Path parameters are matched by position: their names are not on the wire.
    let rename: HashMap<String, String> =
        path_params(&vendor.path).into_iter().zip(path_params(&ours.path)).collect();
    let vendor_params: BTreeMap<(String, String), _> = vendor
        .params
        .iter()
        .map(|((location, name), v)| {
            let name =
                if location == "path" { rename.get(name).unwrap_or(name).clone() } else { name.clone() };
            ((location.clone(), name), v)
        })
        .collect();
    let keys: BTreeSet<&(String, String)> = vendor_params.keys().chain(ours.params.keys()).collect();
    for key in keys {
        let (location, name) = key;
        if location == "cookie" {
            continue;
        }
        let at = format!("{head} {location}");
        let shape =
            |docs: &mut Documents, s: &Option<Located>| s.as_ref().map(|s| docs.shape(s)).unwrap_or_default();
        match (vendor_params.get(key), ours.params.get(key)) {
            (Some((required, schema)), None) => {
                let shape = shape(docs, schema);
                lines.push(format!(
                    "{at}: + {name} (vendor: {}{})",
                    render(&shape),
                    if *required { ", required" } else { "" }
                ))
            }
            (None, Some((_, schema))) if !supplement => {
                lines.push(format!("{at}: - {name} (ours: {})", render(&shape(docs, schema))))
            }
            (Some((v_required, v_schema)), Some((o_required, o_schema))) => {
                if v_required != o_required {
                    lines.push(format!(
                        "{at}: ~ {name}: required (vendor: {}; ours: {})",
                        yes(*v_required),
                        yes(*o_required)
                    ));
                }
                let (v, o) = (shape(docs, v_schema), shape(docs, o_schema));
                compare(&at, name, &v, &o, supplement, lines);
            }
            _ => {}
        }
    }

    compare_body(
        docs,
        &format!("{head} request"),
        vendor.request.as_ref(),
        ours.request.as_ref(),
        supplement,
        lines,
    );
    // A vendor's `400` (or `default`) is compared with our `4XX` when we
    // have no `400` (or `default`).
    let ours_for = |status: &String| {
        let range = if status == "default" { "4XX".to_string() } else { format!("{}XX", &status[..1]) };
        if ours.responses.contains_key(status) {
            Some(status.clone())
        } else {
            ours.responses.get(&range).map(|_| range)
        }
    };
    let mut used = BTreeSet::new();
    for (status, v) in &vendor.responses {
        let at = format!("{head} response {status}");
        match ours_for(status) {
            Some(key) => {
                let o = &ours.responses[&key];
                let at = if key == *status { at } else { format!("{at} (ours: {key})") };
                used.insert(key);
                compare_body(docs, &at, v.as_ref(), o.as_ref(), supplement, lines);
            }
            // Error statuses without a body only document failure modes,
            // which the facade handles by status.
            None if status.starts_with('2') || v.is_some() => {
                let body = v.as_ref().and_then(|(_, s)| s.as_ref()).map(|s| render(&docs.shape(s)));
                lines.push(format!(
                    "{at}: + status (vendor: {})",
                    body.unwrap_or_else(|| "no body".to_string())
                ))
            }
            None => {}
        }
    }
    for (status, o) in &ours.responses {
        if used.contains(status) || supplement || !(status.starts_with('2') || o.is_some()) {
            continue;
        }
        let body = o.as_ref().and_then(|(_, s)| s.as_ref()).map(|s| render(&docs.shape(s)));
        lines.push(format!(
            "{head} response {status}: - status (ours: {})",
            body.unwrap_or_else(|| "no body".to_string())
        ));
    }
}

fn yes(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

fn compare_body(
    docs: &mut Documents,
    at: &str,
    vendor: Option<&(String, Option<Located>)>,
    ours: Option<&(String, Option<Located>)>,
    supplement: bool,
    lines: &mut Vec<String>,
) {
    match (vendor, ours) {
        (Some((v_media, v_schema)), Some((o_media, o_schema))) => {
            if v_media != o_media {
                lines.push(format!("{at}: ~ (body): media type (vendor: {v_media}; ours: {o_media})"));
                return;
            }
            match (v_schema, o_schema) {
                (Some(v), Some(o)) => {
                    let (v, o) = (docs.shape(v), docs.shape(o));
                    compare(at, "", &v, &o, supplement, lines);
                }
                (Some(v), None) => lines.push(format!("{at}: + (body) (vendor: {})", render(&docs.shape(v)))),
                (None, Some(o)) if !supplement => {
                    lines.push(format!("{at}: - (body) (ours: {})", render(&docs.shape(o))))
                }
                _ => {}
            }
        }
        (Some((media, schema)), None) => {
            let shown = schema.as_ref().map(|s| render(&docs.shape(s))).unwrap_or_else(|| media.clone());
            lines.push(format!("{at}: + (body) (vendor: {shown})"));
        }
        (None, Some((media, schema))) if !supplement => {
            let shown = schema.as_ref().map(|s| render(&docs.shape(s))).unwrap_or_else(|| media.clone());
            lines.push(format!("{at}: - (body) (ours: {shown})"));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_any_text_at_each_star() {
        assert!(glob(
            "cycle * response *: ~ *: nullable (vendor: no; ours: yes)",
            "cycle get_account response 200: ~ data.a.b: nullable (vendor: no; ours: yes)"
        ));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exactly"));
        assert!(!glob("a*b", "ab-"));
        assert!(glob("a*b*c", "abbc"));
        assert!(!glob("ab*ba", "aba"));
        assert!(glob("a*ba", "aba"));
    }

    #[test]
    fn paths_match_whatever_their_parameters_are_called() {
        assert_eq!(path_key("/request/{request_id}"), path_key("/request/{requestId}"));
        assert_eq!(path_params("/a/{x}/b/{y}"), ["x", "y"]);
        assert_eq!(normalise_path(Path::new("a/b/../c/./d.yml")), Path::new("a/c/d.yml"));
    }
}
