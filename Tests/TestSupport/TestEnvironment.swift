import Foundation

/// The services that `scripts/test.sh` starts for the tests, read from its environment variables.
///
/// `scripts/test.sh` exports (the contract):
/// - `HYBRID_TEST_POSTGRES_URL`: `postgres://USER:PASSWORD@127.0.0.1:PORT/DB?sslmode=disable`
/// - `HYBRID_TEST_POSTGRES_SOCKET_DIR`: the same server's Unix socket directory
/// - `HYBRID_TEST_OTLP_GRPC_ENDPOINT`, `HYBRID_TEST_OTLP_HTTP_ENDPOINT`: `http://127.0.0.1:PORT`
/// - `HYBRID_TEST_OTLP_QUERY_URL`: the OTLP receiver's JSON query API
/// - `HYBRID_TEST_PYROSCOPE_URL`: the Pyroscope stand-in's ingest base URL (`POST /ingest`)
/// - `HYBRID_TEST_PYROSCOPE_QUERY_URL`: its JSON query and control API
/// - `HYBRID_TEST_PYTHON`: the stand-ins' venv python; `HYBRID_TEST_STANDINS_DIR`: `scripts/standins`
///
/// Every accessor throws ``TestEnvironment/Missing`` (telling to run `scripts/test.sh`) when its variable is
/// absent, so a plain `swift test` fails with a clear message instead of connecting nowhere.
public struct TestEnvironment: Sendable {
    /// A variable of the contract is not set.
    public struct Missing: Error, CustomStringConvertible {
        public var variable: String
        public var description: String {
            "\(variable) is not set: run the tests with scripts/test.sh (it starts PostgreSQL and the stand-ins)"
        }
    }

    /// Values of the process environment (captured once).
    public static let current = TestEnvironment(values: ProcessInfo.processInfo.environment)

    public let values: [String: String]

    public init(values: [String: String]) {
        self.values = values
    }

    /// Whether `scripts/test.sh` set the environment up (for `.enabled(if: TestEnvironment.isAvailable)`).
    public static var isAvailable: Bool { current.values["HYBRID_TEST_OTLP_QUERY_URL"] != nil }

    public func value(_ variable: String) throws -> String {
        guard let value = values[variable], !value.isEmpty else { throw Missing(variable: variable) }
        return value
    }

    public func url(_ variable: String) throws -> URL {
        let text = try value(variable)
        guard let url = URL(string: text) else { throw Missing(variable: "\(variable) (not a URL)") }
        return url
    }

    /// `postgres://USER:PASSWORD@127.0.0.1:PORT/DB?sslmode=disable`; it holds a password: never print it.
    public var postgresURL: String { get throws { try value("HYBRID_TEST_POSTGRES_URL") } }
    public var otlpGRPCEndpoint: URL { get throws { try url("HYBRID_TEST_OTLP_GRPC_ENDPOINT") } }
    public var otlpHTTPEndpoint: URL { get throws { try url("HYBRID_TEST_OTLP_HTTP_ENDPOINT") } }
    public var otlpQueryURL: URL { get throws { try url("HYBRID_TEST_OTLP_QUERY_URL") } }
    public var pyroscopeURL: URL { get throws { try url("HYBRID_TEST_PYROSCOPE_URL") } }
    public var pyroscopeQueryURL: URL { get throws { try url("HYBRID_TEST_PYROSCOPE_QUERY_URL") } }
    public var python: URL { get throws { URL(fileURLWithPath: try value("HYBRID_TEST_PYTHON")) } }
    public var standinsDirectory: URL { get throws { URL(fileURLWithPath: try value("HYBRID_TEST_STANDINS_DIR")) } }

    /// The package root (the directory holding Package.swift), found from this source file's location.
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)  // <root>/Tests/TestSupport/TestEnvironment.swift
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    public var packageRoot: URL { Self.packageRoot }

    /// The directory of the built products: the one holding the running test bundle.
    public static let productsDirectory: URL = {
        #if os(macOS)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL
        #else
        // Linux: the test runner is <build dir>/<package>PackageTests.xctest, an executable.
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path).deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug", isDirectory: true)
        #endif
    }()

    /// A product built next to the test bundle (e.g. `hybrid-run`, `generator-otel`, `loader-otel`).
    public struct ExecutableNotBuilt: Error, CustomStringConvertible {
        public var path: String
        public var description: String { "\(path) does not exist: build it first (scripts/test.sh runs swift build --build-tests)" }
    }

    public static func executable(_ name: String) throws -> URL {
        let url = productsDirectory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else { throw ExecutableNotBuilt(path: url.path) }
        return url
    }

    public func executable(_ name: String) throws -> URL { try Self.executable(name) }
}
