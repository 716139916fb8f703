//! `accountkit tagoio ...`: the TagoIO account operations.

use accountkit::tagoio::{
    Account, AccountChanges, Client, Credentials, Language, Login, NewAccount, OtpType, ProfileToken, Region,
    TokenRequest,
};
use clap::Subcommand;
use serde_json::{Value, json};

use crate::output::print;
use crate::secrets::{ask, token};
use crate::{Common, Failure};

/// The variable a profile token is read from.
const TOKEN_VAR: &str = "TAGOIO_TOKEN";

#[derive(clap::Args)]
#[command(after_help = "The account's profile token is read from TAGOIO_TOKEN, or asked at a prompt.\n\
                        Passwords, PINs and tokens are never arguments: they are asked, or read\n\
                        from standard input with --stdin, one per line.")]
pub struct Args {
    /// The TagoIO region: us-e1 or eu-w1 (--base-url overrides it).
    #[arg(long, default_value = "us-e1", value_parser = ["us-e1", "eu-w1"])]
    region: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// The account: name, email, plan, second factors.
    ///
    /// Example: TAGOIO_TOKEN=... accountkit tagoio info --json
    Info,
    /// Changes the account's name, company, language, phone or time zone.
    ///
    /// Example: accountkit tagoio edit --name "Ada Lovelace" --timezone Europe/London
    Edit {
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        company: Option<String>,
        /// en, en-us, pt-br, ...
        #[arg(long)]
        language: Option<String>,
        /// +<country code><number>
        #[arg(long)]
        phone: Option<String>,
        /// An IANA time zone, e.g. Europe/London.
        #[arg(long)]
        timezone: Option<String>,
    },
    /// Logs in (the password is asked, and the PIN when a second factor is
    /// on) and lists the profiles the account can use.
    ///
    /// Example: accountkit tagoio login ada@example.com
    Login { email: String },
    /// Makes a profile token and prints it, and only it: the one command
    /// that prints a secret.
    ///
    /// Example: accountkit tagoio token-create ada@example.com --profile 5f...e1 --name ci --expire "1 month"
    TokenCreate {
        email: String,
        /// The profile's id (see `login`).
        #[arg(long)]
        profile: String,
        /// The token's label.
        #[arg(long)]
        name: String,
        /// How long it lasts: "1 day", "3 months", ... (TagoIO's default
        /// when absent).
        #[arg(long)]
        expire: Option<String>,
    },
    /// Changes the password; the new one is asked.
    ///
    /// Example: accountkit tagoio password-change
    PasswordChange,
    /// Signs up; the password is asked, and a confirmation email follows.
    ///
    /// Example: accountkit tagoio create ada@example.com --name Ada --timezone Europe/London
    Create {
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "UTC")]
        timezone: String,
    },
    /// Confirms an account with the token its email carried (asked).
    ///
    /// Example: accountkit tagoio confirm --stdin < token.txt
    Confirm,
    /// Sends the confirmation email again.
    ///
    /// Example: accountkit tagoio resend-confirmation ada@example.com
    ResendConfirmation { email: String },
    /// Sends a password reset email.
    ///
    /// Example: accountkit tagoio password-recover ada@example.com
    PasswordRecover { email: String },
    /// Turns a second factor on: the password is asked, then the PIN the
    /// factor received.
    ///
    /// Example: accountkit tagoio otp-enable email ada@example.com
    OtpEnable {
        /// authenticator, sms or email.
        kind: Factor,
        email: String,
    },
    /// Turns a second factor off; the password is asked.
    ///
    /// Example: accountkit tagoio otp-disable email ada@example.com
    OtpDisable { kind: Factor, email: String },
    /// Accepts a team invitation with the token its email carried (asked).
    ///
    /// Example: accountkit tagoio accept-invitation
    AcceptInvitation,
    /// Declines a team invitation with the token its email carried (asked).
    ///
    /// Example: accountkit tagoio decline-invitation
    DeclineInvitation,
    /// Deletes the account, for good.
    ///
    /// Example: accountkit tagoio delete --yes
    Delete {
        /// Required: there is no undo.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(clap::ValueEnum, Clone, Copy)]
pub enum Factor {
    Authenticator,
    Sms,
    Email,
}

impl From<Factor> for OtpType {
    fn from(f: Factor) -> OtpType {
        match f {
            Factor::Authenticator => OtpType::Authenticator,
            Factor::Sms => OtpType::Sms,
            Factor::Email => OtpType::Email,
        }
    }
}

pub async fn run(common: &Common, args: Args) -> Result<(), Failure> {
    use Command::*;
    let anonymous = || client(common, &args.region, None);
    let signed_in = || -> Result<Client, Failure> {
        let token = token(common, TOKEN_VAR, "TagoIO profile token")?;
        client(common, &args.region, Some(token))
    };
    let done = |message: String| print(common.json, &json!({ "message": message }));
    let password = |email: &str| -> Result<Credentials, Failure> {
        Ok(Credentials::new(email, ask(&format!("password of {email}"), common.stdin)?))
    };
    match args.command {
        Info => print(common.json, &account(&signed_in()?.info().await?)),
        Edit { name, company, language, phone, timezone } => {
            let mut changes = AccountChanges::new();
            if let Some(name) = name {
                changes = changes.name(name);
            }
            if let Some(company) = company {
                changes = changes.company(company);
            }
            if let Some(language) = language {
                changes = changes.language(Language::from(language.as_str()));
            }
            if let Some(phone) = phone {
                changes = changes.phone(phone);
            }
            if let Some(timezone) = timezone {
                changes = changes.timezone(timezone);
            }
            done(signed_in()?.edit(&changes).await?);
        }
        Login { email } => {
            let credentials = password(&email)?;
            let stdin = common.stdin;
            let login = anonymous()?
                .login_with_otp(&credentials, async |otp: OtpType| ask(&format!("{otp} PIN"), stdin).ok())
                .await?;
            print(common.json, &login_json(&login));
        }
        TokenCreate { email, profile, name, expire } => {
            let client = anonymous()?;
            let credentials = password(&email)?;
            let mut request = TokenRequest::new(profile, credentials, name);
            if let Some(expire) = expire {
                request = request.expire_time(expire);
            }
            let made = client.token_create(&request).await?;
            print(common.json, &token_json(&made));
        }
        PasswordChange => {
            let new = ask("new password", common.stdin)?;
            done(signed_in()?.password_change(new).await?);
        }
        Create { email, name, timezone } => {
            let secret = ask(&format!("password for {email}"), common.stdin)?;
            done(anonymous()?.create(&NewAccount::new(name, email, secret, timezone)).await?);
        }
        Confirm => done(anonymous()?.confirm_account(ask("confirmation token", common.stdin)?).await?),
        ResendConfirmation { email } => done(anonymous()?.resend_confirmation(&email).await?),
        PasswordRecover { email } => done(anonymous()?.password_recover(&email).await?),
        OtpEnable { kind, email } => {
            let client = signed_in()?;
            let credentials = password(&email)?;
            client.enable_otp(kind.into(), &credentials).await?;
            let pin = ask("PIN it received", common.stdin)?;
            done(client.confirm_otp(kind.into(), pin).await?);
        }
        OtpDisable { kind, email } => {
            let client = signed_in()?;
            done(client.disable_otp(kind.into(), &password(&email)?).await?);
        }
        AcceptInvitation => {
            done(anonymous()?.accept_team_invitation(ask("invitation token", common.stdin)?).await?)
        }
        DeclineInvitation => {
            done(anonymous()?.decline_team_invitation(ask("invitation token", common.stdin)?).await?)
        }
        Delete { yes } => {
            if !yes {
                return Err(Failure::Usage("deleting the account cannot be undone: add --yes".into()));
            }
            done(signed_in()?.delete().await?);
        }
    }
    Ok(())
}

fn client(common: &Common, region: &str, token: Option<accountkit::SecretString>) -> Result<Client, Failure> {
    let region = match (&common.base_url, region) {
        (Some(url), _) => Region::Custom(url.clone()),
        (None, "eu-w1") => Region::EuWest1,
        (None, _) => Region::UsEast1,
    };
    let mut builder = Client::builder(region).timeout(common.timeout()).retry(common.retry());
    if let Some(token) = token {
        builder = builder.token(token);
    }
    Ok(builder.build()?)
}

fn account(a: &Account) -> Value {
    json!({
        "id": a.id,
        "name": a.name,
        "email": a.email,
        "company": a.company,
        "phone": a.phone,
        "timezone": a.timezone,
        "language": a.language.as_ref().map(|l| l.as_str()),
        "plan": a.plan.as_ref().map(|p| p.as_str()),
        "active": a.active,
        "blocked": a.blocked,
        "country": a.country,
        "created_at": a.created_at.map(|t| t.to_rfc3339()),
        "last_login": a.last_login.map(|t| t.to_rfc3339()),
        "second_factors": {
            "authenticator": a.otp.authenticator,
            "sms": a.otp.sms,
            "email": a.otp.email,
        },
    })
}

fn login_json(login: &Login) -> Value {
    json!({
        "id": login.id,
        "email": login.email,
        "name": login.name,
        "profiles": login.profiles.iter().map(|p| json!({"id": p.id, "name": p.name})).collect::<Vec<_>>(),
    })
}

fn token_json(made: &ProfileToken) -> Value {
    use accountkit::ExposeSecret;
    json!({
        "token": made.token.expose_secret(),
        "name": made.name,
        "profile": made.profile,
        "expires": made.expire_date.as_ref().map(ToString::to_string),
    })
}
