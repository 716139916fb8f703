//! `accountkit stx ...`: an STX (SportsX) account.
//!
//! A session lives between commands as its refresh token: STX's access
//! token alone cannot be resumed from, and every resume uses the refresh
//! token up and hands out a new one. So a session is kept in a file
//! (`--session-file`, owner-only) that each command reads and writes back;
//! a refresh token in `STX_REFRESH_TOKEN` lasts one command.

use std::path::{Path, PathBuf};

use accountkit::stx::{
    Client, Credentials, Host, LoginInfo, LoginOutcome, PasswordChange as Change, Registration, Session,
    TwoFactorChallenge, TwoFactorStatus, UserProfile,
};
use accountkit::{ExposeSecret, SecretString};
use clap::Subcommand;
use serde_json::{Value, json};

use crate::output::print;
use crate::secrets::{ask, ask_or_empty, env_or_prompt};
use crate::{Common, Failure};

/// The variable a refresh token is read from.
const TOKEN_VAR: &str = "STX_REFRESH_TOKEN";

/// How often an empty line may ask for a code again.
const RESENDS: usize = 3;

#[derive(clap::Args)]
#[command(after_help = "A session is kept between commands in --session-file (written owner-only, its\n\
                        refresh token replaced after each command), or given once in STX_REFRESH_TOKEN\n\
                        (used up by that command: STX hands out a new one on every resume).\n\
                        Passwords and codes are never arguments: they are asked, or read from\n\
                        standard input with --stdin, one per line. Where a code is asked, an empty\n\
                        line sends it again.")]
pub struct Args {
    /// The STX host: production (api.on.stxapp.ca), production-sportsx
    /// (api.on.sportsxapp.com) or staging (--base-url overrides it).
    #[arg(long, global = true, value_enum, default_value = "production")]
    host: StxHost,
    /// The file the session's refresh token is kept in.
    #[arg(long, global = true, env = "STX_SESSION_FILE", value_name = "FILE")]
    session_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::ValueEnum, Clone, Copy)]
pub enum StxHost {
    Production,
    ProductionSportsx,
    Staging,
}

#[derive(Subcommand)]
pub enum Command {
    /// Logs in: the password is asked, and the emailed code when 2FA is
    /// on. Keeps the session in --session-file; prints the tokens only
    /// with --show-tokens.
    ///
    /// Example: accountkit stx login ada@example.com --session-file ~/.stx-session
    Login {
        email: String,
        /// The device the session is tied to.
        #[arg(long)]
        device_id: Option<String>,
        /// Also print the access and refresh tokens (for another tool).
        #[arg(long)]
        show_tokens: bool,
    },
    /// Creates an account; the password is asked.
    ///
    /// Example: accountkit stx register grace@example.com --first-name Grace --last-name Hopper
    Register {
        email: String,
        #[arg(long, requires = "last_name")]
        first_name: Option<String>,
        #[arg(long, requires = "first_name")]
        last_name: Option<String>,
        #[arg(long)]
        username: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        /// YYYY-MM-DD.
        #[arg(long, value_parser = date)]
        date_of_birth: Option<accountkit::chrono::NaiveDate>,
        /// Another field of the registration document, KEY=VALUE (a JSON
        /// value, or else the text itself; repeatable).
        #[arg(long, value_parser = field)]
        field: Vec<(String, Value)>,
    },
    /// Emails a password-reset code.
    ///
    /// Example: accountkit stx password-forgot ada@example.com
    PasswordForgot { email: String },
    /// Sets a new password with the emailed reset code; both are asked.
    ///
    /// Example: accountkit stx password-reset
    PasswordReset,
    /// The logged-in user's profile.
    ///
    /// Example: accountkit stx profile --session-file ~/.stx-session --json
    Profile,
    /// Changes the password: the current and new ones are asked, then the
    /// emailed code when 2FA is on.
    ///
    /// Example: accountkit stx password-change
    PasswordChange,
    /// Turns 2FA on (the password is asked): logins then wait for an
    /// emailed code.
    ///
    /// Example: accountkit stx two-factor-enable
    TwoFactorEnable,
    /// Turns 2FA off (the password is asked).
    ///
    /// Example: accountkit stx two-factor-disable
    TwoFactorDisable,
    /// Asks STX to email a fresh 2FA code.
    ///
    /// Example: accountkit stx two-factor-send
    TwoFactorSend,
    /// Replaces the session's tokens now; prints when the new access token
    /// expires.
    ///
    /// Example: accountkit stx refresh --session-file ~/.stx-session
    Refresh,
    /// Ends the session, voiding its tokens, and removes --session-file.
    ///
    /// Example: accountkit stx logout --device-id ada-laptop
    Logout {
        /// The device to log out.
        #[arg(long)]
        device_id: Option<String>,
    },
}

