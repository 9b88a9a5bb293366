//! Renewing tokens with the refresh token (RFC 6749 §6). For a public client the refresh
//! token is bound to the DPoP key of the exchange (RFC 9449 §5): the refresh sends a fresh
//! proof from that same key.

use std::borrow::Cow;

use crate::client::{Client, TokenRequestFailure};
use crate::error::Error;
use crate::id_token::Expected;
use crate::token_set::{TokenSet, unverified_jwt_claims};
use crate::validate;

/// `grant_type` of a refresh.
pub const REFRESH_TOKEN_GRANT: &str = "refresh_token";

impl Client {
    /// Renews `tokens` with their refresh token, optionally for a narrower `scope`
    /// (space-separated; a subset of the granted scopes).
    ///
    /// The request goes through the same path as the exchange: client authentication, a
    /// fresh DPoP proof, one retry on `use_dpop_nonce`, and ID token validation (the renewed
    /// ID token must be about the same user and organization). The result is merged with
    /// `tokens`: a rotated refresh token replaces the old one, an absent one keeps it, and an
    /// ID token that was not reissued is kept with its claims.
    ///
    /// Fails before any I/O with [`Error::InvalidInput`] (no refresh token, bad scope),
    /// [`Error::DpopKeyMissing`] or [`Error::DpopKeyMismatch`] (the tokens are bound to a key
    /// this client does not hold: sign in again). `invalid_grant` means the refresh token was
    /// revoked, expired or already rotated: sign in again. A refresh that may have reached the
    /// server is not replayed, since with rotation it may have spent the refresh token.
    ///
    /// With rotation, a response this method refuses ([`Error::IdTokenInvalid`],
    /// [`Error::TokenNotBound`]) may have retired the refresh token of `tokens`;
    /// [`crate::CredentialsManager`] keeps the one the server issued instead.
    pub async fn refresh(&self, tokens: &TokenSet, scope: Option<&str>) -> Result<TokenSet, Error> {
        self.refresh_reporting_rotation(tokens, scope)
            .await
            .map_err(|failure| failure.error)
    }

    /// [`Client::refresh`], telling on failure which refresh token the server issued in an
    /// answer the client refused.
    pub(crate) async fn refresh_reporting_rotation(
        &self,
        tokens: &TokenSet,
        scope: Option<&str>,
    ) -> Result<TokenSet, TokenRequestFailure> {
        let refresh_token = tokens.refresh_token.as_ref().ok_or_else(|| {
            Error::invalid(
                "refresh_token",
                "the token set has none (ask for the `offline_access` scope)",
            )
        })?;
        validate::token("refresh_token", refresh_token.expose())?;
        let scope = scope.map(narrower_scope).transpose()?;
        self.check_refresh_token_binding(tokens)?;

        let mut form = vec![
            ("grant_type", Cow::Borrowed(REFRESH_TOKEN_GRANT)),
            ("refresh_token", Cow::Borrowed(refresh_token.expose())),
        ];
        if let Some(scope) = &scope {
            form.push(("scope", Cow::Borrowed(scope.as_str())));
        }
        let expected = expectations(tokens, scope.as_deref());
        let renewed = self.token_request_expecting(form, &[], None, &expected).await?;
        Ok(merge(tokens, renewed, scope))
    }

    /// A refresh token bound to a key (the token set is `DPoP`, or records a thumbprint) must
    /// be presented with that key: without it the server refuses, and a proof from another
    /// key would only tell the server which key the app now has.
    fn check_refresh_token_binding(&self, tokens: &TokenSet) -> Result<(), Error> {
        if !tokens.is_dpop_bound() && tokens.dpop_jkt.is_none() {
            return Ok(());
        }
        let dpop = self.dpop().ok_or(Error::DpopKeyMissing)?;
        match &tokens.dpop_jkt {
            Some(jkt) => dpop.check_binding(jkt),
            None => Ok(()),
        }
    }
}

