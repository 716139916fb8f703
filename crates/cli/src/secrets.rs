//! Where secrets come from: never the command line (it shows in `ps` and
//! in shell history), but the environment, a prompt without echo, or
//! standard input with `--stdin`.

use accountkit::SecretString;
use std::io::{BufRead, IsTerminal};

use crate::Failure;

/// The token in the environment variable `var`, or typed at a prompt.
pub fn token(var: &str, what: &str) -> Result<SecretString, Failure> {
    match std::env::var(var) {
        Ok(token) if !token.is_empty() => Ok(SecretString::from(token)),
        _ if std::io::stdin().is_terminal() => prompt(&format!("{what} (or set {var}): ")),
        _ => Err(Failure::Usage(format!("no token: set {var}"))),
    }
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
