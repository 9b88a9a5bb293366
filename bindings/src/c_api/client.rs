//! Client options, the client, and its blocking calls.

use std::ffi::c_char;
use std::ptr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::{
    c_string, call, guard, handle_free, into_handle, mut_arg, opt_str_arg, out_arg, put_string, ref_arg, str_arg,
    te_code, te_dpop_key, te_error, te_request, te_response, te_token_set,
};
use crate::client::TokenExchangeClient;
use crate::config::{ClientAuthentication, ClientConfig, Telemetry, UnboundTokenPolicy};
use crate::runtime::{CancellationToken, block_on};
use crate::token_set::TokenSet;

/// Telemetry name of C callers.
const C_SDK_NAME: &str = "token-exchange-c";

/// Options for `te_client_new`. Not thread-safe; free with `te_client_options_free`.
pub struct te_client_options {
    pub(crate) config: ClientConfig,
    dpop_key: Option<std::sync::Arc<crate::DpopKey>>,
}

/// A client for one Auth0 application. Thread-safe: share one between threads. Free it with
/// `te_client_free` once no call is using it.
pub struct te_client {
    pub(crate) client: TokenExchangeClient,
    /// Shared with the Token Vault caches built from this client.
    pub(crate) calls: Arc<CallScope>,
}

/// The calls in flight on one client, for `te_client_cancel`: each blocking call runs with the
/// current token; cancelling cancels it and puts a fresh one in its place, so later calls are
/// not affected.
#[derive(Default)]
pub(crate) struct CallScope(Mutex<Arc<CancellationToken>>);

impl CallScope {
    /// The token a call starting now runs with.
    pub(crate) fn token(&self) -> Option<Arc<CancellationToken>> {
        Some(self.0.lock().unwrap_or_else(PoisonError::into_inner).clone())
    }

    fn cancel_all(&self) {
        let fresh = Arc::new(CancellationToken::default());
        let in_flight = std::mem::replace(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner), fresh);
        in_flight.cancel();
    }
}

/// Starts client options for `domain` (`tenant.us.auth0.com`, a custom domain, or a full
/// base URL; `http://` only for loopback hosts) and `client_id`. Nothing is validated until
/// `te_client_new`. Telemetry identifies the C API (`token-exchange-c`) and is on.
///
/// # Safety
/// Strings must be NUL-terminated; `options_out` valid for writes; `error` NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_options_new(
    domain: *const c_char,
    client_id: *const c_char,
    options_out: *mut *mut te_client_options,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let out = unsafe { out_arg(options_out, "options_out") }?;
        let domain = unsafe { str_arg(domain, "domain") }?;
        let client_id = unsafe { str_arg(client_id, "client_id") }?;
        let mut config = ClientConfig::new(domain, client_id);
        config.telemetry = Some(Telemetry {
            name: C_SDK_NAME.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            env: Default::default(),
        });
        *out = into_handle(te_client_options { config, dpop_key: None });
        Ok(())
    })
}

/// Applies `f` to the options behind `options`.
pub(crate) fn with_options(
    options: *mut te_client_options,
    error: *mut *mut te_error,
    f: impl FnOnce(&mut te_client_options) -> Result<(), crate::TokenExchangeError>,
) -> te_code {
    call(error, || f(unsafe { mut_arg(options, "options") }?))
}

/// Time allowed for a whole request, in milliseconds (default 30000; 0 is refused by
/// `te_client_new`), signing its DPoP proof included: a `te_signer` still signing when it runs
/// out fails the call with `TE_ERROR_TIMEOUT` before anything is sent.
///
/// # Safety
/// `options` must be a live options object; `error` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_options_set_timeout_ms(
    options: *mut te_client_options,
    timeout_ms: u64,
    error: *mut *mut te_error,
) -> te_code {
    with_options(options, error, |o| {
        o.config.timeout = Some(Duration::from_millis(timeout_ms));
        Ok(())
    })
}

/// Time allowed to connect, in milliseconds (default 10000).
///
/// # Safety
/// `options` must be a live options object; `error` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_options_set_connect_timeout_ms(
    options: *mut te_client_options,
    timeout_ms: u64,
    error: *mut *mut te_error,
) -> te_code {
    with_options(options, error, |o| {
        o.config.connect_timeout = Some(Duration::from_millis(timeout_ms));
        Ok(())
    })
}

/// The `User-Agent` header.
///
/// # Safety
/// `options` must be a live options object; `user_agent` a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_options_set_user_agent(
    options: *mut te_client_options,
    user_agent: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    with_options(options, error, |o| {
        o.config.user_agent = Some(unsafe { str_arg(user_agent, "user_agent") }?.to_owned());
        Ok(())
    })
}

/// Turns the `Auth0-Client` telemetry header on (default) or off.
///
/// # Safety
/// `options` must be a live options object; `error` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_options_set_telemetry(
    options: *mut te_client_options,
    enabled: bool,
    error: *mut *mut te_error,
) -> te_code {
    with_options(options, error, |o| {
        o.config.telemetry_enabled = enabled;
        Ok(())
    })
}

