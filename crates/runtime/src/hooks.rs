//! What raw crates' `ClientHooks` impls and generated code call, so the
//! cross-cutting request policy lives in one place.

use std::future::Future;
use std::pin::Pin;

use reqwest::header::HeaderValue;

use crate::auth::{Auth, MAX_HEADER_VALUE};
use crate::observe::Undecoded;
use crate::transport::{self, Policy};

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("accountkit/", env!("CARGO_PKG_VERSION"));

/// The longest request URL accountkit sends; common servers refuse longer
/// request lines (nginx: 8 KiB).
pub const MAX_URL: usize = 8192;

/// Characters left as they are in a path segment: RFC 3986 "unreserved".
const PATH_SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Percent-encodes a value for one path segment: everything but unreserved
/// characters, so `user+tag@example.com` becomes `user%2Btag%40example.com`
/// and a `/` can never start a new segment. Generated clients call it for
/// every path parameter.
pub fn encode_path_segment(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, PATH_SEGMENT).to_string()
}

/// A raw client's inner value: the credential it sends and the policy its
/// requests go through.
#[derive(Debug, Clone)]
pub struct Context {
    /// The credential.
    pub auth: Auth,
    /// Retries, limits and tracing.
    pub policy: Policy,
}

impl Context {
    /// A credential under a policy.
    pub fn new(auth: Auth, policy: Policy) -> Self {
        Context { auth, policy }
    }
}

/// The header progenitor adds to every request (the document's
/// `info.version`); these APIs are not versioned that way.
const API_VERSION: &str = "api-version";

/// Readies a request: takes out progenitor's `api-version` header, sets
/// the `User-Agent`, and attaches the credential exactly when the
/// operation is not anonymous. A URL or a header value longer than
/// accountkit sends is refused here, whatever the facade checked before.
pub fn prepare(
    request: &mut reqwest::Request,
    auth: &Auth,
    operation_id: &str,
    anonymous: &[&str],
) -> Result<(), String> {
    if request.url().as_str().len() > MAX_URL {
        return Err(format!("the request URL is longer than the {MAX_URL} bytes accountkit sends"));
    }
    let headers = request.headers_mut();
    headers.remove(API_VERSION);
    if let Some((name, _)) = headers.iter().find(|(_, value)| value.len() > MAX_HEADER_VALUE) {
        return Err(format!(
            "the `{name}` header is longer than the {MAX_HEADER_VALUE} bytes accountkit sends"
        ));
    }
    headers.insert(reqwest::header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
    if anonymous.contains(&operation_id) {
        if let Some((name, _)) = auth.sent_as() {
            headers.remove(name);
        }
        return Ok(());
    }
    match auth.sent_as() {
        Some((name, value)) => {
            headers.insert(name.clone(), value.clone());
            Ok(())
        }
        None => Err(format!("`{operation_id}` needs credentials, and this client was built without them")),
    }
}

/// Decodes a JSON answer as progenitor's `ResponseValue::from_response`
/// does, except that a body that does not decode comes back as the
/// response itself (`Error::UnexpectedResponse`, with its status, headers
/// and body), the serde error in its extensions: progenitor's
/// `InvalidResponsePayload` keeps only the body, and a caller needs the
/// status and `Retry-After` too. [`observe`](crate::observe) turns it back
/// into `InvalidResponsePayload` beside that status.
pub async fn decode<T: serde::de::DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let body = response.bytes().await.map_err(progenitor_client::Error::ResponseBodyError)?;
    match serde_json::from_slice(&body) {
        Ok(inner) => Ok(progenitor_client::ResponseValue::new(inner, status, headers)),
        Err(cause) => Err(undecoded(status, headers, body, cause)),
    }
}

fn undecoded<E>(
    status: reqwest::StatusCode,
    headers: reqwest::header::HeaderMap,
    body: bytes::Bytes,
    cause: serde_json::Error,
) -> progenitor_client::Error<E> {
    let mut response = http::Response::new(reqwest::Body::from(body.clone()));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response.extensions_mut().insert(Undecoded::new(body, cause));
    progenitor_client::Error::UnexpectedResponse(reqwest::Response::from(response))
}

