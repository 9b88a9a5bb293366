//! The native social artifacts the tenant minted (Apple authorization codes, Facebook session
//! info access tokens), as it remembers them until the token endpoint redeems them.

use std::time::{Duration, Instant};

use super::Tenant;
use crate::native_social::{AppleCode, FacebookToken, qualified_user_id};
use crate::util::{clamp_lifetime, random_token};

/// Server-side record of a minted Apple code.
#[derive(Debug, Clone)]
pub(crate) struct AppleCodeRecord {
    pub(crate) sub: String,
    pub(crate) email: Option<String>,
    pub(crate) delay: Option<Duration>,
    pub(crate) expires_at: Instant,
    pub(crate) used: bool,
}

/// Server-side record of a minted Facebook token.
#[derive(Debug, Clone)]
pub(crate) struct FacebookRecord {
    pub(crate) sub: String,
    pub(crate) email: Option<String>,
    pub(crate) expires_at: Instant,
}

impl Tenant {
    /// Mints a single-use Apple authorization code.
    pub(crate) fn mint_apple_code(&self, code: &AppleCode) -> String {
        let value = format!("c{}", random_token(32));
        self.store().apple_codes.insert(
            value.clone(),
            AppleCodeRecord {
                sub: qualified_user_id(&code.sub, "apple"),
                email: code.email.clone(),
                delay: code.delay,
                expires_at: Instant::now() + clamp_lifetime(code.expires_in),
                used: false,
            },
        );
        value
    }

    /// Mints a Facebook session info access token.
    pub(crate) fn mint_facebook_token(&self, token: &FacebookToken) -> String {
        let value = format!("EAA{}", random_token(48));
        self.store().facebook_tokens.insert(
            value.clone(),
            FacebookRecord {
                sub: qualified_user_id(&token.sub, "facebook"),
                email: token.email.clone(),
                expires_at: Instant::now() + clamp_lifetime(token.expires_in),
            },
        );
        value
    }
}
