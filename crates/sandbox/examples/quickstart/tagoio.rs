//! The TagoIO account lifecycle.

use accountkit::tagoio::{
    Account, AccountChanges, Client, Credentials, Login, NewAccount, OtpType, ProfileToken, Region,
    TimeFormat, TokenRequest,
};
use accountkit::{ErrorKind, ExposeSecret, SecretString};
use accountkit_sandbox::Sandbox;
use accountkit_sandbox::tagoio::TagoIo;

use crate::{Fallible, expect_error, step};

const EMAIL: &str = "ada@example.com";
// Throwaway passwords of a throwaway sandbox account; never printed anyway.
const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "tr0ub4dor&3";

/// The real server to read from, if the environment names one.
pub fn real_server() -> Fallible<Option<(Region, SecretString)>> {
    let var = |name| std::env::var(name).ok().filter(|v: &String| !v.trim().is_empty());
    let region = match (var("TAGOIO_BASE_URL"), var("TAGOIO_REGION")) {
        (Some(url), _) => Some(Region::Custom(url)),
        (None, Some(region)) => Some(match region.as_str() {
            "us-e1" => Region::UsEast1,
            "eu-w1" => Region::EuWest1,
            other => {
                return Err(format!("TAGOIO_REGION is `{other}`; expected `us-e1` or `eu-w1`").into());
            }
        }),
        (None, None) => None,
    };
    // Half a configuration is a mistake, not a request for the sandbox.
    match (region, var("TAGOIO_TOKEN")) {
        (Some(region), Some(token)) => Ok(Some((region, token.into()))),
        (None, None) => Ok(None),
        (Some(_), None) => Err("TAGOIO_TOKEN must be set along with TAGOIO_BASE_URL or TAGOIO_REGION".into()),
        (None, Some(_)) => {
            Err("TAGOIO_TOKEN is set; set TAGOIO_BASE_URL or TAGOIO_REGION (us-e1, eu-w1) too".into())
        }
    }
}

pub async fn read_only(region: Region, token: SecretString) -> Fallible {
    let client = Client::new(region, token)?;
    println!("TagoIO at {} (read-only: nothing is changed)\n", client.base_url());
    let account = client.info().await?;
    step("info", "the token's account:");
    print_account(&account);
    Ok(())
}

pub async fn lifecycle(sandbox: &Sandbox) -> Fallible {
    let tagoio = sandbox.tagoio();
    let anonymous = Client::anonymous(Region::Custom(tagoio.base_url()))?;
    println!("TagoIO sandbox at {}\n", anonymous.base_url());

    let credentials = Credentials::new(EMAIL, PASSWORD);
    let new_account = NewAccount::new("Ada Lovelace", EMAIL, PASSWORD, "Europe/London");
    step("create", &anonymous.create(&new_account).await?);

    let confirmation = outbox(tagoio.confirmation_token(EMAIL), "a confirmation token")?;
    step("confirm", &anonymous.confirm_account(confirmation).await?);

    let login = anonymous.login(&credentials).await?;
    step("login", &describe_login(&login));
    let profile = login.profiles.first().ok_or("the login listed no profile")?;

    let request = TokenRequest::new(&profile.id, credentials.clone(), "quickstart");
    let token = anonymous.token_create(&request).await?;
    step("token_create", &describe_token(&token));
    let client = anonymous.with_token(token.token)?;

    let enabled = client.enable_otp(OtpType::Email, &credentials).await?;
    step("enable_otp", &format!("{enabled} (PIN sent by email)"));
    let pin = outbox(tagoio.latest_pin(EMAIL), "a PIN")?;
    step("confirm_otp", &client.confirm_otp(OtpType::Email, pin).await?);

    expect_error("login (no PIN)", anonymous.login(&credentials).await, ErrorKind::SecondFactorRequired)?;
    let (login, pin) = login_with_email_pin(&anonymous, &tagoio, &credentials).await?;
    step("login_with_otp", &describe_login(&login));

    // The sandbox, like the vendor, takes one PIN once for login and once for a token.
    let request = TokenRequest::new(&profile.id, credentials.clone(), "quickstart 2FA")
        .second_factor(OtpType::Email, pin);
    let token = anonymous.token_create(&request).await?;
    step("token_create", &format!("{} (with the login PIN)", describe_token(&token)));
    let client = client.with_token(token.token)?;

    let account = client.info().await?;
    step("info", "the account:");
    print_account(&account);

    let changes = AccountChanges::new().name("Ada King").time_format(TimeFormat::H24);
    step("edit", &client.edit(&changes).await?);
    let account = client.info().await?;
    let time_format = account.options.time_format.as_deref().unwrap_or("unset");
    step("info", &format!("name is now {:?}, time format {time_format}", account.name));

    let new_password = SecretString::from(NEW_PASSWORD);
    step("password_change", &client.password_change(&new_password).await?);
    expect_error("login (old pwd)", anonymous.login(&credentials).await, ErrorKind::Unauthorized)?;
    let credentials = Credentials::new(EMAIL, new_password);
    let (login, _) = login_with_email_pin(&anonymous, &tagoio, &credentials).await?;
    step("login_with_otp", &format!("new password accepted; {}", describe_login(&login)));

    step("delete", &client.delete().await?);
    expect_error("info (deleted)", client.info().await, ErrorKind::Unauthorized)?;

    Ok(())
}

