// swift-tools-version:5.9
//
// token-exchange for Swift, over the phone Rust library `libtoken_exchange_mobile` (no Rust HTTP
// or TLS stack: requests go through URLSession, DPoP keys live in the Secure Enclave or the
// Keychain), in three modules:
//  * TokenExchangeFFI: the C declarations of the uniffi scaffolding
//    (Sources/TokenExchangeFFI/Generated/TokenExchangeFFI.h);
//  * TokenExchangeBindings: the uniffi-generated Swift
//    (Sources/TokenExchangeBindings/Generated/TokenExchangeBindings.swift), both written by
//    `cargo xtask bindgen --lang swift`;
//  * TokenExchange, the one product: the hand-written public API. Its client holds the
//    generated client privately, so that the generated methods that bypass `Task`
//    cancellation are not part of the API; records and enums are re-exported as typealiases.
//
// Two ways to get the Rust library:
//  * Apple platforms: build TokenExchangeFFI.xcframework with ./build-xcframework.sh; when it
//    exists next to this file, it is used as a binary target.
//  * Linux / development: the cdylib from `cargo build -p token-exchange-mobile`, found in
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
    ? [.linkedFramework("Security")]
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
            name: "TokenExchangeBindings",
            dependencies: ["TokenExchangeFFI"],
            path: "Sources/TokenExchangeBindings",
            linkerSettings: linkerSettings
        ),
        .target(
            name: "TokenExchange",
            dependencies: ["TokenExchangeBindings"],
            path: "Sources/TokenExchange"
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
