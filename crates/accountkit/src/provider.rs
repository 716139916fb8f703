//! What the provider modules share: the [`Provider`] trait each
//! implements, the [`Core`] client each wraps, the [`Call`] every operation
//! starts (it records each secret as it checks it, so the call's error is
//! scrubbed of them by construction), and the reading of a failed call.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use accountkit_runtime::{Auth, Context, Policy, RawClient, ResponseMeta};
use progenitor_client::{ClientInfo, ResponseValue};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::Value;

use crate::error::{Details, Error, ErrorKind, Result};
use crate::transport::Transport;
use crate::validate;

/// The longest error body read from an undocumented response.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// One operation of one provider, as named in errors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Op {
    pub provider: &'static str,
    pub name: &'static str,
}

impl Op {
    pub fn error(self, kind: ErrorKind, message: impl Into<String>) -> Error {
        Error::new(kind, self.provider, self.name, message)
    }

    pub fn invalid(self, field: &str, problem: &str) -> Error {
        Error::invalid_input(self.provider, self.name, field, problem)
    }
}

/// What a provider module tells the shared code about its API.
pub(crate) trait Provider: 'static {
    /// As named in errors and `tracing` spans, e.g. `tagoio`.
    const NAME: &'static str;
    /// The raw client generated from the API description.
    type Raw: RawClient + ClientInfo<Context> + Clone + Send + Sync;

    /// Reads the vendor's error body.
    fn read_error(body: &Value) -> VendorError;

    /// Adjusts an error whose HTTP status misleads.
    fn refine(error: Error) -> Error {
        error
    }
}

/// A provider's raw client with the facade's settings: what each module's
/// `Client` wraps. Cloning shares the connection pool.
pub(crate) struct Core<P: Provider> {
    raw: P::Raw,
}

impl<P: Provider> Clone for Core<P> {
    fn clone(&self) -> Self {
        Core { raw: self.raw.clone() }
    }
}

impl<P: Provider> std::fmt::Debug for Core<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `Auth` shows its header's name, never its value.
        f.debug_struct("Core").field("base_url", &self.base_url()).field("auth", self.auth()).finish()
    }
}

impl<P: Provider> Core<P> {
    /// The raw client for `base_url`, once its scheme is checked. `policy`
    /// is the transport's, or a provider's variation of it.
    pub fn new(base_url: &str, auth: Auth, transport: &Transport, policy: Policy) -> Result<Self> {
        let op = Op { provider: P::NAME, name: "client" };
        let http = transport.http_client(op)?;
        transport.check_scheme(op, base_url)?;
        Ok(Core { raw: P::Raw::with_context(base_url, http, Context::new(auth, policy)) })
    }

    pub fn raw(&self) -> &P::Raw {
        &self.raw
    }

    pub fn base_url(&self) -> &str {
        self.raw.baseurl()
    }

    pub fn auth(&self) -> &Auth {
        &self.raw.inner().auth
    }

    /// The same connection pool and policy with other credentials.
    pub fn with_auth(&self, auth: Auth) -> Self {
        let context = self.raw.inner().with_auth(auth);
        Core { raw: P::Raw::with_context(self.base_url(), self.raw.client().clone(), context) }
    }

    /// Starts a call of the operation `name`.
    pub fn call<'a>(&self, name: &'static str) -> Call<'a> {
        Call::new(Op { provider: P::NAME, name })
    }

    /// Sends a raw call and `open`s its answer (an envelope, say). Any
    /// failure is read with the provider's error reader, refined, and
    /// scrubbed of the call's secrets and the client's credential.
    pub fn send<'a, T, E, U>(
        &'a self,
        call: Call<'a>,
        raw: impl Future<Output = std::result::Result<ResponseValue<T>, progenitor_client::Error<E>>> + 'a,
        open: fn(Op, ResponseValue<T>) -> Result<U>,
    ) -> impl Future<Output = Result<U>> + 'a
    where
        T: 'a,
        U: 'a,
        E: serde::Serialize + Send + 'static,
    {
        let raw = accountkit_runtime::observe(raw);
        async move {
            let op = call.op;
            // Matched in a `let` that ends before the failure is awaited, so
            // the call's state keeps no room for the answer across it.
            let failing = match settled(op, raw.await, P::read_error) {
                Ok(response) => return open(op, response).map_err(|e| call.scrub(e, self.auth())),
                Err(failing) => failing,
            };
            Err(call.scrub(P::refine(failing.await), self.auth()))
        }
    }
}

/// One call of one operation: its name for errors, and the secrets it
/// sends, recorded by the checks that let them through.
#[derive(Clone)]
pub(crate) struct Call<'a> {
    op: Op,
    secrets: Vec<&'a str>,
}

impl<'a> Call<'a> {
    pub fn new(op: Op) -> Self {
        Call { op, secrets: Vec::new() }
    }

