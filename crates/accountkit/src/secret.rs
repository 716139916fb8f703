//! The one form every secret argument takes.

use secrecy::SecretString;

/// A password, token, PIN or code, as any secret argument takes it: a
/// `&str`, a `String`, a [`SecretString`] or a `&SecretString`, so a
/// literal needs no wrapping and a secret accountkit returned goes back
/// as it is.
///
/// Whatever form it arrives in, accountkit keeps it only as a
/// [`SecretString`].
///
/// ```
/// use accountkit::{ExposeSecret, IntoSecret, SecretString};
///
/// fn length(secret: impl IntoSecret) -> usize {
///     secret.into_secret().expose_secret().len()
/// }
///
/// let kept = SecretString::from("s3cret-pass");
/// assert_eq!(length("s3cret-pass"), 11);
/// assert_eq!(length(String::from("s3cret-pass")), 11);
/// assert_eq!(length(&kept), 11);
/// assert_eq!(length(kept), 11);
/// ```
pub trait IntoSecret {
    /// The secret as a [`SecretString`].
    fn into_secret(self) -> SecretString;
}

impl IntoSecret for SecretString {
    fn into_secret(self) -> SecretString {
        self
    }
}

impl IntoSecret for &SecretString {
    fn into_secret(self) -> SecretString {
        self.clone()
    }
}

impl IntoSecret for &str {
    fn into_secret(self) -> SecretString {
        SecretString::from(self)
    }
}

impl IntoSecret for String {
    fn into_secret(self) -> SecretString {
        SecretString::from(self)
    }
}

impl IntoSecret for &String {
    fn into_secret(self) -> SecretString {
        SecretString::from(self.as_str())
    }
}

impl IntoSecret for Box<str> {
    fn into_secret(self) -> SecretString {
        SecretString::from(self)
    }
}
