//! The hand-written runtime that accountkit's generated raw clients share.
//!
//! - [`auth`]: [`Sensitive`], the type generated code uses for `format:
//!   password` strings, and [`Auth`], the credential header a request
//!   carries.
//! - [`hooks`]: what each raw crate's `ClientHooks` impl and generated code
//!   call ([`Context`] is a raw client's inner value), so the cross-cutting
//!   request policy lives in one place.
//! - [`transport`]: [`RetryPolicy`] and [`Policy`], retries, the response
//!   size limit and `tracing` spans, applied to every request; [`deadline`]
//!   is the time an attempt may take.
//! - [`errors`]: what a refused or oversized response fails with.
//! - [`observe`](mod@observe): the HTTP status and `Retry-After` of the
//!   response an operation got, even when the generated client dropped them.
//! - [`timestamp`]: the dates a facade reads out of string fields.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod deadline;
pub mod errors;
pub mod hooks;
pub mod observe;
pub mod timestamp;
pub mod transport;

pub use auth::{Auth, InvalidCredential, MAX_HEADER_VALUE, Sensitive};
pub use errors::{BodyTooLarge, Redirected, origin_of};
pub use hooks::{Context, MAX_URL, USER_AGENT, encode_path_segment};
pub use observe::{ResponseMeta, observe};
pub use transport::{
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, Policy, RetryPolicy, is_retryable_status, retry_after,
};

/// A generated raw client, built on a `reqwest` client and a [`Context`]:
/// what the facade's shared provider code builds each provider's from.
pub trait RawClient: Sized {
    /// The client for `base_url`.
    fn with_context(base_url: &str, http: reqwest::Client, context: Context) -> Self;
}

/// The [`RawClient`] and `ClientHooks` impls of a progenitor-generated raw
/// client, expanded in
/// the raw crate after the `include!` of its generated code (the impl must
/// live beside the generated `Client`, which it names along with the
/// generated `Error`, `ANONYMOUS_OPERATIONS` and `IDEMPOTENT_OPERATIONS`).
#[macro_export]
macro_rules! client_hooks {
    () => {
        impl $crate::RawClient for Client {
            fn with_context(base_url: &str, http: ::reqwest::Client, context: $crate::Context) -> Self {
                Client::new_with_client(base_url, http, context)
            }
        }

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
                $crate::transport::execute(
                    &self.client,
                    &self.inner.policy,
                    request,
                    info.operation_id,
                    IDEMPOTENT_OPERATIONS,
                )
            }
        }
    };
}
