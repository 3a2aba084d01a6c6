import CurlHTTP
import Foundation
import PyroscopeExport
import Testing
import TestSupport

/// Uploads to a Pyroscope behind TLS with a private CA (made for each test with `openssl`): trusted when the user
/// names the CA, refused with a reason that says what to do when not.
@Suite(.enabled(if: TestEnvironment.isAvailable, "needs scripts/test.sh"))
struct PyroscopeUploaderTLSTests {
    @Test func aPrivateCAFileMakesTheServerTrusted() async throws {
        try await Self.withTLSReceiver { authority, pyroscope in
            let connection = ConnectionSettings.fromEnvironment([:], explicitCAFile: authority.caFile, caFileOrigin: "PYROSCOPE_CA_FILE")
            let (report, _) = try await Self.upload(to: pyroscope, connection: connection)

            #expect(report.delivered == 1)
            let received = try #require(try await pyroscope.uploads().only)
            #expect(received.tlsVersion?.hasPrefix("TLS") == true)
            #expect(received.profile?.totals == CPUProfileFixture.totals)
        }
    }

    @Test(arguments: [(true, "2"), (false, "1.1")])
    func http2IsUsedWhereTheServerOffersIt(offered: Bool, version: String) async throws {
        let authority = try await TestCertificateAuthority.make()
        defer { authority.remove() }
        try await PyroscopeReceiver.withDedicated(tls: authority, http2: offered) { pyroscope in
            let connection = ConnectionSettings.fromEnvironment([:], explicitCAFile: authority.caFile, caFileOrigin: "PYROSCOPE_CA_FILE")
            let (report, _) = try await Self.upload(to: pyroscope, connection: connection)

            #expect(report.delivered == 1)
            let received = try #require(try await pyroscope.uploads().only)
            #expect(received.httpVersion == version)
            #expect(received.profile?.totals == CPUProfileFixture.totals)
        }
    }

    @Test(arguments: ["SSL_CERT_FILE", "CURL_CA_BUNDLE"])
    func theStandardCAVariablesAreHonoured(variable: String) async throws {
        try await Self.withTLSReceiver { authority, pyroscope in
            let (report, _) = try await Self.upload(to: pyroscope, connection: .fromEnvironment([variable: authority.caFile], caFileOrigin: "PYROSCOPE_CA_FILE"))
            #expect(report.delivered == 1)
        }
    }

    /// curl's order: CURL_CA_BUNDLE (here the system bundle, as many CI images set it) before SSL_CERT_FILE. The
    /// private CA is then not trusted, and the warning says why before the upload fails.
    @Test func anSSLCertFileOverriddenByCurlCABundleIsWarnedAbout() async throws {
        try await Self.withTLSReceiver { authority, pyroscope in
            let environment = ["CURL_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt", "SSL_CERT_FILE": authority.caFile]
            let (report, log) = try await Self.upload(to: pyroscope, connection: .fromEnvironment(environment, caFileOrigin: "PYROSCOPE_CA_FILE"))
            #expect(report.delivered == 0)
            #expect(log.warnings.first == "Pyroscope: SSL_CERT_FILE \(authority.caFile) is not used: CURL_CA_BUNDLE /etc/ssl/certs/ca-certificates.crt comes first, as in curl; set PYROSCOPE_CA_FILE or unset CURL_CA_BUNDLE to trust it")
        }
    }

    @Test func aServerSignedByAnUnknownCAIsRefusedWithAReasonThatSaysWhatToDo() async throws {
        try await Self.withTLSReceiver { _, pyroscope in
            let (report, log) = try await Self.upload(to: pyroscope, connection: .direct)

            #expect(report.delivered == 0)
            let failure = try #require(report.firstFailure)
            #expect(failure.localizedCaseInsensitiveContains("certificate"))
            #expect(failure.contains("PYROSCOPE_CA_FILE"))
            #expect(log.warnings.contains { $0.contains("PYROSCOPE_CA_FILE") })
            #expect(try await pyroscope.uploads().isEmpty)
        }
    }

    @Test func skippingVerificationDeliversAndSaysSoOnce() async throws {
        try await Self.withTLSReceiver { _, pyroscope in
            let connection = ConnectionSettings.fromEnvironment([:], caFileOrigin: "PYROSCOPE_CA_FILE", verifiesPeer: false)
            let (report, log) = try await Self.upload(to: pyroscope, connection: connection)

            #expect(report.delivered == 1)
            #expect(log.warnings.filter { $0.contains("not verified") }.count == 1)
        }
    }

    @Test func anUnreadableCAFileIsReportedBeforeTheFirstUpload() async throws {
        let log = RecordingLogHandler()
        let missing = "/nonexistent/ca-\(UInt32.random(in: .min ... .max)).pem"
        let uploader = try PyroscopeUploader(
            configuration: PyroscopeClientConfiguration(
                serverAddress: "https://pyroscope.example", applicationName: "missing-ca",
                connection: .fromEnvironment([:], explicitCAFile: missing, caFileOrigin: "PYROSCOPE_CA_FILE")),
            logger: log.logger)
        #expect(log.warnings == ["Pyroscope: CA file \(missing) (PYROSCOPE_CA_FILE) cannot be read; https requests will fail"])
        _ = await uploader.shutdown(deadline: .seconds(1))
    }

    private static func withTLSReceiver(_ body: (TestCertificateAuthority, PyroscopeReceiver) async throws -> Void) async throws {
        let authority = try await TestCertificateAuthority.make()
        defer { authority.remove() }
        try await PyroscopeReceiver.withDedicated(tls: authority) { pyroscope in try await body(authority, pyroscope) }
    }

    private static func upload(to pyroscope: PyroscopeReceiver, connection: ConnectionSettings) async throws -> (PyroscopeDeliveryReport, RecordingLogHandler) {
        let log = RecordingLogHandler()
        let uploader = try PyroscopeUploader(
            configuration: PyroscopeClientConfiguration(
                serverAddress: pyroscope.url.absoluteString, applicationName: "tls",
                retry: PyroscopeRetryPolicy(maximumAttempts: 1, initialBackoff: .milliseconds(10), maximumBackoff: .milliseconds(10)),
                connection: connection),
            logger: log.logger)
        uploader.enqueue(CPUProfileFixture.upload())
        return (await uploader.shutdown(deadline: .seconds(10)), log)
    }
}
