//! Every Pangea AuthN operation against a local HTTP server: POST, exact
//! path, Bearer token, Content-Type, exact JSON body (with each way of
//! naming a user), and the decoding of a realistic envelope.

#![cfg(feature = "pangea")]

use std::time::Duration;

use accountkit::SecretString;
use accountkit::pangea::{
    AuthenticatorType, Client, NewUser, Order, Polling, ProfileChanges, TokenType, UserFilter, UserList,
    UserOrderBy, UserRef, UserUpdate,
};
use accountkit::{ErrorKind, ExposeSecret};
use chrono::TimeZone;
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "pts_wiretestservicetoken";
const USER_ID: &str = "pui_xpkhwpnz2cmegsws737xbsqnmnuwtvm5";

fn envelope(result: Value) -> Value {
    json!({
        "request_id": "prq_wiretest", "request_time": "2022-09-21T17:24:33.105Z",
        "response_time": "2022-09-21T17:24:34.007Z", "status": "Success", "summary": "done",
        "result": result
    })
}

async fn answering(result: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(envelope(result)))
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> Client {
    Client::builder(TOKEN).base_url(server.uri()).build().unwrap()
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

async fn only_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "expected exactly one request");
    requests.remove(0)
}

/// POST to `path` with the Bearer token and exactly `body`.
fn assert_wire(request: &Request, path: &str, body: Value) {
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), path);
    assert_eq!(request.url.query(), None);
    assert_eq!(request.headers.get("authorization").unwrap().to_str().unwrap(), format!("Bearer {TOKEN}"));
    assert_eq!(request.headers.get("content-type").unwrap(), "application/json");
    assert!(request.headers.get("api-version").is_none());
    assert!(request.headers.get("user-agent").unwrap().to_str().unwrap().starts_with("accountkit/"));
    let sent: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(sent, body);
}

fn user_json() -> Value {
    json!({
        "id": USER_ID, "email": "joe.user@email.com", "username": "joe",
        "profile": {"first_name": "Joe", "last_name": "User"},
        "verified": true, "disabled": false, "locked_out": false,
        "accepted_eula_id": "peu_wwghotsxxvh4dgvx2o6rz4ujsoy2wqau",
        "created_at": "2022-10-26T18:40:03.637617Z", "last_login_at": "2023-03-01T16:07:40.256969Z",
        "last_login_ip": "203.0.113.7", "last_login_city": "Lisbon", "last_login_country": "Portugal",
        "login_count": 7,
        "authenticators": [{"id": "pau_aaaa", "type": "password", "enabled": true,
                            "created_at": "2022-10-26T18:40:03Z", "updated_at": "2022-10-26T18:40:03Z"}],
        "groups": ["pgi_admins"],
        "a_field_added_next_year": {"nested": true}
    })
}

#[tokio::test]
async fn client_userinfo() {
    let server = answering(json!({
        "refresh_token": {"id": "pmt_r", "token": "ptr_refreshsecretvalue", "type": "session", "life": 172800,
                          "expire": "2023-03-03T16:07:40.256969Z", "identity": USER_ID, "email": "joe.user@email.com",
                          "profile": {"first_name": "Joe"}, "created_at": "2023-03-01T16:07:40Z", "new_thing": 1},
        "active_token": {"id": "pmt_a", "token": "ptu_activesecretvalue", "type": "user", "life": 1800,
                         "scopes": ["openid"], "identity": USER_ID, "email": "joe.user@email.com",
                         "profile": {}, "created_at": "2023-03-01T16:07:40Z", "expire": "2023-03-01T16:37:40Z"}
    }))
    .await;
    let code = secret("pmc_d6chl6qulpn3it34oerwm3cqwsjd6dxw");
    let tokens = client(&server).client_userinfo(&code, Some("pfl_flow")).await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "/v2/client/userinfo",
        json!({"code": "pmc_d6chl6qulpn3it34oerwm3cqwsjd6dxw", "flow_id": "pfl_flow"}),
    );
    assert_eq!(tokens.request_id, "prq_wiretest");
    assert_eq!(tokens.refresh_token.token.expose_secret(), "ptr_refreshsecretvalue");
    assert_eq!(tokens.refresh_token.kind, Some(TokenType::Session));
    assert_eq!(tokens.refresh_token.life, Some(172_800));
    let active = tokens.active_token.as_ref().unwrap();
    assert_eq!(active.token.expose_secret(), "ptu_activesecretvalue");
    assert_eq!(active.scopes, ["openid"]);
    let shown = format!("{tokens:?}");
    assert!(!shown.contains("ptr_refreshsecretvalue") && !shown.contains("ptu_activesecretvalue"), "{shown}");
}

