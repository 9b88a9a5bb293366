//! Custom Token Exchange: the request handle and the call.

use std::ffi::c_char;

use super::{
    call, exchange_setters, handle_free, into_handle, new_handle, opt_str_arg, out_arg, parameter_adder, ref_arg,
    str_arg, string_setter, te_client, te_code, te_error, te_token_set, with_handle,
};
use crate::custom_token_exchange::{ActorToken, CustomTokenExchange};
use crate::error::TokenExchangeError;
use crate::runtime::block_on;

/// A Custom Token Exchange request: a subject token of your own type plus options. Do not
/// modify it from several threads at once; sending it from several threads is fine. It holds
/// the subject token (a secret): free it with `te_custom_token_exchange_free` once done.
pub struct te_custom_token_exchange {
    pub(crate) request: CustomTokenExchange,
}

/// A Custom Token Exchange of `subject_token` whose type is `subject_token_type`, the URI of
/// your token exchange profile (outside the namespaces Auth0 and Okta reserve: `auth0.com`,
/// `okta.com`, `urn:ietf:`, `urn:auth0:`, `urn:okta:`). Both are validated when the request is
/// sent.
///
/// # Safety
/// Strings must be NUL-terminated; `request_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_custom_token_exchange_new(
    subject_token: *const c_char,
    subject_token_type: *const c_char,
    request_out: *mut *mut te_custom_token_exchange,
    error: *mut *mut te_error,
) -> te_code {
    new_handle(request_out, "request_out", error, || {
        let token = unsafe { str_arg(subject_token, "subject_token") }?;
        let uri = unsafe { str_arg(subject_token_type, "subject_token_type") }?;
        Ok(te_custom_token_exchange {
            request: CustomTokenExchange::new(token, uri),
        })
    })
}

/// Native Google sign-in through Custom Token Exchange: the Google ID token, sent to the token
/// exchange profile you created for it (`profile_subject_token_type`), whose Action verifies
/// it. The same as `te_custom_token_exchange_new`, named for the purpose.
///
/// # Safety
/// Strings must be NUL-terminated; `request_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_custom_token_exchange_google(
    id_token: *const c_char,
    profile_subject_token_type: *const c_char,
    request_out: *mut *mut te_custom_token_exchange,
    error: *mut *mut te_error,
) -> te_code {
    new_handle(request_out, "request_out", error, || {
        let token = unsafe { str_arg(id_token, "id_token") }?;
        let uri = unsafe { str_arg(profile_subject_token_type, "subject_token_type") }?;
        Ok(te_custom_token_exchange {
            request: CustomTokenExchange::new(token, uri),
        })
    })
}

string_setter! {
    /// The organization (id or name) to log the user in to; NULL clears it.
    te_custom_token_exchange_set_organization(te_custom_token_exchange, organization) => |r, organization| {
        r.request.organization = organization.map(str::to_owned);
        Ok(())
    }
}

exchange_setters! {
    te_custom_token_exchange {
        audience: te_custom_token_exchange_set_audience,
        scope: te_custom_token_exchange_set_scope,
        omit_scope: te_custom_token_exchange_set_omit_scope,
        forwarded_for: te_custom_token_exchange_set_forwarded_for,
    }
}

/// Delegation: the token of the party acting on the user's behalf and its type (an absolute
/// URI, required with the token). Both NULL clear it. Auth0 issues no refresh token with an
/// actor; `te_token_set_actor_claim` reads the resulting `act` claim.
///
/// # Safety
/// `request` must be a live `te_custom_token_exchange`; strings NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_custom_token_exchange_set_actor(
    request: *mut te_custom_token_exchange,
    actor_token: *const c_char,
    actor_token_type: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    with_handle(request, error, |r| {
        let token = unsafe { opt_str_arg(actor_token, "actor_token") }?;
        let token_type = unsafe { opt_str_arg(actor_token_type, "actor_token_type") }?;
        r.request.actor = match (token, token_type) {
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

parameter_adder! {
    /// Adds a form parameter for your Action (`event.request.body`); adding a name again
    /// replaces its value. Security parameters (`grant_type`, client credentials,
    /// subject/actor fields, `requested_token_type`, `audience`, `resource`, `scope`,
    /// `organization`) are refused when the request is sent (`TE_ERROR_INVALID_INPUT`, field
    /// `extra_parameters`).
    te_custom_token_exchange_add_parameter(te_custom_token_exchange)
}

handle_free! {
    /// Frees a Custom Token Exchange request. NULL is ignored.
    te_custom_token_exchange_free(request: te_custom_token_exchange)
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
    request: *const te_custom_token_exchange,
    tokens_out: *mut *mut te_token_set,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let out = unsafe { out_arg(tokens_out, "tokens_out") }?;
        let client = unsafe { ref_arg(client, "client") }?;
        let request = unsafe { ref_arg(request, "request") }?.request.clone();
        let tokens = block_on(client.client.custom_token_exchange(request, client.calls.token()))?;
        *out = into_handle(te_token_set { tokens });
        Ok(())
    })
}
