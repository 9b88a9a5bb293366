//! The refresh tokens the tenant issued, in families: a family starts with a token issued by an
//! exchange and grows by rotation. What a client may do with them (rotation, reuse detection,
//! revocation) is decided here, atomically, under the store's lock.

use std::collections::HashMap;

use crate::util::random_token;

/// A refresh token as the server remembers it.
#[derive(Debug, Clone)]
pub(crate) struct RefreshRecord {
    pub(crate) client_id: String,
    pub(crate) user_id: String,
    pub(crate) audience: Option<String>,
    /// The scopes granted when the family started (a refresh may narrow its access token's,
    /// never the family's).
    pub(crate) scopes: Vec<String>,
    /// Thumbprint of the DPoP key the token is bound to (public clients).
    pub(crate) jkt: Option<String>,
    /// The family: every token rotated from the same first one.
    pub(crate) family: String,
    /// When (tenant clock, seconds) it was first exchanged under rotation: it is retired.
    pub(crate) rotated_at: Option<u64>,
    /// The token its first rotation issued.
    pub(crate) successor: Option<String>,
}

impl RefreshRecord {
    /// A record starting a new family.
    pub(crate) fn new(
        client_id: &str,
        user_id: &str,
        audience: Option<&str>,
        scopes: &[String],
        jkt: Option<&str>,
    ) -> Self {
        Self {
            client_id: client_id.to_owned(),
            user_id: user_id.to_owned(),
            audience: audience.map(str::to_owned),
            scopes: scopes.to_vec(),
            jkt: jkt.map(str::to_owned),
            family: random_token(12),
            rotated_at: None,
            successor: None,
        }
    }
}

/// What a refresh may do with a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rotation {
    /// The token stays valid; no new refresh token.
    Off,
    /// The token is retired and a new one of its family returned; a retired token may be
    /// exchanged again less than `leeway` seconds after its retirement if it is the latest
    /// retired one, else its whole family is revoked.
    On { leeway: u64 },
}

/// Why a refresh token cannot be exchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Not a token of this tenant (or of a revoked family).
    Unknown,
    /// A retired token was exchanged again outside the reuse interval: its family is revoked.
    Reused,
}

/// The tenant's refresh tokens.
#[derive(Debug, Default)]
pub(crate) struct RefreshTokens {
    records: HashMap<String, RefreshRecord>,
}

impl RefreshTokens {
    /// Remembers `record` under a new random token, which it returns.
    pub(crate) fn issue(&mut self, record: RefreshRecord) -> String {
        let token = random_token(32);
        self.records.insert(token.clone(), record);
        token
    }

    /// The record of `token`.
    pub(crate) fn get(&self, token: &str) -> Option<&RefreshRecord> {
        self.records.get(token)
    }

    /// Exchanges `token` at `now`: with rotation, retires it and returns its successor (a new
    /// token of the family); detects reuse. The record is returned as it was before.
    pub(crate) fn exchange(
        &mut self,
        token: &str,
        now: u64,
        rotation: Rotation,
    ) -> Result<(RefreshRecord, Option<String>), Refused> {
        let record = self.records.get(token).cloned().ok_or(Refused::Unknown)?;
        if let Some(retired_at) = record.rotated_at {
            let leeway = match rotation {
                Rotation::On { leeway } => leeway,
                Rotation::Off => 0,
            };
            let latest = record
                .successor
                .as_deref()
                .and_then(|s| self.records.get(s))
                .is_some_and(|s| s.rotated_at.is_none());
            if !(latest && now.saturating_sub(retired_at) < leeway) {
                self.revoke_family(&record.family);
                return Err(Refused::Reused);
            }
        } else if rotation == Rotation::Off {
            return Ok((record, None));
        }
        let successor = self.issue(RefreshRecord {
            rotated_at: None,
            successor: None,
            ..record.clone()
        });
        let retired = self.records.get_mut(token).expect("looked up above");
        retired.rotated_at.get_or_insert(now);
        retired.successor.get_or_insert_with(|| successor.clone());
        Ok((record, Some(successor)))
    }

    /// Revokes every token of `family`; how many there were.
    pub(crate) fn revoke_family(&mut self, family: &str) -> usize {
        let before = self.records.len();
        self.records.retain(|_, r| r.family != family);
        before - self.records.len()
    }

    /// Revokes `token`'s family if `client_id` was issued `token`; how many tokens went.
    pub(crate) fn revoke(&mut self, token: &str, client_id: &str) -> usize {
        match self.records.get(token) {
            Some(r) if r.client_id == client_id => {
                let family = r.family.clone();
                self.revoke_family(&family)
            }
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> (RefreshTokens, String) {
        let mut t = RefreshTokens::default();
        let first = t.issue(RefreshRecord::new("app", "u", None, &[], None));
        (t, first)
    }

    #[test]
    fn without_rotation_a_token_is_exchanged_any_number_of_times() {
        let (mut t, first) = tokens();
        for _ in 0..3 {
            assert_eq!(t.exchange(&first, 100, Rotation::Off).unwrap().1, None);
        }
        assert_eq!(t.exchange("nope", 100, Rotation::Off).unwrap_err(), Refused::Unknown);
    }

    #[test]
    fn rotation_retires_the_token_and_reuse_revokes_the_family() {
        let (mut t, first) = tokens();
        let on = Rotation::On { leeway: 0 };
        let second = t.exchange(&first, 100, on).unwrap().1.unwrap();
        let third = t.exchange(&second, 101, on).unwrap().1.unwrap();
        assert_eq!(t.exchange(&first, 102, on).unwrap_err(), Refused::Reused);
        assert_eq!(
            t.exchange(&third, 102, on).unwrap_err(),
            Refused::Unknown,
            "the family is gone"
        );
    }

    #[test]
    fn the_latest_retired_token_may_be_reused_within_the_leeway_only() {
        let (mut t, first) = tokens();
        let on = Rotation::On { leeway: 10 };
        let second = t.exchange(&first, 100, on).unwrap().1.unwrap();
        let sibling = t.exchange(&first, 109, on).unwrap().1.unwrap();
        assert_ne!(sibling, second);
        // Both successors are live; once one is exchanged, the first is no longer the latest.
        let third = t.exchange(&second, 111, on).unwrap().1.unwrap();
        assert_eq!(t.exchange(&first, 111, on).unwrap_err(), Refused::Reused);
        assert_eq!(t.exchange(&third, 112, on).unwrap_err(), Refused::Unknown);
        let (mut t, first) = tokens();
        t.exchange(&first, 100, on).unwrap();
        assert_eq!(
            t.exchange(&first, 110, on).unwrap_err(),
            Refused::Reused,
            "10 s is not within 10 s"
        );
        let (mut t, first) = tokens();
        t.exchange(&first, 100, Rotation::On { leeway: 0 }).unwrap();
        assert_eq!(
            t.exchange(&first, 100, Rotation::On { leeway: 0 }).unwrap_err(),
            Refused::Reused,
            "no reuse interval: not even in the same second"
        );
    }

    #[test]
    fn revocation_takes_the_family_and_only_for_its_client() {
        let (mut t, first) = tokens();
        let second = t.exchange(&first, 100, Rotation::On { leeway: 0 }).unwrap().1.unwrap();
        let other = t.issue(RefreshRecord::new("app", "u", None, &[], None));
        assert_eq!(t.revoke(&second, "another-app"), 0);
        assert_eq!(t.revoke(&second, "app"), 2);
        assert!(t.get(&first).is_none() && t.get(&second).is_none());
        assert!(t.get(&other).is_some(), "another family of the same user stays");
    }
}
