import Glibc

/// `NO_PROXY` read as Go's `golang.org/x/net/http/httpproxy` reads it, which pyroscope-go and the OpenTelemetry Go
/// exporters use, so one value means the same to hybrid-run as to the rest of a user's tools:
///
/// - comma-separated, case-insensitive entries; `*` alone bypasses the proxy for every host;
/// - an IP address (`10.1.2.3`, `::1`) or a CIDR range (`10.0.0.0/8`), a host or IP may carry a port (`host:4040`,
///   `[::1]:4040`), and then matches only that port;
/// - `example.com` matches that name and every subdomain, `.example.com` and `*.example.com` subdomains only.
public struct NoProxyList: Sendable, Equatable {
    /// The value as written (for equality and messages).
    public let text: String
    private let bypassesAll: Bool
    private let matchers: [Matcher]

    private enum Matcher: Sendable {
        case address([UInt8], port: String)
        case range([UInt8], prefixLength: Int)
        /// `suffix` starts with a dot; `includesSuffixHost`: the entry had no leading dot, so it names a host too.
        case domain(suffix: String, includesSuffixHost: Bool, port: String)
    }

    public init(_ text: String) {
        self.text = text
        var bypassesAll = false
        var matchers: [Matcher] = []
        for rawEntry in text.split(separator: ",") {
            let entry = rawEntry.trimmingWhitespace().lowercased()
            if entry.isEmpty { continue }
            if entry == "*" {
                bypassesAll = true
                break
            }
            if let slash = entry.firstIndex(of: "/") {
                if let address = Self.address(String(entry[..<slash])), let length = Int(entry[entry.index(after: slash)...]),
                   (0...(address.count * 8)).contains(length) {
                    matchers.append(.range(address, prefixLength: length))
                }
                continue
            }
            var (host, port) = Self.splitHostPort(entry) ?? (entry, "")
            if let address = Self.address(host) {
                matchers.append(.address(address, port: port))
                continue
            }
            if host.hasPrefix("*.") { host.removeFirst() }
            guard !host.isEmpty else { continue }
            let includesHost = !host.hasPrefix(".")
            matchers.append(.domain(suffix: includesHost ? "." + host : host, includesSuffixHost: includesHost, port: port))
        }
        self.bypassesAll = bypassesAll
        self.matchers = matchers
    }

    public static func == (lhs: NoProxyList, rhs: NoProxyList) -> Bool { lhs.text == rhs.text }

    /// Whether a request to `host:port` goes direct. `localhost` and loopback addresses always do, as in Go:
    /// a proxy cannot reach the machine's own loopback.
    public func bypasses(host rawHost: String, port: Int) -> Bool {
        var host = rawHost.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" { return true }
        let address = Self.address(host)
        if let address, Self.isLoopback(address) { return true }
        if bypassesAll { return true }
        let port = String(port)
        for matcher in matchers {
            switch matcher {
            case .address(let entry, let entryPort):
                if entry == address, entryPort.isEmpty || entryPort == port { return true }
            case .range(let network, let length):
                if let address, address.count == network.count, Self.prefix(of: address, length) == Self.prefix(of: network, length) { return true }
            case .domain(let suffix, let includesHost, let entryPort):
                if host.hasSuffix(suffix) || (includesHost && host == suffix.dropFirst()), entryPort.isEmpty || entryPort == port {
                    return true
                }
            }
        }
        return false
    }

    /// `host:port` or `[v6]:port`, as Go's `net.SplitHostPort`; nil when there is no port.
    private static func splitHostPort(_ entry: String) -> (String, String)? {
        if entry.hasPrefix("["), let close = entry.firstIndex(of: "]") {
            let rest = entry[entry.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            return (String(entry[entry.index(after: entry.startIndex)..<close]), String(rest.dropFirst()))
        }
        let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    /// The address's bytes: 4 for IPv4 (an IPv4-mapped IPv6 address included), 16 for IPv6; nil for a name.
    static func address(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        let mappedPrefix: [UInt8] = Array(repeating: 0, count: 10) + [0xff, 0xff]
        return Array(bytes.prefix(12)) == mappedPrefix ? Array(bytes.suffix(4)) : bytes
    }

    static func isLoopback(_ address: [UInt8]) -> Bool {
        address.count == 4 ? address[0] == 127 : address == Array(repeating: 0, count: 15) + [1]
    }

    private static func prefix(of address: [UInt8], _ bits: Int) -> [UInt8] {
        address.enumerated().map { index, byte in
            let kept = min(max(bits - index * 8, 0), 8)
            return kept == 0 ? 0 : byte & UInt8(truncatingIfNeeded: 0xff << (8 - kept))
        }
    }
}
