// swift-tools-version:6.2
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "atsgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "atsgate", targets: ["atsgate"]),
        .library(name: "AtsgateCore", targets: ["AtsgateCore"]),
        .library(name: "AtsgateSQLite", targets: ["AtsgateSQLite"]),
        .library(name: "AtsgatePostgres", targets: ["AtsgatePostgres"]),
        .library(name: "AtsgateHTTP", targets: ["AtsgateHTTP"]),
        .library(name: "AtsgateWebhook", targets: ["AtsgateWebhook"]),
        .library(name: "AtsgateLoxo", targets: ["AtsgateLoxo"]),
        .library(name: "AtsgateBullhorn", targets: ["AtsgateBullhorn"]),
        .library(name: "AtsgateEmail", targets: ["AtsgateEmail"]),
        .library(name: "AtsgateTesting", targets: ["AtsgateTesting"]),
        .library(name: "AtsgateServer", targets: ["AtsgateServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // Domain model, workflow, import validation, connector protocol. No storage, HTTP, NIO or server.
        .target(
            name: "AtsgateCore",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "CSV", package: "CSV.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // The embedded store: SQLite through GRDB.
        .target(
            name: "AtsgateSQLite",
            dependencies: [
                "AtsgateCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        // The shared store: PostgreSQL through postgres-nio, for several gateway nodes on one outbox.
        .target(
            name: "AtsgatePostgres",
            dependencies: [
                "AtsgateCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // What every HTTP connector shares: one request with a deadline, transport failures classified.
        .target(
            name: "AtsgateHTTP",
            dependencies: [
                "AtsgateCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // A generic JSON webhook target over HTTP.
        .target(
            name: "AtsgateWebhook",
            dependencies: [
                "AtsgateCore",
                "AtsgateHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The Loxo connector (ATS_APIS.md part A).
        .target(
            name: "AtsgateLoxo",
            dependencies: [
                "AtsgateCore",
                "AtsgateHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The Bullhorn connector (ATS_APIS.md part B): OAuth + REST sessions, JobOrders with their company and contact.
        .target(
            name: "AtsgateBullhorn",
            dependencies: [
                "AtsgateCore",
                "AtsgateHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // libcurl (Debian libcurl4-openssl-dev), with typed wrappers for its variadic functions.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // The email target: SMTP through libcurl, messages rendered from Mustache templates.
        .target(
            name: "AtsgateEmail",
            dependencies: [
                "AtsgateCore",
                "CCurl",
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: strictSettings
        ),
        // Test doubles shared by test targets (and the sandbox): scripted connectors, fake targets.
        .target(
            name: "AtsgateTesting",
            dependencies: [
                "AtsgateCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // `atsgate serve`: the HTTP API, /admin, /metrics and the OpenAPI document, on Hummingbird.
        .target(
            name: "AtsgateServer",
            dependencies: [
                "AtsgateCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "atsgate",
            dependencies: [
                "AtsgateCore",
                "AtsgateSQLite",
                "AtsgatePostgres",
                "AtsgateHTTP",
                "AtsgateWebhook",
                "AtsgateLoxo",
                "AtsgateBullhorn",
                "AtsgateEmail",
                "AtsgateServer",
                // The sandbox runs the fakes in process.
                "AtsgateTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings,
            plugins: ["BuildStamp"]
        ),
        // Stamps the executable with the git commit it is built from (`atsgate --version`).
        .plugin(name: "BuildStamp", capability: .buildTool()),
        .testTarget(
            name: "AtsgateCoreTests",
            dependencies: ["AtsgateCore", "AtsgateTesting"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AtsgateSQLiteTests",
            dependencies: [
                "AtsgateCore", "AtsgateSQLite", "AtsgateTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The store seam's conformance suite: every case runs against every storage engine.
        .testTarget(
            name: "AtsgateStoreTests",
            dependencies: [
                "AtsgateCore", "AtsgateSQLite", "AtsgatePostgres", "AtsgateHTTP", "AtsgateTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AtsgateWebhookTests",
            dependencies: [
                "AtsgateCore", "AtsgateHTTP", "AtsgateWebhook", "AtsgateTesting",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AtsgateLoxoTests",
            dependencies: ["AtsgateCore", "AtsgateLoxo", "AtsgateSQLite", "AtsgateTesting"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AtsgateBullhornTests",
            dependencies: ["AtsgateCore", "AtsgateBullhorn", "AtsgateSQLite", "AtsgateTesting"],
            swiftSettings: strictSettings
        ),
        // Runs against a real SMTP server (Python's aiosmtpd, see scripts/install-system-packages).
        .testTarget(
            name: "AtsgateEmailTests",
            dependencies: ["AtsgateCore", "AtsgateEmail"],
            exclude: ["smtp_server.py"],
            swiftSettings: strictSettings
        ),
        // The fakes themselves are checked against ATS_APIS.md, so connector tests can trust them.
        .testTarget(
            name: "AtsgateTestingTests",
            dependencies: [
                "AtsgateTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AtsgateServerTests",
            dependencies: [
                "AtsgateCore", "AtsgateServer", "AtsgateSQLite", "AtsgateTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AtsgateEndToEndTests",
            dependencies: [
                "AtsgateCore", "AtsgateSQLite", "AtsgatePostgres", "AtsgateTesting", "atsgate",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
