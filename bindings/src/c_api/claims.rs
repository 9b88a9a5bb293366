//! The user's claims, typed: from a validated ID token and from `/userinfo`.

use std::ptr;

use super::{
    call, guard, handle_free, into_handle, number_getter, out_arg, ref_arg, string_getter, te_client, te_code,
    te_error, te_token_set,
};
use crate::claims::UserClaims;
use crate::runtime::block_on;

/// The user's claims (profile data: never log them). Immutable, thread-safe to read. Free it
/// with `te_user_claims_free`.
pub struct te_user_claims {
    claims: UserClaims,
}

/// The claims of the token set's ID token, which the client validated (the default), as a
/// new handle to free with `te_user_claims_free`. NULL when there is no validated ID token
/// (none was issued, validation is off, or the set was rebuilt with `te_token_set_new`) and
/// for NULL.
///
/// # Safety
/// `tokens` must be NULL or a live token set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_token_set_id_token_claims(tokens: *const te_token_set) -> *mut te_user_claims {
    guard(ptr::null_mut(), || {
        match unsafe { tokens.as_ref() }.and_then(|t| t.tokens.id_token_claims.clone()) {
            Some(claims) => into_handle(te_user_claims { claims }),
            None => ptr::null_mut(),
        }
    })
}

/// Calls the tenant's `/userinfo` with `tokens` and stores the user's claims, typed, in
/// `*claims_out` (free with `te_user_claims_free`). BLOCKS. When `tokens` carries validated ID
/// token claims, the response must be about the same user (`sub`), or it is refused
/// (`TE_ERROR_UNEXPECTED_RESPONSE`).
///
/// # Safety
/// Handles live; `claims_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_userinfo_claims(
    client: *const te_client,
    tokens: *const te_token_set,
    claims_out: *mut *mut te_user_claims,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let out = unsafe { out_arg(claims_out, "claims_out") }?;
        let client = unsafe { ref_arg(client, "client") }?;
        let tokens = unsafe { ref_arg(tokens, "tokens") }?.tokens.clone();
        let claims = block_on(client.client.userinfo_claims(tokens, client.calls.token()))?;
        *out = into_handle(te_user_claims { claims });
        Ok(())
    })
}

string_getter! {
    /// The user id (`sub`). Free it with `te_string_free`; NULL for NULL.
    te_user_claims_sub(claims: te_user_claims) => |c| Some(&c.claims.sub)
}

string_getter! {
    /// The full name (`name`), or NULL. Free it with `te_string_free`.
    te_user_claims_name(claims: te_user_claims) => |c| c.claims.name.as_deref()
}

string_getter! {
    /// The given name (`given_name`), or NULL. Free it with `te_string_free`.
    te_user_claims_given_name(claims: te_user_claims) => |c| c.claims.given_name.as_deref()
}

string_getter! {
    /// The family name (`family_name`), or NULL. Free it with `te_string_free`.
    te_user_claims_family_name(claims: te_user_claims) => |c| c.claims.family_name.as_deref()
}

string_getter! {
    /// The email address (`email`), or NULL. Free it with `te_string_free`.
    te_user_claims_email(claims: te_user_claims) => |c| c.claims.email.as_deref()
}

string_getter! {
    /// The URL of the profile picture (`picture`), or NULL. Free it with `te_string_free`.
    te_user_claims_picture(claims: te_user_claims) => |c| c.claims.picture.as_deref()
}

string_getter! {
    /// Every other claim (`iss`, `aud`, `exp`, `org_id`, custom claims...) as a JSON object.
    /// Free it with `te_string_free`; NULL for NULL.
    te_user_claims_other_json(claims: te_user_claims) => |c| Some(&c.claims.other)
}

number_getter! {
    /// When the profile was last updated (`updated_at`), in seconds since the Unix epoch:
    /// stored in `*out`, returning true; false (and `*out` untouched) when unknown.
    te_user_claims_updated_at(claims: te_user_claims, out) => |c| c.claims.updated_at
}

/// Whether the provider verified the email address (`email_verified`): stored in
/// `*verified_out`, returning true; false (and `*verified_out` untouched) when unknown or for
/// NULL.
///
/// # Safety
/// `claims` must be NULL or a live `te_user_claims`; `verified_out` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_user_claims_email_verified(claims: *const te_user_claims, verified_out: *mut bool) -> bool {
    guard(false, || {
        let Some(verified) = unsafe { claims.as_ref() }.and_then(|c| c.claims.email_verified) else {
            return false;
        };
        if let Some(out) = unsafe { verified_out.as_mut() } {
            *out = verified;
        }
        true
    })
}

handle_free! {
    /// Frees claims. NULL is ignored.
    te_user_claims_free(claims: te_user_claims)
}
