//! `accountkit logto ...`: a Logto user's own account (the My Account
//! API). Changes Logto guards with a verification record get one first,
//! in the same command: the password, or a code sent to the current email
//! or phone, is asked.

use accountkit::logto::{
    Address, Client, CodeTarget, CodeTemplate, JsonMap, JsonValue, Profile, ProfileChanges, SocialStart,
    StandardClaims, Verification,
};
use clap::Subcommand;
use serde_json::{Value, json};

use crate::output::print;
use crate::secrets::{ask, token};
use crate::{Common, Failure};

/// The variable the access token is read from.
const TOKEN_VAR: &str = "LOGTO_TOKEN";

#[derive(clap::Args)]
#[command(after_help = "The user's access token (an opaque one, no resource indicator) is read from\n\
                        LOGTO_TOKEN, or asked at a prompt. Passwords and codes are never arguments:\n\
                        they are asked, or read from standard input with --stdin, one per line, in\n\
                        the order the command asks for them.")]
pub struct Args {
    /// The tenant's endpoint, e.g. https://my-tenant.logto.app (--base-url
    /// overrides it).
    #[arg(long, global = true, env = "LOGTO_ENDPOINT", value_name = "URL")]
    endpoint: Option<String>,
    /// How a guarded change proves it is the user: the password, or a code
    /// sent to the account's current email or phone.
    #[arg(long, global = true, value_enum, default_value = "password", value_name = "HOW")]
    verify_with: VerifyWith,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
pub enum VerifyWith {
    Password,
    Email,
    Phone,
}

#[derive(Subcommand)]
pub enum Command {
    /// The user's profile: ids, email, phone, name, linked identities.
    ///
    /// Example: LOGTO_TOKEN=... accountkit logto profile --endpoint https://my-tenant.logto.app --json
    Profile,
    /// Changes the name, avatar, username or custom data; a username change
    /// is verified first (see --verify-with).
    ///
    /// Example: accountkit logto profile-update --name "Ada Lovelace" --username ada
    ProfileUpdate {
        #[arg(long, conflicts_with = "clear_name")]
        name: Option<String>,
        #[arg(long)]
        clear_name: bool,
        /// The avatar's URL.
        #[arg(long, conflicts_with = "clear_avatar", value_name = "URL")]
        avatar: Option<String>,
        #[arg(long)]
        clear_avatar: bool,
        #[arg(long, conflicts_with = "clear_username")]
        username: Option<String>,
        #[arg(long)]
        clear_username: bool,
        /// The custom data, a JSON object (replaces the stored one).
        #[arg(long, value_parser = json_object, value_name = "JSON")]
        custom_data: Option<JsonMap<String, JsonValue>>,
    },
    /// Sets OIDC standard claims (given name, locale, address, ...); the
    /// claims given are merged into the stored ones, which are printed.
    ///
    /// Example: accountkit logto claims-update --given-name Ada --locality London --country GB
    ClaimsUpdate(Box<Claims>),
    /// Changes the password: verified first (the current password, or a
    /// code), then the new one is asked.
    ///
    /// Example: accountkit logto password-change
    PasswordChange,
    /// Sets a first password for a user who has none, nor an email or
    /// phone (signed up through a social account); asked.
    ///
    /// Example: accountkit logto password-set
    PasswordSet,
    /// Makes EMAIL the primary email: verified first, then a code is sent
    /// to EMAIL and asked.
    ///
    /// Example: accountkit logto email-change ada@lovelace.example
    EmailChange { email: String },
    /// Removes the primary email (verified first).
    ///
    /// Example: accountkit logto email-remove
    EmailRemove,
    /// Makes PHONE (country code first) the primary phone: verified first,
    /// then a code is sent to PHONE and asked.
    ///
    /// Example: accountkit logto phone-change +15551234567
    PhoneChange { phone: String },
    /// Removes the primary phone (verified first).
    ///
    /// Example: accountkit logto phone-remove --verify-with email
    PhoneRemove,
    /// Links a social account: verified first (unless the user has nothing
    /// to verify with), then prints the address to sign in at and asks for
    /// the address the browser was sent back to.
    ///
    /// Example: accountkit logto social-link github-connector --redirect-uri https://app.example/callback
    SocialLink {
        /// The connector's id.
        connector: String,
        /// The redirect URI registered with the provider.
        #[arg(long, value_name = "URI")]
        redirect_uri: String,
        /// The OAuth scope to ask the provider for.
        #[arg(long)]
        scope: Option<String>,
    },
    /// Unlinks the social identity of a connector target, e.g. github
    /// (verified first, unless the user has nothing to verify with).
    ///
    /// Example: accountkit logto social-unlink github
    SocialUnlink { target: String },
    /// Binds a passkey as an MFA factor: verified first, then prints the
    /// WebAuthn creation options (on stderr) and asks for the
    /// authenticator's answer, its PublicKeyCredential as one line of JSON.
    ///
    /// Example: accountkit logto passkey-add --name Laptop
    PasskeyAdd {
        /// A label for the passkey.
        #[arg(long)]
        name: Option<String>,
    },
}

/// The claims `claims-update` can set; a blank value blanks a claim.
#[derive(clap::Args)]
pub struct Claims {
    #[arg(long)]
    given_name: Option<String>,
    #[arg(long)]
    family_name: Option<String>,
    #[arg(long)]
    middle_name: Option<String>,
    #[arg(long)]
    nickname: Option<String>,
    #[arg(long)]
    preferred_username: Option<String>,
    /// The profile page's URL.
    #[arg(long, value_name = "URL")]
    profile_url: Option<String>,
    #[arg(long, value_name = "URL")]
    website: Option<String>,
    #[arg(long)]
    gender: Option<String>,
    /// YYYY-MM-DD.
    #[arg(long)]
    birthdate: Option<String>,
    /// An IANA time zone, e.g. Europe/London.
    #[arg(long)]
    zoneinfo: Option<String>,
    /// A BCP 47 tag, e.g. en-GB.
    #[arg(long)]
    locale: Option<String>,
    /// The whole address as one text.
    #[arg(long)]
    formatted_address: Option<String>,
    #[arg(long)]
    street_address: Option<String>,
    /// The city.
    #[arg(long)]
    locality: Option<String>,
    #[arg(long)]
    region: Option<String>,
    #[arg(long)]
    postal_code: Option<String>,
    #[arg(long)]
    country: Option<String>,
}

impl Claims {
    fn into_claims(self) -> StandardClaims {
        let mut claims = StandardClaims::new();
        let set = |claims: StandardClaims,
                   value: Option<String>,
                   f: fn(StandardClaims, String) -> StandardClaims| {
            match value {
                Some(v) => f(claims, v),
                None => claims,
            }
        };
        claims = set(claims, self.given_name, |c, v| c.given_name(v));
        claims = set(claims, self.family_name, |c, v| c.family_name(v));
        claims = set(claims, self.middle_name, |c, v| c.middle_name(v));
        claims = set(claims, self.nickname, |c, v| c.nickname(v));
        claims = set(claims, self.preferred_username, |c, v| c.preferred_username(v));
        claims = set(claims, self.profile_url, |c, v| c.profile(v));
        claims = set(claims, self.website, |c, v| c.website(v));
        claims = set(claims, self.gender, |c, v| c.gender(v));
        claims = set(claims, self.birthdate, |c, v| c.birthdate(v));
        claims = set(claims, self.zoneinfo, |c, v| c.zoneinfo(v));
        claims = set(claims, self.locale, |c, v| c.locale(v));
        let parts = [
            (self.formatted_address, Address::formatted as fn(Address, String) -> Address),
            (self.street_address, Address::street_address),
            (self.locality, Address::locality),
            (self.region, Address::region),
            (self.postal_code, Address::postal_code),
            (self.country, Address::country),
        ];
        // An address only when a part of it is given: an empty one would
        // be sent as such.
        if parts.iter().any(|(value, _)| value.is_some()) {
            let address = parts.into_iter().fold(Address::new(), |address, (value, f)| match value {
                Some(v) => f(address, v),
                None => address,
            });
            claims = claims.address(address);
        }
        claims
    }
}

fn json_object(text: &str) -> Result<JsonMap<String, JsonValue>, String> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("is not a JSON object".into()),
        Err(e) => Err(format!("is not JSON: {e}")),
    }
}

