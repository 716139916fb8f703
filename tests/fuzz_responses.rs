//! Every operation of every provider is fed generated responses: any status,
//! odd headers, and bodies that are near-valid JSON (valid bodies with parts
//! replaced, nulled or removed; the provider's envelope around values built
//! from the API descriptions' field names; either truncated or corrupted),
//! arbitrary bytes or nothing.
//! Each must end in `Ok` or a typed error, without a panic or a hang.
//!
//! `ACCOUNTKIT_FUZZ_CASES` sets the cases per provider (a small number
//! unless set); the count run is printed:
//!
//! ```sh
//! ACCOUNTKIT_FUZZ_CASES=100000 cargo test --release -p accountkit-e2e --test fuzz_responses -- --nocapture
//! ```

mod faults;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use accountkit::{RetryPolicy, SecretString, cycle, logto, pangea, stx, tagoio};
use faults::{Scripted, serve_scripted};
use futures::future::BoxFuture;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};

/// Cases per provider when `ACCOUNTKIT_FUZZ_CASES` is not set.
const CI_CASES: u32 = 150;

fn cases() -> u32 {
    std::env::var("ACCOUNTKIT_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(CI_CASES)
}

// ---- what the clients call ------------------------------------------------

/// Everything an operation needs, built once.
struct Ctx {
    tagoio: tagoio::Client,
    cycle: cycle::Client,
    logto: logto::Client,
    pangea: pangea::Client,
    stx: stx::Client,
    session: stx::Session,
    code: logto::CodeChallenge,
    social: logto::SocialChallenge,
    passkey: logto::PasskeyRegistration,
    email_proof: logto::Verification,
    phone_proof: logto::Verification,
    social_proof: logto::Verification,
    passkey_proof: logto::Verification,
}

type Call = for<'a> fn(&'a Ctx) -> BoxFuture<'a, accountkit::Result<()>>;

/// A list of named calls, each dropping its value.
macro_rules! calls {
    ($($name:ident => |$c:ident| $body:expr;)*) => {
        vec![$({
            fn $name($c: &Ctx) -> BoxFuture<'_, accountkit::Result<()>> {
                Box::pin(async move { $body.await.map(drop) })
            }
            (stringify!($name), $name as Call)
        }),*]
    };
}

fn s(value: &str) -> SecretString {
    SecretString::from(value.to_string())
}

fn record() -> logto::Verification {
    logto::Verification::from_parts("rec-1", chrono::Utc::now() + chrono::TimeDelta::hours(1))
}

fn tagoio_credentials() -> tagoio::Credentials {
    tagoio::Credentials::new("ada@example.com", "pw-fuzz")
}

fn ada() -> pangea::UserRef {
    pangea::UserRef::email("ada@example.com")
}

fn passkey_credential() -> Map<String, Value> {
    let value = json!({
        "id": "cred-1", "rawId": "cred-1", "type": "public-key",
        "response": {"clientDataJSON": "eyJ9", "attestationObject": "o2Nm"},
        "clientExtensionResults": {}
    });
    let Value::Object(map) = value else { unreachable!() };
    map
}

fn tagoio_calls() -> Vec<(&'static str, Call)> {
    use tagoio::{AccountChanges, NewAccount, OtpType, TokenRequest};
    calls! {
        info => |c| c.tagoio.info();
        edit => |c| c.tagoio.edit(&AccountChanges::new().name("Ada"));
        delete => |c| c.tagoio.delete();
        password_change => |c| c.tagoio.password_change("new-pw-1");
        enable_otp => |c| c.tagoio.enable_otp(OtpType::Email, &tagoio_credentials());
        confirm_otp => |c| c.tagoio.confirm_otp(OtpType::Email, "123456");
        disable_otp => |c| c.tagoio.disable_otp(OtpType::Email, &tagoio_credentials());
        login => |c| c.tagoio.login(&tagoio_credentials());
        request_login_pin_code => |c| c.tagoio.request_login_pin_code(&tagoio_credentials(), OtpType::Sms);
        token_create => |c| c.tagoio.token_create(&TokenRequest::new("profile-1", tagoio_credentials(), "app"));
        create => |c| c.tagoio.create(&NewAccount::new("Ada", "ada@example.com", "pw-fuzz", "UTC"));
        confirm_account => |c| c.tagoio.confirm_account("confirm-tok");
        resend_confirmation => |c| c.tagoio.resend_confirmation("ada@example.com");
        password_recover => |c| c.tagoio.password_recover("ada@example.com");
        reset_password => |c| c.tagoio.reset_password("recovery-tok", "new-pw-1");
        accept_team_invitation => |c| c.tagoio.accept_team_invitation("invite-tok");
        decline_team_invitation => |c| c.tagoio.decline_team_invitation("invite-tok");
    }
}

