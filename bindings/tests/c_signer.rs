//! The C API's callback signer, driven from Rust: a C program cannot sign ECDSA without a
//! crypto library, so the success path of `te_dpop_key_from_signer` is tested here (the C
//! tests cover its failure paths).

use std::ffi::{CStr, CString, c_void};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};

use token_exchange::{DpopSigner as _, SoftwareKey};
use token_exchange_emulator::{AppleCode, Emulator, EmulatorConfig};
use token_exchange_ffi::c_api::*;

struct Ctx {
    key: SoftwareKey,
    signatures: AtomicUsize,
    released: *const AtomicUsize,
    der_public_key: bool,
}

unsafe extern "C" fn public_key(ctx: *mut c_void, out: *mut u8, capacity: usize, out_len: *mut usize) -> i32 {
    let ctx = unsafe { &*(ctx as *const Ctx) };
    let p = ctx.key.public();
    let mut bytes = [&[4u8][..], p.x(), p.y()].concat();
    if ctx.der_public_key {
        let prefix = [
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
            0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        bytes = [&prefix[..], &bytes].concat();
    }
    assert!(bytes.len() <= capacity);
    unsafe {
        ptr::copy_nonoverlapping(bytes.as_ptr(), out, bytes.len());
        *out_len = bytes.len();
    }
    0
}

unsafe extern "C" fn sign(
    ctx: *mut c_void,
    message: *const u8,
    len: usize,
    out: *mut u8,
    capacity: usize,
    out_len: *mut usize,
) -> i32 {
    let ctx = unsafe { &*(ctx as *const Ctx) };
    let message = unsafe { std::slice::from_raw_parts(message, len) };
    let sig = ctx.key.sign(message).unwrap();
    assert!(sig.len() <= capacity);
    unsafe {
        ptr::copy_nonoverlapping(sig.as_ptr(), out, sig.len());
        *out_len = sig.len();
    }
    ctx.signatures.fetch_add(1, Ordering::SeqCst);
    0
}

unsafe extern "C" fn release(ctx: *mut c_void) {
    let ctx = unsafe { Box::from_raw(ctx as *mut Ctx) };
    unsafe { &*ctx.released }.fetch_add(1, Ordering::SeqCst);
}

fn take_string(p: *mut std::ffi::c_char) -> String {
    assert!(!p.is_null());
    let s = unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned();
    unsafe { te_string_free(p) };
    s
}

#[test]
fn callback_signer_gets_a_bound_token_and_is_released_once() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let emu = rt.block_on(Emulator::start(EmulatorConfig::default())).unwrap();
    for der in [false, true] {
        let released = Box::leak(Box::new(AtomicUsize::new(0)));
        let ctx = Box::into_raw(Box::new(Ctx {
            key: SoftwareKey::generate().unwrap(),
            signatures: AtomicUsize::new(0),
            released,
            der_public_key: der,
        }));
        let expected_jkt = unsafe { &*ctx }.key.public().thumbprint();
        let signer = te_signer {
            context: ctx.cast(),
            public_key: Some(public_key),
            sign: Some(sign),
            release: Some(release),
        };
        unsafe {
            let mut key = ptr::null_mut();
            assert_eq!(
                te_dpop_key_from_signer(&signer, &mut key, ptr::null_mut()),
                te_code::TE_OK
            );
            assert!(!te_dpop_key_is_software(key));
            assert_eq!(take_string(te_dpop_key_thumbprint(key)), expected_jkt);

            let domain = CString::new(emu.base_url()).unwrap();
            let mut options = ptr::null_mut();
            assert_eq!(
                te_client_options_new(domain.as_ptr(), c"native-app".as_ptr(), &mut options, ptr::null_mut()),
                te_code::TE_OK
            );
            assert_eq!(
                te_client_options_set_dpop_key(options, key, ptr::null_mut()),
                te_code::TE_OK
            );
            let mut client = ptr::null_mut();
            assert_eq!(te_client_new(options, &mut client, ptr::null_mut()), te_code::TE_OK);
            te_client_options_free(options);
            te_dpop_key_free(key);

            let code = CString::new(emu.apple_authorization_code(AppleCode::default())).unwrap();
            let mut request = ptr::null_mut();
            assert_eq!(
                te_exchange_apple(code.as_ptr(), &mut request, ptr::null_mut()),
                te_code::TE_OK
            );
            let mut tokens = ptr::null_mut();
            let mut error = ptr::null_mut();
            let rc = te_client_exchange(client, request, &mut tokens, &mut error);
            if rc != te_code::TE_OK {
                panic!("exchange failed: {}", take_string(te_error_message(error)));
            }
            assert!(te_token_set_is_dpop_bound(tokens));
            assert_eq!(take_string(te_token_set_dpop_jkt(tokens)), expected_jkt);
            // The nonce challenge: one proof refused for lack of a nonce, one accepted.
            assert_eq!((*ctx).signatures.load(Ordering::SeqCst), 2);
            te_exchange_free(request);
            te_token_set_free(tokens);
            assert_eq!(released.load(Ordering::SeqCst), 0, "released while the client uses it");
            te_client_free(client);
        }
        assert_eq!(released.load(Ordering::SeqCst), 1, "release called once");
    }
}

#[test]
fn failing_callbacks_are_signer_errors_and_still_released() {
    unsafe extern "C" fn refuse(_: *mut c_void, _: *mut u8, _: usize, _: *mut usize) -> i32 {
        -1
    }
    unsafe extern "C" fn count(ctx: *mut c_void) {
        unsafe { &*(ctx as *const AtomicUsize) }.fetch_add(1, Ordering::SeqCst);
    }
    let released = AtomicUsize::new(0);
    let signer = te_signer {
        context: (&released as *const AtomicUsize).cast_mut().cast(),
        public_key: Some(refuse),
        sign: Some(sign),
        release: Some(count),
    };
    unsafe {
        let mut key = ptr::null_mut();
        let mut error = ptr::null_mut();
        assert_eq!(
            te_dpop_key_from_signer(&signer, &mut key, &mut error),
            te_code::TE_ERROR_SIGNER
        );
        assert!(key.is_null());
        assert!(take_string(te_error_message(error)).contains("public_key callback failed"));
        te_error_free(error);
    }
    assert_eq!(released.load(Ordering::SeqCst), 1);
}
