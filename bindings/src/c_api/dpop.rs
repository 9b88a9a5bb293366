//! DPoP keys: software keys, and keys held by C callbacks (an HSM, a TPM, a platform keystore).

use std::ffi::{c_char, c_void};
use std::ptr;
use std::sync::Arc;

use token_exchange::{DpopSigner as CoreSigner, EcPublicKey, SignerError as CoreSignerError};

use super::{c_string, call, guard, handle_free, into_handle, out_arg, put_bytes, ref_arg, te_code, te_error};
use crate::dpop::{DpopKey, parse_public_key};
use crate::error::TokenExchangeError;

/// Size of the buffer a `te_signer.public_key` callback writes into.
pub const TE_SIGNER_MAX_PUBLIC_KEY_LEN: usize = 128;
/// Size of the buffer a `te_signer.sign` callback writes into.
pub const TE_SIGNER_MAX_SIGNATURE_LEN: usize = 128;

/// A DPoP key: a software P-256 key, or a key held by a `te_signer`. Thread-safe; free it
/// with `te_dpop_key_free` (clients keep their own reference).
pub struct te_dpop_key {
    pub(crate) key: Arc<DpopKey>,
}

/// A P-256 key implemented by the application, through callbacks.
///
/// The callbacks are called from the library's worker threads, possibly concurrently: they
/// must be thread-safe. They must not call back into blocking `te_client_*` functions.
/// `sign` may block (a hardware token, a user prompt): signing counts against the client's
/// timeout, so a call whose `sign` has not returned by then fails with `TE_ERROR_TIMEOUT`
/// (nothing was sent), and `te_client_cancel` ends a call with `TE_ERROR_CANCELLED` at once.
/// The callback itself is not interrupted: it runs to completion on its thread (a prompt stays
/// open until answered or dismissed) and its signature is discarded; `context` stays alive
/// until then.
/// Ownership of `context` passes to the library when `te_dpop_key_from_signer` is called:
/// `release` (if not NULL) is called exactly once, when the key is no longer used (or at once
/// if `te_dpop_key_from_signer` fails).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct te_signer {
    /// Passed to every callback.
    pub context: *mut c_void,
    /// Writes the public key into `out` (at most `capacity` bytes) and its length into
    /// `*out_len`: an uncompressed SEC1 point (65 bytes, `0x04 || x || y`) or a DER
    /// SubjectPublicKeyInfo. Returns 0 on success, anything else on failure.
    pub public_key:
        Option<unsafe extern "C" fn(context: *mut c_void, out: *mut u8, capacity: usize, out_len: *mut usize) -> i32>,
    /// Signs `message` with ECDSA P-256 / SHA-256 (the callback hashes) and writes the
    /// signature into `out` (at most `capacity` bytes): raw `r || s` (64 bytes) or DER.
    /// Returns 0 on success, anything else on failure (a `TE_ERROR_SIGNER` for the call).
    pub sign: Option<
        unsafe extern "C" fn(
            context: *mut c_void,
            message: *const u8,
            message_len: usize,
            out: *mut u8,
            capacity: usize,
            out_len: *mut usize,
        ) -> i32,
    >,
    /// Releases `context`; may be NULL.
    pub release: Option<unsafe extern "C" fn(context: *mut c_void)>,
}

/// A `te_signer` as the library's signer.
struct CallbackSigner {
    signer: te_signer,
    public: EcPublicKey,
}

// SAFETY: the header makes thread-safe callbacks (and context) a requirement of `te_signer`.
unsafe impl Send for CallbackSigner {}
unsafe impl Sync for CallbackSigner {}

impl Drop for CallbackSigner {
    fn drop(&mut self) {
        release(&self.signer);
    }
}

fn release(signer: &te_signer) {
    if let Some(release) = signer.release {
        // SAFETY: the application's callback, called once with its own context.
        unsafe { release(signer.context) }
    }
}