fn date(text: &str) -> Result<accountkit::chrono::NaiveDate, String> {
    accountkit::chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| format!("not YYYY-MM-DD: {e}"))
}

fn field(text: &str) -> Result<(String, Value), String> {
    let (key, value) =
        text.split_once('=').filter(|(k, _)| !k.is_empty()).ok_or(format!("`{text}` is not KEY=VALUE"))?;
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::from(value));
    Ok((key.to_string(), value))
}

pub async fn run(common: &Common, args: Args) -> Result<(), Failure> {
    use Command::*;
    let host = match (&common.base_url, args.host) {
        (Some(url), _) => Host::Custom(url.clone()),
        (None, StxHost::Production) => Host::Production,
        (None, StxHost::ProductionSportsx) => Host::ProductionSportsx,
        (None, StxHost::Staging) => Host::Staging,
    };
    let client = Client::builder(host).timeout(common.timeout()).retry(common.retry()).build()?;
    let stdin = common.stdin;
    let file = args.session_file.as_deref();
    let shown = match args.command {
        Login { email, device_id, show_tokens } => {
            let mut credentials =
                Credentials::new(email.as_str(), ask(&format!("password of {email}"), stdin)?);
            if let Some(device) = device_id {
                credentials = credentials.device_id(device);
            }
            let session = match client.login(&credentials).await? {
                LoginOutcome::LoggedIn(session) => session,
                LoginOutcome::TwoFactorRequired(challenge) => confirm(&client, &challenge, stdin).await?,
            };
            if let Some(path) = file {
                keep(path, &session.refresh_token())?;
            }
            let mut shown = info(&session.info());
            shown["expires_at"] = Value::from(session.expires_at().to_rfc3339());
            // The one command that exists to print them, and only when asked.
            if show_tokens {
                shown["access_token"] = Value::from(session.access_token().expose_secret());
                shown["refresh_token"] = Value::from(session.refresh_token().expose_secret());
            }
            shown
        }
        Register { email, first_name, last_name, username, phone, date_of_birth, field } => {
            let mut registration =
                Registration::new(email.as_str(), ask(&format!("password for {email}"), stdin)?);
            if let (Some(first), Some(last)) = (first_name, last_name) {
                registration = registration.name(first, last);
            }
            if let Some(username) = username {
                registration = registration.username(username);
            }
            if let Some(phone) = phone {
                registration = registration.phone_number(phone);
            }
            if let Some(date) = date_of_birth {
                registration = registration.date_of_birth(date);
            }
            for (key, value) in field {
                registration = registration.field(key, value);
            }
            let registered = client.register(&registration).await?;
            // Any verification code stays unprinted: it is for the inbox.
            json!({ "status": registered.status, "message": registered.message })
        }
        PasswordForgot { email } => {
            let requested = client.forgot_password(&email).await?;
            json!({ "header": requested.header, "message": requested.message, "email": requested.email })
        }
        PasswordReset => {
            let code = ask("the emailed reset code", stdin)?;
            client.confirm_password_reset(code, ask("new password", stdin)?).await?;
            json!({ "message": "the password is reset" })
        }
        Profile => with_session(&client, file, async |s| Ok(profile(&s.user_profile().await?))).await?,
        PasswordChange => {
            with_session(&client, file, async |s| {
                let old = ask("current password", stdin)?;
                let new = ask("new password", stdin)?;
                if s.change_password(old, new).await? == Change::ConfirmationRequired {
                    confirm_change(s, stdin).await?;
                }
                Ok(json!({ "message": "the password is changed" }))
            })
            .await?
        }
        TwoFactorEnable => {
            with_session(&client, file, async |s| {
                Ok(status(&s.enable_2fa(Some(ask("password", stdin)?)).await?))
            })
            .await?
        }
        TwoFactorDisable => {
            with_session(&client, file, async |s| {
                Ok(status(&s.disable_2fa(Some(ask("password", stdin)?)).await?))
            })
            .await?
        }
        TwoFactorSend => with_session(&client, file, async |s| Ok(status(&s.send_2fa().await?))).await?,
        Refresh => {
            with_session(&client, file, async |s| {
                s.refresh().await?;
                Ok(json!({ "expires_at": s.expires_at().to_rfc3339() }))
            })
            .await?
        }
        Logout { device_id } => {
            let out = with_session(&client, file, async |s| {
                let out = s.logout(device_id.as_deref()).await?;
                Ok(json!({ "status": out.status, "message": out.message, "device_id": out.device_id }))
            })
            .await?;
            // Its tokens are void now.
            if let Some(path) = file {
                std::fs::remove_file(path)
                    .map_err(|e| Failure::Usage(format!("cannot remove {}: {e}", path.display())))?;
            }
            out
        }
    };
    print(common.json, &shown);
    Ok(())
}

