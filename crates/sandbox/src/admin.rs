//! The admin API under `/_sandbox/`: the provider handles' API over HTTP,
//! for tests in any language and any process. Every answer is JSON.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let sandbox = accountkit_sandbox::Sandbox::start().await?;
//! # let http = accountkit::http_client_builder()?.build()?;
//! use serde_json::Value;
//!
//! sandbox.tagoio().invite("bob@example.com");
//! let admin = format!("http://{}/_sandbox", sandbox.addr());
//! let outbox: Value = http.get(format!("{admin}/outbox?provider=tagoio")).send().await?.json().await?;
//! assert_eq!(outbox[0]["kind"], "invitation");
//! assert!(outbox[0]["secret"].is_string(), "the token itself, in plain text");
//! # Ok(()) }
//! ```
//!
//! | request | does |
//! |---|---|
//! | `GET /_sandbox/outbox?provider=&to=&after=&limit=` | the messages the fakes "sent", oldest first: `seq`, `provider`, `to`, `kind`, `secret` |
//! | `GET /_sandbox/requests?provider=&after=&limit=` | the requests the fakes received, oldest first: `seq`, `provider`, `method`, `path` (no bodies) |
//! | `POST /_sandbox/reset` | empties every fake |
//! | `POST /_sandbox/clock` `{"advance_seconds": N}` | moves every fake's clock forward |
//! | `POST /_sandbox/tagoio/accounts` `{"email", "password"}` | [`TagoIo::add_account`](crate::tagoio::TagoIo::add_account): `{"profile_id", "token"}` |
//! | `GET /_sandbox/tagoio/authenticator-code?email=` | [`TagoIo::authenticator_code`](crate::tagoio::TagoIo::authenticator_code) |
//! | `POST /_sandbox/tagoio/invitations` `{"email"}` | [`TagoIo::invite`](crate::tagoio::TagoIo::invite): `{"token"}` |
//! | `GET /_sandbox/tagoio/invitations/{token}` | [`TagoIo::invitation_state`](crate::tagoio::TagoIo::invitation_state) |
//! | `POST /_sandbox/cycle/accounts` `{"email", "first", "last", "password"}` | [`Cycle::create_account`](crate::cycle::Cycle::create_account): `{"token"}` |
//! | `POST /_sandbox/cycle/sign-in` `{"email", "password", "totp_code"?}` | [`Cycle::sign_in`](crate::cycle::Cycle::sign_in): `{"token"}` |
//! | `POST /_sandbox/cycle/hubs` `{"email"}` | [`Cycle::add_hub`](crate::cycle::Cycle::add_hub): `{"hub_id"}` |
//! | `DELETE /_sandbox/cycle/hubs/{id}` | [`Cycle::remove_hub`](crate::cycle::Cycle::remove_hub) |
//! | `POST /_sandbox/cycle/invites` `{"email"}` | [`Cycle::invite`](crate::cycle::Cycle::invite): `{"id"}` |
//! | `GET /_sandbox/cycle/totp?email=` | the account's TOTP secret and the code an authenticator shows now |
//! | `GET /_sandbox/cycle/jobs` | [`Cycle::jobs`](crate::cycle::Cycle::jobs) |
//! | `POST /_sandbox/logto/users` `{"email", "password"}` | [`Logto::add_user`](crate::logto::Logto::add_user): `{"access_token"}` |
//! | `POST /_sandbox/logto/social-users` `{"social_code"}` | [`Logto::add_social_user`](crate::logto::Logto::add_social_user): `{"access_token"}` |
//! | `POST /_sandbox/logto/read-only` `{"field"}` | [`Logto::make_read_only`](crate::logto::Logto::make_read_only) |
//! | `GET /_sandbox/logto/passkeys?email=` | [`Logto::passkeys_of`](crate::logto::Logto::passkeys_of) |
//! | `GET /_sandbox/pangea/tokens` | the service and client tokens: `{"service_token", "client_token"}` |
//! | `POST /_sandbox/pangea/users` `{"count"}` | [`Pangea::seed_users`](crate::pangea::Pangea::seed_users): `{"ids"}` |
//! | `POST /_sandbox/pangea/passwords` `{"email", "password"}` | [`Pangea::set_password`](crate::pangea::Pangea::set_password) |
//! | `POST /_sandbox/pangea/authenticators` `{"email", "kind"}` | [`Pangea::add_authenticator`](crate::pangea::Pangea::add_authenticator): `{"id"}` |
//! | `POST /_sandbox/pangea/lock-out` `{"email"}` | [`Pangea::lock_out`](crate::pangea::Pangea::lock_out) |
//! | `POST /_sandbox/pangea/login-codes` `{"email"}` | [`Pangea::login_code`](crate::pangea::Pangea::login_code): `{"code"}` |
//! | `POST /_sandbox/pangea/accept-next` `{"polls"}` | [`Pangea::accept_next`](crate::pangea::Pangea::accept_next) |
//! | `POST /_sandbox/stx/users` `{"email", "password", "two_factor"}` | [`Stx::add_user`](crate::stx::Stx::add_user): `{"id"}` |
//! | `POST /_sandbox/stx/token-lifetime` `{"seconds"}` | [`Stx::set_token_lifetime`](crate::stx::Stx::set_token_lifetime) |
//! | `POST /_sandbox/stx/revoke-access-tokens` | [`Stx::revoke_access_tokens`](crate::stx::Stx::revoke_access_tokens) |
//! | `GET /_sandbox/stx/users/{email}` | `{"two_factor", "profile"}` of the user |
//!
//! The two reads are paged: at most `limit` entries (default 1000, at most
//! 10,000) placed after `seq` number `after`; while more are left, a
//! `link: <...>; rel="next"` header gives the next page's address. Each
//! fake keeps only its newest [`Limits::journal_entries`](crate::Limits)
//! entries, and the `x-sandbox-dropped` header says how many older ones it
//! let go since the start or the last reset.
//!
//! A handle call, over HTTP or in-process, holds its fake's lock for its
//! whole length, so it sees and leaves the fake in a state no provider
//! request is halfway through. A reset takes the fakes one after another.

