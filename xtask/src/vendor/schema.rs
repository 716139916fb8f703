//! A JSON Schema (OpenAPI 3.0 or 3.1) reduced to what `vendor-check`
//! compares, and the comparison.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Documents, Located};

/// What a schema says about a value, after normalisation.
#[derive(Clone, Debug, Default)]
pub struct Shape {
    /// JSON types other than `null`; empty means any.
    pub types: BTreeSet<String>,
    pub format: Option<String>,
    pub nullable: bool,
    /// Only `null` is allowed (a `oneOf` branch that makes the rest nullable).
    null_only: bool,
    /// The allowed values as JSON text, `null` left out.
    pub enums: Option<BTreeSet<String>>,
    pub properties: BTreeMap<String, Shape>,
    pub required: BTreeSet<String>,
    /// A `required` list was written (a supplement compares only then).
    stated_required: bool,
    pub items: Option<Box<Shape>>,
    /// Branches of a `oneOf`/`anyOf` that are not all objects, kept as a union.
    alternatives: Vec<Shape>,
    /// Keywords that constrain the value but are not interpreted here.
    unknown: BTreeSet<String>,
    /// A `$ref` that could not be followed.
    broken: Option<String>,
    /// The schema says anything about the type at all.
    typed: bool,
}

/// Keywords that document or constrain beyond what is compared.
const IGNORED: &[&str] = &[
    "description",
    "title",
    "example",
    "examples",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "uniqueItems",
    "multipleOf",
    "minProperties",
    "maxProperties",
    "additionalProperties",
    "discriminator",
    "xml",
    "externalDocs",
    "$schema",
    "$id",
    "$comment",
    "contentMediaType",
    "contentEncoding",
];

