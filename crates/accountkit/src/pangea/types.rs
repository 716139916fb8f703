//! Pangea AuthN's inputs and outputs.

use std::collections::BTreeMap;
use std::fmt;

use accountkit_pangea_raw::types as raw;
use chrono::{DateTime, SecondsFormat, Utc};
use secrecy::SecretString;
use serde_json::{Map, Value};

use crate::error::{FieldError, Result};
use crate::provider::Op;
use crate::validate;

crate::open_enum! {
    /// The `status` of a Pangea envelope: `Success`, or what went wrong.
    /// [`Error::code`](crate::Error::code) holds it for failed calls.
    pub enum Status {
        /// `Success`
        Success = "Success",
        /// `Accepted`: still in progress; polled by the client.
        Accepted = "Accepted",
        /// `ValidationError`: see [`field_errors`](super::field_errors).
        ValidationError = "ValidationError",
        /// `Unauthorized`
        Unauthorized = "Unauthorized",
        /// `TooManyRequests`
        TooManyRequests = "TooManyRequests",
        /// `NoCredit`
        NoCredit = "NoCredit",
        /// `ServiceNotEnabled`
        ServiceNotEnabled = "ServiceNotEnabled",
        /// `ServiceNotAvailable`
        ServiceNotAvailable = "ServiceNotAvailable",
        /// `ProviderError`
        ProviderError = "ProviderError",
        /// `MissingConfigID`
        MissingConfigId = "MissingConfigID",
        /// `MissingConfigIDScope`
        MissingConfigIdScope = "MissingConfigIDScope",
        /// `NotFound`
        NotFound = "NotFound",
        /// `InternalError`
        InternalError = "InternalError",
        /// `Failed`
        Failed = "Failed",
        /// `InvalidPayloadReceived`
        InvalidPayloadReceived = "InvalidPayloadReceived",
    }
}

crate::open_enum! {
    /// The kind of an [`Authenticator`].
    pub enum AuthenticatorType {
        /// `email_otp`
        EmailOtp = "email_otp",
        /// `magiclink`
        Magiclink = "magiclink",
        /// `password`
        Password = "password",
        /// `passkey`
        Passkey = "passkey",
        /// `sms_otp`
        SmsOtp = "sms_otp",
        /// `social`
        Social = "social",
        /// `saml`
        Saml = "saml",
        /// `totp`
        Totp = "totp",
    }
}

crate::open_enum! {
    /// The kind of a token.
    pub enum TokenType {
        /// `client`
        Client = "client",
        /// `service`
        Service = "service",
        /// `service_account`
        ServiceAccount = "service_account",
        /// `session`
        Session = "session",
        /// `user`
        User = "user",
    }
}

crate::open_enum! {
    /// What [`UserList`] sorts by.
    pub enum UserOrderBy {
        /// `id`
        Id = "id",
        /// `created_at`
        CreatedAt = "created_at",
        /// `last_login_at`
        LastLoginAt = "last_login_at",
        /// `last_login_ip`
        LastLoginIp = "last_login_ip",
        /// `login_count`
        LoginCount = "login_count",
        /// `email`
        Email = "email",
        /// `accepted_eula_id`
        AcceptedEulaId = "accepted_eula_id",
        /// `accepted_privacy_policy_id`
        AcceptedPrivacyPolicyId = "accepted_privacy_policy_id",
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Order {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// Which user an operation is about: exactly one of an id, an email or a
/// username, as the API demands.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserRef {
    /// A user id, `pui_...`.
    Id(String),
    /// The user's email.
    Email(String),
    /// The user's username.
    Username(String),
}

impl UserRef {
    /// By user id (`pui_...`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// use accountkit::pangea::{NewUser, UserRef};
    ///
    /// let created = pangea.user_create(&NewUser::new("ada@example.com")).await?;
    /// let ada = pangea.user_profile_get(&UserRef::id(&created.id)).await?;
    /// assert_eq!(ada.email, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub fn id(id: impl Into<String>) -> UserRef {
        UserRef::Id(id.into())
    }

    /// By email.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// use accountkit::ErrorKind;
    /// use accountkit::pangea::UserRef;
    ///
    /// let ada = pangea.user_profile_get(&UserRef::email("ada@example.com")).await?;
    /// assert_eq!(ada.username.as_deref(), Some("ada"));
    ///
    /// // Checked before anything is sent.
    /// let err = pangea.user_profile_get(&UserRef::email("ada")).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// # Ok(()) }
    /// ```
    pub fn email(email: impl Into<String>) -> UserRef {
        UserRef::Email(email.into())
    }

    /// By username.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// use accountkit::pangea::UserRef;
    ///
    /// let ada = pangea.user_profile_get(&UserRef::username("ada")).await?;
    /// assert_eq!(ada.email, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub fn username(username: impl Into<String>) -> UserRef {
        UserRef::Username(username.into())
    }

    /// `(id, email, username)` with exactly one set, after checking it.
    pub(crate) fn parts(&self, op: Op) -> Result<(Option<String>, Option<String>, Option<String>)> {
        match self {
            UserRef::Id(id) => {
                token_like(op, "id", id)?;
                Ok((Some(id.clone()), None, None))
            }
            UserRef::Email(email) => {
                validate::email(op, "email", email)?;
                Ok((None, Some(email.clone()), None))
            }
            UserRef::Username(username) => {
                validate::text(op, "username", username)?;
                Ok((None, None, Some(username.clone())))
            }
        }
    }

    pub(crate) fn to_raw(&self, op: Op) -> Result<raw::UserSelector> {
        let (id, email, username) = self.parts(op)?;
        Ok(raw::UserSelector { id, email, username })
    }
}

