// swift-tools-version: 6.1
// libFuzzer targets for reload-broker's pure protocol code, one executable per target.
// Build and run through scripts/fuzz.sh, which passes the sanitizer flags:
//   swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product <target>
// Each target checks invariants (split-invariance, round trips, differential checks), not only "no crash";
// a violated invariant traps, which libFuzzer reports as a crash with the input saved.
// Uses the main package's library products HTTPCodec, WebSocketCodec and HTMLInjection.
import PackageDescription

let settings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "reload-broker-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "reload-broker", path: "../")
    ],
    targets: [
        // Input splitting and checks shared by the targets (no libFuzzer entry point).
        .target(name: "CFuzzerDriver"),
        .target(name: "FuzzCommon", dependencies: ["CFuzzerDriver"], swiftSettings: settings),
        .executableTarget(
            name: "FuzzHTTPRequest",
            dependencies: ["FuzzCommon", .product(name: "HTTPCodec", package: "reload-broker")],
            swiftSettings: settings),
        .executableTarget(
            name: "FuzzHTTPResponse",
            dependencies: ["FuzzCommon", .product(name: "HTTPCodec", package: "reload-broker")],
            swiftSettings: settings),
        .executableTarget(
            name: "FuzzChunkedBody",
            dependencies: ["FuzzCommon", .product(name: "HTTPCodec", package: "reload-broker")],
            swiftSettings: settings),
        .executableTarget(
            name: "FuzzWebSocketFrames",
            dependencies: [
                "FuzzCommon",
                .product(name: "WebSocketCodec", package: "reload-broker"),
            ],
            swiftSettings: settings),
        .executableTarget(
            name: "FuzzHandshake",
            dependencies: [
                "FuzzCommon",
                .product(name: "HTTPCodec", package: "reload-broker"),
                .product(name: "WebSocketCodec", package: "reload-broker"),
            ],
            swiftSettings: settings),
        .executableTarget(
            name: "FuzzInjection",
            dependencies: ["FuzzCommon", .product(name: "HTMLInjection", package: "reload-broker")],
            swiftSettings: settings),
    ]
)
