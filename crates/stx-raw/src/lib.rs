//! Typed GraphQL operations for the STX (SportsX) account, authentication
//! and two-factor API, checked at compile time by cynic against
//! `openapi/stx/schema.graphql`. Use the `accountkit` crate (feature `stx`)
//! instead; this crate has no stability promise of its own.
//!
//! One operation per mutation, and one for the `userProfile` query. Each is
//! built with [`cynic::MutationBuilder::build`] (the query with
//! [`cynic::QueryBuilder::build`]) from its variables; the resulting
//! [`cynic::Operation`] serialises to the request body
//! (`{"query", "variables", "operationName"}`) and its response decodes as
//! [`cynic::GraphQlResponse`]. The result types are fragments shared by the
//! mutations that return them. [`Client`] sends an operation through the
//! runtime's request policy, as the REST raw clients do, and hands back the
//! answer at any status: GraphQL reports its errors in the body.

#![allow(missing_docs)]

use accountkit_runtime::Sensitive;

#[cynic::schema("stx")]
mod schema {}

// `ANONYMOUS_OPERATIONS` and `IDEMPOTENT_OPERATIONS`, from the schema's
// `@anonymous` and `@idempotent` fields.
include!(concat!(env!("OUT_DIR"), "/operations.rs"));

mod client;
pub use client::{Answer, Client, Field, PATH};

// ---- scalars ---------------------------------------------------------------

/// `EmailAddress`: an email address as a string.
#[derive(cynic::Scalar, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "EmailAddress")]
pub struct EmailAddress(pub String);

/// `rID`: a UUID string.
#[derive(cynic::Scalar, Debug, Clone, PartialEq, Eq)]
#[cynic(graphql_type = "rID")]
pub struct Rid(pub String);

/// A `String` that is a password, code or token: sent and decoded as the
/// plain string, never shown by `Debug`.
#[derive(cynic::Scalar, Debug, Clone)]
#[cynic(graphql_type = "String")]
pub struct Secret(pub Sensitive);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Sensitive::new(value))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

// ---- inputs ----------------------------------------------------------------

#[derive(cynic::InputObject, Debug, Clone)]
pub struct LoginCredentials {
    pub email: EmailAddress,
    pub password: Secret,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub device_info: Option<DeviceInfo>,
}

#[derive(cynic::InputObject, Debug, Clone)]
pub struct DeviceInfo {
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
}

#[derive(cynic::InputObject, Debug, Clone)]
pub struct PasswordResetParams {
    pub code: Secret,
    pub new_password: Secret,
}

#[derive(cynic::InputObject, Debug, Clone)]
#[cynic(graphql_type = "UserRegistrationInputV2")]
pub struct UserRegistrationInput {
    /// The registration document, JSON-encoded into a string. It holds the
    /// password, hence secret.
    pub data: Secret,
}

// ---- result fragments ----------------------------------------------------------
// `LoginResult.userProfile` is left out on purpose: its non-null fields can
// null the whole result (see the schema's header).