fn cycle_calls() -> Vec<(&'static str, Call)> {
    use cycle::{AccountUpdate, ListQuery, TwoFactorRecovery};
    calls! {
        get_account => |c| c.cycle.get_account();
        update_account => |c| c.cycle.update_account(&AccountUpdate::new().name("Ada", "King"));
        delete_account => |c| c.cycle.delete_account();
        logins_page => |c| c.cycle.logins_page(&ListQuery::new().page_size(5));
        invites_page => |c| c.cycle.invites_page(&ListQuery::new());
        accept_invite => |c| c.cycle.accept_invite("invite-1");
        decline_invite => |c| c.cycle.decline_invite("invite-1");
        memberships_page => |c| c.cycle.memberships_page(&ListQuery::new());
        change_password => |c| c.cycle.change_password("old-pw-1", "new-pw-12345");
        start_password_reset => |c| c.cycle.start_password_reset("ada@example.com");
        complete_password_reset => |c| c.cycle.complete_password_reset("reset-tok", "new-pw-12345");
        recover_two_factor => |c| c.cycle.recover_two_factor(&TwoFactorRecovery::new("ada@example.com", "pw", [s("code-1")]));
        two_factor_setup => |c| c.cycle.two_factor_setup();
        enable_two_factor => |c| c.cycle.enable_two_factor("123456");
        disable_two_factor => |c| c.cycle.disable_two_factor("123456");
    }
}

fn logto_calls() -> Vec<(&'static str, Call)> {
    use logto::{CodeTarget, ProfileChanges, SocialStart, StandardClaims};
    calls! {
        get_profile => |c| c.logto.get_profile();
        update_profile => |c| c.logto.update_profile(&ProfileChanges::new().name("Ada"), None);
        update_other_profile => |c| async move {
            let mut claims = StandardClaims::default();
            claims.given_name = Some("Ada".into());
            c.logto.update_other_profile(&claims).await
        };
        update_password => |c| c.logto.update_password(&record(), "new-pw-12345");
        set_first_password => |c| c.logto.set_first_password("first-pw-123");
        update_primary_email => |c| c.logto.update_primary_email(&record(), &c.email_proof);
        delete_primary_email => |c| c.logto.delete_primary_email(&record());
        update_primary_phone => |c| c.logto.update_primary_phone(&record(), &c.phone_proof);
        delete_primary_phone => |c| c.logto.delete_primary_phone(&record());
        add_social_identity => |c| c.logto.add_social_identity(Some(&record()), &c.social_proof);
        delete_identity => |c| c.logto.delete_identity(Some(&record()), "github");
        verify_password => |c| c.logto.verify_password("pw-fuzz");
        send_code => |c| c.logto.send_code(&CodeTarget::email("ada@example.com"));
        verify_code => |c| c.logto.verify_code(&c.code, "123456");
        start_social_verification => |c| c.logto.start_social_verification(&SocialStart::new("gh", "st-1", "https://app.example.com/cb"));
        verify_social => |c| c.logto.verify_social(&c.social, [("code", "gh-code"), ("state", "st-1")]);
        start_passkey_registration => |c| c.logto.start_passkey_registration();
        verify_passkey_registration => |c| c.logto.verify_passkey_registration(&c.passkey, &passkey_credential());
        add_passkey => |c| c.logto.add_passkey(&record(), &c.passkey_proof, Some("Laptop"));
    }
}

