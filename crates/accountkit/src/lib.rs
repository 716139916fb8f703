//! Typed async clients for the account and authentication self-service APIs
//! of several platforms, one module and one cargo feature per provider:
//!
//! | feature | module | API |
//! |---|---|---|
//! | `tagoio` | [`tagoio`] | TagoIO account |
//! | `stx` | [`stx`] | STX (SportsX) GraphQL auth and two-factor |
//! | `cycle` | [`cycle`] | Cycle platform accounts |
//! | `logto` | [`logto`] | Logto My Account and verification records |
//! | `pangea` | [`pangea`] | Pangea AuthN user management |
//!
//! `full` turns every provider on.
//!
//! ```
//! # #[cfg(feature = "tagoio")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sandbox = accountkit_sandbox::Sandbox::start().await?;
//! # let ada = sandbox.tagoio().add_account("ada@example.com", "correct horse");
//! # let (region, token) = (Region::Custom(sandbox.tagoio().base_url()), ada.token);
//! use accountkit::ErrorKind;
//! use accountkit::tagoio::{Client, Region};
//!
//! // `Region::UsEast1` in real use; the examples talk to a local sandbox.
//! let client = Client::new(region.clone(), token)?;
//! let account = client.info().await?;
//! assert_eq!(account.email, "ada@example.com");
//!
//! let revoked = Client::new(region, "a-revoked-token")?;
//! match revoked.info().await {
//!     Ok(account) => println!("{}", account.name),
//!     Err(e) if e.kind() == ErrorKind::Unauthorized => assert_eq!(e.status(), Some(401)),
//!     Err(e) if e.is_retryable() => eprintln!("try again later: {e}"),
//!     Err(e) => return Err(e.into()),
//! }
//! # Ok(()) }
//! # #[cfg(not(feature = "tagoio"))] fn main() {}
//! ```
//!
//! Every call returns [`Result`], whose [`Error`] carries the HTTP status,
//! the vendor's code and message and a [`ErrorKind`] to branch on, and never
//! a secret. Passwords, tokens and PINs travel as
//! [`SecretString`], which never prints.
//!
//! Every provider's `ClientBuilder` takes the same transport settings:
//! `timeout`, `connect_timeout`, `retry` (a [`RetryPolicy`]: only operations
//! safe to repeat are retried), `max_response_bytes` and
//! `allow_insecure_http` (plain `http://` is refused unless the host is a
//! loopback address). Each request is a `tracing` span, `accountkit.request`.
//!
//! # Signatures
//!
//! One set of rules holds for all five providers:
//!
//! - **Secrets** (passwords, tokens, PINs, one-time codes) are
//!   `impl` [`IntoSecret`]: a `&str`, a `String`, a [`SecretString`] or a
//!   `&SecretString`, so a literal needs no wrapping and a secret accountkit
//!   returned goes back as it is. A secret a call may go without is an
//!   `Option<SecretString>`. Secrets are kept only as `SecretString`, and
//!   no `Debug` output shows them.
//! - **Client methods borrow** their arguments: `&str` for ids, emails and
//!   other text, `&T` for requests, queries and records, so one value can be
//!   sent again. Small `Copy` enums (such as `tagoio::OtpType`) go by value,
//!   and so does a set of pairs the call only reads once (Logto's
//!   `verify_social` takes any `IntoIterator`, so an array literal works).
//! - **Constructors and builder setters take ownership** (`impl Into<String>`,
//!   `impl IntoSecret`), because they keep the value.
//! - **A request of required parts only** is a constructor (`new`, `from_parts`);
//!   **one with optional parts** is a builder: `new(required…)` and then one
//!   chained setter per optional part. No struct a caller builds is
//!   `#[non_exhaustive]` without one of the two.
//! - **What a call returns** is a plain struct with public fields, marked
//!   `#[non_exhaustive]` so new vendor fields are not breaking changes.
//! - **Every call is `async`** and returns [`Result`]; lists that span pages
//!   also come as a `Stream` (`futures::Stream`) of items.
//!
//! No vendor field is dropped without a decision. Every conversion from a
//! generated type takes it apart field by field, with no `..`: a field the
//! vendor's description gains is a compile error at the line that must
//! decide, and a field left out is bound as `field: _` beside the reason.
//! Every generated request is built as a struct literal naming each field
//! (never `..Default::default()`), so a new request field must be decided
//! on too.
//!
//! The sandbox (`accountkit-sandbox`) follows the same rules: its handles
//! borrow text, take test passwords as `impl Into<SecretString>` and hand
//! out tokens, PINs and codes as `SecretString`, ready to pass to a client.
//!
//! ```
//! # #[cfg(feature = "stx")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sandbox = accountkit_sandbox::Sandbox::start().await?;
//! # sandbox.stx().add_user("ada@example.com", "correct horse", false);
//! # let host = Host::Custom(sandbox.stx().base_url());
//! use accountkit::SecretString;
//! use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
//!
//! let stx = Client::new(host)?; // a setter or constructor takes ownership
//! let password = SecretString::from("correct horse");
//! // A literal, a `String`, a `SecretString` or a borrowed one: all the same.
//! let credentials = Credentials::new("ada@example.com", &password);
//! // A call borrows: the same credentials can be sent again.
//! let LoginOutcome::LoggedIn(session) = stx.login(&credentials).await? else { unreachable!() };
//! assert!(matches!(stx.login(&credentials).await?, LoginOutcome::LoggedIn(_)));
//! // A secret a call may go without: `Option<SecretString>`.
//! session.enable_2fa(Some("correct horse".into())).await?;
//! # Ok(()) }
//! # #[cfg(not(feature = "stx"))] fn main() {}
//! ```
//!
//! TLS: the `rustls` feature (on by default: rustls with the `ring`
//! provider and the platform's certificate verifier) or `native-tls`. To
//! pass a `reqwest::Client` of your own to a builder's `http_client`, start
//! from [`http_client_builder`], which carries that TLS set-up: with the
//! `rustls` feature reqwest has no crypto provider of its own, and
//! `reqwest::Client::new()` needs one installed for the process (unless
//! another crate turns on reqwest's own `rustls` or `native-tls` feature).
//! Every builder's `add_root_certificate` trusts a CA beside the platform's
//! roots (a TLS-inspecting corporate proxy's, say).

