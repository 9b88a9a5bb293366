#!/usr/bin/env bash
# Builds libtoken_exchange_ffi.so for the Android ABIs into src/main/jniLibs/, with the
# size-optimised profile. Needs the Android NDK (ANDROID_NDK_HOME), cargo-ndk
# (`cargo install cargo-ndk`) and the Rust targets
# (`rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
# Packed relocations (Android's format, API 23+): the library has ~250 KB of relative
# relocations otherwise (measured on x86_64 Linux with the equivalent RELR packing).
export RUSTFLAGS="${RUSTFLAGS:-} -C link-arg=-Wl,--pack-dyn-relocs=android"
cargo ndk \
    --target arm64-v8a --target armeabi-v7a --target x86_64 \
    --platform 26 \
    --output-dir src/main/jniLibs \
    -- build --manifest-path ../bindings/Cargo.toml --profile release-mobile
