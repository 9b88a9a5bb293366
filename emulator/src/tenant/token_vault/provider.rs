//! The simulated external identity provider behind a connection (Google, say): it issues
//! opaque access and refresh tokens when a user connects, refreshes access tokens with a
//! refresh token (counting every refresh), revokes refresh tokens, and answers which grant an
//! access token stands for (for the fake provider APIs).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::util::random_token;

/// What a provider token was issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProviderGrant {
    /// The Auth0 user id of the user who connected the account.
    pub(crate) user_id: String,
    /// The connection (provider) name, e.g. `google-oauth2`.
    pub(crate) connection: String,
    /// The account at the provider (an email), when known.
    pub(crate) login_hint: Option<String>,
    /// Scopes granted at the provider.
    pub(crate) scopes: Vec<String>,
}

/// An access token the provider issued.
#[derive(Debug, Clone)]
pub(crate) struct AccessToken {
    /// The opaque token value.
    pub(crate) value: String,
    /// When it stops being accepted.
    pub(crate) expires_at: Instant,
}

impl AccessToken {
    /// Whole seconds left before expiry (rounded up), `0` once expired.
    pub(crate) fn expires_in(&self, now: Instant) -> u64 {
        let left = self.expires_at.saturating_duration_since(now);
        left.as_secs() + u64::from(left.subsec_nanos() > 0)
    }

    /// Whether the token has expired at `now`.
    pub(crate) fn is_expired(&self, now: Instant) -> bool {
        now >= self.expires_at
    }
}

/// A refresh token the provider issued.
#[derive(Debug, Clone)]
struct RefreshRecord {
    grant: ProviderGrant,
    revoked: bool,
}

/// Why a refresh failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshFailure {
    /// The provider does not know the refresh token.
    Unknown,
    /// The user (or a test) revoked it.
    Revoked,
}

/// Lifetime of access tokens the provider issues on refresh (Google's: one hour).
pub(crate) const REFRESHED_ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// The simulated provider's memory: every token it issued.
#[derive(Debug, Default)]
pub(crate) struct Provider {
    access_tokens: HashMap<String, (ProviderGrant, Instant)>,
    refresh_tokens: HashMap<String, RefreshRecord>,
    refreshes: u64,
}

/// Token prefixes that look like the provider's (Google's `ya29.` and `1//`), else generic.
fn prefixes(connection: &str) -> (&'static str, &'static str) {
    if connection == "google-oauth2" {
        ("ya29.", "1//")
    } else {
        ("pat_", "prt_")
    }
}

impl Provider {
    fn mint_access(&mut self, grant: &ProviderGrant, lifetime: Duration, now: Instant) -> AccessToken {
        let value = format!("{}{}", prefixes(&grant.connection).0, random_token(32));
        let expires_at = now + crate::util::clamp_lifetime(lifetime);
        self.access_tokens.insert(value.clone(), (grant.clone(), expires_at));
        AccessToken { value, expires_at }
    }

    /// The tokens a user gets when they connect their account: an access token living
    /// `lifetime` and a refresh token.
    pub(crate) fn authorize(
        &mut self,
        grant: ProviderGrant,
        lifetime: Duration,
        now: Instant,
    ) -> (AccessToken, String) {
        let access = self.mint_access(&grant, lifetime, now);
        let refresh = format!("{}{}", prefixes(&grant.connection).1, random_token(32));
        self.refresh_tokens
            .insert(refresh.clone(), RefreshRecord { grant, revoked: false });
        (access, refresh)
    }

    /// A new access token for a refresh token (the refresh token is not rotated).
    pub(crate) fn refresh(&mut self, refresh_token: &str, now: Instant) -> Result<AccessToken, RefreshFailure> {
        let record = self.refresh_tokens.get(refresh_token).ok_or(RefreshFailure::Unknown)?;
        if record.revoked {
            return Err(RefreshFailure::Revoked);
        }
        let grant = record.grant.clone();
        self.refreshes += 1;
        Ok(self.mint_access(&grant, REFRESHED_ACCESS_TOKEN_LIFETIME, now))
    }

    /// Revokes a refresh token; false when unknown or already revoked.
    pub(crate) fn revoke(&mut self, refresh_token: &str) -> bool {
        match self.refresh_tokens.get_mut(refresh_token) {
            Some(r) if !r.revoked => {
                r.revoked = true;
                true
            }
            _ => false,
        }
    }

    /// The grant of an access token that the provider issued and that has not expired.
    pub(crate) fn introspect(&self, access_token: &str, now: Instant) -> Option<&ProviderGrant> {
        self.access_tokens
            .get(access_token)
            .filter(|(_, expires_at)| now < *expires_at)
            .map(|(grant, _)| grant)
    }

    /// How many access tokens were issued through refresh tokens.
    pub(crate) fn refresh_count(&self) -> u64 {
        self.refreshes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> ProviderGrant {
        ProviderGrant {
            user_id: "apple|u".into(),
            connection: "google-oauth2".into(),
            login_hint: None,
            scopes: vec!["openid".into()],
        }
    }

    #[test]
    fn refresh_issues_new_tokens_until_revoked() {
        let mut p = Provider::default();
        let now = Instant::now();
        let (at, rt) = p.authorize(grant(), Duration::ZERO, now);
        assert!(at.value.starts_with("ya29."));
        assert!(at.is_expired(now) && p.introspect(&at.value, now).is_none());
        let fresh = p.refresh(&rt, now).unwrap();
        assert_ne!(fresh.value, at.value);
        assert_eq!(fresh.expires_in(now), 3600);
        assert_eq!(p.introspect(&fresh.value, now).unwrap().user_id, "apple|u");
        assert_eq!(p.refresh_count(), 1);
        assert!(p.revoke(&rt));
        assert!(!p.revoke(&rt));
        assert_eq!(p.refresh(&rt, now).unwrap_err(), RefreshFailure::Revoked);
        assert_eq!(p.refresh("nope", now).unwrap_err(), RefreshFailure::Unknown);
        assert_eq!(p.refresh_count(), 1);
    }

    #[test]
    fn expires_in_rounds_up() {
        let now = Instant::now();
        let t = AccessToken {
            value: String::new(),
            expires_at: now + Duration::from_millis(1500),
        };
        assert_eq!(t.expires_in(now), 2);
        assert_eq!(t.expires_in(now + Duration::from_secs(2)), 0);
    }
}