#[tokio::test]
async fn client_userinfo_without_flow_id_omits_it() {
    let server = answering(json!({"refresh_token": {"id": "pmt_r", "token": "ptr_x"}})).await;
    let tokens = client(&server).client_userinfo("pmc_code", None).await.unwrap();
    assert_wire(&only_request(&server).await, "/v2/client/userinfo", json!({"code": "pmc_code"}));
    assert!(tokens.active_token.is_none());
}

#[tokio::test]
async fn client_password_change() {
    let server = answering(json!({})).await;
    let done =
        client(&server).client_password_change("ptu_usertoken", "old-Pass1", "new-Pass2").await.unwrap();
    assert_eq!(done.request_id, "prq_wiretest");
    assert_wire(
        &only_request(&server).await,
        "/v2/client/password/change",
        json!({"token": "ptu_usertoken", "old_password": "old-Pass1", "new_password": "new-Pass2"}),
    );
}

#[tokio::test]
async fn user_create() {
    let server = answering(user_json()).await;
    let user = NewUser::new("joe.user@email.com").username("joe").profile("first_name", "Joe");
    let created = client(&server).user_create(&user).await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "/v2/user/create",
        json!({"email": "joe.user@email.com", "username": "joe", "profile": {"first_name": "Joe"}}),
    );
    assert_eq!(created.id, USER_ID);
    assert_eq!(created.request_id, "prq_wiretest");
    assert_eq!(created.summary.as_deref(), Some("done"));
    assert_eq!(created.request_time.unwrap().timestamp_subsec_millis(), 105);
    assert_eq!(created.profile["last_name"], "User");
    assert!(created.verified && !created.disabled && !created.locked_out);
    assert_eq!(created.login_count, 7);
    assert_eq!(created.authenticators[0].kind, AuthenticatorType::Password);
    assert_eq!(created.groups, ["pgi_admins"]);
    assert_eq!(created.last_login_at.unwrap().timestamp_subsec_micros(), 256_969);
}

#[tokio::test]
async fn user_create_sends_an_empty_profile() {
    // `profile` is required by the API even when empty.
    let server = answering(json!({"id": USER_ID, "email": "a@b.co"})).await;
    let created = client(&server).user_create(&NewUser::new("a@b.co")).await.unwrap();
    assert_wire(&only_request(&server).await, "/v2/user/create", json!({"email": "a@b.co", "profile": {}}));
    // Fields the SDKs call required may be missing: they default.
    assert!(created.profile.is_empty() && !created.verified && created.username.is_none());
}

#[tokio::test]
async fn user_delete_by_each_identifier() {
    for (user, body) in [
        (UserRef::id(USER_ID), json!({"id": USER_ID})),
        (UserRef::email("joe.user@email.com"), json!({"email": "joe.user@email.com"})),
        (UserRef::username("joe"), json!({"username": "joe"})),
    ] {
        let server = answering(json!({})).await;
        client(&server).user_delete(&user).await.unwrap();
        assert_wire(&only_request(&server).await, "/v2/user/delete", body);
    }
}

#[tokio::test]
async fn user_delete_accepts_a_null_result() {
    let server = answering(Value::Null).await;
    let done = client(&server).user_delete(&UserRef::id(USER_ID)).await.unwrap();
    assert_eq!(done.request_id, "prq_wiretest");
}

#[tokio::test]
async fn user_list_with_every_option() {
    let server = answering(json!({"users": [user_json()], "count": 42, "last": "cursor-2"})).await;
    let since = chrono::Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
    let filter = UserFilter::new()
        .email_contains(["@email.com"])
        .id_in([USER_ID])
        .username("joe")
        .created_at_gte(since)
        .login_count_lt(10)
        .disabled(false)
        .verified(true)
        .profile("first", "Joe")
        .profile_contains("last", ["Us"])
        .profile_exists("phone", false)
        .scopes(["openid"]);
    let query = UserList::new()
        .filter(filter)
        .order(Order::Desc)
        .order_by(UserOrderBy::CreatedAt)
        .size(50)
        .after("cursor-1");
    let page = client(&server).user_list(&query).await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "/v2/user/list",
        json!({
            "filter": {
                "email__contains": ["@email.com"], "id__in": [USER_ID], "username": "joe",
                "created_at__gte": "2024-01-02T03:04:05Z", "login_count__lt": 10, "disabled": false,
                "verified": true, "profile_first": "Joe", "profile_last__contains": ["Us"],
                "profile_phone__exists": false, "scopes": ["openid"]
            },
            "order": "desc", "order_by": "created_at", "size": 50, "last": "cursor-1"
        }),
    );
    assert_eq!(page.users.len(), 1);
    assert_eq!(page.count, Some(42));
    assert_eq!(page.last.as_deref(), Some("cursor-2"));
}

