// swift-tools-version: 6.1
// Micro-benchmarks of reload-broker's protocol code (package-benchmark).
//   cd Benchmarks && swift package benchmark                        run
//   swift package benchmark baseline check main                  compare with the committed baseline (scripts/bench-micro.sh)
// Uses the main package's library products HTTPCodec, WebSocketCodec and HTMLInjection.
import PackageDescription

let package = Package(
    name: "reload-broker-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "reload-broker", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark.git", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "Codecs",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "HTTPCodec", package: "reload-broker"),
                .product(name: "WebSocketCodec", package: "reload-broker"),
                .product(name: "HTMLInjection", package: "reload-broker"),
            ],
            path: "Benchmarks/Codecs",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
