//! The Pangea AuthN client against the sandbox, end to end: every test
//! starts its own sandbox and drives it through the public client API.

use std::time::{Duration, Instant};

use accountkit::pangea::{
    AuthenticatorType, Client, NewUser, Order, Polling, ProfileChanges, UserFilter, UserList, UserOrderBy,
    UserRef, UserUpdate, field_errors,
};
use accountkit::{ErrorKind, ExposeSecret, SecretString};
use accountkit_sandbox::Sandbox;
use accountkit_sandbox::pangea::Pangea;
use futures::TryStreamExt;

struct Env {
    // Dropping it stops the server.
    _sandbox: Sandbox,
    pangea: Pangea,
    /// Service token: user management.
    service: Client,
    /// Client token: the `client_*` operations.
    client: Client,
}

fn polling() -> Polling {
    Polling::new(Duration::from_secs(5)).backoff(Duration::from_millis(5), Duration::from_millis(20))
}

async fn start() -> Env {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let pangea = sandbox.pangea();
    let build = |token: SecretString| {
        Client::builder(token).base_url(pangea.base_url()).polling(polling()).build().unwrap()
    };
    let service = build(pangea.service_token());
    let client = build(pangea.client_token());
    Env { _sandbox: sandbox, pangea, service, client }
}

#[tokio::test]
async fn a_user_from_creation_to_deletion() {
    let env = start().await;
    let created = env
        .service
        .user_create(&NewUser::new("ada@example.com").username("ada").profile("first_name", "Ada"))
        .await
        .unwrap();
    assert!(created.id.starts_with("pui_"));
    assert!(created.request_id.starts_with("prq_"));
    assert_eq!(created.profile["first_name"], "Ada");

    // The same user by each of its three names.
    for user in [UserRef::id(&created.id), UserRef::email("ada@example.com"), UserRef::username("ada")] {
        assert_eq!(env.service.user_profile_get(&user).await.unwrap().id, created.id);
    }

    let ada = UserRef::from(&created.result);
    let changes = ProfileChanges::new().set("city", "London").remove("first_name");
    let updated = env.service.user_profile_update(&ada, &changes).await.unwrap();
    assert_eq!(updated.profile.get("city").map(String::as_str), Some("London"));
    assert!(!updated.profile.contains_key("first_name"));

    let disabled = env.service.user_update(&ada, &UserUpdate::new().disabled(true)).await.unwrap();
    assert!(disabled.disabled);
    env.pangea.lock_out("ada@example.com");
    assert!(env.service.user_profile_get(&ada).await.unwrap().locked_out);
    let back = env.service.user_update(&ada, &UserUpdate::new().disabled(false).unlock()).await.unwrap();
    assert!(!back.disabled && !back.locked_out);
    let phoned = env.service.user_update(&ada, &UserUpdate::new().phone("+18085550173")).await.unwrap();
    assert_eq!(phoned.phone.as_deref(), Some("+18085550173"));
    let refused = env.service.user_update(&ada, &UserUpdate::new().phone("call me")).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Validation);

    let deleted = env.service.user_delete(&ada).await.unwrap();
    assert!(deleted.request_id.starts_with("prq_"));
    let err = env.service.user_profile_get(&ada).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.code(), Some("UserNotFound"));
    assert!(err.request_id().unwrap().starts_with("prq_"));
}

#[tokio::test]
async fn the_servers_validation_details_reach_the_caller() {
    let env = start().await;
    env.service.user_create(&NewUser::new("ada@example.com")).await.unwrap();
    let taken = env.service.user_create(&NewUser::new("ada@example.com")).await.unwrap_err();
    assert_eq!(taken.kind(), ErrorKind::Conflict);

    // A sort field the server does not know: its ValidationError, field by field.
    let odd = UserList::new().order_by(UserOrderBy::Other("shoe_size".into()));
    let err = env.service.user_list(&odd).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some("ValidationError"));
    assert!(err.request_id().unwrap().starts_with("prq_"));
    let details = field_errors(&err);
    assert_eq!(details.len(), 1);
    assert_eq!((details[0].code.as_str(), details[0].source.as_str()), ("NotEnumMember", "/order_by"));

    let wrong_token =
        Client::builder(env.pangea.client_token()).base_url(env.pangea.base_url()).build().unwrap();
    let err = wrong_token.user_list(&UserList::new()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.code(), Some("Unauthorized"));
    assert!(field_errors(&err).is_empty());
}

