//! The `accountkit-sandbox` binary as a separate process: started as a test
//! harness of any language would start it, spoken to over plain HTTP, and
//! driven through accountkit.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod common;
use common::Server;

impl Server {
    fn host(&self) -> String {
        self.url.strip_prefix("http://").unwrap().to_string()
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.host()).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream
    }

    /// The process's resident memory, in KiB.
    #[cfg(target_os = "linux")]
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
}

impl Server {
    /// Sends `signal` (`-TERM`, `-INT`) and waits, at most `bound`, for a
    /// clean exit; returns how long it took.
    #[cfg(unix)]
    fn stop_with(&mut self, signal: &str, bound: Duration) -> Duration {
        let status = Command::new("kill").args([signal, &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let started = Instant::now();
        let exit = loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                break exit;
            }
            assert!(started.elapsed() < bound, "still running after {signal}");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(exit.success(), "{signal}: {exit:?}");
        started.elapsed()
    }
}

/// Writes `request` on a new connection and reads until the server closes.
fn exchange(server: &Server, request: &[u8]) -> String {
    let mut stream = server.connect();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// One plain HTTP/1.1 request, no client library: status and JSON body.
fn http(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&Value>) -> (u16, Value) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut stream = TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut request = format!("{method} {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if body.is_some() {
        request.push_str("content-type: application/json\r\n");
    }
    request.push_str(&format!("content-length: {}\r\n\r\n{payload}", payload.len()));
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, mut body) = text.split_once("\r\n\r\n").unwrap();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let decoded;
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        decoded = dechunk(body);
        body = &decoded;
    }
    (status, if body.is_empty() { Value::Null } else { serde_json::from_str(body).unwrap() })
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}

#[test]
fn the_first_line_names_a_free_loopback_port() {
    let server = Server::start(&["--port", "0"]);
    assert!(server.url.starts_with("http://127.0.0.1:"), "{}", server.url);
    let port: u16 = server.url.rsplit(':').next().unwrap().parse().unwrap();
    assert_ne!(port, 0);
}

#[test]
fn a_tagoio_account_lives_its_life_over_plain_http() {
    let server = Server::start(&["--port", "0"]);
    let tago = format!("{}/tagoio", server.url);
    let email = "ada@example.com";
    let password = "correct horse";
    let new = json!({"name": "Ada", "email": email, "password": password, "cpassword": password, "timezone": "UTC"});
    let (status, created) = http("POST", &format!("{tago}/account"), &[], Some(&new));
    assert_eq!((status, &created["status"]), (200, &json!(true)), "{created}");

    // The confirmation email, read from the outbox.
    let (_, outbox) =
        http("GET", &format!("{}/_sandbox/outbox?provider=tagoio&to={email}", server.url), &[], None);
    let mail = &outbox.as_array().unwrap()[0];
    assert_eq!(
        (&mail["provider"], &mail["to"], &mail["kind"]),
        (&json!("tagoio"), &json!(email), &json!("confirmation"))
    );
    let token = mail["secret"].as_str().unwrap();
    let (status, _) = http("GET", &format!("{tago}/account/confirm/{token}"), &[], None);
    assert_eq!(status, 200);

    let credentials = json!({"email": email, "password": password});
    let (status, login) = http("POST", &format!("{tago}/account/login"), &[], Some(&credentials));
    assert_eq!(status, 200, "{login}");
    let profile = login["result"]["profiles"][0]["id"].as_str().unwrap().to_string();

    let request = json!({"profile_id": profile, "email": email, "password": password, "name": "ci", "expire_time": "1 day"});
    let (status, created) = http("POST", &format!("{tago}/account/profile/token"), &[], Some(&request));
    assert_eq!(status, 200, "{created}");
    let profile_token = created["result"]["token"].as_str().unwrap().to_string();

    let (status, info) = http("GET", &format!("{tago}/account"), &[("token", &profile_token)], None);
    assert_eq!((status, &info["result"]["email"]), (200, &json!(email)), "{info}");

    // Every request was recorded, in order, without bodies.
    let (_, requests) = http("GET", &format!("{}/_sandbox/requests?provider=tagoio", server.url), &[], None);
    let seen: Vec<String> = requests
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r["method"].as_str().unwrap(), r["path"].as_str().unwrap()))
        .collect();
    assert_eq!(seen[0], "POST /account");
    assert_eq!(seen.last().unwrap(), "GET /account");
    assert!(!requests.to_string().contains(password));
}

