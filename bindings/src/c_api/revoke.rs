//! Revoking a refresh token (RFC 7009): signing out on the server.

use std::ffi::c_char;

use super::{call, ref_arg, str_arg, te_client, te_code, te_error};
use crate::runtime::block_on;

/// Revokes `refresh_token` at `/oauth/revoke`, authenticating the client as at the token
/// endpoint. BLOCKS. A token the server does not know (already revoked, expired) is a
/// success, as RFC 7009 says. No DPoP proof is needed, so it works after the key was lost.
/// Revoking twice is harmless: a network failure may be retried.
///
/// # Safety
/// `client` must be a live client; `refresh_token` NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_revoke(
    client: *const te_client,
    refresh_token: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let client = unsafe { ref_arg(client, "client") }?;
        let refresh_token = unsafe { str_arg(refresh_token, "refresh_token") }?.to_owned();
        block_on(client.client.revoke(refresh_token, client.calls.token()))
    })
}
