//! ID token validation: its switch and its leeway on the client options.

use std::time::Duration;

use super::client::with_options;
use super::{te_client_options, te_code, te_error};

/// Whether ID tokens are validated wherever one is returned (default true): the RS256
/// signature against the tenant's JWKS, `iss`, `aud`, `azp`, `exp`, `iat` and the requested
/// organization; a failure is `TE_ERROR_ID_TOKEN_INVALID`. Turn it off only when something
/// else validates them: `te_token_set_id_token_claims` then returns NULL.
///
/// # Safety
/// `options` must be a live options object; `error` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_options_set_id_token_validation(
    options: *mut te_client_options,
    enabled: bool,
    error: *mut *mut te_error,
) -> te_code {
    with_options(options, error, |o| {
        o.config.id_token_validation = enabled;
        Ok(())
    })
}

/// Allowance for clock skew when checking an ID token's `exp` and `iat`, in seconds (default
/// 60).
///
/// # Safety
/// `options` must be a live options object; `error` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_options_set_id_token_leeway_seconds(
    options: *mut te_client_options,
    leeway_seconds: u32,
    error: *mut *mut te_error,
) -> te_code {
    with_options(options, error, |o| {
        o.config.id_token_leeway = Some(Duration::from_secs(u64::from(leeway_seconds)));
        Ok(())
    })
}
