import Testing

@testable import PyroscopeExport

struct DeadlineTests {
    @Test func workThatNeverEndsIsLeftAtTheDeadline() async {
        let clock = ContinuousClock()
        let start = clock.now
        let never = AsyncStream<Void> { _ in }
        let finished = await Deadline.wait(until: start.advanced(by: .milliseconds(200))) {
            for await _ in never {}
        }
        #expect(!finished)
        #expect(start.duration(to: clock.now) < .seconds(2))
    }

    @Test func workThatEndsIsReportedFinished() async {
        let finished = await Deadline.wait(until: ContinuousClock.now.advanced(by: .seconds(30))) {}
        #expect(finished)
    }
}
