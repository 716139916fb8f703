//! The STX (SportsX) GraphQL lifecycle.

use std::time::Duration;

use accountkit::stx::{Client, Credentials, Host, LoginOutcome, PasswordChange, Registration, Session};
use accountkit::{ErrorKind, SecretString};
use accountkit_sandbox::Sandbox;
use accountkit_sandbox::stx::Stx;

use crate::{Fallible, expect_error, step};

const EMAIL: &str = "grace@example.com";
// Throwaway passwords of a throwaway sandbox account; never printed anyway.
const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "tr0ub4dor&3 plus";

pub async fn lifecycle(sandbox: &Sandbox) -> Fallible {
    let stx = sandbox.stx();
    // Tokens live 3 seconds here, so the tour shows a refresh.
    stx.set_token_lifetime(Duration::from_secs(3));
    let client =
        Client::builder(Host::Custom(stx.base_url())).refresh_margin(Duration::from_secs(1)).build()?;
    println!("\nSTX (GraphQL) sandbox at {}/api/graphql\n", stx.base_url());

    let registration = Registration::new(EMAIL, SecretString::from(PASSWORD)).name("Grace", "Hopper");
    let registered = client.register(&registration).await?;
    step("register", registered.message.as_deref().unwrap_or("registered"));

    let session = login(&client, &stx, PASSWORD).await?;
    step("enable2Fa", &status(session.enable_2fa(Some(PASSWORD.into())).await?.status));
    session.logout(None).await?;
    step("logout", "the session's tokens are void");

    let session = login(&client, &stx, PASSWORD).await?;
    step("send2Fa", &status(session.send_2fa().await?.status));

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let before = session.expires_at();
    session.send_2fa().await?;
    step("newToken", &format!("refreshed before expiry: {} → {}", hms(before), hms(session.expires_at())));

    stx.revoke_access_tokens();
    session.send_2fa().await?;
    step("newToken", "the server refused the token; refreshed once and retried");

    let wrong = session.change_password("not it", NEW_PASSWORD).await;
    expect_error("changePassword", wrong, ErrorKind::Rejected)?;
    match session.change_password(PASSWORD, NEW_PASSWORD).await? {
        PasswordChange::ConfirmationRequired => {
            step("changePassword", "waits for the code sent by email");
            let code = code(&stx)?;
            session.confirm_change_password_2fa(&code).await?;
            step("confirmChange…", "password changed");
        }
        other => return Err(format!("expected a 2FA confirmation, got {other:?}").into()),
    }
    let old = client.login(&Credentials::new(EMAIL, SecretString::from(PASSWORD))).await;
    expect_error("login (old pwd)", old, ErrorKind::Unauthorized)?;
    let out = session.logout(None).await?;
    step("logout", out.message.as_deref().unwrap_or("logged out"));

    let requested = client.forgot_password(EMAIL).await?;
    step("forgotPassword", requested.header.as_deref().unwrap_or("code sent"));
    client.confirm_password_reset(&code(&stx)?, PASSWORD).await?;
    step("confirmPassw…", "password reset with the emailed code");
    let session = login(&client, &stx, PASSWORD).await?;
    step("disable2Fa", &status(session.disable_2fa(Some(PASSWORD.into())).await?.status));
    session.logout(None).await?;
    Ok(())
}

/// Logs in, answering a 2FA challenge with the code from the outbox.
async fn login(client: &Client, stx: &Stx, password: &str) -> Fallible<Session> {
    let credentials = Credentials::new(EMAIL, SecretString::from(password)).device_id("quickstart");
    match client.login(&credentials).await? {
        LoginOutcome::LoggedIn(session) => {
            step("login", &describe(&session));
            Ok(session)
        }
        LoginOutcome::TwoFactorRequired(challenge) => {
            step("login", "2FA required: a code went to the user's email");
            client.resend_2fa(&challenge).await?;
            step("resend2Fa", "a fresh code");
            let session = client.confirm_2fa(&challenge, &code(stx)?).await?;
            step("confirm2Fa", &describe(&session));
            Ok(session)
        }
    }
}

fn code(stx: &Stx) -> Fallible<SecretString> {
    Ok(stx.latest_code(EMAIL).ok_or_else(|| format!("the sandbox sent no code to {EMAIL}"))?)
}

fn describe(session: &Session) -> String {
    let info = session.info();
    format!(
        "user {}, token valid until {}",
        info.user_id.as_deref().unwrap_or("?"),
        hms(session.expires_at())
    )
}

fn status(status: Option<String>) -> String {
    status.unwrap_or_else(|| "done".to_string())
}

fn hms(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%H:%M:%S").to_string()
}
