//! Issuing the token response: RS256 access and ID tokens, and refresh tokens remembered by
//! the server (bound to the DPoP key when the request carried a proof).

use serde_json::{Map, Value, json};

use crate::config::{ISSUED_ACCESS_TOKEN_TYPE, UserConfig};
use crate::tenant::{RefreshRecord, Tenant};
use crate::util::random_token;

/// What to issue.
pub(crate) struct Issue<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) user: &'a UserConfig,
    /// API identifier, or `None` for a userinfo-only token.
    pub(crate) audience: Option<&'a str>,
    /// Granted scopes, in order, without duplicates.
    pub(crate) scopes: &'a [String],
    /// DPoP key thumbprint to bind the tokens to.
    pub(crate) jkt: Option<&'a str>,
    /// Issue a refresh token when `offline_access` was granted.
    pub(crate) refresh_token_allowed: bool,
    /// The client is public (did not authenticate): its refresh token is bound to `jkt`.
    pub(crate) public_client: bool,
    /// Add `issued_token_type` (RFC 8693 responses).
    pub(crate) token_exchange: bool,
}

fn has(scopes: &[String], scope: &str) -> bool {
    scopes.iter().any(|s| s == scope)
}

/// Builds the token response body and stores the refresh token, if one is issued.
pub(crate) fn issue(tenant: &Tenant, req: &Issue<'_>) -> Value {
    issue_with_claims(tenant, req, &Map::new(), &Map::new())
}

/// [`issue`], adding `access_claims` to the access token and `id_claims` to the ID token
/// (custom claims from Actions, `act`, `org_id`). They never replace a claim set here.
pub(crate) fn issue_with_claims(
    tenant: &Tenant,
    req: &Issue<'_>,
    access_claims: &Map<String, Value>,
    id_claims: &Map<String, Value>,
) -> Value {
    let now = tenant.now_secs();
    let cfg = &tenant.config;
    let openid = has(req.scopes, "openid");
    let aud = match (req.audience, openid) {
        (Some(api), true) => json!([api, tenant.userinfo_url()]),
        (Some(api), false) => json!(api),
        (None, _) => json!(tenant.userinfo_url()),
    };
    let mut at = json!({
        "iss": tenant.issuer(),
        "sub": req.user.user_id,
        "aud": aud,
        "iat": now,
        "exp": now + cfg.access_token_lifetime_secs,
        "scope": req.scopes.join(" "),
        "azp": req.client_id,
        "jti": random_token(16),
    });
    if let Some(jkt) = req.jkt {
        at["cnf"] = json!({ "jkt": jkt });
    }
    add_missing(&mut at, access_claims);
    let mut body = json!({
        "access_token": tenant.signer.sign("JWT", &at),
        "token_type": if req.jkt.is_some() { "DPoP" } else { "Bearer" },
        "expires_in": cfg.access_token_lifetime_secs,
        "scope": req.scopes.join(" "),
    });
    if openid {
        let mut id = req.user.claims(req.scopes);
        id.insert("iss".into(), json!(tenant.issuer()));
        id.insert("aud".into(), json!(req.client_id));
        id.insert("iat".into(), json!(now));
        id.insert("exp".into(), json!(now + cfg.id_token_lifetime_secs));
        for (name, value) in id_claims {
            id.entry(name.clone()).or_insert_with(|| value.clone());
        }
        body["id_token"] = json!(tenant.signer.sign("JWT", &Value::Object(id)));
    }
    if req.refresh_token_allowed && has(req.scopes, "offline_access") {
        // RFC 9449 §5: a public client's refresh token is bound to its DPoP key; a
        // confidential client's is bound to the client, which authenticates to use it.
        let jkt = req.jkt.filter(|_| req.public_client);
        let record = RefreshRecord::new(req.client_id, &req.user.user_id, req.audience, req.scopes, jkt);
        body["refresh_token"] = json!(tenant.store().refresh_tokens.issue(record));
    }
    if req.token_exchange {
        body["issued_token_type"] = json!(ISSUED_ACCESS_TOKEN_TYPE);
    }
    body
}

/// Adds the claims `token` does not have yet.
fn add_missing(token: &mut Value, claims: &Map<String, Value>) {
    if let Value::Object(map) = token {
        for (name, value) in claims {
            map.entry(name.clone()).or_insert_with(|| value.clone());
        }
    }
}