/// Logs in in one call; the PIN is read from the sandbox's outbox as a user
/// would read their email. Returns the PIN too, for a token request.
async fn login_with_email_pin(
    client: &Client,
    tagoio: &TagoIo,
    credentials: &Credentials,
) -> Fallible<(Login, SecretString)> {
    let email = credentials.email().to_string();
    let mut seen = None;
    let login = client
        .login_with_otp(credentials, async |otp| {
            let pin = tagoio.latest_pin(&email)?;
            seen = Some((otp, pin.clone()));
            Some(pin)
        })
        .await?;
    let (otp, pin) = seen.ok_or("login_with_otp never asked for a PIN")?;
    if otp != OtpType::Email {
        return Err(format!("the server asked for a PIN by {otp}, not by email").into());
    }
    Ok((login, pin))
}

fn outbox(found: Option<SecretString>, what: &str) -> Fallible<SecretString> {
    found.ok_or_else(|| format!("the sandbox sent no {what} to {EMAIL}").into())
}

fn describe_login(login: &Login) -> String {
    let profiles: Vec<String> = login
        .profiles
        .iter()
        .map(|p| format!("{:?} ({})", p.name.as_deref().unwrap_or("unnamed"), p.id))
        .collect();
    format!("logged in as {}; profiles: {}", login.email, profiles.join(", "))
}

fn describe_token(token: &ProfileToken) -> String {
    let permission = token.permission.as_ref().map_or("default", |p| p.as_str());
    let expiry = token.expire_date.as_ref().map_or("unstated".to_string(), ToString::to_string);
    format!(
        "token: [REDACTED] ({} chars), permission {permission}, expires {expiry}",
        token.token.expose_secret().len()
    )
}

fn print_account(account: &Account) {
    let plan = account.plan.as_ref().map_or("unknown", |p| p.as_str());
    let created = account.created_at.map_or("unknown".to_string(), |d| d.to_rfc3339());
    let otp = &account.otp;
    let factors: Vec<&str> = [(otp.authenticator, "authenticator"), (otp.sms, "sms"), (otp.email, "email")]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
    let factors = if factors.is_empty() { "none".to_string() } else { factors.join(", ") };
    for (label, value) in [
        ("name", account.name.as_str()),
        ("email", account.email.as_str()),
        ("plan", plan),
        ("created", created.as_str()),
        ("2FA", factors.as_str()),
    ] {
        println!("{:22}{label:9}{value}", "");
    }
}
