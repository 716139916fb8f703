//! Cycle's inputs and outputs.

use crate::IntoSecret;
use accountkit_cycle_raw::types as raw;
use chrono::{DateTime, Datelike, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use crate::error::Result;
use crate::provider::{Call, Op};
use crate::validate;

crate::open_enum! {
    /// Where an account stands.
    pub enum AccountState {
        /// `new`
        New = "new",
        /// `live`
        Live = "live",
        /// `suspending`
        Suspending = "suspending",
        /// `purging`
        Purging = "purging",
        /// `deleting`
        Deleting = "deleting",
        /// `deleted`
        Deleted = "deleted",
    }
}

crate::open_enum! {
    /// Some of Cycle's error codes ([`Error::code`](crate::Error::code)); the
    /// vendor adds more often. Read one with `ErrorCode::from(code)`.
    pub enum ErrorCode {
        /// `400.invalid-syntax`
        InvalidSyntax = "400.invalid-syntax",
        /// `401.auth-invalid`
        AuthInvalid = "401.auth-invalid",
        /// `401.auth-expired`
        AuthExpired = "401.auth-expired",
        /// `401.no-cookie`
        NoCookie = "401.no-cookie",
        /// `403.permissions`
        Permissions = "403.permissions",
        /// `403.2fa-required`
        TwoFactorRequired = "403.2fa-required",
        /// `403.2fa-failed`
        TwoFactorFailed = "403.2fa-failed",
        /// `404.account`
        AccountNotFound = "404.account",
        /// `409.duplicate-found`
        DuplicateFound = "409.duplicate-found",
        /// `415.invalid-content-type`
        InvalidContentType = "415.invalid-content-type",
        /// `422.missing-argument`
        MissingArgument = "422.missing-argument",
        /// `422.invalid-argument`
        InvalidArgument = "422.invalid-argument",
        /// `422.invalid-input`
        InvalidInput = "422.invalid-input",
        /// `422.already-exists`
        AlreadyExists = "422.already-exists",
        /// `429.rate-limiting`
        RateLimiting = "429.rate-limiting",
        /// `500.unknown`
        Unknown = "500.unknown",
        /// `503.not-ready`
        NotReady = "503.not-ready",
        /// `504.not-available`
        NotAvailable = "504.not-available",
    }
}

crate::open_enum! {
    /// Some of the capabilities a 403 names as missing (see
    /// [`missing_capability`](super::missing_capability)); the set grows
    /// with the platform.
    pub enum Capability {
        /// `api-keys-manage`
        ApiKeysManage = "api-keys-manage",
        /// `hubs-delete`
        HubsDelete = "hubs-delete",
        /// `hubs-update`
        HubsUpdate = "hubs-update",
        /// `hubs-members-view`
        HubsMembersView = "hubs-members-view",
        /// `hubs-members-manage`
        HubsMembersManage = "hubs-members-manage",
        /// `hubs-invites-send`
        HubsInvitesSend = "hubs-invites-send",
        /// `containers-view`
        ContainersView = "containers-view",
        /// `containers-manage`
        ContainersManage = "containers-manage",
        /// `billing-services-view`
        BillingServicesView = "billing-services-view",
    }
}

/// A date-time as Cycle sends it: RFC 3339, with the zero time (year 1)
/// or anything unparsable read as unset.
pub(super) fn time(value: Option<&str>) -> Option<DateTime<Utc>> {
    let parsed = accountkit_runtime::timestamp::parse_rfc3339(value?.trim()).ok()?;
    (parsed.year() > 1).then_some(parsed)
}

/// A Cycle account.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Account {
    /// 24 hex digits.
    pub id: String,
    /// First and last name.
    pub name: Name,
    /// Login email.
    pub email: Email,
    /// Whether two-factor auth is on.
    pub two_factor: TwoFactorStatus,
    /// Whether Cycle employees may log in as this account.
    pub allow_support_login: bool,
    /// Where the account stands.
    pub state: AccountState,
    /// When the state last changed.
    pub state_changed: Option<DateTime<Utc>>,
    /// The error that put the account in its state, if any.
    pub state_error: Option<String>,
    /// When things happened to the account.
    pub events: AccountEvents,
}

/// A person's name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Name {
    /// First name.
    pub first: String,
    /// Last name.
    pub last: String,
}

/// The account's email address.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Email {
    /// The address.
    pub address: String,
    /// Whether it was verified.
    pub verified: bool,
    /// When it was added.
    pub added: Option<DateTime<Utc>>,
}

/// Where two-factor auth stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwoFactorStatus {
    /// Never set up.
    Off,
    /// Set up but not confirmed with a code.
    Unverified,
    /// On: logins need a TOTP code.
    On,
}

/// When things happened to an account; `None` when unset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountEvents {
    /// Created.
    pub created: Option<DateTime<Utc>>,
    /// Last changed.
    pub updated: Option<DateTime<Utc>>,
    /// Deleted.
    pub deleted: Option<DateTime<Utc>>,
    /// Last logged in.
    pub last_login: Option<DateTime<Utc>>,
}

