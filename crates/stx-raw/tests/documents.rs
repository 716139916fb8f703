//! The GraphQL documents sent, one snapshot per mutation and query,
//! reviewed like code. Refresh with `cargo xtask regen`.

use accountkit_stx_raw::*;
use cynic::{MutationBuilder, QueryBuilder};

fn email() -> EmailAddress {
    EmailAddress("ada@example.com".into())
}

#[test]
fn documents() {
    let documents = [
        (
            "login",
            Login::build(LoginVariables {
                credentials: LoginCredentials {
                    email: email(),
                    password: Secret::new("pw"),
                    device_info: None,
                },
            })
            .query,
        ),
        (
            "confirm2Fa",
            Confirm2Fa::build(Confirm2FaVariables {
                code: Secret::new("123456"),
                session_id: "s".into(),
                email: email(),
            })
            .query,
        ),
        ("resend2Fa", Resend2Fa::build(Resend2FaVariables { session_id: "s".into(), email: email() }).query),
        ("newToken", NewToken::build(NewTokenVariables { refresh_token: Secret::new("r") }).query),
        ("logout", Logout::build(LogoutVariables { device_info: None }).query),
        (
            "register",
            Register::build(RegisterVariables { input: UserRegistrationInput { data: Secret::new("{}") } })
                .query,
        ),
        (
            "changePassword",
            ChangePassword::build(ChangePasswordVariables {
                old_password: Secret::new("a"),
                new_password: Secret::new("b"),
            })
            .query,
        ),
        (
            "confirmChangePassword2Fa",
            ConfirmChangePassword2Fa::build(CodeVariables { code: Secret::new("123456") }).query,
        ),
        ("resendChangePassword2Fa", ResendChangePassword2Fa::build(NoVariables {}).query),
        ("forgotPassword", ForgotPassword::build(ForgotPasswordVariables { email: email() }).query),
        (
            "confirmPasswordReset",
            ConfirmPasswordReset::build(ConfirmPasswordResetVariables {
                password_reset_params: PasswordResetParams {
                    code: Secret::new("123456"),
                    new_password: Secret::new("b"),
                },
            })
            .query,
        ),
        ("enable2Fa", Enable2Fa::build(PasswordVariables { password: None }).query),
        ("disable2Fa", Disable2Fa::build(PasswordVariables { password: None }).query),
        ("send2Fa", Send2Fa::build(NoVariables {}).query),
        ("userProfile", UserProfile::build(NoVariables {}).query),
    ];
    assert_eq!(documents.len(), 15, "one document per mutation and query");
    for (field, document) in documents {
        // The document names the field it runs.
        assert!(document.contains(&format!("  {field}")), "{field}: {document}");
        insta::assert_snapshot!(field, document);
    }
    assert!(UserProfile::build(NoVariables {}).query.starts_with("query "));
}

#[test]
fn the_anonymous_operations_are_the_schemas_and_the_vendors() {
    // The operations STX documents as sent before a login (or, newToken,
    // with the refresh token as the credential); the schema marks them.
    let mut anonymous = ANONYMOUS_OPERATIONS.to_vec();
    anonymous.sort_unstable();
    assert_eq!(
        anonymous,
        [
            "confirm2Fa",
            "confirmPasswordReset",
            "forgotPassword",
            "login",
            "newToken",
            "register",
            "resend2Fa"
        ]
    );
    assert_eq!(IDEMPOTENT_OPERATIONS, &[] as &[&str], "no operation is safe to send twice");
}
