//! A light GraphQL validator for the STX fake: parses the request's document
//! with `cynic-parser` and checks it against `openapi/stx/schema.graphql`
//! (operation kind, fields, arguments, variable types and values,
//! selections), then hands back the one root field to run, its arguments
//! with variables substituted, and the selection to answer with.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use cynic_parser::common::OperationType;
use cynic_parser::executable::{OperationDefinition, Selection};
use cynic_parser::type_system::{Definition, TypeDefinition};
use cynic_parser::{ExecutableDocument, Value as Literal};
use serde_json::{Map, Value};

/// The schema the fake serves: `cargo xtask regen`'s copy of the file the
/// client is built against, so the package carries it.
const SCHEMA: &str = include_str!("schema.graphql");

const BUILTIN_SCALARS: &[&str] = &["String", "Int", "Float", "Boolean", "ID"];

struct Field {
    /// The type as written, e.g. `LoginResult` or `String!`.
    ty: String,
    /// Argument name → type as written.
    arguments: HashMap<String, String>,
}

pub(crate) struct Schema {
    mutation: String,
    query: String,
    objects: HashMap<String, HashMap<String, Field>>,
    inputs: HashMap<String, HashMap<String, String>>,
    scalars: HashSet<String>,
}

/// The schema, parsed once.
pub(crate) fn schema() -> &'static Schema {
    static PARSED: OnceLock<Schema> = OnceLock::new();
    PARSED.get_or_init(|| Schema::parse(SCHEMA).expect("openapi/stx/schema.graphql parses"))
}

impl Schema {
    fn parse(sdl: &str) -> Result<Schema, String> {
        let document = cynic_parser::parse_type_system_document(sdl).map_err(|e| e.to_string())?;
        let mut schema = Schema {
            mutation: "Mutation".into(),
            query: "Query".into(),
            objects: HashMap::new(),
            inputs: HashMap::new(),
            scalars: BUILTIN_SCALARS.iter().map(|s| s.to_string()).collect(),
        };
        for definition in document.definitions() {
            match definition {
                Definition::Schema(def) => {
                    for root in def.root_operations() {
                        match root.operation_type() {
                            OperationType::Mutation => schema.mutation = root.named_type().to_string(),
                            OperationType::Query => schema.query = root.named_type().to_string(),
                            OperationType::Subscription => {}
                        }
                    }
                }
                Definition::Type(TypeDefinition::Object(object)) => {
                    let fields = object
                        .fields()
                        .map(|f| {
                            let arguments =
                                f.arguments().map(|a| (a.name().to_string(), a.ty().to_string())).collect();
                            (f.name().to_string(), Field { ty: f.ty().to_string(), arguments })
                        })
                        .collect();
                    schema.objects.insert(object.name().to_string(), fields);
                }
                Definition::Type(TypeDefinition::InputObject(input)) => {
                    let fields = input.fields().map(|f| (f.name().to_string(), f.ty().to_string())).collect();
                    schema.inputs.insert(input.name().to_string(), fields);
                }
                Definition::Type(TypeDefinition::Scalar(scalar)) => {
                    schema.scalars.insert(scalar.name().to_string());
                }
                _ => {}
            }
        }
        Ok(schema)
    }

    /// The names of the mutations served.
    #[cfg(test)]
    pub(crate) fn mutations(&self) -> Vec<&str> {
        self.objects.get(&self.mutation).map(|f| f.keys().map(String::as_str).collect()).unwrap_or_default()
    }

    /// The names of the queries served.
    #[cfg(test)]
    pub(crate) fn queries(&self) -> Vec<&str> {
        self.objects.get(&self.query).map(|f| f.keys().map(String::as_str).collect()).unwrap_or_default()
    }

    /// The field names of an object type, in no particular order.
    pub(crate) fn fields_of(&self, type_name: &str) -> impl Iterator<Item = &str> {
        self.objects.get(type_name).into_iter().flat_map(|f| f.keys().map(String::as_str))
    }
}

/// The root type an operation runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Query,
    Mutation,
}

/// A field to answer with: the response key, the field, and its own selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selected {
    pub key: String,
    pub name: String,
    pub children: Vec<Selected>,
}

/// A validated request: one root field, of a query or a mutation.
#[derive(Debug)]
pub(crate) struct Request {
    pub kind: Kind,
    pub field: Selected,
    pub arguments: Map<String, Value>,
}