use std::collections::HashMap;
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::{Env, Fake, Fakes, Log, json_response};

/// A query's parameters.
pub(crate) type Params = HashMap<String, String>;

/// Path prefix of the admin API.
pub(crate) const PREFIX: &str = "/_sandbox";

#[derive(Clone)]
struct Admin {
    fakes: Fakes,
    env: Env,
}

pub(crate) fn router(fakes: Fakes, env: Env) -> Router {
    let mut all = Router::new()
        .route("/outbox", get(outbox))
        .route("/requests", get(requests))
        .route("/reset", post(reset))
        .route("/clock", post(clock))
        .with_state(Admin { fakes: fakes.clone(), env });
    for fake in fakes.all() {
        all = all.nest(&format!("/{}", fake.name()), fake.admin_routes());
    }
    all.fallback(unknown).layer(axum::middleware::from_fn(json_writes_only))
}

/// Refuses an admin write that is not `application/json`: a page open in
/// the developer's browser may send a form or `text/plain` anywhere, but
/// not JSON without the server's consent (CORS preflight, which is never
/// granted here).
async fn json_writes_only(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use axum::response::IntoResponse;
    let json = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if request.method() == axum::http::Method::GET || json {
        return next.run(request).await;
    }
    fail(StatusCode::UNSUPPORTED_MEDIA_TYPE, "admin writes take `content-type: application/json`")
        .into_response()
}

pub(crate) type Reply = Result<Response, Failure>;

/// An admin call that could not be done: `{"error": ...}` with a status.
pub(crate) struct Failure(StatusCode, String);

impl axum::response::IntoResponse for Failure {
    fn into_response(self) -> Response {
        json_response(self.0, json!({"error": self.1}))
    }
}

pub(crate) fn ok(body: Value) -> Reply {
    Ok(json_response(StatusCode::OK, body))
}

