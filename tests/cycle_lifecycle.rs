//! The Cycle client against the sandbox, end to end: every test starts its
//! own sandbox and drives it through the public client API; the sandbox's
//! handle stands in for what the section has no route for (signing up,
//! logging in through the portal, owning a hub, reading email).

use std::time::Duration;

use accountkit::cycle::{
    AccountState, AccountUpdate, Client, ErrorCode, JobState, JobTracking, ListQuery, Login, MembershipState,
    TwoFactorRecovery, TwoFactorStatus, totp_code,
};
use accountkit::{Error, ErrorKind, ExposeSecret, SecretString};
use accountkit_sandbox::Sandbox;
use accountkit_sandbox::cycle::{Cycle, SignInError};
use futures::TryStreamExt;

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "first password";
const NEW_PASSWORD: &str = "second password";

struct Env {
    // Dropping it stops the server.
    _sandbox: Sandbox,
    cycle: Cycle,
    client: Client,
    anonymous: Client,
}

async fn start() -> Env {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let cycle = sandbox.cycle();
    let token = cycle.create_account(EMAIL, "Ada", "Lovelace", PASSWORD);
    let client = Client::builder().base_url(cycle.base_url()).token(token).build().unwrap();
    let anonymous = Client::builder().base_url(cycle.base_url()).build().unwrap();
    Env { _sandbox: sandbox, cycle, client, anonymous }
}

#[track_caller]
fn expect_err<T>(result: accountkit::Result<T>, kind: ErrorKind, status: u16) -> Error {
    match result {
        Ok(_) => panic!("expected {kind:?} (HTTP {status}), but the call succeeded"),
        Err(e) => {
            assert_eq!(e.kind(), kind, "{e}");
            assert_eq!(e.status(), Some(status), "{e}");
            e
        }
    }
}

/// A six-digit code the secret does not produce now (nor one step either side).
fn wrong_code(secret: &SecretString) -> SecretString {
    let current = totp_code(secret).unwrap();
    let candidate = (current.expose_secret().parse::<u32>().unwrap() + 500_000) % 1_000_000;
    SecretString::from(format!("{candidate:06}"))
}

#[tokio::test]
async fn two_factor_lifecycle() {
    let env = start().await;
    assert_eq!(env.client.get_account().await.unwrap().two_factor, TwoFactorStatus::Off);

    // setup hands out a secret; the account's 2FA is pending
    let setup = env.client.two_factor_setup().await.unwrap();
    assert_eq!(
        env.cycle.totp_secret(EMAIL).as_ref().map(ExposeSecret::expose_secret),
        Some(setup.secret.expose_secret())
    );
    assert_eq!(env.client.get_account().await.unwrap().two_factor, TwoFactorStatus::Unverified);

    // a wrong code is refused by the server, the right one is computed from the secret
    let e =
        expect_err(env.client.enable_two_factor(&wrong_code(&setup.secret)).await, ErrorKind::Forbidden, 403);
    assert_eq!(ErrorCode::from(e.code().unwrap()), ErrorCode::TwoFactorFailed);
    let recovery = env.client.enable_two_factor_with(&setup).await.unwrap();
    assert_eq!(recovery.codes.len(), 8);
    assert_eq!(env.client.get_account().await.unwrap().two_factor, TwoFactorStatus::On);

    // portal logins now need the code
    assert_eq!(env.cycle.sign_in(EMAIL, PASSWORD, None).err(), Some(SignInError::TwoFactorRequired));
    let code = totp_code(&setup.secret).unwrap();
    assert!(env.cycle.sign_in(EMAIL, PASSWORD, Some(code)).is_ok());

    // lost the phone: a recovery code and the password give a fresh secret, once
    let lost = TwoFactorRecovery::new(EMAIL, PASSWORD, [recovery.codes[0].clone()]);
    let fresh = env.anonymous.recover_two_factor(&lost).await.unwrap();
    assert_ne!(fresh.secret.expose_secret(), setup.secret.expose_secret());
    assert_eq!(env.client.get_account().await.unwrap().two_factor, TwoFactorStatus::Unverified);
    env.client.enable_two_factor_with(&fresh).await.unwrap();
    let e = expect_err(env.anonymous.recover_two_factor(&lost).await, ErrorKind::Forbidden, 403);
    assert_eq!(e.code(), Some("403.2fa-failed"));
    let wrong_password = TwoFactorRecovery::new(EMAIL, "not it", [recovery.codes[1].clone()]);
    let e = expect_err(env.anonymous.recover_two_factor(&wrong_password).await, ErrorKind::Unauthorized, 401);
    assert_eq!(e.code(), Some("401.auth-invalid"));

    // off again, with a code from the new secret only
    expect_err(env.client.disable_two_factor_with(&setup.secret).await, ErrorKind::Forbidden, 403);
    let account = env.client.disable_two_factor_with(&fresh.secret).await.unwrap();
    assert_eq!(account.two_factor, TwoFactorStatus::Off);
    assert!(env.cycle.sign_in(EMAIL, PASSWORD, None).is_ok());
}