/// Validates `query` with `variables` and returns the root field it runs, or
/// the GraphQL error messages.
pub(crate) fn validate(
    query: &str,
    operation_name: Option<&str>,
    variables: &Map<String, Value>,
) -> Result<Request, Vec<String>> {
    let schema = schema();
    check_nesting(query).map_err(|e| vec![e])?;
    let document =
        cynic_parser::parse_executable_document(query).map_err(|e| vec![format!("Syntax error: {e}")])?;
    check_fragments(&document).map_err(|e| vec![e])?;
    let operation = pick_operation(&document, operation_name).map_err(|e| vec![e])?;
    let (kind, root_type, one) = match operation.operation_type() {
        OperationType::Mutation => (Kind::Mutation, &schema.mutation, "mutation"),
        OperationType::Query if schema.objects.contains_key(&schema.query) => {
            (Kind::Query, &schema.query, "query field")
        }
        other => {
            return Err(vec![format!("This server serves queries and mutations, not a {}.", other.as_str())]);
        }
    };
    let mut errors = Vec::new();
    let mut declared = HashMap::new();
    for variable in operation.variable_definitions() {
        let ty = variable.ty().to_string();
        if !is_input_type(schema, &ty) {
            errors.push(format!("Variable \"${}\" cannot be of non-input type \"{ty}\".", variable.name()));
            continue;
        }
        let value = variables.get(variable.name()).cloned().unwrap_or(Value::Null);
        if let Err(problem) = check_value(schema, &ty, &value) {
            errors.push(format!("Variable \"${}\" got invalid value: {problem}", variable.name()));
        }
        declared.insert(variable.name().to_string(), (ty, value));
    }

    let root = &schema.objects[root_type];
    let mut budget = Budget { fields: 0, depth: 0, refused: false, spreading: Vec::new() };
    let fields = collect(&document, operation.selection_set(), root_type, &mut budget, &mut errors);
    if budget.refused {
        return Err(errors);
    }
    if fields.len() != 1 {
        errors.push(format!("This server runs exactly one {one} per request."));
    }
    let mut request = None;
    for (field, arguments) in fields {
        let Some(definition) = root.get(&field.name) else {
            errors.push(format!("Cannot query field \"{}\" on type \"{root_type}\".", field.name));
            continue;
        };
        let mut values = Map::new();
        for (name, literal) in arguments {
            let Some(ty) = definition.arguments.get(&name) else {
                errors.push(format!("Unknown argument \"{name}\" on field \"{}\".", field.name));
                continue;
            };
            match literal {
                Argument::Variable(variable) => match declared.get(&variable) {
                    None => errors.push(format!("Variable \"${variable}\" is not defined.")),
                    Some((var_ty, value)) => {
                        if var_ty != ty && *var_ty != format!("{ty}!") {
                            errors.push(format!(
                                "Variable \"${variable}\" of type \"{var_ty}\" used in position expecting type \"{ty}\"."
                            ));
                        }
                        values.insert(name, value.clone());
                    }
                },
                Argument::Literal(value) => {
                    if let Err(problem) = check_value(schema, ty, &value) {
                        errors.push(format!("Argument \"{name}\" has invalid value: {problem}"));
                    }
                    values.insert(name, value);
                }
            }
        }
        for (name, ty) in &definition.arguments {
            // Present but null is a value error, reported above.
            if ty.ends_with('!') && !values.contains_key(name) {
                errors.push(format!(
                    "Field \"{}\" argument \"{name}\" of type \"{ty}\" is required, but it was not provided.",
                    field.name
                ));
            }
        }
        check_selection(schema, &definition.ty, &field, &mut errors);
        request = Some(Request { kind, field, arguments: values });
    }
    match request {
        Some(request) if errors.is_empty() => Ok(request),
        _ => Err(errors),
    }
}

/// Deepest nesting of `{`, `[` and `(` a document may have: deep enough for
/// any real selection, shallow enough that no parser recursion can overflow
/// the stack.
pub(crate) const MAX_DEPTH: usize = 32;
/// Most fields a request may select once fragments are expanded.
pub(crate) const MAX_FIELDS: usize = 1000;

