//! `cargo xtask doc-examples [--list]`: every public method of `accountkit`
//! and `accountkit-sandbox` has an example in its rustdoc, and each crate
//! root and provider module opens with a runnable one (a stable stand-in for
//! the nightly-only `rustdoc::missing_doc_code_examples`).
//!
//! The sources are parsed with syn, walking the module tree from each
//! `lib.rs` (so the sandbox's `main.rs` and `#[cfg(test)]` modules such as
//! `mod tests;` are never read). What counts as public, approximately what
//! rustdoc shows:
//! - a module is public when it is `pub mod` in a public module, or private
//!   but re-exported by its parent with `pub use m::*` (all its `pub` items
//!   count) or `pub use m::{A, b}` (those names count); anything deeper in a
//!   private module that is not re-exported is not public;
//! - a method is an exactly-`pub` `fn` of an inherent impl (wherever the impl
//!   is) whose self type, looked up by name nearest the impl's module, is a
//!   public type; a free function is an exactly-`pub` `fn` of a public module;
//! - a `pub fn` in a `macro_rules!` body counts once per macro, wherever the
//!   macro expands (`$field` when its name is a metavariable);
//! - `#[doc(hidden)]` and `#[cfg(test)]` items are left out.
//!
//! A method has an example when its docs hold a Rust code block rustdoc
//! compiles (run or `no_run`; not `ignore`, `compile_fail` or `text`). The
//! doctest counts cover every doc comment of the two crates (a macro's once).
//! Without `--list` the task fails when anything lacks an example.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::{Attribute, Expr, ImplItem, Item, Lit, Meta, UseTree, Visibility};

pub const USAGE: &str = "usage: cargo xtask doc-examples [--list]";

/// The checked crates: package name and source directory.
const CRATES: [(&str, &str); 2] =
    [("accountkit", "crates/accountkit/src"), ("accountkit-sandbox", "crates/sandbox/src")];

/// The provider modules of both crates, which must open with a runnable example.
const PROVIDERS: [&str; 5] = ["tagoio", "cycle", "logto", "pangea", "stx"];

/// Runs the check; returns whether it passed (always, with `--list`).
pub fn run(root: &Path, args: &[String]) -> Result<bool, String> {
    let mut list = false;
    for arg in args {
        match arg.as_str() {
            "--list" => list = true,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let read = |path: &Path| std::fs::read_to_string(root.join(path)).ok();
    let mut scans = Vec::new();
    for (name, src) in CRATES {
        let scan = scan_crate(name, Path::new(src), &read)?;
        for file in rust_files(&root.join(src), Path::new(src)) {
            let skipped = file.ends_with("tests.rs") || file == Path::new(src).join("main.rs");
            if !skipped && !scan.visited.contains(&file) {
                eprintln!("warning: {} is not reached from lib.rs, not checked", slash(&file));
            }
        }
        scans.push(scan);
    }
    let report = Report::new(&scans, &PROVIDERS);
    let mut out = report.summary();
    for offender in &report.offenders {
        out.push('\n');
        out.push_str(offender);
    }
    out.push('\n');
    // Ignored: a closed pipe (`| head`) is no failure.
    let _ = std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes());
    Ok(list || report.offenders.is_empty())
}

/// The `.rs` files under `dir`, named as `shown` plus their relative path.
fn rust_files(dir: &Path, shown: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return files };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let name = shown.join(entry.file_name());
        if path.is_dir() {
            files.extend(rust_files(&path, &name));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(name);
        }
    }
    files
}

fn slash(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// How rustdoc treats a fenced code block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Run,
    NoRun,
    CompileFail,
    Ignore,
    /// `text`, `json` and the like: not a doctest.
    NotRust,
}

impl Block {
    /// Compiles as a doctest, so it is an example.
    fn is_example(self) -> bool {
        matches!(self, Block::Run | Block::NoRun)
    }
}

/// Rustdoc's reading of a fence's info string.
fn classify(info: &str) -> Block {
    let (mut rust, mut other) = (false, false);
    let (mut ignore, mut no_run, mut compile_fail) = (false, false, false);
    for word in info.split(|c: char| c == ',' || c.is_whitespace()).filter(|w| !w.is_empty()) {
        match word {
            "no_run" => no_run = true,
            "compile_fail" => compile_fail = true,
            "ignore" => ignore = true,
            w if w.starts_with("ignore-") => ignore = true,
            "rust" | "should_panic" | "test_harness" | "standalone_crate" => {}
            w if w.starts_with("edition") => {}
            w if w.len() == 5 && w.starts_with('E') && w[1..].bytes().all(|b| b.is_ascii_digit()) => {}
            _ => {
                other = true;
                continue;
            }
        }
        rust = true;
    }
    if other && !rust {
        Block::NotRust
    } else if ignore {
        Block::Ignore
    } else if compile_fail {
        Block::CompileFail
    } else if no_run {
        Block::NoRun
    } else {
        Block::Run
    }
}

