//! A server that does nothing per request but write the same canned bytes,
//! on a thread and runtime of its own: against it the client's own CPU is
//! what a call costs.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct Static {
    pub addr: SocketAddr,
}

impl Static {
    /// Answers every request on every kept-alive connection with `answer`,
    /// a whole HTTP/1.1 response. The thread lives as long as the process.
    pub fn start(answer: Vec<u8>) -> std::io::Result<Static> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
                let answer: &'static [u8] = Box::leak(answer.into_boxed_slice());
                while let Ok((stream, _)) = listener.accept().await {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(serve(stream, answer));
                }
            });
        });
        Ok(Static { addr })
    }
}

/// Reads request heads (the benchmarked requests have no body) and answers
/// each one.
async fn serve(mut stream: tokio::net::TcpStream, answer: &'static [u8]) {
    let mut buffer = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        while let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            buffer.drain(..end + 4);
            if stream.write_all(answer).await.is_err() {
                return;
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A `200 OK` JSON response with this body.
pub fn json_answer(body: &[u8]) -> Vec<u8> {
    let mut answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(body);
    answer
}
