//! `accountkit cycle ...`: the Cycle platform account.

use accountkit::ExposeSecret;
use accountkit::cycle::{Account, Client, ListQuery, Login, Membership};
use clap::Subcommand;
use futures::{Stream, TryStreamExt};
use serde_json::{Value, json};

use crate::output::print;
use crate::secrets::{ask, token};
use crate::{Common, Failure};

/// The variable the API key is read from.
const TOKEN_VAR: &str = "CYCLE_TOKEN";

#[derive(clap::Args)]
#[command(after_help = "The account's token is read from CYCLE_TOKEN, or asked at a prompt.")]
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
    },
    /// The pending hub invitations.
    ///
    /// Example: accountkit cycle invites
    Invites,
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
    Memberships,
    /// Changes the password; the current and the new one are asked.
    ///
    /// Example: accountkit cycle password-change
    PasswordChange,
    /// Turns two-factor auth on: shows the secret to add to an
    /// authenticator app, then asks for the code it shows; prints the
    /// recovery codes, once.
    ///
    /// Example: accountkit cycle two-factor-enable
    TwoFactorEnable,
    /// Turns two-factor auth off; the current code is asked.
    ///
    /// Example: accountkit cycle two-factor-disable
    TwoFactorDisable,
}

pub async fn run(common: &Common, args: Args) -> Result<(), Failure> {
    use Command::*;
    let mut builder = Client::builder()
        .token(token(TOKEN_VAR, "Cycle token")?)
        .timeout(common.timeout())
        .retry(common.retry());
    if let Some(url) = &common.base_url {
        builder = builder.base_url(url.clone());
    }
    if let Some(hub) = args.hub {
        builder = builder.hub_id(hub);
    }
    let cycle = builder.build()?;
    let shown = match args.command {
        Account => account(&cycle.get_account().await?),
        Logins { failed } => {
            let mut query = ListQuery::new().sort_descending("time");
            if failed {
                query = query.filter("success", "false");
            }
            return lines(common.json, cycle.logins(&query).items(), login).await;
        }
        Invites => return lines(common.json, cycle.invites(&ListQuery::new()).items(), membership).await,
        Memberships => {
            return lines(common.json, cycle.memberships(&ListQuery::new()).items(), membership).await;
        }
        AcceptInvite { id } => membership(&cycle.accept_invite(&id).await?),
        DeclineInvite { id } => membership(&cycle.decline_invite(&id).await?),
        PasswordChange => {
            let current = ask("current password", common.stdin)?;
            let new = ask("new password", common.stdin)?;
            account(&cycle.change_password(current, new).await?)
        }
        TwoFactorEnable => {
            let setup = cycle.two_factor_setup().await?;
            // The secret is what this command exists to show; to stderr, so
            // stdout keeps only the recovery codes.
            eprintln!("add this secret to an authenticator app: {}", setup.secret.expose_secret());
            let code = ask("the code it shows", common.stdin)?;
            let recovery = cycle.enable_two_factor(code).await?;
            json!({ "recovery_codes": recovery.codes.iter().map(|c| c.expose_secret()).collect::<Vec<_>>() })
        }
        TwoFactorDisable => account(&cycle.disable_two_factor(ask("the current code", common.stdin)?).await?),
    };
    print(common.json, &shown);
    Ok(())
}

/// A paged listing: JSON lines as they come with `--json`, one list
/// otherwise.
async fn lines<T>(
    json: bool,
    items: impl Stream<Item = accountkit::Result<T>>,
    show: fn(&T) -> Value,
) -> Result<(), Failure> {
    let mut items = std::pin::pin!(items);
    let mut all = Vec::new();
    while let Some(item) = items.try_next().await? {
        if json {
            println!("{}", show(&item));
        } else {
            all.push(show(&item));
        }
    }
    if !json {
        print(false, &Value::Array(all));
    }
    Ok(())
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