impl From<&User> for UserRef {
    fn from(user: &User) -> Self {
        UserRef::Id(user.id.clone())
    }
}

/// An identifier such as `pui_...` or `pau_...`: non-empty, no whitespace or
/// control characters.
pub(crate) fn token_like(op: Op, field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        Err(op.invalid(field, "is empty"))
    } else if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err(op.invalid(field, "contains whitespace or control characters"))
    } else {
        Ok(())
    }
}

/// A new user for [`user_create`](super::Client::user_create).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    email: String,
    username: Option<String>,
    profile: BTreeMap<String, String>,
}

impl NewUser {
    /// A user with this email and an empty profile.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// use accountkit::pangea::NewUser;
    ///
    /// let created = pangea.user_create(&NewUser::new("ada@example.com")).await?;
    /// // With no username set, Pangea answers the email as one.
    /// let username = created.username.as_deref();
    /// assert_eq!((created.email.as_str(), username), ("ada@example.com", Some("ada@example.com")));
    /// assert!(created.profile.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn new(email: impl Into<String>) -> NewUser {
        NewUser { email: email.into(), username: None, profile: BTreeMap::new() }
    }

    /// Sets the username.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// use accountkit::pangea::NewUser;
    ///
    /// let created = pangea.user_create(&NewUser::new("ada@example.com").username("ada")).await?;
    /// assert_eq!(created.username.as_deref(), Some("ada"));
    /// # Ok(()) }
    /// ```
    pub fn username(mut self, username: impl Into<String>) -> NewUser {
        self.username = Some(username.into());
        self
    }

    /// Sets one profile key, e.g. `("first_name", "Ada")`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// use accountkit::pangea::NewUser;
    ///
    /// let ada = NewUser::new("ada@example.com")
    ///     .profile("first_name", "Ada")
    ///     .profile("last_name", "Lovelace");
    /// let created = pangea.user_create(&ada).await?;
    /// assert_eq!(created.profile["last_name"], "Lovelace");
    /// assert_eq!(created.profile.len(), 2);
    /// # Ok(()) }
    /// ```
    pub fn profile(mut self, key: impl Into<String>, value: impl Into<String>) -> NewUser {
        self.profile.insert(key.into(), value.into());
        self
    }

    pub(crate) fn to_raw(&self, op: Op) -> Result<raw::UserCreateRequest> {
        validate::email(op, "email", &self.email)?;
        if let Some(username) = &self.username {
            validate::text(op, "username", username)?;
        }
        for key in self.profile.keys() {
            validate::text(op, "profile key", key)?;
        }
        Ok(raw::UserCreateRequest {
            email: self.email.clone(),
            username: self.username.clone(),
            profile: self.profile.clone(),
        })
    }
}

/// Changes to a user's profile: keys to set and keys to delete. Keys not
/// named stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileChanges {
    changes: BTreeMap<String, Option<String>>,
}

impl ProfileChanges {
    /// No changes yet.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// use accountkit::ErrorKind;
    /// use accountkit::pangea::{ProfileChanges, UserRef};
    ///
    /// let ada = UserRef::email("ada@example.com");
    /// let err = pangea.user_profile_update(&ada, &ProfileChanges::new()).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput); // nothing to change
    ///
    /// let user = pangea.user_profile_update(&ada, &ProfileChanges::new().set("city", "London")).await?;
    /// assert_eq!(user.profile["first_name"], "Ada"); // keys not named stay
    /// # Ok(()) }
    /// ```
    pub fn new() -> ProfileChanges {
        ProfileChanges::default()
    }

    /// Sets `key` to `value`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// use accountkit::pangea::{ProfileChanges, UserRef};
    ///
    /// let changes = ProfileChanges::new().set("first_name", "Augusta").set("last_name", "Lovelace");
    /// let ada = pangea.user_profile_update(&UserRef::email("ada@example.com"), &changes).await?;
    /// assert_eq!(ada.profile["first_name"], "Augusta");
    /// assert_eq!(ada.profile["last_name"], "Lovelace");
    /// # Ok(()) }
    /// ```
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> ProfileChanges {
        self.changes.insert(key.into(), Some(value.into()));
        self
    }

    /// Deletes `key` (sent as an explicit `null`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// use accountkit::pangea::{ProfileChanges, UserRef};
    ///
    /// let changes = ProfileChanges::new().remove("first_name");
    /// let ada = pangea.user_profile_update(&UserRef::email("ada@example.com"), &changes).await?;
    /// assert!(ada.profile.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn remove(mut self, key: impl Into<String>) -> ProfileChanges {
        self.changes.insert(key.into(), None);
        self
    }

    pub(crate) fn to_raw(&self, op: Op) -> Result<BTreeMap<String, Option<String>>> {
        if self.changes.is_empty() {
            return Err(op.invalid("profile", "has no changes"));
        }
        for key in self.changes.keys() {
            validate::text(op, "profile key", key)?;
        }
        Ok(self.changes.clone())
    }
}

