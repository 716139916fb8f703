//! TagoIO's inputs and outputs.

use crate::IntoSecret;
use accountkit_runtime::Sensitive;
use accountkit_tagoio_raw::types as raw;
use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::error::Result;
use crate::provider::{Call, Op};
use crate::validate;

crate::open_enum! {
    /// A subscription plan.
    pub enum Plan {
        /// `free`
        Free = "free",
        /// `starter`
        Starter = "starter",
        /// `scale`
        Scale = "scale",
    }
}

crate::open_enum! {
    /// The kind of account.
    pub enum AccountType {
        /// `user`
        User = "user",
    }
}

crate::open_enum! {
    /// The account's interface language.
    pub enum Language {
        /// `en`
        En = "en",
        /// `en-us`
        EnUs = "en-us",
        /// `pt-br`
        PtBr = "pt-br",
    }
}

crate::open_enum! {
    /// What a profile token may do.
    pub enum Permission {
        /// `full`
        Full = "full",
        /// `write`
        Write = "write",
        /// `read`
        Read = "read",
        /// `deny`
        Deny = "deny",
    }
}

/// A second factor. The API knows exactly these three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OtpType {
    /// An authenticator app (TOTP).
    Authenticator,
    /// A PIN by text message.
    Sms,
    /// A PIN by email.
    Email,
}

impl OtpType {
    /// The wire name.
    ///
    /// ```
    /// use accountkit::tagoio::OtpType;
    ///
    /// assert_eq!(OtpType::Authenticator.as_str(), "authenticator");
    /// assert_eq!(OtpType::Sms.to_string(), "sms");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            OtpType::Authenticator => "authenticator",
            OtpType::Sms => "sms",
            OtpType::Email => "email",
        }
    }

    /// Reads the hint of a second-factor error
    /// ([`Error::second_factor_hint`](crate::Error::second_factor_hint)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// # accountkit::tagoio::Client::new(region.clone(), token.clone())?
    /// #     .enable_otp_with(
    /// #         accountkit::tagoio::OtpType::Email,
    /// #         &accountkit::tagoio::Credentials::new("ada@example.com", "correct horse"),
    /// #         async |_| inbox.latest_pin("ada@example.com").map(accountkit::SecretString::from),
    /// #     )
    /// #     .await?;
    /// use accountkit::ErrorKind;
    /// use accountkit::tagoio::{Client, Credentials, OtpType, Region};
    ///
    /// let client = Client::anonymous(region)?;
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// let err = client.login(&credentials).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::SecondFactorRequired);
    ///
    /// let otp = err.second_factor_hint().and_then(OtpType::from_hint);
    /// assert_eq!(otp, Some(OtpType::Email));
    /// assert_eq!(OtpType::from_hint("carrier pigeon"), None);
    /// # Ok(()) }
    /// ```
    pub fn from_hint(hint: &str) -> Option<OtpType> {
        match hint {
            "authenticator" => Some(OtpType::Authenticator),
            "sms" => Some(OtpType::Sms),
            "email" => Some(OtpType::Email),
            _ => None,
        }
    }
}

impl std::fmt::Display for OtpType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl OtpType {
    pub(super) fn to_raw(self) -> raw::OtpType {
        match self {
            OtpType::Authenticator => raw::OtpType::Authenticator,
            OtpType::Sms => raw::OtpType::Sms,
            OtpType::Email => raw::OtpType::Email,
        }
    }
}

/// A TagoIO account.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Account {
    /// 24 hex digits.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Login email.
    pub email: String,
    /// IANA time zone, e.g. `America/Sao_Paulo`.
    pub timezone: Option<String>,
    /// Company name.
    pub company: Option<String>,
    /// Phone number, `+<country><number>`.
    pub phone: Option<String>,
    /// Interface language.
    pub language: Option<Language>,
    /// Subscription plan.
    pub plan: Option<Plan>,
    /// Kind of account.
    pub account_type: Option<AccountType>,
    /// Whether the account is confirmed and usable.
    pub active: bool,
    /// Whether the account is blocked.
    pub blocked: bool,
    /// Subscribed to the newsletter.
    pub newsletter: Option<bool>,
    /// Marked as a developer account.
    pub developer: Option<bool>,
    /// Invoices are emailed.
    pub send_invoice: Option<bool>,
    /// Country, when the server reports it.
    pub country: Option<String>,
    /// When the account was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When the account last changed.
    pub updated_at: Option<DateTime<Utc>>,
    /// When the account last logged in.
    pub last_login: Option<DateTime<Utc>>,
    /// Display preferences.
    pub options: AccountOptions,
    /// Which second factors are on.
    pub otp: OtpStatus,
}