impl Account {
    /// Reads the generated `Account`.
    pub(crate) fn from_raw(account: raw::Account) -> Self {
        let raw::Account { allow_support_login, email, events, id, name, state, two_factor_auth } = account;
        let raw::AccountName { first, last } = name;
        let raw::AccountEmail { added, address, verified } = email;
        let raw::AccountState { changed, current, error } = state;
        let raw::AccountEvents { created, deleted, last_login, updated } = events;
        Account {
            id,
            name: Name { first, last },
            email: Email { address, verified: verified.unwrap_or(false), added: time(added.as_deref()) },
            two_factor: match two_factor_auth {
                None => TwoFactorStatus::Off,
                Some(raw::TwoFactorAuthState { verified: true }) => TwoFactorStatus::On,
                Some(raw::TwoFactorAuthState { verified: false }) => TwoFactorStatus::Unverified,
            },
            allow_support_login: allow_support_login.unwrap_or(false),
            state: AccountState::from(current),
            state_changed: time(changed.as_deref()),
            state_error: error.and_then(|raw::StateError { message, time: _ }| message), // `state_changed` dates it
            events: AccountEvents {
                created: time(created.as_deref()),
                updated: time(updated.as_deref()),
                deleted: time(deleted.as_deref()),
                last_login: time(last_login.as_deref()),
            },
        }
    }
}

/// Changes for [`Client::update_account`](super::Client::update_account);
/// only what is set is sent.
///
/// ```
/// use accountkit::cycle::AccountUpdate;
/// let update = AccountUpdate::new().name("Ada", "King").allow_support_login(false);
/// let rename = AccountUpdate::new().last_name("Lovelace");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct AccountUpdate {
    first: Option<String>,
    last: Option<String>,
    allow_support_login: Option<bool>,
}

impl AccountUpdate {
    /// No changes yet.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// use accountkit::ErrorKind;
    /// use accountkit::cycle::AccountUpdate;
    ///
    /// // Nothing set is nothing to send: refused before any request.
    /// let err = client.update_account(&AccountUpdate::new()).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    ///
    /// let account = client.update_account(&AccountUpdate::new().first_name("Amazing Grace")).await?;
    /// assert_eq!(account.name.first, "Amazing Grace");
    /// # Ok(()) }
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// A new first and last name.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// use accountkit::cycle::AccountUpdate;
    ///
    /// let account = client.update_account(&AccountUpdate::new().name("Ada", "King")).await?;
    /// assert_eq!((account.name.first.as_str(), account.name.last.as_str()), ("Ada", "King"));
    /// # Ok(()) }
    /// ```
    pub fn name(self, first: impl Into<String>, last: impl Into<String>) -> Self {
        self.first_name(first).last_name(last)
    }

    /// A new first name; the last name stays (`name.last` is not sent).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// use accountkit::cycle::AccountUpdate;
    ///
    /// let account = client.update_account(&AccountUpdate::new().first_name("Amazing Grace")).await?;
    /// assert_eq!((account.name.first.as_str(), account.name.last.as_str()), ("Amazing Grace", "Hopper"));
    /// # Ok(()) }
    /// ```
    pub fn first_name(mut self, first: impl Into<String>) -> Self {
        self.first = Some(first.into());
        self
    }

    /// A new last name; the first name stays.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// use accountkit::cycle::AccountUpdate;
    ///
    /// let account = client.update_account(&AccountUpdate::new().last_name("Brewster Hopper")).await?;
    /// assert_eq!((account.name.first.as_str(), account.name.last.as_str()), ("Grace", "Brewster Hopper"));
    /// # Ok(()) }
    /// ```
    pub fn last_name(mut self, last: impl Into<String>) -> Self {
        self.last = Some(last.into());
        self
    }

    /// Whether Cycle employees may log in as this account.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// use accountkit::cycle::AccountUpdate;
    ///
    /// let account = client.update_account(&AccountUpdate::new().allow_support_login(true)).await?;
    /// assert!(account.allow_support_login);
    /// # assert!(sandbox.cycle().employee_sign_in("grace@example.com"));
    /// # Ok(()) }
    /// ```
    pub fn allow_support_login(mut self, allow: bool) -> Self {
        self.allow_support_login = Some(allow);
        self
    }

    pub(super) fn to_raw(&self, op: Op) -> Result<raw::AccountUpdate> {
        if self.first.is_none() && self.last.is_none() && self.allow_support_login.is_none() {
            return Err(op.invalid("update", "changes nothing"));
        }
        if let Some(first) = &self.first {
            validate::text(op, "name.first", first)?;
        }
        if let Some(last) = &self.last {
            validate::text(op, "name.last", last)?;
        }
        let name = (self.first.is_some() || self.last.is_some())
            .then(|| raw::AccountNameUpdate { first: self.first.clone(), last: self.last.clone() });
        Ok(raw::AccountUpdate { name, allow_support_login: self.allow_support_login })
    }
}

/// One login to the account.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Login {
    /// The account's owner, with a password.
    Password(LoginRecord),
    /// A Cycle employee, with the account's support-login permission.
    Employee {
        /// The login.
        record: LoginRecord,
        /// The employee, when the server names them.
        employee: Option<LoginOrigin>,
    },
    /// A kind of login this version of accountkit does not know.
    Other {
        /// The wire name of the kind.
        kind: String,
        /// The login.
        record: LoginRecord,
    },
}

