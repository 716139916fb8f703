//! What the commands print: a key list for people, one JSON document with
//! `--json` for scripts (JSON lines for a listing), a count on stderr while
//! a listing is fetched, and one line on stderr for an error.

use std::io::{IsTerminal, Write as _};

use futures::{Stream, TryStreamExt};
use serde_json::Value;

use crate::Failure;

/// A listing: with `--json`, one JSON line per item as it comes; otherwise
/// the key list of them all. While pages are fetched, stderr shows how many
/// items came, if it is a terminal.
pub async fn lines<T>(
    json: bool,
    items: impl Stream<Item = accountkit::Result<T>>,
    show: fn(&T) -> Value,
) -> Result<(), Failure> {
    let mut items = std::pin::pin!(items);
    let mut all = Vec::new();
    let mut progress = Progress::new();
    let outcome = async {
        while let Some(item) = items.try_next().await? {
            progress.tick();
            match json {
                true => println!("{}", show(&item)),
                false => all.push(show(&item)),
            }
        }
        Ok::<_, Failure>(())
    }
    .await;
    progress.clear();
    outcome?;
    if !json {
        print(false, &Value::Array(all));
    }
    Ok(())
}

/// A count of the items fetched so far, rewritten in place on stderr.
struct Progress {
    on: bool,
    count: u64,
}

impl Progress {
    fn new() -> Self {
        Progress { on: std::io::stderr().is_terminal(), count: 0 }
    }

    fn tick(&mut self) {
        self.count += 1;
        if self.on && (self.count < 10 || self.count.is_multiple_of(50)) {
            let _ = write!(std::io::stderr(), "\r{} fetched", self.count);
        }
    }

    fn clear(&self) {
        if self.on && self.count > 0 {
            // Back to the line's start, the line erased.
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}

/// `error:`, in red where stderr is a terminal and `NO_COLOR` is unset.
pub fn error_prefix() -> &'static str {
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    if colour { "\x1b[31merror:\x1b[0m" } else { "error:" }
}

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
