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
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::{Env, Fakes, json_response};

/// Path prefix of the admin API.
pub(crate) const PREFIX: &str = "/_sandbox";

#[derive(Clone)]
struct Admin {
    fakes: Fakes,
    env: Env,
}

pub(crate) fn router(fakes: Fakes, env: Env) -> Router {
    Router::new()
        .route("/outbox", get(outbox))
        .route("/requests", get(requests))
        .route("/reset", post(reset))
        .route("/clock", post(clock))
        .route("/tagoio/accounts", post(tagoio_account))
        .route("/tagoio/authenticator-code", get(tagoio_authenticator_code))
        .route("/tagoio/invitations", post(tagoio_invite))
        .route("/tagoio/invitations/{token}", get(tagoio_invitation))
        .route("/cycle/accounts", post(cycle_account))
        .route("/cycle/sign-in", post(cycle_sign_in))
        .route("/cycle/hubs", post(cycle_hub))
        .route("/cycle/hubs/{id}", delete(cycle_remove_hub))
        .route("/cycle/invites", post(cycle_invite))
        .route("/cycle/totp", get(cycle_totp))
        .route("/cycle/jobs", get(cycle_jobs))
        .route("/logto/users", post(logto_user))
        .route("/logto/social-users", post(logto_social_user))
        .route("/logto/read-only", post(logto_read_only))
        .route("/logto/passkeys", get(logto_passkeys))
        .route("/pangea/tokens", get(pangea_tokens))
        .route("/pangea/users", post(pangea_users))
        .route("/pangea/passwords", post(pangea_password))
        .route("/pangea/authenticators", post(pangea_authenticator))
        .route("/pangea/lock-out", post(pangea_lock_out))
        .route("/pangea/login-codes", post(pangea_login_code))
        .route("/pangea/accept-next", post(pangea_accept_next))
        .route("/stx/users", post(stx_user))
        .route("/stx/token-lifetime", post(stx_token_lifetime))
        .route("/stx/revoke-access-tokens", post(stx_revoke))
        .route("/stx/users/{email}", get(stx_user_state))
        .fallback(unknown)
        .layer(axum::middleware::from_fn(json_writes_only))
        .with_state(Admin { fakes, env })
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

type Reply = Result<Response, Failure>;

/// An admin call that could not be done: `{"error": ...}` with a status.
struct Failure(StatusCode, String);

impl axum::response::IntoResponse for Failure {
    fn into_response(self) -> Response {
        json_response(self.0, json!({"error": self.1}))
    }
}

fn ok(body: Value) -> Reply {
    Ok(json_response(StatusCode::OK, body))
}

fn fail(status: StatusCode, message: impl Into<String>) -> Failure {
    Failure(status, message.into())
}

fn not_found(what: &str) -> Failure {
    fail(StatusCode::NOT_FOUND, format!("no {what}"))
}

async fn unknown() -> Failure {
    fail(StatusCode::NOT_FOUND, "no such admin route; see the README's sandbox section")
}

/// The JSON body, or a 400 naming what is wrong.
struct Body(serde_json::Map<String, Value>);

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
    fn text(&self, key: &str) -> Result<&str, Failure> {
        self.0
            .get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| fail(StatusCode::BAD_REQUEST, format!("`{key}` (a string) is required")))
    }

    fn number(&self, key: &str) -> Result<u64, Failure> {
        self.0
            .get(key)
            .and_then(Value::as_u64)
            .ok_or_else(|| fail(StatusCode::BAD_REQUEST, format!("`{key}` (a whole number) is required")))
    }

    /// A number of seconds, at most [`crate::MAX_SECONDS`].
    fn seconds(&self, key: &str) -> Result<u64, Failure> {
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

fn param<'a>(query: &'a HashMap<String, String>, key: &str) -> Result<&'a str, Failure> {
    query
        .get(key)
        .map(String::as_str)
        .ok_or_else(|| fail(StatusCode::BAD_REQUEST, format!("the `{key}` query parameter is required")))
}

