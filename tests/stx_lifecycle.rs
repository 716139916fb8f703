//! The STX client against the sandbox, end to end: every test starts its
//! own sandbox and drives it only through the public client API, reading
//! 2FA and reset codes from the sandbox's outbox.

use std::time::Duration;

use accountkit::stx::{Client, Credentials, Host, LoginOutcome, PasswordChange, Registration, Session};
use accountkit::{Error, ErrorKind, ExposeSecret, SecretString};
use accountkit_sandbox::Sandbox;
use accountkit_sandbox::stx::{MessageKind, Stx};

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "first password";
const NEW_PASSWORD: &str = "second password";

struct Env {
    // Dropping it stops the server.
    _sandbox: Sandbox,
    stx: Stx,
    client: Client,
}

async fn start() -> Env {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let stx = sandbox.stx();
    let client = Client::new(Host::Custom(stx.base_url())).unwrap();
    Env { _sandbox: sandbox, stx, client }
}

fn secret(value: impl Into<String>) -> SecretString {
    SecretString::from(value.into())
}

#[track_caller]
fn expect_err<T>(result: accountkit::Result<T>, kind: ErrorKind) -> Error {
    match result {
        Ok(_) => panic!("expected {kind:?}, but the call succeeded"),
        Err(e) => {
            assert_eq!(e.kind(), kind, "{e}");
            e
        }
    }
}

impl Env {
    fn mutations(&self) -> Vec<(String, bool)> {
        self.stx.requests().into_iter().map(|r| (r.mutation.unwrap_or_default(), r.had_bearer)).collect()
    }

    /// Logs in; answers a 2FA challenge with the code from the outbox.
    async fn login(&self, client: &Client, password: &str) -> accountkit::Result<Session> {
        match client.login(&Credentials::new(EMAIL, secret(password)).device_id("e2e-laptop")).await? {
            LoginOutcome::LoggedIn(session) => Ok(session),
            LoginOutcome::TwoFactorRequired(challenge) => {
                let code = self.stx.latest_code(EMAIL).expect("a 2FA code was emailed");
                client.confirm_2fa(&challenge, code).await
            }
        }
    }
}

#[tokio::test]
async fn login_2fa_refresh_change_password_logout() {
    let env = start().await;
    let registration = Registration::new(EMAIL, secret(PASSWORD))
        .name("Ada", "Lovelace")
        .username("ada")
        .phone_number("(416) 555-0100");
    let registered = env.client.register(&registration).await.unwrap();
    assert_eq!(registered.status, Some(200));
    assert_eq!(env.stx.profile(EMAIL).unwrap()["lastName"], "Lovelace");
    assert_eq!(env.stx.profile(EMAIL).unwrap()["phoneNumber"], "(416) 555-0100");

    // Without 2FA, login is a session at once; turn 2FA on.
    let session = env.login(&env.client, PASSWORD).await.unwrap();
    let info = session.info();
    assert!(info.user_id.is_some());
    assert_eq!(info.device_id.as_deref(), Some("e2e-laptop"));
    assert_eq!(info.ip_address.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        info.limits.as_ref().and_then(|l| l.admin.as_ref()).and_then(|a| a.daily_deposit),
        Some(10_000)
    );
    assert_eq!(info.tnc_changed.and_then(|t| t.terms), Some(false));
    assert_eq!(info.allow_multiple_logins, Some(false));
    expect_err(session.enable_2fa(Some("not my password".into())).await, ErrorKind::Rejected);
    session.enable_2fa(Some(PASSWORD.into())).await.unwrap();
    assert_eq!(env.stx.two_factor_enabled(EMAIL), Some(true));
    session.logout(Some("e2e-laptop")).await.unwrap();

    // With 2FA: a challenge, a resent code, a wrong code, the right code.
    let LoginOutcome::TwoFactorRequired(challenge) =
        env.client.login(&Credentials::new(EMAIL, secret(PASSWORD))).await.unwrap()
    else {
        panic!("2FA is on")
    };
    let first_code = env.stx.latest_code(EMAIL).unwrap();
    env.client.resend_2fa(&challenge).await.unwrap();
    let code = env.stx.latest_code(EMAIL).unwrap();
    assert!(matches!(env.stx.last_message(EMAIL).unwrap().kind, MessageKind::LoginCode { .. }));
    if first_code.expose_secret() != code.expose_secret() {
        let err = expect_err(env.client.confirm_2fa(&challenge, first_code).await, ErrorKind::Rejected);
        assert_eq!(err.path(), Some("confirm2Fa"));
        assert_eq!(err.message(), "Invalid 2FA code");
    }

    // Tokens that live one second: the session refreshes before using one.
    env.stx.set_token_lifetime(Duration::from_secs(1));
    let client =
        Client::builder(Host::Custom(env.stx.base_url())).refresh_margin(Duration::ZERO).build().unwrap();
    let session = client.confirm_2fa(&challenge, code).await.unwrap();
    let first_refresh = session.refresh_token();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    env.stx.set_token_lifetime(Duration::from_secs(3600));
    session.send_2fa().await.unwrap();
    let tail: Vec<_> = env.mutations().into_iter().rev().take(2).collect();
    assert_eq!(tail, [("send2Fa".to_string(), true), ("newToken".to_string(), false)]);
    assert_ne!(session.refresh_token().expose_secret(), first_refresh.expose_secret(), "rotated");
    // The rotated-out refresh token is dead.
    let err = expect_err(client.resume(&first_refresh).await, ErrorKind::Unauthorized);
    assert_eq!(err.operation(), "resume");

    // A token the server revoked: refreshed once, and the call goes through.
    env.stx.revoke_access_tokens();
    session.send_2fa().await.unwrap();
    let tail: Vec<_> = env.mutations().into_iter().rev().take(3).map(|(m, _)| m).collect();
    assert_eq!(tail, ["send2Fa", "newToken", "send2Fa"]);

    // Password change with 2FA waits for the emailed code.
    let err = expect_err(session.change_password("wrong old", NEW_PASSWORD).await, ErrorKind::Rejected);
    assert_eq!(err.message(), "Invalid password");
    let change = session.change_password(PASSWORD, NEW_PASSWORD).await.unwrap();
    assert_eq!(change, PasswordChange::ConfirmationRequired);
    session.resend_change_password_2fa().await.unwrap();
    let code = env.stx.latest_code(EMAIL).unwrap();
    session.confirm_change_password_2fa(code).await.unwrap();
    assert!(env.stx.password_is(EMAIL, NEW_PASSWORD));

    // Logout ends the session: its tokens and its refresh token.
    let out = session.logout(None).await.unwrap();
    assert_eq!(out.status, Some(200));
    let err = expect_err(session.send_2fa().await, ErrorKind::Unauthorized);
    // The call made, then the refresh after the refused token, which failed too.
    assert_eq!(err.operation(), "send_2fa");
    assert!(err.message().starts_with("refreshing the session: "), "{err}");

    let err = expect_err(env.login(&client, PASSWORD).await, ErrorKind::Unauthorized);
    assert_eq!(err.message(), "Invalid email or password");
    let session = env.login(&client, NEW_PASSWORD).await.unwrap();
    session.disable_2fa(Some(NEW_PASSWORD.into())).await.unwrap();
    assert_eq!(env.stx.two_factor_enabled(EMAIL), Some(false));
}

