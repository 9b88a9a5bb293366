//! # token-exchange-mobile
//!
//! The phone library: the uniffi bindings of `token-exchange-ffi` built without its default
//! features, so it links no Rust HTTP client, no TLS stack, no C API and no ECDSA signing code.
//! Swift (`URLSessionTransport`, Secure Enclave / Keychain keys) and Kotlin
//! (`HttpUrlConnectionTransport`, Android Keystore keys) give every client its transport and its
//! DPoP key. The XCFramework and the AAR carry this library; `cargo xtask size` measures it, and
//! the Swift and Kotlin suites test a host build of it.
//!
//! It only re-exports the bindings' uniffi scaffolding: everything lives in
//! `token-exchange-ffi`, whose uniffi API is the same in both libraries.

token_exchange_ffi::uniffi_reexport_scaffolding!();
