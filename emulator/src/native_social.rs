//! What native social sign-in hands to the app, as a test describes it: a Sign in with Apple
//! authorization code or a Facebook session info access token (the tenant mints and
//! remembers them; the token endpoint's `native_social` grant redeems them).

use std::time::Duration;

/// `subject_token_type` of a Sign in with Apple authorization code.
pub const APPLE_AUTHZ_CODE_TYPE: &str = "http://auth0.com/oauth/token-type/apple-authz-code";
/// `subject_token_type` of a Facebook Limited Login session info access token.
pub const FACEBOOK_SESSION_TOKEN_TYPE: &str = "http://auth0.com/oauth/token-type/facebook-info-session-access-token";

/// User id of the sample tenant's Facebook user who has already signed up.
pub const SAMPLE_FACEBOOK_USER: &str = "facebook|10000000001";

/// What a minted Sign in with Apple authorization code stands for.
///
/// ```
/// use std::time::Duration;
/// use token_exchange_emulator::AppleCode;
/// let code = AppleCode::new("apple|001234.abcd")
///     .email("jane@example.com")
///     .delay(Duration::from_secs(2));
/// assert_eq!(code.sub, "apple|001234.abcd");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppleCode {
    /// The Auth0 user id the code signs in (the `sub` of the issued tokens). A value without
    /// `|` gets the `apple|` prefix. Default `apple|test-user`.
    pub sub: String,
    /// The email Apple reports for the user, if any.
    pub email: Option<String>,
    /// When set, the token endpoint consumes the code at once but answers only after this
    /// delay: for testing client timeouts on a code that may have been used.
    pub delay: Option<Duration>,
    /// How long the code can be exchanged (default 5 minutes, like Apple's; at most
    /// [`crate::MAX_LIFETIME_SECS`], longer is clamped).
    pub expires_in: Duration,
}

impl Default for AppleCode {
    fn default() -> Self {
        Self {
            sub: "apple|test-user".to_owned(),
            email: None,
            delay: None,
            expires_in: Duration::from_secs(300),
        }
    }
}

impl AppleCode {
    /// A code for the user `sub` (see [`AppleCode::sub`]), valid for 5 minutes.
    pub fn new(sub: impl Into<String>) -> Self {
        Self {
            sub: sub.into(),
            ..Self::default()
        }
    }

    /// Sets the email the code carries.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Delays the token endpoint's answer to the exchange of this code.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Sets the code lifetime (`Duration::ZERO` mints an already expired code).
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.expires_in = lifetime;
        self
    }
}

/// What a minted Facebook session info access token stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacebookToken {
    /// The Auth0 user id (the `sub` of the issued tokens). A value without `|` gets the
    /// `facebook|` prefix. Default `facebook|10000000001` (a user of the sample tenant).
    pub sub: String,
    /// The email Facebook reports, if any.
    pub email: Option<String>,
    /// How long the token is accepted (default one hour; `Duration::ZERO` = already expired;
    /// at most [`crate::MAX_LIFETIME_SECS`], longer is clamped).
    pub expires_in: Duration,
}

impl Default for FacebookToken {
    fn default() -> Self {
        Self {
            sub: SAMPLE_FACEBOOK_USER.to_owned(),
            email: None,
            expires_in: Duration::from_secs(3600),
        }
    }
}

impl FacebookToken {
    /// A token for the user `sub` (see [`FacebookToken::sub`]), valid for one hour.
    pub fn new(sub: impl Into<String>) -> Self {
        Self {
            sub: sub.into(),
            ..Self::default()
        }
    }

    /// Sets the email the token carries.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets how long the token is accepted.
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.expires_in = lifetime;
        self
    }
}

/// Prefixes `connection|` to a user id that has no provider part.
pub(crate) fn qualified_user_id(sub: &str, connection: &str) -> String {
    if sub.contains('|') {
        sub.to_owned()
    } else {
        format!("{connection}|{sub}")
    }
}
