//! The GraphQL documents sent, one snapshot per mutation and query,
//! reviewed like code. Refresh with `cargo xtask regen`.

use accountkit_stx_raw::*;
use cynic::{MutationBuilder, QueryBuilder};

fn email() -> EmailAddress {
    EmailAddress("ada@example.com".into())
}

/// The field an operation names for the transport, and its document.
fn named<Q: Field, V>(operation: cynic::Operation<Q, V>) -> (&'static str, String) {
    (Q::NAME, operation.query)
}

#[test]
fn documents() {
    let documents = [
        named(Login::build(LoginVariables {
            credentials: LoginCredentials { email: email(), password: Secret::new("pw"), device_info: None },
        })),
        named(Confirm2Fa::build(Confirm2FaVariables {
            code: Secret::new("123456"),
            session_id: "s".into(),
            email: email(),
        })),
        named(Resend2Fa::build(Resend2FaVariables { session_id: "s".into(), email: email() })),
        named(NewToken::build(NewTokenVariables { refresh_token: Secret::new("r") })),
        named(Logout::build(LogoutVariables { device_info: None })),
        named(Register::build(RegisterVariables {
            input: UserRegistrationInput { data: Secret::new("{}") },
        })),
        named(ChangePassword::build(ChangePasswordVariables {
            old_password: Secret::new("a"),
            new_password: Secret::new("b"),
        })),
        named(ConfirmChangePassword2Fa::build(CodeVariables { code: Secret::new("123456") })),
        named(ResendChangePassword2Fa::build(NoVariables {})),
        named(ForgotPassword::build(ForgotPasswordVariables { email: email() })),
        named(ConfirmPasswordReset::build(ConfirmPasswordResetVariables {
            password_reset_params: PasswordResetParams {
                code: Secret::new("123456"),
                new_password: Secret::new("b"),
            },
        })),
        named(Enable2Fa::build(PasswordVariables { password: None })),
        named(Disable2Fa::build(PasswordVariables { password: None })),
        named(Send2Fa::build(NoVariables {})),
        named(UserProfile::build(NoVariables {})),
    ];
    assert_eq!(documents.len(), 15, "one document per mutation and query");
    for (field, document) in documents {
        // The document runs the field the transport's lists name it by.
        let root = document.lines().nth(1).unwrap_or_default();
        assert!(
            root.starts_with(&format!("  {field}(")) || root == format!("  {field} {{"),
            "{field}: {document}"
        );
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
