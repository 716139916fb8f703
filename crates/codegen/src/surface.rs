//! The API-surface skeleton: what a reviewer needs to see of a generated
//! client, without the request plumbing that changes with every progenitor
//! release.

use std::collections::BTreeMap;

use syn::{Attribute, Block, ImplItem, Item, Visibility};

/// Reduces a generated file to its public skeleton: public types with their
/// fields and attributes (serde renames and skip rules are wire behaviour),
/// trait impls as headers, public functions as signatures with empty bodies,
/// public constants, and only the first line of each item's docs.
pub fn surface(file: &syn::File) -> String {
    let skeleton = syn::File {
        shebang: None,
        frontmatter: None,
        attrs: Vec::new(),
        items: skeleton_items(file.items.clone()),
    };
    prettyplease::unparse(&skeleton)
}

fn skeleton_items(items: Vec<Item>) -> Vec<Item> {
    items.into_iter().filter_map(skeleton_item).collect()
}

fn skeleton_item(item: Item) -> Option<Item> {
    match item {
        Item::Struct(mut s) if is_pub(&s.vis) => {
            first_doc_only(&mut s.attrs);
            s.fields.iter_mut().for_each(|f| no_docs(&mut f.attrs));
            Some(Item::Struct(s))
        }
        Item::Enum(mut e) if is_pub(&e.vis) => {
            first_doc_only(&mut e.attrs);
            e.variants.iter_mut().for_each(|v| no_docs(&mut v.attrs));
            Some(Item::Enum(e))
        }
        Item::Impl(mut i) => {
            no_docs(&mut i.attrs);
            if i.trait_.is_some() {
                i.items.clear();
            } else {
                i.items = i.items.into_iter().filter_map(skeleton_impl_item).collect();
                if i.items.is_empty() {
                    return None;
                }
            }
            Some(Item::Impl(i))
        }
        Item::Fn(mut f) if is_pub(&f.vis) => {
            first_doc_only(&mut f.attrs);
            f.block = Box::new(empty_block());
            Some(Item::Fn(f))
        }
        Item::Mod(mut m) if is_pub(&m.vis) => {
            first_doc_only(&mut m.attrs);
            if let Some((brace, items)) = m.content.take() {
                m.content = Some((brace, skeleton_items(items)));
            }
            Some(Item::Mod(m))
        }
        Item::Const(mut c) if is_pub(&c.vis) => {
            first_doc_only(&mut c.attrs);
            Some(Item::Const(c))
        }
        Item::Type(mut t) if is_pub(&t.vis) => {
            first_doc_only(&mut t.attrs);
            Some(Item::Type(t))
        }
        Item::Use(u) if is_pub(&u.vis) => Some(Item::Use(u)),
        _ => None,
    }
}

fn skeleton_impl_item(item: ImplItem) -> Option<ImplItem> {
    match item {
        ImplItem::Fn(mut f) if is_pub(&f.vis) => {
            first_doc_only(&mut f.attrs);
            f.block = empty_block();
            Some(ImplItem::Fn(f))
        }
        ImplItem::Const(mut c) if is_pub(&c.vis) => {
            first_doc_only(&mut c.attrs);
            Some(ImplItem::Const(c))
        }
        _ => None,
    }
}

fn is_pub(vis: &Visibility) -> bool {
    matches!(vis, Visibility::Public(_))
}

fn empty_block() -> Block {
    Block { brace_token: Default::default(), stmts: Vec::new() }
}

fn is_doc(attr: &Attribute) -> bool {
    attr.path().is_ident("doc")
}

fn no_docs(attrs: &mut Vec<Attribute>) {
    attrs.retain(|a| !is_doc(a));
}

/// Keeps the first non-empty doc line, trimmed.
fn first_doc_only(attrs: &mut Vec<Attribute>) {
    let first = attrs.iter().find_map(|a| match &a.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => {
                let line = s.value().lines().map(str::trim).find(|l| !l.is_empty())?.to_string();
                Some(line)
            }
            _ => None,
        },
        _ => None,
    });
    no_docs(attrs);
    if let Some(line) = first {
        attrs.insert(0, syn::parse_quote!(#[doc = #line]));
    }
}

/// One entry of a surface that appeared, disappeared or changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SurfaceChange {
    /// In the new surface only.
    Added(String),
    /// In the old surface only.
    Removed(String),
    /// In both, with a different text.
    Changed(String),
}

impl std::fmt::Display for SurfaceChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SurfaceChange::Added(what) => write!(f, "+ {what}"),
            SurfaceChange::Removed(what) => write!(f, "- {what}"),
            SurfaceChange::Changed(what) => write!(f, "~ {what}"),
        }
    }
}