/// Display preferences of an account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountOptions {
    /// Whether the welcome screen was seen.
    pub user_view_welcome: Option<bool>,
    /// Decimal separator, e.g. `.`.
    pub decimal_separator: Option<String>,
    /// Thousands separator, e.g. `,`.
    pub thousand_separator: Option<String>,
    /// Last "what's new" seen.
    pub last_whats_new: Option<DateTime<Utc>>,
    /// Date format, e.g. `YYYY-MM-DD`.
    pub date_format: Option<String>,
    /// `12` or `24`.
    pub time_format: Option<String>,
    /// `footer` or `menu`.
    pub show_last_updated_at: Option<String>,
}

/// Which second factors are on. A missing key is off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OtpStatus {
    /// Authenticator app.
    pub authenticator: bool,
    /// Text message.
    pub sms: bool,
    /// Email.
    pub email: bool,
}

impl OtpStatus {
    /// Whether any second factor is on.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{Client, Region};
    ///
    /// let client = Client::new(region, token)?;
    /// let otp = client.info().await?.otp;
    /// assert!(!otp.any(), "a new account has no second factor");
    /// # Ok(()) }
    /// ```
    pub fn any(&self) -> bool {
        self.authenticator || self.sms || self.email
    }
}

impl Account {
    pub(super) fn from_raw(info: raw::AccountInfo) -> Self {
        let raw::AccountInfo {
            active,
            blocked,
            company,
            country,
            created_at,
            developer,
            email,
            id,
            language,
            last_login,
            name,
            newsletter,
            options,
            otp,
            phone,
            plan,
            send_invoice,
            stripe_id: _, // the billing provider's customer id; no operation takes it
            timezone,
            type_,
            updated_at,
        } = info;
        let raw::AccountOptions {
            date_format,
            decimal_separator,
            last_whats_new,
            show_last_updated_at,
            thousand_separator,
            time_format,
            user_view_welcome,
        } = options.unwrap_or_default();
        let raw::OtpStatus { authenticator, email: otp_email, sms } = otp.unwrap_or_default();
        Account {
            id,
            name,
            email,
            timezone,
            company,
            phone,
            language: language.map(Language::from),
            plan: plan.map(Plan::from),
            account_type: type_.map(AccountType::from),
            active: active.unwrap_or(false),
            blocked: blocked.unwrap_or(false),
            newsletter,
            developer,
            send_invoice,
            country,
            created_at,
            updated_at,
            last_login,
            options: AccountOptions {
                user_view_welcome,
                decimal_separator,
                thousand_separator,
                last_whats_new,
                date_format,
                time_format,
                show_last_updated_at,
            },
            otp: OtpStatus {
                authenticator: authenticator.unwrap_or(false),
                sms: sms.unwrap_or(false),
                email: otp_email.unwrap_or(false),
            },
        }
    }
}

/// How dates are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFormat {
    /// `YYYY-MM-DD`
    YearMonthDay,
    /// `DD-MM-YYYY`
    DayMonthYear,
    /// `MM-DD-YYYY`
    MonthDayYear,
}

/// How times are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFormat {
    /// 12-hour clock.
    H12,
    /// 24-hour clock.
    H24,
}

/// Where "last updated" is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LastUpdatedPlacement {
    /// In the footer.
    Footer,
    /// In the menu.
    Menu,
}

/// Changes for [`Client::edit`](super::Client::edit); only what is set is
/// sent.
///
/// ```
/// use accountkit::tagoio::{AccountChanges, TimeFormat};
/// let changes = AccountChanges::new().name("Ada").time_format(TimeFormat::H24);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct AccountChanges {
    name: Option<String>,
    company: Option<String>,
    language: Option<Language>,
    phone: Option<String>,
    timezone: Option<String>,
    date_format: Option<DateFormat>,
    time_format: Option<TimeFormat>,
    decimal_separator: Option<String>,
    thousand_separator: Option<String>,
    show_last_updated_at: Option<LastUpdatedPlacement>,
}

