//! Every Cycle operation against a local HTTP server: method, exact path and
//! query, `Authorization: Bearer` present or absent, `X-Hub-Id` only when
//! set, Content-Type, exact JSON body, and the decoding of a realistic
//! response.

#![cfg(feature = "cycle")]

use std::time::Duration;

use accountkit::cycle::{
    AccountState, AccountUpdate, Client, JobState, JobTracking, ListQuery, Login, MembershipState, TaskState,
    TwoFactorRecovery, TwoFactorStatus, totp_code,
};
use accountkit::{ErrorKind, ExposeSecret, SecretString};
use futures::TryStreamExt;
use serde_json::{Value, json};
use wiremock::matchers::{any, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "cyc-key-4f1e0a9b7c";
const HUB: &str = "5e0a5f0b8a2e5c0001c0ffee";
// RFC 6238's test secret, base32.
const TOTP_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

async fn answering(status: u16, body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(ResponseTemplate::new(status).set_body_json(body)).mount(&server).await;
    server
}

fn client(server: &MockServer) -> Client {
    Client::builder().base_url(server.uri()).token(TOKEN).build().unwrap()
}

fn hub_client(server: &MockServer) -> Client {
    Client::builder().base_url(server.uri()).token(TOKEN).hub_id(HUB).build().unwrap()
}

fn anonymous(server: &MockServer) -> Client {
    Client::builder().base_url(server.uri()).build().unwrap()
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

async fn only_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "expected exactly one request");
    requests.remove(0)
}

#[derive(Clone, Copy)]
enum Auth {
    Bearer,
    BearerAndHub,
    None,
}

/// Checks method, path, no query, credentials and the JSON body (`None`: no body).
fn assert_wire(request: &Request, method: &str, path: &str, auth: Auth, body: Option<Value>) {
    assert_eq!(request.url.query(), None);
    assert_wire_query(request, method, path, auth, body);
}

fn assert_wire_query(request: &Request, method: &str, path: &str, auth: Auth, body: Option<Value>) {
    assert_eq!(request.method.as_str(), method);
    assert_eq!(request.url.path(), path);
    let header = |name: &str| request.headers.get(name).map(|v| v.to_str().unwrap().to_string());
    match auth {
        Auth::Bearer | Auth::BearerAndHub => {
            assert_eq!(header("authorization"), Some(format!("Bearer {TOKEN}")))
        }
        Auth::None => assert_eq!(header("authorization"), None, "token sent on a logged-out operation"),
    }
    match auth {
        Auth::BearerAndHub => assert_eq!(header("x-hub-id").as_deref(), Some(HUB)),
        _ => assert_eq!(header("x-hub-id"), None, "X-Hub-Id sent though no hub is set"),
    }
    assert!(request.headers.get("api-version").is_none());
    assert!(header("user-agent").unwrap().starts_with("accountkit/"));
    match body {
        Some(expected) => {
            assert_eq!(header("content-type").as_deref(), Some("application/json"));
            let sent: Value = serde_json::from_slice(&request.body).unwrap();
            assert_eq!(sent, expected);
        }
        None => assert!(request.body.is_empty(), "unexpected body"),
    }
}

fn account_json() -> Value {
    json!({
        "id": "651586fca6078e98982dbd90",
        "name": {"first": "Ada", "last": "Lovelace"},
        "email": {"address": "ada@example.com", "verified": true, "added": "2023-09-28T14:00:12.482Z"},
        "two_factor_auth": {"verified": true},
        "allow_support_login": true,
        "state": {"current": "live", "changed": "2023-09-28T14:00:12.482Z", "error": null},
        "events": {"created": "2023-09-28T14:00:12.482Z", "updated": "2024-01-02T03:04:05Z",
                   "deleted": "0001-01-01T00:00:00Z", "last_login": "2026-11-20T10:00:00Z"},
        "meta": {"something_new": 1}
    })
}

