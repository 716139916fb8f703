//! The floor: a request exactly as accountkit sends it, captured once by a
//! forwarding proxy, then replayed with a bare `reqwest::Client`.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::Bytes;
use reqwest::header::{self, HeaderMap};
use reqwest::{Method, Url};
use tokio::net::TcpListener;

/// A request as it reached the server.
#[derive(Debug, Clone)]
pub struct Captured {
    pub method: Method,
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A forwarding proxy in front of the sandbox that keeps every request.
pub struct Proxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Captured>>>,
    server: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct Forward {
    upstream: SocketAddr,
    http: reqwest::Client,
    seen: Arc<Mutex<Vec<Captured>>>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr, http: reqwest::Client) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = Forward { upstream, http, seen: seen.clone() };
        let app = axum::Router::new().fallback(forward).with_state(state);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Proxy { addr, seen, server })
    }

    /// `base_url` (a sandbox URL) moved onto the proxy.
    pub fn url_for(&self, base_url: &str, sandbox: SocketAddr) -> String {
        let path = base_url.strip_prefix(&format!("http://{sandbox}")).expect("a sandbox URL");
        format!("http://{}{path}", self.addr)
    }

    /// The last request seen, removed.
    pub fn take_last(&self) -> Option<Captured> {
        self.seen.lock().unwrap().pop()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn forward(State(state): State<Forward>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let path_and_query = parts.uri.path_and_query().map(|p| p.to_string()).unwrap_or_default();
    let mut headers = HeaderMap::new();
    for (name, value) in &parts.headers {
        // What the connection sets, not the caller.
        if name != header::HOST && name != header::CONTENT_LENGTH && name != header::CONNECTION {
            headers.append(name.clone(), value.clone());
        }
    }
    let captured = Captured { method: parts.method, path_and_query, headers, body };
    state.seen.lock().unwrap().push(captured.clone());
    let url = format!("http://{}{}", state.upstream, captured.path_and_query);
    let upstream = state
        .http
        .request(captured.method, url)
        .headers(captured.headers)
        .body(captured.body)
        .send()
        .await
        .expect("the sandbox answers");
    let mut response = Response::builder().status(upstream.status().as_u16());
    for (name, value) in upstream.headers() {
        if name != header::CONTENT_LENGTH && name != header::TRANSFER_ENCODING && name != header::CONNECTION {
            response = response.header(name.as_str(), value.as_bytes());
        }
    }
    let bytes = upstream.bytes().await.expect("the sandbox's body");
    response.body(Body::from(bytes)).expect("a valid response")
}

/// A captured request, ready to send again straight to the sandbox.
#[derive(Clone)]
pub struct Replay {
    http: reqwest::Client,
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Bytes,
}

impl Replay {
    pub fn new(http: reqwest::Client, sandbox: SocketAddr, captured: Captured) -> Replay {
        let url = Url::parse(&format!("http://{sandbox}{}", captured.path_and_query)).expect("a URL");
        Replay { http, method: captured.method, url, headers: captured.headers, body: captured.body }
    }

    /// Sends the request; the body is decoded into a `serde_json::Value`.
    pub async fn send(&self) -> Result<serde_json::Value, String> {
        let response = self
            .http
            .request(self.method.clone(), self.url.clone())
            .headers(self.headers.clone())
            .body(self.body.clone())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        response.json().await.map_err(|e| e.to_string())
    }
}
