#!/usr/bin/env bash
# Builds the phone library, libtoken_exchange_mobile.so (package bindings/mobile: no Rust
# HTTP or TLS stack, no rustls-platform-verifier, no C API; Kotlin supplies the transport and the
# DPoP key), for the Android ABIs into src/main/jniLibs/, with the size-optimised profile. Needs the Android NDK (ANDROID_NDK_HOME), cargo-ndk
# (`cargo install cargo-ndk`) and the Rust targets
# (`rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
# The release flags of `cargo xtask size` (xtask/src/size.rs), in Android's terms: packed
# relocations (Android's format, API 23+; ~250 KB of relative relocations otherwise), identical
# code folding (the NDK links with lld), and no build-machine paths in panic locations.
REPO="$(cd .. && pwd)"
REMAP=""
for dir in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
    REMAP="$REMAP --remap-path-prefix=$dir="
done
export RUSTFLAGS="${RUSTFLAGS:-} -C link-arg=-Wl,--pack-dyn-relocs=android -C link-arg=-Wl,--icf=all$REMAP --remap-path-prefix=$REPO/="
cargo ndk \
    --target arm64-v8a --target armeabi-v7a --target x86_64 \
    --platform 26 \
    --output-dir src/main/jniLibs \
    -- build --manifest-path ../bindings/mobile/Cargo.toml -p token-exchange-mobile --lib --profile release-mobile