fn pangea_calls() -> Vec<(&'static str, Call)> {
    use pangea::{NewUser, ProfileChanges, UserList, UserRef, UserUpdate};
    calls! {
        client_userinfo => |c| c.pangea.client_userinfo("auth-code", None);
        client_password_change => |c| c.pangea.client_password_change("ptu_tok", "old-pw", "new-pw-1");
        user_create => |c| c.pangea.user_create(&NewUser::new("ada@example.com"));
        user_delete => |c| c.pangea.user_delete(&ada());
        user_list => |c| c.pangea.user_list(&UserList::new().size(5));
        user_update => |c| c.pangea.user_update(&UserRef::id("pui_1"), &UserUpdate::new().disabled(true));
        user_profile_get => |c| c.pangea.user_profile_get(&ada());
        user_profile_update => |c| c.pangea.user_profile_update(&ada(), &ProfileChanges::new().set("first_name", "Ada"));
        user_authenticators_list => |c| c.pangea.user_authenticators_list(&ada());
        user_authenticators_delete => |c| c.pangea.user_authenticators_delete(&ada(), "pau_1");
    }
}

fn stx_calls() -> Vec<(&'static str, Call)> {
    use stx::{Credentials, Registration, TwoFactorChallenge};
    calls! {
        login => |c| c.stx.login(&Credentials::new("ada@example.com", "pw-fuzz"));
        confirm_2fa => |c| c.stx.confirm_2fa(&TwoFactorChallenge::new("sess-1", "ada@example.com"), "123456");
        resend_2fa => |c| c.stx.resend_2fa(&TwoFactorChallenge::new("sess-1", "ada@example.com"));
        resume => |c| c.stx.resume("refresh-tok");
        register => |c| c.stx.register(&Registration::new("ada@example.com", "pw-fuzz-1"));
        forgot_password => |c| c.stx.forgot_password("ada@example.com");
        confirm_password_reset => |c| c.stx.confirm_password_reset("654321", "new-pw-1");
        refresh => |c| c.session.refresh();
        change_password => |c| c.session.change_password("old-pw", "new-pw-1");
        confirm_change_password_2fa => |c| c.session.confirm_change_password_2fa("123456");
        resend_change_password_2fa => |c| c.session.resend_change_password_2fa();
        enable_2fa => |c| c.session.enable_2fa(None);
        disable_2fa => |c| c.session.disable_2fa(None);
        send_2fa => |c| c.session.send_2fa();
        user_profile => |c| c.session.user_profile();
        logout => |c| c.session.logout(None);
    }
}

// ---- what the server answers ----------------------------------------------

/// Field names from the API descriptions, so generated objects often have
/// the right keys with the wrong values.
fn vocabulary() -> Vec<String> {
    let sources = [
        include_str!("../openapi/tagoio/account.yaml"),
        include_str!("../openapi/cycle/account.yaml"),
        include_str!("../openapi/logto/account.yaml"),
        include_str!("../openapi/pangea/authn.yaml"),
        include_str!("../openapi/stx/schema.graphql"),
    ];
    let mut words = BTreeSet::new();
    for source in sources {
        for line in source.lines() {
            let line = line.trim_start().trim_start_matches("- ");
            let word: String = line.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            let rest = &line[word.len()..];
            if !word.is_empty() && (rest.starts_with(':') || rest.starts_with('(')) {
                words.insert(word);
            }
        }
    }
    words.into_iter().collect()
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "", "Success", "ACTIVE", "ada@example.com", "2026-11-23T04:00:00Z", "2026-11-23T04:00:00.000000",
            "+15555550123", "prq_1", "pui_1", "true", "null", "WebAuthn", "Email", "1.5", "-1", "eyJhbGciOiJub25lIn0.e30.",
        ]).prop_map(String::from),
        1 => prop::collection::vec(any::<char>(), 0..24).prop_map(String::from_iter),
    ]
}

