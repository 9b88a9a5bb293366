//! The Custom Token Exchange request builder and call.

use std::ffi::c_char;

use super::{
    call, free_handle, guard, into_handle, mut_arg, opt_str_arg, out_arg, ref_arg, str_arg, te_client, te_code,
    te_error, te_token_set,
};
use crate::custom_exchange::{ActorToken, CustomTokenExchange, parse_ip};
use crate::error::TokenExchangeError;
use crate::exchange::set_omit_scope;
use crate::runtime::block_on;

/// A Custom Token Exchange request: a subject token of your own type plus options. Do not
/// modify it from several threads at once; sending it from several threads is fine. It holds
/// the subject token (a secret): free it with `te_custom_exchange_free` once done.
pub struct te_custom_exchange {
    pub(crate) request: CustomTokenExchange,
}

fn new_request(
    out: *mut *mut te_custom_exchange,
    error: *mut *mut te_error,
    make: impl FnOnce() -> Result<CustomTokenExchange, TokenExchangeError>,
) -> te_code {
    call(error, || {
        let out = unsafe { out_arg(out, "request_out") }?;
        *out = into_handle(te_custom_exchange { request: make()? });
        Ok(())
    })
}

/// A Custom Token Exchange of `subject_token` whose type is `subject_token_type`, the URI of
/// your token exchange profile (outside the namespaces Auth0 and Okta reserve: `auth0.com`,
/// `okta.com`, `urn:ietf:`, `urn:auth0:`, `urn:okta:`). Both are validated when the request is
/// sent.
///
/// # Safety
/// Strings must be NUL-terminated; `request_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_custom_exchange_new(
    subject_token: *const c_char,
    subject_token_type: *const c_char,
    request_out: *mut *mut te_custom_exchange,
    error: *mut *mut te_error,
) -> te_code {
    new_request(request_out, error, || {
        let token = unsafe { str_arg(subject_token, "subject_token") }?;
        let uri = unsafe { str_arg(subject_token_type, "subject_token_type") }?;
        Ok(CustomTokenExchange::new(token, uri))
    })
}

/// Native Google sign-in: the Google ID token, sent to the token exchange profile you created
/// for it (`profile_subject_token_type`), whose Action verifies it. The same as
/// `te_custom_exchange_new`, named for the purpose.
///
/// # Safety
/// Strings must be NUL-terminated; `request_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_custom_exchange_google(
    id_token: *const c_char,
    profile_subject_token_type: *const c_char,
    request_out: *mut *mut te_custom_exchange,
    error: *mut *mut te_error,
) -> te_code {
    new_request(request_out, error, || {
        let token = unsafe { str_arg(id_token, "id_token") }?;
        let uri = unsafe { str_arg(profile_subject_token_type, "subject_token_type") }?;
        Ok(CustomTokenExchange::new(token, uri))
    })
}

fn with_request(
    request: *mut te_custom_exchange,
    error: *mut *mut te_error,
    f: impl FnOnce(&mut CustomTokenExchange) -> Result<(), TokenExchangeError>,
) -> te_code {
    call(error, || f(&mut unsafe { mut_arg(request, "request") }?.request))
}

/// The API to get an access token for; NULL clears it.
///
/// # Safety
/// `request` must be a live request; `audience` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_custom_exchange_set_audience(
    request: *mut te_custom_exchange,
    audience: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    with_request(request, error, |r| {
        r.audience = unsafe { opt_str_arg(audience, "audience") }?.map(str::to_owned);
        Ok(())
    })
}

/// Space-separated scopes (default `openid profile email offline_access`; `openid` is always
/// added); NULL restores the default. Either undoes `te_custom_exchange_set_omit_scope`.
///
/// # Safety
/// `request` must be a live request; `scope` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_custom_exchange_set_scope(
    request: *mut te_custom_exchange,
    scope: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    with_request(request, error, |r| {
        r.scope = unsafe { opt_str_arg(scope, "scope") }?.map(str::to_owned);
        r.omit_scope = false;
        Ok(())
    })
}

