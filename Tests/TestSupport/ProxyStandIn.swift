import Foundation

/// The HTTP proxy stand-in (`scripts/standins/http_proxy.py`): plain forwarding and `CONNECT` tunnels, each request
/// recorded. Every test starts its own, so what it recorded is that test's alone.
///
/// ```swift
/// try await ProxyStandIn.withDedicated(aliasDomain: "proxied.test") { proxy in
///     // HTTP_PROXY = proxy.url.absoluteString; a server at http://pyroscope.proxied.test:PORT is reached through it
///     let requests = try await proxy.requests()
/// }
/// ```
public struct ProxyStandIn: Sendable {
    /// `http://127.0.0.1:PORT`: what a client takes as its proxy.
    public let url: URL
    public let queryURL: URL
    private let process: StandInProcess

    public struct Request: Sendable, Decodable {
        public struct Auth: Sendable, Decodable, Hashable {
            public var scheme: String?
            public var user: String?
            public var passwordPresent: Bool

            enum CodingKeys: String, CodingKey {
                case scheme, user
                case passwordPresent = "password_present"
            }
        }

        public var seq: Int
        /// `CONNECT` for a tunnel, else the forwarded request's method.
        public var method: String
        /// The request target as the client sent it: `host:port` for CONNECT, an absolute URL otherwise.
        public var target: String
        public var host: String
        public var port: Int
        public var auth: Auth
        /// `forwarded`, `tunnelled`, `refused: …` or `upstream failed: …`.
        public var outcome: String
    }

    /// Starts a proxy of this test's own on free ports.
    /// - Parameters:
    ///   - aliasDomain: host names under this domain lead to 127.0.0.1 (the port kept); they resolve nowhere else,
    ///     so a request that reached such a server went through the proxy.
    ///   - requiredAuth: `user:password` that every request must carry (Basic `Proxy-Authorization`), else 407.
    public static func startDedicated(aliasDomain: String? = nil, requiredAuth: String? = nil) async throws -> ProxyStandIn {
        var arguments: [String] = []
        if let aliasDomain { arguments += ["--alias-domain", aliasDomain] }
        if let requiredAuth { arguments += ["--require-auth", requiredAuth] }
        let process = try await StandInProcess.start(script: "http_proxy.py", arguments: arguments)
        guard let url = process.announcement.url.flatMap(URL.init(string:)),
              let query = process.announcement.query_url.flatMap(URL.init(string:))
        else {
            await process.stop()
            throw StandInProcess.StartFailure(description: "http_proxy.py announced no URLs")
        }
        return ProxyStandIn(url: url, queryURL: query, process: process)
    }

    /// Runs `body` with a proxy of its own and stops it afterwards, whatever happens.
    public static func withDedicated<T: Sendable>(
        aliasDomain: String? = nil, requiredAuth: String? = nil, _ body: (ProxyStandIn) async throws -> T
    ) async throws -> T {
        try await StandInProcess.stopping(try await startDedicated(aliasDomain: aliasDomain, requiredAuth: requiredAuth), stop: { await $0.stop() }, body)
    }

    public func stop() async {
        await process.stop()
    }

    /// Every request the proxy was asked to carry, in arrival order.
    public func requests() async throws -> [Request] {
        try await HTTPQuery.get([Request].self, queryURL.appendingPathComponent("requests"))
    }
}
