// swift-tools-version:6.2
import PackageDescription

/// hybrid-run: OpenTelemetry traces and native CPU profiles of any command, linked by the same ids.
///
/// Targets are cut where dependencies differ: thin executables, one library per concern or pipeline
/// stage, and C shims that only hold what Swift cannot express (variadic `ptrace`, wait-status macros,
/// code between `fork` and `exec`, libunwind's macro API).
let package = Package(
    name: "hybrid-run",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hybrid-run", targets: ["hybrid-run"]),
        .executable(name: "generator-otel", targets: ["generator-otel"]),
        .executable(name: "loader-otel", targets: ["loader-otel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // MARK: Executables (thin commands)
        .executableTarget(
            name: "hybrid-run",
            dependencies: [
                "HybridRun", "Sampling", "SafeText",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "generator-otel",
            dependencies: [
                "OutputFiles", "Records", "SafeText", "Telemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .executableTarget(
            name: "loader-otel",
            dependencies: [
                "PostgresLoader", "Records", "SafeText", "Telemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),

        // MARK: Shared telemetry set-up
        .target(
            name: "Telemetry",
            dependencies: [
                "SafeText",
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: Text that is safe to show (redaction, escaping, durations): a leaf every module may use
        .target(name: "SafeText"),
        .testTarget(name: "SafeTextTests", dependencies: ["SafeText"]),

        // MARK: Output files: the one rule for every file the programs write (a leaf, like SafeText)
        .target(name: "OutputFiles", dependencies: ["SafeText", "_CProcessShims"]),
        .testTarget(name: "OutputFilesTests", dependencies: ["OutputFiles", "TestSupport"]),

        // MARK: Pyroscope export
        .target(
            name: "PyroscopeExport",
            dependencies: [
                "SafeText",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "PyroscopeExportTests",
            dependencies: ["PyroscopeExport", "ProfileExport", "Profiles", "TestSupport", .product(name: "Logging", package: "swift-log")]
        ),

        // MARK: Workloads
        .target(name: "Records", dependencies: ["OutputFiles"]),
        .target(
            name: "PostgresLoader",
            dependencies: [
                "CLibPQ", "Records",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        // MARK: hybrid-run: launch → sample → unwind → symbolize → aggregate → export
        .target(
            name: "HybridRun",
            dependencies: [
                "OutputFiles", "ProcessLaunch", "Sampling", "Profiles", "ProfileExport", "PyroscopeExport", "SafeText", "Telemetry",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .target(name: "ProcessLaunch", dependencies: ["_CProcessShims"]),
        .target(name: "_CProcessShims"),

        // MARK: Profiler
        .target(name: "Binaries"),
        .target(name: "Unwinding", dependencies: ["Binaries", "_CUnwindShims"]),
        .target(name: "Symbolization", dependencies: ["Binaries"]),
        .target(name: "Profiles"),
        .target(
            name: "Sampling",
            dependencies: [
                "Binaries", "Unwinding", "Symbolization", "Profiles", "ProcessLaunch", "SafeText", "_CProcessShims",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "ProfileExport",
            dependencies: ["Profiles", "CZlib", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .target(
            name: "_CUnwindShims",
            linkerSettings: [.linkedLibrary("unwind-x86_64")]
        ),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "ProfilerTestSupport",
            dependencies: ["Binaries", "Unwinding", "Profiles", "ProcessLaunch", "_CProcessShims"],
            path: "Tests/ProfilerTestSupport"
        ),
        .executableTarget(
            name: "unwinder-benchmark",
            dependencies: ["Binaries", "Unwinding", "Profiles", "ProfilerTestSupport"],
            path: "Benchmarks/unwinder-benchmark"
        ),
        .testTarget(name: "BinariesTests", dependencies: ["Binaries", "ProfilerTestSupport"]),
        .testTarget(name: "UnwindingTests", dependencies: ["Unwinding", "Binaries", "Symbolization", "ProfilerTestSupport"]),
        .testTarget(name: "SymbolizationTests", dependencies: ["Symbolization", "Binaries", "ProfilerTestSupport"]),
        .testTarget(name: "ProfilesTests", dependencies: ["Profiles", "ProfilerTestSupport"]),
        .testTarget(name: "ProfileExportTests", dependencies: ["ProfileExport", "Profiles", "ProfilerTestSupport"]),
        .testTarget(name: "SamplingTests", dependencies: ["Sampling", "ProfilerTestSupport", "TestSupport"]),

        // MARK: Test support
        .target(
            name: "TestSupport",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry", "SafeText", "TestSupport"]),
        .testTarget(name: "RecordsTests", dependencies: ["OutputFiles", "Records", "TestSupport"]),
        .testTarget(name: "PostgresLoaderTests", dependencies: ["PostgresLoader", "Records", "TestSupport"]),
        .testTarget(name: "WorkloadTests", dependencies: ["TestSupport"]),
        .testTarget(name: "HybridRunTests", dependencies: ["HybridRun", "ProcessLaunch", "TestSupport"], exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v6]
)
