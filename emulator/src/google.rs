//! A test Google issuer's ID tokens: Google-style (RS256, `iss` `https://accounts.google.com`),
//! signed by a key of the issuer's own (not the tenant's; the tenant keeps the issuer's key
//! ring, and the control API serves its JWKS at `/emulator/google/jwks.json`). The sample
//! Action `actions/google-id-token.js` verifies these tokens, which lets native Google sign-in
//! (through Custom Token Exchange) run offline.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};

use crate::jose::{KeyRing, Signer};
use crate::util::{clamp_lifetime, now_secs};

/// `iss` of the ID tokens (Google also uses `accounts.google.com` without the scheme).
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
/// The Android OAuth client id (the ID tokens' `aud`) of the sample tenant.
pub const SAMPLE_GOOGLE_CLIENT_ID: &str = "123456789012-emulator.apps.googleusercontent.com";
/// Path of the test issuer's JWKS on the emulator.
pub const GOOGLE_JWKS_PATH: &str = "/emulator/google/jwks.json";

/// The test issuer's first key: generated once per process, on first use (a few hundred ms),
/// and shared by every emulator until one rotates its own.
pub(crate) fn process_issuer_key() -> Arc<Signer> {
    static KEY: OnceLock<Arc<Signer>> = OnceLock::new();
    KEY.get_or_init(|| Arc::new(Signer::new(None, true).expect("RSA key generation succeeds")))
        .clone()
}

/// What a minted Google ID token says.
///
/// ```
/// use token_exchange_emulator::GoogleIdToken;
/// let token = GoogleIdToken::new("109876543210987654321").email("jane@gmail.com").name("Jane Doe");
/// assert_eq!(token.sub, "109876543210987654321");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleIdToken {
    /// Google's user id (`sub`). The sample Action signs in `google-oauth2|{sub}`.
    pub sub: String,
    /// `email`.
    pub email: Option<String>,
    /// `email_verified` (default `true`).
    pub email_verified: bool,
    /// `name`.
    pub name: Option<String>,
    /// `given_name`.
    pub given_name: Option<String>,
    /// `family_name`.
    pub family_name: Option<String>,
    /// `aud` and `azp`: the OAuth client id the app signed in with (default
    /// [`SAMPLE_GOOGLE_CLIENT_ID`]).
    pub audience: String,
    /// `azp` when it differs from `audience` (default `None`: `azp` = `audience`).
    pub authorized_party: Option<String>,
    /// Claims left out of the token (e.g. `iat`, `azp`), to test verifiers that require them.
    pub omitted_claims: Vec<String>,
    /// `iss` (default [`GOOGLE_ISSUER`]).
    pub issuer: String,
    /// `nonce`, if the app sent one.
    pub nonce: Option<String>,
    /// Lifetime (default one hour, as Google's).
    pub expires_in: Duration,
    /// How long ago the token was issued (default zero): with `expires_in`, mints tokens
    /// that expired in the past, beyond any verifier's leeway.
    pub issued_ago: Duration,
}

impl Default for GoogleIdToken {
    fn default() -> Self {
        Self {
            sub: "109876543210987654321".to_owned(),
            email: Some("google.user@example.com".to_owned()),
            email_verified: true,
            name: None,
            given_name: None,
            family_name: None,
            audience: SAMPLE_GOOGLE_CLIENT_ID.to_owned(),
            authorized_party: None,
            omitted_claims: Vec::new(),
            issuer: GOOGLE_ISSUER.to_owned(),
            nonce: None,
            expires_in: Duration::from_secs(3600),
            issued_ago: Duration::ZERO,
        }
    }
}

impl GoogleIdToken {
    /// A token for the Google user `sub`.
    pub fn new(sub: impl Into<String>) -> Self {
        Self {
            sub: sub.into(),
            ..Self::default()
        }
    }

    /// Sets `email`.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets `name`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets `aud` / `azp`.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    /// Sets `azp` to another client id than `aud`.
    pub fn authorized_party(mut self, azp: impl Into<String>) -> Self {
        self.authorized_party = Some(azp.into());
        self
    }

    /// Leaves `claim` out of the token.
    pub fn without_claim(mut self, claim: impl Into<String>) -> Self {
        self.omitted_claims.push(claim.into());
        self
    }

    /// Sets `iss`.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// Sets the lifetime.
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.expires_in = lifetime;
        self
    }

    /// Dates the token back: issued `ago`, so it expired `ago - expires_in` ago.
    pub fn issued_ago(mut self, ago: Duration) -> Self {
        self.issued_ago = ago;
        self
    }

    /// Signs the token with the test issuer's current key.
    pub(crate) fn mint(&self, keys: &KeyRing) -> String {
        let iat = now_secs().saturating_sub(clamp_lifetime(self.issued_ago).as_secs());
        let mut claims = json!({
            "iss": self.issuer,
            "azp": self.authorized_party.as_deref().unwrap_or(&self.audience),
            "aud": self.audience,
            "sub": self.sub,
            "email_verified": self.email_verified,
            "iat": iat,
            "exp": iat + clamp_lifetime(self.expires_in).as_secs(),
        });
        for (name, value) in [
            ("email", &self.email),
            ("name", &self.name),
            ("given_name", &self.given_name),
            ("family_name", &self.family_name),
            ("nonce", &self.nonce),
        ] {
            if let Some(v) = value {
                claims[name] = json!(v);
            }
        }
        if let Value::Object(map) = &mut claims {
            for omitted in &self.omitted_claims {
                map.remove(omitted);
            }
        }
        keys.sign("JWT", &claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn tokens_verify_with_the_issuer_key_only() {
        let keys = KeyRing::new(process_issuer_key());
        let t = GoogleIdToken::new("42").email("a@b.c").mint(&keys);
        let claims = keys.verify(&t).unwrap();
        assert_eq!(
            (claims["sub"].as_str(), claims["aud"].as_str()),
            (Some("42"), Some(SAMPLE_GOOGLE_CLIENT_ID))
        );
        assert_eq!(claims["iss"], GOOGLE_ISSUER);
        let tenant = Signer::new(None, false).unwrap();
        assert!(tenant.verify(&t).is_none(), "a different key from the tenant's");
    }
}