/// Refuses a document nested deeper than [`MAX_DEPTH`] before it reaches the
/// parser, which recurses once per level.
fn check_nesting(query: &str) -> Result<(), String> {
    let mut depth = 0usize;
    let mut bytes = query.bytes();
    while let Some(byte) = bytes.next() {
        match byte {
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(format!("The document nests deeper than {MAX_DEPTH} levels."));
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            b'#' => {
                for byte in bytes.by_ref() {
                    if byte == b'\n' || byte == b'\r' {
                        break;
                    }
                }
            }
            // Brackets in a string are text; a block string's quotes pair up
            // in threes, which this reads as three strings, the same thing.
            b'"' => {
                while let Some(byte) = bytes.next() {
                    match byte {
                        b'\\' => {
                            bytes.next();
                        }
                        b'"' => break,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// What a GraphQL server validates of fragments: each is used, and none
/// spreads itself, directly or through others.
fn check_fragments(document: &ExecutableDocument) -> Result<(), String> {
    let mut used = HashSet::new();
    for operation in document.operations() {
        spreads(operation.selection_set(), &mut used);
    }
    for fragment in document.fragments() {
        spreads(fragment.selection_set(), &mut used);
    }
    for fragment in document.fragments() {
        if !used.contains(fragment.name()) {
            return Err(format!("Fragment \"{}\" is never used.", fragment.name()));
        }
    }
    Ok(())
}

/// The fragment names spread in a selection set, inline fragments entered.
fn spreads<'a>(selections: impl Iterator<Item = Selection<'a>>, out: &mut HashSet<&'a str>) {
    for selection in selections {
        match selection {
            Selection::Field(field) => spreads(field.selection_set(), out),
            Selection::InlineFragment(fragment) => spreads(fragment.selection_set(), out),
            Selection::FragmentSpread(spread) => {
                out.insert(spread.fragment_name());
            }
        }
    }
}

/// What expanding a selection may still spend.
struct Budget<'a> {
    fields: usize,
    depth: usize,
    /// A limit was crossed or a cycle found: stop expanding.
    refused: bool,
    /// The fragments being expanded, outermost first: a cycle shows here.
    spreading: Vec<&'a str>,
}

fn pick_operation<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Result<OperationDefinition<'a>, String> {
    let operations: Vec<_> = document.operations().collect();
    match name {
        Some(name) => operations
            .into_iter()
            .find(|op| op.name() == Some(name))
            .ok_or_else(|| format!("Unknown operation named \"{name}\".")),
        None if operations.len() == 1 => Ok(operations[0]),
        None => Err("Must provide operation name if query contains multiple operations.".to_string()),
    }
}

enum Argument {
    Variable(String),
    Literal(Value),
}

/// The fields of a selection set, fragments flattened; only the root's
/// arguments are kept.
fn collect<'a>(
    document: &'a ExecutableDocument,
    selections: impl Iterator<Item = Selection<'a>>,
    on_type: &str,
    budget: &mut Budget<'a>,
    errors: &mut Vec<String>,
) -> Vec<(Selected, Vec<(String, Argument)>)> {
    let mut out = Vec::new();
    if budget.depth >= MAX_DEPTH {
        budget.refused = true;
        errors.push(format!("The selection nests deeper than {MAX_DEPTH} levels."));
        return out;
    }
    budget.depth += 1;
    for selection in selections {
        if budget.refused {
            break;
        }
        match selection {
            Selection::Field(field) => {
                budget.fields += 1;
                if budget.fields > MAX_FIELDS {
                    errors.push(format!("The request selects more than {MAX_FIELDS} fields."));
                    budget.refused = true;
                    break;
                }
                let arguments = field
                    .arguments()
                    .map(|a| {
                        let value = match a.value().as_variable() {
                            Some(name) => Argument::Variable(name.to_string()),
                            None => Argument::Literal(literal(a.value())),
                        };
                        (a.name().to_string(), value)
                    })
                    .collect();
                let children = collect(document, field.selection_set(), "", budget, errors)
                    .into_iter()
                    .map(|(s, _)| s)
                    .collect();
                let key = field.alias().unwrap_or(field.name()).to_string();
                out.push((Selected { key, name: field.name().to_string(), children }, arguments));
            }
            Selection::InlineFragment(fragment) => {
                if let Some(condition) = fragment.type_condition()
                    && !on_type.is_empty()
                    && condition != on_type
                {
                    errors.push(format!(
                        "Fragment cannot be spread here: \"{condition}\" is not \"{on_type}\"."
                    ));
                }
                out.extend(collect(document, fragment.selection_set(), on_type, budget, errors));
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.fragment_name();
                if budget.spreading.contains(&name) {
                    errors.push(format!("Cannot spread fragment \"{name}\" within itself."));
                    budget.refused = true;
                    break;
                }
                match document.fragments().find(|f| f.name() == name) {
                    Some(fragment) => {
                        budget.spreading.push(name);
                        out.extend(collect(document, fragment.selection_set(), on_type, budget, errors));
                        budget.spreading.pop();
                    }
                    None => errors.push(format!("Unknown fragment \"{name}\".")),
                }
            }
        }
    }
    budget.depth -= 1;
    out
}

fn literal(value: Literal<'_>) -> Value {
    match value {
        Literal::Variable(_) | Literal::Null(_) => Value::Null,
        Literal::Int(i) => Value::from(i.as_i64()),
        Literal::Float(f) => serde_json::Number::from_f64(f.value()).map_or(Value::Null, Value::Number),
        Literal::String(s) => Value::String(s.value().to_string()),
        Literal::Boolean(b) => Value::Bool(b.value()),
        Literal::Enum(e) => Value::String(e.name().to_string()),
        Literal::List(list) => Value::Array(list.items().map(literal).collect()),
        Literal::Object(object) => {
            Value::Object(object.fields().map(|f| (f.name().to_string(), literal(f.value()))).collect())
        }
    }
}

/// `ty` without `!` and `[]`.
fn named(ty: &str) -> &str {
    ty.trim_matches(|c| c == '[' || c == ']' || c == '!')
}

fn is_input_type(schema: &Schema, ty: &str) -> bool {
    let name = named(ty);
    schema.scalars.contains(name) || schema.inputs.contains_key(name)
}

/// Checks a JSON value against an input type, GraphQL's coercion rules in
/// small.
fn check_value(schema: &Schema, ty: &str, value: &Value) -> Result<(), String> {
    if let Some(inner) = ty.strip_suffix('!') {
        if value.is_null() {
            return Err(format!("Expected non-null value of type \"{ty}\", found null."));
        }
        return check_value(schema, inner, value);
    }
    if value.is_null() {
        return Ok(());
    }
    if let Some(item) = ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        return match value {
            Value::Array(items) => items.iter().try_for_each(|v| check_value(schema, item, v)),
            single => check_value(schema, item, single),
        };
    }
    let ok = match ty {
        "String" | "EmailAddress" | "rID" => value.is_string(),
        "ID" => value.is_string() || value.is_i64(),
        "Int" => value.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
        "Float" => value.is_number(),
        "Boolean" => value.is_boolean(),
        other if schema.inputs.contains_key(other) => {
            let Value::Object(object) = value else {
                return Err(format!("Expected type \"{other}\" to be an object."));
            };
            let fields = &schema.inputs[other];
            for key in object.keys() {
                if !fields.contains_key(key) {
                    return Err(format!("Field \"{key}\" is not defined by type \"{other}\"."));
                }
            }
            for (name, field_ty) in fields {
                let field_value = object.get(name).unwrap_or(&Value::Null);
                check_value(schema, field_ty, field_value)
                    .map_err(|e| format!("In field \"{name}\": {e}"))?;
            }
            true
        }
        other if schema.scalars.contains(other) => true,
        other => return Err(format!("Unknown type \"{other}\".")),
    };
    if ok { Ok(()) } else { Err(format!("Expected type \"{ty}\", found {value}.")) }
}

/// Checks that every selected field exists, that objects have a selection
/// and that scalars have none.
fn check_selection(schema: &Schema, ty: &str, field: &Selected, errors: &mut Vec<String>) {
    let type_name = named(ty);
    match schema.objects.get(type_name) {
        Some(fields) => {
            if field.children.is_empty() {
                errors.push(format!(
                    "Field \"{}\" of type \"{ty}\" must have a selection of subfields.",
                    field.name
                ));
            }
            for child in &field.children {
                if child.name == "__typename" {
                    continue;
                }
                match fields.get(&child.name) {
                    Some(definition) => check_selection(schema, &definition.ty, child, errors),
                    None => {
                        errors.push(format!("Cannot query field \"{}\" on type \"{type_name}\".", child.name))
                    }
                }
            }
        }
        None if !field.children.is_empty() => errors.push(format!(
            "Field \"{}\" must not have a selection since type \"{ty}\" has no subfields.",
            field.name
        )),
        None => {}
    }
}

/// The answer to a selection: only the fields asked for, under their keys.
pub(crate) fn project(value: &Value, selection: &[Selected], type_name: &str) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            selection
                .iter()
                .map(|s| {
                    let v = if s.name == "__typename" {
                        Value::String(type_name.to_string())
                    } else {
                        let inner = object.get(&s.name).unwrap_or(&Value::Null);
                        if s.children.is_empty() { inner.clone() } else { project(inner, &s.children, "") }
                    };
                    (s.key.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| project(v, selection, type_name)).collect()),
        other => other.clone(),
    }
}
