//! The exchange request builder.

use std::ffi::c_char;

use super::{call, free_handle, guard, into_handle, mut_arg, opt_str_arg, out_arg, str_arg, te_code, te_error};
use crate::error::TokenExchangeError;
use crate::exchange::{NativeSocialExchange, PersonName, SubjectTokenType, UserProfile, set_omit_scope};

/// A native social exchange request: the subject token plus options. Do not modify it from
/// several threads at once; sending it from several threads is fine. It holds the subject
/// token (a secret): free it with `te_exchange_free` once the exchange is done.
pub struct te_exchange {
    pub(crate) request: NativeSocialExchange,
}

fn new_request(
    out: *mut *mut te_exchange,
    error: *mut *mut te_error,
    make: impl FnOnce() -> Result<NativeSocialExchange, TokenExchangeError>,
) -> te_code {
    call(error, || {
        let out = unsafe { out_arg(out, "request_out") }?;
        *out = into_handle(te_exchange { request: make()? });
        Ok(())
    })
}

/// A Sign in with Apple exchange of `authorization_code` (the credential's
/// `authorizationCode`, single-use). The code is validated when the request is sent.
///
/// # Safety
/// `authorization_code` must be NUL-terminated; `request_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_exchange_apple(
    authorization_code: *const c_char,
    request_out: *mut *mut te_exchange,
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

/// A Facebook exchange of a session info access token.
///
/// # Safety
/// `session_token` must be NUL-terminated; `request_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_exchange_facebook(
    session_token: *const c_char,
    request_out: *mut *mut te_exchange,
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

/// An exchange of any subject token whose type is the absolute URI `subject_token_type`.
///
/// # Safety
/// Strings must be NUL-terminated; `request_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_exchange_custom(
    subject_token_type: *const c_char,
    subject_token: *const c_char,
    request_out: *mut *mut te_exchange,
    error: *mut *mut te_error,
) -> te_code {
    new_request(request_out, error, || {
        let uri = unsafe { str_arg(subject_token_type, "subject_token_type") }?;
        let token = unsafe { str_arg(subject_token, "subject_token") }?;
        Ok(NativeSocialExchange::new(
            token,
            SubjectTokenType::Custom { uri: uri.to_owned() },
        ))
    })
}

fn with_request(
    request: *mut te_exchange,
    error: *mut *mut te_error,
    f: impl FnOnce(&mut NativeSocialExchange) -> Result<(), TokenExchangeError>,
) -> te_code {
    call(error, || f(&mut unsafe { mut_arg(request, "request") }?.request))
}

/// The API to get an access token for (its identifier); NULL clears it. Exclusive with
/// `resource`.
///
/// # Safety
/// `request` must be a live request; `audience` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_exchange_set_audience(
    request: *mut te_exchange,
    audience: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    with_request(request, error, |r| {
        r.audience = unsafe { opt_str_arg(audience, "audience") }?.map(str::to_owned);
        Ok(())
    })
}

/// The API as a resource URI (resource parameter profile); NULL clears it. Exclusive with
/// `audience`.
///
/// # Safety
/// `request` must be a live request; `resource` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_exchange_set_resource(
    request: *mut te_exchange,
    resource: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    with_request(request, error, |r| {
        r.resource = unsafe { opt_str_arg(resource, "resource") }?.map(str::to_owned);
        Ok(())
    })
}

/// Space-separated scopes (default `openid profile email offline_access`; `openid` is always
/// added); NULL restores the default. Either undoes `te_exchange_set_omit_scope`.
///
/// # Safety
/// `request` must be a live request; `scope` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_exchange_set_scope(
    request: *mut te_exchange,
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
pub unsafe extern "C" fn te_exchange_set_omit_scope(
    request: *mut te_exchange,
    omit_scope: bool,
    error: *mut *mut te_error,
) -> te_code {
    with_request(request, error, |r| {
        set_omit_scope(&mut r.scope, &mut r.omit_scope, omit_scope);
        Ok(())
    })
}

/// The end user's IP address (`auth0-forwarded-for`), when a server calls on their behalf;
/// NULL clears it.
///
/// # Safety
/// `request` must be a live request; `ip` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_exchange_set_forwarded_for(
    request: *mut te_exchange,
    ip: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    with_request(request, error, |r| {
        let ip = unsafe { opt_str_arg(ip, "forwarded_for") }?;
        if let Some(ip) = ip
            && ip.trim().parse::<std::net::IpAddr>().is_err()
        {
            return Err(TokenExchangeError::invalid(
                "forwarded_for",
                "is not an IPv4 or IPv6 address",
            ));
        }
        r.forwarded_for = ip.map(str::to_owned);
        Ok(())
    })
}

fn profile(r: &mut NativeSocialExchange) -> &mut UserProfile {
    r.user_profile.get_or_insert_with(UserProfile::default)
}

/// The user's name for `user_profile` (Sign in with Apple gives it on the first sign-in
/// only). Either part may be NULL.
///
/// # Safety
/// `request` must be a live request; strings NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_exchange_set_user_name(
    request: *mut te_exchange,
    first_name: *const c_char,
    last_name: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    with_request(request, error, |r| {
        let first_name = unsafe { opt_str_arg(first_name, "first_name") }?.map(str::to_owned);
        let last_name = unsafe { opt_str_arg(last_name, "last_name") }?.map(str::to_owned);
        profile(r).name = Some(PersonName { first_name, last_name });
        Ok(())
    })
}

/// Other `user_profile` members as a JSON object (`{"locale":"fr"}`); NULL clears them.
/// `TE_ERROR_INVALID_INPUT` (field `user_profile`) if it is not a JSON object.
///
/// # Safety
/// `request` must be a live request; `json` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_exchange_set_user_profile_json(
    request: *mut te_exchange,
    json: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    with_request(request, error, |r| {
        let json = unsafe { opt_str_arg(json, "user_profile") }?;
        if let Some(j) = json
            && !serde_json::from_str::<serde_json::Value>(j).is_ok_and(|v| v.is_object())
        {
            return Err(TokenExchangeError::invalid("user_profile", "is not a JSON object"));
        }
        profile(r).extra_json = json.map(str::to_owned);
        Ok(())
    })
}

/// Frees a request. NULL is ignored.
///
/// # Safety
/// `request` must be NULL or a request returned by this library, not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_exchange_free(request: *mut te_exchange) {
    guard((), || unsafe { free_handle(request) })
}
