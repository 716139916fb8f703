//! The default TLS set-up: rustls on the ring provider, made without any
//! process-wide crypto provider installed.

#![cfg(feature = "rustls")]

use std::io::Write;
use std::net::TcpListener;

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
