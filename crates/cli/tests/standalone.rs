//! The `accountkit` binary against the standalone `accountkit-sandbox`
//! server: two separate processes, as a user's script meets a shared test
//! server, seeded only through the server's admin API.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

mod common;
use common::{accountkit, json as json_of, shows_none};

/// The server binary, built (or found up to date) by cargo itself.
fn sandbox_binary() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "-p", "accountkit-sandbox", "--bin", "accountkit-sandbox", "--message-format=json"])
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "the sandbox binary builds");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .expect("cargo names the executable")
}

/// A running server; killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(sandbox_binary())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let url =
            first.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("{first:?}")).to_string();
        Server { child, url }
    }

    /// One request to the admin API, as a harness in any language makes it.
    fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let host = self.url.strip_prefix("http://").unwrap();
        let mut stream = TcpStream::connect(host).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        write!(
            stream,
            "{method} /_sandbox/{path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{method} {path}: {head}");
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn every_provider_from_the_command_line_against_the_standalone_server() {
    let server = Server::start();
    let at = |prefix: &str| format!("{}/{prefix}", server.url);
    let password = "correct horse battery";

    // TagoIO: an account seeded over the admin API, read with its token.
    let tago = server.admin(
        "POST",
        "tagoio/accounts",
        Some(json!({"email": "ada@example.com", "password": password})),
    );
    let token = tago["token"].as_str().unwrap();
    let out = accountkit(
        &["tagoio", "info", "--base-url", &at("tagoio"), "--json"],
        &[("TAGOIO_TOKEN", token)],
        "",
    );
    assert_eq!(json_of(&out)["email"], "ada@example.com");
    shows_none(&out, &[token]);
    // A wrong password is unauthorized (exit 3), and not printed.
    let out = accountkit(
        &["tagoio", "login", "ada@example.com", "--base-url", &at("tagoio"), "--stdin"],
        &[],
        "wrong guess 1\n",
    );
    assert_eq!(out.status.code(), Some(3));
    shows_none(&out, &["wrong guess 1"]);

    // Cycle: the account of a seeded token.
    let cycle = server.admin(
        "POST",
        "cycle/accounts",
        Some(json!({"email": "grace@example.com", "first": "Grace", "last": "Hopper", "password": password})),
    );
    let token = cycle["token"].as_str().unwrap();
    let out = accountkit(
        &["cycle", "account", "--base-url", &at("cycle"), "--json"],
        &[("CYCLE_TOKEN", token)],
        "",
    );
    assert_eq!(json_of(&out)["email"], "grace@example.com");

    // Logto: the signed-in user's profile.
    let logto =
        server.admin("POST", "logto/users", Some(json!({"email": "alan@example.com", "password": password})));
    let token = logto["access_token"].as_str().unwrap();
    let out = accountkit(
        &["logto", "profile", "--base-url", &at("logto"), "--json"],
        &[("LOGTO_TOKEN", token)],
        "",
    );
    assert_eq!(json_of(&out)["primary_email"], "alan@example.com");

    // Pangea: users created and seeded, then listed as JSON lines.
    let tokens = server.admin("GET", "pangea/tokens", None);
    let service = tokens["service_token"].as_str().unwrap();
    let pangea_url = at("pangea");
    let pangea = |args: &[&str]| {
        let mut all = vec!["pangea"];
        all.extend_from_slice(args);
        all.extend(["--base-url", &pangea_url, "--json"]);
        accountkit(&all, &[("PANGEA_TOKEN", service)], "")
    };
    let out = pangea(&["user-create", "ada@example.com"]);
    assert_eq!(json_of(&out)["email"], "ada@example.com");
    server.admin("POST", "pangea/users", Some(json!({"count": 25})));
    let out = pangea(&["users", "--page-size", "10"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 26, "one JSON line per user, across three pages");
    assert!(lines.iter().any(|user| user["email"] == "ada@example.com"));
    shows_none(&out, &[service]);

    // STX: login into a session file, then a command on that session.
    server.admin(
        "POST",
        "stx/users",
        Some(json!({"email": "joan@example.com", "password": password, "two_factor": false})),
    );
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("standalone-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let session = dir.join("stx.session");
    let session = session.to_str().unwrap();
    let stx_url = at("stx");
    let stx = |args: &[&str], stdin: &str| {
        let mut all = vec!["stx"];
        all.extend_from_slice(args);
        all.extend(["--base-url", &stx_url, "--session-file", session, "--json"]);
        accountkit(&all, &[], stdin)
    };
    let out = stx(&["login", "joan@example.com", "--stdin"], &format!("{password}\n"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    shows_none(&out, &[password]);
    let out = stx(&["profile"], "");
    assert!(json_of(&out)["id"].as_str().is_some_and(|id| !id.is_empty()), "the session's profile");
    json_of(&stx(&["logout"], ""));
    assert!(!std::path::Path::new(session).exists(), "logout removes the session file");
    let _ = std::fs::remove_dir_all(&dir);

    // The server saw each provider's calls.
    let requests = server.admin("GET", "requests?limit=10000", None);
    for provider in ["tagoio", "cycle", "logto", "pangea", "stx"] {
        assert!(
            requests.as_array().unwrap().iter().any(|r| r["provider"] == provider),
            "no {provider} request reached the server"
        );
    }
}