impl AccountChanges {
    /// No changes yet.
    ///
    /// ```
    /// use accountkit::tagoio::AccountChanges;
    ///
    /// let changes = AccountChanges::new();
    /// assert_eq!(changes, AccountChanges::default());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// A new display name.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{AccountChanges, Client, Region};
    ///
    /// let client = Client::new(region, token)?;
    /// client.edit(&AccountChanges::new().name("Ada King")).await?;
    /// assert_eq!(client.info().await?.name, "Ada King");
    /// # Ok(()) }
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// A new company name.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{AccountChanges, Client, Region};
    ///
    /// let client = Client::new(region, token)?;
    /// client.edit(&AccountChanges::new().company("Analytical Engines")).await?;
    /// assert_eq!(client.info().await?.company.as_deref(), Some("Analytical Engines"));
    /// # Ok(()) }
    /// ```
    pub fn company(mut self, company: impl Into<String>) -> Self {
        self.company = Some(company.into());
        self
    }
    /// A new interface language.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{AccountChanges, Client, Language, Region};
    ///
    /// let client = Client::new(region, token)?;
    /// client.edit(&AccountChanges::new().language(Language::PtBr)).await?;
    /// assert_eq!(client.info().await?.language, Some(Language::PtBr));
    /// # Ok(()) }
    /// ```
    pub fn language(mut self, language: Language) -> Self {
        self.language = Some(language);
        self
    }
    /// A new phone number, `+<country><number>`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::ErrorKind;
    /// use accountkit::tagoio::{AccountChanges, Client, Region};
    ///
    /// let client = Client::new(region, token)?;
    /// client.edit(&AccountChanges::new().phone("+442079460000")).await?;
    /// assert_eq!(client.info().await?.phone.as_deref(), Some("+442079460000"));
    ///
    /// // Without the country code it is refused before anything is sent.
    /// let err = client.edit(&AccountChanges::new().phone("020 7946 0000")).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// # Ok(()) }
    /// ```
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }
    /// A new IANA time zone.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{AccountChanges, Client, Region};
    ///
    /// let client = Client::new(region, token)?;
    /// client.edit(&AccountChanges::new().timezone("Europe/London")).await?;
    /// assert_eq!(client.info().await?.timezone.as_deref(), Some("Europe/London"));
    /// # Ok(()) }
    /// ```
    pub fn timezone(mut self, timezone: impl Into<String>) -> Self {
        self.timezone = Some(timezone.into());
        self
    }
    /// How dates are shown.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{AccountChanges, Client, DateFormat, Region};
    ///
    /// let client = Client::new(region, token)?;
    /// client.edit(&AccountChanges::new().date_format(DateFormat::DayMonthYear)).await?;
    /// let options = client.info().await?.options;
    /// assert_eq!(options.date_format.as_deref(), Some("DD-MM-YYYY"));
    /// # Ok(()) }
    /// ```
    pub fn date_format(mut self, format: DateFormat) -> Self {
        self.date_format = Some(format);
        self
    }
    /// How times are shown.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{AccountChanges, Client, Region, TimeFormat};
    ///
    /// let client = Client::new(region, token)?;
    /// client.edit(&AccountChanges::new().time_format(TimeFormat::H12)).await?;
    /// let options = client.info().await?.options;
    /// assert_eq!(options.time_format.as_deref(), Some("12"));
    /// # Ok(()) }
    /// ```
    pub fn time_format(mut self, format: TimeFormat) -> Self {
        self.time_format = Some(format);
        self
    }
    /// Decimal and thousands separators; they must differ.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::ErrorKind;
    /// use accountkit::tagoio::{AccountChanges, Client, Region};
    ///
    /// let client = Client::new(region, token)?;
    /// client.edit(&AccountChanges::new().separators(",", ".")).await?;
    /// let options = client.info().await?.options;
    /// assert_eq!(options.decimal_separator.as_deref(), Some(","));
    /// assert_eq!(options.thousand_separator.as_deref(), Some("."));
    ///
    /// let err = client.edit(&AccountChanges::new().separators(".", ".")).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// # Ok(()) }
    /// ```
    pub fn separators(mut self, decimal: impl Into<String>, thousands: impl Into<String>) -> Self {
        self.decimal_separator = Some(decimal.into());
        self.thousand_separator = Some(thousands.into());
        self
    }
    /// Where "last updated" is shown.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{AccountChanges, Client, LastUpdatedPlacement, Region};
    ///
    /// let client = Client::new(region, token)?;
    /// client.edit(&AccountChanges::new().show_last_updated_at(LastUpdatedPlacement::Menu)).await?;
    /// let options = client.info().await?.options;
    /// assert_eq!(options.show_last_updated_at.as_deref(), Some("menu"));
    /// # Ok(()) }
    /// ```
    pub fn show_last_updated_at(mut self, placement: LastUpdatedPlacement) -> Self {
        self.show_last_updated_at = Some(placement);
        self
    }

    pub(super) fn to_raw(&self, op: Op) -> Result<raw::AccountEdit> {
        if let Some(name) = &self.name {
            validate::text(op, "name", name)?;
        }
        if let Some(phone) = &self.phone {
            validate::phone(op, "phone", phone)?;
        }
        if let Some(timezone) = &self.timezone {
            validate::text(op, "timezone", timezone)?;
        }
        if self.decimal_separator.is_some() && self.decimal_separator == self.thousand_separator {
            return Err(op.invalid("thousand_separator", "must differ from the decimal separator"));
        }
        let options = raw::AccountEditOptions {
            date_format: self.date_format.map(|f| match f {
                DateFormat::YearMonthDay => raw::AccountEditOptionsDateFormat::YyyyMmDd,
                DateFormat::DayMonthYear => raw::AccountEditOptionsDateFormat::DdMmYyyy,
                DateFormat::MonthDayYear => raw::AccountEditOptionsDateFormat::MmDdYyyy,
            }),
            time_format: self.time_format.map(|f| match f {
                TimeFormat::H12 => raw::AccountEditOptionsTimeFormat::X12,
                TimeFormat::H24 => raw::AccountEditOptionsTimeFormat::X24,
            }),
            decimal_separator: self.decimal_separator.clone(),
            thousand_separator: self.thousand_separator.clone(),
            show_last_updated_at: self.show_last_updated_at.map(|p| match p {
                LastUpdatedPlacement::Footer => raw::AccountEditOptionsShowLastUpdatedAt::Footer,
                LastUpdatedPlacement::Menu => raw::AccountEditOptionsShowLastUpdatedAt::Menu,
            }),
        };
        let raw::AccountEditOptions {
            date_format,
            decimal_separator,
            show_last_updated_at,
            thousand_separator,
            time_format,
        } = &options;
        let has_options = date_format.is_some()
            || time_format.is_some()
            || decimal_separator.is_some()
            || thousand_separator.is_some()
            || show_last_updated_at.is_some();
        Ok(raw::AccountEdit {
            name: self.name.clone(),
            company: self.company.clone(),
            language: self.language.as_ref().map(|l| l.as_str().to_string()),
            phone: self.phone.clone(),
            timezone: self.timezone.clone(),
            options: has_options.then_some(options),
        })
    }
}