#[tokio::test]
async fn forgotten_password_is_reset_with_the_emailed_code() {
    let env = start().await;
    env.stx.add_user(EMAIL, PASSWORD, false);
    let requested = env.client.forgot_password(EMAIL).await.unwrap();
    assert_eq!(requested.header.as_deref(), Some("Check your email"));
    let code = match env.stx.last_message(EMAIL).unwrap().kind {
        MessageKind::PasswordResetCode { code } => code,
        other => panic!("expected a reset code, got {other:?}"),
    };
    let err = expect_err(env.client.confirm_password_reset(&code, "tiny1").await, ErrorKind::Rejected);
    assert_eq!(err.message(), "The new password is too short");
    env.client.confirm_password_reset(&code, NEW_PASSWORD).await.unwrap();
    let err = expect_err(env.client.confirm_password_reset(&code, NEW_PASSWORD).await, ErrorKind::Rejected);
    assert!(err.message().contains("invalid"), "{err}");
    env.login(&env.client, NEW_PASSWORD).await.unwrap();
}

#[tokio::test]
async fn bearer_goes_only_with_the_operations_of_a_logged_in_user() {
    let env = start().await;
    env.stx.add_user(EMAIL, PASSWORD, false);
    let session = env.login(&env.client, PASSWORD).await.unwrap();
    session.send_2fa().await.unwrap();
    let profile = session.user_profile().await.unwrap();
    assert_eq!((profile.username.as_str(), profile.two_factor_auth), (EMAIL, Some(false)));
    session.refresh().await.unwrap();
    session.enable_2fa(None).await.unwrap();
    session.disable_2fa(None).await.unwrap();
    session.change_password(PASSWORD, NEW_PASSWORD).await.unwrap();
    expect_err(session.resend_change_password_2fa().await, ErrorKind::Rejected);
    env.client.forgot_password(EMAIL).await.unwrap();
    session.logout(None).await.unwrap();
    assert_eq!(
        env.mutations(),
        [
            ("login", false),
            ("send2Fa", true),
            ("userProfile", true),
            ("newToken", false),
            ("enable2Fa", true),
            ("disable2Fa", true),
            ("changePassword", true),
            ("resendChangePassword2Fa", true),
            ("forgotPassword", false),
            ("logout", true),
        ]
        .map(|(m, b)| (m.to_string(), b))
    );
}

#[tokio::test]
async fn a_taken_email_is_refused_with_the_servers_message() {
    let env = start().await;
    env.stx.add_user(EMAIL, PASSWORD, false);
    let err = expect_err(
        env.client.register(&Registration::new(EMAIL, secret(PASSWORD))).await,
        ErrorKind::Rejected,
    );
    assert_eq!(err.path(), Some("register"));
    assert!(err.message().contains("already exists"), "{err}");
    assert!(!format!("{err:?}").contains(PASSWORD));
}
