//! How both suites run the binary: with none of the caller's variables the
//! binary reads, so that a token, session or profile in the environment of
//! whoever runs the tests cannot change what they check.

#![allow(dead_code)] // each suite uses its own part

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// Every variable the binary reads.
pub const VARIABLES: [&str; 10] = [
    "TAGOIO_TOKEN",
    "CYCLE_TOKEN",
    "LOGTO_TOKEN",
    "LOGTO_ENDPOINT",
    "PANGEA_TOKEN",
    "STX_REFRESH_TOKEN",
    "STX_SESSION_FILE",
    "ACCOUNTKIT_PROFILE",
    "ACCOUNTKIT_CONFIG",
    "NO_COLOR",
];

/// A profiles file that does not exist, so that no profile of the machine's
/// user reaches a test.
pub fn no_profiles() -> PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-such-dir").join("profiles.json")
}

/// `program` with none of [`VARIABLES`] but those in `env`, and no profiles
/// file unless `env` names one.
pub fn clean(program: &str, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(program);
    for var in VARIABLES {
        command.env_remove(var);
    }
    command.env("ACCOUNTKIT_CONFIG", no_profiles()).envs(env.iter().copied());
    command
}

/// Runs `accountkit` with `args`, the variables `env`, and `stdin` written to
/// its standard input.
pub fn accountkit(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut command = clean(env!("CARGO_BIN_EXE_accountkit"), env);
    command.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("the binary starts");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// The JSON a successful run printed.
pub fn json(out: &Output) -> Value {
    assert!(out.status.success(), "{:?}: {}", out.status, String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// Neither stream shows any of `secrets`.
pub fn shows_none(out: &Output, secrets: &[&str]) {
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    for secret in secrets {
        assert!(!text.contains(secret), "{secret:?} printed in {text}");
    }
}