/// With `true`, the request sends no `scope` at all, so that Auth0 issues every scope the
/// audience defines (no `openid`: no ID token; no `offline_access`: no refresh token); it
/// clears a scope set before. `false` restores the default scope.
///
/// # Safety
/// `request` must be a live request.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_custom_exchange_set_omit_scope(
    request: *mut te_custom_exchange,
    omit_scope: bool,
    error: *mut *mut te_error,
) -> te_code {
    with_request(request, error, |r| {
        set_omit_scope(&mut r.scope, &mut r.omit_scope, omit_scope);
        Ok(())
    })
}

/// The organization (id or name) to log the user in to; NULL clears it.
///
/// # Safety
/// `request` must be a live request; `organization` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_custom_exchange_set_organization(
    request: *mut te_custom_exchange,
    organization: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    with_request(request, error, |r| {
        r.organization = unsafe { opt_str_arg(organization, "organization") }?.map(str::to_owned);
        Ok(())
    })
}

/// Delegation: the token of the party acting on the user's behalf and its type (an absolute
/// URI, required with the token). Both NULL clear it. Auth0 issues no refresh token with an
/// actor; `te_token_set_actor_claim` reads the resulting `act` claim.
///
/// # Safety
/// `request` must be a live request; strings NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_custom_exchange_set_actor(
    request: *mut te_custom_exchange,
    actor_token: *const c_char,
    actor_token_type: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    with_request(request, error, |r| {
        let token = unsafe { opt_str_arg(actor_token, "actor_token") }?;
        let token_type = unsafe { opt_str_arg(actor_token_type, "actor_token_type") }?;
        r.actor = match (token, token_type) {
            (None, None) => None,
            (Some(token), Some(token_type)) => Some(ActorToken {
                token: token.to_owned(),
                token_type: token_type.to_owned(),
            }),
            (Some(_), None) => return Err(TokenExchangeError::invalid("actor_token_type", "is NULL")),
            (None, Some(_)) => return Err(TokenExchangeError::invalid("actor_token", "is NULL")),
        };
        Ok(())
    })
}

/// Adds a form parameter for your Action (`event.request.body`); setting a name again
/// replaces its value. Security parameters (`grant_type`, client credentials, subject/actor
/// fields, `requested_token_type`, `audience`, `resource`, `scope`, `organization`) are refused
/// when the request is sent (`TE_ERROR_INVALID_INPUT`, field `extra_parameters`).
///
/// # Safety
/// `request` must be a live request; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_custom_exchange_add_parameter(
    request: *mut te_custom_exchange,
    name: *const c_char,
    value: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    with_request(request, error, |r| {
        let name = unsafe { str_arg(name, "name") }?;
        let value = unsafe { str_arg(value, "value") }?;
        r.extra_parameters.insert(name.to_owned(), value.to_owned());
        Ok(())
    })
}

/// The end user's IP address (`auth0-forwarded-for`), when a server calls on their behalf;
/// NULL clears it.
///
/// # Safety
/// `request` must be a live request; `ip` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_custom_exchange_set_forwarded_for(
    request: *mut te_custom_exchange,
    ip: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    with_request(request, error, |r| {
        let ip = unsafe { opt_str_arg(ip, "forwarded_for") }?;
        if let Some(ip) = ip {
            parse_ip(ip)?;
        }
        r.forwarded_for = ip.map(str::to_owned);
        Ok(())
    })
}

/// Frees a request. NULL is ignored.
///
/// # Safety
/// `request` must be NULL or a request returned by this library, not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_custom_exchange_free(request: *mut te_custom_exchange) {
    guard((), || unsafe { free_handle(request) })
}

/// Custom Token Exchange: trades the request's subject token for Auth0 tokens through the
/// token exchange profile whose `subject_token_type` matches (its Action validates the token).
/// BLOCKS until the server answers. Invalid input (a reserved `subject_token_type`, an extra
/// parameter overriding `audience`...) fails before any I/O. Free `*tokens_out` with
/// `te_token_set_free`.
///
/// # Safety
/// `client` and `request` must be live handles; `tokens_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_custom_token_exchange(
    client: *const te_client,
    request: *const te_custom_exchange,
    tokens_out: *mut *mut te_token_set,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let out = unsafe { out_arg(tokens_out, "tokens_out") }?;
        let client = unsafe { ref_arg(client, "client") }?;
        let request = unsafe { ref_arg(request, "request") }?;
        let tokens = block_on(client.client.custom_exchange(&request.request, client.calls.token()))?;
        *out = into_handle(te_token_set { tokens });
        Ok(())
    })
}
