//! The Cycle account lifecycle: update, logins, an invitation, password
//! change and reset, two-factor auth on, recovered and off, and deletion.

use std::time::Duration;

use accountkit::cycle::{
    Account, AccountUpdate, Client, JobTracking, ListQuery, Login, TwoFactorRecovery, TwoFactorStatus,
};
use accountkit::{ErrorKind, SecretString};
use accountkit_sandbox::Sandbox;

use crate::{Fallible, expect_error, step};

const EMAIL: &str = "grace@example.com";
// Throwaway passwords of a throwaway sandbox account; never printed anyway.
const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "tr0ub4dor&3-again";
const RESET_PASSWORD: &str = "a third password";

pub async fn lifecycle(sandbox: &Sandbox) -> Fallible {
    let cycle = sandbox.cycle();
    // The account section has no sign-up route: the sandbox makes the
    // account and hands out a token, as the portal would.
    let token = cycle.create_account(EMAIL, "Grace", "Hopper", PASSWORD);
    let client = Client::builder().base_url(cycle.base_url()).token(token).build()?;
    let anonymous = Client::builder().base_url(cycle.base_url()).build()?;
    println!("\nCycle sandbox at {}\n", client.base_url());

    let account = client.get_account().await?;
    step("get_account", "the account:");
    print_account(&account);

    let update = AccountUpdate::new().name("Grace", "Brewster Hopper").allow_support_login(true);
    let account = client.update_account(&update).await?;
    step(
        "update_account",
        &format!("name is now {} {}, support logins allowed", account.name.first, account.name.last),
    );

    for _ in 0..3 {
        cycle.sign_in(EMAIL, PASSWORD, None).map_err(|e| format!("sign-in failed: {e:?}"))?;
    }
    cycle.employee_sign_in(EMAIL);
    let logins = client.all_logins(&ListQuery::new().page_size(2)).await?;
    step("logins", &format!("{} logins over pages of 2: {}", logins.len(), describe_logins(&logins)));

    let invite = cycle.invite(EMAIL).ok_or("the sandbox lost the account")?;
    let invites = client.invites_page(&ListQuery::new()).await?;
    step("invites", &format!("{} pending invitation(s)", invites.len()));
    let membership = client.accept_invite(&invite).await?;
    step("accept_invite", &format!("member of hub {} ({})", membership.hub_id, membership.state));
    let memberships = client.all_memberships().await?;
    step("memberships", &format!("{} hub membership(s)", memberships.len()));

    let current = SecretString::from(PASSWORD);
    let new_password = SecretString::from(NEW_PASSWORD);
    client.change_password(&current, &new_password).await?;
    if cycle.sign_in(EMAIL, PASSWORD, None).is_ok() {
        return Err("the old password still signs in".into());
    }
    step("change_password", "done; the old password no longer signs in");
    expect_error(
        "change_password",
        client.change_password(&current, &new_password).await,
        ErrorKind::Validation,
    )?;

    anonymous.start_password_reset(EMAIL).await?;
    let reset_token = cycle.password_reset_token(EMAIL).ok_or("the sandbox sent no reset email")?;
    step("password reset", "token emailed (read from the sandbox outbox)");
    anonymous.complete_password_reset(reset_token, RESET_PASSWORD).await?;
    step("password reset", "new password set with the token");

    let setup = client.two_factor_setup().await?;
    step("2fa setup", &format!("secret: [REDACTED], QR code of {} chars", setup.qr.len()));
    let recovery = client.enable_two_factor_with(&setup).await?;
    step(
        "2fa enable",
        &format!("on, with a TOTP code computed from the secret; {} recovery codes", recovery.codes.len()),
    );
    let status = client.get_account().await?.two_factor;
    step("get_account", &format!("two-factor auth: {status:?}"));

    let lost = TwoFactorRecovery::new(EMAIL, RESET_PASSWORD, [recovery.codes[0].clone()]);
    let fresh = anonymous.recover_two_factor(&lost).await?;
    step("2fa recover", "a recovery code gave a fresh secret");
    client.enable_two_factor_with(&fresh).await?;
    step("2fa enable", "on again with the fresh secret");
    expect_error("2fa recover", anonymous.recover_two_factor(&lost).await, ErrorKind::Forbidden)?;
    let account = client.disable_two_factor_with(&fresh.secret).await?;
    if account.two_factor != TwoFactorStatus::Off {
        return Err("two-factor auth is still on".into());
    }
    step("2fa disable", "off again");

    let hub = cycle.add_hub(EMAIL).ok_or("the sandbox lost the account")?;
    expect_error("delete_account", client.delete_account().await, ErrorKind::Conflict)?;
    cycle.remove_hub(&hub);
    let tracking = JobTracking::new(Duration::from_secs(10)).interval(Duration::from_millis(50));
    let job = client.delete_account_and_wait(&tracking).await?;
    let progress = job.progress();
    step(
        "delete_account_and_wait",
        &format!(
            "HTTP 202, job {} {} ({}/{} steps)",
            job.id,
            job.state.as_str(),
            progress.completed,
            progress.total
        ),
    );
    expect_error("get_account", client.get_account().await, ErrorKind::Unauthorized)?;
    Ok(())
}

fn describe_logins(logins: &[Login]) -> String {
    let kinds: Vec<String> = logins
        .iter()
        .map(|l| format!("{}{}", l.kind(), if l.record().success { "" } else { " (failed)" }))
        .collect();
    kinds.join(", ")
}

fn print_account(account: &Account) {
    let name = format!("{} {}", account.name.first, account.name.last);
    let created = account.events.created.map_or("unknown".to_string(), |d| d.to_rfc3339());
    let two_factor = format!("{:?}", account.two_factor);
    for (label, value) in [
        ("name", name.as_str()),
        ("email", account.email.address.as_str()),
        ("state", account.state.as_str()),
        ("created", created.as_str()),
        ("2FA", two_factor.as_str()),
    ] {
        println!("{:22}{label:9}{value}", "");
    }
}