#[tokio::test]
async fn user_list_filters_on_last_login_place_and_any_raw_key() {
    let server = answering(json!({"users": [], "count": 0})).await;
    let filter = UserFilter::new()
        .last_login_city("Lisbon")
        .last_login_city_contains(["Lis"])
        .last_login_city_in(["Lisbon", "Porto"])
        .last_login_country("Portugal")
        .last_login_country_contains(["Port"])
        .last_login_country_in(["Portugal"])
        .raw("phone__contains", json!(["+351"]))
        .raw("use_new", true);
    client(&server).user_list(&UserList::new().filter(filter)).await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "/v2/user/list",
        json!({"filter": {
            "last_login_city": "Lisbon", "last_login_city__contains": ["Lis"],
            "last_login_city__in": ["Lisbon", "Porto"], "last_login_country": "Portugal",
            "last_login_country__contains": ["Port"], "last_login_country__in": ["Portugal"],
            "phone__contains": ["+351"], "use_new": true
        }}),
    );
    let empty_key = UserList::new().filter(UserFilter::new().raw("", 1));
    let err = client(&server).user_list(&empty_key).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn user_list_with_no_options_sends_an_empty_object() {
    let server = answering(json!({"users": [], "count": 0})).await;
    let page = client(&server).user_list(&UserList::new()).await.unwrap();
    assert_wire(&only_request(&server).await, "/v2/user/list", json!({}));
    assert!(page.users.is_empty() && page.last.is_none());
}

