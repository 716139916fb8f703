//! Generated types hold `format: password` fields in a redacting type: the
//! wire gets the value, `Debug` never does.

use accountkit_cycle_raw::types;
use accountkit_runtime::Sensitive;

#[test]
fn secrets_in_generated_requests_serialise_but_never_print() {
    let change = types::PasswordChange {
        current: Sensitive::new("pw-Old-Horse"),
        new: Sensitive::new("pw-New-Horse"),
    };
    let shown = format!("{change:?}");
    assert!(!shown.contains("pw-Old-Horse") && !shown.contains("pw-New-Horse"), "{shown}");
    assert_eq!(
        serde_json::to_value(&change).unwrap(),
        serde_json::json!({"current": "pw-Old-Horse", "new": "pw-New-Horse"})
    );

    let reset = types::PasswordReset::from(types::PasswordResetComplete {
        token: Sensitive::new("reset-tok-5678"),
        password: Sensitive::new("pw-New-Horse"),
    });
    let shown = format!("{reset:?}");
    assert!(!shown.contains("reset-tok-5678") && !shown.contains("pw-New-Horse"), "{shown}");
    assert_eq!(
        serde_json::to_value(&reset).unwrap(),
        serde_json::json!({"token": "reset-tok-5678", "password": "pw-New-Horse"})
    );

    let recover = types::TwoFactorAuthRecover {
        email: "ada@example.com".into(),
        password: Sensitive::new("pw-Old-Horse"),
        recovery_codes: vec![Sensitive::new("rc-1111-2222")],
        token: Some(Sensitive::new("908172")),
    };
    let shown = format!("{recover:?}");
    for secret in ["pw-Old-Horse", "rc-1111-2222", "908172"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert_eq!(
        serde_json::to_value(&recover).unwrap()["recovery_codes"],
        serde_json::json!(["rc-1111-2222"])
    );
}

#[test]
fn secrets_in_generated_responses_never_print() {
    let setup: types::TwoFactorAuthSetup =
        serde_json::from_str(r#"{"qr": "data:image/png;base64,AAAA", "secret": "JBSWY3DPEHPK3PXP"}"#)
            .unwrap();
    assert!(!format!("{setup:?}").contains("JBSWY3DPEHPK3PXP"));
    assert_eq!(setup.secret.expose(), "JBSWY3DPEHPK3PXP");

    let recovery: types::TwoFactorAuthRecovery =
        serde_json::from_str(r#"{"recovery_codes": ["rc-aaaa-bbbb"], "totp_passcode": "tp-secret-99"}"#)
            .unwrap();
    let shown = format!("{recovery:?}");
    assert!(!shown.contains("rc-aaaa-bbbb") && !shown.contains("tp-secret-99"), "{shown}");
    assert_eq!(recovery.recovery_codes[0].expose(), "rc-aaaa-bbbb");
}
