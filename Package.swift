// swift-tools-version: 6.2
import PackageDescription

/// Settings every target of ours gets: Swift 6 mode, stricter upcoming features, warnings as errors.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "ledgerlift",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ledgerlift", targets: ["ledgerlift"]),
        .library(name: "Readers", targets: ["Readers"]),
        .library(name: "LedgerModel", targets: ["LedgerModel"]),
        .library(name: "Mapping", targets: ["Mapping"]),
        .library(name: "Validation", targets: ["Validation"]),
        .library(name: "Sandbox", targets: ["Sandbox"]),
        .library(name: "Checkpoint", targets: ["Checkpoint"]),
        .library(name: "Targets", targets: ["Targets"]),
        .library(name: "Submission", targets: ["Submission"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "Inbox", targets: ["Inbox"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .target(name: "LedgerModel"),
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"]), .brew(["libxml2"])]
        ),
        .target(name: "CInline"),
        .target(name: "Readers", dependencies: ["LedgerModel", "CLibXML2", "CInline"]),
        .target(name: "CSHA256"),
        .target(
            name: "Mapping",
            dependencies: [
                "LedgerModel", "Readers", "CSHA256", .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "Validation",
            dependencies: ["LedgerModel", .product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "Checkpoint",
            dependencies: ["LedgerModel", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "Targets",
            dependencies: [
                "LedgerModel", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "Submission", dependencies: ["LedgerModel", "Checkpoint", "Targets"]),
        .target(name: "Reports", dependencies: ["LedgerModel"]),
        .target(name: "Inbox", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(
            name: "Pipeline",
            dependencies: [
                "LedgerModel", "Readers", "Mapping", "Validation", "Checkpoint", "Targets", "Submission", "Reports",
                "Inbox", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Sandbox",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "ledgerlift",
            dependencies: [
                "LedgerModel",
                "Readers",
                "Mapping",
                "Validation",
                "Sandbox",
                "Checkpoint",
                "Targets",
                "Submission",
                "Reports",
                "Inbox",
                "Pipeline",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "ReadersTests",
            dependencies: ["Readers", "LedgerModel"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "LedgerModelTests", dependencies: ["LedgerModel"]),
        .testTarget(
            name: "MappingTests",
            dependencies: [
                "Mapping", "Readers", "LedgerModel", "CSHA256", .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "ValidationTests",
            dependencies: ["Validation", "Mapping", "Readers", "LedgerModel"]
        ),
        .testTarget(
            name: "CheckpointTests",
            dependencies: ["Checkpoint", "LedgerModel", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "Sandbox", "Targets", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            path: "Tests/Support"
        ),
        .testTarget(
            name: "TargetsTests",
            dependencies: [
                "Targets", "LedgerModel", "Sandbox", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "SubmissionTests",
            dependencies: [
                "Submission", "Targets", "Checkpoint", "LedgerModel", "Sandbox", "TestSupport",
            ]
        ),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"]),
        .testTarget(
            name: "PipelineTests",
            dependencies: [
                "Pipeline", "Sandbox", "Checkpoint", "Targets", "Submission", "Reports", "LedgerModel", "Mapping",
                "Validation", "TestSupport",
            ]
        ),
        .testTarget(name: "InboxTests", dependencies: ["Inbox"]),
        .testTarget(
            name: "SandboxTests",
            dependencies: [
                "Sandbox", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "LedgerliftCLITests",
            dependencies: [
                "ledgerlift", "Sandbox", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

/// The per-row stages: in release builds, without the run-time exclusivity checks (the compiler
/// still proves exclusivity statically; these checks cost about 5 % of mapping a row, mostly on
/// the mapper's and validator's memos), and with cross-module optimization, so small accessors
/// and initializers of `LedgerModel` and `Readers` can be inlined into the row loop. Debug builds
/// and `swift test` keep the checks.
let hotPathTargets: Set<String> = ["LedgerModel", "Readers", "Mapping", "Validation"]

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + strictSettings
    if hotPathTargets.contains(target.name) {
        target.swiftSettings! += [
            .unsafeFlags(
                ["-enforce-exclusivity=unchecked", "-cross-module-optimization"], .when(configuration: .release))
        ]
    }
}
