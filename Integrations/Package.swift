// swift-tools-version: 6.1
import PackageDescription

/// The framework integrations, in a package of their own so that the core (`../`) builds
/// without SwiftNIO, Hummingbird or Vapor. Build it in its own scratch path:
/// `swift build --package-path Integrations --scratch-path .build-integrations --build-tests`.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "reload-broker-integrations",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ReloadBrokerHummingbird", targets: ["ReloadBrokerHummingbird"]),
        .library(name: "ReloadBrokerVapor", targets: ["ReloadBrokerVapor"]),
        .executable(name: "hummingbird-example", targets: ["HummingbirdExample"]),
        .executable(name: "vapor-example", targets: ["VaporExample"]),
    ],
    dependencies: [
        .package(name: "reload-broker", path: "../"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "ReloadBrokerHummingbird",
            dependencies: [
                .product(name: "ReloadBroker", package: "reload-broker"),
                .product(name: "HTMLInjection", package: "reload-broker"),
                .product(name: "HTTPCodec", package: "reload-broker"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReloadBrokerVapor",
            dependencies: [
                .product(name: "ReloadBroker", package: "reload-broker"),
                .product(name: "HTMLInjection", package: "reload-broker"),
                .product(name: "HTTPCodec", package: "reload-broker"),
                .product(name: "Vapor", package: "vapor"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "HummingbirdExample",
            dependencies: [
                "ReloadBrokerHummingbird",
                .product(name: "ReloadBroker", package: "reload-broker"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/Hummingbird",
            exclude: ["templates"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "VaporExample",
            dependencies: [
                "ReloadBrokerVapor",
                .product(name: "ReloadBroker", package: "reload-broker"),
                .product(name: "Vapor", package: "vapor"),
            ],
            path: "Examples/Vapor",
            exclude: ["templates"],
            swiftSettings: swiftSettings
        ),
        // Headless Chromium over the DevTools protocol, shared by both frameworks' browser tests.
        .target(
            name: "IntegrationTestSupport",
            dependencies: [.product(name: "ReloadBroker", package: "reload-broker")],
            path: "Tests/IntegrationTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReloadBrokerHummingbirdTests",
            dependencies: [
                "ReloadBrokerHummingbird", "IntegrationTestSupport",
                .product(name: "ReloadBroker", package: "reload-broker"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReloadBrokerVaporTests",
            dependencies: [
                "ReloadBrokerVapor", "IntegrationTestSupport",
                .product(name: "ReloadBroker", package: "reload-broker"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "VaporTesting", package: "vapor"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
