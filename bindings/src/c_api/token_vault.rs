//! Token Vault: the request handle and the call, the provider token, and the cache.

use std::ffi::c_char;
use std::sync::Arc;
use std::time::Duration;

use super::client::CallScope;
use super::{
    call, guard, handle_free, into_handle, new_handle, number_getter, opt_str_arg, out_arg, parameter_adder, ref_arg,
    str_arg, string_getter, string_setter, te_client, te_code, te_error,
};
use crate::error::TokenExchangeError;
use crate::runtime::block_on;
use crate::token_vault::{TokenVaultCache, TokenVaultExchange, TokenVaultSubjectTokenType, TokenVaultToken};

/// What the subject token of a Token Vault exchange is: `TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN`
/// or `TE_TOKEN_VAULT_SUBJECT_REFRESH_TOKEN`. (An integer, not a C enum, so that any value a
/// caller passes is checked instead of being undefined behaviour.)
pub type te_token_vault_subject_token_type = u32;

/// An Auth0 access token whose audience is your backend API (the usual case).
pub const TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN: te_token_vault_subject_token_type = 0;

/// An Auth0 refresh token.
pub const TE_TOKEN_VAULT_SUBJECT_REFRESH_TOKEN: te_token_vault_subject_token_type = 1;

/// The user's access token at an external provider (Google...), from
/// `te_client_token_vault_exchange`. Immutable, thread-safe to read. Holds a secret: free it
/// with `te_token_vault_token_free` when done.
pub struct te_token_vault_token {
    token: TokenVaultToken,
}

/// An in-memory cache of provider tokens (see `te_token_vault_cache_new`). Thread-safe:
/// share one between threads. Free it with `te_token_vault_cache_free` once no call is
/// using it.
pub struct te_token_vault_cache {
    cache: TokenVaultCache,
    /// The scope of the client it was built from (`te_client_cancel`).
    calls: Arc<CallScope>,
}

/// A Token Vault exchange request: the subject token, its type and the connection, plus
/// options. Do not modify it from several threads at once; sending it from several threads is
/// fine. It holds the subject token (a secret): free it with `te_token_vault_exchange_free`.
pub struct te_token_vault_exchange {
    pub(crate) request: TokenVaultExchange,
}

/// A Token Vault exchange of `subject_token`, the Auth0 token an app sent your API
/// (`TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN` or `TE_TOKEN_VAULT_SUBJECT_REFRESH_TOKEN`), for the
/// user's access token at the provider behind `connection` (`google-oauth2`...). The values
/// are validated when the request is sent, except `subject_token_type`, refused at once
/// (`TE_ERROR_INVALID_INPUT`) when it is neither constant.
///
/// # Safety
/// Strings must be NUL-terminated; `request_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_token_vault_exchange_new(
    subject_token: *const c_char,
    subject_token_type: te_token_vault_subject_token_type,
    connection: *const c_char,
    request_out: *mut *mut te_token_vault_exchange,
    error: *mut *mut te_error,
) -> te_code {
    new_handle(request_out, "request_out", error, || {
        let subject_token = unsafe { str_arg(subject_token, "subject_token") }?;
        let kind = match subject_token_type {
            TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN => TokenVaultSubjectTokenType::AccessToken,
            TE_TOKEN_VAULT_SUBJECT_REFRESH_TOKEN => TokenVaultSubjectTokenType::RefreshToken,
            _ => {
                return Err(TokenExchangeError::invalid(
                    "subject_token_type",
                    "must be TE_TOKEN_VAULT_SUBJECT_ACCESS_TOKEN or TE_TOKEN_VAULT_SUBJECT_REFRESH_TOKEN",
                ));
            }
        };
        let connection = unsafe { str_arg(connection, "connection") }?;
        Ok(te_token_vault_exchange {
            request: TokenVaultExchange::new(subject_token, kind, connection),
        })
    })
}

string_setter! {
    /// Which of the user's accounts at the provider to use, when they connected several; NULL
    /// clears it.
    te_token_vault_exchange_set_login_hint(te_token_vault_exchange, login_hint) => |r, login_hint| {
        r.request.login_hint = login_hint.map(str::to_owned);
        Ok(())
    }
}

parameter_adder! {
    /// Adds a form parameter; adding a name again replaces its value. Security parameters
    /// (`audience`, `resource`, client credentials...) and the parameters the request already
    /// sends (`connection`, `login_hint`...) are refused when it is sent
    /// (`TE_ERROR_INVALID_INPUT`, field `extra_parameters`).
    te_token_vault_exchange_add_parameter(te_token_vault_exchange)
}

handle_free! {
    /// Frees a Token Vault exchange request. NULL is ignored.
    te_token_vault_exchange_free(request: te_token_vault_exchange)
}

/// Token Vault (backends): trades the request's subject token for the user's access token at
/// the provider behind its connection. BLOCKS until the server answers.
///
/// The client must be your API's Custom API Client, authenticated
/// (`te_client_options_set_client_secret_post`, `..._basic` or `..._private_key_jwt`).
/// Invalid input fails before any I/O. On failure, `te_error_is_connection_required` means the
/// user must connect the account (again); `te_error_is_unauthorized_client`,
/// `te_error_is_invalid_grant` and `te_error_is_invalid_request` name the other usual causes.
/// Free `*token_out` with `te_token_vault_token_free`.
///
/// # Safety
/// `client` and `request` must be live handles; `token_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_token_vault_exchange(
    client: *const te_client,
    request: *const te_token_vault_exchange,
    token_out: *mut *mut te_token_vault_token,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let out = unsafe { out_arg(token_out, "token_out") }?;
        let client = unsafe { ref_arg(client, "client") }?;
        let request = unsafe { ref_arg(request, "request") }?.request.clone();
        let token = block_on(client.client.token_vault_exchange(request, client.calls.token()))?;
        *out = into_handle(te_token_vault_token { token });
        Ok(())
    })
}

