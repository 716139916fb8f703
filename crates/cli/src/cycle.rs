//! `accountkit cycle ...`: the Cycle platform account.

use std::io::IsTerminal;
use std::time::Duration;

use accountkit::cycle::{
    Account, Client, JobDescriptor, JobStatus, JobTracking, ListQuery, Login, Membership, RecoveryCodes,
    TwoFactorRecovery, missing_capability,
};
use accountkit::{ExposeSecret, SecretString};
use clap::Subcommand;
use serde_json::{Value, json};

use crate::output::{lines, print};
use crate::secrets::{ask, token};
use crate::{Common, Failure};

/// The variable the API key is read from.
const TOKEN_VAR: &str = "CYCLE_TOKEN";

#[derive(clap::Args)]
#[command(after_help = "The account's token is read from CYCLE_TOKEN, or asked at a prompt (not by\n\
                        password-reset-start, password-reset-finish and two-factor-recover, which\n\
                        need none). Passwords, codes and tokens are never arguments: they are\n\
                        asked, or read from standard input with --stdin, one per line.")]
pub struct Args {
    /// The hub requests are made in (sent as X-Hub-Id).
    #[arg(long)]
    hub: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// The account: name, email, state, two-factor status.
    ///
    /// Example: CYCLE_TOKEN=... accountkit cycle account --json
    Account,
    /// Every login, newest first, page after page; with --json, one JSON
    /// document per line. An audit of who got in, and who tried.
    ///
    /// Example: accountkit cycle logins --failed
    Logins {
        /// Only the failed attempts.
        #[arg(long)]
        failed: bool,
        #[command(flatten)]
        page: Page,
    },
    /// The pending hub invitations.
    ///
    /// Example: accountkit cycle invites
    Invites {
        #[command(flatten)]
        page: Page,
    },
    /// Accepts an invitation.
    ///
    /// Example: accountkit cycle accept-invite 6071...
    AcceptInvite { id: String },
    /// Declines an invitation.
    ///
    /// Example: accountkit cycle decline-invite 6071...
    DeclineInvite { id: String },
    /// The hubs the account belongs to.
    ///
    /// Example: accountkit cycle memberships --json
    Memberships {
        #[command(flatten)]
        page: Page,
    },
    /// Changes the first or last name, or whether Cycle's support may log
    /// in to the account.
    ///
    /// Example: accountkit cycle account-update --last-name "Brewster Hopper" --allow-support-login false
    AccountUpdate {
        #[arg(long)]
        first_name: Option<String>,
        #[arg(long)]
        last_name: Option<String>,
        #[arg(long, value_name = "BOOL")]
        allow_support_login: Option<bool>,
    },
    /// Deletes the account, for good, and waits until the job doing it is
    /// over (refused while the account owns a hub).
    ///
    /// Example: accountkit cycle account-delete --yes --wait 300
    AccountDelete {
        /// Required: there is no undo.
        #[arg(long)]
        yes: bool,
        /// How long to wait for the job, in seconds.
        #[arg(long, value_name = "SECS", default_value_t = 120, conflicts_with = "no_wait")]
        wait: u64,
        /// Start the job and print it, without waiting (see `job-wait`).
        #[arg(long)]
        no_wait: bool,
    },
    /// A job (an account deletion, say) as it stands now.
    ///
    /// Example: accountkit cycle job 5f4a1c2b3d4e5f6a7b8c9d0e
    Job { id: String },
    /// Waits until a job is over; prints it.
    ///
    /// Example: accountkit cycle job-wait 5f4a1c2b3d4e5f6a7b8c9d0e --wait 600
    JobWait {
        id: String,
        /// How long to wait, in seconds.
        #[arg(long, value_name = "SECS", default_value_t = 120)]
        wait: u64,
    },
    /// Emails a password-reset link (no token needed).
    ///
    /// Example: accountkit cycle password-reset-start grace@example.com
    PasswordResetStart { email: String },
    /// Sets a new password with the token from the reset email; both are
    /// asked (no account token needed).
    ///
    /// Example: accountkit cycle password-reset-finish
    PasswordResetFinish,
    /// Changes the password; the current and the new one are asked.
    ///
    /// Example: accountkit cycle password-change
    PasswordChange,
    /// Turns two-factor auth on: shows the secret to add to an
    /// authenticator app, then asks for the code it shows; prints the
    /// recovery codes, once.
    ///
    /// Example: accountkit cycle two-factor-enable
    TwoFactorEnable {
        /// Compute the first code from the secret here instead of asking
        /// for it: for a secret a script keeps, not an app.
        #[arg(long)]
        compute_code: bool,
    },
    /// Turns two-factor auth off; the current code is asked.
    ///
    /// Example: accountkit cycle two-factor-disable
    TwoFactorDisable {
        /// Ask for the TOTP secret instead of a code, and compute the code.
        #[arg(long)]
        from_secret: bool,
    },
    /// For a lost authenticator: the password and recovery codes (one
    /// line, separated by spaces) turn two-factor auth off and give a
    /// fresh secret, shown as for two-factor-enable; then the code it shows
    /// is asked and two-factor auth is on again (with the account token).
    ///
    /// Example: accountkit cycle two-factor-recover grace@example.com
    TwoFactorRecover { email: String },
}