pub async fn run(common: &Common, args: Args) -> Result<(), Failure> {
    use Command::*;
    let endpoint = common.base_url.clone().or(args.endpoint).ok_or_else(|| {
        Failure::Usage(
            "no endpoint: pass --endpoint (or set LOGTO_ENDPOINT), e.g. https://my-tenant.logto.app".into(),
        )
    })?;
    let client = Client::builder(endpoint, token(common, TOKEN_VAR, "Logto access token")?)
        .timeout(common.timeout())
        .retry(common.retry())
        .build()?;
    let how = args.verify_with;
    let stdin = common.stdin;
    let done = |message: String| print(common.json, &json!({ "message": message }));
    match args.command {
        Profile => print(common.json, &profile(&client.get_profile().await?)),
        ProfileUpdate { name, clear_name, avatar, clear_avatar, username, clear_username, custom_data } => {
            let mut changes = ProfileChanges::new();
            if let Some(name) = name {
                changes = changes.name(name);
            } else if clear_name {
                changes = changes.clear_name();
            }
            if let Some(avatar) = avatar {
                changes = changes.avatar(avatar);
            } else if clear_avatar {
                changes = changes.clear_avatar();
            }
            if let Some(username) = username {
                changes = changes.username(username);
            } else if clear_username {
                changes = changes.clear_username();
            }
            if let Some(data) = custom_data {
                changes = changes.custom_data(data);
            }
            if changes == ProfileChanges::new() {
                return Err(Failure::Usage(
                    "nothing to change: pass --name, --avatar, --username, ...".into(),
                ));
            }
            let proof = match changes.changes_username() {
                true => Some(prove(&client, how, stdin).await?),
                false => None,
            };
            print(common.json, &profile(&client.update_profile(&changes, proof.as_ref()).await?));
        }
        ClaimsUpdate(claims) => {
            let claims = claims.into_claims();
            if claims == StandardClaims::new() {
                return Err(Failure::Usage("nothing to change: pass --given-name, --locale, ...".into()));
            }
            print(common.json, &claims_json(&client.update_other_profile(&claims).await?));
        }
        PasswordChange => {
            if how == VerifyWith::Password {
                // The facade's recipe: verify, then set.
                let current = ask("current password", stdin)?;
                let new = ask("new password", stdin)?;
                client.change_password(current, new).await?;
            } else {
                let proof = prove(&client, how, stdin).await?;
                client.update_password(&proof, ask("new password", stdin)?).await?;
            }
            done("the password is changed".into());
        }
        PasswordSet => {
            client.set_first_password(ask("password", stdin)?).await?;
            done("the password is set".into());
        }
        EmailChange { email } => {
            if how == VerifyWith::Password {
                let password = ask("current password", stdin)?;
                // The code prompt runs inside the facade's recipe; its own
                // failure is kept to report rather than "no code".
                let mut failed = None;
                let asked = client
                    .change_primary_email(password, &email, async |sent_to: &str| {
                        ask(&format!("code sent to {sent_to}"), stdin).map_err(|e| failed = Some(e)).ok()
                    })
                    .await;
                if let Some(failure) = failed {
                    return Err(failure);
                }
                asked?;
            } else {
                let proof = prove(&client, how, stdin).await?;
                let owned = prove_new(&client, CodeTarget::email(email.clone()), stdin).await?;
                client.update_primary_email(&proof, &owned).await?;
            }
            done(format!("the primary email is now {email}"));
        }
        EmailRemove => {
            client.delete_primary_email(&prove(&client, how, stdin).await?).await?;
            done("the primary email is removed".into());
        }
        PhoneChange { phone } => {
            let proof = prove(&client, how, stdin).await?;
            let owned = prove_new(&client, CodeTarget::phone(phone.clone()), stdin).await?;
            client.update_primary_phone(&proof, &owned).await?;
            done(format!("the primary phone is now {phone}"));
        }
        PhoneRemove => {
            client.delete_primary_phone(&prove(&client, how, stdin).await?).await?;
            done("the primary phone is removed".into());
        }
        SocialLink { connector, redirect_uri, scope } => {
            let proof = prove_if_possible(&client, how, stdin).await?;
            let state = random_state();
            let mut start = SocialStart::new(connector, state.clone(), redirect_uri);
            if let Some(scope) = scope {
                start = start.scope(scope);
            }
            let challenge = client.start_social_verification(&start).await?;
            eprintln!("sign in at: {}", challenge.authorization_uri);
            let back = ask("the address the browser was sent back to", stdin)?;
            let callback = callback_query(accountkit::ExposeSecret::expose_secret(&back));
            // The state proves the answer comes from the sign-in started here.
            if !callback.iter().any(|(k, v)| k == "state" && *v == state) {
                return Err(Failure::Refused(
                    "the address sent back carries another state: not this sign-in".into(),
                ));
            }
            let social = client.verify_social(&challenge, callback).await?;
            client.add_social_identity(proof.as_ref(), &social).await?;
            done(format!("{} is linked", challenge.connector_id()));
        }
        SocialUnlink { target } => {
            let proof = prove_if_possible(&client, how, stdin).await?;
            client.delete_identity(proof.as_ref(), &target).await?;
            done(format!("{target} is unlinked"));
        }
        PasskeyAdd { name } => {
            let proof = prove(&client, how, stdin).await?;
            let registration = client.start_passkey_registration().await?;
            eprintln!(
                "creation options for the authenticator: {}",
                Value::Object(registration.options.clone())
            );
            let answer = ask("the authenticator's answer (JSON)", stdin)?;
            let credential = json_object(accountkit::ExposeSecret::expose_secret(&answer))
                .map_err(|why| Failure::Usage(format!("the authenticator's answer {why}")))?;
            let passkey = client.verify_passkey_registration(&registration, &credential).await?;
            client.add_passkey(&proof, &passkey, name.as_deref()).await?;
            done("the passkey is added".into());
        }
    }
    Ok(())
}

