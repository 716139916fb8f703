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
