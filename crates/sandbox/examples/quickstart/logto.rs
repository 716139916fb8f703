//! The Logto My Account tour: profile, verification records, the password
//! and email recipes, a phone, a social identity.

use accountkit::ErrorKind;
use accountkit::logto::{
    Client, CodeTarget, JsonMap, JsonValue, Profile, ProfileChanges, SocialStart, Verification,
};
use accountkit_sandbox::Sandbox;
use accountkit_sandbox::logto::SOCIAL_CONNECTOR_ID;

use crate::{Fallible, expect_error, step};

const EMAIL: &str = "grace@example.com";
const NEW_EMAIL: &str = "grace@navy.example";
const PHONE: &str = "+15551234567";
// Throwaway passwords of a throwaway sandbox user; never printed anyway.
const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "tr0ub4dor&3 again";

pub async fn lifecycle(sandbox: &Sandbox) -> Fallible {
    let logto = sandbox.logto();
    // Stands in for the user's sign-in: an opaque access token.
    let client = Client::new(logto.base_url(), logto.add_user(EMAIL, PASSWORD))?;
    println!("\nLogto sandbox at {}\n", client.base_url());

    let profile = client.get_profile().await?;
    step("get_profile", "the signed-in user:");
    print_profile(&profile);

    let changes = ProfileChanges::new().name("Grace Hopper").avatar("https://img.example/grace.png");
    let profile = client.update_profile(&changes, None).await?;
    step("update_profile", &format!("name {:?}, avatar {:?}", profile.name, profile.avatar));
    let profile = client.update_profile(&ProfileChanges::new().clear_avatar(), None).await?;
    step(
        "update_profile",
        &format!("avatar cleared (sent null): {:?}; name kept: {:?}", profile.avatar, profile.name),
    );

    expect_error(
        "username unproven",
        client.update_profile(&ProfileChanges::new().username("grace"), None).await,
        ErrorKind::InvalidInput,
    )?;
    let proof = client.verify_password(PASSWORD).await?;
    step("verify_password", &describe(&proof));
    let profile = client.update_profile(&ProfileChanges::new().username("grace"), Some(&proof)).await?;
    step("update_profile", &format!("username is now {:?}", profile.username));

    client.change_password(PASSWORD, NEW_PASSWORD).await?;
    step("password recipe", "verified with the old password, then set the new one");
    expect_error("verify (old pwd)", client.verify_password(PASSWORD).await, ErrorKind::Validation)?;

    let codes = logto.clone();
    client.change_primary_email(NEW_PASSWORD, NEW_EMAIL, async |to: &str| codes.latest_code(to)).await?;
    step("email recipe", &format!("code read from the outbox; primary email is now {NEW_EMAIL}"));

    let proof = client.verify_password(NEW_PASSWORD).await?;
    let challenge = client.send_code(&CodeTarget::phone(PHONE)).await?;
    step(
        "send_code",
        &format!("a code went to {} (expires {})", challenge.sent_to(), challenge.expires_at().to_rfc3339()),
    );
    let code = logto.latest_code(challenge.sent_to()).ok_or("the sandbox sent no code")?;
    let phone = client.verify_code(&challenge, code).await?;
    client.update_primary_phone(&proof, &phone).await?;
    step("primary phone", &format!("primary phone set from a {}", describe(&phone)));

    let start = SocialStart::new(SOCIAL_CONNECTOR_ID, "tour-state", "https://app.example/callback");
    let social = client.start_social_verification(&start).await?;
    step("start_social", &format!("send the user to {}", social.authorization_uri));
    let social = client.verify_social(&social, [("code", "tour"), ("state", "tour-state")]).await?;
    client.add_social_identity(Some(&proof), &social).await?;
    step("link social", "github linked");
    client.delete_identity(Some(&proof), "github").await?;
    step("delete_identity", "github unlinked");

    let registration = client.start_passkey_registration().await?;
    step(
        "passkey options",
        &format!("{} WebAuthn creation options for the authenticator", registration.options.len()),
    );
    // What a browser's `navigator.credentials.create` would hand back.
    let credential = credential_object(
        &[("id", "cred-1"), ("rawId", "cred-1")],
        &[("clientDataJSON", "eyJ9"), ("attestationObject", "o2Nm")],
    );
    let passkey = client.verify_passkey_registration(&registration, &credential).await?;
    client.add_passkey(&proof, &passkey, Some("Laptop")).await?;
    step("add_passkey", &format!("bound; passkeys now: {:?}", logto.passkeys_of(NEW_EMAIL)));

    let stale = Verification::from_parts(proof.id().clone(), proof.expires_at() - minutes(11));
    expect_error("expired record", client.delete_primary_phone(&stale).await, ErrorKind::Expired)?;

    let profile = client.get_profile().await?;
    step("get_profile", "after the tour:");
    print_profile(&profile);
    Ok(())
}

fn minutes(minutes: u64) -> std::time::Duration {
    std::time::Duration::from_secs(minutes * 60)
}

fn describe(record: &Verification) -> String {
    format!(
        "record [REDACTED] proving {:?}, valid until {}",
        record.proof(),
        record.expires_at().to_rfc3339()
    )
}

fn print_profile(profile: &Profile) {
    let show = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_string());
    let created = profile.created_at.map_or("-".to_string(), |d| d.to_rfc3339());
    let identities: Vec<&str> = profile.identities.keys().map(String::as_str).collect();
    for (label, value) in [
        ("name", show(&profile.name)),
        ("username", show(&profile.username)),
        ("email", show(&profile.primary_email)),
        ("phone", show(&profile.primary_phone)),
        ("social", if identities.is_empty() { "-".to_string() } else { identities.join(", ") }),
        ("created", created),
    ] {
        println!("{:22}{label:9}{value}", "");
    }
}

/// A credential object: top-level strings plus a `response` object.
fn credential_object(top: &[(&str, &str)], response: &[(&str, &str)]) -> JsonMap<String, JsonValue> {
    let strings = |pairs: &[(&str, &str)]| -> JsonMap<String, JsonValue> {
        pairs.iter().map(|(k, v)| (k.to_string(), JsonValue::from(*v))).collect()
    };
    let mut credential = strings(top);
    credential.insert("response".into(), JsonValue::Object(strings(response)));
    credential
}