/// One page instead of all of them.
#[derive(clap::Args)]
pub struct Page {
    /// Only this page (from 1).
    #[arg(long, value_name = "N")]
    page: Option<u64>,
    /// Items per page.
    #[arg(long, value_name = "N")]
    page_size: Option<u64>,
}

impl Page {
    fn query(&self, mut query: ListQuery) -> ListQuery {
        if let Some(size) = self.page_size {
            query = query.page_size(size);
        }
        if let Some(page) = self.page {
            query = query.page(page);
        }
        query
    }
}

pub async fn run(common: &Common, args: Args) -> Result<(), Failure> {
    match commands(common, args).await {
        // A refusal naming the capability missing says so, on its line.
        Err(Failure::Api(e)) => match missing_capability(&e) {
            Some(capability) => {
                let note = format!("the token lacks the capability {}", capability.as_str());
                Err(Failure::Noted(e, note))
            }
            None => Err(Failure::Api(e)),
        },
        other => other,
    }
}

async fn commands(common: &Common, args: Args) -> Result<(), Failure> {
    use Command::*;
    let builder = |token: Option<SecretString>| {
        let mut builder = Client::builder().timeout(common.timeout()).retry(common.retry());
        if let Some(token) = token {
            builder = builder.token(token);
        }
        if let Some(url) = &common.base_url {
            builder = builder.base_url(url.clone());
        }
        if let Some(hub) = &args.hub {
            builder = builder.hub_id(hub.clone());
        }
        builder.build()
    };
    let signed_in =
        || -> Result<Client, Failure> { Ok(builder(Some(token(common, TOKEN_VAR, "Cycle token")?))?) };
    let stdin = common.stdin;
    let shown = match args.command {
        Account => account(&signed_in()?.get_account().await?),
        Logins { failed, page } => {
            let mut query = page.query(ListQuery::new().sort_descending("time"));
            if failed {
                query = query.filter("success", "false");
            }
            let cycle = signed_in()?;
            if page.page.is_some() {
                return one_page(common.json, cycle.logins_page(&query).await?, login);
            }
            return lines(common.json, cycle.logins(&query).items(), login).await;
        }
        Invites { page } => {
            let (cycle, query) = (signed_in()?, page.query(ListQuery::new()));
            if page.page.is_some() {
                return one_page(common.json, cycle.invites_page(&query).await?, membership);
            }
            return lines(common.json, cycle.invites(&query).items(), membership).await;
        }
        Memberships { page } => {
            let (cycle, query) = (signed_in()?, page.query(ListQuery::new()));
            if page.page.is_some() {
                return one_page(common.json, cycle.memberships_page(&query).await?, membership);
            }
            return lines(common.json, cycle.memberships(&query).items(), membership).await;
        }
        AcceptInvite { id } => membership(&signed_in()?.accept_invite(&id).await?),
        DeclineInvite { id } => membership(&signed_in()?.decline_invite(&id).await?),
        AccountUpdate { first_name, last_name, allow_support_login } => {
            let mut update = accountkit::cycle::AccountUpdate::new();
            if let Some(first) = first_name {
                update = update.first_name(first);
            }
            if let Some(last) = last_name {
                update = update.last_name(last);
            }
            if let Some(allow) = allow_support_login {
                update = update.allow_support_login(allow);
            }
            if update == accountkit::cycle::AccountUpdate::new() {
                return Err(Failure::Usage(
                    "nothing to change: pass --first-name, --last-name or --allow-support-login".into(),
                ));
            }
            account(&signed_in()?.update_account(&update).await?)
        }
        AccountDelete { yes, wait, no_wait } => {
            if !yes {
                return Err(Failure::Usage("deleting the account cannot be undone: add --yes".into()));
            }
            let cycle = signed_in()?;
            if no_wait {
                descriptor(&cycle.delete_account().await?)
            } else {
                job(&cycle.delete_account_and_wait(&tracking(wait)).await?)
            }
        }
        Job { id } => job(&signed_in()?.get_job(&id).await?),
        JobWait { id, wait } => job(&signed_in()?.track_job(&id, &tracking(wait)).await?),
        PasswordResetStart { email } => json!({ "sent": builder(None)?.start_password_reset(&email).await? }),
        PasswordResetFinish => {
            let token = ask("the token from the reset email", stdin)?;
            let new = ask("new password", stdin)?;
            json!({ "reset": builder(None)?.complete_password_reset(token, new).await? })
        }
        PasswordChange => {
            let current = ask("current password", stdin)?;
            let new = ask("new password", stdin)?;
            account(&signed_in()?.change_password(current, new).await?)
        }
        TwoFactorEnable { compute_code } => {
            let cycle = signed_in()?;
            let setup = cycle.two_factor_setup().await?;
            if compute_code {
                codes(&cycle.enable_two_factor_with(&setup).await?)
            } else {
                show_secret(&cycle, &setup.secret).await;
                codes(&cycle.enable_two_factor(ask("the code it shows", stdin)?).await?)
            }
        }
        TwoFactorDisable { from_secret } => {
            let cycle = signed_in()?;
            if from_secret {
                account(&cycle.disable_two_factor_with(ask("the TOTP secret", stdin)?).await?)
            } else {
                account(&cycle.disable_two_factor(ask("the current code", stdin)?).await?)
            }
        }
        TwoFactorRecover { email } => {
            let password = ask(&format!("password of {email}"), stdin)?;
            let recovery = ask("recovery codes (separated by spaces)", stdin)?;
            let given: Vec<String> =
                recovery.expose_secret().split_whitespace().map(str::to_string).collect();
            let fresh =
                builder(None)?.recover_two_factor(&TwoFactorRecovery::new(email, password, given)).await?;
            let cycle = signed_in()?;
            show_secret(&cycle, &fresh.secret).await;
            codes(&cycle.enable_two_factor(ask("the code it shows", stdin)?).await?)
        }
    };
    print(common.json, &shown);
    Ok(())
}

