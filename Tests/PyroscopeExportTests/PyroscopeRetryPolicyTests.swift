import Testing

@testable import PyroscopeExport

struct PyroscopeRetryPolicyTests {
    let policy = PyroscopeRetryPolicy(maximumAttempts: 10, initialBackoff: .milliseconds(100), maximumBackoff: .seconds(1))

    @Test func backoffDoublesWithinHalfToFullStep() {
        var least = FixedGenerator.leastJitter
        var most = FixedGenerator.mostJitter
        for (failures, step) in [(1, 100), (2, 200), (3, 400), (4, 800)] {
            #expect(policy.backoff(afterFailedAttempts: failures, retryAfter: nil, using: &least) == .milliseconds(step / 2))
            let longest = policy.backoff(afterFailedAttempts: failures, retryAfter: nil, using: &most)
            #expect(longest > .milliseconds(step) * 0.99 && longest <= .milliseconds(step))
        }
    }

    @Test func backoffIsCappedEvenAfterManyFailures() {
        var most = FixedGenerator.mostJitter
        #expect(policy.backoff(afterFailedAttempts: 60, retryAfter: nil, using: &most) <= .seconds(1))
        #expect(policy.backoff(afterFailedAttempts: 60, retryAfter: nil, using: &most) > .milliseconds(990))
    }

    @Test func retryAfterIsHonouredUpToTheMaximum() {
        var least = FixedGenerator.leastJitter
        #expect(policy.backoff(afterFailedAttempts: 1, retryAfter: .milliseconds(700), using: &least) == .milliseconds(700))
        #expect(policy.backoff(afterFailedAttempts: 1, retryAfter: .seconds(30), using: &least) == .seconds(1))
    }
}
