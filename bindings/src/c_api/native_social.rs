//! Native social token exchange (Sign in with Apple, Facebook): the request handle and the call.

use std::ffi::c_char;

use super::{
    call, exchange_setters, handle_free, into_handle, new_handle, opt_str_arg, out_arg, ref_arg, str_arg,
    string_setter, te_client, te_code, te_error, te_token_set, with_handle,
};
use crate::error::TokenExchangeError;
use crate::native_social::{NativeSocialExchange, PersonName, SubjectTokenType, UserProfile};
use crate::runtime::block_on;

/// A native social token exchange request: the subject token plus options. Do not modify it
/// from several threads at once; sending it from several threads is fine. It holds the
/// subject token (a secret): free it with `te_native_social_exchange_free` once the exchange
/// is done.
pub struct te_native_social_exchange {
    pub(crate) request: NativeSocialExchange,
}

fn new_request(
    request_out: *mut *mut te_native_social_exchange,
    error: *mut *mut te_error,
    make: impl FnOnce() -> Result<NativeSocialExchange, TokenExchangeError>,
) -> te_code {
    new_handle(request_out, "request_out", error, || {
        Ok(te_native_social_exchange { request: make()? })
    })
}

/// A native social token exchange of `subject_token`, whose type is the absolute URI
/// `subject_token_type` (`http://auth0.com/oauth/token-type/apple-authz-code`...). Both are
/// validated when the request is sent. `te_native_social_exchange_apple` and `_facebook` name
/// the usual two.
///
/// # Safety
/// Strings must be NUL-terminated; `request_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_native_social_exchange_new(
    subject_token: *const c_char,
    subject_token_type: *const c_char,
    request_out: *mut *mut te_native_social_exchange,
    error: *mut *mut te_error,
) -> te_code {
    new_request(request_out, error, || {
        let token = unsafe { str_arg(subject_token, "subject_token") }?;
        let uri = unsafe { str_arg(subject_token_type, "subject_token_type") }?;
        Ok(NativeSocialExchange::new(
            token,
            SubjectTokenType::Custom { uri: uri.to_owned() },
        ))
    })
}

/// Sign in with Apple: an exchange of `authorization_code` (the credential's
/// `authorizationCode`, single-use). The code is validated when the request is sent.
///
/// # Safety
/// `authorization_code` must be NUL-terminated; `request_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_native_social_exchange_apple(
    authorization_code: *const c_char,
    request_out: *mut *mut te_native_social_exchange,
    error: *mut *mut te_error,
) -> te_code {
    new_request(request_out, error, || {
        let code = unsafe { str_arg(authorization_code, "authorization_code") }?;
        Ok(NativeSocialExchange::new(
            code,
            SubjectTokenType::AppleAuthorizationCode,
        ))
    })
}

/// Facebook: an exchange of a session info access token.
///
/// # Safety
/// `session_token` must be NUL-terminated; `request_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_native_social_exchange_facebook(
    session_token: *const c_char,
    request_out: *mut *mut te_native_social_exchange,
    error: *mut *mut te_error,
) -> te_code {
    new_request(request_out, error, || {
        let token = unsafe { str_arg(session_token, "session_token") }?;
        Ok(NativeSocialExchange::new(
            token,
            SubjectTokenType::FacebookSessionInfoToken,
        ))
    })
}

string_setter! {
    /// The API as a resource URI (resource parameter profile); NULL clears it. Exclusive with
    /// `audience`.
    te_native_social_exchange_set_resource(te_native_social_exchange, resource) => |r, resource| {
        r.request.resource = resource.map(str::to_owned);
        Ok(())
    }
}

exchange_setters! {
    te_native_social_exchange {
        audience: te_native_social_exchange_set_audience,
        scope: te_native_social_exchange_set_scope,
        omit_scope: te_native_social_exchange_set_omit_scope,
        forwarded_for: te_native_social_exchange_set_forwarded_for,
    }
}

fn profile(r: &mut NativeSocialExchange) -> &mut UserProfile {
    r.user_profile.get_or_insert_with(UserProfile::default)
}

/// The user's name for `user_profile` (Sign in with Apple gives it on the first sign-in
/// only). Either part may be NULL.
///
/// # Safety
/// `request` must be a live `te_native_social_exchange`; strings NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_native_social_exchange_set_user_name(
    request: *mut te_native_social_exchange,
    first_name: *const c_char,
    last_name: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    with_handle(request, error, |r| {
        let first_name = unsafe { opt_str_arg(first_name, "first_name") }?.map(str::to_owned);
        let last_name = unsafe { opt_str_arg(last_name, "last_name") }?.map(str::to_owned);
        profile(&mut r.request).name = Some(PersonName { first_name, last_name });
        Ok(())
    })
}

string_setter! {
    /// Other `user_profile` members as a JSON object (`{"locale":"fr"}`); NULL clears them.
    /// `TE_ERROR_INVALID_INPUT` (field `user_profile`) if it is not a JSON object.
    te_native_social_exchange_set_user_profile_json(te_native_social_exchange, user_profile) => |r, json| {
        if let Some(json) = json {
            token_exchange::UserProfile::from_json_str(json)?;
        }
        profile(&mut r.request).extra_json = json.map(str::to_owned);
        Ok(())
    }
}

handle_free! {
    /// Frees a native social token exchange request. NULL is ignored.
    te_native_social_exchange_free(request: te_native_social_exchange)
}

/// Native social token exchange: trades the request's native sign-in artifact for Auth0
/// tokens. BLOCKS until the server answers (or the timeout). Invalid input fails before any
/// I/O. On failure, check `te_error_request_may_have_reached_server` before reusing a
/// single-use Apple code. Free `*tokens_out` with `te_token_set_free`.
///
/// # Safety
/// `client` and `request` must be live handles; `tokens_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_native_social_exchange(
    client: *const te_client,
    request: *const te_native_social_exchange,
    tokens_out: *mut *mut te_token_set,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let out = unsafe { out_arg(tokens_out, "tokens_out") }?;
        let client = unsafe { ref_arg(client, "client") }?;
        let request = unsafe { ref_arg(request, "request") }?.request.clone();
        let tokens = block_on(client.client.native_social_exchange(request, client.calls.token()))?;
        *out = into_handle(te_token_set { tokens });
        Ok(())
    })
}
