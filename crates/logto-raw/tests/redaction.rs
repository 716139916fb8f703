//! Generated types hold `format: password` fields in a redacting type: the
//! wire gets the value, `Debug` never does. The hand-written profile PATCH
//! body sends `null` for a cleared field and nothing for an untouched one.

use accountkit_logto_raw::{ProfileUpdate, types};
use accountkit_runtime::Sensitive;
use serde_json::json;

#[test]
fn secrets_in_generated_types_serialise_but_never_print() {
    let password = types::PasswordVerificationCreate { password: Sensitive::new("pw-Correct-Horse") };
    assert!(!format!("{password:?}").contains("pw-Correct-Horse"));
    assert_eq!(serde_json::to_value(&password).unwrap(), json!({"password": "pw-Correct-Horse"}));

    let verify = types::CodeVerificationVerify {
        code: Sensitive::new("908172"),
        identifier: types::VerificationCodeIdentifier {
            type_: types::VerificationCodeIdentifierType::Email,
            value: "ada@example.com".into(),
        },
        verification_id: "rec1".into(),
    };
    assert!(!format!("{verify:?}").contains("908172"));
    assert_eq!(
        serde_json::to_value(&verify).unwrap(),
        json!({"code": "908172", "identifier": {"type": "email", "value": "ada@example.com"},
               "verificationId": "rec1"})
    );
    let update = types::PasswordUpdate { password: Sensitive::new("n3w-Secret") };
    assert!(!format!("{update:?}").contains("n3w-Secret"));
}

#[test]
fn profile_update_tells_clear_from_leave() {
    let update = ProfileUpdate {
        name: Some(None),
        avatar: None,
        username: Some(Some("ada".into())),
        custom_data: None,
    };
    let wire = serde_json::to_value(&update).unwrap();
    assert_eq!(wire, json!({"name": null, "username": "ada"}));
    let back: ProfileUpdate = serde_json::from_value(wire).unwrap();
    assert_eq!(back, update);
    assert_eq!(serde_json::to_value(ProfileUpdate::default()).unwrap(), json!({}));
}
