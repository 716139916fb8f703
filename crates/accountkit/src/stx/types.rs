//! STX's inputs and outputs.

use crate::IntoSecret;
use accountkit_stx_raw as raw;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use crate::error::Result;
use crate::provider::Call;
use crate::validate;

/// An email and password, with the optional id of the device logging in.
#[derive(Clone)]
pub struct Credentials {
    pub(crate) email: String,
    pub(crate) password: SecretString,
    pub(crate) device_id: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("email", &self.email)
            .field("password", &"[REDACTED]")
            .field("device_id", &self.device_id)
            .finish()
    }
}

impl Credentials {
    /// Email and password.
    ///
    /// ```
    /// use accountkit::stx::Credentials;
    ///
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// assert_eq!(credentials.email(), "ada@example.com");
    /// // The password never prints.
    /// assert!(!format!("{credentials:?}").contains("correct horse"));
    /// ```
    pub fn new(email: impl Into<String>, password: impl IntoSecret) -> Self {
        Credentials { email: email.into(), password: password.into_secret(), device_id: None }
    }

    /// Your own unique id of the device, which the server ties the session to.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", false);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome};
    ///
    /// let credentials = Credentials::new("ada@example.com", "correct horse").device_id("ada-laptop");
    /// let LoginOutcome::LoggedIn(session) = stx.login(&credentials).await? else { unreachable!() };
    /// assert_eq!(session.info().device_id.as_deref(), Some("ada-laptop"));
    /// # Ok(()) }
    /// ```
    pub fn device_id(mut self, device_id: impl Into<String>) -> Self {
        self.device_id = Some(device_id.into());
        self
    }

    /// The email address.
    ///
    /// ```
    /// use accountkit::stx::Credentials;
    ///
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// assert_eq!(credentials.email(), "ada@example.com");
    /// ```
    pub fn email(&self) -> &str {
        &self.email
    }

    pub(crate) fn to_raw<'a>(&'a self, call: &mut Call<'a>) -> Result<raw::LoginCredentials> {
        validate::email(call.op(), "email", &self.email)?;
        let password = raw::Secret::new(call.secret("password", &self.password)?);
        let device_info = match &self.device_id {
            Some(id) => {
                validate::text(call.op(), "device_id", id)?;
                Some(raw::DeviceInfo { device_id: Some(id.clone()) })
            }
            None => None,
        };
        Ok(raw::LoginCredentials { email: raw::EmailAddress(self.email.clone()), password, device_info })
    }
}

/// What the server says about a login or a refreshed token, apart from the
/// tokens themselves.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct LoginInfo {
    /// The user's id (a UUID).
    pub user_id: Option<String>,
    /// The user's other id.
    pub user_uid: Option<String>,
    /// The account's status, e.g. `"ACTIVE"`.
    pub user_status: Option<String>,
    /// The server's status number for the call.
    pub status: Option<i32>,
    /// When the user logged in before this.
    pub last_login_at: Option<DateTime<Utc>>,
    /// When this login happened.
    pub current_login_at: Option<DateTime<Utc>>,
    /// The device the session is tied to.
    pub device_id: Option<String>,
    /// The address the login came from.
    pub ip_address: Option<String>,
    /// The account's responsible-gaming limits.
    pub limits: Option<Limits>,
    /// The user must accept new terms (the `tncAccepted` mutation, outside
    /// this module) before other calls succeed.
    pub prompt_tnc_acceptance: bool,
    /// Which documents changed, with `prompt_tnc_acceptance`.
    pub tnc_changed: Option<TncChanges>,
    /// The terms to accept, with `prompt_tnc_acceptance`.
    pub tnc_id: Option<String>,
    /// The addresses the account may log in from, as the server writes them.
    pub whitelist_ip_addresses: Option<String>,
    /// The devices registered for notifications.
    pub device_tokens: Vec<DeviceToken>,
    /// Whether the account may be logged in on several devices at once.
    pub allow_multiple_logins: Option<bool>,
    /// The app's settings, per device.
    pub app_settings: Vec<AppSettings>,
    /// The user's referral code.
    pub referral_code: Option<String>,
}