/// The fenced code blocks of a doc text (its attributes joined by newlines).
fn blocks(text: &str) -> Vec<Block> {
    let mut found = Vec::new();
    let mut open: Option<(char, usize)> = None;
    for line in text.lines() {
        let line = line.trim_start();
        let Some(mark) = line.chars().next().filter(|c| *c == '`' || *c == '~') else { continue };
        let len = line.chars().take_while(|c| *c == mark).count();
        if len < 3 {
            continue;
        }
        match open {
            None => {
                found.push(classify(&line[len..]));
                open = Some((mark, len));
            }
            Some((m, n)) if m == mark && len >= n && line[len..].trim().is_empty() => open = None,
            Some(_) => {}
        }
    }
    found
}

/// Doctests by kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    run: usize,
    no_run: usize,
    compile_fail: usize,
    ignore: usize,
}

impl Counts {
    fn add(&mut self, found: &[Block]) {
        for block in found {
            match block {
                Block::Run => self.run += 1,
                Block::NoRun => self.no_run += 1,
                Block::CompileFail => self.compile_fail += 1,
                Block::Ignore => self.ignore += 1,
                Block::NotRust => {}
            }
        }
    }

    fn merge(&mut self, other: Counts) {
        self.run += other.run;
        self.no_run += other.no_run;
        self.compile_fail += other.compile_fail;
        self.ignore += other.ignore;
    }
}

/// One public method (or free function) and whether it has an example.
#[derive(Debug, Clone)]
struct Method {
    file: PathBuf,
    line: usize,
    name: String,
    has_example: bool,
}

/// A module's docs (outer on its `mod`, inner in its file).
#[derive(Debug)]
struct ModuleDocs {
    real: Vec<String>,
    file: PathBuf,
    line: usize,
    runnable: bool,
}

/// What one crate's walk found.
#[derive(Debug)]
struct CrateScan {
    name: String,
    src: PathBuf,
    methods: Vec<Method>,
    modules: Vec<ModuleDocs>,
    counts: Counts,
    visited: BTreeSet<PathBuf>,
}

/// Which of a module's `pub` items are reachable from outside the crate.
#[derive(Debug, Clone)]
enum Exposure {
    All,
    Names(BTreeSet<String>),
    Hidden,
}

impl Exposure {
    fn covers(&self, name: &str) -> bool {
        match self {
            Exposure::All => true,
            Exposure::Names(names) => names.contains(name),
            Exposure::Hidden => false,
        }
    }
}

/// Where the walk is: the module's real path, its public path (re-exported
/// private modules left out) and where its files are.
#[derive(Debug, Clone)]
struct Ctx {
    real: Vec<String>,
    shown: Vec<String>,
    exposure: Exposure,
    file: PathBuf,
    /// Where `mod child;` files live.
    dir: PathBuf,
}

struct TypeDef {
    name: String,
    module: Vec<String>,
    shown: Vec<String>,
    public: bool,
}

struct Impl {
    self_ty: String,
    module: Vec<String>,
    methods: Vec<(PathBuf, usize, String, bool)>,
}

type Read<'a> = &'a dyn Fn(&Path) -> Option<String>;

struct Walker<'a> {
    read: Read<'a>,
    types: Vec<TypeDef>,
    impls: Vec<Impl>,
    methods: Vec<Method>,
    modules: Vec<ModuleDocs>,
    counts: Counts,
    visited: BTreeSet<PathBuf>,
}

/// Walks one crate from `src/lib.rs`; paths are relative to what `read` reads.
fn scan_crate(name: &str, src: &Path, read: Read) -> Result<CrateScan, String> {
    let mut walker = Walker {
        read,
        types: Vec::new(),
        impls: Vec::new(),
        methods: Vec::new(),
        modules: Vec::new(),
        counts: Counts::default(),
        visited: BTreeSet::new(),
    };
    let lib = src.join("lib.rs");
    let file = walker.parse(&lib)?;
    let ctx =
        Ctx { real: Vec::new(), shown: Vec::new(), exposure: Exposure::All, file: lib, dir: src.into() };
    walker.module_docs(&ctx, &file.attrs, 1);
    walker.items(&ctx, &file.items)?;
    let Walker { types, impls, mut methods, modules, counts, visited, .. } = walker;
    for imp in impls {
        let Some(def) = nearest(&types, &imp.self_ty, &imp.module) else { continue };
        if !def.public {
            continue;
        }
        for (file, line, method, has_example) in imp.methods {
            let name = path_name(&def.shown, &format!("{}::{method}", def.name));
            methods.push(Method { file, line, name, has_example });
        }
    }
    methods.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    Ok(CrateScan { name: name.into(), src: src.into(), methods, modules, counts, visited })
}