#[tokio::test]
async fn account_update_password_change_and_reset() {
    let env = start().await;
    let account = env.client.get_account().await.unwrap();
    assert_eq!((account.name.first.as_str(), account.email.address.as_str()), ("Ada", EMAIL));
    assert_eq!(account.state, AccountState::Live);
    assert!(account.events.created.is_some());
    assert_eq!(account.events.deleted, None);
    assert_eq!(account.events.last_login, None);

    let updated = env.client.update_account(&AccountUpdate::new().name("Augusta", "King")).await.unwrap();
    assert_eq!((updated.name.first.as_str(), updated.name.last.as_str()), ("Augusta", "King"));
    assert!(!updated.allow_support_login);
    let updated = env.client.update_account(&AccountUpdate::new().allow_support_login(true)).await.unwrap();
    assert!(updated.allow_support_login);
    assert_eq!(updated.name.first, "Augusta");
    // One part of the name alone leaves the other.
    let updated = env.client.update_account(&AccountUpdate::new().last_name("Lovelace")).await.unwrap();
    assert_eq!((updated.name.first.as_str(), updated.name.last.as_str()), ("Augusta", "Lovelace"));
    let updated = env.client.update_account(&AccountUpdate::new().first_name("Ada")).await.unwrap();
    assert_eq!((updated.name.first.as_str(), updated.name.last.as_str()), ("Ada", "Lovelace"));

    // change: the current password must be right
    let e =
        expect_err(env.client.change_password("wrong one", NEW_PASSWORD).await, ErrorKind::Validation, 422);
    assert_eq!(ErrorCode::from(e.code().unwrap()), ErrorCode::InvalidInput);
    env.client.change_password(PASSWORD, NEW_PASSWORD).await.unwrap();
    assert_eq!(env.cycle.sign_in(EMAIL, PASSWORD, None).err(), Some(SignInError::WrongPassword));
    assert!(env.cycle.sign_in(EMAIL, NEW_PASSWORD, None).is_ok());

    // reset, logged out: email, then token + new password; the token works once
    assert!(env.anonymous.start_password_reset(EMAIL).await.unwrap());
    let token = env.cycle.password_reset_token(EMAIL).expect("a reset email");
    assert!(env.anonymous.complete_password_reset(&token, "third password").await.unwrap());
    assert!(env.cycle.sign_in(EMAIL, "third password", None).is_ok());
    expect_err(
        env.anonymous.complete_password_reset(&token, "fourth password").await,
        ErrorKind::Validation,
        422,
    );
    assert!(
        env.cycle.requests().iter().filter(|r| r.path == "/v1/account/reset-password").all(|r| !r.had_bearer)
    );
}

#[tokio::test]
async fn logins_walk_every_page() {
    let env = start().await;
    for _ in 0..4 {
        env.cycle.sign_in(EMAIL, PASSWORD, None).unwrap();
    }
    env.cycle.sign_in(EMAIL, "wrong", None).unwrap_err();
    env.client.update_account(&AccountUpdate::new().allow_support_login(true)).await.unwrap();
    assert!(env.cycle.employee_sign_in(EMAIL));

    let all = env.client.all_logins(&ListQuery::new().page_size(2)).await.unwrap();
    assert_eq!(all.len(), 6);
    assert!(matches!(&all[0], Login::Employee { employee: Some(_), .. }), "{:?}", all[0]);
    assert!(!all[1].record().success);
    assert_eq!(all.iter().filter(|l| matches!(l, Login::Password(_))).count(), 5);
    // Three pages of two, then an empty fourth.
    let pages = env.cycle.requests().iter().filter(|r| r.path == "/v1/account/logins").count();
    assert_eq!(pages, 4);

    let failed = env.client.all_logins(&ListQuery::new().filter("success", "false")).await.unwrap();
    assert_eq!(failed.len(), 1);
    let oldest_first =
        env.client.logins_page(&ListQuery::new().sort_ascending("time").page_size(1)).await.unwrap();
    assert!(oldest_first[0].record().success);
    assert!(matches!(oldest_first[0], Login::Password(_)));
    assert!(env.client.get_account().await.unwrap().events.last_login.is_some());
}