/// The documents whose change asks for a new acceptance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TncChanges {
    /// The terms and conditions.
    pub terms: Option<bool>,
    /// The privacy policy.
    pub privacy_policy: Option<bool>,
    /// The house rules.
    pub house_rules: Option<bool>,
}

/// The account's own limits and the ones the operator set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Limits {
    /// Set by the user (`accountLimits`).
    pub account: Option<LimitValues>,
    /// Set by the operator (`adminLimits`).
    pub admin: Option<LimitValues>,
}

/// Responsible-gaming limits, as the server's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct LimitValues {
    /// The account they belong to (user limits only).
    pub account_id: Option<String>,
    /// `dailyDeposit`
    pub daily_deposit: Option<i32>,
    /// `weeklyDeposit`
    pub weekly_deposit: Option<i32>,
    /// `monthlyDeposit`
    pub monthly_deposit: Option<i32>,
    /// `lifetimeDeposit`
    pub lifetime_deposit: Option<i32>,
    /// `orderLiability`
    pub order_liability: Option<i32>,
    /// `maxOrderLiabilityPerOrder`
    pub max_order_liability_per_order: Option<i32>,
    /// `lossLimit24Hours`
    pub loss_limit_24_hours: Option<i32>,
    /// `lossLimitWeekly`
    pub loss_limit_weekly: Option<i32>,
    /// `lossLimitMonthly`
    pub loss_limit_monthly: Option<i32>,
    /// `coolOffPeriod`
    pub cool_off_period: Option<i32>,
    /// `hoursPerDay`
    pub hours_per_day: Option<i32>,
    /// `selfExcluded`
    pub self_excluded: Option<i32>,
}

/// A device registered for notifications. Its token never prints.
#[derive(Clone)]
#[non_exhaustive]
pub struct DeviceToken {
    /// The device.
    pub device_id: Option<String>,
    /// Its push token.
    pub token: Option<SecretString>,
    /// E.g. `ios`, `android`.
    pub device_type: Option<String>,
    /// Since when the token is used.
    pub effective_start_date: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceToken")
            .field("device_id", &self.device_id)
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("device_type", &self.device_type)
            .field("effective_start_date", &self.effective_start_date)
            .finish()
    }
}

impl PartialEq for DeviceToken {
    fn eq(&self, other: &Self) -> bool {
        self.device_id == other.device_id
            && self.token.as_ref().map(ExposeSecret::expose_secret)
                == other.token.as_ref().map(ExposeSecret::expose_secret)
            && self.device_type == other.device_type
            && self.effective_start_date == other.effective_start_date
    }
}

impl Eq for DeviceToken {}

/// The app's settings on one device.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct AppSettings {
    /// The device.
    pub device_id: Option<String>,
    /// `mode`
    pub mode: Option<String>,
    /// `oddsDisplay`
    pub odds_display: Option<String>,
    /// `enableFaceId`
    pub enable_face_id: Option<bool>,
    /// `wageringQtyIncrement`
    pub wagering_qty_increment: Option<String>,
    /// `closeYourAccount`
    pub close_your_account: Option<bool>,
    /// `enable2Fa`
    pub enable_2fa: Option<bool>,
    /// `deviceType`
    pub device_type: Option<String>,
    /// `showTutorialAgain`
    pub show_tutorial_again: Option<bool>,
}

fn account_limits(limits: raw::AccountLimitsNumber) -> LimitValues {
    let raw::AccountLimitsNumber {
        account_id,
        daily_deposit,
        weekly_deposit,
        monthly_deposit,
        lifetime_deposit,
        order_liability,
        max_order_liability_per_order,
        loss_limit_24_hours,
        loss_limit_weekly,
        loss_limit_monthly,
        cool_off_period,
        hours_per_day,
        self_excluded,
    } = limits;
    LimitValues {
        account_id: account_id.map(|id| id.0),
        daily_deposit,
        weekly_deposit,
        monthly_deposit,
        lifetime_deposit,
        order_liability,
        max_order_liability_per_order,
        loss_limit_24_hours,
        loss_limit_weekly,
        loss_limit_monthly,
        cool_off_period,
        hours_per_day,
        self_excluded,
    }
}