/// An email and password.
#[derive(Clone)]
pub struct Credentials {
    email: String,
    password: SecretString,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("email", &self.email).field("password", &"[REDACTED]").finish()
    }
}

impl Credentials {
    /// The account's email and password.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{Client, Credentials, Region};
    ///
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// let login = Client::anonymous(region)?.login(&credentials).await?;
    /// assert_eq!(login.email, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub fn new(email: impl Into<String>, password: impl IntoSecret) -> Self {
        Credentials { email: email.into(), password: password.into_secret() }
    }

    /// The email.
    ///
    /// ```
    /// use accountkit::tagoio::Credentials;
    ///
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// assert_eq!(credentials.email(), "ada@example.com");
    /// // The password never prints.
    /// assert!(!format!("{credentials:?}").contains("correct horse"));
    /// ```
    pub fn email(&self) -> &str {
        &self.email
    }

    pub(super) fn to_raw<'a>(&'a self, call: &mut Call<'a>) -> Result<raw::Credentials> {
        validate::email(call.op(), "email", &self.email)?;
        call.secret("password", &self.password)?;
        Ok(raw::Credentials { email: self.email.clone(), password: Sensitive::from(&self.password) })
    }
}

/// A new account for [`Client::create`](super::Client::create).
#[derive(Clone)]
pub struct NewAccount {
    name: String,
    email: String,
    pub(super) password: SecretString,
    timezone: String,
    country: Option<String>,
    company: Option<String>,
    newsletter: Option<bool>,
    developer: Option<bool>,
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("name", &self.name)
            .field("email", &self.email)
            .field("password", &"[REDACTED]")
            .field("timezone", &self.timezone)
            .finish_non_exhaustive()
    }
}

