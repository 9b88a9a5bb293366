//! The stored record: one JSON object with a `version`, so that a later library can change the
//! format and an older one can tell it cannot read it instead of misreading it.
//!
//! Version 1: `access_token`, `token_type`, `expires_in`, `expires_at` (Unix seconds),
//! `refresh_token`, `id_token`, `id_token_validated`, `scope`, `dpop_jkt`. Members a version 1
//! reader does not know are ignored (additions that older readers may skip keep version 1).

use std::borrow::Cow;
use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::claims::UserClaims;
use crate::error::CredentialStoreProblem;
use crate::secret::Secret;
use crate::token_set::{TokenSet, unverified_jwt_claims};

/// The format this library writes.
pub(crate) const VERSION: u64 = 1;

#[derive(Serialize, Deserialize)]
struct Record<'a> {
    version: u64,
    #[serde(borrow)]
    access_token: Cow<'a, str>,
    #[serde(borrow)]
    token_type: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_in: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<u64>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    id_token: Option<Cow<'a, str>>,
    /// Whether the client validated the ID token before it was saved.
    #[serde(default)]
    id_token_validated: bool,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    scope: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    dpop_jkt: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Versioned {
    version: u64,
}

/// The record of `tokens` (the MFA recovery code and `issued_token_type` are not kept).
pub(crate) fn encode(tokens: &TokenSet) -> Zeroizing<String> {
    fn text(s: &Option<Secret>) -> Option<Cow<'_, str>> {
        s.as_ref().map(|s| Cow::Borrowed(s.expose()))
    }
    let record = Record {
        version: VERSION,
        access_token: Cow::Borrowed(tokens.access_token.expose()),
        token_type: Cow::Borrowed(&tokens.token_type),
        expires_in: tokens.expires_in,
        expires_at: tokens
            .expires_at
            .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs()),
        refresh_token: text(&tokens.refresh_token),
        id_token: text(&tokens.id_token),
        id_token_validated: tokens.id_token.is_some() && tokens.id_token_claims.is_some(),
        scope: tokens.scope.as_deref().map(Cow::Borrowed),
        dpop_jkt: tokens.dpop_jkt.as_deref().map(Cow::Borrowed),
    };
    Zeroizing::new(serde_json::to_string(&record).expect("a record of strings and numbers serialises"))
}

/// Reads a record back into a token set.
pub(crate) fn decode(text: &str) -> Result<TokenSet, CredentialStoreProblem> {
    let version = serde_json::from_str::<Versioned>(text)
        .map_err(|_| CredentialStoreProblem::Corrupt)?
        .version;
    if version != VERSION {
        return Err(CredentialStoreProblem::UnsupportedVersion(version));
    }
    let record: Record<'_> = serde_json::from_str(text).map_err(|_| CredentialStoreProblem::Corrupt)?;
    if record.access_token.is_empty() {
        return Err(CredentialStoreProblem::Corrupt);
    }
    let secret = |s: Option<Cow<'_, str>>| s.map(|s| Secret::from(s.into_owned()));
    let mut tokens = TokenSet::new(record.access_token.into_owned(), record.token_type.into_owned());
    tokens.expires_in = record.expires_in;
    tokens.expires_at = record
        .expires_at
        .and_then(|secs| UNIX_EPOCH.checked_add(Duration::from_secs(secs)));
    tokens.refresh_token = secret(record.refresh_token);
    tokens.id_token = secret(record.id_token);
    tokens.scope = record.scope.map(Cow::into_owned);
    tokens.dpop_jkt = record.dpop_jkt.map(Cow::into_owned);
    // The token was validated before it was saved, by this app, into storage only it can
    // read: its claims are read back rather than validated again (it may have expired since,
    // which does not make its claims less true).
    if record.id_token_validated {
        tokens.id_token_claims = tokens
            .id_token
            .as_ref()
            .and_then(|t| unverified_jwt_claims(t.expose()))
            .and_then(UserClaims::from_map);
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn full() -> TokenSet {
        let id_token = format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#),
            URL_SAFE_NO_PAD.encode(r#"{"sub":"apple|1","email":"a@example.com"}"#)
        );
        let mut t = TokenSet::new("at-value", "DPoP");
        t.expires_in = Some(3600);
        t.expires_at = Some(UNIX_EPOCH + Duration::from_secs(1_800_000_000));
        t.refresh_token = Some(Secret::new("rt-value"));
        t.id_token = Some(Secret::new(id_token.clone()));
        t.id_token_claims = unverified_jwt_claims(&id_token).and_then(UserClaims::from_map);
        t.scope = Some("openid offline_access".into());
        t.dpop_jkt = Some("jkt-value".into());
        t
    }

    #[test]
    fn round_trip() {
        let t = full();
        assert_eq!(decode(&encode(&t)).unwrap(), t);
        let bare = TokenSet::new("at", "Bearer");
        assert_eq!(decode(&encode(&bare)).unwrap(), bare);
        // Claims come back only for a token that was validated.
        let mut unvalidated = full();
        unvalidated.id_token_claims = None;
        assert_eq!(decode(&encode(&unvalidated)).unwrap().id_token_claims, None);
    }

    #[test]
    fn version_1_layout() {
        let v: serde_json::Value = serde_json::from_str(&encode(&full())).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "version": 1, "access_token": "at-value", "token_type": "DPoP", "expires_in": 3600,
                "expires_at": 1_800_000_000u64, "refresh_token": "rt-value", "id_token": v["id_token"],
                "id_token_validated": true, "scope": "openid offline_access", "dpop_jkt": "jkt-value",
            })
        );
        // An older reader ignores members it does not know.
        let with_extra = r#"{"version":1,"access_token":"a","token_type":"Bearer","added_later":{"x":1}}"#;
        assert_eq!(decode(with_extra).unwrap().access_token.expose(), "a");
        // Escaped strings decode (they cannot be borrowed from the input).
        let escaped = r#"{"version":1,"access_token":"a\u0041","token_type":"Bearer"}"#;
        assert_eq!(decode(escaped).unwrap().access_token.expose(), "aA");
    }

    #[test]
    fn unreadable_records_are_typed() {
        assert_eq!(
            decode(r#"{"version":2,"whatever":"new"}"#).unwrap_err(),
            CredentialStoreProblem::UnsupportedVersion(2)
        );
        assert_eq!(
            decode(r#"{"version":0}"#).unwrap_err(),
            CredentialStoreProblem::UnsupportedVersion(0)
        );
        for bad in [
            "",
            "not json",
            "[1]",
            r#"{"access_token":"a","token_type":"Bearer"}"#,
            r#"{"version":"1"}"#,
            r#"{"version":1}"#,
            r#"{"version":1,"access_token":"","token_type":"Bearer"}"#,
            r#"{"version":1,"access_token":5,"token_type":"Bearer"}"#,
        ] {
            assert_eq!(decode(bad).unwrap_err(), CredentialStoreProblem::Corrupt, "{bad}");
        }
    }
}
