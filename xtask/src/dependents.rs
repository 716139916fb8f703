//! After `regen`: builds everything that uses the generated code (the
//! facade with every provider, the sandbox, the end-to-end suite) and turns
//! each compiler error into a line a maintainer acts on:
//! `file:line: what to decide (the compiler's words)`.
//!
//! The facade takes every raw type apart field by field and builds every
//! raw request with a literal that names each field, so a field the
//! generator adds or drops, or a type it changes, is an error at the line
//! that must decide what to do with it.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

/// One line of the build that no longer compiles.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Decision {
    /// `crates/accountkit/src/tagoio/types.rs:120`, relative to the root.
    pub at: String,
    /// What the maintainer decides there.
    pub decide: String,
    /// The compiler's message.
    pub message: String,
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({})", self.at, self.decide, self.message)
    }
}

/// Builds the workspace's test targets (which take in the facade with all
/// features, the sandbox and the end-to-end suite) and returns every line
/// that does not compile.
pub fn build(root: &Path) -> Result<Vec<Decision>, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    println!("building the facade, the sandbox and the end-to-end suite on the generated code...");
    let output = Command::new(cargo)
        .current_dir(root)
        .args(["test", "--workspace", "--exclude", "xtask", "--no-run", "--message-format=json", "--quiet"])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let decisions = decisions(&String::from_utf8_lossy(&output.stdout));
    if !output.status.success() && decisions.is_empty() {
        return Err("the build failed before the compiler said where (see above)".to_string());
    }
    Ok(decisions)
}

/// The raw crate's operations that the facade module never calls and never
/// names as left out (`// not exposed: <operation>, <why>`): an operation
/// the description gained is a decision too.
pub fn unused_operations(root: &Path, module: &str, surface: &str) -> Vec<Decision> {
    let dir = root.join("crates/accountkit/src").join(module);
    let mut source = String::new();
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        source.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
    }
    let operations = accountkit_codegen::surface_changes("", surface).into_iter().filter_map(|c| match c {
        accountkit_codegen::SurfaceChange::Added(what) => what.strip_prefix("operation ").map(str::to_string),
        _ => None,
    });
    operations
        // The client's constructors sit beside its operations.
        .filter(|op| op != "new" && op != "new_with_client")
        .filter(|op| !source.contains(&format!(".{op}(")) && !source.contains(&format!("not exposed: {op}")))
        .map(|op| Decision {
            at: format!("crates/accountkit/src/{module}/mod.rs"),
            decide: format!(
                "the raw crate's operation `{op}` is not called: add a facade method (with an example), \
                 or say `// not exposed: {op}, <why>`"
            ),
            message: "a new operation".to_string(),
        })
        .collect()
}

/// The errors among cargo's JSON messages, one per line of source.
pub fn decisions(messages: &str) -> Vec<Decision> {
    let mut found = BTreeSet::new();
    for line in messages.lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else { continue };
        if message["reason"] != "compiler-message" || message["message"]["level"] != "error" {
            continue;
        }
        let diagnostic = &message["message"];
        let Some(span) =
            diagnostic["spans"].as_array().and_then(|s| s.iter().find(|s| s["is_primary"] == true))
        else {
            continue;
        };
        let file = span["file_name"].as_str().unwrap_or("?");
        // Errors inside generated code point into `target/`: the fix is in
        // the description or the build helper, not there.
        let at = format!("{file}:{}", span["line_start"]);
        let text = diagnostic["message"].as_str().unwrap_or("").to_string();
        let code = diagnostic["code"]["code"].as_str().unwrap_or("");
        found.insert(Decision { at, decide: what_to_decide(code, &text), message: text });
    }
    found.into_iter().collect()
}

/// The decision behind a compiler error, for the errors an upgrade causes.
fn what_to_decide(code: &str, message: &str) -> String {
    let field = message.split('`').nth(1).unwrap_or("?");
    match code {
        // Pattern does not mention a field.
        "E0027" => format!(
            "the raw type gained {}: expose it, or bind it as `name: _` with the reason",
            message.split_once("mention ").map_or("a field", |(_, f)| f)
        ),
        // Missing field in a struct literal.
        "E0063" => format!(
            "the raw request gained {}: decide what the facade sends",
            message.split_once("missing ").map_or("a field", |(_, f)| f.split(" in ").next().unwrap_or(f))
        ),
        "E0026" | "E0560" | "E0609" => {
            // `struct `T` has no field named `f`` names the type first.
            let field = if code == "E0609" { field } else { message.rsplit('`').nth(1).unwrap_or("?") };
            format!("`{field}` is gone from the raw type: drop it here, or map it from what replaced it")
        }
        "E0599" => {
            format!("`{field}` is gone from the raw crate: follow the operation's new name or drop it")
        }
        "E0004" => "the raw enum gained a variant: decide how the facade shows it".to_string(),
        "E0308" | "E0277" | "E0369" => "a raw type changed: convert the new type here".to_string(),
        "E0061" => "an operation's parameters changed: pass what it takes now".to_string(),
        "E0412" | "E0422" | "E0425" | "E0433" => {
            format!("`{field}` is gone from the raw crate: follow its new name or drop it")
        }
        _ => "adapt this line to the generated code".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(code: &str, text: &str, file: &str, line: u32) -> String {
        serde_json::json!({
            "reason": "compiler-message",
            "message": {
                "level": "error", "message": text, "code": {"code": code},
                "spans": [
                    {"is_primary": false, "file_name": "other.rs", "line_start": 1},
                    {"is_primary": true, "file_name": file, "line_start": line},
                ],
            },
        })
        .to_string()
    }

    #[test]
    fn compiler_errors_become_decisions_at_their_line() {
        let messages = [
            message(
                "E0027",
                "pattern does not mention field `timezone_offset`",
                "crates/accountkit/src/tagoio/types.rs",
                120,
            ),
            message("E0063", "missing field `referral` in initializer of `types::AccountEdit`", "a.rs", 7),
            message("E0308", "mismatched types", "b.rs", 9),
            message("E0026", "struct `AccountInfo` does not have a field named `newsletter`", "c.rs", 3),
            // The same error twice (two targets) is one decision.
            message("E0308", "mismatched types", "b.rs", 9),
            r#"{"reason":"compiler-message","message":{"level":"warning","message":"unused","spans":[]}}"#
                .into(),
            r#"{"reason":"build-finished","success":false}"#.into(),
        ]
        .join("\n");
        let lines: Vec<String> = decisions(&messages).iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            vec![
                "a.rs:7: the raw request gained field `referral`: decide what the facade sends \
                 (missing field `referral` in initializer of `types::AccountEdit`)",
                "b.rs:9: a raw type changed: convert the new type here (mismatched types)",
                "c.rs:3: `newsletter` is gone from the raw type: drop it here, or map it from what replaced it \
                 (struct `AccountInfo` does not have a field named `newsletter`)",
                "crates/accountkit/src/tagoio/types.rs:120: the raw type gained field `timezone_offset`: \
                 expose it, or bind it as `name: _` with the reason \
                 (pattern does not mention field `timezone_offset`)",
            ]
        );
    }
}