/// What [`user_update`](super::Client::user_update) changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserUpdate {
    disabled: Option<bool>,
    unlock: bool,
    phone: Option<String>,
}

impl UserUpdate {
    /// No change yet.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// use accountkit::ErrorKind;
    /// use accountkit::pangea::{UserRef, UserUpdate};
    ///
    /// let ada = UserRef::email("ada@example.com");
    /// let err = pangea.user_update(&ada, &UserUpdate::new()).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput); // nothing to change
    ///
    /// let user = pangea.user_update(&ada, &UserUpdate::new().disabled(true)).await?;
    /// assert!(user.disabled);
    /// # Ok(()) }
    /// ```
    pub fn new() -> UserUpdate {
        UserUpdate::default()
    }

    /// Disables (`true`) or enables (`false`) the user.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// use accountkit::pangea::{UserRef, UserUpdate};
    ///
    /// let ada = UserRef::email("ada@example.com");
    /// assert!(pangea.user_update(&ada, &UserUpdate::new().disabled(true)).await?.disabled);
    /// assert!(!pangea.user_update(&ada, &UserUpdate::new().disabled(false)).await?.disabled);
    /// # Ok(()) }
    /// ```
    pub fn disabled(mut self, disabled: bool) -> UserUpdate {
        self.disabled = Some(disabled);
        self
    }

    /// Unlocks a user locked out by failed logins.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// use accountkit::pangea::{UserRef, UserUpdate};
    ///
    /// sandbox.pangea().lock_out("ada@example.com"); // as repeated failed logins would
    /// let ada = UserRef::email("ada@example.com");
    /// assert!(pangea.user_profile_get(&ada).await?.locked_out);
    ///
    /// let user = pangea.user_update(&ada, &UserUpdate::new().unlock()).await?;
    /// assert!(!user.locked_out);
    /// # Ok(()) }
    /// ```
    pub fn unlock(mut self) -> UserUpdate {
        self.unlock = true;
        self
    }

    /// Sets the user's phone number, in E.164 form (`+18085550173`; the
    /// vendor's example also writes `+1-808-555-0173`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// use accountkit::ErrorKind;
    /// use accountkit::pangea::{UserRef, UserUpdate, field_errors};
    ///
    /// let ada = UserRef::email("ada@example.com");
    /// let user = pangea.user_update(&ada, &UserUpdate::new().phone("+18085550173")).await?;
    /// assert_eq!(user.phone.as_deref(), Some("+18085550173"));
    ///
    /// let err = pangea.user_update(&ada, &UserUpdate::new().phone("555-0173")).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Validation);
    /// assert_eq!(field_errors(&err)[0].source, "/phone");
    /// # Ok(()) }
    /// ```
    pub fn phone(mut self, phone: impl Into<String>) -> UserUpdate {
        self.phone = Some(phone.into());
        self
    }

    pub(crate) fn to_raw(&self, op: Op, user: &UserRef) -> Result<raw::UserUpdateRequest> {
        if self.disabled.is_none() && !self.unlock && self.phone.is_none() {
            return Err(op.invalid("disabled", "`unlock` or `phone` must be set"));
        }
        if let Some(phone) = &self.phone {
            validate::text(op, "phone", phone)?;
        }
        let (id, email, username) = user.parts(op)?;
        Ok(raw::UserUpdateRequest {
            id,
            email,
            username,
            phone: self.phone.clone(),
            disabled: self.disabled,
            unlock: self.unlock.then_some(true),
        })
    }
}

/// Conditions every listed user meets. Each method adds one condition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserFilter {
    conditions: Map<String, Value>,
}

/// The example of one `UserFilter` condition method, between its fences:
/// `$call` is the call, `$wire` the key it sends and `$sent` the value as
/// a JSON literal.
macro_rules! condition_example {
    ($uses:expr, $call:expr, $wire:expr, $sent:expr $(,)?) => {
        concat!(
            "# fn main() -> Result<(), Box<dyn std::error::Error>> {\n",
            $uses,
            "use accountkit::pangea::{UserFilter, UserList};\n",
            "\n",
            "let filter = UserFilter::new().",
            $call,
            ";\n",
            "assert_eq!(filter, UserFilter::new().raw(\"",
            $wire,
            "\", ",
            $sent,
            "));\n",
            "let query = UserList::new().filter(filter);\n",
            "# let _ = query;\n",
            "# Ok(()) }\n",
        )
    };
}

/// The `UserFilter` methods of text fields. `$sample` and `$other` are
/// values of the field, `$part` a part of `$sample`, for the examples.
macro_rules! text_conditions {
    ($(
        $field:ident, $contains:ident, $in_list:ident, $wire:literal,
        $sample:literal, $other:literal, $part:literal;
    )*) => {$(
        #[doc = concat!("`", $wire, "` is exactly `value`.")]
        #[doc = ""]
        #[doc = concat!("```\n", condition_example!(
            "",
            concat!(stringify!($field), "(\"", $sample, "\")"),
            $wire,
            concat!("\"", $sample, "\""),
        ), "```")]
        pub fn $field(self, value: impl Into<String>) -> UserFilter {
            self.with($wire, Value::String(value.into()))
        }

        #[doc = concat!("`", $wire, "` contains every one of `parts`.")]
        #[doc = ""]
        #[doc = concat!("```\n", condition_example!(
            "",
            concat!(stringify!($contains), "([\"", $part, "\"])"),
            concat!($wire, "__contains"),
            concat!("vec![\"", $part, "\"]"),
        ), "```")]
        pub fn $contains<S: Into<String>>(self, parts: impl IntoIterator<Item = S>) -> UserFilter {
            self.with(concat!($wire, "__contains"), strings(parts))
        }

        #[doc = concat!("`", $wire, "` is one of `values`.")]
        #[doc = ""]
        #[doc = concat!("```\n", condition_example!(
            "",
            concat!(stringify!($in_list), "([\"", $sample, "\", \"", $other, "\"])"),
            concat!($wire, "__in"),
            concat!("vec![\"", $sample, "\", \"", $other, "\"]"),
        ), "```")]
        pub fn $in_list<S: Into<String>>(self, values: impl IntoIterator<Item = S>) -> UserFilter {
            self.with(concat!($wire, "__in"), strings(values))
        }
    )*};
}

