//! Pangea failures of every shape end in a typed `accountkit::Error` that
//! keeps the request id, ValidationError details reach the caller, bad
//! arguments never leave the process, and no secret ever shows.

#![cfg(feature = "pangea")]

use accountkit::pangea::{Client, NewUser, ProfileChanges, UserList, UserRef, UserUpdate, field_errors};
use accountkit::{ErrorKind, RetryPolicy};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "pts_errorstestservicetoken";

async fn answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(template).mount(&server).await;
    server
}

fn client(server: &MockServer) -> Client {
    // Error mapping only: retries have their own suite.
    Client::builder(TOKEN).base_url(server.uri()).retry(RetryPolicy::none()).build().unwrap()
}

fn error_envelope(status: &str, summary: &str, result: Value) -> Value {
    json!({"request_id": "prq_failed", "request_time": "2022-09-21T17:24:33.105Z",
           "response_time": "2022-09-21T17:24:34.007Z", "status": status, "summary": summary, "result": result})
}

#[tokio::test]
async fn validation_error_details_reach_the_caller() {
    let body = error_envelope(
        "ValidationError",
        "There were 2 errors",
        json!({"errors": [
            {"code": "BadFormatEmail", "detail": "'x' is not an email", "source": "/email"},
            {"code": "FieldRequired", "detail": "profile is required", "source": "/profile", "path": "/properties"}
        ]}),
    );
    let server = answering(ResponseTemplate::new(400).set_body_json(body)).await;
    let err = client(&server).user_create(&NewUser::new("joe@email.com")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some("ValidationError"));
    assert_eq!(err.message(), "There were 2 errors");
    assert_eq!(err.request_id(), Some("prq_failed"));
    assert_eq!((err.provider(), err.operation()), ("pangea", "user_create"));
    let details = field_errors(&err);
    assert_eq!(details.len(), 2);
    assert_eq!((details[0].code.as_str(), details[0].source.as_str()), ("BadFormatEmail", "/email"));
    assert_eq!(details[1].path.as_deref(), Some("/properties"));
    assert_eq!(
        err.to_string(),
        "pangea user_create: invalid request (HTTP 400, ValidationError): There were 2 errors"
    );
}

#[tokio::test]
async fn the_status_decides_even_on_http_200() {
    let body = error_envelope("UserNotFound", "User not found", Value::Null);
    let server = answering(ResponseTemplate::new(200).set_body_json(body)).await;
    let err = client(&server).user_profile_get(&UserRef::id("pui_nobody")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.status(), Some(200));
    assert_eq!(err.code(), Some("UserNotFound"));
    assert_eq!(err.request_id(), Some("prq_failed"));
    assert!(field_errors(&err).is_empty());
}

#[tokio::test]
async fn a_validation_error_on_http_200_still_has_its_details() {
    // The error `result` has another shape than a user: the typed decode
    // fails, and the envelope is read again as an error.
    let body = error_envelope(
        "ValidationError",
        "bad",
        json!({"errors": [{"code": "MustProvideOne", "detail": "one of id, email, username", "source": "/"}]}),
    );
    let server = answering(ResponseTemplate::new(200).set_body_json(body)).await;
    let err = client(&server).user_profile_get(&UserRef::username("joe")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.request_id(), Some("prq_failed"));
    assert_eq!(field_errors(&err)[0].code, "MustProvideOne");
}

#[tokio::test]
async fn statuses_and_http_codes_classify() {
    for (http, status, kind) in [
        (401, "Unauthorized", ErrorKind::Unauthorized),
        (403, "NoCredit", ErrorKind::Forbidden),
        (429, "TooManyRequests", ErrorKind::RateLimited),
        (500, "InternalError", ErrorKind::Server),
        (400, "UserExists", ErrorKind::Conflict),
        (418, "SomethingNew", ErrorKind::Rejected),
        (200, "SomethingNew", ErrorKind::Rejected),
    ] {
        let server =
            answering(ResponseTemplate::new(http).set_body_json(error_envelope(status, "no", Value::Null)))
                .await;
        let err = client(&server).user_delete(&UserRef::id("pui_x")).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{http} {status}: {err}");
        assert_eq!(err.code(), Some(status));
        assert_eq!(err.status(), Some(http));
        assert_eq!(err.request_id(), Some("prq_failed"));
    }
}

#[tokio::test]
async fn rate_limits_keep_retry_after() {
    let server = answering(
        ResponseTemplate::new(429).insert_header("retry-after", "3").set_body_json(error_envelope(
            "TooManyRequests",
            "slow down",
            Value::Null,
        )),
    )
    .await;
    let err = client(&server).user_list(&UserList::new()).await.unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(3)));
}

#[tokio::test]
async fn a_503_that_is_not_an_envelope() {
    let server = answering(ResponseTemplate::new(503).set_body_string("<html>upstream down</html>")).await;
    let err = client(&server).user_list(&UserList::new()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.status(), Some(503));
    assert!(err.is_retryable());
    assert_eq!(err.request_id(), None);
}

#[tokio::test]
async fn success_with_a_result_of_the_wrong_shape_is_a_decode_error() {
    let body = json!({"request_id": "prq_odd", "request_time": "x", "response_time": "y", "status": "Success",
                      "result": {"users": "not a list"}});
    let server = answering(ResponseTemplate::new(200).set_body_json(body)).await;
    let err = client(&server).user_list(&UserList::new()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.request_id(), Some("prq_odd"));
}