    pub fn op(&self) -> Op {
        self.op
    }

    /// The secrets recorded so far.
    pub fn secrets(&self) -> &[&'a str] {
        &self.secrets
    }

    /// Records a secret the call sends, checked elsewhere.
    pub fn record(&mut self, secret: &'a str) -> &'a str {
        self.secrets.push(secret);
        secret
    }

    /// A secret sent in a body: non-empty, no control characters.
    pub fn secret(&mut self, field: &str, value: &'a SecretString) -> Result<&'a str> {
        let value = self.record(value.expose_secret());
        validate::secret(self.op, field, value)?;
        Ok(value)
    }

    /// A one-time code: 4 to 10 digits.
    pub fn pin(&mut self, field: &str, value: &'a SecretString) -> Result<&'a str> {
        let value = self.record(value.expose_secret());
        validate::pin(self.op, field, value)?;
        Ok(value)
    }

    /// A secret sent as one path segment (an emailed token, say).
    pub fn secret_segment(&mut self, field: &str, value: &'a SecretString) -> Result<&'a str> {
        let value = self.record(value.expose_secret());
        validate::path_segment(self.op, field, value)?;
        Ok(value)
    }

    pub fn invalid(&self, field: &str, problem: &str) -> Error {
        self.op.invalid(field, problem)
    }

    /// `error` without the call's secrets or the client's credential.
    pub fn scrub(&self, error: Error, auth: &Auth) -> Error {
        error.scrub_with_token(&self.secrets, auth.expose_secret())
    }
}

/// `Authorization: Bearer <token>`, once the token is checked fit for a
/// header (visible ASCII, not blank, not too long).
pub(crate) fn bearer(op: Op, field: &str, token: &SecretString) -> Result<Auth> {
    Auth::bearer(token.expose_secret()).map_err(|why| op.invalid(field, why.problem()))
}

/// What a provider reads out of an error body.
#[derive(Debug, Default)]
pub(crate) struct VendorError {
    pub code: Option<String>,
    pub message: Option<String>,
    /// The body says "error" even though the HTTP status may not.
    pub is_error: bool,
    pub second_factor: Option<String>,
    pub details: Details,
}

/// Reads a provider's error body.
pub(crate) type ReadError = fn(&Value) -> VendorError;

/// An error for a response the vendor marked as failed.
pub(crate) fn vendor_error(op: Op, status: u16, vendor: VendorError, retry_after: Option<Duration>) -> Error {
    let kind =
        if (200..300).contains(&status) { ErrorKind::Rejected } else { ErrorKind::from_status(status) };
    let message = vendor.message.unwrap_or_else(|| format!("HTTP {status} with no message"));
    let mut error = op
        .error(kind, message)
        .with_status(status)
        .with_code(vendor.code)
        .with_retry_after(retry_after)
        .with_details(vendor.details);
    if let Some(hint) = vendor.second_factor {
        error = error.with_second_factor(hint);
    }
    error
}

/// The translation of a failed call, still to be awaited.
pub(crate) type Failing = Pin<Box<dyn Future<Output = Error> + Send>>;

/// An observed call's answer, or its failure to translate. Callers match
/// on it in a `let` that ends before they await the failure, so that no
/// call's state keeps room for the answer across that await.
pub(crate) fn settled<T, E: serde::Serialize + Send + 'static>(
    op: Op,
    (result, meta): (
        Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
        Option<ResponseMeta>,
    ),
    read: ReadError,
) -> Result<progenitor_client::ResponseValue<T>, Failing> {
    result.map_err(|e| failure(op, e, meta, read))
}

/// Translates a raw client failure. `meta` is the response the call saw, if
/// any; it supplies the status the generated client drops on a bad body.
///
/// Boxed: it is the rare path, and inline it would grow every call's future.
pub(crate) fn failure<E: serde::Serialize + Send + 'static>(
    op: Op,
    err: progenitor_client::Error<E>,
    meta: Option<ResponseMeta>,
    read: ReadError,
) -> Failing {
    Box::pin(translate(op, err, meta, read))
}

async fn translate<E: serde::Serialize>(
    op: Op,
    err: progenitor_client::Error<E>,
    meta: Option<ResponseMeta>,
    read: ReadError,
) -> Error {
    use progenitor_client::Error as Raw;
    match err {
        Raw::ErrorResponse(response) => {
            let status = response.status().as_u16();
            let wait = retry_after(response.headers());
            let body = serde_json::to_value(response.into_inner()).unwrap_or(Value::Null);
            vendor_error(op, status, read(&body), wait)
        }
        Raw::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let wait = retry_after(response.headers());
            let body = read_bounded(response, MAX_ERROR_BODY).await;
            from_body(op, status, &body, read, wait)
        }
        Raw::InvalidResponsePayload(body, cause) => match meta {
            // serde's error is not kept as a source: its text can quote the body.
            Some(meta) => from_body(op, meta.status, &body, read, meta.retry_after),
            None => decode_error(op, None, &cause),
        },
        Raw::CommunicationError(e) | Raw::ResponseBodyError(e) => transport(op, e),
        Raw::InvalidRequest(message) | Raw::Custom(message) => op.error(ErrorKind::InvalidInput, message),
        Raw::InvalidUpgrade(e) => transport(op, e),
    }
}

/// An error from a body that may or may not be the vendor's error shape.
fn from_body(op: Op, status: u16, body: &[u8], read: ReadError, wait: Option<Duration>) -> Error {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => {
            let vendor = read(&value);
            if vendor.is_error || !(200..300).contains(&status) {
                vendor_error(op, status, vendor, wait)
            } else {
                op.error(ErrorKind::Decode, "the response body does not have the documented shape")
                    .with_status(status)
            }
        }
        Err(cause) if (200..300).contains(&status) => decode_error(op, Some(status), &cause),
        Err(_) => {
            let kind = ErrorKind::from_status(status);
            let what = if body.is_empty() { "an empty body" } else { "a body that is not JSON" };
            op.error(kind, format!("HTTP {status} with {what}")).with_status(status).with_retry_after(wait)
        }
    }
}

