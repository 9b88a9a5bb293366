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

/// Writes `bytes` where a callback must put its result; returns the callback's success.
unsafe fn put(bytes: &[u8], out: *mut u8, capacity: usize, out_len: *mut usize) -> i32 {
    assert!(bytes.len() <= capacity);
    unsafe {
        ptr::copy_nonoverlapping(bytes.as_ptr(), out, bytes.len());
        *out_len = bytes.len();
    }
    0
}

/// The uncompressed SEC1 point of `key`.
fn sec1(key: &SoftwareKey) -> Vec<u8> {
    let p = key.public();
    [&[4u8][..], p.x(), p.y()].concat()
}

unsafe extern "C" fn public_key(ctx: *mut c_void, out: *mut u8, capacity: usize, out_len: *mut usize) -> i32 {
    let ctx = unsafe { &*(ctx as *const Ctx) };
    let mut bytes = sec1(&ctx.key);
    if ctx.der_public_key {
        let prefix = [
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
            0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        bytes = [&prefix[..], &bytes].concat();
    }
    unsafe { put(&bytes, out, capacity, out_len) }
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
    ctx.signatures.fetch_add(1, Ordering::SeqCst);
    unsafe { put(&sig, out, capacity, out_len) }
}

unsafe extern "C" fn release(ctx: *mut c_void) {
    let ctx = unsafe { Box::from_raw(ctx as *mut Ctx) };
    unsafe { &*ctx.released }.fetch_add(1, Ordering::SeqCst);
}

/// A client of `native-app` at `domain` signing with `key` (which it takes over), with a
/// timeout in milliseconds if given.
unsafe fn client_with_key(domain: &str, key: *mut te_dpop_key, timeout_ms: Option<u64>) -> *mut te_client {
    let domain = CString::new(domain).unwrap();
    let mut options = ptr::null_mut();
    let mut client = ptr::null_mut();
    unsafe {
        assert_eq!(
            te_client_options_new(domain.as_ptr(), c"native-app".as_ptr(), &mut options, ptr::null_mut()),
            te_code::TE_OK
        );
        assert_eq!(
            te_client_options_set_dpop_key(options, key, ptr::null_mut()),
            te_code::TE_OK
        );
        if let Some(ms) = timeout_ms {
            assert_eq!(
                te_client_options_set_timeout_ms(options, ms, ptr::null_mut()),
                te_code::TE_OK
            );
        }
        assert_eq!(te_client_new(options, &mut client, ptr::null_mut()), te_code::TE_OK);
        te_client_options_free(options);
        te_dpop_key_free(key);
    }
    client
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

            let client = client_with_key(emu.base_url(), key, None);

            let code = CString::new(emu.apple_authorization_code(AppleCode::default())).unwrap();
            let mut request = ptr::null_mut();
            assert_eq!(
                te_native_social_exchange_apple(code.as_ptr(), &mut request, ptr::null_mut()),
                te_code::TE_OK
            );
            let mut tokens = ptr::null_mut();
            let mut error = ptr::null_mut();
            let rc = te_client_native_social_exchange(client, request, &mut tokens, &mut error);
            if rc != te_code::TE_OK {
                panic!("exchange failed: {}", take_string(te_error_message(error)));
            }
            assert!(te_token_set_is_dpop_bound(tokens));
            assert_eq!(take_string(te_token_set_dpop_jkt(tokens)), expected_jkt);
            // The nonce challenge: one proof refused for lack of a nonce, one accepted.
            assert_eq!((*ctx).signatures.load(Ordering::SeqCst), 2);
            te_native_social_exchange_free(request);
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

/// A callback signer that blocks, as a user prompt does, until the test answers it.
struct Prompt {
    key: SoftwareKey,
    answered: std::sync::Mutex<bool>,
    wake: std::sync::Condvar,
    gave_up: std::sync::atomic::AtomicBool,
    released: AtomicUsize,
}

unsafe extern "C" fn prompt_public_key(ctx: *mut c_void, out: *mut u8, capacity: usize, out_len: *mut usize) -> i32 {
    let prompt = unsafe { &*(ctx as *const Prompt) };
    unsafe { put(&sec1(&prompt.key), out, capacity, out_len) }
}

unsafe extern "C" fn prompt_sign(
    ctx: *mut c_void,
    message: *const u8,
    len: usize,
    out: *mut u8,
    capacity: usize,
    out_len: *mut usize,
) -> i32 {
    let prompt = unsafe { &*(ctx as *const Prompt) };
    // Only a client that waits for the prompt makes this give up after a minute.
    let answered = prompt.answered.lock().unwrap();
    let (answered, wait) = prompt
        .wake
        .wait_timeout_while(answered, std::time::Duration::from_secs(60), |answered| !*answered)
        .unwrap();
    if wait.timed_out() {
        prompt.gave_up.store(true, Ordering::SeqCst);
    }
    drop(answered);
    let sig = prompt
        .key
        .sign(unsafe { std::slice::from_raw_parts(message, len) })
        .unwrap();
    unsafe { put(&sig, out, capacity, out_len) }
}

unsafe extern "C" fn prompt_release(ctx: *mut c_void) {
    let prompt = unsafe { &*(ctx as *const Prompt) };
    // Under the mutex, so that the test waiting on the condvar cannot miss it.
    let _answered = prompt.answered.lock().unwrap();
    prompt.released.fetch_add(1, Ordering::SeqCst);
    prompt.wake.notify_all();
}

#[test]
fn a_sign_callback_waiting_on_a_prompt_is_bounded_by_the_timeout() {
    let prompt: &'static Prompt = Box::leak(Box::new(Prompt {
        key: SoftwareKey::generate().unwrap(),
        answered: std::sync::Mutex::new(false),
        wake: std::sync::Condvar::new(),
        gave_up: std::sync::atomic::AtomicBool::new(false),
        released: AtomicUsize::new(0),
    }));
    let signer = te_signer {
        context: (prompt as *const Prompt).cast_mut().cast(),
        public_key: Some(prompt_public_key),
        sign: Some(prompt_sign),
        release: Some(prompt_release),
    };
    // Nothing listens there: a request that left would fail to connect, not time out.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let domain = format!("http://127.0.0.1:{closed}");
    unsafe {
        let mut key = ptr::null_mut();
        assert_eq!(
            te_dpop_key_from_signer(&signer, &mut key, ptr::null_mut()),
            te_code::TE_OK
        );
        let client = client_with_key(&domain, key, Some(300));

        let mut request = ptr::null_mut();
        assert_eq!(
            te_native_social_exchange_apple(c"code".as_ptr(), &mut request, ptr::null_mut()),
            te_code::TE_OK
        );
        // Without `openid` there is no ID token to validate, so no JWKS is fetched ahead of the
        // exchange: the first thing the call does is sign, and the signer is what times out.
        assert_eq!(
            te_native_social_exchange_set_omit_scope(request, true, ptr::null_mut()),
            te_code::TE_OK
        );
        let mut tokens = ptr::null_mut();
        let mut error = ptr::null_mut();
        let rc = te_client_native_social_exchange(client, request, &mut tokens, &mut error);
        assert_eq!(
            rc,
            te_code::TE_ERROR_TIMEOUT,
            "{}",
            take_string(te_error_message(error))
        );
        assert!(!te_error_request_may_have_reached_server(error));
        te_error_free(error);
        te_native_social_exchange_free(request);
        te_client_free(client);
    }
    // Answer the prompt: the callback finishes on its thread, then the context is released.
    *prompt.answered.lock().unwrap() = true;
    prompt.wake.notify_all();
    let released = prompt
        .wake
        .wait_timeout_while(
            prompt.answered.lock().unwrap(),
            std::time::Duration::from_secs(60),
            |_| prompt.released.load(Ordering::SeqCst) == 0,
        )
        .unwrap();
    drop(released);
    assert!(!prompt.gave_up.load(Ordering::SeqCst), "the call waited for the prompt");
    assert_eq!(
        prompt.released.load(Ordering::SeqCst),
        1,
        "release called once, after the callback returned"
    );
}
