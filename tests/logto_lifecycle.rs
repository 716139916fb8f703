//! The Logto client against the sandbox, end to end: every test starts its
//! own sandbox, signs a user in there, and drives it only through the public
//! client API, reading codes from the sandbox's outbox.

use std::time::Duration;

use accountkit::logto::{
    Client, CodeTarget, CodeTemplate, ProfileChanges, Proof, SocialStart, StandardClaims, Verification,
};
use accountkit::{Error, ErrorKind, ExposeSecret};
use accountkit_sandbox::Sandbox;
use accountkit_sandbox::logto::{Logto, SECOND_SOCIAL_CONNECTOR_ID, SOCIAL_CONNECTOR_ID};

const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "first password";
const NEW_PASSWORD: &str = "second password";

struct Env {
    // Dropping it stops the server.
    _sandbox: Sandbox,
    logto: Logto,
    client: Client,
}

async fn start() -> Env {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let logto = sandbox.logto();
    let token = logto.add_user(EMAIL, PASSWORD);
    let client = Client::new(logto.base_url(), token).unwrap();
    Env { _sandbox: sandbox, logto, client }
}

#[track_caller]
fn expect_err<T>(result: accountkit::Result<T>, status: u16, code: &str) -> Error {
    match result {
        Ok(_) => panic!("expected HTTP {status} {code}, but the call succeeded"),
        Err(e) => {
            assert_eq!((e.status(), e.code()), (Some(status), Some(code)), "{e}");
            e
        }
    }
}

impl Env {
    async fn password_proof(&self) -> Verification {
        self.client.verify_password(PASSWORD).await.unwrap()
    }

    /// Sends a code, reads it from the outbox, verifies it.
    async fn code_proof(&self, to: CodeTarget) -> Verification {
        let challenge = self.client.send_code(&to).await.unwrap();
        let code = self.logto.latest_code(challenge.sent_to()).expect("a code in the outbox");
        self.client.verify_code(&challenge, &code).await.unwrap()
    }
}

#[tokio::test]
async fn change_password_in_one_call() {
    let env = start().await;
    env.client.change_password(PASSWORD, NEW_PASSWORD).await.unwrap();
    assert_eq!(env.logto.password_of(EMAIL).as_ref().map(ExposeSecret::expose_secret), Some(NEW_PASSWORD));
    let err = expect_err(env.client.verify_password(PASSWORD).await, 422, "session.invalid_credentials");
    assert_eq!(err.kind(), ErrorKind::Validation);
    env.client.verify_password(NEW_PASSWORD).await.unwrap();
    // A wrong current password stops the recipe before anything changes.
    let wrong = env.client.change_password("not it", "third password").await;
    expect_err(wrong, 422, "session.invalid_credentials");
    assert_eq!(env.logto.password_of(EMAIL).as_ref().map(ExposeSecret::expose_secret), Some(NEW_PASSWORD));
    // The policy and same-password checks come back with their codes.
    let proof = env.client.verify_password(NEW_PASSWORD).await.unwrap();
    expect_err(env.client.update_password(&proof, NEW_PASSWORD).await, 422, "user.same_password");
    expect_err(env.client.update_password(&proof, "short").await, 422, "password.rejected");
}