/// The definition of `name` closest to `module`: the same module, else the
/// one sharing the longest module prefix (names repeat across providers).
fn nearest<'t>(types: &'t [TypeDef], name: &str, module: &[String]) -> Option<&'t TypeDef> {
    let shared = |def: &TypeDef| def.module.iter().zip(module).take_while(|(a, b)| a == b).count();
    types
        .iter()
        .filter(|def| def.name == name)
        .max_by_key(|def| (def.module == module, shared(def), def.public))
}

fn path_name(shown: &[String], last: &str) -> String {
    shown.iter().map(String::as_str).chain([last]).collect::<Vec<_>>().join("::")
}

fn line_of(ident: &proc_macro2::Ident) -> usize {
    ident.span().start().line
}

fn is_cfg_test(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        let Meta::List(list) = &attr.meta else { return false };
        if !list.path.is_ident("cfg") {
            return false;
        }
        let mut tokens = list.tokens.clone().into_iter();
        match (tokens.next(), tokens.next()) {
            (Some(TokenTree::Ident(test)), None) => test == "test",
            (Some(TokenTree::Ident(all)), Some(TokenTree::Group(args))) if all == "all" => {
                args.stream().into_iter().any(|t| matches!(&t, TokenTree::Ident(i) if i == "test"))
            }
            _ => false,
        }
    })
}

fn is_doc_hidden(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| match &attr.meta {
        Meta::List(list) => list.path.is_ident("doc") && list.tokens.to_string().contains("hidden"),
        _ => false,
    })
}

fn is_pub(vis: &Visibility) -> bool {
    matches!(vis, Visibility::Public(_))
}

fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