#[tokio::test]
async fn authenticators_are_listed_and_deleted() {
    let env = start().await;
    let user = env.service.user_create(&NewUser::new("ada@example.com")).await.unwrap();
    env.pangea.set_password("ada@example.com", "first password");
    let totp = env.pangea.add_authenticator("ada@example.com", "totp").unwrap();
    let ada = UserRef::id(&user.id);
    let list = env.service.user_authenticators_list(&ada).await.unwrap();
    let kinds: Vec<_> = list.iter().map(|a| a.kind.clone()).collect();
    assert_eq!(kinds, [AuthenticatorType::Password, AuthenticatorType::Totp]);

    env.service.user_authenticators_delete(&ada, &totp).await.unwrap();
    assert_eq!(env.service.user_authenticators_list(&ada).await.unwrap().len(), 1);
    let err = env.service.user_authenticators_delete(&ada, &totp).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn a_session_and_a_password_change_with_the_client_token() {
    let env = start().await;
    env.service.user_create(&NewUser::new("ada@example.com")).await.unwrap();
    env.pangea.set_password("ada@example.com", "first password");
    let code = env.pangea.login_code("ada@example.com").unwrap();
    let session = env.client.client_userinfo(&code, None).await.unwrap();
    let user_token = session.active_token.as_ref().expect("an active token").token.clone();
    assert!(user_token.expose_secret().starts_with("ptu_"));
    assert!(!format!("{session:?}").contains(user_token.expose_secret()));

    let wrong =
        env.client.client_password_change(&user_token, "not it", "second password").await.unwrap_err();
    assert_eq!(wrong.code(), Some("IncorrectPassword"));
    assert!(!format!("{wrong} {wrong:?}").contains("not it"));
    env.client.client_password_change(&user_token, "first password", "second password").await.unwrap();
    let user = env.service.user_profile_get(&UserRef::email("ada@example.com")).await.unwrap();
    assert_eq!(user.login_count, 1);
}

#[tokio::test]
async fn an_accepted_call_is_polled_to_its_result() {
    let env = start().await;
    env.pangea.accept_next(3);
    let created = env.service.user_create(&NewUser::new("ada@example.com")).await.unwrap();
    assert_eq!(created.email, "ada@example.com");
    let polls = env.pangea.requests().iter().filter(|r| r.path.starts_with("/request/")).count();
    assert_eq!(polls, 4, "three 202s, then the answer");

    // With a deadline too short for the polls, the request id comes back.
    let impatient = Client::builder(env.pangea.service_token())
        .base_url(env.pangea.base_url())
        .polling(
            Polling::new(Duration::from_millis(30))
                .backoff(Duration::from_millis(10), Duration::from_millis(10)),
        )
        .build()
        .unwrap();
    env.pangea.accept_next(1000);
    let err = impatient.user_list(&UserList::new()).await.unwrap_err();
    assert!(err.is_timeout());
    assert!(err.request_id().unwrap().starts_with("prq_"));
}

#[tokio::test]
async fn ten_thousand_users_through_the_stream() {
    let env = start().await;
    let seeded = env.pangea.seed_users(10_000);
    let started = Instant::now();
    let query = UserList::new().size(1000).order_by(UserOrderBy::CreatedAt).order(Order::Asc);
    let users: Vec<_> = env.service.users(&query).items().try_collect().await.unwrap();
    let listed: Vec<_> = users.into_iter().map(|u| u.id).collect();
    assert_eq!(listed.len(), 10_000);
    assert_eq!(listed, seeded, "every user once, in creation order");
    let pages = env.pangea.requests().iter().filter(|r| r.path == "/v2/user/list").count();
    assert_eq!(pages, 10);
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());

    // A filtered stream pages too.
    let filter = UserFilter::new().email_in(["seed1@example.test", "seed9999@example.test"]);
    let two: Vec<_> =
        env.service.users(&UserList::new().filter(filter).size(1)).items().try_collect().await.unwrap();
    assert_eq!(two.len(), 2);
}