fn tracking(wait: u64) -> JobTracking {
    JobTracking::new(Duration::from_secs(wait.max(1)))
}

/// The secret this command exists to show, on stderr so stdout keeps only
/// the recovery codes; as a QR code too when stderr is a terminal.
async fn show_secret(cycle: &Client, secret: &SecretString) {
    eprintln!("add this secret to an authenticator app: {}", secret.expose_secret());
    if std::io::stderr().is_terminal() {
        // The label an app lists it under; the secret alone if unknown.
        let email = cycle.get_account().await.map(|a| a.email.address).unwrap_or_default();
        if let Some(qr) = qr(&otpauth(&email, secret)) {
            eprintln!("or scan it:\n{qr}");
        }
    }
}

/// The key URI authenticator apps read from a QR code.
fn otpauth(email: &str, secret: &SecretString) -> SecretString {
    let label: String = url::form_urlencoded::byte_serialize(format!("Cycle:{email}").as_bytes()).collect();
    let secret: String = url::form_urlencoded::byte_serialize(secret.expose_secret().as_bytes()).collect();
    SecretString::from(format!("otpauth://totp/{label}?secret={secret}&issuer=Cycle"))
}

/// `text` as a QR code in half-block characters, light on dark as a
/// terminal draws it.
fn qr(text: &SecretString) -> Option<String> {
    use qrcode::render::unicode::Dense1x2;
    let code = qrcode::QrCode::new(text.expose_secret().as_bytes()).ok()?;
    Some(code.render::<Dense1x2>().dark_color(Dense1x2::Light).light_color(Dense1x2::Dark).build())
}