pub(super) fn normalise(docs: &mut Documents, at: &Located, stack: &mut Vec<String>) -> Shape {
    let Some(object) = at.value.as_object() else {
        // `true` (anything) or `false`; neither says more.
        return Shape::default();
    };
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        let key = format!("{}#{reference}", at.file.display());
        if stack.contains(&key) {
            // A recursive schema: the outer level already compares it.
            return Shape { typed: true, ..Shape::default() };
        }
        let target =
            match docs.resolve(&Located { file: at.file.clone(), value: Value::Object(object.clone()) }) {
                Ok(target) => target,
                Err(e) => return Shape { broken: Some(e), typed: true, ..Shape::default() },
            };
        stack.push(key);
        let mut shape = normalise(docs, &target, stack);
        stack.pop();
        // 3.1 allows keywords beside `$ref`; 3.0 ignores them, but `nullable` is read.
        let mut rest = object.clone();
        rest.remove("$ref");
        if !rest.is_empty() {
            let beside =
                normalise(docs, &Located { file: at.file.clone(), value: Value::Object(rest) }, stack);
            shape = merge_all(shape, beside);
        }
        return shape;
    }

    let mut shape = Shape::default();
    let sub = |value: &Value| Located { file: at.file.clone(), value: value.clone() };
    for (keyword, value) in object {
        match keyword.as_str() {
            "type" => {
                shape.typed = true;
                let names: Vec<&str> = match value {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                    _ => vec![],
                };
                for name in names {
                    if name == "null" {
                        shape.nullable = true;
                    } else {
                        shape.types.insert(name.to_string());
                    }
                }
                if shape.types.is_empty() && shape.nullable {
                    shape.null_only = true;
                }
            }
            "format" => shape.format = value.as_str().map(str::to_string),
            "nullable" => shape.nullable |= value.as_bool().unwrap_or(false),
            "enum" | "const" => {
                shape.typed = true;
                let values = if keyword == "enum" {
                    value.as_array().cloned().unwrap_or_default()
                } else {
                    vec![value.clone()]
                };
                let mut set = BTreeSet::new();
                for v in values {
                    if v.is_null() {
                        shape.nullable = true;
                    } else {
                        set.insert(v.to_string());
                    }
                }
                if set.is_empty() && shape.nullable {
                    shape.null_only = true;
                }
                shape.enums = Some(set);
            }
            "properties" => {
                for (name, schema) in value.as_object().into_iter().flatten() {
                    shape.properties.insert(name.clone(), normalise(docs, &sub(schema), stack));
                }
            }
            "required" => {
                shape.stated_required = true;
                shape.required.extend(
                    value.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string),
                );
            }
            "items" => {
                shape.typed = true;
                shape.items = Some(Box::new(normalise(docs, &sub(value), stack)));
            }
            "allOf" | "oneOf" | "anyOf" => {}
            k if IGNORED.contains(&k) || k.starts_with("x-") => {}
            other => {
                shape.unknown.insert(other.to_string());
            }
        }
    }
    // Types implied by the values, so `enum: [a, b]` alone compares as a string.
    if shape.types.is_empty()
        && let Some(values) = &shape.enums
    {
        for v in values {
            let kind = match serde_json::from_str::<Value>(v) {
                Ok(Value::String(_)) => "string",
                Ok(Value::Bool(_)) => "boolean",
                Ok(Value::Number(n)) if n.is_i64() || n.is_u64() => "integer",
                Ok(Value::Number(_)) => "number",
                Ok(Value::Array(_)) => "array",
                _ => "object",
            };
            shape.types.insert(kind.to_string());
        }
    }
    if !shape.properties.is_empty() && shape.types.is_empty() {
        shape.types.insert("object".to_string());
    }

    if let Some(parts) = object.get("allOf").and_then(Value::as_array) {
        for part in parts {
            let part = normalise(docs, &sub(part), stack);
            shape = merge_all(shape, part);
        }
    }
    for keyword in ["oneOf", "anyOf"] {
        let Some(branches) = object.get(keyword).and_then(Value::as_array) else { continue };
        let mut kept = Vec::new();
        let mut nullable = false;
        for branch in branches {
            let branch = normalise(docs, &sub(branch), stack);
            nullable |= branch.nullable;
            if !branch.null_only {
                kept.push(branch);
            }
        }
        let mut union = match kept.len() {
            0 => Shape { null_only: nullable, ..Shape::default() },
            1 => kept.pop().unwrap_or_default(),
            _ if kept.iter().all(is_object) => kept.into_iter().reduce(merge_any).unwrap_or_default(),
            _ => {
                let mut union = Shape { typed: true, ..Shape::default() };
                for branch in &kept {
                    union.types.extend(branch.types.iter().cloned());
                }
                union.alternatives = kept;
                union
            }
        };
        union.nullable |= nullable;
        union.typed = true;
        shape = merge_all(shape, union);
    }
    shape
}

fn is_object(shape: &Shape) -> bool {
    shape.types.iter().all(|t| t == "object")
        && (shape.types.contains("object") || !shape.properties.is_empty())
}

/// Both must hold (`allOf`).
fn merge_all(mut a: Shape, b: Shape) -> Shape {
    a.types = match (a.types.is_empty(), b.types.is_empty()) {
        (true, _) => b.types,
        (_, true) => a.types,
        _ => {
            let both: BTreeSet<String> = a.types.intersection(&b.types).cloned().collect();
            if both.is_empty() { a.types.union(&b.types).cloned().collect() } else { both }
        }
    };
    a.format = a.format.or(b.format);
    // 3.0 writes `allOf: [$ref], nullable: true` to make a reference nullable.
    a.nullable |= b.nullable;
    a.null_only = a.null_only && b.null_only;
    a.enums = match (a.enums, b.enums) {
        (Some(x), Some(y)) => Some(x.intersection(&y).cloned().collect()),
        (x, y) => x.or(y),
    };
    for (name, shape) in b.properties {
        let merged = match a.properties.remove(&name) {
            Some(existing) => merge_all(existing, shape),
            None => shape,
        };
        a.properties.insert(name, merged);
    }
    a.required.extend(b.required);
    a.stated_required |= b.stated_required;
    a.items = match (a.items, b.items) {
        (Some(x), Some(y)) => Some(Box::new(merge_all(*x, *y))),
        (x, y) => x.or(y),
    };
    a.alternatives.extend(b.alternatives);
    a.unknown.extend(b.unknown);
    a.broken = a.broken.or(b.broken);
    a.typed |= b.typed;
    a
}

