//! `accountkit`: account operations of the vendors accountkit speaks, from
//! a terminal, on top of the facade (no redirect followed, no secret
//! printed, typed errors, retries only where safe).

use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand};

mod cycle;
mod logto;
mod output;
mod pangea;
mod profiles;
mod secrets;
mod stx;
mod tagoio;

/// Exit statuses a script can branch on.
const EXIT_CODES: &str = "\
Exit status: 0 done, 1 any other failure, 2 usage, 3 unauthorized,
4 forbidden, 5 not found, 6 conflict, 7 refused as invalid (by the service
or before sending), 8 rate limited, 9 transport or timeout, 10 server error,
11 an answer that is not what the API describes, 12 a second factor is needed.";

#[derive(Parser)]
#[command(
    name = "accountkit",
    version,
    about = "Account operations of TagoIO, Cycle, Logto, Pangea AuthN and STX, from a terminal."
)]
#[command(after_help = EXIT_CODES)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Top,
}

/// Options every provider command takes.
#[derive(clap::Args, Clone)]
struct Common {
    /// Talk to this server instead of the provider's (the sandbox, say).
    #[arg(long, global = true, value_name = "URL")]
    base_url: Option<String>,
    /// The time a request may take, in seconds.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 30)]
    timeout: u64,
    /// How often a failed read is sent again (0: never).
    #[arg(long, global = true, value_name = "N", default_value_t = 2)]
    retries: u32,
    /// Print exactly one JSON document on stdout.
    #[arg(long, global = true)]
    json: bool,
    /// Read the password or code from standard input instead of prompting.
    #[arg(long, global = true)]
    stdin: bool,
    /// Take the token and base URL from this saved profile (see
    /// `accountkit profiles`).
    #[arg(long, global = true, value_name = "NAME", env = "ACCOUNTKIT_PROFILE")]
    config_profile: Option<String>,
    /// The token of the profile in use, if it keeps one.
    #[arg(skip)]
    saved_token: Option<accountkit::SecretString>,
}

impl Common {
    fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout.max(1))
    }

    /// These options with what the profile in use keeps for `provider`: its
    /// base URL unless `--base-url` is given, and its token.
    fn with_profile(mut self, provider: &str) -> Result<Common, Failure> {
        if let Some(saved) = profiles::selected(&self, provider)? {
            if self.base_url.is_none() {
                self.base_url = saved.base_url().map(str::to_string);
            }
            self.saved_token = saved.token();
        }
        Ok(self)
    }

    fn retry(&self) -> accountkit::RetryPolicy {
        match self.retries {
            0 => accountkit::RetryPolicy::none(),
            n => accountkit::RetryPolicy::default().max_attempts(n.saturating_add(1)),
        }
    }
}

#[derive(Subcommand)]
enum Top {
    /// TagoIO: the account, its logins, tokens and second factors.
    Tagoio(tagoio::Args),
    /// Cycle: the account, its logins, invitations, hubs and two-factor auth.
    Cycle(cycle::Args),
    /// Logto: the signed-in user's profile, email, phone, password, social
    /// identities and passkeys.
    Logto(logto::Args),
    /// Pangea AuthN: users, their profiles and authenticators.
    Pangea(pangea::Args),
    /// STX (SportsX): login with 2FA, the profile, password and 2FA
    /// settings, a session kept between commands.
    Stx(stx::Args),
    /// Prints a completion script: `accountkit completions bash > ...`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Saved profiles: a token and a base URL per provider, used with
    /// `--config-profile NAME`.
    Profiles(profiles::Args),
    /// Writes the man pages (one per command) into a directory.
    Man {
        /// Where to write them.
        dir: std::path::PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Top::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "accountkit", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Top::Man { dir } => match clap_mangen::generate_to(Cli::command(), &dir) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: cannot write the man pages into {}: {e}", dir.display());
                ExitCode::FAILURE
            }
        },
        Top::Profiles(args) => run(async { profiles::run(&cli.common, args) }),
        Top::Tagoio(args) => run(async { tagoio::run(&cli.common.with_profile("tagoio")?, args).await }),
        Top::Pangea(args) => run(async { pangea::run(&cli.common.with_profile("pangea")?, args).await }),
        Top::Cycle(args) => run(async { cycle::run(&cli.common.with_profile("cycle")?, args).await }),
        Top::Logto(args) => run(async { logto::run(&cli.common.with_profile("logto")?, args).await }),
        // STX keeps its session in `--session-file`, not in a profile.
        Top::Stx(args) => run(stx::run(&cli.common, args)),
    }
}

/// Runs a provider command on a runtime of its own; prints its one-line
/// error and returns the exit status of its kind.
fn run(work: impl Future<Output = Result<(), Failure>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(work) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Api(e)) => {
            eprintln!("{} {}", output::error_prefix(), output::error_line(&e));
            ExitCode::from(exit_status(e.kind()))
        }
        Err(Failure::Noted(e, note)) => {
            eprintln!("{} {}; {note}", output::error_prefix(), output::error_line(&e));
            ExitCode::from(exit_status(e.kind()))
        }
        Err(Failure::Usage(why)) => {
            eprintln!("{} {why}", output::error_prefix());
            ExitCode::from(2)
        }
        Err(Failure::Refused(why)) => {
            eprintln!("{} {why}", output::error_prefix());
            ExitCode::from(7)
        }
    }
}

/// Why a command failed.
enum Failure {
    /// The provider's error, with its kind.
    Api(accountkit::Error),
    /// The same, with what the command can add to it.
    Noted(accountkit::Error, String),
    /// Something the user must give differently (a missing token, say).
    Usage(String),
    /// Something refused before sending, as invalid (exit 7, as the
    /// service's own refusals).
    Refused(String),
}

impl From<accountkit::Error> for Failure {
    fn from(e: accountkit::Error) -> Self {
        Failure::Api(e)
    }
}

fn exit_status(kind: accountkit::ErrorKind) -> u8 {
    use accountkit::ErrorKind::*;
    match kind {
        Unauthorized => 3,
        Forbidden => 4,
        NotFound => 5,
        Conflict => 6,
        Validation | InvalidInput => 7,
        RateLimited => 8,
        Transport => 9,
        Server => 10,
        Decode => 11,
        SecondFactorRequired => 12,
        _ => 1,
    }
}
