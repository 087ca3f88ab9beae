// swift-tools-version: 6.1
import PackageDescription

/// Settings every target of ours shares: Swift 6 language mode (strict concurrency)
/// and the upcoming features the style guide asks for.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "reload-broker",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ReloadBroker", targets: ["ReloadBroker"]),
        .library(name: "HTMLInjection", targets: ["HTMLInjection"]),
        .library(name: "HTTPCodec", targets: ["HTTPCodec"]),
        .library(name: "WebSocketCodec", targets: ["WebSocketCodec"]),
        .library(name: "HTTPServer", targets: ["HTTPServer"]),
        .library(name: "UVLoop", targets: ["UVLoop"]),
        .executable(name: "reload-broker", targets: ["reload-broker"]),
        .executable(name: "embedded-example", targets: ["EmbeddedExample"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        // `ReloadBroker` is a `Service` (needs only swift-log and swift-async-algorithms: no NIO).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // `swift package generate-documentation --target ReloadBroker` (a plugin: adds nothing to builds).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
    ],
    targets: [
        // Layer 0: the C library, found through pkg-config.
        .systemLibrary(
            name: "CLibUV",
            pkgConfig: "libuv",
            providers: [.apt(["libuv1-dev"])]
        ),
        // System zlib, for decoding pages an app compressed anyway (the proxy injects into them).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // hiredis (Debian libhiredis-dev 0.14.1) for the Redis cluster layer, and the small C shim that
        // compiles its header-only libuv adapter and builds replies under limits.
        .systemLibrary(name: "CHiredis", providers: [.apt(["libhiredis-dev"])]),
        .target(name: "CRedisShim", dependencies: ["CHiredis", "CLibUV"], linkerSettings: [.linkedLibrary("hiredis")]),
        // Layer 1: the only module with unsafe pointers and C callbacks.
        .target(name: "UVLoop", dependencies: ["CLibUV", "CZlib", "CRedisShim"], swiftSettings: swiftSettings),
        // Layer 2: pure protocol code, no I/O.
        .target(name: "HTTPCodec", swiftSettings: swiftSettings),
        .target(
            name: "WebSocketCodec",
            dependencies: ["HTTPCodec", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(name: "HTMLInjection", dependencies: ["HTTPCodec"], swiftSettings: swiftSettings),
        // Layer 3: the HTTP/1.1 server on the loop (connections, keep-alive, deadlines, responders,
        // a response-filter hook, upgrades); it knows nothing of reloads.
        .target(
            name: "HTTPServer",
            dependencies: ["UVLoop", "HTTPCodec", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // Layer 4: the broker library users embed.
        .target(
            name: "ReloadBroker",
            dependencies: [
                "UVLoop", "HTTPCodec", "HTTPServer", "WebSocketCodec", "HTMLInjection",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["client"],
            swiftSettings: swiftSettings
        ),
        // Layer 5: the command-line tool and the embedding example.
        .executableTarget(
            name: "reload-broker",
            dependencies: [
                "ReloadBroker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "EmbeddedExample",
            dependencies: ["ReloadBroker"],
            path: "Examples/Embedded",
            swiftSettings: swiftSettings
        ),
        // Loopback clients and child processes shared by the socket, CLI and browser suites.
        .target(
            name: "TestSupport", dependencies: ["HTTPCodec", "WebSocketCodec"], path: "Tests/TestSupport",
            swiftSettings: swiftSettings),
        .testTarget(name: "HTTPCodecTests", dependencies: ["HTTPCodec"], swiftSettings: swiftSettings),
        // UVLoop's pieces run directly on a loop of their own: every test ends with all handles closed.
        .testTarget(name: "UVLoopTests", dependencies: ["UVLoop"], swiftSettings: swiftSettings),
        .testTarget(
            name: "HTTPServerTests",
            dependencies: [
                "HTTPServer", "HTTPCodec", "UVLoop", "ReloadBroker", "TestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "WebSocketCodecTests", dependencies: ["WebSocketCodec", "HTTPCodec"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "HTMLInjectionTests", dependencies: ["HTMLInjection", "HTTPCodec"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ReloadBrokerTests",
            dependencies: [
                "ReloadBroker", "UVLoop", "HTTPCodec", "WebSocketCodec", "HTMLInjection", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BrowserTests",
            dependencies: [
                "reload-broker", "ReloadBroker", "HTTPCodec", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["apps"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["reload-broker", "ReloadBroker", "HTTPCodec", "WebSocketCodec", "TestSupport"],
            exclude: ["upstreams"],
            swiftSettings: swiftSettings
        ),
    ]
)