/// Either may hold (object branches of a `oneOf`/`anyOf`).
fn merge_any(mut a: Shape, b: Shape) -> Shape {
    a.types.extend(b.types);
    a.format = a.format.or(b.format);
    a.nullable |= b.nullable;
    a.enums = match (a.enums, b.enums) {
        (Some(x), Some(y)) => Some(x.union(&y).cloned().collect()),
        _ => None,
    };
    let in_both: BTreeSet<String> = a.required.intersection(&b.required).cloned().collect();
    for (name, shape) in b.properties {
        let merged = match a.properties.remove(&name) {
            Some(existing) => merge_any(existing, shape),
            None => shape,
        };
        a.properties.insert(name, merged);
    }
    a.required = in_both;
    a.stated_required |= b.stated_required;
    a.items = match (a.items, b.items) {
        (Some(x), Some(y)) => Some(Box::new(merge_any(*x, *y))),
        (x, y) => x.or(y),
    };
    a.unknown.extend(b.unknown);
    a.broken = a.broken.or(b.broken);
    a.typed |= b.typed;
    a
}

/// A shape as a short type expression: `string|"never"`, `[date-time]|null`.
pub fn render(shape: &Shape) -> String {
    let mut text = if let Some(error) = &shape.broken {
        format!("unreadable: {error}")
    } else if !shape.alternatives.is_empty() {
        shape.alternatives.iter().map(render).collect::<Vec<_>>().join("|")
    } else if let Some(values) = &shape.enums {
        if values.is_empty() {
            "no value".to_string()
        } else {
            values.iter().cloned().collect::<Vec<_>>().join("|")
        }
    } else if shape.null_only {
        return "null".to_string();
    } else {
        render_type(shape)
    };
    if shape.nullable {
        text.push_str("|null");
    }
    text
}

fn render_type(shape: &Shape) -> String {
    if shape.types.is_empty() {
        return "any".to_string();
    }
    let names: Vec<String> = shape
        .types
        .iter()
        .map(|t| match (t.as_str(), &shape.format) {
            ("string", Some(format)) => format.clone(),
            ("array", _) => {
                format!("[{}]", shape.items.as_deref().map(render).unwrap_or_else(|| "any".to_string()))
            }
            (other, Some(format)) => format!("{other}({format})"),
            (other, None) => other.to_string(),
        })
        .collect();
    names.join("|")
}

fn child(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_string() } else { format!("{path}.{name}") }
}

