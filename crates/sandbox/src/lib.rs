//! In-process, stateful fakes of the account APIs that `accountkit` speaks.
//!
//! [`Sandbox::start`] binds one HTTP server on `127.0.0.1` with a free port and
//! serves every provider's fake under its own path prefix (TagoIO under
//! `/tagoio`). Each provider has a handle (for example [`Sandbox::tagoio`]) that
//! points a client at the fake and inspects what the fake "sent" (confirmation
//! emails, PINs, invitations) and which requests it received.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sandbox = accountkit_sandbox::Sandbox::start().await?;
//! let tagoio = sandbox.tagoio();
//! let base_url = tagoio.base_url(); // point the TagoIO client here
//! // ... create an account through the client, then:
//! let token = tagoio.confirmation_token("ada@example.com");
//! # let _ = (base_url, token);
//! # Ok(())
//! # }
//! ```
//!
//! Dropping the [`Sandbox`] stops the server.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::net::{Ipv4Addr, SocketAddr};

use axum::Router;
use axum::http::{Method, Uri};
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// An HTTP client for the unit tests. With accountkit's default `rustls`
/// feature reqwest has no crypto provider of its own, so it takes
/// accountkit's TLS set-up.
#[cfg(test)]
fn test_http() -> reqwest::Client {
    accountkit::http_client_builder().expect("TLS set-up").build().expect("an HTTP client")
}

pub mod cycle;
pub mod logto;
pub mod pangea;
pub mod stx;
pub mod tagoio;

/// A running sandbox server with every provider's fake mounted.
///
/// Dropping it stops the server: the listener closes at once and open
/// connections are closed once idle. The state handles stay usable after that,
/// but nothing answers on [`Sandbox::addr`] any more.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    tagoio: tagoio::TagoIo,
    stx: stx::Stx,
    pangea: pangea::Pangea,
    cycle: cycle::Cycle,
    logto: logto::Logto,
    server: JoinHandle<()>,
}

impl Sandbox {
    /// Binds `127.0.0.1` on a free port and starts serving.
    ///
    /// Must be called inside a Tokio runtime; the server runs as a task of that
    /// runtime. The socket is bound before this returns, so requests may be
    /// sent right away.
    pub async fn start() -> std::io::Result<Sandbox> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let tagoio = tagoio::TagoIo::new(format!("http://{addr}{}", tagoio::PREFIX));
        let stx = stx::Stx::new(format!("http://{addr}{}", stx::PREFIX));
        let pangea = pangea::Pangea::new(format!("http://{addr}{}", pangea::PREFIX));
        let cycle = cycle::Cycle::new(format!("http://{addr}{}", cycle::PREFIX));
        let logto = logto::Logto::new(format!("http://{addr}{}", logto::PREFIX));
        let app = Router::new()
            .nest(tagoio::PREFIX, tagoio.router())
            .nest(stx::PREFIX, stx.router())
            .nest(pangea::PREFIX, pangea.router())
            .nest(cycle::PREFIX, cycle.router())
            .nest(logto::PREFIX, logto.router())
            .fallback(outside_providers);
        let server = tokio::spawn(async move {
            // The only error is the listener failing, and nobody is left to tell.
            let _ = axum::serve(listener, app).await;
        });
        Ok(Sandbox { addr, tagoio, stx, pangea, cycle, logto, server })
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle to the TagoIO fake, served under `/tagoio`.
    pub fn tagoio(&self) -> tagoio::TagoIo {
        self.tagoio.clone()
    }

    /// A handle to the STX GraphQL fake, served under `/stx`.
    pub fn stx(&self) -> stx::Stx {
        self.stx.clone()
    }

    /// A handle to the Pangea AuthN fake, served under `/pangea`.
    pub fn pangea(&self) -> pangea::Pangea {
        self.pangea.clone()
    }

    /// A handle to the Cycle fake, served under `/cycle`.
    pub fn cycle(&self) -> cycle::Cycle {
        self.cycle.clone()
    }

    /// A handle to the Logto fake, served under `/logto`.
    pub fn logto(&self) -> logto::Logto {
        self.logto.clone()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Dropping axum's server future also tells open connections to close.
        self.server.abort();
    }
}

/// 404 for paths under no provider's prefix.
async fn outside_providers(method: Method, uri: Uri) -> Response {
    json_response(
        axum::http::StatusCode::NOT_FOUND,
        serde_json::json!({
            "status": false,
            "message": format!("Route not found: {method} {} (no provider is mounted there)", uri.path()),
        }),
    )
}

/// Builds a JSON response with the given status.
pub(crate) fn json_response(status: axum::http::StatusCode, body: serde_json::Value) -> Response {
    use axum::response::IntoResponse;
    (status, axum::Json(body)).into_response()
}

/// Random string of `len` characters from `alphabet`.
pub(crate) fn random_string(alphabet: &[u8], len: usize) -> String {
    (0..len).map(|_| char::from(alphabet[fastrand::usize(..alphabet.len())])).collect()
}

/// Lowercase hex digits.
pub(crate) const HEX: &[u8] = b"0123456789abcdef";
/// Characters that need no escaping in a URL path segment.
pub(crate) const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
