import Foundation

extension OTLPReceiver {
    /// Every OTLP profile received so far, optionally only those with a sample linked to `traceID` or of a service.
    public func profiles(traceID: String? = nil, serviceName: String? = nil) async throws -> [ReceivedOTLPProfile] {
        var query: [(String, String)] = []
        if let traceID { query.append(("trace_id", traceID.lowercased())) }
        if let serviceName { query.append(("service", serviceName)) }
        return try await HTTPQuery.get([ReceivedOTLPProfile].self, queryURL.appendingQuery(path: "profiles", query))
    }

    /// Waits (bounded) until `condition` holds for the profiles of `serviceName`, and returns them.
    public func waitForProfiles(
        serviceName: String, timeout: Duration = .seconds(15), until condition: @Sendable ([ReceivedOTLPProfile]) -> Bool = { !$0.isEmpty }
    ) async throws -> [ReceivedOTLPProfile] {
        var last: [ReceivedOTLPProfile] = []
        do {
            return try await Poll.until(timeout: timeout) {
                last = try await profiles(serviceName: serviceName)
                return condition(last) ? last : nil
            }
        } catch is Poll.TimedOut {
            throw Poll.TimedOut(description: "timed out after \(timeout) waiting for OTLP profiles of \(serviceName); got \(last.count)")
        }
    }
}
