// swift-tools-version: 6.2
import PackageDescription

// Benchmark programs, kept out of the main package (as swift-nio does) so `swift test` never
// builds them. Run with `swift run -c release --package-path Benchmarks ReaderBench`.
let package = Package(
    name: "ledgerlift-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "ledgerlift", path: "..")],
    targets: [
        .executableTarget(
            name: "ReaderBench",
            dependencies: [
                .product(name: "Readers", package: "ledgerlift"), .product(name: "Mapping", package: "ledgerlift"),
                .product(name: "LedgerModel", package: "ledgerlift"),
                .product(name: "Validation", package: "ledgerlift"),
                .product(name: "Targets", package: "ledgerlift"),
                .product(name: "Pipeline", package: "ledgerlift"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny"), .treatAllWarnings(as: .error)]
        ),
        .executableTarget(
            name: "ImportBench",
            dependencies: [
                .product(name: "Sandbox", package: "ledgerlift"), .product(name: "Targets", package: "ledgerlift"),
                .product(name: "Submission", package: "ledgerlift"),
                .product(name: "Checkpoint", package: "ledgerlift"),
                .product(name: "LedgerModel", package: "ledgerlift"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny"), .treatAllWarnings(as: .error)]
        ),
    ],
    swiftLanguageModes: [.v6]
)
