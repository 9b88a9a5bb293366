//! Renewing tokens with their refresh token.

use std::ffi::c_char;

use super::{call, into_handle, opt_str_arg, out_arg, ref_arg, te_client, te_code, te_error, te_token_set};
use crate::runtime::block_on;

/// Renews `tokens` with their refresh token, optionally for a narrower `scope`
/// (space-separated; NULL keeps the granted scopes). BLOCKS until the server answers.
///
/// A fresh DPoP proof from the client's key, the nonce retry and ID token validation as for
/// the exchange. `*tokens_out` is `tokens` merged with the answer: a rotated refresh token
/// replaces the old one, an absent one keeps it, an ID token not reissued is kept. Save it in
/// place of `tokens`: with rotation, the old refresh token is spent.
///
/// Fails before any I/O with `TE_ERROR_INVALID_INPUT` (no refresh token, bad scope),
/// `TE_ERROR_DPOP_KEY_MISSING` or `TE_ERROR_DPOP_KEY_MISMATCH` (the tokens are bound to a key
/// this client does not hold: sign in again). `te_error_is_invalid_grant` means the refresh
/// token was revoked or already rotated: sign in again. Never replayed once it may have reached
/// the server. Free `*tokens_out` with `te_token_set_free`.
///
/// # Safety
/// `client` and `tokens` must be live handles; `scope` NULL or NUL-terminated; `tokens_out`
/// valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_refresh(
    client: *const te_client,
    tokens: *const te_token_set,
    scope: *const c_char,
    tokens_out: *mut *mut te_token_set,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let out = unsafe { out_arg(tokens_out, "tokens_out") }?;
        let client = unsafe { ref_arg(client, "client") }?;
        let tokens = unsafe { ref_arg(tokens, "tokens") }?.tokens.clone();
        let scope = unsafe { opt_str_arg(scope, "scope") }?.map(str::to_owned);
        let renewed = block_on(client.client.refresh(tokens, scope, client.calls.token()))?;
        *out = into_handle(te_token_set { tokens: renewed });
        Ok(())
    })
}
