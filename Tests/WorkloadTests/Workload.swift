import Foundation
import TestSupport
import Testing

/// Runs generator-otel, loader-otel and psql for the end-to-end tests, each test in its own directory and table.
struct Workload {
    let directory: URL
    /// A table of this test's own, so tests can run in parallel against the shared server.
    let table: String
    let postgresURL: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("workload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        table = "orders_" + UUID().uuidString.prefix(8).lowercased()
        postgresURL = try TestEnvironment.current.postgresURL
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func removeDirectory() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// The test process's environment with `adding` set: by default no exporting; tests that check spans pass
    /// their own `OTEL_*` values instead (inherited `OTEL_SDK_DISABLED`, endpoint and trace context are dropped).
    static func environment(_ adding: [String: String] = ["OTEL_SDK_DISABLED": "true"]) -> [String: String] {
        ProcessRunner.environment(adding: adding, removing: ["TRACEPARENT", "TRACESTATE", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SDK_DISABLED"])
    }

    /// Polls the directory until the temporary sibling of `name` (`.name.XXXXXX`) holds some bytes, i.e. the
    /// generator is mid-write; throws if the generator ends first or nothing shows up within a minute.
    func waitUntilATemporaryFileGrows(next name: String, written generator: RunningProcess) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline && generator.isRunning {
            let temporary = try FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasPrefix(".\(name).") }
            if let temporary, let size = try? FileManager.default.attributesOfItem(atPath: path(temporary))[.size] as? Int, size > 0 { return }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw NoTemporaryFile(name: name, stderr: generator.stderrSoFar)
    }

    func generate(_ arguments: [String], environment: [String: String] = Workload.environment()) async throws -> RunResult {
        try await ProcessRunner.run(try TestEnvironment.executable("generator-otel"), arguments, environment: environment)
    }

    func load(_ file: String, url: String? = nil, environment: [String: String] = Workload.environment()) async throws -> RunResult {
        try await ProcessRunner.run(
            try TestEnvironment.executable("loader-otel"), [url ?? postgresURL, file, "--table", table], environment: environment)
    }

    /// Starts a load whose server session is named after the table (`PGAPPNAME`), so the test can watch it.
    func startLoad(_ file: String) throws -> RunningProcess {
        try RunningProcess(
            try TestEnvironment.executable("loader-otel"), [postgresURL, file, "--table", table],
            environment: Workload.environment(["OTEL_SDK_DISABLED": "true", "PGAPPNAME": table]))
    }

    /// The first column of the first row of `sql`, as psql prints it.
    func query(_ sql: String) async throws -> String {
        try await psql(["-d", postgresURL], sql)
    }

    /// `sql` run by the server's superuser, over the Unix socket (which trusts local connections), for what the
    /// test's own role may not do, such as creating roles.
    func queryAsSuperuser(_ sql: String) async throws -> String {
        let url = try #require(URLComponents(string: postgresURL))
        let socketDirectory = try TestEnvironment.current.value("HYBRID_TEST_POSTGRES_SOCKET_DIR")
        return try await psql(["-h", socketDirectory, "-p", "\(try #require(url.port))", "-U", "postgres", "-d", String(url.path.dropFirst())], sql)
    }

    private func psql(_ connection: [String], _ sql: String) async throws -> String {
        let result = try await ProcessRunner.run(
            URL(fileURLWithPath: "/usr/bin/psql"), ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1"] + connection + ["-c", sql],
            timeout: .seconds(30))
        guard result.status == 0 else { throw QueryFailed(message: result.stderr) }
        return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `body` with the URL of a new login role holding only `privileges` on the test's table (password
    /// authentication over TCP, as for the test's own role), then drops the role, whatever happened.
    func withRole<T>(granted privileges: String, _ body: (_ url: String) async throws -> T) async throws -> T {
        let role = "loader_role_" + UUID().uuidString.prefix(8).lowercased()
        let password = UUID().uuidString
        var url = try #require(URLComponents(string: postgresURL))
        url.user = role
        url.password = password
        return try await finally {
            _ = try await queryAsSuperuser("CREATE ROLE \(role) LOGIN PASSWORD '\(password)'; GRANT \(privileges) ON \(table) TO \(role)")
            return try await body(try #require(url.string))
        } then: {
            // DROP OWNED revokes the role's privileges, which would keep DROP ROLE from working.
            _ = try await queryAsSuperuser("DROP OWNED BY \(role); DROP ROLE \(role)")
        }
    }

    /// Runs `body`, then drops the test's table, whatever happened: for tests that make their own table shapes.
    func droppingTable<T>(_ body: () async throws -> T) async throws -> T {
        try await finally(body, then: { _ = try await query("DROP TABLE IF EXISTS \(table)") })
    }

    /// `body`, then `cleanUp` whether `body` threw or not; `body`'s error wins over `cleanUp`'s.
    private func finally<T>(_ body: () async throws -> T, then cleanUp: () async throws -> Void) async throws -> T {
        let result: T
        do {
            result = try await body()
        } catch {
            try? await cleanUp()
            throw error
        }
        try await cleanUp()
        return result
    }

    func rowCount() async throws -> Int {
        Int(try await query("SELECT count(*) FROM \(table)")) ?? -1
    }

    struct NoTemporaryFile: Error, CustomStringConvertible {
        let name: String
        let stderr: String
        var description: String { "no growing temporary file next to \(name); generator stderr: \(stderr)" }
    }

    struct QueryFailed: Error, CustomStringConvertible {
        let message: String
        var description: String { "psql failed: \(message)" }
    }
}