impl Login {
    /// What every kind of login has.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # sandbox.cycle().sign_in("grace@example.com", "correct horse", None).unwrap();
    /// # sandbox.cycle().employee_sign_in("grace@example.com");
    /// use accountkit::cycle::ListQuery;
    ///
    /// for login in client.all_logins(&ListQuery::new()).await? {
    ///     let record = login.record();
    ///     let from = record.account.as_ref().and_then(|origin| origin.ip.as_deref());
    ///     println!("{} login at {:?} from {from:?}: {}", login.kind(), record.time, record.success);
    ///     assert!(record.time.is_some());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn record(&self) -> &LoginRecord {
        match self {
            Login::Password(record) | Login::Employee { record, .. } | Login::Other { record, .. } => record,
        }
    }

    /// The wire name of the kind: `password`, `employee`, ...
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # sandbox.cycle().sign_in("grace@example.com", "correct horse", None).unwrap();
    /// # sandbox.cycle().employee_sign_in("grace@example.com");
    /// use accountkit::cycle::ListQuery;
    ///
    /// let logins = client.all_logins(&ListQuery::new()).await?;
    /// let kinds: Vec<&str> = logins.iter().map(|login| login.kind()).collect();
    /// assert_eq!(kinds, ["employee", "password"]); // newest first
    /// # Ok(()) }
    /// ```
    pub fn kind(&self) -> &str {
        match self {
            Login::Password(_) => "password",
            Login::Employee { .. } => "employee",
            Login::Other { kind, .. } => kind,
        }
    }
}

/// What every login has.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoginRecord {
    /// The login's id.
    pub id: String,
    /// The account and the address it logged in from.
    pub account: Option<LoginOrigin>,
    /// When.
    pub time: Option<DateTime<Utc>>,
    /// Whether the login succeeded.
    pub success: bool,
}

/// Who logged in, from where.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoginOrigin {
    /// Account or employee id.
    pub id: String,
    /// IP address, as the server reports it.
    pub ip: Option<String>,
}

fn origin(info: raw::AccountLoginInfo) -> LoginOrigin {
    let raw::AccountLoginInfo { id, ip } = info;
    LoginOrigin { id, ip }
}

impl Login {
    /// Reads the generated `AccountLogin`.
    pub(crate) fn from_raw(login: raw::AccountLogin) -> Self {
        let raw::AccountLogin { account, employee, id, success, time: at, type_ } = login;
        let record = LoginRecord {
            id,
            account: account.map(origin),
            time: time(at.as_deref()),
            success: success.unwrap_or(false),
        };
        match type_.as_str() {
            "password" => Login::Password(record),
            "employee" => Login::Employee { record, employee: employee.map(origin) },
            _ => Login::Other { kind: type_, record },
        }
    }
}

/// Which page of a list to fetch, sorted and filtered how: for logins,
/// invitations and memberships.
///
/// ```
/// use accountkit::cycle::ListQuery;
/// let query = ListQuery::new().sort_descending("time").filter("success", "true").page_size(50);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct ListQuery {
    pub(super) sort: Vec<String>,
    pub(super) filter: Vec<(String, String)>,
    pub(super) page: u64,
    pub(super) size: u64,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery { sort: Vec::new(), filter: Vec::new(), page: 1, size: ListQuery::DEFAULT_PAGE_SIZE }
    }
}

impl ListQuery {
    /// Items per page unless set.
    pub const DEFAULT_PAGE_SIZE: u64 = 20;

    /// The first page of 20, unsorted and unfiltered.
    ///
    /// ```
    /// use accountkit::cycle::ListQuery;
    ///
    /// let query = ListQuery::new();
    /// assert_eq!(query, ListQuery::new().page(1).page_size(ListQuery::DEFAULT_PAGE_SIZE));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sorts by a field, ascending; later calls break ties.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # sandbox.cycle().sign_in("grace@example.com", "a wrong guess", None).unwrap_err();
    /// # sandbox.cycle().sign_in("grace@example.com", "correct horse", None).unwrap();
    /// use accountkit::cycle::ListQuery;
    ///
    /// let oldest_first = client.all_logins(&ListQuery::new().sort_ascending("time")).await?;
    /// assert!(!oldest_first[0].record().success); // the first try was a wrong password
    /// # Ok(()) }
    /// ```
    pub fn sort_ascending(mut self, field: impl Into<String>) -> Self {
        self.sort.push(field.into());
        self
    }

    /// Sorts by a field, descending (`-field` on the wire).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # sandbox.cycle().sign_in("grace@example.com", "a wrong guess", None).unwrap_err();
    /// # sandbox.cycle().sign_in("grace@example.com", "correct horse", None).unwrap();
    /// use accountkit::cycle::ListQuery;
    ///
    /// let newest = client.logins_page(&ListQuery::new().sort_descending("time").page_size(1)).await?;
    /// assert!(newest[0].record().success);
    /// # Ok(()) }
    /// ```
    pub fn sort_descending(mut self, field: impl Into<String>) -> Self {
        self.sort.push(format!("-{}", field.into()));
        self
    }