/// The `UserFilter` methods of ordered fields. For the examples, `$uses` is
/// what they import, `$sample` a value of `$ty` as code and `$sent` the
/// same value as a JSON literal.
macro_rules! range_conditions {
    (
        $ty:ty, $to_value:expr, $uses:literal, $sample:literal, $sent:literal;
        $($field:ident, $gt:ident, $gte:ident, $lt:ident, $lte:ident, $wire:literal;)*
    ) => {$(
        #[doc = concat!("`", $wire, "` equals `value`.")]
        #[doc = ""]
        #[doc = concat!("```\n", condition_example!(
            $uses, concat!(stringify!($field), "(", $sample, ")"), $wire, $sent,
        ), "```")]
        pub fn $field(self, value: $ty) -> UserFilter {
            self.with($wire, $to_value(value))
        }

        #[doc = concat!("`", $wire, "` is greater than `value`.")]
        #[doc = ""]
        #[doc = concat!("```\n", condition_example!(
            $uses, concat!(stringify!($gt), "(", $sample, ")"), concat!($wire, "__gt"), $sent,
        ), "```")]
        pub fn $gt(self, value: $ty) -> UserFilter {
            self.with(concat!($wire, "__gt"), $to_value(value))
        }

        #[doc = concat!("`", $wire, "` is at least `value`.")]
        #[doc = ""]
        #[doc = concat!("```\n", condition_example!(
            $uses, concat!(stringify!($gte), "(", $sample, ")"), concat!($wire, "__gte"), $sent,
        ), "```")]
        pub fn $gte(self, value: $ty) -> UserFilter {
            self.with(concat!($wire, "__gte"), $to_value(value))
        }

        #[doc = concat!("`", $wire, "` is less than `value`.")]
        #[doc = ""]
        #[doc = concat!("```\n", condition_example!(
            $uses, concat!(stringify!($lt), "(", $sample, ")"), concat!($wire, "__lt"), $sent,
        ), "```")]
        pub fn $lt(self, value: $ty) -> UserFilter {
            self.with(concat!($wire, "__lt"), $to_value(value))
        }

        #[doc = concat!("`", $wire, "` is at most `value`.")]
        #[doc = ""]
        #[doc = concat!("```\n", condition_example!(
            $uses, concat!(stringify!($lte), "(", $sample, ")"), concat!($wire, "__lte"), $sent,
        ), "```")]
        pub fn $lte(self, value: $ty) -> UserFilter {
            self.with(concat!($wire, "__lte"), $to_value(value))
        }
    )*};
}

fn strings<S: Into<String>>(values: impl IntoIterator<Item = S>) -> Value {
    Value::Array(values.into_iter().map(|s| Value::String(s.into())).collect())
}