/// Compares two surfaces by entry: `operation <name>` for client methods,
/// `type <module>::<Name>` for types (with the trait impls they carry), and
/// `const <NAME>`. Text that does not parse is compared as one entry.
pub fn surface_changes(old: &str, new: &str) -> Vec<SurfaceChange> {
    let (old, new) = (index(old), index(new));
    let mut changes = Vec::new();
    for (key, text) in &new {
        match old.get(key) {
            None => changes.push(SurfaceChange::Added(key.clone())),
            Some(previous) if previous != text => changes.push(SurfaceChange::Changed(key.clone())),
            Some(_) => {}
        }
    }
    for key in old.keys().filter(|k| !new.contains_key(*k)) {
        changes.push(SurfaceChange::Removed(key.clone()));
    }
    changes
}

fn index(source: &str) -> BTreeMap<String, String> {
    let mut entries = BTreeMap::new();
    match syn::parse_file(source) {
        Ok(file) => index_items(&file.items, "", &mut entries),
        Err(_) => {
            if !source.trim().is_empty() {
                entries.insert("document".to_string(), source.to_string());
            }
        }
    }
    entries
}

fn index_items(items: &[Item], module: &str, entries: &mut BTreeMap<String, String>) {
    let qualify = |name: &syn::Ident| {
        if module.is_empty() { name.to_string() } else { format!("{module}::{name}") }
    };
    for item in items {
        let text = quote_item(item);
        match item {
            Item::Struct(s) => push(entries, format!("type {}", qualify(&s.ident)), &text),
            Item::Enum(e) => push(entries, format!("type {}", qualify(&e.ident)), &text),
            Item::Const(c) => push(entries, format!("const {}", qualify(&c.ident)), &text),
            Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    index_items(inner, &qualify(&m.ident), entries);
                }
            }
            Item::Impl(i) => {
                let self_ty = type_name(&i.self_ty);
                let client = self_ty == "Client" && i.trait_.is_none();
                for member in &i.items {
                    if let ImplItem::Fn(f) = member
                        && client
                    {
                        let sig = &f.sig;
                        let skeleton: Item = syn::parse_quote!(#sig {});
                        push(entries, format!("operation {}", sig.ident), &quote_item(&skeleton));
                    }
                }
                if !client {
                    let key = if self_ty.is_empty() {
                        "impls".to_string()
                    } else if module.is_empty() {
                        format!("type {self_ty}")
                    } else {
                        format!("type {module}::{self_ty}")
                    };
                    push(entries, key, &text);
                }
            }
            _ => push(entries, "other items".to_string(), &text),
        }
    }
}

fn push(entries: &mut BTreeMap<String, String>, key: String, text: &str) {
    let entry = entries.entry(key).or_default();
    entry.push_str(text);
    entry.push('\n');
}

fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
        syn::Type::Reference(r) => type_name(&r.elem),
        _ => String::new(),
    }
}

fn quote_item(item: &Item) -> String {
    prettyplease::unparse(&syn::File {
        shebang: None,
        frontmatter: None,
        attrs: Vec::new(),
        items: vec![item.clone()],
    })
}

/// What a change means for code written against the raw crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impact {
    /// Existing code compiles and behaves the same.
    Additive,
    /// The Rust API is the same, but what goes on the wire is not (a serde
    /// rename, a skip rule, an operation's list membership).
    Wire,
    /// Existing code may no longer compile: a removal, a changed type, or a
    /// new field every struct literal must name.
    Breaking,
}

impl std::fmt::Display for Impact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Impact::Additive => "additive",
            Impact::Wire => "wire",
            Impact::Breaking => "breaking",
        })
    }
}

/// One named change between two surfaces, down to fields and variants.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// `+` added, `-` removed, `~` changed.
    pub sign: char,
    /// `operation get_account`, `type types::Account`,
    /// `field types::Account.company`, `variant types::Kind::Other`, ...
    pub what: String,
    /// Old and new text where something changed in place, such as a field's
    /// type: `String -> i64`.
    pub detail: Option<String>,
    /// What it means for the raw crate's users.
    pub impact: Impact,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.sign, self.what)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        write!(f, " ({})", self.impact)
    }
}

/// [`surface_changes`], with a changed type taken apart into the fields,
/// variants and trait impls that changed, and each change classified by its
/// [`Impact`].
pub fn detailed_changes(old: &str, new: &str) -> Vec<Change> {
    let (old_index, new_index) = (index(old), index(new));
    let mut changes = Vec::new();
    for change in surface_changes(old, new) {
        match change {
            SurfaceChange::Added(what) => {
                changes.push(Change { sign: '+', what, detail: None, impact: Impact::Additive })
            }
            SurfaceChange::Removed(what) => {
                changes.push(Change { sign: '-', what, detail: None, impact: Impact::Breaking })
            }
            SurfaceChange::Changed(what) => {
                let (before, after) = (&old_index[&what], &new_index[&what]);
                let inner = what.strip_prefix("type ").map(|name| type_changes(name, before, after));
                match inner {
                    Some(inner) if !inner.is_empty() => changes.extend(inner),
                    _ => {
                        // An operation's signature, a constant's value, or a
                        // type whose only change is outside its fields.
                        let impact = if what.starts_with("const ") || what.starts_with("type ") {
                            Impact::Wire
                        } else {
                            Impact::Breaking
                        };
                        changes.push(Change { sign: '~', what, detail: None, impact });
                    }
                }
            }
        }
    }
    changes
}

