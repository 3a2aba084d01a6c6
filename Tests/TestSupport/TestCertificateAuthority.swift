import Foundation

/// A certificate authority made for one test with `openssl`, and a server certificate it signed: what a private
/// CA behind a company's Pyroscope looks like. Nothing is stored in the repository; ``remove()`` deletes the files.
///
/// ```swift
/// let authority = try await TestCertificateAuthority.make(serverNames: ["pyroscope.proxied.test"])
/// defer { authority.remove() }
/// // serve with authority.certificateFile / authority.keyFile, trust authority.caFile
/// ```
public struct TestCertificateAuthority: Sendable {
    public let directory: URL
    /// The CA's certificate (PEM): what a client must trust.
    public var caFile: String { directory.appendingPathComponent("ca.pem").path }
    /// The server's certificate (PEM), for `serverNames` and 127.0.0.1.
    public var certificateFile: String { directory.appendingPathComponent("server.pem").path }
    public var keyFile: String { directory.appendingPathComponent("server.key").path }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func make(serverNames: [String] = []) async throws -> TestCertificateAuthority {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hybrid-run-ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let authority = TestCertificateAuthority(directory: directory)
        let alternativeNames = (serverNames.map { "DNS:\($0)" } + ["IP:127.0.0.1"]).joined(separator: ",")
        try Data("""
            subjectAltName=\(alternativeNames)
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature
            extendedKeyUsage=serverAuth

            """.utf8).write(to: directory.appendingPathComponent("server.ext"))
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        do {
            try await run(["req", "-x509"] + key + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=hybrid-run test CA",
                                                   "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], in: directory)
            try await run(["req"] + key + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=hybrid-run test server"], in: directory)
            try await run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                           "-out", "server.pem", "-days", "2", "-extfile", "server.ext"], in: directory)
        } catch {
            authority.remove()
            throw error
        }
        return authority
    }

    public func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    private static func run(_ arguments: [String], in directory: URL) async throws {
        let result = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/openssl"), arguments, currentDirectory: directory, timeout: .seconds(60))
        guard result.status == 0 else {
            throw Failure(description: "openssl \(arguments.prefix(2).joined(separator: " ")) failed (\(result.status)): \(result.stderr.suffix(1000))")
        }
    }
}