pub(crate) fn fail(status: StatusCode, message: impl Into<String>) -> Failure {
    Failure(status, message.into())
}

pub(crate) fn not_found(what: &str) -> Failure {
    fail(StatusCode::NOT_FOUND, format!("no {what}"))
}

async fn unknown() -> Failure {
    fail(StatusCode::NOT_FOUND, "no such admin route; see the README's sandbox section")
}

/// The JSON body, or a 400 naming what is wrong.
pub(crate) struct Body(pub(crate) serde_json::Map<String, Value>);

impl<S: Send + Sync> axum::extract::FromRequest<S> for Body {
    type Rejection = Failure;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Failure> {
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|_| fail(StatusCode::BAD_REQUEST, "the body could not be read"))?;
        if bytes.is_empty() {
            return Ok(Body(serde_json::Map::new()));
        }
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => Ok(Body(map)),
            _ => Err(fail(StatusCode::BAD_REQUEST, "the body must be a JSON object")),
        }
    }
}

impl Body {
    pub(crate) fn text(&self, key: &str) -> Result<&str, Failure> {
        self.0
            .get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| fail(StatusCode::BAD_REQUEST, format!("`{key}` (a string) is required")))
    }

    pub(crate) fn number(&self, key: &str) -> Result<u64, Failure> {
        self.0
            .get(key)
            .and_then(Value::as_u64)
            .ok_or_else(|| fail(StatusCode::BAD_REQUEST, format!("`{key}` (a whole number) is required")))
    }

    /// A number of seconds, at most [`crate::MAX_SECONDS`].
    pub(crate) fn seconds(&self, key: &str) -> Result<u64, Failure> {
        let seconds = self.number(key)?;
        if seconds > crate::MAX_SECONDS {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                format!("`{key}` must be at most {} (100 years)", crate::MAX_SECONDS),
            ));
        }
        Ok(seconds)
    }
}

pub(crate) fn param<'a>(query: &'a Params, key: &str) -> Result<&'a str, Failure> {
    query
        .get(key)
        .map(String::as_str)
        .ok_or_else(|| fail(StatusCode::BAD_REQUEST, format!("the `{key}` query parameter is required")))
}

/// `entry` with the fields of `more` added after its own.
fn merged(mut entry: Value, more: Value) -> Value {
    if let (Value::Object(entry), Value::Object(more)) = (&mut entry, more) {
        entry.extend(more);
    }
    entry
}

async fn outbox(State(admin): State<Admin>, Query(query): Query<Params>) -> Reply {
    read(&admin.fakes, "outbox", &query, |fake, read| fake.outbox(read))
}

async fn requests(State(admin): State<Admin>, Query(query): Query<Params>) -> Reply {
    read(&admin.fakes, "requests", &query, |fake, read| fake.requests(read))
}

/// Reads every fake the query asks for with `each`, and answers the page.
fn read(fakes: &Fakes, route: &str, query: &Params, each: impl Fn(&dyn Fake, &mut Read)) -> Reply {
    let mut read = Read::of(query)?;
    let wanted = |fake: &&dyn Fake| query.get("provider").is_none_or(|want| want == fake.name());
    for fake in fakes.all().into_iter().filter(wanted) {
        read.from = fake.name();
        each(fake, &mut read);
    }
    Ok(read.answer(route, query))
}

/// One paged admin read, `?provider=&to=&after=&limit=`: entries of one
/// provider (or all), placed after `after` in the sandbox's order, at most
/// `limit`; and what the fakes gave so far, each entry with its place.
#[derive(Default)]
pub(crate) struct Read {
    to: Option<String>,
    after: u64,
    limit: usize,
    /// The fake being read.
    from: &'static str,
    entries: Vec<(u64, Value)>,
    dropped: u64,
}

impl Read {
    const DEFAULT_LIMIT: usize = 1000;
    const MAX_LIMIT: usize = 10_000;

