//! Named profiles: a token and a base URL per provider, kept in a file only
//! its owner can read (`profiles.json` under the platform's config
//! directory, or the file `ACCOUNTKIT_CONFIG` names).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use accountkit::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{Common, Failure, output, secrets};

/// The file's path: `ACCOUNTKIT_CONFIG`, or the platform's config directory.
fn path() -> Result<PathBuf, Failure> {
    if let Some(file) = std::env::var_os("ACCOUNTKIT_CONFIG").filter(|f| !f.is_empty()) {
        return Ok(PathBuf::from(file));
    }
    dirs::config_dir().map(|dir| dir.join("accountkit").join("profiles.json")).ok_or_else(|| {
        Failure::Usage("no config directory on this platform: set ACCOUNTKIT_CONFIG to a file".into())
    })
}

/// What a profile keeps for one provider.
#[derive(Serialize, Deserialize, Default, Clone)]
pub struct Saved {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    base_url: Option<String>,
}

impl Saved {
    pub fn token(&self) -> Option<SecretString> {
        self.token.clone().map(SecretString::from)
    }

    pub fn base_url(&self) -> Option<&str> {
        self.base_url.as_deref()
    }
}

/// Profile name, then provider.
type Profiles = BTreeMap<String, BTreeMap<String, Saved>>;

fn load(file: &Path) -> Result<Profiles, Failure> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Profiles::new()),
        Err(e) => return Err(Failure::Usage(format!("cannot read {}: {e}", file.display()))),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(file).map(|m| m.permissions().mode()).unwrap_or(0);
        // As ssh does with a key: tokens others can read are refused.
        if mode & 0o077 != 0 {
            return Err(Failure::Usage(format!(
                "{} can be read by others (mode {:o}): run `chmod 600` on it",
                file.display(),
                mode & 0o777
            )));
        }
    }
    // serde_json's message can quote the file, which holds tokens.
    serde_json::from_str(&text).map_err(|e| {
        Failure::Usage(format!(
            "{} is not a profiles file (line {}, column {})",
            file.display(),
            e.line(),
            e.column()
        ))
    })
}

/// Writes the file whole, owner-only, through a temporary file renamed over
/// it, so that a reader never sees half of it.
fn store(file: &Path, profiles: &Profiles) -> Result<(), Failure> {
    let fail = |e: std::io::Error| Failure::Usage(format!("cannot write {}: {e}", file.display()));
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(fail)?;
    }
    let text = serde_json::to_string_pretty(profiles).map_err(|e| fail(std::io::Error::other(e)))?;
    let temporary = file.with_extension(format!("tmp{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|mut out| {
        use std::io::Write as _;
        out.write_all(text.as_bytes())?;
        out.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&temporary, file)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&temporary);
            Err(fail(e))
        }
    }
}

/// What the profile named by `--config-profile` (or, without one, the
/// profile `default` if there is one) keeps for `provider`.
pub fn selected(common: &Common, provider: &str) -> Result<Option<Saved>, Failure> {
    let (name, chosen) = match &common.config_profile {
        Some(name) => (name.as_str(), true),
        None => ("default", false),
    };
    let file = path()?;
    if !chosen && !file.exists() {
        return Ok(None);
    }
    let profiles = load(&file)?;
    match profiles.get(name).and_then(|p| p.get(provider)) {
        Some(saved) => Ok(Some(saved.clone())),
        None if chosen => Err(Failure::Usage(format!(
            "the profile `{name}` has nothing for {provider}: `accountkit profiles save {name} {provider}`"
        ))),
        None => Ok(None),
    }
}

/// `accountkit profiles ...`.
#[derive(clap::Args)]
#[command(after_help = "Profiles live in profiles.json under the platform's config directory (e.g.\n\
                        ~/.config/accountkit on Linux), or in the file ACCOUNTKIT_CONFIG names; the file is\n\
                        written owner-only and refused if others can read it. A provider command takes\n\
                        --config-profile NAME (or ACCOUNTKIT_PROFILE); without one it uses the profile\n\
                        `default` where that has the provider. A token in the provider's environment\n\
                        variable wins over `default`, not over a profile named on the command line.")]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Saves a token (asked, or read with --stdin) and a base URL for a
    /// provider under a profile name.
    ///
    /// Example: accountkit profiles save work tagoio --base-url https://api.eu-w1.tago.io
    Save {
        /// The profile's name.
        name: String,
        /// tagoio, cycle, logto or pangea (STX keeps its session in --session-file).
        #[arg(value_parser = ["tagoio", "cycle", "logto", "pangea"])]
        provider: String,
        /// Keep no token, only the base URL.
        #[arg(long)]
        no_token: bool,
    },
    /// Lists the profiles, their providers and base URLs (never a token).
    ///
    /// Example: accountkit profiles list --json
    List,
    /// Removes a profile, or one provider from it.
    ///
    /// Example: accountkit profiles remove work cycle
    Remove {
        /// The profile's name.
        name: String,
        /// Only this provider.
        provider: Option<String>,
    },
}

pub fn run(common: &Common, args: Args) -> Result<(), Failure> {
    let file = path()?;
    match args.command {
        Command::Save { name, provider, no_token } => {
            let mut profiles = load(&file)?;
            let token = match no_token {
                true => None,
                false => Some(secrets::ask(&format!("{provider} token"), common.stdin)?),
            };
            let saved = Saved {
                token: token.map(|t| t.expose_secret().to_string()),
                base_url: common.base_url.clone(),
            };
            profiles.entry(name.clone()).or_default().insert(provider.clone(), saved);
            store(&file, &profiles)?;
            output::print(common.json, &json!({"saved": name, "provider": provider, "file": file}));
        }
        Command::List => {
            let profiles = load(&file)?;
            let listed: Vec<Value> = profiles
                .iter()
                .map(|(name, providers)| {
                    let providers: serde_json::Map<String, Value> = providers
                        .iter()
                        .map(|(provider, saved)| {
                            let shown = json!({"token": saved.token.is_some(), "base_url": saved.base_url});
                            (provider.clone(), shown)
                        })
                        .collect();
                    json!({"name": name, "providers": providers})
                })
                .collect();
            output::print(common.json, &Value::Array(listed));
        }
        Command::Remove { name, provider } => {
            let mut profiles = load(&file)?;
            let removed = match &provider {
                None => profiles.remove(&name).is_some(),
                Some(provider) => {
                    let gone = profiles.get_mut(&name).is_some_and(|p| p.remove(provider).is_some());
                    if profiles.get(&name).is_some_and(BTreeMap::is_empty) {
                        profiles.remove(&name);
                    }
                    gone
                }
            };
            if !removed {
                return Err(Failure::Usage(format!("no profile `{name}` to remove that from")));
            }
            store(&file, &profiles)?;
            output::print(common.json, &json!({"removed": name, "provider": provider}));
        }
    }
    Ok(())
}