#[tokio::test]
async fn hub_header_and_deletion() {
    let env = start().await;
    let hub = env.cycle.add_hub(EMAIL).unwrap();
    let token = env.cycle.sign_in(EMAIL, PASSWORD, None).unwrap();
    let scoped = Client::builder().base_url(env.cycle.base_url()).token(token).hub_id(&hub).build().unwrap();

    // refused while the account owns a hub
    let e = expect_err(scoped.delete_account().await, ErrorKind::Conflict, 409);
    assert_eq!(e.code(), Some("409.hub-owner"));
    let last = env.cycle.requests().pop().unwrap();
    assert_eq!((last.method.as_str(), last.hub_id.as_deref()), ("DELETE", Some(hub.as_str())));
    env.client.get_account().await.unwrap();
    assert_eq!(env.cycle.requests().pop().unwrap().hub_id, None);

    assert!(env.cycle.remove_hub(&hub));
    // A job that fails leaves the account, and says why.
    env.cycle.fail_next_job("storage is busy");
    let tracking = JobTracking::new(Duration::from_secs(5)).interval(Duration::from_millis(5));
    let e = scoped.delete_account_and_wait(&tracking).await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Rejected, None));
    assert!(e.message().ends_with("failed: storage is busy"), "{e}");
    assert_eq!(env.cycle.jobs()[0].state, "error");
    assert_eq!(env.client.get_account().await.unwrap().state, AccountState::Live);

    let job = scoped.delete_account().await.unwrap();
    assert_eq!(job.action, "delete");
    let job = job.job.unwrap();
    assert_eq!(job.id, env.cycle.jobs()[1].id);
    assert_eq!(job.tasks[0].header, "delete");
    assert_eq!(env.client.get_account().await.unwrap().state, AccountState::Deleting);
    let done = env.client.track_job(&job.id, &tracking).await.unwrap();
    assert_eq!(done.state, JobState::Completed);
    assert_eq!(done.progress().completed, 1);
    assert!(!env.cycle.account_exists(EMAIL));

    // every token of the account is gone; the sandbox answers in the OAuth shape
    let e = expect_err(env.client.get_account().await, ErrorKind::Unauthorized, 401);
    assert_eq!(e.code(), Some("invalid_token"));
}

#[tokio::test]
async fn invitations_and_memberships() {
    let env = start().await;
    let owned = env.cycle.add_hub(EMAIL).unwrap();
    let invites: Vec<String> = (0..3).map(|_| env.cycle.invite(EMAIL).unwrap()).collect();

    let pending =
        env.client.invites(&ListQuery::new().page_size(2)).items().try_collect::<Vec<_>>().await.unwrap();
    assert_eq!(pending.iter().map(|m| m.id.clone()).collect::<Vec<_>>(), invites);
    assert!(pending.iter().all(|m| m.state == MembershipState::Pending));
    assert_eq!(pending[0].invitation.as_ref().unwrap().recipient.as_deref(), Some(EMAIL));

    let joined = env.client.accept_invite(&invites[0]).await.unwrap();
    assert_eq!(joined.state, MembershipState::Accepted);
    assert!(joined.joined.is_some());
    let declined = env.client.decline_invite(&invites[1]).await.unwrap();
    assert_eq!(declined.state, MembershipState::Declined);
    let e = expect_err(env.client.accept_invite(&invites[1]).await, ErrorKind::Conflict, 409);
    assert_eq!(e.code(), Some("409.duplicate-found"));
    expect_err(env.client.accept_invite("000000000000000000000000").await, ErrorKind::NotFound, 404);

    let left = env.client.invites_page(&ListQuery::new()).await.unwrap();
    assert_eq!(left.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), [invites[2].as_str()]);
    let memberships =
        env.client.memberships(&ListQuery::new().page_size(1)).items().try_collect::<Vec<_>>().await.unwrap();
    let hubs: Vec<&str> = memberships.iter().map(|m| m.hub_id.as_str()).collect();
    assert_eq!(hubs, [owned.as_str(), joined.hub_id.as_str()]);
    let filtered = env.client.memberships_page(&ListQuery::new().filter("hub", &owned)).await.unwrap();
    assert_eq!(filtered.len(), 1);
}