#[tokio::test]
async fn users_stream_follows_the_cursor_page_by_page() {
    let server = MockServer::start().await;
    let user = |n: u32| json!({"id": format!("pui_{n}"), "email": format!("u{n}@example.com")});
    let page = |after: Option<&str>| {
        let sent = after.map(str::to_string);
        move |request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
            body.get("last").and_then(Value::as_str).map(str::to_string) == sent
        }
    };
    for (after, users, last) in [
        (None, vec![user(1), user(2)], Some("c1")),
        (Some("c1"), vec![user(3), user(4)], Some("c2")),
        (Some("c2"), vec![user(5)], None),
    ] {
        let mut result = json!({"users": users, "count": 5});
        if let Some(last) = last {
            result["last"] = json!(last);
        }
        Mock::given(method("POST"))
            .and(path("/v2/user/list"))
            .and(page(after))
            .respond_with(ResponseTemplate::new(200).set_body_json(envelope(result)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let query = UserList::new().size(2).order_by(UserOrderBy::Id);
    let users: Vec<_> = client(&server).users(&query).items().try_collect().await.unwrap();
    let ids: Vec<_> = users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["pui_1", "pui_2", "pui_3", "pui_4", "pui_5"]);
    let bodies: Vec<Value> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(bodies[1], json!({"size": 2, "order_by": "id", "last": "c1"}));
}

#[tokio::test]
async fn a_cursor_that_does_not_move_stops_the_stream_with_an_error() {
    let server = answering(json!({"users": [{"id": "pui_1", "email": "a@b.co"}], "last": "same"})).await;
    let pages: Vec<_> = client(&server).users(&UserList::new()).collect::<Vec<_>>().await;
    assert_eq!(pages.len(), 2, "the first page, then the error");
    let err = pages[1].as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn user_update_disable_and_unlock() {
    let server = answering(user_json()).await;
    let user = client(&server)
        .user_update(&UserRef::email("joe.user@email.com"), &UserUpdate::new().disabled(true).unlock())
        .await
        .unwrap();
    assert_wire(
        &only_request(&server).await,
        "/v2/user/update",
        json!({"email": "joe.user@email.com", "disabled": true, "unlock": true}),
    );
    assert_eq!(user.id, USER_ID);

    let server = answering(user_json()).await;
    client(&server).user_update(&UserRef::username("joe"), &UserUpdate::new().disabled(false)).await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "/v2/user/update",
        json!({"username": "joe", "disabled": false}),
    );
}

#[tokio::test]
async fn user_update_phone_alone() {
    let mut answer = user_json();
    answer["phone"] = json!("+18085550173");
    let server = answering(answer).await;
    let user = client(&server)
        .user_update(&UserRef::id(USER_ID), &UserUpdate::new().phone("+18085550173"))
        .await
        .unwrap();
    assert_wire(
        &only_request(&server).await,
        "/v2/user/update",
        json!({"id": USER_ID, "phone": "+18085550173"}),
    );
    assert_eq!(user.phone.as_deref(), Some("+18085550173"));
    let err = client(&server).user_update(&UserRef::id(USER_ID), &UserUpdate::new()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn client_userinfo_keeps_intelligence_audience_client_id_and_claims() {
    let server = answering(json!({
        "refresh_token": {"id": "pmt_r", "token": "ptr_x", "type": "session"},
        "active_token": {"id": "pmt_a", "token": "ptu_y", "type": "client",
            "intelligence": {"embargo": false, "user_intel": true,
                "ip_intel": {"is_bad": false, "ip_address": "203.0.113.7", "reputation": {"verdict": "benign"}},
                "domain_intel": {"is_bad": false, "reputation": {"verdict": "benign", "score": 0}}},
            "audience": ["https://api.example.com"], "client_id": "psa_wuk7tvtpswyjtlsx52b7yyi2l7zotv4a",
            "claims": {"tenant": "acme", "roles": ["admin"]}}
    }))
    .await;
    let tokens = client(&server).client_userinfo("pmc_code", None).await.unwrap();
    let active = tokens.active_token.as_ref().unwrap();
    let intel = active.intelligence.as_ref().unwrap();
    assert_eq!((intel.embargo, intel.user_intel), (Some(false), Some(true)));
    assert_eq!(intel.ip_intel["reputation"]["verdict"], "benign");
    assert_eq!(intel.domain_intel["reputation"]["score"], 0);
    assert_eq!(active.audience, ["https://api.example.com"]);
    assert_eq!(active.client_id.as_deref(), Some("psa_wuk7tvtpswyjtlsx52b7yyi2l7zotv4a"));
    assert_eq!(active.claims["roles"], json!(["admin"]));
    // Absent or null, each is empty.
    let refresh = &tokens.refresh_token;
    assert!(refresh.intelligence.is_none() && refresh.audience.is_empty() && refresh.claims.is_empty());
}

#[tokio::test]
async fn user_profile_get() {
    let server = answering(user_json()).await;
    let user = client(&server).user_profile_get(&UserRef::id(USER_ID)).await.unwrap();
    assert_wire(&only_request(&server).await, "/v2/user/profile/get", json!({"id": USER_ID}));
    assert_eq!(user.email, "joe.user@email.com");
    assert_eq!(user.last_login_city.as_deref(), Some("Lisbon"));
}

#[tokio::test]
async fn user_profile_update_sets_and_deletes_keys() {
    let server = answering(user_json()).await;
    let changes = ProfileChanges::new().set("phone", "+18085550173").remove("deleteme");
    client(&server).user_profile_update(&UserRef::email("joe.user@email.com"), &changes).await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "/v2/user/profile/update",
        json!({"email": "joe.user@email.com", "profile": {"phone": "+18085550173", "deleteme": null}}),
    );
}

#[tokio::test]
async fn user_authenticators_list() {
    let server = answering(json!({"authenticators": [
        {"id": "pau_1", "type": "passkey", "enabled": true, "provider": "webauthn", "rpid": "example.com",
         "phase": "primary", "created_at": "2023-01-01T00:00:00Z", "updated_at": "2023-01-01T00:00:00Z"},
        {"id": "pau_2", "type": "hardware_key_2030", "enabled": false,
         "created_at": "2023-01-01T00:00:00Z", "updated_at": "2023-01-01T00:00:00Z", "extra": [1, 2]}
    ]}))
    .await;
    let list = client(&server).user_authenticators_list(&UserRef::username("joe")).await.unwrap();
    assert_wire(&only_request(&server).await, "/v2/user/authenticators/list", json!({"username": "joe"}));
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].kind, AuthenticatorType::Passkey);
    assert_eq!(list[0].rpid.as_deref(), Some("example.com"));
    assert_eq!(list[1].kind, AuthenticatorType::Other("hardware_key_2030".into()));
    assert!(!list[1].enabled);
}

#[tokio::test]
async fn user_authenticators_delete() {
    let server = answering(json!({})).await;
    client(&server).user_authenticators_delete(&UserRef::id(USER_ID), "pau_1").await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "/v2/user/authenticators/delete",
        json!({"id": USER_ID, "authenticator_id": "pau_1"}),
    );
}

