// swift-tools-version:5.9
//
// token-exchange for Swift: the uniffi-generated bindings (Sources/TokenExchange/TokenExchange.swift
// and Sources/TokenExchangeFFI/TokenExchangeFFI.h, written by `cargo xtask bindgen --lang swift`)
// plus a small idiomatic layer, over the Rust library `libtoken_exchange_ffi`.
//
// Two ways to get the Rust library:
//  * Apple platforms: build TokenExchangeFFI.xcframework with ./build-xcframework.sh; when it
//    exists next to this file, it is used as a binary target.
//  * Linux / development: the cdylib from `cargo build -p token-exchange-ffi`, found in
//    $TOKEN_EXCHANGE_LIB_DIR, else $CARGO_TARGET_DIR/debug, else <repository>/target/debug
//    (linked with an rpath, so tests run without LD_LIBRARY_PATH).
import Foundation
import PackageDescription

let packageDir = Context.packageDirectory
let environment = ProcessInfo.processInfo.environment
let xcframework = "\(packageDir)/TokenExchangeFFI.xcframework"
let useXCFramework = FileManager.default.fileExists(atPath: xcframework)

let libDir: String = {
    if let dir = environment["TOKEN_EXCHANGE_LIB_DIR"], !dir.isEmpty { return dir }
    if let target = environment["CARGO_TARGET_DIR"], !target.isEmpty {
        return target.hasPrefix("/") ? "\(target)/debug" : "\(packageDir)/../\(target)/debug"
    }
    return "\(packageDir)/../target/debug"
}()

let ffiTarget: Target = useXCFramework
    ? .binaryTarget(name: "TokenExchangeFFI", path: "TokenExchangeFFI.xcframework")
    : .systemLibrary(name: "TokenExchangeFFI", path: "Sources/TokenExchangeFFI")

let linkerSettings: [LinkerSetting] = useXCFramework
    ? [.linkedFramework("Security"), .linkedFramework("SystemConfiguration")]
    : [.unsafeFlags(["-L", libDir, "-Xlinker", "-rpath", "-Xlinker", libDir])]

let package = Package(
    name: "TokenExchange",
    platforms: [.iOS(.v13), .macOS(.v10_15), .tvOS(.v13), .watchOS(.v6)],
    products: [
        .library(name: "TokenExchange", targets: ["TokenExchange"]),
    ],
    targets: [
        ffiTarget,
        .target(
            name: "TokenExchange",
            dependencies: ["TokenExchangeFFI"],
            path: "Sources/TokenExchange",
            linkerSettings: linkerSettings
        ),
        .testTarget(
            name: "TokenExchangeTests",
            dependencies: ["TokenExchange"],
            path: "Tests/TokenExchangeTests",
            linkerSettings: useXCFramework ? [] : [.linkedLibrary("dl")]
        ),
    ],
    swiftLanguageVersions: [.v5]
)
