//! The C API wipes the secrets it frees. This test binary's global allocator looks for a marker
//! in every block freed while it watches, so a token freed without being wiped is seen.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::CString;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use token_exchange_ffi::c_api::*;

const MARKER: &[u8] = b"wipe-me-access-token-8f2c1d";

static WATCHING: AtomicBool = AtomicBool::new(false);
static UNWIPED_FREES: AtomicUsize = AtomicUsize::new(0);

struct Watching;

// SAFETY: every call is forwarded to the system allocator unchanged.
unsafe impl GlobalAlloc for Watching {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if WATCHING.load(Ordering::SeqCst) {
            // SAFETY: the block is still allocated, `layout.size()` bytes long.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            if block.windows(MARKER.len()).any(|w| w == MARKER) {
                UNWIPED_FREES.fetch_add(1, Ordering::SeqCst);
            }
        }
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Watching = Watching;

/// Runs `free` while watching; returns how many freed blocks still held the marker.
fn unwiped_frees_during(free: impl FnOnce()) -> usize {
    let before = UNWIPED_FREES.load(Ordering::SeqCst);
    WATCHING.store(true, Ordering::SeqCst);
    free();
    WATCHING.store(false, Ordering::SeqCst);
    UNWIPED_FREES.load(Ordering::SeqCst) - before
}

#[test]
fn te_token_set_free_wipes_the_tokens_it_frees() {
    let token = CString::new(MARKER).unwrap();
    let mut tokens = ptr::null_mut();
    let rc = unsafe { te_token_set_new(token.as_ptr(), c"Bearer".as_ptr(), &mut tokens, ptr::null_mut()) };
    assert_eq!(rc, te_code::TE_OK);
    assert_eq!(
        unwiped_frees_during(|| unsafe { te_token_set_free(tokens) }),
        0,
        "te_token_set_free freed the access token without wiping it"
    );
    // The check can fail: a plain drop of the same bytes is seen.
    let plain = std::hint::black_box(String::from_utf8(MARKER.to_vec()).unwrap());
    assert_eq!(unwiped_frees_during(|| drop(plain)), 1);
}
