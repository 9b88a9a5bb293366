//! [`EmulatorConfig::validate`]: the configuration is plain data; each feature checks its own
//! part of it, and this asks them all before the server starts.

use crate::config::EmulatorConfig;
use crate::errors::EmulatorError;

impl EmulatorConfig {
    /// Checks the configuration for contradictions before the server starts: where it listens
    /// and for which names, the control secret, the tenant's objects (clients, APIs, users,
    /// connections), client credentials keys, DPoP settings, Actions, token lifetimes, and the
    /// Management API's objects (client grants, token exchange profiles).
    pub fn validate(&self) -> Result<(), EmulatorError> {
        super::router::validate_config(self)?;
        crate::control::validate_config(self)?;
        crate::tenant::validate_config(self)?;
        crate::client_auth::validate_config(self)?;
        crate::dpop::validate_config(self)?;
        crate::actions::validate_config(self)?;
        crate::token_endpoint::validate_config(self)?;
        crate::management::validate_config(self)
    }
}
