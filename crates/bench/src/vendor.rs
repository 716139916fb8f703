//! TagoIO's official SDKs, installed on demand at pinned versions outside
//! the source tree and run as child processes against the sandbox.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const PYTHON_SDK: &str = "tagoio-sdk==5.1.8";
const JS_SDK: &str = "@tago-io/sdk@12.3.1";
const PYTHON_SCRIPTS: [(&str, &str); 2] =
    [("info.py", include_str!("vendor/info.py")), ("flow.py", include_str!("vendor/flow.py"))];
const JS_SCRIPTS: [(&str, &str); 2] =
    [("info.js", include_str!("vendor/info.js")), ("flow.js", include_str!("vendor/flow.js"))];

/// An SDK ready to run: the program and the scripts it runs.
pub struct Sdk {
    pub name: &'static str,
    program: PathBuf,
    /// `info` and `flow`.
    scripts: [PathBuf; 2],
    /// The variable through which it trusts an extra CA file.
    ca_variable: &'static str,
}

fn write(dir: &Path, scripts: [(&str, &str); 2]) -> Result<[PathBuf; 2], String> {
    let write = |(name, text): (&str, &str)| {
        std::fs::write(dir.join(name), text).map(|()| dir.join(name)).map_err(|e| e.to_string())
    };
    Ok([write(scripts[0])?, write(scripts[1])?])
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
    let (package, version) = PYTHON_SDK.split_once("==").expect("a pin");
    let check = format!("import importlib.metadata as m; assert m.version('{package}') == '{version}'");
    let installed = python.exists()
        && Command::new(&python).args(["-c", &check]).output().is_ok_and(|o| o.status.success());
    if !installed {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run(Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            PYTHON_SDK,
        ]))?;
    }
    let scripts = write(dir, PYTHON_SCRIPTS)?;
    Ok(Sdk { name: "Python tagoio-sdk", program: python, scripts, ca_variable: "REQUESTS_CA_BUNDLE" })
}

/// `@tago-io/sdk` from npm, installed under `dir`.
pub fn javascript(dir: &Path) -> Result<Sdk, String> {
    let project = dir.join("js");
    let (package, version) = JS_SDK.rsplit_once('@').expect("a pin");
    let manifest = std::fs::read_to_string(project.join("node_modules").join(package).join("package.json"));
    if !manifest.is_ok_and(|m| m.contains(&format!("\"version\": \"{version}\""))) {
        std::fs::create_dir_all(&project).map_err(|e| e.to_string())?;
        std::fs::write(project.join("package.json"), "{\"private\": true}\n").map_err(|e| e.to_string())?;
        run(Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", JS_SDK])
            .current_dir(&project))?;
    }
    let scripts = write(&project, JS_SCRIPTS)?;
    Ok(Sdk {
        name: "JavaScript @tago-io/sdk",
        program: "node".into(),
        scripts,
        ca_variable: "NODE_EXTRA_CA_CERTS",
    })
}

impl Sdk {
    /// `calls` timed calls of `Account.info()` after `warmup` untimed ones;
    /// the time per call.
    pub fn per_call(&self, base_url: &str, token: &str, calls: u32, warmup: u32) -> Result<Duration, String> {
        let output = run(Command::new(&self.program)
            .arg(&self.scripts[0])
            .args([token, &calls.to_string(), &warmup.to_string()])
            .env("TAGOIO_API", base_url))?;
        let nanos: u64 = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .map_err(|e| format!("{}: unreadable timing: {e}", self.name))?;
        Ok(Duration::from_nanos(nanos / u64::from(calls.max(1))))
    }

    /// The network part's TagoIO flow (`flow.py`, `flow.js`) against `api`,
    /// trusting the CA in `ca_file`; PINs are read from the sandbox at
    /// `sandbox_url`.
    pub fn flow(
        &self,
        api: &str,
        sandbox_url: &str,
        ca_file: &Path,
        email: &str,
        password: &str,
    ) -> Result<(), String> {
        run(Command::new(&self.program)
            .arg(&self.scripts[1])
            .args([email, password])
            .env("TAGOIO_API", api)
            .env("SANDBOX_URL", sandbox_url)
            .env(self.ca_variable, ca_file))
        .map(drop)
    }
}
