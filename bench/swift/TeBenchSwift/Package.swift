// swift-tools-version:5.9
//
// te-bench-swift: Swift's side of `cargo xtask bench --only crossing` (issue 15 point 3), an
// executable over the repository's root Swift package, so over the phone library it links
// (through the pkg-config module token-exchange-mobile that `cargo xtask bench` writes for the
// `release-mobile` build). Built and run by xtask in the Swift chroot; not part of the test
// suite.
import PackageDescription

let package = Package(
    name: "TeBenchSwift",
    platforms: [.iOS(.v13), .macOS(.v10_15)],
    dependencies: [
        .package(name: "token-exchange", path: "../../.."),
    ],
    targets: [
        .executableTarget(
            name: "TeBenchSwift",
            dependencies: [.product(name: "TokenExchange", package: "token-exchange")]
        ),
    ]
)
