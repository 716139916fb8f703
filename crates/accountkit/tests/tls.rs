//! The TLS set-up: rustls on the ring provider, made without any
//! process-wide crypto provider installed; extra root certificates; HTTP/2
//! by ALPN, HTTP/1.1 otherwise, and the connections each takes, counted by
//! a local server with a certificate from a throw-away CA.

#![cfg(feature = "rustls")]

use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use accountkit::ErrorKind;
use bytes::Bytes;
use http_body_util::Full;
use tokio_rustls::rustls;

#[test]
fn the_builder_carries_a_tls_set_up_of_its_own() {
    // `reqwest::Client::builder().build()` would panic here: no provider is
    // installed for the process, and reqwest has none compiled in.
    let client = accountkit::http_client_builder().expect("TLS set-up").build();
    assert!(client.is_ok());
}

#[tokio::test]
async fn a_server_that_does_not_speak_tls_is_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
        }
    });
    let client = accountkit::http_client_builder().unwrap().build().unwrap();
    let error = client.get(format!("https://{addr}/")).send().await.unwrap_err();
    assert!(error.is_connect() || error.is_request(), "{error:?}");
}

/// A CA made for one test, and a server certificate for `localhost` it signs.
struct Ca {
    pem: String,
    der: Vec<u8>,
    server_chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    server_key: rustls::pki_types::PrivateKeyDer<'static>,
}

impl Ca {
    fn new() -> Ca {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, "throw-away test CA");
        let ca = rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().unwrap()).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        Ca {
            pem: ca.pem(),
            der: ca.der().to_vec(),
            server_chain: vec![leaf.der().clone()],
            server_key: rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        }
    }
}

/// What the server saw.
#[derive(Default)]
struct Seen {
    connections: AtomicUsize,
    resumed: AtomicUsize,
    h2: AtomicUsize,
    requests: AtomicUsize,
}

/// A TLS server offering `alpn` that answers every request with a Logto
/// profile, counting connections, resumed handshakes and requests.
struct Server {
    port: u16,
    seen: Arc<Seen>,
}

impl Server {
    async fn start(ca: &Ca, alpn: &[&[u8]]) -> Server {
        Server::start_with(ca, alpn, true).await
    }

    /// `keep_alive` false: HTTP/1.1 connections close after one answer.
    async fn start_with(ca: &Ca, alpn: &[&[u8]], keep_alive: bool) -> Server {
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(ca.server_chain.clone(), ca.server_key.clone_key())
            .unwrap();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Seen::default());
        let counts = seen.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                counts.connections.fetch_add(1, Ordering::SeqCst);
                let (acceptor, counts) = (acceptor.clone(), counts.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let (_, connection) = tls.get_ref();
                    if connection.handshake_kind() == Some(rustls::HandshakeKind::Resumed) {
                        counts.resumed.fetch_add(1, Ordering::SeqCst);
                    }
                    let h2 = connection.alpn_protocol() == Some(b"h2");
                    let io = hyper_util::rt::TokioIo::new(tls);
                    let answers = counts.clone();
                    let service = hyper::service::service_fn(move |_request| {
                        answers.requests.fetch_add(1, Ordering::SeqCst);
                        async move {
                            hyper::Response::builder()
                                .header("content-type", "application/json")
                                .header("connection", if keep_alive { "keep-alive" } else { "close" })
                                .body(Full::new(Bytes::from_static(br#"{"id":"u1"}"#)))
                        }
                    });
                    if h2 {
                        counts.h2.fetch_add(1, Ordering::SeqCst);
                        let builder =
                            hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new());
                        let _ = builder.serve_connection(io, service).await;
                    } else {
                        let _ =
                            hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
                    }
                });
            }
        });
        Server { port, seen }
    }

    fn url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    fn counts(&self) -> [usize; 4] {
        let seen = &self.seen;
        [&seen.connections, &seen.resumed, &seen.h2, &seen.requests].map(|n| n.load(Ordering::SeqCst))
    }
}

