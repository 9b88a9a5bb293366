// swift-tools-version:5.9
// The Swift quickstart: a package of its own depending on the TokenExchange library in
// ../../../swift. Run it from this directory with `swift run Quickstart` (see main.swift).
import PackageDescription

let package = Package(
    name: "Quickstart",
    platforms: [.iOS(.v13), .macOS(.v10_15)],
    dependencies: [
        .package(path: "../../../swift"),
    ],
    targets: [
        .executableTarget(
            name: "Quickstart",
            dependencies: [.product(name: "TokenExchange", package: "swift")]
        ),
    ]
)