fn post(server: &Server, path: &str, body: Value) -> Value {
    let (status, answer) = http("POST", &format!("{}/_sandbox/{path}", server.url), &[], Some(&body));
    assert_eq!(status, 200, "{path}: {answer}");
    answer
}

#[test]
fn the_same_seed_gives_the_same_tokens() {
    let tokens = |seed: &str| {
        let server = Server::start(&["--port", "0", "--seed", seed]);
        let first =
            post(&server, "tagoio/accounts", json!({"email": "a@example.com", "password": "pw-12345"}));
        let pangea = http("GET", &format!("{}/_sandbox/pangea/tokens", server.url), &[], None).1;
        (first["token"].clone(), pangea["service_token"].clone())
    };
    assert_eq!(tokens("7"), tokens("7"));
    assert_ne!(tokens("7"), tokens("8"));
}

#[test]
fn admin_errors_say_what_is_missing() {
    let server = Server::start(&["--port", "0"]);
    let (status, answer) =
        http("POST", &format!("{}/_sandbox/tagoio/accounts", server.url), &[], Some(&json!({})));
    assert_eq!(status, 400);
    assert!(answer["error"].as_str().unwrap().contains("`email`"), "{answer}");
    let (status, _) = http("GET", &format!("{}/_sandbox/nothing-here", server.url), &[], None);
    assert_eq!(status, 404);
}

#[test]
fn clock_and_lifetimes_that_would_overflow_a_date_are_refused_by_name() {
    let server = Server::start(&["--port", "0"]);
    let clock = format!("{}/_sandbox/clock", server.url);
    for seconds in [json!(u64::MAX), json!(i64::MAX), json!(3_153_600_001u64)] {
        let (status, answer) = http("POST", &clock, &[], Some(&json!({"advance_seconds": seconds})));
        assert_eq!(status, 400, "{answer}");
        assert!(answer["error"].as_str().unwrap().contains("`advance_seconds`"), "{answer}");
    }
    // Within the cap at each step, but not in all.
    post(&server, "clock", json!({"advance_seconds": 3_000_000_000u64}));
    let (status, answer) = http("POST", &clock, &[], Some(&json!({"advance_seconds": 3_000_000_000u64})));
    assert_eq!(status, 400, "{answer}");
    let lifetime = format!("{}/_sandbox/stx/token-lifetime", server.url);
    let (status, answer) = http("POST", &lifetime, &[], Some(&json!({"seconds": u64::MAX})));
    assert_eq!(status, 400, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("`seconds`"), "{answer}");
    // Far in the future, every fake still computes its dates.
    post(&server, "stx/token-lifetime", json!({"seconds": 3_000_000_000u64}));
    post(&server, "stx/users", json!({"email": "e@f.io", "password": "pw-5-long"}));
    let login = json!({"query": "mutation { login(credentials: {email: \"e@f.io\", password: \"pw-5-long\"}) { token } }"});
    let (status, answer) = http("POST", &format!("{}/stx/api/graphql", server.url), &[], Some(&login));
    assert_eq!(status, 200, "{answer}");
    assert!(answer["data"]["login"]["token"].is_string(), "{answer}");
    let ready = post(&server, "tagoio/accounts", json!({"email": "a@example.com", "password": "pw-12345"}));
    assert!(ready["token"].is_string());
    // A reset gives back a clock that can move again.
    post(&server, "reset", json!({}));
    assert_eq!(post(&server, "clock", json!({"advance_seconds": 60}))["advanced_seconds"], 60);
}

