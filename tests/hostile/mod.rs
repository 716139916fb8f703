//! A hostile HTTP server on a loopback port: it records every request it
//! receives (method, target, headers, body) and answers each with whatever
//! its script returns, in raw HTTP/1.1, so that it can redirect, echo what it
//! was sent, stall, drip or break the protocol.

#![allow(dead_code)] // each test target uses its own part

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The bytes as they arrived.
    pub raw: Vec<u8>,
}

impl Seen {
    /// A header's value; names compare case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The whole request as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }
}

/// What the server does with a request.
pub enum Reply {
    /// These bytes, then the connection closes.
    Bytes(Vec<u8>),
    /// Nothing, ever.
    Stall,
    /// These bytes one at a time, with a pause between them.
    Drip(Vec<u8>, Duration),
    /// These bytes again and again until the client goes away.
    Endless(Vec<u8>),
}

/// A running server.
pub struct Host {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Host {
    /// Every request received so far, oldest first.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// How many requests arrived.
    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

/// Starts a server answering request `n` (from 0) with `script(request, n)`.
pub async fn host<F>(script: F) -> Host
where
    F: Fn(&Seen, usize) -> Reply + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let script = Arc::new(script);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let log = log.clone();
            let script = script.clone();
            tokio::spawn(async move {
                let Some(request) = read(&mut stream).await else { return };
                let reply = {
                    let mut log = log.lock().unwrap();
                    log.push(request.clone());
                    script(&request, log.len() - 1)
                };
                answer(stream, reply).await;
            });
        }
    });
    Host { url, seen }
}

/// A server that answers everything with `bytes`.
pub async fn always(bytes: Vec<u8>) -> Host {
    host(move |_, _| Reply::Bytes(bytes.clone())).await
}

/// Reads one request: the head, then a `Content-Length` body.
async fn read(stream: &mut TcpStream) -> Option<Seen> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            let mut lines = head.split("\r\n");
            let mut first = lines.next().unwrap_or("").split(' ');
            let method = first.next().unwrap_or("").to_string();
            let target = first.next().unwrap_or("").to_string();
            let headers: Vec<(String, String)> = lines
                .filter_map(|line| line.split_once(':'))
                .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
                .collect();
            let length = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.parse::<usize>().ok())
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                let body = buffer[end + 4..end + 4 + length].to_vec();
                return Some(Seen { method, target, headers, body, raw: buffer });
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

async fn answer(mut stream: TcpStream, reply: Reply) {
    match reply {
        Reply::Bytes(bytes) => {
            let _ = stream.write_all(&bytes).await;
        }
        Reply::Stall => {
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Reply::Drip(bytes, pause) => {
            for byte in bytes {
                if stream.write_all(&[byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(pause).await;
            }
        }
        Reply::Endless(bytes) => {
            // Bounded, so a client that never gives up cannot keep the test alive.
            for _ in 0..100_000 {
                if stream.write_all(&bytes).await.is_err() {
                    return;
                }
            }
        }
    }
    let _ = stream.shutdown().await;
}

/// A whole response: status line, the given headers, a length and the body.
pub fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\nconnection: close\r\n\r\n", body.len()));
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// A JSON response.
pub fn json(status: &str, body: &serde_json::Value) -> Vec<u8> {
    response(status, &[("content-type", "application/json")], body.to_string().as_bytes())
}
