// swift-tools-version:5.9
// The Swift quickstart: a package of its own depending on the TokenExchange library, the
// repository's root package (named as a URL dependency would be: see
// packages/consumers/swift-spm/Package.swift). Run it from this directory with
// `swift run Quickstart` (see main.swift).
import PackageDescription

let package = Package(
    name: "Quickstart",
    platforms: [.iOS(.v13), .macOS(.v10_15)],
    dependencies: [
        .package(name: "token-exchange", path: "../../.."),
    ],
    targets: [
        .executableTarget(
            name: "Quickstart",
            dependencies: [.product(name: "TokenExchange", package: "token-exchange")]
        ),
    ]
)
