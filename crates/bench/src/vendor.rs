//! TagoIO's official SDKs, installed on demand outside the source tree and
//! run as child processes against the sandbox.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const PYTHON_SCRIPT: &str = include_str!("vendor/info.py");
const JS_SCRIPT: &str = include_str!("vendor/info.js");

/// An SDK ready to run: the program and the script it runs.
pub struct Sdk {
    pub name: &'static str,
    program: PathBuf,
    script: PathBuf,
}

fn run(command: &mut Command) -> Result<Output, String> {
    let shown = format!("{command:?}");
    let output = command.output().map_err(|e| format!("`{shown}` did not start: {e}"))?;
    if output.status.success() {
        Ok(output)
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        Err(format!(
            "`{shown}` failed ({}): {}",
            output.status,
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        ))
    }
}

/// `tagoio-sdk` from PyPI in a virtual environment under `dir`.
pub fn python(dir: &Path) -> Result<Sdk, String> {
    let venv = dir.join("venv");
    let python = venv.join("bin").join("python");
    let installed = python.exists()
        && Command::new(&python).args(["-c", "import tagoio_sdk"]).output().is_ok_and(|o| o.status.success());
    if !installed {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run(Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "tagoio-sdk",
        ]))?;
    }
    let script = dir.join("info.py");
    std::fs::write(&script, PYTHON_SCRIPT).map_err(|e| e.to_string())?;
    Ok(Sdk { name: "Python tagoio-sdk", program: python, script })
}

/// `@tago-io/sdk` from npm, installed under `dir`.
pub fn javascript(dir: &Path) -> Result<Sdk, String> {
    let project = dir.join("js");
    if !project.join("node_modules/@tago-io/sdk/package.json").exists() {
        std::fs::create_dir_all(&project).map_err(|e| e.to_string())?;
        std::fs::write(project.join("package.json"), "{\"private\": true}\n").map_err(|e| e.to_string())?;
        run(Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "@tago-io/sdk"])
            .current_dir(&project))?;
    }
    let script = project.join("info.js");
    std::fs::write(&script, JS_SCRIPT).map_err(|e| e.to_string())?;
    Ok(Sdk { name: "JavaScript @tago-io/sdk", program: "node".into(), script })
}

impl Sdk {
    /// `calls` timed calls of `Account.info()` after `warmup` untimed ones;
    /// the time per call.
    pub fn per_call(&self, base_url: &str, token: &str, calls: u32, warmup: u32) -> Result<Duration, String> {
        let output = run(Command::new(&self.program)
            .arg(&self.script)
            .args([token, &calls.to_string(), &warmup.to_string()])
            .env("TAGOIO_API", base_url))?;
        let nanos: u64 = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .map_err(|e| format!("{}: unreadable timing: {e}", self.name))?;
        Ok(Duration::from_nanos(nanos / u64::from(calls.max(1))))
    }
}
