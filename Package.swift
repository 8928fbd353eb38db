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
        .library(name: "AtsgateTesting", targets: ["AtsgateTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
    ],
    targets: [
        // Domain model, workflow, import validation, connector protocol. No storage, HTTP, NIO or server.
        .target(
            name: "AtsgateCore",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "CSV", package: "CSV.swift"),
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
        // Test doubles shared by test targets (and, later, the sandbox).
        .target(
            name: "AtsgateTesting",
            dependencies: [
                "AtsgateCore",
                "AtsgateSQLite",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "atsgate",
            dependencies: [
                "AtsgateCore",
                "AtsgateSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AtsgateCoreTests",
            dependencies: ["AtsgateCore", "AtsgateTesting"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AtsgateSQLiteTests",
            dependencies: ["AtsgateCore", "AtsgateSQLite", "AtsgateTesting"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AtsgateEndToEndTests",
            dependencies: ["AtsgateCore", "AtsgateSQLite", "AtsgateTesting", "atsgate"],
            swiftSettings: strictSettings
        ),
    ]
)