#[tokio::test]
async fn get_account() {
    let server = answering(200, json!({"data": account_json()})).await;
    let account = client(&server).get_account().await.unwrap();
    assert_wire(&only_request(&server).await, "GET", "/v1/account", Auth::Bearer, None);
    assert_eq!(account.id, "651586fca6078e98982dbd90");
    assert_eq!((account.name.first.as_str(), account.name.last.as_str()), ("Ada", "Lovelace"));
    assert_eq!(account.email.address, "ada@example.com");
    assert!(account.email.verified);
    assert_eq!(account.two_factor, TwoFactorStatus::On);
    assert!(account.allow_support_login);
    assert_eq!(account.state, AccountState::Live);
    assert_eq!(account.state_error, None);
    assert_eq!(account.events.created.unwrap().to_rfc3339(), "2023-09-28T14:00:12.482+00:00");
    assert_eq!(account.events.deleted, None, "the zero time is unset");
    assert_eq!(account.events.last_login.unwrap().timestamp(), 1_795_168_800);
}

#[tokio::test]
async fn get_account_without_two_factor_and_with_an_unknown_state() {
    let mut account = account_json();
    account["two_factor_auth"] = Value::Null;
    account["state"] = json!({"current": "hibernating", "changed": "2023-09-28T14:00:12Z",
                              "error": {"message": "card declined"}});
    account.as_object_mut().unwrap().remove("allow_support_login");
    let server = answering(200, json!({"data": account})).await;
    let account = hub_client(&server).get_account().await.unwrap();
    assert_wire(&only_request(&server).await, "GET", "/v1/account", Auth::BearerAndHub, None);
    assert_eq!(account.two_factor, TwoFactorStatus::Off);
    assert_eq!(account.state, AccountState::Other("hibernating".into()));
    assert_eq!(account.state_error.as_deref(), Some("card declined"));
    assert!(!account.allow_support_login);
}

#[tokio::test]
async fn update_account_sends_both_name_parts() {
    let server = answering(200, json!({"data": account_json()})).await;
    let update = AccountUpdate::new().name("Ada", "King").allow_support_login(false);
    hub_client(&server).update_account(&update).await.unwrap();
    let body = json!({"name": {"first": "Ada", "last": "King"}, "allow_support_login": false});
    assert_wire(&only_request(&server).await, "PATCH", "/v1/account", Auth::BearerAndHub, Some(body));
}

#[tokio::test]
async fn update_account_changes_one_name_part_alone() {
    let server = answering(200, json!({"data": account_json()})).await;
    client(&server).update_account(&AccountUpdate::new().first_name("Augusta")).await.unwrap();
    client(&server).update_account(&AccountUpdate::new().last_name("Lovelace")).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_wire(
        &requests[0],
        "PATCH",
        "/v1/account",
        Auth::Bearer,
        Some(json!({"name": {"first": "Augusta"}})),
    );
    assert_wire(
        &requests[1],
        "PATCH",
        "/v1/account",
        Auth::Bearer,
        Some(json!({"name": {"last": "Lovelace"}})),
    );
}

#[tokio::test]
async fn update_account_with_one_field_sends_one_field() {
    let server = answering(200, json!({"data": account_json()})).await;
    client(&server).update_account(&AccountUpdate::new().allow_support_login(true)).await.unwrap();
    let body = json!({"allow_support_login": true});
    assert_wire(&only_request(&server).await, "PATCH", "/v1/account", Auth::Bearer, Some(body));
}

