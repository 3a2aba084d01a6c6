import Deadlines
import Testing

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

    @Test func drainingWorkThatEndsWhenCancelledIsCancelledAtFourFifthsOfTheTimeAndReportedFinished() async {
        let clock = ContinuousClock()
        let start = clock.now
        let end = start.advanced(by: .seconds(1))
        let work = Task { _ = try? await Task.sleep(for: .seconds(60)) }
        let finished = await Deadline.drain(work, by: end)
        #expect(finished)
        #expect(work.isCancelled)
        // Cancelled at 800 ms, not before: the work had its time.
        #expect(start.duration(to: clock.now) >= .milliseconds(800))
    }

    @Test func drainingWorkThatIgnoresCancellationLeavesItBeforeTheEnd() async {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: .milliseconds(500))
        // Suspended for good: cancellation does not reach it (an AsyncStream's iterator would end).
        let work = Task { await withUnsafeContinuation { (_: UnsafeContinuation<Void, Never>) in } }
        let finished = await Deadline.drain(work, by: end)
        #expect(!finished)
        #expect(clock.now <= end)
    }

    @Test func drainingWorkThatFinishesDoesNotCancelIt() async {
        let work = Task {}
        #expect(await Deadline.drain(work, by: ContinuousClock.now.advanced(by: .seconds(30))))
        #expect(!work.isCancelled)
    }
}
