//! The Pangea AuthN user lifecycle.

use std::time::Duration;

use accountkit::pangea::{
    Client, NewUser, Order, Polling, ProfileChanges, User, UserFilter, UserList, UserOrderBy, UserRef,
    UserUpdate, field_errors,
};
use accountkit::{ErrorKind, SecretString};
use accountkit_sandbox::Sandbox;
use futures::TryStreamExt;

use crate::{Fallible, expect_error, step};

const EMAIL: &str = "grace@example.com";
// Throwaway passwords of a throwaway sandbox user; never printed anyway.
const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "tr0ub4dor&3";

pub async fn lifecycle(sandbox: &Sandbox) -> Fallible {
    let pangea = sandbox.pangea();
    // Polls of a 202 answer come quickly on the sandbox.
    let polling =
        Polling::new(Duration::from_secs(5)).backoff(Duration::from_millis(20), Duration::from_millis(200));
    let service =
        Client::builder(pangea.service_token()).base_url(pangea.base_url()).polling(polling).build()?;
    let client = Client::builder(pangea.client_token()).base_url(pangea.base_url()).build()?;
    println!("\nPangea AuthN sandbox at {}\n", service.base_url());

    let created =
        service.user_create(&NewUser::new(EMAIL).username("grace").profile("first_name", "Grace")).await?;
    step("user_create", &format!("{} (request {})", created.id, created.request_id));
    let grace = UserRef::from(&created.result);

    let by_name = service.user_profile_get(&UserRef::username("grace")).await?;
    step("user_profile_get", "by username:");
    print_user(&by_name);

    let changes = ProfileChanges::new().set("city", "Arlington").remove("first_name");
    let updated = service.user_profile_update(&grace, &changes).await?;
    step("profile_update", &format!("set city, deleted first_name: {:?}", updated.profile));

    let disabled = service.user_update(&grace, &UserUpdate::new().disabled(true)).await?;
    step("user_update", &format!("disabled: {}", disabled.disabled));
    pangea.lock_out(EMAIL);
    let back = service.user_update(&grace, &UserUpdate::new().disabled(false).unlock()).await?;
    step(
        "user_update",
        &format!("enabled and unlocked: disabled {}, locked out {}", back.disabled, back.locked_out),
    );

    pangea.set_password(EMAIL, PASSWORD);
    pangea.add_authenticator(EMAIL, "totp").ok_or("the sandbox has no such user")?;
    let authenticators = service.user_authenticators_list(&grace).await?;
    let kinds: Vec<&str> = authenticators.iter().map(|a| a.kind.as_str()).collect();
    step("authenticators", &kinds.join(", "));
    let totp = authenticators.iter().find(|a| a.kind.as_str() == "totp").ok_or("no totp authenticator")?;
    service.user_authenticators_delete(&grace, &totp.id).await?;
    step("authenticator del", &format!("{} removed", totp.id));

    let code = pangea.login_code(EMAIL).ok_or("the sandbox has no such user")?;
    let session = client.client_userinfo(code, None).await?;
    let active = session.active_token.as_ref().ok_or("the session has no active token")?;
    let life = active.life.map_or("unknown".to_string(), |s| format!("{s} s"));
    let owner = active.email.as_deref().unwrap_or("?");
    step("client_userinfo", &format!("user token [REDACTED] for {owner}, valid for {life}"));
    let (old, new) = (SecretString::from(PASSWORD), SecretString::from(NEW_PASSWORD));
    let changed = client.client_password_change(&active.token, &old, &new).await?;
    step("password_change", &format!("done (request {})", changed.request_id));
    expect_error(
        "password (again)",
        client.client_password_change(&active.token, &old, &new).await,
        ErrorKind::Validation,
    )?;

    let odd = UserList::new().order_by(UserOrderBy::Other("shoe_size".into()));
    let err = service.user_list(&odd).await.err().ok_or("an unknown sort field was accepted")?;
    if err.kind() != ErrorKind::Validation {
        return Err(format!("user_list: expected a validation error, got: {err}").into());
    }
    let details: Vec<String> =
        field_errors(&err).iter().map(|e| format!("{} at {}", e.code, e.source)).collect();
    step("user_list", &format!("refused by the server: {}", details.join("; ")));

    pangea.seed_users(2_500);
    let query = UserList::new().size(500).order_by(UserOrderBy::CreatedAt).order(Order::Asc);
    let users: Vec<User> = service.users(&query).items().try_collect().await?;
    step("users (stream)", &format!("{} users in pages of 500", users.len()));
    let filter = UserFilter::new().email_contains(["@example.com"]);
    let ours: Vec<User> = service.users(&UserList::new().filter(filter)).items().try_collect().await?;
    step("users (filter)", &format!("{} with an @example.com address", ours.len()));

    pangea.accept_next(2);
    let polled = service.user_profile_get(&grace).await?;
    step("202 accepted", &format!("polled to the answer: {}", polled.email));

    service.user_delete(&grace).await?;
    step("user_delete", &created.id);
    expect_error("get (deleted)", service.user_profile_get(&grace).await, ErrorKind::NotFound)?;
    Ok(())
}

fn print_user(user: &User) {
    let created = user.created_at.map_or("unknown".to_string(), |d| d.to_rfc3339());
    for (label, value) in [
        ("id", user.id.as_str()),
        ("email", user.email.as_str()),
        ("username", user.username.as_deref().unwrap_or("-")),
        ("created", created.as_str()),
    ] {
        println!("{:22}{label:9}{value}", "");
    }
}