fn json_value(words: &[String]) -> impl Strategy<Value = Value> + use<> {
    let keys = prop::sample::select(words.to_vec());
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![any::<i64>(), -3i64..300].prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..10)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provider {
    TagoIo,
    Cycle,
    Logto,
    Pangea,
    Stx,
}

/// The provider's envelope, or not, around a generated value.
fn envelope(provider: Provider, words: &[String]) -> impl Strategy<Value = Value> + use<> {
    let value = json_value(words);
    let key = prop::sample::select(words.to_vec());
    (value, key, any::<bool>(), 0u8..4).prop_map(move |(value, key, flag, shape)| match (provider, shape) {
        (_, 0) => value,
        (Provider::TagoIo, _) => json!({"status": flag, "result": value, "message": key}),
        (Provider::Cycle, 1) => json!({"error": {"status": 400, "code": key, "title": value}, "data": null}),
        (Provider::Cycle, _) => json!({"data": value}),
        (Provider::Logto, 1) => json!({"code": key, "message": value}),
        (Provider::Logto, _) => value,
        (Provider::Pangea, _) => json!({
            "request_id": "prq_1", "request_time": "2026-11-23T04:00:00Z", "response_time": "2026-11-23T04:00:01Z",
            "status": if flag { "Success".to_string() } else { key }, "summary": "s", "result": value,
        }),
        (Provider::Stx, 1) => json!({"errors": [{"message": key, "extensions": value}], "data": null}),
        (Provider::Stx, _) => json!({"data": {key: value}}),
    })
}

/// Valid bodies of each provider's operations, to mutate.
fn seeds(provider: Provider) -> Vec<Value> {
    let when = "2026-11-20T10:00:00Z";
    match provider {
        Provider::TagoIo => vec![
            json!({"status": true, "result": "Account updated"}),
            json!({"status": true, "result": {"id": "a1", "name": "Ada", "email": "ada@example.com",
                "active": true, "created_at": when, "otp": {"authenticator": false, "sms": false, "email": true},
                "options": {"decimal_separator": ","}, "language": "en", "plan": "free"}}),
            json!({"status": true, "result": {"type": "user", "id": "a1", "email": "ada@example.com", "name": "Ada",
                "profiles": [{"id": "p1", "name": "Main", "account": "a1", "logo_url": null}]}}),
            json!({"status": true, "result": {"token": "tok-new", "expire_date": when}}),
            json!({"status": false, "message": "Missing PIN", "result": {"otp_autosend": "email"}}),
        ],
        Provider::Cycle => {
            let account = json!({"id": "a1", "name": {"first": "Ada", "last": "K"},
                "email": {"address": "ada@example.com", "verified": true, "added": when},
                "two_factor_auth": {"verified": true}, "allow_support_login": true,
                "state": {"current": "live", "changed": when}, "events": {"created": when}});
            let membership = json!({"id": "m1", "account_id": "a1", "hub_id": "h1", "role_id": "r1",
                "state": {"current": "pending", "changed": when}, "events": {"created": when},
                "permissions": {"all_environments": true, "environments": []}});
            let login = json!({"id": "l1", "account": {"id": "a1", "ip": "203.0.113.7"}, "time": when,
                "type": "password", "success": true});
            vec![
                json!({"data": account}),
                json!({"data": [login]}),
                json!({"data": [membership.clone()]}),
                json!({"data": membership}),
                json!({"data": {"id": "j1", "job": {"id": "j1"}}}),
                json!({"data": {"secret": "JBSWY3DPEHPK3PXP", "uri": "otpauth://totp/x"}}),
                json!({"data": {"codes": ["c1", "c2"]}}),
                json!({"data": true}),
                json!({"error": {"status": 403, "code": "403.2fa-required", "title": "2FA"}}),
            ]
        }
        Provider::Logto => vec![
            json!({"id": "u1", "username": "ada", "primaryEmail": "ada@example.com", "name": "Ada",
                "customData": {}, "identities": {}, "profile": {}, "hasPassword": true}),
            json!({"verificationRecordId": "rec-9", "expiresAt": "2099-01-01T00:10:00.000Z"}),
            json!({"verificationRecordId": "rec-9"}),
            json!({"givenName": "Ada", "familyName": "K"}),
            json!({"code": "verification_record.not_found", "message": "not found"}),
        ],
        Provider::Pangea => {
            let user = json!({"id": "pui_1", "email": "ada@example.com", "profile": {"first_name": "Ada"},
                "verified": true, "disabled": false, "created_at": when,
                "authenticators": [{"id": "pau_1", "type": "password", "enabled": true}]});
            let wrap = |result: Value| {
                json!({"request_id": "prq_1", "request_time": when, "response_time": when,
                    "status": "Success", "summary": "ok", "result": result})
            };
            vec![
                wrap(user.clone()),
                wrap(json!({"users": [user], "count": 1, "last": "cursor"})),
                wrap(json!({"authenticators": [{"id": "pau_1", "type": "totp", "enabled": true}]})),
                wrap(json!({})),
                wrap(Value::Null),
                json!({"request_id": "prq_2", "status": "Accepted", "summary": "later", "result": {"location": "/request/prq_2"}}),
            ]
        }
        Provider::Stx => {
            let login = json!({"userId": "8d5f7f5e-4d3b-4f6e-9d61-0c1f7a7d1a11", "status": 200, "token": "t",
                "refreshToken": "r", "userStatus": "ACTIVE", "promptTwoFactorAuth": false, "sessionId": null});
            let two_factor = json!({"status": "SENT", "sessionId": "s1"});
            vec![
                json!({"data": {"login": login.clone()}}),
                json!({"data": {"newToken": login.clone()}}),
                json!({"data": {"confirm2Fa": login}}),
                json!({"data": {"resend2Fa": two_factor.clone()}}),
                json!({"data": {"enable2Fa": two_factor.clone()}}),
                json!({"data": {"send2Fa": two_factor}}),
                json!({"data": {"logout": {"status": "OK"}}}),
                json!({"errors": [{"message": "Unauthorized", "extensions": {"code": "UNAUTHENTICATED"}}], "data": null}),
            ]
        }
    }
}