fn date_value(at: DateTime<Utc>) -> Value {
    Value::String(at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

fn count_value(n: u64) -> Value {
    Value::from(n)
}

impl UserFilter {
    /// No conditions: every user.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("bob@example.com")).await?;
    /// use accountkit::pangea::{UserFilter, UserList};
    ///
    /// let everyone = pangea.user_list(&UserList::new().filter(UserFilter::new())).await?;
    /// assert_eq!(everyone.count, Some(2));
    ///
    /// let ada = UserFilter::new().email("ada@example.com").verified(true);
    /// let page = pangea.user_list(&UserList::new().filter(ada)).await?;
    /// assert_eq!(page.users[0].email, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub fn new() -> UserFilter {
        UserFilter::default()
    }

    fn with(mut self, key: &str, value: Value) -> UserFilter {
        self.conditions.insert(key.to_string(), value);
        self
    }

    text_conditions! {
        id, id_contains, id_in, "id", "pui_s4kwfo2hpijmqxn7", "pui_b2ybkqkcjxdsnu3t", "s4kw";
        email, email_contains, email_in, "email", "ada@example.com", "grace@example.com", "@example.com";
        username, username_contains, username_in, "username", "ada", "grace", "ad";
        accepted_eula_id, accepted_eula_id_contains, accepted_eula_id_in, "accepted_eula_id",
            "peu_wuk7tvtnjyr5ebpd", "peu_3gdcz5rhxvtcmjrm", "wuk7";
        accepted_privacy_policy_id, accepted_privacy_policy_id_contains, accepted_privacy_policy_id_in,
            "accepted_privacy_policy_id", "peu_4yzhtmkw2ofgfqmd", "peu_ldq2bxgpxv6k7mjg", "4yzh";
        last_login_ip, last_login_ip_contains, last_login_ip_in, "last_login_ip",
            "203.0.113.7", "198.51.100.23", "203.0.113.";
        last_login_city, last_login_city_contains, last_login_city_in, "last_login_city",
            "London", "Paris", "Lon";
        last_login_country, last_login_country_contains, last_login_country_in, "last_login_country",
            "United Kingdom", "France", "United";
    }

    range_conditions! {
        DateTime<Utc>, date_value, "use accountkit::chrono::{DateTime, Utc};\n",
            "\"2024-01-01T00:00:00Z\".parse::<DateTime<Utc>>()?", "\"2024-01-01T00:00:00Z\"";
        created_at, created_at_gt, created_at_gte, created_at_lt, created_at_lte, "created_at";
        last_login_at, last_login_at_gt, last_login_at_gte, last_login_at_lt, last_login_at_lte,
            "last_login_at";
    }

    range_conditions! {
        u64, count_value, "", "3", "3";
        login_count, login_count_gt, login_count_gte, login_count_lt, login_count_lte, "login_count";
    }

    /// Disabled (`true`) or enabled (`false`) users.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("bob@example.com")).await?;
    /// use accountkit::pangea::{UserFilter, UserList, UserRef, UserUpdate};
    ///
    /// pangea.user_update(&UserRef::email("bob@example.com"), &UserUpdate::new().disabled(true)).await?;
    /// let page = pangea.user_list(&UserList::new().filter(UserFilter::new().disabled(true))).await?;
    /// assert_eq!(page.count, Some(1));
    /// assert_eq!(page.users[0].email, "bob@example.com");
    /// # Ok(()) }
    /// ```
    pub fn disabled(self, disabled: bool) -> UserFilter {
        self.with("disabled", Value::Bool(disabled))
    }

    /// Verified (`true`) or unverified (`false`) users.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("bob@example.com")).await?;
    /// use accountkit::pangea::{UserFilter, UserList};
    ///
    /// // The sandbox's users are all verified.
    /// let unverified = pangea.user_list(&UserList::new().filter(UserFilter::new().verified(false))).await?;
    /// assert_eq!(unverified.count, Some(0));
    /// # Ok(()) }
    /// ```
    pub fn verified(self, verified: bool) -> UserFilter {
        self.with("verified", Value::Bool(verified))
    }

    /// Users that must (`true`) or need not (`false`) use a second factor.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("bob@example.com")).await?;
    /// use accountkit::pangea::{UserFilter, UserList};
    ///
    /// let free = pangea.user_list(&UserList::new().filter(UserFilter::new().require_mfa(false))).await?;
    /// assert_eq!(free.count, Some(2));
    /// # Ok(()) }
    /// ```
    pub fn require_mfa(self, require_mfa: bool) -> UserFilter {
        self.with("require_mfa", Value::Bool(require_mfa))
    }

    /// Users holding every one of these scopes.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use accountkit::pangea::{UserFilter, UserList};
    ///
    /// let admins = UserFilter::new().scopes(["admin", "billing"]);
    /// assert_eq!(admins, UserFilter::new().raw("scopes", vec!["admin", "billing"]));
    /// let query = UserList::new().filter(admins);
    /// # let _ = query;
    /// # Ok(()) }
    /// ```
    pub fn scopes<S: Into<String>>(self, scopes: impl IntoIterator<Item = S>) -> UserFilter {
        self.with("scopes", strings(scopes))
    }

    /// Profile key `key` is exactly `value`. Keys are ASCII letters only.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("bob@example.com")).await?;
    /// use accountkit::pangea::{UserFilter, UserList};
    ///
    /// # pangea.user_profile_update(&accountkit::pangea::UserRef::email("ada@example.com"),
    /// #     &accountkit::pangea::ProfileChanges::new().set("city", "London")).await?;
    /// let londoners = UserFilter::new().profile("city", "London");
    /// let page = pangea.user_list(&UserList::new().filter(londoners)).await?;
    /// assert_eq!(page.count, Some(1));
    /// assert_eq!(page.users[0].email, "ada@example.com");
    ///
    /// // Keys with anything but letters cannot be filtered on.
    /// let odd = UserList::new().filter(UserFilter::new().profile("first_name", "Ada"));
    /// assert_eq!(pangea.user_list(&odd).await.unwrap_err().kind(), accountkit::ErrorKind::InvalidInput);
    /// # Ok(()) }
    /// ```
    pub fn profile(self, key: &str, value: impl Into<String>) -> UserFilter {
        self.with(&format!("profile_{key}"), Value::String(value.into()))
    }

    /// Profile key `key` contains every one of `parts`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// use accountkit::pangea::{NewUser, UserFilter, UserList};
    ///
    /// pangea.user_create(&NewUser::new("ada@example.com").profile("city", "London")).await?;
    /// pangea.user_create(&NewUser::new("bob@example.com").profile("city", "New London")).await?;
    /// pangea.user_create(&NewUser::new("eve@example.com").profile("city", "Paris")).await?;
    /// let filter = UserFilter::new().profile_contains("city", ["London"]);
    /// let page = pangea.user_list(&UserList::new().filter(filter)).await?;
    /// assert_eq!(page.count, Some(2));
    /// # Ok(()) }
    /// ```
    pub fn profile_contains<S: Into<String>>(
        self,
        key: &str,
        parts: impl IntoIterator<Item = S>,
    ) -> UserFilter {
        self.with(&format!("profile_{key}__contains"), strings(parts))
    }

    /// Profile key `key` is (`true`) or is not (`false`) set.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("bob@example.com")).await?;
    /// use accountkit::pangea::{UserFilter, UserList};
    ///
    /// # pangea.user_profile_update(&accountkit::pangea::UserRef::email("ada@example.com"),
    /// #     &accountkit::pangea::ProfileChanges::new().set("city", "London")).await?;
    /// let no_city = UserFilter::new().profile_exists("city", false);
    /// let page = pangea.user_list(&UserList::new().filter(no_city)).await?;
    /// assert_eq!(page.count, Some(1));
    /// assert_eq!(page.users[0].email, "bob@example.com");
    /// # Ok(()) }
    /// ```
    pub fn profile_exists(self, key: &str, exists: bool) -> UserFilter {
        self.with(&format!("profile_{key}__exists"), Value::Bool(exists))
    }

    /// Any condition, sent as is: `key` is its wire name with the operator
    /// suffix (`"last_login_city__in"`), `value` what the key takes. For
    /// keys the server knows and this version of accountkit does not.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// use accountkit::ErrorKind;
    /// use accountkit::pangea::{UserFilter, UserList, field_errors};
    ///
    /// let filter = UserFilter::new().raw("email__in", vec!["ada@example.com", "bob@example.com"]);
    /// assert_eq!(filter, UserFilter::new().email_in(["ada@example.com", "bob@example.com"]));
    ///
    /// // A key the server does not know is its ValidationError.
    /// let odd = UserList::new().filter(UserFilter::new().raw("shoe_size", 42));
    /// let err = pangea.user_list(&odd).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Validation);
    /// assert_eq!(field_errors(&err)[0].source, "/filter/shoe_size");
    /// # Ok(()) }
    /// ```
    pub fn raw(self, key: &str, value: impl Into<Value>) -> UserFilter {
        self.with(key, value.into())
    }

    pub(crate) fn to_raw(&self, op: Op) -> Result<Map<String, Value>> {
        for key in self.conditions.keys() {
            validate::text(op, "filter", key)?;
            if let Some(rest) = key.strip_prefix("profile_") {
                let name = rest.split("__").next().unwrap_or_default();
                if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphabetic()) {
                    return Err(op.invalid("filter", "profile keys must be ASCII letters only"));
                }
            }
        }
        Ok(self.conditions.clone())
    }
}

