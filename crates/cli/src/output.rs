//! What the commands print: a key list for people, one JSON document with
//! `--json` for scripts, and one line on stderr for an error.

use serde_json::Value;

/// Prints `value` as JSON, or as `key: value` lines (nested objects
/// indented, lists one item per line).
pub fn print(json: bool, value: &Value) {
    if json {
        println!("{value}");
    } else {
        let mut out = String::new();
        key_list(&mut out, value, 0);
        print!("{out}");
    }
}

fn key_list(out: &mut String, value: &Value, depth: usize) {
    let pad = "  ".repeat(depth);
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match value {
                    Value::Null => {}
                    Value::Object(_) | Value::Array(_) => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        key_list(out, value, depth + 1);
                    }
                    _ => out.push_str(&format!("{pad}{key}: {}\n", scalar(value))),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(_) | Value::Array(_) => {
                        out.push_str(&format!("{pad}-\n"));
                        key_list(out, item, depth + 1);
                    }
                    _ => out.push_str(&format!("{pad}- {}\n", scalar(item))),
                }
            }
        }
        _ => out.push_str(&format!("{pad}{}\n", scalar(value))),
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `provider operation: kind [code]: message (HTTP status)`.
pub fn error_line(e: &accountkit::Error) -> String {
    let mut line = format!("{} {}: {}", e.provider(), e.operation(), e.kind());
    if let Some(code) = e.code() {
        line.push_str(&format!(" [{code}]"));
    }
    line.push_str(&format!(": {}", e.message()));
    if let Some(status) = e.status() {
        line.push_str(&format!(" (HTTP {status})"));
    }
    line
}
