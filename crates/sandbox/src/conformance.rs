//! Checks that the REST fakes answer what the API descriptions say.
//!
//! With the `conformance` feature (the sandbox's own tests and the
//! end-to-end suite turn it on), every request to the TagoIO, Cycle, Logto
//! and Pangea fakes is matched to its operation in the OpenAPI description
//! the client was generated from, by method and path template. Then:
//!
//! - the answer's status must be one the operation documents, and its body
//!   must validate against that response's schema;
//! - a request the fake accepts (2xx) must validate against the operation's
//!   request body schema.
//!
//! A failure is a `Violation`; `Sandbox::conformance_violations`
//! lists a sandbox's, and dropping a sandbox that has any panics, so every
//! test that starts one is checked. Which fields the answers carried, and
//! which request fields the fakes accepted, is kept for the whole process:
//! `coverage` names the fields of the descriptions that no answer sent
//! and no accepted request carried. With `ACCOUNTKIT_SANDBOX_CONFORMANCE`
//! set to a directory, each test process also writes what it saw there, and
//! `coverage_in` adds up every process's.
//!
//! Without the feature the fakes are served as they are and this module is
//! empty.
//!

#[cfg(feature = "conformance")]
mod spec;

#[cfg(feature = "conformance")]
pub use spec::{Coverage, Violation, coverage, coverage_in};

#[cfg(feature = "conformance")]
pub(crate) use spec::Checks;
#[cfg(all(test, feature = "conformance"))]
pub(crate) use spec::{request_properties, schema_properties};

/// Without the feature: nothing is checked.
#[cfg(not(feature = "conformance"))]
#[derive(Debug, Clone, Default)]
pub(crate) struct Checks(());

#[cfg(not(feature = "conformance"))]
impl Checks {
    pub(crate) fn layer(&self, _provider: &'static str, router: axum::Router) -> axum::Router {
        router
    }

    pub(crate) fn finish(&self) {}
}
