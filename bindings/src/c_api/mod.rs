//! The C API: `te_*` functions over the same wrappers the Swift and Kotlin bindings use.
//! The header `include/token_exchange.h` is generated from this module by cbindgen.
//!
//! Conventions (also at the top of the header):
//!
//! * **Handles** (`te_client`, `te_exchange`, `te_token_set`, `te_dpop_key`, `te_error`...)
//!   are opaque. Each is created by a `*_new`-style function, owned by the caller, and
//!   released with its own `*_free` function (NULL is accepted and ignored).
//! * **Fallible functions** return a `te_code` (`TE_OK` = 0) and take `te_error **error` last:
//!   on failure, if `error` is not NULL, `*error` receives a new error the caller frees with
//!   `te_error_free`; on success `*error` is set to NULL. Out-parameters are set to NULL (or
//!   zero) first, so they are NULL on failure.
//! * **Strings** passed in are NUL-terminated UTF-8, borrowed for the duration of the call.
//!   Strings returned (`char *`) are new allocations the caller frees with `te_string_free`
//!   (which also wipes them: they may hold tokens). Byte buffers returned through
//!   `uint8_t **` + `size_t *` are freed with `te_bytes_free`.
//! * **Threads**: `te_client`, `te_dpop_key` and `te_token_set` may be used from several
//!   threads at once (const access), and so may `te_federated_token` and
//!   `te_federated_token_cache`. Builders (`te_client_options`, `te_exchange`,
//!   `te_custom_exchange`, `te_request`) must not be mutated concurrently. Network calls block the calling thread;
//!   the work runs on the library's own threads; `te_client_cancel` aborts them from another
//!   thread. Do not call them from a signer callback.
//! * **Safety net**: every entry point checks its pointers (NULL gives
//!   `TE_ERROR_INVALID_INPUT` naming the parameter), validates UTF-8, and catches Rust panics
//!   (`TE_ERROR_INTERNAL`): no panic crosses into C.

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)] // The safety contract of every function is in its doc comment.

mod client;
mod custom;
mod dpop;
mod error;
mod request;
mod resource;
mod tokens;
mod vault;

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;

use zeroize::Zeroize;

pub use client::*;
pub use custom::*;
pub use dpop::*;
pub use error::*;
pub use request::*;
pub use resource::*;
pub use tokens::*;
pub use vault::*;

use crate::error::TokenExchangeError;

/// Runs the body of a fallible entry point: clears `*error`, catches panics, and hands any
/// failure to the caller through `error`.
pub(crate) fn call(error: *mut *mut te_error, body: impl FnOnce() -> Result<(), TokenExchangeError>) -> te_code {
    // SAFETY: the header requires `error` to be NULL or valid for writes.
    if let Some(slot) = unsafe { error.as_mut() } {
        *slot = ptr::null_mut();
    }
    let failure = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return te_code::TE_OK,
        Ok(Err(e)) => te_error::api(e),
        Err(payload) => te_error::internal(payload.as_ref()),
    };
    let code = failure.code();
    if let Some(slot) = unsafe { error.as_mut() } {
        *slot = Box::into_raw(Box::new(failure));
    }
    code
}

/// Runs an infallible entry point (a getter), returning `fallback` if it panics.
pub(crate) fn guard<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

fn invalid(field: &str, problem: &str) -> TokenExchangeError {
    TokenExchangeError::invalid(field, problem)
}

/// A required string argument.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, field: &str) -> Result<&'a str, TokenExchangeError> {
    if p.is_null() {
        return Err(invalid(field, "is NULL"));
    }
    // SAFETY: non-NULL, and the caller promises a NUL-terminated string.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .map_err(|_| invalid(field, "is not valid UTF-8"))
}

/// An optional string argument (NULL = absent).
pub(crate) unsafe fn opt_str_arg<'a>(p: *const c_char, field: &str) -> Result<Option<&'a str>, TokenExchangeError> {
    if p.is_null() {
        Ok(None)
    } else {
        unsafe { str_arg(p, field) }.map(Some)
    }
}

/// A required handle argument.
pub(crate) unsafe fn ref_arg<'a, T>(p: *const T, field: &str) -> Result<&'a T, TokenExchangeError> {
    // SAFETY: the caller promises NULL or a live handle of this type.
    unsafe { p.as_ref() }.ok_or_else(|| invalid(field, "is NULL"))
}

/// A required mutable handle argument.
pub(crate) unsafe fn mut_arg<'a, T>(p: *mut T, field: &str) -> Result<&'a mut T, TokenExchangeError> {
    unsafe { p.as_mut() }.ok_or_else(|| invalid(field, "is NULL"))
}

/// A required out-parameter: checked for NULL and cleared.
pub(crate) unsafe fn out_arg<'a, T>(p: *mut *mut T, field: &str) -> Result<&'a mut *mut T, TokenExchangeError> {
    let slot = unsafe { p.as_mut() }.ok_or_else(|| invalid(field, "is NULL"))?;
    *slot = ptr::null_mut();
    Ok(slot)
}

/// Moves a value into a new heap handle for C.
pub(crate) fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Frees a handle made by [`into_handle`] (NULL is ignored).
pub(crate) unsafe fn free_handle<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: made by `into_handle` and not freed before, per the header contract.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// A new C string for the caller to free with `te_string_free`; `None` for NULL.
pub(crate) fn c_string(value: Option<&str>) -> *mut c_char {
    match value.map(CString::new) {
        Some(Ok(s)) => s.into_raw(),
        // Interior NUL: no text the library returns contains one; refuse rather than truncate.
        Some(Err(_)) | None => ptr::null_mut(),
    }
}

/// Stores a string in an out-parameter, failing if it cannot be represented in C.
pub(crate) fn put_string(slot: &mut *mut c_char, value: &str, field: &str) -> Result<(), TokenExchangeError> {
    let s = CString::new(value).map_err(|_| invalid(field, "contains a NUL byte and cannot be returned to C"))?;
    *slot = s.into_raw();
    Ok(())
}

/// Frees (and wipes) a string returned by this library. NULL is ignored.
///
/// # Safety
/// `s` must be NULL or a string returned by a `te_*` function, not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_string_free(s: *mut c_char) {
    guard((), || {
        if !s.is_null() {
            // SAFETY: made by `CString::into_raw` in this library.
            let mut bytes = unsafe { CString::from_raw(s) }.into_bytes_with_nul();
            bytes.zeroize();
        }
    })
}

/// Hands a byte buffer to C: freed (and wiped) by [`te_bytes_free`] with the same length.
pub(crate) fn put_bytes(data: &mut *mut u8, len: &mut usize, bytes: &[u8]) {
    let boxed: Box<[u8]> = bytes.into();
    *len = boxed.len();
    *data = Box::into_raw(boxed).cast::<u8>();
}

/// Frees (and wipes) a byte buffer returned by this library, with the length it was returned
/// with. NULL is ignored.
///
/// # Safety
/// `data` must be NULL or a buffer returned by a `te_*` function with exactly `len` bytes,
/// not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_bytes_free(data: *mut u8, len: usize) {
    guard((), || {
        if !data.is_null() {
            // SAFETY: made by `put_bytes` as a boxed slice of `len` bytes.
            let mut boxed = unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(data, len)) };
            boxed.zeroize();
        }
    })
}

/// The library version, e.g. `"0.1.0"`. A static string: do NOT free it.
#[unsafe(no_mangle)]
pub extern "C" fn te_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
