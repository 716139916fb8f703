//! The hand-written runtime that accountkit's generated raw clients share.
//!
//! - [`Sensitive`]: the type generated code uses for `format: password`
//!   strings (passwords, PINs, tokens). It serialises the value on the wire
//!   and prints `[REDACTED]` everywhere else.
//! - [`Auth`]: the credential header a request carries.
//! - [`Context`]: a raw client's inner value, its credential and [`Policy`].
//! - [`RetryPolicy`] and [`Policy`]: retries, response size limit and
//!   `tracing` spans, applied by [`transport::execute`] to every request.
//! - [`hooks`]: what each raw crate's `ClientHooks` impl calls, so the
//!   cross-cutting request policy lives in one place.
//! - [`observe`]: the HTTP status and headers of the response an operation
//!   got, even when the generated client discarded them.
//! - [`timestamp`]: how generated `date-time` fields decode (the shape
//!   servers send read directly, anything else by chrono).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::cell::Cell;
use std::fmt;
use std::pin::Pin;
use std::task::{self, Poll};

use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub mod deadline;
pub mod timestamp;
pub mod transport;

pub use transport::{
    BodyTooLarge, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, Policy, Redirected, RetryPolicy, origin_of,
    retry_after,
};

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("accountkit/", env!("CARGO_PKG_VERSION"));

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

/// A secret string in generated request and response types.
///
/// Serialises as the plain string (the server needs it), deserialises from
/// one, and never shows its value through `Debug`. The memory is zeroed on
/// drop.
#[derive(Clone)]
pub struct Sensitive(SecretString);

impl Sensitive {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Sensitive(SecretString::from(value.into()))
    }

    /// The secret itself; every use is easy to find by this name.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Unwraps into the `secrecy` type.
    pub fn into_secret(self) -> SecretString {
        self.0
    }
}

impl From<SecretString> for Sensitive {
    fn from(secret: SecretString) -> Self {
        Sensitive(secret)
    }
}

impl From<&SecretString> for Sensitive {
    fn from(secret: &SecretString) -> Self {
        Sensitive(secret.clone())
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl Serialize for Sensitive {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for Sensitive {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Sensitive::new)
    }
}

/// The credential a raw client sends on operations that need one.
#[derive(Clone, Default)]
pub struct Auth {
    header: Option<(HeaderName, HeaderValue)>,
    secret: Option<SecretString>,
}

/// The longest value accountkit sends in one header: far past any token
/// these APIs issue, and inside what common servers accept (8 KiB).
pub const MAX_HEADER_VALUE: usize = 4096;

/// The longest request URL accountkit sends; common servers refuse longer
/// request lines (nginx: 8 KiB).
pub const MAX_URL: usize = 8192;

/// A credential that cannot be sent as a header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidCredential {
    /// Empty, or only spaces.
    Blank,
    /// A byte that is not visible ASCII (`!` to `~`): a space, a control
    /// character or non-ASCII text, which servers cannot read in a header.
    NotVisibleAscii,
    /// Longer than [`MAX_HEADER_VALUE`].
    TooLong,
}

impl InvalidCredential {
    /// Checks a value bound for a header.
    pub fn check(value: &str) -> Result<(), InvalidCredential> {
        if value.trim().is_empty() {
            Err(InvalidCredential::Blank)
        } else if !value.bytes().all(|b| b.is_ascii_graphic()) {
            Err(InvalidCredential::NotVisibleAscii)
        } else if value.len() > MAX_HEADER_VALUE {
            Err(InvalidCredential::TooLong)
        } else {
            Ok(())
        }
    }

    /// What is wrong, completing "`field` ...".
    pub fn problem(&self) -> &'static str {
        match self {
            InvalidCredential::Blank => "is empty",
            InvalidCredential::NotVisibleAscii => {
                "must be visible ASCII (no spaces, control characters or non-ASCII text) to be sent in a header"
            }
            InvalidCredential::TooLong => "is longer than the 4096 bytes accountkit sends in a header",
        }
    }
}

impl fmt::Display for InvalidCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the credential {}", self.problem())
    }
}

impl std::error::Error for InvalidCredential {}

impl Auth {
    /// No credential: only anonymous operations can be sent.
    pub fn none() -> Self {
        Auth::default()
    }