#[tokio::test]
async fn delete_account_answers_202_with_a_job() {
    let job = json!({"data": {"action": "delete", "job": {
        "id": "65158b1ba6078e98982dbd91", "accepted": true, "queue": "account",
        "schedule": "2026-11-23T04:00:00Z", "parallel": {"sub_queue": "deletions", "tasks": true},
        "tasks": [{"caption": "Deleting account", "header": "delete", "input": {"force": true},
                   "steps": [{"caption": "Removing", "description": "Removes the account",
                              "started": "2026-11-23T04:00:01Z", "completed": "0001-01-01T00:00:00Z"}]},
                  {"caption": "Notifying", "header": "notify", "steps": null, "input": {}}]
    }}});
    let server = answering(202, job).await;
    let descriptor = client(&server).delete_account().await.unwrap();
    assert_wire(&only_request(&server).await, "DELETE", "/v1/account", Auth::Bearer, None);
    assert_eq!(descriptor.action, "delete");
    let job = descriptor.job.unwrap();
    assert_eq!(job.id, "65158b1ba6078e98982dbd91");
    assert!(job.accepted);
    assert_eq!(job.queue.as_deref(), Some("account"));
    assert_eq!(job.schedule.unwrap().to_rfc3339(), "2026-11-23T04:00:00+00:00");
    let parallel = job.parallel.unwrap();
    assert_eq!((parallel.sub_queue.as_deref(), parallel.tasks), (Some("deletions"), true));
    assert_eq!(job.tasks.len(), 2);
    let task = &job.tasks[0];
    assert_eq!((task.caption.as_str(), task.header.as_str()), ("Deleting account", "delete"));
    assert_eq!(task.input["force"], json!(true));
    assert_eq!(task.steps[0].caption, "Removing");
    assert_eq!(task.steps[0].description, "Removes the account");
    assert_eq!(task.steps[0].started.unwrap().to_rfc3339(), "2026-11-23T04:00:01+00:00");
    assert_eq!(task.steps[0].completed, None, "the zero time is not yet");
    assert!(job.tasks[1].steps.is_empty() && job.tasks[1].input.is_empty());
}

/// A job as `GET /v1/jobs/{id}` answers it, in state `state`.
fn job_json(state: &str) -> Value {
    let completed = if state == "completed" { "2026-11-23T04:00:09Z" } else { "0001-01-01T00:00:00Z" };
    let error = if state == "error" { json!({"message": "storage is busy"}) } else { Value::Null };
    json!({"data": {
        "id": "65158b1ba6078e98982dbd91", "hub_id": "", "queue": "account", "caption": "Delete account",
        "events": {"queued": "2026-11-23T04:00:00Z", "started": "2026-11-23T04:00:01Z", "completed": completed},
        "schedule": "2026-11-23T04:00:00Z", "expires": "2026-11-23T05:00:00Z", "hash": "abc",
        "limit_duplicates": false, "creator": {"type": "account", "id": "651586fca6078e98982dbd90"},
        "state": {"current": state, "changed": "2026-11-23T04:00:02Z", "error": error},
        "tasks": [{
            "id": "t1", "caption": "Deleting account", "header": "delete",
            "events": {"queued": "2026-11-23T04:00:00Z", "started": "2026-11-23T04:00:01Z", "completed": completed},
            "steps": [{"caption": "Removing", "description": "Removes the account",
                       "started": "2026-11-23T04:00:01Z", "completed": completed}],
            "state": {"current": if state == "queued" { "pending" } else { state }, "changed": "2026-11-23T04:00:02Z"},
            "input": {"account_id": "651586fca6078e98982dbd90"}, "output": {"removed": "yes"}, "error": error
        }]
    }})
}