/// The names each private child module has re-exported by `pub use`.
fn reexports(items: &[Item]) -> BTreeMap<String, Exposure> {
    fn walk(tree: &UseTree, out: &mut BTreeMap<String, Exposure>) {
        match tree {
            UseTree::Path(path) if path.ident == "self" => walk(&path.tree, out),
            UseTree::Path(path) => {
                // `None` stands for a glob.
                let leaf = |tree: &UseTree| match tree {
                    UseTree::Glob(_) => Some(None),
                    UseTree::Name(name) => Some(Some(name.ident.to_string())),
                    UseTree::Rename(rename) => Some(Some(rename.ident.to_string())),
                    // Deeper paths: not followed (none in these crates).
                    _ => None,
                };
                let leaves: Vec<Option<String>> = match &*path.tree {
                    UseTree::Group(group) => group.items.iter().filter_map(leaf).collect(),
                    other => leaf(other).into_iter().collect(),
                };
                let entry = out.entry(path.ident.to_string()).or_insert(Exposure::Names(BTreeSet::new()));
                for leaf in leaves {
                    match (leaf, &mut *entry) {
                        (None, entry) => *entry = Exposure::All,
                        (Some(name), Exposure::Names(names)) => _ = names.insert(name),
                        _ => {}
                    }
                }
            }
            UseTree::Group(group) => group.items.iter().for_each(|inner| walk(inner, out)),
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    for item in items {
        if let Item::Use(used) = item
            && is_pub(&used.vis)
            && !is_cfg_test(&used.attrs)
        {
            walk(&used.tree, &mut out);
        }
    }
    out
}

impl Walker<'_> {
    fn parse(&mut self, path: &Path) -> Result<syn::File, String> {
        let text = (self.read)(path).ok_or_else(|| format!("cannot read {}", slash(path)))?;
        self.visited.insert(path.to_path_buf());
        syn::parse_file(&text).map_err(|e| format!("{}: {e}", slash(path)))
    }

    /// The text of a doc attribute, `None` for other attributes.
    fn doc_text(&self, attr: &Attribute, file: &Path) -> Option<String> {
        let Meta::NameValue(value) = &attr.meta else { return None };
        if !value.path.is_ident("doc") {
            return None;
        }
        Some(match &value.value {
            Expr::Lit(lit) => match &lit.lit {
                Lit::Str(text) => text.value(),
                _ => String::new(),
            },
            Expr::Macro(mac) => {
                let name = mac.mac.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
                self.macro_text(&name, mac.mac.tokens.clone(), file)
            }
            _ => String::new(),
        })
    }

    /// `concat!` of literals (metavariables left out) or `include_str!`.
    fn macro_text(&self, name: &str, tokens: TokenStream, file: &Path) -> String {
        let mut literals = Vec::new();
        string_literals(tokens, &mut literals);
        match name {
            "concat" => literals.concat(),
            "include_str" => literals
                .first()
                .and_then(|target| {
                    (self.read)(&normalise(&file.parent().unwrap_or(Path::new("")).join(target)))
                })
                .unwrap_or_default(),
            _ => String::new(),
        }
    }

    fn docs(&self, attrs: &[Attribute], file: &Path) -> String {
        attrs.iter().filter_map(|attr| self.doc_text(attr, file)).collect::<Vec<_>>().join("\n")
    }

    /// Counts the doctests of `attrs`; returns their blocks.
    fn count(&mut self, attrs: &[Attribute], file: &Path) -> Vec<Block> {
        let found = blocks(&self.docs(attrs, file));
        self.counts.add(&found);
        found
    }

    fn module_docs(&mut self, ctx: &Ctx, attrs: &[Attribute], line: usize) {
        let found = self.count(attrs, &ctx.file);
        let runnable = found.contains(&Block::Run);
        self.modules.push(ModuleDocs { real: ctx.real.clone(), file: ctx.file.clone(), line, runnable });
    }

    fn items(&mut self, ctx: &Ctx, items: &[Item]) -> Result<(), String> {
        let reexported = reexports(items);
        for item in items {
            let attrs = item_attrs(item);
            if is_cfg_test(attrs) {
                continue;
            }
            if let Item::Mod(module) = item {
                self.module(ctx, module, &reexported)?;
                continue;
            }
            self.count(attrs, &ctx.file);
            match item {
                Item::Struct(s) => {
                    for field in &s.fields {
                        self.count(&field.attrs, &ctx.file);
                    }
                    self.define(ctx, &s.ident, &s.vis);
                }
                Item::Enum(e) => {
                    for variant in &e.variants {
                        self.count(&variant.attrs, &ctx.file);
                        for field in &variant.fields {
                            self.count(&field.attrs, &ctx.file);
                        }
                    }
                    self.define(ctx, &e.ident, &e.vis);
                }
                Item::Union(u) => {
                    for field in &u.fields.named {
                        self.count(&field.attrs, &ctx.file);
                    }
                    self.define(ctx, &u.ident, &u.vis);
                }
                Item::Type(t) => self.define(ctx, &t.ident, &t.vis),
                Item::Fn(f) => {
                    let name = f.sig.ident.to_string();
                    if is_pub(&f.vis) && ctx.exposure.covers(&name) && !is_doc_hidden(&f.attrs) {
                        let has_example =
                            blocks(&self.docs(&f.attrs, &ctx.file)).iter().any(|b| b.is_example());
                        self.methods.push(Method {
                            file: ctx.file.clone(),
                            line: line_of(&f.sig.ident),
                            name: path_name(&ctx.shown, &name),
                            has_example,
                        });
                    }
                }
                Item::Impl(imp) => self.impl_block(ctx, imp),
                Item::Trait(t) => {
                    for inner in &t.items {
                        if let syn::TraitItem::Fn(f) = inner {
                            self.count(&f.attrs, &ctx.file);
                        }
                    }
                }
                Item::Macro(mac) => self.macro_item(ctx, mac),
                _ => {}
            }
        }
        Ok(())
    }

    fn define(&mut self, ctx: &Ctx, ident: &proc_macro2::Ident, vis: &Visibility) {
        let name = ident.to_string();
        let public = is_pub(vis) && ctx.exposure.covers(&name);
        self.types.push(TypeDef { name, module: ctx.real.clone(), shown: ctx.shown.clone(), public });
    }

    fn impl_block(&mut self, ctx: &Ctx, imp: &syn::ItemImpl) {
        let mut methods = Vec::new();
        for inner in &imp.items {
            let ImplItem::Fn(f) = inner else { continue };
            if is_cfg_test(&f.attrs) {
                continue;
            }
            let found = self.count(&f.attrs, &ctx.file);
            // Trait impls' methods are documented on the trait.
            if imp.trait_.is_none() && is_pub(&f.vis) && !is_doc_hidden(&f.attrs) {
                let has_example = found.iter().any(|b| b.is_example());
                methods.push((ctx.file.clone(), line_of(&f.sig.ident), f.sig.ident.to_string(), has_example));
            }
        }
        let syn::Type::Path(path) = &*imp.self_ty else { return };
        let Some(last) = path.path.segments.last() else { return };
        if !methods.is_empty() {
            self.impls.push(Impl { self_ty: last.ident.to_string(), module: ctx.real.clone(), methods });
        }
    }

    fn module(
        &mut self,
        ctx: &Ctx,
        module: &syn::ItemMod,
        reexported: &BTreeMap<String, Exposure>,
    ) -> Result<(), String> {
        let name = module.ident.to_string();
        let (exposure, shown) = match &ctx.exposure {
            Exposure::Hidden => (Exposure::Hidden, ctx.shown.clone()),
            parent if is_pub(&module.vis) && parent.covers(&name) => {
                (Exposure::All, ctx.shown.iter().cloned().chain([name.clone()]).collect())
            }
            _ => (reexported.get(&name).cloned().unwrap_or(Exposure::Hidden), ctx.shown.clone()),
        };
        let dir = ctx.dir.join(&name);
        let mut child = Ctx {
            real: ctx.real.iter().cloned().chain([name.clone()]).collect(),
            shown,
            exposure,
            file: ctx.file.clone(),
            dir: dir.clone(),
        };
        if let Some((_, items)) = &module.content {
            self.module_docs(&child, &module.attrs, line_of(&module.ident));
            return self.items(&child, items);
        }
        let flat = ctx.dir.join(format!("{name}.rs"));
        child.file = if (self.read)(&flat).is_some() { flat } else { dir.join("mod.rs") };
        let file = self.parse(&child.file)?;
        // Rustdoc joins the docs on `mod name;` with the file's `//!`.
        let attrs: Vec<Attribute> = module.attrs.iter().chain(&file.attrs).cloned().collect();
        self.module_docs(&child, &attrs, 1);
        self.items(&child, &file.items)
    }

    fn macro_item(&mut self, ctx: &Ctx, mac: &syn::ItemMacro) {
        let rules = mac.mac.path.is_ident("macro_rules");
        let mut scan = TokenScan::default();
        scan.walk(mac.mac.tokens.clone(), &|name, tokens| self.macro_text(name, tokens, &ctx.file));
        self.counts.add(&scan.blocks);
        match (&mac.ident, rules) {
            (Some(ident), true) => {
                for (line, method, has_example) in scan.methods {
                    let name = path_name(&ctx.shown, &format!("{ident}!::{method}"));
                    self.methods.push(Method { file: ctx.file.clone(), line, name, has_example });
                }
            }
            // An invocation such as `open_enum! { pub enum Name {..} }` defines a type.
            _ => {
                for ident in scan.types {
                    let public = ctx.exposure.covers(&ident);
                    self.types.push(TypeDef {
                        name: ident,
                        module: ctx.real.clone(),
                        shown: ctx.shown.clone(),
                        public,
                    });
                }
            }
        }
    }
}

/// Resolves `..` so an `include_str!` path can be read.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir
                if !matches!(out.components().next_back(), None | Some(Component::ParentDir)) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn string_literals(tokens: TokenStream, out: &mut Vec<String>) {
    for token in tokens {
        match token {
            TokenTree::Literal(lit) => {
                if let Lit::Str(text) = Lit::new(lit) {
                    out.push(text.value());
                }
            }
            TokenTree::Group(group) => string_literals(group.stream(), out),
            _ => {}
        }
    }
}

/// What a macro's tokens hold: `# [doc = ...]` runs, the `pub fn`s they
/// document, and the `pub struct|enum` names an invocation defines.
#[derive(Default)]
struct TokenScan {
    blocks: Vec<Block>,
    /// Line, name (`$field` for a metavariable), has an example.
    methods: Vec<(usize, String, bool)>,
    types: Vec<String>,
}

impl TokenScan {
    fn walk(&mut self, tokens: TokenStream, text_of: &dyn Fn(&str, TokenStream) -> String) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let mut docs: Vec<String> = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            // An attribute: `#` `!`? `[...]`.
            if let TokenTree::Punct(p) = &tokens[i]
                && p.as_char() == '#'
            {
                let bang = matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!');
                let at = i + 1 + usize::from(bang);
                if let Some(TokenTree::Group(group)) = tokens.get(at)
                    && group.delimiter() == Delimiter::Bracket
                {
                    if let Some(text) = doc_tokens(group.stream(), text_of) {
                        docs.push(text);
                    }
                    i = at + 1;
                    continue;
                }
            }
            let found = blocks(&docs.join("\n"));
            self.blocks.extend(&found);
            docs.clear();
            if let Some((line, name, next)) = pub_fn(&tokens, i) {
                self.methods.push((line, name, found.iter().any(|b| b.is_example())));
                i = next;
                continue;
            }
            if let Some((name, next)) = pub_type(&tokens, i) {
                self.types.push(name);
                i = next;
                continue;
            }
            if let TokenTree::Group(group) = &tokens[i] {
                self.walk(group.stream(), text_of);
            }
            i += 1;
        }
        let found = blocks(&docs.join("\n"));
        self.blocks.extend(&found);
    }
}

