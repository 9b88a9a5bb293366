//! Custom Token Exchange: `grant_type=urn:ietf:params:oauth:grant-type:token-exchange` with
//! a `subject_token_type` that is not a native social one. The token exchange profile with
//! exactly that `subject_token_type` names the `custom-token-exchange` Action that validates
//! the subject token and sets the user; then the `credentials-exchange` Actions run, and
//! tokens are issued as for native social exchange (DPoP binding, refresh token with
//! `offline_access`), plus:
//!
//! * `actor_token` + `actor_token_type` (a pair): the `act` claim (`{"sub": ...}`) in the
//!   access and ID tokens, set by the Action with `api.authentication.setActor`, or
//!   validated automatically when the actor token is an ID or access token of this tenant;
//!   no refresh token and no `offline_access` then;
//! * `organization`: `org_id` (a value starting with `org_`) or `org_name` in the tokens.

use serde_json::{Map, Value, json};

use super::{Issue, issue_with_claims};
use super::{TokenRequest, resolve_audience, resolve_scopes};
use crate::access_tokens;
use crate::action_api::{ActionTrigger, Outcome, UserChoice};
use crate::actions::{self, custom_claims, denial_error};
use crate::config::{ApiConfig, ClientConfig, GRANT_REFRESH_TOKEN, ISSUED_ACCESS_TOKEN_TYPE, UserConfig};
use crate::errors::OAuthError;
use crate::tenant::Tenant;
use crate::util::random_token;

/// `actor_token_type` of an ID token (validated automatically when issued by this tenant).
const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";

/// Scopes that need no API.
const OIDC_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

/// Parameters an Action does not see in `event.request.body` (client credentials).
const HIDDEN_PARAMETERS: &[&str] = &["client_secret", "client_assertion"];

/// `event.request`: the end user's IP, the host, the user agent and the body (without client
/// credentials).
pub(super) fn request_json(req: &TokenRequest<'_>) -> Value {
    let body: Map<String, Value> = req
        .params
        .iter()
        .filter(|(k, _)| !HIDDEN_PARAMETERS.contains(k))
        .map(|(k, v)| (k.to_owned(), json!(v)))
        .collect();
    let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let host = header("host");
    let hostname = if host.is_empty() {
        req.tenant.base_url.trim_start_matches("http://")
    } else {
        host
    };
    json!({
        "ip": req.ip,
        "hostname": hostname,
        "method": "POST",
        "user_agent": header("user-agent"),
        "language": header("accept-language"),
        "body": body,
        "geoip": {},
    })
}

/// `event.client`.
pub(super) fn client_json(client: &ClientConfig) -> Value {
    json!({ "client_id": client.client_id, "name": client.name, "metadata": {} })
}

/// The error an Action's outcome calls for: a misuse of the API, or a denial.
pub(super) fn action_outcome_error(trigger: ActionTrigger, outcome: &Outcome) -> Option<OAuthError> {
    if let Some(misuse) = &outcome.misuse {
        return Some(OAuthError::server_error(format!(
            "An Action used the API wrongly: {misuse}"
        )));
    }
    outcome.denial.as_ref().map(|d| denial_error(trigger, d))
}

fn user_json(user: &UserConfig) -> Value {
    json!({
        "user_id": user.user_id,
        "email": user.email,
        "name": user.name,
        "given_name": user.given_name,
        "family_name": user.family_name,
    })
}

/// Finds, creates or updates the user the Action chose; refuses blocked and MFA users.
fn sign_in(tenant: &Tenant, choice: UserChoice) -> Result<UserConfig, OAuthError> {
    let mut store = tenant.store();
    let user = match choice {
        UserChoice::ById(id) => store
            .users
            .get(&id)
            .cloned()
            .ok_or_else(|| OAuthError::invalid_request("The user set by the Action does not exist"))?,
        UserChoice::ByConnection {
            connection,
            attributes,
            create,
            update,
        } => {
            let local = attributes.get("user_id").and_then(Value::as_str).unwrap_or_default();
            let id = format!("{connection}|{local}");
            let exists = store.users.contains_key(&id);
            if !exists && !create {
                return Err(OAuthError::invalid_request(
                    "The user does not exist and the Action's creationBehavior is none",
                ));
            }
            let user = store.users.entry(id.clone()).or_insert_with(|| UserConfig {
                user_id: id,
                ..UserConfig::default()
            });
            if update || !exists {
                let text = |name: &str| attributes.get(name).and_then(Value::as_str).map(str::to_owned);
                for (field, name) in [
                    (&mut user.email, "email"),
                    (&mut user.name, "name"),
                    (&mut user.given_name, "given_name"),
                    (&mut user.family_name, "family_name"),
                ] {
                    if let Some(v) = text(name) {
                        *field = Some(v);
                    }
                }
            }
            if user.name.is_none() {
                user.name = user.email.clone();
            }
            user.clone()
        }
    };
    if user.blocked {
        return Err(OAuthError::access_denied("user is blocked"));
    }
    if user.mfa_required {
        return Err(OAuthError::mfa_required(random_token(24)));
    }
    Ok(user)
}

/// The `act` claim of an actor token this tenant issued (ID or access token, unexpired).
fn tenant_actor(tenant: &Tenant, token: &str, token_type: &str) -> Option<Map<String, Value>> {
    if token_type != ID_TOKEN_TYPE && token_type != ISSUED_ACCESS_TOKEN_TYPE {
        return None;
    }
    let claims = access_tokens::verify(tenant, token).ok()?;
    let sub = claims.get("sub").and_then(Value::as_str)?;
    let mut act = Map::new();
    act.insert("sub".into(), json!(sub));
    Some(act)
}