#[tokio::test]
async fn success_without_a_result_is_a_decode_error() {
    let body =
        json!({"request_id": "prq_none", "request_time": "x", "response_time": "y", "status": "Success"});
    let server = answering(ResponseTemplate::new(200).set_body_json(body)).await;
    let err = client(&server).user_profile_get(&UserRef::id("pui_x")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.request_id(), Some("prq_none"));
}

#[tokio::test]
async fn garbage_never_panics() {
    for template in [
        ResponseTemplate::new(200).set_body_string("not json"),
        ResponseTemplate::new(200).set_body_json(json!([1, 2])),
        ResponseTemplate::new(200),
        ResponseTemplate::new(202).set_body_string("{"),
        ResponseTemplate::new(202).set_body_json(json!({"status": "Accepted"})),
        ResponseTemplate::new(302),
        ResponseTemplate::new(404).set_body_json(json!({"message": "no route"})),
    ] {
        let server = answering(template).await;
        let err = client(&server).user_profile_get(&UserRef::id("pui_x")).await.unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::Decode | ErrorKind::NotFound | ErrorKind::Rejected | ErrorKind::Redirected
            ),
            "{err}"
        );
    }
}

#[tokio::test]
async fn bad_arguments_are_refused_before_sending() {
    let server = answering(ResponseTemplate::new(500)).await;
    let c = client(&server);
    let checks = [
        (c.user_create(&NewUser::new("not-an-email")).await.unwrap_err(), "`email` "),
        (c.user_delete(&UserRef::id("")).await.unwrap_err(), "`id` "),
        (c.user_profile_get(&UserRef::email("a@b")).await.unwrap_err(), "`email` "),
        (c.user_update(&UserRef::username("joe"), &UserUpdate::new()).await.unwrap_err(), "`disabled` "),
        (
            c.user_profile_update(&UserRef::id("pui_x"), &ProfileChanges::new()).await.unwrap_err(),
            "`profile` ",
        ),
        (c.user_list(&UserList::new().size(0)).await.unwrap_err(), "`size` "),
        (
            c.user_authenticators_delete(&UserRef::id("pui_x"), "pau 1").await.unwrap_err(),
            "`authenticator_id` ",
        ),
        (c.client_userinfo("", None).await.unwrap_err(), "`code` "),
        (c.client_password_change("ptu_x", "", "n").await.unwrap_err(), "`old_password` "),
    ];
    for (err, field) in checks {
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        assert!(err.message().starts_with(field), "{err}");
    }
    let filter = accountkit::pangea::UserFilter::new().profile("first name", "x");
    let err = c.user_list(&UserList::new().filter(filter)).await.unwrap_err();
    assert!(err.message().starts_with("`filter` "), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
    assert!(Client::new("").is_err());
    assert!(Client::new("bad\ntoken").is_err());
}

#[tokio::test]
async fn secrets_never_show_in_clients_or_echoed_errors() {
    let echo = format!("token {TOKEN} and old-Pass1 and ptu_usertoken rejected");
    let body = error_envelope(
        "ValidationError",
        &echo,
        json!({"errors": [{"code": "BadFormat", "detail": "old-Pass1 is too weak", "source": "/old_password"}]}),
    );
    let server = answering(ResponseTemplate::new(400).set_body_json(body)).await;
    let c = client(&server);
    let err = c.client_password_change("ptu_usertoken", "old-Pass1", "new-Pass2").await.unwrap_err();
    let shown = format!("{err} {err:?} {c:?} {:?}", field_errors(&err));
    for secret in [TOKEN, "old-Pass1", "ptu_usertoken", "new-Pass2"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(field_errors(&err)[0].detail.contains("[REDACTED]"));
    let builder = Client::builder(TOKEN);
    assert!(!format!("{builder:?}").contains(TOKEN));
}

#[tokio::test]
async fn transport_errors_are_retryable_and_name_no_url() {
    let c = Client::builder(TOKEN).base_url("http://127.0.0.1:9").build().unwrap();
    let err = c.user_profile_get(&UserRef::email("joe@email.com")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(err.is_retryable());
    assert!(!err.to_string().contains(TOKEN));
}

#[tokio::test]
async fn paging_errors_name_the_stream_the_caller_used() {
    use futures::TryStreamExt;
    let body = error_envelope("ValidationError", "bad filter", json!({"errors": []}));
    let server = answering(ResponseTemplate::new(400).set_body_json(body)).await;
    let client = client(&server);
    let query = UserList::new();
    assert_eq!(client.user_list(&query).await.unwrap_err().operation(), "user_list");
    let err = client.users(&query).try_collect::<Vec<_>>().await.unwrap_err();
    assert_eq!(err.operation(), "users");
    let err = client.users(&query).items().try_collect::<Vec<_>>().await.unwrap_err();
    assert_eq!(err.operation(), "users");
}

#[tokio::test]
async fn a_client_operation_refused_with_a_service_token_says_a_client_token_is_needed() {
    let refused = ResponseTemplate::new(401).set_body_json(error_envelope(
        "Unauthorized",
        "Not authorized",
        Value::Null,
    ));
    let server = answering(refused.clone()).await;
    let err = client(&server).client_userinfo("pmc_code", None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert!(
        err.message().starts_with("Not authorized (the `client_*` operations need a client token"),
        "{err}"
    );

    // With a client token the vendor's message stands alone.
    let server = answering(refused).await;
    let with_client_token =
        Client::builder("pcl_clienttoken").base_url(server.uri()).retry(RetryPolicy::none()).build().unwrap();
    let err = with_client_token.client_password_change("ptu_user", "old-pw-1", "new-pw-1").await.unwrap_err();
    assert_eq!(err.message(), "Not authorized");
}
