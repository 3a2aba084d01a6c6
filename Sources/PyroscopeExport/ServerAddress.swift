import Foundation
import SafeText

/// The Pyroscope server's base URL, split from any credentials written into it.
struct ServerAddress: Sendable, Equatable {
    /// `scheme://host[:port][/prefix]` without user info or a trailing slash: safe to show.
    var base: String
    /// `user:password@` from the address, percent-decoded; used as basic auth when none is configured.
    var user: String?
    var password: String?

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads `text` (e.g. `http://localhost:4040`, `https://user:secret@proxy/pyroscope/`). The error names the
    /// address with its password masked.
    static func parse(_ text: String) throws(Invalid) -> ServerAddress {
        let trimmed = String(text.trimmingWhitespace())
        let shown = Redaction.redactingCredentials(in: trimmed)
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https"
        else { throw Invalid(description: "server address \(shown) is not an http:// or https:// URL") }
        guard let host = components.host, !host.isEmpty else { throw Invalid(description: "server address \(shown) has no host") }
        guard components.query == nil, components.fragment == nil else {
            throw Invalid(description: "server address \(shown) may not have a query or fragment")
        }
        let encodedHost = components.percentEncodedHost ?? host
        let bracketedHost = encodedHost.contains(":") && !encodedHost.hasPrefix("[") ? "[\(encodedHost)]" : encodedHost
        var base = "\(scheme)://\(bracketedHost)"
        if let port = components.port { base += ":\(port)" }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        base += path
        return ServerAddress(base: base, user: components.user, password: components.password)
    }
}