/// A query of [`user_list`](super::Client::user_list) and
/// [`users`](super::Client::users).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserList {
    filter: UserFilter,
    order: Option<Order>,
    order_by: Option<UserOrderBy>,
    size: Option<u32>,
    last: Option<String>,
}

impl UserList {
    /// Every user, in the server's default order and page size.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # sandbox.pangea().seed_users(3);
    /// use accountkit::pangea::UserList;
    ///
    /// let page = pangea.user_list(&UserList::new()).await?;
    /// assert_eq!((page.users.len(), page.count, page.last.as_deref()), (3, Some(3), None));
    /// # Ok(()) }
    /// ```
    pub fn new() -> UserList {
        UserList::default()
    }

    /// Only the users meeting `filter`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("bob@example.com")).await?;
    /// use accountkit::pangea::{UserFilter, UserList};
    ///
    /// let query = UserList::new().filter(UserFilter::new().email_contains(["bob"]));
    /// let page = pangea.user_list(&query).await?;
    /// assert_eq!(page.users.len(), 1);
    /// assert_eq!(page.users[0].email, "bob@example.com");
    /// # Ok(()) }
    /// ```
    pub fn filter(mut self, filter: UserFilter) -> UserList {
        self.filter = filter;
        self
    }

    /// Sort direction.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # sandbox.pangea().seed_users(3);
    /// use accountkit::pangea::{Order, UserList, UserOrderBy};
    ///
    /// let newest_first = UserList::new().order_by(UserOrderBy::CreatedAt).order(Order::Desc);
    /// let page = pangea.user_list(&newest_first).await?;
    /// assert_eq!(page.users[0].email, "seed2@example.test");
    /// # Ok(()) }
    /// ```
    pub fn order(mut self, order: Order) -> UserList {
        self.order = Some(order);
        self
    }

    /// What to sort by.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("ada@example.com").username("ada")
    /// #     .profile("first_name", "Ada")).await?;
    /// # pangea.user_create(&accountkit::pangea::NewUser::new("bob@example.com")).await?;
    /// use accountkit::pangea::{UserList, UserOrderBy};
    ///
    /// let page = pangea.user_list(&UserList::new().order_by(UserOrderBy::Email)).await?;
    /// let emails: Vec<&str> = page.users.iter().map(|u| u.email.as_str()).collect();
    /// assert_eq!(emails, ["ada@example.com", "bob@example.com"]);
    /// # Ok(()) }
    /// ```
    pub fn order_by(mut self, order_by: UserOrderBy) -> UserList {
        self.order_by = Some(order_by);
        self
    }

    /// Users per page, at least 1.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # sandbox.pangea().seed_users(3);
    /// use accountkit::pangea::UserList;
    ///
    /// let page = pangea.user_list(&UserList::new().size(2)).await?;
    /// assert_eq!((page.users.len(), page.count), (2, Some(3)));
    /// assert!(page.last.is_some()); // more to come
    /// # Ok(()) }
    /// ```
    pub fn size(mut self, size: u32) -> UserList {
        self.size = Some(size);
        self
    }