impl NewAccount {
    /// The required fields; the password is sent twice, as the API wants.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{Client, NewAccount, Region};
    ///
    /// let account = NewAccount::new("Grace Hopper", "grace@example.com", "cobol 1959", "America/New_York");
    /// Client::anonymous(region)?.create(&account).await?;
    /// assert!(inbox.confirmation_token("grace@example.com").is_some());
    /// # Ok(()) }
    /// ```
    pub fn new(
        name: impl Into<String>,
        email: impl Into<String>,
        password: impl IntoSecret,
        timezone: impl Into<String>,
    ) -> Self {
        NewAccount {
            name: name.into(),
            email: email.into(),
            password: password.into_secret(),
            timezone: timezone.into(),
            country: None,
            company: None,
            newsletter: None,
            developer: None,
        }
    }
    /// Country.
    #[must_use]
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{Client, NewAccount, Region};
    ///
    /// let account = NewAccount::new("Grace Hopper", "grace@example.com", "cobol 1959", "America/New_York")
    ///     .country("United States");
    /// Client::anonymous(region)?.create(&account).await?;
    /// assert!(inbox.account_exists("grace@example.com"));
    /// # Ok(()) }
    /// ```
    pub fn country(mut self, country: impl Into<String>) -> Self {
        self.country = Some(country.into());
        self
    }
    /// Company name.
    #[must_use]
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{Client, Credentials, NewAccount, Region};
    ///
    /// let client = Client::anonymous(region)?;
    /// let account = NewAccount::new("Grace Hopper", "grace@example.com", "cobol 1959", "America/New_York")
    ///     .company("Eckert-Mauchly");
    /// client.create(&account).await?;
    /// # client.confirm_account(inbox.confirmation_token("grace@example.com").ok_or("no email")?).await?;
    ///
    /// // Once confirmed:
    /// let login = client.login(&Credentials::new("grace@example.com", "cobol 1959")).await?;
    /// assert_eq!(login.company.as_deref(), Some("Eckert-Mauchly"));
    /// # Ok(()) }
    /// ```
    pub fn company(mut self, company: impl Into<String>) -> Self {
        self.company = Some(company.into());
        self
    }
    /// Subscribe to the newsletter.
    #[must_use]
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{Client, NewAccount, Region};
    ///
    /// let client = Client::anonymous(region)?;
    /// let account = NewAccount::new("Grace Hopper", "grace@example.com", "cobol 1959", "America/New_York")
    ///     .newsletter(true);
    /// client.create(&account).await?;
    /// # client.confirm_account(inbox.confirmation_token("grace@example.com").ok_or("no email")?).await?;
    /// # let grace = accountkit::tagoio::Credentials::new("grace@example.com", "cobol 1959");
    /// # let profile = client.login(&grace).await?.profiles[0].id.clone();
    /// # let request = accountkit::tagoio::TokenRequest::new(profile, grace, "docs");
    /// # let grace_token = client.token_create(&request).await?.token;
    ///
    /// // Once confirmed, with a token for the new account:
    /// let client = client.with_token(grace_token)?;
    /// assert_eq!(client.info().await?.newsletter, Some(true));
    /// # Ok(()) }
    /// ```
    pub fn newsletter(mut self, on: bool) -> Self {
        self.newsletter = Some(on);
        self
    }
    /// Mark as a developer account.
    #[must_use]
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{Client, NewAccount, Region};
    ///
    /// let client = Client::anonymous(region)?;
    /// let account = NewAccount::new("Grace Hopper", "grace@example.com", "cobol 1959", "America/New_York")
    ///     .developer(true);
    /// client.create(&account).await?;
    /// # client.confirm_account(inbox.confirmation_token("grace@example.com").ok_or("no email")?).await?;
    /// # let grace = accountkit::tagoio::Credentials::new("grace@example.com", "cobol 1959");
    /// # let profile = client.login(&grace).await?.profiles[0].id.clone();
    /// # let request = accountkit::tagoio::TokenRequest::new(profile, grace, "docs");
    /// # let grace_token = client.token_create(&request).await?.token;
    ///
    /// // Once confirmed, with a token for the new account:
    /// let client = client.with_token(grace_token)?;
    /// assert_eq!(client.info().await?.developer, Some(true));
    /// # Ok(()) }
    /// ```
    pub fn developer(mut self, on: bool) -> Self {
        self.developer = Some(on);
        self
    }

