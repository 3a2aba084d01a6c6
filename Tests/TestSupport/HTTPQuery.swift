import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Small JSON-over-HTTP helper for the stand-ins' query APIs.
///
/// Foundation's `URLSession`, not the product's own libcurl client: the tests' view of what a stand-in received
/// must not depend on the code under test.
enum HTTPQuery {
    static let session = URLSession(configuration: .ephemeral)

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func get<T: Decodable>(_ type: T.Type, _ url: URL, timeout: Duration = .seconds(30)) async throws -> T {
        let data = try await send(url, body: nil, timeout: timeout)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw Failure(description: "cannot decode \(T.self) from \(url): \(error)")
        }
    }

    @discardableResult
    static func post(_ url: URL, json: some Encodable, timeout: Duration = .seconds(30)) async throws -> Data {
        try await send(url, body: try JSONEncoder().encode(json), timeout: timeout)
    }

    /// GET without a body, POST with one; anything but 200 is an error.
    static func send(_ url: URL, body: Data?, timeout: Duration) async throws -> Data {
        let (status, data) = try await exchange(url, body: body, contentType: "application/json", timeout: timeout)
        guard status == 200 else {
            throw Failure(description: "\(body == nil ? "GET" : "POST") \(url) answered \(status): \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }

    /// GET without a body, POST with one: the status and body of the response, whatever they are.
    static func exchange(_ url: URL, body: Data?, contentType: String, timeout: Duration = .seconds(30)) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: url, timeoutInterval: timeout.timeInterval)
        request.httpMethod = body == nil ? "GET" : "POST"
        if let body {
            request.setValue(contentType, forHTTPHeaderField: "Content-Type")
            request.httpBody = body
        }
        let (data, response) = try await session.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    var timeInterval: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// A bounded wait for an observable condition: evaluates `probe` until it returns a value or `timeout` passes.
///
/// Use it to wait for something another process does (spans arriving, an upload, a row count); never as a
/// fixed delay. On timeout it throws ``Poll/TimedOut`` with `describe`'s account of the last state seen.
public enum Poll {
    public struct TimedOut: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs on the caller's isolation (e.g. the main actor), so `probe` need not be `Sendable`.
    public static func until<T>(
        timeout: Duration,
        interval: Duration = .milliseconds(50),
        _ what: @autoclosure () -> String = "condition",
        isolation: isolated (any Actor)? = #isolation,
        probe: () async throws -> T?
    ) async throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if let value = try await probe() { return value }
            if clock.now >= deadline { throw TimedOut(description: "timed out after \(timeout) waiting for \(what())") }
            try await Task.sleep(for: interval)
        }
    }
}