    /// A credential sent as `name: value`, marked sensitive so HTTP
    /// libraries never log it.
    pub fn header(name: &'static str, value: &str) -> Result<Self, InvalidCredential> {
        InvalidCredential::check(value)?;
        let secret = SecretString::from(value.to_string());
        let mut value = HeaderValue::from_str(value).map_err(|_| InvalidCredential::NotVisibleAscii)?;
        value.set_sensitive(true);
        Ok(Auth { header: Some((HeaderName::from_static(name), value)), secret: Some(secret) })
    }

    /// A credential sent as `Authorization: Bearer <token>`.
    pub fn bearer(token: &str) -> Result<Self, InvalidCredential> {
        InvalidCredential::check(token)?;
        let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| InvalidCredential::NotVisibleAscii)?;
        value.set_sensitive(true);
        let secret = Some(SecretString::from(token.to_string()));
        Ok(Auth { header: Some((reqwest::header::AUTHORIZATION, value)), secret })
    }

    /// The credential itself, e.g. to scrub it from an echoed message.
    pub fn expose_secret(&self) -> Option<&str> {
        self.secret.as_ref().map(|s| s.expose_secret())
    }

    /// Whether a credential is configured.
    pub fn is_some(&self) -> bool {
        self.header.is_some()
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.header.as_ref().map(|(name, _)| name.as_str());
        f.debug_struct("Auth").field("header", &name).finish_non_exhaustive()
    }
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
    base: std::sync::Arc<std::sync::OnceLock<Option<Base>>>,
}