#[tokio::test]
async fn get_job_decodes_the_jobs_api_answer() {
    let server = answering(200, job_json("running")).await;
    let job = hub_client(&server).get_job("65158b1ba6078e98982dbd91").await.unwrap();
    assert_wire(
        &only_request(&server).await,
        "GET",
        "/v1/jobs/65158b1ba6078e98982dbd91",
        Auth::BearerAndHub,
        None,
    );
    assert_eq!(job.id, "65158b1ba6078e98982dbd91");
    assert_eq!(job.state, JobState::Running);
    assert!(!job.is_done());
    assert_eq!(job.caption.as_deref(), Some("Delete account"));
    assert_eq!(job.started.unwrap().to_rfc3339(), "2026-11-23T04:00:01+00:00");
    assert_eq!(job.completed, None);
    let task = &job.tasks[0];
    assert_eq!(task.state, Some(TaskState::Running));
    assert_eq!(task.output["removed"], json!("yes"));
    assert_eq!(task.input["account_id"], json!("651586fca6078e98982dbd90"));
    let progress = job.progress();
    assert_eq!((progress.total, progress.completed, progress.failed), (1, 0, 0));

    let server = answering(200, job_json("error")).await;
    let failed = client(&server).get_job("65158b1ba6078e98982dbd91").await.unwrap();
    assert_wire(&only_request(&server).await, "GET", "/v1/jobs/65158b1ba6078e98982dbd91", Auth::Bearer, None);
    assert_eq!((&failed.state, failed.error.as_deref()), (&JobState::Error, Some("storage is busy")));
    assert_eq!(failed.progress().failed, 1);
    let err = client(&server).get_job("").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

fn quick(deadline_ms: u64) -> JobTracking {
    JobTracking::new(Duration::from_millis(deadline_ms)).interval(Duration::from_millis(5))
}

/// Answers in turn with each of `answers` (status, body), then with the last.
async fn answering_in_turn(answers: Vec<(u16, Value)>) -> MockServer {
    let server = MockServer::start().await;
    let last = answers.len() - 1;
    for (i, (status, body)) in answers.into_iter().enumerate() {
        let mock = Mock::given(any()).respond_with(ResponseTemplate::new(status).set_body_json(body));
        let mock = if i < last { mock.up_to_n_times(1) } else { mock };
        server.register(mock.with_priority(u8::try_from(i + 1).unwrap())).await;
    }
    server
}

fn not_found_job() -> (u16, Value) {
    (404, json!({"error": {"status": 404, "code": "404.job", "title": "No such job"}, "data": null}))
}

#[tokio::test]
async fn track_job_rides_out_a_new_job_and_polls_until_completed() {
    let server = answering_in_turn(vec![
        not_found_job(),
        not_found_job(),
        (200, job_json("queued")),
        (200, job_json("running")),
        (200, job_json("completed")),
    ])
    .await;
    let job = client(&server).track_job("65158b1ba6078e98982dbd91", &quick(5_000)).await.unwrap();
    assert_eq!(job.state, JobState::Completed);
    assert_eq!(job.completed.unwrap().to_rfc3339(), "2026-11-23T04:00:09+00:00");
    assert_eq!(job.progress().completed, 1);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 5);
    for request in &requests {
        assert_wire(request, "GET", "/v1/jobs/65158b1ba6078e98982dbd91", Auth::Bearer, None);
    }
}

#[tokio::test]
async fn track_job_gives_up_after_five_not_found_answers() {
    let server = answering_in_turn(vec![not_found_job()]).await;
    let err = client(&server).track_job("65158b1ba6078e98982dbd91", &quick(5_000)).await.unwrap_err();
    assert_eq!((err.kind(), err.status(), err.code()), (ErrorKind::NotFound, Some(404), Some("404.job")));
    assert_eq!(err.operation(), "track_job");
    assert_eq!(server.received_requests().await.unwrap().len(), 6);
}

#[tokio::test]
async fn track_job_fails_with_the_jobs_error_or_at_the_deadline() {
    let server = answering(200, job_json("error")).await;
    let err = client(&server).track_job("65158b1ba6078e98982dbd91", &quick(5_000)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Rejected);
    assert_eq!(err.message(), "job 65158b1ba6078e98982dbd91 failed: storage is busy");

    let server = answering(200, job_json("expired")).await;
    let err = client(&server).track_job("65158b1ba6078e98982dbd91", &quick(5_000)).await.unwrap_err();
    assert_eq!(
        (err.kind(), err.message()),
        (ErrorKind::Rejected, "job 65158b1ba6078e98982dbd91 expired before it ran")
    );

    let server = answering(200, job_json("running")).await;
    let err = client(&server).track_job("65158b1ba6078e98982dbd91", &quick(30)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(err.is_timeout());
    assert!(err.message().contains("(last running)"), "{err}");
    assert!(server.received_requests().await.unwrap().len() >= 2);
}

#[tokio::test]
async fn delete_account_and_wait_deletes_then_tracks_the_job() {
    let server = MockServer::start().await;
    let descriptor =
        json!({"data": {"action": "delete", "job": {"id": "65158b1ba6078e98982dbd91", "accepted": true}}});
    Mock::given(wiremock::matchers::method("DELETE"))
        .respond_with(ResponseTemplate::new(202).set_body_json(descriptor))
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(job_json("completed")))
        .mount(&server)
        .await;
    let job = hub_client(&server).delete_account_and_wait(&quick(5_000)).await.unwrap();
    assert_eq!(job.state, JobState::Completed);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert_wire(&requests[0], "DELETE", "/v1/account", Auth::BearerAndHub, None);
    assert_wire(&requests[1], "GET", "/v1/jobs/65158b1ba6078e98982dbd91", Auth::BearerAndHub, None);

    let server =
        answering(409, json!({"error": {"status": 409, "code": "409.hub-owner", "title": "Owns a hub"}}))
            .await;
    let err = client(&server).delete_account_and_wait(&quick(5_000)).await.unwrap_err();
    assert_eq!((err.operation(), err.kind()), ("delete_account_and_wait", ErrorKind::Conflict));
    assert!(err.message().starts_with("delete_account: "), "{err}");
}