fn admin_limits(limits: raw::AdminLimitsNumber) -> LimitValues {
    let raw::AdminLimitsNumber {
        daily_deposit,
        weekly_deposit,
        monthly_deposit,
        lifetime_deposit,
        order_liability,
        max_order_liability_per_order,
        loss_limit_24_hours,
        loss_limit_weekly,
        loss_limit_monthly,
        cool_off_period,
        hours_per_day,
        self_excluded,
    } = limits;
    LimitValues {
        account_id: None,
        daily_deposit,
        weekly_deposit,
        monthly_deposit,
        lifetime_deposit,
        order_liability,
        max_order_liability_per_order,
        loss_limit_24_hours,
        loss_limit_weekly,
        loss_limit_monthly,
        cool_off_period,
        hours_per_day,
        self_excluded,
    }
}

fn device_token(token: raw::DeviceTokens) -> DeviceToken {
    let raw::DeviceTokens { device_id, device_token, device_type, effective_start_date } = token;
    DeviceToken {
        device_id,
        token: device_token.map(|token| SecretString::from(token.expose())),
        device_type,
        effective_start_date: effective_start_date.as_deref().and_then(timestamp),
    }
}

fn app_settings(app: raw::AppSettings) -> AppSettings {
    let raw::AppSettings { device_id, settings } = app;
    let settings = settings
        .map(
            |raw::Settings {
                 device_id,
                 mode,
                 odds_display,
                 enable_face_id,
                 wagering_qty_increment,
                 close_your_account,
                 enable2_fa,
                 device_type,
                 show_tutorial_again,
             }| AppSettings {
                device_id,
                mode,
                odds_display,
                enable_face_id,
                wagering_qty_increment,
                close_your_account,
                enable_2fa: enable2_fa,
                device_type,
                show_tutorial_again,
            },
        )
        .unwrap_or_default();
    // The entry's own device id wins over the one inside its settings.
    AppSettings { device_id: device_id.or(settings.device_id), ..settings }
}

/// A `LoginResult`, taken apart once: what the client acts on (the tokens,
/// the 2FA prompt and its session) beside what a session shows.
pub(crate) struct LoginAnswer {
    pub(crate) token: Option<raw::Secret>,
    pub(crate) refresh_token: Option<raw::Secret>,
    pub(crate) prompt_two_factor_auth: Option<bool>,
    pub(crate) session_id: Option<String>,
    pub(crate) info: LoginInfo,
}

impl LoginAnswer {
    pub(crate) fn from_raw(result: raw::LoginResult) -> Self {
        let raw::LoginResult {
            user_id,
            status,
            token,
            refresh_token,
            user_status,
            user_uid,
            last_login_at,
            current_login_at,
            device_id,
            ip_address,
            limits_number,
            prompt_two_factor_auth,
            session_id,
            prompt_tnc_acceptance,
            tnc_changed,
            tnc_id,
            whitelist_ip_addresses,
            device_tokens,
            allow_multiple_logins,
            app_settings: settings,
            referral_code,
        } = result;
        let limits = limits_number.map(
            |raw::AccountLimitResultNumber { account_limits: account, admin_limits: admin }| Limits {
                account: account.map(account_limits),
                admin: admin.map(admin_limits),
            },
        );
        let info = LoginInfo {
            ip_address,
            limits,
            tnc_changed: tnc_changed.map(|raw::TncChanges { terms, privacy_policy, house_rules }| {
                TncChanges { terms, privacy_policy, house_rules }
            }),
            whitelist_ip_addresses,
            device_tokens: device_tokens.into_iter().flatten().flatten().map(device_token).collect(),
            allow_multiple_logins,
            app_settings: settings.into_iter().flatten().flatten().map(app_settings).collect(),
            referral_code,
            user_id: user_id.map(|id| id.0),
            user_uid,
            user_status,
            status,
            last_login_at: last_login_at.as_deref().and_then(timestamp),
            current_login_at: current_login_at.as_deref().and_then(timestamp),
            device_id,
            prompt_tnc_acceptance: prompt_tnc_acceptance.unwrap_or(false),
            tnc_id,
        };
        LoginAnswer { token, refresh_token, prompt_two_factor_auth, session_id, info }
    }
}

