//! A tour of accountkit.
//!
//! By default it starts the sandbox and, for each provider, walks one account
//! through its whole life. TagoIO: create, confirm, log in, make a token, turn
//! on email 2FA, edit, change the password and delete.
//! Cycle: update, list logins page by page, change and reset the password,
//! turn on TOTP 2FA, recover it with a recovery code, turn it off, delete.
//! Logto: profile edits (set and clear), verification records, the password
//! and email recipes, a new phone, a social identity linked and unlinked,
//! a passkey bound.
//! Pangea AuthN: create a user, edit its profile, disable and unlock it,
//! its authenticators, a session and a password change, thousands of users
//! streamed page by page, a 202 polled to its answer, delete.
//! STX (GraphQL): register, log in, turn on 2FA, log in with the emailed
//! code, refresh the token before expiry and after a refusal, change the
//! password with 2FA, log out, reset the password.
//!
//! With `TAGOIO_TOKEN` and either `TAGOIO_BASE_URL` or `TAGOIO_REGION`
//! (`us-e1`, `eu-w1`) set, it only reads the account that token belongs to
//! from the real server, and changes nothing.
//!
//! ```text
//! cargo run --example quickstart
//! TAGOIO_REGION=us-e1 TAGOIO_TOKEN=... cargo run --example quickstart
//! ```

use std::process::ExitCode;

use accountkit::ErrorKind;
use accountkit_sandbox::Sandbox;

mod cycle;
mod logto;
mod pangea;
mod stx;
mod tagoio;

type Fallible<T = ()> = Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nquickstart failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Fallible {
    // A real server named in the environment: a read-only look at it alone.
    if let Some((region, token)) = tagoio::real_server()? {
        return tagoio::read_only(region, token).await;
    }
    let sandbox = Sandbox::start().await?;
    // One tour per provider, one after another.
    tagoio::lifecycle(&sandbox).await?;
    pangea::lifecycle(&sandbox).await?;
    logto::lifecycle(&sandbox).await?;
    cycle::lifecycle(&sandbox).await?;
    stx::lifecycle(&sandbox).await?;
    println!("\nDone: every account went through its whole life on the sandbox.");
    Ok(())
}

/// Shows an error that is part of the tour, and fails unless it is the kind expected.
pub fn expect_error<T>(name: &str, result: accountkit::Result<T>, kind: ErrorKind) -> Fallible {
    match result {
        Ok(_) => Err(format!("{name}: succeeded, but should have failed with {kind:?}").into()),
        Err(e) if e.kind() == kind => {
            step(name, &format!("fails as expected ({kind:?}):"));
            println!("{:22}{e}", "");
            Ok(())
        }
        Err(e) => Err(format!("{name}: expected {kind:?}, got: {e}").into()),
    }
}

pub fn step(name: &str, detail: &str) {
    println!("  ✓ {name:18}{detail}");
}
