//! The GraphQL comparison: every mutation of our schema against the
//! vendor's, its arguments and result type, and every type they reach.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use cynic_parser::TypeSystemDocument;
use cynic_parser::type_system::{Definition, TypeDefinition};

/// A named type reduced to what is compared: its kind and its members
/// (fields with their types, enum values, union members).
struct Named {
    kind: &'static str,
    members: BTreeMap<String, String>,
}

struct Schema {
    mutation: Option<String>,
    types: BTreeMap<String, Named>,
}

fn read(path: &Path) -> Result<Schema, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let document: TypeSystemDocument =
        cynic_parser::parse_type_system_document(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut schema = Schema { mutation: None, types: BTreeMap::new() };
    for definition in document.definitions() {
        match definition {
            Definition::Schema(def) | Definition::SchemaExtension(def) => {
                if let Some(root) = def.mutation_type() {
                    schema.mutation = Some(root.named_type().to_string());
                }
            }
            Definition::Type(def) | Definition::TypeExtension(def) => {
                let (kind, members): (&'static str, BTreeMap<String, String>) = match def {
                    TypeDefinition::Scalar(_) => ("scalar", BTreeMap::new()),
                    TypeDefinition::Object(o) => {
                        ("type", o.fields().map(|f| (f.name().to_string(), field(&f))).collect())
                    }
                    TypeDefinition::Interface(i) => {
                        ("interface", i.fields().map(|f| (f.name().to_string(), field(&f))).collect())
                    }
                    TypeDefinition::InputObject(i) => {
                        ("input", i.fields().map(|f| (f.name().to_string(), f.ty().to_string())).collect())
                    }
                    TypeDefinition::Enum(e) => {
                        ("enum", e.values().map(|v| (v.value().to_string(), "value".to_string())).collect())
                    }
                    TypeDefinition::Union(u) => {
                        ("union", u.members().map(|m| (m.name().to_string(), "member".to_string())).collect())
                    }
                };
                let entry = schema
                    .types
                    .entry(def.name().to_string())
                    .or_insert(Named { kind, members: BTreeMap::new() });
                entry.members.extend(members);
            }
            Definition::Directive(_) => {}
        }
    }
    if schema.mutation.is_none() && schema.types.contains_key("Mutation") {
        schema.mutation = Some("Mutation".to_string());
    }
    Ok(schema)
}

/// A field as `Type` or `(arg: Type, ...) Type`.
fn field(f: &cynic_parser::type_system::FieldDefinition<'_>) -> String {
    let args: Vec<String> = f.arguments().map(|a| format!("{}: {}", a.name(), a.ty())).collect();
    if args.is_empty() { f.ty().to_string() } else { format!("({}) {}", args.join(", "), f.ty()) }
}

/// The named type inside `[Foo!]!` or `(a: X) Foo`.
fn base(ty: &str) -> &str {
    let ty = ty.rsplit(") ").next().unwrap_or(ty);
    ty.trim_matches(|c| c == '[' || c == ']' || c == '!')
}

pub fn differences(provider: &str, ours: &Path, vendor: &Path) -> Result<Vec<String>, String> {
    let (ours, vendor) = (read(ours)?, read(vendor)?);
    let root = |s: &Schema, side: &str| {
        s.mutation.clone().ok_or_else(|| format!("{provider}: {side} schema has no mutation type"))
    };
    let (our_root, vendor_root) = (root(&ours, "our")?, root(&vendor, "the vendor's")?);
    let empty = BTreeMap::new();
    let our_mutations = ours.types.get(&our_root).map_or(&empty, |t| &t.members);
    let vendor_mutations = vendor.types.get(&vendor_root).map_or(&empty, |t| &t.members);

    let mut lines = Vec::new();
    let mut reached = BTreeSet::new();
    for (name, our_field) in our_mutations {
        let at = format!("{provider} {name}");
        match vendor_mutations.get(name) {
            None => lines.push(format!("{at} operation: - {name} (vendor: none)")),
            Some(vendor_field) => {
                let (our_args, our_result) = split(our_field);
                let (vendor_args, vendor_result) = split(vendor_field);
                members(&format!("{at} arguments"), &vendor_args, &our_args, &mut lines);
                if our_result != vendor_result {
                    lines.push(format!("{at} result: ~ type (vendor: {vendor_result}; ours: {our_result})"));
                }
            }
        }
        reached.insert(base(our_field).to_string());
        for (_, ty) in split(our_field).0 {
            reached.insert(base(&ty).to_string());
        }
    }

    // Every type our mutations reach, through the fields we kept.
    let mut queue: Vec<String> = reached.iter().cloned().collect();
    let mut seen = BTreeSet::new();
    while let Some(name) = queue.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(our_type) = ours.types.get(&name) else { continue };
        for ty in our_type.members.values() {
            let (args, _) = split(ty);
            queue.push(base(ty).to_string());
            queue.extend(args.values().map(|t| base(t).to_string()));
        }
        let at = format!("{provider} {name}");
        match vendor.types.get(&name) {
            None => lines.push(format!("{at} type: - {} {name} (vendor: none)", our_type.kind)),
            Some(vendor_type) if vendor_type.kind != our_type.kind => lines
                .push(format!("{at} type: ~ kind (vendor: {}; ours: {})", vendor_type.kind, our_type.kind)),
            Some(vendor_type) => members(
                &format!("{at} {}", noun(our_type.kind)),
                &vendor_type.members,
                &our_type.members,
                &mut lines,
            ),
        }
    }
    lines.sort();
    Ok(lines)
}

fn noun(kind: &str) -> &'static str {
    match kind {
        "enum" => "values",
        "union" => "members",
        _ => "fields",
    }
}

/// A mutation's arguments by name, and its result type.
fn split(field: &str) -> (BTreeMap<String, String>, String) {
    let Some(rest) = field.strip_prefix('(') else { return (BTreeMap::new(), field.to_string()) };
    let (args, result) = rest.rsplit_once(") ").unwrap_or((rest, ""));
    let args = args
        .split(", ")
        .filter_map(|a| a.split_once(": "))
        .map(|(name, ty)| (name.to_string(), ty.to_string()))
        .collect();
    (args, result.to_string())
}

fn members(
    at: &str,
    vendor: &BTreeMap<String, String>,
    ours: &BTreeMap<String, String>,
    lines: &mut Vec<String>,
) {
    let names: BTreeSet<&String> = vendor.keys().chain(ours.keys()).collect();
    for name in names {
        match (vendor.get(name), ours.get(name)) {
            (Some(v), None) => lines.push(format!("{at}: + {name} (vendor: {v})")),
            (None, Some(o)) => lines.push(format!("{at}: - {name} (ours: {o})")),
            (Some(v), Some(o)) if v != o => {
                lines.push(format!("{at}: ~ {name}: type (vendor: {v}; ours: {o})"))
            }
            _ => {}
        }
    }
}