// ---- every provider ----

/// One message in the shape shared by every provider.
fn message(provider: &str, to: &str, kind: &str, secret: &str, extra: Value) -> Value {
    let mut entry = json!({"provider": provider, "to": to, "kind": kind, "secret": secret});
    if let (Value::Object(entry), Value::Object(extra)) = (&mut entry, extra) {
        entry.extend(extra);
    }
    entry
}

async fn outbox(State(admin): State<Admin>, Query(query): Query<HashMap<String, String>>) -> Reply {
    use crate::stx::MessageKind as Stx;
    use crate::tagoio::MessageKind as Tago;
    let page = Page::of(&query)?;
    let fakes = &admin.fakes;
    let to = query.get("to");
    let addressed = |m_to: &str| to.is_none_or(|want| want == m_to);
    let mut all = Collected::default();
    if page.wants("tagoio") {
        all.add(
            fakes.tagoio.sequenced_outbox(page.after),
            &page,
            |m| addressed(&m.to),
            |m| match &m.kind {
                Tago::AccountConfirmation { token } => {
                    message("tagoio", &m.to, "confirmation", token, json!({}))
                }
                Tago::PasswordReset { token } => message("tagoio", &m.to, "password_reset", token, json!({})),
                Tago::OtpPin { channel, pin } => {
                    message("tagoio", &m.to, "pin", pin, json!({"channel": channel}))
                }
                Tago::TeamInvitation { token } => message("tagoio", &m.to, "invitation", token, json!({})),
            },
        );
    }
    if page.wants("cycle") {
        all.add(
            fakes.cycle.sequenced_outbox(page.after),
            &page,
            |m| addressed(&m.to),
            |m| message("cycle", &m.to, "password_reset", &m.reset_token, json!({})),
        );
    }
    if page.wants("logto") {
        all.add(
            fakes.logto.sequenced_outbox(page.after),
            &page,
            |m| addressed(&m.to),
            |m| message("logto", &m.to, "verification_code", &m.code, json!({})),
        );
    }
    if page.wants("stx") {
        all.add(
            fakes.stx.sequenced_outbox(page.after),
            &page,
            |m| addressed(&m.to),
            |m| {
                let (kind, extra) = match &m.kind {
                    Stx::LoginCode { session_id, .. } => ("login_code", json!({"session_id": session_id})),
                    Stx::PasswordChangeCode { .. } => ("password_change_code", json!({})),
                    Stx::TwoFactorCode { .. } => ("two_factor_code", json!({})),
                    Stx::PasswordResetCode { .. } => ("password_reset_code", json!({})),
                    Stx::VerificationCode { .. } => ("verification_code", json!({})),
                };
                message("stx", &m.to, kind, m.kind.code(), extra)
            },
        );
    }
    Ok(all.answer("outbox", &query, &page))
}

async fn requests(State(admin): State<Admin>, Query(query): Query<HashMap<String, String>>) -> Reply {
    let page = Page::of(&query)?;
    let fakes = &admin.fakes;
    let entry = |provider: &str, method: &str, path: &str| json!({"provider": provider, "method": method, "path": path});
    let mut all = Collected::default();
    if page.wants("tagoio") {
        all.add(
            fakes.tagoio.sequenced_requests(page.after),
            &page,
            |_| true,
            |r| entry("tagoio", &r.method, &r.path),
        );
    }
    if page.wants("cycle") {
        all.add(
            fakes.cycle.sequenced_requests(page.after),
            &page,
            |_| true,
            |r| entry("cycle", &r.method, &r.path),
        );
    }
    if page.wants("logto") {
        all.add(
            fakes.logto.sequenced_requests(page.after),
            &page,
            |_| true,
            |r| entry("logto", &r.method, &r.path),
        );
    }
    if page.wants("pangea") {
        all.add(
            fakes.pangea.sequenced_requests(page.after),
            &page,
            |_| true,
            |r| entry("pangea", &r.method, &r.path),
        );
    }
    if page.wants("stx") {
        all.add(
            fakes.stx.sequenced_requests(page.after),
            &page,
            |_| true,
            |r| {
                let mut e = entry("stx", "POST", "/api/graphql");
                e["operation"] = json!(r.mutation);
                e
            },
        );
    }
    Ok(all.answer("requests", &query, &page))
}

