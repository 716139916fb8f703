//! Where secrets come from: never the command line (it shows in `ps` and
//! in shell history), but the environment, a prompt without echo, or
//! standard input with `--stdin`.

use accountkit::SecretString;
use std::io::{BufRead, IsTerminal};

use crate::{Common, Failure};

/// The token of the profile named with `--config-profile`; else the one in
/// the environment variable `var`; else the `default` profile's; else one
/// typed at a prompt.
pub fn token(common: &Common, var: &str, what: &str) -> Result<SecretString, Failure> {
    match (&common.config_profile, &common.saved_token) {
        (Some(_), Some(saved)) => Ok(saved.clone()),
        (None, Some(saved)) => Ok(from_env(var).unwrap_or_else(|| saved.clone())),
        (_, None) => env_or_prompt(var, what),
    }
}

/// The token in the environment variable `var`, or typed at a prompt.
pub fn env_or_prompt(var: &str, what: &str) -> Result<SecretString, Failure> {
    match from_env(var) {
        Some(token) => Ok(token),
        None if std::io::stdin().is_terminal() => prompt(&format!("{what} (or set {var}): ")),
        None => Err(Failure::Usage(format!("no token: set {var}"))),
    }
}

fn from_env(var: &str) -> Option<SecretString> {
    std::env::var(var).ok().filter(|token| !token.is_empty()).map(SecretString::from)
}

/// A password or code: one line of standard input with `--stdin`, or typed
/// at a prompt. Each call with `--stdin` reads the next line.
pub fn ask(what: &str, from_stdin: bool) -> Result<SecretString, Failure> {
    ask_or_empty(what, from_stdin)?.ok_or_else(|| match from_stdin {
        true => Failure::Usage(format!("no {what} on standard input")),
        false => Failure::Usage(format!("no {what} typed")),
    })
}

/// As [`ask`], with `None` for an empty line (a request to send a code
/// again, say).
pub fn ask_or_empty(what: &str, from_stdin: bool) -> Result<Option<SecretString>, Failure> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::Usage(format!("cannot read the {what} from standard input: {e}")))?;
        let line = line.trim_end_matches(['\r', '\n']);
        return Ok((!line.is_empty()).then(|| SecretString::from(line)));
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::Usage(format!(
            "the {what} is asked at a terminal; pass --stdin to read it from a pipe"
        )));
    }
    let typed = prompt(&format!("{what}: "))?;
    Ok((!accountkit::ExposeSecret::expose_secret(&typed).is_empty()).then_some(typed))
}

fn prompt(text: &str) -> Result<SecretString, Failure> {
    rpassword::prompt_password(text)
        .map(SecretString::from)
        .map_err(|e| Failure::Usage(format!("cannot read from the terminal: {e}")))
}