    /// Starts after this cursor (the [`last`](UserPage::last) of a page).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
    /// #     .base_url(sandbox.pangea().base_url()).build()?;
    /// # sandbox.pangea().seed_users(3);
    /// use accountkit::pangea::UserList;
    ///
    /// let first = pangea.user_list(&UserList::new().size(2)).await?;
    /// let cursor = first.last.clone().ok_or("there is a second page")?;
    /// let rest = pangea.user_list(&UserList::new().size(2).after(cursor)).await?;
    /// assert_eq!(rest.users.len(), 1);
    /// assert!(first.users.iter().all(|u| u.id != rest.users[0].id));
    /// # Ok(()) }
    /// ```
    pub fn after(mut self, cursor: impl Into<String>) -> UserList {
        self.last = Some(cursor.into());
        self
    }

    pub(crate) fn to_raw(&self, op: Op) -> Result<raw::UserListRequest> {
        if self.size == Some(0) {
            return Err(op.invalid("size", "must be at least 1"));
        }
        if let Some(last) = &self.last {
            token_like(op, "last", last)?;
        }
        Ok(raw::UserListRequest {
            filter: self.filter.to_raw(op)?,
            last: self.last.clone(),
            order: self.order.map(|order| match order {
                Order::Asc => raw::ItemOrder::Asc,
                Order::Desc => raw::ItemOrder::Desc,
            }),
            order_by: self.order_by.as_ref().map(|o| o.as_str().to_string()),
            size: self.size.map(i64::from),
        })
    }
}

/// A Pangea AuthN user.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct User {
    /// `pui_...`
    pub id: String,
    /// Login email.
    pub email: String,
    /// Username, when it has one.
    pub username: Option<String>,
    /// Free-form profile: first name, last name, phone, ...
    pub profile: BTreeMap<String, String>,
    /// Whether the email is verified.
    pub verified: bool,
    /// Whether the user is disabled.
    pub disabled: bool,
    /// Whether failed logins locked the user out.
    pub locked_out: bool,
    /// Phone number, E.164.
    pub phone: Option<String>,
    /// The end-user agreement accepted (`peu_...`).
    pub accepted_eula_id: Option<String>,
    /// The privacy policy accepted (`peu_...`).
    pub accepted_privacy_policy_id: Option<String>,
    /// When the user was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When the user last logged in.
    pub last_login_at: Option<DateTime<Utc>>,
    /// From where the user last logged in.
    pub last_login_ip: Option<String>,
    /// City of the last login.
    pub last_login_city: Option<String>,
    /// Country of the last login.
    pub last_login_country: Option<String>,
    /// Number of logins.
    pub login_count: u64,
    /// The user's authenticators, when the server lists them.
    pub authenticators: Vec<Authenticator>,
    /// Groups the user belongs to.
    pub groups: Vec<String>,
}

impl User {
    /// From the generated type.
    pub(crate) fn from_raw(user: raw::User) -> Self {
        let raw::User {
            accepted_eula_id,
            accepted_privacy_policy_id,
            authenticators,
            created_at,
            disabled,
            email,
            groups,
            id,
            last_login_at,
            last_login_city,
            last_login_country,
            last_login_ip,
            locked_out,
            login_count,
            phone,
            profile,
            username,
            verified,
        } = user;
        User {
            id,
            email,
            username,
            profile: profile.unwrap_or_default(),
            verified: verified.unwrap_or(false),
            disabled: disabled.unwrap_or(false),
            locked_out: locked_out.unwrap_or(false),
            phone,
            accepted_eula_id,
            accepted_privacy_policy_id,
            created_at,
            last_login_at,
            last_login_ip,
            last_login_city,
            last_login_country,
            login_count: login_count.and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
            authenticators: authenticators
                .unwrap_or_default()
                .into_iter()
                .map(Authenticator::from_raw)
                .collect(),
            groups: groups.unwrap_or_default(),
        }
    }
}

/// One page of [`user_list`](super::Client::user_list).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UserPage {
    /// The users of this page.
    pub users: Vec<User>,
    /// How many users match the query in all (not the page length).
    pub count: Option<u64>,
    /// Cursor of the next page; `None` on the last one.
    pub last: Option<String>,
}

impl UserPage {
    /// From the generated type.
    pub(crate) fn from_raw(page: raw::UserListResult) -> Self {
        let raw::UserListResult { count, last, users } = page;
        UserPage {
            users: users.into_iter().map(User::from_raw).collect(),
            count: count.and_then(|n| u64::try_from(n).ok()),
            last: last.filter(|l| !l.is_empty()),
        }
    }
}

