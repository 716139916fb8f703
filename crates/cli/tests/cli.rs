//! The `accountkit` binary as a separate process against the sandbox: its
//! output parsed, its exit statuses, and no secret in what it prints.

use std::io::Write;
use std::process::{Output, Stdio};

use accountkit_sandbox::Sandbox;
use secrecy::ExposeSecret;
use serde_json::Value;

const PASSWORD: &str = "correct horse";

mod common;
use common::{accountkit as accountkit_with, clean, json, shows_none};

const BIN: &str = env!("CARGO_BIN_EXE_accountkit");

/// Runs `accountkit` with `args`, `TAGOIO_TOKEN` set or not, and `stdin`.
fn accountkit(args: &[&str], token: Option<&str>, stdin: &str) -> Output {
    accountkit_with(args, token.map(|t| ("TAGOIO_TOKEN", t)).as_slice(), stdin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tagoio_account_lives_its_life_from_the_command_line() {
    let sandbox = Sandbox::start().await.unwrap();
    let tago = sandbox.tagoio();
    let url = tago.base_url();
    let at = |rest: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = vec!["tagoio".into()];
        args.extend(rest.iter().map(|s| s.to_string()));
        args.extend(["--base-url".into(), url.clone(), "--json".into()]);
        args
    };
    let run = |rest: &[&str], token: Option<&str>, stdin: &str| {
        let args = at(rest);
        accountkit(&args.iter().map(String::as_str).collect::<Vec<_>>(), token, stdin)
    };

    // Sign-up, confirmation from the outbox, login.
    let out = run(&["create", "ada@example.com", "--name", "Ada", "--stdin"], None, &format!("{PASSWORD}\n"));
    assert!(json(&out)["message"].is_string());
    let confirmation = tago.outbox().into_iter().find(|m| m.to == "ada@example.com").expect("a confirmation");
    let accountkit_sandbox::tagoio::MessageKind::AccountConfirmation { token: confirm } = confirmation.kind
    else {
        panic!("not a confirmation")
    };
    json(&run(&["confirm", "--stdin"], None, &format!("{confirm}\n")));
    let out = run(&["login", "ada@example.com", "--stdin"], None, &format!("{PASSWORD}\n"));
    shows_none(&out, &[PASSWORD]);
    let login = json(&out);
    assert_eq!(login["email"], "ada@example.com");
    let profile = login["profiles"][0]["id"].as_str().unwrap().to_string();

    // A token, printed by the one command that exists to print it.
    let out = run(
        &["token-create", "ada@example.com", "--profile", &profile, "--name", "ci", "--stdin"],
        None,
        &format!("{PASSWORD}\n"),
    );
    shows_none(&out, &[PASSWORD]);
    let token = json(&out)["token"].as_str().unwrap().to_string();

    let out = run(&["info"], Some(&token), "");
    shows_none(&out, &[&token, PASSWORD]);
    let info = json(&out);
    assert_eq!((&info["email"], &info["name"]), (&Value::from("ada@example.com"), &Value::from("Ada")));
    json(&run(&["edit", "--name", "Ada Lovelace", "--timezone", "Europe/London"], Some(&token), ""));
    let info = json(&run(&["info"], Some(&token), ""));
    assert_eq!(
        (&info["name"], &info["timezone"]),
        (&Value::from("Ada Lovelace"), &Value::from("Europe/London"))
    );

    // Without --json: a key list for people.
    let args = ["tagoio", "info", "--base-url", &url];
    let out = accountkit(&args, Some(&token), "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("email: ada@example.com\n"), "{text}");

    let out = run(&["password-change", "--stdin"], Some(&token), "battery staple\n");
    shows_none(&out, &["battery staple", &token]);
    json(&out);
    // The old password is refused: unauthorized, exit 3, one line naming it.
    let out = run(&["login", "ada@example.com", "--stdin"], None, &format!("{PASSWORD}\n"));
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: tagoio login: unauthorized"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty());

    // Deleting needs --yes; after it the token is refused.
    assert_eq!(run(&["delete"], Some(&token), "").status.code(), Some(2));
    json(&run(&["delete", "--yes"], Some(&token), ""));
    let out = run(&["info"], Some(&token), "");
    assert_eq!(out.status.code(), Some(3));
    shows_none(&out, &[&token]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_statuses_say_what_went_wrong() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = sandbox.tagoio().base_url();
    let ready = sandbox.tagoio().add_account("bob@example.com", PASSWORD);
    let token = ready.token.expose_secret().to_string();
    // Usage: an unknown argument, a token nowhere to be found, a password
    // with no terminal and no --stdin.
    assert_eq!(accountkit(&["tagoio", "frobnicate"], None, "").status.code(), Some(2));
    let out = accountkit(&["tagoio", "info", "--base-url", &url], None, "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TAGOIO_TOKEN"));
    let out = accountkit(&["tagoio", "login", "bob@example.com", "--base-url", &url], None, "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--stdin"));
    // Not found, refused as invalid, transport.
    let out =
        accountkit(&["tagoio", "resend-confirmation", "nobody@example.com", "--base-url", &url], None, "");
    assert_eq!(out.status.code(), Some(5), "{}", String::from_utf8_lossy(&out.stderr));
    let out = accountkit(&["tagoio", "edit", "--phone", "12345", "--base-url", &url], Some(&token), "");
    assert_eq!(out.status.code(), Some(7), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("phone"));
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let out = accountkit(&["tagoio", "info", "--base-url", &closed, "--retries", "0"], Some(&token), "");
    assert_eq!(out.status.code(), Some(9), "{}", String::from_utf8_lossy(&out.stderr));
    shows_none(&out, &[&token]);
}

#[test]
fn completions_and_man_pages_come_from_the_same_definitions() {
    for shell in ["bash", "zsh", "fish"] {
        let out = accountkit(&["completions", shell], None, "");
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("token-create"), "{shell}");
    }
    let dir = std::env::temp_dir().join(format!("accountkit-man-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    assert!(accountkit(&["man", dir.to_str().unwrap()], None, "").status.success());
    let pages: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(pages.iter().any(|p| p == "accountkit-tagoio-login.1"), "{pages:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pangea_users_from_the_command_line_and_a_stream_of_json_lines() {
    let sandbox = Sandbox::start().await.unwrap();
    let pangea = sandbox.pangea();
    let url = pangea.base_url();
    let service = pangea.service_token().expose_secret().to_string();
    let run = |rest: &[&str]| {
        let mut command = clean(BIN, &[("PANGEA_TOKEN", &service)]);
        command.arg("pangea").args(rest).args(["--base-url", &url, "--json"]);
        let out = command.output().unwrap();
        shows_none(&out, &[&service]);
        out
    };
    let created = json(&run(&["user-create", "ada@example.com", "--profile", "first_name=Ada"]));
    assert!(created["id"].as_str().unwrap().starts_with("pui_"));
    assert_eq!(created["profile"]["first_name"], "Ada");
    pangea.seed_users(7);
    let out = run(&["users", "--page-size", "3"]);
    assert!(out.status.success());
    let lines: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 8);
    assert!(lines.iter().any(|u| u["email"] == "ada@example.com"));
    let updated = json(&run(&["profile-update", "--email", "ada@example.com", "--set", "city=London"]));
    assert_eq!(updated["profile"]["city"], "London");
    assert_eq!(json(&run(&["user-disable", "--email", "ada@example.com"]))["disabled"], true);
    // Exactly one way to name a user.
    assert_eq!(run(&["user-get", "--email", "a@b.c", "--id", "pui_x"]).status.code(), Some(2));
    assert_eq!(run(&["user-get"]).status.code(), Some(2));
    json(&run(&["user-delete", "--email", "ada@example.com", "--yes"]));
    let out = run(&["user-get", "--email", "ada@example.com"]);
    assert_eq!(out.status.code(), Some(5), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: pangea user_profile_get: not found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cycle_account_logins_and_two_factor_from_the_command_line() {
    let sandbox = Sandbox::start().await.unwrap();
    let cycle = sandbox.cycle();
    let url = cycle.base_url();
    let token = cycle.create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    let token = token.expose_secret().to_string();
    cycle.sign_in("grace@example.com", "correct horse", None).unwrap();
    cycle.sign_in("grace@example.com", "wrong guess", None).unwrap_err();
    let run = |rest: &[&str], stdin: &str| {
        let mut command = clean(BIN, &[("CYCLE_TOKEN", &token)]);
        command.arg("cycle").args(rest).args(["--base-url", &url, "--json"]);
        let mut child =
            command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        shows_none(&out, &[&token, "correct horse"]);
        out
    };
    let account = json(&run(&["account"], ""));
    assert_eq!(
        (&account["email"], &account["two_factor"]),
        (&Value::from("grace@example.com"), &Value::from("off"))
    );
    let out = run(&["logins", "--failed"], "");
    assert!(out.status.success());
    let failed: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["success"], false);
    // Two-factor on: the secret goes to stderr, the code it gives to stdin.
    let mut child = clean(BIN, &[("CYCLE_TOKEN", &token)])
        .args(["cycle", "two-factor-enable", "--stdin", "--json", "--base-url", &url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
    let secret = line
        .trim()
        .strip_prefix("add this secret to an authenticator app: ")
        .expect("the secret")
        .to_string();
    let code = accountkit::cycle::totp_code(secret.as_str()).unwrap();
    child.stdin.take().unwrap().write_all(format!("{}\n", code.expose_secret()).as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&secret));
    assert!(!json(&out)["recovery_codes"].as_array().unwrap().is_empty());
    assert_eq!(json(&run(&["account"], ""))["two_factor"], "on");
    // A wrong current password: refused, and not printed.
    let out = run(&["password-change", "--stdin"], "wrong\nbattery staple\n");
    assert_ne!(out.status.code(), Some(0));
    shows_none(&out, &["battery staple", "wrong\n"]);
}

/// A running `accountkit` fed line by line, for flows whose next input
/// depends on what the command did (a code it had sent, a state it made).
struct Running {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    stderr: std::io::BufReader<std::process::ChildStderr>,
    seen: String,
}

impl Running {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Running {
        let mut command = clean(BIN, env);
        command.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("the binary starts");
        let stdin = child.stdin.take();
        let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        Running { child, stdin, stderr, seen: String::new() }
    }

    fn line(mut self, text: &str) -> Self {
        let stdin = self.stdin.as_mut().expect("stdin open");
        // The command may have ended already (a test of a refusal).
        let _ = stdin.write_all(format!("{text}\n").as_bytes());
        let _ = stdin.flush();
        self
    }

    /// The next line the command writes on stderr.
    fn stderr_line(&mut self) -> String {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut self.stderr, &mut line).unwrap();
        self.seen.push_str(&line);
        line
    }

    fn finish(mut self) -> Output {
        drop(self.stdin.take());
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self.stderr, &mut rest).unwrap();
        let mut out = self.child.wait_with_output().unwrap();
        out.stderr = format!("{}{rest}", self.seen).into_bytes();
        out
    }
}

/// Waits until the outbox holds more than `before` messages and returns
/// the newest code sent to `to`.
fn logto_code(logto: &accountkit_sandbox::logto::Logto, to: &str, before: usize) -> String {
    for _ in 0..500 {
        if logto.outbox().len() > before {
            return logto.latest_code(to).expect("a code to that address").expose_secret().to_string();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("no code sent to {to}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logto_account_from_the_command_line_with_its_verification_records() {
    let sandbox = Sandbox::start().await.unwrap();
    let logto = sandbox.logto();
    let url = logto.base_url();
    let token = logto.add_user("ada@example.com", PASSWORD).expose_secret().to_string();
    let env = [("LOGTO_TOKEN", token.as_str())];
    let with_url = |rest: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = vec!["logto".into()];
        args.extend(rest.iter().map(|s| s.to_string()));
        args.extend(["--base-url".into(), url.clone(), "--json".into()]);
        args
    };
    let start = |rest: &[&str]| {
        let args = with_url(rest);
        Running::start(&args.iter().map(String::as_str).collect::<Vec<_>>(), &env)
    };
    // Every command here: no token, no password in what it prints.
    let run = |rest: &[&str], lines: &[&str]| {
        let mut running = start(rest);
        for line in lines {
            running = running.line(line);
        }
        let out = running.finish();
        shows_none(&out, &[&token, PASSWORD]);
        out
    };

    let me = json(&run(&["profile"], &[]));
    assert_eq!(
        (&me["primary_email"], &me["has_password"]),
        (&Value::from("ada@example.com"), &Value::from(true))
    );
    assert_eq!(me["username"], Value::Null);

    // The endpoint from LOGTO_ENDPOINT, and a key list without --json.
    let plain = Running::start(&["logto", "profile"], &[("LOGTO_TOKEN", &token), ("LOGTO_ENDPOINT", &url)]);
    let out = plain.line("").finish();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("primary_email: ada@example.com\n"), "{text}");

    // A username needs a verification record: the password, from stdin.
    let me = json(&run(
        &["profile-update", "--name", "Ada Lovelace", "--username", "ada", "--stdin"],
        &[PASSWORD],
    ));
    assert_eq!((&me["name"], &me["username"]), (&Value::from("Ada Lovelace"), &Value::from("ada")));
    let claims = json(&run(&["claims-update", "--given-name", "Ada", "--locality", "London"], &[]));
    assert_eq!(
        (&claims["given_name"], &claims["address"]["locality"]),
        (&Value::from("Ada"), &Value::from("London"))
    );

    // A new email: the password, then the code sent to the new address,
    // typed once it has been sent.
    let before = logto.outbox().len();
    let mut change = start(&["email-change", "ada@lovelace.example", "--stdin"]);
    change = change.line(PASSWORD);
    let code = logto_code(&logto, "ada@lovelace.example", before);
    let out = change.line(&code).finish();
    shows_none(&out, &[&token, PASSWORD, &code]);
    json(&out);
    assert_eq!(json(&run(&["profile"], &[]))["primary_email"], "ada@lovelace.example");

    // The password changed on a code to the current email instead.
    let before = logto.outbox().len();
    // An empty line where the code was asked: a usage error, exit 2.
    let change = start(&["password-change", "--verify-with", "email", "--stdin"]).line("");
    logto_code(&logto, "ada@lovelace.example", before);
    let out = change.finish();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no code sent to ada@lovelace.example"));
    let before = logto.outbox().len();
    let change = start(&["password-change", "--verify-with", "email", "--stdin"]);
    let code_now = logto_code(&logto, "ada@lovelace.example", before);
    let out = change.line(&code_now).line("battery staple").finish();
    shows_none(&out, &[&token, &code_now, "battery staple"]);
    json(&out);
    assert_eq!(logto.password_of("ada@lovelace.example").unwrap().expose_secret(), "battery staple");

    // The old password no longer verifies: refused, exit 7, one line.
    let out = run(&["password-change", "--stdin"], &[PASSWORD, "another staple"]);
    assert_eq!(out.status.code(), Some(7), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: logto change_password: "), "{err}");
    assert!(err.contains("session.invalid_credentials"), "{err}");
    assert_eq!(err.lines().count(), 1);
    shows_none(&out, &["another staple"]);
    // A bad token: unauthorized, exit 3.
    let out =
        Running::start(&["logto", "profile", "--base-url", &url], &[("LOGTO_TOKEN", "not-a-token")]).finish();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    shows_none(&out, &["not-a-token"]);

    // A social account: the sign-in address on stderr, the address the
    // browser came back to on stdin; a foreign state is refused.
    let link = ["social-link", "github-connector", "--redirect-uri", "https://app.example/cb", "--stdin"];
    let mut social = start(&link);
    social = social.line("battery staple");
    let at = social.stderr_line();
    let state = at.split("state=").nth(1).and_then(|s| s.split('&').next()).expect("a state").to_string();
    assert_eq!(state.len(), 32, "{at}");
    let out = social.line(&format!("https://app.example/cb?code=octocat&state={state}")).finish();
    json(&out);
    assert_eq!(json(&run(&["profile"], &[]))["identities"]["github"], "gh-octocat");
    let mut foreign = start(&link);
    foreign = foreign.line("battery staple");
    foreign.stderr_line();
    let out = foreign.line("https://app.example/cb?code=mallory&state=0123").finish();
    assert_eq!(out.status.code(), Some(7), "{}", String::from_utf8_lossy(&out.stderr));
    json(&run(&["social-unlink", "github", "--stdin"], &["battery staple"]));
    assert_eq!(json(&run(&["profile"], &[]))["identities"], serde_json::json!({}));

    // A passkey: the creation options on stderr, the authenticator's answer on stdin.
    let credential = r#"{"id":"key-1","rawId":"key-1","type":"public-key","response":{"clientDataJSON":"eyJ9","attestationObject":"o2Nm"}}"#;
    let out = run(&["passkey-add", "--name", "Laptop", "--stdin"], &["battery staple", credential]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"challenge\""));
    json(&out);
    assert_eq!(logto.passkeys_of("ada@lovelace.example"), ["Laptop"]);

    // A phone, then the email removed (the username and phone remain).
    let before = logto.outbox().len();
    let mut phone = start(&["phone-change", "+15551234567", "--stdin"]);
    phone = phone.line("battery staple");
    let code = logto_code(&logto, "15551234567", before);
    json(&phone.line(&code).finish());
    json(&run(&["email-remove", "--stdin"], &["battery staple"]));
    let me = json(&run(&["profile"], &[]));
    assert_eq!((&me["primary_email"], &me["primary_phone"]), (&Value::Null, &Value::from("15551234567")));
    json(&run(&["phone-remove", "--stdin"], &["battery staple"]));
    assert_eq!(json(&run(&["profile"], &[]))["primary_phone"], Value::Null);

    // A user who signed up through GitHub sets a first password: no record.
    let social_token = logto.add_social_user("octocat").expose_secret().to_string();
    let first = Running::start(
        &["logto", "password-set", "--stdin", "--json", "--base-url", &url],
        &[("LOGTO_TOKEN", &social_token)],
    );
    let out = first.line("first horse").finish();
    shows_none(&out, &[&social_token, "first horse"]);
    json(&out);
    let check = Running::start(
        &["logto", "profile", "--json", "--base-url", &url],
        &[("LOGTO_TOKEN", &social_token)],
    );
    assert_eq!(json(&check.line("").finish())["has_password"], true);
}

/// Waits until the STX outbox holds more than `before` messages and
/// returns the code of the newest one to `to`.
fn stx_code(stx: &accountkit_sandbox::stx::Stx, to: &str, before: usize) -> String {
    for _ in 0..500 {
        if stx.outbox().len() > before {
            return stx.latest_code(to).expect("a code to that address").expose_secret().to_string();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("no code sent to {to}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_stx_session_kept_between_commands_in_an_owner_only_file() {
    let sandbox = Sandbox::start().await.unwrap();
    let stx = sandbox.stx();
    let url = stx.base_url();
    let ada = stx.add_user("ada@example.com", PASSWORD, true);
    let dir = std::env::temp_dir().join(format!("accountkit-stx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("session");
    let file_arg = file.to_str().unwrap().to_string();
    let start = |rest: &[&str], env: &[(&str, &str)]| {
        let mut args: Vec<&str> = vec!["stx"];
        args.extend(rest);
        args.extend(["--base-url", &url, "--json"]);
        Running::start(&args, env)
    };
    let kept = || std::fs::read_to_string(&file).unwrap().trim().to_string();
    let session = |rest: &[&str], lines: &[&str]| {
        let mut args = rest.to_vec();
        args.extend(["--session-file", &file_arg, "--stdin"]);
        let before = kept();
        let mut running = start(&args, &[]);
        for line in lines {
            running = running.line(line);
        }
        let out = running.finish();
        shows_none(&out, &[&before, &kept(), PASSWORD]);
        out
    };

    // 2FA is on: the password, then an empty line (another code), then
    // the newest code.
    let before = stx.outbox().len();
    let login =
        start(&["login", "ada@example.com", "--session-file", &file_arg, "--stdin"], &[]).line(PASSWORD);
    let first = stx_code(&stx, "ada@example.com", before);
    let login = login.line("");
    let code = stx_code(&stx, "ada@example.com", before + 1);
    let out = login.line(&code).finish();
    let refresh = kept();
    shows_none(&out, &[PASSWORD, &first, &code, &refresh]);
    let shown = json(&out);
    assert_eq!(shown["user_id"], ada.as_str());
    assert!(shown.get("refresh_token").is_none() && shown.get("access_token").is_none());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // Each command resumes from the file and writes the new token back.
    let profile = json(&session(&["profile"], &[]));
    assert_eq!(
        (&profile["id"], &profile["two_factor_auth"]),
        (&Value::from(ada.as_str()), &Value::from(true))
    );
    assert_ne!(kept(), refresh);

    // The password changed: current, new, then the emailed code.
    let before = stx.outbox().len();
    let mut change = start(&["password-change", "--session-file", &file_arg, "--stdin"], &[]);
    change = change.line(PASSWORD).line("battery staple");
    let code = stx_code(&stx, "ada@example.com", before);
    let out = change.line(&code).finish();
    shows_none(&out, &[PASSWORD, "battery staple", &code, &kept()]);
    json(&out);
    assert!(stx.password_is("ada@example.com", "battery staple"));

    assert_eq!(json(&session(&["two-factor-disable"], &["battery staple"]))["status"], "disabled");
    assert_eq!(stx.two_factor_enabled("ada@example.com"), Some(false));
    assert_eq!(json(&session(&["two-factor-enable"], &["battery staple"]))["status"], "enabled");
    assert_eq!(json(&session(&["two-factor-send"], &[]))["status"], "sent");
    assert!(json(&session(&["refresh"], &[]))["expires_at"].is_string());

    // --show-tokens prints them, the one place they are printed; a
    // refresh token from the environment lasts one command.
    stx.add_user("bob@example.com", PASSWORD, false);
    let shown =
        json(&start(&["login", "bob@example.com", "--show-tokens", "--stdin"], &[]).line(PASSWORD).finish());
    assert!(shown["access_token"].as_str().unwrap().starts_with("eyJ"));
    let bob = shown["refresh_token"].as_str().unwrap();
    let env = [("STX_REFRESH_TOKEN", bob)];
    let out = start(&["two-factor-send"], &env).finish();
    shows_none(&out, &[bob]);
    assert_eq!(json(&out)["status"], "sent");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--session-file"));
    let out = start(&["profile"], &env).finish();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    shows_none(&out, &[bob]);
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: stx resume: unauthorized"));
    // A wrong password: unauthorized.
    let out = start(&["login", "bob@example.com", "--stdin"], &[]).line("wrong horse").finish();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    shows_none(&out, &["wrong horse"]);

    // Logging out voids the session and removes the file.
    let token = kept();
    let out = start(&["logout", "--session-file", &file_arg], &[]).finish();
    shows_none(&out, &[&token]);
    json(&out);
    assert!(!file.exists());
    let out = start(&["profile", "--session-file", &file_arg], &[]).finish();
    assert_eq!(out.status.code(), Some(2));

    // Anonymous: register, forget the password, reset it with the code.
    let out = start(
        &["register", "grace@example.com", "--first-name", "Grace", "--last-name", "Hopper", "--stdin"],
        &[],
    )
    .line(PASSWORD)
    .finish();
    shows_none(&out, &[PASSWORD]);
    assert!(json(&out)["message"].is_string());
    let before = stx.outbox().len();
    assert_eq!(
        json(&start(&["password-forgot", "grace@example.com"], &[]).finish())["email"],
        "grace@example.com"
    );
    let code = stx_code(&stx, "grace@example.com", before);
    let out = start(&["password-reset", "--stdin"], &[]).line(&code).line("a new horse").finish();
    shows_none(&out, &[&code, "a new horse"]);
    json(&out);
    assert!(stx.password_is("grace@example.com", "a new horse"));
    // A code works once: refused by the service.
    let out = start(&["password-reset", "--stdin"], &[]).line(&code).line("another horse").finish();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cycle_account_changes_password_reset_recovery_and_deletion() {
    let sandbox = Sandbox::start().await.unwrap();
    let cycle = sandbox.cycle();
    let url = cycle.base_url();
    let token = cycle.create_account("grace@example.com", "Grace", "Hopper", PASSWORD);
    let token = token.expose_secret().to_string();
    let signed_in = [("CYCLE_TOKEN", token.as_str())];
    let start = |rest: &[&str], env: &[(&str, &str)]| {
        let mut args: Vec<&str> = vec!["cycle"];
        args.extend(rest);
        args.extend(["--base-url", &url, "--json"]);
        Running::start(&args, env)
    };
    let run = |rest: &[&str], lines: &[&str]| {
        let mut running = start(rest, &signed_in);
        for line in lines {
            running = running.line(line);
        }
        let out = running.finish();
        shows_none(&out, &[&token]);
        out
    };

    let shown = json(&run(
        &["account-update", "--last-name", "Brewster Hopper", "--allow-support-login", "true"],
        &[],
    ));
    assert_eq!(
        (&shown["name"], &shown["allow_support_login"]),
        (&Value::from("Grace Brewster Hopper"), &Value::from(true))
    );
    assert_eq!(run(&["account-update"], &[]).status.code(), Some(2));

    // A password reset needs no account token.
    assert_eq!(json(&start(&["password-reset-start", "grace@example.com"], &[]).finish())["sent"], true);
    let reset = cycle.password_reset_token("grace@example.com").unwrap().expose_secret().to_string();
    let out = start(&["password-reset-finish", "--stdin"], &[]).line(&reset).line("battery staple").finish();
    shows_none(&out, &[&reset, "battery staple"]);
    assert_eq!(json(&out)["reset"], true);
    assert!(cycle.sign_in("grace@example.com", "battery staple", None).is_ok());
    let out = start(&["password-reset-finish", "--stdin"], &[]).line(&reset).line("another staple").finish();
    assert_eq!(out.status.code(), Some(7), "a token works once: {}", String::from_utf8_lossy(&out.stderr));
    shows_none(&out, &[&reset, "another staple"]);

    // Two-factor on with the code computed here: the secret is not shown.
    let out = run(&["two-factor-enable", "--compute-code"], &[]);
    let secret = cycle.totp_secret("grace@example.com").unwrap().expose_secret().to_string();
    shows_none(&out, &[&secret]);
    let recovery: Vec<String> = json(&out)["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert!(!recovery.is_empty());

    // The authenticator is lost: password and a recovery code give a
    // fresh secret, and its first code turns two-factor auth on again.
    let mut recover = start(&["two-factor-recover", "grace@example.com", "--stdin"], &signed_in);
    recover = recover.line("battery staple").line(&recovery[0]);
    let line = recover.stderr_line();
    let fresh = line.trim().strip_prefix("add this secret to an authenticator app: ").expect("the secret");
    assert_ne!(fresh, secret);
    let code = accountkit::cycle::totp_code(fresh).unwrap().expose_secret().to_string();
    let out = recover.line(&code).finish();
    shows_none(&out, &[&token, "battery staple", &recovery[0]]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains(fresh));
    assert!(!json(&out)["recovery_codes"].as_array().unwrap().is_empty());
    assert_eq!(json(&run(&["account"], &[]))["two_factor"], "on");
    // A recovery code works once.
    let out = start(&["two-factor-recover", "grace@example.com", "--stdin"], &signed_in)
        .line("battery staple")
        .line(&recovery[0])
        .finish();
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));

    // Off again, the code computed from the secret given on stdin.
    let out = run(&["two-factor-disable", "--from-secret", "--stdin"], &[fresh]);
    shows_none(&out, &[fresh]);
    assert_eq!(json(&out)["two_factor"], "off");

    // One page of logins.
    cycle.sign_in("grace@example.com", "battery staple", None).unwrap();
    let out = run(&["logins", "--page", "1", "--page-size", "1"], &[]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);

    // Deleting: refused while the account owns a hub (conflict), then a
    // job, followed to its end; the token goes with the account.
    assert_eq!(run(&["account-delete"], &[]).status.code(), Some(2));
    let hub = cycle.add_hub("grace@example.com").unwrap();
    let out = run(&["account-delete", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(6), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(cycle.remove_hub(&hub));
    let started = json(&run(&["account-delete", "--yes", "--no-wait"], &[]));
    let job = started["job"]["id"].as_str().unwrap().to_string();
    assert_eq!(json(&run(&["job", &job], &[]))["id"], job.as_str());
    let done = json(&run(&["job-wait", &job, "--wait", "30"], &[]));
    assert_eq!(done["state"], "completed");
    assert!(!cycle.account_exists("grace@example.com"));
    assert_eq!(run(&["account"], &[]).status.code(), Some(3));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_profile_supplies_the_token_and_base_url_and_stays_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;

    let sandbox = Sandbox::start().await.unwrap();
    let tago = sandbox.tagoio();
    let ada = tago.add_account("ada@example.com", PASSWORD);
    let token = ada.token.expose_secret().to_string();
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("profiles-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let file = dir.join("accountkit").join("profiles.json");
    let config = file.to_str().unwrap();
    let url = tago.base_url();
    fn with<'a>(config: &'a str, extra: &[(&'static str, &'a str)]) -> Vec<(&'static str, &'a str)> {
        let mut env = vec![("ACCOUNTKIT_CONFIG", config)];
        env.extend_from_slice(extra);
        env
    }

    // Saved from standard input: the token is in the file, owner-only, and
    // in nothing printed.
    let out = accountkit_with(
        &["profiles", "save", "work", "tagoio", "--base-url", &url, "--stdin", "--json"],
        &with(config, &[]),
        &format!("{token}\n"),
    );
    assert_eq!(json(&out)["saved"], "work");
    shows_none(&out, &[&token]);
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().unwrap()), 0o700);
    assert!(std::fs::read_to_string(&file).unwrap().contains(&token));

    // Listed without the token.
    let out = accountkit_with(&["profiles", "list", "--json"], &with(config, &[]), "");
    shows_none(&out, &[&token]);
    let listed = json(&out);
    assert_eq!(listed[0]["name"], "work");
    assert_eq!(listed[0]["providers"]["tagoio"], serde_json::json!({"token": true, "base_url": url}));

    // Named on the command line or in the environment, it gives the token
    // and the base URL: no TAGOIO_TOKEN, no --base-url.
    let out =
        accountkit_with(&["tagoio", "info", "--config-profile", "work", "--json"], &with(config, &[]), "");
    assert_eq!(json(&out)["email"], "ada@example.com");
    let out =
        accountkit_with(&["tagoio", "info", "--json"], &with(config, &[("ACCOUNTKIT_PROFILE", "work")]), "");
    assert_eq!(json(&out)["email"], "ada@example.com");

    // A profile named on the command line wins over TAGOIO_TOKEN; the
    // `default` profile does not.
    let wrong = "not-a-tagoio-token";
    accountkit_with(
        &["profiles", "save", "default", "tagoio", "--base-url", &url, "--stdin"],
        &with(config, &[]),
        &format!("{wrong}\n"),
    );
    let out = accountkit_with(&["tagoio", "info", "--json"], &with(config, &[("TAGOIO_TOKEN", &token)]), "");
    assert_eq!(json(&out)["email"], "ada@example.com");
    let out = accountkit_with(&["tagoio", "info", "--json"], &with(config, &[]), "");
    assert_eq!(out.status.code(), Some(3), "the default profile's wrong token is used");
    shows_none(&out, &[wrong]);
    let out = accountkit_with(
        &["tagoio", "info", "--config-profile", "default"],
        &with(config, &[("TAGOIO_TOKEN", &token)]),
        "",
    );
    assert_eq!(out.status.code(), Some(3), "the named profile's token wins");

    // A file others can read is refused, naming the fix.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = accountkit_with(&["tagoio", "info", "--config-profile", "work"], &with(config, &[]), "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"), "{out:?}");
    shows_none(&out, &[&token]);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();

    // Removed, it is gone; a profile without the provider says so.
    json(&accountkit_with(&["profiles", "remove", "work", "--json"], &with(config, &[]), ""));
    let out = accountkit_with(&["tagoio", "info", "--config-profile", "work"], &with(config, &[]), "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has nothing for tagoio"), "{out:?}");
    let out = accountkit_with(&["cycle", "account", "--config-profile", "default"], &with(config, &[]), "");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(mode(&file), 0o600, "rewritten owner-only");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `accountkit` on a pseudo-terminal (util-linux `script` makes one): its
/// stdin, stdout and stderr are that terminal. Each `(prompt, answer)` is
/// typed once `prompt` has shown, as a person would; returns all the
/// terminal showed.
#[cfg(target_os = "linux")]
fn on_a_terminal(args: &[&str], env: &[(&str, &str)], answers: &[(&str, &str)]) -> Option<String> {
    use std::io::Read as _;
    use std::sync::mpsc;

    let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_accountkit"))
        .chain(args.iter().copied())
        .map(|arg| format!("'{}'", arg.replace('\'', r"'\''")))
        .collect();
    let mut command = clean("script", env);
    command.args(["-qec", &quoted.join(" "), "/dev/null"]);
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
    let Ok(mut child) = command.spawn() else {
        eprintln!("no `script` on this machine: the terminal test is not run");
        return None;
    };
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (sender, seen) = mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n @ 1..) = stdout.read(&mut buffer) {
            if sender.send(buffer[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut shown = Vec::new();
    for (prompt, answer) in answers {
        while !String::from_utf8_lossy(&shown).contains(prompt) {
            let chunk = seen.recv_timeout(std::time::Duration::from_secs(20)).expect("the prompt shows");
            shown.extend(chunk);
        }
        // The prompt shows a moment before echo goes off (rpassword
        // writes it first): type as a person does, not in that moment.
        std::thread::sleep(std::time::Duration::from_millis(300));
        stdin.write_all(format!("{answer}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }
    child.wait().unwrap();
    reader.join().unwrap();
    shown.extend(seen.try_iter().flatten());
    Some(String::from_utf8_lossy(&shown).into_owned())
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_on_a_terminal_does_not_echo_and_errors_are_coloured_there_unless_no_color() {
    let sandbox = Sandbox::start().await.unwrap();
    let tago = sandbox.tagoio();
    tago.add_account("ada@example.com", PASSWORD);
    let url = tago.base_url();
    let login = ["tagoio", "login", "ada@example.com", "--base-url", &url];

    let Some(shown) = on_a_terminal(&login, &[], &[("password of ada@example.com", PASSWORD)]) else {
        return;
    };
    assert!(shown.contains("email: ada@example.com"), "logged in: {shown}");
    assert!(!shown.contains(PASSWORD), "the password was echoed: {shown}");

    let wrong = "wrong horse staple";
    let shown = on_a_terminal(&login, &[], &[("password of", wrong)]).unwrap();
    assert!(shown.contains("\x1b[31merror:\x1b[0m tagoio login: unauthorized"), "{shown:?}");
    assert!(!shown.contains(wrong), "{shown}");
    let shown = on_a_terminal(&login, &[("NO_COLOR", "1")], &[("password of", wrong)]).unwrap();
    assert!(shown.contains("error: tagoio login: unauthorized"), "{shown:?}");
    assert!(!shown.contains('\x1b'), "colour with NO_COLOR: {shown:?}");

    // A token asked at the terminal, as the environment has none.
    let token = tago.add_account("grace@example.com", PASSWORD).token.expose_secret().to_string();
    let info = ["tagoio", "info", "--base-url", &url];
    let shown = on_a_terminal(&info, &[], &[("(or set TAGOIO_TOKEN)", &token)]).unwrap();
    assert!(shown.contains("email: grace@example.com"), "{shown}");
    assert!(!shown.contains(&token), "the token was echoed: {shown}");
}

/// A server that answers every request with `status` and `body`, on a
/// thread of its own; its base URL.
fn answering(status: &str, body: &'static str) -> String {
    use std::io::{BufRead as _, Read as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 0\r\n\r\n",
        body.len()
    );
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = std::io::BufReader::new(stream);
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut request_body = vec![0; length];
            let _ = reader.read_exact(&mut request_body);
            let _ = reader.get_mut().write_all(format!("{head}{body}").as_bytes());
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_statuses_of_rate_limits_server_faults_odd_answers_and_second_factors() {
    let token = "tok-exit-statuses-1";
    let info =
        |url: &str| accountkit(&["tagoio", "info", "--base-url", url, "--retries", "0"], Some(token), "");
    let limited = answering("429 Too Many Requests", r#"{"status": false, "message": "slow down"}"#);
    assert_eq!(info(&limited).status.code(), Some(8));
    let failing = answering("500 Internal Server Error", r#"{"status": false, "message": "oops"}"#);
    let out = info(&failing);
    assert_eq!(out.status.code(), Some(10));
    assert!(String::from_utf8_lossy(&out.stderr).contains("(HTTP 500)"), "{out:?}");
    let odd = answering("200 OK", r#"{"status": true, "result": {"id": 5}}"#);
    assert_eq!(info(&odd).status.code(), Some(11));
    let html = answering("200 OK", "<html>a captive portal</html>");
    let out = info(&html);
    assert_eq!(out.status.code(), Some(11));
    shows_none(&out, &[token, "captive portal"]);

    // A login that needs the PIN of a second factor, with none to give.
    let sandbox = Sandbox::start().await.unwrap();
    let tago = sandbox.tagoio();
    let ada = tago.add_account("ada@example.com", PASSWORD);
    let credentials = accountkit::tagoio::Credentials::new("ada@example.com", PASSWORD);
    let client =
        accountkit::tagoio::Client::new(accountkit::tagoio::Region::Custom(tago.base_url()), ada.token)
            .unwrap();
    client
        .enable_otp_with(accountkit::tagoio::OtpType::Email, &credentials, async |_| {
            tago.latest_pin("ada@example.com")
        })
        .await
        .unwrap();
    let url = tago.base_url();
    let out = accountkit(
        &[
            "tagoio",
            "token-create",
            "ada@example.com",
            "--profile",
            "p",
            "--name",
            "ci",
            "--stdin",
            "--base-url",
            &url,
        ],
        None,
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(out.status.code(), Some(12), "{}", String::from_utf8_lossy(&out.stderr));
    shows_none(&out, &[PASSWORD]);
}