impl Context {
    /// A credential under a policy.
    pub fn new(auth: Auth, policy: Policy) -> Self {
        Context { auth, policy, base: std::sync::Arc::default() }
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

/// The `ClientHooks` impl of a progenitor-generated raw client, expanded in
/// the raw crate after the `include!` of its generated code (the impl must
/// live beside the generated `Client`, which it names along with the
/// generated `Error`, `ANONYMOUS_OPERATIONS` and `IDEMPOTENT_OPERATIONS`).
#[macro_export]
macro_rules! client_hooks {
    () => {
        impl ::progenitor_client::ClientHooks<$crate::Context> for Client {
            async fn pre<E>(
                &self,
                request: &mut ::reqwest::Request,
                info: &::progenitor_client::OperationInfo,
            ) -> ::std::result::Result<(), Error<E>> {
                $crate::hooks::prepare(request, &self.inner.auth, info.operation_id, ANONYMOUS_OPERATIONS)
                    .map_err(Error::InvalidRequest)
            }

            // The boxed transport future itself, not an `async fn` around it
            // that would hold the request a second time.
            fn exec(
                &self,
                request: ::reqwest::Request,
                info: &::progenitor_client::OperationInfo,
            ) -> impl ::std::future::Future<Output = ::reqwest::Result<::reqwest::Response>> {
                $crate::hooks::execute(
                    &self.client,
                    &self.inner,
                    request,
                    info.operation_id,
                    IDEMPOTENT_OPERATIONS,
                )
            }
        }
    };
}

/// What raw crates' `ClientHooks` impls call.
pub mod hooks {
    use super::*;

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

    /// Readies a request: sets the `User-Agent`, and attaches the
    /// credential exactly when the operation is not anonymous (the build
    /// helper already took out progenitor's `api-version` header). A URL or a
    /// header value longer than accountkit sends is refused here, whatever
    /// the facade checked before.
    pub fn prepare(
        request: &mut reqwest::Request,
        auth: &Auth,
        operation_id: &str,
        anonymous: &[&str],
    ) -> Result<(), String> {
        if request.url().as_str().len() > MAX_URL {
            return Err(format!("the request URL is longer than the {MAX_URL} bytes accountkit sends"));
        }
        if let Some((name, _)) = request.headers().iter().find(|(_, value)| value.len() > MAX_HEADER_VALUE) {
            return Err(format!(
                "the `{name}` header is longer than the {MAX_HEADER_VALUE} bytes accountkit sends"
            ));
        }
        let headers = request.headers_mut();
        headers.insert(reqwest::header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
        if anonymous.contains(&operation_id) {
            if let Some((name, _)) = &auth.header {
                headers.remove(name);
            }
            return Ok(());
        }
        match &auth.header {
            Some((name, value)) => {
                headers.insert(name.clone(), value.clone());
                Ok(())
            }
            None => {
                Err(format!("`{operation_id}` needs credentials, and this client was built without them"))
            }
        }
    }

    /// Decodes a JSON answer as progenitor's `ResponseValue::from_response`
    /// does, from the body the transport already read whole: no second
    /// read of it, no copy of the header map, and no reader future in the
    /// call's state. A response that did not come through the transport
    /// (or whose body failed) is read as progenitor reads it.
    pub async fn decode<T: serde::de::DeserializeOwned, E>(
        mut response: reqwest::Response,
    ) -> Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>> {
        // The body the transport recorded for this call, if it is this
        // response's (a rebuilt response announces its body's length), or
        // the one it kept beside a response outside `observe`.
        let recorded = recording(|r| r.whole.take()).flatten();
        let whole = match recorded {
            Some(body) if response.content_length() == Some(body.len() as u64) => Some(body),
            _ => response.extensions_mut().remove().map(|transport::Whole(body)| body),
        };
        let Some(body) = whole else {
            return Box::pin(progenitor_client::ResponseValue::from_response(response)).await;
        };
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        drop(response);
        match serde_json::from_slice(&body) {
            Ok(inner) => Ok(progenitor_client::ResponseValue::new(inner, status, headers)),
            Err(e) => Err(progenitor_client::Error::InvalidResponsePayload(body, e)),
        }
    }

    /// Sends a request under the client's [`Policy`]: see
    /// [`transport::execute`]. Not an `async fn`: one would keep its own
    /// copy of the request in every call's state.
    pub fn execute<'a>(
        client: &'a reqwest::Client,
        context: &'a Context,
        request: reqwest::Request,
        operation_id: &str,
        idempotent: &[&str],
    ) -> Pin<Box<dyn Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a>> {
        transport::execute(client, &context.policy, request, operation_id, idempotent)
    }
}

/// What is kept of an HTTP response for [`observe`]: read from its headers
/// as it arrives, so that no header map is copied on every call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseMeta {
    /// The HTTP status code.
    pub status: u16,
    /// Its `Retry-After`, as a wait.
    pub retry_after: Option<std::time::Duration>,
}

/// What the transport records while an [`Observed`] call is polled: the
/// last response's status and `Retry-After`, and its whole body for
/// [`hooks::decode`].
#[derive(Default)]
pub(crate) struct Recorded {
    pub(crate) meta: Option<ResponseMeta>,
    pub(crate) whole: Option<bytes::Bytes>,
}

thread_local! {
    /// Set while an [`Observed`] call is polled on this thread; a call's
    /// state is swapped in for its poll and out again after, so a call
    /// observed inside another keeps its own.
    static RECORDED: Cell<Option<Recorded>> = const { Cell::new(None) };
}

/// Runs `f` on what the call being observed has recorded; `None`, and `f`
/// not run, outside [`observe`].
pub(crate) fn recording<R>(f: impl FnOnce(&mut Recorded) -> R) -> Option<R> {
    RECORDED
        .try_with(|slot| {
            let mut recorded = slot.take()?;
            let out = f(&mut recorded);
            slot.set(Some(recorded));
            Some(out)
        })
        .ok()
        .flatten()
}

/// Runs one raw-client call and returns, beside its output, the status and
/// headers of the last response it received, which generated clients drop
/// when a body fails to decode.
///
/// The call is moved to the heap once, here: a generated client's future
/// runs to kilobytes, and every `async fn` layer around it would otherwise
/// hold (and copy) it again.
pub fn observe<F: Future>(call: F) -> Observed<F> {
    Observed { call: Box::pin(call), recorded: Recorded::default() }
}

/// The future [`observe`] returns. Each poll runs the call with its record
/// set for this thread: a swap in and out of a thread-local cell, where
/// tokio's task-local scope borrows and guards a `RefCell` twice.
pub struct Observed<F: Future> {
    call: Pin<Box<F>>,
    /// What the call recorded so far, kept between polls.
    recorded: Recorded,
}

/// Puts the outer record back when a poll ends, even by a panic.
struct Scope(Option<Option<Recorded>>);

impl Scope {
    fn enter(recorded: Recorded) -> Scope {
        Scope(Some(RECORDED.with(|slot| slot.replace(Some(recorded)))))
    }