#[tokio::test]
async fn domain_builds_the_service_url() {
    let client = Client::new(TOKEN).unwrap();
    assert_eq!(client.base_url(), "https://authn.aws.us.pangea.cloud");
    let eu = Client::builder(TOKEN).domain("aws.eu.pangea.cloud").build().unwrap();
    assert_eq!(eu.base_url(), "https://authn.aws.eu.pangea.cloud");
    let err = Client::builder(TOKEN).domain("evil.com/x?").build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.message().starts_with("`domain` "), "{err}");
}

fn accepted(request_id: &str) -> ResponseTemplate {
    ResponseTemplate::new(202).set_body_json(json!({
        "request_id": request_id, "request_time": "2022-09-21T17:24:33.105Z",
        "response_time": "2022-09-21T17:24:33.200Z", "status": "Accepted",
        "summary": "Your request is in progress",
        "result": {"ttl_mins": 5, "retry_counter": 0, "location": format!("https://authn.example/request/{request_id}")}
    }))
}

fn fast_polling(server: &MockServer, deadline: Duration) -> Client {
    Client::builder(TOKEN)
        .base_url(server.uri())
        .polling(Polling::new(deadline).backoff(Duration::from_millis(5), Duration::from_millis(20)))
        .build()
        .unwrap()
}

#[tokio::test]
async fn accepted_is_polled_until_done() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/user/create"))
        .respond_with(accepted("prq_async"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/request/prq_async"))
        .respond_with(accepted("prq_async"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    let mut done = envelope(user_json());
    done["request_id"] = json!("prq_async");
    Mock::given(method("GET"))
        .and(path("/request/prq_async"))
        .respond_with(ResponseTemplate::new(200).set_body_json(done))
        .mount(&server)
        .await;

    let user = fast_polling(&server, Duration::from_secs(5))
        .user_create(&NewUser::new("joe.user@email.com"))
        .await
        .unwrap();
    assert_eq!(user.id, USER_ID);
    assert_eq!(user.request_id, "prq_async");
    let requests = server.received_requests().await.unwrap();
    let seen: Vec<_> = requests.iter().map(|r| format!("{} {}", r.method, r.url.path())).collect();
    assert_eq!(
        seen,
        [
            "POST /v2/user/create",
            "GET /request/prq_async",
            "GET /request/prq_async",
            "GET /request/prq_async"
        ]
    );
    for poll in &requests[1..] {
        assert_eq!(poll.headers.get("authorization").unwrap().to_str().unwrap(), format!("Bearer {TOKEN}"));
        assert!(poll.body.is_empty());
    }
}

#[tokio::test]
async fn polling_gives_up_at_the_deadline_with_the_request_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(accepted("prq_slow")).mount(&server).await;
    Mock::given(method("GET")).respond_with(accepted("prq_slow")).mount(&server).await;
    let started = std::time::Instant::now();
    let err = fast_polling(&server, Duration::from_millis(60))
        .user_delete(&UserRef::id(USER_ID))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(err.is_timeout());
    assert_eq!(err.request_id(), Some("prq_slow"));
    assert_eq!(err.code(), Some("Accepted"));
    assert_eq!(err.status(), Some(202));
    assert!(err.message().contains("/request/prq_slow"), "{err}");
    let polls = server.received_requests().await.unwrap().len() - 1;
    assert!((1..=12).contains(&polls), "{polls} polls");
}

#[tokio::test]
async fn polling_never_fails_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(accepted("prq_now")).mount(&server).await;
    let client = Client::builder(TOKEN).base_url(server.uri()).polling(Polling::never()).build().unwrap();
    let err = client.user_profile_get(&UserRef::id(USER_ID)).await.unwrap_err();
    assert_eq!(err.request_id(), Some("prq_now"));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_polled_request_that_failed_is_the_vendors_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(accepted("prq_bad")).mount(&server).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "request_id": "prq_bad", "request_time": "2022-09-21T17:24:33Z", "response_time": "2022-09-21T17:24:34Z",
            "status": "ValidationError", "summary": "There was 1 error",
            "result": {"errors": [{"code": "BadFormatEmail", "detail": "bad email", "source": "/email"}]}
        })))
        .mount(&server)
        .await;
    let err =
        fast_polling(&server, Duration::from_secs(5)).user_create(&NewUser::new("a@b.co")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.request_id(), Some("prq_bad"));
    assert_eq!(accountkit::pangea::field_errors(&err)[0].code, "BadFormatEmail");
}

#[tokio::test]
async fn a_poll_that_fails_without_an_envelope_keeps_the_request_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(accepted("prq_lost")).mount(&server).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        .mount(&server)
        .await;
    let err = fast_polling(&server, Duration::from_secs(5)).user_list(&UserList::new()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.request_id(), Some("prq_lost"));
    assert!(err.is_retryable());
}