#[tokio::test]
async fn change_primary_email_in_one_call() {
    let env = start().await;
    let logto = env.logto.clone();
    env.client
        .change_primary_email(PASSWORD, "ada@new.example", async |to: &str| logto.latest_code(to))
        .await
        .unwrap();
    let profile = env.client.get_profile().await.unwrap();
    assert_eq!(profile.primary_email.as_deref(), Some("ada@new.example"));
    assert!(profile.updated_at >= profile.created_at);

    // Without a code the recipe stops, naming what was missing.
    let err = env.client.change_primary_email(PASSWORD, "x@new.example", async |_: &str| None).await;
    assert_eq!(err.unwrap_err().kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn an_address_in_use_is_refused_with_its_code() {
    let env = start().await;
    env.logto.add_user("bob@example.com", "bob password");
    let identity = env.password_proof().await;
    let proof = env.code_proof(CodeTarget::email("bob@example.com")).await;
    let err = expect_err(
        env.client.update_primary_email(&identity, &proof).await,
        422,
        "user.email_already_in_use",
    );
    assert_eq!(err.kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn a_code_to_the_current_phone_proves_identity() {
    let env = start().await;
    let identity = env.password_proof().await;
    let phone = env.code_proof(CodeTarget::phone("+15551234567")).await;
    assert_eq!(phone.proof(), &Proof::Phone("15551234567".into()));
    env.client.update_primary_phone(&identity, &phone).await.unwrap();

    let by_phone = env.code_proof(CodeTarget::phone("15551234567")).await;
    env.client.delete_primary_email(&by_phone).await.unwrap();
    let profile = env.client.get_profile().await.unwrap();
    assert_eq!((profile.primary_email, profile.primary_phone.as_deref()), (None, Some("15551234567")));
    // The phone is now the last identifier.
    expect_err(env.client.delete_primary_phone(&by_phone).await, 400, "user.last_sign_in_method_required");
}

#[tokio::test]
async fn a_code_to_a_new_address_does_not_prove_identity() {
    let env = start().await;
    let new_address = env.code_proof(CodeTarget::email("ada@new.example")).await;
    let err = expect_err(
        env.client.delete_primary_email(&new_address).await,
        401,
        "verification_record.permission_denied",
    );
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
}

#[tokio::test]
async fn a_code_sent_to_bind_mfa_does_not_prove_identity() {
    let env = start().await;
    let to = CodeTarget::email(EMAIL);
    let challenge = env.client.send_code_with_template(&to, &CodeTemplate::BindMfa).await.unwrap();
    let code = env.logto.latest_code(EMAIL).expect("a code in the outbox");
    let mfa = env.client.verify_code(&challenge, &code).await.unwrap();
    let refused = env.client.update_password(&mfa, NEW_PASSWORD).await;
    expect_err(refused, 401, "verification_record.permission_denied");
    let challenge =
        env.client.send_code_with_template(&to, &CodeTemplate::UserPermissionValidation).await.unwrap();
    let code = env.logto.latest_code(EMAIL).expect("a code in the outbox");
    let identity = env.client.verify_code(&challenge, &code).await.unwrap();
    env.client.update_password(&identity, NEW_PASSWORD).await.unwrap();
}

#[tokio::test]
async fn records_expire_on_the_server_and_are_refused_locally() {
    let env = start().await;
    let proof = env.password_proof().await;
    env.logto.advance_clock(Duration::from_secs(11 * 60));
    expect_err(
        env.client.update_password(&proof, NEW_PASSWORD).await,
        401,
        "verification_record.permission_denied",
    );

    let before = env.logto.requests().len();
    let stale =
        Verification::from_parts(proof.id().clone(), proof.expires_at() - Duration::from_secs(11 * 60));
    let err = env.client.update_password(&stale, NEW_PASSWORD).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Expired);
    assert_eq!(env.logto.requests().len(), before, "an expired record must not be sent");
}

#[tokio::test]
async fn profile_patch_clears_with_null_and_leaves_the_rest() {
    let env = start().await;
    let changes = ProfileChanges::new().name("Ada Lovelace").avatar("https://img.example/ada.png");
    let profile = env.client.update_profile(&changes, None).await.unwrap();
    assert_eq!(profile.name.as_deref(), Some("Ada Lovelace"));

    let profile = env.client.update_profile(&ProfileChanges::new().clear_avatar(), None).await.unwrap();
    assert_eq!((profile.name.as_deref(), profile.avatar), (Some("Ada Lovelace"), None));

    let proof = env.password_proof().await;
    let profile =
        env.client.update_profile(&ProfileChanges::new().username("ada_l"), Some(&proof)).await.unwrap();
    assert_eq!(profile.username.as_deref(), Some("ada_l"));
    let profile =
        env.client.update_profile(&ProfileChanges::new().clear_username(), Some(&proof)).await.unwrap();
    assert_eq!(profile.username, None);
    assert_eq!(profile.primary_email.as_deref(), Some(EMAIL));
}

#[tokio::test]
async fn other_profile_claims_merge() {
    let env = start().await;
    let mut claims = StandardClaims::default();
    claims.given_name = Some("Ada".into());
    env.client.update_other_profile(&claims).await.unwrap();
    let mut claims = StandardClaims::default();
    claims.locale = Some("en-GB".into());
    let stored = env.client.update_other_profile(&claims).await.unwrap();
    assert_eq!((stored.given_name.as_deref(), stored.locale.as_deref()), (Some("Ada"), Some("en-GB")));
    let profile = env.client.get_profile().await.unwrap();
    assert_eq!(profile.claims, Some(stored));
}

#[tokio::test]
async fn link_and_unlink_a_social_identity() {
    let env = start().await;
    let identity = env.password_proof().await;
    let start = SocialStart::new(SOCIAL_CONNECTOR_ID, "state-1", "https://app.example/callback");
    let challenge = env.client.start_social_verification(&start).await.unwrap();
    assert!(challenge.authorization_uri.contains("state=state-1"), "{}", challenge.authorization_uri);
    let social = env.client.verify_social(&challenge, [("code", "c42"), ("state", "state-1")]).await.unwrap();
    env.client.add_social_identity(Some(&identity), &social).await.unwrap();
    let profile = env.client.get_profile().await.unwrap();
    assert_eq!(profile.identities["github"].user_id, "gh-c42");

    // A social record is refused as proof of identity before sending.
    let err = env.client.delete_identity(Some(&social), "github").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    expect_err(env.client.delete_identity(Some(&identity), "gitlab").await, 404, "user.identity_not_exist");
    env.client.delete_identity(Some(&identity), "github").await.unwrap();
    assert!(env.client.get_profile().await.unwrap().identities.is_empty());
}

#[tokio::test]
async fn a_social_only_user_links_and_unlinks_without_a_record() {
    let env = start().await;
    let social_only = Client::new(env.logto.base_url(), env.logto.add_social_user("s7")).unwrap();
    let start = SocialStart::new(SECOND_SOCIAL_CONNECTOR_ID, "st", "https://app.example/callback");
    let challenge = social_only.start_social_verification(&start).await.unwrap();
    let gitlab = social_only.verify_social(&challenge, [("code", "c9"), ("state", "st")]).await.unwrap();
    social_only.add_social_identity(None, &gitlab).await.unwrap();
    social_only.delete_identity(None, "github").await.unwrap();
    let profile = social_only.get_profile().await.unwrap();
    assert_eq!(profile.identities.keys().collect::<Vec<_>>(), ["gitlab"]);
    assert_eq!(profile.identities["gitlab"].user_id, "gl-c9");

    // A user with a password must prove it.
    let challenge = env.client.start_social_verification(&start).await.unwrap();
    let gitlab = env.client.verify_social(&challenge, [("code", "c10"), ("state", "st")]).await.unwrap();
    let refused = env.client.add_social_identity(None, &gitlab).await;
    expect_err(refused, 401, "verification_record.permission_denied");
    expect_err(
        env.client.delete_identity(None, "gitlab").await,
        401,
        "verification_record.permission_denied",
    );
    // A target that needs encoding reaches the route as one segment.
    let identity = env.password_proof().await;
    let odd = env.client.delete_identity(Some(&identity), "my conn/ee").await;
    expect_err(odd, 404, "user.identity_not_exist");
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized() {
    let env = start().await;
    let stranger = env.client.with_access_token("not-a-real-token").unwrap();
    let err = expect_err(stranger.get_profile().await, 401, "auth.unauthorized");
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert!(!format!("{err:?}").contains("not-a-real-token"));
}

#[tokio::test]
async fn a_social_only_user_sets_a_first_password_without_a_record() {
    let env = start().await;
    let social = Client::new(env.logto.base_url(), env.logto.add_social_user("s1")).unwrap();
    let profile = social.get_profile().await.unwrap();
    assert_eq!(profile.has_security_verification_method, Some(false));
    social.set_first_password(PASSWORD).await.unwrap();
    social.verify_password(PASSWORD).await.unwrap();
    // Now that there is a password, a record is needed.
    let again = social.set_first_password(NEW_PASSWORD).await;
    expect_err(again, 401, "verification_record.permission_denied");
    // And a user with an email always needed one.
    expect_err(
        env.client.set_first_password(NEW_PASSWORD).await,
        401,
        "verification_record.permission_denied",
    );
}

#[tokio::test]
async fn a_read_only_field_is_forbidden_with_its_code() {
    let env = start().await;
    env.logto.make_read_only("name");
    let result = env.client.update_profile(&ProfileChanges::new().name("Ada"), None).await;
    let err = expect_err(result, 400, "account_center.field_not_editable");
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    // Other fields stay editable.
    let profile =
        env.client.update_profile(&ProfileChanges::new().avatar("https://img.example/a.png"), None).await;
    assert_eq!(profile.unwrap().name, None);
}

#[tokio::test]
async fn register_and_bind_a_passkey() {
    let env = start().await;
    let identity = env.password_proof().await;
    let registration = env.client.start_passkey_registration().await.unwrap();
    assert!(registration.options["challenge"].is_string());
    // What a browser's `navigator.credentials.create` would hand back.
    let credential = [
        ("id", "cred-1".into()),
        ("rawId", "cred-1".into()),
        ("type", "public-key".into()),
        ("response", json_object(&[("clientDataJSON", "eyJ9"), ("attestationObject", "o2Nm")])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let passkey = env.client.verify_passkey_registration(&registration, &credential).await.unwrap();
    env.client.add_passkey(&identity, &passkey, Some("Laptop")).await.unwrap();
    assert_eq!(env.logto.passkeys_of(EMAIL), ["Laptop"]);
    // A record is good once.
    expect_err(env.client.add_passkey(&identity, &passkey, None).await, 400, "verification_record.not_found");
}

fn json_object(pairs: &[(&str, &str)]) -> accountkit::logto::JsonValue {
    accountkit::logto::JsonValue::Object(pairs.iter().map(|(k, v)| (k.to_string(), (*v).into())).collect())
}