/// Finishes a login that waits for the emailed code; an empty line asks
/// for it again.
async fn confirm(client: &Client, challenge: &TwoFactorChallenge, stdin: bool) -> Result<Session, Failure> {
    let what = format!("the code emailed to {} (an empty line sends another)", challenge.email());
    for _ in 0..RESENDS {
        match ask_or_empty(&what, stdin)? {
            Some(code) => return Ok(client.confirm_2fa(challenge, code).await?),
            None => {
                client.resend_2fa(challenge).await?;
                eprintln!("another code is on its way");
            }
        }
    }
    Ok(client.confirm_2fa(challenge, ask(&what, stdin)?).await?)
}

/// Finishes a password change that waits for the emailed code.
async fn confirm_change(session: &Session, stdin: bool) -> Result<(), Failure> {
    let what = "the emailed code (an empty line sends another)";
    for _ in 0..RESENDS {
        match ask_or_empty(what, stdin)? {
            Some(code) => return Ok(session.confirm_change_password_2fa(code).await?),
            None => {
                session.resend_change_password_2fa().await?;
                eprintln!("another code is on its way");
            }
        }
    }
    Ok(session.confirm_change_password_2fa(ask(what, stdin)?).await?)
}

/// Resumes the session, runs `work` on it, and keeps its newest refresh
/// token, whether `work` succeeded or not (the one read is used up either
/// way).
async fn with_session(
    client: &Client,
    file: Option<&Path>,
    work: impl AsyncFnOnce(&Session) -> Result<Value, Failure>,
) -> Result<Value, Failure> {
    let refresh = match file {
        Some(path) => read_kept(path)?,
        None => env_or_prompt(TOKEN_VAR, "STX refresh token")?,
    };
    let session = client.resume(refresh).await?;
    let result = work(&session).await;
    match file {
        Some(path) => keep(path, &session.refresh_token())?,
        None => eprintln!("note: the refresh token given is used up; keep a session with --session-file"),
    }
    result
}

fn read_kept(path: &Path) -> Result<SecretString, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::Usage(format!("no session in {}: {e} (log in with --session-file first)", path.display()))
    })?;
    match text.trim() {
        "" => Err(Failure::Usage(format!("no session in {}: log in with --session-file", path.display()))),
        token => Ok(SecretString::from(token)),
    }
}

/// Writes the refresh token to `path`, readable by its owner only, and
/// replaces the file whole, so a crash leaves the old token or the new.
fn keep(path: &Path, refresh: &SecretString) -> Result<(), Failure> {
    use std::io::Write;
    let fail =
        |e: std::io::Error| Failure::Usage(format!("cannot keep the session in {}: {e}", path.display()));
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".new");
    let next = path.with_file_name(name);
    // A stale one may have other permissions; a new file takes ours.
    let _ = std::fs::remove_file(&next);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options.open(&next).map_err(fail)?;
    writeln!(out, "{}", refresh.expose_secret()).map_err(fail)?;
    out.sync_all().map_err(fail)?;
    std::fs::rename(&next, path).map_err(fail)
}

fn time(t: Option<accountkit::chrono::DateTime<accountkit::chrono::Utc>>) -> Value {
    t.map(|t| Value::from(t.to_rfc3339())).unwrap_or(Value::Null)
}

fn info(i: &LoginInfo) -> Value {
    json!({
        "user_id": i.user_id,
        "user_status": i.user_status,
        "device_id": i.device_id,
        "ip_address": i.ip_address,
        "last_login_at": time(i.last_login_at),
        "current_login_at": time(i.current_login_at),
        "prompt_tnc_acceptance": i.prompt_tnc_acceptance,
        "allow_multiple_logins": i.allow_multiple_logins,
    })
}

/// The status text only: the 2FA session id stands for the code.
fn status(s: &TwoFactorStatus) -> Value {
    json!({ "status": s.status })
}

/// Every field but the tax number.
fn profile(p: &UserProfile) -> Value {
    json!({
        "id": p.id,
        "username": p.username,
        "first_name": p.first_name,
        "middle_name": p.middle_name,
        "last_name": p.last_name,
        "preferred_name": p.preferred_name,
        "date_of_birth": p.date_of_birth,
        "phone_number": p.phone_number,
        "country_code": p.country_code,
        "city": p.city,
        "state": p.state,
        "zip_code": p.zip_code,
        "country": p.country,
        "citizenship_country": p.citizenship_country,
        "account_id": p.account_id,
        "employer_name": p.employer_name,
        "employer_address": p.employer_address,
        "job_title": p.job_title,
        "industry": p.industry,
        "business_country_code": p.business_country_code,
        "business_phone": p.business_phone,
        "two_factor_auth": p.two_factor_auth,
        "two_factor_auth_per_device": p.two_factor_auth_per_device,
        "opt_in_marketing": p.opt_in_marketing,
        "whitelist_ip_addresses": p.whitelist_ip_addresses,
    })
}