#[tokio::test]
async fn delete_account_without_a_job() {
    let server = answering(202, json!({"data": {"action": "delete"}})).await;
    let descriptor = client(&server).delete_account().await.unwrap();
    assert_eq!((descriptor.action.as_str(), descriptor.job), ("delete", None));
}

fn login_json(id: &str, kind: &str) -> Value {
    let mut login = json!({"id": id, "account": {"id": "651586fca6078e98982dbd90", "ip": "203.0.113.7"},
                           "time": "2026-11-20T10:00:00Z", "type": kind, "success": true});
    if kind == "employee" {
        login["employee"] = json!({"id": "e-1", "ip": "198.51.100.2"});
    }
    login
}

#[tokio::test]
async fn logins_page_encodes_sort_filter_and_page() {
    let server = answering(
        200,
        json!({"data": [login_json("l1", "password"), login_json("l2", "employee"),
                                                 login_json("l3", "sso")]}),
    )
    .await;
    let query = ListQuery::new()
        .sort_descending("time")
        .sort_ascending("id")
        .filter("success", "true")
        .filter("range-start", "2026-11-01T00:00:00Z")
        .page(2)
        .page_size(50);
    let logins = client(&server).logins_page(&query).await.unwrap();
    let request = only_request(&server).await;
    assert_wire_query(&request, "GET", "/v1/account/logins", Auth::Bearer, None);
    assert_eq!(
        request.url.query(),
        Some(
            "filter%5Brange-start%5D=2026-11-01T00%3A00%3A00Z&filter%5Bsuccess%5D=true\
             &page%5Bnumber%5D=2&page%5Bsize%5D=50&sort=-time&sort=id"
        )
    );
    let pairs: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
    assert!(pairs.contains(&("filter[success]".into(), "true".into())), "{pairs:?}");
    assert!(pairs.contains(&("page[number]".into(), "2".into())), "{pairs:?}");

    assert_eq!(logins.len(), 3);
    let Login::Password(record) = &logins[0] else { panic!("{:?}", logins[0]) };
    assert_eq!(record.id, "l1");
    assert_eq!(record.account.as_ref().unwrap().ip.as_deref(), Some("203.0.113.7"));
    assert!(record.success);
    assert_eq!(record.time.unwrap().timestamp(), 1_795_168_800);
    let Login::Employee { employee, .. } = &logins[1] else { panic!("{:?}", logins[1]) };
    assert_eq!(employee.as_ref().unwrap().id, "e-1");
    assert_eq!(logins[2].kind(), "sso");
    assert!(matches!(&logins[2], Login::Other { kind, .. } if kind == "sso"));
}

#[tokio::test]
async fn logins_page_defaults_to_page_one_of_twenty() {
    let server = answering(200, json!({"data": []})).await;
    client(&server).logins_page(&ListQuery::new()).await.unwrap();
    assert_eq!(only_request(&server).await.url.query(), Some("page%5Bnumber%5D=1&page%5Bsize%5D=20"));
}