/// Every JSON pointer into a value.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                pointers(child, format!("{at}/{}", key.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// A seed with up to three of its parts replaced, nulled or removed.
fn mutated_seed(provider: Provider, words: &[String]) -> impl Strategy<Value = Value> + use<> {
    let change = (any::<prop::sample::Index>(), 0u8..3, json_value(words));
    (prop::sample::select(seeds(provider)), prop::collection::vec(change, 0..3)).prop_map(
        |(mut seed, changes)| {
            for (at, how, replacement) in changes {
                let mut all = Vec::new();
                pointers(&seed, String::new(), &mut all);
                let pointer = all[at.index(all.len())].clone();
                match how {
                    0 => {
                        if let Some(slot) = seed.pointer_mut(&pointer) {
                            *slot = replacement;
                        }
                    }
                    1 => {
                        if let Some(slot) = seed.pointer_mut(&pointer) {
                            *slot = Value::Null;
                        }
                    }
                    _ => {
                        let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", ""));
                        if let Some(Value::Object(map)) = seed.pointer_mut(parent) {
                            map.remove(&key.replace("~1", "/").replace("~0", "~"));
                        }
                    }
                }
            }
            seed
        },
    )
}

/// A body: mostly near-valid JSON, sometimes cut or corrupted, sometimes
/// anything at all.
fn body(provider: Provider, words: &[String]) -> impl Strategy<Value = Vec<u8>> + use<> {
    let json = || {
        prop_oneof![envelope(provider, words), mutated_seed(provider, words)]
            .prop_map(|v| v.to_string().into_bytes())
    };
    prop_oneof![
        4 => mutated_seed(provider, words).prop_map(|v| v.to_string().into_bytes()),
        6 => json(),
        2 => (json(), any::<prop::sample::Index>()).prop_map(|(b, cut)| b[..cut.index(b.len() + 1)].to_vec()),
        2 => (json(), any::<prop::sample::Index>(), any::<u8>()).prop_map(|(mut b, at, byte)| {
            if !b.is_empty() {
                let i = at.index(b.len());
                b[i] = byte;
            }
            b
        }),
        1 => prop::collection::vec(any::<u8>(), 0..256),
        1 => Just(Vec::new()),
    ]
}