    /// Adds a filter, sent as `filter[key]=value`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # sandbox.cycle().sign_in("grace@example.com", "a wrong guess", None).unwrap_err();
    /// # sandbox.cycle().sign_in("grace@example.com", "correct horse", None).unwrap();
    /// # sandbox.cycle().employee_sign_in("grace@example.com");
    /// use accountkit::cycle::ListQuery;
    ///
    /// let failed = client.all_logins(&ListQuery::new().filter("success", "false")).await?;
    /// assert_eq!(failed.len(), 2);
    /// let by_owner = ListQuery::new().filter("type", "password").filter("success", "true");
    /// assert_eq!(client.all_logins(&by_owner).await?.len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn filter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.filter.push((key.into(), value.into()));
        self
    }

    /// The page to return, from 1.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # for _ in 0..3 {
    /// #     sandbox.cycle().sign_in("grace@example.com", "correct horse", None).unwrap();
    /// # }
    /// use accountkit::ErrorKind;
    /// use accountkit::cycle::ListQuery;
    ///
    /// let third = client.logins_page(&ListQuery::new().page_size(1).page(3)).await?;
    /// assert_eq!(third.len(), 1);
    /// assert!(client.logins_page(&ListQuery::new().page_size(1).page(4)).await?.is_empty());
    ///
    /// let err = client.logins_page(&ListQuery::new().page(0)).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// # Ok(()) }
    /// ```
    pub fn page(mut self, number: u64) -> Self {
        self.page = number;
        self
    }

    /// Items per page, at least 1. Cycle documents no maximum; a server
    /// that caps it answers shorter pages, which end a walk early.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # for _ in 0..3 {
    /// #     sandbox.cycle().sign_in("grace@example.com", "correct horse", None).unwrap();
    /// # }
    /// use accountkit::cycle::ListQuery;
    ///
    /// assert_eq!(client.logins_page(&ListQuery::new().page_size(2)).await?.len(), 2);
    /// // A stream or `all_*` asks for pages of this size until one comes back short.
    /// assert_eq!(client.all_logins(&ListQuery::new().page_size(2)).await?.len(), 3);
    /// # Ok(()) }
    /// ```
    pub fn page_size(mut self, size: u64) -> Self {
        self.size = size;
        self
    }

    /// The filters under their wire names, `filter[key]`.
    pub(super) fn filter_map(&self) -> std::collections::BTreeMap<String, String> {
        self.filter.iter().map(|(key, value)| (format!("filter[{key}]"), value.clone())).collect()
    }

    pub(super) fn check(&self, op: Op) -> Result<()> {
        if self.page == 0 {
            return Err(op.invalid("page", "counts from 1"));
        }
        if self.size == 0 {
            return Err(op.invalid("page_size", "must be at least 1"));
        }
        for field in &self.sort {
            let name = field.strip_prefix('-').unwrap_or(field);
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)) {
                return Err(op.invalid("sort", "must name fields with letters, digits, `_`, `.` or `-`"));
            }
        }
        for (key, value) in &self.filter {
            if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)) {
                return Err(op.invalid("filter", "keys must be letters, digits, `_`, `.` or `-`"));
            }
            validate::query_value(op, "filter", key)?;
            validate::query_value(op, "filter", value)?;
        }
        let sort = self.sort.join(",");
        validate::query_value(op, "sort", &sort)
    }
}

crate::open_enum! {
    /// Where a hub membership stands.
    pub enum MembershipState {
        /// `pending`: an invitation not answered yet.
        Pending = "pending",
        /// `accepted`
        Accepted = "accepted",
        /// `declined`
        Declined = "declined",
        /// `revoked`
        Revoked = "revoked",
        /// `deleted`
        Deleted = "deleted",
    }
}

/// A membership of one hub; an invitation while it is pending.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Membership {
    /// The membership's id, also the invitation's.
    pub id: String,
    /// The hub.
    pub hub_id: String,
    /// The member's account, once known.
    pub account_id: Option<String>,
    /// The member's role.
    pub role_id: Option<String>,
    /// Where it stands.
    pub state: MembershipState,
    /// When the invitation was accepted.
    pub joined: Option<DateTime<Utc>>,
    /// Who invited whom, for memberships that began as an invitation.
    pub invitation: Option<Invitation>,
    /// Access to every environment of the hub.
    pub all_environments: bool,
    /// Environments the member may see, with whether they may manage each.
    pub environments: Vec<(String, bool)>,
    /// Set when the member is a Cycle employee.
    pub employee_id: Option<String>,
}

/// An invitation to a hub.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Invitation {
    /// The id of whoever sent it.
    pub sender_id: Option<String>,
    /// The invited email address.
    pub recipient: Option<String>,
    /// When it was sent.
    pub created: Option<DateTime<Utc>>,
}