/// The text of `doc = ...` attribute tokens.
fn doc_tokens(tokens: TokenStream, text_of: &dyn Fn(&str, TokenStream) -> String) -> Option<String> {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    match tokens.as_slice() {
        [TokenTree::Ident(doc), TokenTree::Punct(eq), rest @ ..] if doc == "doc" && eq.as_char() == '=' => {
            Some(match rest {
                [TokenTree::Literal(lit)] => match Lit::new(lit.clone()) {
                    Lit::Str(text) => text.value(),
                    _ => String::new(),
                },
                [TokenTree::Ident(name), TokenTree::Punct(bang), TokenTree::Group(args)]
                    if bang.as_char() == '!' =>
                {
                    text_of(&name.to_string(), args.stream())
                }
                _ => String::new(),
            })
        }
        _ => None,
    }
}

fn is_ident(token: Option<&TokenTree>, word: &str) -> bool {
    matches!(token, Some(TokenTree::Ident(ident)) if ident == word)
}

/// `pub` (exactly) `const`/`async`/`unsafe`/`extern "abi"`* `fn` NAME at `i`:
/// its line, name and the index after it.
fn pub_fn(tokens: &[TokenTree], i: usize) -> Option<(usize, String, usize)> {
    if !is_ident(tokens.get(i), "pub") {
        return None;
    }
    let mut j = i + 1;
    loop {
        match tokens.get(j)? {
            TokenTree::Ident(word) if word == "const" || word == "async" || word == "unsafe" => j += 1,
            TokenTree::Ident(word) if word == "extern" => {
                j += 1;
                if matches!(tokens.get(j), Some(TokenTree::Literal(_))) {
                    j += 1;
                }
            }
            TokenTree::Ident(word) if word == "fn" => break,
            _ => return None,
        }
    }
    match (tokens.get(j + 1)?, tokens.get(j + 2)) {
        (TokenTree::Ident(name), _) => Some((line_of(name), name.to_string(), j + 2)),
        (TokenTree::Punct(dollar), Some(TokenTree::Ident(name))) if dollar.as_char() == '$' => {
            Some((line_of(name), format!("${name}"), j + 3))
        }
        _ => None,
    }
}

