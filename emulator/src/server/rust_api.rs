//! The Rust API of each feature: what a test reaches through [`Emulator`] besides the server
//! itself. Each method is a thin call into the feature's own module; the HTTP twins live in
//! the control API.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::Emulator;
use crate::action_api::{Action, ActionTrigger};
use crate::config::{
    ActionConfig, CALENDAR_EVENTS_PATH, ClientConfig, MANAGEMENT_SCOPES, MANAGEMENT_TOKEN_LIFETIME_SECS,
    TokenExchangeProfileConfig, UserConfig,
};
use crate::errors::EmulatorError;
use crate::faults::CannedResponse;
use crate::google::{GOOGLE_JWKS_PATH, GoogleIdToken};
use crate::jose::Signer;
use crate::native_social::{AppleCode, FacebookToken};
use crate::tenant::token_vault::{ConnectAccount, ConnectedAccount, VaultError};

/// Native social sign-in, canned token responses, DPoP, brute-force protection, users, Token
/// Vault.
impl Emulator {
    /// Mints a single-use Sign in with Apple authorization code for token exchange with
    /// `subject_token_type` [`crate::APPLE_AUTHZ_CODE_TYPE`].
    pub fn apple_authorization_code(&self, code: AppleCode) -> String {
        self.tenant.mint_apple_code(&code)
    }

    /// Mints a Facebook session info access token, accepted until it expires, for
    /// `subject_token_type` [`crate::FACEBOOK_SESSION_TOKEN_TYPE`].
    pub fn facebook_session_token(&self, token: FacebookToken) -> String {
        self.tenant.mint_facebook_token(&token)
    }

    /// Queues a canned response: the next request to `/oauth/token` gets it instead of
    /// normal processing. Several queued responses are sent in order (FIFO).
    pub fn inject_token_response(&self, response: CannedResponse) {
        self.tenant.store().canned.push_back(response);
    }

    /// Drops every queued canned response; returns how many there were.
    pub fn clear_injected_token_responses(&self) -> usize {
        let mut store = self.tenant.store();
        let n = store.canned.len();
        store.canned.clear();
        n
    }

    /// Rotates the DPoP nonces of the token endpoint and of `/userinfo` now. The previous
    /// nonce stays valid until the next rotation; the one before it is rejected.
    pub fn rotate_dpop_nonces(&self) {
        crate::dpop::rotate_nonces(&self.tenant);
    }

    /// Forgets every failed-attempt counter, lifting `too_many_attempts` blocks.
    pub fn reset_brute_force(&self) {
        self.tenant.store().failures.clear();
    }

    /// The user with this id, as stored now (created on first sign-in).
    pub fn user(&self, user_id: &str) -> Option<UserConfig> {
        self.tenant.store().users.get(user_id).cloned()
    }

    /// Token Vault: `account.user_id` connects their account at `account.connection` (as
    /// through Auth0's Connected Accounts flow). The vault then stores a provider access token
    /// (living `account.access_token_lifetime`) and refresh token, replacing the tokenset of
    /// the same user, connection and login hint.
    pub fn connect_account(&self, account: ConnectAccount) -> Result<ConnectedAccount, VaultError> {
        self.tenant.vault.connect(&account)
    }

    /// Token Vault: revokes the provider refresh tokens of the user's accounts at the
    /// connection. Stored access tokens still work until they expire; after that, exchanges
    /// get `federated_connection_refresh_token_not_found`. Returns how many were revoked.
    pub fn revoke_connected_account(&self, user_id: &str, connection: &str) -> usize {
        self.tenant.vault.revoke(user_id, connection, None)
    }

    /// Token Vault: enables a connection for a client (e.g. a Custom API Client created
    /// through the Management API).
    pub fn enable_connection(&self, connection: &str, client_id: &str) -> Result<(), VaultError> {
        self.tenant.vault.enable_connection(connection, client_id)
    }

    /// Token Vault: the user's connected accounts (no token values).
    pub fn connected_accounts(&self, user_id: &str) -> Vec<ConnectedAccount> {
        self.tenant.vault.accounts_of(user_id)
    }

    /// Token Vault: successful exchanges so far (each one a `/oauth/token` request answered
    /// with a provider token).
    pub fn vault_exchange_count(&self) -> u64 {
        self.tenant.vault.exchange_count()
    }

    /// Token Vault: provider access tokens obtained by refreshing an expired stored one.
    pub fn provider_refresh_count(&self) -> u64 {
        self.tenant.vault.refresh_count()
    }

    /// URL of the fake Google Calendar "list events" API, which accepts the provider access
    /// tokens Token Vault hands out for `google-oauth2` (`Authorization: Bearer ...`).
    pub fn calendar_events_url(&self) -> String {
        format!("{}{CALENDAR_EVENTS_PATH}", self.tenant.base_url)
    }
}

