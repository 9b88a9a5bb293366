//! Requests to your API, and their responses.

use std::ffi::c_char;
use std::ptr;

use super::{c_string, call, guard, handle_free, into_handle, mut_arg, out_arg, str_arg, te_code, te_error};
use crate::error::TokenExchangeError;
use crate::resource::{HttpHeader, ResourceRequest, ResourceResponse};

/// A request to your API for `te_client_send_authorized`. Do not modify it from several
/// threads at once. Free it with `te_request_free`.
pub struct te_request {
    pub(crate) request: ResourceRequest,
}

/// Your API's response. Thread-safe to read. Free it with `te_response_free`.
pub struct te_response {
    response: ResourceResponse,
}

impl te_response {
    pub(crate) fn new(response: ResourceResponse) -> Self {
        te_response { response }
    }
}

/// A request for `method` (upper case: `GET`, `POST`...) on `url` (absolute; `https://`, or
/// `http://` for loopback hosts). Checked when sent.
///
/// # Safety
/// Strings must be NUL-terminated; `request_out` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_request_new(
    method: *const c_char,
    url: *const c_char,
    request_out: *mut *mut te_request,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let out = unsafe { out_arg(request_out, "request_out") }?;
        let method = unsafe { str_arg(method, "method") }?;
        let url = unsafe { str_arg(url, "url") }?;
        *out = into_handle(te_request {
            request: ResourceRequest {
                method: method.to_owned(),
                url: url.to_owned(),
                headers: Vec::new(),
                body: None,
            },
        });
        Ok(())
    })
}

/// Adds a header (`Authorization` and `DPoP` are set by the library).
///
/// # Safety
/// `request` must be a live request; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_request_add_header(
    request: *mut te_request,
    name: *const c_char,
    value: *const c_char,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let request = unsafe { mut_arg(request, "request") }?;
        let name = unsafe { str_arg(name, "name") }?;
        let value = unsafe { str_arg(value, "value") }?;
        request.request.headers.push(HttpHeader {
            name: name.to_owned(),
            value: value.to_owned(),
        });
        Ok(())
    })
}

/// Sets the body (copied). `data` may be NULL only when `len` is 0.
///
/// # Safety
/// `request` must be a live request; `data` valid for `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_request_set_body(
    request: *mut te_request,
    data: *const u8,
    len: usize,
    error: *mut *mut te_error,
) -> te_code {
    call(error, || {
        let request = unsafe { mut_arg(request, "request") }?;
        let body = match (data.is_null(), len) {
            (true, 0) => Vec::new(),
            (true, _) => return Err(TokenExchangeError::invalid("data", "is NULL")),
            // SAFETY: non-NULL and valid for `len` bytes per the contract.
            (false, _) => unsafe { std::slice::from_raw_parts(data, len) }.to_vec(),
        };
        request.request.body = Some(body);
        Ok(())
    })
}

handle_free! {
    /// Frees a request. NULL is ignored.
    te_request_free(request: te_request)
}

/// The HTTP status; 0 for NULL.
///
/// # Safety
/// `response` must be NULL or a live response.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_response_status(response: *const te_response) -> i32 {
    guard(0, || unsafe { response.as_ref() }.map_or(0, |r| r.response.status))
}

/// The first header named `name` (case-insensitive), or NULL. Free it with `te_string_free`.
///
/// # Safety
/// `response` must be NULL or a live response; `name` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_response_header(response: *const te_response, name: *const c_char) -> *mut c_char {
    guard(ptr::null_mut(), || {
        let (Some(r), Ok(name)) = (unsafe { response.as_ref() }, unsafe { str_arg(name, "name") }) else {
            return ptr::null_mut();
        };
        c_string(r.response.header(name.to_owned()).as_deref())
    })
}

/// The body: returns a pointer to its bytes and stores their count in `*len_out`. The
/// bytes are BORROWED from the response: valid until `te_response_free`, do not free them.
/// Returns NULL (and 0) for NULL.
///
/// # Safety
/// `response` must be NULL or a live response; `len_out` NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn te_response_body(response: *const te_response, len_out: *mut usize) -> *const u8 {
    guard(ptr::null(), || {
        let (ptr, len) = match unsafe { response.as_ref() } {
            Some(r) => (r.response.body.as_ptr(), r.response.body.len()),
            None => (ptr::null(), 0),
        };
        if let Some(out) = unsafe { len_out.as_mut() } {
            *out = len;
        }
        ptr
    })
}

handle_free! {
    /// Frees a response. NULL is ignored.
    te_response_free(response: te_response)
}
