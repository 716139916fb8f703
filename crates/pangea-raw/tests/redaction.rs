//! Generated types hold `format: password` fields in a redacting type: the
//! wire gets the value, `Debug` never does.

use accountkit_pangea_raw::types;
use accountkit_runtime::Sensitive;

#[test]
fn password_change_serialises_its_secrets_but_never_prints_them() {
    let body = types::PasswordChangeRequest {
        token: Sensitive::new("ptu_usertokensecret"),
        old_password: Sensitive::new("pw-Old-Horse"),
        new_password: Sensitive::new("pw-New-Horse"),
    };
    let shown = format!("{body:?}");
    for secret in ["ptu_usertokensecret", "pw-Old-Horse", "pw-New-Horse"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        serde_json::json!({"token": "ptu_usertokensecret", "old_password": "pw-Old-Horse",
                           "new_password": "pw-New-Horse"})
    );
}

#[test]
fn login_codes_and_session_tokens_never_print() {
    let request = types::UserinfoRequest { code: Sensitive::new("pmc_logincodesecret"), flow_id: None };
    assert!(!format!("{request:?}").contains("pmc_logincodesecret"));
    assert_eq!(serde_json::to_value(&request).unwrap(), serde_json::json!({"code": "pmc_logincodesecret"}));

    let tokens: types::SessionTokens = serde_json::from_value(serde_json::json!({
        "refresh_token": {"token": "ptr_refreshsecret", "id": "pmt_1", "type": "session"},
        "active_token": {"token": "ptu_activesecret", "id": "pmt_2", "type": "user"}
    }))
    .unwrap();
    let shown = format!("{tokens:?}");
    assert!(!shown.contains("ptr_refreshsecret") && !shown.contains("ptu_activesecret"), "{shown}");
    assert_eq!(tokens.refresh_token.token.expose(), "ptr_refreshsecret");
}