    pub(super) fn to_raw<'a>(&'a self, call: &mut Call<'a>) -> Result<raw::AccountCreate> {
        let op = call.op();
        validate::text(op, "name", &self.name)?;
        validate::email(op, "email", &self.email)?;
        call.secret("password", &self.password)?;
        validate::text(op, "timezone", &self.timezone)?;
        Ok(raw::AccountCreate {
            name: self.name.clone(),
            email: self.email.clone(),
            password: Sensitive::from(&self.password),
            cpassword: Sensitive::from(&self.password),
            timezone: self.timezone.clone(),
            country: self.country.clone(),
            company: self.company.clone(),
            newsletter: self.newsletter,
            developer: self.developer,
        })
    }
}

/// A request for a profile token, for
/// [`Client::token_create`](super::Client::token_create).
#[derive(Clone)]
pub struct TokenRequest {
    profile_id: String,
    credentials: Credentials,
    name: String,
    expire_time: Option<String>,
    permission: Option<Permission>,
    second_factor: Option<(OtpType, SecretString)>,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequest")
            .field("profile_id", &self.profile_id)
            .field("credentials", &self.credentials)
            .field("name", &self.name)
            .field("expire_time", &self.expire_time)
            .field("permission", &self.permission)
            .field("second_factor", &self.second_factor.as_ref().map(|(otp, _)| otp))
            .finish()
    }
}

