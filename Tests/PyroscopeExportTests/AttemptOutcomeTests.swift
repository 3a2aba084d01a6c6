import Testing

@testable import PyroscopeExport

struct AttemptOutcomeTests {
    @Test(arguments: [200, 204])
    func successIsDelivered(status: Int) {
        #expect(AttemptOutcome.classify(status: status, message: "", retryAfter: nil) == .delivered)
    }

    @Test(arguments: [408, 429, 500, 502, 503, 504])
    func transientStatusesAreRetried(status: Int) {
        #expect(AttemptOutcome.classify(status: status, message: "busy", retryAfter: .seconds(2))
            == .retryable(reason: "answered \(status): busy", retryAfter: .seconds(2)))
    }

    @Test(arguments: [400, 401, 403, 404, 413, 422])
    func finalStatusesAreNotRetried(status: Int) {
        #expect(AttemptOutcome.classify(status: status, message: "no", retryAfter: nil) == .rejected(status: status, message: "no"))
    }

    @Test func retryAfterSeconds() {
        #expect(AttemptOutcome.retryAfter(fromHeader: " 3 ") == .seconds(3))
        #expect(AttemptOutcome.retryAfter(fromHeader: "Wed, 21 Oct 2015 07:28:00 GMT") == nil)
        #expect(AttemptOutcome.retryAfter(fromHeader: nil) == nil)
    }
}