/// The scope to send: valid scope tokens, de-duplicated, not empty.
fn narrower_scope(scope: &str) -> Result<String, Error> {
    let mut scopes: Vec<&str> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        validate::scope_token(s)?;
        if !scopes.contains(&s) {
            scopes.push(s);
        }
    }
    if scopes.is_empty() {
        return Err(Error::invalid(
            "scope",
            "is empty (pass None to keep the granted scopes)",
        ));
    }
    Ok(scopes.join(" "))
}

/// What the renewed ID token must say (OpenID Connect Core §12.2): the same `sub` and
/// organization as the ID token being renewed.
fn expectations(tokens: &TokenSet, scope: Option<&str>) -> Expected {
    // The validated claims when the client validated them, else the stored token's payload:
    // it only narrows what the server may return.
    let previous = match (&tokens.id_token_claims, &tokens.id_token) {
        (Some(claims), _) => {
            let mut map = claims.other.clone();
            map.insert("sub".into(), claims.sub.clone().into());
            Some(map)
        }
        (None, Some(token)) => unverified_jwt_claims(token.expose()),
        (None, None) => None,
    };
    let text = |k: &str| previous.as_ref()?.get(k)?.as_str().map(str::to_owned);
    Expected {
        id_token: match scope {
            Some(scope) => scope.split(' ').any(|s| s == "openid"),
            None => tokens.id_token.is_some(),
        },
        organization: text("org_id").or_else(|| text("org_name")),
        subject: text("sub"),
    }
}

/// The renewed set, completed with what the server did not reissue.
fn merge(previous: &TokenSet, mut renewed: TokenSet, requested_scope: Option<String>) -> TokenSet {
    if renewed.refresh_token.is_none() {
        renewed.refresh_token = previous.refresh_token.clone();
    }
    if renewed.id_token.is_none() {
        renewed.id_token = previous.id_token.clone();
        renewed.id_token_claims = previous.id_token_claims.clone();
    }
    // RFC 6749 §5.1: `scope` may be omitted when it is the requested one, and a refresh
    // without `scope` asks for the original grant.
    if renewed.scope.is_none() {
        renewed.scope = requested_scope.or_else(|| previous.scope.clone());
    }
    renewed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn set(access: &str) -> TokenSet {
        TokenSet::new(access, "DPoP")
    }

    #[test]
    fn merge_keeps_what_was_not_reissued() {
        let mut previous = set("old-at");
        previous.refresh_token = Some(Secret::new("old-rt"));
        previous.id_token = Some(Secret::new("old-id"));
        previous.scope = Some("openid offline_access read".into());

        let merged = merge(&previous, set("new-at"), None);
        assert_eq!(merged.access_token.expose(), "new-at");
        assert_eq!(merged.refresh_token.as_ref().unwrap().expose(), "old-rt");
        assert_eq!(merged.id_token.as_ref().unwrap().expose(), "old-id");
        assert_eq!(merged.scope.as_deref(), Some("openid offline_access read"));

        let mut rotated = set("new-at");
        rotated.refresh_token = Some(Secret::new("new-rt"));
        rotated.id_token = Some(Secret::new("new-id"));
        let merged = merge(&previous, rotated, Some("read".into()));
        assert_eq!(merged.refresh_token.as_ref().unwrap().expose(), "new-rt");
        assert_eq!(merged.id_token.as_ref().unwrap().expose(), "new-id");
        assert_eq!(
            merged.scope.as_deref(),
            Some("read"),
            "the requested scope, not the old one"
        );
    }

    #[test]
    fn scopes() {
        assert_eq!(narrower_scope("openid  read read").unwrap(), "openid read");
        assert!(matches!(
            narrower_scope(" "),
            Err(Error::InvalidInput { field: "scope", .. })
        ));
        assert!(matches!(
            narrower_scope("read\"x"),
            Err(Error::InvalidInput { field: "scope", .. })
        ));
    }
}