/// An ISO-8601 time, with or without an offset (then UTC).
fn timestamp(value: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = accountkit_runtime::timestamp::parse_rfc3339(value) {
        return Some(at);
    }
    NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|at| at.and_utc())
}

/// A login that waits for the code the server emailed. Pass it to
/// [`Client::confirm_2fa`](super::Client::confirm_2fa).
#[derive(Clone)]
pub struct TwoFactorChallenge {
    pub(crate) session_id: String,
    pub(crate) email: String,
    /// The user's id, when the server sent it.
    pub user_id: Option<String>,
}

impl std::fmt::Debug for TwoFactorChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoFactorChallenge")
            .field("email", &self.email)
            .field("session_id", &"[REDACTED]")
            .field("user_id", &self.user_id)
            .finish()
    }
}

impl TwoFactorChallenge {
    /// Resumes a challenge, e.g. in another process.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # sandbox.stx().add_user("ada@example.com", "correct horse", true);
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// # let LoginOutcome::TwoFactorRequired(challenge) =
    /// #     stx.login(&Credentials::new("ada@example.com", "correct horse")).await? else { unreachable!() };
    /// # let read_code_from_email = || sandbox.stx().latest_code("ada@example.com").unwrap();
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome, TwoFactorChallenge};
    ///
    /// // Saved by the process that logged in…
    /// let saved = (challenge.session_id().to_string(), challenge.email().to_string());
    /// // …and picked up by the one the user types the code into.
    /// let challenge = TwoFactorChallenge::new(saved.0, saved.1);
    /// let session = stx.confirm_2fa(&challenge, read_code_from_email()).await?;
    /// assert!(session.info().user_id.is_some());
    /// # Ok(()) }
    /// ```
    pub fn new(session_id: impl Into<String>, email: impl Into<String>) -> Self {
        TwoFactorChallenge { session_id: session_id.into(), email: email.into(), user_id: None }
    }

    /// The server's id of the 2FA session holding the code.
    ///
    /// ```
    /// use accountkit::stx::TwoFactorChallenge;
    ///
    /// let challenge = TwoFactorChallenge::new("7f3c9a0e5b2d4c1e8f6a9b0c3d2e1f4a", "ada@example.com");
    /// assert_eq!(challenge.session_id(), "7f3c9a0e5b2d4c1e8f6a9b0c3d2e1f4a");
    /// // The id stands for the emailed code: it never prints.
    /// assert!(!format!("{challenge:?}").contains("7f3c9a0e"));
    /// ```
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// The email address the code went to.
    ///
    /// ```
    /// use accountkit::stx::TwoFactorChallenge;
    ///
    /// let challenge = TwoFactorChallenge::new("7f3c9a0e5b2d4c1e8f6a9b0c3d2e1f4a", "ada@example.com");
    /// assert_eq!(challenge.email(), "ada@example.com");
    /// ```
    pub fn email(&self) -> &str {
        &self.email
    }
}

/// The answer of the two-factor mutations that send or toggle a code.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TwoFactorStatus {
    /// The server's status text.
    pub status: Option<String>,
    /// The 2FA session the code belongs to.
    pub session_id: Option<String>,
}

impl TwoFactorStatus {
    pub(crate) fn from_raw(result: raw::TwoFactorAuthResult) -> Self {
        let raw::TwoFactorAuthResult { status, session_id } = result;
        TwoFactorStatus { status, session_id }
    }
}

/// The answer of [`Session::change_password`](super::Session::change_password).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordChange {
    /// The password is changed.
    Changed,
    /// The account has 2FA on: the change waits for the emailed code, given
    /// to [`Session::confirm_change_password_2fa`](super::Session::confirm_change_password_2fa).
    ConfirmationRequired,
}