impl Membership {
    /// Reads the generated `HubMembership`.
    pub(crate) fn from_raw(m: raw::HubMembership) -> Self {
        let raw::HubMembership {
            account_id,
            cycle,
            events,
            hub_id,
            id,
            invitation,
            permissions,
            role_id,
            state,
        } = m;
        let raw::MembershipPermissions { all_environments, environments } = permissions.unwrap_or_default();
        let raw::MembershipState {
            changed: _, // not exposed: `joined` and the invitation's `created` date what a caller acts on
            current,
        } = state;
        let joined = events.and_then(
            |raw::MembershipEvents {
                 created: _, // the record's own bookkeeping, like `updated` and `deleted`
                 deleted: _, // bookkeeping too
                 joined,
                 updated: _, // bookkeeping too
             }| joined,
        );
        Membership {
            id,
            hub_id,
            account_id,
            role_id,
            state: MembershipState::from(current),
            joined: time(joined.as_deref()),
            invitation: invitation.map(Invitation::from_raw),
            all_environments: all_environments.unwrap_or(false),
            environments: environments
                .into_iter()
                .map(|raw::EnvironmentPermission { id, manage }| (id, manage.unwrap_or(false)))
                .collect(),
            employee_id: cycle.and_then(|raw::MembershipEmployee { employee_id }| employee_id),
        }
    }
}

impl Invitation {
    fn from_raw(invitation: raw::Invitation) -> Self {
        let raw::Invitation { events, recipient, sender } = invitation;
        let created = events.and_then(
            |raw::InvitationEvents {
                 accepted: _, // an answered invitation shows in the membership's `state`
                 created,
                 declined: _, // as `accepted`
                 revoked: _,  // as `accepted`
             }| created,
        );
        Invitation {
            sender_id: sender.map(|raw::InvitationSender { id, type_: _ }| id), // the sender's kind; the id is what names them
            recipient,
            created: time(created.as_deref()),
        }
    }
}

/// The job a deletion started.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobDescriptor {
    /// What the job does, e.g. `delete`.
    pub action: String,
    /// The job, when the server queued one.
    pub job: Option<Job>,
}

/// A queued job; follow it with [`Client::track_job`](super::Client::track_job).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Job {
    /// The job's id.
    pub id: String,
    /// Whether the platform accepted it.
    pub accepted: bool,
    /// The queue it runs on.
    pub queue: Option<String>,
    /// When it is scheduled to run.
    pub schedule: Option<DateTime<Utc>>,
    /// How its tasks run.
    pub parallel: Option<Parallelism>,
    /// Its tasks, as queued.
    pub tasks: Vec<QueuedTask>,
}

/// How a job's tasks run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Parallelism {
    /// The sub-queue it runs on, if any.
    pub sub_queue: Option<String>,
    /// Whether its tasks run in parallel.
    pub tasks: bool,
}

/// A task of a queued job.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueuedTask {
    /// A short description.
    pub caption: String,
    /// The API function it calls.
    pub header: String,
    /// Its steps, once known.
    pub steps: Vec<TaskStep>,
    /// What it was given.
    pub input: Map<String, Value>,
}

/// One step of a task.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskStep {
    /// A short description.
    pub caption: String,
    /// What it does.
    pub description: String,
    /// When it started; `None` until then.
    pub started: Option<DateTime<Utc>>,
    /// When it completed; `None` until then.
    pub completed: Option<DateTime<Utc>>,
}

impl TaskStep {
    /// Reads the generated `TaskStep`.
    pub(crate) fn from_raw(step: raw::TaskStep) -> Self {
        let raw::TaskStep { caption, completed, description, started } = step;
        TaskStep {
            caption: caption.unwrap_or_default(),
            description: description.unwrap_or_default(),
            started: time(started.as_deref()),
            completed: time(completed.as_deref()),
        }
    }
}

fn steps(steps: Option<Vec<raw::TaskStep>>) -> Vec<TaskStep> {
    steps.unwrap_or_default().into_iter().map(TaskStep::from_raw).collect()
}

impl JobDescriptor {
    /// Reads the generated `JobDescriptor`.
    pub(crate) fn from_raw(descriptor: raw::JobDescriptor) -> Self {
        let raw::JobDescriptor { action, job } = descriptor;
        JobDescriptor { action, job: job.map(Job::from_raw) }
    }
}

impl Job {
    fn from_raw(job: raw::Job) -> Self {
        let raw::Job { accepted, id, parallel, queue, schedule, tasks } = job;
        Job {
            id,
            accepted: accepted.unwrap_or(false),
            queue,
            schedule: time(schedule.as_deref()),
            parallel: parallel.map(|raw::JobParallel { sub_queue, tasks }| Parallelism {
                sub_queue,
                tasks: tasks.unwrap_or(false),
            }),
            tasks: tasks
                .unwrap_or_default()
                .into_iter()
                .map(|raw::NewTask { caption, header, input, steps: task_steps }| QueuedTask {
                    caption: caption.unwrap_or_default(),
                    header: header.unwrap_or_default(),
                    steps: steps(task_steps),
                    input,
                })
                .collect(),
        }
    }
}

crate::open_enum! {
    /// Where a job stands.
    pub enum JobState {
        /// `new`
        New = "new",
        /// `queued`
        Queued = "queued",
        /// `scheduled`
        Scheduled = "scheduled",
        /// `running`
        Running = "running",
        /// `completed`: done, successfully.
        Completed = "completed",
        /// `error`: done, failed.
        Error = "error",
        /// `expired`: done, never ran.
        Expired = "expired",
    }
}