#[tokio::test]
async fn logins_walks_every_page() {
    let server = MockServer::start().await;
    let page = |ids: &[&str]| {
        ResponseTemplate::new(200).set_body_json(
            json!({"data": ids.iter().map(|id| login_json(id, "password")).collect::<Vec<_>>()}),
        )
    };
    for (number, ids) in [("1", &["a", "b"][..]), ("2", &["c", "d"][..]), ("3", &["e"][..])] {
        Mock::given(query_param("page[number]", number))
            .and(query_param("page[size]", "2"))
            .respond_with(page(ids))
            .expect(1)
            .mount(&server)
            .await;
    }
    let logins: Vec<Login> =
        client(&server).logins(&ListQuery::new().page_size(2)).items().try_collect().await.unwrap();
    let ids: Vec<&str> = logins.iter().map(|l| l.record().id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d", "e"]);
}

#[tokio::test]
async fn logins_stops_when_a_full_last_page_is_followed_by_an_empty_one() {
    let server = MockServer::start().await;
    Mock::given(query_param("page[number]", "1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": [login_json("a", "password")]})),
        )
        .mount(&server)
        .await;
    Mock::given(query_param("page[number]", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .mount(&server)
        .await;
    let all = client(&server).all_logins(&ListQuery::new().page_size(1)).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn logins_stops_on_a_server_that_ignores_the_page_number() {
    // Always the same full page: without a guard this would never end.
    let server =
        answering(200, json!({"data": [login_json("a", "password"), login_json("b", "password")]})).await;
    let all = client(&server).all_logins(&ListQuery::new().page_size(2)).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn logins_ends_with_the_error_of_a_failing_page() {
    let server = MockServer::start().await;
    Mock::given(query_param("page[number]", "1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": [login_json("a", "password")]})),
        )
        .mount(&server)
        .await;
    Mock::given(query_param("page[number]", "2"))
        .respond_with(ResponseTemplate::new(503).set_body_json(
            json!({"error": {"status": 503, "code": "503.not-ready", "title": "Not ready"}, "data": null}),
        ))
        .mount(&server)
        .await;
    let err = client(&server).all_logins(&ListQuery::new().page_size(1)).await.unwrap_err();
    assert_eq!((err.kind(), err.status(), err.code()), (ErrorKind::Server, Some(503), Some("503.not-ready")));
    // Page 1, then page 2 in each of the default policy's 3 attempts (a read is retried on 503).
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

#[tokio::test]
async fn change_password() {
    let server = answering(200, json!({"data": account_json()})).await;
    client(&server).change_password("old-Pass-1", "new-Pass-22").await.unwrap();
    let body = json!({"current": "old-Pass-1", "new": "new-Pass-22"});
    assert_wire(&only_request(&server).await, "PATCH", "/v1/account/password", Auth::Bearer, Some(body));
}

#[tokio::test]
async fn start_password_reset_is_sent_without_a_token() {
    let server = answering(200, json!({"data": {"success": true}})).await;
    // Even a client holding a token leaves it off this logged-out flow.
    assert!(hub_client(&server).start_password_reset("user+tag@example.com").await.unwrap());
    let request = only_request(&server).await;
    assert_eq!(request.headers.get("authorization"), None);
    assert_eq!(request.headers.get("x-hub-id").unwrap(), HUB);
    let sent: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(sent, json!({"email": {"address": "user+tag@example.com"}}));
    assert_eq!(request.url.path(), "/v1/account/reset-password");
}

#[tokio::test]
async fn complete_password_reset() {
    let server = answering(200, json!({"data": {"success": true}})).await;
    assert!(anonymous(&server).complete_password_reset("rst-9a8b7c", "short").await.unwrap());
    // Cycle documents no length rule for a reset, so none is applied.
    let body = json!({"token": "rst-9a8b7c", "password": "short"});
    assert_wire(&only_request(&server).await, "POST", "/v1/account/reset-password", Auth::None, Some(body));
}

#[tokio::test]
async fn two_factor_setup() {
    let qr = "data:image/png;base64,iVBORw0KGgo=";
    let server = answering(200, json!({"data": {"qr": qr, "secret": TOTP_SECRET}})).await;
    let setup = client(&server).two_factor_setup().await.unwrap();
    assert_wire(&only_request(&server).await, "GET", "/v1/account/2fa/setup", Auth::Bearer, None);
    assert_eq!(setup.qr, qr);
    assert_eq!(setup.secret.expose_secret(), TOTP_SECRET);
    assert!(!format!("{setup:?}").contains(TOTP_SECRET));
}

#[tokio::test]
async fn enable_two_factor() {
    let server =
        answering(200, json!({"data": {"recovery_codes": ["rc-1", "rc-2"], "totp_passcode": "tp-1"}})).await;
    let codes = client(&server).enable_two_factor("123456").await.unwrap();
    let body = json!({"token": "123456"});
    assert_wire(&only_request(&server).await, "POST", "/v1/account/2fa/setup", Auth::Bearer, Some(body));
    let codes_shown: Vec<&str> = codes.codes.iter().map(|c| c.expose_secret()).collect();
    assert_eq!(codes_shown, ["rc-1", "rc-2"]);
    assert_eq!(codes.totp_passcode.unwrap().expose_secret(), "tp-1");
}

#[tokio::test]
async fn enable_two_factor_with_the_setup_sends_the_current_totp_code() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": {"qr": "q", "secret": TOTP_SECRET}})),
        )
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"recovery_codes": ["rc-1"]}})))
        .mount(&server)
        .await;
    let cycle = client(&server);
    let setup = cycle.two_factor_setup().await.unwrap();
    let before = totp_code(TOTP_SECRET).unwrap();
    let codes = cycle.enable_two_factor_with(&setup).await.unwrap();
    let after = totp_code(TOTP_SECRET).unwrap();
    assert_eq!(codes.codes.len(), 1);
    let requests = server.received_requests().await.unwrap();
    let sent: Value = serde_json::from_slice(&requests[1].body).unwrap();
    let sent = sent["token"].as_str().unwrap();
    // The 30 s step may tick during the call.
    assert!(sent == before.expose_secret() || sent == after.expose_secret(), "{sent}");
    assert_eq!(sent.len(), 6);
}