/// One page: a JSON line each with `--json`, one list otherwise, as
/// [`lines`] prints them.
fn one_page<T>(json: bool, items: Vec<T>, show: fn(&T) -> Value) -> Result<(), Failure> {
    if json {
        items.iter().for_each(|item| println!("{}", show(item)));
    } else {
        print(false, &Value::Array(items.iter().map(show).collect()));
    }
    Ok(())
}

fn codes(recovery: &RecoveryCodes) -> Value {
    json!({ "recovery_codes": recovery.codes.iter().map(|c| c.expose_secret()).collect::<Vec<_>>() })
}

fn descriptor(d: &JobDescriptor) -> Value {
    json!({
        "action": d.action,
        "job": d.job.as_ref().map(|j| json!({ "id": j.id, "accepted": j.accepted, "queue": j.queue })),
    })
}

fn job(j: &JobStatus) -> Value {
    let progress = j.progress();
    json!({
        "id": j.id,
        "caption": j.caption,
        "state": j.state.as_str(),
        "error": j.error,
        "progress": { "completed": progress.completed, "total": progress.total },
        "queued": j.queued.map(|t| t.to_rfc3339()),
        "completed": j.completed.map(|t| t.to_rfc3339()),
    })
}

fn account(a: &Account) -> Value {
    json!({
        "id": a.id,
        "name": format!("{} {}", a.name.first, a.name.last),
        "email": a.email.address,
        "email_verified": a.email.verified,
        "two_factor": format!("{:?}", a.two_factor).to_lowercase(),
        "allow_support_login": a.allow_support_login,
        "state": a.state.as_str(),
    })
}

fn login(l: &Login) -> Value {
    let record = l.record();
    json!({
        "id": record.id,
        "kind": l.kind(),
        "success": record.success,
        "time": record.time.map(|t| t.to_rfc3339()),
        "ip": record.account.as_ref().and_then(|a| a.ip.clone()),
    })
}

fn membership(m: &Membership) -> Value {
    json!({ "id": m.id, "hub_id": m.hub_id, "state": m.state.as_str(), "role_id": m.role_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_becomes_a_key_uri_drawn_as_a_qr_code() {
        let uri = otpauth("grace@example.com", &SecretString::from("JBSWY3DPEHPK3PXP"));
        assert_eq!(
            uri.expose_secret(),
            "otpauth://totp/Cycle%3Agrace%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Cycle"
        );
        let drawn = qr(&uri).expect("a QR code");
        let rows: Vec<&str> = drawn.lines().collect();
        // Half-block characters, two modules a row, every row as wide.
        assert!(rows.len() > 10, "{drawn}");
        assert!(rows.iter().all(|r| r.chars().count() == rows[0].chars().count()));
        assert!(drawn.contains('▀') || drawn.contains('▄'));
    }
}
