//! `accountkit pangea ...`: Pangea AuthN user management.

use accountkit::pangea::{Client, NewUser, ProfileChanges, User, UserList, UserRef, UserUpdate};
use clap::Subcommand;
use serde_json::{Value, json};

use crate::output::{lines, print};
use crate::secrets::token;
use crate::{Common, Failure};

/// The variable the service token is read from.
const TOKEN_VAR: &str = "PANGEA_TOKEN";

#[derive(clap::Args)]
#[command(after_help = "The service token (pts_...) is read from PANGEA_TOKEN, or asked at a prompt.")]
pub struct Args {
    /// The cluster's domain, e.g. aws.us.pangea.cloud (--base-url overrides it).
    #[arg(long, default_value = "aws.us.pangea.cloud")]
    domain: String,
    #[command(subcommand)]
    command: Command,
}

/// Exactly one way to name a user.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub struct Who {
    /// The user's id (pui_...).
    #[arg(long)]
    id: Option<String>,
    /// The user's email.
    #[arg(long)]
    email: Option<String>,
    /// The user's username.
    #[arg(long)]
    username: Option<String>,
}

impl Who {
    fn user(self) -> UserRef {
        match (self.id, self.email, self.username) {
            (Some(id), _, _) => UserRef::id(id),
            (_, Some(email), _) => UserRef::email(email),
            (_, _, username) => UserRef::username(username.unwrap_or_default()),
        }
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// Creates a user.
    ///
    /// Example: accountkit pangea user-create ada@example.com --profile first_name=Ada
    UserCreate {
        email: String,
        #[arg(long)]
        username: Option<String>,
        /// A profile field, KEY=VALUE (repeatable).
        #[arg(long, value_parser = key_value)]
        profile: Vec<(String, String)>,
    },
    /// One user and its profile.
    ///
    /// Example: accountkit pangea user-get --email ada@example.com
    UserGet {
        #[command(flatten)]
        who: Who,
    },
    /// Every user, page after page; with --json, one JSON document per line.
    ///
    /// Example: accountkit pangea users --json | jq -r .email
    Users {
        /// Users asked for per request.
        #[arg(long, default_value_t = 100)]
        page_size: u32,
    },
    /// Sets or removes profile fields.
    ///
    /// Example: accountkit pangea profile-update --email ada@example.com --set city=London --remove phone
    ProfileUpdate {
        #[command(flatten)]
        who: Who,
        /// KEY=VALUE (repeatable).
        #[arg(long, value_parser = key_value)]
        set: Vec<(String, String)>,
        /// A field to remove (repeatable).
        #[arg(long)]
        remove: Vec<String>,
    },
    /// Disables a user: it can no longer log in.
    ///
    /// Example: accountkit pangea user-disable --email ada@example.com
    UserDisable {
        #[command(flatten)]
        who: Who,
    },
    /// Enables a disabled user.
    ///
    /// Example: accountkit pangea user-enable --email ada@example.com
    UserEnable {
        #[command(flatten)]
        who: Who,
    },
    /// Lifts the lock-out that failed logins put on a user.
    ///
    /// Example: accountkit pangea user-unlock --email ada@example.com
    UserUnlock {
        #[command(flatten)]
        who: Who,
    },
    /// A user's authenticators (password, passkeys, social logins, ...).
    ///
    /// Example: accountkit pangea authenticators --email ada@example.com
    Authenticators {
        #[command(flatten)]
        who: Who,
    },
    /// Deletes a user, for good.
    ///
    /// Example: accountkit pangea user-delete --email ada@example.com --yes
    UserDelete {
        #[command(flatten)]
        who: Who,
        /// Required: there is no undo.
        #[arg(long)]
        yes: bool,
    },
}

fn key_value(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("`{text}` is not KEY=VALUE"))
}

pub async fn run(common: &Common, args: Args) -> Result<(), Failure> {
    use Command::*;
    let mut builder = Client::builder(token(common, TOKEN_VAR, "Pangea service token")?)
        .domain(args.domain)
        .timeout(common.timeout())
        .retry(common.retry());
    if let Some(url) = &common.base_url {
        builder = builder.base_url(url.clone());
    }
    let service = builder.build()?;
    let update = |who: Who, update: UserUpdate| {
        let service = &service;
        async move { Ok::<_, Failure>(user_json(&service.user_update(&who.user(), &update).await?.into_inner())) }
    };
    let shown = match args.command {
        UserCreate { email, username, profile } => {
            let mut new = NewUser::new(email);
            if let Some(username) = username {
                new = new.username(username);
            }
            for (key, value) in profile {
                new = new.profile(key, value);
            }
            user_json(&service.user_create(&new).await?.into_inner())
        }
        UserGet { who } => user_json(&service.user_profile_get(&who.user()).await?.into_inner()),
        Users { page_size } => {
            return lines(common.json, service.users(&UserList::new().size(page_size)).items(), user_json)
                .await;
        }
        ProfileUpdate { who, set, remove } => {
            let mut changes = ProfileChanges::new();
            for (key, value) in set {
                changes = changes.set(key, value);
            }
            for key in remove {
                changes = changes.remove(key);
            }
            user_json(&service.user_profile_update(&who.user(), &changes).await?.into_inner())
        }
        UserDisable { who } => update(who, UserUpdate::new().disabled(true)).await?,
        UserEnable { who } => update(who, UserUpdate::new().disabled(false)).await?,
        UserUnlock { who } => update(who, UserUpdate::new().unlock()).await?,
        Authenticators { who } => {
            let list = service.user_authenticators_list(&who.user()).await?;
            Value::Array(
                list.iter()
                    .map(|a| json!({"id": a.id, "kind": a.kind.as_str(), "enabled": a.enabled, "provider": a.provider}))
                    .collect(),
            )
        }
        UserDelete { who, yes } => {
            if !yes {
                return Err(Failure::Usage("deleting a user cannot be undone: add --yes".into()));
            }
            let deleted = service.user_delete(&who.user()).await?;
            json!({"deleted": true, "request_id": deleted.request_id})
        }
    };
    print(common.json, &shown);
    Ok(())
}

fn user_json(user: &User) -> Value {
    json!({
        "id": user.id,
        "email": user.email,
        "username": user.username,
        "profile": user.profile,
        "verified": user.verified,
        "disabled": user.disabled,
        "locked_out": user.locked_out,
        "created_at": user.created_at.map(|t| t.to_rfc3339()),
        "last_login_at": user.last_login_at.map(|t| t.to_rfc3339()),
    })
}
