import Foundation
import SafeText

/// The Pyroscope server's base URL, split from any credentials written into it.
struct ServerAddress: Sendable, Equatable {
    /// `scheme://host[:port][/prefix]` without user info or a trailing slash: safe to show.
    var base: String
    /// `user:password@` from the address, percent-decoded; used as basic auth when none is configured.
    var user: String?
    var password: String?

    /// Reads `text` (e.g. `http://localhost:4040`, `https://user:secret@proxy/pyroscope/`). Without a scheme
    /// (`localhost:4040`) `http://` is assumed, as for the OTLP endpoint and Pyroscope's own default address.
    ///
    /// Everything a request would trip over later is refused here, in one line that shows the address with its
    /// password masked and without a query: no host, a port outside 1–65535 (which the HTTP client would not
    /// survive), a query or fragment (a base URL has none, and one often holds a token).
    static func parse(_ text: String) throws(PyroscopeSettingProblem) -> ServerAddress {
        var trimmed = String(text.trimmingWhitespace())
        if !trimmed.contains("://") { trimmed = "http://" + trimmed }
        let withoutQuery = String(trimmed.prefix { $0 != "?" && $0 != "#" })
        func problem(_ reason: String) -> PyroscopeSettingProblem {
            PyroscopeSettingProblem(setting: .serverAddress, shownValue: ShownText.value(withoutQuery), reason: reason)
        }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw problem("it contains a control character")
        }
        guard let components = URLComponents(string: trimmed) else { throw problem("not a URL (http://HOST[:PORT][/PATH])") }
        guard let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw problem("not an http:// or https:// URL")
        }
        guard let host = components.host, !host.isEmpty else { throw problem("no host") }
        if let range = components.rangeOfPort {
            // Read from the text: URLComponents reports no port at all for one beyond Int's range.
            let port = trimmed[range]
            guard let number = Int(port), (1...65535).contains(number) else { throw problem("port \(ShownText.value(port, limit: 12)) is outside 1–65535") }
        }
        guard components.query == nil, components.fragment == nil else {
            throw problem("a query or fragment, which a base URL may not have (not shown: it may hold a token)")
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