/// The answer of [`Client::forgot_password`](super::Client::forgot_password):
/// text to show the user.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ResetRequested {
    /// A heading.
    pub header: Option<String>,
    /// The text.
    pub message: Option<String>,
    /// Where the code went.
    pub email: Option<String>,
}

/// The answer of [`Client::register`](super::Client::register).
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct Registered {
    /// The server's status number.
    pub status: Option<i32>,
    /// The server's message.
    pub message: Option<String>,
    /// The email verification code; test environments only.
    pub verification_code: Option<SecretString>,
}

impl std::fmt::Debug for Registered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registered")
            .field("status", &self.status)
            .field("message", &self.message)
            .field("verification_code", &self.verification_code.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

/// The answer of [`Session::logout`](super::Session::logout).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct LoggedOut {
    /// The server's status number.
    pub status: Option<i32>,
    /// The server's message.
    pub message: Option<String>,
    /// The device logged out.
    pub device_id: Option<String>,
}

/// The logged-in user's profile, the answer of
/// [`Session::user_profile`](super::Session::user_profile). The names are
/// STX's; the tax number is a secret, and `Debug` never shows it.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct UserProfile {
    /// The user's id (a UUID), as [`LoginInfo::user_id`].
    pub id: String,
    /// As the server writes it, e.g. `1990-12-10`.
    pub date_of_birth: Option<String>,
    /// `firstName`
    pub first_name: String,
    /// `lastName`
    pub last_name: String,
    /// `middleName`
    pub middle_name: Option<String>,
    /// `preferredName`
    pub preferred_name: Option<String>,
    /// `username`
    pub username: String,
    /// `phoneNumber`
    pub phone_number: Option<String>,
    /// `countryCode`
    pub country_code: Option<String>,
    /// `businessCountryCode`
    pub business_country_code: Option<String>,
    /// `businessPhone`
    pub business_phone: Option<String>,
    /// `address1`
    pub address1: Option<String>,
    /// `address2`
    pub address2: Option<String>,
    /// `city`
    pub city: Option<String>,
    /// `state`
    pub state: Option<String>,
    /// `zipCode`
    pub zip_code: Option<String>,
    /// `country`
    pub country: Option<String>,
    /// `citizenshipCountry`
    pub citizenship_country: Option<String>,
    /// The social security or tax number.
    pub ssn: Option<SecretString>,
    /// `accountId`
    pub account_id: Option<String>,
    /// `employerName`
    pub employer_name: Option<String>,
    /// `employerAddress`
    pub employer_address: Option<String>,
    /// `jobTitle`
    pub job_title: Option<String>,
    /// `industry`
    pub industry: Option<String>,
    /// Whether logins ask for an emailed code.
    pub two_factor_auth: Option<bool>,
    /// Whether that code is asked once per device.
    pub two_factor_auth_per_device: Option<bool>,
    /// `optInMarketing`
    pub opt_in_marketing: Option<bool>,
    /// The addresses the account may log in from, as the server writes them.
    pub whitelist_ip_addresses: Option<String>,
}

impl UserProfile {
    pub(crate) fn from_raw(profile: raw::Profile) -> Self {
        let raw::Profile {
            id,
            date_of_birth,
            first_name,
            last_name,
            middle_name,
            preferred_name,
            username,
            phone_number,
            country_code,
            business_country_code,
            business_phone,
            address1,
            address2,
            city,
            state,
            zip_code,
            country,
            citizenship_country,
            ssn,
            account_id,
            employer_name,
            employer_address,
            job_title,
            industry,
            two_factor_auth,
            two_factor_auth_per_device,
            opt_in_marketing,
            whitelist_ip_addresses,
        } = profile;
        UserProfile {
            id: id.0,
            date_of_birth,
            first_name,
            last_name,
            middle_name,
            preferred_name,
            username,
            phone_number,
            country_code,
            business_country_code,
            business_phone,
            address1,
            address2,
            city,
            state,
            zip_code,
            country,
            citizenship_country,
            ssn: ssn.map(|ssn| SecretString::from(ssn.expose())),
            account_id: account_id.map(|id| id.0),
            employer_name,
            employer_address,
            job_title,
            industry,
            two_factor_auth,
            two_factor_auth_per_device,
            opt_in_marketing,
            whitelist_ip_addresses,
        }
    }
}