    fn leave(mut self) -> Recorded {
        let outer = self.0.take().flatten();
        RECORDED.with(|slot| slot.replace(outer)).unwrap_or_default()
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        if let Some(outer) = self.0.take() {
            let _ = RECORDED.try_with(|slot| slot.set(outer));
        }
    }
}

impl<F: Future> Future for Observed<F> {
    type Output = (F::Output, Option<ResponseMeta>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut task::Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let scope = Scope::enter(std::mem::take(&mut this.recorded));
        let poll = this.call.as_mut().poll(cx);
        let recorded = scope.leave();
        match poll {
            Poll::Ready(output) => Poll::Ready((output, recorded.meta)),
            Poll::Pending => {
                this.recorded = recorded;
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Answer {
        name: String,
    }

    fn answer(body: &'static str, whole: Option<&'static str>) -> reqwest::Response {
        let mut response = http::Response::builder()
            .status(201)
            .header("x-request-id", "r1")
            .body(reqwest::Body::from(body))
            .unwrap();
        if let Some(whole) = whole {
            response.extensions_mut().insert(transport::Whole(bytes::Bytes::from_static(whole.as_bytes())));
        }
        reqwest::Response::from(response)
    }

    #[tokio::test]
    async fn decode_reads_the_kept_body_and_keeps_status_and_headers() {
        // The kept body is what is decoded; the stream is not read again.
        let decoded = hooks::decode::<Answer, ()>(answer("unread", Some(r#"{"name":"ada"}"#))).await.unwrap();
        assert_eq!(decoded.status().as_u16(), 201);
        assert_eq!(decoded.headers()["x-request-id"], "r1");
        assert_eq!(decoded.into_inner(), Answer { name: "ada".into() });
    }

    #[tokio::test]
    async fn decode_takes_the_body_recorded_for_its_response_and_no_other() {
        let (decoded, _) = observe(async {
            recording(|r| r.whole = Some(bytes::Bytes::from_static(br#"{"name":"ada"}"#)));
            // Unread: the recorded body, of the announced length, is decoded.
            hooks::decode::<Answer, ()>(answer("not json, no!!", None)).await
        })
        .await;
        assert_eq!(decoded.unwrap().into_inner().name, "ada");

        let (decoded, _) = observe(async {
            // A body recorded for another response (its length differs) is
            // not this one's: the response is read.
            recording(|r| r.whole = Some(bytes::Bytes::from_static(br#"{"name":"someone else"}"#)));
            hooks::decode::<Answer, ()>(answer(r#"{"name":"bo"}"#, None)).await
        })
        .await;
        assert_eq!(decoded.unwrap().into_inner().name, "bo");
    }

    #[tokio::test]
    async fn a_panicking_call_leaves_the_outer_record_in_place() {
        let outer = observe(async {
            recording(|r| r.meta = Some(ResponseMeta { status: 418, retry_after: None }));
            let inner = std::panic::AssertUnwindSafe(observe(async { panic!("inside") }));
            let caught = futures::FutureExt::catch_unwind(inner).await;
            assert!(caught.is_err());
            recording(|r| r.meta).flatten()
        });
        let (kept, meta) = outer.await;
        assert_eq!(kept.map(|m| m.status), Some(418));
        assert_eq!(meta.map(|m| m.status), Some(418));
        assert!(recording(|_| ()).is_none());
    }

    #[tokio::test]
    async fn decode_reads_a_response_that_kept_nothing_as_progenitor_does() {
        let decoded = hooks::decode::<Answer, ()>(answer(r#"{"name":"bo"}"#, None)).await.unwrap();
        assert_eq!((decoded.status().as_u16(), decoded.into_inner().name.as_str()), (201, "bo"));
    }

    #[tokio::test]
    async fn an_answer_that_does_not_decode_keeps_its_body_for_the_error() {
        for whole in [Some("[1,"), None] {
            let error = hooks::decode::<Answer, ()>(answer("[1,", whole)).await.unwrap_err();
            match error {
                progenitor_client::Error::InvalidResponsePayload(body, _) => assert_eq!(&body[..], b"[1,"),
                other => panic!("{whole:?}: {other:?}"),
            }
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
                let got = hooks::target(&context, base, url.clone()).map_err(|e| e.to_string());
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
        let url = hooks::target(&context, "https://other.example.com", "https://other.example.com/a".into());
        assert_eq!(url.unwrap().as_str(), "https://other.example.com/a");
        // Written otherwise than the parser writes it: no fast path.
        assert!(Base::parse("https://API.example.com").is_none());
        assert!(Base::parse("https://api.example.com/v1").is_some_and(|b| !b.origin_only));
        assert!(Base::parse("https://api.example.com/?q").is_none());
        assert!(Base::parse("mailto:ada@example.com").is_none());
        let bad = hooks::target(&context, "https://other.example.com", "https://exa mple.com/a".into());
        assert!(bad.unwrap_err().starts_with("the request URL is not valid"));
    }

    #[test]
    fn path_segments_encode_every_reserved_character() {
        assert_eq!(encode_path_segment("user+tag@example.com"), "user%2Btag%40example.com");
        assert_eq!(encode_path_segment("a/../b?c#d e%"), "a%2F..%2Fb%3Fc%23d%20e%25");
        assert_eq!(encode_path_segment("Az09-._~"), "Az09-._~");
        assert_eq!(encode_path_segment("ção"), "%C3%A7%C3%A3o");
    }

    #[test]
    fn sensitive_serialises_but_never_prints() {
        let secret = Sensitive::new("hunter2");
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"hunter2\"");
        assert_eq!(format!("{secret:?}"), "[REDACTED]");
        let back: Sensitive = serde_json::from_str("\"s3cret\"").unwrap();
        assert_eq!(back.expose(), "s3cret");
        assert_eq!(format!("{back:?}"), "[REDACTED]");
    }

    #[test]
    fn auth_debug_names_the_header_only() {
        let auth = Auth::header("token", "abc-123").unwrap();
        let shown = format!("{auth:?}");
        assert!(shown.contains("token") && !shown.contains("abc-123"), "{shown}");
        let bearer = format!("{:?}", Auth::bearer("xyz-789").unwrap());
        assert!(!bearer.contains("xyz-789"), "{bearer}");
        assert_eq!(Auth::header("token", "bad\nvalue").unwrap_err(), InvalidCredential::NotVisibleAscii);
        assert_eq!(Auth::header("token", "   ").unwrap_err(), InvalidCredential::Blank);
        assert_eq!(Auth::bearer("").unwrap_err(), InvalidCredential::Blank);
        assert_eq!(Auth::bearer("tók").unwrap_err(), InvalidCredential::NotVisibleAscii);
        assert_eq!(Auth::bearer("a b").unwrap_err(), InvalidCredential::NotVisibleAscii);
        assert_eq!(
            Auth::header("token", &"x".repeat(MAX_HEADER_VALUE + 1)).unwrap_err(),
            InvalidCredential::TooLong
        );
        assert!(Auth::header("token", &"x".repeat(MAX_HEADER_VALUE)).is_ok());
    }

    fn request() -> reqwest::Request {
        reqwest::Request::new(reqwest::Method::GET, "http://127.0.0.1/x".parse().unwrap())
    }

    #[test]
    fn prepare_attaches_credentials_only_where_needed() {
        let auth = Auth::header("token", "abc").unwrap();
        let mut secured = request();
        hooks::prepare(&mut secured, &auth, "info", &["login"]).unwrap();
        assert_eq!(secured.headers()["token"], "abc");
        assert!(secured.headers()["token"].is_sensitive());
        assert_eq!(secured.headers()["user-agent"], USER_AGENT);

        let mut anonymous = request();
        anonymous.headers_mut().insert("token", HeaderValue::from_static("stray"));
        hooks::prepare(&mut anonymous, &auth, "login", &["login"]).unwrap();
        assert!(anonymous.headers().get("token").is_none());

        let err = hooks::prepare(&mut request(), &Auth::none(), "info", &["login"]).unwrap_err();
        assert!(err.contains("`info` needs credentials"), "{err}");
    }

    #[tokio::test]
    async fn observe_keeps_what_the_call_recorded_across_polls() {
        let call = async {
            let meta = ResponseMeta { status: 503, retry_after: Some(std::time::Duration::from_secs(2)) };
            recording(|r| r.meta = Some(meta));
            tokio::task::yield_now().await;
            // Outside the call, nothing is recorded.
            let inner = observe(async { 1 }).await;
            tokio::task::yield_now().await;
            inner
        };
        let (inner, meta) = observe(call).await;
        assert_eq!(inner, (1, None));
        assert_eq!(
            meta,
            Some(ResponseMeta { status: 503, retry_after: Some(std::time::Duration::from_secs(2)) })
        );
        assert!(recording(|_| ()).is_none(), "the record is set only while the call is polled");
    }

    #[tokio::test]
    async fn observe_is_empty_without_a_response() {
        let (value, meta) = observe(async { 7 }).await;
        assert_eq!(value, 7);
        assert!(meta.is_none());
    }
}