/// `pub struct|enum|union|type NAME` at `i`: the name and the index after it.
fn pub_type(tokens: &[TokenTree], i: usize) -> Option<(String, usize)> {
    if !is_ident(tokens.get(i), "pub") {
        return None;
    }
    let kind = tokens.get(i + 1)?;
    if !["struct", "enum", "union", "type"].iter().any(|word| is_ident(Some(kind), word)) {
        return None;
    }
    match tokens.get(i + 2)? {
        TokenTree::Ident(name) => Some((name.to_string(), i + 3)),
        _ => None,
    }
}

/// The findings of both crates.
struct Report {
    lines: Vec<String>,
    counts: Counts,
    offenders: Vec<String>,
}

impl Report {
    fn new(scans: &[CrateScan], providers: &[&str]) -> Report {
        let mut lines = Vec::new();
        let mut counts = Counts::default();
        let mut offenders = Vec::new();
        for scan in scans {
            counts.merge(scan.counts);
            let with = scan.methods.iter().filter(|m| m.has_example).count();
            lines.push(format!(
                "{}: {} public methods, {with} with an example",
                scan.name,
                scan.methods.len()
            ));
            let root = scan.name.replace('-', "_");
            let mut required: Vec<(Vec<String>, String)> = vec![(Vec::new(), format!("{root} (crate root)"))];
            required.extend(providers.iter().map(|p| (vec![p.to_string()], format!("{p} (module)"))));
            for (real, label) in required {
                match scan.modules.iter().find(|m| m.real == real) {
                    Some(m) if m.runnable => {}
                    Some(m) => offenders.push(format!(
                        "{}:{} {label}: no runnable example in its docs",
                        slash(&m.file),
                        m.line
                    )),
                    None => offenders.push(format!("{}: {label}: not found", slash(&scan.src))),
                }
            }
            for method in scan.methods.iter().filter(|m| !m.has_example) {
                offenders.push(format!("{}:{} {}", slash(&method.file), method.line, method.name));
            }
        }
        Report { lines, counts, offenders }
    }

