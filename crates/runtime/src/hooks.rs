//! What raw crates' `ClientHooks` impls and generated code call, so the
//! cross-cutting request policy lives in one place.

use std::sync::{Arc, OnceLock};

use reqwest::header::HeaderValue;

use crate::auth::{Auth, MAX_HEADER_VALUE};
use crate::observe::Undecoded;
use crate::transport::Policy;

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
    /// The raw client's base URL, parsed at its first request; shared by
    /// the clones of the client, as callers clone a client per task.
    base: Arc<OnceLock<Option<Base>>>,
}

impl Context {
    /// A credential under a policy.
    pub fn new(auth: Auth, policy: Policy) -> Self {
        Context { auth, policy, base: Arc::default() }
    }

    /// The same policy and parsed base URL with another credential (a
    /// session's token, say).
    pub fn with_auth(&self, auth: Auth) -> Self {
        Context { auth, policy: self.policy.clone(), base: Arc::clone(&self.base) }
    }

    /// `text` parsed, if it is the base URL this context first saw and a
    /// request URL can be made from it by setting the path.
    fn base(&self, text: &str) -> Option<&Base> {
        self.base.get_or_init(|| Base::parse(text)).as_ref().filter(|base| base.text == text)
    }
}

/// A base URL as the generated client has it, and parsed.
#[derive(Debug, Clone)]
struct Base {
    text: String,
    url: reqwest::Url,
    /// Written without a path (`https://host:port`): the parser adds `/`.
    origin_only: bool,
}

impl Base {
    /// `None` unless the URL parser writes `text` back unchanged (with a
    /// `/` added when it has no path), with no query or fragment: then a
    /// request URL, `text` and a path after it, is this URL with that path.
    fn parse(text: &str) -> Option<Base> {
        let url = reqwest::Url::parse(text).ok()?;
        if url.query().is_some() || url.fragment().is_some() || url.cannot_be_a_base() {
            return None;
        }
        let written = url.as_str();
        let origin_only = url.path() == "/" && written.len() == text.len() + 1 && written.starts_with(text);
        (origin_only || written == text).then(|| Base { text: text.to_string(), url, origin_only })
    }
}

/// The URL a generated operation formatted (its base URL and a path),
/// parsed: with a path set on a copy of the base URL parsed once, where
/// it can be, instead of parsing all of it again (scheme, host and its
/// international-domain mapping) on every request.
pub fn target(context: &Context, base: &str, url: String) -> Result<reqwest::Url, String> {
    if let Some(parsed) = context.base(base)
        && let Some(path) = url.strip_prefix(base)
        && path.starts_with('/')
        && !path.contains(['?', '#'])
    {
        let mut target = parsed.url.clone();
        if parsed.origin_only {
            target.set_path(path);
        } else {
            target.set_path(&format!("{}{path}", parsed.url.path()));
        }
        return Ok(target);
    }
    reqwest::Url::parse(&url).map_err(|e| format!("the request URL is not valid: {e}"))
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
/// status and `Retry-After` too. [`observe`](fn@crate::observe) turns it back
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
    fn a_request_url_is_what_parsing_all_of_it_gives() {
        let bases = [
            "http://127.0.0.1:8080",
            "https://api.tago.io",
            "https://api.example.com/v1",
            "https://api.example.com/v1/",
            "https://API.Example.COM",
            "https://api.example.com:443",
            "http://[::1]:9",
            "https://bücher.example",
            "https://api.example.com/a%20b",
            "https://api.example.com?x=1",
            "https://user:pw@api.example.com",
        ];
        let paths = [
            "/account",
            "/account/profile/tok%2Fen",
            "/a b/ç/%zz",
            "/x/../y/./z",
            "/..",
            "//double",
            "/",
            "/a?b",
            "/a#b",
            "/%2e%2E/a",
            "/\\back\\slash",
            "/tab\there",
        ];
        for base in bases {
            let context = Context::new(Auth::none(), Policy::new("test"));
            for path in paths {
                let url = format!("{base}{path}");
                let expected = reqwest::Url::parse(&url).map_err(|e| e.to_string());
                let got = target(&context, base, url.clone()).map_err(|e| e.to_string());
                assert_eq!(got.as_ref().ok(), expected.as_ref().ok(), "{url}");
                assert_eq!(got.is_err(), expected.is_err(), "{url}");
            }
        }
    }

    #[test]
    fn a_base_url_is_parsed_once_and_only_reused_for_itself() {
        let context = Context::new(Auth::none(), Policy::new("test"));
        let clone = context.clone();
        assert!(context.base("https://api.example.com").is_some_and(|b| b.origin_only));
        // Parsed once for all clones, made before or after.
        assert!(clone.base.get().is_some() && context.clone().base.get().is_some());
        // A second client's base on the same context is parsed each time.
        assert!(context.base("https://other.example.com").is_none());
        let url = target(&context, "https://other.example.com", "https://other.example.com/a".into());
        assert_eq!(url.unwrap().as_str(), "https://other.example.com/a");
        // Written otherwise than the parser writes it: no fast path.
        assert!(Base::parse("https://API.example.com").is_none());
        assert!(Base::parse("https://api.example.com/v1").is_some_and(|b| !b.origin_only));
        assert!(Base::parse("https://api.example.com/?q").is_none());
        assert!(Base::parse("mailto:ada@example.com").is_none());
        let bad = target(&context, "https://other.example.com", "https://exa mple.com/a".into());
        assert!(bad.unwrap_err().starts_with("the request URL is not valid"));
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