crate::open_enum! {
    /// Where a job's task stands.
    pub enum TaskState {
        /// `pending`: not started.
        Pending = "pending",
        /// `running`
        Running = "running",
        /// `completed`
        Completed = "completed",
        /// `error`
        Error = "error",
    }
}

/// A job as the Jobs API shows it, from
/// [`Client::get_job`](super::Client::get_job).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobStatus {
    /// The job's id.
    pub id: String,
    /// A short description.
    pub caption: Option<String>,
    /// The queue it runs on.
    pub queue: Option<String>,
    /// Where it stands.
    pub state: JobState,
    /// Why it failed, for [`JobState::Error`].
    pub error: Option<String>,
    /// When it was queued.
    pub queued: Option<DateTime<Utc>>,
    /// When it started.
    pub started: Option<DateTime<Utc>>,
    /// When it completed.
    pub completed: Option<DateTime<Utc>>,
    /// When it expires unless run.
    pub expires: Option<DateTime<Utc>>,
    /// Its tasks.
    pub tasks: Vec<JobTask>,
}

/// A task of a [`JobStatus`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobTask {
    /// The task's id.
    pub id: Option<String>,
    /// A short description.
    pub caption: Option<String>,
    /// The API function it calls.
    pub header: Option<String>,
    /// Where it stands.
    pub state: Option<TaskState>,
    /// Its steps.
    pub steps: Vec<TaskStep>,
    /// What it was given.
    pub input: Map<String, Value>,
    /// What it produced.
    pub output: Map<String, Value>,
    /// Why it failed.
    pub error: Option<String>,
}

/// How far a job got, counted in steps as Cycle's TypeScript client does
/// (a task without steps counts as one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobProgress {
    /// Steps in all.
    pub total: usize,
    /// Steps completed.
    pub completed: usize,
    /// Steps of finished tasks that never completed.
    pub failed: usize,
}

impl JobStatus {
    /// Whether the job is over: completed, failed or expired.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// let job_id = client.delete_account().await?.job.expect("the deletion queues a job").id;
    /// let mut job = client.get_job(&job_id).await?;
    /// while !job.is_done() {
    ///     // Or let `track_job` poll.
    ///     tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    ///     job = client.get_job(&job_id).await?;
    /// }
    /// assert_eq!(job.state, accountkit::cycle::JobState::Completed);
    /// # Ok(()) }
    /// ```
    pub fn is_done(&self) -> bool {
        matches!(self.state, JobState::Completed | JobState::Error | JobState::Expired)
    }

    /// How many of its steps are done.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// let job_id = client.delete_account().await?.job.expect("the deletion queues a job").id;
    /// let running = client.get_job(&job_id).await?.progress();
    /// assert_eq!((running.completed, running.total), (0, 1));
    ///
    /// let done = client.get_job(&job_id).await?.progress();
    /// assert_eq!((done.completed, done.failed, done.total), (1, 0, 1));
    /// # Ok(()) }
    /// ```
    pub fn progress(&self) -> JobProgress {
        let mut progress = JobProgress { total: 0, completed: 0, failed: 0 };
        for task in &self.tasks {
            progress.total += task.steps.len().max(1);
            let finished = matches!(task.state, Some(TaskState::Completed | TaskState::Error));
            if task.steps.is_empty() {
                match task.state {
                    Some(TaskState::Completed) => progress.completed += 1,
                    Some(TaskState::Error) => progress.failed += 1,
                    _ => {}
                }
                continue;
            }
            for step in &task.steps {
                if step.completed.is_some() {
                    progress.completed += 1;
                } else if finished && step.started.is_some() {
                    progress.failed += 1;
                }
            }
        }
        progress
    }
}

impl JobStatus {
    /// Reads the generated `JobResource`.
    pub(crate) fn from_raw(job: raw::JobResource) -> Self {
        let raw::JobResource {
            caption,
            creator: _, // free-form JSON on who queued it; no operation takes it
            events,
            expires,
            hash: _,   // the scheduler's de-duplication key
            hub_id: _, // the hub the caller's `x-hub-id` named, if any
            id,
            limit_duplicates: _, // the scheduler's de-duplication setting
            queue,
            schedule: _, // the job's descriptor already says when it was due
            state,
            tasks,
        } = job;
        let raw::JobResourceState {
            changed: _, // `queued`, `started` and `completed` date the states
            current,
            error,
        } = state;
        let raw::JobEvents { completed, queued, started } = events.unwrap_or_default();
        JobStatus {
            id,
            caption,
            queue,
            state: JobState::from(current),
            error: error.and_then(|raw::JobError { message }| message),
            queued: time(queued.as_deref()),
            started: time(started.as_deref()),
            completed: time(completed.as_deref()),
            expires: time(expires.as_deref()),
            tasks: tasks.unwrap_or_default().into_iter().map(JobTask::from_raw).collect(),
        }
    }
}

impl JobTask {
    fn from_raw(task: raw::JobTask) -> Self {
        let raw::JobTask {
            caption,
            error,
            events: _, // per-task times; the job's events and each step's date the work
            header,
            id,
            input,
            output,
            state,
            steps: task_steps,
        } = task;
        JobTask {
            id,
            caption,
            header,
            state: state
                .and_then(|raw::JobTaskState { changed: _, current }| current) // dated by the steps
                .map(TaskState::from),
            steps: steps(task_steps),
            input: input.unwrap_or_default(),
            output: output.unwrap_or_default(),
            error: error.and_then(|raw::JobError { message }| message),
        }
    }
}

