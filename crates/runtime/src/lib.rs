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

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::cell::RefCell;
use std::fmt;
use std::pin::Pin;
use std::task::{self, Poll};

use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub mod deadline;
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
}

impl Context {
    /// A credential under a policy.
    pub fn new(auth: Auth, policy: Policy) -> Self {
        Context { auth, policy }
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

    /// Readies a request: drops progenitor's `api-version` header (these APIs
    /// are not versioned that way), sets the `User-Agent`, and attaches the
    /// credential exactly when the operation is not anonymous. A URL or a
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
        headers.remove("api-version");
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

tokio::task_local! {
    static LAST_RESPONSE: RefCell<Option<ResponseMeta>>;
}

/// Runs one raw-client call and returns, beside its output, the status and
/// headers of the last response it received, which generated clients drop
/// when a body fails to decode.
///
/// The call is moved to the heap once, here: a generated client's future
/// runs to kilobytes, and every `async fn` layer around it would otherwise
/// hold (and copy) it again.
pub fn observe<F: Future>(call: F) -> Observed<F> {
    Observed { call: Box::pin(call), meta: None }
}

/// The future [`observe`] returns. Each poll runs the call with the slot
/// set for this task (one layer, where tokio's `TaskLocalFuture` and a
/// wrapper around the call would be two that each hand the output on).
pub struct Observed<F: Future> {
    call: Pin<Box<F>>,
    /// What the call recorded so far, kept between polls.
    meta: Option<ResponseMeta>,
}

impl<F: Future> Future for Observed<F> {
    type Output = (F::Output, Option<ResponseMeta>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut task::Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let (poll, meta) = LAST_RESPONSE.sync_scope(RefCell::new(this.meta.take()), || {
            let poll = this.call.as_mut().poll(cx);
            (poll, LAST_RESPONSE.with(|slot| slot.borrow_mut().take()))
        });
        match poll {
            Poll::Ready(output) => Poll::Ready((output, meta)),
            Poll::Pending => {
                this.meta = meta;
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut request = reqwest::Request::new(reqwest::Method::GET, "http://127.0.0.1/x".parse().unwrap());
        request.headers_mut().insert("api-version", HeaderValue::from_static("1"));
        request
    }

    #[test]
    fn prepare_attaches_credentials_only_where_needed() {
        let auth = Auth::header("token", "abc").unwrap();
        let mut secured = request();
        hooks::prepare(&mut secured, &auth, "info", &["login"]).unwrap();
        assert_eq!(secured.headers()["token"], "abc");
        assert!(secured.headers()["token"].is_sensitive());
        assert!(secured.headers().get("api-version").is_none());
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
            let _ = LAST_RESPONSE.try_with(|slot| *slot.borrow_mut() = Some(meta));
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
        assert!(LAST_RESPONSE.try_with(|_| ()).is_err(), "the slot is set only while the call is polled");
    }

    #[tokio::test]
    async fn observe_is_empty_without_a_response() {
        let (value, meta) = observe(async { 7 }).await;
        assert_eq!(value, 7);
        assert!(meta.is_none());
    }
}