/// Proof of the user's identity: the password, or a code sent to the
/// account's current email or phone.
async fn prove(client: &Client, how: VerifyWith, stdin: bool) -> Result<Verification, Failure> {
    let to = match how {
        VerifyWith::Password => return Ok(client.verify_password(ask("current password", stdin)?).await?),
        VerifyWith::Email => client.get_profile().await?.primary_email.map(CodeTarget::email),
        VerifyWith::Phone => client.get_profile().await?.primary_phone.map(CodeTarget::phone),
    };
    let Some(to) = to else {
        return Err(Failure::Usage(
            "the account has no such address to send a code to: use --verify-with password".into(),
        ));
    };
    let challenge = client.send_code_with_template(&to, &CodeTemplate::UserPermissionValidation).await?;
    let code = ask(&format!("code sent to {}", challenge.sent_to()), stdin)?;
    Ok(client.verify_code(&challenge, code).await?)
}

/// Proof of owning a new address: a code sent to it, asked.
async fn prove_new(client: &Client, to: CodeTarget, stdin: bool) -> Result<Verification, Failure> {
    let challenge = client.send_code(&to).await?;
    let code = ask(&format!("code sent to {}", challenge.sent_to()), stdin)?;
    Ok(client.verify_code(&challenge, code).await?)
}