    fn of(query: &Params) -> Result<Read, Failure> {
        let number = |key: &str| {
            query
                .get(key)
                .map(|v| {
                    v.parse::<u64>()
                        .map_err(|_| fail(StatusCode::BAD_REQUEST, format!("`{key}` takes a whole number")))
                })
                .transpose()
        };
        let limit = number("limit")?.map_or(Read::DEFAULT_LIMIT as u64, |n| n);
        if !(1..=Read::MAX_LIMIT as u64).contains(&limit) {
            return Err(fail(StatusCode::BAD_REQUEST, format!("`limit` takes 1 to {}", Read::MAX_LIMIT)));
        }
        Ok(Read {
            to: query.get("to").cloned(),
            after: number("after")?.unwrap_or(0),
            limit: limit as usize,
            ..Read::default()
        })
    }

    /// Takes the messages of one fake's outbox sent to the `to` asked for,
    /// `sent` telling each as `(to, kind, secret, extra fields)`.
    pub(crate) fn messages<T>(&mut self, log: &Log<T>, sent: impl Fn(&T) -> (&str, &str, &str, Value)) {
        let want = self.to.clone();
        let addressed = |m: &T| want.as_deref().is_none_or(|want| want == sent(m).0);
        self.add(log, addressed, |m| {
            let (to, kind, secret, extra) = sent(m);
            merged(json!({"to": to, "kind": kind, "secret": secret}), extra)
        });
    }

    /// Takes one fake's request log, `json` telling each request's fields.
    pub(crate) fn requests<T>(&mut self, log: &Log<T>, json: impl Fn(&T) -> Value) {
        self.add(log, |_| true, json);
    }

    /// Takes the entries `keep` wants from one fake's journal; only the
    /// first `limit` of them are turned into JSON, since no more can be on
    /// the page.
    fn add<T>(&mut self, log: &Log<T>, keep: impl Fn(&T) -> bool, json: impl Fn(&T) -> Value) {
        self.dropped += log.dropped;
        let kept = log.sequenced(self.after).filter(|(_, e)| keep(e)).take(self.limit + 1);
        let from = self.from;
        self.entries.extend(kept.map(|(n, e)| (*n, merged(json!({"provider": from}), json(e)))));
    }

    /// The page as a JSON array, oldest first, each entry with its `seq`;
    /// `x-sandbox-dropped` counts what the rings let go, and `link` points
    /// at the next page while there is one.
    fn answer(mut self, route: &str, query: &Params) -> Response {
        self.entries.sort_by_key(|(n, _)| *n);
        let more = self.entries.len() > self.limit;
        self.entries.truncate(self.limit);
        let last = self.entries.last().map(|(n, _)| *n);
        let list = self
            .entries
            .into_iter()
            .map(|(n, mut e)| {
                e["seq"] = json!(n);
                e
            })
            .collect();
        let mut response = json_response(StatusCode::OK, Value::Array(list));
        let headers = response.headers_mut();
        headers.insert("x-sandbox-dropped", self.dropped.into());
        if let (true, Some(last)) = (more, last) {
            let mut next = format!("{PREFIX}/{route}?after={last}&limit={}", self.limit);
            for key in ["provider", "to"] {
                if let Some(value) = query.get(key) {
                    next.push_str(&format!("&{key}={}", crate::url_escaped(value)));
                }
            }
            if let Ok(link) = axum::http::HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")) {
                headers.insert(axum::http::header::LINK, link);
            }
        }
        response
    }
}

async fn reset(State(admin): State<Admin>) -> Reply {
    admin.env.reset_clock();
    admin.fakes.reset();
    ok(json!({"reset": true}))
}

async fn clock(State(admin): State<Admin>, body: Body) -> Reply {
    let seconds = body.seconds("advance_seconds")?;
    if admin.env.offset().as_secs().saturating_add(seconds) > crate::MAX_SECONDS {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            format!("`advance_seconds` would move the clock past {} s in all", crate::MAX_SECONDS),
        ));
    }
    admin.env.advance(Duration::from_secs(seconds));
    ok(json!({"advanced_seconds": admin.env.offset().as_secs()}))
}
