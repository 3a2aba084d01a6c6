import Foundation
import SafeText

/// Which certificates a TLS connection trusts.
///
/// By default the system's CA store (libcurl's built-in bundle, Debian's `/etc/ssl/certs/ca-certificates.crt`).
/// A private CA replaces it, as `curl --cacert` and Go's `SSL_CERT_FILE` do.
public struct TLSTrust: Sendable, Equatable {
    /// A PEM file of CA certificates, and the setting it came from (for messages).
    public var caFile: CAFile?
    /// A directory of hashed CA certificates (`SSL_CERT_DIR`).
    public var caDirectory: String?
    /// False only when the user opted out of verification: certificates and host names are then not checked.
    public var verifiesPeer: Bool
    /// `SSL_CERT_FILE` when `CURL_CA_BUNDLE` names another file, which comes first as in curl: many CI images set
    /// `CURL_CA_BUNDLE` to the system bundle, so a private CA given in `SSL_CERT_FILE` alone is silently not trusted.
    public var overriddenCAFile: CAFile?
    /// The setting that names a CA file for this client alone, e.g. `PYROSCOPE_CA_FILE` (for messages).
    var explicitOrigin = ""

    public static let system = TLSTrust(caFile: nil, caDirectory: nil, verifiesPeer: true)

    public struct CAFile: Sendable, Equatable {
        public var path: String
        /// The variable or option that named it, e.g. `PYROSCOPE_CA_FILE`.
        public var origin: String

        public init(path: String, origin: String) {
            self.path = path
            self.origin = origin
        }
    }

    public init(caFile: CAFile?, caDirectory: String?, verifiesPeer: Bool) {
        self.caFile = caFile
        self.caDirectory = caDirectory
        self.verifiesPeer = verifiesPeer
    }

    /// The trust the curl tool derives from the environment: `CURL_CA_BUNDLE`, else `SSL_CERT_FILE` and
    /// `SSL_CERT_DIR`; `explicitCAFile` (e.g. `PYROSCOPE_CA_FILE`, named by `origin`) wins over all of them.
    public static func fromEnvironment(
        _ environment: [String: String], explicitCAFile: String? = nil, origin: String = "", verifiesPeer: Bool = true
    ) -> TLSTrust {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let explicitCAFile, !explicitCAFile.isEmpty {
            return TLSTrust(caFile: CAFile(path: explicitCAFile, origin: origin), caDirectory: nil, verifiesPeer: verifiesPeer)
        }
        if let bundle = value("CURL_CA_BUNDLE") {
            var trust = TLSTrust(caFile: CAFile(path: bundle, origin: "CURL_CA_BUNDLE"), caDirectory: nil, verifiesPeer: verifiesPeer)
            trust.overriddenCAFile = value("SSL_CERT_FILE").flatMap { $0 == bundle ? nil : CAFile(path: $0, origin: "SSL_CERT_FILE") }
            trust.explicitOrigin = origin
            return trust
        }
        return TLSTrust(caFile: value("SSL_CERT_FILE").map { CAFile(path: $0, origin: "SSL_CERT_FILE") }, caDirectory: value("SSL_CERT_DIR"), verifiesPeer: verifiesPeer)
    }

    /// What the user should hear before the first request: a CA file that cannot be read (every TLS request would
    /// fail), an `SSL_CERT_FILE` that `CURL_CA_BUNDLE` overrides, and verification being off.
    public func warnings() -> [String] {
        var warnings: [String] = []
        if let overriddenCAFile, let caFile {
            let instead = explicitOrigin.isEmpty ? "unset CURL_CA_BUNDLE" : "set \(explicitOrigin) or unset CURL_CA_BUNDLE"
            warnings.append("\(overriddenCAFile.origin) \(ShownText.value(overriddenCAFile.path)) is not used: \(caFile.origin) \(ShownText.value(caFile.path)) comes first, as in curl; \(instead) to trust it")
        }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile.path) {
            warnings.append("CA file \(ShownText.value(caFile.path)) (\(caFile.origin)) cannot be read; https requests will fail")
        }
        if !verifiesPeer {
            warnings.append("TLS certificates are not verified: anyone on the path can read and change what is sent")
        }
        return warnings
    }
}
