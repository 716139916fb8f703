//! Passwords, codes and tokens travel in `Secret`: the wire gets the value,
//! `Debug` never does.

use accountkit_stx_raw::*;
use cynic::MutationBuilder;

#[test]
fn secrets_in_variables_serialise_but_never_print() {
    let operation = Login::build(LoginVariables {
        credentials: LoginCredentials {
            email: EmailAddress("ada@example.com".into()),
            password: Secret::new("pw-Correct-Horse"),
            device_info: Some(DeviceInfo { device_id: Some("laptop-1".into()) }),
        },
    });
    let shown = format!("{:?}", operation.variables);
    assert!(!shown.contains("pw-Correct-Horse"), "{shown}");
    let wire = serde_json::to_value(&operation).unwrap();
    assert_eq!(
        wire["variables"],
        serde_json::json!({"credentials": {"email": "ada@example.com", "password": "pw-Correct-Horse",
                                           "deviceInfo": {"deviceId": "laptop-1"}}})
    );
    assert_eq!(wire["operationName"], "Login");
}

#[test]
fn tokens_in_results_decode_but_never_print() {
    let response: cynic::GraphQlResponse<NewToken> = serde_json::from_str(
        r#"{"data": {"newToken": {"token": "jwt-abc.def.ghi", "refreshToken": "rt-1234-5678", "userId": null,
            "status": 200, "userStatus": null, "userUid": null, "lastLoginAt": null, "currentLoginAt": null,
            "deviceId": null, "promptTwoFactorAuth": null, "sessionId": null, "promptTncAcceptance": null,
            "tncId": null, "ipAddress": null, "limitsNumber": null, "tncChanged": null,
            "whitelistIpAddresses": null, "allowMultipleLogins": null, "appSettings": null, "referralCode": null,
            "deviceTokens": [{"deviceId": "p1", "deviceToken": "push-9876-5432", "deviceType": "ios",
                              "effectiveStartDate": null}]}}}"#,
    )
    .unwrap();
    let result = response.data.unwrap().new_token.unwrap();
    let shown = format!("{result:?}");
    assert!(!shown.contains("jwt-abc") && !shown.contains("rt-1234"), "{shown}");
    assert!(!shown.contains("push-9876"), "{shown}");
    assert_eq!(result.token.unwrap().expose(), "jwt-abc.def.ghi");
    assert_eq!(result.refresh_token.unwrap().expose(), "rt-1234-5678");
    assert_eq!(result.prompt_two_factor_auth, None);
}
