//! The connection loop and the guards every request passes: what keeps one
//! client from holding, swelling or stopping a server others share.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinSet;

use crate::{Limits, json_response};

/// Serves `app` on `listener` until `stop` resolves, then lets requests in
/// flight finish for at most [`Limits::shutdown_grace`] and drops the rest.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut stop: oneshot::Receiver<()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    // The header timeout also runs while a kept-alive connection waits for
    // its next request, so it is the idle timeout too.
    http.timer(TokioTimer::new()).header_read_timeout(limits.idle_timeout);
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    // Owned here: aborting this task (dropping a `Sandbox`) aborts them all.
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => accepted,
        };
        while connections.try_join_next().is_some() {}
        let stream = match accepted {
            Ok((stream, _)) => stream,
            // Out of file descriptors, say: wait rather than spin.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            refuse_busy(&stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let connection = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        connections.spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await;
}

/// A 503 written straight to the socket, without a task: a flood of
/// connections past the cap costs nothing but the accept.
fn refuse_busy(stream: &tokio::net::TcpStream) {
    const BODY: &str = r#"{"error":"the sandbox is serving as many connections as it takes; retry shortly"}"#;
    let reply = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         retry-after: 1\r\nconnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    // Reading what already arrived keeps the close from resetting the
    // connection before the client reads the answer.
    let _ = stream.try_read(&mut [0u8; 4096]);
    let _ = stream.try_write(reply.as_bytes());
}

/// Reads the whole body within [`Limits::request_timeout`] and
/// [`Limits::body_bytes`], so no handler waits on a slow sender or buffers
/// a huge one, and turns any error answer that is not JSON (the router's
/// own 405, 400 or 415) into `{"error": ...}`.
pub(crate) async fn guarded(
    axum::extract::State(limits): axum::extract::State<Limits>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let declared =
        parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.body_bytes as u64) {
        return too_large(&limits);
    }
    let body =
        match tokio::time::timeout(limits.request_timeout, axum::body::to_bytes(body, limits.body_bytes))
            .await
        {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(e)) if is_length_limit(&e) => return too_large(&limits),
            Ok(Err(_)) => return error(StatusCode::BAD_REQUEST, "the request body could not be read".into()),
            Err(_) => {
                let mut response = error(
                    StatusCode::REQUEST_TIMEOUT,
                    format!("the request body did not arrive within {} s", limits.request_timeout.as_secs()),
                );
                response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
                return response;
            }
        };
    let response = next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(body))).await;
    as_json(response).await
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

fn too_large(limits: &Limits) -> Response {
    let mut response = error(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the request body is larger than the sandbox takes ({} bytes)", limits.body_bytes),
    );
    // The rest of the body is never read: the connection cannot be reused.
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn error(status: StatusCode, message: String) -> Response {
    json_response(status, serde_json::json!({ "error": message }))
}

/// An error answer that is not JSON, rewritten as `{"error": ...}` with the
/// same status and headers (`Allow` on a 405 stays).
pub(crate) async fn as_json(response: Response) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json || !(response.status().is_client_error() || response.status().is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // The router's own answers are a line of text.
    let text = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let message = match text.trim() {
        "" => parts.status.canonical_reason().unwrap_or("error").to_owned(),
        text => text.to_owned(),
    };
    let body = serde_json::to_vec(&serde_json::json!({ "error": message })).unwrap_or_default();
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}