/// How [`Client::track_job`](super::Client::track_job) waits for a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobTracking {
    pub(super) deadline: std::time::Duration,
    pub(super) interval: std::time::Duration,
}

impl Default for JobTracking {
    /// Up to 2 minutes, polling every 2 s (the interval of Cycle's
    /// TypeScript client, which has no deadline).
    fn default() -> Self {
        JobTracking {
            deadline: std::time::Duration::from_secs(120),
            interval: std::time::Duration::from_secs(2),
        }
    }
}

impl JobTracking {
    /// Waits until `deadline` has passed, polling every 2 s.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use accountkit::cycle::JobTracking;
    ///
    /// // Up to 10 minutes, polling every 2 s.
    /// let patient = JobTracking::new(Duration::from_secs(600));
    /// assert_ne!(patient, JobTracking::default());
    /// assert_eq!(JobTracking::new(Duration::from_secs(120)), JobTracking::default());
    /// ```
    pub fn new(deadline: std::time::Duration) -> Self {
        JobTracking { deadline, ..JobTracking::default() }
    }

    /// The time between polls; under 1 ms counts as 1 ms, so tracking
    /// never spins.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use accountkit::cycle::JobTracking;
    ///
    /// let brisk = JobTracking::new(Duration::from_secs(30)).interval(Duration::from_millis(500));
    /// assert_ne!(brisk, JobTracking::new(Duration::from_secs(30)));
    /// // Never a busy loop:
    /// let zero = JobTracking::new(Duration::from_secs(30)).interval(Duration::ZERO);
    /// assert_eq!(zero, JobTracking::new(Duration::from_secs(30)).interval(Duration::from_millis(1)));
    /// ```
    pub fn interval(mut self, interval: std::time::Duration) -> Self {
        self.interval = interval.max(std::time::Duration::from_millis(1));
        self
    }
}

/// A TOTP secret to add to an authenticator app, from
/// [`Client::two_factor_setup`](super::Client::two_factor_setup).
#[derive(Clone)]
#[non_exhaustive]
pub struct TwoFactorSetup {
    /// A QR code of the secret, as an image data URL.
    pub qr: String,
    /// The base32 secret.
    pub secret: SecretString,
}

impl std::fmt::Debug for TwoFactorSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoFactorSetup")
            .field("qr", &format_args!("[{} chars]", self.qr.len()))
            .field("secret", &"[REDACTED]")
            .finish()
    }
}

impl TwoFactorSetup {
    /// The code an authenticator app shows for this secret now.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// use accountkit::cycle::TwoFactorStatus;
    ///
    /// let setup = client.two_factor_setup().await?;
    /// let code = setup.current_code()?;
    /// client.enable_two_factor(code).await?;
    /// assert_eq!(client.get_account().await?.two_factor, TwoFactorStatus::On);
    /// # Ok(()) }
    /// ```
    pub fn current_code(&self) -> Result<SecretString> {
        totp_code(&self.secret)
    }
}

impl TwoFactorSetup {
    /// Reads the generated `TwoFactorAuthSetup`.
    pub(crate) fn from_raw(setup: raw::TwoFactorAuthSetup) -> Self {
        let raw::TwoFactorAuthSetup { qr, secret } = setup;
        TwoFactorSetup { qr, secret: secret.into_secret() }
    }
}

/// The code an authenticator app shows now for a base32 TOTP secret
/// (SHA-1, 6 digits, 30 s, as authenticator apps and Cycle use).
///
/// ```
/// # fn main() -> accountkit::Result<()> {
/// use accountkit::ErrorKind;
/// use accountkit::ExposeSecret;
/// use accountkit::cycle::totp_code;
///
/// let code = totp_code("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")?;
/// assert_eq!(code.expose_secret().len(), 6);
/// assert!(code.expose_secret().bytes().all(|b| b.is_ascii_digit()));
///
/// let err = totp_code("not base32!").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::InvalidInput);
/// # Ok(()) }
/// ```
pub fn totp_code(secret: impl IntoSecret) -> Result<SecretString> {
    let secret: &SecretString = &secret.into_secret();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    totp_code_at(secret, now)
}

fn totp_code_at(secret: &SecretString, unix_time: u64) -> Result<SecretString> {
    let op = super::op("totp_code");
    let cleaned: String = secret
        .expose_secret()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .collect::<String>()
        .to_uppercase();
    let bytes = totp_rs::Secret::try_from_base32(&cleaned)
        .map_err(|_| op.invalid("secret", "is not a base32 TOTP secret"))?;
    let totp = totp_rs::Builder::new()
        .with_secret(bytes)
        .build()
        .map_err(|_| op.invalid("secret", "is too short for a TOTP secret (at least 128 bits)"))?;
    Ok(SecretString::from(totp.generate(unix_time).to_string()))
}

