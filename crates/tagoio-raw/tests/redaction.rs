//! Generated types hold `format: password` fields in a redacting type: the
//! wire gets the value, `Debug` never does.

use accountkit_runtime::Sensitive;
use accountkit_tagoio_raw::types;

#[test]
fn secrets_in_generated_types_serialise_but_never_print() {
    let login = types::Login {
        email: "ada@example.com".into(),
        password: Sensitive::new("pw-Correct-Horse"),
        otp_type: Some(types::OtpType::Email),
        pin_code: Some(Sensitive::new("908172")),
    };
    let shown = format!("{login:?}");
    assert!(!shown.contains("pw-Correct-Horse") && !shown.contains("908172"), "{shown}");
    let wire = serde_json::to_value(&login).unwrap();
    assert_eq!(
        wire,
        serde_json::json!({"email": "ada@example.com", "password": "pw-Correct-Horse",
                           "otp_type": "email", "pin_code": "908172"})
    );

    let created: types::TokenCreated = serde_json::from_str(r#"{"token": "tok-1234-5678"}"#).unwrap();
    assert!(!format!("{created:?}").contains("tok-1234-5678"));
    assert_eq!(created.token.expose(), "tok-1234-5678");
}
