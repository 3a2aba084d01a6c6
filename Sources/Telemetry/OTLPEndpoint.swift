import Foundation
import SafeText

/// An OTLP endpoint as the user wrote it, checked before swift-otel sees it.
///
/// The spec's endpoint is a URL whose scheme (`http` or `https`) decides TLS
/// (https://opentelemetry.io/docs/specs/otel/protocol/exporter/#configuration-options). swift-otel 1.6.0 traps
/// ("Not enough bits", SIGILL) on a port above 65535 when it connects, compares the scheme case-sensitively, and
/// refuses a gRPC endpoint without a port, so `https://api.vendor.example` — the form vendors document — turned
/// tracing off. Here the scheme is lower-cased, a gRPC endpoint without a port gets its scheme's (443 or 80, as any
/// URL would), a bare `host:port` (what the guide and otel-cli users write) gets `http://`, and anything else that
/// is not `http(s)://host[:port]` with a port from 1 to 65535 is refused with a reason.
public enum OTLPEndpoint {
    /// Why an endpoint cannot be used, in words for a warning.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    public static func normalize(_ text: String, grpc: Bool) -> Result<String, Invalid> {
        var endpoint = String(text.trimmingWhitespace())
        guard let separator = endpoint.range(of: "://") else { return normalize("http://" + endpoint, grpc: grpc) }
        let scheme = endpoint[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            return .failure(Invalid(description: "the scheme must be http or https"))
        }
        endpoint.replaceSubrange(..<separator.lowerBound, with: scheme)

        let authorityStart = endpoint.index(endpoint.startIndex, offsetBy: scheme.count + 3)
        let authorityEnd = endpoint[authorityStart...].firstIndex(where: { "/?#".contains($0) }) ?? endpoint.endIndex
        let authority = endpoint[authorityStart..<authorityEnd]
        let hostAndPort = authority.lastIndex(of: "@").map { authority[authority.index(after: $0)...] } ?? authority
        // The port follows the last colon, unless that colon is inside an IPv6 literal (`[::1]`).
        let portColon = hostAndPort.lastIndex(of: ":").flatMap { colon in hostAndPort[colon...].contains("]") ? nil : colon }
        let host = portColon.map { hostAndPort[..<$0] } ?? hostAndPort
        let portText = portColon.map { hostAndPort[hostAndPort.index(after: $0)...] } ?? ""
        guard !host.isEmpty else { return .failure(Invalid(description: "there is no host")) }
        if !portText.isEmpty {
            guard portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber), let port = Int(portText), (1...65535).contains(port) else {
                return .failure(Invalid(description: "the port \(ShownText.value(portText, limit: 20)) is not a number from 1 to 65535"))
            }
        }
        guard URLComponents(string: endpoint)?.host != nil else {
            return .failure(Invalid(description: "it is not a URL"))
        }
        if grpc, portText.isEmpty {
            let port = scheme == "https" ? 443 : 80
            let insertAt = portColon.map { hostAndPort.index(after: $0) } ?? hostAndPort.endIndex
            endpoint.insert(contentsOf: portColon == nil ? ":\(port)" : "\(port)", at: insertAt)
        }
        return .success(endpoint)
    }
}
