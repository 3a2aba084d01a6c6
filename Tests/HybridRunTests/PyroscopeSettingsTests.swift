import Foundation
import Testing
import TestSupport

/// What hybrid-run says about Pyroscope settings no profile can be sent with, or values it has to quote: one
/// line on stderr, nothing secret in it, and the command's own exit code.
@Suite struct PyroscopeSettingsTests {
    /// Profiling on, telemetry off, everything else from `adding`.
    static func environment(_ adding: [String: String]) -> [String: String] {
        HybridRunProcess.environment(["OTEL_SDK_DISABLED": "true", "PYROSCOPE_ENABLE": "true"].merging(adding) { _, new in new })
    }

    static func lines(_ stderr: String) -> [Substring] { stderr.split(separator: "\n") }

    /// The HTTP client crashed on these ports at the first upload (SIGILL in `SocketAddress.init`, exit 132 after
    /// seconds of backtrace): the command is profiled, so there is one.
    @Test(arguments: [(["PYROSCOPE_SERVER_ADDRESS": "http://127.0.0.1:99999"], []), ([:], ["--server-address", "http://127.0.0.1:65536"])])
    func aPortOutOfRangeIsOneLineAndTheCommandsExitCodeIsKept(variables: [String: String], flags: [String]) async throws {
        let result = try await HybridRunProcess.run(flags + ["--rate", "500", "--", "sh", "-c", PyroscopeShippingTests.busyLoop[2] + "; exit 7"],
                                                    environment: Self.environment(variables))
        #expect(result.status == 7, "\(result.stderr)")
        let lines = Self.lines(result.stderr)
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.hasPrefix("hybrid-run: warning: PYROSCOPE_SERVER_ADDRESS (--server-address) http://127.0.0.1:") == true, "\(result.stderr)")
        #expect(lines.first?.contains("is outside 1–65535; profiles are not sent to Pyroscope this run") == true, "\(result.stderr)")
    }

    /// The address forms that printed their secret twice, and a password in an address the client cannot use.
    @Test(arguments: ["http://127.0.0.1:1/?token=SECRET", "http://u:SECRET@127.0.0.1:99999", "ftp://u:SECRET@host", "http://h:1/#SECRET",
                      "u:SECRET@127.0.0.1:99999"])
    func aServerAddressIsRefusedInOneLineThatHoldsNoSecret(address: String) async throws {
        let result = try await HybridRunProcess.run(["--", "sh", "-c", "exit 3"], environment: Self.environment(["PYROSCOPE_SERVER_ADDRESS": address]))
        #expect(result.status == 3)
        #expect(Self.lines(result.stderr).count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("PYROSCOPE_SERVER_ADDRESS"))
        #expect(!result.stderr.contains("SECRET"), "\(result.stderr)")
    }

    /// Without a scheme `http://` is assumed, and the user info is basic auth: the run fails to connect (nothing
    /// listens on port 1), and what it says about that never holds the password.
    @Test func anAddressWithoutASchemeIsUsedAndItsPasswordNeverShown() async throws {
        let result = try await HybridRunProcess.run(["--rate", "500", "--"] + PyroscopeShippingTests.busyLoop,
                                                    environment: Self.environment(["PYROSCOPE_SERVER_ADDRESS": "u:SECRET@127.0.0.1:1"]))
        #expect(result.status == 0)
        #expect(result.stderr.contains("http://127.0.0.1:1"), "\(result.stderr)")
        #expect(!result.stderr.contains("SECRET"), "\(result.stderr)")
    }

    /// `PYROSCOPE_AUTH_TOKEN=$'SECRET\n'` printed `invalidHeaderFieldValues(["Bearer SECRET\n"])`.
    @Test func aTokenWithALineBreakIsNamedButNeverShownAndNothingIsSent() async throws {
        let receiver = try PyroscopeReceiver.shared
        let application = PyroscopeShippingTests.uniqueApplication()
        let result = try await HybridRunProcess.run(["--rate", "500", "--"] + PyroscopeShippingTests.busyLoop, environment: Self.environment([
            "PYROSCOPE_SERVER_ADDRESS": receiver.url.absoluteString, "PYROSCOPE_APPLICATION_NAME": application, "PYROSCOPE_AUTH_TOKEN": "SECRET\n",
        ]))
        #expect(result.status == 0)
        #expect(Self.lines(result.stderr) == [
            "hybrid-run: warning: PYROSCOPE_AUTH_TOKEN contains a control character (such as a line break), which an HTTP header cannot carry; "
                + "profiles are not sent to Pyroscope this run",
        ], "\(result.stderr)")
        #expect(try await receiver.uploads(app: application, includeRejected: true).isEmpty)
    }

    /// A 10 KB value that opens with a terminal escape and a forged line: one short line, escaped.
    @Test(arguments: ["PYROSCOPE_ENABLE", "PYROSCOPE_UPLOAD_INTERVAL", "PYROSCOPE_SERVER_ADDRESS", "PYROSCOPE_APPLICATION_NAME",
                      "PYROSCOPE_TENANT_ID", "PYROSCOPE_TAGS", "PYROSCOPE_TRACE_CORRELATION"])
    func aLongValueWithControlCharactersIsOneShortEscapedLine(variable: String) async throws {
        let hostile = "\u{1b}[2J\nhybrid-run: all good " + String(repeating: "x", count: 10_000)
        var variables = ["PYROSCOPE_SERVER_ADDRESS": try PyroscopeReceiver.shared.url.absoluteString]
        variables[variable] = variable == "PYROSCOPE_TAGS" ? "k=\(hostile)" : hostile
        let result = try await HybridRunProcess.run(["--quiet", "--", "true"], environment: Self.environment(variables))
        #expect(result.status == 0)
        let lines = Self.lines(result.stderr)
        #expect(lines.count == 1, "\(result.stderr.prefix(2000))")
        #expect(result.stderr.utf8.count < 500, "\(result.stderr.prefix(2000))")
        #expect(!result.stderr.utf8.contains(0x1b))
        #expect(result.stderr.contains("\\e[2J\\nhybrid-run: all good x"), "\(result.stderr.prefix(2000))")
    }
}
