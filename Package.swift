// swift-tools-version:6.2
import PackageDescription

/// hybrid-run: OpenTelemetry traces and native CPU profiles of any command, linked by the same ids.
///
/// Targets are cut where dependencies differ: thin executables, one library per concern or pipeline
/// stage, and C shims that only hold what Swift cannot express (variadic `ptrace` and `curl_easy_setopt`,
/// wait-status macros, code between `fork` and `exec`, libunwind's macro API, an exported thread-local variable).
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
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // The gRPC stack swift-otel 1.6.0 already brings for its span exporter, at the versions it resolves to.
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
    ],
    targets: [
        // MARK: Executables (thin commands)
        .executableTarget(
            name: "hybrid-run",
            dependencies: [
                "HybridRun", "Sampling", "SafeText", "_CProcessShims",
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
                "OTLPProto", "SafeText", "_COTelContextShims",
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // OTEP 4719 and 4947: the process context (the OTEL_CTX mapping) and the thread context (the exported TLS symbol `otel_thread_ctx_v1`). Every
        // executable linking it (through Telemetry; only the workloads publish) exports the symbol in `.dynsym`, where readers
        // look for it; TLSDESC is the dialect the OTEP recommends (the linker relaxes it inside an executable).
        .target(
            name: "_COTelContextShims",
            cSettings: [.unsafeFlags(["-mtls-dialect=gnu2"])],
            linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic-symbol=otel_thread_ctx_v1"])]
        ),

        // MARK: Text that is safe to show (redaction, escaping, durations): a leaf every module may use
        .target(name: "SafeText"),
        .testTarget(name: "SafeTextTests", dependencies: ["SafeText"]),

        // MARK: Output files: the one rule for every file the programs write (a leaf, like SafeText)
        .target(name: "OutputFiles", dependencies: ["SafeText", "_CProcessShims"]),
        .testTarget(name: "OutputFilesTests", dependencies: ["OutputFiles", "TestSupport"]),

        // MARK: HTTP through libcurl: proxies from the standard variables, private CAs, HTTP/2
        .target(name: "CurlHTTP", dependencies: ["SafeText", "_CCurlShims"]),
        .target(name: "_CCurlShims", dependencies: ["CCurl"]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .testTarget(name: "CurlHTTPTests", dependencies: ["CurlHTTP", "TestSupport"]),

        // MARK: Waiting for work that may never finish, without being held by it
        .target(name: "Deadlines"),
        .testTarget(name: "DeadlinesTests", dependencies: ["Deadlines"]),

        // MARK: Pyroscope export
        .target(
            name: "PyroscopeExport",
            dependencies: [
                "CurlHTTP", "Deadlines", "SafeText",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "PyroscopeExportTests",
            dependencies: ["PyroscopeExport", "ProfileExport", "Profiles", "TestSupport", .product(name: "Logging", package: "swift-log")]
        ),

        // MARK: OTLP: the messages (generated from opentelemetry-proto by scripts/generate-otlp.sh), profiles export
        .target(
            name: "OTLPProto",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ]
        ),
        .target(
            name: "OTLPProfileExport",
            dependencies: [
                "CurlHTTP", "Deadlines", "OTLPProto", "Profiles", "SafeText", "Telemetry",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ]
        ),
        .testTarget(name: "OTLPProfileExportTests", dependencies: ["OTLPProfileExport", "OTLPProto", "Profiles", "TestSupport", .product(name: "Logging", package: "swift-log")]),

        // MARK: Workloads
        .target(name: "Records", dependencies: ["OutputFiles", "SafeText"]),
        .target(
            name: "PostgresLoader",
            dependencies: [
                "CLibPQ", "Records", "SafeText",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        // MARK: hybrid-run: launch → sample → unwind → symbolize → aggregate → export
        .target(
            name: "HybridRun",
            dependencies: [
                "CurlHTTP", "OTLPProfileExport", "OutputFiles", "ProcessLaunch", "Sampling", "Profiles", "ProfileDiff", "ProfileExport", "PyroscopeExport", "Report",
                "SafeText", "SpanCapture", "Telemetry", "TraceSpans", "_CProcessShims",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .target(name: "ProcessLaunch", dependencies: ["_CProcessShims"]),
        .target(name: "_CProcessShims"),

        // MARK: Profiler
        .target(name: "Binaries", dependencies: ["_CProcessShims"]),
        .target(name: "Unwinding", dependencies: ["Binaries", "_CUnwindShims"]),
        .target(name: "Symbolization", dependencies: ["Binaries", "Profiles"]),
        .target(name: "Profiles"),
        // OTEP 4947/4719 read from outside: a thread's span at a sample (its own module: it decodes the process context's protobuf)
        .target(name: "ThreadContext", dependencies: ["Binaries", "OTLPProto", "Profiles", "_CProcessShims",
                                                      .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .testTarget(name: "ThreadContextTests", dependencies: ["ThreadContext", "Binaries", "Profiles", "ProfilerTestSupport", "TestSupport"]),
        .target(
            name: "Sampling",
            dependencies: [
                "Binaries", "Unwinding", "Symbolization", "Profiles", "ProcessLaunch", "SafeText", "ThreadContext", "_CProcessShims",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "ProfileExport",
            dependencies: ["Profiles", "GzipCoding", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .target(name: "GzipCoding", dependencies: ["CZlib"]),
        .target(name: "ProfileDiff", dependencies: ["Profiles", "ProfileExport", "SafeText"]),
        // Children's spans for the report: a byte-for-byte OTLP relay that keeps a copy
        .target(
            name: "SpanCapture",
            dependencies: [
                "GzipCoding", "OTLPProto", "SafeText", "TraceSpans",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(name: "SpanCaptureTests", dependencies: ["SpanCapture", "GzipCoding", "TestSupport", "TraceSpans",
                                                           .product(name: "Logging", package: "swift-log"), .product(name: "NIOPosix", package: "swift-nio")]),
        // The report page's template, style and script are compiled into the binary: nothing to install beside it.
        .target(name: "TraceSpans"),
        .target(name: "Report", dependencies: ["Profiles", "TraceSpans"],
                resources: [.embedInCode("Resources/report.html"), .embedInCode("Resources/report.css"), .embedInCode("Resources/report.js")]),
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
        .executableTarget(
            name: "span-publication-benchmark",
            dependencies: [
                "Telemetry",
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/span-publication-benchmark"
        ),
        .executableTarget(
            name: "thread-context-reader-benchmark",
            dependencies: ["Binaries", "ThreadContext"],
            path: "Benchmarks/thread-context-reader-benchmark"
        ),
        .testTarget(name: "BinariesTests", dependencies: ["Binaries", "ProfilerTestSupport"]),
        .testTarget(name: "UnwindingTests", dependencies: ["Unwinding", "Binaries", "Symbolization", "ProfilerTestSupport"]),
        .testTarget(name: "SymbolizationTests", dependencies: ["Symbolization", "Binaries", "Profiles", "ProfilerTestSupport"]),
        .testTarget(name: "ProfilesTests", dependencies: ["Profiles", "ProfilerTestSupport"]),
        .testTarget(name: "ProfileExportTests", dependencies: ["ProfileExport", "Profiles", "GzipCoding", "ProfilerTestSupport"]),
        .testTarget(name: "GzipCodingTests", dependencies: ["GzipCoding"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Profiles", "ProfilerTestSupport", "TraceSpans"]),
        .testTarget(name: "ProfileDiffTests", dependencies: ["ProfileDiff", "ProfileExport", "Profiles", "ProfilerTestSupport"]),
        .testTarget(name: "SamplingTests", dependencies: ["Sampling", "ProfilerTestSupport", "TestSupport"]),
        .testTarget(name: "ProcessLaunchTests", dependencies: ["ProcessLaunch", "ProfilerTestSupport", "TestSupport"]),

        // MARK: Test support
        .target(name: "TestSupport", dependencies: [.product(name: "Logging", package: "swift-log")], path: "Tests/TestSupport"),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry", "SafeText", "TestSupport", .product(name: "OTel", package: "swift-otel")]),
        .testTarget(name: "RecordsTests", dependencies: ["OutputFiles", "Records", "TestSupport"]),
        .testTarget(name: "PostgresLoaderTests", dependencies: ["PostgresLoader", "Records", "TestSupport"]),
        .testTarget(name: "WorkloadTests", dependencies: ["TestSupport"]),
        .testTarget(name: "ExamplesTests", dependencies: ["TestSupport"]),
        .testTarget(name: "HybridRunTests", dependencies: ["HybridRun", "ProcessLaunch", "ProfileExport", "ProfilerTestSupport", "TestSupport"], exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v6]
)