string_getter! {
    /// The provider's access token (a SECRET): send it to the provider's API. Free it with
    /// `te_string_free`; NULL for NULL.
    te_token_vault_token_access_token(token: te_token_vault_token) => |t| Some(&t.token.access_token)
}

string_getter! {
    /// The token type (usually `Bearer`). Free it with `te_string_free`.
    te_token_vault_token_token_type(token: te_token_vault_token) => |t| Some(&t.token.token_type)
}

string_getter! {
    /// The scopes granted at the provider, or NULL. Free it with `te_string_free`.
    te_token_vault_token_scope(token: te_token_vault_token) => |t| t.token.scope.as_deref()
}

string_getter! {
    /// The RFC 8693 `issued_token_type`
    /// (`http://auth0.com/oauth/token-type/federated-connection-access-token`), or NULL. Free it
    /// with `te_string_free`.
    te_token_vault_token_issued_token_type(token: te_token_vault_token) => |t| t.token.issued_token_type.as_deref()
}

number_getter! {
    /// The token's lifetime in seconds as the server sent it: stored in `*seconds_out`,
    /// returning true; false (and `*seconds_out` untouched) when unknown.
    te_token_vault_token_expires_in(token: te_token_vault_token, seconds_out) => |t| t.token.expires_in
}

number_getter! {
    /// When the token expires, in seconds since the Unix epoch: stored in `*out`, returning
    /// true; false (and `*out` untouched) when unknown.
    te_token_vault_token_expires_at(token: te_token_vault_token, out) => |t| t.token.expires_at
}

/// Frees a Token Vault token (and wipes it). NULL is ignored.
///
/// # Safety
/// `token` must be NULL or a token returned by this library, not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_token_vault_token_free(token: *mut te_token_vault_token) {
    guard((), || {
        if !token.is_null() {
            // SAFETY: made by `into_handle`, not freed before (header contract).
            let mut boxed = unsafe { Box::from_raw(token) };
            zeroize::Zeroize::zeroize(&mut boxed.token.access_token);
        }
    })
}

/// A cache of provider tokens that exchanges through `client` (your API's authenticated
/// Custom API Client; the cache keeps its own reference, the caller still frees `client`).
/// Tokens are handed out until `leeway_seconds` before they expire (0 = the default, 60 s).
/// Free it with `te_token_vault_cache_free`.
///
/// # Safety
/// `client` must be a live client; `cache_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_token_vault_cache_new(
    client: *const te_client,
    leeway_seconds: u32,
    cache_out: *mut *mut te_token_vault_cache,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let out = unsafe { out_arg(cache_out, "cache_out") }?;
        let client = unsafe { ref_arg(client, "client") }?;
        let leeway = (leeway_seconds > 0).then(|| Duration::from_secs(u64::from(leeway_seconds)));
        *out = into_handle(te_token_vault_cache {
            cache: TokenVaultCache::build(&client.client, leeway),
            calls: client.calls.clone(),
        });
        Ok(())
    })
}

/// A provider token for `request` whose scope includes every scope of `required_scopes`
/// (space-separated; NULL or "" for none): from the cache, or from a new exchange. The cache
/// is keyed by a SHA-256 digest of the whole subject token (never a claim read from it: a
/// forged token with a cached `sub` goes to the server, which refuses it) with the rest of
/// the request and the scopes; an entry is never used after the subject token's own `exp` (a JWT's).
/// Concurrent calls with the same arguments share one exchange. BLOCKS when it exchanges.
/// Free `*token_out` with `te_token_vault_token_free`.
///
/// # Safety
/// `cache` and `request` must be live handles; `required_scopes` NULL or NUL-terminated;
/// `token_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_token_vault_cache_get(
    cache: *const te_token_vault_cache,
    request: *const te_token_vault_exchange,
    required_scopes: *const c_char,
    token_out: *mut *mut te_token_vault_token,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let out = unsafe { out_arg(token_out, "token_out") }?;
        let cache = unsafe { ref_arg(cache, "cache") }?;
        let request = unsafe { ref_arg(request, "request") }?.request.clone();
        let scopes = unsafe { scope_list(required_scopes) }?;
        let token = block_on(cache.cache.get(request, scopes, cache.calls.token()))?;
        *out = into_handle(te_token_vault_token { token });
        Ok(())
    })
}

/// Forgets the cached token of `request` and `required_scopes` (as for
/// `te_token_vault_cache_get`), for
/// example after the provider rejected it: the next get exchanges again. Does not block.
///
/// # Safety
/// As for `te_token_vault_cache_get`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_token_vault_cache_invalidate(
    cache: *const te_token_vault_cache,
    request: *const te_token_vault_exchange,
    required_scopes: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let cache = unsafe { ref_arg(cache, "cache") }?;
        let request = unsafe { ref_arg(request, "request") }?.request.clone();
        let scopes = unsafe { scope_list(required_scopes) }?;
        cache.cache.invalidate(request, scopes);
        Ok(())
    })
}

/// `required_scopes` (space-separated, NULL or "" for none) as a list.
unsafe fn scope_list(required_scopes: *const c_char) -> Result<Vec<String>, TokenExchangeError> {
    Ok(unsafe { opt_str_arg(required_scopes, "required_scopes") }?
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect())
}

handle_free! {
    /// Frees a cache. NULL is ignored. No call may be using it.
    te_token_vault_cache_free(cache: te_token_vault_cache)
}
