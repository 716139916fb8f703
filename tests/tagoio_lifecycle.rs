//! The TagoIO client against the sandbox, end to end: every test starts its
//! own sandbox and drives it only through the public client API, reading
//! emails and PINs from the sandbox's outbox.

use std::collections::BTreeSet;

use accountkit::tagoio::{
    AccountChanges, Client, Credentials, Login, NewAccount, OtpType, Permission, Plan, Region, TimeFormat,
    TokenRequest,
};
use accountkit::{Error, ErrorKind, ExposeSecret, SecretString};
use accountkit_sandbox::Sandbox;
use accountkit_sandbox::tagoio::{InvitationState, MessageKind, TagoIo};

const PASSWORD: &str = "first password";
const NEW_PASSWORD: &str = "second password";

struct Env {
    // Dropping it stops the server.
    _sandbox: Sandbox,
    tagoio: TagoIo,
    anonymous: Client,
}

async fn start() -> Env {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let tagoio = sandbox.tagoio();
    let anonymous = Client::anonymous(Region::Custom(tagoio.base_url())).unwrap();
    Env { _sandbox: sandbox, tagoio, anonymous }
}

fn secret(value: impl Into<SecretString>) -> SecretString {
    value.into()
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

impl Env {
    async fn create(&self, email: &str, password: &str) {
        let account = NewAccount::new("Ada Lovelace", email, password, "Europe/London");
        self.anonymous.create(&account).await.unwrap();
    }

    async fn confirm(&self, email: &str) {
        let token = self.tagoio.confirmation_token(email).expect("a confirmation email");
        self.anonymous.confirm_account(token).await.unwrap();
    }

    /// A confirmed account and a client holding a token of its profile.
    async fn account(&self, email: &str, password: &str) -> (Credentials, Login, Client) {
        self.create(email, password).await;
        self.confirm(email).await;
        let credentials = Credentials::new(email, password);
        let login = self.anonymous.login(&credentials).await.unwrap();
        let request = TokenRequest::new(&login.profiles[0].id, credentials.clone(), "e2e");
        let token = self.anonymous.token_create(&request).await.unwrap();
        let client = self.anonymous.with_token(token.token).unwrap();
        (credentials, login, client)
    }

    fn pins_sent(&self, email: &str) -> usize {
        self.tagoio
            .outbox()
            .iter()
            .filter(|m| m.to == email && matches!(m.kind, MessageKind::OtpPin { .. }))
            .count()
    }

    /// `login_with_otp` through `client`, reading the PIN from the outbox;
    /// returns the factor it was asked for and the PIN it was given.
    async fn login_with_otp(
        &self,
        client: &Client,
        credentials: &Credentials,
    ) -> accountkit::Result<(Login, Option<(OtpType, SecretString)>)> {
        let mut asked = None;
        let login = client
            .login_with_otp(credentials, async |otp| {
                let pin = self.tagoio.latest_pin(credentials.email())?;
                asked = Some((otp, pin.clone()));
                Some(pin)
            })
            .await?;
        Ok((login, asked))
    }
}

#[tokio::test]
async fn whole_lifecycle() {
    let env = start().await;
    let email = "ada@example.com";
    let credentials = Credentials::new(email, PASSWORD);

    // create
    assert!(!env.tagoio.account_exists(email));
    env.create(email, PASSWORD).await;
    assert!(env.tagoio.account_exists(email));
    let again = NewAccount::new("Ada", email, PASSWORD, "Europe/London");
    let e = expect_err(env.anonymous.create(&again).await, ErrorKind::Validation, 400);
    assert_eq!(e.message(), "Email already in use");

    // an unconfirmed account cannot log in
    let e = expect_err(env.anonymous.login(&credentials).await, ErrorKind::Unauthorized, 401);
    assert_eq!(e.message(), "Account not confirmed");

    // confirm; the token is single-use
    let confirmation = secret(env.tagoio.confirmation_token(email).unwrap());
    env.anonymous.confirm_account(&confirmation).await.unwrap();
    expect_err(env.anonymous.confirm_account(&confirmation).await, ErrorKind::NotFound, 404);

    // login lists the account's profile
    let login = env.anonymous.login(&credentials).await.unwrap();
    assert_eq!(login.email, email);
    assert_eq!(login.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(login.profiles.len(), 1);
    let profile = login.profiles[0].clone();
    assert_eq!(profile.account.as_deref(), Some(login.id.as_str()));
    assert!(!profile.from_share);

    // a token for that profile, and only that profile
    let elsewhere = TokenRequest::new("0".repeat(24), credentials.clone(), "e2e");
    expect_err(env.anonymous.token_create(&elsewhere).await, ErrorKind::NotFound, 404);
    let request = TokenRequest::new(&profile.id, credentials.clone(), "first").expire_time("1 day");
    let token = env.anonymous.token_create(&request).await.unwrap();
    assert_eq!(token.profile.as_deref(), Some(profile.id.as_str()));
    assert_eq!(token.created_by.as_deref(), Some(login.id.as_str()));
    assert_eq!(token.name.as_deref(), Some("first"));
    assert_eq!(token.permission, Some(Permission::Full));
    let expires = token.expire_date.and_then(|e| e.at()).expect("an expiry for `1 day`").timestamp();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((expires - now - 24 * 3600).abs() < 60, "expires at {expires}, now {now}");
    let client = env.anonymous.with_token(token.token).unwrap();

    let account = client.info().await.unwrap();
    assert_eq!(account.id, login.id);
    assert_eq!(account.email, email);
    assert_eq!(account.name, "Ada Lovelace");
    assert_eq!(account.timezone.as_deref(), Some("Europe/London"));
    assert_eq!(account.plan, Some(Plan::Free));
    assert!(account.active && !account.blocked);
    assert!(account.created_at.is_some());
    assert!(!account.otp.any());

    // email 2FA: a wrong PIN is refused, the sent one turns it on
    let enabled_before = env.pins_sent(email);
    client.enable_otp(OtpType::Email, &credentials).await.unwrap();
    assert_eq!(env.pins_sent(email), enabled_before + 1);
    let pin = env.tagoio.latest_pin(email).unwrap();
    let wrong = if pin.expose_secret() == "000000" { "111111" } else { "000000" };
    expect_err(client.confirm_otp(OtpType::Email, wrong).await, ErrorKind::Validation, 400);
    assert!(!client.info().await.unwrap().otp.any());
    client.confirm_otp(OtpType::Email, pin).await.unwrap();
    let otp = client.info().await.unwrap().otp;
    assert!(otp.email && !otp.sms && !otp.authenticator);

    // now a plain login, or a token without a PIN, is challenged
    let e = expect_err(env.anonymous.login(&credentials).await, ErrorKind::SecondFactorRequired, 401);
    assert_eq!(e.second_factor_hint(), Some("email"));
    let no_pin = TokenRequest::new(&profile.id, credentials.clone(), "no pin");
    let e = expect_err(env.anonymous.token_create(&no_pin).await, ErrorKind::SecondFactorRequired, 401);
    assert_eq!(e.second_factor_hint(), Some("email"));

    // the one-call login asks the server for a fresh PIN and uses it
    let sent_before = env.pins_sent(email);
    let (login, asked) = env.login_with_otp(&env.anonymous, &credentials).await.unwrap();
    assert_eq!(login.email, email);
    assert_eq!(env.pins_sent(email), sent_before + 1);
    let (otp, pin) = asked.expect("the PIN callback was called");
    assert_eq!(otp, OtpType::Email);
    // a PIN logs in once only
    expect_err(
        env.anonymous.login_with_pin(&credentials, OtpType::Email, pin.clone()).await,
        ErrorKind::Unauthorized,
        401,
    );

    // ... and makes one token
    let with_pin = TokenRequest::new(&profile.id, credentials.clone(), "second")
        .second_factor(OtpType::Email, pin.clone());
    let token = env.anonymous.token_create(&with_pin).await.unwrap();
    assert_eq!(token.name.as_deref(), Some("second"));
    assert_eq!(token.expire_date, Some(accountkit::tagoio::Expiry::Never));
    expect_err(env.anonymous.token_create(&with_pin).await, ErrorKind::Unauthorized, 401);
    let client = client.with_token(token.token).unwrap();

    // edit shows in info
    let before = client.info().await.unwrap();
    let changes = AccountChanges::new().name("Ada King").time_format(TimeFormat::H24);
    client.edit(&changes).await.unwrap();
    let after = client.info().await.unwrap();
    assert_eq!(after.name, "Ada King");
    assert_eq!(after.options.time_format.as_deref(), Some("24"));
    assert_eq!(after.email, before.email);
    assert_eq!(after.created_at, before.created_at);
    assert!(after.updated_at >= before.updated_at);
    assert_eq!(after.options.decimal_separator, before.options.decimal_separator);

    // password change: the old password stops working, the new one needs the PIN
    client.password_change(NEW_PASSWORD).await.unwrap();
    let e = expect_err(env.anonymous.login(&credentials).await, ErrorKind::Unauthorized, 401);
    assert_eq!(e.second_factor_hint(), None);
    let credentials = Credentials::new(email, NEW_PASSWORD);
    expect_err(env.anonymous.login(&credentials).await, ErrorKind::SecondFactorRequired, 401);
    let (login, _) = env.login_with_otp(&env.anonymous, &credentials).await.unwrap();
    assert_eq!(login.id, after.id);

    // delete: the token, the account and its logins are gone
    client.delete().await.unwrap();
    assert!(!env.tagoio.account_exists(email));
    expect_err(client.info().await, ErrorKind::Unauthorized, 401);
    expect_err(env.anonymous.login(&credentials).await, ErrorKind::Unauthorized, 401);
}

#[tokio::test]
async fn password_recovery() {
    let env = start().await;
    let email = "grace@example.com";
    let (old, _, _) = env.account(email, PASSWORD).await;

    // unknown emails get the same answer and no email
    let outbox = env.tagoio.outbox().len();
    env.anonymous.password_recover("nobody@example.com").await.unwrap();
    assert_eq!(env.tagoio.outbox().len(), outbox);

    env.anonymous.password_recover(email).await.unwrap();
    let recovery = secret(env.tagoio.password_reset_token(email).expect("a recovery email"));
    env.anonymous.reset_password(&recovery, NEW_PASSWORD).await.unwrap();

    expect_err(env.anonymous.login(&old).await, ErrorKind::Unauthorized, 401);
    let new = Credentials::new(email, NEW_PASSWORD);
    assert_eq!(env.anonymous.login(&new).await.unwrap().email, email);

    // the recovery token is spent
    let e = expect_err(
        env.anonymous.reset_password(&recovery, "third password").await,
        ErrorKind::Unauthorized,
        401,
    );
    assert!(!e.to_string().contains(recovery.expose_secret()), "{e}");
    assert_eq!(env.anonymous.login(&new).await.unwrap().email, email);
}

#[tokio::test]
async fn team_invitations() {
    let env = start().await;

    let accepted = env.tagoio.invite("ada@example.com");
    assert_eq!(env.tagoio.invitation_state(&accepted), Some(InvitationState::Pending));
    let token = secret(accepted.clone());
    env.anonymous.accept_team_invitation(&token).await.unwrap();
    assert_eq!(env.tagoio.invitation_state(&accepted), Some(InvitationState::Accepted));
    // an answer is final
    for again in [
        env.anonymous.accept_team_invitation(&token).await,
        env.anonymous.decline_team_invitation(&token).await,
    ] {
        let e = expect_err(again, ErrorKind::Validation, 400);
        assert_eq!(e.message(), "Invitation already answered");
    }
    assert_eq!(env.tagoio.invitation_state(&accepted), Some(InvitationState::Accepted));

    let declined = env.tagoio.invite("grace@example.com");
    let token = secret(declined.clone());
    env.anonymous.decline_team_invitation(&token).await.unwrap();
    assert_eq!(env.tagoio.invitation_state(&declined), Some(InvitationState::Declined));
    expect_err(env.anonymous.accept_team_invitation(&token).await, ErrorKind::Validation, 400);
    assert_eq!(env.tagoio.invitation_state(&declined), Some(InvitationState::Declined));

    let unknown = secret("no-such-invitation");
    for result in [
        env.anonymous.accept_team_invitation(&unknown).await,
        env.anonymous.decline_team_invitation(&unknown).await,
    ] {
        expect_err(result, ErrorKind::NotFound, 404);
    }
}

/// Which operation a recorded request was, and whether it must carry the token.
fn route(method: &str, path: &str) -> (&'static str, bool) {
    let anonymous = |name| (name, false);
    let account = |name| (name, true);
    match (method, path) {
        ("POST", "/account") => anonymous("create"),
        ("GET", p) if p.starts_with("/account/confirm/") => anonymous("confirm_account"),
        ("GET", p) if p.starts_with("/account/resend_confirmation/") => anonymous("resend_confirmation"),
        ("POST", "/account/login") => anonymous("login"),
        ("POST", "/account/login/otp") => anonymous("request_login_pin_code"),
        ("POST", "/account/profile/token") => anonymous("token_create"),
        ("GET", p) if p.starts_with("/account/passwordreset/") => anonymous("password_recover"),
        ("GET", p) if p.starts_with("/profile/team/accept/") => anonymous("accept_team_invitation"),
        ("GET", p) if p.starts_with("/profile/team/decline/") => anonymous("decline_team_invitation"),
        ("GET", "/account") => account("info"),
        ("PUT", "/account") => account("edit"),
        ("DELETE", "/account") => account("delete"),
        ("POST", "/account/passwordreset") => account("password_change"),
        ("POST", p) if p.starts_with("/account/otp/") && p.ends_with("/enable") => account("enable_otp"),
        ("POST", p) if p.starts_with("/account/otp/") && p.ends_with("/confirm") => account("confirm_otp"),
        ("POST", p) if p.starts_with("/account/otp/") && p.ends_with("/disable") => account("disable_otp"),
        _ => panic!("unexpected request {method} {path}"),
    }
}

#[tokio::test]
async fn token_header_only_on_account_operations() {
    let env = start().await;
    let email = "ada@example.com";
    let (credentials, login, client) = env.account(email, PASSWORD).await;

    // From here on, anonymous operations go through the client holding a
    // token: it must leave the token off them.
    expect_err(client.resend_confirmation(email).await, ErrorKind::Rejected, 200);
    client.info().await.unwrap();
    client.edit(&AccountChanges::new().company("Analytical Engines")).await.unwrap();
    client
        .enable_otp_with(OtpType::Email, &credentials, async |_| env.tagoio.latest_pin(email).map(secret))
        .await
        .unwrap();
    let (_, asked) = env.login_with_otp(&client, &credentials).await.unwrap();
    let (otp, pin) = asked.expect("the PIN callback was called");
    let request =
        TokenRequest::new(&login.profiles[0].id, credentials.clone(), "2fa").second_factor(otp, pin);
    client.token_create(&request).await.unwrap();
    client.disable_otp(OtpType::Email, &credentials).await.unwrap();
    client.password_change(NEW_PASSWORD).await.unwrap();
    client.password_recover(email).await.unwrap();
    let recovery = secret(env.tagoio.password_reset_token(email).unwrap());
    client.reset_password(&recovery, PASSWORD).await.unwrap();
    let invitation = secret(env.tagoio.invite(email));
    client.accept_team_invitation(&invitation).await.unwrap();
    let invitation = secret(env.tagoio.invite(email));
    client.decline_team_invitation(&invitation).await.unwrap();
    client.delete().await.unwrap();

    // A client without a token refuses account operations before sending.
    let sent = env.tagoio.requests().len();
    let e = env.anonymous.info().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert_eq!(env.tagoio.requests().len(), sent);

    let mut seen = BTreeSet::new();
    for request in env.tagoio.requests() {
        let (operation, needs_token) = route(&request.method, &request.path);
        assert_eq!(request.had_token, needs_token, "{operation}: {} {}", request.method, request.path);
        seen.insert(operation);
    }
    // Every one of the 16 operations was checked.
    assert_eq!(seen.len(), 16, "{seen:?}");
}

#[tokio::test]
async fn resend_confirmation_of_a_confirmed_account_is_rejected_on_200() {
    let env = start().await;
    let email = "ada@example.com";
    env.create(email, PASSWORD).await;

    // While unconfirmed it sends a new email.
    let first = env.tagoio.confirmation_token(email).unwrap();
    env.anonymous.resend_confirmation(email).await.unwrap();
    let second = env.tagoio.confirmation_token(email).unwrap();
    assert_ne!(first.expose_secret(), second.expose_secret());

    env.confirm(email).await;
    let outbox = env.tagoio.outbox().len();
    let e = expect_err(env.anonymous.resend_confirmation(email).await, ErrorKind::Rejected, 200);
    assert_eq!(e.message(), "Account already confirmed");
    assert_eq!(e.operation(), "resend_confirmation");
    assert_eq!(env.tagoio.outbox().len(), outbox);

    expect_err(env.anonymous.resend_confirmation("nobody@example.com").await, ErrorKind::NotFound, 404);
}

#[tokio::test]
async fn reserved_characters_in_emails_survive_the_path() {
    for (email, encoded) in [
        ("ada+test@example.com", "ada%2Btest%40example.com"),
        ("a/b%c?d+e@example.com", "a%2Fb%25c%3Fd%2Be%40example.com"),
    ] {
        let env = start().await;
        env.create(email, PASSWORD).await;
        assert!(env.tagoio.account_exists(email), "{email}");

        env.anonymous.resend_confirmation(email).await.unwrap();
        let confirmations = env
            .tagoio
            .outbox()
            .iter()
            .filter(|m| m.to == email && matches!(m.kind, MessageKind::AccountConfirmation { .. }))
            .count();
        assert_eq!(confirmations, 2, "{email}");
        env.confirm(email).await;
        let credentials = Credentials::new(email, PASSWORD);
        assert_eq!(env.anonymous.login(&credentials).await.unwrap().email, email);

        env.anonymous.password_recover(email).await.unwrap();
        let recovery =
            env.tagoio.password_reset_token(email).unwrap_or_else(|| panic!("no recovery email for {email}"));
        env.anonymous.reset_password(recovery, NEW_PASSWORD).await.unwrap();
        let credentials = Credentials::new(email, NEW_PASSWORD);
        assert_eq!(env.anonymous.login(&credentials).await.unwrap().email, email);

        let paths: Vec<String> =
            env.tagoio.requests().into_iter().filter(|r| r.method == "GET").map(|r| r.path).collect();
        for path in
            [format!("/account/resend_confirmation/{encoded}"), format!("/account/passwordreset/{encoded}")]
        {
            assert!(paths.contains(&path), "{path} not in {paths:?}");
        }
    }
}