/// A registration. STX takes it as a JSON document encoded into one string;
/// [`Client::register`](super::Client::register) does that encoding.
///
/// The schema does not describe the document's keys. The typed fields use
/// the names of STX's `UserProfile` (`firstName`, `dateOfBirth`, ...); add
/// anything else with [`field`](Registration::field).
#[derive(Clone)]
pub struct Registration {
    email: String,
    password: SecretString,
    fields: Map<String, Value>,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("email", &self.email)
            .field("password", &"[REDACTED]")
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Registration {
    /// A registration with the two fields every account has.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// use accountkit::stx::{Client, Credentials, Host, LoginOutcome, Registration};
    ///
    /// stx.register(&Registration::new("grace@example.com", "tr0ub4dor&3")).await?;
    /// let credentials = Credentials::new("grace@example.com", "tr0ub4dor&3");
    /// assert!(matches!(stx.login(&credentials).await?, LoginOutcome::LoggedIn(_)));
    /// # Ok(()) }
    /// ```
    pub fn new(email: impl Into<String>, password: impl IntoSecret) -> Self {
        Registration { email: email.into(), password: password.into_secret(), fields: Map::new() }
    }

    /// `firstName` and `lastName`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// use accountkit::stx::{Client, Host, Registration};
    ///
    /// let registration = Registration::new("grace@example.com", "tr0ub4dor&3").name("Grace", "Hopper");
    /// stx.register(&registration).await?;
    /// # let profile = sandbox.stx().profile("grace@example.com").unwrap();
    /// # assert_eq!((&profile["firstName"], &profile["lastName"]), (&"Grace".into(), &"Hopper".into()));
    /// # Ok(()) }
    /// ```
    pub fn name(self, first: impl Into<String>, last: impl Into<String>) -> Self {
        self.field("firstName", first.into()).field("lastName", last.into())
    }

    /// `username`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// use accountkit::stx::{Client, Host, Registration};
    ///
    /// let registration = Registration::new("grace@example.com", "tr0ub4dor&3").username("amazing_grace");
    /// stx.register(&registration).await?;
    /// # assert_eq!(sandbox.stx().profile("grace@example.com").unwrap()["username"], "amazing_grace");
    /// # Ok(()) }
    /// ```
    pub fn username(self, username: impl Into<String>) -> Self {
        self.field("username", username.into())
    }

    /// `dateOfBirth`, as `YYYY-MM-DD`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// use accountkit::chrono::NaiveDate;
    /// use accountkit::stx::{Client, Host, Registration};
    ///
    /// let born = NaiveDate::from_ymd_opt(1906, 12, 9).unwrap();
    /// let registration = Registration::new("grace@example.com", "tr0ub4dor&3").date_of_birth(born);
    /// stx.register(&registration).await?;
    /// # assert_eq!(sandbox.stx().profile("grace@example.com").unwrap()["dateOfBirth"], "1906-12-09");
    /// # Ok(()) }
    /// ```
    pub fn date_of_birth(self, date: NaiveDate) -> Self {
        self.field("dateOfBirth", date.format("%Y-%m-%d").to_string())
    }

    /// `phoneNumber`, sent as given: the schema types it as any string.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// use accountkit::stx::{Client, Host, Registration};
    ///
    /// let registration = Registration::new("grace@example.com", "tr0ub4dor&3").phone_number("+1 416 555 0100");
    /// stx.register(&registration).await?;
    /// # assert_eq!(sandbox.stx().profile("grace@example.com").unwrap()["phoneNumber"], "+1 416 555 0100");
    /// # Ok(()) }
    /// ```
    pub fn phone_number(self, phone: impl Into<String>) -> Self {
        self.field("phoneNumber", phone.into())
    }

    /// Any other key of the document. `email` and `password` cannot be
    /// overridden this way.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let stx = Client::new(Host::Custom(sandbox.stx().base_url()))?;
    /// use accountkit::ErrorKind;
    /// use accountkit::stx::{Client, Host, Registration};
    ///
    /// let registration = Registration::new("grace@example.com", "tr0ub4dor&3")
    ///     .field("optInMarketing", false)
    ///     .field("referralCode", "U-123456");
    /// stx.register(&registration).await?;
    /// # assert_eq!(sandbox.stx().profile("grace@example.com").unwrap()["optInMarketing"], false);
    ///
    /// // The password goes through `new` only: nothing is sent.
    /// let sneaky = Registration::new("eve@example.com", "tr0ub4dor&3").field("password", "other");
    /// assert_eq!(stx.register(&sneaky).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    /// # Ok(()) }
    /// ```
    pub fn field(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.fields.insert(key.into(), value.into());
        self
    }

    /// The email address.
    ///
    /// ```
    /// use accountkit::stx::Registration;
    ///
    /// let registration = Registration::new("grace@example.com", "tr0ub4dor&3");
    /// assert_eq!(registration.email(), "grace@example.com");
    /// ```
    pub fn email(&self) -> &str {
        &self.email
    }

    /// The document, JSON-encoded: what travels in `input.data`.
    pub(crate) fn encode<'a>(&'a self, call: &mut Call<'a>) -> Result<SecretString> {
        validate::email(call.op(), "email", &self.email)?;
        call.secret("password", &self.password)?;
        for key in ["email", "password"] {
            if self.fields.contains_key(key) {
                return Err(call.invalid(key, "is set by Registration::new, not by field()"));
            }
        }
        let mut document = Map::new();
        document.insert("email".into(), Value::String(self.email.clone()));
        document.insert("password".into(), Value::String(self.password.expose_secret().to_string()));
        document.extend(self.fields.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(SecretString::from(Value::Object(document).to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Op;

    const OP: Op = Op { provider: "stx", name: "register" };

    #[test]
    fn registration_is_one_json_string_and_never_prints_the_password() {
        let registration = Registration::new("ada@example.com", SecretString::from("pw-Horse-1"))
            .name("Ada", "Lovelace")
            .date_of_birth(NaiveDate::from_ymd_opt(1990, 12, 10).unwrap())
            .field("optInMarketing", false);
        assert!(!format!("{registration:?}").contains("pw-Horse-1"));
        let encoded = registration.encode(&mut Call::new(OP)).unwrap();
        let document: Value = serde_json::from_str(encoded.expose_secret()).unwrap();
        assert_eq!(
            document,
            serde_json::json!({"email": "ada@example.com", "password": "pw-Horse-1", "firstName": "Ada",
                               "lastName": "Lovelace", "dateOfBirth": "1990-12-10", "optInMarketing": false})
        );
        let err = Registration::new("ada@example.com", SecretString::from("pw"))
            .field("password", "other")
            .encode(&mut Call::new(OP))
            .unwrap_err();
        assert!(err.message().starts_with("`password`"), "{err}");
        // `phoneNumber: String` in the schema: any form goes.
        for phone in ["12345", "(416) 555-0100", "+1 416 555 0100", "416.555.0100 ext 2"] {
            let encoded = Registration::new("ada@example.com", SecretString::from("pw"))
                .phone_number(phone)
                .encode(&mut Call::new(OP))
                .unwrap();
            let document: Value = serde_json::from_str(encoded.expose_secret()).unwrap();
            assert_eq!(document["phoneNumber"], phone);
        }
    }

    #[test]
    fn timestamps_with_and_without_offset() {
        assert_eq!(timestamp("2024-05-01T10:00:00Z").unwrap().to_rfc3339(), "2024-05-01T10:00:00+00:00");
        assert_eq!(timestamp("2024-05-01T10:00:00.123456").unwrap().timestamp(), 1714557600);
        assert_eq!(timestamp("yesterday"), None);
    }
}