impl CoreSigner for CallbackSigner {
    fn public_key(&self) -> Result<EcPublicKey, CoreSignerError> {
        Ok(self.public)
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CoreSignerError> {
        let sign = self
            .signer
            .sign
            .ok_or_else(|| CoreSignerError::new("the sign callback is NULL"))?;
        let mut out = [0u8; TE_SIGNER_MAX_SIGNATURE_LEN];
        let mut len = 0usize;
        // SAFETY: the application's callback with buffers valid for the sizes given.
        let rc = unsafe {
            sign(
                self.signer.context,
                message.as_ptr(),
                message.len(),
                out.as_mut_ptr(),
                out.len(),
                &mut len,
            )
        };
        if rc != 0 {
            return Err(CoreSignerError::new(format!("the sign callback failed ({rc})")));
        }
        if len == 0 || len > out.len() {
            return Err(CoreSignerError::new("the sign callback returned an invalid length"));
        }
        Ok(out[..len].to_vec())
    }
}

fn read_public_key(signer: &te_signer) -> Result<EcPublicKey, TokenExchangeError> {
    let public_key = signer
        .public_key
        .ok_or_else(|| TokenExchangeError::invalid("signer", "public_key callback is NULL"))?;
    if signer.sign.is_none() {
        return Err(TokenExchangeError::invalid("signer", "sign callback is NULL"));
    }
    let mut out = [0u8; TE_SIGNER_MAX_PUBLIC_KEY_LEN];
    let mut len = 0usize;
    // SAFETY: the application's callback with a buffer valid for its size.
    let rc = unsafe { public_key(signer.context, out.as_mut_ptr(), out.len(), &mut len) };
    let fail = |message: String| TokenExchangeError::signer(message);
    if rc != 0 {
        return Err(fail(format!("the public_key callback failed ({rc})")));
    }
    if len > out.len() {
        return Err(fail("the public_key callback returned an invalid length".into()));
    }
    parse_public_key(&out[..len]).map_err(|e| fail(format!("unusable public key: {}", e.message())))
}

/// Generates a new random software key. Free it with `te_dpop_key_free`.
///
/// # Safety
/// `key_out` must be valid for writes; `error` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_dpop_key_generate(key_out: *mut *mut te_dpop_key, error: *mut *mut te_error) -> te_code {
    call(error, || {
        let out = unsafe { out_arg(key_out, "key_out") }?;
        *out = into_handle(te_dpop_key {
            key: DpopKey::generate()?,
        });
        Ok(())
    })
}

/// Imports a software key from PKCS#8 DER (what `te_dpop_key_to_pkcs8` exported).
///
/// # Safety
/// `der` must be valid for `len` bytes; `key_out` valid for writes; `error` NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_dpop_key_from_pkcs8(
    der: *const u8,
    len: usize,
    key_out: *mut *mut te_dpop_key,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let out = unsafe { out_arg(key_out, "key_out") }?;
        if der.is_null() {
            return Err(TokenExchangeError::invalid("der", "is NULL"));
        }
        // SAFETY: non-NULL and, per the contract, valid for `len` bytes.
        let bytes = unsafe { std::slice::from_raw_parts(der, len) };
        *out = into_handle(te_dpop_key {
            key: DpopKey::from_pkcs8(bytes.to_vec())?,
        });
        Ok(())
    })
}

/// A key held by application callbacks. Reads the public key now (`TE_ERROR_SIGNER` if the
/// callback fails or returns an unusable key). See `te_signer` for the threading and
/// ownership rules: `signer->release` is called even when this fails.
///
/// # Safety
/// `signer` must be NULL or valid for reads (it is copied); `key_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_dpop_key_from_signer(
    signer: *const te_signer,
    key_out: *mut *mut te_dpop_key,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let signer = *unsafe { ref_arg(signer, "signer") }?;
        let result = (|| {
            let out = unsafe { out_arg(key_out, "key_out") }?;
            let public = read_public_key(&signer)?;
            Ok((out, public))
        })();
        let (out, public) = match result {
            Ok(v) => v,
            Err(e) => {
                release(&signer);
                return Err(e);
            }
        };
        // From here on `CallbackSigner::drop` releases the context.
        let key = DpopKey::from_core_signer(Arc::new(CallbackSigner { signer, public }))?;
        *out = into_handle(te_dpop_key { key });
        Ok(())
    })
}

/// Exports a software key as PKCS#8 DER into `*der_out` / `*len_out` (free with
/// `te_bytes_free(*der_out, *len_out)`). The bytes ARE the private key: store them
/// encrypted, never log them. `TE_ERROR_INVALID_INPUT` for a callback key.
///
/// # Safety
/// `key` must be a live key; `der_out` and `len_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_dpop_key_to_pkcs8(
    key: *const te_dpop_key,
    der_out: *mut *mut u8,
    len_out: *mut usize,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let der_out = unsafe { out_arg(der_out, "der_out") }?;
        let len_out = unsafe { len_out.as_mut() }.ok_or_else(|| TokenExchangeError::invalid("len_out", "is NULL"))?;
        *len_out = 0;
        let key = unsafe { ref_arg(key, "key") }?;
        let pkcs8 = key.key.pkcs8()?;
        put_bytes(der_out, len_out, &pkcs8);
        Ok(())
    })
}

/// The RFC 7638 thumbprint (`jkt`) of the key. Free it with `te_string_free`; NULL for NULL.
///
/// # Safety
/// `key` must be NULL or a live key.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_dpop_key_thumbprint(key: *const te_dpop_key) -> *mut c_char {
    guard(ptr::null_mut(), || match unsafe { key.as_ref() } {
        Some(k) => c_string(Some(&k.key.thumbprint())),
        None => ptr::null_mut(),
    })
}

/// Whether the key is a software key (exportable).
///
/// # Safety
/// `key` must be NULL or a live key.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_dpop_key_is_software(key: *const te_dpop_key) -> bool {
    guard(false, || unsafe { key.as_ref() }.is_some_and(|k| k.key.is_software()))
}

handle_free! {
    /// Releases the caller's reference to a key (clients using it keep theirs). NULL is ignored.
    te_dpop_key_free(key: te_dpop_key)
}