fn logto(server: &Server, ca: &[u8]) -> accountkit::logto::Client {
    accountkit::logto::Client::builder(server.url(), "token").add_root_certificate(ca).build().unwrap()
}

#[tokio::test]
async fn an_extra_root_is_trusted_as_pem_or_der_and_only_by_its_client() {
    let ca = Ca::new();
    let server = Server::start(&ca, &[b"http/1.1"]).await;
    for root in [ca.pem.as_bytes(), &ca.der] {
        let profile = logto(&server, root).get_profile().await.unwrap();
        assert_eq!(profile.id.as_deref(), Some("u1"));
    }
    let untrusting = accountkit::logto::Client::new(server.url(), "token").unwrap();
    let error = untrusting.get_profile().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
    // The refused handshake sent no request.
    assert_eq!(server.counts()[3], 2);
}

#[test]
fn a_root_that_is_no_certificate_is_refused_by_build() {
    for garbage in
        [&b"not a certificate"[..], b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"]
    {
        let built = accountkit::logto::Client::builder("https://localhost", "token")
            .add_root_certificate(garbage)
            .build();
        let error = built.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error:?}");
        assert!(error.to_string().contains("root_certificate"), "{error}");
    }
}

/// Connections, resumed handshakes, HTTP/2 connections, requests.
type Counts = [usize; 4];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_over_http2_share_one_connection() {
    let ca = Ca::new();
    let server = Server::start(&ca, &[b"h2", b"http/1.1"]).await;
    let client = logto(&server, ca.pem.as_bytes());
    // A fresh client's burst: the first call goes alone until it has an
    // answer (ALPN has then shown HTTP/2), and the rest share its connection.
    let calls = (0..16).map(|_| client.get_profile());
    for result in futures::future::join_all(calls).await {
        result.unwrap();
    }
    let more = (0..16).map(|_| client.get_profile());
    for result in futures::future::join_all(more).await {
        result.unwrap();
    }
    let counts: Counts = server.counts();
    assert_eq!(counts, [1, 0, 1, 32], "connections, resumed, over HTTP/2, requests");
}

// On one thread: on several, the next call can start before the
// connection task has put the last connection back in the pool.
#[tokio::test]
async fn an_http1_server_keeps_one_pooled_connection_for_sequential_calls() {
    let ca = Ca::new();
    let server = Server::start(&ca, &[b"http/1.1"]).await;
    let client = logto(&server, ca.pem.as_bytes());
    for _ in 0..5 {
        client.get_profile().await.unwrap();
    }
    assert_eq!(server.counts(), [1, 0, 0, 5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_over_http1_work_and_new_connections_resume() {
    let ca = Ca::new();
    let server = Server::start(&ca, &[b"http/1.1"]).await;
    let client = logto(&server, ca.pem.as_bytes());
    client.get_profile().await.unwrap();
    let calls = (0..4).map(|_| client.get_profile());
    for result in futures::future::join_all(calls).await {
        result.unwrap();
    }
    let [connections, resumed, h2, requests]: Counts = server.counts();
    assert_eq!([h2, requests], [0, 5]);
    // A connection per call at most; the first one's session tickets
    // (rustls servers send two) let later ones resume.
    assert!((1..=5).contains(&connections), "{connections} connections");
    assert!(connections == 1 || resumed >= 1, "{connections} connections, {resumed} resumed");
}

#[tokio::test]
async fn new_connections_and_a_second_client_resume_tls() {
    let ca = Ca::new();
    // Each answer closes its connection: every call makes a handshake.
    let server = Server::start_with(&ca, &[b"http/1.1"], false).await;
    let first = logto(&server, ca.pem.as_bytes());
    first.get_profile().await.unwrap();
    first.get_profile().await.unwrap();
    assert_eq!(server.counts(), [2, 1, 0, 2], "one client's second connection resumes");
    // Built while the first is alive, with the same roots: its own pool,
    // the same session store.
    let second = logto(&server, ca.der.as_slice());
    second.get_profile().await.unwrap();
    assert_eq!(server.counts(), [3, 2, 0, 3], "a second client resumes");
}