/// Appends one line per difference between the vendor's shape and ours at
/// `path` (empty for a body's root). `supplement`: the vendor's document
/// states only some fields and types, so compare only what it states.
pub fn compare(
    at: &str,
    path: &str,
    vendor: &Shape,
    ours: &Shape,
    supplement: bool,
    lines: &mut Vec<String>,
) {
    let shown = if path.is_empty() { "(body)" } else { path };
    for (side, shape) in [("vendor", vendor), ("ours", ours)] {
        for keyword in &shape.unknown {
            lines.push(format!("{at}: ? {shown}: keyword `{keyword}` not compared ({side})"));
        }
        if let Some(error) = &shape.broken {
            lines.push(format!("{at}: ? {shown}: unreadable ({side}: {error})"));
        }
    }
    if vendor.broken.is_some() || ours.broken.is_some() {
        return;
    }
    if !supplement || vendor.typed {
        let (v, o) = (strip(vendor), strip(ours));
        if render_kind(vendor) != render_kind(ours) {
            lines.push(format!("{at}: ~ {shown}: type (vendor: {}; ours: {})", render(&v), render(&o)));
        } else {
            if vendor.format != ours.format {
                let format = |f: &Option<String>| f.clone().unwrap_or_else(|| "none".to_string());
                lines.push(format!(
                    "{at}: ~ {shown}: format (vendor: {}; ours: {})",
                    format(&vendor.format),
                    format(&ours.format)
                ));
            }
            match (&vendor.enums, &ours.enums) {
                (Some(x), Some(y)) if x != y => {
                    let list = |s: BTreeSet<&String>| {
                        if s.is_empty() {
                            "none".to_string()
                        } else {
                            s.into_iter().cloned().collect::<Vec<_>>().join(", ")
                        }
                    };
                    lines.push(format!(
                        "{at}: ~ {shown}: enum (vendor only: {}; ours only: {})",
                        list(x.difference(y).collect()),
                        list(y.difference(x).collect())
                    ));
                }
                (Some(_), None) | (None, Some(_)) => {
                    lines.push(format!(
                        "{at}: ~ {shown}: enum (vendor: {}; ours: {})",
                        render(&v),
                        render(&o)
                    ));
                }
                _ => {}
            }
        }
        // A supplement's silence on null says nothing.
        if vendor.nullable != ours.nullable && (!supplement || vendor.nullable) {
            lines.push(format!(
                "{at}: ~ {shown}: nullable (vendor: {}; ours: {})",
                super::yes(vendor.nullable),
                super::yes(ours.nullable)
            ));
        }
    }
    let names: BTreeSet<&String> = vendor.properties.keys().chain(ours.properties.keys()).collect();
    for name in names {
        let field = child(path, name);
        match (vendor.properties.get(name), ours.properties.get(name)) {
            (Some(v), None) => lines.push(format!("{at}: + {field} (vendor: {})", render(v))),
            (None, Some(o)) if !supplement => lines.push(format!("{at}: - {field} (ours: {})", render(o))),
            (Some(v), Some(o)) => {
                let (v_required, o_required) = (vendor.required.contains(name), ours.required.contains(name));
                if v_required != o_required && (!supplement || vendor.stated_required) {
                    lines.push(format!(
                        "{at}: ~ {field}: required (vendor: {}; ours: {})",
                        super::yes(v_required),
                        super::yes(o_required)
                    ));
                }
                compare(at, &field, v, o, supplement, lines);
            }
            _ => {}
        }
    }
    if let (Some(v), Some(o)) = (&vendor.items, &ours.items) {
        compare(at, &format!("{}[]", path), v, o, supplement, lines);
    }
}

/// The same shape without the nullability, which is compared on its own.
fn strip(shape: &Shape) -> Shape {
    Shape { nullable: false, ..shape.clone() }
}