#[tokio::test]
async fn disable_two_factor() {
    let server = answering(200, json!({"data": account_json()})).await;
    hub_client(&server).disable_two_factor("654321").await.unwrap();
    let body = json!({"token": "654321"});
    assert_wire(
        &only_request(&server).await,
        "POST",
        "/v1/account/2fa/disable",
        Auth::BearerAndHub,
        Some(body),
    );
}

#[tokio::test]
async fn recover_two_factor_is_sent_without_a_token() {
    let server = answering(200, json!({"data": {"qr": "q2", "secret": "JBSWY3DPEHPK3PXPJBSWY3DP"}})).await;
    let recovery =
        TwoFactorRecovery::new("ada@example.com", "pw-Correct-1", [secret("rc-1"), secret("rc-2")]);
    let setup = anonymous(&server).recover_two_factor(&recovery).await.unwrap();
    let body =
        json!({"email": "ada@example.com", "password": "pw-Correct-1", "recovery_codes": ["rc-1", "rc-2"]});
    assert_wire(&only_request(&server).await, "POST", "/v1/account/2fa/recover", Auth::None, Some(body));
    assert_eq!(setup.secret.expose_secret(), "JBSWY3DPEHPK3PXPJBSWY3DP");
}

#[tokio::test]
async fn recover_two_factor_with_a_token() {
    let server = answering(200, json!({"data": {"qr": "q2", "secret": "S"}})).await;
    let recovery =
        TwoFactorRecovery::new("ada@example.com", "pw-Correct-1", [secret("rc-1")]).token("112233");
    anonymous(&server).recover_two_factor(&recovery).await.unwrap();
    let sent: Value = serde_json::from_slice(&only_request(&server).await.body).unwrap();
    assert_eq!(sent["token"], "112233");
}