/// The parts of one type's entry (its definition and impls).
#[derive(Default)]
struct TypeParts {
    /// Field or variant name → (type or fields text, attributes text).
    members: BTreeMap<String, (String, String)>,
    is_enum: bool,
    /// The definition's own attributes (derives, serde rules).
    attrs: String,
    impls: BTreeMap<String, String>,
}

fn type_parts(text: &str) -> Option<TypeParts> {
    let file = syn::parse_file(text).ok()?;
    let mut parts = TypeParts::default();
    for item in &file.items {
        match item {
            Item::Struct(s) => {
                parts.attrs = attrs_text(&s.attrs);
                for (n, field) in s.fields.iter().enumerate() {
                    let name = field.ident.as_ref().map_or(n.to_string(), ToString::to_string);
                    let ty = &field.ty;
                    let alias: Item = syn::parse_quote!(type T = #ty;);
                    let ty = quote_item(&alias);
                    let ty = short_paths(ty.trim().trim_start_matches("type T = ").trim_end_matches(';'));
                    parts.members.insert(name, (ty, attrs_text(&field.attrs)));
                }
            }
            Item::Enum(e) => {
                parts.is_enum = true;
                parts.attrs = attrs_text(&e.attrs);
                for variant in &e.variants {
                    let mut bare = variant.clone();
                    bare.attrs.clear();
                    let alone: Item = syn::parse_quote!(enum E { #bare });
                    parts.members.insert(
                        variant.ident.to_string(),
                        (short_paths(&one_line(&quote_item(&alone))), attrs_text(&variant.attrs)),
                    );
                }
            }
            Item::Impl(i) => {
                let header = quote_item(&Item::Impl(syn::ItemImpl { items: Vec::new(), ..i.clone() }));
                parts.impls.insert(header.trim().to_string(), quote_item(item));
            }
            _ => {}
        }
    }
    Some(parts)
}

fn attrs_text(attrs: &[Attribute]) -> String {
    let item: Item = syn::parse_quote!(#(#attrs)* struct S;);
    quote_item(&item)
}

fn type_changes(name: &str, before: &str, after: &str) -> Vec<Change> {
    let (Some(old), Some(new)) = (type_parts(before), type_parts(after)) else { return Vec::new() };
    let mut changes = Vec::new();
    let member = |m: &str| {
        if new.is_enum { format!("variant {name}::{m}") } else { format!("field {name}.{m}") }
    };
    let change = |sign, what, detail, impact| Change { sign, what, detail, impact };
    for (m, (shape, attrs)) in &new.members {
        match old.members.get(m) {
            // Exhaustive structs and enums: every literal or match must name it.
            None => changes.push(change('+', member(m), Some(shape.clone()), Impact::Breaking)),
            Some((old_shape, _)) if old_shape != shape => changes.push(change(
                '~',
                member(m),
                Some(format!("{old_shape} -> {shape}")),
                Impact::Breaking,
            )),
            Some((_, old_attrs)) if old_attrs != attrs => {
                changes.push(change('~', member(m), Some("serde attributes".into()), Impact::Wire))
            }
            Some(_) => {}
        }
    }
    for (m, (shape, _)) in &old.members {
        if !new.members.contains_key(m) {
            changes.push(change('-', member(m), Some(shape.clone()), Impact::Breaking));
        }
    }
    if old.attrs != new.attrs {
        changes.push(change('~', format!("type {name}"), Some("attributes".into()), Impact::Wire));
    }
    for header in new.impls.keys().filter(|h| !old.impls.contains_key(*h)) {
        changes.push(change('+', format!("impl of {name}"), Some(one_line(header)), Impact::Additive));
    }
    for header in old.impls.keys().filter(|h| !new.impls.contains_key(*h)) {
        changes.push(change('-', format!("impl of {name}"), Some(one_line(header)), Impact::Breaking));
    }
    changes
}

/// `::std::option::Option<::std::string::String>` as `Option<String>`.
fn short_paths(ty: &str) -> String {
    [
        "::std::option::",
        "::std::string::",
        "::std::vec::",
        "::std::collections::",
        "::std::boxed::",
        "::std::",
    ]
    .iter()
    .fold(ty.to_string(), |ty, prefix| ty.replace(prefix, ""))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