    fn summary(&self) -> String {
        let c = self.counts;
        let mut kinds = format!("{} run, {} no_run", c.run, c.no_run);
        if c.compile_fail > 0 {
            kinds.push_str(&format!(", {} compile_fail", c.compile_fail));
        }
        if c.ignore > 0 {
            kinds.push_str(&format!(", {} ignore", c.ignore));
        }
        let total = c.run + c.no_run + c.compile_fail + c.ignore;
        format!("{}; doctests: {total} ({kinds})", self.lines.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scans a crate made of `files` (relative to `src/`).
    fn scan(files: &[(&str, &str)]) -> CrateScan {
        let files: BTreeMap<PathBuf, String> =
            files.iter().map(|(path, text)| (Path::new("src").join(path), text.to_string())).collect();
        let read = |path: &Path| files.get(path).cloned();
        scan_crate("demo", Path::new("src"), &read).expect("the sources parse")
    }

    fn methods(scan: &CrateScan) -> Vec<(String, bool)> {
        scan.methods.iter().map(|m| (m.name.clone(), m.has_example)).collect()
    }

    #[test]
    fn finds_a_method_without_an_example_and_accepts_one_with() {
        let crate_ = scan(&[(
            "lib.rs",
            "pub struct Client;\n\
             impl Client {\n\
                 /// Says hi.\n\
                 pub fn hi(&self) {}\n\
                 /// Says bye.\n\
                 ///\n\
                 /// ```\n\
                 /// demo::Client.bye();\n\
                 /// ```\n\
                 pub fn bye(&self) {}\n\
                 /// A text block is no example.\n\
                 /// ```text\n\
                 /// bye\n\
                 /// ```\n\
                 pub fn text(&self) {}\n\
             }\n\
             /// ```no_run\n/// demo::free();\n/// ```\n\
             pub fn free() {}\n",
        )]);
        assert_eq!(
            methods(&crate_),
            [
                ("Client::hi".into(), false),
                ("Client::bye".into(), true),
                ("Client::text".into(), false),
                ("free".into(), true)
            ]
        );
        assert_eq!(crate_.methods[0].line, 4);
        let report = Report::new(&[crate_], &[]);
        assert!(report.offenders.contains(&"src/lib.rs:4 Client::hi".to_string()), "{:?}", report.offenders);
        assert!(
            report
                .offenders
                .contains(&"src/lib.rs:1 demo (crate root): no runnable example in its docs".into())
        );
    }

    #[test]
    fn ignores_restricted_methods_trait_impls_test_modules_and_private_types() {
        let crate_ = scan(&[
            (
                "lib.rs",
                "mod inner;\n\
                 mod hidden;\n\
                 pub use inner::*;\n\
                 pub struct Client;\n\
                 pub(crate) struct Internal;\n\
                 impl Client { pub(crate) fn a(&self) {} pub(super) fn b(&self) {} fn c(&self) {} pub fn d(&self) {} }\n\
                 impl Internal { pub fn e(&self) {} }\n\
                 impl Clone for Client { fn clone(&self) -> Self { Client } }\n\
                 impl std::fmt::Display for Client { fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result { Ok(()) } }\n\
                 impl Default for Client { pub fn default() -> Self { Client } }\n\
                 #[cfg(test)]\n\
                 mod tests { impl super::Client { pub fn f(&self) {} } pub fn g() {} }\n\
                 #[cfg(test)]\n\
                 mod more;\n\
                 pub(crate) fn h() {}\n",
            ),
            ("inner.rs", "pub struct User;\nimpl User { pub fn name(&self) {} }\npub fn free() {}\n"),
            ("hidden.rs", "pub struct Secret;\nimpl Secret { pub fn peek(&self) {} }\npub fn free() {}\n"),
        ]);
        assert_eq!(
            methods(&crate_),
            [("User::name".into(), false), ("free".into(), false), ("Client::d".into(), false)]
        );
        // `pub` in a trait impl (which rustc refuses) is still not counted;
        // `mod more;` under cfg(test) is never read (it does not exist).
        assert!(!crate_.visited.contains(Path::new("src/more.rs")));
    }

    #[test]
    fn names_public_paths_and_named_reexports() {
        let crate_ = scan(&[
            ("lib.rs", "mod call;\npub use call::builder;\npub mod p;\n"),
            ("call.rs", "pub fn builder() {}\npub fn other() {}\n"),
            ("p/mod.rs", "//! P.\nmod types;\npub use types::*;\nimpl Client { pub fn info(&self) {} }\n"),
            ("p/types.rs", "pub struct Client;\n"),
        ]);
        assert_eq!(methods(&crate_), [("builder".into(), false), ("p::Client::info".into(), false)]);
        assert_eq!(crate_.methods[1].file, Path::new("src/p/mod.rs"));
    }

    #[test]
    fn finds_methods_in_macro_bodies_and_concat_examples() {
        let crate_ = scan(&[(
            "lib.rs",
            r#"
macro_rules! options {
    () => {
        /// No example.
        pub fn timeout(self) -> Self { self }

        /// With one.
        ///
        /// ```
        /// let _ = 1;
        /// ```
        pub fn retry(self) -> Self { self }

        pub(crate) fn reset(&self) {}
    };
}
macro_rules! fields {
    ($($field:ident, $wire:literal;)*) => {$(
        #[doc = concat!("`", $wire, "` equals `value`.")]
        #[doc = concat!("```\nlet f = demo::Filter::new().", stringify!($field), "(1);\n```")]
        pub fn $field(self, value: u8) -> Self { self }

        #[doc = concat!("`", $wire, "` is not `value`.")]
        pub async fn not(self) -> Self { self }
    )*};
}
"#,
        )]);
        assert_eq!(
            methods(&crate_),
            [
                ("options!::timeout".into(), false),
                ("options!::retry".into(), true),
                ("fields!::$field".into(), true),
                ("fields!::not".into(), false),
            ]
        );
        assert_eq!(crate_.counts, Counts { run: 2, ..Counts::default() });
    }

    #[test]
    fn counts_run_no_run_and_the_rest_over_every_doc_comment() {
        let crate_ = scan(&[(
            "lib.rs",
            "//! ```\n//! let _ = 1;\n//! ```\n\
             //! ```no_run\n//! loop {}\n//! ```\n\
             /// ```rust,no_run\n/// ```\n\
             /// ```compile_fail\n/// ```\n\
             /// ```ignore\n/// ```\n\
             /// ```text\n/// ```\n\
             /// ~~~should_panic\n/// panic!();\n/// ~~~\n\
             pub struct A {\n\
                 /// ```edition2021\n    /// ```\n\
                 pub field: u8,\n\
             }\n\
             #[cfg(test)]\nmod tests {\n    //! ```\n    //! ```\n}\n",
        )]);
        assert_eq!(crate_.counts, Counts { run: 3, no_run: 2, compile_fail: 1, ignore: 1 });
        let report = Report::new(&[crate_], &[]);
        assert_eq!(
            report.summary(),
            "demo: 0 public methods, 0 with an example; doctests: 7 (3 run, 2 no_run, 1 compile_fail, 1 ignore)"
        );
        assert!(report.offenders.is_empty(), "{:?}", report.offenders);
    }

    #[test]
    fn requires_a_runnable_example_in_the_root_and_provider_modules() {
        let crate_ = scan(&[
            ("lib.rs", "//! ```\n//! ```\npub mod tagoio;\n/// ```\n/// ```\npub mod stx;\n"),
            ("tagoio.rs", "//! ```no_run\n//! ```\n"),
            ("stx/mod.rs", "//! STX.\n"),
        ]);
        let report = Report::new(&[crate_], &["tagoio", "stx", "cycle"]);
        assert_eq!(
            report.offenders,
            [
                "src/tagoio.rs:1 tagoio (module): no runnable example in its docs",
                "src: cycle (module): not found",
            ]
        );
    }

    #[test]
    fn reads_fences_the_way_rustdoc_does() {
        assert_eq!(blocks("text\n ```\n code\n ```\n````ignore\n```\n````"), [Block::Run, Block::Ignore]);
        assert_eq!(classify("rust, no_run"), Block::NoRun);
        assert_eq!(classify("json"), Block::NotRust);
        assert_eq!(classify("E0277,compile_fail"), Block::CompileFail);
        assert_eq!(normalise(Path::new("a/src/../../README.md")), Path::new("README.md"));
    }
}