#[tokio::test]
async fn operations_that_need_a_token_refuse_to_go_without_one() {
    let server = answering(200, json!({"data": account_json()})).await;
    let err = anonymous(&server).get_account().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.message().contains("`get_account` needs credentials"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

fn membership_json(id: &str, state: &str) -> Value {
    json!({
        "id": id, "account_id": "651586fca6078e98982dbd90", "hub_id": "5e0a5f0b8a2e5c0001c0ffee",
        "role_id": "5e0a5f0b8a2e5c0001c0ff01",
        "state": {"current": state, "changed": "2026-11-20T10:00:00Z"},
        "events": {"created": "2026-11-19T10:00:00Z", "updated": "2026-11-20T10:00:00Z",
                   "deleted": "0001-01-01T00:00:00Z", "joined": "2026-11-20T10:00:00Z"},
        "invitation": {"sender": {"id": "a-2", "type": "account"}, "recipient": "ada@example.com",
                       "events": {"created": "2026-11-19T10:00:00Z"}},
        "permissions": {"all_environments": false, "environments": [{"id": "env-1", "manage": true}]},
        "prefereneces": {"portal": {}},
        "meta": {"capabilities": ["containers-view"]}
    })
}

#[tokio::test]
async fn invites_page() {
    let server =
        answering(200, json!({"data": [membership_json("m-1", "pending")], "includes": {"hubs": {}}})).await;
    let invites = hub_client(&server).invites_page(&ListQuery::new().filter("hub", "h-1")).await.unwrap();
    let request = only_request(&server).await;
    assert_wire_query(&request, "GET", "/v1/account/invites", Auth::BearerAndHub, None);
    assert_eq!(request.url.query(), Some("filter%5Bhub%5D=h-1&page%5Bnumber%5D=1&page%5Bsize%5D=20"));
    let invite = &invites[0];
    assert_eq!((invite.id.as_str(), invite.hub_id.as_str()), ("m-1", "5e0a5f0b8a2e5c0001c0ffee"));
    assert_eq!(invite.state, MembershipState::Pending);
    let invitation = invite.invitation.as_ref().unwrap();
    assert_eq!(invitation.sender_id.as_deref(), Some("a-2"));
    assert_eq!(invitation.recipient.as_deref(), Some("ada@example.com"));
    assert_eq!(invite.environments, vec![("env-1".to_string(), true)]);
    assert!(!invite.all_environments);
}

#[tokio::test]
async fn accept_and_decline_invite() {
    let server = answering(200, json!({"data": membership_json("m 1/x", "accepted")})).await;
    let membership = client(&server).accept_invite("m 1/x").await;
    // A space is refused before sending; the id is one path segment.
    assert_eq!(membership.unwrap_err().kind(), ErrorKind::InvalidInput);
    let membership = client(&server).accept_invite("m1/x").await.unwrap();
    assert_eq!(membership.state, MembershipState::Accepted);
    assert_eq!(membership.joined.unwrap().timestamp(), 1_795_168_800);
    let body = json!({"accept": true});
    assert_wire(
        &only_request(&server).await,
        "PATCH",
        "/v1/account/invites/m1%2Fx",
        Auth::Bearer,
        Some(body),
    );

    let server = answering(200, json!({"data": membership_json("m2", "declined")})).await;
    let membership = client(&server).decline_invite("m2").await.unwrap();
    assert_eq!(membership.state, MembershipState::Declined);
    let body = json!({"decline": true});
    assert_wire(&only_request(&server).await, "PATCH", "/v1/account/invites/m2", Auth::Bearer, Some(body));
}

#[tokio::test]
async fn memberships_walk_every_page() {
    let server = MockServer::start().await;
    for (number, ids) in [("1", &["m1", "m2"][..]), ("2", &["m3"][..])] {
        let data: Vec<Value> = ids.iter().map(|id| membership_json(id, "accepted")).collect();
        Mock::given(query_param("page[number]", number))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": data})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let all: Vec<_> = client(&server)
        .memberships(&ListQuery::new().page_size(2).sort_ascending("hub_id"))
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["m1", "m2", "m3"]);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].url.path(), "/v1/account/memberships");
    assert_eq!(requests[0].url.query(), Some("page%5Bnumber%5D=1&page%5Bsize%5D=2&sort=hub_id"));
}