/// As [`prove`], except for a user with nothing to verify with (signed up
/// through a social account alone), whom Logto asks for no record.
async fn prove_if_possible(
    client: &Client,
    how: VerifyWith,
    stdin: bool,
) -> Result<Option<Verification>, Failure> {
    match client.get_profile().await?.has_security_verification_method {
        Some(false) => Ok(None),
        _ => prove(client, how, stdin).await.map(Some),
    }
}

/// An unguessable OAuth `state`: 128 bits from the randomly keyed hashers
/// the standard library seeds per process.
fn random_state() -> String {
    use std::hash::{BuildHasher, Hasher};
    let half = || {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos(),
        );
        hasher.finish()
    };
    format!("{:016x}{:016x}", half(), half())
}

/// The parameters of the address the provider sent the browser back to
/// (the whole address, or only its query).
fn callback_query(back: &str) -> Vec<(String, String)> {
    let back = back.trim();
    let query = back.split_once('?').map_or(back, |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

fn time(t: Option<accountkit::chrono::DateTime<accountkit::chrono::Utc>>) -> Value {
    t.map(|t| Value::from(t.to_rfc3339())).unwrap_or(Value::Null)
}

fn profile(p: &Profile) -> Value {
    json!({
        "id": p.id,
        "username": p.username,
        "primary_email": p.primary_email,
        "primary_phone": p.primary_phone,
        "name": p.name,
        "avatar": p.avatar,
        "custom_data": p.custom_data,
        "identities": p.identities.iter().map(|(target, i)| (target.clone(), Value::from(i.user_id.clone()))).collect::<JsonMap<_, _>>(),
        "claims": p.claims.as_ref().map(claims_json),
        "has_password": p.has_password,
        "has_security_verification_method": p.has_security_verification_method,
        "is_suspended": p.is_suspended,
        "application_id": p.application_id,
        "last_sign_in_at": time(p.last_sign_in_at),
        "created_at": time(p.created_at),
        "updated_at": time(p.updated_at),
    })
}

fn claims_json(c: &StandardClaims) -> Value {
    json!({
        "given_name": c.given_name,
        "family_name": c.family_name,
        "middle_name": c.middle_name,
        "nickname": c.nickname,
        "preferred_username": c.preferred_username,
        "profile": c.profile,
        "website": c.website,
        "gender": c.gender,
        "birthdate": c.birthdate,
        "zoneinfo": c.zoneinfo,
        "locale": c.locale,
        "address": c.address.as_ref().map(|a| json!({
            "formatted": a.formatted,
            "street_address": a.street_address,
            "locality": a.locality,
            "region": a.region,
            "postal_code": a.postal_code,
            "country": a.country,
        })),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callbacks_are_read_whole_or_as_a_query() {
        let want = vec![("code".to_string(), "a b".to_string()), ("state".to_string(), "s1".to_string())];
        assert_eq!(callback_query("https://app.example/cb?code=a+b&state=s1#frag"), want);
        assert_eq!(callback_query("code=a%20b&state=s1\n"), want);
    }

    #[test]
    fn states_differ() {
        let (a, b) = (random_state(), random_state());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