/// Recovery codes, shown once when two-factor auth is turned on.
#[derive(Clone)]
#[non_exhaustive]
pub struct RecoveryCodes {
    /// Each works once, with the password, in
    /// [`Client::recover_two_factor`](super::Client::recover_two_factor).
    pub codes: Vec<SecretString>,
    /// The vendor's TOTP passcode, when sent.
    pub totp_passcode: Option<SecretString>,
}

impl std::fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecoveryCodes")
            .field("codes", &format_args!("[{} redacted]", self.codes.len()))
            .field("totp_passcode", &self.totp_passcode.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

impl RecoveryCodes {
    /// Reads the generated `TwoFactorAuthRecovery`.
    pub(crate) fn from_raw(recovery: raw::TwoFactorAuthRecovery) -> Self {
        let raw::TwoFactorAuthRecovery { recovery_codes, totp_passcode } = recovery;
        RecoveryCodes {
            codes: recovery_codes.into_iter().map(|c| c.into_secret()).collect(),
            totp_passcode: totp_passcode.map(|p| p.into_secret()),
        }
    }
}

/// What a lost authenticator is recovered with, for
/// [`Client::recover_two_factor`](super::Client::recover_two_factor).
#[derive(Clone)]
pub struct TwoFactorRecovery {
    pub(super) email: String,
    pub(super) password: SecretString,
    pub(super) codes: Vec<SecretString>,
    pub(super) token: Option<SecretString>,
}

impl std::fmt::Debug for TwoFactorRecovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoFactorRecovery")
            .field("email", &self.email)
            .field("password", &"[REDACTED]")
            .field("codes", &format_args!("[{} redacted]", self.codes.len()))
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

impl TwoFactorRecovery {
    /// The account's email and password and one or more recovery codes.
    ///
    /// ```
    /// use accountkit::cycle::TwoFactorRecovery;
    ///
    /// let lost = TwoFactorRecovery::new("grace@example.com", "correct horse", ["3f2a-91bc", "77d0-e5a4"]);
    /// // Secrets never show in its debug output.
    /// let shown = format!("{lost:?}");
    /// assert!(shown.contains("grace@example.com") && !shown.contains("correct horse") && !shown.contains("3f2a"));
    /// ```
    ///
    /// Sent with [`Client::recover_two_factor`](super::Client::recover_two_factor),
    /// where the whole recovery is worked through.
    pub fn new(
        email: impl Into<String>,
        password: impl IntoSecret,
        codes: impl IntoIterator<Item = impl IntoSecret>,
    ) -> Self {
        TwoFactorRecovery {
            email: email.into(),
            password: password.into_secret(),
            codes: codes.into_iter().map(IntoSecret::into_secret).collect(),
            token: None,
        }
    }

    /// A TOTP code too, when one is at hand.
    ///
    /// ```
    /// use accountkit::cycle::TwoFactorRecovery;
    ///
    /// let lost = TwoFactorRecovery::new("grace@example.com", "correct horse", ["3f2a-91bc"]).token("287082");
    /// assert!(format!("{lost:?}").contains(r#"token: Some("[REDACTED]")"#));
    /// ```
    #[must_use]
    pub fn token(mut self, token: impl IntoSecret) -> Self {
        self.token = Some(token.into_secret());
        self
    }

    pub(super) fn to_raw<'a>(&'a self, call: &mut Call<'a>) -> Result<raw::TwoFactorAuthRecover> {
        validate::email(call.op(), "email", &self.email)?;
        call.secret("password", &self.password)?;
        if self.codes.is_empty() {
            return Err(call.invalid("recovery_codes", "is empty"));
        }
        for code in &self.codes {
            call.secret("recovery_codes", code)?;
        }
        if let Some(token) = &self.token {
            call.pin("token", token)?;
        }
        Ok(raw::TwoFactorAuthRecover {
            email: self.email.clone(),
            password: (&self.password).into(),
            recovery_codes: self.codes.iter().map(Into::into).collect(),
            token: self.token.as_ref().map(Into::into),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_the_zero_time_and_garbage_as_unset() {
        assert_eq!(time(Some("2021-01-30T08:30:00Z")).unwrap().timestamp(), 1_611_995_400);
        assert_eq!(time(Some("0001-01-01T00:00:00Z")), None);
        assert_eq!(time(Some("")), None);
        assert_eq!(time(Some("yesterday")), None);
        assert_eq!(time(None), None);
    }

    #[test]
    fn totp_codes_match_rfc_6238() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890", last 6 digits.
        let secret = SecretString::from("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let code = |t| totp_code_at(&secret, t).unwrap().expose_secret().to_string();
        assert_eq!(code(59), "287082");
        assert_eq!(code(1_111_111_109), "081804");
        assert_eq!(code(2_000_000_000), "279037");
        let spaced = SecretString::from("gezd gnbv gy3t qojq gezd gnbv gy3t qojq");
        assert_eq!(totp_code_at(&spaced, 59).unwrap().expose_secret(), "287082");
        assert_eq!(totp_code(&secret).unwrap().expose_secret().len(), 6);
        let err = totp_code("not base32!").unwrap_err();
        assert_eq!(err.message(), "`secret` is not a base32 TOTP secret");
        let err = totp_code("GEZDGNBV").unwrap_err();
        assert!(err.message().starts_with("`secret` is too short"), "{err}");
    }
}
