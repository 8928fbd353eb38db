// swift-tools-version:6.2
import PackageDescription

// On-demand benchmarks; not part of the root package's build or CI.
// Run from this folder: see README.md.
let package = Package(
    name: "atsgate-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "atsgate", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // A webhook target that does as little as possible, so the benchmark measures the gateway.
        .executableTarget(
            name: "noop-target",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Import, qualify and dispatch through the real library against noop-target.
        .executableTarget(
            name: "dispatch-benchmark",
            dependencies: [
                .product(name: "AtsgateCore", package: "atsgate"),
                .product(name: "AtsgateSQLite", package: "atsgate"),
                .product(name: "AtsgatePostgres", package: "atsgate"),
                .product(name: "AtsgateHTTP", package: "atsgate"),
                .product(name: "AtsgateWebhook", package: "atsgate"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        // Deliver to an in-process fake Loxo on a bad day: fault-free, 20 % of writes failing, the target down for minutes.
        .executableTarget(
            name: "degraded-benchmark",
            dependencies: [
                .product(name: "AtsgateCore", package: "atsgate"),
                .product(name: "AtsgateSQLite", package: "atsgate"),
                .product(name: "AtsgateLoxo", package: "atsgate"),
                .product(name: "AtsgateHTTP", package: "atsgate"),
                .product(name: "AtsgateTesting", package: "atsgate"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Reconcile 1,000,000 local jobs against an in-process fake target with planted differences.
        .executableTarget(
            name: "reconcile-benchmark",
            dependencies: [
                .product(name: "AtsgateCore", package: "atsgate"),
                .product(name: "AtsgateSQLite", package: "atsgate"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ]
)