impl TokenRequest {
    /// A token named `name` for the profile `profile_id`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{Client, Credentials, Region, TokenRequest};
    ///
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// let request = TokenRequest::new(&ada.profile_id, credentials, "my app");
    /// let token = Client::anonymous(region)?.token_create(&request).await?;
    /// assert_eq!(token.name.as_deref(), Some("my app"));
    /// assert_eq!(token.profile, Some(ada.profile_id));
    /// # Ok(()) }
    /// ```
    pub fn new(profile_id: impl Into<String>, credentials: Credentials, name: impl Into<String>) -> Self {
        TokenRequest {
            profile_id: profile_id.into(),
            credentials,
            name: name.into(),
            expire_time: None,
            permission: None,
            second_factor: None,
        }
    }
    /// How long the token lives, in the API's words (`"3 month"`, `"1 year"`).
    #[must_use]
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::chrono::{TimeDelta, Utc};
    /// use accountkit::tagoio::{Client, Credentials, Region, TokenRequest};
    ///
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// let request = TokenRequest::new(&ada.profile_id, credentials, "my app").expire_time("3 month");
    /// let token = Client::anonymous(region)?.token_create(&request).await?;
    ///
    /// let expires = token.expire_date.and_then(|e| e.at()).ok_or("no expiry")?;
    /// assert!(expires > Utc::now() + TimeDelta::days(85));
    /// # Ok(()) }
    /// ```
    pub fn expire_time(mut self, expire_time: impl Into<String>) -> Self {
        self.expire_time = Some(expire_time.into());
        self
    }
    /// The token stops working at `at`.
    #[must_use]
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::chrono::{DateTime, Utc};
    /// use accountkit::tagoio::{Client, Credentials, Expiry, Region, TokenRequest};
    ///
    /// let at: DateTime<Utc> = "2030-01-01T00:00:00Z".parse()?;
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// let request = TokenRequest::new(&ada.profile_id, credentials, "my app").expires_at(at);
    /// let token = Client::anonymous(region)?.token_create(&request).await?;
    /// assert_eq!(token.expire_date, Some(Expiry::At(at)));
    /// # Ok(()) }
    /// ```
    pub fn expires_at(self, at: DateTime<Utc>) -> Self {
        self.expire_time(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    }
    /// The token never expires.
    #[must_use]
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{Client, Credentials, Expiry, Region, TokenRequest};
    ///
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// let request = TokenRequest::new(&ada.profile_id, credentials, "my app").never_expires();
    /// let token = Client::anonymous(region)?.token_create(&request).await?;
    /// assert_eq!(token.expire_date, Some(Expiry::Never));
    /// # Ok(()) }
    /// ```
    pub fn never_expires(self) -> Self {
        self.expire_time("never")
    }
    /// What the token may do; the server's default is full access.
    #[must_use]
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// use accountkit::tagoio::{Client, Credentials, Permission, Region, TokenRequest};
    ///
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// let request = TokenRequest::new(&ada.profile_id, credentials, "my app").permission(Permission::Read);
    /// let token = Client::anonymous(region)?.token_create(&request).await?;
    /// assert_eq!(token.permission, Some(Permission::Read));
    /// # Ok(()) }
    /// ```
    pub fn permission(mut self, permission: Permission) -> Self {
        self.permission = Some(permission);
        self
    }
    /// The PIN of a second factor, when one is on.
    #[must_use]
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let inbox = sandbox.tagoio();
    /// # let ada = inbox.add_account("ada@example.com", "correct horse");
    /// # let (region, token) = (accountkit::tagoio::Region::Custom(inbox.base_url()), ada.token);
    /// # accountkit::tagoio::Client::new(region.clone(), token.clone())?
    /// #     .enable_otp_with(
    /// #         accountkit::tagoio::OtpType::Email,
    /// #         &accountkit::tagoio::Credentials::new("ada@example.com", "correct horse"),
    /// #         async |_| inbox.latest_pin("ada@example.com").map(accountkit::SecretString::from),
    /// #     )
    /// #     .await?;
    /// use accountkit::ErrorKind;
    /// use accountkit::tagoio::{Client, Credentials, OtpType, Region, TokenRequest};
    ///
    /// let client = Client::anonymous(region)?;
    /// let credentials = Credentials::new("ada@example.com", "correct horse");
    /// client.request_login_pin_code(&credentials, OtpType::Email).await?;
    /// let pin = inbox.latest_pin("ada@example.com").ok_or("no PIN")?;
    ///
    /// let request = TokenRequest::new(&ada.profile_id, credentials, "my app").second_factor(OtpType::Email, pin);
    /// let token = client.token_create(&request).await?;
    /// assert!(client.with_token(token.token)?.info().await?.otp.email);
    ///
    /// // A PIN works once: another token takes a new PIN.
    /// let err = client.token_create(&request).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Unauthorized);
    /// # Ok(()) }
    /// ```
    pub fn second_factor(mut self, otp: OtpType, pin: impl IntoSecret) -> Self {
        self.second_factor = Some((otp, pin.into_secret()));
        self
    }

    pub(super) fn to_raw<'a>(&'a self, call: &mut Call<'a>) -> Result<raw::TokenCreate> {
        validate::text(call.op(), "profile_id", &self.profile_id)?;
        validate::text(call.op(), "name", &self.name)?;
        if let Some((_, pin)) = &self.second_factor {
            call.pin("pin", pin)?;
        }
        let raw::Credentials { email, password } = self.credentials.to_raw(call)?;
        Ok(raw::TokenCreate {
            profile_id: self.profile_id.clone(),
            email,
            password,
            name: self.name.clone(),
            expire_time: self.expire_time.clone(),
            permission: self.permission.as_ref().map(|p| p.as_str().to_string()),
            otp_type: self.second_factor.as_ref().map(|(otp, _)| otp.to_raw()),
            pin_code: self.second_factor.as_ref().map(|(_, pin)| Sensitive::from(pin)),
        })
    }
}