/// Names the SDK in the telemetry header (for wrappers built on the C API, e.g. a Flutter
/// plugin). Both strings are required.
///
/// # Safety
/// `options` must be a live options object; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_options_set_telemetry_sdk(
    options: *mut te_client_options,
    name: *const c_char,
    version: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    with_options(options, error, |o| {
        o.config.telemetry = Some(Telemetry {
            name: unsafe { str_arg(name, "name") }?.to_owned(),
            version: unsafe { str_arg(version, "version") }?.to_owned(),
            env: Default::default(),
        });
        Ok(())
    })
}

/// Whether to accept a bearer token when DPoP was used (default false: such a response fails
/// with `TE_ERROR_TOKEN_NOT_BOUND`).
///
/// # Safety
/// `options` must be a live options object; `error` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_options_set_accept_unbound_tokens(
    options: *mut te_client_options,
    accept: bool,
    error: *mut *mut te_error,
) -> te_code {
    with_options(options, error, |o| {
        o.config.unbound_token_policy = Some(if accept {
            UnboundTokenPolicy::Accept
        } else {
            UnboundTokenPolicy::Reject
        });
        Ok(())
    })
}

/// Largest token endpoint response read, in bytes (default 262144).
///
/// # Safety
/// `options` must be a live options object; `error` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_options_set_max_response_bytes(
    options: *mut te_client_options,
    max_bytes: u32,
    error: *mut *mut te_error,
) -> te_code {
    with_options(options, error, |o| {
        o.config.max_response_bytes = Some(i64::from(max_bytes));
        Ok(())
    })
}

/// Sender-constrains every request with DPoP proofs signed by `key` (the options take their
/// own reference: the caller still frees `key`). NULL removes the key (bearer tokens).
///
/// # Safety
/// `options` must be a live options object; `key` NULL or a live key.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_options_set_dpop_key(
    options: *mut te_client_options,
    key: *const te_dpop_key,
    error: *mut *mut te_error,
) -> te_code {
    with_options(options, error, |o| {
        o.dpop_key = unsafe { key.as_ref() }.map(|k| k.key.clone());
        Ok(())
    })
}

/// Authenticates the client with `client_secret_post` (the secret in the form body), as a
/// backend does (a Token Vault Custom API Client). The options keep a copy of the secret.
///
/// # Safety
/// `options` must be a live options object; `client_secret` a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_options_set_client_secret_post(
    options: *mut te_client_options,
    client_secret: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    with_options(options, error, |o| {
        let secret = unsafe { str_arg(client_secret, "client_secret") }?;
        o.config.client_authentication = Some(ClientAuthentication::ClientSecretPost { secret: secret.into() });
        Ok(())
    })
}

/// Authenticates the client with `client_secret_basic` (HTTP Basic with the client id and
/// secret). The options keep a copy of the secret.
///
/// # Safety
/// `options` must be a live options object; `client_secret` a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_options_set_client_secret_basic(
    options: *mut te_client_options,
    client_secret: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    with_options(options, error, |o| {
        let secret = unsafe { str_arg(client_secret, "client_secret") }?;
        o.config.client_authentication = Some(ClientAuthentication::ClientSecretBasic { secret: secret.into() });
        Ok(())
    })
}

/// Authenticates the client with `private_key_jwt`: RS256 client assertions signed with
/// `pkcs8_pem`, an RSA private key (2048 bits or more) as a `-----BEGIN PRIVATE KEY-----`
/// PEM block; `kid` (NULL for none) is the key id of the credential registered for the
/// application. The key is parsed here (`TE_ERROR_INVALID_INPUT`, field
/// `client_assertion_key`, if it is unusable); the options keep a copy.
///
/// # Safety
/// `options` must be a live options object; `pkcs8_pem` NUL-terminated; `kid` NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_options_set_private_key_jwt(
    options: *mut te_client_options,
    pkcs8_pem: *const c_char,
    kid: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    with_options(options, error, |o| {
        let pem = unsafe { str_arg(pkcs8_pem, "pkcs8_pem") }?;
        let kid = unsafe { opt_str_arg(kid, "kid") }?.map(str::to_owned);
        let auth = ClientAuthentication::PrivateKeyJwt {
            pkcs8_pem: pem.into(),
            kid,
        };
        // Parsed now for an early, precise error; parsed again by `te_client_new`.
        auth.to_core()?;
        o.config.client_authentication = Some(auth);
        Ok(())
    })
}

/// Makes the client a public client again (only `client_id` is sent; the default).
///
/// # Safety
/// `options` must be a live options object; `error` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_options_set_public_client(
    options: *mut te_client_options,
    error: *mut *mut te_error,
) -> te_code {
    with_options(options, error, |o| {
        o.config.client_authentication = None;
        Ok(())
    })
}

handle_free! {
    /// Frees client options. NULL is ignored.
    te_client_options_free(options: te_client_options)
}