/// A way a user logs in: a password, a passkey, an authenticator app, ...
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Authenticator {
    /// `pau_...`
    pub id: String,
    /// What kind it is.
    pub kind: AuthenticatorType,
    /// Whether it can be used.
    pub enabled: bool,
    /// The identity provider, for social and SAML logins.
    pub provider: Option<String>,
    /// The provider's display name.
    pub provider_name: Option<String>,
    /// The relying party of a passkey.
    pub rpid: Option<String>,
    /// Enrollment state.
    pub state: Option<String>,
    /// E.g. `primary`.
    pub phase: Option<String>,
    /// Browser it was enrolled from.
    pub enrolling_browser: Option<String>,
    /// Address it was enrolled from.
    pub enrolling_ip: Option<String>,
    /// When it was added.
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

impl Authenticator {
    /// From the generated type.
    pub(crate) fn from_raw(a: raw::Authenticator) -> Self {
        let raw::Authenticator {
            created_at,
            enabled,
            enrolling_browser,
            enrolling_ip,
            id,
            phase,
            provider,
            provider_name,
            rpid,
            state,
            type_,
            updated_at,
        } = a;
        Authenticator {
            id,
            kind: AuthenticatorType::from(type_),
            enabled: enabled.unwrap_or(true),
            provider,
            provider_name,
            rpid,
            state,
            phase,
            enrolling_browser,
            enrolling_ip,
            created_at,
            updated_at,
        }
    }
}

/// The tokens of a logged-in user's session, from
/// [`client_userinfo`](super::Client::client_userinfo).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SessionTokens {
    /// Renews the session.
    pub refresh_token: TokenInfo,
    /// The user token to act with, when the session has one.
    pub active_token: Option<TokenInfo>,
}

impl SessionTokens {
    /// From the generated type.
    pub(crate) fn from_raw(tokens: raw::SessionTokens) -> Self {
        let raw::SessionTokens { active_token, refresh_token } = tokens;
        SessionTokens {
            refresh_token: TokenInfo::from_raw(refresh_token),
            active_token: active_token.map(TokenInfo::from_raw),
        }
    }
}

/// A token and what it is for. The token itself never prints.
#[derive(Clone)]
#[non_exhaustive]
pub struct TokenInfo {
    /// The token (`ptu_...`, `ptr_...` or a JWT).
    pub token: SecretString,
    /// The token's id, `pmt_...`.
    pub id: String,
    /// What kind of token it is.
    pub kind: Option<TokenType>,
    /// Lifetime in seconds.
    pub life: Option<u64>,
    /// When it expires.
    pub expire: Option<DateTime<Utc>>,
    /// The user it belongs to (`pui_...`).
    pub identity: Option<String>,
    /// The user's email.
    pub email: Option<String>,
    /// The user's profile.
    pub profile: BTreeMap<String, String>,
    /// What it may do.
    pub scopes: Vec<String>,
    /// Whether it is usable.
    pub enabled: Option<bool>,
    /// When it was made.
    pub created_at: Option<DateTime<Utc>>,
    /// What the Intelligence add-on found, when it is on.
    pub intelligence: Option<Intelligence>,
    /// Who the token is for.
    pub audience: Vec<String>,
    /// The service account of a client token, `psa_...`.
    pub client_id: Option<String>,
    /// The token's claims.
    pub claims: Map<String, Value>,
}

/// What Pangea's Intelligence add-on found about a login.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Intelligence {
    /// The login came from an embargoed country.
    pub embargo: Option<bool>,
    /// The IP address's reputation, location, ... as sent.
    pub ip_intel: Map<String, Value>,
    /// The email domain's reputation, as sent.
    pub domain_intel: Map<String, Value>,
    /// The user's credentials were found in a breach.
    pub user_intel: Option<bool>,
}

impl fmt::Debug for TokenInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenInfo")
            .field("token", &"[REDACTED]")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("life", &self.life)
            .field("expire", &self.expire)
            .field("identity", &self.identity)
            .field("email", &self.email)
            .field("scopes", &self.scopes)
            .field("audience", &self.audience)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl TokenInfo {
    /// From the generated type.
    pub(crate) fn from_raw(t: raw::TokenInfo) -> Self {
        let raw::TokenInfo {
            audience,
            claims,
            client_id,
            created_at,
            email,
            enabled,
            expire,
            id,
            identity,
            intelligence,
            life,
            profile,
            scopes,
            token,
            type_,
        } = t;
        TokenInfo {
            token: token.into_secret(),
            id,
            kind: type_.map(TokenType::from),
            life: life.and_then(|n| u64::try_from(n).ok()),
            expire,
            identity,
            email,
            profile: profile.unwrap_or_default(),
            scopes: scopes.unwrap_or_default(),
            enabled,
            created_at,
            intelligence: intelligence.map(
                |raw::Intelligence { domain_intel, embargo, ip_intel, user_intel }| Intelligence {
                    embargo,
                    ip_intel: ip_intel.unwrap_or_default(),
                    domain_intel: domain_intel.unwrap_or_default(),
                    user_intel,
                },
            ),
            audience: audience.unwrap_or_default(),
            client_id,
            claims: claims.unwrap_or_default(),
        }
    }
}

/// Reads a `ValidationError`'s `{errors: [...]}`; entries missing a field
/// are kept with it empty.
pub(crate) fn field_errors_of(result: &Value) -> Option<Vec<FieldError>> {
    let errors = result.get("errors")?.as_array()?;
    let text = |e: &Value, key: &str| e.get(key).and_then(Value::as_str).map(str::to_string);
    let errors: Vec<FieldError> = errors
        .iter()
        .filter(|e| e.is_object())
        .map(|e| FieldError {
            code: text(e, "code").unwrap_or_default(),
            detail: text(e, "detail").unwrap_or_default(),
            source: text(e, "source").unwrap_or_default(),
            path: text(e, "path"),
        })
        .collect();
    (!errors.is_empty()).then_some(errors)
}