/// What must agree for the types to be the same: the JSON types, and for a
/// union its branches. Formats, enum values and array items are compared
/// on their own.
fn render_kind(shape: &Shape) -> String {
    if shape.alternatives.is_empty() {
        shape.types.iter().cloned().collect::<Vec<_>>().join("|")
    } else {
        render(&strip(shape))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::{Value, json};

    use super::*;

    fn shape_in(file: &Path, value: Value) -> Shape {
        Documents::default().shape(&Located { file: file.to_path_buf(), value })
    }

    fn shape(value: Value) -> Shape {
        shape_in(Path::new("inline.json"), value)
    }

    fn differences(vendor: Value, ours: Value) -> Vec<String> {
        let mut lines = Vec::new();
        compare("p op response 200", "", &shape(vendor), &shape(ours), false, &mut lines);
        lines
    }

    #[test]
    fn the_three_spellings_of_nullable_are_one() {
        let ours = json!({ "type": "string", "format": "date-time", "nullable": true });
        for vendor in [
            json!({ "type": ["string", "null"], "format": "date-time" }),
            json!({ "oneOf": [{ "type": "string", "format": "date-time" }, { "type": "null" }] }),
            json!({ "anyOf": [{ "type": "null" }, { "type": "string", "format": "date-time" }] }),
        ] {
            assert_eq!(differences(vendor.clone(), ours.clone()), Vec::<String>::new(), "{vendor}");
        }
        assert_eq!(render(&shape(ours)), "date-time|null");
    }

    #[test]
    fn all_of_merges_fields_required_and_enums() {
        let merged = shape(json!({ "allOf": [
            { "type": "object", "required": ["a"], "properties": { "a": { "type": "string" }, "kind": { "enum": ["x", "y"] } } },
            { "required": ["kind"], "properties": { "kind": { "enum": ["x"] } } },
        ] }));
        assert_eq!(merged.required, BTreeSet::from(["a".to_string(), "kind".to_string()]));
        assert_eq!(render(&merged.properties["kind"]), "\"x\"");
        assert_eq!(merged.types, BTreeSet::from(["object".to_string()]));
    }

    #[test]
    fn object_branches_of_one_of_keep_only_common_required_fields() {
        let merged = shape(json!({ "oneOf": [
            { "type": "object", "required": ["email"], "properties": { "email": { "type": "string" } } },
            { "type": "object", "required": ["token", "password"], "properties": { "token": { "type": "string" }, "password": { "type": "string" } } },
        ] }));
        assert_eq!(merged.properties.len(), 3);
        assert!(merged.required.is_empty());
    }

    #[test]
    fn a_scalar_union_is_reported_as_such() {
        let lines = differences(
            json!({ "properties": { "expire_date": { "oneOf": [{ "type": "string", "format": "date-time" }, { "const": "never" }] } } }),
            json!({ "properties": { "expire_date": { "type": "string", "format": "date-time" } } }),
        );
        assert_eq!(
            lines,
            ["p op response 200: ~ expire_date: type (vendor: date-time|\"never\"; ours: date-time)"]
        );
    }

    #[test]
    fn refs_resolve_across_files_and_relative_to_the_referring_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("schemas/inner")).unwrap();
        std::fs::write(
            dir.path().join("schemas/Account.yml"),
            "type: object\nproperties:\n  id:\n    $ref: ./inner/ID.yml\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("schemas/inner/ID.yml"), "type: string\nformat: objectid\n").unwrap();
        let account =
            shape_in(&dir.path().join("paths/account.yml"), json!({ "$ref": "../schemas/Account.yml" }));
        assert_eq!(render(&account.properties["id"]), "objectid");
    }

    #[test]
    fn what_cannot_be_interpreted_is_reported() {
        let lines =
            differences(json!({ "type": "object", "exactlyOne": ["a", "b"] }), json!({ "type": "object" }));
        assert_eq!(lines, ["p op response 200: ? (body): keyword `exactlyOne` not compared (vendor)"]);
        let broken = shape(json!({ "$ref": "missing.yml" }));
        assert!(render(&broken).starts_with("unreadable: "), "{}", render(&broken));
    }

    #[test]
    fn fields_types_formats_required_and_enums_are_compared() {
        let vendor = json!({ "type": "object", "required": ["a"], "properties": {
            "a": { "type": "integer" }, "b": { "type": "string", "format": "uuid" }, "c": { "enum": ["x", "y"] }, "new": { "type": "boolean" } } });
        let ours = json!({ "type": "object", "properties": {
            "a": { "type": "string" }, "b": { "type": "string" }, "c": { "type": "string", "enum": ["x", "z"] }, "old": { "type": "string" } } });
        assert_eq!(
            differences(vendor, ours),
            [
                "p op response 200: ~ a: required (vendor: yes; ours: no)",
                "p op response 200: ~ a: type (vendor: integer; ours: string)",
                "p op response 200: ~ b: format (vendor: uuid; ours: none)",
                "p op response 200: ~ c: enum (vendor only: \"y\"; ours only: \"z\")",
                "p op response 200: + new (vendor: boolean)",
                "p op response 200: - old (ours: string)",
            ]
        );
    }
}