/// Validates the options (nothing is sent) and creates a client. `TE_ERROR_INVALID_INPUT`
/// names a bad field (`domain`, `client_id`, `timeout`...). The options can be freed or
/// reused afterwards.
///
/// # Safety
/// `options` must be a live options object; `client_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_new(
    options: *const te_client_options,
    client_out: *mut *mut te_client,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let out = unsafe { out_arg(client_out, "client_out") }?;
        let options = unsafe { ref_arg(options, "options") }?;
        let client = TokenExchangeClient::build(&options.config, options.dpop_key.clone(), None)?;
        *out = into_handle(te_client {
            client,
            calls: Arc::default(),
        });
        Ok(())
    })
}

/// The thumbprint (`jkt`) of the client's DPoP key; NULL without a key. Free it with
/// `te_string_free`.
///
/// # Safety
/// `client` must be NULL or a live client.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_dpop_thumbprint(client: *const te_client) -> *mut c_char {
    guard(ptr::null_mut(), || match unsafe { client.as_ref() } {
        Some(c) => c_string(c.client.dpop_thumbprint().as_deref()),
        None => ptr::null_mut(),
    })
}

/// The header values that present `tokens`' access token on `method url` with your own HTTP
/// stack: `*authorization_out` (`DPoP <token>` or `Bearer <token>`) and, for a DPoP-bound
/// token, `*dpop_out` (a proof valid once; NULL for bearer tokens). Both are secrets; free
/// them with `te_string_free`. Does not block.
///
/// # Safety
/// Handles live; strings NUL-terminated; out-parameters valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_authorization_headers(
    client: *const te_client,
    method: *const c_char,
    url: *const c_char,
    tokens: *const te_token_set,
    authorization_out: *mut *mut c_char,
    dpop_out: *mut *mut c_char,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let authorization_out = unsafe { out_arg(authorization_out, "authorization_out") }?;
        let dpop_out = unsafe { out_arg(dpop_out, "dpop_out") }?;
        let client = unsafe { ref_arg(client, "client") }?;
        let method = unsafe { str_arg(method, "method") }?;
        let url = unsafe { str_arg(url, "url") }?;
        let tokens = unsafe { ref_arg(tokens, "tokens") }?;
        let headers = client
            .client
            .authorization_headers(method.to_owned(), url.to_owned(), tokens.tokens.clone())?;
        put_string(authorization_out, &headers.authorization, "authorization")?;
        if let Some(proof) = &headers.dpop
            && let Err(e) = put_string(dpop_out, proof, "dpop")
        {
            unsafe { super::te_string_free(*authorization_out) };
            *authorization_out = ptr::null_mut();
            return Err(e);
        }
        Ok(())
    })
}

/// Sends `request` to your API with `tokens`' access token (and a DPoP proof for a bound
/// token), retrying once if the API demands a DPoP nonce. BLOCKS. Any HTTP status is a
/// success here: read it with `te_response_status`. Free `*response_out` with
/// `te_response_free`.
///
/// # Safety
/// Handles live; `response_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_send_authorized(
    client: *const te_client,
    request: *const te_request,
    tokens: *const te_token_set,
    response_out: *mut *mut te_response,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let out = unsafe { out_arg(response_out, "response_out") }?;
        let client = unsafe { ref_arg(client, "client") }?;
        let request = unsafe { ref_arg(request, "request") }?;
        let tokens = unsafe { ref_arg(tokens, "tokens") }?;
        let response = block_on(
            client
                .client
                .send(&request.request, &tokens.tokens, client.calls.token()),
        )?;
        *out = into_handle(te_response::new(response));
        Ok(())
    })
}

/// Calls the tenant's `/userinfo` with `tokens` and stores the user's claims, a JSON object,
/// in `*json_out` (free with `te_string_free`). BLOCKS.
///
/// # Safety
/// Handles live; `json_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_userinfo(
    client: *const te_client,
    tokens: *const te_token_set,
    json_out: *mut *mut c_char,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let out = unsafe { out_arg(json_out, "json_out") }?;
        let client = unsafe { ref_arg(client, "client") }?;
        let tokens: &TokenSet = &unsafe { ref_arg(tokens, "tokens") }?.tokens;
        let json = block_on(client.client.user_claims(tokens, client.calls.token()))?;
        put_string(out, &json, "claims")
    })
}

/// Cancels every call in flight on `client`, from any thread, without blocking: each returns
/// `TE_ERROR_CANCELLED` at once, its HTTP request aborted. This includes
/// `te_token_vault_cache_get` on caches built from the client. A cancelled request may
/// still have reached the server (`te_error_request_may_have_reached_server` is true): do not
/// resend a single-use Apple code. Calls started afterwards run normally. NULL is ignored.
///
/// # Safety
/// `client` must be NULL or a live client.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_client_cancel(client: *const te_client) {
    guard((), || {
        if let Some(client) = unsafe { client.as_ref() } {
            client.calls.cancel_all();
        }
    })
}

handle_free! {
    /// Frees a client. NULL is ignored. No call may be using it.
    te_client_free(client: te_client)
}
