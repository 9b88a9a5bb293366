// swift-tools-version:5.9
//
// te-bench-swift: Swift's side of `cargo xtask bench --only crossing` (issue 15 point 3), an
// executable over the repository's Swift package, so over the phone library it links (found in
// $TOKEN_EXCHANGE_LIB_DIR: `cargo xtask bench` points it at the `release-mobile` build). Built
// and run by xtask in the Swift chroot; not part of the test suite. In a directory of its own:
// a root package in `bench/swift` would share the identity `swift` with its dependency.
import PackageDescription

let package = Package(
    name: "TeBenchSwift",
    platforms: [.iOS(.v13), .macOS(.v10_15)],
    dependencies: [
        .package(path: "../../../swift"),
    ],
    targets: [
        .executableTarget(
            name: "TeBenchSwift",
            dependencies: [.product(name: "TokenExchange", package: "swift")]
        ),
    ]
)
