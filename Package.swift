// swift-tools-version:5.9
//
// token-exchange for Swift: the one package definition (SwiftPM only reads a Package.swift at the
// root of a repository). The sources stay under swift/ (see swift/README.md):
//  * TokenExchangeFFI: the phone Rust library (`libtoken_exchange_mobile`: no Rust HTTP or TLS
//    stack, URLSession carries the requests) and the C declarations of its uniffi scaffolding;
//  * TokenExchangeBindings: the uniffi-generated Swift (not a product);
//  * TokenExchange, the one product: the hand-written public API, with PrivacyInfo.xcprivacy.
//
// Where TokenExchangeFFI comes from (nothing here uses `unsafeFlags`, which SwiftPM refuses in a
// dependency):
//  * Apple platforms, releases: the XCFramework zip attached to the GitHub release, pinned by
//    `releaseURL` and `releaseChecksum` below, which swift/release-xcframework.sh writes.
//  * Apple platforms, development: swift/TokenExchangeFFI.xcframework when it exists (built by
//    swift/build-xcframework.sh), instead of the release download.
//  * Linux (tests, development): a system library whose flags come from the pkg-config module
//    `token-exchange-mobile` (`-L<dir> -l<library>`); `cargo xtask swift-dev` builds the
//    library and writes that .pc file, and prints the PKG_CONFIG_PATH and LD_LIBRARY_PATH to use.
import Foundation
import PackageDescription

/// The release XCFramework; written by swift/release-xcframework.sh (with the version).
let releaseURL = "https://github.com/token-exchange/token-exchange/releases/download/0.1.0/TokenExchangeFFI.xcframework.zip"
/// SHA-256 of the zip at `releaseURL` (`swift package compute-checksum`); written with it.
let releaseChecksum = "0000000000000000000000000000000000000000000000000000000000000000"

/// A local build of the XCFramework, preferred over the release download when present.
let localXCFramework = "swift/TokenExchangeFFI.xcframework"

#if os(Linux)
let ffi: Target = .systemLibrary(
    name: "TokenExchangeFFI",
    path: "swift/Sources/TokenExchangeFFI",
    pkgConfig: "token-exchange-mobile"
)
#else
let ffi: Target = FileManager.default.fileExists(atPath: "\(Context.packageDirectory)/\(localXCFramework)")
    ? .binaryTarget(name: "TokenExchangeFFI", path: localXCFramework)
    : .binaryTarget(name: "TokenExchangeFFI", url: releaseURL, checksum: releaseChecksum)
#endif

let package = Package(
    name: "TokenExchange",
    // The oldest systems with Swift concurrency (async/await back-deploys to iOS 13 and
    // macOS 10.15, not earlier) and CryptoKit (P-256 keys, the Secure Enclave signer), which the
    // public API uses. The XCFramework carries exactly these platforms: iOS devices, the iOS
    // simulator and macOS (no tvOS, watchOS or visionOS slice is built).
    platforms: [.iOS(.v13), .macOS(.v10_15)],
    products: [
        .library(name: "TokenExchange", targets: ["TokenExchange"]),
    ],
    targets: [
        ffi,
        .target(
            name: "TokenExchangeBindings",
            dependencies: ["TokenExchangeFFI"],
            path: "swift/Sources/TokenExchangeBindings",
            // Security: the Keychain credential store and the Secure Enclave DPoP key.
            linkerSettings: [.linkedFramework("Security", .when(platforms: [.iOS, .macOS]))]
        ),
        .target(
            name: "TokenExchange",
            dependencies: ["TokenExchangeBindings"],
            path: "swift/Sources/TokenExchange",
            resources: [.copy("PrivacyInfo.xcprivacy")]
        ),
        .testTarget(
            name: "TokenExchangeTests",
            dependencies: ["TokenExchange"],
            path: "swift/Tests/TokenExchangeTests",
            linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]
        ),
    ],
    swiftLanguageVersions: [.v5]
)