/// Sends a request under the client's [`Policy`]: see
/// [`transport::execute`].
pub fn execute<'a>(
    client: &'a reqwest::Client,
    context: &'a Context,
    request: reqwest::Request,
    operation_id: &str,
    idempotent: &[&str],
) -> Pin<Box<dyn Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a>> {
    transport::execute(client, &context.policy, request, operation_id, idempotent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Answer {
        name: String,
    }

    fn answer(body: &'static str) -> reqwest::Response {
        let response = http::Response::builder()
            .status(201)
            .header("x-request-id", "r1")
            .body(reqwest::Body::from(body))
            .unwrap();
        reqwest::Response::from(response)
    }

    #[tokio::test]
    async fn decode_keeps_status_and_headers() {
        let decoded = decode::<Answer, ()>(answer(r#"{"name":"ada"}"#)).await.unwrap();
        assert_eq!(decoded.status().as_u16(), 201);
        assert_eq!(decoded.headers()["x-request-id"], "r1");
        assert_eq!(decoded.into_inner(), Answer { name: "ada".into() });
    }

    #[tokio::test]
    async fn an_answer_that_does_not_decode_keeps_its_body_for_the_error() {
        let (error, meta) = crate::observe(decode::<Answer, ()>(answer("[1,"))).await;
        match error.unwrap_err() {
            progenitor_client::Error::InvalidResponsePayload(body, _) => assert_eq!(&body[..], b"[1,"),
            other => panic!("{other:?}"),
        }
        assert_eq!(meta.map(|m| m.status), Some(201));
        // Unobserved, the error is the response, its status, headers and body.
        match decode::<Answer, ()>(answer("[1,")).await.unwrap_err() {
            progenitor_client::Error::UnexpectedResponse(response) => {
                assert_eq!(
                    (response.status().as_u16(), response.headers()["x-request-id"].to_str().unwrap()),
                    (201, "r1")
                );
                assert_eq!(&response.bytes().await.unwrap()[..], b"[1,");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn path_segments_encode_every_reserved_character() {
        assert_eq!(encode_path_segment("user+tag@example.com"), "user%2Btag%40example.com");
        assert_eq!(encode_path_segment("a/../b?c#d e%"), "a%2F..%2Fb%3Fc%23d%20e%25");
        assert_eq!(encode_path_segment("Az09-._~"), "Az09-._~");
        assert_eq!(encode_path_segment("ção"), "%C3%A7%C3%A3o");
    }

    fn request() -> reqwest::Request {
        reqwest::Request::new(reqwest::Method::GET, "http://127.0.0.1/x".parse().unwrap())
    }

    #[test]
    fn prepare_attaches_credentials_only_where_needed() {
        let auth = Auth::header("token", "abc").unwrap();
        let mut secured = request();
        prepare(&mut secured, &auth, "info", &["login"]).unwrap();
        assert_eq!(secured.headers()["token"], "abc");
        assert!(secured.headers()["token"].is_sensitive());
        assert_eq!(secured.headers()["user-agent"], USER_AGENT);

        let mut anonymous = request();
        anonymous.headers_mut().insert("token", HeaderValue::from_static("stray"));
        prepare(&mut anonymous, &auth, "login", &["login"]).unwrap();
        assert!(anonymous.headers().get("token").is_none());

        let mut versioned = request();
        versioned.headers_mut().insert("api-version", HeaderValue::from_static("1.0.0"));
        prepare(&mut versioned, &auth, "info", &["login"]).unwrap();
        assert!(versioned.headers().get("api-version").is_none(), "progenitor's header is never sent");

        let err = prepare(&mut request(), &Auth::none(), "info", &["login"]).unwrap_err();
        assert!(err.contains("`info` needs credentials"), "{err}");
    }
}