#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct LoginResult {
    pub user_id: Option<Rid>,
    pub status: Option<i32>,
    pub token: Option<Secret>,
    pub refresh_token: Option<Secret>,
    pub user_status: Option<String>,
    pub user_uid: Option<String>,
    pub last_login_at: Option<String>,
    pub current_login_at: Option<String>,
    pub device_id: Option<String>,
    pub ip_address: Option<String>,
    pub limits_number: Option<AccountLimitResultNumber>,
    pub prompt_two_factor_auth: Option<bool>,
    pub session_id: Option<String>,
    pub prompt_tnc_acceptance: Option<bool>,
    pub tnc_changed: Option<TncChanges>,
    pub tnc_id: Option<String>,
    pub whitelist_ip_addresses: Option<String>,
    pub device_tokens: Option<Vec<Option<DeviceTokens>>>,
    pub allow_multiple_logins: Option<bool>,
    pub app_settings: Option<Vec<Option<AppSettings>>>,
    pub referral_code: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct TncChanges {
    pub terms: Option<bool>,
    pub privacy_policy: Option<bool>,
    pub house_rules: Option<bool>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct AccountLimitResultNumber {
    pub account_limits: Option<AccountLimitsNumber>,
    pub admin_limits: Option<AdminLimitsNumber>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct AccountLimitsNumber {
    pub account_id: Option<Rid>,
    pub daily_deposit: Option<i32>,
    pub weekly_deposit: Option<i32>,
    pub monthly_deposit: Option<i32>,
    pub lifetime_deposit: Option<i32>,
    pub order_liability: Option<i32>,
    pub max_order_liability_per_order: Option<i32>,
    #[cynic(rename = "lossLimit24Hours")]
    pub loss_limit_24_hours: Option<i32>,
    pub loss_limit_weekly: Option<i32>,
    pub loss_limit_monthly: Option<i32>,
    pub cool_off_period: Option<i32>,
    pub hours_per_day: Option<i32>,
    pub self_excluded: Option<i32>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct AdminLimitsNumber {
    pub daily_deposit: Option<i32>,
    pub weekly_deposit: Option<i32>,
    pub monthly_deposit: Option<i32>,
    pub lifetime_deposit: Option<i32>,
    pub order_liability: Option<i32>,
    pub max_order_liability_per_order: Option<i32>,
    #[cynic(rename = "lossLimit24Hours")]
    pub loss_limit_24_hours: Option<i32>,
    pub loss_limit_weekly: Option<i32>,
    pub loss_limit_monthly: Option<i32>,
    pub cool_off_period: Option<i32>,
    pub hours_per_day: Option<i32>,
    pub self_excluded: Option<i32>,
}

/// A device's push token is a credential for notifying it.
#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct DeviceTokens {
    pub device_id: Option<String>,
    pub device_token: Option<Secret>,
    pub device_type: Option<String>,
    pub effective_start_date: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct AppSettings {
    pub device_id: Option<String>,
    pub settings: Option<Settings>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct Settings {
    pub device_id: Option<String>,
    pub mode: Option<String>,
    pub odds_display: Option<String>,
    pub enable_face_id: Option<bool>,
    pub wagering_qty_increment: Option<String>,
    pub close_your_account: Option<bool>,
    pub enable2_fa: Option<bool>,
    pub device_type: Option<String>,
    pub show_tutorial_again: Option<bool>,
}

/// The logged-in user's profile. Its `id`, names and `username` are non-null
/// in the schema; the tax number is a secret.
#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "UserProfile")]
pub struct Profile {
    pub id: Rid,
    pub date_of_birth: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub middle_name: Option<String>,
    pub preferred_name: Option<String>,
    pub username: String,
    pub phone_number: Option<String>,
    pub country_code: Option<String>,
    pub business_country_code: Option<String>,
    pub business_phone: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip_code: Option<String>,
    pub country: Option<String>,
    pub citizenship_country: Option<String>,
    pub ssn: Option<Secret>,
    pub account_id: Option<Rid>,
    pub employer_name: Option<String>,
    pub employer_address: Option<String>,
    pub job_title: Option<String>,
    pub industry: Option<String>,
    pub two_factor_auth: Option<bool>,
    pub two_factor_auth_per_device: Option<bool>,
    pub opt_in_marketing: Option<bool>,
    pub whitelist_ip_addresses: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct TwoFactorAuthResult {
    pub status: Option<String>,
    pub session_id: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct PasswordResetResult {
    pub reset: Option<bool>,
    pub message: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct ForgotPasswordResult {
    pub header: Option<String>,
    pub message: Option<String>,
    pub email: Option<EmailAddress>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct LogoutResult {
    pub status: Option<i32>,
    pub message: Option<String>,
    pub device_id: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct RegisterUserResult {
    pub status: Option<i32>,
    pub message: Option<String>,
    pub verification_code: Option<Secret>,
}

// ---- variables -------------------------------------------------------------

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct LoginVariables {
    pub credentials: LoginCredentials,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct Confirm2FaVariables {
    pub code: Secret,
    pub session_id: String,
    pub email: EmailAddress,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct Resend2FaVariables {
    pub session_id: String,
    pub email: EmailAddress,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct NewTokenVariables {
    pub refresh_token: Secret,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct LogoutVariables {
    pub device_info: Option<DeviceInfo>,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct RegisterVariables {
    pub input: UserRegistrationInput,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ChangePasswordVariables {
    pub old_password: Secret,
    pub new_password: Secret,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct CodeVariables {
    pub code: Secret,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ForgotPasswordVariables {
    pub email: EmailAddress,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ConfirmPasswordResetVariables {
    pub password_reset_params: PasswordResetParams,
}

/// For the mutations without arguments: sent as `{}` (some servers refuse
/// `"variables": null`).
#[derive(cynic::QueryVariables, Debug, Clone, Default)]
pub struct NoVariables {}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct PasswordVariables {
    pub password: Option<Secret>,
}

// ---- operations ------------------------------------------------------------

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "RootMutationType", variables = "LoginVariables")]
pub struct Login {
    #[arguments(credentials: $credentials)]
    pub login: Option<LoginResult>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "RootMutationType", variables = "Confirm2FaVariables")]
pub struct Confirm2Fa {
    #[arguments(code: $code, sessionId: $session_id, email: $email)]
    pub confirm2_fa: Option<LoginResult>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "RootMutationType", variables = "Resend2FaVariables")]
pub struct Resend2Fa {
    #[arguments(sessionId: $session_id, email: $email)]
    pub resend2_fa: Option<TwoFactorAuthResult>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "RootMutationType", variables = "NewTokenVariables")]
pub struct NewToken {
    #[arguments(refreshToken: $refresh_token)]
    pub new_token: Option<LoginResult>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "RootMutationType", variables = "LogoutVariables")]
pub struct Logout {
    #[arguments(deviceInfo: $device_info)]
    pub logout: Option<LogoutResult>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "RootMutationType", variables = "RegisterVariables")]
pub struct Register {
    #[arguments(input: $input)]
    pub register: Option<RegisterUserResult>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "RootMutationType", variables = "ChangePasswordVariables")]
pub struct ChangePassword {
    #[arguments(oldPassword: $old_password, newPassword: $new_password)]
    pub change_password: Option<LoginResult>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "RootMutationType", variables = "CodeVariables")]
pub struct ConfirmChangePassword2Fa {
    #[arguments(code: $code)]
    pub confirm_change_password2_fa: Option<LoginResult>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "RootMutationType", variables = "NoVariables")]
pub struct ResendChangePassword2Fa {
    pub resend_change_password2_fa: Option<TwoFactorAuthResult>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "RootMutationType", variables = "ForgotPasswordVariables")]
pub struct ForgotPassword {
    #[arguments(email: $email)]
    pub forgot_password: Option<ForgotPasswordResult>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "RootMutationType", variables = "ConfirmPasswordResetVariables")]
pub struct ConfirmPasswordReset {
    #[arguments(passwordResetParams: $password_reset_params)]
    pub confirm_password_reset: Option<PasswordResetResult>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "RootMutationType", variables = "PasswordVariables")]
pub struct Enable2Fa {
    #[arguments(password: $password)]
    pub enable2_fa: Option<TwoFactorAuthResult>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "RootMutationType", variables = "PasswordVariables")]
pub struct Disable2Fa {
    #[arguments(password: $password)]
    pub disable2_fa: Option<TwoFactorAuthResult>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "RootMutationType", variables = "NoVariables")]
pub struct Send2Fa {
    pub send2_fa: Option<TwoFactorAuthResult>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "RootQueryType", variables = "NoVariables")]
pub struct UserProfile {
    pub user_profile: Option<Profile>,
}

/// Each operation's root field; the document snapshots check them.
macro_rules! fields {
    ($($operation:ident => $field:literal,)*) => {$(
        impl Field for $operation {
            const NAME: &'static str = $field;
        }
    )*};
}

fields! {
    Login => "login",
    Confirm2Fa => "confirm2Fa",
    Resend2Fa => "resend2Fa",
    NewToken => "newToken",
    Logout => "logout",
    Register => "register",
    ChangePassword => "changePassword",
    ConfirmChangePassword2Fa => "confirmChangePassword2Fa",
    ResendChangePassword2Fa => "resendChangePassword2Fa",
    ForgotPassword => "forgotPassword",
    ConfirmPasswordReset => "confirmPasswordReset",
    Enable2Fa => "enable2Fa",
    Disable2Fa => "disable2Fa",
    Send2Fa => "send2Fa",
    UserProfile => "userProfile",
}