/// A new profile token.
#[derive(Clone)]
#[non_exhaustive]
pub struct ProfileToken {
    /// The token; send it with [`Client::new`](super::Client::new).
    pub token: SecretString,
    /// Its label.
    pub name: Option<String>,
    /// What it may do.
    pub permission: Option<Permission>,
    /// The profile it belongs to.
    pub profile: Option<String>,
    /// The account that made it.
    pub created_by: Option<String>,
    /// When it stops working; `None` when the server does not say.
    pub expire_date: Option<Expiry>,
}

/// When a token stops working: never, or at a moment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Expiry {
    /// The token never expires (`"never"` on the wire).
    Never,
    /// The token expires at this moment.
    At(DateTime<Utc>),
    /// A value this version of accountkit does not read, as sent.
    Other(String),
}

impl Expiry {
    /// The moment it expires, if it does and the moment is known.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use accountkit::chrono::{DateTime, Utc};
    /// use accountkit::tagoio::Expiry;
    ///
    /// let at: DateTime<Utc> = "2030-01-01T00:00:00Z".parse()?;
    /// assert_eq!(Expiry::At(at).at(), Some(at));
    /// assert_eq!(Expiry::Never.at(), None);
    /// assert_eq!(Expiry::from("never".to_string()), Expiry::Never);
    /// # Ok(()) }
    /// ```
    pub fn at(&self) -> Option<DateTime<Utc>> {
        match self {
            Expiry::At(at) => Some(*at),
            _ => None,
        }
    }
}

impl std::fmt::Display for Expiry {
    /// `never`, the moment in RFC 3339, or the value as sent.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expiry::Never => f.write_str("never"),
            Expiry::At(at) => f.write_str(&at.to_rfc3339()),
            Expiry::Other(other) => f.write_str(other),
        }
    }
}

impl From<String> for Expiry {
    // An unreadable date must not fail the call: the token exists by then.
    fn from(value: String) -> Self {
        if value.eq_ignore_ascii_case("never") {
            return Expiry::Never;
        }
        match accountkit_runtime::timestamp::parse_rfc3339(&value) {
            Ok(at) => Expiry::At(at),
            Err(_) => Expiry::Other(value),
        }
    }
}

impl std::fmt::Debug for ProfileToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileToken")
            .field("token", &"[REDACTED]")
            .field("name", &self.name)
            .field("permission", &self.permission)
            .field("profile", &self.profile)
            .field("created_by", &self.created_by)
            .field("expire_date", &self.expire_date)
            .finish()
    }
}

impl ProfileToken {
    pub(super) fn from_raw(created: raw::TokenCreated) -> Self {
        let raw::TokenCreated { created_by, expire_date, name, permission, profile, token } = created;
        ProfileToken {
            token: token.into_secret(),
            name,
            permission: permission.map(Permission::from),
            profile,
            created_by,
            expire_date: expire_date.map(Expiry::from),
        }
    }
}

/// What a login returns: the account and the profiles it can use.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Login {
    /// Account id.
    pub id: String,
    /// Login email.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// Company name.
    pub company: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Kind of account.
    pub account_type: Option<AccountType>,
    /// Profiles the account can use; pass one's id to a [`TokenRequest`].
    pub profiles: Vec<Profile>,
}

/// A profile an account can use.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Profile {
    /// Profile id.
    pub id: String,
    /// Profile name.
    pub name: Option<String>,
    /// Owning account id.
    pub account: Option<String>,
    /// Logo URL.
    pub logo_url: Option<String>,
    /// Shared with this account by another one.
    pub from_share: bool,
}

impl Login {
    pub(super) fn from_raw(result: raw::LoginResult) -> Self {
        let raw::LoginResult { company, email, id, name, phone, profiles, type_ } = result;
        Login {
            id,
            email,
            name,
            company,
            phone,
            account_type: type_.map(AccountType::from),
            profiles: profiles.into_iter().map(Profile::from_raw).collect(),
        }
    }
}

impl Profile {
    fn from_raw(profile: raw::LoginProfile) -> Self {
        let raw::LoginProfile { account, from_share, id, logo_url, name } = profile;
        Profile { id, name, account, logo_url, from_share: from_share.unwrap_or(false) }
    }
}