/// `?provider=&after=&limit=` of an admin read: entries of one provider
/// (or all), placed after `after` in the sandbox's order, at most `limit`.
struct Page {
    provider: Option<String>,
    after: u64,
    limit: usize,
}

impl Page {
    const DEFAULT_LIMIT: usize = 1000;
    const MAX_LIMIT: usize = 10_000;

    fn of(query: &HashMap<String, String>) -> Result<Page, Failure> {
        let number = |key: &str| {
            query
                .get(key)
                .map(|v| {
                    v.parse::<u64>()
                        .map_err(|_| fail(StatusCode::BAD_REQUEST, format!("`{key}` takes a whole number")))
                })
                .transpose()
        };
        let limit = number("limit")?.map_or(Page::DEFAULT_LIMIT as u64, |n| n);
        if !(1..=Page::MAX_LIMIT as u64).contains(&limit) {
            return Err(fail(StatusCode::BAD_REQUEST, format!("`limit` takes 1 to {}", Page::MAX_LIMIT)));
        }
        Ok(Page {
            provider: query.get("provider").cloned(),
            after: number("after")?.unwrap_or(0),
            limit: limit as usize,
        })
    }

    fn wants(&self, provider: &str) -> bool {
        self.provider.as_deref().is_none_or(|want| want == provider)
    }
}

/// Entries gathered from the fakes, each with its place.
#[derive(Default)]
struct Collected {
    entries: Vec<(u64, Value)>,
    dropped: u64,
}

impl Collected {
    /// Takes the entries `keep` wants from one fake's journal; only the
    /// first `limit` of them are turned into JSON, since no more can be on
    /// the page.
    fn add<T>(
        &mut self,
        (journal, dropped): (Vec<(u64, T)>, u64),
        page: &Page,
        keep: impl Fn(&T) -> bool,
        json: impl Fn(&T) -> Value,
    ) {
        self.dropped += dropped;
        let kept = journal.iter().filter(|(_, e)| keep(e)).take(page.limit + 1);
        self.entries.extend(kept.map(|(n, e)| (*n, json(e))));
    }

    /// The page as a JSON array, oldest first, each entry with its `seq`;
    /// `x-sandbox-dropped` counts what the rings let go, and `link` points
    /// at the next page while there is one.
    fn answer(mut self, route: &str, query: &HashMap<String, String>, page: &Page) -> Response {
        self.entries.sort_by_key(|(n, _)| *n);
        let more = self.entries.len() > page.limit;
        self.entries.truncate(page.limit);
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
            let mut next = format!("{PREFIX}/{route}?after={last}&limit={}", page.limit);
            for key in ["provider", "to"] {
                if let Some(value) = query.get(key) {
                    next.push_str(&format!("&{key}={}", query_escaped(value)));
                }
            }
            if let Ok(link) = axum::http::HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")) {
                headers.insert(axum::http::header::LINK, link);
            }
        }
        response
    }
}

