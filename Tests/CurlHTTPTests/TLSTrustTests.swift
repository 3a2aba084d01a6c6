import CurlHTTP
import Testing

/// Where the CA certificates come from: the client's own setting, else the variables the curl tool reads.
struct TLSTrustTests {
    @Test func theSystemStoreByDefault() {
        #expect(TLSTrust.fromEnvironment([:]) == .system)
    }

    @Test func theExplicitFileWinsOverEveryVariable() {
        let trust = TLSTrust.fromEnvironment(["CURL_CA_BUNDLE": "/bundle.pem", "SSL_CERT_FILE": "/cert.pem"], explicitCAFile: "/private.pem", origin: "PYROSCOPE_CA_FILE")
        #expect(trust.caFile == TLSTrust.CAFile(path: "/private.pem", origin: "PYROSCOPE_CA_FILE"))
    }

    @Test func curlCABundleWinsOverSSLCertFile() {
        let trust = TLSTrust.fromEnvironment(["CURL_CA_BUNDLE": "/bundle.pem", "SSL_CERT_FILE": "/cert.pem", "SSL_CERT_DIR": "/certs"])
        #expect(trust.caFile?.path == "/bundle.pem")
        #expect(trust.caDirectory == nil)
    }

    /// CI images often set CURL_CA_BUNDLE to the system bundle: a private CA in SSL_CERT_FILE is then not trusted,
    /// and the user hears why and what to do.
    @Test func anSSLCertFileThatCurlCABundleOverridesIsWarnedAbout() {
        let trust = TLSTrust.fromEnvironment(["CURL_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt", "SSL_CERT_FILE": "/corp/ca.pem"], origin: "PYROSCOPE_CA_FILE")
        #expect(trust.caFile?.path == "/etc/ssl/certs/ca-certificates.crt")
        #expect(trust.warnings() == ["SSL_CERT_FILE /corp/ca.pem is not used: CURL_CA_BUNDLE /etc/ssl/certs/ca-certificates.crt comes first, as in curl; set PYROSCOPE_CA_FILE or unset CURL_CA_BUNDLE to trust it"])
        let same = TLSTrust.fromEnvironment(["CURL_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt", "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt"])
        #expect(same.warnings().isEmpty)
        let explicit = TLSTrust.fromEnvironment(["CURL_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt", "SSL_CERT_FILE": "/corp/ca.pem"], explicitCAFile: "/etc/ssl/certs/ca-certificates.crt", origin: "PYROSCOPE_CA_FILE")
        #expect(explicit.warnings().isEmpty)
    }

    @Test func sslCertFileAndDirectory() {
        let trust = TLSTrust.fromEnvironment(["SSL_CERT_FILE": "/cert.pem", "SSL_CERT_DIR": "/certs"])
        #expect(trust.caFile == TLSTrust.CAFile(path: "/cert.pem", origin: "SSL_CERT_FILE"))
        #expect(trust.caDirectory == "/certs")
    }

    @Test func anUnreadableCAFileAndTurningVerificationOffAreWarnedAbout() {
        let trust = TLSTrust(caFile: TLSTrust.CAFile(path: "/nonexistent/ca.pem", origin: "PYROSCOPE_CA_FILE"), caDirectory: nil, verifiesPeer: false)
        let warnings = trust.warnings()
        #expect(warnings.count == 2)
        #expect(warnings.first == "CA file /nonexistent/ca.pem (PYROSCOPE_CA_FILE) cannot be read; https requests will fail")
        #expect(warnings.last?.contains("not verified") == true)
        #expect(TLSTrust.system.warnings().isEmpty)
    }
}
