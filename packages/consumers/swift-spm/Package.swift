// swift-tools-version:5.9
// A Swift program using token-exchange as a SwiftPM user adds it. Outside this repository the
// dependency is `.package(url: "https://github.com/token-exchange/token-exchange.git", from: …)`;
// here it is the repository's root package by path. The `name:` fixes the package's name to
// the one a URL dependency has (a path dependency is otherwise named after its folder, which
// is whatever the checkout is called). The packages suite builds it with SwiftPM on Linux,
// where the root package finds the Rust library through the pkg-config module
// token-exchange-mobile.
import PackageDescription

let package = Package(
    name: "app",
    platforms: [.iOS(.v13), .macOS(.v10_15)],
    dependencies: [
        .package(name: "token-exchange", path: "../../.."),
    ],
    targets: [
        .executableTarget(
            name: "app",
            dependencies: [.product(name: "TokenExchange", package: "token-exchange")]
        ),
    ]
)