/// Percent-encodes all but unreserved characters.
fn query_escaped(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
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

// A test fake's admin channel: it answers the secrets it hands out in plain JSON.

// ---- TagoIO ----

async fn tagoio_account(State(admin): State<Admin>, body: Body) -> Reply {
    let ready = admin.fakes.tagoio.add_account(body.text("email")?, body.text("password")?);
    ok(json!({"profile_id": ready.profile_id, "token": ready.token.expose_secret()}))
}

async fn tagoio_authenticator_code(
    State(admin): State<Admin>,
    Query(q): Query<HashMap<String, String>>,
) -> Reply {
    let code = admin
        .fakes
        .tagoio
        .authenticator_code(param(&q, "email")?)
        .ok_or_else(|| not_found("such account"))?;
    ok(json!({"code": code.expose_secret()}))
}

async fn tagoio_invite(State(admin): State<Admin>, body: Body) -> Reply {
    ok(json!({"token": admin.fakes.tagoio.invite(body.text("email")?).expose_secret()}))
}

async fn tagoio_invitation(State(admin): State<Admin>, Path(token): Path<String>) -> Reply {
    use crate::tagoio::InvitationState;
    let state = admin
        .fakes
        .tagoio
        .invitation_state(&SecretString::from(token))
        .ok_or_else(|| not_found("such invitation"))?;
    let name = match state {
        InvitationState::Pending => "pending",
        InvitationState::Accepted => "accepted",
        InvitationState::Declined => "declined",
    };
    ok(json!({"state": name}))
}

// ---- Cycle ----

async fn cycle_account(State(admin): State<Admin>, body: Body) -> Reply {
    let token = admin.fakes.cycle.create_account(
        body.text("email")?,
        body.text("first")?,
        body.text("last")?,
        body.text("password")?,
    );
    ok(json!({"token": token.expose_secret()}))
}

async fn cycle_sign_in(State(admin): State<Admin>, body: Body) -> Reply {
    let code = body.0.get("totp_code").and_then(Value::as_str).map(SecretString::from);
    match admin.fakes.cycle.sign_in(body.text("email")?, body.text("password")?, code) {
        Ok(token) => ok(json!({"token": token.expose_secret()})),
        Err(why) => Err(fail(StatusCode::UNAUTHORIZED, format!("{why:?}"))),
    }
}

async fn cycle_hub(State(admin): State<Admin>, body: Body) -> Reply {
    let hub = admin.fakes.cycle.add_hub(body.text("email")?).ok_or_else(|| not_found("such account"))?;
    ok(json!({"hub_id": hub}))
}

async fn cycle_remove_hub(State(admin): State<Admin>, Path(id): Path<String>) -> Reply {
    if admin.fakes.cycle.remove_hub(&id) { ok(json!({"removed": true})) } else { Err(not_found("such hub")) }
}

async fn cycle_invite(State(admin): State<Admin>, body: Body) -> Reply {
    let id = admin.fakes.cycle.invite(body.text("email")?).ok_or_else(|| not_found("such account"))?;
    ok(json!({"id": id}))
}

async fn cycle_totp(State(admin): State<Admin>, Query(q): Query<HashMap<String, String>>) -> Reply {
    let secret =
        admin.fakes.cycle.totp_secret(param(&q, "email")?).ok_or_else(|| not_found("TOTP secret"))?;
    let secret = secret.expose_secret();
    let code = crate::cycle::totp_code(secret).ok_or_else(|| not_found("usable TOTP secret"))?;
    ok(json!({"secret": secret, "code": code}))
}

async fn cycle_jobs(State(admin): State<Admin>) -> Reply {
    let jobs: Vec<Value> = admin
        .fakes
        .cycle
        .jobs()
        .into_iter()
        .map(|job| json!({"id": job.id, "action": job.action, "email": job.email}))
        .collect();
    ok(Value::Array(jobs))
}

// ---- Logto ----

async fn logto_user(State(admin): State<Admin>, body: Body) -> Reply {
    let token = admin.fakes.logto.add_user(body.text("email")?, body.text("password")?);
    ok(json!({"access_token": token.expose_secret()}))
}

async fn logto_social_user(State(admin): State<Admin>, body: Body) -> Reply {
    ok(json!({"access_token": admin.fakes.logto.add_social_user(body.text("social_code")?).expose_secret()}))
}

async fn logto_read_only(State(admin): State<Admin>, body: Body) -> Reply {
    admin.fakes.logto.make_read_only(body.text("field")?);
    ok(json!({"read_only": body.text("field")?}))
}

async fn logto_passkeys(State(admin): State<Admin>, Query(q): Query<HashMap<String, String>>) -> Reply {
    ok(json!(admin.fakes.logto.passkeys_of(param(&q, "email")?)))
}

// ---- Pangea ----

async fn pangea_tokens(State(admin): State<Admin>) -> Reply {
    let pangea = &admin.fakes.pangea;
    let (service, client) = (pangea.service_token(), pangea.client_token());
    ok(json!({"service_token": service.expose_secret(), "client_token": client.expose_secret()}))
}

/// The most users admin seeding fills a fake up to: a loop of seeding calls
/// cannot grow the server without bound.
const MAX_SEEDED_USERS: usize = 100_000;

async fn pangea_users(State(admin): State<Admin>, body: Body) -> Reply {
    let count = usize::try_from(body.number("count")?).unwrap_or(usize::MAX).min(10_000);
    match admin.fakes.pangea.seed_users_within(count, MAX_SEEDED_USERS) {
        Ok(ids) => ok(json!({"ids": ids})),
        Err(has) => Err(fail(
            StatusCode::BAD_REQUEST,
            format!(
                "`count`: the Pangea fake holds at most {MAX_SEEDED_USERS} users and has {has}; reset it first"
            ),
        )),
    }
}

async fn pangea_password(State(admin): State<Admin>, body: Body) -> Reply {
    if admin.fakes.pangea.set_password(body.text("email")?, body.text("password")?) {
        ok(json!({"set": true}))
    } else {
        Err(not_found("such user"))
    }
}

async fn pangea_authenticator(State(admin): State<Admin>, body: Body) -> Reply {
    let id = admin
        .fakes
        .pangea
        .add_authenticator(body.text("email")?, body.text("kind")?)
        .ok_or_else(|| not_found("such user"))?;
    ok(json!({"id": id}))
}

async fn pangea_lock_out(State(admin): State<Admin>, body: Body) -> Reply {
    if admin.fakes.pangea.lock_out(body.text("email")?) {
        ok(json!({"locked": true}))
    } else {
        Err(not_found("such user"))
    }
}

async fn pangea_login_code(State(admin): State<Admin>, body: Body) -> Reply {
    let code = admin.fakes.pangea.login_code(body.text("email")?).ok_or_else(|| not_found("such user"))?;
    ok(json!({"code": code.expose_secret()}))
}

async fn pangea_accept_next(State(admin): State<Admin>, body: Body) -> Reply {
    let polls = usize::try_from(body.number("polls")?).unwrap_or(usize::MAX).min(1000);
    admin.fakes.pangea.accept_next(polls);
    ok(json!({"polls": polls}))
}

// ---- STX ----

async fn stx_user(State(admin): State<Admin>, body: Body) -> Reply {
    let two_factor = body.0.get("two_factor").and_then(Value::as_bool).unwrap_or(false);
    ok(json!({"id": admin.fakes.stx.add_user(body.text("email")?, body.text("password")?, two_factor)}))
}

async fn stx_token_lifetime(State(admin): State<Admin>, body: Body) -> Reply {
    let seconds = body.seconds("seconds")?;
    admin.fakes.stx.set_token_lifetime(Duration::from_secs(seconds));
    ok(json!({"seconds": seconds}))
}

async fn stx_revoke(State(admin): State<Admin>) -> Reply {
    admin.fakes.stx.revoke_access_tokens();
    ok(json!({"revoked": true}))
}

async fn stx_user_state(State(admin): State<Admin>, Path(email): Path<String>) -> Reply {
    let stx = &admin.fakes.stx;
    let two_factor = stx.two_factor_enabled(&email).ok_or_else(|| not_found("such user"))?;
    ok(json!({"two_factor": two_factor, "profile": stx.profile(&email)}))
}