/// Scopes the issued tokens may carry: the OIDC scopes, and the client grant's scopes on the
/// API when there is one, else all the API's scopes.
fn allowed_scopes(tenant: &Tenant, client: &ClientConfig, api: Option<&ApiConfig>) -> Vec<String> {
    let mut allowed: Vec<String> = OIDC_SCOPES.iter().map(|s| (*s).to_owned()).collect();
    if let Some(api) = api {
        match tenant.client_grant_scopes(&client.client_id, &api.identifier) {
            Some(granted) => allowed.extend(granted),
            None => allowed.extend(api.scopes.iter().cloned()),
        }
    }
    allowed
}

/// Handles a Custom Token Exchange request.
pub(super) async fn exchange(req: &TokenRequest<'_>) -> Result<Value, OAuthError> {
    let tenant = req.tenant;
    let subject_token = req.params.require("subject_token")?;
    let subject_token_type = req.params.require("subject_token_type")?;
    let profile = tenant
        .registry()
        .profile_for(subject_token_type)
        .ok_or_else(|| OAuthError::invalid_request(format!("Unsupported subject_token_type: {subject_token_type}")))?;
    let actor_request = match (req.params.get("actor_token"), req.params.get("actor_token_type")) {
        (Some(token), Some(token_type)) => Some((token, token_type)),
        (None, None) => None,
        (Some(_), None) => return Err(OAuthError::missing("actor_token_type")),
        (None, Some(_)) => return Err(OAuthError::missing("actor_token")),
    };
    let api = resolve_audience(tenant, req.params)?;
    let mut scopes = resolve_scopes(req.params.get("scope"), api.as_deref());
    let organization = req.params.get("organization");
    let action = tenant
        .actions
        .get(&profile.action_id)
        .filter(|a| a.trigger == ActionTrigger::CustomTokenExchange)
        .ok_or_else(|| {
            OAuthError::server_error(format!(
                "The Action {} of the token exchange profile {} does not exist",
                profile.action_id, profile.id
            ))
        })?;

    let mut transaction = json!({
        "protocol": "oauth2-token-exchange",
        "subject_token": subject_token,
        "subject_token_type": subject_token_type,
        "requested_scopes": scopes,
    });
    if let Some((token, token_type)) = actor_request {
        transaction["actor_token"] = json!(token);
        transaction["actor_token_type"] = json!(token_type);
    }
    if let Some(org) = organization {
        transaction["organization"] = json!(org);
    }
    let mut event = json!({
        "transaction": transaction,
        "request": request_json(req),
        "client": client_json(req.client),
        "resource_server": api.as_ref().map(|a| json!({ "identifier": a.identifier })),
        "tenant": { "id": "emulator" },
    });
    let outcome = actions::run(&tenant.actions, &action, &event, Vec::new())
        .await
        .map_err(actions::ActionFailure::into_oauth)?;
    if let Some(e) = action_outcome_error(ActionTrigger::CustomTokenExchange, &outcome) {
        return Err(e);
    }
    let choice = outcome.user.clone().ok_or_else(|| {
        OAuthError::server_error(format!(
            "Action {} completed without setting a user (call api.authentication.setUserById or \
             setUserByConnection)",
            action.id
        ))
    })?;
    let act = match (actor_request, outcome.actor.clone()) {
        (None, Some(_)) => {
            return Err(OAuthError::server_error(format!(
                "Action {} called api.authentication.setActor, but the request has no actor_token",
                action.id
            )));
        }
        (Some(_), Some(actor)) => Some(actor),
        (Some((token, token_type)), None) => Some(tenant_actor(tenant, token, token_type).ok_or_else(|| {
            OAuthError::invalid_request(
                "The actor_token was not validated: the Action must call api.authentication.setActor",
            )
        })?),
        (None, None) => None,
    };
    let user = sign_in(tenant, choice)?;
    // Best effort: a sign-up is kept in the state file, but a write failure does not fail
    // the sign-in (the next Management API change reports it).
    let _ = crate::persist::save(tenant);
    if act.is_some() {
        scopes.retain(|s| s != "offline_access");
    }

    event["user"] = user_json(&user);
    event["accessToken"] = json!({ "scope": scopes });
    let ce = actions::run_trigger(&tenant.actions, ActionTrigger::CredentialsExchange, &event, scopes)
        .await
        .map_err(actions::ActionFailure::into_oauth)?;
    if let Some(e) = action_outcome_error(ActionTrigger::CredentialsExchange, &ce) {
        return Err(e);
    }
    let allowed = allowed_scopes(tenant, req.client, api.as_deref());
    let scopes: Vec<String> = ce.target_scopes.into_iter().filter(|s| allowed.contains(s)).collect();

    let mut access_claims = custom_claims(&ce.claims);
    let mut id_claims = Map::new();
    if let Some(act) = &act {
        access_claims.insert("act".into(), Value::Object(act.clone()));
        id_claims.insert("act".into(), Value::Object(act.clone()));
    }
    if let Some(org) = organization {
        let claim = if org.starts_with("org_") { "org_id" } else { "org_name" };
        access_claims.insert(claim.into(), json!(org));
        id_claims.insert(claim.into(), json!(org));
    }
    Ok(issue_with_claims(
        tenant,
        &Issue {
            refresh_token_allowed: act.is_none() && req.client.allows_grant(GRANT_REFRESH_TOKEN),
            token_exchange: true,
            ..req.issue_for(&user, api.as_ref().map(|a| a.identifier.as_str()), &scopes)
        },
        &access_claims,
        &id_claims,
    ))
}
