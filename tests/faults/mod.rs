//! A misbehaving HTTP server: it answers every request with one scripted
//! fault, speaking raw HTTP/1.1 over TCP so that it can break the protocol
//! (cut a body short, stall, lie about lengths), and counts the requests.

#![allow(dead_code)] // each test target uses its own part

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with each request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Announces `Content-Length: 4096`, sends a few bytes, closes.
    ResetMidBody,
    /// Reads the request and never answers.
    Stall,
    /// A 200 whose JSON stops halfway.
    TruncatedJson,
    /// A proxy's HTML 502.
    Html502,
    /// A 200 whose JSON is not the API's envelope.
    WrongEnvelope(&'static str),
    /// A 429 with `Retry-After` in seconds.
    RateLimited(u64),
    /// A 200 with a body of this many bytes, sent chunked (no length).
    Oversized(usize),
    /// A 200 whose body is JSON with bytes that are not UTF-8.
    InvalidUtf8,
    /// A 200 that is an HTML page, not JSON.
    WrongContentType,
    /// Any response, verbatim: status line, headers and body.
    Raw(Vec<u8>),
}

/// A running server.
pub struct Server {
    pub url: String,
    requests: Arc<AtomicUsize>,
}

impl Server {
    /// Requests received so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Starts a server on a loopback port answering every request with `fault`.
pub async fn serve(fault: Fault) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let fault = fault.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut stream = stream;
                if read_request(&mut stream).await {
                    counter.fetch_add(1, Ordering::SeqCst);
                    answer(stream, fault).await;
                }
            });
        }
    });
    Server { url, requests }
}

/// Reads one request (head and `Content-Length` body); false if the peer
/// went away first.
async fn read_request(stream: &mut TcpStream) -> bool {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let head_end = buffer.windows(4).position(|w| w == b"\r\n\r\n");
        if let Some(end) = head_end {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                return true;
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

fn response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

async fn answer(mut stream: TcpStream, fault: Fault) {
    let bytes = match fault {
        Fault::ResetMidBody => {
            let head =
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4096\r\n\r\n{\"da";
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.flush().await;
            // Dropping the socket with unread data pending makes the kernel reset it.
            return;
        }
        Fault::Stall => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            return;
        }
        Fault::TruncatedJson => response("200 OK", "application/json", br#"{"status": true, "result": {"na"#),
        Fault::Html502 => response("502 Bad Gateway", "text/html", b"<html><body>Bad Gateway</body></html>"),
        Fault::WrongEnvelope(body) => response("200 OK", "application/json", body.as_bytes()),
        Fault::RateLimited(seconds) => {
            let body = b"{}";
            format!(
                "HTTP/1.1 429 Too Many Requests\r\nretry-after: {seconds}\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{{}}",
                body.len()
            )
            .into_bytes()
        }
        Fault::Oversized(size) => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let piece = vec![b' '; 1024];
            let mut sent = 0;
            while sent < size {
                let n = piece.len().min(size - sent);
                let chunk = [format!("{n:x}\r\n").as_bytes(), &piece[..n], b"\r\n"].concat();
                if stream.write_all(&chunk).await.is_err() {
                    // The client stopped reading, as it should.
                    return;
                }
                sent += n;
            }
            b"0\r\n\r\n".to_vec()
        }
        Fault::InvalidUtf8 => {
            {
                // Every field some provider reads holds bytes that are not UTF-8.
                let body = b"{\"status\": true, \"result\": \"\xff\xfe\", \"data\": \"\xc3\x28\", \"id\": \"\xff\", \"username\": \"\xc3\x28\"}";
                response("200 OK", "application/json", body)
            }
        }
        Fault::WrongContentType => {
            response("200 OK", "text/html", b"<!doctype html><html><body>Welcome</body></html>")
        }
        Fault::Raw(bytes) => bytes,
    };
    let _ = stream.write_all(&bytes).await;
    let _ = stream.shutdown().await;
}

/// A server answering every request with the bytes last put in its script.
pub struct Scripted {
    pub server: Server,
    pub script: Arc<std::sync::Mutex<Vec<u8>>>,
}

impl Scripted {
    /// The raw response every following request gets.
    pub fn answer(&self, raw: Vec<u8>) {
        *self.script.lock().unwrap() = raw;
    }
}

/// Starts a [`Scripted`] server on a loopback port.
pub async fn serve_scripted() -> Scripted {
    let script = Arc::new(std::sync::Mutex::new(Vec::new()));
    let shared = script.clone();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let script = shared.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                if read_request(&mut stream).await {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let bytes = script.lock().unwrap().clone();
                    answer(stream, Fault::Raw(bytes)).await;
                }
            });
        }
    });
    Scripted { server: Server { url, requests }, script }
}