/// Describes a JSON fault by position only: serde's own message can quote
/// the body, which may hold a token.
pub(crate) fn decode_error(op: Op, status: Option<u16>, cause: &serde_json::Error) -> Error {
    use serde_json::error::Category;
    let what = match cause.classify() {
        Category::Io => "could not be read",
        Category::Syntax => "is not valid JSON",
        Category::Data => "does not have the documented shape",
        Category::Eof => "ends early",
    };
    let error = op.error(
        ErrorKind::Decode,
        format!("the response body {what} (line {}, column {})", cause.line(), cause.column()),
    );
    match status {
        Some(status) => error.with_status(status),
        None => error,
    }
}

pub(crate) fn transport(op: Op, e: reqwest::Error) -> Error {
    // The URL can carry tokens in its path.
    let e = e.without_url();
    if let Some(limit) = accountkit_runtime::BodyTooLarge::find(&e) {
        return op.error(ErrorKind::Decode, limit.to_string());
    }
    if let Some(redirect) = accountkit_runtime::Redirected::find(&e) {
        return op.error(ErrorKind::Redirected, redirect.to_string()).with_status(redirect.status);
    }
    if let Some(late) = accountkit_runtime::deadline::TimedOut::find(&e) {
        let message = format!("the request timed out: {late}");
        return op.error(ErrorKind::Transport, message).with_timeout(true).with_source(e);
    }
    let mut message = if e.is_timeout() {
        "the request timed out".to_string()
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        "the request failed".to_string()
    };
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    let timeout = e.is_timeout();
    op.error(ErrorKind::Transport, message).with_timeout(timeout).with_source(e)
}

/// At most `limit` bytes of an answer's body: enough to read an error or
/// an envelope, never a body without end.
pub(crate) async fn read_bounded(mut response: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = limit - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    body
}

/// `Retry-After` as seconds or an HTTP date.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    accountkit_runtime::retry_after(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_scrubs_every_secret_it_checked_and_the_credential() {
        let (password, pin, segment) = (
            SecretString::from("hunter2-password"),
            SecretString::from("123456"),
            SecretString::from("emailed-token-77"),
        );
        let mut call = Call::new(Op { provider: "p", name: "o" });
        call.secret("password", &password).unwrap();
        call.pin("pin", &pin).unwrap();
        call.secret_segment("token", &segment).unwrap();
        call.record("recorded-record-id");
        let auth = Auth::bearer("client-credential-9").unwrap();
        let echo = "hunter2-password 123456 emailed-token-77 recorded-record-id client-credential-9";
        let error =
            call.scrub(call.op().error(ErrorKind::Rejected, echo).with_code(Some(echo.into())), &auth);
        let shown = format!("{error} {error:?}");
        for secret in ["hunter2", "123456", "emailed-token", "recorded-record", "client-credential"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        // A refused secret is recorded too, and the refusal names the field only.
        let blank = SecretString::from("");
        let err = Call::new(Op { provider: "p", name: "o" }).secret("new_password", &blank).unwrap_err();
        assert_eq!(err.message(), "`new_password` is empty");
        let bad_pin = SecretString::from("12ab");
        assert!(Call::new(Op { provider: "p", name: "o" }).pin("pin", &bad_pin).is_err());
    }

    #[test]
    fn decode_errors_never_quote_the_body() {
        let cause = serde_json::from_str::<u32>("\"tok-secret-value\"").unwrap_err();
        let err = decode_error(Op { provider: "p", name: "o" }, Some(200), &cause);
        assert!(!format!("{err} {err:?}").contains("tok-secret-value"));
        assert_eq!(err.kind(), ErrorKind::Decode);
    }
}
