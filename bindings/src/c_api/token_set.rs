//! The token set.

use std::ffi::c_char;

use zeroize::Zeroize;

use super::{
    call, guard, into_handle, mut_arg, number_getter, opt_str_arg, out_arg, str_arg, string_getter, te_code, te_error,
};
use crate::token_set::TokenSet;

/// Tokens issued by an exchange (or rebuilt with `te_token_set_new`). Immutable once made
/// (except through `te_token_set_set_dpop_jkt`), thread-safe to read. Holds secrets: free it
/// with `te_token_set_free` when done.
pub struct te_token_set {
    pub(crate) tokens: TokenSet,
}

/// Rebuilds a token set from stored values, to call your API after a restart:
/// `access_token` and `token_type` (`DPoP` or `Bearer`). For a DPoP-bound token also call
/// `te_token_set_set_dpop_jkt` so a key mismatch is detected.
///
/// # Safety
/// Strings must be NUL-terminated; `tokens_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_token_set_new(
    access_token: *const c_char,
    token_type: *const c_char,
    tokens_out: *mut *mut te_token_set,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let out = unsafe { out_arg(tokens_out, "tokens_out") }?;
        let access_token = unsafe { str_arg(access_token, "access_token") }?;
        let token_type = unsafe { str_arg(token_type, "token_type") }?;
        *out = into_handle(te_token_set {
            tokens: TokenSet::new(access_token, token_type),
        });
        Ok(())
    })
}

/// Sets (or, with NULL, clears) the thumbprint of the DPoP key the token is bound to.
///
/// # Safety
/// `tokens` must be a live token set not read concurrently; `dpop_jkt` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_token_set_set_dpop_jkt(
    tokens: *mut te_token_set,
    dpop_jkt: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let tokens = unsafe { mut_arg(tokens, "tokens") }?;
        tokens.tokens.dpop_jkt = unsafe { opt_str_arg(dpop_jkt, "dpop_jkt") }?.map(str::to_owned);
        Ok(())
    })
}

/// Sets (or, with NULL, clears) the refresh token of a token set rebuilt from storage, so that
/// `te_client_refresh` can renew it. A SECRET: the token set keeps a copy, wiped by
/// `te_token_set_free`.
///
/// # Safety
/// `tokens` must be a live token set not read concurrently; `refresh_token` NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_token_set_set_refresh_token(
    tokens: *mut te_token_set,
    refresh_token: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let tokens = unsafe { mut_arg(tokens, "tokens") }?;
        let refresh_token = unsafe { opt_str_arg(refresh_token, "refresh_token") }?.map(str::to_owned);
        tokens.tokens.refresh_token.zeroize();
        tokens.tokens.refresh_token = refresh_token;
        Ok(())
    })
}

string_getter! {
    /// The access token (a SECRET). Free it with `te_string_free`; NULL for NULL.
    te_token_set_access_token(tokens: te_token_set) => |t| Some(&t.tokens.access_token)
}

string_getter! {
    /// The token type: `DPoP` or `Bearer`. Free it with `te_string_free`.
    te_token_set_token_type(tokens: te_token_set) => |t| Some(&t.tokens.token_type)
}

string_getter! {
    /// The ID token (a SECRET), or NULL. Free it with `te_string_free`.
    te_token_set_id_token(tokens: te_token_set) => |t| t.tokens.id_token.as_deref()
}

string_getter! {
    /// The refresh token (a SECRET), or NULL. Free it with `te_string_free`.
    te_token_set_refresh_token(tokens: te_token_set) => |t| t.tokens.refresh_token.as_deref()
}

string_getter! {
    /// The granted scopes, or NULL. Free it with `te_string_free`.
    te_token_set_scope(tokens: te_token_set) => |t| t.tokens.scope.as_deref()
}

string_getter! {
    /// The RFC 8693 `issued_token_type`, or NULL. Free it with `te_string_free`.
    te_token_set_issued_token_type(tokens: te_token_set) => |t| t.tokens.issued_token_type.as_deref()
}

string_getter! {
    /// An MFA recovery code to show the user once (a SECRET), or NULL. Free it with
    /// `te_string_free`.
    te_token_set_recovery_code(tokens: te_token_set) => |t| t.tokens.recovery_code.as_deref()
}

string_getter! {
    /// The thumbprint of the DPoP key the tokens are bound to, or NULL for bearer tokens. Free
    /// it with `te_string_free`.
    te_token_set_dpop_jkt(tokens: te_token_set) => |t| t.tokens.dpop_jkt.as_deref()
}

string_getter! {
    /// The access token's `act` (actor) claim as JSON (`{"sub":"..."}`), when the token is a
    /// JWT that has one (delegation through Custom Token Exchange); NULL otherwise. Decoded
    /// WITHOUT verifying the signature. Free it with `te_string_free`.
    te_token_set_actor_claim(tokens: te_token_set) => |t| t.tokens.actor_claim().as_deref()
}

number_getter! {
    /// When the access token expires, in seconds since the Unix epoch: stored in `*out`,
    /// returning true; false (and `*out` untouched) when unknown.
    te_token_set_expires_at(tokens: te_token_set, out) => |t| t.tokens.expires_at
}

/// Whether the access token is DPoP-bound (`token_type` is `DPoP`).
///
/// # Safety
/// `tokens` must be NULL or a live token set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_token_set_is_dpop_bound(tokens: *const te_token_set) -> bool {
    guard(false, || {
        unsafe { tokens.as_ref() }.is_some_and(|t| t.tokens.is_dpop_bound())
    })
}

/// Frees a token set and wipes the tokens it holds. NULL is ignored.
///
/// # Safety
/// `tokens` must be NULL or a token set returned by this library, not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_token_set_free(tokens: *mut te_token_set) {
    guard((), || {
        if !tokens.is_null() {
            // SAFETY: made by `into_handle`, not freed before (header contract).
            let mut boxed = unsafe { Box::from_raw(tokens) };
            let t = &mut boxed.tokens;
            t.access_token.zeroize();
            for secret in [&mut t.id_token, &mut t.refresh_token, &mut t.recovery_code] {
                secret.zeroize();
            }
        }
    })
}