/// Signing keys.
impl Emulator {
    /// Rotates the tenant's signing key: a new RSA key with a new `kid` signs every token from
    /// now on and is published first in the JWKS; the previous keys stay published (and tokens
    /// they signed stay valid here) when `keep_previous`, else they are dropped. Returns the
    /// new `kid`. For testing a client's JWKS refetch on an unknown `kid`. Generating the key
    /// takes a few hundred ms.
    pub fn rotate_signing_key(&self, keep_previous: bool) -> Result<String, EmulatorError> {
        let key = Signer::new(None, true)?;
        Ok(self.tenant.signer.rotate(key, keep_previous))
    }
}

/// The Management API.
impl Emulator {
    /// A management token (audience `{base_url}/api/v2/`, every Management API scope, valid
    /// 30 days), for `Authorization: Bearer` at `/api/v2/`.
    pub fn management_token(&self) -> String {
        let scopes: Vec<String> = MANAGEMENT_SCOPES.iter().map(|s| (*s).to_owned()).collect();
        crate::management::mint_token(&self.tenant, "emulator-admin", &scopes, MANAGEMENT_TOKEN_LIFETIME_SECS)
    }

    /// `{base_url}/api/v2/`: the Management API's base URL and token audience.
    pub fn management_api(&self) -> String {
        self.tenant.management_api()
    }

    /// Queues a canned response: the next request to `/api/v2/` gets it instead of normal
    /// processing (FIFO). See [`CannedResponse::management_rate_limited`] and
    /// [`CannedResponse::management_error`].
    pub fn inject_management_response(&self, response: CannedResponse) {
        self.tenant
            .management_canned
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(response);
    }

    /// The token exchange profiles, in creation order.
    pub fn token_exchange_profiles(&self) -> Vec<TokenExchangeProfileConfig> {
        self.tenant.registry().profiles.clone()
    }

    /// The client with this id as registered now (configured or created through the API).
    pub fn client(&self, client_id: &str) -> Option<ClientConfig> {
        self.tenant.client(client_id).map(|c| ClientConfig::clone(&c))
    }
}

/// Actions.
impl Emulator {
    /// Registers a Rust Action for `trigger` (replacing an Action with the same id). A
    /// `custom-token-exchange` Action is run by the profiles naming its id; every
    /// `credentials-exchange` Action runs, in registration order, before access tokens of the
    /// client credentials grant and of Custom Token Exchange are issued.
    pub fn register_action(
        &self,
        id: &str,
        trigger: ActionTrigger,
        action: Arc<dyn Action>,
    ) -> Result<(), EmulatorError> {
        self.add_action(ActionConfig::rust(id, trigger, action))
    }

    /// Registers an Action of any kind (Rust, JavaScript file or source). For a JavaScript
    /// file, only the file is checked here; Node.js is looked for when the Action runs.
    pub fn add_action(&self, action: ActionConfig) -> Result<(), EmulatorError> {
        if let Some(file) = &action.js_file {
            std::fs::metadata(file).map_err(|e| {
                EmulatorError::InvalidConfig(format!("action {}: cannot read {}: {e}", action.id, file.display()))
            })?;
        }
        crate::actions::check_action(&action).map_err(EmulatorError::InvalidConfig)?;
        self.tenant.actions.register(&action);
        Ok(())
    }

    /// Removes an Action; whether there was one. Profiles naming it then fail with
    /// `server_error`.
    pub fn remove_action(&self, id: &str) -> bool {
        self.tenant.actions.remove(id)
    }

    /// Moves the Actions clock forward (what `api.cache` lifetimes are measured with), to
    /// test expiry without waiting.
    pub fn advance_actions_clock(&self, by: Duration) {
        self.tenant.actions.advance_clock(by);
    }

    /// Stops the Actions clock: from now on it moves only by
    /// [`Emulator::advance_actions_clock`](crate::Emulator::advance_actions_clock), so cache
    /// lifetimes can be tested to the millisecond.
    pub fn freeze_actions_clock(&self) {
        self.tenant.actions.freeze_clock();
    }
}

/// The test Google issuer.
impl Emulator {
    /// Mints a Google ID token signed by the emulator's test Google issuer (for the sample
    /// Google Action and profile). The first call generates the issuer's key.
    pub fn google_id_token(&self, token: GoogleIdToken) -> String {
        token.mint(self.tenant.google_keys())
    }

    /// The test Google issuer's JWK Set (also served at [`GOOGLE_JWKS_PATH`]).
    pub fn google_jwks(&self) -> Value {
        self.tenant.google_keys().jwks()
    }

    /// Rotates the test Google issuer's signing key for this emulator: a new RSA key with a
    /// new `kid` signs from now on and is published in the JWKS, with the previous keys kept
    /// (`keep_previous`) or dropped. Returns the new `kid`. (For testing a verifier's JWKS
    /// refetch on an unknown `kid`, like the sample Action's.) Generating the key takes a
    /// few hundred ms.
    pub fn rotate_google_signing_key(&self, keep_previous: bool) -> Result<String, EmulatorError> {
        let key = Signer::new(None, true)?;
        Ok(self.tenant.google_keys().rotate(key, keep_previous))
    }

    /// `{base_url}/emulator/google/jwks.json`.
    pub fn google_jwks_uri(&self) -> String {
        format!("{}{GOOGLE_JWKS_PATH}", self.base_url())
    }
}