#[test]
fn a_self_spreading_fragment_is_refused_and_the_server_keeps_serving() {
    let server = Server::start(&["--port", "0"]);
    let graphql = format!("{}/stx/api/graphql", server.url);
    let cycle = json!({"query": "mutation{logout{...A}}fragment A on LogoutResult{...A}"});
    let deep = json!({"query": format!("mutation{{logout{}{}", "{a".repeat(100_000), "}".repeat(100_001))});
    for query in [cycle, deep] {
        let started = Instant::now();
        let (status, answer) = http("POST", &graphql, &[], Some(&query));
        assert_eq!(status, 400, "{answer}");
        assert!(answer["errors"][0]["message"].is_string(), "{answer}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    let ready = post(&server, "tagoio/accounts", json!({"email": "a@example.com", "password": "pw-12345"}));
    assert!(ready["token"].is_string());
}

#[test]
fn a_non_loopback_address_is_refused_unless_allowed() {
    let out =
        Command::new(env!("CARGO_BIN_EXE_accountkit-sandbox")).args(["--bind", "0.0.0.0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-remote"));
}

#[cfg(unix)]
#[test]
fn sigterm_and_sigint_stop_it_cleanly() {
    for signal in ["-TERM", "-INT"] {
        let mut server = Server::start(&["--port", "0"]);
        server.stop_with(signal, Duration::from_secs(10));
    }
}

/// Every provider, through accountkit, against the binary, set up through
/// the admin API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_provider_works_through_accountkit_against_the_binary() {
    use accountkit::SecretString;
    let server = Server::start(&["--port", "0"]);
    let url = server.url.clone();

    // TagoIO
    let ready =
        post(&server, "tagoio/accounts", json!({"email": "ada@example.com", "password": "pw-tago-1"}));
    let tago = accountkit::tagoio::Client::new(
        accountkit::tagoio::Region::Custom(format!("{url}/tagoio")),
        ready["token"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(tago.info().await.unwrap().email, "ada@example.com");

    // Cycle
    let account = post(
        &server,
        "cycle/accounts",
        json!({"email": "grace@example.com", "first": "Grace", "last": "Hopper", "password": "pw-cycle-1"}),
    );
    let cycle = accountkit::cycle::Client::builder()
        .base_url(format!("{url}/cycle"))
        .token(account["token"].as_str().unwrap())
        .build()
        .unwrap();
    assert_eq!(cycle.get_account().await.unwrap().email.address, "grace@example.com");

    // Logto: a verification record expires when the admin API moves the clock.
    let user = post(&server, "logto/users", json!({"email": "alan@example.com", "password": "pw-logto-1"}));
    let logto =
        accountkit::logto::Client::new(format!("{url}/logto"), user["access_token"].as_str().unwrap())
            .unwrap();
    assert_eq!(logto.get_profile().await.unwrap().primary_email.as_deref(), Some("alan@example.com"));
    let proof = logto.verify_password("pw-logto-1").await.unwrap();
    post(&server, "clock", json!({"advance_seconds": 3600}));
    let stale = logto.update_password(&proof, "pw-logto-2").await.unwrap_err();
    assert_eq!(stale.status(), Some(401), "{stale}");

    // Pangea
    let tokens = http("GET", &format!("{url}/_sandbox/pangea/tokens"), &[], None).1;
    let ids = post(&server, "pangea/users", json!({"count": 1}));
    let pangea = accountkit::pangea::Client::builder(tokens["service_token"].as_str().unwrap())
        .base_url(format!("{url}/pangea"))
        .build()
        .unwrap();
    let id = ids["ids"][0].as_str().unwrap();
    let found = pangea.user_profile_get(&accountkit::pangea::UserRef::id(id)).await.unwrap();
    assert_eq!(found.id, id);

    // STX: the login code comes from the outbox.
    post(
        &server,
        "stx/users",
        json!({"email": "ada@stx.example", "password": "pw-stx-1", "two_factor": true}),
    );
    let stx = accountkit::stx::Client::new(accountkit::stx::Host::Custom(format!("{url}/stx"))).unwrap();
    let credentials = accountkit::stx::Credentials::new("ada@stx.example", SecretString::from("pw-stx-1"));
    let challenge = match stx.login(&credentials).await.unwrap() {
        accountkit::stx::LoginOutcome::TwoFactorRequired(challenge) => challenge,
        other => panic!("expected a 2FA challenge, got {other:?}"),
    };
    let outbox = http("GET", &format!("{url}/_sandbox/outbox?provider=stx"), &[], None).1;
    let code = outbox.as_array().unwrap().last().unwrap()["secret"].as_str().unwrap().to_string();
    let session = stx.confirm_2fa(&challenge, code).await.unwrap();
    session.logout(None).await.unwrap();

    // After a reset nothing is left.
    post(&server, "reset", json!({}));
    assert_eq!(tago.info().await.unwrap_err().status(), Some(401));
    let outbox = http("GET", &format!("{url}/_sandbox/outbox"), &[], None).1;
    assert_eq!(outbox, json!([]));
}

#[test]
fn admin_writes_take_only_json_and_only_loopback_hosts_are_served() {
    let server = Server::start(&["--port", "0"]);
    let host = server.host();
    let raw = |request: String| exchange(&server, request.as_bytes());
    // What a form or a `text/plain` fetch from a web page would send.
    for content_type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
    {
        let body = r#"{"email":"a@example.com","password":"pw-12345"}"#;
        let answer = raw(format!(
            "POST /_sandbox/tagoio/accounts HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\
             content-type: {content_type}\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        ));
        assert!(answer.starts_with("HTTP/1.1 415"), "{content_type}: {answer}");
        assert!(answer.contains("application/json"), "{answer}");
    }
    let answer = raw(format!(
        "POST /_sandbox/reset HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
    ));
    assert!(answer.starts_with("HTTP/1.1 415"), "{answer}");
    // A rebound name is refused, on the admin API and the fakes alike.
    for name in ["attacker.example", "127.0.0.1.attacker.example", "localhost.attacker.example:80"] {
        for path in ["/_sandbox/pangea/tokens", "/tagoio/info"] {
            let answer = raw(format!("GET {path} HTTP/1.1\r\nhost: {name}\r\nconnection: close\r\n\r\n"));
            assert!(answer.starts_with("HTTP/1.1 403"), "{name}{path}: {answer}");
            assert!(answer.contains("--allow-remote"), "{answer}");
            assert!(!answer.contains("service_token"), "{answer}");
        }
    }
    for name in ["localhost", "LOCALHOST:1234", "127.0.0.1", "127.5.6.7:80", "[::1]:8080", "app.localhost"] {
        let answer =
            raw(format!("GET /_sandbox/pangea/tokens HTTP/1.1\r\nhost: {name}\r\nconnection: close\r\n\r\n"));
        assert!(answer.starts_with("HTTP/1.1 200"), "{name}: {answer}");
    }
}

#[test]
fn the_request_log_keeps_the_newest_entries_only() {
    let server = Server::start(&["--port", "0", "--journal-entries", "5"]);
    for n in 0..20 {
        let (status, _) = http("GET", &format!("{}/tagoio/account/confirm/token-{n}", server.url), &[], None);
        assert!(status >= 400);
    }
    let (status, log) = http("GET", &format!("{}/_sandbox/requests?provider=tagoio", server.url), &[], None);
    assert_eq!(status, 200);
    let paths: Vec<_> =
        log.as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap().to_string()).collect();
    let newest: Vec<_> = (15..20).map(|n| format!("/account/confirm/token-{n}")).collect();
    assert_eq!(paths, newest);
}

/// The status line, the headers (lower-cased) and the JSON body of a raw
/// answer, or a panic saying what is not JSON.
fn json_answer(answer: &str) -> (u16, String, Value) {
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no head: {answer:?}"));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let head = head.to_ascii_lowercase();
    assert!(head.contains("content-type: application/json"), "not JSON: {answer}");
    let body = if head.contains("transfer-encoding: chunked") { dechunk(body) } else { body.to_string() };
    let body = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {answer}"));
    (status, head, body)
}

/// The server still serves a request after whatever came before.
fn still_serving(server: &Server) {
    let (status, tokens) = http("GET", &format!("{}/_sandbox/pangea/tokens", server.url), &[], None);
    assert_eq!(status, 200);
    assert!(tokens["service_token"].is_string());
}

#[test]
fn every_error_is_json_wrong_methods_name_what_is_allowed() {
    let server = Server::start(&["--port", "0"]);
    let host = server.host();
    let ask = |method: &str, path: &str| {
        exchange(
            &server,
            format!("{method} {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n").as_bytes(),
        )
    };
    for (method, path, allow) in [
        ("PATCH", "/tagoio/account/login", "post"),
        ("PUT", "/cycle/v1/account/logins", "get"),
        ("GET", "/logto/api/my-account/password", "post"),
        ("DELETE", "/pangea/request/prq_1", "get"),
        ("GET", "/stx/api/graphql", "post"),
        ("GET", "/_sandbox/clock", "post"),
    ] {
        let started = Instant::now();
        let (status, head, body) = json_answer(&ask(method, path));
        assert_eq!(status, 405, "{method} {path}: {body}");
        let allowed = head.lines().find_map(|l| l.strip_prefix("allow: ")).unwrap_or_default();
        assert!(allowed.contains(allow), "{method} {path}: allow {allowed:?}");
        assert!(body.is_object() && body != json!({}), "{body}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    for path in ["/", "/nowhere", "/tagoio/nowhere", "/cycle/v2", "/_sandbox/nowhere", "/stx/graphql"] {
        let (status, _, body) = json_answer(&ask("GET", path));
        assert_eq!(status, 404, "{path}: {body}");
    }
    // Path segments that are not UTF-8 once decoded.
    for path in ["/tagoio/account/confirm/%FF%FE", "/cycle/v1/jobs/%C3%28", "/_sandbox/stx/users/%80"] {
        let (status, _, body) = json_answer(&ask("GET", path));
        assert!((400..500).contains(&status), "{path}: {status} {body}");
    }
    still_serving(&server);
}

#[test]
fn bodies_over_the_limit_get_413_everywhere() {
    let server = Server::start(&["--port", "0"]);
    let host = server.host();
    let big = "x".repeat((1 << 20) + 1);
    for path in [
        "/tagoio/account/login",
        "/cycle/v1/account/reset-password",
        "/logto/api/verifications/password",
        "/pangea/v2/client/userinfo",
        "/stx/api/graphql",
        "/_sandbox/tagoio/accounts",
    ] {
        // Declared up front: refused before a byte of the body is read.
        let declared = format!(
            "POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\n\r\n",
            big.len()
        );
        let (status, head, body) = json_answer(&exchange(&server, declared.as_bytes()));
        assert_eq!(status, 413, "{path}: {body}");
        assert!(head.contains("connection: close"), "{head}");
        // Chunked, with no length: refused once the limit is crossed.
        let mut chunked = format!(
            "POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
             transfer-encoding: chunked\r\n\r\n"
        )
        .into_bytes();
        for piece in big.as_bytes().chunks(64 * 1024) {
            chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            chunked.extend_from_slice(piece);
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        let (status, _, body) = json_answer(&exchange(&server, &chunked));
        assert_eq!(status, 413, "{path} chunked: {body}");
    }
    still_serving(&server);
}

/// Reads until the server closes the connection, and says how long it took.
fn closed_within(mut stream: TcpStream, bound: Duration) -> (Duration, String) {
    let started = Instant::now();
    let mut answer = Vec::new();
    stream.set_read_timeout(Some(bound)).unwrap();
    let read = stream.read_to_end(&mut answer);
    let took = started.elapsed();
    assert!(read.is_ok() && took < bound, "still open after {took:?}: {read:?}");
    (took, String::from_utf8_lossy(&answer).into_owned())
}

#[test]
fn slow_and_idle_connections_are_closed() {
    let server = Server::start(&["--port", "0", "--idle-timeout", "1", "--request-timeout", "1"]);
    let host = server.host();
    let bound = Duration::from_secs(5);
    // Connected, silent.
    closed_within(server.connect(), bound);
    // Headers dripping in, never finished.
    let mut stream = server.connect();
    stream.write_all(format!("GET /tagoio/account HTTP/1.1\r\nhost: {host}\r\nx-slow: ").as_bytes()).unwrap();
    closed_within(stream, bound);
    // One request answered, then the connection kept alive and idle.
    let mut stream = server.connect();
    stream
        .write_all(format!("GET /_sandbox/pangea/tokens HTTP/1.1\r\nhost: {host}\r\n\r\n").as_bytes())
        .unwrap();
    let (_, answer) = closed_within(stream, bound);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // A body promised and never sent: 408, as JSON.
    let mut stream = server.connect();
    stream
        .write_all(
            format!(
                "POST /tagoio/account/login HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
                 content-length: 100\r\n\r\n{{\"email\":"
            )
            .as_bytes(),
        )
        .unwrap();
    let (_, answer) = closed_within(stream, bound);
    let (status, _, body) = json_answer(&answer);
    assert_eq!(status, 408, "{body}");
    still_serving(&server);
}

#[test]
fn connections_past_the_cap_get_503_and_a_freed_slot_serves_again() {
    let server = Server::start(&["--port", "0", "--max-connections", "4"]);
    let held: Vec<TcpStream> = (0..4).map(|_| server.connect()).collect();
    // The server takes a held connection in its count once it has accepted it.
    std::thread::sleep(Duration::from_millis(200));
    let host = server.host();
    let request =
        format!("GET /_sandbox/pangea/tokens HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n");
    let (status, head, body) = json_answer(&exchange(&server, request.as_bytes()));
    assert_eq!(status, 503, "{body}");
    assert!(head.contains("retry-after: 1"), "{head}");
    drop(held);
    let started = Instant::now();
    loop {
        let answer = exchange(&server, request.as_bytes());
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "no slot freed: {answer}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(unix)]
#[test]
fn a_signal_stops_it_within_seconds_while_clients_hold_requests_open() {
    for signal in ["-TERM", "-INT"] {
        let mut server = Server::start(&["--port", "0"]);
        let host = server.host();
        // Half a request line and headers; a body promised and half sent;
        // a connection kept alive after a request.
        let mut half = server.connect();
        half.write_all(b"POST /tagoio/account/login HTTP/1.1\r\nhost: ").unwrap();
        let mut slow = server.connect();
        slow.write_all(
            format!(
                "POST /tagoio/account/login HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
                 content-length: 1000\r\n\r\n{{\"email\":"
            )
            .as_bytes(),
        )
        .unwrap();
        let mut kept = server.connect();
        kept.write_all(format!("GET /_sandbox/pangea/tokens HTTP/1.1\r\nhost: {host}\r\n\r\n").as_bytes())
            .unwrap();
        kept.read_exact(&mut [0u8; 12]).unwrap();
        std::thread::sleep(Duration::from_millis(100));

        let took = server.stop_with(signal, Duration::from_secs(6));
        eprintln!("{signal}: stopped in {took:?} with three connections held");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn memory_stays_flat_over_many_requests() {
    let server = Server::start(&["--port", "0", "--journal-entries", "1000"]);
    let host = server.host();
    let burst = |n: usize| {
        // Pipelined on one kept-alive connection: many requests, few syscalls.
        let mut stream = server.connect();
        let requests =
            format!("GET /tagoio/account/confirm/nope HTTP/1.1\r\nhost: {host}\r\n\r\n").repeat(100);
        let mut buffer = vec![0u8; 64 * 1024];
        for _ in 0..n / 100 {
            stream.write_all(requests.as_bytes()).unwrap();
            let mut answers = Vec::new();
            while count(&answers, b"HTTP/1.1 404") < 100 {
                let read = stream.read(&mut buffer).unwrap();
                assert_ne!(read, 0, "closed early");
                answers.extend_from_slice(&buffer[..read]);
            }
        }
    };
    burst(5_000);
    let before = server.rss_kib();
    burst(50_000);
    let (status, log) = http("GET", &format!("{}/_sandbox/requests?provider=tagoio", server.url), &[], None);
    assert_eq!(status, 200);
    assert_eq!(log.as_array().unwrap().len(), 1000);
    let after = server.rss_kib();
    eprintln!("RSS {before} KiB after 5,000 requests, {after} KiB after 55,000");
    assert!(after < before + 16 * 1024, "grew from {before} KiB to {after} KiB");
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).filter(|w| *w == needle).count()
}

#[test]
fn admin_reads_are_paged_and_say_what_the_rings_dropped() {
    let server = Server::start(&["--port", "0", "--journal-entries", "5"]);
    let host = server.host();
    for n in 0..8 {
        post(
            &server,
            "tagoio/accounts",
            json!({"email": format!("u{n}+x@example.com"), "password": "pw-12345"}),
        );
        let (status, _) = http(
            "GET",
            &format!("{}/tagoio/account/passwordreset/u{n}+x@example.com", server.url),
            &[],
            None,
        );
        assert!(status < 500);
    }
    let get = |path: &str| {
        json_answer(&exchange(
            &server,
            format!("GET {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n").as_bytes(),
        ))
    };
    let header = |head: &str, name: &str| {
        head.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_string))
    };
    // 8 requests into a ring of 5: 3 dropped, said on every page.
    let (status, head, first) = get("/_sandbox/requests?provider=tagoio&limit=2");
    assert_eq!(status, 200);
    assert_eq!(header(&head, "x-sandbox-dropped").as_deref(), Some("3"));
    assert_eq!(first.as_array().unwrap().len(), 2);
    let mut seen: Vec<Value> = first.as_array().unwrap().clone();
    let mut link = header(&head, "link");
    while let Some(next) = link {
        let next =
            next.strip_prefix('<').and_then(|l| l.split_once(">; rel=\"next\"")).unwrap().0.to_string();
        let (status, head, page) = get(&next);
        assert_eq!(status, 200, "{next}: {page}");
        seen.extend(page.as_array().unwrap().iter().cloned());
        link = header(&head, "link");
    }
    let paths: Vec<_> = seen.iter().map(|e| e["path"].as_str().unwrap().to_string()).collect();
    let newest: Vec<_> = (3..8).map(|n| format!("/account/passwordreset/u{n}+x@example.com")).collect();
    assert_eq!(paths, newest);
    let seqs: Vec<u64> = seen.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    // `after` starts past an entry; the filter keeps the address in the next link.
    let (_, _, rest) = get(&format!("/_sandbox/requests?provider=tagoio&after={}", seqs[2]));
    assert_eq!(rest.as_array().unwrap().len(), 2);
    http("GET", &format!("{}/tagoio/account/passwordreset/u7+x@example.com", server.url), &[], None);
    let (_, head, mail) = get("/_sandbox/outbox?to=u7%2Bx%40example.com&limit=1");
    assert_eq!(mail.as_array().unwrap().len(), 1, "{mail}");
    assert_eq!(mail[0]["to"], "u7+x@example.com");
    let next = header(&head, "link").unwrap();
    assert!(next.contains("to=u7%2bx%40example.com"), "{next}"); // the head is lower-cased
    for bad in ["limit=0", "limit=10001", "after=-1", "limit=x"] {
        let (status, _, body) = get(&format!("/_sandbox/requests?{bad}"));
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["error"].as_str().unwrap().contains('`'), "{body}");
    }
    // A reset empties the rings and the count.
    post(&server, "reset", json!({}));
    let (_, head, empty) = get("/_sandbox/requests");
    assert_eq!((empty, header(&head, "x-sandbox-dropped")), (json!([]), Some("0".into())));
}

#[test]
fn seeding_has_a_total_cap() {
    let server = Server::start(&["--port", "0"]);
    let seed = format!("{}/_sandbox/pangea/users", server.url);
    for _ in 0..10 {
        // Asking for more than a call's share seeds the share.
        let (status, seeded) = http("POST", &seed, &[], Some(&json!({"count": 1_000_000})));
        assert_eq!(status, 200);
        assert_eq!(seeded["ids"].as_array().unwrap().len(), 10_000);
    }
    let (status, refused) = http("POST", &seed, &[], Some(&json!({"count": 1})));
    assert_eq!(status, 400, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("`count`"), "{refused}");
    post(&server, "reset", json!({}));
    assert_eq!(post(&server, "pangea/users", json!({"count": 1}))["ids"].as_array().unwrap().len(), 1);
}

/// The answer to a request the server may refuse at the parser: a 4xx
/// status, JSON whenever a route answered, and the server still serving.
fn refused(server: &Server, what: &str, request: &[u8]) -> u16 {
    let started = Instant::now();
    let answer = exchange(server, request);
    assert!(started.elapsed() < Duration::from_secs(5), "{what}: {:?}", started.elapsed());
    let status: u16 = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    assert!((400..500).contains(&status), "{what}: {answer:.300}");
    // Only the HTTP parser's own refusals (a bad request line, 414, 431)
    // carry no body.
    if !matches!(status, 400 | 414 | 431) || answer.to_ascii_lowercase().contains("content-type") {
        json_answer(&answer);
    }
    still_serving(server);
    status
}

#[test]
fn hostile_requests_get_a_4xx_and_the_server_keeps_serving() {
    let server = Server::start(&["--port", "0"]);
    let host = server.host();
    let post = |path: &str, body: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-type: application/json\r\n\
             content-length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    // JSON nested past any parser's recursion, to every body-taking fake.
    let deep = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
    let deep_object = format!("{{\"email\":{}1{}}}", "{\"a\":".repeat(50_000), "}".repeat(50_000));
    for path in [
        "/tagoio/account/login",
        "/cycle/v1/account/reset-password",
        "/logto/api/verifications/password",
        "/pangea/v2/user/create",
        "/stx/api/graphql",
        "/_sandbox/tagoio/accounts",
    ] {
        for body in [&deep, &deep_object, "\"\\ud800\"", "{\"email\": \"\0\"}", "nul\0", "{\"a\":1e999999}"] {
            refused(&server, &format!("{path} {:.20}", body), post(path, body).as_bytes());
        }
    }
    // Conflicting framing (request smuggling), a URI of 100 KB, a header
    // flood, a method nobody routes, a path of dots.
    let smuggled = format!(
        "POST /tagoio/account/login HTTP/1.1\r\nhost: {host}\r\ncontent-length: 4\r\n\
         transfer-encoding: chunked\r\n\r\n0\r\n\r\nGET /_sandbox/pangea/tokens HTTP/1.1\r\nhost: {host}\r\n\r\n"
    );
    let answer = exchange(&server, smuggled.as_bytes());
    assert_eq!(
        count(answer.as_bytes(), b"HTTP/1.1 "),
        1,
        "the second request was smuggled through: {answer}"
    );
    assert!(!answer.contains("service_token"), "{answer}");
    let long = format!("GET /tagoio/{} HTTP/1.1\r\nhost: {host}\r\n\r\n", "a".repeat(100_000));
    refused(&server, "long URI", long.as_bytes());
    let flood: String = (0..2000).map(|n| format!("x-h{n}: v\r\n")).collect();
    refused(&server, "header flood", format!("GET / HTTP/1.1\r\nhost: {host}\r\n{flood}\r\n").as_bytes());
    refused(
        &server,
        "odd method",
        format!("BREW /tagoio/account HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n").as_bytes(),
    );
    refused(
        &server,
        "dots",
        format!("GET /tagoio/../../etc/passwd HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n")
            .as_bytes(),
    );
    refused(&server, "no host", b"GET /tagoio/account HTTP/1.0\r\n\r\n");
    refused(&server, "garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n");
}
