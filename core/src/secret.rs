//! A string that must not leak: tokens, authorization codes, MFA tokens.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// A secret string (a token, an authorization code...).
///
/// Its `Debug` output is `Secret(<redacted>)` and it has no `Display`, so it cannot end up in logs
/// or error text by accident; the memory is wiped when it is dropped. Read it with
/// [`Secret::expose`] at the one place that needs the value.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value. Keep the borrow short and never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The names of name/value pairs (headers, form parameters), for `Debug` output that must not
/// show the values: they may be credentials or personal data.
pub(crate) fn names_only(pairs: &[(String, String)]) -> Vec<&str> {
    pairs.iter().map(|(name, _)| name.as_str()).collect()
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let s = Secret::new("eyJhbGciOi.secret.value");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(s.expose(), "eyJhbGciOi.secret.value");
    }
}