#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Parts of the shared machinery serve only some providers: all of it is in
// use only with every provider on.
#![cfg_attr(not(feature = "full"), allow(dead_code, unused_imports, unused_macros))]

mod error;
// Only the providers with paged listings need `futures`.
#[cfg(any(feature = "cycle", feature = "pangea"))]
mod pages;
mod provider;
mod scrub;
mod secret;
mod transport;
mod validate;

pub use accountkit_runtime::RetryPolicy;
pub use error::{Error, ErrorKind, FieldError, Result};
#[cfg(any(feature = "cycle", feature = "pangea"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "cycle", feature = "pangea"))))]
pub use pages::{Items, Page, Pages};
pub use secret::IntoSecret;
pub use transport::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, http_client_builder};

// The README's examples compile as doctests.
#[cfg(all(
    doctest,
    feature = "tagoio",
    feature = "cycle",
    feature = "logto",
    feature = "pangea",
    feature = "stx"
))]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
/// The date and time types public signatures use
/// (`chrono::DateTime<chrono::Utc>`, `chrono::NaiveDate`), so callers need
/// no `chrono` dependency of their own to name them.
#[doc(no_inline)]
pub use chrono;
#[doc(no_inline)]
pub use secrecy::{self, ExposeSecret, SecretString};

// One module per provider, behind its feature.
#[cfg(feature = "cycle")]
#[cfg_attr(docsrs, doc(cfg(feature = "cycle")))]
pub mod cycle;
#[cfg(feature = "logto")]
#[cfg_attr(docsrs, doc(cfg(feature = "logto")))]
pub mod logto;
#[cfg(feature = "pangea")]
#[cfg_attr(docsrs, doc(cfg(feature = "pangea")))]
pub mod pangea;
#[cfg(feature = "stx")]
#[cfg_attr(docsrs, doc(cfg(feature = "stx")))]
pub mod stx;
#[cfg(feature = "tagoio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tagoio")))]
pub mod tagoio;

/// An enum of the values a vendor documents today, with `Other` for the
/// ones it adds tomorrow.
macro_rules! open_enum {
    // The `as_str` example's lines on the first variant, if any.
    (@known $name:ident;) => { "" };
    (@known $name:ident; $variant:ident = $wire:literal $(, $rest:ident = $rest_wire:literal)*) => {
        concat!(
            "let known = ", stringify!($name), "::from(", stringify!($wire), ");\n",
            "assert_eq!(known, ", stringify!($name), "::", stringify!($variant), ");\n",
            "assert_eq!(known.as_str(), ", stringify!($wire), ");\n",
        )
    };
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this version of accountkit does not know.
            Other(String),
        }

        impl $name {
            /// The wire name.
            ///
            #[doc = concat!(
                "```\n",
                "# #![allow(unused)]\n",
                "# // The type's own module, wherever the enum is defined.\n",
                "# mod accountkit {\n",
                "#     #[cfg(feature = \"cycle\")] pub mod cycle { pub use ::accountkit::cycle::*; pub mod types { pub use ::accountkit::cycle::*; } }\n",
                "#     #[cfg(feature = \"logto\")] pub mod logto { pub use ::accountkit::logto::*; pub mod types { pub use ::accountkit::logto::*; } }\n",
                "#     #[cfg(feature = \"pangea\")] pub mod pangea { pub use ::accountkit::pangea::*; pub mod types { pub use ::accountkit::pangea::*; } }\n",
                "#     #[cfg(feature = \"stx\")] pub mod stx { pub use ::accountkit::stx::*; pub mod types { pub use ::accountkit::stx::*; } }\n",
                "#     #[cfg(feature = \"tagoio\")] pub mod tagoio { pub use ::accountkit::tagoio::*; pub mod types { pub use ::accountkit::tagoio::*; } }\n",
                "# }\n",
                "# use self::", module_path!(), "::", stringify!($name), ";\n",
                "# fn main() {\n",
                $crate::open_enum!(@known $name; $($variant = $wire),*),
                "// A value added after this version of accountkit: kept as it came.\n",
                "let new = ", stringify!($name), "::from(\"added-next-year\");\n",
                "assert_eq!(new, ", stringify!($name), "::Other(\"added-next-year\".into()));\n",
                "assert_eq!(new.as_str(), \"added-next-year\");\n",
                "# }\n",
                "```",
            )]
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::Other(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($wire => Self::$variant,)*
                    other => Self::Other(other.to_string()),
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match value.as_str() {
                    $($wire => Self::$variant,)*
                    _ => Self::Other(value),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self::from)
            }
        }
    };
}
pub(crate) use open_enum;
