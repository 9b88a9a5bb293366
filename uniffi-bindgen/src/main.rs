//! `cargo run -p uniffi-bindgen -- generate --library <libtoken_exchange_ffi.so> --language swift|kotlin --out-dir <dir>`
//!
//! The in-workspace bindings generator, pinned to the same uniffi version as
//! `token-exchange-ffi` so the generated Swift/Kotlin matches the library's scaffolding.

fn main() {
    uniffi::uniffi_bindgen_main()
}
