import Testing
import TestSupport

@testable import PyroscopeExport

struct UploadQueueTests {
    func upload(_ number: Int64) -> PyroscopeUpload {
        PyroscopeUpload(profile: [], startTime: number, endTime: number, sampleLabelNames: [])
    }

    @Test func fullQueueDropsTheOldest() async {
        let queue = UploadQueue(capacity: 2)
        #expect(queue.enqueue(upload(1)) == .queued)
        #expect(queue.enqueue(upload(2)) == .queued)
        #expect(queue.enqueue(upload(3)) == .queuedDroppingOldest)
        queue.close()
        #expect(await queue.next()?.startTime == 2)
        #expect(await queue.next()?.startTime == 3)
        #expect(await queue.next() == nil)
        #expect(queue.counts == (enqueued: 3, dropped: 1))
    }

    @Test func uploadsAfterCloseAreRefusedAndCounted() {
        let queue = UploadQueue(capacity: 2)
        queue.close()
        #expect(queue.enqueue(upload(1)) == .refusedAfterClose)
        #expect(queue.counts == (enqueued: 1, dropped: 1))
    }

    @Test(.timeLimit(.minutes(1))) func waitingConsumerGetsTheNextUpload() async throws {
        let queue = UploadQueue(capacity: 1)
        async let next = queue.next()
        try await waitForTheConsumer(of: queue)
        #expect(queue.enqueue(upload(7)) == .queued)
        #expect(await next?.startTime == 7)
    }

    @Test(.timeLimit(.minutes(1))) func closingWakesAWaitingConsumer() async throws {
        let queue = UploadQueue(capacity: 1)
        async let next = queue.next()
        try await waitForTheConsumer(of: queue)
        queue.close()
        #expect(await next == nil)
    }

    @Test(.timeLimit(.minutes(1))) func cancellingTheConsumerEndsItsWait() async throws {
        let queue = UploadQueue(capacity: 1)
        let consumer = Task { await queue.next() }
        try await waitForTheConsumer(of: queue)
        consumer.cancel()
        #expect(await consumer.value == nil)
        #expect(queue.enqueue(upload(1)) == .queued, "what comes later stays queued, counted as not delivered")
    }

    /// Until the consumer waits in `next()`: otherwise the upload or the close could come first, and the test
    /// would not see the handover it is about. (At the time limit the test's cancellation ends a wait that no
    /// handover ends.)
    private func waitForTheConsumer(of queue: UploadQueue) async throws {
        _ = try await Poll.until(timeout: .seconds(20), interval: .milliseconds(1), "the consumer to wait") {
            queue.hasWaitingConsumer ? true : nil
        }
    }
}