fn header() -> impl Strategy<Value = (String, String)> {
    let printable = prop::collection::vec(32u8..127, 0..20).prop_map(|b| String::from_utf8(b).unwrap());
    prop_oneof![
        prop::sample::select(vec![
            "application/json",
            "text/html",
            "application/json; charset=utf-16",
            "",
            "x/y"
        ])
        .prop_map(|v| ("content-type".to_string(), v.to_string())),
        prop::sample::select(vec![
            "0",
            "2",
            "-1",
            "soon",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "99999999999999999999"
        ])
        .prop_map(|v| ("retry-after".to_string(), v.to_string())),
        prop::sample::select(vec!["0", "3", "99999999", "abc"])
            .prop_map(|v| ("content-length".to_string(), v.to_string())),
        Just(("transfer-encoding".to_string(), "chunked".to_string())),
        printable.clone().prop_map(|v| ("x-request-id".to_string(), v)),
        printable.prop_map(|v| ("location".to_string(), v)),
    ]
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        6 => Just(200u16),
        8 => prop::sample::select(vec![200u16, 201, 202, 204, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503]),
        1 => 100u16..600,
    ]
}

/// The raw response: status line, headers (a length added unless the
/// generated ones frame the body), body.
fn response(status: u16, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} Fuzz\r\nconnection: close\r\n");
    let framed = headers.iter().any(|(name, _)| name == "content-length" || name == "transfer-encoding");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if !framed {
        out.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

// ---- the run --------------------------------------------------------------

fn ok_json(status: u16, body: Value) -> Vec<u8> {
    response(status, &[("content-type".into(), "application/json".into())], body.to_string().as_bytes())
}

async fn context(server: &Scripted) -> Ctx {
    let url = &server.server.url;
    let retry = RetryPolicy::none();
    let timeout = Duration::from_secs(5);
    let tagoio = tagoio::Client::builder(tagoio::Region::Custom(url.clone()))
        .token("tok-fuzz")
        .retry(retry.clone())
        .timeout(timeout);
    let cycle =
        cycle::Client::builder().base_url(url).token("tok-fuzz").retry(retry.clone()).timeout(timeout);
    let logto = logto::Client::builder(url, "tok-fuzz").retry(retry.clone()).timeout(timeout);
    let pangea = pangea::Client::builder("tok-fuzz")
        .base_url(url)
        .retry(retry.clone())
        .timeout(timeout)
        .polling(pangea::Polling::new(Duration::from_millis(20)));
    let stx =
        stx::Client::builder(stx::Host::Custom(url.clone())).retry(retry).timeout(timeout).build().unwrap();
    let logto = logto.build().unwrap();

    // Valid answers give the objects that only a previous call hands out.
    let record = json!({"verificationRecordId": "rec-2", "expiresAt": "2099-01-01T00:10:00.000Z"});
    server.answer(ok_json(201, record.clone()));
    let code = logto.send_code(&logto::CodeTarget::email("ada@example.com")).await.unwrap();
    let phone_code = logto.send_code(&logto::CodeTarget::phone("+15555550123")).await.unwrap();
    let mut social = record.clone();
    social["authorizationUri"] = json!("https://github.com/login/oauth/authorize?state=st-1");
    server.answer(ok_json(201, social));
    let start = logto::SocialStart::new("gh", "st-1", "https://app.example.com/cb");
    let social = logto.start_social_verification(&start).await.unwrap();
    let mut registration = record;
    registration["registrationOptions"] = json!({});
    server.answer(ok_json(200, registration));
    let passkey = logto.start_passkey_registration().await.unwrap();
    server.answer(ok_json(200, json!({"verificationRecordId": "rec-3"})));
    let email_proof = logto.verify_code(&code, "123456").await.unwrap();
    let phone_proof = logto.verify_code(&phone_code, "123456").await.unwrap();
    let social_proof = logto.verify_social(&social, [("code", "gh-code")]).await.unwrap();
    let passkey_proof = logto.verify_passkey_registration(&passkey, &passkey_credential()).await.unwrap();
    let tokens = json!({"data": {"newToken": {
        "userId": "8d5f7f5e-4d3b-4f6e-9d61-0c1f7a7d1a11", "status": 200, "token": "access-fuzz",
        "refreshToken": "refresh-fuzz", "userStatus": "ACTIVE", "userUid": "U-1", "lastLoginAt": null,
        "currentLoginAt": null, "deviceId": null, "promptTwoFactorAuth": false, "sessionId": null,
        "promptTncAcceptance": false, "tncId": null, "ipAddress": null, "limitsNumber": null, "tncChanged": null, "whitelistIpAddresses": null,
        "deviceTokens": null, "allowMultipleLogins": null, "appSettings": null, "referralCode": null
    }}});
    server.answer(ok_json(200, tokens));
    let session = stx.resume("refresh-start").await.unwrap();

    Ctx {
        tagoio: tagoio.build().unwrap(),
        cycle: cycle.build().unwrap(),
        logto,
        pangea: pangea.build().unwrap(),
        stx,
        session,
        code,
        social,
        passkey,
        email_proof,
        phone_proof,
        social_proof,
        passkey_proof,
    }
}

fn fuzz(provider: Provider, calls: Vec<(&'static str, Call)>) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let server = runtime.block_on(serve_scripted());
    let ctx = runtime.block_on(context(&server));
    let words = vocabulary();
    let cases = cases();
    let run = AtomicUsize::new(0);
    let succeeded = AtomicUsize::new(0);
    // Operations that sent at least one request: one refused before
    // sending would fuzz nothing.
    let reached: std::sync::Mutex<BTreeSet<&str>> = Default::default();

    let strategy = (0..calls.len(), status(), prop::collection::vec(header(), 0..4), body(provider, &words));
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let outcome = runner.run(&strategy, |(call, status, headers, body)| {
        run.fetch_add(1, Ordering::Relaxed);
        server.answer(response(status, &headers, &body));
        let (name, call) = calls[call];
        let before = server.server.requests();
        let result = runtime.block_on(async {
            // Generous: a hang is the failure this guards against.
            tokio::time::timeout(Duration::from_secs(60), call(&ctx)).await
        });
        let result = result.map_err(|_| TestCaseError::fail(format!("{name} hung")))?;
        if server.server.requests() > before {
            reached.lock().unwrap().insert(name);
        }
        if result.is_ok() {
            succeeded.fetch_add(1, Ordering::Relaxed);
        }
        if let Err(error) = result {
            // Rendering an error must not panic either, nor show the token.
            let shown = format!("{error} {error:?}");
            prop_assert!(!shown.contains("tok-fuzz"), "{name}: {shown}");
        }
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{provider:?}: {failure}");
    }
    let run = run.load(Ordering::Relaxed);
    let succeeded = succeeded.load(Ordering::Relaxed);
    println!("{provider:?}: {run} cases over {} operations, {succeeded} of them answered Ok", calls.len());
    assert!(run >= cases as usize);
    let reached = reached.into_inner().unwrap();
    let missed: Vec<_> = calls.iter().map(|(name, _)| *name).filter(|name| !reached.contains(name)).collect();
    if cases >= 10 * calls.len() as u32 {
        assert!(missed.is_empty(), "{provider:?}: never sent: {missed:?}");
    }
}

#[test]
fn tagoio_responses() {
    fuzz(Provider::TagoIo, tagoio_calls());
}

#[test]
fn cycle_responses() {
    fuzz(Provider::Cycle, cycle_calls());
}

#[test]
fn logto_responses() {
    fuzz(Provider::Logto, logto_calls());
}

#[test]
fn pangea_responses() {
    fuzz(Provider::Pangea, pangea_calls());
}

#[test]
fn stx_responses() {
    fuzz(Provider::Stx, stx_calls());
}
